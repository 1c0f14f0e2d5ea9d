/*
 * test_iec62351_6.c - the IEC 62351-6 layer-2 extension parser: CRC-16/X-25 vectors, how the
 * octets after Length are classified (none, padding, trailing bytes, extension), the 2007
 * extension with every Reserved2 outcome and the empty-A0 encoder bug, the 2020 tagged and
 * packed candidates, the research layout, unknown and broken extensions, and that the first
 * coverage candidate is exactly what a MAC computed the generators' way covers.
 */
#include <check.h>
#include <string.h>

#include "guard_buf.h"
#include "iec61850w.h"
#include "iec62351_6.h"
#include "macw.h"
#include "test_support.h"

#define ET_GOOSE 0x88B8

START_TEST(test_sec_crc16_x25)
{
    ck_assert_uint_eq(gs_sec_crc16_x25((const uint8_t *)"123456789", 9), 0x906E);
    /* specs/iec62351_6.md §4.3 (a): EtherType..Reserved1 of a 2007-signed GOOSE frame */
    const uint8_t hdr[8] = {0x88, 0xb8, 0x00, 0x01, 0x00, 0x91, 0x00, 0x86};
    ck_assert_uint_eq(gs_sec_crc16_x25(hdr, sizeof(hdr)), 0xD249);
}
END_TEST

/* A GOOSE payload (APPID 1) with `ext` appended; Reserved1/2 as given. */
static size_t frame(uint8_t *out, uint16_t r1, uint16_t r2, const uint8_t *ext, size_t ext_len)
{
    uint8_t data[8] = {0x83, 0x01, 0x01};
    struct gs_goose_spec s = {.gocb_ref = "SEC/LLN0$GO$gcb",
                              .ttl_ms = 1000,
                              .dat_set = "SEC/LLN0$ds",
                              .st_num = 1,
                              .conf_rev = 1,
                              .entries = 1,
                              .all_data = data,
                              .all_data_len = 3};
    uint8_t apdu[512];
    size_t n = gs_goose_apdu(apdu, sizeof(apdu), &s);
    n = gs_l2pdu(out, 1024, 0x0001, r1, r2, apdu, n);
    if (ext_len > 0)
        memcpy(out + n, ext, ext_len);
    return n + ext_len;
}

struct parsed {
    struct gs_sec_info sec;
    struct gs_sec_l2_result res;
    struct gs_guard_buf g;
    size_t apdu_end;
};

/* Parses the tail of `b`; the guard buffer stays alive (spans point into it). */
static void parse(struct parsed *p, const uint8_t *b, size_t len)
{
    const uint8_t *data = gs_guard_alloc(&p->g, b, len);
    struct gs_cursor unit = gs_cur_init(data, len);
    struct gs_l2pdu_header hdr;
    struct gs_cursor c = unit;
    ck_assert(gs_l2pdu_header_read(&c, &hdr));
    p->apdu_end = hdr.length;
    gs_sec_parse_l2(&unit, &hdr, ET_GOOSE, p->apdu_end, &p->sec, &p->res);
}

START_TEST(test_sec_tail_classes)
{
    uint8_t b[1024];
    struct parsed p;
    size_t n = frame(b, 0, 0, NULL, 0);
    parse(&p, b, n);
    ck_assert_int_eq(p.res.tail, GS_SEC_TAIL_NONE);
    ck_assert(!p.sec.present && !p.res.reserved_nonzero);
    gs_guard_free(&p.g);

    static const uint8_t zeros[6] = {0};
    n = frame(b, 0, 0, zeros, sizeof(zeros));
    parse(&p, b, n);
    ck_assert_int_eq(p.res.tail, GS_SEC_TAIL_PADDING);
    gs_guard_free(&p.g);

    static const uint8_t fcs[4] = {0x12, 0x34, 0x56, 0x78};
    n = frame(b, 0, 0x0001, fcs, sizeof(fcs));
    parse(&p, b, n);
    ck_assert_int_eq(p.res.tail, GS_SEC_TAIL_TRAILING);
    ck_assert(!p.sec.present);
    ck_assert(p.res.reserved_nonzero);
    gs_guard_free(&p.g);

    /* Reserved1 announces 4 octets that match no layout: an unknown extension, kept raw */
    n = frame(b, 4, 0, fcs, sizeof(fcs));
    parse(&p, b, n);
    ck_assert_int_eq(p.res.tail, GS_SEC_TAIL_EXTENSION);
    ck_assert(p.sec.present && p.res.ext_unknown);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_UNKNOWN);
    ck_assert_uint_eq(p.sec.raw.len, 4);
    ck_assert(p.sec.r1_len_matches);
    ck_assert_uint_eq(p.sec.n_coverage, 3);
    gs_guard_free(&p.g);
}
END_TEST

