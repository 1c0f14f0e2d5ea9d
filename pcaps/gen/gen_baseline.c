/*
 * gen_baseline.c - writes pcaps/baseline/: polling traffic to learn a poll-rate baseline from,
 * and the same conduits changed in one way each, with what the baseline detector must raise.
 *
 *   DNP3   master 10.1.0.2 (link 1) -> outstation 10.2.0.10:20000 (link 1024)
 *            class 0 poll (READ g60v1) every 30 s +-0.5 s, every tenth one retried 0.6 s
 *            later after a lost response; event poll (READ g60v2 g60v3 g60v4) every
 *            5 s +-0.2 s
 *   IEC 104 controlling station 10.3.0.5 -> controlled station 10.3.0.20:2404
 *            STARTDT and a general interrogation at the start, then TESTFR every 20 s +-0.5 s
 *
 *   learn.pcap         one hour of it (one class 0 poll 9 s late, as masters sometimes are)
 *   normal.pcap        20 minutes a day later, other jitter: nothing to raise
 *   poll-stops.pcap    the class 0 poll stops for two minutes (4 polls) after 9.5 minutes
 *   new-master.pcap    a second master, 10.1.0.66 (link 2), polls the outstation from 5 min
 *   rate-triples.pcap  the event poll comes every 5/3 s from 5 min on
 *
 * Each <case>.expect lists the alerts the detector must raise when it enforces the baseline
 * learned from learn.pcap (format in pcaps/baseline/README.md). They are worked out here from
 * the schedule, with the rules docs/RULES.md states, not by running the sensor: the period
 * is the median of the intervals between polls (requests 1 s apart or more), the tolerance
 * 50 %, a missed poll is seen at the first packet of a new second of packet time past the
 * deadline, rates are counted per window of max(300 s, 8 periods) from a series' first
 * request. learn.expect lists what learning must find.
 *
 * Usage: gen_baseline OUTDIR
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3w.h"
#include "pcapw.h"

#define S               1000000ull
#define MS              1000ull
#define T_LEARN         1795300000000000ull /* 2026-11-21T22:26:40Z */
#define DAY             (86400ull * S)
#define MAX_EX          8192
#define MAX_REQ         4096
#define MAX_SERIES      16
#define MAX_PACKETS     65536
#define BURST_US        (1000 * MS)
#define LEARN_SAMPLES   128
#define MIN_SAMPLES     8
#define MAX_JITTER_PCT  25
#define TOLERANCE       0.5
#define RATE_WINDOW_US  (300 * S)
#define RATE_FACTOR_PCT 200

#define MASTER  0x0A010002u /* 10.1.0.2 */
#define ROGUE   0x0A010042u /* 10.1.0.66 */
#define OUTST   0x0A02000Au /* 10.2.0.10 */
#define CONTROL 0x0A030005u /* 10.3.0.5 */
#define STATION 0x0A030014u /* 10.3.0.20 */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gen_baseline: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---- what happens when ------------------------------------------------------------------ */

enum ex_kind {
    EX_DNP3_OPEN,        /* the master's TCP connection */
    EX_DNP3_CLASS0,      /* class 0 poll and its response */
    EX_DNP3_CLASS0_LOST, /* class 0 poll whose response is lost: retried later */
    EX_DNP3_EVENTS,      /* event poll and its (empty) response */
    EX_ROGUE_OPEN,
    EX_ROGUE_CLASS0,
    EX_ROGUE_EVENTS,
    EX_104_OPEN, /* TCP connection, STARTDT, general interrogation */
    EX_104_TESTFR,
};

struct ex {
    uint64_t t;
    unsigned order; /* ties keep the order of scheduling */
    enum ex_kind kind;
};

struct scenario {
    const char *name;
    const char *what;
    uint64_t t0;
    uint64_t duration_s;
    uint64_t seed;
    uint64_t stop_class0_from_s, stop_class0_to_s; /* nominal poll times skipped */
    uint64_t rogue_from_s;                         /* 0: no second master */
    uint64_t triple_from_s;                        /* 0: event poll stays at 5 s */
    bool late_poll;                                /* one class 0 poll 9 s late */
};

