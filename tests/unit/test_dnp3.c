/*
 * test_dnp3.c - the DNP3 dissector on byte vectors: CRC, every qualifier, the decoded groups,
 * every group 120 variation, reassembly across link frames and across TCP segment
 * boundaries, resynchronisation, bad CRCs, transport sequence errors, UDP datagrams, and every
 * cap (dnp3.max_fragment_bytes, max_objects, max_points, max_associations, max_sa_objects).
 * Every input is placed against a guard page.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3.h"
#include "dnp3w.h"
#include "guard_buf.h"
#include "test_support.h"

#define MAX_EV   16
#define MAX_OBJ  24
#define MAX_PTS  64
#define MAX_DATA 70000

struct rec_ev {
    uint8_t fc;
    bool is_response, has_iin, complete, from_master, fir, fin, con, uns;
    uint8_t seq;
    uint16_t iin, src, dst;
    uint32_t n_points, n_segments;
    size_t frag_len;
    uint8_t frag[1024];
    size_t n_obj;
    struct gs_dnp3_object obj[MAX_OBJ];
    size_t n_sa;
    struct gs_dnp3_sa sa[4];
    uint8_t sa_mac[4][32], sa_chal[4][32];
    size_t n_pts;
    struct gs_dnp3_point pts[MAX_PTS];
    uint8_t pt_bytes[MAX_PTS][8];
};

struct harness {
    struct gs_test_ctx t;
    struct gs_test_events events;
    void *state;
    size_t n_ev;
    struct rec_ev ev[MAX_EV];
    uint8_t pend[2][MAX_DATA];
    size_t pend_len[2];
};

static void copy_span(uint8_t *dst, size_t cap, struct gs_span s)
{
    if (s.len != 0)
        memcpy(dst, s.ptr, s.len < cap ? s.len : cap);
}

static void hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)ctx;
    struct harness *h = arg;
    if (ev->type != GS_EVENT_DNP3 || h->n_ev >= MAX_EV)
        return;
    const struct gs_dnp3_event *e = ev->body;
    struct rec_ev *r = &h->ev[h->n_ev++];
    memset(r, 0, sizeof(*r));
    r->fc = e->function_code;
    r->is_response = e->is_response;
    r->has_iin = e->has_iin;
    r->iin = e->iin;
    r->complete = e->complete;
    r->from_master = e->from_master;
    r->fir = e->fir;
    r->fin = e->fin;
    r->con = e->con;
    r->uns = e->uns;
    r->seq = e->seq;
    r->src = e->src;
    r->dst = e->dst;
    r->n_points = e->n_points;
    r->n_segments = e->n_segments;
    r->frag_len = e->fragment.len;
    copy_span(r->frag, sizeof(r->frag), e->fragment);
    for (size_t k = 0; k < e->n_objects && r->n_obj < MAX_OBJ; k++)
        r->obj[r->n_obj++] = e->objects[k];
    for (size_t k = 0; k < e->n_sa && r->n_sa < 4; k++) {
        r->sa[r->n_sa] = e->sa[k];
        copy_span(r->sa_mac[r->n_sa], 32, e->sa[k].mac);
        copy_span(r->sa_chal[r->n_sa], 32, e->sa[k].challenge);
        r->n_sa++;
    }
    for (size_t k = 0; k < e->n_objects; k++) {
        struct gs_dnp3_point_iter it;
        struct gs_dnp3_point pt;
        gs_dnp3_points_begin(&it, &e->objects[k]);
        while (r->n_pts < MAX_PTS && gs_dnp3_points_next(&it, &pt)) {
            copy_span(r->pt_bytes[r->n_pts], 8, pt.bytes);
            r->pts[r->n_pts++] = pt;
        }
    }
}

static struct harness *h_new(void (*tweak)(struct gs_config *))
{
    struct harness *h = calloc(1, sizeof(*h));
    ck_assert_ptr_nonnull(h);
    gs_test_ctx_init(&h->t, &h->events, 20000);
    if (tweak != NULL)
        tweak(&h->t.cfg);
    h->events.hook = hook;
    h->events.hook_arg = h;
    h->state = calloc(1, gs_dnp3_dissector.state_size(&h->t.cfg));
    ck_assert_ptr_nonnull(h->state);
    gs_dnp3_dissector.state_init(h->state, &h->t.cfg);
    return h;
}

static void h_free(struct harness *h)
{
    free(h->state);
    free(h);
}

/* In-order stream bytes of `dir`, kept like the stream layer keeps a partial PDU. */
static void h_stream(struct harness *h, enum gs_dir dir, const uint8_t *p, size_t n)
{
    ck_assert_uint_le(h->pend_len[dir] + n, MAX_DATA);
    memcpy(h->pend[dir] + h->pend_len[dir], p, n);
    h->pend_len[dir] += n;
    h->t.flow.dir = dir;
    size_t used = 0;
    while (used < h->pend_len[dir]) {
        struct gs_guard_buf g;
        const uint8_t *data = gs_guard_alloc(&g, h->pend[dir] + used, h->pend_len[dir] - used);
        struct gs_cursor cur = gs_cur_init(data, h->pend_len[dir] - used);
        struct gs_parse_res res = gs_dnp3_dissector.parse(h->state, &h->t.ctx, &cur, dir);
        gs_guard_free(&g);
        ck_assert_uint_le(res.consumed, h->pend_len[dir] - used);
        ck_assert_int_ne(res.status, GS_PARSE_ERROR);
        used += res.consumed;
        if (res.status != GS_PARSE_OK || res.consumed == 0)
            break;
    }
    memmove(h->pend[dir], h->pend[dir] + used, h->pend_len[dir] - used);
    h->pend_len[dir] -= used;
}

