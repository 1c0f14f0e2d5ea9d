/*
 * test_baseline.c - the poll-rate baseline detector, driven with typed events and clock ticks
 * as the engine drives it: what learning writes (median and MAD robust to jitter, retries and
 * a late poll; irregular, sparse and stopped series not trusted), the request kinds of each
 * protocol, missed polls (once per silence, re-armed, never-seen series), rate windows (high at
 * the crossing request, low at the window's end, once per episode), new talkers and request
 * kinds, policy polls with and without a kind, the bounded table (evictions and drops
 * counted, watched series kept), every kind of bad baseline file refused in one line, the
 * learn/save/load round trip with a hand edit, and the atomic write.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "dnp3.h"
#include "iec104.h"
#include "mms.h"
#include "policy.h"
#include "test_support.h"

#define S  1000000ull
#define MS 1000ull
#define T0 1795300000000000ull

/* ---- a harness standing in for the engine ----------------------------------------------- */

struct seen_alert {
    char rule[48];
    uint64_t pcap_cnt, ts_us;
    char key[160], kind[100], source[16], direction[8], conduit[32];
    bool src_ip_set;
    uint64_t observed_gap_ms, expected_period_ms;
    bool seen_in_capture;
};

struct h {
    struct gs_config cfg;
    struct gs_detect_env env;
    struct gs_baseline *model;
    struct gs_policy *policy;
    void *state;
    uint64_t pcap_cnt;
    uint64_t last_tick_s;
    struct seen_alert alerts[128];
    size_t n_alerts;
};

static void on_alert(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *a)
{
    struct h *h = arg;
    ck_assert_uint_lt(h->n_alerts, 128);
    struct seen_alert *s = &h->alerts[h->n_alerts++];
    memset(s, 0, sizeof(*s));
    snprintf(s->rule, sizeof(s->rule), "%s", a->sig->rule);
    s->pcap_cnt = ctx->pcap_cnt;
    s->ts_us = ctx->ts_us;
    s->src_ip_set = ctx->flow != NULL;
    ck_assert_str_eq(a->section, "baseline");
    if (a->conduit != NULL)
        snprintf(s->conduit, sizeof(s->conduit), "%s", a->conduit);
    for (size_t i = 0; i < a->n_fields; i++) {
        const struct gs_alert_field *f = &a->fields[i];
        if (strcmp(f->key, "key") == 0)
            snprintf(s->key, sizeof(s->key), "%s", f->v.s);
        else if (strcmp(f->key, "kind") == 0)
            snprintf(s->kind, sizeof(s->kind), "%s", f->v.s);
        else if (strcmp(f->key, "source") == 0)
            snprintf(s->source, sizeof(s->source), "%s", f->v.s);
        else if (strcmp(f->key, "direction") == 0)
            snprintf(s->direction, sizeof(s->direction), "%s", f->v.s);
        else if (strcmp(f->key, "observed_gap_ms") == 0)
            s->observed_gap_ms = f->v.u;
        else if (strcmp(f->key, "expected_period_ms") == 0)
            s->expected_period_ms = f->v.u;
        else if (strcmp(f->key, "seen_in_capture") == 0)
            s->seen_in_capture = f->v.b;
    }
}

static char tmp[64];

static const char *write_tmp(const char *text)
{
    snprintf(tmp, sizeof(tmp), "/tmp/gs-baseline-XXXXXX");
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return tmp;
}

static void h_init(struct h *h)
{
    memset(h, 0, sizeof(*h));
    gs_config_defaults(&h->cfg);
}

/* mode: 'l' learn, 'e' enforce `file_text`, 'n' no baseline (policy only). */
static void h_start(struct h *h, char mode, const char *file_text, const char *policy_text)
{
    char errbuf[GS_ERRBUF_SIZE];
    if (policy_text != NULL) {
        const char *p = write_tmp(policy_text);
        ck_assert_msg(gs_policy_load(&h->policy, p, errbuf) == 0, "%s", errbuf);
        unlink(p);
    }
    if (mode == 'l') {
        ck_assert_int_eq(gs_baseline_create_learning(&h->model, &h->cfg, errbuf), 0);
    } else if (mode == 'e') {
        const char *p = write_tmp(file_text);
        ck_assert_msg(gs_baseline_load(&h->model, p, &h->cfg, errbuf) == 0, "%s", errbuf);
        unlink(p);
    }
    h->env.cfg = &h->cfg;
    h->env.policy = h->policy;
    h->env.baseline = h->model;
    h->env.alert = on_alert;
    h->env.alert_arg = h;
    ck_assert_int_eq(gs_baseline_detector.create(&h->state, &h->env, errbuf), 0);
    h->last_tick_s = T0 / S;
}

static void h_fini(struct h *h)
{
    gs_baseline_detector.destroy(h->state);
    gs_baseline_free(h->model);
    gs_policy_free(h->policy);
}

static struct gs_pkt_ctx ctx_at(struct h *h, uint64_t t_ms, const struct gs_flow_info *f)
{
    struct gs_pkt_ctx c = {
        .ts_us = T0 + t_ms * MS, .pcap_cnt = ++h->pcap_cnt, .flow = f, .cfg = &h->cfg};
    return c;
}

/* The engine's clock: on_time at the first packet of every new second (here, every second
 * whether or not a packet came, as on a busy link). */
static void clock_to(struct h *h, uint64_t t_ms)
{
    uint64_t now_s = (T0 + t_ms * MS) / S;
    while (h->last_tick_s < now_s) {
        h->last_tick_s++;
        struct gs_pkt_ctx c = {
            .ts_us = h->last_tick_s * S, .pcap_cnt = ++h->pcap_cnt, .cfg = &h->cfg};
        gs_baseline_detector.on_time(h->state, &c);
    }
}

