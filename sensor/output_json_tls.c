/*
 * output_json_tls.c - the "tls" object of --log-events records (see dissectors/tls.h).
 *
 *   {"msg":"server_hello","inner":"iec104","version":"TLS 1.2","version_id":771,
 *    "cipher_suite":{"id":49199,"name":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
 *    "ja3s":"...","resumed":false,"secure_renegotiation":true}
 */
#include <stdio.h>
#include <time.h>

#include "output_json_int.h"
#include "tls.h"
#include "tls_suites.h"

static const char *msg_name(enum gs_tls_msg msg)
{
    switch (msg) {
    case GS_TLS_CLIENT_HELLO:
        return "client_hello";
    case GS_TLS_SERVER_HELLO:
        return "server_hello";
    case GS_TLS_CERTIFICATE:
        return "certificate";
    case GS_TLS_SERVER_KEY_EXCHANGE:
        return "server_key_exchange";
    case GS_TLS_CERTIFICATE_REQUEST:
        return "certificate_request";
    case GS_TLS_SERVER_HELLO_DONE:
        return "server_hello_done";
    case GS_TLS_CLIENT_KEY_EXCHANGE:
        return "client_key_exchange";
    case GS_TLS_CERTIFICATE_VERIFY:
        return "certificate_verify";
    case GS_TLS_NEW_SESSION_TICKET:
        return "new_session_ticket";
    case GS_TLS_CHANGE_CIPHER_SPEC:
        return "change_cipher_spec";
    case GS_TLS_ALERT:
        return "alert";
    case GS_TLS_RENEGOTIATION:
        return "renegotiation";
    case GS_TLS_HEARTBEAT:
        return "heartbeat";
    case GS_TLS_PLAINTEXT:
        return "plaintext";
    }
    return "unknown";
}

static void set_str(json_t *obj, const char *key, const char *v)
{
    if (v != NULL && v[0] != '\0')
        json_object_set_new(obj, key, json_string(v));
}

static void set_version(json_t *obj, const char *key, const char *id_key, uint32_t v)
{
    const char *name = gs_tls_version_name(v);
    json_object_set_new(obj, key, name != NULL ? json_string(name) : json_null());
    json_object_set_new(obj, id_key, json_integer(v));
}

static json_t *suite_object(uint32_t id)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(id));
    const char *name = gs_tls_suite_name(id);
    json_object_set_new(o, "name", name != NULL ? json_string(name) : json_null());
    return o;
}

/* A list of 2-byte (or 3-byte) values as JSON integers. */
static json_t *value_list(struct gs_span span, size_t width)
{
    json_t *a = json_array();
    struct gs_cursor c = gs_cur_init(span.ptr, span.len);
    while (gs_cur_remaining(&c) >= width)
        json_array_append_new(a, json_integer(width == 3 ? gs_cur_be24(&c) : gs_cur_be16(&c)));
    return a;
}

static json_t *iso_time(int64_t secs)
{
    time_t t = (time_t)secs;
    struct tm tm;
    char text[32];
    if (gmtime_r(&t, &tm) == NULL || strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_null();
    return json_string(text);
}

static json_t *cert_object(const struct gs_tls_cert *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "der_len", json_integer((json_int_t)c->der_len));
    if (!c->parsed) {
        json_object_set_new(o, "parsed", json_false());
        return o;
    }
    json_object_set_new(o, "subject", json_string(c->subject));
    json_object_set_new(o, "issuer", json_string(c->issuer));
    json_object_set_new(o, "serial", json_string(c->serial));
    if (c->has_validity) {
        json_object_set_new(o, "not_before", iso_time(c->not_before));
        json_object_set_new(o, "not_after", iso_time(c->not_after));
    }
    json_object_set_new(o, "key_type", json_string(gs_tls_key_type_name(c->key_type)));
    json_object_set_new(o, "key_bits", json_integer(c->key_bits));
    set_str(o, "curve", c->curve);
    set_str(o, "signature_algorithm", c->sig_alg);
    json_object_set_new(o, "signature_hash", json_string(gs_tls_hash_name(c->sig_hash)));
    json_object_set_new(o, "self_signed", json_boolean(c->self_signed));
    json_object_set_new(o, "sha256", gs_json_hex(c->sha256, sizeof(c->sha256)));
    return o;
}

