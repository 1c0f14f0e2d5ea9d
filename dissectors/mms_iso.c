/*
 * mms_iso.c - the OSI upper layers MMS rides on: ISO 8327-1 session (X.225), ISO 8823
 * presentation (X.226) and ISO 8650 ACSE (X.227), as IEC 61850-8-1 §6 profiles them.
 *
 *   session SPDU:  SI | LI (1 octet, or FF + 2) | parameters (LI octets) | [user information]
 *     data phase:  01 00 (Give Tokens) 01 00 (Data Transfer) <presentation user data>
 *     CN/AC/FN/DN/AB: user data in PGI 193 (C1) or 194 (C2); RF: reason in PI 50
 *   presentation:  CP/CPA  31 { A0 mode { 80 01 01 }, A2 { ..., A4 contexts, 61 user-data } }
 *                  user-data 61 { 30 { [06 syntax], 02 context-id, A0 <APDU or MMS PDU> } }
 *                  CPR 30 {...}   ARU A0 {...}   ARP 30 { 80 reason }
 *   ACSE:          60 AARQ | 61 AARE | 62 RLRQ | 63 RLRE | 64 ABRT, each with the MMS PDU in
 *                  user-information BE { 28 EXTERNAL { 02 context-id, A0 <MMS PDU> } }
 *
 * The presentation context identifiers a CP-PPDU negotiates for ACSE (2.2.1.0.1) and MMS
 * (1.0.9506.2.1) are kept per flow. Without them (a capture that starts mid-association) a
 * PDV is recognised by its content: ACSE APDUs are APPLICATION-class, MMS PDUs context-class.
 */
#include <string.h>

#include "ber.h"
#include "mms_int.h"

/* Session SPDU identifiers (ISO 8327-1 §8.3). */
#define SPDU_DT 1 /* Data Transfer, and Give Tokens with the same code */
#define SPDU_PT 2
#define SPDU_NF 8
#define SPDU_FN 9
#define SPDU_DN 10
#define SPDU_RF 12
#define SPDU_CN 13
#define SPDU_AC 14
#define SPDU_AB 25
#define SPDU_AA 26

/* Session parameter identifiers. */
#define SPI_TRANSPORT_DISCONNECT 17
#define SPI_REASON_CODE          50
#define SPGI_USER_DATA           193
#define SPGI_EXTENDED_USER_DATA  194
#define SLI_EXTENDED             0xFFu

/* Universal tags. */
#define TAG_INTEGER  2
#define TAG_OID      6
#define TAG_EXTERNAL 8
#define TAG_SEQUENCE 16
#define TAG_SET      17

/* Presentation tags. */
#define PRES_FULLY_ENCODED  1 /* [APPLICATION 1] fully-encoded-data, 61 */
#define PRES_SIMPLY_ENCODED 0 /* [APPLICATION 0] simply-encoded-data, 40 */

static const uint8_t oid_acse[] = {0x52, 0x01, 0x00, 0x01};      /* 2.2.1.0.1 */
static const uint8_t oid_mms[] = {0x28, 0xCA, 0x22, 0x02, 0x01}; /* 1.0.9506.2.1 */

bool gs_mms_is_spdu(uint8_t si)
{
    switch (si) {
    case SPDU_DT:
    case SPDU_PT:
    case SPDU_NF:
    case SPDU_FN:
    case SPDU_DN:
    case SPDU_RF:
    case SPDU_CN:
    case SPDU_AC:
    case SPDU_AB:
    case SPDU_AA:
        return true;
    default:
        return false;
    }
}

static struct gs_span span_of(struct gs_cursor v)
{
    return gs_cur_rest(&v);
}

static bool span_eq(struct gs_span s, const uint8_t *bytes, size_t n)
{
    return s.len == n && memcmp(s.ptr, bytes, n) == 0;
}

/* ---- ACSE --------------------------------------------------------------------------------- */

