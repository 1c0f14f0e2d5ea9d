/*
 * gen_rgoose.c - writes pcaps/rgoose.pcap: R-GOOSE and R-SV (IEC 61850-90-5 session protocol
 * on UDP 102) in the forms no public capture holds together, each signed with the rule its
 * source uses (../shared/specs/iec62351_6.md §3-4):
 *
 *   1. R-GOOSE v1, HMAC-SHA256-128 as 85 LL MAC over SI..end of payload (SISCO post-2012).
 *   2. R-GOOSE v1, legacy 85 MAC (no length octet), SPDU length counted from after SI and LI
 *      to the payload end and the MAC over SPDU-length octets from SI (the 2011 SISCO sample).
 *   3. R-GOOSE v2, key id and a 12-octet IV, a padding element, HMAC-SHA256-128 over CLTP..end
 *      of payload (libiec61850's v2 rule).
 *   4. R-SV v1 with two ASDUs, HMAC-SHA256-80.
 *   5. R-SV v2, key id and IV, AES-GMAC-128 over CLTP..end of payload.
 *   6. R-GOOSE v2 unsigned (key id 0) with a trailing 00 after the payload (a 2017 device).
 *   7. A tunnel SPDU (v1, HMAC-SHA256-256) carrying a layer-2 GOOSE frame.
 *   8. A management SPDU (v2, unsigned).
 *   9. R-GOOSE v2 as libiec61850 writes it: LI 24/18 and an APDU length 2 above the APDU.
 *
 * Test-only keys (never for a real system): key id 1 = 10 11 .. 2f (32 octets), key id 5 =
 * 30 31 .. 4f, key id 6 = 50 51 .. 6f (16 octets, GMAC), key id 7 = 70 71 .. 8f.
 *
 * Usage: gen_rgoose OUT.pcap
 */
#include <stdio.h>
#include <string.h>

#include "iec61850w.h"
#include "macw.h"
#include "pcapw.h"

#define T0     1795010400000000ull /* 2026-11-18T14:00:00Z */
#define T0_S   1795010400u
#define BUF    4096
#define SRC_IP 0x0A00050Bu /* 10.0.5.11 */
#define DST_IP 0xEFC00001u /* 239.192.0.1 */
#define SPORT  50102
#define DPORT  102

static const struct gs_l2_addr l2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x05, 0x0b},
                                     .dst = {0x01, 0x00, 0x5e, 0x40, 0x00, 0x01}};

static size_t goose_apdu(uint8_t *out, const char *gocb, uint32_t st, uint32_t sq, bool pos)
{
    uint8_t data[64];
    struct gs_berw d;
    gs_berw_init(&d, data, sizeof(data));
    uint8_t dbpos[2] = {0x06, pos ? 0x80 : 0x40};
    gs_berw_tlv(&d, 0x84, dbpos, 2);
    gs_berw_bool(&d, 0x83, pos);
    gs_berw_uint(&d, 0x86, st);
    struct gs_goose_spec s = {.gocb_ref = gocb,
                              .ttl_ms = 1000,
                              .dat_set = "RIED1/LLN0$dsRemote",
                              .go_id = "RGOOSE1",
                              .t_secs = T0_S - 5,
                              .t_frac = 0x800000,
                              .t_quality = 0x0A,
                              .st_num = st,
                              .sq_num = sq,
                              .conf_rev = 1,
                              .entries = 3,
                              .all_data = data,
                              .all_data_len = d.n};
    return gs_goose_apdu(out, BUF, &s);
}

static size_t sv_apdu(uint8_t *out, const char *sv_id, uint16_t smp_cnt, unsigned n)
{
    uint8_t seq[2][64];
    struct gs_sv_asdu_spec a[2];
    memset(a, 0, sizeof(a));
    for (unsigned i = 0; i < n; i++) {
        int32_t v[8] = {(int32_t)(smp_cnt + i) * 10, 0, 0, 0, 6350000, 0, 0, 0};
        uint32_t q[8] = {0};
        gs_sv_le_seq_data(seq[i], v, q);
        a[i].sv_id = sv_id;
        a[i].smp_cnt = (uint16_t)(smp_cnt + i);
        a[i].conf_rev = 1;
        a[i].smp_synch = 2;
        a[i].seq_data = seq[i];
        a[i].seq_len = 64;
    }
    return gs_sv_apdu(out, BUF, a, n);
}

