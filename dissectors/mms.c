/*
 * mms.c - IEC 61850 / ICCP MMS on TCP 102: TPKT framing (RFC 1006), COTP class 0 (ISO 8073 /
 * X.224 §13) with DT reassembly, and the dissector that hands each TSDU to the session layer
 * (mms_iso.c) or, when MMS rides straight on COTP, to the MMS decoder (mms_pdu.c).
 *
 *   TPKT  | 03 | 00 | length (2, whole TPKT) |
 *   COTP  | LI | code | ... LI octets of header ... | user data (DT only)
 *         DT class 0: 02 F0 <EOT(1) | TPDU-NR(7)>      CR/CC: LI E0/D0 dst(2) src(2) class params
 *         DR: LI 80 dst(2) src(2) reason               ER: LI 70 dst(2) cause
 *
 * A TSDU is the user data of consecutive DTs up to the one with EOT set. It is read in place
 * when a single DT carries it, else gathered in the direction's buffer (mms.max_pdu_bytes;
 * past that only the first bytes are kept and the TSDU is decoded as a capped prefix).
 */
#include "mms.h"

#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "mms_int.h"
#include "names.h"

#define TPKT_VERSION    3
#define TPKT_HEADER_LEN 4
#define TPKT_MIN_LEN    7 /* header + the shortest COTP TPDU (a class 0 DT) */

#define COTP_CODE(b) ((uint8_t)((b)&0xF0u))
#define COTP_DT      0xF0u
#define COTP_CR      0xE0u
#define COTP_CC      0xD0u
#define COTP_DR      0x80u
#define COTP_DC      0xC0u
#define COTP_ER      0x70u
#define COTP_EOT(b)  (((b)&0x80u) != 0)
#define COTP_DT0_LI  2 /* class 0/1 DT header: code and NR/EOT */
#define COTP_CONN_LI 6 /* CR/CC fixed part: code, dst-ref, src-ref, class */
#define COTP_DR_LI   6
#define COTP_ER_LI   4

/* Flows that never produce a valid TPKT header or an MMS TSDU are not MMS. A capture that
 * starts inside a TPKT may have to skip up to 64 KiB before the next header, so four TPKTs'
 * worth of bytes without one is the point where a port-102 flow is given up. */
#define MMS_MAX_UNSYNCED     (4 * 65536)
#define MMS_MAX_UNRECOGNISED 4

static const char *const mms_event_names[] = {
    GS_MMS_AN_TPKT,
    GS_MMS_AN_COTP,
    GS_MMS_AN_TOO_LONG,
    GS_MMS_AN_SESSION,
    GS_MMS_AN_PRESENTATION,
    GS_MMS_AN_ACSE,
    GS_MMS_AN_PDU,
    GS_MMS_AN_UNKNOWN,
    GS_MMS_AN_TOO_MANY,
    GS_MMS_AN_NOT_NEGOTIATED,
    NULL,
};

/* ---- names -------------------------------------------------------------------------------- */

static const struct gs_name_map pdu_names[] = {
    {GS_MMS_PDU_CONFIRMED_REQUEST, "confirmed-request"},
    {GS_MMS_PDU_CONFIRMED_RESPONSE, "confirmed-response"},
    {GS_MMS_PDU_CONFIRMED_ERROR, "confirmed-error"},
    {GS_MMS_PDU_UNCONFIRMED, "unconfirmed"},
    {GS_MMS_PDU_REJECT, "reject"},
    {GS_MMS_PDU_CANCEL_REQUEST, "cancel-request"},
    {GS_MMS_PDU_CANCEL_RESPONSE, "cancel-response"},
    {GS_MMS_PDU_CANCEL_ERROR, "cancel-error"},
    {GS_MMS_PDU_INITIATE_REQUEST, "initiate-request"},
    {GS_MMS_PDU_INITIATE_RESPONSE, "initiate-response"},
    {GS_MMS_PDU_INITIATE_ERROR, "initiate-error"},
    {GS_MMS_PDU_CONCLUDE_REQUEST, "conclude-request"},
    {GS_MMS_PDU_CONCLUDE_RESPONSE, "conclude-response"},
    {GS_MMS_PDU_CONCLUDE_ERROR, "conclude-error"},
    {0, NULL},
};

