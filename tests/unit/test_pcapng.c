/*
 * test_pcapng.c - the pcapng reader: interfaces of different link types in one file (which
 * libpcap 1.10 refuses), timestamp resolutions and offsets, both byte orders, several
 * sections, simple and obsolete packet blocks, skipped blocks, and malformed or cut files.
 */
#include <check.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"
#include "test_support.h"

struct builder {
    uint8_t buf[8192];
    size_t len;
    bool big;
};

static void put(struct builder *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        int shift = b->big ? 8 * (n - 1 - i) : 8 * i;
        b->buf[b->len++] = (uint8_t)(v >> shift);
    }
}

/* Appends a block: type, body (padded to 4), lengths before and after. */
static void block(struct builder *b, uint32_t type, const uint8_t *body, size_t len)
{
    size_t padded = (len + 3) & ~(size_t)3;
    uint32_t total = (uint32_t)(12 + padded);
    put(b, type, 4);
    put(b, total, 4);
    memcpy(b->buf + b->len, body, len);
    memset(b->buf + b->len + len, 0, padded - len);
    b->len += padded;
    put(b, total, 4);
}

static void shb(struct builder *b, bool big)
{
    b->big = big;
    struct builder body = {.big = big};
    put(&body, 0x1A2B3C4D, 4);
    put(&body, 1, 2);
    put(&body, 0, 2);
    put(&body, UINT64_MAX, 8);
    block(b, 0x0A0D0D0A, body.buf, body.len);
}

static void idb(struct builder *b, uint16_t linktype, int tsresol, int64_t tsoffset)
{
    struct builder body = {.big = b->big};
    put(&body, linktype, 2);
    put(&body, 0, 2);
    put(&body, 65535, 4);
    if (tsresol >= 0) {
        put(&body, 9, 2);
        put(&body, 1, 2);
        put(&body, (uint64_t)tsresol, 1);
        put(&body, 0, 3);
    }
    if (tsoffset != 0) {
        put(&body, 14, 2);
        put(&body, 8, 2);
        put(&body, (uint64_t)tsoffset, 8);
    }
    put(&body, 0, 4);
    block(b, 1, body.buf, body.len);
}

static void epb(struct builder *b, uint32_t iface, uint64_t ts, const uint8_t *data, size_t len,
                uint32_t wire)
{
    struct builder body = {.big = b->big};
    put(&body, iface, 4);
    put(&body, ts >> 32, 4);
    put(&body, ts & 0xFFFFFFFFu, 4);
    put(&body, len, 4);
    put(&body, wire, 4);
    memcpy(body.buf + body.len, data, len);
    body.len += len;
    block(b, 6, body.buf, body.len);
}

static FILE *as_file(const struct builder *b, size_t len)
{
    FILE *fp = tmpfile();
    fwrite(b->buf, 1, len, fp);
    rewind(fp);
    return fp;
}

static const uint8_t pkt[6] = {1, 2, 3, 4, 5, 6};

START_TEST(test_pcapng_mixed_link_types_and_resolutions)
{
    struct builder b = {0};
    shb(&b, false);
    idb(&b, 1, -1, 0);     /* Ethernet, microseconds */
    idb(&b, 101, 9, 0);    /* raw IP, nanoseconds */
    idb(&b, 113, 0x94, 1); /* SLL, 2^-20 s, offset 1 s */
    epb(&b, 0, 1700000000123456ull, pkt, 6, 6);
    block(&b, 0x00000004, pkt, 6); /* name resolution: skipped */
    epb(&b, 1, 1700000000123456789ull, pkt, 4, 6);
    epb(&b, 2, (1700000000ull << 20) | (1u << 19), pkt, 6, 60);
    /* A second, big-endian section with its own interface 0. */
    shb(&b, true);
    idb(&b, 228, -1, 0);
    struct builder spb = {.big = true};
    put(&spb, 6, 4);
    memcpy(spb.buf + spb.len, pkt, 6);
    spb.len += 6;
    block(&b, 3, spb.buf, spb.len);

    char err[GS_ERRBUF_SIZE];
    struct gs_pcapng *r = gs_pcapng_open(as_file(&b, b.len), err);
    ck_assert_ptr_nonnull(r);
    struct gs_packet p;
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), 1);
    ck_assert_int_eq(p.dlt, DLT_EN10MB);
    ck_assert_uint_eq(p.ts_us, 1700000000123456ull);
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), 1);
    ck_assert_int_eq(p.dlt, DLT_RAW);
    ck_assert_uint_eq(p.ts_us, 1700000000123456ull);
    ck_assert_uint_eq(p.cap_len, 4);
    ck_assert_uint_eq(p.wire_len, 6);
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), 1);
    ck_assert_int_eq(p.dlt, DLT_LINUX_SLL);
    ck_assert_uint_eq(p.ts_us, 1700000001500000ull);
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), 1);
    ck_assert_int_eq(p.dlt, DLT_IPV4);
    ck_assert_uint_eq(p.cap_len, 6);
    ck_assert_int_eq(memcmp(p.data, pkt, 6), 0);
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), 0);
    gs_pcapng_close(r);
}
END_TEST

START_TEST(test_pcapng_malformed)
{
    struct builder b = {0};
    shb(&b, false);
    idb(&b, 1, -1, 0);
    epb(&b, 0, 1, pkt, 6, 6);
    size_t whole = b.len;
    char err[GS_ERRBUF_SIZE];
    struct gs_packet p;

    /* Cut inside the packet block. */
    struct gs_pcapng *r = gs_pcapng_open(as_file(&b, whole - 5), err);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cut inside a block"));
    gs_pcapng_close(r);

    /* A packet on an interface that was never described. */
    struct builder c = {0};
    shb(&c, false);
    epb(&c, 3, 1, pkt, 6, 6);
    r = gs_pcapng_open(as_file(&c, c.len), err);
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), -1);
    ck_assert_ptr_nonnull(strstr(err, "malformed"));
    gs_pcapng_close(r);

    /* Captured length larger than the block. */
    struct builder d = {0};
    shb(&d, false);
    idb(&d, 1, -1, 0);
    epb(&d, 0, 1, pkt, 6, 6);
    d.buf[d.len - 4 - 8 - 8] = 0xFF; /* captured length, low byte */
    r = gs_pcapng_open(as_file(&d, d.len), err);
    ck_assert_int_eq(gs_pcapng_next(r, &p, err), -1);
    gs_pcapng_close(r);

    /* Block lengths that disagree. */
    struct builder e = {0};
    shb(&e, false);
    e.buf[e.len - 1] = 0x7F;
    ck_assert_ptr_null(gs_pcapng_open(as_file(&e, e.len), err));

    /* A bad byte-order magic. */
    struct builder f = {0};
    shb(&f, false);
    f.buf[8] = 0;
    ck_assert_ptr_null(gs_pcapng_open(as_file(&f, f.len), err));
}
END_TEST

static Suite *suite_pcapng(void)
{
    Suite *s = suite_create("pcapng");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_pcapng_mixed_link_types_and_resolutions);
    tcase_add_test(tc, test_pcapng_malformed);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_pcapng)
