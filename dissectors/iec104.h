/*
 * iec104.h - the IEC 60870-5-104 dissector and its event, the contract with detectors.
 *
 * One struct gs_iec104_event is emitted (GS_EVENT_IEC104) per APDU: I-, S- or U-format, in
 * stream order. It and everything it points to live in the flow's dissector state or in the
 * packet, and are valid only during the emit call: a detector that needs bytes later (a
 * 62351-5 MAC verifier keeping a challenge) copies them into its own bounded state.
 *
 * Reading an event:
 *   - apci is always valid. send_seq is meaningful for I-format, recv_seq for I and S,
 *     u_function for U.
 *   - asdu is NULL for S- and U-format and for an I-format APDU without ASDU octets.
 *   - asdu->truncated: the ASDU is shorter than its data unit identifier; only the has_*
 *     fields are valid and no object was decoded. Otherwise type_id, sq, num_objects, cot,
 *     negative, test, oa (if the COT has two octets) and ca are all valid.
 *   - asdu->objects_status says whether objects[] holds the information objects: they are
 *     decoded only when num_objects x element size fits the ASDU exactly (or with trailing
 *     octets, reported), at most iec104.max_objects of them.
 *   - asdu->sa is non-NULL for the IEC 62351-5 types 81..95; its fields are valid when
 *     sa->complete (a single-segment message, or the last segment of a reassembled one).
 *
 * Field sizes follow iec104.cot_size, iec104.ca_size and iec104.ioa_size (104 fixes them at
 * 2, 2 and 3, the defaults).
 */
#ifndef GS_DISSECTORS_IEC104_H
#define GS_DISSECTORS_IEC104_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dissector.h"

extern const struct gs_dissector gs_iec104_dissector;

/* ---- APCI ---------------------------------------------------------------------------------- */

enum gs_iec104_format {
    GS_IEC104_FORMAT_I = 0, /* numbered information transfer, carries an ASDU */
    GS_IEC104_FORMAT_S = 1, /* supervisory: acknowledges I-frames */
    GS_IEC104_FORMAT_U = 3, /* unnumbered control functions */
};

/* U-format functions: the bit of control octet 1 that names each (a valid U-frame sets one). */
#define GS_IEC104_U_STARTDT_ACT 0x04
#define GS_IEC104_U_STARTDT_CON 0x08
#define GS_IEC104_U_STOPDT_ACT  0x10
#define GS_IEC104_U_STOPDT_CON  0x20
#define GS_IEC104_U_TESTFR_ACT  0x40
#define GS_IEC104_U_TESTFR_CON  0x80

struct gs_iec104_apci {
    enum gs_iec104_format format;
    uint8_t length;      /* the length octet: control octets + ASDU (4..253 when valid) */
    uint8_t control[4];  /* the four control octets as on the wire */
    uint16_t send_seq;   /* N(S), 0..32767 (I) */
    uint16_t recv_seq;   /* N(R), 0..32767 (I, S) */
    uint8_t u_function;  /* U: control octet 1 bits 7..2, one GS_IEC104_U_* when valid */
    struct gs_span apdu; /* the whole APDU, start octet 0x68 to its last octet */
};

/* ---- time tags ----------------------------------------------------------------------------- */

enum gs_iec104_time_kind {
    GS_IEC104_TIME_NONE = 0,
    GS_IEC104_TIME_CP16, /* two octets: ms only (elapsed/delay times) */
    GS_IEC104_TIME_CP24, /* ms and minute */
    GS_IEC104_TIME_CP56, /* ms, minute, hour, day, month, year */
};

/* CP56Time2a and its shorter forms, decoded field by field (never normalised). */
struct gs_iec104_time {
    enum gs_iec104_time_kind kind;
    uint16_t ms;      /* milliseconds within the minute 0..59999 (CP16: the whole value) */
    uint8_t minute;   /* 0..59 */
    uint8_t hour;     /* 0..23 */
    uint8_t day;      /* day of month 1..31 */
    uint8_t dow;      /* day of week 1..7, 0 when not used */
    uint8_t month;    /* 1..12 */
    uint8_t year;     /* 0..99 */
    bool invalid;     /* IV */
    bool substituted; /* bit 6 of the minute octet (GEN/SB in some profiles) */
    bool summer;      /* SU */
};

