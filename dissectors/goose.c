/*
 * goose.c - IEC 61850-8-1 GOOSE and GSE management (8-1 Ed.2 §8.1.2 and Annex C; field tags as
 * Wireshark's goose.asn), with the IEC 62351-6 layer-2 extension (iec62351_6.h).
 *
 *   | APPID 2 | Length 2 | Reserved1 2 | Reserved2 2 | 61 LL IECGoosePdu | [62351-6 extension] |
 *
 *   IECGoosePdu: 80 gocbRef | 81 timeAllowedtoLive | 82 datSet | [83 goID] | 84 t (UtcTime) |
 *                85 stNum | 86 sqNum | [87 simulation] | 88 confRev | [89 ndsCom] |
 *                8A numDatSetEntries | AB allData (SEQUENCE OF Data, iec61850_data.h)
 *   GSEMngtPdu:  60 LL { 80 stateID, A1 requests { [n] ... } | A2 responses { [n] ... } }
 *
 * Decoding is tolerant, as a monitor must be: fields are taken by tag wherever they appear (a
 * wrong order, a missing or an unknown field is an anomaly, not the end), a length that runs
 * past the frame is decoded as far as the octets go, and every frame yields an event saying how
 * far decoding got. Frames are stateless: the engine's sensor-wide state is only scratch space
 * for the allData values (goose.max_entries of them).
 */
#include "goose.h"

#include <string.h>

#include "ber.h"
#include "names.h"

/* The `present` bit of a field: its context tag number (GS_GOOSE_F_* in the header). */
#define FIELD_BIT(n)        ((uint32_t)1u << (n))
#define TAG_GSE_MNGT_PDU    0x60u /* [APPLICATION 0] constructed */
#define TAG_GOOSE_PDU       0x61u /* [APPLICATION 1] constructed */
/* An identifier with its constructed bit set: Wireshark's BER matches PDUs by class and
 * number, so a primitive-form 40/41 still opens a PDU (an anomaly here). */
#define BER_CONSTRUCTED(id) ((uint8_t)((id) | 0x20u))

/* IECGoosePdu context tag numbers */
enum {
    F_GOCB_REF = 0,
    F_TTL = 1,
    F_DAT_SET = 2,
    F_GO_ID = 3,
    F_T = 4,
    F_ST_NUM = 5,
    F_SQ_NUM = 6,
    F_SIMULATION = 7,
    F_CONF_REV = 8,
    F_NDS_COM = 9,
    F_NUM_ENTRIES = 10,
    F_ALL_DATA = 11,
    F_SECURITY = 12, /* reserved for a digital signature (8-1 Ed.1), never defined */
};

#define PDU_DEPTH       0u
#define FIELD_DEPTH     1u
#define DATA_DEPTH      2u
#define MIN_DATA_OCTETS 2u /* the smallest Data TLV: tag and a zero length */
#define ETHERTYPE_GSE   0x88B9u
#define ETHERTYPE_GOOSE 0x88B8u

struct goose_state {
    size_t cap;
    struct gs_data_node nodes[]; /* allData scratch, goose.max_entries of them */
};

static const char *const goose_event_names[] = {GS_GOOSE_ANOMALY_NAMES, NULL};

static const struct gs_l2pdu_names frame_names = {
    .truncated = "goose.truncated",
    .malformed = "goose.malformed",
    .short_header = "goose.short_header",
    .bad_length = "goose.bad_length",
    .length_exceeds_frame = "goose.length_exceeds_frame",
    .trailing_bytes = "goose.trailing_bytes",
    .reserved_nonzero = "goose.reserved_nonzero",
    .ext_length_mismatch = "goose.ext_length_mismatch",
    .ext_crc_mismatch = "goose.ext_crc_mismatch",
    .ext_malformed = "goose.ext_malformed",
    .ext_unknown = "goose.ext_unknown",
};

static const struct gs_name_map field_names[] = {
    {F_GOCB_REF, "gocbRef"},
    {F_TTL, "timeAllowedtoLive"},
    {F_DAT_SET, "datSet"},
    {F_GO_ID, "goID"},
    {F_T, "t"},
    {F_ST_NUM, "stNum"},
    {F_SQ_NUM, "sqNum"},
    {F_SIMULATION, "simulation"},
    {F_CONF_REV, "confRev"},
    {F_NDS_COM, "ndsCom"},
    {F_NUM_ENTRIES, "numDatSetEntries"},
    {F_ALL_DATA, "allData"},
    {F_SECURITY, "security (reserved)"},
    {0, NULL},
};

