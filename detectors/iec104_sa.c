/*
 * iec104_sa.c - IEC 62351-5 secure authentication over IEC 60870-5-104 verified by a passive
 * observer (IEC TS 62351-5:2013 via IEC 60870-5-7; digests: shared/specs/iec104.md §6,
 * shared/specs/dnp3_sav5.md §5-§10 for the mechanism the two share).
 *
 *   key change   C S_KR_NA_1 (84) ---> S S_KS_NA_1 (85) {KSQ k, status} ---> C S_KC_NA_1 (86)
 *                {KSQ k, AESKW(UK, L|CDSK|MDSK|status|pad)} ---> S S_KS_NA_1 {KSQ k+1,
 *                MAC_MDSK(the S_KC_NA_1 ASDU)}
 *   challenge    C command (COT act) ---> S S_CH_NA_1 (81) {CSQ c} ---> C S_RP_NA_1 (82)
 *                {MAC_CDSK(challenge ASDU | command ASDU)} ---> S command (COT actcon)
 *   aggressive   C S_AR_NA_1 (83) {command ASDU, CSQ c+n+1, MAC_CDSK(last challenge ASDU |
 *                this ASDU up to the MAC)} ---> S command (COT actcon)
 *   (C controlling station, the TCP client; S controlled station.)
 *
 * What is uncertain for IEC 104, and how it is handled:
 *   - The MAC inputs are DNP3 SAv5's with "fragment" read as "ASDU" (type identification to
 *     the last octet, secure ASDUs with their segmentation octet). No public 104 source
 *     confirms them. So a MAC is judged invalid only after a MAC of the same association
 *     verified under that construction; before that a mismatch is unverifiable (counted).
 *   - The AES-GMAC IV is DNP3's (sender address, USR, KSQ, CSQ) with no link address in
 *     104: the common address and 0 are both tried, and the one that verifies first is kept
 *     for the association.
 *   - A key status or key change reassembled from several ASDUs has no single ASDU to MAC:
 *     the key change it confirms is then unverifiable.
 * Everything else (per-user keys, CSQ streams per challenger, trust only on the connection
 * the keys were seen on, no_key once per association) follows detectors/dnp3_sa.c.
 */
#include "iec104_sa.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "iec104.h"
#include "keystore.h"
#include "names.h"
#include "sa_crypto.h"

#define US_PER_S      1000000ull
#define ASDU_CAP      256 /* an IEC 104 ASDU is at most 249 octets */
#define MAX_MACS_SEEN 16

#define T_CH 81 /* S_CH_NA_1 challenge */
#define T_RP 82 /* S_RP_NA_1 reply */
#define T_AR 83 /* S_AR_NA_1 aggressive-mode request */
#define T_KR 84 /* S_KR_NA_1 key status request */
#define T_KS 85 /* S_KS_NA_1 key status */
#define T_KC 86 /* S_KC_NA_1 key change */
#define T_ER 87 /* S_ER_NA_1 error */
#define T_UK 93 /* S_UK_NA_1 symmetric update key change */
#define T_UA 94 /* S_UA_NA_1 asymmetric update key change */

#define COT_ACT    6
#define COT_ACTCON 7
#define KST_OK     1

enum auth { A_UNAUTH = 0, A_CHALLENGED, A_OK, A_BAD, A_UNVERIFIABLE };
enum verdict { V_OK, V_INVALID, V_UNVERIFIABLE };
enum iv_mode { IV_UNKNOWN = 0, IV_CA, IV_ZERO };

struct copy {
    uint8_t b[ASDU_CAP];
    size_t n;
    bool seen;
    uint64_t flow_id;
};

struct stream {
    struct copy chal;
    bool open, may_restart;
    uint32_t csq;
    uint8_t mal;
    uint32_t aggr_n, aggr_last;
    bool aggr_seen;
    uint64_t aggr_flow;
    unsigned best_rank, best_mal;
    bool downgraded;
};

struct user {
    uint16_t user;
    const struct gs_key *uk;
    bool uk_replaced;
    struct gs_key *cdsk, *mdsk;
    bool keys_confirmed;
    uint64_t keys_flow, keys_time_us, keys_uses;
    bool expired_reported;
    struct copy keys_kc; /* the S_KC_NA_1 that delivered cdsk/mdsk */
    struct gs_key *cand_cdsk, *cand_mdsk;
    struct copy kc; /* the S_KC_NA_1 awaiting confirmation */
    bool refused_open;
    bool ks_seen;
    uint64_t ks_flow;
    uint32_t ksq;
    uint8_t ks[ASDU_CAP]; /* the last key status message without its MAC */
    size_t ks_n;
};

struct assoc {
    struct gs_ip cip, sip; /* controlling, controlled station */
    uint16_t ca;
    struct assoc *hnext, *prev, *next;
    size_t bucket;
    bool keyed;
    bool sa_seen, stop_reported, no_key_reported;
    uint64_t last_sa_us;
    uint32_t last_csq;
    bool conv_known;           /* a MAC verified: the MAC input construction holds here */
    enum iv_mode iv_mode;      /* the AES-GMAC IV sender field that verified */
    struct stream ctl;         /* challenges by the controlled station */
    struct stream mon;         /* challenges by the controlling station */
    struct copy cmd, mon_asdu; /* the last non-secure ASDU of each side */
    bool cmd_open;
    uint8_t cmd_type;
    uint32_t cmd_ioa;
    enum auth cmd_auth;
    uint8_t macs[MAX_MACS_SEEN][GS_SA_MAX_MAC];
    uint8_t mac_len[MAX_MACS_SEEN];
    size_t n_macs, next_mac;
    struct user *users;
    size_t n_users;
};

