/*
 * keystore.c - the key store loader and lookups (see keystore.h).
 *
 * The file is read with one open() and checked through that descriptor (fstat), so the mode
 * that was checked is the mode of the file that is read. Its bytes, jansson's parse tree and
 * every key are allocated from OpenSSL's secure heap (when set up) and cleared when freed.
 * Errors never quote the file's content: jansson's own error text can quote the token it
 * stopped at (which may be key hex), so only its line, column and error category are used.
 */
#include "keystore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key_material.h"

/* Secure heap size: a power of two; holds the file, its parse tree and the keys. */
#define SECURE_HEAP_BYTES (4u * 1024u * 1024u)
#define MAX_ENDPOINTS     16
#define MAX_NAME_BYTES    129 /* MMS ObjectReference / VisibleString129 */

struct gs_key {
    uint32_t alg;
    uint32_t len;
    uint8_t bytes[];
};

struct entry {
    uint16_t a, b, user; /* dnp3: master, outstation, user; iec104: CA, 0, user; L2: appid */
    uint32_t key_id;
    char *name; /* gocb_ref / sv_id (plain heap: not secret) */
    size_t name_len;
    struct gs_ip eps[MAX_ENDPOINTS];
    size_t n_eps;
    struct gs_key *key;
};

#define N_SECTIONS 4

struct gs_keystore {
    struct entry *e[N_SECTIONS];
    size_t n[N_SECTIONS];
};

static const char *const section_names[N_SECTIONS] = {"dnp3", "iec104", "goose", "sv"};

/* ---- memory ------------------------------------------------------------------------------ */

static enum gs_keys_mem mem_state = GS_KEYS_MEM_PLAIN;
static int mem_tried;

enum gs_keys_mem gs_keys_protect_memory(void)
{
    if (mem_tried)
        return mem_state;
    mem_tried = 1;
    if (CRYPTO_secure_malloc_initialized()) {
        /* Someone else set it up; OpenSSL does not say whether mlock worked. */
        mem_state = GS_KEYS_MEM_PARTIAL;
        return mem_state;
    }
    int r = CRYPTO_secure_malloc_init(SECURE_HEAP_BYTES, 16);
    mem_state = r == 1 ? GS_KEYS_MEM_SECURE : r == 2 ? GS_KEYS_MEM_PARTIAL : GS_KEYS_MEM_PLAIN;
    return mem_state;
}

const char *gs_keys_mem_name(enum gs_keys_mem m)
{
    switch (m) {
    case GS_KEYS_MEM_SECURE:
        return "locked in RAM and excluded from core dumps";
    case GS_KEYS_MEM_PARTIAL:
        return "in the secure heap, but mlock or MADV_DONTDUMP failed (check RLIMIT_MEMLOCK)";
    case GS_KEYS_MEM_PLAIN:
        break;
    }
    return "in the ordinary heap (no secure heap): wiped on free only";
}

/* A size header lets jansson's free (which gets no size) clear exactly what was allocated. */
#define HDR 16

static void *sec_alloc(size_t n)
{
    if (n > SIZE_MAX - HDR)
        return NULL;
    uint8_t *p = OPENSSL_secure_zalloc(n + HDR);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return p + HDR;
}

static void sec_free(void *ptr)
{
    if (ptr == NULL)
        return;
    uint8_t *p = (uint8_t *)ptr - HDR;
    size_t n;
    memcpy(&n, p, sizeof(n));
    OPENSSL_secure_clear_free(p, n + HDR);
}

struct gs_key *gs_key_create(const uint8_t *bytes, size_t len, enum gs_key_alg alg)
{
    if (len == 0 || len > GS_KEY_MAX_BYTES)
        return NULL;
    struct gs_key *k = sec_alloc(sizeof(*k) + len);
    if (k == NULL)
        return NULL;
    k->alg = (uint32_t)alg;
    k->len = (uint32_t)len;
    if (bytes != NULL)
        memcpy(k->bytes, bytes, len);
    return k;
}

void gs_key_destroy(struct gs_key *k)
{
    sec_free(k);
}

const uint8_t *gs_key_material(const struct gs_key *k)
{
    return k->bytes;
}

size_t gs_key_len(const struct gs_key *k)
{
    return k->len;
}

enum gs_key_alg gs_key_alg(const struct gs_key *k)
{
    return (enum gs_key_alg)k->alg;
}