/* A0 81 83 | 83 81 80 | 128 signature octets (specs/iec62351_6.md §4.3 (a)). */
static size_t ext_2007(uint8_t *ext, bool empty_a0)
{
    size_t n = 0;
    ext[n++] = 0xA0;
    if (empty_a0) {
        ext[n++] = 0x00;
    } else {
        ext[n++] = 0x81;
        ext[n++] = 0x83;
    }
    ext[n++] = 0x83;
    ext[n++] = 0x81;
    ext[n++] = 0x80;
    for (int i = 0; i < 128; i++)
        ext[n++] = (uint8_t)i;
    return n;
}

static uint16_t crc_of(const uint8_t *payload)
{
    uint8_t h[8] = {0x88,       0xb8,       payload[0], payload[1],
                    payload[2], payload[3], payload[4], payload[5]};
    return gs_sec_crc16_x25(h, sizeof(h));
}

START_TEST(test_sec_2007)
{
    uint8_t b[1024], ext[160];
    size_t e = ext_2007(ext, false);
    ck_assert_uint_eq(e, 134);
    size_t n = frame(b, (uint16_t)e, 0, ext, e);
    uint16_t crc = crc_of(b);
    struct {
        uint16_t r2;
        enum gs_sec_crc want;
    } cases[] = {{(uint16_t)((crc << 8) | (crc >> 8)), GS_SEC_CRC_OK_LSB_FIRST},
                 {crc, GS_SEC_CRC_OK_MSB_FIRST},
                 {0, GS_SEC_CRC_ZERO},
                 {(uint16_t)(crc ^ 0x0101), GS_SEC_CRC_MISMATCH}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b[6] = (uint8_t)(cases[i].r2 >> 8);
        b[7] = (uint8_t)cases[i].r2;
        struct parsed p;
        parse(&p, b, n);
        ck_assert_int_eq(p.sec.format, GS_SEC_L2_2007);
        ck_assert_int_eq(p.sec.algorithm, GS_SEC_ALG_SIGNATURE);
        ck_assert_int_eq(p.sec.crc, cases[i].want);
        ck_assert_uint_eq(p.sec.crc_computed, crc);
        ck_assert(p.sec.r1_len_matches && !p.res.ext_length_mismatch);
        ck_assert_uint_eq(p.sec.tag.len, 128);
        ck_assert_uint_eq(p.sec.tag.ptr[127], 127);
        /* TMW signs EtherType..the octet before the 83 TLV: listed first */
        ck_assert_uint_eq(p.sec.n_coverage, 6);
        ck_assert_str_eq(p.sec.coverage[0].name, "ethertype..tag_tlv");
        ck_assert_int_eq(p.sec.coverage[0].start, -2);
        ck_assert_int_eq(p.sec.coverage[0].end, (long)p.apdu_end + 3);
        ck_assert_uint_eq(p.sec.coverage[0].prefix_len, 2);
        ck_assert_uint_eq(p.sec.coverage[0].prefix[0], 0x88);
        ck_assert_uint_eq(p.sec.coverage[0].span.len, p.apdu_end + 3);
        ck_assert_str_eq(p.sec.coverage[5].name, "apdu..apdu_end");
        ck_assert_int_eq(p.sec.coverage[5].start, 8);
        ck_assert_uint_eq(p.sec.coverage[5].span.len, p.apdu_end - 8);
        gs_guard_free(&p.g);
    }
    /* Reserved1 off by one */
    b[5] = (uint8_t)(e + 1);
    struct parsed p;
    parse(&p, b, n);
    ck_assert(p.res.ext_length_mismatch);
    gs_guard_free(&p.g);
}
END_TEST

START_TEST(test_sec_2007_empty_a0)
{
    /* TMW without private data: A0 00, the signature TLV after it, Reserved1 = 2 */
    uint8_t b[1024], ext[160];
    size_t e = ext_2007(ext, true);
    size_t n = frame(b, 2, 0, ext, e);
    struct parsed p;
    parse(&p, b, n);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_2007);
    ck_assert_uint_eq(p.sec.tag.len, 128);
    ck_assert(p.sec.r1_len_matches);
    ck_assert_int_eq(p.sec.coverage[0].end, (long)p.apdu_end + 2);
    gs_guard_free(&p.g);
}
END_TEST

