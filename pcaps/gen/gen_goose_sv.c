/*
 * gen_goose_sv.c - writes pcaps/goose-sv/: one small capture per GOOSE/SV/R-GOOSE/R-SV case the
 * goose_sv detector must judge (IEC 62351-6 tags, stNum/sqNum, TAL, smpCnt, SPDU numbers), valid
 * streams that must raise nothing and tampered ones that must raise exactly one rule, each with
 * an expectations file <case>.expect that the detector's test asserts (format in
 * pcaps/goose-sv/README.md).
 *
 *   publisher                               carrier   tag (2020 draft layout on layer 2)
 *   ATKIED1/LLN0$GO$gcbPos  APPID 0x0201    layer 2   HMAC-SHA256-128, key id 11 (and 12)
 *   ATKIED2/LLN0$GO$gcbPos  APPID 0x0202    layer 2   none
 *   ATKMU1                  APPID 0x4201    layer 2   HMAC-SHA256-256, key id 21
 *   RATK1/LLN0$GO$gcbR      APPID 0x0301    R-GOOSE   v1, HMAC-SHA256-128 over SI..payload end,
 *                                                     key id 31
 *   RATKMU1                 APPID 0x4301    R-SV      v2, AES-GMAC-128 over CLTP..payload end,
 *                                                     key id 32
 *
 * Layer-2 tags cover EtherType..end of APDU (62351_6.md §4.3 candidate A). Test-only keys (never
 * for a real system), as keys/examples/test-only-goose-sv.json lists them: key id 11 = a0 a1 ..
 * bf, 12 = c0 .. df, 21 = 30 .. 4f, 31 = 50 .. 6f (32 octets each), 32 = 70 .. 7f (16 octets).
 *
 * Usage: gen_goose_sv OUTDIR   (writes OUTDIR/<case>.pcap and OUTDIR/<case>.expect)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iec61850w.h"
#include "macw.h"
#include "pcapw.h"

#define T0       1795017600000000ull /* 2026-11-18T16:00:00Z, a whole second */
#define T0_S     1795017600u
#define S        1000000ull
#define MS       1000ull
#define ET_GOOSE 0x88B8
#define ET_SV    0x88BA
#define BUF      4096
#define KEYS     "keys/examples/test-only-goose-sv.json"

/* ---- one capture --------------------------------------------------------------------------- */

struct gcase {
    struct gs_pcapw w;
    FILE *expect;
    uint64_t frames;
};

static void case_open(struct gcase *k, const char *dir, const char *name, const char *what)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
    gs_pcapw_open(&k->w, path, GS_PCAPW_LINKTYPE_ETHERNET);
    snprintf(path, sizeof(path), "%s/%s.expect", dir, name);
    k->expect = fopen(path, "w");
    if (k->expect == NULL) {
        perror(path);
        exit(1);
    }
    fprintf(k->expect, "# %s\nkeys %s\n", what, KEYS);
    k->frames = 0;
}

static void case_close(struct gcase *k)
{
    gs_pcapw_close(&k->w);
    fclose(k->expect);
}

static void expect(struct gcase *k, const char *rule, uint64_t frame, const char *why, ...)
    __attribute__((format(printf, 4, 5)));

static void expect(struct gcase *k, const char *rule, uint64_t frame, const char *why, ...)
{
    va_list ap;
    va_start(ap, why);
    fprintf(k->expect, "alert %s %llu  # ", rule, (unsigned long long)frame);
    vfprintf(k->expect, why, ap);
    fputc('\n', k->expect);
    va_end(ap);
}

/* ---- GOOSE on layer 2 ---------------------------------------------------------------------- */

struct gpub {
    struct gs_l2_addr l2;
    uint16_t appid;
    const char *gocb_ref;
    uint32_t st, sq, conf_rev, ttl_ms;
    uint32_t t_secs, t_frac;
    bool sim;
    bool tagged;
    uint8_t key[32];
    uint32_t key_id;
    uint32_t tock;
    int16_t ttnk;
};

/* How one frame departs from the publisher's normal frame. */
struct gopt {
    bool untagged;      /* no extension (a stripped tag) */
    bool flip;          /* one bit of the tag flipped */
    const uint8_t *key; /* sign with this key instead */
    bool s_bit;         /* Reserved1 S bit */
};

