/*
 * tls_profile.c - the IEC 62351-3 TLS profile as data, and the alerts it raises (see
 * tls_profile.h).
 *
 * Which connections are judged: those whose TLS protects a power-system protocol, known from
 * the server port (19998 IEC 104, 19999 DNP3, 3782 MMS; the dissector names it
 * session->inner) or from a policy conduit that admits the connection; with a policy whose
 * top-level tls_profile sets "all_ports", every TLS connection. The profile of a connection is
 * the built-in one below, changed by the policy's top-level tls_profile, then by its
 * conduit's tls_profile.
 *
 * Each rule fires once per message that shows the problem, at the packet that completed that
 * message: versions and suites at the ServerHello, offered suites at the ClientHello,
 * certificate rules at the Certificate message (one alert per rule for the chain, naming the
 * first certificate at fault), renegotiation at the ServerHello, missing client
 * authentication at the ServerHelloDone (no CertificateRequest) or at the client's
 * Certificate / ClientKeyExchange (no certificate sent).
 */
#include "tls_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "tls.h"
#include "tls_suites.h"

#define MAX_VERSIONS GS_POLICY_MAX_VERSIONS
#define MAX_SUITES   GS_POLICY_MAX_SUITES
#define HASH_BIT(h)  (1u << (unsigned)(h))

struct profile {
    uint16_t versions[MAX_VERSIONS];
    size_t n_versions;
    uint16_t suites[MAX_SUITES];
    size_t n_suites;
    uint32_t min_rsa_bits; /* RSA, RSA-PSS, DSA and finite-field DH keys */
    uint32_t min_ec_bits;  /* EC keys (EdDSA keys are fixed-size and pass) */
    uint32_t hashes;       /* HASH_BIT() of each allowed certificate signature hash */
    bool client_auth;      /* the server must request, and the client present, a certificate */
    bool all_ports;
};

/*
 * The built-in profile. Sources: ../shared/specs/tls_62351_3.md (the digest), which cites them;
 * [C] confirmed by a public source, [I] inferred from lib60870 / libiec61850, which implement
 * 62351-3 and say so, [GK] general knowledge the digest could not confirm.
 */
static const struct profile builtin = {
    .versions =
        {
            0x0303, /* TLS 1.2: profiled by 62351-3:2014+AMD1 and Ed.2 2023 [C] (digest 2) */
            0x0304, /* TLS 1.3: profiled by 62351-3 Ed.2 2023 [C] (digest 2) */
        },
    .n_versions = 2,
    .suites =
        {
            /* TLS 1.2, "mandatory" per 62351-4:2018 in lib60870's default list [I] (digest 3.1) */
            0x003C, /* TLS_RSA_WITH_AES_128_CBC_SHA256 */
            0x00A0, /* TLS_DH_RSA_WITH_AES_128_GCM_SHA256 */
            0x009E, /* TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 */
            0xC02F, /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
            0xC02B, /* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ([I], digest 3.1 note) */
            /* TLS 1.2, "recommended" per 62351-4:2018 in lib60870 [I] (digest 3.1) */
            0x003F, /* TLS_DH_RSA_WITH_AES_128_CBC_SHA256 */
            0x00A1, /* TLS_DH_RSA_WITH_AES_256_GCM_SHA384 */
            0xC030, /* TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 */
            0xC02C, /* TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 */
            /* TLS 1.2, the AES-256 twin of 0x009E: Ed.2 is believed to keep the DHE/ECDHE
             * AES-GCM suites [GK] (digest 3.1) */
            0x009F, /* TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 */
            /* TLS 1.3, "mandatory" per 62351-3:2023 in lib60870 [I] (digest 3.2) */
            0x1301, /* TLS_AES_128_GCM_SHA256 */
            0x1302, /* TLS_AES_256_GCM_SHA384 */
            0x1304, /* TLS_AES_128_CCM_SHA256 */
            /* TLS 1.3, "optional" per 62351-3:2023 in lib60870 [I] (digest 3.2) */
            0x1303, /* TLS_CHACHA20_POLY1305_SHA256 */
            0x1305, /* TLS_AES_128_CCM_8_SHA256 */
            /* Not listed: 0x003B TLS_RSA_WITH_NULL_SHA256, which lib60870 removed from its
             * defaults as unencrypted (digest 3.1). */
        },
    .n_suites = 15,
    .min_rsa_bits = 2048, /* RSA >= 2048 [GK] (digest 5, 8.5); lib60870's floor is 1024 */
    .min_ec_bits = 256,   /* EC >= 256 bits [GK] (digest 8.5) */
    /* Signatures with SHA-256 or better [GK] (digest 5); EdDSA hashes intrinsically. */
    .hashes = HASH_BIT(GS_TLS_HASH_SHA256) | HASH_BIT(GS_TLS_HASH_SHA384) |
              HASH_BIT(GS_TLS_HASH_SHA512) | HASH_BIT(GS_TLS_HASH_INTRINSIC),
    /* Mutual authentication is what 62351-3 stacks do by default (lib60870 VERIFY_REQUIRED)
     * [I]/[GK] (digest 5), but whether a server asks for client certificates is a deployment
     * setting, and the digest could not confirm a "shall": the policy turns it on
     * ("tls_profile": {"client_auth": true}, for all connections or one conduit). */
    .client_auth = false,
    .all_ports = false,
};

