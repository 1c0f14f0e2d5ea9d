/*
 * test_dnp3_sa_pcaps.c - cross-checks the generated SAv5 captures (pcaps/dnp3-sa/) against
 * their expectations, from the capture bytes alone: a small reference verifier, independent of
 * the generator's crypto, reads each pcap (Ethernet/IPv4/TCP, DNP3 link CRCs, transport
 * reassembly), follows the SA exchange with detectors/sa_crypto.c and the test-only key file,
 * and must find exactly the findings each <case>.expect lists, at the same frames, and verify
 * every other MAC. The same verifier runs over the real ITI captures (dnp3_sav5.md §12.1):
 * the key change and challenge reply verify, nothing is found.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3w.h"
#include "key_material.h"
#include "keystore.h"
#include "sa_crypto.h"
#include "test_support.h"

#define MAX_FRAG  2048
#define MAX_FOUND 32
#define KEY_LIFE  900000000ull  /* 900 s: opendnp3's key-change interval (dnp3_sav5.md §9) */
#define SA_SILENT 1800000000ull /* no SA message for twice that: SA has stopped */

struct finding {
    char rule[48];
    uint64_t frame;
};

struct ver {
    const struct gs_keystore *ks;
    bool started, no_key_reported, stopped_reported;
    uint16_t master, outstation;
    struct gs_ip mip, oip;
    const struct gs_key *uk;
    struct gs_key *cdsk, *mdsk, *cand_c, *cand_m;
    uint8_t v5body[128];
    size_t v5n;
    uint32_t ksq;
    uint8_t v6[512], pend_v6[512];
    size_t v6n, pend_n;
    uint8_t chal[512];
    size_t chal_n;
    uint32_t chal_csq, last_csq;
    uint8_t chal_mal;
    bool chal_open;
    uint8_t req[MAX_FRAG];
    size_t req_n;
    int crit_seq; /* SEQ of a critical request not (yet) challenged or authenticated; -1 none */
    uint32_t used[64];
    size_t n_used;
    unsigned best_rank;
    uint64_t key_time, last_sa;
    struct finding found[MAX_FOUND];
    size_t n_found;
    unsigned macs_ok;
};