struct counters {
    uint64_t associations_created, associations_evicted;
    uint64_t macs_verified, macs_invalid, macs_unverifiable;
    uint64_t key_changes_verified, key_changes_invalid, key_changes_unverifiable;
    uint64_t users_dropped;
};

struct det {
    const struct gs_detect_env *env;
    size_t max_assoc, max_users;
    uint64_t key_interval_us, key_max_uses, silence_us;
    struct assoc **buckets;
    size_t n_buckets;
    struct assoc *lru_head, *lru_tail;
    size_t n_assoc;
    struct counters c;
};

struct cur {
    struct det *d;
    const struct gs_pkt_ctx *ctx;
    const struct gs_iec104_asdu *asdu;
    struct assoc *a;
    bool from_controlling;
    uint64_t flow_id, now_us;
};

static const struct gs_name_map error_names[] = {
    {1, "authentication_failed"},
    {2, "unexpected_reply"},
    {3, "no_reply"},
    {4, "aggressive_mode_not_supported"},
    {5, "mac_algorithm_not_permitted"},
    {6, "key_wrap_algorithm_not_permitted"},
    {7, "authorization_failed"},
    {8, "update_key_method_not_permitted"},
    {9, "invalid_signature"},
    {10, "invalid_certification_data"},
    {11, "unknown_user"},
    {12, "max_session_key_status_requests_exceeded"},
    {0, NULL},
};

/* Critical commands (iec104.md §6.3: all control operations and time synchronisation, the
 * IEC 60870-5-7 recommendation): process commands, clock synchronisation, reset process,
 * parameters. Interrogations, reads and tests are left out, as DNP3 leaves READ out. */
static bool type_critical(uint8_t t)
{
    return (t >= 45 && t <= 64) || t == 103 || t == 105 || (t >= 110 && t <= 113);
}

static bool is_secure(uint8_t t)
{
    return t >= 81 && t <= 95;
}

/* ---- associations -------------------------------------------------------------------------- */

static size_t hash(const struct det *d, const struct gs_ip *c, const struct gs_ip *s, uint16_t ca)
{
    uint64_t h = 1469598103934665603ull;
    const struct gs_ip *ips[2] = {c, s};
    for (size_t k = 0; k < 2; k++) {
        h = (h ^ ips[k]->family) * 1099511628211ull;
        for (size_t i = 0; i < sizeof(ips[k]->addr); i++)
            h = (h ^ ips[k]->addr[i]) * 1099511628211ull;
    }
    h = (h ^ ca) * 1099511628211ull;
    return (size_t)(h & (d->n_buckets - 1));
}

