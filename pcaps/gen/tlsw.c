/*
 * tlsw.c - TLS builders (see tlsw.h).
 */
#include "tlsw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 8446 4.1.3: the ServerHello.random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

void gs_tlsw_init(struct gs_tlsw *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
}

static void room(struct gs_tlsw *w, size_t n)
{
    if (n > w->cap - w->len) {
        fprintf(stderr, "tlsw: buffer of %zu bytes too small\n", w->cap);
        exit(1);
    }
}

void gs_tlsw_u8(struct gs_tlsw *w, unsigned v)
{
    room(w, 1);
    w->buf[w->len++] = (uint8_t)v;
}

void gs_tlsw_u16(struct gs_tlsw *w, unsigned v)
{
    gs_tlsw_u8(w, (v >> 8) & 0xFFu);
    gs_tlsw_u8(w, v & 0xFFu);
}

void gs_tlsw_u24(struct gs_tlsw *w, unsigned v)
{
    gs_tlsw_u8(w, (v >> 16) & 0xFFu);
    gs_tlsw_u16(w, v & 0xFFFFu);
}

void gs_tlsw_bytes(struct gs_tlsw *w, const void *data, size_t len)
{
    room(w, len);
    if (len > 0)
        memcpy(w->buf + w->len, data, len);
    w->len += len;
}

void gs_tlsw_random(struct gs_tlsw *w, size_t len, uint32_t *seed)
{
    uint32_t x = *seed != 0 ? *seed : 0x2545F491u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        gs_tlsw_u8(w, x & 0xFFu);
    }
    *seed = x;
}

size_t gs_tlsw_open(struct gs_tlsw *w, size_t width)
{
    size_t mark = w->len;
    for (size_t i = 0; i < width; i++)
        gs_tlsw_u8(w, 0);
    return mark;
}

void gs_tlsw_close(struct gs_tlsw *w, size_t mark, size_t width)
{
    size_t n = w->len - mark - width;
    for (size_t i = 0; i < width; i++)
        w->buf[mark + i] = (uint8_t)(n >> (8 * (width - 1 - i)));
}

static size_t begin_message(struct gs_tlsw *w, uint8_t type)
{
    gs_tlsw_u8(w, type);
    return gs_tlsw_open(w, 3);
}

static void u16_list(struct gs_tlsw *w, const uint16_t *v, size_t n, size_t len_width)
{
    size_t m = gs_tlsw_open(w, len_width);
    for (size_t i = 0; i < n; i++)
        gs_tlsw_u16(w, v[i]);
    gs_tlsw_close(w, m, len_width);
}

