/*
 * sv.c - IEC 61850-9-2 Sampled Values (9-2 Ed.2 §8.2 and §8.5; field tags as Wireshark's
 * sv.asn; seqData layout of the UCA 9-2LE guideline), with the IEC 62351-6 layer-2 extension.
 *
 *   | APPID 2 | Length 2 | Reserved1 2 | Reserved2 2 | 60 LL savPdu | [62351-6 extension] |
 *
 *   savPdu:  80 noASDU | [81 security] | A2 seqASDU { 30 ASDU ... }
 *   ASDU:    80 svID | [81 datSet] | 82 smpCnt | 83 confRev | [84 refrTm] | [85 smpSynch] |
 *            [86 smpRate] | 87 seqData | [88 smpMod] | [89 gmidData]
 *   9-2LE seqData: 8 x ( INT32 value | 32-bit quality ), Ia Ib Ic In Va Vb Vc Vn
 *
 * Integers are read as unsigned big-endian of their encoded length: publishers write smpCnt and
 * confRev with a fixed size, so `82 02 80 00` is 32768, not a negative BER INTEGER. Decoding is
 * tolerant in the same way as goose.c; the sensor-wide state holds only the decoded ASDUs.
 */
#include "sv.h"

#include <string.h>

#include "ber.h"
#include "names.h"

/* The `present` bit of a field: its context tag number (GS_SV_F_* in the header). */
#define FIELD_BIT(n)        ((uint32_t)1u << (n))
#define TAG_SAV_PDU         0x60u /* [APPLICATION 0] constructed */
/* An identifier with its constructed bit set: Wireshark's BER matches by class and number,
 * so the wrong form is an anomaly here, not the end of decoding. */
#define BER_CONSTRUCTED(id) ((uint8_t)((id) | 0x20u))
#define ETHERTYPE_SV        0x88BAu
#define PDU_DEPTH           0u
#define FIELD_DEPTH         1u
#define ASDU_DEPTH          2u
#define ASDU_FIELD_DEPTH    3u
/* The smallest ASDU: 30 LL, svID, smpCnt, confRev and seqData with one-octet contents. */
#define MIN_ASDU_OCTETS     14u
#define SEQUENCE_NUMBER     16u

enum { P_NO_ASDU = 0, P_SECURITY = 1, P_SEQ_ASDU = 2 };
enum {
    A_SV_ID = 0,
    A_DAT_SET = 1,
    A_SMP_CNT = 2,
    A_CONF_REV = 3,
    A_REFR_TM = 4,
    A_SMP_SYNCH = 5,
    A_SMP_RATE = 6,
    A_SEQ_DATA = 7,
    A_SMP_MOD = 8,
    A_GMID = 9,
};

struct sv_state {
    size_t cap;
    struct gs_sv_asdu asdus[]; /* sv.max_asdus of them */
};

static const char *const sv_event_names[] = {GS_SV_ANOMALY_NAMES, NULL};

static const struct gs_l2pdu_names frame_names = {
    .truncated = "sv.truncated",
    .malformed = "sv.malformed",
    .short_header = "sv.short_header",
    .bad_length = "sv.bad_length",
    .length_exceeds_frame = "sv.length_exceeds_frame",
    .trailing_bytes = "sv.trailing_bytes",
    .reserved_nonzero = "sv.reserved_nonzero",
    .ext_length_mismatch = "sv.ext_length_mismatch",
    .ext_crc_mismatch = "sv.ext_crc_mismatch",
    .ext_malformed = "sv.ext_malformed",
    .ext_unknown = "sv.ext_unknown",
};

static const struct gs_name_map asdu_field_names[] = {
    {A_SV_ID, "svID"},
    {A_DAT_SET, "datSet"},
    {A_SMP_CNT, "smpCnt"},
    {A_CONF_REV, "confRev"},
    {A_REFR_TM, "refrTm"},
    {A_SMP_SYNCH, "smpSynch"},
    {A_SMP_RATE, "smpRate"},
    {A_SEQ_DATA, "seqData"},
    {A_SMP_MOD, "smpMod"},
    {A_GMID, "gmidData"},
    {0, NULL},
};

struct dec {
    const struct gs_pkt_ctx *ctx;
    struct gs_sv_event ev;
    struct gs_sec_info sec;
    struct gs_sv_asdu *asdus;
    size_t cap;
    bool length_reported;
    bool bad_reported, order_reported, unknown_reported, limit_reported;
};

static void anomaly(const struct dec *d, const char *name, enum gs_anomaly_kind kind,
                    const char *detail)
{
    gs_emit_anomaly(d->ctx, name, kind, detail);
}

