/*
 * tls_profile.h - the IEC 62351-3 TLS profile check: negotiated versions and suites, suites a
 * client offers, certificate key sizes, signature hashes and validity (against packet time),
 * secure renegotiation, mutual authentication, and plaintext on a conduit the policy says
 * must be TLS. Rules: tls.* (20003xx) and policy.tls_required (20005xx), docs/RULES.md.
 */
#ifndef GS_DETECTORS_TLS_PROFILE_H
#define GS_DETECTORS_TLS_PROFILE_H

#include "detector.h"

extern const struct gs_detector gs_tls_profile_detector;

#endif
