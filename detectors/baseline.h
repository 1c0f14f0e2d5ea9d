/*
 * baseline.h - poll-rate baselines (docs/DESIGN.md "baseline"): what each master polls, how
 * often, and the alerts when that changes.
 *
 * A series is one kind of request between two endpoints: (protocol, sender IP, receiver IP,
 * kind), e.g. dnp3 10.1.0.2 > 10.2.0.10 "READ g60v1 @1024" (a DNP3 class 0 poll of
 * outstation 1024), iec104 "TESTFR act", mms "read IED1LD0/MMXU1$MX$TotW". Learning
 * (`--learn --baseline FILE`) measures each series' poll period (median of the intervals
 * between polls, robust to jitter and to retries) and writes the JSON file at the end.
 * Enforcing (`--baseline FILE`) loads it and raises baseline.poll_missed,
 * baseline.rate_anomaly, baseline.new_talker and baseline.new_request (docs/RULES.md). A
 * policy conduit's "poll" gives an expected period without any learning.
 *
 * The model (struct gs_baseline) is owned by the caller (main), loaded or created before
 * capture and saved after it; the detector keeps its series in it. One engine uses a model at
 * a time (it is not shared between capture threads).
 */
#ifndef GS_DETECTORS_BASELINE_H
#define GS_DETECTORS_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "config.h"
#include "detector.h"

struct gs_baseline;

/*
 * An empty model for learning (`--learn`): every request series seen is learned. `cfg` must
 * outlive the model. Returns 0, or -1 with a one-line reason in errbuf (GS_ERRBUF_SIZE).
 */
int gs_baseline_create_learning(struct gs_baseline **out, const struct gs_config *cfg,
                                char *errbuf) GS_WARN_UNUSED;

/*
 * Loads a baseline file to enforce. Returns 0 with *out set, or -1 with a one-line reason
 * naming the file and the offending key in errbuf ("baseline b.json: series[3].period_s: must
 * be a number of seconds > 0").
 */
int gs_baseline_load(struct gs_baseline **out, const char *path, const struct gs_config *cfg,
                     char *errbuf) GS_WARN_UNUSED;

/* Checks, before a long replay, that `path` can be written (a file can be created beside
 * it). Returns 0, or -1 with a one-line reason in errbuf. */
int gs_baseline_check_writable(const char *path, char *errbuf) GS_WARN_UNUSED;

/* What gs_baseline_save wrote. */
struct gs_baseline_saved {
    size_t series;
    size_t periodic; /* series with a trusted period */
};

/*
 * Writes what a learning model learned to `path`, atomically: a temporary file in the same
 * directory (mode 0640), flushed to disk, then renamed over `path`. Fills *saved unless NULL.
 * Returns 0, or -1 with a one-line reason in errbuf (the old file, if any, is then untouched).
 */
int gs_baseline_save(const struct gs_baseline *b, const char *path, struct gs_baseline_saved *saved,
                     char *errbuf) GS_WARN_UNUSED;

/* Whether the model learns (created by gs_baseline_create_learning) or enforces (loaded). */
bool gs_baseline_learning(const struct gs_baseline *b);

/* Series in the model: loaded ones and those seen since. */
size_t gs_baseline_series_count(const struct gs_baseline *b);

void gs_baseline_free(struct gs_baseline *b);

/* The detector. It reads env->baseline (NULL: only policy "poll" conduits are watched). */
extern const struct gs_detector gs_baseline_detector;

#endif