/* One UDP datagram of which `cap` of `n` bytes were captured. */
static void h_datagram(struct harness *h, enum gs_dir dir, const uint8_t *p, size_t cap, size_t n)
{
    h->t.flow.ip_proto = 17;
    h->t.flow.dir = dir;
    struct gs_guard_buf g;
    const uint8_t *data = gs_guard_alloc(&g, p, cap);
    struct gs_cursor cur = gs_cur_init_wire(data, cap, n);
    struct gs_parse_res res = gs_dnp3_dissector.parse(h->state, &h->t.ctx, &cur, dir);
    gs_guard_free(&g);
    ck_assert_uint_le(res.consumed, n);
}

/* Frames an APDU (hex) from master 1 to outstation 10 (or back) into out. */
static size_t frame_hex(uint8_t *out, size_t cap, bool from_master, uint8_t tseq, const char *hex)
{
    uint8_t apdu[4096];
    size_t n = gs_test_hex(apdu, sizeof(apdu), hex);
    return gs_dnp3w_frame(out, cap, from_master ? 1 : 10, from_master ? 10 : 1, from_master, tseq,
                          apdu, n);
}

static void send_apdu(struct harness *h, bool from_master, const char *hex)
{
    uint8_t wire[8192];
    size_t n = frame_hex(wire, sizeof(wire), from_master, 0, hex);
    h_stream(h, from_master ? GS_DIR_TO_SERVER : GS_DIR_TO_CLIENT, wire, n);
}

/* ---- CRC ----------------------------------------------------------------------------------- */

START_TEST(test_dnp3_crc_vectors)
{
    uint8_t hdr[8];
    gs_test_hex(hdr, sizeof(hdr), "05 64 05 C0 01 00 00 04");
    ck_assert_uint_eq(gs_dnp3_crc(hdr, 8), 0x21E9); /* sent E9 21 */
    ck_assert_uint_eq(gs_dnp3_crc((const uint8_t *)"123456789", 9), 0xEA82);
}
END_TEST

/* ---- qualifiers ---------------------------------------------------------------------------- */

struct qual_case {
    const char *apdu;
    uint8_t qualifier;
    uint32_t count, start, stop;
    bool header_only;
    size_t n_objects;
    const char *anomaly; /* the anomaly that stops the walk, or NULL */
};

static const struct qual_case qual_cases[] = {
    /* 0x00 8-bit start/stop (READ: header only) */
    {"C0 01 01 02 00 03 07", 0x00, 5, 3, 7, true, 1, NULL},
    /* 0x01 16-bit start/stop */
    {"C0 01 1E 01 01 00 01 FF 01", 0x01, 256, 0x100, 0x1FF, true, 1, NULL},
    /* 0x02 32-bit start/stop */
    {"C0 01 1E 01 02 00 00 00 00 09 00 00 00", 0x02, 10, 0, 9, true, 1, NULL},
    /* 0x03 8-bit absolute address: one object, data follows in a response */
    {"C0 81 00 00 1E 01 03 05 01 10 00 00 00", 0x03, 1, 5, 5, false, 1, NULL},
    /* 0x04, 0x05 16/32-bit absolute address */
    {"C0 81 00 00 1E 04 04 05 01 10 00", 0x04, 1, 0x105, 0x105, false, 1, NULL},
    {"C0 81 00 00 1E 04 05 05 00 00 01 10 00", 0x05, 1, 0x1000005, 0x1000005, false, 1, NULL},
    /* 0x06 all objects */
    {"C0 01 3C 02 06 3C 03 06", 0x06, 0, 0, 0, true, 2, NULL},
    /* 0x07 8-bit count with data: time write */
    {"C0 02 32 01 07 01 00 10 20 30 40 50", 0x07, 1, 0, 0, false, 1, NULL},
    /* 0x08 16-bit count, 0x09 32-bit count */
    {"C0 01 02 00 08 02 01", 0x08, 258, 0, 0, true, 1, NULL},
    {"C0 01 02 01 09 05 00 00 00", 0x09, 5, 0, 0, true, 1, NULL},
    /* 0x17 count + 1-byte index: CROB */
    {"C0 05 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 00", 0x17, 1, 0, 0, false, 1, NULL},
    /* 0x28 16-bit count + 2-byte index: two analog output blocks (16-bit) */
    {"C0 03 29 02 28 02 00 01 00 10 00 00 02 00 20 00 00", 0x28, 2, 0, 0, false, 1, NULL},
    /* 0x39 32-bit count + 4-byte index: counter */
    {"C0 81 00 00 14 05 39 01 00 00 00 07 00 00 00 2A 00 00 00", 0x39, 1, 0, 0, false, 1, NULL},
    /* 0x17 index prefixes in a READ: prefixes only */
    {"C0 01 02 01 17 02 05 09", 0x17, 2, 0, 0, true, 1, NULL},
    /* 0x5B free format, 2-byte size: g120v4-like status request is q07, so a g70 file object */
    {"C0 19 46 03 5B 01 04 00 AA BB CC DD", 0x5B, 1, 0, 0, false, 1, NULL},
    /* 0x4B free format, 1-byte size */
    {"C0 19 46 03 4B 01 02 AA BB", 0x4B, 1, 0, 0, false, 1, NULL},
    /* reserved range 0x0A and reserved prefix 7 */
    {"C0 01 01 02 0A 00 00", 0x0A, 0, 0, 0, false, 1, "dnp3.bad_qualifier"},
    {"C0 01 01 02 70 00 00", 0x70, 0, 0, 0, false, 1, "dnp3.bad_qualifier"},
    /* stop below start */
    {"C0 01 01 02 00 05 01", 0x00, 0, 5, 1, false, 1, "dnp3.bad_range"},
    /* more objects than bytes */
    {"C0 81 00 00 1E 01 00 00 09 01 02 03", 0x00, 10, 0, 9, false, 1, "dnp3.bad_object"},
    /* a count no fragment could hold is malformed, not the points cap */
    {"C0 81 00 00 1E 01 01 00 00 FF FF 01 02", 0x01, 65536, 0, 0xFFFF, false, 1, "dnp3.bad_object"},
    /* unknown group: size unknown */
    {"C0 81 00 00 63 01 00 00 00 01", 0x00, 1, 0, 0, false, 1, "dnp3.unknown_object"},
    /* a header cut after its group and variation */
    {"C0 01 3C 02 06 3C", 0x06, 0, 0, 0, true, 1, "dnp3.bad_object"},
};

