/*
 * test_rsession.c - the R-GOOSE/R-SV session dissector: v1 and v2 headers, GOOSE, SV, tunnel
 * and management elements, padding, the 85 LL MAC and legacy 85 MAC signatures, encrypted
 * payloads, every session anomaly, and - through the whole engine - that the coverage
 * candidates the events carry are what the MACs cover: every one of the 691 signed SPDUs of
 * ../shared/pcaps/robidev__iec61850-dissector/test/iec90-5-samples.pcap verifies with the
 * SISCO sample key, and every signed SPDU of pcaps/rgoose.pcap with its test key.
 */
#include <check.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "goose.h"
#include "guard_buf.h"
#include "iec61850w.h"
#include "macw.h"
#include "output_json.h"
#include "pcapw.h"
#include "rsession.h"
#include "sv.h"
#include "test_support.h"

#define MAX_SEEN 8

static struct {
    int n_goose, n_sv;
    struct gs_rsession s[MAX_SEEN];
    struct gs_sec_info sec[MAX_SEEN];
    enum gs_goose_pdu pdu[MAX_SEEN];
    uint16_t ether_type[MAX_SEEN];
    char gocb_ref[MAX_SEEN][64];
    uint32_t st_num[MAX_SEEN], smp_cnt[MAX_SEEN];
    bool mac_ok[MAX_SEEN];
    uint8_t tag0[MAX_SEEN]; /* the tag's first octet (spans die with the emit call) */
    int n;
} rec;

static struct gs_test_events events;
static const uint8_t *verify_key;
static size_t verify_key_len;

/* Whether the first coverage candidate's HMAC (or GMAC with the header's IV) is the tag. */
static bool first_candidate_verifies(const struct gs_sec_info *sec)
{
    if (verify_key == NULL || sec->n_coverage == 0 || sec->tag.len == 0)
        return false;
    const struct gs_sec_coverage *c = &sec->coverage[0];
    uint8_t mac[32];
    if (sec->iv.len == 12 && verify_key_len == 16)
        gs_macw_gmac128(verify_key, sec->iv.ptr, c->span.ptr, c->span.len, mac);
    else
        gs_macw_hmac_sha256(verify_key, verify_key_len, c->span.ptr, c->span.len, mac);
    return sec->tag.len <= 32 && memcmp(mac, sec->tag.ptr, sec->tag.len) == 0;
}

static void hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)arg;
    (void)ctx;
    if ((ev->type != GS_EVENT_GOOSE && ev->type != GS_EVENT_SV) || rec.n >= MAX_SEEN)
        return;
    int i = rec.n++;
    const struct gs_rsession *s;
    const struct gs_sec_info *sec;
    if (ev->type == GS_EVENT_GOOSE) {
        const struct gs_goose_event *g = ev->body;
        rec.n_goose++;
        s = g->session;
        sec = g->security;
        rec.pdu[i] = g->pdu;
        rec.ether_type[i] = g->ether_type;
        rec.st_num[i] = g->st_num;
        size_t n = g->gocb_ref.len < 63 ? g->gocb_ref.len : 63;
        if (n > 0)
            memcpy(rec.gocb_ref[i], g->gocb_ref.ptr, n);
        rec.gocb_ref[i][n] = '\0';
    } else {
        const struct gs_sv_event *v = ev->body;
        rec.n_sv++;
        s = v->session;
        sec = v->security;
        rec.smp_cnt[i] = v->n_asdus > 0 ? v->asdus[0].smp_cnt : 0;
    }
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(sec);
    rec.s[i] = *s;
    rec.sec[i] = *sec;
    rec.mac_ok[i] = first_candidate_verifies(sec);
    rec.tag0[i] = sec->tag.len > 0 ? sec->tag.ptr[0] : 0;
}

