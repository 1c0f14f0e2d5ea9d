/*
 * iec61850w.c - GOOSE, SV and R-GOOSE/R-SV builders (see iec61850w.h).
 */
#include "iec61850w.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH 4096

static void die(const char *what)
{
    fprintf(stderr, "iec61850w: %s\n", what);
    exit(1);
}

void gs_berw_init(struct gs_berw *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->n = 0;
}

void gs_berw_raw(struct gs_berw *w, const void *data, size_t len)
{
    if (len > w->cap - w->n)
        die("buffer too small");
    if (len > 0)
        memcpy(w->buf + w->n, data, len);
    w->n += len;
}

void gs_berw_u8(struct gs_berw *w, uint8_t v)
{
    gs_berw_raw(w, &v, 1);
}

void gs_berw_be16(struct gs_berw *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    gs_berw_raw(w, b, 2);
}

void gs_berw_be32(struct gs_berw *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    gs_berw_raw(w, b, 4);
}

void gs_berw_tlv(struct gs_berw *w, uint8_t tag, const void *data, size_t len)
{
    gs_berw_u8(w, tag);
    if (len < 0x80) {
        gs_berw_u8(w, (uint8_t)len);
    } else if (len <= 0xFF) {
        gs_berw_u8(w, 0x81);
        gs_berw_u8(w, (uint8_t)len);
    } else if (len <= 0xFFFF) {
        gs_berw_u8(w, 0x82);
        gs_berw_be16(w, (uint16_t)len);
    } else {
        die("TLV too long");
    }
    gs_berw_raw(w, data, len);
}

void gs_berw_uint_fixed(struct gs_berw *w, uint8_t tag, uint64_t v, size_t size)
{
    uint8_t b[8];
    if (size == 0 || size > 8)
        die("bad integer size");
    for (size_t i = 0; i < size; i++)
        b[i] = (uint8_t)(v >> (8 * (size - 1 - i)));
    gs_berw_tlv(w, tag, b, size);
}

void gs_berw_uint(struct gs_berw *w, uint8_t tag, uint64_t v)
{
    uint8_t b[9];
    size_t n = 1;
    while (n < 8 && (v >> (8 * n)) != 0)
        n++;
    size_t off = 0;
    if ((v >> (8 * n - 1)) & 1u)
        b[off++] = 0;
    for (size_t i = 0; i < n; i++)
        b[off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    gs_berw_tlv(w, tag, b, off + n);
}

void gs_berw_int(struct gs_berw *w, uint8_t tag, int64_t v)
{
    uint8_t b[8];
    size_t n = 8;
    uint64_t u = (uint64_t)v;
    for (size_t i = 0; i < 8; i++)
        b[i] = (uint8_t)(u >> (8 * (7 - i)));
    size_t start = 0;
    /* Drop leading octets that only repeat the sign. */
    while (start < 7 && ((b[start] == 0x00 && (b[start + 1] & 0x80u) == 0) ||
                         (b[start] == 0xFF && (b[start + 1] & 0x80u) != 0)))
        start++;
    gs_berw_tlv(w, tag, b + start, n - start);
}

void gs_berw_str(struct gs_berw *w, uint8_t tag, const char *s)
{
    gs_berw_tlv(w, tag, s, strlen(s));
}

void gs_berw_bool(struct gs_berw *w, uint8_t tag, bool v)
{
    uint8_t b = v ? 0x01 : 0x00;
    gs_berw_tlv(w, tag, &b, 1);
}

void gs_berw_utc(struct gs_berw *w, uint8_t tag, uint32_t secs, uint32_t frac, uint8_t quality)
{
    uint8_t b[8] = {
        (uint8_t)(secs >> 24), (uint8_t)(secs >> 16), (uint8_t)(secs >> 8), (uint8_t)secs,
        (uint8_t)(frac >> 16), (uint8_t)(frac >> 8),  (uint8_t)frac,        quality};
    gs_berw_tlv(w, tag, b, 8);
}

void gs_berw_float32(struct gs_berw *w, uint8_t tag, uint32_t bits)
{
    uint8_t b[5] = {0x08, (uint8_t)(bits >> 24), (uint8_t)(bits >> 16), (uint8_t)(bits >> 8),
                    (uint8_t)bits};
    gs_berw_tlv(w, tag, b, 5);
}

size_t gs_goose_apdu(uint8_t *out, size_t cap, const struct gs_goose_spec *s)
{
    uint8_t body[SCRATCH];
    struct gs_berw b;
    gs_berw_init(&b, body, sizeof(body));
    gs_berw_str(&b, 0x80, s->gocb_ref);
    gs_berw_uint(&b, 0x81, s->ttl_ms);
    gs_berw_str(&b, 0x82, s->dat_set);
    if (s->go_id != NULL)
        gs_berw_str(&b, 0x83, s->go_id);
    gs_berw_utc(&b, 0x84, s->t_secs, s->t_frac, s->t_quality);
    gs_berw_uint(&b, 0x85, s->st_num);
    gs_berw_uint(&b, 0x86, s->sq_num);
    gs_berw_bool(&b, 0x87, s->simulation);
    gs_berw_uint(&b, 0x88, s->conf_rev);
    gs_berw_bool(&b, 0x89, s->nds_com);
    gs_berw_uint(&b, 0x8A, s->entries);
    gs_berw_tlv(&b, 0xAB, s->all_data, s->all_data_len);
    struct gs_berw w;
    gs_berw_init(&w, out, cap);
    gs_berw_tlv(&w, 0x61, body, b.n);
    return w.n;
}

size_t gs_sv_apdu(uint8_t *out, size_t cap, const struct gs_sv_asdu_spec *asdus, size_t n)
{
    uint8_t seq[SCRATCH];
    struct gs_berw q;
    gs_berw_init(&q, seq, sizeof(seq));
    for (size_t i = 0; i < n; i++) {
        const struct gs_sv_asdu_spec *a = &asdus[i];
        uint8_t body[1024];
        struct gs_berw b;
        gs_berw_init(&b, body, sizeof(body));
        gs_berw_str(&b, 0x80, a->sv_id);
        if (a->dat_set != NULL)
            gs_berw_str(&b, 0x81, a->dat_set);
        gs_berw_uint_fixed(&b, 0x82, a->smp_cnt, 2);
        gs_berw_uint_fixed(&b, 0x83, a->conf_rev, 4);
        if (a->has_refr_tm)
            gs_berw_utc(&b, 0x84, a->refr_secs, a->refr_frac, 0x0A);
        gs_berw_uint_fixed(&b, 0x85, a->smp_synch, 1);
        if (a->has_smp_rate)
            gs_berw_uint_fixed(&b, 0x86, a->smp_rate, 2);
        gs_berw_tlv(&b, 0x87, a->seq_data, a->seq_len);
        if (a->has_smp_mod)
            gs_berw_uint_fixed(&b, 0x88, a->smp_mod, 2);
        if (a->gmid != NULL)
            gs_berw_tlv(&b, 0x89, a->gmid, 8);
        gs_berw_tlv(&q, 0x30, body, b.n);
    }
    uint8_t pdu[SCRATCH];
    struct gs_berw p;
    gs_berw_init(&p, pdu, sizeof(pdu));
    gs_berw_uint(&p, 0x80, n);
    gs_berw_tlv(&p, 0xA2, seq, q.n);
    struct gs_berw w;
    gs_berw_init(&w, out, cap);
    gs_berw_tlv(&w, 0x60, pdu, p.n);
    return w.n;
}

void gs_sv_le_seq_data(uint8_t out[64], const int32_t value[8], const uint32_t quality[8])
{
    for (int i = 0; i < 8; i++) {
        uint32_t v = (uint32_t)value[i];
        uint32_t q = quality[i];
        for (int k = 0; k < 4; k++) {
            out[8 * i + k] = (uint8_t)(v >> (24 - 8 * k));
            out[8 * i + 4 + k] = (uint8_t)(q >> (24 - 8 * k));
        }
    }
}

size_t gs_l2pdu(uint8_t *out, size_t cap, uint16_t appid, uint16_t reserved1, uint16_t reserved2,
                const uint8_t *apdu, size_t apdu_len)
{
    struct gs_berw w;
    gs_berw_init(&w, out, cap);
    gs_berw_be16(&w, appid);
    gs_berw_be16(&w, (uint16_t)(8 + apdu_len));
    gs_berw_be16(&w, reserved1);
    gs_berw_be16(&w, reserved2);
    gs_berw_raw(&w, apdu, apdu_len);
    return w.n;
}

uint16_t gs_crc16_x25(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0x8408u) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)~crc;
}

