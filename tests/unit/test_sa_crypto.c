/*
 * test_sa_crypto.c - Secure Authentication primitives against official vectors (RFC 3394 §4.1
 * to §4.6, RFC 2202, RFC 4231, the GCM specification / NIST SP 800-38D CAVS vectors with empty
 * plaintext), then the digest's worked example (dnp3_sav5.md §12) and the real SAv5 traffic of
 * §12.1 (sa_vectors_iti.h): unwrap the real g120v6, verify the real g120v5 and g120v2 MACs.
 */
#include <check.h>
#include <string.h>

#include "key_material.h"
#include "sa_crypto.h"
#include "sa_vectors_iti.h"
#include "test_support.h"

static struct gs_key *key_hex(const char *hex)
{
    uint8_t b[GS_KEY_MAX_BYTES];
    size_t n = gs_test_hex(b, sizeof(b), hex);
    struct gs_key *k = gs_key_create(b, n, GS_KEY_SESSION);
    ck_assert_ptr_nonnull(k);
    return k;
}

static struct gs_key *key_fill(uint8_t byte, size_t n)
{
    uint8_t b[GS_KEY_MAX_BYTES];
    memset(b, byte, n);
    return gs_key_create(b, n, GS_KEY_SESSION);
}

/* ---- RFC 3394 §4 ------------------------------------------------------------------------- */

