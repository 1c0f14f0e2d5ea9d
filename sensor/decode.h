/*
 * decode.h - link, network and transport decoding of one captured packet.
 *
 *   Ethernet | Linux SLL/SLL2 | BSD null/loop | raw IP
 *     -> 802.1Q / 802.1ad / QinQ tags, HSR tag (stripped), PRP trailer (stripped)
 *     -> GOOSE / SV / GSE Ethertypes: handed on as layer-2 payloads
 *     -> IPv4 (fragments reassembled, bounded) / IPv6 (extension headers, fragments)
 *     -> TCP / UDP: ports, sequence numbers, payload
 *
 * Everything is read through the cursor, in place: the decoded payload points into the packet
 * buffer, or into the fragment reassembly buffer for a reassembled datagram. Truncated and
 * malformed packets are counted in the stats and never dissected further.
 */
#ifndef GS_SENSOR_DECODE_H
#define GS_SENSOR_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "cursor.h"
#include "dissector.h"
#include "stats.h"

/* One packet as capture delivers it. */
struct gs_packet {
    uint64_t ts_us;
    uint64_t pcap_cnt;
    const uint8_t *data;
    uint32_t cap_len;
    uint32_t wire_len;
    int dlt; /* libpcap DLT_* link type */
};

enum gs_decode_result {
    GS_DECODE_L4,        /* TCP or UDP: ports and payload are set */
    GS_DECODE_L2,        /* an Ethertype for a layer-2 dissector: payload follows the tags */
    GS_DECODE_OTHER,     /* counted, nothing to dissect (ARP, ICMP, other IP protocols...) */
    GS_DECODE_HELD,      /* an IP fragment kept for reassembly */
    GS_DECODE_DUPLICATE, /* the PRP/HSR twin of a frame already seen */
    GS_DECODE_TRUNCATED, /* headers cut by the capture's snaplen */
    GS_DECODE_MALFORMED, /* headers that contradict themselves */
    GS_DECODE_UNSUPPORTED_LINK,
};

#define GS_TCP_FIN 0x01u
#define GS_TCP_SYN 0x02u
#define GS_TCP_RST 0x04u
#define GS_TCP_PSH 0x08u
#define GS_TCP_ACK 0x10u

struct gs_decoded {
    struct gs_l2_info l2;
    uint8_t ip_version; /* 0 for layer-2 payloads */
    struct gs_ip src, dst;
    uint8_t ip_proto;
    bool reassembled;      /* the payload comes from IP fragment reassembly */
    struct gs_span ip_hdr; /* the IP packet from its header (for classification), may be empty */
    uint16_t src_port, dst_port;
    uint32_t tcp_seq, tcp_ack;
    uint8_t tcp_flags;
    struct gs_cursor payload; /* TCP/UDP payload, or the layer-2 payload after the Ethertype */
};

struct gs_decoder;

/* Creates a decoder with its fragment and PRP/HSR state bounded by cfg; counters go to stats
 * (which must outlive the decoder). Returns NULL on allocation failure. */
struct gs_decoder *gs_decoder_create(const struct gs_config *cfg, struct gs_stats *stats);
void gs_decoder_destroy(struct gs_decoder *dec);

/*
 * Decodes one packet into *out and counts it. For GS_DECODE_L4 and GS_DECODE_L2 the payload
 * cursor is valid until the next call (it may point into the decoder's reassembly buffer).
 */
enum gs_decode_result gs_decode_packet(struct gs_decoder *dec, const struct gs_packet *pkt,
                                       struct gs_decoded *out);

#endif
