/*
 * test_mms_regress.c - `gridsensor --log-events` over every capture of ../shared/pcaps that
 * carries an ISO stack on TCP 102, compared per frame with tshark 4.0's view of MMS: each
 * MMS PDU's type and service, at the frame that completed it.
 *
 * tests/regress/mms/expected.tsv is written by scripts/mms-expected.py. Its "-" lines are
 * tshark as installed; its "ctx3" lines are PDUs of captures that begin mid-association,
 * which tshark decodes only when told by hand that presentation context 3 is MMS. There
 * gridsensor goes beyond tshark: it needs no such hint, and this test requires those PDUs to
 * have been found by probing the BER (path "probed"). tests/regress/mms/beyond_tshark.tsv
 * lists, with the reason for each, the PDUs tshark does not decode at all (MMS straight on
 * COTP that its heuristic refuses; an AC SPDU it finds malformed). Every other PDU must match
 * exactly, both ways. The S7comm and plain-COTP captures must yield no MMS PDU.
 *
 * The project's own pcaps/mms_station.pcap (pcaps/gen/gen_mms.c: three IEDs interleaved,
 * COTP segmentation, file services, controls, a mid-association flow) is compared the same
 * way, and is never skipped.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define MAX_CAPTURES 128
#define FIELD_LEN    64

struct want {
    long frame;
    char pdu[FIELD_LEN];
    char service[FIELD_LEN];
    char how[FIELD_LEN];  /* "-", "ctx3" or "beyond" */
    char path[FIELD_LEN]; /* required gridsensor path for "beyond" lines */
    bool matched;
};

struct capture {
    char path[1024];
    long frames;
    struct want *wants;
    size_t n, cap;
};

struct expected {
    struct capture caps[MAX_CAPTURES];
    size_t n;
};

static void add_want(struct capture *c, const struct want *w)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->wants = realloc(c->wants, c->cap * sizeof(*c->wants));
        ck_assert_ptr_nonnull(c->wants);
    }
    c->wants[c->n++] = *w;
}

/* Splits a tab-separated line in place into at most max fields; returns the count. */
static int split(char *line, char **fields, int max)
{
    line[strcspn(line, "\r\n")] = '\0';
    int n = 0;
    char *p = line;
    while (n < max && p != NULL) {
        fields[n++] = p;
        p = strchr(p, '\t');
        if (p != NULL)
            *p++ = '\0';
    }
    return n;
}

static void copy_field(char *dst, const char *src)
{
    snprintf(dst, FIELD_LEN, "%s", src);
}

static FILE *open_regress(const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/regress/mms/%s", gs_test_source_dir(), name);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    return fp;
}

static struct capture *find_capture(struct expected *e, const char *path)
{
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->caps[i].path, path) == 0)
            return &e->caps[i];
    }
    return NULL;
}

static void load_expected(struct expected *e)
{
    memset(e, 0, sizeof(*e));
    FILE *fp = open_regress("expected.tsv");
    char line[8192];
    struct capture *cur = NULL;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[0] == '#')
            continue;
        char *f[4];
        int n = split(line, f, 4);
        if (strcmp(f[0], "capture") == 0) {
            ck_assert_int_eq(n, 3);
            ck_assert_uint_lt(e->n, MAX_CAPTURES);
            cur = &e->caps[e->n++];
            snprintf(cur->path, sizeof(cur->path), "%s", f[1]);
            cur->frames = strtol(f[2], NULL, 10);
            continue;
        }
        ck_assert_int_eq(n, 4);
        ck_assert_ptr_nonnull(cur);
        struct want w = {.frame = strtol(f[0], NULL, 10)};
        copy_field(w.pdu, f[1]);
        copy_field(w.service, f[2]);
        copy_field(w.how, f[3]);
        add_want(cur, &w);
    }
    fclose(fp);

    fp = open_regress("beyond_tshark.tsv");
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *f[6];
        ck_assert_int_eq(split(line, f, 6), 6);
        struct capture *c = find_capture(e, f[0]);
        ck_assert_msg(c != NULL, "beyond_tshark.tsv names %s, not in expected.tsv", f[0]);
        struct want w = {.frame = strtol(f[1], NULL, 10)};
        copy_field(w.pdu, f[2]);
        copy_field(w.service, f[3]);
        copy_field(w.how, "beyond");
        copy_field(w.path, f[4]);
        add_want(c, &w);
    }
    fclose(fp);
}

