/*
 * test_mms.c - the MMS dissector layer by layer on byte vectors: TPKT framing and resync,
 * COTP (CR/DR, segmented DT and the mms.max_pdu_bytes cap), session and presentation (data
 * transfer, connect with negotiated contexts, the malformed AC and abort forms seen in the
 * wild, refuse), ACSE (authentication facts, never the password), MMS PDUs and services,
 * IEC 61850 controls and LastApplError, BER edge cases (long and indefinite lengths, nesting
 * depth, lengths past the end), the probe, the caps, and the JSON record.
 *
 * Inputs are built with a small BER writer, wrapped in TPKT/COTP (and session/presentation),
 * and fed to the dissector as a TCP stream would be, each parse call reading an exact-size
 * copy placed against a guard page.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berw.h"
#include "guard_buf.h"
#include "mms.h"
#include "output_json.h"
#include "test_support.h"

/* ---- a BER writer ------------------------------------------------------------------------- */

#define BUF_MAX 140000

struct buf {
    uint8_t b[BUF_MAX];
    size_t n;
};

static void put(struct buf *o, const char *hex)
{
    o->n += gs_test_hex(o->b + o->n, BUF_MAX - o->n, hex);
}

static void put_bytes(struct buf *o, const void *p, size_t n)
{
    ck_assert_uint_le(n, BUF_MAX - o->n);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put_str(struct buf *o, const char *tag, const char *s)
{
    put(o, tag);
    uint8_t len = (uint8_t)strlen(s);
    put_bytes(o, &len, 1);
    put_bytes(o, s, strlen(s));
}

/* Opens a TLV (tag in hex); its length is written by close_tlv. */
static size_t open_tlv(struct buf *o, const char *tag)
{
    put(o, tag);
    o->b[o->n] = 0;
    return o->n++;
}

static void close_tlv(struct buf *o, size_t at)
{
    size_t len = o->n - at - 1;
    if (len < 0x80) {
        o->b[at] = (uint8_t)len;
        return;
    }
    size_t extra = len < 0x100 ? 1 : 2;
    memmove(o->b + at + 1 + extra, o->b + at + 1, len);
    o->b[at] = (uint8_t)(0x80 | extra);
    if (extra == 1) {
        o->b[at + 1] = (uint8_t)len;
    } else {
        o->b[at + 1] = (uint8_t)(len >> 8);
        o->b[at + 2] = (uint8_t)len;
    }
    o->n += extra;
}

static void put_buf(struct buf *o, const struct buf *in)
{
    put_bytes(o, in->b, in->n);
}

/* Appends BER written in the notation of pcaps/gen/berw.h ("A0{02 01 05}", "1A'LD0'"). */
static void put_asn(struct buf *o, const char *spec)
{
    struct gs_berw w;
    gs_berw_init(&w, o->b + o->n, BUF_MAX - o->n);
    gs_berw(&w, spec);
    ck_assert_int_eq(w.depth, 0);
    o->n += w.n;
}

/* TPKT + COTP class 0 DT around a TSDU (or one segment of it). */
static void put_dt(struct buf *o, const uint8_t *data, size_t n, bool eot)
{
    size_t total = 7 + n;
    uint8_t hdr[7] = {0x03, 0x00, (uint8_t)(total >> 8), (uint8_t)total,
                      0x02, 0xF0, eot ? 0x80 : 0x00};
    put_bytes(o, hdr, sizeof(hdr));
    put_bytes(o, data, n);
}

/* Session Give Tokens + Data Transfer, presentation fully-encoded data, context ctx_id. */
static void put_pres_dt(struct buf *o, int ctx_id, const struct buf *apdu)
{
    struct buf *t = calloc(1, sizeof(*t));
    put(t, "01 00 01 00");
    size_t ud = open_tlv(t, "61");
    size_t pdv = open_tlv(t, "30");
    uint8_t id[3] = {0x02, 0x01, (uint8_t)ctx_id};
    put_bytes(t, id, 3);
    size_t single = open_tlv(t, "A0");
    put_buf(t, apdu);
    close_tlv(t, single);
    close_tlv(t, pdv);
    close_tlv(t, ud);
    put_dt(o, t->b, t->n, true);
    free(t);
}

/* ---- the harness -------------------------------------------------------------------------- */

struct seen {
    int pdu;
    bool has_service, has_invoke;
    uint32_t service, invoke;
    int path;
    bool malformed, capped, objects_capped;
    size_t n_objects, n_values, n_results, n_files, n_controls;
    char object0[160], object1[160], list_name[160], file0[64], file1[64], domain[64], pi[64];
    int scope0;
    struct gs_mms_access_result result0;
    int value0_type;
    struct gs_mms_control ctl;
    int ctl_value_type;
    bool ctl_value_bool;
    bool has_acse;
    struct gs_mms_acse acse;
    char mech[32], app_ctx[32];
    bool has_iso;
    struct gs_mms_iso iso;
    bool has_lae;
    char lae_object[64];
    struct gs_mms_last_appl_error lae;
    bool has_error, has_reject, has_frsm, has_more, has_status, has_initiate;
    uint32_t error_class, reject_type;
    int64_t error_code, reject_code, frsm, logical, physical, local_detail;
    bool more;
    uint64_t file_size;
    char vendor[32], model[32];
    uint32_t object_class;
};

struct harness {
    struct gs_test_ctx t;
    struct gs_test_events events;
    void *state;
    struct seen seen[64];
    size_t n_seen;
    struct gs_output *out; /* with with_json(): records go to json_path */
    char json_path[64];
    uint8_t *pending[2];
    size_t pending_len[2];
    struct gs_parse_res last;
};

static void copy_span(char *dst, size_t cap, struct gs_span s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n > 0)
        memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

static void name_text(char *dst, size_t cap, const struct gs_mms_object_name *o)
{
    char item[128];
    copy_span(item, sizeof(item), o->item);
    if (o->scope == GS_MMS_SCOPE_DOMAIN) {
        char dom[64];
        copy_span(dom, sizeof(dom), o->domain);
        snprintf(dst, cap, "%s/%s", dom, item);
    } else {
        snprintf(dst, cap, "%s", item);
    }
}

static void summarise(struct seen *s, const struct gs_mms_event *ev)
{
    memset(s, 0, sizeof(*s));
    s->pdu = ev->pdu;
    s->has_service = ev->has_service;
    s->service = ev->service;
    s->has_invoke = ev->has_invoke_id;
    s->invoke = ev->invoke_id;
    s->path = ev->path;
    s->malformed = ev->malformed;
    s->capped = ev->capped;
    s->objects_capped = ev->objects_capped;
    s->n_objects = ev->n_objects;
    s->n_values = ev->values.n;
    s->n_results = ev->n_results;
    s->n_files = ev->n_files;
    s->n_controls = ev->n_controls;
    if (ev->n_objects > 0) {
        name_text(s->object0, sizeof(s->object0), &ev->objects[0]);
        s->scope0 = ev->objects[0].scope;
    }
    if (ev->n_objects > 1)
        name_text(s->object1, sizeof(s->object1), &ev->objects[1]);
    if (ev->has_list_name)
        name_text(s->list_name, sizeof(s->list_name), &ev->list_name);
    if (ev->n_files > 0)
        copy_span(s->file0, sizeof(s->file0), ev->files[0]);
    if (ev->n_files > 1)
        copy_span(s->file1, sizeof(s->file1), ev->files[1]);
    copy_span(s->domain, sizeof(s->domain), ev->domain);
    copy_span(s->pi, sizeof(s->pi), ev->program_invocation);
    if (ev->n_results > 0)
        s->result0 = ev->results[0];
    s->value0_type = ev->values.n > 0 ? (int)ev->values.nodes[0].type : -1;
    if (ev->n_controls > 0) {
        s->ctl = ev->controls[0];
        s->ctl.orident.ptr = NULL;
        if (s->ctl.value != GS_MMS_NO_VALUE) {
            s->ctl_value_type = (int)ev->values.nodes[s->ctl.value].type;
            s->ctl_value_bool = ev->values.nodes[s->ctl.value].v.boolean;
        }
    }
    if (ev->acse != NULL) {
        s->has_acse = true;
        s->acse = *ev->acse;
        gs_mms_oid_text(ev->acse->auth_mechanism, s->mech, sizeof(s->mech));
        gs_mms_oid_text(ev->acse->app_context, s->app_ctx, sizeof(s->app_ctx));
    }
    if (ev->iso != NULL) {
        s->has_iso = true;
        s->iso = *ev->iso;
    }
    if (ev->has_last_appl_error) {
        s->has_lae = true;
        s->lae = ev->last_appl_error;
        copy_span(s->lae_object, sizeof(s->lae_object), ev->last_appl_error.object);
    }
    s->has_error = ev->has_error;
    s->error_class = ev->error_class;
    s->error_code = ev->error_code;
    s->has_reject = ev->has_reject;
    s->reject_type = ev->reject_type;
    s->reject_code = ev->reject_code;
    s->has_frsm = ev->has_frsm_id;
    s->frsm = ev->frsm_id;
    s->has_more = ev->has_more_follows;
    s->more = ev->more_follows;
    s->file_size = ev->file_size;
    s->has_status = ev->has_status;
    s->logical = ev->logical_status;
    s->physical = ev->physical_status;
    s->has_initiate = ev->has_initiate;
    s->local_detail = ev->initiate.local_detail;
    s->object_class = ev->object_class;
    copy_span(s->vendor, sizeof(s->vendor), ev->vendor);
    copy_span(s->model, sizeof(s->model), ev->model);
}

static void hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct harness *h = arg;
    if (h->out != NULL)
        gs_output_event(h->out, ctx, "mms", ev);
    if (ev->type != GS_EVENT_MMS || h->n_seen >= sizeof(h->seen) / sizeof(h->seen[0]))
        return;
    summarise(&h->seen[h->n_seen++], ev->body);
}

