/*
 * test_engine.c - the pipeline with a stand-in dissector ("lines": newline-terminated PDUs on
 * TCP 7777, recognised elsewhere by a "HELLO" probe) and a stand-in detector: port and probe
 * binding, pcap_cnt of the packet that completes a PDU, gaps reaching the dissector, events
 * reaching subscribed detectors, UDP datagrams, dissector errors, flow limits.
 */
#include <check.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "pcapw.h"
#include "test_support.h"

#define IP(a, b, c, d) ((uint32_t)((a) << 24 | (b) << 16 | (c) << 8 | (d)))

/* ---- stand-in dissector -------------------------------------------------------------------- */

struct lines_state {
    int resets[2];
};

struct line_event {
    char text[64];
    enum gs_dir dir;
};

static const char *const lines_events[] = {"lines.too_long", "lines.reset", NULL};
static const uint16_t lines_tcp_ports[] = {7777, 0};
static const uint16_t lines_udp_ports[] = {7777, 0};

static unsigned lines_probe(const struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    struct gs_cursor c = *cur;
    uint8_t hello[5];
    gs_cur_copy(&c, hello, 5);
    return gs_cur_ok(&c) && memcmp(hello, "HELLO", 5) == 0 ? GS_PROBE_SURE : GS_PROBE_NO;
}

static size_t lines_state_size(const struct gs_config *cfg)
{
    (void)cfg;
    return sizeof(struct lines_state);
}

static void lines_reset(void *state, enum gs_dir dir)
{
    ((struct lines_state *)state)->resets[dir]++;
}

static struct gs_parse_res lines_parse(void *state, const struct gs_pkt_ctx *ctx,
                                       struct gs_cursor *cur, enum gs_dir dir)
{
    (void)state;
    size_t start = gs_cur_pos(cur);
    size_t used = 0;
    size_t avail = gs_cur_remaining(cur);
    const uint8_t *p = gs_cur_ptr(cur);
    for (size_t i = 0; i < avail; i++) {
        if (p[i] != '\n')
            continue;
        struct line_event ev = {.dir = dir};
        size_t n = i - used < sizeof(ev.text) - 1 ? i - used : sizeof(ev.text) - 1;
        memcpy(ev.text, p + used, n);
        if (strcmp(ev.text, "BAD") == 0)
            return gs_parse_error(start + used);
        /* Lines travel as "DNP3" events: the engine does not look inside bodies. */
        gs_emit(ctx, GS_EVENT_DNP3, &ev);
        if (n > 20)
            gs_emit_anomaly(ctx, "lines.too_long", GS_ANOMALY_LIMIT, NULL);
        used = i + 1;
    }
    return used < avail ? gs_parse_incomplete(used, 0) : gs_parse_ok(used);
}

static const struct gs_dissector lines_dissector = {
    .name = "lines",
    .transport = GS_TRANSPORT_TCP | GS_TRANSPORT_UDP,
    .tcp_ports = lines_tcp_ports,
    .udp_ports = lines_udp_ports,
    .probe = lines_probe,
    .state_size = lines_state_size,
    .state_reset = lines_reset,
    .parse = lines_parse,
    .event_names = lines_events,
};

/* A second stand-in with no port of its own, recognised by "ALT!": as TLS on a DNP3 port. */
static unsigned alt_probe(const struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    struct gs_cursor c = *cur;
    uint8_t magic[4];
    gs_cur_copy(&c, magic, 4);
    return gs_cur_ok(&c) && memcmp(magic, "ALT!", 4) == 0 ? GS_PROBE_SURE : GS_PROBE_NO;
}

static int alt_payloads;

static struct gs_parse_res alt_parse(void *state, const struct gs_pkt_ctx *ctx,
                                     struct gs_cursor *cur, enum gs_dir dir)
{
    (void)state;
    (void)ctx;
    (void)dir;
    alt_payloads++;
    return gs_parse_ok(gs_cur_remaining(cur));
}

static const struct gs_dissector alt_dissector = {
    .name = "alt",
    .transport = GS_TRANSPORT_TCP,
    .probe = alt_probe,
    .parse = alt_parse,
};

