/*
 * iec62351_6.c - IEC 62351-6 layer-2 security extension of GOOSE/SV (see iec62351_6.h), parsed
 * with the tolerant strategy of ../shared/specs/iec62351_6.md §5: classify the octets after
 * Length, tell 2007 and 2020 apart by the first tag, check Reserved1 against the extension size
 * and Reserved2 against the 2007 CRC, and list the ranges the tag may cover.
 */
#include "iec62351_6.h"

#include <string.h>

#include "ber.h"
#include "names.h"

#define EXT_2007_TAG     0xA0u /* [0] constructed: SecurityExtension (2007) */
#define EXT_SEQUENCE_TAG 0x30u /* SEQUENCE: 2020 candidates and the research layout */

/* 2007 children (TMW eth1.h) */
#define EXT07_RESERVED   1u
#define EXT07_PRIVATE    2u
#define EXT07_AUTH       3u
/* 2020 draft children of A4 (S-GoSV19) */
#define EXT20_AUTH_VALUE 4u /* A4 */
#define EXT20_VERSION    0u
#define EXT20_TOCK       1u
#define EXT20_TTNK       2u
#define EXT20_IV         3u
#define EXT20_KEY_ID     4u
#define EXT20_MAC        5u

#define PACKED_FIXED_LEN 7u /* version 1 + TOCK 4 + TTNK 2 */
#define KEY_ID_LEN       4u
#define GCM_IV_LEN       12u
#define EXT_DEPTH        1u /* the extension sits at the top of the frame's tail */

static const struct gs_name_map alg_names[] = {
    {GS_SEC_ALG_NONE, "none"},
    {GS_SEC_ALG_HMAC_SHA256_80, "hmac-sha256-80"},
    {GS_SEC_ALG_HMAC_SHA256_128, "hmac-sha256-128"},
    {GS_SEC_ALG_HMAC_SHA256_256, "hmac-sha256-256"},
    {GS_SEC_ALG_AES_GMAC_64, "aes-gmac-64"},
    {GS_SEC_ALG_AES_GMAC_128, "aes-gmac-128"},
    {GS_SEC_ALG_SIGNATURE, "signature"},
    {GS_SEC_ALG_BY_KEY, "implied-by-key-id"},
    {GS_SEC_ALG_UNKNOWN, "unknown"},
    {0, NULL},
};

static const struct gs_name_map format_names[] = {
    {GS_SEC_NONE, "none"},
    {GS_SEC_L2_2007, "62351-6:2007"},
    {GS_SEC_L2_2020_TAGGED, "62351-6:2020-draft-tagged"},
    {GS_SEC_L2_2020_PACKED, "62351-6:2020-model-packed"},
    {GS_SEC_L2_RESEARCH, "research-mac-only"},
    {GS_SEC_L2_UNKNOWN, "unknown"},
    {GS_SEC_SESSION_V1, "session-v1"},
    {GS_SEC_SESSION_V2, "session-v2"},
    {0, NULL},
};

static const struct gs_name_map crc_names[] = {
    {GS_SEC_CRC_NOT_APPLICABLE, "not-applicable"},
    {GS_SEC_CRC_ZERO, "zero"},
    {GS_SEC_CRC_OK_LSB_FIRST, "ok-lsb-first"},
    {GS_SEC_CRC_OK_MSB_FIRST, "ok-msb-first"},
    {GS_SEC_CRC_MISMATCH, "mismatch"},
    {0, NULL},
};

const char *gs_sec_alg_name(enum gs_sec_alg alg)
{
    return gs_name_lookup(alg_names, (uint32_t)alg, "unknown");
}

const char *gs_sec_format_name(enum gs_sec_format format)
{
    return gs_name_lookup(format_names, (uint32_t)format, "unknown");
}

const char *gs_sec_crc_name(enum gs_sec_crc crc)
{
    return gs_name_lookup(crc_names, (uint32_t)crc, "unknown");
}

