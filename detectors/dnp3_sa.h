/*
 * dnp3_sa.h - the DNP3 Secure Authentication v5 detector (IEEE 1815-2012 clause 7, IEC TS
 * 62351-5:2013): follows every SA association passively and, with the update keys of the key
 * store, learns the session keys from each key change and verifies every MAC.
 *
 * Subscribes to GS_EVENT_DNP3 (struct gs_dnp3_event). Raises the dnp3.sa.* rules of
 * docs/RULES.md; its counters (MACs verified, invalid, unverifiable, key changes,
 * associations and evictions) are in the stats record under `stats.detect.dnp3_sa`.
 * State is bounded by dnp3.max_sa_associations (least recently used evicted, counted),
 * dnp3.max_sa_users and dnp3.max_sa_copy_bytes; thresholds are dnp3.sa_key_interval_s,
 * dnp3.sa_key_max_uses and dnp3.sa_silence_s.
 */
#ifndef GS_DETECTORS_DNP3_SA_H
#define GS_DETECTORS_DNP3_SA_H

#include "detector.h"

extern const struct gs_detector gs_dnp3_sa_detector;

#endif