/* The OID inside an explicitly tagged AP-title / application-context-name ([n] { 06 ... }). */
static struct gs_span explicit_oid(struct gs_cursor v)
{
    struct gs_ber_tag tag;
    struct gs_cursor oid;
    struct gs_span none = {NULL, 0};
    if (!gs_ber_tlv(&v, &tag, &oid, 2, GS_MMS_BER) ||
        !gs_ber_is(&tag, GS_BER_UNIVERSAL, false, TAG_OID))
        return none;
    return span_of(oid);
}

/* The INTEGER inside an explicitly tagged AE-qualifier or result ([n] { 02 ... }). */
static bool explicit_int(struct gs_cursor v, int64_t *out)
{
    struct gs_ber_tag tag;
    struct gs_cursor i;
    return gs_ber_tlv(&v, &tag, &i, 2, GS_MMS_BER) &&
           gs_ber_is(&tag, GS_BER_UNIVERSAL, false, TAG_INTEGER) && gs_ber_int(i, out);
}

/* Authentication-value ([12] / [10] EXPLICIT CHOICE): its form only, never its content. */
static void auth_value(struct gs_mms_acse *a, struct gs_cursor v)
{
    struct gs_ber_tag tag;
    struct gs_cursor inner;
    a->auth_value_present = true;
    if (!gs_ber_tlv(&v, &tag, &inner, 2, GS_MMS_BER) || tag.cls != GS_BER_CONTEXT)
        return;
    static const enum gs_mms_auth_form forms[] = {GS_MMS_AUTH_CHARSTRING, GS_MMS_AUTH_BITSTRING,
                                                  GS_MMS_AUTH_EXTERNAL, GS_MMS_AUTH_OTHER};
    if (tag.number < sizeof(forms) / sizeof(forms[0]))
        a->auth_form = forms[tag.number];
}

/* user-information [30] { EXTERNAL { [06 direct], [02 indirect], A0 <single-ASN1-type> } }:
 * the MMS PDU it carries, if any. */
static bool user_information(struct gs_cursor v, struct gs_cursor *pdu)
{
    struct gs_ber_tag tag, et;
    struct gs_cursor ext, part;
    if (!gs_ber_tlv(&v, &tag, &ext, 2, GS_MMS_BER) ||
        !gs_ber_is(&tag, GS_BER_UNIVERSAL, true, TAG_EXTERNAL))
        return false;
    while (gs_cur_wire_remaining(&ext) > 0 && gs_ber_tlv(&ext, &et, &part, 3, GS_MMS_BER)) {
        if (et.cls == GS_BER_CONTEXT && (et.number == 0 || et.number == 1)) {
            *pdu = part; /* single-ASN1-type [0] or octet-aligned [1] */
            return true;
        }
    }
    return false;
}

/* Decodes an ACSE APDU and emits its event (with the MMS PDU it carries, if any). Returns
 * false if the cursor does not hold one. */