/* ---- information objects ------------------------------------------------------------------- */

enum gs_iec104_value_kind {
    GS_IEC104_VAL_NONE = 0,   /* no value (C_RD_NA_1, C_CS_NA_1: see time) */
    GS_IEC104_VAL_SINGLE,     /* SPI or SCS: 0 off, 1 on (v.u) */
    GS_IEC104_VAL_DOUBLE,     /* DPI or DCS: 0..3 (v.u) */
    GS_IEC104_VAL_REGSTEP,    /* RCS: 1 lower, 2 higher (v.u) */
    GS_IEC104_VAL_STEP,       /* VTI value -64..63 (v.i), `transient` */
    GS_IEC104_VAL_BITSTRING,  /* BSI, 32 bits (v.u) */
    GS_IEC104_VAL_NORMALIZED, /* NVA as the raw i16 (v.i); the value is v.i / 32768 */
    GS_IEC104_VAL_SCALED,     /* SVA, i16 (v.i) */
    GS_IEC104_VAL_FLOAT,      /* IEEE 754 short float (v.f) */
    GS_IEC104_VAL_COUNTER,    /* BCR counter reading, i32 (v.i); its sequence octet in quality */
    GS_IEC104_VAL_PACKED,     /* SCD: 16 status bits (low) and 16 change bits (high) (v.u) */
    GS_IEC104_VAL_PROTECTION, /* SEP, SPE or OCI octet (v.u); QDP in quality, CP16 in elapsed */
    GS_IEC104_VAL_QUALIFIER,  /* QOI, QCC, QRP, QPA or COI octet (v.u) */
    GS_IEC104_VAL_TEST,       /* C_TS_NA_1 fixed test pattern or C_TS_TA_1 TSC (v.u) */
    GS_IEC104_VAL_FILE,       /* file transfer: see `file` */
};

/* File transfer fields (types 120..127); a field a type does not carry is 0 / empty. */
struct gs_iec104_file {
    uint16_t name;                    /* NOF */
    uint8_t section;                  /* NOS */
    uint32_t length;                  /* LOF, or LOS for a segment */
    uint8_t qualifier;                /* FRQ, SRQ, SCQ, LSQ, AFQ or SOF */
    uint8_t checksum;                 /* CHS (F_LS_NA_1) */
    struct gs_span segment;           /* F_SG_NA_1 segment octets */
    struct gs_iec104_time range_stop; /* F_SC_NB_1: end of the requested range (start in
                                         the object's time) */
};

struct gs_iec104_object {
    uint32_t ioa;           /* for SQ=1, the first IOA + the element's index */
    struct gs_span element; /* the element octets (after the IOA, if the element has one) */
    enum gs_iec104_value_kind kind;
    union {
        uint32_t u;
        int32_t i;
        float f;
    } v;
    bool has_quality;
    uint8_t quality; /* SIQ/DIQ/QDS/QDP octet (value bits masked off) or BCR sequence octet */
    bool transient;  /* VTI transient bit */
    /* Command semantics (control-direction types). */
    bool has_select;
    bool select; /* S/E bit: true = select, false = execute */
    bool has_qualifier;
    uint8_t qualifier;          /* QU (SCO/DCO/RCO), QL (QOS) or the QPM octet */
    struct gs_iec104_time time; /* time tag (kind NONE when the type has none) */
    bool has_elapsed;
    uint16_t elapsed_ms;        /* CP16 of protection events, C_CD_NA_1 delay */
    uint16_t association_id;    /* S_IT_TC_1 */
    struct gs_iec104_file file; /* file transfer types */
};

/* ---- IEC 62351-5 secure authentication (types 81..95) --------------------------------------- */

struct gs_iec104_asdu;

/*
 * The fields of a secure-authentication message, named as in IEC 62351-5 (and DNP3 SAv5
 * group 120). has_* says which fields the type carries; spans point into the packet or, for
 * a message reassembled from several segments, into the flow state.
 */
struct gs_iec104_sa {
    bool has_segment;       /* every type but 84 starts with a segmentation octet */
    uint8_t asn;            /* ASDU sequence number 0..63 */
    bool first;             /* FIR */
    bool final;             /* FIN */
    bool complete;          /* the fields below are decoded */
    bool reassembled;       /* ... from more than one segment */
    struct gs_span message; /* the message after the segmentation octet (reassembled) */

