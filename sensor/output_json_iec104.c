/*
 * output_json_iec104.c - the "iec104" object of an event record (struct gs_iec104_event).
 *
 *   "iec104": {"apci": {"format": "I", "length": 14, "send_seq": 3, "recv_seq": 2},
 *              "type_id": 45, "type": "C_SC_NA_1", "sq": false, "num_objects": 1,
 *              "cot": 6, "cot_name": "act", "negative": false, "test": false, "oa": 0,
 *              "ca": 1, "ioas": [5000], "objects": [{"ioa": 5000, "value": 1, ...}],
 *              "select": true, "qualifier": 0, "value": 1}
 *
 * S- and U-format APDUs carry only "apci" (with "function" for U). Secure-authentication
 * ASDUs add "sa"; MAC values, wrapped keys and signatures are given by length only.
 */
#include <math.h>
#include <stdio.h>

#include "iec104.h"
#include "output_json_int.h"

static const char *format_name(enum gs_iec104_format f)
{
    switch (f) {
    case GS_IEC104_FORMAT_I:
        return "I";
    case GS_IEC104_FORMAT_S:
        return "S";
    case GS_IEC104_FORMAT_U:
        return "U";
    }
    return "?";
}

static json_t *apci_json(const struct gs_iec104_apci *apci)
{
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string(format_name(apci->format)));
    json_object_set_new(o, "length", json_integer(apci->length));
    if (apci->format == GS_IEC104_FORMAT_I)
        json_object_set_new(o, "send_seq", json_integer(apci->send_seq));
    if (apci->format != GS_IEC104_FORMAT_U)
        json_object_set_new(o, "recv_seq", json_integer(apci->recv_seq));
    if (apci->format == GS_IEC104_FORMAT_U) {
        const char *name = gs_iec104_u_name(apci->u_function);
        if (name != NULL)
            json_object_set_new(o, "function", json_string(name));
        else
            json_object_set_new(o, "control", gs_json_hex(apci->control, sizeof(apci->control)));
    }
    return o;
}

/* "2009-08-13T10:11:12.345" for CP56Time2a (local time of the station, no zone), "11:12.345"
 * for CP24Time2a (minute and milliseconds). */
static json_t *time_json(const struct gs_iec104_time *t)
{
    char text[48];
    if (t->kind == GS_IEC104_TIME_CP56)
        snprintf(text, sizeof(text), "20%02u-%02u-%02uT%02u:%02u:%02u.%03u", t->year, t->month,
                 t->day, t->hour, t->minute, t->ms / 1000u, t->ms % 1000u);
    else if (t->kind == GS_IEC104_TIME_CP24)
        snprintf(text, sizeof(text), "%02u:%02u.%03u", t->minute, t->ms / 1000u, t->ms % 1000u);
    else
        snprintf(text, sizeof(text), "%u", t->ms);
    return json_string(text);
}

static void set_time(json_t *o, const char *key, const struct gs_iec104_time *t)
{
    if (t->kind == GS_IEC104_TIME_NONE)
        return;
    json_object_set_new(o, key, time_json(t));
    if (t->invalid || t->summer) {
        char k[32];
        if (t->invalid) {
            snprintf(k, sizeof(k), "%s_invalid", key);
            json_object_set_new(o, k, json_true());
        }
        if (t->summer) {
            snprintf(k, sizeof(k), "%s_summer", key);
            json_object_set_new(o, k, json_true());
        }
    }
}

/* The value of an object as JSON, or NULL when it has none. */
static json_t *value_json(const struct gs_iec104_object *obj)
{
    switch (obj->kind) {
    case GS_IEC104_VAL_SINGLE:
    case GS_IEC104_VAL_DOUBLE:
    case GS_IEC104_VAL_REGSTEP:
    case GS_IEC104_VAL_BITSTRING:
    case GS_IEC104_VAL_PACKED:
    case GS_IEC104_VAL_PROTECTION:
    case GS_IEC104_VAL_QUALIFIER:
    case GS_IEC104_VAL_TEST:
        return json_integer(obj->v.u);
    case GS_IEC104_VAL_STEP:
    case GS_IEC104_VAL_SCALED:
    case GS_IEC104_VAL_COUNTER:
        return json_integer(obj->v.i);
    case GS_IEC104_VAL_NORMALIZED:
        return json_real((double)obj->v.i / 32768.0);
    case GS_IEC104_VAL_FLOAT:
        /* JSON has no NaN or infinity. */
        return isfinite(obj->v.f) ? json_real((double)obj->v.f) : json_null();
    case GS_IEC104_VAL_FILE:
    case GS_IEC104_VAL_NONE:
        break;
    }
    return NULL;
}

