/*
 * goose_sv.c - GOOSE, Sampled Values, R-GOOSE and R-SV publishers followed one by one: their
 * IEC 62351-6 tags verified with the key store, their counters checked against IEC 61850-8-1 /
 * 9-2 behaviour (../shared/specs/iec61850.md §2.4, §3; iec62351_6.md §5), TAL in packet time.
 *
 *   publisher (GOOSE)  = carrier (layer 2, R-GOOSE, R-GOOSE tunnel) + APPID + gocbRef
 *   stream    (SV)     = carrier + APPID + svID             (each ASDU belongs to its svID)
 *
 *   per PDU: tag?  no  -> had tags before, or conduit "require": {"tags": true}: *.tag_missing
 *                  yes -> key (APPID, gocbRef/svID, key id) -> every coverage candidate, the
 *                         one that verified last time first -> *.tag_invalid / verified /
 *                         unverifiable (*.no_key, once); key id and key times -> *.key_stale
 *            R-GOOSE/R-SV: SPDU number must grow (the session's replay counter) -> *.replay
 *            GOOSE: stNum/sqNum against the last PDU (restart signs tolerated)
 *                   -> goose.replay / st_rollback / st_jump / sq_gap; TAL -> goose.tal_expired
 *            SV: smpCnt per ASDU (wrap learnt) -> sv.smp_cnt_duplicate / rollback / gap, replay
 *            both: confRev change, simulation (S bit or attribute)
 *
 * False positives are the enemy of a sensor nobody switches off, so:
 * - A byte-identical PDU repeated within goose.duplicate_window_ms / sv.duplicate_window_us is
 *   a mirror copy (a SPAN port that sees a frame on two ports), counted, never an alert.
 * - A publisher that restarts comes back with stNum 1 (or its old stNum) and sqNum 0 or 1 and
 *   a newer event time t (or an unsynchronised clock): that is a restart, not a rollback. SV
 *   smpCnt falling to 0 is a wrap or a resynchronisation.
 * - A jump or rollback is judged against the last PDU, but the next PDU decides whom to
 *   believe: if it continues the odd one, the publisher really moved (no second alert); if it
 *   continues the old sequence, the odd PDU stays an isolated injection.
 * - R-GOOSE/R-SV carry their own replay counter, the SPDU number, covered by the tag: a
 *   repeated stNum/sqNum or smpCnt in an SPDU with a newer number is a publisher that does not
 *   advance its counters (the 2011 SISCO sample), counted, not called a replay.
 * - One rule per publisher stays quiet for goose/sv.alert_holddown_s after it fired; the next
 *   alert says how many were held back.
 */
#include "goose_sv.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "goose.h"
#include "keystore.h"
#include "policy.h"
#include "rsession.h"
#include "sv.h"
#include "tag62351_6.h"

#define NAME_CAP        130 /* gocbRef and svID are at most 129 characters */
#define US_PER_MS       1000ull
#define US_PER_S        1000000ull
#define SPDU_RESTART    16u   /* an SPDU number this small after a larger one: a restarted sender */
#define SQ_CONTINUE_MAX 64u   /* sqNum steps that still count as "continues" a PDU */
#define CLOCK_SUSPECT   0x60u /* TimeQuality: clock failure | not synchronised */
#define SV_MIN_WRAP     1000u /* smpCnt moduli are samples per second: 4000 and up */

enum kind { K_GOOSE = 0, K_SV = 1 };
enum carrier { C_L2 = 0, C_SESSION, C_TUNNEL };

enum rule {
    R_TAG_INVALID = 0,
    R_TAG_MISSING,
    R_KEY_STALE,
    R_NO_KEY,
    R_REPLAY,
    R_ROLLBACK,
    R_JUMP,
    R_GAP,
    R_DUPLICATE,
    R_TAL,
    R_CONF_REV,
    R_SIMULATION,
    R_COUNT,
};

/* Rule names per kind (NULL: the rule does not exist for that kind). */
static const char *const rule_names[R_COUNT][2] = {
    [R_TAG_INVALID] = {"goose.tag_invalid", "sv.tag_invalid"},
    [R_TAG_MISSING] = {"goose.tag_missing", "sv.tag_missing"},
    [R_KEY_STALE] = {"goose.key_stale", "sv.key_stale"},
    [R_NO_KEY] = {"goose.no_key", "sv.no_key"},
    [R_REPLAY] = {"goose.replay", "sv.replay"},
    [R_ROLLBACK] = {"goose.st_rollback", "sv.smp_cnt_rollback"},
    [R_JUMP] = {"goose.st_jump", NULL},
    [R_GAP] = {"goose.sq_gap", "sv.smp_cnt_gap"},
    [R_DUPLICATE] = {NULL, "sv.smp_cnt_duplicate"},
    [R_TAL] = {"goose.tal_expired", NULL},
    [R_CONF_REV] = {"goose.conf_rev_changed", "sv.conf_rev_changed"},
    [R_SIMULATION] = {"goose.simulation", "sv.simulation"},
};

/* A point of a publisher's sequence: GOOSE stNum/sqNum/t, or SV smpCnt in `a`. */
struct seqpt {
    uint32_t a, b;
    bool has_t;
    struct gs_utc_time t;
};

struct pub {
    struct pub *hnext;       /* hash chain */
    struct pub *prev, *next; /* LRU list, most recent first */
    size_t bucket;
    uint64_t hash;
    uint8_t kind, carrier;
    uint16_t appid;
    size_t name_len; /* full length; the first NAME_CAP octets are kept */
    char name[NAME_CAP + 1];

    /* who sent it last, and the conduit it belongs to */
    bool has_mac, has_ip;
    uint8_t mac[6];
    struct gs_ip ip;
    const struct gs_policy_conduit *conduit;

