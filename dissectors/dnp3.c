/*
 * dnp3.c - DNP3 link, transport and application layers over TCP/UDP (IEEE 1815-2012 §9 link
 * layer, §8 transport function, §4-5 application layer, §7 Secure Authentication v5 objects;
 * digests ../shared/specs/dnp3.md and dnp3_sav5.md).
 *
 *   link frame (<= 292 bytes)                                    CRC-16/DNP every block
 *   +------+------+-----+------+------+------+-------+  +--------------+-----+  +-----
 *   | 0x05 | 0x64 | LEN | CTRL | DST  | SRC  | CRC   |  | <=16 data    | CRC | ...
 *   +------+------+-----+------+------+------+-------+  +--------------+-----+  +-----
 *     LEN = 5 + user data bytes; CTRL = DIR PRM FCB/- FCV/DFC func(4)
 *   user data = TH(FIN FIR seq6) + fragment piece; pieces of one (src, dst, direction)
 *   are joined from FIR to FIN into an application fragment:
 *   +----+----+-----------+----------------------------------------------------------+
 *   | AC | FC | IIN1 IIN2 | group var qualifier range [prefix object] ... (repeated) |
 *   +----+----+-----------+----------------------------------------------------------+
 *     AC = FIR FIN CON UNS seq4; IIN only in responses (0x81, 0x82, 0x83)
 *
 * Over TCP the stream may begin (or resume after a gap) mid-frame: the parser hunts for a
 * start pair whose LEN is sane and whose header CRC verifies, and only then trusts a frame.
 * A frame with a bad data-block CRC is reported and its user data dropped, so the fragment
 * it belonged to is lost (the next segment shows as a transport gap), as in receivers.
 * Every fragment is walked to its last byte with the object sizes of every group the digest
 * lists; a header whose size is unknown or whose counts exceed the bytes stops the walk.
 */
#include "dnp3.h"

#include <string.h>

#include "compiler.h"
#include "names.h"

#define DNP3_START1         0x05
#define DNP3_START2         0x64
#define DNP3_HDR_LEN        10
#define DNP3_MIN_LEN        5
#define DNP3_BLOCK          16
#define DNP3_MAX_USER       250
#define DNP3_MAX_FRAME      292
#define DNP3_DEFAULT_PORT   20000
#define DNP3_PROBE_MAX_SCAN 64

/* Link control byte (§9.2.4.1.3). */
#define DNP3_LINK_DIR(c)    (((c)&0x80u) != 0)
#define DNP3_LINK_PRM(c)    (((c)&0x40u) != 0)
#define DNP3_LINK_FUNC(c)   ((uint8_t)((c)&0x0Fu))
/* Transport header (§8.2.1): FIN and FIR are the other way round from the AC byte. */
#define DNP3_TH_FIN(t)      (((t)&0x80u) != 0)
#define DNP3_TH_FIR(t)      (((t)&0x40u) != 0)
#define DNP3_TH_SEQ(t)      ((uint8_t)((t)&0x3Fu))
/* Application control (§4.2.2.4). */
#define DNP3_AC_FIR(a)      (((a)&0x80u) != 0)
#define DNP3_AC_FIN(a)      (((a)&0x40u) != 0)
#define DNP3_AC_CON(a)      (((a)&0x20u) != 0)
#define DNP3_AC_UNS(a)      (((a)&0x10u) != 0)
#define DNP3_AC_SEQ(a)      ((uint8_t)((a)&0x0Fu))
/* Qualifier (§4.4.3.3). */
#define DNP3_QUAL_PREFIX(q) ((uint8_t)(((q) >> 4) & 0x07u))
#define DNP3_QUAL_RANGE(q)  ((uint8_t)((q)&0x0Fu))

/* Link functions that carry no user data even when LEN says so (as Wireshark reads them). */
#define DNP3_LF_RESET_OR_ACK 0x0
#define DNP3_LF_REQ_STATUS   0x9
#define DNP3_LF_LINK_STATUS  0xB

static const char *const dnp3_event_names[] = {
    "dnp3.resync",
    "dnp3.bad_header_crc",
    "dnp3.bad_length",
    "dnp3.bad_link_crc",
    "dnp3.truncated_frame",
    "dnp3.unexpected_link_data",
    "dnp3.orphan_segment",
    "dnp3.transport_gap",
    "dnp3.fragment_dropped",
    "dnp3.fragment_too_long",
    "dnp3.too_many_associations",
    "dnp3.short_fragment",
    "dnp3.reserved_function",
    "dnp3.unexpected_objects",
    "dnp3.bad_object",
    "dnp3.bad_qualifier",
    "dnp3.bad_range",
    "dnp3.unknown_object",
    "dnp3.too_many_objects",
    "dnp3.too_many_points",
    "dnp3.bad_sa_object",
    "dnp3.too_many_sa_objects",
    NULL,
};

/* ---- names --------------------------------------------------------------------------------- */

static const struct gs_name_map dnp3_functions[] = {
    {0x00, "CONFIRM"},
    {0x01, "READ"},
    {0x02, "WRITE"},
    {0x03, "SELECT"},
    {0x04, "OPERATE"},
    {0x05, "DIRECT_OPERATE"},
    {0x06, "DIRECT_OPERATE_NR"},
    {0x07, "IMMED_FREEZE"},
    {0x08, "IMMED_FREEZE_NR"},
    {0x09, "FREEZE_CLEAR"},
    {0x0A, "FREEZE_CLEAR_NR"},
    {0x0B, "FREEZE_AT_TIME"},
    {0x0C, "FREEZE_AT_TIME_NR"},
    {0x0D, "COLD_RESTART"},
    {0x0E, "WARM_RESTART"},
    {0x0F, "INITIALIZE_DATA"},
    {0x10, "INITIALIZE_APPLICATION"},
    {0x11, "START_APPLICATION"},
    {0x12, "STOP_APPLICATION"},
    {0x13, "SAVE_CONFIGURATION"},
    {0x14, "ENABLE_UNSOLICITED"},
    {0x15, "DISABLE_UNSOLICITED"},
    {0x16, "ASSIGN_CLASS"},
    {0x17, "DELAY_MEASURE"},
    {0x18, "RECORD_CURRENT_TIME"},
    {0x19, "OPEN_FILE"},
    {0x1A, "CLOSE_FILE"},
    {0x1B, "DELETE_FILE"},
    {0x1C, "GET_FILE_INFO"},
    {0x1D, "AUTHENTICATE_FILE"},
    {0x1E, "ABORT_FILE"},
    {0x1F, "ACTIVATE_CONFIG"},
    {0x20, "AUTH_REQUEST"},
    {0x21, "AUTH_REQUEST_NO_ACK"},
    {0x81, "RESPONSE"},
    {0x82, "UNSOLICITED_RESPONSE"},
    {0x83, "AUTH_RESPONSE"},
    {0, NULL},
};

/* IIN1.0 .. IIN2.7, Suricata's dnp3_ind spelling. */
static const char *const dnp3_iin_names[16] = {
    "all_stations",      "class_1_events",  "class_2_events",
    "class_3_events",    "need_time",       "local_control",
    "device_trouble",    "device_restart",  "no_func_code_support",
    "object_unknown",    "parameter_error", "event_buffer_overflow",
    "already_executing", "config_corrupt",  "reserved_1",
    "reserved_2",
};

static const struct gs_name_map dnp3_statuses[] = {
    {0, "success"},
    {1, "timeout"},
    {2, "no_select"},
    {3, "format_error"},
    {4, "not_supported"},
    {5, "already_active"},
    {6, "hardware_error"},
    {7, "local"},
    {8, "too_many_ops"},
    {9, "not_authorized"},
    {10, "automation_inhibit"},
    {11, "processing_limited"},
    {12, "out_of_range"},
    {13, "downstream_local"},
    {14, "already_complete"},
    {15, "blocked"},
    {16, "cancelled"},
    {17, "blocked_other_master"},
    {18, "downstream_fail"},
    {126, "non_participating"},
    {0, NULL},
};

