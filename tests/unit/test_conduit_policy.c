/*
 * test_conduit_policy.c - the conduit policy: the allow-lists and layer-2 scope the policy
 * loader reads (every kind of mistake refused in one line naming the key, gridsensor exiting
 * 2), the catalogue of dangerous operations as data, and the detector fed by the DNP3 and
 * IEC 104 dissectors and by MMS, GOOSE, SV, TLS events and nDPI classifications: each
 * catalogue operation and its look-alikes that are not dangerous, explicit allowance,
 * function_not_allowed per list, publishers, unknown conduits and unexpected protocols once
 * per endpoint pair, the realert window with its repeat count, and the bounded memory.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalogue.h"
#include "conduit_policy.h"
#include "dnp3.h"
#include "dnp3w.h"
#include "goose.h"
#include "guard_buf.h"
#include "iec104.h"
#include "mms.h"
#include "pcapw.h"
#include "policy.h"
#include "sv.h"
#include "test_support.h"
#include "tls.h"

#define MAX_ALERTS 256

/* ---- policy files ---------------------------------------------------------------------------- */

static char path[64];

static const char *write_file(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/gs-cpol-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static struct gs_policy *load(const char *text)
{
    char err[GS_ERRBUF_SIZE] = "";
    struct gs_policy *p = NULL;
    const char *file = write_file(text);
    ck_assert_msg(gs_policy_load(&p, file, err) == 0, "%s", err);
    unlink(file);
    return p;
}

static const char *const allow_policy =
    "{\"conduits\": [\n"
    " {\"name\": \"C-DNP\", \"protocol\": \"dnp3\", \"clients\": [\"10.1.0.0/29\"],\n"
    "  \"servers\": [\"10.2.0.10\"],\n"
    "  \"allow\": {\"function_codes\": [1, \"select\", \"OPERATE\", 255],\n"
    "            \"groups\": [60, 12], \"operations\": [\"broadcast_operate\"]}},\n"
    " {\"name\": \"C-104\", \"protocol\": \"iec104\",\n"
    "  \"allow\": {\"type_ids\": [\"C_IC_NA_1\", 45, \"c_dc_na_1\"], \"causes\": [\"act\", 8]}},\n"
    " {\"name\": \"C-MMS\", \"protocol\": \"mms\",\n"
    "  \"allow\": {\"services\": [\"read\", \"GETNAMELIST\", 77],\n"
    "            \"controls\": [\"select\", \"operate\"]}},\n"
    " {\"name\": \"C-GOOSE\", \"protocol\": \"goose\", \"vlans\": [0, 10],\n"
    "  \"allow\": {\"publishers\": [{\"src_mac\": \"00:02:A3:11:22:33\", \"appid\": \"0x0001\",\n"
    "                              \"gocb_ref\": \"IED1LD0/LLN0$GO$gcb01\"},\n"
    "                             {\"appid\": 2}]}},\n"
    " {\"name\": \"C-SV\", \"protocol\": \"sv\", \"vlans\": [100],\n"
    "  \"allow\": {\"publishers\": [{\"src_mac\": \"00-02-a3-40-00-01\", \"sv_id\": \"MU01\"}]}}\n"
    "]}\n";

START_TEST(test_conduit_policy_allow_loads)
{
    struct gs_policy *p = load(allow_policy);
    ck_assert_uint_eq(gs_policy_warning_count(p), 0);
    const struct gs_policy_allow *a = &gs_policy_conduit_at(p, 0)->allow;
    ck_assert(a->has_function_codes && a->has_groups && !a->has_type_ids);
    for (unsigned fc = 0; fc < 256; fc++)
        ck_assert_int_eq(gs_policy_bit(a->function_codes, fc),
                         fc == 1 || fc == 3 || fc == 4 || fc == 255);
    ck_assert(gs_policy_bit(a->groups, 60) && gs_policy_bit(a->groups, 12));
    ck_assert(!gs_policy_bit(a->groups, 1));
    ck_assert_uint_eq(a->operations, UINT64_C(1) << GS_OP_DNP3_BROADCAST_OPERATE);
    a = &gs_policy_conduit_at(p, 1)->allow;
    ck_assert(gs_policy_bit(a->type_ids, 100) && gs_policy_bit(a->type_ids, 45));
    ck_assert(gs_policy_bit(a->type_ids, 46) && !gs_policy_bit(a->type_ids, 47));
    ck_assert(gs_policy_bit(a->causes, 6) && gs_policy_bit(a->causes, 8));
    ck_assert(!gs_policy_bit(a->causes, 7));
    a = &gs_policy_conduit_at(p, 2)->allow;
    ck_assert(gs_policy_bit(a->services, GS_MMS_SVC_READ));
    ck_assert(gs_policy_bit(a->services, GS_MMS_SVC_GET_NAME_LIST));
    ck_assert(gs_policy_bit(a->services, GS_MMS_SVC_FILE_DIRECTORY));
    ck_assert(!gs_policy_bit(a->services, GS_MMS_SVC_WRITE));
    ck_assert_uint_eq(a->controls, (1u << GS_MMS_CTL_SELECT) | (1u << GS_MMS_CTL_OPERATE));
    const struct gs_policy_conduit *g = gs_policy_conduit_at(p, 3);
    ck_assert_uint_eq(g->n_vlans, 2);
    ck_assert_uint_eq(g->vlans[1], 10);
    ck_assert_uint_eq(g->allow.n_publishers, 2);
    const struct gs_policy_publisher *pub = &g->allow.publishers[0];
    static const uint8_t mac[6] = {0x00, 0x02, 0xA3, 0x11, 0x22, 0x33};
    ck_assert(pub->has_src_mac && memcmp(pub->src_mac, mac, 6) == 0);
    ck_assert(pub->has_appid && pub->appid == 1);
    ck_assert_str_eq(pub->gocb_ref, "IED1LD0/LLN0$GO$gcb01");
    ck_assert_ptr_null(pub->sv_id);
    ck_assert(!g->allow.publishers[1].has_src_mac && g->allow.publishers[1].appid == 2);
    pub = &gs_policy_conduit_at(p, 4)->allow.publishers[0];
    ck_assert(pub->has_src_mac && pub->src_mac[3] == 0x40 && !pub->has_appid);
    ck_assert_str_eq(pub->sv_id, "MU01");
    gs_policy_free(p);
}
END_TEST

struct bad_case {
    const char *conduit; /* the inside of one conduit object, after "name": "a" */
    const char *reason;  /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    {"\"allow\": {\"function_codes\": 1}", "conduits[0].allow.function_codes: must be a list"},
    {"\"allow\": {\"function_codes\": [1, \"FOO\"]}",
     "conduits[0].allow.function_codes[1]: 'FOO' is not a DNP3 function code"},
    {"\"allow\": {\"function_codes\": [256]}",
     "conduits[0].allow.function_codes[0]: must be a DNP3 function code"},
    {"\"allow\": {\"function_codes\": [true]}", "allow.function_codes[0]: must be a DNP3"},
    {"\"allow\": {\"groups\": [\"g12\"]}",
     "conduits[0].allow.groups[0]: 'g12' is not a DNP3 object group"},
    {"\"allow\": {\"type_ids\": [\"C_XX_NA_1\"]}",
     "conduits[0].allow.type_ids[0]: 'C_XX_NA_1' is not an IEC 104 type id"},
    {"\"allow\": {\"causes\": [64]}",
     "conduits[0].allow.causes[0]: must be an IEC 104 cause of transmission"},
    {"\"allow\": {\"services\": [\"read\", \"erase\"]}",
     "conduits[0].allow.services[1]: 'erase' is not an MMS service"},
    {"\"allow\": {\"controls\": [\"trip\"]}",
     "conduits[0].allow.controls[0]: 'trip' is not an IEC 61850 control action"},
    {"\"allow\": {\"publishers\": {}}", "conduits[0].allow.publishers: must be a list"},
    {"\"allow\": {\"publishers\": [{}]}",
     "conduits[0].allow.publishers[0]: needs at least one of src_mac, appid"},
    {"\"allow\": {\"publishers\": [\"00:02:a3:11:22:33\"]}",
     "conduits[0].allow.publishers[0]: must be an object"},
    {"\"allow\": {\"publishers\": [{\"src_mac\": \"00:02:a3:11:22\"}]}",
     "conduits[0].allow.publishers[0].src_mac: must be a MAC address"},
    {"\"allow\": {\"publishers\": [{\"src_mac\": \"00:02:a3:11:22:3g\"}]}",
     "publishers[0].src_mac: must be a MAC address"},
    {"\"allow\": {\"publishers\": [{\"appid\": 70000}]}",
     "conduits[0].allow.publishers[0].appid: must be an APPID"},
    {"\"allow\": {\"publishers\": [{\"appid\": \"0xZZ\"}]}", "publishers[0].appid: must be an"},
    {"\"allow\": {\"publishers\": [{\"gocb_ref\": 5}]}",
     "conduits[0].allow.publishers[0].gocb_ref: must be a non-empty string"},
    {"\"allow\": {\"publishers\": [{\"sv_id\": \"\"}]}", "publishers[0].sv_id: must be a non"},
    {"\"allow\": {\"operations\": [\"cold_restart\", \"reboot\"]}",
     "conduits[0].allow.operations[1]: must name an operation of the catalogue"},
    {"\"vlans\": \"10\"", "conduits[0].vlans: must be a list of VLAN ids"},
    {"\"vlans\": [4096]", "conduits[0].vlans[0]: must be a VLAN id 0..4095"},
};

START_TEST(test_conduit_policy_refuses_mistakes)
{
    const struct bad_case *bc = &bad_cases[_i];
    char text[512], err[GS_ERRBUF_SIZE] = "";
    snprintf(text, sizeof(text), "{\"conduits\": [{\"name\": \"a\", %s}]}", bc->conduit);
    struct gs_policy *p = (struct gs_policy *)1;
    const char *file = write_file(text);
    ck_assert_int_eq(gs_policy_load(&p, file, err), -1);
    unlink(file);
    ck_assert_ptr_null(p);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "policy %s: ", file);
    ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "%s", err);
    ck_assert_msg(strstr(err, bc->reason) != NULL, "'%s' lacks '%s'", err, bc->reason);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* Keys a conduit's protocol never reads, and unknown keys, are warned about and ignored. */
