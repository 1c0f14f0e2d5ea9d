/*
 * goose.h - IEC 61850-8-1 GOOSE (EtherType 0x88B8) and GSE management (0x88B8/0x88B9): the
 * dissectors and the event they emit, also for GOOSE carried by R-GOOSE (rsession.h).
 *
 * struct gs_goose_event is a contract: the 62351-6 tag verifier and the stNum/sqNum detectors
 * read it. One event is emitted per GOOSE/GSE-management PDU (normally one per frame or
 * R-GOOSE payload element), and one with pdu GS_GOOSE_PDU_NONE for a frame or R-GOOSE SPDU
 * that carries none the dissector could read, so every SPDU's tag reaches the verifier.
 * A field is meaningful only when its GS_GOOSE_F_* bit is set in `present`; `status` says
 * whether decoding stopped early (the fields before that point are still right, as tshark
 * shows them). Spans and pointers are valid only during the emit call.
 */
#ifndef GS_DISSECTORS_GOOSE_H
#define GS_DISSECTORS_GOOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dissector.h"
#include "iec61850_data.h"
#include "iec61850_l2.h"
#include "iec62351_6.h"

struct gs_rsession; /* rsession.h */

extern const struct gs_dissector gs_goose_dissector; /* EtherType 0x88B8 */
extern const struct gs_dissector gs_gse_dissector;   /* EtherType 0x88B9 (GSE management) */

enum gs_goose_pdu {
    GS_GOOSE_PDU_NONE = 0, /* no PDU could be read: header only, or an SPDU without one */
    GS_GOOSE_PDU_GOOSE,    /* IECGoosePdu [APPLICATION 1] (0x61) */
    GS_GOOSE_PDU_GSE_MNGT, /* GSEMngtPdu [APPLICATION 0] (0x60) */
};

/* `present` bits: IECGoosePdu fields by their context tag number, allData included. */
#define GS_GOOSE_F_GOCB_REF    (1u << 0)
#define GS_GOOSE_F_TTL         (1u << 1)
#define GS_GOOSE_F_DAT_SET     (1u << 2)
#define GS_GOOSE_F_GO_ID       (1u << 3)
#define GS_GOOSE_F_T           (1u << 4)
#define GS_GOOSE_F_ST_NUM      (1u << 5)
#define GS_GOOSE_F_SQ_NUM      (1u << 6)
#define GS_GOOSE_F_SIMULATION  (1u << 7)
#define GS_GOOSE_F_CONF_REV    (1u << 8)
#define GS_GOOSE_F_NDS_COM     (1u << 9)
#define GS_GOOSE_F_NUM_ENTRIES (1u << 10)
#define GS_GOOSE_F_ALL_DATA    (1u << 11)
/* Mandatory in IECGoosePdu (goID, simulation and ndsCom are optional or DEFAULT). */
#define GS_GOOSE_F_MANDATORY                                                                       \
    (GS_GOOSE_F_GOCB_REF | GS_GOOSE_F_TTL | GS_GOOSE_F_DAT_SET | GS_GOOSE_F_T |                    \
     GS_GOOSE_F_ST_NUM | GS_GOOSE_F_SQ_NUM | GS_GOOSE_F_CONF_REV | GS_GOOSE_F_NUM_ENTRIES |        \
     GS_GOOSE_F_ALL_DATA)

/* GSE management (IEC 61850-8-1 §C.3, Wireshark goose.asn), decoded to its first level. */
struct gs_gse_mngt {
    bool has_state_id;
    int64_t state_id;
    bool response;        /* responses [2]; else requests [1] */
    uint32_t service;     /* 0 notSupported (responses), 1 getGoReference, 2 getGOOSEElementNumber,
                             3 getGsReference, 4 getGSSEDataOffset */
    struct gs_span ident; /* the control block or dataset reference asked about */
    bool has_conf_rev;
    int64_t conf_rev;
    bool has_result; /* responses: positive [2] or negative [3] */
    bool positive;
    struct gs_span dat_set;
    int64_t error; /* negative: GlbErrors */
};

