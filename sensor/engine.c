/*
 * engine.c - the per-packet pipeline (see engine.h).
 *
 * For each packet: advance the packet clock (expiring idle flows and ticking detectors once
 * per second of packet time), decode, then either hand a layer-2 payload to its dissector or
 * find the flow, orient it (client/server), and feed TCP segments through reassembly or UDP
 * datagrams straight to the flow's dissector. A flow without a dissector is offered to the
 * probes for its first detect.max_probe_packets payloads and to nDPI meanwhile; detectors
 * learn nDPI's answer (on_classified) once it has one, or when it gives up on the flow.
 * Dissector events go to the detectors that subscribe to them and, with --log-events, to the
 * output; anomalies are also counted by name.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "compiler.h"
#include "detect_registry.h"
#include "dissect_registry.h"
#include "flow.h"
#include "stream.h"

#define CLASSIFY_MAX_PACKETS 32
#define US_PER_S             1000000u

struct detector_slot {
    const struct gs_detector *det;
    void *state;
};

struct gs_engine {
    const struct gs_config *cfg;
    bool log_events;
    struct gs_output *out;

    const struct gs_dissector *const *dissectors;
    size_t n_dissectors;
    struct gs_app_counters *apps;
    void **l2_states;     /* per dissector: the one state of a layer-2 dissector, else NULL */
    size_t *anomaly_base; /* per dissector: its first slot in anomalies[] */
    struct gs_named_counter *anomalies;
    size_t n_anomalies;

    struct detector_slot *detectors;
    size_t n_detectors;
    struct gs_detect_env env;

    struct gs_decoder *decoder;
    struct gs_flow_table *flows;
    struct gs_classifier *classifier;
    bool owns_classifier;
    uint64_t *classified; /* flows per nDPI protocol id + 1 */
    size_t n_classified;

    struct gs_stats stats;
    uint64_t clock_us;
    uint64_t last_tick_s;
    bool clock_started;
    uint64_t pcap_cnt;

    /* What the current parse call works on. */
    struct gs_flow *cur_flow;
    const struct gs_pkt_ctx *cur_ctx;
    int cur_app;
    uint64_t origin_pcap_cnt; /* held TCP data being delivered: the packet that carried it */
    uint64_t origin_ts_us;

    struct gs_stream_consumer consumer;
    struct gs_stream_env stream_env;
};

static void engine_emit(const struct gs_pkt_ctx *ctx, const struct gs_event *ev);

/* ---- events, anomalies and alerts ---------------------------------------------------------- */

static void count_anomaly(struct gs_engine *eng, int app, const struct gs_anomaly *an)
{
    if (app < 0)
        return;
    eng->apps[app].anomalies++;
    const char *const *names = eng->dissectors[app]->event_names;
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        if (names[i] == an->name || strcmp(names[i], an->name) == 0) {
            eng->anomalies[eng->anomaly_base[app] + i].count++;
            return;
        }
    }
    /* An anomaly name the dissector did not declare: a bug in that dissector. */
    GS_ASSERT(!"anomaly name missing from the dissector's event_names");
}

static void engine_emit(const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct gs_engine *eng = ctx->emit_arg;
    int app = eng->cur_app;
    if (ev->type == GS_EVENT_ANOMALY)
        count_anomaly(eng, app, ev->body);
    else if (app >= 0)
        eng->apps[app].events++;
    if (eng->log_events && eng->out != NULL) {
        gs_output_event(eng->out, ctx, app >= 0 ? eng->dissectors[app]->name : NULL, ev);
        eng->stats.events_logged++;
    }
    uint32_t bit = GS_EVENT_BIT(ev->type);
    for (size_t i = 0; i < eng->n_detectors; i++) {
        struct detector_slot *slot = &eng->detectors[i];
        if (slot->det->event_mask & bit)
            slot->det->on_event(slot->state, ctx, ev);
    }
}

static void engine_alert(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *alert)
{
    struct gs_engine *eng = arg;
    eng->stats.alerts++;
    if (eng->out != NULL)
        gs_output_alert(eng->out, ctx, alert);
}

