/*
 * tls.h - the TLS dissector (SSL 2.0 ClientHello form to TLS 1.3) and its events.
 *
 * One event per clear-text handshake message of interest, alert, ChangeCipherSpec and
 * renegotiation, each pointing at the session facts gathered so far on the connection
 * (negotiated version and suite, SNI, JA3/JA4, who authenticated), so a detector can judge
 * a message without keeping per-flow state of its own.
 */
#ifndef GS_DISSECTORS_TLS_H
#define GS_DISSECTORS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dissector.h"

extern const struct gs_dissector gs_tls_dissector;

enum gs_tls_msg {
    GS_TLS_CLIENT_HELLO,        /* client_hello set */
    GS_TLS_SERVER_HELLO,        /* server_hello set (a HelloRetryRequest too: hrr) */
    GS_TLS_CERTIFICATE,         /* certificates set; ctx->flow->dir tells whose chain */
    GS_TLS_SERVER_KEY_EXCHANGE, /* session->kx_group / dh_bits filled when readable */
    GS_TLS_CERTIFICATE_REQUEST, /* the server asks the client to authenticate */
    GS_TLS_SERVER_HELLO_DONE,
    GS_TLS_CLIENT_KEY_EXCHANGE, /* also SSL 2.0 CLIENT-MASTER-KEY */
    GS_TLS_CERTIFICATE_VERIFY,
    GS_TLS_NEW_SESSION_TICKET,
    GS_TLS_CHANGE_CIPHER_SPEC, /* what follows in this direction is encrypted */
    GS_TLS_ALERT,              /* alert set */
    GS_TLS_RENEGOTIATION,      /* the client started another (encrypted) handshake */
    GS_TLS_HEARTBEAT,          /* a heartbeat record (RFC 6520) */
    GS_TLS_PLAINTEXT,          /* the flow is not TLS; plaintext names what it looks like */
};

/* Facts about the connection, kept in the flow state and updated as messages arrive. */
struct gs_tls_session {
    const char *inner;        /* protocol TLS protects, by server port ("iec104"), or NULL */
    uint32_t handshakes;      /* ClientHellos seen in clear */
    uint32_t renegotiations;  /* encrypted handshakes the client started after the first */
    uint16_t client_version;  /* highest version the client offered */
    uint16_t version;         /* negotiated version; 0 until a ServerHello */
    uint32_t suite;           /* selected suite (SSL 2.0: 3-byte cipher kind); valid with version */
    bool sslv2;               /* the SSL 2.0 protocol was negotiated */
    bool tls13;               /* TLS 1.3 (or a draft of it) was negotiated */
    bool hrr;                 /* the server sent a HelloRetryRequest in this handshake */
    bool resumed;             /* abbreviated handshake: session id or ticket, or a 1.3 PSK */
    bool client_secure_reneg; /* ClientHello had renegotiation_info or its SCSV (RFC 5746) */
    bool server_secure_reneg; /* ServerHello had renegotiation_info */
    bool server_certificate;  /* the server sent its Certificate in this handshake */
    bool cert_requested;      /* the server sent a CertificateRequest */
    bool client_certificate;  /* the client sent a Certificate message */
    uint16_t client_cert_count;
    bool established;  /* handshake content is encrypted from here on in both directions */
    uint16_t kx_group; /* (EC)DHE named group from ServerKeyExchange, 0 if unknown */
    uint16_t dh_bits;  /* finite-field DHE prime size, 0 if not DHE */
    char sni[256];     /* server_name (bytes outside printable ASCII as '?'), "" if none */
    char alpn[64];     /* first ALPN protocol offered, same treatment, "" if none */
    char ja3[33];      /* MD5 hex of the JA3 string of the last ClientHello, "" if none */
    char ja3s[33];     /* MD5 hex of the JA3S string of the last ServerHello */
    char ja4[40];      /* JA4 fingerprint of the last ClientHello, "" if not computed */
};