    bool alive;         /* last_us is set */
    uint64_t last_us;   /* last PDU accepted as the publisher's (not a mirror copy) */
    uint64_t last_pcap; /* packet of the last PDU processed */
    uint64_t skip_pcap; /* SV: the rest of this packet's ASDUs are a copy or a replay */
    uint64_t unit_hash; /* of the last PDU (GOOSE APDU / savPdu) */

    /* tags */
    bool had_tag, missing_open, no_key_done, stale_open;
    const char *pinned; /* coverage candidate that verified last */
    bool has_key_id, has_prev_key, has_deadline;
    uint32_t key_id, prev_key_id;
    uint64_t key_since_us, key_deadline_us;

    /* session (R-GOOSE/R-SV) replay counter */
    bool has_spdu;
    uint32_t spdu_num;

    /* sequence */
    bool seq_seen, has_cand;
    struct seqpt base, cand;
    uint64_t data_hash; /* SV: seqData of the last ASDU */
    uint32_t wrap;      /* SV: smpCnt modulus learnt from a wrap to 0 (0: not yet) */

    /* GOOSE time allowed to live */
    bool has_ttl, tal_open;
    uint32_t ttl_ms;
    struct seqpt tal_last; /* stNum/sqNum of the PDU the deadline counts from */

    bool has_conf_rev, sim_open;
    uint32_t conf_rev;

    /* hold-down per rule */
    uint32_t alerted; /* bit per rule */
    uint64_t last_alert_us[R_COUNT];
    uint32_t held[R_COUNT];
};

struct table {
    size_t cap, used;
    struct pub **buckets;
    size_t n_buckets; /* a power of two */
    struct pub *lru_head, *lru_tail;
    uint64_t *evicted;
};

struct det {
    const struct gs_detect_env *env;
    struct table t[2]; /* K_GOOSE, K_SV */
    uint64_t dup_window_us[2], key_grace_us[2], holddown_us[2];
    uint64_t tal_slack_us;
    struct gs_goose_sv_counters c;
};

/* What one PDU is processed with. */
struct cur {
    struct det *d;
    const struct gs_pkt_ctx *ctx;
    struct pub *p;
    uint64_t now;
    const struct gs_sec_info *sec; /* NULL in on_time */
    const struct gs_rsession *session;
    bool has_st, has_smp;
    uint32_t st, sq, smp_cnt;
    char mac[18], ip[48];
};

/* ---- the publisher table -------------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

static uint64_t span_hash(struct gs_span s)
{
    return s.ptr != NULL ? fnv1a(FNV_INIT, s.ptr, s.len) : FNV_INIT;
}

static uint64_t key_hash(uint8_t kind, uint8_t carrier, uint16_t appid, struct gs_span name)
{
    uint8_t head[4] = {kind, carrier, (uint8_t)(appid >> 8), (uint8_t)appid};
    return fnv1a(fnv1a(FNV_INIT, head, sizeof(head)), name.ptr, name.len);
}

static int table_init(struct table *t, size_t cap, uint64_t *evicted)
{
    t->cap = cap;
    t->n_buckets = 16;
    while (t->n_buckets < cap && t->n_buckets < ((size_t)1 << 20))
        t->n_buckets <<= 1;
    t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
    t->evicted = evicted;
    return t->buckets != NULL ? 0 : -1;
}

static void table_free(struct table *t)
{
    struct pub *p = t->lru_head;
    while (p != NULL) {
        struct pub *next = p->next;
        free(p);
        p = next;
    }
    free(t->buckets);
}

static void lru_unlink(struct table *t, struct pub *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        t->lru_head = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    else
        t->lru_tail = p->prev;
    p->prev = p->next = NULL;
}

static void lru_push(struct table *t, struct pub *p)
{
    p->next = t->lru_head;
    p->prev = NULL;
    if (t->lru_head != NULL)
        t->lru_head->prev = p;
    t->lru_head = p;
    if (t->lru_tail == NULL)
        t->lru_tail = p;
}

static void hash_unlink(struct table *t, struct pub *p)
{
    struct pub **at = &t->buckets[p->bucket];
    while (*at != NULL && *at != p)
        at = &(*at)->hnext;
    if (*at == p)
        *at = p->hnext;
    p->hnext = NULL;
}

static bool same_name(const struct pub *p, struct gs_span name)
{
    size_t n = name.len < NAME_CAP ? name.len : NAME_CAP;
    return p->name_len == name.len && memcmp(p->name, name.ptr, n) == 0;
}

/* The publisher of (kind, carrier, APPID, name), made (or recycled from the least recently
 * seen one when the table is full) on first sight; NULL only when memory runs out. */
static struct pub *table_get(struct det *d, uint8_t kind, uint8_t carrier, uint16_t appid,
                             struct gs_span name)
{
    struct table *t = &d->t[kind];
    uint64_t h = key_hash(kind, carrier, appid, name);
    size_t b = (size_t)h & (t->n_buckets - 1);
    for (struct pub *p = t->buckets[b]; p != NULL; p = p->hnext) {
        if (p->hash == h && p->kind == kind && p->carrier == carrier && p->appid == appid &&
            same_name(p, name)) {
            lru_unlink(t, p);
            lru_push(t, p);
            return p;
        }
    }
    struct pub *p;
    if (t->used >= t->cap && t->lru_tail != NULL) {
        p = t->lru_tail;
        lru_unlink(t, p);
        hash_unlink(t, p);
        memset(p, 0, sizeof(*p));
        (*t->evicted)++;
    } else {
        p = calloc(1, sizeof(*p));
        if (p == NULL)
            return NULL;
        t->used++;
    }
    p->hash = h;
    p->bucket = b;
    p->kind = kind;
    p->carrier = carrier;
    p->appid = appid;
    p->name_len = name.len;
    memcpy(p->name, name.ptr, name.len < NAME_CAP ? name.len : NAME_CAP);
    p->hnext = t->buckets[b];
    t->buckets[b] = p;
    lru_push(t, p);
    return p;
}

