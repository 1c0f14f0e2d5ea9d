/*
 * test_iec61850_data.c - MMS Data values: each alternative, nesting, the entry cap, bad
 * lengths and unknown tags.
 */
#include <check.h>
#include <math.h>

#include "guard_buf.h"
#include "iec61850_data.h"
#include "test_support.h"

struct decoded {
    struct gs_guard_buf g;
    struct gs_data_node nodes[16];
    struct gs_data_list list;
    long top;
};

static void decode(struct decoded *d, const char *hex, size_t cap)
{
    uint8_t buf[256];
    size_t n = gs_test_hex(buf, sizeof(buf), hex);
    const uint8_t *p = gs_guard_alloc(&d->g, buf, n);
    struct gs_cursor cur = gs_cur_init(p, n);
    d->list = (struct gs_data_list){.nodes = d->nodes, .cap = cap};
    d->top = gs_data_decode_all(&cur, &d->list, 0);
}

START_TEST(test_data_primitives)
{
    struct decoded d;
    decode(&d,
           "83 01 01  84 02 06 40  85 01 FB  86 02 00 FF  87 05 08 3F C0 00 00"
           "8A 03 61 62 63  91 08 65 A1 B2 C3 80 00 00 0A  89 02 DE AD",
           16);
    ck_assert_int_eq(d.top, 8);
    ck_assert(d.nodes[0].v.boolean);
    ck_assert_uint_eq(d.nodes[1].v.unused_bits, 6);
    ck_assert_uint_eq(d.nodes[1].raw.len, 1);
    ck_assert_uint_eq(d.nodes[1].raw.ptr[0], 0x40);
    ck_assert_int_eq(d.nodes[2].v.integer, -5);
    ck_assert_uint_eq(d.nodes[3].v.unsigned_, 255);
    ck_assert(fabs(d.nodes[4].v.floating - 1.5) < 1e-9);
    ck_assert_uint_eq(d.nodes[5].raw.len, 3);
    ck_assert_uint_eq(d.nodes[6].v.utc.seconds, 0x65A1B2C3u);
    ck_assert_uint_eq(d.nodes[6].v.utc.fraction, 0x800000u);
    ck_assert_uint_eq(d.nodes[6].v.utc.quality, 0x0A);
    ck_assert_uint_eq(gs_utc_time_us(&d.nodes[6].v.utc), 0x65A1B2C3ull * 1000000u + 500000u);
    for (int i = 0; i < 8; i++)
        ck_assert_msg(d.nodes[i].valid, "node %d", i);
    gs_guard_free(&d.g);
}
END_TEST

START_TEST(test_data_nesting)
{
    struct decoded d;
    decode(&d, "A2 0A 83 01 00 A1 05 85 01 01 85 00 86 01 07", 16);
    ck_assert_int_eq(d.top, 2);
    ck_assert_int_eq(d.nodes[0].type, GS_DATA_STRUCTURE);
    ck_assert_uint_eq(d.nodes[0].n_children, 2);
    ck_assert_int_eq(d.nodes[2].type, GS_DATA_ARRAY);
    ck_assert_uint_eq(d.nodes[2].depth, 1);
    ck_assert_uint_eq(d.nodes[2].n_children, 2);
    ck_assert_uint_eq(d.nodes[3].depth, 2);
    /* An empty integer is decoded but not valid. */
    ck_assert(!d.nodes[4].valid);
    ck_assert_uint_eq(d.nodes[5].v.unsigned_, 7);
    gs_guard_free(&d.g);
}
END_TEST

START_TEST(test_data_cap_and_errors)
{
    struct decoded d;
    decode(&d, "83 01 01 83 01 00 83 01 01", 2);
    ck_assert_int_eq(d.top, 3);
    ck_assert(d.list.capped);
    ck_assert_uint_eq(d.list.n, 2);
    gs_guard_free(&d.g);

    decode(&d, "83 01 01 9F 20 00", 16); /* unknown tag */
    ck_assert_int_eq(d.top, -1);
    gs_guard_free(&d.g);

    decode(&d, "A2 05 83 01 01", 16); /* structure longer than the input */
    ck_assert_int_eq(d.top, -1);
    gs_guard_free(&d.g);

    decode(&d, "87 04 08 00 00 00 91 07 00 00 00 00 00 00 00", 16); /* bad float, bad time */
    ck_assert_int_eq(d.top, 2);
    ck_assert(!d.nodes[0].valid);
    ck_assert(!d.nodes[1].valid);
    gs_guard_free(&d.g);
}
END_TEST

static Suite *suite_iec61850_data(void)
{
    Suite *s = suite_create("iec61850_data");
    TCase *tc = tcase_create("data");
    tcase_add_test(tc, test_data_primitives);
    tcase_add_test(tc, test_data_nesting);
    tcase_add_test(tc, test_data_cap_and_errors);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_iec61850_data)
