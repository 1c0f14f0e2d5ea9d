/*
 * iec61850_data.h - the MMS Data CHOICE (ISO 9506-2), as carried by GOOSE allData, MMS read
 * responses, writes and information reports, and R-GOOSE payloads (IEC 61850-8-1 §8.1.2).
 *
 *   A1 array | A2 structure | 83 boolean | 84 bit-string | 85 integer | 86 unsigned |
 *   87 floating-point | 89 octet-string | 8A visible-string | 8C binary-time | 8D bcd |
 *   8E booleanArray | 8F objId | 90 mMSString | 91 utc-time
 *
 * Values are decoded into a caller-owned, bounded flat list in document order: a structure or
 * array node is followed by its children (n_children of them, each of which may have children
 * of its own). Nothing is allocated; the caller sizes the list (goose.max_entries,
 * mms.max_objects) and a longer input sets `capped`.
 */
#ifndef GS_DISSECTORS_IEC61850_DATA_H
#define GS_DISSECTORS_IEC61850_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

/* The context tag number of each Data alternative. */
enum gs_data_type {
    GS_DATA_ARRAY = 1,
    GS_DATA_STRUCTURE = 2,
    GS_DATA_BOOLEAN = 3,
    GS_DATA_BIT_STRING = 4,
    GS_DATA_INTEGER = 5,
    GS_DATA_UNSIGNED = 6,
    GS_DATA_FLOAT = 7,
    GS_DATA_REAL = 8,
    GS_DATA_OCTET_STRING = 9,
    GS_DATA_VISIBLE_STRING = 10,
    GS_DATA_GENERALIZED_TIME = 11,
    GS_DATA_BINARY_TIME = 12,
    GS_DATA_BCD = 13,
    GS_DATA_BOOLEAN_ARRAY = 14,
    GS_DATA_OBJ_ID = 15,
    GS_DATA_MMS_STRING = 16,
    GS_DATA_UTC_TIME = 17,
};

/* UtcTime (IEC 61850-8-1 §8.1.3.7): seconds, 24-bit fraction of a second, quality octet. */
struct gs_utc_time {
    uint32_t seconds;
    uint32_t fraction; /* units of 2^-24 s */
    uint8_t quality;   /* 0x80 leap seconds known, 0x40 clock failure, 0x20 not synchronised,
                          0x1F accuracy bits */
};

struct gs_data_node {
    enum gs_data_type type;
    uint8_t depth;       /* 0 for a top-level value */
    bool valid;          /* the contents had the length and form their type requires */
    uint32_t n_children; /* for arrays and structures: direct children that follow */
    union {
        bool boolean;
        int64_t integer; /* also bcd */
        uint64_t unsigned_;
        double floating; /* single or double precision */
        struct gs_utc_time utc;
        uint8_t unused_bits; /* bit-string: unused bits in the last octet */
    } v;
    struct gs_span raw; /* the contents octets (strings, bit-string bits, octet-strings...) */
};

struct gs_data_list {
    struct gs_data_node *nodes; /* caller-owned storage */
    size_t cap;
    size_t n;
    bool capped; /* more values than cap: the rest were skipped */
};

/*
 * Decodes one Data value at the cursor (and its children) into `list`, nested `depth` levels
 * into the enclosing BER. Returns false if the BER is malformed (the cursor then carries the
 * error) or an unknown tag is met; values decoded before the failure stay in the list.
 */
bool gs_data_decode(struct gs_cursor *cur, struct gs_data_list *list, unsigned depth);

/* Decodes a sequence of Data values filling the whole cursor (allData, listOfAccessResult
 * successes, a write's listOfData). Returns the number of top-level values, or -1 on error. */
long gs_data_decode_all(struct gs_cursor *cur, struct gs_data_list *list, unsigned depth);

/* The ASN.1 name of a Data alternative ("boolean", "bit-string", "utc-time"...). */
const char *gs_data_type_name(enum gs_data_type type);

/* Reads an 8-octet UtcTime; false if the length is not 8. */
bool gs_utc_time_decode(struct gs_cursor value, struct gs_utc_time *out);

/* Converts a UtcTime to microseconds since the epoch (fraction rounded down). */
uint64_t gs_utc_time_us(const struct gs_utc_time *t);

#endif