static struct harness *harness_new_cfg(uint32_t max_pdu, uint32_t max_objects)
{
    struct harness *h = calloc(1, sizeof(*h));
    ck_assert_ptr_nonnull(h);
    gs_test_ctx_init(&h->t, &h->events, 102);
    h->t.cfg.mms_max_pdu_bytes = max_pdu;
    h->t.cfg.mms_max_objects = max_objects;
    h->events.hook = hook;
    h->events.hook_arg = h;
    h->state = calloc(1, gs_mms_dissector.state_size(&h->t.cfg));
    ck_assert_ptr_nonnull(h->state);
    gs_mms_dissector.state_init(h->state, &h->t.cfg);
    h->pending[0] = malloc(BUF_MAX * 2);
    h->pending[1] = malloc(BUF_MAX * 2);
    return h;
}

static struct harness *harness_new(void)
{
    return harness_new_cfg(65536, 256);
}

static void with_json(struct harness *h)
{
    snprintf(h->json_path, sizeof(h->json_path), "/tmp/test_mms_%d.json", (int)getpid());
    char spec[96];
    snprintf(spec, sizeof(spec), "file:%s", h->json_path);
    const char *specs[] = {spec};
    char errbuf[GS_ERRBUF_SIZE];
    h->out = gs_output_create(specs, 1, true, &h->t.cfg, errbuf);
    ck_assert_msg(h->out != NULL, "%s", errbuf);
}

/* Closes the JSON output and returns its text (caller frees). */
static char *json_text(struct harness *h)
{
    gs_output_destroy(h->out);
    h->out = NULL;
    FILE *fp = fopen(h->json_path, "rb");
    ck_assert_ptr_nonnull(fp);
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    unlink(h->json_path);
    return text;
}

static void harness_free(struct harness *h)
{
    if (h->out != NULL)
        free(json_text(h));
    free(h->pending[0]);
    free(h->pending[1]);
    free(h->state);
    free(h);
}

/* Feeds bytes of one direction as the stream layer would. */
static void feed_dir(struct harness *h, enum gs_dir dir, const uint8_t *data, size_t len)
{
    h->t.flow.dir = dir;
    memcpy(h->pending[dir] + h->pending_len[dir], data, len);
    h->pending_len[dir] += len;
    size_t used = 0;
    while (used < h->pending_len[dir]) {
        struct gs_guard_buf g;
        size_t avail = h->pending_len[dir] - used;
        const uint8_t *p = gs_guard_alloc(&g, h->pending[dir] + used, avail);
        struct gs_cursor cur = gs_cur_init(p, avail);
        h->last = gs_mms_dissector.parse(h->state, &h->t.ctx, &cur, dir);
        gs_guard_free(&g);
        ck_assert_uint_le(h->last.consumed, avail);
        used += h->last.consumed;
        if (h->last.status != GS_PARSE_OK || h->last.consumed == 0)
            break;
    }
    memmove(h->pending[dir], h->pending[dir] + used, h->pending_len[dir] - used);
    h->pending_len[dir] -= used;
    h->t.ctx.pcap_cnt++;
}

static void feed(struct harness *h, const struct buf *b)
{
    feed_dir(h, GS_DIR_TO_SERVER, b->b, b->n);
}

static void feed_hex(struct harness *h, enum gs_dir dir, const char *hex)
{
    struct buf *b = calloc(1, sizeof(*b));
    put(b, hex);
    feed_dir(h, dir, b->b, b->n);
    free(b);
}

/* One MMS PDU (hex) in a presentation data transfer on context 3, fed to the server. */
static const struct seen *decode_pdu(struct harness *h, const char *mms)
{
    struct buf *apdu = calloc(1, sizeof(*apdu)), *o = calloc(1, sizeof(*o));
    put_asn(apdu, mms);
    put_pres_dt(o, 3, apdu);
    size_t before = h->n_seen;
    feed(h, o);
    free(apdu);
    free(o);
    ck_assert_uint_eq(h->n_seen, before + 1);
    return &h->seen[before];
}

/* ---- TPKT --------------------------------------------------------------------------------- */

/* A conclude-request straight on COTP: 03 00 00 09 02 F0 80 8B 00. */
#define CONCLUDE_TPKT "03 00 00 09 02 F0 80 8B 00"

