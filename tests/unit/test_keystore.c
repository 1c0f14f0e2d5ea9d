/*
 * test_keystore.c - the key store: loading the test-only examples (copied to mode 0600, as git
 * keeps no modes), lookups, every refusal with its one-line error (never quoting key bytes),
 * file-mode checks, key memory in the secure heap (not dumped, locked when allowed, nothing
 * left allocated after destroy), and key_material.h used only by the crypto code.
 */
#include <arpa/inet.h>
#include <check.h>
#include <ftw.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key_material.h"
#include "keystore.h"
#include "test_support.h"

static char tmp_path[256];

/* Writes text to a fresh file of mode 0600 (mkstemp) and returns its path. */
static const char *install_text(const char *text, size_t len)
{
    snprintf(tmp_path, sizeof(tmp_path), "/tmp/gs-keys-XXXXXX");
    int fd = mkstemp(tmp_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return tmp_path;
}

static char *read_example(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/keys/examples/%s", gs_test_source_dir(), name);
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "%s", path);
    static char buf[65536];
    *len = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[*len] = '\0';
    return buf;
}

static const char *install_example(const char *name)
{
    size_t len;
    const char *text = read_example(name, &len);
    return install_text(text, len);
}

static struct gs_ip ip4(const char *s)
{
    struct gs_ip ip = {.family = 4};
    ck_assert_int_eq(inet_pton(AF_INET, s, ip.addr), 1);
    return ip;
}

static struct gs_ip ip6(const char *s)
{
    struct gs_ip ip = {.family = 6};
    ck_assert_int_eq(inet_pton(AF_INET6, s, ip.addr), 1);
    return ip;
}

static uint8_t first_byte(const struct gs_key *k)
{
    return gs_key_material(k)[0];
}

START_TEST(test_keystore_examples)
{
    static const char *const files[] = {"test-only-dnp3-sa.json", "test-only-iti-sav5.json",
                                        "test-only-all-sections.json"};
    char err[GS_ERRBUF_SIZE];
    for (size_t i = 0; i < GS_ARRAY_LEN(files); i++) {
        const char *path = install_example(files[i]);
        struct gs_keystore *ks;
        ck_assert_msg(gs_keystore_load(path, &ks, err) == 0, "%s: %s", files[i], err);
        ck_assert_uint_gt(gs_keystore_count(ks, GS_KEYS_DNP3), 0);
        gs_keystore_destroy(ks);
        unlink(path);
    }
}
END_TEST