/* Link functions by PRM: primary (PRM=1) then secondary (§9.2.4.1.3.6). */
static const struct gs_name_map dnp3_link_primary[] = {
    {0x0, "RESET_LINK_STATES"},
    {0x1, "RESET_USER_PROCESS"},
    {0x2, "TEST_LINK_STATES"},
    {0x3, "CONFIRMED_USER_DATA"},
    {0x4, "UNCONFIRMED_USER_DATA"},
    {0x9, "REQUEST_LINK_STATUS"},
    {0, NULL},
};

static const struct gs_name_map dnp3_link_secondary[] = {
    {0x0, "ACK"},           {0x1, "NACK"}, {0xB, "LINK_STATUS"}, {0xE, "NOT_FUNCTIONING"},
    {0xF, "NOT_SUPPORTED"}, {0, NULL},
};

const char *gs_dnp3_link_function_name(uint8_t control)
{
    return gs_name_lookup(DNP3_LINK_PRM(control) ? dnp3_link_primary : dnp3_link_secondary,
                          DNP3_LINK_FUNC(control), NULL);
}

const char *gs_dnp3_function_name(uint8_t fc)
{
    return gs_name_lookup(dnp3_functions, fc, NULL);
}

const char *gs_dnp3_iin_name(unsigned bit)
{
    return bit < 16 ? dnp3_iin_names[bit] : NULL;
}

const char *gs_dnp3_status_name(uint8_t status)
{
    return gs_name_lookup(dnp3_statuses, status, NULL);
}

/* ---- CRC-16/DNP ---------------------------------------------------------------------------- */

/* Reads n bytes through the cursor and returns their CRC (the cursor advances). */
static uint16_t crc_cur(struct gs_cursor *cur, size_t n)
{
    uint16_t crc = 0;
    for (size_t k = 0; k < n; k++) {
        crc ^= gs_cur_u8(cur);
        for (int b = 0; b < 8; b++)
            crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0xA6BCu) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)~crc;
}

uint16_t gs_dnp3_crc(const uint8_t *p, size_t n)
{
    struct gs_cursor cur = gs_cur_init(p, n);
    return crc_cur(&cur, n);
}

/* ---- object formats ------------------------------------------------------------------------ */

enum fmt_kind {
    FK_NONE,    /* no object data (class data) */
    FK_FIXED,   /* fixed size, fields below */
    FK_PACKED1, /* one bit per point */
    FK_PACKED2, /* two bits per point */
    FK_CROB,    /* g12v1/v2, 11 bytes */
    FK_OCTET,   /* size = variation (g110..g113) */
    FK_ATTR,    /* g0 device attribute: type, length, value */
    FK_SIZED,   /* only walkable with a size prefix (files, data sets, SA) */
};

enum fmt_val { FV_NONE, FV_STATE, FV_DSTATE, FV_U16, FV_U32, FV_I16, FV_I32, FV_F32, FV_F64 };

#define F_FLAGS    0x01u /* quality flags byte first */
#define F_STATUS   0x02u /* command status byte after the value (g41) */
#define F_STATUS0  0x04u /* command status byte before the value (g43) */
#define F_T48      0x08u /* 48-bit absolute time after the value */
#define F_T16      0x10u /* 16-bit relative time after the value */
#define F_INTERVAL 0x20u /* u32 interval after the time (g50v2, g50v4) */
#define F_UNITS    0x40u /* u8 interval units (g50v4) */
#define F_ASSOC    0x80u /* u16 association id after the flags (g121, g122) */

struct obj_format {
    uint8_t group, var; /* var 0xFF: any non-zero variation */
    uint8_t kind;       /* enum fmt_kind */
    uint8_t val;        /* enum fmt_val */
    uint8_t bits;       /* F_* */
};

#define FIX(g, v, val, bits)                                                                       \
    {                                                                                              \
        g, v, FK_FIXED, val, bits                                                                  \
    }
#define ANY 0xFF

