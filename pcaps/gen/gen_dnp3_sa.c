/*
 * gen_dnp3_sa.c - writes pcaps/dnp3-sa/: DNP3 Secure Authentication v5 sessions (IEEE
 * 1815-2012 clause 7; shared/specs/dnp3_sav5.md) over TCP 20000, valid and tampered, each with
 * an expectations file <case>.expect that the SA detector's regression test asserts.
 *
 *   session key change   M g120v4 -> O g120v5 (KSQ k) -> M g120v6 AESKW(UK, L|CDSK|MDSK|v5|pad)
 *                        -> O g120v5 (KSQ k+1, MAC_MDSK(whole g120v6 fragment))
 *   challenged operate   M DIRECT_OPERATE (SEQ s) -> O g120v1 (CSQ c) -> M g120v2 MAC_CDSK(
 *                        g120v1 fragment || DIRECT_OPERATE fragment) -> O RESPONSE
 *   aggressive operate   M DIRECT_OPERATE [g120v3 CSQ | CROB | g120v9 MAC_CDSK(last g120v1
 *                        fragment || this fragment up to the MAC value)] -> O RESPONSE
 *
 * Keys are the test-only keys of keys/examples/test-only-dnp3-sa.json (repeated below; the
 * capture test loads that file and verifies every MAC with them). Session keys, challenge
 * data and times are fixed, so the output is the same on every run. The crypto is saw.c's,
 * independent of detectors/sa_crypto.c, so that the capture test cross-checks the two.
 *
 * Usage: gen_dnp3_sa OUTDIR   (writes OUTDIR/<case>.pcap and OUTDIR/<case>.expect)
 *        gen_dnp3_sa --bench sha256|gmac|sha1 MACS OUTDIR   (a long valid session,
 *        OUTDIR/bench-<assoc>.pcap, for scripts/bench-sa.sh)
 */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3w.h"
#include "pcapw.h"
#include "saw.h"

#define T0          1795000000000000ull /* 2026-11-18T11:06:40Z */
#define FC_READ     0x01
#define FC_DO       0x05
#define FC_AUTH_REQ 0x20
#define FC_RESPONSE 0x81
#define FC_AUTH_RSP 0x83
#define MAX_APDU    512
#define KEYS_FILE   "keys/examples/test-only-dnp3-sa.json"

static void die(const char *what)
{
    fprintf(stderr, "gen_dnp3_sa: %s\n", what);
    exit(1);
}

/* ---- the associations (test-only keys) --------------------------------------------------- */

struct assoc {
    const char *prefix;
    uint16_t master, outstation, user;
    uint8_t mal; /* MAC algorithm the outstation asks for */
    uint8_t kwa; /* 1 AES-128, 2 AES-256 key wrap */
    const char *uk_hex;
    size_t sk_len; /* session key length */
    uint32_t client_ip, server_ip;
    uint16_t client_port;
    size_t cdl; /* challenge data length */
};

static const struct assoc sha256 = {
    "sha256", 1,          1024,       1,     4, 1, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
    16,       0x0A010002, 0x0A02000A, 40001, 4};
static const struct assoc gmac = {
    "gmac",
    2,
    2048,
    1,
    6,
    2,
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
    32,
    0x0A010003,
    0x0A020014,
    40002,
    16};
static const struct assoc sha1 = {
    "sha1", 3,          3072,       1,     2, 1, "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
    16,     0x0A010004, 0x0A02001E, 40003, 8};
/* Not in the key file: its sessions can only be reported as dnp3.sa.no_key. */
static const struct assoc unknown = {
    "nokey", 9,          4000,       1,     4, 1, "e0e1e2e3e4e5e6e7e8e9eaebecedeeef",
    16,      0x0A010005, 0x0A020028, 40004, 4};

/* ---- a session being written --------------------------------------------------------------- */

struct apdu {
    uint8_t b[MAX_APDU];
    size_t n;
};

struct sess {
    const struct assoc *a;
    struct gs_pcapw w;
    struct gs_tcp_session tcp;
    FILE *expect;
    uint8_t uk[32];
    size_t uk_len;
    uint8_t seq;            /* next master application SEQ */
    uint8_t tseq_m, tseq_o; /* transport sequence numbers */
    uint32_t ksq;           /* last KSQ the outstation sent */
    uint32_t csq;           /* the outstation's challenge counter */
    uint32_t mcsq;          /* the master's challenge counter */
    uint32_t last_csq;      /* last CSQ used on the association (challenge or aggressive) */
    uint32_t aggr;          /* aggressive requests since the last challenge */
    uint8_t cdsk[32], mdsk[32];
    bool keys;
    uint8_t key_gen; /* which session-key pair is in use */
    struct apdu last_v5, last_v6, last_challenge, last_reply, last_aggressive, first_v5, first_v6;
    uint32_t rng;
    uint32_t value; /* analog values for polls */
    uint64_t first_sa;
};

static uint8_t rnd(struct sess *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 17;
    s->rng ^= s->rng << 5;
    return (uint8_t)(s->rng >> 24);
}

static void put16(struct apdu *x, uint16_t v)
{
    x->b[x->n++] = (uint8_t)v;
    x->b[x->n++] = (uint8_t)(v >> 8);
}

static void put32(struct apdu *x, uint32_t v)
{
    put16(x, (uint16_t)v);
    put16(x, (uint16_t)(v >> 16));
}