static struct gpub gpub_ied1(void)
{
    struct gpub g = {.l2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x02, 0x01},
                            .dst = {0x01, 0x0c, 0xcd, 0x01, 0x02, 0x01},
                            .vlan_count = 1,
                            .vlan_id = {10},
                            .vlan_pcp = {4}},
                     .appid = 0x0201,
                     .gocb_ref = "ATKIED1/LLN0$GO$gcbPos",
                     .st = 5,
                     .conf_rev = 1,
                     .ttl_ms = 2000,
                     .t_secs = T0_S - 120,
                     .tagged = true,
                     .key_id = 11,
                     .tock = T0_S - 600,
                     .ttnk = 60};
    gs_macw_test_key(g.key, 32, 0xA0);
    return g;
}

static struct gpub gpub_ied2(void)
{
    struct gpub g = gpub_ied1();
    g.l2.src[5] = 0x02;
    g.l2.dst[5] = 0x02;
    g.appid = 0x0202;
    g.gocb_ref = "ATKIED2/LLN0$GO$gcbPos";
    g.st = 2;
    g.tagged = false;
    return g;
}

static size_t goose_apdu(uint8_t *out, const struct gpub *g)
{
    uint8_t data[64];
    struct gs_tlvw d;
    gs_tlvw_init(&d, data, sizeof(data));
    uint8_t dbpos[2] = {0x06, (g->st & 1u) != 0 ? 0x80 : 0x40};
    gs_tlvw_tlv(&d, 0x84, dbpos, 2);
    gs_tlvw_bool(&d, 0x83, (g->st & 1u) == 0);
    struct gs_goose_spec s = {.gocb_ref = g->gocb_ref,
                              .ttl_ms = g->ttl_ms,
                              .dat_set = "ATKIED/LLN0$dsPos",
                              .go_id = "ATK",
                              .t_secs = g->t_secs,
                              .t_frac = g->t_frac,
                              .t_quality = 0x0A,
                              .st_num = g->st,
                              .sq_num = g->sq,
                              .simulation = g->sim,
                              .conf_rev = g->conf_rev,
                              .entries = 2,
                              .all_data = data,
                              .all_data_len = d.n};
    return gs_goose_apdu(out, BUF, &s);
}

/* 2020 draft tagged: 30 { A4 { 80 ver, 81 TOCK, 82 TTNK, 84 KeyID, 85 MAC } }. */
static size_t ext_tagged(uint8_t *out, uint32_t tock, int16_t ttnk, uint32_t key_id,
                         const uint8_t *mac, size_t mac_len)
{
    uint8_t inner[128], mid[160];
    struct gs_tlvw a, b, w;
    gs_tlvw_init(&a, inner, sizeof(inner));
    gs_tlvw_uint(&a, 0x80, 1);
    gs_tlvw_uint_fixed(&a, 0x81, tock, 4);
    gs_tlvw_uint_fixed(&a, 0x82, (uint16_t)ttnk, 2);
    gs_tlvw_uint_fixed(&a, 0x84, key_id, 4);
    gs_tlvw_tlv(&a, 0x85, mac, mac_len);
    gs_tlvw_init(&b, mid, sizeof(mid));
    gs_tlvw_tlv(&b, 0xA4, inner, a.n);
    gs_tlvw_init(&w, out, 200);
    gs_tlvw_tlv(&w, 0x30, mid, b.n);
    return w.n;
}

/* APPID..APDU, then (tagged) the extension with an HMAC-SHA256 over EtherType..APDU end;
 * Reserved1 = S | extension length. Returns the PDU length. */
static size_t l2_secured(uint8_t *pdu, uint16_t ether_type, uint16_t appid, const uint8_t *apdu,
                         size_t apdu_len, bool s_bit, bool tagged, const uint8_t *key,
                         uint32_t key_id, size_t mac_len, uint32_t tock, int16_t ttnk, bool flip)
{
    uint16_t s = s_bit ? 0x8000 : 0;
    if (!tagged)
        return gs_l2pdu(pdu, BUF, appid, s, 0, apdu, apdu_len);
    uint8_t zero[32] = {0}, ext[200], input[BUF], mac[32];
    size_t ext_len = ext_tagged(ext, tock, ttnk, key_id, zero, mac_len);
    size_t n = gs_l2pdu(pdu, BUF, appid, (uint16_t)(s | ext_len), 0, apdu, apdu_len);
    input[0] = (uint8_t)(ether_type >> 8);
    input[1] = (uint8_t)ether_type;
    memcpy(input + 2, pdu, n);
    gs_macw_hmac_sha256(key, 32, input, n + 2, mac);
    if (flip)
        mac[mac_len - 1] ^= 0x01;
    ext_len = ext_tagged(ext, tock, ttnk, key_id, mac, mac_len);
    memcpy(pdu + n, ext, ext_len);
    return n + ext_len;
}