static bool acse(const struct gs_mms_tsdu *t, struct gs_cursor cur, enum gs_mms_path path)
{
    struct gs_ber_tag tag;
    struct gs_cursor body;
    if (!gs_ber_tlv(&cur, &tag, &body, 0, GS_MMS_BER) || tag.cls != GS_BER_APPLICATION ||
        !tag.constructed || tag.number > GS_MMS_ACSE_ABRT) {
        gs_mms_anomaly(t, GS_MMS_AN_ACSE, GS_ANOMALY_MALFORMED, "not an ACSE APDU");
        return false;
    }
    struct gs_mms_acse a;
    memset(&a, 0, sizeof(a));
    a.pdu = (enum gs_mms_acse_pdu)tag.number;
    struct gs_cursor mms;
    bool has_mms = false;
    bool aarq = a.pdu == GS_MMS_ACSE_AARQ, aare = a.pdu == GS_MMS_ACSE_AARE;
    while (gs_cur_wire_remaining(&body) > 0) {
        struct gs_ber_tag ft;
        struct gs_cursor v;
        if (!gs_ber_tlv(&body, &ft, &v, 1, GS_MMS_BER))
            break;
        if (ft.cls != GS_BER_CONTEXT)
            continue;
        int64_t n;
        uint32_t f = ft.number;
        if (f == 30 && ft.constructed) {
            has_mms = user_information(v, &mms);
        } else if ((aarq || aare) && f == 1) {
            a.app_context = explicit_oid(v);
        } else if (aarq && f == 2) {
            a.called_ap_title = explicit_oid(v);
        } else if (aarq && f == 3) {
            a.has_called_ae_qualifier = explicit_int(v, &a.called_ae_qualifier);
        } else if (aarq && f == 6) {
            a.calling_ap_title = explicit_oid(v);
        } else if (aarq && f == 7) {
            a.has_calling_ae_qualifier = explicit_int(v, &a.calling_ae_qualifier);
        } else if ((aarq && f == 11) || (aare && f == 9)) {
            a.auth_mechanism = span_of(v);
        } else if ((aarq && f == 12) || (aare && f == 10)) {
            auth_value(&a, v);
        } else if (aare && f == 2 && explicit_int(v, &n)) {
            a.has_result = n >= 0 && n <= UINT32_MAX;
            a.result = (uint32_t)n;
        } else if (aare && f == 3) {
            struct gs_ber_tag st;
            struct gs_cursor sv;
            if (gs_ber_tlv(&v, &st, &sv, 2, GS_MMS_BER) && st.cls == GS_BER_CONTEXT &&
                explicit_int(sv, &n) && n >= 0 && n <= UINT32_MAX) {
                a.has_diagnostic = true;
                a.diagnostic_provider = st.number == 2;
                a.diagnostic = (uint32_t)n;
            }
        } else if (aare && f == 4) {
            a.responding_ap_title = explicit_oid(v);
        } else if (aare && f == 5) {
            a.has_responding_ae_qualifier = explicit_int(v, &a.responding_ae_qualifier);
        } else if ((a.pdu == GS_MMS_ACSE_RLRQ || a.pdu == GS_MMS_ACSE_RLRE) && f == 0) {
            a.has_reason = gs_ber_int(v, &a.reason);
        } else if (a.pdu == GS_MMS_ACSE_ABRT && f <= 1 && gs_ber_int(v, &n) && n >= 0 &&
                   n <= UINT32_MAX) {
            if (f == 0) {
                a.has_abort_source = true;
                a.abort_source = (uint32_t)n;
            } else {
                a.has_abort_diagnostic = true;
                a.abort_diagnostic = (uint32_t)n;
            }
        }
    }
    if (!gs_cur_ok(&body))
        gs_mms_anomaly(t, GS_MMS_AN_ACSE, GS_ANOMALY_MALFORMED, "bad ACSE field");
    if (has_mms)
        gs_mms_emit_pdu(t, path, mms, &a);
    else
        gs_mms_emit_acse(t, path, &a);
    return true;
}

/* ---- presentation ------------------------------------------------------------------------- */

/* One presentation data value: by its negotiated context if known, else by content. */
static void pdv(const struct gs_mms_tsdu *t, bool has_id, int64_t id, struct gs_cursor value)
{
    const struct gs_mms_state *st = t->st;
    bool negotiated = st->ctx_acse >= 0 || st->ctx_mms >= 0;
    if (has_id && st->ctx_acse >= 0 && id == st->ctx_acse) {
        acse(t, value, GS_MMS_PATH_PRESENTATION);
        return;
    }
    if (has_id && st->ctx_mms >= 0 && id == st->ctx_mms) {
        gs_mms_emit_pdu(t, GS_MMS_PATH_PRESENTATION, value, NULL);
        return;
    }
    if (negotiated)
        gs_mms_anomaly(t, GS_MMS_AN_NOT_NEGOTIATED, GS_ANOMALY_SEQUENCE,
                       "presentation context the CP-PPDU did not define");
    uint8_t id0;
    if (gs_cur_peek_at(&value, 0, &id0) && id0 >= GS_BER_ID(GS_BER_APPLICATION, true, 0) &&
        id0 <= GS_BER_ID(GS_BER_APPLICATION, true, GS_MMS_ACSE_ABRT)) {
        acse(t, value, GS_MMS_PATH_PROBED);
    } else if (gs_mms_pdu_probe(&value)) {
        gs_mms_emit_pdu(t, GS_MMS_PATH_PROBED, value, NULL);
    } else {
        gs_mms_anomaly(t, GS_MMS_AN_UNKNOWN, GS_ANOMALY_MALFORMED,
                       "presentation data is neither ACSE nor MMS");
    }
}