static struct gs_ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct gs_ip ip = {.family = 4, .addr = {a, b, c, d}};
    return ip;
}

static struct gs_flow_info flow(struct gs_ip src, struct gs_ip dst, uint16_t dport, bool to_server)
{
    struct gs_flow_info f = {.flow_id = 7,
                             .src = src,
                             .dst = dst,
                             .src_port = to_server ? 40000 : dport,
                             .dst_port = to_server ? dport : 40000,
                             .ip_proto = 6,
                             .dir = to_server ? GS_DIR_TO_SERVER : GS_DIR_TO_CLIENT};
    return f;
}

/* A DNP3 request from master 10.1.0.<m> to outstation 10.2.0.10 (link address dst). */
static void dnp3_req(struct h *h, uint64_t t_ms, uint8_t m, uint8_t fc, uint8_t group,
                     uint8_t variation, uint16_t dst)
{
    clock_to(h, t_ms);
    struct gs_dnp3_object obj[2] = {{.group = 120, .variation = 3},
                                    {.group = group, .variation = variation}};
    bool aggressive = fc == GS_DNP3_FC_DIRECT_OPERATE; /* g120v3 first, as in aggressive mode */
    struct gs_dnp3_event e = {.from_master = true,
                              .function_code = fc,
                              .objects = aggressive ? obj : obj + 1,
                              .n_objects = group == 0 ? 0 : (aggressive ? 2 : 1),
                              .src = 1,
                              .dst = dst};
    struct gs_flow_info f = flow(ip4(10, 1, 0, m), ip4(10, 2, 0, 10), 20000, true);
    struct gs_pkt_ctx c = ctx_at(h, t_ms, &f);
    struct gs_event ev = {GS_EVENT_DNP3, &e};
    gs_baseline_detector.on_event(h->state, &c, &ev);
}

static void read_class0(struct h *h, uint64_t t_ms)
{
    dnp3_req(h, t_ms, 2, GS_DNP3_FC_READ, 60, 1, 1024);
}

static size_t count_rule(const struct h *h, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_alerts; i++)
        n += strcmp(h->alerts[i].rule, rule) == 0;
    return n;
}

struct counters {
    const char *names[32];
    uint64_t values[32];
    size_t n;
};

static void add_counter(void *arg, const char *name, uint64_t value)
{
    struct counters *c = arg;
    c->names[c->n] = name;
    c->values[c->n++] = value;
}

static uint64_t counter(const struct h *h, const char *name)
{
    struct counters c = {.n = 0};
    gs_baseline_detector.counters(h->state, add_counter, &c);
    for (size_t i = 0; i < c.n; i++) {
        if (strcmp(c.names[i], name) == 0)
            return c.values[i];
    }
    ck_abort_msg("no counter %s", name);
    return 0;
}

/* Saves a learning harness's model and returns the file parsed. */
static json_t *saved_json(struct h *h)
{
    char errbuf[GS_ERRBUF_SIZE];
    char path[] = "/tmp/gs-baseline-save-XXXXXX";
    close(mkstemp(path));
    struct gs_baseline_saved saved;
    ck_assert_msg(gs_baseline_save(h->model, path, &saved, errbuf) == 0, "%s", errbuf);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    ck_assert_ptr_nonnull(root);
    unlink(path);
    ck_assert_uint_eq(saved.series, json_array_size(json_object_get(root, "series")));
    return root;
}

static json_t *series_by_kind(json_t *root, const char *kind)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(root, "series"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "kind")), kind) == 0)
            return s;
    }
    return NULL;
}

static double num(json_t *s, const char *key)
{
    json_t *v = json_object_get(s, key);
    ck_assert_msg(json_is_number(v), "%s missing", key);
    return json_number_value(v);
}

/* ---- learning --------------------------------------------------------------------------- */

