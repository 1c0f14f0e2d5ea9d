/*
 * test_iec104.c - the IEC 104 dissector: each frame format, each type-id family (monitor,
 * control with select/execute, system, parameter, file, IEC 62351-5), SQ=1 addressing,
 * configurable field sizes, sequence tracking, several APDUs per call and one APDU over
 * several, resynchronisation, malformed lengths, the object cap, the probe. Every input sits
 * flush against a guard page.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard_buf.h"
#include "iec104.h"
#include "test_support.h"

/* ---- fixture: a state, a context, and the events recorded by value ------------------------- */

#define MAX_RECS   64
#define MAX_GUARDS 64
#define REC_OBJS   8

struct rec {
    uint64_t pcap_cnt;
    struct gs_iec104_apci apci;
    bool has_asdu;
    struct gs_iec104_asdu asdu;
    struct gs_iec104_object obj[REC_OBJS];
    bool has_sa;
    struct gs_iec104_sa sa;
    bool has_challenged;
    struct gs_iec104_asdu ch;
    struct gs_iec104_object chobj[2];
};

struct fixture {
    struct gs_test_events events;
    struct gs_test_ctx t;
    void *state;
    struct rec recs[MAX_RECS];
    size_t n_recs;
    struct gs_guard_buf guards[MAX_GUARDS];
    size_t n_guards;
};

static struct fixture fx;

static void copy_asdu(const struct gs_iec104_asdu *a, struct gs_iec104_asdu *out,
                      struct gs_iec104_object *objs, size_t cap)
{
    *out = *a;
    size_t n = a->n_objects < cap ? a->n_objects : cap;
    if (n != 0)
        memcpy(objs, a->objects, n * sizeof(*objs));
    out->objects = objs;
}

static void hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)arg;
    if (ev->type != GS_EVENT_IEC104)
        return;
    ck_assert_uint_lt(fx.n_recs, MAX_RECS);
    const struct gs_iec104_event *e = ev->body;
    struct rec *r = &fx.recs[fx.n_recs++];
    memset(r, 0, sizeof(*r));
    r->pcap_cnt = ctx->pcap_cnt;
    r->apci = e->apci;
    if (e->asdu == NULL)
        return;
    r->has_asdu = true;
    copy_asdu(e->asdu, &r->asdu, r->obj, REC_OBJS);
    if (e->asdu->sa != NULL) {
        r->has_sa = true;
        r->sa = *e->asdu->sa;
        if (r->sa.challenged != NULL) {
            r->has_challenged = true;
            copy_asdu(r->sa.challenged, &r->ch, r->chobj, 2);
        }
    }
}

/* A fresh dissector state under the default configuration changed by `tweak`. */
static void setup_with(void (*tweak)(struct gs_config *))
{
    memset(&fx, 0, sizeof(fx));
    gs_test_ctx_init(&fx.t, &fx.events, 2404);
    if (tweak != NULL)
        tweak(&fx.t.cfg);
    fx.events.hook = hook;
    fx.state = calloc(1, gs_iec104_dissector.state_size(&fx.t.cfg));
    ck_assert_ptr_nonnull(fx.state);
    gs_iec104_dissector.state_init(fx.state, &fx.t.cfg);
}

static void setup(void)
{
    setup_with(NULL);
}

static void teardown(void)
{
    free(fx.state);
    for (size_t i = 0; i < fx.n_guards; i++)
        gs_guard_free(&fx.guards[i]);
}

/* Parses `len` octets placed against a guard page (kept until teardown: spans stay valid). */
static struct gs_parse_res parse_bytes(enum gs_dir dir, const uint8_t *bytes, size_t len)
{
    ck_assert_uint_lt(fx.n_guards, MAX_GUARDS);
    const uint8_t *data = gs_guard_alloc(&fx.guards[fx.n_guards++], bytes, len);
    struct gs_cursor cur = gs_cur_init(data, len);
    fx.t.flow.dir = dir;
    struct gs_parse_res res = gs_iec104_dissector.parse(fx.state, &fx.t.ctx, &cur, dir);
    ck_assert_uint_le(res.consumed, len);
    return res;
}

static struct gs_parse_res parse_hex(enum gs_dir dir, const char *hex)
{
    uint8_t buf[1024];
    size_t n = gs_test_hex(buf, sizeof(buf), hex);
    return parse_bytes(dir, buf, n);
}

/* An I-format APDU (N(S) ns, N(R) nr) around the ASDU given in hex. */
static struct gs_parse_res parse_i(enum gs_dir dir, unsigned ns, unsigned nr, const char *asdu)
{
    uint8_t buf[1024];
    size_t n = gs_test_hex(buf + 6, sizeof(buf) - 6, asdu);
    buf[0] = 0x68;
    buf[1] = (uint8_t)(n + 4);
    buf[2] = (uint8_t)(ns << 1);
    buf[3] = (uint8_t)(ns >> 7);
    buf[4] = (uint8_t)(nr << 1);
    buf[5] = (uint8_t)(nr >> 7);
    return parse_bytes(dir, buf, n + 6);
}

static size_t anomalies(const char *name)
{
    return gs_test_anomaly_count(&fx.events, name);
}

static const struct rec *last(void)
{
    ck_assert_uint_gt(fx.n_recs, 0);
    return &fx.recs[fx.n_recs - 1];
}

#define CP56 "E8 03 35 0E 93 0B 1A" /* 2026-11-19 (Thursday) 14:53:01.000 */

static void check_cp56(const struct gs_iec104_time *t, unsigned ms)
{
    ck_assert_int_eq(t->kind, GS_IEC104_TIME_CP56);
    ck_assert_uint_eq(t->ms, ms);
    ck_assert_uint_eq(t->minute, 53);
    ck_assert_uint_eq(t->hour, 14);
    ck_assert_uint_eq(t->day, 19);
    ck_assert_uint_eq(t->dow, 4);
    ck_assert_uint_eq(t->month, 11);
    ck_assert_uint_eq(t->year, 26);
    ck_assert(!t->invalid && !t->summer);
}

/* ---- frame formats -------------------------------------------------------------------------- */

static const struct {
    const char *hex;
    uint8_t function;
    const char *name;
} u_frames[] = {
    {"68 04 07 00 00 00", GS_IEC104_U_STARTDT_ACT, "startdt_act"},
    {"68 04 0B 00 00 00", GS_IEC104_U_STARTDT_CON, "startdt_con"},
    {"68 04 13 00 00 00", GS_IEC104_U_STOPDT_ACT, "stopdt_act"},
    {"68 04 23 00 00 00", GS_IEC104_U_STOPDT_CON, "stopdt_con"},
    {"68 04 43 00 00 00", GS_IEC104_U_TESTFR_ACT, "testfr_act"},
    {"68 04 83 00 00 00", GS_IEC104_U_TESTFR_CON, "testfr_con"},
};

