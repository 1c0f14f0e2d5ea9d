/*
 * output_json_goose.c - the "goose" record of GOOSE and R-GOOSE events, and the objects GOOSE
 * and SV records share: "security" (IEC 62351-6, iec62351_6.h), "session" (R-GOOSE/R-SV,
 * rsession.h) and MMS Data values (iec61850_data.h).
 *
 * R-GOOSE events come from the rsession dissector, so the record's event_type is set here
 * rather than taken from the dissector's name: every GOOSE PDU is an event_type "goose"
 * record, with a "session" object when it travelled in an R-GOOSE SPDU.
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

#include "goose.h"
#include "output_json_int.h"
#include "rsession.h"

#define OID_MAX_TEXT 256

static void set_u(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *span_string(struct gs_span s)
{
    return gs_json_bytes_string(s.ptr, s.len);
}

static json_t *span_hex(struct gs_span s)
{
    return gs_json_hex(s.ptr, s.len);
}

json_t *gs_json_utc_time(const struct gs_utc_time *t)
{
    time_t secs = (time_t)t->seconds;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    /* The 24-bit fraction in nanoseconds, as Wireshark shows it. */
    unsigned long long ns = ((unsigned long long)t->fraction * 1000000000ull) >> 24;
    char text[48];
    snprintf(text, sizeof(text), "%s.%09lluZ", date, ns);
    return json_string(text);
}

/* The significant bits of a BIT STRING as '0'/'1' characters, first bit first. */
static json_t *bit_string(const struct gs_data_node *n)
{
    size_t len = n->raw.len;
    size_t bits = len * 8;
    if (len > 0 && n->v.unused_bits < 8)
        bits -= n->v.unused_bits;
    char small[257];
    char *text = bits + 1 <= sizeof(small) ? small : malloc(bits + 1);
    if (text == NULL)
        return json_null();
    for (size_t i = 0; i < bits; i++)
        text[i] = (n->raw.ptr[i / 8] & (0x80u >> (i % 8))) ? '1' : '0';
    text[bits] = '\0';
    json_t *s = json_string(text);
    if (text != small)
        free(text);
    return s;
}

/* An OBJECT IDENTIFIER's dotted form (X.690 §8.19), hex when it is not well formed. */
static json_t *obj_id(struct gs_span raw)
{
    char text[OID_MAX_TEXT];
    size_t n = 0;
    uint64_t arc = 0;
    bool first = true;
    for (size_t i = 0; i < raw.len; i++) {
        if (arc > (UINT64_MAX >> 7))
            return gs_json_hex(raw.ptr, raw.len);
        arc = (arc << 7) | (raw.ptr[i] & 0x7Fu);
        if (raw.ptr[i] & 0x80u)
            continue;
        int w;
        if (first) {
            uint64_t a = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            w = snprintf(text + n, sizeof(text) - n, "%llu.%llu", (unsigned long long)a,
                         (unsigned long long)(arc - a * 40));
            first = false;
        } else {
            w = snprintf(text + n, sizeof(text) - n, ".%llu", (unsigned long long)arc);
        }
        if (w < 0 || (size_t)w >= sizeof(text) - n)
            return gs_json_hex(raw.ptr, raw.len);
        n += (size_t)w;
        arc = 0;
    }
    if (first || (raw.len > 0 && (raw.ptr[raw.len - 1] & 0x80u)))
        return gs_json_hex(raw.ptr, raw.len);
    return json_stringn(text, n);
}

static json_t *primitive_value(const struct gs_data_node *n)
{
    switch (n->type) {
    case GS_DATA_BOOLEAN:
        return json_boolean(n->v.boolean);
    case GS_DATA_BIT_STRING:
    case GS_DATA_BOOLEAN_ARRAY:
        return bit_string(n);
    case GS_DATA_INTEGER:
    case GS_DATA_BCD:
        return json_integer((json_int_t)n->v.integer);
    case GS_DATA_UNSIGNED:
        if (n->v.unsigned_ > (uint64_t)INT64_MAX)
            return json_real((double)n->v.unsigned_);
        return json_integer((json_int_t)n->v.unsigned_);
    case GS_DATA_FLOAT:
        if (isnan(n->v.floating))
            return json_string("nan");
        if (isinf(n->v.floating))
            return json_string(n->v.floating > 0 ? "inf" : "-inf");
        return json_real(n->v.floating);
    case GS_DATA_VISIBLE_STRING:
    case GS_DATA_MMS_STRING:
        return gs_json_bytes_string(n->raw.ptr, n->raw.len);
    case GS_DATA_UTC_TIME:
        return gs_json_utc_time(&n->v.utc);
    case GS_DATA_OBJ_ID:
        return obj_id(n->raw);
    default:
        return gs_json_hex(n->raw.ptr, n->raw.len);
    }
}

