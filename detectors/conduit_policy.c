/*
 * conduit_policy.c - the conduit policy and the catalogue of dangerous operations (see
 * conduit_policy.h, policy.h, catalogue.h).
 *
 * Which conduit. A flow belongs to the first conduit that admits its client, server, server
 * port and protocol (gs_policy_match); a layer-2 GOOSE/SV frame to the first conduit of its
 * protocol whose vlans admit it (gs_policy_match_l2); R-GOOSE and R-SV are UDP flows of the
 * protocols "r-goose" and "r-sv"; a TLS connection counts as the protocol it protects (the
 * TLS dissector names it from the server port) or as "tls". The flow is judged at each of its
 * protocol events and, when no dissector claims it, at nDPI's classification (on_classified):
 *   - a conduit admits it: that conduit's allow-lists apply to its requests;
 *   - else, between two hosts a conduit names (gs_policy_match_hosts), it is something that
 *     conduit does not carry: policy.unexpected_protocol;
 *   - else, an OT protocol (one gridsensor dissects, or nDPI's IoT-Scada category) outside
 *     every conduit: policy.unknown_conduit;
 *   - else (IT traffic between hosts no conduit names): nothing.
 * Both findings are reported once per endpoint pair and protocol (layer 2: MAC pair, VLAN).
 *
 * Which requests. DNP3 fragments with a request function code (CONFIRM only acknowledges and
 * is always allowed), IEC 104 ASDUs the controlling station (the TCP client) sends, MMS
 * confirmed-requests. A request raises at most one policy.function_not_allowed, and one
 * policy.dangerous.* per catalogue operation it performs unless its conduit allows that
 * operation explicitly. GOOSE/SV PDUs of a conduit with allow.publishers are checked against
 * the list, once per publisher (policy.publisher_not_allowed).
 *
 * Repeats. The same finding about the same endpoints (and DNP3 destination, IEC 104 common
 * address or MMS object) is reported again only after policy.realert_s of packet time; the
 * alert then carries `repeats`, how many were held back in between.
 *
 * Memory. One table of findings already reported: policy.max_reported entries, 4-way set
 * associative, keyed by a 64-bit hash of the finding. When a set is full its least recently
 * seen entry is forgotten (counted), so that finding may be reported again later. Nothing
 * else grows with input.
 */
#include "conduit_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "dnp3.h"
#include "goose.h"
#include "iec104.h"
#include "mms.h"
#include "policy.h"
#include "sv.h"
#include "tls.h"

#define WAYS       4
#define TEXT_SLOTS 4
#define TEXT_MAX   192
#define US_PER_S   1000000u

/* One finding already reported. */
struct seen {
    uint64_t key; /* 0: empty */
    uint64_t seen_us;
    uint64_t report_us;
    uint32_t repeats; /* occurrences not reported since report_us */
};

struct cp {
    const struct gs_detect_env *env;
    const struct gs_policy *policy;
    struct seen *seen;
    size_t n_sets;
    uint64_t realert_us;
    uint64_t forgotten;              /* entries dropped from a full set */
    char text[TEXT_SLOTS][TEXT_MAX]; /* strings of the alert being built */
    char message[256];
};

static int cp_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    struct cp *cp = calloc(1, sizeof(*cp));
    size_t entries = env->cfg->policy_max_reported;
    size_t sets = entries / WAYS > 0 ? entries / WAYS : 1;
    struct seen *seen = calloc(sets * WAYS, sizeof(*seen));
    if (cp == NULL || seen == NULL) {
        free(cp);
        free(seen);
        snprintf(errbuf, GS_ERRBUF_SIZE, "conduit policy: out of memory");
        return -1;
    }
    cp->env = env;
    cp->policy = env->policy;
    cp->seen = seen;
    cp->n_sets = sets;
    cp->realert_us = (uint64_t)env->cfg->policy_realert_s * US_PER_S;
    *state = cp;
    return 0;
}

static void cp_destroy(void *state)
{
    struct cp *cp = state;
    if (cp == NULL)
        return;
    free(cp->seen);
    free(cp);
}

/* ---- findings already reported -------------------------------------------------------------- */

/* FNV-1a, 64 bits: the key of a finding. */
#define HASH_INIT 14695981039346656037ull

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    return hash_bytes(h, s != NULL ? s : "", s != NULL ? strlen(s) + 1 : 1);
}