START_TEST(test_iec104_u_frames)
{
    struct gs_parse_res res = parse_hex(GS_DIR_TO_SERVER, u_frames[_i].hex);
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, 6);
    ck_assert_uint_eq(fx.n_recs, 1);
    ck_assert_int_eq(last()->apci.format, GS_IEC104_FORMAT_U);
    ck_assert_uint_eq(last()->apci.u_function, u_frames[_i].function);
    ck_assert_str_eq(gs_iec104_u_name(last()->apci.u_function), u_frames[_i].name);
    ck_assert(!last()->has_asdu);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_s_and_i_frames)
{
    /* S: N(R) 5. I: N(S) 1, N(R) 2, C_SC_NA_1 select on, IOA 5000. */
    parse_hex(GS_DIR_TO_CLIENT, "68 04 01 00 0A 00");
    ck_assert_int_eq(last()->apci.format, GS_IEC104_FORMAT_S);
    ck_assert_uint_eq(last()->apci.recv_seq, 5);
    ck_assert_uint_eq(last()->apci.apdu.len, 6);
    parse_hex(GS_DIR_TO_SERVER, "68 0E 02 00 04 00 2D 01 06 00 01 00 88 13 00 81");
    const struct rec *r = last();
    ck_assert_int_eq(r->apci.format, GS_IEC104_FORMAT_I);
    ck_assert_uint_eq(r->apci.send_seq, 1);
    ck_assert_uint_eq(r->apci.recv_seq, 2);
    ck_assert_uint_eq(r->apci.length, 14);
    ck_assert(r->has_asdu);
    ck_assert_uint_eq(r->asdu.bytes.len, 10);
    ck_assert_uint_eq(r->asdu.bytes.ptr[0], 0x2D);
    ck_assert_uint_eq(r->asdu.type_id, 45);
    ck_assert_str_eq(gs_iec104_type_name(r->asdu.type_id), "C_SC_NA_1");
    ck_assert(!r->asdu.truncated && !r->asdu.sq);
    ck_assert_uint_eq(r->asdu.num_objects, 1);
    ck_assert_uint_eq(r->asdu.cot, 6);
    ck_assert_str_eq(gs_iec104_cot_name(r->asdu.cot), "act");
    ck_assert(!r->asdu.negative && !r->asdu.test);
    ck_assert(r->asdu.has_oa && r->asdu.has_ca);
    ck_assert_uint_eq(r->asdu.oa, 0);
    ck_assert_uint_eq(r->asdu.ca, 1);
    ck_assert(r->asdu.is_command);
    ck_assert_int_eq(r->asdu.objects_status, GS_IEC104_OBJ_OK);
    ck_assert_uint_eq(r->asdu.n_objects, 1);
    ck_assert_uint_eq(r->obj[0].ioa, 5000);
    ck_assert_int_eq(r->obj[0].kind, GS_IEC104_VAL_SINGLE);
    ck_assert_uint_eq(r->obj[0].v.u, 1);
    ck_assert(r->obj[0].has_select && r->obj[0].select);
    ck_assert(r->obj[0].has_qualifier);
    ck_assert_uint_eq(r->obj[0].qualifier, 0);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_cot_flags)
{
    /* C_SC_NA_1 actcon, negative and test, OA 7, CA 0xFFFF. */
    parse_i(GS_DIR_TO_CLIENT, 0, 0, "2D 01 C7 07 FF FF 88 13 00 01");
    const struct rec *r = last();
    ck_assert_uint_eq(r->asdu.cot, 7);
    ck_assert(r->asdu.negative && r->asdu.test);
    ck_assert_uint_eq(r->asdu.oa, 7);
    ck_assert_uint_eq(r->asdu.ca, 0xFFFF);
    ck_assert(!r->obj[0].select);
}
END_TEST

/* ---- type-id families ----------------------------------------------------------------------- */

struct type_case {
    const char *asdu;
    uint8_t type_id;
    uint32_t ioa;
    enum gs_iec104_value_kind kind;
    int64_t value; /* v.u or v.i, by kind */
    double fvalue; /* for GS_IEC104_VAL_FLOAT */
    int quality;   /* -1: none */
    int select;    /* -1: no S/E */
    int qualifier; /* -1: none */
    enum gs_iec104_time_kind time;
};

