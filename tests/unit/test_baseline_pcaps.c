/*
 * test_baseline_pcaps.c - gridsensor from the outside on the generated baseline captures
 * (pcaps/baseline/, see its README): --learn on learn.pcap writes the series learn.expect
 * lists, byte for byte the same file twice; enforcing that file raises exactly the
 * baseline.* alerts of each <case>.expect at its pcap_cnt, nothing on normal traffic or on
 * learn.pcap itself; a policy "poll" finds the stopped poll without any learning; --learn
 * without --baseline, a bad file and an unwritable path stop the sensor with exit 2 and one
 * line.
 */
#include <check.h>
#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

static const char *const cases[] = {"learn", "normal", "poll-stops", "new-master", "rate-triples"};

static char baseline_path[64];

static void capture(const char *name, char *out, size_t cap, const char *ext)
{
    snprintf(out, cap, "%s/pcaps/baseline/%s.%s", gs_test_source_dir(), name, ext);
}

static int run(char **out, char **err, const char *const *args)
{
    char *argv[16] = {(char *)gs_test_gridsensor()};
    size_t n = 1;
    for (; args[n - 1] != NULL; n++) {
        ck_assert_uint_lt(n, 15);
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    return gs_test_run(argv, out, err);
}

static void assert_one_line(const char *err)
{
    ck_assert_msg(strncmp(err, "gridsensor: ", 12) == 0, "stderr: %s", err);
    const char *nl = strchr(err, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_msg(nl[1] == '\0', "more than one line on stderr: %s", err);
}

/* Learns from learn.pcap into baseline_path. */
static void learn(void)
{
    snprintf(baseline_path, sizeof(baseline_path), "/tmp/gs-baseline-pcaps-XXXXXX");
    close(mkstemp(baseline_path));
    char pcap[4096];
    capture("learn", pcap, sizeof(pcap), "pcap");
    const char *args[] = {"--learn", "--baseline", baseline_path, "-r", pcap, NULL};
    char *out, *err;
    ck_assert_int_eq(run(&out, &err, args), 0);
    ck_assert_msg(strstr(err, "series learned") != NULL, "%s", err);
    free(out);
    free(err);
}

struct alert {
    char rule[48];
    unsigned long long pcap_cnt;
    char line[4096];
};

/* The baseline.* alerts of a run's output. */
static size_t baseline_alerts(const char *out, struct alert *alerts, size_t cap)
{
    size_t n = 0;
    for (const char *line = out; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        json_error_t jerr;
        json_t *rec = json_loadb(line, len, 0, &jerr);
        ck_assert_msg(rec != NULL, "not JSON: %.*s", (int)len, line);
        const char *rule =
            json_string_value(json_object_get(json_object_get(rec, "alert"), "rule"));
        if (rule != NULL && strncmp(rule, "baseline.", 9) == 0) {
            ck_assert_uint_lt(n, cap);
            snprintf(alerts[n].rule, sizeof(alerts[n].rule), "%s", rule);
            alerts[n].pcap_cnt =
                (unsigned long long)json_integer_value(json_object_get(rec, "pcap_cnt"));
            snprintf(alerts[n].line, sizeof(alerts[n].line), "%.*s", (int)len, line);
            n++;
        }
        json_decref(rec);
        line = end != NULL ? end + 1 : line + len;
    }
    return n;
}

/* The `alert` lines of <case>.expect. */
static size_t expected_alerts(const char *name, struct alert *alerts, size_t cap)
{
    char path[4096], line[512];
    capture(name, path, sizeof(path), "expect");
    FILE *fp = fopen(path, "r");
    if (fp == NULL) /* learn.pcap has no alert lines: it must raise nothing */
        return 0;
    size_t n = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strncmp(line, "alert ", 6) != 0)
            continue;
        ck_assert_uint_lt(n, cap);
        ck_assert_int_eq(sscanf(line, "alert %47s %llu", alerts[n].rule, &alerts[n].pcap_cnt), 2);
        n++;
    }
    fclose(fp);
    return n;
}