static void free_expected(struct expected *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->caps[i].wants);
}

#define PROJECT_PREFIX "project:"

/* The file of a capture named in expected.tsv: "project:pcaps/..." lives in the source tree,
 * the rest in ../shared/pcaps. NULL when the shared captures are absent. */
static char *capture_file(const char *capture, char *out, size_t cap)
{
    size_t plen = strlen(PROJECT_PREFIX);
    if (strncmp(capture, PROJECT_PREFIX, plen) == 0) {
        snprintf(out, cap, "%s/%s", gs_test_source_dir(), capture + plen);
        return out;
    }
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL)
        return NULL;
    snprintf(out, cap, "%s/%s", dir, capture);
    return out;
}

/* Runs gridsensor --log-events over one capture; returns its records, one JSON per line. */
static char *run_capture(const char *capture)
{
    char path[4096];
    ck_assert_ptr_nonnull(capture_file(capture, path, sizeof(path)));
    char *argv[] = {(char *)gs_test_gridsensor(), "--log-events", "-r", path, NULL};
    char *out, *err;
    int rc = gs_test_run(argv, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", capture, rc, err);
    ck_assert_msg(err[0] == '\0', "%s: stderr: %s", capture, err);
    free(err);
    return out;
}

struct tally {
    size_t tshark, told, beyond, pdus;
};

static void compare_capture(struct capture *c, char *out, struct tally *t)
{
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_t *rec = json_loads(line, 0, NULL);
        ck_assert_msg(rec != NULL, "%s: a record is not JSON", c->path);
        json_t *mms = json_object_get(rec, "mms");
        const char *type = json_string_value(json_object_get(rec, "event_type"));
        const char *pdu = json_string_value(json_object_get(mms, "pdu"));
        if (type == NULL || strcmp(type, "mms") != 0 || pdu == NULL) {
            json_decref(rec);
            continue;
        }
        long frame = (long)json_integer_value(json_object_get(rec, "pcap_cnt"));
        const char *service = json_string_value(json_object_get(mms, "service"));
        const char *path = json_string_value(json_object_get(mms, "path"));
        if (service == NULL)
            service = "-";
        t->pdus++;
        struct want *hit = NULL;
        for (size_t i = 0; i < c->n && hit == NULL; i++) {
            struct want *w = &c->wants[i];
            if (!w->matched && w->frame == frame && strcmp(w->pdu, pdu) == 0 &&
                strcmp(w->service, service) == 0)
                hit = w;
        }
        ck_assert_msg(hit != NULL, "%s frame %ld: gridsensor reports %s %s, tshark does not",
                      c->path, frame, pdu, service);
        hit->matched = true;
        if (strcmp(hit->how, "ctx3") == 0) {
            ck_assert_msg(path != NULL && strcmp(path, "probed") == 0,
                          "%s frame %ld: decoded mid-association by %s, not by probing", c->path,
                          frame, path);
            t->told++;
        } else if (strcmp(hit->how, "beyond") == 0) {
            ck_assert_msg(path != NULL && strcmp(path, hit->path) == 0,
                          "%s frame %ld: path %s, beyond_tshark.tsv says %s", c->path, frame, path,
                          hit->path);
            t->beyond++;
        } else {
            t->tshark++;
        }
        json_decref(rec);
    }
    for (size_t i = 0; i < c->n; i++) {
        const struct want *w = &c->wants[i];
        ck_assert_msg(w->matched, "%s frame %ld: tshark (%s) reports %s %s, gridsensor does not",
                      c->path, w->frame, w->how, w->pdu, w->service);
    }
}

