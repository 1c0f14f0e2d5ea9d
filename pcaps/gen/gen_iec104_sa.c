/*
 * gen_iec104_sa.c - writes pcaps/iec104-sa/: IEC 60870-5-104 sessions with IEC 62351-5
 * secure authentication (ASDUs 81..87; shared/specs/iec104.md §6), valid and tampered, each
 * with an expectations file <case>.expect in the format of pcaps/dnp3-sa/README.md.
 *
 *   key change   C 84 {USR} -> S 85 {KSQ k, USR, KWA, KST, MAL, CLN, KCD, [MAC]} -> C 86 {KSQ k,
 *                USR, WKL, AESKW(UK, L|CDSK|MDSK|85 message without MAC|pad)} -> S 85 {KSQ k+1,
 *                KST OK, MAC_MDSK(the 86 ASDU)}
 *   challenge    C 45 act -> S 81 {CSQ c, USR 0, MAL, RSC 1, CLN, CHD} -> C 82 {CSQ c, USR, HLN,
 *                MAC_CDSK(81 ASDU | 45 ASDU)} -> S 45 actcon
 *   aggressive   C 83 {45 ASDU, CSQ c+n+1, USR, MAC_CDSK(last 81 ASDU | this 83 ASDU up to the
 *                MAC)} -> S 45 actcon, actterm
 *
 * Every secure ASDU but 84 carries its segmentation octet (FIR|FIN, ASN 0). The MAC inputs
 * are DNP3 SAv5's (dnp3_sav5.md §6) with ASDUs for fragments, as pcaps/gen/gen_iec104.c
 * computes them; the AES-GMAC IV is DNP3's with the common address as the sender address.
 * Neither is confirmed by a public IEC 104 source (see detectors/iec104_sa.c). Keys are the
 * test-only keys of keys/examples/test-only-iec104-sa.json (repeated below; common addresses
 * 3 and 2, apart from pcaps/iec104.pcap's 1).
 *
 * Usage: gen_iec104_sa OUTDIR
 */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"
#include "saw.h"

#define T0        1795200000000000ull /* 2026-11-20T18:40:00Z */
#define KEYS_FILE "keys/examples/test-only-iec104-sa.json"

static void die(const char *what)
{
    fprintf(stderr, "gen_iec104_sa: %s\n", what);
    exit(1);
}

struct assoc {
    const char *prefix;
    uint16_t ca, user;
    uint8_t mal, kwa;
    const char *uk_hex;
    size_t sk_len;
    uint32_t client_ip, server_ip;
    uint16_t client_port;
};

