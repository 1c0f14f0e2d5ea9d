/*
 * iec61850_l2.c - the GOOSE/SV layer-2 header, what GOOSE and SV report about the frame around
 * their PDUs, and the tolerant BER reader (see iec61850_l2.h).
 */
#include "iec61850_l2.h"

#include "iec62351_6.h"

#define BER_ID_CLASS(id)       ((enum gs_ber_class)(((id) >> 6) & 0x03u))
#define BER_ID_CONSTRUCTED(id) (((id)&0x20u) != 0)
#define BER_ID_NUMBER(id)      ((uint32_t)((id)&0x1Fu))
#define BER_HIGH_TAG           0x1Fu
#define BER_MORE(b)            (((b)&0x80u) != 0)
#define BER_LEN_LONG(b)        (((b)&0x80u) != 0)
#define BER_LEN_OCTETS(b)      ((size_t)((b)&0x7Fu))
#define BER_LEN_INDEFINITE     0x80u
#define BER_LEN_RESERVED       0xFFu
#define BER_MAX_LEN_OCTETS     4u
#define BER_MAX_TAG_OCTETS     4

const char *gs_l2pdu_status_name(enum gs_l2pdu_status status)
{
    switch (status) {
    case GS_L2PDU_COMPLETE:
        return "complete";
    case GS_L2PDU_MALFORMED:
        return "malformed";
    case GS_L2PDU_TRUNCATED:
        return "truncated";
    }
    return "unknown";
}

bool gs_l2pdu_header_read(struct gs_cursor *cur, struct gs_l2pdu_header *hdr)
{
    hdr->appid = gs_cur_be16(cur);
    hdr->length = gs_cur_be16(cur);
    hdr->reserved1 = gs_cur_be16(cur);
    hdr->reserved2 = gs_cur_be16(cur);
    return gs_cur_ok(cur);
}

bool gs_l2pdu_header_or_report(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                               struct gs_cursor *cur, struct gs_l2pdu_header *hdr,
                               enum gs_l2pdu_status *status)
{
    if (gs_l2pdu_header_read(cur, hdr))
        return true;
    bool cut = cur->err == GS_CUR_SHORT;
    gs_emit_anomaly(ctx, names->short_header, cut ? GS_ANOMALY_TRUNCATED : GS_ANOMALY_MALFORMED,
                    "fewer than the 8 header octets");
    *status = cut ? GS_L2PDU_TRUNCATED : GS_L2PDU_MALFORMED;
    return false;
}

size_t gs_l2pdu_limit(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                      const struct gs_l2pdu_header *hdr, size_t avail, enum gs_l2pdu_status *status,
                      bool *length_reported)
{
    if (hdr->length < GS_L2PDU_HEADER_LEN) {
        gs_emit_anomaly(ctx, names->bad_length, GS_ANOMALY_MALFORMED, "Length below 8");
        *status = GS_L2PDU_MALFORMED;
        *length_reported = true;
        return 0;
    }
    size_t limit = (size_t)hdr->length - GS_L2PDU_HEADER_LEN;
    if (limit > avail) {
        gs_emit_anomaly(ctx, names->length_exceeds_frame, GS_ANOMALY_MALFORMED,
                        "Length is larger than the frame");
        *status = GS_L2PDU_MALFORMED;
        *length_reported = true;
        return avail;
    }
    return limit;
}

void gs_l2pdu_stop(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                   enum gs_l2pdu_status *status, enum gs_cur_err err, const char *where)
{
    if (*status != GS_L2PDU_COMPLETE)
        return;
    if (err == GS_CUR_SHORT) {
        *status = GS_L2PDU_TRUNCATED;
        gs_emit_anomaly(ctx, names->truncated, GS_ANOMALY_TRUNCATED, where);
    } else {
        *status = GS_L2PDU_MALFORMED;
        gs_emit_anomaly(ctx, names->malformed, GS_ANOMALY_MALFORMED, where);
    }
}

void gs_l2pdu_report_tail(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                          const struct gs_sec_l2_result *res, const struct gs_sec_info *sec)
{
    if (res->tail == GS_SEC_TAIL_TRAILING)
        gs_emit_anomaly(ctx, names->trailing_bytes, GS_ANOMALY_MALFORMED,
                        "non-zero octets after Length that are no security extension");
    if (res->reserved_nonzero)
        gs_emit_anomaly(ctx, names->reserved_nonzero, GS_ANOMALY_MALFORMED,
                        "Reserved1 bits 14..0 or Reserved2 set without a security extension");
    if (res->tail != GS_SEC_TAIL_EXTENSION)
        return;
    if (res->ext_length_mismatch)
        gs_emit_anomaly(ctx, names->ext_length_mismatch, GS_ANOMALY_MALFORMED,
                        "Reserved1 does not give the extension's length");
    if (sec->crc == GS_SEC_CRC_MISMATCH)
        gs_emit_anomaly(ctx, names->ext_crc_mismatch, GS_ANOMALY_MALFORMED,
                        "Reserved2 is not the CRC-16 of EtherType..Reserved1");
    if (res->ext_malformed)
        gs_emit_anomaly(ctx, names->ext_malformed, GS_ANOMALY_MALFORMED,
                        "security extension BER does not fit");
    else if (res->ext_unknown)
        gs_emit_anomaly(ctx, names->ext_unknown, GS_ANOMALY_MALFORMED,
                        "security extension in no known layout: reported raw");
}