START_TEST(test_baseline_learn_robust_median)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'l', NULL, NULL);
    /* 120 polls every 30 s with a deterministic +-400 ms jitter; every 10th retried 600 ms
     * later (same poll); poll 50 comes 9 s late. */
    uint64_t t = 0;
    for (unsigned k = 0; k < 120; k++) {
        int64_t jit = (int64_t)((k * 7919u) % 801u) - 400;
        t = (uint64_t)(2500 + (int64_t)k * 30000 + jit + (k == 50 ? 9000 : 0));
        read_class0(&h, t);
        if (k % 10 == 7)
            read_class0(&h, t + 600);
    }
    clock_to(&h, t + 1000);
    json_t *root = saved_json(&h);
    json_t *s = series_by_kind(root, "READ g60v1 @1024");
    ck_assert_ptr_nonnull(s);
    ck_assert(json_is_true(json_object_get(s, "periodic")));
    ck_assert_double_eq_tol(num(s, "period_s"), 30.0, 0.2);
    ck_assert_double_eq_tol(num(s, "tolerance"), 0.5, 1e-9);
    ck_assert_double_eq_tol(num(s, "per_poll"), 1.1, 0.01);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "polls")), 120);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "requests")), 132);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "samples")), 119);
    ck_assert_double_lt(num(s, "jitter_s"), 0.5);
    ck_assert_double_gt(num(s, "max_gap_s"), 38.0); /* the late poll is seen, not learned */
    ck_assert_str_eq(json_string_value(json_object_get(s, "key")),
                     "dnp3 10.1.0.2 > 10.2.0.10 READ g60v1 @1024");
    ck_assert_ptr_null(json_object_get(s, "note"));
    ck_assert_str_eq(json_string_value(json_object_get(root, "format")), "gridsensor-baseline");
    ck_assert_int_eq(h.n_alerts, 0);
    json_decref(root);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_learn_untrusted)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'l', NULL, NULL);
    /* Irregular: READ g1v2 at intervals spread over 5..59 s. Bimodal: READ g2v2 every 10 s,
     * but every fourth interval 40 s (a median and MAD of 10 s and 0, yet a quarter of the
     * intervals would be missed polls). Sparse: 5 polls. Stopped: 30 polls every 10 s, then
     * silence to the end. */
    uint64_t t = 0;
    for (unsigned k = 0; k < 60; k++) {
        t += 5000 + (k * 37u % 55u) * 1000;
        dnp3_req(&h, t, 2, GS_DNP3_FC_READ, 1, 2, 1024);
    }
    uint64_t end = t;
    t = 0;
    for (unsigned k = 0; k < 60; k++) {
        t += k % 4 == 3 ? 40000 : 10000;
        dnp3_req(&h, t + 300, 2, GS_DNP3_FC_READ, 2, 2, 1024);
    }
    for (unsigned k = 0; k < 5; k++)
        dnp3_req(&h, 1000 + k * 10000, 2, GS_DNP3_FC_READ, 30, 1, 1024);
    for (unsigned k = 0; k < 30; k++)
        dnp3_req(&h, 2000 + k * 10000, 2, GS_DNP3_FC_READ, 20, 1, 1024);
    clock_to(&h, (end > t ? end : t) + 1000);
    json_t *root = saved_json(&h);
    static const struct {
        const char *kind, *note;
    } untrusted[] = {
        {"READ g1v2 @1024", "too irregular to trust a period"},
        {"READ g2v2 @1024", "too many intervals longer than period x (1 + tolerance)"},
        {"READ g30v1 @1024", "too few polls to trust a period"},
        {"READ g20v1 @1024", "stopped before the end of learning"},
    };
    for (size_t i = 0; i < sizeof(untrusted) / sizeof(untrusted[0]); i++) {
        json_t *s = series_by_kind(root, untrusted[i].kind);
        ck_assert_ptr_nonnull(s);
        ck_assert_msg(json_is_false(json_object_get(s, "periodic")), "%s", untrusted[i].kind);
        ck_assert_str_eq(json_string_value(json_object_get(s, "note")), untrusted[i].note);
    }
    json_decref(root);
    h_fini(&h);
}
END_TEST

/* ---- request kinds ---------------------------------------------------------------------- */

static void iec104_event(struct h *h, uint64_t t_ms, bool from_client, enum gs_iec104_format fmt,
                         uint8_t u, const struct gs_iec104_asdu *asdu)
{
    clock_to(h, t_ms);
    struct gs_iec104_event e = {.apci = {.format = fmt, .u_function = u}, .asdu = asdu};
    struct gs_ip client = ip4(10, 3, 0, 5), server = ip4(10, 3, 0, 20);
    struct gs_flow_info f =
        from_client ? flow(client, server, 2404, true) : flow(server, client, 2404, false);
    struct gs_pkt_ctx c = ctx_at(h, t_ms, &f);
    struct gs_event ev = {GS_EVENT_IEC104, &e};
    gs_baseline_detector.on_event(h->state, &c, &ev);
}

static struct gs_span span(const char *s)
{
    struct gs_span sp = {(const uint8_t *)s, strlen(s)};
    return sp;
}

static void mms_event(struct h *h, uint64_t t_ms, bool from_client, const struct gs_mms_event *e)
{
    clock_to(h, t_ms);
    struct gs_ip client = ip4(10, 5, 0, 5), server = ip4(10, 5, 0, 50);
    struct gs_flow_info f =
        from_client ? flow(client, server, 102, true) : flow(server, client, 102, false);
    struct gs_pkt_ctx c = ctx_at(h, t_ms, &f);
    struct gs_event ev = {GS_EVENT_MMS, e};
    gs_baseline_detector.on_event(h->state, &c, &ev);
}