static void put8(struct apdu *x, uint8_t v)
{
    x->b[x->n++] = v;
}

static void putn(struct apdu *x, const uint8_t *p, size_t n)
{
    if (n == 0)
        return; /* p may be NULL (a request without objects) */
    memcpy(x->b + x->n, p, n);
    x->n += n;
}

/* Starts a fragment: requests are AC FC, responses AC FC IIN IIN (IIN 0). */
static void start(struct apdu *x, uint8_t seq, uint8_t fc)
{
    x->n = 0;
    put8(x, (uint8_t)(0xC0 | (seq & 0x0F)));
    put8(x, fc);
    if (fc >= 0x81) {
        put8(x, 0);
        put8(x, 0);
    }
}

/* A free-format g120 object header (qualifier 0x5B, one object) with its size patched later. */
static size_t g120_free(struct apdu *x, uint8_t var)
{
    put8(x, 120);
    put8(x, var);
    put8(x, 0x5B);
    put8(x, 1);
    size_t at = x->n;
    put16(x, 0);
    return at;
}

static void g120_end(struct apdu *x, size_t at)
{
    size_t len = x->n - at - 2;
    x->b[at] = (uint8_t)len;
    x->b[at + 1] = (uint8_t)(len >> 8);
}

/* Sends a fragment; returns the pcap_cnt of the frame that carries it. */
static uint64_t emit(struct sess *s, bool from_master, const struct apdu *x)
{
    uint8_t wire[GS_DNP3W_MAX_WIRE];
    size_t n = from_master ? gs_dnp3w_frame(wire, sizeof(wire), s->a->master, s->a->outstation,
                                            true, s->tseq_m++, x->b, x->n)
                           : gs_dnp3w_frame(wire, sizeof(wire), s->a->outstation, s->a->master,
                                            false, s->tseq_o++, x->b, x->n);
    uint64_t at = s->w.packets + 1;
    gs_tcp_send(&s->tcp, from_master, wire, n);
    s->tcp.ts_us += 20000; /* the peer's turnaround */
    return at;
}

static void expect(struct sess *s, const char *rule, uint64_t frame, const char *why, ...)
    __attribute__((format(printf, 4, 5)));

static void expect(struct sess *s, const char *rule, uint64_t frame, const char *why, ...)
{
    va_list ap;
    va_start(ap, why);
    fprintf(s->expect, "alert %s %llu  # ", rule, (unsigned long long)frame);
    vfprintf(s->expect, why, ap);
    fputc('\n', s->expect);
    va_end(ap);
}

static void mark_sa(struct sess *s, uint64_t frame)
{
    if (s->first_sa == 0)
        s->first_sa = frame;
}

static void gap(struct sess *s, uint64_t us)
{
    s->tcp.ts_us += us;
}

/* ---- building blocks --------------------------------------------------------------------- */

/* g120v4 -> g120v5. With session keys, the status carries KST=OK and the MAC of the last
 * g120v6 with the current MDSK (TMW's _sendKeyStatusResponseV5); without, KST=NOT_INIT and
 * MAL 0. Returns the frame of the g120v5. */
static bool opendnp3_status; /* key status replies carry KST=OK and MAL 0, no MAC */

static uint64_t key_status(struct sess *s, bool tamper_mac)
{
    struct apdu rq, rs;
    uint8_t seq = s->seq++;
    start(&rq, seq, FC_AUTH_REQ);
    putn(&rq, (const uint8_t[]){120, 4, 0x07, 1}, 4);
    put16(&rq, s->a->user);
    mark_sa(s, emit(s, true, &rq));
    start(&rs, seq, FC_AUTH_RSP);
    size_t at = g120_free(&rs, 5);
    put32(&rs, ++s->ksq);
    put16(&rs, s->a->user);
    put8(&rs, s->a->kwa);
    put8(&rs, s->keys ? 1 : 2);
    put8(&rs, s->keys && !opendnp3_status ? s->a->mal : 0);
    put16(&rs, (uint16_t)s->a->cdl);
    for (size_t i = 0; i < s->a->cdl; i++)
        put8(&rs, rnd(s));
    size_t body = rs.n - (at + 2);
    if (s->keys && !opendnp3_status) {
        uint8_t iv[12], m[16];
        gs_saw_gmac_iv(iv, s->a->outstation, s->a->user, s->ksq, s->last_csq);
        struct gs_saw_part p = {s->last_v6.b, s->last_v6.n};
        gs_saw_mac(s->a->mal, s->mdsk, s->a->sk_len, iv, &p, 1, m);
        if (tamper_mac)
            m[0] ^= 0x01;
        putn(&rs, m, gs_saw_mal_len(s->a->mal));
    }
    g120_end(&rs, at);
    s->last_v5.n = body;
    memcpy(s->last_v5.b, rs.b + at + 2, body);
    if (s->first_v5.n == 0)
        s->first_v5 = s->last_v5;
    return emit(s, false, &rs);
}

enum kc_tamper {
    KC_NONE,
    KC_WRONG_UK,        /* wrapped with another update key */
    KC_STALE_STATUS,    /* right key, but the key status of an older g120v5 inside */
    KC_REPLAY_FIRST_V6, /* the very first g120v6 of the session sent again */
    KC_CONFIRM_MAC,     /* valid g120v6, the outstation's confirming MAC altered */
};

/* g120v6 (and the outstation's confirming g120v5 unless the change is refused). Returns the
 * frame of the g120v6, or of the confirming g120v5 for KC_CONFIRM_MAC. */
