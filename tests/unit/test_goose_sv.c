/*
 * test_goose_sv.c - the GOOSE/SV detector through the whole engine: every case of
 * pcaps/goose-sv/ raises exactly the alerts its .expect names, at their packets (with the
 * test-only key store, and without it no tag_invalid and the same counter findings); the
 * generated pcaps/goose.pcap and pcaps/rgoose.pcap verify every tag they carry a key for and
 * raise only what their publishers really do; the 691 SPDUs of the 2011 SISCO sample verify
 * with its published key; every GOOSE/SV capture of ../shared/pcaps raises exactly the alerts
 * tests/regress/goose_sv_detector/alerts.tsv lists (each checked by hand); the alert record's
 * fields; the publisher table's bound (LRU eviction, counted) and the alert hold-down.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "goose_sv.h"
#include "iec61850w.h"
#include "keystore.h"
#include "macw.h"
#include "output_json.h"
#include "pcapw.h"
#include "policy.h"
#include "test_support.h"

#define MAX_ALERTS 4096
#define T0         1795017600000000ull

struct got {
    char rule[40];
    uint64_t pcap_cnt;
    char fields[512];
    char conduit[32];
};

static struct {
    struct got a[MAX_ALERTS];
    size_t n;
    struct gs_goose_sv_counters c;
    void *inner;
    struct gs_detect_env env;
} run;

/* ---- a wrapper detector: the real one, with its alerts recorded ---------------------------- */

static void record(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *a)
{
    (void)arg;
    ck_assert_uint_lt(run.n, MAX_ALERTS);
    struct got *g = &run.a[run.n++];
    memset(g, 0, sizeof(*g));
    snprintf(g->rule, sizeof(g->rule), "%s", a->sig->rule);
    g->pcap_cnt = ctx->pcap_cnt;
    snprintf(g->conduit, sizeof(g->conduit), "%s", a->conduit != NULL ? a->conduit : "");
    size_t n = 0;
    for (size_t i = 0; i < a->n_fields && n < sizeof(g->fields); i++) {
        const struct gs_alert_field *f = &a->fields[i];
        char v[200];
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
        n += (size_t)snprintf(g->fields + n, sizeof(g->fields) - n, "%s=%s;", f->key, v);
    }
}

static int w_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    run.env = *env;
    run.env.alert = record;
    int rc = gs_goose_sv_detector.create(&run.inner, &run.env, errbuf);
    *state = run.inner;
    return rc;
}

static void w_destroy(void *state)
{
    gs_goose_sv_get_counters(state, &run.c);
    gs_goose_sv_detector.destroy(state);
}

static const struct gs_detector wrapper = {
    .name = "goose_sv_recorded",
    .event_mask = GS_EVENT_BIT(GS_EVENT_GOOSE) | GS_EVENT_BIT(GS_EVENT_SV),
    .create = w_create,
    .destroy = w_destroy,
};

static struct gs_detector wrapped;
static const struct gs_detector *const detectors[] = {&wrapped, NULL};

static void wrapper_setup(void)
{
    wrapped = wrapper;
    wrapped.on_event = gs_goose_sv_detector.on_event;
    wrapped.on_time = gs_goose_sv_detector.on_time;
}

/* ---- inputs -------------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    char *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

static struct gs_keystore *keys_from(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", gs_test_source_dir(), rel);
    size_t n;
    char *text = slurp(path, &n);
    ck_assert_msg(text != NULL, "%s", path);
    struct gs_keystore *ks = NULL;
    char err[GS_ERRBUF_SIZE];
    ck_assert_msg(gs_keystore_parse(text, n, rel, &ks, err) == 0, "%s", err);
    free(text);
    return ks;
}

static struct gs_policy *policy_from(const char *json)
{
    char path[] = "/tmp/gs-goose-sv-policy-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    struct gs_policy *p = NULL;
    char err[GS_ERRBUF_SIZE];
    ck_assert_msg(gs_policy_load(&p, path, err) == 0, "%s", err);
    unlink(path);
    return p;
}

/* Runs a capture through the engine with the detector; alerts and counters land in `run`. */
static void run_capture(const char *path, const struct gs_keystore *ks,
                        const struct gs_policy *policy, const struct gs_config *cfg_in,
                        struct gs_output *out)
{
    wrapper_setup();
    run.n = 0;
    memset(&run.c, 0, sizeof(run.c));
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    ck_assert_msg(p != NULL, "%s: %s", path, errbuf);
    struct gs_config cfg;
    if (cfg_in != NULL)
        cfg = *cfg_in;
    else
        gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_engine_options opts = {
        .cfg = &cfg, .detectors = detectors, .keys = ks, .policy = policy, .output = out};
    struct gs_engine *eng = gs_engine_create(&opts, err);
    ck_assert_msg(eng != NULL, "%s", err);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t cnt = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        struct gs_packet pkt = {.ts_us =
                                    (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec,
                                .pcap_cnt = ++cnt,
                                .data = data,
                                .cap_len = h->caplen,
                                .wire_len = h->len,
                                .dlt = pcap_datalink(p)};
        gs_engine_packet(eng, &pkt);
    }
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    pcap_close(p);
}

