/*
 * test_dnp3_sa.c - the SAv5 detector's state machine on byte vectors: application fragments
 * framed as DNP3 link frames (pcaps/gen/dnp3w), parsed by the DNP3 dissector and handed to
 * the detector as the engine does, alerts and counters recorded.
 *
 * The base session is the digest's worked example (shared/specs/dnp3_sav5.md §12, update key
 * 00..0F, master 1, outstation 10, user 1, MAL 4): its key change, challenge reply and
 * aggressive-mode MAC must all verify. Further messages are built here with the session
 * keys the example's g120v6 unwraps to, to drive one rule or one tolerance at a time: the
 * Triangle MicroWorks CSQ numbering, opendnp3's MAC-less key status, replies and challenges
 * with reused CSQs, the master challenging a response, a reconnect, key expiry by count,
 * the association cap.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3.h"
#include "dnp3_sa.h"
#include "dnp3w.h"
#include "keystore.h"
#include "sa_crypto.h"
#include "test_support.h"

#define MASTER     1
#define OUTSTATION 10
#define MAX_FOUND  32

/* dnp3_sav5.md §12 (self-computed in the digest with Python, independently of this code). */
static const char *const worked[] = {
    /* A1 M->O g120v4 */
    "C0 20 78 04 07 01 01 00",
    /* A2 O->M g120v5 KSQ=1 KST=2 MAL=0 CD=11223344 */
    "C0 83 00 00 78 05 5B 01 0F 00 01 00 00 00 01 00 01 02 00 04 00 11 22 33 44",
    /* A3 M->O g120v6 KSQ=1 */
    "C1 20 78 06 5B 01 46 00 01 00 00 00 01 00"
    "1D 54 DA 03 54 F6 0F E7 6A D7 1E AA DE 87 C2 DA 4C 58 00 81 6A 4D 00 73 A8 B0 0F 51 D1 1C "
    "E7 5C A4 E6 13 79 A0 75 A7 C8 F1 7C BA BE C4 72 43 2C A9 43 B1 3A 43 5A 6E C2 80 39 C1 58 "
    "BA 70 B7 6C",
    /* A4 O->M g120v5 KSQ=2 KST=1 MAL=4 MAC=HMAC(MDSK, A3) */
    "C1 83 00 00 78 05 5B 01 1F 00 02 00 00 00 01 00 01 01 04 04 00 55 66 77 88 "
    "C2 5E 6A 4C 0B 6C 78 C5 0C E6 C6 34 D3 26 3F 5C",
    /* A5 M->O DIRECT_OPERATE */
    "C2 05 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 00",
    /* A6 O->M g120v1 CSQ=1 */
    "C2 83 00 00 78 01 5B 01 0C 00 01 00 00 00 00 00 04 01 A1 B2 C3 D4",
    /* A7 M->O g120v2 CSQ=1 */
    "C2 20 78 02 5B 01 16 00 01 00 00 00 01 00 68 51 63 3C 9C EB 98 4C 05 45 68 CA BC E0 C4 45",
    /* A8 M->O aggressive DIRECT_OPERATE CSQ=2 */
    "C3 05 78 03 07 01 02 00 00 00 01 00 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 00 "
    "78 09 5B 01 10 00 62 D1 E9 2F D2 5D E9 06 EF F4 04 82 F8 86 0F DE",
};

static const char keys_json[] = "{\"dnp3\": [{\"master\": 1, \"outstation\": 10, \"user\": 1, "
                                "\"update_key\": \"000102030405060708090a0b0c0d0e0f\"}]}";

struct found {
    char rule[48];
    char reason[48];
    uint64_t frame;
};

struct apdu {
    uint8_t b[512];
    size_t n;
};

struct harness {
    struct gs_config cfg;
    struct gs_keystore *ks;
    struct gs_detect_env env;
    void *det;
    void *dstate;
    size_t dstate_size;
    struct gs_flow_info view[2]; /* [0] master -> outstation, [1] the reverse */
    struct gs_pkt_ctx ctx;
    uint64_t frame;
    uint8_t tseq[2];
    uint16_t master, outstation;
    struct found found[MAX_FOUND];
    size_t n_found;
    /* the example's session keys, for building further messages */
    struct gs_key *cdsk, *mdsk;
    struct apdu last_challenge, last_request;
};

static void on_alert(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *al)
{
    struct harness *h = arg;
    ck_assert_uint_lt(h->n_found, MAX_FOUND);
    struct found *f = &h->found[h->n_found++];
    snprintf(f->rule, sizeof(f->rule), "%s", al->sig->rule);
    f->reason[0] = '\0';
    f->frame = ctx->pcap_cnt;
    bool has_user = false, has_function = false;
    for (size_t i = 0; i < al->n_fields; i++) {
        if (strcmp(al->fields[i].key, "reason") == 0)
            snprintf(f->reason, sizeof(f->reason), "%s", al->fields[i].v.s);
        has_user = has_user || strcmp(al->fields[i].key, "user") == 0;
        has_function = has_function || strcmp(al->fields[i].key, "function") == 0;
    }
    ck_assert(has_user && has_function);
    ck_assert_str_eq(al->section, "dnp3");
}