START_TEST(test_dnp3_qualifiers)
{
    const struct qual_case *c = &qual_cases[_i];
    struct harness *h = h_new(NULL);
    send_apdu(h, true, c->apdu);
    ck_assert_uint_eq(h->n_ev, 1);
    struct rec_ev *e = &h->ev[0];
    ck_assert_uint_eq(e->n_obj, c->n_objects);
    const struct gs_dnp3_object *o = &e->obj[0];
    ck_assert_uint_eq(o->qualifier, c->qualifier);
    if (c->anomaly == NULL) {
        ck_assert(e->complete);
        ck_assert_uint_eq(h->events.n_anomalies, 0);
        ck_assert_uint_eq(o->count, c->count);
        ck_assert_uint_eq(o->header_only, c->header_only);
        if (o->range_kind == GS_DNP3_RANGE_START_STOP) {
            ck_assert_uint_eq(o->start, c->start);
            ck_assert_uint_eq(o->stop, c->stop);
        }
    } else {
        ck_assert(!e->complete);
        ck_assert_uint_eq(gs_test_anomaly_count(&h->events, c->anomaly), 1);
    }
    h_free(h);
}
END_TEST

/* ---- decoded values ------------------------------------------------------------------------ */

START_TEST(test_dnp3_values)
{
    struct harness *h = h_new(NULL);
    send_apdu(h, false,
              "E0 81 82 01"
              /* g1v1 start 0 stop 9, packed: 0b1000000101 */
              "01 01 00 00 09 05 02"
              /* g1v2 q00 3..3 flags 0x81 */
              "01 02 00 03 03 81"
              /* g2v2 q17 1 idx 4, flags 0x01, time 0x0000016F5E4A3B2C */
              "02 02 17 01 04 01 2C 3B 4A 5E 6F 01"
              /* g3v1 0..3 packed double bits 0b10 01 11 00 */
              "03 01 00 00 03 9C"
              /* g10v2 q00 0..0 flags 0x01 (off) */
              "0A 02 00 00 00 01"
              /* g20v1 q00 0..0 flags 1, 0x01020304 */
              "14 01 00 00 00 01 04 03 02 01"
              /* g22v1 q17 1 idx 2 flags 1 count 7 */
              "16 01 17 01 02 01 07 00 00 00"
              /* g30v1 q00 0..0 flags 1, -2 */
              "1E 01 00 00 00 01 FE FF FF FF"
              /* g30v5 q00 0..0 flags 1, 1.5f */
              "1E 05 00 00 00 01 00 00 C0 3F"
              /* g30v6 q00 0..0 flags 1, -0.25 */
              "1E 06 00 00 00 01 00 00 00 00 00 00 D0 BF"
              /* g32v3 q17 1 idx 1 flags 1 value 100 time 1000 */
              "20 03 17 01 01 01 64 00 00 00 E8 03 00 00 00 00"
              /* g40v1 q00 0..0 flags 1 value 42 */
              "28 01 00 00 00 01 2A 00 00 00"
              /* g50v1 q07 1 time 0x010203040506 */
              "32 01 07 01 06 05 04 03 02 01"
              /* g51v1 q07 1 time 5 */
              "33 01 07 01 05 00 00 00 00 00"
              /* g52v2 q07 1 300 ms */
              "34 02 07 01 2C 01"
              /* g80v1 q00 7..7 packed 1 */
              "50 01 00 07 07 01"
              /* g110v4 q00 0..0 "ABCD" */
              "6E 04 00 00 00 41 42 43 44"
              /* g121v1 q00 2..2 flags 1, assoc 3, count 9 */
              "79 01 00 02 02 01 03 00 09 00 00 00");
    ck_assert_uint_eq(h->n_ev, 1);
    struct rec_ev *e = &h->ev[0];
    ck_assert(e->complete);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    ck_assert(e->is_response && e->has_iin);
    ck_assert_uint_eq(e->iin, 0x8201);
    ck_assert(e->fir && e->fin && e->con && !e->uns);
    ck_assert_uint_eq(e->n_obj, 18);
    struct gs_dnp3_point *p = e->pts;
    /* g1v1: 10 bits of 0x05 0x02 */
    static const uint8_t bits[10] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1};
    for (int k = 0; k < 10; k++) {
        ck_assert_uint_eq(p[k].kind, GS_DNP3_VAL_BIT);
        ck_assert_uint_eq(p[k].index, (unsigned)k);
        ck_assert_uint_eq(p[k].u, bits[k]);
    }
    p += 10;
    ck_assert(p->has_flags && p->flags == 0x81 && p->u == 1 && p->index == 3);
    p++;
    ck_assert(p->index == 4 && p->has_time && p->time_ms == 0x016F5E4A3B2Cull && p->u == 0);
    p++;
    static const uint8_t dbits[4] = {0, 3, 1, 2};
    for (int k = 0; k < 4; k++)
        ck_assert_uint_eq(p[k].u, dbits[k]);
    p += 4;
    ck_assert(p->kind == GS_DNP3_VAL_BIT && p->u == 0 && p->flags == 1);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_UINT && p->u == 0x01020304 && p->flags == 1);
    p++;
    ck_assert(p->index == 2 && p->u == 7);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_INT && p->i == -2);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_FLOAT && fabs(p->f - 1.5) < 1e-9);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_FLOAT && fabs(p->f + 0.25) < 1e-12);
    p++;
    ck_assert(p->index == 1 && p->i == 100 && p->has_time && p->time_ms == 1000);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_INT && p->i == 42);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_TIME && p->time_ms == 0x010203040506ull);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_TIME && p->time_ms == 5);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_UINT && p->u == 300);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_BIT && p->index == 7 && p->u == 1);
    p++;
    ck_assert(p->kind == GS_DNP3_VAL_BYTES && memcmp(e->pt_bytes[p - e->pts], "ABCD", 4) == 0);
    p++;
    ck_assert(p->index == 2 && p->u == 9 && p->i == 3 && p->flags == 1);
    ck_assert_uint_eq((size_t)(p - e->pts) + 1, e->n_pts);
    h_free(h);
}
END_TEST

