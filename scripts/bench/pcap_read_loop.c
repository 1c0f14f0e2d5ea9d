/*
 * pcap_read_loop.c - the baseline for scripts/bench.sh: reads every packet of capture files
 * with libpcap and touches each byte count, nothing else. gridsensor's throughput is reported
 * as a ratio to this loop, measured side by side on the same machine in the same run.
 *
 * Usage: pcap_read_loop FILE [FILE ...]   prints "packets bytes"
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    unsigned long long packets = 0, bytes = 0;
    for (int i = 1; i < argc; i++) {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_open_offline(argv[i], err);
        if (p == NULL) {
            fprintf(stderr, "pcap_read_loop: %s\n", err);
            return 2;
        }
        struct pcap_pkthdr *hdr;
        const u_char *data;
        while (pcap_next_ex(p, &hdr, &data) == 1) {
            packets++;
            bytes += hdr->len;
        }
        pcap_close(p);
    }
    printf("%llu %llu\n", packets, bytes);
    return 0;
}
