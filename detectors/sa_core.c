/*
 * sa_core.c - the Secure Authentication mechanism DNP3 SAv5 and IEC 104 share, followed by a
 * passive observer (IEC TS 62351-5:2013; digest: shared/specs/dnp3_sav5.md §5-§10). See
 * sa_core.h for what the adapters map onto it.
 *
 *   key change   F key status request ---> O key status {KSQ k, body} ---> F key change
 *                {KSQ k, AESKW(UK, L|CDSK|MDSK|body|pad)} ---> O key status {KSQ k+1,
 *                MAC_MDSK(the key change message)}  (keys confirmed)
 *   challenge    F request ---> O challenge {CSQ c, MAL} ---> F reply {CSQ c,
 *                MAC_CDSK(challenge | request)} ---> O answer (executed)
 *   aggressive   F [CSQ c+n+1 | request | MAC_CDSK(last challenge | this message up to the MAC)]
 *   (F the first side, O the other; and the same the other way with the MDSK.)
 *
 * Each user (USR) of an association has its own update key (from the key store), KSQ, last
 * key status body and session keys. Challenges are tracked per challenger, each with its own
 * CSQ stream and the aggressive-mode CSQs answering it, because Triangle MicroWorks numbers
 * challenges apart from aggressive requests (after challenge 1 and aggressive 2 and 3, the
 * next challenge may be CSQ 2 again).
 *
 * A MAC is judged only when it can be: with the session keys learned from a key change the
 * sensor saw and verified (or confirmed since by a MAC that verified under them), the
 * challenge and the challenged message copied on the same connection. A failure under those
 * conditions is invalid; a failure without them (keys learned on another connection, a
 * challenge or CSQ never seen, a message too long to keep) is counted as unverifiable, never
 * called invalid. A success always counts, and re-establishes the keys on the connection it
 * was seen on.
 *
 * Messages are copied only on associations the key store may verify (nothing else can check
 * a MAC); the rules that need no key (downgrades, errors, CSQ/KSQ reuse and byte-identical
 * replays) apply to every association.
 */
#include "sa_core.h"

#include "policy.h"

#include <openssl/crypto.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "keystore.h"
#include "names.h"

#define US_PER_S      1000000ull
#define KST_OK        1 /* key status OK (dnp3_sav5.md §4.3) */
#define N_STATUS_CSQS 5 /* CSQs a key status AES-GMAC IV may carry */

/* What a MAC check concluded. */
enum verdict {
    V_OK,
    V_BAD_LENGTH,   /* invalid: not the MAL's length */
    V_MISMATCH,     /* invalid: does not verify, every input trusted */
    V_UNVERIFIABLE, /* cannot be judged */
};

#define V_INVALID(v) ((v) == V_BAD_LENGTH || (v) == V_MISMATCH)

/* The AES-GMAC IV sender field that verified (profile->learn_conventions). */
enum iv_mode { IV_UNKNOWN = 0, IV_ADDR, IV_ZERO };

struct gs_sa_user {
    uint16_t user;
    const struct gs_key *uk; /* the store's update key; NULL: none */
    bool uk_replaced;        /* an update key change was seen: uk may be stale */
    /* session keys in use */
    struct gs_key *cdsk, *mdsk;
    bool keys_confirmed; /* by the other side's MAC over the key change, or a MAC verified */
    uint64_t keys_flow;  /* connection they were confirmed or last verified on */
    uint64_t keys_time_us;
    uint64_t keys_uses;
    bool expired_reported;
    struct gs_sa_copy keys_kc; /* the key change message that delivered them */
    /* keys of the last key change, until the other side confirms them */
    struct gs_key *cand_cdsk, *cand_mdsk;
    uint8_t cand_seq;
    struct gs_sa_copy kc; /* that key change message */
    /* a key change the sensor refused: the answer to it cannot be judged */
    bool refused_open;
    uint8_t refused_seq;
    /* the last key status */
    bool ks_seen;
    uint64_t ks_flow;
    uint32_t ksq;
    struct gs_sa_copy ks; /* its body; n 0 when it did not fit */
};

struct gs_sa_core {
    const struct gs_sa_profile *p;
    const struct gs_detect_env *env;
    struct gs_sa_limits lim;
    uint64_t key_interval_us, silence_us;
    /* One allocation per association: the struct, ext, users, copies, the users' buffers,
     * then (keyed only) the buffers of the two streams' challenges and of the copies. */
    size_t off_ext, off_users, off_copies, off_user_bufs, user_buf, off_copy_bufs;
    struct gs_sa_assoc **buckets;
    size_t n_buckets;
    struct gs_sa_assoc *lru_head, *lru_tail;
    size_t n_assoc;
    struct gs_sa_counters c;
};

/* Error codes of the authentication error message (g120v7 / S_ER_NA_1). */
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

/* ---- associations -------------------------------------------------------------------------- */

static size_t align_up(size_t n)
{
    size_t a = alignof(max_align_t);
    return (n + a - 1) / a * a;
}

static size_t assoc_size(const struct gs_sa_core *d, bool keyed)
{
    return d->off_copy_bufs + (keyed ? (2 + d->p->n_copies) * d->lim.copy_cap : 0);
}