static uint64_t key_change(struct sess *s, enum kc_tamper t)
{
    struct apdu rq;
    uint8_t seq = s->seq++;
    uint8_t cd[32], md[32];
    uint8_t gen = (uint8_t)(s->key_gen + 1);
    for (size_t i = 0; i < s->a->sk_len; i++) {
        cd[i] = (uint8_t)(0x10 * gen + i);
        md[i] = (uint8_t)(0x80 + 0x10 * gen + i);
    }
    if (t == KC_REPLAY_FIRST_V6) {
        rq = s->first_v6;
    } else {
        start(&rq, seq, FC_AUTH_REQ);
        size_t at = g120_free(&rq, 6);
        put32(&rq, s->ksq);
        put16(&rq, s->a->user);
        uint8_t plain[256];
        size_t n = 0;
        plain[n++] = (uint8_t)s->a->sk_len;
        plain[n++] = 0;
        memcpy(plain + n, cd, s->a->sk_len);
        n += s->a->sk_len;
        memcpy(plain + n, md, s->a->sk_len);
        n += s->a->sk_len;
        /* KC_STALE_STATUS: the session's first g120v5 (KSQ 1, NOT_INIT) instead of the last. */
        const struct apdu *status = t == KC_STALE_STATUS ? &s->first_v5 : &s->last_v5;
        memcpy(plain + n, status->b, status->n);
        n += status->n;
        while (n % 8 != 0)
            plain[n++] = 0;
        uint8_t kek[32];
        memcpy(kek, s->uk, s->uk_len);
        if (t == KC_WRONG_UK)
            kek[s->uk_len - 1] ^= 0x5A;
        n = gs_saw_aes_wrap(kek, s->uk_len, plain, n, rq.b + rq.n);
        rq.n += n;
        g120_end(&rq, at);
        OPENSSL_cleanse(plain, sizeof(plain));
    }
    uint64_t v6 = emit(s, true, &rq);
    mark_sa(s, v6);
    if (s->first_v6.n == 0)
        s->first_v6 = rq;
    if (t == KC_WRONG_UK || t == KC_STALE_STATUS || t == KC_REPLAY_FIRST_V6)
        return v6; /* the outstation refuses it silently; the old keys stay */
    struct apdu rs;
    start(&rs, rq.b[0] & 0x0F, FC_AUTH_RSP);
    size_t at = g120_free(&rs, 5);
    put32(&rs, ++s->ksq);
    put16(&rs, s->a->user);
    put8(&rs, s->a->kwa);
    put8(&rs, 1);
    put8(&rs, s->a->mal);
    put16(&rs, (uint16_t)s->a->cdl);
    for (size_t i = 0; i < s->a->cdl; i++)
        put8(&rs, rnd(s));
    size_t body = rs.n - (at + 2);
    uint8_t iv[12], m[16];
    gs_saw_gmac_iv(iv, s->a->outstation, s->a->user, s->ksq, s->last_csq);
    struct gs_saw_part p = {rq.b, rq.n};
    gs_saw_mac(s->a->mal, md, s->a->sk_len, iv, &p, 1, m);
    size_t ml = gs_saw_mal_len(s->a->mal);
    if (t == KC_CONFIRM_MAC && ml != 0)
        m[ml - 1] ^= 0x40;
    putn(&rs, m, ml);
    g120_end(&rs, at);
    s->last_v5.n = body;
    memcpy(s->last_v5.b, rs.b + at + 2, body);
    uint64_t v5 = emit(s, false, &rs);
    if (t == KC_CONFIRM_MAC)
        return v5;
    memcpy(s->cdsk, cd, s->a->sk_len);
    memcpy(s->mdsk, md, s->a->sk_len);
    s->keys = true;
    s->key_gen = gen;
    s->last_v6 = rq;
    return v6;
}

static void key_init(struct sess *s)
{
    key_status(s, false);
    key_change(s, KC_NONE);
}

static void rekey(struct sess *s)
{
    key_status(s, false);
    key_change(s, KC_NONE);
}

/* READ class 1, 2, 3, 0 and a response with two analog inputs (never challenged). */
static void poll(struct sess *s)
{
    struct apdu rq, rs;
    uint8_t seq = s->seq++;
    start(&rq, seq, FC_READ);
    putn(&rq, (const uint8_t[]){0x3C, 2, 0x06, 0x3C, 3, 0x06, 0x3C, 4, 0x06, 0x3C, 1, 0x06}, 12);
    emit(s, true, &rq);
    start(&rs, seq, FC_RESPONSE);
    putn(&rs, (const uint8_t[]){0x1E, 1, 0x00, 0, 1}, 5);
    for (int i = 0; i < 2; i++) {
        put8(&rs, 0x01);
        put32(&rs, 1000 + s->value++ * 7 + (uint32_t)i * 1000);
    }
    emit(s, false, &rs);
    gap(s, 500000);
}

/* A CROB (g12v1, qualifier 0x28: count 1, 16-bit index), as real masters send it. */
static void crob(struct apdu *x, uint16_t index, uint8_t code)
{
    putn(x, (const uint8_t[]){12, 1, 0x28, 1, 0}, 5);
    put16(x, index);
    put8(x, code);
    put8(x, 1);
    put32(x, 100);
    put32(x, 100);
    put8(x, 0);
}

