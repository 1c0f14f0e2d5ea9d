/*
 * ber.c - ASN.1 BER tag-length-value reader (X.690 §8.1).
 */
#include "ber.h"

#include <stddef.h>

#define BER_ID_CLASS(id)       ((unsigned)(((id) >> 6) & 0x03u))
#define BER_ID_CONSTRUCTED(id) (((id)&0x20u) != 0)
#define BER_ID_NUMBER(id)      ((uint32_t)((id)&0x1Fu))
#define BER_HIGH_TAG           0x1Fu
#define BER_LEN_INDEFINITE     0x80u
#define BER_LEN_RESERVED       0xFFu
#define BER_LEN_LONG(b)        (((b)&0x80u) != 0)
#define BER_LEN_OCTETS(b)      ((size_t)((b)&0x7Fu))
#define BER_MAX_LEN_OCTETS     4

static bool read_tag(struct gs_cursor *cur, struct gs_ber_tag *tag)
{
    uint8_t id = gs_cur_u8(cur);
    tag->cls = (enum gs_ber_class)BER_ID_CLASS(id);
    tag->constructed = BER_ID_CONSTRUCTED(id);
    tag->number = BER_ID_NUMBER(id);
    tag->indefinite = false;
    if (tag->number != BER_HIGH_TAG)
        return gs_cur_ok(cur);

    /* High-tag-number form: base-128 digits, the last one with bit 8 clear. */
    uint32_t number = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t b = gs_cur_u8(cur);
        if (!gs_cur_ok(cur))
            return false;
        number = (number << 7) | (uint32_t)(b & 0x7Fu);
        if ((b & 0x80u) == 0) {
            tag->number = number;
            return true;
        }
    }
    gs_cur_set_bad(cur);
    return false;
}

/*
 * Finds the end-of-contents octets that close an indefinite-length value starting at the
 * cursor, walking nested TLVs. On success *content_len is the length before the 00 00 pair.
 */
static bool find_end_of_contents(struct gs_cursor cur, size_t *content_len, unsigned depth)
{
    size_t start = gs_cur_pos(&cur);
    for (;;) {
        uint8_t b0, b1;
        if (!gs_cur_peek_at(&cur, 0, &b0) || !gs_cur_peek_at(&cur, 1, &b1))
            return false;
        if (b0 == 0 && b1 == 0) {
            *content_len = gs_cur_pos(&cur) - start;
            return true;
        }
        struct gs_ber_tag tag;
        struct gs_cursor inner;
        if (!gs_ber_tlv(&cur, &tag, &inner, depth + 1, GS_BER_ALLOW_INDEFINITE))
            return false;
    }
}

bool gs_ber_tlv(struct gs_cursor *cur, struct gs_ber_tag *tag, struct gs_cursor *value,
                unsigned depth, enum gs_ber_flags flags)
{
    *value = gs_cur_init(NULL, 0);
    if (depth > GS_BER_MAX_DEPTH) {
        gs_cur_set_bad(cur);
        value->err = GS_CUR_BAD;
        return false;
    }
    if (!read_tag(cur, tag)) {
        value->err = cur->err;
        return false;
    }

    uint8_t first = gs_cur_u8(cur);
    size_t len = 0;
    if (!gs_cur_ok(cur)) {
        value->err = cur->err;
        return false;
    }
    if (first == BER_LEN_INDEFINITE) {
        if ((flags & GS_BER_ALLOW_INDEFINITE) == 0 || !tag->constructed) {
            gs_cur_set_bad(cur);
            value->err = GS_CUR_BAD;
            return false;
        }
        if (!find_end_of_contents(*cur, &len, depth)) {
            /* A truncated capture can hide the end-of-contents; anything else is malformed. */
            if (cur->cap_len < cur->wire_len)
                cur->err = GS_CUR_SHORT;
            else
                gs_cur_set_bad(cur);
            value->err = cur->err;
            return false;
        }
        tag->indefinite = true;
        *value = gs_cur_sub(cur, len);
        gs_cur_skip(cur, 2);
        return gs_cur_ok(value) && gs_cur_ok(cur);
    }
    if (first == BER_LEN_RESERVED) {
        gs_cur_set_bad(cur);
        value->err = GS_CUR_BAD;
        return false;
    }
    if (BER_LEN_LONG(first)) {
        size_t octets = BER_LEN_OCTETS(first);
        if (octets > BER_MAX_LEN_OCTETS) {
            gs_cur_set_bad(cur);
            value->err = GS_CUR_BAD;
            return false;
        }
        len = (size_t)gs_cur_be_n(cur, octets);
    } else {
        len = first;
    }
    *value = gs_cur_sub(cur, len);
    return gs_cur_ok(value);
}

bool gs_ber_int(struct gs_cursor value, int64_t *out)
{
    *out = 0;
    size_t n = gs_cur_wire_remaining(&value);
    if (n == 0 || n > 8)
        return false;
    uint8_t first = gs_cur_peek_u8(&value);
    uint64_t raw = gs_cur_be_n(&value, n);
    if (!gs_cur_ok(&value))
        return false;
    if ((first & 0x80u) != 0 && n < 8)
        raw |= ~UINT64_C(0) << (8 * n);
    *out = (int64_t)raw;
    return true;
}

bool gs_ber_uint(struct gs_cursor value, uint64_t *out)
{
    *out = 0;
    size_t n = gs_cur_wire_remaining(&value);
    if (n == 9 && gs_cur_peek_u8(&value) == 0) {
        gs_cur_skip(&value, 1);
        n = 8;
    }
    if (n == 0 || n > 8)
        return false;
    uint64_t v = gs_cur_be_n(&value, n);
    if (!gs_cur_ok(&value))
        return false;
    *out = v;
    return true;
}

bool gs_ber_bool(struct gs_cursor value, bool *out)
{
    *out = false;
    if (gs_cur_wire_remaining(&value) != 1)
        return false;
    uint8_t b = gs_cur_u8(&value);
    if (!gs_cur_ok(&value))
        return false;
    *out = b != 0;
    return true;
}
