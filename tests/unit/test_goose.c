/*
 * test_goose.c - the GOOSE and GSE-management dissectors on byte vectors placed against a
 * guard page: every allData type, the header checks (Length against the frame and the BER,
 * Reserved fields, APPID range, S bit), tolerant field decoding (missing, out of order,
 * unknown, bad), the goose.max_entries cap, truncated captures, GSE management, several PDUs
 * in one frame, the JSON record, and VLAN/PRP/HSR framing through the whole engine.
 */
#include <check.h>
#include <jansson.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "goose.h"
#include "guard_buf.h"
#include "iec61850w.h"
#include "output_json.h"
#include "pcapw.h"
#include "test_support.h"

#define MAX_SEEN  8
#define MAX_NODES 32

/* What a test keeps of each GOOSE event (bodies are valid only during the emit). */
struct seen {
    struct gs_goose_event ev; /* spans and pointers cleared */
    char gocb_ref[160], dat_set[160], go_id[160], mngt_ident[64];
    struct gs_data_node nodes[MAX_NODES];
    uint8_t raw[MAX_NODES][16];
    enum gs_sec_format sec_format;
    bool sec_present;
};

static struct {
    struct seen g[MAX_SEEN];
    int n;
} rec;

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
    (void)ctx;
    if (ev->type != GS_EVENT_GOOSE || rec.n >= MAX_SEEN)
        return;
    const struct gs_goose_event *g = ev->body;
    struct seen *s = &rec.g[rec.n++];
    memset(s, 0, sizeof(*s));
    s->ev = *g;
    copy_str(s->gocb_ref, sizeof(s->gocb_ref), g->gocb_ref);
    copy_str(s->dat_set, sizeof(s->dat_set), g->dat_set);
    copy_str(s->go_id, sizeof(s->go_id), g->go_id);
    copy_str(s->mngt_ident, sizeof(s->mngt_ident), g->mngt.ident);
    for (size_t i = 0; i < g->n_data && i < MAX_NODES; i++) {
        s->nodes[i] = g->data[i];
        size_t n = g->data[i].raw.len < 16 ? g->data[i].raw.len : 16;
        if (n > 0)
            memcpy(s->raw[i], g->data[i].raw.ptr, n);
    }
    s->sec_format = g->security->format;
    s->sec_present = g->security->present;
    s->ev.data = NULL;
    s->ev.security = NULL;
    s->ev.session = NULL;
}

static struct gs_test_events events;

/* Runs `d` over len bytes of which cap were captured; cfg may be NULL for the defaults. */
static void run_with(const struct gs_dissector *d, const uint8_t *bytes, size_t len, size_t cap,
                     const struct gs_config *cfg)
{
    memset(&rec, 0, sizeof(rec));
    memset(&events, 0, sizeof(events));
    events.hook = hook;
    struct gs_test_ctx t;
    gs_test_ctx_init(&t, &events, 0);
    t.ctx.flow = NULL;
    t.l2.has_mac = true;
    t.l2.ether_type = d->ether_type;
    if (cfg != NULL)
        t.cfg = *cfg;
    void *state = calloc(1, d->state_size(&t.cfg));
    ck_assert_ptr_nonnull(state);
    d->state_init(state, &t.cfg);
    struct gs_guard_buf g;
    const uint8_t *data = gs_guard_alloc(&g, bytes, cap);
    struct gs_cursor cur = gs_cur_init_wire(data, cap, len);
    struct gs_parse_res res = d->parse(state, &t.ctx, &cur, GS_DIR_TO_SERVER);
    ck_assert_int_eq(res.status, GS_PARSE_OK);
    ck_assert_uint_eq(res.consumed, len);
    gs_guard_free(&g);
    free(state);
}

static void run(const uint8_t *bytes, size_t len)
{
    run_with(&gs_goose_dissector, bytes, len, len, NULL);
}

static size_t hex(uint8_t *out, size_t cap, const char *h)
{
    return gs_test_hex(out, cap, h);
}

/* A layer-2 GOOSE payload (APPID 1) around the given allData contents. */
static size_t frame_with_data(uint8_t *out, size_t cap, const uint8_t *data, size_t len,
                              uint32_t entries)
{
    struct gs_goose_spec s = {.gocb_ref = "IED1LD0/LLN0$GO$gcb01",
                              .ttl_ms = 2000,
                              .dat_set = "IED1LD0/LLN0$DS1",
                              .go_id = "gcb01",
                              .t_secs = 0x65A1B2C3,
                              .t_frac = 0x800000,
                              .t_quality = 0x0A,
                              .st_num = 5,
                              .sq_num = 0,
                              .conf_rev = 1,
                              .entries = entries,
                              .all_data = data,
                              .all_data_len = len};
    uint8_t apdu[2048];
    size_t n = gs_goose_apdu(apdu, sizeof(apdu), &s);
    return gs_l2pdu(out, cap, 0x0001, 0, 0, apdu, n);
}