void gs_tlsw_client_hello(struct gs_tlsw *w, const struct gs_tlsw_client_hello *ch)
{
    uint32_t seed = ch->seed;
    size_t msg = begin_message(w, 1);
    gs_tlsw_u16(w, ch->version);
    gs_tlsw_random(w, 32, &seed);
    gs_tlsw_u8(w, (unsigned)ch->session_id_len);
    gs_tlsw_bytes(w, ch->session_id, ch->session_id_len);
    u16_list(w, ch->suites, ch->n_suites, 2);
    gs_tlsw_u8(w, 1); /* compression_methods: null */
    gs_tlsw_u8(w, 0);
    if (!ch->no_extensions) {
        size_t exts = gs_tlsw_open(w, 2);
        if (ch->sni != NULL) {
            gs_tlsw_u16(w, 0x0000);
            size_t e = gs_tlsw_open(w, 2);
            size_t list = gs_tlsw_open(w, 2);
            gs_tlsw_u8(w, 0); /* host_name */
            gs_tlsw_u16(w, (unsigned)strlen(ch->sni));
            gs_tlsw_bytes(w, ch->sni, strlen(ch->sni));
            gs_tlsw_close(w, list, 2);
            gs_tlsw_close(w, e, 2);
        }
        if (ch->n_groups > 0) {
            gs_tlsw_u16(w, 0x000A);
            size_t e = gs_tlsw_open(w, 2);
            u16_list(w, ch->groups, ch->n_groups, 2);
            gs_tlsw_close(w, e, 2);
            gs_tlsw_u16(w, 0x000B); /* ec_point_formats: uncompressed */
            gs_tlsw_u16(w, 2);
            gs_tlsw_u8(w, 1);
            gs_tlsw_u8(w, 0);
        }
        if (ch->n_sig_algs > 0) {
            gs_tlsw_u16(w, 0x000D);
            size_t e = gs_tlsw_open(w, 2);
            u16_list(w, ch->sig_algs, ch->n_sig_algs, 2);
            gs_tlsw_close(w, e, 2);
        }
        if (ch->alpn != NULL) {
            gs_tlsw_u16(w, 0x0010);
            size_t e = gs_tlsw_open(w, 2);
            size_t list = gs_tlsw_open(w, 2);
            gs_tlsw_u8(w, (unsigned)strlen(ch->alpn));
            gs_tlsw_bytes(w, ch->alpn, strlen(ch->alpn));
            gs_tlsw_close(w, list, 2);
            gs_tlsw_close(w, e, 2);
        }
        if (ch->session_ticket) {
            gs_tlsw_u16(w, 0x0023);
            gs_tlsw_u16(w, 0);
        }
        if (ch->n_versions > 0) {
            gs_tlsw_u16(w, 0x002B);
            size_t e = gs_tlsw_open(w, 2);
            u16_list(w, ch->versions, ch->n_versions, 1);
            gs_tlsw_close(w, e, 2);
            if (ch->n_groups > 0) {
                gs_tlsw_u16(w, 0x0033); /* key_share: one 32-byte share of the first group */
                size_t ks = gs_tlsw_open(w, 2);
                size_t list = gs_tlsw_open(w, 2);
                gs_tlsw_u16(w, ch->groups[0]);
                gs_tlsw_u16(w, 32);
                gs_tlsw_random(w, 32, &seed);
                gs_tlsw_close(w, list, 2);
                gs_tlsw_close(w, ks, 2);
            }
        }
        if (ch->reneg_info) {
            gs_tlsw_u16(w, 0xFF01);
            gs_tlsw_u16(w, 1);
            gs_tlsw_u8(w, 0);
        }
        gs_tlsw_close(w, exts, 2);
    }
    gs_tlsw_close(w, msg, 3);
}

void gs_tlsw_server_hello(struct gs_tlsw *w, const struct gs_tlsw_server_hello *sh)
{
    uint32_t seed = sh->seed;
    size_t msg = begin_message(w, 2);
    gs_tlsw_u16(w, sh->version);
    if (sh->hrr)
        gs_tlsw_bytes(w, hrr_random, sizeof(hrr_random));
    else
        gs_tlsw_random(w, 32, &seed);
    gs_tlsw_u8(w, (unsigned)sh->session_id_len);
    gs_tlsw_bytes(w, sh->session_id, sh->session_id_len);
    gs_tlsw_u16(w, sh->suite);
    gs_tlsw_u8(w, 0);
    if (sh->selected_version != 0 || sh->reneg_info || sh->key_share_group != 0) {
        size_t exts = gs_tlsw_open(w, 2);
        if (sh->reneg_info) {
            gs_tlsw_u16(w, 0xFF01);
            gs_tlsw_u16(w, 1);
            gs_tlsw_u8(w, 0);
        }
        if (sh->selected_version != 0) {
            gs_tlsw_u16(w, 0x002B);
            gs_tlsw_u16(w, 2);
            gs_tlsw_u16(w, sh->selected_version);
        }
        if (sh->key_share_group != 0) {
            gs_tlsw_u16(w, 0x0033);
            size_t e = gs_tlsw_open(w, 2);
            gs_tlsw_u16(w, sh->key_share_group);
            if (!sh->hrr) {
                gs_tlsw_u16(w, 32);
                gs_tlsw_random(w, 32, &seed);
            }
            gs_tlsw_close(w, e, 2);
        }
        gs_tlsw_close(w, exts, 2);
    }
    gs_tlsw_close(w, msg, 3);
}

