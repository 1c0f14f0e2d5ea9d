/*
 * tag62351_6.h - verifies an IEC 62351-6 authentication tag of GOOSE, SV, R-GOOSE or R-SV (the
 * record dissectors/iec62351_6.h builds) with a group key from the key store.
 *
 *   key algorithm (key store)   MAC                                   tag octets
 *   hmac-sha256-80/128/256      HMAC-SHA-256, leftmost octets         10 / 16 / 32
 *   aes-gmac-64/128             AES-GCM, covered octets as AAD,       8 / 16
 *                               no plaintext, the record's 12-octet IV
 *
 * The public sources disagree on which octets a tag covers (../shared/specs/iec62351_6.md §5),
 * so the record lists candidates (EtherType/APPID/APDU start x APDU end/tag TLV on layer 2; SI
 * or CLTP start x payload end/signature/SI+SPDU length in the session protocol) and a tag is
 * valid when one of them verifies: the caller remembers which one per publisher and names it
 * first next time, so a steady stream costs one MAC per frame. The key's algorithm decides,
 * not the frame: a version-1 session header naming another algorithm, or a tag of another
 * length, is a tag that does not verify (a downgrade must not pass). Formats a group key
 * cannot check (the 2007 RSA signature, a layout without key id, an unknown extension, an
 * encrypted payload) are unverifiable, never invalid.
 */
#ifndef GS_DETECTORS_TAG62351_6_H
#define GS_DETECTORS_TAG62351_6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iec62351_6.h"
#include "keystore.h"

enum gs_tag_verdict {
    GS_TAG_OK = 0,       /* a candidate coverage verifies */
    GS_TAG_INVALID,      /* the key is the right one and no candidate verifies */
    GS_TAG_UNVERIFIABLE, /* nothing can be concluded (reason says why) */
};

struct gs_tag_result {
    enum gs_tag_verdict verdict;
    /* INVALID: "mismatch", "tag_length", "algorithm_mismatch"; UNVERIFIABLE: "no_iv",
     * "key_unsuited", "crypto_failure", "no_coverage". NULL with OK. Static strings. */
    const char *reason;
    const char *coverage;   /* OK: the candidate that verified (the record's static name) */
    size_t candidates;      /* MACs computed */
    size_t tag_len_wanted;  /* octets the key's algorithm gives a tag */
    enum gs_sec_alg key_as; /* the key's algorithm in the record's numbering */
};

/*
 * Whether the record holds a tag a group key can verify. False with a static reason:
 * "no_tag", "signature" (2007: RSA, needs the publisher's certificate), "no_key_id" (research
 * layout), "unknown_format", "encrypted" (the tag covers ciphertext: AES-GCM, not checked here).
 */
bool gs_tag_verifiable(const struct gs_sec_info *sec, const char **reason);

/*
 * Checks sec->tag with `key` over each coverage candidate, the one named `preferred` (or none,
 * NULL) first, stopping at the first that verifies. `iv` replaces the record's IV (12 octets)
 * for GMAC when not NULL. Call only when gs_tag_verifiable() is true.
 */
void gs_tag_verify(const struct gs_sec_info *sec, const struct gs_key *key, const uint8_t *iv,
                   const char *preferred, struct gs_tag_result *res);

/* The key store algorithm in the record's numbering (GS_SEC_ALG_HMAC_SHA256_80, ...), and
 * GS_SEC_ALG_UNKNOWN for keys that are no tag keys. */
enum gs_sec_alg gs_tag_key_alg(const struct gs_key *key);

#endif