static void on_emit(const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct harness *h = ctx->emit_arg;
    if (ev->type == GS_EVENT_DNP3)
        gs_dnp3_sa_detector.on_event(h->det, ctx, ev);
}

static void set_flow(struct harness *h, uint64_t flow_id, uint16_t client_port)
{
    for (int d = 0; d < 2; d++) {
        struct gs_flow_info *v = &h->view[d];
        memset(v, 0, sizeof(*v));
        v->flow_id = flow_id;
        v->src.family = v->dst.family = 4;
        v->src.addr[0] = v->dst.addr[0] = 10;
        v->src.addr[3] = d == 0 ? 1 : 2;
        v->dst.addr[3] = d == 0 ? 2 : 1;
        v->src_port = d == 0 ? client_port : 20000;
        v->dst_port = d == 0 ? 20000 : client_port;
        v->ip_proto = 6;
        v->dir = d == 0 ? GS_DIR_TO_SERVER : GS_DIR_TO_CLIENT;
    }
    /* A new connection gets a new dissector state, as the engine binds one per flow. */
    memset(h->dstate, 0, h->dstate_size);
    gs_dnp3_dissector.state_init(h->dstate, &h->cfg);
    h->tseq[0] = h->tseq[1] = 0;
}

static void harness_init(struct harness *h, const char *json, const char *setting)
{
    memset(h, 0, sizeof(*h));
    gs_config_defaults(&h->cfg);
    char err[GS_ERRBUF_SIZE];
    if (setting != NULL)
        ck_assert_msg(gs_config_set(&h->cfg, setting, err) == 0, "%s", err);
    if (json != NULL)
        ck_assert_msg(gs_keystore_parse(json, strlen(json), "test", &h->ks, err) == 0, "%s", err);
    h->env.cfg = &h->cfg;
    h->env.keys = h->ks;
    h->env.alert = on_alert;
    h->env.alert_arg = h;
    ck_assert_int_eq(gs_dnp3_sa_detector.create(&h->det, &h->env, err), 0);
    h->dstate_size = gs_dnp3_dissector.state_size(&h->cfg);
    h->dstate = calloc(1, h->dstate_size);
    ck_assert_ptr_nonnull(h->dstate);
    h->master = MASTER;
    h->outstation = OUTSTATION;
    set_flow(h, 1, 40000);
    h->ctx.ts_us = 1700000000000000ull;
    h->ctx.cfg = &h->cfg;
    h->ctx.emit = on_emit;
    h->ctx.emit_arg = h;
}

static void harness_fini(struct harness *h)
{
    gs_dnp3_sa_detector.destroy(h->det);
    free(h->dstate);
    gs_key_destroy(h->cdsk);
    gs_key_destroy(h->mdsk);
    gs_keystore_destroy(h->ks);
}

/* One fragment on the wire; returns its frame number. */
static uint64_t feed(struct harness *h, bool from_master, const uint8_t *apdu, size_t n)
{
    uint8_t wire[GS_DNP3W_MAX_WIRE];
    size_t w = gs_dnp3w_frame(wire, sizeof(wire), from_master ? h->master : h->outstation,
                              from_master ? h->outstation : h->master, from_master,
                              h->tseq[from_master ? 0 : 1]++, apdu, n);
    h->ctx.pcap_cnt = ++h->frame;
    h->ctx.ts_us += 100000;
    h->ctx.flow = &h->view[from_master ? 0 : 1];
    struct gs_cursor cur = gs_cur_init(wire, w);
    struct gs_parse_res res = gs_dnp3_dissector.parse(
        h->dstate, &h->ctx, &cur, from_master ? GS_DIR_TO_SERVER : GS_DIR_TO_CLIENT);
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, w);
    return h->frame;
}

static uint64_t feed_apdu(struct harness *h, bool from_master, const struct apdu *x)
{
    return feed(h, from_master, x->b, x->n);
}

static uint64_t feed_hex(struct harness *h, bool from_master, const char *hex)
{
    struct apdu x;
    x.n = gs_test_hex(x.b, sizeof(x.b), hex);
    return feed_apdu(h, from_master, &x);
}

struct counter_view {
    const char *name;
    uint64_t value;
};

static void find_counter(void *arg, const char *name, uint64_t value)
{
    struct counter_view *cv = arg;
    if (strcmp(cv->name, name) == 0)
        cv->value = value;
}

static uint64_t counter(struct harness *h, const char *name)
{
    struct counter_view cv = {name, UINT64_MAX};
    gs_dnp3_sa_detector.counters(h->det, find_counter, &cv);
    ck_assert_msg(cv.value != UINT64_MAX, "no counter %s", name);
    return cv.value;
}

static void expect_found(struct harness *h, size_t i, const char *rule, uint64_t frame)
{
    ck_assert_uint_gt(h->n_found, i);
    ck_assert_str_eq(h->found[i].rule, rule);
    ck_assert_uint_eq(h->found[i].frame, frame);
}

/* ---- building messages ------------------------------------------------------------------- */

static void put(struct apdu *x, const uint8_t *p, size_t n)
{
    memcpy(x->b + x->n, p, n);
    x->n += n;
}

