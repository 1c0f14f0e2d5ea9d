/*
 * tls.c - TLS records and handshake messages, SSL 2.0 ClientHello form to TLS 1.3.
 *
 * RFC 5246 (TLS 1.2) 6.2 records and 7.4 handshake, RFC 8446 (TLS 1.3) 4 and 5.1, RFC 6101
 * (SSL 3.0), the SSL 2.0 draft (Hickman 1995) record header, CLIENT-HELLO, SERVER-HELLO and
 * CLIENT-MASTER-KEY, RFC 5746 renegotiation_info, RFC 6066 server_name, RFC 7301 ALPN,
 * RFC 5077 session tickets, RFC 8701 GREASE; certificates (RFC 5280) decoded by OpenSSL.
 *
 *   TLS record (RFC 5246 6.2.1)               handshake message (RFC 5246 7.4)
 *   +------+---------+--------+----------+    +------+------------+----------------+
 *   | type | version | length | fragment |    | type | length     | body           |
 *   |  1   |    2    |   2    |  length  |    |  1   |     3      |    length      |
 *   +------+---------+--------+----------+    +------+------------+----------------+
 *   type 20 ChangeCipherSpec, 21 Alert, 22 Handshake, 23 ApplicationData, 24 Heartbeat
 *
 *   SSL 2.0 record: |1|len(15)| data   or   |0|e|len(14)| padding(8) | data
 *   CLIENT-HELLO  1 | version 2 | specs_len 2 | sid_len 2 | challenge_len 2 | specs | sid | ch
 *   SERVER-HELLO  4 | hit 1 | cert_type 1 | version 2 | cert_len 2 | specs_len 2 | cid_len 2 |
 *                   cert | specs | cid
 *
 * Layering: the stream layer hands in-order bytes; a record that is not complete is returned
 * INCOMPLETE with the bytes it still needs, so the stream layer buffers it (records are at most
 * 2^14 + 2048 bytes), except application data, whose bytes are skipped as they come so bulk
 * traffic is never copied. Handshake messages may span records (certificate chains do): the
 * bytes of such a message are gathered in the flow's buffer of tls.max_handshake_bytes.
 * After ChangeCipherSpec (TLS <= 1.2), or in both directions once a TLS 1.3 ServerHello has
 * been seen, records are only framed: their content is encrypted. A handshake record the
 * client sends after application data is the start of a renegotiation.
 */
#include "tls.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "compiler.h"
#include "names.h"
#include "tls_suites.h"

#define REC_HDR_LEN    5u
#define REC_MAX_LEN    (16384u + 2048u) /* RFC 5246 6.2.3: TLSCiphertext.length limit */
#define HS_HDR_LEN     4u
#define RANDOM_LEN     32u
#define MAX_SID_LEN    32u
#define JA4_MAX_VALUES 512u /* larger lists are legal but absurd: no JA4 then */
#define RESYNC_LIMIT   (2u * (REC_MAX_LEN + REC_HDR_LEN))

#define REC_CCS       20u
#define REC_ALERT     21u
#define REC_HANDSHAKE 22u
#define REC_APP_DATA  23u
#define REC_HEARTBEAT 24u

#define HS_HELLO_REQUEST 0u
#define HS_CLIENT_HELLO  1u
#define HS_SERVER_HELLO  2u
#define HS_NEW_TICKET    4u
#define HS_CERTIFICATE   11u
#define HS_SERVER_KX     12u
#define HS_CERT_REQUEST  13u
#define HS_SERVER_DONE   14u
#define HS_CERT_VERIFY   15u
#define HS_CLIENT_KX     16u

#define EXT_SERVER_NAME    0x0000u
#define EXT_GROUPS         0x000Au
#define EXT_POINT_FORMATS  0x000Bu
#define EXT_SIG_ALGS       0x000Du
#define EXT_HEARTBEAT      0x000Fu
#define EXT_ALPN           0x0010u
#define EXT_SESSION_TICKET 0x0023u
#define EXT_PSK            0x0029u
#define EXT_EARLY_DATA     0x002Au
#define EXT_VERSIONS       0x002Bu
#define EXT_RENEG_INFO     0xFF01u

#define SUITE_RENEG_SCSV    0x00FFu
#define SUITE_FALLBACK_SCSV 0x5600u

#define SSL2_CLIENT_HELLO      1u
#define SSL2_CLIENT_MASTER_KEY 2u
#define SSL2_SERVER_HELLO      4u

/* Bit 15 of the first SSL 2.0 header byte: a 2-byte header without padding. */
#define SSL2_IS_SHORT_HEADER(b0) (((b0)&0x80u) != 0)
#define SSL2_SHORT_LEN(b0, b1)   ((((unsigned)(b0)&0x7Fu) << 8) | (unsigned)(b1))
#define SSL2_LONG_LEN(b0, b1)    ((((unsigned)(b0)&0x3Fu) << 8) | (unsigned)(b1))

/* The ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest"), RFC 8446 4.1.3. */
static const uint8_t hrr_random[RANDOM_LEN] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static const char *const tls_event_names[] = {
    "tls.not_tls",
    "tls.bad_record",
    "tls.empty_fragment",
    "tls.bad_handshake",
    "tls.handshake_too_large",
    "tls.too_many_certificates",
    "tls.bad_certificate",
    "tls.resync",
    "tls.interleaved_handshake",
    "tls.unexpected_message",
    NULL,
};

/* IANA service names (digest tls_62351_3.md section 7): the power-system protocol a TLS
 * connection to this server port protects. The plain ports are listed too because some
 * deployments run TLS on them. */
static const struct {
    uint16_t port;
    const char *inner;
} inner_ports[] = {
    {19998, "iec104"}, /* iec-104-sec */
    {19999, "dnp3"},   /* dnp-sec */
    {3782, "mms"},     /* iso-tp0s, secure ISO TP0 (MMS / ICCP) */
    {2404, "iec104"},  {20000, "dnp3"}, {102, "mms"},
};

static const uint16_t tls_tcp_ports[] = {19998, 19999, 3782, 443, 0};

struct tls_dir {
    bool seen;             /* a record of this direction was parsed */
    bool encrypted;        /* record contents are opaque from here on */
    bool sslv2;            /* SSL 2.0 record framing */
    bool resync;           /* looking for a record header (after a gap or a bad record) */
    uint8_t last_type;     /* content type of the previous record */
    uint32_t enc_hs;       /* encrypted handshake records seen */
    bool certificate_seen; /* a Certificate message in this handshake */
    uint32_t rec_skip;     /* bytes of an application-data record still to skip */
    uint8_t hdr[4];        /* header of a handshake message split between records */
    uint32_t hdr_len;
    uint32_t msg_len; /* while gathering a message in the buffer: its length, header included */
    uint32_t have;    /* bytes of it gathered */
    uint32_t hs_skip; /* bytes of a dropped handshake message still to skip */
    size_t resync_bytes;
};

struct tls_state {
    struct gs_tls_session session;
    struct tls_dir dir[2];
    bool any_record; /* a valid TLS record was seen in either direction */
    bool inner_known;
    bool hrr_pending;  /* the next ClientHello answers a HelloRetryRequest */
    bool server_done;  /* ServerHelloDone seen in this handshake */
    bool sslv2_client; /* the client opened with an SSL 2.0 CLIENT-HELLO */
    uint8_t client_sid[MAX_SID_LEN];
    size_t client_sid_len;
    uint32_t max_hs;
    uint32_t max_certs;
    struct gs_tls_cert *certs; /* max_certs of them, inside the state allocation */
    uint8_t *buf;              /* tls.max_handshake_bytes, inside the state allocation */
    int buf_owner;             /* direction gathering a message in buf, -1 none */
};

/* ---- small helpers ------------------------------------------------------------------------- */

static void emit_tls(const struct gs_pkt_ctx *ctx, struct gs_tls_event *ev,
                     const struct tls_state *st)
{
    ev->session = &st->session;
    gs_emit(ctx, GS_EVENT_TLS, ev);
}

static void emit_msg(const struct gs_pkt_ctx *ctx, const struct tls_state *st, enum gs_tls_msg msg)
{
    struct gs_tls_event ev = {.msg = msg};
    emit_tls(ctx, &ev, st);
}

/* Copies bytes as printable ASCII (others become '?') into a NUL-terminated buffer. */
static void copy_printable(char *out, size_t cap, struct gs_span span)
{
    struct gs_cursor c = gs_cur_init(span.ptr, span.len);
    size_t n = 0;
    while (gs_cur_remaining(&c) > 0 && n + 1 < cap) {
        uint8_t b = gs_cur_u8(&c);
        out[n++] = (b >= 0x20 && b < 0x7F) ? (char)b : '?';
    }
    out[n] = '\0';
}

static bool span_equal(struct gs_span span, const uint8_t *bytes, size_t len)
{
    return span.len == len && (len == 0 || memcmp(span.ptr, bytes, len) == 0);
}

/* Incremental MD5 / SHA-256 of a text built piece by piece (JA3, JA4). */
struct hasher {
    EVP_MD_CTX *md;
    bool ok;
};

static void hasher_init(struct hasher *h, const EVP_MD *type)
{
    h->md = EVP_MD_CTX_new();
    h->ok = h->md != NULL && EVP_DigestInit_ex(h->md, type, NULL) == 1;
}

static void hasher_text(struct hasher *h, const char *text)
{
    if (h->ok && EVP_DigestUpdate(h->md, text, strlen(text)) != 1)
        h->ok = false;
}

