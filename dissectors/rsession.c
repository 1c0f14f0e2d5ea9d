/*
 * rsession.c - R-GOOSE / R-SV session protocol, IEC TR 61850-90-5:2012 §11 (version 1) and
 * IEC 61850-8-1 Ed.2.1 (version 2), on UDP 102 after an ISO 8602 CLTP unit-data header; layouts
 * from ../shared/specs/iec62351_6.md §3 (v1 checked against 691 signed real SPDUs), parsed with
 * its tolerant strategy §5.
 *
 *   | 01 40 | SI | LI | 80 | LI | SPDU len 4 | SPDU num 4 | version 2 | TimeOfCurrentKey 4 |
 *   | TimeToNextKey 2 | v1: enc alg 1 | MAC alg 1 | Key ID 4 ||| v2: Key ID 4 | IV len 1 | IV |
 *   | payload len 4 | elements ... | [AF LL padding] | [85 LL MAC  or legacy 85 MAC] |
 *
 *   element: tag 1 | sim 1 | APPID 2 | APDU len 2 | APDU (61.. GOOSE / 60.. SV)
 *   tunnel:  83 | sim 1 | APPID 2 | dst MAC 6 | TPID 2 | TCI 2 | len 2 | EtherType 2 | frame
 *
 * Framing uses the payload-length field and each APDU's own BER length (writers disagree on
 * the SPDU length and on whether the APDU length counts 2 extra octets); the LI values and the
 * SPDU length are cross-checked and reported, never trusted. GOOSE and SV APDUs go to the
 * decoders of goose.c and sv.c. Datagrams are stateless: the flow's state is scratch space.
 */
#include "rsession.h"

#include <stdalign.h>
#include <string.h>

#include "ber.h"
#include "goose.h"
#include "iec61850_l2.h"
#include "iec62351_6.h"
#include "names.h"
#include "sv.h"

#define CLTP_UD            0x40u
#define COMMON_HDR_TAG     0x80u
#define PADDING_TAG        0xAFu
#define SIGNATURE_TAG      0x85u
#define ETHERTYPE_GOOSE    0x88B8u
#define ETHERTYPE_GSE      0x88B9u
#define ETHERTYPE_SV       0x88BAu
#define KEY_ID_LEN         4u
#define GCM_IV_LEN         12u
#define ELEMENT_HDR_LEN    6u  /* tag, sim, APPID, APDU length */
#define TUNNEL_HDR_LEN     18u /* tag, sim, APPID, dst MAC, TPID, TCI, length, EtherType */
/* Common header content: SPDU len, SPDU num, version, TOCK, TTNK + v1 algs and key id (12) or
 * v2 key id and IV length (5 + IV). */
#define COMMON_FIXED_LEN   16u
#define COMMON_V1_LEN      (COMMON_FIXED_LEN + 6u)
#define COMMON_V2_LEN      (COMMON_FIXED_LEN + 5u)
#define LIBIEC_SPDU_BASE   20u
#define SPDU_LEN_FIELD_END 8u /* from SI: SI, LI, 80, LI, SPDU length */
#define SI_LI_LEN          2u

struct rs_state {
    struct gs_data_node *nodes;
    size_t node_cap;
    struct gs_sv_asdu *asdus;
    size_t asdu_cap;
};

/* The state is one block: the header, then the allData nodes, then the SV ASDUs. */
#define ALIGN_UP(n, a) (((n) + (a)-1u) / (a) * (a))

static const char *const rsession_event_names[] = {
    GS_RSESSION_ANOMALY_NAMES, GS_GOOSE_ANOMALY_NAMES, GS_SV_ANOMALY_NAMES, NULL};

static const struct gs_name_map si_names[] = {
    {GS_RSESSION_SI_TUNNEL, "tunnel"},
    {GS_RSESSION_SI_GOOSE, "goose"},
    {GS_RSESSION_SI_SV, "sv"},
    {GS_RSESSION_SI_MNGT, "management"},
    {0, NULL},
};

const char *gs_rsession_si_name(uint8_t si)
{
    return gs_name_lookup(si_names, si, NULL);
}

