/*
 * test_iec104_regress.c - gridsensor against tshark, frame by frame, on every IEC 104
 * capture: for each expected file in tests/regress/iec104 (made by scripts/gen-iec104-expected.sh
 * from tshark 4.0, with the corrections that script documents), `gridsensor --log-events`
 * must list the same APDUs per frame: U function, S, or I with type id, COT and number of
 * objects. Captures under ../shared/pcaps are skipped, with a message, when it is absent;
 * the project's own pcaps/iec104.pcap is always checked, and its 62351-5 and sequence
 * content asserted record by record.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define MAX_FRAMES 100000

/* Per frame, the APDU descriptors gridsensor reported, space-separated. */
struct view {
    char **line; /* indexed by pcap_cnt */
    size_t n;
};

static void view_add(struct view *v, size_t frame, const char *desc)
{
    ck_assert_uint_lt(frame, MAX_FRAMES);
    if (frame >= v->n) {
        size_t n = frame + 1024;
        v->line = realloc(v->line, n * sizeof(*v->line));
        ck_assert_ptr_nonnull(v->line);
        memset(v->line + v->n, 0, (n - v->n) * sizeof(*v->line));
        v->n = n;
    }
    size_t old = v->line[frame] ? strlen(v->line[frame]) : 0;
    char *s = realloc(v->line[frame], old + strlen(desc) + 2);
    ck_assert_ptr_nonnull(s);
    if (old == 0)
        strcpy(s, desc);
    else
        sprintf(s + old, " %s", desc);
    v->line[frame] = s;
}

static void view_free(struct view *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->line[i]);
    free(v->line);
}

static void field(char *out, size_t cap, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else
        out[0] = '\0';
}

/* The descriptor of one iec104 record, as scripts/iec104_tshark.py writes it. */
static void describe(json_t *ev, char *out, size_t cap)
{
    json_t *apci = json_object_get(ev, "apci");
    const char *format = json_string_value(json_object_get(apci, "format"));
    ck_assert_ptr_nonnull(format);
    if (strcmp(format, "U") == 0) {
        const char *fn = json_string_value(json_object_get(apci, "function"));
        snprintf(out, cap, "U:%s", fn ? fn : "?");
    } else if (strcmp(format, "S") == 0) {
        snprintf(out, cap, "S");
    } else if (json_object_get(ev, "type_id") == NULL) {
        snprintf(out, cap, "I");
    } else {
        char t[16], c[16], n[16];
        field(t, sizeof(t), ev, "type_id");
        field(c, sizeof(c), ev, "cot");
        field(n, sizeof(n), ev, "num_objects");
        snprintf(out, cap, "I:%s/%s/%s", t, c, n);
    }
}

/* Runs gridsensor over a capture; calls fn for every record. */
static void run_records(const char *pcap, void (*fn)(void *, json_t *), void *arg)
{
    char *argv[] = {(char *)gs_test_gridsensor(), "--log-events", "-r", (char *)pcap, NULL};
    char *out, *err;
    int rc = gs_test_run(argv, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", pcap, rc, err);
    ck_assert_msg(err[0] == '\0', "%s: stderr: %s", pcap, err);
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_error_t jerr;
        json_t *rec = json_loads(line, 0, &jerr);
        ck_assert_msg(rec != NULL, "%s: bad JSON: %s", pcap, line);
        fn(arg, rec);
        json_decref(rec);
    }
    free(out);
    free(err);
}

static void collect(void *arg, json_t *rec)
{
    const char *type = json_string_value(json_object_get(rec, "event_type"));
    if (type == NULL || strcmp(type, "iec104") != 0)
        return;
    char desc[64];
    describe(json_object_get(rec, "iec104"), desc, sizeof(desc));
    view_add(arg, (size_t)json_integer_value(json_object_get(rec, "pcap_cnt")), desc);
}