size_t gs_sec_alg_tag_len(enum gs_sec_alg alg)
{
    switch (alg) {
    case GS_SEC_ALG_HMAC_SHA256_80:
        return 10;
    case GS_SEC_ALG_HMAC_SHA256_128:
    case GS_SEC_ALG_AES_GMAC_128:
        return 16;
    case GS_SEC_ALG_HMAC_SHA256_256:
        return 32;
    case GS_SEC_ALG_AES_GMAC_64:
        return 8;
    default:
        return 0;
    }
}

/* True for the tag lengths of Table 9 (8, 10, 16, 32). */
static bool plausible_tag_len(size_t n)
{
    return n == 8 || n == 10 || n == 16 || n == 32;
}

uint16_t gs_sec_crc16_x25(const uint8_t *data, size_t n)
{
    uint16_t crc = 0xFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0x8408u) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)(crc ^ 0xFFFFu);
}

void gs_sec_add_coverage(struct gs_sec_info *sec, const char *name, const uint8_t *prefix,
                         uint8_t prefix_len, struct gs_span span, long start)
{
    if (sec->n_coverage >= GS_SEC_MAX_COVERAGE || span.ptr == NULL || prefix_len > 2)
        return;
    long end = start + (long)prefix_len + (long)span.len;
    for (size_t i = 0; i < sec->n_coverage; i++) {
        if (sec->coverage[i].start == start && sec->coverage[i].end == end)
            return;
    }
    struct gs_sec_coverage *c = &sec->coverage[sec->n_coverage++];
    memset(c, 0, sizeof(*c));
    c->name = name;
    if (prefix_len > 0)
        memcpy(c->prefix, prefix, prefix_len);
    c->prefix_len = prefix_len;
    c->span = span;
    c->start = start;
    c->end = end;
}

/* A view of octets [from, to) of the unit, or {NULL, 0} if they were not all captured. */
static struct gs_span unit_span(const struct gs_cursor *unit, size_t from, size_t to)
{
    struct gs_cursor c = *unit;
    gs_cur_skip(&c, from);
    struct gs_span s = gs_cur_span(&c, to - from);
    return s;
}

/* The layer-2 candidates ending at `end` (APDU end, or the octet before the tag TLV). */
static void l2_coverage(struct gs_sec_info *sec, const struct gs_cursor *unit, uint16_t ether_type,
                        size_t end, bool at_tag)
{
    const uint8_t et[2] = {(uint8_t)(ether_type >> 8), (uint8_t)(ether_type & 0xFFu)};
    struct gs_span from_appid = unit_span(unit, 0, end);
    struct gs_span from_apdu = unit_span(unit, GS_L2PDU_HEADER_LEN, end);
    gs_sec_add_coverage(sec, at_tag ? "ethertype..tag_tlv" : "ethertype..apdu_end", et, 2,
                        from_appid, -2);
    gs_sec_add_coverage(sec, at_tag ? "appid..tag_tlv" : "appid..apdu_end", NULL, 0, from_appid, 0);
    gs_sec_add_coverage(sec, at_tag ? "apdu..tag_tlv" : "apdu..apdu_end", NULL, 0, from_apdu,
                        (long)GS_L2PDU_HEADER_LEN);
}

static bool all_zero(struct gs_cursor c)
{
    while (gs_cur_remaining(&c) > 0) {
        if (gs_cur_u8(&c) != 0)
            return false;
    }
    return true;
}

/* A signed big-endian integer of 1..2 octets (TimeToNextKey is INT16; one sender uses 1). */
static bool read_int16(struct gs_cursor v, int16_t *out)
{
    size_t n = gs_cur_wire_remaining(&v);
    int64_t x;
    if (n == 0 || n > 2 || !gs_ber_int(v, &x))
        return false;
    *out = (int16_t)x;
    return true;
}

static bool read_key_id(struct gs_cursor v, struct gs_sec_info *sec)
{
    if (gs_cur_wire_remaining(&v) != KEY_ID_LEN)
        return false;
    struct gs_cursor copy = v;
    sec->key_id_raw = gs_cur_span(&copy, KEY_ID_LEN);
    sec->key_id = gs_cur_be32(&v);
    sec->has_key_id = gs_cur_ok(&v);
    return sec->has_key_id;
}

