/*
 * test_stream.c - TCP reassembly: in-order delivery, zero-copy, partial PDUs kept across
 * segments, retransmission, overlap, out-of-order, gaps (peer ACK, ooo cap, truncated segment,
 * flow end), mid-stream pickup, the per-direction byte cap.
 */
#include <check.h>
#include <string.h>

#include "decode.h"
#include "stream.h"
#include "test_support.h"

/* A consumer that accepts whole "lines" (PDUs ending in '\n') and records them. */
struct recorder {
    char delivered[2][4096];
    size_t len[2];
    int gaps[2];
    int calls;
    char order[64]; /* 'S' or 'C' per line delivered, across both directions */
    size_t n_order;
};

static struct gs_parse_res consume_lines(void *arg, enum gs_dir dir, struct gs_cursor *cur)
{
    struct recorder *r = arg;
    r->calls++;
    size_t used = 0;
    size_t avail = gs_cur_remaining(cur);
    const uint8_t *p = gs_cur_ptr(cur);
    for (size_t i = 0; i < avail; i++) {
        if (p[i] == '\n') {
            memcpy(r->delivered[dir] + r->len[dir], p + used, i + 1 - used);
            r->len[dir] += i + 1 - used;
            used = i + 1;
            if (r->n_order < sizeof(r->order) - 1)
                r->order[r->n_order++] = dir == GS_DIR_TO_SERVER ? 'S' : 'C';
        }
    }
    if (used < avail)
        return gs_parse_incomplete(used, 0);
    return gs_parse_ok(used);
}

static void on_gap(void *arg, enum gs_dir dir)
{
    struct recorder *r = arg;
    r->gaps[dir]++;
    memcpy(r->delivered[dir] + r->len[dir], "|", 1);
    r->len[dir]++;
}

struct fixture {
    struct recorder rec;
    struct gs_config cfg;
    struct gs_stream_stats stats;
    struct gs_stream_consumer consumer;
    struct gs_stream_env env;
    struct gs_stream_dir dirs[2];
};

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    gs_config_defaults(&f->cfg);
    f->consumer.consume = consume_lines;
    f->consumer.gap = on_gap;
    f->consumer.arg = &f->rec;
    f->env.cfg = &f->cfg;
    f->env.stats = &f->stats;
    f->env.consumer = &f->consumer;
}

static void teardown(struct fixture *f)
{
    gs_stream_free(&f->dirs[0], &f->stats);
    gs_stream_free(&f->dirs[1], &f->stats);
    ck_assert_uint_eq(f->stats.buffered_bytes, 0);
}

static void seg(struct fixture *f, enum gs_dir dir, uint32_t seq, uint8_t flags, uint32_t ack,
                const char *data)
{
    size_t len = strlen(data);
    struct gs_tcp_segment s = {.dir = dir,
                               .seq = seq,
                               .ack = ack,
                               .flags = flags,
                               .payload = gs_cur_init((const uint8_t *)data, len)};
    gs_stream_segment(f->dirs, &f->env, &s);
}

static void seg_truncated(struct fixture *f, enum gs_dir dir, uint32_t seq, const char *data,
                          size_t wire_len)
{
    struct gs_tcp_segment s = {.dir = dir,
                               .seq = seq,
                               .flags = GS_TCP_ACK,
                               .payload =
                                   gs_cur_init_wire((const uint8_t *)data, strlen(data), wire_len)};
    gs_stream_segment(f->dirs, &f->env, &s);
}

static void expect(struct fixture *f, enum gs_dir dir, const char *text)
{
    f->rec.delivered[dir][f->rec.len[dir]] = '\0';
    ck_assert_str_eq(f->rec.delivered[dir], text);
}

START_TEST(test_stream_in_order_and_split_pdus)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 999, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_SERVER, 1000, GS_TCP_ACK, 0, "one\ntw");
    seg(&f, GS_DIR_TO_SERVER, 1006, GS_TCP_ACK, 0, "o\nthr");
    seg(&f, GS_DIR_TO_SERVER, 1011, GS_TCP_ACK, 0, "ee\n");
    expect(&f, GS_DIR_TO_SERVER, "one\ntwo\nthree\n");
    ck_assert_uint_eq(f.stats.bytes, 14);
    ck_assert_int_eq(f.rec.gaps[0], 0);
    teardown(&f);
}
END_TEST