/* ---- conduits -------------------------------------------------------------------------------- */

/* Layer 2 has no IP endpoints: a GOOSE/SV conduit that names none is the one (the first in
 * file order whose protocol is the PDU's, or a catch-all without endpoints and ports). */
static const struct gs_policy_conduit *conduit_l2(const struct gs_policy *policy, const char *proto)
{
    for (size_t i = 0; i < gs_policy_conduit_count(policy); i++) {
        const struct gs_policy_conduit *c = gs_policy_conduit_at(policy, i);
        if (c->n_clients != 0 || c->n_servers != 0)
            continue;
        if (c->protocol != NULL ? strcmp(c->protocol, proto) == 0 : c->n_ports == 0)
            return c;
    }
    return NULL;
}

static const struct gs_policy_conduit *conduit_of(const struct det *d, const struct gs_pkt_ctx *ctx,
                                                  uint8_t kind, uint8_t carrier)
{
    const struct gs_policy *policy = d->env->policy;
    if (policy == NULL)
        return NULL;
    if (carrier == C_L2)
        return conduit_l2(policy, kind == K_GOOSE ? "goose" : "sv");
    const struct gs_flow_info *f = ctx->flow;
    if (f == NULL)
        return NULL;
    bool to_server = f->dir == GS_DIR_TO_SERVER;
    return gs_policy_match(policy, to_server ? &f->src : &f->dst, to_server ? &f->dst : &f->src,
                           to_server ? f->dst_port : f->src_port,
                           kind == K_GOOSE ? "r-goose" : "r-sv");
}

/* Remembers the sender and, once, the conduit. */
static void note_sender(struct cur *c, bool first)
{
    struct pub *p = c->p;
    const struct gs_pkt_ctx *ctx = c->ctx;
    if (ctx->l2 != NULL && ctx->l2->has_mac) {
        p->has_mac = true;
        memcpy(p->mac, ctx->l2->src_mac, 6);
    }
    if (ctx->flow != NULL) {
        p->has_ip = true;
        p->ip = ctx->flow->src;
    }
    if (first)
        p->conduit = conduit_of(c->d, ctx, p->kind, p->carrier);
}

/* ---- alerts -------------------------------------------------------------------------------- */

static const char *carrier_name(const struct pub *p)
{
    static const char *const names[3][2] = {
        {"l2", "l2"}, {"r-goose", "r-sv"}, {"r-goose-tunnel", "r-sv-tunnel"}};
    return names[p->carrier][p->kind];
}

/* Starts an alert on the publisher; false when the rule is in its hold-down (counted). */
static bool alert_begin(struct cur *c, enum rule r, struct gs_alert *a)
{
    struct pub *p = c->p;
    struct det *d = c->d;
    const char *name = rule_names[r][p->kind];
    GS_ASSERT(name != NULL);
    uint64_t hold = d->holddown_us[p->kind];
    if (hold > 0 && (p->alerted & (1u << r)) != 0 && c->now - p->last_alert_us[r] < hold) {
        p->held[r]++;
        d->c.alerts_held_back++;
        return false;
    }
    const char *proto = p->carrier == C_L2 ? (p->kind == K_GOOSE ? "goose" : "sv") : "rsession";
    gs_alert_init(a, name, proto, p->kind == K_GOOSE ? "goose" : "sv");
    a->conduit = p->conduit != NULL ? p->conduit->name : NULL;
    gs_alert_add_uint(a, "appid", p->appid);
    gs_alert_add_str(a, p->kind == K_GOOSE ? "gocb_ref" : "sv_id", p->name);
    gs_alert_add_str(a, "carrier", carrier_name(p));
    if (p->carrier == C_L2 && p->has_mac) {
        snprintf(c->mac, sizeof(c->mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1],
                 p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
        gs_alert_add_str(a, "src_mac", c->mac);
    }
    if (p->carrier != C_L2 && p->has_ip &&
        inet_ntop(p->ip.family == 6 ? AF_INET6 : AF_INET, p->ip.addr, c->ip, sizeof(c->ip)) != NULL)
        gs_alert_add_str(a, "src_ip", c->ip);
    if (c->has_st) {
        gs_alert_add_uint(a, "st_num", c->st);
        gs_alert_add_uint(a, "sq_num", c->sq);
    }
    if (c->has_smp)
        gs_alert_add_uint(a, "smp_cnt", c->smp_cnt);
    if (c->session != NULL)
        gs_alert_add_uint(a, "spdu_num", c->session->spdu_num);
    if (c->sec != NULL && c->sec->has_key_id)
        gs_alert_add_uint(a, "key_id", c->sec->key_id);
    if (c->sec != NULL && c->sec->present)
        gs_alert_add_str(a, "algorithm", gs_sec_alg_name(c->sec->algorithm));
    return true;
}

static void alert_end(struct cur *c, enum rule r, struct gs_alert *a)
{
    struct pub *p = c->p;
    if (p->held[r] > 0)
        gs_alert_add_uint(a, "held_back", p->held[r]);
    p->held[r] = 0;
    p->alerted |= 1u << r;
    p->last_alert_us[r] = c->now;
    gs_detect_alert(c->d->env, c->ctx, a);
}

/* An alert with one reason and nothing else. */
static void alert_reason(struct cur *c, enum rule r, const char *reason)
{
    struct gs_alert a;
    if (!alert_begin(c, r, &a))
        return;
    if (reason != NULL)
        gs_alert_add_str(&a, "reason", reason);
    alert_end(c, r, &a);
}

/* ---- tags ---------------------------------------------------------------------------------- */

static const struct gs_key *lookup(const struct det *d, const struct pub *p, struct gs_span name,
                                   uint32_t key_id)
{
    const struct gs_keystore *ks = d->env->keys;
    if (p->kind == K_GOOSE)
        return gs_keystore_goose(ks, p->appid, (const char *)name.ptr, name.len, key_id);
    return gs_keystore_sv(ks, p->appid, (const char *)name.ptr, name.len, key_id);
}

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
}