    bool has_csq, has_ksq, has_usr;
    uint32_t csq; /* challenge sequence number (81, 82, 83, 87) */
    uint32_t ksq; /* key change sequence number (85, 86, 92, 93, 94) */
    uint16_t usr; /* user number */
    bool has_mal;
    uint8_t mal; /* MAC algorithm (81, 85) */
    uint8_t rsc; /* reason for challenge (81) */
    bool has_key_status;
    uint8_t kwa; /* key wrap algorithm (85) */
    uint8_t kst; /* key status (85) */
    bool has_kcm;
    uint8_t kcm; /* key change method (88, 90, 91) */
    bool has_error;
    uint16_t aid;              /* association id (87) */
    uint8_t err;               /* error code (87) */
    struct gs_iec104_time etm; /* time of error (87) */
    bool has_user_status;
    uint8_t operation;    /* OPR (90) */
    uint32_t scs;         /* status change sequence number (90) */
    uint16_t role;        /* user role (90) */
    uint16_t role_expiry; /* days (90) */

    struct gs_span challenge;   /* challenge data: CHD (81), KCD (85), CGC (91), CDC (92) */
    struct gs_span mac;         /* MAC value (82, 83, 85, 93, 95) */
    bool mac_in_asdu;           /* the MAC lies in this ASDU's own octets, at mac_offset */
    size_t mac_offset;          /* offset of the MAC from asdu->bytes.ptr (83: what it covers) */
    struct gs_span wrapped_key; /* WKD (86), encrypted update key (93, 94) */
    struct gs_span name;        /* user name (90, 91) */
    struct gs_span public_key;  /* user public key (90) */
    struct gs_span certificate; /* certification data (88, 90) */
    struct gs_span signature;   /* digital signature (94) */
    struct gs_span error_text;  /* (87) */
    const struct gs_iec104_asdu *challenged; /* 83: the ASDU the aggressive request carries */
};

/* ---- ASDU ---------------------------------------------------------------------------------- */

enum gs_iec104_objects_status {
    GS_IEC104_OBJ_OK = 0,   /* objects[] holds min(num_objects, iec104.max_objects) */
    GS_IEC104_OBJ_NONE,     /* not decoded: truncated header, or a secure type (see sa) */
    GS_IEC104_OBJ_UNKNOWN,  /* unknown or reserved type identification: sizes unknown */
    GS_IEC104_OBJ_SHORT,    /* num_objects x element size exceeds the ASDU */
    GS_IEC104_OBJ_TRAILING, /* decoded, but octets follow the last object */
};

struct gs_iec104_asdu {
    struct gs_span bytes; /* the exact ASDU octets, type identification to the last octet */
    bool truncated;       /* shorter than its data unit identifier (see has_*) */
    uint8_t type_id;
    bool has_vsq;
    bool sq;             /* SQ: one IOA, then num_objects elements at consecutive addresses */
    uint8_t num_objects; /* VSQ number of objects/elements, 0..127, as on the wire */
    bool has_cot;
    uint8_t cot;   /* cause of transmission, 6 bits */
    bool negative; /* P/N */
    bool test;     /* T */
    bool has_oa;
    uint8_t oa; /* originator address (COT of two octets) */
    bool has_ca;
    uint16_t ca;     /* common address */
    bool is_command; /* a control-direction type: process (45..69), system (100..107) or
                        parameter (110..113); its reply in the monitor direction too */
    enum gs_iec104_objects_status objects_status;
    bool objects_capped; /* num_objects > iec104.max_objects: only the first were decoded */
    size_t n_objects;
    const struct gs_iec104_object *objects;
    const struct gs_iec104_sa *sa; /* types 81..95, else NULL */
};

struct gs_iec104_event {
    struct gs_iec104_apci apci;
    const struct gs_iec104_asdu *asdu;
};

/* The mnemonic of a type identification ("C_SC_NA_1"), or NULL when unassigned. */
const char *gs_iec104_type_name(uint8_t type_id);

/* The standard abbreviation of a cause of transmission ("act", "inrogen"), or NULL. */
const char *gs_iec104_cot_name(uint8_t cot);

/* The name of a U-format function bit ("STARTDT act"), or NULL when not exactly one. */
const char *gs_iec104_u_name(uint8_t u_function);

#endif