START_TEST(test_dnp3_controls)
{
    struct harness *h = h_new(NULL);
    /* SELECT: CROB idx 3 TRIP PULSE_ON count 2 on 1000 off 500; g41v1 idx 7 value -5; g41v3
     * idx 8 value 2.5; then a response echoing the CROB with status 2 (NO_SELECT). */
    send_apdu(h, true,
              "C1 03 0C 01 17 01 03 81 02 E8 03 00 00 F4 01 00 00 00"
              "29 01 17 01 07 FB FF FF FF 00"
              "29 03 17 01 08 00 00 20 40 00");
    send_apdu(h, false, "C1 81 00 00 0C 01 17 01 03 81 02 E8 03 00 00 F4 01 00 00 02");
    ck_assert_uint_eq(h->n_ev, 2);
    struct rec_ev *e = &h->ev[0];
    ck_assert(e->from_master && !e->is_response && e->fc == GS_DNP3_FC_SELECT);
    ck_assert_uint_eq(e->n_pts, 3);
    ck_assert_uint_eq(e->pts[0].kind, GS_DNP3_VAL_CROB);
    ck_assert_uint_eq(e->pts[0].index, 3);
    ck_assert_uint_eq(e->pts[0].crob.code, 0x81);
    ck_assert_uint_eq(e->pts[0].crob.count, 2);
    ck_assert_uint_eq(e->pts[0].crob.on_ms, 1000);
    ck_assert_uint_eq(e->pts[0].crob.off_ms, 500);
    ck_assert(e->pts[1].index == 7 && e->pts[1].i == -5 && e->pts[1].has_status);
    ck_assert(e->pts[2].index == 8 && fabs(e->pts[2].f - 2.5) < 1e-9);
    ck_assert_uint_eq(h->ev[1].pts[0].status, 2);
    ck_assert_str_eq(gs_dnp3_status_name(2), "no_select");
    h_free(h);
}
END_TEST

/* ---- Secure Authentication ----------------------------------------------------------------- */

START_TEST(test_dnp3_sa_spec_vectors)
{
    /* dnp3_sav5.md §12: A1..A8. */
    struct harness *h = h_new(NULL);
    send_apdu(h, true, "C0 20 78 04 07 01 01 00");
    send_apdu(h, false,
              "C0 83 00 00 78 05 5B 01 0F 00 01 00 00 00 01 00 01 02 00 04 00 11 22 33 44");
    send_apdu(h, true,
              "C1 20 78 06 5B 01 46 00 01 00 00 00 01 00"
              "1D 54 DA 03 54 F6 0F E7 6A D7 1E AA DE 87 C2 DA 4C 58 00 81 6A 4D 00 73 A8 B0 0F "
              "51 D1 1C E7 5C A4 E6 13 79 A0 75 A7 C8 F1 7C BA BE C4 72 43 2C A9 43 B1 3A 43 5A "
              "6E C2 80 39 C1 58 BA 70 B7 6C");
    send_apdu(h, false,
              "C1 83 00 00 78 05 5B 01 1F 00 02 00 00 00 01 00 01 01 04 04 00 55 66 77 88"
              "C2 5E 6A 4C 0B 6C 78 C5 0C E6 C6 34 D3 26 3F 5C");
    send_apdu(h, false, "C2 83 00 00 78 01 5B 01 0C 00 01 00 00 00 00 00 04 01 A1 B2 C3 D4");
    send_apdu(h, true,
              "C2 20 78 02 5B 01 16 00 01 00 00 00 01 00 68 51 63 3C 9C EB 98 4C 05 45 68 CA BC "
              "E0 C4 45");
    send_apdu(h, true,
              "C3 05 78 03 07 01 02 00 00 00 01 00 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 "
              "00 78 09 5B 01 10 00 62 D1 E9 2F D2 5D E9 06 EF F4 04 82 F8 86 0F DE");
    ck_assert_uint_eq(h->n_ev, 7);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    struct rec_ev *e = h->ev;
    ck_assert(e[0].n_sa == 1 && e[0].sa[0].variation == 4 && e[0].sa[0].user == 1);
    const struct gs_dnp3_sa *s = &e[1].sa[0];
    ck_assert(s->valid && s->seq == 1 && s->user == 1 && s->kwa == 1 && s->key_status == 2);
    ck_assert(s->mal == 0 && s->challenge.len == 4 && s->mac.len == 0);
    ck_assert(memcmp(e[1].sa_chal[0], "\x11\x22\x33\x44", 4) == 0);
    ck_assert_uint_eq(s->status_body.len, 15);
    s = &e[2].sa[0];
    ck_assert(s->valid && s->variation == 6 && s->seq == 1 && s->key_data.len == 64);
    s = &e[3].sa[0];
    ck_assert(s->valid && s->seq == 2 && s->key_status == 1 && s->mal == 4 && s->mac.len == 16);
    ck_assert_uint_eq(s->mac_offset, 4 + 6 + 11 + 4);
    ck_assert(memcmp(e[3].sa_mac[0], "\xC2\x5E\x6A\x4C", 4) == 0);
    s = &e[4].sa[0];
    ck_assert(s->valid && s->seq == 1 && s->user == 0 && s->mal == 4 && s->reason == 1);
    ck_assert(s->challenge.len == 4 && memcmp(e[4].sa_chal[0], "\xA1\xB2\xC3\xD4", 4) == 0);
    ck_assert_uint_eq(e[4].frag_len, 22); /* the whole challenge fragment, IIN included */
    s = &e[5].sa[0];
    ck_assert(s->valid && s->seq == 1 && s->user == 1 && s->mac.len == 16);
    ck_assert(memcmp(e[5].sa_mac[0], "\x68\x51\x63\x3C", 4) == 0);
    /* Aggressive mode: g120v3 first, CROB, g120v9 last; MAC after byte 34 of the fragment. */
    ck_assert_uint_eq(e[6].n_obj, 3);
    ck_assert_uint_eq(e[6].n_sa, 2);
    ck_assert(e[6].sa[0].variation == 3 && e[6].sa[0].seq == 2 && e[6].sa[0].user == 1);
    ck_assert(e[6].sa[1].variation == 9 && e[6].sa[1].mac.len == 16);
    ck_assert_uint_eq(e[6].sa[1].mac_offset, 34);
    ck_assert_int_eq(e[6].obj[2].sa_index, 1);
    h_free(h);
}
END_TEST