struct tls_profile {
    const struct gs_detect_env *env;
    struct profile global;    /* built-in + top-level policy changes */
    struct profile *conduits; /* per conduit index: global + the conduit's changes */
    size_t n_conduits;
};

static void apply(struct profile *p, const struct gs_policy_tls_profile *o)
{
    if (o->has_versions) {
        memcpy(p->versions, o->versions, o->n_versions * sizeof(o->versions[0]));
        p->n_versions = o->n_versions;
    }
    if (o->has_suites) {
        memcpy(p->suites, o->suites, o->n_suites * sizeof(o->suites[0]));
        p->n_suites = o->n_suites;
    }
    if (o->has_min_rsa_bits)
        p->min_rsa_bits = o->min_rsa_bits;
    if (o->has_min_ec_bits)
        p->min_ec_bits = o->min_ec_bits;
    if (o->has_hashes)
        p->hashes = o->hashes;
    if (o->has_client_auth)
        p->client_auth = o->client_auth;
    if (o->has_all_ports)
        p->all_ports = o->all_ports;
}

static int tp_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    struct tls_profile *tp = calloc(1, sizeof(*tp));
    if (tp == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    tp->env = env;
    tp->global = builtin;
    apply(&tp->global, gs_policy_tls(env->policy));
    tp->n_conduits = gs_policy_conduit_count(env->policy);
    tp->conduits = calloc(tp->n_conduits + 1, sizeof(*tp->conduits));
    if (tp->conduits == NULL) {
        free(tp);
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < tp->n_conduits; i++) {
        tp->conduits[i] = tp->global;
        apply(&tp->conduits[i], &gs_policy_conduit_at(env->policy, i)->tls_profile);
    }
    *state = tp;
    return 0;
}

static void tp_destroy(void *state)
{
    struct tls_profile *tp = state;
    if (tp == NULL)
        return;
    free(tp->conduits);
    free(tp);
}

/* ---- which profile, which conduit ----------------------------------------------------------- */

struct judged {
    const struct profile *profile;
    const struct gs_policy_conduit *conduit;
    const char *inner; /* the protected protocol, for the alert */
};

/* The flow's client and server, whichever side sent the current packet. */
static void endpoints(const struct gs_flow_info *f, const struct gs_ip **client,
                      const struct gs_ip **server, uint16_t *server_port)
{
    bool to_server = f->dir == GS_DIR_TO_SERVER;
    *client = to_server ? &f->src : &f->dst;
    *server = to_server ? &f->dst : &f->src;
    *server_port = to_server ? f->dst_port : f->src_port;
}

static const struct gs_policy_conduit *
conduit_for(const struct tls_profile *tp, const struct gs_flow_info *f, const char *protocol)
{
    if (tp->env->policy == NULL || f == NULL)
        return NULL;
    const struct gs_ip *client, *server;
    uint16_t port;
    endpoints(f, &client, &server, &port);
    return gs_policy_match(tp->env->policy, client, server, port, protocol);
}