static size_t count_rule(const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < run.n; i++)
        n += strcmp(run.a[i].rule, rule) == 0;
    return n;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* "rule@pcap_cnt" lines, sorted, of the alerts run raised (skipping rules ending in `skip`). */
static void alerts_text(char *out, size_t cap, const char *skip)
{
    static char lines[MAX_ALERTS][80];
    size_t n = 0;
    for (size_t i = 0; i < run.n && n < MAX_ALERTS; i++) {
        if (skip != NULL && ends_with(run.a[i].rule, skip))
            continue;
        snprintf(lines[n++], 80, "%s@%llu", run.a[i].rule, (unsigned long long)run.a[i].pcap_cnt);
    }
    qsort(lines, n, 80, (int (*)(const void *, const void *))strcmp);
    size_t w = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s ", lines[i]);
}

/* ---- pcaps/goose-sv: each case raises what its .expect says, nothing else ---------------- */

struct expectation {
    char keys[256];
    char policy[1024];
    char alerts[8192]; /* sorted "rule@pcap_cnt " as alerts_text writes them */
    char alerts_no_tags[8192];
};

static void read_expect(const char *path, struct expectation *e)
{
    memset(e, 0, sizeof(*e));
    char *text = slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    char lines[64][80], lines2[64][80];
    size_t n = 0, n2 = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char rule[64];
        unsigned long long cnt;
        if (strncmp(line, "keys ", 5) == 0) {
            snprintf(e->keys, sizeof(e->keys), "%s", line + 5);
        } else if (strncmp(line, "policy-json ", 12) == 0) {
            snprintf(e->policy, sizeof(e->policy), "%s", line + 12);
        } else if (sscanf(line, "alert %63s %llu", rule, &cnt) == 2) {
            ck_assert_uint_lt(n, 64);
            snprintf(lines[n++], 80, "%s@%llu", rule, cnt);
            if (!ends_with(rule, ".tag_invalid") && !ends_with(rule, ".no_key"))
                snprintf(lines2[n2++], 80, "%s@%llu", rule, cnt);
        }
    }
    free(text);
    qsort(lines, n, 80, (int (*)(const void *, const void *))strcmp);
    qsort(lines2, n2, 80, (int (*)(const void *, const void *))strcmp);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += (size_t)snprintf(e->alerts + w, sizeof(e->alerts) - w, "%s ", lines[i]);
    w = 0;
    for (size_t i = 0; i < n2; i++)
        w += (size_t)snprintf(e->alerts_no_tags + w, sizeof(e->alerts_no_tags) - w, "%s ",
                              lines2[i]);
}

