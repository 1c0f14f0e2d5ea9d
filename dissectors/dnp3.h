/*
 * dnp3.h - DNP3 (IEEE 1815-2012) over TCP and UDP: the dissector and its typed event.
 *
 * The dissector emits one GS_EVENT_DNP3 event per complete application fragment (request or
 * response), after link-layer CRC checks and transport reassembly. The event body is a
 * struct gs_dnp3_event: a contract for detectors (the SAv5 verifier, policy, baseline), so
 * fields are only ever added. Everything it points to (the fragment bytes, the object and SA
 * arrays) lives in the flow's dissector state and is valid only during the emit call: a
 * detector that needs bytes later (a challenge fragment for a later MAC) must copy them.
 *
 *   link frames --CRC strip--> transport segments --reassembly--> fragment
 *   fragment = AC FC [IIN1 IIN2] { group var qualifier range [prefix object]... }...
 */
#ifndef GS_DISSECTORS_DNP3_H
#define GS_DISSECTORS_DNP3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dissector.h"

extern const struct gs_dissector gs_dnp3_dissector;

/* Application function codes the detectors name (IEEE 1815-2012 Table 4-1). */
#define GS_DNP3_FC_CONFIRM         0x00
#define GS_DNP3_FC_READ            0x01
#define GS_DNP3_FC_WRITE           0x02
#define GS_DNP3_FC_SELECT          0x03
#define GS_DNP3_FC_OPERATE         0x04
#define GS_DNP3_FC_DIRECT_OPERATE  0x05
#define GS_DNP3_FC_DIRECT_OP_NR    0x06
#define GS_DNP3_FC_AUTH_REQUEST    0x20
#define GS_DNP3_FC_AUTH_REQUEST_NA 0x21
#define GS_DNP3_FC_RESPONSE        0x81
#define GS_DNP3_FC_UNSOLICITED     0x82
#define GS_DNP3_FC_AUTH_RESPONSE   0x83

/* Qualifier range kinds (low nibble of the qualifier, IEEE 1815-2012 §4.4.3.3). */
enum gs_dnp3_range_kind {
    GS_DNP3_RANGE_START_STOP = 0, /* codes 0..5: `start`..`stop` */
    GS_DNP3_RANGE_ALL,            /* code 6: no range field, all objects, no data */
    GS_DNP3_RANGE_COUNT,          /* codes 7, 8, 9 and 0xB (free format): `count` */
};

/*
 * One object header of a fragment and where its objects lie. `count` objects follow the
 * header inside `data` (prefixes included), except when `header_only` (READ-style requests,
 * variation 0, class data): then `data` holds only index prefixes, if any.
 */
struct gs_dnp3_object {
    uint8_t group;
    uint8_t variation;
    uint8_t qualifier;      /* as on the wire */
    uint8_t prefix_code;    /* qualifier bits 6..4: 0 none, 1..3 index 1/2/4 B, 4..6 size 1/2/4 B */
    uint8_t range_kind;     /* enum gs_dnp3_range_kind */
    bool header_only;       /* no object values follow, only prefixes */
    bool malformed;         /* the header or its objects were cut short or inconsistent: the
                               walk stopped here and `data` holds what was there */
    uint32_t start, stop;   /* GS_DNP3_RANGE_START_STOP */
    uint32_t count;         /* objects that follow (stop - start + 1 for ranges) */
    uint32_t header_offset; /* offset of the group byte in the fragment */
    uint32_t data_offset;   /* offset of the first prefix/object byte in the fragment */
    struct gs_span data;    /* prefixes and objects of this header */
    int32_t sa_index;       /* first entry in gs_dnp3_event.sa for a group 120 header, else -1 */
    uint16_t format;        /* internal: how points decode (see gs_dnp3_points_begin) */
};

/*
 * The decoded fields of one group 120 (Secure Authentication v5) object, per
 * ../shared/specs/dnp3_sav5.md §3. Which fields are meaningful depends on `variation`;
 * spans are empty when the variation has no such field. All spans point into the fragment,
 * and each `*_offset` is that span's offset in the fragment (for MAC inputs such as the
 * aggressive-mode "fragment up to the MAC value").
 */
struct gs_dnp3_sa {
    uint8_t variation;
    bool valid;               /* the object's lengths were consistent (else only `object` is set) */
    uint32_t object_offset;   /* offset of the object data (after any size prefix) */
    struct gs_span object;    /* the whole object data */
    uint32_t seq;             /* CSQ (v1, v2, v3, v7), KSQ (v5, v6, v12, v13), SCS (v10) */
    uint16_t user;            /* USR (v1..v7, v12, v13) */
    uint8_t mal;              /* MAC algorithm (v1, v5) */
    uint8_t reason;           /* reason for challenge (v1) */
    uint8_t kwa;              /* key-wrap algorithm (v5) */
    uint8_t key_status;       /* KST (v5) */
    uint8_t error_code;       /* ERR (v7) */
    uint16_t assoc_id;        /* AID (v7) */
    uint64_t error_time_ms;   /* v7, DNP3 time: ms since 1970-01-01 UTC */
    uint8_t kcm;              /* key change method (v8, v10, v11) */
    uint8_t cert_type;        /* v8 */
    uint8_t operation;        /* OPR (v10) */
    uint16_t user_role;       /* v10 */
    uint16_t role_expiry;     /* v10, days */
    struct gs_span challenge; /* v1 challenge data, v5/v12 outstation CD, v11 master CD */
    struct gs_span mac;       /* v2, v5, v9, v15 MAC value; v14 signature */
    uint32_t mac_offset;
    struct gs_span key_data;        /* v6 wrapped session keys, v13 encrypted update key */
    struct gs_span certificate;     /* v8 certificate, v10 certification data */
    struct gs_span user_name;       /* v10, v11 */
    struct gs_span user_public_key; /* v10 */
    struct gs_span error_text;      /* v7 */
    struct gs_span status_body; /* v5: the object data without its MAC (the key status message) */
};