enum op_tamper {
    OP_NONE,
    OP_MAC_BITFLIP,   /* one bit of the reply MAC flipped */
    OP_MAC_TRUNCATED, /* the reply carries 8 of the MAC's 16 octets */
    OP_REPLAY_REPLY,  /* the previous challenge's reply sent again */
    OP_DOWNGRADE,     /* the challenge asks for MAL 1 (HMAC-SHA-1/4) */
    OP_ERROR_AUTHZ,   /* valid reply; the outstation answers g120v7 ERR 7 */
    OP_EXEC_BITFLIP,  /* one reply MAC bit flipped, and the outstation executes anyway */
    OP_ALTERED,       /* the request is altered on the way: the master's MAC covers the original */
    OP_CHALLENGE_REPLAY, /* the previous challenge sent again, byte for byte, to the new request */
};

struct op_frames {
    uint64_t request, challenge, reply, response;
};

/* DIRECT_OPERATE, challenged by the outstation. */
static struct op_frames challenged_operate(struct sess *s, uint16_t index, enum op_tamper t)
{
    struct op_frames f = {0};
    struct apdu op, ch, rp, rs;
    uint8_t seq = s->seq++;
    start(&op, seq, FC_DO);
    crob(&op, index, index % 2 ? 0x04 : 0x03);
    if (t == OP_ALTERED) {
        struct apdu wire = op;
        wire.b[7] ^= 0x01; /* the CROB's point index, as the outstation receives it */
        f.request = emit(s, true, &wire);
    } else {
        f.request = emit(s, true, &op);
    }

    uint8_t mal = t == OP_DOWNGRADE ? 1 : s->a->mal;
    if (t == OP_CHALLENGE_REPLAY) {
        ch = s->last_challenge;
        f.challenge = emit(s, false, &ch);
        start(&rp, seq, FC_AUTH_REQ);
        size_t at = g120_free(&rp, 2);
        uint32_t csq = (uint32_t)ch.b[10] | (uint32_t)ch.b[11] << 8;
        put32(&rp, csq);
        put16(&rp, s->a->user);
        uint8_t iv[12], m[16];
        gs_saw_gmac_iv(iv, s->a->master, s->a->user, s->ksq, csq);
        struct gs_saw_part p[2] = {{ch.b, ch.n}, {op.b, op.n}};
        gs_saw_mac(mal, s->cdsk, s->a->sk_len, iv, p, 2, m);
        putn(&rp, m, gs_saw_mal_len(mal));
        g120_end(&rp, at);
        f.reply = emit(s, true, &rp);
        gap(s, 2000000); /* the outstation never sent that challenge: it discards the reply */
        return f;
    }
    start(&ch, seq, FC_AUTH_RSP);
    size_t at = g120_free(&ch, 1);
    put32(&ch, ++s->csq);
    put16(&ch, 0); /* an outstation challenging a request does not know the user */
    put8(&ch, mal);
    put8(&ch, 1);
    for (size_t i = 0; i < s->a->cdl; i++)
        put8(&ch, rnd(s));
    g120_end(&ch, at);
    f.challenge = emit(s, false, &ch);
    mark_sa(s, f.challenge);
    s->last_challenge = ch;
    s->last_csq = s->csq;
    s->aggr = 0;

    if (t == OP_REPLAY_REPLY) {
        rp = s->last_reply;
    } else {
        start(&rp, seq, FC_AUTH_REQ);
        at = g120_free(&rp, 2);
        put32(&rp, s->csq);
        put16(&rp, s->a->user);
        uint8_t iv[12], m[16];
        gs_saw_gmac_iv(iv, s->a->master, s->a->user, s->ksq, s->csq);
        struct gs_saw_part p[2] = {{ch.b, ch.n}, {op.b, op.n}};
        gs_saw_mac(mal, s->cdsk, s->a->sk_len, iv, p, 2, m);
        size_t ml = gs_saw_mal_len(mal);
        if (t == OP_MAC_BITFLIP || t == OP_EXEC_BITFLIP)
            m[5] ^= 0x10;
        if (t == OP_MAC_TRUNCATED)
            ml = 8;
        putn(&rp, m, ml);
        g120_end(&rp, at);
    }
    f.reply = emit(s, true, &rp);
    if (t != OP_REPLAY_REPLY)
        s->last_reply = rp;
    if (t == OP_MAC_BITFLIP || t == OP_MAC_TRUNCATED || t == OP_REPLAY_REPLY || t == OP_ALTERED) {
        gap(s, 2000000); /* the outstation discards it; the master times out */
        return f;
    }
    if (t == OP_ERROR_AUTHZ) {
        start(&rs, seq, FC_AUTH_RSP);
        at = g120_free(&rs, 7);
        put32(&rs, s->csq);
        put16(&rs, s->a->user);
        put16(&rs, 0); /* this association */
        put8(&rs, 7);  /* authorization failed */
        uint64_t ms = s->tcp.ts_us / 1000;
        for (int i = 0; i < 6; i++)
            put8(&rs, (uint8_t)(ms >> (8 * i)));
        g120_end(&rs, at);
        f.response = emit(s, false, &rs);
        gap(s, 500000);
        return f;
    }
    start(&rs, seq, FC_RESPONSE);
    crob(&rs, index, index % 2 ? 0x04 : 0x03);
    f.response = emit(s, false, &rs);
    gap(s, 500000);
    return f;
}

