/*
 * dissector.h - the contract between the sensor's pipeline and each protocol dissector.
 *
 * A dissector turns bytes into typed events. It knows nothing of policy, keys or JSON, never
 * allocates per packet, and reads bytes only through the cursor. The sensor owns flows and
 * stream reassembly and calls the dissector with contiguous in-order bytes:
 *
 *   decode -> flow -> [TCP reassembly] -> probe / port match -> parse -> ctx->emit(event)
 *
 * Adding a protocol means a dissectors/<proto>.{c,h} pair exporting
 * `const struct gs_dissector gs_<proto>_dissector`, one line in sensor/dissect_registry.c,
 * its event formatter in sensor/output_json_<proto>.c, unit tests and a fuzz target.
 */
#ifndef GS_DISSECTORS_DISSECTOR_H
#define GS_DISSECTORS_DISSECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "cursor.h"

/* Direction of the bytes relative to the flow: towards the side that accepted the
 * connection (the server, e.g. the DNP3 outstation or IEC 104 controlled station) or back. */
enum gs_dir {
    GS_DIR_TO_SERVER = 0,
    GS_DIR_TO_CLIENT = 1,
};

enum gs_transport {
    GS_TRANSPORT_TCP = 1u << 0,
    GS_TRANSPORT_UDP = 1u << 1,
    GS_TRANSPORT_L2 = 1u << 2, /* an Ethertype straight after the MAC header and tags */
};

struct gs_ip {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
};

/* What the dissector and detectors may know about the flow a payload belongs to, seen in the
 * direction of the current packet (src = sender). */
struct gs_flow_info {
    uint64_t flow_id;
    struct gs_ip src, dst;
    uint16_t src_port, dst_port;
    uint8_t ip_proto; /* 6 TCP, 17 UDP */
    enum gs_dir dir;
};

/* Link-layer facts of the packet, recorded by decode. */
struct gs_l2_info {
    uint8_t src_mac[6], dst_mac[6];
    bool has_mac;
    uint8_t vlan_count;  /* 0, 1 or 2 (QinQ); more tags are counted in decode stats */
    uint16_t vlan_id[2]; /* outer first */
    uint8_t vlan_pcp[2]; /* 802.1p priority of each tag */
    uint16_t ether_type; /* of the payload after all tags */
    bool prp;            /* a PRP redundancy control trailer was stripped */
    uint8_t prp_lan;     /* 0xA or 0xB */
    uint16_t prp_seq;
    bool hsr; /* an HSR tag was stripped */
    uint8_t hsr_path;
    uint16_t hsr_seq;
};

enum gs_event_type {
    GS_EVENT_ANOMALY = 0, /* struct gs_anomaly (below) */
    GS_EVENT_DNP3,        /* dissectors/dnp3.h */
    GS_EVENT_IEC104,      /* dissectors/iec104.h */
    GS_EVENT_MMS,         /* dissectors/mms.h */
    GS_EVENT_GOOSE,       /* dissectors/goose.h */
    GS_EVENT_SV,          /* dissectors/sv.h */
    GS_EVENT_TLS,         /* dissectors/tls.h */
    GS_EVENT_TYPE_COUNT,
};

struct gs_event {
    enum gs_event_type type;
    const void *body; /* the protocol's event struct, valid only during the emit call */
};

enum gs_anomaly_kind {
    GS_ANOMALY_MALFORMED, /* the bytes contradict the protocol */
    GS_ANOMALY_TRUNCATED, /* the capture cut the PDU short (snaplen) */
    GS_ANOMALY_LIMIT,     /* a configured cap was hit and its recovery applied */
    GS_ANOMALY_SEQUENCE,  /* a sequence, state or reassembly irregularity */
};

/* A wire anomaly: `name` is one of the emitting dissector's event_names (static storage),
 * a stable snake_case handle such as "dnp3.bad_link_crc". */
struct gs_anomaly {
    const char *name;
    enum gs_anomaly_kind kind;
    const char *detail; /* optional short static or stack text, may be NULL */
};

struct gs_pkt_ctx;
typedef void gs_emit_fn(const struct gs_pkt_ctx *ctx, const struct gs_event *ev);

