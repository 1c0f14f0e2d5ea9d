/*
 * iec62351_6.h - IEC 62351-6 security information of GOOSE and Sampled Values, as the events
 * of goose.h, sv.h and rsession.h carry it to the tag verifier (detectors/tag62351_6).
 *
 * Layer 2 (IEC TS 62351-6:2007 "extended PDU" and the 2020 MAC candidates; the standard is not
 * public, so the layouts are those of ../shared/specs/iec62351_6.md §1-2, parsed with its
 * tolerant strategy §5):
 *
 *   | APPID | Length | Reserved1 = S | ext len | Reserved2 = CRC-16/X-25 | APDU | extension |
 *
 *   2007 (TMW):            A0 LL [81 reserved] [82 private] 83 LL <signature>
 *   2020 draft (S-GoSV19): 30 LL A4 LL 80 ver 81 TOCK 82 TTNK [83 IV] 84 KeyID 85 LL <MAC>
 *   2020 model (digest):   30 LL 85 LL <ver | TOCK 4 | TTNK 2 | [IV 12] | KeyID 4 | MAC>
 *   research (S-GoSV p1):  30 LL A4 LL 85 LL <MAC>
 *
 * R-GOOSE/R-SV (IEC 61850-90-5 / 8-1 Ed.2.1 session header, rsession.h) fills the same record
 * from the session header's security information and signature element.
 *
 * Nothing here verifies a tag: the record says which octets a tag may cover (coverage
 * candidates, since the public sources disagree), with which key and algorithm, and the
 * verifier tries them. Spans point into the packet and are valid only during the emit call.
 */
#ifndef GS_DISSECTORS_IEC62351_6_H
#define GS_DISSECTORS_IEC62351_6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "iec61850_l2.h"

/* Where the security information came from, and so how it is laid out. */
enum gs_sec_format {
    GS_SEC_NONE = 0,       /* no extension, or a session SPDU without a signature */
    GS_SEC_L2_2007,        /* A0 {[81] [82] 83}: 2007 signature extension */
    GS_SEC_L2_2020_TAGGED, /* 30 {A4 {80 81 82 [83] 84 85}}: 2020 draft, tagged fields */
    GS_SEC_L2_2020_PACKED, /* 30 {85 <packed fields + MAC>}: 2020 model, untagged fields */
    GS_SEC_L2_RESEARCH,    /* 30 {A4 {85 MAC}}: research layout without key information */
    GS_SEC_L2_UNKNOWN,     /* an extension that none of the above describes: raw only */
    GS_SEC_SESSION_V1,     /* R-GOOSE/R-SV session header version 1 (90-5:2012) */
    GS_SEC_SESSION_V2,     /* version 2 (61850-8-1 Ed.2.1) */
};

/* MAC algorithm, numbered as IEC 61850-90-5 Table 9 numbers them on the wire (v1). */
enum gs_sec_alg {
    GS_SEC_ALG_NONE = 0,
    GS_SEC_ALG_HMAC_SHA256_80 = 1,
    GS_SEC_ALG_HMAC_SHA256_128 = 2,
    GS_SEC_ALG_HMAC_SHA256_256 = 3,
    GS_SEC_ALG_AES_GMAC_64 = 4,
    GS_SEC_ALG_AES_GMAC_128 = 5,
    GS_SEC_ALG_SIGNATURE = 0x100, /* 2007: a digital signature (RSA), not a MAC */
    GS_SEC_ALG_BY_KEY = 0x101,    /* not on the wire: bound to the key id by the KDC (GDOI) */
    GS_SEC_ALG_UNKNOWN = 0x102,   /* an algorithm octet outside Table 9 (mac_alg_raw holds it) */
};

/* How the R-session signature element was framed. */
enum gs_sec_sig_form {
    GS_SEC_SIG_NONE = 0,
    GS_SEC_SIG_TLV,    /* 85 LL <MAC> */
    GS_SEC_SIG_LEGACY, /* 85 <MAC>, length implied by the v1 MAC algorithm (SISCO 2011) */
};

/* Layer-2 Reserved2 against CRC-16/X-25 over EtherType..Reserved1 (2007, one vendor). */
enum gs_sec_crc {
    GS_SEC_CRC_NOT_APPLICABLE = 0, /* no extension, or R-session */
    GS_SEC_CRC_ZERO,               /* extension present, Reserved2 = 0 */
    GS_SEC_CRC_OK_LSB_FIRST,       /* matches, stored low octet first (as TMW writes it) */
    GS_SEC_CRC_OK_MSB_FIRST,       /* matches, stored high octet first */
    GS_SEC_CRC_MISMATCH,
};

/*
 * One byte range a tag may cover. The covered octets are `prefix` (prefix_len of them: the
 * two EtherType octets, which precede the view a layer-2 dissector is given) followed by
 * `span`. `start`/`end` locate the range in the unit the event came from: for layer 2,
 * offsets from the first APPID octet (-2 is the EtherType); for R-GOOSE/R-SV, offsets from the
 * first UDP payload octet (the CLTP LI). `name` is a stable handle such as "si..payload_end".
 */