static void put8(struct apdu *x, uint8_t v)
{
    x->b[x->n++] = v;
}

static void put16(struct apdu *x, uint16_t v)
{
    put8(x, (uint8_t)v);
    put8(x, (uint8_t)(v >> 8));
}

static void put32(struct apdu *x, uint32_t v)
{
    put16(x, (uint16_t)v);
    put16(x, (uint16_t)(v >> 16));
}

static void start(struct apdu *x, uint8_t seq, uint8_t fc, bool response)
{
    x->n = 0;
    put8(x, (uint8_t)(0xC0 | (seq & 0x0F)));
    put8(x, fc);
    if (response)
        put16(x, 0);
}

/* A CROB (g12v1, qualifier 0x17) on point `index`. */
static void crob(struct apdu *x, uint8_t index, uint8_t status)
{
    put(x, (const uint8_t[]){12, 1, 0x17, 1, index, 3, 1, 0xE8, 3, 0, 0, 0, 0, 0, 0}, 15);
    put8(x, status);
}

static void mac_of(struct harness *h, const struct gs_key *key, uint16_t sender, uint32_t csq,
                   const struct apdu *a, const uint8_t *b, size_t b_n, uint8_t out[16])
{
    (void)h;
    uint8_t iv[GS_SA_GMAC_IV];
    gs_sa_crypto_gmac_iv(iv, sender, 1, 2, csq);
    struct gs_sa_part parts[2] = {{a->b, a->n}, {b, b_n}};
    ck_assert_uint_eq(gs_sa_crypto_mac(4, key, iv, parts, 2, out, 16), 16);
}

static uint64_t operate(struct harness *h, uint8_t seq, uint8_t index)
{
    start(&h->last_request, seq, GS_DNP3_FC_DIRECT_OPERATE, false);
    crob(&h->last_request, index, 0);
    return feed_apdu(h, true, &h->last_request);
}

/* The outstation's g120v1, as the last challenge; `challenge` also sends it. */
static void build_challenge(struct harness *h, uint8_t seq, uint32_t csq, uint8_t mal)
{
    struct apdu *x = &h->last_challenge;
    start(x, seq, GS_DNP3_FC_AUTH_RESPONSE, true);
    put(x, (const uint8_t[]){120, 1, 0x5B, 1, 12, 0}, 6);
    put32(x, csq);
    put16(x, 0);
    put8(x, mal);
    put8(x, 1);
    put32(x, 0xA0B0C0D0u ^ csq);
}

static uint64_t challenge(struct harness *h, uint8_t seq, uint32_t csq, uint8_t mal)
{
    build_challenge(h, seq, csq, mal);
    return feed_apdu(h, false, &h->last_challenge);
}

/* The master's g120v2 for the last challenge and request; `flip` alters one MAC bit. */
static uint64_t reply(struct harness *h, uint8_t seq, uint32_t csq, bool flip)
{
    uint8_t m[16];
    mac_of(h, h->cdsk, MASTER, csq, &h->last_challenge, h->last_request.b, h->last_request.n, m);
    if (flip)
        m[3] ^= 0x04;
    struct apdu x;
    start(&x, seq, GS_DNP3_FC_AUTH_REQUEST, false);
    put(&x, (const uint8_t[]){120, 2, 0x5B, 1, 22, 0}, 6);
    put32(&x, csq);
    put16(&x, 1);
    put(&x, m, 16);
    return feed_apdu(h, true, &x);
}

static uint64_t response(struct harness *h, uint8_t seq, uint8_t index, uint16_t iin,
                         uint8_t status)
{
    struct apdu x;
    start(&x, seq, GS_DNP3_FC_RESPONSE, false);
    put8(&x, (uint8_t)(iin >> 8));
    put8(&x, (uint8_t)iin);
    crob(&x, index, status);
    return feed_apdu(h, false, &x);
}

/* An aggressive-mode DIRECT_OPERATE: g120v3 {csq} + CROB + g120v9 (MAC over the last
 * challenge and this fragment up to the MAC). */
static uint64_t aggressive(struct harness *h, uint8_t seq, uint32_t csq, uint8_t index, bool flip)
{
    struct apdu x;
    start(&x, seq, GS_DNP3_FC_DIRECT_OPERATE, false);
    put(&x, (const uint8_t[]){120, 3, 0x07, 1}, 4);
    put32(&x, csq);
    put16(&x, 1);
    crob(&x, index, 0);
    put(&x, (const uint8_t[]){120, 9, 0x5B, 1, 16, 0}, 6);
    uint8_t m[16];
    mac_of(h, h->cdsk, MASTER, csq, &h->last_challenge, x.b, x.n, m);
    if (flip)
        m[0] ^= 1;
    put(&x, m, 16);
    return feed_apdu(h, true, &x);
}

