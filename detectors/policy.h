/*
 * policy.h - the conduit policy (`--policy FILE`, docs/DESIGN.md "Policy"): which endpoints
 * talk which protocol, and what each conduit requires. Loaded once before capture, read-only
 * afterwards, shared by every detector that needs it.
 *
 *   {"tls_profile": {"client_auth": true},
 *    "conduits": [{"name": "C-STN-104", "protocol": "iec104", "clients": ["10.3.0.5"],
 *                  "servers": ["10.3.0.0/24"], "ports": [19998], "require": {"tls": true},
 *                  "tls_profile": {"min_rsa_bits": 3072}}]}
 *
 * "allow" holds a conduit's allow-lists (struct gs_policy_allow) and "vlans" scopes a layer-2
 * conduit (GOOSE, SV); both are read by the conduit policy detector (conduit_policy.c).
 * "poll" is read by the baseline detector, "require.tags" by the GOOSE/SV detector.
 * "require.secure_auth" is accepted and not interpreted yet. Any other key, and a protocol
 * name gridsensor does not know, is ignored with a warning (gs_policy_warning), so a typo is
 * seen without a policy written for a newer sensor stopping an older one; values of the
 * wrong type or out of range are errors. Aliases: a conduit's "tls": true is require.tls,
 * "tls": {...} its tls_profile; require.client_auth is tls_profile.client_auth; protocol
 * names accept common spellings ("IEC-104", "iec60870-5-104", "dnp", "iec61850").
 */
#ifndef GS_DETECTORS_POLICY_H
#define GS_DETECTORS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "dissector.h"

/* An address block: an IP address and a prefix length (32 or 128 for one host). */
struct gs_policy_net {
    struct gs_ip addr; /* host bits cleared */
    uint8_t prefix;
};

#define GS_POLICY_MAX_VERSIONS 8
#define GS_POLICY_MAX_SUITES   128

/*
 * Changes to the IEC 62351-3 TLS profile (detectors/tls_profile.c), at the top level of the
 * file (for every TLS connection) or per conduit (over the top level). A field counts only
 * when its has_ flag is set.
 */
struct gs_policy_tls_profile {
    bool has_versions;
    uint16_t versions[GS_POLICY_MAX_VERSIONS]; /* allowed, e.g. 0x0303 */
    size_t n_versions;
    bool has_suites;
    uint16_t suites[GS_POLICY_MAX_SUITES]; /* allowed, IANA ids */
    size_t n_suites;
    bool has_min_rsa_bits;
    uint32_t min_rsa_bits; /* RSA and DSA keys */
    bool has_min_ec_bits;
    uint32_t min_ec_bits;
    bool has_hashes;
    uint32_t hashes; /* allowed signature hashes: bit (1u << enum gs_tls_hash) */
    bool has_client_auth;
    bool client_auth; /* mutual authentication required */
    bool has_all_ports;
    bool all_ports; /* judge every TLS connection, not only those of a known inner protocol */
};

/* A GOOSE or SV publisher a conduit admits: every field given must match (has_ flags;
 * NULL strings match anything). */
struct gs_policy_publisher {
    bool has_src_mac;
    uint8_t src_mac[6];
    bool has_appid;
    uint16_t appid;
    char *gocb_ref; /* GOOSE control block reference ("IED1LD0/LLN0$GO$gcb1") */
    char *sv_id;    /* Sampled Values svID */
};

/*
 * What a conduit allows ("allow": {...}). A list counts only when its has_ flag is set; a set
 * of small numbers is a bitmap read with gs_policy_bit(). The protocol's function must be in
 * each list set for it, and a catalogue operation (catalogue.h) the conduit names in
 * `operations` or whose function a list names is not reported as dangerous.
 */
struct gs_policy_allow {
    bool has_function_codes;
    uint64_t function_codes[4]; /* DNP3 request function codes */
    bool has_groups;
    uint64_t groups[4]; /* DNP3 object groups in requests */
    bool has_type_ids;
    uint64_t type_ids[4]; /* IEC 104 type ids the controlling station sends */
    bool has_causes;
    uint64_t causes[1]; /* IEC 104 causes of transmission (0..63) the controlling station sends */
    bool has_services;
    uint64_t services[2]; /* MMS confirmed services, by ISO 9506 number (0..127) */
    bool has_controls;
    uint32_t controls; /* IEC 61850 control actions: bit (1u << enum gs_mms_control_action) */
    bool has_publishers;
    struct gs_policy_publisher *publishers;
    size_t n_publishers;
    uint64_t operations; /* catalogue operations: bit (1 << enum gs_catalogue_op) */
};