/* ---- flows and dissectors ------------------------------------------------------------------ */

static void flow_info_for(const struct gs_flow *flow, enum gs_dir dir, struct gs_flow_info *info)
{
    bool to_server = dir == GS_DIR_TO_SERVER;
    info->flow_id = flow->flow_id;
    info->src = to_server ? flow->client : flow->server;
    info->dst = to_server ? flow->server : flow->client;
    info->src_port = to_server ? flow->client_port : flow->server_port;
    info->dst_port = to_server ? flow->server_port : flow->client_port;
    info->ip_proto = flow->key.ip_proto;
    info->dir = dir;
}

/* Makes room for `size` more bytes of protocol state under flow.max_state_mib by evicting the
 * least recently seen flows (never `flow`); false if even that is not enough. */
static bool reserve_state(struct gs_engine *eng, const struct gs_flow *flow, size_t size)
{
    uint64_t cap = (uint64_t)eng->cfg->flow_max_state_mib << 20;
    struct gs_flow_stats *fs = &eng->stats.flows;
    while (fs->state_bytes + size > cap) {
        if (!gs_flow_evict_oldest(eng->flows, flow))
            return false;
        fs->evicted_for_memory++;
    }
    return true;
}

static void release_state(struct gs_engine *eng, struct gs_flow *flow)
{
    free(flow->dissector_state);
    flow->dissector_state = NULL;
    eng->stats.flows.state_bytes -= flow->dissector_state_bytes;
    flow->dissector_state_bytes = 0;
}

static void bind_dissector(struct gs_engine *eng, struct gs_flow *flow, int index)
{
    const struct gs_dissector *d = eng->dissectors[index];
    size_t size = d->state_size != NULL ? d->state_size(eng->cfg) : 0;
    void *state = NULL;
    if (size != 0) {
        if (!reserve_state(eng, flow, size)) {
            eng->stats.flows.state_refused++;
            flow->dissector_failed = true;
            return;
        }
        state = calloc(1, size);
        if (state == NULL) {
            flow->dissector_failed = true;
            return;
        }
        struct gs_flow_stats *fs = &eng->stats.flows;
        fs->state_bytes += size;
        if (fs->state_bytes > fs->max_state_bytes)
            fs->max_state_bytes = fs->state_bytes;
        flow->dissector_state_bytes = size;
    }
    if (d->state_init != NULL)
        d->state_init(state, eng->cfg);
    flow->dissector = d;
    flow->dissector_state = state;
    flow->app_index = (uint16_t)index;
    eng->apps[index].flows++;
    /* A claimed flow needs no classification. */
    if (flow->classify != NULL) {
        gs_classifier_flow_free(eng->classifier, flow->classify);
        flow->classify = NULL;
    }
}

static void try_probe(struct gs_engine *eng, struct gs_flow *flow, const struct gs_cursor *cur,
                      enum gs_dir dir)
{
    unsigned transport =
        flow->key.ip_proto == 6 ? (unsigned)GS_TRANSPORT_TCP : (unsigned)GS_TRANSPORT_UDP;
    int index = gs_dissector_by_probe(eng->dissectors, transport, cur, dir);
    if (index >= 0) {
        bind_dissector(eng, flow, index);
        flow->port_binding_checked = true;
        return;
    }
    if (++flow->probe_packets >= eng->cfg->detect_max_probe_packets)
        flow->probe_done = true;
}

/* Tells the detectors, once, which protocol the flow carries. */
static void announce_flow(struct gs_engine *eng, struct gs_flow *flow, const struct gs_pkt_ctx *ctx)
{
    flow->app_announced = true;
    for (size_t i = 0; i < eng->n_detectors; i++) {
        struct detector_slot *slot = &eng->detectors[i];
        if (slot->det->on_flow != NULL)
            slot->det->on_flow(slot->state, ctx, flow->dissector->name);
    }
}

/* Whether no dissector handles the flow: none claimed it, or the one that did gave up. */
static bool unclaimed(const struct gs_flow *flow)
{
    return flow->dissector == NULL || flow->dissector_failed;
}