/* The session keys the example's g120v6 (A3) delivers, and its last challenge and request. */
static void example_keys(struct harness *h)
{
    struct apdu a2, a3;
    a2.n = gs_test_hex(a2.b, sizeof(a2.b), worked[1]);
    a3.n = gs_test_hex(a3.b, sizeof(a3.b), worked[2]);
    const struct gs_key *uk = gs_keystore_dnp3(h->ks, MASTER, OUTSTATION, 1, NULL, NULL);
    ck_assert_ptr_nonnull(uk);
    ck_assert_int_eq(gs_sa_crypto_session_keys(uk, a3.b + 14, a3.n - 14, a2.b + 10, a2.n - 10,
                                               &h->cdsk, &h->mdsk),
                     GS_SA_KEYS_OK);
    h->last_challenge.n = gs_test_hex(h->last_challenge.b, sizeof(h->last_challenge.b), worked[5]);
    h->last_request.n = gs_test_hex(h->last_request.b, sizeof(h->last_request.b), worked[4]);
}

/* The worked example A1..A7 (key change, challenged operate), and the session keys. */
static void example_prefix(struct harness *h)
{
    for (size_t i = 0; i < 7; i++)
        feed_hex(h, i == 0 || i == 2 || i == 4 || i == 6, worked[i]);
    feed_hex(h, false, "C2 81 00 00 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 00");
    ck_assert_uint_eq(h->n_found, 0);
    example_keys(h);
}

/* The example's key change (A1..A3), confirmed by the outstation's g120v5 `a4`; the session
 * keys. Returns a4's frame. */
static uint64_t key_change_answered(struct harness *h, const struct apdu *a4)
{
    for (size_t i = 0; i < 3; i++)
        feed_hex(h, i != 1, worked[i]);
    uint64_t f = feed_apdu(h, false, a4);
    example_keys(h);
    return f;
}

static uint64_t key_change_answered_hex(struct harness *h, const char *a4_hex)
{
    struct apdu a4;
    a4.n = gs_test_hex(a4.b, sizeof(a4.b), a4_hex);
    return key_change_answered(h, &a4);
}

/* A DIRECT_OPERATE challenged by the outstation (CSQ `csq`, MAL 4) and the master's reply, one
 * MAC bit flipped when `flip`. Returns the reply's frame. */
static uint64_t challenged_operate(struct harness *h, uint8_t seq, uint32_t csq, bool flip)
{
    operate(h, seq, 4);
    challenge(h, seq, csq, 4);
    return reply(h, seq, csq, flip);
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(test_dnp3_sa_worked_example_verifies)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    for (size_t i = 0; i < GS_ARRAY_LEN(worked); i++)
        feed_hex(&h, i == 0 || i == 2 || i == 4 || i == 6 || i == 7, worked[i]);
    ck_assert_uint_eq(h.n_found, 0);
    ck_assert_uint_eq(counter(&h, "key_changes_verified"), 1);
    ck_assert_uint_eq(counter(&h, "macs_verified"), 3); /* g120v5, g120v2, g120v9 */
    ck_assert_uint_eq(counter(&h, "macs_invalid"), 0);
    ck_assert_uint_eq(counter(&h, "macs_unverifiable"), 0);
    harness_fini(&h);
}
END_TEST

/* The same session with no key store: one dnp3.sa.no_key at the first SA message, nothing
 * verified, nothing called invalid. */
START_TEST(test_dnp3_sa_no_key_once)
{
    struct harness h;
    harness_init(&h, NULL, NULL);
    for (size_t i = 0; i < GS_ARRAY_LEN(worked); i++)
        feed_hex(&h, i == 0 || i == 2 || i == 4 || i == 6 || i == 7, worked[i]);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.no_key", 1);
    ck_assert_uint_eq(counter(&h, "macs_verified"), 0);
    ck_assert_uint_eq(counter(&h, "macs_invalid"), 0);
    harness_fini(&h);
}
END_TEST

/* Triangle MicroWorks numbers challenges apart from aggressive requests: challenge 1,
 * aggressive 2 and 3, challenge 2, aggressive 3 is valid. Reusing 3 after that is not. */
START_TEST(test_dnp3_sa_tmw_csq_streams)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    aggressive(&h, 3, 2, 4, false);
    response(&h, 3, 4, 0, 0);
    aggressive(&h, 4, 3, 5, false);
    response(&h, 4, 5, 0, 0);
    operate(&h, 5, 6);
    challenge(&h, 5, 2, 4);
    reply(&h, 5, 2, false);
    response(&h, 5, 6, 0, 0);
    aggressive(&h, 6, 3, 7, false);
    response(&h, 6, 7, 0, 0);
    ck_assert_uint_eq(h.n_found, 0);
    ck_assert_uint_eq(counter(&h, "macs_verified"), 6);
    uint64_t f = aggressive(&h, 7, 3, 8, false);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.replay", f);
    ck_assert_str_eq(h.found[0].reason, "aggressive_csq_reused");
    harness_fini(&h);
}
END_TEST

/* An aggressive CSQ at or below the last challenge's is a replay, even with a fresh MAC. */
START_TEST(test_dnp3_sa_aggressive_csq_behind_challenge)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    uint64_t f = aggressive(&h, 3, 1, 4, false);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.replay", f);
    harness_fini(&h);
}
END_TEST

/* opendnp3 answers a key status request with KST=OK and MAL 0 (no MAC): nothing to verify,
 * nothing to report; TMW sends the MAC of the last g120v6, which verifies. */
