/*
 * test_demo.c - the README's first command, as scripts/demo.sh runs it (the demo capture, the
 * demo policy, the test-only SA keys): exit 0, nothing on stderr, and exactly the alerts of
 * tests/regress/demo/expected-alerts.tsv, each at its packet and on its conduit.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_support.h"

START_TEST(test_demo_alerts)
{
    char demo[4096], policy[4096], keys_src[4096], expected[4096];
    const char *src = gs_test_source_dir();
    snprintf(demo, sizeof(demo), "%s/pcaps/demo.pcap", src);
    snprintf(policy, sizeof(policy), "%s/pcaps/demo-policy.json", src);
    snprintf(keys_src, sizeof(keys_src), "%s/keys/examples/test-only-dnp3-sa.json", src);
    snprintf(expected, sizeof(expected), "%s/tests/regress/demo/expected-alerts.tsv", src);

    /* A private copy of the test-only key store: git does not keep its 0600 mode. */
    char keys[] = "/tmp/gs-demo-keys-XXXXXX";
    int fd = mkstemp(keys);
    FILE *in = fopen(keys_src, "rb");
    ck_assert_ptr_nonnull(in);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf), in);
    fclose(in);
    ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
    fchmod(fd, 0600);
    close(fd);

    char *argv[] = {(char *)gs_test_gridsensor(),
                    "--keys",
                    keys,
                    "--policy",
                    policy,
                    "--log-events",
                    "--stats",
                    "-r",
                    demo,
                    NULL};
    char *out, *err;
    int rc = gs_test_run(argv, &out, &err);
    unlink(keys);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(err[0] == '\0', "stderr: %s", err);

    char got[64][160];
    size_t n_got = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_t *rec = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(rec);
        if (strcmp(json_string_value(json_object_get(rec, "event_type")), "alert") == 0) {
            ck_assert_uint_lt(n_got, 64);
            json_t *conduit = json_object_get(rec, "conduit");
            snprintf(got[n_got++], sizeof(got[0]), "%s\t%lld\t%s",
                     json_string_value(json_object_get(json_object_get(rec, "alert"), "rule")),
                     (long long)json_integer_value(json_object_get(rec, "pcap_cnt")),
                     conduit != NULL ? json_string_value(conduit) : "-");
        }
        json_decref(rec);
    }
    FILE *fp = fopen(expected, "r");
    ck_assert_ptr_nonnull(fp);
    size_t n_want = 0;
    while (fgets(buf, sizeof(buf), fp) != NULL) {
        if (buf[0] == '#' || buf[0] == '\n')
            continue;
        buf[strcspn(buf, "\n")] = '\0';
        ck_assert_msg(n_want < n_got, "missing alert: %s", buf);
        ck_assert_str_eq(got[n_want], buf);
        n_want++;
    }
    fclose(fp);
    ck_assert_msg(n_want == n_got, "unexpected alert: %s", n_got > n_want ? got[n_want] : "");
    ck_assert_uint_gt(n_want, 5);
    free(out);
    free(err);
}
END_TEST

static Suite *suite_demo(void)
{
    Suite *s = suite_create("demo");
    TCase *tc = tcase_create("readme");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_demo_alerts);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_demo)