static uint64_t hash_u64(uint64_t h, uint64_t v)
{
    uint8_t b[8];
    for (size_t i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return hash_bytes(h, b, sizeof(b));
}

static uint64_t hash_ip(uint64_t h, const struct gs_ip *ip)
{
    h = hash_bytes(h, &ip->family, 1);
    return hash_bytes(h, ip->addr, ip->family == 6 ? 16 : 4);
}

enum repeat_mode {
    ONCE,     /* report a finding once while it is remembered */
    WINDOWED, /* again after policy.realert_s */
};

/*
 * Whether the finding `key` is reported now; *repeats receives how many occurrences were held
 * back since it was last reported.
 */
static bool report_now(struct cp *cp, uint64_t key, uint64_t now_us, enum repeat_mode mode,
                       uint32_t *repeats)
{
    *repeats = 0;
    if (key == 0)
        key = 1;
    struct seen *set = &cp->seen[(key % cp->n_sets) * WAYS];
    struct seen *victim = &set[0];
    for (size_t i = 0; i < WAYS; i++) {
        struct seen *e = &set[i];
        if (e->key == key) {
            e->seen_us = now_us;
            if (mode == ONCE)
                return false;
            bool within = cp->realert_us > 0 &&
                          (now_us < e->report_us || now_us - e->report_us < cp->realert_us);
            if (within) {
                e->repeats++;
                return false;
            }
            *repeats = e->repeats;
            e->repeats = 0;
            e->report_us = now_us;
            return true;
        }
        if (e->key == 0 || (victim->key != 0 && e->seen_us < victim->seen_us))
            victim = e;
    }
    if (victim->key != 0)
        cp->forgotten++;
    victim->key = key;
    victim->seen_us = now_us;
    victim->report_us = now_us;
    victim->repeats = 0;
    return true;
}

/* ---- alert text ------------------------------------------------------------------------------ */

/* Wire bytes as text in slot `slot` (bytes outside printable ASCII as \xHH, cut at TEXT_MAX). */
static const char *span_text(struct cp *cp, unsigned slot, const uint8_t *p, size_t len)
{
    char *out = cp->text[slot];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < TEXT_MAX; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, TEXT_MAX - n, "\\x%02x", c);
    }
    out[n] = '\0';
    return out;
}

