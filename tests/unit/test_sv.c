/*
 * test_sv.c - the Sampled Values dissector on byte vectors placed against a guard page: the
 * 9-2LE channels, every ASDU field, fixed-size integers read unsigned, noASDU against seqASDU
 * and the sv.max_asdus cap, missing/unknown/bad fields, Length against the frame, truncated
 * captures, the APPID range, a 62351-6 extension, and the JSON record.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard_buf.h"
#include "iec61850w.h"
#include "output_json.h"
#include "sv.h"
#include "test_support.h"

#define MAX_ASDUS 16

static struct {
    int n;
    struct gs_sv_event ev;
    struct gs_sv_asdu asdus[MAX_ASDUS];
    char sv_id[MAX_ASDUS][64], dat_set[MAX_ASDUS][64];
    enum gs_sec_format sec_format;
} rec;

static struct gs_test_events events;
static struct gs_output *json_out;

static void copy_str(char *dst, size_t cap, struct gs_span s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n > 0)
        memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

static void hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)arg;
    if (ev->type != GS_EVENT_SV)
        return;
    if (json_out != NULL)
        gs_output_event(json_out, ctx, "sv", ev);
    const struct gs_sv_event *e = ev->body;
    rec.n++;
    rec.ev = *e;
    rec.sec_format = e->security->format;
    for (size_t i = 0; i < e->n_asdus && i < MAX_ASDUS; i++) {
        rec.asdus[i] = e->asdus[i];
        copy_str(rec.sv_id[i], sizeof(rec.sv_id[i]), e->asdus[i].sv_id);
        copy_str(rec.dat_set[i], sizeof(rec.dat_set[i]), e->asdus[i].dat_set);
    }
}

static void run_with(const uint8_t *bytes, size_t len, size_t cap, const struct gs_config *cfg)
{
    memset(&rec, 0, sizeof(rec));
    memset(&events, 0, sizeof(events));
    events.hook = hook;
    struct gs_test_ctx t;
    gs_test_ctx_init(&t, &events, 0);
    t.ctx.flow = NULL;
    t.l2.has_mac = true;
    t.l2.ether_type = 0x88BA;
    if (cfg != NULL)
        t.cfg = *cfg;
    void *state = calloc(1, gs_sv_dissector.state_size(&t.cfg));
    ck_assert_ptr_nonnull(state);
    gs_sv_dissector.state_init(state, &t.cfg);
    struct gs_guard_buf g;
    const uint8_t *data = gs_guard_alloc(&g, bytes, cap);
    struct gs_cursor cur = gs_cur_init_wire(data, cap, len);
    struct gs_parse_res res = gs_sv_dissector.parse(state, &t.ctx, &cur, GS_DIR_TO_SERVER);
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, len);
    gs_guard_free(&g);
    free(state);
}

static void run(const uint8_t *bytes, size_t len)
{
    run_with(bytes, len, len, NULL);
}

/* A 9-2LE frame: one ASDU, svID "4001", smpCnt 280, confRev 1, smpSynch 2, channel values
 * as in SV_Normal_Traffic.cap frame 1 (In and Vn derived). */
static const char le_frame[] =
    "40 01 00 66 00 00 00 00"
    "60 5c 80 01 01 a2 57 30 55 80 04 34 30 30 31 82 02 01 18 83 04 00 00 00 01 85 01 02"
    "87 40 ff fe 59 82 00 00 00 00 00 04 3d dc 00 00 00 00 ff fd 6f 5c 00 00 00 00"
    "00 00 06 ba 00 00 20 00 ff 8d f4 00 00 00 00 00 01 1d fb c2 00 00 00 00"
    "ff 55 60 0c 00 00 00 00 00 01 4f ce 00 00 20 00";

