/*
 * tls_certs.h - the DER certificates gen_tls.c puts in its handshakes (tls_certs.c, written by
 * scripts/gen-tls-certs.sh). All issued by gs_cert_ca (RSA 2048, SHA-256, 2020..2045).
 */
#ifndef GS_PCAPS_TLS_CERTS_H
#define GS_PCAPS_TLS_CERTS_H

#include <stddef.h>

extern const unsigned char gs_cert_ca[]; /* self-signed CA */
extern const size_t gs_cert_ca_len;
extern const unsigned char gs_cert_server[]; /* RSA 2048, SHA-256, 2024..2034 */
extern const size_t gs_cert_server_len;
extern const unsigned char gs_cert_client[]; /* RSA 2048, SHA-256, 2024..2034 */
extern const size_t gs_cert_client_len;
extern const unsigned char gs_cert_rsa1024[]; /* RSA 1024 */
extern const size_t gs_cert_rsa1024_len;
extern const unsigned char gs_cert_sha1[]; /* signed with sha1WithRSAEncryption */
extern const size_t gs_cert_sha1_len;
extern const unsigned char gs_cert_expired[]; /* 2019..2021 */
extern const size_t gs_cert_expired_len;
extern const unsigned char gs_cert_notyet[]; /* 2030..2040 */
extern const size_t gs_cert_notyet_len;
extern const unsigned char gs_cert_ied_ec[]; /* EC P-256 key (signed by the RSA CA, SHA-256) */
extern const size_t gs_cert_ied_ec_len;
extern const unsigned char gs_cert_ied_p192[]; /* EC P-192 */
extern const size_t gs_cert_ied_p192_len;
extern const unsigned char gs_cert_client_expired[]; /* client, 2018..2020 */
extern const size_t gs_cert_client_expired_len;

#endif
