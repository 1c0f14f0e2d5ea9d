/*
 * sa_crypto.c - Secure Authentication v5 cryptography through OpenSSL EVP (see sa_crypto.h).
 *
 * Sources: MAL table and leftmost truncation, IEEE 1815-2012 §7 as implemented by opendnp3
 * (HMACProvider) and Triangle MicroWorks (dnpauth_MACtoLength); AES-GMAC as TMW's tmwcrypto
 * does it (CRYPTO_gcm128_aad over the message, empty plaintext, 12-octet tag); key-change
 * plaintext layout, opendnp3 KeyWrap.cpp / TMW _verifyAndGetSessionKeys. Digest:
 * shared/specs/dnp3_sav5.md §4.1, §6.3, §6.5.
 */
#include "sa_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "key_material.h"

#define MAX_SESSION_KEY 64  /* TMW allows up to 64; opendnp3 16..32 */
#define MAX_WRAPPED     512 /* 2 + 2*64 + key status (11 + CDL <= 64 + MAC) + pad, with room */

size_t gs_sa_crypto_mac_len(unsigned mal)
{
    switch (mal) {
    case GS_SA_MAL_HMAC_SHA1_4:
        return 4;
    case GS_SA_MAL_HMAC_SHA1_10:
        return 10;
    case GS_SA_MAL_HMAC_SHA256_8:
    case GS_SA_MAL_HMAC_SHA1_8:
        return 8;
    case GS_SA_MAL_HMAC_SHA256_16:
        return 16;
    case GS_SA_MAL_AES_GMAC_12:
        return 12;
    default:
        return 0;
    }
}

unsigned gs_sa_crypto_mal_rank(unsigned mal)
{
    static const unsigned rank[] = {0, 1, 4, 3, 6, 2, 5};
    return mal < GS_ARRAY_LEN(rank) ? rank[mal] : 0;
}

static void put16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void gs_sa_crypto_gmac_iv(uint8_t iv[GS_SA_GMAC_IV], uint16_t sender_addr, uint16_t user,
                          uint32_t ksq, uint32_t csq)
{
    put16le(iv, sender_addr);
    put16le(iv + 2, user);
    put32le(iv + 4, ksq);
    put32le(iv + 8, csq);
}

bool gs_sa_crypto_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

/* The HMAC implementation, fetched once: a provider lookup per MAC would cost a third of the
 * verification time. */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static size_t hmac(const char *digest, const struct gs_key *key, const struct gs_sa_part *parts,
                   size_t n_parts, uint8_t *full, size_t full_cap)
{
    size_t out_len = 0;
    pthread_once(&hmac_once, hmac_fetch);
    EVP_MAC_CTX *ctx = hmac_impl != NULL ? EVP_MAC_CTX_new(hmac_impl) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_end(),
    };
    bool ok = ctx != NULL && EVP_MAC_init(ctx, gs_key_material(key), gs_key_len(key), params) == 1;
    for (size_t i = 0; ok && i < n_parts; i++)
        ok = EVP_MAC_update(ctx, parts[i].p, parts[i].n) == 1;
    if (!ok || EVP_MAC_final(ctx, full, &out_len, full_cap) != 1)
        out_len = 0;
    EVP_MAC_CTX_free(ctx);
    return out_len;
}

static size_t gmac(const struct gs_key *key, const uint8_t *iv, const struct gs_sa_part *parts,
                   size_t n_parts, uint8_t tag[16])
{
    const EVP_CIPHER *cipher = gs_key_len(key) == 16   ? EVP_aes_128_gcm()
                               : gs_key_len(key) == 32 ? EVP_aes_256_gcm()
                                                       : NULL;
    if (cipher == NULL || iv == NULL)
        return 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;
    bool ok = ctx != NULL && EVP_EncryptInit_ex(ctx, cipher, NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GS_SA_GMAC_IV, NULL) == 1 &&
              EVP_EncryptInit_ex(ctx, NULL, NULL, gs_key_material(key), iv) == 1;
    for (size_t i = 0; ok && i < n_parts; i++) {
        /* EVP takes int lengths; APDUs are at most a few kilobytes. */
        ok = parts[i].n <= 0x7FFFFFFF &&
             EVP_EncryptUpdate(ctx, NULL, &outl, parts[i].p, (int)parts[i].n) == 1;
    }
    uint8_t none[16];
    ok = ok && EVP_EncryptFinal_ex(ctx, none, &outl) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 16 : 0;
}