START_TEST(test_mms_tpkt_split_and_joined)
{
    struct harness *h = harness_new();
    /* Header split after three octets, then the rest: one PDU. */
    feed_hex(h, GS_DIR_TO_SERVER, "03 00 00");
    ck_assert_int_eq(h->last.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(h->n_seen, 0);
    feed_hex(h, GS_DIR_TO_SERVER, "09 02 F0 80 8B");
    ck_assert_int_eq(h->last.status, GS_PARSE_INCOMPLETE);
    ck_assert_uint_eq(h->last.needed, 1);
    feed_hex(h, GS_DIR_TO_SERVER, "00");
    ck_assert_uint_eq(h->n_seen, 1);
    ck_assert_int_eq(h->seen[0].pdu, GS_MMS_PDU_CONCLUDE_REQUEST);
    ck_assert_int_eq(h->seen[0].path, GS_MMS_PATH_COTP);
    /* Two TPKTs in one segment: two PDUs. */
    feed_hex(h, GS_DIR_TO_CLIENT, "03 00 00 09 02 F0 80 8C 00 03 00 00 09 02 F0 80 8C 00");
    ck_assert_uint_eq(h->n_seen, 3);
    ck_assert_int_eq(h->seen[2].pdu, GS_MMS_PDU_CONCLUDE_RESPONSE);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_tpkt_resync)
{
    struct harness *h = harness_new();
    /* Mid-stream pickup: bytes before the first header are skipped quietly. */
    feed_hex(h, GS_DIR_TO_SERVER, "44 55 66 77 88 99 AA " CONCLUDE_TPKT);
    ck_assert_uint_eq(h->n_seen, 1);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    /* Once in sync, a bad header is an anomaly, and the next header is found again. */
    feed_hex(h, GS_DIR_TO_SERVER, "04 00 00 09 02 F0 80 8B 00 " CONCLUDE_TPKT);
    ck_assert_uint_eq(h->n_seen, 2);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.bad_tpkt"), 1);
    /* A TPKT shorter than the smallest COTP TPDU is not a header either. */
    feed_hex(h, GS_DIR_TO_SERVER, "03 00 00 05 00 " CONCLUDE_TPKT);
    ck_assert_uint_eq(h->n_seen, 3);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.bad_tpkt"), 2);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_not_mms_after_cr)
{
    struct harness *h = harness_new();
    feed_hex(h, GS_DIR_TO_SERVER,
             "03 00 00 16 11 E0 00 00 00 01 00 C0 01 0A C1 02 01 00 C2 02 01 02");
    ck_assert_int_eq(h->last.status, GS_PARSE_OK);
    /* S7comm (protocol id 0x32) in the first DT after the CR: not MMS, stop. */
    feed_hex(h, GS_DIR_TO_SERVER,
             "03 00 00 19 02 F0 80 32 01 00 00 00 00 00 08 00 00 F0 00 00 01 00 "
             "01 01 E0");
    ck_assert_int_eq(h->last.status, GS_PARSE_ERROR);
    ck_assert_uint_eq(h->n_seen, 0);
    harness_free(h);
}
END_TEST

/* ---- COTP --------------------------------------------------------------------------------- */

START_TEST(test_mms_cotp_segmented)
{
    struct harness *h = harness_new();
    /* A read request for IED1LD0/XCBR1$ST$Pos$stVal split over three DTs. */
    struct buf *pdu = calloc(1, sizeof(*pdu)), *o = calloc(1, sizeof(*o));
    size_t a0 = open_tlv(pdu, "A0");
    put(pdu, "02 01 07");
    size_t rd = open_tlv(pdu, "A4");
    size_t spec = open_tlv(pdu, "A1");
    size_t list = open_tlv(pdu, "A0");
    size_t seq = open_tlv(pdu, "30");
    size_t name = open_tlv(pdu, "A0");
    size_t dom = open_tlv(pdu, "A1");
    put_str(pdu, "1A", "IED1LD0");
    put_str(pdu, "1A", "XCBR1$ST$Pos$stVal");
    close_tlv(pdu, dom);
    close_tlv(pdu, name);
    close_tlv(pdu, seq);
    close_tlv(pdu, list);
    close_tlv(pdu, spec);
    close_tlv(pdu, rd);
    close_tlv(pdu, a0);
    size_t third = pdu->n / 3;
    put_dt(o, pdu->b, third, false);
    feed(h, o);
    ck_assert_uint_eq(h->n_seen, 0);
    o->n = 0;
    put_dt(o, pdu->b + third, third, false);
    feed(h, o);
    ck_assert_uint_eq(h->n_seen, 0);
    o->n = 0;
    put_dt(o, pdu->b + 2 * third, pdu->n - 2 * third, true);
    feed(h, o);
    ck_assert_uint_eq(h->n_seen, 1);
    const struct seen *s = &h->seen[0];
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_CONFIRMED_REQUEST);
    ck_assert_uint_eq(s->service, GS_MMS_SVC_READ);
    ck_assert_uint_eq(s->invoke, 7);
    ck_assert_str_eq(s->object0, "IED1LD0/XCBR1$ST$Pos$stVal");
    ck_assert(!s->capped && !s->malformed);
    free(pdu);
    free(o);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_cotp_cap)
{
    /* A 3000-octet fileRead response in three DTs against mms.max_pdu_bytes = 1024: the
     * first 1024 octets are decoded (type, invoke id, service), the event says capped. */
    struct harness *h = harness_new_cfg(1024, 256);
    struct buf *pdu = calloc(1, sizeof(*pdu)), *o = calloc(1, sizeof(*o));
    size_t a1 = open_tlv(pdu, "A1");
    put(pdu, "02 02 01 00");
    size_t fr = open_tlv(pdu, "BF 49");
    size_t data = open_tlv(pdu, "80");
    for (int i = 0; i < 3000; i++)
        put(pdu, "5A");
    close_tlv(pdu, data);
    put(pdu, "81 01 00");
    close_tlv(pdu, fr);
    close_tlv(pdu, a1);
    for (size_t off = 0; off < pdu->n; off += 1000) {
        size_t n = pdu->n - off < 1000 ? pdu->n - off : 1000;
        o->n = 0;
        put_dt(o, pdu->b + off, n, off + n == pdu->n);
        feed_dir(h, GS_DIR_TO_CLIENT, o->b, o->n);
    }
    ck_assert_uint_eq(h->n_seen, 1);
    const struct seen *s = &h->seen[0];
    ck_assert(s->capped);
    ck_assert(!s->malformed);
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_CONFIRMED_RESPONSE);
    ck_assert_uint_eq(s->service, GS_MMS_SVC_FILE_READ);
    ck_assert_uint_eq(s->invoke, 256);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.pdu_too_long"), 1);
    /* The direction is back to normal afterwards. */
    feed_hex(h, GS_DIR_TO_CLIENT, "03 00 00 09 02 F0 80 8C 00");
    ck_assert_uint_eq(h->n_seen, 2);
    ck_assert(!h->seen[1].capped);
    free(pdu);
    free(o);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_cotp_dr_and_bad_li)
{
    struct harness *h = harness_new();
    /* A DR before any MMS says nothing (a refused connection of whatever protocol). */
    feed_hex(h, GS_DIR_TO_CLIENT, "03 00 00 0B 06 80 00 01 00 02 01");
    ck_assert_uint_eq(h->n_seen, 0);
    feed_hex(h, GS_DIR_TO_SERVER, CONCLUDE_TPKT);
    feed_hex(h, GS_DIR_TO_CLIENT, "03 00 00 0B 06 80 00 01 00 02 80");
    ck_assert_uint_eq(h->n_seen, 2);
    ck_assert(h->seen[1].has_iso);
    ck_assert_int_eq(h->seen[1].iso.pdu, GS_MMS_ISO_COTP_DR);
    ck_assert_uint_eq(h->seen[1].iso.reason, 0x80);
    ck_assert_int_eq(h->seen[1].pdu, GS_MMS_PDU_NONE);
    /* A length indicator running past the TPKT. */
    feed_hex(h, GS_DIR_TO_SERVER, "03 00 00 08 01 F0 8B 00");
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.bad_cotp"), 1);
    harness_free(h);
}
END_TEST

/* ---- session, presentation, ACSE ---------------------------------------------------------- */

/* libiec61850's CN (with CP, AARQ and initiate-RequestPDU) and AC, from a public capture
 * (smartgridadsc identify.pcap frames 8 and 10). */
#define CN_TPKT                                                                                    \
    "030000bb02f0800db20506130100160102140200023302000134020001c19c318199a003800101a28191810400"   \
    "000001820400000001a423300f0201010604520100013004060251013010020103060528ca2202013004060251"   \
    "01615e305c020101a0576055a107060528ca220203a20706052901876701a30302010ca606060429018767a703"   \
    "02010cbe2f282d020103a028a826800300fde881010582010583010aa416800101810305f100820c03ee1c0000"   \
    "0408000079ef18"
