/*
 * dnp3_sa.c - DNP3 Secure Authentication v5 verified by a passive observer (IEEE 1815-2012
 * clause 7, IEC TS 62351-5:2013; digest: shared/specs/dnp3_sav5.md §5-§10).
 *
 *   key change   M g120v4 ---> O g120v5 {KSQ k, body} ---> M g120v6 {KSQ k, AESKW(UK, L|CDSK|MDSK
 *                |body|pad)} ---> O g120v5 {KSQ k+1, MAC_MDSK(g120v6 fragment)}  (keys confirmed)
 *   challenge    M request (SEQ s) ---> O g120v1 {CSQ c, MAL} ---> M g120v2 {CSQ c,
 *                MAC_CDSK(challenge fragment | request fragment)} ---> O RESPONSE (executed)
 *   aggressive   M [g120v3 {CSQ c+n+1} | objects | g120v9 {MAC_CDSK(last challenge fragment |
 *                this fragment up to the MAC)}] ---> O RESPONSE
 *   (and the same the other way: the master challenges a response, the outstation answers
 *   with MAC_MDSK(challenge | its last response), or sends responses in aggressive mode.)
 *
 * An association is (master host, outstation host, master link address, outstation link
 * address); it outlives TCP connections. Each user (USR) of it has its own update key (from
 * the key store), KSQ, last key status body and session keys. Challenges are tracked per
 * challenger ("ctl": challenges by the outstation, answered by the master; "mon": by the
 * master), each with its own CSQ stream and the aggressive-mode CSQs answering it, because
 * Triangle MicroWorks numbers challenges apart from aggressive requests (after challenge 1
 * and aggressive 2 and 3, the next challenge may be CSQ 2 again).
 *
 * A MAC is judged only when it can be: with the session keys learned from a key change the
 * sensor saw and verified, the challenge and the challenged fragment copied on the same
 * connection. A failure under those conditions is dnp3.sa.mac_invalid; a failure without
 * them (keys learned on another connection, a challenge or CSQ never seen, a fragment too
 * long to keep) is counted as unverifiable, never called invalid. A success always counts,
 * and re-establishes the keys on the connection it was seen on.
 *
 * Fragments are copied only on associations the key store names (nothing else can verify a
 * MAC); the rules that need no key (unauthenticated critical requests, downgrades, errors,
 * CSQ/KSQ reuse and byte-identical replays) apply to every association.
 */
#include "dnp3_sa.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "dnp3.h"
#include "keystore.h"
#include "names.h"
#include "sa_crypto.h"

#define US_PER_S      1000000ull
#define MAX_MACS_SEEN 16
#define V5_CAP        288 /* a key status body: 11 + challenge data (4..64 per TB2016-002) */
#define V6_CAP        544 /* a g120v6 fragment: AC FC, header 6, KSQ USR 6, wrapped data <= 512 */
#define MAX_IV_TRIES  6

/* Key status values (g120v5 KST, dnp3_sav5.md §4.3). */
#define KST_OK       1
#define KST_NOT_INIT 2

/* IIN2 bits (low byte of gs_dnp3_event.iin) that say a request was not carried out:
 * function code not supported, object unknown, parameter error, already executing. */
#define IIN2_REFUSED(iin) (((iin)&0x0017u) != 0)

enum req_auth {
    REQ_UNAUTH = 0,   /* no challenge, no aggressive-mode MAC */
    REQ_CHALLENGED,   /* challenged, no reply yet */
    REQ_AUTH_OK,      /* reply or aggressive MAC verified */
    REQ_AUTH_BAD,     /* its MAC did not verify, or it was a replay */
    REQ_UNVERIFIABLE, /* authenticated as far as the sensor can tell */
};

enum verdict { V_OK, V_INVALID, V_UNVERIFIABLE };

/* A copy of one application fragment, kept for a later MAC. */
struct frag {
    uint8_t *b; /* copy_cap bytes of the association's buffer; NULL when not keyed */
    size_t n;
    bool held; /* b[0..n) holds the fragment (it fit) */
    bool seen;
    uint64_t flow_id;
    uint8_t seq;
};

/* Challenges sent by one side, answered by the other with g120v2 or pre-empted in aggressive
 * mode. */
struct stream {
    struct frag chal;       /* the last challenge fragment */
    struct frag chal_unsol; /* the last one sent with an unsolicited response (ctl only) */
    bool open;              /* chal awaits its g120v2 */
    uint32_t csq, unsol_csq;
    uint8_t mal, unsol_mal;
    bool may_restart; /* the challenger may have restarted since chal (its CSQ with it) */
    /* aggressive-mode messages answering chal (dnp3_sav5.md §7.3) */
    uint32_t aggr_n;    /* accepted since chal */
    uint32_t aggr_last; /* highest CSQ since chal (chal's CSQ at first) */
    bool aggr_seen;
    uint64_t aggr_flow;
    unsigned best_rank; /* strongest MAL asked for (gs_sa_crypto_mal_rank) */
    unsigned best_mal;
    bool downgraded;
};

struct sa_user {
    bool used;
    uint16_t user;
    const struct gs_key *uk; /* the store's update key; NULL: none */
    bool uk_replaced;        /* an update key change (g120v13) was seen: uk may be stale */
    /* session keys in use */
    struct gs_key *cdsk, *mdsk;
    bool keys_confirmed; /* by the outstation's MAC over the g120v6, or a MAC verified under them */
    uint64_t keys_flow;  /* connection they were confirmed or last verified on */
    uint64_t keys_time_us;
    uint64_t keys_uses;
    bool expired_reported;
    uint8_t keys_v6[V6_CAP]; /* the g120v6 fragment that delivered them */
    size_t keys_v6_n;
    /* keys of the last g120v6, until the outstation confirms them */
    struct gs_key *cand_cdsk, *cand_mdsk;
    uint8_t cand_seq;
    uint8_t v6[V6_CAP];
    size_t v6_n;
    /* a g120v6 the sensor refused: the outstation's answer to it cannot be judged */
    bool refused_open;
    uint8_t refused_seq;
    /* the last key status */
    bool v5_seen;
    uint8_t v5[V5_CAP];
    size_t v5_n; /* 0 when the body did not fit */
    uint64_t v5_flow;
    uint32_t ksq;
    uint8_t kst;
};