static int names_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(test_goose_sv_cases)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/pcaps/goose-sv", gs_test_source_dir());
    DIR *dp = opendir(dir);
    ck_assert_ptr_nonnull(dp);
    char *names[128];
    size_t n_cases = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (ends_with(de->d_name, ".expect")) {
            ck_assert_uint_lt(n_cases, 128);
            names[n_cases++] = strdup(de->d_name);
        }
    }
    closedir(dp);
    qsort(names, n_cases, sizeof(names[0]), names_cmp);
    ck_assert_uint_ge(n_cases, 25);
    size_t valid = 0, tampered = 0;
    for (size_t i = 0; i < n_cases; i++) {
        char path[8192], pcap[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(pcap, sizeof(pcap), "%.*s.pcap", (int)(strlen(path) - 7), path);
        struct expectation *e = calloc(1, sizeof(*e));
        read_expect(path, e);
        ck_assert_msg(e->keys[0] != '\0', "%s names no key store", names[i]);
        struct gs_keystore *ks = keys_from(e->keys);
        struct gs_policy *policy = e->policy[0] != '\0' ? policy_from(e->policy) : NULL;
        static char got[16384];

        /* with the keys: exactly the expected alerts */
        run_capture(pcap, ks, policy, NULL, NULL);
        alerts_text(got, sizeof(got), NULL);
        ck_assert_msg(strcmp(got, e->alerts) == 0, "%s: expected [%s] got [%s]", names[i],
                      e->alerts, got);
        ck_assert_msg(run.c.tags_invalid ==
                          count_rule("goose.tag_invalid") + count_rule("sv.tag_invalid"),
                      "%s: every invalid tag is alerted (no hold-down within a case)", names[i]);
        if (e->alerts[0] == '\0')
            valid++;
        else
            tampered++;

        /* without keys: no tag can be called invalid; the counter findings stay the same */
        run_capture(pcap, NULL, policy, NULL, NULL);
        alerts_text(got, sizeof(got), ".no_key");
        ck_assert_msg(count_rule("goose.tag_invalid") + count_rule("sv.tag_invalid") == 0,
                      "%s: tag_invalid without keys", names[i]);
        ck_assert_msg(strcmp(got, e->alerts_no_tags) == 0, "%s (no keys): expected [%s] got [%s]",
                      names[i], e->alerts_no_tags, got);
        ck_assert_uint_eq(run.c.tags_verified, 0);
        gs_policy_free(policy);
        gs_keystore_destroy(ks);
        free(e);
        free(names[i]);
    }
    ck_assert_uint_ge(valid, 4);
    ck_assert_uint_ge(tampered, 20);
}
END_TEST

/* Fields the alert carries: the tampered frame's identity, numbers and key. */
START_TEST(test_goose_sv_alert_fields)
{
    char pcap[4096];
    struct gs_keystore *ks = keys_from("keys/examples/test-only-goose-sv.json");
    struct gs_policy *policy = policy_from(
        "{\"conduits\": [{\"name\": \"C-PROC\", \"protocol\": \"goose\"},"
        " {\"name\": \"C-RSV\", \"protocol\": \"r-sv\", \"servers\": [\"239.192.0.0/16\"]}]}");
    snprintf(pcap, sizeof(pcap), "%s/pcaps/goose-sv/goose-tag-bitflip.pcap", gs_test_source_dir());
    run_capture(pcap, ks, policy, NULL, NULL);
    ck_assert_uint_eq(run.n, 1);
    const struct got *g = &run.a[0];
    ck_assert_str_eq(g->conduit, "C-PROC");
    ck_assert_msg(strstr(g->fields, "appid=513;gocb_ref=ATKIED1/LLN0$GO$gcbPos;carrier=l2;"
                                    "src_mac=00:30:a7:00:02:01;st_num=5;sq_num=3;key_id=11;"
                                    "algorithm=implied-by-key-id;reason=mismatch;"
                                    "key_algorithm=hmac-sha256-128;tag_len=16;candidates=6;"
                                    "coverage=ethertype..apdu_end;") == g->fields,
                  "%s", g->fields);
    ck_assert_uint_eq(run.c.tags_verified, 5);
    ck_assert_uint_eq(run.c.tags_invalid, 1);

    snprintf(pcap, sizeof(pcap), "%s/pcaps/goose-sv/rsv-tag-invalid.pcap", gs_test_source_dir());
    run_capture(pcap, ks, policy, NULL, NULL);
    ck_assert_uint_eq(run.n, 1);
    g = &run.a[0];
    ck_assert_str_eq(g->conduit, "C-RSV");
    ck_assert_msg(strstr(g->fields, "appid=17153;sv_id=RATKMU1;carrier=r-sv;src_ip=10.0.10.21;"
                                    "smp_cnt=202;spdu_num=502;key_id=32;") == g->fields,
                  "%s", g->fields);
    ck_assert_msg(strstr(g->fields, "key_algorithm=aes-gmac-128;") != NULL, "%s", g->fields);

    snprintf(pcap, sizeof(pcap), "%s/pcaps/goose-sv/goose-tal-expired.pcap", gs_test_source_dir());
    run_capture(pcap, ks, NULL, NULL, NULL);
    ck_assert_uint_eq(run.n, 1);
    ck_assert_msg(strstr(run.a[0].fields, "ttl_ms=2000;silent_ms=3000;last_st_num=5;"
                                          "last_sq_num=4;") != NULL,
                  "%s", run.a[0].fields);
    gs_policy_free(policy);
    gs_keystore_destroy(ks);
}
END_TEST