static bool ip_eq(const struct gs_ip *a, const struct gs_ip *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static void lru_unlink(struct det *d, struct assoc *a)
{
    if (a->prev != NULL)
        a->prev->next = a->next;
    else
        d->lru_head = a->next;
    if (a->next != NULL)
        a->next->prev = a->prev;
    else
        d->lru_tail = a->prev;
    a->prev = a->next = NULL;
}

static void lru_front(struct det *d, struct assoc *a)
{
    a->prev = NULL;
    a->next = d->lru_head;
    if (d->lru_head != NULL)
        d->lru_head->prev = a;
    d->lru_head = a;
    if (d->lru_tail == NULL)
        d->lru_tail = a;
}

static void drop_candidates(struct user *u)
{
    gs_key_destroy(u->cand_cdsk);
    gs_key_destroy(u->cand_mdsk);
    u->cand_cdsk = u->cand_mdsk = NULL;
    u->kc.n = 0;
}

static void drop_keys(struct user *u)
{
    gs_key_destroy(u->cdsk);
    gs_key_destroy(u->mdsk);
    u->cdsk = u->mdsk = NULL;
    u->keys_confirmed = false;
    u->keys_kc.n = 0;
}

static size_t assoc_size(const struct det *d)
{
    return sizeof(struct assoc) + d->max_users * sizeof(struct user);
}

static void assoc_remove(struct det *d, struct assoc *a)
{
    struct assoc **pp = &d->buckets[a->bucket];
    while (*pp != a)
        pp = &(*pp)->hnext;
    *pp = a->hnext;
    lru_unlink(d, a);
    d->n_assoc--;
    for (size_t i = 0; i < a->n_users; i++) {
        drop_candidates(&a->users[i]);
        drop_keys(&a->users[i]);
    }
    OPENSSL_cleanse(a, assoc_size(d));
    free(a);
}

static struct assoc *assoc_get(struct cur *c)
{
    struct det *d = c->d;
    const struct gs_flow_info *fl = c->ctx->flow;
    const struct gs_ip *cip = c->from_controlling ? &fl->src : &fl->dst;
    const struct gs_ip *sip = c->from_controlling ? &fl->dst : &fl->src;
    uint16_t ca = c->asdu->ca;
    size_t b = hash(d, cip, sip, ca);
    for (struct assoc *a = d->buckets[b]; a != NULL; a = a->hnext) {
        if (a->ca == ca && ip_eq(&a->cip, cip) && ip_eq(&a->sip, sip)) {
            if (d->lru_head != a) {
                lru_unlink(d, a);
                lru_front(d, a);
            }
            return a;
        }
    }
    if (d->n_assoc >= d->max_assoc && d->lru_tail != NULL) {
        assoc_remove(d, d->lru_tail);
        d->c.associations_evicted++;
    }
    struct assoc *a = calloc(1, assoc_size(d));
    if (a == NULL)
        return NULL;
    a->cip = *cip;
    a->sip = *sip;
    a->ca = ca;
    a->users = (struct user *)(void *)(a + 1);
    /* ASDUs are kept for MACs (at most 249 octets each) when the store has 104 keys. */
    a->keyed = d->env->keys != NULL && gs_keystore_count(d->env->keys, GS_KEYS_IEC104) != 0;
    a->bucket = b;
    a->hnext = d->buckets[b];
    d->buckets[b] = a;
    lru_front(d, a);
    d->n_assoc++;
    d->c.associations_created++;
    return a;
}

static struct user *user_get(struct cur *c, uint16_t user)
{
    struct assoc *a = c->a;
    if (user == 0)
        return NULL;
    for (size_t i = 0; i < a->n_users; i++) {
        if (a->users[i].user == user)
            return &a->users[i];
    }
    if (a->n_users >= c->d->max_users) {
        c->d->c.users_dropped++;
        return NULL;
    }
    struct user *u = &a->users[a->n_users++];
    u->user = user;
    if (c->d->env->keys != NULL)
        u->uk = gs_keystore_iec104(c->d->env->keys, a->ca, user, &a->cip, &a->sip);
    return u;
}

/* ---- alerts -------------------------------------------------------------------------------- */

static void alert_begin(struct cur *c, struct gs_alert *al, const char *rule, uint16_t user,
                        uint32_t csq, uint32_t ksq, unsigned mal)
{
    const struct gs_iec104_asdu *x = c->asdu;
    gs_alert_init(al, rule, "iec104", "iec104");
    gs_alert_add_uint(al, "user", user);
    gs_alert_add_uint(al, "csq", csq);
    gs_alert_add_uint(al, "ksq", ksq);
    gs_alert_add_uint(al, "mal", mal);
    gs_alert_add_uint(al, "type_id", x->type_id);
    const char *name = gs_iec104_type_name(x->type_id);
    gs_alert_add_str(al, "type", name != NULL ? name : "unknown");
    gs_alert_add_uint(al, "ca", x->ca);
    gs_alert_add_uint(al, "cot", x->cot);
}

static void report(struct cur *c, const char *rule, const struct user *u, uint16_t user,
                   uint32_t csq, unsigned mal, const char *reason, const char *message)
{
    struct gs_alert al;
    alert_begin(c, &al, rule, user, csq, u != NULL ? u->ksq : 0, mal);
    if (reason != NULL)
        gs_alert_add_str(&al, "reason", reason);
    al.message = message;
    gs_detect_alert(c->d->env, c->ctx, &al);
}

static void check_no_key(struct cur *c, uint16_t user)
{
    struct assoc *a = c->a;
    if (a->no_key_reported)
        return;
    bool missing;
    if (c->d->env->keys == NULL) {
        missing = true;
    } else if (user != 0) {
        struct user *u = user_get(c, user);
        missing = u != NULL && u->uk == NULL;
    } else {
        missing = gs_keystore_iec104(c->d->env->keys, a->ca, 1, &a->cip, &a->sip) == NULL;
    }
    if (!missing)
        return;
    a->no_key_reported = true;
    report(c, "iec104.sa.no_key", NULL, user, 0, 0, NULL,
           "no update key for this common address or user: 62351-5 MACs here are not verified");
}

/* ---- MACs ---------------------------------------------------------------------------------- */

static void keep(struct cur *c, struct copy *k, struct gs_span bytes)
{
    k->seen = true;
    k->flow_id = c->flow_id;
    k->n = 0;
    if (bytes.len <= sizeof(k->b)) {
        memcpy(k->b, bytes.ptr, bytes.len);
        k->n = bytes.len;
    }
}

static bool mac_seen(const struct assoc *a, struct gs_span mac)
{
    if (mac.len < 4 || mac.len > GS_SA_MAX_MAC)
        return false;
    for (size_t i = 0; i < a->n_macs; i++) {
        if (a->mac_len[i] == mac.len && memcmp(a->macs[i], mac.ptr, mac.len) == 0)
            return true;
    }
    return false;
}

static void mac_remember(struct assoc *a, struct gs_span mac)
{
    if (mac.len < 4 || mac.len > GS_SA_MAX_MAC)
        return;
    memcpy(a->macs[a->next_mac], mac.ptr, mac.len);
    a->mac_len[a->next_mac] = (uint8_t)mac.len;
    a->next_mac = (a->next_mac + 1) % MAX_MACS_SEEN;
    if (a->n_macs < MAX_MACS_SEEN)
        a->n_macs++;
}

/* One MAC with `key`, trying the GMAC IV sender fields not yet ruled out. */
static enum gs_sa_verdict verify(struct cur *c, unsigned mal, const struct gs_key *key,
                                 uint16_t user, uint32_t ksq, uint32_t csq,
                                 const struct gs_sa_part *parts, size_t n, struct gs_span mac)
{
    struct assoc *a = c->a;
    if (mal != GS_SA_MAL_AES_GMAC_12)
        return gs_sa_crypto_verify(mal, key, NULL, parts, n, mac.ptr, mac.len);
    enum gs_sa_verdict best = GS_SA_MAC_CANNOT;
    for (enum iv_mode m = IV_CA; m <= IV_ZERO; m++) {
        if (a->iv_mode != IV_UNKNOWN && a->iv_mode != m)
            continue;
        uint8_t iv[GS_SA_GMAC_IV];
        gs_sa_crypto_gmac_iv(iv, m == IV_CA ? a->ca : 0, user, ksq, csq);
        enum gs_sa_verdict v = gs_sa_crypto_verify(mal, key, iv, parts, n, mac.ptr, mac.len);
        if (v == GS_SA_MAC_OK) {
            a->iv_mode = m;
            return v;
        }
        if (v != GS_SA_MAC_CANNOT)
            best = v;
    }
    return best;
}

static enum verdict judge(struct cur *c, struct user *u, bool from_controlling, unsigned mal,
                          uint32_t csq, const struct gs_sa_part *parts, size_t n,
                          struct gs_span mac, bool trusted, const char **reason)
{
    struct assoc *a = c->a;
    if (u == NULL || u->uk == NULL || gs_sa_crypto_mac_len(mal) == 0)
        return V_UNVERIFIABLE;
    if (mac.len != gs_sa_crypto_mac_len(mal)) {
        *reason = "mac_length";
        return V_INVALID;
    }
    const struct gs_key *key = from_controlling ? u->cdsk : u->mdsk;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].p == NULL)
            key = NULL;
    }
    if (key == NULL)
        return V_UNVERIFIABLE;
    enum gs_sa_verdict v = verify(c, mal, key, u->user, u->ksq, csq, parts, n, mac);
    if (v == GS_SA_MAC_OK) {
        u->keys_flow = c->flow_id;
        u->keys_confirmed = true;
        a->conv_known = true;
        return V_OK;
    }
    if (v == GS_SA_MAC_MISMATCH && trusted && a->conv_known && u->keys_confirmed &&
        u->keys_flow == c->flow_id && (mal != GS_SA_MAL_AES_GMAC_12 || a->iv_mode != IV_UNKNOWN)) {
        *reason = "mac_mismatch";
        return V_INVALID;
    }
    return V_UNVERIFIABLE;
}