struct gs_sec_coverage {
    const char *name;
    uint8_t prefix[2];
    uint8_t prefix_len;
    struct gs_span span;
    long start, end;
};

#define GS_SEC_MAX_COVERAGE 6

/* The security record every GOOSE and SV event carries (never NULL in an event). */
struct gs_sec_info {
    bool present; /* an extension or a session signature/security header is there */
    enum gs_sec_format format;
    enum gs_sec_alg algorithm;
    uint8_t mac_alg_raw; /* v1 MAC algorithm octet as sent (0 elsewhere) */
    uint8_t enc_alg;     /* v1 encryption algorithm: 0 none, 1 AES-128-GCM, 2 AES-256-GCM */
    bool has_key_id;
    uint32_t key_id;           /* the four key-id octets read big-endian */
    struct gs_span key_id_raw; /* the same four octets (opaque in v1: SISCO sends 01 00 00 00) */
    bool has_key_times;
    uint32_t time_of_current_key; /* UTC seconds since 1970 */
    int16_t time_to_next_key;     /* minutes; negative: no next key known */
    bool has_version;
    uint8_t version;         /* 2020 layer-2 extension version octet */
    struct gs_span iv;       /* initialisation vector (empty when absent) */
    bool iv_order_ambiguous; /* 2020 packed: IV before KeyID assumed; KeyID-first fits too */
    struct gs_span tag;      /* MAC or signature octets (empty when absent) */
    enum gs_sec_sig_form sig_form;
    struct gs_span raw; /* the whole layer-2 extension, or its unparsed octets */
    /* layer 2 only */
    uint16_t r1_ext_len; /* Reserved1 bits 14..0 as sent */
    bool r1_len_matches; /* Reserved1 (under one of the masks 0x7FFF, 0x0FFF, 0x07FF,
                            0x00FF) equals the extension's size */
    enum gs_sec_crc crc;
    uint16_t crc_computed;
    /* AES-GCM (v2 with encryption): authenticated data and ciphertext, when they apply */
    struct gs_span aad;
    struct gs_span ciphertext;
    /* candidate ranges the tag covers, most likely first */
    struct gs_sec_coverage coverage[GS_SEC_MAX_COVERAGE];
    size_t n_coverage;
};

/* Why the layer-2 tail (octets after Length) is what it is. */
enum gs_sec_tail {
    GS_SEC_TAIL_NONE = 0,  /* no octets after the APDU */
    GS_SEC_TAIL_PADDING,   /* all zero: Ethernet padding */
    GS_SEC_TAIL_EXTENSION, /* a security extension (format says which) */
    GS_SEC_TAIL_TRAILING,  /* non-zero octets that are no extension (e.g. a captured FCS) */
};

/* What the layer-2 parse found besides the record (the caller turns it into anomalies). */
struct gs_sec_l2_result {
    enum gs_sec_tail tail;
    bool ext_malformed;       /* the extension's BER does not fit its octets */
    bool ext_unknown;         /* present but in no known layout */
    bool ext_length_mismatch; /* Reserved1 does not give the extension's size */
    bool reserved_nonzero;    /* no extension, yet Reserved1 bits 14..0 or Reserved2 are set */
};

/*
 * Parses what follows a layer-2 APDU. `hdr` is the frame's header, `ether_type` its EtherType,
 * `unit` a cursor over the whole payload after the EtherType (APPID first), `apdu_end` the
 * offset in `unit` where the APDU ends (8 + the APDU octets present) and `frame_end` where the
 * frame's octets end. Fills *sec and *res; never fails (unknown layouts are reported raw).
 */
void gs_sec_parse_l2(const struct gs_cursor *unit, const struct gs_l2pdu_header *hdr,
                     uint16_t ether_type, size_t apdu_end, struct gs_sec_info *sec,
                     struct gs_sec_l2_result *res);

/* CRC-16/X-25 (RFC 1662 FCS-16: reflected 0x1021, init and xorout 0xFFFF) of n octets. */
uint16_t gs_sec_crc16_x25(const uint8_t *data, size_t n);

/* Stable names ("hmac-sha256-128", "implied-by-key-id", "2007", "session-v1", ...). */
const char *gs_sec_alg_name(enum gs_sec_alg alg);
const char *gs_sec_format_name(enum gs_sec_format format);
const char *gs_sec_crc_name(enum gs_sec_crc crc);

/* Tag octets of a Table 9 MAC algorithm (10, 16, 32, 8, 16), 0 for none or unknown. */
size_t gs_sec_alg_tag_len(enum gs_sec_alg alg);

/* Adds a coverage candidate (ignored when full or when an identical range is already there). */
void gs_sec_add_coverage(struct gs_sec_info *sec, const char *name, const uint8_t *prefix,
                         uint8_t prefix_len, struct gs_span span, long start);

#endif