/* Whether the connection is judged, and against which profile. */
static bool judge(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                  const struct gs_tls_session *s, struct judged *j)
{
    memset(j, 0, sizeof(*j));
    j->inner = s->inner;
    if (s->inner != NULL) {
        j->conduit = conduit_for(tp, ctx->flow, s->inner);
        if (j->conduit == NULL)
            j->conduit = conduit_for(tp, ctx->flow, "tls");
    } else {
        /* An unknown port belongs to a conduit only if the conduit names it (or is a TLS
         * conduit): HTTPS between two hosts of a DNP3 conduit is not DNP3 over TLS. */
        j->conduit = conduit_for(tp, ctx->flow, NULL);
        if (j->conduit != NULL && j->conduit->n_ports == 0 &&
            (j->conduit->protocol == NULL || strcmp(j->conduit->protocol, "tls") != 0))
            j->conduit = NULL;
    }
    if (j->conduit != NULL) {
        j->profile = &tp->conduits[j->conduit->index];
        if (j->conduit->protocol != NULL && strcmp(j->conduit->protocol, "tls") != 0)
            j->inner = j->conduit->protocol;
        return true;
    }
    if (s->inner != NULL || tp->global.all_ports) {
        j->profile = &tp->global;
        return true;
    }
    return false;
}

/* ---- alert building ------------------------------------------------------------------------- */

static void start_alert(struct gs_alert *a, const char *rule, const struct judged *j,
                        const struct gs_tls_session *s)
{
    gs_alert_init(a, rule, "tls", "tls");
    a->conduit = j->conduit != NULL ? j->conduit->name : NULL;
    if (j->inner != NULL)
        gs_alert_add_str(a, "inner", j->inner);
    if (s->version != 0) {
        const char *v = gs_tls_version_name(s->version);
        gs_alert_add_str(a, "version", v != NULL ? v : "unknown");
    }
    /* (SSL 2.0 names its cipher only in CLIENT-MASTER-KEY.) */
    if (s->version != 0 && !(s->sslv2 && s->suite == 0)) {
        const char *suite = gs_tls_suite_name(s->suite);
        gs_alert_add_str(a, "cipher_suite", suite != NULL ? suite : "unknown");
        gs_alert_add_uint(a, "cipher_suite_id", s->suite);
    }
    if (s->sni[0] != '\0')
        gs_alert_add_str(a, "sni", s->sni);
}

static bool version_allowed(const struct profile *p, uint16_t v)
{
    for (size_t i = 0; i < p->n_versions; i++) {
        if (p->versions[i] == v)
            return true;
    }
    return false;
}

static bool suite_allowed(const struct profile *p, uint32_t suite)
{
    for (size_t i = 0; i < p->n_suites; i++) {
        if (p->suites[i] == suite)
            return true;
    }
    return false;
}

/* "RC4, MD5" from suite flags, for the alert. */
static void weakness_text(unsigned flags, char *out, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {GS_TLS_SUITE_NULL, "NULL"},
        {GS_TLS_SUITE_ANON, "anonymous"},
        {GS_TLS_SUITE_EXPORT, "EXPORT"},
        {GS_TLS_SUITE_RC4, "RC4"},
        {GS_TLS_SUITE_DES, "DES"},
        {GS_TLS_SUITE_3DES, "3DES"},
        {GS_TLS_SUITE_64BIT_BLOCK, "64-bit block cipher"},
        {GS_TLS_SUITE_MD5, "MD5"},
        {GS_TLS_SUITE_SSL2, "SSL 2.0"},
        {GS_TLS_SUITE_UNKNOWN, "unknown suite"},
    };
    out[0] = '\0';
    size_t n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((flags & names[i].bit) == 0)
            continue;
        int w = snprintf(out + n, cap - n, "%s%s", n > 0 ? ", " : "", names[i].name);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

