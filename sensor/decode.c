/*
 * decode.c - link, network and transport decoding (see decode.h).
 *
 * Ethernet II (IEEE 802.3 §3.2.6), 802.1Q/802.1ad tags, HSR tag and PRP-1 trailer
 * (IEC 62439-3 §4.1.10, §5.2.2), IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293), UDP (RFC 768).
 *
 *   | dst MAC 6 | src MAC 6 | [0x8100 TCI]* | [0x892F path|size seq] | type 2 | payload | [RCT 6] |
 *
 *   RCT (PRP trailer) = seq 2 | LAN id 4 bits + LSDU size 12 bits | 0x88FB
 */
#include "decode.h"

#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "ipfrag.h"
#include "redundancy.h"

#define ETHERTYPE_IPV4     0x0800u
#define ETHERTYPE_ARP      0x0806u
#define ETHERTYPE_VLAN     0x8100u
#define ETHERTYPE_QINQ     0x88A8u
#define ETHERTYPE_QINQ_OLD 0x9100u
#define ETHERTYPE_IPV6     0x86DDu
#define ETHERTYPE_GOOSE    0x88B8u
#define ETHERTYPE_GSE      0x88B9u
#define ETHERTYPE_SV       0x88BAu
#define ETHERTYPE_PRP      0x88FBu
#define ETHERTYPE_HSR      0x892Fu
#define ETHERTYPE_MIN      0x0600u /* below: an 802.3 length, not a type */

#define MAX_TAGS        4
#define PRP_TRAILER_LEN 6
#define PRP_LAN_A       0xAu
#define PRP_LAN_B       0xBu
#define PRP_LAN(w)      ((uint8_t)(((w) >> 12) & 0x0Fu))
#define PRP_LSDU(w)     ((uint16_t)((w)&0x0FFFu))
#define HSR_PATH(w)     ((uint8_t)(((w) >> 12) & 0x0Fu))
#define VLAN_ID(tci)    ((uint16_t)((tci)&0x0FFFu))
#define VLAN_PCP(tci)   ((uint8_t)(((tci) >> 13) & 0x07u))

#define IP_VERSION(b)     ((uint8_t)(((b) >> 4) & 0x0Fu))
#define IPV4_IHL_BYTES(b) ((size_t)((b)&0x0Fu) * 4u)
#define IPV4_MF(f)        (((f)&0x2000u) != 0)
#define IPV4_FRAG_OFF(f)  ((uint32_t)((f)&0x1FFFu) * 8u)
#define IPV6_FRAG_OFF(f)  ((uint32_t)((f)&0xFFF8u))
#define IPV6_MF(f)        (((f)&0x0001u) != 0)
#define TCP_DATA_OFF(b)   ((size_t)(((b) >> 4) & 0x0Fu) * 4u)

#define IPPROTO_V6_HOPOPTS  0
#define IPPROTO_V4_ICMP     1
#define IPPROTO_V4_TCP      6
#define IPPROTO_V4_UDP      17
#define IPPROTO_V6_ROUTING  43
#define IPPROTO_V6_FRAGMENT 44
#define IPPROTO_V6_AH       51
#define IPPROTO_V6_ICMP     58
#define IPPROTO_V6_NONE     59
#define IPPROTO_V6_DSTOPTS  60
#define MAX_IPV6_EXT        8

#define SLL_HDR_LEN  16
#define SLL2_HDR_LEN 20

struct gs_decoder {
    const struct gs_config *cfg;
    struct gs_stats *stats;
    struct gs_ipfrag *frag;
    struct gs_redundancy *redundancy;
};

struct gs_decoder *gs_decoder_create(const struct gs_config *cfg, struct gs_stats *stats)
{
    struct gs_decoder *dec = calloc(1, sizeof(*dec));
    if (dec == NULL)
        return NULL;
    dec->cfg = cfg;
    dec->stats = stats;
    dec->frag = gs_ipfrag_create(cfg, &stats->decode);
    dec->redundancy = gs_redundancy_create(cfg->redundancy_max_nodes);
    if (dec->frag == NULL || dec->redundancy == NULL) {
        gs_decoder_destroy(dec);
        return NULL;
    }
    return dec;
}

void gs_decoder_destroy(struct gs_decoder *dec)
{
    if (dec == NULL)
        return;
    gs_ipfrag_destroy(dec->frag);
    gs_redundancy_destroy(dec->redundancy);
    free(dec);
}