enum ag_tamper { AG_NONE, AG_WRONG_MAC, AG_REPLAY, AG_NO_RESPONSE, AG_CSQ_REUSED };

/* DIRECT_OPERATE in aggressive mode: g120v3 first, g120v9 last. */
static uint64_t aggressive_operate(struct sess *s, uint16_t index, enum ag_tamper t)
{
    struct apdu op, rs;
    uint64_t at_frame;
    if (t == AG_REPLAY) {
        op = s->last_aggressive;
    } else {
        uint8_t seq = s->seq++;
        /* AG_CSQ_REUSED: the CSQ of the previous aggressive request again, with a MAC that
         * is correct for this (new) fragment. */
        uint32_t csq = t == AG_CSQ_REUSED ? s->last_csq : s->last_csq + 1;
        start(&op, seq, FC_DO);
        putn(&op, (const uint8_t[]){120, 3, 0x07, 1}, 4);
        put32(&op, csq);
        put16(&op, s->a->user);
        crob(&op, index, index % 2 ? 0x04 : 0x03);
        size_t at = g120_free(&op, 9);
        size_t ml = gs_saw_mal_len(s->a->mal);
        op.b[at] = (uint8_t)ml;
        op.b[at + 1] = 0;
        uint8_t iv[12], m[16];
        gs_saw_gmac_iv(iv, s->a->master, s->a->user, s->ksq, csq);
        struct gs_saw_part p[2] = {{s->last_challenge.b, s->last_challenge.n}, {op.b, op.n}};
        /* A wrong MAC: the right input under the wrong direction's key. */
        gs_saw_mac(s->a->mal, t == AG_WRONG_MAC ? s->mdsk : s->cdsk, s->a->sk_len, iv, p, 2, m);
        putn(&op, m, ml);
        s->last_csq = csq;
        s->aggr++;
    }
    at_frame = emit(s, true, &op);
    if (t == AG_NONE)
        s->last_aggressive = op;
    if (t != AG_NONE) {
        gap(s, 2000000);
        return at_frame;
    }
    start(&rs, op.b[0] & 0x0F, FC_RESPONSE);
    crob(&rs, index, index % 2 ? 0x04 : 0x03);
    emit(s, false, &rs);
    gap(s, 500000);
    return at_frame;
}

/* A poll whose response the master challenges (monitoring direction, dnp3_sav5.md §5.3): M
 * READ -> O RESPONSE -> M g120v1 {CSQ m} -> O g120v2 {MAC_MDSK(challenge | response)}.
 * `flip` alters one bit of the outstation's MAC. Returns the frame of the g120v2. */
static uint64_t master_challenged_poll(struct sess *s, bool flip)
{
    struct apdu rq, rs, ch, rp;
    uint8_t seq = s->seq++;
    start(&rq, seq, FC_READ);
    putn(&rq, (const uint8_t[]){0x3C, 1, 0x06}, 3);
    emit(s, true, &rq);
    start(&rs, seq, FC_RESPONSE);
    putn(&rs, (const uint8_t[]){0x1E, 1, 0x00, 0, 1}, 5);
    for (int i = 0; i < 2; i++) {
        put8(&rs, 0x01);
        put32(&rs, 5000 + s->value++ * 3 + (uint32_t)i);
    }
    emit(s, false, &rs);
    uint8_t cseq = s->seq++;
    start(&ch, cseq, FC_AUTH_REQ);
    size_t at = g120_free(&ch, 1);
    put32(&ch, ++s->mcsq);
    put16(&ch, s->a->user);
    put8(&ch, s->a->mal);
    put8(&ch, 1);
    for (size_t i = 0; i < s->a->cdl; i++)
        put8(&ch, rnd(s));
    g120_end(&ch, at);
    mark_sa(s, emit(s, true, &ch));
    start(&rp, cseq, FC_AUTH_RSP);
    at = g120_free(&rp, 2);
    put32(&rp, s->mcsq);
    put16(&rp, s->a->user);
    uint8_t iv[12], m[16];
    gs_saw_gmac_iv(iv, s->a->outstation, s->a->user, s->ksq, s->mcsq);
    struct gs_saw_part p[2] = {{ch.b, ch.n}, {rs.b, rs.n}};
    gs_saw_mac(s->a->mal, s->mdsk, s->a->sk_len, iv, p, 2, m);
    if (flip)
        m[2] ^= 0x08;
    putn(&rp, m, gs_saw_mal_len(s->a->mal));
    g120_end(&rp, at);
    uint64_t f = emit(s, false, &rp);
    gap(s, 500000);
    return f;
}

/* A critical request of function `fc` (objects `obj`) with no SA at all, answered by the
 * outstation with `rsp_obj`. Returns the frames of the request and of the response. */
static void unchallenged_request(struct sess *s, uint8_t fc, const uint8_t *obj, size_t obj_n,
                                 const uint8_t *rsp_obj, size_t rsp_n, uint64_t *request,
                                 uint64_t *response)
{
    struct apdu rq, rs;
    uint8_t seq = s->seq++;
    start(&rq, seq, fc);
    putn(&rq, obj, obj_n);
    *request = emit(s, true, &rq);
    start(&rs, seq, FC_RESPONSE);
    putn(&rs, rsp_obj, rsp_n);
    *response = emit(s, false, &rs);
    gap(s, 500000);
}