static size_t assoc_hash(const struct gs_sa_core *d, const struct gs_ip *ip0,
                         const struct gs_ip *ip1, uint16_t addr0, uint16_t addr1)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    const struct gs_ip *ips[2] = {ip0, ip1};
    for (size_t k = 0; k < 2; k++) {
        h = (h ^ ips[k]->family) * 1099511628211ull;
        for (size_t i = 0; i < sizeof(ips[k]->addr); i++)
            h = (h ^ ips[k]->addr[i]) * 1099511628211ull;
    }
    h = (h ^ addr0) * 1099511628211ull;
    h = (h ^ addr1) * 1099511628211ull;
    return (size_t)(h & (d->n_buckets - 1));
}

static bool ip_eq(const struct gs_ip *a, const struct gs_ip *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static void lru_unlink(struct gs_sa_core *d, struct gs_sa_assoc *a)
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

static void lru_push_front(struct gs_sa_core *d, struct gs_sa_assoc *a)
{
    a->prev = NULL;
    a->next = d->lru_head;
    if (d->lru_head != NULL)
        d->lru_head->prev = a;
    d->lru_head = a;
    if (d->lru_tail == NULL)
        d->lru_tail = a;
}

static void user_drop_candidates(struct gs_sa_user *u)
{
    gs_key_destroy(u->cand_cdsk);
    gs_key_destroy(u->cand_mdsk);
    u->cand_cdsk = u->cand_mdsk = NULL;
    u->kc.n = 0;
}

static void user_drop_keys(struct gs_sa_user *u)
{
    gs_key_destroy(u->cdsk);
    gs_key_destroy(u->mdsk);
    u->cdsk = u->mdsk = NULL;
    u->keys_confirmed = false;
    u->keys_kc.n = 0;
}

/* Frees an association and every key it holds. The copies carry MACs and wrapped keys, not
 * keys, but are cleared as well. */
static void assoc_free(struct gs_sa_core *d, struct gs_sa_assoc *a)
{
    for (size_t i = 0; i < a->n_users; i++) {
        user_drop_candidates(&a->users[i]);
        user_drop_keys(&a->users[i]);
    }
    OPENSSL_cleanse(a, assoc_size(d, a->keyed));
    free(a);
}

static void assoc_remove(struct gs_sa_core *d, struct gs_sa_assoc *a)
{
    struct gs_sa_assoc **pp = &d->buckets[a->bucket];
    while (*pp != a)
        pp = &(*pp)->hnext;
    *pp = a->hnext;
    lru_unlink(d, a);
    d->n_assoc--;
    assoc_free(d, a);
}

static struct gs_sa_assoc *assoc_create(struct gs_sa_core *d, const struct gs_ip *ip0,
                                        const struct gs_ip *ip1, const uint16_t addr[2], size_t b)
{
    if (d->n_assoc >= d->lim.max_assoc && d->lru_tail != NULL) {
        assoc_remove(d, d->lru_tail);
        d->c.associations_evicted++;
    }
    const struct gs_keystore *ks = d->env->keys;
    bool keyed = ks != NULL && d->p->keyed(ks, addr);
    uint8_t *mem = calloc(1, assoc_size(d, keyed));
    if (mem == NULL)
        return NULL;
    struct gs_sa_assoc *a = (struct gs_sa_assoc *)(void *)mem;
    a->ip[0] = *ip0;
    a->ip[1] = *ip1;
    a->addr[0] = addr[0];
    a->addr[1] = addr[1];
    a->keyed = keyed;
    a->conv_known = !d->p->learn_conventions; /* standard MAC inputs hold from the start */
    a->ext = mem + d->off_ext;
    a->users = (struct gs_sa_user *)(void *)(mem + d->off_users);
    a->copies = (struct gs_sa_copy *)(void *)(mem + d->off_copies);
    if (keyed) {
        uint8_t *buf = mem + d->off_copy_bufs;
        size_t cap = d->lim.copy_cap;
        a->ctl.chal.b = buf;
        a->mon.chal.b = buf + cap;
        for (size_t i = 0; i < d->p->n_copies; i++)
            a->copies[i].b = buf + (2 + i) * cap;
    }
    a->bucket = b;
    a->hnext = d->buckets[b];
    d->buckets[b] = a;
    lru_push_front(d, a);
    d->n_assoc++;
    d->c.associations_created++;
    return a;
}

bool gs_sa_core_begin(struct gs_sa_cur *c, struct gs_sa_core *d, const struct gs_pkt_ctx *ctx,
                      const void *ev, const struct gs_ip *ip_first, const struct gs_ip *ip_other,
                      uint16_t addr_first, uint16_t addr_other)
{
    *c = (struct gs_sa_cur){
        .core = d, .ctx = ctx, .ev = ev, .flow_id = ctx->flow->flow_id, .now_us = ctx->ts_us};
    size_t b = assoc_hash(d, ip_first, ip_other, addr_first, addr_other);
    for (struct gs_sa_assoc *a = d->buckets[b]; a != NULL; a = a->hnext) {
        if (a->addr[0] == addr_first && a->addr[1] == addr_other && ip_eq(&a->ip[0], ip_first) &&
            ip_eq(&a->ip[1], ip_other)) {
            if (d->lru_head != a) {
                lru_unlink(d, a);
                lru_push_front(d, a);
            }
            c->a = a;
            return true;
        }
    }
    const uint16_t addr[2] = {addr_first, addr_other};
    c->a = assoc_create(d, ip_first, ip_other, addr, b);
    return c->a != NULL;
}

/* The user's state, created on first sight; NULL for user 0 (unknown) or when the
 * association already follows max_users users. */
static struct gs_sa_user *user_get(struct gs_sa_cur *c, uint16_t user)
{
    struct gs_sa_core *d = c->core;
    struct gs_sa_assoc *a = c->a;
    if (user == 0)
        return NULL;
    for (size_t i = 0; i < a->n_users; i++) {
        if (a->users[i].user == user)
            return &a->users[i];
    }
    if (a->n_users >= d->lim.max_users) {
        d->c.users_dropped++;
        return NULL;
    }
    uint8_t *buf = (uint8_t *)(void *)a + d->off_user_bufs + a->n_users * d->user_buf;
    struct gs_sa_user *u = &a->users[a->n_users++];
    u->user = user;
    u->ks.b = buf;
    u->kc.b = buf + d->p->status_cap;
    u->keys_kc.b = buf + d->p->status_cap + d->p->change_cap;
    const struct gs_keystore *ks = d->env->keys;
    if (ks != NULL)
        u->uk = d->p->update_key(ks, a, user);
    return u;
}

/* ---- alerts -------------------------------------------------------------------------------- */

void gs_sa_core_alert_begin(const struct gs_sa_cur *c, struct gs_alert *al, const char *rule,
                            uint16_t user, uint32_t csq, uint32_t ksq, unsigned mal)
{
    const struct gs_sa_profile *p = c->core->p;
    gs_alert_init(al, rule, p->app_proto, p->app_proto);
    gs_alert_add_uint(al, "user", user);
    gs_alert_add_uint(al, "csq", csq);
    gs_alert_add_uint(al, "ksq", ksq);
    gs_alert_add_uint(al, "mal", mal);
    p->alert_fields(c, al);
}

void gs_sa_core_alert_send(const struct gs_sa_cur *c, struct gs_alert *al, const char *message)
{
    al->message = message;
    /* The conduit the association's connection belongs to, as other detectors name it. */
    const struct gs_flow_info *f = c->ctx->flow;
    if (f != NULL && c->core->env->policy != NULL) {
        bool to_server = f->dir == GS_DIR_TO_SERVER;
        const struct gs_policy_conduit *conduit = gs_policy_match(
            c->core->env->policy, to_server ? &f->src : &f->dst, to_server ? &f->dst : &f->src,
            to_server ? f->dst_port : f->src_port, c->core->p->app_proto);
        if (conduit != NULL)
            al->conduit = conduit->name;
    }
    gs_detect_alert(c->core->env, c->ctx, al);
}

/* Starts the alert of a finding: the common fields, then its reason. */
static void finding_begin(const struct gs_sa_cur *c, struct gs_alert *al, enum gs_sa_finding f,
                          uint16_t user, uint32_t csq, uint32_t ksq, unsigned mal)
{
    const struct gs_sa_text *t = &c->core->p->texts[f];
    gs_sa_core_alert_begin(c, al, t->rule, user, csq, ksq, mal);
    if (t->reason != NULL)
        gs_alert_add_str(al, "reason", t->reason);
}

static void finding_send(const struct gs_sa_cur *c, struct gs_alert *al, enum gs_sa_finding f)
{
    gs_sa_core_alert_send(c, al, c->core->p->texts[f].message);
}

static uint32_t user_ksq(const struct gs_sa_user *u)
{
    return u != NULL ? u->ksq : 0;
}

/* A finding about one SA message, with no fields of its own. */
static void report(struct gs_sa_cur *c, enum gs_sa_finding f, const struct gs_sa_user *u,
                   uint16_t user, uint32_t csq, unsigned mal)
{
    struct gs_alert al;
    finding_begin(c, &al, f, user, csq, user_ksq(u), mal);
    finding_send(c, &al, f);
}

const char *gs_sa_core_unauth_reason(enum gs_sa_auth auth)
{
    switch (auth) {
    case GS_SA_UNAUTH:
        return "not_challenged";
    case GS_SA_CHALLENGED:
        return "challenge_not_answered";
    case GS_SA_AUTH_BAD:
        return "authentication_failed";
    default:
        return NULL;
    }
}

void gs_sa_core_no_key(struct gs_sa_cur *c, uint16_t user)
{
    const struct gs_sa_profile *p = c->core->p;
    struct gs_sa_assoc *a = c->a;
    if (a->no_key_reported)
        return;
    const struct gs_keystore *ks = c->core->env->keys;
    bool missing;
    if (ks == NULL || (p->keyed_per_association && !a->keyed)) {
        missing = true;
    } else if (user != 0) {
        struct gs_sa_user *u = user_get(c, user);
        missing = u != NULL && u->uk == NULL;
    } else if (p->no_key_default_user != 0) {
        missing = p->update_key(ks, a, p->no_key_default_user) == NULL;
    } else {
        missing = false; /* decided by the first message that names a user */
    }
    if (!missing)
        return;
    a->no_key_reported = true;
    report(c, ks == NULL ? GS_SA_F_NO_KEY_STORE : GS_SA_F_NO_KEY, NULL, user, 0, 0);
}

void gs_sa_core_silence(struct gs_sa_cur *c, bool sa)
{
    struct gs_sa_assoc *a = c->a;
    if (sa) {
        a->sa_seen = true;
        a->last_sa_us = c->now_us;
        a->stop_reported = false;
        return;
    }
    if (!a->sa_seen || a->stop_reported || c->now_us <= a->last_sa_us ||
        c->now_us - a->last_sa_us <= c->core->silence_us)
        return;
    a->stop_reported = true;
    struct gs_alert al;
    finding_begin(c, &al, GS_SA_F_SA_STOPPED, 0, a->last_csq, 0, a->ctl.best_mal);
    gs_alert_add_uint(&al, "silence_s", (c->now_us - a->last_sa_us) / US_PER_S);
    finding_send(c, &al, GS_SA_F_SA_STOPPED);
}

/* ---- copies and MACs ----------------------------------------------------------------------- */

void gs_sa_core_keep(struct gs_sa_cur *c, struct gs_sa_copy *k, struct gs_span bytes, uint8_t seq)
{
    k->seen = true;
    k->n = 0;
    k->flow_id = c->flow_id;
    k->seq = seq;
    if (k->b == NULL || bytes.len == 0)
        return;
    if (bytes.len > c->core->lim.copy_cap) {
        c->core->c.copies_too_long++;
        return;
    }
    memcpy(k->b, bytes.ptr, bytes.len);
    k->n = bytes.len;
}

static struct gs_sa_part part_of(const struct gs_sa_copy *k)
{
    struct gs_sa_part p = {k->n != 0 ? k->b : NULL, k->n};
    return p;
}

static bool mac_seen(const struct gs_sa_assoc *a, struct gs_span mac)
{
    if (mac.len < 4 || mac.len > GS_SA_MAX_MAC)
        return false;
    for (size_t i = 0; i < a->n_macs; i++) {
        if (a->mac_len[i] == mac.len && memcmp(a->macs[i], mac.ptr, mac.len) == 0)
            return true;
    }
    return false;
}

static void mac_remember(struct gs_sa_assoc *a, struct gs_span mac)
{
    if (mac.len < 4 || mac.len > GS_SA_MAX_MAC)
        return;
    memcpy(a->macs[a->next_mac], mac.ptr, mac.len);
    a->mac_len[a->next_mac] = (uint8_t)mac.len;
    a->next_mac = (a->next_mac + 1) % GS_SA_MAX_MACS_SEEN;
    if (a->n_macs < GS_SA_MAX_MACS_SEEN)
        a->n_macs++;
}

/* One MAC of a message sent by the first side or the other, with `key`: the AES-GMAC IV
 * carries the sender's address (§6.5), or with learned conventions each sender field not yet
 * ruled out (the one that verifies is kept for the association). */
static enum gs_sa_verdict verify(struct gs_sa_cur *c, bool by_first, unsigned mal,
                                 const struct gs_key *key, uint16_t user, uint32_t ksq,
                                 uint32_t csq, const struct gs_sa_part *parts, size_t n_parts,
                                 struct gs_span mac)
{
    struct gs_sa_assoc *a = c->a;
    uint8_t iv[GS_SA_GMAC_IV];
    if (!c->core->p->learn_conventions) {
        gs_sa_crypto_gmac_iv(iv, a->addr[by_first ? 0 : 1], user, ksq, csq);
        return gs_sa_crypto_verify(mal, key, iv, parts, n_parts, mac.ptr, mac.len);
    }
    if (mal != GS_SA_MAL_AES_GMAC_12)
        return gs_sa_crypto_verify(mal, key, NULL, parts, n_parts, mac.ptr, mac.len);
    enum gs_sa_verdict best = GS_SA_MAC_CANNOT;
    for (enum iv_mode m = IV_ADDR; m <= IV_ZERO; m++) {
        if (a->iv_mode != IV_UNKNOWN && a->iv_mode != m)
            continue;
        gs_sa_crypto_gmac_iv(iv, m == IV_ADDR ? a->addr[0] : 0, user, ksq, csq);
        enum gs_sa_verdict v = gs_sa_crypto_verify(mal, key, iv, parts, n_parts, mac.ptr, mac.len);
        if (v == GS_SA_MAC_OK) {
            a->iv_mode = (uint8_t)m;
            return v;
        }
        if (v != GS_SA_MAC_CANNOT)
            best = v;
    }
    return best;
}

/*
 * Judges one reply or aggressive-mode MAC of user u, sent by the first side (CDSK) or the
 * other (MDSK), over `parts`. `trusted`: every part was seen on this connection as the
 * protocol requires, so a mismatch can only be a bad MAC. Counts nothing (see tally()).
 */
static enum verdict judge(struct gs_sa_cur *c, struct gs_sa_user *u, bool by_first, unsigned mal,
                          uint32_t csq, const struct gs_sa_part *parts, size_t n_parts,
                          struct gs_span mac, bool trusted)
{
    struct gs_sa_assoc *a = c->a;
    if (u == NULL || u->uk == NULL || gs_sa_crypto_mac_len(mal) == 0)
        return V_UNVERIFIABLE;
    if (mac.len != gs_sa_crypto_mac_len(mal))
        return V_BAD_LENGTH;
    const struct gs_key *key = by_first ? u->cdsk : u->mdsk;
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i].p == NULL)
            key = NULL; /* a message of the input was not kept */
    }
    if (key == NULL)
        return V_UNVERIFIABLE;
    enum gs_sa_verdict v = verify(c, by_first, mal, key, u->user, u->ksq, csq, parts, n_parts, mac);
    if (v == GS_SA_MAC_OK) {
        /* A MAC that verifies proves the keys (also when their key change was confirmed
         * without a MAC) and the MAC input construction. */
        u->keys_flow = c->flow_id;
        u->keys_confirmed = true;
        a->conv_known = true;
        return V_OK;
    }
    bool iv_known =
        !c->core->p->learn_conventions || mal != GS_SA_MAL_AES_GMAC_12 || a->iv_mode != IV_UNKNOWN;
    if (v == GS_SA_MAC_MISMATCH && trusted && a->conv_known && u->keys_confirmed &&
        u->keys_flow == c->flow_id && iv_known)
        return V_MISMATCH;
    return V_UNVERIFIABLE;
}