#define AC_TPKT                                                                                    \
    "0300008f02f0800e8605061301001601021402000234020001c1743172a003800101a26b830400000001a51230"   \
    "0780010081025101300780010081025101614f304d020101a0486146a107060528ca220203a203020100a305a1"   \
    "03020100be2f282d020103a028a926800300fde881010582010583010aa416800101810305f100820c03ee1c00"   \
    "0000000000000118"

START_TEST(test_mms_association)
{
    struct harness *h = harness_new();
    feed_hex(h, GS_DIR_TO_SERVER, CN_TPKT);
    feed_hex(h, GS_DIR_TO_CLIENT, AC_TPKT);
    ck_assert_uint_eq(h->n_seen, 2);
    const struct seen *rq = &h->seen[0], *rs = &h->seen[1];
    ck_assert_int_eq(rq->pdu, GS_MMS_PDU_INITIATE_REQUEST);
    ck_assert_int_eq(rq->path, GS_MMS_PATH_PRESENTATION);
    ck_assert(rq->has_initiate);
    ck_assert_int_eq(rq->local_detail, 65000);
    ck_assert(rq->has_acse);
    ck_assert_int_eq(rq->acse.pdu, GS_MMS_ACSE_AARQ);
    ck_assert_str_eq(rq->app_ctx, "1.0.9506.2.3");
    ck_assert(!rq->acse.auth_value_present);
    ck_assert(rq->acse.has_calling_ae_qualifier);
    ck_assert_int_eq(rq->acse.calling_ae_qualifier, 12);
    ck_assert_int_eq(rs->pdu, GS_MMS_PDU_INITIATE_RESPONSE);
    ck_assert(rs->has_acse && rs->acse.has_result);
    ck_assert_uint_eq(rs->acse.result, 0);
    /* Data on the negotiated MMS context (3) is "presentation"; on another id it is
     * recognised by content and flagged. */
    const struct seen *s = decode_pdu(h, "A0{02 01 05 82 00}");
    ck_assert_int_eq(s->path, GS_MMS_PATH_PRESENTATION);
    ck_assert_uint_eq(s->service, GS_MMS_SVC_IDENTIFY);
    struct buf *apdu = calloc(1, sizeof(*apdu)), *o = calloc(1, sizeof(*o));
    put_asn(apdu, "A0{02 01 06 82 00}");
    put_pres_dt(o, 5, apdu);
    feed(h, o);
    ck_assert_int_eq(h->seen[h->n_seen - 1].path, GS_MMS_PATH_PROBED);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.context_not_negotiated"), 1);
    /* Release: FN with RLRQ, DN with RLRE (ACSE-only events). */
    feed_hex(h, GS_DIR_TO_SERVER, "0300001902f0800910c10e610c300a020101a0056203800100");
    feed_hex(h, GS_DIR_TO_CLIENT, "0300001902f0800a10c10e610c300a020101a0056303800100");
    s = &h->seen[h->n_seen - 2];
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_NONE);
    ck_assert(s->has_acse && s->acse.has_reason);
    ck_assert_int_eq(s->acse.pdu, GS_MMS_ACSE_RLRQ);
    ck_assert_int_eq(h->seen[h->n_seen - 1].acse.pdu, GS_MMS_ACSE_RLRE);
    ck_assert_uint_eq(h->events.n_anomalies, 1);
    free(apdu);
    free(o);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_mid_association_probe)
{
    struct harness *h = harness_new();
    /* No CN seen: MMS in presentation context 3 is found by its content. */
    const struct seen *s = decode_pdu(h, "A1{02 01 01 A5{}}");
    ck_assert_int_eq(s->path, GS_MMS_PATH_PROBED);
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_CONFIRMED_RESPONSE);
    ck_assert_uint_eq(s->service, GS_MMS_SVC_WRITE);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    /* Neither ACSE nor MMS in the PDV: an anomaly, no event. */
    struct buf *apdu = calloc(1, sizeof(*apdu)), *o = calloc(1, sizeof(*o));
    put(apdu, "04 02 AB CD");
    put_pres_dt(o, 3, apdu);
    feed(h, o);
    ck_assert_uint_eq(h->n_seen, 1);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.unknown_user_data"), 1);
    free(apdu);
    free(o);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_session_malformed_forms)
{
    struct harness *h = harness_new();
    /* The ITI server's AC: empty User Data PGI then the CPA-PPDU, SPDU length one too many. */
    feed_hex(h, GS_DIR_TO_CLIENT,
             "0300009102f0800e89050613010006010214020002c1003178a003800100a271830400000001a51230"
             "0780010081025201300780010081025101880206006151304f020101a04a614880020780a10706052"
             "8ca220203a203020100a305a103020100a40606042bce0f02a503020117be20281e020103a019a917"
             "800100810100820100830100a409800100810100820100");
    ck_assert_uint_eq(h->n_seen, 1);
    ck_assert_int_eq(h->seen[0].pdu, GS_MMS_PDU_INITIATE_RESPONSE);
    ck_assert(h->seen[0].has_acse && h->seen[0].acse.has_result);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.bad_session"), 2);
    /* libiec61850's abort: the ARU-PPDU says two octets more than it has. */
    feed_hex(h, GS_DIR_TO_SERVER, "0300001e02f080191511010bc110a010610c300a020101a0056403800100");
    ck_assert_uint_eq(h->n_seen, 2);
    ck_assert_int_eq(h->seen[1].acse.pdu, GS_MMS_ACSE_ABRT);
    ck_assert(h->seen[1].acse.has_abort_source);
    ck_assert_uint_eq(h->seen[1].acse.abort_source, 0);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.bad_presentation"), 1);
    /* Refuse with a CPR-PPDU carrying an ACSE abort (authentication failure). */
    feed_hex(h, GS_DIR_TO_CLIENT,
             "0300003602f0800c2d322b023028a5123007800100810251013007800100810251018a0100610f30"
             "0d020101a0086406800101810105");
    ck_assert_uint_eq(h->n_seen, 4);
    ck_assert(h->seen[2].has_iso);
    ck_assert_int_eq(h->seen[2].iso.pdu, GS_MMS_ISO_SES_RF);
    ck_assert_uint_eq(h->seen[2].iso.reason, 2);
    ck_assert_uint_eq(h->seen[3].acse.abort_source, 1);
    ck_assert_uint_eq(h->seen[3].acse.abort_diagnostic, 5);
    /* A session abort with no user data. */
    feed_hex(h, GS_DIR_TO_SERVER, "0300000C02F080190311010B");
    ck_assert_uint_eq(h->n_seen, 5);
    ck_assert_int_eq(h->seen[4].iso.pdu, GS_MMS_ISO_SES_AB);
    ck_assert_uint_eq(h->seen[4].iso.reason, 0x0B);
    harness_free(h);
}
END_TEST