size_t gs_rsession_spdu(uint8_t *out, size_t cap, const struct gs_rsession_spec *s,
                        const uint8_t *payload, size_t payload_len, size_t *si_off,
                        size_t *payload_off)
{
    struct gs_berw w;
    gs_berw_init(&w, out, cap);
    gs_berw_u8(&w, 0x01); /* CLTP LI */
    gs_berw_u8(&w, 0x40); /* UD */
    *si_off = w.n;
    /* common header content: len 4, num 4, version 2, TOCK 4, TTNK 2, then the version's part */
    size_t common = 16 + (s->version == 1 ? 6u : 5u + s->iv_len);
    gs_berw_u8(&w, s->si);
    gs_berw_u8(&w, (uint8_t)(common + 2));
    gs_berw_u8(&w, 0x80);
    gs_berw_u8(&w, (uint8_t)common);
    /* SPDU length: from after this field to the end of the payload */
    size_t after = (common - 4) + 4 + payload_len;
    gs_berw_be32(&w, (uint32_t)after);
    gs_berw_be32(&w, s->spdu_num);
    gs_berw_be16(&w, s->version);
    gs_berw_be32(&w, s->tock);
    gs_berw_be16(&w, (uint16_t)s->ttnk);
    if (s->version == 1) {
        gs_berw_u8(&w, s->enc_alg);
        gs_berw_u8(&w, s->mac_alg);
        gs_berw_raw(&w, s->key_id, 4);
    } else {
        gs_berw_raw(&w, s->key_id, 4);
        gs_berw_u8(&w, s->iv_len);
        gs_berw_raw(&w, s->iv, s->iv_len);
    }
    gs_berw_be32(&w, (uint32_t)payload_len);
    *payload_off = w.n;
    gs_berw_raw(&w, payload, payload_len);
    return w.n;
}

size_t gs_rsession_element(uint8_t *out, size_t cap, uint8_t tag, uint8_t sim, uint16_t appid,
                           const uint8_t *apdu, size_t apdu_len)
{
    struct gs_berw w;
    gs_berw_init(&w, out, cap);
    gs_berw_u8(&w, tag);
    gs_berw_u8(&w, sim);
    gs_berw_be16(&w, appid);
    gs_berw_be16(&w, (uint16_t)apdu_len);
    gs_berw_raw(&w, apdu, apdu_len);
    return w.n;
}
