/*
 * sa_crypto.h - the cryptography of Secure Authentication v5: DNP3 (IEEE 1815-2012 clause 7)
 * and IEC 60870-5-101/104 (IEC TS 62351-5:2013), which share MAC algorithms, key wrap and the
 * session-key-change plaintext.
 *
 *   MAL  algorithm       MAC octets      key wrap (g120v6 / S_KC_NA_1), RFC 3394:
 *    1   HMAC-SHA-1       4 (SAv2)        AESKW(update key,
 *    2   HMAC-SHA-1      10                 L(u16 LE) | CDSK(L) | MDSK(L) | key status | pad)
 *    3   HMAC-SHA-256     8
 *    4   HMAC-SHA-256    16              AES-GMAC IV (12 octets, little-endian):
 *    5   HMAC-SHA-1       8                sender link address(2) | USR(2) | KSQ(4) | CSQ(4)
 *    6   AES-GMAC        12
 *
 * HMACs are truncated to their leftmost octets. AES-GMAC is AES-GCM with the message as
 * additional authenticated data, no plaintext, the tag truncated to 12 octets; the AES key
 * size follows the session key (16 or 32 octets). OpenSSL EVP only; MACs are compared in
 * constant time. Key bytes never leave this module except into OpenSSL.
 */
#ifndef GS_DETECTORS_SA_CRYPTO_H
#define GS_DETECTORS_SA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "keystore.h"

/* MAC algorithm numbers (MAL) of g120v1/g120v5 and IEC 62351-5 S_CH_NA_1/S_KS_NA_1. */
enum gs_sa_mal {
    GS_SA_MAL_NONE = 0,
    GS_SA_MAL_HMAC_SHA1_4 = 1,
    GS_SA_MAL_HMAC_SHA1_10 = 2,
    GS_SA_MAL_HMAC_SHA256_8 = 3,
    GS_SA_MAL_HMAC_SHA256_16 = 4,
    GS_SA_MAL_HMAC_SHA1_8 = 5,
    GS_SA_MAL_AES_GMAC_12 = 6,
};

#define GS_SA_MAX_MAC   16 /* the longest MAC any MAL carries */
#define GS_SA_GMAC_IV   12
#define GS_SA_MAX_PARTS 4

/* MAC length of a MAL, 0 for MAL 0 and unknown values. */
size_t gs_sa_crypto_mac_len(unsigned mal);

/* Strength order for downgrade checks: 0 for none/unknown, then 1 (SHA-1/4) < 5 (SHA-1/8) <
 * 3 (SHA-256/8) < 2 (SHA-1/10) < 6 (GMAC/12) < 4 (SHA-256/16), i.e. by MAC length, then hash. */
unsigned gs_sa_crypto_mal_rank(unsigned mal);

/* A byte range to MAC; a MAC input is the concatenation of up to GS_SA_MAX_PARTS of them
 * (challenge APDU || challenged APDU). */
struct gs_sa_part {
    const uint8_t *p;
    size_t n;
};

/* The AES-GMAC IV of §6.5. */
void gs_sa_crypto_gmac_iv(uint8_t iv[GS_SA_GMAC_IV], uint16_t sender_addr, uint16_t user,
                          uint32_t ksq, uint32_t csq);

/*
 * Computes the MAL's MAC of the concatenated parts with `key` into out (gs_sa_crypto_mac_len
 * octets, out_cap >= that). `iv` is required for MAL 6 and ignored otherwise. Returns the MAC
 * length, or 0 if the MAL is unknown/none, the key does not suit it (GMAC needs a 16- or
 * 32-octet key), or OpenSSL fails.
 */
size_t gs_sa_crypto_mac(unsigned mal, const struct gs_key *key, const uint8_t *iv,
                        const struct gs_sa_part *parts, size_t n_parts, uint8_t *out,
                        size_t out_cap) GS_WARN_UNUSED;

enum gs_sa_verdict {
    GS_SA_MAC_OK = 0,
    GS_SA_MAC_MISMATCH,   /* computed and different */
    GS_SA_MAC_BAD_LENGTH, /* the MAC on the wire is not the MAL's length */
    GS_SA_MAC_CANNOT,     /* unknown MAL, key unsuited, or OpenSSL failure: not a verdict */
};