/* Writes the publisher's current frame and returns its frame number; sqNum moves on. */
static uint64_t goose(struct gcase *k, uint64_t ts, struct gpub *g, const struct gopt *o)
{
    static const struct gopt none;
    if (o == NULL)
        o = &none;
    uint8_t apdu[BUF], pdu[BUF];
    size_t a = goose_apdu(apdu, g);
    size_t n =
        l2_secured(pdu, ET_GOOSE, g->appid, apdu, a, o->s_bit, g->tagged && !o->untagged,
                   o->key != NULL ? o->key : g->key, g->key_id, 16, g->tock, g->ttnk, o->flip);
    gs_write_l2(&k->w, ts, &g->l2, ET_GOOSE, pdu, n);
    g->sq++;
    return ++k->frames;
}

/* A state change at `ts`: stNum + 1, sqNum 0, t = ts. */
static void goose_event(struct gpub *g, uint64_t ts)
{
    g->st++;
    g->sq = 0;
    g->t_secs = (uint32_t)(ts / S);
    g->t_frac = (uint32_t)(((ts % S) << 24) / S);
}

/* Writes a byte copy of a frame again (what a replaying attacker or a SPAN port sends). */
struct saved {
    uint8_t b[BUF];
    size_t n;
};

static uint64_t goose_saved(struct gcase *k, uint64_t ts, struct gpub *g, struct saved *out)
{
    uint8_t apdu[BUF];
    size_t a = goose_apdu(apdu, g);
    uint8_t pdu[BUF];
    size_t n = l2_secured(pdu, ET_GOOSE, g->appid, apdu, a, false, g->tagged, g->key, g->key_id, 16,
                          g->tock, g->ttnk, false);
    out->n = gs_build_ether(out->b, &g->l2, ET_GOOSE, pdu, n);
    gs_pcapw_write(&k->w, ts, out->b, out->n, out->n);
    g->sq++;
    return ++k->frames;
}

static uint64_t resend(struct gcase *k, uint64_t ts, const struct saved *s)
{
    gs_pcapw_write(&k->w, ts, s->b, s->n, s->n);
    return ++k->frames;
}

/* ---- SV on layer 2 ------------------------------------------------------------------------- */

struct mu {
    struct gs_l2_addr l2;
    uint16_t appid;
    const char *sv_id;
    uint16_t smp, wrap;
    bool tagged;
    uint8_t key[32];
    uint32_t key_id;
};

static struct mu mu_atk(void)
{
    struct mu m = {.l2 = {.src = {0x00, 0x50, 0xc2, 0x4f, 0x92, 0x01},
                          .dst = {0x01, 0x0c, 0xcd, 0x04, 0x02, 0x01},
                          .vlan_count = 1,
                          .vlan_id = {100},
                          .vlan_pcp = {4}},
                   .appid = 0x4201,
                   .sv_id = "ATKMU1",
                   .smp = 10,
                   .wrap = 4000,
                   .tagged = true,
                   .key_id = 21};
    gs_macw_test_key(m.key, 32, 0x30);
    return m;
}

/* One ASDU with smpCnt `smp` and samples that depend on `phase`; returns the frame number. */
static uint64_t sv(struct gcase *k, uint64_t ts, const struct mu *m, uint16_t smp, int phase,
                   bool flip)
{
    uint8_t seq[64];
    int32_t v[8] = {phase * 100, -phase * 100, 0, 0, 6350000 + phase, -6350000, 0, 0};
    uint32_t q[8] = {0};
    gs_sv_le_seq_data(seq, v, q);
    struct gs_sv_asdu_spec a = {.sv_id = m->sv_id,
                                .smp_cnt = smp,
                                .conf_rev = 1,
                                .smp_synch = 2,
                                .seq_data = seq,
                                .seq_len = 64};
    uint8_t apdu[BUF], pdu[BUF];
    size_t n = gs_sv_apdu(apdu, sizeof(apdu), &a, 1);
    n = l2_secured(pdu, ET_SV, m->appid, apdu, n, false, m->tagged, m->key, m->key_id, 32,
                   T0_S - 600, 60, flip);
    gs_write_l2(&k->w, ts, &m->l2, ET_SV, pdu, n);
    return ++k->frames;
}

/* ---- R-GOOSE and R-SV ---------------------------------------------------------------------- */