bool gs_l2pdu_octets(struct gs_cursor v, struct gs_span *out)
{
    if (v.cap_len != v.wire_len)
        return false;
    *out = gs_cur_rest(&v);
    return gs_cur_ok(&v);
}

struct gs_span gs_l2pdu_tlv_span(struct gs_cursor start, const struct gs_cursor *after)
{
    size_t n = gs_cur_pos(after) - gs_cur_pos(&start);
    struct gs_cursor sub = gs_cur_sub(&start, n);
    return gs_cur_rest(&sub);
}

/* Reads identifier and length octets (X.690 §8.1.2-8.1.3) into *tag and *len. */
static bool read_header(struct gs_cursor *cur, struct gs_ber_tag *tag, size_t *len)
{
    uint8_t id = gs_cur_u8(cur);
    tag->cls = BER_ID_CLASS(id);
    tag->constructed = BER_ID_CONSTRUCTED(id);
    tag->number = BER_ID_NUMBER(id);
    tag->indefinite = false;
    if (gs_cur_ok(cur) && tag->number == BER_HIGH_TAG) {
        uint32_t number = 0;
        bool done = false;
        for (int i = 0; i < BER_MAX_TAG_OCTETS && !done; i++) {
            uint8_t b = gs_cur_u8(cur);
            number = (number << 7) | (uint32_t)(b & 0x7Fu);
            done = !BER_MORE(b);
        }
        if (!done)
            gs_cur_set_bad(cur);
        tag->number = number;
    }
    uint8_t first = gs_cur_u8(cur);
    if (!gs_cur_ok(cur))
        return false;
    if (first == BER_LEN_INDEFINITE || first == BER_LEN_RESERVED) {
        gs_cur_set_bad(cur);
        return false;
    }
    if (!BER_LEN_LONG(first)) {
        *len = first;
        return true;
    }
    size_t octets = BER_LEN_OCTETS(first);
    if (octets > BER_MAX_LEN_OCTETS) {
        gs_cur_set_bad(cur);
        return false;
    }
    *len = (size_t)gs_cur_be_n(cur, octets);
    return gs_cur_ok(cur);
}

bool gs_l2pdu_tlv(struct gs_cursor *cur, struct gs_ber_tag *tag, struct gs_cursor *value,
                  bool *overrun, unsigned depth)
{
    *overrun = false;
    *value = gs_cur_init(NULL, 0);
    size_t len = 0;
    if (depth > GS_BER_MAX_DEPTH)
        gs_cur_set_bad(cur);
    if (!gs_cur_ok(cur) || !read_header(cur, tag, &len)) {
        value->err = cur->err == GS_CUR_OK ? GS_CUR_BAD : cur->err;
        return false;
    }
    size_t have = gs_cur_wire_remaining(cur);
    if (len > have) {
        *overrun = true;
        len = have;
    }
    *value = gs_cur_sub(cur, len);
    return true;
}

size_t gs_l2pdu_scan_end(struct gs_cursor apdus, size_t limit, uint8_t tag_a, uint8_t tag_b)
{
    while (gs_cur_pos(&apdus) < limit && gs_cur_remaining(&apdus) > 0) {
        /* the constructed bit ignored, as by the decoders */
        uint8_t first = (uint8_t)(gs_cur_peek_u8(&apdus) | 0x20u);
        struct gs_ber_tag tag;
        struct gs_cursor value;
        bool overrun;
        if ((first != tag_a && first != tag_b) || !gs_l2pdu_tlv(&apdus, &tag, &value, &overrun, 0))
            break;
    }
    return gs_cur_pos(&apdus);
}

size_t gs_l2pdu_ext_start(struct gs_cursor apdus, size_t pdu_end, size_t limit)
{
    uint8_t b;
    if (pdu_end < limit && gs_cur_peek_at(&apdus, pdu_end, &b) && (b == 0xA0u || b == 0x30u))
        return pdu_end;
    return pdu_end > limit ? pdu_end : limit;
}
