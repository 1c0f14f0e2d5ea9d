/*
 * test_decode.c - link/network/transport decoding: VLAN, QinQ, PRP trailer, HSR tag and their
 * duplicate discard, IPv4 fragments (in and out of order, overlap, timeout, limits), IPv6
 * extension headers and fragments, Linux cooked and raw IP link types, truncated and malformed.
 */
#include <check.h>
#include <pcap/dlt.h>
#include <string.h>

#include "decode.h"
#include "guard_buf.h"
#include "pcapw.h"
#include "test_support.h"

#define IP(a, b, c, d) ((uint32_t)((a) << 24 | (b) << 16 | (c) << 8 | (d)))

struct fixture {
    struct gs_config cfg;
    struct gs_stats stats;
    struct gs_decoder *dec;
    struct gs_guard_buf g;
    uint64_t cnt;
};

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    gs_config_defaults(&f->cfg);
    f->dec = gs_decoder_create(&f->cfg, &f->stats);
    ck_assert_ptr_nonnull(f->dec);
}

static void teardown(struct fixture *f)
{
    gs_decoder_destroy(f->dec);
}

/* Decodes a frame placed against a guard page; cap_len < len simulates a snaplen cut. */
static enum gs_decode_result decode(struct fixture *f, int dlt, const uint8_t *frame,
                                    size_t cap_len, size_t len, uint64_t ts_us,
                                    struct gs_decoded *out)
{
    gs_guard_free(&f->g);
    const uint8_t *p = gs_guard_alloc(&f->g, frame, cap_len);
    struct gs_packet pkt = {.ts_us = ts_us,
                            .pcap_cnt = ++f->cnt,
                            .data = p,
                            .cap_len = (uint32_t)cap_len,
                            .wire_len = (uint32_t)len,
                            .dlt = dlt};
    return gs_decode_packet(f->dec, &pkt, out);
}

static const struct gs_l2_addr plain = {.src = {2, 0, 0, 0, 0, 1}, .dst = {2, 0, 0, 0, 0, 2}};

static size_t udp_frame(uint8_t *frame, const struct gs_l2_addr *l2, const char *payload)
{
    uint8_t udp[256], ip[300];
    size_t n = gs_build_udp(udp, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 1000, 20000,
                            (const uint8_t *)payload, strlen(payload));
    n = gs_build_ipv4(ip, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 7, 0, udp, n);
    return gs_build_ether(frame, l2, 0x0800, ip, n);
}

static bool payload_is(const struct gs_decoded *d, const char *text)
{
    size_t len = strlen(text);
    return d->payload.wire_len == len && d->payload.cap_len == len &&
           memcmp(gs_cur_ptr(&d->payload), text, len) == 0;
}