/* Tells the detectors, once, how nDPI classified a flow that no dissector claimed. */
static void announce_classified(struct gs_engine *eng, struct gs_flow *flow,
                                const struct gs_pkt_ctx *ctx, bool guessed)
{
    flow->class_announced = true;
    struct gs_app_class cls = {
        .name = gs_classifier_name(eng->classifier, flow->classified),
        .category = gs_classifier_category(eng->classifier, flow->classified),
        .guessed = guessed && flow->classified != 0,
    };
    for (size_t i = 0; i < eng->n_detectors; i++) {
        struct detector_slot *slot = &eng->detectors[i];
        if (slot->det->on_classified != NULL)
            slot->det->on_classified(slot->state, ctx, &cls);
    }
}

/* After a packet of a flow no dissector handles: announce nDPI's answer once it has one (it
 * may have named the flow before a dissector claimed and then gave up on it), or its best
 * guess once the classifier stops looking at the flow. */
static void settle_classification(struct gs_engine *eng, struct gs_flow *flow,
                                  const struct gs_pkt_ctx *ctx)
{
    if (eng->classifier == NULL || !unclaimed(flow) || flow->class_announced)
        return;
    bool guessed = false;
    if (flow->classified == 0) {
        if (flow->packets[0] + flow->packets[1] <= CLASSIFY_MAX_PACKETS)
            return;
        if (flow->classify != NULL) {
            flow->classified = gs_classifier_give_up(eng->classifier, flow->classify, &guessed);
            gs_classifier_flow_free(eng->classifier, flow->classify);
            flow->classify = NULL;
        }
    }
    announce_classified(eng, flow, ctx, guessed);
}

/*
 * A flow bound by its port is checked once against the probes on its first payload: TLS on
 * DNP3's 20000 or IEC 104's 2404, or DNP3 on MMS's 102, belongs to the dissector whose probe
 * recognises it, not to the port's owner. The port's owner keeps the flow unless its own probe
 * rejects the bytes and another probe accepts them (a capture starting mid-stream is
 * recognised by no probe, and stays with the port's owner).
 */
static void confirm_port_binding(struct gs_engine *eng, struct gs_flow *flow,
                                 const struct gs_cursor *cur, enum gs_dir dir)
{
    flow->port_binding_checked = true;
    const struct gs_dissector *owner = flow->dissector;
    if (owner->probe == NULL || owner->probe(cur, dir) >= GS_PROBE_MATCH)
        return;
    unsigned transport =
        flow->key.ip_proto == 6 ? (unsigned)GS_TRANSPORT_TCP : (unsigned)GS_TRANSPORT_UDP;
    int index = gs_dissector_by_probe(eng->dissectors, transport, cur, dir);
    if (index < 0 || eng->dissectors[index] == owner)
        return;
    eng->apps[flow->app_index].flows--;
    release_state(eng, flow);
    flow->dissector = NULL;
    bind_dissector(eng, flow, index);
}

static struct gs_parse_res consume(void *arg, enum gs_dir dir, struct gs_cursor *cur)
{
    struct gs_engine *eng = arg;
    struct gs_flow *flow = eng->cur_flow;
    size_t len = cur->cap_len;
    if (flow->dissector != NULL && !flow->port_binding_checked && !flow->dissector_failed &&
        len != 0)
        confirm_port_binding(eng, flow, cur, dir);
    if (flow->dissector == NULL && !flow->dissector_failed && !flow->probe_done && len != 0)
        try_probe(eng, flow, cur, dir);
    if (flow->dissector == NULL || flow->dissector_failed)
        return gs_parse_ok(len);

    /* Data of either direction can be delivered while one packet is processed (held
     * segments released by the peer's ACK), so the flow view follows `dir`. */
    struct gs_flow_info info;
    flow_info_for(flow, dir, &info);
    struct gs_pkt_ctx ctx = *eng->cur_ctx;
    ctx.flow = &info;
    if (eng->origin_pcap_cnt != 0) {
        ctx.pcap_cnt = eng->origin_pcap_cnt;
        ctx.ts_us = eng->origin_ts_us;
    }
    eng->cur_app = flow->app_index;
    eng->apps[flow->app_index].pdus++;
    struct gs_parse_res res = flow->dissector->parse(flow->dissector_state, &ctx, cur, dir);
    eng->cur_app = -1;
    if (res.status == GS_PARSE_ERROR) {
        flow->dissector_failed = true;
        eng->stats.dissector_errors++;
        return gs_parse_ok(len);
    }
    if (!flow->app_announced)
        announce_flow(eng, flow, &ctx);
    return res;
}