static void hasher_dec(struct hasher *h, unsigned v)
{
    char text[12];
    snprintf(text, sizeof(text), "%u", v);
    hasher_text(h, text);
}

static void hasher_hex4(struct hasher *h, unsigned v)
{
    char text[8];
    snprintf(text, sizeof(text), "%04x", v & 0xFFFFu);
    hasher_text(h, text);
}

/* Writes the first `hex_chars` hex digits of the digest to out (hex_chars + 1 bytes), or "". */
static void hasher_final(struct hasher *h, char *out, size_t hex_chars)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    out[0] = '\0';
    if (h->ok && EVP_DigestFinal_ex(h->md, md, &md_len) == 1 && hex_chars <= 2 * md_len) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < hex_chars; i++)
            out[i] = digits[(i % 2 == 0) ? (md[i / 2] >> 4) : (md[i / 2] & 0x0Fu)];
        out[hex_chars] = '\0';
    }
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

/* Appends the non-GREASE 16-bit values of a span, in decimal joined by '-' (JA3). */
static void hash_dec_list(struct hasher *h, struct gs_span list, size_t width)
{
    struct gs_cursor c = gs_cur_init(list.ptr, list.len);
    bool first = true;
    while (gs_cur_remaining(&c) >= width) {
        unsigned v = width == 1 ? gs_cur_u8(&c) : gs_cur_be16(&c);
        if (width == 2 && gs_tls_is_grease(v))
            continue;
        if (!first)
            hasher_text(h, "-");
        hasher_dec(h, v);
        first = false;
    }
}

/* ---- ClientHello ---------------------------------------------------------------------------- */

/* What the extension walk found beyond the public event fields. */
struct hello_ext {
    struct gs_span block; /* all extensions, for the JA3 / JA4 passes */
    struct gs_span sni;
    bool has_sni;
    struct gs_span alpn; /* first protocol name */
    bool has_alpn;
    struct gs_span point_formats;
    bool versions_ext;
    uint16_t selected_version; /* ServerHello supported_versions */
};

/* Reads a vector with a 1- or 2-byte length that must fill `c` exactly. */
static struct gs_span read_vector(struct gs_cursor *c, size_t len_bytes)
{
    size_t n = len_bytes == 1 ? gs_cur_u8(c) : gs_cur_be16(c);
    struct gs_span s = gs_cur_span(c, n);
    if (!gs_cur_at_end(c))
        gs_cur_set_bad(c);
    return s;
}

/* server_name (RFC 6066 3): the first host_name entry. */
static void read_sni(struct gs_cursor *c, struct hello_ext *x)
{
    struct gs_cursor list = gs_cur_sub(c, gs_cur_be16(c));
    if (!gs_cur_at_end(c))
        gs_cur_set_bad(c);
    while (gs_cur_ok(&list) && gs_cur_remaining(&list) > 0) {
        uint8_t name_type = gs_cur_u8(&list);
        struct gs_span name = gs_cur_span(&list, gs_cur_be16(&list));
        if (gs_cur_ok(&list) && name_type == 0 && !x->has_sni) {
            x->sni = name;
            x->has_sni = true;
        }
    }
    if (!gs_cur_ok(&list))
        gs_cur_set_bad(c);
}

/* ALPN (RFC 7301 3.1): the first protocol name. */
static void read_alpn(struct gs_cursor *c, struct hello_ext *x)
{
    struct gs_cursor list = gs_cur_sub(c, gs_cur_be16(c));
    if (!gs_cur_at_end(c))
        gs_cur_set_bad(c);
    bool first = true;
    while (gs_cur_ok(&list) && gs_cur_remaining(&list) > 0) {
        struct gs_span name = gs_cur_span(&list, gs_cur_u8(&list));
        if (name.len == 0)
            gs_cur_set_bad(&list);
        if (gs_cur_ok(&list) && first) {
            x->alpn = name;
            x->has_alpn = true;
        }
        first = false;
    }
    if (!gs_cur_ok(&list))
        gs_cur_set_bad(c);
}

static bool even_list(struct gs_span s)
{
    return s.len % 2 == 0;
}

/* Walks the ClientHello extensions; returns false if their framing is broken. */
static bool read_client_extensions(struct gs_cursor *c, struct gs_tls_client_hello *ch,
                                   struct hello_ext *x)
{
    x->block = gs_cur_span(c, gs_cur_be16(c));
    if (!gs_cur_at_end(c))
        return false;
    struct gs_cursor all = gs_cur_init(x->block.ptr, x->block.len);
    while (gs_cur_ok(&all) && gs_cur_remaining(&all) > 0) {
        uint16_t type = gs_cur_be16(&all);
        struct gs_cursor e = gs_cur_sub(&all, gs_cur_be16(&all));
        if (!gs_cur_ok(&all))
            return false;
        ch->n_extensions++;
        switch (type) {
        case EXT_SERVER_NAME:
            if (gs_cur_wire_remaining(&e) > 0)
                read_sni(&e, x);
            break;
        case EXT_GROUPS:
            ch->groups = read_vector(&e, 2);
            if (!even_list(ch->groups))
                gs_cur_set_bad(&e);
            break;
        case EXT_POINT_FORMATS:
            x->point_formats = read_vector(&e, 1);
            break;
        case EXT_SIG_ALGS:
            ch->sig_algs = read_vector(&e, 2);
            if (!even_list(ch->sig_algs))
                gs_cur_set_bad(&e);
            break;
        case EXT_ALPN:
            read_alpn(&e, x);
            break;
        case EXT_VERSIONS:
            ch->versions = read_vector(&e, 1);
            x->versions_ext = true;
            if (!even_list(ch->versions))
                gs_cur_set_bad(&e);
            break;
        case EXT_RENEG_INFO:
            (void)read_vector(&e, 1);
            ch->reneg_info = true;
            break;
        case EXT_SESSION_TICKET:
            ch->session_ticket = gs_cur_wire_remaining(&e) > 0;
            break;
        case EXT_PSK:
            ch->psk = true;
            break;
        case EXT_EARLY_DATA:
            ch->early_data = true;
            break;
        case EXT_HEARTBEAT:
            ch->heartbeat = true;
            break;
        default:
            break;
        }
        if (!gs_cur_ok(&e))
            return false;
    }
    return gs_cur_ok(&all);
}

/* JA3 (salesforce/ja3): MD5 of "version,suites,extensions,groups,point_formats" in decimal,
 * GREASE values left out. */
static void compute_ja3(const struct gs_tls_client_hello *ch, const struct hello_ext *x,
                        char out[33])
{
    struct hasher h;
    hasher_init(&h, EVP_md5());
    hasher_dec(&h, ch->version);
    hasher_text(&h, ",");
    hash_dec_list(&h, ch->suites, 2);
    hasher_text(&h, ",");
    struct gs_cursor all = gs_cur_init(x->block.ptr, x->block.len);
    bool first = true;
    while (gs_cur_remaining(&all) >= 4) {
        uint16_t type = gs_cur_be16(&all);
        gs_cur_skip(&all, gs_cur_be16(&all));
        if (gs_tls_is_grease(type))
            continue;
        if (!first)
            hasher_text(&h, "-");
        hasher_dec(&h, type);
        first = false;
    }
    hasher_text(&h, ",");
    hash_dec_list(&h, ch->groups, 2);
    hasher_text(&h, ",");
    hash_dec_list(&h, x->point_formats, 1);
    hasher_final(&h, out, 32);
}

/* Collects the non-GREASE 16-bit values of a span; false if there are more than `cap`. */
static bool collect_values(struct gs_span list, uint16_t *out, size_t cap, size_t *n)
{
    struct gs_cursor c = gs_cur_init(list.ptr, list.len);
    *n = 0;
    while (gs_cur_remaining(&c) >= 2) {
        uint16_t v = gs_cur_be16(&c);
        if (gs_tls_is_grease(v))
            continue;
        if (*n == cap)
            return false;
        out[(*n)++] = v;
    }
    return true;
}

static void sort_values(uint16_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint16_t key = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > key) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = key;
    }
}

static void hash_hex_values(struct hasher *h, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            hasher_text(h, ",");
        hasher_hex4(h, v[i]);
    }
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    default:
        return "00";
    }
}