START_TEST(test_dnp3_sa_key_status_mac_optional)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    feed_hex(&h, true, "C3 20 78 04 07 01 01 00");
    feed_hex(&h, false,
             "C3 83 00 00 78 05 5B 01 0F 00 03 00 00 00 01 00 01 01 00 04 00 01 02 03 04");
    ck_assert_uint_eq(h.n_found, 0);
    /* TMW: MAC of the last g120v6 (A3) under the current MDSK. */
    struct apdu a3, x;
    a3.n = gs_test_hex(a3.b, sizeof(a3.b), worked[2]);
    start(&x, 4, GS_DNP3_FC_AUTH_RESPONSE, true);
    put(&x, (const uint8_t[]){120, 5, 0x5B, 1, 31, 0}, 6);
    put32(&x, 4);
    put(&x, (const uint8_t[]){1, 0, 1, 1, 4, 4, 0, 9, 9, 9, 9}, 11);
    uint8_t m[16];
    struct gs_sa_part p = {a3.b, a3.n};
    ck_assert_uint_eq(gs_sa_crypto_mac(4, h.mdsk, NULL, &p, 1, m, sizeof(m)), 16);
    put(&x, m, 16);
    feed_hex(&h, true, "C4 20 78 04 07 01 01 00");
    uint64_t before = counter(&h, "macs_verified");
    feed_apdu(&h, false, &x);
    ck_assert_uint_eq(counter(&h, "macs_verified"), before + 1);
    ck_assert_uint_eq(h.n_found, 0);
    /* The same again with a bad MAC: invalid, on the connection the keys were confirmed on. */
    feed_hex(&h, true, "C5 20 78 04 07 01 01 00");
    x.b[0] = 0xC5;
    x.b[10] = 5; /* KSQ 5 */
    x.b[x.n - 1] ^= 0x80;
    uint64_t f = feed_apdu(&h, false, &x);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.mac_invalid", f);
    harness_fini(&h);
}
END_TEST

/* A reply that arrives with no challenge captured (the capture started mid-exchange) is
 * unverifiable, not invalid. */
START_TEST(test_dnp3_sa_reply_without_challenge)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    for (size_t i = 0; i < 4; i++)
        feed_hex(&h, i == 0 || i == 2, worked[i]);
    feed_hex(&h, true, worked[4]);
    feed_hex(&h, true, worked[6]);
    ck_assert_uint_eq(h.n_found, 0);
    ck_assert_uint_eq(counter(&h, "macs_unverifiable"), 1);
    harness_fini(&h);
}
END_TEST

/* The outstation's challenge CSQ goes backwards on the same connection: a replayed challenge.
 * After the outstation reports NOT_INIT (it may have restarted) a lower CSQ is accepted. */
START_TEST(test_dnp3_sa_challenge_csq_backwards)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    operate(&h, 3, 4);
    uint64_t f = challenge(&h, 3, 1, 4);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.replay", f);
    ck_assert_str_eq(h.found[0].reason, "challenge_csq_not_increasing");
    feed_hex(&h, true, "C4 20 78 04 07 01 01 00");
    feed_hex(&h, false,
             "C4 83 00 00 78 05 5B 01 0F 00 05 00 00 00 01 00 01 02 00 04 00 01 02 03 04");
    operate(&h, 5, 4);
    challenge(&h, 5, 1, 4);
    ck_assert_uint_eq(h.n_found, 1);
    harness_fini(&h);
}
END_TEST

/* A reply whose MAC fails, then the outstation executes the request anyway: both findings.
 * A critical request refused by the outstation (IIN2 or a non-success status) is not
 * "executed". */
START_TEST(test_dnp3_sa_executed_after_bad_mac)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    operate(&h, 3, 4);
    challenge(&h, 3, 2, 4);
    uint64_t bad = reply(&h, 3, 2, true);
    uint64_t exec = response(&h, 3, 4, 0, 0);
    ck_assert_uint_eq(h.n_found, 2);
    expect_found(&h, 0, "dnp3.sa.mac_invalid", bad);
    expect_found(&h, 1, "dnp3.sa.unauthenticated_critical", exec);
    ck_assert_str_eq(h.found[1].reason, "authentication_failed");
    /* Unchallenged, but refused: no function support (IIN2.0), or CROB status NOT_SUPPORTED. */
    operate(&h, 4, 5);
    response(&h, 4, 5, 0x0001, 0);
    operate(&h, 5, 5);
    response(&h, 5, 5, 0, 4);
    ck_assert_uint_eq(h.n_found, 2);
    /* Unchallenged and carried out. */
    operate(&h, 6, 5);
    exec = response(&h, 6, 5, 0, 0);
    ck_assert_uint_eq(h.n_found, 3);
    expect_found(&h, 2, "dnp3.sa.unauthenticated_critical", exec);
    ck_assert_str_eq(h.found[2].reason, "not_challenged");
    /* A READ is not critical. */
    feed_hex(&h, true, "C7 01 3C 02 06");
    feed_hex(&h, false, "C7 81 00 00");
    ck_assert_uint_eq(h.n_found, 3);
    harness_fini(&h);
}
END_TEST