struct gs_goose_event {
    /* Carrier: a layer-2 frame, a tunnelled frame or an R-GOOSE payload element. */
    const struct gs_rsession *session;  /* NULL for a layer-2 frame */
    const struct gs_sec_info *security; /* never NULL: the 62351-6 extension or session security */
    uint16_t ether_type; /* 0x88B8 / 0x88B9 on layer 2 and in tunnels, 0 for an R-GOOSE element */
    uint16_t appid;
    bool has_header; /* the 8-octet header below was on the wire (not for R-GOOSE elements) */
    uint16_t length;
    uint16_t reserved1;
    uint16_t reserved2;
    bool simulated;     /* Reserved1 S bit, or the R-GOOSE element's simulation octet */
    uint16_t pdu_index; /* 0 for the first PDU in the frame or element */

    enum gs_goose_pdu pdu;
    enum gs_l2pdu_status status;
    struct gs_span apdu; /* the PDU's TLV (tag, length and contents captured) */

    /* IECGoosePdu */
    uint32_t present; /* GS_GOOSE_F_* */
    struct gs_span gocb_ref, dat_set, go_id;
    uint32_t ttl_ms; /* timeAllowedtoLive */
    struct gs_utc_time t;
    uint32_t st_num, sq_num, conf_rev;
    bool simulation, nds_com;
    uint32_t num_dat_set_entries;

    /* allData, in document order (iec61850_data.h): n_entries top-level values, of which the
     * first goose.max_entries values (nested members included) are in `data`. */
    const struct gs_data_node *data;
    size_t n_data;
    uint32_t n_entries;
    bool data_capped;    /* more values than goose.max_entries: the rest were not stored */
    bool data_malformed; /* allData's BER broke: the values before the break are listed */

    struct gs_gse_mngt mngt; /* with pdu GS_GOOSE_PDU_GSE_MNGT */
};

/*
 * The anomaly names the GOOSE PDU decoder emits, for every dissector that calls it (layer 2,
 * GSE management, R-GOOSE): list them in that dissector's event_names.
 */
#define GS_GOOSE_ANOMALY_NAMES                                                                     \
    "goose.short_header", "goose.bad_length", "goose.length_exceeds_frame",                        \
        "goose.apdu_length_mismatch", "goose.bad_apdu_tag", "goose.malformed", "goose.truncated",  \
        "goose.missing_field", "goose.field_order", "goose.unknown_field", "goose.bad_field",      \
        "goose.bad_entry_count", "goose.entry_count_mismatch", "goose.too_many_entries",           \
        "goose.bad_data", "goose.simulation_mismatch", "goose.reserved_nonzero",                   \
        "goose.trailing_bytes", "goose.ext_length_mismatch", "goose.ext_crc_mismatch",             \
        "goose.ext_malformed", "goose.ext_unknown", "goose.appid_out_of_range"

/*
 * Decodes one layer-2 unit: `unit` views the octets after the EtherType (APPID first, through
 * the end of the frame or tunnel element) and `ether_type` is 0x88B8 or 0x88B9. Emits one
 * event per PDU (GS_GOOSE_PDU_NONE if there is none) plus anomalies. `session` and
 * `session_sec` are the R-GOOSE tunnel carrying the frame (NULL for a frame on the wire: the
 * security record then comes from the frame's 62351-6 extension). `nodes` (cap of them) is
 * the caller's scratch for allData values. Returns the number of GOOSE events emitted.
 */
size_t gs_goose_decode_l2(const struct gs_pkt_ctx *ctx, struct gs_cursor unit, uint16_t ether_type,
                          const struct gs_rsession *session, const struct gs_sec_info *session_sec,
                          struct gs_data_node *nodes, size_t cap);

/*
 * Decodes the APDU of an R-GOOSE payload element (`apdu` views the element's APDU octets) and
 * emits its events as gs_goose_decode_l2 does; `appid` and `simulated` come from the element
 * header.
 */
size_t gs_goose_decode_element(const struct gs_pkt_ctx *ctx, struct gs_cursor apdu, uint16_t appid,
                               bool simulated, const struct gs_rsession *session,
                               const struct gs_sec_info *sec, struct gs_data_node *nodes,
                               size_t cap);

/* The name of a GSE management service ("getGoReference", ...). */
const char *gs_goose_mngt_service_name(uint32_t service);

#endif