/* ConfirmedServiceRequest/Response alternatives, ISO 9506-2 (tags 0..77). */
static const char *const confirmed_services[] = {
    "status",
    "getNameList",
    "identify",
    "rename",
    "read",
    "write",
    "getVariableAccessAttributes",
    "defineNamedVariable",
    "defineScatteredAccess",
    "getScatteredAccessAttributes",
    "deleteVariableAccess",
    "defineNamedVariableList",
    "getNamedVariableListAttributes",
    "deleteNamedVariableList",
    "defineNamedType",
    "getNamedTypeAttributes",
    "deleteNamedType",
    "input",
    "output",
    "takeControl",
    "relinquishControl",
    "defineSemaphore",
    "deleteSemaphore",
    "reportSemaphoreStatus",
    "reportPoolSemaphoreStatus",
    "reportSemaphoreEntryStatus",
    "initiateDownloadSequence",
    "downloadSegment",
    "terminateDownloadSequence",
    "initiateUploadSequence",
    "uploadSegment",
    "terminateUploadSequence",
    "requestDomainDownload",
    "requestDomainUpload",
    "loadDomainContent",
    "storeDomainContent",
    "deleteDomain",
    "getDomainAttributes",
    "createProgramInvocation",
    "deleteProgramInvocation",
    "start",
    "stop",
    "resume",
    "reset",
    "kill",
    "getProgramInvocationAttributes",
    "obtainFile",
    "defineEventCondition",
    "deleteEventCondition",
    "getEventConditionAttributes",
    "reportEventConditionStatus",
    "alterEventConditionMonitoring",
    "triggerEvent",
    "defineEventAction",
    "deleteEventAction",
    "getEventActionAttributes",
    "reportEventActionStatus",
    "defineEventEnrollment",
    "deleteEventEnrollment",
    "alterEventEnrollment",
    "reportEventEnrollmentStatus",
    "getEventEnrollmentAttributes",
    "acknowledgeEventNotification",
    "getAlarmSummary",
    "getAlarmEnrollmentSummary",
    "readJournal",
    "writeJournal",
    "initializeJournal",
    "reportJournalStatus",
    "createJournal",
    "deleteJournal",
    "getCapabilityList",
    "fileOpen",
    "fileRead",
    "fileClose",
    "fileRename",
    "fileDelete",
    "fileDirectory",
};

static const struct gs_name_map unconfirmed_services[] = {
    {GS_MMS_UNC_INFORMATION_REPORT, "informationReport"},
    {GS_MMS_UNC_UNSOLICITED_STATUS, "unsolicitedStatus"},
    {GS_MMS_UNC_EVENT_NOTIFICATION, "eventNotification"},
    {0, NULL},
};

static const struct gs_name_map acse_names[] = {
    {GS_MMS_ACSE_AARQ, "aarq"}, {GS_MMS_ACSE_AARE, "aare"}, {GS_MMS_ACSE_RLRQ, "rlrq"},
    {GS_MMS_ACSE_RLRE, "rlre"}, {GS_MMS_ACSE_ABRT, "abrt"}, {0, NULL},
};

static const struct gs_name_map auth_form_names[] = {
    {GS_MMS_AUTH_NONE, "none"},           {GS_MMS_AUTH_CHARSTRING, "charstring"},
    {GS_MMS_AUTH_BITSTRING, "bitstring"}, {GS_MMS_AUTH_EXTERNAL, "external"},
    {GS_MMS_AUTH_OTHER, "other"},         {0, NULL},
};

static const struct gs_name_map iso_names[] = {
    {GS_MMS_ISO_COTP_DR, "cotp-dr"},
    {GS_MMS_ISO_COTP_ER, "cotp-er"},
    {GS_MMS_ISO_SES_RF, "ses-rf"},
    {GS_MMS_ISO_SES_AB, "ses-ab"},
    {GS_MMS_ISO_PRES_CPR, "pres-cpr"},
    {GS_MMS_ISO_PRES_ARP, "pres-arp"},
    {0, NULL},
};