static void stop_at(struct dec *d, enum gs_cur_err err, const char *where)
{
    gs_l2pdu_stop(d->ctx, &frame_names, &d->ev.status, err, where);
}

static void bad_field(struct dec *d, const char *what)
{
    if (d->bad_reported)
        return;
    anomaly(d, "sv.bad_field", GS_ANOMALY_MALFORMED, what);
    d->bad_reported = true;
}

static void unknown_field(struct dec *d, const char *what)
{
    if (d->unknown_reported)
        return;
    anomaly(d, "sv.unknown_field", GS_ANOMALY_MALFORMED, what);
    d->unknown_reported = true;
}

/* How a field's value came out: unusable, fine, or kept though outside the field's range. */
enum take { TAKE_BAD = 0, TAKE_OK, TAKE_RANGE };

static enum take ok_or_bad(bool ok)
{
    return ok ? TAKE_OK : TAKE_BAD;
}

/* An unsigned of its encoded length; above `max` it is kept (low 32 bits, as Wireshark shows
 * it) and flagged. */
static enum take take_uint(struct gs_cursor v, uint32_t max, uint32_t *out)
{
    uint64_t x;
    if (!gs_ber_uint(v, &x))
        return TAKE_BAD;
    *out = (uint32_t)x;
    return x > max ? TAKE_RANGE : TAKE_OK;
}

/* 9-2LE: 8 channels of INT32 value and 32-bit quality. */
static void decode_9_2le(struct gs_sv_asdu *a)
{
    struct gs_cursor c = gs_cur_init(a->seq_data.ptr, a->seq_data.len);
    for (int i = 0; i < GS_SV_LE_CHANNELS; i++) {
        a->value[i] = (int32_t)gs_cur_be32(&c);
        a->quality[i] = gs_cur_be32(&c);
    }
    a->le_9_2 = gs_cur_ok(&c);
}

static enum take decode_asdu_field(struct gs_sv_asdu *a, uint32_t number, struct gs_cursor v)
{
    switch (number) {
    case A_SV_ID:
        return ok_or_bad(gs_l2pdu_octets(v, &a->sv_id));
    case A_DAT_SET:
        return ok_or_bad(gs_l2pdu_octets(v, &a->dat_set));
    case A_SMP_CNT:
        return take_uint(v, UINT16_MAX, &a->smp_cnt);
    case A_CONF_REV:
        return take_uint(v, UINT32_MAX, &a->conf_rev);
    case A_REFR_TM:
        return ok_or_bad(gs_utc_time_decode(v, &a->refr_tm));
    case A_SMP_SYNCH:
        return take_uint(v, UINT8_MAX, &a->smp_synch);
    case A_SMP_RATE:
        return take_uint(v, UINT16_MAX, &a->smp_rate);
    case A_SEQ_DATA:
        if (!gs_l2pdu_octets(v, &a->seq_data))
            return TAKE_BAD;
        if (a->seq_data.len == GS_SV_LE_OCTETS)
            decode_9_2le(a);
        return TAKE_OK;
    case A_SMP_MOD:
        return take_uint(v, UINT16_MAX, &a->smp_mod);
    case A_GMID:
        return ok_or_bad(gs_l2pdu_octets(v, &a->gmid));
    default:
        return TAKE_BAD;
    }
}

/* One ASDU's fields, by tag, tolerant of order; false if decoding had to stop early. */
static bool decode_asdu(struct dec *d, struct gs_sv_asdu *a, struct gs_cursor content)
{
    memset(a, 0, sizeof(*a));
    long last = -1;
    bool walked = true;
    while (gs_cur_wire_remaining(&content) > 0) {
        struct gs_ber_tag tag;
        struct gs_cursor v;
        bool overrun;
        if (!gs_l2pdu_tlv(&content, &tag, &v, &overrun, ASDU_FIELD_DEPTH)) {
            walked = false;
            break;
        }
        if (tag.cls != GS_BER_CONTEXT || tag.number > A_GMID) {
            unknown_field(d, "ASDU field outside svID..gmidData");
        } else {
            if (tag.constructed)
                bad_field(d, "ASDU field in constructed form");
            if ((long)tag.number <= last && !d->order_reported) {
                anomaly(d, "sv.field_order", GS_ANOMALY_MALFORMED,
                        gs_name_lookup(asdu_field_names, tag.number, "field"));
                d->order_reported = true;
            }
            last = (long)tag.number;
            if (!overrun && v.cap_len == v.wire_len) {
                enum take got = decode_asdu_field(a, tag.number, v);
                if (got != TAKE_BAD)
                    a->present |= FIELD_BIT(tag.number);
                if (got != TAKE_OK)
                    bad_field(d, gs_name_lookup(asdu_field_names, tag.number, "field"));
            }
        }
        if (overrun) {
            a->status = GS_L2PDU_MALFORMED;
            stop_at(d, GS_CUR_BAD, "ASDU field runs past the ASDU");
            return false;
        }
    }
    if (!gs_cur_ok(&content)) {
        a->status = content.err == GS_CUR_SHORT ? GS_L2PDU_TRUNCATED : GS_L2PDU_MALFORMED;
        stop_at(d, content.err, "ASDU fields");
        return false;
    }
    if (walked) {
        uint32_t missing = GS_SV_F_MANDATORY & ~a->present;
        for (uint32_t n = 0; missing != 0 && n <= A_GMID; n++) {
            if (missing & FIELD_BIT(n))
                anomaly(d, "sv.missing_field", GS_ANOMALY_MALFORMED,
                        gs_name_lookup(asdu_field_names, n, "field"));
        }
    }
    return walked;
}

