/*
 * test_dnp3_sa_regress.c - the SAv5 detectors end to end: `gridsensor --keys` over every
 * generated capture in pcaps/dnp3-sa/ and pcaps/iec104-sa/ (the IEC 104 / IEC 62351-5 twin,
 * same .expect format, iec104.sa.* rules) and the real ITI captures in ../shared/pcaps.
 *
 * Generated: run with the key file its <case>.expect names (copied to a mode 0600 file), the
 * alerts (rule, pcap_cnt) must be exactly the `alert` lines; a valid session verifies its 7
 * MACs and nothing is unverifiable. Run without keys, dnp3.sa.no_key comes once, at
 * `first_sa`, and any other alert must be one the README lists as decidable without keys
 * (unauthenticated_critical, downgrade, error, replay) at a frame the .expect names.
 * Every alert carries alert.fr FR1 or FR3 and dnp3{user, csq, ksq, mal, function, src, dst},
 * and no update key appears anywhere in the output.
 *
 * Real (dnp3_sav5.md §12.1, skipped without ../shared/pcaps): the key change verifies; the
 * key-change and challenge files in one run verify the challenge reply too; the aggressive-
 * mode file (whose key change was never captured) is unverifiable, alone or after the other
 * two, never invalid; without keys only dnp3.sa.no_key. Also: --keys errors exit 2 with one
 * line.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "test_support.h"

#define MAX_ALERTS 64
#define ITI_DIR    "ITI__ICS-Security-Tools/pcaps/dnp3"

struct alert_rec {
    char rule[64];
    long frame;
};

struct run {
    int rc;
    char *out, *err;
    struct alert_rec alerts[MAX_ALERTS];
    size_t n;
    json_t *sa; /* stats.detect.<detector> */
};

/* What differs between the DNP3 and the IEC 104 captures. */
struct proto {
    const char *dir;      /* under pcaps/ */
    const char *app;      /* app_proto and alert section */
    const char *detector; /* stats.detect.<detector> */
    const char *prefix;   /* rule prefix */
    const char *fields[8];
};

static const struct proto dnp3 = {"dnp3-sa",
                                  "dnp3",
                                  "dnp3_sa",
                                  "dnp3.sa.",
                                  {"user", "csq", "ksq", "mal", "function", "src", "dst"}};
static const struct proto iec104 = {"iec104-sa",
                                    "iec104",
                                    "iec104_sa",
                                    "iec104.sa.",
                                    {"user", "csq", "ksq", "mal", "type", "ca", "cot"}};

