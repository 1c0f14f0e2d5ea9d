/*
 * test_goose_regress.c - gridsensor against tshark on every GOOSE, SV, R-GOOSE and R-SV
 * capture: for each tests/regress/goose_sv/<capture>.expected (written by
 * scripts/goose-sv-expected.py), `gridsensor --log-events` over the capture must give the same
 * lines: per GOOSE PDU (gocbRef, stNum, sqNum), per SV ASDU (svID, smpCnt), per R-session SPDU
 * its header, key id and tag, and per layer-2 62351-6 extension its format, key id and tag;
 * and for every tag the script verified, the event's coverage candidates must include the
 * exact range the MAC verifies over. Captures from ../shared/pcaps are skipped, with a message,
 * when that folder is absent.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define MAX_FILES 64

static char *files[MAX_FILES];
static int n_files;

struct lines {
    char **v;
    size_t n, cap;
};

static void add(struct lines *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap * 2 + 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        ck_assert_ptr_nonnull(l->v);
    }
    l->v[l->n] = strdup(s);
    ck_assert_ptr_nonnull(l->v[l->n]);
    l->n++;
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The verified range of the expected spdu/sec line for a frame: "FROM\tTO", or NULL. */
static const char *expected_range(const struct lines *exp, const char *kind, long frame)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s\t%ld\t", kind, frame);
    for (size_t i = 0; i < exp->n; i++) {
        if (strncmp(exp->v[i], prefix, strlen(prefix)) != 0)
            continue;
        const char *last = strrchr(exp->v[i], '\t');
        const char *p = last;
        while (p > exp->v[i] && p[-1] != '\t')
            p--;
        return p > exp->v[i] ? p : NULL;
    }
    return NULL;
}

/* "FROM\tTO" when a coverage candidate has exactly the expected range, else the first one. */
static void coverage_text(json_t *sec, const char *want, char *out, size_t cap)
{
    json_t *cov = json_object_get(sec, "coverage");
    snprintf(out, cap, "-\t-");
    if (want == NULL || strncmp(want, "-\t-", 3) == 0 || json_array_size(cov) == 0)
        return;
    for (size_t i = 0; i < json_array_size(cov); i++) {
        json_t *c = json_array_get(cov, i);
        char text[64];
        snprintf(text, sizeof(text), "%lld\t%lld",
                 (long long)json_integer_value(json_object_get(c, "from")),
                 (long long)json_integer_value(json_object_get(c, "to")));
        if (strcmp(text, want) == 0 || i == 0)
            snprintf(out, cap, "%s", text);
        if (strcmp(text, want) == 0)
            return;
    }
}

static const char *str_or_empty(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

static void num_or_empty(json_t *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else
        out[0] = '\0';
}

static const char *si_hex(const char *name)
{
    static const char *const names[] = {"tunnel", "goose", "sv", "management"};
    static const char *const hex[] = {"a0", "a1", "a2", "a3"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0)
            return hex[i];
    }
    return "??";
}

static const char *format_short(const char *format)
{
    if (strcmp(format, "62351-6:2007") == 0)
        return "2007";
    if (strcmp(format, "62351-6:2020-draft-tagged") == 0)
        return "2020-tagged";
    if (strcmp(format, "62351-6:2020-model-packed") == 0)
        return "2020-packed";
    return format;
}

