/*
 * conduit_policy.h - the conduit policy detector: which endpoints may talk which protocol
 * (policy.unknown_conduit, policy.unexpected_protocol), what each conduit allows
 * (policy.function_not_allowed for DNP3 function codes and object groups, IEC 104 type ids
 * and causes, MMS services and IEC 61850 control actions; policy.publisher_not_allowed for
 * GOOSE/SV publishers), and, with or without a policy, the default catalogue of dangerous
 * operations (policy.dangerous.*, catalogue.h). Rules 20005xx, docs/RULES.md.
 */
#ifndef GS_DETECTORS_CONDUIT_POLICY_H
#define GS_DETECTORS_CONDUIT_POLICY_H

#include "detector.h"

extern const struct gs_detector gs_conduit_policy_detector;

#endif