/* The key for the record's key id, read as sent (big-endian) or byte-swapped (IEC 61850-90-5
 * key ids are opaque octets: the SISCO sample sends key 1 as 01 00 00 00); for the packed
 * 2020 model whose IV and key id may come in either order, also the other reading, whose IV
 * then goes to *iv (iv_buf). */
static const struct gs_key *find_key(const struct det *d, const struct pub *p, struct gs_span name,
                                     const struct gs_sec_info *sec, uint8_t iv_buf[12],
                                     const uint8_t **iv)
{
    *iv = NULL;
    const struct gs_key *k = lookup(d, p, name, sec->key_id);
    if (k == NULL && swap32(sec->key_id) != sec->key_id)
        k = lookup(d, p, name, swap32(sec->key_id));
    if (k != NULL || !sec->iv_order_ambiguous || sec->iv.len != 12 || sec->key_id_raw.len != 4)
        return k;
    /* KeyID(4) | IV(12) instead of IV(12) | KeyID(4). */
    uint8_t both[16];
    struct gs_cursor a = gs_cur_init(sec->iv.ptr, sec->iv.len);
    struct gs_cursor b = gs_cur_init(sec->key_id_raw.ptr, sec->key_id_raw.len);
    gs_cur_copy(&a, both, 12);
    gs_cur_copy(&b, both + 12, 4);
    if (!gs_cur_ok(&a) || !gs_cur_ok(&b))
        return NULL;
    struct gs_cursor alt = gs_cur_init(both, sizeof(both));
    uint32_t alt_id = (uint32_t)gs_cur_be32(&alt);
    gs_cur_copy(&alt, iv_buf, 12);
    k = lookup(d, p, name, alt_id);
    if (k == NULL && swap32(alt_id) != alt_id)
        k = lookup(d, p, name, swap32(alt_id));
    if (k != NULL)
        *iv = iv_buf;
    return k;
}

static void unverifiable(struct cur *c, const char *reason)
{
    c->d->c.tags_unverifiable++;
    if (c->p->no_key_done)
        return;
    c->p->no_key_done = true;
    alert_reason(c, R_NO_KEY, reason);
}

/* Key id roll-over and the announced time of the next key (iec62351_6.md §3.4.9-3.4.11).
 * TimeToNextKey is relative to the PDU (minutes), so each PDU announces now + TTNK; the
 * earliest announcement of a key id is its deadline. */
static void check_key_times(struct cur *c)
{
    const struct gs_sec_info *sec = c->sec;
    struct pub *p = c->p;
    uint64_t grace = c->d->key_grace_us[p->kind];
    if (!sec->has_key_id)
        return;
    uint32_t kid = sec->key_id;
    if (!p->has_key_id || kid != p->key_id) {
        if (p->has_key_id && p->has_prev_key && kid == p->prev_key_id) {
            /* the key its successor replaced */
            if (c->now > p->key_since_us + grace) {
                struct gs_alert a;
                if (alert_begin(c, R_KEY_STALE, &a)) {
                    gs_alert_add_str(&a, "reason", "previous_key");
                    gs_alert_add_uint(&a, "current_key_id", p->key_id);
                    alert_end(c, R_KEY_STALE, &a);
                }
            }
            return;
        }
        p->has_prev_key = p->has_key_id;
        p->prev_key_id = p->key_id;
        p->has_key_id = true;
        p->key_id = kid;
        p->key_since_us = c->now;
        p->has_deadline = false;
        p->stale_open = false;
    }
    if (sec->has_key_times && sec->time_to_next_key >= 0) {
        uint64_t when = c->now + (uint64_t)sec->time_to_next_key * 60u * US_PER_S;
        if (!p->has_deadline || when < p->key_deadline_us)
            p->key_deadline_us = when;
        p->has_deadline = true;
    }
    if (p->has_deadline && !p->stale_open && c->now > p->key_deadline_us + grace) {
        p->stale_open = true;
        struct gs_alert a;
        if (alert_begin(c, R_KEY_STALE, &a)) {
            gs_alert_add_str(&a, "reason", "next_key_time_passed");
            gs_alert_add_uint(&a, "overdue_s", (c->now - p->key_deadline_us) / US_PER_S);
            alert_end(c, R_KEY_STALE, &a);
        }
    }
}

static bool tagged(const struct gs_sec_info *sec)
{
    return sec->present && (sec->tag.len > 0 || sec->format == GS_SEC_L2_UNKNOWN);
}

/* The PDU's tag, or its absence. `name` is the identity the key store knows it by. */
static void check_tag(struct cur *c, struct gs_span name)
{
    const struct gs_sec_info *sec = c->sec;
    struct pub *p = c->p;
    struct det *d = c->d;
    if (!tagged(sec)) {
        d->c.untagged++;
        bool required = p->conduit != NULL && p->conduit->require_tags;
        if ((p->had_tag || required) && !p->missing_open) {
            p->missing_open = true;
            alert_reason(c, R_TAG_MISSING, p->had_tag ? "stripped" : "required_by_policy");
        }
        return;
    }
    p->missing_open = false;
    p->had_tag = true;
    check_key_times(c);
    const char *reason;
    if (!gs_tag_verifiable(sec, &reason)) {
        unverifiable(c, reason);
        return;
    }
    if (d->env->keys == NULL) {
        unverifiable(c, "no_key_store");
        return;
    }
    uint8_t iv_buf[12];
    const uint8_t *iv;
    const struct gs_key *key = find_key(d, p, name, sec, iv_buf, &iv);
    if (key == NULL) {
        unverifiable(c, "no_key");
        return;
    }
    struct gs_tag_result res;
    gs_tag_verify(sec, key, iv, p->pinned, &res);
    if (res.verdict == GS_TAG_OK) {
        d->c.tags_verified++;
        p->pinned = res.coverage;
        return;
    }
    if (res.verdict == GS_TAG_UNVERIFIABLE) {
        unverifiable(c, res.reason);
        return;
    }
    d->c.tags_invalid++;
    struct gs_alert a;
    if (!alert_begin(c, R_TAG_INVALID, &a))
        return;
    gs_alert_add_str(&a, "reason", res.reason);
    gs_alert_add_str(&a, "key_algorithm", gs_sec_alg_name(res.key_as));
    gs_alert_add_uint(&a, "tag_len", sec->tag.len);
    gs_alert_add_uint(&a, "candidates", res.candidates);
    if (p->pinned != NULL)
        gs_alert_add_str(&a, "coverage", p->pinned);
    alert_end(c, R_TAG_INVALID, &a);
}