START_TEST(test_mms_regress_pdus_match_tshark)
{
    bool shared = gs_test_shared_pcaps() != NULL;
    if (!shared)
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; only the project's MMS captures are "
                        "compared with tshark\n");
    static struct expected e;
    load_expected(&e);
    ck_assert_uint_ge(e.n, 50);
    struct tally t = {0};
    size_t run = 0;
    for (size_t i = 0; i < e.n; i++) {
        char path[4096];
        if (capture_file(e.caps[i].path, path, sizeof(path)) == NULL)
            continue;
        char *out = run_capture(e.caps[i].path);
        compare_capture(&e.caps[i], out, &t);
        free(out);
        run++;
    }
    printf("mms: %zu captures, %zu PDUs: %zu as tshark, %zu as tshark told the presentation "
           "context (found by probing), %zu beyond tshark\n",
           run, t.pdus, t.tshark, t.told, t.beyond);
    ck_assert_uint_gt(t.tshark, shared ? 2500 : 50);
    ck_assert_uint_gt(t.told, shared ? 80 : 20);
    free_expected(&e);
}
END_TEST

/* ---- spot checks of what the events say, beyond type and service -------------------------- */

/* The `index`-th mms record at `frame` of a capture (as expected.tsv names it), as JSON
 * (caller frees); NULL when the shared captures are absent. */
static json_t *mms_at(const char *capture, long frame, int index)
{
    char path[4096];
    if (capture_file(capture, path, sizeof(path)) == NULL)
        return NULL;
    char *out = run_capture(capture);
    json_t *found = NULL;
    for (char *line = strtok(out, "\n"); line != NULL && found == NULL; line = strtok(NULL, "\n")) {
        json_t *rec = json_loads(line, 0, NULL);
        json_t *mms = json_object_get(rec, "mms");
        if (mms != NULL && json_integer_value(json_object_get(rec, "pcap_cnt")) == frame &&
            index-- == 0)
            found = json_incref(mms);
        json_decref(rec);
    }
    free(out);
    ck_assert_msg(found != NULL, "%s: no mms record at frame %ld", capture, frame);
    return found;
}

static const char *str_at(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    ck_assert_msg(s != NULL, "no string %s", key);
    return s;
}

#define SMARTGRID "smartgridadsc__MMS-protocol-parser-for-Zeek-IDS/tests/Traces/"

/* A mid-association Oper write (tshark told the context shows the same object and fields). */
START_TEST(test_mms_regress_operate)
{
    json_t *m = mms_at(SMARTGRID "write.pcap", 4, 0);
    if (m == NULL)
        return;
    json_t *ctl = json_object_get(m, "control");
    ck_assert_str_eq(str_at(ctl, "object"), "WAGO61850ServerLogicalDevice/GGIO12$CO$SPCSO$Oper");
    ck_assert_str_eq(str_at(ctl, "action"), "operate");
    ck_assert(json_is_true(json_object_get(ctl, "value")));
    ck_assert_int_eq(json_integer_value(json_object_get(ctl, "orcat")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(ctl, "ctl_num")), 48);
    ck_assert(json_is_false(json_object_get(ctl, "test")));
    ck_assert(json_is_true(json_object_get(ctl, "time_activated")));
    ck_assert_int_eq(json_integer_value(json_object_get(m, "invoke_id")), 32720);
    json_decref(m);
    m = mms_at(SMARTGRID "write.pcap", 5, 0);
    json_t *r0 = json_array_get(json_object_get(m, "results"), 0);
    ck_assert(json_is_true(json_object_get(r0, "success")));
    json_decref(m);
}
END_TEST

/* File services: names, FRSM id, directory listing. */
START_TEST(test_mms_regress_files)
{
    json_t *m = mms_at(SMARTGRID "obtainFile.pcap", 12, 0);
    if (m == NULL)
        return;
    json_t *files = json_object_get(m, "files");
    ck_assert_str_eq(json_string_value(json_array_get(files, 0)), "testUpload");
    ck_assert_str_eq(json_string_value(json_array_get(files, 1)), "testUpoadDst");
    json_decref(m);
    m = mms_at(SMARTGRID "obtainFile.pcap", 16, 0);
    ck_assert_str_eq(str_at(m, "service"), "fileOpen");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "frsm_id")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "file_size")), 11);
    json_decref(m);
    m = mms_at(SMARTGRID "fileDirectory.pcap", 14, 0);
    files = json_object_get(m, "files");
    ck_assert_uint_eq(json_array_size(files), 2);
    ck_assert_str_eq(json_string_value(json_array_get(files, 0)), "IEDSERVER.BIN");
    ck_assert_str_eq(json_string_value(json_array_get(files, 1)), "test");
    json_decref(m);
}
END_TEST