static bool si_valid(uint8_t si)
{
    return si >= GS_RSESSION_SI_TUNNEL && si <= GS_RSESSION_SI_MNGT;
}

static bool is_tunnel(uint8_t tag)
{
    return tag == GS_RSESSION_EL_TUNNEL || tag == GS_RSESSION_EL_TUNNEL_TMW;
}

static bool element_tag_valid(uint8_t tag)
{
    return tag >= GS_RSESSION_EL_TUNNEL_TMW && tag <= GS_RSESSION_EL_MNGT;
}

/* The element tag an SI leads one to expect (the tunnel has two spellings). */
static bool element_matches_si(uint8_t si, uint8_t tag)
{
    switch (si) {
    case GS_RSESSION_SI_TUNNEL:
        return is_tunnel(tag);
    case GS_RSESSION_SI_GOOSE:
        return tag == GS_RSESSION_EL_GOOSE;
    case GS_RSESSION_SI_SV:
        return tag == GS_RSESSION_EL_SV;
    default:
        return tag == GS_RSESSION_EL_MNGT || tag == GS_RSESSION_EL_TUNNEL;
    }
}

struct spdu {
    const struct gs_pkt_ctx *ctx;
    struct rs_state *st;
    struct gs_cursor all; /* the whole UDP payload, position 0 */
    struct gs_rsession s;
    struct gs_sec_info sec;
    size_t payload_end; /* offset after the last element */
    size_t sig_offset;  /* where the signature element starts (or the end) */
    size_t events;      /* events emitted for this SPDU */
};

static void anomaly(const struct spdu *p, const char *name, enum gs_anomaly_kind kind,
                    const char *detail)
{
    gs_emit_anomaly(p->ctx, name, kind, detail);
}

static void emit_goose(const struct gs_pkt_ctx *ctx, const struct gs_goose_event *ev)
{
    gs_emit(ctx, GS_EVENT_GOOSE, ev);
}

/* An event with no PDU for an SPDU whose elements carry no GOOSE or SV APDU. */
static void emit_session_only(struct spdu *p, uint16_t appid, bool simulated)
{
    if (p->s.si == GS_RSESSION_SI_SV) {
        struct gs_sv_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.session = &p->s;
        ev.security = &p->sec;
        ev.appid = appid;
        ev.simulated = simulated;
        ev.asdus = p->st->asdus;
        gs_emit(p->ctx, GS_EVENT_SV, &ev);
    } else {
        struct gs_goose_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.session = &p->s;
        ev.security = &p->sec;
        ev.appid = appid;
        ev.simulated = simulated;
        emit_goose(p->ctx, &ev);
    }
    p->events++;
}

/* A view of octets [from, to) of the SPDU, {NULL, 0} unless all were captured. */
static struct gs_span spdu_span(const struct spdu *p, size_t from, size_t to)
{
    struct gs_span none = {NULL, 0};
    if (to < from)
        return none;
    struct gs_cursor c = p->all;
    gs_cur_skip(&c, from);
    return gs_cur_span(&c, to - from);
}

/*
 * The octets a tunnel element carries: a whole layer-2 frame after its EtherType (APPID
 * first), handed to the layer-2 decoders with the session's security record.
 */