/* Recomputes and compares in constant time. */
enum gs_sa_verdict gs_sa_crypto_verify(unsigned mal, const struct gs_key *key, const uint8_t *iv,
                                       const struct gs_sa_part *parts, size_t n_parts,
                                       const uint8_t *mac, size_t mac_len) GS_WARN_UNUSED;

/*
 * The two primitives underneath, for the other users of these MACs (the IEC 62351-6 GOOSE/SV
 * tag verifier): HMAC-SHA-256 of the concatenated parts, all 32 octets into out (out_cap >= 32);
 * AES-GMAC (GCM, the parts as additional authenticated data, no plaintext) under a 16- or
 * 32-octet key and a 12-octet IV, the whole 16-octet tag into out (out_cap >= 16). Callers
 * truncate to the leftmost octets they need. Return the octets written, or 0 (key unsuited,
 * no IV, too many parts, OpenSSL failure).
 */
#define GS_SA_HMAC_SHA256_LEN 32
#define GS_SA_GMAC_TAG_LEN    16
size_t gs_sa_crypto_hmac_sha256(const struct gs_key *key, const struct gs_sa_part *parts,
                                size_t n_parts, uint8_t *out, size_t out_cap) GS_WARN_UNUSED;
size_t gs_sa_crypto_aes_gmac(const struct gs_key *key, const uint8_t *iv,
                             const struct gs_sa_part *parts, size_t n_parts, uint8_t *out,
                             size_t out_cap) GS_WARN_UNUSED;

/* Constant-time equality of two n-octet strings. */
bool gs_sa_crypto_equal(const uint8_t *a, const uint8_t *b, size_t n);

/*
 * RFC 3394 AES key wrap with the default IV, KEK = a 16-, 24- or 32-octet key. in_len is a multiple
 * of 8, >= 16; out gets in_len + 8 octets. Returns 0, or -1 (bad sizes, OpenSSL failure).
 */
int gs_sa_crypto_wrap(const struct gs_key *kek, const uint8_t *in, size_t in_len, uint8_t *out,
                      size_t out_cap) GS_WARN_UNUSED;

/*
 * RFC 3394 unwrap: in_len a multiple of 8, >= 24; out gets in_len - 8 octets. Returns 0; 1 when
 * the integrity check fails (wrong KEK or altered data); -1 for bad sizes or OpenSSL failure.
 * The plaintext is key material: the caller wipes it (OPENSSL_cleanse).
 */
int gs_sa_crypto_unwrap(const struct gs_key *kek, const uint8_t *in, size_t in_len, uint8_t *out,
                        size_t out_cap) GS_WARN_UNUSED;

enum gs_sa_keychange {
    GS_SA_KEYS_OK = 0,
    GS_SA_KEYS_UNWRAP_FAILED,   /* RFC 3394 integrity check failed: wrong update key/tampering */
    GS_SA_KEYS_BAD_LAYOUT,      /* wrapped data not a multiple of 8, or L outside 16..64, or the
                                 * plaintext too short for 2 + 2L + the key status */
    GS_SA_KEYS_STATUS_MISMATCH, /* the key-status copy differs from the last g120v5 body */
    GS_SA_KEYS_NO_MEMORY,       /* could not allocate the session keys */
    GS_SA_KEYS_WRONG_KEY,       /* the update key is not an AES-128/256 key */
};

/*
 * Session key change (g120v6 / S_KC_NA_1 wrapped key data, §6.3): unwraps `wrapped` with the
 * update key, checks that the plaintext at 2 + 2L starts with `key_status` (the object data of
 * the last g120v5 for the user, KSQ first, without its MAC; padding after it is ignored), and
 * on success returns the control- and monitoring-direction session keys as new keys the
 * caller frees (gs_key_destroy). The plaintext never leaves this function and is wiped.
 */
enum gs_sa_keychange gs_sa_crypto_session_keys(const struct gs_key *update_key,
                                               const uint8_t *wrapped, size_t wrapped_len,
                                               const uint8_t *key_status, size_t key_status_len,
                                               struct gs_key **cdsk,
                                               struct gs_key **mdsk) GS_WARN_UNUSED;

#endif