static void tally(struct cur *c, enum verdict v)
{
    if (v == V_OK)
        c->d->c.macs_verified++;
    else if (v == V_INVALID)
        c->d->c.macs_invalid++;
    else
        c->d->c.macs_unverifiable++;
}

static void key_used(struct cur *c, struct user *u, uint32_t csq, unsigned mal)
{
    u->keys_uses++;
    if (u->expired_reported)
        return;
    uint64_t age = c->now_us > u->keys_time_us ? c->now_us - u->keys_time_us : 0;
    if (age <= c->d->key_interval_us && u->keys_uses <= c->d->key_max_uses)
        return;
    u->expired_reported = true;
    struct gs_alert al;
    alert_begin(c, &al, "iec104.sa.key_expired", u->user, csq, u->ksq, mal);
    gs_alert_add_uint(&al, "key_age_s", age / US_PER_S);
    gs_alert_add_uint(&al, "key_uses", u->keys_uses);
    al.message = "session keys used past iec104.sa_key_interval_s or iec104.sa_key_max_uses";
    gs_detect_alert(c->d->env, c->ctx, &al);
}

static struct gs_sa_part part_of(const struct copy *k)
{
    struct gs_sa_part p = {k->n != 0 ? k->b : NULL, k->n};
    return p;
}

/* ---- messages ------------------------------------------------------------------------------ */

static void check_downgrade(struct cur *c, struct stream *st, unsigned mal, uint32_t csq)
{
    unsigned rank = gs_sa_crypto_mal_rank(mal);
    if (st->best_rank != 0 && rank < st->best_rank) {
        if (!st->downgraded) {
            struct gs_alert al;
            alert_begin(c, &al, "iec104.sa.downgrade", 0, csq, 0, mal);
            gs_alert_add_str(&al, "reason", "weaker_mal");
            gs_alert_add_uint(&al, "previous_mal", st->best_mal);
            al.message = "a weaker MAC algorithm than this association used";
            gs_detect_alert(c->d->env, c->ctx, &al);
        }
        st->downgraded = true;
        return;
    }
    st->downgraded = false;
    if (rank > st->best_rank) {
        st->best_rank = rank;
        st->best_mal = mal;
    }
}

