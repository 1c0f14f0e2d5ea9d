/*
 * stats.h - the sensor's counters, reported by --stats as an event_type "stats" record.
 *
 * Plain counters owned by one capture thread; nothing here is shared between threads except
 * the sink counters, which the sinks keep themselves.
 */
#ifndef GS_SENSOR_STATS_H
#define GS_SENSOR_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_STATS_MAX_LINK_TYPES 8

struct gs_link_type_count {
    int dlt;
    uint64_t packets;
};

struct gs_decode_stats {
    uint64_t ethernet;
    uint64_t sll;
    uint64_t raw_ip;
    uint64_t null_loopback;
    uint64_t vlan;
    uint64_t qinq;
    uint64_t prp;
    uint64_t hsr;
    uint64_t prp_supervision;
    uint64_t redundancy_duplicates;
    uint64_t ipv4;
    uint64_t ipv6;
    uint64_t tcp;
    uint64_t udp;
    uint64_t icmp;
    uint64_t ip_other;
    uint64_t l2_goose;
    uint64_t l2_sv;
    uint64_t l2_other;
    uint64_t ip_fragments;
    uint64_t ip_reassembled;
    uint64_t ip_frag_dropped;
    uint64_t ip_frag_overlaps;
    uint64_t truncated;
    uint64_t malformed;
    uint64_t unsupported_link;
};

struct gs_flow_stats {
    uint64_t created;
    uint64_t evicted;
    uint64_t evicted_for_memory; /* of `evicted`: to keep state under flow.max_state_mib */
    uint64_t state_refused;      /* flows left undissected: no room even after evicting */
    uint64_t state_bytes;        /* protocol state held now */
    uint64_t max_state_bytes;
    uint64_t expired;
    uint64_t closed;
    uint64_t active;
    uint64_t max_active;
};

struct gs_stream_stats {
    uint64_t segments;
    uint64_t bytes;
    uint64_t midstream;
    uint64_t retransmissions;
    uint64_t overlaps;
    uint64_t out_of_order;
    uint64_t ooo_dropped;
    uint64_t gaps;
    uint64_t gap_bytes;
    uint64_t overflow_drops;
    uint64_t truncated_segments;
    uint64_t buffered_bytes; /* held now by every flow's pending and out-of-order data */
    uint64_t max_buffered_bytes;
    uint64_t memcap_drops; /* data not held because stream.max_total_mib was reached */
};

struct gs_stats {
    uint64_t packets;
    uint64_t bytes;
    uint64_t files;
    uint64_t first_ts_us;
    uint64_t last_ts_us;
    struct gs_link_type_count link_types[GS_STATS_MAX_LINK_TYPES];
    struct gs_decode_stats decode;
    struct gs_flow_stats flows;
    struct gs_stream_stats stream;
    uint64_t alerts;
    uint64_t events_logged;
    uint64_t dissector_errors; /* flows a dissector gave up on (GS_PARSE_ERROR) */
    uint64_t unclassified_flows;
    bool live;
    uint64_t capture_kernel_drops; /* live only, as libpcap reports them */
    uint64_t capture_iface_drops;
};

/* A counter with a name: per-protocol flows, anomaly names, nDPI classifications. */
struct gs_named_counter {
    const char *name;
    uint64_t count;
};

/* Per-dissector counters. */
struct gs_app_counters {
    const char *name;
    uint64_t flows;     /* flows (or layer-2 streams' frames) bound to the dissector */
    uint64_t pdus;      /* payloads handed to it */
    uint64_t events;    /* typed events it emitted */
    uint64_t anomalies; /* anomaly events it emitted */
};

/* The counters one detector reports, under its name. */
struct gs_detector_counters {
    const char *name;
    const struct gs_named_counter *counters;
    size_t n;
};

/* Everything the stats record reports, gathered by the engine. */
struct gs_stats_report {
    const struct gs_stats *stats;
    const struct gs_app_counters *apps;
    size_t n_apps;
    const struct gs_named_counter *anomalies; /* only the non-zero ones need be listed */
    size_t n_anomalies;
    const struct gs_named_counter *classified; /* flows per nDPI protocol */
    size_t n_classified;
    const struct gs_detector_counters *detectors; /* detectors that report counters */
    size_t n_detectors;
};

/* Counts one packet of link type `dlt`. */
void gs_stats_count_link(struct gs_stats *stats, int dlt);

#endif