/* CN with an AARQ using password authentication (mechanism 2.2.3.1, charstring). */
static void put_password_cn(struct buf *o, const char *password)
{
    struct buf *aarq = calloc(1, sizeof(*aarq)), *spdu = calloc(1, sizeof(*spdu));
    size_t a = open_tlv(aarq, "60");
    put_asn(aarq, "A1{06 05 28 CA 22 02 03} 8A{07 80} 8B{52 03 01}");
    size_t av = open_tlv(aarq, "AC");
    put_str(aarq, "80", password);
    close_tlv(aarq, av);
    put_asn(aarq, "BE{28{02 01 03 A0{A8{80 02 7D 00 81 01 05 82 01 05 A4{80 01 01}}}}}");
    close_tlv(aarq, a);

    size_t si = open_tlv(spdu, "0D");
    size_t ud = open_tlv(spdu, "C1");
    size_t set = open_tlv(spdu, "31");
    put_asn(spdu, "A0{80 01 01}");
    size_t nm = open_tlv(spdu, "A2");
    put_asn(spdu, "A4{30{02 01 01 06 04 52 01 00 01 30{06 02 51 01}}"
                  "   30{02 01 03 06 05 28 CA 22 02 01 30{06 02 51 01}}}");
    size_t pud = open_tlv(spdu, "61");
    size_t pdv = open_tlv(spdu, "30");
    put(spdu, "02 01 01");
    size_t single = open_tlv(spdu, "A0");
    put_buf(spdu, aarq);
    close_tlv(spdu, single);
    close_tlv(spdu, pdv);
    close_tlv(spdu, pud);
    close_tlv(spdu, nm);
    close_tlv(spdu, set);
    close_tlv(spdu, ud);
    ck_assert_uint_lt(spdu->b[ud], 0x80); /* one-octet session parameter length */
    put(spdu, "14 02 00 02");             /* session requirements, after the user data */
    ck_assert_uint_lt(spdu->n, 250);
    close_tlv(spdu, si); /* a session LI under 255 is one octet, as a short BER length */
    put_dt(o, spdu->b, spdu->n, true);
    free(aarq);
    free(spdu);
}

START_TEST(test_mms_acse_password_never_logged)
{
    struct harness *h = harness_new();
    with_json(h);
    struct buf *o = calloc(1, sizeof(*o));
    put_password_cn(o, "Sup3rS3cret!");
    feed(h, o);
    ck_assert_uint_eq(h->n_seen, 1);
    const struct seen *s = &h->seen[0];
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_INITIATE_REQUEST);
    ck_assert(s->acse.auth_value_present);
    ck_assert_int_eq(s->acse.auth_form, GS_MMS_AUTH_CHARSTRING);
    ck_assert_str_eq(s->mech, "2.2.3.1");
    char *text = json_text(h);
    ck_assert_ptr_null(strstr(text, "Sup3rS3cret"));
    json_t *rec = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    ck_assert_ptr_nonnull(rec);
    json_t *acse = json_object_get(json_object_get(rec, "mms"), "acse");
    ck_assert_str_eq(json_string_value(json_object_get(acse, "auth_mechanism")), "2.2.3.1");
    ck_assert(json_is_true(json_object_get(acse, "auth_value_present")));
    ck_assert_str_eq(json_string_value(json_object_get(acse, "auth_value_form")), "charstring");
    json_decref(rec);
    free(text);
    free(o);
    harness_free(h);
}
END_TEST

/* ---- MMS PDUs and services ---------------------------------------------------------------- */

/* Oper on IED1LD0/CSWI1$CO$Pos$Oper: ctlVal TRUE, origin {orCat 3, orIdent "ab"}, ctlNum 9,
 * T, Test FALSE, Check. OPER_DATA is the write's listOfData holding it. */
#define OPER_STRUCT                                                                                \
    "A2{83 01 01 A2{85 01 03 89'ab'} 86 01 09 91{65 A1 B2 C3 00 00 00 0A} 83 01 00 84{06 00}}"
#define OPER_DATA "A0{" OPER_STRUCT "}"

static void put_write(struct buf *pdu, uint32_t invoke, const char *item, const char *data_hex)
{
    size_t a0 = open_tlv(pdu, "A0");
    uint8_t id[3] = {0x02, 0x01, (uint8_t)invoke};
    put_bytes(pdu, id, 3);
    size_t w = open_tlv(pdu, "A5");
    size_t list = open_tlv(pdu, "A0");
    size_t seq = open_tlv(pdu, "30");
    size_t name = open_tlv(pdu, "A0");
    size_t dom = open_tlv(pdu, "A1");
    put_str(pdu, "1A", "IED1LD0");
    put_str(pdu, "1A", item);
    close_tlv(pdu, dom);
    close_tlv(pdu, name);
    close_tlv(pdu, seq);
    close_tlv(pdu, list);
    put_asn(pdu, data_hex);
    close_tlv(pdu, w);
    close_tlv(pdu, a0);
}

static const struct seen *decode_buf(struct harness *h, const struct buf *pdu)
{
    struct buf *o = calloc(1, sizeof(*o));
    put_pres_dt(o, 3, pdu);
    size_t before = h->n_seen;
    feed(h, o);
    free(o);
    ck_assert_uint_eq(h->n_seen, before + 1);
    return &h->seen[before];
}