/* Copies a key file of the source tree to a fresh mode-0600 file; returns its path. */
static char *private_keys(const char *rel)
{
    char src[4096];
    snprintf(src, sizeof(src), "%s/%s", gs_test_source_dir(), rel);
    FILE *in = fopen(src, "rb");
    ck_assert_msg(in != NULL, "%s", src);
    char *path = strdup("/tmp/gs_sa_keys_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fchmod(fd, 0600), 0);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
    fclose(in);
    close(fd);
    return path;
}

/* The update keys of a key file, as hex text (lower case), for the "never printed" check. */
static size_t update_keys(const char *rel, char keys[][130], size_t max)
{
    char src[4096];
    snprintf(src, sizeof(src), "%s/%s", gs_test_source_dir(), rel);
    json_error_t jerr;
    json_t *root = json_load_file(src, 0, &jerr);
    ck_assert_ptr_nonnull(root);
    size_t n = 0;
    json_t *arr = json_object_get(root, "dnp3");
    for (size_t i = 0; i < json_array_size(arr) && n < max; i++) {
        const char *k = json_string_value(json_object_get(json_array_get(arr, i), "update_key"));
        if (k != NULL)
            snprintf(keys[n++], 130, "%s", k);
    }
    json_decref(root);
    return n;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p != '\0'; p++) {
        size_t i = 0;
        while (i < n && p[i] != '\0' && (p[i] == needle[i] || (p[i] ^ 0x20) == needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static void run_sensor_proto(struct run *r, const struct proto *pr, const char *keys,
                             const char *const *pcaps, size_t n_pcaps)
{
    memset(r, 0, sizeof(*r));
    char *argv[16];
    size_t argc = 0;
    argv[argc++] = (char *)gs_test_gridsensor();
    argv[argc++] = (char *)"--no-classify";
    argv[argc++] = (char *)"--stats";
    if (keys != NULL) {
        argv[argc++] = (char *)"--keys";
        argv[argc++] = (char *)keys;
    }
    argv[argc++] = (char *)"-r";
    for (size_t i = 0; i < n_pcaps; i++)
        argv[argc++] = (char *)pcaps[i];
    argv[argc] = NULL;
    r->rc = gs_test_run(argv, &r->out, &r->err);
    char *copy = strdup(r->out);
    for (char *line = strtok(copy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_error_t jerr;
        json_t *rec = json_loads(line, 0, &jerr);
        ck_assert_msg(rec != NULL, "bad JSON: %s", jerr.text);
        const char *type = json_string_value(json_object_get(rec, "event_type"));
        const char *any_rule =
            json_string_value(json_object_get(json_object_get(rec, "alert"), "rule"));
        /* Only the SA verifiers' findings: other detectors (the catalogue's restarts) judge
         * the same traffic too. */
        bool sa_rule = any_rule != NULL && (strncmp(any_rule, "dnp3.sa.", 8) == 0 ||
                                            strncmp(any_rule, "iec104.sa.", 10) == 0);
        if (type != NULL && strcmp(type, "alert") == 0 && sa_rule) {
            json_t *a = json_object_get(rec, "alert");
            const char *rule = json_string_value(json_object_get(a, "rule"));
            const char *fr = json_string_value(json_object_get(a, "fr"));
            ck_assert_ptr_nonnull(rule);
            ck_assert_msg(fr != NULL && (strcmp(fr, "FR1") == 0 || strcmp(fr, "FR3") == 0),
                          "%s: fr", rule);
            ck_assert_str_eq(json_string_value(json_object_get(rec, "app_proto")), pr->app);
            ck_assert_msg(strncmp(rule, pr->prefix, strlen(pr->prefix)) == 0, "rule %s", rule);
            json_t *d = json_object_get(rec, pr->app);
            for (size_t k = 0; k < GS_ARRAY_LEN(pr->fields) && pr->fields[k] != NULL; k++)
                ck_assert_msg(json_object_get(d, pr->fields[k]) != NULL, "%s: no %s.%s", rule,
                              pr->app, pr->fields[k]);
            ck_assert_uint_lt(r->n, MAX_ALERTS);
            snprintf(r->alerts[r->n].rule, sizeof(r->alerts[0].rule), "%s", rule);
            r->alerts[r->n++].frame = (long)json_integer_value(json_object_get(rec, "pcap_cnt"));
        } else if (type != NULL && strcmp(type, "stats") == 0) {
            r->sa = json_incref(json_object_get(
                json_object_get(json_object_get(rec, "stats"), "detect"), pr->detector));
        }
        json_decref(rec);
    }
    free(copy);
}

static void run_sensor(struct run *r, const char *keys, const char *const *pcaps, size_t n_pcaps)
{
    run_sensor_proto(r, &dnp3, keys, pcaps, n_pcaps);
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->sa);
}

static long sa_count(const struct run *r, const char *name)
{
    json_t *v = json_object_get(r->sa, name);
    ck_assert_msg(v != NULL, "stats.detect.<detector>.%s missing", name);
    return (long)json_integer_value(v);
}

static bool listed(const struct alert_rec *set, size_t n, const char *rule, long frame)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(set[i].rule, rule) == 0 && set[i].frame == frame)
            return true;
    }
    return false;
}

static void check_case(const struct proto *pr, const char *dir, const char *name)
{
    char path[4096], line[512], keys_rel[256] = "";
    snprintf(path, sizeof(path), "%s/%s.expect", dir, name);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s", path);
    struct alert_rec want[MAX_ALERTS];
    size_t n_want = 0;
    long first_sa = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        long f;
        char rule[64];
        if (sscanf(line, "keys %255s", keys_rel) == 1)
            continue;
        if (sscanf(line, "first_sa %ld", &f) == 1)
            first_sa = f;
        else if (sscanf(line, "alert %63s %ld", rule, &f) == 2 && n_want < MAX_ALERTS) {
            snprintf(want[n_want].rule, sizeof(want[0].rule), "%s", rule);
            want[n_want++].frame = f;
        }
    }
    fclose(fp);
    ck_assert_msg(keys_rel[0] != '\0' && first_sa > 0, "%s: no keys/first_sa line", name);

    snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
    const char *pcaps[1] = {path};
    char *keys = private_keys(keys_rel);
    char secrets[16][130];
    size_t n_secrets = update_keys(keys_rel, secrets, 16);

    struct run r;
    run_sensor_proto(&r, pr, keys, pcaps, 1);
    ck_assert_msg(r.rc == 0, "%s: exit %d: %s", name, r.rc, r.err);
    ck_assert_msg(r.err[0] == '\0', "%s: stderr: %s", name, r.err);
    for (size_t i = 0; i < r.n; i++)
        ck_assert_msg(listed(want, n_want, r.alerts[i].rule, r.alerts[i].frame),
                      "%s: unexpected %s @ %ld", name, r.alerts[i].rule, r.alerts[i].frame);
    for (size_t i = 0; i < n_want; i++)
        ck_assert_msg(listed(r.alerts, r.n, want[i].rule, want[i].frame), "%s: missing %s @ %ld",
                      name, want[i].rule, want[i].frame);
    ck_assert_msg(r.n == n_want, "%s: %zu alerts, expected %zu", name, r.n, n_want);
    for (size_t k = 0; k < n_secrets; k++)
        ck_assert_msg(!contains_ci(r.out, secrets[k]) && !contains_ci(r.err, secrets[k]),
                      "%s: an update key appears in the output", name);
    if (strstr(name, "-valid") != NULL && strncmp(name, "nokey", 5) != 0) {
        /* The full valid sessions: 2 key changes, 1 key status MAC, 2 replies, 2 aggressive. */
        bool full = strcmp(name, "sha256-valid") == 0 || strcmp(name, "gmac-valid") == 0 ||
                    strcmp(name, "sha1-valid") == 0;
        if (full) {
            /* DNP3: 2 key changes, a key status MAC, 2 replies, 2 aggressive; IEC 104: 2 key
             * changes, a key status MAC, 2 replies, 3 aggressive. */
            ck_assert_int_eq(sa_count(&r, "macs_verified"), pr == &dnp3 ? 7 : 8);
            ck_assert_int_eq(sa_count(&r, "key_changes_verified"), 2);
        }
        ck_assert_int_ge(sa_count(&r, "macs_verified"), 3);
        ck_assert_int_ge(sa_count(&r, "key_changes_verified"), 1);
        ck_assert_int_eq(sa_count(&r, "macs_unverifiable"), 0);
    }
    long invalid = 0;
    char mac_rule[64];
    snprintf(mac_rule, sizeof(mac_rule), "%smac_invalid", pr->prefix);
    for (size_t i = 0; i < n_want; i++)
        invalid += strcmp(want[i].rule, mac_rule) == 0;
    ck_assert_int_eq(sa_count(&r, "macs_invalid"), invalid);
    run_free(&r);

    /* Without keys. */
    run_sensor_proto(&r, pr, NULL, pcaps, 1);
    ck_assert_msg(r.rc == 0, "%s: exit %d: %s", name, r.rc, r.err);
    size_t no_key = 0;
    for (size_t i = 0; i < r.n; i++) {
        const char *rule = r.alerts[i].rule + strlen(pr->prefix);
        if (strcmp(rule, "no_key") == 0) {
            no_key++;
            ck_assert_msg(r.alerts[i].frame == first_sa, "%s: no_key @ %ld, first_sa %ld", name,
                          r.alerts[i].frame, first_sa);
            continue;
        }
        bool keyless = strcmp(rule, "unauthenticated_critical") == 0 ||
                       strcmp(rule, "downgrade") == 0 || strcmp(rule, "error") == 0 ||
                       strcmp(rule, "replay") == 0;
        ck_assert_msg(keyless && listed(want, n_want, r.alerts[i].rule, r.alerts[i].frame),
                      "%s without keys: %s @ %ld", name, r.alerts[i].rule, r.alerts[i].frame);
    }
    ck_assert_msg(no_key == 1, "%s without keys: %zu no_key alerts", name, no_key);
    ck_assert_int_eq(sa_count(&r, "macs_verified"), 0);
    ck_assert_int_eq(sa_count(&r, "macs_invalid"), 0);
    run_free(&r);
    unlink(keys);
    free(keys);
}