struct sa_case {
    uint8_t var;
    const char *data; /* object data; framed as AUTH_REQUEST 78 vv 5B 01 LL LL data */
    bool valid;
};

static const struct sa_case sa_cases[] = {
    {1, "05 00 00 00 00 00 04 01 01 02 03 04", true},
    {2, "05 00 00 00 01 00 AA BB CC DD", true},
    {3, "05 00 00 00 01 00", true},
    {4, "01 00", true},
    {5, "01 00 00 00 01 00 01 01 04 02 00 11 22 AA BB", true},
    {6, "01 00 00 00 01 00 00 11 22 33 44 55 66 77", true},
    {7, "09 00 00 00 01 00 00 00 01 10 27 00 00 00 00 6F 6B", true},
    {8, "04 01 30 03 02 01", true},
    {9, "DE AD BE EF", true},
    {10, "04 01 05 00 00 00 01 00 5A 00 03 00 00 00 02 00 61 62 63 C1 C2", true},
    {11, "04 03 00 04 00 61 62 63 01 02 03 04", true},
    {12, "07 00 00 00 02 00 02 00 09 08", true},
    {13, "07 00 00 00 02 00 03 00 E1 E2 E3", true},
    {14, "51 52 53", true},
    {15, "F1 F2 F3 F4", true},
    /* inconsistent lengths */
    {5, "01 00 00 00 01 00 01 01 04 09 00 11", false},
    {10, "04 01 05 00 00 00 01 00 5A 00 03 00 00 00 02 00 61 62", false},
    {1, "05 00 00 00", false},
};

START_TEST(test_dnp3_sa_variations)
{
    const struct sa_case *c = &sa_cases[_i];
    uint8_t data[128];
    size_t n = gs_test_hex(data, sizeof(data), c->data);
    char hex[1024];
    int at =
        snprintf(hex, sizeof(hex), "C0 20 78 %02X 5B 01 %02zX %02zX", c->var, n & 0xFF, n >> 8);
    for (size_t k = 0; k < n; k++)
        at += snprintf(hex + at, sizeof(hex) - (size_t)at, " %02X", data[k]);
    struct harness *h = h_new(NULL);
    send_apdu(h, true, hex);
    ck_assert_uint_eq(h->n_ev, 1);
    struct rec_ev *e = &h->ev[0];
    ck_assert_uint_eq(e->n_sa, 1);
    const struct gs_dnp3_sa *s = &e->sa[0];
    ck_assert_uint_eq(s->valid, c->valid);
    ck_assert_uint_eq(s->object.len, n);
    ck_assert_uint_eq(s->object_offset, 8);
    ck_assert(e->complete); /* the size prefix still bounds the object */
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.bad_sa_object"), c->valid ? 0 : 1);
    if (!c->valid) {
        h_free(h);
        return;
    }
    switch (c->var) {
    case 1:
        ck_assert(s->seq == 5 && s->mal == 4 && s->reason == 1 && s->challenge.len == 4);
        break;
    case 2:
        ck_assert(s->seq == 5 && s->user == 1 && s->mac.len == 4 && s->mac_offset == 14);
        break;
    case 3:
        ck_assert(s->seq == 5 && s->user == 1);
        break;
    case 4:
        ck_assert(s->user == 1);
        break;
    case 5:
        ck_assert(s->seq == 1 && s->mal == 4 && s->challenge.len == 2 && s->mac.len == 2);
        ck_assert_uint_eq(s->status_body.len, 13);
        break;
    case 6:
        ck_assert(s->seq == 1 && s->user == 1 && s->key_data.len == 8);
        break;
    case 7:
        ck_assert(s->seq == 9 && s->assoc_id == 0 && s->error_code == 1);
        ck_assert(s->error_time_ms == 10000 && s->error_text.len == 2);
        break;
    case 8:
        ck_assert(s->kcm == 4 && s->cert_type == 1 && s->certificate.len == 4);
        break;
    case 9:
    case 15:
        ck_assert_uint_eq(s->mac.len, 4);
        break;
    case 10:
        ck_assert(s->kcm == 4 && s->operation == 1 && s->seq == 5 && s->user_role == 1);
        ck_assert(s->role_expiry == 90 && s->user_name.len == 3 && s->certificate.len == 2);
        break;
    case 11:
        ck_assert(s->kcm == 4 && s->user_name.len == 3 && s->challenge.len == 4);
        break;
    case 12:
        ck_assert(s->seq == 7 && s->user == 2 && s->challenge.len == 2);
        break;
    case 13:
        ck_assert(s->seq == 7 && s->user == 2 && s->key_data.len == 3);
        break;
    case 14:
        ck_assert_uint_eq(s->mac.len, 3);
        break;
    default:
        break;
    }
    h_free(h);
}
END_TEST