/* Maps a cursor error after reading headers to the decode result, and counts it. */
static enum gs_decode_result header_error(struct gs_decoder *dec, const struct gs_cursor *cur)
{
    if (cur->err == GS_CUR_SHORT) {
        dec->stats->decode.truncated++;
        return GS_DECODE_TRUNCATED;
    }
    dec->stats->decode.malformed++;
    return GS_DECODE_MALFORMED;
}

static enum gs_decode_result malformed(struct gs_decoder *dec)
{
    dec->stats->decode.malformed++;
    return GS_DECODE_MALFORMED;
}

static enum gs_decode_result decode_transport(struct gs_decoder *dec, struct gs_cursor *cur,
                                              struct gs_decoded *out)
{
    switch (out->ip_proto) {
    case IPPROTO_V4_TCP: {
        out->src_port = gs_cur_be16(cur);
        out->dst_port = gs_cur_be16(cur);
        out->tcp_seq = gs_cur_be32(cur);
        out->tcp_ack = gs_cur_be32(cur);
        size_t hdr_len = TCP_DATA_OFF(gs_cur_u8(cur));
        out->tcp_flags = gs_cur_u8(cur);
        gs_cur_skip(cur, 6); /* window, checksum, urgent pointer */
        if (!gs_cur_ok(cur))
            return header_error(dec, cur);
        if (hdr_len < 20)
            return malformed(dec);
        gs_cur_skip(cur, hdr_len - 20);
        if (!gs_cur_ok(cur))
            return header_error(dec, cur);
        out->payload = gs_cur_sub(cur, gs_cur_wire_remaining(cur));
        dec->stats->decode.tcp++;
        return GS_DECODE_L4;
    }
    case IPPROTO_V4_UDP: {
        out->src_port = gs_cur_be16(cur);
        out->dst_port = gs_cur_be16(cur);
        uint16_t len = gs_cur_be16(cur);
        gs_cur_skip(cur, 2);
        if (!gs_cur_ok(cur))
            return header_error(dec, cur);
        /* The UDP length must fit the IP payload; a shorter one leaves trailing padding. */
        if (len < 8 || (size_t)(len - 8) > gs_cur_wire_remaining(cur))
            return malformed(dec);
        out->payload = gs_cur_sub(cur, (size_t)len - 8);
        dec->stats->decode.udp++;
        return GS_DECODE_L4;
    }
    case IPPROTO_V4_ICMP:
    case IPPROTO_V6_ICMP:
        dec->stats->decode.icmp++;
        return GS_DECODE_OTHER;
    default:
        dec->stats->decode.ip_other++;
        return GS_DECODE_OTHER;
    }
}

/* A fragment: hand it to reassembly, and decode the transport of a completed datagram. */
static enum gs_decode_result decode_fragment(struct gs_decoder *dec, const struct gs_packet *pkt,
                                             struct gs_cursor *cur, struct gs_decoded *out,
                                             uint32_t id, uint32_t offset, bool more)
{
    if (cur->cap_len < cur->wire_len) {
        /* A fragment cut by the snaplen cannot be reassembled. */
        dec->stats->decode.truncated++;
        dec->stats->decode.ip_frag_dropped++;
        return GS_DECODE_TRUNCATED;
    }
    struct gs_ipfrag_key key = {.version = out->ip_version, .proto = out->ip_proto, .id = id};
    memcpy(key.src, out->src.addr, 16);
    memcpy(key.dst, out->dst.addr, 16);
    struct gs_span datagram;
    enum gs_ipfrag_result r =
        gs_ipfrag_add(dec->frag, &key, pkt->ts_us, offset, more, gs_cur_rest(cur), &datagram);
    if (r == GS_IPFRAG_HELD)
        return GS_DECODE_HELD;
    if (r == GS_IPFRAG_DROPPED)
        return GS_DECODE_OTHER;
    struct gs_cursor whole = gs_cur_init(datagram.ptr, datagram.len);
    out->reassembled = true;
    out->ip_hdr.ptr = NULL;
    out->ip_hdr.len = 0;
    return decode_transport(dec, &whole, out);
}

