/*
 * test_shared_pcaps.c - every real-world capture in ../shared/pcaps through the sensor:
 * exit 0, nothing on stderr (a sanitizer report would be there), and stats.packets equal to
 * the frame count the MANIFEST records (capinfos). Skipped, with a message, without the folder.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

START_TEST(test_shared_pcaps_packet_counts)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; real-capture regression not run\n");
        return;
    }
    char manifest[4096];
    snprintf(manifest, sizeof(manifest), "%s/MANIFEST.tsv", dir);
    FILE *fp = fopen(manifest, "r");
    ck_assert_ptr_nonnull(fp);
    char line[8192];
    int checked = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp)); /* header */
    while (fgets(line, sizeof(line), fp) != NULL) {
        /* local_path, repo, path_in_repo, commit, license, sha256, frames, ... */
        char *fields[8] = {0};
        char *p = line;
        for (int i = 0; i < 8 && p != NULL; i++) {
            fields[i] = p;
            p = strchr(p, '\t');
            if (p != NULL)
                *p++ = '\0';
        }
        if (fields[6] == NULL)
            continue;
        long frames = strtol(fields[6], NULL, 10);
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, fields[0]);
        char *argv[] = {(char *)gs_test_gridsensor(), "--stats", "-r", path, NULL};
        char *out, *err;
        int rc = gs_test_run(argv, &out, &err);
        ck_assert_msg(rc == 0, "%s: exit %d: %s", fields[0], rc, err);
        ck_assert_msg(err[0] == '\0', "%s: stderr: %s", fields[0], err);
        json_t *stats = gs_test_find_stats(out);
        ck_assert_msg(stats != NULL, "%s: no stats record", fields[0]);
        json_int_t packets =
            json_integer_value(json_object_get(json_object_get(stats, "stats"), "packets"));
        ck_assert_msg(packets == frames, "%s: %lld packets, MANIFEST says %ld", fields[0],
                      (long long)packets, frames);
        json_decref(stats);
        free(out);
        free(err);
        checked++;
    }
    fclose(fp);
    ck_assert_int_gt(checked, 250);
    printf("checked %d shared captures\n", checked);
}
END_TEST

static Suite *suite_shared_pcaps(void)
{
    Suite *s = suite_create("shared_pcaps");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_shared_pcaps_packet_counts);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_shared_pcaps)