static const struct gs_name_map control_names[] = {
    {GS_MMS_CTL_SELECT, "select"},
    {GS_MMS_CTL_OPERATE, "operate"},
    {GS_MMS_CTL_CANCEL, "cancel"},
    {GS_MMS_CTL_TERMINATION, "command-termination"},
    {0, NULL},
};

static const struct gs_name_map path_names[] = {
    {GS_MMS_PATH_PRESENTATION, "presentation"},
    {GS_MMS_PATH_PROBED, "probed"},
    {GS_MMS_PATH_COTP, "cotp"},
    {0, NULL},
};

static const struct gs_name_map access_error_names[] = {
    {0, "object-invalidated"},
    {1, "hardware-fault"},
    {2, "temporarily-unavailable"},
    {3, "object-access-denied"},
    {4, "object-undefined"},
    {5, "invalid-address"},
    {6, "type-unsupported"},
    {7, "type-inconsistent"},
    {8, "object-attribute-inconsistent"},
    {9, "object-access-unsupported"},
    {10, "object-non-existent"},
    {11, "object-value-invalid"},
    {0, NULL},
};

static const struct gs_name_map error_class_names[] = {
    {0, "vmd-state"},       {1, "application-reference"},
    {2, "definition"},      {3, "resource"},
    {4, "service"},         {5, "service-preempt"},
    {6, "time-resolution"}, {7, "access"},
    {8, "initiate"},        {9, "conclude"},
    {10, "cancel"},         {11, "file"},
    {12, "others"},         {0, NULL},
};

const char *gs_mms_pdu_name(enum gs_mms_pdu pdu)
{
    return gs_name_lookup(pdu_names, (uint32_t)pdu, NULL);
}

const char *gs_mms_service_name(enum gs_mms_pdu pdu, uint32_t service)
{
    switch (pdu) {
    case GS_MMS_PDU_CONFIRMED_REQUEST:
    case GS_MMS_PDU_CONFIRMED_RESPONSE:
        return service < GS_ARRAY_LEN(confirmed_services) ? confirmed_services[service] : NULL;
    case GS_MMS_PDU_UNCONFIRMED:
        return gs_name_lookup(unconfirmed_services, service, NULL);
    default:
        return NULL;
    }
}

const char *gs_mms_acse_pdu_name(enum gs_mms_acse_pdu pdu)
{
    return gs_name_lookup(acse_names, (uint32_t)pdu, NULL);
}

const char *gs_mms_auth_form_name(enum gs_mms_auth_form form)
{
    return gs_name_lookup(auth_form_names, (uint32_t)form, NULL);
}

const char *gs_mms_iso_pdu_name(enum gs_mms_iso_pdu pdu)
{
    return gs_name_lookup(iso_names, (uint32_t)pdu, NULL);
}

const char *gs_mms_control_action_name(enum gs_mms_control_action action)
{
    return gs_name_lookup(control_names, (uint32_t)action, NULL);
}

const char *gs_mms_path_name(enum gs_mms_path path)
{
    return gs_name_lookup(path_names, (uint32_t)path, NULL);
}

const char *gs_mms_access_error_name(uint32_t error)
{
    return gs_name_lookup(access_error_names, error, NULL);
}

const char *gs_mms_error_class_name(uint32_t error_class)
{
    return gs_name_lookup(error_class_names, error_class, NULL);
}

bool gs_mms_oid_text(struct gs_span oid, char *out, size_t cap)
{
    if (cap == 0)
        return false;
    out[0] = '\0';
    struct gs_cursor c = gs_cur_init(oid.ptr, oid.len);
    size_t n = 0;
    bool first = true;
    if (oid.len == 0)
        return false;
    while (gs_cur_remaining(&c) > 0) {
        uint64_t arc = 0;
        uint8_t b;
        int digits = 0;
        do {
            b = gs_cur_u8(&c);
            if (!gs_cur_ok(&c) || digits++ == 9 || (digits == 1 && b == 0x80)) {
                out[0] = '\0';
                return false; /* truncated arc, over 63 bits, or a padded first octet */
            }
            arc = (arc << 7) | (b & 0x7Fu);
        } while ((b & 0x80u) != 0);
        int w;
        if (first) {
            uint64_t top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            w = snprintf(out + n, cap - n, "%llu.%llu", (unsigned long long)top,
                         (unsigned long long)(arc - top * 40));
            first = false;
        } else {
            w = snprintf(out + n, cap - n, ".%llu", (unsigned long long)arc);
        }
        if (w < 0 || (size_t)w >= cap - n) {
            out[0] = '\0';
            return false;
        }
        n += (size_t)w;
    }
    return true;
}