static const struct {
    const char *clause, *kek, *data, *wrapped;
} rfc3394[] = {
    {"4.1", "000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
     "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
    {"4.2", "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF",
     "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"},
    {"4.3", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     "00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
    {"4.4", "000102030405060708090A0B0C0D0E0F1011121314151617",
     "00112233445566778899AABBCCDDEEFF0001020304050607",
     "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"},
    {"4.5", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     "00112233445566778899AABBCCDDEEFF0001020304050607",
     "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"},
    {"4.6", "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
     "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
     "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
};

START_TEST(test_sa_crypto_rfc3394)
{
    struct gs_key *kek = key_hex(rfc3394[_i].kek);
    uint8_t data[64], wrapped[64], out[64];
    size_t n = gs_test_hex(data, sizeof(data), rfc3394[_i].data);
    size_t wn = gs_test_hex(wrapped, sizeof(wrapped), rfc3394[_i].wrapped);
    ck_assert_uint_eq(wn, n + 8);
    ck_assert_int_eq(gs_sa_crypto_wrap(kek, data, n, out, sizeof(out)), 0);
    ck_assert_msg(memcmp(out, wrapped, wn) == 0, "RFC 3394 %s wrap", rfc3394[_i].clause);
    memset(out, 0, sizeof(out));
    ck_assert_int_eq(gs_sa_crypto_unwrap(kek, wrapped, wn, out, sizeof(out)), 0);
    ck_assert_msg(memcmp(out, data, n) == 0, "RFC 3394 %s unwrap", rfc3394[_i].clause);
    /* Any altered bit fails the integrity check, and the output is wiped. */
    for (size_t bit = 0; bit < wn * 8; bit += 37) {
        uint8_t bad[64];
        memcpy(bad, wrapped, wn);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_int_eq(gs_sa_crypto_unwrap(kek, bad, wn, out, sizeof(out)), 1);
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(out[i], 0);
    }
    /* Sizes RFC 3394 does not allow. */
    ck_assert_int_eq(gs_sa_crypto_unwrap(kek, wrapped, wn - 1, out, sizeof(out)), -1);
    ck_assert_int_eq(gs_sa_crypto_unwrap(kek, wrapped, 16, out, sizeof(out)), -1);
    ck_assert_int_eq(gs_sa_crypto_unwrap(kek, wrapped, wn, out, n - 1), -1);
    ck_assert_int_eq(gs_sa_crypto_wrap(kek, data, 8, out, sizeof(out)), -1);
    gs_key_destroy(kek);
}
END_TEST

/* ---- HMAC: RFC 2202 (SHA-1) and RFC 4231 (SHA-256), at every MAL truncation -------------- */

enum key_kind { K_HEX, K_FILL };

static const struct {
    const char *name;
    enum key_kind kind;
    const char *key_hex;
    uint8_t fill;
    size_t fill_len;
    const char *data; /* text, or hex when data_hex */
    bool data_hex;
    uint8_t data_fill;
    size_t data_fill_len;
    const char *sha1;   /* RFC 2202 full output */
    const char *sha256; /* RFC 4231 full output (case 5: the 128-bit truncation it gives) */
} hmac_cases[] = {
    {"case 1", K_FILL, NULL, 0x0b, 20, "Hi There", false, 0, 0,
     "b617318655057264e28bc0b6fb378c8ef146be00",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"case 2", K_HEX, "4a656665", 0, 0, "what do ya want for nothing?", false, 0, 0,
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"case 3", K_FILL, NULL, 0xaa, 20, NULL, false, 0xdd, 50,
     "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {"case 4", K_HEX, "0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL, false, 0xcd,
     50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {"case 5", K_FILL, NULL, 0x0c, 20, "Test With Truncation", false, 0, 0,
     "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", "a3b6167473100ee06e0c796c2955552b"},
};

/* RFC 2202 cases 6-7 (80-octet key) and RFC 4231 cases 6-7 (131-octet key) differ in keys. */
static const struct {
    const char *name;
    size_t key_len;
    const char *data;
    bool sha256;
    const char *mac;
} hmac_long[] = {
    {"RFC 2202 case 6", 80, "Test Using Larger Than Block-Size Key - Hash Key First", false,
     "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
    {"RFC 2202 case 7", 80,
     "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", false,
     "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
    {"RFC 4231 case 6", 131, "Test Using Larger Than Block-Size Key - Hash Key First", true,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {"RFC 4231 case 7", 131,
     "This is a test using a larger than block-size key and a larger than block-size data. The "
     "key needs to be hashed before being used by the HMAC algorithm.",
     true, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void check_truncations(const char *name, const struct gs_key *k, const uint8_t *data,
                              size_t n, const uint8_t *expect, size_t expect_len, bool sha256)
{
    static const unsigned sha1_mals[] = {GS_SA_MAL_HMAC_SHA1_4, GS_SA_MAL_HMAC_SHA1_8,
                                         GS_SA_MAL_HMAC_SHA1_10};
    static const unsigned sha256_mals[] = {GS_SA_MAL_HMAC_SHA256_8, GS_SA_MAL_HMAC_SHA256_16};
    const unsigned *mals = sha256 ? sha256_mals : sha1_mals;
    size_t n_mals = sha256 ? 2 : 3;
    struct gs_sa_part part = {data, n};
    for (size_t m = 0; m < n_mals; m++) {
        uint8_t out[GS_SA_MAX_MAC];
        size_t len = gs_sa_crypto_mac(mals[m], k, NULL, &part, 1, out, sizeof(out));
        ck_assert_uint_eq(len, gs_sa_crypto_mac_len(mals[m]));
        ck_assert_uint_le(len, expect_len);
        ck_assert_msg(memcmp(out, expect, len) == 0, "%s MAL %u", name, mals[m]);
        ck_assert_int_eq(gs_sa_crypto_verify(mals[m], k, NULL, &part, 1, expect, len),
                         GS_SA_MAC_OK);
    }
}

START_TEST(test_sa_crypto_hmac_rfc)
{
    uint8_t data[256], expect[64];
    size_t n;
    const char *txt = hmac_cases[_i].data;
    if (txt != NULL) {
        n = strlen(txt);
        memcpy(data, txt, n);
    } else {
        n = hmac_cases[_i].data_fill_len;
        memset(data, hmac_cases[_i].data_fill, n);
    }
    struct gs_key *k = hmac_cases[_i].kind == K_HEX
                           ? key_hex(hmac_cases[_i].key_hex)
                           : key_fill(hmac_cases[_i].fill, hmac_cases[_i].fill_len);
    size_t en = gs_test_hex(expect, sizeof(expect), hmac_cases[_i].sha1);
    check_truncations(hmac_cases[_i].name, k, data, n, expect, en, false);
    en = gs_test_hex(expect, sizeof(expect), hmac_cases[_i].sha256);
    check_truncations(hmac_cases[_i].name, k, data, n, expect, en, true);
    gs_key_destroy(k);
}
END_TEST

START_TEST(test_sa_crypto_hmac_long_keys)
{
    uint8_t expect[64];
    struct gs_key *k = key_fill(0xaa, hmac_long[_i].key_len);
    ck_assert_ptr_nonnull(k);
    size_t en = gs_test_hex(expect, sizeof(expect), hmac_long[_i].mac);
    check_truncations(hmac_long[_i].name, k, (const uint8_t *)hmac_long[_i].data,
                      strlen(hmac_long[_i].data), expect, en, hmac_long[_i].sha256);
    gs_key_destroy(k);
}
END_TEST

/* ---- AES-GMAC: GCM with empty plaintext ---------------------------------------------------- */

static const struct {
    const char *source, *key, *iv, *aad, *tag;
} gmac_cases[] = {
    /* The GCM specification (McGrew-Viega), test case 1, AES-128, empty P and A. */
    {"GCM test case 1", "00000000000000000000000000000000", "000000000000000000000000", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    /* Test case 13, AES-256, empty P and A. */
    {"GCM test case 13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    /* NIST SP 800-38D CAVS gcmEncryptExtIV128.rsp, [PTlen = 0] [AADlen = 128], Count = 0. */
    {"CAVS ExtIV128 PT0 AAD128 #0", "77be63708971c4e240d1cb79e8d77feb", "e0e00f19fed7ba0136a797f3",
     "7a43ec1d9c0a5a78a0b16533a6213cab", "209fcc8d3675ed938e9c7166709dd946"},
    /* gcmEncryptExtIV256.rsp, [PTlen = 0] [AADlen = 128], Count = 0. */
    {"CAVS ExtIV256 PT0 AAD128 #0",
     "78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223", "d79cf22d504cc793c3fb6c8a",
     "b96baa8c1c75a671bfb2d08d06be5f36", "3e5d486aa2e30b22e040b85723a06e76"},
};

START_TEST(test_sa_crypto_gmac)
{
    struct gs_key *k = key_hex(gmac_cases[_i].key);
    uint8_t iv[12], aad[64], tag[16], out[GS_SA_MAX_MAC];
    ck_assert_uint_eq(gs_test_hex(iv, sizeof(iv), gmac_cases[_i].iv), 12);
    size_t an = gs_test_hex(aad, sizeof(aad), gmac_cases[_i].aad);
    gs_test_hex(tag, sizeof(tag), gmac_cases[_i].tag);
    struct gs_sa_part part = {aad, an};
    ck_assert_uint_eq(gs_sa_crypto_mac(GS_SA_MAL_AES_GMAC_12, k, iv, &part, 1, out, sizeof(out)),
                      12);
    ck_assert_msg(memcmp(out, tag, 12) == 0, "%s", gmac_cases[_i].source);
    ck_assert_int_eq(gs_sa_crypto_verify(GS_SA_MAL_AES_GMAC_12, k, iv, &part, 1, tag, 12),
                     GS_SA_MAC_OK);
    /* The AAD split in parts gives the same tag. */
    if (an > 5) {
        struct gs_sa_part parts[3] = {{aad, 3}, {aad + 3, 0}, {aad + 3, an - 3}};
        ck_assert_uint_eq(
            gs_sa_crypto_mac(GS_SA_MAL_AES_GMAC_12, k, iv, parts, 3, out, sizeof(out)), 12);
        ck_assert(memcmp(out, tag, 12) == 0);
    }
    /* GMAC needs the IV. */
    ck_assert_uint_eq(gs_sa_crypto_mac(GS_SA_MAL_AES_GMAC_12, k, NULL, &part, 1, out, 16), 0);
    gs_key_destroy(k);
}
END_TEST

START_TEST(test_sa_crypto_tables)
{
    static const size_t lens[] = {0, 4, 10, 8, 16, 8, 12, 0, 0};
    for (unsigned m = 0; m < GS_ARRAY_LEN(lens); m++)
        ck_assert_uint_eq(gs_sa_crypto_mac_len(m), lens[m]);
    ck_assert_uint_eq(gs_sa_crypto_mac_len(255), 0);
    /* Strength order: 1 < 5 < 3 < 2 < 6 < 4; none and unknown lowest. */
    static const unsigned order[] = {1, 5, 3, 2, 6, 4};
    for (size_t i = 0; i + 1 < GS_ARRAY_LEN(order); i++)
        ck_assert_uint_lt(gs_sa_crypto_mal_rank(order[i]), gs_sa_crypto_mal_rank(order[i + 1]));
    ck_assert_uint_eq(gs_sa_crypto_mal_rank(0), 0);
    ck_assert_uint_eq(gs_sa_crypto_mal_rank(7), 0);
    uint8_t iv[12], want[12];
    gs_sa_crypto_gmac_iv(iv, 0x0400, 1, 0x04030201u, 0xAABBCCDDu);
    gs_test_hex(want, sizeof(want), "00 04 01 00 01 02 03 04 DD CC BB AA");
    ck_assert(memcmp(iv, want, 12) == 0);
}
END_TEST

START_TEST(test_sa_crypto_verify_outcomes)
{
    struct gs_key *k = key_fill(0x11, 16);
    const uint8_t msg[] = "message";
    struct gs_sa_part part = {msg, sizeof(msg)};
    uint8_t mac[GS_SA_MAX_MAC];
    ck_assert_uint_eq(gs_sa_crypto_mac(4, k, NULL, &part, 1, mac, sizeof(mac)), 16);
    ck_assert_int_eq(gs_sa_crypto_verify(4, k, NULL, &part, 1, mac, 16), GS_SA_MAC_OK);
    for (size_t bit = 0; bit < 128; bit++) {
        mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_int_eq(gs_sa_crypto_verify(4, k, NULL, &part, 1, mac, 16), GS_SA_MAC_MISMATCH);
        mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ck_assert_int_eq(gs_sa_crypto_verify(4, k, NULL, &part, 1, mac, 8), GS_SA_MAC_BAD_LENGTH);
    ck_assert_int_eq(gs_sa_crypto_verify(0, k, NULL, &part, 1, mac, 0), GS_SA_MAC_CANNOT);
    ck_assert_int_eq(gs_sa_crypto_verify(9, k, NULL, &part, 1, mac, 16), GS_SA_MAC_CANNOT);
    uint8_t iv[12] = {0};
    struct gs_key *odd = key_fill(0x22, 20); /* not an AES key */
    ck_assert_int_eq(gs_sa_crypto_verify(6, odd, iv, &part, 1, mac, 12), GS_SA_MAC_CANNOT);
    ck_assert_uint_eq(gs_sa_crypto_mac(4, k, NULL, &part, 1, mac, 15), 0);
    ck_assert(gs_sa_crypto_equal(mac, mac, 16));
    gs_key_destroy(odd);
    gs_key_destroy(k);
}
END_TEST

/* ---- the digest's worked example, §12 ---------------------------------------------------- */

#define EX_A2 "C0 83 00 00 78 05 5B 01 0F 00 01 00 00 00 01 00 01 02 00 04 00 11 22 33 44"
#define EX_A3                                                                                      \
    "C1 20 78 06 5B 01 46 00 01 00 00 00 01 00"                                                    \
    "1D 54 DA 03 54 F6 0F E7 6A D7 1E AA DE 87 C2 DA 4C 58 00 81 6A 4D 00 73 A8 B0 0F 51 D1 1C "   \
    "E7 5C A4 E6 13 79 A0 75 A7 C8 F1 7C BA BE C4 72 43 2C A9 43 B1 3A 43 5A 6E C2 80 39 C1 58 "   \
    "BA 70 B7 6C"
#define EX_A4                                                                                      \
    "C1 83 00 00 78 05 5B 01 1F 00 02 00 00 00 01 00 01 01 04 04 00 55 66 77 88"                   \
    "C2 5E 6A 4C 0B 6C 78 C5 0C E6 C6 34 D3 26 3F 5C"
#define EX_A5 "C2 05 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 00"
#define EX_A6 "C2 83 00 00 78 01 5B 01 0C 00 01 00 00 00 00 00 04 01 A1 B2 C3 D4"
#define EX_A7                                                                                      \
    "C2 20 78 02 5B 01 16 00 01 00 00 00 01 00 68 51 63 3C 9C EB 98 4C 05 45 68 CA BC E0 C4 45"
#define EX_A8                                                                                      \
    "C3 05 78 03 07 01 02 00 00 00 01 00 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 00"          \
    "78 09 5B 01 10 00 62 D1 E9 2F D2 5D E9 06 EF F4 04 82 F8 86 0F DE"

/* Offsets inside the fragments: requests have no IIN, responses do. */
#define REQ_OBJ  8  /* AC FC 78 vv 5B 01 LL LL */
#define RSP_OBJ  10 /* AC FC IIN IIN 78 vv 5B 01 LL LL */
#define V6_WRAP  (REQ_OBJ + 6)
#define V5_BODY0 11 /* KSQ USR KWA KST MAL CDL */

struct frag {
    uint8_t b[256];
    size_t n;
};

static void frag(struct frag *f, const char *hex)
{
    f->n = gs_test_hex(f->b, sizeof(f->b), hex);
}

/* The g120v5 object data up to the MAC (the key status the g120v6 must embed). */
static size_t v5_body_len(const struct frag *v5)
{
    return V5_BODY0 + (size_t)(v5->b[RSP_OBJ + 9] | v5->b[RSP_OBJ + 10] << 8);
}

START_TEST(test_sa_crypto_worked_example)
{
    struct frag a2, a3, a4, a5, a6, a7, a8;
    frag(&a2, EX_A2);
    frag(&a3, EX_A3);
    frag(&a4, EX_A4);
    frag(&a5, EX_A5);
    frag(&a6, EX_A6);
    frag(&a7, EX_A7);
    frag(&a8, EX_A8);
    struct gs_key *uk = key_hex("000102030405060708090A0B0C0D0E0F");

    /* A3 is the wrap of 10 00 | C0..CF | D0..DF | A2 body | 00*7. */
    uint8_t plain[56] = {0x10, 0x00}, wrapped[64];
    for (int i = 0; i < 16; i++) {
        plain[2 + i] = (uint8_t)(0xC0 + i);
        plain[18 + i] = (uint8_t)(0xD0 + i);
    }
    memcpy(plain + 34, a2.b + RSP_OBJ, v5_body_len(&a2));
    ck_assert_int_eq(gs_sa_crypto_wrap(uk, plain, sizeof(plain), wrapped, sizeof(wrapped)), 0);
    ck_assert(memcmp(wrapped, a3.b + V6_WRAP, 64) == 0);

    struct gs_key *cdsk, *mdsk;
    ck_assert_int_eq(gs_sa_crypto_session_keys(uk, a3.b + V6_WRAP, a3.n - V6_WRAP, a2.b + RSP_OBJ,
                                               v5_body_len(&a2), &cdsk, &mdsk),
                     GS_SA_KEYS_OK);
    ck_assert(memcmp(gs_key_material(cdsk), plain + 2, 16) == 0);
    ck_assert(memcmp(gs_key_material(mdsk), plain + 18, 16) == 0);

    /* A4: MAC of the whole A3 with MDSK; A7: challenge A6 || challenged A5 with CDSK; A8:
     * last challenge A6 || A8 up to its MAC value. */
    struct gs_sa_part p4 = {a3.b, a3.n};
    ck_assert_int_eq(gs_sa_crypto_verify(4, mdsk, NULL, &p4, 1, a4.b + a4.n - 16, 16),
                     GS_SA_MAC_OK);
    struct gs_sa_part p7[2] = {{a6.b, a6.n}, {a5.b, a5.n}};
    ck_assert_int_eq(gs_sa_crypto_verify(4, cdsk, NULL, p7, 2, a7.b + a7.n - 16, 16), GS_SA_MAC_OK);
    struct gs_sa_part p8[2] = {{a6.b, a6.n}, {a8.b, a8.n - 16}};
    ck_assert_int_eq(gs_sa_crypto_verify(4, cdsk, NULL, p8, 2, a8.b + a8.n - 16, 16), GS_SA_MAC_OK);
    /* The directions are not interchangeable. */
    ck_assert_int_eq(gs_sa_crypto_verify(4, mdsk, NULL, p7, 2, a7.b + a7.n - 16, 16),
                     GS_SA_MAC_MISMATCH);
    gs_key_destroy(cdsk);
    gs_key_destroy(mdsk);
    gs_key_destroy(uk);
}
END_TEST

/* ---- real traffic, §12.1 ----------------------------------------------------------------- */

START_TEST(test_sa_crypto_real_traffic)
{
    struct frag v5a, v6, v5b, op, v1, v2, ag;
    frag(&v5a, ITI_G120V5_FIRST);
    frag(&v6, ITI_G120V6);
    frag(&v5b, ITI_G120V5_CONFIRM);
    frag(&op, ITI_DIRECT_OPERATE);
    frag(&v1, ITI_G120V1);
    frag(&v2, ITI_G120V2);
    frag(&ag, ITI_AGGRESSIVE);
    struct gs_key *uk = key_hex(ITI_UPDATE_KEY);

    struct gs_key *cdsk, *mdsk;
    ck_assert_int_eq(gs_sa_crypto_session_keys(uk, v6.b + V6_WRAP, v6.n - V6_WRAP, v5a.b + RSP_OBJ,
                                               v5_body_len(&v5a), &cdsk, &mdsk),
                     GS_SA_KEYS_OK);
    uint8_t want[16];
    gs_test_hex(want, sizeof(want), "5E D6 0F 00 66 E9 BF C4 B2 84 D8 C9 9E 1F BD D5");
    ck_assert(memcmp(gs_key_material(cdsk), want, 16) == 0);
    gs_test_hex(want, sizeof(want), "B1 13 98 62 88 A5 4C 5B A7 E1 54 82 F0 A6 A0 3F");
    ck_assert(memcmp(gs_key_material(mdsk), want, 16) == 0);

    /* The confirming g120v5: MAL 4 over the whole g120v6 fragment with the new MDSK. */
    ck_assert_uint_eq(v5b.b[RSP_OBJ + 8], 4);
    struct gs_sa_part pv6 = {v6.b, v6.n};
    ck_assert_int_eq(gs_sa_crypto_verify(4, mdsk, NULL, &pv6, 1, v5b.b + v5b.n - 16, 16),
                     GS_SA_MAC_OK);
    /* The challenge reply: g120v1 fragment (IIN included) || the DIRECT_OPERATE, CDSK. */
    struct gs_sa_part pr[2] = {{v1.b, v1.n}, {op.b, op.n}};
    ck_assert_int_eq(gs_sa_crypto_verify(4, cdsk, NULL, pr, 2, v2.b + v2.n - 16, 16), GS_SA_MAC_OK);

    /* What a forged key change looks like: wrong status copy, wrong key, altered data. */
    struct gs_key *c2, *m2;
    uint8_t status[32];
    memcpy(status, v5a.b + RSP_OBJ, v5_body_len(&v5a));
    status[0] ^= 1; /* another KSQ */
    ck_assert_int_eq(gs_sa_crypto_session_keys(uk, v6.b + V6_WRAP, v6.n - V6_WRAP, status,
                                               v5_body_len(&v5a), &c2, &m2),
                     GS_SA_KEYS_STATUS_MISMATCH);
    ck_assert_ptr_null(c2);
    ck_assert_ptr_null(m2);
    struct gs_key *wrong = key_hex("49C87D5D90217AAFEC8074EB7152FDB4");
    ck_assert_int_eq(gs_sa_crypto_session_keys(wrong, v6.b + V6_WRAP, v6.n - V6_WRAP,
                                               v5a.b + RSP_OBJ, v5_body_len(&v5a), &c2, &m2),
                     GS_SA_KEYS_UNWRAP_FAILED);
    v6.b[V6_WRAP + 20] ^= 0x80;
    ck_assert_int_eq(gs_sa_crypto_session_keys(uk, v6.b + V6_WRAP, v6.n - V6_WRAP, v5a.b + RSP_OBJ,
                                               v5_body_len(&v5a), &c2, &m2),
                     GS_SA_KEYS_UNWRAP_FAILED);
    ck_assert_int_eq(gs_sa_crypto_session_keys(uk, v6.b + V6_WRAP, 60, v5a.b + RSP_OBJ,
                                               v5_body_len(&v5a), &c2, &m2),
                     GS_SA_KEYS_BAD_LAYOUT);

    /* The aggressive-mode capture is unverifiable: with these keys and this connection's
     * only challenge (CSQ 3), its MAC does not verify, as expected of another session. */
    struct gs_sa_part pa[2] = {{v1.b, v1.n}, {ag.b, ag.n - 16}};
    ck_assert_int_eq(gs_sa_crypto_verify(4, cdsk, NULL, pa, 2, ag.b + ag.n - 16, 16),
                     GS_SA_MAC_MISMATCH);

    gs_key_destroy(wrong);
    gs_key_destroy(cdsk);
    gs_key_destroy(mdsk);
    gs_key_destroy(uk);
}
END_TEST

/* The untruncated primitives the IEC 62351-6 tag verifier uses: all 32 HMAC-SHA-256 octets
 * (RFC 4231 cases 1-4, 6, 7) and the whole 16-octet GMAC tag (the GCM/CAVS vectors above). */
START_TEST(test_sa_crypto_full_hmac_sha256)
{
    uint8_t data[256], expect[64], out[GS_SA_HMAC_SHA256_LEN];
    for (size_t i = 0; i < GS_ARRAY_LEN(hmac_cases); i++) {
        size_t en = gs_test_hex(expect, sizeof(expect), hmac_cases[i].sha256);
        if (en != GS_SA_HMAC_SHA256_LEN)
            continue; /* case 5 publishes a truncation only */
        size_t n;
        if (hmac_cases[i].data != NULL) {
            n = strlen(hmac_cases[i].data);
            memcpy(data, hmac_cases[i].data, n);
        } else {
            n = hmac_cases[i].data_fill_len;
            memset(data, hmac_cases[i].data_fill, n);
        }
        struct gs_key *k = hmac_cases[i].kind == K_HEX
                               ? key_hex(hmac_cases[i].key_hex)
                               : key_fill(hmac_cases[i].fill, hmac_cases[i].fill_len);
        struct gs_sa_part parts[2] = {{data, 3}, {data + 3, n - 3}};
        ck_assert_uint_eq(gs_sa_crypto_hmac_sha256(k, parts, 2, out, sizeof(out)), 32);
        ck_assert_msg(memcmp(out, expect, 32) == 0, "%s", hmac_cases[i].name);
        ck_assert_uint_eq(gs_sa_crypto_hmac_sha256(k, parts, 2, out, 31), 0);
        gs_key_destroy(k);
    }
    for (size_t i = 0; i < GS_ARRAY_LEN(hmac_long); i++) {
        if (!hmac_long[i].sha256)
            continue;
        struct gs_key *k = key_fill(0xaa, hmac_long[i].key_len);
        gs_test_hex(expect, sizeof(expect), hmac_long[i].mac);
        struct gs_sa_part part = {(const uint8_t *)hmac_long[i].data, strlen(hmac_long[i].data)};
        ck_assert_uint_eq(gs_sa_crypto_hmac_sha256(k, &part, 1, out, sizeof(out)), 32);
        ck_assert_msg(memcmp(out, expect, 32) == 0, "%s", hmac_long[i].name);
        gs_key_destroy(k);
    }
    ck_assert_uint_eq(gs_sa_crypto_hmac_sha256(NULL, NULL, 0, out, sizeof(out)), 0);
}
END_TEST

START_TEST(test_sa_crypto_full_gmac)
{
    uint8_t iv[12], aad[64], tag[16], out[GS_SA_GMAC_TAG_LEN];
    for (size_t i = 0; i < GS_ARRAY_LEN(gmac_cases); i++) {
        struct gs_key *k = key_hex(gmac_cases[i].key);
        gs_test_hex(iv, sizeof(iv), gmac_cases[i].iv);
        size_t an = gs_test_hex(aad, sizeof(aad), gmac_cases[i].aad);
        gs_test_hex(tag, sizeof(tag), gmac_cases[i].tag);
        struct gs_sa_part part = {aad, an};
        ck_assert_uint_eq(gs_sa_crypto_aes_gmac(k, iv, &part, 1, out, sizeof(out)), 16);
        ck_assert_msg(memcmp(out, tag, 16) == 0, "%s", gmac_cases[i].source);
        ck_assert_uint_eq(gs_sa_crypto_aes_gmac(k, NULL, &part, 1, out, sizeof(out)), 0);
        ck_assert_uint_eq(gs_sa_crypto_aes_gmac(k, iv, &part, 1, out, 15), 0);
        gs_key_destroy(k);
    }
    /* GMAC needs an AES key: 16 or 32 octets */
    struct gs_key *k = key_fill(0x11, 20);
    struct gs_sa_part part = {aad, 4};
    ck_assert_uint_eq(gs_sa_crypto_aes_gmac(k, iv, &part, 1, out, sizeof(out)), 0);
    gs_key_destroy(k);
}
END_TEST

static Suite *suite_sa_crypto(void)
{
    Suite *s = suite_create("sa_crypto");
    TCase *tc = tcase_create("official");
    tcase_add_loop_test(tc, test_sa_crypto_rfc3394, 0, GS_ARRAY_LEN(rfc3394));
    tcase_add_loop_test(tc, test_sa_crypto_hmac_rfc, 0, GS_ARRAY_LEN(hmac_cases));
    tcase_add_loop_test(tc, test_sa_crypto_hmac_long_keys, 0, GS_ARRAY_LEN(hmac_long));
    tcase_add_loop_test(tc, test_sa_crypto_gmac, 0, GS_ARRAY_LEN(gmac_cases));
    tcase_add_test(tc, test_sa_crypto_full_hmac_sha256);
    tcase_add_test(tc, test_sa_crypto_full_gmac);
    suite_add_tcase(s, tc);
    TCase *sa = tcase_create("sav5");
    tcase_add_test(sa, test_sa_crypto_tables);
    tcase_add_test(sa, test_sa_crypto_verify_outcomes);
    tcase_add_test(sa, test_sa_crypto_worked_example);
    tcase_add_test(sa, test_sa_crypto_real_traffic);
    suite_add_tcase(s, sa);
    return s;
}

GS_TEST_MAIN(suite_sa_crypto)
