/*
 * cursor.c - bounds-checked byte readers (see cursor.h for the contract).
 */
#include "cursor.h"

#include <string.h>

struct gs_cursor gs_cur_init(const uint8_t *data, size_t len)
{
    return gs_cur_init_wire(data, len, len);
}

struct gs_cursor gs_cur_init_wire(const uint8_t *data, size_t cap_len, size_t wire_len)
{
    struct gs_cursor cur = {
        .base = data,
        .cap_len = cap_len < wire_len ? cap_len : wire_len,
        .wire_len = wire_len,
        .pos = 0,
        .err = GS_CUR_OK,
    };
    if (data == NULL)
        cur.cap_len = 0;
    return cur;
}

void gs_cur_set_bad(struct gs_cursor *cur)
{
    cur->err = GS_CUR_BAD;
}

/*
 * Checks that n more bytes can be read and records the error if not. The order of the two
 * tests matters: past the wire length is malformed even if it is also past the capture.
 */
static bool take(struct gs_cursor *cur, size_t n)
{
    if (cur->err != GS_CUR_OK)
        return false;
    if (n > cur->wire_len - cur->pos) {
        cur->err = GS_CUR_BAD;
        return false;
    }
    if (n > cur->cap_len - cur->pos) {
        cur->err = GS_CUR_SHORT;
        return false;
    }
    return true;
}

uint8_t gs_cur_u8(struct gs_cursor *cur)
{
    if (!take(cur, 1))
        return 0;
    return cur->base[cur->pos++];
}

uint64_t gs_cur_be_n(struct gs_cursor *cur, size_t n)
{
    if (n > 8) {
        gs_cur_set_bad(cur);
        return 0;
    }
    if (!take(cur, n))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | cur->base[cur->pos + i];
    cur->pos += n;
    return v;
}

uint64_t gs_cur_le_n(struct gs_cursor *cur, size_t n)
{
    if (n > 8) {
        gs_cur_set_bad(cur);
        return 0;
    }
    if (!take(cur, n))
        return 0;
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--)
        v = (v << 8) | cur->base[cur->pos + i - 1];
    cur->pos += n;
    return v;
}

uint16_t gs_cur_be16(struct gs_cursor *cur)
{
    return (uint16_t)gs_cur_be_n(cur, 2);
}

uint16_t gs_cur_le16(struct gs_cursor *cur)
{
    return (uint16_t)gs_cur_le_n(cur, 2);
}

uint32_t gs_cur_be24(struct gs_cursor *cur)
{
    return (uint32_t)gs_cur_be_n(cur, 3);
}

uint32_t gs_cur_le24(struct gs_cursor *cur)
{
    return (uint32_t)gs_cur_le_n(cur, 3);
}

uint32_t gs_cur_be32(struct gs_cursor *cur)
{
    return (uint32_t)gs_cur_be_n(cur, 4);
}

uint32_t gs_cur_le32(struct gs_cursor *cur)
{
    return (uint32_t)gs_cur_le_n(cur, 4);
}

uint64_t gs_cur_le48(struct gs_cursor *cur)
{
    return gs_cur_le_n(cur, 6);
}

uint64_t gs_cur_be64(struct gs_cursor *cur)
{
    return gs_cur_be_n(cur, 8);
}

uint64_t gs_cur_le64(struct gs_cursor *cur)
{
    return gs_cur_le_n(cur, 8);
}

void gs_cur_copy(struct gs_cursor *cur, void *out, size_t n)
{
    if (!take(cur, n)) {
        memset(out, 0, n);
        return;
    }
    memcpy(out, cur->base + cur->pos, n);
    cur->pos += n;
}

void gs_cur_skip(struct gs_cursor *cur, size_t n)
{
    if (take(cur, n))
        cur->pos += n;
}

struct gs_span gs_cur_span(struct gs_cursor *cur, size_t n)
{
    struct gs_span span = {NULL, 0};
    if (!take(cur, n))
        return span;
    span.ptr = cur->base + cur->pos;
    span.len = n;
    cur->pos += n;
    return span;
}

struct gs_span gs_cur_rest(struct gs_cursor *cur)
{
    struct gs_span span = {NULL, 0};
    if (cur->err != GS_CUR_OK)
        return span;
    span.ptr = cur->base + cur->pos;
    span.len = cur->cap_len - cur->pos;
    cur->pos = cur->cap_len;
    if (cur->cap_len < cur->wire_len)
        cur->err = GS_CUR_SHORT;
    return span;
}

uint8_t gs_cur_peek_u8(const struct gs_cursor *cur)
{
    if (cur->err != GS_CUR_OK || cur->pos >= cur->cap_len)
        return 0;
    return cur->base[cur->pos];
}

bool gs_cur_peek_at(const struct gs_cursor *cur, size_t off, uint8_t *out)
{
    if (cur->err != GS_CUR_OK || off >= cur->cap_len - cur->pos)
        return false;
    *out = cur->base[cur->pos + off];
    return true;
}

struct gs_cursor gs_cur_sub(struct gs_cursor *parent, size_t n)
{
    struct gs_cursor child = {.base = parent->base + parent->pos,
                              .cap_len = 0,
                              .wire_len = 0,
                              .pos = 0,
                              .err = parent->err};
    if (parent->err != GS_CUR_OK)
        return child;
    if (n > parent->wire_len - parent->pos) {
        parent->err = GS_CUR_BAD;
        child.err = GS_CUR_BAD;
        return child;
    }
    size_t captured = parent->cap_len - parent->pos;
    child.wire_len = n;
    child.cap_len = n < captured ? n : captured;
    parent->pos += n;
    /* The child reaches past the captured bytes, so the parent's unit is truncated too; the
     * error also keeps pos <= cap_len true for every cursor that can still be read. */
    if (parent->pos > parent->cap_len)
        parent->err = GS_CUR_SHORT;
    return child;
}
