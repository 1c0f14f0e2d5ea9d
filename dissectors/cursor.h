/*
 * cursor.h - the bounds-checked byte cursor: the only way gridsensor touches packet bytes.
 *
 * A cursor views `wire_len` bytes of which only the first `cap_len` were captured (snaplen).
 * Every reader advances the cursor; a read past `cap_len` sets GS_CUR_SHORT (truncated by the
 * capture), a read past `wire_len` sets GS_CUR_BAD (the PDU lies about its length). The error
 * is sticky: once set, every read returns 0 and moves nothing, so a unit is read straight
 * through and checked once with gs_cur_ok() (docs/STYLE.md §A).
 *
 *     base                         pos                 cap_len        wire_len
 *      |----------- consumed -------|---- readable -----|--- not captured ---|
 *
 * All bounds tests are written `n > len - pos`, so they cannot overflow.
 */
#ifndef GS_DISSECTORS_CURSOR_H
#define GS_DISSECTORS_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gs_cur_err {
    GS_CUR_OK = 0,
    GS_CUR_SHORT, /* read past the captured bytes, within the wire length: truncated */
    GS_CUR_BAD,   /* read past the wire length: malformed */
};

struct gs_cursor {
    const uint8_t *base;
    size_t cap_len;  /* bytes present in memory */
    size_t wire_len; /* bytes the PDU had on the wire (>= cap_len) */
    size_t pos;
    enum gs_cur_err err;
};

/* A zero-copy view of bytes inside the buffer a cursor reads (valid as long as that buffer). */
struct gs_span {
    const uint8_t *ptr;
    size_t len;
};

/* A cursor over `len` fully captured bytes (reassembled streams, datagrams read whole). */
struct gs_cursor gs_cur_init(const uint8_t *data, size_t len);

/* A cursor over a packet of which `cap_len` of `wire_len` bytes were captured.
 * A cap_len larger than wire_len is clamped to wire_len. */
struct gs_cursor gs_cur_init_wire(const uint8_t *data, size_t cap_len, size_t wire_len);

static inline bool gs_cur_ok(const struct gs_cursor *cur)
{
    return cur->err == GS_CUR_OK;
}

/* Bytes left that can actually be read (captured), 0 once the cursor is in error. */
static inline size_t gs_cur_remaining(const struct gs_cursor *cur)
{
    return cur->err == GS_CUR_OK ? cur->cap_len - cur->pos : 0;
}

/* Bytes left on the wire, captured or not, 0 once the cursor is in error. */
static inline size_t gs_cur_wire_remaining(const struct gs_cursor *cur)
{
    return cur->err == GS_CUR_OK ? cur->wire_len - cur->pos : 0;
}

/* True when nothing is left to read and no error is set. */
static inline bool gs_cur_at_end(const struct gs_cursor *cur)
{
    return cur->err == GS_CUR_OK && cur->pos == cur->wire_len;
}

/* Marks the cursor as holding malformed data (a reader-level check failed, e.g. a bad tag). */
void gs_cur_set_bad(struct gs_cursor *cur);

uint8_t gs_cur_u8(struct gs_cursor *cur);
uint16_t gs_cur_be16(struct gs_cursor *cur);
uint16_t gs_cur_le16(struct gs_cursor *cur);
uint32_t gs_cur_be24(struct gs_cursor *cur);
uint32_t gs_cur_le24(struct gs_cursor *cur);
uint32_t gs_cur_be32(struct gs_cursor *cur);
uint32_t gs_cur_le32(struct gs_cursor *cur);
uint64_t gs_cur_le48(struct gs_cursor *cur);
uint64_t gs_cur_be64(struct gs_cursor *cur);
uint64_t gs_cur_le64(struct gs_cursor *cur);

/* Unsigned big-endian integer of n <= 8 bytes (BER contents, odd-sized fields). */
uint64_t gs_cur_be_n(struct gs_cursor *cur, size_t n);
/* Unsigned little-endian integer of n <= 8 bytes (IEC 104 configurable field sizes). */
uint64_t gs_cur_le_n(struct gs_cursor *cur, size_t n);

/* Copies n bytes into out (which must hold n); on error out is zeroed. */
void gs_cur_copy(struct gs_cursor *cur, void *out, size_t n);

/* Skips n bytes. */
void gs_cur_skip(struct gs_cursor *cur, size_t n);

/* Returns a view of the next n bytes and advances past them; {NULL, 0} on error. */
struct gs_span gs_cur_span(struct gs_cursor *cur, size_t n);

/* Returns a view of every captured byte left and advances to the end of the captured data.
 * If bytes were not captured (cap_len < wire_len) the cursor becomes GS_CUR_SHORT. */
struct gs_span gs_cur_rest(struct gs_cursor *cur);

/* Next byte without advancing; 0 and no error change when nothing is left (check remaining). */
uint8_t gs_cur_peek_u8(const struct gs_cursor *cur);
/* The byte `off` positions ahead without advancing; false if it is not readable. */
bool gs_cur_peek_at(const struct gs_cursor *cur, size_t off, uint8_t *out);

/*
 * A child cursor over the next n bytes (a length field's scope); the parent advances past
 * them. The child's wire_len is n and its cap_len what was captured of those n. If n exceeds
 * the parent's wire bytes left, both become GS_CUR_BAD; a parent already in error yields a
 * child in the same error.
 */
struct gs_cursor gs_cur_sub(struct gs_cursor *parent, size_t n);

/* Current offset from the start of the cursor's buffer. */
static inline size_t gs_cur_pos(const struct gs_cursor *cur)
{
    return cur->pos;
}

/* Pointer to the current position (for spans handed to detectors); never dereference it
 * outside cursor.c without a length obtained from this cursor. */
static inline const uint8_t *gs_cur_ptr(const struct gs_cursor *cur)
{
    return cur->base + cur->pos;
}

#endif
