/*
 * baseline.c - poll-rate baselines: the series table, the request kinds of each protocol, and
 * the detector (see baseline.h). The JSON file is read and written by baseline_file.c.
 *
 * A poll. Requests of one series closer together than baseline.burst_ms are one poll (a
 * retry, a read split over several fragments), so intervals are measured from the start of a
 * poll to the start of the next. Learning keeps the last baseline.learn_samples intervals of
 * each series; the period is their median and the jitter their median absolute deviation
 * (MAD), which one late poll or a burst of retries does not move. A period is trusted
 * ("periodic") when at least baseline.min_samples intervals were measured, the MAD is at most
 * baseline.max_jitter_pct of the median, no more than 1 interval in 20 is longer than the
 * period and its tolerance (polls in two rhythms), and the series still polled at the end of
 * learning. The tolerance is baseline.tolerance_pct, or 6 MAD when the series is jittery;
 * per_poll, the requests per period over the whole learning, scales the rate checks.
 *
 * Enforcing, in packet time (an offline replay raises what live capture would):
 *   - poll_missed: a periodic series silent for period x (1 + tolerance). Checked in on_time,
 *     once per second of packet time, so the alert carries the packet that moved the clock
 *     past the deadline. Once per silence; the next request re-arms it. A series of the file
 *     not seen at all in this run is late counting from the first packet.
 *   - rate_anomaly: requests are counted over tumbling windows of max(baseline.rate_window_s,
 *     8 periods) starting at the series' first request; expected = round(window / period x
 *     requests per poll). More than expected x baseline.rate_factor_pct / 100 is raised at the
 *     request that crossed it; fewer than expected / that factor when the window closes,
 *     unless a missed poll in that window already told of the silence. Once per episode: a
 *     window back within bounds re-arms it.
 *   - new_talker: the two endpoints never exchanged that protocol in the baseline (once for
 *     the pair, at its first request); new_request: a known pair sends a request kind the
 *     baseline lacks (once per series).
 *   - A policy conduit's "poll" sets the period (and tolerance) of the matching series:
 *     without "kind", of a series "*" counting everything the conduit's client sends.
 *
 * GOOSE is not baselined here: each GOOSE message announces its own deadline
 * (timeAllowedToLive), which the GOOSE detector enforces exactly.
 */
#include "baseline.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline_int.h"
#include "dnp3.h"
#include "iec104.h"
#include "mms.h"

#define US_PER_MS          1000u
#define US_PER_S           1000000u
#define MIN_WINDOW_PERIODS 8u
#define GAP_NONE           UINT64_MAX

/* ---- the model -------------------------------------------------------------------------- */

static const char *const proto_names[GS_BASELINE_PROTO_COUNT] = {"dnp3", "iec104", "mms"};

const char *gs_baseline_proto_name(unsigned proto)
{
    return proto < GS_BASELINE_PROTO_COUNT ? proto_names[proto] : "unknown";
}