static void stream_origin(void *arg, uint64_t pcap_cnt, uint64_t ts_us)
{
    struct gs_engine *eng = arg;
    eng->origin_pcap_cnt = pcap_cnt;
    eng->origin_ts_us = ts_us;
}

static void stream_gap(void *arg, enum gs_dir dir)
{
    struct gs_engine *eng = arg;
    struct gs_flow *flow = eng->cur_flow;
    if (flow->dissector != NULL && !flow->dissector_failed && flow->dissector->state_reset)
        flow->dissector->state_reset(flow->dissector_state, dir);
}

static void release_flow(void *arg, struct gs_flow *flow, enum gs_flow_end why)
{
    (void)why;
    struct gs_engine *eng = arg;
    struct gs_flow *saved_flow = eng->cur_flow;
    const struct gs_pkt_ctx *saved_ctx = eng->cur_ctx;

    if (flow->key.ip_proto == 6) {
        struct gs_l2_info no_l2;
        memset(&no_l2, 0, sizeof(no_l2));
        struct gs_pkt_ctx ctx = {.ts_us = eng->clock_us,
                                 .pcap_cnt = eng->pcap_cnt,
                                 .l2 = &no_l2,
                                 .cfg = eng->cfg,
                                 .emit = engine_emit,
                                 .emit_arg = eng};
        eng->cur_flow = flow;
        eng->cur_ctx = &ctx;
        gs_stream_flush(flow->tcp, &eng->stream_env);
        gs_stream_free(&flow->tcp[0], &eng->stats.stream);
        gs_stream_free(&flow->tcp[1], &eng->stats.stream);
    }
    bool guessed = false;
    if (flow->classify != NULL) {
        if (flow->classified == 0)
            flow->classified = gs_classifier_give_up(eng->classifier, flow->classify, &guessed);
        gs_classifier_flow_free(eng->classifier, flow->classify);
        flow->classify = NULL;
    }
    if (unclaimed(flow) && eng->classifier != NULL && !flow->class_announced) {
        /* A flow that ended before the classifier gave up on it. */
        struct gs_l2_info no_l2;
        memset(&no_l2, 0, sizeof(no_l2));
        struct gs_flow_info info;
        flow_info_for(flow, GS_DIR_TO_SERVER, &info);
        struct gs_pkt_ctx ctx = {.ts_us = eng->clock_us,
                                 .pcap_cnt = eng->pcap_cnt,
                                 .flow = &info,
                                 .l2 = &no_l2,
                                 .cfg = eng->cfg,
                                 .emit = engine_emit,
                                 .emit_arg = eng};
        announce_classified(eng, flow, &ctx, guessed);
    }
    if (flow->dissector == NULL) {
        if (flow->classified != 0 && flow->classified < eng->n_classified)
            eng->classified[flow->classified]++;
        else
            eng->stats.unclassified_flows++;
    }
    release_state(eng, flow);
    eng->cur_flow = saved_flow;
    eng->cur_ctx = saved_ctx;
}

/* Which end of a new flow sent this packet: the side that opens a TCP connection is the
 * client; without a SYN, the side talking to a known dissector port, then the higher port. */
static bool sender_is_client(const struct gs_engine *eng, const struct gs_decoded *d)
{
    unsigned transport = d->ip_proto == 6 ? (unsigned)GS_TRANSPORT_TCP : (unsigned)GS_TRANSPORT_UDP;
    if (d->ip_proto == 6 && (d->tcp_flags & GS_TCP_SYN))
        return (d->tcp_flags & GS_TCP_ACK) == 0;
    bool dst_known = gs_dissector_by_port(eng->dissectors, transport, d->dst_port) >= 0;
    bool src_known = gs_dissector_by_port(eng->dissectors, transport, d->src_port) >= 0;
    if (dst_known != src_known)
        return dst_known;
    return d->dst_port <= d->src_port;
}