START_TEST(test_conduit_policy_warnings)
{
    struct gs_policy *p = load(
        "{\"conduits\": [{\"name\": \"a\", \"protocol\": \"dnp3\", \"vlans\": [1],"
        " \"allow\": {\"type_ids\": [45], \"function_codes\": [1], \"colour\": 1}},"
        " {\"name\": \"b\", \"protocol\": \"goose\", \"clients\": [\"10.0.0.1\"],"
        "  \"allow\": {\"publishers\": [{\"appid\": 1, \"vlan\": 3}], \"services\": [\"read\"]}},"
        " {\"name\": \"c\", \"protocol\": \"HTTP\"}]}");
    const char *want[] = {
        "conduits[0].allow: unknown key 'colour' ignored",
        "conduits[0].vlans: vlans scope layer-2 conduits (goose, sv) only",
        "conduits[0].allow.type_ids: applies to iec104 conduits; ignored on a dnp3 conduit",
        "conduits[1].allow.publishers[0]: unknown key 'vlan' ignored",
        "conduits[1]: clients, servers and ports do not apply to goose frames",
        "conduits[1].allow.services: applies to mms conduits; ignored on a goose conduit",
    };
    size_t n = sizeof(want) / sizeof(want[0]);
    ck_assert_uint_eq(gs_policy_warning_count(p), n + 1); /* and "HTTP" is not known */
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < gs_policy_warning_count(p) && !found; k++)
            found = strstr(gs_policy_warning(p, k), want[i]) != NULL;
        ck_assert_msg(found, "no warning '%s'", want[i]);
    }
    /* Other protocols are nDPI's names, kept in lower case. */
    ck_assert_str_eq(gs_policy_conduit_at(p, 2)->protocol, "http");
    gs_policy_free(p);
}
END_TEST

START_TEST(test_conduit_policy_cli_exit_2)
{
    char demo[4096];
    snprintf(demo, sizeof(demo), "%s/pcaps/demo.pcap", gs_test_source_dir());
    const char *bad = write_file("{\"conduits\": [{\"name\": \"x\", \"protocol\": \"dnp3\","
                                 " \"allow\": {\"function_codes\": [\"COLD_START\"]}}]}");
    char *argv[] = {(char *)gs_test_gridsensor(), "--policy", (char *)bad, "-r", demo, NULL};
    char *out, *err;
    ck_assert_int_eq(gs_test_run(argv, &out, &err), 2);
    unlink(bad);
    ck_assert_msg(strncmp(err, "gridsensor: policy ", 19) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "conduits[0].allow.function_codes[0]: 'COLD_START'"));
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    /* The two limits of the detector are keys of --set. */
    char *argv_cfg[] = {(char *)gs_test_gridsensor(), "--show-config", NULL};
    ck_assert_int_eq(gs_test_run(argv_cfg, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "policy.max_reported"));
    ck_assert_ptr_nonnull(strstr(out, "policy.realert_s"));
    free(out);
    free(err);
}
END_TEST

static struct gs_ip ip_of(const char *text)
{
    struct gs_ip ip = {.family = 4};
    ck_assert_int_eq(inet_pton(AF_INET, text, ip.addr), 1);
    return ip;
}

START_TEST(test_conduit_policy_match_l2_and_hosts)
{
    struct gs_policy *p = load(allow_policy);
    ck_assert_str_eq(gs_policy_match_l2(p, "goose", 10)->name, "C-GOOSE");
    ck_assert_str_eq(gs_policy_match_l2(p, "goose", 0)->name, "C-GOOSE");
    ck_assert_ptr_null(gs_policy_match_l2(p, "goose", 30));
    ck_assert_str_eq(gs_policy_match_l2(p, "sv", 100)->name, "C-SV");
    ck_assert_ptr_null(gs_policy_match_l2(p, "sv", 10));
    /* C-104 and C-MMS name no IP endpoints and no vlans, but their protocol differs. */
    ck_assert_ptr_null(gs_policy_match_l2(p, "sv", 0));
    struct gs_ip master = ip_of("10.1.0.3"), rtu = ip_of("10.2.0.10"), other = ip_of("10.9.9.9");
    ck_assert_str_eq(gs_policy_match_hosts(p, &master, &rtu)->name, "C-DNP");
    ck_assert_str_eq(gs_policy_match_hosts(p, &rtu, &master)->name, "C-DNP");
    ck_assert_ptr_null(gs_policy_match_hosts(p, &master, &other));
    /* A conduit that names no side does not make every pair its endpoints. */
    ck_assert_ptr_null(gs_policy_match_hosts(p, &other, &other));
    gs_policy_free(p);
}
END_TEST

