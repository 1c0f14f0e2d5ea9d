/*
 * test_cursor.c - the byte cursor: every reader at every boundary, truncated versus malformed,
 * sticky errors, sub-cursors. Inputs sit flush against a guard page.
 */
#include <check.h>
#include <string.h>

#include "cursor.h"
#include "guard_buf.h"
#include "test_support.h"

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

/* Every fixed-width reader: its width, and its value when reading bytes[0..width). */
struct reader_case {
    const char *name;
    size_t width;
    uint64_t (*read)(struct gs_cursor *cur);
    uint64_t expected;
};

static uint64_t r_u8(struct gs_cursor *c)
{
    return gs_cur_u8(c);
}
static uint64_t r_be16(struct gs_cursor *c)
{
    return gs_cur_be16(c);
}
static uint64_t r_le16(struct gs_cursor *c)
{
    return gs_cur_le16(c);
}
static uint64_t r_be24(struct gs_cursor *c)
{
    return gs_cur_be24(c);
}
static uint64_t r_le24(struct gs_cursor *c)
{
    return gs_cur_le24(c);
}
static uint64_t r_be32(struct gs_cursor *c)
{
    return gs_cur_be32(c);
}
static uint64_t r_le32(struct gs_cursor *c)
{
    return gs_cur_le32(c);
}
static uint64_t r_le48(struct gs_cursor *c)
{
    return gs_cur_le48(c);
}
static uint64_t r_be64(struct gs_cursor *c)
{
    return gs_cur_be64(c);
}
static uint64_t r_le64(struct gs_cursor *c)
{
    return gs_cur_le64(c);
}

static const struct reader_case readers[] = {
    {"u8", 1, r_u8, 0x01},
    {"be16", 2, r_be16, 0x0102},
    {"le16", 2, r_le16, 0x0201},
    {"be24", 3, r_be24, 0x010203},
    {"le24", 3, r_le24, 0x030201},
    {"be32", 4, r_be32, 0x01020304},
    {"le32", 4, r_le32, 0x04030201},
    {"le48", 6, r_le48, 0x060504030201},
    {"be64", 8, r_be64, 0x0102030405060708},
    {"le64", 8, r_le64, 0x0807060504030201},
};

/* Reading exactly the available bytes succeeds; one byte fewer is truncated when the wire
 * had the byte, malformed when it did not. */
START_TEST(test_cursor_reader_boundaries)
{
    const struct reader_case *rc = &readers[_i];
    struct gs_guard_buf g;
    const uint8_t *p = gs_guard_alloc(&g, bytes, rc->width);

    struct gs_cursor cur = gs_cur_init(p, rc->width);
    ck_assert_uint_eq(rc->read(&cur), rc->expected);
    ck_assert(gs_cur_ok(&cur));
    ck_assert(gs_cur_at_end(&cur));
    gs_guard_free(&g);

    p = gs_guard_alloc(&g, bytes, rc->width - 1);
    cur = gs_cur_init_wire(p, rc->width - 1, rc->width);
    ck_assert_uint_eq(rc->read(&cur), 0);
    ck_assert_int_eq(cur.err, GS_CUR_SHORT);
    ck_assert_uint_eq(gs_cur_pos(&cur), 0);

    cur = gs_cur_init(p, rc->width - 1);
    ck_assert_uint_eq(rc->read(&cur), 0);
    ck_assert_int_eq(cur.err, GS_CUR_BAD);
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_cursor_sticky_error)
{
    struct gs_cursor cur = gs_cur_init(bytes, 2);
    gs_cur_be32(&cur);
    ck_assert_int_eq(cur.err, GS_CUR_BAD);
    /* Later reads that would fit return 0 and do not move. */
    ck_assert_uint_eq(gs_cur_u8(&cur), 0);
    ck_assert_uint_eq(gs_cur_pos(&cur), 0);
    ck_assert_uint_eq(gs_cur_remaining(&cur), 0);
    struct gs_span s = gs_cur_span(&cur, 1);
    ck_assert_ptr_null(s.ptr);
    uint8_t out[2] = {0xAA, 0xAA};
    gs_cur_copy(&cur, out, 2);
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[1], 0);
}
END_TEST

START_TEST(test_cursor_skip_span_peek)
{
    struct gs_guard_buf g;
    const uint8_t *p = gs_guard_alloc(&g, bytes, sizeof(bytes));
    struct gs_cursor cur = gs_cur_init(p, sizeof(bytes));
    uint8_t b;
    ck_assert(gs_cur_peek_at(&cur, 8, &b));
    ck_assert_uint_eq(b, 0x09);
    ck_assert(!gs_cur_peek_at(&cur, 9, &b));
    ck_assert(gs_cur_ok(&cur));
    ck_assert_uint_eq(gs_cur_peek_u8(&cur), 0x01);
    gs_cur_skip(&cur, 3);
    struct gs_span s = gs_cur_span(&cur, 4);
    ck_assert_ptr_eq(s.ptr, p + 3);
    ck_assert_uint_eq(s.len, 4);
    ck_assert_uint_eq(gs_cur_remaining(&cur), 2);
    gs_cur_skip(&cur, 3);
    ck_assert_int_eq(cur.err, GS_CUR_BAD);
    ck_assert_uint_eq(gs_cur_peek_u8(&cur), 0);
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_cursor_rest_truncated)
{
    struct gs_cursor cur = gs_cur_init_wire(bytes, 4, 9);
    gs_cur_u8(&cur);
    struct gs_span s = gs_cur_rest(&cur);
    ck_assert_uint_eq(s.len, 3);
    ck_assert_int_eq(cur.err, GS_CUR_SHORT);

    cur = gs_cur_init(bytes, 4);
    s = gs_cur_rest(&cur);
    ck_assert_uint_eq(s.len, 4);
    ck_assert(gs_cur_at_end(&cur));
}
END_TEST