struct gs_tls_client_hello {
    uint16_t version;      /* legacy_version (the version field of the SSL 2.0 form) */
    uint16_t max_version;  /* highest non-GREASE supported_versions entry, else version */
    bool sslv2_form;       /* sent in the SSL 2.0 record format */
    struct gs_span suites; /* as sent: suite_len bytes each */
    uint8_t suite_len;     /* 2, or 3 for SSL 2.0 cipher kinds */
    size_t n_suites;
    struct gs_span session_id;
    size_t n_extensions;
    bool compression;    /* a compression method other than null was offered */
    bool reneg_info;     /* renegotiation_info extension */
    bool reneg_scsv;     /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
    bool fallback_scsv;  /* TLS_FALLBACK_SCSV: a downgraded retry */
    bool session_ticket; /* a non-empty session ticket (resumption attempt) */
    bool psk;            /* pre_shared_key (TLS 1.3 resumption) */
    bool early_data;
    bool heartbeat;
    struct gs_span groups;   /* supported_groups entries, 2 bytes each */
    struct gs_span sig_algs; /* signature_algorithms entries, 2 bytes each */
    struct gs_span versions; /* supported_versions entries, 2 bytes each */
};

struct gs_tls_server_hello {
    uint16_t legacy_version;
    uint16_t version; /* selected: supported_versions when present, else legacy_version */
    uint32_t suite;
    uint8_t compression;
    bool sslv2_form;
    bool hrr;        /* a HelloRetryRequest (RFC 8446 4.1.3) */
    bool resumed;    /* echoes the client's session id, or accepts its PSK */
    bool reneg_info; /* renegotiation_info extension */
    bool heartbeat;
    size_t n_extensions;
    struct gs_span session_id;
};

enum gs_tls_key_type {
    GS_TLS_KEY_UNKNOWN,
    GS_TLS_KEY_RSA,
    GS_TLS_KEY_RSA_PSS,
    GS_TLS_KEY_DSA,
    GS_TLS_KEY_DH,
    GS_TLS_KEY_EC,
    GS_TLS_KEY_ED25519,
    GS_TLS_KEY_ED448,
};

/* The hash of a certificate signature algorithm. */
enum gs_tls_hash {
    GS_TLS_HASH_UNKNOWN,
    GS_TLS_HASH_INTRINSIC, /* EdDSA: the algorithm defines its own hashing */
    GS_TLS_HASH_MD2,
    GS_TLS_HASH_MD4,
    GS_TLS_HASH_MD5,
    GS_TLS_HASH_SHA1,
    GS_TLS_HASH_SHA224,
    GS_TLS_HASH_SHA256,
    GS_TLS_HASH_SHA384,
    GS_TLS_HASH_SHA512,
    GS_TLS_HASH_OTHER,
};

/* The names of a key type ("RSA", "EC", ...) and of a signature hash ("SHA256", ...), as
 * records and alerts show them; "unknown" for GS_TLS_*_UNKNOWN and values out of range. */
const char *gs_tls_key_type_name(enum gs_tls_key_type t);
const char *gs_tls_hash_name(enum gs_tls_hash h);

/* What an X.509 certificate says, as OpenSSL decodes it. */
struct gs_tls_cert {
    size_t der_len;
    bool parsed;       /* OpenSSL decoded it; the fields below are valid */
    char subject[256]; /* RFC 2253 form, truncated */
    char issuer[256];
    char serial[41];    /* hex of the serial number's octets (at most 20) */
    bool has_validity;  /* not_before / not_after could be read */
    int64_t not_before; /* Unix seconds */
    int64_t not_after;
    enum gs_tls_key_type key_type;
    uint32_t key_bits;
    char curve[32];   /* EC group name, "" otherwise */
    char sig_alg[48]; /* signature algorithm, OpenSSL's long name */
    enum gs_tls_hash sig_hash;
    bool self_signed;   /* issuer names the subject (and key identifiers agree) */
    uint8_t sha256[32]; /* fingerprint of the DER */
};

struct gs_tls_certificates {
    const struct gs_tls_cert *certs; /* n_certs of them, leaf first */
    size_t n_certs;                  /* decoded (at most tls.max_certificates) */
    size_t n_total;                  /* in the message */
};

struct gs_tls_alert {
    bool encrypted; /* level and description are unreadable */
    uint8_t level;  /* 1 warning, 2 fatal */
    uint8_t description;
};

struct gs_tls_event {
    enum gs_tls_msg msg;
    const struct gs_tls_session *session;
    const struct gs_tls_client_hello *client_hello;
    const struct gs_tls_server_hello *server_hello;
    const struct gs_tls_certificates *certificates;
    const struct gs_tls_alert *alert;
    const char *plaintext; /* GS_TLS_PLAINTEXT: "iec104", "dnp3", "mms", "http" or NULL */
    size_t record_len;     /* GS_TLS_HEARTBEAT, GS_TLS_RENEGOTIATION: the record's length */
};

#endif
