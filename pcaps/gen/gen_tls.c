/*
 * gen_tls.c - writes pcaps/tls_62351.pcap: IEC 104 over TLS (TCP 19998) and MMS over TLS
 * (TCP 3782), one connection per case of the IEC 62351-3 profile check, each from its own
 * client port so a test can tell them apart:
 *
 *   IEC 104, server 10.30.0.10:19998
 *     41001 compliant: TLS 1.2, ECDHE-RSA-AES128-GCM, RSA 2048 / SHA-256, mutual auth; the
 *           server flight in 1000-byte records over 700-byte segments (messages span both)
 *     41002 TLS 1.0 negotiated                          41003 RC4 offered and selected
 *     41004 NULL offered and selected                   41005 server key RSA 1024
 *     41006 server certificate signed with SHA-1        41007 server certificate expired
 *     41008 server certificate not yet valid
 *     41009 no secure renegotiation (RFC 5746), and a renegotiation after data
 *     41010 no CertificateRequest (no client authentication)
 *     41011 CertificateRequest answered with an empty client certificate list
 *     41012 compliant TLS 1.3 (AES-128-GCM)
 *     41013 IEC 104 in plaintext on the TLS port
 *   MMS, server 10.40.0.20:3782
 *     42001 compliant: ECDHE-ECDSA-AES128-GCM, EC P-256 server key, mutual auth
 *     42002 server key EC P-192                         42003 client certificate expired
 *     42004 SSL 3.0 negotiated (with secure renegotiation signalled)
 *
 * Certificates come from tls_certs.c (see scripts/gen-tls-certs.sh); everything encrypted is
 * pseudo-random bytes of a plausible length. Usage: gen_tls OUT.pcap
 */
#include <stdio.h>
#include <string.h>

#include "pcapw.h"
#include "tls_certs.h"
#include "tlsw.h"

#define T0 1795000000000000ull /* 2026-11-18T11:06:40Z */

#define IEC104_SERVER 0x0A1E000Au /* 10.30.0.10 */
#define MMS_SERVER    0x0A280014u /* 10.40.0.20 */

#define REC_CCS       20
#define REC_ALERT     21
#define REC_HANDSHAKE 22
#define REC_APP_DATA  23

#define MAX_FLIGHT 32768

static const uint16_t groups[] = {0x001D, 0x0017, 0x0018};
static const uint16_t sig_algs[] = {0x0804, 0x0403, 0x0401, 0x0503, 0x0805, 0x0501};

struct tls_case {
    uint16_t client_port;
    uint32_t client_ip;
    uint32_t server_ip;
    uint16_t server_port;
    const char *sni;
    uint16_t ch_version;
    const uint16_t *suites;
    size_t n_suites;
    bool ch_reneg;
    uint16_t sh_version;
    uint16_t suite;
    bool sh_reneg;
    struct gs_tlsw_der server_chain[2];
    size_t n_server;
    bool cert_request;
    int client_certs; /* -1: no Certificate message; otherwise how many of client_chain */
    struct gs_tlsw_der client_chain[2];
    bool renegotiate;
    size_t max_fragment; /* 0: 16384 */
    size_t seg_len;      /* 0: one segment per flight */
};

static struct gs_tlsw_der der(const unsigned char *bytes, size_t len)
{
    struct gs_tlsw_der d = {bytes, len};
    return d;
}

/* Sends `len` bytes from one side, in one segment or cut into seg_len pieces. */
static void send_bytes(struct gs_tcp_session *s, bool from_client, const uint8_t *data, size_t len,
                       size_t seg_len)
{
    if (seg_len == 0 || seg_len >= len)
        gs_tcp_send(s, from_client, data, len);
    else
        gs_tcp_send_segmented(s, from_client, data, len, seg_len);
}

/* Wraps handshake messages in records and appends them to a flight. */
static void add_handshake(struct gs_tlsw *flight, uint16_t version, const struct gs_tlsw *msgs,
                          size_t max_fragment)
{
    gs_tlsw_records(flight, REC_HANDSHAKE, version, msgs->buf, msgs->len,
                    max_fragment != 0 ? max_fragment : 16384);
}