static void sha256_hex(const char *path, char out[65])
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ck_assert_int_eq(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        EVP_DigestUpdate(md, buf, n);
    fclose(fp);
    unsigned char digest[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    EVP_MD_CTX_free(md);
    for (unsigned i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", digest[i]);
}

/*
 * Compares one expected file with gridsensor's view. Returns the number of frames compared,
 * or -1 when the capture lives in an absent ../shared/pcaps.
 */
static long check_expected(const char *path)
{
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    char line[8192], label[4096] = "", sha[80] = "", pcap[8192];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
    ck_assert_int_eq(sscanf(line, "# IEC 104 APDUs per frame of %4095s", label), 1);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
    ck_assert_int_eq(sscanf(line, "# sha256 %64s", sha), 1);
    if (strncmp(label, "pcaps/", 6) == 0) {
        snprintf(pcap, sizeof(pcap), "%s/%s", gs_test_source_dir(), label);
    } else {
        const char *shared = gs_test_shared_pcaps();
        if (shared == NULL) {
            fclose(fp);
            return -1;
        }
        snprintf(pcap, sizeof(pcap), "%s/%s", shared, label);
    }
    char actual_sha[65];
    sha256_hex(pcap, actual_sha);
    ck_assert_msg(strcmp(actual_sha, sha) == 0, "%s changed since %s was generated", pcap, path);

    struct view v = {0};
    run_records(pcap, collect, &v);
    long frames = 0;
    size_t last = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        ck_assert_ptr_nonnull(tab);
        *tab = '\0';
        size_t frame = strtoul(line, NULL, 10);
        /* Frames gridsensor reported that the expected file lacks. */
        for (size_t f = last + 1; f < frame && f < v.n; f++)
            ck_assert_msg(v.line[f] == NULL, "%s frame %zu: expected nothing, got '%s'", label, f,
                          v.line[f]);
        const char *got = frame < v.n && v.line[frame] ? v.line[frame] : "";
        ck_assert_msg(strcmp(got, tab + 1) == 0, "%s frame %zu: expected '%s', got '%s'", label,
                      frame, tab + 1, got);
        last = frame;
        frames++;
    }
    for (size_t f = last + 1; f < v.n; f++)
        ck_assert_msg(v.line[f] == NULL, "%s frame %zu: expected nothing, got '%s'", label, f,
                      v.line[f]);
    fclose(fp);
    view_free(&v);
    printf("%s: %ld frames match\n", label, frames);
    return frames;
}

START_TEST(test_iec104_regress_against_tshark)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/regress/iec104", gs_test_source_dir());
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int files = 0, skipped = 0;
    long frames = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 9, ".expected") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        long n = check_expected(path);
        if (n < 0) {
            skipped++;
            continue;
        }
        files++;
        frames += n;
    }
    closedir(d);
    if (skipped > 0)
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; %d real IEC 104 captures not run\n",
                skipped);
    ck_assert_int_ge(files, 1);
    printf("iec104 regression: %d captures, %ld frames identical to the expected files\n", files,
           frames);
}
END_TEST

/* ---- the generated capture, record by record ---------------------------------------------- */

struct tally {
    int secure_complete[96];  /* per type id: final segments decoded */
    int secure_partial[96];   /* non-final segments */
    int commands_select[128]; /* per type id: select commands */
    int commands_execute[128];
    int anomalies;
    int seq_gap, seq_duplicate, ack_unsent, apdu_too_short, asdu_truncated, objects_short, trailing,
        unknown_type, sa_segment, apdu_too_long, resync, bad_control;
    int max_objects;
    json_t *challenged; /* the S_AR_NA_1's inner ASDU */
};