/* ---- parsing ----------------------------------------------------------------------------- */

struct parser {
    const char *file;
    char *errbuf;
    struct gs_keystore *ks;
};

#define FAIL(p, ...)                                                                               \
    do {                                                                                           \
        snprintf((p)->errbuf, GS_ERRBUF_SIZE, __VA_ARGS__);                                        \
        return -1;                                                                                 \
    } while (0)

/* Where an entry is, for error texts: "file: dnp3[3]". */
struct where {
    const char *file;
    const char *section;
    size_t index;
};

#define AT(w) (w)->file, (w)->section, (w)->index

static int get_uint(struct parser *p, const struct where *w, json_t *obj, const char *field,
                    long long min, long long max, bool required, long long *out)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL) {
        if (required)
            FAIL(p, "%s: %s[%zu]: missing \"%s\"", AT(w), field);
        return 1;
    }
    if (!json_is_integer(v))
        FAIL(p, "%s: %s[%zu].%s: not a whole number", AT(w), field);
    long long x = json_integer_value(v);
    if (x < min || x > max)
        FAIL(p, "%s: %s[%zu].%s: outside %lld..%lld", AT(w), field, min, max);
    *out = x;
    return 0;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

struct alg_spec {
    const char *name;
    enum gs_key_alg alg;
    size_t min_len, max_len; /* bytes */
    size_t alt_len;          /* a second allowed exact length (0 = none) */
    const char *rule;        /* for errors */
};

/* IEC 62351-6 tag algorithms (HMAC-SHA256-80/128/256, AES-GMAC-64/128). HMAC keys from 16
 * octets (below that HMAC-SHA256 is weaker than its tag) to 128 (the 90-5 test keys); GMAC
 * keys are AES-128 or AES-256 keys. */
static const struct alg_spec tag_algs[] = {
    {"hmac-sha256-80", GS_KEY_HMAC_SHA256_80, 16, 128, 0, "16..128 bytes"},
    {"hmac-sha256-128", GS_KEY_HMAC_SHA256_128, 16, 128, 0, "16..128 bytes"},
    {"hmac-sha256-256", GS_KEY_HMAC_SHA256_256, 16, 128, 0, "16..128 bytes"},
    {"aes-gmac-64", GS_KEY_AES_GMAC_64, 16, 16, 32, "16 (AES-128) or 32 (AES-256) bytes"},
    {"aes-gmac-128", GS_KEY_AES_GMAC_128, 16, 16, 32, "16 (AES-128) or 32 (AES-256) bytes"},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Decodes the hex string `field` of obj into a new key; checks the length against the spec
 * (for update keys, spec is NULL and 16/32 pick the algorithm). The string's bytes are never
 * echoed: errors give only lengths and positions. */
static int get_key(struct parser *p, const struct where *w, json_t *obj, const char *field,
                   const struct alg_spec *spec, const char *wrap, struct gs_key **out)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL)
        FAIL(p, "%s: %s[%zu]: missing \"%s\"", AT(w), field);
    if (!json_is_string(v))
        FAIL(p, "%s: %s[%zu].%s: not a string of hex digits", AT(w), field);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n % 2 != 0)
        FAIL(p, "%s: %s[%zu].%s: needs an even, non-zero number of hex digits (has %zu)", AT(w),
             field, n);
    for (size_t i = 0; i < n; i++) {
        if (hex_nibble(s[i]) < 0)
            FAIL(p, "%s: %s[%zu].%s: character %zu is not a hex digit", AT(w), field, i + 1);
    }
    size_t len = n / 2;
    enum gs_key_alg alg;
    if (spec == NULL) {
        if (len != 16 && len != 32)
            FAIL(p,
                 "%s: %s[%zu].%s: %zu bytes; an update key is 16 (AES-128) or 32 (AES-256) bytes",
                 AT(w), field, len);
        alg = len == 16 ? GS_KEY_UPDATE_AES128 : GS_KEY_UPDATE_AES256;
        if (wrap != NULL && strcmp(wrap, len == 16 ? "aes-128" : "aes-256") != 0)
            FAIL(p, "%s: %s[%zu].%s: %zu bytes, which does not fit key_wrap %s", AT(w), field, len,
                 wrap);
    } else {
        if (!((len >= spec->min_len && len <= spec->max_len) ||
              (spec->alt_len != 0 && len == spec->alt_len)))
            FAIL(p, "%s: %s[%zu].%s: %zu bytes; %s takes %s", AT(w), field, len, spec->name,
                 spec->rule);
        alg = spec->alg;
    }
    struct gs_key *k = gs_key_create(NULL, len, alg);
    if (k == NULL)
        FAIL(p, "%s: %s[%zu].%s: out of secure memory", AT(w), field);
    for (size_t i = 0; i < len; i++)
        k->bytes[i] = (uint8_t)(hex_nibble(s[2 * i]) << 4 | hex_nibble(s[2 * i + 1]));
    *out = k;
    return 0;
}