/* A stand-in with a large per-flow state on port 8888, for the state memory bound. */
static size_t big_state_size(const struct gs_config *cfg)
{
    (void)cfg;
    return 300000;
}

static const uint16_t big_tcp_ports[] = {8888, 0};

static const struct gs_dissector big_dissector = {
    .name = "big",
    .transport = GS_TRANSPORT_TCP,
    .tcp_ports = big_tcp_ports,
    .state_size = big_state_size,
    .parse = alt_parse,
};

static const struct gs_dissector *const test_dissectors[] = {&lines_dissector, &alt_dissector,
                                                             &big_dissector, NULL};

/* ---- stand-in detector: records what it sees ----------------------------------------------- */

#define MAX_SEEN 64
static struct {
    char text[MAX_SEEN][64];
    uint64_t pcap_cnt[MAX_SEEN];
    uint64_t ts[MAX_SEEN];
    uint16_t src_port[MAX_SEEN];
    int n;
    int ticks;
    char flow_proto[MAX_SEEN][16];
    uint64_t flow_cnt[MAX_SEEN];
    int n_flows;
    char class_name[MAX_SEEN][32];
    bool class_guessed[MAX_SEEN];
    uint64_t class_cnt[MAX_SEEN];
    uint16_t class_port[MAX_SEEN];
    int n_classes;
} seen;

static int rec_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    (void)env;
    (void)errbuf;
    *state = &seen;
    return 0;
}

static void rec_destroy(void *state)
{
    (void)state;
}

static void rec_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)state;
    const struct line_event *le = ev->body;
    if (seen.n < MAX_SEEN) {
        strcpy(seen.text[seen.n], le->text);
        seen.pcap_cnt[seen.n] = ctx->pcap_cnt;
        seen.ts[seen.n] = ctx->ts_us;
        seen.src_port[seen.n] = ctx->flow->src_port;
        seen.n++;
    }
}

static void rec_time(void *state, const struct gs_pkt_ctx *ctx)
{
    (void)state;
    (void)ctx;
    seen.ticks++;
}

static void rec_flow(void *state, const struct gs_pkt_ctx *ctx, const char *app_proto)
{
    (void)state;
    if (seen.n_flows < MAX_SEEN) {
        snprintf(seen.flow_proto[seen.n_flows], sizeof(seen.flow_proto[0]), "%s", app_proto);
        seen.flow_cnt[seen.n_flows] = ctx->pcap_cnt;
        seen.n_flows++;
    }
}

static void rec_classified(void *state, const struct gs_pkt_ctx *ctx,
                           const struct gs_app_class *cls)
{
    (void)state;
    if (seen.n_classes < MAX_SEEN) {
        int i = seen.n_classes++;
        snprintf(seen.class_name[i], sizeof(seen.class_name[0]), "%s", cls->name);
        seen.class_guessed[i] = cls->guessed;
        seen.class_cnt[i] = ctx->pcap_cnt;
        seen.class_port[i] =
            ctx->flow->dir == GS_DIR_TO_SERVER ? ctx->flow->dst_port : ctx->flow->src_port;
    }
}

static const struct gs_detector recorder = {
    .name = "recorder",
    .event_mask = GS_EVENT_BIT(GS_EVENT_DNP3),
    .create = rec_create,
    .destroy = rec_destroy,
    .on_event = rec_event,
    .on_time = rec_time,
    .on_flow = rec_flow,
    .on_classified = rec_classified,
};

static const struct gs_detector *const test_detectors[] = {&recorder, NULL};

/* ---- packets ------------------------------------------------------------------------------- */

struct fixture {
    struct gs_config cfg;
    struct gs_engine *eng;
    uint64_t cnt;
    uint64_t ts;
};