static const struct type_case type_cases[] = {
    /* monitor direction */
    {"01 01 03 00 01 00 0A 00 00 91", 1, 10, GS_IEC104_VAL_SINGLE, 1, 0, 0x90, -1, -1, 0},
    {"02 01 03 00 01 00 1A 00 00 01 10 27 05", 2, 26, GS_IEC104_VAL_SINGLE, 1, 0, 0, -1, -1,
     GS_IEC104_TIME_CP24},
    {"05 01 03 00 01 00 0C 00 00 C1 00", 5, 12, GS_IEC104_VAL_STEP, -63, 0, 0, -1, -1, 0},
    {"07 01 03 00 01 00 11 00 00 78 56 34 12 00", 7, 17, GS_IEC104_VAL_BITSTRING, 0x12345678, 0, 0,
     -1, -1, 0},
    {"09 01 03 00 01 00 0D 00 00 00 C0 10", 9, 13, GS_IEC104_VAL_NORMALIZED, -16384, 0, 0x10, -1,
     -1, 0},
    {"0B 01 03 00 01 00 0E 00 00 38 FF 00", 11, 14, GS_IEC104_VAL_SCALED, -200, 0, 0, -1, -1, 0},
    {"0D 01 03 00 01 00 0F 00 00 00 80 66 43 01", 13, 15, GS_IEC104_VAL_FLOAT, 0, 230.5, 1, -1, -1,
     0},
    {"0F 01 25 00 01 00 10 00 00 40 E2 01 00 23", 15, 16, GS_IEC104_VAL_COUNTER, 123456, 0, 0x23,
     -1, -1, 0},
    {"14 01 03 00 01 00 13 00 00 FF FF 01 00 00", 20, 19, GS_IEC104_VAL_PACKED, 0x1FFFF, 0, 0, -1,
     -1, 0},
    {"15 01 03 00 01 00 13 00 00 FF 7F", 21, 19, GS_IEC104_VAL_NORMALIZED, 32767, 0, -1, -1, -1, 0},
    {"1F 01 03 00 01 00 0B 00 00 02 " CP56, 31, 11, GS_IEC104_VAL_DOUBLE, 2, 0, 0, -1, -1,
     GS_IEC104_TIME_CP56},
    {"26 01 03 00 01 00 12 00 00 09 14 00 " CP56, 38, 18, GS_IEC104_VAL_PROTECTION, 1, 0, 0x08, -1,
     -1, GS_IEC104_TIME_CP56},
    {"29 01 03 00 01 00 1B 00 00 02 00 05 00 00 00 00 " CP56, 41, 27, GS_IEC104_VAL_COUNTER, 5, 0,
     0, -1, -1, GS_IEC104_TIME_CP56},
    {"46 01 04 00 01 00 00 00 00 02", 70, 0, GS_IEC104_VAL_QUALIFIER, 2, 0, -1, -1, -1, 0},
    /* control direction, process */
    {"2E 01 06 00 01 00 14 00 00 0A", 46, 20, GS_IEC104_VAL_DOUBLE, 2, 0, -1, 0, 2, 0},
    {"2F 01 06 00 01 00 15 00 00 81", 47, 21, GS_IEC104_VAL_REGSTEP, 1, 0, -1, 1, 0, 0},
    {"30 01 06 00 01 00 17 00 00 00 40 05", 48, 23, GS_IEC104_VAL_NORMALIZED, 16384, 0, -1, 0, 5,
     0},
    {"31 01 06 00 01 00 17 00 00 50 FB 80", 49, 23, GS_IEC104_VAL_SCALED, -1200, 0, -1, 1, 0, 0},
    {"32 01 06 00 01 00 16 00 00 00 80 66 43 80", 50, 22, GS_IEC104_VAL_FLOAT, 0, 230.5, -1, 1, 0,
     0},
    {"33 01 06 00 01 00 16 00 00 0F F0 A5 A5", 51, 22, GS_IEC104_VAL_BITSTRING, 0xA5A5F00F, 0, -1,
     -1, -1, 0},
    {"3A 01 06 00 01 00 16 00 00 01 " CP56, 58, 22, GS_IEC104_VAL_SINGLE, 1, 0, -1, 0, 0,
     GS_IEC104_TIME_CP56},
    {"3F 01 06 00 01 00 16 00 00 00 00 44 C1 85 " CP56, 63, 22, GS_IEC104_VAL_FLOAT, 0, -12.25, -1,
     1, 5, GS_IEC104_TIME_CP56},
    /* control direction, system */
    {"64 01 06 00 01 00 00 00 00 14", 100, 0, GS_IEC104_VAL_QUALIFIER, 20, 0, -1, -1, 20, 0},
    {"65 01 06 00 01 00 00 00 00 45", 101, 0, GS_IEC104_VAL_QUALIFIER, 0x45, 0, -1, -1, 0x45, 0},
    {"66 01 05 00 01 00 18 00 00", 102, 24, GS_IEC104_VAL_NONE, 0, 0, -1, -1, -1, 0},
    {"67 01 06 00 01 00 00 00 00 " CP56, 103, 0, GS_IEC104_VAL_NONE, 0, 0, -1, -1, -1,
     GS_IEC104_TIME_CP56},
    {"68 01 06 00 01 00 00 00 00 AA 55", 104, 0, GS_IEC104_VAL_TEST, 0x55AA, 0, -1, -1, -1, 0},
    {"69 01 06 00 01 00 00 00 00 01", 105, 0, GS_IEC104_VAL_QUALIFIER, 1, 0, -1, -1, 1, 0},
    {"6B 01 06 00 01 00 00 00 00 07 00 " CP56, 107, 0, GS_IEC104_VAL_TEST, 7, 0, -1, -1, -1,
     GS_IEC104_TIME_CP56},
    /* parameters */
    {"6F 01 06 00 01 00 19 00 00 28 00 03", 111, 25, GS_IEC104_VAL_SCALED, 40, 0, -1, -1, 3, 0},
    {"71 01 06 00 01 00 19 00 00 03", 113, 25, GS_IEC104_VAL_QUALIFIER, 3, 0, -1, -1, 3, 0},
    /* file transfer */
    {"78 01 0D 00 01 00 28 23 00 01 00 78 00 00 00", 120, 9000, GS_IEC104_VAL_FILE, 0, 0, -1, -1,
     -1, 0},
    {"7F 01 05 00 01 00 28 23 00 01 00 " CP56 " 78 E6 35 0E 93 0B 1A", 127, 9000,
     GS_IEC104_VAL_FILE, 0, 0, -1, -1, -1, GS_IEC104_TIME_CP56},
};

START_TEST(test_iec104_type_families)
{
    const struct type_case *tc = &type_cases[_i];
    parse_i(GS_DIR_TO_SERVER, 0, 0, tc->asdu);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
    const struct rec *r = last();
    ck_assert(r->has_asdu);
    ck_assert_uint_eq(r->asdu.type_id, tc->type_id);
    ck_assert_int_eq(r->asdu.objects_status, GS_IEC104_OBJ_OK);
    ck_assert_uint_eq(r->asdu.n_objects, 1);
    const struct gs_iec104_object *o = &r->obj[0];
    ck_assert_uint_eq(o->ioa, tc->ioa);
    ck_assert_int_eq(o->kind, tc->kind);
    switch (tc->kind) {
    case GS_IEC104_VAL_STEP:
    case GS_IEC104_VAL_NORMALIZED:
    case GS_IEC104_VAL_SCALED:
    case GS_IEC104_VAL_COUNTER:
        ck_assert_int_eq(o->v.i, tc->value);
        break;
    case GS_IEC104_VAL_FLOAT:
        ck_assert_double_eq(o->v.f, tc->fvalue);
        break;
    case GS_IEC104_VAL_NONE:
    case GS_IEC104_VAL_FILE:
        break;
    default:
        ck_assert_uint_eq(o->v.u, (uint64_t)tc->value);
        break;
    }
    ck_assert_int_eq(o->has_quality, tc->quality >= 0);
    if (tc->quality >= 0)
        ck_assert_uint_eq(o->quality, (unsigned)tc->quality);
    ck_assert_int_eq(o->has_select, tc->select >= 0);
    if (tc->select >= 0)
        ck_assert_int_eq(o->select, tc->select);
    ck_assert_int_eq(o->has_qualifier, tc->qualifier >= 0);
    if (tc->qualifier >= 0)
        ck_assert_uint_eq(o->qualifier, (unsigned)tc->qualifier);
    ck_assert_int_eq(o->time.kind, tc->time);
    if (tc->time == GS_IEC104_TIME_CP56)
        check_cp56(&o->time, 1000);
    uint8_t t = tc->type_id;
    ck_assert_int_eq(r->asdu.is_command,
                     (t >= 45 && t <= 69) || (t >= 100 && t <= 107) || (t >= 110 && t <= 113));
}
END_TEST

