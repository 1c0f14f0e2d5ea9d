/*
 * policy.c - loading and matching the conduit policy (see policy.h).
 *
 * The file is read with jansson. That is the one use of jansson outside the output module,
 * and it is not an exception to the rule that only the output module writes records: this
 * parses an operator's configuration file once, before capture, and never sees packets.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalogue.h"
#include "dnp3.h"
#include "iec104.h"
#include "mms.h"
#include "tls.h"
#include "tls_suites.h"

#define MAX_WARNINGS 16

struct gs_policy {
    struct gs_policy_conduit *conduits;
    size_t n_conduits;
    struct gs_policy_tls_profile tls;
    char *warnings[MAX_WARNINGS];
    size_t n_warnings;
    size_t warnings_dropped;
};

/* Where in the file a value sits, for messages: "conduits[2].clients[0]". */
struct where {
    const char *file;
    char path[160];
    char *errbuf;
    struct gs_policy *policy; /* collects warnings */
};

static int fail(struct where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct where *w, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(w->errbuf, GS_ERRBUF_SIZE, "policy %s: %s%s%s", w->file, w->path,
             w->path[0] != '\0' ? ": " : "", msg);
    return -1;
}

static void warn(struct where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Something the loader ignores but the operator should know (an unknown key may be a typo). */
static void warn(struct where *w, const char *fmt, ...)
{
    struct gs_policy *p = w->policy;
    if (p->n_warnings == MAX_WARNINGS) {
        p->warnings_dropped++;
        return;
    }
    char msg[256], line[GS_ERRBUF_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "policy %s: %s%s%s", w->file, w->path,
             w->path[0] != '\0' ? ": " : "", msg);
    p->warnings[p->n_warnings] = strdup(line);
    if (p->warnings[p->n_warnings] != NULL)
        p->n_warnings++;
}

/* Appends ".key" or "[i]" to the path for the duration of one check. */
static size_t push_key(struct where *w, const char *key)
{
    size_t len = strlen(w->path);
    snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len > 0 ? "." : "", key);
    return len;
}

static size_t push_index(struct where *w, size_t i)
{
    size_t len = strlen(w->path);
    snprintf(w->path + len, sizeof(w->path) - len, "[%zu]", i);
    return len;
}

static void pop(struct where *w, size_t len)
{
    w->path[len] = '\0';
}

/* Warns about keys of `obj` that are not in the NULL-terminated `known` list: they are
 * ignored, which a typo would otherwise make silent. */
static int only_keys(struct where *w, json_t *obj, const char *const *known)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        (void)value;
        bool ok = false;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(known[i], key) == 0;
        if (!ok)
            warn(w, "unknown key '%s' ignored", key);
    }
    return 0;
}

static int get_bool(struct where *w, json_t *obj, const char *key, bool *has, bool *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 0;
    size_t mark = push_key(w, key);
    if (!json_is_boolean(v))
        return fail(w, "must be true or false");
    pop(w, mark);
    if (has != NULL)
        *has = true;
    *out = json_is_true(v);
    return 0;
}

static int get_uint(struct where *w, json_t *obj, const char *key, uint32_t min, uint32_t max,
                    bool *has, uint32_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 0;
    size_t mark = push_key(w, key);
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
        json_integer_value(v) > (json_int_t)max)
        return fail(w, "must be a whole number in %u..%u", min, max);
    pop(w, mark);
    *has = true;
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* "10.3.0.5", "10.3.0.0/24", "fd00::/8". */
static int parse_net(struct where *w, const char *text, struct gs_policy_net *net)
{
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(text, '/');
    size_t alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
    if (alen == 0 || alen >= sizeof(addr))
        return fail(w, "'%s' is not an IP address or CIDR block", text);
    memcpy(addr, text, alen);
    addr[alen] = '\0';
    memset(net, 0, sizeof(*net));
    unsigned max_prefix;
    if (inet_pton(AF_INET, addr, net->addr.addr) == 1) {
        net->addr.family = 4;
        max_prefix = 32;
    } else if (inet_pton(AF_INET6, addr, net->addr.addr) == 1) {
        net->addr.family = 6;
        max_prefix = 128;
    } else {
        return fail(w, "'%s' is not an IP address or CIDR block", text);
    }
    unsigned long prefix = max_prefix;
    if (slash != NULL) {
        char *end = NULL;
        errno = 0;
        prefix = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || errno != 0 || prefix > max_prefix)
            return fail(w, "'%s': prefix length must be 0..%u", text, max_prefix);
    }
    net->prefix = (uint8_t)prefix;
    /* Clear host bits so matching compares whole bytes and one partial byte. */
    for (unsigned bit = (unsigned)prefix; bit < max_prefix; bit++)
        net->addr.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    return 0;
}