/* The JSON record: envelope with the layer-2 addresses, the goose section, the conduit. */
START_TEST(test_goose_sv_json_record)
{
    char path[] = "/tmp/gs-goose-sv-out-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof(spec), "file:%s", path);
    const char *specs[] = {spec};
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_output *out = gs_output_create(specs, 1, true, &cfg, err);
    ck_assert_ptr_nonnull(out);
    struct gs_keystore *ks = keys_from("keys/examples/test-only-goose-sv.json");
    struct gs_policy *policy =
        policy_from("{\"conduits\": [{\"name\": \"C-PROC\", \"protocol\": \"goose\", \"require\": "
                    "{\"tags\": true}}]}");
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/goose-sv/goose-tag-stripped.pcap", gs_test_source_dir());
    /* the real detector writes through the engine's output */
    wrapper_setup();
    const struct gs_detector *const real[] = {&gs_goose_sv_detector, NULL};
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(pcap, errbuf);
    ck_assert_ptr_nonnull(p);
    struct gs_engine_options opts = {
        .cfg = &cfg, .detectors = real, .keys = ks, .policy = policy, .output = out};
    struct gs_engine *eng = gs_engine_create(&opts, err);
    ck_assert_ptr_nonnull(eng);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t cnt = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        struct gs_packet pkt = {.ts_us =
                                    (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec,
                                .pcap_cnt = ++cnt,
                                .data = data,
                                .cap_len = h->caplen,
                                .wire_len = h->len,
                                .dlt = 1};
        gs_engine_packet(eng, &pkt);
    }
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    pcap_close(p);
    gs_output_destroy(out);
    gs_policy_free(policy);
    gs_keystore_destroy(ks);

    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    char line[65536];
    json_t *alert = NULL;
    size_t n_alerts = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strstr(line, "\"event_type\":\"alert\"") != NULL) {
            n_alerts++;
            json_decref(alert);
            alert = json_loads(line, 0, NULL);
        }
    }
    fclose(fp);
    unlink(path);
    ck_assert_uint_eq(n_alerts, 1);
    ck_assert_ptr_nonnull(alert);
    json_t *a = json_object_get(alert, "alert");
    ck_assert_str_eq(json_string_value(json_object_get(a, "rule")), "goose.tag_missing");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "signature_id")), 2000402);
    ck_assert_str_eq(json_string_value(json_object_get(alert, "app_proto")), "goose");
    ck_assert_str_eq(json_string_value(json_object_get(alert, "src_mac")), "00:30:a7:00:02:01");
    ck_assert_str_eq(json_string_value(json_object_get(alert, "conduit")), "C-PROC");
    ck_assert_int_eq(json_integer_value(json_object_get(alert, "pcap_cnt")), 4);
    json_t *g = json_object_get(alert, "goose");
    ck_assert_int_eq(json_integer_value(json_object_get(g, "appid")), 0x201);
    ck_assert_str_eq(json_string_value(json_object_get(g, "gocb_ref")), "ATKIED1/LLN0$GO$gcbPos");
    ck_assert_int_eq(json_integer_value(json_object_get(g, "st_num")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "sq_num")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(g, "reason")), "stripped");
    json_decref(alert);
}
END_TEST

/* ---- the project's generated captures ------------------------------------------------------ */