static enum gs_decode_result decode_ipv4(struct gs_decoder *dec, const struct gs_packet *pkt,
                                         struct gs_cursor *cur, struct gs_decoded *out)
{
    struct gs_cursor start = *cur;
    uint8_t vhl = gs_cur_u8(cur);
    gs_cur_skip(cur, 1); /* DSCP/ECN */
    uint16_t total_len = gs_cur_be16(cur);
    uint16_t id = gs_cur_be16(cur);
    uint16_t frag = gs_cur_be16(cur);
    gs_cur_skip(cur, 1); /* TTL */
    out->ip_proto = gs_cur_u8(cur);
    gs_cur_skip(cur, 2); /* header checksum: offload makes it unreliable in captures */
    out->src.family = 4;
    out->dst.family = 4;
    gs_cur_copy(cur, out->src.addr, 4);
    gs_cur_copy(cur, out->dst.addr, 4);
    if (!gs_cur_ok(cur))
        return header_error(dec, cur);
    size_t ihl = IPV4_IHL_BYTES(vhl);
    if (IP_VERSION(vhl) != 4 || ihl < 20 || total_len < ihl)
        return malformed(dec);
    /* The datagram: total_len bytes from the header start; what follows is link padding. */
    struct gs_cursor dgram = gs_cur_sub(&start, total_len);
    if (dgram.err == GS_CUR_BAD)
        return malformed(dec);
    out->ip_version = 4;
    out->ip_hdr.ptr = gs_cur_ptr(&dgram);
    out->ip_hdr.len = dgram.cap_len;
    gs_cur_skip(&dgram, ihl);
    if (!gs_cur_ok(&dgram))
        return header_error(dec, &dgram);
    dec->stats->decode.ipv4++;
    if (IPV4_MF(frag) || IPV4_FRAG_OFF(frag) != 0)
        return decode_fragment(dec, pkt, &dgram, out, id, IPV4_FRAG_OFF(frag), IPV4_MF(frag));
    return decode_transport(dec, &dgram, out);
}

static enum gs_decode_result decode_ipv6(struct gs_decoder *dec, const struct gs_packet *pkt,
                                         struct gs_cursor *cur, struct gs_decoded *out)
{
    struct gs_cursor start = *cur;
    uint8_t first = gs_cur_u8(cur);
    gs_cur_skip(cur, 3); /* traffic class, flow label */
    uint16_t payload_len = gs_cur_be16(cur);
    uint8_t next = gs_cur_u8(cur);
    gs_cur_skip(cur, 1); /* hop limit */
    out->src.family = 6;
    out->dst.family = 6;
    gs_cur_copy(cur, out->src.addr, 16);
    gs_cur_copy(cur, out->dst.addr, 16);
    if (!gs_cur_ok(cur))
        return header_error(dec, cur);
    if (IP_VERSION(first) != 6)
        return malformed(dec);
    /* Jumbograms (payload length 0 with a hop-by-hop option) do not occur on OT links; a zero
     * length is read as an empty payload. */
    struct gs_cursor dgram = gs_cur_sub(&start, 40u + payload_len);
    if (dgram.err == GS_CUR_BAD)
        return malformed(dec);
    out->ip_version = 6;
    out->ip_hdr.ptr = gs_cur_ptr(&dgram);
    out->ip_hdr.len = dgram.cap_len;
    gs_cur_skip(&dgram, 40);
    dec->stats->decode.ipv6++;

    for (int i = 0; i < MAX_IPV6_EXT; i++) {
        switch (next) {
        case IPPROTO_V6_HOPOPTS:
        case IPPROTO_V6_ROUTING:
        case IPPROTO_V6_DSTOPTS: {
            next = gs_cur_u8(&dgram);
            size_t len = ((size_t)gs_cur_u8(&dgram) + 1) * 8;
            gs_cur_skip(&dgram, len - 2);
            break;
        }
        case IPPROTO_V6_AH: {
            next = gs_cur_u8(&dgram);
            size_t len = ((size_t)gs_cur_u8(&dgram) + 2) * 4;
            gs_cur_skip(&dgram, len - 2);
            break;
        }
        case IPPROTO_V6_FRAGMENT: {
            next = gs_cur_u8(&dgram);
            out->ip_proto = next;
            gs_cur_skip(&dgram, 1);
            uint16_t off = gs_cur_be16(&dgram);
            uint32_t id = gs_cur_be32(&dgram);
            if (!gs_cur_ok(&dgram))
                return header_error(dec, &dgram);
            if (IPV6_FRAG_OFF(off) == 0 && !IPV6_MF(off))
                break; /* an atomic fragment: the payload is whole */
            return decode_fragment(dec, pkt, &dgram, out, id, IPV6_FRAG_OFF(off), IPV6_MF(off));
        }
        case IPPROTO_V6_NONE:
            dec->stats->decode.ip_other++;
            return GS_DECODE_OTHER;
        default:
            if (!gs_cur_ok(&dgram))
                return header_error(dec, &dgram);
            out->ip_proto = next;
            return decode_transport(dec, &dgram, out);
        }
        if (!gs_cur_ok(&dgram))
            return header_error(dec, &dgram);
    }
    /* A longer extension chain than any real stack sends. */
    return malformed(dec);
}

