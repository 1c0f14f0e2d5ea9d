/*
 * test_tls.c - the TLS dissector on handshake byte vectors: hello fields, JA3 and the JA4
 * reference vector, HelloRetryRequest and TLS 1.3, records across segments and handshake
 * messages across records (with the needed counts), the handshake and certificate caps,
 * certificates made here with OpenSSL (RSA 1024/2048, EC, Ed25519, SHA-1/SHA-256/384,
 * expired and not yet valid), ChangeCipherSpec, renegotiation, resumption, alerts, SSL 2.0,
 * plaintext on a TLS port, resynchronisation after a gap, the probe, malformed vectors.
 * Every input is placed against a guard page.
 */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "guard_buf.h"
#include "test_support.h"
#include "tls.h"
#include "tlsw.h"

#define PORT        19998
#define MAX_SEEN    64
#define STREAM_MAX  70000
#define NOW_S       1700000000 /* the test context's packet time, 2023-11-14 */
#define DAY         86400
#define REC_HS      22
#define REC_CCS     20
#define REC_ALERT   21
#define REC_APPDATA 23

/* ---- what the dissector emitted ------------------------------------------------------------ */

struct seen {
    enum gs_tls_msg msg;
    enum gs_dir dir;
    uint64_t pcap_cnt;
    struct gs_tls_session session;
    struct gs_tls_client_hello ch; /* spans not valid after the call */
    struct gs_tls_server_hello sh;
    size_t n_certs, n_total;
    struct gs_tls_cert certs[4];
    struct gs_tls_alert alert;
    const char *plaintext;
    size_t record_len;
};

struct drv {
    struct gs_test_ctx t;
    struct gs_test_events ev;
    void *state;
    uint8_t pending[2][STREAM_MAX];
    size_t pend_len[2];
    struct gs_parse_res last;
    bool failed;
    struct seen seen[MAX_SEEN];
    size_t n_seen;
};

static void hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct drv *d = arg;
    if (ev->type == GS_EVENT_ANOMALY) {
        /* The engine aborts on a name the dissector does not declare: check it here. */
        const char *name = ((const struct gs_anomaly *)ev->body)->name;
        bool declared = false;
        for (size_t i = 0; gs_tls_dissector.event_names[i] != NULL; i++)
            declared |= strcmp(gs_tls_dissector.event_names[i], name) == 0;
        ck_assert_msg(declared, "anomaly %s missing from event_names", name);
    }
    if (ev->type != GS_EVENT_TLS || d->n_seen == MAX_SEEN)
        return;
    const struct gs_tls_event *te = ev->body;
    struct seen *s = &d->seen[d->n_seen++];
    memset(s, 0, sizeof(*s));
    s->msg = te->msg;
    s->dir = ctx->flow->dir;
    s->pcap_cnt = ctx->pcap_cnt;
    s->session = *te->session;
    if (te->client_hello != NULL)
        s->ch = *te->client_hello;
    if (te->server_hello != NULL)
        s->sh = *te->server_hello;
    if (te->certificates != NULL) {
        s->n_certs = te->certificates->n_certs;
        s->n_total = te->certificates->n_total;
        for (size_t i = 0; i < s->n_certs && i < 4; i++)
            s->certs[i] = te->certificates->certs[i];
    }
    if (te->alert != NULL)
        s->alert = *te->alert;
    s->plaintext = te->plaintext;
    s->record_len = te->record_len;
}

static struct drv *drv_new_cfg(uint32_t max_hs, uint32_t max_certs)
{
    struct drv *d = calloc(1, sizeof(*d));
    ck_assert_ptr_nonnull(d);
    gs_test_ctx_init(&d->t, &d->ev, PORT);
    if (max_hs != 0)
        d->t.cfg.tls_max_handshake_bytes = max_hs;
    if (max_certs != 0)
        d->t.cfg.tls_max_certificates = max_certs;
    d->ev.hook = hook;
    d->ev.hook_arg = d;
    d->state = calloc(1, gs_tls_dissector.state_size(&d->t.cfg));
    ck_assert_ptr_nonnull(d->state);
    gs_tls_dissector.state_init(d->state, &d->t.cfg);
    return d;
}

static struct drv *drv_new(void)
{
    return drv_new_cfg(0, 0);
}

static void drv_free(struct drv *d)
{
    free(d->state);
    free(d);
}

static void set_dir(struct drv *d, enum gs_dir dir)
{
    d->t.flow.dir = dir;
    d->t.flow.src_port = dir == GS_DIR_TO_SERVER ? 40000 : PORT;
    d->t.flow.dst_port = dir == GS_DIR_TO_SERVER ? PORT : 40000;
    d->t.flow.src.addr[3] = dir == GS_DIR_TO_SERVER ? 1 : 2;
    d->t.flow.dst.addr[3] = dir == GS_DIR_TO_SERVER ? 2 : 1;
}

/* Delivers bytes as the stream layer does: left-over bytes are kept and offered again with
 * the next ones; each parse call reads an exact copy against a guard page. */
static void feed(struct drv *d, enum gs_dir dir, const uint8_t *data, size_t len)
{
    set_dir(d, dir);
    d->t.ctx.pcap_cnt++;
    ck_assert_uint_le(d->pend_len[dir] + len, STREAM_MAX);
    memcpy(d->pending[dir] + d->pend_len[dir], data, len);
    d->pend_len[dir] += len;
    while (d->pend_len[dir] > 0 && !d->failed) {
        struct gs_guard_buf g;
        const uint8_t *p = gs_guard_alloc(&g, d->pending[dir], d->pend_len[dir]);
        struct gs_cursor cur = gs_cur_init(p, d->pend_len[dir]);
        struct gs_parse_res res = gs_tls_dissector.parse(d->state, &d->t.ctx, &cur, dir);
        gs_guard_free(&g);
        ck_assert_uint_le(res.consumed, d->pend_len[dir]);
        d->last = res;
        memmove(d->pending[dir], d->pending[dir] + res.consumed, d->pend_len[dir] - res.consumed);
        d->pend_len[dir] -= res.consumed;
        if (res.status == GS_PARSE_ERROR)
            d->failed = true;
        if (res.status != GS_PARSE_OK || res.consumed == 0)
            break;
    }
}

static void feed_w(struct drv *d, enum gs_dir dir, const struct gs_tlsw *w)
{
    feed(d, dir, w->buf, w->len);
}