static const struct gs_l2_addr rl2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x03, 0x01},
                                      .dst = {0x01, 0x00, 0x5e, 0x40, 0x03, 0x01}};
#define R_SRC 0x0A000A15u /* 10.0.10.21 */
#define R_DST 0xEFC00A01u /* 239.192.10.1 */

/* R-GOOSE v1, HMAC-SHA256-128 (85 10 MAC) over SI..payload end, key id 31. */
static size_t rgoose_spdu(uint8_t *spdu, struct gpub *g, uint32_t spdu_num)
{
    uint8_t key[32], apdu[BUF], payload[BUF], mac[32];
    gs_macw_test_key(key, 32, 0x50);
    size_t a = goose_apdu(apdu, g);
    size_t p = gs_rsession_element(payload, BUF, 0x81, 0, g->appid, apdu, a);
    struct gs_rsession_spec s = {.si = 0xA1,
                                 .version = 1,
                                 .spdu_num = spdu_num,
                                 .tock = T0_S - 600,
                                 .ttnk = 60,
                                 .mac_alg = 2,
                                 .key_id = {0, 0, 0, 31}};
    size_t si, pl;
    size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
    gs_macw_hmac_sha256(key, 32, spdu + si, n - si, mac);
    spdu[n++] = 0x85;
    spdu[n++] = 16;
    memcpy(spdu + n, mac, 16);
    return n + 16;
}

static uint64_t rgoose(struct gcase *k, uint64_t ts, struct gpub *g, uint32_t spdu_num,
                       uint8_t *copy, size_t *copy_len)
{
    uint8_t spdu[BUF];
    size_t n = rgoose_spdu(spdu, g, spdu_num);
    if (copy != NULL) {
        memcpy(copy, spdu, n);
        *copy_len = n;
    }
    gs_write_udp(&k->w, ts, &rl2, R_SRC, R_DST, 50200, 102, spdu, n);
    g->sq++;
    return ++k->frames;
}

/* R-SV v2 with a 12-octet IV, AES-GMAC-128 over CLTP..payload end, key id 32. */
static uint64_t rsv(struct gcase *k, uint64_t ts, uint16_t smp, uint32_t spdu_num, bool flip)
{
    uint8_t key[16], seq[64], apdu[BUF], payload[BUF], spdu[BUF], iv[12], mac[16];
    gs_macw_test_key(key, 16, 0x70);
    int32_t v[8] = {smp, 0, 0, 0, 6350000, 0, 0, 0};
    uint32_t q[8] = {0};
    gs_sv_le_seq_data(seq, v, q);
    struct gs_sv_asdu_spec a = {.sv_id = "RATKMU1",
                                .smp_cnt = smp,
                                .conf_rev = 1,
                                .smp_synch = 2,
                                .seq_data = seq,
                                .seq_len = 64};
    size_t an = gs_sv_apdu(apdu, BUF, &a, 1);
    size_t p = gs_rsession_element(payload, BUF, 0x82, 0, 0x4301, apdu, an);
    for (int i = 0; i < 12; i++)
        iv[i] = (uint8_t)(0xE0 + i + (int)spdu_num);
    struct gs_rsession_spec s = {.si = 0xA2,
                                 .version = 2,
                                 .spdu_num = spdu_num,
                                 .tock = T0_S - 600,
                                 .ttnk = 60,
                                 .key_id = {0, 0, 0, 32},
                                 .iv = iv,
                                 .iv_len = 12};
    size_t si, pl;
    size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
    gs_macw_gmac128(key, iv, spdu, n, mac);
    if (flip)
        mac[0] ^= 0x80;
    spdu[n++] = 0x85;
    spdu[n++] = 16;
    memcpy(spdu + n, mac, 16);
    n += 16;
    gs_write_udp(&k->w, ts, &rl2, R_SRC, R_DST, 50201, 102, spdu, n);
    return ++k->frames;
}

/* ---- the cases ----------------------------------------------------------------------------- */