static const char *mac_text(struct cp *cp, unsigned slot, const uint8_t mac[6])
{
    snprintf(cp->text[slot], TEXT_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
    return cp->text[slot];
}

/* "domain/item", or the item alone. */
static const char *object_text(struct cp *cp, unsigned slot, const struct gs_mms_object_name *o)
{
    char item[TEXT_MAX];
    span_text(cp, slot, o->item.ptr, o->item.len);
    memcpy(item, cp->text[slot], TEXT_MAX);
    if (o->domain.len == 0)
        return cp->text[slot];
    span_text(cp, slot, o->domain.ptr, o->domain.len);
    size_t n = strlen(cp->text[slot]);
    snprintf(cp->text[slot] + n, TEXT_MAX - n, "/%s", item);
    return cp->text[slot];
}

static void add_repeats(struct gs_alert *a, uint32_t repeats)
{
    if (repeats > 0)
        gs_alert_add_uint(a, "repeats", repeats);
}

/* ---- conduits -------------------------------------------------------------------------------- */

/* The flow's client and server, whichever side sent the current packet. */
static void endpoints(const struct gs_flow_info *f, const struct gs_ip **client,
                      const struct gs_ip **server, uint16_t *server_port)
{
    bool to_server = f->dir == GS_DIR_TO_SERVER;
    *client = to_server ? &f->src : &f->dst;
    *server = to_server ? &f->dst : &f->src;
    *server_port = to_server ? f->dst_port : f->src_port;
}

/* What a flow outside its conduits is, for judge_outside. */
struct outside {
    const char *protocol;  /* as conduits name it: "dnp3", "http", "unknown" */
    const char *app_proto; /* for the record */
    bool ot;               /* an OT protocol: outside every conduit it is a finding */
    bool over_tls;         /* `protocol` carried inside TLS */
    const struct gs_app_class *cls;
};

/*
 * A flow that no conduit admits: policy.unexpected_protocol between the hosts of a conduit,
 * else policy.unknown_conduit for an OT protocol. Once per endpoint pair and protocol.
 */
static void judge_outside(struct cp *cp, const struct gs_pkt_ctx *ctx, const struct outside *o)
{
    const struct gs_ip *client, *server;
    uint16_t port;
    endpoints(ctx->flow, &client, &server, &port);
    const struct gs_policy_conduit *h = gs_policy_match_hosts(cp->policy, client, server);
    const char *rule = h != NULL ? "policy.unexpected_protocol"
                       : o->ot   ? "policy.unknown_conduit"
                                 : NULL;
    if (rule == NULL)
        return;
    uint64_t key = hash_str(HASH_INIT, rule);
    key = hash_ip(hash_ip(key, client), server);
    key = hash_str(key, o->protocol);
    uint32_t repeats;
    if (!report_now(cp, key, ctx->ts_us, ONCE, &repeats))
        return;
    struct gs_alert a;
    gs_alert_init(&a, rule, o->app_proto, "policy");
    a.conduit = h != NULL ? h->name : NULL;
    gs_alert_add_str(&a, "protocol", o->protocol);
    if (o->over_tls)
        gs_alert_add_bool(&a, "over_tls", true);
    gs_alert_add_str(&a, "transport", ctx->flow->ip_proto == 17 ? "udp" : "tcp");
    gs_alert_add_uint(&a, "server_port", port);
    if (o->cls != NULL) {
        gs_alert_add_str(&a, "ndpi_protocol", o->cls->name);
        if (o->cls->category != NULL)
            gs_alert_add_str(&a, "ndpi_category", o->cls->category);
        gs_alert_add_bool(&a, "guessed", o->cls->guessed);
    }
    if (h != NULL) {
        gs_alert_add_str(&a, "conduit_protocol", h->protocol != NULL ? h->protocol : "any");
        snprintf(cp->message, sizeof(cp->message),
                 "%s between endpoints of conduit %s, which carries %s%s", o->protocol, h->name,
                 h->protocol != NULL ? h->protocol : "any protocol",
                 h->n_ports > 0 ? " on the ports it lists" : "");
    } else {
        snprintf(cp->message, sizeof(cp->message), "no conduit of the policy admits this %s flow",
                 o->protocol);
    }
    a.message = cp->message;
    gs_detect_alert(cp->env, ctx, &a);
}

/* The conduit of a flow of a protocol gridsensor dissects; with a policy and none, the flow
 * is judged outside. NULL without a policy. */
static const struct gs_policy_conduit *flow_conduit(struct cp *cp, const struct gs_pkt_ctx *ctx,
                                                    const char *protocol, const char *app_proto)
{
    if (cp->policy == NULL || ctx->flow == NULL)
        return NULL;
    const struct gs_ip *client, *server;
    uint16_t port;
    endpoints(ctx->flow, &client, &server, &port);
    const struct gs_policy_conduit *c = gs_policy_match(cp->policy, client, server, port, protocol);
    if (c == NULL) {
        struct outside o = {.protocol = protocol, .app_proto = app_proto, .ot = true};
        judge_outside(cp, ctx, &o);
    }
    return c;
}

/* The layer-2 conduit of a GOOSE/SV frame; with a policy and none, policy.unknown_conduit
 * once per MAC pair, VLAN and protocol. */
static const struct gs_policy_conduit *l2_conduit(struct cp *cp, const struct gs_pkt_ctx *ctx,
                                                  const char *protocol, uint16_t appid)
{
    if (cp->policy == NULL || ctx->l2 == NULL)
        return NULL;
    const struct gs_l2_info *l2 = ctx->l2;
    uint16_t vlan = l2->vlan_count > 0 ? l2->vlan_id[0] : 0;
    const struct gs_policy_conduit *c = gs_policy_match_l2(cp->policy, protocol, vlan);
    if (c != NULL)
        return c;
    uint64_t key = hash_str(HASH_INIT, "policy.unknown_conduit");
    key = hash_bytes(key, l2->src_mac, 6);
    key = hash_bytes(key, l2->dst_mac, 6);
    key = hash_u64(key, vlan);
    key = hash_str(key, protocol);
    uint32_t repeats;
    if (!report_now(cp, key, ctx->ts_us, ONCE, &repeats))
        return NULL;
    struct gs_alert a;
    gs_alert_init(&a, "policy.unknown_conduit", protocol, "policy");
    gs_alert_add_str(&a, "protocol", protocol);
    gs_alert_add_uint(&a, "appid", appid);
    if (l2->has_mac)
        gs_alert_add_str(&a, "src_mac", mac_text(cp, 0, l2->src_mac));
    gs_alert_add_uint(&a, "vlan", vlan);
    snprintf(cp->message, sizeof(cp->message),
             "no %s conduit of the policy admits frames on VLAN %u", protocol, vlan);
    a.message = cp->message;
    gs_detect_alert(cp->env, ctx, &a);
    return NULL;
}

/* Whether the conduit allows a catalogue operation explicitly: it names the operation in
 * allow.operations, or its native allow-list names the request's function. */
static bool explicitly_allowed(const struct gs_policy_conduit *c, enum gs_catalogue_op op,
                               unsigned code)
{
    if (c == NULL)
        return false;
    const struct gs_policy_allow *a = &c->allow;
    if ((a->operations >> op) & 1u)
        return true;
    switch (gs_catalogue_entry(op)->code_kind) {
    case GS_OP_CODE_DNP3_FUNCTION:
        return a->has_function_codes && gs_policy_bit(a->function_codes, code);
    case GS_OP_CODE_IEC104_TYPE:
        return a->has_type_ids && gs_policy_bit(a->type_ids, code);
    case GS_OP_CODE_MMS_SERVICE:
        return a->has_services && code < 128 && gs_policy_bit(a->services, code);
    case GS_OP_CODE_NONE:
        break;
    }
    return false;
}

/* ---- alerts about requests ------------------------------------------------------------------- */

/* Which request an alert is about: its protocol section is written by `section`. */
struct request {
    const struct gs_pkt_ctx *ctx;
    const struct gs_policy_conduit *conduit;
    const char *protocol; /* app_proto and section name */
    unsigned code;        /* function code, type id or service */
    uint64_t sub;         /* what else tells findings apart: DNP3 dst, IEC 104 CA */
    void (*section)(struct cp *cp, struct gs_alert *a, const void *ev);
    const void *ev;
};

static uint64_t request_key(const struct request *r, const char *rule, const char *what)
{
    uint64_t key = hash_str(HASH_INIT, rule);
    key = hash_u64(key, r->conduit != NULL ? r->conduit->index : UINT64_MAX);
    const struct gs_flow_info *f = r->ctx->flow;
    if (f != NULL) {
        const struct gs_ip *client, *server;
        uint16_t port;
        endpoints(f, &client, &server, &port);
        key = hash_ip(hash_ip(key, client), server);
    }
    key = hash_str(key, r->protocol);
    key = hash_u64(key, r->code);
    key = hash_u64(key, r->sub);
    return hash_str(key, what);
}

static void dangerous(struct cp *cp, const struct request *r, const struct gs_catalogue_hit *hit)
{
    const struct gs_catalogue_entry *e = gs_catalogue_entry(hit->op);
    if (explicitly_allowed(r->conduit, hit->op, r->code))
        return;
    char object[TEXT_MAX];
    span_text(cp, 0, hit->object.ptr, hit->object.len);
    memcpy(object, cp->text[0], TEXT_MAX);
    uint64_t key = request_key(r, e->rule, e->name);
    key = hash_str(key, object);
    uint32_t repeats;
    if (!report_now(cp, key, r->ctx->ts_us, WINDOWED, &repeats))
        return;
    struct gs_alert a;
    gs_alert_init(&a, e->rule, r->protocol, r->protocol);
    a.conduit = r->conduit != NULL ? r->conduit->name : NULL;
    a.message = e->reason;
    r->section(cp, &a, r->ev);
    gs_alert_add_str(&a, "operation", e->name);
    /* The file or object the operation acts on, unless the section names it already. */
    bool named = false;
    for (size_t i = 0; i < a.n_fields && !named; i++) {
        named = a.fields[i].type == GS_AF_STR && strcmp(a.fields[i].key, "object") == 0 &&
                strstr(a.fields[i].v.s, object) != NULL;
    }
    if (object[0] != '\0' && !named) {
        memcpy(cp->text[3], object, TEXT_MAX);
        gs_alert_add_str(&a, "target", cp->text[3]);
    }
    add_repeats(&a, repeats);
    gs_detect_alert(cp->env, r->ctx, &a);
}

/* policy.function_not_allowed: `list` names the allow-list (function_codes, groups, ...) and
 * `value` the offending value when it is not the request's code (a group, a cause). */
static void not_allowed(struct cp *cp, const struct request *r, const char *list, const char *field,
                        unsigned value, const char *value_name)
{
    uint64_t key = request_key(r, "policy.function_not_allowed", list);
    key = hash_u64(key, value);
    key = hash_str(key, value_name);
    uint32_t repeats;
    if (!report_now(cp, key, r->ctx->ts_us, WINDOWED, &repeats))
        return;
    struct gs_alert a;
    gs_alert_init(&a, "policy.function_not_allowed", r->protocol, r->protocol);
    a.conduit = r->conduit->name;
    r->section(cp, &a, r->ev);
    gs_alert_add_str(&a, "not_allowed", list);
    if (field != NULL)
        gs_alert_add_uint(&a, field, value);
    if (value_name != NULL)
        snprintf(cp->message, sizeof(cp->message), "%s is not in allow.%s of conduit %s",
                 value_name, list, r->conduit->name);
    else
        snprintf(cp->message, sizeof(cp->message), "%u is not in allow.%s of conduit %s", value,
                 list, r->conduit->name);
    a.message = cp->message;
    add_repeats(&a, repeats);
    gs_detect_alert(cp->env, r->ctx, &a);
}

/* ---- DNP3 ------------------------------------------------------------------------------------ */

static void dnp3_section(struct cp *cp, struct gs_alert *a, const void *body)
{
    (void)cp;
    const struct gs_dnp3_event *ev = body;
    const char *name = gs_dnp3_function_name(ev->function_code);
    gs_alert_add_uint(a, "function_code", ev->function_code);
    gs_alert_add_str(a, "function", name != NULL ? name : "RESERVED");
    gs_alert_add_uint(a, "src", ev->src);
    gs_alert_add_uint(a, "dst", ev->dst);
}

static void on_dnp3(struct cp *cp, const struct gs_pkt_ctx *ctx, const struct gs_dnp3_event *ev)
{
    const struct gs_policy_conduit *c = flow_conduit(cp, ctx, "dnp3", "dnp3");
    if (ev->is_response || ev->function_code >= GS_DNP3_FC_RESPONSE)
        return;
    struct request r = {ctx, c, "dnp3", ev->function_code, ev->dst, dnp3_section, ev};
    const struct gs_policy_allow *a = c != NULL ? &c->allow : NULL;
    if (a != NULL && a->has_function_codes && ev->function_code != GS_DNP3_FC_CONFIRM &&
        !gs_policy_bit(a->function_codes, ev->function_code)) {
        const char *name = gs_dnp3_function_name(ev->function_code);
        char text[48];
        snprintf(text, sizeof(text), "function %s (%u)", name != NULL ? name : "RESERVED",
                 ev->function_code);
        not_allowed(cp, &r, "function_codes", NULL, ev->function_code, text);
    } else if (a != NULL && a->has_groups) {
        for (size_t i = 0; i < ev->n_objects; i++) {
            uint8_t g = ev->objects[i].group;
            if (gs_policy_bit(a->groups, g))
                continue;
            char text[48];
            snprintf(text, sizeof(text), "object group %u (g%uv%u)", g, g,
                     ev->objects[i].variation);
            not_allowed(cp, &r, "groups", "group", g, text);
            break;
        }
    }
    struct gs_catalogue_hit hits[GS_CATALOGUE_MAX_HITS];
    size_t n = gs_catalogue_dnp3(ev, hits, GS_CATALOGUE_MAX_HITS);
    for (size_t i = 0; i < n; i++)
        dangerous(cp, &r, &hits[i]);
}

/* ---- IEC 60870-5-104 ------------------------------------------------------------------------- */

static void iec104_section(struct cp *cp, struct gs_alert *a, const void *body)
{
    (void)cp;
    const struct gs_iec104_asdu *asdu = ((const struct gs_iec104_event *)body)->asdu;
    const char *type = gs_iec104_type_name(asdu->type_id);
    gs_alert_add_uint(a, "type_id", asdu->type_id);
    gs_alert_add_str(a, "type", type != NULL ? type : "unknown");
    if (asdu->has_cot) {
        const char *cot = gs_iec104_cot_name(asdu->cot);
        gs_alert_add_uint(a, "cot", asdu->cot);
        gs_alert_add_str(a, "cot_name", cot != NULL ? cot : "unknown");
    }
    if (asdu->has_ca)
        gs_alert_add_uint(a, "ca", asdu->ca);
    if (asdu->objects_status != GS_IEC104_OBJ_NONE && asdu->n_objects > 0)
        gs_alert_add_uint(a, "ioa", asdu->objects[0].ioa);
}

static void on_iec104(struct cp *cp, const struct gs_pkt_ctx *ctx, const struct gs_iec104_event *ev)
{
    const struct gs_policy_conduit *c = flow_conduit(cp, ctx, "iec104", "iec104");
    const struct gs_iec104_asdu *asdu = ev->asdu;
    bool from_controlling = ctx->flow != NULL && ctx->flow->dir == GS_DIR_TO_SERVER;
    if (asdu == NULL || asdu->truncated || !from_controlling)
        return;
    struct request r = {
        ctx, c, "iec104", asdu->type_id, asdu->has_ca ? asdu->ca : 0, iec104_section, ev};
    const struct gs_policy_allow *a = c != NULL ? &c->allow : NULL;
    if (a != NULL && a->has_type_ids && !gs_policy_bit(a->type_ids, asdu->type_id)) {
        const char *type = gs_iec104_type_name(asdu->type_id);
        char text[48];
        snprintf(text, sizeof(text), "type %s (%u)", type != NULL ? type : "unknown",
                 asdu->type_id);
        not_allowed(cp, &r, "type_ids", NULL, asdu->type_id, text);
    } else if (a != NULL && a->has_causes && asdu->has_cot &&
               !gs_policy_bit(a->causes, asdu->cot)) {
        const char *cot = gs_iec104_cot_name(asdu->cot);
        char text[48];
        snprintf(text, sizeof(text), "cause %s (%u)", cot != NULL ? cot : "unknown", asdu->cot);
        not_allowed(cp, &r, "causes", "cause", asdu->cot, text);
    }
    struct gs_catalogue_hit hits[GS_CATALOGUE_MAX_HITS];
    size_t n =
        gs_catalogue_iec104(ev, true, cp->env->cfg->iec104_ca_size, hits, GS_CATALOGUE_MAX_HITS);
    for (size_t i = 0; i < n; i++)
        dangerous(cp, &r, &hits[i]);
}

/* ---- MMS ------------------------------------------------------------------------------------- */

static void mms_section(struct cp *cp, struct gs_alert *a, const void *body)
{
    const struct gs_mms_event *ev = body;
    const char *service = gs_mms_service_name(ev->pdu, ev->service);
    gs_alert_add_str(a, "service", service != NULL ? service : "unknown");
    gs_alert_add_uint(a, "service_id", ev->service);
    const char *object = NULL;
    if (ev->n_controls > 0 && ev->controls[0].object < ev->n_objects)
        object = object_text(cp, 1, &ev->objects[ev->controls[0].object]);
    else if (ev->n_objects > 0)
        object = object_text(cp, 1, &ev->objects[0]);
    else if (ev->domain.len > 0)
        object = span_text(cp, 1, ev->domain.ptr, ev->domain.len);
    else if (ev->program_invocation.len > 0)
        object = span_text(cp, 1, ev->program_invocation.ptr, ev->program_invocation.len);
    else if (ev->n_files > 0)
        object = span_text(cp, 1, ev->files[0].ptr, ev->files[0].len);
    if (object != NULL)
        gs_alert_add_str(a, "object", object);
    if (ev->n_controls > 0) {
        const char *action = gs_mms_control_action_name(ev->controls[0].action);
        gs_alert_add_str(a, "action", action != NULL ? action : "unknown");
    }
}

/* Whether every object of the request is an IEC 61850 control (so `controls` alone can allow
 * it, without the MMS service in `services`). */
static bool controls_only(const struct gs_mms_event *ev)
{
    if (ev->n_controls == 0 || ev->n_objects == 0)
        return false;
    for (size_t i = 0; i < ev->n_objects; i++) {
        bool control = false;
        for (size_t k = 0; k < ev->n_controls && !control; k++)
            control = ev->controls[k].object == i;
        if (!control)
            return false;
    }
    return true;
}

/* What tells two MMS requests of one service apart: the object, domain, program or file
 * they name first. */
static uint64_t mms_subject(const struct gs_mms_event *ev)
{
    uint64_t h = HASH_INIT;
    if (ev->n_objects > 0) {
        h = hash_bytes(h, ev->objects[0].domain.ptr, ev->objects[0].domain.len);
        h = hash_bytes(h, "/", 1);
        return hash_bytes(h, ev->objects[0].item.ptr, ev->objects[0].item.len);
    }
    h = hash_bytes(h, ev->domain.ptr, ev->domain.len);
    h = hash_bytes(h, ev->program_invocation.ptr, ev->program_invocation.len);
    if (ev->n_files > 0)
        h = hash_bytes(h, ev->files[0].ptr, ev->files[0].len);
    return h;
}

static void on_mms(struct cp *cp, const struct gs_pkt_ctx *ctx, const struct gs_mms_event *ev)
{
    if (ev->pdu == GS_MMS_PDU_NONE && ev->acse == NULL)
        return; /* a transport or session event says nothing of the protocol yet */
    const struct gs_policy_conduit *c = flow_conduit(cp, ctx, "mms", "mms");
    if (ev->pdu != GS_MMS_PDU_CONFIRMED_REQUEST || !ev->has_service)
        return;
    struct request r = {ctx, c, "mms", ev->service, mms_subject(ev), mms_section, ev};
    const struct gs_policy_allow *a = c != NULL ? &c->allow : NULL;
    if (a != NULL) {
        bool by_controls = a->has_controls && controls_only(ev);
        const char *service = gs_mms_service_name(ev->pdu, ev->service);
        char text[64];
        if (!by_controls && a->has_services &&
            (ev->service >= 128 || !gs_policy_bit(a->services, ev->service))) {
            snprintf(text, sizeof(text), "service %s", service != NULL ? service : "unknown");
            not_allowed(cp, &r, "services", NULL, ev->service, text);
        } else if (a->has_controls) {
            for (size_t i = 0; i < ev->n_controls; i++) {
                unsigned action = (unsigned)ev->controls[i].action;
                if ((a->controls >> action) & 1u)
                    continue;
                const char *name = gs_mms_control_action_name(ev->controls[i].action);
                snprintf(text, sizeof(text), "control action %s", name != NULL ? name : "?");
                not_allowed(cp, &r, "controls", NULL, action, text);
                break;
            }
        }
    }
    struct gs_catalogue_hit hits[GS_CATALOGUE_MAX_HITS];
    size_t n = gs_catalogue_mms(ev, hits, GS_CATALOGUE_MAX_HITS);
    for (size_t i = 0; i < n; i++)
        dangerous(cp, &r, &hits[i]);
}

/* ---- GOOSE and Sampled Values -----------------------------------------------------------------
 */

static bool span_is(struct gs_span s, const char *text)
{
    size_t n = strlen(text);
    return s.len == n && memcmp(s.ptr, text, n) == 0;
}

/* Whether a publisher of the list admits the PDU; `ref` is its gocbRef or svID (has_ref
 * false when the PDU carried none: only MAC and APPID are judged then). */
static bool publisher_allowed(const struct gs_policy_allow *a, const struct gs_l2_info *l2,
                              uint16_t appid, bool sv, bool has_ref, struct gs_span ref)
{
    for (size_t i = 0; i < a->n_publishers; i++) {
        const struct gs_policy_publisher *p = &a->publishers[i];
        const char *want = sv ? p->sv_id : p->gocb_ref;
        if ((sv && p->gocb_ref != NULL) || (!sv && p->sv_id != NULL))
            continue; /* an entry for the other protocol */
        if (p->has_src_mac &&
            (l2 == NULL || !l2->has_mac || memcmp(p->src_mac, l2->src_mac, 6) != 0))
            continue;
        if (p->has_appid && p->appid != appid)
            continue;
        if (want != NULL && has_ref && !span_is(ref, want))
            continue;
        return true;
    }
    return false;
}

static void publisher_not_allowed(struct cp *cp, const struct gs_pkt_ctx *ctx,
                                  const struct gs_policy_conduit *c, const char *protocol,
                                  uint16_t appid, bool sv, bool has_ref, struct gs_span ref)
{
    const struct gs_l2_info *l2 = ctx->l2;
    uint64_t key = hash_str(HASH_INIT, "policy.publisher_not_allowed");
    key = hash_u64(key, c->index);
    if (l2 != NULL && l2->has_mac)
        key = hash_bytes(key, l2->src_mac, 6);
    key = hash_u64(key, appid);
    key = hash_bytes(key, ref.ptr != NULL ? ref.ptr : (const uint8_t *)"", has_ref ? ref.len : 0);
    uint32_t repeats;
    if (!report_now(cp, key, ctx->ts_us, ONCE, &repeats))
        return;
    const char *section = sv ? "sv" : "goose";
    struct gs_alert a;
    gs_alert_init(&a, "policy.publisher_not_allowed", protocol, section);
    a.conduit = c->name;
    gs_alert_add_uint(&a, "appid", appid);
    if (has_ref)
        gs_alert_add_str(&a, sv ? "sv_id" : "gocb_ref", span_text(cp, 1, ref.ptr, ref.len));
    if (l2 != NULL && l2->has_mac)
        gs_alert_add_str(&a, "src_mac", mac_text(cp, 0, l2->src_mac));
    if (l2 != NULL && l2->vlan_count > 0)
        gs_alert_add_uint(&a, "vlan", l2->vlan_id[0]);
    snprintf(cp->message, sizeof(cp->message),
             "this %s publisher is not in allow.publishers of "
             "conduit %s",
             sv ? "SV" : "GOOSE", c->name);
    a.message = cp->message;
    gs_detect_alert(cp->env, ctx, &a);
}

static void on_goose(struct cp *cp, const struct gs_pkt_ctx *ctx, const struct gs_goose_event *ev)
{
    const struct gs_policy_conduit *c = ev->session != NULL
                                            ? flow_conduit(cp, ctx, "r-goose", "goose")
                                            : l2_conduit(cp, ctx, "goose", ev->appid);
    if (c == NULL || !c->allow.has_publishers)
        return;
    bool has_ref = ev->pdu == GS_GOOSE_PDU_GOOSE && (ev->present & GS_GOOSE_F_GOCB_REF) != 0;
    if (!publisher_allowed(&c->allow, ctx->l2, ev->appid, false, has_ref, ev->gocb_ref))
        publisher_not_allowed(cp, ctx, c, "goose", ev->appid, false, has_ref, ev->gocb_ref);
}

static void on_sv(struct cp *cp, const struct gs_pkt_ctx *ctx, const struct gs_sv_event *ev)
{
    const struct gs_policy_conduit *c = ev->session != NULL ? flow_conduit(cp, ctx, "r-sv", "sv")
                                                            : l2_conduit(cp, ctx, "sv", ev->appid);
    if (c == NULL || !c->allow.has_publishers)
        return;
    struct gs_span none = {0};
    if (ev->n_asdus == 0 && !publisher_allowed(&c->allow, ctx->l2, ev->appid, true, false, none))
        publisher_not_allowed(cp, ctx, c, "sv", ev->appid, true, false, none);
    for (size_t i = 0; i < ev->n_asdus; i++) {
        const struct gs_sv_asdu *asdu = &ev->asdus[i];
        bool has_ref = (asdu->present & GS_SV_F_SV_ID) != 0;
        if (!publisher_allowed(&c->allow, ctx->l2, ev->appid, true, has_ref, asdu->sv_id)) {
            publisher_not_allowed(cp, ctx, c, "sv", ev->appid, true, has_ref, asdu->sv_id);
            break;
        }
    }
}

/* ---- TLS ------------------------------------------------------------------------------------- */

/* TLS is judged as the protocol it protects (by port), else as "tls"; an unknown port counts
 * only for a conduit that names it. Its content is encrypted: no allow-list applies. */
static void on_tls(struct cp *cp, const struct gs_pkt_ctx *ctx, const struct gs_tls_event *ev)
{
    if (cp->policy == NULL || ctx->flow == NULL)
        return;
    const struct gs_ip *client, *server;
    uint16_t port;
    endpoints(ctx->flow, &client, &server, &port);
    if (ev->msg == GS_TLS_PLAINTEXT) {
        /* Not TLS after all (policy.tls_required is the TLS profile's): judge what it is. */
        if (ev->plaintext != NULL &&
            gs_policy_match(cp->policy, client, server, port, ev->plaintext) == NULL) {
            struct outside o = {.protocol = ev->plaintext,
                                .app_proto = ev->plaintext,
                                .ot = strcmp(ev->plaintext, "http") != 0};
            judge_outside(cp, ctx, &o);
        }
        return;
    }
    const char *inner = ev->session->inner;
    const struct gs_policy_conduit *c =
        inner != NULL ? gs_policy_match(cp->policy, client, server, port, inner) : NULL;
    if (c == NULL)
        c = gs_policy_match(cp->policy, client, server, port, "tls");
    if (c == NULL && inner == NULL) {
        c = gs_policy_match(cp->policy, client, server, port, NULL);
        if (c != NULL && c->n_ports == 0)
            c = NULL;
    }
    if (c != NULL)
        return;
    struct outside o = {.protocol = inner != NULL ? inner : "tls",
                        .app_proto = "tls",
                        .ot = inner != NULL,
                        .over_tls = inner != NULL};
    judge_outside(cp, ctx, &o);
}

/* ---- flows no dissector claims ----------------------------------------------------------------
 */

static void cp_classified(void *state, const struct gs_pkt_ctx *ctx, const struct gs_app_class *cls)
{
    struct cp *cp = state;
    if (cp->policy == NULL || ctx->flow == NULL)
        return;
    /* Conduits name protocols in lower case; nDPI's names of the protocols gridsensor
     * dissects map to gridsensor's. */
    static const struct {
        const char *ndpi, *name;
    } names[] = {{"IEC60870", "iec104"}, {"DNP3", "dnp3"}, {"TLS", "tls"}};
    char lower[64];
    const char *protocol = NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && protocol == NULL; i++) {
        if (strcmp(cls->name, names[i].ndpi) == 0)
            protocol = names[i].name;
    }
    if (protocol == NULL) {
        size_t n = 0;
        for (; cls->name[n] != '\0' && n + 1 < sizeof(lower); n++) {
            char ch = cls->name[n];
            lower[n] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        }
        lower[n] = '\0';
        protocol = lower;
    }
    const struct gs_ip *client, *server;
    uint16_t port;
    endpoints(ctx->flow, &client, &server, &port);
    if (gs_policy_match(cp->policy, client, server, port, protocol) != NULL)
        return;
    struct outside o = {
        .protocol = protocol,
        .app_proto = protocol,
        .ot = cls->category != NULL && strcmp(cls->category, "IoT-Scada") == 0,
        .cls = cls,
    };
    judge_outside(cp, ctx, &o);
}