static struct gs_flow *new_flow(struct gs_engine *eng, const struct gs_flow_key *key,
                                const struct gs_decoded *d)
{
    struct gs_flow *flow = gs_flow_create(eng->flows, key, eng->clock_us);
    bool client = sender_is_client(eng, d);
    flow->client = client ? d->src : d->dst;
    flow->server = client ? d->dst : d->src;
    flow->client_port = client ? d->src_port : d->dst_port;
    flow->server_port = client ? d->dst_port : d->src_port;
    unsigned transport = d->ip_proto == 6 ? (unsigned)GS_TRANSPORT_TCP : (unsigned)GS_TRANSPORT_UDP;
    int index = gs_dissector_by_port(eng->dissectors, transport, flow->server_port);
    if (index >= 0)
        bind_dissector(eng, flow, index);
    return flow;
}

static void classify_packet(struct gs_engine *eng, struct gs_flow *flow, const struct gs_decoded *d)
{
    /* A flow whose dissector gave up (RDP taken for MMS by its COTP connection request) is
     * classified after all, from the packets that follow, unless nDPI named it before. */
    if (eng->classifier == NULL || !unclaimed(flow) || flow->classified != 0 ||
        d->ip_hdr.len == 0 || flow->packets[0] + flow->packets[1] > CLASSIFY_MAX_PACKETS)
        return;
    if (flow->classify == NULL) {
        flow->classify = gs_classifier_flow_new(eng->classifier);
        if (flow->classify == NULL)
            return;
    }
    flow->classified = gs_classifier_packet(eng->classifier, flow->classify, d->ip_hdr.ptr,
                                            d->ip_hdr.len, eng->clock_us);
    if (flow->classified != 0) {
        gs_classifier_flow_free(eng->classifier, flow->classify);
        flow->classify = NULL;
    }
}

static void handle_l4(struct gs_engine *eng, const struct gs_packet *pkt, struct gs_decoded *d)
{
    struct gs_flow_key key;
    bool swapped;
    uint16_t vlan = d->l2.vlan_count ? d->l2.vlan_id[0] : 0;
    gs_flow_key_make(&key, &d->src, &d->dst, d->src_port, d->dst_port, d->ip_proto, vlan, &swapped);
    struct gs_flow *flow = gs_flow_find(eng->flows, &key);
    bool is_tcp = d->ip_proto == 6;
    if (flow != NULL && flow->closed && is_tcp && (d->tcp_flags & GS_TCP_SYN) &&
        !(d->tcp_flags & GS_TCP_ACK)) {
        gs_flow_remove(eng->flows, flow, GS_FLOW_END_REPLACED);
        flow = NULL;
    }
    if (flow == NULL)
        flow = new_flow(eng, &key, d);
    else
        gs_flow_touch(eng->flows, flow, eng->clock_us);

    bool from_client =
        flow->client_port == d->src_port && memcmp(flow->client.addr, d->src.addr, 16) == 0;
    enum gs_dir dir = from_client ? GS_DIR_TO_SERVER : GS_DIR_TO_CLIENT;
    flow->packets[dir]++;
    flow->bytes[dir] += pkt->wire_len;

    struct gs_flow_info info;
    flow_info_for(flow, dir, &info);
    struct gs_pkt_ctx ctx = {.ts_us = eng->clock_us,
                             .pcap_cnt = pkt->pcap_cnt,
                             .flow = &info,
                             .l2 = &d->l2,
                             .cfg = eng->cfg,
                             .emit = engine_emit,
                             .emit_arg = eng};
    eng->cur_flow = flow;
    eng->cur_ctx = &ctx;

    classify_packet(eng, flow, d);
    if (is_tcp) {
        struct gs_tcp_segment seg = {.dir = dir,
                                     .seq = d->tcp_seq,
                                     .ack = d->tcp_ack,
                                     .flags = d->tcp_flags,
                                     .payload = d->payload,
                                     .pcap_cnt = pkt->pcap_cnt,
                                     .ts_us = eng->clock_us};
        gs_stream_segment(flow->tcp, &eng->stream_env, &seg);
        if ((d->tcp_flags & GS_TCP_RST) || (flow->tcp[0].fin && flow->tcp[1].fin))
            flow->closed = true;
    } else if (d->payload.wire_len != 0) {
        consume(eng, dir, &d->payload);
    }
    settle_classification(eng, flow, &ctx);
    eng->cur_flow = NULL;
    eng->cur_ctx = NULL;
}