static size_t check_dir(const struct proto *pr)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/pcaps/%s", gs_test_source_dir(), pr->dir);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t cases = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".expect") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(len - 7), e->d_name);
        check_case(pr, dir, name);
        cases++;
    }
    closedir(d);
    return cases;
}

START_TEST(test_dnp3_sa_regress_generated)
{
    ck_assert_uint_ge(check_dir(&dnp3), 28);
}
END_TEST

/* IEC 104 with IEC 62351-5: pcaps/iec104-sa/, and the secure section of pcaps/iec104.pcap
 * (its own generator's keys: update key 00..0F for common address 1, user 1): the key change,
 * the challenge reply and the aggressive request verify; its S_ER_NA_1 is reported, and its
 * user 2 (no key) once. */
START_TEST(test_dnp3_sa_regress_iec104)
{
    ck_assert_uint_ge(check_dir(&iec104), 8);
    char *keys = strdup("/tmp/gs_sa_keys_XXXXXX");
    int fd = mkstemp(keys);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fchmod(fd, 0600), 0);
    static const char json[] = "{\"iec104\": [{\"common_address\": 1, \"user\": 1, "
                               "\"update_key\": \"000102030405060708090a0b0c0d0e0f\"}]}";
    ck_assert_int_eq(write(fd, json, sizeof(json) - 1), (ssize_t)(sizeof(json) - 1));
    close(fd);
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/iec104.pcap", gs_test_source_dir());
    const char *p[1] = {pcap};
    struct run r;
    run_sensor_proto(&r, &iec104, keys, p, 1);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(sa_count(&r, "key_changes_verified"), 1);
    ck_assert_int_eq(sa_count(&r, "macs_verified"), 3);
    ck_assert_int_eq(sa_count(&r, "macs_invalid"), 0);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_str_eq(r.alerts[0].rule, "iec104.sa.error");
    ck_assert_str_eq(r.alerts[1].rule, "iec104.sa.no_key");
    run_free(&r);
    unlink(keys);
    free(keys);
}
END_TEST