static int get_nets(struct where *w, json_t *obj, const char *key, struct gs_policy_net **out,
                    size_t *n)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 0;
    size_t mark = push_key(w, key);
    if (!json_is_array(v))
        return fail(w, "must be a list of IP addresses or CIDR blocks");
    *out = calloc(json_array_size(v) + 1, sizeof(**out));
    if (*out == NULL)
        return fail(w, "out of memory");
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        size_t m = push_index(w, i);
        if (!json_is_string(item))
            return fail(w, "must be a string such as \"10.0.0.1\" or \"10.0.0.0/24\"");
        if (parse_net(w, json_string_value(item), &(*out)[i]) != 0)
            return -1;
        pop(w, m);
    }
    *n = json_array_size(v);
    pop(w, mark);
    return 0;
}

static int get_ports(struct where *w, json_t *obj, struct gs_policy_conduit *c)
{
    json_t *v = json_object_get(obj, "ports");
    if (v == NULL)
        return 0;
    size_t mark = push_key(w, "ports");
    if (!json_is_array(v))
        return fail(w, "must be a list of TCP/UDP port numbers");
    c->ports = calloc(json_array_size(v) + 1, sizeof(*c->ports));
    if (c->ports == NULL)
        return fail(w, "out of memory");
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        size_t m = push_index(w, i);
        if (!json_is_integer(item) || json_integer_value(item) < 1 ||
            json_integer_value(item) > 65535)
            return fail(w, "must be a port number 1..65535");
        c->ports[i] = (uint16_t)json_integer_value(item);
        pop(w, m);
    }
    c->n_ports = json_array_size(v);
    pop(w, mark);
    return 0;
}

/* "1.2", "TLS 1.2", "tls1.2", "ssl3" or a number such as 771 (0x0303). */
static bool parse_version(json_t *v, uint16_t *out)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 2 || n > 0xFFFF)
            return false;
        *out = (uint16_t)n;
        return true;
    }
    if (!json_is_string(v))
        return false;
    static const struct {
        const char *text;
        uint16_t version;
    } names[] = {
        {"1.0", 0x0301},     {"1.1", 0x0302},     {"1.2", 0x0303},     {"1.3", 0x0304},
        {"TLS 1.0", 0x0301}, {"TLS 1.1", 0x0302}, {"TLS 1.2", 0x0303}, {"TLS 1.3", 0x0304},
        {"tls1.0", 0x0301},  {"tls1.1", 0x0302},  {"tls1.2", 0x0303},  {"tls1.3", 0x0304},
        {"ssl3", 0x0300},    {"SSL 3.0", 0x0300}, {"ssl2", 0x0002},    {"SSL 2.0", 0x0002},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].text, json_string_value(v)) == 0) {
            *out = names[i].version;
            return true;
        }
    }
    return false;
}

/* An IANA name ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), "0xC02F" or a number. */
static bool parse_suite(json_t *v, uint16_t *out)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || n > 0xFFFF)
            return false;
        *out = (uint16_t)n;
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *text = json_string_value(v);
    uint32_t id;
    if (gs_tls_suite_by_name(text, &id) && id <= 0xFFFF) {
        *out = (uint16_t)id;
        return true;
    }
    if (strncmp(text, "0x", 2) == 0 || strncmp(text, "0X", 2) == 0) {
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(text + 2, &end, 16);
        if (text[2] != '\0' && *end == '\0' && errno == 0 && n <= 0xFFFF) {
            *out = (uint16_t)n;
            return true;
        }
    }
    return false;
}

static bool parse_hash(json_t *v, uint32_t *bits)
{
    static const struct {
        const char *text;
        enum gs_tls_hash hash;
    } names[] = {
        {"md5", GS_TLS_HASH_MD5},         {"sha1", GS_TLS_HASH_SHA1},
        {"sha224", GS_TLS_HASH_SHA224},   {"sha256", GS_TLS_HASH_SHA256},
        {"sha384", GS_TLS_HASH_SHA384},   {"sha512", GS_TLS_HASH_SHA512},
        {"eddsa", GS_TLS_HASH_INTRINSIC},
    };
    if (!json_is_string(v))
        return false;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].text, json_string_value(v)) == 0) {
            *bits |= 1u << (unsigned)names[i].hash;
            return true;
        }
    }
    return false;
}

static int get_list(struct where *w, json_t *obj, const char *key, size_t cap, json_t **out)
{
    *out = json_object_get(obj, key);
    if (*out == NULL)
        return 0;
    size_t mark = push_key(w, key);
    if (!json_is_array(*out))
        return fail(w, "must be a list");
    if (json_array_size(*out) > cap)
        return fail(w, "at most %zu entries", cap);
    pop(w, mark);
    return 0;
}

