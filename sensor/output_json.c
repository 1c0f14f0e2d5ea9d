/*
 * output_json.c - EVE-compatible JSON records (see output_json.h).
 */
#include "output_json.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "community_id.h"
#include "compiler.h"
#include "output_json_int.h"
#include "sink.h"

#define MAX_SINKS 8

struct gs_output {
    struct gs_sink *sinks[MAX_SINKS];
    size_t n_sinks;
    bool offline;
    char *line; /* serialisation buffer, reused for every record */
    size_t line_cap;
};

/* Per-protocol event formatters; a protocol without one logs only the envelope. */
static void format_anomaly(json_t *record, const void *body);

static gs_json_event_fn *const event_formatters[GS_EVENT_TYPE_COUNT] = {
    [GS_EVENT_ANOMALY] = format_anomaly, [GS_EVENT_DNP3] = gs_json_dnp3,
    [GS_EVENT_GOOSE] = gs_json_goose,    [GS_EVENT_SV] = gs_json_sv,
    [GS_EVENT_IEC104] = gs_json_iec104,  [GS_EVENT_TLS] = gs_json_tls,
    [GS_EVENT_MMS] = gs_json_mms,
};

struct gs_output *gs_output_create(const char *const *specs, size_t n, bool offline,
                                   const struct gs_config *cfg, char *errbuf)
{
    static const char *const default_specs[] = {"stdout"};
    if (n == 0) {
        specs = default_specs;
        n = 1;
    }
    if (n > MAX_SINKS) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "at most %d outputs", MAX_SINKS);
        return NULL;
    }
    struct gs_output *out = calloc(1, sizeof(*out));
    if (out == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    out->offline = offline;
    for (size_t i = 0; i < n; i++) {
        struct gs_sink *sink = gs_sink_open(specs[i], offline, cfg, errbuf);
        if (sink == NULL) {
            gs_output_destroy(out);
            return NULL;
        }
        out->sinks[out->n_sinks++] = sink;
    }
    return out;
}

void gs_output_destroy(struct gs_output *out)
{
    if (out == NULL)
        return;
    for (size_t i = 0; i < out->n_sinks; i++)
        gs_sink_close(out->sinks[i]);
    free(out->line);
    free(out);
}

void gs_format_timestamp(uint64_t ts_us, char *out, size_t out_len)
{
    time_t secs = (time_t)(ts_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, out_len, "%s.%06u+0000", date, (unsigned)(ts_us % 1000000u));
}

json_t *gs_json_hex(const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char small[257];
    char *text = len * 2 + 1 <= sizeof(small) ? small : malloc(len * 2 + 1);
    if (text == NULL)
        return json_null();
    text[len * 2] = '\0';
    for (size_t i = 0; i < len; i++) {
        text[2 * i] = digits[bytes[i] >> 4];
        text[2 * i + 1] = digits[bytes[i] & 0x0F];
    }
    json_t *s = json_string(text);
    if (text != small)
        free(text);
    return s;
}

json_t *gs_json_bytes_string(const uint8_t *bytes, size_t len)
{
    char small[512];
    size_t cap = len * 4 + 1;
    char *text = cap <= sizeof(small) ? small : malloc(cap);
    if (text == NULL)
        return json_null();
    text[0] = '\0';
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = bytes[i];
        if (c >= 0x20 && c < 0x7F && c != '\\') {
            text[n++] = (char)c;
        } else {
            n += (size_t)snprintf(text + n, cap - n, "\\x%02x", c);
        }
    }
    text[n] = '\0';
    json_t *s = json_string(text);
    if (text != small)
        free(text);
    return s;
}

json_t *gs_json_ip(const struct gs_ip *ip)
{
    char text[INET6_ADDRSTRLEN];
    int af = ip->family == 6 ? AF_INET6 : AF_INET;
    if (inet_ntop(af, ip->addr, text, sizeof(text)) == NULL)
        return json_null();
    return json_string(text);
}

static json_t *mac_string(const uint8_t mac[6])
{
    char text[18];
    snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
             mac[4], mac[5]);
    return json_string(text);
}