static bool is_alnum(uint8_t b)
{
    return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* JA4 (FoxIO, technical_details/JA4.md): t<version><d|i><suites><extensions><alpn>_<sha256 of
 * the sorted suites>_<sha256 of the sorted extensions without SNI and ALPN, then "_" and the
 * signature algorithms in order>, hashes truncated to 12 hex digits, GREASE ignored. */
static void compute_ja4(const struct gs_tls_client_hello *ch, const struct hello_ext *x,
                        char out[40])
{
    uint16_t suites[JA4_MAX_VALUES], exts[JA4_MAX_VALUES], sigs[JA4_MAX_VALUES];
    size_t n_suites, n_sigs, n_exts = 0, n_ext_all = 0;
    out[0] = '\0';
    if (!collect_values(ch->suites, suites, JA4_MAX_VALUES, &n_suites) ||
        !collect_values(ch->sig_algs, sigs, JA4_MAX_VALUES, &n_sigs))
        return;
    struct gs_cursor all = gs_cur_init(x->block.ptr, x->block.len);
    while (gs_cur_remaining(&all) >= 4) {
        uint16_t type = gs_cur_be16(&all);
        gs_cur_skip(&all, gs_cur_be16(&all));
        if (gs_tls_is_grease(type))
            continue;
        n_ext_all++;
        if (type == EXT_SERVER_NAME || type == EXT_ALPN)
            continue;
        if (n_exts == JA4_MAX_VALUES)
            return;
        exts[n_exts++] = type;
    }
    uint16_t version = ch->version;
    if (x->versions_ext) {
        struct gs_cursor v = gs_cur_init(ch->versions.ptr, ch->versions.len);
        uint16_t best = 0;
        while (gs_cur_remaining(&v) >= 2) {
            uint16_t cand = gs_cur_be16(&v);
            if (!gs_tls_is_grease(cand) && cand > best)
                best = cand;
        }
        if (best != 0)
            version = best;
    }
    char alpn[3] = "00";
    if (x->has_alpn && x->alpn.len > 0) {
        struct gs_cursor a = gs_cur_init(x->alpn.ptr, x->alpn.len);
        uint8_t first = gs_cur_u8(&a);
        uint8_t last = first;
        if (x->alpn.len > 1) {
            gs_cur_skip(&a, x->alpn.len - 2);
            last = gs_cur_u8(&a);
        }
        if (is_alnum(first) && is_alnum(last)) {
            alpn[0] = (char)first;
            alpn[1] = (char)last;
        } else {
            static const char digits[] = "0123456789abcdef";
            alpn[0] = digits[first >> 4];
            alpn[1] = digits[last & 0x0Fu];
        }
    }
    sort_values(suites, n_suites);
    sort_values(exts, n_exts);
    char b[13] = "000000000000", c[13] = "000000000000";
    struct hasher h;
    if (n_suites > 0) {
        hasher_init(&h, EVP_sha256());
        hash_hex_values(&h, suites, n_suites);
        hasher_final(&h, b, 12);
    }
    if (n_exts > 0) {
        hasher_init(&h, EVP_sha256());
        hash_hex_values(&h, exts, n_exts);
        if (n_sigs > 0) {
            hasher_text(&h, "_");
            hash_hex_values(&h, sigs, n_sigs);
        }
        hasher_final(&h, c, 12);
    }
    if (b[0] == '\0' || c[0] == '\0')
        return;
    snprintf(out, 40, "t%s%c%02u%02u%s_%s_%s", ja4_version(version), x->has_sni ? 'd' : 'i',
             (unsigned)(n_suites > 99 ? 99 : n_suites), (unsigned)(n_ext_all > 99 ? 99 : n_ext_all),
             alpn, b, c);
}

/* A fresh handshake (not the answer to a HelloRetryRequest) forgets the previous one. */
static void start_handshake(struct tls_state *st)
{
    struct gs_tls_session *s = &st->session;
    s->handshakes++;
    if (st->hrr_pending)
        return;
    st->server_done = false;
    st->dir[GS_DIR_TO_SERVER].certificate_seen = false;
    st->dir[GS_DIR_TO_CLIENT].certificate_seen = false;
    s->version = 0;
    s->suite = 0;
    s->sslv2 = s->tls13 = s->hrr = s->resumed = false;
    s->client_secure_reneg = s->server_secure_reneg = false;
    s->server_certificate = s->cert_requested = s->client_certificate = false;
    s->client_cert_count = 0;
    s->kx_group = s->dh_bits = 0;
    s->sni[0] = s->alpn[0] = s->ja3[0] = s->ja3s[0] = s->ja4[0] = '\0';
}

static void client_hello_commit(struct tls_state *st, const struct gs_pkt_ctx *ctx,
                                struct gs_tls_client_hello *ch, const struct hello_ext *x)
{
    struct gs_tls_session *s = &st->session;
    start_handshake(st);
    st->hrr_pending = false;
    s->client_version = ch->max_version;
    s->client_secure_reneg = ch->reneg_info || ch->reneg_scsv;
    if (x != NULL) {
        if (x->has_sni)
            copy_printable(s->sni, sizeof(s->sni), x->sni);
        if (x->has_alpn)
            copy_printable(s->alpn, sizeof(s->alpn), x->alpn);
        if (!ch->sslv2_form) {
            compute_ja3(ch, x, s->ja3);
            compute_ja4(ch, x, s->ja4);
        }
    }
    st->client_sid_len = ch->session_id.len <= MAX_SID_LEN ? ch->session_id.len : 0;
    if (st->client_sid_len > 0)
        memcpy(st->client_sid, ch->session_id.ptr, st->client_sid_len);
    struct gs_tls_event ev = {.msg = GS_TLS_CLIENT_HELLO, .client_hello = ch};
    emit_tls(ctx, &ev, st);
}

/* Scans the suite list for the signalling values and the highest offered version. */
static void client_hello_summary(struct gs_tls_client_hello *ch)
{
    struct gs_cursor c = gs_cur_init(ch->suites.ptr, ch->suites.len);
    while (gs_cur_remaining(&c) >= 2) {
        uint16_t s = gs_cur_be16(&c);
        if (s == SUITE_RENEG_SCSV)
            ch->reneg_scsv = true;
        else if (s == SUITE_FALLBACK_SCSV)
            ch->fallback_scsv = true;
    }
    ch->max_version = ch->version;
    if (ch->versions.len > 0) {
        struct gs_cursor v = gs_cur_init(ch->versions.ptr, ch->versions.len);
        uint16_t best = 0;
        while (gs_cur_remaining(&v) >= 2) {
            uint16_t cand = gs_cur_be16(&v);
            if (!gs_tls_is_grease(cand) && cand > best)
                best = cand;
        }
        if (best != 0)
            ch->max_version = best;
    }
}

/* ClientHello (RFC 5246 7.4.1.2, RFC 8446 4.1.2). */
static bool client_hello(struct tls_state *st, const struct gs_pkt_ctx *ctx, struct gs_cursor *c)
{
    struct gs_tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    struct hello_ext x;
    memset(&x, 0, sizeof(x));
    ch.suite_len = 2;
    ch.version = gs_cur_be16(c);
    gs_cur_skip(c, RANDOM_LEN);
    ch.session_id = gs_cur_span(c, gs_cur_u8(c));
    ch.suites = gs_cur_span(c, gs_cur_be16(c));
    struct gs_span compression = gs_cur_span(c, gs_cur_u8(c));
    if (!gs_cur_ok(c) || ch.session_id.len > MAX_SID_LEN || ch.suites.len % 2 != 0 ||
        compression.len == 0)
        return false;
    ch.n_suites = ch.suites.len / 2;
    struct gs_cursor comp = gs_cur_init(compression.ptr, compression.len);
    while (gs_cur_remaining(&comp) > 0)
        ch.compression |= gs_cur_u8(&comp) != 0;
    /* Extensions are optional (SSL 3.0 and early TLS clients send none). */
    if (gs_cur_remaining(c) > 0 && !read_client_extensions(c, &ch, &x))
        return false;
    if (!gs_cur_at_end(c))
        return false;
    client_hello_summary(&ch);
    client_hello_commit(st, ctx, &ch, &x);
    return true;
}

/* ---- ServerHello ---------------------------------------------------------------------------- */

static bool read_server_extensions(struct gs_cursor *c, struct gs_tls_server_hello *sh,
                                   struct hello_ext *x)
{
    x->block = gs_cur_span(c, gs_cur_be16(c));
    if (!gs_cur_at_end(c))
        return false;
    struct gs_cursor all = gs_cur_init(x->block.ptr, x->block.len);
    while (gs_cur_ok(&all) && gs_cur_remaining(&all) > 0) {
        uint16_t type = gs_cur_be16(&all);
        struct gs_cursor e = gs_cur_sub(&all, gs_cur_be16(&all));
        if (!gs_cur_ok(&all))
            return false;
        sh->n_extensions++;
        switch (type) {
        case EXT_VERSIONS:
            x->selected_version = gs_cur_be16(&e);
            x->versions_ext = true;
            if (!gs_cur_at_end(&e))
                gs_cur_set_bad(&e);
            break;
        case EXT_RENEG_INFO:
            (void)read_vector(&e, 1);
            sh->reneg_info = true;
            break;
        case EXT_PSK:
            sh->resumed = true;
            break;
        case EXT_HEARTBEAT:
            sh->heartbeat = true;
            break;
        default:
            break;
        }
        if (!gs_cur_ok(&e))
            return false;
    }
    return gs_cur_ok(&all);
}

/* JA3S: MD5 of "version,suite,extensions" in decimal. */
static void compute_ja3s(const struct gs_tls_server_hello *sh, const struct hello_ext *x,
                         char out[33])
{
    struct hasher h;
    hasher_init(&h, EVP_md5());
    hasher_dec(&h, sh->legacy_version);
    hasher_text(&h, ",");
    hasher_dec(&h, sh->suite);
    hasher_text(&h, ",");
    struct gs_cursor all = gs_cur_init(x->block.ptr, x->block.len);
    bool first = true;
    while (gs_cur_remaining(&all) >= 4) {
        uint16_t type = gs_cur_be16(&all);
        gs_cur_skip(&all, gs_cur_be16(&all));
        if (gs_tls_is_grease(type))
            continue;
        if (!first)
            hasher_text(&h, "-");
        hasher_dec(&h, type);
        first = false;
    }
    hasher_final(&h, out, 32);
}

static bool is_tls13(uint16_t version)
{
    return version == 0x0304 || (version & 0xFF00u) == 0x7F00u;
}

/* ServerHello and HelloRetryRequest (RFC 5246 7.4.1.3, RFC 8446 4.1.3). */
static bool server_hello(struct tls_state *st, const struct gs_pkt_ctx *ctx, struct gs_cursor *c)
{
    struct gs_tls_server_hello sh;
    memset(&sh, 0, sizeof(sh));
    struct hello_ext x;
    memset(&x, 0, sizeof(x));
    sh.legacy_version = gs_cur_be16(c);
    struct gs_span random = gs_cur_span(c, RANDOM_LEN);
    sh.session_id = gs_cur_span(c, gs_cur_u8(c));
    sh.suite = gs_cur_be16(c);
    sh.compression = gs_cur_u8(c);
    if (!gs_cur_ok(c) || sh.session_id.len > MAX_SID_LEN)
        return false;
    if (gs_cur_remaining(c) > 0 && !read_server_extensions(c, &sh, &x))
        return false;
    if (!gs_cur_at_end(c))
        return false;
    sh.hrr = span_equal(random, hrr_random, RANDOM_LEN);
    sh.version = x.versions_ext ? x.selected_version : sh.legacy_version;
    /* Resumption (RFC 5246 7.4.1.3, RFC 5077 3.4): the server echoes the session id the client
     * proposed; in TLS 1.3 it accepts a pre-shared key (set while reading extensions). */
    if (!is_tls13(sh.version) && sh.session_id.len > 0 &&
        span_equal(sh.session_id, st->client_sid, st->client_sid_len))
        sh.resumed = true;

    struct gs_tls_session *s = &st->session;
    s->version = sh.version;
    s->suite = sh.suite;
    s->tls13 = is_tls13(sh.version);
    s->hrr = s->hrr || sh.hrr;
    s->resumed = sh.resumed;
    s->server_secure_reneg = sh.reneg_info;
    compute_ja3s(&sh, &x, s->ja3s);
    st->hrr_pending = sh.hrr;
    if (s->tls13 && !sh.hrr) {
        /* Everything after a TLS 1.3 ServerHello is protected, in both directions. */
        st->dir[GS_DIR_TO_SERVER].encrypted = true;
        st->dir[GS_DIR_TO_CLIENT].encrypted = true;
        s->established = true;
    }
    struct gs_tls_event ev = {.msg = GS_TLS_SERVER_HELLO, .server_hello = &sh};
    emit_tls(ctx, &ev, st);
    return true;
}

/* ---- certificates --------------------------------------------------------------------------- */

static const struct gs_name_map key_type_names[] = {
    {GS_TLS_KEY_RSA, "RSA"},     {GS_TLS_KEY_RSA_PSS, "RSA-PSS"},
    {GS_TLS_KEY_DSA, "DSA"},     {GS_TLS_KEY_DH, "DH"},
    {GS_TLS_KEY_EC, "EC"},       {GS_TLS_KEY_ED25519, "Ed25519"},
    {GS_TLS_KEY_ED448, "Ed448"}, {0, NULL},
};

static const struct gs_name_map hash_names[] = {
    {GS_TLS_HASH_INTRINSIC, "intrinsic"},
    {GS_TLS_HASH_MD2, "MD2"},
    {GS_TLS_HASH_MD4, "MD4"},
    {GS_TLS_HASH_MD5, "MD5"},
    {GS_TLS_HASH_SHA1, "SHA1"},
    {GS_TLS_HASH_SHA224, "SHA224"},
    {GS_TLS_HASH_SHA256, "SHA256"},
    {GS_TLS_HASH_SHA384, "SHA384"},
    {GS_TLS_HASH_SHA512, "SHA512"},
    {GS_TLS_HASH_OTHER, "other"},
    {0, NULL},
};

const char *gs_tls_key_type_name(enum gs_tls_key_type t)
{
    return gs_name_lookup(key_type_names, (uint32_t)t, "unknown");
}

const char *gs_tls_hash_name(enum gs_tls_hash h)
{
    return gs_name_lookup(hash_names, (uint32_t)h, "unknown");
}

static enum gs_tls_hash hash_of_nid(int nid)
{
    switch (nid) {
    case NID_undef:
        return GS_TLS_HASH_UNKNOWN;
    case NID_md2:
        return GS_TLS_HASH_MD2;
    case NID_md4:
        return GS_TLS_HASH_MD4;
    case NID_md5:
    case NID_md5_sha1:
        return GS_TLS_HASH_MD5;
    case NID_sha1:
        return GS_TLS_HASH_SHA1;
    case NID_sha224:
        return GS_TLS_HASH_SHA224;
    case NID_sha256:
        return GS_TLS_HASH_SHA256;
    case NID_sha384:
        return GS_TLS_HASH_SHA384;
    case NID_sha512:
        return GS_TLS_HASH_SHA512;
    default:
        return GS_TLS_HASH_OTHER;
    }
}

static void name_text(const X509_NAME *name, BIO *bio, char *out, size_t cap)
{
    out[0] = '\0';
    if (bio == NULL || name == NULL || BIO_reset(bio) < 0 ||
        X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0)
        return;
    int n = BIO_read(bio, out, (int)cap - 1);
    out[n > 0 ? n : 0] = '\0';
    /* Keep the text printable ASCII (the formatter needs valid UTF-8). */
    for (int i = 0; i < n; i++) {
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7F)
            out[i] = '?';
    }
}