/* The lines gridsensor's records give, in the expected files' format. */
static void actual_lines(const char *output, const struct lines *exp, struct lines *act)
{
    long last_spdu_frame = -1;
    for (const char *line = output; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_error_t jerr;
        json_t *rec = json_loadb(line, len, 0, &jerr);
        ck_assert_msg(rec != NULL, "unparsable record: %.*s", (int)len, line);
        line = end ? end + 1 : NULL;
        const char *type = str_or_empty(rec, "event_type");
        long frame = (long)json_integer_value(json_object_get(rec, "pcap_cnt"));
        json_t *o = json_object_get(rec, type);
        if (strcmp(type, "goose") != 0 && strcmp(type, "sv") != 0) {
            json_decref(rec);
            continue;
        }
        char buf[8192], a[32], b[32];
        json_t *session = json_object_get(o, "session");
        json_t *sec = json_object_get(o, "security");
        if (strcmp(type, "goose") == 0 &&
            (session == NULL || strcmp(str_or_empty(o, "pdu"), "none") != 0)) {
            num_or_empty(o, "st_num", a, sizeof(a));
            num_or_empty(o, "sq_num", b, sizeof(b));
            snprintf(buf, sizeof(buf), "goose\t%ld\t%s\t%s\t%s", frame, str_or_empty(o, "gocb_ref"),
                     a, b);
            add(act, buf);
        }
        json_t *asdus = json_object_get(o, "asdus");
        /* ASDUs with neither svID nor smpCnt give no line (the script sees nothing of them) */
        for (size_t i = 0, k = 0; strcmp(type, "sv") == 0 && i < json_array_size(asdus); i++) {
            json_t *asdu = json_array_get(asdus, i);
            num_or_empty(asdu, "smp_cnt", a, sizeof(a));
            if (a[0] == '\0' && json_object_get(asdu, "sv_id") == NULL)
                continue;
            snprintf(buf, sizeof(buf), "sv\t%ld\t%zu\t%s\t%s", frame, k++,
                     str_or_empty(asdu, "sv_id"), a);
            add(act, buf);
        }
        char range[64];
        if (session != NULL && frame != last_spdu_frame) {
            last_spdu_frame = frame;
            coverage_text(sec, expected_range(exp, "spdu", frame), range, sizeof(range));
            snprintf(buf, sizeof(buf), "spdu\t%ld\t%s\t%lld\t%lld\t%s\t%s\t%s", frame,
                     si_hex(str_or_empty(session, "si")),
                     (long long)json_integer_value(json_object_get(session, "spdu_num")),
                     (long long)json_integer_value(json_object_get(session, "version")),
                     str_or_empty(sec, "key_id_hex"), str_or_empty(sec, "tag"), range);
            add(act, buf);
        } else if (session == NULL && json_is_true(json_object_get(sec, "present"))) {
            coverage_text(sec, expected_range(exp, "sec", frame), range, sizeof(range));
            num_or_empty(sec, "key_id", a, sizeof(a));
            snprintf(buf, sizeof(buf), "sec\t%ld\t%s\t%s\t%s\t%s", frame,
                     format_short(str_or_empty(sec, "format")), a[0] ? a : "-",
                     str_or_empty(sec, "tag"), range);
            add(act, buf);
        }
        json_decref(rec);
    }
}

START_TEST(test_goose_regress_capture)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/regress/goose_sv/%s", gs_test_source_dir(), files[_i]);
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    struct lines exp = {0}, act = {0};
    char capture[4096] = "";
    char line[16384];
    while (fgets(line, sizeof(line), fp) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "# capture: ", 11) == 0)
            snprintf(capture, sizeof(capture), "%s", line + 11);
        else if (line[0] != '#' && line[0] != '\0')
            add(&exp, line);
    }
    fclose(fp);
    char pcap[4096];
    if (strncmp(capture, "shared:", 7) == 0) {
        const char *dir = gs_test_shared_pcaps();
        if (dir == NULL) {
            fprintf(stderr, "SKIP: ../shared/pcaps is absent; %s not compared\n", files[_i]);
            lines_free(&exp);
            return;
        }
        snprintf(pcap, sizeof(pcap), "%s/%s", dir, capture + 7);
    } else {
        ck_assert_msg(strncmp(capture, "project:", 8) == 0, "%s: no capture line", files[_i]);
        snprintf(pcap, sizeof(pcap), "%s/%s", gs_test_source_dir(), capture + 8);
    }
    char *argv[] = {(char *)gs_test_gridsensor(), "--log-events", "-r", pcap, NULL};
    char *out, *err;
    int rc = gs_test_run(argv, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", capture, rc, err);
    ck_assert_msg(err[0] == '\0', "%s: stderr: %s", capture, err);
    actual_lines(out, &exp, &act);
    qsort(exp.v, exp.n, sizeof(*exp.v), cmp);
    qsort(act.v, act.n, sizeof(*act.v), cmp);
    size_t i = 0;
    while (i < exp.n && i < act.n && strcmp(exp.v[i], act.v[i]) == 0)
        i++;
    ck_assert_msg(i == exp.n && i == act.n,
                  "%s: %zu expected lines, %zu from gridsensor; first difference:\n  expected: "
                  "%s\n  got:      %s",
                  capture, exp.n, act.n, i < exp.n ? exp.v[i] : "(none)",
                  i < act.n ? act.v[i] : "(none)");
    printf("%s: %zu lines match\n", capture, exp.n);
    free(out);
    free(err);
    lines_free(&exp);
    lines_free(&act);
}
END_TEST

static Suite *suite_goose_regress(void)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/regress/goose_sv", gs_test_source_dir());
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL && n_files < MAX_FILES) {
        size_t len = strlen(e->d_name);
        if (len > 9 && strcmp(e->d_name + len - 9, ".expected") == 0)
            files[n_files++] = strdup(e->d_name);
    }
    if (d != NULL)
        closedir(d);
    qsort(files, (size_t)n_files, sizeof(*files), cmp);
    Suite *s = suite_create("goose_regress");
    TCase *tc = tcase_create("captures");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_goose_regress_capture, 0, n_files);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_goose_regress)