/* The master challenges a response; the outstation answers with the MDSK over the challenge
 * and its last response. A flipped bit is invalid. */
START_TEST(test_dnp3_sa_master_challenges_response)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    struct apdu rsp, ch, rp;
    for (int round = 0; round < 2; round++) {
        feed_hex(&h, true, round == 0 ? "C3 01 3C 02 06" : "C4 01 3C 02 06");
        start(&rsp, (uint8_t)(3 + round), GS_DNP3_FC_RESPONSE, true);
        put(&rsp, (const uint8_t[]){0x1E, 1, 0x00, 0, 0, 1, 0x10, 0x27, 0, 0}, 10);
        feed_apdu(&h, false, &rsp);
        start(&ch, (uint8_t)(3 + round), GS_DNP3_FC_AUTH_REQUEST, false);
        put(&ch, (const uint8_t[]){120, 1, 0x5B, 1, 12, 0}, 6);
        put32(&ch, (uint32_t)(1 + round));
        put16(&ch, 1);
        put8(&ch, 4);
        put8(&ch, 1);
        put32(&ch, 0x01020304u + (uint32_t)round);
        feed_apdu(&h, true, &ch);
        uint8_t m[16];
        mac_of(&h, h.mdsk, OUTSTATION, (uint32_t)(1 + round), &ch, rsp.b, rsp.n, m);
        if (round == 1)
            m[15] ^= 2;
        start(&rp, (uint8_t)(3 + round), GS_DNP3_FC_AUTH_RESPONSE, true);
        put(&rp, (const uint8_t[]){120, 2, 0x5B, 1, 22, 0}, 6);
        put32(&rp, (uint32_t)(1 + round));
        put16(&rp, 1);
        put(&rp, m, 16);
        uint64_t f = feed_apdu(&h, false, &rp);
        if (round == 0) {
            ck_assert_uint_eq(h.n_found, 0);
            ck_assert_uint_eq(counter(&h, "macs_verified"), 3);
        } else {
            ck_assert_uint_eq(h.n_found, 1);
            expect_found(&h, 0, "dnp3.sa.mac_invalid", f);
        }
    }
    harness_fini(&h);
}
END_TEST

/* Keys learned on one connection, used on the next: a MAC that verifies counts (and the keys
 * are established there); one that does not is unverifiable, because the keys may have been
 * changed on a connection the sensor did not see. */
START_TEST(test_dnp3_sa_reconnect_unverifiable_not_invalid)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    set_flow(&h, 2, 40001);
    operate(&h, 3, 4);
    challenge(&h, 3, 2, 4);
    reply(&h, 3, 2, true);
    response(&h, 3, 4, 0, 0);
    ck_assert_uint_eq(h.n_found, 0);
    ck_assert_uint_eq(counter(&h, "macs_unverifiable"), 1);
    operate(&h, 4, 4);
    challenge(&h, 4, 3, 4);
    reply(&h, 4, 3, false);
    response(&h, 4, 4, 0, 0);
    ck_assert_uint_eq(counter(&h, "macs_verified"), 3);
    /* Now established on this connection: a bad MAC is invalid. */
    operate(&h, 5, 4);
    challenge(&h, 5, 4, 4);
    uint64_t f = reply(&h, 5, 4, true);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.mac_invalid", f);
    harness_fini(&h);
}
END_TEST

/* dnp3.sa_key_max_uses=2: the third MAC under the same keys is reported, once. */
START_TEST(test_dnp3_sa_key_expired_by_count)
{
    struct harness h;
    harness_init(&h, keys_json, "dnp3.sa_key_max_uses=2");
    example_prefix(&h); /* one use: the challenge reply */
    aggressive(&h, 3, 2, 4, false);
    ck_assert_uint_eq(h.n_found, 0);
    uint64_t f = aggressive(&h, 4, 3, 4, false);
    aggressive(&h, 5, 4, 4, false);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.key_expired", f);
    harness_fini(&h);
}
END_TEST

/* A key status whose KSQ goes back while keys are valid is a replay; a MAL weaker than
 * before is a downgrade. */
START_TEST(test_dnp3_sa_ksq_backwards_and_weaker_mal)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    feed_hex(&h, true, "C3 20 78 04 07 01 01 00");
    uint64_t f = feed_hex(
        &h, false, "C3 83 00 00 78 05 5B 01 0F 00 02 00 00 00 01 00 01 01 00 04 00 01 02 03 04");
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.replay", f);
    ck_assert_str_eq(h.found[0].reason, "ksq_not_increasing");
    operate(&h, 4, 4);
    f = challenge(&h, 4, 2, 3); /* HMAC-SHA-256/8 after /16 */
    ck_assert_uint_eq(h.n_found, 2);
    expect_found(&h, 1, "dnp3.sa.downgrade", f);
    ck_assert_str_eq(h.found[1].reason, "weaker_mal");
    harness_fini(&h);
}
END_TEST

/* An aggressive-mode request without its g120v9 is a MAC failure; executed, it is also an
 * unauthenticated critical request. */
