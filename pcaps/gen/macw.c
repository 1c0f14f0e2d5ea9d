/*
 * macw.c - HMAC-SHA256 and AES-GMAC-128 for the capture generators (see macw.h).
 */
#include "macw.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>

static void die(const char *what)
{
    fprintf(stderr, "macw: %s\n", what);
    exit(1);
}

void gs_macw_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                         uint8_t out[32])
{
    unsigned int n = 0;
    if (HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) == NULL || n != 32)
        die("HMAC failed");
}

void gs_macw_gmac128(const uint8_t key[16], const uint8_t iv[12], const uint8_t *aad, size_t len,
                     uint8_t tag[16])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)len) != 1 ||
        EVP_EncryptFinal_ex(ctx, tag, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
        die("GMAC failed");
    EVP_CIPHER_CTX_free(ctx);
}

void gs_macw_test_key(uint8_t *key, size_t len, uint8_t first)
{
    for (size_t i = 0; i < len; i++)
        key[i] = (uint8_t)(first + i);
}