START_TEST(test_cursor_sub_exact)
{
    struct gs_cursor parent = gs_cur_init(bytes, sizeof(bytes));
    gs_cur_u8(&parent);
    struct gs_cursor child = gs_cur_sub(&parent, 4);
    ck_assert(gs_cur_ok(&child));
    ck_assert_uint_eq(child.wire_len, 4);
    ck_assert_uint_eq(gs_cur_be32(&child), 0x02030405);
    ck_assert(gs_cur_at_end(&child));
    /* Reading past the child's end is malformed for the child only. */
    gs_cur_u8(&child);
    ck_assert_int_eq(child.err, GS_CUR_BAD);
    ck_assert(gs_cur_ok(&parent));
    ck_assert_uint_eq(gs_cur_u8(&parent), 0x06);
}
END_TEST

START_TEST(test_cursor_sub_too_long)
{
    struct gs_cursor parent = gs_cur_init(bytes, 4);
    struct gs_cursor child = gs_cur_sub(&parent, 5);
    ck_assert_int_eq(parent.err, GS_CUR_BAD);
    ck_assert_int_eq(child.err, GS_CUR_BAD);
    ck_assert_uint_eq(gs_cur_u8(&child), 0);
}
END_TEST

/* A child reaching into bytes the capture cut: its readable part works, the rest is short,
 * and the parent is marked truncated. */
START_TEST(test_cursor_sub_into_truncated)
{
    struct gs_guard_buf g;
    const uint8_t *p = gs_guard_alloc(&g, bytes, 5);
    struct gs_cursor parent = gs_cur_init_wire(p, 5, 9);
    gs_cur_u8(&parent);
    struct gs_cursor child = gs_cur_sub(&parent, 6);
    ck_assert(gs_cur_ok(&child));
    ck_assert_uint_eq(child.cap_len, 4);
    ck_assert_uint_eq(child.wire_len, 6);
    ck_assert_uint_eq(gs_cur_be32(&child), 0x02030405);
    gs_cur_u8(&child);
    ck_assert_int_eq(child.err, GS_CUR_SHORT);
    ck_assert_int_eq(parent.err, GS_CUR_SHORT);
    ck_assert_uint_eq(gs_cur_u8(&parent), 0);
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_cursor_sub_of_errored_parent)
{
    struct gs_cursor parent = gs_cur_init_wire(bytes, 1, 4);
    gs_cur_be16(&parent);
    struct gs_cursor child = gs_cur_sub(&parent, 1);
    ck_assert_int_eq(child.err, GS_CUR_SHORT);
}
END_TEST

START_TEST(test_cursor_variable_width)
{
    struct gs_cursor cur = gs_cur_init(bytes, sizeof(bytes));
    ck_assert_uint_eq(gs_cur_le_n(&cur, 3), 0x030201);
    ck_assert_uint_eq(gs_cur_be_n(&cur, 1), 0x04);
    ck_assert_uint_eq(gs_cur_be_n(&cur, 0), 0);
    ck_assert(gs_cur_ok(&cur));
    gs_cur_be_n(&cur, 9);
    ck_assert_int_eq(cur.err, GS_CUR_BAD);
}
END_TEST

START_TEST(test_cursor_null_and_empty)
{
    struct gs_cursor cur = gs_cur_init(NULL, 10);
    ck_assert_uint_eq(gs_cur_remaining(&cur), 0);
    gs_cur_u8(&cur);
    ck_assert_int_eq(cur.err, GS_CUR_SHORT);
    cur = gs_cur_init(bytes, 0);
    ck_assert(gs_cur_at_end(&cur));
    struct gs_span s = gs_cur_span(&cur, 0);
    ck_assert_uint_eq(s.len, 0);
    ck_assert(gs_cur_ok(&cur));
    /* cap_len above wire_len is clamped: nothing reads past the wire. */
    cur = gs_cur_init_wire(bytes, 9, 3);
    ck_assert_uint_eq(cur.cap_len, 3);
}
END_TEST

static Suite *suite_cursor(void)
{
    Suite *s = suite_create("cursor");
    TCase *tc = tcase_create("readers");
    tcase_add_loop_test(tc, test_cursor_reader_boundaries, 0,
                        (int)(sizeof(readers) / sizeof(readers[0])));
    tcase_add_test(tc, test_cursor_sticky_error);
    tcase_add_test(tc, test_cursor_skip_span_peek);
    tcase_add_test(tc, test_cursor_rest_truncated);
    tcase_add_test(tc, test_cursor_variable_width);
    tcase_add_test(tc, test_cursor_null_and_empty);
    suite_add_tcase(s, tc);
    tc = tcase_create("sub");
    tcase_add_test(tc, test_cursor_sub_exact);
    tcase_add_test(tc, test_cursor_sub_too_long);
    tcase_add_test(tc, test_cursor_sub_into_truncated);
    tcase_add_test(tc, test_cursor_sub_of_errored_parent);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_cursor)