static bool time_of(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = (int64_t)timegm(&tm);
    return true;
}

static void key_facts(X509 *x509, struct gs_tls_cert *cert)
{
    EVP_PKEY *key = X509_get0_pubkey(x509);
    if (key == NULL)
        return;
    cert->key_bits = (uint32_t)(EVP_PKEY_get_bits(key) > 0 ? EVP_PKEY_get_bits(key) : 0);
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        cert->key_type = GS_TLS_KEY_RSA;
        break;
    case EVP_PKEY_RSA_PSS:
        cert->key_type = GS_TLS_KEY_RSA_PSS;
        break;
    case EVP_PKEY_DSA:
        cert->key_type = GS_TLS_KEY_DSA;
        break;
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX:
        cert->key_type = GS_TLS_KEY_DH;
        break;
    case EVP_PKEY_EC:
        cert->key_type = GS_TLS_KEY_EC;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, cert->curve,
                                           sizeof(cert->curve), NULL) != 1)
            cert->curve[0] = '\0';
        break;
    case EVP_PKEY_ED25519:
        cert->key_type = GS_TLS_KEY_ED25519;
        break;
    case EVP_PKEY_ED448:
        cert->key_type = GS_TLS_KEY_ED448;
        break;
    default:
        cert->key_type = GS_TLS_KEY_UNKNOWN;
        break;
    }
}

/*
 * Decoded certificates, per capture thread, keyed by the SHA-256 of their DER. OpenSSL 3.0
 * takes about 340 microseconds to d2i_X509 one certificate (its key decoders), and the same
 * few certificates come back on every connection of an OT network (the RTU's, the CA's), so
 * a small direct-mapped cache turns most decodes into a hash and a copy. The facts depend on
 * the DER alone (validity is judged later, against packet time), so a hit is exact; an
 * attacker varying certificates only gets the uncached cost, bounded per message by
 * tls.max_certificates and per handshake by one Certificate message per direction.
 */
#define CERT_CACHE_SLOTS 64

struct cert_slot {
    bool used;
    bool parsed_ok;
    struct gs_tls_cert facts; /* facts.sha256 is the key */
};

static _Thread_local struct cert_slot cert_cache[CERT_CACHE_SLOTS];
static _Thread_local EVP_MD *cert_md; /* SHA-256, fetched once per thread */

static bool der_sha256(struct gs_span der, uint8_t out[32])
{
    if (cert_md == NULL)
        cert_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    unsigned n = 0;
    return cert_md != NULL && EVP_Digest(der.ptr, der.len, out, &n, cert_md, NULL) == 1 && n == 32;
}

static bool decode_cert_openssl(struct gs_span der, BIO *bio, struct gs_tls_cert *cert);

/* Decodes one DER certificate (through the cache); false if OpenSSL cannot. */
static bool decode_cert(struct gs_span der, BIO *bio, struct gs_tls_cert *cert)
{
    uint8_t key[32];
    if (der.len == 0 || !der_sha256(der, key))
        return decode_cert_openssl(der, bio, cert);
    struct cert_slot *slot = &cert_cache[key[0] % CERT_CACHE_SLOTS];
    if (slot->used && slot->facts.der_len == der.len &&
        memcmp(slot->facts.sha256, key, sizeof(key)) == 0) {
        *cert = slot->facts;
        return slot->parsed_ok;
    }
    bool ok = decode_cert_openssl(der, bio, cert);
    memcpy(cert->sha256, key, sizeof(key));
    slot->used = true;
    slot->parsed_ok = ok;
    slot->facts = *cert;
    return ok;
}

