/*
 * baseline_int.h - the baseline model shared by the detector (baseline.c) and the file
 * reader/writer (baseline_file.c). Nothing outside the baseline module includes it.
 *
 * The model is a fixed table of series allocated once: the series loaded from a file first
 * (pinned: their expectations must outlive any churn), then baseline.max_series slots for the
 * series seen at run time, recycled least-recently-seen first. A hash of chains over slot
 * indices finds a series; a series with an expectation from the policy is never evicted.
 */
#ifndef GS_DETECTORS_BASELINE_INT_H
#define GS_DETECTORS_BASELINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baseline.h"
#include "dissector.h"
#include "policy.h"

#define GS_BASELINE_KIND_MAX 96 /* bytes of a request kind, NUL included */
#define GS_BASELINE_NONE     UINT32_MAX
#define GS_BASELINE_ANY_KIND "*" /* a policy poll without "kind": any request of the client */

/* What a baseline file may say (and learning writes within): periods up to the longest
 * interval learning measures (2^32 ms), tolerances up to 100 periods. */
#define GS_BASELINE_MAX_PERIOD_S  4294967.0
#define GS_BASELINE_MAX_TOLERANCE 100.0
#define GS_BASELINE_MIN_PER_POLL  0.001
#define GS_BASELINE_MAX_PER_POLL  1000000.0

enum gs_baseline_proto {
    GS_BASELINE_DNP3 = 0,
    GS_BASELINE_IEC104,
    GS_BASELINE_MMS,
    GS_BASELINE_PROTO_COUNT,
};

/* Where a series' expected period comes from. */
enum gs_baseline_source {
    GS_BASELINE_SRC_NONE = 0,
    GS_BASELINE_SRC_FILE,   /* learned, loaded from the baseline file */
    GS_BASELINE_SRC_POLICY, /* a policy conduit's "poll" */
};

struct gs_baseline_series {
    /* identity */
    uint8_t proto; /* enum gs_baseline_proto */
    struct gs_ip from, to;
    char kind[GS_BASELINE_KIND_MAX];
    uint32_t hash;
    /* place in the table */
    bool used;
    bool pinned; /* loaded from the file: never evicted */
    bool in_lru; /* evictable: a run-time series without an expectation */
    uint32_t bucket_next;
    uint32_t lru_prev, lru_next; /* most recently seen at the head */
    /* expectation */
    uint8_t source;        /* enum gs_baseline_source */
    bool periodic;         /* baseline.poll_missed is checked */
    bool check_rate;       /* baseline.rate_anomaly is checked */
    bool watch_from_start; /* expected even before its first request in this run */
    uint64_t period_us;
    double tolerance; /* fraction of the period a poll may be late */
    double per_poll;  /* requests per poll (retries, multi-part polls) */
    /* what this run saw */
    bool seen;
    bool conduit_known;
    const struct gs_policy_conduit *conduit;
    uint64_t first_us, last_us, poll_us; /* first and last request, start of the last poll */
    uint64_t requests, polls;
    struct gs_flow_info flow; /* the last request's, oriented sender -> receiver */
    /* enforcement */
    bool missed;      /* poll_missed raised for the current silence */
    bool new_alerted; /* new_talker raised: the pair was not in the baseline */
    uint64_t win_start_us;
    uint32_t win_count;
    bool win_missed; /* a poll was missed during the current rate window */
    bool rate_high, rate_low;
    /* learning */
    uint32_t n_gaps; /* intervals between polls measured; the ring keeps the last ones */
    uint64_t min_gap_us, max_gap_us;
};

struct gs_baseline {
    const struct gs_config *cfg;
    bool learning;  /* --learn: every series is learned and saved */
    bool from_file; /* loaded: unknown series are new talkers / requests */
    struct gs_baseline_series *series;
    size_t cap;      /* n_pinned + baseline.max_series */
    size_t n_pinned; /* slots [0, n_pinned) hold the loaded series */
    size_t pinned_used;
    size_t n_runtime; /* run-time slots handed out so far (then recycled) */
    uint32_t *buckets;
    size_t bucket_mask;
    uint32_t lru_head, lru_tail;
    uint32_t *gaps; /* learning: baseline.learn_samples intervals (ms) per run-time slot */
    uint64_t first_us, last_us; /* packet time this model saw */
    uint64_t file_evicted;      /* series_evicted of the learning run that wrote the file */
    /* counters */
    uint64_t created, evicted, dropped, kinds_truncated;
};

/* What a learning series learned (computed when saving). */
struct gs_baseline_learned {
    bool periodic;
    const char *note; /* why not periodic, NULL when periodic */
    uint64_t period_us, mad_us;
    double tolerance;
    double per_poll;
    size_t samples;
};

/* Allocates a model with n_pinned loaded slots (to be filled) and the run-time slots. */
int gs_baseline_alloc(struct gs_baseline **out, const struct gs_config *cfg, size_t n_pinned,
                      bool learning, char *errbuf);

const char *gs_baseline_proto_name(unsigned proto);
/* enum gs_baseline_proto of a name, or -1. */
int gs_baseline_proto_by_name(const char *name);

/* The series with this identity, or NULL. */
struct gs_baseline_series *gs_baseline_find(struct gs_baseline *b, unsigned proto,
                                            const struct gs_ip *from, const struct gs_ip *to,
                                            const char *kind);

/* Adds a loaded series in the next pinned slot; NULL when it is already there. */
struct gs_baseline_series *gs_baseline_add_pinned(struct gs_baseline *b, unsigned proto,
                                                  const struct gs_ip *from, const struct gs_ip *to,
                                                  const char *kind);

/* "dnp3 10.1.0.2 > 10.2.0.10 READ g60v1 @1024": how files and alerts name a series. */
void gs_baseline_key_text(const struct gs_baseline_series *s, char *out, size_t cap);

/* An address as text ("10.1.0.2", "fd00::1"). */
void gs_baseline_ip_text(const struct gs_ip *ip, char *out, size_t cap);

/* Packet time as the records spell it: "2026-11-18T11:06:40.000000+0000". */
void gs_baseline_time_text(uint64_t ts_us, char *out, size_t cap);

/* What a series of a learning model learned. */
void gs_baseline_learned(const struct gs_baseline *b, const struct gs_baseline_series *s,
                         struct gs_baseline_learned *out);

#endif