/* A critical request with no SA at all, executed by the outstation. */
static uint64_t unchallenged_operate(struct sess *s, uint16_t index)
{
    struct apdu op, rs;
    uint8_t seq = s->seq++;
    start(&op, seq, FC_DO);
    crob(&op, index, 0x03);
    emit(s, true, &op);
    start(&rs, seq, FC_RESPONSE);
    crob(&rs, index, 0x03);
    uint64_t f = emit(s, false, &rs);
    gap(s, 500000);
    return f;
}

/* Time passes on an idle connection; TCP keep-alives keep the flow alive meanwhile. */
static void idle(struct sess *s, uint64_t seconds)
{
    for (uint64_t t = 0; t < seconds; t += 300) {
        gap(s, 300000000ull);
        gs_tcp_raw(&s->tcp, true, s->tcp.client_seq - 1, GS_TCPF_ACK, NULL, 0);
        gs_tcp_raw(&s->tcp, false, s->tcp.server_seq, GS_TCPF_ACK, NULL, 0);
    }
}

/* ---- cases ------------------------------------------------------------------------------- */

static const char *outdir;

static void open_case(struct sess *s, const struct assoc *a, const char *name, const char *what,
                      const char *keys)
{
    memset(s, 0, sizeof(*s));
    s->a = a;
    s->rng = 0x9E3779B9u ^ (uint32_t)(a->master * 2654435761u);
    s->uk_len = gs_hex(s->uk, sizeof(s->uk), a->uk_hex);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.pcap", outdir, name);
    gs_pcapw_open(&s->w, path, GS_PCAPW_LINKTYPE_ETHERNET);
    snprintf(path, sizeof(path), "%s/%s.expect", outdir, name);
    s->expect = fopen(path, "w");
    if (s->expect == NULL)
        die(path);
    fprintf(s->expect,
            "# %s: %s\n# written by pcaps/gen/gen_dnp3_sa.c; format in pcaps/dnp3-sa/README.md\n",
            name, what);
    fprintf(s->expect, "keys %s\n", keys);
    gs_tcp_init(&s->tcp, &s->w, T0, a->client_ip, a->client_port, a->server_ip, 20000);
    gs_tcp_handshake(&s->tcp);
    gap(s, 10000);
}

static void close_case(struct sess *s)
{
    gs_tcp_close(&s->tcp);
    gs_pcapw_close(&s->w);
    fprintf(s->expect, "first_sa %llu  # where dnp3.sa.no_key belongs when run without keys\n",
            (unsigned long long)s->first_sa);
    if (fclose(s->expect) != 0)
        die("write failed");
    OPENSSL_cleanse(s->uk, sizeof(s->uk));
}

/* Everything a healthy association does: key change, polls, a challenged operate, a rekey,
 * another challenged operate with the new keys, two aggressive operates, a poll. */
static void valid(const struct assoc *a)
{
    struct sess s;
    char name[64];
    snprintf(name, sizeof(name), "%s-valid", a->prefix);
    open_case(&s, a, name, "a valid SAv5 session: nothing to report", KEYS_FILE);
    key_init(&s);
    poll(&s);
    challenged_operate(&s, 3, OP_NONE);
    poll(&s);
    rekey(&s);
    challenged_operate(&s, 4, OP_NONE);
    aggressive_operate(&s, 5, AG_NONE);
    aggressive_operate(&s, 6, AG_NONE);
    poll(&s);
    close_case(&s);
}

/* The start every tampered case shares: key change, a poll, a valid challenged operate. */
static void prefix(struct sess *s)
{
    key_init(s);
    poll(s);
    challenged_operate(s, 3, OP_NONE);
}