static void handle_l2(struct gs_engine *eng, const struct gs_packet *pkt, struct gs_decoded *d)
{
    int index = gs_dissector_by_ether_type(eng->dissectors, d->l2.ether_type);
    if (index < 0)
        return;
    struct gs_pkt_ctx ctx = {.ts_us = eng->clock_us,
                             .pcap_cnt = pkt->pcap_cnt,
                             .flow = NULL,
                             .l2 = &d->l2,
                             .cfg = eng->cfg,
                             .emit = engine_emit,
                             .emit_arg = eng};
    eng->cur_app = index;
    eng->apps[index].pdus++;
    eng->dissectors[index]->parse(eng->l2_states[index], &ctx, &d->payload, GS_DIR_TO_SERVER);
    eng->cur_app = -1;
}

/* ---- time ---------------------------------------------------------------------------------- */

static void tick(struct gs_engine *eng)
{
    uint64_t now_s = eng->clock_us / US_PER_S;
    if (now_s == eng->last_tick_s)
        return;
    eng->last_tick_s = now_s;
    gs_flow_expire(eng->flows, eng->clock_us);
    struct gs_pkt_ctx ctx = {.ts_us = eng->clock_us,
                             .pcap_cnt = eng->pcap_cnt,
                             .cfg = eng->cfg,
                             .emit = engine_emit,
                             .emit_arg = eng};
    for (size_t i = 0; i < eng->n_detectors; i++) {
        struct detector_slot *slot = &eng->detectors[i];
        if (slot->det->on_time != NULL)
            slot->det->on_time(slot->state, &ctx);
    }
}

void gs_engine_advance(struct gs_engine *eng, uint64_t now_us)
{
    if (!eng->clock_started) {
        eng->clock_started = true;
        eng->clock_us = now_us;
        eng->last_tick_s = now_us / US_PER_S;
        return;
    }
    if (now_us > eng->clock_us)
        eng->clock_us = now_us;
    tick(eng);
}

void gs_engine_packet(struct gs_engine *eng, const struct gs_packet *pkt)
{
    eng->pcap_cnt = pkt->pcap_cnt;
    eng->stats.packets++;
    eng->stats.bytes += pkt->wire_len;
    gs_stats_count_link(&eng->stats, pkt->dlt);
    if (eng->stats.packets == 1)
        eng->stats.first_ts_us = pkt->ts_us;
    eng->stats.last_ts_us = pkt->ts_us;
    gs_engine_advance(eng, pkt->ts_us);

    struct gs_decoded d;
    switch (gs_decode_packet(eng->decoder, pkt, &d)) {
    case GS_DECODE_L4:
        handle_l4(eng, pkt, &d);
        break;
    case GS_DECODE_L2:
        handle_l2(eng, pkt, &d);
        break;
    default:
        break;
    }
}

void gs_engine_finish(struct gs_engine *eng)
{
    gs_flow_flush(eng->flows);
    eng->last_tick_s = 0;
    tick(eng);
}

/* ---- lifecycle and stats ------------------------------------------------------------------- */

struct counter_sink {
    struct gs_named_counter *slots;
    size_t n;
};

static void add_counter(void *arg, const char *name, uint64_t value)
{
    struct counter_sink *sink = arg;
    if (sink->n < GS_DETECTOR_MAX_COUNTERS)
        sink->slots[sink->n++] = (struct gs_named_counter){name, value};
}