/* The worked example of specs/iec61850.md §2.5, after the EtherType. */
static const char worked[] = "00 01 00 63 00 00 00 00 61 59"
                             "80 15 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 47 4F 24 67 63 62 30 31"
                             "81 02 07 D0"
                             "82 10 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 44 53 31"
                             "83 05 67 63 62 30 31"
                             "84 08 65 A1 B2 C3 80 00 00 0A"
                             "85 01 05 86 01 00 87 01 00 88 01 01 89 01 00 8A 01 02"
                             "AB 07 83 01 01 84 02 06 40";

START_TEST(test_goose_worked_example)
{
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    run(b, n);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_uint_eq(events.n_anomalies, 0);
    const struct seen *s = &rec.g[0];
    ck_assert_int_eq(s->ev.pdu, GS_GOOSE_PDU_GOOSE);
    ck_assert_int_eq(s->ev.status, GS_L2PDU_COMPLETE);
    ck_assert_uint_eq(s->ev.appid, 1);
    ck_assert_uint_eq(s->ev.length, 0x63);
    ck_assert_str_eq(s->gocb_ref, "IED1LD0/LLN0$GO$gcb01");
    ck_assert_str_eq(s->dat_set, "IED1LD0/LLN0$DS1");
    ck_assert_str_eq(s->go_id, "gcb01");
    ck_assert_uint_eq(s->ev.ttl_ms, 2000);
    ck_assert_uint_eq(s->ev.t.seconds, 0x65A1B2C3);
    ck_assert_uint_eq(s->ev.t.fraction, 0x800000);
    ck_assert_uint_eq(s->ev.t.quality, 0x0A);
    ck_assert_uint_eq(s->ev.st_num, 5);
    ck_assert_uint_eq(s->ev.sq_num, 0);
    ck_assert(!s->ev.simulation && !s->ev.nds_com);
    ck_assert_uint_eq(s->ev.conf_rev, 1);
    ck_assert_uint_eq(s->ev.num_dat_set_entries, 2);
    ck_assert_uint_eq(s->ev.present, GS_GOOSE_F_MANDATORY | GS_GOOSE_F_GO_ID |
                                         GS_GOOSE_F_SIMULATION | GS_GOOSE_F_NDS_COM);
    ck_assert_uint_eq(s->ev.n_entries, 2);
    ck_assert_uint_eq(s->ev.n_data, 2);
    ck_assert_int_eq(s->nodes[0].type, GS_DATA_BOOLEAN);
    ck_assert(s->nodes[0].v.boolean);
    ck_assert_int_eq(s->nodes[1].type, GS_DATA_BIT_STRING);
    ck_assert_uint_eq(s->nodes[1].v.unused_bits, 6);
    ck_assert_uint_eq(s->raw[1][0], 0x40); /* Dbpos 01: off */
    ck_assert(!s->sec_present);
    ck_assert_int_eq(s->sec_format, GS_SEC_NONE);
}
END_TEST

/* ---- every Data type, one allData value each ------------------------------------------------ */

enum check { CK_BOOL, CK_BITS, CK_INT, CK_UINT, CK_FLOAT, CK_RAW, CK_UTC, CK_CHILDREN, CK_INVALID };