static const char *proto_name(uint8_t proto)
{
    switch (proto) {
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 1:
        return "ICMP";
    case 58:
        return "IPv6-ICMP";
    default:
        return NULL;
    }
}

/* The envelope every event and alert record shares. */
static json_t *envelope(const struct gs_pkt_ctx *ctx, const char *event_type, const char *app_proto)
{
    json_t *rec = json_object();
    char ts[40];
    gs_format_timestamp(ctx->ts_us, ts, sizeof(ts));
    json_object_set_new(rec, "timestamp", json_string(ts));
    json_object_set_new(rec, "event_type", json_string(event_type));
    const struct gs_flow_info *flow = ctx->flow;
    if (flow != NULL) {
        char cid[GS_COMMUNITY_ID_LEN];
        gs_community_id(&flow->src, &flow->dst, flow->ip_proto, flow->src_port, flow->dst_port,
                        true, 0, cid);
        json_object_set_new(rec, "flow_id", json_integer((json_int_t)flow->flow_id));
        json_object_set_new(rec, "community_id", json_string(cid));
        json_object_set_new(rec, "src_ip", gs_json_ip(&flow->src));
        json_object_set_new(rec, "src_port", json_integer(flow->src_port));
        json_object_set_new(rec, "dest_ip", gs_json_ip(&flow->dst));
        json_object_set_new(rec, "dest_port", json_integer(flow->dst_port));
        const char *proto = proto_name(flow->ip_proto);
        json_object_set_new(rec, "proto",
                            proto ? json_string(proto) : json_integer(flow->ip_proto));
    } else if (ctx->l2 != NULL && ctx->l2->has_mac) {
        const struct gs_l2_info *l2 = ctx->l2;
        json_object_set_new(rec, "src_mac", mac_string(l2->src_mac));
        json_object_set_new(rec, "dest_mac", mac_string(l2->dst_mac));
        if (l2->vlan_count > 0) {
            json_t *vlans = json_array();
            for (unsigned i = 0; i < l2->vlan_count && i < 2; i++)
                json_array_append_new(vlans, json_integer(l2->vlan_id[i]));
            json_object_set_new(rec, "vlan", vlans);
        }
        json_object_set_new(rec, "ether_type", json_integer(l2->ether_type));
    }
    if (ctx->l2 != NULL && (ctx->l2->prp || ctx->l2->hsr)) {
        json_t *red = json_object();
        if (ctx->l2->prp) {
            json_object_set_new(red, "prp_lan", json_string(ctx->l2->prp_lan == 0xA ? "A" : "B"));
            json_object_set_new(red, "prp_seq", json_integer(ctx->l2->prp_seq));
        }
        if (ctx->l2->hsr)
            json_object_set_new(red, "hsr_seq", json_integer(ctx->l2->hsr_seq));
        json_object_set_new(rec, "redundancy", red);
    }
    if (app_proto != NULL)
        json_object_set_new(rec, "app_proto", json_string(app_proto));
    return rec;
}

/* Serialises a record once and queues the line on every sink. */
static void emit_record(struct gs_output *out, json_t *rec, enum gs_record_kind kind)
{
    /* One serialisation into the reused buffer; only a record larger than any before is
     * serialised twice (json_dumpb reports the size it needed). */
    size_t len = out->line_cap != 0 ? json_dumpb(rec, out->line, out->line_cap, JSON_COMPACT) : 0;
    if (len == 0 || len > out->line_cap) {
        size_t need = len != 0 ? len : json_dumpb(rec, NULL, 0, JSON_COMPACT);
        size_t cap = out->line_cap ? out->line_cap : 4096;
        while (cap < need)
            cap *= 2;
        char *grown = realloc(out->line, cap);
        if (grown == NULL) {
            json_decref(rec);
            return;
        }
        out->line = grown;
        out->line_cap = cap;
        len = json_dumpb(rec, out->line, out->line_cap, JSON_COMPACT);
    }
    json_decref(rec);
    for (size_t i = 0; i < out->n_sinks; i++)
        gs_sink_write(out->sinks[i], out->line, len, kind);
}