/* ---- reassembly ---------------------------------------------------------------------------- */

/* A 600-byte response: g110v200 × 3 objects (start 0 stop 2). */
static size_t big_response(uint8_t *apdu)
{
    size_t n = 0;
    static const uint8_t hdr[] = {0xC0, 0x81, 0x00, 0x00, 0x6E, 200, 0x00, 0x00, 0x02};
    memcpy(apdu, hdr, sizeof(hdr));
    n = sizeof(hdr);
    for (int k = 0; k < 600; k++)
        apdu[n++] = (uint8_t)k;
    return n;
}

START_TEST(test_dnp3_reassembly_link_frames)
{
    uint8_t apdu[700], wire[2048];
    size_t alen = big_response(apdu);
    size_t wlen = gs_dnp3w_frame(wire, sizeof(wire), 10, 1, false, 62, apdu, alen);
    struct harness *h = h_new(NULL);
    h_stream(h, GS_DIR_TO_CLIENT, wire, wlen);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].n_segments, 3); /* transport sequence 62, 63, 0 */
    ck_assert_uint_eq(h->ev[0].frag_len, alen);
    ck_assert(memcmp(h->ev[0].frag, apdu, alen) == 0);
    ck_assert(h->ev[0].complete && h->ev[0].n_obj == 1 && h->ev[0].n_points == 3);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    h_free(h);
}
END_TEST

START_TEST(test_dnp3_reassembly_tcp_boundaries)
{
    uint8_t apdu[700], wire[4096];
    size_t alen = big_response(apdu);
    size_t wlen = gs_dnp3w_frame(wire, sizeof(wire), 10, 1, false, 5, apdu, alen);
    /* the same frames again behind, so a split lands in every position of a second copy */
    memcpy(wire + wlen, wire, wlen);
    for (size_t split = 1; split < wlen; split += 7) {
        struct harness *h = h_new(NULL);
        h_stream(h, GS_DIR_TO_CLIENT, wire, split);
        h_stream(h, GS_DIR_TO_CLIENT, wire + split, 2 * wlen - split);
        ck_assert_uint_eq(h->n_ev, 2);
        ck_assert(memcmp(h->ev[1].frag, apdu, alen) == 0);
        ck_assert_uint_eq(h->events.n_anomalies, 0);
        h_free(h);
    }
    /* byte by byte */
    struct harness *h = h_new(NULL);
    for (size_t k = 0; k < wlen; k++)
        h_stream(h, GS_DIR_TO_CLIENT, wire + k, 1);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].frag_len, alen);
    h_free(h);
}
END_TEST