/* ---- state -------------------------------------------------------------------------------- */

#define ALIGN_UP(n) (((n) + 15u) & ~(size_t)15u)

struct layout {
    size_t objects, nodes, results, files, controls, buf0, buf1, total;
};

static void layout_for(const struct gs_config *cfg, struct layout *l)
{
    size_t k = cfg->mms_max_objects;
    size_t off = ALIGN_UP(sizeof(struct gs_mms_state));
    l->objects = off;
    off = ALIGN_UP(off + k * sizeof(struct gs_mms_object_name));
    l->nodes = off;
    off = ALIGN_UP(off + k * sizeof(struct gs_data_node));
    l->results = off;
    off = ALIGN_UP(off + k * sizeof(struct gs_mms_access_result));
    l->files = off;
    off = ALIGN_UP(off + k * sizeof(struct gs_span));
    l->controls = off;
    off = ALIGN_UP(off + k * sizeof(struct gs_mms_control));
    l->buf0 = off;
    off = ALIGN_UP(off + cfg->mms_max_pdu_bytes);
    l->buf1 = off;
    off = ALIGN_UP(off + cfg->mms_max_pdu_bytes);
    l->total = off;
}

static size_t mms_state_size(const struct gs_config *cfg)
{
    struct layout l;
    layout_for(cfg, &l);
    return l.total;
}

static void mms_state_init(void *state, const struct gs_config *cfg)
{
    struct layout l;
    layout_for(cfg, &l);
    struct gs_mms_state *st = state;
    unsigned char *base = state;
    st->max_pdu = cfg->mms_max_pdu_bytes;
    st->max_objects = cfg->mms_max_objects;
    st->ctx_acse = -1;
    st->ctx_mms = -1;
    st->objects = (struct gs_mms_object_name *)(void *)(base + l.objects);
    st->nodes = (struct gs_data_node *)(void *)(base + l.nodes);
    st->results = (struct gs_mms_access_result *)(void *)(base + l.results);
    st->files = (struct gs_span *)(void *)(base + l.files);
    st->controls = (struct gs_mms_control *)(void *)(base + l.controls);
    st->dir[0].buf = base + l.buf0;
    st->dir[1].buf = base + l.buf1;
}

static void drop_tsdu(struct gs_mms_dir_state *d)
{
    d->buf_len = 0;
    d->tsdu_len = 0;
    d->reassembling = false;
}

static void mms_state_reset(void *state, enum gs_dir dir)
{
    struct gs_mms_state *st = state;
    struct gs_mms_dir_state *d = &st->dir[dir];
    drop_tsdu(d);
    /* Bytes were lost: the next ones may start mid-TPKT, so hunt for a header quietly. */
    d->resyncing = true;
}

/* ---- events ------------------------------------------------------------------------------- */

void gs_mms_anomaly(const struct gs_mms_tsdu *t, const char *name, enum gs_anomaly_kind kind,
                    const char *detail)
{
    gs_emit_anomaly(t->ctx, name, kind, detail);
}

static struct gs_mms_scratch scratch_of(const struct gs_mms_state *st)
{
    struct gs_mms_scratch s = {.objects = st->objects,
                               .nodes = st->nodes,
                               .results = st->results,
                               .files = st->files,
                               .controls = st->controls,
                               .cap = st->max_objects};
    return s;
}

