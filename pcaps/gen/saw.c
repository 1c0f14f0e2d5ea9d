/*
 * saw.c - DNP3 SAv5 / IEC 62351-5 crypto for the capture generators (see saw.h).
 */
#include "saw.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAL_AES_GMAC 6

static void die(const char *what)
{
    fprintf(stderr, "saw: %s failed\n", what);
    exit(1);
}

size_t gs_saw_mal_len(uint8_t mal)
{
    static const size_t len[] = {0, 4, 10, 8, 16, 8, 12};
    return mal < sizeof(len) / sizeof(len[0]) ? len[mal] : 0;
}

static void gmac(const uint8_t *key, size_t key_len, const uint8_t iv[12],
                 const struct gs_saw_part *parts, size_t n_parts, uint8_t tag[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl;
    if (c == NULL || EVP_EncryptInit_ex(c, key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(),
                                        NULL, key, iv) != 1)
        die("GCM init");
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i].n != 0 && EVP_EncryptUpdate(c, NULL, &outl, parts[i].p, (int)parts[i].n) != 1)
            die("GCM AAD");
    }
    if (EVP_EncryptFinal_ex(c, tag, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
        die("GCM tag");
    EVP_CIPHER_CTX_free(c);
}

static void hmac(bool sha256, const uint8_t *key, size_t key_len, const struct gs_saw_part *parts,
                 size_t n_parts, uint8_t out[64])
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(m);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256 ? "SHA256" : "SHA1", 0),
        OSSL_PARAM_construct_end()};
    size_t n;
    if (c == NULL || EVP_MAC_init(c, key, key_len, params) != 1)
        die("HMAC init");
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i].n != 0 && EVP_MAC_update(c, parts[i].p, parts[i].n) != 1)
            die("HMAC update");
    }
    if (EVP_MAC_final(c, out, &n, 64) != 1)
        die("HMAC");
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
}

void gs_saw_mac(uint8_t mal, const uint8_t *key, size_t key_len, const uint8_t iv[12],
                const struct gs_saw_part *parts, size_t n_parts, uint8_t *out)
{
    uint8_t full[64];
    if (mal == MAL_AES_GMAC)
        gmac(key, key_len, iv, parts, n_parts, full);
    else
        hmac(mal == 3 || mal == 4, key, key_len, parts, n_parts, full);
    memcpy(out, full, gs_saw_mal_len(mal));
}

size_t gs_saw_aes_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t n,
                       uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    if (c == NULL)
        die("AES key wrap");
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_EncryptInit_ex(c, kek_len == 32 ? EVP_aes_256_wrap() : EVP_aes_128_wrap(), NULL, kek,
                           NULL) != 1 ||
        EVP_EncryptUpdate(c, out, &l1, in, (int)n) != 1 ||
        EVP_EncryptFinal_ex(c, out + l1, &l2) != 1)
        die("AES key wrap");
    EVP_CIPHER_CTX_free(c);
    return (size_t)(l1 + l2);
}

void gs_saw_gmac_iv(uint8_t iv[12], uint16_t sender, uint16_t user, uint32_t ksq, uint32_t csq)
{
    const uint8_t v[12] = {(uint8_t)sender,      (uint8_t)(sender >> 8), (uint8_t)user,
                           (uint8_t)(user >> 8), (uint8_t)ksq,           (uint8_t)(ksq >> 8),
                           (uint8_t)(ksq >> 16), (uint8_t)(ksq >> 24),   (uint8_t)csq,
                           (uint8_t)(csq >> 8),  (uint8_t)(csq >> 16),   (uint8_t)(csq >> 24)};
    memcpy(iv, v, sizeof(v));
}