static const struct obj_format formats[] = {
    {0, ANY, FK_ATTR, FV_NONE, 0},
    {1, 1, FK_PACKED1, FV_STATE, 0},
    FIX(1, 2, FV_STATE, F_FLAGS),
    FIX(2, 1, FV_STATE, F_FLAGS),
    FIX(2, 2, FV_STATE, F_FLAGS | F_T48),
    FIX(2, 3, FV_STATE, F_FLAGS | F_T16),
    {3, 1, FK_PACKED2, FV_DSTATE, 0},
    FIX(3, 2, FV_DSTATE, F_FLAGS),
    FIX(4, 1, FV_DSTATE, F_FLAGS),
    FIX(4, 2, FV_DSTATE, F_FLAGS | F_T48),
    FIX(4, 3, FV_DSTATE, F_FLAGS | F_T16),
    {10, 1, FK_PACKED1, FV_STATE, 0},
    FIX(10, 2, FV_STATE, F_FLAGS),
    FIX(11, 1, FV_STATE, F_FLAGS),
    FIX(11, 2, FV_STATE, F_FLAGS | F_T48),
    {12, 1, FK_CROB, FV_NONE, 0},
    {12, 2, FK_CROB, FV_NONE, 0},
    {12, 3, FK_PACKED1, FV_STATE, 0},
    FIX(13, 1, FV_STATE, F_FLAGS),
    FIX(13, 2, FV_STATE, F_FLAGS | F_T48),
    FIX(20, 1, FV_U32, F_FLAGS),
    FIX(20, 2, FV_U16, F_FLAGS),
    FIX(20, 3, FV_U32, F_FLAGS),
    FIX(20, 4, FV_U16, F_FLAGS),
    FIX(20, 5, FV_U32, 0),
    FIX(20, 6, FV_U16, 0),
    FIX(20, 7, FV_U32, 0),
    FIX(20, 8, FV_U16, 0),
    FIX(21, 1, FV_U32, F_FLAGS),
    FIX(21, 2, FV_U16, F_FLAGS),
    FIX(21, 3, FV_U32, F_FLAGS),
    FIX(21, 4, FV_U16, F_FLAGS),
    FIX(21, 5, FV_U32, F_FLAGS | F_T48),
    FIX(21, 6, FV_U16, F_FLAGS | F_T48),
    FIX(21, 7, FV_U32, F_FLAGS | F_T48),
    FIX(21, 8, FV_U16, F_FLAGS | F_T48),
    FIX(21, 9, FV_U32, 0),
    FIX(21, 10, FV_U16, 0),
    FIX(21, 11, FV_U32, 0),
    FIX(21, 12, FV_U16, 0),
    FIX(22, 1, FV_U32, F_FLAGS),
    FIX(22, 2, FV_U16, F_FLAGS),
    FIX(22, 3, FV_U32, F_FLAGS),
    FIX(22, 4, FV_U16, F_FLAGS),
    FIX(22, 5, FV_U32, F_FLAGS | F_T48),
    FIX(22, 6, FV_U16, F_FLAGS | F_T48),
    FIX(22, 7, FV_U32, F_FLAGS | F_T48),
    FIX(22, 8, FV_U16, F_FLAGS | F_T48),
    FIX(23, 1, FV_U32, F_FLAGS),
    FIX(23, 2, FV_U16, F_FLAGS),
    FIX(23, 3, FV_U32, F_FLAGS),
    FIX(23, 4, FV_U16, F_FLAGS),
    FIX(23, 5, FV_U32, F_FLAGS | F_T48),
    FIX(23, 6, FV_U16, F_FLAGS | F_T48),
    FIX(23, 7, FV_U32, F_FLAGS | F_T48),
    FIX(23, 8, FV_U16, F_FLAGS | F_T48),
    FIX(30, 1, FV_I32, F_FLAGS),
    FIX(30, 2, FV_I16, F_FLAGS),
    FIX(30, 3, FV_I32, 0),
    FIX(30, 4, FV_I16, 0),
    FIX(30, 5, FV_F32, F_FLAGS),
    FIX(30, 6, FV_F64, F_FLAGS),
    FIX(31, 1, FV_I32, F_FLAGS),
    FIX(31, 2, FV_I16, F_FLAGS),
    FIX(31, 3, FV_I32, F_FLAGS | F_T48),
    FIX(31, 4, FV_I16, F_FLAGS | F_T48),
    FIX(31, 5, FV_I32, 0),
    FIX(31, 6, FV_I16, 0),
    FIX(31, 7, FV_F32, F_FLAGS),
    FIX(31, 8, FV_F64, F_FLAGS),
    FIX(32, 1, FV_I32, F_FLAGS),
    FIX(32, 2, FV_I16, F_FLAGS),
    FIX(32, 3, FV_I32, F_FLAGS | F_T48),
    FIX(32, 4, FV_I16, F_FLAGS | F_T48),
    FIX(32, 5, FV_F32, F_FLAGS),
    FIX(32, 6, FV_F64, F_FLAGS),
    FIX(32, 7, FV_F32, F_FLAGS | F_T48),
    FIX(32, 8, FV_F64, F_FLAGS | F_T48),
    FIX(33, 1, FV_I32, F_FLAGS),
    FIX(33, 2, FV_I16, F_FLAGS),
    FIX(33, 3, FV_I32, F_FLAGS | F_T48),
    FIX(33, 4, FV_I16, F_FLAGS | F_T48),
    FIX(33, 5, FV_F32, F_FLAGS),
    FIX(33, 6, FV_F64, F_FLAGS),
    FIX(33, 7, FV_F32, F_FLAGS | F_T48),
    FIX(33, 8, FV_F64, F_FLAGS | F_T48),
    FIX(34, 1, FV_U16, 0),
    FIX(34, 2, FV_U32, 0),
    FIX(34, 3, FV_F32, 0),
    FIX(40, 1, FV_I32, F_FLAGS),
    FIX(40, 2, FV_I16, F_FLAGS),
    FIX(40, 3, FV_F32, F_FLAGS),
    FIX(40, 4, FV_F64, F_FLAGS),
    FIX(41, 1, FV_I32, F_STATUS),
    FIX(41, 2, FV_I16, F_STATUS),
    FIX(41, 3, FV_F32, F_STATUS),
    FIX(41, 4, FV_F64, F_STATUS),
    FIX(42, 1, FV_I32, F_FLAGS),
    FIX(42, 2, FV_I16, F_FLAGS),
    FIX(42, 3, FV_I32, F_FLAGS | F_T48),
    FIX(42, 4, FV_I16, F_FLAGS | F_T48),
    FIX(42, 5, FV_F32, F_FLAGS),
    FIX(42, 6, FV_F64, F_FLAGS),
    FIX(42, 7, FV_F32, F_FLAGS | F_T48),
    FIX(42, 8, FV_F64, F_FLAGS | F_T48),
    FIX(43, 1, FV_I32, F_STATUS0),
    FIX(43, 2, FV_I16, F_STATUS0),
    FIX(43, 3, FV_I32, F_STATUS0 | F_T48),
    FIX(43, 4, FV_I16, F_STATUS0 | F_T48),
    FIX(43, 5, FV_F32, F_STATUS0),
    FIX(43, 6, FV_F64, F_STATUS0),
    FIX(43, 7, FV_F32, F_STATUS0 | F_T48),
    FIX(43, 8, FV_F64, F_STATUS0 | F_T48),
    FIX(50, 1, FV_NONE, F_T48),
    FIX(50, 2, FV_NONE, F_T48 | F_INTERVAL),
    FIX(50, 3, FV_NONE, F_T48),
    FIX(50, 4, FV_NONE, F_T48 | F_INTERVAL | F_UNITS),
    FIX(51, 1, FV_NONE, F_T48),
    FIX(51, 2, FV_NONE, F_T48),
    FIX(52, 1, FV_U16, 0),
    FIX(52, 2, FV_U16, 0),
    {60, 1, FK_NONE, FV_NONE, 0},
    {60, 2, FK_NONE, FV_NONE, 0},
    {60, 3, FK_NONE, FV_NONE, 0},
    {60, 4, FK_NONE, FV_NONE, 0},
    {70, ANY, FK_SIZED, FV_NONE, 0},
    {80, 1, FK_PACKED1, FV_STATE, 0},
    {83, ANY, FK_SIZED, FV_NONE, 0},
    {85, ANY, FK_SIZED, FV_NONE, 0},
    {86, ANY, FK_SIZED, FV_NONE, 0},
    {87, ANY, FK_SIZED, FV_NONE, 0},
    {88, ANY, FK_SIZED, FV_NONE, 0},
    {90, ANY, FK_SIZED, FV_NONE, 0},
    {110, ANY, FK_OCTET, FV_NONE, 0},
    {111, ANY, FK_OCTET, FV_NONE, 0},
    {112, ANY, FK_OCTET, FV_NONE, 0},
    {113, ANY, FK_OCTET, FV_NONE, 0},
    FIX(120, 3, FV_NONE, 0),
    FIX(120, 4, FV_NONE, 0),
    {120, ANY, FK_SIZED, FV_NONE, 0},
    FIX(121, 1, FV_U32, F_FLAGS | F_ASSOC),
    FIX(122, 1, FV_U32, F_FLAGS | F_ASSOC),
    FIX(122, 2, FV_U32, F_FLAGS | F_ASSOC | F_T48),
};

static size_t val_size(uint8_t val)
{
    switch (val) {
    case FV_U16:
    case FV_I16:
        return 2;
    case FV_U32:
    case FV_I32:
    case FV_F32:
        return 4;
    case FV_F64:
        return 8;
    default:
        return 0;
    }
}

/* Bytes of one object of a fixed layout. */
static size_t format_size(const struct obj_format *f)
{
    switch (f->kind) {
    case FK_CROB:
        return 11;
    case FK_FIXED:
        break;
    default:
        return 0;
    }
    if (f->group == 120)
        return f->var == 3 ? 6 : 2;
    size_t n = val_size(f->val);
    n += (f->bits & F_FLAGS) ? 1u : 0u;
    n += (f->bits & (F_STATUS | F_STATUS0)) ? 1u : 0u;
    n += (f->bits & F_T48) ? 6u : 0u;
    n += (f->bits & F_T16) ? 2u : 0u;
    n += (f->bits & F_INTERVAL) ? 4u : 0u;
    n += (f->bits & F_UNITS) ? 1u : 0u;
    n += (f->bits & F_ASSOC) ? 2u : 0u;
    return n;
}

/* Index + 1 into formats[] for a group/variation, 0 when unknown. */
static uint16_t format_find(uint8_t group, uint8_t var)
{
    for (size_t k = 0; k < GS_ARRAY_LEN(formats); k++) {
        const struct obj_format *f = &formats[k];
        if (f->group == group && (f->var == var || (f->var == ANY && var != 0)))
            return (uint16_t)(k + 1);
    }
    return 0;
}

static size_t prefix_bytes(uint8_t prefix_code)
{
    static const uint8_t sizes[8] = {0, 1, 2, 4, 1, 2, 4, 0};
    return sizes[prefix_code & 7u];
}

#define PREFIX_IS_SIZE(p)  ((p) >= 4u && (p) <= 6u)
#define PREFIX_IS_INDEX(p) ((p) >= 1u && (p) <= 3u)

/* ---- per-flow state ------------------------------------------------------------------------ */

/* One link association (source, destination, direction) under transport reassembly. */
struct assoc {
    bool used;
    bool active;  /* a fragment is being reassembled */
    bool discard; /* it outgrew dnp3.max_fragment_bytes: follow it to FIN, keep nothing */
    uint8_t dir;
    uint16_t src, dst;
    uint8_t next_tseq;
    uint8_t last_tseq;
    uint32_t len;
    uint32_t segments;
    uint64_t last_used;
    uint8_t *buf; /* dnp3.max_fragment_bytes */
};