static int get_endpoints(struct parser *p, const struct where *w, json_t *obj, struct entry *e)
{
    json_t *v = json_object_get(obj, "endpoints");
    if (v == NULL)
        return 0;
    if (!json_is_array(v) || json_array_size(v) < 2 || json_array_size(v) > MAX_ENDPOINTS)
        FAIL(p, "%s: %s[%zu].endpoints: needs a list of 2..%d IP addresses", AT(w), MAX_ENDPOINTS);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *s = json_array_get(v, i);
        struct gs_ip ip = {0};
        const char *txt = json_is_string(s) ? json_string_value(s) : NULL;
        if (txt != NULL && inet_pton(AF_INET, txt, ip.addr) == 1)
            ip.family = 4;
        else if (txt != NULL && inet_pton(AF_INET6, txt, ip.addr) == 1)
            ip.family = 6;
        else
            FAIL(p, "%s: %s[%zu].endpoints[%zu]: not an IPv4 or IPv6 address", AT(w), i);
        for (size_t j = 0; j < e->n_eps; j++) {
            if (memcmp(&e->eps[j], &ip, sizeof(ip)) == 0)
                FAIL(p, "%s: %s[%zu].endpoints[%zu]: listed twice", AT(w), i);
        }
        e->eps[e->n_eps++] = ip;
    }
    return 0;
}

static int get_name(struct parser *p, const struct where *w, json_t *obj, const char *field,
                    struct entry *e)
{
    json_t *v = json_object_get(obj, field);
    if (v == NULL)
        FAIL(p, "%s: %s[%zu]: missing \"%s\"", AT(w), field);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > MAX_NAME_BYTES)
        FAIL(p, "%s: %s[%zu].%s: needs a string of 1..%d characters", AT(w), field, MAX_NAME_BYTES);
    e->name_len = json_string_length(v);
    e->name = malloc(e->name_len + 1);
    if (e->name == NULL)
        FAIL(p, "%s: out of memory", w->file);
    memcpy(e->name, json_string_value(v), e->name_len + 1);
    return 0;
}

/* The fields each section allows; an unknown field is refused (a typo must not silently drop a
 * restriction such as "endpoints"). */
static const char *const allowed[N_SECTIONS][9] = {
    {"master", "outstation", "user", "update_key", "key_wrap", "endpoints", "comment", NULL},
    {"common_address", "user", "update_key", "key_wrap", "endpoints", "comment", NULL},
    {"appid", "gocb_ref", "key_id", "key", "algorithm", "comment", NULL},
    {"appid", "sv_id", "key_id", "key", "algorithm", "comment", NULL},
};
static const char *const allowed_text[N_SECTIONS] = {
    "master, outstation, user, update_key, key_wrap, endpoints, comment",
    "common_address, user, update_key, key_wrap, endpoints, comment",
    "appid, gocb_ref, key_id, key, algorithm, comment",
    "appid, sv_id, key_id, key, algorithm, comment",
};

static bool field_allowed(size_t sec, const char *name)
{
    for (const char *const *f = allowed[sec]; *f != NULL; f++) {
        if (strcmp(*f, name) == 0)
            return true;
    }
    return false;
}