static void run(const uint8_t *bytes, size_t len, size_t cap)
{
    memset(&rec, 0, sizeof(rec));
    memset(&events, 0, sizeof(events));
    events.hook = hook;
    struct gs_test_ctx t;
    gs_test_ctx_init(&t, &events, 102);
    t.flow.ip_proto = 17;
    void *state = calloc(1, gs_rsession_dissector.state_size(&t.cfg));
    ck_assert_ptr_nonnull(state);
    gs_rsession_dissector.state_init(state, &t.cfg);
    struct gs_guard_buf g;
    const uint8_t *data = gs_guard_alloc(&g, bytes, cap);
    struct gs_cursor cur = gs_cur_init_wire(data, cap, len);
    struct gs_parse_res res = gs_rsession_dissector.parse(state, &t.ctx, &cur, GS_DIR_TO_SERVER);
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, len);
    gs_guard_free(&g);
    free(state);
}

static size_t goose_apdu(uint8_t *out, uint32_t st)
{
    uint8_t data[4] = {0x83, 0x01, 0x01};
    struct gs_goose_spec s = {.gocb_ref = "R/LLN0$GO$gcb",
                              .ttl_ms = 1000,
                              .dat_set = "R/LLN0$ds",
                              .st_num = st,
                              .conf_rev = 1,
                              .entries = 1,
                              .all_data = data,
                              .all_data_len = 3};
    return gs_goose_apdu(out, 512, &s);
}

static uint8_t key32[32], key16[16];

/* An R-GOOSE SPDU with one element; signed over [from, end of payload) unless mac_len is 0. */
static size_t spdu(uint8_t *out, struct gs_rsession_spec *spec, uint8_t el_tag, const uint8_t *apdu,
                   size_t apdu_len, size_t mac_len, bool cltp_start)
{
    uint8_t payload[1024];
    size_t p = gs_rsession_element(payload, sizeof(payload), el_tag, 0, 0x0101, apdu, apdu_len);
    size_t si, pl;
    size_t n = gs_rsession_spdu(out, 2048, spec, payload, p, &si, &pl);
    if (mac_len == 0)
        return n;
    uint8_t mac[32];
    size_t from = cltp_start ? 0 : si;
    if (spec->iv_len == 12)
        gs_macw_gmac128(key16, spec->iv, out + from, n - from, mac);
    else
        gs_macw_hmac_sha256(key32, 32, out + from, n - from, mac);
    out[n++] = 0x85;
    out[n++] = (uint8_t)mac_len;
    memcpy(out + n, mac, mac_len);
    return n + mac_len;
}

static void setup_keys(void)
{
    gs_macw_test_key(key32, 32, 0x10);
    gs_macw_test_key(key16, 16, 0x50);
}

START_TEST(test_rsession_v1_goose)
{
    setup_keys();
    uint8_t apdu[512], b[2048];
    size_t a = goose_apdu(apdu, 5);
    struct gs_rsession_spec s = {.si = 0xA1,
                                 .version = 1,
                                 .spdu_num = 77,
                                 .tock = 0x5F5E1000,
                                 .ttnk = 60,
                                 .mac_alg = 2,
                                 .key_id = {0, 0, 0, 1}};
    size_t n = spdu(b, &s, 0x81, apdu, a, 16, false);
    verify_key = key32;
    verify_key_len = 32;
    run(b, n, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.n_goose, 1);
    const struct gs_rsession *r = &rec.s[0];
    ck_assert_uint_eq(r->si, 0xA1);
    ck_assert_uint_eq(r->version, 1);
    ck_assert_uint_eq(r->spdu_num, 77);
    ck_assert_uint_eq(r->session_li, r->session_li_expected);
    ck_assert_uint_eq(r->spdu_len_fits, GS_RSESSION_SPDU_LEN_AFTER_FIELD);
    ck_assert_uint_eq(r->n_elements, 1);
    ck_assert_uint_eq(r->element_tag, 0x81);
    ck_assert_uint_eq(r->element_appid, 0x0101);
    ck_assert_uint_eq(r->element_apdu_len, a);
    ck_assert_str_eq(rec.gocb_ref[0], "R/LLN0$GO$gcb");
    ck_assert_uint_eq(rec.st_num[0], 5);
    const struct gs_sec_info *sec = &rec.sec[0];
    ck_assert(sec->present);
    ck_assert_int_eq(sec->format, GS_SEC_SESSION_V1);
    ck_assert_int_eq(sec->algorithm, GS_SEC_ALG_HMAC_SHA256_128);
    ck_assert(sec->has_key_id && sec->key_id == 1);
    ck_assert_uint_eq(sec->time_of_current_key, 0x5F5E1000);
    ck_assert_int_eq(sec->time_to_next_key, 60);
    ck_assert_int_eq(sec->sig_form, GS_SEC_SIG_TLV);
    ck_assert_uint_eq(sec->tag.len, 16);
    ck_assert_str_eq(sec->coverage[0].name, "si..payload_end");
    ck_assert_int_eq(sec->coverage[0].start, 2);
    ck_assert(rec.mac_ok[0]);
}
END_TEST