static int parse_tls_profile(struct where *w, json_t *obj, bool top_level,
                             struct gs_policy_tls_profile *p)
{
    static const char *const keys[] = {"versions", "suites",      "min_rsa_bits", "min_ec_bits",
                                       "hashes",   "client_auth", "all_ports",    NULL};
    if (!json_is_object(obj))
        return fail(w, "must be an object");
    if (only_keys(w, obj, keys) != 0)
        return -1;
    if (!top_level && json_object_get(obj, "all_ports") != NULL) {
        size_t mark = push_key(w, "all_ports");
        int rc = fail(w, "only the top-level tls_profile can set all_ports");
        pop(w, mark);
        return rc;
    }
    json_t *list;
    size_t i;
    json_t *item;
    if (get_list(w, obj, "versions", GS_POLICY_MAX_VERSIONS, &list) != 0)
        return -1;
    if (list != NULL) {
        p->has_versions = true;
        json_array_foreach(list, i, item)
        {
            if (!parse_version(item, &p->versions[p->n_versions++])) {
                size_t mark = push_key(w, "versions");
                push_index(w, i);
                int rc = fail(w, "not a TLS version (\"1.2\", \"1.3\", \"ssl3\" or a number)");
                pop(w, mark);
                return rc;
            }
        }
    }
    if (get_list(w, obj, "suites", GS_POLICY_MAX_SUITES, &list) != 0)
        return -1;
    if (list != NULL) {
        p->has_suites = true;
        json_array_foreach(list, i, item)
        {
            if (!parse_suite(item, &p->suites[p->n_suites++])) {
                size_t mark = push_key(w, "suites");
                push_index(w, i);
                int rc = fail(w, "not a cipher suite (IANA name, \"0xC02F\" or a number)");
                pop(w, mark);
                return rc;
            }
        }
    }
    if (get_list(w, obj, "hashes", 16, &list) != 0)
        return -1;
    if (list != NULL) {
        p->has_hashes = true;
        json_array_foreach(list, i, item)
        {
            if (!parse_hash(item, &p->hashes)) {
                size_t mark = push_key(w, "hashes");
                push_index(w, i);
                int rc = fail(w, "not a hash (md5, sha1, sha224, sha256, sha384, sha512, eddsa)");
                pop(w, mark);
                return rc;
            }
        }
    }
    if (get_uint(w, obj, "min_rsa_bits", 0, 65536, &p->has_min_rsa_bits, &p->min_rsa_bits) != 0 ||
        get_uint(w, obj, "min_ec_bits", 0, 1024, &p->has_min_ec_bits, &p->min_ec_bits) != 0 ||
        get_bool(w, obj, "client_auth", &p->has_client_auth, &p->client_auth) != 0 ||
        get_bool(w, obj, "all_ports", &p->has_all_ports, &p->all_ports) != 0)
        return -1;
    return 0;
}

/* The canonical name of a protocol, accepting common spellings; NULL if unknown. */
static const char *canonical_protocol(const char *name)
{
    static const struct {
        const char *alias, *name;
    } names[] = {
        {"dnp3", "dnp3"},      {"dnp", "dnp3"},          {"ieee1815", "dnp3"},
        {"iec104", "iec104"},  {"iec-104", "iec104"},    {"iec60870-5-104", "iec104"},
        {"104", "iec104"},     {"mms", "mms"},           {"iec61850", "mms"},
        {"iso-tsap", "mms"},   {"iccp", "mms"},          {"goose", "goose"},
        {"sv", "sv"},          {"sampled-values", "sv"}, {"r-goose", "r-goose"},
        {"rgoose", "r-goose"}, {"r-sv", "r-sv"},         {"rsv", "r-sv"},
        {"tls", "tls"},
    };
    char lower[32];
    size_t n = 0;
    for (; name[n] != '\0' && n + 1 < sizeof(lower); n++)
        lower[n] = (char)(name[n] >= 'A' && name[n] <= 'Z' ? name[n] - 'A' + 'a' : name[n]);
    lower[n] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].alias, lower) == 0)
            return names[i].name;
    }
    return NULL;
}

static int parse_require(struct where *w, json_t *obj, struct gs_policy_conduit *c)
{
    /* secure_auth (DNP3 SAv5) belongs to a detector not built yet; tags (62351-6 GOOSE/SV
     * authentication tags) is enforced by detectors/goose_sv.c. */
    static const char *const keys[] = {"tls", "client_auth", "secure_auth", "tags", NULL};
    if (!json_is_object(obj))
        return fail(w, "must be an object");
    if (only_keys(w, obj, keys) != 0)
        return -1;
    bool ignored;
    /* client_auth here is the conduit's tls_profile.client_auth, for operators who think of
     * mutual authentication as a requirement. */
    if (get_bool(w, obj, "tls", NULL, &c->require_tls) != 0 ||
        get_bool(w, obj, "client_auth", &c->tls_profile.has_client_auth,
                 &c->tls_profile.client_auth) != 0 ||
        get_bool(w, obj, "secure_auth", NULL, &ignored) != 0 ||
        get_bool(w, obj, "tags", NULL, &c->require_tags) != 0)
        return -1;
    return 0;
}