/* 2007: children 81 reserved, 82 private, 83 authentication value (the signature). */
static bool parse_2007(struct gs_cursor children, size_t base, struct gs_sec_info *sec,
                       size_t *tag_tlv)
{
    bool found = false;
    /* Zero octets after the elements are Ethernet padding, not an element. */
    while (gs_cur_wire_remaining(&children) > 0 && gs_cur_peek_u8(&children) != 0) {
        size_t at = base + gs_cur_pos(&children);
        struct gs_ber_tag t;
        struct gs_cursor v;
        if (!gs_ber_tlv(&children, &t, &v, EXT_DEPTH + 1, GS_BER_STRICT))
            return false;
        if (t.cls != GS_BER_CONTEXT || t.constructed)
            return false;
        if (t.number == EXT07_AUTH) {
            sec->tag = gs_cur_rest(&v);
            *tag_tlv = at;
            found = true;
        } else if (t.number != EXT07_RESERVED && t.number != EXT07_PRIVATE) {
            return false;
        }
    }
    return found && gs_cur_ok(&children);
}

/* 2020 draft: A4 {80 version, 81 TOCK, 82 TTNK, [83 IV], 84 KeyID, 85 MAC}. */
static bool parse_tagged(struct gs_cursor fields, size_t base, struct gs_sec_info *sec,
                         size_t *tag_tlv)
{
    bool mac = false, other = false;
    while (gs_cur_wire_remaining(&fields) > 0) {
        size_t at = base + gs_cur_pos(&fields);
        struct gs_ber_tag t;
        struct gs_cursor v;
        if (!gs_ber_tlv(&fields, &t, &v, EXT_DEPTH + 3, GS_BER_STRICT))
            return false;
        if (t.cls != GS_BER_CONTEXT || t.constructed)
            return false;
        switch (t.number) {
        case EXT20_VERSION: {
            uint64_t ver;
            if (!gs_ber_uint(v, &ver) || ver > 0xFF)
                return false;
            sec->has_version = true;
            sec->version = (uint8_t)ver;
            other = true;
            break;
        }
        case EXT20_TOCK: {
            uint64_t tock;
            if (!gs_ber_uint(v, &tock) || tock > UINT32_MAX)
                return false;
            sec->time_of_current_key = (uint32_t)tock;
            sec->has_key_times = true;
            other = true;
            break;
        }
        case EXT20_TTNK:
            if (!read_int16(v, &sec->time_to_next_key))
                return false;
            other = true;
            break;
        case EXT20_IV:
            sec->iv = gs_cur_rest(&v);
            other = true;
            break;
        case EXT20_KEY_ID:
            if (!read_key_id(v, sec))
                return false;
            other = true;
            break;
        case EXT20_MAC:
            sec->tag = gs_cur_rest(&v);
            *tag_tlv = at;
            mac = true;
            break;
        default:
            return false;
        }
    }
    if (!mac || !gs_cur_ok(&fields))
        return false;
    sec->format = other ? GS_SEC_L2_2020_TAGGED : GS_SEC_L2_RESEARCH;
    sec->algorithm = GS_SEC_ALG_BY_KEY;
    return true;
}

/* 2020 model: 85 <version 1 | TOCK 4 | TTNK 2 | [IV 12] | KeyID 4 | MAC>; the MAC length
 * (8, 10, 16 or 32) tells whether an IV is there. */
static bool parse_packed(struct gs_cursor v, struct gs_sec_info *sec)
{
    size_t len = gs_cur_wire_remaining(&v);
    if (len < PACKED_FIXED_LEN + KEY_ID_LEN)
        return false;
    size_t rest = len - PACKED_FIXED_LEN;
    bool with_iv;
    if (plausible_tag_len(rest - KEY_ID_LEN))
        with_iv = false;
    else if (rest > KEY_ID_LEN + GCM_IV_LEN && plausible_tag_len(rest - KEY_ID_LEN - GCM_IV_LEN))
        with_iv = true;
    else
        return false;
    sec->has_version = true;
    sec->version = gs_cur_u8(&v);
    sec->time_of_current_key = gs_cur_be32(&v);
    sec->time_to_next_key = (int16_t)gs_cur_be16(&v);
    sec->has_key_times = true;
    if (with_iv) {
        sec->iv = gs_cur_span(&v, GCM_IV_LEN);
        sec->iv_order_ambiguous = true;
    }
    struct gs_cursor key = gs_cur_sub(&v, KEY_ID_LEN);
    if (!read_key_id(key, sec))
        return false;
    sec->tag = gs_cur_rest(&v);
    sec->algorithm = GS_SEC_ALG_BY_KEY;
    sec->format = GS_SEC_L2_2020_PACKED;
    return gs_cur_ok(&v);
}