START_TEST(test_sec_2020_tagged)
{
    /* specs/iec62351_6.md §4.3 (b) layout, plus an IV */
    uint8_t ext[128];
    size_t e = gs_test_hex(ext, sizeof(ext),
                           "30 35 a4 33 80 01 01 81 04 5f 5e 10 00 82 02 00 3c"
                           "83 0c 00 01 02 03 04 05 06 07 08 09 0a 0b 84 04 00 00 00 01"
                           "85 10 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
    uint8_t b[1024];
    size_t n = frame(b, (uint16_t)e, 0, ext, e);
    struct parsed p;
    parse(&p, b, n);
    ck_assert_uint_eq(p.res.ext_malformed + p.res.ext_unknown + p.res.ext_length_mismatch, 0);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_2020_TAGGED);
    ck_assert_int_eq(p.sec.algorithm, GS_SEC_ALG_BY_KEY);
    ck_assert(p.sec.has_version && p.sec.version == 1);
    ck_assert(p.sec.has_key_times);
    ck_assert_uint_eq(p.sec.time_of_current_key, 0x5F5E1000);
    ck_assert_int_eq(p.sec.time_to_next_key, 60);
    ck_assert(p.sec.has_key_id && p.sec.key_id == 1);
    ck_assert_uint_eq(p.sec.iv.len, 12);
    ck_assert_uint_eq(p.sec.tag.len, 16);
    ck_assert_uint_eq(p.sec.tag.ptr[0], 0x00);
    ck_assert_int_eq(p.sec.crc, GS_SEC_CRC_ZERO);
    ck_assert_str_eq(p.sec.coverage[0].name, "ethertype..apdu_end");
    ck_assert_int_eq(p.sec.coverage[0].end, (long)p.apdu_end);
    ck_assert_str_eq(p.sec.coverage[3].name, "ethertype..tag_tlv");
    ck_assert_int_eq(p.sec.coverage[3].end, (long)p.apdu_end + e - 18);
    gs_guard_free(&p.g);

    /* the research layout: only a MAC */
    e = gs_test_hex(ext, sizeof(ext), "30 0a a4 08 85 06 01 02 03 04 05 06");
    n = frame(b, (uint16_t)e, 0, ext, e);
    parse(&p, b, n);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_RESEARCH);
    ck_assert(!p.sec.has_key_id);
    ck_assert_uint_eq(p.sec.tag.len, 6);
    gs_guard_free(&p.g);
}
END_TEST

START_TEST(test_sec_2020_packed)
{
    uint8_t ext[128], b[1024];
    /* HMAC-SHA256-80: 10-octet MAC, no IV */
    size_t e =
        gs_test_hex(ext, sizeof(ext),
                    "30 17 85 15 01 5f 5e 10 00 ff f6 00 00 00 02 01 02 03 04 05 06 07 08 09 0a");
    size_t n = frame(b, (uint16_t)e, 0, ext, e);
    struct parsed p;
    parse(&p, b, n);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_2020_PACKED);
    ck_assert_int_eq(p.sec.time_to_next_key, -10);
    ck_assert(p.sec.has_key_id && p.sec.key_id == 2);
    ck_assert_uint_eq(p.sec.iv.len, 0);
    ck_assert(!p.sec.iv_order_ambiguous);
    ck_assert_uint_eq(p.sec.tag.len, 10);
    gs_guard_free(&p.g);
    /* AES-GMAC-128 with an IV: IV first (the model's order), flagged as ambiguous */
    e = gs_test_hex(ext, sizeof(ext),
                    "30 29 85 27 01 5f 5e 10 00 00 3c a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab"
                    "00 00 00 04 f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff");
    n = frame(b, (uint16_t)e, 0, ext, e);
    parse(&p, b, n);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_2020_PACKED);
    ck_assert_uint_eq(p.sec.iv.len, 12);
    ck_assert_uint_eq(p.sec.iv.ptr[0], 0xa0);
    ck_assert(p.sec.iv_order_ambiguous);
    ck_assert_uint_eq(p.sec.key_id, 4);
    ck_assert_uint_eq(p.sec.tag.len, 16);
    gs_guard_free(&p.g);
    /* a length that fits no MAC size: unknown, kept raw */
    e = gs_test_hex(ext, sizeof(ext), "30 0e 85 0c 01 5f 5e 10 00 00 3c 00 00 00 04 ff");
    n = frame(b, (uint16_t)e, 0, ext, e);
    parse(&p, b, n);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_UNKNOWN);
    ck_assert(p.res.ext_unknown);
    ck_assert_uint_eq(p.sec.raw.len, e);
    gs_guard_free(&p.g);
}
END_TEST