START_TEST(test_rsession_legacy_signature)
{
    /* 85 then 16 MAC octets, the first of which happens to be 0x0f (= what an LL would be) */
    uint8_t apdu[512], b[2048];
    size_t a = goose_apdu(apdu, 1);
    struct gs_rsession_spec s = {.si = 0xA1, .version = 1, .mac_alg = 2, .key_id = {1, 0, 0, 0}};
    size_t n = spdu(b, &s, 0x81, apdu, a, 0, false);
    b[n++] = 0x85;
    for (int i = 0; i < 16; i++)
        b[n++] = (uint8_t)(0x0f + i);
    verify_key = NULL;
    run(b, n, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.sec[0].sig_form, GS_SEC_SIG_LEGACY);
    ck_assert_uint_eq(rec.sec[0].tag.len, 16);
    ck_assert_uint_eq(rec.tag0[0], 0x0f);
    ck_assert_uint_eq(rec.sec[0].key_id, 0x01000000);
}
END_TEST

START_TEST(test_rsession_v2_sv_gmac_padding)
{
    setup_keys();
    static const uint8_t iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t seq[64] = {0};
    struct gs_sv_asdu_spec asdu = {.sv_id = "RMU",
                                   .smp_cnt = 42,
                                   .conf_rev = 1,
                                   .smp_synch = 2,
                                   .seq_data = seq,
                                   .seq_len = 64};
    uint8_t apdu[512], b[2048];
    size_t a = gs_sv_apdu(apdu, sizeof(apdu), &asdu, 1);
    struct gs_rsession_spec s = {
        .si = 0xA2, .version = 2, .spdu_num = 9, .key_id = {0, 0, 0, 6}, .iv = iv, .iv_len = 12};
    uint8_t payload[1024];
    size_t p = gs_rsession_element(payload, sizeof(payload), 0x82, 1, 0x4001, apdu, a);
    size_t si, pl;
    size_t n = gs_rsession_spdu(b, sizeof(b), &s, payload, p, &si, &pl);
    size_t end = n;
    static const uint8_t pad[] = {0xAF, 0x02, 0x00, 0x00};
    memcpy(b + n, pad, sizeof(pad));
    n += sizeof(pad);
    uint8_t mac[16];
    gs_macw_gmac128(key16, iv, b, end, mac);
    b[n++] = 0x85;
    b[n++] = 16;
    memcpy(b + n, mac, 16);
    n += 16;
    verify_key = key16;
    verify_key_len = 16;
    run(b, n, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.n_sv, 1);
    ck_assert_uint_eq(rec.smp_cnt[0], 42);
    const struct gs_rsession *r = &rec.s[0];
    ck_assert_uint_eq(r->version, 2);
    ck_assert_uint_eq(r->iv_len, 12);
    ck_assert_uint_eq(r->element_sim, 1);
    ck_assert(r->has_padding && r->padding.len == 2);
    ck_assert(!r->encrypted);
    const struct gs_sec_info *sec = &rec.sec[0];
    ck_assert_int_eq(sec->format, GS_SEC_SESSION_V2);
    ck_assert_int_eq(sec->algorithm, GS_SEC_ALG_BY_KEY);
    ck_assert_uint_eq(sec->key_id, 6);
    ck_assert_uint_eq(sec->iv.len, 12);
    ck_assert_str_eq(sec->coverage[0].name, "cltp..payload_end");
    ck_assert_uint_eq(sec->aad.len, pl);
    ck_assert_uint_eq(sec->ciphertext.len, p);
    ck_assert(rec.mac_ok[0]);
}
END_TEST