static const struct gs_name_map mngt_services[] = {
    {0, "gseMngtNotSupported"}, {1, "getGoReference"},    {2, "getGOOSEElementNumber"},
    {3, "getGsReference"},      {4, "getGSSEDataOffset"}, {0, NULL},
};

const char *gs_goose_mngt_service_name(uint32_t service)
{
    return gs_name_lookup(mngt_services, service, "unknown");
}

/* One frame's (or element's) decoding: the event template and its scratch. */
struct dec {
    const struct gs_pkt_ctx *ctx;
    struct gs_goose_event ev;
    struct gs_sec_info sec; /* the frame's own extension (layer 2) */
    struct gs_data_node *nodes;
    size_t cap;
    bool length_reported; /* a Length problem was already reported for this frame */
};

static void anomaly(const struct dec *d, const char *name, enum gs_anomaly_kind kind,
                    const char *detail)
{
    gs_emit_anomaly(d->ctx, name, kind, detail);
}

/* Records that decoding stopped at a cursor error (capture cut vs contradicting octets). */
static void stop_at(struct dec *d, enum gs_cur_err err, const char *where)
{
    gs_l2pdu_stop(d->ctx, &frame_names, &d->ev.status, err, where);
}

static void reset_pdu(struct gs_goose_event *ev)
{
    ev->pdu = GS_GOOSE_PDU_NONE;
    ev->apdu.ptr = NULL;
    ev->apdu.len = 0;
    ev->present = 0;
    memset(&ev->gocb_ref, 0, sizeof(ev->gocb_ref));
    memset(&ev->dat_set, 0, sizeof(ev->dat_set));
    memset(&ev->go_id, 0, sizeof(ev->go_id));
    ev->ttl_ms = 0;
    memset(&ev->t, 0, sizeof(ev->t));
    ev->st_num = ev->sq_num = ev->conf_rev = ev->num_dat_set_entries = 0;
    ev->simulation = ev->nds_com = false;
    ev->data = NULL;
    ev->n_data = 0;
    ev->n_entries = 0;
    ev->data_capped = ev->data_malformed = false;
    memset(&ev->mngt, 0, sizeof(ev->mngt));
}

/* How a field's value came out: unusable, fine, or kept though outside the field's range. */
enum take { TAKE_BAD = 0, TAKE_OK, TAKE_RANGE };

static enum take ok_or_bad(bool ok)
{
    return ok ? TAKE_OK : TAKE_BAD;
}

/* An INT32U read unsigned; a wider value keeps its low 32 bits, as Wireshark shows it. */
static enum take take_u32(struct gs_cursor v, uint32_t *out)
{
    uint64_t x;
    if (!gs_ber_uint(v, &x))
        return TAKE_BAD;
    *out = (uint32_t)x;
    return x > UINT32_MAX ? TAKE_RANGE : TAKE_OK;
}

/* timeAllowedtoLive is an INTEGER: a negative or huge value is a bad field. */
static bool take_ttl(struct gs_cursor v, uint32_t *out)
{
    int64_t x;
    if (!gs_ber_int(v, &x) || x < 0 || x > (int64_t)UINT32_MAX)
        return false;
    *out = (uint32_t)x;
    return true;
}

/* Decodes one primitive IECGoosePdu field into the event. */
static enum take decode_field(struct gs_goose_event *ev, uint32_t number, struct gs_cursor v)
{
    switch (number) {
    case F_GOCB_REF:
        return ok_or_bad(gs_l2pdu_octets(v, &ev->gocb_ref));
    case F_TTL:
        return ok_or_bad(take_ttl(v, &ev->ttl_ms));
    case F_DAT_SET:
        return ok_or_bad(gs_l2pdu_octets(v, &ev->dat_set));
    case F_GO_ID:
        return ok_or_bad(gs_l2pdu_octets(v, &ev->go_id));
    case F_T:
        return ok_or_bad(gs_utc_time_decode(v, &ev->t));
    case F_ST_NUM:
        return take_u32(v, &ev->st_num);
    case F_SQ_NUM:
        return take_u32(v, &ev->sq_num);
    case F_SIMULATION:
        return ok_or_bad(gs_ber_bool(v, &ev->simulation));
    case F_CONF_REV:
        return take_u32(v, &ev->conf_rev);
    case F_NDS_COM:
        return ok_or_bad(gs_ber_bool(v, &ev->nds_com));
    case F_NUM_ENTRIES:
        return take_u32(v, &ev->num_dat_set_entries);
    default:
        return TAKE_BAD;
    }
}

