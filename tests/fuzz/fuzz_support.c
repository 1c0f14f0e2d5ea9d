/*
 * fuzz_support.c - input splitting and the generic dissector driver (see fuzz_support.h).
 */
#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "detector.h"
#include "keystore.h"

#define MAGIC_LEN        4
#define MAX_STREAM_BYTES 65536

void gs_fuzz_split(const uint8_t *input, size_t size, gs_fuzz_chunk_fn *fn, void *arg)
{
    size_t start = 0;
    while (start < size) {
        size_t end = start;
        while (end + MAGIC_LEN <= size && memcmp(input + end, GS_FUZZ_MAGIC, MAGIC_LEN) != 0)
            end++;
        if (end + MAGIC_LEN > size)
            end = size;
        if (end > start) {
            size_t len = end - start - 1;
            uint8_t *copy = malloc(len ? len : 1);
            if (copy == NULL)
                abort();
            memcpy(copy, input + start + 1, len);
            fn(arg, input[start], copy, len);
            free(copy);
        }
        start = end + MAGIC_LEN;
    }
}

struct driver {
    const struct gs_dissector *d;
    void *state;
    unsigned transport;
    struct gs_config cfg;
    struct gs_flow_info flow;
    struct gs_l2_info l2;
    struct gs_pkt_ctx ctx;
    uint8_t *pending[2];
    size_t pending_len[2];
    uint64_t pcap_cnt;
    gs_fuzz_event_fn *hook;
    void *hook_arg;
};

static void ignore_event(const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    if (ev->type == GS_EVENT_ANOMALY && ((const struct gs_anomaly *)ev->body)->name == NULL)
        abort();
    const struct driver *drv = ctx->emit_arg;
    if (drv->hook != NULL)
        drv->hook(drv->hook_arg, ctx, ev);
}

static void check(const struct gs_parse_res *res, size_t given)
{
    if (res->consumed > given) {
        fprintf(stderr, "parse consumed %zu of %zu bytes\n", res->consumed, given);
        abort();
    }
}

static void stream_chunk(struct driver *drv, enum gs_dir dir, const uint8_t *data, size_t len)
{
    if (drv->pending_len[dir] + len > MAX_STREAM_BYTES) {
        drv->pending_len[dir] = 0;
        if (drv->d->state_reset != NULL)
            drv->d->state_reset(drv->state, dir);
    }
    memcpy(drv->pending[dir] + drv->pending_len[dir], data, len);
    drv->pending_len[dir] += len;
    size_t used = 0;
    while (used < drv->pending_len[dir]) {
        size_t avail = drv->pending_len[dir] - used;
        /* An exact-size copy so over-reads past the available bytes are caught. */
        uint8_t *view = malloc(avail);
        if (view == NULL)
            abort();
        memcpy(view, drv->pending[dir] + used, avail);
        struct gs_cursor cur = gs_cur_init(view, avail);
        struct gs_parse_res res = drv->d->parse(drv->state, &drv->ctx, &cur, dir);
        free(view);
        check(&res, avail);
        used += res.consumed;
        if (res.status != GS_PARSE_OK || res.consumed == 0)
            break;
    }
    memmove(drv->pending[dir], drv->pending[dir] + used, drv->pending_len[dir] - used);
    drv->pending_len[dir] -= used;
}

static void on_chunk(void *arg, uint8_t selector, const uint8_t *data, size_t len)
{
    struct driver *drv = arg;
    enum gs_dir dir = (selector & 1) ? GS_DIR_TO_CLIENT : GS_DIR_TO_SERVER;
    drv->ctx.pcap_cnt = ++drv->pcap_cnt;
    drv->ctx.ts_us += 1000;
    drv->flow.dir = dir;
    if (drv->transport == GS_TRANSPORT_TCP) {
        if ((selector & 2) && drv->d->state_reset != NULL) {
            drv->pending_len[dir] = 0;
            drv->d->state_reset(drv->state, dir);
        }
        stream_chunk(drv, dir, data, len);
        return;
    }
    size_t wire = len;
    if (selector & 4)
        wire += (size_t)(selector >> 3) + 1;
    struct gs_cursor cur = gs_cur_init_wire(data, len, wire);
    struct gs_parse_res res = drv->d->parse(drv->state, &drv->ctx, &cur, dir);
    check(&res, wire);
}

