/*
 * ber.h - ASN.1 BER/DER tag-length-value reader on the byte cursor (ITU-T X.690 §8.1).
 *
 * Used by MMS and its ISO layers, GOOSE, SV and the R-GOOSE session payloads.
 *
 *   +-----------+-----------------------+------------------+
 *   | identifier| length                | contents         |
 *   | cc f nnnnn| 0lllllll | 1kkkkkkk ..| `length` octets   |
 *   +-----------+-----------------------+------------------+
 *   cc = class, f = constructed, nnnnn = number (11111: high-tag-number form follows)
 *
 * Nesting is bounded by the depth the caller passes (GS_BER_MAX_DEPTH at most), so hostile
 * input cannot recurse without limit. Indefinite lengths (0x80) are rejected unless the caller
 * asks for them with GS_BER_ALLOW_INDEFINITE, because the standards we decode forbid them
 * almost everywhere.
 */
#ifndef GS_DISSECTORS_BER_H
#define GS_DISSECTORS_BER_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

#define GS_BER_MAX_DEPTH 24

enum gs_ber_class {
    GS_BER_UNIVERSAL = 0,
    GS_BER_APPLICATION = 1,
    GS_BER_CONTEXT = 2,
    GS_BER_PRIVATE = 3,
};

struct gs_ber_tag {
    enum gs_ber_class cls;
    bool constructed;
    uint32_t number;
    bool indefinite; /* the length was 0x80 (only with GS_BER_ALLOW_INDEFINITE) */
};

enum gs_ber_flags {
    GS_BER_STRICT = 0,
    GS_BER_ALLOW_INDEFINITE = 1,
};

/* The identifier octet of a low-number tag, as it appears on the wire (e.g. 0xA0, 0x80). */
#define GS_BER_ID(cls, constructed, number)                                                        \
    ((uint8_t)(((unsigned)(cls) << 6) | ((constructed) ? 0x20u : 0u) | ((unsigned)(number))))

/*
 * Reads one TLV at the cursor: the tag into *tag and the contents as a child cursor *value
 * (gs_cur_sub semantics: the parent advances past the whole TLV). `depth` is the nesting level
 * of this TLV (0 at the outermost); a depth above GS_BER_MAX_DEPTH, a reserved length octet, a
 * length of more than four octets, a tag number above 2^28 or an indefinite length without the
 * flag mark the cursor GS_CUR_BAD. Returns true when the header was read and the contents lie
 * within the parent's wire bytes. The contents may still be partly uncaptured: the parent is
 * then GS_CUR_SHORT, and reading the uncaptured part sets GS_CUR_SHORT on the child.
 * For an indefinite length the contents run to the matching end-of-contents octets, which the
 * parent also skips; *value excludes them.
 */
bool gs_ber_tlv(struct gs_cursor *cur, struct gs_ber_tag *tag, struct gs_cursor *value,
                unsigned depth, enum gs_ber_flags flags);

/* True if the tag has the given class, form and number. */
static inline bool gs_ber_is(const struct gs_ber_tag *tag, enum gs_ber_class cls, bool constructed,
                             uint32_t number)
{
    return tag->cls == cls && tag->constructed == constructed && tag->number == number;
}

/*
 * Decodes the whole of `value` as a two's-complement INTEGER (1..8 octets) into *out.
 * Returns false (leaving *out 0) if the length is 0 or above 8.
 */
bool gs_ber_int(struct gs_cursor value, int64_t *out);

/*
 * Decodes the whole of `value` as an unsigned integer: 1..8 octets, or 9 with a leading 0x00
 * (the sign octet BER adds when the top bit is set). Returns false if it does not fit.
 */
bool gs_ber_uint(struct gs_cursor value, uint64_t *out);

/* Decodes a BOOLEAN (exactly one octet, any non-zero value is true). */
bool gs_ber_bool(struct gs_cursor value, bool *out);

#endif
