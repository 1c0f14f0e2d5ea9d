/*
 * test_policy.c - the conduit policy: a full file (the design's example plus TLS profile
 * changes) loads with every field; each kind of mistake is refused with one line naming the
 * file and the key; flows match conduits by client, server (IPv4/IPv6 CIDR), port and
 * protocol, first conduit first; and gridsensor --policy exits 2 on a bad file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "test_support.h"
#include "tls.h"

static char path[64];

static const char *write_file(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/gs-policy-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char *const full_policy =
    "{\n"
    "  \"tls_profile\": {\"client_auth\": true, \"versions\": [\"1.2\", \"TLS 1.3\"],\n"
    "                  \"all_ports\": false},\n"
    "  \"conduits\": [\n"
    "    {\"name\": \"C-WAN-RTU\", \"protocol\": \"dnp3\",\n"
    "     \"clients\": [\"10.1.0.0/29\"], \"servers\": [\"10.2.0.10\"],\n"
    "     \"allow\": {\"function_codes\": [1, 20, 21, 3, 4]},\n"
    "     \"require\": {\"secure_auth\": true, \"tls\": false},\n"
    "     \"poll\": {\"period_s\": 30, \"tolerance\": 0.5}},\n"
    "    {\"name\": \"C-STN-104\", \"protocol\": \"iec104\", \"clients\": [\"10.3.0.5\"],\n"
    "     \"servers\": [\"10.3.0.0/24\", \"fd00:104::/64\"], \"ports\": [19998, 2404],\n"
    "     \"require\": {\"tls\": true},\n"
    "     \"tls_profile\": {\"min_rsa_bits\": 3072, \"min_ec_bits\": 384,\n"
    "                     \"suites\": [\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\", \"0xC030\", "
    "4865],\n"
    "                     \"hashes\": [\"sha384\", \"sha512\"]}},\n"
    "    {\"name\": \"C-STN-MMS\", \"protocol\": \"mms\",\n"
    "     \"allow\": {\"services\": [\"read\", \"getNameList\", \"write\"]}},\n"
    "    {\"name\": \"C-PROC\", \"protocol\": \"goose\",\n"
    "     \"allow\": {\"publishers\": [{\"src_mac\": \"01:0c:cd:01:00:01\", \"appid\": 1}]},\n"
    "     \"require\": {\"tags\": true}}\n"
    "  ]\n"
    "}\n";

static struct gs_ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct gs_ip ip = {.family = 4, .addr = {a, b, c, d}};
    return ip;
}

START_TEST(test_policy_full_file)
{
    char err[GS_ERRBUF_SIZE] = "";
    struct gs_policy *p = NULL;
    ck_assert_msg(gs_policy_load(&p, write_file(full_policy), err) == 0, "%s", err);
    unlink(path);
    ck_assert_uint_eq(gs_policy_conduit_count(p), 4);
    const struct gs_policy_tls_profile *top = gs_policy_tls(p);
    ck_assert(top->has_client_auth && top->client_auth);
    ck_assert(top->has_versions);
    ck_assert_uint_eq(top->n_versions, 2);
    ck_assert_uint_eq(top->versions[1], 0x0304);
    ck_assert(top->has_all_ports && !top->all_ports);
    const struct gs_policy_conduit *c = gs_policy_conduit_at(p, 1);
    ck_assert_str_eq(c->name, "C-STN-104");
    ck_assert_str_eq(c->protocol, "iec104");
    ck_assert(c->require_tls);
    ck_assert_uint_eq(c->n_servers, 2);
    ck_assert_uint_eq(c->servers[1].addr.family, 6);
    ck_assert_uint_eq(c->servers[1].prefix, 64);
    ck_assert_uint_eq(c->n_ports, 2);
    ck_assert_uint_eq(c->ports[0], 19998);
    ck_assert(c->tls_profile.has_min_rsa_bits && c->tls_profile.min_rsa_bits == 3072);
    ck_assert_uint_eq(c->tls_profile.min_ec_bits, 384);
    ck_assert_uint_eq(c->tls_profile.n_suites, 3);
    ck_assert_uint_eq(c->tls_profile.suites[0], 0xC02F);
    ck_assert_uint_eq(c->tls_profile.suites[1], 0xC030);
    ck_assert_uint_eq(c->tls_profile.suites[2], 0x1301);
    ck_assert_uint_eq(c->tls_profile.hashes,
                      (1u << GS_TLS_HASH_SHA384) | (1u << GS_TLS_HASH_SHA512));
    ck_assert(!gs_policy_conduit_at(p, 0)->require_tls);
    /* require.tags (IEC 62351-6 GOOSE/SV tags) only where the file says so. */
    ck_assert(gs_policy_conduit_at(p, 3)->require_tags);
    ck_assert(!gs_policy_conduit_at(p, 1)->require_tags);
    ck_assert_ptr_null(gs_policy_conduit_at(p, 4));
    gs_policy_free(p);
}
END_TEST