static enum gs_decode_result decode_ip_by_version(struct gs_decoder *dec,
                                                  const struct gs_packet *pkt,
                                                  struct gs_cursor *cur, struct gs_decoded *out)
{
    uint8_t first = gs_cur_peek_u8(cur);
    if (gs_cur_remaining(cur) == 0)
        return header_error(dec, cur);
    if (IP_VERSION(first) == 4)
        return decode_ipv4(dec, pkt, cur, out);
    if (IP_VERSION(first) == 6)
        return decode_ipv6(dec, pkt, cur, out);
    return malformed(dec);
}

/* Walks tags from the first Ethertype `type` (already read) and dispatches on the payload's
 * Ethertype; shared by Ethernet and Linux cooked captures. */
static enum gs_decode_result decode_ethertype(struct gs_decoder *dec, const struct gs_packet *pkt,
                                              struct gs_cursor *cur, struct gs_decoded *out,
                                              uint16_t type)
{
    for (int tags = 0;; tags++) {
        if (type != ETHERTYPE_VLAN && type != ETHERTYPE_QINQ && type != ETHERTYPE_QINQ_OLD &&
            type != ETHERTYPE_HSR)
            break;
        if (tags >= MAX_TAGS)
            return malformed(dec);
        if (type == ETHERTYPE_HSR) {
            uint16_t path = gs_cur_be16(cur);
            out->l2.hsr = true;
            out->l2.hsr_path = HSR_PATH(path);
            out->l2.hsr_seq = gs_cur_be16(cur);
        } else {
            uint16_t tci = gs_cur_be16(cur);
            if (out->l2.vlan_count < 2) {
                out->l2.vlan_id[out->l2.vlan_count] = VLAN_ID(tci);
                out->l2.vlan_pcp[out->l2.vlan_count] = VLAN_PCP(tci);
            }
            out->l2.vlan_count++;
        }
        type = gs_cur_be16(cur);
        if (!gs_cur_ok(cur))
            return header_error(dec, cur);
    }
    out->l2.ether_type = type;
    if (out->l2.vlan_count > 0)
        dec->stats->decode.vlan++;
    if (out->l2.vlan_count > 1)
        dec->stats->decode.qinq++;
    if (out->l2.vlan_count > 2)
        out->l2.vlan_count = 2;
    if (out->l2.hsr) {
        dec->stats->decode.hsr++;
        if (out->l2.has_mac &&
            gs_redundancy_is_duplicate(dec->redundancy, out->l2.src_mac, out->l2.hsr_seq)) {
            dec->stats->decode.redundancy_duplicates++;
            return GS_DECODE_DUPLICATE;
        }
    }

    switch (out->l2.ether_type) {
    case ETHERTYPE_IPV4:
    case ETHERTYPE_IPV6:
        return decode_ip_by_version(dec, pkt, cur, out);
    case ETHERTYPE_GOOSE:
    case ETHERTYPE_GSE:
        dec->stats->decode.l2_goose++;
        out->payload = gs_cur_sub(cur, gs_cur_wire_remaining(cur));
        return GS_DECODE_L2;
    case ETHERTYPE_SV:
        dec->stats->decode.l2_sv++;
        out->payload = gs_cur_sub(cur, gs_cur_wire_remaining(cur));
        return GS_DECODE_L2;
    case ETHERTYPE_PRP:
        dec->stats->decode.prp_supervision++;
        return GS_DECODE_OTHER;
    default:
        dec->stats->decode.l2_other++;
        return GS_DECODE_OTHER;
    }
}

/*
 * Strips a PRP redundancy control trailer from a whole frame: the suffix 0x88FB and a LAN id
 * of A or B identify it (IEC 62439-3 §4.1.10). The LSDU size is not required to match, as
 * early implementations filled it differently.
 */