static void tampered_cases(void)
{
    struct sess s;
    uint64_t f;

    open_case(&s, &sha256, "sha256-reply-mac-bitflip",
              "one bit of a challenge reply MAC flipped (the outstation discards it)", KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_MAC_BITFLIP).reply;
    expect(&s, "dnp3.sa.mac_invalid", f, "g120v2 MAC (CSQ 2) does not verify with the CDSK");
    poll(&s);
    close_case(&s);

    open_case(&s, &gmac, "gmac-reply-mac-bitflip",
              "one bit of an AES-GMAC challenge reply MAC flipped", KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_MAC_BITFLIP).reply;
    expect(&s, "dnp3.sa.mac_invalid", f, "g120v2 AES-GMAC (CSQ 2) does not verify");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-reply-mac-truncated",
              "a challenge reply carrying 8 of the 16 MAC octets MAL 4 requires", KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_MAC_TRUNCATED).reply;
    expect(&s, "dnp3.sa.mac_invalid", f, "g120v2 MAC is 8 octets, MAL 4 needs 16");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-aggressive-mac-wrong",
              "an aggressive-mode operate whose g120v9 MAC was made with the wrong key", KEYS_FILE);
    prefix(&s);
    f = aggressive_operate(&s, 5, AG_WRONG_MAC);
    expect(&s, "dnp3.sa.mac_invalid", f, "g120v9 MAC (CSQ 2) does not verify with the CDSK");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-reply-replayed",
              "the reply to challenge CSQ 1 replayed to answer challenge CSQ 2", KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_REPLAY_REPLY).reply;
    expect(&s, "dnp3.sa.replay", f,
           "g120v2 repeats the CSQ 1 reply byte for byte while challenge CSQ 2 is open");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-aggressive-replayed",
              "a valid aggressive-mode operate sent a second time, unchanged", KEYS_FILE);
    prefix(&s);
    aggressive_operate(&s, 5, AG_NONE);
    f = aggressive_operate(&s, 5, AG_REPLAY);
    expect(&s, "dnp3.sa.replay", f, "g120v3 CSQ 2 used a second time (its MAC still verifies)");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-unchallenged-operate",
              "a DIRECT_OPERATE executed with no challenge and no aggressive-mode MAC", KEYS_FILE);
    prefix(&s);
    f = unchallenged_operate(&s, 7);
    expect(&s, "dnp3.sa.unauthenticated_critical", f,
           "the outstation's RESPONSE executes a DIRECT_OPERATE nobody authenticated");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-keychange-wrong-update-key",
              "a session key change wrapped with the wrong update key; the old keys stay in use",
              KEYS_FILE);
    prefix(&s);
    key_status(&s, false);
    f = key_change(&s, KC_WRONG_UK);
    expect(&s, "dnp3.sa.key_change_invalid", f, "g120v6 fails the RFC 3394 integrity check");
    challenged_operate(&s, 4, OP_NONE);
    close_case(&s);

    open_case(&s, &sha256, "sha256-keychange-status-mismatch",
              "a key change wrapped with the right update key around a stale key status",
              KEYS_FILE);
    prefix(&s);
    key_status(&s, false);
    f = key_change(&s, KC_STALE_STATUS);
    expect(&s, "dnp3.sa.key_change_invalid", f,
           "g120v6 unwraps, but its key-status copy (KSQ 1) is not the last g120v5 (KSQ 3)");
    challenged_operate(&s, 4, OP_NONE);
    close_case(&s);

    open_case(&s, &sha256, "sha256-keychange-replayed",
              "the session's first g120v6 (KSQ 1) replayed after a g120v5 with KSQ 3", KEYS_FILE);
    prefix(&s);
    key_status(&s, false);
    f = key_change(&s, KC_REPLAY_FIRST_V6);
    expect(&s, "dnp3.sa.key_change_invalid", f,
           "g120v6 KSQ 1 does not match the last g120v5 KSQ 3");
    challenged_operate(&s, 4, OP_NONE);
    close_case(&s);

    open_case(&s, &sha256, "sha256-keychange-confirm-mac-wrong",
              "a valid g120v6 confirmed by a g120v5 whose MAC does not verify", KEYS_FILE);
    prefix(&s);
    key_status(&s, false);
    f = key_change(&s, KC_CONFIRM_MAC);
    expect(&s, "dnp3.sa.key_change_invalid", f,
           "confirming g120v5 MAC does not verify with the new MDSK");
    close_case(&s);

    open_case(&s, &sha256, "sha256-mal-downgrade",
              "after challenges with MAL 4, a challenge asking for MAL 1 (HMAC-SHA-1/4, SAv2 only)",
              KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_DOWNGRADE).challenge;
    expect(&s, "dnp3.sa.downgrade", f, "g120v1 MAL 1 is weaker than the MAL 4 used before");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-error-authorization",
              "an authentic reply refused with g120v7 ERR 7 (authorization failed)", KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_ERROR_AUTHZ).response;
    expect(&s, "dnp3.sa.error", f, "g120v7 ERR 7 Authorization failed");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-keys-expired",
              "session keys still used two hours after the last key change", KEYS_FILE);
    prefix(&s);
    idle(&s, 7200);
    f = aggressive_operate(&s, 5, AG_NO_RESPONSE);
    expect(&s, "dnp3.sa.key_expired", f,
           "aggressive operate MAC verifies with session keys changed 7200 s earlier "
           "(past the 900 s / 1800 s key-change intervals of dnp3_sav5.md section 9)");
    close_case(&s);

    open_case(&s, &sha256, "sha256-sa-stops",
              "SA traffic stops on an association that had it; polling goes on without it",
              KEYS_FILE);
    prefix(&s);
    idle(&s, 3600);
    f = s.w.packets + 1;
    poll(&s);
    poll(&s);
    poll(&s);
    expect(&s, "dnp3.sa.downgrade", f,
           "first fragment after 3600 s without any SA message (no rekey) on an SA association");
    close_case(&s);

    open_case(&s, &unknown, "nokey-valid",
              "a valid SAv5 session between addresses the key file does not know", KEYS_FILE);
    key_init(&s);
    poll(&s);
    challenged_operate(&s, 3, OP_NONE);
    aggressive_operate(&s, 5, AG_NONE);
    expect(&s, "dnp3.sa.no_key", s.first_sa,
           "first SA message of association 9 -> 4000, which has no key (once)");
    close_case(&s);
}

/* Cases added with the SA detector (issue 8, phase 2): more ways to tamper, and valid
 * variants other stacks produce. */