static void find(struct ver *v, const char *rule, uint64_t frame)
{
    ck_assert_uint_lt(v->n_found, MAX_FOUND);
    snprintf(v->found[v->n_found].rule, sizeof(v->found[0].rule), "%s", rule);
    v->found[v->n_found++].frame = frame;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static bool csq_used(struct ver *v, uint32_t csq)
{
    for (size_t i = 0; i < v->n_used; i++) {
        if (v->used[i] == csq)
            return true;
    }
    return false;
}

static void use_csq(struct ver *v, uint32_t csq)
{
    if (v->n_used < GS_ARRAY_LEN(v->used))
        v->used[v->n_used++] = csq;
    v->last_csq = csq;
}

static enum gs_sa_verdict check(struct ver *v, unsigned mal, const struct gs_key *key,
                                uint16_t sender, uint16_t user, uint32_t csq,
                                const struct gs_sa_part *parts, size_t n, const uint8_t *mac,
                                size_t mac_len)
{
    uint8_t iv[GS_SA_GMAC_IV];
    gs_sa_crypto_gmac_iv(iv, sender, user, v->ksq, csq);
    enum gs_sa_verdict r = gs_sa_crypto_verify(mal, key, iv, parts, n, mac, mac_len);
    ck_assert_int_ne(r, GS_SA_MAC_CANNOT);
    if (r == GS_SA_MAC_OK)
        v->macs_ok++;
    return r;
}

static bool critical(uint8_t fc)
{
    return fc == 0x02 || fc == 0x03 || fc == 0x04 || fc == 0x05 || fc == 0x06;
}

/* One application fragment from the master (requests: AC FC objects). */
static void from_master(struct ver *v, const uint8_t *b, size_t n, uint64_t frame, uint64_t ts)
{
    uint8_t fc = b[1];
    bool sa = n >= 4 && b[2] == 120;
    if (!sa && v->last_sa != 0 && !v->stopped_reported && ts - v->last_sa > SA_SILENT) {
        find(v, "dnp3.sa.downgrade", frame);
        v->stopped_reported = true;
    }
    if (!sa) {
        if (critical(fc)) {
            memcpy(v->req, b, n);
            v->req_n = n;
            v->crit_seq = b[0] & 0x0F;
        }
        return;
    }
    v->last_sa = ts;
    uint8_t var = b[3];
    if (v->uk == NULL)
        return;
    if (fc == 0x20 && var == 6) {
        uint32_t ksq = le32(b + 8);
        if (ksq != v->ksq) {
            find(v, "dnp3.sa.key_change_invalid", frame);
            return;
        }
        gs_key_destroy(v->cand_c);
        gs_key_destroy(v->cand_m);
        if (gs_sa_crypto_session_keys(v->uk, b + 14, n - 14, v->v5body, v->v5n, &v->cand_c,
                                      &v->cand_m) != GS_SA_KEYS_OK) {
            find(v, "dnp3.sa.key_change_invalid", frame);
            return;
        }
        memcpy(v->pend_v6, b, n);
        v->pend_n = n;
    } else if (fc == 0x20 && var == 2) {
        if (v->cdsk == NULL || v->chal_n == 0)
            return; /* keys or challenge not seen: unverifiable */
        uint32_t csq = le32(b + 8);
        if (!v->chal_open || csq != v->chal_csq || csq_used(v, csq)) {
            find(v, "dnp3.sa.replay", frame);
            return;
        }
        v->chal_open = false;
        struct gs_sa_part p[2] = {{v->chal, v->chal_n}, {v->req, v->req_n}};
        if (check(v, v->chal_mal, v->cdsk, v->master, le16(b + 12), csq, p, 2, b + 14, n - 14) !=
            GS_SA_MAC_OK) {
            find(v, "dnp3.sa.mac_invalid", frame);
            return;
        }
        use_csq(v, csq);
        v->crit_seq = -1;
    } else if (critical(fc) && var == 3) {
        if (v->cdsk == NULL || v->chal_n == 0)
            return; /* keys or challenge not seen: unverifiable */
        uint32_t csq = le32(b + 6);
        /* The g120v9 header is the last object: 78 09 5B 01 LL LL, then LL octets of MAC. */
        size_t mlen = 0;
        for (size_t p = n - 6; p > 12 && mlen == 0; p--) {
            if (b[p] == 120 && b[p + 1] == 9 && b[p + 2] == 0x5B && b[p + 3] == 1 &&
                le16(b + p + 4) == n - p - 6)
                mlen = n - p - 6;
        }
        ck_assert_uint_eq(mlen, gs_sa_crypto_mac_len(v->chal_mal));
        if (csq_used(v, csq) || csq != v->last_csq + 1) {
            find(v, "dnp3.sa.replay", frame);
            return;
        }
        struct gs_sa_part p[2] = {{v->chal, v->chal_n}, {b, n - mlen}};
        if (check(v, v->chal_mal, v->cdsk, v->master, le16(b + 10), csq, p, 2, b + n - mlen,
                  mlen) != GS_SA_MAC_OK) {
            find(v, "dnp3.sa.mac_invalid", frame);
            return;
        }
        use_csq(v, csq);
        if (ts - v->key_time > KEY_LIFE)
            find(v, "dnp3.sa.key_expired", frame);
    }
}

/* One application fragment from the outstation (responses: AC FC IIN IIN objects). */
static void from_outstation(struct ver *v, const uint8_t *b, size_t n, uint64_t frame, uint64_t ts)
{
    uint8_t fc = b[1];
    bool sa = n >= 6 && b[4] == 120;
    if (!sa) {
        if (fc == 0x81 && v->crit_seq == (b[0] & 0x0F))
            find(v, "dnp3.sa.unauthenticated_critical", frame);
        v->crit_seq = -1;
        return;
    }
    v->last_sa = ts;
    uint8_t var = b[5];
    if (var == 7) {
        find(v, "dnp3.sa.error", frame);
        return;
    }
    if (var == 1) {
        v->crit_seq = -1;
        v->chal_mal = b[16];
        unsigned rank = gs_sa_crypto_mal_rank(b[16]);
        if (rank < v->best_rank)
            find(v, "dnp3.sa.downgrade", frame);
        if (rank > v->best_rank)
            v->best_rank = rank;
        memcpy(v->chal, b, n);
        v->chal_n = n;
        v->chal_csq = le32(b + 10);
        v->chal_open = true;
        v->last_csq = v->chal_csq;
        return;
    }
    if (var != 5 || v->uk == NULL)
        return;
    const uint8_t *o = b + 10;
    uint8_t mal = o[8];
    size_t body = 11 + le16(o + 9);
    size_t mlen = n - 10 - body;
    ck_assert_uint_eq(mlen, gs_sa_crypto_mac_len(mal));
    v->ksq = le32(o);
    if (v->pend_n != 0) {
        struct gs_sa_part p = {v->pend_v6, v->pend_n};
        if (check(v, mal, v->cand_m, v->outstation, le16(o + 4), v->last_csq, &p, 1, o + body,
                  mlen) != GS_SA_MAC_OK) {
            find(v, "dnp3.sa.key_change_invalid", frame);
        } else {
            gs_key_destroy(v->cdsk);
            gs_key_destroy(v->mdsk);
            v->cdsk = v->cand_c;
            v->mdsk = v->cand_m;
            v->cand_c = v->cand_m = NULL;
            memcpy(v->v6, v->pend_v6, v->pend_n);
            v->v6n = v->pend_n;
            v->key_time = ts;
        }
        v->pend_n = 0;
    } else if (mal != 0) {
        /* A status with KST=OK: the MAC of the last g120v6 under the current MDSK. */
        struct gs_sa_part p = {v->v6, v->v6n};
        if (check(v, mal, v->mdsk, v->outstation, le16(o + 4), v->last_csq, &p, 1, o + body,
                  mlen) != GS_SA_MAC_OK)
            find(v, "dnp3.sa.mac_invalid", frame);
    }
    memcpy(v->v5body, o, body);
    v->v5n = body;
}

static void fragment(struct ver *v, bool master, uint16_t src, uint16_t dst,
                     const struct gs_ip *sip, const struct gs_ip *dip, const uint8_t *b, size_t n,
                     uint64_t frame, uint64_t ts)
{
    if (!v->started) {
        v->started = true;
        v->master = master ? src : dst;
        v->outstation = master ? dst : src;
        v->mip = master ? *sip : *dip;
        v->oip = master ? *dip : *sip;
        v->uk = gs_keystore_dnp3(v->ks, v->master, v->outstation, 1, &v->mip, &v->oip);
        v->crit_seq = -1;
    }
    bool sa = master ? (n >= 4 && b[2] == 120) : (n >= 6 && b[4] == 120);
    if (sa && v->uk == NULL && !v->no_key_reported) {
        find(v, "dnp3.sa.no_key", frame);
        v->no_key_reported = true;
    }
    if (master)
        from_master(v, b, n, frame, ts);
    else
        from_outstation(v, b, n, frame, ts);
}

/* ---- pcap, Ethernet/IPv4/TCP, DNP3 link and transport -------------------------------------- */

struct reasm {
    uint8_t b[MAX_FRAG];
    size_t n;
    bool open;
};

static void link_frames(struct ver *v, struct reasm *r, const uint8_t *p, size_t len,
                        const struct gs_ip *sip, const struct gs_ip *dip, uint64_t frame,
                        uint64_t ts)
{
    size_t pos = 0;
    while (len - pos >= 10) {
        ck_assert(p[pos] == 0x05 && p[pos + 1] == 0x64);
        size_t user = (size_t)p[pos + 2] - 5;
        ck_assert_uint_eq(gs_dnp3w_crc(p + pos, 8), le16(p + pos + 8));
        bool master = (p[pos + 3] & 0x80) != 0;
        uint16_t dst = le16(p + pos + 4), src = le16(p + pos + 6);
        pos += 10;
        uint8_t data[256];
        size_t got = 0;
        while (got < user) {
            size_t chunk = user - got < 16 ? user - got : 16;
            ck_assert_uint_ge(len - pos, chunk + 2);
            ck_assert_uint_eq(gs_dnp3w_crc(p + pos, chunk), le16(p + pos + chunk));
            memcpy(data + got, p + pos, chunk);
            got += chunk;
            pos += chunk + 2;
        }
        uint8_t th = data[0];
        struct reasm *x = &r[master ? 0 : 1];
        if (th & 0x40) {
            x->n = 0;
            x->open = true;
        }
        ck_assert(x->open);
        memcpy(x->b + x->n, data + 1, user - 1);
        x->n += user - 1;
        if (th & 0x80) {
            x->open = false;
            fragment(v, master, src, dst, sip, dip, x->b, x->n, frame, ts);
        }
    }
}

static void read_pcap(struct ver *v, const char *path)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "%s", path);
    uint8_t hdr[24];
    ck_assert_uint_eq(fread(hdr, 1, 24, fp), 24);
    ck_assert_uint_eq(le32(hdr), 0xa1b2c3d4u);
    struct reasm r[2] = {0};
    uint8_t rec[16];
    static uint8_t pkt[65536];
    uint64_t frame = 0;
    while (fread(rec, 1, 16, fp) == 16) {
        size_t cap = le32(rec + 8);
        ck_assert_uint_le(cap, sizeof(pkt));
        ck_assert_uint_eq(fread(pkt, 1, cap, fp), cap);
        frame++;
        uint64_t ts = (uint64_t)le32(rec) * 1000000u + le32(rec + 4);
        if (cap < 54 || pkt[12] != 0x08 || pkt[13] != 0x00 || pkt[23] != 6)
            continue;
        size_t ihl = (size_t)(pkt[14] & 0x0F) * 4;
        size_t iplen = (size_t)(pkt[16] << 8 | pkt[17]);
        const uint8_t *tcp = pkt + 14 + ihl;
        size_t doff = (size_t)(tcp[12] >> 4) * 4;
        size_t plen = iplen - ihl - doff;
        if (plen == 0)
            continue;
        struct gs_ip sip = {.family = 4}, dip = {.family = 4};
        memcpy(sip.addr, pkt + 26, 4);
        memcpy(dip.addr, pkt + 30, 4);
        link_frames(v, r, tcp + doff, plen, &sip, &dip, frame, ts);
    }
    fclose(fp);
}