static void tally(struct gs_sa_cur *c, enum verdict v)
{
    struct gs_sa_counters *k = &c->core->c;
    if (v == V_OK)
        k->macs_verified++;
    else if (V_INVALID(v))
        k->macs_invalid++;
    else
        k->macs_unverifiable++;
}

/* Session keys used once more: KEY_EXPIRED past the interval or count (once per keys). */
static void key_used(struct gs_sa_cur *c, struct gs_sa_user *u, uint32_t csq, unsigned mal)
{
    struct gs_sa_core *d = c->core;
    u->keys_uses++;
    if (u->expired_reported)
        return;
    uint64_t age = c->now_us > u->keys_time_us ? c->now_us - u->keys_time_us : 0;
    if (age <= d->key_interval_us && u->keys_uses <= d->lim.key_max_uses)
        return;
    u->expired_reported = true;
    enum gs_sa_finding f =
        age > d->key_interval_us ? GS_SA_F_KEY_EXPIRED_AGE : GS_SA_F_KEY_EXPIRED_USES;
    struct gs_alert al;
    finding_begin(c, &al, f, u->user, csq, u->ksq, mal);
    gs_alert_add_uint(&al, "key_age_s", age / US_PER_S);
    gs_alert_add_uint(&al, "key_uses", u->keys_uses);
    finding_send(c, &al, f);
}

