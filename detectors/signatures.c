/*
 * signatures.c - the alert rule table (see signatures.h). docs/RULES.md lists the same rules
 * for users; tests/unit/test_signatures.c checks the two agree.
 */
#include "signatures.h"

#include <stddef.h>
#include <string.h>

const struct gs_signature gs_signatures[] = {
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
    /* 20004xx: GOOSE / SV / R-GOOSE / R-SV, IEC 62351-6 tags and counters (goose_sv.c) */
    {"goose.tag_invalid", 2000401,
     "GOOSE: IEC 62351-6 authentication tag does not verify with the control block's key",
     "integrity", 1, "FR3"},
    {"goose.tag_missing", 2000402,
     "GOOSE: no authentication tag from a publisher that sent tags or must send them",
     "authentication", 1, "FR3"},
    {"goose.key_stale", 2000403,
     "GOOSE: key id used past its announced next-key time, or after its successor",
     "authentication", 2, "FR1"},
    {"goose.no_key", 2000404, "GOOSE: authentication tags that cannot be verified (no key)",
     "visibility", 3, "FR3"},
    {"goose.replay", 2000405,
     "GOOSE: stNum/sqNum (or R-GOOSE SPDU number) already seen: replayed or injected PDU",
     "integrity", 1, "FR3"},
    {"goose.st_rollback", 2000406, "GOOSE: stNum went back without a publisher restart",
     "integrity", 1, "FR3"},
    {"goose.st_jump", 2000407, "GOOSE: stNum skipped states (lost events or a forged state)",
     "integrity", 2, "FR3"},
    {"goose.sq_gap", 2000408, "GOOSE: sqNum skipped retransmissions (PDUs lost)", "availability", 3,
     "FR7"},
    {"goose.tal_expired", 2000409,
     "GOOSE: publisher silent past its timeAllowedToLive (subscribers declare it lost)",
     "availability", 2, "FR7"},
    {"goose.conf_rev_changed", 2000410,
     "GOOSE: confRev changed (the control block's dataset configuration changed)", "configuration",
     2, "FR3"},
    {"goose.simulation", 2000411, "GOOSE: simulation/test PDUs (S bit or simulation attribute)",
     "configuration", 2, "FR3"},
    {"sv.tag_invalid", 2000421,
     "SV: IEC 62351-6 authentication tag does not verify with the stream's key", "integrity", 1,
     "FR3"},
    {"sv.tag_missing", 2000422,
     "SV: no authentication tag from a stream that sent tags or must send them", "authentication",
     1, "FR3"},
    {"sv.key_stale", 2000423,
     "SV: key id used past its announced next-key time, or after its successor", "authentication",
     2, "FR1"},
    {"sv.no_key", 2000424, "SV: authentication tags that cannot be verified (no key)", "visibility",
     3, "FR3"},
    {"sv.replay", 2000425, "SV: sample (or R-SV SPDU number) already seen: replayed PDU",
     "integrity", 1, "FR3"},
    {"sv.smp_cnt_rollback", 2000426, "SV: smpCnt went back (older samples injected or replayed)",
     "integrity", 1, "FR3"},
    {"sv.smp_cnt_gap", 2000427, "SV: smpCnt skipped samples (samples lost)", "availability", 3,
     "FR7"},
    {"sv.smp_cnt_duplicate", 2000428,
     "SV: two different samples with the same smpCnt (injected samples)", "integrity", 1, "FR3"},
    {"sv.conf_rev_changed", 2000429, "SV: confRev changed (the stream's dataset changed)",
     "configuration", 2, "FR3"},
    {"sv.simulation", 2000430, "SV: simulation/test samples (S bit)", "configuration", 2, "FR3"},
    /* Conduit policy (detectors/policy.c, raised by the detector that needs the rule) */
    {"policy.tls_required", 2000501, "Policy: plaintext protocol on a conduit that requires TLS",
     "policy", 1, "FR4"},
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