static json_t *file_json(const struct gs_iec104_file *f, uint8_t type_id)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_integer(f->name));
    json_object_set_new(o, "section", json_integer(f->section));
    json_object_set_new(o, "length", json_integer(f->length));
    json_object_set_new(o, "qualifier", json_integer(f->qualifier));
    if (type_id == 123)
        json_object_set_new(o, "checksum", json_integer(f->checksum));
    set_time(o, "range_stop", &f->range_stop);
    return o;
}

static json_t *object_json(const struct gs_iec104_object *obj, uint8_t type_id)
{
    json_t *o = json_object();
    json_object_set_new(o, "ioa", json_integer(obj->ioa));
    json_t *v = value_json(obj);
    if (v != NULL)
        json_object_set_new(o, "value", v);
    if (obj->kind == GS_IEC104_VAL_FILE)
        json_object_set_new(o, "file", file_json(&obj->file, type_id));
    if (obj->has_quality)
        json_object_set_new(o, "quality", json_integer(obj->quality));
    if (obj->transient)
        json_object_set_new(o, "transient", json_true());
    if (obj->has_select)
        json_object_set_new(o, "select", json_boolean(obj->select));
    if (obj->has_qualifier)
        json_object_set_new(o, "qualifier", json_integer(obj->qualifier));
    if (obj->has_elapsed)
        json_object_set_new(o, "elapsed_ms", json_integer(obj->elapsed_ms));
    if (type_id == 41)
        json_object_set_new(o, "association_id", json_integer(obj->association_id));
    set_time(o, "time", &obj->time);
    return o;
}

static const char *objects_status_name(enum gs_iec104_objects_status s)
{
    switch (s) {
    case GS_IEC104_OBJ_OK:
        return "ok";
    case GS_IEC104_OBJ_NONE:
        return "none";
    case GS_IEC104_OBJ_UNKNOWN:
        return "unknown_type";
    case GS_IEC104_OBJ_SHORT:
        return "short";
    case GS_IEC104_OBJ_TRAILING:
        return "trailing_octets";
    }
    return "?";
}

static void set_len(json_t *o, const char *key, struct gs_span s)
{
    if (s.ptr != NULL)
        json_object_set_new(o, key, json_integer((json_int_t)s.len));
}

static void add_asdu(json_t *o, const struct gs_iec104_asdu *a);

static json_t *sa_json(const struct gs_iec104_sa *sa, uint8_t type_id)
{
    json_t *o = json_object();
    if (sa->has_segment) {
        json_t *seg = json_object();
        json_object_set_new(seg, "asn", json_integer(sa->asn));
        json_object_set_new(seg, "first", json_boolean(sa->first));
        json_object_set_new(seg, "final", json_boolean(sa->final));
        json_object_set_new(o, "segment", seg);
    }
    json_object_set_new(o, "complete", json_boolean(sa->complete));
    if (sa->reassembled)
        json_object_set_new(o, "reassembled", json_true());
    if (!sa->complete)
        return o;
    if (sa->has_csq)
        json_object_set_new(o, "csq", json_integer(sa->csq));
    if (sa->has_ksq)
        json_object_set_new(o, "ksq", json_integer(sa->ksq));
    if (sa->has_usr)
        json_object_set_new(o, "usr", json_integer(sa->usr));
    if (sa->has_mal)
        json_object_set_new(o, "mal", json_integer(sa->mal));
    if (type_id == 81)
        json_object_set_new(o, "rsc", json_integer(sa->rsc));
    if (sa->has_key_status) {
        json_object_set_new(o, "kwa", json_integer(sa->kwa));
        json_object_set_new(o, "kst", json_integer(sa->kst));
    }
    if (sa->has_kcm)
        json_object_set_new(o, "kcm", json_integer(sa->kcm));
    if (sa->has_error) {
        json_object_set_new(o, "aid", json_integer(sa->aid));
        json_object_set_new(o, "err", json_integer(sa->err));
        set_time(o, "error_time", &sa->etm);
        if (sa->error_text.ptr != NULL)
            json_object_set_new(o, "error_text",
                                gs_json_bytes_string(sa->error_text.ptr, sa->error_text.len));
    }
    if (sa->has_user_status) {
        json_object_set_new(o, "operation", json_integer(sa->operation));
        json_object_set_new(o, "scs", json_integer(sa->scs));
        json_object_set_new(o, "role", json_integer(sa->role));
        json_object_set_new(o, "role_expiry", json_integer(sa->role_expiry));
    }
    /* A challenge is a public nonce; MACs, keys and signatures are given by length only. */
    if (sa->challenge.ptr != NULL)
        json_object_set_new(o, "challenge", gs_json_hex(sa->challenge.ptr, sa->challenge.len));
    set_len(o, "mac_len", sa->mac);
    set_len(o, "wrapped_key_len", sa->wrapped_key);
    set_len(o, "public_key_len", sa->public_key);
    set_len(o, "certificate_len", sa->certificate);
    set_len(o, "signature_len", sa->signature);
    if (sa->name.ptr != NULL)
        json_object_set_new(o, "user_name", gs_json_bytes_string(sa->name.ptr, sa->name.len));
    if (sa->challenged != NULL) {
        json_t *c = json_object();
        add_asdu(c, sa->challenged);
        json_object_set_new(o, "challenged", c);
    }
    return o;
}