/* User-data: 61 fully-encoded { PDV-list ... } or 40 simply-encoded OCTET STRING. */
static void user_data(const struct gs_mms_tsdu *t, struct gs_cursor cur)
{
    struct gs_ber_tag tag;
    struct gs_cursor v;
    if (!gs_ber_tlv(&cur, &tag, &v, 0, GS_MMS_BER) || tag.cls != GS_BER_APPLICATION) {
        gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED, "bad user data");
        return;
    }
    if (tag.number == PRES_SIMPLY_ENCODED && !tag.constructed) {
        pdv(t, false, 0, v);
        return;
    }
    if (tag.number != PRES_FULLY_ENCODED || !tag.constructed) {
        gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED, "bad user data");
        return;
    }
    while (gs_cur_wire_remaining(&v) > 0) {
        struct gs_ber_tag lt;
        struct gs_cursor list;
        if (!gs_ber_tlv(&v, &lt, &list, 1, GS_MMS_BER) ||
            !gs_ber_is(&lt, GS_BER_UNIVERSAL, true, TAG_SEQUENCE)) {
            gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED, "bad PDV-list");
            return;
        }
        bool has_id = false;
        int64_t id = 0;
        while (gs_cur_wire_remaining(&list) > 0) {
            struct gs_ber_tag ft;
            struct gs_cursor fv;
            if (!gs_ber_tlv(&list, &ft, &fv, 2, GS_MMS_BER)) {
                gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED, "bad PDV-list");
                return;
            }
            if (gs_ber_is(&ft, GS_BER_UNIVERSAL, false, TAG_INTEGER))
                has_id = gs_ber_int(fv, &id);
            else if (ft.cls == GS_BER_CONTEXT && (ft.number == 0 || ft.number == 1))
                pdv(t, has_id, id, fv);
        }
    }
}

/* presentation-context-definition-list: SEQUENCE OF { 02 id, 06 abstract-syntax, 30 ... }. */
static void context_list(struct gs_cursor v, int64_t *acse_id, int64_t *mms_id)
{
    while (gs_cur_wire_remaining(&v) > 0) {
        struct gs_ber_tag tag;
        struct gs_cursor item;
        if (!gs_ber_tlv(&v, &tag, &item, 3, GS_MMS_BER))
            return;
        bool has_id = false;
        int64_t id = 0;
        struct gs_span syntax = {NULL, 0};
        while (gs_cur_wire_remaining(&item) > 0) {
            struct gs_ber_tag ft;
            struct gs_cursor fv;
            if (!gs_ber_tlv(&item, &ft, &fv, 4, GS_MMS_BER))
                break;
            if (gs_ber_is(&ft, GS_BER_UNIVERSAL, false, TAG_INTEGER))
                has_id = gs_ber_int(fv, &id);
            else if (gs_ber_is(&ft, GS_BER_UNIVERSAL, false, TAG_OID) && syntax.len == 0)
                syntax = span_of(fv);
        }
        if (!has_id || id < 0)
            continue;
        if (span_eq(syntax, oid_acse, sizeof(oid_acse)))
            *acse_id = id;
        else if (span_eq(syntax, oid_mms, sizeof(oid_mms)))
            *mms_id = id;
    }
}