/* Appends 85 LL MAC (or the legacy 85 MAC) computed over spdu[from, to). */
static size_t sign(uint8_t *spdu, size_t len, size_t from, size_t to, const uint8_t *key,
                   size_t key_len, size_t mac_len, bool legacy, const uint8_t *gmac_iv)
{
    uint8_t mac[32];
    if (gmac_iv != NULL)
        gs_macw_gmac128(key, gmac_iv, spdu + from, to - from, mac);
    else
        gs_macw_hmac_sha256(key, key_len, spdu + from, to - from, mac);
    spdu[len++] = 0x85;
    if (!legacy)
        spdu[len++] = (uint8_t)mac_len;
    memcpy(spdu + len, mac, mac_len);
    return len + mac_len;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void send(struct gs_pcapw *w, uint64_t ts, const uint8_t *spdu, size_t len)
{
    gs_write_udp(w, ts, &l2, SRC_IP, DST_IP, SPORT, DPORT, spdu, len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_rgoose OUT.pcap\n");
        return 2;
    }
    struct gs_pcapw w;
    gs_pcapw_open(&w, argv[1], GS_PCAPW_LINKTYPE_ETHERNET);
    uint8_t key1[32], key5[32], key6[16], key7[32];
    gs_macw_test_key(key1, 32, 0x10);
    gs_macw_test_key(key5, 32, 0x30);
    gs_macw_test_key(key6, 16, 0x50);
    gs_macw_test_key(key7, 32, 0x70);
    uint8_t apdu[BUF], payload[BUF], spdu[BUF];
    size_t si, pl;
    uint64_t t = T0;
    uint32_t spdu_num = 1000;

    /* 1. v1, 85 LL MAC over SI..payload end */
    for (uint32_t sq = 0; sq < 3; sq++) {
        size_t a = goose_apdu(apdu, "RIED1/LLN0$GO$gcbRemote", 5, sq, true);
        size_t p = gs_rsession_element(payload, BUF, 0x81, 0, 0x0101, apdu, a);
        struct gs_rsession_spec s = {.si = 0xA1,
                                     .version = 1,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S - 600,
                                     .ttnk = 30,
                                     .mac_alg = 2,
                                     .key_id = {0, 0, 0, 1}};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        n = sign(spdu, n, si, n, key1, 32, 16, false, NULL);
        send(&w, t, spdu, n);
        t += 1000;
    }
    /* 2. v1 legacy: SPDU length from after SI and LI, MAC over SPDU-length octets from SI */
    for (uint32_t sq = 3; sq < 5; sq++) {
        size_t a = goose_apdu(apdu, "RIED1/LLN0$GO$gcbRemote", 5, sq, true);
        size_t p = gs_rsession_element(payload, BUF, 0x81, 0, 0x0101, apdu, a);
        struct gs_rsession_spec s = {.si = 0xA1,
                                     .version = 1,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S - 600,
                                     .ttnk = 30,
                                     .mac_alg = 2,
                                     .key_id = {1, 0, 0, 0}};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        uint32_t spdu_len = (uint32_t)(n - si - 2);
        put_be32(spdu + si + 4, spdu_len);
        n = sign(spdu, n, si, si + spdu_len, key1, 32, 16, true, NULL);
        send(&w, t, spdu, n);
        t += 1000;
    }
    /* 3. v2 with key id and IV, padding, HMAC over CLTP..payload end */
    for (uint32_t sq = 0; sq < 2; sq++) {
        static const uint8_t iv[12] = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5,
                                       0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB};
        size_t a = goose_apdu(apdu, "RIED2/LLN0$GO$gcbV2", 9 + sq, 0, sq != 0);
        size_t p = gs_rsession_element(payload, BUF, 0x81, 0, 0x0102, apdu, a);
        struct gs_rsession_spec s = {.si = 0xA1,
                                     .version = 2,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S - 600,
                                     .ttnk = 29,
                                     .key_id = {0, 0, 0, 5},
                                     .iv = iv,
                                     .iv_len = 12};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        size_t end = n;
        spdu[n++] = 0xAF; /* padding element */
        spdu[n++] = 3;
        spdu[n++] = 0;
        spdu[n++] = 0;
        spdu[n++] = 0;
        n = end + 5;
        uint8_t mac[32];
        gs_macw_hmac_sha256(key5, 32, spdu, end, mac);
        spdu[n++] = 0x85;
        spdu[n++] = 16;
        memcpy(spdu + n, mac, 16);
        n += 16;
        send(&w, t, spdu, n);
        t += 1000;
    }
    /* 4. R-SV v1, two ASDUs, HMAC-SHA256-80 */
    for (uint16_t k = 0; k < 3; k++) {
        size_t a = sv_apdu(apdu, "RMU01", (uint16_t)(3998 + 2 * k), 2);
        size_t p = gs_rsession_element(payload, BUF, 0x82, 0, 0x4101, apdu, a);
        struct gs_rsession_spec s = {.si = 0xA2,
                                     .version = 1,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S - 600,
                                     .ttnk = 30,
                                     .mac_alg = 1,
                                     .key_id = {0, 0, 0, 1}};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        n = sign(spdu, n, si, n, key1, 32, 10, false, NULL);
        send(&w, t, spdu, n);
        t += 250;
    }
    /* 5. R-SV v2, AES-GMAC-128 with the header's IV over CLTP..payload end */
    for (uint16_t k = 0; k < 2; k++) {
        uint8_t iv[12];
        for (int i = 0; i < 12; i++)
            iv[i] = (uint8_t)(0xD0 + i + k);
        size_t a = sv_apdu(apdu, "RMU02", (uint16_t)(100 + k), 1);
        size_t p = gs_rsession_element(payload, BUF, 0x82, 1, 0x4102, apdu, a);
        struct gs_rsession_spec s = {.si = 0xA2,
                                     .version = 2,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S - 600,
                                     .ttnk = 30,
                                     .key_id = {0, 0, 0, 6},
                                     .iv = iv,
                                     .iv_len = 12};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        n = sign(spdu, n, 0, n, key6, 16, 16, false, iv);
        send(&w, t, spdu, n);
        t += 250;
    }
    /* 6. v2 unsigned, a trailing 00 counted in the SPDU length */
    {
        size_t a = goose_apdu(apdu, "PIGO/LLN0$GO$gcb1", 1, 7, false);
        size_t p = gs_rsession_element(payload, BUF, 0x81, 0, 0x0103, apdu, a);
        struct gs_rsession_spec s = {.si = 0xA1,
                                     .version = 2,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S,
                                     .ttnk = 0x0226,
                                     .key_id = {0, 0, 0, 0}};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        spdu[n++] = 0;
        put_be32(spdu + si + 4, (uint32_t)(n - si - 8));
        send(&w, t, spdu, n);
        t += 1000;
    }
    /* 7. A tunnel SPDU with a layer-2 GOOSE frame, HMAC-SHA256-256 */
    {
        size_t a = goose_apdu(apdu, "TUNIED/LLN0$GO$gcbTunnel", 2, 1, true);
        uint8_t frame[BUF];
        size_t f = gs_l2pdu(frame, BUF, 0x0104, 0, 0, apdu, a);
        struct gs_berw e;
        gs_berw_init(&e, payload, BUF);
        gs_berw_u8(&e, 0x83);
        gs_berw_u8(&e, 0);
        gs_berw_be16(&e, 0x0104);
        static const uint8_t dst[6] = {0x01, 0x0c, 0xcd, 0x01, 0x01, 0x04};
        gs_berw_raw(&e, dst, 6);
        gs_berw_be16(&e, 0x8100);
        gs_berw_be16(&e, 0x8000); /* priority 4, VID 0 */
        gs_berw_be16(&e, (uint16_t)f);
        gs_berw_be16(&e, 0x88B8);
        gs_berw_raw(&e, frame, f);
        struct gs_rsession_spec s = {.si = 0xA0,
                                     .version = 1,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S - 600,
                                     .ttnk = 30,
                                     .mac_alg = 3,
                                     .key_id = {0, 0, 0, 7}};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, e.n, &si, &pl);
        n = sign(spdu, n, si, n, key7, 32, 32, false, NULL);
        send(&w, t, spdu, n);
        t += 1000;
    }
    /* 8. A management SPDU */
    {
        static const uint8_t mngt[4] = {0xA0, 0x02, 0x80, 0x00};
        size_t p = gs_rsession_element(payload, BUF, 0x84, 0, 0x0000, mngt, sizeof(mngt));
        struct gs_rsession_spec s = {.si = 0xA3,
                                     .version = 2,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S,
                                     .ttnk = -1,
                                     .key_id = {0, 0, 0, 0}};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        send(&w, t, spdu, n);
        t += 1000;
    }
    /* 9. libiec61850 style: LI 24/18 on v2, APDU length + 2 */
    {
        size_t a = goose_apdu(apdu, "LIBIED/LLN0$GO$gcbLib", 3, 4, true);
        size_t p = gs_rsession_element(payload, BUF, 0x81, 0, 0x0105, apdu, a);
        payload[4] = (uint8_t)((a + 2) >> 8);
        payload[5] = (uint8_t)(a + 2);
        struct gs_rsession_spec s = {.si = 0xA1,
                                     .version = 2,
                                     .spdu_num = spdu_num++,
                                     .tock = T0_S,
                                     .ttnk = 60,
                                     .key_id = {0, 0, 0, 0}};
        size_t n = gs_rsession_spdu(spdu, BUF, &s, payload, p, &si, &pl);
        spdu[si + 1] = 24;
        spdu[si + 3] = 18;
        put_be32(spdu + si + 4, (uint32_t)(20 + p));
        send(&w, t, spdu, n);
    }
    gs_pcapw_close(&w);
    return 0;
}