START_TEST(test_baseline_pcaps_learn)
{
    learn();
    json_error_t jerr;
    json_t *root = json_load_file(baseline_path, 0, &jerr);
    ck_assert_msg(root != NULL, "%s", jerr.text);
    json_t *series = json_object_get(root, "series");
    char path[4096], line[512];
    capture("learn", path, sizeof(path), "expect");
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    size_t n = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        int periodic, consumed;
        unsigned long long period_ms;
        long per_poll;
        if (sscanf(line, "series %d %llu %ld %n", &periodic, &period_ms, &per_poll, &consumed) != 3)
            continue;
        char *key = line + consumed;
        key[strcspn(key, "\n")] = '\0';
        n++;
        json_t *found = NULL;
        size_t i;
        json_t *s;
        json_array_foreach(series, i, s)
        {
            if (strcmp(json_string_value(json_object_get(s, "key")), key) == 0)
                found = s;
        }
        ck_assert_msg(found != NULL, "learned no series %s", key);
        ck_assert_msg(json_is_true(json_object_get(found, "periodic")) == (periodic != 0),
                      "%s: periodic", key);
        if (!periodic)
            continue;
        double p = json_number_value(json_object_get(found, "period_s"));
        ck_assert_msg(llround(p * 1000) == (long long)period_ms,
                      "%s: period %.3f s, expected %llu ms", key, p, period_ms);
        double pp = json_number_value(json_object_get(found, "per_poll"));
        ck_assert_msg(lround(pp * 1000) == per_poll, "%s: per_poll %.3f", key, pp);
        ck_assert_double_eq_tol(json_number_value(json_object_get(found, "tolerance")), 0.5, 1e-9);
    }
    fclose(fp);
    ck_assert_uint_eq(json_array_size(series), n);
    json_decref(root);

    /* Learning is deterministic: a second run writes the same bytes. */
    char first[sizeof(baseline_path)];
    memcpy(first, baseline_path, sizeof(first));
    learn();
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    FILE *fa = fopen(first, "r"), *fb = fopen(baseline_path, "r");
    ck_assert_int_ne(getdelim(&a, &la, '\0', fa), -1);
    ck_assert_int_ne(getdelim(&b, &lb, '\0', fb), -1);
    ck_assert_str_eq(a, b);
    fclose(fa);
    fclose(fb);
    free(a);
    free(b);
    unlink(first);
    unlink(baseline_path);
}
END_TEST

START_TEST(test_baseline_pcaps_enforce)
{
    learn();
    const char *name = cases[_i];
    char pcap[4096];
    capture(name, pcap, sizeof(pcap), "pcap");
    const char *args[] = {"--baseline", baseline_path, "--stats", "-r", pcap, NULL};
    char *out, *err;
    ck_assert_int_eq(run(&out, &err, args), 0);
    ck_assert_str_eq(err, "");
    struct alert got[32], want[32];
    size_t n_got = baseline_alerts(out, got, 32);
    size_t n_want = expected_alerts(name, want, 32);
    for (size_t i = 0; i < n_want; i++) {
        bool found = false;
        for (size_t k = 0; k < n_got && !found; k++)
            found = strcmp(got[k].rule, want[i].rule) == 0 && got[k].pcap_cnt == want[i].pcap_cnt;
        ck_assert_msg(found, "%s: expected %s at %llu, not raised", name, want[i].rule,
                      want[i].pcap_cnt);
    }
    for (size_t k = 0; k < n_got; k++) {
        bool found = false;
        for (size_t i = 0; i < n_want && !found; i++)
            found = strcmp(got[k].rule, want[i].rule) == 0 && got[k].pcap_cnt == want[i].pcap_cnt;
        ck_assert_msg(found, "%s: unexpected %s", name, got[k].line);
    }
    /* Every alert names its series, the endpoints and the expectation. */
    for (size_t k = 0; k < n_got; k++) {
        json_error_t jerr;
        json_t *rec = json_loads(got[k].line, 0, &jerr);
        json_t *bl = json_object_get(rec, "baseline");
        ck_assert_ptr_nonnull(json_object_get(bl, "key"));
        ck_assert_ptr_nonnull(json_object_get(rec, "src_ip"));
        if (strcmp(got[k].rule, "baseline.poll_missed") == 0 ||
            strcmp(got[k].rule, "baseline.rate_anomaly") == 0) {
            ck_assert_ptr_nonnull(json_object_get(bl, "expected_period_ms"));
            ck_assert_ptr_nonnull(json_object_get(bl, "observed_gap_ms"));
            ck_assert_ptr_nonnull(json_object_get(bl, "tolerance_pct"));
        }
        json_decref(rec);
    }
    json_t *stats = gs_test_find_stats(out);
    ck_assert_ptr_nonnull(stats);
    json_t *det =
        json_object_get(json_object_get(json_object_get(stats, "stats"), "detect"), "baseline");
    ck_assert_int_eq(json_integer_value(json_object_get(det, "series_loaded")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(det, "series_evicted")), 0);
    json_decref(stats);
    free(out);
    free(err);
    unlink(baseline_path);
}
END_TEST

static char policy_path[64];