START_TEST(test_goose_sv_generated_goose)
{
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/goose.pcap", gs_test_source_dir());
    struct gs_keystore *ks = keys_from("keys/examples/test-only-goose-sv.json");
    run_capture(pcap, ks, NULL, NULL, NULL);
    char got[4096];
    alerts_text(got, sizeof(got), NULL);
    /* The 2007 RSA signatures (SECIED1, SECMU2) need certificates: no_key, once each. The
     * generator stops its publishers: SECIED2's last frame (stNum 4, sqNum 0, TAL 20 ms) at
     * +1.012 s, the multi-IED section's at +0.005 s (TAL 2 s); the clock shows it at +2 s and
     * +3 s. Every HMAC/GMAC tag verifies: 3 + 2 GOOSE, 2 + 2 SV. */
    ck_assert_str_eq(got, "goose.no_key@41 goose.tal_expired@53 goose.tal_expired@69 "
                          "goose.tal_expired@69 goose.tal_expired@69 sv.no_key@52 ");
    ck_assert_uint_eq(run.c.tags_verified, 9);
    ck_assert_uint_eq(run.c.tags_invalid, 0);
    ck_assert_uint_eq(run.c.tags_unverifiable, 3);
    /* PRP and HSR twins are dropped by decode: no mirror copies reach the detector */
    ck_assert_uint_eq(run.c.mirror_duplicates, 0);
    /* the 0xFFFFFFFF -> 1 stNum wrap and the smpCnt wraps at 4000 and 15360 raise nothing */
    ck_assert_uint_eq(count_rule("goose.st_rollback") + count_rule("sv.smp_cnt_rollback"), 0);

    run_capture(pcap, NULL, NULL, NULL, NULL);
    alerts_text(got, sizeof(got), NULL);
    ck_assert_str_eq(got, "goose.no_key@41 goose.no_key@43 goose.no_key@46 "
                          "goose.tal_expired@53 goose.tal_expired@69 goose.tal_expired@69 "
                          "goose.tal_expired@69 sv.no_key@48 sv.no_key@50 sv.no_key@52 ");
    gs_keystore_destroy(ks);
}
END_TEST

START_TEST(test_goose_sv_generated_rgoose)
{
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/rgoose.pcap", gs_test_source_dir());
    struct gs_keystore *ks = keys_from("keys/examples/test-only-goose-sv.json");
    run_capture(pcap, ks, NULL, NULL, NULL);
    char got[4096];
    alerts_text(got, sizeof(got), NULL);
    /* RMU02's elements carry simulation = 1 (gen_rgoose case 5) */
    ck_assert_str_eq(got, "sv.simulation@11 ");
    /* 13 signed SPDUs: v1 85-LL and legacy 85 forms (key id 01 00 00 00 read both ways), v2
     * from CLTP, R-SV HMAC-80 and GMAC-128, the tunnel's HMAC-256 */
    ck_assert_uint_eq(run.c.tags_verified, 13);
    ck_assert_uint_eq(run.c.tags_invalid, 0);
    ck_assert_uint_eq(run.c.tags_unverifiable, 0);
    gs_keystore_destroy(ks);
}
END_TEST

/* ---- the real 2011 SISCO sample: 691 signed SPDUs -------------------------------------------- */

START_TEST(test_goose_sv_sisco_sample)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; the SISCO 90-5 sample is not run\n");
        return;
    }
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/robidev__iec61850-dissector/test/iec90-5-samples.pcap", dir);
    struct gs_keystore *ks = keys_from("keys/examples/test-only-sisco-90-5.json");
    run_capture(pcap, ks, NULL, NULL, NULL);
    /* 166 R-GOOSE, 156 R-SV and 369 tunnel SPDUs, each verified once */
    ck_assert_uint_eq(run.c.tags_verified, 691);
    ck_assert_uint_eq(run.c.tags_invalid, 0);
    ck_assert_uint_eq(run.c.tags_unverifiable, 0);
    char got[4096];
    alerts_text(got, sizeof(got), NULL);
    /* The sample declares timeAllowedToLive 4 ms and publishes every 13-22 ms (median): both
     * GOOSE publishers are late from their second SPDU on (one alert each, the rest held
     * back). It never advances stNum/sqNum or smpCnt (always 1/1 and 0/0), which the rising
     * SPDU numbers cover: counted, not alerted. */
    ck_assert_str_eq(got, "goose.tal_expired@20 goose.tal_expired@24 ");
    ck_assert_uint_gt(run.c.counters_not_moving, 600);
    ck_assert_uint_gt(run.c.alerts_held_back, 0);
    gs_keystore_destroy(ks);

    /* a wrong key: every tag invalid, one alert per publisher (hold-down) */
    struct gs_keystore *wrong = keys_from("keys/examples/test-only-goose-sv.json");
    run_capture(pcap, wrong, NULL, NULL, NULL);
    ck_assert_uint_eq(run.c.tags_verified, 0);
    ck_assert_uint_eq(run.c.tags_invalid, 0); /* no key for mydom/mygcRef in that file */
    ck_assert_uint_eq(count_rule("goose.no_key") + count_rule("sv.no_key"), 3);
    gs_keystore_destroy(wrong);
}
END_TEST