static const struct {
    const char *name;
    const char *data;
    enum gs_data_type type;
    enum check check;
    int64_t value;   /* bool, int, uint, unused bits, children, utc seconds */
    double floating; /* float */
    const char *raw; /* expected contents (hex) for strings and bit strings */
} data_cases[] = {
    {"boolean true", "83 01 01", GS_DATA_BOOLEAN, CK_BOOL, 1, 0, NULL},
    {"boolean false", "83 01 00", GS_DATA_BOOLEAN, CK_BOOL, 0, 0, NULL},
    {"boolean 0xff", "83 01 ff", GS_DATA_BOOLEAN, CK_BOOL, 1, 0, NULL},
    {"dbpos on", "84 02 06 80", GS_DATA_BIT_STRING, CK_BITS, 6, 0, "80"},
    {"dbpos bad state", "84 02 06 c0", GS_DATA_BIT_STRING, CK_BITS, 6, 0, "c0"},
    {"quality 13 bits", "84 03 03 00 08", GS_DATA_BIT_STRING, CK_BITS, 3, 0, "0008"},
    {"integer -1", "85 01 ff", GS_DATA_INTEGER, CK_INT, -1, 0, NULL},
    {"integer 300", "85 02 01 2c", GS_DATA_INTEGER, CK_INT, 300, 0, NULL},
    {"integer int32 min", "85 04 80 00 00 00", GS_DATA_INTEGER, CK_INT, INT32_MIN, 0, NULL},
    {"unsigned 500", "86 02 01 f4", GS_DATA_UNSIGNED, CK_UINT, 500, 0, NULL},
    {"unsigned with sign octet", "86 05 00 ff ff ff ff", GS_DATA_UNSIGNED, CK_UINT, 4294967295, 0,
     NULL},
    {"float32 1.5", "87 05 08 3f c0 00 00", GS_DATA_FLOAT, CK_FLOAT, 0, 1.5, NULL},
    {"float64 -2.25", "87 09 0b c0 02 00 00 00 00 00 00", GS_DATA_FLOAT, CK_FLOAT, 0, -2.25, NULL},
    {"visible string", "8a 02 4f 4b", GS_DATA_VISIBLE_STRING, CK_RAW, 0, 0, "4f4b"},
    {"octet string", "89 03 de ad be", GS_DATA_OCTET_STRING, CK_RAW, 0, 0, "deadbe"},
    {"mms string", "90 01 4d", GS_DATA_MMS_STRING, CK_RAW, 0, 0, "4d"},
    {"utc time", "91 08 65 a1 b2 c3 80 00 00 0a", GS_DATA_UTC_TIME, CK_UTC, 0x65A1B2C3, 0, NULL},
    {"binary time", "8c 06 01 02 03 04 05 06", GS_DATA_BINARY_TIME, CK_RAW, 0, 0, "010203040506"},
    {"bcd", "8d 01 12", GS_DATA_BCD, CK_INT, 0x12, 0, NULL},
    {"structure", "a2 06 83 01 01 85 01 02", GS_DATA_STRUCTURE, CK_CHILDREN, 2, 0, NULL},
    {"array", "a1 09 85 01 01 85 01 02 85 01 03", GS_DATA_ARRAY, CK_CHILDREN, 3, 0, NULL},
    {"integer without octets", "85 00", GS_DATA_INTEGER, CK_INVALID, 0, 0, NULL},
    {"boolean of two octets", "83 02 00 01", GS_DATA_BOOLEAN, CK_INVALID, 0, 0, NULL},
    {"float of bad width", "87 04 08 3f c0 00", GS_DATA_FLOAT, CK_INVALID, 0, 0, NULL},
    {"utc time of 7 octets", "91 07 65 a1 b2 c3 80 00 00", GS_DATA_UTC_TIME, CK_INVALID, 0, 0,
     NULL},
};

START_TEST(test_goose_data_type)
{
    uint8_t data[64], raw[32], b[512];
    size_t dn = hex(data, sizeof(data), data_cases[_i].data);
    size_t n = frame_with_data(b, sizeof(b), data, dn, 1);
    run(b, n);
    const char *name = data_cases[_i].name;
    ck_assert_msg(rec.n == 1, "%s: %d events", name, rec.n);
    const struct seen *s = &rec.g[0];
    const struct gs_data_node *node = &s->nodes[0];
    ck_assert_msg(node->type == data_cases[_i].type, "%s: type %d", name, node->type);
    ck_assert_uint_eq(s->ev.n_entries, 1);
    bool bad = gs_test_anomaly_count(&events, "goose.bad_data") == 1;
    switch (data_cases[_i].check) {
    case CK_BOOL:
        ck_assert_msg(node->valid && node->v.boolean == (data_cases[_i].value != 0), "%s", name);
        break;
    case CK_BITS:
        ck_assert_msg(node->valid && node->v.unused_bits == data_cases[_i].value, "%s", name);
        /* fall through: the bits themselves */
    case CK_RAW: {
        size_t rn = hex(raw, sizeof(raw), data_cases[_i].raw);
        ck_assert_msg(node->valid && node->raw.len == rn && memcmp(s->raw[0], raw, rn) == 0,
                      "%s: contents", name);
        break;
    }
    case CK_INT:
        ck_assert_msg(node->valid && node->v.integer == data_cases[_i].value, "%s: %lld", name,
                      (long long)node->v.integer);
        break;
    case CK_UINT:
        ck_assert_msg(node->valid && node->v.unsigned_ == (uint64_t)data_cases[_i].value, "%s",
                      name);
        break;
    case CK_FLOAT:
        ck_assert_msg(node->valid && node->v.floating == data_cases[_i].floating, "%s", name);
        break;
    case CK_UTC:
        ck_assert_msg(node->valid && node->v.utc.seconds == (uint32_t)data_cases[_i].value &&
                          node->v.utc.fraction == 0x800000 && node->v.utc.quality == 0x0A,
                      "%s", name);
        break;
    case CK_CHILDREN:
        ck_assert_msg(node->valid && node->n_children == data_cases[_i].value &&
                          s->ev.n_data == (size_t)data_cases[_i].value + 1,
                      "%s", name);
        ck_assert_uint_eq(s->nodes[1].depth, 1);
        break;
    case CK_INVALID:
        ck_assert_msg(!node->valid && bad, "%s: accepted", name);
        ck_assert_int_eq(s->ev.status, GS_L2PDU_MALFORMED);
        return;
    }
    ck_assert_msg(!bad && events.n_anomalies == 0, "%s: anomaly %s", name,
                  events.n_anomalies ? events.anomalies[0] : "");
}
END_TEST