START_TEST(test_baseline_kinds)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'l', NULL, NULL);
    /* DNP3: a response is no request; aggressive mode's g120v3 is skipped. */
    dnp3_req(&h, 100, 2, GS_DNP3_FC_DIRECT_OPERATE, 12, 1, 1024);
    dnp3_req(&h, 200, 2, GS_DNP3_FC_READ, 0, 0, 77); /* no object: "READ @77" */
    /* IEC 104: TESTFR act from the client, TESTFR con (not a request), STARTDT act, an S-frame
     * (not a series), a command act, its actcon (not a request), cyclic data from the server,
     * spontaneous data (not periodic by nature: no series). */
    iec104_event(&h, 300, true, GS_IEC104_FORMAT_U, GS_IEC104_U_TESTFR_ACT, NULL);
    iec104_event(&h, 301, false, GS_IEC104_FORMAT_U, GS_IEC104_U_TESTFR_CON, NULL);
    iec104_event(&h, 302, true, GS_IEC104_FORMAT_U, GS_IEC104_U_STARTDT_ACT, NULL);
    iec104_event(&h, 303, true, GS_IEC104_FORMAT_S, 0, NULL);
    struct gs_iec104_asdu gi = {
        .type_id = 100, .has_cot = true, .cot = 6, .has_ca = true, .ca = 3, .is_command = true};
    iec104_event(&h, 304, true, GS_IEC104_FORMAT_I, 0, &gi);
    gi.cot = 7;
    iec104_event(&h, 305, false, GS_IEC104_FORMAT_I, 0, &gi);
    struct gs_iec104_asdu cyc = {.type_id = 13, .has_cot = true, .cot = 1, .has_ca = true, .ca = 3};
    iec104_event(&h, 306, false, GS_IEC104_FORMAT_I, 0, &cyc);
    cyc.cot = 3;
    iec104_event(&h, 307, false, GS_IEC104_FORMAT_I, 0, &cyc);
    /* MMS: a read of a domain variable, a read by list, a write, getNameList, a report with
     * its RptID, a response (no series), a name with control bytes. */
    struct gs_mms_object_name obj = {
        .scope = GS_MMS_SCOPE_DOMAIN, .domain = span("IED1LD0"), .item = span("MMXU1$MX$TotW")};
    struct gs_mms_event rd = {.pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
                              .has_service = true,
                              .service = GS_MMS_SVC_READ,
                              .objects = &obj,
                              .n_objects = 1};
    mms_event(&h, 400, true, &rd);
    struct gs_mms_event lst = rd;
    lst.has_list_name = true;
    lst.list_name = (struct gs_mms_object_name){
        .scope = GS_MMS_SCOPE_DOMAIN, .domain = span("IED1LD0"), .item = span("LLN0$DS1")};
    mms_event(&h, 401, true, &lst);
    struct gs_mms_object_name oper = {
        .scope = GS_MMS_SCOPE_DOMAIN, .domain = span("IED1LD0"), .item = span("CSWI1$CO$Pos$Oper")};
    struct gs_mms_event wr = {.pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
                              .has_service = true,
                              .service = GS_MMS_SVC_WRITE,
                              .objects = &oper,
                              .n_objects = 1};
    mms_event(&h, 402, true, &wr);
    struct gs_mms_event gnl = {.pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
                               .has_service = true,
                               .service = GS_MMS_SVC_GET_NAME_LIST};
    mms_event(&h, 403, true, &gnl);
    struct gs_data_node rptid = {
        .type = GS_DATA_VISIBLE_STRING, .valid = true, .raw = span("IED1LD0/LLN0$BR$brcb01")};
    struct gs_mms_event rpt = {.pdu = GS_MMS_PDU_UNCONFIRMED,
                               .has_service = true,
                               .service = GS_MMS_UNC_INFORMATION_REPORT,
                               .has_list_name = true,
                               .list_name = {.scope = GS_MMS_SCOPE_VMD, .item = span("RPT")},
                               .values = {.nodes = &rptid, .cap = 1, .n = 1}};
    mms_event(&h, 404, false, &rpt);
    struct gs_mms_event rsp = rd;
    rsp.pdu = GS_MMS_PDU_CONFIRMED_RESPONSE;
    mms_event(&h, 405, false, &rsp);
    struct gs_mms_object_name odd = {.scope = GS_MMS_SCOPE_VMD, .item = span("a b\x01")};
    rd.objects = &odd;
    mms_event(&h, 406, true, &rd);

    json_t *root = saved_json(&h);
    static const char *const keys[] = {
        "dnp3 10.1.0.2 > 10.2.0.10 DIRECT_OPERATE g12v1 @1024",
        "dnp3 10.1.0.2 > 10.2.0.10 READ @77",
        "iec104 10.3.0.5 > 10.3.0.20 C_IC_NA_1 act @3",
        "iec104 10.3.0.5 > 10.3.0.20 startdt_act",
        "iec104 10.3.0.5 > 10.3.0.20 testfr_act",
        "iec104 10.3.0.20 > 10.3.0.5 M_ME_NC_1 per/cyc @3",
        "mms 10.5.0.5 > 10.5.0.50 getNameList",
        "mms 10.5.0.5 > 10.5.0.50 read IED1LD0/MMXU1$MX$TotW",
        "mms 10.5.0.5 > 10.5.0.50 read a?b?",
        "mms 10.5.0.5 > 10.5.0.50 read list IED1LD0/LLN0$DS1",
        "mms 10.5.0.5 > 10.5.0.50 write IED1LD0/CSWI1$CO$Pos$Oper",
        "mms 10.5.0.50 > 10.5.0.5 informationReport RPT IED1LD0/LLN0$BR$brcb01",
    };
    json_t *list = json_object_get(root, "series");
    ck_assert_uint_eq(json_array_size(list), sizeof(keys) / sizeof(keys[0]));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) /* written sorted */
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, i), "key")),
                         keys[i]);
    json_decref(root);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_kind_truncated)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'l', NULL, NULL);
    char longname[300];
    memset(longname, 'X', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    struct gs_mms_object_name obj = {.scope = GS_MMS_SCOPE_VMD, .item = span(longname)};
    struct gs_mms_event rd = {.pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
                              .has_service = true,
                              .service = GS_MMS_SVC_READ,
                              .objects = &obj,
                              .n_objects = 1};
    mms_event(&h, 100, true, &rd);
    longname[200] = 'Y'; /* differs after the cut: the same series */
    mms_event(&h, 200, true, &rd);
    ck_assert_uint_eq(counter(&h, "kinds_truncated"), 2);
    ck_assert_uint_eq(counter(&h, "series"), 1);
    h_fini(&h);
}
END_TEST

/* ---- enforcing -------------------------------------------------------------------------- */

/* A baseline of one class 0 series of `period` s, `tolerance`, per_poll 1. */
static const char *one_series(double period, double tolerance)
{
    static char text[1024];
    snprintf(text, sizeof(text),
             "{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [\n"
             " {\"key\": \"informational\", \"protocol\": \"dnp3\", \"from\": \"10.1.0.2\",\n"
             "  \"to\": \"10.2.0.10\", \"kind\": \"READ g60v1 @1024\", \"periodic\": true,\n"
             "  \"period_s\": %g, \"tolerance\": %g, \"per_poll\": 1.0, \"samples\": 119}]}\n",
             period, tolerance);
    return text;
}

