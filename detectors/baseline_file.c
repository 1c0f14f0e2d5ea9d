/*
 * baseline_file.c - the baseline file: reading it to enforce, writing what was learned.
 *
 *   {"format": "gridsensor-baseline", "version": 1,
 *    "learned_from": "2026-11-18T11:06:40.000000+0000", "learned_to": "...",
 *    "settings": {"burst_ms": 1000, ...}, "series_evicted": 0,
 *    "series": [
 *      {"key": "dnp3 10.1.0.2 > 10.2.0.10 READ g60v1 @1024",
 *       "protocol": "dnp3", "from": "10.1.0.2", "to": "10.2.0.10", "kind": "READ g60v1 @1024",
 *       "periodic": true, "period_s": 30.0, "tolerance": 0.5, "per_poll": 1.0,
 *       "check_rate": true, "jitter_s": 0.4, "samples": 119, ...}]}
 *
 * A series is identified by protocol, from, to and kind; periodic, period_s, tolerance,
 * per_poll and check_rate are what enforcement uses, and an engineer may edit them by hand.
 * "key" and the other fields (conduit, jitter, counts, first and last seen, note) are written
 * for the reader and ignored on loading. Any other key is an error, so a misspelt edit
 * ("perod_s") is not silently ignored; "version" guards against a file of a newer format.
 *
 * jansson reads and writes this file: a configuration/state file handled once before and
 * once after capture, never records (the output module stays the only writer of records).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline_int.h"

#define FORMAT_NAME    "gridsensor-baseline"
#define FORMAT_VERSION 1

/* ---- reading ---------------------------------------------------------------------------- */

struct where {
    const char *file;
    char path[64];
    char *errbuf;
};

static int fail(struct where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct where *w, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(w->errbuf, GS_ERRBUF_SIZE, "baseline %s: %s%s%s", w->file, w->path,
             w->path[0] != '\0' ? ": " : "", msg);
    return -1;
}

static void at(struct where *w, size_t index, const char *key)
{
    if (key != NULL)
        snprintf(w->path, sizeof(w->path), "series[%zu].%s", index, key);
    else
        snprintf(w->path, sizeof(w->path), "series[%zu]", index);
}

static bool in_list(const char *key, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], key) == 0)
            return true;
    }
    return false;
}

static int parse_ip(struct where *w, json_t *v, struct gs_ip *ip)
{
    memset(ip, 0, sizeof(*ip));
    if (!json_is_string(v))
        return fail(w, "must be an IP address as a string");
    const char *text = json_string_value(v);
    if (inet_pton(AF_INET, text, ip->addr) == 1) {
        ip->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, text, ip->addr) == 1) {
        ip->family = 6;
        return 0;
    }
    return fail(w, "'%s' is not an IP address", text);
}

static int get_number(struct where *w, size_t index, json_t *obj, const char *key, double min,
                      double max, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 0;
    at(w, index, key);
    if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max)
        return fail(w, "must be a number in %g..%g", min, max);
    *out = json_number_value(v);
    return 0;
}