START_TEST(test_iec104_element_details)
{
    /* VTI transient, CP24, protection elapsed time, S_IT_TC_1 association, file fields. */
    parse_i(GS_DIR_TO_SERVER, 0, 0, "05 01 03 00 01 00 0C 00 00 C1 00");
    ck_assert(last()->obj[0].transient);
    parse_i(GS_DIR_TO_SERVER, 1, 0, "02 01 03 00 01 00 1A 00 00 01 10 27 85");
    ck_assert_uint_eq(last()->obj[0].time.ms, 10000);
    ck_assert_uint_eq(last()->obj[0].time.minute, 5);
    ck_assert(last()->obj[0].time.invalid);
    parse_i(GS_DIR_TO_SERVER, 2, 0, "26 01 03 00 01 00 12 00 00 09 14 00 " CP56);
    ck_assert(last()->obj[0].has_elapsed);
    ck_assert_uint_eq(last()->obj[0].elapsed_ms, 20);
    parse_i(GS_DIR_TO_SERVER, 3, 0, "6A 01 06 00 01 00 00 00 00 FA 00");
    ck_assert_uint_eq(last()->obj[0].elapsed_ms, 250);
    parse_i(GS_DIR_TO_SERVER, 4, 0, "29 01 03 00 01 00 1B 00 00 02 00 05 00 00 00 00 " CP56);
    ck_assert_uint_eq(last()->obj[0].association_id, 2);
    parse_i(GS_DIR_TO_SERVER, 5, 0, "7D 01 0D 00 01 00 28 23 00 01 00 02 03 AA BB CC");
    const struct gs_iec104_file *f = &last()->obj[0].file;
    ck_assert_uint_eq(f->name, 1);
    ck_assert_uint_eq(f->section, 2);
    ck_assert_uint_eq(f->length, 3);
    ck_assert_uint_eq(f->segment.len, 3);
    ck_assert_uint_eq(f->segment.ptr[2], 0xCC);
    ck_assert_uint_eq(last()->obj[0].element.len, 7);
    parse_i(GS_DIR_TO_SERVER, 6, 0, "7B 01 0D 00 01 00 28 23 00 01 00 02 03 5A");
    ck_assert_uint_eq(last()->obj[0].file.qualifier, 3);
    ck_assert_uint_eq(last()->obj[0].file.checksum, 0x5A);
    parse_i(GS_DIR_TO_SERVER, 7, 0,
            "7F 01 05 00 01 00 28 23 00 01 00 " CP56 " 78 E6 35 0E 93 0B 1A");
    ck_assert_uint_eq(last()->obj[0].file.range_stop.ms, 59000);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_sq_addressing)
{
    /* SQ=1: IOA 2000, three scaled values at 2000, 2001, 2002; SQ=0: two IOAs. */
    parse_i(GS_DIR_TO_CLIENT, 0, 0, "0B 83 14 00 01 00 D0 07 00 01 00 00 02 00 00 03 00 00");
    const struct rec *r = last();
    ck_assert(r->asdu.sq);
    ck_assert_uint_eq(r->asdu.n_objects, 3);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(r->obj[i].ioa, 2000 + i);
        ck_assert_int_eq(r->obj[i].v.i, (int)i + 1);
        ck_assert_uint_eq(r->obj[i].element.len, 3);
    }
    parse_i(GS_DIR_TO_CLIENT, 1, 0, "01 02 14 00 01 00 0A 00 00 01 0C 00 00 00");
    ck_assert_uint_eq(last()->obj[0].ioa, 10);
    ck_assert_uint_eq(last()->obj[1].ioa, 12);
    ck_assert_uint_eq(last()->obj[1].v.u, 0);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

static void small_fields(struct gs_config *cfg)
{
    cfg->iec104_cot_size = 1;
    cfg->iec104_ca_size = 1;
    cfg->iec104_ioa_size = 2;
}