static int parse_entry(struct parser *p, const struct where *w, size_t sec, json_t *obj,
                       struct entry *e)
{
    if (!json_is_object(obj))
        FAIL(p, "%s: %s[%zu]: not an object", AT(w));
    const char *fname;
    json_t *fval;
    size_t pos = 0;
    json_object_foreach(obj, fname, fval)
    {
        /* The field name is not echoed: it could be anything, even a pasted key. */
        if (!field_allowed(sec, fname))
            FAIL(p, "%s: %s[%zu]: unknown field (field %zu; allowed: %s)", AT(w), pos + 1,
                 allowed_text[sec]);
        if (strcmp(fname, "comment") == 0 && !json_is_string(fval))
            FAIL(p, "%s: %s[%zu].comment: not a string", AT(w));
        pos++;
    }
    long long v;
    if (sec == GS_KEYS_DNP3 || sec == GS_KEYS_IEC104) {
        if (sec == GS_KEYS_DNP3) {
            /* 0xFFF0..0xFFFF are broadcast and reserved addresses, never an association. */
            if (get_uint(p, w, obj, "master", 0, 0xFFEF, true, &v) < 0)
                return -1;
            e->a = (uint16_t)v;
            if (get_uint(p, w, obj, "outstation", 0, 0xFFEF, true, &v) < 0)
                return -1;
            e->b = (uint16_t)v;
        } else {
            if (get_uint(p, w, obj, "common_address", 1, 0xFFFE, true, &v) < 0)
                return -1;
            e->a = (uint16_t)v;
        }
        /* User 0 means "unknown user" on the wire; no key belongs to it. */
        if (get_uint(p, w, obj, "user", 1, 0xFFFF, true, &v) < 0)
            return -1;
        e->user = (uint16_t)v;
        const char *wrap = NULL;
        json_t *kw = json_object_get(obj, "key_wrap");
        if (kw != NULL) {
            wrap = json_is_string(kw) ? json_string_value(kw) : "";
            if (strcmp(wrap, "aes-128") != 0 && strcmp(wrap, "aes-256") != 0)
                FAIL(p, "%s: %s[%zu].key_wrap: unknown algorithm (aes-128 or aes-256)", AT(w));
        }
        if (get_endpoints(p, w, obj, e) < 0)
            return -1;
        return get_key(p, w, obj, "update_key", NULL, wrap, &e->key);
    }
    if (get_uint(p, w, obj, "appid", 0, 0xFFFF, true, &v) < 0)
        return -1;
    e->a = (uint16_t)v;
    if (get_uint(p, w, obj, "key_id", 0, 0xFFFFFFFFll, true, &v) < 0)
        return -1;
    e->key_id = (uint32_t)v;
    if (get_name(p, w, obj, sec == GS_KEYS_GOOSE ? "gocb_ref" : "sv_id", e) < 0)
        return -1;
    json_t *alg = json_object_get(obj, "algorithm");
    if (alg == NULL)
        FAIL(p, "%s: %s[%zu]: missing \"algorithm\"", AT(w));
    const struct alg_spec *spec = NULL;
    for (const struct alg_spec *s = tag_algs; json_is_string(alg) && s->name != NULL; s++) {
        if (strcmp(s->name, json_string_value(alg)) == 0)
            spec = s;
    }
    if (spec == NULL)
        FAIL(p,
             "%s: %s[%zu].algorithm: unknown algorithm (hmac-sha256-80, hmac-sha256-128, "
             "hmac-sha256-256, aes-gmac-64 or aes-gmac-128)",
             AT(w));
    return get_key(p, w, obj, "key", spec, NULL, &e->key);
}

static size_t common_endpoints(const struct entry *x, const struct entry *y)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_eps; i++) {
        for (size_t j = 0; j < y->n_eps; j++)
            n += memcmp(&x->eps[i], &y->eps[j], sizeof(struct gs_ip)) == 0;
    }
    return n;
}

/* Two entries are duplicates when one flow could match both: same identity, and either both
 * unrestricted or both restricted with two addresses in common. */
static bool duplicates(size_t sec, const struct entry *x, const struct entry *y)
{
    if (x->a != y->a || x->b != y->b || x->user != y->user || x->key_id != y->key_id ||
        x->name_len != y->name_len ||
        (x->name_len != 0 && memcmp(x->name, y->name, x->name_len) != 0))
        return false;
    if (sec == GS_KEYS_GOOSE || sec == GS_KEYS_SV)
        return true;
    if (x->n_eps == 0 && y->n_eps == 0)
        return true;
    return x->n_eps != 0 && y->n_eps != 0 && common_endpoints(x, y) >= 2;
}

static const char *const dup_what[N_SECTIONS] = {"master, outstation, user", "common_address, user",
                                                 "appid, gocb_ref, key_id", "appid, sv_id, key_id"};