static void gap(struct drv *d, enum gs_dir dir)
{
    d->pend_len[dir] = 0;
    gs_tls_dissector.state_reset(d->state, dir);
}

static const struct seen *find(const struct drv *d, enum gs_tls_msg msg, size_t nth)
{
    for (size_t i = 0; i < d->n_seen; i++) {
        if (d->seen[i].msg == msg && nth-- == 0)
            return &d->seen[i];
    }
    return NULL;
}

static size_t count(const struct drv *d, enum gs_tls_msg msg)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_seen; i++)
        n += d->seen[i].msg == msg;
    return n;
}

/* ---- building handshakes ------------------------------------------------------------------- */

static uint8_t msgbuf[STREAM_MAX], recbuf[STREAM_MAX];

static const uint16_t groups[] = {0x001D, 0x0017};
static const uint16_t sigs[] = {0x0403, 0x0804, 0x0401};

static void records(struct gs_tlsw *out, uint8_t type, uint16_t version, const struct gs_tlsw *msgs,
                    size_t max_fragment)
{
    gs_tlsw_init(out, recbuf, sizeof(recbuf));
    gs_tlsw_records(out, type, version, msgs->buf, msgs->len, max_fragment);
}

static void client_hello(struct drv *d, const struct gs_tlsw_client_hello *ch)
{
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    gs_tlsw_client_hello(&m, ch);
    records(&r, REC_HS, 0x0301, &m, 16384);
    feed_w(d, GS_DIR_TO_SERVER, &r);
}

static void server_hello(struct drv *d, const struct gs_tlsw_server_hello *sh)
{
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    gs_tlsw_server_hello(&m, sh);
    records(&r, REC_HS, 0x0303, &m, 16384);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
}

static const uint16_t suites12[] = {0xC02F, 0xC030, 0x00FF};

static struct gs_tlsw_client_hello ch12(void)
{
    struct gs_tlsw_client_hello ch = {.version = 0x0303,
                                      .suites = suites12,
                                      .n_suites = 3,
                                      .sni = "rtu.example",
                                      .reneg_info = true,
                                      .groups = groups,
                                      .n_groups = 2,
                                      .sig_algs = sigs,
                                      .n_sig_algs = 3,
                                      .seed = 7};
    return ch;
}

static struct gs_tlsw_server_hello sh12(void)
{
    struct gs_tlsw_server_hello sh = {
        .version = 0x0303, .suite = 0xC02F, .reneg_info = true, .seed = 9};
    return sh;
}

/* ---- certificates made with OpenSSL -------------------------------------------------------- */