/* Whether value v is in a bitmap of the allow-lists. */
static inline bool gs_policy_bit(const uint64_t *set, unsigned v)
{
    return ((set[v / 64u] >> (v % 64u)) & 1u) != 0;
}

struct gs_policy_conduit {
    size_t index; /* position in the file */
    char *name;
    char *protocol; /* "dnp3", "iec104", "mms", "goose", "sv", "r-goose", "r-sv", "tls" (or a
                       name gridsensor does not know, warned about); NULL: any */
    struct gs_policy_net *clients;
    size_t n_clients; /* 0: any client */
    struct gs_policy_net *servers;
    size_t n_servers; /* 0: any server */
    uint16_t *ports;
    size_t n_ports; /* server ports; 0: any */
    bool require_tls;
    bool require_tags; /* GOOSE/SV/R-GOOSE/R-SV must carry IEC 62351-6 tags (goose_sv.c) */
    struct gs_policy_tls_profile tls_profile;
    /* "poll": {"period_s": 30, "tolerance": 0.5, "kind": "READ g60v1"}: the conduit's client
     * polls each server at least every period_s (detectors/baseline.c). Without "kind", any
     * request counts; "tolerance" is a fraction of the period (absent: baseline.tolerance_pct). */
    bool has_poll;
    double poll_period_s;
    bool has_poll_tolerance;
    double poll_tolerance;
    char *poll_kind; /* NULL: any request */
    /* Layer-2 scope (goose, sv conduits): the outer VLAN ids it admits, 0 for untagged and
     * priority-tagged frames; n_vlans 0: any. */
    uint16_t *vlans;
    size_t n_vlans;
    struct gs_policy_allow allow;
};

struct gs_policy;

/*
 * Loads and checks a policy file. Returns 0 with *out set (free with gs_policy_free), or -1
 * with a one-line reason naming the file and the offending key in errbuf (GS_ERRBUF_SIZE).
 */
int gs_policy_load(struct gs_policy **out, const char *path, char *errbuf) GS_WARN_UNUSED;

void gs_policy_free(struct gs_policy *policy);

/* One-line warnings of the load ("policy FILE: conduits[0]: unknown key 'x' ignored"), for the
 * caller to print. */
size_t gs_policy_warning_count(const struct gs_policy *policy);
const char *gs_policy_warning(const struct gs_policy *policy, size_t i);

size_t gs_policy_conduit_count(const struct gs_policy *policy);
const struct gs_policy_conduit *gs_policy_conduit_at(const struct gs_policy *policy, size_t i);

/* The top-level TLS profile changes (all has_ flags clear when the file has none). */
const struct gs_policy_tls_profile *gs_policy_tls(const struct gs_policy *policy);

/*
 * The first conduit (in file order) whose clients, servers and ports admit the flow and
 * whose protocol is `protocol` or unset; a NULL `protocol` ignores conduit protocols.
 * Returns NULL when none does (or policy is NULL).
 */
const struct gs_policy_conduit *gs_policy_match(const struct gs_policy *policy,
                                                const struct gs_ip *client,
                                                const struct gs_ip *server, uint16_t server_port,
                                                const char *protocol);

/*
 * The first conduit (in file order) that admits a layer-2 frame of `protocol` ("goose",
 * "sv"): its protocol is that or unset, it names no IP endpoints or ports, and its vlans
 * (if any) hold `vlan` (the outer VLAN id, 0 when untagged). NULL when none does.
 */
const struct gs_policy_conduit *gs_policy_match_l2(const struct gs_policy *policy,
                                                   const char *protocol, uint16_t vlan);

/*
 * The first conduit whose clients and servers admit hosts `a` and `b` in either order, ports
 * and protocol aside, among the conduits that name at least one side: whether two hosts are
 * endpoints of a conduit. NULL when none.
 */
const struct gs_policy_conduit *gs_policy_match_hosts(const struct gs_policy *policy,
                                                      const struct gs_ip *a, const struct gs_ip *b);

/* Whether an address lies in a block. */
bool gs_policy_net_contains(const struct gs_policy_net *net, const struct gs_ip *ip);

#endif
