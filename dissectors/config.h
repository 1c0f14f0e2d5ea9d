/*
 * config.h - every tunable limit of gridsensor, with its name, default and range.
 *
 * Every cap on something that grows with input has a dotted name `<area>.max_<thing>`
 * (docs/STYLE.md §16), settable with `--set NAME=VALUE` and listed by `--show-config`.
 * The struct lives in the dissectors library because it is the lowest layer that needs it;
 * the sensor, detectors and tests all link it.
 */
#ifndef GS_DISSECTORS_CONFIG_H
#define GS_DISSECTORS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define GS_ERRBUF_SIZE 512

struct gs_config {
    /* flow table */
    uint32_t flow_max_flows;
    uint32_t flow_idle_timeout_s;
    uint32_t flow_max_state_mib;
    /* TCP stream reassembly, per direction */
    uint32_t stream_max_bytes_per_dir;
    uint32_t stream_max_ooo_bytes;
    uint32_t stream_max_ooo_segments;
    uint32_t stream_max_total_mib;
    /* IP fragment reassembly */
    uint32_t ipfrag_max_datagrams;
    uint32_t ipfrag_max_bytes;
    uint32_t ipfrag_timeout_s;
    /* PRP/HSR duplicate discard */
    uint32_t redundancy_max_nodes;
    /* protocol detection */
    uint32_t detect_max_probe_packets;
    /* alert and event output */
    uint32_t output_queue_bytes;
    uint32_t output_retry_s;
    uint32_t output_syslog_facility;
    uint32_t output_redis_stream_maxlen;
    /* DNP3 */
    uint32_t dnp3_max_fragment_bytes;
    uint32_t dnp3_max_objects;
    uint32_t dnp3_max_points;
    uint32_t dnp3_max_associations;
    uint32_t dnp3_max_sa_objects;
    /* DNP3 Secure Authentication detector (detectors/dnp3_sa.c) */
    uint32_t dnp3_max_sa_associations;
    uint32_t dnp3_max_sa_users;
    uint32_t dnp3_max_sa_copy_bytes;
    uint32_t dnp3_sa_key_interval_s;
    uint32_t dnp3_sa_key_max_uses;
    uint32_t dnp3_sa_silence_s;
    /* IEC 60870-5-104 */
    uint32_t iec104_cot_size;
    uint32_t iec104_ca_size;
    uint32_t iec104_ioa_size;
    uint32_t iec104_max_unacked;
    uint32_t iec104_max_objects;
    uint32_t iec104_max_sa_bytes;
    /* IEC 62351-5 detector for IEC 104 (detectors/iec104_sa.c) */
    uint32_t iec104_max_sa_associations;
    uint32_t iec104_max_sa_users;
    uint32_t iec104_sa_key_interval_s;
    uint32_t iec104_sa_key_max_uses;
    uint32_t iec104_sa_silence_s;
    /* MMS and its ISO layers */
    uint32_t mms_max_pdu_bytes;
    uint32_t mms_max_objects;
    /* GOOSE / SV / R-GOOSE / R-SV */
    uint32_t goose_max_entries;
    uint32_t sv_max_asdus;
    /* GOOSE/SV tags and sequences (detectors/goose_sv.c) */
    uint32_t goose_max_publishers;
    uint32_t goose_duplicate_window_ms;
    uint32_t goose_tal_slack_ms;
    uint32_t goose_key_grace_s;
    uint32_t goose_alert_holddown_s;
    uint32_t sv_max_streams;
    uint32_t sv_duplicate_window_us;
    uint32_t sv_key_grace_s;
    uint32_t sv_alert_holddown_s;
    /* TLS */
    uint32_t tls_max_handshake_bytes;
    uint32_t tls_max_certificates;
    /* poll-rate baselines (detectors/baseline.c) */
    uint32_t baseline_max_series;
    uint32_t baseline_learn_samples;
    uint32_t baseline_min_samples;
    uint32_t baseline_max_jitter_pct;
    uint32_t baseline_tolerance_pct;
    uint32_t baseline_burst_ms;
    uint32_t baseline_rate_window_s;
    uint32_t baseline_rate_factor_pct;
    /* conduit policy (detectors/conduit_policy.c) */
    uint32_t policy_max_reported;
    uint32_t policy_realert_s;
};

struct gs_config_key {
    const char *name;
    size_t offset;
    uint32_t def;
    uint32_t min;
    uint32_t max;
    const char *help;
};

/* The table of every key, terminated by an entry with name NULL. */
extern const struct gs_config_key gs_config_keys[];

/* Fills *cfg with every default. */
void gs_config_defaults(struct gs_config *cfg);

/*
 * Parses "NAME=VALUE" and sets that key. Returns 0, or -1 with a one-line reason in errbuf
 * (unknown key, not a number, out of range).
 */
int gs_config_set(struct gs_config *cfg, const char *assignment, char *errbuf);

/* Reads a key by name into *out; returns 0, or -1 if the name is unknown. */
int gs_config_get(const struct gs_config *cfg, const char *name, uint32_t *out);

#endif