START_TEST(test_sv_9_2le)
{
    uint8_t b[256];
    size_t n = gs_test_hex(b, sizeof(b), le_frame);
    run(b, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_uint_eq(rec.ev.appid, 0x4001);
    ck_assert_uint_eq(rec.ev.length, 0x66);
    ck_assert(rec.ev.has_no_asdu && rec.ev.no_asdu == 1);
    ck_assert_uint_eq(rec.ev.n_asdus, 1);
    const struct gs_sv_asdu *a = &rec.asdus[0];
    ck_assert_str_eq(rec.sv_id[0], "4001");
    ck_assert_uint_eq(a->smp_cnt, 280);
    ck_assert_uint_eq(a->conf_rev, 1);
    ck_assert_uint_eq(a->smp_synch, 2);
    ck_assert_uint_eq(a->present, GS_SV_F_MANDATORY | GS_SV_F_SMP_SYNCH);
    ck_assert(a->le_9_2);
    static const int32_t values[8] = {-108158,  277980,   -168100,   1722,
                                      -7474176, 18742210, -11182068, 85966};
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(a->value[i], values[i]);
        ck_assert_uint_eq(a->quality[i], (i == 3 || i == 7) ? GS_SV_Q_DERIVED : 0);
    }
    ck_assert_int_eq(rec.sec_format, GS_SEC_NONE);
}
END_TEST

/* Eight ASDUs with every optional field, built with the generators' encoder. */
static size_t eight_asdus(uint8_t *out, size_t cap, unsigned n_asdus, uint16_t no_asdu_delta)
{
    static const uint8_t gmid[8] = {0, 0x1b, 0x19, 0xff, 0xfe, 0, 0, 1};
    static uint8_t seq[64];
    struct gs_sv_asdu_spec a[8];
    memset(a, 0, sizeof(a));
    for (unsigned i = 0; i < n_asdus; i++) {
        a[i].sv_id = "MU02";
        a[i].dat_set = "MU02LD0/LLN0$PhsMeas1";
        a[i].smp_cnt = (uint16_t)(32767 + i);
        a[i].conf_rev = 0x80000001u;
        a[i].has_refr_tm = true;
        a[i].refr_secs = 0x6A000000;
        a[i].refr_frac = 0x400000;
        a[i].smp_synch = 2;
        a[i].has_smp_rate = true;
        a[i].smp_rate = 256;
        a[i].seq_data = seq;
        a[i].seq_len = i == 7 ? 48 : 64; /* the last one is not 9-2LE */
        a[i].has_smp_mod = true;
        a[i].smp_mod = 1;
        a[i].gmid = gmid;
    }
    uint8_t apdu[4096];
    size_t an = gs_sv_apdu(apdu, sizeof(apdu), a, n_asdus);
    /* noASDU is the octet after 60 LL 80 01 */
    size_t at = 2 + ((apdu[1] & 0x80u) ? (apdu[1] & 0x7Fu) : 0u) + 2;
    apdu[at] = (uint8_t)(apdu[at] + no_asdu_delta);
    return gs_l2pdu(out, cap, 0x4002, 0, 0, apdu, an);
}

START_TEST(test_sv_every_field)
{
    uint8_t b[4096];
    size_t n = eight_asdus(b, sizeof(b), 8, 0);
    run(b, n);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_uint_eq(rec.ev.no_asdu, 8);
    ck_assert_uint_eq(rec.ev.n_asdus, 8);
    ck_assert_uint_eq(rec.ev.asdus_seen, 8);
    for (unsigned i = 0; i < 8; i++) {
        const struct gs_sv_asdu *a = &rec.asdus[i];
        ck_assert_str_eq(rec.sv_id[i], "MU02");
        ck_assert_str_eq(rec.dat_set[i], "MU02LD0/LLN0$PhsMeas1");
        ck_assert_uint_eq(a->smp_cnt, 32767 + i); /* 82 02 80 00 is 32768, not negative */
        ck_assert_uint_eq(a->conf_rev, 0x80000001u);
        ck_assert_uint_eq(a->refr_tm.seconds, 0x6A000000);
        ck_assert_uint_eq(a->refr_tm.fraction, 0x400000);
        ck_assert_uint_eq(a->smp_rate, 256);
        ck_assert_uint_eq(a->smp_mod, 1);
        ck_assert_uint_eq(a->gmid.len, 8);
        ck_assert_uint_eq(a->present, 0x3FFu);
        ck_assert(a->le_9_2 == (i != 7));
    }
}
END_TEST