static size_t iti(const char *shared, const char *const *files, size_t n, char paths[][4096],
                  const char **out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(paths[i], 4096, "%s/%s/%s.pcap", shared, ITI_DIR, files[i]);
        out[i] = paths[i];
    }
    return n;
}

START_TEST(test_dnp3_sa_regress_iti)
{
    const char *shared = gs_test_shared_pcaps();
    if (shared == NULL) {
        fprintf(stderr, "skipped: ../shared/pcaps not found\n");
        return;
    }
    static const char *const all[] = {"auth_change_session_keys", "auth_control_challenge_response",
                                      "operate_aggressive_mode"};
    char paths[3][4096];
    const char *p[3];
    char *keys = private_keys("keys/examples/test-only-iti-sav5.json");
    struct run r;

    /* The key change alone: followed, its confirming g120v5 MAC verifies. */
    run_sensor(&r, keys, p, iti(shared, all, 1, paths, p));
    ck_assert_msg(r.rc == 0 && r.n == 0, "key change: exit %d, %zu alerts", r.rc, r.n);
    ck_assert_int_eq(sa_count(&r, "key_changes_verified"), 1);
    ck_assert_int_eq(sa_count(&r, "macs_verified"), 1);
    run_free(&r);

    /* The two halves of the connection in one run: the challenge reply verifies too. */
    run_sensor(&r, keys, p, iti(shared, all, 2, paths, p));
    ck_assert_msg(r.rc == 0 && r.n == 0, "both: exit %d, %zu alerts", r.rc, r.n);
    ck_assert_int_eq(sa_count(&r, "macs_verified"), 2);
    ck_assert_int_eq(sa_count(&r, "macs_invalid"), 0);
    run_free(&r);

    /* All three: the aggressive operate is on another connection, after a challenge that was
     * not captured: unverifiable, not invalid. */
    run_sensor(&r, keys, p, iti(shared, all, 3, paths, p));
    ck_assert_msg(r.rc == 0 && r.n == 0, "all three: exit %d, %zu alerts", r.rc, r.n);
    ck_assert_int_eq(sa_count(&r, "macs_verified"), 2);
    ck_assert_int_eq(sa_count(&r, "macs_unverifiable"), 1);
    ck_assert_int_eq(sa_count(&r, "macs_invalid"), 0);
    run_free(&r);

    /* The aggressive-mode file alone. */
    static const char *const aggr[] = {"operate_aggressive_mode"};
    run_sensor(&r, keys, p, iti(shared, aggr, 1, paths, p));
    ck_assert_msg(r.rc == 0 && r.n == 0, "aggressive: exit %d, %zu alerts", r.rc, r.n);
    ck_assert_int_eq(sa_count(&r, "macs_unverifiable"), 1);
    ck_assert_int_eq(sa_count(&r, "macs_verified"), 0);
    ck_assert_int_eq(sa_count(&r, "macs_invalid"), 0);
    run_free(&r);

    /* Without keys: dnp3.sa.no_key only, once, at each file's first SA frame. */
    static const long first_sa[] = {4, 2, 1};
    for (size_t i = 0; i < 3; i++) {
        run_sensor(&r, NULL, p, iti(shared, all + i, 1, paths, p));
        ck_assert_msg(r.rc == 0 && r.n == 1, "%s without keys: %zu alerts", all[i], r.n);
        ck_assert_str_eq(r.alerts[0].rule, "dnp3.sa.no_key");
        ck_assert_int_eq(r.alerts[0].frame, first_sa[i]);
        run_free(&r);
    }
    unlink(keys);
    free(keys);
}
END_TEST

