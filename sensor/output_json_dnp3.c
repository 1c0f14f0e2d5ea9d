/*
 * output_json_dnp3.c - the "dnp3" object of an event_type "dnp3" record: one application
 * fragment, the flow entry a SIEM expects ("FC 0x01 READ, g30v5 from 10.x to 10.y").
 *
 * Control objects (CROB g12v1/v2, analog output blocks g41) carry their decoded points and
 * Secure Authentication objects (g120) their fields. Challenge data and MAC values are
 * public wire bytes and logged in hex for forensics; wrapped or encrypted key data, and
 * certificates, only by length.
 */
#include <stdio.h>

#include "dnp3.h"
#include "output_json_int.h"

#define MAX_LOGGED_POINTS 32

static const char *const crob_ops[] = {"NUL", "PULSE_ON", "PULSE_OFF", "LATCH_ON", "LATCH_OFF"};
static const char *const crob_tcc[] = {"NUL", "CLOSE", "TRIP", "RESERVED"};

static const char *sa_error_name(uint8_t code)
{
    static const char *const names[] = {
        NULL,
        "authentication_failed",
        "unexpected_reply",
        "no_reply",
        "aggressive_mode_not_supported",
        "mac_algorithm_not_permitted",
        "key_wrap_algorithm_not_permitted",
        "authorization_failed",
        "update_key_method_not_permitted",
        "invalid_signature",
        "invalid_certification_data",
        "unknown_user",
        "max_session_key_status_requests_exceeded",
    };
    return code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

static void set_int(json_t *o, const char *key, json_int_t v)
{
    json_object_set_new(o, key, json_integer(v));
}

static void set_bytes(json_t *o, const char *len_key, const char *hex_key, struct gs_span s)
{
    set_int(o, len_key, (json_int_t)s.len);
    if (hex_key != NULL && s.len != 0)
        json_object_set_new(o, hex_key, gs_json_hex(s.ptr, s.len));
}

static json_t *sa_json(const struct gs_dnp3_sa *sa)
{
    json_t *o = json_object();
    if (!sa->valid) {
        json_object_set_new(o, "valid", json_false());
        set_int(o, "object_len", (json_int_t)sa->object.len);
        return o;
    }
    switch (sa->variation) {
    case 1:
        set_int(o, "csq", sa->seq);
        set_int(o, "usr", sa->user);
        set_int(o, "mal", sa->mal);
        set_int(o, "reason", sa->reason);
        set_bytes(o, "challenge_len", "challenge", sa->challenge);
        break;
    case 2:
        set_int(o, "csq", sa->seq);
        set_int(o, "usr", sa->user);
        set_bytes(o, "mac_len", "mac", sa->mac);
        break;
    case 3:
        set_int(o, "csq", sa->seq);
        set_int(o, "usr", sa->user);
        break;
    case 4:
        set_int(o, "usr", sa->user);
        break;
    case 5:
        set_int(o, "ksq", sa->seq);
        set_int(o, "usr", sa->user);
        set_int(o, "kwa", sa->kwa);
        set_int(o, "key_status", sa->key_status);
        set_int(o, "mal", sa->mal);
        set_bytes(o, "challenge_len", "challenge", sa->challenge);
        set_bytes(o, "mac_len", "mac", sa->mac);
        break;
    case 6:
        set_int(o, "ksq", sa->seq);
        set_int(o, "usr", sa->user);
        set_bytes(o, "wrapped_key_len", NULL, sa->key_data);
        break;
    case 7: {
        set_int(o, "seq", sa->seq);
        set_int(o, "usr", sa->user);
        set_int(o, "assoc_id", sa->assoc_id);
        set_int(o, "error_code", sa->error_code);
        const char *name = sa_error_name(sa->error_code);
        if (name != NULL)
            json_object_set_new(o, "error", json_string(name));
        set_int(o, "error_time_ms", (json_int_t)sa->error_time_ms);
        if (sa->error_text.len != 0)
            json_object_set_new(o, "error_text",
                                gs_json_bytes_string(sa->error_text.ptr, sa->error_text.len));
        break;
    }
    case 8:
        set_int(o, "kcm", sa->kcm);
        set_int(o, "cert_type", sa->cert_type);
        set_bytes(o, "certificate_len", NULL, sa->certificate);
        break;
    case 9:
    case 15:
        set_bytes(o, "mac_len", "mac", sa->mac);
        break;
    case 10:
        set_int(o, "kcm", sa->kcm);
        set_int(o, "operation", sa->operation);
        set_int(o, "scs", sa->seq);
        set_int(o, "user_role", sa->user_role);
        set_int(o, "role_expiry_days", sa->role_expiry);
        json_object_set_new(o, "user_name",
                            gs_json_bytes_string(sa->user_name.ptr, sa->user_name.len));
        set_bytes(o, "user_public_key_len", NULL, sa->user_public_key);
        set_bytes(o, "certification_data_len", NULL, sa->certificate);
        break;
    case 11:
        set_int(o, "kcm", sa->kcm);
        json_object_set_new(o, "user_name",
                            gs_json_bytes_string(sa->user_name.ptr, sa->user_name.len));
        set_bytes(o, "challenge_len", "challenge", sa->challenge);
        break;
    case 12:
        set_int(o, "ksq", sa->seq);
        set_int(o, "usr", sa->user);
        set_bytes(o, "challenge_len", "challenge", sa->challenge);
        break;
    case 13:
        set_int(o, "ksq", sa->seq);
        set_int(o, "usr", sa->user);
        set_bytes(o, "encrypted_key_len", NULL, sa->key_data);
        break;
    case 14:
        set_bytes(o, "signature_len", NULL, sa->mac);
        break;
    default:
        break;
    }
    return o;
}

static json_t *control_point_json(const struct gs_dnp3_object *obj, const struct gs_dnp3_point *pt)
{
    json_t *p = json_object();
    set_int(p, "index", pt->index);
    if (pt->kind == GS_DNP3_VAL_CROB) {
        uint8_t code = pt->crob.code;
        set_int(p, "code", code);
        unsigned op = code & 0x0Fu;
        if (op < sizeof(crob_ops) / sizeof(crob_ops[0]))
            json_object_set_new(p, "op", json_string(crob_ops[op]));
        json_object_set_new(p, "tcc", json_string(crob_tcc[(code >> 6) & 3u]));
        if (code & 0x20u)
            json_object_set_new(p, "clear", json_true());
        if (code & 0x10u)
            json_object_set_new(p, "queue", json_true());
        set_int(p, "count", pt->crob.count);
        set_int(p, "on_ms", pt->crob.on_ms);
        set_int(p, "off_ms", pt->crob.off_ms);
    } else if (pt->kind == GS_DNP3_VAL_INT) {
        set_int(p, "value", (json_int_t)pt->i);
    } else if (pt->kind == GS_DNP3_VAL_FLOAT) {
        json_object_set_new(p, "value", json_real(pt->f));
    }
    (void)obj;
    if (pt->has_status) {
        set_int(p, "status", pt->status);
        const char *name = gs_dnp3_status_name(pt->status);
        if (name != NULL)
            json_object_set_new(p, "status_name", json_string(name));
    }
    return p;
}

static json_t *object_json(const struct gs_dnp3_event *ev, const struct gs_dnp3_object *obj)
{
    json_t *o = json_object();
    char type[16];
    snprintf(type, sizeof(type), "g%uv%u", obj->group, obj->variation);
    json_object_set_new(o, "type", json_string(type));
    set_int(o, "group", obj->group);
    set_int(o, "variation", obj->variation);
    set_int(o, "qualifier", obj->qualifier);
    if (obj->range_kind == GS_DNP3_RANGE_START_STOP && (obj->count != 0 || obj->stop != 0)) {
        set_int(o, "start", obj->start);
        set_int(o, "stop", obj->stop);
    } else if (obj->range_kind == GS_DNP3_RANGE_COUNT) {
        set_int(o, "count", obj->count);
    } else if (obj->range_kind == GS_DNP3_RANGE_ALL) {
        json_object_set_new(o, "all", json_true());
    }
    if (obj->malformed)
        json_object_set_new(o, "malformed", json_true());
    bool control =
        (obj->group == 12 && (obj->variation == 1 || obj->variation == 2)) || obj->group == 41;
    if (control && !obj->header_only && !obj->malformed) {
        json_t *points = json_array();
        struct gs_dnp3_point_iter it;
        struct gs_dnp3_point pt;
        gs_dnp3_points_begin(&it, obj);
        size_t n = 0;
        while (n < MAX_LOGGED_POINTS && gs_dnp3_points_next(&it, &pt)) {
            json_array_append_new(points, control_point_json(obj, &pt));
            n++;
        }
        json_object_set_new(o, "points", points);
    }
    if (obj->group == 120 && obj->sa_index >= 0 && (size_t)obj->sa_index < ev->n_sa)
        json_object_set_new(o, "sa", sa_json(&ev->sa[obj->sa_index]));
    return o;
}

void gs_json_dnp3(json_t *record, const void *body)
{
    const struct gs_dnp3_event *ev = body;
    json_t *d = json_object();
    json_object_set_new(d, "direction", json_string(ev->is_response ? "response" : "request"));
    set_int(d, "src", ev->src);
    set_int(d, "dst", ev->dst);
    json_object_set_new(d, "from_master", json_boolean(ev->from_master));
    const char *lf = gs_dnp3_link_function_name(ev->link_control);
    json_object_set_new(d, "link_function", json_string(lf != NULL ? lf : "RESERVED"));
    set_int(d, "function_code", ev->function_code);
    const char *fn = gs_dnp3_function_name(ev->function_code);
    json_object_set_new(d, "function", json_string(fn != NULL ? fn : "RESERVED"));
    set_int(d, "seq", ev->seq);
    json_object_set_new(d, "fir", json_boolean(ev->fir));
    json_object_set_new(d, "fin", json_boolean(ev->fin));
    json_object_set_new(d, "con", json_boolean(ev->con));
    json_object_set_new(d, "uns", json_boolean(ev->uns));
    if (ev->has_iin) {
        json_t *iin = json_array();
        for (unsigned bit = 0; bit < 16; bit++) {
            /* IIN1 is the high byte of ev->iin, its bit 0 is IIN1.0 (bit 0 here). */
            unsigned mask = bit < 8 ? (0x100u << bit) : (1u << (bit - 8));
            if (ev->iin & mask)
                json_array_append_new(iin, json_string(gs_dnp3_iin_name(bit)));
        }
        json_object_set_new(d, "iin", iin);
    }
    set_int(d, "fragment_len", (json_int_t)ev->fragment.len);
    if (ev->n_segments > 1)
        set_int(d, "segments", ev->n_segments);
    if (!ev->complete && ev->stop_reason != NULL)
        json_object_set_new(d, "malformed", json_string(ev->stop_reason));
    json_t *objects = json_array();
    for (size_t k = 0; k < ev->n_objects; k++)
        json_array_append_new(objects, object_json(ev, &ev->objects[k]));
    json_object_set_new(d, "objects", objects);
    json_object_set_new(record, "dnp3", d);
}