START_TEST(test_rsession_tunnel_and_management)
{
    uint8_t apdu[512], frame[600], payload[1024], b[2048];
    size_t a = goose_apdu(apdu, 3);
    size_t f = gs_l2pdu(frame, sizeof(frame), 0x0104, 0, 0, apdu, a);
    struct gs_berw e;
    gs_berw_init(&e, payload, sizeof(payload));
    gs_berw_u8(&e, 0x83);
    gs_berw_u8(&e, 0);
    gs_berw_be16(&e, 0x0104);
    static const uint8_t dst[6] = {1, 0x0c, 0xcd, 1, 1, 4};
    gs_berw_raw(&e, dst, 6);
    gs_berw_be16(&e, 0x8100);
    gs_berw_be16(&e, 0x8000);
    gs_berw_be16(&e, (uint16_t)f);
    gs_berw_be16(&e, 0x88B8);
    gs_berw_raw(&e, frame, f);
    struct gs_rsession_spec s = {.si = 0xA0, .version = 2};
    size_t si, pl;
    size_t n = gs_rsession_spdu(b, sizeof(b), &s, payload, e.n, &si, &pl);
    verify_key = NULL;
    run(b, n, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.n_goose, 1);
    ck_assert_uint_eq(rec.ether_type[0], 0x88B8);
    ck_assert_uint_eq(rec.st_num[0], 3);
    ck_assert(rec.s[0].tunnel);
    ck_assert_uint_eq(rec.s[0].tunnel_ether_type, 0x88B8);
    ck_assert_uint_eq(rec.s[0].tunnel_tci, 0x8000);
    ck_assert(!rec.sec[0].present);

    static const uint8_t mngt[3] = {0x01, 0x02, 0x03};
    size_t p = gs_rsession_element(payload, sizeof(payload), 0x84, 0, 0, mngt, sizeof(mngt));
    s.si = 0xA3;
    n = gs_rsession_spdu(b, sizeof(b), &s, payload, p, &si, &pl);
    run(b, n, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.n_goose, 1);
    ck_assert_int_eq(rec.pdu[0], GS_GOOSE_PDU_NONE);
    ck_assert_uint_eq(rec.s[0].element_tag, 0x84);
}
END_TEST

START_TEST(test_rsession_encrypted)
{
    uint8_t apdu[512], b[2048];
    size_t a = goose_apdu(apdu, 1);
    struct gs_rsession_spec s = {.si = 0xA1, .version = 1, .enc_alg = 1, .mac_alg = 5};
    size_t n = spdu(b, &s, 0x81, apdu, a, 0, false);
    b[n++] = 0x85;
    b[n++] = 16;
    memset(b + n, 0xEE, 16);
    n += 16;
    run(b, n, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.n_goose, 1);
    ck_assert(rec.s[0].encrypted);
    ck_assert_int_eq(rec.pdu[0], GS_GOOSE_PDU_NONE);
    ck_assert_uint_eq(rec.s[0].n_elements, 0);
    ck_assert_int_eq(rec.sec[0].algorithm, GS_SEC_ALG_AES_GMAC_128);
    ck_assert_uint_eq(rec.sec[0].ciphertext.len, 6 + a);
}
END_TEST