/* allData: values into the scratch list, counted; the count checked against its cap first. */
static void decode_all_data(struct dec *d, struct gs_cursor v, bool *limit_reported)
{
    struct gs_goose_event *ev = &d->ev;
    size_t len = gs_cur_wire_remaining(&v);
    if (ev->present & GS_GOOSE_F_NUM_ENTRIES) {
        if (ev->num_dat_set_entries > len / MIN_DATA_OCTETS)
            anomaly(d, "goose.bad_entry_count", GS_ANOMALY_MALFORMED,
                    "numDatSetEntries exceeds what allData can hold");
        if (ev->num_dat_set_entries > d->cap && !*limit_reported) {
            anomaly(d, "goose.too_many_entries", GS_ANOMALY_LIMIT,
                    "numDatSetEntries above goose.max_entries: values past the cap not stored");
            *limit_reported = true;
        }
    }
    struct gs_data_list list = {.nodes = d->nodes, .cap = d->cap, .n = 0, .capped = false};
    uint32_t n = 0;
    while (gs_cur_wire_remaining(&v) > 0) {
        if (!gs_data_decode(&v, &list, DATA_DEPTH)) {
            ev->data_malformed = true;
            break;
        }
        n++;
    }
    ev->present |= GS_GOOSE_F_ALL_DATA;
    ev->data = d->nodes;
    ev->n_data = list.n;
    ev->n_entries = n;
    ev->data_capped = list.capped;
    if (list.capped && !*limit_reported) {
        anomaly(d, "goose.too_many_entries", GS_ANOMALY_LIMIT,
                "allData values above goose.max_entries: the rest not stored");
        *limit_reported = true;
    }
    bool invalid = false;
    for (size_t i = 0; i < list.n; i++)
        invalid = invalid || !d->nodes[i].valid;
    if (v.err == GS_CUR_SHORT) {
        stop_at(d, GS_CUR_SHORT, "allData cut by the capture");
    } else if (ev->data_malformed || invalid) {
        anomaly(d, "goose.bad_data", GS_ANOMALY_MALFORMED,
                ev->data_malformed ? "allData BER broken" : "a value's length or form is invalid");
        if (ev->status == GS_L2PDU_COMPLETE)
            ev->status = GS_L2PDU_MALFORMED;
    }
}

/* Walks IECGoosePdu's fields, taking each by its tag wherever it is. */
static void decode_goose_pdu(struct dec *d, struct gs_cursor content)
{
    struct gs_goose_event *ev = &d->ev;
    ev->pdu = GS_GOOSE_PDU_GOOSE;
    long last = -1;
    bool order_reported = false, bad_reported = false, limit_reported = false;
    bool walked = true;
    while (gs_cur_wire_remaining(&content) > 0) {
        struct gs_ber_tag tag;
        struct gs_cursor v;
        bool overrun;
        if (!gs_l2pdu_tlv(&content, &tag, &v, &overrun, FIELD_DEPTH)) {
            walked = false;
            break;
        }
        if (tag.cls != GS_BER_CONTEXT || tag.number > F_ALL_DATA) {
            anomaly(d, "goose.unknown_field", GS_ANOMALY_MALFORMED,
                    tag.cls == GS_BER_CONTEXT
                        ? gs_name_lookup(field_names, tag.number, "context tag above [12]")
                        : "a field outside the context class");
            if (overrun) {
                stop_at(d, GS_CUR_BAD, "field runs past the PDU");
                walked = false;
                break;
            }
            continue;
        }
        if ((long)tag.number <= last && !order_reported) {
            anomaly(d, "goose.field_order", GS_ANOMALY_MALFORMED,
                    gs_name_lookup(field_names, tag.number, "field"));
            order_reported = true;
        }
        last = (long)tag.number;
        /* The wrong form is flagged, the contents still decoded (as Wireshark's BER does). */
        if (tag.constructed != (tag.number == F_ALL_DATA) && !bad_reported) {
            anomaly(d, "goose.bad_field", GS_ANOMALY_MALFORMED,
                    gs_name_lookup(field_names, tag.number, "field"));
            bad_reported = true;
        }
        if (tag.number == F_ALL_DATA) {
            decode_all_data(d, v, &limit_reported);
        } else if (!overrun && v.cap_len == v.wire_len) {
            enum take got = decode_field(ev, tag.number, v);
            if (got != TAKE_BAD)
                ev->present |= FIELD_BIT(tag.number);
            if (got != TAKE_OK && !bad_reported) {
                anomaly(d, "goose.bad_field", GS_ANOMALY_MALFORMED,
                        gs_name_lookup(field_names, tag.number, "field"));
                bad_reported = true;
            }
        }
        if (overrun) {
            stop_at(d, GS_CUR_BAD, "field runs past the PDU");
            walked = false;
            break;
        }
    }
    if (!gs_cur_ok(&content)) {
        stop_at(d, content.err, "IECGoosePdu fields");
        walked = false;
    }
    if (walked) {
        uint32_t missing = GS_GOOSE_F_MANDATORY & ~ev->present;
        for (uint32_t n = 0; missing != 0 && n <= F_ALL_DATA; n++) {
            if (missing & FIELD_BIT(n))
                anomaly(d, "goose.missing_field", GS_ANOMALY_MALFORMED,
                        gs_name_lookup(field_names, n, "field"));
        }
    }
    if ((ev->present & GS_GOOSE_F_NUM_ENTRIES) && (ev->present & GS_GOOSE_F_ALL_DATA) &&
        !ev->data_malformed && ev->status == GS_L2PDU_COMPLETE &&
        ev->n_entries != ev->num_dat_set_entries)
        anomaly(d, "goose.entry_count_mismatch", GS_ANOMALY_MALFORMED,
                "numDatSetEntries differs from the values in allData");
    bool sim = (ev->present & GS_GOOSE_F_SIMULATION) && ev->simulation;
    if ((ev->has_header || ev->session != NULL) && ev->simulated != sim)
        anomaly(d, "goose.simulation_mismatch", GS_ANOMALY_MALFORMED,
                ev->simulated ? "S bit set, simulation attribute clear"
                              : "simulation attribute set, S bit clear");
}