static const struct scenario scenarios[] = {
    {"learn", "one hour of normal polling, to learn the baseline from", T_LEARN, 3600, 1, 0, 0, 0,
     0, true},
    {"normal", "20 minutes of the same polling a day later: nothing to raise", T_LEARN + DAY, 1200,
     2, 0, 0, 0, 0, false},
    {"poll-stops", "the DNP3 class 0 poll stops for two minutes (4 polls) after 9.5 minutes",
     T_LEARN + 2 * DAY, 1200, 3, 600, 720, 0, 0, false},
    {"new-master", "a second DNP3 master (10.1.0.66, link 2) polls the outstation from 5 min",
     T_LEARN + 3 * DAY, 1200, 4, 0, 0, 300, 0, false},
    {"rate-triples", "the DNP3 event poll comes three times as often from 5 min on",
     T_LEARN + 4 * DAY, 1200, 5, 0, 0, 0, 300, false},
};

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 2685821657736338717ull;
}

/* Uniform in [-max_us, +max_us]. */
static int64_t jitter(uint64_t max_us)
{
    return (int64_t)(rng_next() % (2 * max_us + 1)) - (int64_t)max_us;
}

static struct ex schedule[MAX_EX];
static size_t n_schedule;

static void at(uint64_t t, enum ex_kind kind)
{
    if (n_schedule == MAX_EX)
        die("schedule full");
    schedule[n_schedule] = (struct ex){t, (unsigned)n_schedule, kind};
    n_schedule++;
}

static int cmp_ex(const void *a, const void *b)
{
    const struct ex *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : 1;
}

static void plan(const struct scenario *sc)
{
    n_schedule = 0;
    rng_state = 0x9E3779B97F4A7C15ull * sc->seed;
    uint64_t end = sc->duration_s * S;
    at(0, EX_DNP3_OPEN);
    at(50 * MS, EX_104_OPEN);
    for (uint64_t k = 0;; k++) {
        uint64_t nominal = 2500 * MS + k * 30 * S;
        if (nominal >= end)
            break;
        if (nominal >= sc->stop_class0_from_s * S && nominal < sc->stop_class0_to_s * S)
            continue;
        uint64_t t = (uint64_t)((int64_t)nominal + jitter(500 * MS));
        if (sc->late_poll && k == 50)
            t = nominal + 9 * S;
        if (k % 10 == 7) {
            at(t, EX_DNP3_CLASS0_LOST);
            at(t + 600 * MS, EX_DNP3_CLASS0);
        } else {
            at(t, EX_DNP3_CLASS0);
        }
    }
    uint64_t triple = sc->triple_from_s != 0 ? sc->triple_from_s * S : end;
    for (uint64_t j = 0;; j++) {
        uint64_t nominal = 1 * S + j * 5 * S;
        if (nominal >= triple)
            break;
        at((uint64_t)((int64_t)nominal + jitter(200 * MS)), EX_DNP3_EVENTS);
    }
    for (uint64_t m = 0; triple < end; m++) {
        uint64_t nominal = triple + 1 * S + m * 5 * S / 3;
        if (nominal >= end)
            break;
        at((uint64_t)((int64_t)nominal + jitter(100 * MS)), EX_DNP3_EVENTS);
    }
    for (uint64_t k = 0;; k++) {
        uint64_t nominal = 3700 * MS + k * 20 * S;
        if (nominal >= end)
            break;
        at((uint64_t)((int64_t)nominal + jitter(500 * MS)), EX_104_TESTFR);
    }
    if (sc->rogue_from_s != 0) {
        uint64_t from = sc->rogue_from_s * S;
        at(from - 1 * S, EX_ROGUE_OPEN);
        for (uint64_t k = 0; from + k * 30 * S < end; k++)
            at(from + 200 * MS + k * 30 * S + (uint64_t)(jitter(300 * MS) + 300000),
               EX_ROGUE_CLASS0);
        for (uint64_t j = 0; from + 3 * S + j * 5 * S < end; j++)
            at(from + 3 * S + j * 5 * S, EX_ROGUE_EVENTS);
    }
    qsort(schedule, n_schedule, sizeof(schedule[0]), cmp_ex);
}