void gs_mms_emit_pdu(const struct gs_mms_tsdu *t, enum gs_mms_path path, struct gs_cursor pdu,
                     const struct gs_mms_acse *acse)
{
    struct gs_mms_event ev;
    memset(&ev, 0, sizeof(ev));
    struct gs_mms_scratch s = scratch_of(t->st);
    if (!gs_mms_pdu_decode(pdu, &s, &ev)) {
        gs_mms_anomaly(t, GS_MMS_AN_PDU, GS_ANOMALY_MALFORMED, "not an MMS PDU");
        if (acse != NULL)
            gs_mms_emit_acse(t, path, acse);
        return;
    }
    ev.path = path;
    ev.capped = t->capped;
    ev.acse = acse;
    if (ev.malformed)
        gs_mms_anomaly(t, GS_MMS_AN_PDU, GS_ANOMALY_MALFORMED, gs_mms_pdu_name(ev.pdu));
    if (ev.objects_capped)
        gs_mms_anomaly(t, GS_MMS_AN_TOO_MANY, GS_ANOMALY_LIMIT, "mms.max_objects");
    gs_emit(t->ctx, GS_EVENT_MMS, &ev);
}

void gs_mms_emit_acse(const struct gs_mms_tsdu *t, enum gs_mms_path path,
                      const struct gs_mms_acse *acse)
{
    struct gs_mms_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.path = path;
    ev.pdu = GS_MMS_PDU_NONE;
    ev.capped = t->capped;
    ev.acse = acse;
    gs_emit(t->ctx, GS_EVENT_MMS, &ev);
}

void gs_mms_emit_iso(const struct gs_mms_tsdu *t, const struct gs_mms_iso *iso)
{
    struct gs_mms_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.path = GS_MMS_PATH_PRESENTATION;
    ev.pdu = GS_MMS_PDU_NONE;
    ev.iso = iso;
    gs_emit(t->ctx, GS_EVENT_MMS, &ev);
}

/* ---- TSDU --------------------------------------------------------------------------------- */

/* Hands one TSDU to the session layer or the MMS decoder. Returns false when the flow has
 * shown itself not to carry MMS (S7comm and other users of COTP on port 102). */
static bool tsdu(struct gs_mms_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                 struct gs_cursor data, bool capped)
{
    struct gs_mms_tsdu t = {.st = st, .ctx = ctx, .dir = dir, .capped = capped};
    uint8_t first;
    if (!gs_cur_peek_at(&data, 0, &first))
        return true; /* an empty TSDU: nothing to say */
    bool known = false;
    if (gs_mms_is_spdu(first)) {
        known = gs_mms_session(&t, data);
    } else if (gs_mms_pdu_probe(&data)) {
        gs_mms_emit_pdu(&t, GS_MMS_PATH_COTP, data, NULL);
        known = true;
    }
    if (known) {
        st->mms_seen = true;
        return true;
    }
    if (st->mms_seen) {
        gs_mms_anomaly(&t, GS_MMS_AN_UNKNOWN, GS_ANOMALY_MALFORMED,
                       "COTP user data is neither a session SPDU nor an MMS PDU");
        return true;
    }
    /* The first TSDU after a CR is whole, so it decides; mid-stream, the first ones may be
     * the tail of a TSDU whose start was not captured. */
    return !st->cr_seen && ++st->unrecognised < MMS_MAX_UNRECOGNISED;
}

/* ---- COTP --------------------------------------------------------------------------------- */

static void cotp_anomaly(const struct gs_pkt_ctx *ctx, const char *detail)
{
    gs_emit_anomaly(ctx, GS_MMS_AN_COTP, GS_ANOMALY_MALFORMED, detail);
}

/* A DT TPDU's user data: delivered in place when it is a whole TSDU, else gathered. */
static bool cotp_data(struct gs_mms_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                      bool eot, struct gs_cursor data)
{
    struct gs_mms_dir_state *d = &st->dir[dir];
    size_t len = gs_cur_wire_remaining(&data);
    if (eot && !d->reassembling)
        return tsdu(st, ctx, dir, data, false);
    size_t room = st->max_pdu - d->buf_len;
    size_t keep = len < room ? len : room;
    if (keep < len && d->tsdu_len == d->buf_len)
        gs_emit_anomaly(ctx, GS_MMS_AN_TOO_LONG, GS_ANOMALY_LIMIT, "mms.max_pdu_bytes");
    if (keep > 0) {
        struct gs_cursor c = data;
        gs_cur_copy(&c, d->buf + d->buf_len, keep);
        d->buf_len += keep;
    }
    d->tsdu_len += len;
    d->reassembling = true;
    if (!eot)
        return true;
    struct gs_cursor whole = gs_cur_init_wire(d->buf, d->buf_len, d->tsdu_len);
    bool capped = d->tsdu_len > d->buf_len;
    bool ok = tsdu(st, ctx, dir, whole, capped);
    drop_tsdu(d);
    return ok;
}