static void tunnel_element(struct spdu *p, struct gs_cursor *payload, uint8_t sim, uint16_t appid)
{
    struct gs_rsession *s = &p->s;
    s->tunnel = true;
    gs_cur_copy(payload, s->tunnel_dst_mac, sizeof(s->tunnel_dst_mac));
    s->tunnel_tpid = gs_cur_be16(payload);
    s->tunnel_tci = gs_cur_be16(payload);
    uint16_t len = gs_cur_be16(payload);
    s->tunnel_ether_type = gs_cur_be16(payload);
    s->element_apdu_len = len;
    if (!gs_cur_ok(payload)) {
        anomaly(p, "rsession.bad_element", GS_ANOMALY_MALFORMED, "tunnel header cut short");
        return;
    }
    size_t have = gs_cur_wire_remaining(payload);
    if (len > have) {
        anomaly(p, "rsession.element_length", GS_ANOMALY_MALFORMED,
                "tunnelled frame runs past the payload");
        len = (uint16_t)have;
    }
    struct gs_cursor frame = gs_cur_sub(payload, len);
    switch (s->tunnel_ether_type) {
    case ETHERTYPE_GOOSE:
    case ETHERTYPE_GSE:
        p->events += gs_goose_decode_l2(p->ctx, frame, s->tunnel_ether_type, s, &p->sec,
                                        p->st->nodes, p->st->node_cap);
        break;
    case ETHERTYPE_SV:
        p->events += gs_sv_decode_l2(p->ctx, frame, s, &p->sec, p->st->asdus, p->st->asdu_cap);
        break;
    default:
        emit_session_only(p, appid, sim != 0);
        break;
    }
}

/* Octets of the BER TLV at the cursor (its header and contents), 0 if unreadable. */
static size_t ber_tlv_size(struct gs_cursor c)
{
    struct gs_ber_tag t;
    struct gs_cursor v;
    size_t start = gs_cur_pos(&c);
    bool overrun;
    if (!gs_l2pdu_tlv(&c, &t, &v, &overrun, 0) || overrun)
        return 0;
    return gs_cur_pos(&c) - start;
}

/* A GOOSE/SV/management element: its APDU's end comes from the APDU's own BER length. */
static void apdu_element(struct spdu *p, struct gs_cursor *payload, uint8_t tag, uint8_t sim,
                         uint16_t appid)
{
    struct gs_rsession *s = &p->s;
    uint16_t apdu_len = gs_cur_be16(payload);
    s->element_apdu_len = apdu_len;
    if (!gs_cur_ok(payload)) {
        anomaly(p, "rsession.bad_element", GS_ANOMALY_MALFORMED, "element header cut short");
        return;
    }
    size_t have = gs_cur_wire_remaining(payload);
    size_t ber = tag == GS_RSESSION_EL_MNGT ? 0 : ber_tlv_size(*payload);
    size_t len = apdu_len;
    if (ber != 0 && ber <= have) {
        if ((size_t)apdu_len == ber + 2) {
            s->element_len_plus2 = true;
        } else if ((size_t)apdu_len != ber) {
            anomaly(p, "rsession.element_length", GS_ANOMALY_MALFORMED,
                    "APDU length differs from the APDU's BER length");
        }
        len = ber;
    } else if (len > have) {
        anomaly(p, "rsession.element_length", GS_ANOMALY_MALFORMED,
                "APDU length runs past the payload");
        len = have;
    }
    struct gs_cursor apdu = gs_cur_sub(payload, len);
    if (tag == GS_RSESSION_EL_GOOSE) {
        p->events += gs_goose_decode_element(p->ctx, apdu, appid, sim != 0, s, &p->sec,
                                             p->st->nodes, p->st->node_cap);
    } else if (tag == GS_RSESSION_EL_SV) {
        p->events += gs_sv_decode_element(p->ctx, apdu, appid, sim != 0, s, &p->sec, p->st->asdus,
                                          p->st->asdu_cap);
    } else {
        emit_session_only(p, appid, sim != 0);
    }
}

/* Walks the payload elements; each emits its events with the session record. */
static void walk_elements(struct spdu *p, struct gs_cursor payload)
{
    struct gs_rsession *s = &p->s;
    while (gs_cur_wire_remaining(&payload) > 0) {
        uint8_t tag = gs_cur_u8(&payload);
        uint8_t sim = gs_cur_u8(&payload);
        uint16_t appid = gs_cur_be16(&payload);
        if (!gs_cur_ok(&payload)) {
            anomaly(p, "rsession.bad_element", GS_ANOMALY_MALFORMED, "element header cut short");
            return;
        }
        if (!element_tag_valid(tag)) {
            anomaly(p, "rsession.bad_element", GS_ANOMALY_MALFORMED, "element tag outside 80..84");
            return;
        }
        if (!element_matches_si(s->si, tag))
            anomaly(p, "rsession.element_si_mismatch", GS_ANOMALY_MALFORMED,
                    "payload element of another kind than the SI");
        s->element_index = s->n_elements++;
        s->element_tag = tag;
        s->element_sim = sim;
        s->element_appid = appid;
        s->element_apdu_len = 0;
        s->element_len_plus2 = false;
        s->tunnel = false;
        if (is_tunnel(tag))
            tunnel_element(p, &payload, sim, appid);
        else
            apdu_element(p, &payload, tag, sim, appid);
    }
}

