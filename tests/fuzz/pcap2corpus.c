/*
 * pcap2corpus.c - turns the packets of a capture into one fuzz input for fuzz_decode
 * (selector 0 = Ethernet, 3 = SLL, 4 = SLL2, 5 = raw IP, 6 = BSD loopback), or, with
 * -p PORT, the TCP/UDP payloads to or from PORT into one input for a dissector target
 * (selector bit 0 = direction, server port on the receiving side means to-server).
 *
 * Usage: pcap2corpus [-p PORT] IN.pcap OUT.bin [MAX_PACKETS]
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

static int selector_for(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
        return 0;
    case DLT_LINUX_SLL:
        return 3;
    case DLT_LINUX_SLL2:
        return 4;
    case DLT_RAW:
        return 5;
    case DLT_NULL:
        return 6;
    default:
        return -1;
    }
}

/* Finds the TCP/UDP payload of an untagged or single-tagged Ethernet IPv4 frame. */
static const u_char *l4_payload(const u_char *p, size_t len, int *sport, int *dport, size_t *plen)
{
    size_t off = 12;
    if (len < 14)
        return NULL;
    unsigned type = (unsigned)(p[off] << 8 | p[off + 1]);
    if (type == 0x8100) {
        off += 4;
        if (len < off + 2)
            return NULL;
        type = (unsigned)(p[off] << 8 | p[off + 1]);
    }
    off += 2;
    if (type != 0x0800 || len < off + 20)
        return NULL;
    size_t ihl = (size_t)(p[off] & 0x0F) * 4;
    size_t total = (size_t)(p[off + 2] << 8 | p[off + 3]);
    uint8_t proto = p[off + 9];
    if (total > len - off || ihl < 20 || total < ihl)
        return NULL;
    size_t l4 = off + ihl;
    size_t end = off + total;
    if (proto == 6 && end >= l4 + 20) {
        size_t hl = (size_t)(p[l4 + 12] >> 4) * 4;
        if (hl < 20 || l4 + hl > end)
            return NULL;
        *sport = p[l4] << 8 | p[l4 + 1];
        *dport = p[l4 + 2] << 8 | p[l4 + 3];
        *plen = end - l4 - hl;
        return p + l4 + hl;
    }
    if (proto == 17 && end >= l4 + 8) {
        *sport = p[l4] << 8 | p[l4 + 1];
        *dport = p[l4 + 2] << 8 | p[l4 + 3];
        *plen = end - l4 - 8;
        return p + l4 + 8;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int port = -1;
    int argi = 1;
    if (argc > 2 && strcmp(argv[1], "-p") == 0) {
        port = atoi(argv[2]);
        argi = 3;
    }
    if (argc - argi < 2) {
        fprintf(stderr, "usage: pcap2corpus [-p PORT] IN.pcap OUT.bin [MAX_PACKETS]\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[argi], err);
    if (p == NULL) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    int sel = selector_for(pcap_datalink(p));
    if (sel < 0) {
        fprintf(stderr, "unsupported link type\n");
        return 2;
    }
    FILE *out = fopen(argv[argi + 1], "wb");
    if (out == NULL) {
        perror(argv[argi + 1]);
        return 2;
    }
    long max = argc - argi > 2 ? atol(argv[argi + 2]) : 1000;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    long n = 0;
    while (n < max && pcap_next_ex(p, &hdr, &data) == 1) {
        const u_char *bytes = data;
        size_t len = hdr->caplen;
        uint8_t selector = (uint8_t)sel;
        if (port >= 0) {
            int sport, dport;
            bytes = l4_payload(data, hdr->caplen, &sport, &dport, &len);
            if (bytes == NULL || len == 0 || (sport != port && dport != port))
                continue;
            selector = dport == port ? 0 : 1;
        }
        fwrite(GS_FUZZ_MAGIC, 1, 4, out);
        fputc(selector, out);
        fwrite(bytes, 1, len, out);
        n++;
    }
    fclose(out);
    pcap_close(p);
    return 0;
}
