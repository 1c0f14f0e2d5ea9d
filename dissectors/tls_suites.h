/*
 * tls_suites.h - names and properties of TLS protocol values: versions, cipher suites (IANA
 * registry, with the SSL 2.0 cipher kinds), alert descriptions, handshake types and named
 * groups. Shared by the TLS dissector, the 62351-3 profile detector and the JSON formatter.
 */
#ifndef GS_DISSECTORS_TLS_SUITES_H
#define GS_DISSECTORS_TLS_SUITES_H

#include <stdbool.h>
#include <stdint.h>

/* Properties of a cipher suite, derived from its registered name. */
#define GS_TLS_SUITE_UNKNOWN     (1u << 0) /* not in the registry table */
#define GS_TLS_SUITE_NULL        (1u << 1) /* no encryption */
#define GS_TLS_SUITE_ANON        (1u << 2) /* anonymous key exchange: no peer authentication */
#define GS_TLS_SUITE_EXPORT      (1u << 3) /* export-grade (40/56-bit) */
#define GS_TLS_SUITE_RC4         (1u << 4)
#define GS_TLS_SUITE_DES         (1u << 5) /* single DES */
#define GS_TLS_SUITE_3DES        (1u << 6)
#define GS_TLS_SUITE_64BIT_BLOCK (1u << 7)  /* RC2, IDEA */
#define GS_TLS_SUITE_MD5         (1u << 8)  /* MD5 record MAC */
#define GS_TLS_SUITE_SCSV        (1u << 9)  /* a signalling value, not a suite */
#define GS_TLS_SUITE_SSL2        (1u << 10) /* an SSL 2.0 cipher kind */

/* What a client must not even offer (NULL, EXPORT, RC4, anonymous). */
#define GS_TLS_SUITE_WEAK_OFFER                                                                    \
    (GS_TLS_SUITE_NULL | GS_TLS_SUITE_ANON | GS_TLS_SUITE_EXPORT | GS_TLS_SUITE_RC4)
/* What is broken whatever the protocol version. */
#define GS_TLS_SUITE_INSECURE                                                                      \
    (GS_TLS_SUITE_WEAK_OFFER | GS_TLS_SUITE_DES | GS_TLS_SUITE_3DES | GS_TLS_SUITE_64BIT_BLOCK |   \
     GS_TLS_SUITE_MD5 | GS_TLS_SUITE_SSL2)

/* The IANA name of a suite (or SSL 2.0 cipher kind, ids above 0xFFFF), or NULL if unknown. */
const char *gs_tls_suite_name(uint32_t id);

/* The id of an IANA suite name; false if the name is not in the table. */
bool gs_tls_suite_by_name(const char *name, uint32_t *id);

/* GS_TLS_SUITE_* bits of a suite; GS_TLS_SUITE_UNKNOWN alone when it is not in the table. */
unsigned gs_tls_suite_flags(uint32_t id);

/* True for the GREASE values of RFC 8701 (0x0A0A, 0x1A1A, ..., 0xFAFA). */
bool gs_tls_is_grease(uint32_t v);

/* "SSL 2.0" .. "TLS 1.3", "TLS 1.3 draft", or NULL for an unknown version value. */
const char *gs_tls_version_name(uint32_t v);

/* Alert description name ("handshake_failure"), or NULL. */
const char *gs_tls_alert_name(uint8_t description);

/* Handshake message type name ("client_hello"), or NULL. */
const char *gs_tls_handshake_name(uint8_t type);

/* Named group ("x25519", "secp256r1", "ffdhe2048"), or NULL. */
const char *gs_tls_group_name(uint16_t group);

#endif