static void cotp_disconnect(struct gs_mms_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                            enum gs_mms_iso_pdu pdu, uint8_t reason)
{
    if (!st->mms_seen)
        return; /* a refused or aborted connection that never carried MMS */
    struct gs_mms_tsdu t = {.st = st, .ctx = ctx, .dir = dir};
    struct gs_mms_iso iso = {.pdu = pdu, .has_reason = true, .reason = reason};
    gs_mms_emit_iso(&t, &iso);
}

/* One COTP TPDU (the whole TPKT payload). Returns false when the flow is not MMS. */
static bool cotp(struct gs_mms_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                 struct gs_cursor tpdu)
{
    uint8_t li = gs_cur_u8(&tpdu);
    if (!gs_cur_ok(&tpdu) || li == 0 || li == 0xFF || li > gs_cur_wire_remaining(&tpdu)) {
        cotp_anomaly(ctx, "bad length indicator");
        return true;
    }
    struct gs_cursor hdr = gs_cur_sub(&tpdu, li);
    uint8_t code = COTP_CODE(gs_cur_u8(&hdr));
    switch (code) {
    case COTP_DT: {
        /* Class 0/1: NR+EOT; classes 2-4 put the destination reference first. */
        if (li > COTP_DT0_LI)
            gs_cur_skip(&hdr, 2);
        uint8_t nr = gs_cur_u8(&hdr);
        if (!gs_cur_ok(&hdr)) {
            cotp_anomaly(ctx, "short DT header");
            return true;
        }
        return cotp_data(st, ctx, dir, COTP_EOT(nr), tpdu);
    }
    case COTP_CR:
    case COTP_CC:
        if (li < COTP_CONN_LI) {
            cotp_anomaly(ctx, "short CR/CC header");
            return true;
        }
        if (code == COTP_CR) {
            /* A new connection: whatever this flow carried before is over. */
            st->cr_seen = true;
            st->ctx_acse = -1;
            st->ctx_mms = -1;
            drop_tsdu(&st->dir[0]);
            drop_tsdu(&st->dir[1]);
        }
        return true;
    case COTP_DR:
    case COTP_ER: {
        size_t need = code == COTP_DR ? COTP_DR_LI : COTP_ER_LI;
        gs_cur_skip(&hdr, need - 2);
        uint8_t reason = gs_cur_u8(&hdr);
        if (li < need || !gs_cur_ok(&hdr)) {
            cotp_anomaly(ctx, "short DR/ER header");
            return true;
        }
        cotp_disconnect(st, ctx, dir, code == COTP_DR ? GS_MMS_ISO_COTP_DR : GS_MMS_ISO_COTP_ER,
                        reason);
        return true;
    }
    case COTP_DC:
        return true;
    default:
        /* ED, AK, EA, RJ and UD are not used by class 0; anything else is not COTP. */
        cotp_anomaly(ctx, "TPDU type not used by class 0");
        return true;
    }
}

/* ---- TPKT --------------------------------------------------------------------------------- */

/* Whether the bytes at `off` look like a TPKT header followed by a COTP TPDU. */
static bool tpkt_at(const struct gs_cursor *cur, size_t off, size_t *len)
{
    uint8_t b[6];
    for (size_t i = 0; i < sizeof(b); i++) {
        if (!gs_cur_peek_at(cur, off + i, &b[i]))
            return false;
    }
    size_t n = ((size_t)b[2] << 8) | b[3];
    uint8_t li = b[4];
    uint8_t code = COTP_CODE(b[5]);
    if (b[0] != TPKT_VERSION || n < TPKT_MIN_LEN || li == 0 || li == 0xFF ||
        li > n - TPKT_HEADER_LEN - 1)
        return false;
    if (code != COTP_DT && code != COTP_CR && code != COTP_CC && code != COTP_DR &&
        code != COTP_DC && code != COTP_ER)
        return false;
    *len = n;
    return true;
}