static void setup_classify(struct fixture *f, bool classify)
{
    memset(f, 0, sizeof(*f));
    memset(&seen, 0, sizeof(seen));
    gs_config_defaults(&f->cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_engine_options opts = {.cfg = &f->cfg,
                                     .classify = classify,
                                     .dissectors = test_dissectors,
                                     .detectors = test_detectors};
    f->eng = gs_engine_create(&opts, err);
    ck_assert_ptr_nonnull(f->eng);
    f->ts = 1700000000000000ull;
}

static void setup(struct fixture *f)
{
    setup_classify(f, false);
}

static void tcp(struct fixture *f, bool from_client, uint16_t cport, uint16_t sport, uint32_t seq,
                uint8_t flags, const char *data)
{
    uint8_t seg[2000], ip[2100], frame[2200];
    uint32_t c = IP(10, 0, 0, 1), s = IP(10, 0, 0, 2);
    size_t len = strlen(data);
    size_t n =
        from_client
            ? gs_build_tcp(seg, c, s, cport, sport, seq, 0, flags, (const uint8_t *)data, len)
            : gs_build_tcp(seg, s, c, sport, cport, seq, 0, flags, (const uint8_t *)data, len);
    n = from_client ? gs_build_ipv4(ip, c, s, 6, 1, 0, seg, n)
                    : gs_build_ipv4(ip, s, c, 6, 1, 0, seg, n);
    struct gs_l2_addr l2 = {.src = {2, 0, 0, 0, 0, 1}, .dst = {2, 0, 0, 0, 0, 2}};
    n = gs_build_ether(frame, &l2, 0x0800, ip, n);
    f->ts += 1000;
    struct gs_packet pkt = {.ts_us = f->ts,
                            .pcap_cnt = ++f->cnt,
                            .data = frame,
                            .cap_len = (uint32_t)n,
                            .wire_len = (uint32_t)n,
                            .dlt = DLT_EN10MB};
    gs_engine_packet(f->eng, &pkt);
}

static void udp(struct fixture *f, uint16_t sport, uint16_t dport, const char *data)
{
    uint8_t frame[2200];
    uint8_t seg[2000], ip[2100];
    size_t n = gs_build_udp(seg, IP(10, 0, 0, 1), IP(10, 0, 0, 2), sport, dport,
                            (const uint8_t *)data, strlen(data));
    n = gs_build_ipv4(ip, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 1, 0, seg, n);
    struct gs_l2_addr l2 = {.src = {2, 0, 0, 0, 0, 1}, .dst = {2, 0, 0, 0, 0, 2}};
    n = gs_build_ether(frame, &l2, 0x0800, ip, n);
    f->ts += 1000;
    struct gs_packet pkt = {.ts_us = f->ts,
                            .pcap_cnt = ++f->cnt,
                            .data = frame,
                            .cap_len = (uint32_t)n,
                            .wire_len = (uint32_t)n,
                            .dlt = DLT_EN10MB};
    gs_engine_packet(f->eng, &pkt);
}

START_TEST(test_engine_port_binding_and_pcap_cnt)
{
    struct fixture f;
    setup(&f);
    tcp(&f, true, 40000, 7777, 100, GS_TCPF_SYN, "");
    tcp(&f, false, 40000, 7777, 900, GS_TCPF_SYN | GS_TCPF_ACK, "");
    tcp(&f, true, 40000, 7777, 101, GS_TCPF_ACK, "first li");
    tcp(&f, true, 40000, 7777, 109, GS_TCPF_ACK, "ne\nsecond\n");
    tcp(&f, false, 40000, 7777, 901, GS_TCPF_ACK, "reply\n");
    gs_engine_finish(f.eng);
    ck_assert_int_eq(seen.n, 3);
    ck_assert_str_eq(seen.text[0], "first line");
    /* A PDU split over two packets belongs to the packet that completed it. */
    ck_assert_uint_eq(seen.pcap_cnt[0], 4);
    ck_assert_uint_eq(seen.pcap_cnt[1], 4);
    ck_assert_str_eq(seen.text[2], "reply");
    ck_assert_uint_eq(seen.src_port[2], 7777);
    ck_assert_uint_eq(gs_engine_stats(f.eng)->flows.created, 1);
    gs_engine_destroy(f.eng);
}
END_TEST

/* A flow on a dissector's port whose first bytes another probe recognises goes to that one;
 * bytes no probe recognises (a mid-stream start) stay with the port's owner. */
START_TEST(test_engine_port_owner_yields_to_probe)
{
    struct fixture f;
    setup(&f);
    alt_payloads = 0;
    tcp(&f, true, 40001, 7777, 1, GS_TCPF_ACK, "ALT! handshake\n");
    tcp(&f, true, 40001, 7777, 16, GS_TCPF_ACK, "more\n");
    tcp(&f, true, 40002, 7777, 1, GS_TCPF_ACK, "mid-stream line\n");
    gs_engine_finish(f.eng);
    ck_assert_int_eq(alt_payloads, 2);
    ck_assert_int_eq(seen.n, 1);
    ck_assert_str_eq(seen.text[0], "mid-stream line");
    gs_engine_destroy(f.eng);
}
END_TEST

START_TEST(test_engine_probe_on_odd_port)
{
    struct fixture f;
    setup(&f);
    tcp(&f, true, 40001, 20001, 5, GS_TCPF_ACK, "noise\n");
    tcp(&f, true, 40002, 20002, 5, GS_TCPF_ACK, "HELLO\n");
    tcp(&f, true, 40002, 20002, 11, GS_TCPF_ACK, "after\n");
    gs_engine_finish(f.eng);
    /* The first flow never matched the probe; the second was claimed by it. */
    ck_assert_int_eq(seen.n, 2);
    ck_assert_str_eq(seen.text[0], "HELLO");
    ck_assert_str_eq(seen.text[1], "after");
    gs_engine_destroy(f.eng);
}
END_TEST

START_TEST(test_engine_gap_resets_dissector)
{
    struct fixture f;
    setup(&f);
    tcp(&f, true, 40000, 7777, 0, GS_TCPF_SYN, "");
    tcp(&f, true, 40000, 7777, 1, GS_TCPF_ACK, "abc\npart");
    tcp(&f, true, 40000, 7777, 500, GS_TCPF_ACK, "resync\n");
    gs_engine_finish(f.eng);
    ck_assert_int_eq(seen.n, 2);
    ck_assert_str_eq(seen.text[1], "resync");
    ck_assert_uint_eq(gs_engine_stats(f.eng)->stream.gaps, 1);
    gs_engine_destroy(f.eng);
}
END_TEST

/* Data held behind a hole and delivered during a later packet keeps the number and time of
 * the packet that carried it (tshark's numbering when the capture lost a segment). */
START_TEST(test_engine_held_data_keeps_its_packet)
{
    struct fixture f;
    setup(&f);
    tcp(&f, true, 40000, 7777, 0, GS_TCPF_SYN, "");
    tcp(&f, true, 40000, 7777, 1, GS_TCPF_ACK, "abc\n");
    tcp(&f, true, 40000, 7777, 10, GS_TCPF_ACK, "late\n");
    uint64_t late_ts = f.ts;
    tcp(&f, false, 40000, 7777, 1, GS_TCPF_ACK, "");
    tcp(&f, true, 40000, 7777, 15, GS_TCPF_ACK, "next\n");
    gs_engine_finish(f.eng);
    ck_assert_int_eq(seen.n, 3);
    ck_assert_str_eq(seen.text[1], "late");
    ck_assert_uint_eq(seen.pcap_cnt[1], 3);
    ck_assert_uint_eq(seen.ts[1], late_ts);
    ck_assert_str_eq(seen.text[2], "next");
    ck_assert_uint_eq(seen.pcap_cnt[2], 5);
    gs_engine_destroy(f.eng);
}
END_TEST

START_TEST(test_engine_udp_and_anomalies)
{
    struct fixture f;
    setup(&f);
    udp(&f, 5000, 7777, "datagram\nthis line is longer than twenty\n");
    gs_engine_finish(f.eng);
    ck_assert_int_eq(seen.n, 2);
    ck_assert_str_eq(seen.text[0], "datagram");
    gs_engine_destroy(f.eng);
}
END_TEST

START_TEST(test_engine_dissector_error_detaches)
{
    struct fixture f;
    setup(&f);
    tcp(&f, true, 40000, 7777, 1, GS_TCPF_ACK, "ok\nBAD\nlater\n");
    tcp(&f, true, 40000, 7777, 15, GS_TCPF_ACK, "more\n");
    gs_engine_finish(f.eng);
    ck_assert_int_eq(seen.n, 1);
    ck_assert_uint_eq(gs_engine_stats(f.eng)->dissector_errors, 1);
    gs_engine_destroy(f.eng);
}
END_TEST

START_TEST(test_engine_flow_limit_bounds_memory)
{
    struct fixture f;
    memset(&f, 0, sizeof(f));
    memset(&seen, 0, sizeof(seen));
    gs_config_defaults(&f.cfg);
    f.cfg.flow_max_flows = 16;
    char err[GS_ERRBUF_SIZE];
    struct gs_engine_options opts = {
        .cfg = &f.cfg, .dissectors = test_dissectors, .detectors = test_detectors};
    f.eng = gs_engine_create(&opts, err);
    f.ts = 1700000000000000ull;
    /* A flood of connections, each leaving a partial PDU buffered. */
    for (uint16_t i = 0; i < 200; i++)
        tcp(&f, true, (uint16_t)(30000 + i), 7777, 1, GS_TCPF_ACK, "partial-without-newline");
    const struct gs_stats *st = gs_engine_stats(f.eng);
    ck_assert_uint_eq(st->flows.max_active, 16);
    ck_assert_uint_eq(st->flows.evicted, 184);
    gs_engine_finish(f.eng);
    gs_engine_destroy(f.eng);
}
END_TEST

/* Protocol state of all flows together stays under flow.max_state_mib: the least recently
 * seen flows make room. */
START_TEST(test_engine_state_memory_bound)
{
    struct fixture f;
    memset(&f, 0, sizeof(f));
    memset(&seen, 0, sizeof(seen));
    gs_config_defaults(&f.cfg);
    f.cfg.flow_max_state_mib = 1;
    char err[GS_ERRBUF_SIZE];
    struct gs_engine_options opts = {
        .cfg = &f.cfg, .dissectors = test_dissectors, .detectors = test_detectors};
    f.eng = gs_engine_create(&opts, err);
    f.ts = 1700000000000000ull;
    const struct gs_stats *st = gs_engine_stats(f.eng);
    for (uint16_t i = 0; i < 10; i++) {
        tcp(&f, true, (uint16_t)(30000 + i), 8888, 1, GS_TCPF_ACK, "x");
        ck_assert_uint_le(st->flows.state_bytes, 1u << 20);
    }
    ck_assert_uint_eq(st->flows.state_bytes, 3 * 300000);
    ck_assert_uint_le(st->flows.max_state_bytes, 1u << 20);
    ck_assert_uint_eq(st->flows.evicted_for_memory, 7);
    gs_engine_finish(f.eng);
    ck_assert_uint_eq(st->flows.state_bytes, 0);
    gs_engine_destroy(f.eng);
}
END_TEST

START_TEST(test_engine_packet_time_ticks)
{
    struct fixture f;
    setup(&f);
    tcp(&f, true, 40000, 7777, 1, GS_TCPF_ACK, "x\n");
    f.ts += 5 * 1000000ull;
    tcp(&f, true, 40000, 7777, 3, GS_TCPF_ACK, "y\n");
    int before = seen.ticks;
    gs_engine_advance(f.eng, f.ts + 3000000ull);
    ck_assert_int_gt(seen.ticks, before);
    /* Time never runs backwards for detectors. */
    before = seen.ticks;
    gs_engine_advance(f.eng, f.ts - 60000000ull);
    ck_assert_int_eq(seen.ticks, before);
    gs_engine_finish(f.eng);
    gs_engine_destroy(f.eng);
}
END_TEST

START_TEST(test_engine_on_flow_once_per_accepted_flow)
{
    struct fixture f;
    setup(&f);
    /* Accepted by port: announced at the first payload, not at the SYN, and only once. */
    tcp(&f, true, 40000, 7777, 0, GS_TCPF_SYN, "");
    tcp(&f, true, 40000, 7777, 1, GS_TCPF_ACK, "one\n");
    tcp(&f, true, 40000, 7777, 5, GS_TCPF_ACK, "two\n");
    /* Refused by its dissector on the first payload: never announced. */
    tcp(&f, true, 40001, 7777, 1, GS_TCPF_ACK, "BAD\n");
    /* Claimed by the probe on an odd port. */
    tcp(&f, true, 40002, 20002, 1, GS_TCPF_ACK, "HELLO\n");
    gs_engine_finish(f.eng);
    ck_assert_int_eq(seen.n_flows, 2);
    ck_assert_str_eq(seen.flow_proto[0], "lines");
    ck_assert_uint_eq(seen.flow_cnt[0], 2);
    ck_assert_uint_eq(seen.flow_cnt[1], 5);
    gs_engine_destroy(f.eng);
}
END_TEST

/* Flows no dissector handles reach on_classified once: when nDPI names the protocol, after 32
 * packets nDPI could not name, or when the flow ends; flows a dissector handles never, flows
 * whose dissector gave up too. */
START_TEST(test_engine_on_classified_once_per_unclaimed_flow)
{
    struct fixture f;
    setup_classify(&f, true);
    tcp(&f, true, 40000, 80, 0, GS_TCPF_SYN, "");
    tcp(&f, false, 40000, 80, 500, GS_TCPF_SYN | GS_TCPF_ACK, "");
    tcp(&f, true, 40000, 80, 1, GS_TCPF_ACK, "GET /config.xml HTTP/1.1\r\nHost: rtu\r\n\r\n");
    tcp(&f, false, 40000, 80, 501, GS_TCPF_ACK, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    ck_assert_int_eq(seen.n_classes, 1);
    ck_assert_str_eq(seen.class_name[0], "HTTP");
    ck_assert(!seen.class_guessed[0]);
    ck_assert_uint_le(seen.class_cnt[0], 4);
    ck_assert_uint_eq(seen.class_port[0], 80);
    /* Claimed by a dissector: never classified. */
    tcp(&f, true, 40001, 7777, 1, GS_TCPF_ACK, "one\n");
    /* 33 packets nDPI cannot name: announced at the 33rd. */
    for (int i = 0; i < 33; i++)
        udp(&f, 41000, 40999, "\x01\x7f\x33 opaque");
    ck_assert_int_eq(seen.n_classes, 2);
    ck_assert_uint_eq(seen.class_cnt[1], f.cnt);
    ck_assert_str_eq(seen.class_name[1], "unknown");
    /* A short flow nDPI cannot name, and one its dissector refuses: announced when they end. */
    udp(&f, 41001, 40998, "\x02\x7e opaque");
    tcp(&f, true, 40003, 7777, 1, GS_TCPF_ACK, "BAD\n");
    ck_assert_int_eq(seen.n_classes, 2);
    gs_engine_finish(f.eng);
    ck_assert_int_eq(seen.n_classes, 4);
    bool udp_seen = false, refused_seen = false;
    for (int i = 2; i < 4; i++) {
        udp_seen = udp_seen || seen.class_port[i] == 40998;
        refused_seen = refused_seen || seen.class_port[i] == 7777;
        ck_assert_str_eq(seen.class_name[i], "unknown");
    }
    ck_assert(udp_seen && refused_seen);
    ck_assert_int_eq(seen.n_flows, 1);
    gs_engine_destroy(f.eng);
}
END_TEST

static Suite *suite_engine(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("pipeline");
    tcase_add_test(tc, test_engine_port_binding_and_pcap_cnt);
    tcase_add_test(tc, test_engine_probe_on_odd_port);
    tcase_add_test(tc, test_engine_port_owner_yields_to_probe);
    tcase_add_test(tc, test_engine_gap_resets_dissector);
    tcase_add_test(tc, test_engine_held_data_keeps_its_packet);
    tcase_add_test(tc, test_engine_udp_and_anomalies);
    tcase_add_test(tc, test_engine_dissector_error_detaches);
    tcase_add_test(tc, test_engine_flow_limit_bounds_memory);
    tcase_add_test(tc, test_engine_packet_time_ticks);
    tcase_add_test(tc, test_engine_state_memory_bound);
    tcase_add_test(tc, test_engine_on_flow_once_per_accepted_flow);
    tcase_add_test(tc, test_engine_on_classified_once_per_unclaimed_flow);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_engine)