static bool decode_cert_openssl(struct gs_span der, BIO *bio, struct gs_tls_cert *cert)
{
    memset(cert, 0, sizeof(*cert));
    cert->der_len = der.len;
    const unsigned char *p = der.ptr;
    if (der.len == 0 || der.len > (size_t)INT32_MAX)
        return false;
    X509 *x509 = d2i_X509(NULL, &p, (long)der.len);
    if (x509 == NULL)
        return false;
    cert->parsed = true;
    name_text(X509_get_subject_name(x509), bio, cert->subject, sizeof(cert->subject));
    name_text(X509_get_issuer_name(x509), bio, cert->issuer, sizeof(cert->issuer));
    const ASN1_INTEGER *serial = X509_get0_serialNumber(x509);
    if (serial != NULL) {
        struct gs_cursor s =
            gs_cur_init(ASN1_STRING_get0_data(serial),
                        (size_t)(ASN1_STRING_length(serial) > 0 ? ASN1_STRING_length(serial) : 0));
        size_t n = 0;
        while (gs_cur_remaining(&s) > 0 && n + 2 < sizeof(cert->serial)) {
            snprintf(cert->serial + n, 3, "%02x", gs_cur_u8(&s));
            n += 2;
        }
    }
    cert->has_validity = time_of(X509_get0_notBefore(x509), &cert->not_before) &&
                         time_of(X509_get0_notAfter(x509), &cert->not_after);
    key_facts(x509, cert);
    int sig_nid = X509_get_signature_nid(x509);
    const char *sig_name = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : NULL;
    snprintf(cert->sig_alg, sizeof(cert->sig_alg), "%s", sig_name != NULL ? sig_name : "");
    int md_nid = NID_undef, pk_nid = NID_undef, secbits = 0;
    uint32_t flags = 0;
    if (X509_get_signature_info(x509, &md_nid, &pk_nid, &secbits, &flags) == 1)
        cert->sig_hash = hash_of_nid(md_nid);
    if (cert->sig_hash == GS_TLS_HASH_UNKNOWN && (sig_nid == NID_ED25519 || sig_nid == NID_ED448))
        cert->sig_hash = GS_TLS_HASH_INTRINSIC;
    cert->self_signed = X509_self_signed(x509, 0) == 1;
    X509_free(x509);
    /* cert->sha256 is the digest of the DER bytes, filled by decode_cert. */
    return true;
}

/* Decodes `n` certificates whose DER spans are read from `list` (3-byte length each). */
static void decode_chain(struct tls_state *st, const struct gs_pkt_ctx *ctx, struct gs_cursor *list,
                         size_t n, size_t total)
{
    BIO *bio = BIO_new(BIO_s_mem());
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        struct gs_span der = gs_cur_span(list, gs_cur_be24(list));
        if (!decode_cert(der, bio, &st->certs[i]))
            bad = true;
    }
    BIO_free(bio);
    if (bad)
        gs_emit_anomaly(ctx, "tls.bad_certificate", GS_ANOMALY_MALFORMED,
                        "a certificate is not valid X.509 DER");
    if (total > n)
        gs_emit_anomaly(ctx, "tls.too_many_certificates", GS_ANOMALY_LIMIT,
                        "certificates past tls.max_certificates were not decoded");
}

static void certificates_commit(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                                size_t n, size_t total)
{
    struct gs_tls_session *s = &st->session;
    if (dir == GS_DIR_TO_CLIENT) {
        s->server_certificate = true;
    } else {
        s->client_certificate = true;
        s->client_cert_count = (uint16_t)(total > UINT16_MAX ? UINT16_MAX : total);
    }
    struct gs_tls_certificates certs = {.certs = st->certs, .n_certs = n, .n_total = total};
    struct gs_tls_event ev = {.msg = GS_TLS_CERTIFICATE, .certificates = &certs};
    emit_tls(ctx, &ev, st);
}

/* Certificate (RFC 5246 7.4.2): certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
static bool certificate(struct tls_state *st, const struct gs_pkt_ctx *ctx, struct gs_cursor *c,
                        enum gs_dir dir)
{
    if (st->session.tls13)
        return true; /* never in clear; the TLS 1.3 form differs anyway */
    if (st->dir[dir].certificate_seen) {
        /* One per direction and handshake (RFC 5246 7.3): more is a protocol error, and
         * decoding them all would let a peer spend the sensor's time. */
        gs_emit_anomaly(ctx, "tls.unexpected_message", GS_ANOMALY_SEQUENCE,
                        "a second Certificate in one handshake");
        return true;
    }
    struct gs_cursor list = gs_cur_sub(c, gs_cur_be24(c));
    if (!gs_cur_at_end(c))
        return false;
    /* First pass: framing and count; nothing is decoded unless the whole list is sound. */
    struct gs_cursor scan = list;
    size_t total = 0;
    while (gs_cur_ok(&scan) && gs_cur_remaining(&scan) > 0) {
        size_t len = gs_cur_be24(&scan);
        if (len == 0)
            gs_cur_set_bad(&scan);
        gs_cur_skip(&scan, len);
        total++;
    }
    if (!gs_cur_ok(&scan))
        return false;
    size_t n = total < st->max_certs ? total : st->max_certs;
    st->dir[dir].certificate_seen = true;
    decode_chain(st, ctx, &list, n, total);
    certificates_commit(st, ctx, dir, n, total);
    return true;
}

/* ServerKeyExchange (RFC 5246 7.4.3, RFC 8422 5.4): the group or prime size, when the
 * selected suite says how to read it. */
static bool server_key_exchange(struct tls_state *st, const struct gs_pkt_ctx *ctx,
                                struct gs_cursor *c)
{
    struct gs_tls_session *s = &st->session;
    const char *name = gs_tls_suite_name(s->suite);
    if (name != NULL && strstr(name, "_ECDHE_") != NULL) {
        uint8_t curve_type = gs_cur_u8(c);
        uint16_t group = gs_cur_be16(c);
        if (gs_cur_ok(c) && curve_type == 3)
            s->kx_group = group;
    } else if (name != NULL && (strstr(name, "_DHE_") != NULL || strstr(name, "_DH_anon_"))) {
        struct gs_span p = gs_cur_span(c, gs_cur_be16(c));
        if (gs_cur_ok(c)) {
            struct gs_cursor pc = gs_cur_init(p.ptr, p.len);
            size_t len = p.len;
            while (gs_cur_remaining(&pc) > 0 && gs_cur_peek_u8(&pc) == 0) {
                gs_cur_skip(&pc, 1);
                len--;
            }
            uint8_t top = gs_cur_peek_u8(&pc);
            unsigned bits = (unsigned)len * 8u;
            for (uint8_t mask = 0x80; len > 0 && mask != 0 && (top & mask) == 0; mask >>= 1)
                bits--;
            s->dh_bits = (uint16_t)(bits > UINT16_MAX ? UINT16_MAX : bits);
        }
    }
    emit_msg(ctx, st, GS_TLS_SERVER_KEY_EXCHANGE);
    return true;
}

/* ---- handshake messages --------------------------------------------------------------------- */

/* One complete handshake message; false if its body is malformed. */
static bool handshake_message(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                              uint8_t type, struct gs_cursor *body)
{
    struct gs_tls_session *s = &st->session;
    switch (type) {
    case HS_CLIENT_HELLO:
        return dir == GS_DIR_TO_SERVER ? client_hello(st, ctx, body) : false;
    case HS_SERVER_HELLO:
        return dir == GS_DIR_TO_CLIENT ? server_hello(st, ctx, body) : false;
    case HS_CERTIFICATE:
        return certificate(st, ctx, body, dir);
    case HS_SERVER_KX:
        return server_key_exchange(st, ctx, body);
    case HS_CERT_REQUEST:
        s->cert_requested = true;
        emit_msg(ctx, st, GS_TLS_CERTIFICATE_REQUEST);
        return true;
    case HS_SERVER_DONE:
        if (gs_cur_wire_remaining(body) != 0)
            return false;
        st->server_done = true;
        emit_msg(ctx, st, GS_TLS_SERVER_HELLO_DONE);
        return true;
    case HS_CLIENT_KX:
        emit_msg(ctx, st, GS_TLS_CLIENT_KEY_EXCHANGE);
        return true;
    case HS_CERT_VERIFY:
        emit_msg(ctx, st, GS_TLS_CERTIFICATE_VERIFY);
        return true;
    case HS_NEW_TICKET:
        emit_msg(ctx, st, GS_TLS_NEW_SESSION_TICKET);
        return true;
    default:
        return true; /* HelloRequest, Finished in clear (never valid), private types */
    }
}

static void run_message(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                        struct gs_cursor *msg)
{
    uint8_t type = gs_cur_u8(msg);
    struct gs_cursor body = gs_cur_sub(msg, gs_cur_be24(msg));
    if (!gs_cur_ok(msg) || !handshake_message(st, ctx, dir, type, &body))
        gs_emit_anomaly(ctx, "tls.bad_handshake", GS_ANOMALY_MALFORMED,
                        gs_tls_handshake_name(type));
}

static uint32_t be24_at(const uint8_t *hdr)
{
    struct gs_cursor c = gs_cur_init(hdr, HS_HDR_LEN);
    gs_cur_skip(&c, 1);
    return gs_cur_be24(&c);
}

/* A handshake message that continues in the next record starts being gathered: its header
 * is complete in d->hdr. Returns false if it is dropped (too large, or the buffer is busy). */
static bool start_gather(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir)
{
    struct tls_dir *d = &st->dir[dir];
    size_t msg_len = HS_HDR_LEN + (size_t)be24_at(d->hdr);
    d->hdr_len = 0;
    const char *drop = NULL;
    enum gs_anomaly_kind kind = GS_ANOMALY_LIMIT;
    if (msg_len > st->max_hs) {
        drop = "tls.handshake_too_large";
    } else if (st->buf_owner >= 0 && st->buf_owner != (int)dir) {
        drop = "tls.interleaved_handshake";
        kind = GS_ANOMALY_SEQUENCE;
    }
    if (drop != NULL) {
        gs_emit_anomaly(ctx, drop, kind, gs_tls_handshake_name(d->hdr[0]));
        d->hs_skip = (uint32_t)(msg_len - HS_HDR_LEN);
        return false;
    }
    st->buf_owner = (int)dir;
    memcpy(st->buf, d->hdr, HS_HDR_LEN);
    d->have = HS_HDR_LEN;
    d->msg_len = (uint32_t)msg_len;
    return true;
}

