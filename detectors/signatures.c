/*
 * signatures.c - the alert rule table (see signatures.h). docs/RULES.md lists the same rules
 * for users; tests/unit/test_signatures.c checks the two agree.
 */
#include "signatures.h"

#include <stddef.h>
#include <string.h>

const struct gs_signature gs_signatures[] = {
    /* 20001xx: DNP3 Secure Authentication v5 (detectors/dnp3_sa.c) */
    {"dnp3.sa.mac_invalid", 2000101, "DNP3 SA: MAC does not verify", "integrity", 1, "FR3"},
    {"dnp3.sa.replay", 2000102, "DNP3 SA: replayed or reordered sequence number (CSQ/KSQ)",
     "integrity", 1, "FR3"},
    {"dnp3.sa.unauthenticated_critical", 2000103,
     "DNP3 SA: outstation executed a critical request that was not authenticated", "authentication",
     1, "FR1"},
    {"dnp3.sa.key_change_invalid", 2000104, "DNP3 SA: session key change does not verify",
     "authentication", 1, "FR1"},
    {"dnp3.sa.error", 2000105, "DNP3 SA: authentication error reported (g120v7)", "authentication",
     2, "FR1"},
    {"dnp3.sa.downgrade", 2000106,
     "DNP3 SA: weaker MAC algorithm, or SA stopped on an association that used it",
     "authentication", 2, "FR1"},
    {"dnp3.sa.key_expired", 2000107, "DNP3 SA: session keys used past their interval or count",
     "authentication", 2, "FR1"},
    {"dnp3.sa.no_key", 2000108, "DNP3 SA: no update key for this association, MACs unverified",
     "visibility", 3, "FR1"},
    /* 20002xx: IEC 60870-5-104 secure authentication, IEC 62351-5 (detectors/iec104_sa.c) */
    {"iec104.sa.mac_invalid", 2000201, "IEC 104 SA: MAC does not verify", "integrity", 1, "FR3"},
    {"iec104.sa.replay", 2000202, "IEC 104 SA: replayed or reordered sequence number (CSQ/KSQ)",
     "integrity", 1, "FR3"},
    {"iec104.sa.unauthenticated_critical", 2000203,
     "IEC 104 SA: controlled station confirmed a critical command that was not authenticated",
     "authentication", 1, "FR1"},
    {"iec104.sa.key_change_invalid", 2000204, "IEC 104 SA: session key change does not verify",
     "authentication", 1, "FR1"},
    {"iec104.sa.error", 2000205, "IEC 104 SA: authentication error reported (S_ER_NA_1)",
     "authentication", 2, "FR1"},
    {"iec104.sa.downgrade", 2000206,
     "IEC 104 SA: weaker MAC algorithm, or SA stopped on an association that used it",
     "authentication", 2, "FR1"},
    {"iec104.sa.key_expired", 2000207, "IEC 104 SA: session keys used past their interval or count",
     "authentication", 2, "FR1"},
    {"iec104.sa.no_key", 2000208, "IEC 104 SA: no update key for this association, MACs unverified",
     "visibility", 3, "FR1"},
    /* TLS / IEC 62351-3 profile (detectors/tls_profile.c) */
    {"tls.version_not_allowed", 2000301,
     "TLS: negotiated protocol version not allowed by the IEC 62351-3 profile", "protocol-weakness",
     2, "FR4"},
    {"tls.suite_not_allowed", 2000302,
     "TLS: selected cipher suite not allowed by the IEC 62351-3 profile", "protocol-weakness", 2,
     "FR4"},
    {"tls.suite_offered_weak", 2000303,
     "TLS: client offers NULL, EXPORT, RC4 or anonymous cipher suites", "protocol-weakness", 3,
     "FR4"},
    {"tls.cert_key_too_small", 2000304,
     "TLS: certificate public key smaller than the IEC 62351-3 profile minimum", "certificate", 2,
     "FR1"},
    {"tls.cert_weak_signature", 2000305,
     "TLS: certificate signed with a hash the IEC 62351-3 profile does not allow (MD5, SHA-1)",
     "certificate", 2, "FR1"},
    {"tls.cert_expired", 2000306, "TLS: certificate expired at packet time", "certificate", 2,
     "FR1"},
    {"tls.cert_not_yet_valid", 2000307, "TLS: certificate not yet valid at packet time",
     "certificate", 2, "FR1"},
    {"tls.renegotiation_insecure", 2000308, "TLS: secure renegotiation (RFC 5746) not negotiated",
     "protocol-weakness", 2, "FR3"},
    {"tls.no_client_auth", 2000309,
     "TLS: no client certificate where the profile requires mutual authentication",
     "authentication", 2, "FR1"},
    /* Conduit policy (detectors/policy.c, raised by the detector that needs the rule) */
    {"policy.tls_required", 2000501, "Policy: plaintext protocol on a conduit that requires TLS",
     "policy", 1, "FR4"},
    /* Poll-rate baselines (detectors/baseline.c) */
    {"baseline.poll_missed", 2000601,
     "Baseline: an expected periodic poll did not arrive within its period and tolerance",
     "availability", 2, "FR7"},
    {"baseline.rate_anomaly", 2000602,
     "Baseline: request rate of a series far off its learned baseline", "availability", 2, "FR7"},
    {"baseline.new_talker", 2000603,
     "Baseline: endpoints exchanging requests of a protocol not seen while learning", "anomaly", 2,
     "FR5"},
    {"baseline.new_request", 2000604,
     "Baseline: known endpoints sending a request kind not seen while learning", "anomaly", 3,
     "FR2"},
    {NULL, 0, NULL, NULL, 0, NULL},
};

const struct gs_signature *gs_signature_find(const char *rule)
{
    for (const struct gs_signature *sig = gs_signatures; sig->rule != NULL; sig++) {
        if (strcmp(sig->rule, rule) == 0)
            return sig;
    }
    return NULL;
}