START_TEST(test_conduit_policy_catalogue_table)
{
    for (unsigned op = 0; op < GS_OP_COUNT; op++) {
        const struct gs_catalogue_entry *e = gs_catalogue_entry(op);
        ck_assert_uint_eq(e->op, op);
        ck_assert_ptr_nonnull(gs_signature_find(e->rule));
        ck_assert_msg(strncmp(e->rule, "policy.dangerous.", 17) == 0, "%s", e->rule);
        ck_assert(strlen(e->reason) > 20 && strstr(e->reason, "(T0") != NULL);
        ck_assert((gs_catalogue_by_name(e->name) >> op) & 1u);
        for (unsigned k = op + 1; k < GS_OP_COUNT; k++) {
            const struct gs_catalogue_entry *f = gs_catalogue_entry(k);
            ck_assert_msg(strcmp(e->name, f->name) != 0 || strcmp(e->protocol, f->protocol) != 0,
                          "%s twice for %s", e->name, e->protocol);
        }
    }
    ck_assert_uint_eq(gs_catalogue_by_name("file_delete"),
                      (UINT64_C(1) << GS_OP_DNP3_FILE_DELETE) |
                          (UINT64_C(1) << GS_OP_MMS_FILE_DELETE));
    ck_assert_uint_eq(gs_catalogue_by_name("read"), 0);
    ck_assert_uint_le(GS_OP_COUNT, 64);
}
END_TEST

/* ---- the detector ------------------------------------------------------------------------------
 */

struct got {
    char rule[48];
    uint64_t pcap_cnt;
    char conduit[32];
    char fields[1024]; /* "section.key=value;" */
};

struct harness {
    struct gs_test_ctx t;
    struct gs_test_events ev;
    struct gs_policy *policy;
    struct gs_detect_env env;
    void *det;
    void *dnp3;
    void *iec104;
    uint8_t tseq;   /* DNP3 transport sequence */
    unsigned ns[2]; /* IEC 104 N(S) of each side */
    struct got got[MAX_ALERTS];
    size_t n_got;
};

static void on_alert(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *a)
{
    struct harness *h = arg;
    ck_assert_uint_lt(h->n_got, MAX_ALERTS);
    struct got *g = &h->got[h->n_got++];
    memset(g, 0, sizeof(*g));
    snprintf(g->rule, sizeof(g->rule), "%s", a->sig->rule);
    g->pcap_cnt = ctx->pcap_cnt;
    snprintf(g->conduit, sizeof(g->conduit), "%s", a->conduit != NULL ? a->conduit : "");
    size_t n = 0;
    for (size_t i = 0; i < a->n_fields; i++) {
        const struct gs_alert_field *f = &a->fields[i];
        char v[300];
        switch (f->type) {
        case GS_AF_STR:
            snprintf(v, sizeof(v), "%s", f->v.s);
            break;
        case GS_AF_UINT:
            snprintf(v, sizeof(v), "%llu", (unsigned long long)f->v.u);
            break;
        case GS_AF_INT:
            snprintf(v, sizeof(v), "%lld", (long long)f->v.i);
            break;
        case GS_AF_BOOL:
            snprintf(v, sizeof(v), "%s", f->v.b ? "true" : "false");
            break;
        }
        n += (size_t)snprintf(g->fields + n, sizeof(g->fields) - n, "%s.%s=%s;", a->section, f->key,
                              v);
    }
}

static void forward(const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct harness *h = ctx->emit_arg;
    if (gs_conduit_policy_detector.event_mask & GS_EVENT_BIT(ev->type))
        gs_conduit_policy_detector.on_event(h->det, ctx, ev);
}

/* A harness with a policy (NULL: none) and `realert_s`, `max_reported` (0: defaults). */
static struct harness *harness_new(const char *policy_json, int realert_s, uint32_t max_reported)
{
    struct harness *h = calloc(1, sizeof(*h));
    ck_assert_ptr_nonnull(h);
    gs_test_ctx_init(&h->t, &h->ev, 20000);
    h->t.ctx.emit = forward;
    h->t.ctx.emit_arg = h;
    if (realert_s >= 0)
        h->t.cfg.policy_realert_s = (uint32_t)realert_s;
    if (max_reported != 0)
        h->t.cfg.policy_max_reported = max_reported;
    if (policy_json != NULL)
        h->policy = load(policy_json);
    h->env.cfg = &h->t.cfg;
    h->env.policy = h->policy;
    h->env.alert = on_alert;
    h->env.alert_arg = h;
    char err[GS_ERRBUF_SIZE];
    ck_assert_int_eq(gs_conduit_policy_detector.create(&h->det, &h->env, err), 0);
    h->dnp3 = calloc(1, gs_dnp3_dissector.state_size(&h->t.cfg));
    h->iec104 = calloc(1, gs_iec104_dissector.state_size(&h->t.cfg));
    ck_assert(h->dnp3 != NULL && h->iec104 != NULL);
    gs_dnp3_dissector.state_init(h->dnp3, &h->t.cfg);
    gs_iec104_dissector.state_init(h->iec104, &h->t.cfg);
    return h;
}

static void harness_free(struct harness *h)
{
    gs_conduit_policy_detector.destroy(h->det);
    gs_policy_free(h->policy);
    free(h->dnp3);
    free(h->iec104);
    free(h);
}

/* The flow of the next packets: client and server addresses, server port, who sends. */
static void set_flow(struct harness *h, const char *client, const char *server, uint16_t port,
                     enum gs_dir dir)
{
    struct gs_ip c = ip_of(client), s = ip_of(server);
    bool to_server = dir == GS_DIR_TO_SERVER;
    h->t.flow.src = to_server ? c : s;
    h->t.flow.dst = to_server ? s : c;
    h->t.flow.src_port = to_server ? 40000 : port;
    h->t.flow.dst_port = to_server ? port : 40000;
    h->t.flow.dir = dir;
    h->t.ctx.flow = &h->t.flow;
}

static void next_packet(struct harness *h, uint64_t advance_us)
{
    h->t.ctx.pcap_cnt++;
    h->t.ctx.ts_us += advance_us;
}

/* One DNP3 application fragment (hex, AC first) from `src` to `dst`, through the dissector. */
static void dnp3(struct harness *h, uint16_t src, uint16_t dst, const char *apdu_hex)
{
    uint8_t apdu[512], wire[GS_DNP3W_MAX_WIRE];
    size_t n = gs_hex(apdu, sizeof(apdu), apdu_hex);
    bool from_master = h->t.flow.dir == GS_DIR_TO_SERVER;
    size_t f = gs_dnp3w_frame(wire, sizeof(wire), src, dst, from_master, h->tseq++, apdu, n);
    next_packet(h, 1000);
    struct gs_guard_buf g;
    const uint8_t *p = gs_guard_alloc(&g, wire, f);
    struct gs_cursor cur = gs_cur_init(p, f);
    struct gs_parse_res res = gs_dnp3_dissector.parse(h->dnp3, &h->t.ctx, &cur, h->t.flow.dir);
    gs_guard_free(&g);
    ck_assert_int_eq(res.status, GS_PARSE_OK);
}

/* One IEC 104 I-format APDU carrying `asdu_hex`, through the dissector. */
static void iec104(struct harness *h, const char *asdu_hex)
{
    unsigned *ns = h->ns;
    uint8_t apdu[260];
    size_t n = gs_hex(apdu + 6, sizeof(apdu) - 6, asdu_hex);
    unsigned me = h->t.flow.dir == GS_DIR_TO_SERVER ? 0 : 1;
    apdu[0] = 0x68;
    apdu[1] = (uint8_t)(4 + n);
    apdu[2] = (uint8_t)(ns[me] << 1);
    apdu[3] = (uint8_t)(ns[me] >> 7);
    apdu[4] = (uint8_t)(ns[!me] << 1);
    apdu[5] = (uint8_t)(ns[!me] >> 7);
    ns[me] = (ns[me] + 1) & 0x7FFF;
    next_packet(h, 1000);
    struct gs_guard_buf g;
    const uint8_t *p = gs_guard_alloc(&g, apdu, 6 + n);
    struct gs_cursor cur = gs_cur_init(p, 6 + n);
    struct gs_parse_res res = gs_iec104_dissector.parse(h->iec104, &h->t.ctx, &cur, h->t.flow.dir);
    gs_guard_free(&g);
    ck_assert_int_eq(res.status, GS_PARSE_OK);
}