/* GetReferenceRequest/GetElementRequest/GSEMngtResponse: ident, confRev and the result. */
static void decode_mngt_service(struct gs_gse_mngt *m, struct gs_cursor v)
{
    while (gs_cur_wire_remaining(&v) > 0) {
        struct gs_ber_tag t;
        struct gs_cursor f;
        if (!gs_ber_tlv(&v, &t, &f, FIELD_DEPTH + 3, GS_BER_STRICT) || t.cls != GS_BER_CONTEXT)
            return;
        if (t.number == 0 && !t.constructed) {
            gs_l2pdu_octets(f, &m->ident);
        } else if (t.number == 1 && !t.constructed && m->response) {
            m->has_conf_rev = gs_ber_int(f, &m->conf_rev);
        } else if (t.number == 2 && t.constructed && m->response) {
            m->has_result = true;
            m->positive = true;
            struct gs_ber_tag dt;
            struct gs_cursor ds;
            struct gs_cursor first = f;
            if (gs_ber_tlv(&first, &dt, &ds, FIELD_DEPTH + 4, GS_BER_STRICT) &&
                gs_ber_is(&dt, GS_BER_CONTEXT, false, 0))
                gs_l2pdu_octets(ds, &m->dat_set);
        } else if (t.number == 3 && !t.constructed && m->response) {
            m->has_result = true;
            m->positive = false;
            gs_ber_int(f, &m->error);
        }
    }
}

/* GSEMngtPdu: stateID and the service of the request or response. */
static void decode_mngt_pdu(struct dec *d, struct gs_cursor content)
{
    struct gs_gse_mngt *m = &d->ev.mngt;
    d->ev.pdu = GS_GOOSE_PDU_GSE_MNGT;
    while (gs_cur_wire_remaining(&content) > 0) {
        struct gs_ber_tag t;
        struct gs_cursor v;
        bool overrun;
        if (!gs_l2pdu_tlv(&content, &t, &v, &overrun, FIELD_DEPTH))
            break;
        if (gs_ber_is(&t, GS_BER_CONTEXT, false, 0)) {
            m->has_state_id = gs_ber_int(v, &m->state_id);
        } else if (t.cls == GS_BER_CONTEXT && t.constructed && (t.number == 1 || t.number == 2)) {
            m->response = t.number == 2;
            struct gs_ber_tag st;
            struct gs_cursor sv;
            if (gs_ber_tlv(&v, &st, &sv, FIELD_DEPTH + 1, GS_BER_STRICT) &&
                st.cls == GS_BER_CONTEXT) {
                m->service = st.number;
                if (st.constructed)
                    decode_mngt_service(m, sv);
            }
        } else {
            anomaly(d, "goose.unknown_field", GS_ANOMALY_MALFORMED, "GSEMngtPdu element");
        }
        if (overrun) {
            stop_at(d, GS_CUR_BAD, "GSEMngtPdu element runs past the PDU");
            return;
        }
    }
    if (!gs_cur_ok(&content))
        stop_at(d, content.err, "GSEMngtPdu");
}