START_TEST(test_policy_match)
{
    char err[GS_ERRBUF_SIZE] = "";
    struct gs_policy *p = NULL;
    ck_assert_msg(gs_policy_load(&p, write_file(full_policy), err) == 0, "%s", err);
    unlink(path);
    struct gs_ip client = ip4(10, 3, 0, 5), server = ip4(10, 3, 0, 77);
    const struct gs_policy_conduit *c = gs_policy_match(p, &client, &server, 19998, "iec104");
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->name, "C-STN-104");
    /* Without a protocol, endpoints and port alone decide. */
    ck_assert_ptr_eq(gs_policy_match(p, &client, &server, 2404, NULL), c);
    /* Wrong port, wrong protocol, client outside the list. */
    ck_assert_ptr_null(gs_policy_match(p, &client, &server, 102, "iec104"));
    ck_assert_ptr_null(gs_policy_match(p, &client, &server, 19998, "dnp3"));
    struct gs_ip other = ip4(10, 3, 0, 6);
    ck_assert_ptr_null(gs_policy_match(p, &other, &server, 19998, "iec104"));
    /* IPv6 server block. */
    struct gs_ip v6c = {.family = 6}, v6s = {.family = 6};
    v6s.addr[0] = 0xFD;
    v6s.addr[2] = 0x01;
    v6s.addr[3] = 0x04;
    v6s.addr[15] = 9;
    ck_assert_ptr_null(gs_policy_match(p, &v6c, &v6s, 19998, "iec104")); /* client is IPv4-only */
    /* CIDR edges: 10.1.0.0/29 holds .0 to .7. */
    struct gs_ip rtu = ip4(10, 2, 0, 10), m7 = ip4(10, 1, 0, 7), m8 = ip4(10, 1, 0, 8);
    ck_assert_ptr_nonnull(gs_policy_match(p, &m7, &rtu, 20000, "dnp3"));
    ck_assert_ptr_null(gs_policy_match(p, &m8, &rtu, 20000, "dnp3"));
    /* A conduit without endpoints admits any (C-STN-MMS). */
    ck_assert_str_eq(gs_policy_match(p, &m8, &rtu, 102, "mms")->name, "C-STN-MMS");
    ck_assert_ptr_null(gs_policy_match(NULL, &m8, &rtu, 102, "mms"));
    gs_policy_free(p);
}
END_TEST

struct bad_case {
    const char *text;
    const char *reason; /* a part of the message */
};

static const struct bad_case bad_cases[] = {
    {"{", "line 1"},
    {"[]", "one JSON object"},
    {"{\"conduits\": {}}", "conduits: must be a list"},
    {"{\"conduits\": [{\"protocol\": \"iec104\"}]}", "conduits[0]: needs a \"name\""},
    {"{\"conduits\": [{\"name\": \"a\", \"clients\": [\"10.3.0.300\"]}]}",
     "conduits[0].clients[0]: '10.3.0.300' is not an IP address"},
    {"{\"conduits\": [{\"name\": \"a\", \"servers\": [\"10.0.0.0/33\"]}]}",
     "conduits[0].servers[0]: '10.0.0.0/33': prefix length must be 0..32"},
    {"{\"conduits\": [{\"name\": \"a\", \"servers\": [\"fd00::/129\"]}]}", "0..128"},
    {"{\"conduits\": [{\"name\": \"a\", \"ports\": [70000]}]}",
     "conduits[0].ports[0]: must be a port number"},
    {"{\"conduits\": [{\"name\": \"a\", \"require\": {\"tls\": 1}}]}",
     "conduits[0].require.tls: must be true or false"},
    {"{\"conduits\": [{\"name\": \"a\", \"tls_profile\": {\"versions\": [\"1.5\"]}}]}",
     "conduits[0].tls_profile.versions[0]: not a TLS version"},
    {"{\"conduits\": [{\"name\": \"a\", \"tls_profile\": {\"suites\": [\"TLS_FOO\"]}}]}",
     "tls_profile.suites[0]: not a cipher suite"},
    {"{\"conduits\": [{\"name\": \"a\", \"tls_profile\": {\"all_ports\": true}}]}",
     "only the top-level tls_profile"},
    {"{\"tls_profile\": {\"min_rsa_bits\": -1}}", "tls_profile.min_rsa_bits: must be a whole"},
    {"{\"tls_profile\": {\"hashes\": [\"sha3\"]}}", "tls_profile.hashes[0]: not a hash"},
    {"{\"conduits\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", "conduits[1]: conduit name 'a'"},
    {"{\"conduits\": [], \"conduits\": []}", "duplicate object key"},
    {"{\"conduits\": [{\"name\": \"a\", \"allow\": []}]}", "conduits[0].allow: must be an object"},
    {"{\"conduits\": [{\"name\": \"a\", \"protocol\": 104}]}", "conduits[0].protocol: must be a"},
    {"{\"conduits\": [{\"name\": \"a\", \"tls\": \"yes\"}]}", "conduits[0].tls: must be true"},
};

