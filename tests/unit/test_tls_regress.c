/*
 * test_tls_regress.c - gridsensor over TLS captures, compared with expectations that
 * scripts/gen-tls-expected.sh derived from tshark:
 *
 *  - pcaps/tls_62351.pcap (gen_tls.c): without a policy, exactly the "always" alerts of
 *    tests/regress/tls_62351/expected.tsv (rule, client port, pcap_cnt), none on the compliant
 *    connections; with tests/regress/tls_62351/policy.json, exactly all of them, each with its
 *    conduit.
 *  - the TLS captures of ../shared/pcaps (zeek traces: TLS 1.2/1.3, HelloRetryRequest, client
 *    certificates, SSL 2.0, DHE/ECDHE, handshake failure, CVE-2015-3194, TLS on a Modbus
 *    port): exit 0, nothing on stderr, and per frame the clear-text handshake messages,
 *    ChangeCipherSpec (TLS <= 1.2), alerts, JA3, offered suite counts and highest version,
 *    selected version and suite, and certificate sizes that tshark shows
 *    (tests/regress/tls_shared/<capture>.tsv). Skipped without ../shared/pcaps.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define MAX_ROWS 64

/* ---- running the sensor -------------------------------------------------------------------- */

/* Runs gridsensor with the arguments; returns its records as a JSON array (caller frees). */
static json_t *run_sensor(const char *pcap, const char *policy, bool log_events)
{
    char *argv[8];
    int n = 0;
    argv[n++] = (char *)gs_test_gridsensor();
    if (log_events)
        argv[n++] = "--log-events";
    if (policy != NULL) {
        argv[n++] = "--policy";
        argv[n++] = (char *)policy;
    }
    argv[n++] = "-r";
    argv[n++] = (char *)pcap;
    argv[n] = NULL;
    char *out, *err;
    int rc = gs_test_run(argv, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", pcap, rc, err);
    ck_assert_msg(err[0] == '\0', "%s: stderr: %s", pcap, err);
    json_t *records = json_array();
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_error_t jerr;
        json_t *rec = json_loads(line, 0, &jerr);
        ck_assert_msg(rec != NULL, "not JSON: %s", line);
        json_array_append_new(records, rec);
    }
    free(out);
    free(err);
    return records;
}

static const char *str_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_int_t int_at(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* ---- the generated capture ----------------------------------------------------------------- */

struct row {
    char rule[48];
    unsigned port;
    unsigned pcap_cnt;
    bool policy_only;
};

static size_t read_expected(struct row *rows)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/regress/tls_62351/expected.tsv", gs_test_source_dir());
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[0] == '#')
            continue;
        char scope[16];
        ck_assert_uint_lt(n, MAX_ROWS);
        ck_assert_int_eq(
            sscanf(line, "%47s %u %u %15s", rows[n].rule, &rows[n].port, &rows[n].pcap_cnt, scope),
            4);
        rows[n].policy_only = strcmp(scope, "policy") == 0;
        n++;
    }
    fclose(fp);
    return n;
}

/* The client port of a record: the end that is not the TLS server port. */
static unsigned client_port(json_t *rec)
{
    json_int_t sp = int_at(rec, "src_port"), dp = int_at(rec, "dest_port");
    return (unsigned)(dp == 19998 || dp == 3782 ? sp : dp);
}

static void check_generated(const char *policy, bool with_policy)
{
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/tls_62351.pcap", gs_test_source_dir());
    struct row rows[MAX_ROWS];
    size_t n_rows = read_expected(rows);
    bool matched[MAX_ROWS] = {false};
    json_t *records = run_sensor(pcap, policy, false);
    size_t i;
    json_t *rec;
    size_t alerts = 0;
    json_array_foreach(records, i, rec)
    {
        if (strcmp(str_at(rec, "event_type"), "alert") != 0)
            continue;
        alerts++;
        const char *rule = str_at(json_object_get(rec, "alert"), "rule");
        unsigned port = client_port(rec);
        unsigned cnt = (unsigned)int_at(rec, "pcap_cnt");
        bool found = false;
        for (size_t k = 0; k < n_rows && !found; k++) {
            if (matched[k] || strcmp(rows[k].rule, rule) != 0 || rows[k].port != port ||
                (rows[k].policy_only && !with_policy))
                continue;
            ck_assert_msg(rows[k].pcap_cnt == cnt, "%s on %u at %u, expected at %u", rule, port,
                          cnt, rows[k].pcap_cnt);
            matched[k] = found = true;
        }
        ck_assert_msg(found, "unexpected %s on client port %u at %u", rule, port, cnt);
        const char *conduit = str_at(rec, "conduit");
        if (with_policy)
            ck_assert_msg(conduit != NULL && strncmp(conduit, "C-", 2) == 0, "%s: no conduit",
                          rule);
        else
            ck_assert_ptr_null(conduit);
    }
    for (size_t k = 0; k < n_rows; k++) {
        ck_assert_msg(matched[k] || (rows[k].policy_only && !with_policy),
                      "missing %s on client port %u at %u", rows[k].rule, rows[k].port,
                      rows[k].pcap_cnt);
    }
    ck_assert_uint_gt(alerts, 10);
    json_decref(records);
}

