/*
 * flow.h - the flow table: fixed capacity, keyed by the 5-tuple and outer VLAN, idle expiry
 * in packet time, least-recently-seen eviction when full.
 *
 * All flows are allocated once at start (flow.max_flows); the hot path never allocates. The
 * table keeps flows in a hash of index chains and one recency list: the tail is the flow seen
 * longest ago, so idle expiry and eviction are both O(1) per packet.
 */
#ifndef GS_SENSOR_FLOW_H
#define GS_SENSOR_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dissector.h"
#include "stats.h"
#include "stream.h"

/* Canonical key: the lower (address, port) endpoint first, so both directions match. */
struct gs_flow_key {
    uint8_t family;
    uint8_t ip_proto;
    uint16_t vlan;
    uint8_t addr_lo[16];
    uint8_t addr_hi[16];
    uint16_t port_lo;
    uint16_t port_hi;
};

enum gs_flow_end {
    GS_FLOW_END_IDLE,     /* no packet for flow.idle_timeout_s */
    GS_FLOW_END_EVICTED,  /* the table was full and a new flow needed the slot */
    GS_FLOW_END_REPLACED, /* a new connection reused the 5-tuple of a closed one */
    GS_FLOW_END_SHUTDOWN, /* end of input */
};

struct gs_flow {
    struct gs_flow_key key;
    struct gs_ip client, server; /* the side that opened the connection is the client */
    uint16_t client_port, server_port;
    uint64_t flow_id;
    uint64_t first_ts_us;
    uint64_t last_ts_us;
    uint64_t packets[2]; /* indexed by enum gs_dir */
    uint64_t bytes[2];
    bool closed; /* RST, or FIN in both directions */

    struct gs_stream_dir tcp[2];

    /* Protocol binding, owned by the engine. */
    const struct gs_dissector *dissector;
    void *dissector_state;
    size_t dissector_state_bytes; /* counted against flow.max_state_bytes */
    bool dissector_failed;
    bool app_announced; /* detectors were told the flow's protocol (on_flow) */
    uint16_t probe_packets;
    bool probe_done;
    bool port_binding_checked; /* the first payload was offered to the probes */
    uint16_t app_index;        /* index of the dissector in the registry, for stats */
    void *classify;            /* nDPI state while unclassified, owned by the engine */
    uint16_t classified;       /* nDPI protocol id + 1, 0 while unknown */
    bool class_announced;      /* detectors were told the nDPI classification (on_classified) */

    /* Table links (indices; UINT32_MAX is none). */
    uint32_t hash_next;
    uint32_t lru_prev;
    uint32_t lru_next;
    bool in_use;
};

struct gs_flow_table;

/* Called when a flow leaves the table, before its slot is reused. */
typedef void gs_flow_release_fn(void *arg, struct gs_flow *flow, enum gs_flow_end why);

struct gs_flow_table *gs_flow_table_create(const struct gs_config *cfg, struct gs_flow_stats *stats,
                                           gs_flow_release_fn *release, void *release_arg);
/* Releases every flow (GS_FLOW_END_SHUTDOWN) and frees the table. */
void gs_flow_table_destroy(struct gs_flow_table *table);

/* Builds the canonical key of a packet; *swapped tells whether src was the higher endpoint. */
void gs_flow_key_make(struct gs_flow_key *key, const struct gs_ip *src, const struct gs_ip *dst,
                      uint16_t src_port, uint16_t dst_port, uint8_t ip_proto, uint16_t vlan,
                      bool *swapped);

/* Finds the flow of `key`, or NULL. */
struct gs_flow *gs_flow_find(struct gs_flow_table *table, const struct gs_flow_key *key);

/*
 * Creates a flow for `key` at packet time ts_us, evicting the least recently seen flow if the
 * table is full. The flow is zeroed except key, flow_id, timestamps and links.
 */
struct gs_flow *gs_flow_create(struct gs_flow_table *table, const struct gs_flow_key *key,
                               uint64_t ts_us);

/* Marks the flow seen at ts_us (moves it to the recent end). */
void gs_flow_touch(struct gs_flow_table *table, struct gs_flow *flow, uint64_t ts_us);

/* Releases `flow` now, with reason `why`. */
void gs_flow_remove(struct gs_flow_table *table, struct gs_flow *flow, enum gs_flow_end why);

/* Expires flows idle for longer than flow.idle_timeout_s at packet time now_us. */
void gs_flow_expire(struct gs_flow_table *table, uint64_t now_us);

/* Evicts the least recently seen flow unless it is `keep`; returns false if there was none
 * to evict. */
bool gs_flow_evict_oldest(struct gs_flow_table *table, const struct gs_flow *keep);

/* Releases every flow with GS_FLOW_END_SHUTDOWN, oldest first. */
void gs_flow_flush(struct gs_flow_table *table);

#endif