/* ---- header and structure checks ------------------------------------------------------------ */

START_TEST(test_goose_length_below_header)
{
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    b[2] = 0x00;
    b[3] = 0x04;
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.bad_length"), 1);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(rec.g[0].ev.pdu, GS_GOOSE_PDU_NONE);
    ck_assert_int_eq(rec.g[0].ev.status, GS_L2PDU_MALFORMED);
}
END_TEST

START_TEST(test_goose_length_exceeds_frame)
{
    /* The frame stops inside allData (as GOOSE_truncated.pcap does): the fields before the
     * cut are still reported. */
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    run(b, n - 3);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.length_exceeds_frame"), 1);
    ck_assert_int_eq(rec.n, 1);
    const struct seen *s = &rec.g[0];
    ck_assert_int_eq(s->ev.status, GS_L2PDU_MALFORMED);
    ck_assert_str_eq(s->gocb_ref, "IED1LD0/LLN0$GO$gcb01");
    ck_assert_uint_eq(s->ev.st_num, 5);
    ck_assert_uint_eq(s->ev.n_entries, 1); /* the boolean; the bit string was cut */
    ck_assert(s->ev.data_malformed);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.missing_field"), 0);
}
END_TEST

START_TEST(test_goose_length_longer_than_pdu)
{
    /* Length counts 2 octets more than the PDU's BER: they are not a second PDU. The PDU
     * itself decodes completely; the frame's problem is the anomaly. */
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    b[3] = 0x65;
    b[n++] = 0x01;
    b[n++] = 0x02;
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.apdu_length_mismatch"), 1);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(rec.g[0].ev.status, GS_L2PDU_COMPLETE);
    ck_assert_uint_eq(rec.g[0].ev.st_num, 5);
}
END_TEST

START_TEST(test_goose_pdu_longer_than_length)
{
    /* The goosePdu claims 2 octets more than Length leaves: like Wireshark 4.0, the PDU is
     * read to its BER end (here two zero octets, an unknown field) and the disagreement is an
     * anomaly. With Length far too small, the fields past it are still there. */
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    b[9] = 0x5B;
    b[n++] = 0;
    b[n++] = 0;
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.apdu_length_mismatch"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.unknown_field"), 1);
    ck_assert_int_eq(rec.g[0].ev.status, GS_L2PDU_COMPLETE);
    ck_assert_str_eq(rec.g[0].gocb_ref, "IED1LD0/LLN0$GO$gcb01");
    ck_assert_uint_eq(rec.g[0].ev.n_entries, 2);

    n = hex(b, sizeof(b), worked);
    b[3] = 40;
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.apdu_length_mismatch"), 1);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_uint_eq(rec.g[0].ev.st_num, 5);
    ck_assert_uint_eq(rec.g[0].ev.n_entries, 2);
}
END_TEST

START_TEST(test_goose_bad_apdu_tag)
{
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    b[8] = 0x62;
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.bad_apdu_tag"), 1);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(rec.g[0].ev.pdu, GS_GOOSE_PDU_NONE);
}
END_TEST

START_TEST(test_goose_primitive_forms)
{
    /* 41 for the goosePdu and A5 for stNum: the wrong forms are flagged, the contents still
     * decoded, as Wireshark's BER reader decodes them */
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    b[8] = 0x41;
    b[72] = 0xA5;
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.bad_apdu_tag"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.bad_field"), 1);
    ck_assert_int_eq(rec.g[0].ev.pdu, GS_GOOSE_PDU_GOOSE);
    ck_assert_uint_eq(rec.g[0].ev.st_num, 5);
    ck_assert_uint_eq(rec.g[0].ev.n_entries, 2);
}
END_TEST

START_TEST(test_goose_short_header)
{
    uint8_t b[8] = {0x00, 0x01, 0x00, 0x63, 0x00};
    run(b, 5);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.short_header"), 1);
    ck_assert_int_eq(rec.n, 1); /* still an event for the frame, header-less */
    ck_assert(!rec.g[0].ev.has_header);
    ck_assert_int_eq(rec.g[0].ev.pdu, GS_GOOSE_PDU_NONE);
    ck_assert_int_eq(rec.g[0].ev.status, GS_L2PDU_MALFORMED);
}
END_TEST