/* ---- the requests each series saw ------------------------------------------------------- */

struct req {
    uint64_t t;
    uint64_t pcap_cnt;
};

struct series {
    char key[96];
    char pair[48]; /* "dnp3 A B" with A < B: the endpoints, whichever way */
    struct req reqs[MAX_REQ];
    size_t n;
};

struct run {
    struct series series[MAX_SERIES];
    size_t n_series;
    uint64_t ts[MAX_PACKETS]; /* every packet's time, for the clock ticks */
    size_t n_packets;
};

static struct run runs[sizeof(scenarios) / sizeof(scenarios[0])];

static struct series *series_of(struct run *r, const char *key, const char *pair)
{
    for (size_t i = 0; i < r->n_series; i++) {
        if (strcmp(r->series[i].key, key) == 0)
            return &r->series[i];
    }
    if (r->n_series == MAX_SERIES)
        die("too many series");
    struct series *s = &r->series[r->n_series++];
    snprintf(s->key, sizeof(s->key), "%s", key);
    snprintf(s->pair, sizeof(s->pair), "%s", pair);
    return s;
}

static void note_request(struct run *r, const char *key, const char *pair,
                         const struct gs_tcp_session *s)
{
    struct series *se = series_of(r, key, pair);
    if (se->n == MAX_REQ)
        die("too many requests");
    se->reqs[se->n++] = (struct req){s->ts_us, s->w->packets + 1};
}

/* ---- writing ---------------------------------------------------------------------------- */

struct dnp3_conn {
    struct gs_tcp_session s;
    uint16_t master, outstation;
    uint8_t app_seq;
    uint8_t tseq[2]; /* transport sequence: [0] from the master, [1] from the outstation */
};

static void dnp3_send(struct dnp3_conn *c, bool from_master, const uint8_t *apdu, size_t n)
{
    uint8_t wire[GS_DNP3W_MAX_WIRE];
    unsigned d = from_master ? 0 : 1;
    size_t f =
        gs_dnp3w_frame(wire, sizeof(wire), from_master ? c->master : c->outstation,
                       from_master ? c->outstation : c->master, from_master, c->tseq[d], apdu, n);
    c->tseq[d] = (uint8_t)((c->tseq[d] + 1) & 0x3F);
    gs_tcp_send(&c->s, from_master, wire, f);
}

/* A poll: READ g60v1 (class 0) or g60v2 g60v3 g60v4 (events); `answered` false when the
 * response is lost (the master retries with the same sequence number). */
static void dnp3_poll(struct run *r, struct dnp3_conn *c, const char *from, bool class0,
                      bool answered)
{
    uint8_t ac = (uint8_t)(0xC0 | c->app_seq);
    static const uint8_t class0_objs[] = {0x3C, 0x01, 0x06};
    static const uint8_t event_objs[] = {0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06, 0x3C, 0x04, 0x06};
    uint8_t apdu[64] = {ac, 0x01};
    size_t n = 2;
    const uint8_t *objs = class0 ? class0_objs : event_objs;
    size_t n_objs = class0 ? sizeof(class0_objs) : sizeof(event_objs);
    memcpy(apdu + n, objs, n_objs);
    n += n_objs;
    char key[96], pair[48];
    snprintf(key, sizeof(key), "dnp3 %s > 10.2.0.10 READ g60v%d @1024", from, class0 ? 1 : 2);
    snprintf(pair, sizeof(pair), "dnp3 %s 10.2.0.10", from);
    note_request(r, key, pair, &c->s);
    dnp3_send(c, true, apdu, n);
    if (!answered)
        return;
    /* RESPONSE with IIN 0: class 0 reports g30v1 points 0..1, an event poll finds none. */
    static const uint8_t class0_data[] = {0x1E, 0x01, 0x00, 0x00, 0x01, 0x01, 0xE8, 0x03,
                                          0x00, 0x00, 0x01, 0xD0, 0x07, 0x00, 0x00};
    uint8_t rsp[64] = {ac, 0x81, 0x00, 0x00};
    size_t m = 4;
    if (class0) {
        memcpy(rsp + m, class0_data, sizeof(class0_data));
        m += sizeof(class0_data);
    }
    dnp3_send(c, false, rsp, m);
    c->app_seq = (uint8_t)((c->app_seq + 1) & 0x0F);
}