struct sa_assoc {
    struct gs_ip mip, oip;
    uint16_t master, outstation;
    struct sa_assoc *hnext;       /* hash chain */
    struct sa_assoc *prev, *next; /* LRU list, most recent first */
    size_t bucket;
    bool keyed; /* the key store names the pair: fragments are kept for MACs */
    bool sa_seen, stop_reported, no_key_reported;
    uint64_t last_sa_us;
    uint32_t
        last_csq; /* last CSQ on the association (challenge or aggressive): GMAC IV of a g120v5 */
    struct stream ctl;           /* challenges by the outstation */
    struct stream mon;           /* challenges by the master */
    struct frag req, rsp, unsol; /* the master's last request, the outstation's last responses */
    /* the master's last request (not CONFIRM, not SA-only) and how it was authenticated */
    bool req_open;
    uint8_t req_seq, req_fc;
    enum req_auth req_auth;
    /* MAC values of accepted challenge replies and aggressive messages */
    uint8_t macs[MAX_MACS_SEEN][GS_SA_MAX_MAC];
    uint8_t mac_len[MAX_MACS_SEEN];
    size_t n_macs, next_mac;
    struct sa_user *users;
    size_t n_users;
};

struct counters {
    uint64_t associations_created;
    uint64_t associations_evicted;
    uint64_t macs_verified;
    uint64_t macs_invalid;
    uint64_t macs_unverifiable;
    uint64_t key_changes_verified;
    uint64_t key_changes_invalid;
    uint64_t key_changes_unverifiable;
    uint64_t users_dropped;
    uint64_t copies_too_long;
};

struct sa_det {
    const struct gs_detect_env *env;
    size_t max_assoc, max_users, copy_cap;
    uint64_t key_interval_us, silence_us;
    uint64_t key_max_uses;
    struct sa_assoc **buckets;
    size_t n_buckets;
    struct sa_assoc *lru_head, *lru_tail;
    size_t n_assoc;
    struct counters c;
};

/* What one event is being processed with. */
struct cur {
    struct sa_det *d;
    const struct gs_pkt_ctx *ctx;
    const struct gs_dnp3_event *ev;
    struct sa_assoc *a;
    uint64_t flow_id;
    uint64_t now_us;
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

/* dnp3_sav5.md §8 (opendnp3 CriticalFunctions): every function code is critical except those
 * that are optionally so (CONFIRM, READ, freezes, INITIALIZE_DATA, ASSIGN_CLASS,
 * DELAY_MEASURE, responses) and the SA function codes themselves. */
static bool fc_critical(uint8_t fc)
{
    switch (fc) {
    case 0x02: /* WRITE */
    case 0x03: /* SELECT */
    case 0x04: /* OPERATE */
    case 0x05: /* DIRECT_OPERATE */
    case 0x06: /* DIRECT_OPERATE_NR */
    case 0x0D: /* COLD_RESTART */
    case 0x0E: /* WARM_RESTART */
    case 0x10: /* INITIALIZE_APPL */
    case 0x11: /* START_APPL */
    case 0x12: /* STOP_APPL */
    case 0x13: /* SAVE_CONFIG */
    case 0x14: /* ENABLE_UNSOLICITED */
    case 0x15: /* DISABLE_UNSOLICITED */
    case 0x18: /* RECORD_CURRENT_TIME */
    case 0x19: /* OPEN_FILE */
    case 0x1A: /* CLOSE_FILE */
    case 0x1B: /* DELETE_FILE */
    case 0x1C: /* GET_FILE_INFO */
    case 0x1D: /* AUTHENTICATE_FILE */
    case 0x1E: /* ABORT_FILE */
    case 0x1F: /* ACTIVATE_CONFIG */
        return true;
    default:
        return false;
    }
}

static bool fc_auth(uint8_t fc)
{
    return fc == GS_DNP3_FC_AUTH_REQUEST || fc == GS_DNP3_FC_AUTH_REQUEST_NA ||
           fc == GS_DNP3_FC_AUTH_RESPONSE;
}

/* ---- associations -------------------------------------------------------------------------- */

static size_t assoc_hash(const struct sa_det *d, const struct gs_ip *mip, const struct gs_ip *oip,
                         uint16_t master, uint16_t outstation)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    const struct gs_ip *ips[2] = {mip, oip};
    for (size_t k = 0; k < 2; k++) {
        h = (h ^ ips[k]->family) * 1099511628211ull;
        for (size_t i = 0; i < sizeof(ips[k]->addr); i++)
            h = (h ^ ips[k]->addr[i]) * 1099511628211ull;
    }
    h = (h ^ master) * 1099511628211ull;
    h = (h ^ outstation) * 1099511628211ull;
    return (size_t)(h & (d->n_buckets - 1));
}