/* ---- challenges ---------------------------------------------------------------------------- */

/* The MAL a challenge or key status names, against the strongest this stream asked for. */
static void check_downgrade(struct gs_sa_cur *c, struct gs_sa_stream *st, unsigned mal,
                            uint32_t csq, enum gs_sa_finding f)
{
    unsigned rank = gs_sa_crypto_mal_rank(mal);
    if (st->best_rank != 0 && rank < st->best_rank) {
        if (!st->downgraded) {
            struct gs_alert al;
            finding_begin(c, &al, f, 0, csq, 0, mal);
            gs_alert_add_uint(&al, "previous_mal", st->best_mal);
            finding_send(c, &al, f);
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

/* What every challenge gets: CSQ and MAL checks, the copy, the last CSQ. */
static void challenge_seen(struct gs_sa_cur *c, struct gs_sa_stream *st, struct gs_sa_copy *slot,
                           uint32_t prev_csq, uint16_t user, uint32_t csq, unsigned mal,
                           struct gs_span bytes, uint8_t seq)
{
    if (slot->seen && slot->flow_id == c->flow_id && !st->may_restart && csq <= prev_csq)
        report(c, GS_SA_F_CHALLENGE_REPLAY, NULL, user, csq, mal);
    check_downgrade(c, st, mal, csq, GS_SA_F_CHALLENGE_DOWNGRADE);
    gs_sa_core_keep(c, slot, bytes, seq);
    st->may_restart = false;
    c->a->last_csq = csq;
}

void gs_sa_core_challenge(struct gs_sa_cur *c, bool by_first, uint16_t user, uint32_t csq,
                          unsigned mal, struct gs_span bytes, uint8_t seq, bool open)
{
    struct gs_sa_stream *st = by_first ? &c->a->mon : &c->a->ctl;
    challenge_seen(c, st, &st->chal, st->csq, user, csq, mal, bytes, seq);
    st->csq = csq;
    st->mal = (uint8_t)mal;
    st->open = open;
    st->aggr_n = 0;
    st->aggr_last = csq;
    st->aggr_seen = true;
    st->aggr_flow = c->flow_id;
}

void gs_sa_core_challenge_aside(struct gs_sa_cur *c, bool by_first, struct gs_sa_copy *slot,
                                uint32_t prev_csq, uint16_t user, uint32_t csq, unsigned mal,
                                struct gs_span bytes, uint8_t seq)
{
    struct gs_sa_stream *st = by_first ? &c->a->mon : &c->a->ctl;
    challenge_seen(c, st, slot, prev_csq, user, csq, mal, bytes, seq);
}

enum gs_sa_auth gs_sa_core_reply(struct gs_sa_cur *c, bool by_first, uint16_t user, uint32_t csq,
                                 struct gs_span mac, const struct gs_sa_target *targets,
                                 size_t n_targets)
{
    struct gs_sa_assoc *a = c->a;
    struct gs_sa_stream *st = by_first ? &a->ctl : &a->mon; /* challenges by the other side */
    struct gs_sa_user *u = user_get(c, user);
    if (mac_seen(a, mac)) {
        report(c, GS_SA_F_REPLY_MAC_REUSED, u, user, csq, st->mal);
        return GS_SA_AUTH_BAD;
    }
    if (!st->chal.seen) {
        c->core->c.macs_unverifiable++; /* the challenge was not captured */
        mac_remember(a, mac);
        return GS_SA_UNVERIFIABLE;
    }
    if (st->open && st->chal.flow_id == c->flow_id && csq != st->csq) {
        report(c, GS_SA_F_REPLY_CSQ_MISMATCH, u, user, csq, st->mal);
        return GS_SA_AUTH_BAD;
    }
    if (!st->open && csq <= st->csq) {
        report(c, GS_SA_F_REPLY_ANSWERED, u, user, csq, st->mal);
        return GS_SA_AUTH_BAD;
    }
    if (csq != st->csq) {
        c->core->c.macs_unverifiable++; /* answers a challenge that was not captured */
        mac_remember(a, mac);
        return GS_SA_UNVERIFIABLE;
    }
    enum verdict v = V_UNVERIFIABLE;
    for (size_t i = 0; i < n_targets; i++) {
        const struct gs_sa_copy *t = targets[i].copy;
        if (i > 0 && (v == V_OK || !t->seen))
            continue;
        bool trusted =
            st->chal.flow_id == c->flow_id && t->flow_id == c->flow_id && targets[i].trusted;
        struct gs_sa_part parts[2] = {part_of(&st->chal), part_of(t)};
        enum verdict vi = judge(c, u, by_first, st->mal, csq, parts, 2, mac, trusted);
        if (i == 0 || vi == V_OK || V_INVALID(v))
            v = vi;
    }
    tally(c, v);
    if (V_INVALID(v)) {
        report(c, v == V_BAD_LENGTH ? GS_SA_F_REPLY_MAC_LENGTH : GS_SA_F_REPLY_MAC_MISMATCH, u,
               user, csq, st->mal);
        return GS_SA_AUTH_BAD;
    }
    st->open = false;
    mac_remember(a, mac);
    if (v != V_OK)
        return GS_SA_UNVERIFIABLE;
    key_used(c, u, csq, st->mal);
    return GS_SA_AUTH_OK;
}

/* ---- aggressive mode ----------------------------------------------------------------------- */

enum gs_sa_auth gs_sa_core_aggressive(struct gs_sa_cur *c, const struct gs_sa_aggressive *m)
{
    struct gs_sa_assoc *a = c->a;
    struct gs_sa_stream *st = m->by_first ? &a->ctl : &a->mon; /* challenges the sender got */
    const struct gs_sa_copy *chal = m->chal != NULL ? m->chal : &st->chal;
    uint32_t chal_csq = m->chal != NULL ? m->chal_csq : st->csq;
    unsigned mal = m->chal != NULL ? m->chal_mal : st->mal;
    struct gs_sa_user *u = user_get(c, m->user);
    uint32_t csq = m->csq;

    if (m->has_mac && mac_seen(a, m->mac)) {
        report(c, GS_SA_F_AGGR_MAC_REUSED, u, m->user, csq, mal);
        return GS_SA_AUTH_BAD;
    }
    /* CSQ arithmetic (§7.3): after challenge c the sender uses c+1, c+2, ... A CSQ at or below
     * one already used since the last challenge on this connection is a replay; one above the
     * next expected means messages were not captured (not a finding, but the MAC input may be
     * unknown), whichever connection the last one came on. */
    if (m->advances && st->aggr_seen && st->aggr_flow == c->flow_id && csq <= st->aggr_last) {
        report(c, GS_SA_F_AGGR_CSQ_REUSED, u, m->user, csq, mal);
        return GS_SA_AUTH_BAD;
    }
    bool beyond = m->advances && chal->seen && csq != chal_csq + st->aggr_n + 1;
    if (!m->has_mac) {
        if (u != NULL && u->uk != NULL) {
            c->core->c.macs_invalid++;
            report(c, GS_SA_F_AGGR_MAC_MISSING, u, m->user, csq, mal);
        }
        return GS_SA_AUTH_BAD;
    }
    enum verdict v = V_UNVERIFIABLE;
    if (chal->seen && m->covered.ptr != NULL) {
        struct gs_sa_part parts[2] = {part_of(chal), {m->covered.ptr, m->covered.len}};
        bool trusted = !beyond && chal->flow_id == c->flow_id;
        v = judge(c, u, m->by_first, mal, csq, parts, 2, m->mac, trusted);
    }
    tally(c, v); /* unverifiable without the challenge or the covered bytes */
    if (V_INVALID(v)) {
        report(c, v == V_BAD_LENGTH ? GS_SA_F_AGGR_MAC_LENGTH : GS_SA_F_AGGR_MAC_MISMATCH, u,
               m->user, csq, mal);
        return GS_SA_AUTH_BAD;
    }
    if (m->advances) {
        st->aggr_n++;
        st->aggr_last = csq;
        st->aggr_seen = true;
        st->aggr_flow = c->flow_id;
        a->last_csq = csq;
    }
    mac_remember(a, m->mac);
    if (v != V_OK)
        return GS_SA_UNVERIFIABLE;
    key_used(c, u, csq, mal);
    return GS_SA_AUTH_OK;
}

/* ---- key changes --------------------------------------------------------------------------- */

void gs_sa_core_key_status_request(struct gs_sa_cur *c, uint16_t user)
{
    struct gs_sa_user *u = user_get(c, user);
    c->a->mon.may_restart = true;
    if (u != NULL)
        user_drop_candidates(u);
}

/* Tries the MAC of a key status over one key change message `kc` with one MDSK, with every
 * KSQ and CSQ the AES-GMAC IV may carry (§6.5: "the last CSQ"; implementations differ on
 * which). */
static enum gs_sa_verdict ks_mac(struct gs_sa_cur *c, const struct gs_sa_key_status *m,
                                 const struct gs_sa_user *u, const struct gs_key *mdsk,
                                 const struct gs_sa_copy *kc)
{
    if (mdsk == NULL || kc->n == 0)
        return GS_SA_MAC_CANNOT;
    struct gs_sa_assoc *a = c->a;
    struct gs_sa_part part = {kc->b, kc->n};
    uint32_t csqs[N_STATUS_CSQS] = {a->last_csq, a->ctl.csq, a->ctl.aggr_last, a->mon.csq, 0};
    uint32_t ksqs[2] = {m->ksq, u->ksq};
    bool gmac = m->mal == GS_SA_MAL_AES_GMAC_12;
    size_t n_csq = !gmac ? 1 : c->core->p->key_status_iv_csq0 ? N_STATUS_CSQS : N_STATUS_CSQS - 1;
    size_t n_ksq = gmac && u->ks_seen ? 2 : 1;
    enum gs_sa_verdict best = GS_SA_MAC_CANNOT;
    for (size_t k = 0; k < n_ksq; k++) {
        for (size_t i = 0; i < n_csq; i++) {
            bool tried = false;
            for (size_t j = 0; j < i; j++)
                tried = tried || csqs[j] == csqs[i];
            if (tried)
                continue;
            enum gs_sa_verdict v =
                verify(c, false, m->mal, mdsk, u->user, ksqs[k], csqs[i], &part, 1, m->mac);
            if (v == GS_SA_MAC_OK)
                return v;
            if (v != GS_SA_MAC_CANNOT)
                best = v;
        }
    }
    return best;
}

/* The candidate keys become the keys in use. */
static void keys_promote(struct gs_sa_cur *c, struct gs_sa_user *u, bool confirmed)
{
    user_drop_keys(u);
    u->cdsk = u->cand_cdsk;
    u->mdsk = u->cand_mdsk;
    u->cand_cdsk = u->cand_mdsk = NULL;
    uint8_t *spare = u->keys_kc.b;
    u->keys_kc.b = u->kc.b;
    u->keys_kc.n = u->kc.n;
    u->kc.b = spare;
    u->kc.n = 0;
    u->keys_confirmed = confirmed;
    u->keys_flow = c->flow_id;
    u->keys_time_us = c->now_us;
    u->keys_uses = 0;
    u->expired_reported = false;
}

/*
 * A key status: the answer to a key status request (with, when keys are valid, the MAC of the
 * last key change under the current MDSK, as TMW sends it; opendnp3 sends none), or the
 * confirmation of a key change (MAC of the key change under the new MDSK).
 */
void gs_sa_core_key_status(struct gs_sa_cur *c, const struct gs_sa_key_status *m)
{
    struct gs_sa_assoc *a = c->a;
    struct gs_sa_counters *k = &c->core->c;
    struct gs_sa_user *u = user_get(c, m->user);
    if (m->kst != KST_OK) {
        a->ctl.may_restart = true; /* NOT_INIT: the other side may have restarted */
        a->mon.may_restart = true;
    }
    if (m->mal != 0)
        check_downgrade(c, &a->ctl, m->mal, a->last_csq, GS_SA_F_KS_DOWNGRADE);
    if (u == NULL)
        return;
    if (u->ks_seen && u->ks_flow == c->flow_id && m->kst == KST_OK && u->ksq != 0 &&
        m->ksq <= u->ksq) {
        report(c, GS_SA_F_KS_REPLAY, u, m->user, a->last_csq, m->mal);
        return; /* the first side must not take it for the key status to answer */
    }
    if (u->uk != NULL) {
        bool confirming = u->cand_mdsk != NULL && m->seq == u->cand_seq;
        bool after_refused = u->refused_open && m->seq == u->refused_seq;
        if (confirming && m->kst == KST_OK && m->has_mac) {
            enum gs_sa_verdict v = ks_mac(c, m, u, u->cand_mdsk, &u->kc);
            if (v == GS_SA_MAC_OK) {
                k->macs_verified++;
                k->key_changes_verified++;
                a->conv_known = true;
                keys_promote(c, u, true);
            } else if (ks_mac(c, m, u, u->mdsk, &u->keys_kc) == GS_SA_MAC_OK) {
                /* The other side kept the old keys and said so under them. */
                k->macs_verified++;
                user_drop_candidates(u);
            } else if (v == GS_SA_MAC_CANNOT || !a->conv_known) {
                /* The unwrap and the key status check passed; only the confirmation cannot
                 * be judged: keys taken, unconfirmed, as for a confirmation without a MAC. */
                k->key_changes_unverifiable++;
                keys_promote(c, u, false);
            } else {
                k->key_changes_invalid++;
                report(c,
                       v == GS_SA_MAC_BAD_LENGTH ? GS_SA_F_KS_CONFIRM_LENGTH
                                                 : GS_SA_F_KS_CONFIRM_MISMATCH,
                       u, m->user, a->last_csq, m->mal);
                user_drop_candidates(u);
            }
        } else if (confirming && m->kst == KST_OK) {
            /* Confirmed without a MAC: keys in use, but unconfirmed by the other side. */
            k->key_changes_unverifiable++;
            keys_promote(c, u, false);
        } else {
            user_drop_candidates(u);
            if (m->kst == KST_OK && m->has_mac) {
                enum gs_sa_verdict v = ks_mac(c, m, u, u->mdsk, &u->keys_kc);
                if (v == GS_SA_MAC_OK) {
                    k->macs_verified++;
                } else if (v != GS_SA_MAC_CANNOT && !after_refused && a->conv_known &&
                           u->keys_confirmed && u->keys_flow == c->flow_id) {
                    k->macs_invalid++;
                    report(c,
                           v == GS_SA_MAC_BAD_LENGTH ? GS_SA_F_KS_MAC_LENGTH
                                                     : GS_SA_F_KS_MAC_MISMATCH,
                           u, m->user, a->last_csq, m->mal);
                } else {
                    k->macs_unverifiable++;
                    if (after_refused)
                        user_drop_keys(u); /* it may have taken keys the sensor refused */
                }
            }
        }
    }
    u->refused_open = false;
    u->ks_seen = true;
    u->ks_flow = c->flow_id;
    u->ksq = m->ksq;
    u->ks.n = 0;
    if (m->body.len != 0 && m->body.len <= c->core->p->status_cap) {
        memcpy(u->ks.b, m->body.ptr, m->body.len);
        u->ks.n = m->body.len;
    }
}

void gs_sa_core_key_change(struct gs_sa_cur *c, uint16_t user, uint32_t ksq, struct gs_span wrapped,
                           struct gs_span bytes, uint8_t seq)
{
    struct gs_sa_counters *k = &c->core->c;
    struct gs_sa_user *u = user_get(c, user);
    if (u == NULL || u->uk == NULL)
        return;
    user_drop_candidates(u);
    u->refused_open = false;
    bool status_known = u->ks_seen && u->ks_flow == c->flow_id;
    enum gs_sa_finding why;
    if (status_known && ksq != u->ksq) {
        why = GS_SA_F_KC_KSQ_MISMATCH;
    } else if (status_known && u->ks.n == 0) {
        k->key_changes_unverifiable++; /* the key status was too long to keep */
        return;
    } else {
        struct gs_key *cdsk = NULL, *mdsk = NULL;
        enum gs_sa_keychange rc = gs_sa_crypto_session_keys(
            u->uk, wrapped.ptr, wrapped.len, status_known ? u->ks.b : NULL,
            status_known ? u->ks.n : 0, &cdsk, &mdsk);
        switch (rc) {
        case GS_SA_KEYS_OK:
            if (bytes.ptr != NULL && bytes.len > c->core->p->change_cap) {
                gs_key_destroy(cdsk);
                gs_key_destroy(mdsk);
                k->key_changes_unverifiable++;
                return;
            }
            u->cand_cdsk = cdsk;
            u->cand_mdsk = mdsk;
            u->cand_seq = seq;
            if (bytes.ptr != NULL && bytes.len != 0) {
                memcpy(u->kc.b, bytes.ptr, bytes.len);
                u->kc.n = bytes.len;
            }
            return;
        case GS_SA_KEYS_UNWRAP_FAILED:
            why = GS_SA_F_KC_UNWRAP_FAILED;
            break;
        case GS_SA_KEYS_BAD_LAYOUT:
            why = GS_SA_F_KC_BAD_LAYOUT;
            break;
        case GS_SA_KEYS_STATUS_MISMATCH:
            why = GS_SA_F_KC_STATUS_MISMATCH;
            break;
        default:
            k->key_changes_unverifiable++;
            return;
        }
        if (u->uk_replaced) {
            /* Wrapped with an update key changed since, which the store cannot know. */
            k->key_changes_unverifiable++;
            return;
        }
    }
    k->key_changes_invalid++;
    u->refused_open = true;
    u->refused_seq = seq;
    report(c, why, u, user, c->a->last_csq, 0);
}

void gs_sa_core_error(struct gs_sa_cur *c, uint16_t user, uint32_t csq, unsigned code,
                      unsigned assoc_id)
{
    struct gs_sa_user *u = user_get(c, user);
    struct gs_alert al;
    finding_begin(c, &al, GS_SA_F_ERROR, user, csq, user_ksq(u), 0);
    gs_alert_add_uint(&al, "error_code", code);
    gs_alert_add_str(&al, "error", gs_name_lookup(error_names, code, "unknown"));
    gs_alert_add_uint(&al, "assoc_id", assoc_id);
    finding_send(c, &al, GS_SA_F_ERROR);
}

void gs_sa_core_update_key_changed(struct gs_sa_cur *c, uint16_t user)
{
    struct gs_sa_user *u = user_get(c, user);
    if (u != NULL)
        u->uk_replaced = true;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

void gs_sa_core_destroy(struct gs_sa_core *d)
{
    if (d == NULL)
        return;
    while (d->lru_head != NULL)
        assoc_remove(d, d->lru_head);
    free(d->buckets);
    free(d);
}

int gs_sa_core_create(struct gs_sa_core **core, const struct gs_sa_profile *p,
                      const struct gs_sa_limits *lim, const struct gs_detect_env *env, char *errbuf)
{
    struct gs_sa_core *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: out of memory", p->name);
        return -1;
    }
    d->p = p;
    d->env = env;
    d->lim = *lim;
    d->key_interval_us = lim->key_interval_s * US_PER_S;
    d->silence_us = lim->silence_s * US_PER_S;
    d->off_ext = align_up(sizeof(struct gs_sa_assoc));
    d->off_users = d->off_ext + align_up(p->ext_size);
    d->off_copies = d->off_users + align_up(lim->max_users * sizeof(struct gs_sa_user));
    d->off_user_bufs = d->off_copies + align_up(p->n_copies * sizeof(struct gs_sa_copy));
    d->user_buf = p->status_cap + 2 * p->change_cap;
    d->off_copy_bufs = d->off_user_bufs + lim->max_users * d->user_buf;
    d->n_buckets = 16;
    while (d->n_buckets < lim->max_assoc && d->n_buckets < ((size_t)1 << 20))
        d->n_buckets <<= 1;
    d->buckets = calloc(d->n_buckets, sizeof(*d->buckets));
    if (d->buckets == NULL) {
        free(d);
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: out of memory", p->name);
        return -1;
    }
    *core = d;
    return 0;
}

void gs_sa_core_counters(const struct gs_sa_core *d, gs_counter_fn *add, void *arg)
{
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

const struct gs_sa_counters *gs_sa_core_counts(const struct gs_sa_core *d)
{
    return &d->c;
}