START_TEST(test_mms_control_operate)
{
    struct harness *h = harness_new();
    struct buf *pdu = calloc(1, sizeof(*pdu));
    put_write(pdu, 4, "CSWI1$CO$Pos$Oper", OPER_DATA);
    const struct seen *s = decode_buf(h, pdu);
    ck_assert_uint_eq(s->service, GS_MMS_SVC_WRITE);
    ck_assert_str_eq(s->object0, "IED1LD0/CSWI1$CO$Pos$Oper");
    ck_assert_uint_eq(s->n_controls, 1);
    ck_assert_int_eq(s->ctl.action, GS_MMS_CTL_OPERATE);
    ck_assert_int_eq(s->ctl.attr, GS_MMS_CTL_ATTR_OPER);
    ck_assert_int_eq(s->ctl_value_type, GS_DATA_BOOLEAN);
    ck_assert(s->ctl_value_bool);
    ck_assert(s->ctl.has_orcat);
    ck_assert_int_eq(s->ctl.orcat, 3);
    ck_assert(s->ctl.has_ctl_num);
    ck_assert_uint_eq(s->ctl.ctl_num, 9);
    ck_assert(s->ctl.has_test && !s->ctl.test);
    ck_assert(!s->ctl.has_oper_tm);
    /* SBOw and Cancel are select and cancel; a write elsewhere is no control. */
    pdu->n = 0;
    put_write(pdu, 5, "CSWI1$CO$Pos$SBOw", OPER_DATA);
    ck_assert_int_eq(decode_buf(h, pdu)->ctl.action, GS_MMS_CTL_SELECT);
    pdu->n = 0;
    put_write(pdu, 6, "CSWI1$CO$Pos$Cancel", OPER_DATA);
    ck_assert_int_eq(decode_buf(h, pdu)->ctl.action, GS_MMS_CTL_CANCEL);
    pdu->n = 0;
    put_write(pdu, 7, "CSWI1$ST$Pos$Oper", OPER_DATA);
    ck_assert_uint_eq(decode_buf(h, pdu)->n_controls, 0);
    free(pdu);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_control_select_read)
{
    struct harness *h = harness_new();
    struct buf *pdu = calloc(1, sizeof(*pdu));
    size_t a0 = open_tlv(pdu, "A0");
    put(pdu, "02 01 0B");
    size_t rd = open_tlv(pdu, "A4");
    size_t spec = open_tlv(pdu, "A1");
    size_t list = open_tlv(pdu, "A0");
    size_t seq = open_tlv(pdu, "30");
    size_t name = open_tlv(pdu, "A0");
    size_t dom = open_tlv(pdu, "A1");
    put_str(pdu, "1A", "IED1LD0");
    put_str(pdu, "1A", "CSWI1$CO$Pos$SBO");
    close_tlv(pdu, dom);
    close_tlv(pdu, name);
    close_tlv(pdu, seq);
    close_tlv(pdu, list);
    close_tlv(pdu, spec);
    close_tlv(pdu, rd);
    close_tlv(pdu, a0);
    const struct seen *s = decode_buf(h, pdu);
    ck_assert_uint_eq(s->n_controls, 1);
    ck_assert_int_eq(s->ctl.action, GS_MMS_CTL_SELECT);
    ck_assert_int_eq(s->ctl.attr, GS_MMS_CTL_ATTR_SBO);
    ck_assert_uint_eq(s->ctl.value, GS_MMS_NO_VALUE);
    free(pdu);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_last_appl_error_and_termination)
{
    struct harness *h = harness_new();
    /* informationReport of vmd-specific LastApplError = { "IED1LD0/CSWI1$CO$Pos$Oper",
     * Error 1, Origin {orCat 3, orIdent}, ctlNum 9, AddCause 10 (blocked-by-interlocking) }. */
    struct buf *pdu = calloc(1, sizeof(*pdu));
    size_t a3 = open_tlv(pdu, "A3");
    size_t ir = open_tlv(pdu, "A0");
    size_t list = open_tlv(pdu, "A0");
    size_t seq = open_tlv(pdu, "30");
    size_t name = open_tlv(pdu, "A0");
    put_str(pdu, "80", "LastApplError");
    close_tlv(pdu, name);
    close_tlv(pdu, seq);
    close_tlv(pdu, list);
    size_t res = open_tlv(pdu, "A0");
    size_t st = open_tlv(pdu, "A2");
    put_str(pdu, "8A", "IED1LD0/CSWI1$CO$Pos$Oper");
    put_asn(pdu, "85 01 01  A2{85 01 03 89'ab'}  86 01 09  85 01 0A");
    close_tlv(pdu, st);
    close_tlv(pdu, res);
    close_tlv(pdu, ir);
    close_tlv(pdu, a3);
    const struct seen *s = decode_buf(h, pdu);
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_UNCONFIRMED);
    ck_assert_uint_eq(s->service, GS_MMS_UNC_INFORMATION_REPORT);
    ck_assert(s->has_lae);
    ck_assert_str_eq(s->lae_object, "IED1LD0/CSWI1$CO$Pos$Oper");
    ck_assert_int_eq(s->lae.error, 1);
    ck_assert_int_eq(s->lae.orcat, 3);
    ck_assert_uint_eq(s->lae.ctl_num, 9);
    ck_assert_int_eq(s->lae.add_cause, 10);
    /* CommandTermination: a report of the Oper object itself. */
    pdu->n = 0;
    a3 = open_tlv(pdu, "A3");
    ir = open_tlv(pdu, "A0");
    list = open_tlv(pdu, "A0");
    seq = open_tlv(pdu, "30");
    name = open_tlv(pdu, "A0");
    size_t dom = open_tlv(pdu, "A1");
    put_str(pdu, "1A", "IED1LD0");
    put_str(pdu, "1A", "CSWI1$CO$Pos$Oper");
    close_tlv(pdu, dom);
    close_tlv(pdu, name);
    close_tlv(pdu, seq);
    close_tlv(pdu, list);
    res = open_tlv(pdu, "A0");
    put_asn(pdu, OPER_STRUCT);
    close_tlv(pdu, res);
    close_tlv(pdu, ir);
    close_tlv(pdu, a3);
    s = decode_buf(h, pdu);
    ck_assert_uint_eq(s->n_controls, 1);
    ck_assert_int_eq(s->ctl.action, GS_MMS_CTL_TERMINATION);
    ck_assert_uint_eq(s->ctl.ctl_num, 9);
    free(pdu);
    harness_free(h);
}
END_TEST

struct svc_case {
    const char *hex;
    int pdu;
    int service; /* -1: none */
    const char *object0, *list_name, *file0, *file1, *domain, *pi;
};