/* Decodes and emits every PDU in `apdus` (the octets Length covers after the header). */
/* Decodes and emits the PDUs that start before `limit` (Length - 8) in `apdus` (the rest of
 * the frame or element): a PDU whose BER runs past Length is decoded to its BER end, as
 * Wireshark does, and the disagreement reported. */
static size_t decode_apdus(struct dec *d, struct gs_cursor apdus, size_t limit)
{
    uint16_t index = 0;
    while (gs_cur_pos(&apdus) < limit && gs_cur_wire_remaining(&apdus) > 0) {
        if (gs_cur_remaining(&apdus) == 0) {
            stop_at(d, GS_CUR_SHORT, "APDU not captured");
            break;
        }
        uint8_t first = BER_CONSTRUCTED(gs_cur_peek_u8(&apdus));
        if (first != TAG_GOOSE_PDU && first != TAG_GSE_MNGT_PDU) {
            if (index > 0 && !d->length_reported)
                anomaly(d, "goose.apdu_length_mismatch", GS_ANOMALY_MALFORMED,
                        "octets after the PDU within Length");
            else if (index == 0)
                anomaly(d, "goose.bad_apdu_tag", GS_ANOMALY_MALFORMED,
                        "APDU is neither goosePdu (61) nor gseMngtPdu (60)");
            if (d->ev.status == GS_L2PDU_COMPLETE)
                d->ev.status = GS_L2PDU_MALFORMED;
            break;
        }
        reset_pdu(&d->ev);
        d->ev.pdu_index = index;
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
            anomaly(d, "goose.bad_apdu_tag", GS_ANOMALY_MALFORMED, "PDU in primitive form");
        if (overrun) {
            if (!d->length_reported)
                anomaly(d, "goose.malformed", GS_ANOMALY_MALFORMED,
                        "the PDU's BER length runs past the frame");
            d->length_reported = true;
            if (d->ev.status == GS_L2PDU_COMPLETE)
                d->ev.status = GS_L2PDU_MALFORMED;
        } else if (gs_cur_pos(&apdus) > limit && !d->length_reported) {
            anomaly(d, "goose.apdu_length_mismatch", GS_ANOMALY_MALFORMED,
                    "the PDU's BER length runs past Length");
            d->length_reported = true;
        }
        if (first == TAG_GOOSE_PDU)
            decode_goose_pdu(d, content);
        else
            decode_mngt_pdu(d, content);
        gs_emit(d->ctx, GS_EVENT_GOOSE, &d->ev);
        index++;
        if (overrun || d->ev.status != GS_L2PDU_COMPLETE)
            return index;
    }
    if (index == 0) {
        reset_pdu(&d->ev);
        gs_emit(d->ctx, GS_EVENT_GOOSE, &d->ev);
        return 1;
    }
    return index;
}

static void dec_init(struct dec *d, const struct gs_pkt_ctx *ctx, struct gs_data_node *nodes,
                     size_t cap)
{
    memset(d, 0, sizeof(*d));
    d->ctx = ctx;
    d->nodes = nodes;
    d->cap = cap;
    d->ev.security = &d->sec;
}

size_t gs_goose_decode_l2(const struct gs_pkt_ctx *ctx, struct gs_cursor unit, uint16_t ether_type,
                          const struct gs_rsession *session, const struct gs_sec_info *session_sec,
                          struct gs_data_node *nodes, size_t cap)
{
    struct dec d;
    dec_init(&d, ctx, nodes, cap);
    struct gs_cursor c = unit;
    struct gs_l2pdu_header hdr;
    if (!gs_l2pdu_header_or_report(ctx, &frame_names, &c, &hdr, &d.ev.status)) {
        /* Still one event per frame, with nothing but how decoding ended. */
        d.ev.session = session;
        d.ev.ether_type = ether_type;
        if (session_sec != NULL)
            d.ev.security = session_sec;
        gs_emit(ctx, GS_EVENT_GOOSE, &d.ev);
        return 1;
    }
    struct gs_goose_event *ev = &d.ev;
    ev->session = session;
    ev->ether_type = ether_type;
    ev->appid = hdr.appid;
    ev->has_header = true;
    ev->length = hdr.length;
    ev->reserved1 = hdr.reserved1;
    ev->reserved2 = hdr.reserved2;
    ev->simulated = GS_L2PDU_SIMULATED(hdr.reserved1);
    if (hdr.appid > GS_L2PDU_GOOSE_APPID_MAX)
        anomaly(&d, "goose.appid_out_of_range", GS_ANOMALY_MALFORMED,
                "APPID above 0x3FFF (the GOOSE range)");