static void emit_event(struct harness *h, enum gs_event_type type, const void *body)
{
    next_packet(h, 1000);
    gs_emit(&h->t.ctx, type, body);
}

static struct gs_span span_of(const char *text)
{
    struct gs_span s = {(const uint8_t *)text, strlen(text)};
    return s;
}

/* An MMS confirmed-request of `service` naming `domain`/`item` (NULL: no object). */
static void mms_request(struct harness *h, uint32_t service, const char *domain, const char *item,
                        const struct gs_mms_control *control)
{
    struct gs_mms_object_name obj = {.scope = GS_MMS_SCOPE_DOMAIN};
    struct gs_mms_event ev = {.path = GS_MMS_PATH_PRESENTATION,
                              .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
                              .has_service = true,
                              .service = service,
                              .has_invoke_id = true,
                              .invoke_id = 1};
    if (item != NULL) {
        obj.domain = span_of(domain);
        obj.item = span_of(item);
        ev.objects = &obj;
        ev.n_objects = 1;
    } else if (domain != NULL) {
        ev.domain = span_of(domain);
        ev.program_invocation = span_of(domain);
    }
    if (control != NULL) {
        ev.controls = control;
        ev.n_controls = 1;
    }
    emit_event(h, GS_EVENT_MMS, &ev);
}

static size_t n_rule(const struct harness *h, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_got; i++)
        n += strcmp(h->got[i].rule, rule) == 0;
    return n;
}

static bool has(const struct got *g, const char *kv)
{
    char want[320];
    snprintf(want, sizeof(want), "%s;", kv);
    return strstr(g->fields, want) != NULL;
}

/* The only alert since `from`, which must have `rule`. */
static const struct got *only(const struct harness *h, size_t from, const char *rule)
{
    ck_assert_msg(h->n_got == from + 1, "%zu alerts, want 1 (%s)", h->n_got - from, rule);
    ck_assert_str_eq(h->got[from].rule, rule);
    return &h->got[from];
}

/* ---- the catalogue through the detector, without a policy ------------------------------------ */

struct dnp3_case {
    const char *apdu;
    uint16_t dst;
    const char *rule; /* NULL: no alert */
    const char *operation;
};

#define G70V3(mode)                                                                                \
    "46 03 5B 01 21 00 1A 00 07 00 00 00 00 00 00 00 FF 01 00 00 00 00 10 00 00 00 " mode          \
    " 00 00 04 07 00 61 2F 62 2E 78 6D 6C"

static const struct dnp3_case dnp3_cases[] = {
    {"C0 0D", 1024, "policy.dangerous.restart", "cold_restart"},
    {"C0 0E", 1024, "policy.dangerous.restart", "warm_restart"},
    {"C0 0F", 1024, "policy.dangerous.application", "initialize_data"},
    {"C0 10", 1024, "policy.dangerous.application", "initialize_application"},
    {"C0 11", 1024, "policy.dangerous.application", "start_application"},
    {"C0 12", 1024, "policy.dangerous.application", "stop_application"},
    {"C0 13", 1024, "policy.dangerous.config_change", "save_configuration"},
    {"C0 1F", 1024, "policy.dangerous.config_change", "activate_config"},
    {"C0 15 3C 02 06", 1024, "policy.dangerous.unsolicited_disabled", "disable_unsolicited"},
    {"C0 1B", 1024, "policy.dangerous.file_change", "file_delete"},
    {"C0 19 " G70V3("02"), 1024, "policy.dangerous.file_change", "file_open_write"},
    {"C0 19 " G70V3("03"), 1024, "policy.dangerous.file_change", "file_open_write"},
    {"C0 05 0C 01 28 01 00 03 00 03 01 F4 01 00 00 00 00 00 00 00", 0xFFFF,
     "policy.dangerous.broadcast_operate", "broadcast_operate"},
    {"C0 02 50 01 00 07 07 00", 0xFFFD, "policy.dangerous.broadcast_operate", "broadcast_operate"},
    /* Not dangerous: a file opened for reading, routine functions, broadcast freezes and
     * reads, responses that carry a dangerous code's number nowhere. */
    {"C0 19 " G70V3("01"), 1024, NULL, NULL},
    {"C0 01 3C 01 06", 1024, NULL, NULL},
    {"C0 05 0C 01 28 01 00 03 00 03 01 F4 01 00 00 00 00 00 00 00", 1024, NULL, NULL},
    {"C0 02 50 01 00 07 07 00", 1024, NULL, NULL},
    {"C0 07 14 06", 0xFFFF, NULL, NULL},
    {"C0 01 3C 01 06", 0xFFFF, NULL, NULL},
    {"C0 14 3C 02 06", 1024, NULL, NULL},
    {"C0 18", 1024, NULL, NULL},
    {"C0 1A", 1024, NULL, NULL},
};

START_TEST(test_conduit_policy_dnp3_catalogue)
{
    const struct dnp3_case *c = &dnp3_cases[_i];
    struct harness *h = harness_new(NULL, -1, 0);
    set_flow(h, "10.1.0.2", "10.2.0.10", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, c->dst, c->apdu);
    if (c->rule == NULL) {
        ck_assert_uint_eq(h->n_got, 0);
    } else {
        const struct got *g = only(h, 0, c->rule);
        char kv[64];
        snprintf(kv, sizeof(kv), "dnp3.operation=%s", c->operation);
        ck_assert_msg(has(g, kv), "%s", g->fields);
        snprintf(kv, sizeof(kv), "dnp3.dst=%u", c->dst);
        ck_assert_msg(has(g, kv), "%s", g->fields);
        ck_assert_str_eq(g->conduit, "");
        if (strcmp(c->operation, "file_open_write") == 0)
            ck_assert(has(g, "dnp3.target=a/b.xml"));
    }
    /* The outstation's response performs nothing. */
    size_t before = h->n_got;
    set_flow(h, "10.1.0.2", "10.2.0.10", 20000, GS_DIR_TO_CLIENT);
    dnp3(h, c->dst == 0xFFFF ? 1024 : c->dst, 1, "C0 81 00 00");
    ck_assert_uint_eq(h->n_got, before);
    harness_free(h);
}
END_TEST

