/*
 * test_dnp3_regress.c - every DNP3 capture of ../shared/pcaps through `gridsensor --log-events`,
 * frame by frame against tests/regress/dnp3/expected.tsv: what tshark 4.0.17 reports
 * (frame, function code(s), object type codes), with the frames where tshark is wrong
 * corrected (scripts/dnp3-regress-expected.sh, tests/regress/dnp3/tshark-corrections.tsv).
 * Also: nothing on stderr (a sanitizer report would be there). Skips without the folder.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define MAX_FRAMES   8192
#define MAX_REPORTED 6

struct frame_line {
    long frame;
    char fc[128];
    char objs[4096];
};

struct capture {
    char path[1024];
    struct frame_line *want;
    size_t n_want;
};

static void append(char *dst, size_t cap, const char *item)
{
    size_t len = strlen(dst);
    snprintf(dst + len, cap - len, "%s%s", len ? "," : "", item);
}

/* Our view of a capture: dnp3 records merged per pcap_cnt, in frame order. */
static size_t run_capture(const char *dir, const char *cap, struct frame_line *got, char **err_out)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, cap);
    char *argv[] = {(char *)gs_test_gridsensor(), "--log-events", "-r", path, NULL};
    char *out, *err;
    int rc = gs_test_run(argv, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", cap, rc, err);
    size_t n = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_error_t jerr;
        json_t *rec = json_loads(line, 0, &jerr);
        ck_assert_msg(rec != NULL, "%s: bad JSON: %s", cap, jerr.text);
        const char *type = json_string_value(json_object_get(rec, "event_type"));
        json_t *d = json_object_get(rec, "dnp3");
        if (type == NULL || strcmp(type, "dnp3") != 0 || d == NULL) {
            json_decref(rec);
            continue;
        }
        long frame = (long)json_integer_value(json_object_get(rec, "pcap_cnt"));
        struct frame_line *fl = NULL;
        for (size_t k = 0; k < n; k++) {
            if (got[k].frame == frame)
                fl = &got[k];
        }
        if (fl == NULL) {
            ck_assert_uint_lt(n, MAX_FRAMES);
            fl = &got[n++];
            memset(fl, 0, sizeof(*fl));
            fl->frame = frame;
        }
        char item[32];
        snprintf(item, sizeof(item), "%lld",
                 (long long)json_integer_value(json_object_get(d, "function_code")));
        append(fl->fc, sizeof(fl->fc), item);
        json_t *objs = json_object_get(d, "objects");
        for (size_t k = 0; k < json_array_size(objs); k++) {
            json_t *o = json_array_get(objs, k);
            snprintf(item, sizeof(item), "0x%02llx%02llx",
                     (long long)json_integer_value(json_object_get(o, "group")),
                     (long long)json_integer_value(json_object_get(o, "variation")));
            append(fl->objs, sizeof(fl->objs), item);
        }
        json_decref(rec);
    }
    /* Frame order (records of a flow flushed at its end may come late). */
    for (size_t a = 1; a < n; a++) {
        for (size_t b = a; b > 0 && got[b - 1].frame > got[b].frame; b--) {
            struct frame_line t = got[b];
            got[b] = got[b - 1];
            got[b - 1] = t;
        }
    }
    free(out);
    *err_out = err;
    return n;
}

static bool same(const struct frame_line *a, const struct frame_line *b)
{
    return a->frame == b->frame && strcmp(a->fc, b->fc) == 0 && strcmp(a->objs, b->objs) == 0;
}

