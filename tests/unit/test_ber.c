/*
 * test_ber.c - the BER reader: short and long lengths, high tag numbers, indefinite lengths
 * (only when allowed), the depth limit, integers.
 */
#include <check.h>

#include "ber.h"
#include "guard_buf.h"
#include "test_support.h"

static struct gs_cursor vec(struct gs_guard_buf *g, const char *hex)
{
    uint8_t buf[512];
    size_t n = gs_test_hex(buf, sizeof(buf), hex);
    const uint8_t *p = gs_guard_alloc(g, buf, n);
    return gs_cur_init(p, n);
}

START_TEST(test_ber_short_and_long_lengths)
{
    struct gs_guard_buf g;
    struct gs_cursor cur = vec(&g, "80 02 AB CD  A1 81 03 02 01 05  04 82 00 01 FF");
    struct gs_ber_tag tag;
    struct gs_cursor val;
    ck_assert(gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    ck_assert(gs_ber_is(&tag, GS_BER_CONTEXT, false, 0));
    ck_assert_uint_eq(val.wire_len, 2);
    ck_assert(gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    ck_assert(gs_ber_is(&tag, GS_BER_CONTEXT, true, 1));
    struct gs_ber_tag inner;
    struct gs_cursor ival;
    ck_assert(gs_ber_tlv(&val, &inner, &ival, 1, GS_BER_STRICT));
    int64_t v;
    ck_assert(gs_ber_int(ival, &v));
    ck_assert_int_eq(v, 5);
    ck_assert(gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    ck_assert(gs_ber_is(&tag, GS_BER_UNIVERSAL, false, 4));
    ck_assert_uint_eq(val.wire_len, 1);
    ck_assert(gs_cur_at_end(&cur));
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_ber_high_tag_number)
{
    struct gs_guard_buf g;
    struct gs_cursor cur = vec(&g, "BF 81 00 00");
    struct gs_ber_tag tag;
    struct gs_cursor val;
    ck_assert(gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    ck_assert_uint_eq(tag.number, 128);
    ck_assert(tag.constructed);
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_ber_length_past_end)
{
    struct gs_guard_buf g;
    struct gs_cursor cur = vec(&g, "04 05 01 02");
    struct gs_ber_tag tag;
    struct gs_cursor val;
    ck_assert(!gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    ck_assert_int_eq(cur.err, GS_CUR_BAD);
    gs_guard_free(&g);

    /* Five length octets: refused rather than overflowing. */
    cur = vec(&g, "04 85 00 00 00 00 01 AA");
    ck_assert(!gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    gs_guard_free(&g);

    cur = vec(&g, "04 FF");
    ck_assert(!gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_ber_truncated_contents)
{
    uint8_t buf[] = {0x04, 0x04, 0x01, 0x02};
    struct gs_cursor cur = gs_cur_init_wire(buf, sizeof(buf), 6);
    struct gs_ber_tag tag;
    struct gs_cursor val;
    ck_assert(gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_STRICT));
    ck_assert_uint_eq(val.cap_len, 2);
    ck_assert_uint_eq(val.wire_len, 4);
    ck_assert_int_eq(cur.err, GS_CUR_SHORT);
    gs_cur_be32(&val);
    ck_assert_int_eq(val.err, GS_CUR_SHORT);
}
END_TEST

START_TEST(test_ber_indefinite)
{
    struct gs_guard_buf g;
    struct gs_cursor cur = vec(&g, "A0 80 02 01 07 A1 80 00 00 00 00 05 00");
    struct gs_ber_tag tag;
    struct gs_cursor val;
    struct gs_cursor strict = cur;
    ck_assert(!gs_ber_tlv(&strict, &tag, &val, 0, GS_BER_STRICT));
    ck_assert(gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_ALLOW_INDEFINITE));
    ck_assert(tag.indefinite);
    ck_assert_uint_eq(val.wire_len, 7);
    struct gs_ber_tag next;
    struct gs_cursor nval;
    ck_assert(gs_ber_tlv(&cur, &next, &nval, 0, GS_BER_STRICT));
    ck_assert(gs_ber_is(&next, GS_BER_UNIVERSAL, false, 5));
    ck_assert(gs_cur_at_end(&cur));
    gs_guard_free(&g);

    /* No end-of-contents: malformed. */
    cur = vec(&g, "A0 80 02 01 07");
    ck_assert(!gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_ALLOW_INDEFINITE));
    ck_assert_int_eq(cur.err, GS_CUR_BAD);
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_ber_depth_limit)
{
    /* Deeply nested indefinite lengths stop at GS_BER_MAX_DEPTH instead of recursing on. */
    uint8_t buf[200];
    size_t n = 0;
    for (int i = 0; i < 60; i++) {
        buf[n++] = 0xA0;
        buf[n++] = 0x80;
    }
    struct gs_cursor cur = gs_cur_init(buf, n);
    struct gs_ber_tag tag;
    struct gs_cursor val;
    ck_assert(!gs_ber_tlv(&cur, &tag, &val, 0, GS_BER_ALLOW_INDEFINITE));
    cur = gs_cur_init(buf, n);
    ck_assert(!gs_ber_tlv(&cur, &tag, &val, GS_BER_MAX_DEPTH + 1, GS_BER_STRICT));
    ck_assert_int_eq(cur.err, GS_CUR_BAD);
}
END_TEST

START_TEST(test_ber_integers)
{
    uint8_t b[9];
    int64_t v;
    uint64_t u;
    b[0] = 0xFF;
    ck_assert(gs_ber_int(gs_cur_init(b, 1), &v));
    ck_assert_int_eq(v, -1);
    b[0] = 0x80;
    b[1] = 0x00;
    ck_assert(gs_ber_int(gs_cur_init(b, 2), &v));
    ck_assert_int_eq(v, -32768);
    ck_assert(!gs_ber_int(gs_cur_init(b, 0), &v));
    ck_assert(!gs_ber_int(gs_cur_init(b, 9), &v));
    b[0] = 0x00;
    for (int i = 1; i < 9; i++)
        b[i] = 0xFF;
    ck_assert(gs_ber_uint(gs_cur_init(b, 9), &u));
    ck_assert_uint_eq(u, UINT64_MAX);
    b[0] = 0x01;
    ck_assert(!gs_ber_uint(gs_cur_init(b, 9), &u));
    bool flag;
    ck_assert(gs_ber_bool(gs_cur_init(b, 1), &flag));
    ck_assert(flag);
    ck_assert(!gs_ber_bool(gs_cur_init(b, 2), &flag));
}
END_TEST

static Suite *suite_ber(void)
{
    Suite *s = suite_create("ber");
    TCase *tc = tcase_create("tlv");
    tcase_add_test(tc, test_ber_short_and_long_lengths);
    tcase_add_test(tc, test_ber_high_tag_number);
    tcase_add_test(tc, test_ber_length_past_end);
    tcase_add_test(tc, test_ber_truncated_contents);
    tcase_add_test(tc, test_ber_indefinite);
    tcase_add_test(tc, test_ber_depth_limit);
    tcase_add_test(tc, test_ber_integers);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_ber)