START_TEST(test_tls_regress_generated_without_policy)
{
    check_generated(NULL, false);
}
END_TEST

START_TEST(test_tls_regress_generated_with_policy)
{
    char policy[4096];
    snprintf(policy, sizeof(policy), "%s/tests/regress/tls_62351/policy.json",
             gs_test_source_dir());
    check_generated(policy, true);
}
END_TEST

/* The compliant connections' records say what a SIEM would look for. */
START_TEST(test_tls_regress_generated_events)
{
    char pcap[4096];
    snprintf(pcap, sizeof(pcap), "%s/pcaps/tls_62351.pcap", gs_test_source_dir());
    json_t *records = run_sensor(pcap, NULL, true);
    size_t i;
    json_t *rec;
    bool saw_sh = false, saw_cert = false;
    json_array_foreach(records, i, rec)
    {
        json_t *tls = json_object_get(rec, "tls");
        if (tls == NULL || client_port(rec) != 41001)
            continue;
        ck_assert_str_eq(str_at(rec, "app_proto"), "tls");
        ck_assert_str_eq(str_at(tls, "inner"), "iec104");
        const char *msg = str_at(tls, "msg");
        if (strcmp(msg, "server_hello") == 0) {
            saw_sh = true;
            ck_assert_str_eq(str_at(tls, "version"), "TLS 1.2");
            json_t *suite = json_object_get(tls, "cipher_suite");
            ck_assert_int_eq(int_at(suite, "id"), 0xC02F);
            ck_assert_str_eq(str_at(suite, "name"), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
            ck_assert_str_eq(str_at(tls, "sni"), "rtu1.substation.example");
            ck_assert_int_eq(strlen(str_at(tls, "ja3s")), 32);
        }
        if (strcmp(msg, "certificate") == 0 && int_at(rec, "src_port") == 19998) {
            saw_cert = true;
            /* Completed by the last of the segments it spans. */
            ck_assert_int_eq(int_at(rec, "pcap_cnt"), 10);
            json_t *leaf = json_array_get(json_object_get(tls, "certificates"), 0);
            ck_assert_str_eq(str_at(leaf, "subject"),
                             "O=Example Grid Operator,CN=rtu1.substation.example");
            ck_assert_int_eq(int_at(leaf, "key_bits"), 2048);
            ck_assert_str_eq(str_at(leaf, "signature_hash"), "SHA256");
            ck_assert_str_eq(str_at(leaf, "not_after"), "2034-01-01T00:00:00Z");
        }
    }
    ck_assert(saw_sh && saw_cert);
    json_decref(records);
}
END_TEST

/* ---- the shared captures ------------------------------------------------------------------- */

/* What a tshark handshake type is among our events. SSL 2.0 numbers its messages on its own:
 * 1 CLIENT-HELLO, 2 CLIENT-MASTER-KEY, 4 SERVER-HELLO (which carries the certificate). */
static const char *msg_of_type(const char *type, bool sslv2)
{
    static const struct {
        const char *type, *msg;
    } tls[] = {{"1", "client_hello"},         {"2", "server_hello"},
               {"4", "new_session_ticket"},   {"11", "certificate"},
               {"12", "server_key_exchange"}, {"13", "certificate_request"},
               {"14", "server_hello_done"},   {"15", "certificate_verify"},
               {"16", "client_key_exchange"}},
      v2[] = {{"1", "client_hello"}, {"2", "client_key_exchange"}, {"4", "server_hello"}};
    if (sslv2) {
        for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
            if (strcmp(v2[i].type, type) == 0)
                return v2[i].msg;
        }
        return NULL;
    }
    for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
        if (strcmp(tls[i].type, type) == 0)
            return tls[i].msg;
    }
    return NULL;
}