START_TEST(test_conduit_policy_iec104_catalogue)
{
    struct harness *h = harness_new(NULL, 0, 0);
    set_flow(h, "10.3.0.5", "10.3.1.1", 2404, GS_DIR_TO_SERVER);
    iec104(h, "69 01 06 00 01 00 00 00 00 01"); /* C_RP_NA_1 */
    only(h, 0, "policy.dangerous.restart");
    ck_assert(has(&h->got[0], "iec104.operation=reset_process"));
    ck_assert(has(&h->got[0], "iec104.type=C_RP_NA_1"));
    iec104(h, "71 01 06 00 01 00 F9 13 00 03"); /* P_AC_NA_1 */
    only(h, 1, "policy.dangerous.config_change");
    iec104(h, "78 01 0D 00 01 00 00 00 00 01 00 10 00 00 00"); /* F_FR_NA_1 */
    only(h, 2, "policy.dangerous.file_change");
    ck_assert(has(&h->got[2], "iec104.operation=file_write"));
    iec104(h, "2D 01 06 00 FF FF E9 03 00 01"); /* C_SC_NA_1 to the global address */
    only(h, 3, "policy.dangerous.broadcast_operate");
    ck_assert(has(&h->got[3], "iec104.ca=65535"));
    /* Routine: interrogation and clock sync broadcast, a command to one station, reading a
     * file (F_SC_NA_1). */
    iec104(h, "64 01 06 00 FF FF 00 00 00 14");
    iec104(h, "67 01 06 00 FF FF 00 00 00 A8 61 28 12 74 0B 1A");
    iec104(h, "2D 01 06 00 01 00 E9 03 00 01");
    iec104(h, "7A 01 0D 00 01 00 00 00 00 01 00 00 01");
    ck_assert_uint_eq(h->n_got, 4);
    /* What the controlled station sends (confirmations, a file it offers) acts on nothing. */
    set_flow(h, "10.3.0.5", "10.3.1.1", 2404, GS_DIR_TO_CLIENT);
    iec104(h, "69 01 07 00 01 00 00 00 00 01");
    iec104(h, "78 01 0D 00 01 00 00 00 00 01 00 10 00 00 00");
    ck_assert_uint_eq(h->n_got, 4);
    harness_free(h);
    /* With one-octet common addresses the global address is 0xFF. */
    h = harness_new(NULL, 0, 0);
    h->t.cfg.iec104_ca_size = 1;
    gs_iec104_dissector.state_init(h->iec104, &h->t.cfg);
    set_flow(h, "10.3.0.5", "10.3.1.1", 2404, GS_DIR_TO_SERVER);
    iec104(h, "2E 01 06 00 FF E9 03 00 02"); /* C_DC_NA_1 to CA 0xFF */
    only(h, 0, "policy.dangerous.broadcast_operate");
    harness_free(h);
}
END_TEST