static bool ip_eq(const struct gs_ip *a, const struct gs_ip *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static void lru_unlink(struct sa_det *d, struct sa_assoc *a)
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

static void lru_push_front(struct sa_det *d, struct sa_assoc *a)
{
    a->prev = NULL;
    a->next = d->lru_head;
    if (d->lru_head != NULL)
        d->lru_head->prev = a;
    d->lru_head = a;
    if (d->lru_tail == NULL)
        d->lru_tail = a;
}

static void user_drop_candidates(struct sa_user *u)
{
    gs_key_destroy(u->cand_cdsk);
    gs_key_destroy(u->cand_mdsk);
    u->cand_cdsk = u->cand_mdsk = NULL;
    u->v6_n = 0;
}

static void user_drop_keys(struct sa_user *u)
{
    gs_key_destroy(u->cdsk);
    gs_key_destroy(u->mdsk);
    u->cdsk = u->mdsk = NULL;
    u->keys_confirmed = false;
    u->keys_v6_n = 0;
}

/* Frees an association and every key it holds. The copied fragments carry MACs and wrapped
 * keys, not keys, but are cleared as well. */
static void assoc_free(struct sa_det *d, struct sa_assoc *a)
{
    for (size_t i = 0; i < a->n_users; i++) {
        user_drop_candidates(&a->users[i]);
        user_drop_keys(&a->users[i]);
    }
    size_t size =
        sizeof(*a) + d->max_users * sizeof(struct sa_user) + (a->keyed ? 6 * d->copy_cap : 0);
    OPENSSL_cleanse(a, size);
    free(a);
}

static void assoc_remove(struct sa_det *d, struct sa_assoc *a)
{
    struct sa_assoc **pp = &d->buckets[a->bucket];
    while (*pp != a)
        pp = &(*pp)->hnext;
    *pp = a->hnext;
    lru_unlink(d, a);
    d->n_assoc--;
    assoc_free(d, a);
}

static struct sa_assoc *assoc_get(struct cur *c)
{
    struct sa_det *d = c->d;
    const struct gs_dnp3_event *ev = c->ev;
    const struct gs_flow_info *fl = c->ctx->flow;
    const struct gs_ip *mip = ev->from_master ? &fl->src : &fl->dst;
    const struct gs_ip *oip = ev->from_master ? &fl->dst : &fl->src;
    uint16_t master = ev->from_master ? ev->src : ev->dst;
    uint16_t outstation = ev->from_master ? ev->dst : ev->src;
    size_t b = assoc_hash(d, mip, oip, master, outstation);
    for (struct sa_assoc *a = d->buckets[b]; a != NULL; a = a->hnext) {
        if (a->master == master && a->outstation == outstation && ip_eq(&a->mip, mip) &&
            ip_eq(&a->oip, oip)) {
            if (d->lru_head != a) {
                lru_unlink(d, a);
                lru_push_front(d, a);
            }
            return a;
        }
    }
    if (d->n_assoc >= d->max_assoc && d->lru_tail != NULL) {
        assoc_remove(d, d->lru_tail);
        d->c.associations_evicted++;
    }
    const struct gs_keystore *ks = d->env->keys;
    bool keyed = ks != NULL && gs_keystore_dnp3_has_association(ks, master, outstation);
    size_t size = sizeof(struct sa_assoc) + d->max_users * sizeof(struct sa_user) +
                  (keyed ? 6 * d->copy_cap : 0);
    struct sa_assoc *a = calloc(1, size);
    if (a == NULL)
        return NULL;
    a->mip = *mip;
    a->oip = *oip;
    a->master = master;
    a->outstation = outstation;
    a->keyed = keyed;
    a->users = (struct sa_user *)(void *)(a + 1);
    if (keyed) {
        uint8_t *buf = (uint8_t *)(void *)(a->users + d->max_users);
        struct frag *frags[6] = {&a->ctl.chal, &a->ctl.chal_unsol, &a->mon.chal, &a->req,
                                 &a->rsp,      &a->unsol};
        for (size_t i = 0; i < 6; i++)
            frags[i]->b = buf + i * d->copy_cap;
    }
    a->bucket = b;
    a->hnext = d->buckets[b];
    d->buckets[b] = a;
    lru_push_front(d, a);
    d->n_assoc++;
    d->c.associations_created++;
    return a;
}

/* The user's state, created on first sight; NULL for user 0 (unknown) or when the
 * association already follows dnp3.max_sa_users users. */
static struct sa_user *user_get(struct cur *c, uint16_t user)
{
    struct sa_assoc *a = c->a;
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
    struct sa_user *u = &a->users[a->n_users++];
    u->used = true;
    u->user = user;
    const struct gs_keystore *ks = c->d->env->keys;
    if (ks != NULL)
        u->uk = gs_keystore_dnp3(ks, a->master, a->outstation, user, &a->mip, &a->oip);
    return u;
}

/* ---- alerts -------------------------------------------------------------------------------- */

/* Starts an alert with the fields every dnp3.sa alert carries. */
static void alert_begin(struct cur *c, struct gs_alert *al, const char *rule, uint16_t user,
                        uint32_t csq, uint32_t ksq, unsigned mal)
{
    const struct gs_dnp3_event *ev = c->ev;
    gs_alert_init(al, rule, "dnp3", "dnp3");
    gs_alert_add_uint(al, "user", user);
    gs_alert_add_uint(al, "csq", csq);
    gs_alert_add_uint(al, "ksq", ksq);
    gs_alert_add_uint(al, "mal", mal);
    gs_alert_add_uint(al, "function_code", ev->function_code);
    const char *fname = gs_dnp3_function_name(ev->function_code);
    gs_alert_add_str(al, "function", fname != NULL ? fname : "RESERVED");
    gs_alert_add_uint(al, "src", ev->src);
    gs_alert_add_uint(al, "dst", ev->dst);
}

static void alert_send(struct cur *c, struct gs_alert *al, const char *message)
{
    al->message = message;
    gs_detect_alert(c->d->env, c->ctx, al);
}

static uint32_t user_ksq(const struct sa_user *u)
{
    return u != NULL ? u->ksq : 0;
}

/* A finding about one SA message: the common fields, a reason, a message. */
static void report(struct cur *c, const char *rule, const struct sa_user *u, uint16_t user,
                   uint32_t csq, unsigned mal, const char *reason, const char *message)
{
    struct gs_alert al;
    alert_begin(c, &al, rule, user, csq, user_ksq(u), mal);
    if (reason != NULL)
        gs_alert_add_str(&al, "reason", reason);
    alert_send(c, &al, message);
}

/* dnp3.sa.no_key, once per association, for the first SA message no update key covers. */
static void check_no_key(struct cur *c, uint16_t user)
{
    struct sa_assoc *a = c->a;
    if (a->no_key_reported)
        return;
    const struct gs_keystore *ks = c->d->env->keys;
    bool missing;
    if (ks == NULL || !a->keyed) {
        missing = true;
    } else if (user != 0) {
        struct sa_user *u = user_get(c, user);
        missing = u != NULL && u->uk == NULL;
    } else {
        missing = false; /* decided by the first message that names a user */
    }
    if (!missing)
        return;
    a->no_key_reported = true;
    report(c, "dnp3.sa.no_key", NULL, user, 0, 0, NULL,
           ks == NULL ? "no key store loaded: SA MACs on this association are not verified"
                      : "the key store has no update key for this association or user: SA MACs "
                        "on it are not verified");
}

/* ---- copies and MACs ----------------------------------------------------------------------- */

static void frag_keep(struct cur *c, struct frag *f)
{
    const struct gs_dnp3_event *ev = c->ev;
    f->seen = true;
    f->held = false;
    f->flow_id = c->flow_id;
    f->seq = ev->seq;
    if (f->b == NULL)
        return;
    if (ev->fragment.len > c->d->copy_cap) {
        c->d->c.copies_too_long++;
        return;
    }
    memcpy(f->b, ev->fragment.ptr, ev->fragment.len);
    f->n = ev->fragment.len;
    f->held = true;
}

static bool mac_seen(const struct sa_assoc *a, struct gs_span mac)
{
    if (mac.len < 4 || mac.len > GS_SA_MAX_MAC)
        return false;
    for (size_t i = 0; i < a->n_macs; i++) {
        if (a->mac_len[i] == mac.len && memcmp(a->macs[i], mac.ptr, mac.len) == 0)
            return true;
    }
    return false;
}

static void mac_remember(struct sa_assoc *a, struct gs_span mac)
{
    if (mac.len < 4 || mac.len > GS_SA_MAX_MAC)
        return;
    memcpy(a->macs[a->next_mac], mac.ptr, mac.len);
    a->mac_len[a->next_mac] = (uint8_t)mac.len;
    a->next_mac = (a->next_mac + 1) % MAX_MACS_SEEN;
    if (a->n_macs < MAX_MACS_SEEN)
        a->n_macs++;
}

/*
 * Judges one challenge-reply or aggressive-mode MAC of user u, sent by the master (CDSK) or
 * the outstation (MDSK), over `parts`. `inputs_trusted`: every part was seen on this
 * connection as the protocol requires, so a mismatch can only be a bad MAC. Sets *reason for
 * V_INVALID. Counts nothing (see tally()).
 */
static enum verdict judge(struct cur *c, struct sa_user *u, bool from_master, unsigned mal,
                          uint32_t csq, const struct gs_sa_part *parts, size_t n_parts,
                          struct gs_span mac, bool inputs_trusted, const char **reason)
{
    if (u == NULL || u->uk == NULL || gs_sa_crypto_mac_len(mal) == 0)
        return V_UNVERIFIABLE;
    if (mac.len != gs_sa_crypto_mac_len(mal)) {
        *reason = "mac_length";
        return V_INVALID;
    }
    const struct gs_key *key = from_master ? u->cdsk : u->mdsk;
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i].p == NULL)
            key = NULL; /* a fragment of the input was not kept */
    }
    if (key == NULL)
        return V_UNVERIFIABLE;
    uint8_t iv[GS_SA_GMAC_IV];
    gs_sa_crypto_gmac_iv(iv, from_master ? c->a->master : c->a->outstation, u->user, u->ksq, csq);
    enum gs_sa_verdict v = gs_sa_crypto_verify(mal, key, iv, parts, n_parts, mac.ptr, mac.len);
    if (v == GS_SA_MAC_OK) {
        /* A MAC that verifies proves the keys, also when their key change was confirmed
         * without a MAC (opendnp3's MAL 0). */
        u->keys_flow = c->flow_id;
        u->keys_confirmed = true;
        return V_OK;
    }
    if (v == GS_SA_MAC_MISMATCH && inputs_trusted && u->keys_confirmed &&
        u->keys_flow == c->flow_id) {
        *reason = "mac_mismatch";
        return V_INVALID;
    }
    return V_UNVERIFIABLE;
}