/* ---- counters shared by GOOSE and SV -------------------------------------------------------- */

static void check_simulation(struct cur *c, bool sim, bool s_bit)
{
    struct pub *p = c->p;
    if (!sim) {
        p->sim_open = false;
        return;
    }
    if (p->sim_open)
        return;
    p->sim_open = true;
    struct gs_alert a;
    if (!alert_begin(c, R_SIMULATION, &a))
        return;
    gs_alert_add_bool(&a, "s_bit", s_bit);
    alert_end(c, R_SIMULATION, &a);
}

static void check_conf_rev(struct cur *c, uint32_t conf_rev)
{
    struct pub *p = c->p;
    if (p->has_conf_rev && conf_rev != p->conf_rev) {
        struct gs_alert a;
        if (alert_begin(c, R_CONF_REV, &a)) {
            gs_alert_add_uint(&a, "previous_conf_rev", p->conf_rev);
            gs_alert_add_uint(&a, "conf_rev", conf_rev);
            alert_end(c, R_CONF_REV, &a);
        }
    }
    p->has_conf_rev = true;
    p->conf_rev = conf_rev;
}

/* a comes after b in serial-number arithmetic (RFC 1982, 32 bits) */
static bool serial_after(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d != 0 && d < 0x80000000u;
}

enum spdu_verdict {
    SP_NONE,     /* layer 2: no session counter */
    SP_FIRST,    /* first SPDU of this publisher */
    SP_ADVANCED, /* a newer SPDU */
    SP_MIRROR,   /* the same SPDU again inside the duplicate window */
    SP_RESTART,  /* a small number after a larger one: the sender restarted */
    SP_REPLAYED, /* an SPDU number already passed: alerted */
};

/* The session's replay counter: the SPDU number must grow per publisher (a publisher whose
 * several control blocks share one counter still grows in each). */
static enum spdu_verdict check_spdu(struct cur *c, bool identical)
{
    struct pub *p = c->p;
    if (c->session == NULL)
        return SP_NONE;
    uint32_t n = c->session->spdu_num;
    if (!p->has_spdu) {
        p->has_spdu = true;
        p->spdu_num = n;
        return SP_FIRST;
    }
    uint32_t last = p->spdu_num;
    if (serial_after(n, last)) {
        p->spdu_num = n;
        return SP_ADVANCED;
    }
    if (n == last && identical && c->now - p->last_us <= c->d->dup_window_us[p->kind])
        return SP_MIRROR;
    if (n < last && n < SPDU_RESTART) {
        p->spdu_num = n;
        c->d->c.restarts++;
        return SP_RESTART;
    }
    struct gs_alert a;
    if (alert_begin(c, R_REPLAY, &a)) {
        gs_alert_add_str(&a, "reason", "spdu_num");
        gs_alert_add_uint(&a, "last_spdu_num", last);
        gs_alert_add_str(&a, "content", identical ? "identical" : "different");
        alert_end(c, R_REPLAY, &a);
    }
    return SP_REPLAYED;
}

/* ---- GOOSE stNum / sqNum ------------------------------------------------------------------- */

static bool t_newer(const struct seqpt *old, const struct seqpt *cur)
{
    if (!old->has_t || !cur->has_t)
        return false;
    return cur->t.seconds > old->t.seconds ||
           (cur->t.seconds == old->t.seconds && cur->t.fraction > old->t.fraction);
}

/* The next stNum (or sqNum): +1, and after 0xFFFFFFFF either 0 or 1 (libiec61850 skips 0). */
static bool is_next(uint32_t prev, uint32_t cur)
{
    return cur == prev + 1u || (prev == 0xFFFFFFFFu && cur == 1u);
}

/* cur continues the sequence of p: a later sqNum of the same stNum, or the next stNum. */
static bool goose_continues(const struct seqpt *p, const struct seqpt *cur)
{
    if (cur->a == p->a)
        return cur->b > p->b && cur->b - p->b <= SQ_CONTINUE_MAX;
    return is_next(p->a, cur->a);
}

/* A publisher starting again: stNum 1 (or 0), sqNum 0 or 1, an event time not older than the
 * last one (or a clock the publisher itself says is not right). */
static bool goose_restart(const struct seqpt *base, const struct seqpt *cur)
{
    if (cur->a > 1 || cur->b > 1)
        return false;
    if (!base->has_t || !cur->has_t || (cur->t.quality & CLOCK_SUSPECT) != 0)
        return true;
    return !t_newer(cur, base);
}

enum seq_class { Q_OK, Q_GAP, Q_SAME, Q_OLDER, Q_RESTART, Q_JUMP, Q_ROLLBACK };

static enum seq_class goose_classify(const struct seqpt *base, const struct seqpt *cur)
{
    if (cur->a == base->a) {
        if (is_next(base->b, cur->b))
            return Q_OK;
        if (cur->b > base->b)
            return Q_GAP;
        /* the same or an earlier sqNum: a replayed retransmission (same event time), unless
         * the publisher restarted with its stNum kept (a newer event time) */
        if (t_newer(base, cur) || (!cur->has_t && cur->b <= 1 && cur->b < base->b))
            return Q_RESTART;
        return cur->b == base->b ? Q_SAME : Q_OLDER;
    }
    if (is_next(base->a, cur->a))
        return cur->b <= 1 ? Q_OK : Q_GAP;
    if (goose_restart(base, cur))
        return Q_RESTART;
    return serial_after(cur->a, base->a) ? Q_JUMP : Q_ROLLBACK;
}