START_TEST(test_baseline_poll_missed_once_per_silence)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'e', one_series(30, 0.5), NULL);
    read_class0(&h, 0);
    read_class0(&h, 30000);
    read_class0(&h, 60000);
    clock_to(&h, 105000); /* exactly 45 s: not yet */
    ck_assert_int_eq(h.n_alerts, 0);
    clock_to(&h, 106000);
    ck_assert_int_eq(h.n_alerts, 1);
    struct seen_alert *a = &h.alerts[0];
    ck_assert_str_eq(a->rule, "baseline.poll_missed");
    ck_assert_uint_eq(a->ts_us, T0 + 106 * S);
    ck_assert_uint_eq(a->pcap_cnt, h.pcap_cnt); /* the packet that moved the clock */
    ck_assert_uint_eq(a->observed_gap_ms, 46000);
    ck_assert_uint_eq(a->expected_period_ms, 30000);
    ck_assert_str_eq(a->source, "baseline");
    ck_assert(a->seen_in_capture);
    ck_assert(a->src_ip_set); /* raised from the clock, yet it names the endpoints */
    ck_assert_str_eq(a->key, "dnp3 10.1.0.2 > 10.2.0.10 READ g60v1 @1024");
    clock_to(&h, 150000); /* the same silence: once */
    ck_assert_int_eq(h.n_alerts, 1);
    read_class0(&h, 150500); /* resumes, then stops again */
    clock_to(&h, 196000);
    ck_assert_int_eq(h.n_alerts, 2);
    ck_assert_uint_eq(counter(&h, "poll_missed"), 2);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_never_seen)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'e', one_series(30, 0.5), NULL);
    dnp3_req(&h, 0, 2, GS_DNP3_FC_READ, 60, 2, 1024); /* other traffic: a new request */
    clock_to(&h, 45000);
    ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), 0);
    clock_to(&h, 46000);
    ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), 1);
    struct seen_alert *a = &h.alerts[h.n_alerts - 1];
    ck_assert(!a->seen_in_capture);
    ck_assert(!a->src_ip_set);
    ck_assert_int_eq(count_rule(&h, "baseline.new_request"), 1);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_rate_high_episodes)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'e', one_series(10, 0.5), NULL);
    /* Window max(300 s, 80 s) = 300 s from the first request, expecting 30; more than 60 is
     * far. Window 1: every 3 s from t=0 -> the 61st request (t=180 s) raises. */
    uint64_t t = 0;
    for (unsigned k = 0; k < 100; k++, t += 3000)
        read_class0(&h, t);
    ck_assert_int_eq(count_rule(&h, "baseline.rate_anomaly"), 1);
    ck_assert_str_eq(h.alerts[0].direction, "high");
    ck_assert_uint_eq(h.alerts[0].ts_us, T0 + 180 * S);
    /* Window 2 (300..600 s) also high: the same episode. */
    for (t = 300000; t < 600000; t += 3000)
        read_class0(&h, t);
    ck_assert_int_eq(count_rule(&h, "baseline.rate_anomaly"), 1);
    /* Window 3 normal re-arms; window 4 high again raises again. */
    for (t = 600000; t < 900000; t += 10000)
        read_class0(&h, t);
    for (t = 900000; t < 1200000; t += 3000)
        read_class0(&h, t);
    ck_assert_int_eq(count_rule(&h, "baseline.rate_anomaly"), 2);
    ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), 0);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_rate_low)
{
    struct h h;
    h_init(&h);
    /* Period 10 s with a tolerance of 3 (40 s): a poll every 25 s is never missed, but 12
     * requests where 30 are expected is under half. */
    h_start(&h, 'e', one_series(10, 3), NULL);
    for (uint64_t t = 0; t < 700000; t += 25000)
        read_class0(&h, t);
    clock_to(&h, 700000);
    ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), 0);
    ck_assert_int_eq(count_rule(&h, "baseline.rate_anomaly"), 1); /* once per episode */
    ck_assert_str_eq(h.alerts[0].direction, "low");
    ck_assert_uint_eq(h.alerts[0].ts_us, T0 + 300 * S); /* when the first window closed */
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_rate_low_silence_is_a_missed_poll)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'e', one_series(10, 0.5), NULL);
    for (uint64_t t = 0; t < 100000; t += 10000)
        read_class0(&h, t);
    clock_to(&h, 900000); /* silent from 90 s on */
    ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), 1);
    ck_assert_int_eq(count_rule(&h, "baseline.rate_anomaly"), 0);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_new_talker_and_request)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'e', one_series(30, 0.5),
            "{\"conduits\": [{\"name\": \"C-WAN-RTU\", \"protocol\": \"dnp3\",\n"
            "  \"clients\": [\"10.1.0.0/24\"], \"servers\": [\"10.2.0.10\"]}]}");
    read_class0(&h, 0);
    dnp3_req(&h, 1000, 66, GS_DNP3_FC_READ, 60, 1, 1024); /* a new master */
    dnp3_req(&h, 2000, 66, GS_DNP3_FC_READ, 60, 2, 1024); /* its second kind: no more */
    dnp3_req(&h, 3000, 66, GS_DNP3_FC_READ, 60, 1, 1024); /* the same series: no more */
    ck_assert_int_eq(count_rule(&h, "baseline.new_talker"), 1);
    ck_assert_str_eq(h.alerts[0].key, "dnp3 10.1.0.66 > 10.2.0.10 READ g60v1 @1024");
    ck_assert_uint_eq(h.alerts[0].pcap_cnt, 3); /* its first request (after one tick) */
    ck_assert_str_eq(h.alerts[0].conduit, "C-WAN-RTU");
    /* The known master sends a COLD_RESTART, twice. */
    dnp3_req(&h, 4000, 2, 0x0D, 0, 0, 1024);
    dnp3_req(&h, 5000, 2, 0x0D, 0, 0, 1024);
    ck_assert_int_eq(count_rule(&h, "baseline.new_request"), 1);
    ck_assert_str_eq(h.alerts[1].kind, "COLD_RESTART @1024");
    ck_assert_uint_eq(counter(&h, "new_talker"), 1);
    ck_assert_uint_eq(counter(&h, "new_request"), 1);
    h_fini(&h);
}
END_TEST