static void client_hello(json_t *o, const struct gs_tls_event *ev)
{
    const struct gs_tls_client_hello *ch = ev->client_hello;
    const struct gs_tls_session *s = ev->session;
    set_version(o, "client_version", "client_version_id", ch->version);
    set_version(o, "max_version", "max_version_id", ch->max_version);
    if (ch->sslv2_form)
        json_object_set_new(o, "sslv2_format", json_true());
    set_str(o, "sni", s->sni);
    set_str(o, "alpn", s->alpn);
    set_str(o, "ja3", s->ja3);
    set_str(o, "ja4", s->ja4);
    json_object_set_new(o, "suites", value_list(ch->suites, ch->suite_len));
    json_object_set_new(o, "extensions", json_integer((json_int_t)ch->n_extensions));
    if (ch->groups.len > 0)
        json_object_set_new(o, "groups", value_list(ch->groups, 2));
    if (ch->sig_algs.len > 0)
        json_object_set_new(o, "signature_algorithms", value_list(ch->sig_algs, 2));
    json_object_set_new(o, "session_id_len", json_integer((json_int_t)ch->session_id.len));
    json_object_set_new(o, "secure_renegotiation", json_boolean(ch->reneg_info || ch->reneg_scsv));
    if (ch->fallback_scsv)
        json_object_set_new(o, "fallback_scsv", json_true());
    if (ch->compression)
        json_object_set_new(o, "compression", json_true());
    if (ch->session_ticket)
        json_object_set_new(o, "session_ticket", json_true());
    if (ch->psk)
        json_object_set_new(o, "psk", json_true());
    if (ch->early_data)
        json_object_set_new(o, "early_data", json_true());
    if (ch->heartbeat)
        json_object_set_new(o, "heartbeat", json_true());
}

static void server_hello(json_t *o, const struct gs_tls_event *ev)
{
    const struct gs_tls_server_hello *sh = ev->server_hello;
    set_version(o, "version", "version_id", sh->version);
    if (!sh->sslv2_form) /* SSL 2.0: the client names the cipher in CLIENT-MASTER-KEY */
        json_object_set_new(o, "cipher_suite", suite_object(sh->suite));
    if (sh->hrr)
        json_object_set_new(o, "hello_retry_request", json_true());
    if (sh->sslv2_form)
        json_object_set_new(o, "sslv2_format", json_true());
    set_str(o, "sni", ev->session->sni);
    set_str(o, "ja3s", ev->session->ja3s);
    json_object_set_new(o, "resumed", json_boolean(sh->resumed));
    json_object_set_new(o, "secure_renegotiation",
                        json_boolean(sh->reneg_info && ev->session->client_secure_reneg));
    if (sh->compression != 0)
        json_object_set_new(o, "compression", json_integer(sh->compression));
}

static void certificates(json_t *o, const struct gs_tls_event *ev)
{
    const struct gs_tls_certificates *c = ev->certificates;
    json_object_set_new(o, "count", json_integer((json_int_t)c->n_total));
    json_t *list = json_array();
    for (size_t i = 0; i < c->n_certs; i++)
        json_array_append_new(list, cert_object(&c->certs[i]));
    json_object_set_new(o, "certificates", list);
    set_str(o, "sni", ev->session->sni);
}

void gs_json_tls(json_t *record, const void *body)
{
    const struct gs_tls_event *ev = body;
    const struct gs_tls_session *s = ev->session;
    json_t *o = json_object();
    json_object_set_new(o, "msg", json_string(msg_name(ev->msg)));
    set_str(o, "inner", s->inner);
    switch (ev->msg) {
    case GS_TLS_CLIENT_HELLO:
        client_hello(o, ev);
        break;
    case GS_TLS_SERVER_HELLO:
        server_hello(o, ev);
        break;
    case GS_TLS_CERTIFICATE:
        certificates(o, ev);
        break;
    case GS_TLS_SERVER_KEY_EXCHANGE:
        if (s->kx_group != 0) {
            const char *g = gs_tls_group_name(s->kx_group);
            json_object_set_new(o, "group", g != NULL ? json_string(g) : json_integer(s->kx_group));
        }
        if (s->dh_bits != 0)
            json_object_set_new(o, "dh_bits", json_integer(s->dh_bits));
        break;
    case GS_TLS_ALERT: {
        const struct gs_tls_alert *a = ev->alert;
        if (a->encrypted) {
            json_object_set_new(o, "encrypted", json_true());
            break;
        }
        json_object_set_new(o, "level",
                            a->level == 2   ? json_string("fatal")
                            : a->level == 1 ? json_string("warning")
                                            : json_integer(a->level));
        const char *name = gs_tls_alert_name(a->description);
        json_object_set_new(o, "description", name != NULL ? json_string(name) : json_null());
        json_object_set_new(o, "code", json_integer(a->description));
        break;
    }
    case GS_TLS_RENEGOTIATION:
        json_object_set_new(o, "renegotiations", json_integer(s->renegotiations));
        json_object_set_new(o, "record_len", json_integer((json_int_t)ev->record_len));
        break;
    case GS_TLS_HEARTBEAT:
        json_object_set_new(o, "record_len", json_integer((json_int_t)ev->record_len));
        break;
    case GS_TLS_PLAINTEXT:
        json_object_set_new(o, "plaintext",
                            ev->plaintext != NULL ? json_string(ev->plaintext) : json_null());
        break;
    case GS_TLS_CLIENT_KEY_EXCHANGE:
        if (s->sslv2) /* CLIENT-MASTER-KEY names the cipher */
            json_object_set_new(o, "cipher_suite", suite_object(s->suite));
        break;
    case GS_TLS_CHANGE_CIPHER_SPEC:
        if (s->resumed)
            json_object_set_new(o, "resumed", json_true());
        break;
    default:
        break;
    }
    json_object_set_new(record, "tls", o);
}