struct iec104_conn {
    struct gs_tcp_session s;
    unsigned ns[2];
};

static void iec104_u(struct iec104_conn *c, bool from_client, uint8_t cf1)
{
    uint8_t apdu[6] = {0x68, 4, cf1, 0, 0, 0};
    gs_tcp_send(&c->s, from_client, apdu, sizeof(apdu));
}

/* C_IC_NA_1 (station interrogation, QOI 20) with cause `cot`, CA 1. */
static void iec104_gi(struct iec104_conn *c, bool from_client, uint8_t cot)
{
    unsigned me = from_client ? 0 : 1;
    uint8_t apdu[16] = {0x68,
                        0x0E,
                        (uint8_t)(c->ns[me] << 1),
                        (uint8_t)(c->ns[me] >> 7),
                        (uint8_t)(c->ns[!me] << 1),
                        (uint8_t)(c->ns[!me] >> 7),
                        0x64,
                        0x01,
                        cot,
                        0x00,
                        0x01,
                        0x00,
                        0x00,
                        0x00,
                        0x00,
                        0x14};
    c->ns[me] = (c->ns[me] + 1) & 0x7FFF;
    gs_tcp_send(&c->s, from_client, apdu, sizeof(apdu));
}

static void write_scenario(const struct scenario *sc, struct run *r, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.pcap", dir, sc->name);
    struct gs_pcapw w;
    gs_pcapw_open(&w, path, GS_PCAPW_LINKTYPE_ETHERNET);
    struct dnp3_conn dnp3 = {.master = 1, .outstation = 1024};
    struct dnp3_conn rogue = {.master = 2, .outstation = 1024};
    struct iec104_conn iec = {0};
    uint16_t port = (uint16_t)(40000 + 10 * sc->seed);
    gs_tcp_init(&dnp3.s, &w, 0, MASTER, port, OUTST, 20000);
    gs_tcp_init(&rogue.s, &w, 0, ROGUE, (uint16_t)(port + 1), OUTST, 20000);
    gs_tcp_init(&iec.s, &w, 0, CONTROL, (uint16_t)(port + 2), STATION, 2404);
    uint64_t next_free = 0; /* packets never go back in time across connections */
    for (size_t i = 0; i < n_schedule; i++) {
        const struct ex *e = &schedule[i];
        uint64_t t = sc->t0 + e->t;
        if (t < next_free)
            t = next_free;
        struct gs_tcp_session *s = e->kind == EX_104_OPEN || e->kind == EX_104_TESTFR ? &iec.s
                                   : e->kind >= EX_ROGUE_OPEN                         ? &rogue.s
                                                                                      : &dnp3.s;
        s->ts_us = t;
        switch (e->kind) {
        case EX_DNP3_OPEN:
        case EX_ROGUE_OPEN:
            gs_tcp_handshake(s);
            break;
        case EX_DNP3_CLASS0:
        case EX_DNP3_CLASS0_LOST:
            dnp3_poll(r, &dnp3, "10.1.0.2", true, e->kind == EX_DNP3_CLASS0);
            break;
        case EX_DNP3_EVENTS:
            dnp3_poll(r, &dnp3, "10.1.0.2", false, true);
            break;
        case EX_ROGUE_CLASS0:
            dnp3_poll(r, &rogue, "10.1.0.66", true, true);
            break;
        case EX_ROGUE_EVENTS:
            dnp3_poll(r, &rogue, "10.1.0.66", false, true);
            break;
        case EX_104_OPEN:
            gs_tcp_handshake(s);
            note_request(r, "iec104 10.3.0.5 > 10.3.0.20 startdt_act", "iec104 10.3.0.20 10.3.0.5",
                         s);
            iec104_u(&iec, true, 0x07);
            iec104_u(&iec, false, 0x0B);
            note_request(r, "iec104 10.3.0.5 > 10.3.0.20 C_IC_NA_1 act @1",
                         "iec104 10.3.0.20 10.3.0.5", s);
            iec104_gi(&iec, true, 6);   /* act */
            iec104_gi(&iec, false, 7);  /* actcon */
            iec104_gi(&iec, false, 10); /* actterm */
            break;
        case EX_104_TESTFR:
            note_request(r, "iec104 10.3.0.5 > 10.3.0.20 testfr_act", "iec104 10.3.0.20 10.3.0.5",
                         s);
            iec104_u(&iec, true, 0x43);
            iec104_u(&iec, false, 0x83);
            break;
        }
        next_free = s->ts_us;
    }
    gs_pcapw_close(&w);
}