static void version_list(const struct profile *p, char *out, size_t cap)
{
    out[0] = '\0';
    size_t n = 0;
    for (size_t i = 0; i < p->n_versions; i++) {
        const char *name = gs_tls_version_name(p->versions[i]);
        char other[16];
        if (name == NULL) {
            snprintf(other, sizeof(other), "0x%04x", p->versions[i]);
            name = other;
        }
        int w = snprintf(out + n, cap - n, "%s%s", n > 0 ? ", " : "", name);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

/* ---- hellos --------------------------------------------------------------------------------- */

static void check_offered(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                          const struct gs_tls_event *ev, const struct judged *j)
{
    const struct gs_tls_client_hello *ch = ev->client_hello;
    /* The ClientHello answering a HelloRetryRequest repeats the first: judged once. */
    if (ev->session->hrr)
        return;
    size_t weak = 0;
    uint32_t first = 0;
    unsigned first_flags = 0;
    struct gs_cursor c = gs_cur_init(ch->suites.ptr, ch->suites.len);
    while (gs_cur_remaining(&c) >= ch->suite_len) {
        uint32_t id = ch->suite_len == 3 ? gs_cur_be24(&c) : gs_cur_be16(&c);
        unsigned flags = gs_tls_suite_flags(id);
        if ((flags & GS_TLS_SUITE_WEAK_OFFER) == 0)
            continue;
        if (weak++ == 0) {
            first = id;
            first_flags = flags;
        }
    }
    if (weak == 0)
        return;
    struct gs_alert a;
    start_alert(&a, "tls.suite_offered_weak", j, ev->session);
    const char *v = gs_tls_version_name(ch->max_version);
    gs_alert_add_str(&a, "client_version", v != NULL ? v : "unknown");
    gs_alert_add_uint(&a, "weak_suites", weak);
    gs_alert_add_uint(&a, "suites_offered", ch->n_suites);
    const char *name = gs_tls_suite_name(first);
    gs_alert_add_str(&a, "first_weak_suite", name != NULL ? name : "unknown");
    gs_alert_add_uint(&a, "first_weak_suite_id", first);
    char why[96];
    weakness_text(first_flags & GS_TLS_SUITE_INSECURE, why, sizeof(why));
    gs_alert_add_str(&a, "weakness", why);
    if (ev->session->ja3[0] != '\0')
        gs_alert_add_str(&a, "ja3", ev->session->ja3);
    gs_detect_alert(tp->env, ctx, &a);
}

/* With a version the profile allows, the suite must be one it lists. With a version it does
 * not, its suite lists do not apply (TLS 1.0 has no GCM suites): the suite is only flagged
 * when broken in itself, so one root cause gives one alert. */
static void check_suite(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                        const struct gs_tls_session *s, const struct judged *j)
{
    const struct profile *p = j->profile;
    unsigned flags = gs_tls_suite_flags(s->suite);
    bool suite_bad = version_allowed(p, s->version) ? !suite_allowed(p, s->suite)
                                                    : (flags & GS_TLS_SUITE_INSECURE) != 0;
    if (!suite_bad)
        return;
    struct gs_alert a;
    start_alert(&a, "tls.suite_not_allowed", j, s);
    char why[96];
    weakness_text(flags & (GS_TLS_SUITE_INSECURE | GS_TLS_SUITE_UNKNOWN), why, sizeof(why));
    gs_alert_add_str(&a, "weakness", why[0] != '\0' ? why : "not in the profile");
    gs_detect_alert(tp->env, ctx, &a);
}

static void check_server_hello(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                               const struct gs_tls_event *ev, const struct judged *j)
{
    const struct gs_tls_session *s = ev->session;
    const struct profile *p = j->profile;
    if (ev->server_hello->hrr)
        return; /* the real ServerHello follows */
    bool version_ok = version_allowed(p, s->version);
    if (!version_ok) {
        struct gs_alert a;
        start_alert(&a, "tls.version_not_allowed", j, s);
        gs_alert_add_uint(&a, "version_id", s->version);
        char allowed[64];
        version_list(p, allowed, sizeof(allowed));
        gs_alert_add_str(&a, "allowed", allowed);
        const char *cv = gs_tls_version_name(s->client_version);
        gs_alert_add_str(&a, "client_version", cv != NULL ? cv : "unknown");
        gs_detect_alert(tp->env, ctx, &a);
    }
    /* SSL 2.0: the client chooses the cipher later, in CLIENT-MASTER-KEY. */
    if (!s->sslv2)
        check_suite(tp, ctx, s, j);
    /* RFC 5746: both sides must signal secure renegotiation; SSL 2.0 and TLS 1.3 have none. */
    if (!s->tls13 && !s->sslv2 && !(s->client_secure_reneg && s->server_secure_reneg)) {
        struct gs_alert a;
        start_alert(&a, "tls.renegotiation_insecure", j, s);
        gs_alert_add_bool(&a, "client_secure_renegotiation", s->client_secure_reneg);
        gs_alert_add_bool(&a, "server_secure_renegotiation", s->server_secure_reneg);
        gs_detect_alert(tp->env, ctx, &a);
    }
}

/* ---- certificates --------------------------------------------------------------------------- */

/* The minimum size of a key, 0 when the profile sets none for its type. */
static uint32_t min_bits(const struct profile *p, enum gs_tls_key_type t)
{
    switch (t) {
    case GS_TLS_KEY_RSA:
    case GS_TLS_KEY_RSA_PSS:
    case GS_TLS_KEY_DSA:
    case GS_TLS_KEY_DH:
        return p->min_rsa_bits;
    case GS_TLS_KEY_EC:
        return p->min_ec_bits;
    default:
        return 0;
    }
}

static bool key_too_small(const struct profile *p, const struct gs_tls_cert *c)
{
    return c->parsed && c->key_bits < min_bits(p, c->key_type);
}

/* A trust anchor sent along (a self-signed certificate after the leaf) is not verified by its
 * signature, so its hash does not matter. */
static bool weak_signature(const struct profile *p, const struct gs_tls_cert *c, size_t index)
{
    if (!c->parsed || (index > 0 && c->self_signed))
        return false;
    return (p->hashes & HASH_BIT(c->sig_hash)) == 0;
}

static bool expired(const struct gs_tls_cert *c, int64_t now)
{
    return c->parsed && c->has_validity && c->not_after < now;
}

static bool not_yet_valid(const struct gs_tls_cert *c, int64_t now)
{
    return c->parsed && c->has_validity && c->not_before > now;
}

static void iso_time(int64_t secs, char out[32])
{
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)secs);
}