/* The ASDU's fields into `o` (the "iec104" object, or an S_AR_NA_1's "challenged"). */
static void add_asdu(json_t *o, const struct gs_iec104_asdu *a)
{
    if (a->truncated)
        json_object_set_new(o, "truncated", json_true());
    json_object_set_new(o, "type_id", json_integer(a->type_id));
    const char *type = gs_iec104_type_name(a->type_id);
    if (type != NULL)
        json_object_set_new(o, "type", json_string(type));
    if (a->has_vsq) {
        json_object_set_new(o, "sq", json_boolean(a->sq));
        json_object_set_new(o, "num_objects", json_integer(a->num_objects));
    }
    if (a->has_cot) {
        json_object_set_new(o, "cot", json_integer(a->cot));
        const char *name = gs_iec104_cot_name(a->cot);
        if (name != NULL)
            json_object_set_new(o, "cot_name", json_string(name));
        json_object_set_new(o, "negative", json_boolean(a->negative));
        json_object_set_new(o, "test", json_boolean(a->test));
    }
    if (a->has_oa)
        json_object_set_new(o, "oa", json_integer(a->oa));
    if (a->has_ca)
        json_object_set_new(o, "ca", json_integer(a->ca));
    if (a->truncated)
        return;
    if (a->objects_status != GS_IEC104_OBJ_OK && a->objects_status != GS_IEC104_OBJ_NONE)
        json_object_set_new(o, "objects_status",
                            json_string(objects_status_name(a->objects_status)));
    if (a->objects_capped)
        json_object_set_new(o, "objects_capped", json_true());
    if (a->sa != NULL) {
        json_object_set_new(o, "sa", sa_json(a->sa, a->type_id));
        return;
    }
    json_t *ioas = json_array();
    json_t *objects = json_array();
    for (size_t i = 0; i < a->n_objects; i++) {
        json_array_append_new(ioas, json_integer(a->objects[i].ioa));
        json_array_append_new(objects, object_json(&a->objects[i], a->type_id));
    }
    json_object_set_new(o, "ioas", ioas);
    json_object_set_new(o, "objects", objects);
    /* Commands carry one object: its semantics at the top, for rules and SIEM queries. */
    if (a->is_command && a->n_objects > 0) {
        const struct gs_iec104_object *cmd = &a->objects[0];
        if (cmd->has_select)
            json_object_set_new(o, "select", json_boolean(cmd->select));
        if (cmd->has_qualifier)
            json_object_set_new(o, "qualifier", json_integer(cmd->qualifier));
        json_t *v = cmd->kind == GS_IEC104_VAL_QUALIFIER ? NULL : value_json(cmd);
        if (v != NULL)
            json_object_set_new(o, "value", v);
    }
}

void gs_json_iec104(json_t *record, const void *body)
{
    const struct gs_iec104_event *ev = body;
    json_t *o = json_object();
    json_object_set_new(o, "apci", apci_json(&ev->apci));
    if (ev->asdu != NULL)
        add_asdu(o, ev->asdu);
    json_object_set_new(record, "iec104", o);
}