START_TEST(test_decode_ethernet_udp)
{
    struct fixture f;
    setup(&f);
    uint8_t frame[400];
    size_t n = udp_frame(frame, &plain, "hello");
    struct gs_decoded d;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 1, &d), GS_DECODE_L4);
    ck_assert_uint_eq(d.ip_proto, 17);
    ck_assert_uint_eq(d.src_port, 1000);
    ck_assert_uint_eq(d.dst_port, 20000);
    ck_assert(payload_is(&d, "hello"));
    ck_assert_uint_eq(d.l2.vlan_count, 0);
    /* The 60-byte minimum frame pads after the IP datagram; padding is not payload. */
    ck_assert_uint_eq(n, 60);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_vlan_and_qinq)
{
    struct fixture f;
    setup(&f);
    uint8_t frame[400];
    struct gs_l2_addr l2 = plain;
    l2.vlan_count = 1;
    l2.vlan_id[0] = 100;
    l2.vlan_pcp[0] = 4;
    size_t n = udp_frame(frame, &l2, "vlan");
    struct gs_decoded d;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 1, &d), GS_DECODE_L4);
    ck_assert_uint_eq(d.l2.vlan_count, 1);
    ck_assert_uint_eq(d.l2.vlan_id[0], 100);
    ck_assert_uint_eq(d.l2.vlan_pcp[0], 4);
    ck_assert(payload_is(&d, "vlan"));

    l2.vlan_count = 2;
    l2.vlan_id[0] = 10;
    l2.vlan_id[1] = 20;
    n = udp_frame(frame, &l2, "qinq");
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 2, &d), GS_DECODE_L4);
    ck_assert_uint_eq(d.l2.vlan_count, 2);
    ck_assert_uint_eq(d.l2.vlan_id[0], 10);
    ck_assert_uint_eq(d.l2.vlan_id[1], 20);
    ck_assert(payload_is(&d, "qinq"));
    ck_assert_uint_eq(f.stats.decode.vlan, 2);
    ck_assert_uint_eq(f.stats.decode.qinq, 1);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_goose_l2)
{
    struct fixture f;
    setup(&f);
    uint8_t frame[200];
    uint8_t apdu[] = {0x00, 0x01, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x61, 0x00};
    struct gs_l2_addr l2 = plain;
    l2.vlan_count = 1;
    size_t n = gs_build_ether(frame, &l2, 0x88B8, apdu, sizeof(apdu));
    struct gs_decoded d;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 1, &d), GS_DECODE_L2);
    ck_assert_uint_eq(d.l2.ether_type, 0x88B8);
    /* The payload runs to the end of the frame: the GOOSE header's length delimits the APDU. */
    ck_assert_uint_eq(d.payload.wire_len, n - 18);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_prp_trailer_and_duplicates)
{
    struct fixture f;
    setup(&f);
    uint8_t frame[400];
    size_t n = udp_frame(frame, &plain, "prp");
    size_t a = gs_add_prp_trailer(frame, n, 14, 77, false);
    struct gs_decoded d;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, a, a, 1, &d), GS_DECODE_L4);
    ck_assert(d.l2.prp);
    ck_assert_uint_eq(d.l2.prp_lan, 0xA);
    ck_assert_uint_eq(d.l2.prp_seq, 77);
    ck_assert(payload_is(&d, "prp"));
    /* The same frame from LAN B is the duplicate and is discarded. */
    n = udp_frame(frame, &plain, "prp");
    size_t b = gs_add_prp_trailer(frame, n, 14, 77, true);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, b, b, 2, &d), GS_DECODE_DUPLICATE);
    /* The next sequence number is new; an old one beyond the window starts afresh. */
    n = udp_frame(frame, &plain, "prp");
    b = gs_add_prp_trailer(frame, n, 14, 78, true);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, b, b, 3, &d), GS_DECODE_L4);
    ck_assert_uint_eq(f.stats.decode.prp, 3);
    ck_assert_uint_eq(f.stats.decode.redundancy_duplicates, 1);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_hsr_tag)
{
    struct fixture f;
    setup(&f);
    /* dst src | 892F path/size seq | 0800 IPv4/UDP */
    uint8_t inner[400];
    size_t n = udp_frame(inner, &plain, "hsr");
    uint8_t frame[420];
    memcpy(frame, inner, 12);
    uint8_t tag[] = {0x89, 0x2F, 0x10, 0x30, 0x01, 0x02};
    memcpy(frame + 12, tag, sizeof(tag));
    memcpy(frame + 18, inner + 12, n - 12);
    size_t len = n + 6;
    struct gs_decoded d;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, len, len, 1, &d), GS_DECODE_L4);
    ck_assert(d.l2.hsr);
    ck_assert_uint_eq(d.l2.hsr_seq, 0x0102);
    ck_assert_uint_eq(d.l2.hsr_path, 1);
    ck_assert(payload_is(&d, "hsr"));
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, len, len, 2, &d), GS_DECODE_DUPLICATE);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

/* Builds fragment `off/8` of a UDP datagram carrying `payload`. */
static size_t fragment(uint8_t *frame, const uint8_t *udp, size_t udp_len, size_t off, size_t len,
                       bool more, uint16_t id)
{
    uint8_t ip[2000];
    uint16_t field = (uint16_t)((more ? 0x2000 : 0) | (off / 8));
    size_t n = gs_build_ipv4(ip, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, id, field, udp + off, len);
    (void)udp_len;
    return gs_build_ether(frame, &plain, 0x0800, ip, n);
}