/* ---- policy polls ----------------------------------------------------------------------- */

START_TEST(test_baseline_policy_poll_any_request)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'n', NULL,
            "{\"conduits\": [{\"name\": \"C-WAN-RTU\", \"protocol\": \"dnp3\",\n"
            "  \"clients\": [\"10.1.0.0/24\"], \"servers\": [\"10.2.0.10\"],\n"
            "  \"poll\": {\"period_s\": 20, \"tolerance\": 0.25}}]}");
    /* Any request of the master counts: alternating kinds every 10 s. */
    for (uint64_t t = 0; t <= 100000; t += 10000)
        dnp3_req(&h, t, 2, GS_DNP3_FC_READ, 60, (uint8_t)(1 + (t / 10000) % 3), 1024);
    clock_to(&h, 125000);
    ck_assert_int_eq(h.n_alerts, 0);
    clock_to(&h, 126000);
    ck_assert_int_eq(h.n_alerts, 1);
    ck_assert_str_eq(h.alerts[0].rule, "baseline.poll_missed");
    ck_assert_str_eq(h.alerts[0].kind, "*");
    ck_assert_str_eq(h.alerts[0].source, "policy");
    ck_assert_str_eq(h.alerts[0].conduit, "C-WAN-RTU");
    ck_assert_uint_eq(h.alerts[0].expected_period_ms, 20000);
    /* No baseline file: no new talkers without one. */
    dnp3_req(&h, 130000, 99, GS_DNP3_FC_READ, 60, 1, 1024);
    ck_assert_int_eq(h.n_alerts, 1);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_policy_poll_kind_prefix)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'n', NULL,
            "{\"conduits\": [{\"name\": \"C-RTU\", \"protocol\": \"dnp3\",\n"
            "  \"poll\": {\"period_s\": 30, \"kind\": \"READ g60v1\"}}]}");
    /* Two outstations behind one address, each polled for class 0; READ g60v10 is another
     * kind; event polls every 5 s do not keep the class 0 poll alive. */
    for (uint64_t t = 0; t < 200000; t += 5000) {
        if (t <= 30000) {
            dnp3_req(&h, t, 2, GS_DNP3_FC_READ, 60, 1, 1024);
            dnp3_req(&h, t + 100, 2, GS_DNP3_FC_READ, 60, 1, 2048);
        }
        dnp3_req(&h, t + 200, 2, GS_DNP3_FC_READ, 60, 10, 3000);
        dnp3_req(&h, t + 300, 2, GS_DNP3_FC_READ, 60, 2, 1024);
    }
    ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), 2);
    ck_assert_str_eq(h.alerts[0].kind, "READ g60v1 @1024");
    ck_assert_str_eq(h.alerts[1].kind, "READ g60v1 @2048");
    ck_assert_uint_eq(h.alerts[0].ts_us, T0 + 76 * S); /* 30 + 45 s, at the next second */
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_policy_single_host_silent_from_start)
{
    struct h h;
    h_init(&h);
    h_start(&h, 'n', NULL,
            "{\"conduits\": [{\"name\": \"C-DEAD\", \"protocol\": \"iec104\",\n"
            "  \"clients\": [\"10.3.0.5\"], \"servers\": [\"10.3.0.20\"],\n"
            "  \"poll\": {\"period_s\": 20}}]}");
    clock_to(&h, 100);
    clock_to(&h, 31000);
    ck_assert_int_eq(h.n_alerts, 0);
    clock_to(&h, 32000); /* 20 s x 1.5 after the first clock tick at 1 s */
    ck_assert_int_eq(h.n_alerts, 1);
    ck_assert(!h.alerts[0].seen_in_capture);
    ck_assert_str_eq(h.alerts[0].conduit, "C-DEAD");
    ck_assert_str_eq(h.alerts[0].key, "iec104 10.3.0.5 > 10.3.0.20 *");
    /* An S-frame from the client is activity too: the link lives again. */
    iec104_event(&h, 33000, true, GS_IEC104_FORMAT_S, 0, NULL);
    clock_to(&h, 63000);
    ck_assert_int_eq(h.n_alerts, 1);
    clock_to(&h, 64000);
    ck_assert_int_eq(h.n_alerts, 2);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_policy_poll_errors)
{
    static const struct {
        const char *poll, *message;
    } cases[] = {
        {"{}", "conduits[0].poll.period_s: is required"},
        {"{\"period_s\": 0}", "conduits[0].poll.period_s: must be a number of seconds"},
        {"{\"period_s\": \"30\"}", "conduits[0].poll.period_s: must be a number of seconds"},
        {"{\"period_s\": 30, \"tolerance\": -1}", "conduits[0].poll.tolerance: must be a"},
        {"{\"period_s\": 30, \"kind\": 3}", "conduits[0].poll.kind: must be a request kind"},
        {"[30]", "conduits[0].poll: must be an object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512], errbuf[GS_ERRBUF_SIZE];
        snprintf(text, sizeof(text), "{\"conduits\": [{\"name\": \"C\", \"poll\": %s}]}",
                 cases[i].poll);
        const char *p = write_tmp(text);
        struct gs_policy *policy = NULL;
        ck_assert_int_eq(gs_policy_load(&policy, p, errbuf), -1);
        ck_assert_msg(strstr(errbuf, cases[i].message) != NULL, "%s: %s", cases[i].poll, errbuf);
        unlink(p);
    }
}
END_TEST

/* ---- bounded state ---------------------------------------------------------------------- */

START_TEST(test_baseline_cap_evicts_least_recent)
{
    struct h h;
    h_init(&h);
    h.cfg.baseline_max_series = 16;
    h_start(&h, 'l', NULL, NULL);
    /* 40 kinds (groups 1..40); group 1 is refreshed every time, so it is never the least
     * recently seen. */
    for (unsigned g = 1; g <= 40; g++) {
        dnp3_req(&h, g * 1000, 2, GS_DNP3_FC_READ, (uint8_t)g, 1, 1024);
        dnp3_req(&h, g * 1000 + 500, 2, GS_DNP3_FC_READ, 1, 1, 1024);
    }
    ck_assert_uint_eq(counter(&h, "series"), 16);
    ck_assert_uint_eq(counter(&h, "series_created"), 40);
    ck_assert_uint_eq(counter(&h, "series_evicted"), 24);
    json_t *root = saved_json(&h);
    ck_assert_ptr_nonnull(series_by_kind(root, "READ g1v1 @1024"));
    ck_assert_ptr_nonnull(series_by_kind(root, "READ g40v1 @1024"));
    ck_assert_ptr_null(series_by_kind(root, "READ g2v1 @1024"));
    ck_assert_int_eq(json_integer_value(json_object_get(root, "series_evicted")), 24);
    json_decref(root);
    h_fini(&h);
}
END_TEST

START_TEST(test_baseline_cap_keeps_watched_series)
{
    struct h h;
    h_init(&h);
    h.cfg.baseline_max_series = 16;
    h_start(&h, 'n', NULL,
            "{\"conduits\": [{\"name\": \"C\", \"protocol\": \"dnp3\",\n"
            "  \"clients\": [\"10.1.0.0/24\"], \"poll\": {\"period_s\": 60}}]}");
    /* 20 masters each with one request: 20 watched "*" series and 20 plain ones. The plain
     * ones are evicted first; once 16 watched series hold every slot, new ones are dropped. */
    for (unsigned m = 1; m <= 20; m++)
        dnp3_req(&h, m * 100, (uint8_t)m, GS_DNP3_FC_READ, 60, 1, 1024);
    ck_assert_uint_eq(counter(&h, "series"), 16);
    ck_assert_uint_gt(counter(&h, "series_dropped"), 0);
    ck_assert_uint_gt(counter(&h, "series_evicted"), 0);
    clock_to(&h, 100000); /* 60 s x 1.5 after the last request of each kept master */
    ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), 16);
    h_fini(&h);
}
END_TEST