static void strip_prp_trailer(struct gs_decoder *dec, struct gs_cursor *frame,
                              struct gs_decoded *out)
{
    if (frame->cap_len != frame->wire_len ||
        frame->wire_len - gs_cur_pos(frame) < 2 + PRP_TRAILER_LEN)
        return;
    struct gs_cursor tail = *frame;
    gs_cur_skip(&tail, frame->wire_len - gs_cur_pos(frame) - PRP_TRAILER_LEN);
    uint16_t seq = gs_cur_be16(&tail);
    uint16_t lan_size = gs_cur_be16(&tail);
    uint16_t suffix = gs_cur_be16(&tail);
    if (!gs_cur_ok(&tail) || suffix != ETHERTYPE_PRP)
        return;
    uint8_t lan = PRP_LAN(lan_size);
    if (lan != PRP_LAN_A && lan != PRP_LAN_B)
        return;
    out->l2.prp = true;
    out->l2.prp_lan = lan;
    out->l2.prp_seq = seq;
    frame->cap_len -= PRP_TRAILER_LEN;
    frame->wire_len -= PRP_TRAILER_LEN;
    dec->stats->decode.prp++;
}

static enum gs_decode_result decode_ethernet(struct gs_decoder *dec, const struct gs_packet *pkt,
                                             struct gs_cursor *cur, struct gs_decoded *out)
{
    dec->stats->decode.ethernet++;
    gs_cur_copy(cur, out->l2.dst_mac, 6);
    gs_cur_copy(cur, out->l2.src_mac, 6);
    if (!gs_cur_ok(cur))
        return header_error(dec, cur);
    out->l2.has_mac = true;
    strip_prp_trailer(dec, cur, out);
    if (out->l2.prp &&
        gs_redundancy_is_duplicate(dec->redundancy, out->l2.src_mac, out->l2.prp_seq)) {
        dec->stats->decode.redundancy_duplicates++;
        return GS_DECODE_DUPLICATE;
    }
    uint16_t type = gs_cur_be16(cur);
    if (!gs_cur_ok(cur))
        return header_error(dec, cur);
    if (type < ETHERTYPE_MIN) {
        /* An 802.3 length field: LLC/SNAP frames (STP, ISO CLNP...) carry nothing we dissect. */
        dec->stats->decode.l2_other++;
        return GS_DECODE_OTHER;
    }
    return decode_ethertype(dec, pkt, cur, out, type);
}

static enum gs_decode_result decode_sll(struct gs_decoder *dec, const struct gs_packet *pkt,
                                        struct gs_cursor *cur, struct gs_decoded *out, bool v2)
{
    dec->stats->decode.sll++;
    uint16_t type;
    if (v2) {
        /* protocol 2 | reserved 2 | ifindex 4 | ARPHRD 2 | pkttype 1 | addr len 1 | addr 8 */
        type = gs_cur_be16(cur);
        gs_cur_skip(cur, SLL2_HDR_LEN - 2);
    } else {
        /* pkttype 2 | ARPHRD 2 | addr len 2 | addr 8 | protocol 2 */
        gs_cur_skip(cur, SLL_HDR_LEN - 2);
        type = gs_cur_be16(cur);
    }
    if (!gs_cur_ok(cur))
        return header_error(dec, cur);
    return decode_ethertype(dec, pkt, cur, out, type);
}

/* BSD loopback: a 4-byte address family in the writer's byte order. */
static enum gs_decode_result decode_null(struct gs_decoder *dec, const struct gs_packet *pkt,
                                         struct gs_cursor *cur, struct gs_decoded *out)
{
    dec->stats->decode.null_loopback++;
    gs_cur_skip(cur, 4);
    if (!gs_cur_ok(cur))
        return header_error(dec, cur);
    return decode_ip_by_version(dec, pkt, cur, out);
}

enum gs_decode_result gs_decode_packet(struct gs_decoder *dec, const struct gs_packet *pkt,
                                       struct gs_decoded *out)
{
    memset(out, 0, sizeof(*out));
    struct gs_cursor cur = gs_cur_init_wire(pkt->data, pkt->cap_len, pkt->wire_len);
    switch (pkt->dlt) {
    case DLT_EN10MB:
        return decode_ethernet(dec, pkt, &cur, out);
    case DLT_LINUX_SLL:
        return decode_sll(dec, pkt, &cur, out, false);
    case DLT_LINUX_SLL2:
        return decode_sll(dec, pkt, &cur, out, true);
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
        dec->stats->decode.raw_ip++;
        return decode_ip_by_version(dec, pkt, &cur, out);
    case DLT_NULL:
    case DLT_LOOP:
        return decode_null(dec, pkt, &cur, out);
    default:
        dec->stats->decode.unsupported_link++;
        return GS_DECODE_UNSUPPORTED_LINK;
    }
}