static void cp_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct cp *cp = state;
    switch (ev->type) {
    case GS_EVENT_DNP3:
        on_dnp3(cp, ctx, ev->body);
        break;
    case GS_EVENT_IEC104:
        on_iec104(cp, ctx, ev->body);
        break;
    case GS_EVENT_MMS:
        on_mms(cp, ctx, ev->body);
        break;
    case GS_EVENT_GOOSE:
        on_goose(cp, ctx, ev->body);
        break;
    case GS_EVENT_SV:
        on_sv(cp, ctx, ev->body);
        break;
    case GS_EVENT_TLS:
        on_tls(cp, ctx, ev->body);
        break;
    default:
        break;
    }
}

const struct gs_detector gs_conduit_policy_detector = {
    .name = "conduit_policy",
    .event_mask = GS_EVENT_BIT(GS_EVENT_DNP3) | GS_EVENT_BIT(GS_EVENT_IEC104) |
                  GS_EVENT_BIT(GS_EVENT_MMS) | GS_EVENT_BIT(GS_EVENT_GOOSE) |
                  GS_EVENT_BIT(GS_EVENT_SV) | GS_EVENT_BIT(GS_EVENT_TLS),
    .create = cp_create,
    .destroy = cp_destroy,
    .on_event = cp_event,
    .on_classified = cp_classified,
};
