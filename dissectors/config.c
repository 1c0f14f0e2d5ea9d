/*
 * config.c - the table of tunable limits and its setter.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY(name, field, def, min, max, help)                                                      \
    {                                                                                              \
        name, offsetof(struct gs_config, field), def, min, max, help                               \
    }

const struct gs_config_key gs_config_keys[] = {
    KEY("flow.max_flows", flow_max_flows, 65536, 16, 16777216,
        "flows tracked at once; the least recently seen is evicted when full"),
    KEY("flow.max_state_mib", flow_max_state_mib, 512, 1, 65536,
        "MiB of protocol state (reassembly, decoded objects) held by all flows together; the "
        "least recently seen flows are evicted to make room"),
    KEY("flow.idle_timeout_s", flow_idle_timeout_s, 600, 1, 86400,
        "seconds of packet time without traffic before a flow is expired"),
    KEY("stream.max_bytes_per_dir", stream_max_bytes_per_dir, 65536, 512, 16777216,
        "bytes of an incomplete PDU buffered per TCP direction before it is dropped"),
    KEY("stream.max_ooo_bytes", stream_max_ooo_bytes, 65536, 0, 16777216,
        "out-of-order TCP bytes held per direction waiting for a hole to fill"),
    KEY("stream.max_ooo_segments", stream_max_ooo_segments, 64, 0, 4096,
        "out-of-order TCP segments held per direction"),
    KEY("stream.max_total_mib", stream_max_total_mib, 256, 1, 65536,
        "MiB of TCP data held by all flows together (partial PDUs and out-of-order segments)"),
    KEY("ipfrag.max_datagrams", ipfrag_max_datagrams, 1024, 1, 1048576,
        "IP datagrams under fragment reassembly at once"),
    KEY("ipfrag.max_bytes", ipfrag_max_bytes, 16777216, 65535, 1073741824,
        "bytes held by all IP fragment reassembly buffers"),
    KEY("ipfrag.timeout_s", ipfrag_timeout_s, 30, 1, 600,
        "seconds of packet time to wait for the missing fragments of a datagram"),
    KEY("redundancy.max_nodes", redundancy_max_nodes, 4096, 16, 1048576,
        "PRP/HSR source nodes whose sequence numbers are tracked to discard duplicates"),
    KEY("detect.max_probe_packets", detect_max_probe_packets, 8, 1, 256,
        "payload packets of a flow offered to the protocol probes before giving up"),
    KEY("output.queue_bytes", output_queue_bytes, 8388608, 65536, 1073741824,
        "bytes of records queued per output sink (live capture drops and counts past it)"),
    KEY("output.retry_s", output_retry_s, 10, 1, 3600,
        "offline: seconds a failing network output is retried before its records are dropped"),
    KEY("output.syslog_facility", output_syslog_facility, 16, 0, 23,
        "syslog facility of records (16 = local0)"),
    KEY("output.redis_stream_maxlen", output_redis_stream_maxlen, 1000000, 1000, 1000000000,
        "approximate length a Redis stream output is trimmed to (XADD MAXLEN ~)"),
    KEY("dnp3.max_fragment_bytes", dnp3_max_fragment_bytes, 15936, 249, 65536,
        "bytes of one DNP3 application fragment under reassembly (default: 64 segments)"),
    KEY("dnp3.max_objects", dnp3_max_objects, 2048, 1, 65536,
        "object headers decoded per DNP3 application fragment"),
    KEY("dnp3.max_points", dnp3_max_points, 16384, 1, 1048576,
        "points (values) decoded per DNP3 application fragment"),
    KEY("dnp3.max_associations", dnp3_max_associations, 8, 1, 256,
        "link-address pairs tracked per DNP3 connection"),
    KEY("dnp3.max_sa_objects", dnp3_max_sa_objects, 8, 1, 256,
        "Secure Authentication (group 120) objects decoded per DNP3 application fragment"),
    KEY("dnp3.max_sa_associations", dnp3_max_sa_associations, 1024, 1, 1048576,
        "SA associations (hosts and link addresses) followed; the least recent is evicted"),
    KEY("dnp3.max_sa_users", dnp3_max_sa_users, 4, 1, 64,
        "SA users (USR) followed per association; MACs of further users are unverifiable"),
    KEY("dnp3.max_sa_copy_bytes", dnp3_max_sa_copy_bytes, 2048, 249, 65536,
        "bytes of one fragment kept for a later SA MAC; a longer one makes it unverifiable"),
    KEY("dnp3.sa_key_interval_s", dnp3_sa_key_interval_s, 1800, 1, 2592000,
        "seconds SA session keys may be used after their change before dnp3.sa.key_expired"),
    KEY("dnp3.sa_key_max_uses", dnp3_sa_key_max_uses, 4000, 1, 1000000000,
        "MACs one pair of SA session keys may verify before dnp3.sa.key_expired"),
    KEY("dnp3.sa_silence_s", dnp3_sa_silence_s, 3600, 1, 2592000,
        "seconds without any SA message on an SA association before its traffic is a downgrade"),
    KEY("iec104.cot_size", iec104_cot_size, 2, 1, 2, "IEC 104 cause-of-transmission octets"),
    KEY("iec104.ca_size", iec104_ca_size, 2, 1, 2, "IEC 104 common-address octets"),
    KEY("iec104.ioa_size", iec104_ioa_size, 3, 1, 3, "IEC 104 information-object-address octets"),
    KEY("iec104.max_unacked", iec104_max_unacked, 32767, 1, 32767,
        "I-frames allowed outstanding before an acknowledgement is flagged missing"),
    KEY("iec104.max_objects", iec104_max_objects, 127, 1, 127,
        "information objects decoded per IEC 104 ASDU"),
    KEY("iec104.max_sa_bytes", iec104_max_sa_bytes, 2048, 0, 65536,
        "bytes of one IEC 62351-5 message reassembled from several IEC 104 ASDUs"),
    KEY("iec104.max_sa_associations", iec104_max_sa_associations, 1024, 1, 1048576,
        "IEC 62351-5 associations (hosts, common address) followed; least recent evicted"),
    KEY("iec104.max_sa_users", iec104_max_sa_users, 4, 1, 64,
        "IEC 62351-5 users followed per association; MACs of further users are unverifiable"),
    KEY("iec104.sa_key_interval_s", iec104_sa_key_interval_s, 1800, 1, 2592000,
        "seconds 62351-5 session keys may be used after their change (iec104.sa.key_expired)"),
    KEY("iec104.sa_key_max_uses", iec104_sa_key_max_uses, 4000, 1, 1000000000,
        "MACs one pair of 62351-5 session keys may verify before iec104.sa.key_expired"),
    KEY("iec104.sa_silence_s", iec104_sa_silence_s, 3600, 1, 2592000,
        "seconds without any 62351-5 ASDU on an SA association before its traffic is a downgrade"),
    KEY("mms.max_pdu_bytes", mms_max_pdu_bytes, 65536, 1024, 16777216,
        "bytes of one COTP-reassembled MMS PDU (per direction; longer ones are decoded as a "
        "prefix)"),
    KEY("mms.max_objects", mms_max_objects, 256, 1, 65536,
        "object names, data values, access results and file names kept per MMS PDU"),
    KEY("goose.max_entries", goose_max_entries, 1024, 1, 65536,
        "allData values (entries and their nested members) decoded per GOOSE PDU"),
    KEY("sv.max_asdus", sv_max_asdus, 64, 1, 255, "ASDUs decoded per Sampled Values PDU"),
    /* GOOSE/SV tags and sequences (detectors/goose_sv.c) */
    KEY("goose.max_publishers", goose_max_publishers, 4096, 1, 1048576,
        "GOOSE/R-GOOSE control blocks followed for tags, stNum/sqNum and TAL; the least "
        "recently seen is evicted"),
    KEY("goose.duplicate_window_ms", goose_duplicate_window_ms, 10, 0, 60000,
        "a byte-identical GOOSE PDU repeated within this time is a mirror copy, not a replay"),
    KEY("goose.tal_slack_ms", goose_tal_slack_ms, 10, 0, 60000,
        "capture-time jitter allowed past timeAllowedToLive before goose.tal_expired"),
    KEY("goose.key_grace_s", goose_key_grace_s, 120, 0, 2592000,
        "seconds a GOOSE key id may stay in use past its announced next-key time, or after "
        "its successor appeared, before goose.key_stale"),
    KEY("goose.alert_holddown_s", goose_alert_holddown_s, 60, 0, 86400,
        "seconds one GOOSE rule stays quiet per control block after it fired (0: every time); "
        "the next alert counts what was held back"),
    KEY("sv.max_streams", sv_max_streams, 1024, 1, 1048576,
        "Sampled Values streams (APPID, svID) followed for tags and smpCnt; the least "
        "recently seen is evicted"),
    KEY("sv.duplicate_window_us", sv_duplicate_window_us, 1000, 0, 60000000,
        "a byte-identical SV PDU repeated within this time is a mirror copy, not a replay"),
    KEY("sv.key_grace_s", sv_key_grace_s, 120, 0, 2592000,
        "seconds an SV key id may stay in use past its announced next-key time, or after its "
        "successor appeared, before sv.key_stale"),
    KEY("sv.alert_holddown_s", sv_alert_holddown_s, 60, 0, 86400,
        "seconds one SV rule stays quiet per stream after it fired (0: every time)"),
    KEY("tls.max_handshake_bytes", tls_max_handshake_bytes, 65536, 4096, 16777216,
        "bytes of one TLS handshake message under reassembly"),
    KEY("tls.max_certificates", tls_max_certificates, 10, 1, 64,
        "certificates parsed per TLS Certificate message"),
    KEY("baseline.max_series", baseline_max_series, 4096, 16, 1048576,
        "request series tracked besides a loaded baseline's; the least recently seen is evicted"),
    KEY("baseline.learn_samples", baseline_learn_samples, 128, 8, 4096,
        "most recent poll intervals kept per series while learning (median and MAD over them)"),
    KEY("baseline.min_samples", baseline_min_samples, 8, 2, 4096,
        "poll intervals a series needs while learning before its period is trusted"),
    KEY("baseline.max_jitter_pct", baseline_max_jitter_pct, 25, 1, 100,
        "a learned period is trusted when the intervals' MAD is at most this % of their median"),
    KEY("baseline.tolerance_pct", baseline_tolerance_pct, 50, 0, 10000,
        "a poll is missed after period x (1 + this %) of silence (unless the baseline says)"),
    KEY("baseline.burst_ms", baseline_burst_ms, 1000, 0, 60000,
        "requests of a series closer than this belong to one poll (retries, multi-part polls)"),
    KEY("baseline.rate_window_s", baseline_rate_window_s, 300, 10, 86400,
        "request rates are compared over windows of this long (at least 8 periods)"),
    KEY("baseline.rate_factor_pct", baseline_rate_factor_pct, 200, 110, 100000,
        "a window's requests are far off when above this % of the expected count or below "
        "its inverse"),
    KEY("policy.max_reported", policy_max_reported, 8192, 64, 4194304,
        "findings the conduit policy remembers so each is reported once (or once per "
        "policy.realert_s); when full the least recently seen is forgotten"),
    KEY("policy.realert_s", policy_realert_s, 60, 0, 86400,
        "seconds of packet time before the same operation between the same endpoints is "
        "reported again (0: every time)"),
    {NULL, 0, 0, 0, 0, NULL},
};

