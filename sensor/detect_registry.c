/*
 * detect_registry.c - the one table of detectors. A new detector is one line here.
 */
#include "detect_registry.h"

#include <stddef.h>

#include "baseline.h"
#include "conduit_policy.h"
#include "dnp3_sa.h"
#include "goose_sv.h"
#include "iec104_sa.h"
#include "tls_profile.h"

const struct gs_detector *const gs_detector_table[] = {
    &gs_dnp3_sa_detector,
    &gs_iec104_sa_detector,
    &gs_tls_profile_detector,
    &gs_baseline_detector,
    &gs_goose_sv_detector,
    &gs_conduit_policy_detector,
    NULL,
};