START_TEST(test_stream_retransmission_and_overlap)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_SERVER, 1, GS_TCP_ACK, 0, "abc\n");
    seg(&f, GS_DIR_TO_SERVER, 1, GS_TCP_ACK, 0, "abc\n");   /* retransmission */
    seg(&f, GS_DIR_TO_SERVER, 3, GS_TCP_ACK, 0, "c\nde\n"); /* overlaps 2 bytes */
    expect(&f, GS_DIR_TO_SERVER, "abc\nde\n");
    ck_assert_uint_eq(f.stats.retransmissions, 1);
    ck_assert_uint_eq(f.stats.overlaps, 1);
    teardown(&f);
}
END_TEST

START_TEST(test_stream_out_of_order)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_SERVER, 9, GS_TCP_ACK, 0, "ghi\n");
    seg(&f, GS_DIR_TO_SERVER, 5, GS_TCP_ACK, 0, "def\n");
    expect(&f, GS_DIR_TO_SERVER, "");
    seg(&f, GS_DIR_TO_SERVER, 1, GS_TCP_ACK, 0, "abc\n");
    expect(&f, GS_DIR_TO_SERVER, "abc\ndef\nghi\n");
    ck_assert_uint_eq(f.stats.out_of_order, 2);
    ck_assert_int_eq(f.rec.gaps[0], 0);
    teardown(&f);
}
END_TEST

/* The server acknowledges bytes the capture never saw: the hole is a gap, and delivery
 * resumes with the held segment after it. */
START_TEST(test_stream_gap_acked_by_peer)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_CLIENT, 500, GS_TCP_SYN | GS_TCP_ACK, 1, "");
    seg(&f, GS_DIR_TO_SERVER, 1, GS_TCP_ACK, 501, "abc\nxy");
    seg(&f, GS_DIR_TO_SERVER, 20, GS_TCP_ACK, 501, "new\n");
    expect(&f, GS_DIR_TO_SERVER, "abc\n");
    seg(&f, GS_DIR_TO_CLIENT, 501, GS_TCP_ACK, 24, "");
    expect(&f, GS_DIR_TO_SERVER, "abc\n|new\n");
    ck_assert_int_eq(f.rec.gaps[0], 1);
    ck_assert_uint_eq(f.stats.gap_bytes, 13);
    teardown(&f);
}
END_TEST

/* Both directions lost bytes: a request held behind its hole is released by the answer's ACK,
 * and must reach the consumer before that answer (which the peer sent after it). */
START_TEST(test_stream_gap_release_keeps_causal_order)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_CLIENT, 500, GS_TCP_SYN | GS_TCP_ACK, 1, "");
    seg(&f, GS_DIR_TO_SERVER, 1, GS_TCP_ACK, 501, "a\n");
    seg(&f, GS_DIR_TO_CLIENT, 501, GS_TCP_ACK, 3, "b\n");
    seg(&f, GS_DIR_TO_SERVER, 50, GS_TCP_ACK, 503, "req\n");   /* after a hole: held */
    seg(&f, GS_DIR_TO_CLIENT, 600, GS_TCP_ACK, 54, "chal\n");  /* held; releases req */
    seg(&f, GS_DIR_TO_SERVER, 54, GS_TCP_ACK, 605, "reply\n"); /* releases chal first */
    seg(&f, GS_DIR_TO_CLIENT, 605, GS_TCP_ACK, 60, "done\n");
    expect(&f, GS_DIR_TO_SERVER, "a\n|req\nreply\n");
    expect(&f, GS_DIR_TO_CLIENT, "b\n|chal\ndone\n");
    f.rec.order[f.rec.n_order] = '\0';
    ck_assert_str_eq(f.rec.order, "SCSCSC");
    teardown(&f);
}
END_TEST

START_TEST(test_stream_ooo_cap_forces_gap)
{
    struct fixture f;
    setup(&f);
    f.cfg.stream_max_ooo_segments = 1;
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_SERVER, 10, GS_TCP_ACK, 0, "b\n");
    seg(&f, GS_DIR_TO_SERVER, 20, GS_TCP_ACK, 0, "c\n");
    expect(&f, GS_DIR_TO_SERVER, "|b\n|c\n");
    ck_assert_int_eq(f.rec.gaps[0], 2);
    ck_assert_uint_eq(f.stats.ooo_dropped, 1);
    teardown(&f);
}
END_TEST