/* The value at nodes[*i] and, for arrays and structures, its children (document order). */
static json_t *data_value(const struct gs_data_node *nodes, size_t n, size_t *i)
{
    const struct gs_data_node *node = &nodes[(*i)++];
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(gs_data_type_name(node->type)));
    if (node->type == GS_DATA_ARRAY || node->type == GS_DATA_STRUCTURE) {
        json_t *children = json_array();
        for (uint32_t k = 0; k < node->n_children && *i < n; k++)
            json_array_append_new(children, data_value(nodes, n, i));
        json_object_set_new(o, "value", children);
        return o;
    }
    if (!node->valid) {
        json_object_set_new(o, "valid", json_false());
        json_object_set_new(o, "raw", gs_json_hex(node->raw.ptr, node->raw.len));
        return o;
    }
    json_object_set_new(o, "value", primitive_value(node));
    if (node->type == GS_DATA_UTC_TIME)
        set_u(o, "quality", node->v.utc.quality);
    return o;
}

json_t *gs_json_data_list(const struct gs_data_node *nodes, size_t n)
{
    json_t *arr = json_array();
    size_t i = 0;
    while (i < n)
        json_array_append_new(arr, data_value(nodes, n, &i));
    return arr;
}

json_t *gs_json_sec_info(const struct gs_sec_info *sec)
{
    json_t *o = json_object();
    json_object_set_new(o, "present", json_boolean(sec->present));
    if (sec->format == GS_SEC_NONE && !sec->present)
        return o;
    json_object_set_new(o, "format", json_string(gs_sec_format_name(sec->format)));
    if (sec->has_key_id) {
        set_u(o, "key_id", sec->key_id);
        json_object_set_new(o, "key_id_hex", span_hex(sec->key_id_raw));
    }
    json_object_set_new(o, "algorithm", json_string(gs_sec_alg_name(sec->algorithm)));
    if (sec->format == GS_SEC_SESSION_V1) {
        set_u(o, "mac_alg", sec->mac_alg_raw);
        set_u(o, "enc_alg", sec->enc_alg);
    }
    if (sec->has_version)
        set_u(o, "version", sec->version);
    if (sec->has_key_times) {
        set_u(o, "time_of_current_key", sec->time_of_current_key);
        json_object_set_new(o, "time_to_next_key_min", json_integer(sec->time_to_next_key));
    }
    if (sec->iv.len != 0) {
        json_object_set_new(o, "iv", span_hex(sec->iv));
        if (sec->iv_order_ambiguous)
            json_object_set_new(o, "iv_order_ambiguous", json_true());
    }
    if (sec->tag.ptr != NULL) {
        json_object_set_new(o, "tag", span_hex(sec->tag));
        set_u(o, "tag_len", sec->tag.len);
    }
    if (sec->sig_form != GS_SEC_SIG_NONE)
        json_object_set_new(o, "signature_form",
                            json_string(sec->sig_form == GS_SEC_SIG_TLV ? "85-ll-mac" : "85-mac"));
    bool l2 = sec->format >= GS_SEC_L2_2007 && sec->format <= GS_SEC_L2_UNKNOWN;
    if (l2) {
        set_u(o, "reserved1_ext_len", sec->r1_ext_len);
        json_object_set_new(o, "reserved1_len_matches", json_boolean(sec->r1_len_matches));
        json_object_set_new(o, "reserved2_crc", json_string(gs_sec_crc_name(sec->crc)));
        set_u(o, "ext_len", sec->raw.len);
        if (sec->format == GS_SEC_L2_UNKNOWN)
            json_object_set_new(o, "raw", span_hex(sec->raw));
    }
    if (sec->aad.ptr != NULL) {
        set_u(o, "gcm_aad_len", sec->aad.len);
        set_u(o, "gcm_ciphertext_len", sec->ciphertext.len);
    }
    if (sec->n_coverage > 0) {
        json_t *cov = json_array();
        for (size_t i = 0; i < sec->n_coverage; i++) {
            const struct gs_sec_coverage *c = &sec->coverage[i];
            json_t *r = json_object();
            json_object_set_new(r, "name", json_string(c->name));
            json_object_set_new(r, "from", json_integer(c->start));
            json_object_set_new(r, "to", json_integer(c->end));
            json_array_append_new(cov, r);
        }
        json_object_set_new(o, "coverage", cov);
    }
    return o;
}