START_TEST(test_iec104_field_sizes)
{
    teardown();
    setup_with(small_fields);
    parse_i(GS_DIR_TO_CLIENT, 0, 0, "01 01 03 05 0A 01 01");
    const struct rec *r = last();
    ck_assert(!r->asdu.has_oa);
    ck_assert_uint_eq(r->asdu.ca, 5);
    ck_assert_uint_eq(r->obj[0].ioa, 0x010A);
    ck_assert_uint_eq(r->obj[0].v.u, 1);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

/* ---- IEC 62351-5 ------------------------------------------------------------------------------
 */

#define MAC16 "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF"

START_TEST(test_iec104_sa_challenge_reply)
{
    parse_i(GS_DIR_TO_CLIENT, 0, 0,
            "51 01 0E 00 01 00 C0 01 00 00 00 00 00 04 01 04 00 A1 B2 C3 D4");
    const struct rec *r = last();
    ck_assert(r->has_sa);
    ck_assert_int_eq(r->asdu.objects_status, GS_IEC104_OBJ_NONE);
    ck_assert(r->sa.has_segment && r->sa.first && r->sa.final && r->sa.complete);
    ck_assert(!r->sa.reassembled);
    ck_assert(r->sa.has_csq && r->sa.has_usr && r->sa.has_mal);
    ck_assert_uint_eq(r->sa.csq, 1);
    ck_assert_uint_eq(r->sa.usr, 0);
    ck_assert_uint_eq(r->sa.mal, 4);
    ck_assert_uint_eq(r->sa.rsc, 1);
    ck_assert_uint_eq(r->sa.challenge.len, 4);
    ck_assert_uint_eq(r->sa.challenge.ptr[0], 0xA1);

    parse_i(GS_DIR_TO_SERVER, 0, 1, "52 01 0E 00 01 00 C0 01 00 00 00 01 00 10 00 " MAC16);
    r = last();
    ck_assert(r->sa.complete);
    ck_assert_uint_eq(r->sa.usr, 1);
    ck_assert_uint_eq(r->sa.mac.len, 16);
    ck_assert(r->sa.mac_in_asdu);
    ck_assert_uint_eq(r->sa.mac_offset, 15);
    ck_assert_ptr_eq(r->asdu.bytes.ptr + r->sa.mac_offset, r->sa.mac.ptr);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_sa_aggressive)
{
    /* S_AR_NA_1 carrying C_SC_NA_1 execute on IOA 5061, CSQ 2, user 1, MAC. */
    parse_i(GS_DIR_TO_SERVER, 0, 0,
            "53 01 0E 00 01 00 C0 2D 01 06 00 01 00 C5 13 00 01 02 00 00 00 01 00 " MAC16);
    const struct rec *r = last();
    ck_assert(r->sa.complete);
    ck_assert(r->has_challenged);
    ck_assert_uint_eq(r->ch.type_id, 45);
    ck_assert_uint_eq(r->ch.bytes.len, 10);
    ck_assert_uint_eq(r->ch.n_objects, 1);
    ck_assert_uint_eq(r->chobj[0].ioa, 5061);
    ck_assert(r->chobj[0].has_select && !r->chobj[0].select);
    ck_assert_uint_eq(r->sa.csq, 2);
    ck_assert_uint_eq(r->sa.usr, 1);
    ck_assert_uint_eq(r->sa.mac_offset, 23);
    ck_assert_uint_eq(r->sa.mac.len, 16);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_sa_key_change)
{
    parse_i(GS_DIR_TO_SERVER, 0, 0, "54 01 0F 00 01 00 01 00");
    ck_assert(!last()->sa.has_segment && last()->sa.complete);
    ck_assert_uint_eq(last()->sa.usr, 1);
    parse_i(GS_DIR_TO_CLIENT, 0, 1,
            "55 01 0F 00 01 00 C0 02 00 00 00 01 00 01 01 04 04 00 55 66 77 88 " MAC16);
    const struct rec *r = last();
    ck_assert(r->sa.complete && r->sa.has_key_status && r->sa.has_ksq);
    ck_assert_uint_eq(r->sa.ksq, 2);
    ck_assert_uint_eq(r->sa.kwa, 1);
    ck_assert_uint_eq(r->sa.kst, 1);
    ck_assert_uint_eq(r->sa.mal, 4);
    ck_assert_uint_eq(r->sa.challenge.len, 4);
    ck_assert_uint_eq(r->sa.mac.len, 16);
    parse_i(GS_DIR_TO_SERVER, 1, 1,
            "56 01 0F 00 01 00 C0 01 00 00 00 01 00 08 00 01 02 03 04 05 06 07 08");
    ck_assert(last()->sa.complete);
    ck_assert_uint_eq(last()->sa.wrapped_key.len, 8);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_sa_error_layouts)
{
    /* Wireshark's layout, then the one with a KSQ after the CSQ: the length decides. */
    parse_i(GS_DIR_TO_CLIENT, 0, 0,
            "57 01 0E 00 01 00 C0 03 00 00 00 01 00 00 00 01 " CP56 " 03 00 41 42 43");
    const struct rec *r = last();
    ck_assert(r->sa.complete && r->sa.has_error && !r->sa.has_ksq);
    ck_assert_uint_eq(r->sa.csq, 3);
    ck_assert_uint_eq(r->sa.err, 1);
    check_cp56(&r->sa.etm, 1000);
    ck_assert_uint_eq(r->sa.error_text.len, 3);
    parse_i(GS_DIR_TO_CLIENT, 1, 0,
            "57 01 0E 00 01 00 C0 03 00 00 00 09 00 00 00 01 00 00 00 01 " CP56 " 03 00 41 42 43");
    r = last();
    ck_assert(r->sa.complete && r->sa.has_ksq);
    ck_assert_uint_eq(r->sa.ksq, 9);
    ck_assert_uint_eq(r->sa.usr, 1);
    ck_assert_uint_eq(r->sa.error_text.ptr[2], 0x43);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_sa_user_management)
{
    /* 90: KCM 4, add, SCS 1, role 1, 365 days, name "op", no key, 2 octets of certification. */
    parse_i(GS_DIR_TO_SERVER, 0, 0,
            "5A 01 10 00 01 00 C0 04 01 01 00 00 00 01 00 6D 01 02 00 00 00 02 00 6F 70 AA BB");
    const struct rec *r = last();
    ck_assert(r->sa.complete && r->sa.has_user_status && r->sa.has_kcm);
    ck_assert_uint_eq(r->sa.kcm, 4);
    ck_assert_uint_eq(r->sa.operation, 1);
    ck_assert_uint_eq(r->sa.role_expiry, 365);
    ck_assert_uint_eq(r->sa.name.len, 2);
    ck_assert_uint_eq(r->sa.public_key.len, 0);
    ck_assert_uint_eq(r->sa.certificate.len, 2);
    parse_i(GS_DIR_TO_SERVER, 1, 0, "5B 01 10 00 01 00 C0 04 02 00 02 00 6F 70 01 02");
    ck_assert(last()->sa.complete);
    ck_assert_uint_eq(last()->sa.challenge.len, 2);
    parse_i(GS_DIR_TO_CLIENT, 0, 2, "5C 01 10 00 01 00 C0 05 00 00 00 02 00 02 00 01 02");
    ck_assert_uint_eq(last()->sa.ksq, 5);
    parse_i(GS_DIR_TO_SERVER, 2, 1, "5D 01 10 00 01 00 C0 05 00 00 00 02 00 02 00 01 02 " MAC16);
    ck_assert_uint_eq(last()->sa.wrapped_key.len, 2);
    ck_assert_uint_eq(last()->sa.mac.len, 16);
    parse_i(GS_DIR_TO_SERVER, 3, 1, "5E 01 10 00 01 00 C0 06 00 00 00 02 00 02 00 01 02 EE EE EE");
    ck_assert_uint_eq(last()->sa.signature.len, 3);
    parse_i(GS_DIR_TO_CLIENT, 1, 4, "5F 01 10 00 01 00 C0 " MAC16);
    ck_assert_uint_eq(last()->sa.mac.len, 16);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_sa_segments)
{
    /* A certificate in three ASDUs: FIR asn 0, asn 1, FIN asn 2. */
    parse_i(GS_DIR_TO_SERVER, 0, 0, "58 01 10 00 01 00 40 44 0A 00 01 02 03");
    ck_assert(!last()->sa.complete && last()->sa.first && !last()->sa.final);
    parse_i(GS_DIR_TO_SERVER, 1, 0, "58 01 10 00 01 00 01 04 05 06 07");
    ck_assert(!last()->sa.complete);
    parse_i(GS_DIR_TO_SERVER, 2, 0, "58 01 10 00 01 00 82 08 09 0A");
    const struct rec *r = last();
    ck_assert(r->sa.complete && r->sa.reassembled && r->sa.final);
    ck_assert_uint_eq(r->sa.kcm, 0x44);
    ck_assert_uint_eq(r->sa.certificate.len, 10);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_uint_eq(r->sa.certificate.ptr[i], i + 1);
    ck_assert(!r->sa.mac_in_asdu);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);

    /* A middle segment with no first one, then a skipped ASN. */
    parse_i(GS_DIR_TO_SERVER, 3, 0, "58 01 10 00 01 00 01 04 05");
    ck_assert_uint_eq(anomalies("iec104.sa_segment"), 1);
    parse_i(GS_DIR_TO_SERVER, 4, 0, "58 01 10 00 01 00 40 44 0A 00 01 02 03");
    parse_i(GS_DIR_TO_SERVER, 5, 0, "58 01 10 00 01 00 82 08 09 0A");
    ck_assert_uint_eq(anomalies("iec104.sa_segment"), 2);
    ck_assert(!last()->sa.complete);
    /* The other direction's reassembly is its own. */
    parse_i(GS_DIR_TO_SERVER, 6, 0, "58 01 10 00 01 00 40 44 0A 00 01 02 03");
    parse_i(GS_DIR_TO_CLIENT, 0, 7, "58 01 10 00 01 00 C0 44 01 00 01");
    ck_assert(last()->sa.complete);
    parse_i(GS_DIR_TO_SERVER, 7, 1, "58 01 10 00 01 00 81 04 05 06 07 08 09 0A");
    ck_assert(last()->sa.complete);
    ck_assert_uint_eq(fx.events.n_anomalies, 2);
}
END_TEST

static void tiny_sa(struct gs_config *cfg)
{
    cfg->iec104_max_sa_bytes = 6;
}

START_TEST(test_iec104_sa_limit_and_malformed)
{
    teardown();
    setup_with(tiny_sa);
    parse_i(GS_DIR_TO_SERVER, 0, 0, "58 01 10 00 01 00 40 44 0A 00 01 02 03");
    ck_assert_uint_eq(anomalies("iec104.sa_too_long"), 0);
    parse_i(GS_DIR_TO_SERVER, 1, 0, "58 01 10 00 01 00 81 04 05 06 07 08 09 0A");
    ck_assert_uint_eq(anomalies("iec104.sa_too_long"), 1);
    ck_assert(!last()->sa.complete);
    /* A single-segment message is decoded in place, whatever the cap. */
    parse_i(GS_DIR_TO_SERVER, 2, 0, "58 01 10 00 01 00 C0 44 0A 00 01 02 03 04 05 06 07 08 09 0A");
    ck_assert(last()->sa.complete);
    /* HLN says 20, 16 octets follow; VSQ 2; no segmentation octet. */
    parse_i(GS_DIR_TO_SERVER, 3, 0, "52 01 0E 00 01 00 C0 01 00 00 00 01 00 14 00 " MAC16);
    ck_assert(!last()->sa.complete);
    ck_assert_uint_eq(anomalies("iec104.sa_malformed"), 1);
    parse_i(GS_DIR_TO_SERVER, 4, 0, "54 02 0F 00 01 00 01 00");
    ck_assert_uint_eq(anomalies("iec104.sa_malformed"), 2);
    parse_i(GS_DIR_TO_SERVER, 5, 0, "51 01 0E 00 01 00");
    ck_assert_uint_eq(anomalies("iec104.sa_malformed"), 3);
    ck_assert(!last()->sa.complete);
}
END_TEST

