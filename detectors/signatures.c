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
    /* Conduit policy (detectors/policy.c, raised by the detector that needs the rule) */
    {"policy.tls_required", 2000501, "Policy: plaintext protocol on a conduit that requires TLS",
     "policy", 1, "FR4"},
    /* Conduit policy and the catalogue of dangerous operations (detectors/conduit_policy.c) */
    {"policy.unknown_conduit", 2000502,
     "Policy: OT protocol traffic between endpoints that no conduit names", "policy", 2, "FR5"},
    {"policy.unexpected_protocol", 2000503,
     "Policy: a protocol the conduit does not carry between the conduit's endpoints", "policy", 2,
     "FR5"},
    {"policy.function_not_allowed", 2000504,
     "Policy: request function, object or cause not in the conduit's allow-list", "policy", 2,
     "FR2"},
    {"policy.publisher_not_allowed", 2000505,
     "Policy: GOOSE/SV publisher not in the conduit's allow-list", "policy", 2, "FR5"},
    {"policy.dangerous.restart", 2000510,
     "Dangerous operation: device or process restart (DNP3 cold/warm restart, IEC 104 reset "
     "process)",
     "dangerous-operation", 1, "FR7"},
    {"policy.dangerous.application", 2000511,
     "Dangerous operation: application or program stopped, started, reset or deleted",
     "dangerous-operation", 1, "FR7"},
    {"policy.dangerous.file_change", 2000512,
     "Dangerous operation: file written to, deleted from or renamed on a device",
     "dangerous-operation", 2, "FR3"},
    {"policy.dangerous.config_change", 2000513,
     "Dangerous operation: configuration, parameters, settings or program loaded or activated",
     "dangerous-operation", 2, "FR3"},
    {"policy.dangerous.unsolicited_disabled", 2000514,
     "Dangerous operation: DNP3 unsolicited event reporting disabled", "dangerous-operation", 3,
     "FR6"},
    {"policy.dangerous.broadcast_operate", 2000515,
     "Dangerous operation: write or control sent to every station (broadcast address)",
     "dangerous-operation", 1, "FR3"},
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