/* CCS, then the encrypted Finished. */
static void add_ccs_finished(struct gs_tlsw *flight, uint16_t version, uint32_t *seed)
{
    uint8_t one = 1;
    gs_tlsw_records(flight, REC_CCS, version, &one, 1, 16384);
    gs_tlsw_opaque_record(flight, REC_HANDSHAKE, version, 40, seed);
}

static void tls12_case(struct gs_pcapw *w, uint64_t ts, const struct tls_case *c)
{
    static uint8_t msg_buf[MAX_FLIGHT], flight_buf[MAX_FLIGHT];
    struct gs_tlsw msgs, flight;
    uint32_t seed = c->client_port;
    struct gs_tcp_session s;
    gs_tcp_init(&s, w, ts, c->client_ip, c->client_port, c->server_ip, c->server_port);
    gs_tcp_handshake(&s);
    uint16_t rv = c->sh_version; /* record version once negotiated */

    /* ClientHello (record version 0x0301, as most clients send it; 0x0300 for SSL 3.0). */
    gs_tlsw_init(&msgs, msg_buf, sizeof(msg_buf));
    struct gs_tlsw_client_hello ch = {.version = c->ch_version,
                                      .suites = c->suites,
                                      .n_suites = c->n_suites,
                                      .sni = c->sni,
                                      .reneg_info = c->ch_reneg,
                                      .groups = groups,
                                      .n_groups = 3,
                                      .sig_algs = sig_algs,
                                      .n_sig_algs = c->ch_version >= 0x0303 ? 6 : 0,
                                      .no_extensions = c->ch_version == 0x0300,
                                      .seed = seed};
    gs_tlsw_client_hello(&msgs, &ch);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    add_handshake(&flight, c->ch_version == 0x0300 ? 0x0300 : 0x0301, &msgs, 0);
    send_bytes(&s, true, flight.buf, flight.len, 0);

    /* ServerHello, Certificate, ServerKeyExchange, [CertificateRequest], ServerHelloDone. */
    gs_tlsw_init(&msgs, msg_buf, sizeof(msg_buf));
    uint8_t sid[32];
    struct gs_tlsw sidw;
    gs_tlsw_init(&sidw, sid, sizeof(sid));
    gs_tlsw_random(&sidw, sizeof(sid), &seed);
    struct gs_tlsw_server_hello sh = {.version = c->sh_version,
                                      .suite = c->suite,
                                      .reneg_info = c->sh_reneg,
                                      .session_id = sid,
                                      .session_id_len = sizeof(sid),
                                      .seed = seed + 1};
    gs_tlsw_server_hello(&msgs, &sh);
    gs_tlsw_certificate(&msgs, c->server_chain, c->n_server);
    bool ecdhe = (c->suite & 0xFF00u) == 0xC000u;
    if (ecdhe)
        gs_tlsw_ske_ecdhe(&msgs, 0x0017, 256, &seed);
    if (c->cert_request)
        gs_tlsw_cert_request(&msgs);
    gs_tlsw_opaque(&msgs, 14, 0, &seed);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    add_handshake(&flight, rv, &msgs, c->max_fragment);
    send_bytes(&s, false, flight.buf, flight.len, c->seg_len);

    /* [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished. */
    gs_tlsw_init(&msgs, msg_buf, sizeof(msg_buf));
    if (c->client_certs >= 0)
        gs_tlsw_certificate(&msgs, c->client_chain, (size_t)c->client_certs);
    gs_tlsw_client_kx(&msgs, ecdhe, &seed);
    if (c->client_certs > 0)
        gs_tlsw_opaque(&msgs, 15, 260, &seed);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    add_handshake(&flight, rv, &msgs, c->max_fragment);
    add_ccs_finished(&flight, rv, &seed);
    send_bytes(&s, true, flight.buf, flight.len, c->seg_len);

    /* NewSessionTicket... not issued; the server's CCS and Finished. */
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    add_ccs_finished(&flight, rv, &seed);
    send_bytes(&s, false, flight.buf, flight.len, 0);

    /* Application data: an IEC 104 STARTDT / MMS initiate and the answer, encrypted. */
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    gs_tlsw_opaque_record(&flight, REC_APP_DATA, rv, 30, &seed);
    send_bytes(&s, true, flight.buf, flight.len, 0);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    gs_tlsw_opaque_record(&flight, REC_APP_DATA, rv, 46, &seed);
    send_bytes(&s, false, flight.buf, flight.len, 0);

    if (c->renegotiate) {
        /* The client renegotiates under the current keys: every handshake record is
         * encrypted, so only the framing shows it. */
        gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
        gs_tlsw_opaque_record(&flight, REC_HANDSHAKE, rv, 220, &seed);
        send_bytes(&s, true, flight.buf, flight.len, 0);
        gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
        gs_tlsw_opaque_record(&flight, REC_HANDSHAKE, rv, 1400, &seed);
        send_bytes(&s, false, flight.buf, flight.len, 0);
        gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
        gs_tlsw_opaque_record(&flight, REC_HANDSHAKE, rv, 300, &seed);
        add_ccs_finished(&flight, rv, &seed);
        send_bytes(&s, true, flight.buf, flight.len, 0);
        gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
        add_ccs_finished(&flight, rv, &seed);
        send_bytes(&s, false, flight.buf, flight.len, 0);
        gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
        gs_tlsw_opaque_record(&flight, REC_APP_DATA, rv, 30, &seed);
        send_bytes(&s, true, flight.buf, flight.len, 0);
    }

    /* close_notify, then the TCP close. */
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    gs_tlsw_opaque_record(&flight, REC_ALERT, rv, 26, &seed);
    send_bytes(&s, true, flight.buf, flight.len, 0);
    gs_tcp_close(&s);
}