/* ---- allow-lists and layer-2 scope (read by detectors/conduit_policy.c) ------------------- */

static bool is_layer2(const char *protocol)
{
    return protocol != NULL && (strcmp(protocol, "goose") == 0 || strcmp(protocol, "sv") == 0);
}

/* "vlans": [10, 20] scopes a GOOSE/SV conduit; IP keys cannot match a layer-2 frame. */
static int parse_layer2(struct where *w, json_t *obj, struct gs_policy_conduit *c)
{
    json_t *v = json_object_get(obj, "vlans");
    if (v != NULL) {
        size_t mark = push_key(w, "vlans");
        if (!json_is_array(v))
            return fail(w, "must be a list of VLAN ids (0 for untagged frames)");
        c->vlans = calloc(json_array_size(v) + 1, sizeof(*c->vlans));
        if (c->vlans == NULL)
            return fail(w, "out of memory");
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            size_t m = push_index(w, i);
            if (!json_is_integer(item) || json_integer_value(item) < 0 ||
                json_integer_value(item) > 4095)
                return fail(w, "must be a VLAN id 0..4095");
            c->vlans[i] = (uint16_t)json_integer_value(item);
            pop(w, m);
        }
        c->n_vlans = json_array_size(v);
        if (c->protocol != NULL && !is_layer2(c->protocol))
            warn(w, "vlans scope layer-2 conduits (goose, sv) only; ignored on a %s conduit",
                 c->protocol);
        pop(w, mark);
    }
    if (is_layer2(c->protocol) && (c->n_clients > 0 || c->n_servers > 0 || c->n_ports > 0))
        warn(w,
             "clients, servers and ports do not apply to %s frames: the conduit admits none "
             "(scope it with vlans and allow.publishers)",
             c->protocol);
    return 0;
}

static bool same_name(const char *a, const char *b)
{
    return a != NULL && strcasecmp(a, b) == 0;
}

/*
 * A list of small numbers (0..max) given as numbers or names, into a bitmap. `name_of` names
 * a value (NULL when it has none); `what` says what a value must be, for the message.
 */
static int get_code_set(struct where *w, json_t *allow, const char *key, unsigned max,
                        const char *(*name_of)(unsigned), const char *what, bool *has,
                        uint64_t *set)
{
    json_t *list;
    if (get_list(w, allow, key, max + 1u, &list) != 0)
        return -1;
    if (list == NULL)
        return 0;
    *has = true;
    size_t mark = push_key(w, key);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        size_t m = push_index(w, i);
        bool ok = false;
        unsigned v = 0;
        if (json_is_integer(item)) {
            ok = json_integer_value(item) >= 0 && json_integer_value(item) <= (json_int_t)max;
            v = ok ? (unsigned)json_integer_value(item) : 0;
        } else if (json_is_string(item) && name_of != NULL) {
            for (v = 0; v <= max && !ok; v++)
                ok = same_name(name_of(v), json_string_value(item));
            v--;
        }
        if (!ok) {
            if (json_is_string(item))
                return fail(w, "'%s' is not %s", json_string_value(item), what);
            return fail(w, "must be %s", what);
        }
        set[v / 64u] |= UINT64_C(1) << (v % 64u);
        pop(w, m);
    }
    pop(w, mark);
    return 0;
}

static const char *dnp3_function(unsigned v)
{
    return gs_dnp3_function_name((uint8_t)v);
}

static const char *iec104_type(unsigned v)
{
    return gs_iec104_type_name((uint8_t)v);
}

static const char *iec104_cause(unsigned v)
{
    return gs_iec104_cot_name((uint8_t)v);
}

static const char *mms_service(unsigned v)
{
    return gs_mms_service_name(GS_MMS_PDU_CONFIRMED_REQUEST, v);
}