START_TEST(test_keystore_lookups)
{
    char err[GS_ERRBUF_SIZE];
    const char *path = install_example("test-only-all-sections.json");
    struct gs_keystore *ks;
    ck_assert_msg(gs_keystore_load(path, &ks, err) == 0, "%s", err);
    unlink(path);
    ck_assert_uint_eq(gs_keystore_count(ks, GS_KEYS_DNP3), 3);
    ck_assert_uint_eq(gs_keystore_count(ks, GS_KEYS_IEC104), 1);
    ck_assert_uint_eq(gs_keystore_count(ks, GS_KEYS_GOOSE), 1);
    ck_assert_uint_eq(gs_keystore_count(ks, GS_KEYS_SV), 1);

    /* Without addresses, or with addresses the endpoints do not list: the general entry. */
    struct gs_ip m = ip4("10.1.0.2"), o = ip4("10.2.0.10"), x = ip4("10.9.9.9");
    const struct gs_key *k = gs_keystore_dnp3(ks, 1, 1024, 1, NULL, NULL);
    ck_assert_ptr_nonnull(k);
    ck_assert_uint_eq(gs_key_len(k), 16);
    ck_assert_int_eq(gs_key_alg(k), GS_KEY_UPDATE_AES128);
    ck_assert_uint_eq(first_byte(k), 0x00);
    ck_assert_ptr_eq(gs_keystore_dnp3(ks, 1, 1024, 1, &m, &x), k);
    /* Both addresses listed (either order): the narrower entry wins. */
    const struct gs_key *narrow = gs_keystore_dnp3(ks, 1, 1024, 1, &o, &m);
    ck_assert_ptr_nonnull(narrow);
    ck_assert_uint_eq(gs_key_len(narrow), 32);
    ck_assert_int_eq(gs_key_alg(narrow), GS_KEY_UPDATE_AES256);
    ck_assert_uint_eq(first_byte(narrow), 0x10);
    ck_assert_uint_eq(first_byte(gs_keystore_dnp3(ks, 1, 1024, 2, NULL, NULL)), 0x30);
    ck_assert_ptr_null(gs_keystore_dnp3(ks, 1, 1024, 3, NULL, NULL));
    ck_assert_ptr_null(gs_keystore_dnp3(ks, 1024, 1, 1, NULL, NULL));
    ck_assert(gs_keystore_dnp3_has_association(ks, 1, 1024));
    ck_assert(!gs_keystore_dnp3_has_association(ks, 1024, 1));

    /* An entry restricted to endpoints never matches without them. */
    struct gs_ip a6 = ip6("fd00::1"), b6 = ip6("fd00::2");
    ck_assert_ptr_null(gs_keystore_iec104(ks, 1, 1, NULL, NULL));
    ck_assert_ptr_null(gs_keystore_iec104(ks, 1, 1, &a6, &m));
    const struct gs_key *k104 = gs_keystore_iec104(ks, 1, 1, &b6, &a6);
    ck_assert_ptr_nonnull(k104);
    ck_assert_uint_eq(first_byte(k104), 0x40);

    static const char ref[] = "IED1LD0/LLN0$GO$gcb1";
    const struct gs_key *kg = gs_keystore_goose(ks, 1, ref, strlen(ref), 1);
    ck_assert_ptr_nonnull(kg);
    ck_assert_int_eq(gs_key_alg(kg), GS_KEY_HMAC_SHA256_128);
    ck_assert_ptr_null(gs_keystore_goose(ks, 1, ref, strlen(ref) - 1, 1));
    ck_assert_ptr_null(gs_keystore_goose(ks, 1, ref, strlen(ref), 2));
    ck_assert_ptr_null(gs_keystore_goose(ks, 2, ref, strlen(ref), 1));
    const struct gs_key *ks_v = gs_keystore_sv(ks, 16384, "MU01", 4, 4294967295u);
    ck_assert_ptr_nonnull(ks_v);
    ck_assert_int_eq(gs_key_alg(ks_v), GS_KEY_AES_GMAC_128);
    ck_assert_ptr_null(gs_keystore_sv(ks, 16384, "MU0", 3, 4294967295u));
    gs_keystore_destroy(ks);
}
END_TEST

/* A key that must never appear in an error text, whatever the mistake around it. */
#define SECRET "5ec7e75ec7e75ec7e75ec7e75ec7e75e"