static int parse_section(struct parser *p, size_t sec, json_t *arr)
{
    struct where w = {p->file, section_names[sec], 0};
    if (!json_is_array(arr))
        FAIL(p, "%s: \"%s\": not a list of entries", p->file, section_names[sec]);
    size_t n = json_array_size(arr);
    if (n == 0)
        return 0;
    struct entry *es = calloc(n, sizeof(*es));
    if (es == NULL)
        FAIL(p, "%s: out of memory", p->file);
    p->ks->e[sec] = es;
    for (size_t i = 0; i < n; i++) {
        w.index = i;
        if (parse_entry(p, &w, sec, json_array_get(arr, i), &es[i]) < 0) {
            p->ks->n[sec] = i + 1; /* so destroy frees what this entry got */
            return -1;
        }
        p->ks->n[sec] = i + 1;
        for (size_t j = 0; j < i; j++) {
            if (duplicates(sec, &es[j], &es[i]))
                FAIL(p, "%s: %s[%zu] duplicates %s[%zu] (same %s%s)", p->file, section_names[sec],
                     i, section_names[sec], j, dup_what[sec],
                     es[i].n_eps != 0 ? ", overlapping endpoints" : "");
        }
    }
    return 0;
}

static const char *json_error_name(const json_error_t *err)
{
    switch (json_error_code(err)) {
    case json_error_invalid_syntax:
        return "invalid syntax";
    case json_error_invalid_format:
        return "invalid format";
    case json_error_premature_end_of_input:
        return "unexpected end of file";
    case json_error_end_of_input_expected:
        return "text after the end of the JSON value";
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_duplicate_key:
        return "a field appears twice in one object";
    case json_error_numeric_overflow:
        return "number too large";
    case json_error_null_character:
        return "NUL character";
    case json_error_out_of_memory:
        return "out of (secure) memory";
    default:
        return "malformed JSON";
    }
}

static int parse_root(struct parser *p, const char *json, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        FAIL(p, "%s:%d:%d: malformed JSON (%s)", p->file, jerr.line, jerr.column,
             json_error_name(&jerr));
    int rc = 0;
    if (!json_is_object(root)) {
        snprintf(p->errbuf, GS_ERRBUF_SIZE, "%s: the key store must be a JSON object", p->file);
        rc = -1;
    }
    const char *name;
    json_t *val;
    json_object_foreach(root, name, val)
    {
        if (rc < 0)
            break;
        if (strcmp(name, "comment") == 0)
            continue;
        size_t sec = 0;
        while (sec < N_SECTIONS && strcmp(section_names[sec], name) != 0)
            sec++;
        if (sec == N_SECTIONS) {
            snprintf(p->errbuf, GS_ERRBUF_SIZE,
                     "%s: unknown section (allowed: dnp3, iec104, goose, sv, comment)", p->file);
            rc = -1;
            break;
        }
        rc = parse_section(p, sec, val);
    }
    json_decref(root);
    return rc;
}

/* jansson's allocator, swapped in for one parse: everything it allocates for the tree (key
 * hex included) comes from the secure heap and is cleared when freed. */
static void *json_sec_alloc(size_t n)
{
    return sec_alloc(n);
}

int gs_keystore_parse(const char *json, size_t len, const char *name, struct gs_keystore **out,
                      char *errbuf)
{
    *out = NULL;
    struct gs_keystore *ks = calloc(1, sizeof(*ks));
    if (ks == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: out of memory", name);
        return -1;
    }
    struct parser p = {name, errbuf, ks};
    json_malloc_t old_malloc;
    json_free_t old_free;
    json_get_alloc_funcs(&old_malloc, &old_free);
    json_set_alloc_funcs(json_sec_alloc, sec_free);
    int rc = parse_root(&p, json, len);
    json_set_alloc_funcs(old_malloc, old_free);
    if (rc < 0) {
        gs_keystore_destroy(ks);
        return -1;
    }
    *out = ks;
    return 0;
}

int gs_keystore_load(const char *path, struct gs_keystore **out, char *errbuf)
{
    *out = NULL;
    gs_keys_protect_memory();
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: cannot open key store: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: key store is not a regular file", path);
        close(fd);
        return -1;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE,
                 "%s: key store is accessible by group or others (mode %04o); refusing to use "
                 "it: run chmod 600 %s",
                 path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return -1;
    }
    if (st.st_size > (off_t)GS_KEYSTORE_MAX_FILE_BYTES) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: key store larger than %u bytes", path,
                 GS_KEYSTORE_MAX_FILE_BYTES);
        close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1;
    char *buf = sec_alloc(cap);
    if (buf == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: out of secure memory reading the key store", path);
        close(fd);
        return -1;
    }
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "%s: cannot read key store: %s", path,
                     strerror(errno));
            sec_free(buf);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "%s: key store changed while being read", path);
            sec_free(buf);
            close(fd);
            return -1;
        }
    }
    close(fd);
    int rc = gs_keystore_parse(buf, len, path, out, errbuf);
    sec_free(buf);
    return rc;
}

