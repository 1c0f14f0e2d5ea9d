/*
 * test_tls_profile.c - the IEC 62351-3 profile detector fed by the TLS dissector: a compliant
 * handshake raises nothing; each rule fires alone, at the message that shows it, with the
 * fields a SIEM needs; certificate rules against packet time and key/hash minimums; secure
 * renegotiation; mutual authentication when the policy asks for it; which connections are
 * judged (power-system ports, conduits, all_ports); per-conduit profile changes; and
 * policy.tls_required from the engine's on_flow and from plaintext on a TLS port.
 */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard_buf.h"
#include "policy.h"
#include "test_support.h"
#include "tls.h"
#include "tls_profile.h"
#include "tlsw.h"

#define NOW_S      1700000000
#define DAY        86400
#define STREAM_MAX 70000
#define MAX_ALERTS 32

struct got {
    char rule[48];
    uint64_t pcap_cnt;
    char conduit[32];
    char fields[1024]; /* "key=value;" for each field */
};

struct harness {
    struct gs_test_ctx t;
    struct gs_test_events ev;
    void *state;
    uint8_t pending[2][STREAM_MAX];
    size_t pend_len[2];
    bool failed;
    uint16_t port;
    struct gs_policy *policy;
    struct gs_detect_env env;
    void *det;
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
        n += (size_t)snprintf(g->fields + n, sizeof(g->fields) - n, "%s=%s;", f->key, v);
    }
}

static void forward(const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct harness *h = ctx->emit_arg;
    if (ev->type == GS_EVENT_ANOMALY && h->ev.n_anomalies < GS_TEST_MAX_EVENTS)
        h->ev.anomalies[h->ev.n_anomalies++] = ((const struct gs_anomaly *)ev->body)->name;
    if (gs_tls_profile_detector.event_mask & GS_EVENT_BIT(ev->type))
        gs_tls_profile_detector.on_event(h->det, ctx, ev);
}

static char policy_path[64];

static struct harness *harness_new(uint16_t port, const char *policy_json)
{
    struct harness *h = calloc(1, sizeof(*h));
    ck_assert_ptr_nonnull(h);
    gs_test_ctx_init(&h->t, &h->ev, port);
    h->t.ctx.emit = forward;
    h->t.ctx.emit_arg = h;
    h->port = port;
    if (policy_json != NULL) {
        snprintf(policy_path, sizeof(policy_path), "/tmp/gs-tlsp-XXXXXX");
        int fd = mkstemp(policy_path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, policy_json, strlen(policy_json)), (ssize_t)strlen(policy_json));
        close(fd);
        char err[GS_ERRBUF_SIZE];
        ck_assert_msg(gs_policy_load(&h->policy, policy_path, err) == 0, "%s", err);
        unlink(policy_path);
    }
    h->env.cfg = &h->t.cfg;
    h->env.policy = h->policy;
    h->env.alert = on_alert;
    h->env.alert_arg = h;
    char err[GS_ERRBUF_SIZE];
    ck_assert_int_eq(gs_tls_profile_detector.create(&h->det, &h->env, err), 0);
    h->state = calloc(1, gs_tls_dissector.state_size(&h->t.cfg));
    gs_tls_dissector.state_init(h->state, &h->t.cfg);
    return h;
}

static void harness_free(struct harness *h)
{
    gs_tls_profile_detector.destroy(h->det);
    gs_policy_free(h->policy);
    free(h->state);
    free(h);
}

static void set_dir(struct harness *h, enum gs_dir dir)
{
    h->t.flow.dir = dir;
    h->t.flow.src_port = dir == GS_DIR_TO_SERVER ? 40000 : h->port;
    h->t.flow.dst_port = dir == GS_DIR_TO_SERVER ? h->port : 40000;
    h->t.flow.src.addr[3] = dir == GS_DIR_TO_SERVER ? 1 : 2;
    h->t.flow.dst.addr[3] = dir == GS_DIR_TO_SERVER ? 2 : 1;
}