static void finish_gather(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir)
{
    struct tls_dir *d = &st->dir[dir];
    struct gs_cursor msg = gs_cur_init(st->buf, d->msg_len);
    d->have = d->msg_len = 0;
    st->buf_owner = -1;
    run_message(st, ctx, dir, &msg);
}

/*
 * Takes the handshake bytes of one record: whole messages are parsed in place; a message
 * that continues in the next record is gathered in the flow's buffer (one for both
 * directions, since TLS <= 1.2 flights alternate: a peer answers a flight once it is whole).
 */
static void handshake_fragment(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                               struct gs_cursor *frag)
{
    struct tls_dir *d = &st->dir[dir];
    while (gs_cur_remaining(frag) > 0) {
        size_t rem = gs_cur_remaining(frag);
        if (d->hs_skip > 0) {
            size_t n = rem < d->hs_skip ? rem : d->hs_skip;
            gs_cur_skip(frag, n);
            d->hs_skip -= (uint32_t)n;
            continue;
        }
        if (d->msg_len > 0) {
            size_t n = d->msg_len - d->have;
            n = rem < n ? rem : n;
            gs_cur_copy(frag, st->buf + d->have, n);
            d->have += (uint32_t)n;
            if (d->have == d->msg_len)
                finish_gather(st, ctx, dir);
            continue;
        }
        if (d->hdr_len == 0 && rem >= HS_HDR_LEN) {
            uint8_t hdr[HS_HDR_LEN];
            struct gs_cursor peek = *frag;
            gs_cur_copy(&peek, hdr, HS_HDR_LEN);
            size_t msg_len = HS_HDR_LEN + (size_t)be24_at(hdr);
            if (msg_len <= rem) {
                struct gs_cursor msg = gs_cur_sub(frag, msg_len);
                run_message(st, ctx, dir, &msg);
                continue;
            }
        }
        /* The header (4 bytes, which a record boundary may split) first. */
        size_t n = HS_HDR_LEN - d->hdr_len;
        n = rem < n ? rem : n;
        gs_cur_copy(frag, d->hdr + d->hdr_len, n);
        d->hdr_len += (uint32_t)n;
        if (d->hdr_len == HS_HDR_LEN && start_gather(st, ctx, dir) && d->have == d->msg_len)
            finish_gather(st, ctx, dir);
    }
}

/* ---- records -------------------------------------------------------------------------------- */

static bool record_type_ok(uint8_t type)
{
    return type >= REC_CCS && type <= REC_HEARTBEAT;
}

static bool record_version_ok(uint16_t version)
{
    return version >= 0x0300 && version <= 0x0304;
}

/* Reads a record header at `c` (not advancing it); false if it is not a plausible one. */
static bool peek_record(const struct gs_cursor *c, uint8_t *type, size_t *len)
{
    struct gs_cursor h = *c;
    *type = gs_cur_u8(&h);
    uint16_t version = gs_cur_be16(&h);
    *len = gs_cur_be16(&h);
    return gs_cur_ok(&h) && record_type_ok(*type) && record_version_ok(version) &&
           *len <= REC_MAX_LEN;
}

static void alert_record(struct tls_state *st, const struct gs_pkt_ctx *ctx, struct gs_cursor *c,
                         bool encrypted)
{
    if (encrypted) {
        struct gs_tls_alert alert = {.encrypted = true};
        struct gs_tls_event ev = {.msg = GS_TLS_ALERT, .alert = &alert};
        emit_tls(ctx, &ev, st);
        return;
    }
    if (gs_cur_remaining(c) % 2 != 0) {
        gs_emit_anomaly(ctx, "tls.bad_record", GS_ANOMALY_MALFORMED, "alert of odd length");
        return;
    }
    while (gs_cur_remaining(c) >= 2) {
        struct gs_tls_alert alert = {.level = gs_cur_u8(c), .description = gs_cur_u8(c)};
        struct gs_tls_event ev = {.msg = GS_TLS_ALERT, .alert = &alert};
        emit_tls(ctx, &ev, st);
    }
}

static void change_cipher_spec(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir)
{
    struct gs_tls_session *s = &st->session;
    /* In TLS 1.3 (or before the server has chosen a version) CCS is a middlebox-compatibility
     * no-op (RFC 8446 D.4); in earlier versions it switches the sender to the new keys. */
    if (s->tls13 || st->dir[dir].encrypted)
        return;
    if (s->version == 0 && s->handshakes > 0 && is_tls13(s->client_version))
        return;
    st->dir[dir].encrypted = true;
    /* A server that goes straight from ServerHello to CCS resumed the session (RFC 5077 3.4
     * allows an empty session id with a ticket, so the id echo alone does not tell). */
    if (dir == GS_DIR_TO_CLIENT && s->version != 0 && !st->server_done)
        s->resumed = true;
    if (st->dir[GS_DIR_TO_SERVER].encrypted && st->dir[GS_DIR_TO_CLIENT].encrypted)
        s->established = true;
    emit_msg(ctx, st, GS_TLS_CHANGE_CIPHER_SPEC);
}

/* An encrypted handshake record: the Finished that follows CCS, or, from a client that has
 * already sent application data, a renegotiating ClientHello. */
static void encrypted_handshake(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                                size_t len)
{
    struct tls_dir *d = &st->dir[dir];
    bool renegotiation = dir == GS_DIR_TO_SERVER && d->enc_hs > 0 && d->last_type == REC_APP_DATA;
    d->enc_hs++;
    if (!renegotiation || st->session.tls13)
        return;
    st->session.renegotiations++;
    struct gs_tls_event ev = {.msg = GS_TLS_RENEGOTIATION, .record_len = len};
    emit_tls(ctx, &ev, st);
}

/* A complete record whose header has been read. */
static void tls_record(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                       uint8_t type, struct gs_cursor *frag)
{
    struct tls_dir *d = &st->dir[dir];
    size_t len = gs_cur_remaining(frag);
    if (len == 0 && type != REC_APP_DATA) {
        /* RFC 5246 6.2.1: no zero-length fragments of handshake, alert or CCS. */
        gs_emit_anomaly(ctx, "tls.empty_fragment", GS_ANOMALY_MALFORMED, NULL);
        return;
    }
    switch (type) {
    case REC_HANDSHAKE:
        if (d->encrypted)
            encrypted_handshake(st, ctx, dir, len);
        else
            handshake_fragment(st, ctx, dir, frag);
        break;
    case REC_CCS:
        change_cipher_spec(st, ctx, dir);
        break;
    case REC_ALERT:
        alert_record(st, ctx, frag, d->encrypted);
        break;
    case REC_HEARTBEAT: {
        struct gs_tls_event ev = {.msg = GS_TLS_HEARTBEAT, .record_len = len};
        emit_tls(ctx, &ev, st);
        break;
    }
    default:
        break;
    }
}

/* ---- SSL 2.0 -------------------------------------------------------------------------------- */

/* An SSL 2.0 hello record: a 2-byte header, the message type, and (CLIENT-HELLO) a version
 * of 0x0002 or 3.x, or (SERVER-HELLO) the certificate type 1 (X.509). */
static bool looks_like_ssl2_hello(const struct gs_cursor *c, uint8_t msg_type)
{
    uint8_t b0, b1, type, b3 = 0, b4 = 0;
    if (!gs_cur_peek_at(c, 0, &b0) || !gs_cur_peek_at(c, 1, &b1) || !gs_cur_peek_at(c, 2, &type) ||
        !gs_cur_peek_at(c, 3, &b3) || !gs_cur_peek_at(c, 4, &b4))
        return false;
    if (!SSL2_IS_SHORT_HEADER(b0) || type != msg_type || SSL2_SHORT_LEN(b0, b1) < 9)
        return false;
    if (msg_type == SSL2_CLIENT_HELLO)
        return (b3 == 0x00 && b4 == 0x02) || b3 == 0x03;
    return b4 == 1;
}

/* SSL 2.0 CLIENT-HELLO; the version field says what the client can do (0x0002 or 3.x). */
static bool ssl2_client_hello(struct tls_state *st, const struct gs_pkt_ctx *ctx,
                              struct gs_cursor *c)
{
    struct gs_tls_client_hello ch;
    memset(&ch, 0, sizeof(ch));
    ch.sslv2_form = true;
    ch.suite_len = 3;
    ch.version = gs_cur_be16(c);
    size_t specs_len = gs_cur_be16(c);
    size_t sid_len = gs_cur_be16(c);
    size_t challenge_len = gs_cur_be16(c);
    ch.suites = gs_cur_span(c, specs_len);
    ch.session_id = gs_cur_span(c, sid_len);
    gs_cur_skip(c, challenge_len);
    if (!gs_cur_at_end(c) || specs_len % 3 != 0 || challenge_len < 16 || challenge_len > 32)
        return false;
    ch.n_suites = specs_len / 3;
    ch.max_version = ch.version;
    st->sslv2_client = true;
    struct gs_cursor specs = gs_cur_init(ch.suites.ptr, ch.suites.len);
    while (gs_cur_remaining(&specs) >= 3) {
        uint32_t kind = gs_cur_be24(&specs);
        if (kind == SUITE_RENEG_SCSV)
            ch.reneg_scsv = true;
        else if (kind == SUITE_FALLBACK_SCSV)
            ch.fallback_scsv = true;
    }
    client_hello_commit(st, ctx, &ch, NULL);
    return true;
}