static struct gs_keystore *load_keys(const char *name)
{
    char path[4096], err[GS_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/%s", gs_test_source_dir(), name);
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "%s", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text), fp);
    fclose(fp);
    struct gs_keystore *ks;
    ck_assert_msg(gs_keystore_parse(text, n, path, &ks, err) == 0, "%s", err);
    return ks;
}

static void ver_free(struct ver *v)
{
    gs_key_destroy(v->cdsk);
    gs_key_destroy(v->mdsk);
    gs_key_destroy(v->cand_c);
    gs_key_destroy(v->cand_m);
}

static const char *const cases[] = {
    "sha256-valid",
    "gmac-valid",
    "sha1-valid",
    "nokey-valid",
    "sha256-reply-mac-bitflip",
    "gmac-reply-mac-bitflip",
    "sha256-reply-mac-truncated",
    "sha256-aggressive-mac-wrong",
    "sha256-reply-replayed",
    "sha256-aggressive-replayed",
    "sha256-unchallenged-operate",
    "sha256-keychange-wrong-update-key",
    "sha256-keychange-status-mismatch",
    "sha256-keychange-replayed",
    "sha256-keychange-confirm-mac-wrong",
    "sha256-mal-downgrade",
    "sha256-error-authorization",
    "sha256-keys-expired",
    "sha256-sa-stops",
};