static const char *mms_control(unsigned v)
{
    return gs_mms_control_action_name((enum gs_mms_control_action)v);
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* "01:0c:cd:01:00:01" or "01-0C-CD-01-00-01". */
static bool parse_mac(const char *text, uint8_t mac[6])
{
    if (strlen(text) != 17)
        return false;
    for (size_t i = 0; i < 6; i++) {
        int hi = hex_digit(text[i * 3]), lo = hex_digit(text[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-'))
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static int get_string(struct where *w, json_t *obj, const char *key, char **out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 0;
    size_t mark = push_key(w, key);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(w, "must be a non-empty string");
    *out = strdup(json_string_value(v));
    if (*out == NULL)
        return fail(w, "out of memory");
    pop(w, mark);
    return 0;
}

static int parse_publisher(struct where *w, json_t *obj, struct gs_policy_publisher *p)
{
    static const char *const keys[] = {"src_mac", "appid", "gocb_ref", "sv_id", NULL};
    if (!json_is_object(obj))
        return fail(w, "must be an object such as {\"src_mac\": \"00:02:a3:11:22:33\", "
                       "\"appid\": 1, \"gocb_ref\": \"IED1LD0/LLN0$GO$gcb1\"}");
    if (only_keys(w, obj, keys) != 0)
        return -1;
    json_t *mac = json_object_get(obj, "src_mac");
    if (mac != NULL) {
        size_t mark = push_key(w, "src_mac");
        if (!json_is_string(mac) || !parse_mac(json_string_value(mac), p->src_mac))
            return fail(w, "must be a MAC address such as \"00:02:a3:11:22:33\"");
        p->has_src_mac = true;
        pop(w, mark);
    }
    json_t *appid = json_object_get(obj, "appid");
    if (appid != NULL) {
        size_t mark = push_key(w, "appid");
        json_int_t v = -1;
        if (json_is_integer(appid)) {
            v = json_integer_value(appid);
        } else if (json_is_string(appid)) {
            const char *text = json_string_value(appid);
            char *end = NULL;
            errno = 0;
            unsigned long n = strtoul(text, &end, 0);
            v = text[0] != '\0' && text[0] != '-' && *end == '\0' && errno == 0 && n <= 0xFFFF
                    ? (json_int_t)n
                    : -1;
        }
        if (v < 0 || v > 0xFFFF)
            return fail(w, "must be an APPID 0..65535 (a number, or a string such as \"0x4000\")");
        p->has_appid = true;
        p->appid = (uint16_t)v;
        pop(w, mark);
    }
    if (get_string(w, obj, "gocb_ref", &p->gocb_ref) != 0 ||
        get_string(w, obj, "sv_id", &p->sv_id) != 0)
        return -1;
    if (!p->has_src_mac && !p->has_appid && p->gocb_ref == NULL && p->sv_id == NULL)
        return fail(w, "needs at least one of src_mac, appid, gocb_ref, sv_id");
    return 0;
}

static int get_publishers(struct where *w, json_t *allow, struct gs_policy_allow *a)
{
    json_t *list;
    if (get_list(w, allow, "publishers", 65536, &list) != 0)
        return -1;
    if (list == NULL)
        return 0;
    a->has_publishers = true;
    a->publishers = calloc(json_array_size(list) + 1, sizeof(*a->publishers));
    if (a->publishers == NULL)
        return fail(w, "out of memory");
    size_t mark = push_key(w, "publishers");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        size_t m = push_index(w, i);
        a->n_publishers = i + 1;
        if (parse_publisher(w, item, &a->publishers[i]) != 0)
            return -1;
        pop(w, m);
    }
    pop(w, mark);
    return 0;
}

static int get_operations(struct where *w, json_t *allow, struct gs_policy_allow *a)
{
    json_t *list;
    if (get_list(w, allow, "operations", 256, &list) != 0)
        return -1;
    if (list == NULL)
        return 0;
    size_t mark = push_key(w, "operations");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        size_t m = push_index(w, i);
        uint64_t bits = json_is_string(item) ? gs_catalogue_by_name(json_string_value(item)) : 0;
        if (bits == 0)
            return fail(w, "must name an operation of the catalogue (cold_restart, file_delete, "
                           "setting_group_change, ... in docs/RULES.md)");
        a->operations |= bits;
        pop(w, m);
    }
    pop(w, mark);
    return 0;
}

/* Warns about an allow-list that the conduit's protocol never consults. */
static void check_fit(struct where *w, const struct gs_policy_conduit *c, json_t *allow,
                      const char *key, const char *const *protocols)
{
    if (c->protocol == NULL || json_object_get(allow, key) == NULL)
        return;
    for (size_t i = 0; protocols[i] != NULL; i++) {
        if (strcmp(protocols[i], c->protocol) == 0)
            return;
    }
    size_t mark = push_key(w, key);
    warn(w, "applies to %s conduits; ignored on a %s conduit", protocols[0], c->protocol);
    pop(w, mark);
}

static int parse_allow(struct where *w, json_t *obj, struct gs_policy_conduit *c)
{
    static const char *const keys[] = {"function_codes", "groups",     "type_ids",
                                       "causes",         "services",   "controls",
                                       "publishers",     "operations", NULL};
    static const char *const dnp3[] = {"dnp3", NULL};
    static const char *const iec104[] = {"iec104", NULL};
    static const char *const mms[] = {"mms", NULL};
    static const char *const pubsub[] = {"goose", "sv", "r-goose", "r-sv", NULL};
    json_t *allow = json_object_get(obj, "allow");
    if (allow == NULL)
        return 0;
    size_t mark = push_key(w, "allow");
    if (!json_is_object(allow))
        return fail(w, "must be an object");
    if (only_keys(w, allow, keys) != 0)
        return -1;
    struct gs_policy_allow *a = &c->allow;
    if (get_code_set(w, allow, "function_codes", 255, dnp3_function,
                     "a DNP3 function code (0..255, or a name such as \"READ\")",
                     &a->has_function_codes, a->function_codes) != 0 ||
        get_code_set(w, allow, "groups", 255, NULL, "a DNP3 object group 0..255", &a->has_groups,
                     a->groups) != 0 ||
        get_code_set(w, allow, "type_ids", 255, iec104_type,
                     "an IEC 104 type id (0..255, or a name such as \"C_SC_NA_1\")",
                     &a->has_type_ids, a->type_ids) != 0 ||
        get_code_set(w, allow, "causes", 63, iec104_cause,
                     "an IEC 104 cause of transmission (0..63, or a name such as \"act\")",
                     &a->has_causes, a->causes) != 0 ||
        get_code_set(w, allow, "services", 127, mms_service,
                     "an MMS service (a name such as \"read\" or \"getNameList\", or its ISO "
                     "9506 number)",
                     &a->has_services, a->services) != 0 ||
        get_publishers(w, allow, a) != 0 || get_operations(w, allow, a) != 0)
        return -1;
    uint64_t controls[1] = {0};
    if (get_code_set(w, allow, "controls", GS_MMS_CTL_TERMINATION, mms_control,
                     "an IEC 61850 control action (\"select\", \"operate\", \"cancel\")",
                     &a->has_controls, controls) != 0)
        return -1;
    a->controls = (uint32_t)controls[0];
    check_fit(w, c, allow, "function_codes", dnp3);
    check_fit(w, c, allow, "groups", dnp3);
    check_fit(w, c, allow, "type_ids", iec104);
    check_fit(w, c, allow, "causes", iec104);
    check_fit(w, c, allow, "services", mms);
    check_fit(w, c, allow, "controls", mms);
    check_fit(w, c, allow, "publishers", pubsub);
    pop(w, mark);
    return 0;
}

/* "poll": {"period_s": 30, "tolerance": 0.5, "kind": "READ g60v1"} (detectors/baseline.c). */
static int parse_poll(struct where *w, json_t *obj, struct gs_policy_conduit *c)
{
    static const char *const keys[] = {"period_s", "tolerance", "kind", NULL};
    if (only_keys(w, obj, keys) != 0)
        return -1;
    json_t *period = json_object_get(obj, "period_s");
    json_t *tolerance = json_object_get(obj, "tolerance");
    json_t *kind = json_object_get(obj, "kind");
    size_t mark = push_key(w, "period_s");
    if (period == NULL)
        return fail(w, "is required (seconds between polls)");
    if (!json_is_number(period) || json_number_value(period) < 0.001 ||
        json_number_value(period) > 604800)
        return fail(w, "must be a number of seconds in 0.001..604800");
    pop(w, mark);
    c->has_poll = true;
    c->poll_period_s = json_number_value(period);
    if (tolerance != NULL) {
        mark = push_key(w, "tolerance");
        if (!json_is_number(tolerance) || json_number_value(tolerance) < 0 ||
            json_number_value(tolerance) > 100)
            return fail(w, "must be a fraction of the period in 0..100 (0.5: 50%% late)");
        pop(w, mark);
        c->has_poll_tolerance = true;
        c->poll_tolerance = json_number_value(tolerance);
    }
    if (kind != NULL) {
        mark = push_key(w, "kind");
        if (!json_is_string(kind) || json_string_length(kind) == 0)
            return fail(w, "must be a request kind as the baseline file spells it "
                           "(\"READ g60v1\", \"TESTFR act\")");
        c->poll_kind = strdup(json_string_value(kind));
        if (c->poll_kind == NULL)
            return fail(w, "out of memory");
        pop(w, mark);
    }
    return 0;
}

static int parse_conduit(struct where *w, json_t *obj, struct gs_policy_conduit *c)
{
    static const char *const keys[] = {"name",        "protocol", "clients", "servers",
                                       "ports",       "vlans",    "require", "tls",
                                       "tls_profile", "allow",    "poll",    NULL};
    if (!json_is_object(obj))
        return fail(w, "must be an object");
    if (only_keys(w, obj, keys) != 0)
        return -1;
    json_t *name = json_object_get(obj, "name");
    if (name == NULL || !json_is_string(name) || json_string_length(name) == 0)
        return fail(w, "needs a \"name\" (a non-empty string)");
    c->name = strdup(json_string_value(name));
    json_t *protocol = json_object_get(obj, "protocol");
    if (protocol != NULL) {
        size_t mark = push_key(w, "protocol");
        if (!json_is_string(protocol) || json_string_length(protocol) == 0)
            return fail(w, "must be a protocol name (dnp3, iec104, mms, goose, sv, tls, ...)");
        const char *canonical = canonical_protocol(json_string_value(protocol));
        if (canonical == NULL) {
            warn(w,
                 "'%s' is not a protocol gridsensor knows; the conduit matches only flows "
                 "of that name",
                 json_string_value(protocol));
            canonical = json_string_value(protocol);
        }
        pop(w, mark);
        c->protocol = strdup(canonical);
        /* Other names are nDPI's ("HTTP", "SMBv23"), matched in any case. */
        for (char *p = c->protocol; p != NULL && *p != '\0'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    if ((c->name == NULL) || (protocol != NULL && c->protocol == NULL))
        return fail(w, "out of memory");
    if (get_nets(w, obj, "clients", &c->clients, &c->n_clients) != 0 ||
        get_nets(w, obj, "servers", &c->servers, &c->n_servers) != 0 || get_ports(w, obj, c) != 0)
        return -1;
    json_t *require = json_object_get(obj, "require");
    if (require != NULL) {
        size_t mark = push_key(w, "require");
        if (parse_require(w, require, c) != 0)
            return -1;
        pop(w, mark);
    }
    /* "tls": true is require.tls; "tls": {...} is tls_profile (both spellings are natural). */
    json_t *tls = json_object_get(obj, "tls");
    if (tls != NULL) {
        size_t mark = push_key(w, "tls");
        if (json_is_boolean(tls))
            c->require_tls = json_is_true(tls);
        else if (!json_is_object(tls))
            return fail(w, "must be true, false or an object of TLS profile changes");
        else if (parse_tls_profile(w, tls, false, &c->tls_profile) != 0)
            return -1;
        pop(w, mark);
    }
    json_t *profile = json_object_get(obj, "tls_profile");
    if (profile != NULL) {
        size_t mark = push_key(w, "tls_profile");
        if (parse_tls_profile(w, profile, false, &c->tls_profile) != 0)
            return -1;
        pop(w, mark);
    }
    json_t *allow = json_object_get(obj, "allow");
    if (allow != NULL && !json_is_object(allow)) {
        push_key(w, "allow");
        return fail(w, "must be an object");
    }
    if (parse_layer2(w, obj, c) != 0 || parse_allow(w, obj, c) != 0)
        return -1;
    json_t *poll = json_object_get(obj, "poll");
    if (poll != NULL) {
        size_t mark = push_key(w, "poll");
        if (!json_is_object(poll))
            return fail(w, "must be an object");
        if (parse_poll(w, poll, c) != 0)
            return -1;
        pop(w, mark);
    }
    return 0;
}

static int parse_policy(struct where *w, json_t *root, struct gs_policy *p)
{
    static const char *const keys[] = {"conduits", "tls_profile", NULL};
    if (!json_is_object(root))
        return fail(w, "the file must hold one JSON object");
    if (only_keys(w, root, keys) != 0)
        return -1;
    json_t *profile = json_object_get(root, "tls_profile");
    if (profile != NULL) {
        size_t mark = push_key(w, "tls_profile");
        if (parse_tls_profile(w, profile, true, &p->tls) != 0)
            return -1;
        pop(w, mark);
    }
    json_t *conduits = json_object_get(root, "conduits");
    if (conduits == NULL)
        return 0;
    size_t mark = push_key(w, "conduits");
    if (!json_is_array(conduits))
        return fail(w, "must be a list of conduit objects");
    p->conduits = calloc(json_array_size(conduits) + 1, sizeof(*p->conduits));
    if (p->conduits == NULL)
        return fail(w, "out of memory");
    size_t i;
    json_t *item;
    json_array_foreach(conduits, i, item)
    {
        size_t m = push_index(w, i);
        struct gs_policy_conduit *c = &p->conduits[i];
        c->index = i;
        p->n_conduits = i + 1;
        if (parse_conduit(w, item, c) != 0)
            return -1;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(p->conduits[k].name, c->name) == 0)
                return fail(w, "conduit name '%s' is used twice", c->name);
        }
        pop(w, m);
    }
    pop(w, mark);
    return 0;
}

int gs_policy_load(struct gs_policy **out, const char *path, char *errbuf)
{
    struct where w = {.file = path, .path = "", .errbuf = errbuf};
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (jerr.line <= 0)
            return fail(&w, "%s", jerr.text);
        return fail(&w, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    }
    struct gs_policy *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        json_decref(root);
        return fail(&w, "out of memory");
    }
    w.policy = p;
    int rc = parse_policy(&w, root, p);
    json_decref(root);
    if (rc == 0 && p->warnings_dropped > 0) {
        char line[GS_ERRBUF_SIZE];
        snprintf(line, sizeof(line), "policy %s: %zu more warnings not shown", path,
                 p->warnings_dropped);
        char *last = strdup(line);
        if (last != NULL) {
            free(p->warnings[MAX_WARNINGS - 1]);
            p->warnings[MAX_WARNINGS - 1] = last;
        }
    }
    if (rc != 0) {
        gs_policy_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void gs_policy_free(struct gs_policy *policy)
{
    if (policy == NULL)
        return;
    for (size_t i = 0; i < policy->n_conduits; i++) {
        struct gs_policy_conduit *c = &policy->conduits[i];
        free(c->name);
        free(c->protocol);
        free(c->clients);
        free(c->servers);
        free(c->ports);
        free(c->poll_kind);
        free(c->vlans);
        for (size_t k = 0; k < c->allow.n_publishers; k++) {
            free(c->allow.publishers[k].gocb_ref);
            free(c->allow.publishers[k].sv_id);
        }
        free(c->allow.publishers);
    }
    free(policy->conduits);
    for (size_t i = 0; i < policy->n_warnings; i++)
        free(policy->warnings[i]);
    free(policy);
}

size_t gs_policy_warning_count(const struct gs_policy *policy)
{
    return policy != NULL ? policy->n_warnings : 0;
}

const char *gs_policy_warning(const struct gs_policy *policy, size_t i)
{
    return policy != NULL && i < policy->n_warnings ? policy->warnings[i] : NULL;
}

size_t gs_policy_conduit_count(const struct gs_policy *policy)
{
    return policy != NULL ? policy->n_conduits : 0;
}

const struct gs_policy_conduit *gs_policy_conduit_at(const struct gs_policy *policy, size_t i)
{
    return policy != NULL && i < policy->n_conduits ? &policy->conduits[i] : NULL;
}

const struct gs_policy_tls_profile *gs_policy_tls(const struct gs_policy *policy)
{
    static const struct gs_policy_tls_profile none;
    return policy != NULL ? &policy->tls : &none;
}

bool gs_policy_net_contains(const struct gs_policy_net *net, const struct gs_ip *ip)
{
    if (net->addr.family != ip->family)
        return false;
    size_t whole = net->prefix / 8u;
    if (memcmp(net->addr.addr, ip->addr, whole) != 0)
        return false;
    unsigned rest = net->prefix % 8u;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFFu << (8u - rest));
    return (ip->addr[whole] & mask) == net->addr.addr[whole];
}

static bool in_nets(const struct gs_policy_net *nets, size_t n, const struct gs_ip *ip)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (gs_policy_net_contains(&nets[i], ip))
            return true;
    }
    return false;
}

const struct gs_policy_conduit *gs_policy_match(const struct gs_policy *policy,
                                                const struct gs_ip *client,
                                                const struct gs_ip *server, uint16_t server_port,
                                                const char *protocol)
{
    for (size_t i = 0; policy != NULL && i < policy->n_conduits; i++) {
        const struct gs_policy_conduit *c = &policy->conduits[i];
        if (protocol != NULL && c->protocol != NULL && strcmp(protocol, c->protocol) != 0)
            continue;
        if (!in_nets(c->clients, c->n_clients, client) ||
            !in_nets(c->servers, c->n_servers, server))
            continue;
        bool port_ok = c->n_ports == 0;
        for (size_t k = 0; k < c->n_ports && !port_ok; k++)
            port_ok = c->ports[k] == server_port;
        if (port_ok)
            return c;
    }
    return NULL;
}

/* ---- layer-2 and host matching (conduit_policy.c) ------------------------------------------ */

const struct gs_policy_conduit *gs_policy_match_l2(const struct gs_policy *policy,
                                                   const char *protocol, uint16_t vlan)
{
    for (size_t i = 0; policy != NULL && i < policy->n_conduits; i++) {
        const struct gs_policy_conduit *c = &policy->conduits[i];
        if (c->protocol != NULL && strcmp(protocol, c->protocol) != 0)
            continue;
        if (c->n_clients > 0 || c->n_servers > 0 || c->n_ports > 0)
            continue;
        bool vlan_ok = c->n_vlans == 0;
        for (size_t k = 0; k < c->n_vlans && !vlan_ok; k++)
            vlan_ok = c->vlans[k] == vlan;
        if (vlan_ok)
            return c;
    }
    return NULL;
}

const struct gs_policy_conduit *gs_policy_match_hosts(const struct gs_policy *policy,
                                                      const struct gs_ip *a, const struct gs_ip *b)
{
    for (size_t i = 0; policy != NULL && i < policy->n_conduits; i++) {
        const struct gs_policy_conduit *c = &policy->conduits[i];
        if (c->n_clients == 0 && c->n_servers == 0)
            continue;
        bool ab = in_nets(c->clients, c->n_clients, a) && in_nets(c->servers, c->n_servers, b);
        bool ba = in_nets(c->clients, c->n_clients, b) && in_nets(c->servers, c->n_servers, a);
        if (ab || ba)
            return c;
    }
    return NULL;
}
