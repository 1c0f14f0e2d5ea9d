/*
 * pcapw.h - a small, dependency-free pcap writer and frame builder for the project's own
 * generated captures (tests, demo). Deterministic: the same calls give the same bytes.
 *
 * Frames are built with correct IPv4, TCP and UDP checksums. A TCP session helper writes the
 * handshake, data segments (each acknowledged by the peer) and the close, tracking sequence
 * numbers, so a generator only says who sends which bytes.
 */
#ifndef GS_PCAPS_PCAPW_H
#define GS_PCAPS_PCAPW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GS_PCAPW_LINKTYPE_ETHERNET 1
#define GS_PCAPW_MAX_FRAME         65600

struct gs_pcapw {
    FILE *fp;
    uint64_t packets;
};

/* Opens `path` and writes a microsecond pcap header; exits the generator on failure. */
void gs_pcapw_open(struct gs_pcapw *w, const char *path, uint32_t linktype);
void gs_pcapw_close(struct gs_pcapw *w);

/* Writes one record; cap_len < wire_len writes a snaplen-truncated record. */
void gs_pcapw_write(struct gs_pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t cap_len,
                    size_t wire_len);

/* Link-layer addressing of a frame. vlan_count 0, 1 or 2 (QinQ: 802.1ad outer, 802.1Q inner). */
struct gs_l2_addr {
    uint8_t src[6];
    uint8_t dst[6];
    unsigned vlan_count;
    uint16_t vlan_id[2];
    uint8_t vlan_pcp[2];
};

/* Builds an Ethernet frame (tags, Ethertype, payload); returns its length. */
size_t gs_build_ether(uint8_t *out, const struct gs_l2_addr *l2, uint16_t ether_type,
                      const uint8_t *payload, size_t len);

/* Appends a PRP-1 redundancy control trailer to a frame of `len` bytes; returns the new
 * length. The LSDU size counts from after the Ethertype (and tags) to the end of the trailer. */
size_t gs_add_prp_trailer(uint8_t *frame, size_t len, size_t l2_header_len, uint16_t seq,
                          bool lan_b);

/* Builds an IPv4 packet (no options, DF clear) with the given protocol and payload. */
size_t gs_build_ipv4(uint8_t *out, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
                     uint16_t frag_field, const uint8_t *payload, size_t len);

/* Builds a TCP segment (20-byte header) with a correct checksum over the IPv4 pseudo header. */
size_t gs_build_tcp(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                    uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *payload, size_t len);

/* Builds a UDP datagram with a correct checksum over the IPv4 pseudo header. */
size_t gs_build_udp(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                    const uint8_t *payload, size_t len);

/* Writes an Ethernet/IPv4/UDP frame. */
void gs_write_udp(struct gs_pcapw *w, uint64_t ts_us, const struct gs_l2_addr *l2, uint32_t src,
                  uint32_t dst, uint16_t sport, uint16_t dport, const uint8_t *payload, size_t len);

/* Writes a layer-2 frame with the given Ethertype (GOOSE 0x88B8, SV 0x88BA). */
void gs_write_l2(struct gs_pcapw *w, uint64_t ts_us, const struct gs_l2_addr *l2,
                 uint16_t ether_type, const uint8_t *payload, size_t len);

#define GS_TCPF_FIN 0x01
#define GS_TCPF_SYN 0x02
#define GS_TCPF_RST 0x04
#define GS_TCPF_PSH 0x08
#define GS_TCPF_ACK 0x10

/* A TCP connection between a client and a server, written to a capture. */
struct gs_tcp_session {
    struct gs_pcapw *w;
    uint64_t ts_us;       /* time of the next packet */
    uint64_t step_us;     /* time between packets */
    struct gs_l2_addr l2; /* client -> server addressing (reversed for the server's frames) */
    uint32_t client_ip, server_ip;
    uint16_t client_port, server_port;
    uint32_t client_seq, server_seq;
};

/* Initialises a session; addresses are host-order IPv4 (e.g. 0x0A000001 for 10.0.0.1). */
void gs_tcp_init(struct gs_tcp_session *s, struct gs_pcapw *w, uint64_t ts_us, uint32_t client_ip,
                 uint16_t client_port, uint32_t server_ip, uint16_t server_port);

/* SYN, SYN-ACK, ACK. */
void gs_tcp_handshake(struct gs_tcp_session *s);

/* One data segment from one side, then the peer's ACK. */
void gs_tcp_send(struct gs_tcp_session *s, bool from_client, const uint8_t *data, size_t len);

/* The same bytes cut into segments of at most seg_len bytes (each acknowledged). */
void gs_tcp_send_segmented(struct gs_tcp_session *s, bool from_client, const uint8_t *data,
                           size_t len, size_t seg_len);

/* One raw segment with explicit flags and sequence number, nothing else (for tests of
 * retransmission, reordering and loss); does not move the session's sequence numbers. */
void gs_tcp_raw(struct gs_tcp_session *s, bool from_client, uint32_t seq, uint8_t flags,
                const uint8_t *data, size_t len);

/* FIN from the client, FIN-ACK from the server, final ACK. */
void gs_tcp_close(struct gs_tcp_session *s);

/* Parses "AA BB CC" / "aabbcc" hex (spaces, newlines, ':' and '|' ignored) into out;
 * exits on bad input. */
size_t gs_hex(uint8_t *out, size_t cap, const char *hex);

#endif