/* Size of the run of TLVs at the start of `c` (stops at a zero octet or broken BER). */
static size_t tlv_run_len(struct gs_cursor c)
{
    size_t end = 0;
    while (gs_cur_remaining(&c) > 0 && gs_cur_peek_u8(&c) != 0) {
        struct gs_ber_tag t;
        struct gs_cursor v;
        if (!gs_ber_tlv(&c, &t, &v, EXT_DEPTH, GS_BER_STRICT))
            break;
        end = gs_cur_pos(&c);
    }
    return end;
}

static bool r1_matches(uint16_t r1, size_t size)
{
    static const uint16_t masks[] = {0x7FFFu, 0x0FFFu, 0x07FFu, 0x00FFu};
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        if ((size_t)(r1 & masks[i]) == size)
            return true;
    }
    return false;
}

static enum gs_sec_crc check_crc(const struct gs_l2pdu_header *hdr, uint16_t ether_type,
                                 uint16_t *computed)
{
    const uint8_t octets[8] = {
        (uint8_t)(ether_type >> 8),     (uint8_t)(ether_type & 0xFFu),
        (uint8_t)(hdr->appid >> 8),     (uint8_t)(hdr->appid & 0xFFu),
        (uint8_t)(hdr->length >> 8),    (uint8_t)(hdr->length & 0xFFu),
        (uint8_t)(hdr->reserved1 >> 8), (uint8_t)(hdr->reserved1 & 0xFFu),
    };
    uint16_t crc = gs_sec_crc16_x25(octets, sizeof(octets));
    *computed = crc;
    uint16_t swapped = (uint16_t)((crc << 8) | (crc >> 8));
    if (hdr->reserved2 == 0)
        return GS_SEC_CRC_ZERO;
    if (hdr->reserved2 == swapped)
        return GS_SEC_CRC_OK_LSB_FIRST;
    if (hdr->reserved2 == crc)
        return GS_SEC_CRC_OK_MSB_FIRST;
    return GS_SEC_CRC_MISMATCH;
}

/* Parses the extension that starts the tail; returns false if its layout is not understood. */
static bool parse_extension(struct gs_cursor tail, size_t tail_at, struct gs_sec_info *sec,
                            struct gs_sec_l2_result *res, size_t *tag_tlv)
{
    struct gs_ber_tag t;
    struct gs_cursor v;
    if (!gs_ber_tlv(&tail, &t, &v, EXT_DEPTH, GS_BER_STRICT)) {
        res->ext_malformed = gs_cur_remaining(&tail) == 0 || tail.err == GS_CUR_BAD;
        return false;
    }
    if (gs_ber_is(&t, GS_BER_CONTEXT, true, 0)) {
        sec->format = GS_SEC_L2_2007;
        sec->algorithm = GS_SEC_ALG_SIGNATURE;
        /* An empty A0 followed by its elements is a known encoder bug: walk the siblings. */
        if (gs_cur_wire_remaining(&v) == 0)
            return parse_2007(tail, tail_at, sec, tag_tlv);
        return parse_2007(v, tail_at + gs_cur_pos(&tail) - v.wire_len, sec, tag_tlv);
    }
    if (!gs_ber_is(&t, GS_BER_UNIVERSAL, true, 16))
        return false;
    size_t seq_content_at = tail_at + gs_cur_pos(&tail) - v.wire_len;
    struct gs_ber_tag inner;
    struct gs_cursor iv;
    if (!gs_ber_tlv(&v, &inner, &iv, EXT_DEPTH + 1, GS_BER_STRICT)) {
        res->ext_malformed = true;
        return false;
    }
    size_t inner_content_at = seq_content_at + gs_cur_pos(&v) - iv.wire_len;
    if (gs_ber_is(&inner, GS_BER_CONTEXT, true, EXT20_AUTH_VALUE))
        return parse_tagged(iv, inner_content_at, sec, tag_tlv);
    if (gs_ber_is(&inner, GS_BER_CONTEXT, false, EXT20_MAC)) {
        *tag_tlv = seq_content_at;
        return parse_packed(iv, sec);
    }
    return false;
}

