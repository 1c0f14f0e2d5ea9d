/*
 * iec61850_l2.h - what GOOSE and Sampled Values share on the wire: the 8-octet header after the
 * EtherType (IEC 61850-8-1 Annex C, IEC 61850-9-2 §8.2.1) and a BER reader that keeps going
 * when a length runs past the frame, as a monitor must to report what a broken PDU still says.
 *
 *   +-------+--------+-----------+-----------+--------------------------+-----------------+
 *   | APPID | Length | Reserved1 | Reserved2 | APDU (61.. GOOSE / 60..) | [62351-6 ext.]  |
 *   |   2   |   2    | S|ext len |  CRC/0    | Length - 8 octets        | not in Length   |
 *   +-------+--------+-----------+-----------+--------------------------+-----------------+
 *   Length counts from the first APPID octet to the end of the APDU.
 */
#ifndef GS_DISSECTORS_IEC61850_L2_H
#define GS_DISSECTORS_IEC61850_L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ber.h"
#include "cursor.h"
#include "dissector.h"

struct gs_sec_info;      /* iec62351_6.h */
struct gs_sec_l2_result; /* iec62351_6.h */

#define GS_L2PDU_HEADER_LEN    8u
#define GS_L2PDU_S_BIT         0x8000u /* Reserved1 bit 15: Simulate (IEC 61850-8-1 Ed.2) */
#define GS_L2PDU_SIMULATED(r1) ((((unsigned)(r1)) & GS_L2PDU_S_BIT) != 0)
/* Reserved1 bits 14..0: with IEC 62351-6 the security extension length, else zero. */
#define GS_L2PDU_R1_LOW(r1)    ((uint16_t)(((unsigned)(r1)) & 0x7FFFu))

/* APPID ranges of IEC 61850-8-1 Annex C / 9-2 (outside them is flagged, never dropped). */
#define GS_L2PDU_GOOSE_APPID_MAX 0x3FFFu
#define GS_L2PDU_SV_APPID_MIN    0x4000u
#define GS_L2PDU_SV_APPID_MAX    0x7FFFu

/* How completely a PDU could be decoded; the fields an event marks present are right either way. */
enum gs_l2pdu_status {
    GS_L2PDU_COMPLETE = 0, /* every octet decoded as the standard lays it out */
    GS_L2PDU_MALFORMED,    /* a length or tag contradicts the octets; decoding stopped there */
    GS_L2PDU_TRUNCATED,    /* the capture (snaplen) cut the PDU; decoding stopped there */
};

struct gs_l2pdu_header {
    uint16_t appid;
    uint16_t length; /* as on the wire: 8 + APDU octets */
    uint16_t reserved1;
    uint16_t reserved2;
};

/* The anomaly names one protocol reports about its frames ("goose.*", "sv.*"; each in its
 * event_names), for the helpers below. */
struct gs_l2pdu_names {
    const char *truncated, *malformed;
    const char *short_header, *bad_length, *length_exceeds_frame;
    const char *trailing_bytes, *reserved_nonzero;
    const char *ext_length_mismatch, *ext_crc_mismatch, *ext_malformed, *ext_unknown;
};

/* "complete", "malformed", "truncated". */
const char *gs_l2pdu_status_name(enum gs_l2pdu_status status);

/* Reads the 8-octet header; false (cursor in error) when the frame is shorter. */
bool gs_l2pdu_header_read(struct gs_cursor *cur, struct gs_l2pdu_header *hdr);

/* As gs_l2pdu_header_read, and when the frame is shorter reports names->short_header and sets
 * *status to how it ended (truncated by the capture, or malformed). */
bool gs_l2pdu_header_or_report(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                               struct gs_cursor *cur, struct gs_l2pdu_header *hdr,
                               enum gs_l2pdu_status *status);

/*
 * Where Length says the APDUs end, counted from after the header, of the `avail` octets the
 * frame has there: 0 when Length is below 8 (names->bad_length), `avail` when Length runs past
 * the frame (names->length_exceeds_frame); either sets *status malformed and *length_reported.
 */
size_t gs_l2pdu_limit(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                      const struct gs_l2pdu_header *hdr, size_t avail, enum gs_l2pdu_status *status,
                      bool *length_reported);

/* Decoding stopped at a cursor error: the first stop sets *status (truncated for a capture
 * cut, else malformed) and reports it with `where`; later ones change nothing. */
void gs_l2pdu_stop(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                   enum gs_l2pdu_status *status, enum gs_cur_err err, const char *where);

/* Reports what gs_sec_parse_l2 found after the APDU (trailing octets, reserved bits, the
 * extension's length, CRC and layout); `sec` is what it filled. */
void gs_l2pdu_report_tail(const struct gs_pkt_ctx *ctx, const struct gs_l2pdu_names *names,
                          const struct gs_sec_l2_result *res, const struct gs_sec_info *sec);

/* An OCTET/VISIBLE STRING field: its octets, false unless all were captured. */
bool gs_l2pdu_octets(struct gs_cursor v, struct gs_span *out);

/* The captured octets from `start` to `after` (the same cursor after reading one TLV). */
struct gs_span gs_l2pdu_tlv_span(struct gs_cursor start, const struct gs_cursor *after);

/*
 * Reads one BER TLV like gs_ber_tlv (definite lengths only), but when the length claims more
 * octets than the parent has on the wire, *value covers the octets that are there, the parent
 * ends up at its end, and *overrun is set: the caller decodes what is present and reports the
 * PDU as malformed. Returns false, with the parent in error, only when the identifier or length
 * octets cannot be read or are invalid (indefinite, reserved, more than four length octets,
 * depth above GS_BER_MAX_DEPTH).
 */
bool gs_l2pdu_tlv(struct gs_cursor *cur, struct gs_ber_tag *tag, struct gs_cursor *value,
                  bool *overrun, unsigned depth);

/*
 * Where the PDUs that start before offset `limit` of `apdus` end: walks TLVs whose identifier is
 * `tag_a` or `tag_b` (constructed form; a primitive-form identifier also counts) while they
 * start before `limit`, each to its BER end (within the cursor).
 * Like Wireshark 4.0, the PDUs are taken to the end their BER gives, even past Length.
 */
size_t gs_l2pdu_scan_end(struct gs_cursor apdus, size_t limit, uint8_t tag_a, uint8_t tag_b);

/*
 * Where a 62351-6 extension would start in `apdus`: at `limit` (Length excludes it), or at
 * `pdu_end` when the PDUs end before Length and an extension tag (A0 or 30) follows them (one
 * model of the 2020 edition counts the extension in Length).
 */
size_t gs_l2pdu_ext_start(struct gs_cursor apdus, size_t pdu_end, size_t limit);

#endif
