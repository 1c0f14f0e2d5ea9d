/*
 * iec61850_data.c - MMS Data values (see iec61850_data.h).
 */
#include "iec61850_data.h"

#include <string.h>

#include "ber.h"
#include "names.h"

#define FLOAT_SINGLE_EXP 0x08 /* exponent width octet of an IEEE-754 single (5 octets total) */
#define FLOAT_DOUBLE_EXP 0x0B /* ... of a double (9 octets total) */

static const struct gs_name_map type_names[] = {
    {GS_DATA_ARRAY, "array"},
    {GS_DATA_STRUCTURE, "structure"},
    {GS_DATA_BOOLEAN, "boolean"},
    {GS_DATA_BIT_STRING, "bit-string"},
    {GS_DATA_INTEGER, "integer"},
    {GS_DATA_UNSIGNED, "unsigned"},
    {GS_DATA_FLOAT, "floating-point"},
    {GS_DATA_REAL, "real"},
    {GS_DATA_OCTET_STRING, "octet-string"},
    {GS_DATA_VISIBLE_STRING, "visible-string"},
    {GS_DATA_GENERALIZED_TIME, "generalized-time"},
    {GS_DATA_BINARY_TIME, "binary-time"},
    {GS_DATA_BCD, "bcd"},
    {GS_DATA_BOOLEAN_ARRAY, "boolean-array"},
    {GS_DATA_OBJ_ID, "obj-id"},
    {GS_DATA_MMS_STRING, "mms-string"},
    {GS_DATA_UTC_TIME, "utc-time"},
    {0, NULL},
};

const char *gs_data_type_name(enum gs_data_type type)
{
    return gs_name_lookup(type_names, (uint32_t)type, "unknown");
}

bool gs_utc_time_decode(struct gs_cursor value, struct gs_utc_time *out)
{
    memset(out, 0, sizeof(*out));
    if (gs_cur_wire_remaining(&value) != 8)
        return false;
    out->seconds = gs_cur_be32(&value);
    out->fraction = gs_cur_be24(&value);
    out->quality = gs_cur_u8(&value);
    return gs_cur_ok(&value);
}

uint64_t gs_utc_time_us(const struct gs_utc_time *t)
{
    return (uint64_t)t->seconds * 1000000u + (((uint64_t)t->fraction * 1000000u) >> 24);
}

static double float_from_bits32(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

static double float_from_bits64(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* Fills a primitive node's value from its contents; sets node->valid. */
static void decode_primitive(struct gs_data_node *node, struct gs_cursor value)
{
    size_t len = gs_cur_wire_remaining(&value);
    node->raw.ptr = gs_cur_ptr(&value);
    node->raw.len = value.cap_len;
    switch (node->type) {
    case GS_DATA_BOOLEAN:
        node->valid = gs_ber_bool(value, &node->v.boolean);
        break;
    case GS_DATA_BIT_STRING:
        if (len >= 1) {
            node->v.unused_bits = gs_cur_u8(&value);
            node->raw.ptr = gs_cur_ptr(&value);
            node->raw.len = gs_cur_remaining(&value);
            node->valid = gs_cur_ok(&value) && node->v.unused_bits < 8 &&
                          (len > 1 || node->v.unused_bits == 0);
        }
        break;
    case GS_DATA_INTEGER:
        node->valid = gs_ber_int(value, &node->v.integer);
        break;
    case GS_DATA_UNSIGNED:
        node->valid = gs_ber_uint(value, &node->v.unsigned_);
        break;
    case GS_DATA_BCD:
        node->valid = gs_ber_int(value, &node->v.integer);
        break;
    case GS_DATA_FLOAT: {
        uint8_t exp = gs_cur_u8(&value);
        if (len == 5 && exp == FLOAT_SINGLE_EXP) {
            node->v.floating = float_from_bits32(gs_cur_be32(&value));
            node->valid = gs_cur_ok(&value);
        } else if (len == 9 && exp == FLOAT_DOUBLE_EXP) {
            node->v.floating = float_from_bits64(gs_cur_be64(&value));
            node->valid = gs_cur_ok(&value);
        }
        break;
    }
    case GS_DATA_UTC_TIME:
        node->valid = gs_utc_time_decode(value, &node->v.utc);
        break;
    case GS_DATA_BINARY_TIME:
        node->valid = len == 4 || len == 6;
        break;
    default:
        /* Strings, octet strings, object ids, real, generalized time: kept as raw bytes. */
        node->valid = value.cap_len == value.wire_len;
        break;
    }
}

static bool decode_value(struct gs_cursor *cur, struct gs_data_list *list, unsigned depth,
                         uint8_t level);

/* Decodes every child of an array or structure; returns false on malformed BER. */
static bool decode_children(struct gs_cursor *value, struct gs_data_list *list, unsigned depth,
                            uint8_t level, uint32_t *count)
{
    *count = 0;
    while (gs_cur_wire_remaining(value) > 0) {
        if (!decode_value(value, list, depth + 1, (uint8_t)(level + 1)))
            return false;
        (*count)++;
    }
    return gs_cur_ok(value);
}

static bool decode_value(struct gs_cursor *cur, struct gs_data_list *list, unsigned depth,
                         uint8_t level)
{
    struct gs_ber_tag tag;
    struct gs_cursor value;
    if (!gs_ber_tlv(cur, &tag, &value, depth, GS_BER_STRICT))
        return false;
    if (tag.cls != GS_BER_CONTEXT || tag.number < GS_DATA_ARRAY || tag.number > GS_DATA_UTC_TIME ||
        tag.constructed != (tag.number == GS_DATA_ARRAY || tag.number == GS_DATA_STRUCTURE)) {
        gs_cur_set_bad(cur);
        return false;
    }
    struct gs_data_node *node = NULL;
    if (list->n < list->cap) {
        node = &list->nodes[list->n++];
        memset(node, 0, sizeof(*node));
        node->type = (enum gs_data_type)tag.number;
        node->depth = level;
    } else {
        list->capped = true;
    }
    if (!tag.constructed) {
        if (node != NULL)
            decode_primitive(node, value);
        return true;
    }
    uint32_t children;
    if (!decode_children(&value, list, depth, level, &children)) {
        if (!gs_cur_ok(&value) && gs_cur_ok(cur))
            cur->err = value.err;
        return false;
    }
    if (node != NULL) {
        node->n_children = children;
        node->valid = true;
    }
    return true;
}

bool gs_data_decode(struct gs_cursor *cur, struct gs_data_list *list, unsigned depth)
{
    return decode_value(cur, list, depth, 0);
}

long gs_data_decode_all(struct gs_cursor *cur, struct gs_data_list *list, unsigned depth)
{
    long count = 0;
    while (gs_cur_wire_remaining(cur) > 0) {
        if (!decode_value(cur, list, depth, 0))
            return -1;
        count++;
    }
    return gs_cur_ok(cur) ? count : -1;
}
