/*
 * gen_demo.c - writes pcaps/demo.pcap, the capture the README's first command replays:
 * a substation's mixed traffic on one SPAN port.
 *
 *   - a DNP3 master polling an outstation over TCP 20000 (class 0 read and response)
 *   - an IEC 104 controlling station starting data transfer and interrogating on TCP 2404
 *   - a GOOSE publisher on VLAN 0 (priority 4)
 *   - an HTTP request across the station bus (an unexpected protocol for a conduit)
 *
 * and, appended from the project's other generated captures (time-shifted to follow):
 *
 *   - a DNP3 Secure Authentication v5 session whose challenge reply MAC was tampered with
 *     (pcaps/dnp3-sa/sha256-reply-mac-bitflip.pcap: dnp3.sa.mac_invalid with the demo keys)
 *   - IEC 104 and MMS over TLS: a compliant handshake, RC4 offered and selected, an expired
 *     certificate, SSL 3.0, and IEC 104 in plaintext on the TLS port (pcaps/tls_62351.pcap)
 *
 * Usage: gen_demo OUT.pcap PCAPS_DIR
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3w.h"
#include "pcapw.h"

#define T0 1795000000000000ull /* 2026-11-18T11:06:40Z */

static void dnp3_poll(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    gs_tcp_init(&s, w, T0, 0x0A010003, 51234, 0x0A02000A, 20000);
    gs_tcp_handshake(&s);
    uint8_t apdu[256], wire[GS_DNP3W_MAX_WIRE];
    /* READ g60v2 g60v3 g60v4 g60v1 (class 1, 2, 3, 0), all objects */
    size_t n = gs_hex(apdu, sizeof(apdu), "C1 01 3C 02 06 3C 03 06 3C 04 06 3C 01 06");
    size_t f = gs_dnp3w_frame(wire, sizeof(wire), 1, 1024, true, 0, apdu, n);
    gs_tcp_send(&s, true, wire, f);
    /* RESPONSE, IIN 0x0000: g30v1 (32-bit analog with flag) points 0..1, g1v2 point 0 */
    n = gs_hex(apdu, sizeof(apdu),
               "C1 81 00 00 1E 01 00 00 01 01 E8 03 00 00 01 D0 07 00 00 01 02 00 00 00 81");
    f = gs_dnp3w_frame(wire, sizeof(wire), 1024, 1, false, 0, apdu, n);
    gs_tcp_send(&s, false, wire, f);
    gs_tcp_close(&s);
}

static void iec104_interrogation(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    gs_tcp_init(&s, w, T0 + 50000, 0x0A030005, 40001, 0x0A030101, 2404);
    gs_tcp_handshake(&s);
    uint8_t apdu[64];
    size_t n = gs_hex(apdu, sizeof(apdu), "68 04 07 00 00 00"); /* STARTDT act */
    gs_tcp_send(&s, true, apdu, n);
    n = gs_hex(apdu, sizeof(apdu), "68 04 0B 00 00 00"); /* STARTDT con */
    gs_tcp_send(&s, false, apdu, n);
    /* C_IC_NA_1 act, CA 1, IOA 0, QOI 20 (station interrogation) */
    n = gs_hex(apdu, sizeof(apdu), "68 0E 00 00 00 00 64 01 06 00 01 00 00 00 00 14");
    gs_tcp_send(&s, true, apdu, n);
    /* C_IC_NA_1 actcon */
    n = gs_hex(apdu, sizeof(apdu), "68 0E 00 00 02 00 64 01 07 00 01 00 00 00 00 14");
    gs_tcp_send(&s, false, apdu, n);
    gs_tcp_close(&s);
}