json_t *gs_json_rsession(const struct gs_rsession *s)
{
    json_t *o = json_object();
    const char *si = gs_rsession_si_name(s->si);
    json_object_set_new(o, "si", si != NULL ? json_string(si) : json_integer(s->si));
    set_u(o, "version", s->version);
    set_u(o, "spdu_num", s->spdu_num);
    set_u(o, "spdu_len", s->spdu_len);
    json_t *fits = json_array();
    static const struct {
        uint32_t bit;
        const char *name;
    } readings[] = {
        {GS_RSESSION_SPDU_LEN_AFTER_FIELD, "after-field"},
        {GS_RSESSION_SPDU_LEN_FROM_SI_LI, "from-si-li"},
        {GS_RSESSION_SPDU_LEN_WITH_SIG, "with-signature"},
        {GS_RSESSION_SPDU_LEN_LIBIEC, "libiec61850"},
    };
    for (size_t i = 0; i < sizeof(readings) / sizeof(readings[0]); i++) {
        if (s->spdu_len_fits & readings[i].bit)
            json_array_append_new(fits, json_string(readings[i].name));
    }
    json_object_set_new(o, "spdu_len_fits", fits);
    set_u(o, "session_li", s->session_li);
    set_u(o, "common_li", s->common_li);
    set_u(o, "payload_len", s->payload_len);
    set_u(o, "elements", s->n_elements);
    if (s->encrypted)
        json_object_set_new(o, "encrypted", json_true());
    if (s->has_padding)
        set_u(o, "padding_len", s->padding.len);
    if (s->trailing_zero)
        json_object_set_new(o, "trailing_zero", json_true());
    if (s->n_elements > 0) {
        json_t *e = json_object();
        set_u(e, "index", s->element_index);
        set_u(e, "tag", s->element_tag);
        set_u(e, "simulation", s->element_sim);
        set_u(e, "appid", s->element_appid);
        set_u(e, "apdu_len", s->element_apdu_len);
        if (s->element_len_plus2)
            json_object_set_new(e, "apdu_len_plus2", json_true());
        if (s->tunnel) {
            char mac[18];
            const uint8_t *m = s->tunnel_dst_mac;
            snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                     m[4], m[5]);
            json_object_set_new(e, "tunnel_dest_mac", json_string(mac));
            set_u(e, "tunnel_tpid", s->tunnel_tpid);
            set_u(e, "tunnel_tci", s->tunnel_tci);
            set_u(e, "tunnel_ether_type", s->tunnel_ether_type);
        }
        json_object_set_new(o, "element", e);
    }
    return o;
}

static json_t *gse_mngt(const struct gs_gse_mngt *m)
{
    json_t *o = json_object();
    if (m->has_state_id)
        json_object_set_new(o, "state_id", json_integer((json_int_t)m->state_id));
    json_object_set_new(o, "kind", json_string(m->response ? "response" : "request"));
    json_object_set_new(o, "service", json_string(gs_goose_mngt_service_name(m->service)));
    if (m->ident.ptr != NULL)
        json_object_set_new(o, "ident", span_string(m->ident));
    if (m->has_conf_rev)
        json_object_set_new(o, "conf_rev", json_integer((json_int_t)m->conf_rev));
    if (m->has_result) {
        json_object_set_new(o, "positive", json_boolean(m->positive));
        if (m->dat_set.ptr != NULL)
            json_object_set_new(o, "dat_set", span_string(m->dat_set));
        if (!m->positive)
            json_object_set_new(o, "error", json_integer((json_int_t)m->error));
    }
    return o;
}

