/*
 * detect_registry.c - the one table of detectors. A new detector is one line here.
 */
#include "detect_registry.h"

#include <stddef.h>

#include "conduit_policy.h"
#include "tls_profile.h"

const struct gs_detector *const gs_detector_table[] = {
    &gs_tls_profile_detector,
    &gs_conduit_policy_detector,
    NULL,
};