static void on_challenge(struct cur *c, const struct gs_iec104_sa *s)
{
    struct assoc *a = c->a;
    struct stream *st = c->from_controlling ? &a->mon : &a->ctl;
    if (st->chal.seen && st->chal.flow_id == c->flow_id && !st->may_restart && s->csq <= st->csq)
        report(c, "iec104.sa.replay", NULL, s->usr, s->csq, s->mal, "challenge_csq_not_increasing",
               "a challenge whose CSQ does not increase over the previous challenge's");
    check_downgrade(c, st, s->mal, s->csq);
    keep(c, &st->chal, c->asdu->bytes);
    st->csq = s->csq;
    st->mal = s->mal;
    st->open = true;
    st->may_restart = false;
    st->aggr_n = 0;
    st->aggr_last = s->csq;
    st->aggr_seen = true;
    st->aggr_flow = c->flow_id;
    a->last_csq = s->csq;
    if (!c->from_controlling && a->cmd_open && a->cmd_auth == A_UNAUTH)
        a->cmd_auth = A_CHALLENGED;
}

static void on_reply(struct cur *c, const struct gs_iec104_sa *s)
{
    struct assoc *a = c->a;
    struct stream *st = c->from_controlling ? &a->ctl : &a->mon;
    struct user *u = user_get(c, s->usr);
    enum auth result = A_UNVERIFIABLE;
    const char *reason = NULL;
    if (mac_seen(a, s->mac)) {
        report(c, "iec104.sa.replay", u, s->usr, s->csq, st->mal, "mac_reused",
               "an authentication reply repeats a MAC value already seen on this association");
        result = A_BAD;
    } else if (!st->chal.seen) {
        c->d->c.macs_unverifiable++;
        mac_remember(a, s->mac);
    } else if (st->open && st->chal.flow_id == c->flow_id && s->csq != st->csq) {
        report(c, "iec104.sa.replay", u, s->usr, s->csq, st->mal, "csq_mismatch",
               "an authentication reply whose CSQ is not that of the open challenge");
        result = A_BAD;
    } else if (!st->open && s->csq <= st->csq) {
        report(c, "iec104.sa.replay", u, s->usr, s->csq, st->mal, "challenge_answered",
               "an authentication reply for a challenge already answered");
        result = A_BAD;
    } else if (s->csq != st->csq) {
        c->d->c.macs_unverifiable++;
        mac_remember(a, s->mac);
    } else {
        const struct copy *target = c->from_controlling ? &a->cmd : &a->mon_asdu;
        bool trusted = st->chal.flow_id == c->flow_id && target->flow_id == c->flow_id;
        struct gs_sa_part parts[2] = {part_of(&st->chal), part_of(target)};
        enum verdict v =
            judge(c, u, c->from_controlling, st->mal, s->csq, parts, 2, s->mac, trusted, &reason);
        tally(c, v);
        if (v == V_INVALID) {
            report(c, "iec104.sa.mac_invalid", u, s->usr, s->csq, st->mal, reason,
                   "an authentication reply MAC does not verify with the session key");
            result = A_BAD;
        } else {
            st->open = false;
            mac_remember(a, s->mac);
            result = v == V_OK ? A_OK : A_UNVERIFIABLE;
            if (v == V_OK)
                key_used(c, u, s->csq, st->mal);
        }
    }
    if (c->from_controlling && a->cmd_open && a->cmd_auth == A_CHALLENGED)
        a->cmd_auth = result;
}

/* S_AR_NA_1: the command it carries, authenticated by its own MAC. */
static void on_aggressive(struct cur *c, const struct gs_iec104_sa *s)
{
    struct assoc *a = c->a;
    struct stream *st = c->from_controlling ? &a->ctl : &a->mon;
    struct user *u = user_get(c, s->usr);
    enum auth result = A_UNVERIFIABLE;
    const char *reason = NULL;
    if (mac_seen(a, s->mac)) {
        report(c, "iec104.sa.replay", u, s->usr, s->csq, st->mal, "mac_reused",
               "an aggressive-mode request repeats a MAC value already seen on this association");
        result = A_BAD;
    } else if (st->aggr_seen && st->aggr_flow == c->flow_id && s->csq <= st->aggr_last) {
        report(c, "iec104.sa.replay", u, s->usr, s->csq, st->mal, "aggressive_csq_reused",
               "an aggressive-mode CSQ at or below one already used since the last challenge");
        result = A_BAD;
    } else {
        bool beyond = st->chal.seen && s->csq != st->csq + st->aggr_n + 1;
        enum verdict v = V_UNVERIFIABLE;
        if (st->chal.seen && s->mac_in_asdu && s->mac_offset <= c->asdu->bytes.len) {
            struct gs_sa_part parts[2] = {part_of(&st->chal), {c->asdu->bytes.ptr, s->mac_offset}};
            bool trusted = !beyond && st->chal.flow_id == c->flow_id;
            v = judge(c, u, c->from_controlling, st->mal, s->csq, parts, 2, s->mac, trusted,
                      &reason);
        }
        tally(c, v);
        if (v == V_INVALID) {
            report(c, "iec104.sa.mac_invalid", u, s->usr, s->csq, st->mal, reason,
                   "an aggressive-mode MAC does not verify with the session key");
            result = A_BAD;
        } else {
            st->aggr_n++;
            st->aggr_last = s->csq;
            st->aggr_seen = true;
            st->aggr_flow = c->flow_id;
            a->last_csq = s->csq;
            mac_remember(a, s->mac);
            result = v == V_OK ? A_OK : A_UNVERIFIABLE;
            if (v == V_OK)
                key_used(c, u, s->csq, st->mal);
        }
    }
    const struct gs_iec104_asdu *cmd = s->challenged;
    if (c->from_controlling && cmd != NULL && type_critical(cmd->type_id)) {
        a->cmd_open = true;
        a->cmd_type = cmd->type_id;
        a->cmd_ioa = cmd->n_objects != 0 ? cmd->objects[0].ioa : 0;
        a->cmd_auth = result;
    }
}