/* SSL 2.0 SERVER-HELLO: the server speaks SSL 2.0; it carries the server certificate. */
static bool ssl2_server_hello(struct tls_state *st, const struct gs_pkt_ctx *ctx,
                              struct gs_cursor *c)
{
    struct gs_tls_server_hello sh;
    memset(&sh, 0, sizeof(sh));
    sh.sslv2_form = true;
    uint8_t hit = gs_cur_u8(c);
    uint8_t cert_type = gs_cur_u8(c);
    sh.legacy_version = sh.version = gs_cur_be16(c);
    size_t cert_len = gs_cur_be16(c);
    size_t specs_len = gs_cur_be16(c);
    size_t cid_len = gs_cur_be16(c);
    struct gs_span cert = gs_cur_span(c, cert_len);
    gs_cur_skip(c, specs_len);
    gs_cur_skip(c, cid_len);
    if (!gs_cur_at_end(c) || specs_len % 3 != 0)
        return false;
    sh.resumed = hit != 0;
    struct gs_tls_session *s = &st->session;
    s->version = sh.version;
    s->sslv2 = true;
    s->resumed = sh.resumed;
    /* The cipher is chosen by the client in CLIENT-MASTER-KEY: unknown (0) until then. */
    s->suite = 0;
    st->dir[GS_DIR_TO_SERVER].sslv2 = true;
    st->dir[GS_DIR_TO_CLIENT].sslv2 = true;
    st->dir[GS_DIR_TO_CLIENT].encrypted = true;
    struct gs_tls_event ev = {.msg = GS_TLS_SERVER_HELLO, .server_hello = &sh};
    emit_tls(ctx, &ev, st);
    if (cert_type == 1 && cert.len > 0 && st->max_certs > 0) {
        BIO *bio = BIO_new(BIO_s_mem());
        bool ok = decode_cert(cert, bio, &st->certs[0]);
        BIO_free(bio);
        if (!ok)
            gs_emit_anomaly(ctx, "tls.bad_certificate", GS_ANOMALY_MALFORMED,
                            "the SSL 2.0 server certificate is not valid X.509 DER");
        certificates_commit(st, ctx, GS_DIR_TO_CLIENT, 1, 1);
    }
    return true;
}

/* SSL 2.0 CLIENT-MASTER-KEY: the cipher kind the client picked; then everything is encrypted. */
static bool ssl2_client_master_key(struct tls_state *st, const struct gs_pkt_ctx *ctx,
                                   struct gs_cursor *c)
{
    uint32_t kind = gs_cur_be24(c);
    if (!gs_cur_ok(c))
        return false;
    st->session.suite = kind;
    st->dir[GS_DIR_TO_SERVER].encrypted = true;
    st->session.established = true;
    emit_msg(ctx, st, GS_TLS_CLIENT_KEY_EXCHANGE);
    return true;
}

/* One SSL 2.0 record; returns the parse result for the bytes at `cur`. */
static bool ssl2_record(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                        struct gs_cursor *cur, size_t *needed)
{
    struct tls_dir *d = &st->dir[dir];
    uint8_t b0 = 0, b1 = 0, b2 = 0;
    size_t avail = gs_cur_remaining(cur);
    *needed = 0;
    if (!gs_cur_peek_at(cur, 0, &b0) || !gs_cur_peek_at(cur, 1, &b1)) {
        *needed = 2 - avail;
        return false;
    }
    size_t hdr = SSL2_IS_SHORT_HEADER(b0) ? 2 : 3;
    size_t len = SSL2_IS_SHORT_HEADER(b0) ? SSL2_SHORT_LEN(b0, b1) : SSL2_LONG_LEN(b0, b1);
    if (hdr == 3 && !gs_cur_peek_at(cur, 2, &b2)) {
        *needed = 3 - avail;
        return false;
    }
    if (hdr + len > avail) {
        *needed = hdr + len - avail;
        return false;
    }
    gs_cur_skip(cur, hdr);
    struct gs_cursor rec = gs_cur_sub(cur, len);
    if (d->encrypted || len == 0)
        return true;
    uint8_t msg = gs_cur_u8(&rec);
    bool ok = true;
    if (dir == GS_DIR_TO_SERVER && msg == SSL2_CLIENT_MASTER_KEY)
        ok = ssl2_client_master_key(st, ctx, &rec);
    if (!ok)
        gs_emit_anomaly(ctx, "tls.bad_handshake", GS_ANOMALY_MALFORMED, "SSL 2.0 message");
    return true;
}

/* The first record of a direction. Without any hello seen on the connection, a record that
 * does not open a handshake (ClientHello from the client, ServerHello or HelloRequest from the
 * server) means the capture began mid-session: its contents are encrypted. */
static void first_record(struct tls_state *st, enum gs_dir dir, const struct gs_cursor *cur,
                         uint8_t type)
{
    const struct gs_tls_session *s = &st->session;
    if (s->handshakes > 0 || s->version != 0)
        return;
    uint8_t hs_type = 0xFF;
    if (type == REC_HANDSHAKE)
        (void)gs_cur_peek_at(cur, REC_HDR_LEN, &hs_type);
    bool opens = dir == GS_DIR_TO_SERVER
                     ? hs_type == HS_CLIENT_HELLO
                     : (hs_type == HS_SERVER_HELLO || hs_type == HS_HELLO_REQUEST);
    if (!opens && type != REC_ALERT)
        st->dir[dir].encrypted = true;
}

/* The first record of a direction in the SSL 2.0 form (a 2-byte header): CLIENT-HELLO or
 * SERVER-HELLO. Returns false with *needed set while the record is incomplete. */
static bool ssl2_hello_record(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir,
                              struct gs_cursor *cur, size_t *needed)
{
    uint8_t b0 = 0, b1 = 0;
    (void)gs_cur_peek_at(cur, 0, &b0);
    (void)gs_cur_peek_at(cur, 1, &b1);
    size_t len = SSL2_SHORT_LEN(b0, b1);
    size_t avail = gs_cur_remaining(cur);
    if (2 + len > avail) {
        *needed = 2 + len - avail;
        return false;
    }
    gs_cur_skip(cur, 3); /* header and message type */
    struct gs_cursor body = gs_cur_sub(cur, len - 1);
    st->dir[dir].seen = true;
    st->any_record = true;
    bool ok = dir == GS_DIR_TO_SERVER ? ssl2_client_hello(st, ctx, &body)
                                      : ssl2_server_hello(st, ctx, &body);
    if (!ok)
        gs_emit_anomaly(ctx, "tls.bad_handshake", GS_ANOMALY_MALFORMED,
                        dir == GS_DIR_TO_SERVER ? "SSL 2.0 CLIENT-HELLO" : "SSL 2.0 SERVER-HELLO");
    return true;
}

/* ---- framing -------------------------------------------------------------------------------- */

/* Whether a length-prefixed unit of `len` bytes frames the rest of the bytes: it ends exactly
 * where they end, or the next one starts with the same byte. */
static bool frames(const struct gs_cursor *cur, size_t len, uint8_t start)
{
    size_t avail = gs_cur_remaining(cur);
    uint8_t next = 0;
    return len == avail || (len < avail && gs_cur_peek_at(cur, len, &next) && next == start);
}

/* What plaintext bytes at the start of a TLS-port flow look like (digest tls_62351_3.md 8.1). */
static const char *plaintext_guess(const struct gs_cursor *cur)
{
    uint8_t b[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < 4; i++) {
        if (!gs_cur_peek_at(cur, i, &b[i]))
            return NULL;
    }
    /* IEC 60870-5-104 APCI: start 0x68, APDU length 4..253 (IEC 60870-5-104 5.1). */
    if (b[0] == 0x68 && b[1] >= 4 && b[1] <= 253 && frames(cur, (size_t)b[1] + 2, 0x68))
        return "iec104";
    /* DNP3 link header: 0x05 0x64, LENGTH >= 5 (IEEE 1815-2012 9.2.4.1). */
    if (b[0] == 0x05 && b[1] == 0x64 && b[2] >= 5)
        return "dnp3";
    /* TPKT version 3 (RFC 1006 6) carrying COTP and MMS. */
    size_t tpkt_len = ((size_t)b[2] << 8) | b[3];
    if (b[0] == 0x03 && b[1] == 0x00 && tpkt_len >= 7 && frames(cur, tpkt_len, 0x03))
        return "mms";
    if (memcmp(b, "GET ", 4) == 0 || memcmp(b, "POST", 4) == 0 || memcmp(b, "HTTP", 4) == 0)
        return "http";
    return NULL;
}

/* Looks for a record boundary: a plausible header whose record ends where the bytes end or
 * is followed by another plausible header. Returns its offset, or `avail` if none; sets
 * *wait when a candidate needs more bytes to be confirmed. */
static size_t find_record(const struct gs_cursor *cur, bool *wait)
{
    size_t avail = gs_cur_remaining(cur);
    *wait = false;
    for (size_t off = 0; off + REC_HDR_LEN <= avail; off++) {
        struct gs_cursor at = *cur;
        gs_cur_skip(&at, off);
        uint8_t type;
        size_t len;
        if (!peek_record(&at, &type, &len))
            continue;
        size_t end = off + REC_HDR_LEN + len;
        if (end == avail)
            return off;
        if (end > avail) {
            *wait = true;
            return off;
        }
        struct gs_cursor next = *cur;
        gs_cur_skip(&next, end);
        uint8_t type2;
        size_t len2;
        if (avail - end < REC_HDR_LEN) {
            *wait = true;
            return off;
        }
        if (peek_record(&next, &type2, &len2))
            return off;
    }
    return avail;
}