static void tally(struct cur *c, enum verdict v)
{
    struct counters *k = &c->d->c;
    if (v == V_OK)
        k->macs_verified++;
    else if (v == V_INVALID)
        k->macs_invalid++;
    else
        k->macs_unverifiable++;
}

/* Session keys used once more: dnp3.sa.key_expired past the interval or count (once). */
static void key_used(struct cur *c, struct sa_user *u, uint32_t csq, unsigned mal)
{
    u->keys_uses++;
    if (u->expired_reported)
        return;
    uint64_t age = c->now_us > u->keys_time_us ? c->now_us - u->keys_time_us : 0;
    if (age <= c->d->key_interval_us && u->keys_uses <= c->d->key_max_uses)
        return;
    u->expired_reported = true;
    struct gs_alert al;
    alert_begin(c, &al, "dnp3.sa.key_expired", u->user, csq, u->ksq, mal);
    gs_alert_add_uint(&al, "key_age_s", age / US_PER_S);
    gs_alert_add_uint(&al, "key_uses", u->keys_uses);
    alert_send(c, &al,
               age > c->d->key_interval_us
                   ? "session keys used longer after their change than dnp3.sa_key_interval_s"
                   : "session keys used for more MACs than dnp3.sa_key_max_uses");
}

static struct gs_sa_part part_of(const struct frag *f)
{
    struct gs_sa_part p = {f->held ? f->b : NULL, f->held ? f->n : 0};
    return p;
}

/* ---- challenges ---------------------------------------------------------------------------- */