static bool is_handshake_msg(const char *msg)
{
    static const char *const msgs[] = {"client_hello",        "server_hello",
                                       "new_session_ticket",  "certificate",
                                       "server_key_exchange", "certificate_request",
                                       "server_hello_done",   "certificate_verify",
                                       "client_key_exchange", NULL};
    for (size_t i = 0; msgs[i] != NULL; i++) {
        if (strcmp(msgs[i], msg) == 0)
            return true;
    }
    return false;
}

/* Splits a tab-separated line in place into at most n fields (missing ones are ""). */
static void split_tabs(char *line, char **fields, size_t n)
{
    line[strcspn(line, "\n")] = '\0';
    for (size_t i = 0; i < n; i++) {
        fields[i] = line;
        char *tab = line != NULL ? strchr(line, '\t') : NULL;
        if (tab != NULL) {
            *tab = '\0';
            line = tab + 1;
        } else {
            line = NULL;
        }
        if (fields[i] == NULL)
            fields[i] = "";
    }
}

static bool list_has(const char *list, const char *item)
{
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *t = strtok(copy, ","); t != NULL; t = strtok(NULL, ","))
        if (strcmp(t, item) == 0)
            return true;
    return false;
}

static size_t list_len(const char *list)
{
    if (list[0] == '\0')
        return 0;
    size_t n = 1;
    for (const char *p = list; *p != '\0'; p++)
        n += *p == ',';
    return n;
}

/* Our tls events of one frame, in order. */
static size_t events_at(json_t *records, json_int_t frame, json_t **out, size_t cap)
{
    size_t n = 0, i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        if (int_at(rec, "pcap_cnt") == frame && json_object_get(rec, "tls") != NULL && n < cap)
            out[n++] = json_object_get(rec, "tls");
    }
    return n;
}

static unsigned check_capture(const char *dir, const char *tsv_path, const char *name)
{
    char pcap[4096];
    bool sslv2 = strcmp(name, "ssl-v2") == 0;
    if (strcmp(name, "modbus-and-non-modbus-p502") == 0)
        snprintf(pcap, sizeof(pcap), "%s/zeek__zeek/testing/btest/Traces/modbus/%s.pcap", dir,
                 name);
    else
        snprintf(pcap, sizeof(pcap), "%s/zeek__zeek/testing/btest/Traces/tls/%s.pcap", dir, name);
    json_t *records = run_sensor(pcap, NULL, true);
    FILE *fp = fopen(tsv_path, "r");
    ck_assert_ptr_nonnull(fp);
    char line[8192];
    bool tls13 = false;
    unsigned frames = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[0] == '#')
            continue;
        /* frame, srcport, record types, handshake types, ja3, versions, suites, alert,
         * certificate lengths */
        char *f[9];
        split_tabs(line, f, 9);
        json_int_t frame = strtoll(f[0], NULL, 10);
        json_t *ev[16];
        size_t n_ev = events_at(records, frame, ev, 16);
        /* Handshake messages, in order. */
        size_t k = 0;
        char types[256];
        snprintf(types, sizeof(types), "%s", f[3]);
        for (char *t = strtok(types, ","); t != NULL; t = strtok(NULL, ",")) {
            const char *want = msg_of_type(t, sslv2);
            if (want == NULL)
                continue;
            while (k < n_ev && !is_handshake_msg(str_at(ev[k], "msg")))
                k++;
            ck_assert_msg(k < n_ev, "%s frame %lld: no %s", name, (long long)frame, want);
            ck_assert_msg(strcmp(str_at(ev[k], "msg"), want) == 0, "%s frame %lld: %s, not %s",
                          name, (long long)frame, str_at(ev[k], "msg"), want);
            json_t *tls = ev[k];
            if (strcmp(want, "client_hello") == 0) {
                if (f[4][0] != '\0')
                    ck_assert_str_eq(str_at(tls, "ja3"), f[4]);
                if (!sslv2)
                    ck_assert_uint_eq(json_array_size(json_object_get(tls, "suites")),
                                      list_len(f[6]));
                if (f[5][0] != '\0') {
                    char v[8];
                    snprintf(v, sizeof(v), "0x%04llx", (long long)int_at(tls, "max_version_id"));
                    ck_assert_msg(list_has(f[5], v), "%s: max version %s", name, v);
                }
            } else if (strcmp(want, "server_hello") == 0 && !sslv2) {
                json_int_t id = int_at(json_object_get(tls, "cipher_suite"), "id");
                ck_assert_int_eq(id, strtoll(f[6], NULL, 16));
                if (f[5][0] != '\0')
                    ck_assert_int_eq(int_at(tls, "version_id"), strtoll(f[5], NULL, 16));
                tls13 = int_at(tls, "version_id") == 0x0304;
            } else if (strcmp(want, "certificate") == 0 || (sslv2 && strcmp(t, "4") == 0)) {
                json_t *c = NULL;
                for (size_t j = k; j < n_ev && c == NULL; j++) {
                    if (strcmp(str_at(ev[j], "msg"), "certificate") == 0)
                        c = json_object_get(ev[j], "certificates");
                }
                ck_assert_ptr_nonnull(c);
                char lens[512];
                snprintf(lens, sizeof(lens), "%s", f[8]);
                size_t ci = 0;
                for (char *l = strtok(lens, ","); l != NULL; l = strtok(NULL, ","), ci++)
                    ck_assert_int_eq(int_at(json_array_get(c, ci), "der_len"), atoll(l));
                ck_assert_uint_eq(json_array_size(c), ci);
            }
            k++;
        }
        /* Clear-text CCS (TLS <= 1.2) and alerts. */
        if (list_has(f[2], "20") && !tls13) {
            bool ccs = false;
            for (size_t j = 0; j < n_ev; j++)
                ccs |= strcmp(str_at(ev[j], "msg"), "change_cipher_spec") == 0;
            ck_assert_msg(ccs, "%s frame %lld: no change_cipher_spec", name, (long long)frame);
        }
        if (list_has(f[2], "21")) {
            json_t *alert = NULL;
            for (size_t j = 0; j < n_ev && alert == NULL; j++) {
                if (strcmp(str_at(ev[j], "msg"), "alert") == 0)
                    alert = ev[j];
            }
            ck_assert_msg(alert != NULL, "%s frame %lld: no alert", name, (long long)frame);
            if (f[7][0] != '\0')
                ck_assert_int_eq(int_at(alert, "code"), atoll(f[7]));
            else
                ck_assert(json_is_true(json_object_get(alert, "encrypted")));
        }
        frames++;
    }
    fclose(fp);
    json_decref(records);
    return frames;
}