/* TLS 1.3: the hellos in clear, everything after the ServerHello in application-data
 * records, with the middlebox-compatibility CCS of RFC 8446 D.4. */
static void tls13_case(struct gs_pcapw *w, uint64_t ts, uint16_t client_port)
{
    static uint8_t msg_buf[4096], flight_buf[8192];
    struct gs_tlsw msgs, flight;
    uint32_t seed = client_port;
    struct gs_tcp_session s;
    gs_tcp_init(&s, w, ts, 0x0A1E0015u + 12, client_port, IEC104_SERVER, 19998);
    gs_tcp_handshake(&s);
    static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
    static const uint16_t versions[] = {0x0304};
    uint8_t sid[32];
    struct gs_tlsw sidw;
    gs_tlsw_init(&sidw, sid, sizeof(sid));
    gs_tlsw_random(&sidw, sizeof(sid), &seed);
    gs_tlsw_init(&msgs, msg_buf, sizeof(msg_buf));
    struct gs_tlsw_client_hello ch = {.version = 0x0303,
                                      .suites = suites,
                                      .n_suites = 3,
                                      .sni = "rtu12.substation.example",
                                      .versions = versions,
                                      .n_versions = 1,
                                      .groups = groups,
                                      .n_groups = 3,
                                      .sig_algs = sig_algs,
                                      .n_sig_algs = 6,
                                      .session_id = sid,
                                      .session_id_len = sizeof(sid),
                                      .seed = seed};
    gs_tlsw_client_hello(&msgs, &ch);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    add_handshake(&flight, 0x0301, &msgs, 0);
    send_bytes(&s, true, flight.buf, flight.len, 0);

    gs_tlsw_init(&msgs, msg_buf, sizeof(msg_buf));
    struct gs_tlsw_server_hello sh = {.version = 0x0303,
                                      .suite = 0x1301,
                                      .selected_version = 0x0304,
                                      .session_id = sid,
                                      .session_id_len = sizeof(sid),
                                      .key_share_group = 0x001D,
                                      .seed = seed + 1};
    gs_tlsw_server_hello(&msgs, &sh);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    add_handshake(&flight, 0x0303, &msgs, 0);
    uint8_t one = 1;
    gs_tlsw_records(&flight, REC_CCS, 0x0303, &one, 1, 16384);
    /* EncryptedExtensions, Certificate, CertificateRequest, CertificateVerify, Finished. */
    gs_tlsw_opaque_record(&flight, REC_APP_DATA, 0x0303, 2200, &seed);
    send_bytes(&s, false, flight.buf, flight.len, 0);

    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    gs_tlsw_records(&flight, REC_CCS, 0x0303, &one, 1, 16384);
    /* Certificate, CertificateVerify, Finished of the client. */
    gs_tlsw_opaque_record(&flight, REC_APP_DATA, 0x0303, 1500, &seed);
    send_bytes(&s, true, flight.buf, flight.len, 0);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    gs_tlsw_opaque_record(&flight, REC_APP_DATA, 0x0303, 250, &seed); /* NewSessionTicket */
    send_bytes(&s, false, flight.buf, flight.len, 0);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    gs_tlsw_opaque_record(&flight, REC_APP_DATA, 0x0303, 31, &seed);
    send_bytes(&s, true, flight.buf, flight.len, 0);
    gs_tlsw_init(&flight, flight_buf, sizeof(flight_buf));
    gs_tlsw_opaque_record(&flight, REC_APP_DATA, 0x0303, 47, &seed);
    send_bytes(&s, false, flight.buf, flight.len, 0);
    gs_tcp_close(&s);
}