/* ---- the file --------------------------------------------------------------------------- */

START_TEST(test_baseline_file_errors)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"{", "line 1 column 1:"},
        {"[]", "the file must hold one JSON object"},
        {"{\"series\": []}", "not a baseline file"},
        {"{\"format\": \"gridsensor-baseline\", \"series\": []}", "\"version\" must be 1"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 2, \"series\": []}",
         "\"version\" must be 1"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1}", "\"series\" must be a list"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [], \"x\": 1}",
         "unknown key 'x'"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [3]}",
         "series[0]: must be an object"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"modbus\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"k\"}]}",
         "series[0].protocol: must be"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.300\", \"to\": \"10.0.0.2\", \"kind\": \"k\"}]}",
         "series[0].from: '10.0.0.300' is not an IP address"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"\"}]}",
         "series[0].kind: must be a request kind"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"k\", "
         "\"perod_s\": 3}]}",
         "series[0]: unknown key 'perod_s'"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"k\", "
         "\"periodic\": true}]}",
         "series[0].period_s: is required when"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"k\", "
         "\"period_s\": -1}]}",
         "series[0].period_s: must be a number"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"k\", "
         "\"periodic\": \"yes\"}]}",
         "series[0].periodic: must be true or false"},
        {"{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [{\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"k\"}, {\"protocol\": "
         "\"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", \"kind\": \"k\"}]}",
         "series[1]: the same series"},
    };
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errbuf[GS_ERRBUF_SIZE];
        const char *p = write_tmp(cases[i].text);
        struct gs_baseline *b = NULL;
        ck_assert_int_eq(gs_baseline_load(&b, p, &cfg, errbuf), -1);
        ck_assert_ptr_null(b);
        char prefix[128];
        snprintf(prefix, sizeof(prefix), "baseline %s: ", p);
        ck_assert_msg(strncmp(errbuf, prefix, strlen(prefix)) == 0, "%s", errbuf);
        ck_assert_msg(strstr(errbuf, cases[i].message) != NULL, "case %zu: %s", i, errbuf);
        ck_assert_ptr_null(strchr(errbuf, '\n'));
        unlink(p);
    }
    /* More series than the cap. */
    cfg.baseline_max_series = 16;
    char text[8192] = "{\"format\": \"gridsensor-baseline\", \"version\": 1, \"series\": [";
    for (int i = 0; i < 17; i++) {
        char one[160];
        snprintf(one, sizeof(one),
                 "%s{\"protocol\": \"dnp3\", \"from\": \"10.0.0.1\", \"to\": \"10.0.0.2\", "
                 "\"kind\": \"k%d\"}",
                 i ? ", " : "", i);
        strcat(text, one);
    }
    strcat(text, "]}");
    char errbuf[GS_ERRBUF_SIZE];
    struct gs_baseline *b = NULL;
    const char *p = write_tmp(text);
    ck_assert_int_eq(gs_baseline_load(&b, p, &cfg, errbuf), -1);
    ck_assert_msg(strstr(errbuf, "17 series, more than baseline.max_series (16)") != NULL, "%s",
                  errbuf);
    unlink(p);
}
END_TEST

static void learn_traffic(struct h *h)
{
    for (uint64_t t = 0; t < 600000; t += 20000) {
        read_class0(h, t);
        dnp3_req(h, t + 2000, 2, GS_DNP3_FC_READ, 60, 2, 1024);
    }
}