static unsigned mms_probe(const struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    size_t len;
    if (!tpkt_at(cur, 0, &len))
        return GS_PROBE_NO;
    uint8_t code;
    if (!gs_cur_peek_at(cur, 5, &code))
        return GS_PROBE_NO;
    if (COTP_CODE(code) == COTP_CR || COTP_CODE(code) == COTP_CC)
        return GS_PROBE_MATCH;
    if (COTP_CODE(code) != COTP_DT)
        return GS_PROBE_NO;
    /* A DT: claim it only if its user data starts like a session SPDU or an MMS PDU. */
    struct gs_cursor c = *cur;
    gs_cur_skip(&c, TPKT_HEADER_LEN);
    uint8_t li = gs_cur_u8(&c);
    gs_cur_skip(&c, li);
    uint8_t first;
    if (!gs_cur_ok(&c) || !gs_cur_peek_at(&c, 0, &first))
        return GS_PROBE_NO;
    if (gs_mms_is_spdu(first))
        return GS_PROBE_MATCH;
    size_t avail = len - TPKT_HEADER_LEN - 1 - li;
    struct gs_cursor data = gs_cur_sub(&c, avail);
    return gs_cur_ok(&data) && gs_mms_pdu_probe(&data) ? GS_PROBE_SURE : GS_PROBE_NO;
}

static struct gs_parse_res mms_parse(void *state, const struct gs_pkt_ctx *ctx,
                                     struct gs_cursor *cur, enum gs_dir dir)
{
    struct gs_mms_state *st = state;
    struct gs_mms_dir_state *d = &st->dir[dir];
    size_t start = gs_cur_pos(cur);
    size_t avail = gs_cur_remaining(cur);
    size_t len;
    if (!tpkt_at(cur, 0, &len)) {
        if (avail < 6 && d->synced && !d->resyncing)
            return gs_parse_incomplete(0, 6 - avail); /* a header split across segments */
        /* Framing lost (or the capture began mid-TPKT): skip to the next plausible header. */
        size_t off = 1;
        while (off < avail && !tpkt_at(cur, off, &len))
            off++;
        if (d->synced && !d->resyncing)
            gs_emit_anomaly(ctx, GS_MMS_AN_TPKT, GS_ANOMALY_MALFORMED, "bad TPKT header");
        d->resyncing = true;
        drop_tsdu(d);
        /* Keep a tail that may be the start of a header cut by the segment boundary. */
        size_t skip = off < avail ? off : (avail > 5 ? avail - 5 : 0);
        if (!d->synced) {
            d->unsynced += skip;
            if (d->unsynced > MMS_MAX_UNSYNCED && !st->mms_seen)
                return gs_parse_error(start);
        }
        if (off >= avail)
            return skip > 0 ? gs_parse_ok(skip) : gs_parse_incomplete(0, 0);
        gs_cur_skip(cur, skip);
        return gs_parse_ok(skip);
    }
    if (avail < len)
        return gs_parse_incomplete(0, len - avail);
    d->synced = true;
    d->resyncing = false;
    struct gs_cursor tpkt = gs_cur_sub(cur, len);
    gs_cur_skip(&tpkt, TPKT_HEADER_LEN);
    if (!gs_cur_ok(&tpkt))
        return gs_parse_ok(len); /* not reachable on a reassembled stream, which is whole */
    if (!cotp(st, ctx, dir, tpkt))
        return gs_parse_error(start);
    return gs_parse_ok(len);
}

static const uint16_t mms_tcp_ports[] = {102, 0};

const struct gs_dissector gs_mms_dissector = {
    .name = "mms",
    .transport = GS_TRANSPORT_TCP,
    .tcp_ports = mms_tcp_ports,
    .probe = mms_probe,
    .state_size = mms_state_size,
    .state_init = mms_state_init,
    .state_reset = mms_state_reset,
    .parse = mms_parse,
    .event_names = mms_event_names,
};