enum cert_rule {
    CERT_KEY,
    CERT_SIG,
    CERT_EXPIRED,
    CERT_NOT_YET,
};

static bool cert_fails(enum cert_rule rule, const struct profile *p, const struct gs_tls_cert *c,
                       size_t index, int64_t now)
{
    switch (rule) {
    case CERT_KEY:
        return key_too_small(p, c);
    case CERT_SIG:
        return weak_signature(p, c, index);
    case CERT_EXPIRED:
        return expired(c, now);
    case CERT_NOT_YET:
        return not_yet_valid(c, now);
    }
    return false;
}

static void cert_alert(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                       const struct gs_tls_event *ev, const struct judged *j, enum cert_rule rule)
{
    static const char *const rules[] = {
        [CERT_KEY] = "tls.cert_key_too_small",
        [CERT_SIG] = "tls.cert_weak_signature",
        [CERT_EXPIRED] = "tls.cert_expired",
        [CERT_NOT_YET] = "tls.cert_not_yet_valid",
    };
    const struct gs_tls_certificates *certs = ev->certificates;
    int64_t now = (int64_t)(ctx->ts_us / 1000000u);
    size_t affected = 0, first = 0;
    for (size_t i = 0; i < certs->n_certs; i++) {
        if (cert_fails(rule, j->profile, &certs->certs[i], i, now) && affected++ == 0)
            first = i;
    }
    if (affected == 0)
        return;
    const struct gs_tls_cert *c = &certs->certs[first];
    struct gs_alert a;
    start_alert(&a, rules[rule], j, ev->session);
    bool from_server = ctx->flow == NULL || ctx->flow->dir == GS_DIR_TO_CLIENT;
    gs_alert_add_str(&a, "cert_from", from_server ? "server" : "client");
    gs_alert_add_uint(&a, "cert_index", first);
    gs_alert_add_uint(&a, "certs_affected", affected);
    gs_alert_add_str(&a, "subject", c->subject);
    gs_alert_add_str(&a, "issuer", c->issuer);
    gs_alert_add_str(&a, "serial", c->serial);
    char t1[32], t2[32];
    switch (rule) {
    case CERT_KEY:
        gs_alert_add_str(&a, "key_type", gs_tls_key_type_name(c->key_type));
        gs_alert_add_uint(&a, "key_bits", c->key_bits);
        gs_alert_add_uint(&a, "min_key_bits", min_bits(j->profile, c->key_type));
        break;
    case CERT_SIG:
        gs_alert_add_str(&a, "signature_algorithm", c->sig_alg);
        gs_alert_add_str(&a, "signature_hash", gs_tls_hash_name(c->sig_hash));
        break;
    case CERT_EXPIRED:
    case CERT_NOT_YET:
        iso_time(c->not_before, t1);
        iso_time(c->not_after, t2);
        gs_alert_add_str(&a, "not_before", t1);
        gs_alert_add_str(&a, "not_after", t2);
        break;
    }
    gs_detect_alert(tp->env, ctx, &a);
}

static void check_certificates(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                               const struct gs_tls_event *ev, const struct judged *j)
{
    cert_alert(tp, ctx, ev, j, CERT_KEY);
    cert_alert(tp, ctx, ev, j, CERT_SIG);
    cert_alert(tp, ctx, ev, j, CERT_EXPIRED);
    cert_alert(tp, ctx, ev, j, CERT_NOT_YET);
}