struct dnp3_state {
    uint32_t max_fragment, max_objects, max_points, max_assoc, max_sa;
    uint64_t clock;
    struct assoc *assocs;
    struct gs_dnp3_object *objects;
    struct gs_dnp3_sa *sa;
};

#define ALIGN_UP(n) (((n) + (_Alignof(max_align_t) - 1)) & ~(_Alignof(max_align_t) - 1))

static size_t dnp3_state_size(const struct gs_config *cfg)
{
    size_t n = ALIGN_UP(sizeof(struct dnp3_state));
    n += ALIGN_UP((size_t)cfg->dnp3_max_associations * sizeof(struct assoc));
    n += ALIGN_UP((size_t)cfg->dnp3_max_objects * sizeof(struct gs_dnp3_object));
    n += ALIGN_UP((size_t)cfg->dnp3_max_sa_objects * sizeof(struct gs_dnp3_sa));
    n += ALIGN_UP((size_t)cfg->dnp3_max_associations * cfg->dnp3_max_fragment_bytes);
    return n;
}

static void dnp3_state_init(void *state, const struct gs_config *cfg)
{
    struct dnp3_state *st = state;
    uint8_t *p = (uint8_t *)state + ALIGN_UP(sizeof(*st));
    st->max_fragment = cfg->dnp3_max_fragment_bytes;
    st->max_objects = cfg->dnp3_max_objects;
    st->max_points = cfg->dnp3_max_points;
    st->max_assoc = cfg->dnp3_max_associations;
    st->max_sa = cfg->dnp3_max_sa_objects;
    st->assocs = (struct assoc *)(void *)p;
    p += ALIGN_UP((size_t)st->max_assoc * sizeof(struct assoc));
    st->objects = (struct gs_dnp3_object *)(void *)p;
    p += ALIGN_UP((size_t)st->max_objects * sizeof(struct gs_dnp3_object));
    st->sa = (struct gs_dnp3_sa *)(void *)p;
    p += ALIGN_UP((size_t)st->max_sa * sizeof(struct gs_dnp3_sa));
    for (uint32_t k = 0; k < st->max_assoc; k++)
        st->assocs[k].buf = p + (size_t)k * st->max_fragment;
}

static void dnp3_state_reset(void *state, enum gs_dir dir)
{
    struct dnp3_state *st = state;
    for (uint32_t k = 0; k < st->max_assoc; k++) {
        if (st->assocs[k].dir == (uint8_t)dir) {
            st->assocs[k].active = false;
            st->assocs[k].discard = false;
        }
    }
}

/* ---- application layer --------------------------------------------------------------------- */

struct walk {
    struct dnp3_state *st;
    const struct gs_pkt_ctx *ctx;
    struct gs_dnp3_event *ev;
    struct gs_cursor cur; /* over the fragment */
    uint8_t fc;
    bool sa_cap_reported;
    bool unexpected_reported;
};

static void anomaly(const struct gs_pkt_ctx *ctx, const char *name, enum gs_anomaly_kind kind,
                    const char *detail)
{
    gs_emit_anomaly(ctx, name, kind, detail);
}

/* Requests whose object headers name points without carrying values (§4.4.3). */
static bool fc_header_only(uint8_t fc)
{
    switch (fc) {
    case 0x01: /* READ */
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0A: /* freezes */
    case 0x0B:
    case 0x0C: /* freeze at time: the g50 time object carries data, see below */
    case 0x14:
    case 0x15:
    case 0x16: /* (dis)enable unsolicited, assign class */
        return true;
    default:
        return false;
    }
}

/* Function codes that carry no objects except Secure Authentication ones (aggressive mode). */
static bool fc_objectless(uint8_t fc)
{
    return fc == 0x0D || fc == 0x0E || fc == 0x13 || fc == 0x17 || fc == 0x18;
}

static bool fc_known(uint8_t fc)
{
    return gs_dnp3_function_name(fc) != NULL;
}

/* Decodes one group 120 object's data (dnp3_sav5.md §3); false if its lengths disagree. */
static bool sa_decode(struct gs_dnp3_sa *sa, uint8_t var, const struct gs_cursor *data,
                      uint32_t offset)
{
    struct gs_cursor c = *data;
    size_t size = gs_cur_remaining(&c);
    memset(sa, 0, sizeof(*sa));
    sa->variation = var;
    sa->object_offset = offset;
    {
        struct gs_cursor whole = c;
        sa->object = gs_cur_span(&whole, size);
    }
#define SPAN_AT(field, n)                                                                          \
    do {                                                                                           \
        sa->field = gs_cur_span(&c, (n));                                                          \
    } while (0)
    switch (var) {
    case 1:
        if (size < 8)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        sa->mal = gs_cur_u8(&c);
        sa->reason = gs_cur_u8(&c);
        SPAN_AT(challenge, size - 8);
        break;
    case 2:
        if (size < 6)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        sa->mac_offset = offset + 6;
        SPAN_AT(mac, size - 6);
        break;
    case 3:
        if (size != 6)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        break;
    case 4:
        if (size != 2)
            return false;
        sa->user = gs_cur_le16(&c);
        break;
    case 5: {
        if (size < 11)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        sa->kwa = gs_cur_u8(&c);
        sa->key_status = gs_cur_u8(&c);
        sa->mal = gs_cur_u8(&c);
        size_t cdl = gs_cur_le16(&c);
        if (cdl > size - 11)
            return false;
        SPAN_AT(challenge, cdl);
        sa->mac_offset = offset + 11 + (uint32_t)cdl;
        SPAN_AT(mac, size - 11 - cdl);
        struct gs_cursor body = *data;
        sa->status_body = gs_cur_span(&body, 11 + cdl);
        break;
    }
    case 6:
        if (size < 6)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        SPAN_AT(key_data, size - 6);
        break;
    case 7:
        if (size < 15)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        sa->assoc_id = gs_cur_le16(&c);
        sa->error_code = gs_cur_u8(&c);
        sa->error_time_ms = gs_cur_le48(&c);
        SPAN_AT(error_text, size - 15);
        break;
    case 8:
        if (size < 2)
            return false;
        sa->kcm = gs_cur_u8(&c);
        sa->cert_type = gs_cur_u8(&c);
        SPAN_AT(certificate, size - 2);
        break;
    case 9:
    case 15:
        sa->mac_offset = offset;
        SPAN_AT(mac, size);
        break;
    case 14:
        sa->mac_offset = offset;
        SPAN_AT(mac, size); /* the digital signature */
        break;
    case 10: {
        if (size < 16)
            return false;
        sa->kcm = gs_cur_u8(&c);
        sa->operation = gs_cur_u8(&c);
        sa->seq = gs_cur_le32(&c);
        sa->user_role = gs_cur_le16(&c);
        sa->role_expiry = gs_cur_le16(&c);
        size_t unl = gs_cur_le16(&c), upl = gs_cur_le16(&c), cdl = gs_cur_le16(&c);
        if (unl + upl + cdl != size - 16)
            return false;
        SPAN_AT(user_name, unl);
        SPAN_AT(user_public_key, upl);
        SPAN_AT(certificate, cdl);
        break;
    }
    case 11: {
        if (size < 5)
            return false;
        sa->kcm = gs_cur_u8(&c);
        size_t unl = gs_cur_le16(&c), cdl = gs_cur_le16(&c);
        if (unl + cdl != size - 5)
            return false;
        SPAN_AT(user_name, unl);
        SPAN_AT(challenge, cdl);
        break;
    }
    case 12: {
        if (size < 8)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        size_t cdl = gs_cur_le16(&c);
        if (cdl != size - 8)
            return false;
        SPAN_AT(challenge, cdl);
        break;
    }
    case 13: {
        if (size < 8)
            return false;
        sa->seq = gs_cur_le32(&c);
        sa->user = gs_cur_le16(&c);
        size_t eul = gs_cur_le16(&c);
        if (eul != size - 8)
            return false;
        SPAN_AT(key_data, eul);
        break;
    }
    default:
        return false;
    }
#undef SPAN_AT
    sa->valid = gs_cur_ok(&c);
    return sa->valid;
}

