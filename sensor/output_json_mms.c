/*
 * output_json_mms.c - the "mms" object of an event_type "mms" record (dissectors/mms.h).
 *
 *   {"pdu":"confirmed-request","service":"write","invoke_id":7,"path":"presentation",
 *    "objects":["IED1LD0/CSWI1$CO$Pos$Oper"],"values":[[true,[3,"00ff"],12,...]],
 *    "control":{"object":"IED1LD0/CSWI1$CO$Pos$Oper","action":"operate","value":true,
 *               "orcat":3,...},
 *    "acse":{"pdu":"aarq","auth_mechanism":"2.2.3.1","auth_value_present":true,...}}
 *
 * Data values keep their JSON type: booleans, numbers, strings (visible/MMS strings), hex
 * (octet strings, binary times), "0101..." (bit strings), timestamps (UtcTime) and arrays
 * (structures and arrays). An ACSE authentication value is never written, only its form.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mms.h"
#include "output_json.h"
#include "output_json_int.h"

#define OID_TEXT_MAX  128
#define MAX_BIT_CHARS 256

static json_t *span_string(struct gs_span s)
{
    return gs_json_bytes_string(s.ptr, s.len);
}

static void set_span(json_t *obj, const char *key, struct gs_span s)
{
    if (s.ptr != NULL && s.len > 0)
        json_object_set_new(obj, key, span_string(s));
}

static void set_oid(json_t *obj, const char *key, struct gs_span oid)
{
    char text[OID_TEXT_MAX];
    if (oid.len == 0)
        return;
    if (gs_mms_oid_text(oid, text, sizeof(text)))
        json_object_set_new(obj, key, json_string(text));
    else
        json_object_set_new(obj, key, gs_json_hex(oid.ptr, oid.len));
}

static json_t *object_name(const struct gs_mms_object_name *n)
{
    if (n->scope == GS_MMS_SCOPE_UNNAMED)
        return json_null();
    if (n->scope != GS_MMS_SCOPE_DOMAIN)
        return span_string(n->item);
    /* "domain/item", the IEC 61850 object reference form. */
    char small[512];
    size_t len = n->domain.len + 1 + n->item.len;
    char *text = len <= sizeof(small) ? small : malloc(len);
    if (text == NULL)
        return json_null();
    if (n->domain.len > 0)
        memcpy(text, n->domain.ptr, n->domain.len);
    text[n->domain.len] = '/';
    if (n->item.len > 0)
        memcpy(text + n->domain.len + 1, n->item.ptr, n->item.len);
    json_t *s = gs_json_bytes_string((const uint8_t *)text, len);
    if (text != small)
        free(text);
    return s;
}

static json_t *bit_string(const struct gs_data_node *node)
{
    size_t bits = node->raw.len * 8;
    if (bits < node->v.unused_bits || bits - node->v.unused_bits > MAX_BIT_CHARS)
        return gs_json_hex(node->raw.ptr, node->raw.len);
    bits -= node->v.unused_bits;
    char text[MAX_BIT_CHARS + 1];
    for (size_t i = 0; i < bits; i++)
        text[i] = (node->raw.ptr[i / 8] & (0x80u >> (i % 8))) ? '1' : '0';
    return json_stringn(text, bits);
}

static json_t *primitive(const struct gs_data_node *node)
{
    if (!node->valid)
        return json_null();
    switch (node->type) {
    case GS_DATA_BOOLEAN:
        return json_boolean(node->v.boolean);
    case GS_DATA_INTEGER:
    case GS_DATA_BCD:
        return json_integer((json_int_t)node->v.integer);
    case GS_DATA_UNSIGNED:
        if (node->v.unsigned_ > (uint64_t)INT64_MAX)
            return json_real((double)node->v.unsigned_);
        return json_integer((json_int_t)node->v.unsigned_);
    case GS_DATA_FLOAT:
        return isfinite(node->v.floating) ? json_real(node->v.floating) : json_null();
    case GS_DATA_BIT_STRING:
        return bit_string(node);
    case GS_DATA_VISIBLE_STRING:
    case GS_DATA_MMS_STRING:
    case GS_DATA_GENERALIZED_TIME:
        return span_string(node->raw);
    case GS_DATA_UTC_TIME: {
        char ts[40];
        gs_format_timestamp(gs_utc_time_us(&node->v.utc), ts, sizeof(ts));
        return json_string(ts);
    }
    default:
        return gs_json_hex(node->raw.ptr, node->raw.len);
    }
}