/* IEC 104 without TLS on the TLS port: STARTDT act / con, then an interrogation. */
static void plaintext_case(struct gs_pcapw *w, uint64_t ts, uint16_t client_port)
{
    struct gs_tcp_session s;
    gs_tcp_init(&s, w, ts, 0x0A1E0015u + 13, client_port, IEC104_SERVER, 19998);
    gs_tcp_handshake(&s);
    uint8_t apdu[32];
    size_t n = gs_hex(apdu, sizeof(apdu), "68 04 07 00 00 00");
    gs_tcp_send(&s, true, apdu, n);
    n = gs_hex(apdu, sizeof(apdu), "68 04 0B 00 00 00");
    gs_tcp_send(&s, false, apdu, n);
    n = gs_hex(apdu, sizeof(apdu), "68 0E 00 00 00 00 64 01 06 00 01 00 00 00 00 14");
    gs_tcp_send(&s, true, apdu, n);
    gs_tcp_close(&s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_tls OUT.pcap\n");
        return 2;
    }
    static const uint16_t good[] = {0xC02F, 0xC030, 0x009E, 0x00FF};
    static const uint16_t old[] = {0xC013, 0x002F, 0x00FF};
    static const uint16_t rc4[] = {0xC02F, 0x0005, 0x00FF};
    static const uint16_t null[] = {0xC02F, 0x003B, 0x00FF};
    static const uint16_t no_scsv[] = {0xC02F, 0xC030};
    static const uint16_t ecdsa[] = {0xC02B, 0xC02C, 0x00FF};
    static const uint16_t ssl3[] = {0x002F, 0x0035, 0x00FF};
    struct gs_tlsw_der ca = der(gs_cert_ca, gs_cert_ca_len);
    struct gs_tlsw_der server = der(gs_cert_server, gs_cert_server_len);
    struct gs_tlsw_der client = der(gs_cert_client, gs_cert_client_len);

    struct tls_case base = {.client_ip = 0x0A1E0015u, /* 10.30.0.21 .. */
                            .server_ip = IEC104_SERVER,
                            .server_port = 19998,
                            .ch_version = 0x0303,
                            .suites = good,
                            .n_suites = 4,
                            .ch_reneg = true,
                            .sh_version = 0x0303,
                            .suite = 0xC02F,
                            .sh_reneg = true,
                            .server_chain = {server, ca},
                            .n_server = 2,
                            .cert_request = true,
                            .client_certs = 2,
                            .client_chain = {client, ca}};
    struct tls_case cases[16];
    size_t n = 0;
    struct tls_case c;

    c = base; /* 41001 compliant, fragmented */
    c.sni = "rtu1.substation.example";
    c.max_fragment = 1000;
    c.seg_len = 700;
    cases[n++] = c;
    c = base; /* 41002 TLS 1.0 */
    c.ch_version = c.sh_version = 0x0301;
    c.suites = old;
    c.n_suites = 3;
    c.suite = 0xC013;
    cases[n++] = c;
    c = base; /* 41003 RC4 */
    c.suites = rc4;
    c.n_suites = 3;
    c.suite = 0x0005;
    cases[n++] = c;
    c = base; /* 41004 NULL */
    c.suites = null;
    c.n_suites = 3;
    c.suite = 0x003B;
    cases[n++] = c;
    c = base; /* 41005 RSA 1024 */
    c.server_chain[0] = der(gs_cert_rsa1024, gs_cert_rsa1024_len);
    cases[n++] = c;
    c = base; /* 41006 SHA-1 */
    c.server_chain[0] = der(gs_cert_sha1, gs_cert_sha1_len);
    cases[n++] = c;
    c = base; /* 41007 expired */
    c.server_chain[0] = der(gs_cert_expired, gs_cert_expired_len);
    cases[n++] = c;
    c = base; /* 41008 not yet valid */
    c.server_chain[0] = der(gs_cert_notyet, gs_cert_notyet_len);
    cases[n++] = c;
    c = base; /* 41009 no RFC 5746, then a renegotiation */
    c.suites = no_scsv;
    c.n_suites = 2;
    c.ch_reneg = false;
    c.sh_reneg = false;
    c.renegotiate = true;
    cases[n++] = c;
    c = base; /* 41010 no CertificateRequest */
    c.cert_request = false;
    c.client_certs = -1;
    cases[n++] = c;
    c = base; /* 41011 empty client certificate list */
    c.client_certs = 0;
    cases[n++] = c;
    for (size_t i = 0; i < n; i++) {
        cases[i].client_port = (uint16_t)(41001 + i);
        cases[i].client_ip = 0x0A1E0015u + (uint32_t)i;
    }

    struct tls_case mms = base;
    mms.server_ip = MMS_SERVER;
    mms.server_port = 3782;
    mms.suites = ecdsa;
    mms.n_suites = 3;
    mms.suite = 0xC02B;
    mms.server_chain[0] = der(gs_cert_ied_ec, gs_cert_ied_ec_len);
    struct tls_case mms_cases[4];
    size_t m = 0;
    c = mms; /* 42001 compliant */
    c.sni = "ied1.substation.example";
    mms_cases[m++] = c;
    c = mms; /* 42002 EC P-192 */
    c.server_chain[0] = der(gs_cert_ied_p192, gs_cert_ied_p192_len);
    mms_cases[m++] = c;
    c = mms; /* 42003 expired client certificate */
    c.client_chain[0] = der(gs_cert_client_expired, gs_cert_client_expired_len);
    mms_cases[m++] = c;
    c = mms; /* 42004 SSL 3.0 */
    c.ch_version = c.sh_version = 0x0300;
    c.suites = ssl3;
    c.n_suites = 3;
    c.suite = 0x002F;
    c.server_chain[0] = server;
    mms_cases[m++] = c;
    for (size_t i = 0; i < m; i++) {
        mms_cases[i].client_port = (uint16_t)(42001 + i);
        mms_cases[i].client_ip = 0x0A280115u + (uint32_t)i; /* 10.40.1.21 .. */
    }

    struct gs_pcapw w;
    gs_pcapw_open(&w, argv[1], GS_PCAPW_LINKTYPE_ETHERNET);
    uint64_t ts = T0;
    for (size_t i = 0; i < n; i++, ts += 1000000u)
        tls12_case(&w, ts, &cases[i]);
    tls13_case(&w, ts, 41012);
    ts += 1000000u;
    plaintext_case(&w, ts, 41013);
    ts += 1000000u;
    for (size_t i = 0; i < m; i++, ts += 1000000u)
        tls12_case(&w, ts, &mms_cases[i]);
    gs_pcapw_close(&w);
    return 0;
}