static const struct {
    const char *json;
    const char *expect; /* substring of the one-line error */
} bad[] = {
    {"{", "malformed JSON (unexpected end of file)"},
    /* Unquoted hex: jansson's own text would quote the token; ours must not. */
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":" SECRET "}]}",
     "malformed JSON (invalid syntax)"},
    {"{\"dnp3\":[],\"dnp3\":[]}", "a field appears twice"},
    {"[]", "must be a JSON object"},
    {"{\"dnp\":[]}", "unknown section"},
    {"{\"dnp3\":{}}", "not a list of entries"},
    {"{\"dnp3\":[1]}", "dnp3[0]: not an object"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"updatekey\":\"" SECRET "\"}]}",
     "dnp3[0]: unknown field (field 4; allowed: master, outstation, user, update_key"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1}]}", "dnp3[0]: missing \"update_key\""},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"update_key\":\"" SECRET "\"}]}",
     "dnp3[0]: missing \"user\""},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":0,\"update_key\":\"" SECRET "\"}]}",
     "dnp3[0].user: outside 1..65535"},
    {"{\"dnp3\":[{\"master\":65535,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\"}]}",
     "dnp3[0].master: outside 0..65519"},
    {"{\"dnp3\":[{\"master\":\"1\",\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\"}]}",
     "dnp3[0].master: not a whole number"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "0000\"}]}",
     "dnp3[0].update_key: 18 bytes; an update key is 16 (AES-128) or 32 (AES-256) bytes"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "0\"}]}",
     "dnp3[0].update_key: needs an even, non-zero number of hex digits (has 33)"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "zz\"}]}",
     "dnp3[0].update_key: character 33 is not a hex digit"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":7}]}",
     "dnp3[0].update_key: not a string of hex digits"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"key_wrap\":\"aes-256\","
     "\"update_key\":\"" SECRET "\"}]}",
     "dnp3[0].update_key: 16 bytes, which does not fit key_wrap aes-256"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"key_wrap\":\"aes-192\","
     "\"update_key\":\"" SECRET "\"}]}",
     "dnp3[0].key_wrap: unknown algorithm (aes-128 or aes-256)"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\"},"
     "{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\"}]}",
     "dnp3[1] duplicates dnp3[0] (same master, outstation, user)"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\","
     "\"endpoints\":[\"10.0.0.1\",\"10.0.0.2\",\"10.0.0.3\"]},"
     "{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\","
     "\"endpoints\":[\"10.0.0.3\",\"10.0.0.1\"]}]}",
     "dnp3[1] duplicates dnp3[0] (same master, outstation, user, overlapping endpoints)"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\","
     "\"endpoints\":[\"10.0.0.1\"]}]}",
     "dnp3[0].endpoints: needs a list of 2..16 IP addresses"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\","
     "\"endpoints\":[\"10.0.0.1\",\"10.0.0.256\"]}]}",
     "dnp3[0].endpoints[1]: not an IPv4 or IPv6 address"},
    {"{\"dnp3\":[{\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET "\","
     "\"endpoints\":[\"10.0.0.1\",\"10.0.0.1\"]}]}",
     "dnp3[0].endpoints[1]: listed twice"},
    {"{\"iec104\":[{\"common_address\":0,\"user\":1,\"update_key\":\"" SECRET "\"}]}",
     "iec104[0].common_address: outside 1..65534"},
    {"{\"goose\":[{\"appid\":1,\"gocb_ref\":\"a\",\"key_id\":1,\"algorithm\":\"hmac-md5\","
     "\"key\":\"" SECRET "\"}]}",
     "goose[0].algorithm: unknown algorithm (hmac-sha256-80"},
    {"{\"goose\":[{\"appid\":1,\"gocb_ref\":\"a\",\"key_id\":1,\"key\":\"" SECRET "\"}]}",
     "goose[0]: missing \"algorithm\""},
    {"{\"goose\":[{\"appid\":1,\"gocb_ref\":\"a\",\"key_id\":1,\"algorithm\":\"aes-gmac-64\","
     "\"key\":\"" SECRET "0011223344556677\"}]}",
     "goose[0].key: 24 bytes; aes-gmac-64 takes 16 (AES-128) or 32 (AES-256) bytes"},
    {"{\"goose\":[{\"appid\":1,\"gocb_ref\":\"a\",\"key_id\":1,\"algorithm\":\"hmac-sha256-80\","
     "\"key\":\"5ec7e75ec7e75ec7\"}]}",
     "goose[0].key: 8 bytes; hmac-sha256-80 takes 16..128 bytes"},
    {"{\"goose\":[{\"appid\":1,\"gocb_ref\":\"\",\"key_id\":1,\"algorithm\":\"hmac-sha256-80\","
     "\"key\":\"" SECRET "\"}]}",
     "goose[0].gocb_ref: needs a string of 1..129 characters"},
    {"{\"goose\":[{\"appid\":1,\"gocb_ref\":\"a\",\"key_id\":4294967296,"
     "\"algorithm\":\"hmac-sha256-80\",\"key\":\"" SECRET "\"}]}",
     "goose[0].key_id: outside 0..4294967295"},
    {"{\"sv\":[{\"appid\":1,\"sv_id\":\"MU\",\"key_id\":1,\"algorithm\":\"aes-gmac-128\",\"key\":"
     "\"" SECRET "\"},{\"appid\":1,\"sv_id\":\"MU\",\"key_id\":1,\"algorithm\":\"hmac-sha256-80\","
     "\"key\":\"" SECRET "\"}]}",
     "sv[1] duplicates sv[0] (same appid, sv_id, key_id)"},
    {"{\"sv\":[{\"appid\":1,\"gocb_ref\":\"MU\",\"key_id\":1,\"algorithm\":\"aes-gmac-128\","
     "\"key\":\"" SECRET "\"}]}",
     "sv[0]: unknown field"},
    {"{\"dnp3\":[{\"comment\":5,\"master\":1,\"outstation\":2,\"user\":1,\"update_key\":\"" SECRET
     "\"}]}",
     "dnp3[0].comment: not a string"},
};