static void feed(struct harness *h, enum gs_dir dir, const uint8_t *data, size_t len)
{
    set_dir(h, dir);
    h->t.ctx.pcap_cnt++;
    memcpy(h->pending[dir] + h->pend_len[dir], data, len);
    h->pend_len[dir] += len;
    while (h->pend_len[dir] > 0 && !h->failed) {
        struct gs_guard_buf g;
        const uint8_t *p = gs_guard_alloc(&g, h->pending[dir], h->pend_len[dir]);
        struct gs_cursor cur = gs_cur_init(p, h->pend_len[dir]);
        struct gs_parse_res res = gs_tls_dissector.parse(h->state, &h->t.ctx, &cur, dir);
        gs_guard_free(&g);
        memmove(h->pending[dir], h->pending[dir] + res.consumed, h->pend_len[dir] - res.consumed);
        h->pend_len[dir] -= res.consumed;
        h->failed = res.status == GS_PARSE_ERROR;
        if (res.status != GS_PARSE_OK || res.consumed == 0)
            break;
    }
}

static size_t n_rule(const struct harness *h, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_got; i++)
        n += strcmp(h->got[i].rule, rule) == 0;
    return n;
}

static const struct got *rule(const struct harness *h, const char *name)
{
    for (size_t i = 0; i < h->n_got; i++) {
        if (strcmp(h->got[i].rule, name) == 0)
            return &h->got[i];
    }
    ck_abort_msg("no %s alert", name);
    return NULL;
}

static bool has_field(const struct got *g, const char *kv)
{
    char want[320];
    snprintf(want, sizeof(want), "%s;", kv);
    return strstr(g->fields, want) != NULL;
}

/* ---- certificates -------------------------------------------------------------------------- */

static EVP_PKEY *key_of(const char *type, size_t bits, const char *curve)
{
    static struct {
        char name[32];
        EVP_PKEY *key;
    } cache[8];
    char name[32];
    snprintf(name, sizeof(name), "%s-%zu-%s", type, bits, curve != NULL ? curve : "");
    for (size_t i = 0; i < 8; i++) {
        if (cache[i].key != NULL && strcmp(cache[i].name, name) == 0)
            return cache[i].key;
    }
    EVP_PKEY *key = strcmp(type, "RSA") == 0  ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits)
                    : strcmp(type, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve)
                                              : EVP_PKEY_Q_keygen(NULL, NULL, type);
    ck_assert_ptr_nonnull(key);
    for (size_t i = 0; i < 8; i++) {
        if (cache[i].key == NULL) {
            snprintf(cache[i].name, sizeof(cache[i].name), "%s", name);
            cache[i].key = key;
            break;
        }
    }
    return key;
}

struct cert {
    uint8_t *der;
    size_t len;
};

static struct cert make_cert(const char *cn, EVP_PKEY *key, bool self_signed, const EVP_MD *md,
                             int64_t nb, int64_t na)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 77);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)(self_signed ? cn : "Grid CA"), -1, -1, 0);
    X509_set_pubkey(x, key);
    EVP_PKEY *signer = self_signed ? key : key_of("RSA", 2048, NULL);
    ck_assert_int_gt(X509_sign(x, signer, md), 0);
    struct cert c = {NULL, 0};
    int n = i2d_X509(x, &c.der);
    ck_assert_int_gt(n, 0);
    c.len = (size_t)n;
    X509_free(x);
    return c;
}

static struct cert good_cert(void)
{
    return make_cert("rtu.example", key_of("RSA", 2048, NULL), false, EVP_sha256(),
                     NOW_S - 30 * DAY, NOW_S + 300 * DAY);
}

/* ---- handshakes ----------------------------------------------------------------------------- */

static const uint16_t good_suites[] = {0xC02F, 0xC030, 0x00FF};

struct spec {
    uint16_t ch_version;
    const uint16_t *suites;
    size_t n_suites;
    bool ch_reneg;
    uint16_t sh_version;
    uint16_t suite;
    bool sh_reneg;
    struct cert chain[3];
    size_t n_chain;
    bool cert_request;
    int client_certs; /* -1: no Certificate message */
    struct cert client_chain[1];
};

static struct spec good_spec(void)
{
    struct spec s = {.ch_version = 0x0303,
                     .suites = good_suites,
                     .n_suites = 3,
                     .ch_reneg = true,
                     .sh_version = 0x0303,
                     .suite = 0xC02F,
                     .sh_reneg = true,
                     .n_chain = 1,
                     .cert_request = true,
                     .client_certs = 1};
    s.chain[0] = good_cert();
    s.client_chain[0] = good_cert();
    return s;
}