/* CP-type / CPA-PPDU: SET { A0 mode-selector, A2 normal-mode-parameters { ... } }. */
static void connect_ppdu(const struct gs_mms_tsdu *t, struct gs_cursor cur, bool request)
{
    struct gs_ber_tag tag;
    struct gs_cursor set;
    if (!gs_ber_tlv(&cur, &tag, &set, 0, GS_MMS_BER) ||
        !gs_ber_is(&tag, GS_BER_UNIVERSAL, true, TAG_SET)) {
        gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED,
                       request ? "CP-PPDU is not a SET" : "CPA-PPDU is not a SET");
        return;
    }
    int64_t acse_id = -1, mms_id = -1;
    struct gs_cursor ud;
    bool has_ud = false;
    while (gs_cur_wire_remaining(&set) > 0) {
        struct gs_ber_tag ft;
        struct gs_cursor fv;
        if (!gs_ber_tlv(&set, &ft, &fv, 1, GS_MMS_BER))
            break;
        if (ft.cls != GS_BER_CONTEXT || ft.number != 2 || !ft.constructed)
            continue;
        while (gs_cur_wire_remaining(&fv) > 0) { /* normal-mode-parameters */
            struct gs_ber_tag pt;
            struct gs_cursor pv;
            struct gs_cursor at = fv;
            if (!gs_ber_tlv(&fv, &pt, &pv, 2, GS_MMS_BER))
                break;
            if (request && pt.cls == GS_BER_CONTEXT && pt.number == 4 && pt.constructed) {
                context_list(pv, &acse_id, &mms_id);
            } else if (pt.cls == GS_BER_APPLICATION) {
                ud = at;
                has_ud = true;
            }
        }
        if (!gs_cur_ok(&fv))
            break;
    }
    if (!gs_cur_ok(&set)) {
        gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED, "bad connect PPDU");
        return;
    }
    if (request) {
        /* A new association: its contexts replace any earlier ones on this flow. */
        t->st->ctx_acse = acse_id;
        t->st->ctx_mms = mms_id;
    }
    if (has_ud)
        user_data(t, ud);
}

/* CPR-PPDU normal mode: SEQUENCE { ..., [10] provider-reason, user-data }: only the ACSE
 * APDU it may carry is reported (the session refusal is its own event). */
static void refuse_ppdu(const struct gs_mms_tsdu *t, struct gs_cursor cur)
{
    struct gs_ber_tag tag;
    struct gs_cursor seq;
    if (!gs_ber_tlv(&cur, &tag, &seq, 0, GS_MMS_BER) ||
        !gs_ber_is(&tag, GS_BER_UNIVERSAL, true, TAG_SEQUENCE))
        return;
    while (gs_cur_wire_remaining(&seq) > 0) {
        struct gs_ber_tag ft;
        struct gs_cursor fv;
        struct gs_cursor at = seq;
        if (!gs_ber_tlv(&seq, &ft, &fv, 1, GS_MMS_BER))
            return;
        if (ft.cls == GS_BER_APPLICATION)
            user_data(t, at);
    }
}

/*
 * Reads a TLV whose length may overrun the cursor: the contents are then clamped to what is
 * left (*clamped set). libiec61850 writes its ARU-PPDU two octets too long, and tshark
 * decodes the ACSE abort inside it all the same. Only single-octet identifiers and lengths of
 * at most two octets are accepted this way.
 */
static bool lenient_tlv(struct gs_cursor *cur, struct gs_ber_tag *tag, struct gs_cursor *val,
                        bool *clamped)
{
    struct gs_cursor c = *cur;
    *clamped = false;
    if (gs_ber_tlv(&c, tag, val, 0, GS_MMS_BER)) {
        *cur = c;
        return true;
    }
    uint8_t id = gs_cur_u8(cur);
    uint8_t first = gs_cur_u8(cur);
    size_t len = first;
    if (first == 0x81)
        len = gs_cur_u8(cur);
    else if (first == 0x82)
        len = gs_cur_be16(cur);
    else if (first > 0x7F)
        return false;
    if (!gs_cur_ok(cur) || (id & 0x1Fu) == 0x1Fu || len <= gs_cur_wire_remaining(cur))
        return false;
    tag->cls = (enum gs_ber_class)(id >> 6);
    tag->constructed = (id & 0x20u) != 0;
    tag->number = id & 0x1Fu;
    tag->indefinite = false;
    *val = gs_cur_sub(cur, gs_cur_wire_remaining(cur));
    *clamped = true;
    return gs_cur_ok(val);
}

