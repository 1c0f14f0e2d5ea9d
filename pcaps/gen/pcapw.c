/*
 * pcapw.c - pcap writer and frame builders (see pcapw.h). Generators are build-time tools:
 * on a write error they print why and exit.
 */
#include "pcapw.h"

#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
    fprintf(stderr, "pcap generator: %s\n", what);
    exit(1);
}

static void put16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void gs_pcapw_open(struct gs_pcapw *w, const char *path, uint32_t linktype)
{
    w->fp = fopen(path, "wb");
    w->packets = 0;
    if (w->fp == NULL)
        die(path);
    uint8_t hdr[24];
    put32le(hdr, 0xa1b2c3d4u);
    hdr[4] = 2;
    hdr[5] = 0;
    hdr[6] = 4;
    hdr[7] = 0;
    put32le(hdr + 8, 0);
    put32le(hdr + 12, 0);
    put32le(hdr + 16, 262144);
    put32le(hdr + 20, linktype);
    if (fwrite(hdr, 1, sizeof(hdr), w->fp) != sizeof(hdr))
        die("write failed");
}

void gs_pcapw_close(struct gs_pcapw *w)
{
    if (w->fp != NULL && fclose(w->fp) != 0)
        die("close failed");
    w->fp = NULL;
}

void gs_pcapw_write(struct gs_pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t cap_len,
                    size_t wire_len)
{
    uint8_t rec[16];
    put32le(rec, (uint32_t)(ts_us / 1000000u));
    put32le(rec + 4, (uint32_t)(ts_us % 1000000u));
    put32le(rec + 8, (uint32_t)cap_len);
    put32le(rec + 12, (uint32_t)wire_len);
    if (fwrite(rec, 1, sizeof(rec), w->fp) != sizeof(rec) ||
        fwrite(frame, 1, cap_len, w->fp) != cap_len)
        die("write failed");
    w->packets++;
}

size_t gs_build_ether(uint8_t *out, const struct gs_l2_addr *l2, uint16_t ether_type,
                      const uint8_t *payload, size_t len)
{
    size_t n = 0;
    memcpy(out, l2->dst, 6);
    memcpy(out + 6, l2->src, 6);
    n = 12;
    for (unsigned i = 0; i < l2->vlan_count && i < 2; i++) {
        uint16_t tpid = (l2->vlan_count == 2 && i == 0) ? 0x88A8 : 0x8100;
        put16be(out + n, tpid);
        put16be(out + n + 2, (uint16_t)((l2->vlan_pcp[i] << 13) | (l2->vlan_id[i] & 0x0FFF)));
        n += 4;
    }
    put16be(out + n, ether_type);
    n += 2;
    memcpy(out + n, payload, len);
    n += len;
    /* Ethernet minimum frame (without FCS): 60 bytes, zero padded. */
    while (n < 60)
        out[n++] = 0;
    return n;
}

size_t gs_add_prp_trailer(uint8_t *frame, size_t len, size_t l2_header_len, uint16_t seq,
                          bool lan_b)
{
    size_t lsdu = len - l2_header_len + 6;
    put16be(frame + len, seq);
    put16be(frame + len + 2, (uint16_t)(((lan_b ? 0xBu : 0xAu) << 12) | (lsdu & 0x0FFF)));
    put16be(frame + len + 4, 0x88FB);
    return len + 6;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        acc += (uint32_t)(p[len - 1] << 8);
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xFFFF) + (acc >> 16);
    return (uint16_t)~acc;
}