static int get_bool(struct where *w, size_t index, json_t *obj, const char *key, bool *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 0;
    at(w, index, key);
    if (!json_is_boolean(v))
        return fail(w, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

static int parse_series(struct where *w, struct gs_baseline *b, size_t index, json_t *obj)
{
    static const char *const used_keys[] = {"protocol",   "from",     "to",        "kind",
                                            "periodic",   "period_s", "tolerance", "per_poll",
                                            "check_rate", NULL};
    static const char *const info_keys[] = {"key",        "conduit",   "jitter_s",  "samples",
                                            "polls",      "requests",  "min_gap_s", "max_gap_s",
                                            "first_seen", "last_seen", "note",      NULL};
    at(w, index, NULL);
    if (!json_is_object(obj))
        return fail(w, "must be an object");
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        (void)value;
        if (!in_list(key, used_keys) && !in_list(key, info_keys))
            return fail(w, "unknown key '%s'", key);
    }
    json_t *proto = json_object_get(obj, "protocol");
    at(w, index, "protocol");
    if (proto == NULL || !json_is_string(proto) ||
        gs_baseline_proto_by_name(json_string_value(proto)) < 0)
        return fail(w, "must be \"dnp3\", \"iec104\" or \"mms\"");
    struct gs_ip from, to;
    at(w, index, "from");
    if (parse_ip(w, json_object_get(obj, "from"), &from) != 0)
        return -1;
    at(w, index, "to");
    if (parse_ip(w, json_object_get(obj, "to"), &to) != 0)
        return -1;
    json_t *kind = json_object_get(obj, "kind");
    at(w, index, "kind");
    if (kind == NULL || !json_is_string(kind) || json_string_length(kind) == 0 ||
        json_string_length(kind) >= GS_BASELINE_KIND_MAX ||
        strcmp(json_string_value(kind), GS_BASELINE_ANY_KIND) == 0)
        return fail(w, "must be a request kind such as \"READ g60v1 @1024\" (1..%d characters)",
                    GS_BASELINE_KIND_MAX - 1);

    bool periodic = false, check_rate = true;
    double period_s = 0, tolerance = b->cfg->baseline_tolerance_pct / 100.0, per_poll = 1.0;
    if (get_bool(w, index, obj, "periodic", &periodic) != 0 ||
        get_number(w, index, obj, "period_s", 0.001, GS_BASELINE_MAX_PERIOD_S, &period_s) != 0 ||
        get_number(w, index, obj, "tolerance", 0, GS_BASELINE_MAX_TOLERANCE, &tolerance) != 0 ||
        get_number(w, index, obj, "per_poll", GS_BASELINE_MIN_PER_POLL, GS_BASELINE_MAX_PER_POLL,
                   &per_poll) != 0 ||
        get_bool(w, index, obj, "check_rate", &check_rate) != 0)
        return -1;
    if (periodic && period_s == 0) {
        at(w, index, "period_s");
        return fail(w, "is required when \"periodic\" is true");
    }
    unsigned p = (unsigned)gs_baseline_proto_by_name(json_string_value(proto));
    struct gs_baseline_series *s =
        gs_baseline_add_pinned(b, p, &from, &to, json_string_value(kind));
    if (s == NULL) {
        at(w, index, NULL);
        return fail(w, "the same series (protocol, from, to, kind) is listed twice");
    }
    s->source = GS_BASELINE_SRC_FILE;
    s->periodic = periodic;
    s->period_us = (uint64_t)llround(period_s * 1e6);
    s->tolerance = tolerance;
    s->per_poll = per_poll;
    s->check_rate = check_rate;
    return 0;
}

int gs_baseline_load(struct gs_baseline **out, const char *path, const struct gs_config *cfg,
                     char *errbuf)
{
    static const char *const top_keys[] = {"format",     "version",  "learned_from",
                                           "learned_to", "settings", "series_evicted",
                                           "series",     NULL};
    struct where w = {.file = path, .path = "", .errbuf = errbuf};
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (jerr.line <= 0)
            return fail(&w, "%s", jerr.text);
        return fail(&w, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    }
    int rc = -1;
    struct gs_baseline *b = NULL;
    if (!json_is_object(root)) {
        fail(&w, "the file must hold one JSON object");
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        (void)value;
        if (!in_list(key, top_keys)) {
            fail(&w, "unknown key '%s'", key);
            goto done;
        }
    }
    json_t *format = json_object_get(root, "format");
    if (format == NULL || !json_is_string(format) ||
        strcmp(json_string_value(format), FORMAT_NAME) != 0) {
        fail(&w, "not a baseline file (\"format\": \"%s\" is missing)", FORMAT_NAME);
        goto done;
    }
    json_t *version = json_object_get(root, "version");
    if (version == NULL || !json_is_integer(version) ||
        json_integer_value(version) != FORMAT_VERSION) {
        fail(&w, "\"version\" must be %d (a file of another gridsensor version?)", FORMAT_VERSION);
        goto done;
    }
    json_t *series = json_object_get(root, "series");
    if (series == NULL || !json_is_array(series)) {
        fail(&w, "\"series\" must be a list");
        goto done;
    }
    size_t n = json_array_size(series);
    if (n > cfg->baseline_max_series) {
        fail(&w, "%zu series, more than baseline.max_series (%u): raise it with --set", n,
             cfg->baseline_max_series);
        goto done;
    }
    if (gs_baseline_alloc(&b, cfg, n, false, errbuf) != 0)
        goto done;
    b->from_file = true;
    json_t *evicted = json_object_get(root, "series_evicted");
    if (evicted != NULL && json_is_integer(evicted) && json_integer_value(evicted) > 0)
        b->file_evicted = (uint64_t)json_integer_value(evicted);
    size_t i;
    json_t *item;
    json_array_foreach(series, i, item)
    {
        if (parse_series(&w, b, i, item) != 0)
            goto done;
    }
    *out = b;
    b = NULL;
    rc = 0;
done:
    gs_baseline_free(b);
    json_decref(root);
    return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

static int temp_path(const char *path, char *out, size_t cap, char *errbuf)
{
    int n = snprintf(out, cap, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= cap) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: path too long", path);
        return -1;
    }
    return 0;
}

int gs_baseline_check_writable(const char *path, char *errbuf)
{
    char tmp[PATH_MAX];
    if (temp_path(path, tmp, sizeof(tmp), errbuf) != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: cannot write beside it: %s", path,
                 strerror(errno));
        return -1;
    }
    close(fd);
    unlink(tmp);
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Temporary file, fsync, rename, then fsync of the directory: a crash leaves the old file or
 * the new one, never half of one. */
static int write_atomic(const char *path, const char *text, char *errbuf)
{
    char tmp[PATH_MAX];
    if (temp_path(path, tmp, sizeof(tmp), errbuf) != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: cannot create its temporary file: %s", path,
                 strerror(errno));
        return -1;
    }
    if (write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: writing its temporary file: %s", path,
                 strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

static double seconds(uint64_t us)
{
    return (double)llround((double)us / 1000.0) / 1000.0; /* to the millisecond */
}

static double round_to(double v, double unit)
{
    return round(v / unit) * unit;
}

static int cmp_ip(const struct gs_ip *a, const struct gs_ip *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int cmp_series(const void *pa, const void *pb)
{
    const struct gs_baseline_series *a = *(const struct gs_baseline_series *const *)pa;
    const struct gs_baseline_series *b = *(const struct gs_baseline_series *const *)pb;
    if (a->proto != b->proto)
        return a->proto < b->proto ? -1 : 1;
    int c = cmp_ip(&a->from, &b->from);
    if (c == 0)
        c = cmp_ip(&a->to, &b->to);
    return c != 0 ? c : strcmp(a->kind, b->kind);
}

static json_t *time_string(uint64_t ts_us)
{
    char text[40];
    gs_baseline_time_text(ts_us, text, sizeof(text));
    return json_string(text);
}

static json_t *series_json(const struct gs_baseline *b, const struct gs_baseline_series *s,
                           struct gs_baseline_saved *saved)
{
    struct gs_baseline_learned l;
    gs_baseline_learned(b, s, &l);
    char key[GS_BASELINE_KIND_MAX + 2 * INET6_ADDRSTRLEN + 16];
    char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
    gs_baseline_key_text(s, key, sizeof(key));
    gs_baseline_ip_text(&s->from, from, sizeof(from));
    gs_baseline_ip_text(&s->to, to, sizeof(to));
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "protocol", json_string(gs_baseline_proto_name(s->proto)));
    json_object_set_new(o, "from", json_string(from));
    json_object_set_new(o, "to", json_string(to));
    json_object_set_new(o, "kind", json_string(s->kind));
    if (s->conduit != NULL)
        json_object_set_new(o, "conduit", json_string(s->conduit->name));
    json_object_set_new(o, "periodic", json_boolean(l.periodic));
    if (l.samples != 0 && l.period_us >= 1000) {
        json_object_set_new(o, "period_s", json_real(seconds(l.period_us)));
        json_object_set_new(o, "tolerance", json_real(round_to(l.tolerance, 0.01)));
        json_object_set_new(o, "per_poll", json_real(round_to(l.per_poll, 0.001)));
        json_object_set_new(o, "check_rate", json_true());
        json_object_set_new(o, "jitter_s", json_real(seconds(l.mad_us)));
    }
    json_object_set_new(o, "samples", json_integer((json_int_t)l.samples));
    json_object_set_new(o, "polls", json_integer((json_int_t)s->polls));
    json_object_set_new(o, "requests", json_integer((json_int_t)s->requests));
    if (s->n_gaps != 0) {
        json_object_set_new(o, "min_gap_s", json_real(seconds(s->min_gap_us)));
        json_object_set_new(o, "max_gap_s", json_real(seconds(s->max_gap_us)));
    }
    json_object_set_new(o, "first_seen", time_string(s->first_us));
    json_object_set_new(o, "last_seen", time_string(s->last_us));
    if (l.note != NULL)
        json_object_set_new(o, "note", json_string(l.note));
    if (saved != NULL) {
        saved->series++;
        saved->periodic += l.periodic;
    }
    return o;
}

int gs_baseline_save(const struct gs_baseline *b, const char *path, struct gs_baseline_saved *saved,
                     char *errbuf)
{
    const struct gs_config *cfg = b->cfg;
    if (saved != NULL)
        memset(saved, 0, sizeof(*saved));
    if (!b->learning) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: only a learning baseline is written", path);
        return -1;
    }
    size_t total = b->n_pinned + b->n_runtime;
    const struct gs_baseline_series **order = calloc(total + 1, sizeof(*order));
    json_t *root = json_object();
    json_t *list = json_array();
    if (order == NULL || root == NULL || list == NULL) {
        free(order);
        json_decref(root);
        json_decref(list);
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: out of memory", path);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < total; i++) {
        const struct gs_baseline_series *s = &b->series[i];
        if (s->used && s->seen && strcmp(s->kind, GS_BASELINE_ANY_KIND) != 0)
            order[n++] = s;
    }
    qsort(order, n, sizeof(*order), cmp_series);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, series_json(b, order[i], saved));
    free(order);

    json_object_set_new(root, "format", json_string(FORMAT_NAME));
    json_object_set_new(root, "version", json_integer(FORMAT_VERSION));
    if (b->first_us != 0) {
        json_object_set_new(root, "learned_from", time_string(b->first_us));
        json_object_set_new(root, "learned_to", time_string(b->last_us));
    }
    json_t *settings = json_object();
    json_object_set_new(settings, "burst_ms", json_integer(cfg->baseline_burst_ms));
    json_object_set_new(settings, "learn_samples", json_integer(cfg->baseline_learn_samples));
    json_object_set_new(settings, "min_samples", json_integer(cfg->baseline_min_samples));
    json_object_set_new(settings, "max_jitter_pct", json_integer(cfg->baseline_max_jitter_pct));
    json_object_set_new(settings, "tolerance_pct", json_integer(cfg->baseline_tolerance_pct));
    json_object_set_new(root, "settings", settings);
    json_object_set_new(root, "series_evicted", json_integer((json_int_t)b->evicted));
    json_object_set_new(root, "series", list);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (text == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: out of memory", path);
        return -1;
    }
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (line == NULL) {
        free(text);
        snprintf(errbuf, GS_ERRBUF_SIZE, "baseline %s: out of memory", path);
        return -1;
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    int rc = write_atomic(path, line, errbuf);
    free(line);
    return rc;
}