/* seqASDU: the count from noASDU checked against what the octets can hold and the cap. */
static void decode_seq_asdu(struct dec *d, struct gs_cursor v)
{
    struct gs_sv_event *ev = &d->ev;
    if (ev->has_no_asdu) {
        if (ev->no_asdu > gs_cur_wire_remaining(&v) / MIN_ASDU_OCTETS)
            anomaly(d, "sv.bad_asdu_count", GS_ANOMALY_MALFORMED,
                    "noASDU exceeds what seqASDU can hold");
        if (ev->no_asdu > d->cap && !d->limit_reported) {
            anomaly(d, "sv.too_many_asdus", GS_ANOMALY_LIMIT,
                    "noASDU above sv.max_asdus: ASDUs past the cap not decoded");
            d->limit_reported = true;
        }
    }
    while (gs_cur_wire_remaining(&v) > 0) {
        struct gs_ber_tag tag;
        struct gs_cursor content;
        bool overrun;
        if (!gs_l2pdu_tlv(&v, &tag, &content, &overrun, ASDU_DEPTH))
            break;
        if (tag.cls != GS_BER_UNIVERSAL || tag.number != SEQUENCE_NUMBER) {
            unknown_field(d, "seqASDU element is not an ASDU SEQUENCE");
        } else {
            ev->asdus_seen++;
            if (ev->n_asdus < d->cap) {
                struct gs_sv_asdu *a = &d->asdus[ev->n_asdus++];
                bool whole = decode_asdu(d, a, content);
                if (!whole && a->status == GS_L2PDU_COMPLETE)
                    a->status = GS_L2PDU_MALFORMED;
                if (overrun)
                    a->status = GS_L2PDU_MALFORMED;
                /* Lengths that contradict each other leave the next ASDU's start in doubt:
                 * stop here, as Wireshark does. */
                if (!whole)
                    return;
            } else {
                ev->asdus_capped = true;
                if (!d->limit_reported) {
                    anomaly(d, "sv.too_many_asdus", GS_ANOMALY_LIMIT,
                            "ASDUs above sv.max_asdus: the rest not decoded");
                    d->limit_reported = true;
                }
            }
        }
        if (overrun) {
            stop_at(d, GS_CUR_BAD, "ASDU runs past seqASDU");
            return;
        }
    }
    if (!gs_cur_ok(&v))
        stop_at(d, v.err, "seqASDU");
}