/* ---- every GOOSE/SV capture of ../shared/pcaps -------------------------------------------- */

START_TEST(test_goose_sv_shared_captures)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; the shared GOOSE/SV captures are not "
                        "run\n");
        return;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/regress/goose_sv_detector/alerts.tsv",
             gs_test_source_dir());
    char *text = slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    size_t captures = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        /* <capture>\t<alerts, sorted "rule@pcap_cnt " or "-">\t<why> */
        char *tab = strchr(line, '\t');
        ck_assert_ptr_nonnull(tab);
        *tab = '\0';
        char *want = tab + 1;
        char *tab2 = strchr(want, '\t');
        if (tab2 != NULL)
            *tab2 = '\0';
        char pcap[8192], got[16384], expected[16384];
        snprintf(pcap, sizeof(pcap), "%s/%s", dir, line);
        run_capture(pcap, NULL, NULL, NULL, NULL);
        alerts_text(got, sizeof(got), NULL);
        snprintf(expected, sizeof(expected), "%s", strcmp(want, "-") == 0 ? "" : want);
        size_t el = strlen(expected);
        if (el > 0 && expected[el - 1] != ' ')
            snprintf(expected + el, sizeof(expected) - el, " ");
        ck_assert_msg(strcmp(got, expected) == 0, "%s: expected [%s] got [%s]", line, expected,
                      got);
        captures++;
    }
    free(text);
    ck_assert_uint_ge(captures, 26);
}
END_TEST

/* ---- bounds and hold-down, on frames built here ------------------------------------------ */

static struct gs_engine *eng_new(struct gs_config *cfg)
{
    wrapper_setup();
    run.n = 0;
    char err[GS_ERRBUF_SIZE];
    struct gs_engine_options opts = {.cfg = cfg, .detectors = detectors};
    struct gs_engine *eng = gs_engine_create(&opts, err);
    ck_assert_msg(eng != NULL, "%s", err);
    return eng;
}

/* An untagged layer-2 GOOSE frame of control block `n` with the given numbers. */
static void feed_goose(struct gs_engine *eng, uint64_t cnt, uint64_t ts, unsigned n, uint32_t st,
                       uint32_t sq)
{
    char gocb[64];
    snprintf(gocb, sizeof(gocb), "IED%u/LLN0$GO$gcb", n);
    uint8_t data[8];
    struct gs_tlvw d;
    gs_tlvw_init(&d, data, sizeof(data));
    gs_tlvw_bool(&d, 0x83, true);
    struct gs_goose_spec s = {.gocb_ref = gocb,
                              .ttl_ms = 60000,
                              .dat_set = "IED/LLN0$ds",
                              .t_secs = 1795017000,
                              .st_num = st,
                              .sq_num = sq,
                              .conf_rev = 1,
                              .entries = 1,
                              .all_data = data,
                              .all_data_len = d.n};
    uint8_t apdu[512], pdu[600], frame[700];
    size_t a = gs_goose_apdu(apdu, sizeof(apdu), &s);
    size_t len = gs_l2pdu(pdu, sizeof(pdu), (uint16_t)n, 0, 0, apdu, a);
    struct gs_l2_addr l2 = {.src = {0, 0x30, 0xa7, 0, 0, (uint8_t)n},
                            .dst = {1, 0x0c, 0xcd, 1, 0, 1}};
    len = gs_build_ether(frame, &l2, 0x88B8, pdu, len);
    struct gs_packet pkt = {.ts_us = ts,
                            .pcap_cnt = cnt,
                            .data = frame,
                            .cap_len = (uint32_t)len,
                            .wire_len = (uint32_t)len,
                            .dlt = 1};
    gs_engine_packet(eng, &pkt);
}