static void free_spec(struct spec *s)
{
    for (size_t i = 0; i < s->n_chain; i++)
        OPENSSL_free(s->chain[i].der);
    OPENSSL_free(s->client_chain[0].der);
}

static uint8_t mbuf[STREAM_MAX], rbuf[STREAM_MAX];

static void send_handshake(struct harness *h, enum gs_dir dir, uint16_t version,
                           const struct gs_tlsw *m)
{
    struct gs_tlsw r;
    gs_tlsw_init(&r, rbuf, sizeof(rbuf));
    gs_tlsw_records(&r, 22, version, m->buf, m->len, 16384);
    feed(h, dir, r.buf, r.len);
}

/* pcap_cnt of each part (the context starts at 1 and counts one per feed): 2 ClientHello,
 * 3 ServerHello, 4 Certificate, 5 CertificateRequest + ServerHelloDone, 6 client Certificate +
 * ClientKeyExchange, 7 client CCS. */
static void run(struct harness *h, const struct spec *s)
{
    uint32_t seed = 1;
    struct gs_tlsw m;
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    struct gs_tlsw_client_hello ch = {.version = s->ch_version,
                                      .suites = s->suites,
                                      .n_suites = s->n_suites,
                                      .sni = "rtu.example",
                                      .reneg_info = s->ch_reneg,
                                      .seed = 3};
    gs_tlsw_client_hello(&m, &ch);
    send_handshake(h, GS_DIR_TO_SERVER, 0x0301, &m);
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    struct gs_tlsw_server_hello sh = {
        .version = s->sh_version, .suite = s->suite, .reneg_info = s->sh_reneg, .seed = 4};
    gs_tlsw_server_hello(&m, &sh);
    send_handshake(h, GS_DIR_TO_CLIENT, s->sh_version, &m);
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    struct gs_tlsw_der chain[3];
    for (size_t i = 0; i < s->n_chain; i++)
        chain[i] = (struct gs_tlsw_der){s->chain[i].der, s->chain[i].len};
    gs_tlsw_certificate(&m, chain, s->n_chain);
    send_handshake(h, GS_DIR_TO_CLIENT, s->sh_version, &m);
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    if (s->cert_request)
        gs_tlsw_cert_request(&m);
    gs_tlsw_opaque(&m, 14, 0, &seed);
    send_handshake(h, GS_DIR_TO_CLIENT, s->sh_version, &m);
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    if (s->client_certs >= 0) {
        struct gs_tlsw_der cc = {s->client_chain[0].der, s->client_chain[0].len};
        gs_tlsw_certificate(&m, &cc, (size_t)s->client_certs);
    }
    gs_tlsw_client_kx(&m, true, &seed);
    send_handshake(h, GS_DIR_TO_SERVER, s->sh_version, &m);
    uint8_t ccs[] = {20, 0x03, 0x03, 0x00, 0x01, 0x01};
    feed(h, GS_DIR_TO_SERVER, ccs, sizeof(ccs));
}

/* Runs one handshake on `port` with an optional policy; returns the harness to inspect. */
static struct harness *judge(const struct spec *s, uint16_t port, const char *policy)
{
    struct harness *h = harness_new(port, policy);
    run(h, s);
    ck_assert_uint_eq(h->ev.n_anomalies, 0);
    return h;
}

/* ---- the rules, one at a time ---------------------------------------------------------------- */

START_TEST(test_tls_profile_compliant_is_quiet)
{
    struct spec s = good_spec();
    struct harness *h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
    /* The same with mutual authentication required. */
    h = judge(&s, 3782, "{\"tls_profile\": {\"client_auth\": true}}");
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
    free_spec(&s);
}
END_TEST