static void goose_sequence(struct cur *c, const struct seqpt *cur, bool identical,
                           enum spdu_verdict sp, bool *mirror)
{
    struct pub *p = c->p;
    struct det *d = c->d;
    *mirror = false;
    if (!p->seq_seen || sp == SP_RESTART) {
        p->seq_seen = true;
        p->base = *cur;
        p->has_cand = false;
        return;
    }
    bool session_moved = sp == SP_ADVANCED;
    enum seq_class q = goose_classify(&p->base, cur);
    struct gs_alert a;
    switch (q) {
    case Q_OK:
        break;
    case Q_RESTART:
        d->c.restarts++;
        break;
    case Q_GAP:
        if (alert_begin(c, R_GAP, &a)) {
            bool new_state = cur->a != p->base.a;
            gs_alert_add_uint(&a, "expected_sq_num", new_state ? 0 : p->base.b + 1u);
            if (!new_state)
                gs_alert_add_uint(&a, "missing", cur->b - p->base.b - 1u);
            alert_end(c, R_GAP, &a);
        }
        break;
    case Q_SAME:
    case Q_OLDER:
        if (q == Q_SAME && identical && c->now - p->last_us <= d->dup_window_us[K_GOOSE]) {
            d->c.mirror_duplicates++;
            *mirror = true;
            return;
        }
        if (session_moved) {
            /* a newer SPDU repeating the counters: the session number protects the stream */
            d->c.counters_not_moving++;
            break;
        }
        if (alert_begin(c, R_REPLAY, &a)) {
            gs_alert_add_str(&a, "reason", q == Q_SAME ? "same_st_sq" : "older_sq_num");
            gs_alert_add_uint(&a, "last_st_num", p->base.a);
            gs_alert_add_uint(&a, "last_sq_num", p->base.b);
            gs_alert_add_str(&a, "content", identical ? "identical" : "different");
            alert_end(c, R_REPLAY, &a);
        }
        return; /* a replay does not move the publisher's sequence */
    case Q_JUMP:
    case Q_ROLLBACK:
        if (p->has_cand && goose_continues(&p->cand, cur)) {
            d->c.realigned++;
            break;
        }
        if (alert_begin(c, q == Q_JUMP ? R_JUMP : R_ROLLBACK, &a)) {
            gs_alert_add_uint(&a, "last_st_num", p->base.a);
            gs_alert_add_uint(&a, "last_sq_num", p->base.b);
            alert_end(c, q == Q_JUMP ? R_JUMP : R_ROLLBACK, &a);
        }
        p->cand = *cur;
        p->has_cand = true;
        return; /* judged by the next PDU */
    }
    p->base = *cur;
    p->has_cand = false;
}

/* timeAllowedToLive: the PDU before this one promised the next within TAL. */
static void tal_arrival(struct cur *c)
{
    struct pub *p = c->p;
    if (!p->has_ttl || p->tal_open || !p->alive)
        return;
    uint64_t deadline = p->last_us + (uint64_t)p->ttl_ms * US_PER_MS + c->d->tal_slack_us;
    if (c->now <= deadline)
        return;
    p->tal_open = true;
    struct gs_alert a;
    if (!alert_begin(c, R_TAL, &a))
        return;
    gs_alert_add_uint(&a, "ttl_ms", p->ttl_ms);
    gs_alert_add_uint(&a, "silent_ms", (c->now - p->last_us) / US_PER_MS);
    gs_alert_add_uint(&a, "last_st_num", p->tal_last.a);
    gs_alert_add_uint(&a, "last_sq_num", p->tal_last.b);
    alert_end(c, R_TAL, &a);
}

static uint8_t carrier_of(const struct gs_rsession *s)
{
    if (s == NULL)
        return C_L2;
    return s->tunnel ? C_TUNNEL : C_SESSION;
}

static void on_goose(struct det *d, const struct gs_pkt_ctx *ctx, const struct gs_goose_event *ev)
{
    if (ev->pdu != GS_GOOSE_PDU_GOOSE || (ev->present & GS_GOOSE_F_GOCB_REF) == 0 ||
        ev->gocb_ref.len == 0) {
        d->c.unattributed++;
        return;
    }
    struct pub *p = table_get(d, K_GOOSE, carrier_of(ev->session), ev->appid, ev->gocb_ref);
    if (p == NULL)
        return;
    bool first = p->last_pcap == 0;
    if (!first && p->last_pcap == ctx->pcap_cnt)
        return; /* the same PDU twice in one SPDU (the SISCO sample does this) */
    struct cur c = {
        .d = d, .ctx = ctx, .p = p, .now = ctx->ts_us, .sec = ev->security, .session = ev->session};
    struct seqpt cur = {0};
    bool has_seq = (ev->present & (GS_GOOSE_F_ST_NUM | GS_GOOSE_F_SQ_NUM)) ==
                   (GS_GOOSE_F_ST_NUM | GS_GOOSE_F_SQ_NUM);
    if (has_seq) {
        c.has_st = true;
        c.st = cur.a = ev->st_num;
        c.sq = cur.b = ev->sq_num;
        cur.has_t = (ev->present & GS_GOOSE_F_T) != 0;
        cur.t = ev->t;
    }
    note_sender(&c, first);
    uint64_t unit = span_hash(ev->apdu);
    bool identical = !first && unit == p->unit_hash;
    tal_arrival(&c);
    if (c.sec != NULL)
        check_tag(&c, ev->gocb_ref);
    check_simulation(
        &c, ev->simulated || ((ev->present & GS_GOOSE_F_SIMULATION) != 0 && ev->simulation),
        ev->simulated);
    if ((ev->present & GS_GOOSE_F_CONF_REV) != 0)
        check_conf_rev(&c, ev->conf_rev);
    enum spdu_verdict sp = check_spdu(&c, identical);
    bool mirror = sp == SP_MIRROR;
    if (sp == SP_MIRROR)
        d->c.mirror_duplicates++;
    else if (sp != SP_REPLAYED && has_seq)
        goose_sequence(&c, &cur, identical, sp, &mirror);
    p->last_pcap = ctx->pcap_cnt;
    p->unit_hash = unit;
    if (mirror)
        return;
    p->alive = true;
    p->last_us = c.now;
    p->tal_open = false;
    if ((ev->present & GS_GOOSE_F_TTL) != 0) {
        p->has_ttl = true;
        p->ttl_ms = ev->ttl_ms;
        p->tal_last = cur;
    }
}