/* Heartbeats, a state change with fast retransmissions, a SPAN copy, a restart: nothing. */
static void goose_valid(const char *dir)
{
    struct gcase k;
    case_open(&k, dir, "goose-valid",
              "valid tagged GOOSE: heartbeats, an event with fast retransmissions (TAL 20..2000 "
              "ms), a SPAN copy 30 us after one frame, a restart to stNum 1: no alert");
    struct gpub g = gpub_ied1();
    uint64_t t = T0;
    struct saved copy;
    for (int i = 0; i < 3; i++, t += S)
        goose(&k, t, &g, NULL);
    goose_event(&g, t);
    static const uint32_t ttl[] = {20, 40, 80, 2000};
    static const uint64_t gap[] = {2, 4, 8, 1000};
    for (int i = 0; i < 4; i++) {
        g.ttl_ms = ttl[i];
        if (i == 1) {
            goose_saved(&k, t, &g, &copy);
            resend(&k, t + 30, &copy);
        } else {
            goose(&k, t, &g, NULL);
        }
        t += gap[i] * MS;
    }
    /* the IED restarts: silent 1.5 s, then stNum 1, sqNum 0, a newer t */
    t += 500 * MS;
    g.st = 0;
    goose_event(&g, t);
    for (int i = 0; i < 3; i++, t += S)
        goose(&k, t, &g, NULL);
    case_close(&k);
}

/* Frame 4 of six differs from the publisher's only as `o` says. */
static uint64_t six_with(struct gcase *k, const struct gopt *o)
{
    struct gpub g = gpub_ied1();
    uint64_t odd = 0;
    for (int i = 0; i < 6; i++) {
        uint64_t f = goose(k, T0 + (uint64_t)i * S, &g, i == 3 ? o : NULL);
        if (i == 3)
            odd = f;
    }
    return odd;
}

static void goose_tampered(const char *dir)
{
    struct gcase k;
    case_open(&k, dir, "goose-tag-bitflip", "one bit of frame 4's HMAC-SHA256-128 tag flipped");
    struct gopt flip = {.flip = true};
    uint64_t f = six_with(&k, &flip);
    expect(&k, "goose.tag_invalid", f, "no coverage candidate verifies the altered tag");
    case_close(&k);

    uint8_t wrong[32];
    gs_macw_test_key(wrong, 32, 0xEE);
    case_open(&k, dir, "goose-wrong-key", "frame 4 signed with a key that is not key id 11");
    struct gopt other = {.key = wrong};
    f = six_with(&k, &other);
    expect(&k, "goose.tag_invalid", f, "signed with another key under key id 11");
    case_close(&k);

    case_open(&k, dir, "goose-tag-stripped",
              "frame 4 sent without its 62351-6 extension by a publisher that tags every frame");
    struct gopt strip = {.untagged = true};
    f = six_with(&k, &strip);
    expect(&k, "goose.tag_missing", f, "the tagged publisher's frame has no tag (stripped)");
    case_close(&k);

    case_open(&k, dir, "goose-simulation", "frame 4 has the Reserved1 S bit set");
    struct gopt sim = {.s_bit = true};
    f = six_with(&k, &sim);
    expect(&k, "goose.simulation", f, "S bit on a live publisher");
    case_close(&k);
}

static void goose_keys(const char *dir)
{
    struct gcase k;
    /* TimeToNextKey says 1 minute in every frame, for 3.5 minutes, and the key never changes. */
    case_open(&k, dir, "goose-key-expired",
              "key id 11 announced to end in 1 minute (TimeToNextKey) and still used 210 s "
              "later; heartbeats every 30 s, TAL 65 s");
    struct gpub g = gpub_ied1();
    g.ttnk = 1;
    g.ttl_ms = 65000;
    uint64_t f = 0;
    for (int i = 0; i < 8; i++)
        f = goose(&k, T0 + (uint64_t)i * 30 * S, &g, NULL);
    expect(&k, "goose.key_stale", f,
           "210 s after the first frame announced the next key for +60 s (grace 120 s)");
    case_close(&k);

    case_open(&k, dir, "goose-key-rollback",
              "key id 11, then key id 12 from frame 4, then a frame under key id 11 again 150 s "
              "after the roll-over (tag valid under key 11): TAL 300 s");
    g = gpub_ied1();
    g.ttl_ms = 300000;
    uint64_t t = T0;
    for (int i = 0; i < 6; i++, t += S) {
        if (i == 3) {
            g.key_id = 12;
            gs_macw_test_key(g.key, 32, 0xC0);
        }
        goose(&k, t, &g, NULL);
    }
    g.key_id = 11;
    gs_macw_test_key(g.key, 32, 0xA0);
    f = goose(&k, T0 + 153 * S, &g, NULL);
    expect(&k, "goose.key_stale", f, "key id 11 after key id 12 replaced it (previous key)");
    case_close(&k);

    case_open(&k, dir, "goose-no-key",
              "a tagged publisher whose key id (99) the key store does not hold");
    g = gpub_ied1();
    g.key_id = 99;
    f = goose(&k, T0, &g, NULL);
    for (int i = 1; i < 4; i++)
        goose(&k, T0 + (uint64_t)i * S, &g, NULL);
    expect(&k, "goose.no_key", f, "once per publisher: no key for APPID 0x0201, key id 99");
    case_close(&k);
}