/* One anomaly per vector, by name, and how many events the SPDU still gives. */
START_TEST(test_rsession_anomalies)
{
    uint8_t apdu[512], b[2048];
    size_t a = goose_apdu(apdu, 1);
    struct gs_rsession_spec s = {.si = 0xA1, .version = 2};
    size_t n = spdu(b, &s, 0x81, apdu, a, 0, false);
    size_t si = 2;
    uint8_t c[2048];

    memcpy(c, b, n);
    c[1] = 0x41;
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.not_cltp"), 1);
    ck_assert_int_eq(rec.n, 0);

    memcpy(c, b, n);
    c[si] = 0xA7;
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.bad_si"), 1);

    memcpy(c, b, n);
    c[si + 13] = 3;
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.bad_version"), 1);
    ck_assert_int_eq(rec.n, 1);

    run(b, 12, 12);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.short_header"), 1);

    memcpy(c, b, n);
    c[si + 1] = 24; /* libiec61850's fixed LI values */
    c[si + 3] = 18;
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.li_mismatch"), 1);
    ck_assert_int_eq(rec.n_goose, 1);

    memcpy(c, b, n);
    c[si + 4 + 3] ^= 0x40; /* an SPDU length no writer would send */
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.spdu_length_mismatch"), 1);

    memcpy(c, b, n);
    c[si + 25] = 0x7F; /* payload length far past the datagram */
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.payload_length"), 1);
    ck_assert_int_eq(rec.n_goose, 1);

    memcpy(c, b, n);
    c[si + 29] = 0x82; /* an SV element under the GOOSE SI */
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.element_si_mismatch"), 1);

    memcpy(c, b, n);
    c[si + 29] = 0x90;
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.bad_element"), 1);
    ck_assert_int_eq(rec.n, 1); /* an event without PDU */

    memcpy(c, b, n);
    c[si + 34] = (uint8_t)(c[si + 34] + 2); /* APDU length + 2: tolerated and noted */
    run(c, n, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert(rec.s[0].element_len_plus2);

    memcpy(c, b, n);
    c[si + 34] = (uint8_t)(c[si + 34] + 5);
    run(c, n, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.element_length"), 1);

    memcpy(c, b, n);
    c[n] = 0x00; /* one trailing zero octet: tolerated */
    run(c, n + 1, n + 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.trailing_bytes"), 0);
    ck_assert(rec.s[0].trailing_zero);
    c[n + 1] = 0x00;
    run(c, n + 2, n + 2);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.trailing_bytes"), 1);

    memcpy(c, b, n);
    c[n] = 0x85; /* a signature of 5 octets: neither 85 LL MAC nor a MAC size */
    memset(c + n + 1, 0x33, 5);
    run(c, n + 6, n + 6);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.bad_signature"), 1);

    struct gs_rsession_spec v1 = {.si = 0xA1, .version = 1, .mac_alg = 3};
    size_t m = spdu(c, &v1, 0x81, apdu, a, 0, false);
    run(c, m, m);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.missing_signature"), 1);

    struct gs_rsession_spec v2iv = {.si = 0xA1, .version = 2, .iv = apdu, .iv_len = 8};
    m = spdu(c, &v2iv, 0x81, apdu, a, 0, false);
    run(c, m, m);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "rsession.iv_length"), 1);

    run(b, n, n - 10); /* the capture ends inside the APDU */
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.truncated"), 1);
    ck_assert_int_eq(rec.n_goose, 1);
}
END_TEST

/* ---- through the engine: the coverage candidates verify ---------------------------------------
 */

#define MAX_FRAMES 4096
static struct {
    bool signed_[MAX_FRAMES];
    bool verified[MAX_FRAMES];
    uint64_t spdus;
    const char *capture;
} vs;

/* SISCO's dummy keys (specs/iec62351_6.md §4.1) and pcaps/gen/gen_rgoose.c's test keys. */
static bool key_for(const struct gs_sec_info *sec, uint8_t *key, size_t *len)
{
    static const uint8_t row[16] = {0x01, 0x33, 0x34, 0x35, 0x36, 0x37, 0x01, 0x33,
                                    0x34, 0x35, 0x36, 0x37, 0x38, 0x66, 0x77, 0x88};
    if (sec->key_id_raw.len != 4)
        return false;
    const uint8_t *k = sec->key_id_raw.ptr;
    if (strstr(vs.capture, "iec90-5") != NULL) {
        if (k[1] != 0 || k[2] != 0 || k[3] != 0 || (k[0] != 1 && k[0] != 2))
            return false;
        for (int i = 0; i < 8; i++) {
            memcpy(key + 16 * i, row, 16);
            key[16 * i] = k[0];
        }
        *len = 128;
        return true;
    }
    switch (sec->key_id) {
    case 1:
    case 0x01000000:
        gs_macw_test_key(key, 32, 0x10);
        *len = 32;
        return true;
    case 5:
        gs_macw_test_key(key, 32, 0x30);
        *len = 32;
        return true;
    case 6:
        gs_macw_test_key(key, 16, 0x50);
        *len = 16;
        return true;
    case 7:
        gs_macw_test_key(key, 32, 0x70);
        *len = 32;
        return true;
    default:
        return false;
    }
}

static int v_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    (void)env;
    (void)errbuf;
    *state = NULL;
    return 0;
}