int gs_baseline_proto_by_name(const char *name)
{
    for (unsigned i = 0; i < GS_BASELINE_PROTO_COUNT; i++) {
        if (strcmp(proto_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 16777619u;
    return h;
}

static uint32_t identity_hash(unsigned proto, const struct gs_ip *from, const struct gs_ip *to,
                              const char *kind)
{
    uint8_t p = (uint8_t)proto;
    uint32_t h = fnv(2166136261u, &p, 1);
    h = fnv(h, &from->family, 1);
    h = fnv(h, from->addr, sizeof(from->addr));
    h = fnv(h, &to->family, 1);
    h = fnv(h, to->addr, sizeof(to->addr));
    return fnv(h, kind, strlen(kind));
}

static bool same_ip(const struct gs_ip *a, const struct gs_ip *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

int gs_baseline_alloc(struct gs_baseline **out, const struct gs_config *cfg, size_t n_pinned,
                      bool learning, char *errbuf)
{
    *out = NULL;
    size_t runtime = cfg->baseline_max_series;
    size_t ring = learning ? cfg->baseline_learn_samples : 0;
    /* The config ranges keep these products far from overflow; refuse absurd memory anyway. */
    if (runtime * ring > ((size_t)1 << 28)) {
        snprintf(errbuf, GS_ERRBUF_SIZE,
                 "baseline.max_series x baseline.learn_samples (%zu) is more than 2^28 intervals",
                 runtime * ring);
        return -1;
    }
    struct gs_baseline *b = calloc(1, sizeof(*b));
    if (b == NULL)
        goto oom;
    b->cfg = cfg;
    b->learning = learning;
    b->n_pinned = n_pinned;
    b->cap = n_pinned + runtime;
    b->series = calloc(b->cap, sizeof(*b->series));
    size_t n_buckets = 16;
    while (n_buckets < 2 * b->cap)
        n_buckets <<= 1;
    b->buckets = malloc(n_buckets * sizeof(*b->buckets));
    b->bucket_mask = n_buckets - 1;
    if (ring != 0)
        b->gaps = calloc(runtime * ring, sizeof(*b->gaps));
    if (b->series == NULL || b->buckets == NULL || (ring != 0 && b->gaps == NULL))
        goto oom;
    for (size_t i = 0; i < n_buckets; i++)
        b->buckets[i] = GS_BASELINE_NONE;
    b->lru_head = b->lru_tail = GS_BASELINE_NONE;
    *out = b;
    return 0;
oom:
    gs_baseline_free(b);
    snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory for %zu baseline series", n_pinned + runtime);
    return -1;
}

int gs_baseline_create_learning(struct gs_baseline **out, const struct gs_config *cfg, char *errbuf)
{
    return gs_baseline_alloc(out, cfg, 0, true, errbuf);
}

void gs_baseline_free(struct gs_baseline *b)
{
    if (b == NULL)
        return;
    free(b->series);
    free(b->buckets);
    free(b->gaps);
    free(b);
}

bool gs_baseline_learning(const struct gs_baseline *b)
{
    return b->learning;
}

size_t gs_baseline_series_count(const struct gs_baseline *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_pinned + b->n_runtime; i++)
        n += b->series[i].used;
    return n;
}

struct gs_baseline_series *gs_baseline_find(struct gs_baseline *b, unsigned proto,
                                            const struct gs_ip *from, const struct gs_ip *to,
                                            const char *kind)
{
    uint32_t h = identity_hash(proto, from, to, kind);
    for (uint32_t i = b->buckets[h & b->bucket_mask]; i != GS_BASELINE_NONE;
         i = b->series[i].bucket_next) {
        struct gs_baseline_series *s = &b->series[i];
        if (s->hash == h && s->proto == proto && same_ip(&s->from, from) && same_ip(&s->to, to) &&
            strcmp(s->kind, kind) == 0)
            return s;
    }
    return NULL;
}

static uint32_t slot_of(const struct gs_baseline *b, const struct gs_baseline_series *s)
{
    return (uint32_t)(s - b->series);
}

static void bucket_link(struct gs_baseline *b, struct gs_baseline_series *s)
{
    uint32_t *head = &b->buckets[s->hash & b->bucket_mask];
    s->bucket_next = *head;
    *head = slot_of(b, s);
}

static void bucket_unlink(struct gs_baseline *b, struct gs_baseline_series *s)
{
    uint32_t idx = slot_of(b, s);
    uint32_t *link = &b->buckets[s->hash & b->bucket_mask];
    while (*link != GS_BASELINE_NONE && *link != idx)
        link = &b->series[*link].bucket_next;
    GS_ASSERT(*link == idx);
    *link = s->bucket_next;
}

static void lru_remove(struct gs_baseline *b, struct gs_baseline_series *s)
{
    if (!s->in_lru)
        return;
    if (s->lru_prev != GS_BASELINE_NONE)
        b->series[s->lru_prev].lru_next = s->lru_next;
    else
        b->lru_head = s->lru_next;
    if (s->lru_next != GS_BASELINE_NONE)
        b->series[s->lru_next].lru_prev = s->lru_prev;
    else
        b->lru_tail = s->lru_prev;
    s->in_lru = false;
}

static void lru_push(struct gs_baseline *b, struct gs_baseline_series *s)
{
    uint32_t idx = slot_of(b, s);
    s->lru_prev = GS_BASELINE_NONE;
    s->lru_next = b->lru_head;
    if (b->lru_head != GS_BASELINE_NONE)
        b->series[b->lru_head].lru_prev = idx;
    else
        b->lru_tail = idx;
    b->lru_head = idx;
    s->in_lru = true;
}

static void set_identity(struct gs_baseline_series *s, unsigned proto, const struct gs_ip *from,
                         const struct gs_ip *to, const char *kind)
{
    memset(s, 0, sizeof(*s));
    s->used = true;
    s->proto = (uint8_t)proto;
    s->from = *from;
    s->to = *to;
    snprintf(s->kind, sizeof(s->kind), "%s", kind);
    s->hash = identity_hash(proto, from, to, s->kind);
    s->min_gap_us = GAP_NONE;
    s->per_poll = 1.0;
    s->lru_prev = s->lru_next = GS_BASELINE_NONE;
}

struct gs_baseline_series *gs_baseline_add_pinned(struct gs_baseline *b, unsigned proto,
                                                  const struct gs_ip *from, const struct gs_ip *to,
                                                  const char *kind)
{
    GS_ASSERT(b->pinned_used < b->n_pinned);
    if (gs_baseline_find(b, proto, from, to, kind) != NULL)
        return NULL;
    struct gs_baseline_series *s = &b->series[b->pinned_used++];
    set_identity(s, proto, from, to, kind);
    s->pinned = true;
    s->watch_from_start = true;
    bucket_link(b, s);
    return s;
}

/* A new run-time series: a fresh slot while there are some, else the least recently seen
 * series without an expectation is evicted. NULL (counted) when every slot is held by a series
 * with an expectation. */
static struct gs_baseline_series *add_runtime(struct gs_baseline *b, unsigned proto,
                                              const struct gs_ip *from, const struct gs_ip *to,
                                              const char *kind)
{
    struct gs_baseline_series *s;
    if (b->n_runtime < b->cap - b->n_pinned) {
        s = &b->series[b->n_pinned + b->n_runtime++];
    } else if (b->lru_tail != GS_BASELINE_NONE) {
        s = &b->series[b->lru_tail];
        lru_remove(b, s);
        bucket_unlink(b, s);
        b->evicted++;
    } else {
        b->dropped++;
        return NULL;
    }
    set_identity(s, proto, from, to, kind);
    bucket_link(b, s);
    lru_push(b, s);
    b->created++;
    return s;
}

/* ---- names ------------------------------------------------------------------------------ */

void gs_baseline_ip_text(const struct gs_ip *ip, char *out, size_t cap)
{
    if (inet_ntop(ip->family == 6 ? AF_INET6 : AF_INET, ip->addr, out, (socklen_t)cap) == NULL)
        snprintf(out, cap, "?");
}

void gs_baseline_key_text(const struct gs_baseline_series *s, char *out, size_t cap)
{
    char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
    gs_baseline_ip_text(&s->from, from, sizeof(from));
    gs_baseline_ip_text(&s->to, to, sizeof(to));
    snprintf(out, cap, "%s %s > %s %s", gs_baseline_proto_name(s->proto), from, to, s->kind);
}

void gs_baseline_time_text(uint64_t ts_us, char *out, size_t cap)
{
    time_t secs = (time_t)(ts_us / US_PER_S);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%06u+0000", date, (unsigned)(ts_us % US_PER_S));
}

/* ---- learning --------------------------------------------------------------------------- */

static uint32_t *ring_of(const struct gs_baseline *b, const struct gs_baseline_series *s)
{
    if (b->gaps == NULL || s->pinned)
        return NULL;
    size_t slot = (size_t)slot_of(b, s) - b->n_pinned;
    return b->gaps + slot * b->cfg->baseline_learn_samples;
}

static void learn_gap(struct gs_baseline *b, struct gs_baseline_series *s, uint64_t gap_us)
{
    uint32_t *ring = ring_of(b, s);
    if (ring != NULL) {
        uint64_t ms = gap_us / US_PER_MS;
        ring[s->n_gaps % b->cfg->baseline_learn_samples] =
            ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    }
    if (s->n_gaps < UINT32_MAX)
        s->n_gaps++;
    if (s->min_gap_us == GAP_NONE || gap_us < s->min_gap_us)
        s->min_gap_us = gap_us;
    if (gap_us > s->max_gap_us)
        s->max_gap_us = gap_us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Median of n sorted values, in microseconds (they are milliseconds). */
static uint64_t median_us(const uint32_t *v, size_t n)
{
    if (n % 2 == 1)
        return (uint64_t)v[n / 2] * US_PER_MS;
    return ((uint64_t)v[n / 2 - 1] + v[n / 2]) * US_PER_MS / 2;
}

void gs_baseline_learned(const struct gs_baseline *b, const struct gs_baseline_series *s,
                         struct gs_baseline_learned *out)
{
    const struct gs_config *cfg = b->cfg;
    memset(out, 0, sizeof(*out));
    out->tolerance = cfg->baseline_tolerance_pct / 100.0;
    out->per_poll = 1.0;
    size_t n = s->n_gaps < cfg->baseline_learn_samples ? s->n_gaps : cfg->baseline_learn_samples;
    out->samples = n;
    const uint32_t *ring = ring_of(b, s);
    uint32_t *v = n != 0 && ring != NULL ? malloc(n * sizeof(*v)) : NULL;
    if (v == NULL) {
        out->note = n == 0 ? "no interval between polls" : "out of memory";
        return;
    }
    memcpy(v, ring, n * sizeof(*v));
    qsort(v, n, sizeof(*v), cmp_u32);
    out->period_us = median_us(v, n);
    uint32_t med_ms = (uint32_t)(out->period_us / US_PER_MS);
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] > med_ms ? v[i] - med_ms : med_ms - v[i];
    qsort(v, n, sizeof(*v), cmp_u32);
    out->mad_us = median_us(v, n);
    if (out->period_us == 0) {
        free(v);
        out->note = "period under a millisecond";
        return;
    }
    /* Requests per period, over the whole learning: what a rate window is measured against
     * (retries and multi-part polls included, whatever the pattern of the polls). */
    if (s->last_us > s->first_us)
        out->per_poll =
            (double)(s->requests - 1) * (double)out->period_us / (double)(s->last_us - s->first_us);
    out->per_poll = fmin(fmax(out->per_poll, GS_BASELINE_MIN_PER_POLL), GS_BASELINE_MAX_PER_POLL);
    /* A jittery but periodic series gets room: about four standard deviations (6 MAD). */
    double spread = 6.0 * (double)out->mad_us / (double)out->period_us;
    if (spread > out->tolerance)
        out->tolerance = fmin(ceil(spread * 100.0) / 100.0, GS_BASELINE_MAX_TOLERANCE);
    /* The period must hold for the learning traffic itself: a series that would have raised
     * a missed poll on more than 1 interval in 20 (polls in two rhythms) is not trusted. */
    double allowed = (double)out->period_us * (1.0 + out->tolerance);
    size_t late = 0;
    for (size_t i = 0; i < n; i++)
        late += (double)ring[i] * US_PER_MS > allowed;
    free(v);
    if (n < cfg->baseline_min_samples) {
        out->note = "too few polls to trust a period";
        return;
    }
    if (out->mad_us * 100 > (uint64_t)cfg->baseline_max_jitter_pct * out->period_us) {
        out->note = "too irregular to trust a period";
        return;
    }
    if (late * 20 > n) {
        out->note = "too many intervals longer than period x (1 + tolerance)";
        return;
    }
    if (b->last_us > s->last_us && (double)(b->last_us - s->last_us) > allowed) {
        out->note = "stopped before the end of learning";
        return;
    }
    out->periodic = true;
}

/* ---- request kinds ---------------------------------------------------------------------- */

/* A bounded text builder for a kind; what does not fit is cut and counted. */
struct kind_buf {
    char *p;
    size_t cap, len;
    bool truncated;
};

static void kb_fmt(struct kind_buf *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void kb_fmt(struct kind_buf *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(k->p + k->len, k->cap - k->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= k->cap - k->len) {
        k->truncated = true;
        k->len = k->cap - 1;
    } else {
        k->len += (size_t)n;
    }
}

/* Wire bytes as kind text: printable ASCII kept, anything else '?'. */
static void kb_span(struct kind_buf *k, struct gs_span sp)
{
    for (size_t i = 0; i < sp.len; i++) {
        if (k->len + 1 >= k->cap) {
            k->truncated = true;
            return;
        }
        uint8_t c = sp.ptr[i];
        k->p[k->len++] = c > 0x20 && c < 0x7F ? (char)c : '?';
        k->p[k->len] = '\0';
    }
}

/* What one PDU tells the baseline. */
struct obs {
    unsigned proto;
    const struct gs_flow_info *flow; /* oriented sender -> receiver */
    char kind[GS_BASELINE_KIND_MAX]; /* empty: not a series of its own */
    bool client_activity;            /* counts for a conduit's kind-less poll */
};

/* DNP3: requests from the master, by function code, first object (SA g120 objects skipped:
 * an aggressive-mode READ is still a READ of what follows) and outstation address. */
static void dnp3_kind(const struct gs_dnp3_event *e, struct obs *o, struct kind_buf *k)
{
    if (!e->from_master || e->is_response)
        return;
    o->client_activity = true;
    const char *fn = gs_dnp3_function_name(e->function_code);
    if (fn != NULL)
        kb_fmt(k, "%s", fn);
    else
        kb_fmt(k, "FC%u", e->function_code);
    for (size_t i = 0; i < e->n_objects; i++) {
        if (e->objects[i].group != 120) {
            kb_fmt(k, " g%uv%u", e->objects[i].group, e->objects[i].variation);
            break;
        }
    }
    kb_fmt(k, " @%u", e->dst);
}

/* IEC 104: U-format activations (STARTDT, STOPDT, the TESTFR keep-alive), commands in the
 * control direction (request, activation, deactivation) and cyclic or background data, by
 * type, cause and common address. Everything the client sends counts as its activity. */
static void iec104_kind(const struct gs_iec104_event *e, bool from_client, struct obs *o,
                        struct kind_buf *k)
{
    o->client_activity = from_client;
    if (e->apci.format == GS_IEC104_FORMAT_U) {
        uint8_t u = e->apci.u_function;
        if (u == GS_IEC104_U_STARTDT_ACT || u == GS_IEC104_U_STOPDT_ACT ||
            u == GS_IEC104_U_TESTFR_ACT)
            kb_fmt(k, "%s", gs_iec104_u_name(u));
        return;
    }
    const struct gs_iec104_asdu *a = e->asdu;
    if (e->apci.format != GS_IEC104_FORMAT_I || a == NULL || a->truncated || !a->has_cot)
        return;
    bool request = a->is_command && (a->cot == 5 || a->cot == 6 || a->cot == 8);
    bool cyclic = !a->is_command && (a->cot == 1 || a->cot == 2);
    if (!request && !cyclic)
        return;
    const char *type = gs_iec104_type_name(a->type_id);
    const char *cot = gs_iec104_cot_name(a->cot);
    if (type != NULL)
        kb_fmt(k, "%s", type);
    else
        kb_fmt(k, "type%u", a->type_id);
    if (cot != NULL)
        kb_fmt(k, " %s", cot);
    else
        kb_fmt(k, " cot%u", a->cot);
    if (a->has_ca)
        kb_fmt(k, " @%u", a->ca);
}

static void mms_name(struct kind_buf *k, const struct gs_mms_object_name *n)
{
    kb_fmt(k, " ");
    if (n->scope == GS_MMS_SCOPE_UNNAMED) {
        kb_fmt(k, "(unnamed)");
        return;
    }
    if (n->scope == GS_MMS_SCOPE_DOMAIN) {
        kb_span(k, n->domain);
        kb_fmt(k, "/");
    }
    kb_span(k, n->item);
}

/* MMS: confirmed requests by service (and object for reads and writes), information reports
 * by variable list (and RptID for IEC 61850 reports). */
static void mms_kind(const struct gs_mms_event *e, bool from_client, struct obs *o,
                     struct kind_buf *k)
{
    o->client_activity = from_client && e->pdu != GS_MMS_PDU_NONE;
    if (!e->has_service)
        return;
    if (e->pdu == GS_MMS_PDU_CONFIRMED_REQUEST) {
        const char *svc = gs_mms_service_name(e->pdu, e->service);
        if (svc != NULL)
            kb_fmt(k, "%s", svc);
        else
            kb_fmt(k, "service%u", e->service);
        if (e->service != GS_MMS_SVC_READ && e->service != GS_MMS_SVC_WRITE)
            return;
        if (e->has_list_name) {
            kb_fmt(k, " list");
            mms_name(k, &e->list_name);
        } else if (e->n_objects > 0) {
            mms_name(k, &e->objects[0]);
        }
    } else if (e->pdu == GS_MMS_PDU_UNCONFIRMED && e->service == GS_MMS_UNC_INFORMATION_REPORT) {
        kb_fmt(k, "informationReport");
        if (e->has_list_name) {
            mms_name(k, &e->list_name);
            const struct gs_span *item = &e->list_name.item;
            bool rpt = item->len == 3 && memcmp(item->ptr, "RPT", 3) == 0;
            if (rpt && e->values.n > 0 && e->values.nodes[0].type == GS_DATA_VISIBLE_STRING) {
                kb_fmt(k, " ");
                kb_span(k, e->values.nodes[0].raw);
            }
        } else if (e->n_objects > 0) {
            mms_name(k, &e->objects[0]);
        }
    }
}

/* ---- the detector ----------------------------------------------------------------------- */

struct bl_detector {
    const struct gs_detect_env *env;
    struct gs_baseline *model; /* env->baseline, or the detector's own for policy polls */
    bool own_model;
    bool any_star; /* some conduit has a poll without "kind" */
    bool started;
    uint64_t start_us; /* first packet time seen: a file series unseen is late from here */
    uint64_t alerts_missed, alerts_rate, alerts_talker, alerts_request;
};

static void note_time(struct bl_detector *st, uint64_t ts_us)
{
    struct gs_baseline *b = st->model;
    if (!st->started) {
        st->started = true;
        st->start_us = ts_us;
    }
    if (b->first_us == 0 || ts_us < b->first_us)
        b->first_us = ts_us;
    if (ts_us > b->last_us)
        b->last_us = ts_us;
}

static bool kind_matches(const char *poll_kind, const char *kind)
{
    if (poll_kind == NULL)
        return strcmp(kind, GS_BASELINE_ANY_KIND) == 0;
    size_t n = strlen(poll_kind);
    return strncmp(kind, poll_kind, n) == 0 &&
           (kind[n] == '\0' || (kind[n] == ' ' && kind[n + 1] == '@'));
}

static double default_tolerance(const struct bl_detector *st)
{
    return st->env->cfg->baseline_tolerance_pct / 100.0;
}

/* The conduit's poll sets the series' period: the operator's word beats what was learned. */
static void apply_policy(struct bl_detector *st, struct gs_baseline_series *s,
                         const struct gs_policy_conduit *c)
{
    s->conduit = c;
    s->conduit_known = true;
    if (c == NULL || !c->has_poll || !kind_matches(c->poll_kind, s->kind))
        return;
    s->source = GS_BASELINE_SRC_POLICY;
    s->periodic = true;
    s->period_us = (uint64_t)llround(c->poll_period_s * US_PER_S);
    s->tolerance = c->has_poll_tolerance ? c->poll_tolerance : default_tolerance(st);
    lru_remove(st->model, s); /* a watched series is never evicted */
}

static const struct gs_policy_conduit *conduit_of(const struct bl_detector *st, unsigned proto,
                                                  const struct gs_flow_info *f)
{
    if (st->env->policy == NULL)
        return NULL;
    bool to_server = f->dir == GS_DIR_TO_SERVER;
    return gs_policy_match(st->env->policy, to_server ? &f->src : &f->dst,
                           to_server ? &f->dst : &f->src, to_server ? f->dst_port : f->src_port,
                           gs_baseline_proto_name(proto));
}

/* ---- alerts ----------------------------------------------------------------------------- */

struct alert_text {
    char key[GS_BASELINE_KIND_MAX + 2 * INET6_ADDRSTRLEN + 16];
    char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
    char last[40];
};

static void start_alert(struct gs_alert *a, struct alert_text *t, const char *rule,
                        const struct gs_baseline_series *s)
{
    gs_alert_init(a, rule, gs_baseline_proto_name(s->proto), "baseline");
    a->conduit = s->conduit != NULL ? s->conduit->name : NULL;
    gs_baseline_key_text(s, t->key, sizeof(t->key));
    gs_baseline_ip_text(&s->from, t->from, sizeof(t->from));
    gs_baseline_ip_text(&s->to, t->to, sizeof(t->to));
    gs_alert_add_str(a, "key", t->key);
    gs_alert_add_str(a, "from", t->from);
    gs_alert_add_str(a, "to", t->to);
    gs_alert_add_str(a, "kind", s->kind);
}

static void add_expectation(struct gs_alert *a, const struct gs_baseline_series *s)
{
    gs_alert_add_str(a, "source", s->source == GS_BASELINE_SRC_POLICY ? "policy" : "baseline");
    gs_alert_add_uint(a, "expected_period_ms", s->period_us / US_PER_MS);
    gs_alert_add_uint(a, "tolerance_pct", (uint64_t)llround(s->tolerance * 100.0));
}

/* Raises an alert about a series: at the event's packet, or (from the clock, ctx->flow NULL)
 * with the series' last flow so the record still names its endpoints. */
static void raise_alert(const struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                        const struct gs_baseline_series *s, const struct gs_alert *a)
{
    struct gs_pkt_ctx c = *ctx;
    if (c.flow == NULL && s->seen)
        c.flow = &s->flow;
    gs_detect_alert(st->env, &c, a);
}

static uint64_t allowed_gap_us(const struct gs_baseline_series *s)
{
    return (uint64_t)llround((double)s->period_us * (1.0 + s->tolerance));
}

static void alert_missed(struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                         const struct gs_baseline_series *s, uint64_t since_us)
{
    struct gs_alert a;
    struct alert_text t;
    start_alert(&a, &t, "baseline.poll_missed", s);
    add_expectation(&a, s);
    gs_alert_add_uint(&a, "allowed_gap_ms", allowed_gap_us(s) / US_PER_MS);
    gs_alert_add_uint(&a, "observed_gap_ms", (ctx->ts_us - since_us) / US_PER_MS);
    gs_alert_add_bool(&a, "seen_in_capture", s->seen);
    if (s->seen) {
        gs_baseline_time_text(s->last_us, t.last, sizeof(t.last));
        gs_alert_add_str(&a, "last_seen", t.last);
    }
    st->alerts_missed++;
    raise_alert(st, ctx, s, &a);
}

static uint64_t window_us(const struct bl_detector *st, const struct gs_baseline_series *s)
{
    uint64_t w = (uint64_t)st->env->cfg->baseline_rate_window_s * US_PER_S;
    uint64_t min = MIN_WINDOW_PERIODS * s->period_us;
    return w > min ? w : min;
}

static uint64_t expected_requests(const struct bl_detector *st, const struct gs_baseline_series *s)
{
    double e = (double)window_us(st, s) / (double)s->period_us * s->per_poll;
    long long n = llround(e);
    return n < 1 ? 1 : (uint64_t)n;
}

static void alert_rate(struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                       const struct gs_baseline_series *s, const char *direction)
{
    struct gs_alert a;
    struct alert_text t;
    start_alert(&a, &t, "baseline.rate_anomaly", s);
    add_expectation(&a, s);
    gs_alert_add_str(&a, "direction", direction);
    uint64_t w = window_us(st, s);
    gs_alert_add_uint(&a, "window_s", w / US_PER_S);
    gs_alert_add_uint(&a, "expected_requests", expected_requests(st, s));
    gs_alert_add_uint(&a, "observed_requests", s->win_count);
    gs_alert_add_uint(&a, "factor_pct", st->env->cfg->baseline_rate_factor_pct);
    /* The mean interval so far in the window (high) or over the window (low). */
    uint64_t span = strcmp(direction, "high") == 0 ? ctx->ts_us - s->win_start_us : w;
    gs_alert_add_uint(&a, "observed_gap_ms",
                      s->win_count != 0 ? span / s->win_count / US_PER_MS : span / US_PER_MS);
    st->alerts_rate++;
    raise_alert(st, ctx, s, &a);
}

static bool rate_on(const struct gs_baseline_series *s)
{
    return s->periodic && s->check_rate && s->period_us != 0;
}

/* Judges the window that just closed (low side) and re-arms the episodes it ends. */
static void close_window(struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                         struct gs_baseline_series *s)
{
    uint64_t expected = expected_requests(st, s);
    uint64_t factor = st->env->cfg->baseline_rate_factor_pct;
    bool high = (uint64_t)s->win_count * 100 > expected * factor;
    bool low = (uint64_t)s->win_count * factor < expected * 100;
    if (!high)
        s->rate_high = false;
    if (!low) {
        s->rate_low = false;
    } else if (!s->rate_low && !s->win_missed && !s->missed) {
        alert_rate(st, ctx, s, "low");
        s->rate_low = true;
    }
}

static void roll_windows(struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                         struct gs_baseline_series *s, uint64_t now)
{
    uint64_t w = window_us(st, s);
    if (now < s->win_start_us + w)
        return;
    close_window(st, ctx, s);
    s->win_start_us += w;
    if (now >= s->win_start_us + w) {
        /* Whole windows without a request: the missed poll told of it. Realign. */
        s->win_start_us = now - (now - s->win_start_us) % w;
    }
    s->win_count = 0;
    s->win_missed = s->missed;
}

static void record(struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                   struct gs_baseline_series *s)
{
    struct gs_baseline *b = st->model;
    uint64_t now = ctx->ts_us > s->last_us ? ctx->ts_us : s->last_us;
    if (!s->seen) {
        s->seen = true;
        s->first_us = s->poll_us = now;
        s->polls = 1;
        s->win_start_us = now;
        s->win_count = 0;
        s->win_missed = false;
    } else {
        if (rate_on(s))
            roll_windows(st, ctx, s, now);
        if (now - s->last_us >= (uint64_t)st->env->cfg->baseline_burst_ms * US_PER_MS) {
            learn_gap(b, s, now - s->poll_us);
            s->poll_us = now;
            s->polls++;
        }
    }
    s->requests++;
    s->last_us = now;
    s->flow = *ctx->flow;
    s->missed = false;
    if (rate_on(s)) {
        s->win_count++;
        uint64_t expected = expected_requests(st, s);
        if (!s->rate_high &&
            (uint64_t)s->win_count * 100 > expected * st->env->cfg->baseline_rate_factor_pct) {
            alert_rate(st, ctx, s, "high");
            s->rate_high = true;
        }
    }
    if (s->in_lru) {
        lru_remove(b, s);
        lru_push(b, s);
    }
}

/* A series the loaded baseline lacks: a new pair of endpoints, or a new request between a
 * known pair. */
static void judge_new(struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                      struct gs_baseline_series *s)
{
    const struct gs_baseline *b = st->model;
    bool known = false, flagged = false;
    for (size_t i = 0; i < b->n_pinned + b->n_runtime && !known; i++) {
        const struct gs_baseline_series *t = &b->series[i];
        if (!t->used || t == s || t->proto != s->proto)
            continue;
        bool pair = (same_ip(&t->from, &s->from) && same_ip(&t->to, &s->to)) ||
                    (same_ip(&t->from, &s->to) && same_ip(&t->to, &s->from));
        if (!pair)
            continue;
        known = known || t->pinned;
        flagged = flagged || t->new_alerted;
    }
    struct gs_alert a;
    struct alert_text t;
    if (known) {
        start_alert(&a, &t, "baseline.new_request", s);
        st->alerts_request++;
    } else if (!flagged) {
        start_alert(&a, &t, "baseline.new_talker", s);
        s->new_alerted = true;
        st->alerts_talker++;
    } else {
        return; /* the pair's first request told of it */
    }
    gs_detect_alert(st->env, ctx, &a);
}

/* The series of a request, created (and judged against the baseline) when new. Its conduit
 * is looked up once, on the first request seen in this run. */
static struct gs_baseline_series *series_for(struct bl_detector *st, const struct gs_pkt_ctx *ctx,
                                             const struct obs *o, const char *kind,
                                             const struct gs_policy_conduit **conduit,
                                             bool *looked_up)
{
    struct gs_baseline *b = st->model;
    const struct gs_flow_info *f = o->flow;
    struct gs_baseline_series *s = gs_baseline_find(b, o->proto, &f->src, &f->dst, kind);
    bool created = false;
    if (s == NULL) {
        s = add_runtime(b, o->proto, &f->src, &f->dst, kind);
        if (s == NULL)
            return NULL;
        created = true;
    }
    if (!s->conduit_known) {
        if (!*looked_up) {
            *conduit = conduit_of(st, o->proto, f);
            *looked_up = true;
        }
        apply_policy(st, s, *conduit);
    }
    if (created && b->from_file && strcmp(kind, GS_BASELINE_ANY_KIND) != 0)
        judge_new(st, ctx, s);
    return s;
}

static void observe(struct bl_detector *st, const struct gs_pkt_ctx *ctx, const struct obs *o,
                    const struct kind_buf *k)
{
    if (k->truncated)
        st->model->kinds_truncated++;
    note_time(st, ctx->ts_us);
    const struct gs_policy_conduit *conduit = NULL;
    bool looked_up = false;
    if (o->kind[0] != '\0') {
        struct gs_baseline_series *s = series_for(st, ctx, o, o->kind, &conduit, &looked_up);
        if (s != NULL)
            record(st, ctx, s);
    }
    if (!o->client_activity || !st->any_star)
        return;
    if (!looked_up)
        conduit = conduit_of(st, o->proto, o->flow);
    if (conduit != NULL && conduit->has_poll && conduit->poll_kind == NULL) {
        struct gs_baseline_series *s =
            series_for(st, ctx, o, GS_BASELINE_ANY_KIND, &conduit, &looked_up);
        if (s != NULL)
            record(st, ctx, s);
    }
}

static void bl_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct bl_detector *st = state;
    if (st->model == NULL || ctx->flow == NULL)
        return;
    struct obs o;
    memset(&o, 0, sizeof(o));
    o.flow = ctx->flow;
    struct kind_buf k = {o.kind, sizeof(o.kind), 0, false};
    bool from_client = ctx->flow->dir == GS_DIR_TO_SERVER;
    switch (ev->type) {
    case GS_EVENT_DNP3:
        o.proto = GS_BASELINE_DNP3;
        dnp3_kind(ev->body, &o, &k);
        break;
    case GS_EVENT_IEC104:
        o.proto = GS_BASELINE_IEC104;
        iec104_kind(ev->body, from_client, &o, &k);
        break;
    case GS_EVENT_MMS:
        o.proto = GS_BASELINE_MMS;
        mms_kind(ev->body, from_client, &o, &k);
        break;
    default:
        return;
    }
    if (o.kind[0] != '\0' || o.client_activity)
        observe(st, ctx, &o, &k);
}

static void bl_time(void *state, const struct gs_pkt_ctx *ctx)
{
    struct bl_detector *st = state;
    struct gs_baseline *b = st->model;
    if (b == NULL)
        return;
    note_time(st, ctx->ts_us);
    uint64_t now = ctx->ts_us;
    for (size_t i = 0; i < b->n_pinned + b->n_runtime; i++) {
        struct gs_baseline_series *s = &b->series[i];
        if (!s->used || !s->periodic || s->period_us == 0)
            continue;
        if (s->seen && rate_on(s))
            roll_windows(st, ctx, s, now);
        if (s->missed || (!s->seen && !s->watch_from_start))
            continue;
        uint64_t since = s->seen ? s->last_us : st->start_us;
        if (now > since && now - since > allowed_gap_us(s)) {
            alert_missed(st, ctx, s, since);
            s->missed = true;
            s->win_missed = true;
        }
    }
}

/* A conduit of one client and one server host polled without "kind": watched from the first
 * packet, so a link already dead when the sensor starts is reported too. */
static void watch_single_host_conduits(struct bl_detector *st)
{
    const struct gs_policy *policy = st->env->policy;
    for (size_t i = 0; i < gs_policy_conduit_count(policy); i++) {
        const struct gs_policy_conduit *c = gs_policy_conduit_at(policy, i);
        if (!c->has_poll || c->poll_kind != NULL)
            continue;
        st->any_star = true;
        int proto = c->protocol != NULL ? gs_baseline_proto_by_name(c->protocol) : -1;
        if (proto < 0 || c->n_clients != 1 || c->n_servers != 1)
            continue;
        const struct gs_policy_net *cl = &c->clients[0], *sv = &c->servers[0];
        unsigned host = cl->addr.family == 6 ? 128u : 32u;
        if (cl->prefix != host || sv->prefix != (sv->addr.family == 6 ? 128u : 32u))
            continue;
        struct gs_baseline_series *s = gs_baseline_find(st->model, (unsigned)proto, &cl->addr,
                                                        &sv->addr, GS_BASELINE_ANY_KIND);
        if (s == NULL)
            s = add_runtime(st->model, (unsigned)proto, &cl->addr, &sv->addr, GS_BASELINE_ANY_KIND);
        if (s == NULL)
            continue;
        apply_policy(st, s, c);
        s->watch_from_start = true;
    }
}

static int bl_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    struct bl_detector *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    st->env = env;
    st->model = env->baseline;
    bool polls = false;
    for (size_t i = 0; i < gs_policy_conduit_count(env->policy); i++)
        polls = polls || gs_policy_conduit_at(env->policy, i)->has_poll;
    if (st->model == NULL && polls) {
        if (gs_baseline_alloc(&st->model, env->cfg, 0, false, errbuf) != 0) {
            free(st);
            return -1;
        }
        st->own_model = true;
    }
    if (st->model != NULL && polls)
        watch_single_host_conduits(st);
    *state = st;
    return 0;
}

static void bl_destroy(void *state)
{
    struct bl_detector *st = state;
    if (st == NULL)
        return;
    if (st->own_model)
        gs_baseline_free(st->model);
    free(st);
}

static void bl_counters(const void *state, gs_counter_fn *add, void *arg)
{
    const struct bl_detector *st = state;
    const struct gs_baseline *b = st->model;
    if (b == NULL)
        return;
    add(arg, "series", gs_baseline_series_count(b));
    add(arg, "series_loaded", b->n_pinned);
    add(arg, "series_created", b->created);
    add(arg, "series_evicted", b->evicted);
    add(arg, "series_dropped", b->dropped);
    add(arg, "kinds_truncated", b->kinds_truncated);
    add(arg, "poll_missed", st->alerts_missed);
    add(arg, "rate_anomaly", st->alerts_rate);
    add(arg, "new_talker", st->alerts_talker);
    add(arg, "new_request", st->alerts_request);
}

const struct gs_detector gs_baseline_detector = {
    .name = "baseline",
    .event_mask =
        GS_EVENT_BIT(GS_EVENT_DNP3) | GS_EVENT_BIT(GS_EVENT_IEC104) | GS_EVENT_BIT(GS_EVENT_MMS),
    .create = bl_create,
    .destroy = bl_destroy,
    .on_event = bl_event,
    .on_time = bl_time,
    .counters = bl_counters,
};