START_TEST(test_conduit_policy_mms_catalogue)
{
    struct harness *h = harness_new(NULL, 0, 0);
    set_flow(h, "10.20.0.10", "10.20.1.11", 102, GS_DIR_TO_SERVER);
    static const struct {
        uint32_t service;
        const char *domain, *item, *rule, *operation;
    } cases[] = {
        {GS_MMS_SVC_DELETE_DOMAIN, "IED1LD0", NULL, "policy.dangerous.application",
         "delete_domain"},
        {GS_MMS_SVC_DELETE_PROGRAM_INVOCATION, "APP1", NULL, "policy.dangerous.application",
         "delete_program_invocation"},
        {GS_MMS_SVC_START, "APP1", NULL, "policy.dangerous.application", "start"},
        {GS_MMS_SVC_STOP, "APP1", NULL, "policy.dangerous.application", "stop"},
        {GS_MMS_SVC_RESUME, "APP1", NULL, "policy.dangerous.application", "resume"},
        {GS_MMS_SVC_RESET, "APP1", NULL, "policy.dangerous.application", "reset"},
        {GS_MMS_SVC_KILL, "APP1", NULL, "policy.dangerous.application", "kill"},
        {GS_MMS_SVC_INITIATE_DOWNLOAD_SEQUENCE, "LD9", NULL, "policy.dangerous.config_change",
         "domain_download"},
        {GS_MMS_SVC_LOAD_DOMAIN_CONTENT, "LD9", NULL, "policy.dangerous.config_change",
         "domain_download"},
        {GS_MMS_SVC_WRITE, "IED1LD0", "LLN0$SP$SGCB$ActSG", "policy.dangerous.config_change",
         "setting_group_change"},
        {GS_MMS_SVC_WRITE, "IED1LD0", "LLN0$SP$SGCB$CnfEdit", "policy.dangerous.config_change",
         "setting_group_change"},
        /* Normal operation: controls, reads, report control, a setting read. */
        {GS_MMS_SVC_WRITE, "IED1LD0", "CSWI1$CO$Pos$Oper", NULL, NULL},
        {GS_MMS_SVC_WRITE, "IED1LD0", "LLN0$BR$brcbA01$RptEna", NULL, NULL},
        {GS_MMS_SVC_READ, "IED1LD0", "LLN0$SP$SGCB$ActSG", NULL, NULL},
        {GS_MMS_SVC_GET_NAME_LIST, NULL, NULL, NULL, NULL},
        {GS_MMS_SVC_FILE_OPEN, NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t before = h->n_got;
        mms_request(h, cases[i].service, cases[i].domain, cases[i].item, NULL);
        if (cases[i].rule == NULL) {
            ck_assert_msg(h->n_got == before, "case %zu", i);
            continue;
        }
        const struct got *g = only(h, before, cases[i].rule);
        char kv[64];
        snprintf(kv, sizeof(kv), "mms.operation=%s", cases[i].operation);
        ck_assert_msg(has(g, kv), "%s", g->fields);
    }
    /* File services name their files; obtainFile the destination as the target. */
    struct gs_span files[2] = {span_of("fw/new.bin"), span_of("ied.bin")};
    struct gs_mms_event ev = {.pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
                              .has_service = true,
                              .service = GS_MMS_SVC_OBTAIN_FILE,
                              .files = files,
                              .n_files = 2};
    size_t before = h->n_got;
    emit_event(h, GS_EVENT_MMS, &ev);
    const struct got *g = only(h, before, "policy.dangerous.file_change");
    ck_assert(has(g, "mms.operation=obtain_file") && has(g, "mms.target=ied.bin"));
    ck_assert(has(g, "mms.object=fw/new.bin"));
    ev.service = GS_MMS_SVC_FILE_DELETE;
    ev.n_files = 1;
    emit_event(h, GS_EVENT_MMS, &ev);
    g = only(h, before + 1, "policy.dangerous.file_change");
    ck_assert(has(g, "mms.operation=file_delete") && !has(g, "mms.target=fw/new.bin"));
    /* A response carrying the same service performs nothing. */
    ev.pdu = GS_MMS_PDU_CONFIRMED_RESPONSE;
    emit_event(h, GS_EVENT_MMS, &ev);
    ck_assert_uint_eq(h->n_got, before + 2);
    harness_free(h);
}
END_TEST

/* ---- repeats and memory ------------------------------------------------------------------------
 */

START_TEST(test_conduit_policy_realert_window)
{
    struct harness *h = harness_new(NULL, 60, 0);
    set_flow(h, "10.1.0.2", "10.2.0.10", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, 1024, "C0 0D");
    ck_assert_uint_eq(h->n_got, 1);
    /* Held back within 60 s of packet time... */
    next_packet(h, 20 * 1000000ull);
    dnp3(h, 1, 1024, "C0 0D");
    next_packet(h, 20 * 1000000ull);
    dnp3(h, 1, 1024, "C0 0D");
    ck_assert_uint_eq(h->n_got, 1);
    /* ...unless something else differs: another outstation behind the same gateway. */
    dnp3(h, 1, 1025, "C0 0D");
    ck_assert_uint_eq(h->n_got, 2);
    /* Reported again once 60 s have passed, with the count held back. */
    next_packet(h, 25 * 1000000ull);
    dnp3(h, 1, 1024, "C0 0D");
    ck_assert_uint_eq(h->n_got, 3);
    ck_assert(has(&h->got[2], "dnp3.repeats=2"));
    harness_free(h);
    /* policy.realert_s=0: every request. */
    h = harness_new(NULL, 0, 0);
    set_flow(h, "10.1.0.2", "10.2.0.10", 20000, GS_DIR_TO_SERVER);
    for (int i = 0; i < 5; i++)
        dnp3(h, 1, 1024, "C0 0D");
    ck_assert_uint_eq(h->n_got, 5);
    ck_assert(!has(&h->got[4], "dnp3.repeats=0"));
    harness_free(h);
}
END_TEST

/* The memory of reported findings is bounded (policy.max_reported): past it the oldest are
 * forgotten, and a forgotten finding is reported again. */
START_TEST(test_conduit_policy_memory_bound)
{
    struct harness *h = harness_new("{\"conduits\": [{\"name\": \"C\", \"protocol\": \"dnp3\","
                                    " \"clients\": [\"10.1.0.2\"], \"servers\": [\"10.2.0.10\"]}]}",
                                    -1, 64);
    char client[32];
    for (int i = 0; i < 200; i++) {
        snprintf(client, sizeof(client), "10.50.%d.%d", i / 100, i % 100 + 1);
        set_flow(h, client, "10.2.0.10", 20000, GS_DIR_TO_SERVER);
        dnp3(h, 1, 1024, "C0 01 3C 01 06");
    }
    ck_assert_uint_eq(n_rule(h, "policy.unknown_conduit"), 200);
    /* The most recent are still known... */
    dnp3(h, 1, 1024, "C0 01 3C 01 06");
    ck_assert_uint_eq(h->n_got, 200);
    /* ...the first was forgotten. */
    set_flow(h, "10.50.0.1", "10.2.0.10", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, 1024, "C0 01 3C 01 06");
    ck_assert_uint_eq(h->n_got, 201);
    harness_free(h);
}
END_TEST

/* ---- allow-lists -------------------------------------------------------------------------------
 */

static const char *const site_policy =
    "{\"conduits\": [\n"
    " {\"name\": \"C-DNP\", \"protocol\": \"dnp3\", \"clients\": [\"10.1.0.2\"],\n"
    "  \"servers\": [\"10.2.0.10\"], \"ports\": [20000],\n"
    "  \"allow\": {\"function_codes\": [1, 3, 4, 13], \"groups\": [60, 12, 1]}},\n"
    " {\"name\": \"C-DNP-B\", \"protocol\": \"dnp3\", \"clients\": [\"10.1.0.3\"],\n"
    "  \"servers\": [\"10.2.0.10\"], \"allow\": {\"operations\": [\"broadcast_operate\","
    "  \"disable_unsolicited\"]}},\n"
    " {\"name\": \"C-104\", \"protocol\": \"iec104\", \"clients\": [\"10.3.0.5\"],\n"
    "  \"servers\": [\"10.3.1.1\"],\n"
    "  \"allow\": {\"type_ids\": [100, 45, 105], \"causes\": [\"act\", \"deact\"]}},\n"
    " {\"name\": \"C-MMS\", \"protocol\": \"mms\", \"clients\": [\"10.20.0.10\"],\n"
    "  \"servers\": [\"10.20.1.0/24\"],\n"
    "  \"allow\": {\"services\": [\"read\", \"getNameList\", \"fileDelete\"],\n"
    "            \"controls\": [\"select\", \"operate\"]}},\n"
    " {\"name\": \"C-MMS-W\", \"protocol\": \"mms\", \"clients\": [\"10.20.0.11\"],\n"
    "  \"servers\": [\"10.20.1.0/24\"], \"allow\": {\"services\": [\"write\"]}},\n"
    " {\"name\": \"C-GOOSE\", \"protocol\": \"goose\", \"vlans\": [10],\n"
    "  \"allow\": {\"publishers\": [{\"src_mac\": \"00:02:a3:11:22:33\", \"appid\": 1,\n"
    "                              \"gocb_ref\": \"IED1LD0/LLN0$GO$gcb01\"},\n"
    "                             {\"appid\": 9, \"sv_id\": \"MU09\"}]}},\n"
    " {\"name\": \"C-SV\", \"protocol\": \"sv\", \"vlans\": [100],\n"
    "  \"allow\": {\"publishers\": [{\"appid\": 16384, \"sv_id\": \"MU01\"}]}},\n"
    " {\"name\": \"C-ANY-GOOSE\", \"protocol\": \"goose\", \"vlans\": [20]},\n"
    " {\"name\": \"C-RTU-TLS\", \"protocol\": \"dnp3\", \"clients\": [\"10.1.0.2\"],\n"
    "  \"servers\": [\"10.2.0.11\"]}\n"
    "]}\n";

START_TEST(test_conduit_policy_dnp3_allow)
{
    struct harness *h = harness_new(site_policy, 0, 0);
    set_flow(h, "10.1.0.2", "10.2.0.10", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, 1024, "C0 01 3C 02 06 3C 01 06");
    dnp3(h, 1, 1024, "C0 03 0C 01 28 01 00 03 00 03 01 F4 01 00 00 00 00 00 00 00");
    dnp3(h, 1, 1024, "C0 00"); /* CONFIRM is always allowed */
    ck_assert_uint_eq(h->n_got, 0);
    dnp3(h, 1, 1024, "C0 05 0C 01 28 01 00 03 00 03 01 F4 01 00 00 00 00 00 00 00");
    const struct got *g = only(h, 0, "policy.function_not_allowed");
    ck_assert_str_eq(g->conduit, "C-DNP");
    ck_assert(has(g, "dnp3.not_allowed=function_codes") && has(g, "dnp3.function_code=5"));
    ck_assert(has(g, "dnp3.function=DIRECT_OPERATE") && has(g, "dnp3.src=1"));
    dnp3(h, 1, 1024, "C0 01 3C 01 06 1E 00 06");
    g = only(h, 1, "policy.function_not_allowed");
    ck_assert(has(g, "dnp3.not_allowed=groups") && has(g, "dnp3.group=30"));
    /* COLD_RESTART is listed: allowed explicitly, so the catalogue stays quiet too. */
    dnp3(h, 1, 1024, "C0 0D");
    ck_assert_uint_eq(h->n_got, 2);
    /* DISABLE_UNSOLICITED is not: both findings. */
    dnp3(h, 1, 1024, "C0 15 3C 02 06");
    ck_assert_uint_eq(h->n_got, 4);
    ck_assert_str_eq(h->got[2].rule, "policy.function_not_allowed");
    ck_assert_str_eq(h->got[3].rule, "policy.dangerous.unsolicited_disabled");
    ck_assert_str_eq(h->got[3].conduit, "C-DNP");
    /* Responses are never judged against the list. */
    set_flow(h, "10.1.0.2", "10.2.0.10", 20000, GS_DIR_TO_CLIENT);
    dnp3(h, 1024, 1, "C0 82 00 00 1E 01 00 00 00 01 E8 03 00 00");
    ck_assert_uint_eq(h->n_got, 4);
    /* Listing a function does not allow its broadcast; allow.operations does. */
    set_flow(h, "10.1.0.2", "10.2.0.10", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, 0xFFFF, "C0 03 0C 01 28 01 00 03 00 03 01 F4 01 00 00 00 00 00 00 00");
    only(h, 4, "policy.dangerous.broadcast_operate");
    set_flow(h, "10.1.0.3", "10.2.0.10", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, 0xFFFF, "C0 03 0C 01 28 01 00 03 00 03 01 F4 01 00 00 00 00 00 00 00");
    dnp3(h, 1, 1024, "C0 15 3C 02 06");
    ck_assert_uint_eq(h->n_got, 5);
    harness_free(h);
}
END_TEST

START_TEST(test_conduit_policy_iec104_allow)
{
    struct harness *h = harness_new(site_policy, 0, 0);
    set_flow(h, "10.3.0.5", "10.3.1.1", 2404, GS_DIR_TO_SERVER);
    iec104(h, "64 01 06 00 01 00 00 00 00 14");
    iec104(h, "2D 01 08 00 01 00 E9 03 00 01");
    ck_assert_uint_eq(h->n_got, 0);
    iec104(h, "32 01 06 00 01 00 D1 07 00 00 00 48 42 00");
    const struct got *g = only(h, 0, "policy.function_not_allowed");
    ck_assert_str_eq(g->conduit, "C-104");
    ck_assert(has(g, "iec104.not_allowed=type_ids") && has(g, "iec104.type_id=50"));
    ck_assert(has(g, "iec104.type=C_SE_NC_1") && has(g, "iec104.ioa=2001"));
    ck_assert(has(g, "iec104.cot=6") && has(g, "iec104.ca=1"));
    iec104(h, "64 01 05 00 01 00 00 00 00 14");
    g = only(h, 1, "policy.function_not_allowed");
    ck_assert(has(g, "iec104.not_allowed=causes") && has(g, "iec104.cause=5"));
    /* C_RP_NA_1 is listed: no finding at all. */
    iec104(h, "69 01 06 00 01 00 00 00 00 01");
    ck_assert_uint_eq(h->n_got, 2);
    /* The controlled station's answers are not judged. */
    set_flow(h, "10.3.0.5", "10.3.1.1", 2404, GS_DIR_TO_CLIENT);
    iec104(h, "0D 01 03 00 01 00 D1 07 00 00 00 48 42 00");
    iec104(h, "32 01 07 00 01 00 D1 07 00 00 00 48 42 00");
    ck_assert_uint_eq(h->n_got, 2);
    harness_free(h);
}
END_TEST

START_TEST(test_conduit_policy_mms_allow)
{
    struct harness *h = harness_new(site_policy, 0, 0);
    set_flow(h, "10.20.0.10", "10.20.1.11", 102, GS_DIR_TO_SERVER);
    mms_request(h, GS_MMS_SVC_READ, "IED1LD0", "MMXU1$MX$TotW", NULL);
    /* Controls are allowed by "controls" without "write" in services. */
    struct gs_mms_control ctl = {.object = 0, .action = GS_MMS_CTL_OPERATE};
    mms_request(h, GS_MMS_SVC_WRITE, "IED1LD0", "CSWI1$CO$Pos$Oper", &ctl);
    ctl.action = GS_MMS_CTL_SELECT;
    mms_request(h, GS_MMS_SVC_READ, "IED1LD0", "CSWI1$CO$Pos$SBO", &ctl);
    /* fileDelete is listed: neither finding. */
    mms_request(h, GS_MMS_SVC_FILE_DELETE, NULL, NULL, NULL);
    ck_assert_uint_eq(h->n_got, 0);
    ctl.action = GS_MMS_CTL_CANCEL;
    mms_request(h, GS_MMS_SVC_WRITE, "IED1LD0", "CSWI1$CO$Pos$Cancel", &ctl);
    const struct got *g = only(h, 0, "policy.function_not_allowed");
    ck_assert(has(g, "mms.not_allowed=controls") && has(g, "mms.action=cancel"));
    ck_assert(has(g, "mms.object=IED1LD0/CSWI1$CO$Pos$Cancel"));
    mms_request(h, GS_MMS_SVC_WRITE, "IED1LD0", "LLN0$BR$brcbA01$RptEna", NULL);
    g = only(h, 1, "policy.function_not_allowed");
    ck_assert(has(g, "mms.not_allowed=services") && has(g, "mms.service=write"));
    /* Each object is its own finding. */
    mms_request(h, GS_MMS_SVC_WRITE, "IED1LD0", "LLN0$BR$brcbA02$RptEna", NULL);
    ck_assert_uint_eq(h->n_got, 3);
    mms_request(h, GS_MMS_SVC_KILL, "APP1", NULL, NULL);
    ck_assert_uint_eq(h->n_got, 5);
    ck_assert_str_eq(h->got[4].rule, "policy.dangerous.application");
    /* "write" in services does not allow setting group changes explicitly. */
    set_flow(h, "10.20.0.11", "10.20.1.11", 102, GS_DIR_TO_SERVER);
    mms_request(h, GS_MMS_SVC_WRITE, "IED1LD0", "LLN0$SP$SGCB$ActSG", NULL);
    g = only(h, 5, "policy.dangerous.config_change");
    ck_assert_str_eq(g->conduit, "C-MMS-W");
    harness_free(h);
}
END_TEST

/* ---- publishers --------------------------------------------------------------------------------
 */

static void goose(struct harness *h, const uint8_t mac[6], uint16_t vlan, uint16_t appid,
                  const char *gocb_ref)
{
    struct gs_sec_info sec;
    memset(&sec, 0, sizeof(sec));
    struct gs_goose_event ev = {
        .security = &sec, .ether_type = 0x88B8, .appid = appid, .pdu = GS_GOOSE_PDU_GOOSE};
    if (gocb_ref != NULL) {
        ev.present = GS_GOOSE_F_GOCB_REF;
        ev.gocb_ref = span_of(gocb_ref);
    }
    memcpy(h->t.l2.src_mac, mac, 6);
    h->t.l2.has_mac = true;
    h->t.l2.vlan_count = vlan != 0;
    h->t.l2.vlan_id[0] = vlan;
    h->t.ctx.flow = NULL;
    emit_event(h, GS_EVENT_GOOSE, &ev);
}

static void sv(struct harness *h, const uint8_t mac[6], uint16_t vlan, uint16_t appid,
               const char *id1, const char *id2)
{
    struct gs_sec_info sec;
    memset(&sec, 0, sizeof(sec));
    struct gs_sv_asdu asdus[2];
    memset(asdus, 0, sizeof(asdus));
    asdus[0].present = GS_SV_F_SV_ID;
    asdus[0].sv_id = span_of(id1);
    asdus[1].present = GS_SV_F_SV_ID;
    asdus[1].sv_id = span_of(id2 != NULL ? id2 : id1);
    struct gs_sv_event ev = {
        .security = &sec, .appid = appid, .has_pdu = true, .asdus = asdus, .n_asdus = 2};
    memcpy(h->t.l2.src_mac, mac, 6);
    h->t.l2.has_mac = true;
    h->t.l2.vlan_count = 1;
    h->t.l2.vlan_id[0] = vlan;
    h->t.ctx.flow = NULL;
    emit_event(h, GS_EVENT_SV, &ev);
}

START_TEST(test_conduit_policy_publishers)
{
    static const uint8_t ied1[6] = {0x00, 0x02, 0xA3, 0x11, 0x22, 0x33};
    static const uint8_t rogue[6] = {0x00, 0x02, 0xA3, 0x66, 0x66, 0x66};
    struct harness *h = harness_new(site_policy, 0, 0);
    goose(h, ied1, 10, 1, "IED1LD0/LLN0$GO$gcb01");
    goose(h, ied1, 10, 1, NULL); /* no gocbRef readable: MAC and APPID judged */
    ck_assert_uint_eq(h->n_got, 0);
    goose(h, rogue, 10, 1, "IED1LD0/LLN0$GO$gcb01");
    goose(h, rogue, 10, 1, "IED1LD0/LLN0$GO$gcb01"); /* once per publisher */
    const struct got *g = only(h, 0, "policy.publisher_not_allowed");
    ck_assert_str_eq(g->conduit, "C-GOOSE");
    ck_assert(has(g, "goose.src_mac=00:02:a3:66:66:66") && has(g, "goose.appid=1"));
    ck_assert(has(g, "goose.gocb_ref=IED1LD0/LLN0$GO$gcb01") && has(g, "goose.vlan=10"));
    goose(h, ied1, 10, 2, "IED1LD0/LLN0$GO$gcb01");
    only(h, 1, "policy.publisher_not_allowed");
    goose(h, ied1, 10, 1, "IED1LD0/LLN0$GO$gcb02");
    only(h, 2, "policy.publisher_not_allowed");
    /* An entry with an svID admits SV only. */
    goose(h, ied1, 10, 9, "IED1LD0/LLN0$GO$gcb09");
    only(h, 3, "policy.publisher_not_allowed");
    /* A conduit without allow.publishers admits any publisher on its VLAN. */
    goose(h, rogue, 20, 77, "X/LLN0$GO$x");
    ck_assert_uint_eq(h->n_got, 4);
    /* No conduit for VLAN 30: unknown conduit, once per MAC pair and VLAN. */
    goose(h, rogue, 30, 77, "X/LLN0$GO$x");
    goose(h, rogue, 30, 78, "X/LLN0$GO$y");
    g = only(h, 4, "policy.unknown_conduit");
    ck_assert(has(g, "policy.protocol=goose") && has(g, "policy.vlan=30"));
    ck_assert_str_eq(g->conduit, "");
    /* SV: each ASDU's svID must be admitted. */
    sv(h, rogue, 100, 16384, "MU01", NULL);
    ck_assert_uint_eq(h->n_got, 5);
    sv(h, rogue, 100, 16384, "MU01", "MU02");
    g = only(h, 5, "policy.publisher_not_allowed");
    ck_assert(has(g, "sv.sv_id=MU02") && has(g, "sv.appid=16384"));
    harness_free(h);
}
END_TEST

/* ---- conduits -------------------------------------------------------------------------------- */

START_TEST(test_conduit_policy_unknown_and_unexpected)
{
    struct harness *h = harness_new(site_policy, 0, 0);
    /* DNP3 to a server no conduit names: once per pair and protocol, whatever the port. */
    set_flow(h, "10.1.0.2", "10.2.0.99", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, 7, "C0 01 3C 01 06");
    dnp3(h, 1, 7, "C0 01 3C 01 06");
    set_flow(h, "10.1.0.2", "10.2.0.99", 20000, GS_DIR_TO_CLIENT);
    dnp3(h, 7, 1, "C0 81 00 00");
    const struct got *g = only(h, 0, "policy.unknown_conduit");
    ck_assert(has(g, "policy.protocol=dnp3") && has(g, "policy.server_port=20000"));
    ck_assert(has(g, "policy.transport=tcp"));
    /* DNP3 on a port C-DNP does not list, between its hosts: unexpected there. */
    set_flow(h, "10.1.0.2", "10.2.0.10", 20001, GS_DIR_TO_SERVER);
    dnp3(h, 1, 1024, "C0 01 3C 01 06");
    g = only(h, 1, "policy.unexpected_protocol");
    ck_assert_str_eq(g->conduit, "C-DNP");
    ck_assert(has(g, "policy.conduit_protocol=dnp3") && has(g, "policy.server_port=20001"));
    /* nDPI's classifications: HTTP between the hosts of C-104, in either direction... */
    struct gs_app_class http = {.name = "HTTP", .category = "Web"};
    set_flow(h, "10.3.1.1", "10.3.0.5", 80, GS_DIR_TO_SERVER);
    next_packet(h, 1000);
    gs_conduit_policy_detector.on_classified(h->det, &h->t.ctx, &http);
    g = only(h, 2, "policy.unexpected_protocol");
    ck_assert_str_eq(g->conduit, "C-104");
    ck_assert(has(g, "policy.protocol=http") && has(g, "policy.ndpi_protocol=HTTP"));
    ck_assert(has(g, "policy.ndpi_category=Web") && has(g, "policy.guessed=false"));
    /* ...IT traffic between hosts no conduit names is no finding... */
    set_flow(h, "192.168.1.5", "192.168.1.53", 53, GS_DIR_TO_SERVER);
    struct gs_app_class dns = {.name = "DNS", .category = "Network"};
    gs_conduit_policy_detector.on_classified(h->det, &h->t.ctx, &dns);
    ck_assert_uint_eq(h->n_got, 3);
    /* ...but an industrial protocol is, and nDPI's name of IEC 104 is gridsensor's. */
    struct gs_app_class modbus = {.name = "Modbus", .category = "IoT-Scada"};
    set_flow(h, "192.168.1.5", "192.168.1.7", 502, GS_DIR_TO_SERVER);
    gs_conduit_policy_detector.on_classified(h->det, &h->t.ctx, &modbus);
    g = only(h, 3, "policy.unknown_conduit");
    ck_assert(has(g, "policy.protocol=modbus"));
    struct gs_app_class iec = {.name = "IEC60870", .category = "IoT-Scada"};
    set_flow(h, "10.3.0.5", "10.3.1.1", 2404, GS_DIR_TO_SERVER);
    gs_conduit_policy_detector.on_classified(h->det, &h->t.ctx, &iec);
    ck_assert_uint_eq(h->n_got, 4);
    /* TLS: judged as the protocol it protects. */
    struct gs_tls_session s = {.inner = "dnp3"};
    struct gs_tls_event tls = {.msg = GS_TLS_CLIENT_HELLO, .session = &s};
    set_flow(h, "10.1.0.2", "10.2.0.11", 19999, GS_DIR_TO_SERVER);
    emit_event(h, GS_EVENT_TLS, &tls);
    ck_assert_uint_eq(h->n_got, 4); /* C-RTU-TLS admits DNP3 */
    set_flow(h, "10.1.0.9", "10.2.0.11", 19999, GS_DIR_TO_SERVER);
    emit_event(h, GS_EVENT_TLS, &tls);
    g = only(h, 4, "policy.unknown_conduit");
    ck_assert(has(g, "policy.protocol=dnp3") && has(g, "policy.over_tls=true"));
    s.inner = NULL; /* HTTPS between the hosts of C-DNP */
    set_flow(h, "10.1.0.2", "10.2.0.10", 443, GS_DIR_TO_SERVER);
    emit_event(h, GS_EVENT_TLS, &tls);
    g = only(h, 5, "policy.unexpected_protocol");
    ck_assert(has(g, "policy.protocol=tls"));
    set_flow(h, "192.168.1.5", "192.168.1.80", 443, GS_DIR_TO_SERVER);
    emit_event(h, GS_EVENT_TLS, &tls);
    ck_assert_uint_eq(h->n_got, 6);
    harness_free(h);
    /* Without a policy there are no conduits to judge. */
    h = harness_new(NULL, 0, 0);
    set_flow(h, "10.3.1.1", "10.3.0.5", 80, GS_DIR_TO_SERVER);
    gs_conduit_policy_detector.on_classified(h->det, &h->t.ctx, &http);
    set_flow(h, "10.1.0.2", "10.2.0.99", 20000, GS_DIR_TO_SERVER);
    dnp3(h, 1, 7, "C0 01 3C 01 06");
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
}
END_TEST

static Suite *suite_conduit_policy(void)
{
    Suite *s = suite_create("conduit_policy");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, test_conduit_policy_allow_loads);
    tcase_add_loop_test(tc, test_conduit_policy_refuses_mistakes, 0,
                        (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, test_conduit_policy_warnings);
    tcase_add_test(tc, test_conduit_policy_cli_exit_2);
    tcase_add_test(tc, test_conduit_policy_match_l2_and_hosts);
    tcase_add_test(tc, test_conduit_policy_catalogue_table);
    suite_add_tcase(s, tc);
    tc = tcase_create("detector");
    tcase_add_loop_test(tc, test_conduit_policy_dnp3_catalogue, 0,
                        (int)(sizeof(dnp3_cases) / sizeof(dnp3_cases[0])));
    tcase_add_test(tc, test_conduit_policy_iec104_catalogue);
    tcase_add_test(tc, test_conduit_policy_mms_catalogue);
    tcase_add_test(tc, test_conduit_policy_realert_window);
    tcase_add_test(tc, test_conduit_policy_memory_bound);
    tcase_add_test(tc, test_conduit_policy_dnp3_allow);
    tcase_add_test(tc, test_conduit_policy_iec104_allow);
    tcase_add_test(tc, test_conduit_policy_mms_allow);
    tcase_add_test(tc, test_conduit_policy_publishers);
    tcase_add_test(tc, test_conduit_policy_unknown_and_unexpected);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_conduit_policy)
