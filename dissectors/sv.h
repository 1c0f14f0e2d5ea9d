/*
 * sv.h - IEC 61850-9-2 Sampled Values (EtherType 0x88BA): the dissector and the event it emits,
 * also for SV carried by R-SV (rsession.h).
 *
 * struct gs_sv_event is a contract: the 62351-6 tag verifier and the smpCnt detectors read it.
 * One event is emitted per savPdu (one per frame or R-SV payload element) with every ASDU
 * decoded (sv.max_asdus of them), and one with no ASDUs for a frame or R-SV SPDU the dissector
 * could not read a savPdu from. A field is meaningful only when its GS_SV_F_* bit is set.
 * Spans and pointers are valid only during the emit call.
 */
#ifndef GS_DISSECTORS_SV_H
#define GS_DISSECTORS_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dissector.h"
#include "iec61850_data.h"
#include "iec61850_l2.h"
#include "iec62351_6.h"

struct gs_rsession; /* rsession.h */

extern const struct gs_dissector gs_sv_dissector;

/* ASDU `present` bits, by the field's context tag number (9-2 §8.5.2, Wireshark sv.asn). */
#define GS_SV_F_SV_ID     (1u << 0)
#define GS_SV_F_DAT_SET   (1u << 1)
#define GS_SV_F_SMP_CNT   (1u << 2)
#define GS_SV_F_CONF_REV  (1u << 3)
#define GS_SV_F_REFR_TM   (1u << 4)
#define GS_SV_F_SMP_SYNCH (1u << 5)
#define GS_SV_F_SMP_RATE  (1u << 6)
#define GS_SV_F_SEQ_DATA  (1u << 7)
#define GS_SV_F_SMP_MOD   (1u << 8)
#define GS_SV_F_GMID      (1u << 9)
#define GS_SV_F_MANDATORY (GS_SV_F_SV_ID | GS_SV_F_SMP_CNT | GS_SV_F_CONF_REV | GS_SV_F_SEQ_DATA)

/* UCA 9-2LE: seqData of 8 entries (Ia Ib Ic In Va Vb Vc Vn) of INT32 value + 32-bit quality. */
#define GS_SV_LE_CHANNELS 8
#define GS_SV_LE_OCTETS   64

/* Quality bits of a 9-2LE channel (IEC 61850-7-3 Quality as 9-2 packs it). */
#define GS_SV_Q_VALIDITY(q) ((unsigned)((q)&0x3u)) /* 0 good, 1 invalid, 3 questionable */
#define GS_SV_Q_TEST        0x00000800u
#define GS_SV_Q_DERIVED     0x00002000u

struct gs_sv_asdu {
    uint32_t present; /* GS_SV_F_* */
    enum gs_l2pdu_status status;
    struct gs_span sv_id, dat_set;
    uint32_t smp_cnt;  /* unsigned big-endian of its encoded length (publishers use 2 octets) */
    uint32_t conf_rev; /* idem (4 octets) */
    struct gs_utc_time refr_tm;
    uint32_t smp_synch; /* 0 none, 1 local, 2 global; Ed.2: 5..254 grandmaster id */
    uint32_t smp_rate;
    uint32_t smp_mod; /* 0 samples per period, 1 per second, 2 seconds per sample */
    struct gs_span seq_data;
    struct gs_span gmid; /* gmidData: grandmaster identity (8 octets) */
    bool le_9_2;         /* seqData is exactly 64 octets: the 8 channels below are decoded */
    int32_t value[GS_SV_LE_CHANNELS];
    uint32_t quality[GS_SV_LE_CHANNELS];
};

struct gs_sv_event {
    /* Carrier: a layer-2 frame, a tunnelled frame or an R-SV payload element. */
    const struct gs_rsession *session;  /* NULL for a layer-2 frame */
    const struct gs_sec_info *security; /* never NULL */
    uint16_t appid;
    bool has_header; /* the 8-octet header was on the wire (not for R-SV elements) */
    uint16_t length;
    uint16_t reserved1;
    uint16_t reserved2;
    bool simulated; /* Reserved1 S bit, or the R-SV element's simulation octet */

    enum gs_l2pdu_status status;
    bool has_pdu;        /* a savPdu (60) was found */
    struct gs_span apdu; /* its TLV, captured octets */
    bool has_no_asdu;
    uint32_t no_asdu;            /* noASDU as sent */
    struct gs_span pdu_security; /* savPdu [1] security (reserved by 9-2), empty if absent */

    const struct gs_sv_asdu *asdus; /* the first n_asdus ASDUs, in order */
    size_t n_asdus;
    uint32_t asdus_seen; /* ASDUs in seqASDU, including any past the cap */
    bool asdus_capped;   /* more than sv.max_asdus ASDUs: the rest were not decoded */
};

/* The anomaly names the SV decoder emits (list them in every dissector that calls it). */
#define GS_SV_ANOMALY_NAMES                                                                        \
    "sv.short_header", "sv.bad_length", "sv.length_exceeds_frame", "sv.apdu_length_mismatch",      \
        "sv.bad_apdu_tag", "sv.malformed", "sv.truncated", "sv.missing_field", "sv.field_order",   \
        "sv.unknown_field", "sv.bad_field", "sv.bad_asdu_count", "sv.asdu_count_mismatch",         \
        "sv.too_many_asdus", "sv.reserved_nonzero", "sv.trailing_bytes", "sv.ext_length_mismatch", \
        "sv.ext_crc_mismatch", "sv.ext_malformed", "sv.ext_unknown", "sv.appid_out_of_range"

/*
 * Decodes one layer-2 unit (`unit` views the octets after EtherType 0x88BA, APPID first) and
 * emits its event and anomalies; `session`/`session_sec` as for gs_goose_decode_l2. `asdus`
 * (cap of them) is the caller's scratch.
 */
size_t gs_sv_decode_l2(const struct gs_pkt_ctx *ctx, struct gs_cursor unit,
                       const struct gs_rsession *session, const struct gs_sec_info *session_sec,
                       struct gs_sv_asdu *asdus, size_t cap);

/* Decodes the savPdu of an R-SV payload element and emits its event. */
size_t gs_sv_decode_element(const struct gs_pkt_ctx *ctx, struct gs_cursor apdu, uint16_t appid,
                            bool simulated, const struct gs_rsession *session,
                            const struct gs_sec_info *sec, struct gs_sv_asdu *asdus, size_t cap);

#endif