/* ---- SV smpCnt ------------------------------------------------------------------------------ */

static bool sv_continues(const struct seqpt *p, const struct seqpt *cur, uint32_t wrap)
{
    uint32_t m = wrap != 0 ? wrap : 65536u;
    uint32_t d = (cur->a + m - p->a % m) % m;
    return d >= 1 && d <= SQ_CONTINUE_MAX;
}

static void sv_adopt(struct pub *p, uint32_t smp, uint64_t data)
{
    p->seq_seen = true;
    p->base.a = smp;
    p->has_cand = false;
    p->data_hash = data;
}

/* smpCnt equal to the last one: two ASDUs of one PDU, a mirror copy, a session that moved on,
 * a replayed sample (same content) or a second, different sample with the same count. */
static void sv_same(struct cur *c, uint32_t smp, uint64_t data, bool same_unit,
                    enum spdu_verdict sp)
{
    struct pub *p = c->p;
    struct det *d = c->d;
    bool identical = data == p->data_hash;
    if (same_unit) {
        d->c.counters_not_moving++; /* one PDU: nothing replayed, nothing injected */
        return;
    }
    if (identical && c->now - p->last_us <= d->dup_window_us[K_SV]) {
        d->c.mirror_duplicates++;
        return;
    }
    if (sp == SP_ADVANCED) {
        d->c.counters_not_moving++;
        sv_adopt(p, smp, data);
        return;
    }
    enum rule r = identical ? R_REPLAY : R_DUPLICATE;
    struct gs_alert a;
    if (alert_begin(c, r, &a)) {
        if (r == R_REPLAY)
            gs_alert_add_str(&a, "reason", "same_smp_cnt");
        alert_end(c, r, &a);
    }
}

/* One ASDU's smpCnt against the stream's last one. The modulus is 65536 until a wrap to 0
 * shows the publisher's (samples per second: 4000, 4800, ...). */
static void sv_sequence(struct cur *c, uint32_t smp, uint64_t data, bool same_unit,
                        enum spdu_verdict sp)
{
    struct pub *p = c->p;
    struct det *d = c->d;
    if (!p->seq_seen || sp == SP_RESTART) {
        sv_adopt(p, smp, data);
        return;
    }
    if (p->wrap != 0 && smp >= p->wrap)
        p->wrap = 0; /* the modulus learnt was wrong (a reset to 0 looked like a wrap) */
    uint32_t prev = p->base.a;
    uint32_t m = p->wrap != 0 ? p->wrap : 65536u;
    if (smp == (prev + 1u) % m) {
        sv_adopt(p, smp, data);
        return;
    }
    if (smp == prev) {
        sv_same(c, smp, data, same_unit, sp);
        return;
    }
    if (smp == 0) {
        /* a wrap (learnt the first time) or a resynchronisation to 0 */
        if (p->wrap == 0 && prev >= 1u)
            p->wrap = prev + 1u;
        else
            d->c.restarts++;
        sv_adopt(p, smp, data);
        return;
    }
    struct gs_alert a;
    uint32_t diff = (smp + m - prev % m) % m;
    bool wrap_unknown_loss = p->wrap == 0 && smp < SQ_CONTINUE_MAX && prev >= SV_MIN_WRAP;
    if (diff <= m / 2u || wrap_unknown_loss) {
        /* samples lost (also across a wrap not learnt yet) */
        if (alert_begin(c, R_GAP, &a)) {
            gs_alert_add_uint(&a, "expected_smp_cnt", (prev + 1u) % m);
            if (!wrap_unknown_loss)
                gs_alert_add_uint(&a, "missing", diff - 1u);
            alert_end(c, R_GAP, &a);
        }
        sv_adopt(p, smp, data);
        return;
    }
    struct seqpt cur = {.a = smp};
    if (p->has_cand && sv_continues(&p->cand, &cur, p->wrap)) {
        d->c.realigned++;
        sv_adopt(p, smp, data);
        return;
    }
    if (alert_begin(c, R_ROLLBACK, &a)) {
        gs_alert_add_uint(&a, "last_smp_cnt", prev);
        alert_end(c, R_ROLLBACK, &a);
    }
    p->cand = cur;
    p->has_cand = true;
}