void gs_sec_parse_l2(const struct gs_cursor *unit, const struct gs_l2pdu_header *hdr,
                     uint16_t ether_type, size_t apdu_end, struct gs_sec_info *sec,
                     struct gs_sec_l2_result *res)
{
    memset(sec, 0, sizeof(*sec));
    memset(res, 0, sizeof(*res));
    sec->r1_ext_len = GS_L2PDU_R1_LOW(hdr->reserved1);

    struct gs_cursor c = *unit;
    gs_cur_skip(&c, apdu_end);
    size_t tail_len = gs_cur_wire_remaining(&c);
    struct gs_cursor tail = gs_cur_sub(&c, tail_len);
    uint8_t first = gs_cur_peek_u8(&tail);
    bool ext_tag =
        gs_cur_remaining(&tail) > 0 && (first == EXT_2007_TAG || first == EXT_SEQUENCE_TAG);
    if (tail_len == 0 || (!ext_tag && (all_zero(tail) || sec->r1_ext_len == 0))) {
        if (tail_len == 0)
            res->tail = GS_SEC_TAIL_NONE;
        else
            res->tail = all_zero(tail) ? GS_SEC_TAIL_PADDING : GS_SEC_TAIL_TRAILING;
        res->reserved_nonzero = sec->r1_ext_len != 0 || hdr->reserved2 != 0;
        return;
    }

    res->tail = GS_SEC_TAIL_EXTENSION;
    sec->present = true;
    sec->crc = check_crc(hdr, ether_type, &sec->crc_computed);
    struct gs_cursor raw = tail;
    sec->raw = gs_cur_rest(&raw);

    size_t ext_size = tlv_run_len(tail);
    struct gs_cursor first_tlv = tail;
    struct gs_ber_tag t;
    struct gs_cursor v;
    size_t first_size = 0;
    if (gs_ber_tlv(&first_tlv, &t, &v, EXT_DEPTH, GS_BER_STRICT))
        first_size = gs_cur_pos(&first_tlv);
    sec->r1_len_matches = (ext_size != 0 && r1_matches(hdr->reserved1, ext_size)) ||
                          (first_size != 0 && r1_matches(hdr->reserved1, first_size)) ||
                          r1_matches(hdr->reserved1, tail_len);
    res->ext_length_mismatch = !sec->r1_len_matches;

    size_t tag_tlv = 0;
    bool known = ext_tag && parse_extension(tail, apdu_end, sec, res, &tag_tlv);
    if (!known) {
        /* Keep only what is certain: the octets, Reserved1 and the CRC check. */
        enum gs_sec_crc crc = sec->crc;
        uint16_t computed = sec->crc_computed;
        struct gs_span raw_span = sec->raw;
        bool matches = sec->r1_len_matches;
        memset(sec, 0, sizeof(*sec));
        sec->present = true;
        sec->format = GS_SEC_L2_UNKNOWN;
        sec->algorithm = GS_SEC_ALG_UNKNOWN;
        sec->raw = raw_span;
        sec->r1_ext_len = GS_L2PDU_R1_LOW(hdr->reserved1);
        sec->r1_len_matches = matches;
        sec->crc = crc;
        sec->crc_computed = computed;
        res->ext_unknown = true;
        l2_coverage(sec, unit, ether_type, apdu_end, false);
        return;
    }
    /* 2007 signs up to the signature TLV (TMW); the 2020 wording ends at the APDU. */
    if (sec->format == GS_SEC_L2_2007) {
        l2_coverage(sec, unit, ether_type, tag_tlv, true);
        l2_coverage(sec, unit, ether_type, apdu_end, false);
    } else {
        l2_coverage(sec, unit, ether_type, apdu_end, false);
        l2_coverage(sec, unit, ether_type, tag_tlv, true);
    }
}