static const struct svc_case svc_cases[] = {
    /* getNameList(domains... in the scope of domain IED1L) and an answer */
    {.hex = "A0{02 01 01 A1{A0{80 01 09} A1{81'IED1L'}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_GET_NAME_LIST,
     .domain = "IED1L"},
    {.hex = "A1{02 01 01 A1{A0{1A'LD0' 1A'X'} 81 01 00}}",
     .pdu = GS_MMS_PDU_CONFIRMED_RESPONSE,
     .service = GS_MMS_SVC_GET_NAME_LIST,
     .object0 = "LD0"},
    /* identify, status */
    {.hex = "A0{02 01 02 82 00}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_IDENTIFY},
    {.hex = "A0{02 01 03 80 01 00}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_STATUS},
    /* getVariableAccessAttributes(name) */
    {.hex = "A0{02 01 04 A6{A0{A1{1A'LD' 1A'X$Y'}}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_GET_VARIABLE_ACCESS_ATTRIBUTES,
     .object0 = "LD/X$Y"},
    /* defineNamedVariableList LD/DS { LD/A } */
    {.hex = "A0{02 01 05 AB{A1{1A'LD' 1A'DS'} A0{30{A0{A1{1A'LD' 1A'A'}}}}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_DEFINE_NAMED_VARIABLE_LIST,
     .object0 = "LD/A",
     .list_name = "LD/DS"},
    /* getNamedVariableListAttributes(LD/DS1), deleteNamedVariableList([LD/DS]) */
    {.hex = "A0{02 01 06 AC{A1{1A'LD' 1A'DS1'}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_GET_NAMED_VARIABLE_LIST_ATTRIBUTES,
     .list_name = "LD/DS1"},
    {.hex = "A0{02 01 07 AD{80 01 00 A1{A1{1A'LD' 1A'DS'}}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_DELETE_NAMED_VARIABLE_LIST,
     .object0 = "LD/DS"},
    /* fileOpen("a.cfg", 0), fileRead(3), fileClose(3), fileDelete("x"), fileRename */
    {.hex = "A0{02 01 08 BF48{A0{19'a.cfg'} 81 01 00}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_FILE_OPEN,
     .file0 = "a.cfg"},
    {.hex = "A0{02 01 09 9F49{03}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_FILE_READ},
    {.hex = "A0{02 01 0A 9F4A{03}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_FILE_CLOSE},
    {.hex = "A0{02 01 0B BF4C{19'x'}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_FILE_DELETE,
     .file0 = "x"},
    {.hex = "A0{02 01 0C BF4B{A0{19'a'} A1{19'bb'}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_FILE_RENAME,
     .file0 = "a",
     .file1 = "bb"},
    /* obtainFile(src "s", dst "d"), fileDirectory("*.") */
    {.hex = "A0{02 01 0D BF2E{A1{19's'} A2{19'd'}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_OBTAIN_FILE,
     .file0 = "s",
     .file1 = "d"},
    {.hex = "A0{02 01 0E BF4D{A0{19'*.'}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_FILE_DIRECTORY,
     .file0 = "*."},
    /* domain services: deleteDomain("D"), initiateDownloadSequence, requestDomainUpload */
    {.hex = "A0{02 01 0F 9F24'D'}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_DELETE_DOMAIN,
     .domain = "D"},
    {.hex = "A0{02 01 10 BA{80'D' A1{} 82 01 00}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_INITIATE_DOWNLOAD_SEQUENCE,
     .domain = "D"},
    {.hex = "A0{02 01 11 BF21{80'D' A1{19'fw'}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_REQUEST_DOMAIN_UPLOAD,
     .file0 = "fw",
     .domain = "D"},
    /* program invocation: kill("P1"), deleteProgramInvocation("P1") */
    {.hex = "A0{02 01 12 BF2C{80'P1'}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_KILL,
     .pi = "P1"},
    {.hex = "A0{02 01 13 9F27'P1'}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_DELETE_PROGRAM_INVOCATION,
     .pi = "P1"},
    /* takeControl(semaphore LD/S) */
    {.hex = "A0{02 01 14 B3{A0{A1{1A'LD' 1A'S'}}}}",
     .pdu = GS_MMS_PDU_CONFIRMED_REQUEST,
     .service = GS_MMS_SVC_TAKE_CONTROL,
     .object0 = "LD/S"},
    /* unsolicitedStatus, cancel-request, conclude */
    {.hex = "A3{A1{80 01 00 81 01 00}}",
     .pdu = GS_MMS_PDU_UNCONFIRMED,
     .service = GS_MMS_UNC_UNSOLICITED_STATUS},
    {.hex = "85 01 2A", .pdu = GS_MMS_PDU_CANCEL_REQUEST, .service = -1},
    {.hex = "8B 00", .pdu = GS_MMS_PDU_CONCLUDE_REQUEST, .service = -1},
};

START_TEST(test_mms_services)
{
    const struct svc_case *c = &svc_cases[_i];
    struct harness *h = harness_new();
    const struct seen *s = decode_pdu(h, c->hex);
    ck_assert_msg(!s->malformed, "case %d malformed", _i);
    ck_assert_int_eq(s->pdu, c->pdu);
    if (c->service >= 0) {
        ck_assert(s->has_service);
        ck_assert_uint_eq(s->service, (uint32_t)c->service);
    } else {
        ck_assert(!s->has_service);
    }
    if (c->object0 != NULL)
        ck_assert_str_eq(s->object0, c->object0);
    if (c->list_name != NULL)
        ck_assert_str_eq(s->list_name, c->list_name);
    if (c->file0 != NULL)
        ck_assert_str_eq(s->file0, c->file0);
    if (c->file1 != NULL)
        ck_assert_str_eq(s->file1, c->file1);
    if (c->domain != NULL)
        ck_assert_str_eq(s->domain, c->domain);
    if (c->pi != NULL)
        ck_assert_str_eq(s->pi, c->pi);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_responses)
{
    struct harness *h = harness_new();
    /* identify response */
    const struct seen *s = decode_pdu(h, "A1{02 01 01 A2{80'MZ' 81'io' 82'1.4'}}");
    ck_assert_str_eq(s->vendor, "MZ");
    ck_assert_str_eq(s->model, "io");
    /* status response: logical 0, physical 1 */
    s = decode_pdu(h, "A1{02 01 02 A0{80 01 00 81 01 01}}");
    ck_assert(s->has_status);
    ck_assert_int_eq(s->physical, 1);
    /* read response: failure object-non-existent, then success integer 5 */
    s = decode_pdu(h, "A1{02 01 03 A4{A1{80 01 0A 85 01 05}}}");
    ck_assert_uint_eq(s->n_results, 2);
    ck_assert(!s->result0.success);
    ck_assert_uint_eq(s->result0.error, 10);
    ck_assert_int_eq(s->value0_type, GS_DATA_INTEGER);
    /* write response: success */
    s = decode_pdu(h, "A1{02 01 04 A5{81 00}}");
    ck_assert(s->result0.success);
    /* fileOpen response: frsm 7, size 1000 */
    s = decode_pdu(h, "A1{02 01 05 BF48{80 01 07 A1{80 02 03 E8}}}");
    ck_assert(s->has_frsm);
    ck_assert_int_eq(s->frsm, 7);
    ck_assert_uint_eq(s->file_size, 1000);
    /* fileRead response, more follows FALSE */
    s = decode_pdu(h, "A1{02 01 06 BF49{80'abc' 81 01 00}}");
    ck_assert(s->has_more && !s->more);
    /* confirmed-error: access / object-non-existent (2) */
    s = decode_pdu(h, "A2{80 01 07 A2{A0{87 01 02}}}");
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_CONFIRMED_ERROR);
    ck_assert(s->has_invoke && s->invoke == 7);
    ck_assert(s->has_error);
    ck_assert_uint_eq(s->error_class, 7);
    ck_assert_int_eq(s->error_code, 2);
    /* reject: invoke 8, confirmed-requestPDU unrecognized-service */
    s = decode_pdu(h, "A4{80 01 08 81 01 01}");
    ck_assert(s->has_reject);
    ck_assert_uint_eq(s->reject_type, 1);
    ck_assert_int_eq(s->reject_code, 1);
    ck_assert_uint_eq(s->invoke, 8);
    /* initiate-error (ServiceError initiate/other) */
    s = decode_pdu(h, "AA{A0{88 01 00}}");
    ck_assert_int_eq(s->pdu, GS_MMS_PDU_INITIATE_ERROR);
    ck_assert_uint_eq(s->error_class, 8);
    ck_assert_uint_eq(h->events.n_anomalies, 0);
    harness_free(h);
}
END_TEST

/* ---- BER edge cases ----------------------------------------------------------------------- */

START_TEST(test_mms_ber_long_and_indefinite_lengths)
{
    struct harness *h = harness_new();
    /* Long-form lengths that are not minimal: 81 05 and 82 00 02. */
    const struct seen *s = decode_pdu(h, "A0 81 07 02 82 00 01 09 82 00");
    ck_assert_uint_eq(s->service, GS_MMS_SVC_IDENTIFY);
    ck_assert_uint_eq(s->invoke, 9);
    ck_assert(!s->malformed);
    /* Indefinite lengths (BER allows them in MMS PDUs). */
    s = decode_pdu(h, "A0 80 02 01 0A A6 80 A0 80 80 02 41 42 00 00 00 00 00 00");
    ck_assert_uint_eq(s->service, GS_MMS_SVC_GET_VARIABLE_ACCESS_ATTRIBUTES);
    ck_assert_str_eq(s->object0, "AB");
    ck_assert(!s->malformed);
    /* A length past the end of the PDV: not an MMS PDU. */
    struct buf *apdu = calloc(1, sizeof(*apdu)), *o = calloc(1, sizeof(*o));
    put(apdu, "A0 09 02 01 0B 82 00");
    put_pres_dt(o, 3, apdu);
    size_t before = h->n_seen;
    feed(h, o);
    ck_assert_uint_eq(h->n_seen, before);
    ck_assert_uint_ge(h->events.n_anomalies, 1);
    free(apdu);
    free(o);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_ber_depth)
{
    struct harness *h = harness_new();
    /* A write of a structure nested 40 deep: past GS_BER_MAX_DEPTH, so the value is refused
     * (malformed) while the PDU's type, service and object still come out. */
    struct buf *data = calloc(1, sizeof(*data)), *pdu = calloc(1, sizeof(*pdu));
    size_t at[40];
    size_t lod = open_tlv(data, "A0");
    for (int i = 0; i < 40; i++)
        at[i] = open_tlv(data, "A2");
    put(data, "83 01 01");
    for (int i = 39; i >= 0; i--)
        close_tlv(data, at[i]);
    close_tlv(data, lod);
    char *hex = calloc(1, data->n * 3 + 1);
    for (size_t i = 0; i < data->n; i++)
        sprintf(hex + 3 * i, "%02X ", data->b[i]);
    put_write(pdu, 1, "GGIO1$SP$X", hex);
    const struct seen *s = decode_buf(h, pdu);
    ck_assert(s->malformed);
    ck_assert_uint_eq(s->service, GS_MMS_SVC_WRITE);
    ck_assert_str_eq(s->object0, "IED1LD0/GGIO1$SP$X");
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.bad_pdu"), 1);
    free(hex);
    free(data);
    free(pdu);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_objects_cap)
{
    /* mms.max_objects = 2 and a read of three variables: two reported, capped. */
    struct harness *h = harness_new_cfg(65536, 2);
    struct buf *pdu = calloc(1, sizeof(*pdu));
    size_t a0 = open_tlv(pdu, "A0");
    put(pdu, "02 01 01");
    size_t rd = open_tlv(pdu, "A4");
    size_t spec = open_tlv(pdu, "A1");
    size_t list = open_tlv(pdu, "A0");
    for (int i = 0; i < 3; i++)
        put(pdu, "30 06 A0 04 80 02 56 31");
    close_tlv(pdu, list);
    close_tlv(pdu, spec);
    close_tlv(pdu, rd);
    close_tlv(pdu, a0);
    const struct seen *s = decode_buf(h, pdu);
    ck_assert_uint_eq(s->n_objects, 2);
    ck_assert(s->objects_capped);
    ck_assert_str_eq(s->object0, "V1");
    ck_assert_int_eq(s->scope0, GS_MMS_SCOPE_VMD);
    ck_assert_uint_eq(gs_test_anomaly_count(&h->events, "mms.too_many_objects"), 1);
    free(pdu);
    harness_free(h);
}
END_TEST

/* ---- probe, names, JSON ------------------------------------------------------------------- */

START_TEST(test_mms_probe)
{
    static const struct {
        const char *hex;
        unsigned want;
    } cases[] = {
        {"03 00 00 16 11 E0 00 00 00 01 00 C0 01 0A C1 02 00 01 C2 02 00 01", GS_PROBE_MATCH},
        {"03 00 00 0F 02 F0 80 01 00 01 00 61 02 30 00", GS_PROBE_MATCH},
        {CONCLUDE_TPKT, GS_PROBE_SURE},
        {"03 00 00 0B 02 F0 80 32 01 00 00", GS_PROBE_NO},
        {"16 03 01 00 2F 01 00 00 2B 03 03", GS_PROBE_NO},
        {"03 00 00 03 02 F0 80", GS_PROBE_NO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t b[64];
        size_t n = gs_test_hex(b, sizeof(b), cases[i].hex);
        struct gs_guard_buf g;
        struct gs_cursor cur = gs_cur_init(gs_guard_alloc(&g, b, n), n);
        ck_assert_msg(gs_mms_dissector.probe(&cur, GS_DIR_TO_SERVER) == cases[i].want, "case %zu",
                      i);
        gs_guard_free(&g);
    }
}
END_TEST

START_TEST(test_mms_names_and_oids)
{
    ck_assert_str_eq(gs_mms_pdu_name(GS_MMS_PDU_CONFIRMED_REQUEST), "confirmed-request");
    ck_assert_str_eq(gs_mms_service_name(GS_MMS_PDU_CONFIRMED_RESPONSE, 77), "fileDirectory");
    ck_assert_str_eq(gs_mms_service_name(GS_MMS_PDU_CONFIRMED_REQUEST, 46), "obtainFile");
    ck_assert_str_eq(gs_mms_service_name(GS_MMS_PDU_UNCONFIRMED, 0), "informationReport");
    ck_assert_ptr_null(gs_mms_service_name(GS_MMS_PDU_CONFIRMED_REQUEST, 78));
    ck_assert_ptr_null(gs_mms_service_name(GS_MMS_PDU_CONCLUDE_REQUEST, 0));
    char text[32];
    uint8_t mms[] = {0x28, 0xCA, 0x22, 0x02, 0x03};
    ck_assert(gs_mms_oid_text((struct gs_span){mms, sizeof(mms)}, text, sizeof(text)));
    ck_assert_str_eq(text, "1.0.9506.2.3");
    uint8_t big[] = {0x88, 0x37, 0x01}; /* 2.999.1 */
    ck_assert(gs_mms_oid_text((struct gs_span){big, sizeof(big)}, text, sizeof(text)));
    ck_assert_str_eq(text, "2.999.1");
    uint8_t cut[] = {0x28, 0xCA};
    ck_assert(!gs_mms_oid_text((struct gs_span){cut, sizeof(cut)}, text, sizeof(text)));
    ck_assert_str_eq(text, "");
    ck_assert(!gs_mms_oid_text((struct gs_span){mms, sizeof(mms)}, text, 6));
}
END_TEST

START_TEST(test_mms_json_record)
{
    struct harness *h = harness_new();
    with_json(h);
    struct buf *pdu = calloc(1, sizeof(*pdu));
    put_write(pdu, 4, "CSWI1$CO$Pos$Oper", OPER_DATA);
    decode_buf(h, pdu);
    char *text = json_text(h);
    json_t *rec = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    ck_assert_ptr_nonnull(rec);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "event_type")), "mms");
    json_t *m = json_object_get(rec, "mms");
    ck_assert_str_eq(json_string_value(json_object_get(m, "pdu")), "confirmed-request");
    ck_assert_str_eq(json_string_value(json_object_get(m, "service")), "write");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "invoke_id")), 4);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(m, "objects"), 0)),
                     "IED1LD0/CSWI1$CO$Pos$Oper");
    json_t *v = json_array_get(json_object_get(m, "values"), 0);
    ck_assert(json_is_true(json_array_get(v, 0)));
    ck_assert_str_eq(json_string_value(json_array_get(v, 5)), "00");
    json_t *ctl = json_object_get(m, "control");
    ck_assert_str_eq(json_string_value(json_object_get(ctl, "action")), "operate");
    ck_assert(json_is_true(json_object_get(ctl, "value")));
    ck_assert_int_eq(json_integer_value(json_object_get(ctl, "orcat")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(ctl, "orident")), "6162");
    json_decref(rec);
    free(text);
    free(pdu);
    harness_free(h);
}
END_TEST