/* The counters of every detector that reports some, into arrays the caller frees (one block). */
static struct gs_detector_counters *detector_counters(struct gs_engine *eng, size_t *n_out)
{
    *n_out = 0;
    size_t n = eng->n_detectors;
    struct gs_detector_counters *groups = NULL;
    if (n != 0)
        groups = calloc(
            1, n * (sizeof(*groups) + GS_DETECTOR_MAX_COUNTERS * sizeof(struct gs_named_counter)));
    if (groups == NULL)
        return NULL;
    struct gs_named_counter *slots = (struct gs_named_counter *)(void *)(groups + n);
    for (size_t i = 0; i < n; i++) {
        const struct detector_slot *slot = &eng->detectors[i];
        if (slot->det->counters == NULL)
            continue;
        struct counter_sink sink = {slots + *n_out * GS_DETECTOR_MAX_COUNTERS, 0};
        slot->det->counters(slot->state, add_counter, &sink);
        groups[*n_out] = (struct gs_detector_counters){slot->det->name, sink.slots, sink.n};
        (*n_out)++;
    }
    return groups;
}

void gs_engine_report_stats(struct gs_engine *eng)
{
    if (eng->out == NULL)
        return;
    struct gs_named_counter *classified = NULL;
    size_t n_classified = 0;
    if (eng->classifier != NULL) {
        classified = calloc(eng->n_classified, sizeof(*classified));
        for (size_t id = 1; classified != NULL && id < eng->n_classified; id++) {
            if (eng->classified[id] == 0)
                continue;
            classified[n_classified].name = gs_classifier_name(eng->classifier, (uint16_t)id);
            classified[n_classified].count = eng->classified[id];
            n_classified++;
        }
    }
    struct gs_stats_report report = {.stats = &eng->stats,
                                     .apps = eng->apps,
                                     .n_apps = eng->n_dissectors,
                                     .anomalies = eng->anomalies,
                                     .n_anomalies = eng->n_anomalies,
                                     .classified = classified,
                                     .n_classified = n_classified};
    struct gs_detector_counters *detectors = detector_counters(eng, &report.n_detectors);
    report.detectors = detectors;
    gs_output_stats(eng->out, eng->clock_us, &report);
    free(detectors);
    free(classified);
}

const struct gs_stats *gs_engine_stats(const struct gs_engine *eng)
{
    return &eng->stats;
}

void gs_engine_note_capture(struct gs_engine *eng, bool live, uint64_t files, uint64_t kernel_drops,
                            uint64_t iface_drops)
{
    eng->stats.live = live;
    eng->stats.files = files;
    eng->stats.capture_kernel_drops = kernel_drops;
    eng->stats.capture_iface_drops = iface_drops;
}

static int setup_dissectors(struct gs_engine *eng)
{
    eng->n_dissectors = gs_dissector_table_len(eng->dissectors);
    eng->apps = calloc(eng->n_dissectors + 1, sizeof(*eng->apps));
    eng->anomaly_base = calloc(eng->n_dissectors + 1, sizeof(*eng->anomaly_base));
    eng->l2_states = calloc(eng->n_dissectors + 1, sizeof(*eng->l2_states));
    if (eng->apps == NULL || eng->anomaly_base == NULL || eng->l2_states == NULL)
        return -1;
    /* Layer-2 protocols have no flows: their dissector gets one state for the whole engine,
     * scratch space for decoding (it must not carry PDU state from frame to frame). */
    for (size_t i = 0; i < eng->n_dissectors; i++) {
        const struct gs_dissector *d = eng->dissectors[i];
        size_t size = d->state_size != NULL ? d->state_size(eng->cfg) : 0;
        if ((d->transport & GS_TRANSPORT_L2) == 0 || size == 0)
            continue;
        eng->l2_states[i] = calloc(1, size);
        if (eng->l2_states[i] == NULL)
            return -1;
        if (d->state_init != NULL)
            d->state_init(eng->l2_states[i], eng->cfg);
    }
    size_t total = 0;
    for (size_t i = 0; i < eng->n_dissectors; i++) {
        eng->apps[i].name = eng->dissectors[i]->name;
        eng->anomaly_base[i] = total;
        const char *const *names = eng->dissectors[i]->event_names;
        for (size_t k = 0; names != NULL && names[k] != NULL; k++)
            total++;
    }
    eng->anomalies = calloc(total + 1, sizeof(*eng->anomalies));
    if (eng->anomalies == NULL)
        return -1;
    eng->n_anomalies = total;
    for (size_t i = 0; i < eng->n_dissectors; i++) {
        const char *const *names = eng->dissectors[i]->event_names;
        for (size_t k = 0; names != NULL && names[k] != NULL; k++)
            eng->anomalies[eng->anomaly_base[i] + k].name = names[k];
    }
    return 0;
}