/* Records one group 120 object found at `data` (its whole object data). */
static void sa_record(struct walk *w, struct gs_dnp3_object *obj, const struct gs_cursor *data,
                      size_t offset)
{
    struct gs_dnp3_event *ev = w->ev;
    if (ev->n_sa >= w->st->max_sa) {
        if (!w->sa_cap_reported)
            anomaly(w->ctx, "dnp3.too_many_sa_objects", GS_ANOMALY_LIMIT,
                    "dnp3.max_sa_objects reached; further group 120 objects not decoded");
        w->sa_cap_reported = true;
        return;
    }
    struct gs_dnp3_sa *sa = &w->st->sa[ev->n_sa];
    if (obj->sa_index < 0)
        obj->sa_index = (int32_t)ev->n_sa;
    ev->n_sa++;
    if (!sa_decode(sa, obj->variation, data, (uint32_t)offset))
        anomaly(w->ctx, "dnp3.bad_sa_object", GS_ANOMALY_MALFORMED,
                "group 120 object lengths disagree with its size");
}

/*
 * Walks the objects of one header (count already checked against dnp3.max_points). Returns
 * NULL, or the anomaly name that stopped the walk (already emitted).
 */
static const char *walk_data(struct walk *w, struct gs_dnp3_object *obj)
{
    struct gs_cursor *cur = &w->cur;
    size_t psize = prefix_bytes(obj->prefix_code);
    size_t remaining = gs_cur_remaining(cur);
    uint32_t count = obj->count;
    const struct obj_format *f = obj->format ? &formats[obj->format - 1] : NULL;

    bool header_only = fc_header_only(w->fc) || obj->variation == 0 ||
                       obj->range_kind == GS_DNP3_RANGE_ALL || (f != NULL && f->kind == FK_NONE);
    /* Freeze-at-time carries its g50 time; SA objects always carry data. */
    if ((w->fc == 0x0B || w->fc == 0x0C) && obj->group == 50)
        header_only = false;
    if (obj->group == 120 && obj->variation != 0)
        header_only = false;
    obj->header_only = header_only;

    bool carries_bytes = count != 0 && (!header_only || PREFIX_IS_INDEX(obj->prefix_code) ||
                                        PREFIX_IS_SIZE(obj->prefix_code));
    /* Every object that carries bytes takes at least one bit: a count no fragment could
     * hold is malformed, not a reason to hit the points cap. */
    if (carries_bytes && ((size_t)count + 7) / 8 > remaining)
        goto bad;
    if (count > w->st->max_points - w->ev->n_points) {
        obj->malformed = true;
        anomaly(w->ctx, "dnp3.too_many_points", GS_ANOMALY_LIMIT,
                "dnp3.max_points reached; rest of the fragment not decoded");
        return "dnp3.too_many_points";
    }
    w->ev->n_points += count;
    if (!carries_bytes)
        return NULL;

    size_t start = gs_cur_pos(cur);
    if (PREFIX_IS_SIZE(obj->prefix_code)) {
        if (count > remaining / psize)
            goto bad;
        for (uint32_t k = 0; k < count; k++) {
            size_t size = (size_t)gs_cur_le_n(cur, psize);
            if (!gs_cur_ok(cur) || size > gs_cur_remaining(cur))
                goto bad;
            size_t at = gs_cur_pos(cur);
            struct gs_cursor data = gs_cur_sub(cur, size);
            if (obj->group == 120 && !header_only)
                sa_record(w, obj, &data, at);
        }
    } else if (header_only) {
        /* Index prefixes only. */
        if (count > remaining / psize)
            goto bad;
        gs_cur_skip(cur, (size_t)count * psize);
    } else if (f == NULL) {
        anomaly(w->ctx, "dnp3.unknown_object", GS_ANOMALY_MALFORMED,
                "object size unknown: rest of the fragment not decoded");
        obj->malformed = true;
        return "dnp3.unknown_object";
    } else {
        switch (f->kind) {
        case FK_PACKED1:
        case FK_PACKED2: {
            if (psize != 0) {
                if (count > remaining / (psize + 1))
                    goto bad;
                gs_cur_skip(cur, (size_t)count * (psize + 1));
            } else {
                size_t per = f->kind == FK_PACKED1 ? 8u : 4u;
                size_t bytes = ((size_t)count + per - 1) / per;
                if (bytes > remaining)
                    goto bad;
                gs_cur_skip(cur, bytes);
            }
            break;
        }
        case FK_FIXED:
        case FK_CROB:
        case FK_OCTET: {
            size_t each = f->kind == FK_OCTET ? obj->variation : format_size(f);
            if (psize + each == 0)
                break;
            if (count > remaining / (psize + each))
                goto bad;
            if (obj->group == 120) {
                for (uint32_t k = 0; k < count; k++) {
                    gs_cur_skip(cur, psize);
                    size_t at = gs_cur_pos(cur);
                    struct gs_cursor data = gs_cur_sub(cur, each);
                    sa_record(w, obj, &data, at);
                }
            } else {
                gs_cur_skip(cur, (size_t)count * (psize + each));
            }
            break;
        }
        case FK_ATTR:
            if (count > remaining / (psize + 2))
                goto bad;
            for (uint32_t k = 0; k < count; k++) {
                gs_cur_skip(cur, psize + 1);
                size_t len = gs_cur_u8(cur);
                if (!gs_cur_ok(cur) || len > gs_cur_remaining(cur))
                    goto bad;
                gs_cur_skip(cur, len);
            }
            break;
        default: /* FK_SIZED without a size prefix */
            anomaly(w->ctx, "dnp3.unknown_object", GS_ANOMALY_MALFORMED,
                    "variable-size object without a size prefix");
            obj->malformed = true;
            return "dnp3.unknown_object";
        }
    }
    if (!gs_cur_ok(cur))
        goto bad;
    obj->data.len = gs_cur_pos(cur) - start;
    return NULL;

bad:
    anomaly(w->ctx, "dnp3.bad_object", GS_ANOMALY_MALFORMED,
            "object count or sizes exceed the fragment");
    obj->malformed = true;
    obj->data.len = remaining;
    return "dnp3.bad_object";
}