size_t gs_sa_crypto_mac(unsigned mal, const struct gs_key *key, const uint8_t *iv,
                        const struct gs_sa_part *parts, size_t n_parts, uint8_t *out,
                        size_t out_cap)
{
    size_t want = gs_sa_crypto_mac_len(mal);
    if (want == 0 || out_cap < want || key == NULL || n_parts > GS_SA_MAX_PARTS)
        return 0;
    uint8_t full[EVP_MAX_MD_SIZE];
    size_t got;
    switch (mal) {
    case GS_SA_MAL_HMAC_SHA1_4:
    case GS_SA_MAL_HMAC_SHA1_10:
    case GS_SA_MAL_HMAC_SHA1_8:
        got = hmac("SHA1", key, parts, n_parts, full, sizeof(full));
        break;
    case GS_SA_MAL_HMAC_SHA256_8:
    case GS_SA_MAL_HMAC_SHA256_16:
        got = hmac("SHA256", key, parts, n_parts, full, sizeof(full));
        break;
    default:
        got = gmac(key, iv, parts, n_parts, full);
        break;
    }
    if (got < want)
        return 0;
    memcpy(out, full, want);
    return want;
}

enum gs_sa_verdict gs_sa_crypto_verify(unsigned mal, const struct gs_key *key, const uint8_t *iv,
                                       const struct gs_sa_part *parts, size_t n_parts,
                                       const uint8_t *mac, size_t mac_len)
{
    size_t want = gs_sa_crypto_mac_len(mal);
    if (want == 0)
        return GS_SA_MAC_CANNOT;
    if (mac_len != want)
        return GS_SA_MAC_BAD_LENGTH;
    uint8_t calc[GS_SA_MAX_MAC];
    if (gs_sa_crypto_mac(mal, key, iv, parts, n_parts, calc, sizeof(calc)) != want)
        return GS_SA_MAC_CANNOT;
    return gs_sa_crypto_equal(calc, mac, want) ? GS_SA_MAC_OK : GS_SA_MAC_MISMATCH;
}

size_t gs_sa_crypto_hmac_sha256(const struct gs_key *key, const struct gs_sa_part *parts,
                                size_t n_parts, uint8_t *out, size_t out_cap)
{
    if (key == NULL || n_parts > GS_SA_MAX_PARTS || out_cap < GS_SA_HMAC_SHA256_LEN)
        return 0;
    uint8_t full[EVP_MAX_MD_SIZE];
    if (hmac("SHA256", key, parts, n_parts, full, sizeof(full)) != GS_SA_HMAC_SHA256_LEN)
        return 0;
    memcpy(out, full, GS_SA_HMAC_SHA256_LEN);
    return GS_SA_HMAC_SHA256_LEN;
}

size_t gs_sa_crypto_aes_gmac(const struct gs_key *key, const uint8_t *iv,
                             const struct gs_sa_part *parts, size_t n_parts, uint8_t *out,
                             size_t out_cap)
{
    if (key == NULL || n_parts > GS_SA_MAX_PARTS || out_cap < GS_SA_GMAC_TAG_LEN)
        return 0;
    uint8_t tag[GS_SA_GMAC_TAG_LEN];
    if (gmac(key, iv, parts, n_parts, tag) != GS_SA_GMAC_TAG_LEN)
        return 0;
    memcpy(out, tag, GS_SA_GMAC_TAG_LEN);
    return GS_SA_GMAC_TAG_LEN;
}