void gs_keystore_destroy(struct gs_keystore *ks)
{
    if (ks == NULL)
        return;
    for (size_t s = 0; s < N_SECTIONS; s++) {
        for (size_t i = 0; i < ks->n[s]; i++) {
            gs_key_destroy(ks->e[s][i].key);
            free(ks->e[s][i].name);
        }
        free(ks->e[s]);
    }
    free(ks);
}

size_t gs_keystore_count(const struct gs_keystore *ks, enum gs_keystore_section section)
{
    return (size_t)section < N_SECTIONS ? ks->n[section] : 0;
}

/* ---- lookups ----------------------------------------------------------------------------- */

static bool listed(const struct entry *e, const struct gs_ip *ip)
{
    for (size_t i = 0; i < e->n_eps; i++) {
        if (e->eps[i].family == ip->family &&
            memcmp(e->eps[i].addr, ip->addr, ip->family == 4 ? 4 : 16) == 0)
            return true;
    }
    return false;
}

/* The best entry of a section for an identity: one whose endpoints list both addresses,
 * else one without endpoints. */
static const struct gs_key *find(const struct gs_keystore *ks, size_t sec, const struct entry *q,
                                 const struct gs_ip *a, const struct gs_ip *b)
{
    const struct gs_key *fallback = NULL;
    for (size_t i = 0; i < ks->n[sec]; i++) {
        const struct entry *e = &ks->e[sec][i];
        if (e->a != q->a || e->b != q->b || e->user != q->user || e->key_id != q->key_id ||
            e->name_len != q->name_len ||
            (q->name_len != 0 && memcmp(e->name, q->name, q->name_len) != 0))
            continue;
        if (e->n_eps == 0)
            fallback = e->key;
        else if (a != NULL && b != NULL && listed(e, a) && listed(e, b))
            return e->key;
    }
    return fallback;
}

const struct gs_key *gs_keystore_dnp3(const struct gs_keystore *ks, uint16_t master,
                                      uint16_t outstation, uint16_t user, const struct gs_ip *a,
                                      const struct gs_ip *b)
{
    struct entry q = {.a = master, .b = outstation, .user = user};
    return find(ks, GS_KEYS_DNP3, &q, a, b);
}

bool gs_keystore_dnp3_has_association(const struct gs_keystore *ks, uint16_t master,
                                      uint16_t outstation)
{
    for (size_t i = 0; i < ks->n[GS_KEYS_DNP3]; i++) {
        if (ks->e[GS_KEYS_DNP3][i].a == master && ks->e[GS_KEYS_DNP3][i].b == outstation)
            return true;
    }
    return false;
}

const struct gs_key *gs_keystore_iec104(const struct gs_keystore *ks, uint16_t common_address,
                                        uint16_t user, const struct gs_ip *a, const struct gs_ip *b)
{
    struct entry q = {.a = common_address, .user = user};
    return find(ks, GS_KEYS_IEC104, &q, a, b);
}

const struct gs_key *gs_keystore_goose(const struct gs_keystore *ks, uint16_t appid,
                                       const char *gocb_ref, size_t gocb_ref_len, uint32_t key_id)
{
    struct entry q = {
        .a = appid, .key_id = key_id, .name = (char *)gocb_ref, .name_len = gocb_ref_len};
    return gocb_ref_len == 0 ? NULL : find(ks, GS_KEYS_GOOSE, &q, NULL, NULL);
}

const struct gs_key *gs_keystore_sv(const struct gs_keystore *ks, uint16_t appid, const char *sv_id,
                                    size_t sv_id_len, uint32_t key_id)
{
    struct entry q = {.a = appid, .key_id = key_id, .name = (char *)sv_id, .name_len = sv_id_len};
    return sv_id_len == 0 ? NULL : find(ks, GS_KEYS_SV, &q, NULL, NULL);
}