static void tally_record(void *arg, json_t *rec)
{
    struct tally *t = arg;
    const char *type = json_string_value(json_object_get(rec, "event_type"));
    if (strcmp(type, "anomaly") == 0) {
        const char *name =
            json_string_value(json_object_get(json_object_get(rec, "anomaly"), "event"));
        static const struct {
            const char *name;
            size_t off;
        } names[] = {
            {"iec104.seq_gap", offsetof(struct tally, seq_gap)},
            {"iec104.seq_duplicate", offsetof(struct tally, seq_duplicate)},
            {"iec104.ack_unsent", offsetof(struct tally, ack_unsent)},
            {"iec104.apdu_too_short", offsetof(struct tally, apdu_too_short)},
            {"iec104.asdu_truncated", offsetof(struct tally, asdu_truncated)},
            {"iec104.objects_short", offsetof(struct tally, objects_short)},
            {"iec104.trailing_octets", offsetof(struct tally, trailing)},
            {"iec104.unknown_type", offsetof(struct tally, unknown_type)},
            {"iec104.sa_segment", offsetof(struct tally, sa_segment)},
            {"iec104.apdu_too_long", offsetof(struct tally, apdu_too_long)},
            {"iec104.resync", offsetof(struct tally, resync)},
            {"iec104.bad_control", offsetof(struct tally, bad_control)},
        };
        t->anomalies++;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (strcmp(name, names[i].name) == 0)
                (*(int *)(void *)((char *)t + names[i].off))++;
        }
        return;
    }
    json_t *ev = json_object_get(rec, "iec104");
    json_t *tid = json_object_get(ev, "type_id");
    if (tid == NULL)
        return;
    int id = (int)json_integer_value(tid);
    json_t *sa = json_object_get(ev, "sa");
    if (sa != NULL && id < 96) {
        if (json_is_true(json_object_get(sa, "complete")))
            t->secure_complete[id]++;
        else
            t->secure_partial[id]++;
        json_t *c = json_object_get(sa, "challenged");
        if (c != NULL && t->challenged == NULL)
            t->challenged = json_deep_copy(c);
    }
    json_t *sel = json_object_get(ev, "select");
    if (sel != NULL && id < 128) {
        if (json_is_true(sel))
            t->commands_select[id]++;
        else
            t->commands_execute[id]++;
    }
    int n = (int)json_array_size(json_object_get(ev, "ioas"));
    if (n > t->max_objects)
        t->max_objects = n;
}

START_TEST(test_iec104_regress_generated_content)
{
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/iec104.pcap", gs_test_source_dir());
    struct tally t;
    memset(&t, 0, sizeof(t));
    run_records(pcap, tally_record, &t);

    /* Every 62351-5 type is decoded; the segmented ones (88, 94) in three parts. */
    static const int secure[] = {81, 82, 83, 84, 85, 86, 87, 88, 90, 91, 92, 93, 94, 95};
    for (size_t i = 0; i < sizeof(secure) / sizeof(secure[0]); i++)
        ck_assert_msg(t.secure_complete[secure[i]] >= 1, "type %d not decoded", secure[i]);
    ck_assert_int_eq(t.secure_partial[88], 2);
    ck_assert_int_eq(t.secure_partial[94], 3); /* two parts, and the orphan in the edge flow */
    ck_assert_int_eq(t.secure_complete[85], 2);
    ck_assert_ptr_nonnull(t.challenged);
    ck_assert_int_eq(json_integer_value(json_object_get(t.challenged, "type_id")), 45);
    ck_assert(json_is_false(json_object_get(t.challenged, "select")));
    json_decref(t.challenged);

    /* Select and execute for each set-point and command type that has S/E. */
    static const int se[] = {45, 46, 47, 48, 49, 50, 58, 59, 60, 61, 62, 63};
    for (size_t i = 0; i < sizeof(se) / sizeof(se[0]); i++) {
        ck_assert_msg(t.commands_select[se[i]] >= 2, "type %d selects", se[i]);
        ck_assert_msg(t.commands_execute[se[i]] >= 2, "type %d executes", se[i]);
    }
    ck_assert_int_eq(t.max_objects, 127);

    /* The edge flow's anomalies (two truncated ASDUs and two resynchronisations). */
    ck_assert_int_eq(t.seq_gap, 1);
    ck_assert_int_eq(t.seq_duplicate, 1);
    ck_assert_int_eq(t.ack_unsent, 1);
    ck_assert_int_eq(t.apdu_too_short, 1);
    ck_assert_int_eq(t.asdu_truncated, 2);
    ck_assert_int_eq(t.objects_short, 1);
    ck_assert_int_eq(t.trailing, 2);
    ck_assert_int_eq(t.unknown_type, 12); /* reserved 52..57 and 65..69, and 200 */
    ck_assert_int_eq(t.sa_segment, 1);
    ck_assert_int_eq(t.apdu_too_long, 1);
    ck_assert_int_eq(t.resync, 2);
    ck_assert_int_eq(t.bad_control, 1);
    ck_assert_int_eq(t.anomalies, 26);
}
END_TEST

static Suite *suite_iec104_regress(void)
{
    Suite *s = suite_create("iec104_regress");
    TCase *tc = tcase_create("tshark");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_iec104_regress_against_tshark);
    tcase_add_test(tc, test_iec104_regress_generated_content);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_iec104_regress)