START_TEST(test_dnp3_resync_mid_stream)
{
    uint8_t a[512], b[512];
    size_t na = frame_hex(a, sizeof(a), true, 0, "C0 01 3C 02 06 3C 03 06 3C 04 06 3C 01 06");
    size_t nb = frame_hex(b, sizeof(b), true, 1, "C1 01 3C 01 06");
    struct harness *h = h_new(NULL);
    /* the capture starts 5 bytes into frame a; a fake 05 64 with a bad CRC precedes b */
    uint8_t stream[1024];
    size_t n = 0;
    memcpy(stream, a + 5, na - 5);
    n = na - 5;
    static const uint8_t fake[] = {0x05, 0x64, 0x05, 0xC0, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00};
    memcpy(stream + n, fake, sizeof(fake));
    n += sizeof(fake);
    memcpy(stream + n, b, nb);
    n += nb;
    h_stream(h, GS_DIR_TO_SERVER, stream, n);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].seq, 1);
    ck_assert_uint_ge(gs_test_anomaly_count(&h->events, "dnp3.resync"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.bad_header_crc"), 1);
    /* after a gap (state_reset) the partial fragment is forgotten */
    uint8_t big[700], wire[2048];
    size_t alen = big_response(big);
    size_t wlen = gs_dnp3w_frame(wire, sizeof(wire), 10, 1, false, 0, big, alen);
    h_stream(h, GS_DIR_TO_CLIENT, wire, 292); /* first frame only */
    gs_dnp3_dissector.state_reset(h->state, GS_DIR_TO_CLIENT);
    h_stream(h, GS_DIR_TO_CLIENT, wire + 292, wlen - 292);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.orphan_segment"), 2);
    h_free(h);
}
END_TEST

START_TEST(test_dnp3_bad_link_crc)
{
    uint8_t wire[512];
    size_t n = frame_hex(wire, sizeof(wire), true, 0, "C0 01 3C 02 06 3C 03 06 3C 04 06 3C 01 06");
    wire[12] ^= 0x40; /* a data byte of the first block */
    struct harness *h = h_new(NULL);
    h_stream(h, GS_DIR_TO_SERVER, wire, n);
    ck_assert_uint_eq(h->n_ev, 0);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.bad_link_crc"), 1);
    wire[12] ^= 0x40;
    h_stream(h, GS_DIR_TO_SERVER, wire, n);
    ck_assert_uint_eq(h->n_ev, 1);
    h_free(h);
}
END_TEST

/* Two transport segments by hand: FIR, then the segment given. */
static void two_segments(struct harness *h, uint8_t th1, uint8_t th2)
{
    static const uint8_t part1[] = {0xC0, 0x01, 0x3C, 0x02, 0x06};
    static const uint8_t part2[] = {0x3C, 0x03, 0x06};
    uint8_t wire[256];
    uint8_t user[16];
    user[0] = th1;
    memcpy(user + 1, part1, sizeof(part1));
    /* gs_dnp3w_frame adds its own transport byte: frame raw user data instead */
    size_t n = gs_dnp3w_frame(wire, sizeof(wire), 1, 10, true, 0, part1, sizeof(part1));
    (void)user;
    /* overwrite the transport byte and fix the block CRC */
    wire[10] = th1;
    uint16_t crc = gs_dnp3_crc(wire + 10, 6);
    wire[16] = (uint8_t)crc;
    wire[17] = (uint8_t)(crc >> 8);
    h_stream(h, GS_DIR_TO_SERVER, wire, n);
    n = gs_dnp3w_frame(wire, sizeof(wire), 1, 10, true, 0, part2, sizeof(part2));
    wire[10] = th2;
    crc = gs_dnp3_crc(wire + 10, 4);
    wire[14] = (uint8_t)crc;
    wire[15] = (uint8_t)(crc >> 8);
    h_stream(h, GS_DIR_TO_SERVER, wire, n);
}

START_TEST(test_dnp3_transport_sequence)
{
    struct harness *h = h_new(NULL);
    two_segments(h, 0x40 | 7, 0x80 | 8); /* FIR seq 7, FIN seq 8: one fragment */
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].n_obj, 2);
    two_segments(h, 0x40 | 7, 0x80 | 9); /* gap */
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.transport_gap"), 1);
    two_segments(h, 0x40 | 7, 0x40 | 8); /* FIR while one is in progress */
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.fragment_dropped"), 1);
    /* segments without FIR: the first breaks the unfinished fragment (gap), the second has
     * nothing to join (orphan) */
    two_segments(h, 0x80 | 1, 0x80 | 2);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.transport_gap"), 2);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.orphan_segment"), 1);
    ck_assert_uint_eq(h->n_ev, 1);
    h_free(h);
}
END_TEST

/* ---- caps ---------------------------------------------------------------------------------- */

static void small_fragment(struct gs_config *cfg)
{
    cfg->dnp3_max_fragment_bytes = 249;
}

START_TEST(test_dnp3_cap_fragment_bytes)
{
    uint8_t apdu[700], wire[2048];
    size_t alen = big_response(apdu);
    size_t wlen = gs_dnp3w_frame(wire, sizeof(wire), 10, 1, false, 0, apdu, alen);
    struct harness *h = h_new(small_fragment);
    h_stream(h, GS_DIR_TO_CLIENT, wire, wlen);
    ck_assert_uint_eq(h->n_ev, 0);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.fragment_too_long"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.orphan_segment"), 0);
    send_apdu(h, false, "C0 81 00 00"); /* the next fragment is fine */
    ck_assert_uint_eq(h->n_ev, 1);
    h_free(h);
}
END_TEST

static void two_objects(struct gs_config *cfg)
{
    cfg->dnp3_max_objects = 2;
}

static void ten_points(struct gs_config *cfg)
{
    cfg->dnp3_max_points = 10;
}

static void one_assoc(struct gs_config *cfg)
{
    cfg->dnp3_max_associations = 1;
}

static void one_sa(struct gs_config *cfg)
{
    cfg->dnp3_max_sa_objects = 1;
}

START_TEST(test_dnp3_cap_objects_points)
{
    struct harness *h = h_new(two_objects);
    send_apdu(h, true, "C0 01 3C 02 06 3C 03 06 3C 04 06");
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].n_obj, 2);
    ck_assert(!h->ev[0].complete);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.too_many_objects"), 1);
    h_free(h);
    h = h_new(ten_points);
    send_apdu(h, true, "C0 01 01 02 00 00 04 1E 01 00 00 05");
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].n_obj, 2);
    ck_assert_uint_eq(h->ev[0].n_points, 5);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.too_many_points"), 1);
    h_free(h);
}
END_TEST

START_TEST(test_dnp3_cap_associations)
{
    uint8_t apdu[700], wire[2048];
    size_t alen = big_response(apdu);
    struct harness *h = h_new(one_assoc);
    /* outstation 10 starts a long fragment; outstation 11 (same flow) needs the only slot */
    size_t n = gs_dnp3w_frame(wire, sizeof(wire), 10, 1, false, 0, apdu, alen);
    h_stream(h, GS_DIR_TO_CLIENT, wire, 292);
    uint8_t other[256];
    uint8_t small[] = {0xC0, 0x81, 0x00, 0x00};
    size_t m = gs_dnp3w_frame(other, sizeof(other), 11, 1, false, 0, small, sizeof(small));
    h_stream(h, GS_DIR_TO_CLIENT, other, m);
    h_stream(h, GS_DIR_TO_CLIENT, wire + 292, n - 292);
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].src, 11);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.too_many_associations"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.orphan_segment"), 2);
    h_free(h);
}
END_TEST