/* The MAL a challenge asks for, against the strongest this challenger asked for before. */
static void check_downgrade(struct cur *c, struct stream *st, unsigned mal, uint32_t csq,
                            const char *what)
{
    unsigned rank = gs_sa_crypto_mal_rank(mal);
    if (st->best_rank != 0 && rank < st->best_rank) {
        if (!st->downgraded) {
            struct gs_alert al;
            alert_begin(c, &al, "dnp3.sa.downgrade", 0, csq, 0, mal);
            gs_alert_add_str(&al, "reason", "weaker_mal");
            gs_alert_add_uint(&al, "previous_mal", st->best_mal);
            alert_send(c, &al, what);
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

/* g120v1 from the outstation (ctl) or the master (mon). `pre`: a pre-challenge carried by a
 * response, which nothing answers with g120v2. */
static void on_challenge(struct cur *c, const struct gs_dnp3_sa *s, bool from_master, bool pre)
{
    struct sa_assoc *a = c->a;
    struct stream *st = from_master ? &a->mon : &a->ctl;
    bool unsol = !from_master && c->ev->uns;
    struct frag *f = unsol ? &st->chal_unsol : &st->chal;
    uint32_t prev = unsol ? st->unsol_csq : st->csq;
    if (f->seen && f->flow_id == c->flow_id && !st->may_restart && s->seq <= prev) {
        report(c, "dnp3.sa.replay", NULL, s->user, s->seq, s->mal, "challenge_csq_not_increasing",
               "a challenge whose CSQ does not increase over the previous challenge's");
    }
    check_downgrade(c, st, s->mal, s->seq,
                    "a challenge asks for a weaker MAC algorithm than this association used");
    frag_keep(c, f);
    if (unsol) {
        st->unsol_csq = s->seq;
        st->unsol_mal = s->mal;
    } else {
        st->csq = s->seq;
        st->mal = s->mal;
        st->open = !pre;
        st->aggr_n = 0;
        st->aggr_last = s->seq;
        st->aggr_seen = true;
        st->aggr_flow = c->flow_id;
    }
    st->may_restart = false;
    a->last_csq = s->seq;
    if (!from_master && !pre && a->req_open && a->req_seq == c->ev->seq &&
        a->req_auth == REQ_UNAUTH)
        a->req_auth = REQ_CHALLENGED;
}

/* g120v2 from the master (answers the outstation's challenge, ctl) or the outstation (mon). */
static void on_reply(struct cur *c, const struct gs_dnp3_sa *s, bool from_master)
{
    struct sa_assoc *a = c->a;
    struct stream *st = from_master ? &a->ctl : &a->mon;
    struct sa_user *u = user_get(c, s->user);
    enum req_auth result = REQ_UNVERIFIABLE;
    const char *reason = NULL;
    if (mac_seen(a, s->mac)) {
        report(c, "dnp3.sa.replay", u, s->user, s->seq, st->mal, "mac_reused",
               "a challenge reply repeats a MAC value already seen on this association");
        result = REQ_AUTH_BAD;
    } else if (!st->chal.seen) {
        c->d->c.macs_unverifiable++; /* the challenge was not captured */
        mac_remember(a, s->mac);
    } else if (st->open && st->chal.flow_id == c->flow_id && s->seq != st->csq) {
        report(c, "dnp3.sa.replay", u, s->user, s->seq, st->mal, "csq_mismatch",
               "a challenge reply whose CSQ is not that of the open challenge");
        result = REQ_AUTH_BAD;
    } else if (!st->open && s->seq <= st->csq) {
        report(c, "dnp3.sa.replay", u, s->user, s->seq, st->mal, "challenge_answered",
               "a challenge reply for a challenge that was already answered");
        result = REQ_AUTH_BAD;
    } else if (s->seq != st->csq) {
        c->d->c.macs_unverifiable++; /* answers a challenge that was not captured */
        mac_remember(a, s->mac);
    } else {
        /* The challenged fragment: the master's request, or the outstation's last response
         * (or unsolicited response) for a challenge from the master. */
        const struct frag *target = from_master ? &a->req : &a->rsp;
        bool trusted = st->chal.flow_id == c->flow_id && target->flow_id == c->flow_id &&
                       (!from_master || target->seq == st->chal.seq);
        struct gs_sa_part parts[2] = {part_of(&st->chal), part_of(target)};
        enum verdict v =
            judge(c, u, from_master, st->mal, s->seq, parts, 2, s->mac, trusted, &reason);
        if (v != V_OK && !from_master && a->unsol.seen) {
            /* The master may have challenged an unsolicited response. */
            parts[1] = part_of(&a->unsol);
            const char *r2 = NULL;
            enum verdict v2 = judge(c, u, from_master, st->mal, s->seq, parts, 2, s->mac,
                                    trusted && a->unsol.flow_id == c->flow_id, &r2);
            if (v2 == V_OK || v == V_INVALID) {
                v = v2;
                reason = r2;
            }
        }
        tally(c, v);
        if (v == V_INVALID) {
            report(c, "dnp3.sa.mac_invalid", u, s->user, s->seq, st->mal, reason,
                   "a challenge reply MAC does not verify with the session key");
            result = REQ_AUTH_BAD;
        } else {
            st->open = false;
            mac_remember(a, s->mac);
            result = v == V_OK ? REQ_AUTH_OK : REQ_UNVERIFIABLE;
            if (v == V_OK)
                key_used(c, u, s->seq, st->mal);
        }
    }
    if (from_master && a->req_open && a->req_auth == REQ_CHALLENGED)
        a->req_auth = result;
}

/* ---- aggressive mode ----------------------------------------------------------------------- */

/* The g120v3 that opens an aggressive-mode fragment and its closing g120v9 (NULL when the
 * fragment has none). Returns false when the fragment is not in aggressive mode. */
static bool aggressive_parts(const struct gs_dnp3_event *ev, const struct gs_dnp3_sa **v3,
                             const struct gs_dnp3_sa **v9)
{
    *v3 = *v9 = NULL;
    if (ev->n_objects == 0 || ev->n_sa == 0)
        return false;
    const struct gs_dnp3_object *first = &ev->objects[0];
    if (first->group != 120 || first->variation != 3 || first->sa_index < 0 ||
        (size_t)first->sa_index >= ev->n_sa || !ev->sa[first->sa_index].valid)
        return false;
    *v3 = &ev->sa[first->sa_index];
    const struct gs_dnp3_object *last = &ev->objects[ev->n_objects - 1];
    if (ev->n_objects > 1 && last->group == 120 && last->variation == 9 && last->sa_index >= 0 &&
        (size_t)last->sa_index < ev->n_sa && ev->sa[last->sa_index].valid)
        *v9 = &ev->sa[last->sa_index];
    return true;
}

/* An aggressive-mode request (from the master) or response (from the outstation). Returns how
 * the message is authenticated. */
static enum req_auth on_aggressive(struct cur *c, const struct gs_dnp3_sa *v3,
                                   const struct gs_dnp3_sa *v9, bool from_master)
{
    struct sa_assoc *a = c->a;
    const struct gs_dnp3_event *ev = c->ev;
    struct stream *st = from_master ? &a->ctl : &a->mon; /* challenges the sender received */
    bool confirm = ev->function_code == GS_DNP3_FC_CONFIRM;
    /* A CONFIRM of an unsolicited response answers the last unsolicited challenge. */
    bool unsol = from_master && confirm && ev->uns && st->chal_unsol.seen;
    const struct frag *chal = unsol ? &st->chal_unsol : &st->chal;
    uint32_t chal_csq = unsol ? st->unsol_csq : st->csq;
    unsigned mal = unsol ? st->unsol_mal : st->mal;
    struct sa_user *u = user_get(c, v3->user);
    struct gs_span mac = v9 != NULL ? v9->mac : (struct gs_span){NULL, 0};
    uint32_t csq = v3->seq;

    if (v9 != NULL && mac_seen(a, mac)) {
        report(c, "dnp3.sa.replay", u, v3->user, csq, mal, "mac_reused",
               "an aggressive-mode message repeats a MAC value already seen on this association");
        return REQ_AUTH_BAD;
    }
    /* CSQ arithmetic (§7.3): after challenge c the sender uses c+1, c+2, ...; a CONFIRM does
     * not advance it, so only other messages are checked. A CSQ at or below one already used
     * since the last challenge is a replay; one above the next expected means messages were
     * not captured (not a finding, but the MAC input may be unknown), whichever connection
     * the last one came on. */
    if (!confirm && st->aggr_seen && st->aggr_flow == c->flow_id && csq <= st->aggr_last) {
        report(c, "dnp3.sa.replay", u, v3->user, csq, mal, "aggressive_csq_reused",
               "an aggressive-mode CSQ at or below one already used since the last challenge");
        return REQ_AUTH_BAD;
    }
    bool beyond = !confirm && chal->seen && csq != chal_csq + st->aggr_n + 1;
    if (v9 == NULL) {
        if (u != NULL && u->uk != NULL) {
            c->d->c.macs_invalid++;
            report(c, "dnp3.sa.mac_invalid", u, v3->user, csq, mal, "mac_missing",
                   "an aggressive-mode message without its closing g120v9 MAC object");
        }
        return REQ_AUTH_BAD;
    }
    enum verdict v = V_UNVERIFIABLE;
    const char *reason = NULL;
    if (!chal->seen) {
        c->d->c.macs_unverifiable++; /* no challenge captured: the MAC input is unknown */
    } else {
        struct gs_sa_part parts[2] = {part_of(chal), {ev->fragment.ptr, v9->mac_offset}};
        bool trusted = !beyond && chal->flow_id == c->flow_id;
        v = judge(c, u, from_master, mal, csq, parts, 2, mac, trusted, &reason);
        tally(c, v);
    }
    if (v == V_INVALID) {
        report(c, "dnp3.sa.mac_invalid", u, v3->user, csq, mal, reason,
               "an aggressive-mode MAC does not verify with the session key");
        return REQ_AUTH_BAD;
    }
    if (!confirm) {
        st->aggr_n++;
        st->aggr_last = csq;
        st->aggr_seen = true;
        st->aggr_flow = c->flow_id;
        a->last_csq = csq;
    }
    mac_remember(a, mac);
    if (v == V_OK) {
        key_used(c, u, csq, mal);
        return REQ_AUTH_OK;
    }
    return REQ_UNVERIFIABLE;
}

/* ---- key changes --------------------------------------------------------------------------- */

/* g120v4 from the master: a (re)start of the key exchange for this user. */
static void on_key_status_request(struct cur *c, const struct gs_dnp3_sa *s)
{
    struct sa_user *u = user_get(c, s->user);
    c->a->mon.may_restart = true;
    if (u != NULL)
        user_drop_candidates(u);
}

/* Tries the MAC of a g120v5 over one g120v6 fragment with one MDSK, with every CSQ the GMAC
 * IV may carry (§6.5: "the last CSQ"; implementations differ on which). */
static enum gs_sa_verdict v5_mac(struct cur *c, const struct gs_dnp3_sa *s, struct sa_user *u,
                                 const struct gs_key *mdsk, const uint8_t *v6, size_t v6_n)
{
    if (mdsk == NULL || v6_n == 0)
        return GS_SA_MAC_CANNOT;
    struct sa_assoc *a = c->a;
    struct gs_sa_part part = {v6, v6_n};
    uint32_t csqs[MAX_IV_TRIES] = {a->last_csq, a->ctl.csq, a->ctl.aggr_last, a->mon.csq, 0, 0};
    uint32_t ksqs[2] = {s->seq, u->ksq};
    size_t n_csq = s->mal == GS_SA_MAL_AES_GMAC_12 ? 5 : 1;
    size_t n_ksq = s->mal == GS_SA_MAL_AES_GMAC_12 && u->v5_seen ? 2 : 1;
    enum gs_sa_verdict best = GS_SA_MAC_CANNOT;
    for (size_t k = 0; k < n_ksq; k++) {
        for (size_t i = 0; i < n_csq; i++) {
            bool tried = false;
            for (size_t j = 0; j < i; j++)
                tried = tried || csqs[j] == csqs[i];
            if (tried)
                continue;
            uint8_t iv[GS_SA_GMAC_IV];
            gs_sa_crypto_gmac_iv(iv, a->outstation, u->user, ksqs[k], csqs[i]);
            enum gs_sa_verdict v =
                gs_sa_crypto_verify(s->mal, mdsk, iv, &part, 1, s->mac.ptr, s->mac.len);
            if (v == GS_SA_MAC_OK)
                return v;
            if (v != GS_SA_MAC_CANNOT)
                best = v;
        }
    }
    return best;
}

static void keys_promote(struct cur *c, struct sa_user *u, bool confirmed)
{
    user_drop_keys(u);
    u->cdsk = u->cand_cdsk;
    u->mdsk = u->cand_mdsk;
    u->cand_cdsk = u->cand_mdsk = NULL;
    memcpy(u->keys_v6, u->v6, u->v6_n);
    u->keys_v6_n = u->v6_n;
    u->v6_n = 0;
    u->keys_confirmed = confirmed;
    u->keys_flow = c->flow_id;
    u->keys_time_us = c->now_us;
    u->keys_uses = 0;
    u->expired_reported = false;
}

/* g120v5 from the outstation: the answer to a key status request (with, when keys are valid,
 * the MAC of the last g120v6 under the current MDSK, as TMW sends it; opendnp3 sends MAL 0),
 * or the confirmation of a key change (MAC of the g120v6 under the new MDSK). */
static void on_key_status(struct cur *c, const struct gs_dnp3_sa *s)
{
    struct sa_assoc *a = c->a;
    struct sa_det *d = c->d;
    struct sa_user *u = user_get(c, s->user);
    if (s->key_status != KST_OK) {
        a->ctl.may_restart = true; /* NOT_INIT: the outstation may have restarted */
        a->mon.may_restart = true;
    }
    if (s->mal != 0)
        check_downgrade(c, &a->ctl, s->mal, a->last_csq,
                        "a key status carries a weaker MAC algorithm than this association used");
    if (u == NULL)
        return;
    if (u->v5_seen && u->v5_flow == c->flow_id && s->key_status == KST_OK && u->ksq != 0 &&
        s->seq <= u->ksq) {
        report(c, "dnp3.sa.replay", u, s->user, a->last_csq, s->mal, "ksq_not_increasing",
               "a key status whose KSQ does not increase over the previous one");
        return; /* the master must not take it for the key status to answer */
    }
    if (u->uk != NULL) {
        bool confirming = u->cand_mdsk != NULL && c->ev->seq == u->cand_seq;
        bool after_refused = u->refused_open && c->ev->seq == u->refused_seq;
        if (confirming && s->key_status == KST_OK && s->mal != 0) {
            enum gs_sa_verdict v = v5_mac(c, s, u, u->cand_mdsk, u->v6, u->v6_n);
            if (v == GS_SA_MAC_OK) {
                d->c.macs_verified++;
                d->c.key_changes_verified++;
                keys_promote(c, u, true);
            } else if (v5_mac(c, s, u, u->mdsk, u->keys_v6, u->keys_v6_n) == GS_SA_MAC_OK) {
                /* The outstation kept the old keys and said so under them. */
                d->c.macs_verified++;
                user_drop_candidates(u);
            } else if (v == GS_SA_MAC_CANNOT) {
                /* The unwrap and the key status check passed; only the confirmation cannot
                 * be judged: keys taken, unconfirmed, as for a confirmation without a MAC. */
                d->c.key_changes_unverifiable++;
                keys_promote(c, u, false);
            } else {
                d->c.key_changes_invalid++;
                report(c, "dnp3.sa.key_change_invalid", u, s->user, a->last_csq, s->mal,
                       v == GS_SA_MAC_BAD_LENGTH ? "confirm_mac_length" : "confirm_mac",
                       "the key status confirming a session key change carries a MAC that "
                       "does not verify with the new monitoring-direction key");
                user_drop_candidates(u);
            }
        } else if (confirming && s->key_status == KST_OK) {
            /* Confirmed without a MAC: keys in use, but unconfirmed by the outstation. */
            d->c.key_changes_unverifiable++;
            keys_promote(c, u, false);
        } else {
            user_drop_candidates(u);
            if (s->key_status == KST_OK && s->mal != 0) {
                enum gs_sa_verdict v = v5_mac(c, s, u, u->mdsk, u->keys_v6, u->keys_v6_n);
                if (v == GS_SA_MAC_OK) {
                    d->c.macs_verified++;
                } else if (v != GS_SA_MAC_CANNOT && !after_refused && u->keys_confirmed &&
                           u->keys_flow == c->flow_id) {
                    d->c.macs_invalid++;
                    report(c, "dnp3.sa.mac_invalid", u, s->user, a->last_csq, s->mal,
                           v == GS_SA_MAC_BAD_LENGTH ? "mac_length" : "mac_mismatch",
                           "a key status MAC does not verify with the monitoring-direction "
                           "session key");
                } else {
                    d->c.macs_unverifiable++;
                    if (after_refused)
                        user_drop_keys(u); /* it may have taken keys the sensor refused */
                }
            }
        }
    }
    u->refused_open = false;
    u->v5_seen = true;
    u->v5_flow = c->flow_id;
    u->ksq = s->seq;
    u->kst = s->key_status;
    u->v5_n = 0;
    if (s->status_body.len <= sizeof(u->v5)) {
        memcpy(u->v5, s->status_body.ptr, s->status_body.len);
        u->v5_n = s->status_body.len;
    }
}

/* g120v6 from the master: unwraps the session keys with the update key. */
static void on_key_change(struct cur *c, const struct gs_dnp3_sa *s)
{
    struct sa_det *d = c->d;
    struct sa_user *u = user_get(c, s->user);
    if (u == NULL || u->uk == NULL)
        return;
    user_drop_candidates(u);
    u->refused_open = false;
    bool status_known = u->v5_seen && u->v5_flow == c->flow_id;
    const char *why = NULL;
    if (status_known && s->seq != u->ksq) {
        why = "ksq_mismatch";
    } else if (status_known && u->v5_n == 0) {
        d->c.key_changes_unverifiable++; /* the key status was too long to keep */
        return;
    } else {
        struct gs_key *cdsk = NULL, *mdsk = NULL;
        enum gs_sa_keychange rc = gs_sa_crypto_session_keys(
            u->uk, s->key_data.ptr, s->key_data.len, status_known ? u->v5 : NULL,
            status_known ? u->v5_n : 0, &cdsk, &mdsk);
        switch (rc) {
        case GS_SA_KEYS_OK:
            if (c->ev->fragment.len > sizeof(u->v6)) {
                gs_key_destroy(cdsk);
                gs_key_destroy(mdsk);
                d->c.key_changes_unverifiable++;
                return;
            }
            u->cand_cdsk = cdsk;
            u->cand_mdsk = mdsk;
            u->cand_seq = c->ev->seq;
            memcpy(u->v6, c->ev->fragment.ptr, c->ev->fragment.len);
            u->v6_n = c->ev->fragment.len;
            return;
        case GS_SA_KEYS_UNWRAP_FAILED:
            why = "unwrap_failed";
            break;
        case GS_SA_KEYS_BAD_LAYOUT:
            why = "bad_layout";
            break;
        case GS_SA_KEYS_STATUS_MISMATCH:
            why = "key_status_mismatch";
            break;
        default:
            d->c.key_changes_unverifiable++;
            return;
        }
    }
    if (u->uk_replaced && strcmp(why, "ksq_mismatch") != 0) {
        /* Wrapped with an update key changed since (g120v13), which the store cannot know. */
        d->c.key_changes_unverifiable++;
        return;
    }
    d->c.key_changes_invalid++;
    u->refused_open = true;
    u->refused_seq = c->ev->seq;
    report(c, "dnp3.sa.key_change_invalid", u, s->user, c->a->last_csq, 0, why,
           strcmp(why, "ksq_mismatch") == 0
               ? "a session key change whose KSQ is not that of the last key status"
           : strcmp(why, "unwrap_failed") == 0
               ? "a session key change fails the RFC 3394 integrity check with the update key"
           : strcmp(why, "bad_layout") == 0
               ? "a session key change whose unwrapped data is not a valid key layout"
               : "a session key change embeds another key status than the last one");
}

/* g120v7 from either side. */
static void on_error(struct cur *c, const struct gs_dnp3_sa *s)
{
    struct sa_user *u = user_get(c, s->user);
    struct gs_alert al;
    alert_begin(c, &al, "dnp3.sa.error", s->user, s->seq, user_ksq(u), 0);
    gs_alert_add_uint(&al, "error_code", s->error_code);
    gs_alert_add_str(&al, "error", gs_name_lookup(error_names, s->error_code, "unknown"));
    gs_alert_add_uint(&al, "assoc_id", s->assoc_id);
    alert_send(c, &al, "an authentication error object (g120v7)");
}

/* ---- fragments ----------------------------------------------------------------------------- */

/* Whether a response refuses what it answers: an IIN2 error bit, or control objects of which
 * none was accepted (status other than SUCCESS). */
static bool response_refuses(const struct gs_dnp3_event *ev)
{
    if (ev->has_iin && IIN2_REFUSED(ev->iin))
        return true;
    bool controls = false, accepted = false;
    for (size_t i = 0; i < ev->n_objects; i++) {
        struct gs_dnp3_point_iter it;
        struct gs_dnp3_point pt;
        gs_dnp3_points_begin(&it, &ev->objects[i]);
        while (gs_dnp3_points_next(&it, &pt)) {
            if (!pt.has_status)
                continue;
            controls = true;
            accepted = accepted || pt.status == 0;
        }
    }
    return controls && !accepted;
}

/* The outstation answers the master's last request: was it executed unauthenticated? */
static void check_execution(struct cur *c)
{
    struct sa_assoc *a = c->a;
    const struct gs_dnp3_event *ev = c->ev;
    if (!a->req_open || ev->seq != a->req_seq)
        return;
    a->req_open = false;
    if (!a->sa_seen || !fc_critical(a->req_fc) || response_refuses(ev))
        return;
    if (a->req_auth != REQ_UNAUTH && a->req_auth != REQ_CHALLENGED && a->req_auth != REQ_AUTH_BAD)
        return;
    const char *fname = gs_dnp3_function_name(a->req_fc);
    struct gs_alert al;
    alert_begin(c, &al, "dnp3.sa.unauthenticated_critical", 0, a->ctl.csq, 0, a->ctl.mal);
    gs_alert_add_uint(&al, "request_function_code", a->req_fc);
    gs_alert_add_str(&al, "request_function", fname != NULL ? fname : "RESERVED");
    gs_alert_add_str(&al, "reason",
                     a->req_auth == REQ_UNAUTH       ? "not_challenged"
                     : a->req_auth == REQ_CHALLENGED ? "challenge_not_answered"
                                                     : "authentication_failed");
    alert_send(c, &al, "the outstation answered a critical request that was not authenticated");
}

static void on_master(struct cur *c)
{
    struct sa_assoc *a = c->a;
    const struct gs_dnp3_event *ev = c->ev;
    uint8_t fc = ev->function_code;
    if (!fc_auth(fc)) {
        const struct gs_dnp3_sa *v3, *v9;
        enum req_auth auth = REQ_UNAUTH;
        if (aggressive_parts(ev, &v3, &v9)) {
            check_no_key(c, v3->user);
            auth = on_aggressive(c, v3, v9, true);
        }
        if (fc != GS_DNP3_FC_CONFIRM) {
            a->req_open = true;
            a->req_seq = ev->seq;
            a->req_fc = fc;
            a->req_auth = auth;
            frag_keep(c, &a->req);
        }
        return;
    }
    for (size_t i = 0; i < ev->n_sa; i++) {
        const struct gs_dnp3_sa *s = &ev->sa[i];
        if (!s->valid)
            continue;
        check_no_key(c, s->user);
        switch (s->variation) {
        case 1:
            on_challenge(c, s, true, false);
            break;
        case 2:
            on_reply(c, s, true);
            break;
        case 4:
            on_key_status_request(c, s);
            break;
        case 6:
            on_key_change(c, s);
            break;
        case 7:
            on_error(c, s);
            break;
        case 13: {
            /* An update key change: its new key is encrypted with the authority key, which
             * the store does not hold, so later session key changes may not unwrap with the
             * stored update key without anything being wrong. */
            struct sa_user *u = user_get(c, s->user);
            if (u != NULL)
                u->uk_replaced = true;
            break;
        }
        default:
            break; /* other user management (v8, v10, v11, v14, v15): needs the authority key */
        }
    }
}

static void on_outstation(struct cur *c)
{
    struct sa_assoc *a = c->a;
    const struct gs_dnp3_event *ev = c->ev;
    uint8_t fc = ev->function_code;
    if (fc == GS_DNP3_FC_RESPONSE || fc == GS_DNP3_FC_UNSOLICITED) {
        const struct gs_dnp3_sa *v3, *v9;
        if (aggressive_parts(ev, &v3, &v9)) {
            check_no_key(c, v3->user);
            on_aggressive(c, v3, v9, false);
        }
        if (fc == GS_DNP3_FC_RESPONSE && !ev->uns)
            check_execution(c);
        /* A pre-challenge appended to the response, for the master's aggressive CONFIRM. */
        for (size_t i = 0; i < ev->n_sa; i++) {
            if (ev->sa[i].valid && ev->sa[i].variation == 1) {
                check_no_key(c, 0);
                on_challenge(c, &ev->sa[i], false, true);
            }
        }
        frag_keep(c, fc == GS_DNP3_FC_UNSOLICITED || ev->uns ? &a->unsol : &a->rsp);
        return;
    }
    if (fc != GS_DNP3_FC_AUTH_RESPONSE)
        return;
    for (size_t i = 0; i < ev->n_sa; i++) {
        const struct gs_dnp3_sa *s = &ev->sa[i];
        if (!s->valid)
            continue;
        check_no_key(c, s->user);
        switch (s->variation) {
        case 1:
            on_challenge(c, s, false, false);
            break;
        case 2:
            on_reply(c, s, false);
            break;
        case 5:
            on_key_status(c, s);
            break;
        case 7:
            on_error(c, s);
            break;
        default:
            break; /* update key change replies (v12, v15): need the new update key */
        }
    }
}

/* SA traffic stopping on an association that had it (evaluated on its next fragment, in
 * packet time): dnp3.sa.downgrade once, until SA is seen again. */
static void check_silence(struct cur *c, bool has_sa)
{
    struct sa_assoc *a = c->a;
    if (has_sa) {
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
    alert_begin(c, &al, "dnp3.sa.downgrade", 0, a->last_csq, 0, a->ctl.best_mal);
    gs_alert_add_str(&al, "reason", "sa_stopped");
    gs_alert_add_uint(&al, "silence_s", (c->now_us - a->last_sa_us) / US_PER_S);
    alert_send(c, &al,
               "DNP3 traffic continues without any Secure Authentication message on an "
               "association that used SA");
}

static void sa_on_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct sa_det *d = state;
    const struct gs_dnp3_event *e = ev->body;
    if (ev->type != GS_EVENT_DNP3 || ctx->flow == NULL || e->fragment.len < 2)
        return;
    struct cur c = {
        .d = d, .ctx = ctx, .ev = e, .flow_id = ctx->flow->flow_id, .now_us = ctx->ts_us};
    c.a = assoc_get(&c);
    if (c.a == NULL)
        return;
    check_silence(&c, e->n_sa != 0);
    if (e->from_master)
        on_master(&c);
    else
        on_outstation(&c);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static void sa_destroy(void *state)
{
    struct sa_det *d = state;
    if (d == NULL)
        return;
    while (d->lru_head != NULL)
        assoc_remove(d, d->lru_head);
    free(d->buckets);
    free(d);
}

static int sa_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    struct sa_det *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "dnp3_sa: out of memory");
        return -1;
    }
    const struct gs_config *cfg = env->cfg;
    d->env = env;
    d->max_assoc = cfg->dnp3_max_sa_associations;
    d->max_users = cfg->dnp3_max_sa_users;
    d->copy_cap = cfg->dnp3_max_sa_copy_bytes;
    d->key_interval_us = (uint64_t)cfg->dnp3_sa_key_interval_s * US_PER_S;
    d->key_max_uses = cfg->dnp3_sa_key_max_uses;
    d->silence_us = (uint64_t)cfg->dnp3_sa_silence_s * US_PER_S;
    d->n_buckets = 16;
    while (d->n_buckets < d->max_assoc && d->n_buckets < ((size_t)1 << 20))
        d->n_buckets <<= 1;
    d->buckets = calloc(d->n_buckets, sizeof(*d->buckets));
    if (d->buckets == NULL) {
        free(d);
        snprintf(errbuf, GS_ERRBUF_SIZE, "dnp3_sa: out of memory");
        return -1;
    }
    *state = d;
    return 0;
}

static void sa_counters(const void *state, gs_counter_fn *add, void *arg)
{
    const struct sa_det *d = state;
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
    add(arg, "copies_too_long", d->c.copies_too_long);
}

const struct gs_detector gs_dnp3_sa_detector = {
    .name = "dnp3_sa",
    .event_mask = GS_EVENT_BIT(GS_EVENT_DNP3),
    .create = sa_create,
    .destroy = sa_destroy,
    .on_event = sa_on_event,
    .on_time = NULL,
    .counters = sa_counters,
};