static void goose_sequences(const char *dir)
{
    struct gcase k;
    struct gpub g;
    struct saved s3;
    uint64_t f;

    case_open(&k, dir, "goose-replay",
              "stNum 5, sqNum 0..5 every second; frame 3 (sqNum 2) sent again byte for byte at "
              "6.5 s, then sqNum 6");
    g = gpub_ied1();
    for (int i = 0; i < 6; i++) {
        if (i == 2)
            goose_saved(&k, T0 + (uint64_t)i * S, &g, &s3);
        else
            goose(&k, T0 + (uint64_t)i * S, &g, NULL);
    }
    f = resend(&k, T0 + 6 * S + 500 * MS, &s3);
    goose(&k, T0 + 7 * S, &g, NULL);
    expect(&k, "goose.replay", f, "an earlier sqNum of the current state, same event time");
    case_close(&k);

    case_open(&k, dir, "goose-mirror",
              "every frame twice, 20 us apart (a SPAN port copying two switch ports): no alert");
    g = gpub_ied1();
    for (int i = 0; i < 5; i++) {
        struct saved c;
        goose_saved(&k, T0 + (uint64_t)i * S, &g, &c);
        resend(&k, T0 + (uint64_t)i * S + 20, &c);
    }
    case_close(&k);

    case_open(&k, dir, "goose-st-rollback",
              "stNum 10 (sqNum 0..2), then one frame claiming the older stNum 7, then stNum 10 "
              "goes on");
    g = gpub_ied1();
    g.st = 10;
    for (int i = 0; i < 3; i++)
        goose(&k, T0 + (uint64_t)i * S, &g, NULL);
    struct gpub old = g;
    old.st = 7;
    old.t_secs -= 300;
    f = goose(&k, T0 + 3 * S, &old, NULL);
    goose(&k, T0 + 3 * S + 10 * MS, &g, NULL);
    goose(&k, T0 + 4 * S, &g, NULL);
    expect(&k, "goose.st_rollback", f, "stNum 10 -> 7 without a restart (sqNum 3, older t)");
    case_close(&k);

    case_open(&k, dir, "goose-st-jump",
              "stNum 10, then stNum 60 (sqNum 0, 1, 2...): one alert, the publisher is followed");
    g = gpub_ied1();
    g.st = 10;
    for (int i = 0; i < 3; i++)
        goose(&k, T0 + (uint64_t)i * S, &g, NULL);
    g.st = 59;
    goose_event(&g, T0 + 3 * S);
    f = goose(&k, T0 + 3 * S, &g, NULL);
    for (int i = 4; i < 7; i++)
        goose(&k, T0 + (uint64_t)i * S, &g, NULL);
    expect(&k, "goose.st_jump", f, "stNum 10 -> 60");
    case_close(&k);

    case_open(&k, dir, "goose-sq-gap", "sqNum 0, 1, 2, 6, 7 within stNum 5");
    g = gpub_ied1();
    for (int i = 0; i < 3; i++)
        goose(&k, T0 + (uint64_t)i * S, &g, NULL);
    g.sq = 6;
    f = goose(&k, T0 + 3 * S, &g, NULL);
    goose(&k, T0 + 4 * S, &g, NULL);
    expect(&k, "goose.sq_gap", f, "sqNum 3..5 missing");
    case_close(&k);

    case_open(&k, dir, "goose-conf-rev", "confRev 1, then 2 from frame 4");
    g = gpub_ied1();
    for (int i = 0; i < 6; i++) {
        if (i == 3)
            g.conf_rev = 2;
        f = goose(&k, T0 + (uint64_t)i * S, &g, NULL);
        if (i == 3)
            expect(&k, "goose.conf_rev_changed", f, "confRev 1 -> 2");
    }
    case_close(&k);

    case_open(&k, dir, "goose-restart",
              "stNum 57 / sqNum 20.., silent 1.5 s, then stNum 1 sqNum 0 with a newer t (an IED "
              "restart); then the GE F650 pattern: stNum 1 sqNum 12 -> stNum 1 sqNum 1, newer t");
    g = gpub_ied1();
    g.st = 57;
    g.sq = 20;
    uint64_t t = T0;
    for (int i = 0; i < 3; i++, t += S)
        goose(&k, t, &g, NULL);
    t += 500 * MS;
    g.st = 0;
    goose_event(&g, t);
    for (int i = 0; i < 13; i++, t += 100 * MS)
        goose(&k, t, &g, NULL);
    t += S;
    g.sq = 1;
    g.t_secs = (uint32_t)(t / S);
    for (int i = 0; i < 3; i++, t += S)
        goose(&k, t, &g, NULL);
    case_close(&k);
}