/* Abort-type: ARU A0 { [A0 context list], user-data } or ARP 30 { [80 reason], [81 event] }. */
static void abort_ppdu(const struct gs_mms_tsdu *t, struct gs_cursor cur)
{
    struct gs_ber_tag tag;
    struct gs_cursor body;
    bool clamped;
    if (!lenient_tlv(&cur, &tag, &body, &clamped) || !tag.constructed) {
        gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED, "bad abort PPDU");
        return;
    }
    if (clamped)
        gs_mms_anomaly(t, GS_MMS_AN_PRESENTATION, GS_ANOMALY_MALFORMED,
                       "abort PPDU longer than its user data");
    if (gs_ber_is(&tag, GS_BER_UNIVERSAL, true, TAG_SEQUENCE)) {
        struct gs_mms_iso iso = {.pdu = GS_MMS_ISO_PRES_ARP};
        struct gs_ber_tag ft;
        struct gs_cursor fv;
        int64_t n;
        while (gs_cur_wire_remaining(&body) > 0 && gs_ber_tlv(&body, &ft, &fv, 1, GS_MMS_BER)) {
            if (ft.cls == GS_BER_CONTEXT && ft.number == 0 && gs_ber_int(fv, &n) && n >= 0 &&
                n <= UINT32_MAX) {
                iso.has_reason = true;
                iso.reason = (uint32_t)n;
            }
        }
        gs_mms_emit_iso(t, &iso);
        return;
    }
    bool carried = false;
    while (gs_cur_wire_remaining(&body) > 0) {
        struct gs_ber_tag ft;
        struct gs_cursor fv;
        struct gs_cursor at = body;
        if (!gs_ber_tlv(&body, &ft, &fv, 1, GS_MMS_BER))
            break;
        if (ft.cls == GS_BER_APPLICATION) {
            user_data(t, at);
            carried = true;
        }
    }
    if (!carried) {
        struct gs_mms_iso iso = {.pdu = GS_MMS_ISO_SES_AB};
        gs_mms_emit_iso(t, &iso);
    }
}

/* ---- session ------------------------------------------------------------------------------ */

struct spdu_params {
    bool has_user;
    struct gs_cursor user;
    size_t user_off; /* where the user data starts, from the start of the parameters */
    bool has_reason;
    uint8_t reason;
    bool has_disconnect;
    uint8_t disconnect;
    bool bad;
};

/* Whether the cursor starts with a whole BER TLV. */
static bool tlv_fits(struct gs_cursor c)
{
    struct gs_ber_tag tag;
    struct gs_cursor v;
    return gs_ber_tlv(&c, &tag, &v, 0, GS_MMS_BER);
}

/* Reads an SPDU's or parameter's length indicator: one octet, or FF and two more. */
static size_t session_li(struct gs_cursor *cur)
{
    size_t li = gs_cur_u8(cur);
    if (li == SLI_EXTENDED)
        li = gs_cur_be16(cur);
    return li;
}

static void spdu_params(struct gs_cursor p, struct spdu_params *out)
{
    memset(out, 0, sizeof(*out));
    while (gs_cur_wire_remaining(&p) > 0) {
        uint8_t code = gs_cur_u8(&p);
        size_t len = session_li(&p);
        struct gs_cursor v = gs_cur_sub(&p, len);
        if (!gs_cur_ok(&p)) {
            out->bad = true;
            return;
        }
        if (code == SPGI_USER_DATA || code == SPGI_EXTENDED_USER_DATA) {
            out->has_user = true;
            out->user = v;
            out->user_off = gs_cur_pos(&p) - len;
            if (len == 0 && gs_cur_wire_remaining(&p) > 0) {
                /* An empty User Data PGI followed by the PPDU (seen from a server in the ITI
                 * captures, which tshark reports as malformed): the rest is the user data. */
                out->user_off = gs_cur_pos(&p);
                out->user = gs_cur_sub(&p, gs_cur_wire_remaining(&p));
                out->bad = true;
            }
        } else if (code == SPI_REASON_CODE && len >= 1) {
            out->has_reason = true;
            out->reason = gs_cur_u8(&v);
            if (gs_cur_wire_remaining(&v) > 0) {
                out->has_user = true;
                out->user = v;
            }
        } else if (code == SPI_TRANSPORT_DISCONNECT && len >= 1) {
            out->has_disconnect = true;
            out->disconnect = gs_cur_u8(&v);
        }
    }
}

