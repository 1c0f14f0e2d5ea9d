/*
 * mms_int.h - internals shared by the files of the MMS module: mms.c (TPKT, COTP, the
 * dissector), mms_iso.c (session, presentation, ACSE) and mms_pdu.c (MMS PDUs). Nothing
 * outside the module includes this.
 */
#ifndef GS_DISSECTORS_MMS_INT_H
#define GS_DISSECTORS_MMS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ber.h"
#include "cursor.h"
#include "dissector.h"
#include "mms.h"

/* ISO 9506, 8650 and 8823 are BER: indefinite lengths are legal in their PDUs (Data values,
 * decoded by iec61850_data.c, stay definite as IEC 61850-8-1 encodes them). */
#define GS_MMS_BER GS_BER_ALLOW_INDEFINITE

/* Anomaly names (the dissector's event_names). */
#define GS_MMS_AN_TPKT           "mms.bad_tpkt"
#define GS_MMS_AN_COTP           "mms.bad_cotp"
#define GS_MMS_AN_TOO_LONG       "mms.pdu_too_long"
#define GS_MMS_AN_SESSION        "mms.bad_session"
#define GS_MMS_AN_PRESENTATION   "mms.bad_presentation"
#define GS_MMS_AN_ACSE           "mms.bad_acse"
#define GS_MMS_AN_PDU            "mms.bad_pdu"
#define GS_MMS_AN_UNKNOWN        "mms.unknown_user_data"
#define GS_MMS_AN_TOO_MANY       "mms.too_many_objects"
#define GS_MMS_AN_NOT_NEGOTIATED "mms.context_not_negotiated"

/* One direction's transport state. */
struct gs_mms_dir_state {
    bool synced;       /* a valid TPKT header was seen in this direction */
    bool resyncing;    /* hunting for the next TPKT header after a bad one */
    size_t unsynced;   /* bytes skipped before the first valid header */
    uint8_t *buf;      /* COTP DT user data of the TSDU under reassembly (max_pdu bytes) */
    size_t buf_len;    /* bytes held */
    size_t tsdu_len;   /* bytes the TSDU has so far (more than buf_len once capped) */
    bool reassembling; /* DT segments without EOT were seen */
};

/* The per-flow state: fixed fields, then the buffers sized by the configuration. */
struct gs_mms_state {
    uint32_t max_pdu;
    uint32_t max_objects;
    struct gs_mms_dir_state dir[2];
    bool cr_seen;          /* the connection's COTP CR was seen: its first TSDU is whole */
    bool mms_seen;         /* a session SPDU or an MMS PDU was recognised on this flow */
    uint32_t unrecognised; /* TSDUs that were neither, before mms_seen */
    /* Presentation context identifiers the CP-PPDU negotiated (-1: not seen). */
    int64_t ctx_acse;
    int64_t ctx_mms;
    /* Event scratch, each max_objects long. */
    struct gs_mms_object_name *objects;
    struct gs_data_node *nodes;
    struct gs_mms_access_result *results;
    struct gs_span *files;
    struct gs_mms_control *controls;
};

/* What a TSDU is decoded with: the flow, the packet and the direction. */
struct gs_mms_tsdu {
    struct gs_mms_state *st;
    const struct gs_pkt_ctx *ctx;
    enum gs_dir dir;
    bool capped; /* the TSDU was longer than mms.max_pdu_bytes */
};

/* ---- mms.c -------------------------------------------------------------------------------- */

void gs_mms_anomaly(const struct gs_mms_tsdu *t, const char *name, enum gs_anomaly_kind kind,
                    const char *detail);

/* Decodes the MMS PDU filling `pdu` (reached by `path`) and emits its event, with the ACSE
 * facts of the APDU that carried it, if any. Emits an anomaly instead when it is not one. */
void gs_mms_emit_pdu(const struct gs_mms_tsdu *t, enum gs_mms_path path, struct gs_cursor pdu,
                     const struct gs_mms_acse *acse);

/* Emits an event for an ACSE APDU that carried no MMS PDU, or an ISO-layer event. */
void gs_mms_emit_acse(const struct gs_mms_tsdu *t, enum gs_mms_path path,
                      const struct gs_mms_acse *acse);
void gs_mms_emit_iso(const struct gs_mms_tsdu *t, const struct gs_mms_iso *iso);

/* ---- mms_iso.c ---------------------------------------------------------------------------- */

/* True if `si` is an ISO 8327 SPDU identifier gridsensor knows. */
bool gs_mms_is_spdu(uint8_t si);

/* Decodes a TSDU that starts with a session SPDU (and what it carries). Returns false if the
 * TSDU is not a session SPDU sequence at all. */
bool gs_mms_session(const struct gs_mms_tsdu *t, struct gs_cursor tsdu);

/* ---- mms_pdu.c ---------------------------------------------------------------------------- */

/* True if the cursor holds exactly one TLV whose tag is an MMSpdu alternative and whose
 * first contents look right (used to recognise MMS without a presentation context). */
bool gs_mms_pdu_probe(const struct gs_cursor *cur);

/* Where gs_mms_pdu_decode puts the lists an event points to. */
struct gs_mms_scratch {
    struct gs_mms_object_name *objects;
    struct gs_data_node *nodes;
    struct gs_mms_access_result *results;
    struct gs_span *files;
    struct gs_mms_control *controls;
    size_t cap; /* each array's length (mms.max_objects) */
};

/*
 * Decodes one MMS PDU into *ev (whose lists point into *s). Returns false, leaving *ev
 * unusable, if the cursor does not start with an MMSpdu; otherwise true, with ev->malformed
 * set if the body did not decode completely. ev->objects_capped reports the cap.
 */
bool gs_mms_pdu_decode(struct gs_cursor cur, const struct gs_mms_scratch *s,
                       struct gs_mms_event *ev);

#endif