static const char *write_policy(const char *text)
{
    snprintf(policy_path, sizeof(policy_path), "/tmp/gs-baseline-policy-XXXXXX");
    int fd = mkstemp(policy_path);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return policy_path;
}

START_TEST(test_baseline_pcaps_policy_poll)
{
    /* The class 0 poll as the operator states it, and a keep-alive on the 104 conduit; no
     * learning. The stopped poll is found where the learned baseline found it. */
    const char *policy = write_policy(
        "{\"conduits\": [\n"
        "  {\"name\": \"C-WAN-RTU\", \"protocol\": \"dnp3\", \"clients\": [\"10.1.0.2\"],\n"
        "   \"servers\": [\"10.2.0.10\"],\n"
        "   \"poll\": {\"period_s\": 30, \"tolerance\": 0.5, \"kind\": \"READ g60v1\"}},\n"
        "  {\"name\": \"C-STN-104\", \"protocol\": \"iec104\", \"clients\": [\"10.3.0.5\"],\n"
        "   \"servers\": [\"10.3.0.20\"], \"poll\": {\"period_s\": 20, \"tolerance\": 0.5}}]}\n");
    struct alert want[4];
    ck_assert_uint_eq(expected_alerts("poll-stops", want, 4), 1);
    for (int c = 0; c < 2; c++) {
        char pcap[4096];
        capture(c ? "poll-stops" : "normal", pcap, sizeof(pcap), "pcap");
        const char *args[] = {"--policy", policy, "-r", pcap, NULL};
        char *out, *err;
        ck_assert_int_eq(run(&out, &err, args), 0);
        struct alert got[8];
        size_t n = baseline_alerts(out, got, 8);
        ck_assert_uint_eq(n, (size_t)c);
        if (c) {
            ck_assert_str_eq(got[0].rule, "baseline.poll_missed");
            ck_assert_uint_eq(got[0].pcap_cnt, want[0].pcap_cnt);
            ck_assert_ptr_nonnull(strstr(got[0].line, "\"conduit\":\"C-WAN-RTU\""));
            ck_assert_ptr_nonnull(strstr(got[0].line, "\"source\":\"policy\""));
            ck_assert_ptr_nonnull(strstr(got[0].line, "\"expected_period_ms\":30000"));
        }
        free(out);
        free(err);
    }
    unlink(policy);
}
END_TEST

START_TEST(test_baseline_pcaps_usage_errors)
{
    char pcap[4096];
    capture("normal", pcap, sizeof(pcap), "pcap");
    char *out, *err;
    const char *learn_alone[] = {"--learn", "-r", pcap, NULL};
    ck_assert_int_eq(run(&out, &err, learn_alone), 2);
    assert_one_line(err);
    ck_assert_ptr_nonnull(strstr(err, "--learn needs --baseline FILE"));
    free(out);
    free(err);
    const char *bad = write_policy("{\"format\": \"gridsensor-baseline\", \"version\": 1, "
                                   "\"series\": [{\"protocol\": \"dnp3\"}]}");
    const char *load_bad[] = {"--baseline", bad, "-r", pcap, NULL};
    ck_assert_int_eq(run(&out, &err, load_bad), 2);
    assert_one_line(err);
    ck_assert_ptr_nonnull(strstr(err, "series[0].from"));
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    unlink(bad);
    const char *missing[] = {"--baseline", "/nonexistent/b.json", "-r", pcap, NULL};
    ck_assert_int_eq(run(&out, &err, missing), 2);
    assert_one_line(err);
    free(out);
    free(err);
    const char *unwritable[] = {"--learn", "--baseline", "/nonexistent/b.json", "-r", pcap, NULL};
    ck_assert_int_eq(run(&out, &err, unwritable), 2);
    assert_one_line(err);
    ck_assert_ptr_nonnull(strstr(err, "cannot write"));
    ck_assert_str_eq(out, ""); /* refused before the first packet */
    free(out);
    free(err);
    const char *help[] = {"--help", NULL};
    ck_assert_int_eq(run(&out, &err, help), 0);
    ck_assert_ptr_nonnull(strstr(out, "--baseline FILE"));
    ck_assert_ptr_nonnull(strstr(out, "--learn"));
    free(out);
    free(err);
}
END_TEST

static Suite *suite_baseline_pcaps(void)
{
    Suite *s = suite_create("baseline_pcaps");
    TCase *tc = tcase_create("pcaps");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_baseline_pcaps_learn);
    tcase_add_loop_test(tc, test_baseline_pcaps_enforce, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, test_baseline_pcaps_policy_poll);
    tcase_add_test(tc, test_baseline_pcaps_usage_errors);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_baseline_pcaps)