/* Walks one object header and its objects; NULL or the name of the anomaly that stopped it. */
static const char *walk_object(struct walk *w)
{
    struct gs_cursor *cur = &w->cur;
    struct gs_dnp3_event *ev = w->ev;
    size_t remaining = gs_cur_remaining(cur);
    if (remaining < 2) {
        anomaly(w->ctx, "dnp3.bad_object", GS_ANOMALY_MALFORMED, "a stray byte after the objects");
        return "dnp3.bad_object";
    }
    if (ev->n_objects >= w->st->max_objects) {
        anomaly(w->ctx, "dnp3.too_many_objects", GS_ANOMALY_LIMIT,
                "dnp3.max_objects reached; rest of the fragment not decoded");
        return "dnp3.too_many_objects";
    }
    struct gs_dnp3_object *obj = &w->st->objects[ev->n_objects++];
    memset(obj, 0, sizeof(*obj));
    obj->sa_index = -1;
    obj->header_offset = (uint32_t)gs_cur_pos(cur);
    obj->group = gs_cur_u8(cur);
    obj->variation = gs_cur_u8(cur);
    obj->format = format_find(obj->group, obj->variation);
    obj->data.ptr = gs_cur_ptr(cur);
    obj->data_offset = (uint32_t)gs_cur_pos(cur);
    if (gs_cur_remaining(cur) < 1) {
        obj->malformed = true;
        anomaly(w->ctx, "dnp3.bad_object", GS_ANOMALY_MALFORMED, "object header cut short");
        return "dnp3.bad_object";
    }
    uint8_t q = gs_cur_u8(cur);
    obj->qualifier = q;
    obj->prefix_code = DNP3_QUAL_PREFIX(q);
    uint8_t range = DNP3_QUAL_RANGE(q);
    if (obj->prefix_code == 7 || range == 0x0A || range >= 0x0C) {
        obj->malformed = true;
        obj->data.ptr = gs_cur_ptr(cur);
        obj->data_offset = (uint32_t)gs_cur_pos(cur);
        anomaly(w->ctx, "dnp3.bad_qualifier", GS_ANOMALY_MALFORMED, "reserved qualifier code");
        return "dnp3.bad_qualifier";
    }
    uint64_t count = 0;
    switch (range) {
    case 0:
    case 1:
    case 2: {
        size_t width = range == 0 ? 1u : range == 1 ? 2u : 4u;
        obj->range_kind = GS_DNP3_RANGE_START_STOP;
        obj->start = (uint32_t)gs_cur_le_n(cur, width);
        obj->stop = (uint32_t)gs_cur_le_n(cur, width);
        count = (uint64_t)obj->stop - obj->start + 1;
        break;
    }
    case 3:
    case 4:
    case 5: {
        /* Obsolete absolute-address form: one address, one object (as Wireshark reads it;
         * no current stack emits it). */
        size_t width = range == 3 ? 1u : range == 4 ? 2u : 4u;
        obj->range_kind = GS_DNP3_RANGE_START_STOP;
        obj->start = obj->stop = (uint32_t)gs_cur_le_n(cur, width);
        count = 1;
        break;
    }
    case 6:
        obj->range_kind = GS_DNP3_RANGE_ALL;
        break;
    case 7:
    case 0x0B:
        obj->range_kind = GS_DNP3_RANGE_COUNT;
        count = gs_cur_u8(cur);
        break;
    case 8:
        obj->range_kind = GS_DNP3_RANGE_COUNT;
        count = gs_cur_le16(cur);
        break;
    default: /* 9 */
        obj->range_kind = GS_DNP3_RANGE_COUNT;
        count = gs_cur_le32(cur);
        break;
    }
    obj->data.ptr = gs_cur_ptr(cur);
    obj->data_offset = (uint32_t)gs_cur_pos(cur);
    if (!gs_cur_ok(cur)) {
        obj->malformed = true;
        anomaly(w->ctx, "dnp3.bad_object", GS_ANOMALY_MALFORMED, "object range cut short");
        return "dnp3.bad_object";
    }
    if (obj->range_kind == GS_DNP3_RANGE_START_STOP && obj->stop < obj->start) {
        obj->malformed = true;
        anomaly(w->ctx, "dnp3.bad_range", GS_ANOMALY_MALFORMED, "range stop below start");
        return "dnp3.bad_range";
    }
    if (count > UINT32_MAX) {
        obj->malformed = true;
        anomaly(w->ctx, "dnp3.bad_range", GS_ANOMALY_MALFORMED, "range of 2^32 objects");
        return "dnp3.bad_range";
    }
    obj->count = (uint32_t)count;
    if (fc_objectless(w->fc) && obj->group != 120 && !w->unexpected_reported) {
        w->unexpected_reported = true;
        anomaly(w->ctx, "dnp3.unexpected_objects", GS_ANOMALY_MALFORMED,
                "objects in a function code that carries none");
    }
    return walk_data(w, obj);
}

static void app_fragment(struct dnp3_state *st, const struct gs_pkt_ctx *ctx, uint8_t control,
                         uint16_t src, uint16_t dst, const uint8_t *buf, size_t len,
                         uint32_t segments)
{
    if (len < 2) {
        anomaly(ctx, "dnp3.short_fragment", GS_ANOMALY_MALFORMED,
                "application fragment shorter than AC and function code");
        return;
    }
    struct gs_dnp3_event ev;
    memset(&ev, 0, sizeof(ev));
    struct walk w = {.st = st, .ctx = ctx, .ev = &ev, .cur = gs_cur_init(buf, len)};
    ev.fragment = gs_cur_span(&w.cur, len);
    w.cur = gs_cur_init(buf, len);
    ev.src = src;
    ev.dst = dst;
    ev.link_control = control;
    ev.from_master = DNP3_LINK_DIR(control);
    ev.app_control = gs_cur_u8(&w.cur);
    ev.fir = DNP3_AC_FIR(ev.app_control);
    ev.fin = DNP3_AC_FIN(ev.app_control);
    ev.con = DNP3_AC_CON(ev.app_control);
    ev.uns = DNP3_AC_UNS(ev.app_control);
    ev.seq = DNP3_AC_SEQ(ev.app_control);
    ev.function_code = gs_cur_u8(&w.cur);
    ev.n_segments = segments;
    ev.objects = st->objects;
    ev.sa = st->sa;
    w.fc = ev.function_code;
    ev.is_response = ev.function_code >= 0x81 && ev.function_code <= 0x83;
    const char *stop = NULL;
    if (ev.is_response) {
        if (gs_cur_remaining(&w.cur) < 2) {
            anomaly(ctx, "dnp3.short_fragment", GS_ANOMALY_MALFORMED, "response without IIN");
            stop = "dnp3.short_fragment";
        } else {
            ev.has_iin = true;
            ev.iin = gs_cur_be16(&w.cur);
        }
    }
    if (stop == NULL && !fc_known(ev.function_code)) {
        anomaly(ctx, "dnp3.reserved_function", GS_ANOMALY_MALFORMED,
                "reserved application function code");
        if (gs_cur_remaining(&w.cur) > 0)
            stop = "dnp3.reserved_function";
    }
    while (stop == NULL && gs_cur_remaining(&w.cur) > 0)
        stop = walk_object(&w);
    ev.complete = stop == NULL;
    ev.stop_reason = stop;
    gs_emit(ctx, GS_EVENT_DNP3, &ev);
}

/* ---- transport layer ----------------------------------------------------------------------- */

static struct assoc *assoc_find(struct dnp3_state *st, uint16_t src, uint16_t dst, uint8_t dir)
{
    for (uint32_t k = 0; k < st->max_assoc; k++) {
        struct assoc *a = &st->assocs[k];
        if (a->used && a->src == src && a->dst == dst && a->dir == dir)
            return a;
    }
    return NULL;
}

static struct assoc *assoc_new(struct dnp3_state *st, const struct gs_pkt_ctx *ctx, uint16_t src,
                               uint16_t dst, uint8_t dir)
{
    struct assoc *victim = NULL;
    for (uint32_t k = 0; k < st->max_assoc; k++) {
        struct assoc *a = &st->assocs[k];
        if (!a->used) {
            victim = a;
            break;
        }
        if (victim == NULL || a->last_used < victim->last_used)
            victim = a;
    }
    if (victim->used)
        anomaly(ctx, "dnp3.too_many_associations", GS_ANOMALY_LIMIT,
                "dnp3.max_associations reached; the least recently used one was dropped");
    uint8_t *buf = victim->buf;
    memset(victim, 0, sizeof(*victim));
    victim->buf = buf;
    victim->used = true;
    victim->src = src;
    victim->dst = dst;
    victim->dir = dir;
    return victim;
}