START_TEST(test_baseline_round_trip_and_hand_edit)
{
    /* Learn 20 s polls of two kinds and write them... */
    struct h h;
    h_init(&h);
    h_start(&h, 'l', NULL, NULL);
    learn_traffic(&h);
    char path[] = "/tmp/gs-baseline-rt-XXXXXX";
    close(mkstemp(path));
    char errbuf[GS_ERRBUF_SIZE];
    ck_assert_int_eq(gs_baseline_save(h.model, path, NULL, errbuf), 0);
    h_fini(&h);
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    struct gs_baseline *b = NULL;
    ck_assert_msg(gs_baseline_load(&b, path, &cfg, errbuf) == 0, "%s", errbuf);
    ck_assert_uint_eq(gs_baseline_series_count(b), 2);
    ck_assert(!gs_baseline_learning(b));
    ck_assert_int_eq(gs_baseline_save(b, path, NULL, errbuf), -1); /* enforcing: not written */
    gs_baseline_free(b);
    /* ...and an engineer's copy where class 0 is a 10 s poll. */
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    ck_assert_ptr_nonnull(root);
    char *orig = json_dumps(root, JSON_INDENT(2));
    json_t *s = series_by_kind(root, "READ g60v1 @1024");
    ck_assert(json_is_true(json_object_get(s, "periodic")));
    ck_assert_double_eq_tol(num(s, "period_s"), 20.0, 0.001);
    json_object_set_new(s, "period_s", json_real(10.0));
    char *edited = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    unlink(path);
    /* Enforced on the same traffic: the learned file is silent; the edited one misses a
     * 10 s poll (15 s allowed) after each of the 30 polls. */
    for (int e = 0; e < 2; e++) {
        h_init(&h);
        h_start(&h, 'e', e ? edited : orig, NULL);
        learn_traffic(&h);
        clock_to(&h, 600000);
        ck_assert_int_eq(count_rule(&h, "baseline.poll_missed"), e ? 30 : 0);
        ck_assert_int_eq(h.n_alerts, count_rule(&h, "baseline.poll_missed"));
        h_fini(&h);
    }
    free(orig);
    free(edited);
}
END_TEST

START_TEST(test_baseline_atomic_write)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    struct gs_baseline *b = NULL;
    char errbuf[GS_ERRBUF_SIZE];
    ck_assert_int_eq(gs_baseline_create_learning(&b, &cfg, errbuf), 0);
    ck_assert_int_eq(gs_baseline_check_writable("/nonexistent-dir/b.json", errbuf), -1);
    ck_assert_ptr_nonnull(strstr(errbuf, "baseline /nonexistent-dir/b.json: cannot write"));
    ck_assert_int_eq(gs_baseline_save(b, "/nonexistent-dir/b.json", NULL, errbuf), -1);
    /* A directory in the way: the rename fails, nothing is left behind. */
    char dir[] = "/tmp/gs-baseline-dir-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char target[128];
    snprintf(target, sizeof(target), "%s/b.json", dir);
    ck_assert_int_eq(mkdir(target, 0700), 0);
    ck_assert_int_eq(gs_baseline_check_writable(target, errbuf), 0);
    ck_assert_int_eq(gs_baseline_save(b, target, NULL, errbuf), -1);
    struct stat st;
    ck_assert_int_eq(stat(target, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    char leftover[160];
    snprintf(leftover, sizeof(leftover), "%s.tmp.%ld", target, (long)getpid());
    ck_assert_int_ne(access(leftover, F_OK), 0);
    rmdir(target);
    /* A file: replaced whole, mode 0640. */
    FILE *fp = fopen(target, "w");
    fputs("old", fp);
    fclose(fp);
    ck_assert_int_eq(gs_baseline_save(b, target, NULL, errbuf), 0);
    ck_assert_int_eq(stat(target, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    struct gs_baseline *back = NULL;
    ck_assert_msg(gs_baseline_load(&back, target, &cfg, errbuf) == 0, "%s", errbuf);
    ck_assert_uint_eq(gs_baseline_series_count(back), 0);
    gs_baseline_free(back);
    unlink(target);
    rmdir(dir);
    gs_baseline_free(b);
}
END_TEST

static Suite *suite_baseline(void)
{
    Suite *s = suite_create("baseline");
    TCase *tc = tcase_create("learn");
    tcase_add_test(tc, test_baseline_learn_robust_median);
    tcase_add_test(tc, test_baseline_learn_untrusted);
    tcase_add_test(tc, test_baseline_kinds);
    tcase_add_test(tc, test_baseline_kind_truncated);
    suite_add_tcase(s, tc);
    tc = tcase_create("enforce");
    tcase_add_test(tc, test_baseline_poll_missed_once_per_silence);
    tcase_add_test(tc, test_baseline_never_seen);
    tcase_add_test(tc, test_baseline_rate_high_episodes);
    tcase_add_test(tc, test_baseline_rate_low);
    tcase_add_test(tc, test_baseline_rate_low_silence_is_a_missed_poll);
    tcase_add_test(tc, test_baseline_new_talker_and_request);
    suite_add_tcase(s, tc);
    tc = tcase_create("policy");
    tcase_add_test(tc, test_baseline_policy_poll_any_request);
    tcase_add_test(tc, test_baseline_policy_poll_kind_prefix);
    tcase_add_test(tc, test_baseline_policy_single_host_silent_from_start);
    tcase_add_test(tc, test_baseline_policy_poll_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("bounds");
    tcase_add_test(tc, test_baseline_cap_evicts_least_recent);
    tcase_add_test(tc, test_baseline_cap_keeps_watched_series);
    suite_add_tcase(s, tc);
    tc = tcase_create("file");
    tcase_add_test(tc, test_baseline_file_errors);
    tcase_add_test(tc, test_baseline_round_trip_and_hand_edit);
    tcase_add_test(tc, test_baseline_atomic_write);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_baseline)