static void v_destroy(void *state)
{
    (void)state;
}

static void v_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)state;
    const struct gs_sec_info *sec;
    const struct gs_rsession *s;
    if (ev->type == GS_EVENT_GOOSE) {
        sec = ((const struct gs_goose_event *)ev->body)->security;
        s = ((const struct gs_goose_event *)ev->body)->session;
    } else {
        sec = ((const struct gs_sv_event *)ev->body)->security;
        s = ((const struct gs_sv_event *)ev->body)->session;
    }
    if (s == NULL || ctx->pcap_cnt >= MAX_FRAMES || s->element_index != 0)
        return;
    vs.spdus++;
    if (sec->tag.len == 0)
        return;
    vs.signed_[ctx->pcap_cnt] = true;
    uint8_t key[128], mac[32];
    size_t key_len;
    if (!key_for(sec, key, &key_len))
        return;
    for (size_t i = 0; i < sec->n_coverage; i++) {
        const struct gs_sec_coverage *c = &sec->coverage[i];
        if (sec->iv.len == 12 && key_len == 16)
            gs_macw_gmac128(key, sec->iv.ptr, c->span.ptr, c->span.len, mac);
        else
            gs_macw_hmac_sha256(key, key_len, c->span.ptr, c->span.len, mac);
        if (sec->tag.len <= 32 && memcmp(mac, sec->tag.ptr, sec->tag.len) == 0)
            vs.verified[ctx->pcap_cnt] = true;
    }
}

static const struct gs_detector verifier = {
    .name = "verifier",
    .event_mask = GS_EVENT_BIT(GS_EVENT_GOOSE) | GS_EVENT_BIT(GS_EVENT_SV),
    .create = v_create,
    .destroy = v_destroy,
    .on_event = v_event,
};
static const struct gs_detector *const verifiers[] = {&verifier, NULL};

/* Runs a capture through the engine with the verifier; returns signed and verified SPDUs. */
static void verify_capture(const char *path, size_t *n_signed, size_t *n_verified)
{
    memset(&vs, 0, sizeof(vs));
    vs.capture = path;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    ck_assert_msg(p != NULL, "%s", errbuf);
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_engine_options opts = {.cfg = &cfg, .detectors = verifiers};
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
                                .dlt = pcap_datalink(p)};
        gs_engine_packet(eng, &pkt);
    }
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    pcap_close(p);
    *n_signed = *n_verified = 0;
    for (size_t i = 0; i < MAX_FRAMES; i++) {
        *n_signed += vs.signed_[i];
        *n_verified += vs.verified[i];
    }
}

START_TEST(test_rsession_sisco_sample_verifies)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; the 90-5 sample is not verified\n");
        return;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/robidev__iec61850-dissector/test/iec90-5-samples.pcap", dir);
    size_t n_signed, n_verified;
    verify_capture(path, &n_signed, &n_verified);
    ck_assert_uint_eq(vs.spdus, 691);
    ck_assert_uint_eq(n_signed, 691);
    ck_assert_uint_eq(n_verified, 691);
}
END_TEST

START_TEST(test_rsession_generated_verifies)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/pcaps/rgoose.pcap", gs_test_source_dir());
    size_t n_signed, n_verified;
    verify_capture(path, &n_signed, &n_verified);
    ck_assert_uint_eq(vs.spdus, 16);
    ck_assert_uint_eq(n_signed, 13);
    ck_assert_uint_eq(n_verified, 13);
}
END_TEST