void gs_json_l2_header(json_t *o, uint16_t appid, bool has_header, uint16_t length,
                       uint16_t reserved1, uint16_t reserved2, bool simulated)
{
    set_u(o, "appid", appid);
    if (has_header) {
        set_u(o, "length", length);
        set_u(o, "reserved1", reserved1);
        set_u(o, "reserved2", reserved2);
    }
    json_object_set_new(o, "simulated", json_boolean(simulated));
}

void gs_json_l2_context(json_t *o, const struct gs_sec_info *sec, const struct gs_rsession *session)
{
    json_object_set_new(o, "security", gs_json_sec_info(sec));
    if (session != NULL)
        json_object_set_new(o, "session", gs_json_rsession(session));
}

static const char *pdu_name(enum gs_goose_pdu pdu)
{
    switch (pdu) {
    case GS_GOOSE_PDU_GOOSE:
        return "goose";
    case GS_GOOSE_PDU_GSE_MNGT:
        return "gse_mngt";
    default:
        return "none";
    }
}

void gs_json_goose(json_t *record, const void *body)
{
    const struct gs_goose_event *ev = body;
    json_object_set_new(record, "event_type", json_string("goose"));
    json_t *o = json_object();
    gs_json_l2_header(o, ev->appid, ev->has_header, ev->length, ev->reserved1, ev->reserved2,
                      ev->simulated);
    json_object_set_new(o, "pdu", json_string(pdu_name(ev->pdu)));
    json_object_set_new(o, "status", json_string(gs_l2pdu_status_name(ev->status)));
    if (ev->pdu_index != 0)
        set_u(o, "pdu_index", ev->pdu_index);
    uint32_t p = ev->present;
    if (p & GS_GOOSE_F_GOCB_REF)
        json_object_set_new(o, "gocb_ref", span_string(ev->gocb_ref));
    if (p & GS_GOOSE_F_GO_ID)
        json_object_set_new(o, "go_id", span_string(ev->go_id));
    if (p & GS_GOOSE_F_DAT_SET)
        json_object_set_new(o, "dat_set", span_string(ev->dat_set));
    if (p & GS_GOOSE_F_ST_NUM)
        set_u(o, "st_num", ev->st_num);
    if (p & GS_GOOSE_F_SQ_NUM)
        set_u(o, "sq_num", ev->sq_num);
    if (p & GS_GOOSE_F_TTL)
        set_u(o, "ttl_ms", ev->ttl_ms);
    if (p & GS_GOOSE_F_T) {
        json_object_set_new(o, "t", gs_json_utc_time(&ev->t));
        set_u(o, "t_quality", ev->t.quality);
    }
    if (ev->pdu == GS_GOOSE_PDU_GOOSE)
        json_object_set_new(o, "simulation", json_boolean(ev->simulation));
    if (p & GS_GOOSE_F_CONF_REV)
        set_u(o, "conf_rev", ev->conf_rev);
    if (ev->pdu == GS_GOOSE_PDU_GOOSE)
        json_object_set_new(o, "nds_com", json_boolean(ev->nds_com));
    if (p & GS_GOOSE_F_NUM_ENTRIES)
        set_u(o, "entries", ev->num_dat_set_entries);
    if (p & GS_GOOSE_F_ALL_DATA) {
        json_object_set_new(o, "data", gs_json_data_list(ev->data, ev->n_data));
        if (ev->n_entries != ev->num_dat_set_entries || !(p & GS_GOOSE_F_NUM_ENTRIES))
            set_u(o, "data_entries", ev->n_entries);
        if (ev->data_capped)
            json_object_set_new(o, "data_capped", json_true());
        if (ev->data_malformed)
            json_object_set_new(o, "data_malformed", json_true());
    }
    if (ev->pdu == GS_GOOSE_PDU_GSE_MNGT)
        json_object_set_new(o, "gse_mngt", gse_mngt(&ev->mngt));
    gs_json_l2_context(o, ev->security, ev->session);
    json_object_set_new(record, "goose", o);
}