START_TEST(test_tls_profile_old_version)
{
    static const uint16_t suites[] = {0xC013, 0x002F, 0x00FF};
    struct spec s = good_spec();
    s.ch_version = s.sh_version = 0x0301;
    s.suites = suites;
    s.suite = 0xC013;
    struct harness *h = judge(&s, 19998, NULL);
    /* TLS 1.0 with an AES-CBC-SHA suite: the version, not the suite too. */
    ck_assert_uint_eq(h->n_got, 1);
    const struct got *g = rule(h, "tls.version_not_allowed");
    ck_assert_uint_eq(g->pcap_cnt, 3);
    ck_assert(has_field(g, "version=TLS 1.0"));
    ck_assert(has_field(g, "allowed=TLS 1.2, TLS 1.3"));
    ck_assert(has_field(g, "inner=iec104"));
    ck_assert(has_field(g, "sni=rtu.example"));
    ck_assert(has_field(g, "cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
    harness_free(h);
    /* SSL 3.0 with RC4: both the version and the suite (broken in itself). */
    static const uint16_t rc4[] = {0x0005, 0x00FF};
    s.ch_version = s.sh_version = 0x0300;
    s.suites = rc4;
    s.n_suites = 2;
    s.suite = 0x0005;
    h = judge(&s, 19999, NULL);
    ck_assert_uint_eq(n_rule(h, "tls.version_not_allowed"), 1);
    ck_assert_uint_eq(n_rule(h, "tls.suite_not_allowed"), 1);
    ck_assert_uint_eq(n_rule(h, "tls.suite_offered_weak"), 1);
    ck_assert(has_field(rule(h, "tls.suite_not_allowed"), "weakness=RC4"));
    ck_assert(has_field(rule(h, "tls.version_not_allowed"), "inner=dnp3"));
    ck_assert_uint_eq(h->n_got, 3);
    harness_free(h);
    free_spec(&s);
}
END_TEST

START_TEST(test_tls_profile_suites)
{
    /* RC4 and NULL offered next to good suites, one of them selected. */
    static const uint16_t offered[] = {0xC02F, 0x0005, 0x003B, 0x000A, 0x00FF};
    struct spec s = good_spec();
    s.suites = offered;
    s.n_suites = 5;
    s.suite = 0x003B;
    struct harness *h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 2);
    const struct got *o = rule(h, "tls.suite_offered_weak");
    ck_assert_uint_eq(o->pcap_cnt, 2);
    ck_assert(has_field(o, "weak_suites=2")); /* RC4 and NULL; 3DES is not in the offer rule */
    ck_assert(has_field(o, "first_weak_suite=TLS_RSA_WITH_RC4_128_SHA"));
    const struct got *n = rule(h, "tls.suite_not_allowed");
    ck_assert_uint_eq(n->pcap_cnt, 3);
    ck_assert(has_field(n, "cipher_suite=TLS_RSA_WITH_NULL_SHA256"));
    ck_assert(has_field(n, "weakness=NULL"));
    harness_free(h);
    /* A sound suite the profile does not list. */
    static const uint16_t cbc[] = {0xC013, 0x00FF};
    s.suites = cbc;
    s.n_suites = 2;
    s.suite = 0xC013;
    h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    ck_assert(has_field(rule(h, "tls.suite_not_allowed"), "weakness=not in the profile"));
    harness_free(h);
    free_spec(&s);
}
END_TEST

START_TEST(test_tls_profile_certificate_rules)
{
    struct spec s = good_spec();
    OPENSSL_free(s.chain[0].der);
    s.chain[0] = make_cert("small", key_of("RSA", 1024, NULL), false, EVP_sha256(), NOW_S - DAY,
                           NOW_S + DAY);
    struct harness *h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    const struct got *g = rule(h, "tls.cert_key_too_small");
    ck_assert_uint_eq(g->pcap_cnt, 4);
    ck_assert(has_field(g, "key_bits=1024"));
    ck_assert(has_field(g, "min_key_bits=2048"));
    ck_assert(has_field(g, "subject=CN=small"));
    ck_assert(has_field(g, "cert_from=server"));
    harness_free(h);

    OPENSSL_free(s.chain[0].der);
    s.chain[0] =
        make_cert("p224", key_of("EC", 0, "P-224"), false, EVP_sha256(), NOW_S - DAY, NOW_S + DAY);
    h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    ck_assert(has_field(rule(h, "tls.cert_key_too_small"), "key_type=EC"));
    harness_free(h);

    /* SHA-1 leaf; a SHA-1 self-signed root sent after it is not judged by its signature. */
    OPENSSL_free(s.chain[0].der);
    s.chain[0] =
        make_cert("sha1", key_of("RSA", 2048, NULL), false, EVP_sha1(), NOW_S - DAY, NOW_S + DAY);
    s.chain[1] =
        make_cert("Grid CA", key_of("RSA", 2048, NULL), true, EVP_sha1(), NOW_S - DAY, NOW_S + DAY);
    s.n_chain = 2;
    h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    g = rule(h, "tls.cert_weak_signature");
    ck_assert(has_field(g, "signature_hash=SHA1"));
    ck_assert(has_field(g, "certs_affected=1"));
    ck_assert(has_field(g, "cert_index=0"));
    harness_free(h);
    OPENSSL_free(s.chain[0].der);
    s.chain[0] = good_cert();
    h = judge(&s, 19998, NULL); /* good leaf, SHA-1 root: quiet */
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
    OPENSSL_free(s.chain[1].der);
    s.n_chain = 1;

    /* Validity against packet time (the context says 2023-11-14). */
    OPENSSL_free(s.chain[0].der);
    s.chain[0] = make_cert("old", key_of("RSA", 2048, NULL), false, EVP_sha256(), NOW_S - 400 * DAY,
                           NOW_S - 1);
    h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    g = rule(h, "tls.cert_expired");
    ck_assert(has_field(g, "not_after=2023-11-14T22:13:19Z"));
    harness_free(h);
    OPENSSL_free(s.chain[0].der);
    s.chain[0] = make_cert("new", key_of("RSA", 2048, NULL), false, EVP_sha256(), NOW_S + 60,
                           NOW_S + 400 * DAY);
    h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    ck_assert_uint_eq(n_rule(h, "tls.cert_not_yet_valid"), 1);
    harness_free(h);

    /* The client's chain is judged too, where it is sent. */
    OPENSSL_free(s.chain[0].der);
    s.chain[0] = good_cert();
    OPENSSL_free(s.client_chain[0].der);
    s.client_chain[0] = make_cert("hmi", key_of("RSA", 2048, NULL), false, EVP_sha256(),
                                  NOW_S - 400 * DAY, NOW_S - DAY);
    h = judge(&s, 3782, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    g = rule(h, "tls.cert_expired");
    ck_assert_uint_eq(g->pcap_cnt, 6);
    ck_assert(has_field(g, "cert_from=client"));
    ck_assert(has_field(g, "inner=mms"));
    harness_free(h);
    free_spec(&s);
}
END_TEST

START_TEST(test_tls_profile_renegotiation)
{
    static const uint16_t no_scsv[] = {0xC02F, 0xC030};
    struct spec s = good_spec();
    s.suites = no_scsv;
    s.n_suites = 2;
    s.ch_reneg = false;
    s.sh_reneg = false;
    struct harness *h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    const struct got *g = rule(h, "tls.renegotiation_insecure");
    ck_assert_uint_eq(g->pcap_cnt, 3);
    ck_assert(has_field(g, "client_secure_renegotiation=false"));
    harness_free(h);
    /* The client signals it (SCSV only) but the server does not answer. */
    s.suites = good_suites;
    s.n_suites = 3;
    h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 1);
    g = rule(h, "tls.renegotiation_insecure");
    ck_assert(has_field(g, "client_secure_renegotiation=true"));
    ck_assert(has_field(g, "server_secure_renegotiation=false"));
    harness_free(h);
    free_spec(&s);
}
END_TEST

START_TEST(test_tls_profile_tls13_quiet)
{
    struct harness *h = harness_new(19998, NULL);
    static const uint16_t suites[] = {0x1301, 0x1303};
    static const uint16_t versions[] = {0x0304};
    struct gs_tlsw m;
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    struct gs_tlsw_client_hello ch = {
        .version = 0x0303, .suites = suites, .n_suites = 2, .versions = versions, .n_versions = 1};
    gs_tlsw_client_hello(&m, &ch);
    send_handshake(h, GS_DIR_TO_SERVER, 0x0301, &m);
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    struct gs_tlsw_server_hello sh = {
        .version = 0x0303, .suite = 0x1303, .selected_version = 0x0304};
    gs_tlsw_server_hello(&m, &sh);
    send_handshake(h, GS_DIR_TO_CLIENT, 0x0303, &m);
    /* No renegotiation_info in TLS 1.3, and nothing to see of client authentication. */
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
}
END_TEST

START_TEST(test_tls_profile_client_auth)
{
    const char *require = "{\"tls_profile\": {\"client_auth\": true}}";
    struct spec s = good_spec();
    /* Not required by the built-in profile. */
    s.cert_request = false;
    s.client_certs = -1;
    struct harness *h = judge(&s, 19998, NULL);
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
    /* Required: no CertificateRequest, seen at the ServerHelloDone. */
    h = judge(&s, 19998, require);
    ck_assert_uint_eq(h->n_got, 1);
    const struct got *g = rule(h, "tls.no_client_auth");
    ck_assert_uint_eq(g->pcap_cnt, 5);
    ck_assert(has_field(g, "certificate_requested=false"));
    harness_free(h);
    /* Requested, answered with an empty list: at the client's Certificate. */
    s.cert_request = true;
    s.client_certs = 0;
    h = judge(&s, 19998, require);
    ck_assert_uint_eq(h->n_got, 1);
    ck_assert_uint_eq(rule(h, "tls.no_client_auth")->pcap_cnt, 6);
    harness_free(h);
    /* Requested, no Certificate message at all (SSL 3.0 style): at the ClientKeyExchange. */
    s.client_certs = -1;
    h = judge(&s, 19998, require);
    ck_assert_uint_eq(h->n_got, 1);
    ck_assert_uint_eq(rule(h, "tls.no_client_auth")->pcap_cnt, 6);
    harness_free(h);
    free_spec(&s);
}
END_TEST

START_TEST(test_tls_profile_scope_and_conduits)
{
    struct spec s = good_spec();
    OPENSSL_free(s.chain[0].der);
    s.chain[0] = make_cert("small", key_of("RSA", 1024, NULL), false, EVP_sha256(), NOW_S - DAY,
                           NOW_S + DAY);
    /* HTTPS on 443 is dissected but not judged against the power-system profile... */
    struct harness *h = judge(&s, 443, NULL);
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
    /* ...unless the policy says every TLS connection. */
    h = judge(&s, 443, "{\"tls_profile\": {\"all_ports\": true}}");
    ck_assert_uint_eq(h->n_got, 1);
    harness_free(h);
    /* A conduit naming an odd port makes it IEC 104 over TLS, with the conduit on alerts. */
    const char *conduit = "{\"conduits\": [{\"name\": \"C-ODD\", \"protocol\": \"iec104\","
                          " \"clients\": [\"10.0.0.1\"], \"servers\": [\"10.0.0.2\"],"
                          " \"ports\": [4433]}]}";
    h = judge(&s, 4433, conduit);
    ck_assert_uint_eq(h->n_got, 1);
    const struct got *g = rule(h, "tls.cert_key_too_small");
    ck_assert_str_eq(g->conduit, "C-ODD");
    ck_assert(has_field(g, "inner=iec104"));
    harness_free(h);
    /* A conduit that does not name the port does not make HTTPS between its hosts its own. */
    const char *no_port = "{\"conduits\": [{\"name\": \"C-DNP\", \"protocol\": \"dnp3\","
                          " \"servers\": [\"10.0.0.2\"]}]}";
    h = judge(&s, 443, no_port);
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
    /* Per-conduit profile: 3072-bit minimum on one conduit only. */
    OPENSSL_free(s.chain[0].der);
    s.chain[0] = good_cert();
    const char *strict = "{\"conduits\": [{\"name\": \"C-STRICT\", \"servers\": [\"10.0.0.2\"],"
                         " \"ports\": [19999], \"tls_profile\": {\"min_rsa_bits\": 3072}}]}";
    h = judge(&s, 19999, strict);
    ck_assert_uint_eq(h->n_got, 2); /* the server's and the client's 2048-bit keys */
    ck_assert(has_field(rule(h, "tls.cert_key_too_small"), "min_key_bits=3072"));
    ck_assert_str_eq(rule(h, "tls.cert_key_too_small")->conduit, "C-STRICT");
    harness_free(h);
    h = judge(&s, 19998, strict);
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
    free_spec(&s);
}
END_TEST

START_TEST(test_tls_profile_hrr_offer_judged_once)
{
    struct harness *h = harness_new(19998, NULL);
    static const uint16_t suites[] = {0x1301, 0x0004};
    static const uint16_t versions[] = {0x0304, 0x0303};
    struct gs_tlsw m;
    struct gs_tlsw_client_hello ch = {
        .version = 0x0303, .suites = suites, .n_suites = 2, .versions = versions, .n_versions = 2};
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    gs_tlsw_client_hello(&m, &ch);
    send_handshake(h, GS_DIR_TO_SERVER, 0x0301, &m);
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    struct gs_tlsw_server_hello hrr = {
        .version = 0x0303, .suite = 0x1301, .selected_version = 0x0304, .hrr = true};
    gs_tlsw_server_hello(&m, &hrr);
    send_handshake(h, GS_DIR_TO_CLIENT, 0x0303, &m);
    gs_tlsw_init(&m, mbuf, sizeof(mbuf));
    gs_tlsw_client_hello(&m, &ch);
    send_handshake(h, GS_DIR_TO_SERVER, 0x0303, &m);
    ck_assert_uint_eq(n_rule(h, "tls.suite_offered_weak"), 1);
    ck_assert_uint_eq(h->n_got, 1);
    harness_free(h);
}
END_TEST

/* ---- policy.tls_required --------------------------------------------------------------------- */

static const char *const tls_conduit =
    "{\"conduits\": [{\"name\": \"C-104\", \"protocol\": \"iec104\", \"clients\": "
    "[\"10.0.0.0/24\"], \"servers\": [\"10.0.0.2\"], \"require\": {\"tls\": true}},"
    " {\"name\": \"C-DNP\", \"protocol\": \"dnp3\", \"servers\": [\"10.0.0.2\"]}]}";

START_TEST(test_tls_profile_tls_required_on_flow)
{
    struct harness *h = harness_new(2404, tls_conduit);
    set_dir(h, GS_DIR_TO_SERVER);
    h->t.ctx.pcap_cnt = 41;
    /* The engine announces plaintext IEC 104 on the conduit. */
    gs_tls_profile_detector.on_flow(h->det, &h->t.ctx, "iec104");
    ck_assert_uint_eq(h->n_got, 1);
    const struct got *g = rule(h, "policy.tls_required");
    ck_assert_uint_eq(g->pcap_cnt, 41);
    ck_assert_str_eq(g->conduit, "C-104");
    ck_assert(has_field(g, "protocol=iec104"));
    /* Seen from the server's side, the same flow: oriented client/server, still the conduit. */
    set_dir(h, GS_DIR_TO_CLIENT);
    gs_tls_profile_detector.on_flow(h->det, &h->t.ctx, "iec104");
    ck_assert_uint_eq(h->n_got, 2);
    /* TLS on it is what the conduit wants; DNP3 has its own conduit without the requirement. */
    gs_tls_profile_detector.on_flow(h->det, &h->t.ctx, "tls");
    gs_tls_profile_detector.on_flow(h->det, &h->t.ctx, "dnp3");
    ck_assert_uint_eq(h->n_got, 2);
    harness_free(h);
    /* Without a policy nothing is required. */
    h = harness_new(2404, NULL);
    gs_tls_profile_detector.on_flow(h->det, &h->t.ctx, "iec104");
    ck_assert_uint_eq(h->n_got, 0);
    harness_free(h);
}
END_TEST

START_TEST(test_tls_profile_tls_required_plaintext_on_tls_port)
{
    struct harness *h = harness_new(19998, tls_conduit);
    uint8_t apdu[] = {0x68, 0x04, 0x07, 0x00, 0x00, 0x00};
    feed(h, GS_DIR_TO_SERVER, apdu, sizeof(apdu));
    ck_assert(h->failed);
    ck_assert_uint_eq(h->n_got, 1);
    ck_assert_str_eq(rule(h, "policy.tls_required")->conduit, "C-104");
    harness_free(h);
}
END_TEST

static Suite *suite_tls_profile(void)
{
    Suite *s = suite_create("tls_profile");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tls_profile_compliant_is_quiet);
    tcase_add_test(tc, test_tls_profile_old_version);
    tcase_add_test(tc, test_tls_profile_suites);
    tcase_add_test(tc, test_tls_profile_certificate_rules);
    tcase_add_test(tc, test_tls_profile_renegotiation);
    tcase_add_test(tc, test_tls_profile_tls13_quiet);
    tcase_add_test(tc, test_tls_profile_client_auth);
    tcase_add_test(tc, test_tls_profile_scope_and_conduits);
    tcase_add_test(tc, test_tls_profile_hrr_offer_judged_once);
    tcase_add_test(tc, test_tls_profile_tls_required_on_flow);
    tcase_add_test(tc, test_tls_profile_tls_required_plaintext_on_tls_port);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_tls_profile)
