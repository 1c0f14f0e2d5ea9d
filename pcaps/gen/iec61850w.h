/*
 * iec61850w.h - GOOSE, Sampled Values and R-GOOSE/R-SV builders for the project's capture
 * generators and unit tests: BER TLVs (minimal lengths), IECGoosePdu (IEC 61850-8-1), savPdu
 * (9-2), the 8-octet layer-2 header, and the 90-5 session header (v1 and v2).
 *
 * Every builder writes into a caller buffer and exits the generator when it would overflow, so
 * the same calls always give the same bytes.
 */
#ifndef GS_PCAPS_IEC61850W_H
#define GS_PCAPS_IEC61850W_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing byte string in a caller buffer. */
struct gs_berw {
    uint8_t *buf;
    size_t cap;
    size_t n;
};

void gs_berw_init(struct gs_berw *w, uint8_t *buf, size_t cap);
void gs_berw_raw(struct gs_berw *w, const void *data, size_t len);
void gs_berw_u8(struct gs_berw *w, uint8_t v);
void gs_berw_be16(struct gs_berw *w, uint16_t v);
void gs_berw_be32(struct gs_berw *w, uint32_t v);
/* tag | minimal length | data (tag is one identifier octet). */
void gs_berw_tlv(struct gs_berw *w, uint8_t tag, const void *data, size_t len);
/* An unsigned value in the fewest octets, with a leading 00 when the top bit is set. */
void gs_berw_uint(struct gs_berw *w, uint8_t tag, uint64_t v);
/* An unsigned value in exactly `size` octets (as SV publishers write smpCnt and confRev). */
void gs_berw_uint_fixed(struct gs_berw *w, uint8_t tag, uint64_t v, size_t size);
/* A two's-complement INTEGER in the fewest octets. */
void gs_berw_int(struct gs_berw *w, uint8_t tag, int64_t v);
void gs_berw_str(struct gs_berw *w, uint8_t tag, const char *s);
void gs_berw_bool(struct gs_berw *w, uint8_t tag, bool v);
/* UtcTime: seconds, 24-bit fraction, quality. */
void gs_berw_utc(struct gs_berw *w, uint8_t tag, uint32_t secs, uint32_t frac, uint8_t quality);
/* IEEE-754 single as MMS floating-point (08 + 4 octets). */
void gs_berw_float32(struct gs_berw *w, uint8_t tag, uint32_t bits);

/* IECGoosePdu fields (an optional goID when go_id is NULL). */
struct gs_goose_spec {
    const char *gocb_ref;
    uint32_t ttl_ms;
    const char *dat_set;
    const char *go_id;
    uint32_t t_secs, t_frac;
    uint8_t t_quality;
    uint32_t st_num, sq_num;
    bool simulation;
    uint32_t conf_rev;
    bool nds_com;
    uint32_t entries;
    const uint8_t *all_data; /* the contents of allData: Data TLVs back to back */
    size_t all_data_len;
};

/* Writes the goosePdu TLV (61 LL ...); returns its length. */
size_t gs_goose_apdu(uint8_t *out, size_t cap, const struct gs_goose_spec *s);

struct gs_sv_asdu_spec {
    const char *sv_id;
    const char *dat_set; /* optional */
    uint16_t smp_cnt;
    uint32_t conf_rev;
    bool has_refr_tm;
    uint32_t refr_secs, refr_frac;
    uint8_t smp_synch;
    bool has_smp_rate;
    uint16_t smp_rate;
    const uint8_t *seq_data;
    size_t seq_len;
    bool has_smp_mod;
    uint16_t smp_mod;
    const uint8_t *gmid; /* optional, 8 octets */
};

/* Writes the savPdu TLV (60 LL ...) with n ASDUs; returns its length. */
size_t gs_sv_apdu(uint8_t *out, size_t cap, const struct gs_sv_asdu_spec *asdus, size_t n);

/* 9-2LE seqData: 8 channels of value and quality into 64 octets. */
void gs_sv_le_seq_data(uint8_t out[64], const int32_t value[8], const uint32_t quality[8]);

/* APPID | Length (8 + apdu_len) | Reserved1 | Reserved2 | APDU; returns the length. */
size_t gs_l2pdu(uint8_t *out, size_t cap, uint16_t appid, uint16_t reserved1, uint16_t reserved2,
                const uint8_t *apdu, size_t apdu_len);

/* CRC-16/X-25 (the IEC 62351-6:2007 Reserved2 check over EtherType..Reserved1). */
uint16_t gs_crc16_x25(const uint8_t *p, size_t n);

/* R-GOOSE/R-SV session header fields. */
struct gs_rsession_spec {
    uint8_t si;       /* A0 tunnel, A1 GOOSE, A2 SV, A3 management */
    uint16_t version; /* 1 or 2 */
    uint32_t spdu_num;
    uint32_t tock;   /* time of current key */
    int16_t ttnk;    /* time to next key, minutes */
    uint8_t enc_alg; /* v1 */
    uint8_t mac_alg; /* v1 */
    uint8_t key_id[4];
    const uint8_t *iv; /* v2 */
    uint8_t iv_len;    /* v2 */
};

/*
 * Writes CLTP 01 40, the session header with correct LI values, the payload length and the
 * payload elements (already encoded, `payload_len` octets) and returns the length; the SPDU
 * length is written as the octets after it up to the end of the payload (signature excluded),
 * as the post-2012 reference encoder writes it. *si_off receives the SI's offset and
 * *payload_off where the elements start.
 */
size_t gs_rsession_spdu(uint8_t *out, size_t cap, const struct gs_rsession_spec *s,
                        const uint8_t *payload, size_t payload_len, size_t *si_off,
                        size_t *payload_off);

/* A payload element: tag | sim | APPID | APDU length | APDU; returns its length. */
size_t gs_rsession_element(uint8_t *out, size_t cap, uint8_t tag, uint8_t sim, uint16_t appid,
                           const uint8_t *apdu, size_t apdu_len);

#endif