static enum gs_sa_verdict ks_mac(struct cur *c, const struct gs_iec104_sa *s, struct user *u,
                                 const struct gs_key *mdsk, const struct copy *kc)
{
    if (mdsk == NULL || kc->n == 0)
        return GS_SA_MAC_CANNOT;
    struct assoc *a = c->a;
    struct gs_sa_part part = {kc->b, kc->n};
    uint32_t csqs[4] = {a->last_csq, a->ctl.csq, a->ctl.aggr_last, a->mon.csq};
    uint32_t ksqs[2] = {s->ksq, u->ksq};
    size_t n_csq = s->mal == GS_SA_MAL_AES_GMAC_12 ? 4 : 1;
    size_t n_ksq = s->mal == GS_SA_MAL_AES_GMAC_12 && u->ks_seen ? 2 : 1;
    enum gs_sa_verdict best = GS_SA_MAC_CANNOT;
    for (size_t k = 0; k < n_ksq; k++) {
        for (size_t i = 0; i < n_csq; i++) {
            enum gs_sa_verdict v =
                verify(c, s->mal, mdsk, u->user, ksqs[k], csqs[i], &part, 1, s->mac);
            if (v == GS_SA_MAC_OK)
                return v;
            if (v != GS_SA_MAC_CANNOT)
                best = v;
        }
    }
    return best;
}

static void promote(struct cur *c, struct user *u, bool confirmed)
{
    drop_keys(u);
    u->cdsk = u->cand_cdsk;
    u->mdsk = u->cand_mdsk;
    u->cand_cdsk = u->cand_mdsk = NULL;
    u->keys_kc = u->kc;
    u->kc.n = 0;
    u->keys_confirmed = confirmed;
    u->keys_flow = c->flow_id;
    u->keys_time_us = c->now_us;
    u->keys_uses = 0;
    u->expired_reported = false;
}

static void on_key_status(struct cur *c, const struct gs_iec104_sa *s)
{
    struct assoc *a = c->a;
    struct det *d = c->d;
    struct user *u = user_get(c, s->usr);
    if (s->kst != KST_OK) {
        a->ctl.may_restart = true;
        a->mon.may_restart = true;
    }
    if (s->mal != 0)
        check_downgrade(c, &a->ctl, s->mal, a->last_csq);
    if (u == NULL)
        return;
    if (u->ks_seen && u->ks_flow == c->flow_id && s->kst == KST_OK && u->ksq != 0 &&
        s->ksq <= u->ksq) {
        report(c, "iec104.sa.replay", u, s->usr, a->last_csq, s->mal, "ksq_not_increasing",
               "a key status whose KSQ does not increase over the previous one");
        return;
    }
    if (u->uk != NULL) {
        bool confirming = u->cand_mdsk != NULL;
        if (confirming && s->kst == KST_OK && s->mac.len != 0) {
            enum gs_sa_verdict v = ks_mac(c, s, u, u->cand_mdsk, &u->kc);
            if (v == GS_SA_MAC_OK) {
                d->c.macs_verified++;
                d->c.key_changes_verified++;
                a->conv_known = true;
                promote(c, u, true);
            } else if (ks_mac(c, s, u, u->mdsk, &u->keys_kc) == GS_SA_MAC_OK) {
                d->c.macs_verified++;
                drop_candidates(u);
            } else if (v == GS_SA_MAC_CANNOT || !a->conv_known) {
                /* The unwrap and key status check passed; the confirming MAC's input is
                 * not known to hold here yet: keys taken, unconfirmed. */
                d->c.key_changes_unverifiable++;
                promote(c, u, false);
            } else {
                d->c.key_changes_invalid++;
                report(c, "iec104.sa.key_change_invalid", u, s->usr, a->last_csq, s->mal,
                       "confirm_mac",
                       "the key status confirming a session key change carries a MAC that "
                       "does not verify with the new monitoring-direction key");
                drop_candidates(u);
            }
        } else if (confirming && s->kst == KST_OK) {
            d->c.key_changes_unverifiable++;
            promote(c, u, false);
        } else {
            drop_candidates(u);
            if (s->kst == KST_OK && s->mac.len != 0) {
                enum gs_sa_verdict v = ks_mac(c, s, u, u->mdsk, &u->keys_kc);
                if (v == GS_SA_MAC_OK) {
                    d->c.macs_verified++;
                } else if (v != GS_SA_MAC_CANNOT && !u->refused_open && a->conv_known &&
                           u->keys_confirmed && u->keys_flow == c->flow_id) {
                    d->c.macs_invalid++;
                    report(c, "iec104.sa.mac_invalid", u, s->usr, a->last_csq, s->mal,
                           "mac_mismatch",
                           "a key status MAC does not verify with the monitoring-direction key");
                } else {
                    d->c.macs_unverifiable++;
                    if (u->refused_open)
                        drop_keys(u);
                }
            }
        }
    }
    u->refused_open = false;
    u->ks_seen = true;
    u->ks_flow = c->flow_id;
    u->ksq = s->ksq;
    u->ks_n = 0;
    if (s->message.len >= s->mac.len && s->message.len - s->mac.len <= sizeof(u->ks)) {
        u->ks_n = s->message.len - s->mac.len;
        memcpy(u->ks, s->message.ptr, u->ks_n);
    }
}