static const struct assoc sha256 = {
    "sha256", 3, 1, 4, 1, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", 16, 0x0A050002, 0x0A06000A, 41001};
static const struct assoc gmac = {
    "gmac", 2,          1,
    6,      2,          "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
    32,     0x0A050003, 0x0A060014,
    41002};
/* Not in the key file. */
static const struct assoc unknown = {
    "nokey", 9, 1, 4, 1, "e0e1e2e3e4e5e6e7e8e9eaebecedeeef", 16, 0x0A050005, 0x0A060028, 41004};

struct buf {
    uint8_t b[512];
    size_t n;
};

/* ---- a session being written --------------------------------------------------------------- */

struct sess {
    const struct assoc *a;
    struct gs_pcapw w;
    struct gs_tcp_session tcp;
    FILE *expect;
    uint8_t uk[32];
    size_t uk_len;
    unsigned ns[2];
    uint32_t ksq, csq, last_csq;
    uint8_t cdsk[32], mdsk[32];
    bool keys;
    uint8_t gen;
    struct buf last_status, last_kc, last_challenge, last_aggressive;
    uint32_t rng;
    uint64_t first_sa;
};

static uint8_t rnd(struct sess *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 17;
    s->rng ^= s->rng << 5;
    return (uint8_t)(s->rng >> 24);
}

static void put8(struct buf *x, uint8_t v)
{
    if (x->n >= sizeof(x->b))
        die("buffer overflow");
    x->b[x->n++] = v;
}

static void put16(struct buf *x, uint16_t v)
{
    put8(x, (uint8_t)v);
    put8(x, (uint8_t)(v >> 8));
}

static void put32(struct buf *x, uint32_t v)
{
    put16(x, (uint16_t)v);
    put16(x, (uint16_t)(v >> 16));
}

static void putn(struct buf *x, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(x, p[i]);
}

/* Data unit identifier: type, VSQ 1, COT (two octets, OA 0), CA; `seg` adds the 62351-5
 * segmentation octet (FIR|FIN, ASN 0). */
static void header(struct sess *s, struct buf *x, uint8_t type, uint8_t cot, bool seg)
{
    x->n = 0;
    put8(x, type);
    put8(x, 1);
    put8(x, cot);
    put8(x, 0);
    put16(x, s->a->ca);
    if (seg)
        put8(x, 0xC0);
}

/* A single command (45) on IOA `ioa`: select or execute, on. */
static void single_command(struct sess *s, struct buf *x, uint8_t cot, uint32_t ioa, bool select)
{
    header(s, x, 45, cot, false);
    put8(x, (uint8_t)ioa);
    put8(x, (uint8_t)(ioa >> 8));
    put8(x, (uint8_t)(ioa >> 16));
    put8(x, (uint8_t)((select ? 0x80 : 0) | 1));
}

/* Sends an I-format APDU; returns the pcap_cnt of its frame. */
static uint64_t send_i(struct sess *s, bool from_client, const struct buf *asdu)
{
    unsigned me = from_client ? 0 : 1;
    uint8_t apdu[300];
    apdu[0] = 0x68;
    apdu[1] = (uint8_t)(4 + asdu->n);
    apdu[2] = (uint8_t)(s->ns[me] << 1);
    apdu[3] = (uint8_t)(s->ns[me] >> 7);
    apdu[4] = (uint8_t)(s->ns[!me] << 1);
    apdu[5] = (uint8_t)(s->ns[!me] >> 7);
    memcpy(apdu + 6, asdu->b, asdu->n);
    s->ns[me] = (s->ns[me] + 1u) & 0x7FFFu;
    uint64_t at = s->w.packets + 1;
    gs_tcp_send(&s->tcp, from_client, apdu, 6 + asdu->n);
    s->tcp.ts_us += 20000;
    return at;
}

static void gap(struct sess *s, uint64_t us)
{
    s->tcp.ts_us += us;
}

static void mark_sa(struct sess *s, uint64_t frame)
{
    if (s->first_sa == 0)
        s->first_sa = frame;
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

/* ---- building blocks --------------------------------------------------------------------- */

/* 84 -> 85; with keys the status carries KST=OK and the MAC of the last 86 ASDU. */
static void key_status(struct sess *s)
{
    struct buf rq, rs;
    header(s, &rq, 84, 15, false);
    put16(&rq, s->a->user);
    mark_sa(s, send_i(s, true, &rq));
    header(s, &rs, 85, 15, true);
    size_t body_at = rs.n;
    put32(&rs, ++s->ksq);
    put16(&rs, s->a->user);
    put8(&rs, s->a->kwa);
    put8(&rs, s->keys ? 1 : 2);
    put8(&rs, s->keys ? s->a->mal : 0);
    put16(&rs, 8);
    for (int i = 0; i < 8; i++)
        put8(&rs, rnd(s));
    s->last_status.n = 0;
    putn(&s->last_status, rs.b + body_at, rs.n - body_at);
    if (s->keys) {
        uint8_t iv[12], m[16];
        gs_saw_gmac_iv(iv, s->a->ca, s->a->user, s->ksq, s->last_csq);
        const struct gs_saw_part input[] = {{s->last_kc.b, s->last_kc.n}};
        gs_saw_mac(s->a->mal, s->mdsk, s->a->sk_len, iv, input, 1, m);
        putn(&rs, m, gs_saw_mal_len(s->a->mal));
    }
    send_i(s, false, &rs);
}

/* 86 and its confirmation; `wrong_uk` wraps with another update key (refused silently).
 * Returns the frame of the 86. */
static uint64_t key_change(struct sess *s, bool wrong_uk)
{
    uint8_t cd[32], md[32];
    uint8_t gen = (uint8_t)(s->gen + 1);
    for (size_t i = 0; i < s->a->sk_len; i++) {
        cd[i] = (uint8_t)(0x10 * gen + i);
        md[i] = (uint8_t)(0x80 + 0x10 * gen + i);
    }
    uint8_t plain[160], wrapped[176];
    size_t n = 0;
    plain[n++] = (uint8_t)s->a->sk_len;
    plain[n++] = 0;
    memcpy(plain + n, cd, s->a->sk_len);
    n += s->a->sk_len;
    memcpy(plain + n, md, s->a->sk_len);
    n += s->a->sk_len;
    memcpy(plain + n, s->last_status.b, s->last_status.n);
    n += s->last_status.n;
    while (n % 8 != 0)
        plain[n++] = 0;
    uint8_t kek[32];
    memcpy(kek, s->uk, s->uk_len);
    if (wrong_uk)
        kek[0] ^= 0x33;
    size_t wn = gs_saw_aes_wrap(kek, s->uk_len, plain, n, wrapped);
    OPENSSL_cleanse(plain, sizeof(plain));
    struct buf kc, rs;
    header(s, &kc, 86, 15, true);
    put32(&kc, s->ksq);
    put16(&kc, s->a->user);
    put16(&kc, (uint16_t)wn);
    putn(&kc, wrapped, wn);
    uint64_t f = send_i(s, true, &kc);
    if (wrong_uk) {
        gap(s, 2000000);
        return f;
    }
    header(s, &rs, 85, 15, true);
    put32(&rs, ++s->ksq);
    put16(&rs, s->a->user);
    put8(&rs, s->a->kwa);
    put8(&rs, 1);
    put8(&rs, s->a->mal);
    put16(&rs, 8);
    size_t body_at = 7;
    for (int i = 0; i < 8; i++)
        put8(&rs, rnd(s));
    s->last_status.n = 0;
    putn(&s->last_status, rs.b + body_at, rs.n - body_at);
    uint8_t iv[12], m[16];
    gs_saw_gmac_iv(iv, s->a->ca, s->a->user, s->ksq, s->last_csq);
    const struct gs_saw_part input[] = {{kc.b, kc.n}};
    gs_saw_mac(s->a->mal, md, s->a->sk_len, iv, input, 1, m);
    putn(&rs, m, gs_saw_mal_len(s->a->mal));
    send_i(s, false, &rs);
    memcpy(s->cdsk, cd, s->a->sk_len);
    memcpy(s->mdsk, md, s->a->sk_len);
    s->keys = true;
    s->gen = gen;
    s->last_kc = kc;
    return f;
}

static void rekey(struct sess *s)
{
    key_status(s);
    key_change(s, false);
}

/* A spontaneous measured value (M_ME_NC_1), never challenged. */
static void measurement(struct sess *s, uint32_t ioa)
{
    struct buf x;
    header(s, &x, 13, 3, false);
    put8(&x, (uint8_t)ioa);
    put8(&x, 0);
    put8(&x, 0);
    put32(&x, 0x43480000u + ioa); /* 200.x */
    put8(&x, 0);
    send_i(s, false, &x);
    gap(s, 500000);
}

struct frames {
    uint64_t command, challenge, reply, confirm;
};

/* A select (45, act), challenged; `flip` alters one bit of the reply MAC (the controlled
 * station then discards it), `execute_anyway` confirms the command after a bad MAC. */
static struct frames challenged_select(struct sess *s, uint32_t ioa, bool flip)
{
    struct frames f = {0};
    struct buf cmd, ch, rp;
    single_command(s, &cmd, 6, ioa, true);
    f.command = send_i(s, true, &cmd);
    header(s, &ch, 81, 14, true);
    put32(&ch, ++s->csq);
    put16(&ch, 0);
    put8(&ch, s->a->mal);
    put8(&ch, 1);
    put16(&ch, 8);
    for (int i = 0; i < 8; i++)
        put8(&ch, rnd(s));
    f.challenge = send_i(s, false, &ch);
    mark_sa(s, f.challenge);
    s->last_challenge = ch;
    s->last_csq = s->csq;
    header(s, &rp, 82, 14, true);
    put32(&rp, s->csq);
    put16(&rp, s->a->user);
    put16(&rp, (uint16_t)gs_saw_mal_len(s->a->mal));
    uint8_t iv[12], m[16];
    gs_saw_gmac_iv(iv, s->a->ca, s->a->user, s->ksq, s->csq);
    const struct gs_saw_part input[] = {{ch.b, ch.n}, {cmd.b, cmd.n}};
    gs_saw_mac(s->a->mal, s->cdsk, s->a->sk_len, iv, input, 2, m);
    if (flip)
        m[1] ^= 0x20;
    putn(&rp, m, gs_saw_mal_len(s->a->mal));
    f.reply = send_i(s, true, &rp);
    if (flip) {
        gap(s, 2000000);
        return f;
    }
    cmd.b[2] = 7; /* actcon */
    f.confirm = send_i(s, false, &cmd);
    gap(s, 500000);
    return f;
}

/* An execute in aggressive mode (83 carrying the 45); `replay` sends the last one again. */
static uint64_t aggressive_execute(struct sess *s, uint32_t ioa, bool replay)
{
    struct buf ar, cmd;
    if (replay) {
        ar = s->last_aggressive;
    } else {
        uint32_t csq = s->last_csq + 1;
        single_command(s, &cmd, 6, ioa, false);
        header(s, &ar, 83, 14, true);
        putn(&ar, cmd.b, cmd.n);
        put32(&ar, csq);
        put16(&ar, s->a->user);
        uint8_t iv[12], m[16];
        gs_saw_gmac_iv(iv, s->a->ca, s->a->user, s->ksq, csq);
        const struct gs_saw_part input[] = {{s->last_challenge.b, s->last_challenge.n},
                                            {ar.b, ar.n}};
        gs_saw_mac(s->a->mal, s->cdsk, s->a->sk_len, iv, input, 2, m);
        putn(&ar, m, gs_saw_mal_len(s->a->mal));
        s->last_csq = csq;
        s->last_aggressive = ar;
    }
    uint64_t f = send_i(s, true, &ar);
    if (replay) {
        gap(s, 2000000);
        return f;
    }
    single_command(s, &cmd, 7, ioa, false);
    send_i(s, false, &cmd);
    cmd.b[2] = 10; /* actterm */
    send_i(s, false, &cmd);
    gap(s, 500000);
    return f;
}

/* A command with no 62351-5 at all, confirmed. Returns the frame of the actcon. */
static uint64_t unchallenged_execute(struct sess *s, uint32_t ioa)
{
    struct buf cmd;
    single_command(s, &cmd, 6, ioa, false);
    send_i(s, true, &cmd);
    cmd.b[2] = 7;
    uint64_t f = send_i(s, false, &cmd);
    gap(s, 500000);
    return f;
}

/* ---- cases ------------------------------------------------------------------------------- */

static const char *outdir;

static void open_case(struct sess *s, const struct assoc *a, const char *name, const char *what)
{
    memset(s, 0, sizeof(*s));
    s->a = a;
    s->rng = 0x7F4A7C15u ^ (uint32_t)(a->ca * 2654435761u);
    s->uk_len = gs_hex(s->uk, sizeof(s->uk), a->uk_hex);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.pcap", outdir, name);
    gs_pcapw_open(&s->w, path, GS_PCAPW_LINKTYPE_ETHERNET);
    snprintf(path, sizeof(path), "%s/%s.expect", outdir, name);
    s->expect = fopen(path, "w");
    if (s->expect == NULL)
        die(path);
    fprintf(s->expect,
            "# %s: %s\n# written by pcaps/gen/gen_iec104_sa.c; format in pcaps/dnp3-sa/README.md\n",
            name, what);
    fprintf(s->expect, "keys %s\n", KEYS_FILE);
    gs_tcp_init(&s->tcp, &s->w, T0, a->client_ip, a->client_port, a->server_ip, 2404);
    gs_tcp_handshake(&s->tcp);
    uint8_t startdt[6] = {0x68, 4, 0x07, 0, 0, 0}, con[6] = {0x68, 4, 0x0B, 0, 0, 0};
    gs_tcp_send(&s->tcp, true, startdt, 6);
    gs_tcp_send(&s->tcp, false, con, 6);
    gap(s, 10000);
}

static void close_case(struct sess *s)
{
    gs_tcp_close(&s->tcp);
    gs_pcapw_close(&s->w);
    fprintf(s->expect, "first_sa %llu  # where iec104.sa.no_key belongs when run without keys\n",
            (unsigned long long)s->first_sa);
    if (fclose(s->expect) != 0)
        die("write failed");
    OPENSSL_cleanse(s->uk, sizeof(s->uk));
}

static void prefix(struct sess *s)
{
    key_status(s);
    key_change(s, false);
    measurement(s, 700);
    challenged_select(s, 5001, false);
}

static void valid(const struct assoc *a)
{
    struct sess s;
    char name[64];
    snprintf(name, sizeof(name), "%s-valid", a->prefix);
    open_case(&s, a, name, "a valid 62351-5 session over IEC 104: nothing to report");
    prefix(&s);
    aggressive_execute(&s, 5001, false);
    measurement(&s, 701);
    rekey(&s);
    challenged_select(&s, 5002, false);
    aggressive_execute(&s, 5002, false);
    aggressive_execute(&s, 5003, false);
    measurement(&s, 702);
    if (strcmp(a->prefix, "nokey") == 0)
        expect(&s, "iec104.sa.no_key", s.first_sa, "common address 9 has no key (once)");
    close_case(&s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_iec104_sa OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    valid(&sha256);
    valid(&gmac);
    valid(&unknown);

    struct sess s;
    uint64_t f;
    open_case(&s, &sha256, "sha256-reply-mac-bitflip",
              "one bit of an authentication reply (S_RP_NA_1) MAC flipped");
    prefix(&s);
    f = challenged_select(&s, 5002, true).reply;
    expect(&s, "iec104.sa.mac_invalid", f, "82 MAC (CSQ 2) does not verify with the CDSK");
    measurement(&s, 701);
    close_case(&s);

    open_case(&s, &gmac, "gmac-reply-mac-bitflip",
              "one bit of an AES-GMAC authentication reply MAC flipped");
    prefix(&s);
    f = challenged_select(&s, 5002, true).reply;
    expect(&s, "iec104.sa.mac_invalid", f, "82 AES-GMAC (CSQ 2) does not verify");
    close_case(&s);

    open_case(&s, &sha256, "sha256-aggressive-replayed",
              "an aggressive-mode request (S_AR_NA_1) sent a second time, unchanged");
    prefix(&s);
    aggressive_execute(&s, 5001, false);
    f = aggressive_execute(&s, 5001, true);
    expect(&s, "iec104.sa.replay", f, "83 CSQ 2 used a second time (its MAC still verifies)");
    close_case(&s);

    open_case(&s, &sha256, "sha256-unchallenged-command",
              "a single command executed with no challenge and no aggressive-mode MAC");
    prefix(&s);
    f = unchallenged_execute(&s, 5009);
    expect(&s, "iec104.sa.unauthenticated_critical", f,
           "the actcon confirms a command nobody authenticated");
    close_case(&s);

    open_case(&s, &sha256, "sha256-keychange-wrong-update-key",
              "a session key change (S_KC_NA_1) wrapped with the wrong update key");
    prefix(&s);
    key_status(&s);
    f = key_change(&s, true);
    expect(&s, "iec104.sa.key_change_invalid", f, "86 fails the RFC 3394 integrity check");
    challenged_select(&s, 5003, false);
    close_case(&s);
    return 0;
}