    /* `limit`: where Length says the APDU ends. The PDUs are read to their BER end, which
     * may lie past it (an anomaly), as Wireshark 4.0 reads GOOSE (it bounds SV by Length);
     * the security extension follows whichever is later. */
    size_t avail = gs_cur_wire_remaining(&c);
    size_t limit = gs_l2pdu_limit(ctx, &frame_names, &hdr, avail, &ev->status, &d.length_reported);
    struct gs_cursor apdus = gs_cur_sub(&c, avail);
    size_t pdu_end = gs_l2pdu_scan_end(apdus, limit, TAG_GOOSE_PDU, TAG_GSE_MNGT_PDU);
    size_t apdu_end = GS_L2PDU_HEADER_LEN + gs_l2pdu_ext_start(apdus, pdu_end, limit);

    if (session_sec != NULL) {
        ev->security = session_sec;
    } else {
        struct gs_sec_l2_result res;
        gs_sec_parse_l2(&unit, &hdr, ether_type, apdu_end, &d.sec, &res);
        gs_l2pdu_report_tail(ctx, &frame_names, &res, &d.sec);
    }
    return decode_apdus(&d, apdus, limit);
}

size_t gs_goose_decode_element(const struct gs_pkt_ctx *ctx, struct gs_cursor apdu, uint16_t appid,
                               bool simulated, const struct gs_rsession *session,
                               const struct gs_sec_info *sec, struct gs_data_node *nodes,
                               size_t cap)
{
    struct dec d;
    dec_init(&d, ctx, nodes, cap);
    d.ev.session = session;
    d.ev.security = sec;
    d.ev.appid = appid;
    d.ev.simulated = simulated;
    return decode_apdus(&d, apdu, gs_cur_wire_remaining(&apdu));
}

/* ---- the dissectors ------------------------------------------------------------------------ */

static size_t goose_state_size(const struct gs_config *cfg)
{
    return sizeof(struct goose_state) +
           (size_t)cfg->goose_max_entries * sizeof(struct gs_data_node);
}

static void goose_state_init(void *state, const struct gs_config *cfg)
{
    struct goose_state *st = state;
    st->cap = cfg->goose_max_entries;
}

static struct gs_parse_res parse_l2(void *state, const struct gs_pkt_ctx *ctx,
                                    struct gs_cursor *cur, uint16_t ether_type)
{
    struct goose_state *st = state;
    size_t len = gs_cur_wire_remaining(cur);
    gs_goose_decode_l2(ctx, *cur, ether_type, NULL, NULL, st->nodes, st->cap);
    gs_cur_skip(cur, len);
    return gs_parse_ok(len);
}

static struct gs_parse_res goose_parse(void *state, const struct gs_pkt_ctx *ctx,
                                       struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    return parse_l2(state, ctx, cur, ETHERTYPE_GOOSE);
}

static struct gs_parse_res gse_parse(void *state, const struct gs_pkt_ctx *ctx,
                                     struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    return parse_l2(state, ctx, cur, ETHERTYPE_GSE);
}

const struct gs_dissector gs_goose_dissector = {
    .name = "goose",
    .transport = GS_TRANSPORT_L2,
    .ether_type = ETHERTYPE_GOOSE,
    .state_size = goose_state_size,
    .state_init = goose_state_init,
    .parse = goose_parse,
    .event_names = goose_event_names,
};

/* GSE management has its own EtherType; the same decoder, a distinct app_proto for stats. */
const struct gs_dissector gs_gse_dissector = {
    .name = "gse",
    .transport = GS_TRANSPORT_L2,
    .ether_type = ETHERTYPE_GSE,
    .state_size = goose_state_size,
    .state_init = goose_state_init,
    .parse = gse_parse,
    .event_names = goose_event_names,
};