size_t gs_build_ipv4(uint8_t *out, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
                     uint16_t frag_field, const uint8_t *payload, size_t len)
{
    out[0] = 0x45;
    out[1] = 0;
    put16be(out + 2, (uint16_t)(20 + len));
    put16be(out + 4, id);
    put16be(out + 6, frag_field);
    out[8] = 64;
    out[9] = proto;
    put16be(out + 10, 0);
    put32be(out + 12, src);
    put32be(out + 16, dst);
    put16be(out + 10, fold(sum16(out, 20, 0)));
    memcpy(out + 20, payload, len);
    return 20 + len;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    uint8_t ph[12];
    put32be(ph, src);
    put32be(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    put16be(ph + 10, (uint16_t)len);
    return sum16(ph, sizeof(ph), 0);
}

size_t gs_build_tcp(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                    uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *payload, size_t len)
{
    put16be(out, sport);
    put16be(out + 2, dport);
    put32be(out + 4, seq);
    put32be(out + 8, ack);
    out[12] = 5 << 4;
    out[13] = flags;
    put16be(out + 14, 65535);
    put16be(out + 16, 0);
    put16be(out + 18, 0);
    if (len > 0) /* ACKs and FINs pass no payload */
        memcpy(out + 20, payload, len);
    put16be(out + 16, fold(sum16(out, 20 + len, pseudo_sum(src, dst, 6, 20 + len))));
    return 20 + len;
}

size_t gs_build_udp(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                    const uint8_t *payload, size_t len)
{
    put16be(out, sport);
    put16be(out + 2, dport);
    put16be(out + 4, (uint16_t)(8 + len));
    put16be(out + 6, 0);
    memcpy(out + 8, payload, len);
    uint16_t csum = fold(sum16(out, 8 + len, pseudo_sum(src, dst, 17, 8 + len)));
    put16be(out + 6, csum ? csum : 0xFFFF);
    return 8 + len;
}

void gs_write_udp(struct gs_pcapw *w, uint64_t ts_us, const struct gs_l2_addr *l2, uint32_t src,
                  uint32_t dst, uint16_t sport, uint16_t dport, const uint8_t *payload, size_t len)
{
    static uint8_t udp[GS_PCAPW_MAX_FRAME], ip[GS_PCAPW_MAX_FRAME], frame[GS_PCAPW_MAX_FRAME];
    if (len + 64 > GS_PCAPW_MAX_FRAME)
        die("UDP payload too large");
    size_t n = gs_build_udp(udp, src, dst, sport, dport, payload, len);
    n = gs_build_ipv4(ip, src, dst, 17, (uint16_t)w->packets, 0, udp, n);
    n = gs_build_ether(frame, l2, 0x0800, ip, n);
    gs_pcapw_write(w, ts_us, frame, n, n);
}

void gs_write_l2(struct gs_pcapw *w, uint64_t ts_us, const struct gs_l2_addr *l2,
                 uint16_t ether_type, const uint8_t *payload, size_t len)
{
    static uint8_t frame[GS_PCAPW_MAX_FRAME];
    if (len + 64 > GS_PCAPW_MAX_FRAME)
        die("frame too large");
    size_t n = gs_build_ether(frame, l2, ether_type, payload, len);
    gs_pcapw_write(w, ts_us, frame, n, n);
}

void gs_tcp_init(struct gs_tcp_session *s, struct gs_pcapw *w, uint64_t ts_us, uint32_t client_ip,
                 uint16_t client_port, uint32_t server_ip, uint16_t server_port)
{
    memset(s, 0, sizeof(*s));
    s->w = w;
    s->ts_us = ts_us;
    s->step_us = 1000;
    static const uint8_t cmac[6] = {0x00, 0x1b, 0x21, 0x0a, 0x00, 0x01};
    static const uint8_t smac[6] = {0x00, 0x30, 0xa7, 0x0b, 0x00, 0x02};
    memcpy(s->l2.src, cmac, 6);
    memcpy(s->l2.dst, smac, 6);
    /* The low MAC byte follows the IP so that several sessions look like several hosts. */
    s->l2.src[5] = (uint8_t)client_ip;
    s->l2.dst[5] = (uint8_t)server_ip;
    s->client_ip = client_ip;
    s->server_ip = server_ip;
    s->client_port = client_port;
    s->server_port = server_port;
    s->client_seq = 0x10000000u + client_port * 7919u;
    s->server_seq = 0x20000000u + server_port * 104729u;
}

static void write_segment(struct gs_tcp_session *s, bool from_client, uint32_t seq, uint32_t ack,
                          uint8_t flags, const uint8_t *data, size_t len)
{
    static uint8_t tcp[GS_PCAPW_MAX_FRAME], ip[GS_PCAPW_MAX_FRAME], frame[GS_PCAPW_MAX_FRAME];
    if (len + 80 > GS_PCAPW_MAX_FRAME)
        die("TCP payload too large");
    uint32_t src = from_client ? s->client_ip : s->server_ip;
    uint32_t dst = from_client ? s->server_ip : s->client_ip;
    uint16_t sport = from_client ? s->client_port : s->server_port;
    uint16_t dport = from_client ? s->server_port : s->client_port;
    size_t n = gs_build_tcp(tcp, src, dst, sport, dport, seq, ack, flags, data, len);
    n = gs_build_ipv4(ip, src, dst, 6, (uint16_t)s->w->packets, 0x4000, tcp, n);
    struct gs_l2_addr l2 = s->l2;
    if (!from_client) {
        memcpy(l2.src, s->l2.dst, 6);
        memcpy(l2.dst, s->l2.src, 6);
    }
    n = gs_build_ether(frame, &l2, 0x0800, ip, n);
    gs_pcapw_write(s->w, s->ts_us, frame, n, n);
    s->ts_us += s->step_us;
}

void gs_tcp_handshake(struct gs_tcp_session *s)
{
    write_segment(s, true, s->client_seq, 0, GS_TCPF_SYN, NULL, 0);
    s->client_seq++;
    write_segment(s, false, s->server_seq, s->client_seq, GS_TCPF_SYN | GS_TCPF_ACK, NULL, 0);
    s->server_seq++;
    write_segment(s, true, s->client_seq, s->server_seq, GS_TCPF_ACK, NULL, 0);
}

void gs_tcp_send(struct gs_tcp_session *s, bool from_client, const uint8_t *data, size_t len)
{
    uint32_t *seq = from_client ? &s->client_seq : &s->server_seq;
    uint32_t *peer = from_client ? &s->server_seq : &s->client_seq;
    write_segment(s, from_client, *seq, *peer, GS_TCPF_PSH | GS_TCPF_ACK, data, len);
    *seq += (uint32_t)len;
    write_segment(s, !from_client, *peer, *seq, GS_TCPF_ACK, NULL, 0);
}

void gs_tcp_send_segmented(struct gs_tcp_session *s, bool from_client, const uint8_t *data,
                           size_t len, size_t seg_len)
{
    for (size_t off = 0; off < len; off += seg_len) {
        size_t n = len - off < seg_len ? len - off : seg_len;
        gs_tcp_send(s, from_client, data + off, n);
    }
}

void gs_tcp_raw(struct gs_tcp_session *s, bool from_client, uint32_t seq, uint8_t flags,
                const uint8_t *data, size_t len)
{
    uint32_t ack = from_client ? s->server_seq : s->client_seq;
    write_segment(s, from_client, seq, ack, flags, data, len);
}

void gs_tcp_close(struct gs_tcp_session *s)
{
    write_segment(s, true, s->client_seq, s->server_seq, GS_TCPF_FIN | GS_TCPF_ACK, NULL, 0);
    s->client_seq++;
    write_segment(s, false, s->server_seq, s->client_seq, GS_TCPF_FIN | GS_TCPF_ACK, NULL, 0);
    s->server_seq++;
    write_segment(s, true, s->client_seq, s->server_seq, GS_TCPF_ACK, NULL, 0);
}

size_t gs_hex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p != '\0'; p++) {
        int v;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else if (*p == ' ' || *p == '\n' || *p == ':')
            continue;
        else
            die("bad hex digit");
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == cap)
            die("hex too long");
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0)
        die("odd number of hex digits");
    return n;
}