static const EVP_CIPHER *wrap_cipher(const struct gs_key *kek)
{
    if (kek == NULL)
        return NULL;
    /* SA update keys are AES-128 or AES-256; AES-192 is accepted for RFC 3394 completeness. */
    switch (gs_key_len(kek)) {
    case 16:
        return EVP_aes_128_wrap();
    case 24:
        return EVP_aes_192_wrap();
    case 32:
        return EVP_aes_256_wrap();
    default:
        return NULL;
    }
}

/* One RFC 3394 operation; returns the output length, or -1. For unwrap, OpenSSL fails the
 * final step when the integrity check value does not match. */
static int kw(const struct gs_key *kek, bool enc, const uint8_t *in, size_t in_len, uint8_t *out)
{
    const EVP_CIPHER *cipher = wrap_cipher(kek);
    if (cipher == NULL || in_len > 0x7FFFFFFF)
        return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    if (ctx != NULL)
        EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    bool ok = ctx != NULL &&
              EVP_CipherInit_ex(ctx, cipher, NULL, gs_key_material(kek), NULL, enc ? 1 : 0) == 1 &&
              EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) == 1 && n >= 0 &&
              EVP_CipherFinal_ex(ctx, out + n, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? n + fin : -1;
}

int gs_sa_crypto_wrap(const struct gs_key *kek, const uint8_t *in, size_t in_len, uint8_t *out,
                      size_t out_cap)
{
    if (in_len < 16 || in_len % 8 != 0 || out_cap < in_len + 8)
        return -1;
    return kw(kek, true, in, in_len, out) == (int)(in_len + 8) ? 0 : -1;
}

int gs_sa_crypto_unwrap(const struct gs_key *kek, const uint8_t *in, size_t in_len, uint8_t *out,
                        size_t out_cap)
{
    if (in_len < 24 || in_len % 8 != 0 || out_cap < in_len - 8 || wrap_cipher(kek) == NULL)
        return -1;
    int n = kw(kek, false, in, in_len, out);
    if (n != (int)(in_len - 8)) {
        OPENSSL_cleanse(out, in_len - 8);
        return 1;
    }
    return 0;
}

static uint16_t get16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

enum gs_sa_keychange gs_sa_crypto_session_keys(const struct gs_key *update_key,
                                               const uint8_t *wrapped, size_t wrapped_len,
                                               const uint8_t *key_status, size_t key_status_len,
                                               struct gs_key **cdsk, struct gs_key **mdsk)
{
    *cdsk = NULL;
    *mdsk = NULL;
    if (wrap_cipher(update_key) == NULL)
        return GS_SA_KEYS_WRONG_KEY;
    if (wrapped_len < 24 || wrapped_len % 8 != 0 || wrapped_len > MAX_WRAPPED)
        return GS_SA_KEYS_BAD_LAYOUT;
    uint8_t plain[MAX_WRAPPED];
    size_t n = wrapped_len - 8;
    enum gs_sa_keychange rc = GS_SA_KEYS_OK;
    int u = gs_sa_crypto_unwrap(update_key, wrapped, wrapped_len, plain, sizeof(plain));
    if (u != 0)
        return u == 1 ? GS_SA_KEYS_UNWRAP_FAILED : GS_SA_KEYS_BAD_LAYOUT;
    size_t klen = get16le(plain);
    if (klen < 16 || klen > MAX_SESSION_KEY || 2 + 2 * klen > n ||
        key_status_len > n - (2 + 2 * klen)) {
        rc = GS_SA_KEYS_BAD_LAYOUT;
    } else if (CRYPTO_memcmp(plain + 2 + 2 * klen, key_status, key_status_len) != 0) {
        rc = GS_SA_KEYS_STATUS_MISMATCH;
    } else {
        *cdsk = gs_key_create(plain + 2, klen, GS_KEY_SESSION);
        *mdsk = gs_key_create(plain + 2 + klen, klen, GS_KEY_SESSION);
        if (*cdsk == NULL || *mdsk == NULL) {
            gs_key_destroy(*cdsk);
            gs_key_destroy(*mdsk);
            *cdsk = NULL;
            *mdsk = NULL;
            rc = GS_SA_KEYS_NO_MEMORY;
        }
    }
    OPENSSL_cleanse(plain, sizeof(plain));
    return rc;
}