/* Everything a parse call may know about the packet that delivered (or completed) the bytes. */
struct gs_pkt_ctx {
    uint64_t ts_us;                  /* packet time, microseconds since the Unix epoch */
    uint64_t pcap_cnt;               /* 1-based number of that packet in the input */
    const struct gs_flow_info *flow; /* NULL for layer-2 protocols */
    const struct gs_l2_info *l2;     /* link-layer facts (has_mac false on raw IP) */
    const struct gs_config *cfg;
    gs_emit_fn *emit;
    void *emit_arg; /* owned by the caller of parse */
};

/* Emits an event of the given type; `body` must stay valid only during the call. */
static inline void gs_emit(const struct gs_pkt_ctx *ctx, enum gs_event_type type, const void *body)
{
    struct gs_event ev = {type, body};
    ctx->emit(ctx, &ev);
}

/* Emits a wire anomaly (see struct gs_anomaly). */
static inline void gs_emit_anomaly(const struct gs_pkt_ctx *ctx, const char *name,
                                   enum gs_anomaly_kind kind, const char *detail)
{
    struct gs_anomaly an = {name, kind, detail};
    gs_emit(ctx, GS_EVENT_ANOMALY, &an);
}

enum gs_parse_status {
    GS_PARSE_OK,         /* `consumed` bytes were used (normally all of them) */
    GS_PARSE_INCOMPLETE, /* the bytes after `consumed` start a PDU that needs `needed` more */
    GS_PARSE_ERROR,      /* this flow does not carry the protocol: stop dissecting it */
};

struct gs_parse_res {
    enum gs_parse_status status;
    size_t consumed;
    size_t needed; /* with INCOMPLETE: bytes still missing, 0 if unknown */
};

/* Confidence a probe returns: 0 means "not mine". The best probe at or above
 * GS_PROBE_MATCH claims the flow. */
#define GS_PROBE_NO    0
#define GS_PROBE_MATCH 50
#define GS_PROBE_SURE  100

struct gs_dissector {
    const char *name;          /* "dnp3": app_proto, event_type and event-name prefix */
    unsigned transport;        /* enum gs_transport bits */
    uint16_t ether_type;       /* for GS_TRANSPORT_L2 */
    const uint16_t *tcp_ports; /* well-known server ports, 0-terminated, may be NULL */
    const uint16_t *udp_ports; /* idem for UDP */

    /* Pure: how likely the bytes at the cursor start this protocol (GS_PROBE_*). The cursor
     * is the first payload of a direction; the probe reads a copy of it. May be NULL. */
    unsigned (*probe)(const struct gs_cursor *cur, enum gs_dir dir);

    /* Bytes of per-flow state, reserved when the dissector is bound to a flow (0: none).
     * A layer-2 dissector gets one such state for the whole sensor: scratch space for
     * decoding, never PDU state carried from frame to frame. */
    size_t (*state_size)(const struct gs_config *cfg);
    /* Initialises freshly zeroed state. May be NULL. */
    void (*state_init)(void *state, const struct gs_config *cfg);
    /* The stream in `dir` lost bytes (a gap) or was cut: forget any partial PDU in that
     * direction and resynchronise on the next plausible header. May be NULL. */
    void (*state_reset)(void *state, enum gs_dir dir);

    /*
     * Parses bytes at the cursor. TCP: the cursor holds every in-order byte available in
     * `dir` that earlier calls did not consume; the stream may start mid-PDU (capture started
     * mid-session, or after state_reset). UDP and L2: the cursor holds one datagram or frame
     * payload, possibly truncated by the capture (cap_len < wire_len), and `state` is the
     * flow's (UDP) or the sensor-wide scratch state (L2). Returns how much was consumed; see
     * enum gs_parse_status.
     */
    struct gs_parse_res (*parse)(void *state, const struct gs_pkt_ctx *ctx, struct gs_cursor *cur,
                                 enum gs_dir dir);

    const char *const *event_names; /* the anomaly names it emits, NULL-terminated */
};

static inline struct gs_parse_res gs_parse_ok(size_t consumed)
{
    struct gs_parse_res res = {GS_PARSE_OK, consumed, 0};
    return res;
}

static inline struct gs_parse_res gs_parse_incomplete(size_t consumed, size_t needed)
{
    struct gs_parse_res res = {GS_PARSE_INCOMPLETE, consumed, needed};
    return res;
}

static inline struct gs_parse_res gs_parse_error(size_t consumed)
{
    struct gs_parse_res res = {GS_PARSE_ERROR, consumed, 0};
    return res;
}

#endif