static void on_sv(struct det *d, const struct gs_pkt_ctx *ctx, const struct gs_sv_event *ev)
{
    if (!ev->has_pdu || ev->n_asdus == 0) {
        d->c.unattributed++;
        return;
    }
    uint8_t carrier = carrier_of(ev->session);
    uint64_t unit = span_hash(ev->apdu);
    bool tag_done = false;
    for (size_t i = 0; i < ev->n_asdus; i++) {
        const struct gs_sv_asdu *asdu = &ev->asdus[i];
        if ((asdu->present & GS_SV_F_SV_ID) == 0 || asdu->sv_id.len == 0) {
            d->c.unattributed++;
            continue;
        }
        struct pub *p = table_get(d, K_SV, carrier, ev->appid, asdu->sv_id);
        if (p == NULL || p->skip_pcap == ctx->pcap_cnt)
            continue;
        bool first = p->last_pcap == 0;
        bool same_unit = !first && p->last_pcap == ctx->pcap_cnt;
        struct cur c = {.d = d,
                        .ctx = ctx,
                        .p = p,
                        .now = ctx->ts_us,
                        .sec = ev->security,
                        .session = ev->session};
        bool has_smp = (asdu->present & GS_SV_F_SMP_CNT) != 0;
        c.has_smp = has_smp;
        c.smp_cnt = asdu->smp_cnt;
        enum spdu_verdict sp = SP_NONE;
        if (!same_unit) {
            note_sender(&c, first);
            bool identical = !first && unit == p->unit_hash;
            if (!tag_done && c.sec != NULL) {
                tag_done = true; /* one tag per PDU, judged with the first ASDU's svID */
                check_tag(&c, asdu->sv_id);
            }
            check_simulation(&c, ev->simulated, ev->simulated);
            if ((asdu->present & GS_SV_F_CONF_REV) != 0)
                check_conf_rev(&c, asdu->conf_rev);
            sp = check_spdu(&c, identical);
            bool l2_copy =
                sp == SP_NONE && identical && c.now - p->last_us <= d->dup_window_us[K_SV];
            p->last_pcap = ctx->pcap_cnt;
            p->unit_hash = unit;
            if (sp == SP_MIRROR || l2_copy) {
                d->c.mirror_duplicates++;
                p->skip_pcap = ctx->pcap_cnt;
                continue;
            }
            if (sp == SP_REPLAYED) {
                p->skip_pcap = ctx->pcap_cnt;
                continue;
            }
        }
        if (has_smp)
            sv_sequence(&c, asdu->smp_cnt, span_hash(asdu->seq_data), same_unit, sp);
        p->last_us = c.now;
    }
}

/* ---- detector ------------------------------------------------------------------------------ */

static void det_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct det *d = state;
    if (ev->type == GS_EVENT_GOOSE)
        on_goose(d, ctx, ev->body);
    else if (ev->type == GS_EVENT_SV)
        on_sv(d, ctx, ev->body);
}

/* Publishers silent past their TAL, in packet time (each silence once). */
static void det_time(void *state, const struct gs_pkt_ctx *ctx)
{
    struct det *d = state;
    for (struct pub *p = d->t[K_GOOSE].lru_head; p != NULL; p = p->next) {
        struct cur c = {.d = d, .ctx = ctx, .p = p, .now = ctx->ts_us};
        tal_arrival(&c);
    }
}

static int det_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    struct det *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "goose_sv: out of memory");
        return -1;
    }
    const struct gs_config *cfg = env->cfg;
    d->env = env;
    d->dup_window_us[K_GOOSE] = (uint64_t)cfg->goose_duplicate_window_ms * US_PER_MS;
    d->dup_window_us[K_SV] = cfg->sv_duplicate_window_us;
    d->key_grace_us[K_GOOSE] = (uint64_t)cfg->goose_key_grace_s * US_PER_S;
    d->key_grace_us[K_SV] = (uint64_t)cfg->sv_key_grace_s * US_PER_S;
    d->holddown_us[K_GOOSE] = (uint64_t)cfg->goose_alert_holddown_s * US_PER_S;
    d->holddown_us[K_SV] = (uint64_t)cfg->sv_alert_holddown_s * US_PER_S;
    d->tal_slack_us = (uint64_t)cfg->goose_tal_slack_ms * US_PER_MS;
    if (table_init(&d->t[K_GOOSE], cfg->goose_max_publishers, &d->c.publishers_evicted) != 0 ||
        table_init(&d->t[K_SV], cfg->sv_max_streams, &d->c.streams_evicted) != 0) {
        free(d->t[K_GOOSE].buckets);
        free(d->t[K_SV].buckets);
        free(d);
        snprintf(errbuf, GS_ERRBUF_SIZE, "goose_sv: out of memory");
        return -1;
    }
    *state = d;
    return 0;
}

static void det_destroy(void *state)
{
    struct det *d = state;
    if (d == NULL)
        return;
    table_free(&d->t[K_GOOSE]);
    table_free(&d->t[K_SV]);
    free(d);
}

void gs_goose_sv_get_counters(const void *state, struct gs_goose_sv_counters *out)
{
    const struct det *d = state;
    *out = d->c;
    out->publishers = d->t[K_GOOSE].used;
    out->streams = d->t[K_SV].used;
}

static void det_counters(const void *state, gs_counter_fn *add, void *arg)
{
    struct gs_goose_sv_counters c;
    gs_goose_sv_get_counters(state, &c);
    add(arg, "publishers", c.publishers);
    add(arg, "publishers_evicted", c.publishers_evicted);
    add(arg, "streams", c.streams);
    add(arg, "streams_evicted", c.streams_evicted);
    add(arg, "tags_verified", c.tags_verified);
    add(arg, "tags_invalid", c.tags_invalid);
    add(arg, "tags_unverifiable", c.tags_unverifiable);
    add(arg, "untagged", c.untagged);
    add(arg, "mirror_duplicates", c.mirror_duplicates);
    add(arg, "counters_not_moving", c.counters_not_moving);
    add(arg, "restarts", c.restarts);
    add(arg, "realigned", c.realigned);
    add(arg, "unattributed", c.unattributed);
    add(arg, "alerts_held_back", c.alerts_held_back);
}

const struct gs_detector gs_goose_sv_detector = {
    .name = "goose_sv",
    .event_mask = GS_EVENT_BIT(GS_EVENT_GOOSE) | GS_EVENT_BIT(GS_EVENT_SV),
    .create = det_create,
    .destroy = det_destroy,
    .on_event = det_event,
    .on_time = det_time,
    .counters = det_counters,
};