/* After the elements: optional AF padding, the signature, and at most a lone 00. */
static void read_trailer(struct spdu *p, struct gs_cursor *c)
{
    struct gs_rsession *s = &p->s;
    struct gs_sec_info *sec = &p->sec;
    uint8_t b;
    if (gs_cur_peek_at(c, 0, &b) && b == PADDING_TAG) {
        gs_cur_skip(c, 1);
        uint8_t len = gs_cur_u8(c);
        s->padding = gs_cur_span(c, len);
        s->has_padding = gs_cur_ok(c);
        if (!s->has_padding)
            anomaly(p, "rsession.bad_signature", GS_ANOMALY_MALFORMED,
                    "padding runs past the SPDU");
    }
    p->sig_offset = gs_cur_pos(c);
    size_t rest = gs_cur_remaining(c);
    if (gs_cur_peek_at(c, 0, &b) && b == SIGNATURE_TAG) {
        gs_cur_skip(c, 1);
        rest--;
        uint8_t ll = 0;
        bool has_ll = gs_cur_peek_at(c, 0, &ll);
        /* With a v1 MAC algorithm the length decides (a MAC may start with the octet that
         * would be its own length); otherwise a matching length octet does. */
        size_t implied = gs_sec_alg_tag_len(sec->algorithm);
        bool tlv, legacy;
        if (implied != 0 && (rest == implied || rest == implied + 1)) {
            tlv = rest == implied + 1 && has_ll && (size_t)ll == implied;
            legacy = !tlv && rest == implied;
        } else {
            tlv = has_ll && rest >= 1 && (size_t)ll == rest - 1;
            legacy = !tlv && implied == 0 && (rest == 8 || rest == 10 || rest == 16 || rest == 32);
        }
        if (tlv) {
            gs_cur_skip(c, 1);
            sec->tag = gs_cur_span(c, ll);
            sec->sig_form = GS_SEC_SIG_TLV;
        } else if (legacy) {
            sec->tag = gs_cur_span(c, rest);
            sec->sig_form = GS_SEC_SIG_LEGACY;
        } else {
            anomaly(p, "rsession.bad_signature", GS_ANOMALY_MALFORMED,
                    "signature length fits neither 85 LL MAC nor the algorithm's 85 MAC");
            sec->tag = gs_cur_span(c, rest);
            sec->sig_form = GS_SEC_SIG_TLV;
        }
        if (implied != 0 && sec->tag.len != implied)
            anomaly(p, "rsession.bad_signature", GS_ANOMALY_MALFORMED,
                    "MAC length differs from the MAC algorithm's");
        sec->present = true;
        return;
    }
    if (sec->algorithm != GS_SEC_ALG_NONE && sec->algorithm != GS_SEC_ALG_BY_KEY)
        anomaly(p, "rsession.missing_signature", GS_ANOMALY_MALFORMED,
                "MAC algorithm set but no signature element");
    if (rest == 1 && gs_cur_peek_at(c, 0, &b) && b == 0) {
        s->trailing_zero = true;
        gs_cur_skip(c, 1);
    } else if (rest > 0) {
        anomaly(p, "rsession.trailing_bytes", GS_ANOMALY_MALFORMED,
                "octets after the payload that are no padding or signature");
        gs_cur_rest(c);
    }
}