/* The bytes at the start of a flow are not TLS: report what they look like and give up. */
static struct gs_parse_res not_tls(struct tls_state *st, const struct gs_pkt_ctx *ctx,
                                   const struct gs_cursor *cur, size_t consumed)
{
    const char *guess = plaintext_guess(cur);
    gs_emit_anomaly(ctx, "tls.not_tls", GS_ANOMALY_MALFORMED,
                    guess != NULL ? guess : "no TLS record header");
    struct gs_tls_event ev = {.msg = GS_TLS_PLAINTEXT, .plaintext = guess};
    emit_tls(ctx, &ev, st);
    return gs_parse_error(consumed);
}

/*
 * Skips to the next record boundary. Returns true when framing is found again (parsing goes
 * on at the cursor); false with *res set when more bytes are needed or the flow turned out
 * not to be TLS. Bytes skipped are counted; a flow that never showed a record is given up
 * after RESYNC_LIMIT bytes.
 */
static bool resync(struct tls_state *st, const struct gs_pkt_ctx *ctx, struct gs_cursor *cur,
                   enum gs_dir dir, size_t start, struct gs_parse_res *res)
{
    struct tls_dir *d = &st->dir[dir];
    size_t avail = gs_cur_remaining(cur);
    bool wait;
    size_t off = find_record(cur, &wait);
    /* Without a candidate, keep the last bytes: a header may begin there. */
    size_t skip = off < avail ? off : (avail >= REC_HDR_LEN ? avail - (REC_HDR_LEN - 1) : 0);
    gs_cur_skip(cur, skip);
    d->resync_bytes += skip;
    if (off < avail && !wait) {
        d->resync = false;
        if (d->resync_bytes > 0)
            gs_emit_anomaly(ctx, "tls.resync", GS_ANOMALY_SEQUENCE, NULL);
        return true;
    }
    if (!st->any_record && d->resync_bytes > RESYNC_LIMIT) {
        *res = not_tls(st, ctx, cur, gs_cur_pos(cur) - start);
        return false;
    }
    size_t needed = 0;
    if (off < avail) {
        /* A candidate at the cursor waits for its record and the header after it. */
        uint8_t type;
        size_t len;
        (void)peek_record(cur, &type, &len);
        size_t have = gs_cur_remaining(cur);
        needed = REC_HDR_LEN + len + REC_HDR_LEN - have;
    }
    *res = gs_parse_incomplete(gs_cur_pos(cur) - start, needed);
    return false;
}

static size_t tls_state_size(const struct gs_config *cfg)
{
    return sizeof(struct tls_state) +
           (size_t)cfg->tls_max_certificates * sizeof(struct gs_tls_cert) +
           (size_t)cfg->tls_max_handshake_bytes;
}

static void tls_state_init(void *state, const struct gs_config *cfg)
{
    struct tls_state *st = state;
    st->max_hs = cfg->tls_max_handshake_bytes;
    st->max_certs = cfg->tls_max_certificates;
    /* The allocation is sized by tls_state_size: the certificate array, then the handshake
     * buffer. sizeof(struct tls_state) keeps the array aligned as the allocation is. */
    uint8_t *tail = (uint8_t *)state + sizeof(struct tls_state);
    st->certs = (struct gs_tls_cert *)(void *)tail;
    st->buf = tail + (size_t)st->max_certs * sizeof(struct gs_tls_cert);
    st->buf_owner = -1;
}

static void tls_state_reset(void *state, enum gs_dir dir)
{
    struct tls_state *st = state;
    struct tls_dir *d = &st->dir[dir];
    if (st->buf_owner == (int)dir)
        st->buf_owner = -1;
    d->hdr_len = d->msg_len = d->have = 0;
    d->hs_skip = 0;
    d->rec_skip = 0;
    d->resync = true;
    d->resync_bytes = 0;
}

static void set_inner(struct tls_state *st, const struct gs_pkt_ctx *ctx, enum gs_dir dir)
{
    st->inner_known = true;
    if (ctx->flow == NULL)
        return;
    uint16_t server_port = dir == GS_DIR_TO_SERVER ? ctx->flow->dst_port : ctx->flow->src_port;
    for (size_t i = 0; i < GS_ARRAY_LEN(inner_ports); i++) {
        if (inner_ports[i].port == server_port)
            st->session.inner = inner_ports[i].inner;
    }
}

static struct gs_parse_res tls_parse(void *state, const struct gs_pkt_ctx *ctx,
                                     struct gs_cursor *cur, enum gs_dir dir)
{
    struct tls_state *st = state;
    struct tls_dir *d = &st->dir[dir];
    if (!st->inner_known)
        set_inner(st, ctx, dir);
    size_t start = gs_cur_pos(cur);
    for (;;) {
        size_t used = gs_cur_pos(cur) - start;
        size_t avail = gs_cur_remaining(cur);
        if (avail == 0)
            return gs_parse_ok(used);
        if (d->rec_skip > 0) {
            size_t n = avail < d->rec_skip ? avail : d->rec_skip;
            gs_cur_skip(cur, n);
            d->rec_skip -= (uint32_t)n;
            continue;
        }
        if (d->sslv2) {
            size_t needed;
            if (!ssl2_record(st, ctx, dir, cur, &needed))
                return gs_parse_incomplete(used, needed);
            continue;
        }
        uint8_t hello = dir == GS_DIR_TO_SERVER ? SSL2_CLIENT_HELLO : SSL2_SERVER_HELLO;
        /* The SSL 2.0 form only opens a connection: a SERVER-HELLO answers such a client. */
        if (!d->seen && (dir == GS_DIR_TO_SERVER || st->sslv2_client) &&
            looks_like_ssl2_hello(cur, hello)) {
            size_t needed;
            if (!ssl2_hello_record(st, ctx, dir, cur, &needed))
                return gs_parse_incomplete(used, needed);
            continue;
        }
        if (avail < REC_HDR_LEN && !d->resync)
            return gs_parse_incomplete(used, REC_HDR_LEN - avail);
        uint8_t type;
        size_t len;
        if (!d->resync && !peek_record(cur, &type, &len)) {
            if (!st->any_record && plaintext_guess(cur) != NULL)
                return not_tls(st, ctx, cur, used);
            /* Mid-record (capture started mid-session) or corrupt: look for a boundary. */
            if (st->any_record)
                gs_emit_anomaly(ctx, "tls.bad_record", GS_ANOMALY_MALFORMED, NULL);
            d->resync = true;
            d->resync_bytes = 0;
        }
        if (d->resync) {
            struct gs_parse_res res;
            if (!resync(st, ctx, cur, dir, start, &res))
                return res;
            continue;
        }
        (void)peek_record(cur, &type, &len);
        if (type == REC_APP_DATA) {
            /* Bulk data: skipped as it arrives, never buffered. */
            if (!d->seen)
                first_record(st, dir, cur, type);
            d->seen = true;
            st->any_record = true;
            gs_cur_skip(cur, REC_HDR_LEN);
            d->rec_skip = (uint32_t)len;
            d->last_type = type;
            continue;
        }
        if (REC_HDR_LEN + len > avail)
            return gs_parse_incomplete(used, REC_HDR_LEN + len - avail);
        if (!d->seen)
            first_record(st, dir, cur, type);
        d->seen = true;
        st->any_record = true;
        gs_cur_skip(cur, REC_HDR_LEN);
        struct gs_cursor frag = gs_cur_sub(cur, len);
        tls_record(st, ctx, dir, type, &frag);
        d->last_type = type;
    }
}

/* A TLS record header starting a handshake (or, weaker, application data that frames
 * cleanly), or an SSL 2.0 CLIENT-HELLO. */
static unsigned tls_probe(const struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    if (looks_like_ssl2_hello(cur, SSL2_CLIENT_HELLO))
        return GS_PROBE_MATCH;
    uint8_t type;
    size_t len;
    if (!peek_record(cur, &type, &len) || len == 0)
        return GS_PROBE_NO;
    if (type == REC_HANDSHAKE) {
        uint8_t hs_type = 0, l0 = 0, l1 = 0, l2 = 0;
        if (!gs_cur_peek_at(cur, 5, &hs_type) || !gs_cur_peek_at(cur, 6, &l0) ||
            !gs_cur_peek_at(cur, 7, &l1) || !gs_cur_peek_at(cur, 8, &l2))
            return GS_PROBE_NO;
        size_t hs_len = ((size_t)l0 << 16) | ((size_t)l1 << 8) | l2;
        if ((hs_type == HS_CLIENT_HELLO || hs_type == HS_SERVER_HELLO) && hs_len >= 38 &&
            hs_len <= 0xFFFFu)
            return GS_PROBE_SURE;
        return GS_PROBE_NO;
    }
    if (type == REC_APP_DATA) {
        size_t avail = gs_cur_remaining(cur);
        if (REC_HDR_LEN + len == avail)
            return GS_PROBE_MATCH;
        if (REC_HDR_LEN + len < avail) {
            struct gs_cursor next = *cur;
            gs_cur_skip(&next, REC_HDR_LEN + len);
            uint8_t t2;
            size_t l2n;
            return peek_record(&next, &t2, &l2n) ? GS_PROBE_MATCH : GS_PROBE_NO;
        }
    }
    return GS_PROBE_NO;
}

const struct gs_dissector gs_tls_dissector = {
    .name = "tls",
    .transport = GS_TRANSPORT_TCP,
    .tcp_ports = tls_tcp_ports,
    .probe = tls_probe,
    .state_size = tls_state_size,
    .state_init = tls_state_init,
    .state_reset = tls_state_reset,
    .parse = tls_parse,
    .event_names = tls_event_names,
};
