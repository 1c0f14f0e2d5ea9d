/*
 * test_cli.c - the gridsensor executable from the outside: help and version, exit status 2
 * with one line on stderr for bad usage and bad inputs (missing file, a text file, a pcap cut
 * in its header or mid-packet, a directory), several files on one packet clock, outputs.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

static char demo[4096];

static void init_paths(void)
{
    snprintf(demo, sizeof(demo), "%s/pcaps/demo.pcap", gs_test_source_dir());
}

static int run(char **out, char **err, const char *a1, const char *a2, const char *a3,
               const char *a4, const char *a5)
{
    char *argv[] = {(char *)gs_test_gridsensor(),
                    (char *)a1,
                    (char *)a2,
                    (char *)a3,
                    (char *)a4,
                    (char *)a5,
                    NULL};
    return gs_test_run(argv, out, err);
}

/* Exactly one line, starting with "gridsensor: ". */
static void assert_one_line(const char *err)
{
    ck_assert_msg(strncmp(err, "gridsensor: ", 12) == 0, "stderr: %s", err);
    const char *nl = strchr(err, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_msg(nl[1] == '\0', "more than one line on stderr: %s", err);
}

static char *temp_file(const void *data, size_t len)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/gs-cli-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    static unsigned char buf[1 << 20];
    *len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    return buf;
}

START_TEST(test_cli_help_and_version)
{
    init_paths();
    char *out, *err;
    ck_assert_int_eq(run(&out, &err, "--help", NULL, NULL, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "Usage: gridsensor"));
    ck_assert_ptr_nonnull(strstr(out, "--log-events"));
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    ck_assert_int_eq(run(&out, &err, "--version", NULL, NULL, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "gridsensor "));
    free(out);
    free(err);
    ck_assert_int_eq(run(&out, &err, "--show-config", NULL, NULL, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "flow.max_flows"));
    free(out);
    free(err);
}
END_TEST

START_TEST(test_cli_bad_usage)
{
    init_paths();
    char *out, *err;
    const char *cases[][3] = {
        {"--bogus", NULL, NULL},
        {NULL, NULL, NULL},
        {"-r", demo, "-i"},
        {"-r", demo, "--set"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(run(&out, &err, cases[i][0], cases[i][1], cases[i][2], NULL, NULL), 2);
        assert_one_line(err);
        ck_assert_str_eq(out, "");
        free(out);
        free(err);
    }
    ck_assert_int_eq(run(&out, &err, "-r", demo, "-i", "lo", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "not both"));
    free(out);
    free(err);
    ck_assert_int_eq(run(&out, &err, "--set", "flow.max_flows=0", "-r", demo, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "flow.max_flows"));
    free(out);
    free(err);
    ck_assert_int_eq(run(&out, &err, "-o", "tcp://x", "-r", demo, NULL), 2);
    assert_one_line(err);
    free(out);
    free(err);
    ck_assert_int_eq(run(&out, &err, "-i", "no-such-iface0", NULL, NULL, NULL), 2);
    assert_one_line(err);
    ck_assert_ptr_nonnull(strstr(err, "no-such-iface0"));
    free(out);
    free(err);
}
END_TEST

START_TEST(test_cli_bad_inputs)
{
    init_paths();
    char *out, *err;
    ck_assert_int_eq(run(&out, &err, "-r", "/nonexistent.pcap", NULL, NULL, NULL), 2);
    assert_one_line(err);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.pcap"));
    free(out);
    free(err);

    char *text = temp_file("this is not a capture\n", 22);
    ck_assert_int_eq(run(&out, &err, "-r", text, NULL, NULL, NULL), 2);
    assert_one_line(err);
    ck_assert_ptr_nonnull(strstr(err, "not a pcap or pcapng"));
    unlink(text);
    free(out);
    free(err);

    ck_assert_int_eq(run(&out, &err, "-r", "/tmp", NULL, NULL, NULL), 2);
    assert_one_line(err);
    free(out);
    free(err);

    /* A missing file after a good one is refused before anything is read. */
    ck_assert_int_eq(run(&out, &err, "--stats", "-r", demo, "/nonexistent.pcap", NULL), 2);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);

    size_t len;
    unsigned char *bytes = slurp(demo, &len);
    /* Cut inside the file header. */
    char *cut = temp_file(bytes, 10);
    ck_assert_int_eq(run(&out, &err, "--stats", "-r", cut, NULL, NULL), 2);
    assert_one_line(err);
    unlink(cut);
    free(out);
    free(err);

    /* Cut in the middle of a packet: the packets before it are processed and reported. */
    cut = temp_file(bytes, len - 20);
    ck_assert_int_eq(run(&out, &err, "--stats", "-r", cut, NULL, NULL), 2);
    assert_one_line(err);
    json_t *stats = gs_test_find_stats(out);
    ck_assert_ptr_nonnull(stats);
    json_int_t packets =
        json_integer_value(json_object_get(json_object_get(stats, "stats"), "packets"));
    ck_assert_int_eq(packets, gs_test_count_packets(demo) - 1);
    json_decref(stats);
    unlink(cut);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_cli_several_files_one_clock)
{
    init_paths();
    char *out, *err;
    ck_assert_int_eq(run(&out, &err, "--stats", "-r", demo, demo, NULL), 0);
    ck_assert_str_eq(err, "");
    json_t *stats = gs_test_find_stats(out);
    ck_assert_ptr_nonnull(stats);
    json_t *s = json_object_get(stats, "stats");
    ck_assert_int_eq(json_integer_value(json_object_get(s, "packets")),
                     2 * gs_test_count_packets(demo));
    ck_assert_int_eq(json_integer_value(json_object_get(s, "files")), 2);
    json_decref(stats);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_cli_file_output)
{
    init_paths();
    char path[] = "/tmp/gs-cli-out-XXXXXX";
    close(mkstemp(path));
    char spec[64];
    snprintf(spec, sizeof(spec), "file:%s", path);
    char *out, *err;
    ck_assert_int_eq(run(&out, &err, "--stats", "-o", spec, "-r", demo), 0);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    size_t len;
    char *written = slurp(path, &len);
    written[len] = '\0';
    json_t *stats = gs_test_find_stats(written);
    ck_assert_ptr_nonnull(stats);
    json_decref(stats);
    unlink(path);
}
END_TEST

static Suite *suite_cli(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_help_and_version);
    tcase_add_test(tc, test_cli_bad_usage);
    tcase_add_test(tc, test_cli_bad_inputs);
    tcase_add_test(tc, test_cli_several_files_one_clock);
    tcase_add_test(tc, test_cli_file_output);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_cli)