START_TEST(test_keystore_refusals)
{
    char err[GS_ERRBUF_SIZE];
    struct gs_keystore *ks = (struct gs_keystore *)&ks;
    const char *path = install_text(bad[_i].json, strlen(bad[_i].json));
    ck_assert_int_eq(gs_keystore_load(path, &ks, err), -1);
    ck_assert_ptr_null(ks);
    ck_assert_msg(strstr(err, bad[_i].expect) != NULL, "case %d: got \"%s\"", _i, err);
    ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "names the file: %s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    /* No run of the key's hex, in either case, in the text. */
    ck_assert_ptr_null(strcasestr(err, "5ec7"));
    ck_assert_ptr_null(strcasestr(err, "c7e7"));
    unlink(path);
    /* The in-memory parser says the same, with the name it is given. */
    ck_assert_int_eq(gs_keystore_parse(bad[_i].json, strlen(bad[_i].json), "mem", &ks, err), -1);
    ck_assert_msg(strstr(err, bad[_i].expect) != NULL, "case %d (parse): got \"%s\"", _i, err);
}
END_TEST

START_TEST(test_keystore_file_mode)
{
    char err[GS_ERRBUF_SIZE];
    struct gs_keystore *ks;
    const char *path = install_example("test-only-all-sections.json");
    static const mode_t modes[] = {0640, 0604, 0620, 0602, 0610, 0601, 0644, 0666};
    for (size_t i = 0; i < GS_ARRAY_LEN(modes); i++) {
        ck_assert_int_eq(chmod(path, modes[i]), 0);
        ck_assert_int_eq(gs_keystore_load(path, &ks, err), -1);
        char want[512];
        snprintf(want, sizeof(want),
                 "%s: key store is accessible by group or others (mode %04o); refusing to use it: "
                 "run chmod 600 %s",
                 path, (unsigned)modes[i], path);
        ck_assert_str_eq(err, want);
    }
    ck_assert_int_eq(chmod(path, 0400), 0);
    ck_assert_int_eq(gs_keystore_load(path, &ks, err), 0);
    gs_keystore_destroy(ks);
    unlink(path);

    ck_assert_int_eq(gs_keystore_load("/nonexistent/keys.json", &ks, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/keys.json: cannot open key store"));
    ck_assert_int_eq(gs_keystore_load("/tmp", &ks, err), -1);
    ck_assert_str_eq(err, "/tmp: key store is not a regular file");
}
END_TEST

/* The mapping that holds addr, and whether /proc says it is locked and not dumped. */
static void vm_flags(const void *addr, bool *dd, bool *lo)
{
    FILE *fp = fopen("/proc/self/smaps", "r");
    ck_assert_ptr_nonnull(fp);
    char line[512];
    bool inside = false;
    *dd = *lo = false;
    uintptr_t a = (uintptr_t)addr;
    while (fgets(line, sizeof(line), fp) != NULL) {
        unsigned long lo_addr, hi_addr;
        if (sscanf(line, "%lx-%lx ", &lo_addr, &hi_addr) == 2 &&
            strchr(line, '-') < strchr(line, ' ')) {
            inside = a >= lo_addr && a < hi_addr;
            continue;
        }
        if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            *dd = strstr(line, " dd") != NULL;
            *lo = strstr(line, " lo") != NULL;
            break;
        }
    }
    fclose(fp);
}

START_TEST(test_keystore_memory)
{
    enum gs_keys_mem m = gs_keys_protect_memory();
    ck_assert_int_eq(gs_keys_protect_memory(), m);
    ck_assert_ptr_nonnull(gs_keys_mem_name(m));
    ck_assert_msg(m != GS_KEYS_MEM_PLAIN, "OpenSSL secure heap unavailable");
    size_t before = CRYPTO_secure_used();
    char err[GS_ERRBUF_SIZE];
    const char *path = install_example("test-only-dnp3-sa.json");
    struct gs_keystore *ks;
    ck_assert_int_eq(gs_keystore_load(path, &ks, err), 0);
    unlink(path);
    const struct gs_key *k = gs_keystore_dnp3(ks, 1, 1024, 1, NULL, NULL);
    ck_assert_ptr_nonnull(k);
    ck_assert(CRYPTO_secure_allocated(gs_key_material(k)));
    bool dd, lo;
    vm_flags(gs_key_material(k), &dd, &lo);
    ck_assert_msg(dd, "key pages are not marked MADV_DONTDUMP");
    if (m == GS_KEYS_MEM_SECURE)
        ck_assert_msg(lo, "key pages are not locked");
    /* Session keys made later live there too. */
    uint8_t b[16] = {1};
    struct gs_key *s = gs_key_create(b, 16, GS_KEY_SESSION);
    ck_assert(CRYPTO_secure_allocated(gs_key_material(s)));
    ck_assert_ptr_null(gs_key_create(b, 0, GS_KEY_SESSION));
    ck_assert_ptr_null(gs_key_create(b, GS_KEY_MAX_BYTES + 1, GS_KEY_SESSION));
    gs_key_destroy(s);
    gs_keystore_destroy(ks);
    /* Nothing of the file, its parse or the keys is left in the secure heap. */
    ck_assert_uint_eq(CRYPTO_secure_used(), before);
}
END_TEST

/* key_material.h hands out key bytes: only the crypto code and its tests may include it. */
static const char *const material_users[] = {"keys/keystore.c",
                                             "detectors/sa_crypto.c",
                                             "tests/unit/test_sa_crypto.c",
                                             "tests/unit/test_keystore.c",
                                             "tests/unit/test_dnp3_sa_pcaps.c",
                                             "tests/bench/bench_sa_crypto.c",
                                             NULL};
static size_t root_len;
static char offender[4096];

static int scan(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    const char *rel = path + root_len;
    if (type == FTW_D && (strstr(rel, "/build") == rel || strstr(rel, "/.git") == rel))
        return FTW_SKIP_SUBTREE;
    size_t n = strlen(path);
    if (type != FTW_F || n < 2 ||
        (strcmp(path + n - 2, ".c") != 0 && strcmp(path + n - 2, ".h") != 0))
        return 0;
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return 0;
    char line[1024];
    bool uses = false;
    while (fgets(line, sizeof(line), fp) != NULL)
        uses = uses || (strstr(line, "#include") != NULL && strstr(line, "key_material.h") != NULL);
    fclose(fp);
    if (!uses)
        return 0;
    for (const char *const *u = material_users; *u != NULL; u++) {
        if (strcmp(rel + 1, *u) == 0)
            return 0;
    }
    snprintf(offender, sizeof(offender), "%s", rel + 1);
    return 1;
}

START_TEST(test_keystore_material_confined)
{
    root_len = strlen(gs_test_source_dir());
    int rc = nftw(gs_test_source_dir(), scan, 32, FTW_PHYS | FTW_ACTIONRETVAL);
    ck_assert_msg(rc == 0, "%s includes key_material.h", offender);
}
END_TEST

static Suite *suite_keystore(void)
{
    Suite *s = suite_create("keystore");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_keystore_examples);
    tcase_add_test(tc, test_keystore_lookups);
    tcase_add_loop_test(tc, test_keystore_refusals, 0, GS_ARRAY_LEN(bad));
    tcase_add_test(tc, test_keystore_file_mode);
    tcase_add_test(tc, test_keystore_memory);
    tcase_add_test(tc, test_keystore_material_confined);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_keystore)