static uint32_t *field(struct gs_config *cfg, const struct gs_config_key *key)
{
    return (uint32_t *)(void *)((char *)cfg + key->offset);
}

void gs_config_defaults(struct gs_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (const struct gs_config_key *key = gs_config_keys; key->name != NULL; key++)
        *field(cfg, key) = key->def;
}

static const struct gs_config_key *find_key(const char *name, size_t name_len)
{
    for (const struct gs_config_key *key = gs_config_keys; key->name != NULL; key++) {
        if (strlen(key->name) == name_len && memcmp(key->name, name, name_len) == 0)
            return key;
    }
    return NULL;
}

int gs_config_set(struct gs_config *cfg, const char *assignment, char *errbuf)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "setting '%s' is not NAME=VALUE", assignment);
        return -1;
    }
    const struct gs_config_key *key = find_key(assignment, (size_t)(eq - assignment));
    if (key == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "unknown setting '%.*s' (see --show-config)",
                 (int)(eq - assignment), assignment);
        return -1;
    }
    const char *text = eq + 1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0' || errno != 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "setting %s: '%s' is not a whole number", key->name, text);
        return -1;
    }
    if (v < key->min || v > key->max) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "setting %s: %llu is outside %u..%u", key->name, v,
                 key->min, key->max);
        return -1;
    }
    *field(cfg, key) = (uint32_t)v;
    return 0;
}

int gs_config_get(const struct gs_config *cfg, const char *name, uint32_t *out)
{
    const struct gs_config_key *key = find_key(name, strlen(name));
    if (key == NULL)
        return -1;
    *out = *field((struct gs_config *)(uintptr_t)cfg, key);
    return 0;
}