START_TEST(test_goose_missing_and_out_of_order)
{
    /* t removed (so the PDU is 10 octets shorter), stNum and sqNum swapped */
    uint8_t b[256];
    size_t n = hex(b, sizeof(b),
                   "00 01 00 59 00 00 00 00 61 4F"
                   "80 15 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 47 4F 24 67 63 62 30 31"
                   "81 02 07 D0"
                   "82 10 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 44 53 31"
                   "83 05 67 63 62 30 31"
                   "86 01 07 85 01 05 87 01 00 88 01 01 89 01 00 8A 01 02"
                   "AB 07 83 01 01 84 02 06 40");
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.missing_field"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.field_order"), 1);
    ck_assert_int_eq(rec.n, 1);
    const struct seen *s = &rec.g[0];
    ck_assert_uint_eq(s->ev.st_num, 5);
    ck_assert_uint_eq(s->ev.sq_num, 7);
    ck_assert(!(s->ev.present & GS_GOOSE_F_T));
    ck_assert_int_eq(s->ev.status, GS_L2PDU_COMPLETE);
}
END_TEST

START_TEST(test_goose_unknown_and_bad_fields)
{
    /* the reserved security [12] before allData, and a stNum of 9 octets */
    uint8_t b[256];
    size_t n = hex(b, sizeof(b),
                   "00 01 00 6E 00 00 00 00 61 64"
                   "80 15 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 47 4F 24 67 63 62 30 31"
                   "81 02 07 D0"
                   "82 10 49 45 44 31 4C 44 30 2F 4C 4C 4E 30 24 44 53 31"
                   "83 05 67 63 62 30 31"
                   "84 08 65 A1 B2 C3 80 00 00 0A"
                   "85 09 01 00 00 00 00 00 00 00 05 86 01 00 87 01 00 88 01 01 89 01 00 8A 01 02"
                   "8C 01 00"
                   "AB 07 83 01 01 84 02 06 40");
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.unknown_field"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.bad_field"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.missing_field"), 1); /* stNum */
    ck_assert(!(rec.g[0].ev.present & GS_GOOSE_F_ST_NUM));
    /* 5 octets, 2^32 + 7: kept as its low 32 bits (as Wireshark shows it), flagged */
    n = hex(b, sizeof(b), worked);
    uint8_t wide[256];
    memcpy(wide, b, 72);
    memcpy(wide + 72, "\x85\x05\x01\x00\x00\x00\x07", 7);
    memcpy(wide + 79, b + 75, n - 75);
    n += 4;
    wide[3] = (uint8_t)(wide[3] + 4);
    wide[9] = (uint8_t)(wide[9] + 4);
    run(wide, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.bad_field"), 1);
    ck_assert(rec.g[0].ev.present & GS_GOOSE_F_ST_NUM);
    ck_assert_uint_eq(rec.g[0].ev.st_num, 7);
    ck_assert_uint_eq(rec.g[0].ev.n_entries, 2);
}
END_TEST

START_TEST(test_goose_entry_counts)
{
    uint8_t data[16], b[512];
    size_t dn = hex(data, sizeof(data), "83 01 01 83 01 00");
    size_t n = frame_with_data(b, sizeof(b), data, dn, 3);
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.entry_count_mismatch"), 1);
    ck_assert_uint_eq(rec.g[0].ev.n_entries, 2);
    /* a count the octets cannot hold, also above the cap */
    n = frame_with_data(b, sizeof(b), data, dn, 5000);
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.bad_entry_count"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.too_many_entries"), 1);
}
END_TEST

START_TEST(test_goose_max_entries_cap)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    ck_assert_int_eq(gs_config_set(&cfg, "goose.max_entries=3", (char[GS_ERRBUF_SIZE]){0}), 0);
    uint8_t data[64], b[512];
    /* 2 top-level values, 5 nodes: a structure of three and a boolean */
    size_t dn = hex(data, sizeof(data), "a2 09 83 01 01 85 01 02 86 01 03 83 01 00");
    size_t n = frame_with_data(b, sizeof(b), data, dn, 2);
    run_with(&gs_goose_dissector, b, n, n, &cfg);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.too_many_entries"), 1);
    const struct seen *s = &rec.g[0];
    ck_assert(s->ev.data_capped);
    ck_assert_uint_eq(s->ev.n_data, 3);
    ck_assert_uint_eq(s->ev.n_entries, 2); /* still counted */
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.entry_count_mismatch"), 0);
}
END_TEST

START_TEST(test_goose_simulation_and_reserved)
{
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    b[4] = 0x80; /* S bit, simulation attribute FALSE */
    b[6] = 0x12; /* Reserved2 without an extension */
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.simulation_mismatch"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.reserved_nonzero"), 1);
    ck_assert(rec.g[0].ev.simulated);
    ck_assert_uint_eq(rec.g[0].ev.reserved2, 0x1200);
}
END_TEST

START_TEST(test_goose_tail)
{
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    memset(b + n, 0, 6); /* Ethernet padding */
    run(b, n + 6);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert(!rec.g[0].sec_present);
    b[n] = 0xde; /* a captured FCS, say */
    b[n + 1] = 0xad;
    run(b, n + 4);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.trailing_bytes"), 1);
    ck_assert(!rec.g[0].sec_present);
}
END_TEST