START_TEST(test_dnp3_sa_pcaps_expectations)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/pcaps/dnp3-sa/%s.expect", gs_test_source_dir(), cases[_i]);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s", path);
    char line[512], keys[256] = "";
    struct finding want[MAX_FOUND];
    size_t n_want = 0;
    uint64_t first_sa = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        unsigned long long f;
        if (sscanf(line, "keys %255s", keys) == 1)
            continue;
        if (sscanf(line, "first_sa %llu", &f) == 1) {
            first_sa = f;
            continue;
        }
        if (sscanf(line, "alert %47s %llu", want[n_want].rule, &f) == 2)
            want[n_want++].frame = f;
    }
    fclose(fp);
    ck_assert_str_eq(keys, "keys/examples/test-only-dnp3-sa.json");
    ck_assert_uint_gt(first_sa, 0);

    struct gs_keystore *ks = load_keys(keys);
    struct ver v = {.ks = ks};
    snprintf(path, sizeof(path), "%s/pcaps/dnp3-sa/%s.pcap", gs_test_source_dir(), cases[_i]);
    read_pcap(&v, path);
    ck_assert_msg(v.n_found == n_want, "%s: found %zu findings, expected %zu", cases[_i], v.n_found,
                  n_want);
    for (size_t i = 0; i < n_want; i++) {
        ck_assert_msg(
            strcmp(v.found[i].rule, want[i].rule) == 0 && v.found[i].frame == want[i].frame,
            "%s: found %s @ %llu, expected %s @ %llu", cases[_i], v.found[i].rule,
            (unsigned long long)v.found[i].frame, want[i].rule, (unsigned long long)want[i].frame);
    }
    /* A full valid session verifies 2 key changes, 1 status MAC, 2 replies, 2 aggressive
     * MACs; every tampered one at least its key change and first reply. */
    if (strstr(cases[_i], "-valid") != NULL && strcmp(cases[_i], "nokey-valid") != 0)
        ck_assert_uint_eq(v.macs_ok, 7);
    else if (strcmp(cases[_i], "nokey-valid") != 0)
        ck_assert_uint_ge(v.macs_ok, 2);
    ver_free(&v);

    /* Without keys: nothing is verified, and no_key comes once, at first_sa. */
    struct gs_keystore *none;
    char err[GS_ERRBUF_SIZE];
    ck_assert_int_eq(gs_keystore_parse("{}", 2, "none", &none, err), 0);
    struct ver w = {.ks = none};
    read_pcap(&w, path);
    ck_assert_uint_eq(w.macs_ok, 0);
    size_t no_key = 0;
    for (size_t i = 0; i < w.n_found; i++) {
        if (strcmp(w.found[i].rule, "dnp3.sa.no_key") == 0) {
            no_key++;
            ck_assert_uint_eq(w.found[i].frame, first_sa);
        }
    }
    ck_assert_uint_eq(no_key, 1);
    ver_free(&w);
    gs_keystore_destroy(none);
    gs_keystore_destroy(ks);
}
END_TEST