static void decode_sav_pdu(struct dec *d, struct gs_cursor content)
{
    struct gs_sv_event *ev = &d->ev;
    ev->has_pdu = true;
    long last = -1;
    bool seq = false, walked = true;
    while (gs_cur_wire_remaining(&content) > 0) {
        struct gs_ber_tag tag;
        struct gs_cursor v;
        bool overrun;
        if (!gs_l2pdu_tlv(&content, &tag, &v, &overrun, FIELD_DEPTH)) {
            walked = false;
            break;
        }
        if (tag.cls != GS_BER_CONTEXT || tag.number > P_SEQ_ASDU) {
            unknown_field(d, "savPdu field outside noASDU, security, seqASDU");
        } else {
            if ((long)tag.number <= last && !d->order_reported) {
                anomaly(d, "sv.field_order", GS_ANOMALY_MALFORMED, "savPdu fields out of order");
                d->order_reported = true;
            }
            last = (long)tag.number;
            if (tag.constructed != (tag.number == P_SEQ_ASDU) && tag.number != P_SECURITY)
                bad_field(d, tag.number == P_NO_ASDU ? "noASDU in constructed form"
                                                     : "seqASDU in primitive form");
            if (tag.number == P_NO_ASDU) {
                enum take got = overrun ? TAKE_BAD : take_uint(v, UINT16_MAX, &ev->no_asdu);
                ev->has_no_asdu = got != TAKE_BAD;
                if (got != TAKE_OK && !overrun)
                    bad_field(d, "noASDU");
            } else if (tag.number == P_SECURITY) {
                struct gs_cursor copy = v;
                ev->pdu_security = gs_cur_rest(&copy);
            } else {
                seq = true;
                decode_seq_asdu(d, v);
            }
        }
        if (overrun) {
            stop_at(d, GS_CUR_BAD, "savPdu field runs past the PDU");
            walked = false;
            break;
        }
    }
    if (!gs_cur_ok(&content)) {
        stop_at(d, content.err, "savPdu fields");
        walked = false;
    }
    if (walked && !ev->has_no_asdu)
        anomaly(d, "sv.missing_field", GS_ANOMALY_MALFORMED, "noASDU");
    if (walked && !seq)
        anomaly(d, "sv.missing_field", GS_ANOMALY_MALFORMED, "seqASDU");
    if (ev->has_no_asdu && seq && ev->status == GS_L2PDU_COMPLETE && ev->asdus_seen != ev->no_asdu)
        anomaly(d, "sv.asdu_count_mismatch", GS_ANOMALY_MALFORMED,
                "noASDU differs from the ASDUs in seqASDU");
}

static void reset_pdu(struct dec *d)
{
    struct gs_sv_event *ev = &d->ev;
    ev->has_pdu = false;
    memset(&ev->apdu, 0, sizeof(ev->apdu));
    ev->has_no_asdu = false;
    ev->no_asdu = 0;
    memset(&ev->pdu_security, 0, sizeof(ev->pdu_security));
    ev->asdus = d->asdus;
    ev->n_asdus = 0;
    ev->asdus_seen = 0;
    ev->asdus_capped = false;
    d->limit_reported = false;
}

/* Decodes and emits the savPdus in `apdus` (the octets Length covers, or an R-SV element's
 * APDU) that start before `limit`. */
static size_t decode_apdus(struct dec *d, struct gs_cursor apdus, size_t limit)
{
    unsigned index = 0;
    while (gs_cur_pos(&apdus) < limit && gs_cur_wire_remaining(&apdus) > 0) {
        if (gs_cur_remaining(&apdus) == 0) {
            stop_at(d, GS_CUR_SHORT, "APDU not captured");
            break;
        }
        if (BER_CONSTRUCTED(gs_cur_peek_u8(&apdus)) != TAG_SAV_PDU) {
            if (index > 0 && !d->length_reported)
                anomaly(d, "sv.apdu_length_mismatch", GS_ANOMALY_MALFORMED,
                        "octets after the savPdu within Length");
            else if (index == 0)
                anomaly(d, "sv.bad_apdu_tag", GS_ANOMALY_MALFORMED, "APDU is not a savPdu (60)");
            if (d->ev.status == GS_L2PDU_COMPLETE)
                d->ev.status = GS_L2PDU_MALFORMED;
            break;
        }
        reset_pdu(d);
        struct gs_cursor start = apdus;
        struct gs_ber_tag tag;
        struct gs_cursor content;
        bool overrun;
        if (!gs_l2pdu_tlv(&apdus, &tag, &content, &overrun, PDU_DEPTH)) {
            stop_at(d, apdus.err, "APDU tag and length");
            break;
        }
        d->ev.apdu = gs_l2pdu_tlv_span(start, &apdus);
        if (!tag.constructed)
            anomaly(d, "sv.bad_apdu_tag", GS_ANOMALY_MALFORMED, "savPdu in primitive form");
        if (overrun) {
            if (!d->length_reported)
                anomaly(d, "sv.apdu_length_mismatch", GS_ANOMALY_MALFORMED,
                        "the savPdu's BER length runs past Length");
            d->length_reported = true;
            if (d->ev.status == GS_L2PDU_COMPLETE)
                d->ev.status = GS_L2PDU_MALFORMED;
        }
        decode_sav_pdu(d, content);
        gs_emit(d->ctx, GS_EVENT_SV, &d->ev);
        index++;
        if (overrun || d->ev.status != GS_L2PDU_COMPLETE)
            return index;
    }
    if (index == 0) {
        reset_pdu(d);
        gs_emit(d->ctx, GS_EVENT_SV, &d->ev);
        return 1;
    }
    return index;
}