START_TEST(test_mms_gap_resets)
{
    struct harness *h = harness_new();
    struct buf *o = calloc(1, sizeof(*o));
    /* Half a segmented TSDU, then a gap: the half is forgotten, the next PDU is whole. */
    put_dt(o, (const uint8_t *)"\xA0\x05\x02\x01", 4, false);
    feed(h, o);
    gs_mms_dissector.state_reset(h->state, GS_DIR_TO_SERVER);
    feed_hex(h, GS_DIR_TO_SERVER, CONCLUDE_TPKT);
    ck_assert_uint_eq(h->n_seen, 1);
    ck_assert_int_eq(h->seen[0].pdu, GS_MMS_PDU_CONCLUDE_REQUEST);
    ck_assert(!h->seen[0].malformed);
    free(o);
    harness_free(h);
}
END_TEST

static Suite *suite_mms(void)
{
    Suite *s = suite_create("mms");
    TCase *tc = tcase_create("layers");
    tcase_add_test(tc, test_mms_tpkt_split_and_joined);
    tcase_add_test(tc, test_mms_tpkt_resync);
    tcase_add_test(tc, test_mms_not_mms_after_cr);
    tcase_add_test(tc, test_mms_cotp_segmented);
    tcase_add_test(tc, test_mms_cotp_cap);
    tcase_add_test(tc, test_mms_cotp_dr_and_bad_li);
    tcase_add_test(tc, test_mms_association);
    tcase_add_test(tc, test_mms_mid_association_probe);
    tcase_add_test(tc, test_mms_session_malformed_forms);
    tcase_add_test(tc, test_mms_acse_password_never_logged);
    tcase_add_test(tc, test_mms_control_operate);
    tcase_add_test(tc, test_mms_control_select_read);
    tcase_add_test(tc, test_mms_last_appl_error_and_termination);
    tcase_add_loop_test(tc, test_mms_services, 0, (int)(sizeof(svc_cases) / sizeof(svc_cases[0])));
    tcase_add_test(tc, test_mms_responses);
    tcase_add_test(tc, test_mms_ber_long_and_indefinite_lengths);
    tcase_add_test(tc, test_mms_ber_depth);
    tcase_add_test(tc, test_mms_objects_cap);
    tcase_add_test(tc, test_mms_probe);
    tcase_add_test(tc, test_mms_names_and_oids);
    tcase_add_test(tc, test_mms_json_record);
    tcase_add_test(tc, test_mms_gap_resets);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_mms)
