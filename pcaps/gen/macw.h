/*
 * macw.h - the MACs of IEC 62351-6 and IEC 61850-90-5 for the project's capture generators:
 * HMAC-SHA256 and AES-GMAC-128 (OpenSSL), full length; callers truncate (leftmost octets).
 */
#ifndef GS_PCAPS_MACW_H
#define GS_PCAPS_MACW_H

#include <stddef.h>
#include <stdint.h>

/* HMAC-SHA256 of data under key into out[32]; exits the generator on failure. */
void gs_macw_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                         uint8_t out[32]);

/* AES-128-GMAC (GCM with no plaintext) of aad under key and a 12-octet IV into tag[16]. */
void gs_macw_gmac128(const uint8_t key[16], const uint8_t iv[12], const uint8_t *aad, size_t len,
                     uint8_t tag[16]);

/* A test-only key: len octets first, first+1, ... */
void gs_macw_test_key(uint8_t *key, size_t len, uint8_t first);

#endif