/* Which SPDU-length readings fit; none fitting is reported. `end` is where the SPDU ends. */
static void check_spdu_len(struct spdu *p, size_t end)
{
    struct gs_rsession *s = &p->s;
    uint64_t len = s->spdu_len;
    size_t field_end = s->si_offset + SPDU_LEN_FIELD_END;
    bool signed_ = p->sec.sig_form != GS_SEC_SIG_NONE;
    size_t unsigned_end = signed_ ? p->sig_offset : end;
    uint32_t fits = 0;
    /* After the field, to the end of the payload or of everything but the signature. */
    if ((p->payload_end >= field_end && len == p->payload_end - field_end) ||
        (unsigned_end >= field_end && len == unsigned_end - field_end))
        fits |= GS_RSESSION_SPDU_LEN_AFTER_FIELD;
    if (p->payload_end >= s->si_offset + SI_LI_LEN &&
        len == p->payload_end - s->si_offset - SI_LI_LEN)
        fits |= GS_RSESSION_SPDU_LEN_FROM_SI_LI;
    if (signed_ && end >= field_end && len == end - field_end)
        fits |= GS_RSESSION_SPDU_LEN_WITH_SIG;
    if (len == (uint64_t)LIBIEC_SPDU_BASE + s->payload_len)
        fits |= GS_RSESSION_SPDU_LEN_LIBIEC;
    s->spdu_len_fits = fits;
    if (fits == 0)
        anomaly(p, "rsession.spdu_length_mismatch", GS_ANOMALY_MALFORMED,
                "SPDU length fits none of the known readings");
}

/* The ranges the signature may cover: from SI or from CLTP, to the payload end, to the
 * signature (padding included) or for SPDU-length octets (the rule the SISCO sample uses). */
static void add_coverage(struct spdu *p)
{
    struct gs_rsession *s = &p->s;
    struct gs_sec_info *sec = &p->sec;
    size_t si = s->si_offset;
    size_t si_spdu = si + (size_t)s->spdu_len;
    bool spdu_fits = s->spdu_len <= gs_cur_wire_remaining(&p->all) && si_spdu <= p->sig_offset;
    const char *names[2][3] = {
        {"si..payload_end", "si..signature", "si..si+spdu_len"},
        {"cltp..payload_end", "cltp..signature", "cltp..si+spdu_len"},
    };
    /* v2 HMAC is implemented by libiec61850 only, which starts at CLTP; v1 starts at SI. */
    size_t order[2] = {si, 0};
    if (s->version == 2) {
        order[0] = 0;
        order[1] = si;
    }
    for (int i = 0; i < 2; i++) {
        size_t from = order[i];
        const char *const *n = names[from == 0 ? 1 : 0];
        gs_sec_add_coverage(sec, n[0], NULL, 0, spdu_span(p, from, p->payload_end), (long)from);
        if (s->version == 1 && spdu_fits)
            gs_sec_add_coverage(sec, n[2], NULL, 0, spdu_span(p, from, si_spdu), (long)from);
        if (p->sig_offset != p->payload_end)
            gs_sec_add_coverage(sec, n[1], NULL, 0, spdu_span(p, from, p->sig_offset), (long)from);
        if (s->version != 1 && spdu_fits)
            gs_sec_add_coverage(sec, n[2], NULL, 0, spdu_span(p, from, si_spdu), (long)from);
    }
}