START_TEST(test_goose_sv_publishers_bounded)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    ck_assert_int_eq(gs_config_set(&cfg, "goose.max_publishers=2", err), 0);
    struct gs_engine *eng = eng_new(&cfg);
    uint64_t t = T0, cnt = 0;
    /* IED1 and IED2 fill the table; IED3 evicts IED1 (the least recently seen) */
    feed_goose(eng, ++cnt, t += 1000, 1, 5, 0);
    feed_goose(eng, ++cnt, t += 1000, 2, 5, 0);
    feed_goose(eng, ++cnt, t += 1000, 2, 5, 1);
    feed_goose(eng, ++cnt, t += 1000, 3, 5, 0);
    /* IED2 is still followed: its replay is seen */
    feed_goose(eng, ++cnt, t += 100000, 2, 5, 1);
    ck_assert_uint_eq(count_rule("goose.replay"), 1);
    /* IED1 was forgotten: its sqNum 0 again is a first sight, not a replay */
    feed_goose(eng, ++cnt, t += 100000, 1, 5, 0);
    ck_assert_uint_eq(count_rule("goose.replay"), 1);
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    ck_assert_uint_eq(run.c.publishers, 2);
    ck_assert_uint_eq(run.c.publishers_evicted, 2); /* IED1, then IED3 for IED1 again */
}
END_TEST

START_TEST(test_goose_sv_holddown)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    struct gs_engine *eng = eng_new(&cfg);
    uint64_t t = T0, cnt = 0;
    /* sqNum gaps every second for 2 minutes: one alert, then quiet for 60 s, then one that
     * says how many were held back */
    uint32_t sq = 0;
    for (int i = 0; i < 120; i++) {
        feed_goose(eng, ++cnt, t, 1, 9, sq);
        sq += 2;
        t += 1000000;
    }
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    ck_assert_uint_eq(count_rule("goose.sq_gap"), 2);
    ck_assert_uint_eq(run.a[0].pcap_cnt, 2);
    ck_assert_uint_eq(run.a[1].pcap_cnt, 62);
    ck_assert_msg(strstr(run.a[1].fields, "held_back=59;") != NULL, "%s", run.a[1].fields);
    ck_assert_uint_eq(run.c.alerts_held_back, 117);

    /* with goose.alert_holddown_s=0 every gap is an alert */
    char err[GS_ERRBUF_SIZE];
    ck_assert_int_eq(gs_config_set(&cfg, "goose.alert_holddown_s=0", err), 0);
    eng = eng_new(&cfg);
    sq = 0;
    t = T0;
    cnt = 0;
    for (int i = 0; i < 10; i++) {
        feed_goose(eng, ++cnt, t, 1, 9, sq);
        sq += 2;
        t += 1000000;
    }
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    ck_assert_uint_eq(count_rule("goose.sq_gap"), 9);
}
END_TEST

/* The packed 2020 model with the key id before the IV (the other order the digest allows):
 * the dissector reads IV first, the detector finds the key under the other reading. */
START_TEST(test_goose_sv_packed_key_id_first)
{
    struct gs_keystore *ks = keys_from("keys/examples/test-only-goose-sv.json");
    struct gs_keystore *pk = NULL;
    char err[GS_ERRBUF_SIZE];
    static const char json[] =
        "{\"sv\": [{\"appid\": 17476, \"sv_id\": \"MUPK\", \"key_id\": 168496141,"
        " \"algorithm\": \"aes-gmac-128\", \"key\": \"606162636465666768696a6b6c6d6e6f\"}]}";
    ck_assert_msg(gs_keystore_parse(json, strlen(json), "pk", &pk, err) == 0, "%s", err);
    gs_keystore_destroy(ks);
    uint8_t key[16], iv[12];
    gs_macw_test_key(key, 16, 0x60);
    for (int i = 0; i < 12; i++)
        iv[i] = (uint8_t)(0x90 + i);
    uint8_t seq[64] = {0};
    struct gs_sv_asdu_spec a = {
        .sv_id = "MUPK", .smp_cnt = 7, .conf_rev = 1, .seq_data = seq, .seq_len = 64};
    uint8_t apdu[512], pdu[700], frame[800], input[800], mac[16];
    size_t an = gs_sv_apdu(apdu, sizeof(apdu), &a, 1);
    /* 30 29 85 27 | 01 | TOCK | TTNK | KeyID 0A0B0C0D | IV | MAC */
    const size_t ext_len = 43;
    size_t n = gs_l2pdu(pdu, sizeof(pdu), 0x4444, (uint16_t)ext_len, 0, apdu, an);
    input[0] = 0x88;
    input[1] = 0xBA;
    memcpy(input + 2, pdu, n);
    gs_macw_gmac128(key, iv, input, n + 2, mac);
    size_t e = n;
    e += gs_test_hex(pdu + e, sizeof(pdu) - e, "30 29 85 27 01 6a 00 00 00 00 3c 0a 0b 0c 0d");
    memcpy(pdu + e, iv, 12);
    memcpy(pdu + e + 12, mac, 16);
    e += 28;
    ck_assert_uint_eq(e - n, ext_len);
    struct gs_l2_addr l2 = {.src = {0, 0x50, 0xc2, 0, 0, 9}, .dst = {1, 0x0c, 0xcd, 4, 0, 9}};
    size_t len = gs_build_ether(frame, &l2, 0x88BA, pdu, e);
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    wrapper_setup();
    run.n = 0;
    struct gs_engine_options opts = {.cfg = &cfg, .detectors = detectors, .keys = pk};
    struct gs_engine *eng = gs_engine_create(&opts, err);
    ck_assert_ptr_nonnull(eng);
    struct gs_packet pkt = {.ts_us = T0,
                            .pcap_cnt = 1,
                            .data = frame,
                            .cap_len = (uint32_t)len,
                            .wire_len = (uint32_t)len,
                            .dlt = 1};
    gs_engine_packet(eng, &pkt);
    /* the same frame with the tag altered */
    frame[len - 1] ^= 0x01;
    pkt.pcap_cnt = 2;
    pkt.ts_us += 250;
    gs_engine_packet(eng, &pkt);
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    ck_assert_uint_eq(run.c.tags_verified, 1);
    ck_assert_uint_eq(run.c.tags_invalid, 1);
    ck_assert_uint_eq(run.n, 1);
    ck_assert_str_eq(run.a[0].rule, "sv.tag_invalid");
    gs_keystore_destroy(pk);
}
END_TEST