static const char *anomaly_kind_name(enum gs_anomaly_kind kind)
{
    switch (kind) {
    case GS_ANOMALY_MALFORMED:
        return "malformed";
    case GS_ANOMALY_TRUNCATED:
        return "truncated";
    case GS_ANOMALY_LIMIT:
        return "limit";
    case GS_ANOMALY_SEQUENCE:
        return "sequence";
    }
    return "unknown";
}

static void format_anomaly(json_t *record, const void *body)
{
    const struct gs_anomaly *an = body;
    json_t *obj = json_object();
    json_object_set_new(obj, "type", json_string("applayer"));
    json_object_set_new(obj, "event", json_string(an->name));
    json_object_set_new(obj, "kind", json_string(anomaly_kind_name(an->kind)));
    if (an->detail != NULL)
        json_object_set_new(obj, "detail", json_string(an->detail));
    json_object_set_new(record, "anomaly", obj);
}

void gs_output_event(struct gs_output *out, const struct gs_pkt_ctx *ctx, const char *app_proto,
                     const struct gs_event *ev)
{
    GS_ASSERT(ev->type < GS_EVENT_TYPE_COUNT);
    const char *event_type = ev->type == GS_EVENT_ANOMALY ? "anomaly" : app_proto;
    json_t *rec = envelope(ctx, event_type, app_proto);
    if (event_formatters[ev->type] != NULL)
        event_formatters[ev->type](rec, ev->body);
    json_object_set_new(rec, "pcap_cnt", json_integer((json_int_t)ctx->pcap_cnt));
    emit_record(out, rec, GS_RECORD_EVENT);
}

void gs_output_alert(struct gs_output *out, const struct gs_pkt_ctx *ctx,
                     const struct gs_alert *alert)
{
    json_t *rec = envelope(ctx, "alert", alert->app_proto);
    const struct gs_signature *sig = alert->sig;
    json_t *a = json_object();
    json_object_set_new(a, "signature_id", json_integer(sig->id));
    json_object_set_new(a, "rule", json_string(sig->rule));
    json_object_set_new(a, "signature", json_string(sig->text));
    json_object_set_new(a, "category", json_string(sig->category));
    json_object_set_new(a, "severity", json_integer(sig->severity));
    json_object_set_new(a, "fr", json_string(sig->fr));
    if (alert->message != NULL)
        json_object_set_new(a, "message", json_string(alert->message));
    json_object_set_new(rec, "alert", a);
    if (alert->section != NULL && alert->n_fields > 0) {
        json_t *sec = json_object();
        for (size_t i = 0; i < alert->n_fields; i++) {
            const struct gs_alert_field *f = &alert->fields[i];
            json_t *v = NULL;
            switch (f->type) {
            case GS_AF_INT:
                v = json_integer((json_int_t)f->v.i);
                break;
            case GS_AF_UINT:
                v = json_integer((json_int_t)f->v.u);
                break;
            case GS_AF_BOOL:
                v = json_boolean(f->v.b);
                break;
            case GS_AF_STR:
                v = f->v.s != NULL ? json_string(f->v.s) : json_null();
                break;
            }
            json_object_set_new(sec, f->key, v != NULL ? v : json_null());
        }
        json_object_set_new(rec, alert->section, sec);
    }
    if (alert->conduit != NULL)
        json_object_set_new(rec, "conduit", json_string(alert->conduit));
    json_object_set_new(rec, "pcap_cnt", json_integer((json_int_t)ctx->pcap_cnt));
    enum gs_record_kind kind = sig->severity <= 1   ? GS_RECORD_ALERT_HIGH
                               : sig->severity == 2 ? GS_RECORD_ALERT_MEDIUM
                                                    : GS_RECORD_ALERT_LOW;
    emit_record(out, rec, kind);
}

static void set_u64(json_t *obj, const char *key, uint64_t v)
{
    json_object_set_new(obj, key, json_integer((json_int_t)v));
}