START_TEST(test_sec_malformed)
{
    uint8_t ext[8], b[1024];
    size_t e = gs_test_hex(ext, sizeof(ext), "a0 40 83 02 00");
    size_t n = frame(b, (uint16_t)e, 0, ext, e);
    struct parsed p;
    parse(&p, b, n);
    ck_assert(p.sec.present);
    ck_assert(p.res.ext_malformed);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_UNKNOWN);
    gs_guard_free(&p.g);
}
END_TEST

START_TEST(test_sec_coverage_verifies)
{
    /* A MAC made as pcaps/gen/gen_goose.c makes it (HMAC-SHA256-128 over EtherType..end of
     * APDU) verifies over the first candidate's prefix and span. */
    uint8_t key[32];
    gs_macw_test_key(key, sizeof(key), 0x00);
    uint8_t ext[64];
    size_t e = gs_test_hex(ext, sizeof(ext),
                           "30 27 a4 25 80 01 01 81 04 5f 5e 10 00 82 02 00 3c 84 04 00 00 00 01"
                           "85 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    uint8_t b[1024], input[1024], mac[32];
    size_t n = frame(b, (uint16_t)e, 0, ext, e);
    size_t apdu_end = n - e;
    input[0] = 0x88;
    input[1] = 0xb8;
    memcpy(input + 2, b, apdu_end);
    gs_macw_hmac_sha256(key, sizeof(key), input, apdu_end + 2, mac);
    memcpy(b + n - 16, mac, 16);
    struct parsed p;
    parse(&p, b, n);
    ck_assert_int_eq(p.sec.format, GS_SEC_L2_2020_TAGGED);
    const struct gs_sec_coverage *c = &p.sec.coverage[0];
    memcpy(input, c->prefix, c->prefix_len);
    memcpy(input + c->prefix_len, c->span.ptr, c->span.len);
    gs_macw_hmac_sha256(key, sizeof(key), input, c->prefix_len + c->span.len, mac);
    ck_assert_mem_eq(mac, p.sec.tag.ptr, 16);
    ck_assert_int_eq(c->end - c->start, (long)(c->prefix_len + c->span.len));
    gs_guard_free(&p.g);
}
END_TEST

START_TEST(test_sec_names)
{
    ck_assert_str_eq(gs_sec_alg_name(GS_SEC_ALG_HMAC_SHA256_128), "hmac-sha256-128");
    ck_assert_str_eq(gs_sec_alg_name(GS_SEC_ALG_AES_GMAC_64), "aes-gmac-64");
    ck_assert_str_eq(gs_sec_alg_name(GS_SEC_ALG_BY_KEY), "implied-by-key-id");
    ck_assert_uint_eq(gs_sec_alg_tag_len(GS_SEC_ALG_HMAC_SHA256_80), 10);
    ck_assert_uint_eq(gs_sec_alg_tag_len(GS_SEC_ALG_HMAC_SHA256_256), 32);
    ck_assert_uint_eq(gs_sec_alg_tag_len(GS_SEC_ALG_AES_GMAC_128), 16);
    ck_assert_uint_eq(gs_sec_alg_tag_len(GS_SEC_ALG_NONE), 0);
    ck_assert_str_eq(gs_sec_format_name(GS_SEC_SESSION_V2), "session-v2");
    ck_assert_str_eq(gs_sec_crc_name(GS_SEC_CRC_OK_LSB_FIRST), "ok-lsb-first");
}
END_TEST

static Suite *suite_iec62351_6(void)
{
    Suite *s = suite_create("iec62351_6");
    TCase *tc = tcase_create("l2");
    tcase_add_test(tc, test_sec_crc16_x25);
    tcase_add_test(tc, test_sec_tail_classes);
    tcase_add_test(tc, test_sec_2007);
    tcase_add_test(tc, test_sec_2007_empty_a0);
    tcase_add_test(tc, test_sec_2020_tagged);
    tcase_add_test(tc, test_sec_2020_packed);
    tcase_add_test(tc, test_sec_malformed);
    tcase_add_test(tc, test_sec_coverage_verifies);
    tcase_add_test(tc, test_sec_names);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_iec62351_6)