START_TEST(test_sv_asdu_counts)
{
    uint8_t b[4096];
    size_t n = eight_asdus(b, sizeof(b), 3, 1); /* noASDU 4, three ASDUs */
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.asdu_count_mismatch"), 1);
    n = eight_asdus(b, sizeof(b), 1, 200); /* noASDU 201 in ~100 octets */
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.bad_asdu_count"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.too_many_asdus"), 1);
}
END_TEST

START_TEST(test_sv_max_asdus_cap)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    ck_assert_int_eq(gs_config_set(&cfg, "sv.max_asdus=2", (char[GS_ERRBUF_SIZE]){0}), 0);
    uint8_t b[4096];
    size_t n = eight_asdus(b, sizeof(b), 5, 0);
    run_with(b, n, n, &cfg);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.too_many_asdus"), 1);
    ck_assert_uint_eq(rec.ev.n_asdus, 2);
    ck_assert_uint_eq(rec.ev.asdus_seen, 5);
    ck_assert(rec.ev.asdus_capped);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.asdu_count_mismatch"), 0);
}
END_TEST

START_TEST(test_sv_field_problems)
{
    /* confRev missing, smpCnt of 3 octets above 65535, an unknown [12] field */
    uint8_t b[256];
    size_t n = gs_test_hex(b, sizeof(b),
                           "40 01 00 23 00 00 00 00"
                           "60 19 80 01 01 a2 14 30 12 80 02 4d 55 82 03 01 00 00 85 01 02"
                           "8c 00 87 02 00 00");
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.bad_field"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.unknown_field"), 1);
    /* smpCnt is kept (as Wireshark shows it) though above its range; confRev is missing */
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.missing_field"), 1);
    ck_assert_str_eq(rec.sv_id[0], "MU");
    ck_assert(rec.asdus[0].present & GS_SV_F_SMP_CNT);
    ck_assert_uint_eq(rec.asdus[0].smp_cnt, 65536);
    ck_assert(!rec.asdus[0].le_9_2);
}
END_TEST

START_TEST(test_sv_framing_problems)
{
    uint8_t b[256];
    size_t n = gs_test_hex(b, sizeof(b), le_frame);
    run(b, n - 10); /* Length larger than the frame */
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.length_exceeds_frame"), 1);
    ck_assert_int_eq(rec.ev.status, GS_L2PDU_MALFORMED);
    ck_assert_str_eq(rec.sv_id[0], "4001"); /* what precedes the cut is still there */
    ck_assert_uint_eq(rec.asdus[0].smp_cnt, 280);
    ck_assert(!(rec.asdus[0].present & GS_SV_F_SEQ_DATA));

    b[3] = 40; /* Length stops inside the ASDU: Wireshark 4.0 and this read no further */
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.apdu_length_mismatch"), 1);
    ck_assert_str_eq(rec.sv_id[0], "4001");
    ck_assert_uint_eq(rec.asdus[0].smp_cnt, 280);
    ck_assert(!(rec.asdus[0].present & GS_SV_F_SEQ_DATA));
    b[3] = 0x66;

    run_with(b, n, 30, NULL); /* the capture stops inside the ASDU */
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.truncated"), 1);
    ck_assert_int_eq(rec.ev.status, GS_L2PDU_TRUNCATED);
    ck_assert_str_eq(rec.sv_id[0], "4001");

    b[8] = 0x61; /* a GOOSE PDU where the savPdu belongs */
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.bad_apdu_tag"), 1);
    ck_assert_int_eq(rec.n, 1);
    ck_assert(!rec.ev.has_pdu);

    b[8] = 0x60;
    b[0] = 0x00; /* APPID 0x0001: a GOOSE APPID */
    b[4] = 0x80; /* S bit */
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.appid_out_of_range"), 1);
    ck_assert(rec.ev.simulated);

    uint8_t s[4] = {0x40, 0x01, 0x00};
    run(s, 3);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.short_header"), 1);
    ck_assert_int_eq(rec.n, 1);
    ck_assert(!rec.ev.has_header && !rec.ev.has_pdu);
}
END_TEST