static void goose(struct gs_pcapw *w)
{
    struct gs_l2_addr l2 = {.src = {0x00, 0x02, 0xA3, 0x11, 0x22, 0x33},
                            .dst = {0x01, 0x0C, 0xCD, 0x01, 0x00, 0x01},
                            .vlan_count = 1,
                            .vlan_pcp = {4}};
    uint8_t pdu[128];
    size_t n = gs_hex(pdu, sizeof(pdu),
                      "00 01 00 63 00 00 00 00 61 59"
                      "80 15 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 47 4F 24 67 63 62 30 31"
                      "81 02 07 D0"
                      "82 10 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 44 53 31"
                      "83 05 67 63 62 30 31"
                      "84 08 6B 5D 12 00 80 00 00 0A"
                      "85 01 05 86 01 00 87 01 00 88 01 01 89 01 00 8A 01 02"
                      "AB 07 83 01 01 84 02 06 40");
    gs_write_l2(w, T0 + 100000, &l2, 0x88B8, pdu, n);
}

static void http(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    gs_tcp_init(&s, w, T0 + 200000, 0x0A030005, 40100, 0x0A030101, 80);
    gs_tcp_handshake(&s);
    static const char req[] = "GET /config.xml HTTP/1.1\r\nHost: 10.3.1.1\r\n\r\n";
    static const char rsp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    gs_tcp_send(&s, true, (const uint8_t *)req, strlen(req));
    gs_tcp_send(&s, false, (const uint8_t *)rsp, strlen(rsp));
    gs_tcp_close(&s);
}

/* Reads a little-endian microsecond pcap as pcapw writes it. */
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool port_selected(const uint8_t *frame, size_t len, const uint16_t *ports)
{
    if (ports == NULL)
        return true;
    /* Ethernet, IPv4 without options, TCP: the generators write nothing else here. */
    if (len < 14 + 20 + 4 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 6)
        return false;
    uint16_t sport = (uint16_t)(frame[34] << 8 | frame[35]);
    uint16_t dport = (uint16_t)(frame[36] << 8 | frame[37]);
    for (; *ports != 0; ports++) {
        if (*ports == sport || *ports == dport)
            return true;
    }
    return false;
}

/* Appends the packets of another generated capture, moved to start at `start_us`, keeping only
 * TCP packets to or from `ports` when ports is not NULL. */
static void append(struct gs_pcapw *w, const char *dir, const char *name, uint64_t start_us,
                   const uint16_t *ports)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    uint8_t hdr[24];
    if (fp == NULL || fread(hdr, 1, sizeof(hdr), fp) != sizeof(hdr) || le32(hdr) != 0xa1b2c3d4u) {
        fprintf(stderr, "gen_demo: cannot read %s\n", path);
        exit(1);
    }
    static uint8_t frame[GS_PCAPW_MAX_FRAME];
    uint8_t rec[16];
    uint64_t first = 0;
    while (fread(rec, 1, sizeof(rec), fp) == sizeof(rec)) {
        uint64_t ts = (uint64_t)le32(rec) * 1000000u + le32(rec + 4);
        uint32_t cap = le32(rec + 8), wire = le32(rec + 12);
        if (cap > sizeof(frame) || fread(frame, 1, cap, fp) != cap) {
            fprintf(stderr, "gen_demo: %s is cut short\n", path);
            exit(1);
        }
        if (first == 0)
            first = ts;
        if (port_selected(frame, cap, ports))
            gs_pcapw_write(w, start_us + (ts - first), frame, cap, wire);
    }
    fclose(fp);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_demo OUT.pcap PCAPS_DIR\n");
        return 2;
    }
    struct gs_pcapw w;
    gs_pcapw_open(&w, argv[1], GS_PCAPW_LINKTYPE_ETHERNET);
    dnp3_poll(&w);
    iec104_interrogation(&w);
    goose(&w);
    http(&w);
    append(&w, argv[2], "dnp3-sa/sha256-reply-mac-bitflip.pcap", T0 + 1000000, NULL);
    static const uint16_t tls_ports[] = {41001, 41003, 41007, 41013, 42001, 42004, 0};
    append(&w, argv[2], "tls_62351.pcap", T0 + 10000000, tls_ports);
    gs_pcapw_close(&w);
    return 0;
}