START_TEST(test_goose_appid_range)
{
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    b[0] = 0x40; /* 0x4001: an SV APPID */
    run(b, n);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.appid_out_of_range"), 1);
    ck_assert_uint_eq(rec.g[0].ev.appid, 0x4001);
}
END_TEST

START_TEST(test_goose_truncated_capture)
{
    uint8_t b[256];
    size_t n = hex(b, sizeof(b), worked);
    run_with(&gs_goose_dissector, b, n, 45, NULL); /* the capture ends inside datSet */
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.truncated"), 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&events, "goose.missing_field"), 0);
    const struct seen *s = &rec.g[0];
    ck_assert_int_eq(s->ev.status, GS_L2PDU_TRUNCATED);
    ck_assert_str_eq(s->gocb_ref, "IED1LD0/LLN0$GO$gcb01");
    ck_assert_uint_eq(s->ev.ttl_ms, 2000);
    ck_assert(!(s->ev.present & GS_GOOSE_F_DAT_SET));
}
END_TEST

START_TEST(test_goose_two_pdus)
{
    uint8_t b[512];
    size_t n = hex(b, sizeof(b), worked);
    size_t pdu = n - 8;
    memcpy(b + n, b + 8, pdu);
    b[n + 66] = 0x06; /* the second one's stNum (85 01 05 at offset 72 of the first) */
    n += pdu;
    b[2] = (uint8_t)(n >> 8);
    b[3] = (uint8_t)n;
    run(b, n);
    ck_assert_int_eq(rec.n, 2);
    ck_assert_uint_eq(rec.g[0].ev.pdu_index, 0);
    ck_assert_uint_eq(rec.g[1].ev.pdu_index, 1);
    ck_assert_uint_eq(rec.g[0].ev.st_num, 5);
    ck_assert_uint_eq(rec.g[1].ev.st_num, 6);
    ck_assert_uint_eq(events.n_anomalies, 0);
}
END_TEST

START_TEST(test_goose_gse_management)
{
    /* 0x88B9: a GetGoReference response: stateID 7, ident "gcb1", confRev 3, positive with a
     * datSet */
    uint8_t b[128];
    size_t n =
        hex(b, sizeof(b),
            "00 02 00 23 00 00 00 00"
            "60 19 80 01 07 A2 14 A1 12 80 04 67 63 62 31 81 01 03 A2 07 80 05 44 53 65 74 31");
    run_with(&gs_gse_dissector, b, n, n, NULL);
    ck_assert_uint_eq(events.n_anomalies, 0);
    ck_assert_int_eq(rec.n, 1);
    const struct seen *s = &rec.g[0];
    ck_assert_int_eq(s->ev.pdu, GS_GOOSE_PDU_GSE_MNGT);
    ck_assert_uint_eq(s->ev.ether_type, 0x88B9);
    ck_assert(s->ev.mngt.has_state_id && s->ev.mngt.state_id == 7);
    ck_assert(s->ev.mngt.response);
    ck_assert_uint_eq(s->ev.mngt.service, 1);
    ck_assert_str_eq(gs_goose_mngt_service_name(s->ev.mngt.service), "getGoReference");
    ck_assert_str_eq(s->mngt_ident, "gcb1");
    ck_assert(s->ev.mngt.has_conf_rev && s->ev.mngt.conf_rev == 3);
    ck_assert(s->ev.mngt.has_result && s->ev.mngt.positive);
}
END_TEST

/* ---- the JSON record ------------------------------------------------------------------------ */

static struct gs_output *json_out;

static void json_hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)arg;
    gs_output_event(json_out, ctx, "goose", ev);
}