static void goose_tal(const char *dir)
{
    struct gcase k;
    case_open(&k, dir, "goose-tal-expired",
              "IED1 (TAL 2 s) falls silent after 4 s while IED2 goes on every 500 ms: the "
              "silence shows at the first packet of second 7");
    struct gpub a = gpub_ied1(), b = gpub_ied2();
    uint64_t deadline = T0 + 4 * S + 2000 * MS + 10 * MS; /* last frame + TAL + slack */
    uint64_t alert_at = 0, tick_s = T0 / S;
    for (uint64_t t = T0; t <= T0 + 10 * S; t += 500 * MS) {
        if (t <= T0 + 4 * S && (t - T0) % S == 0)
            goose(&k, t, &a, NULL);
        uint64_t f = goose(&k, t + 100, &b, NULL);
        /* the engine looks at the clock at the first packet of each second */
        if ((t + 100) / S != tick_s) {
            tick_s = (t + 100) / S;
            if (alert_at == 0 && t + 100 > deadline)
                alert_at = f;
        }
    }
    expect(&k, "goose.tal_expired", alert_at, "IED1 silent past 2000 ms + 10 ms slack");
    case_close(&k);

    case_open(&k, dir, "goose-tal-late",
              "heartbeats every 100 ms with TAL 250 ms, then one frame 500 ms late (inside one "
              "second of packet time: judged when it arrives)");
    a = gpub_ied1();
    a.ttl_ms = 250;
    for (int i = 0; i < 4; i++)
        goose(&k, T0 + (uint64_t)i * 100 * MS, &a, NULL);
    uint64_t f = goose(&k, T0 + 800 * MS, &a, NULL);
    goose(&k, T0 + 900 * MS, &a, NULL);
    expect(&k, "goose.tal_expired", f, "500 ms after a frame that allowed 250 ms");
    case_close(&k);
}

static void goose_policy(const char *dir)
{
    struct gcase k;
    case_open(&k, dir, "goose-require-tags",
              "an untagged publisher on a conduit whose policy requires tags");
    fprintf(k.expect, "policy-json {\"conduits\": [{\"name\": \"C-PROC\", \"protocol\": "
                      "\"goose\", \"require\": {\"tags\": true}}]}\n");
    struct gpub g = gpub_ied2();
    uint64_t f = goose(&k, T0, &g, NULL);
    for (int i = 1; i < 4; i++)
        goose(&k, T0 + (uint64_t)i * S, &g, NULL);
    expect(&k, "goose.tag_missing", f, "conduit C-PROC requires tags (once per publisher)");
    case_close(&k);
}