START_TEST(test_stream_midstream_pickup)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_CLIENT, 7000, GS_TCP_ACK, 0, "tail\nnext\n");
    expect(&f, GS_DIR_TO_CLIENT, "tail\nnext\n");
    ck_assert_uint_eq(f.stats.midstream, 1);
    teardown(&f);
}
END_TEST

START_TEST(test_stream_truncated_segment_is_gap)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg_truncated(&f, GS_DIR_TO_SERVER, 1, "ab\ncd", 10);
    seg(&f, GS_DIR_TO_SERVER, 11, GS_TCP_ACK, 0, "ef\n");
    expect(&f, GS_DIR_TO_SERVER, "ab\n|ef\n");
    ck_assert_uint_eq(f.stats.truncated_segments, 1);
    teardown(&f);
}
END_TEST

START_TEST(test_stream_pending_cap)
{
    struct fixture f;
    setup(&f);
    f.cfg.stream_max_bytes_per_dir = 8;
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_SERVER, 1, GS_TCP_ACK, 0, "12345");
    seg(&f, GS_DIR_TO_SERVER, 6, GS_TCP_ACK, 0, "67890");
    seg(&f, GS_DIR_TO_SERVER, 11, GS_TCP_ACK, 0, "ok\n");
    /* The over-long partial PDU was dropped and reported; parsing restarts with the bytes
     * that did not fit. */
    expect(&f, GS_DIR_TO_SERVER, "|67890ok\n");
    ck_assert_uint_eq(f.stats.overflow_drops, 1);
    teardown(&f);
}
END_TEST

START_TEST(test_stream_flush_at_end)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_SERVER, 50, GS_TCP_ACK, 0, "late\n");
    gs_stream_flush(f.dirs, &f.env);
    expect(&f, GS_DIR_TO_SERVER, "|late\n");
    teardown(&f);
}
END_TEST

START_TEST(test_stream_sequence_wrap)
{
    struct fixture f;
    setup(&f);
    seg(&f, GS_DIR_TO_SERVER, 0xFFFFFFFDu, GS_TCP_SYN, 0, "");
    seg(&f, GS_DIR_TO_SERVER, 0xFFFFFFFEu, GS_TCP_ACK, 0, "wr");
    seg(&f, GS_DIR_TO_SERVER, 0x00000000u, GS_TCP_ACK, 0, "ap\n");
    expect(&f, GS_DIR_TO_SERVER, "wrap\n");
    teardown(&f);
}
END_TEST

/* All flows' stream buffers together stay under stream.max_total_mib: past it the partial PDU
 * is dropped like an over-long one, and counted. */
START_TEST(test_stream_total_memory_bound)
{
    struct fixture f;
    setup(&f);
    f.cfg.stream_max_total_mib = 1;
    f.cfg.stream_max_bytes_per_dir = 4u << 20;
    static char chunk[65537];
    memset(chunk, 'x', sizeof(chunk) - 1);
    seg(&f, GS_DIR_TO_SERVER, 0, GS_TCP_SYN, 0, "");
    uint32_t seq = 1;
    for (int i = 0; i < 24; i++) {
        seg(&f, GS_DIR_TO_SERVER, seq, GS_TCP_ACK, 0, chunk);
        seq += 65536;
        ck_assert_uint_le(f.stats.buffered_bytes, 1u << 20);
    }
    ck_assert_uint_gt(f.stats.memcap_drops, 0);
    ck_assert_int_gt(f.rec.gaps[0], 0);
    teardown(&f);
}
END_TEST

static Suite *suite_stream(void)
{
    Suite *s = suite_create("stream");
    TCase *tc = tcase_create("reassembly");
    tcase_add_test(tc, test_stream_in_order_and_split_pdus);
    tcase_add_test(tc, test_stream_retransmission_and_overlap);
    tcase_add_test(tc, test_stream_out_of_order);
    tcase_add_test(tc, test_stream_gap_acked_by_peer);
    tcase_add_test(tc, test_stream_gap_release_keeps_causal_order);
    tcase_add_test(tc, test_stream_ooo_cap_forces_gap);
    tcase_add_test(tc, test_stream_midstream_pickup);
    tcase_add_test(tc, test_stream_truncated_segment_is_gap);
    tcase_add_test(tc, test_stream_pending_cap);
    tcase_add_test(tc, test_stream_flush_at_end);
    tcase_add_test(tc, test_stream_sequence_wrap);
    tcase_add_test(tc, test_stream_total_memory_bound);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_stream)