/*
 * One application fragment. `fragment` is exact: AC byte through the last object byte, link
 * CRCs and transport bytes removed, as MACs are computed over it (dnp3_sav5.md §6).
 */
struct gs_dnp3_event {
    struct gs_span fragment;
    uint16_t src, dst;       /* link addresses of the frame that completed the fragment */
    bool from_master;        /* link DIR bit: sent by the master */
    uint8_t link_control;    /* control byte of that frame */
    uint8_t app_control;     /* AC byte */
    bool fir, fin, con, uns; /* AC flags */
    uint8_t seq;             /* AC sequence, 0..15 */
    uint8_t function_code;
    bool is_response; /* function code 0x81, 0x82 or 0x83 */
    bool has_iin;     /* a response long enough to carry IIN */
    uint16_t iin;     /* IIN1 << 8 | IIN2 */
    const struct gs_dnp3_object *objects;
    size_t n_objects;
    const struct gs_dnp3_sa *sa; /* decoded group 120 objects, in fragment order */
    size_t n_sa;
    uint32_t n_points;       /* objects counted over all headers */
    uint32_t n_segments;     /* transport segments (link frames) that carried it */
    bool complete;           /* every byte was walked and understood */
    const char *stop_reason; /* when !complete: the anomaly name that stopped the walk */
};

/* The name of a function code ("READ"), or NULL for a reserved one. */
const char *gs_dnp3_function_name(uint8_t fc);

/* The name of the link function in a link control byte ("UNCONFIRMED_USER_DATA"), by its PRM
 * bit, or NULL for a reserved one. The control byte also holds DIR (0x80), PRM (0x40),
 * FCB (0x20) and FCV (0x10) in primary frames, DFC (0x10) in secondary ones. */
const char *gs_dnp3_link_function_name(uint8_t control);

/* The snake_case name of IIN bit `bit` (0..15, IIN1.0 = 0 ... IIN2.7 = 15). */
const char *gs_dnp3_iin_name(unsigned bit);

/* The name of a CROB/analog-output command status (0 "success"), or NULL. */
const char *gs_dnp3_status_name(uint8_t status);

/* CRC-16/DNP over n bytes (as sent: low byte first). */
uint16_t gs_dnp3_crc(const uint8_t *p, size_t n);

/* ---- decoded point values ---------------------------------------------------------------- */

enum gs_dnp3_value_kind {
    GS_DNP3_VAL_NONE = 0, /* no value decoded (unknown layout): see `bytes` */
    GS_DNP3_VAL_BIT,      /* `u` 0/1 (packed, or the state bit of a flags byte) */
    GS_DNP3_VAL_DBIT,     /* `u` 0..3 (double-bit) */
    GS_DNP3_VAL_UINT,     /* `u` (counters, time delays, statistics) */
    GS_DNP3_VAL_INT,      /* `i` (analog 16/32-bit) */
    GS_DNP3_VAL_FLOAT,    /* `f` (analog float32/float64) */
    GS_DNP3_VAL_TIME,     /* only `time_ms` (g50, g51) */
    GS_DNP3_VAL_CROB,     /* `crob` (g12v1, g12v2) */
    GS_DNP3_VAL_BYTES,    /* `bytes` (octet strings g110/g111, attributes, sized objects) */
};

struct gs_dnp3_point {
    uint32_t index; /* from the prefix or the range; the running number for counts */
    uint32_t size;  /* from a size prefix, else 0 */
    enum gs_dnp3_value_kind kind;
    bool has_flags;
    uint8_t flags;
    uint64_t u;
    int64_t i;
    double f;
    bool has_time;
    bool time_relative; /* a 16-bit time relative to the last CTO (g2v3, g4v3) */
    uint64_t time_ms;
    bool has_status; /* CROB and analog output block command status */
    uint8_t status;
    struct {
        uint8_t code, count;
        uint32_t on_ms, off_ms;
    } crob;
    uint32_t interval; /* g50v2, g50v4 */
    uint8_t interval_units;
    struct gs_span bytes;
};

struct gs_dnp3_point_iter {
    const struct gs_dnp3_object *obj;
    struct gs_cursor cur;
    uint32_t n;
    uint8_t packed_byte;
};

/*
 * Walks the points of an object header in order (detectors and the log formatter call it
 * during the emit). The header was validated by the dissector, so every point the header
 * counts decodes; gs_dnp3_points_next returns false after the last or for header-only and
 * malformed headers.
 */
void gs_dnp3_points_begin(struct gs_dnp3_point_iter *it, const struct gs_dnp3_object *obj);
bool gs_dnp3_points_next(struct gs_dnp3_point_iter *it, struct gs_dnp3_point *pt);

#endif