START_TEST(test_goose_json_record)
{
    char path[] = "/tmp/gs-goose-XXXXXX";
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

    uint8_t data[64], b[512];
    size_t dn = hex(data, sizeof(data), "84 02 06 80 a2 0a 87 05 08 3f c0 00 00 83 01 01");
    size_t n = frame_with_data(b, sizeof(b), data, dn, 2);
    struct gs_test_events ev = {.hook = json_hook};
    struct gs_test_ctx t;
    gs_test_ctx_init(&t, &ev, 0);
    t.ctx.flow = NULL;
    t.l2.has_mac = true;
    t.l2.ether_type = 0x88B8;
    t.l2.vlan_count = 1;
    t.l2.vlan_id[0] = 10;
    void *state = calloc(1, gs_goose_dissector.state_size(&t.cfg));
    gs_goose_dissector.state_init(state, &t.cfg);
    struct gs_cursor cur = gs_cur_init(b, n);
    gs_goose_dissector.parse(state, &t.ctx, &cur, GS_DIR_TO_SERVER);
    free(state);
    gs_output_destroy(json_out);

    FILE *fp = fopen(path, "r");
    char line[8192];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
    fclose(fp);
    unlink(path);
    json_error_t jerr;
    json_t *rec_json = json_loads(line, 0, &jerr);
    ck_assert_ptr_nonnull(rec_json);
    ck_assert_str_eq(json_string_value(json_object_get(rec_json, "event_type")), "goose");
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(rec_json, "vlan"), 0)), 10);
    json_t *g = json_object_get(rec_json, "goose");
    ck_assert_int_eq(json_integer_value(json_object_get(g, "appid")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(g, "gocb_ref")), "IED1LD0/LLN0$GO$gcb01");
    ck_assert_str_eq(json_string_value(json_object_get(g, "go_id")), "gcb01");
    ck_assert_str_eq(json_string_value(json_object_get(g, "dat_set")), "IED1LD0/LLN0$DS1");
    ck_assert_int_eq(json_integer_value(json_object_get(g, "st_num")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "sq_num")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "ttl_ms")), 2000);
    ck_assert(json_is_false(json_object_get(g, "simulation")));
    ck_assert_int_eq(json_integer_value(json_object_get(g, "conf_rev")), 1);
    ck_assert(json_is_false(json_object_get(g, "nds_com")));
    ck_assert_int_eq(json_integer_value(json_object_get(g, "entries")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(g, "t")), "2024-01-12T21:44:35.500000000Z");
    json_t *data_json = json_object_get(g, "data");
    ck_assert_int_eq(json_array_size(data_json), 2);
    json_t *d0 = json_array_get(data_json, 0);
    ck_assert_str_eq(json_string_value(json_object_get(d0, "type")), "bit-string");
    ck_assert_str_eq(json_string_value(json_object_get(d0, "value")), "10");
    json_t *d1 = json_array_get(data_json, 1);
    ck_assert_str_eq(json_string_value(json_object_get(d1, "type")), "structure");
    json_t *members = json_object_get(d1, "value");
    ck_assert_int_eq(json_array_size(members), 2);
    ck_assert(json_real_value(json_object_get(json_array_get(members, 0), "value")) == 1.5);
    ck_assert(json_is_true(json_object_get(json_array_get(members, 1), "value")));
    json_t *sec = json_object_get(g, "security");
    ck_assert(json_is_false(json_object_get(sec, "present")));
    ck_assert_ptr_null(json_object_get(g, "session"));
    json_decref(rec_json);
}
END_TEST

/* ---- VLAN, PRP and HSR framing through the engine ------------------------------------------- */

#define MAX_L2 32
static struct {
    int n;
    uint16_t appid[MAX_L2];
    uint32_t sq[MAX_L2];
    uint8_t prp_lan[MAX_L2];
    bool hsr[MAX_L2];
    uint16_t vlan[MAX_L2];
    uint64_t pcap_cnt[MAX_L2];
} l2seen;

static int l2_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    (void)env;
    (void)errbuf;
    *state = NULL;
    return 0;
}

static void l2_destroy(void *state)
{
    (void)state;
}

static void l2_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)state;
    if (l2seen.n >= MAX_L2)
        return;
    const struct gs_goose_event *g = ev->body;
    int i = l2seen.n++;
    l2seen.appid[i] = g->appid;
    l2seen.sq[i] = g->sq_num;
    l2seen.prp_lan[i] = ctx->l2->prp ? ctx->l2->prp_lan : 0;
    l2seen.hsr[i] = ctx->l2->hsr;
    l2seen.vlan[i] = ctx->l2->vlan_count ? ctx->l2->vlan_id[0] : 0xFFFF;
    l2seen.pcap_cnt[i] = ctx->pcap_cnt;
}

static const struct gs_detector l2_recorder = {
    .name = "l2_recorder",
    .event_mask = GS_EVENT_BIT(GS_EVENT_GOOSE),
    .create = l2_create,
    .destroy = l2_destroy,
    .on_event = l2_event,
};

static const struct gs_detector *const l2_detectors[] = {&l2_recorder, NULL};

static void feed(struct gs_engine *eng, uint64_t cnt, const uint8_t *frame, size_t n)
{
    struct gs_packet pkt = {.ts_us = 1795000000000000ull + cnt * 1000,
                            .pcap_cnt = cnt,
                            .data = frame,
                            .cap_len = (uint32_t)n,
                            .wire_len = (uint32_t)n,
                            .dlt = DLT_EN10MB};
    gs_engine_packet(eng, &pkt);
}