START_TEST(test_dnp3_sa_aggressive_without_mac)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    struct apdu x;
    start(&x, 3, GS_DNP3_FC_DIRECT_OPERATE, false);
    put(&x, (const uint8_t[]){120, 3, 0x07, 1}, 4);
    put32(&x, 2);
    put16(&x, 1);
    crob(&x, 4, 0);
    uint64_t f = feed_apdu(&h, true, &x);
    uint64_t exec = response(&h, 3, 4, 0, 0);
    ck_assert_uint_eq(h.n_found, 2);
    expect_found(&h, 0, "dnp3.sa.mac_invalid", f);
    ck_assert_str_eq(h.found[0].reason, "mac_missing");
    expect_found(&h, 1, "dnp3.sa.unauthenticated_critical", exec);
    harness_fini(&h);
}
END_TEST

/* dnp3.max_sa_associations=2: a third association evicts the least recently seen. */
START_TEST(test_dnp3_sa_association_cap)
{
    struct harness h;
    harness_init(&h, NULL, "dnp3.max_sa_associations=2");
    for (uint16_t o = 10; o < 13; o++) {
        h.outstation = o;
        set_flow(&h, o, (uint16_t)(40000 + o));
        feed_hex(&h, true, "C0 20 78 04 07 01 01 00");
    }
    ck_assert_uint_eq(counter(&h, "associations"), 2);
    ck_assert_uint_eq(counter(&h, "associations_created"), 3);
    ck_assert_uint_eq(counter(&h, "associations_evicted"), 1);
    ck_assert_uint_eq(h.n_found, 3); /* no_key once per association */
    harness_fini(&h);
}
END_TEST

/* SA stops: the first fragment after dnp3.sa_silence_s without SA is a downgrade, once. */
START_TEST(test_dnp3_sa_silence)
{
    struct harness h;
    harness_init(&h, keys_json, "dnp3.sa_silence_s=60");
    example_prefix(&h);
    feed_hex(&h, true, "C3 01 3C 02 06");
    h.ctx.ts_us += 61000000ull;
    uint64_t f = feed_hex(&h, true, "C4 01 3C 02 06");
    feed_hex(&h, true, "C5 01 3C 02 06");
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.downgrade", f);
    ck_assert_str_eq(h.found[0].reason, "sa_stopped");
    harness_fini(&h);
}
END_TEST

/* A session key change the update key does not unwrap is invalid, unless an update key change
 * (g120v13) came before it: the new update key is encrypted with the authority key, which the
 * store does not hold. */
START_TEST(test_dnp3_sa_update_key_change_makes_key_changes_unverifiable)
{
    static const char *const v6 =
        "C4 20 78 06 5B 01 2E 00 03 00 00 00 01 00 "
        "11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 00 01 02 03 04 05 06 07 08 "
        "09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 16 17 18";
    for (int with_update = 0; with_update < 2; with_update++) {
        struct harness h;
        harness_init(&h, keys_json, NULL);
        example_prefix(&h);
        if (with_update)
            feed_hex(&h, true,
                     "C3 20 78 0D 5B 01 10 00 02 00 00 00 01 00 08 00 "
                     "01 02 03 04 05 06 07 08");
        feed_hex(&h, true, "C4 20 78 04 07 01 01 00");
        feed_hex(&h, false,
                 "C4 83 00 00 78 05 5B 01 0F 00 03 00 00 00 01 00 01 01 00 04 00 01 02 03 04");
        uint64_t f = feed_hex(&h, true, v6);
        if (with_update) {
            ck_assert_uint_eq(h.n_found, 0);
            ck_assert_uint_eq(counter(&h, "key_changes_unverifiable"), 1);
        } else {
            ck_assert_uint_eq(h.n_found, 1);
            expect_found(&h, 0, "dnp3.sa.key_change_invalid", f);
            ck_assert_str_eq(h.found[0].reason, "unwrap_failed");
        }
        harness_fini(&h);
    }
}
END_TEST

/* opendnp3 confirms a session key change with KST=OK and MAL 0 (no MAC): the keys are taken,
 * unconfirmed, so a MAC that fails under them is unverifiable. A challenge reply that verifies
 * under them proves the sensor holds the outstation's keys; after it, a bad MAC on that
 * connection is invalid (as after a key change confirmed with a MAC). */
START_TEST(test_dnp3_sa_verified_mac_confirms_keys)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    key_change_answered_hex(
        &h, "C1 83 00 00 78 05 5B 01 0F 00 02 00 00 00 01 00 01 01 00 04 00 55 66 77 88");
    challenged_operate(&h, 2, 1, true);
    response(&h, 2, 4, 0, 0);
    ck_assert_uint_eq(h.n_found, 0); /* keys not confirmed yet: unverifiable */
    ck_assert_uint_eq(counter(&h, "macs_unverifiable"), 1);
    challenged_operate(&h, 3, 2, false);
    response(&h, 3, 4, 0, 0);
    ck_assert_uint_eq(counter(&h, "macs_verified"), 1);
    uint64_t f = challenged_operate(&h, 4, 3, true);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.mac_invalid", f);
    ck_assert_str_eq(h.found[0].reason, "mac_mismatch");
    harness_fini(&h);
}
END_TEST