static void on_key_change(struct cur *c, const struct gs_iec104_sa *s)
{
    struct det *d = c->d;
    struct user *u = user_get(c, s->usr);
    if (u == NULL || u->uk == NULL)
        return;
    drop_candidates(u);
    u->refused_open = false;
    bool status_known = u->ks_seen && u->ks_flow == c->flow_id;
    const char *why = NULL;
    if (status_known && s->ksq != u->ksq) {
        why = "ksq_mismatch";
    } else if (status_known && u->ks_n == 0) {
        d->c.key_changes_unverifiable++;
        return;
    } else {
        struct gs_key *cdsk = NULL, *mdsk = NULL;
        enum gs_sa_keychange rc = gs_sa_crypto_session_keys(
            u->uk, s->wrapped_key.ptr, s->wrapped_key.len, status_known ? u->ks : NULL,
            status_known ? u->ks_n : 0, &cdsk, &mdsk);
        if (rc == GS_SA_KEYS_OK) {
            u->cand_cdsk = cdsk;
            u->cand_mdsk = mdsk;
            if (s->reassembled)
                u->kc.n = 0; /* no single ASDU for the confirming MAC */
            else
                keep(c, &u->kc, c->asdu->bytes);
            return;
        }
        if (rc == GS_SA_KEYS_UNWRAP_FAILED)
            why = "unwrap_failed";
        else if (rc == GS_SA_KEYS_BAD_LAYOUT)
            why = "bad_layout";
        else if (rc == GS_SA_KEYS_STATUS_MISMATCH)
            why = "key_status_mismatch";
        if (why == NULL || u->uk_replaced) {
            d->c.key_changes_unverifiable++;
            return;
        }
    }
    d->c.key_changes_invalid++;
    u->refused_open = true;
    report(c, "iec104.sa.key_change_invalid", u, s->usr, c->a->last_csq, 0, why,
           "a session key change that does not verify (KSQ, RFC 3394 integrity, layout or "
           "embedded key status)");
}

static void on_error(struct cur *c, const struct gs_iec104_sa *s)
{
    struct user *u = user_get(c, s->usr);
    struct gs_alert al;
    alert_begin(c, &al, "iec104.sa.error", s->usr, s->csq, u != NULL ? u->ksq : 0, 0);
    gs_alert_add_uint(&al, "error_code", s->err);
    gs_alert_add_str(&al, "error", gs_name_lookup(error_names, s->err, "unknown"));
    gs_alert_add_uint(&al, "assoc_id", s->aid);
    al.message = "an authentication error ASDU (S_ER_NA_1)";
    gs_detect_alert(c->d->env, c->ctx, &al);
}

/* A standard (non-secure) ASDU. */
static void on_plain(struct cur *c)
{
    struct assoc *a = c->a;
    const struct gs_iec104_asdu *x = c->asdu;
    uint32_t ioa = x->n_objects != 0 ? x->objects[0].ioa : 0;
    if (c->from_controlling) {
        if (a->keyed)
            keep(c, &a->cmd, x->bytes);
        if (type_critical(x->type_id) && x->cot == COT_ACT) {
            a->cmd_open = true;
            a->cmd_type = x->type_id;
            a->cmd_ioa = ioa;
            a->cmd_auth = A_UNAUTH;
        }
        return;
    }
    if (a->keyed)
        keep(c, &a->mon_asdu, x->bytes);
    if (!a->cmd_open || x->type_id != a->cmd_type || x->cot != COT_ACTCON || ioa != a->cmd_ioa)
        return;
    a->cmd_open = false;
    if (x->negative || !a->sa_seen)
        return;
    if (a->cmd_auth != A_UNAUTH && a->cmd_auth != A_CHALLENGED && a->cmd_auth != A_BAD)
        return;
    struct gs_alert al;
    alert_begin(c, &al, "iec104.sa.unauthenticated_critical", 0, a->ctl.csq, 0, a->ctl.mal);
    gs_alert_add_uint(&al, "ioa", ioa);
    gs_alert_add_str(&al, "reason",
                     a->cmd_auth == A_UNAUTH       ? "not_challenged"
                     : a->cmd_auth == A_CHALLENGED ? "challenge_not_answered"
                                                   : "authentication_failed");
    al.message = "the controlled station confirmed a critical command that was not authenticated";
    gs_detect_alert(c->d->env, c->ctx, &al);
}