START_TEST(test_decode_ipv4_fragments)
{
    struct fixture f;
    setup(&f);
    char text[100];
    for (int i = 0; i < 99; i++)
        text[i] = (char)('a' + i % 26);
    text[99] = '\0';
    uint8_t udp[200];
    size_t ulen =
        gs_build_udp(udp, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 5, 20000, (const uint8_t *)text, 99);
    uint8_t frame[2100];
    struct gs_decoded d;
    /* Out of order: last, first, middle (with an overlapping resend of the first). */
    size_t n = fragment(frame, udp, ulen, 64, ulen - 64, false, 9);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 1, &d), GS_DECODE_HELD);
    n = fragment(frame, udp, ulen, 0, 32, true, 9);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 2, &d), GS_DECODE_HELD);
    n = fragment(frame, udp, ulen, 0, 32, true, 9);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 3, &d), GS_DECODE_HELD);
    n = fragment(frame, udp, ulen, 32, 32, true, 9);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 4, &d), GS_DECODE_L4);
    ck_assert(d.reassembled);
    ck_assert_uint_eq(d.dst_port, 20000);
    ck_assert(payload_is(&d, text));
    ck_assert_uint_eq(f.stats.decode.ip_reassembled, 1);
    ck_assert_uint_eq(f.stats.decode.ip_frag_overlaps, 1);

    /* A datagram whose last fragment never comes is dropped after ipfrag.timeout_s. */
    n = fragment(frame, udp, ulen, 0, 32, true, 10);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 10, &d), GS_DECODE_HELD);
    uint64_t later = 10 + (uint64_t)(f.cfg.ipfrag_timeout_s + 1) * 1000000u;
    n = fragment(frame, udp, ulen, 0, 32, true, 11);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, later, &d), GS_DECODE_HELD);
    ck_assert_uint_eq(f.stats.decode.ip_frag_dropped, 1);

    /* A fragment ending past 65535 is refused. */
    uint8_t ip[200];
    size_t m = gs_build_ipv4(ip, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 12, 0x1FFF, udp, 64);
    n = gs_build_ether(frame, &plain, 0x0800, ip, m);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, later, &d), GS_DECODE_OTHER);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_ipfrag_limit)
{
    struct fixture f;
    memset(&f, 0, sizeof(f));
    gs_config_defaults(&f.cfg);
    f.cfg.ipfrag_max_datagrams = 2;
    f.dec = gs_decoder_create(&f.cfg, &f.stats);
    uint8_t udp[64] = {0};
    uint8_t frame[200];
    struct gs_decoded d;
    for (uint16_t id = 1; id <= 3; id++) {
        size_t n = fragment(frame, udp, 64, 0, 32, true, id);
        enum gs_decode_result r = decode(&f, DLT_EN10MB, frame, n, n, id, &d);
        ck_assert_int_eq(r, GS_DECODE_HELD);
    }
    /* The third datagram took the place of the oldest one, which can no longer complete. */
    ck_assert_uint_eq(f.stats.decode.ip_frag_dropped, 1);
    size_t n = fragment(frame, udp, 64, 32, 32, false, 1);
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 4, &d), GS_DECODE_HELD);
    n = fragment(frame, udp, 64, 32, 32, false, 3);
    ck_assert_int_ne(decode(&f, DLT_EN10MB, frame, n, n, 5, &d), GS_DECODE_HELD);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_ipv6_ext_and_fragment)
{
    struct fixture f;
    setup(&f);
    /* IPv6 | hop-by-hop (8) | fragment (offset 0, MF=0: atomic) | UDP 7 -> 20000 "v6" */
    uint8_t frame[200];
    size_t n = gs_test_hex(frame, sizeof(frame),
                           "02 00 00 00 00 02 02 00 00 00 00 01 86 DD"
                           "60 00 00 00 00 1A 00 40"
                           "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
                           "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
                           "2C 00 00 00 00 00 00 00"
                           "11 00 00 00 00 00 00 2A"
                           "00 07 4E 20 00 0A 00 00 76 36");
    struct gs_decoded d;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 1, &d), GS_DECODE_L4);
    ck_assert_uint_eq(d.ip_version, 6);
    ck_assert_uint_eq(d.ip_proto, 17);
    ck_assert_uint_eq(d.dst_port, 20000);
    ck_assert(payload_is(&d, "v6"));
    /* With MF set it is a real first fragment, but 10 bytes is not a multiple of 8: refused. */
    frame[14 + 40 + 8 + 3] = 0x01;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 2, &d), GS_DECODE_OTHER);
    ck_assert_uint_eq(f.stats.decode.ip_frag_dropped, 1);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_link_types)
{
    struct fixture f;
    setup(&f);
    uint8_t frame[400];
    size_t n = udp_frame(frame, &plain, "sll");
    size_t ip_len = n - 14;
    struct gs_decoded d;
    /* Raw IP */
    ck_assert_int_eq(decode(&f, DLT_RAW, frame + 14, ip_len, ip_len, 1, &d), GS_DECODE_L4);
    ck_assert(payload_is(&d, "sll"));
    /* Linux SLL: 14 bytes of header then the protocol */
    uint8_t sll[500] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
    memcpy(sll + 16, frame + 14, ip_len);
    ck_assert_int_eq(decode(&f, DLT_LINUX_SLL, sll, 16 + ip_len, 16 + ip_len, 2, &d), GS_DECODE_L4);
    ck_assert(payload_is(&d, "sll"));
    /* Linux SLL2: protocol first, 20 bytes of header */
    uint8_t sll2[500] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0x00, 0x01, 0x00, 0x06};
    memcpy(sll2 + 20, frame + 14, ip_len);
    ck_assert_int_eq(decode(&f, DLT_LINUX_SLL2, sll2, 20 + ip_len, 20 + ip_len, 3, &d),
                     GS_DECODE_L4);
    ck_assert(payload_is(&d, "sll"));
    /* BSD loopback */
    uint8_t loop[500] = {2, 0, 0, 0};
    memcpy(loop + 4, frame + 14, ip_len);
    ck_assert_int_eq(decode(&f, DLT_NULL, loop, 4 + ip_len, 4 + ip_len, 4, &d), GS_DECODE_L4);
    ck_assert_int_eq(decode(&f, 147, loop, 4 + ip_len, 4 + ip_len, 5, &d),
                     GS_DECODE_UNSUPPORTED_LINK);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