START_TEST(test_dnp3_sa_pcaps_real)
{
    const char *shared = gs_test_shared_pcaps();
    if (shared == NULL) {
        fprintf(stderr, "skipped: ../shared/pcaps not found\n");
        return;
    }
    struct gs_keystore *ks = load_keys("keys/examples/test-only-iti-sav5.json");
    struct ver v = {.ks = ks};
    char path[4096];
    /* The two halves of one TCP connection, in order, as one run. */
    snprintf(path, sizeof(path),
             "%s/ITI__ICS-Security-Tools/pcaps/dnp3/auth_change_session_keys.pcap", shared);
    read_pcap(&v, path);
    ck_assert_uint_eq(v.macs_ok, 1); /* the confirming g120v5 */
    snprintf(path, sizeof(path),
             "%s/ITI__ICS-Security-Tools/pcaps/dnp3/auth_control_challenge_response.pcap", shared);
    read_pcap(&v, path);
    ck_assert_uint_eq(v.macs_ok, 2); /* and the challenge reply */
    ck_assert_uint_eq(v.n_found, 0);
    ck_assert_ptr_nonnull(v.cdsk);
    ver_free(&v);

    /* The aggressive-mode connection alone: its key change was never seen, so nothing can be
     * verified; the reference verifier reports nothing (phase 2 reports it as unverifiable). */
    struct ver a = {.ks = ks};
    snprintf(path, sizeof(path),
             "%s/ITI__ICS-Security-Tools/pcaps/dnp3/operate_aggressive_mode.pcap", shared);
    read_pcap(&a, path);
    ck_assert_uint_eq(a.macs_ok, 0);
    ck_assert_uint_eq(a.n_found, 0);
    ver_free(&a);
    gs_keystore_destroy(ks);
}
END_TEST

static Suite *suite_dnp3_sa_pcaps(void)
{
    Suite *s = suite_create("dnp3_sa_pcaps");
    TCase *tc = tcase_create("generated");
    tcase_add_loop_test(tc, test_dnp3_sa_pcaps_expectations, 0, GS_ARRAY_LEN(cases));
    tcase_add_test(tc, test_dnp3_sa_pcaps_real);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_dnp3_sa_pcaps)