static int setup_detectors(struct gs_engine *eng, const struct gs_detector *const *table,
                           char *errbuf)
{
    size_t n = 0;
    while (table[n] != NULL)
        n++;
    eng->detectors = calloc(n + 1, sizeof(*eng->detectors));
    if (eng->detectors == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct detector_slot *slot = &eng->detectors[eng->n_detectors];
        slot->det = table[i];
        if (slot->det->create(&slot->state, &eng->env, errbuf) != 0)
            return -1;
        eng->n_detectors++;
    }
    return 0;
}

struct gs_engine *gs_engine_create(const struct gs_engine_options *opts, char *errbuf)
{
    struct gs_engine *eng = calloc(1, sizeof(*eng));
    if (eng == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    eng->cfg = opts->cfg;
    eng->log_events = opts->log_events;
    eng->out = opts->output;
    eng->cur_app = -1;
    eng->dissectors = opts->dissectors != NULL ? opts->dissectors : gs_dissector_table;
    eng->env.cfg = opts->cfg;
    eng->env.keys = opts->keys;
    eng->env.policy = opts->policy;
    eng->env.baseline = opts->baseline;
    eng->env.alert = engine_alert;
    eng->env.alert_arg = eng;
    eng->consumer.consume = consume;
    eng->consumer.gap = stream_gap;
    eng->consumer.origin = stream_origin;
    eng->consumer.arg = eng;
    eng->stream_env.cfg = opts->cfg;
    eng->stream_env.stats = &eng->stats.stream;
    eng->stream_env.consumer = &eng->consumer;

    errbuf[0] = '\0';
    if (setup_dissectors(eng) != 0)
        goto fail;
    eng->decoder = gs_decoder_create(opts->cfg, &eng->stats);
    eng->flows = gs_flow_table_create(opts->cfg, &eng->stats.flows, release_flow, eng);
    if (eng->decoder == NULL || eng->flows == NULL)
        goto fail;
    if (opts->classify) {
        eng->classifier = opts->classifier;
        if (eng->classifier == NULL) {
            eng->classifier = gs_classifier_create();
            eng->owns_classifier = true;
        }
        if (eng->classifier != NULL) {
            eng->n_classified = gs_classifier_protocol_count(eng->classifier) + 1;
            eng->classified = calloc(eng->n_classified, sizeof(*eng->classified));
            if (eng->classified == NULL)
                goto fail;
        }
    }
    if (setup_detectors(eng, opts->detectors != NULL ? opts->detectors : gs_detector_table,
                        errbuf) != 0)
        goto fail;
    return eng;

fail:
    if (errbuf[0] == '\0')
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory creating the engine");
    gs_engine_destroy(eng);
    return NULL;
}

void gs_engine_destroy(struct gs_engine *eng)
{
    if (eng == NULL)
        return;
    gs_flow_table_destroy(eng->flows);
    for (size_t i = 0; i < eng->n_detectors; i++)
        eng->detectors[i].det->destroy(eng->detectors[i].state);
    free(eng->detectors);
    gs_decoder_destroy(eng->decoder);
    if (eng->owns_classifier)
        gs_classifier_destroy(eng->classifier);
    free(eng->classified);
    for (size_t i = 0; eng->l2_states != NULL && i < eng->n_dissectors; i++)
        free(eng->l2_states[i]);
    free(eng->l2_states);
    free(eng->apps);
    free(eng->anomaly_base);
    free(eng->anomalies);
    free(eng);
}