static void dec_init(struct dec *d, const struct gs_pkt_ctx *ctx, struct gs_sv_asdu *asdus,
                     size_t cap)
{
    memset(d, 0, sizeof(*d));
    d->ctx = ctx;
    d->asdus = asdus;
    d->cap = cap;
    d->ev.security = &d->sec;
    d->ev.asdus = asdus;
}

size_t gs_sv_decode_l2(const struct gs_pkt_ctx *ctx, struct gs_cursor unit,
                       const struct gs_rsession *session, const struct gs_sec_info *session_sec,
                       struct gs_sv_asdu *asdus, size_t cap)
{
    struct dec d;
    dec_init(&d, ctx, asdus, cap);
    struct gs_cursor c = unit;
    struct gs_l2pdu_header hdr;
    if (!gs_l2pdu_header_or_report(ctx, &frame_names, &c, &hdr, &d.ev.status)) {
        /* Still one event per frame, with nothing but how decoding ended. */
        d.ev.session = session;
        if (session_sec != NULL)
            d.ev.security = session_sec;
        gs_emit(ctx, GS_EVENT_SV, &d.ev);
        return 1;
    }
    struct gs_sv_event *ev = &d.ev;
    ev->session = session;
    ev->appid = hdr.appid;
    ev->has_header = true;
    ev->length = hdr.length;
    ev->reserved1 = hdr.reserved1;
    ev->reserved2 = hdr.reserved2;
    ev->simulated = GS_L2PDU_SIMULATED(hdr.reserved1);
    if (hdr.appid < GS_L2PDU_SV_APPID_MIN || hdr.appid > GS_L2PDU_SV_APPID_MAX)
        anomaly(&d, "sv.appid_out_of_range", GS_ANOMALY_MALFORMED,
                "APPID outside 0x4000..0x7FFF (the SV range)");

    /* `limit`: where Length says the APDU ends, and the security extension starts. */
    size_t avail = gs_cur_wire_remaining(&c);
    size_t limit = gs_l2pdu_limit(ctx, &frame_names, &hdr, avail, &ev->status, &d.length_reported);
    /* Unlike GOOSE, Wireshark 4.0 reads SV only within Length; so does this. */
    struct gs_cursor apdus = gs_cur_sub(&c, limit);
    size_t pdu_end = gs_l2pdu_scan_end(apdus, limit, TAG_SAV_PDU, TAG_SAV_PDU);
    size_t apdu_end = GS_L2PDU_HEADER_LEN + gs_l2pdu_ext_start(apdus, pdu_end, limit);

    if (session_sec != NULL) {
        ev->security = session_sec;
    } else {
        struct gs_sec_l2_result res;
        gs_sec_parse_l2(&unit, &hdr, ETHERTYPE_SV, apdu_end, &d.sec, &res);
        gs_l2pdu_report_tail(ctx, &frame_names, &res, &d.sec);
    }
    return decode_apdus(&d, apdus, limit);
}

size_t gs_sv_decode_element(const struct gs_pkt_ctx *ctx, struct gs_cursor apdu, uint16_t appid,
                            bool simulated, const struct gs_rsession *session,
                            const struct gs_sec_info *sec, struct gs_sv_asdu *asdus, size_t cap)
{
    struct dec d;
    dec_init(&d, ctx, asdus, cap);
    d.ev.session = session;
    d.ev.security = sec;
    d.ev.appid = appid;
    d.ev.simulated = simulated;
    return decode_apdus(&d, apdu, gs_cur_wire_remaining(&apdu));
}

/* ---- the dissector ------------------------------------------------------------------------- */

static size_t sv_state_size(const struct gs_config *cfg)
{
    return sizeof(struct sv_state) + (size_t)cfg->sv_max_asdus * sizeof(struct gs_sv_asdu);
}

static void sv_state_init(void *state, const struct gs_config *cfg)
{
    struct sv_state *st = state;
    st->cap = cfg->sv_max_asdus;
}

static struct gs_parse_res sv_parse(void *state, const struct gs_pkt_ctx *ctx,
                                    struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    struct sv_state *st = state;
    size_t len = gs_cur_wire_remaining(cur);
    gs_sv_decode_l2(ctx, *cur, NULL, NULL, st->asdus, st->cap);
    gs_cur_skip(cur, len);
    return gs_parse_ok(len);
}

const struct gs_dissector gs_sv_dissector = {
    .name = "sv",
    .transport = GS_TRANSPORT_L2,
    .ether_type = ETHERTYPE_SV,
    .state_size = sv_state_size,
    .state_init = sv_state_init,
    .parse = sv_parse,
    .event_names = sv_event_names,
};