START_TEST(test_sv_with_extension)
{
    /* 9-2LE with a 2020 packed extension: 30 LL 85 LL ver TOCK TTNK KeyID MAC(16) */
    uint8_t b[256];
    size_t n = gs_test_hex(b, sizeof(b), le_frame);
    uint8_t ext[64];
    size_t e = gs_test_hex(ext, sizeof(ext),
                           "30 1d 85 1b 01 6a 00 00 00 00 3c 00 00 00 09"
                           "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
    memcpy(b + n, ext, e);
    b[4] = 0x00;
    b[5] = (uint8_t)e;
    run(b, n + e);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.sec_format, GS_SEC_L2_2020_PACKED);
    ck_assert_uint_eq(rec.asdus[0].smp_cnt, 280);
    /* the same with Length counting the extension (one 2020 model): still found */
    b[3] = (uint8_t)(b[3] + e);
    run(b, n + e);
    ck_assert_int_eq(rec.sec_format, GS_SEC_L2_2020_PACKED);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "sv.apdu_length_mismatch"), 1);
    ck_assert_uint_eq(rec.asdus[0].smp_cnt, 280);
}
END_TEST

START_TEST(test_sv_json_record)
{
    char path[] = "/tmp/gs-sv-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof(spec), "file:%s", path);
    const char *specs[] = {spec};
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    json_out = gs_output_create(specs, 1, true, &cfg, err);
    ck_assert_ptr_nonnull(json_out);
    uint8_t b[256];
    size_t n = gs_test_hex(b, sizeof(b), le_frame);
    run(b, n);
    gs_output_destroy(json_out);
    json_out = NULL;
    FILE *fp = fopen(path, "r");
    char line[8192];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
    fclose(fp);
    unlink(path);
    json_error_t jerr;
    json_t *r = json_loads(line, 0, &jerr);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(json_string_value(json_object_get(r, "event_type")), "sv");
    json_t *sv = json_object_get(r, "sv");
    ck_assert_int_eq(json_integer_value(json_object_get(sv, "appid")), 0x4001);
    json_t *a = json_array_get(json_object_get(sv, "asdus"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(a, "sv_id")), "4001");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "smp_cnt")), 280);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "conf_rev")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "smp_synch")), 2);
    json_t *values = json_object_get(a, "values");
    ck_assert_int_eq(json_array_size(values), 8);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(values, 0), "value")),
                     -108158);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(values, 3), "quality")),
                     0x2000);
    ck_assert(json_is_false(json_object_get(json_object_get(sv, "security"), "present")));
    json_decref(r);
}
END_TEST

static Suite *suite_sv(void)
{
    Suite *s = suite_create("sv");
    TCase *tc = tcase_create("pdu");
    tcase_add_test(tc, test_sv_9_2le);
    tcase_add_test(tc, test_sv_every_field);
    tcase_add_test(tc, test_sv_asdu_counts);
    tcase_add_test(tc, test_sv_max_asdus_cap);
    tcase_add_test(tc, test_sv_field_problems);
    tcase_add_test(tc, test_sv_framing_problems);
    tcase_add_test(tc, test_sv_with_extension);
    tcase_add_test(tc, test_sv_json_record);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_sv)