/* ---- sequence numbers ------------------------------------------------------------------------ */

START_TEST(test_iec104_sequence_tracking)
{
    const char *asdu = "64 01 06 00 01 00 00 00 00 14";
    parse_i(GS_DIR_TO_SERVER, 0, 0, asdu);
    parse_i(GS_DIR_TO_CLIENT, 0, 1, asdu);
    parse_hex(GS_DIR_TO_SERVER, "68 04 01 00 02 00"); /* S, N(R) 1 */
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
    parse_i(GS_DIR_TO_SERVER, 2, 1, asdu); /* expected 1: one frame missing */
    ck_assert_uint_eq(anomalies("iec104.seq_gap"), 1);
    parse_i(GS_DIR_TO_SERVER, 2, 1, asdu); /* expected 3: a repeat */
    ck_assert_uint_eq(anomalies("iec104.seq_duplicate"), 1);
    parse_i(GS_DIR_TO_SERVER, 3, 1, asdu); /* back in step */
    ck_assert_uint_eq(fx.events.n_anomalies, 2);
    /* The controlled station acknowledges 10 frames; the controlling one sent 4. */
    parse_hex(GS_DIR_TO_CLIENT, "68 04 01 00 14 00");
    ck_assert_uint_eq(anomalies("iec104.ack_unsent"), 1);
    parse_hex(GS_DIR_TO_CLIENT, "68 04 01 00 08 00");
    ck_assert_uint_eq(fx.events.n_anomalies, 3);
    /* A jump of half the sequence space or more reads as a repeat; N(S) wraps at 32768. */
    parse_i(GS_DIR_TO_CLIENT, 20000, 4, asdu);
    ck_assert_uint_eq(anomalies("iec104.seq_duplicate"), 2);
    gs_iec104_dissector.state_reset(fx.state, GS_DIR_TO_CLIENT);
    parse_i(GS_DIR_TO_CLIENT, 32767, 4, asdu);
    parse_i(GS_DIR_TO_CLIENT, 0, 4, asdu);
    ck_assert_uint_eq(fx.events.n_anomalies, 4);
    /* After a gap in the stream, N(S) of that direction starts afresh. */
    gs_iec104_dissector.state_reset(fx.state, GS_DIR_TO_SERVER);
    parse_i(GS_DIR_TO_SERVER, 50, 1, asdu);
    ck_assert_uint_eq(fx.events.n_anomalies, 4);
}
END_TEST

static void k_of_two(struct gs_config *cfg)
{
    cfg->iec104_max_unacked = 2;
}

START_TEST(test_iec104_max_unacked)
{
    teardown();
    setup_with(k_of_two);
    const char *asdu = "64 01 06 00 01 00 00 00 00 14";
    parse_hex(GS_DIR_TO_CLIENT, "68 04 01 00 00 00"); /* the controlled station's first ack */
    for (unsigned i = 0; i < 4; i++)
        parse_i(GS_DIR_TO_SERVER, i, 0, asdu);
    ck_assert_uint_eq(anomalies("iec104.too_many_unacked"), 1); /* once, at 3 outstanding */
    parse_hex(GS_DIR_TO_CLIENT, "68 04 01 00 08 00");           /* all 4 acknowledged */
    for (unsigned i = 4; i < 7; i++)
        parse_i(GS_DIR_TO_SERVER, i, 0, asdu);
    ck_assert_uint_eq(anomalies("iec104.too_many_unacked"), 2);
    ck_assert_uint_eq(fx.events.n_anomalies, 2);
}
END_TEST

/* ---- framing --------------------------------------------------------------------------------- */

START_TEST(test_iec104_several_apdus_per_call)
{
    struct gs_parse_res res =
        parse_hex(GS_DIR_TO_CLIENT, "68 04 0B 00 00 00"
                                    "68 0E 00 00 00 00 64 01 07 00 01 00 00 00 00 14"
                                    "68 04 01 00 02 00");
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, 28);
    ck_assert_uint_eq(fx.n_recs, 3);
    ck_assert_int_eq(fx.recs[0].apci.format, GS_IEC104_FORMAT_U);
    ck_assert_int_eq(fx.recs[1].apci.format, GS_IEC104_FORMAT_I);
    ck_assert_int_eq(fx.recs[2].apci.format, GS_IEC104_FORMAT_S);
    /* A trailing partial APDU is left for later, with the octets it still needs. */
    res = parse_hex(GS_DIR_TO_CLIENT, "68 04 43 00 00 00 68 0E 00");
    ck_assert_int_eq(res.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(res.consumed, 6);
    ck_assert_uint_eq(res.needed, 13);
    res = parse_hex(GS_DIR_TO_CLIENT, "68");
    ck_assert_int_eq(res.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(res.consumed, 0);
    ck_assert_uint_eq(res.needed, 1);
}
END_TEST

/* Feeds a byte string to the parser the way the stream layer does: left-over octets are kept
 * and offered again with the next chunk. */
START_TEST(test_iec104_one_apdu_across_calls)
{
    uint8_t all[64];
    size_t n = gs_test_hex(all, sizeof(all),
                           "68 0E 02 00 04 00 2D 01 06 00 01 00 88 13 00 81"
                           "68 04 01 00 06 00");
    uint8_t pending[64];
    size_t have = 0;
    size_t events_at[sizeof(all)];
    for (size_t i = 0; i < n; i++) {
        pending[have++] = all[i];
        fx.t.ctx.pcap_cnt = i + 1;
        struct gs_parse_res res = parse_bytes(GS_DIR_TO_SERVER, pending, have);
        ck_assert_int_ne(res.status, GS_PARSE_ERROR);
        memmove(pending, pending + res.consumed, have - res.consumed);
        have -= res.consumed;
        events_at[i] = fx.n_recs;
        if (i == 0)
            ck_assert_uint_eq(res.needed, 1);
        if (i == 1)
            ck_assert_uint_eq(res.needed, 14);
    }
    ck_assert_uint_eq(have, 0);
    ck_assert_uint_eq(events_at[14], 0);
    ck_assert_uint_eq(events_at[15], 1);
    ck_assert_uint_eq(fx.recs[0].pcap_cnt, 16); /* the octet that completed it */
    ck_assert_uint_eq(fx.recs[0].asdu.type_id, 45);
    ck_assert_uint_eq(fx.n_recs, 2);
    ck_assert_uint_eq(fx.events.n_anomalies, 0);
}
END_TEST

START_TEST(test_iec104_resync)
{
    /* Picked up mid-stream: the tail of an APDU, then whole ones. */
    struct gs_parse_res res = parse_hex(GS_DIR_TO_SERVER, "00 14 22 68 04 07 00 00 00");
    ck_assert_uint_eq(res.consumed, 9);
    ck_assert_uint_eq(anomalies("iec104.resync"), 1);
    ck_assert_uint_eq(fx.n_recs, 1);
    /* Junk across calls is one resynchronisation. */
    res = parse_hex(GS_DIR_TO_SERVER, "01 02 03");
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, 3);
    parse_hex(GS_DIR_TO_SERVER, "04 05");
    ck_assert_uint_eq(anomalies("iec104.resync"), 2);
    parse_hex(GS_DIR_TO_SERVER, "06 68 04 43 00 00 00");
    ck_assert_uint_eq(anomalies("iec104.resync"), 2);
    ck_assert_uint_eq(fx.n_recs, 2);
    /* After a stream gap, junk is a new resynchronisation. */
    gs_iec104_dissector.state_reset(fx.state, GS_DIR_TO_SERVER);
    parse_hex(GS_DIR_TO_SERVER, "AA 68 04 83 00 00 00");
    ck_assert_uint_eq(anomalies("iec104.resync"), 3);
    ck_assert_uint_eq(fx.n_recs, 3);
}
END_TEST