/* A key store readable by others, missing, or malformed: one line on stderr, exit 2. */
START_TEST(test_dnp3_sa_regress_keys_errors)
{
    char *keys = private_keys("keys/examples/test-only-dnp3-sa.json");
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/dnp3-sa/sha256-valid.pcap", gs_test_source_dir());
    const char *p[1] = {pcap};
    struct run r;
    ck_assert_int_eq(chmod(keys, 0644), 0);
    run_sensor(&r, keys, p, 1);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_ptr_nonnull(strstr(r.err, keys));
    ck_assert_ptr_nonnull(strstr(r.err, "chmod 600"));
    ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    unlink(keys);
    run_sensor(&r, keys, p, 1);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    run_free(&r);
    FILE *fp = fopen(keys, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("{\"dnp3\": [{\"master\": 1, \"outstation\": 2, \"user\": 1, \"update_key\": \"zz\"}]}",
          fp);
    fclose(fp);
    ck_assert_int_eq(chmod(keys, 0600), 0);
    run_sensor(&r, keys, p, 1);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    run_free(&r);
    unlink(keys);
    free(keys);
}
END_TEST

static Suite *suite_dnp3_sa_regress(void)
{
    Suite *s = suite_create("dnp3_sa_regress");
    TCase *tc = tcase_create("captures");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_dnp3_sa_regress_generated);
    tcase_add_test(tc, test_dnp3_sa_regress_iec104);
    tcase_add_test(tc, test_dnp3_sa_regress_iti);
    tcase_add_test(tc, test_dnp3_sa_regress_keys_errors);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_dnp3_sa_regress)