static EVP_PKEY *key_of(const char *type, size_t rsa_bits, const char *curve)
{
    static struct {
        char name[32];
        EVP_PKEY *key;
    } cache[8];
    char name[32];
    snprintf(name, sizeof(name), "%s-%zu-%s", type, rsa_bits, curve != NULL ? curve : "");
    for (size_t i = 0; i < 8; i++) {
        if (cache[i].key != NULL && strcmp(cache[i].name, name) == 0)
            return cache[i].key;
    }
    EVP_PKEY *key = NULL;
    if (strcmp(type, "RSA") == 0)
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", rsa_bits);
    else if (strcmp(type, "EC") == 0)
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    else
        key = EVP_PKEY_Q_keygen(NULL, NULL, type);
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

/* A DER certificate for `cn` with the given key, signed by `signer` (itself when NULL) with
 * digest `md` (NULL for EdDSA), valid from nb to na (Unix seconds). Caller frees *der. */
static size_t make_cert(uint8_t **der, const char *cn, EVP_PKEY *key, EVP_PKEY *signer,
                        const char *signer_cn, const EVP_MD *md, int64_t nb, int64_t na)
{
    X509 *x = X509_new();
    ck_assert_ptr_nonnull(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
    X509_NAME *subject = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME *issuer = X509_get_issuer_name(x);
    const char *icn = signer != NULL ? signer_cn : cn;
    X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC, (const unsigned char *)icn, -1, -1, 0);
    X509_set_pubkey(x, key);
    ck_assert_int_gt(X509_sign(x, signer != NULL ? signer : key, md), 0);
    *der = NULL;
    int n = i2d_X509(x, der);
    ck_assert_int_gt(n, 0);
    X509_free(x);
    return (size_t)n;
}

/* Feeds a handshake up to the server's Certificate carrying `chain`. */
static void server_chain(struct drv *d, const struct gs_tlsw_der *chain, size_t n)
{
    struct gs_tlsw_client_hello ch = ch12();
    client_hello(d, &ch);
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    struct gs_tlsw_server_hello sh = sh12();
    gs_tlsw_server_hello(&m, &sh);
    gs_tlsw_certificate(&m, chain, n);
    records(&r, REC_HS, 0x0303, &m, 16384);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
}

/* ---- hellos ---------------------------------------------------------------------------------- */

static void md5_hex(const char *text, char out[33])
{
    uint8_t md[16];
    unsigned n = 0;
    ck_assert_int_eq(EVP_Digest(text, strlen(text), md, &n, EVP_md5(), NULL), 1);
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

START_TEST(test_tls_client_hello_fields)
{
    struct drv *d = drv_new();
    static const uint16_t versions[] = {0x0A0A, 0x0304, 0x0303};
    static const uint16_t suites[] = {0x0A0A, 0x1301, 0xC02F, 0x00FF, 0x5600};
    struct gs_tlsw_client_hello ch = ch12();
    ch.suites = suites;
    ch.n_suites = 5;
    ch.versions = versions;
    ch.n_versions = 3;
    ch.alpn = "iec104";
    client_hello(d, &ch);
    ck_assert_uint_eq(d->n_seen, 1);
    const struct seen *s = &d->seen[0];
    ck_assert_int_eq(s->msg, GS_TLS_CLIENT_HELLO);
    ck_assert_uint_eq(s->ch.version, 0x0303);
    ck_assert_uint_eq(s->ch.max_version, 0x0304); /* GREASE ignored */
    ck_assert_uint_eq(s->ch.n_suites, 5);
    ck_assert(s->ch.reneg_info && s->ch.reneg_scsv && s->ch.fallback_scsv);
    ck_assert_str_eq(s->session.sni, "rtu.example");
    ck_assert_str_eq(s->session.alpn, "iec104");
    ck_assert_str_eq(s->session.inner, "iec104"); /* port 19998 */
    ck_assert(s->session.client_secure_reneg);
    /* JA3: version, suites, extensions (server_name, groups, point formats, signature
     * algorithms, ALPN, supported_versions, key_share, renegotiation_info), groups, formats;
     * GREASE left out. */
    char want[33];
    md5_hex("771,4865-49199-255-22016,0-10-11-13-16-43-51-65281,29-23,0", want);
    ck_assert_str_eq(s->session.ja3, want);
    ck_assert_uint_eq(d->last.status, GS_PARSE_OK);
    drv_free(d);
}
END_TEST

/* The worked example of FoxIO's JA4 specification (technical_details/JA4.md), with GREASE
 * values added that must not change it. */
START_TEST(test_tls_ja4_reference_vector)
{
    struct drv *d = drv_new();
    static const uint16_t suites[] = {0x1A1A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F,
                                      0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014,
                                      0x009C, 0x009D, 0x002F, 0x0035};
    static const uint16_t ext_order[] = {0x2A2A, 0x001B, 0x0000, 0x0033, 0x0010, 0x4469,
                                         0x0017, 0x002D, 0x000D, 0x0005, 0x0023, 0x0012,
                                         0x002B, 0xFF01, 0x000B, 0x000A, 0x0015};
    static const uint16_t sig[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    gs_tlsw_u8(&m, 1);
    size_t msg = gs_tlsw_open(&m, 3);
    gs_tlsw_u16(&m, 0x0303);
    uint32_t seed = 1;
    gs_tlsw_random(&m, 32, &seed);
    gs_tlsw_u8(&m, 0);
    gs_tlsw_u16(&m, sizeof(suites));
    for (size_t i = 0; i < GS_ARRAY_LEN(suites); i++)
        gs_tlsw_u16(&m, suites[i]);
    gs_tlsw_u8(&m, 1);
    gs_tlsw_u8(&m, 0);
    size_t exts = gs_tlsw_open(&m, 2);
    for (size_t i = 0; i < GS_ARRAY_LEN(ext_order); i++) {
        uint16_t t = ext_order[i];
        gs_tlsw_u16(&m, t);
        size_t e = gs_tlsw_open(&m, 2);
        if (t == 0x0000) { /* server_name */
            gs_tlsw_u16(&m, 8);
            gs_tlsw_u8(&m, 0);
            gs_tlsw_u16(&m, 5);
            gs_tlsw_bytes(&m, "a.b.c", 5);
        } else if (t == 0x0010) { /* ALPN h2, http/1.1 */
            gs_tlsw_u16(&m, 12);
            gs_tlsw_u8(&m, 2);
            gs_tlsw_bytes(&m, "h2", 2);
            gs_tlsw_u8(&m, 8);
            gs_tlsw_bytes(&m, "http/1.1", 8);
        } else if (t == 0x000D) {
            gs_tlsw_u16(&m, sizeof(sig));
            for (size_t k = 0; k < GS_ARRAY_LEN(sig); k++)
                gs_tlsw_u16(&m, sig[k]);
        } else if (t == 0x002B) {
            gs_tlsw_u8(&m, 4);
            gs_tlsw_u16(&m, 0x0304);
            gs_tlsw_u16(&m, 0x0303);
        } else if (t == 0x000A) {
            gs_tlsw_u16(&m, 4);
            gs_tlsw_u16(&m, 0x001D);
            gs_tlsw_u16(&m, 0x0017);
        } else if (t == 0x000B) {
            gs_tlsw_u8(&m, 1);
            gs_tlsw_u8(&m, 0);
        } else if (t == 0xFF01) {
            gs_tlsw_u8(&m, 0);
        }
        gs_tlsw_close(&m, e, 2);
    }
    gs_tlsw_close(&m, exts, 2);
    gs_tlsw_close(&m, msg, 3);
    records(&r, REC_HS, 0x0301, &m, 16384);
    feed_w(d, GS_DIR_TO_SERVER, &r);
    ck_assert_uint_eq(d->n_seen, 1);
    ck_assert_str_eq(d->seen[0].session.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    ck_assert_str_eq(d->seen[0].session.alpn, "h2");
    drv_free(d);
}
END_TEST

START_TEST(test_tls_server_hello_tls13_stops_parsing)
{
    struct drv *d = drv_new();
    static const uint16_t v13[] = {0x0304};
    static const uint16_t s13[] = {0x1301, 0x1302};
    struct gs_tlsw_client_hello ch = ch12();
    ch.suites = s13;
    ch.n_suites = 2;
    ch.versions = v13;
    ch.n_versions = 1;
    client_hello(d, &ch);
    struct gs_tlsw_server_hello sh = {
        .version = 0x0303, .suite = 0x1301, .selected_version = 0x0304, .key_share_group = 0x1D};
    server_hello(d, &sh);
    const struct seen *s = find(d, GS_TLS_SERVER_HELLO, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->sh.version, 0x0304);
    ck_assert_uint_eq(s->sh.legacy_version, 0x0303);
    ck_assert(s->session.tls13 && s->session.established);
    ck_assert_uint_eq(s->session.suite, 0x1301);
    /* After the ServerHello, a handshake-typed record is not read as a Certificate. */
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    struct gs_tlsw_der junk = {(const uint8_t *)"not a certificate", 17};
    gs_tlsw_certificate(&m, &junk, 1);
    records(&r, REC_HS, 0x0303, &m, 16384);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
    uint32_t seed = 3;
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_CCS, 0x0303, 1, &seed);
    gs_tlsw_opaque_record(&r, REC_APPDATA, 0x0303, 900, &seed);
    feed_w(d, GS_DIR_TO_SERVER, &r);
    ck_assert_uint_eq(count(d, GS_TLS_CERTIFICATE), 0);
    ck_assert_uint_eq(count(d, GS_TLS_CHANGE_CIPHER_SPEC), 0); /* 1.3 compat CCS: a no-op */
    ck_assert_uint_eq(d->ev.n_anomalies, 0);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_hello_retry_request)
{
    struct drv *d = drv_new();
    static const uint16_t v13[] = {0x0304};
    static const uint16_t s13[] = {0x1302};
    struct gs_tlsw_client_hello ch = ch12();
    ch.suites = s13;
    ch.n_suites = 1;
    ch.versions = v13;
    ch.n_versions = 1;
    client_hello(d, &ch);
    struct gs_tlsw_server_hello hrr = {.version = 0x0303,
                                       .suite = 0x1302,
                                       .selected_version = 0x0304,
                                       .hrr = true,
                                       .key_share_group = 0x17};
    server_hello(d, &hrr);
    /* The client's compatibility CCS and second ClientHello are still in clear. */
    uint8_t ccs[] = {REC_CCS, 0x03, 0x03, 0x00, 0x01, 0x01};
    feed(d, GS_DIR_TO_SERVER, ccs, sizeof(ccs));
    client_hello(d, &ch);
    struct gs_tlsw_server_hello sh = {
        .version = 0x0303, .suite = 0x1302, .selected_version = 0x0304, .key_share_group = 0x17};
    server_hello(d, &sh);
    ck_assert_uint_eq(count(d, GS_TLS_CLIENT_HELLO), 2);
    ck_assert_uint_eq(count(d, GS_TLS_SERVER_HELLO), 2);
    ck_assert(find(d, GS_TLS_SERVER_HELLO, 0)->sh.hrr);
    const struct seen *second = find(d, GS_TLS_CLIENT_HELLO, 1);
    ck_assert(second->session.hrr); /* the handshake it belongs to had a HelloRetryRequest */
    ck_assert_uint_eq(second->session.handshakes, 2);
    const struct seen *real = find(d, GS_TLS_SERVER_HELLO, 1);
    ck_assert(!real->sh.hrr && real->session.tls13);
    drv_free(d);
}
END_TEST

/* ---- framing and reassembly ---------------------------------------------------------------- */

START_TEST(test_tls_record_across_segments)
{
    struct drv *d = drv_new();
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    struct gs_tlsw_client_hello ch = ch12();
    gs_tlsw_client_hello(&m, &ch);
    records(&r, REC_HS, 0x0301, &m, 16384);
    /* One byte at a time: the header first asks for the rest of itself, then for the
     * record body; the event comes with the last byte. */
    feed(d, GS_DIR_TO_SERVER, r.buf, 1);
    ck_assert_uint_eq(d->last.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(d->last.needed, 4);
    feed(d, GS_DIR_TO_SERVER, r.buf + 1, 4);
    ck_assert_uint_eq(d->last.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(d->last.needed, r.len - 5);
    for (size_t i = 5; i < r.len; i++) {
        ck_assert_uint_eq(d->n_seen, 0);
        feed(d, GS_DIR_TO_SERVER, r.buf + i, 1);
    }
    ck_assert_uint_eq(d->n_seen, 1);
    ck_assert_uint_eq(d->seen[0].pcap_cnt, r.len - 2); /* 1 + one per feed */
    ck_assert_uint_eq(d->last.status, GS_PARSE_OK);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_handshake_across_records)
{
    struct drv *d = drv_new();
    uint8_t *der = NULL;
    size_t len = make_cert(&der, "rtu.example", key_of("RSA", 2048, NULL), NULL, NULL, EVP_sha256(),
                           NOW_S - DAY, NOW_S + DAY);
    struct gs_tlsw_der chain[3] = {{der, len}, {der, len}, {der, len}};
    struct gs_tlsw_client_hello ch = ch12();
    client_hello(d, &ch);
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    struct gs_tlsw_server_hello sh = sh12();
    gs_tlsw_server_hello(&m, &sh);
    gs_tlsw_certificate(&m, chain, 3);
    gs_tlsw_opaque(&m, 14, 0, &(uint32_t){1});
    /* 3-byte records: even the 4-byte message headers are split between records. */
    records(&r, REC_HS, 0x0303, &m, 3);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
    const struct seen *c = find(d, GS_TLS_CERTIFICATE, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->n_total, 3);
    ck_assert_uint_eq(c->n_certs, 3);
    ck_assert(c->certs[2].parsed);
    ck_assert_uint_eq(count(d, GS_TLS_SERVER_HELLO_DONE), 1);
    ck_assert_uint_eq(d->ev.n_anomalies, 0);
    free(der);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_handshake_cap)
{
    struct drv *d = drv_new_cfg(4096, 0);
    uint8_t big[6000];
    memset(big, 0x30, sizeof(big));
    struct gs_tlsw_der chain[1] = {{big, sizeof(big)}};
    struct gs_tlsw_client_hello ch = ch12();
    client_hello(d, &ch);
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    struct gs_tlsw_server_hello sh = sh12();
    gs_tlsw_server_hello(&m, &sh);
    gs_tlsw_certificate(&m, chain, 1);
    gs_tlsw_opaque(&m, 14, 0, &(uint32_t){1});
    records(&r, REC_HS, 0x0303, &m, 1000);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
    /* The oversized Certificate is dropped and counted; the message after it still parses. */
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.handshake_too_large"), 1);
    ck_assert_uint_eq(count(d, GS_TLS_CERTIFICATE), 0);
    ck_assert_uint_eq(count(d, GS_TLS_SERVER_HELLO_DONE), 1);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_interleaved_handshakes)
{
    /* One gathering buffer serves both directions: a message the other side starts while it
     * is busy is dropped and reported; the first one completes. */
    struct drv *d = drv_new();
    struct gs_tlsw_client_hello ch = ch12();
    client_hello(d, &ch);
    uint8_t blob[600];
    memset(blob, 0x30, sizeof(blob));
    struct gs_tlsw_der chain[1] = {{blob, sizeof(blob)}};
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    struct gs_tlsw_server_hello sh = sh12();
    gs_tlsw_server_hello(&m, &sh);
    gs_tlsw_certificate(&m, chain, 1);
    records(&r, REC_HS, 0x0303, &m, 400);
    size_t server_len = r.len;
    static uint8_t server[4096];
    memcpy(server, r.buf, server_len);
    feed(d, GS_DIR_TO_CLIENT, server, 410); /* ServerHello and part of the Certificate */
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    gs_tlsw_certificate(&m, chain, 1);
    records(&r, REC_HS, 0x0303, &m, 300);
    feed_w(d, GS_DIR_TO_SERVER, &r);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.interleaved_handshake"), 1);
    feed(d, GS_DIR_TO_CLIENT, server + 410, server_len - 410);
    ck_assert_uint_eq(count(d, GS_TLS_CERTIFICATE), 1);
    ck_assert_int_eq(find(d, GS_TLS_CERTIFICATE, 0)->dir, GS_DIR_TO_CLIENT);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.bad_certificate"), 1);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_certificate_cap)
{
    struct drv *d = drv_new_cfg(0, 2);
    uint8_t *der = NULL;
    size_t len = make_cert(&der, "a", key_of("EC", 0, "P-256"), NULL, NULL, EVP_sha256(),
                           NOW_S - DAY, NOW_S + DAY);
    struct gs_tlsw_der chain[3] = {{der, len}, {der, len}, {der, len}};
    server_chain(d, chain, 3);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.too_many_certificates"), 1);
    const struct seen *c = find(d, GS_TLS_CERTIFICATE, 0);
    ck_assert_uint_eq(c->n_certs, 2);
    ck_assert_uint_eq(c->n_total, 3);
    free(der);
    drv_free(d);
}
END_TEST

/* ---- certificates ---------------------------------------------------------------------------- */

START_TEST(test_tls_certificate_facts)
{
    struct drv *d = drv_new();
    EVP_PKEY *ca = key_of("RSA", 2048, NULL);
    uint8_t *der[4];
    size_t len[4];
    /* RSA 1024 signed with SHA-1, expired yesterday. */
    len[0] = make_cert(&der[0], "weak", key_of("RSA", 1024, NULL), ca, "Test CA", EVP_sha1(),
                       NOW_S - 400 * DAY, NOW_S - DAY);
    /* EC P-256 signed with SHA-384, valid from tomorrow. */
    len[1] = make_cert(&der[1], "ec", key_of("EC", 0, "P-256"), ca, "Test CA", EVP_sha384(),
                       NOW_S + DAY, NOW_S + 400 * DAY);
    /* Ed25519, self-signed. */
    len[2] = make_cert(&der[2], "ed", key_of("ED25519", 0, NULL), NULL, NULL, NULL, NOW_S - DAY,
                       NOW_S + DAY);
    /* The self-signed RSA 2048 CA, SHA-256. */
    len[3] = make_cert(&der[3], "Test CA", ca, NULL, NULL, EVP_sha256(), NOW_S - DAY, NOW_S + DAY);
    struct gs_tlsw_der chain[4];
    for (size_t i = 0; i < 4; i++)
        chain[i] = (struct gs_tlsw_der){der[i], len[i]};
    server_chain(d, chain, 4);
    const struct seen *c = find(d, GS_TLS_CERTIFICATE, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->n_certs, 4);
    const struct gs_tls_cert *w = &c->certs[0];
    ck_assert(w->parsed && w->has_validity);
    ck_assert_int_eq(w->key_type, GS_TLS_KEY_RSA);
    ck_assert_uint_eq(w->key_bits, 1024);
    ck_assert_int_eq(w->sig_hash, GS_TLS_HASH_SHA1);
    ck_assert_str_eq(w->sig_alg, "sha1WithRSAEncryption");
    ck_assert_str_eq(w->subject, "CN=weak");
    ck_assert_str_eq(w->issuer, "CN=Test CA");
    ck_assert_str_eq(w->serial, "1234");
    ck_assert_int_eq(w->not_after, NOW_S - DAY);
    ck_assert(!w->self_signed);
    ck_assert_int_eq(c->certs[1].key_type, GS_TLS_KEY_EC);
    ck_assert_uint_eq(c->certs[1].key_bits, 256);
    ck_assert_str_eq(c->certs[1].curve, "prime256v1");
    ck_assert_int_eq(c->certs[1].sig_hash, GS_TLS_HASH_SHA384);
    ck_assert_int_eq(c->certs[1].not_before, NOW_S + DAY);
    ck_assert_int_eq(c->certs[2].key_type, GS_TLS_KEY_ED25519);
    ck_assert_int_eq(c->certs[2].sig_hash, GS_TLS_HASH_INTRINSIC);
    ck_assert(c->certs[2].self_signed);
    ck_assert_int_eq(c->certs[3].sig_hash, GS_TLS_HASH_SHA256);
    ck_assert_uint_eq(c->certs[3].key_bits, 2048);
    ck_assert(c->certs[3].self_signed);
    ck_assert(c->session.server_certificate);
    ck_assert_int_eq(c->dir, GS_DIR_TO_CLIENT);
    for (size_t i = 0; i < 4; i++)
        OPENSSL_free(der[i]);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_certificate_once_per_handshake_and_cached)
{
    uint8_t *der = NULL;
    size_t len = make_cert(&der, "cached.example", key_of("RSA", 2048, NULL), NULL, NULL,
                           EVP_sha256(), NOW_S - DAY, NOW_S + DAY);
    struct gs_tlsw_der chain[1] = {{der, len}};
    struct drv *d = drv_new();
    server_chain(d, chain, 1);
    /* A second Certificate from the same side in the same handshake is not decoded. */
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    gs_tlsw_certificate(&m, chain, 1);
    records(&r, REC_HS, 0x0303, &m, 16384);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
    ck_assert_uint_eq(count(d, GS_TLS_CERTIFICATE), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.unexpected_message"), 1);
    struct gs_tls_cert first = find(d, GS_TLS_CERTIFICATE, 0)->certs[0];
    drv_free(d);
    /* The same certificate on another connection: the same facts (from the cache). */
    d = drv_new();
    server_chain(d, chain, 1);
    const struct gs_tls_cert *again = &find(d, GS_TLS_CERTIFICATE, 0)->certs[0];
    ck_assert(memcmp(&first, again, sizeof(first)) == 0);
    ck_assert_str_eq(again->subject, "CN=cached.example");
    uint8_t want[32];
    unsigned n = 0;
    ck_assert_int_eq(EVP_Digest(der, len, want, &n, EVP_sha256(), NULL), 1);
    ck_assert(memcmp(again->sha256, want, 32) == 0);
    drv_free(d);
    OPENSSL_free(der);
}
END_TEST

START_TEST(test_tls_bad_certificate)
{
    struct drv *d = drv_new();
    uint8_t junk[64];
    memset(junk, 0xA5, sizeof(junk));
    struct gs_tlsw_der chain[1] = {{junk, sizeof(junk)}};
    server_chain(d, chain, 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.bad_certificate"), 1);
    const struct seen *c = find(d, GS_TLS_CERTIFICATE, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert(!c->certs[0].parsed);
    ck_assert_uint_eq(c->certs[0].der_len, 64);
    drv_free(d);
}
END_TEST

/* ---- the rest of a TLS 1.2 connection ------------------------------------------------------ */

/* Client flight after the server's: [Certificate], CKE, CCS, Finished. */
static void client_finish(struct drv *d, const struct gs_tlsw_der *certs, int n_certs)
{
    struct gs_tlsw m, r;
    uint32_t seed = 5;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    if (n_certs >= 0)
        gs_tlsw_certificate(&m, certs, (size_t)n_certs);
    gs_tlsw_client_kx(&m, true, &seed);
    records(&r, REC_HS, 0x0303, &m, 16384);
    uint8_t one = 1;
    gs_tlsw_records(&r, REC_CCS, 0x0303, &one, 1, 16);
    gs_tlsw_opaque_record(&r, REC_HS, 0x0303, 40, &seed);
    feed_w(d, GS_DIR_TO_SERVER, &r);
}

static void server_finish(struct drv *d)
{
    struct gs_tlsw r;
    uint32_t seed = 6;
    uint8_t one = 1;
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_records(&r, REC_CCS, 0x0303, &one, 1, 16);
    gs_tlsw_opaque_record(&r, REC_HS, 0x0303, 40, &seed);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
}

static void app_data(struct drv *d, enum gs_dir dir, size_t len)
{
    struct gs_tlsw r;
    uint32_t seed = 8;
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_APPDATA, 0x0303, len, &seed);
    feed_w(d, dir, &r);
}

START_TEST(test_tls_full_handshake_and_renegotiation)
{
    struct drv *d = drv_new();
    struct gs_tlsw_client_hello ch = ch12();
    client_hello(d, &ch);
    struct gs_tlsw m, r;
    gs_tlsw_init(&m, msgbuf, sizeof(msgbuf));
    struct gs_tlsw_server_hello sh = sh12();
    gs_tlsw_server_hello(&m, &sh);
    uint32_t seed = 2;
    gs_tlsw_ske_ecdhe(&m, 0x001D, 256, &seed);
    gs_tlsw_cert_request(&m);
    gs_tlsw_opaque(&m, 14, 0, &seed);
    records(&r, REC_HS, 0x0303, &m, 16384);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
    client_finish(d, NULL, 0);
    server_finish(d);
    ck_assert_uint_eq(count(d, GS_TLS_CHANGE_CIPHER_SPEC), 2);
    const struct seen *ske = find(d, GS_TLS_SERVER_KEY_EXCHANGE, 0);
    ck_assert_uint_eq(ske->session.kx_group, 0x001D);
    const struct seen *cert = find(d, GS_TLS_CERTIFICATE, 0);
    ck_assert_int_eq(cert->dir, GS_DIR_TO_SERVER);
    ck_assert_uint_eq(cert->n_total, 0);
    ck_assert(cert->session.cert_requested && cert->session.client_certificate);
    ck_assert(find(d, GS_TLS_CHANGE_CIPHER_SPEC, 1)->session.established);
    /* Data, then the client renegotiates: one event per new handshake, not per record. */
    app_data(d, GS_DIR_TO_SERVER, 100);
    /* A large record in two pieces: skipped as it comes, never held for reassembly. */
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_APPDATA, 0x0303, 16000, &seed);
    feed(d, GS_DIR_TO_CLIENT, r.buf, 6000);
    ck_assert_uint_eq(d->pend_len[GS_DIR_TO_CLIENT], 0);
    feed(d, GS_DIR_TO_CLIENT, r.buf + 6000, r.len - 6000);
    ck_assert_uint_eq(d->pend_len[GS_DIR_TO_CLIENT], 0);
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_HS, 0x0303, 200, &seed);
    feed_w(d, GS_DIR_TO_SERVER, &r);
    feed_w(d, GS_DIR_TO_SERVER, &r);
    ck_assert_uint_eq(count(d, GS_TLS_RENEGOTIATION), 1);
    ck_assert_uint_eq(find(d, GS_TLS_RENEGOTIATION, 0)->record_len, 200);
    client_finish(d, NULL, -1); /* the renegotiation's own flight: encrypted */
    app_data(d, GS_DIR_TO_SERVER, 10);
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_HS, 0x0303, 200, &seed);
    feed_w(d, GS_DIR_TO_SERVER, &r);
    ck_assert_uint_eq(count(d, GS_TLS_RENEGOTIATION), 2);
    ck_assert_uint_eq(find(d, GS_TLS_RENEGOTIATION, 1)->session.renegotiations, 2);
    /* Encrypted close_notify. */
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_ALERT, 0x0303, 26, &seed);
    feed_w(d, GS_DIR_TO_CLIENT, &r);
    ck_assert(find(d, GS_TLS_ALERT, 0)->alert.encrypted);
    ck_assert_uint_eq(d->ev.n_anomalies, 0);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_resumption)
{
    static const uint8_t sid[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* Session id echoed by the server. */
    struct drv *d = drv_new();
    struct gs_tlsw_client_hello ch = ch12();
    ch.session_id = sid;
    ch.session_id_len = 32;
    client_hello(d, &ch);
    struct gs_tlsw_server_hello sh = sh12();
    sh.session_id = sid;
    sh.session_id_len = 32;
    server_hello(d, &sh);
    ck_assert(find(d, GS_TLS_SERVER_HELLO, 0)->sh.resumed);
    drv_free(d);
    /* A ticket with an empty session id: the server goes straight to CCS. */
    d = drv_new();
    ch = ch12();
    ch.session_ticket = true;
    client_hello(d, &ch);
    sh = sh12();
    server_hello(d, &sh);
    ck_assert(!find(d, GS_TLS_SERVER_HELLO, 0)->session.resumed);
    server_finish(d);
    ck_assert(find(d, GS_TLS_CHANGE_CIPHER_SPEC, 0)->session.resumed);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_alerts)
{
    struct drv *d = drv_new();
    uint8_t rec[] = {REC_ALERT, 0x03, 0x03, 0x00, 0x04, 0x02, 0x28, 0x01, 0x00};
    feed(d, GS_DIR_TO_CLIENT, rec, sizeof(rec));
    ck_assert_uint_eq(count(d, GS_TLS_ALERT), 2);
    ck_assert_uint_eq(d->seen[0].alert.level, 2);
    ck_assert_uint_eq(d->seen[0].alert.description, 40); /* handshake_failure */
    ck_assert_uint_eq(d->seen[1].alert.description, 0);
    uint8_t odd[] = {REC_ALERT, 0x03, 0x03, 0x00, 0x01, 0x02};
    feed(d, GS_DIR_TO_CLIENT, odd, sizeof(odd));
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.bad_record"), 1);
    uint8_t empty[] = {REC_HS, 0x03, 0x03, 0x00, 0x00};
    feed(d, GS_DIR_TO_CLIENT, empty, sizeof(empty));
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.empty_fragment"), 1);
    drv_free(d);
}
END_TEST

/* ---- SSL 2.0, plaintext, resynchronisation ------------------------------------------------- */

START_TEST(test_tls_sslv2_hello)
{
    struct drv *d = drv_new();
    /* CLIENT-HELLO: version 2, 2 cipher kinds (RC4-MD5, EXPORT RC4), no session id, a
     * 16-byte challenge. */
    uint8_t ch[64];
    size_t n = gs_test_hex(ch, sizeof(ch),
                           "80 1f 01 00 02 00 06 00 00 00 10 01 00 80 02 00 80"
                           "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
    feed(d, GS_DIR_TO_SERVER, ch, n);
    ck_assert_uint_eq(d->n_seen, 1);
    ck_assert(d->seen[0].ch.sslv2_form);
    ck_assert_uint_eq(d->seen[0].ch.version, 0x0002);
    ck_assert_uint_eq(d->seen[0].ch.n_suites, 2);
    ck_assert_uint_eq(d->seen[0].ch.suite_len, 3);
    /* SERVER-HELLO: no session hit, X.509 certificate of 0 bytes... with one cipher kind. */
    uint8_t sh[64];
    n = gs_test_hex(sh, sizeof(sh),
                    "80 1e 04 00 01 00 02 00 00 00 03 00 10 01 00 80"
                    "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
    feed(d, GS_DIR_TO_CLIENT, sh, n);
    const struct seen *s = find(d, GS_TLS_SERVER_HELLO, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert(s->session.sslv2);
    ck_assert_uint_eq(s->session.version, 0x0002);
    ck_assert_uint_eq(s->session.suite, 0); /* chosen by the client, next */
    /* CLIENT-MASTER-KEY picks the cipher; everything after is opaque SSL 2.0 records. */
    uint8_t cmk[32];
    n = gs_test_hex(cmk, sizeof(cmk), "80 0a 02 02 00 80 00 00 00 00 00 00 80 02 aa bb");
    feed(d, GS_DIR_TO_SERVER, cmk, n);
    ck_assert_uint_eq(find(d, GS_TLS_CLIENT_KEY_EXCHANGE, 0)->session.suite, 0x020080);
    ck_assert_uint_eq(d->ev.n_anomalies, 0);
    ck_assert_uint_eq(d->pend_len[GS_DIR_TO_SERVER], 0);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_plaintext_on_tls_port)
{
    struct drv *d = drv_new();
    uint8_t apdu[] = {0x68, 0x04, 0x07, 0x00, 0x00, 0x00};
    feed(d, GS_DIR_TO_SERVER, apdu, sizeof(apdu));
    ck_assert(d->failed);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.not_tls"), 1);
    ck_assert_uint_eq(d->n_seen, 1);
    ck_assert_int_eq(d->seen[0].msg, GS_TLS_PLAINTEXT);
    ck_assert_str_eq(d->seen[0].plaintext, "iec104");
    drv_free(d);
    d = drv_new();
    uint8_t tpkt[] = {0x03, 0x00, 0x00, 0x16, 0x11, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00,
                      0xC1, 0x02, 0x00, 0x01, 0xC2, 0x02, 0x00, 0x01, 0xC0, 0x01, 0x0A};
    feed(d, GS_DIR_TO_SERVER, tpkt, sizeof(tpkt));
    ck_assert(d->failed);
    ck_assert_str_eq(d->seen[0].plaintext, "mms");
    drv_free(d);
}
END_TEST

START_TEST(test_tls_gap_then_resync)
{
    struct drv *d = drv_new();
    struct gs_tlsw_client_hello ch = ch12();
    client_hello(d, &ch);
    struct gs_tlsw_server_hello sh = sh12();
    server_hello(d, &sh);
    server_finish(d);
    client_finish(d, NULL, -1);
    /* Lose bytes mid-record, then receive the tail of a record and two whole ones. */
    gap(d, GS_DIR_TO_SERVER);
    struct gs_tlsw r;
    uint32_t seed = 11;
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_APPDATA, 0x0303, 300, &seed);
    gs_tlsw_opaque_record(&r, REC_APPDATA, 0x0303, 50, &seed);
    gs_tlsw_opaque_record(&r, REC_ALERT, 0x0303, 26, &seed);
    feed(d, GS_DIR_TO_SERVER, r.buf + 123, r.len - 123);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.resync"), 1);
    ck_assert_uint_eq(count(d, GS_TLS_ALERT), 1);
    ck_assert(!d->failed);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_midstream_start)
{
    /* A capture that starts inside an application-data record of a long-lived session. */
    struct drv *d = drv_new();
    struct gs_tlsw r;
    uint32_t seed = 12;
    gs_tlsw_init(&r, recbuf, sizeof(recbuf));
    gs_tlsw_opaque_record(&r, REC_APPDATA, 0x0303, 1000, &seed);
    gs_tlsw_opaque_record(&r, REC_APPDATA, 0x0303, 60, &seed);
    gs_tlsw_opaque_record(&r, REC_HS, 0x0303, 64, &seed);
    feed(d, GS_DIR_TO_SERVER, r.buf + 700, 200);
    ck_assert(!d->failed);
    feed(d, GS_DIR_TO_SERVER, r.buf + 900, r.len - 900);
    ck_assert(!d->failed);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.not_tls"), 0);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.resync"), 1);
    /* The handshake was missed: the handshake record is taken as encrypted, not misread. */
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.bad_handshake"), 0);
    ck_assert_uint_eq(d->n_seen, 0);
    ck_assert_uint_eq(d->pend_len[GS_DIR_TO_SERVER], 0);
    drv_free(d);
}
END_TEST

START_TEST(test_tls_garbage_gives_up)
{
    /* No record header anywhere: after a bounded amount the flow is declared not TLS. */
    struct drv *d = drv_new();
    static uint8_t zeros[8192];
    for (int i = 0; i < 8 && !d->failed; i++)
        feed(d, GS_DIR_TO_SERVER, zeros, sizeof(zeros));
    ck_assert(d->failed);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.not_tls"), 1);
    drv_free(d);
}
END_TEST

/* ---- probe ---------------------------------------------------------------------------------- */

struct probe_case {
    const char *hex;
    unsigned want;
};

static const struct probe_case probe_cases[] = {
    /* ClientHello record header and handshake header */
    {"16 03 01 00 40 01 00 00 3c 03 03", GS_PROBE_SURE},
    /* ServerHello */
    {"16 03 03 00 30 02 00 00 2c 03 03", GS_PROBE_SURE},
    /* handshake record of another type: not a start */
    {"16 03 03 00 30 0b 00 00 2c 03 03", GS_PROBE_NO},
    /* SSL 2.0 CLIENT-HELLO offering 3.1 */
    {"80 2e 01 03 01 00 15 00 00 00 10", GS_PROBE_MATCH},
    /* two framed application-data records */
    {"17 03 03 00 02 aa bb 17 03 03 00 01 cc", GS_PROBE_MATCH},
    /* application data that does not frame */
    {"17 03 03 00 02 aa bb cc dd ee ff 00", GS_PROBE_NO},
    /* IEC 104 STARTDT act, DNP3, TPKT */
    {"68 04 07 00 00 00", GS_PROBE_NO},
    {"05 64 05 c0 01 00 00 04 e9 21", GS_PROBE_NO},
    {"03 00 00 16 11 e0 00 00", GS_PROBE_NO},
    /* bad version, oversized length */
    {"16 05 01 00 40 01 00 00 3c 03 03", GS_PROBE_NO},
    {"16 03 01 ff ff 01 00 00 3c 03 03", GS_PROBE_NO},
};

START_TEST(test_tls_probe)
{
    const struct probe_case *pc = &probe_cases[_i];
    uint8_t buf[64];
    size_t n = gs_test_hex(buf, sizeof(buf), pc->hex);
    struct gs_guard_buf g;
    const uint8_t *p = gs_guard_alloc(&g, buf, n);
    struct gs_cursor cur = gs_cur_init(p, n);
    ck_assert_uint_eq(gs_tls_dissector.probe(&cur, GS_DIR_TO_SERVER), pc->want);
    gs_guard_free(&g);
}
END_TEST

/* ---- malformed hellos ----------------------------------------------------------------------- */

static const char *const malformed_hellos[] = {
    /* ClientHello cut inside the random */
    "16 03 01 00 0a 01 00 00 06 03 03 00 01 02 03",
    /* suites length odd */
    "16 03 01 00 2e 01 00 00 2a 03 03 000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f 00 00 03 c0 2f 00 01 00",
    /* extension block length past the message */
    "16 03 01 00 2f 01 00 00 2b 03 03 000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f 00 00 02 c0 2f 01 00 00 10",
    /* server_name list longer than its extension */
    "16 03 01 00 37 01 00 00 33 03 03 000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f 00 00 02 c0 2f 01 00 00 08 00 00 00 04 00 09 00 00",
    /* ServerHello from the client side */
    "16 03 03 00 2a 02 00 00 26 03 03 000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f 00 c0 2f 00",
    /* ServerHelloDone with a body */
    "16 03 03 00 05 0e 00 00 01 00",
};

START_TEST(test_tls_malformed_hellos)
{
    /* After a sound ClientHello (so the connection is known to start in clear). */
    struct drv *d = drv_new();
    struct gs_tlsw_client_hello ch = ch12();
    client_hello(d, &ch);
    ck_assert_uint_eq(count(d, GS_TLS_CLIENT_HELLO), 1);
    uint8_t buf[256];
    size_t n = gs_test_hex(buf, sizeof(buf), malformed_hellos[_i]);
    feed(d, GS_DIR_TO_SERVER, buf, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&d->ev, "tls.bad_handshake"), 1);
    ck_assert_uint_eq(count(d, GS_TLS_CLIENT_HELLO), 1);
    ck_assert(!d->failed);
    drv_free(d);
}
END_TEST

/* The names records and alerts show for every key type and signature hash. */
START_TEST(test_tls_key_and_hash_names)
{
    static const char *const keys[] = {"unknown", "RSA", "RSA-PSS", "DSA",
                                       "DH",      "EC",  "Ed25519", "Ed448"};
    for (size_t i = 0; i < GS_ARRAY_LEN(keys); i++)
        ck_assert_str_eq(gs_tls_key_type_name((enum gs_tls_key_type)i), keys[i]);
    ck_assert_str_eq(gs_tls_key_type_name((enum gs_tls_key_type)99), "unknown");
    static const char *const hashes[] = {"unknown", "intrinsic", "MD2",    "MD4",    "MD5",  "SHA1",
                                         "SHA224",  "SHA256",    "SHA384", "SHA512", "other"};
    for (size_t i = 0; i < GS_ARRAY_LEN(hashes); i++)
        ck_assert_str_eq(gs_tls_hash_name((enum gs_tls_hash)i), hashes[i]);
    ck_assert_str_eq(gs_tls_hash_name((enum gs_tls_hash)99), "unknown");
}
END_TEST

static Suite *suite_tls(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("dissector");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tls_client_hello_fields);
    tcase_add_test(tc, test_tls_key_and_hash_names);
    tcase_add_test(tc, test_tls_ja4_reference_vector);
    tcase_add_test(tc, test_tls_server_hello_tls13_stops_parsing);
    tcase_add_test(tc, test_tls_hello_retry_request);
    tcase_add_test(tc, test_tls_record_across_segments);
    tcase_add_test(tc, test_tls_handshake_across_records);
    tcase_add_test(tc, test_tls_handshake_cap);
    tcase_add_test(tc, test_tls_interleaved_handshakes);
    tcase_add_test(tc, test_tls_certificate_cap);
    tcase_add_test(tc, test_tls_certificate_facts);
    tcase_add_test(tc, test_tls_certificate_once_per_handshake_and_cached);
    tcase_add_test(tc, test_tls_bad_certificate);
    tcase_add_test(tc, test_tls_full_handshake_and_renegotiation);
    tcase_add_test(tc, test_tls_resumption);
    tcase_add_test(tc, test_tls_alerts);
    tcase_add_test(tc, test_tls_sslv2_hello);
    tcase_add_test(tc, test_tls_plaintext_on_tls_port);
    tcase_add_test(tc, test_tls_gap_then_resync);
    tcase_add_test(tc, test_tls_midstream_start);
    tcase_add_test(tc, test_tls_garbage_gives_up);
    tcase_add_loop_test(tc, test_tls_probe, 0, (int)GS_ARRAY_LEN(probe_cases));
    tcase_add_loop_test(tc, test_tls_malformed_hellos, 0, (int)GS_ARRAY_LEN(malformed_hellos));
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_tls)
