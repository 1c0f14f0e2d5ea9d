/*
 * tlsw.h - TLS record and handshake-message builders for the project's generated captures and
 * the unit tests (RFC 5246, RFC 8446 layouts). Deterministic: "random" fields come from a
 * seeded generator, so the same calls give the same bytes. Nothing here encrypts: bytes that
 * would be ciphertext are pseudo-random of the right length.
 */
#ifndef GS_PCAPS_TLSW_H
#define GS_PCAPS_TLSW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An output buffer of fixed capacity; writing past it exits the generator (a bug). */
struct gs_tlsw {
    uint8_t *buf;
    size_t cap;
    size_t len;
};

void gs_tlsw_init(struct gs_tlsw *w, uint8_t *buf, size_t cap);
void gs_tlsw_u8(struct gs_tlsw *w, unsigned v);
void gs_tlsw_u16(struct gs_tlsw *w, unsigned v);
void gs_tlsw_u24(struct gs_tlsw *w, unsigned v);
void gs_tlsw_bytes(struct gs_tlsw *w, const void *data, size_t len);
/* Pseudo-random bytes from *seed (xorshift32; a zero seed is replaced by a constant). */
void gs_tlsw_random(struct gs_tlsw *w, size_t len, uint32_t *seed);
/* A length field of `width` bytes to be filled by gs_tlsw_close with what follows it. */
size_t gs_tlsw_open(struct gs_tlsw *w, size_t width);
void gs_tlsw_close(struct gs_tlsw *w, size_t mark, size_t width);

struct gs_tlsw_client_hello {
    uint16_t version; /* legacy_version */
    const uint16_t *suites;
    size_t n_suites;
    const char *sni;          /* NULL: no server_name extension */
    bool reneg_info;          /* an empty renegotiation_info extension */
    const uint16_t *versions; /* supported_versions; n_versions 0: none */
    size_t n_versions;
    const uint16_t *groups; /* supported_groups (and a key_share of the first, for TLS 1.3) */
    size_t n_groups;
    const uint16_t *sig_algs;
    size_t n_sig_algs;
    const char *alpn; /* NULL: none */
    const uint8_t *session_id;
    size_t session_id_len;
    bool session_ticket; /* an empty session_ticket extension */
    bool no_extensions;  /* SSL 3.0 style: no extension block at all */
    uint32_t seed;
};

struct gs_tlsw_server_hello {
    uint16_t version; /* legacy_version */
    uint16_t suite;
    uint16_t selected_version; /* supported_versions, 0: none */
    bool reneg_info;
    bool hrr; /* the HelloRetryRequest random */
    const uint8_t *session_id;
    size_t session_id_len;
    uint16_t key_share_group; /* 0: none */
    uint32_t seed;
};

struct gs_tlsw_der {
    const uint8_t *der;
    size_t len;
};

/* Handshake messages (4-byte header included), appended to w. */
void gs_tlsw_client_hello(struct gs_tlsw *w, const struct gs_tlsw_client_hello *ch);
void gs_tlsw_server_hello(struct gs_tlsw *w, const struct gs_tlsw_server_hello *sh);
void gs_tlsw_certificate(struct gs_tlsw *w, const struct gs_tlsw_der *certs, size_t n);
/* ServerKeyExchange for ECDHE (named group, a 65-byte point, signature 0x0401 of sig_len). */
void gs_tlsw_ske_ecdhe(struct gs_tlsw *w, uint16_t group, size_t sig_len, uint32_t *seed);
/* CertificateRequest (TLS 1.2 form): rsa_sign and ecdsa_sign, two algorithms, no CAs. */
void gs_tlsw_cert_request(struct gs_tlsw *w);
/* ClientKeyExchange: an ECDHE point (65 bytes, 1-byte length) or an RSA-encrypted premaster
 * secret (256 bytes, 2-byte length). */
void gs_tlsw_client_kx(struct gs_tlsw *w, bool ecdhe, uint32_t *seed);
/* Any message type with a pseudo-random body of len bytes (CKE, CertificateVerify, ...). */
void gs_tlsw_opaque(struct gs_tlsw *w, uint8_t type, size_t len, uint32_t *seed);

/* Wraps `len` bytes of content into records of `type` of at most max_fragment bytes each;
 * appends to w. */
void gs_tlsw_records(struct gs_tlsw *w, uint8_t type, uint16_t version, const uint8_t *data,
                     size_t len, size_t max_fragment);
/* One record of pseudo-random content (ciphertext stand-in). */
void gs_tlsw_opaque_record(struct gs_tlsw *w, uint8_t type, uint16_t version, size_t len,
                           uint32_t *seed);

#endif