/* The command line: --keys with a mode-0600 copy of the test-only file, --stats. */
START_TEST(test_goose_sv_cli)
{
    char src[4096], keys[] = "/tmp/gs-goose-sv-keys-XXXXXX", pcap[4096];
    snprintf(src, sizeof(src), "%s/keys/examples/test-only-goose-sv.json", gs_test_source_dir());
    size_t n;
    char *text = slurp(src, &n);
    ck_assert_ptr_nonnull(text);
    int fd = mkstemp(keys);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fchmod(fd, 0600), 0);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    free(text);
    snprintf(pcap, sizeof(pcap), "%s/pcaps/goose-sv/goose-tag-bitflip.pcap", gs_test_source_dir());
    char *argv[] = {(char *)gs_test_gridsensor(), "--keys", keys, "--stats", "-r", pcap, NULL};
    char *out = NULL, *err = NULL;
    int rc = gs_test_run(argv, &out, &err);
    unlink(keys);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    size_t alerts = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_t *r = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(r);
        const char *type = json_string_value(json_object_get(r, "event_type"));
        if (strcmp(type, "alert") == 0) {
            alerts++;
            json_t *a = json_object_get(r, "alert");
            ck_assert_str_eq(json_string_value(json_object_get(a, "rule")), "goose.tag_invalid");
            ck_assert_int_eq(json_integer_value(json_object_get(r, "pcap_cnt")), 4);
        } else if (strcmp(type, "stats") == 0) {
            json_t *g =
                json_object_get(json_object_get(json_object_get(r, "stats"), "detect"), "goose_sv");
            ck_assert_int_eq(json_integer_value(json_object_get(g, "tags_verified")), 5);
            ck_assert_int_eq(json_integer_value(json_object_get(g, "tags_invalid")), 1);
            ck_assert_int_eq(json_integer_value(json_object_get(g, "publishers")), 1);
        }
        json_decref(r);
    }
    ck_assert_uint_eq(alerts, 1);
    free(out);
    free(err);
}
END_TEST

static Suite *suite_goose_sv(void)
{
    Suite *s = suite_create("goose_sv");
    TCase *tc = tcase_create("detector");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_goose_sv_cases);
    tcase_add_test(tc, test_goose_sv_alert_fields);
    tcase_add_test(tc, test_goose_sv_json_record);
    tcase_add_test(tc, test_goose_sv_generated_goose);
    tcase_add_test(tc, test_goose_sv_generated_rgoose);
    tcase_add_test(tc, test_goose_sv_sisco_sample);
    tcase_add_test(tc, test_goose_sv_shared_captures);
    tcase_add_test(tc, test_goose_sv_publishers_bounded);
    tcase_add_test(tc, test_goose_sv_holddown);
    tcase_add_test(tc, test_goose_sv_packed_key_id_first);
    tcase_add_test(tc, test_goose_sv_cli);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_goose_sv)