START_TEST(test_goose_engine_framing)
{
    memset(&l2seen, 0, sizeof(l2seen));
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_engine_options opts = {.cfg = &cfg, .detectors = l2_detectors};
    struct gs_engine *eng = gs_engine_create(&opts, err);
    ck_assert_ptr_nonnull(eng);

    uint8_t data[8], pdu[512], frame[600], twin[600];
    size_t dn = hex(data, sizeof(data), "83 01 01");
    size_t pn = frame_with_data(pdu, sizeof(pdu), data, dn, 1);
    uint64_t cnt = 0;
    /* VLAN 10 and a QinQ 100/10 frame */
    struct gs_l2_addr vlan = {.src = {0, 0x30, 0xa7, 0, 0, 1},
                              .dst = {1, 0x0c, 0xcd, 1, 0, 1},
                              .vlan_count = 1,
                              .vlan_id = {10},
                              .vlan_pcp = {4}};
    size_t n = gs_build_ether(frame, &vlan, 0x88B8, pdu, pn);
    feed(eng, ++cnt, frame, n);
    struct gs_l2_addr qinq = vlan;
    qinq.vlan_count = 2;
    qinq.vlan_id[0] = 100;
    qinq.vlan_id[1] = 10;
    n = gs_build_ether(frame, &qinq, 0x88B8, pdu, pn);
    feed(eng, ++cnt, frame, n);
    /* PRP: LAN A then its LAN B twin, then a B copy first */
    struct gs_l2_addr plain = vlan;
    plain.vlan_count = 0;
    plain.src[5] = 2;
    for (uint16_t seq = 7; seq <= 8; seq++) {
        n = gs_build_ether(frame, &plain, 0x88B8, pdu, pn);
        memcpy(twin, frame, n);
        size_t a = gs_add_prp_trailer(frame, n, 14, seq, false);
        size_t b = gs_add_prp_trailer(twin, n, 14, seq, true);
        feed(eng, ++cnt, seq == 7 ? frame : twin, seq == 7 ? a : b);
        feed(eng, ++cnt, seq == 7 ? twin : frame, seq == 7 ? b : a);
    }
    /* HSR: the same frame on both paths */
    uint8_t tagged[600];
    plain.src[5] = 3;
    for (int lane = 0; lane < 2; lane++) {
        uint16_t path = (uint16_t)((lane << 12) | ((pn + 6) & 0x0FFF));
        tagged[0] = (uint8_t)(path >> 8);
        tagged[1] = (uint8_t)path;
        tagged[2] = 0x12;
        tagged[3] = 0x34;
        tagged[4] = 0x88;
        tagged[5] = 0xB8;
        memcpy(tagged + 6, pdu, pn);
        n = gs_build_ether(frame, &plain, 0x892F, tagged, pn + 6);
        feed(eng, ++cnt, frame, n);
    }
    gs_engine_finish(eng);
    ck_assert_uint_eq(gs_engine_stats(eng)->decode.redundancy_duplicates, 3);
    gs_engine_destroy(eng);

    ck_assert_int_eq(l2seen.n, 5);
    ck_assert_uint_eq(l2seen.vlan[0], 10);
    ck_assert_uint_eq(l2seen.vlan[1], 100);
    ck_assert_uint_eq(l2seen.prp_lan[2], 0xA);
    ck_assert_uint_eq(l2seen.pcap_cnt[2], 3);
    ck_assert_uint_eq(l2seen.prp_lan[3], 0xB); /* the B copy came first: it is the one kept */
    ck_assert_uint_eq(l2seen.pcap_cnt[3], 5);
    ck_assert(l2seen.hsr[4]);
    ck_assert_uint_eq(l2seen.pcap_cnt[4], 7);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(l2seen.appid[i], 1);
}
END_TEST

static Suite *suite_goose(void)
{
    Suite *s = suite_create("goose");
    TCase *tc = tcase_create("pdu");
    tcase_add_test(tc, test_goose_worked_example);
    tcase_add_loop_test(tc, test_goose_data_type, 0,
                        (int)(sizeof(data_cases) / sizeof(data_cases[0])));
    tcase_add_test(tc, test_goose_length_below_header);
    tcase_add_test(tc, test_goose_length_exceeds_frame);
    tcase_add_test(tc, test_goose_length_longer_than_pdu);
    tcase_add_test(tc, test_goose_pdu_longer_than_length);
    tcase_add_test(tc, test_goose_bad_apdu_tag);
    tcase_add_test(tc, test_goose_primitive_forms);
    tcase_add_test(tc, test_goose_short_header);
    tcase_add_test(tc, test_goose_missing_and_out_of_order);
    tcase_add_test(tc, test_goose_unknown_and_bad_fields);
    tcase_add_test(tc, test_goose_entry_counts);
    tcase_add_test(tc, test_goose_max_entries_cap);
    tcase_add_test(tc, test_goose_simulation_and_reserved);
    tcase_add_test(tc, test_goose_tail);
    tcase_add_test(tc, test_goose_appid_range);
    tcase_add_test(tc, test_goose_truncated_capture);
    tcase_add_test(tc, test_goose_two_pdus);
    tcase_add_test(tc, test_goose_gse_management);
    tcase_add_test(tc, test_goose_json_record);
    tcase_add_test(tc, test_goose_engine_framing);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_goose)