/* ---- mutual authentication ------------------------------------------------------------------ */

static void no_client_auth(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                           const struct gs_tls_event *ev, const struct judged *j, const char *why)
{
    struct gs_alert a;
    start_alert(&a, "tls.no_client_auth", j, ev->session);
    gs_alert_add_bool(&a, "certificate_requested", ev->session->cert_requested);
    gs_alert_add_uint(&a, "client_certificates", ev->session->client_cert_count);
    a.message = why;
    gs_detect_alert(tp->env, ctx, &a);
}

/* Only full TLS <= 1.2 handshakes in which the server authenticated with a certificate can be
 * judged: TLS 1.3 encrypts these messages, and resumption carries no authentication. */
static bool auth_visible(const struct gs_tls_session *s)
{
    return s->version != 0 && !s->tls13 && !s->sslv2 && !s->resumed && s->server_certificate;
}

static void check_client_auth(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                              const struct gs_tls_event *ev, const struct judged *j)
{
    const struct gs_tls_session *s = ev->session;
    if (!j->profile->client_auth || !auth_visible(s))
        return;
    switch (ev->msg) {
    case GS_TLS_SERVER_HELLO_DONE:
        if (!s->cert_requested)
            no_client_auth(tp, ctx, ev, j, "the server did not request a client certificate");
        break;
    case GS_TLS_CERTIFICATE:
        if (ctx->flow != NULL && ctx->flow->dir == GS_DIR_TO_SERVER && s->cert_requested &&
            ev->certificates->n_total == 0)
            no_client_auth(tp, ctx, ev, j, "the client sent an empty certificate list");
        break;
    case GS_TLS_CLIENT_KEY_EXCHANGE:
        if (s->cert_requested && !s->client_certificate)
            no_client_auth(tp, ctx, ev, j, "the client sent no Certificate message");
        break;
    default:
        break;
    }
}

/* ---- plaintext on a conduit that must be TLS ------------------------------------------------ */

static void tls_required(const struct tls_profile *tp, const struct gs_pkt_ctx *ctx,
                         const char *protocol)
{
    const struct gs_policy_conduit *c = conduit_for(tp, ctx->flow, protocol);
    if (c == NULL || !c->require_tls)
        return;
    struct gs_alert a;
    gs_alert_init(&a, "policy.tls_required", protocol, "policy");
    a.conduit = c->name;
    gs_alert_add_str(&a, "protocol", protocol != NULL ? protocol : "unknown");
    gs_alert_add_str(&a, "required", "tls");
    gs_detect_alert(tp->env, ctx, &a);
}

static void tp_flow(void *state, const struct gs_pkt_ctx *ctx, const char *app_proto)
{
    const struct tls_profile *tp = state;
    if (strcmp(app_proto, "tls") != 0)
        tls_required(tp, ctx, app_proto);
}

static void tp_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    const struct tls_profile *tp = state;
    const struct gs_tls_event *te = ev->body;
    if (te->msg == GS_TLS_PLAINTEXT) {
        /* A TLS port carrying something else (the dissector gave up on the flow). */
        tls_required(tp, ctx, te->plaintext != NULL ? te->plaintext : te->session->inner);
        return;
    }
    struct judged j;
    if (!judge(tp, ctx, te->session, &j))
        return;
    switch (te->msg) {
    case GS_TLS_CLIENT_HELLO:
        check_offered(tp, ctx, te, &j);
        break;
    case GS_TLS_SERVER_HELLO:
        check_server_hello(tp, ctx, te, &j);
        break;
    case GS_TLS_CERTIFICATE:
        check_certificates(tp, ctx, te, &j);
        check_client_auth(tp, ctx, te, &j);
        break;
    case GS_TLS_CLIENT_KEY_EXCHANGE:
        if (te->session->sslv2)
            check_suite(tp, ctx, te->session, &j); /* CLIENT-MASTER-KEY named the cipher */
        check_client_auth(tp, ctx, te, &j);
        break;
    case GS_TLS_SERVER_HELLO_DONE:
        check_client_auth(tp, ctx, te, &j);
        break;
    default:
        break;
    }
}

const struct gs_detector gs_tls_profile_detector = {
    .name = "tls_profile",
    .event_mask = GS_EVENT_BIT(GS_EVENT_TLS),
    .create = tp_create,
    .destroy = tp_destroy,
    .on_event = tp_event,
    .on_flow = tp_flow,
};
