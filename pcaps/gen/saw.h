/*
 * saw.h - the crypto of DNP3 SAv5 and IEC 62351-5 for the capture generators (gen_dnp3_sa,
 * gen_iec104_sa), written straight against OpenSSL and independently of detectors/sa_crypto.c,
 * so that the capture tests cross-check the two. Every function exits the generator on failure.
 */
#ifndef GS_PCAPS_SAW_H
#define GS_PCAPS_SAW_H

#include <stddef.h>
#include <stdint.h>

/* The MAC length of a MAC algorithm code (dnp3_sav5.md §4.1): 1 SHA-1/4, 2 SHA-1/10,
 * 3 SHA-256/8, 4 SHA-256/16, 5 SHA-1/8, 6 AES-GMAC/12; 0 for any other. */
size_t gs_saw_mal_len(uint8_t mal);

/* One piece of a MAC's input; the input is the pieces in order. */
struct gs_saw_part {
    const uint8_t *p;
    size_t n;
};

/* The MAC of algorithm `mal` over `parts` under `key` into out[gs_saw_mal_len(mal)]; `iv` is
 * used by AES-GMAC only (AES-128 or AES-256 by key_len). */
void gs_saw_mac(uint8_t mal, const uint8_t *key, size_t key_len, const uint8_t iv[12],
                const struct gs_saw_part *parts, size_t n_parts, uint8_t *out);

/* RFC 3394 AES key wrap of in[n] (a multiple of 8) under kek (16 or 32 octets) into out[n + 8];
 * returns n + 8. */
size_t gs_saw_aes_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in, size_t n,
                       uint8_t *out);

/* The AES-GMAC IV (dnp3_sav5.md §6.5): sender address, user, KSQ, CSQ, little-endian. */
void gs_saw_gmac_iv(uint8_t iv[12], uint16_t sender, uint16_t user, uint32_t ksq, uint32_t csq);

#endif