static void sv_cases(const char *dir)
{
    struct gcase k;
    struct mu m = mu_atk();
    case_open(&k, dir, "sv-valid",
              "a tagged merging unit (HMAC-SHA256-256), 250 us apart, smpCnt wrapping at 4000: "
              "no alert");
    for (int i = 0; i < 30; i++)
        sv(&k, T0 + (uint64_t)i * 250, &m, (uint16_t)((3985 + i) % 4000), i, false);
    case_close(&k);

    uint64_t f = 0;
    case_open(&k, dir, "sv-smp-duplicate",
              "smpCnt 10..15, a second smpCnt 15 with other samples, then 16");
    for (int i = 0; i < 6; i++)
        sv(&k, T0 + (uint64_t)i * 250, &m, (uint16_t)(10 + i), i, false);
    f = sv(&k, T0 + 6 * 250, &m, 15, 99, false);
    sv(&k, T0 + 7 * 250, &m, 16, 6, false);
    expect(&k, "sv.smp_cnt_duplicate", f, "smpCnt 15 twice with different samples");
    case_close(&k);

    case_open(&k, dir, "sv-replay",
              "smpCnt 10..15, then the smpCnt 15 frame again byte for byte 5 ms later, then 16");
    for (int i = 0; i < 6; i++)
        sv(&k, T0 + (uint64_t)i * 250, &m, (uint16_t)(10 + i), i, false);
    f = sv(&k, T0 + 5 * 250 + 5000, &m, 15, 5, false);
    sv(&k, T0 + 5 * 250 + 5250, &m, 16, 6, false);
    expect(&k, "sv.replay", f, "the same sample, outside the 1 ms duplicate window");
    case_close(&k);

    case_open(&k, dir, "sv-smp-rollback", "smpCnt 10..15, then 5, then 16, 17");
    for (int i = 0; i < 6; i++)
        sv(&k, T0 + (uint64_t)i * 250, &m, (uint16_t)(10 + i), i, false);
    f = sv(&k, T0 + 6 * 250, &m, 5, 50, false);
    sv(&k, T0 + 7 * 250, &m, 16, 6, false);
    sv(&k, T0 + 8 * 250, &m, 17, 7, false);
    expect(&k, "sv.smp_cnt_rollback", f, "smpCnt 15 -> 5");
    case_close(&k);

    case_open(&k, dir, "sv-smp-gap", "smpCnt 10..15, then 20, 21");
    for (int i = 0; i < 6; i++)
        sv(&k, T0 + (uint64_t)i * 250, &m, (uint16_t)(10 + i), i, false);
    f = sv(&k, T0 + 11 * 250, &m, 20, 10, false);
    sv(&k, T0 + 12 * 250, &m, 21, 11, false);
    expect(&k, "sv.smp_cnt_gap", f, "smpCnt 16..19 missing");
    case_close(&k);

    case_open(&k, dir, "sv-tag-invalid", "one bit of frame 5's HMAC-SHA256-256 tag flipped");
    for (int i = 0; i < 8; i++) {
        uint64_t n = sv(&k, T0 + (uint64_t)i * 250, &m, (uint16_t)(10 + i), i, i == 4);
        if (i == 4)
            f = n;
    }
    expect(&k, "sv.tag_invalid", f, "the altered tag verifies under no coverage candidate");
    case_close(&k);
}

static void session_cases(const char *dir)
{
    struct gcase k;
    case_open(&k, dir, "rgoose-valid",
              "R-GOOSE v1 (HMAC-SHA256-128) and R-SV v2 (AES-GMAC-128), SPDU numbers rising: "
              "no alert");
    struct gpub g = gpub_ied1();
    g.appid = 0x0301;
    g.gocb_ref = "RATK1/LLN0$GO$gcbR";
    g.st = 7;
    for (int i = 0; i < 5; i++) {
        rgoose(&k, T0 + (uint64_t)i * S, &g, 100u + (uint32_t)i, NULL, NULL);
        rsv(&k, T0 + (uint64_t)i * S + 100, (uint16_t)(200 + i), 500u + (uint32_t)i, false);
    }
    case_close(&k);

    case_open(&k, dir, "rgoose-replay",
              "R-GOOSE SPDUs 100..104, then SPDU 102 again byte for byte (its tag still "
              "verifies), then 105");
    g.sq = 0;
    uint8_t copy[BUF];
    size_t copy_len = 0;
    for (int i = 0; i < 5; i++)
        rgoose(&k, T0 + (uint64_t)i * S, &g, 100u + (uint32_t)i, i == 2 ? copy : NULL,
               i == 2 ? &copy_len : NULL);
    gs_write_udp(&k.w, T0 + 5 * S, &rl2, R_SRC, R_DST, 50200, 102, copy, copy_len);
    uint64_t f = ++k.frames;
    rgoose(&k, T0 + 5 * S + 500 * MS, &g, 105, NULL, NULL);
    expect(&k, "goose.replay", f, "SPDU number 102 after 104 (the session's replay counter)");
    case_close(&k);

    case_open(&k, dir, "rsv-tag-invalid", "R-SV v2 AES-GMAC-128, SPDU 502's tag altered");
    for (int i = 0; i < 5; i++) {
        uint64_t n =
            rsv(&k, T0 + (uint64_t)i * 250, (uint16_t)(200 + i), 500u + (uint32_t)i, i == 2);
        if (i == 2)
            f = n;
    }
    expect(&k, "sv.tag_invalid", f, "GMAC over CLTP..payload end does not match");
    case_close(&k);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_goose_sv OUTDIR\n");
        return 2;
    }
    goose_valid(argv[1]);
    goose_tampered(argv[1]);
    goose_keys(argv[1]);
    goose_sequences(argv[1]);
    goose_tal(argv[1]);
    goose_policy(argv[1]);
    sv_cases(argv[1]);
    session_cases(argv[1]);
    return 0;
}