static const char *dlt_label(int dlt)
{
    /* Spelled as libpcap's pcap_datalink_val_to_name() does, without linking libpcap here. */
    switch (dlt) {
    case 0:
        return "NULL";
    case 1:
        return "EN10MB";
    case 12:
    case 14:
        return "RAW";
    case 108:
        return "LOOP";
    case 113:
        return "LINUX_SLL";
    case 228:
        return "IPV4";
    case 229:
        return "IPV6";
    case 276:
        return "LINUX_SLL2";
    default:
        return NULL;
    }
}

static json_t *decode_stats(const struct gs_decode_stats *d)
{
    json_t *o = json_object();
    set_u64(o, "ethernet", d->ethernet);
    set_u64(o, "sll", d->sll);
    set_u64(o, "raw_ip", d->raw_ip);
    set_u64(o, "null_loopback", d->null_loopback);
    set_u64(o, "vlan", d->vlan);
    set_u64(o, "qinq", d->qinq);
    set_u64(o, "prp", d->prp);
    set_u64(o, "hsr", d->hsr);
    set_u64(o, "prp_supervision", d->prp_supervision);
    set_u64(o, "redundancy_duplicates", d->redundancy_duplicates);
    set_u64(o, "ipv4", d->ipv4);
    set_u64(o, "ipv6", d->ipv6);
    set_u64(o, "tcp", d->tcp);
    set_u64(o, "udp", d->udp);
    set_u64(o, "icmp", d->icmp);
    set_u64(o, "ip_other", d->ip_other);
    set_u64(o, "goose", d->l2_goose);
    set_u64(o, "sv", d->l2_sv);
    set_u64(o, "l2_other", d->l2_other);
    set_u64(o, "ip_fragments", d->ip_fragments);
    set_u64(o, "ip_reassembled", d->ip_reassembled);
    set_u64(o, "ip_frag_dropped", d->ip_frag_dropped);
    set_u64(o, "ip_frag_overlaps", d->ip_frag_overlaps);
    set_u64(o, "truncated", d->truncated);
    set_u64(o, "malformed", d->malformed);
    set_u64(o, "unsupported_link", d->unsupported_link);
    return o;
}

static json_t *stream_stats(const struct gs_stream_stats *s)
{
    json_t *o = json_object();
    set_u64(o, "segments", s->segments);
    set_u64(o, "bytes", s->bytes);
    set_u64(o, "midstream", s->midstream);
    set_u64(o, "retransmissions", s->retransmissions);
    set_u64(o, "overlaps", s->overlaps);
    set_u64(o, "out_of_order", s->out_of_order);
    set_u64(o, "ooo_dropped", s->ooo_dropped);
    set_u64(o, "gaps", s->gaps);
    set_u64(o, "gap_bytes", s->gap_bytes);
    set_u64(o, "overflow_drops", s->overflow_drops);
    set_u64(o, "truncated_segments", s->truncated_segments);
    set_u64(o, "buffered_bytes", s->buffered_bytes);
    set_u64(o, "max_buffered_bytes", s->max_buffered_bytes);
    set_u64(o, "memcap_drops", s->memcap_drops);
    return o;
}