/* GOOSE anomalies from layer 2 and from R-GOOSE add up under one name in the stats. */
START_TEST(test_rsession_shared_anomaly_counts)
{
    char path[] = "/tmp/gs-rsession-XXXXXX";
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
    struct gs_engine_options opts = {.cfg = &cfg, .output = out};
    struct gs_engine *eng = gs_engine_create(&opts, err);
    ck_assert_ptr_nonnull(eng);

    /* a goosePdu without its t, on layer 2 and in an R-GOOSE SPDU */
    uint8_t apdu[512], pdu[600], frame[700], spdu_b[1024], payload[600];
    size_t a = goose_apdu(apdu, 1);
    apdu[1] = (uint8_t)(apdu[1] - 10);
    size_t t_at = 2 + 15 + 4 + 11; /* gocbRef, TAL, datSet */
    memmove(apdu + t_at, apdu + t_at + 10, a - t_at - 10);
    a -= 10;
    size_t n = gs_l2pdu(pdu, sizeof(pdu), 1, 0, 0, apdu, a);
    struct gs_l2_addr l2 = {.src = {0, 1, 2, 3, 4, 5}, .dst = {1, 0x0c, 0xcd, 1, 0, 1}};
    n = gs_build_ether(frame, &l2, 0x88B8, pdu, n);
    struct gs_packet pkt = {.ts_us = 1795000000000000ull,
                            .pcap_cnt = 1,
                            .data = frame,
                            .cap_len = (uint32_t)n,
                            .wire_len = (uint32_t)n,
                            .dlt = 1};
    gs_engine_packet(eng, &pkt);
    struct gs_rsession_spec s = {.si = 0xA1, .version = 2};
    size_t p = gs_rsession_element(payload, sizeof(payload), 0x81, 0, 1, apdu, a);
    size_t si, pl;
    size_t sn = gs_rsession_spdu(spdu_b, sizeof(spdu_b), &s, payload, p, &si, &pl);
    uint8_t udp[1200], ip[1300];
    size_t un = gs_build_udp(udp, 0x0A000001, 0x0A000002, 50000, 102, spdu_b, sn);
    un = gs_build_ipv4(ip, 0x0A000001, 0x0A000002, 17, 1, 0, udp, un);
    n = gs_build_ether(frame, &l2, 0x0800, ip, un);
    pkt.pcap_cnt = 2;
    pkt.ts_us += 1000;
    pkt.cap_len = pkt.wire_len = (uint32_t)n;
    gs_engine_packet(eng, &pkt);
    gs_engine_finish(eng);
    gs_engine_report_stats(eng);
    gs_engine_destroy(eng);
    gs_output_destroy(out);

    FILE *fp = fopen(path, "r");
    char line[65536];
    json_t *stats = NULL;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strstr(line, "\"event_type\":\"stats\"") != NULL)
            stats = json_loads(line, 0, NULL);
    }
    fclose(fp);
    unlink(path);
    ck_assert_ptr_nonnull(stats);
    json_t *an = json_object_get(json_object_get(stats, "stats"), "anomalies");
    ck_assert_int_eq(json_integer_value(json_object_get(an, "goose.missing_field")), 2);
    json_decref(stats);
}
END_TEST

static Suite *suite_rsession(void)
{
    Suite *s = suite_create("rsession");
    TCase *tc = tcase_create("spdu");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_rsession_v1_goose);
    tcase_add_test(tc, test_rsession_legacy_signature);
    tcase_add_test(tc, test_rsession_v2_sv_gmac_padding);
    tcase_add_test(tc, test_rsession_tunnel_and_management);
    tcase_add_test(tc, test_rsession_encrypted);
    tcase_add_test(tc, test_rsession_anomalies);
    tcase_add_test(tc, test_rsession_sisco_sample_verifies);
    tcase_add_test(tc, test_rsession_generated_verifies);
    tcase_add_test(tc, test_rsession_shared_anomaly_counts);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_rsession)