static void check_silence(struct cur *c, bool secure)
{
    struct assoc *a = c->a;
    if (secure) {
        a->sa_seen = true;
        a->last_sa_us = c->now_us;
        a->stop_reported = false;
        return;
    }
    if (!a->sa_seen || a->stop_reported || c->now_us <= a->last_sa_us ||
        c->now_us - a->last_sa_us <= c->d->silence_us)
        return;
    a->stop_reported = true;
    struct gs_alert al;
    alert_begin(c, &al, "iec104.sa.downgrade", 0, a->last_csq, 0, a->ctl.best_mal);
    gs_alert_add_str(&al, "reason", "sa_stopped");
    gs_alert_add_uint(&al, "silence_s", (c->now_us - a->last_sa_us) / US_PER_S);
    al.message = "IEC 104 traffic continues without 62351-5 ASDUs on an association that used them";
    gs_detect_alert(c->d->env, c->ctx, &al);
}

static void on_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    const struct gs_iec104_event *e = ev->body;
    if (ev->type != GS_EVENT_IEC104 || ctx->flow == NULL || e->asdu == NULL || e->asdu->truncated ||
        !e->asdu->has_ca)
        return;
    struct cur c = {.d = state,
                    .ctx = ctx,
                    .asdu = e->asdu,
                    .from_controlling = ctx->flow->dir == GS_DIR_TO_SERVER,
                    .flow_id = ctx->flow->flow_id,
                    .now_us = ctx->ts_us};
    c.a = assoc_get(&c);
    if (c.a == NULL)
        return;
    const struct gs_iec104_asdu *x = e->asdu;
    bool secure = is_secure(x->type_id);
    check_silence(&c, secure);
    if (!secure) {
        on_plain(&c);
        return;
    }
    const struct gs_iec104_sa *s = x->sa;
    if (s == NULL || !s->complete)
        return; /* a segment of a longer message, or malformed */
    check_no_key(&c, s->has_usr ? s->usr : 0);
    switch (x->type_id) {
    case T_CH:
        on_challenge(&c, s);
        break;
    case T_RP:
        on_reply(&c, s);
        break;
    case T_AR:
        on_aggressive(&c, s);
        break;
    case T_KR: {
        struct user *u = user_get(&c, s->usr);
        c.a->mon.may_restart = true;
        if (u != NULL)
            drop_candidates(u);
        break;
    }
    case T_KS:
        if (!c.from_controlling)
            on_key_status(&c, s);
        break;
    case T_KC:
        if (c.from_controlling)
            on_key_change(&c, s);
        break;
    case T_ER:
        on_error(&c, s);
        break;
    case T_UK:
    case T_UA: {
        struct user *u = user_get(&c, s->usr);
        if (u != NULL)
            u->uk_replaced = true;
        break;
    }
    default:
        break;
    }
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static void destroy(void *state)
{
    struct det *d = state;
    if (d == NULL)
        return;
    while (d->lru_head != NULL)
        assoc_remove(d, d->lru_head);
    free(d->buckets);
    free(d);
}

static int create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    struct det *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "iec104_sa: out of memory");
        return -1;
    }
    const struct gs_config *cfg = env->cfg;
    d->env = env;
    d->max_assoc = cfg->iec104_max_sa_associations;
    d->max_users = cfg->iec104_max_sa_users;
    d->key_interval_us = (uint64_t)cfg->iec104_sa_key_interval_s * US_PER_S;
    d->key_max_uses = cfg->iec104_sa_key_max_uses;
    d->silence_us = (uint64_t)cfg->iec104_sa_silence_s * US_PER_S;
    d->n_buckets = 16;
    while (d->n_buckets < d->max_assoc && d->n_buckets < ((size_t)1 << 20))
        d->n_buckets <<= 1;
    d->buckets = calloc(d->n_buckets, sizeof(*d->buckets));
    if (d->buckets == NULL) {
        free(d);
        snprintf(errbuf, GS_ERRBUF_SIZE, "iec104_sa: out of memory");
        return -1;
    }
    *state = d;
    return 0;
}

static void counters(const void *state, gs_counter_fn *add, void *arg)
{
    const struct det *d = state;
    add(arg, "associations", d->n_assoc);
    add(arg, "associations_created", d->c.associations_created);
    add(arg, "associations_evicted", d->c.associations_evicted);
    add(arg, "macs_verified", d->c.macs_verified);
    add(arg, "macs_invalid", d->c.macs_invalid);
    add(arg, "macs_unverifiable", d->c.macs_unverifiable);
    add(arg, "key_changes_verified", d->c.key_changes_verified);
    add(arg, "key_changes_invalid", d->c.key_changes_invalid);
    add(arg, "key_changes_unverifiable", d->c.key_changes_unverifiable);
    add(arg, "users_dropped", d->c.users_dropped);
}

const struct gs_detector gs_iec104_sa_detector = {
    .name = "iec104_sa",
    .event_mask = GS_EVENT_BIT(GS_EVENT_IEC104),
    .create = create,
    .destroy = destroy,
    .on_event = on_event,
    .on_time = NULL,
    .counters = counters,
};