/* Reads the common session header and the version's security information. */
static bool read_header(struct spdu *p, struct gs_cursor *c)
{
    struct gs_rsession *s = &p->s;
    struct gs_sec_info *sec = &p->sec;
    s->si = gs_cur_u8(c);
    s->session_li = gs_cur_u8(c);
    uint8_t common = gs_cur_u8(c);
    s->common_li = gs_cur_u8(c);
    s->spdu_len = gs_cur_be32(c);
    s->spdu_num = gs_cur_be32(c);
    s->version = gs_cur_be16(c);
    sec->time_of_current_key = gs_cur_be32(c);
    sec->time_to_next_key = (int16_t)gs_cur_be16(c);
    if (!gs_cur_ok(c)) {
        anomaly(p, "rsession.short_header",
                c->err == GS_CUR_SHORT ? GS_ANOMALY_TRUNCATED : GS_ANOMALY_MALFORMED,
                "session header cut short");
        return false;
    }
    if (!si_valid(s->si)) {
        anomaly(p, "rsession.bad_si", GS_ANOMALY_MALFORMED, "SI outside A0..A3");
        return false;
    }
    if (common != COMMON_HDR_TAG) {
        anomaly(p, "rsession.bad_header", GS_ANOMALY_MALFORMED,
                "common session header is not tagged 80");
        return false;
    }
    sec->has_key_times = true;
    if (s->version == 1) {
        sec->format = GS_SEC_SESSION_V1;
        sec->enc_alg = gs_cur_u8(c);
        sec->mac_alg_raw = gs_cur_u8(c);
        struct gs_cursor key = *c;
        sec->key_id_raw = gs_cur_span(&key, KEY_ID_LEN);
        sec->key_id = gs_cur_be32(c);
        sec->has_key_id = gs_cur_ok(c);
        sec->algorithm = sec->mac_alg_raw <= GS_SEC_ALG_AES_GMAC_128
                             ? (enum gs_sec_alg)sec->mac_alg_raw
                             : GS_SEC_ALG_UNKNOWN;
        s->common_li_expected = (uint8_t)COMMON_V1_LEN;
    } else if (s->version == 2) {
        sec->format = GS_SEC_SESSION_V2;
        struct gs_cursor key = *c;
        sec->key_id_raw = gs_cur_span(&key, KEY_ID_LEN);
        sec->key_id = gs_cur_be32(c);
        sec->has_key_id = gs_cur_ok(c);
        s->iv_len = gs_cur_u8(c);
        sec->iv = gs_cur_span(c, s->iv_len);
        sec->algorithm = sec->key_id != 0 ? GS_SEC_ALG_BY_KEY : GS_SEC_ALG_NONE;
        s->common_li_expected = (uint8_t)(COMMON_V2_LEN + s->iv_len);
        if (gs_cur_ok(c) && s->iv_len != 0 && s->iv_len != GCM_IV_LEN)
            anomaly(p, "rsession.iv_length", GS_ANOMALY_MALFORMED, "IV length neither 0 nor 12");
    } else {
        anomaly(p, "rsession.bad_version", GS_ANOMALY_MALFORMED, "session version neither 1 nor 2");
        return false;
    }
    s->payload_len = gs_cur_be32(c);
    if (!gs_cur_ok(c)) {
        anomaly(p, "rsession.short_header",
                c->err == GS_CUR_SHORT ? GS_ANOMALY_TRUNCATED : GS_ANOMALY_MALFORMED,
                "security information cut short");
        return false;
    }
    s->session_li_expected = (uint8_t)(s->common_li_expected + SI_LI_LEN);
    if (s->session_li != s->session_li_expected || s->common_li != s->common_li_expected)
        anomaly(p, "rsession.li_mismatch", GS_ANOMALY_MALFORMED,
                "session or common header LI differs from the fields present");
    sec->present = sec->enc_alg != 0 || sec->mac_alg_raw != 0 || sec->key_id != 0 || s->iv_len != 0;
    return true;
}