START_TEST(test_decode_truncated_and_malformed)
{
    struct fixture f;
    setup(&f);
    uint8_t frame[400];
    size_t n = udp_frame(frame, &plain, "payload");
    struct gs_decoded d;
    /* Cut inside the IP header: truncated. */
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, 20, n, 1, &d), GS_DECODE_TRUNCATED);
    /* Cut inside the payload: decoded, with the payload marked short. */
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, 14 + 20 + 8 + 3, n, 2, &d), GS_DECODE_L4);
    ck_assert_uint_eq(d.payload.cap_len, 3);
    ck_assert_uint_eq(d.payload.wire_len, 7);
    /* IP total length beyond the frame: malformed. */
    frame[14 + 3] = 0xF0;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 3, &d), GS_DECODE_MALFORMED);
    /* UDP length beyond the datagram: malformed. */
    n = udp_frame(frame, &plain, "payload");
    frame[14 + 20 + 5] = 0xFF;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 4, &d), GS_DECODE_MALFORMED);
    /* Header length below 20: malformed. */
    n = udp_frame(frame, &plain, "payload");
    frame[14] = 0x44;
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, n, n, 5, &d), GS_DECODE_MALFORMED);
    /* Too many VLAN tags. */
    uint8_t tags[80] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    for (int i = 0; i < 6; i++) {
        tags[12 + 4 * i] = 0x81;
        tags[13 + 4 * i] = 0x00;
    }
    ck_assert_int_eq(decode(&f, DLT_EN10MB, tags, sizeof(tags), sizeof(tags), 6, &d),
                     GS_DECODE_MALFORMED);
    /* An empty frame. */
    ck_assert_int_eq(decode(&f, DLT_EN10MB, frame, 0, 0, 7, &d), GS_DECODE_MALFORMED);
    ck_assert_uint_eq(f.stats.decode.truncated, 1);
    ck_assert_uint_eq(f.stats.decode.malformed, 5);
    gs_guard_free(&f.g);
    teardown(&f);
}
END_TEST

static Suite *suite_decode(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("link");
    tcase_add_test(tc, test_decode_ethernet_udp);
    tcase_add_test(tc, test_decode_vlan_and_qinq);
    tcase_add_test(tc, test_decode_goose_l2);
    tcase_add_test(tc, test_decode_prp_trailer_and_duplicates);
    tcase_add_test(tc, test_decode_hsr_tag);
    tcase_add_test(tc, test_decode_link_types);
    suite_add_tcase(s, tc);
    tc = tcase_create("ip");
    tcase_add_test(tc, test_decode_ipv4_fragments);
    tcase_add_test(tc, test_decode_ipfrag_limit);
    tcase_add_test(tc, test_decode_ipv6_ext_and_fragment);
    tcase_add_test(tc, test_decode_truncated_and_malformed);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_decode)