void gs_output_stats(struct gs_output *out, uint64_t ts_us, const struct gs_stats_report *report)
{
    const struct gs_stats *st = report->stats;
    struct gs_pkt_ctx ctx = {.ts_us = ts_us};
    json_t *rec = envelope(&ctx, "stats", NULL);
    json_t *s = json_object();
    set_u64(s, "packets", st->packets);
    set_u64(s, "bytes", st->bytes);
    set_u64(s, "files", st->files);
    if (st->live) {
        json_t *capture = json_object();
        set_u64(capture, "kernel_drops", st->capture_kernel_drops);
        set_u64(capture, "iface_drops", st->capture_iface_drops);
        json_object_set_new(s, "capture", capture);
    }

    json_t *links = json_object();
    for (int i = 0; i < GS_STATS_MAX_LINK_TYPES && st->link_types[i].packets != 0; i++) {
        const char *label = dlt_label(st->link_types[i].dlt);
        char other[24];
        if (label == NULL) {
            snprintf(other, sizeof(other), "DLT_%d", st->link_types[i].dlt);
            label = other;
        }
        set_u64(links, label, st->link_types[i].packets);
    }
    json_object_set_new(s, "link_types", links);
    json_object_set_new(s, "decoder", decode_stats(&st->decode));

    json_t *flows = json_object();
    set_u64(flows, "created", st->flows.created);
    set_u64(flows, "evicted", st->flows.evicted);
    set_u64(flows, "evicted_for_memory", st->flows.evicted_for_memory);
    set_u64(flows, "state_refused", st->flows.state_refused);
    set_u64(flows, "state_bytes", st->flows.state_bytes);
    set_u64(flows, "max_state_bytes", st->flows.max_state_bytes);
    set_u64(flows, "expired", st->flows.expired);
    set_u64(flows, "closed", st->flows.closed);
    set_u64(flows, "active", st->flows.active);
    set_u64(flows, "max_active", st->flows.max_active);
    json_object_set_new(s, "flows", flows);
    json_object_set_new(s, "stream", stream_stats(&st->stream));

    json_t *apps = json_object();
    for (size_t i = 0; i < report->n_apps; i++) {
        const struct gs_app_counters *a = &report->apps[i];
        json_t *o = json_object();
        set_u64(o, "flows", a->flows);
        set_u64(o, "pdus", a->pdus);
        set_u64(o, "events", a->events);
        set_u64(o, "anomalies", a->anomalies);
        json_object_set_new(apps, a->name, o);
    }
    json_object_set_new(s, "app_proto", apps);

    json_t *classified = json_object();
    for (size_t i = 0; i < report->n_classified; i++)
        set_u64(classified, report->classified[i].name, report->classified[i].count);
    set_u64(classified, "unknown", st->unclassified_flows);
    json_object_set_new(s, "classified", classified);

    /* Dissectors that share a decoder (GOOSE on layer 2 and in R-GOOSE) share its anomaly
     * names: their counts add up under the one name. */
    json_t *anomalies = json_object();
    for (size_t i = 0; i < report->n_anomalies; i++) {
        if (report->anomalies[i].count == 0)
            continue;
        json_t *prev = json_object_get(anomalies, report->anomalies[i].name);
        uint64_t base = prev != NULL ? (uint64_t)json_integer_value(prev) : 0;
        set_u64(anomalies, report->anomalies[i].name, base + report->anomalies[i].count);
    }
    json_object_set_new(s, "anomalies", anomalies);

    json_t *detect = json_object();
    set_u64(detect, "alerts", st->alerts);
    set_u64(detect, "events_logged", st->events_logged);
    set_u64(detect, "dissector_errors", st->dissector_errors);
    for (size_t i = 0; i < report->n_detectors; i++) {
        const struct gs_detector_counters *dc = &report->detectors[i];
        json_t *o = json_object();
        for (size_t k = 0; k < dc->n; k++)
            set_u64(o, dc->counters[k].name, dc->counters[k].count);
        json_object_set_new(detect, dc->name, o);
    }
    json_object_set_new(s, "detect", detect);

    /* Offline, sink counters are read after everything before this record was written out;
     * live, a stalled destination must not stall capture, so they are read as they stand. */
    json_t *sinks = json_object();
    for (size_t i = 0; i < out->n_sinks; i++) {
        if (out->offline)
            gs_sink_drain(out->sinks[i]);
        struct gs_sink_counters c = gs_sink_counters(out->sinks[i]);
        json_t *o = json_object();
        set_u64(o, "written", c.written);
        set_u64(o, "dropped", c.dropped);
        set_u64(o, "errors", c.errors);
        json_object_set_new(sinks, gs_sink_name(out->sinks[i]), o);
    }
    json_object_set_new(s, "outputs", sinks);
    json_object_set_new(rec, "stats", s);
    emit_record(out, rec, GS_RECORD_STATS);
}