void gs_tlsw_certificate(struct gs_tlsw *w, const struct gs_tlsw_der *certs, size_t n)
{
    size_t msg = begin_message(w, 11);
    size_t list = gs_tlsw_open(w, 3);
    for (size_t i = 0; i < n; i++) {
        gs_tlsw_u24(w, (unsigned)certs[i].len);
        gs_tlsw_bytes(w, certs[i].der, certs[i].len);
    }
    gs_tlsw_close(w, list, 3);
    gs_tlsw_close(w, msg, 3);
}

void gs_tlsw_ske_ecdhe(struct gs_tlsw *w, uint16_t group, size_t sig_len, uint32_t *seed)
{
    size_t msg = begin_message(w, 12);
    gs_tlsw_u8(w, 3); /* named_curve */
    gs_tlsw_u16(w, group);
    gs_tlsw_u8(w, 65);
    gs_tlsw_u8(w, 4); /* uncompressed point */
    gs_tlsw_random(w, 64, seed);
    gs_tlsw_u16(w, 0x0401); /* rsa_pkcs1_sha256 */
    gs_tlsw_u16(w, (unsigned)sig_len);
    gs_tlsw_random(w, sig_len, seed);
    gs_tlsw_close(w, msg, 3);
}

void gs_tlsw_cert_request(struct gs_tlsw *w)
{
    size_t msg = begin_message(w, 13);
    gs_tlsw_u8(w, 2);
    gs_tlsw_u8(w, 1);  /* rsa_sign */
    gs_tlsw_u8(w, 64); /* ecdsa_sign */
    gs_tlsw_u16(w, 4);
    gs_tlsw_u16(w, 0x0401); /* rsa_pkcs1_sha256 */
    gs_tlsw_u16(w, 0x0403); /* ecdsa_secp256r1_sha256 */
    gs_tlsw_u16(w, 0);      /* certificate_authorities: none */
    gs_tlsw_close(w, msg, 3);
}

void gs_tlsw_client_kx(struct gs_tlsw *w, bool ecdhe, uint32_t *seed)
{
    size_t msg = begin_message(w, 16);
    if (ecdhe) {
        gs_tlsw_u8(w, 65);
        gs_tlsw_u8(w, 4);
        gs_tlsw_random(w, 64, seed);
    } else {
        gs_tlsw_u16(w, 256);
        gs_tlsw_random(w, 256, seed);
    }
    gs_tlsw_close(w, msg, 3);
}

void gs_tlsw_opaque(struct gs_tlsw *w, uint8_t type, size_t len, uint32_t *seed)
{
    size_t msg = begin_message(w, type);
    gs_tlsw_random(w, len, seed);
    gs_tlsw_close(w, msg, 3);
}

void gs_tlsw_records(struct gs_tlsw *w, uint8_t type, uint16_t version, const uint8_t *data,
                     size_t len, size_t max_fragment)
{
    size_t off = 0;
    do {
        size_t n = len - off < max_fragment ? len - off : max_fragment;
        gs_tlsw_u8(w, type);
        gs_tlsw_u16(w, version);
        gs_tlsw_u16(w, (unsigned)n);
        gs_tlsw_bytes(w, data + off, n);
        off += n;
    } while (off < len);
}

void gs_tlsw_opaque_record(struct gs_tlsw *w, uint8_t type, uint16_t version, size_t len,
                           uint32_t *seed)
{
    gs_tlsw_u8(w, type);
    gs_tlsw_u16(w, version);
    gs_tlsw_u16(w, (unsigned)len);
    gs_tlsw_random(w, len, seed);
}