/* Renders the subtree at *i and moves *i past it. */
static json_t *data_value(const struct gs_data_list *l, size_t *i)
{
    const struct gs_data_node *node = &l->nodes[*i];
    (*i)++;
    if (node->type != GS_DATA_STRUCTURE && node->type != GS_DATA_ARRAY)
        return primitive(node);
    json_t *arr = json_array();
    for (uint32_t k = 0; k < node->n_children && *i < l->n && l->nodes[*i].depth > node->depth; k++)
        json_array_append_new(arr, data_value(l, i));
    return arr;
}

static json_t *value_at(const struct gs_data_list *l, uint32_t index)
{
    if (index == GS_MMS_NO_VALUE || index >= l->n)
        return json_null();
    size_t i = index;
    return data_value(l, &i);
}

static json_t *top_values(const struct gs_data_list *l)
{
    json_t *arr = json_array();
    size_t i = 0;
    while (i < l->n)
        json_array_append_new(arr, data_value(l, &i));
    return arr;
}

static json_t *results(const struct gs_mms_event *ev)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < ev->n_results; i++) {
        const struct gs_mms_access_result *r = &ev->results[i];
        json_t *o = json_object();
        if (!r->success) {
            const char *name = gs_mms_access_error_name(r->error);
            json_object_set_new(o, "error", name ? json_string(name) : json_integer(r->error));
        } else if (ev->service == GS_MMS_SVC_WRITE && ev->pdu == GS_MMS_PDU_CONFIRMED_RESPONSE) {
            json_object_set_new(o, "success", json_true());
        } else {
            json_object_set_new(o, "value", value_at(&ev->values, r->value));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *control(const struct gs_mms_event *ev, const struct gs_mms_control *c)
{
    json_t *o = json_object();
    if (c->object < ev->n_objects)
        json_object_set_new(o, "object", object_name(&ev->objects[c->object]));
    json_object_set_new(o, "action", json_string(gs_mms_control_action_name(c->action)));
    if (c->value != GS_MMS_NO_VALUE)
        json_object_set_new(o, "value", value_at(&ev->values, c->value));
    if (c->has_orcat)
        json_object_set_new(o, "orcat", json_integer((json_int_t)c->orcat));
    if (c->orident.len > 0)
        json_object_set_new(o, "orident", gs_json_hex(c->orident.ptr, c->orident.len));
    if (c->has_ctl_num)
        json_object_set_new(o, "ctl_num", json_integer((json_int_t)c->ctl_num));
    if (c->has_test)
        json_object_set_new(o, "test", json_boolean(c->test));
    if (c->has_oper_tm)
        json_object_set_new(o, "time_activated", json_true());
    return o;
}

static json_t *acse(const struct gs_mms_acse *a)
{
    static const char *const results_names[] = {"accepted", "rejected-permanent",
                                                "rejected-transient"};
    json_t *o = json_object();
    json_object_set_new(o, "pdu", json_string(gs_mms_acse_pdu_name(a->pdu)));
    set_oid(o, "application_context", a->app_context);
    set_oid(o, "calling_ap_title", a->calling_ap_title);
    if (a->has_calling_ae_qualifier)
        json_object_set_new(o, "calling_ae_qualifier", json_integer(a->calling_ae_qualifier));
    set_oid(o, "called_ap_title", a->called_ap_title);
    if (a->has_called_ae_qualifier)
        json_object_set_new(o, "called_ae_qualifier", json_integer(a->called_ae_qualifier));
    set_oid(o, "responding_ap_title", a->responding_ap_title);
    if (a->has_responding_ae_qualifier)
        json_object_set_new(o, "responding_ae_qualifier", json_integer(a->responding_ae_qualifier));
    if (a->pdu == GS_MMS_ACSE_AARQ || a->pdu == GS_MMS_ACSE_AARE) {
        set_oid(o, "auth_mechanism", a->auth_mechanism);
        json_object_set_new(o, "auth_value_present", json_boolean(a->auth_value_present));
        if (a->auth_value_present)
            json_object_set_new(o, "auth_value_form",
                                json_string(gs_mms_auth_form_name(a->auth_form)));
    }
    if (a->has_result) {
        json_object_set_new(o, "result",
                            a->result < 3 ? json_string(results_names[a->result])
                                          : json_integer(a->result));
    }
    if (a->has_diagnostic) {
        json_object_set_new(
            o, "diagnostic_source",
            json_string(a->diagnostic_provider ? "service-provider" : "service-user"));
        json_object_set_new(o, "diagnostic", json_integer(a->diagnostic));
    }
    if (a->has_reason)
        json_object_set_new(o, "reason", json_integer(a->reason));
    if (a->has_abort_source)
        json_object_set_new(
            o, "abort_source",
            json_string(a->abort_source == 0 ? "service-user" : "service-provider"));
    if (a->has_abort_diagnostic)
        json_object_set_new(o, "abort_diagnostic", json_integer(a->abort_diagnostic));
    return o;
}

static json_t *initiate(const struct gs_mms_initiate *in)
{
    json_t *o = json_object();
    if (in->has_local_detail)
        json_object_set_new(o, "max_pdu_size", json_integer(in->local_detail));
    json_object_set_new(o, "max_serv_outstanding_calling",
                        json_integer(in->max_serv_outstanding_calling));
    json_object_set_new(o, "max_serv_outstanding_called",
                        json_integer(in->max_serv_outstanding_called));
    if (in->has_nesting_level)
        json_object_set_new(o, "nesting_level", json_integer(in->nesting_level));
    if (in->has_version)
        json_object_set_new(o, "version", json_integer(in->version));
    if (in->services_supported.len > 0)
        json_object_set_new(o, "services_supported",
                            gs_json_hex(in->services_supported.ptr, in->services_supported.len));
    return o;
}

static void set_objects(json_t *m, const struct gs_mms_event *ev)
{
    if (ev->n_objects > 0) {
        json_t *arr = json_array();
        for (size_t i = 0; i < ev->n_objects; i++)
            json_array_append_new(arr, object_name(&ev->objects[i]));
        json_object_set_new(m, "objects", arr);
    }
    if (ev->has_list_name)
        json_object_set_new(m, "list_name", object_name(&ev->list_name));
    if (ev->n_files > 0) {
        json_t *arr = json_array();
        for (size_t i = 0; i < ev->n_files; i++)
            json_array_append_new(arr, span_string(ev->files[i]));
        json_object_set_new(m, "files", arr);
    }
    set_span(m, "domain", ev->domain);
    set_span(m, "program_invocation", ev->program_invocation);
}

static void set_details(json_t *m, const struct gs_mms_event *ev)
{
    if (ev->has_object_class)
        json_object_set_new(m, "object_class", json_integer(ev->object_class));
    if (ev->has_frsm_id)
        json_object_set_new(m, "frsm_id", json_integer(ev->frsm_id));
    if (ev->has_file_size)
        json_object_set_new(m, "file_size", json_integer((json_int_t)ev->file_size));
    if (ev->has_more_follows)
        json_object_set_new(m, "more_follows", json_boolean(ev->more_follows));
    if (ev->vendor.len > 0 || ev->model.len > 0 || ev->revision.len > 0) {
        json_t *id = json_object();
        set_span(id, "vendor", ev->vendor);
        set_span(id, "model", ev->model);
        set_span(id, "revision", ev->revision);
        json_object_set_new(m, "identify", id);
    }
    if (ev->has_status) {
        json_t *st = json_object();
        json_object_set_new(st, "logical", json_integer(ev->logical_status));
        json_object_set_new(st, "physical", json_integer(ev->physical_status));
        json_object_set_new(m, "status", st);
    }
    if (ev->has_error) {
        json_t *e = json_object();
        const char *cls = gs_mms_error_class_name(ev->error_class);
        json_object_set_new(e, "class", cls ? json_string(cls) : json_integer(ev->error_class));
        json_object_set_new(e, "code", json_integer(ev->error_code));
        json_object_set_new(m, "error", e);
    }
    if (ev->has_reject) {
        json_t *r = json_object();
        json_object_set_new(r, "type", json_integer(ev->reject_type));
        json_object_set_new(r, "code", json_integer(ev->reject_code));
        json_object_set_new(m, "reject", r);
    }
    if (ev->has_initiate)
        json_object_set_new(m, "initiate", initiate(&ev->initiate));
}

static void set_controls(json_t *m, const struct gs_mms_event *ev)
{
    if (ev->n_controls > 0)
        json_object_set_new(m, "control", control(ev, &ev->controls[0]));
    if (ev->n_controls > 1) {
        json_t *arr = json_array();
        for (size_t i = 0; i < ev->n_controls; i++)
            json_array_append_new(arr, control(ev, &ev->controls[i]));
        json_object_set_new(m, "controls", arr);
    }
    if (ev->has_last_appl_error) {
        const struct gs_mms_last_appl_error *e = &ev->last_appl_error;
        json_t *o = json_object();
        json_object_set_new(o, "object", span_string(e->object));
        json_object_set_new(o, "error", json_integer(e->error));
        if (e->has_orcat)
            json_object_set_new(o, "orcat", json_integer(e->orcat));
        json_object_set_new(o, "ctl_num", json_integer((json_int_t)e->ctl_num));
        json_object_set_new(o, "add_cause", json_integer(e->add_cause));
        json_object_set_new(m, "last_appl_error", o);
    }
}

void gs_json_mms(json_t *record, const void *body)
{
    const struct gs_mms_event *ev = body;
    json_t *m = json_object();
    if (ev->pdu != GS_MMS_PDU_NONE) {
        json_object_set_new(m, "pdu", json_string(gs_mms_pdu_name(ev->pdu)));
        if (ev->has_service) {
            const char *name = gs_mms_service_name(ev->pdu, ev->service);
            json_object_set_new(m, "service", name ? json_string(name) : json_integer(ev->service));
        }
        if (ev->has_invoke_id)
            json_object_set_new(m, "invoke_id", json_integer(ev->invoke_id));
    }
    if (ev->iso == NULL)
        json_object_set_new(m, "path", json_string(gs_mms_path_name(ev->path)));
    if (ev->malformed)
        json_object_set_new(m, "malformed", json_true());
    if (ev->capped)
        json_object_set_new(m, "capped", json_true());
    if (ev->objects_capped)
        json_object_set_new(m, "objects_capped", json_true());
    set_objects(m, ev);
    bool write_request = ev->pdu == GS_MMS_PDU_CONFIRMED_REQUEST && ev->has_service &&
                         ev->service == GS_MMS_SVC_WRITE;
    if (write_request && ev->values.n > 0)
        json_object_set_new(m, "values", top_values(&ev->values));
    if (ev->n_results > 0)
        json_object_set_new(m, "results", results(ev));
    set_details(m, ev);
    set_controls(m, ev);
    if (ev->acse != NULL)
        json_object_set_new(m, "acse", acse(ev->acse));
    if (ev->iso != NULL) {
        json_t *iso = json_object();
        json_object_set_new(iso, "pdu", json_string(gs_mms_iso_pdu_name(ev->iso->pdu)));
        if (ev->iso->has_reason)
            json_object_set_new(iso, "reason", json_integer(ev->iso->reason));
        json_object_set_new(m, "iso", iso);
    }
    json_object_set_new(record, "mms", m);
}