bool gs_mms_session(const struct gs_mms_tsdu *t, struct gs_cursor tsdu)
{
    bool first = true;
    while (gs_cur_wire_remaining(&tsdu) > 0) {
        uint8_t si = gs_cur_u8(&tsdu);
        size_t li = session_li(&tsdu);
        if (!gs_cur_ok(&tsdu) || !gs_mms_is_spdu(si)) {
            if (!first)
                gs_mms_anomaly(t, GS_MMS_AN_SESSION, GS_ANOMALY_MALFORMED, "bad SPDU header");
            return !first;
        }
        if (li > gs_cur_wire_remaining(&tsdu)) {
            gs_mms_anomaly(t, GS_MMS_AN_SESSION, GS_ANOMALY_MALFORMED,
                           "SPDU length runs past the TSDU");
            li = gs_cur_wire_remaining(&tsdu);
        }
        struct gs_cursor at_params = tsdu;
        struct gs_cursor params = gs_cur_sub(&tsdu, li);
        first = false;
        struct spdu_params sp;
        if (si == SPDU_DT) {
            uint8_t next;
            /* Give Tokens is followed by the Data Transfer SPDU of the same code. */
            if (gs_cur_peek_at(&tsdu, 0, &next) && next == SPDU_DT &&
                gs_cur_wire_remaining(&tsdu) >= 2)
                continue;
            if (gs_cur_wire_remaining(&tsdu) > 0)
                user_data(t, gs_cur_sub(&tsdu, gs_cur_wire_remaining(&tsdu)));
            return true;
        }
        spdu_params(params, &sp);
        if (sp.bad)
            gs_mms_anomaly(t, GS_MMS_AN_SESSION, GS_ANOMALY_MALFORMED, "bad SPDU parameter");
        if (sp.has_user && !tlv_fits(sp.user)) {
            /* The PPDU runs past its parameter (libiec61850's abort SPDU counts two octets
             * short): take it from its start to the end of the TSDU if it fits there. */
            struct gs_cursor rest = at_params;
            gs_cur_skip(&rest, sp.user_off);
            struct gs_cursor ext = gs_cur_sub(&rest, gs_cur_wire_remaining(&rest));
            if (tlv_fits(ext)) {
                gs_mms_anomaly(t, GS_MMS_AN_SESSION, GS_ANOMALY_MALFORMED,
                               "user data runs past its parameter");
                sp.user = ext;
            }
        }
        switch (si) {
        case SPDU_CN:
        case SPDU_AC:
            if (sp.has_user)
                connect_ppdu(t, sp.user, si == SPDU_CN);
            break;
        case SPDU_FN:
        case SPDU_DN:
            if (sp.has_user)
                user_data(t, sp.user);
            break;
        case SPDU_RF: {
            struct gs_mms_iso iso = {
                .pdu = GS_MMS_ISO_SES_RF, .has_reason = sp.has_reason, .reason = sp.reason};
            gs_mms_emit_iso(t, &iso);
            if (sp.has_user)
                refuse_ppdu(t, sp.user);
            break;
        }
        case SPDU_AB:
            if (sp.has_user && gs_cur_wire_remaining(&sp.user) > 0) {
                abort_ppdu(t, sp.user);
            } else {
                struct gs_mms_iso iso = {.pdu = GS_MMS_ISO_SES_AB,
                                         .has_reason = sp.has_disconnect,
                                         .reason = sp.disconnect};
                gs_mms_emit_iso(t, &iso);
            }
            break;
        default:
            break;
        }
    }
    return !first;
}