START_TEST(test_policy_refuses_mistakes)
{
    const struct bad_case *bc = &bad_cases[_i];
    char err[GS_ERRBUF_SIZE] = "";
    struct gs_policy *p = (struct gs_policy *)1;
    const char *file = write_file(bc->text);
    ck_assert_int_eq(gs_policy_load(&p, file, err), -1);
    unlink(file);
    ck_assert_ptr_null(p);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "policy %s: ", file);
    ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "%s", err);
    ck_assert_msg(strstr(err, bc->reason) != NULL, "'%s' lacks '%s'", err, bc->reason);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* Unknown keys and protocol names are ignored with a warning each; aliases mean the same. */
START_TEST(test_policy_warnings_and_aliases)
{
    const char *text = "{\"comment\": \"site A\", \"conduits\": ["
                       "{\"name\": \"a\", \"protocol\": \"IEC-104\", \"requier\": {},"
                       " \"tls\": true, \"require\": {\"client_auth\": true}},"
                       "{\"name\": \"b\", \"protocol\": \"bacnet\","
                       " \"tls\": {\"min_rsa_bits\": 4096}}]}";
    char err[GS_ERRBUF_SIZE] = "";
    struct gs_policy *p = NULL;
    const char *file = write_file(text);
    ck_assert_msg(gs_policy_load(&p, file, err) == 0, "%s", err);
    unlink(file);
    ck_assert_uint_eq(gs_policy_warning_count(p), 3);
    char want[256];
    snprintf(want, sizeof(want), "policy %s: unknown key 'comment' ignored", file);
    ck_assert_str_eq(gs_policy_warning(p, 0), want);
    snprintf(want, sizeof(want), "policy %s: conduits[0]: unknown key 'requier' ignored", file);
    ck_assert_str_eq(gs_policy_warning(p, 1), want);
    ck_assert_ptr_nonnull(strstr(gs_policy_warning(p, 2), "conduits[1].protocol: 'bacnet'"));
    const struct gs_policy_conduit *a = gs_policy_conduit_at(p, 0);
    ck_assert_str_eq(a->protocol, "iec104");
    ck_assert(a->require_tls);
    ck_assert(a->tls_profile.has_client_auth && a->tls_profile.client_auth);
    const struct gs_policy_conduit *b = gs_policy_conduit_at(p, 1);
    ck_assert_str_eq(b->protocol, "bacnet");
    ck_assert(!b->require_tls);
    ck_assert_uint_eq(b->tls_profile.min_rsa_bits, 4096);
    gs_policy_free(p);
}
END_TEST

START_TEST(test_policy_missing_file)
{
    char err[GS_ERRBUF_SIZE] = "";
    struct gs_policy *p = NULL;
    ck_assert_int_eq(gs_policy_load(&p, "/nonexistent/policy.json", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "policy /nonexistent/policy.json: "));
}
END_TEST

START_TEST(test_policy_cli)
{
    char demo[4096];
    snprintf(demo, sizeof(demo), "%s/pcaps/demo.pcap", gs_test_source_dir());
    char *out, *err;
    const char *bad = write_file("{\"conduits\": [{\"name\": \"x\", \"ports\": [\"a\"]}]}");
    char *argv_bad[] = {(char *)gs_test_gridsensor(), "--policy", (char *)bad, "-r", demo, NULL};
    ck_assert_int_eq(gs_test_run(argv_bad, &out, &err), 2);
    ck_assert_msg(strncmp(err, "gridsensor: policy ", 19) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "conduits[0].ports[0]"));
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    unlink(bad);
    const char *good = write_file(full_policy);
    char *argv_good[] = {(char *)gs_test_gridsensor(), "--policy", (char *)good, "-r", demo, NULL};
    ck_assert_int_eq(gs_test_run(argv_good, &out, &err), 0);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    unlink(good);
    const char *odd = write_file("{\"conduits\": [{\"name\": \"x\", \"colour\": \"red\"}]}");
    char *argv_odd[] = {(char *)gs_test_gridsensor(), "--policy", (char *)odd, "-r", demo, NULL};
    ck_assert_int_eq(gs_test_run(argv_odd, &out, &err), 0);
    ck_assert_msg(strstr(err, "conduits[0]: unknown key 'colour' ignored\n") != NULL, "%s", err);
    free(out);
    free(err);
    unlink(odd);
    char *argv_help[] = {(char *)gs_test_gridsensor(), "--help", NULL};
    ck_assert_int_eq(gs_test_run(argv_help, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "--policy FILE"));
    free(out);
    free(err);
}
END_TEST

static Suite *suite_policy(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_policy_full_file);
    tcase_add_test(tc, test_policy_match);
    tcase_add_loop_test(tc, test_policy_refuses_mistakes, 0,
                        (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, test_policy_warnings_and_aliases);
    tcase_add_test(tc, test_policy_missing_file);
    tcase_add_test(tc, test_policy_cli);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_policy)
