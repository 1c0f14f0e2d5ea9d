/*
 * community_id.c - Community ID v1 (see community_id.h).
 */
#include "community_id.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#define PROTO_ICMP   1
#define PROTO_ICMPV6 58

/* ICMP types that have a counterpart, so request and reply share one ID (spec §ICMP). */
static bool icmp_counterpart(uint8_t proto, uint16_t type, uint16_t *other)
{
    static const uint8_t v4[][2] = {{8, 0},   {0, 8},  {13, 14}, {14, 13}, {15, 16},
                                    {16, 15}, {10, 9}, {17, 18}, {18, 17}};
    static const uint8_t v6[][2] = {{128, 129}, {129, 128}, {133, 134}, {134, 133},
                                    {135, 136}, {136, 135}, {130, 131}, {131, 130},
                                    {139, 140}, {140, 139}, {144, 145}, {145, 144}};
    const uint8_t(*map)[2] = proto == PROTO_ICMP ? v4 : v6;
    size_t n = proto == PROTO_ICMP ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);
    for (size_t i = 0; i < n; i++) {
        if (map[i][0] == type) {
            *other = map[i][1];
            return true;
        }
    }
    return false;
}

static bool endpoint_less(const struct gs_ip *a, uint16_t pa, const struct gs_ip *b, uint16_t pb)
{
    size_t n = a->family == 6 ? 16 : 4;
    int c = memcmp(a->addr, b->addr, n);
    return c < 0 || (c == 0 && pa < pb);
}

void gs_community_id(const struct gs_ip *src, const struct gs_ip *dst, uint8_t proto,
                     uint16_t src_port, uint16_t dst_port, bool has_ports, uint16_t seed,
                     char out[GS_COMMUNITY_ID_LEN])
{
    bool one_way = false;
    if (has_ports && (proto == PROTO_ICMP || proto == PROTO_ICMPV6)) {
        uint16_t other;
        if (icmp_counterpart(proto, src_port, &other))
            dst_port = other;
        else
            one_way = true;
    }
    if (!has_ports) {
        src_port = 0;
        dst_port = 0;
    }
    bool keep = one_way || endpoint_less(src, src_port, dst, dst_port);
    const struct gs_ip *lo = keep ? src : dst;
    const struct gs_ip *hi = keep ? dst : src;
    uint16_t port_lo = keep ? src_port : dst_port;
    uint16_t port_hi = keep ? dst_port : src_port;
    size_t alen = src->family == 6 ? 16 : 4;

    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, lo->addr, alen);
    n += alen;
    memcpy(buf + n, hi->addr, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (has_ports) {
        buf[n++] = (uint8_t)(port_lo >> 8);
        buf[n++] = (uint8_t)port_lo;
        buf[n++] = (uint8_t)(port_hi >> 8);
        buf[n++] = (uint8_t)port_hi;
    }
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1(buf, n, digest);
    out[0] = '1';
    out[1] = ':';
    EVP_EncodeBlock((unsigned char *)out + 2, digest, SHA_DIGEST_LENGTH);
}
