/*
 * iec104_sa.h - the IEC 62351-5 (TS 62351-5:2013) secure authentication detector for IEC
 * 60870-5-104: the ASDUs 81..95 followed per association (controlling and controlled station
 * hosts, common address) as detectors/dnp3_sa.h does for DNP3 SAv5, with the same crypto
 * (detectors/sa_crypto.h) and the update keys of the key store's "iec104" section.
 *
 * Subscribes to GS_EVENT_IEC104. Raises the iec104.sa.* rules of docs/RULES.md; its counters
 * are in the stats record under `stats.detect.iec104_sa`. Bounded by
 * iec104.max_sa_associations (least recently used evicted, counted) and iec104.max_sa_users;
 * thresholds iec104.sa_key_interval_s, iec104.sa_key_max_uses, iec104.sa_silence_s.
 */
#ifndef GS_DETECTORS_IEC104_SA_H
#define GS_DETECTORS_IEC104_SA_H

#include "detector.h"

extern const struct gs_detector gs_iec104_sa_detector;

#endif