/* One transport segment (user data of a frame whose CRCs all verified). */
static void transport_segment(struct dnp3_state *st, const struct gs_pkt_ctx *ctx, uint8_t control,
                              uint16_t src, uint16_t dst, uint8_t dir, struct gs_cursor *ud)
{
    uint8_t th = gs_cur_u8(ud);
    size_t n = gs_cur_remaining(ud);
    bool fir = DNP3_TH_FIR(th), fin = DNP3_TH_FIN(th);
    uint8_t tseq = DNP3_TH_SEQ(th);
    struct assoc *a = assoc_find(st, src, dst, dir);
    if (fir) {
        if (a == NULL)
            a = assoc_new(st, ctx, src, dst, dir);
        else if (a->active && !a->discard)
            anomaly(ctx, "dnp3.fragment_dropped", GS_ANOMALY_SEQUENCE,
                    "a new first segment replaced an unfinished fragment");
        a->active = true;
        a->discard = false;
        a->len = 0;
        a->segments = 0;
    } else {
        if (a == NULL || !a->active) {
            anomaly(ctx, "dnp3.orphan_segment", GS_ANOMALY_SEQUENCE,
                    "transport segment without a first segment");
            return;
        }
        if (tseq == a->last_tseq) {
            /* A link-layer retry of the segment already taken. */
            a->last_used = ++st->clock;
            return;
        }
        if (tseq != a->next_tseq) {
            anomaly(ctx, "dnp3.transport_gap", GS_ANOMALY_SEQUENCE,
                    "transport sequence gap; unfinished fragment dropped");
            a->active = false;
            a->discard = false;
            return;
        }
    }
    a->last_used = ++st->clock;
    a->last_tseq = tseq;
    a->next_tseq = (uint8_t)((tseq + 1u) & 0x3Fu);
    a->segments++;
    if (!a->discard) {
        if (n > st->max_fragment - a->len) {
            anomaly(ctx, "dnp3.fragment_too_long", GS_ANOMALY_LIMIT,
                    "fragment exceeds dnp3.max_fragment_bytes; dropped");
            a->discard = true;
        } else {
            gs_cur_copy(ud, a->buf + a->len, n);
            a->len += (uint32_t)n;
        }
    }
    if (fin) {
        a->active = false;
        if (!a->discard)
            app_fragment(st, ctx, control, src, dst, a->buf, a->len, a->segments);
        a->discard = false;
    }
}

/* ---- link layer ---------------------------------------------------------------------------- */

struct link_hdr {
    uint8_t len, control;
    uint16_t dst, src;
};

enum hdr_check { HDR_OK, HDR_MORE, HDR_BAD_START, HDR_BAD_CRC, HDR_BAD_LEN };

/* Checks for a frame header `off` bytes into the cursor's readable bytes (pure). */
static enum hdr_check header_at(const struct gs_cursor *cur, size_t off, struct link_hdr *h)
{
    struct gs_cursor c = *cur;
    size_t avail = gs_cur_remaining(&c);
    if (off >= avail)
        return HDR_MORE;
    gs_cur_skip(&c, off);
    avail -= off;
    uint8_t b0 = 0, b1 = 0;
    gs_cur_peek_at(&c, 0, &b0);
    if (b0 != DNP3_START1)
        return HDR_BAD_START;
    if (avail < 2)
        return HDR_MORE;
    gs_cur_peek_at(&c, 1, &b1);
    if (b1 != DNP3_START2)
        return HDR_BAD_START;
    if (avail < DNP3_HDR_LEN)
        return HDR_MORE;
    struct gs_cursor crc = c;
    uint16_t want = crc_cur(&crc, 8);
    gs_cur_skip(&c, 2);
    h->len = gs_cur_u8(&c);
    h->control = gs_cur_u8(&c);
    h->dst = gs_cur_le16(&c);
    h->src = gs_cur_le16(&c);
    uint16_t got = gs_cur_le16(&c);
    if (got != want)
        return HDR_BAD_CRC;
    if (h->len < DNP3_MIN_LEN)
        return HDR_BAD_LEN;
    return HDR_OK;
}

static size_t frame_size(uint8_t len)
{
    size_t user = (size_t)len - DNP3_MIN_LEN;
    return DNP3_HDR_LEN + user + 2 * ((user + DNP3_BLOCK - 1) / DNP3_BLOCK);
}

/* Processes one whole frame (its header already verified) from `frame`. */
static void link_frame(struct dnp3_state *st, const struct gs_pkt_ctx *ctx,
                       const struct link_hdr *h, struct gs_cursor *frame, uint8_t dir)
{
    gs_cur_skip(frame, DNP3_HDR_LEN);
    size_t user = (size_t)h->len - DNP3_MIN_LEN;
    if (user == 0)
        return;
    uint8_t func = DNP3_LINK_FUNC(h->control);
    if (func == DNP3_LF_RESET_OR_ACK || func == DNP3_LF_REQ_STATUS || func == DNP3_LF_LINK_STATUS) {
        anomaly(ctx, "dnp3.unexpected_link_data", GS_ANOMALY_MALFORMED,
                "user data in a link frame whose function carries none");
        return;
    }
    /* Every block CRC first: nothing of a frame that fails one is trusted. */
    struct gs_cursor check = *frame;
    unsigned bad_blocks = 0;
    for (size_t left = user; left > 0;) {
        size_t n = left < DNP3_BLOCK ? left : DNP3_BLOCK;
        uint16_t want = crc_cur(&check, n);
        if (gs_cur_le16(&check) != want)
            bad_blocks++;
        left -= n;
    }
    if (bad_blocks != 0) {
        anomaly(ctx, "dnp3.bad_link_crc", GS_ANOMALY_MALFORMED,
                "link data block CRC mismatch; frame data dropped");
        return;
    }
    if (!(DNP3_LINK_PRM(h->control) && (func == 3 || func == 4)))
        anomaly(ctx, "dnp3.unexpected_link_data", GS_ANOMALY_MALFORMED,
                "user data in a link frame that is not user data");
    uint8_t ud[DNP3_MAX_USER];
    size_t got = 0;
    for (size_t left = user; left > 0;) {
        size_t n = left < DNP3_BLOCK ? left : DNP3_BLOCK;
        gs_cur_copy(frame, ud + got, n);
        gs_cur_skip(frame, 2);
        got += n;
        left -= n;
    }
    struct gs_cursor seg = gs_cur_init(ud, got);
    transport_segment(st, ctx, h->control, h->src, h->dst, dir, &seg);
}

/*
 * Parses every whole frame at the cursor. Stream mode (TCP) stops at a partial frame and
 * asks for the rest; datagram mode reports it. Returns the parse result.
 */
static struct gs_parse_res parse_frames(struct dnp3_state *st, const struct gs_pkt_ctx *ctx,
                                        struct gs_cursor *cur, enum gs_dir dir, bool stream)
{
    size_t avail = gs_cur_remaining(cur);
    size_t base = gs_cur_pos(cur);
    size_t off = 0;
    size_t skipped = 0;
    bool bad_crc_reported = false;
    while (off < avail) {
        struct link_hdr h;
        enum hdr_check r = header_at(cur, off, &h);
        if (r == HDR_MORE) {
            if (!stream)
                break;
            if (skipped != 0)
                anomaly(ctx, "dnp3.resync", GS_ANOMALY_SEQUENCE,
                        "bytes skipped to find a frame header");
            return gs_parse_incomplete(off, DNP3_HDR_LEN - (avail - off));
        }
        if (r != HDR_OK) {
            if (r == HDR_BAD_CRC && !bad_crc_reported) {
                anomaly(ctx, "dnp3.bad_header_crc", GS_ANOMALY_MALFORMED,
                        "frame header CRC mismatch");
                bad_crc_reported = true;
            } else if (r == HDR_BAD_LEN) {
                anomaly(ctx, "dnp3.bad_length", GS_ANOMALY_MALFORMED, "frame LEN below 5");
            }
            off++;
            skipped++;
            continue;
        }
        if (skipped != 0) {
            anomaly(ctx, "dnp3.resync", GS_ANOMALY_SEQUENCE,
                    "bytes skipped to find a frame header");
            skipped = 0;
        }
        size_t size = frame_size(h.len);
        if (size > avail - off) {
            if (stream)
                return gs_parse_incomplete(off, size - (avail - off));
            anomaly(ctx, "dnp3.truncated_frame",
                    cur->wire_len > cur->cap_len ? GS_ANOMALY_TRUNCATED : GS_ANOMALY_MALFORMED,
                    "link frame cut short");
            return gs_parse_ok(avail);
        }
        struct gs_cursor frame = gs_cur_init(gs_cur_ptr(cur), avail);
        gs_cur_skip(&frame, off);
        frame = gs_cur_sub(&frame, size);
        link_frame(st, ctx, &h, &frame, (uint8_t)dir);
        off += size;
    }
    (void)base;
    if (skipped != 0)
        anomaly(ctx, "dnp3.resync", GS_ANOMALY_SEQUENCE, "bytes skipped to find a frame header");
    if (!stream && off < avail)
        anomaly(ctx, "dnp3.truncated_frame",
                cur->wire_len > cur->cap_len ? GS_ANOMALY_TRUNCATED : GS_ANOMALY_MALFORMED,
                "link frame header cut short");
    return gs_parse_ok(avail);
}