/* An IEC 61850 report found by probing, and an association with its ACSE facts. */
START_TEST(test_mms_regress_report_and_acse)
{
    json_t *m =
        mms_at("ITI__ICS-Security-Tools/pcaps/IEC61850/Sample_File_MMS_and_GOOSE.pcap", 3, 0);
    if (m == NULL)
        return;
    ck_assert_str_eq(str_at(m, "service"), "informationReport");
    ck_assert_str_eq(str_at(m, "list_name"), "RPT");
    json_t *r0 = json_array_get(json_object_get(m, "results"), 0);
    ck_assert_str_eq(str_at(r0, "value"), "AA1C1Q01A1LD0/LLN0$rcb_I02");
    json_decref(m);
    m = mms_at(SMARTGRID "identify.pcap", 8, 0);
    json_t *acse = json_object_get(m, "acse");
    ck_assert_str_eq(str_at(acse, "pdu"), "aarq");
    ck_assert_str_eq(str_at(acse, "application_context"), "1.0.9506.2.3");
    ck_assert_str_eq(str_at(acse, "called_ap_title"), "1.1.1.999.1");
    ck_assert(json_is_false(json_object_get(acse, "auth_value_present")));
    json_decref(m);
    m = mms_at(SMARTGRID "identify.pcap", 14, 0);
    json_t *id = json_object_get(m, "identify");
    ck_assert_str_eq(str_at(id, "vendor"), "MZ");
    ck_assert_str_eq(str_at(id, "model"), "basic io");
    json_decref(m);
}
END_TEST

#define STATION "project:pcaps/mms_station.pcap"

/* The generated station bus: a password association, the SBOw/Oper/CommandTermination
 * sequence, a refused Oper with LastApplError, file services and the 70000-octet read. */
START_TEST(test_mms_regress_station)
{
    json_t *m = mms_at(STATION, 17, 0);
    json_t *acse = json_object_get(m, "acse");
    ck_assert_str_eq(str_at(acse, "auth_mechanism"), "2.2.3.1");
    ck_assert_str_eq(str_at(acse, "auth_value_form"), "charstring");
    json_decref(m);
    static const struct {
        long frame;
        int index;
        const char *action;
        const char *object;
    } controls[] = {
        {225, 0, "select", "IED1CTRL/CSWI1$CO$Pos$SBOw"},
        {231, 0, "operate", "IED1CTRL/CSWI1$CO$Pos$Oper"},
        {241, 0, "command-termination", "IED1CTRL/CSWI1$CO$Pos$Oper"},
        {247, 0, "select", "IED1CTRL/XCBR1$CO$Pos$SBO"},
        {257, 0, "operate", "IED1CTRL/XCBR1$CO$Pos$Oper"},
        {271, 0, "cancel", "IED1CTRL/XCBR1$CO$Pos$Cancel"},
    };
    for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
        m = mms_at(STATION, controls[i].frame, controls[i].index);
        json_t *ctl = json_object_get(m, "control");
        ck_assert_str_eq(str_at(ctl, "action"), controls[i].action);
        ck_assert_str_eq(str_at(ctl, "object"), controls[i].object);
        json_decref(m);
    }
    m = mms_at(STATION, 259, 0);
    json_t *lae = json_object_get(m, "last_appl_error");
    ck_assert_str_eq(str_at(lae, "object"), "IED1CTRL/XCBR1$CO$Pos$Oper");
    ck_assert_int_eq(json_integer_value(json_object_get(lae, "add_cause")), 10);
    json_decref(m);
    m = mms_at(STATION, 171, 0);
    ck_assert_str_eq(str_at(m, "service"), "fileRead");
    ck_assert(json_is_true(json_object_get(m, "capped")));
    json_decref(m);
}
END_TEST

static Suite *suite_mms_regress(void)
{
    Suite *s = suite_create("mms_regress");
    TCase *tc = tcase_create("tshark");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_mms_regress_pdus_match_tshark);
    tcase_add_test(tc, test_mms_regress_operate);
    tcase_add_test(tc, test_mms_regress_files);
    tcase_add_test(tc, test_mms_regress_report_and_acse);
    tcase_add_test(tc, test_mms_regress_station);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_mms_regress)