/* A key change confirmed with a MAC the sensor cannot compute (here an unknown MAL 7): the
 * change is unverifiable, but the keys unwrapped with the update key and the key status
 * check are taken (unconfirmed), as for a confirmation without a MAC, so the MACs that
 * follow under them verify. */
START_TEST(test_dnp3_sa_uncomputable_confirmation_keeps_keys)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    key_change_answered_hex(&h, "C1 83 00 00 78 05 5B 01 1F 00 02 00 00 00 01 00 01 01 07 04 00 55 "
                                "66 77 88 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F");
    ck_assert_uint_eq(counter(&h, "key_changes_unverifiable"), 1);
    challenged_operate(&h, 2, 1, false);
    response(&h, 2, 4, 0, 0);
    ck_assert_uint_eq(counter(&h, "macs_verified"), 1);
    ck_assert_uint_eq(counter(&h, "macs_unverifiable"), 0);
    ck_assert_uint_eq(h.n_found, 0);
    harness_fini(&h);
}
END_TEST

/* An aggressive-mode CSQ past the next expected one means messages were not captured (maybe a
 * newer challenge, which the MAC covers): its MAC cannot be called invalid, also when the
 * last aggressive message came on another connection of the association. Here a second
 * connection's aggressive request answers a challenge the sensor did not capture, then the
 * first connection's answers another uncaptured challenge (CSQ 3) with CSQ 4. */
START_TEST(test_dnp3_sa_aggressive_csq_gap_after_other_connection)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    example_prefix(&h);
    set_flow(&h, 2, 40001);
    build_challenge(&h, 0, 7, 4); /* not captured */
    aggressive(&h, 0, 2, 4, false);
    set_flow(&h, 1, 40000);
    build_challenge(&h, 3, 3, 4); /* not captured */
    aggressive(&h, 3, 4, 4, false);
    ck_assert_uint_eq(h.n_found, 0);
    ck_assert_uint_eq(counter(&h, "macs_invalid"), 0);
    ck_assert_uint_eq(counter(&h, "macs_unverifiable"), 2);
    harness_fini(&h);
}
END_TEST

/* The first key change of a session, confirmed with a MAC that does not verify under the new
 * MDSK: key_change_invalid, although no MAC verified on the association before (DNP3's MAC
 * inputs are standard), and the keys are not taken. */
START_TEST(test_dnp3_sa_first_key_change_confirm_mac_wrong)
{
    struct harness h;
    harness_init(&h, keys_json, NULL);
    struct apdu a4;
    a4.n = gs_test_hex(a4.b, sizeof(a4.b), worked[3]);
    a4.b[a4.n - 1] ^= 0x01;
    uint64_t f = key_change_answered(&h, &a4);
    ck_assert_uint_eq(h.n_found, 1);
    expect_found(&h, 0, "dnp3.sa.key_change_invalid", f);
    ck_assert_str_eq(h.found[0].reason, "confirm_mac");
    ck_assert_uint_eq(counter(&h, "key_changes_invalid"), 1);
    challenged_operate(&h, 2, 1, false);
    ck_assert_uint_eq(counter(&h, "macs_verified"), 0);
    ck_assert_uint_eq(counter(&h, "macs_unverifiable"), 1);
    harness_fini(&h);
}
END_TEST

static Suite *suite_dnp3_sa(void)
{
    Suite *s = suite_create("dnp3_sa");
    TCase *tc = tcase_create("state");
    tcase_add_test(tc, test_dnp3_sa_worked_example_verifies);
    tcase_add_test(tc, test_dnp3_sa_no_key_once);
    tcase_add_test(tc, test_dnp3_sa_tmw_csq_streams);
    tcase_add_test(tc, test_dnp3_sa_aggressive_csq_behind_challenge);
    tcase_add_test(tc, test_dnp3_sa_key_status_mac_optional);
    tcase_add_test(tc, test_dnp3_sa_reply_without_challenge);
    tcase_add_test(tc, test_dnp3_sa_challenge_csq_backwards);
    tcase_add_test(tc, test_dnp3_sa_executed_after_bad_mac);
    tcase_add_test(tc, test_dnp3_sa_master_challenges_response);
    tcase_add_test(tc, test_dnp3_sa_reconnect_unverifiable_not_invalid);
    tcase_add_test(tc, test_dnp3_sa_key_expired_by_count);
    tcase_add_test(tc, test_dnp3_sa_ksq_backwards_and_weaker_mal);
    tcase_add_test(tc, test_dnp3_sa_aggressive_without_mac);
    tcase_add_test(tc, test_dnp3_sa_association_cap);
    tcase_add_test(tc, test_dnp3_sa_silence);
    tcase_add_test(tc, test_dnp3_sa_update_key_change_makes_key_changes_unverifiable);
    tcase_add_test(tc, test_dnp3_sa_verified_mac_confirms_keys);
    tcase_add_test(tc, test_dnp3_sa_uncomputable_confirmation_keeps_keys);
    tcase_add_test(tc, test_dnp3_sa_aggressive_csq_gap_after_other_connection);
    tcase_add_test(tc, test_dnp3_sa_first_key_change_confirm_mac_wrong);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_dnp3_sa)