/* Every packet's time, read back from the capture (the clock ticks on them). */
static void read_times(const char *dir, const char *name, struct run *r)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        die("cannot read back %s", path);
    uint8_t hdr[24], rec[16];
    if (fread(hdr, 1, sizeof(hdr), fp) != sizeof(hdr))
        die("%s: short header", path);
    r->n_packets = 0;
    while (fread(rec, 1, sizeof(rec), fp) == sizeof(rec)) {
        uint32_t sec = (uint32_t)rec[0] | (uint32_t)rec[1] << 8 | (uint32_t)rec[2] << 16 |
                       (uint32_t)rec[3] << 24;
        uint32_t usec = (uint32_t)rec[4] | (uint32_t)rec[5] << 8 | (uint32_t)rec[6] << 16 |
                        (uint32_t)rec[7] << 24;
        uint32_t len = (uint32_t)rec[8] | (uint32_t)rec[9] << 8 | (uint32_t)rec[10] << 16 |
                       (uint32_t)rec[11] << 24;
        if (r->n_packets == MAX_PACKETS)
            die("too many packets");
        r->ts[r->n_packets++] = (uint64_t)sec * S + usec;
        if (fseek(fp, (long)len, SEEK_CUR) != 0)
            die("%s: short record", path);
    }
    fclose(fp);
}

/* ---- what learning finds, and what enforcing must raise --------------------------------- */