START_TEST(test_tls_regress_shared_captures)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; TLS shared-capture regression not run\n");
        return;
    }
    static const char *const names[] = {
        "CVE-2015-3194",
        "client-certificate",
        "dhe",
        "ecdhe",
        "hrr",
        "ssl-v2",
        "tls-1.2-handshake-failure",
        "tls13_psk_succesfull",
        "tls13_wolfssl",
        "modbus-and-non-modbus-p502",
    };
    unsigned frames = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char tsv[4096];
        snprintf(tsv, sizeof(tsv), "%s/tests/regress/tls_shared/%s.tsv", gs_test_source_dir(),
                 names[i]);
        frames += check_capture(dir, tsv, names[i]);
    }
    printf("compared %u TLS frames of %zu shared captures with tshark\n", frames,
           sizeof(names) / sizeof(names[0]));
    ck_assert_uint_gt(frames, 60);
}
END_TEST

/* TLS on a Modbus port: the ClientHello is claimed by the probe; the server's zero-length
 * handshake record (tshark: "Zero-length Handshake fragments are not allowed") is our
 * tls.empty_fragment. */
START_TEST(test_tls_regress_modbus_port)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent\n");
        return;
    }
    char pcap[4096];
    snprintf(pcap, sizeof(pcap),
             "%s/zeek__zeek/testing/btest/Traces/modbus/modbus-and-non-modbus-p502.pcap", dir);
    json_t *records = run_sensor(pcap, NULL, true);
    size_t i;
    json_t *rec;
    bool empty = false;
    json_array_foreach(records, i, rec)
    {
        json_t *an = json_object_get(rec, "anomaly");
        if (an != NULL && int_at(rec, "pcap_cnt") == 51)
            empty |= strcmp(str_at(an, "event"), "tls.empty_fragment") == 0;
    }
    ck_assert(empty);
    json_decref(records);
}
END_TEST

static Suite *suite_tls_regress(void)
{
    Suite *s = suite_create("tls_regress");
    TCase *tc = tcase_create("captures");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_tls_regress_generated_without_policy);
    tcase_add_test(tc, test_tls_regress_generated_with_policy);
    tcase_add_test(tc, test_tls_regress_generated_events);
    tcase_add_test(tc, test_tls_regress_shared_captures);
    tcase_add_test(tc, test_tls_regress_modbus_port);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_tls_regress)