static void more_cases(void)
{
    struct sess s;
    uint64_t f, g;

    open_case(&s, &sha256, "sha256-executed-after-bad-mac",
              "a challenge reply with a flipped MAC bit, and the outstation executes the operate "
              "anyway",
              KEYS_FILE);
    prefix(&s);
    struct op_frames of = challenged_operate(&s, 4, OP_EXEC_BITFLIP);
    expect(&s, "dnp3.sa.mac_invalid", of.reply, "g120v2 MAC (CSQ 2) does not verify");
    expect(&s, "dnp3.sa.unauthenticated_critical", of.response,
           "the outstation's RESPONSE executes the DIRECT_OPERATE whose reply failed");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-request-altered",
              "a DIRECT_OPERATE altered on the way (point index): the master's MAC covers the "
              "original",
              KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_ALTERED).reply;
    expect(&s, "dnp3.sa.mac_invalid", f,
           "g120v2 MAC (CSQ 2) does not verify over the request as it was received");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-challenge-replayed",
              "the previous challenge (CSQ 1) replayed, byte for byte, to a new DIRECT_OPERATE",
              KEYS_FILE);
    prefix(&s);
    f = challenged_operate(&s, 4, OP_CHALLENGE_REPLAY).challenge;
    expect(&s, "dnp3.sa.replay", f, "g120v1 CSQ 1 again: challenge CSQs must increase");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-aggressive-csq-reused",
              "an aggressive operate reusing the previous one's CSQ, with a MAC valid for its "
              "own bytes",
              KEYS_FILE);
    prefix(&s);
    aggressive_operate(&s, 5, AG_NONE);
    f = aggressive_operate(&s, 6, AG_CSQ_REUSED);
    expect(&s, "dnp3.sa.replay", f, "g120v3 CSQ 2 used a second time since challenge CSQ 1");
    poll(&s);
    close_case(&s);

    opendnp3_status = true;
    open_case(&s, &sha256, "sha256-opendnp3-rekey-valid",
              "a valid session whose outstation answers key status requests with KST=OK and "
              "MAL 0 (no MAC), as opendnp3 does: nothing to report",
              KEYS_FILE);
    key_init(&s);
    poll(&s);
    challenged_operate(&s, 3, OP_NONE);
    rekey(&s);
    challenged_operate(&s, 4, OP_NONE);
    aggressive_operate(&s, 5, AG_NONE);
    poll(&s);
    close_case(&s);
    opendnp3_status = false;

    open_case(&s, &sha256, "sha256-master-challenge-valid",
              "a valid session in which the master also challenges responses (monitoring "
              "direction): nothing to report",
              KEYS_FILE);
    key_init(&s);
    master_challenged_poll(&s, false);
    challenged_operate(&s, 3, OP_NONE);
    master_challenged_poll(&s, false);
    aggressive_operate(&s, 5, AG_NONE);
    poll(&s);
    close_case(&s);

    open_case(&s, &gmac, "gmac-master-challenge-bitflip",
              "the outstation's AES-GMAC reply to the master's challenge of a response has one "
              "bit flipped",
              KEYS_FILE);
    prefix(&s);
    master_challenged_poll(&s, false);
    f = master_challenged_poll(&s, true);
    expect(&s, "dnp3.sa.mac_invalid", f,
           "g120v2 from the outstation (master CSQ 2) does not "
           "verify with the MDSK");
    poll(&s);
    close_case(&s);

    open_case(&s, &sha256, "sha256-unchallenged-restart",
              "a COLD_RESTART executed with no challenge and no aggressive-mode MAC", KEYS_FILE);
    prefix(&s);
    unchallenged_request(&s, 0x0D, NULL, 0, (const uint8_t[]){52, 2, 0x07, 1, 0xE8, 0x03}, 6, &g,
                         &f);
    expect(&s, "dnp3.sa.unauthenticated_critical", f,
           "the outstation's RESPONSE (time delay) answers a COLD_RESTART nobody authenticated");
    close_case(&s);

    open_case(&s, &sha256, "sha256-sa-stops-then-operate",
              "an SA association silent for an hour, then a DIRECT_OPERATE without SA, executed",
              KEYS_FILE);
    prefix(&s);
    idle(&s, 3600);
    struct apdu crob_obj = {.n = 0};
    crob(&crob_obj, 9, 0x03);
    unchallenged_request(&s, FC_DO, crob_obj.b, crob_obj.n, crob_obj.b, crob_obj.n, &g, &f);
    expect(&s, "dnp3.sa.downgrade", g,
           "first fragment after 3600 s without any SA message on an SA association");
    expect(&s, "dnp3.sa.unauthenticated_critical", f,
           "the outstation executes the DIRECT_OPERATE nobody authenticated");
    close_case(&s);
}

/* A long valid session for benchmarks (not committed): `macs` MACs to verify, nine
 * aggressive-mode operates to one challenged operate, a rekey every 1000 MACs. */
static void bench_session(const struct assoc *a, unsigned long macs)
{
    struct sess s;
    char name[64];
    snprintf(name, sizeof(name), "bench-%s", a->prefix);
    open_case(&s, a, name, "a long valid session for benchmarks", KEYS_FILE);
    key_init(&s);
    unsigned long done = 1;
    while (done < macs) {
        challenged_operate(&s, 3, OP_NONE);
        done++;
        for (int i = 0; i < 9 && done < macs; i++, done++)
            aggressive_operate(&s, (uint16_t)(4 + i), AG_NONE);
        if (done % 1000 < 10) {
            rekey(&s);
            done += 2;
        }
    }
    close_case(&s);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--bench") == 0) {
        outdir = argv[4];
        const struct assoc *a = strcmp(argv[2], "gmac") == 0   ? &gmac
                                : strcmp(argv[2], "sha1") == 0 ? &sha1
                                                               : &sha256;
        bench_session(a, strtoul(argv[3], NULL, 10));
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: gen_dnp3_sa OUTDIR | gen_dnp3_sa --bench sha256|gmac|sha1 MACS "
                        "OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    valid(&sha256);
    valid(&gmac);
    valid(&sha1);
    tampered_cases();
    more_cases();
    return 0;
}