struct learned {
    const struct series *s;
    bool periodic;
    uint64_t period_us; /* to the millisecond, as the file keeps it */
    double tolerance, per_poll;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint64_t median_us(const uint32_t *v, size_t n)
{
    return n % 2 ? (uint64_t)v[n / 2] * MS : ((uint64_t)v[n / 2 - 1] + v[n / 2]) * MS / 2;
}

static void learn(const struct series *s, uint64_t learn_end, struct learned *l)
{
    memset(l, 0, sizeof(*l));
    l->s = s;
    uint32_t gaps[MAX_REQ];
    size_t n = 0;
    uint64_t poll = s->reqs[0].t;
    for (size_t i = 1; i < s->n; i++) {
        if (s->reqs[i].t - s->reqs[i - 1].t < BURST_US)
            continue;
        gaps[n++] = (uint32_t)((s->reqs[i].t - poll) / MS);
        poll = s->reqs[i].t;
    }
    l->tolerance = TOLERANCE;
    size_t first = n > LEARN_SAMPLES ? n - LEARN_SAMPLES : 0;
    size_t k = n - first;
    if (k == 0)
        return;
    uint32_t v[LEARN_SAMPLES];
    memcpy(v, gaps + first, k * sizeof(v[0]));
    qsort(v, k, sizeof(v[0]), cmp_u32);
    uint64_t med = median_us(v, k);
    uint32_t med_ms = (uint32_t)(med / MS);
    for (size_t i = 0; i < k; i++)
        v[i] = v[i] > med_ms ? v[i] - med_ms : med_ms - v[i];
    qsort(v, k, sizeof(v[0]), cmp_u32);
    uint64_t mad = median_us(v, k);
    l->period_us = (uint64_t)llround((double)med / 1000.0) * MS;
    /* Requests per period over the series' whole span, to the file's 3 decimals. */
    double per_poll =
        (double)(s->n - 1) * (double)med / (double)(s->reqs[s->n - 1].t - s->reqs[0].t);
    l->per_poll = round(per_poll * 1000.0) / 1000.0;
    if (6.0 * (double)mad / (double)med > TOLERANCE)
        die("%s: jitter too large for the default tolerance", s->key);
    size_t late = 0;
    for (size_t i = first; i < n; i++)
        late += (double)gaps[i] * MS > (double)med * (1 + TOLERANCE);
    l->periodic = k >= MIN_SAMPLES && mad * 100 <= MAX_JITTER_PCT * med && late * 20 <= k &&
                  (double)(learn_end - s->reqs[s->n - 1].t) <= (double)med * (1 + TOLERANCE);
}

struct alert {
    const char *rule;
    uint64_t pcap_cnt;
    char why[200];
};

static struct alert alerts[64];
static size_t n_alerts;

static void expect(const char *rule, uint64_t pcap_cnt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void expect(const char *rule, uint64_t pcap_cnt, const char *fmt, ...)
{
    if (n_alerts == sizeof(alerts) / sizeof(alerts[0]))
        die("too many alerts");
    struct alert *a = &alerts[n_alerts++];
    a->rule = rule;
    a->pcap_cnt = pcap_cnt;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->why, sizeof(a->why), fmt, ap);
    va_end(ap);
}

/* The packet at which the clock is first seen past `deadline` (strictly more than `allowed`
 * after `since`): the first packet of a new second at or after it, or the end of input. No
 * packet may lie within 100 ms of the deadline, so that the answer does not hang on how a
 * period is rounded. */
static uint64_t tick_after(const struct run *r, uint64_t since, uint64_t allowed)
{
    uint64_t deadline = since + allowed;
    for (size_t p = 0; p < r->n_packets; p++) {
        uint64_t t = r->ts[p];
        if (t + 100 * MS > deadline && t < deadline + 100 * MS)
            die("a packet lies within 100 ms of a deadline: move the schedule");
    }
    for (size_t p = 1; p < r->n_packets; p++) {
        if (r->ts[p] / S != r->ts[p - 1] / S && r->ts[p] > since && r->ts[p] - since > allowed)
            return p + 1;
    }
    return r->n_packets;
}

static void judge(const struct run *learnt, const struct learned *ls, size_t n_ls,
                  const struct run *r)
{
    n_alerts = 0;
    for (size_t i = 0; i < r->n_series; i++) {
        const struct series *s = &r->series[i];
        const struct learned *l = NULL;
        for (size_t k = 0; k < n_ls; k++) {
            if (strcmp(ls[k].s->key, s->key) == 0)
                l = &ls[k];
        }
        if (l == NULL) {
            bool known = false;
            for (size_t k = 0; k < learnt->n_series; k++)
                known = known || strcmp(learnt->series[k].pair, s->pair) == 0;
            bool flagged = false; /* a new pair is raised once, at its first request */
            for (size_t k = 0; k < i && !known; k++) {
                const struct series *o = &r->series[k];
                bool o_known = false;
                for (size_t m = 0; m < n_ls; m++)
                    o_known = o_known || strcmp(ls[m].s->key, o->key) == 0;
                flagged = flagged || (!o_known && strcmp(o->pair, s->pair) == 0 &&
                                      o->reqs[0].pcap_cnt < s->reqs[0].pcap_cnt);
            }
            if (known)
                expect("baseline.new_request", s->reqs[0].pcap_cnt,
                       "%s: a request kind the "
                       "baseline lacks between known endpoints",
                       s->key);
            else if (!flagged)
                expect("baseline.new_talker", s->reqs[0].pcap_cnt,
                       "%s: endpoints the baseline never saw", s->key);
            continue;
        }
        if (!l->periodic)
            continue;
        uint64_t allowed = (uint64_t)llround((double)l->period_us * (1.0 + l->tolerance));
        for (size_t k = 0; k < s->n; k++) {
            uint64_t next = k + 1 < s->n ? s->reqs[k + 1].t : r->ts[r->n_packets - 1];
            if (next - s->reqs[k].t > allowed)
                expect("baseline.poll_missed", tick_after(r, s->reqs[k].t, allowed),
                       "%s: no poll for %.1f s after frame %llu (allowed %.1f s)", s->key,
                       (double)(next - s->reqs[k].t) / S, (unsigned long long)s->reqs[k].pcap_cnt,
                       (double)allowed / S);
        }
        /* Rates: windows from the first request. Only the high side happens here; a low
         * window would need the clock ticks to place, and none of these captures has one. */
        uint64_t w = RATE_WINDOW_US > 8 * l->period_us ? RATE_WINDOW_US : 8 * l->period_us;
        uint64_t expected = (uint64_t)llround((double)w / (double)l->period_us * l->per_poll);
        uint64_t start = s->reqs[0].t, count = 0;
        bool high = false;
        for (size_t k = 0; k < s->n; k++) {
            while (s->reqs[k].t >= start + w) {
                if (count * 100 <= expected * RATE_FACTOR_PCT)
                    high = false;
                if (count * RATE_FACTOR_PCT < expected * 100)
                    die("%s: a window with %llu of %llu requests would be low", s->key,
                        (unsigned long long)count, (unsigned long long)expected);
                start += w;
                count = 0;
            }
            count++;
            if (!high && count * 100 > expected * RATE_FACTOR_PCT) {
                expect("baseline.rate_anomaly", s->reqs[k].pcap_cnt,
                       "%s: request %llu of a %llu s window expecting %llu", s->key,
                       (unsigned long long)count, (unsigned long long)(w / S),
                       (unsigned long long)expected);
                high = true;
            }
        }
    }
}

static int cmp_alert(const void *a, const void *b)
{
    const struct alert *x = a, *y = b;
    if (x->pcap_cnt != y->pcap_cnt)
        return x->pcap_cnt < y->pcap_cnt ? -1 : 1;
    return strcmp(x->rule, y->rule);
}

static FILE *open_expect(const char *dir, const struct scenario *sc)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.expect", dir, sc->name);
    FILE *fp = fopen(path, "w");
    if (fp == NULL)
        die("cannot write %s", path);
    fprintf(fp, "# %s: %s\n", sc->name, sc->what);
    fprintf(fp, "# written by pcaps/gen/gen_baseline.c; format in pcaps/baseline/README.md\n");
    return fp;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_baseline OUTDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t n_sc = sizeof(scenarios) / sizeof(scenarios[0]);
    for (size_t i = 0; i < n_sc; i++) {
        plan(&scenarios[i]);
        write_scenario(&scenarios[i], &runs[i], dir);
        read_times(dir, scenarios[i].name, &runs[i]);
    }
    /* What learning must find in learn.pcap. */
    const struct run *lr = &runs[0];
    struct learned ls[MAX_SERIES];
    uint64_t learn_end = lr->ts[lr->n_packets - 1];
    FILE *fp = open_expect(dir, &scenarios[0]);
    fprintf(fp, "# series <periodic> <period_ms> <per_poll x 1000> <key>\n");
    for (size_t i = 0; i < lr->n_series; i++) {
        learn(&lr->series[i], learn_end, &ls[i]);
        fprintf(fp, "series %d %llu %ld %s\n", ls[i].periodic,
                (unsigned long long)(ls[i].period_us / MS), lround(ls[i].per_poll * 1000),
                lr->series[i].key);
    }
    fclose(fp);
    /* What enforcing that baseline must raise on each capture (learn.pcap itself too). */
    for (size_t i = 0; i < n_sc; i++) {
        judge(lr, ls, lr->n_series, &runs[i]);
        qsort(alerts, n_alerts, sizeof(alerts[0]), cmp_alert);
        fp = i == 0 ? NULL : open_expect(dir, &scenarios[i]);
        if (i == 0) {
            if (n_alerts != 0)
                die("learn.pcap would raise %s against its own baseline", alerts[0].rule);
            continue;
        }
        for (size_t k = 0; k < n_alerts; k++)
            fprintf(fp, "alert %s %llu  # %s\n", alerts[k].rule,
                    (unsigned long long)alerts[k].pcap_cnt, alerts[k].why);
        fclose(fp);
    }
    return 0;
}