int gs_fuzz_dissector(const struct gs_dissector *d, const uint8_t *input, size_t size,
                      unsigned transport)
{
    return gs_fuzz_dissector_hook(d, input, size, transport, NULL, NULL);
}

int gs_fuzz_dissector_hook(const struct gs_dissector *d, const uint8_t *input, size_t size,
                           unsigned transport, gs_fuzz_event_fn *hook, void *arg)
{
    struct driver drv;
    memset(&drv, 0, sizeof(drv));
    drv.hook = hook;
    drv.hook_arg = arg;
    drv.d = d;
    drv.transport = transport;
    gs_config_defaults(&drv.cfg);
    size_t state_size = d->state_size != NULL ? d->state_size(&drv.cfg) : 0;
    if (state_size != 0) {
        drv.state = calloc(1, state_size);
        if (drv.state == NULL)
            abort();
    }
    if (d->state_init != NULL)
        d->state_init(drv.state, &drv.cfg);
    drv.pending[0] = malloc(MAX_STREAM_BYTES);
    drv.pending[1] = malloc(MAX_STREAM_BYTES);
    if (drv.pending[0] == NULL || drv.pending[1] == NULL)
        abort();
    drv.flow.src.family = drv.flow.dst.family = 4;
    drv.flow.ip_proto = transport == GS_TRANSPORT_UDP ? 17 : 6;
    drv.flow.dst_port = d->tcp_ports != NULL ? d->tcp_ports[0] : 0;
    drv.ctx.ts_us = 1700000000000000ull;
    drv.ctx.flow = transport == GS_TRANSPORT_L2 ? NULL : &drv.flow;
    drv.ctx.l2 = &drv.l2;
    drv.ctx.cfg = &drv.cfg;
    drv.ctx.emit = ignore_event;
    drv.ctx.emit_arg = &drv;
    /* Probes see the first bytes as the sensor would offer them. */
    if (d->probe != NULL && size > 0) {
        struct gs_cursor cur = gs_cur_init(input, size);
        (void)d->probe(&cur, GS_DIR_TO_SERVER);
    }
    gs_fuzz_split(input, size, on_chunk, &drv);
    free(drv.pending[0]);
    free(drv.pending[1]);
    free(drv.state);
    return 0;
}

/* What gs_fuzz_detector hands the detector. */
struct detector_run {
    const struct gs_detector *det;
    enum gs_event_type event_type;
    void *state;
};

static void check_alert(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *alert)
{
    (void)arg;
    (void)ctx;
    if (alert->sig == NULL || alert->n_fields > GS_ALERT_MAX_FIELDS)
        abort();
}

static void to_detector(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    const struct detector_run *run = arg;
    if (ev->type == run->event_type)
        run->det->on_event(run->state, ctx, ev);
}

int gs_fuzz_detector(const struct gs_dissector *d, const struct gs_detector *det,
                     enum gs_event_type event_type, const char *keys_json, const uint8_t *input,
                     size_t size, unsigned transport)
{
    static struct gs_keystore *keys;
    static struct gs_config cfg;
    static struct gs_detect_env env;
    char errbuf[GS_ERRBUF_SIZE];
    if (keys == NULL) {
        if (gs_keystore_parse(keys_json, strlen(keys_json), "fuzz", &keys, errbuf) != 0)
            abort();
        gs_config_defaults(&cfg);
        env = (struct gs_detect_env){.cfg = &cfg, .keys = keys, .alert = check_alert};
    }
    struct detector_run run = {.det = det, .event_type = event_type};
    if (det->create(&run.state, &env, errbuf) != 0)
        abort();
    gs_fuzz_dissector_hook(d, input, size, transport, to_detector, &run);
    det->destroy(run.state);
    return 0;
}