START_TEST(test_iec104_resync_out_of_step)
{
    /* Picked up mid-APDU: 68 81 .. is a 0x68 inside data (an I-frame with CF3 bit 0 set),
     * skipped; the TESTFR act after it is the first APDU. */
    parse_hex(GS_DIR_TO_SERVER, "AA 68 81 DC BB 79 88 5C 68 04 43 00 00 00");
    ck_assert_uint_eq(fx.n_recs, 1);
    ck_assert_uint_eq(last()->apci.u_function, GS_IEC104_U_TESTFR_ACT);
    ck_assert_uint_eq(anomalies("iec104.resync"), 1);

    /* After lost octets, a plausible header whose end is not in view is not trusted yet:
     * everything from it is kept (needed 0: look again at whatever comes)... */
    gs_iec104_dissector.state_reset(fx.state, GS_DIR_TO_SERVER);
    struct gs_parse_res res = parse_hex(GS_DIR_TO_SERVER, "01 02 68 20 00 00 00 00 01 02");
    ck_assert_int_eq(res.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(res.consumed, 2);
    ck_assert_uint_eq(res.needed, 0);
    ck_assert_uint_eq(fx.n_recs, 1);
    /* ...and an APDU that ends where the data ends wins over it. */
    res = parse_hex(GS_DIR_TO_SERVER, "68 20 00 00 00 00 01 02 03 04 68 04 83 00 00 00");
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, 16);
    ck_assert_uint_eq(fx.n_recs, 2);
    ck_assert_uint_eq(last()->apci.u_function, GS_IEC104_U_TESTFR_CON);

    /* A plausible header followed, at its end, by something else is skipped. */
    gs_iec104_dissector.state_reset(fx.state, GS_DIR_TO_SERVER);
    parse_hex(GS_DIR_TO_SERVER, "05 68 04 01 00 00 00 77 68 04 07 00 00 00");
    ck_assert_uint_eq(fx.n_recs, 3);
    ck_assert_uint_eq(last()->apci.u_function, GS_IEC104_U_STARTDT_ACT);

    /* Data that resumes on a start octet is taken as it comes, malformed or not. */
    gs_iec104_dissector.state_reset(fx.state, GS_DIR_TO_SERVER);
    parse_hex(GS_DIR_TO_SERVER, "68 04 0F 00 00 00");
    ck_assert_uint_eq(fx.n_recs, 4);
    ck_assert_uint_eq(anomalies("iec104.bad_control"), 1);

    /* In step, a start octet is a start octet (as Wireshark frames): 68 81 waits for 131. */
    res = parse_hex(GS_DIR_TO_SERVER, "00 68 81 DC BB 79 88 5C 68 04 43 00 00 00");
    ck_assert_int_eq(res.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(res.consumed, 1);
    ck_assert_uint_eq(res.needed, 131 - 13);
    ck_assert_uint_eq(fx.n_recs, 4);
}
END_TEST

START_TEST(test_iec104_malformed_lengths)
{
    /* Length octet below 4: consumed as one bad APDU; the STARTDT after it is intact. */
    struct gs_parse_res res = parse_hex(GS_DIR_TO_SERVER, "68 01 00 68 04 07 00 00 00");
    ck_assert_uint_eq(res.consumed, 9);
    ck_assert_uint_eq(anomalies("iec104.apdu_too_short"), 1);
    ck_assert_uint_eq(fx.n_recs, 1);
    ck_assert_uint_eq(last()->apci.u_function, GS_IEC104_U_STARTDT_ACT);
    /* S and U with extra octets, a U naming two functions, an S with reserved bits. */
    parse_hex(GS_DIR_TO_SERVER, "68 05 01 00 00 00 00");
    ck_assert_int_eq(last()->apci.format, GS_IEC104_FORMAT_S);
    ck_assert_uint_eq(anomalies("iec104.bad_length"), 1);
    parse_hex(GS_DIR_TO_SERVER, "68 04 0F 00 00 00");
    ck_assert_uint_eq(anomalies("iec104.bad_control"), 1);
    ck_assert_ptr_null(gs_iec104_u_name(last()->apci.u_function));
    parse_hex(GS_DIR_TO_SERVER, "68 04 05 00 00 00");
    ck_assert_uint_eq(anomalies("iec104.bad_control"), 2);
    /* An I-frame without ASDU. */
    parse_hex(GS_DIR_TO_SERVER, "68 04 00 00 00 00");
    ck_assert(!last()->has_asdu);
    ck_assert_uint_eq(anomalies("iec104.no_asdu"), 1);
    /* An ASDU shorter than its header: what is there is reported. */
    parse_i(GS_DIR_TO_SERVER, 1, 0, "2D 01 06 00");
    const struct rec *r = last();
    ck_assert(r->asdu.truncated);
    ck_assert(r->asdu.has_vsq && r->asdu.has_cot && r->asdu.has_oa && !r->asdu.has_ca);
    ck_assert_uint_eq(r->asdu.num_objects, 1);
    ck_assert_uint_eq(r->asdu.n_objects, 0);
    ck_assert_uint_eq(anomalies("iec104.asdu_truncated"), 1);
    parse_i(GS_DIR_TO_SERVER, 2, 0, "18");
    ck_assert(last()->asdu.truncated && !last()->asdu.has_vsq);
    /* Three objects announced, one present; trailing octets; an unknown type. */
    parse_i(GS_DIR_TO_SERVER, 3, 0, "2D 03 06 00 01 00 88 13 00 81");
    ck_assert_int_eq(last()->asdu.objects_status, GS_IEC104_OBJ_SHORT);
    ck_assert_uint_eq(last()->asdu.n_objects, 0);
    ck_assert_uint_eq(anomalies("iec104.objects_short"), 1);
    parse_i(GS_DIR_TO_SERVER, 4, 0, "2E 01 06 00 01 00 88 13 00 02 EE");
    ck_assert_int_eq(last()->asdu.objects_status, GS_IEC104_OBJ_TRAILING);
    ck_assert_uint_eq(last()->asdu.n_objects, 1);
    parse_i(GS_DIR_TO_SERVER, 5, 0, "34 01 06 00 01 00 88 13 00 02");
    ck_assert_int_eq(last()->asdu.objects_status, GS_IEC104_OBJ_UNKNOWN);
    ck_assert_ptr_null(gs_iec104_type_name(52));
    ck_assert_uint_eq(anomalies("iec104.unknown_type"), 1);
    /* A file segment longer than the ASDU. */
    parse_i(GS_DIR_TO_SERVER, 6, 0, "7D 01 0D 00 01 00 28 23 00 01 00 02 09 AA BB CC");
    ck_assert_int_eq(last()->asdu.objects_status, GS_IEC104_OBJ_SHORT);
    ck_assert_uint_eq(anomalies("iec104.objects_short"), 2);
    /* Length octet 255 (above 253): flagged, still decoded (121 normalized values, SQ=1). */
    char big[1024] = "15 F9 03 00 01 00 D0 07 00";
    for (int i = 0; i < 121; i++)
        strcat(big, " 01 00");
    parse_i(GS_DIR_TO_SERVER, 7, 0, big);
    ck_assert_uint_eq(last()->apci.length, 255);
    ck_assert_uint_eq(anomalies("iec104.apdu_too_long"), 1);
    ck_assert_uint_eq(last()->asdu.n_objects, 121);
    ck_assert_int_eq(last()->asdu.objects_status, GS_IEC104_OBJ_OK);
}
END_TEST

static void three_objects(struct gs_config *cfg)
{
    cfg->iec104_max_objects = 3;
}

START_TEST(test_iec104_object_cap)
{
    teardown();
    setup_with(three_objects);
    parse_i(GS_DIR_TO_CLIENT, 0, 0, "01 85 14 00 01 00 64 00 00 01 00 01 00 01");
    const struct rec *r = last();
    ck_assert(r->asdu.objects_capped);
    ck_assert_int_eq(r->asdu.objects_status, GS_IEC104_OBJ_OK);
    ck_assert_uint_eq(r->asdu.n_objects, 3);
    ck_assert_uint_eq(r->asdu.num_objects, 5);
    ck_assert_uint_eq(r->obj[2].ioa, 102);
    ck_assert_uint_eq(anomalies("iec104.too_many_objects"), 1);
    /* The count is still checked against the length before the cap applies. */
    parse_i(GS_DIR_TO_CLIENT, 1, 0, "01 85 14 00 01 00 64 00 00 01 00 01");
    ck_assert_int_eq(last()->asdu.objects_status, GS_IEC104_OBJ_SHORT);
    ck_assert_uint_eq(anomalies("iec104.too_many_objects"), 1);
}
END_TEST

/* ---- probe ----------------------------------------------------------------------------------- */

static const struct {
    const char *hex;
    unsigned score;
} probe_cases[] = {
    {"68 04 07 00 00 00", GS_PROBE_SURE},
    {"68 0E 00 00 00 00 64 01 06 00 01 00 00 00 00 14", GS_PROBE_SURE},
    {"68 04 0B 00 00 00 68 04 01 00 02 00", GS_PROBE_SURE},
    {"68 0E 00 00 00 00 64 01", GS_PROBE_MATCH},
    {"68 04 07 00 00 00 68 0E 00 00 00 00 64", GS_PROBE_SURE},
    {"68 04 07 00 00 00 FF", GS_PROBE_NO},
    {"68 04 0F 00 00 00", GS_PROBE_NO},
    {"68 04 01 00 01 00", GS_PROBE_NO},
    {"68 02 00 00", GS_PROBE_NO},
    {"68 05 00 00 00 00 00", GS_PROBE_NO},
    {"47 45 54 20 2F 20 48 54 54 50", GS_PROBE_NO},
    {"68", GS_PROBE_NO},
};

START_TEST(test_iec104_probe)
{
    uint8_t buf[64];
    size_t n = gs_test_hex(buf, sizeof(buf), probe_cases[_i].hex);
    struct gs_guard_buf g;
    const uint8_t *data = gs_guard_alloc(&g, buf, n);
    struct gs_cursor cur = gs_cur_init(data, n);
    ck_assert_uint_eq(gs_iec104_dissector.probe(&cur, GS_DIR_TO_SERVER), probe_cases[_i].score);
    ck_assert_uint_eq(cur.pos, 0);
    gs_guard_free(&g);
}
END_TEST

START_TEST(test_iec104_contract)
{
    /* Every anomaly name carries the protocol prefix; the state grows with the caps. */
    for (const char *const *name = gs_iec104_dissector.event_names; *name != NULL; name++)
        ck_assert_int_eq(strncmp(*name, "iec104.", 7), 0);
    struct gs_config a, b;
    gs_config_defaults(&a);
    gs_config_defaults(&b);
    b.iec104_max_objects = 1;
    b.iec104_max_sa_bytes = 0;
    ck_assert_uint_gt(gs_iec104_dissector.state_size(&a), gs_iec104_dissector.state_size(&b));
    ck_assert_str_eq(gs_iec104_dissector.name, "iec104");
    ck_assert_uint_eq(gs_iec104_dissector.tcp_ports[0], 2404);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *suite_iec104(void)
{
    Suite *s = suite_create("iec104");
    TCase *tc = tcase_create("iec104");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_iec104_u_frames, 0, N(u_frames));
    tcase_add_test(tc, test_iec104_s_and_i_frames);
    tcase_add_test(tc, test_iec104_cot_flags);
    tcase_add_loop_test(tc, test_iec104_type_families, 0, N(type_cases));
    tcase_add_test(tc, test_iec104_element_details);
    tcase_add_test(tc, test_iec104_sq_addressing);
    tcase_add_test(tc, test_iec104_field_sizes);
    tcase_add_test(tc, test_iec104_sa_challenge_reply);
    tcase_add_test(tc, test_iec104_sa_aggressive);
    tcase_add_test(tc, test_iec104_sa_key_change);
    tcase_add_test(tc, test_iec104_sa_error_layouts);
    tcase_add_test(tc, test_iec104_sa_user_management);
    tcase_add_test(tc, test_iec104_sa_segments);
    tcase_add_test(tc, test_iec104_sa_limit_and_malformed);
    tcase_add_test(tc, test_iec104_sequence_tracking);
    tcase_add_test(tc, test_iec104_max_unacked);
    tcase_add_test(tc, test_iec104_several_apdus_per_call);
    tcase_add_test(tc, test_iec104_one_apdu_across_calls);
    tcase_add_test(tc, test_iec104_resync);
    tcase_add_test(tc, test_iec104_resync_out_of_step);
    tcase_add_test(tc, test_iec104_malformed_lengths);
    tcase_add_test(tc, test_iec104_object_cap);
    tcase_add_loop_test(tc, test_iec104_probe, 0, N(probe_cases));
    tcase_add_test(tc, test_iec104_contract);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_iec104)