static void parse_spdu(struct spdu *p)
{
    struct gs_rsession *s = &p->s;
    struct gs_sec_info *sec = &p->sec;
    struct gs_cursor c = p->all;
    struct gs_cursor whole = p->all;
    s->spdu = gs_cur_rest(&whole);
    s->cltp_li = gs_cur_u8(&c);
    uint8_t ud = gs_cur_u8(&c);
    if (!gs_cur_ok(&c) || ud != CLTP_UD || s->cltp_li == 0) {
        anomaly(p, "rsession.not_cltp", GS_ANOMALY_MALFORMED,
                "datagram does not start with a CLTP unit-data header (01 40)");
        return;
    }
    gs_cur_skip(&c, (size_t)s->cltp_li - 1);
    s->si_offset = gs_cur_pos(&c);
    if (!read_header(p, &c)) {
        if (si_valid(s->si) && gs_cur_ok(&c))
            emit_session_only(p, 0, false);
        return;
    }
    s->payload_offset = gs_cur_pos(&c);
    size_t have = gs_cur_wire_remaining(&c);
    size_t plen = s->payload_len;
    if (plen > have) {
        anomaly(p, "rsession.payload_length", GS_ANOMALY_MALFORMED,
                "payload length runs past the datagram");
        plen = have;
    }
    struct gs_cursor payload = gs_cur_sub(&c, plen);
    p->payload_end = s->payload_offset + plen;

    uint8_t first = 0;
    bool opaque_v2 = s->version == 2 && s->iv_len != 0 && gs_cur_peek_at(&payload, 0, &first) &&
                     !element_tag_valid(first);
    s->encrypted = (s->version == 1 && sec->enc_alg != 0) || opaque_v2;
    if (sec->iv.len != 0 || s->encrypted) {
        /* AES-GCM/GMAC: authenticated data CLTP..payload length, then the payload (libiec61850). */
        sec->aad = spdu_span(p, 0, s->payload_offset);
        sec->ciphertext = spdu_span(p, s->payload_offset, p->payload_end);
    }

    /* The signature and its coverage first: every event must carry the complete record. */
    read_trailer(p, &c);
    size_t end = gs_cur_pos(&c);
    if (!gs_cur_ok(&c)) {
        anomaly(p, "rsession.truncated",
                c.err == GS_CUR_SHORT ? GS_ANOMALY_TRUNCATED : GS_ANOMALY_MALFORMED,
                "SPDU cut short");
        end = p->sig_offset;
    }
    check_spdu_len(p, end);
    add_coverage(p);

    if (!s->encrypted)
        walk_elements(p, payload);
    if (p->events == 0)
        emit_session_only(p, 0, false);
}

/* ---- the dissector ------------------------------------------------------------------------- */

static size_t nodes_offset(void)
{
    return ALIGN_UP(sizeof(struct rs_state), alignof(struct gs_data_node));
}

static size_t asdus_offset(const struct gs_config *cfg)
{
    size_t end = nodes_offset() + (size_t)cfg->goose_max_entries * sizeof(struct gs_data_node);
    return ALIGN_UP(end, alignof(struct gs_sv_asdu));
}

static size_t rs_state_size(const struct gs_config *cfg)
{
    return asdus_offset(cfg) + (size_t)cfg->sv_max_asdus * sizeof(struct gs_sv_asdu);
}

static void rs_state_init(void *state, const struct gs_config *cfg)
{
    struct rs_state *st = state;
    unsigned char *block = state;
    st->nodes = (struct gs_data_node *)(void *)(block + nodes_offset());
    st->node_cap = cfg->goose_max_entries;
    st->asdus = (struct gs_sv_asdu *)(void *)(block + asdus_offset(cfg));
    st->asdu_cap = cfg->sv_max_asdus;
}

static unsigned rs_probe(const struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    uint8_t li, ud, si, common;
    if (!gs_cur_peek_at(cur, 0, &li) || !gs_cur_peek_at(cur, 1, &ud) || li == 0 || ud != CLTP_UD)
        return GS_PROBE_NO;
    if (!gs_cur_peek_at(cur, (size_t)li + 1, &si) || !gs_cur_peek_at(cur, (size_t)li + 3, &common))
        return GS_PROBE_NO;
    return si_valid(si) && common == COMMON_HDR_TAG ? GS_PROBE_SURE : GS_PROBE_NO;
}

static struct gs_parse_res rs_parse(void *state, const struct gs_pkt_ctx *ctx,
                                    struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    size_t len = gs_cur_wire_remaining(cur);
    struct spdu p;
    memset(&p, 0, sizeof(p));
    p.ctx = ctx;
    p.st = state;
    p.all = gs_cur_sub(cur, len);
    parse_spdu(&p);
    return gs_parse_ok(len);
}

const struct gs_dissector gs_rsession_dissector = {
    .name = "rsession",
    .transport = GS_TRANSPORT_UDP,
    .udp_ports = (const uint16_t[]){102, 0},
    .probe = rs_probe,
    .state_size = rs_state_size,
    .state_init = rs_state_init,
    .parse = rs_parse,
    .event_names = rsession_event_names,
};