START_TEST(test_dnp3_cap_sa_objects)
{
    struct harness *h = h_new(one_sa);
    send_apdu(h, true,
              "C3 05 78 03 07 01 02 00 00 00 01 00 0C 01 17 01 03 03 01 E8 03 00 00 00 00 00 00 "
              "00 78 09 5B 01 04 00 62 D1 E9 2F");
    ck_assert_uint_eq(h->n_ev, 1);
    ck_assert_uint_eq(h->ev[0].n_obj, 3);
    ck_assert_uint_eq(h->ev[0].n_sa, 1);
    ck_assert(h->ev[0].complete);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.too_many_sa_objects"), 1);
    h_free(h);
}
END_TEST

/* ---- UDP, probe, function codes ------------------------------------------------------------ */

START_TEST(test_dnp3_udp)
{
    uint8_t dgram[1024];
    size_t n = frame_hex(dgram, sizeof(dgram), true, 0, "C0 01 3C 02 06");
    n += frame_hex(dgram + n, sizeof(dgram) - n, true, 1, "C1 01 3C 03 06");
    struct harness *h = h_new(NULL);
    h_datagram(h, GS_DIR_TO_SERVER, dgram, n, n);
    ck_assert_uint_eq(h->n_ev, 2);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    h_datagram(h, GS_DIR_TO_SERVER, dgram, n - 4, n); /* snaplen cut the second frame */
    ck_assert_uint_eq(h->n_ev, 3);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.truncated_frame"), 1);
    h_free(h);
}
END_TEST

START_TEST(test_dnp3_probe)
{
    uint8_t wire[256];
    size_t n = frame_hex(wire, sizeof(wire), true, 0, "C0 01 3C 02 06");
    struct gs_cursor cur = gs_cur_init(wire, n);
    ck_assert_uint_eq(gs_dnp3_dissector.probe(&cur, GS_DIR_TO_SERVER), GS_PROBE_SURE);
    cur = gs_cur_init(wire + 3, n - 3);
    ck_assert_uint_eq(gs_dnp3_dissector.probe(&cur, GS_DIR_TO_SERVER), GS_PROBE_NO);
    uint8_t later[300];
    memset(later, 0xAA, 20);
    memcpy(later + 20, wire, n);
    cur = gs_cur_init(later, 20 + n);
    ck_assert_uint_eq(gs_dnp3_dissector.probe(&cur, GS_DIR_TO_SERVER), GS_PROBE_MATCH);
    wire[8] ^= 1; /* header CRC */
    cur = gs_cur_init(wire, n);
    ck_assert_uint_eq(gs_dnp3_dissector.probe(&cur, GS_DIR_TO_SERVER), GS_PROBE_NO);
}
END_TEST

START_TEST(test_dnp3_function_codes)
{
    struct harness *h = h_new(NULL);
    send_apdu(h, true, "C0 7E");          /* reserved */
    send_apdu(h, true, "C0 0D 3C 02 06"); /* COLD_RESTART with objects */
    send_apdu(h, false, "C0 81 00");      /* response without IIN */
    send_apdu(h, true, "C0");             /* no function code */
    ck_assert_uint_eq(h->n_ev, 3);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.reserved_function"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.unexpected_objects"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "dnp3.short_fragment"), 2);
    ck_assert(!h->ev[2].has_iin && !h->ev[2].complete);
    ck_assert_str_eq(gs_dnp3_function_name(0x83), "AUTH_RESPONSE");
    ck_assert_ptr_null(gs_dnp3_function_name(0x7E));
    ck_assert_str_eq(gs_dnp3_iin_name(7), "device_restart");
    ck_assert_str_eq(gs_dnp3_link_function_name(0xC4), "UNCONFIRMED_USER_DATA");
    ck_assert_str_eq(gs_dnp3_link_function_name(0x0B), "LINK_STATUS");
    ck_assert_str_eq(gs_dnp3_link_function_name(0x49), "REQUEST_LINK_STATUS");
    ck_assert_ptr_null(gs_dnp3_link_function_name(0x45));
    ck_assert_str_eq(gs_dnp3_iin_name(13), "config_corrupt");
    h_free(h);
}
END_TEST

static Suite *suite_dnp3(void)
{
    Suite *s = suite_create("dnp3");
    TCase *tc = tcase_create("dnp3");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dnp3_crc_vectors);
    tcase_add_loop_test(tc, test_dnp3_qualifiers, 0,
                        (int)(sizeof(qual_cases) / sizeof(qual_cases[0])));
    tcase_add_test(tc, test_dnp3_values);
    tcase_add_test(tc, test_dnp3_controls);
    tcase_add_test(tc, test_dnp3_sa_spec_vectors);
    tcase_add_loop_test(tc, test_dnp3_sa_variations, 0,
                        (int)(sizeof(sa_cases) / sizeof(sa_cases[0])));
    tcase_add_test(tc, test_dnp3_reassembly_link_frames);
    tcase_add_test(tc, test_dnp3_reassembly_tcp_boundaries);
    tcase_add_test(tc, test_dnp3_resync_mid_stream);
    tcase_add_test(tc, test_dnp3_bad_link_crc);
    tcase_add_test(tc, test_dnp3_transport_sequence);
    tcase_add_test(tc, test_dnp3_cap_fragment_bytes);
    tcase_add_test(tc, test_dnp3_cap_objects_points);
    tcase_add_test(tc, test_dnp3_cap_associations);
    tcase_add_test(tc, test_dnp3_cap_sa_objects);
    tcase_add_test(tc, test_dnp3_udp);
    tcase_add_test(tc, test_dnp3_probe);
    tcase_add_test(tc, test_dnp3_function_codes);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_dnp3)