/* Compares one capture; returns the number of differing frames (and prints the first few). */
static size_t check_capture(const char *dir, const struct capture *c, struct frame_line *got,
                            size_t *frames)
{
    char *err;
    size_t n = run_capture(dir, c->path, got, &err);
    ck_assert_msg(err[0] == '\0', "%s: stderr: %s", c->path, err);
    free(err);
    size_t i = 0, j = 0, bad = 0;
    while (i < c->n_want || j < n) {
        const struct frame_line *w = i < c->n_want ? &c->want[i] : NULL;
        const struct frame_line *g = j < n ? &got[j] : NULL;
        if (w != NULL && g != NULL && w->frame == g->frame) {
            if (!same(w, g) && bad++ < MAX_REPORTED)
                fprintf(stderr, "%s frame %ld: want %s [%s], got %s [%s]\n", c->path, w->frame,
                        w->fc, w->objs, g->fc, g->objs);
            i++;
            j++;
        } else if (g == NULL || (w != NULL && w->frame < g->frame)) {
            if (bad++ < MAX_REPORTED)
                fprintf(stderr, "%s frame %ld: want %s [%s], got nothing\n", c->path, w->frame,
                        w->fc, w->objs);
            i++;
        } else {
            if (bad++ < MAX_REPORTED)
                fprintf(stderr, "%s frame %ld: want nothing, got %s [%s]\n", c->path, g->frame,
                        g->fc, g->objs);
            j++;
        }
    }
    *frames += c->n_want;
    return bad;
}

START_TEST(test_dnp3_regress_against_tshark)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; DNP3 tshark regression not run\n");
        return;
    }
    char expected[4096];
    snprintf(expected, sizeof(expected), "%s/tests/regress/dnp3/expected.tsv",
             gs_test_source_dir());
    FILE *fp = fopen(expected, "r");
    ck_assert_ptr_nonnull(fp);
    struct frame_line *got = calloc(MAX_FRAMES, sizeof(*got));
    struct capture c;
    memset(&c, 0, sizeof(c));
    c.want = calloc(MAX_FRAMES, sizeof(*c.want));
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_nonnull(c.want);
    size_t captures = 0, frames = 0, bad = 0, bad_captures = 0;
    char line[16384];
    bool have = false;
    for (;;) {
        char *l = fgets(line, sizeof(line), fp);
        if (l == NULL || strncmp(line, "@capture\t", 9) == 0) {
            if (have) {
                size_t d = check_capture(dir, &c, got, &frames);
                bad += d;
                bad_captures += d != 0;
                captures++;
            }
            if (l == NULL)
                break;
            line[strcspn(line, "\n")] = '\0';
            snprintf(c.path, sizeof(c.path), "%s", line + 9);
            c.n_want = 0;
            have = true;
            continue;
        }
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        ck_assert_uint_lt(c.n_want, MAX_FRAMES);
        struct frame_line *w = &c.want[c.n_want++];
        memset(w, 0, sizeof(*w));
        char *fields[3] = {line, NULL, NULL};
        for (int k = 1; k < 3; k++) {
            char *tab = fields[k - 1] != NULL ? strchr(fields[k - 1], '\t') : NULL;
            if (tab != NULL) {
                *tab = '\0';
                fields[k] = tab + 1;
            }
        }
        if (fields[2] != NULL)
            fields[2][strcspn(fields[2], "\t")] = '\0';
        w->frame = strtol(fields[0], NULL, 10);
        snprintf(w->fc, sizeof(w->fc), "%s", fields[1] ? fields[1] : "");
        snprintf(w->objs, sizeof(w->objs), "%s", fields[2] ? fields[2] : "");
    }
    fclose(fp);
    free(got);
    free(c.want);
    printf("dnp3 regression: %zu captures, %zu frames, %zu differing frames in %zu captures\n",
           captures, frames, bad, bad_captures);
    ck_assert_uint_ge(captures, 200);
    ck_assert_uint_ge(frames, 2000);
    ck_assert_msg(bad == 0, "%zu frames differ from tests/regress/dnp3/expected.tsv", bad);
}
END_TEST

static Suite *suite_dnp3_regress(void)
{
    Suite *s = suite_create("dnp3_regress");
    TCase *tc = tcase_create("tshark");
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, test_dnp3_regress_against_tshark);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_dnp3_regress)