static struct gs_parse_res dnp3_parse(void *state, const struct gs_pkt_ctx *ctx,
                                      struct gs_cursor *cur, enum gs_dir dir)
{
    bool stream = ctx->flow == NULL || ctx->flow->ip_proto != 17;
    return parse_frames(state, ctx, cur, dir, stream);
}

/* A frame header with a good CRC within the first bytes (captures start mid-stream). */
static unsigned dnp3_probe(const struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    size_t avail = gs_cur_remaining(cur);
    for (size_t off = 0; off < avail && off < DNP3_PROBE_MAX_SCAN; off++) {
        struct link_hdr h;
        if (header_at(cur, off, &h) == HDR_OK)
            return off == 0 ? GS_PROBE_SURE : GS_PROBE_MATCH;
    }
    return GS_PROBE_NO;
}

/* ---- decoded points ------------------------------------------------------------------------ */

void gs_dnp3_points_begin(struct gs_dnp3_point_iter *it, const struct gs_dnp3_object *obj)
{
    memset(it, 0, sizeof(*it));
    it->obj = obj;
    it->cur = gs_cur_init(obj->data.ptr, obj->data.ptr != NULL ? obj->data.len : 0);
}

static void read_value(struct gs_cursor *c, uint8_t val, struct gs_dnp3_point *pt)
{
    switch (val) {
    case FV_U16:
        pt->kind = GS_DNP3_VAL_UINT;
        pt->u = gs_cur_le16(c);
        break;
    case FV_U32:
        pt->kind = GS_DNP3_VAL_UINT;
        pt->u = gs_cur_le32(c);
        break;
    case FV_I16:
        pt->kind = GS_DNP3_VAL_INT;
        pt->i = (int16_t)gs_cur_le16(c);
        break;
    case FV_I32:
        pt->kind = GS_DNP3_VAL_INT;
        pt->i = (int32_t)gs_cur_le32(c);
        break;
    case FV_F32: {
        uint32_t bits = gs_cur_le32(c);
        float v;
        memcpy(&v, &bits, sizeof(v));
        pt->kind = GS_DNP3_VAL_FLOAT;
        pt->f = v;
        break;
    }
    case FV_F64: {
        uint64_t bits = gs_cur_le64(c);
        memcpy(&pt->f, &bits, sizeof(pt->f));
        pt->kind = GS_DNP3_VAL_FLOAT;
        break;
    }
    default:
        break;
    }
}

bool gs_dnp3_points_next(struct gs_dnp3_point_iter *it, struct gs_dnp3_point *pt)
{
    const struct gs_dnp3_object *obj = it->obj;
    if (obj->header_only || obj->malformed || it->n >= obj->count)
        return false;
    memset(pt, 0, sizeof(*pt));
    struct gs_cursor *c = &it->cur;
    size_t psize = prefix_bytes(obj->prefix_code);
    uint32_t n = it->n;
    if (PREFIX_IS_INDEX(obj->prefix_code))
        pt->index = (uint32_t)gs_cur_le_n(c, psize);
    else if (obj->range_kind == GS_DNP3_RANGE_START_STOP)
        pt->index = obj->start + n;
    else
        pt->index = n;
    const struct obj_format *f = obj->format ? &formats[obj->format - 1] : NULL;
    if (PREFIX_IS_SIZE(obj->prefix_code)) {
        pt->size = (uint32_t)gs_cur_le_n(c, psize);
        pt->kind = GS_DNP3_VAL_BYTES;
        pt->bytes = gs_cur_span(c, pt->size);
    } else if (f == NULL) {
        return false;
    } else {
        switch (f->kind) {
        case FK_PACKED1:
        case FK_PACKED2: {
            unsigned per = f->kind == FK_PACKED1 ? 8u : 4u;
            unsigned bits = f->kind == FK_PACKED1 ? 1u : 2u;
            unsigned slot = psize != 0 ? 0u : n % per;
            if (psize != 0 || slot == 0)
                it->packed_byte = gs_cur_u8(c);
            pt->kind = f->kind == FK_PACKED1 ? GS_DNP3_VAL_BIT : GS_DNP3_VAL_DBIT;
            pt->u = (it->packed_byte >> (slot * bits)) & ((1u << bits) - 1u);
            break;
        }
        case FK_CROB:
            pt->kind = GS_DNP3_VAL_CROB;
            pt->crob.code = gs_cur_u8(c);
            pt->crob.count = gs_cur_u8(c);
            pt->crob.on_ms = gs_cur_le32(c);
            pt->crob.off_ms = gs_cur_le32(c);
            pt->has_status = true;
            pt->status = gs_cur_u8(c);
            break;
        case FK_OCTET:
            pt->kind = GS_DNP3_VAL_BYTES;
            pt->bytes = gs_cur_span(c, obj->variation);
            break;
        case FK_ATTR: {
            pt->kind = GS_DNP3_VAL_BYTES;
            pt->u = gs_cur_u8(c); /* data type code */
            size_t len = gs_cur_u8(c);
            pt->bytes = gs_cur_span(c, len);
            break;
        }
        case FK_FIXED:
            if (obj->group == 120) {
                pt->kind = GS_DNP3_VAL_BYTES;
                pt->bytes = gs_cur_span(c, format_size(f));
                break;
            }
            if (f->bits & F_FLAGS) {
                pt->has_flags = true;
                pt->flags = gs_cur_u8(c);
            }
            if (f->bits & F_ASSOC)
                pt->i = gs_cur_le16(c); /* association id */
            if (f->bits & F_STATUS0) {
                pt->has_status = true;
                pt->status = gs_cur_u8(c);
            }
            if (f->val == FV_STATE) {
                pt->kind = GS_DNP3_VAL_BIT;
                pt->u = (pt->flags >> 7) & 1u;
            } else if (f->val == FV_DSTATE) {
                pt->kind = GS_DNP3_VAL_DBIT;
                pt->u = (pt->flags >> 6) & 3u;
            } else {
                read_value(c, f->val, pt);
            }
            if (f->bits & F_STATUS) {
                pt->has_status = true;
                pt->status = gs_cur_u8(c);
            }
            if (f->bits & F_T48) {
                pt->has_time = true;
                pt->time_ms = gs_cur_le48(c);
                if (f->val == FV_NONE)
                    pt->kind = GS_DNP3_VAL_TIME;
            }
            if (f->bits & F_T16) {
                pt->has_time = true;
                pt->time_relative = true;
                pt->time_ms = gs_cur_le16(c);
            }
            if (f->bits & F_INTERVAL)
                pt->interval = gs_cur_le32(c);
            if (f->bits & F_UNITS)
                pt->interval_units = gs_cur_u8(c);
            break;
        default:
            return false;
        }
    }
    it->n++;
    return gs_cur_ok(c);
}

/* ---- registration -------------------------------------------------------------------------- */

static const uint16_t dnp3_ports[] = {DNP3_DEFAULT_PORT, 0};

const struct gs_dissector gs_dnp3_dissector = {
    .name = "dnp3",
    .transport = GS_TRANSPORT_TCP | GS_TRANSPORT_UDP,
    .tcp_ports = dnp3_ports,
    .udp_ports = dnp3_ports,
    .probe = dnp3_probe,
    .state_size = dnp3_state_size,
    .state_init = dnp3_state_init,
    .state_reset = dnp3_state_reset,
    .parse = dnp3_parse,
    .event_names = dnp3_event_names,
};
