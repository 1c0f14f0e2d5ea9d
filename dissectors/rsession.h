/*
 * rsession.h - R-GOOSE / R-SV: the IEC 61850-90-5 session protocol (IEC 61850-8-1 Ed.2.1 /
 * 9-2 Ed.2.1 "routable" GOOSE and SV) on UDP port 102, versions 1 and 2.
 *
 * The dissector emits no events of its own kind: each GOOSE or SV APDU it carries becomes a
 * struct gs_goose_event or gs_sv_event (goose.h, sv.h) whose `session` points at the struct
 * below and whose `security` holds the session's key id, key times, algorithm, signature and
 * the ranges the signature may cover (iec62351_6.h). An SPDU without a GOOSE or SV APDU
 * (management, an unknown element, an encrypted payload) still yields one event, with no PDU,
 * of the kind its SI names (A2: sv, else goose), so every signature reaches the verifier.
 */
#ifndef GS_DISSECTORS_RSESSION_H
#define GS_DISSECTORS_RSESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dissector.h"

extern const struct gs_dissector gs_rsession_dissector;

/* Session identifiers (SI) */
#define GS_RSESSION_SI_TUNNEL 0xA0u
#define GS_RSESSION_SI_GOOSE  0xA1u
#define GS_RSESSION_SI_SV     0xA2u
#define GS_RSESSION_SI_MNGT   0xA3u

/* Payload element tags (TMW writes 0x80 for a tunnel, 0x83 for management) */
#define GS_RSESSION_EL_TUNNEL_TMW 0x80u
#define GS_RSESSION_EL_GOOSE      0x81u
#define GS_RSESSION_EL_SV         0x82u
#define GS_RSESSION_EL_TUNNEL     0x83u
#define GS_RSESSION_EL_MNGT       0x84u

/*
 * Which readings of the SPDU-length field fit this SPDU (implementations disagree, so it is
 * never used for framing; ../shared/specs/iec62351_6.md §3.4.5):
 */
#define GS_RSESSION_SPDU_LEN_AFTER_FIELD (1u << 0) /* octets after the field to the signature */
#define GS_RSESSION_SPDU_LEN_FROM_SI_LI                                                            \
    (1u << 1)                                   /* octets after SI and LI to the payload end       \
                                                   (SISCO 2011 sample) */
#define GS_RSESSION_SPDU_LEN_WITH_SIG (1u << 2) /* the first reading plus the signature */
#define GS_RSESSION_SPDU_LEN_LIBIEC   (1u << 3) /* 20 + payload length (libiec61850) */

struct gs_rsession {
    struct gs_span spdu; /* the whole UDP payload (CLTP LI first): offsets below count from it */
    uint8_t cltp_li;     /* CLTP UD TPDU length indicator (1 without parameters) */
    size_t si_offset;    /* where SI is (cltp_li + 1) */
    uint8_t si;          /* GS_RSESSION_SI_* */
    uint8_t session_li;  /* LI after SI, as sent */
    uint8_t session_li_expected; /* the octets the header fields present take */
    uint8_t common_li;           /* LI of the 0x80 common session header, as sent */
    uint8_t common_li_expected;
    uint32_t spdu_len;      /* as sent */
    uint32_t spdu_len_fits; /* GS_RSESSION_SPDU_LEN_* bits that agree with the octets */
    uint32_t spdu_num;      /* +1 per SPDU: the replay counter */
    uint16_t version;       /* 1 (90-5:2012) or 2 (8-1 Ed.2.1) */
    uint8_t iv_len;         /* version 2 */
    uint32_t payload_len;   /* as sent: the elements' octets, signature excluded */
    size_t payload_offset;  /* where the first element starts */
    uint16_t n_elements;    /* payload elements walked */
    bool encrypted;         /* the payload is ciphertext (v1 encryption algorithm != 0, or a v2
                               payload with an IV whose first octet is no element tag) */
    bool has_padding;
    struct gs_span padding; /* AF LL <padding> contents */
    bool trailing_zero;     /* a lone 00 after the elements (one 2017 publisher) */

    /* The element the current event reports (element_index < n_elements). */
    uint16_t element_index;
    uint8_t element_tag; /* GS_RSESSION_EL_* */
    uint8_t element_sim; /* simulation octet */
    uint16_t element_appid;
    uint16_t element_apdu_len; /* as sent (the tunnel's length for a tunnel element) */
    bool element_len_plus2;    /* APDU length = APDU + 2 (libiec61850 style) */
    bool tunnel;               /* a tunnel element: the link header below applies */
    uint8_t tunnel_dst_mac[6];
    uint16_t tunnel_tpid, tunnel_tci, tunnel_ether_type;
};

/* The anomaly names of the session layer itself (GOOSE and SV names come on top). */
#define GS_RSESSION_ANOMALY_NAMES                                                                  \
    "rsession.not_cltp", "rsession.short_header", "rsession.bad_si", "rsession.bad_header",        \
        "rsession.bad_version", "rsession.li_mismatch", "rsession.iv_length",                      \
        "rsession.payload_length", "rsession.bad_element", "rsession.element_si_mismatch",         \
        "rsession.element_length", "rsession.missing_signature", "rsession.bad_signature",         \
        "rsession.trailing_bytes", "rsession.spdu_length_mismatch", "rsession.truncated"

/* "tunnel", "goose", "sv", "management", or NULL for an unknown SI. */
const char *gs_rsession_si_name(uint8_t si);

#endif
