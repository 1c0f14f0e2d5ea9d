/*
 * gen_goose.c - writes pcaps/goose.pcap: layer-2 GOOSE and Sampled Values as a station and
 * process bus carry them, for what no public capture holds.
 *
 *   1. VLAN-tagged multi-IED traffic, interleaved: three GOOSE publishers (VLANs 10 and 20,
 *      heartbeats, a state change with fast retransmissions) and two merging units on VLAN
 *      100 (9-2LE with one ASDU per frame and smpCnt wrapping at 4000; eight ASDUs per frame
 *      with datSet, refrTm, smpRate, smpMod and gmidData).
 *   2. IEC 62351-6 extensions: GOOSE with the 2007 signature extension (Reserved1 = extension
 *      length, Reserved2 = CRC-16/X-25 low octet first; the 128 "signature" octets are a
 *      counter pattern, not a real RSA signature); GOOSE with the 2020 draft tagged extension
 *      and HMAC-SHA256-128; GOOSE with the 2020 packed model and HMAC-SHA256-80; SV with the
 *      2020 tagged extension and HMAC-SHA256-256; SV with a packed extension carrying an IV
 *      and AES-GMAC-128. Every MAC covers EtherType..end of APDU (62351_6.md §4.3 candidate A).
 *   3. PRP: a GOOSE publisher and a merging unit whose every frame arrives on LAN A and LAN B
 *      with the same redundancy control trailer sequence number (sometimes B first).
 *   4. HSR: a GOOSE publisher whose frames arrive twice with the same HSR sequence number.
 *
 * Test-only keys (never for a real system): GOOSE 2020 key id 1 = 00 01 .. 1f (32 octets);
 * GOOSE packed key id 2 = 20 21 .. 3f; SV key id 3 = 40 41 .. 5f; SV GMAC key id 4 = 60 61 ..
 * 6f (16 octets).
 *
 * Usage: gen_goose OUT.pcap
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iec61850w.h"
#include "macw.h"
#include "pcapw.h"

#define T0       1795003200000000ull /* 2026-11-18T12:00:00Z */
#define T0_S     1795003200u
#define ET_GOOSE 0x88B8
#define ET_SV    0x88BA
#define ET_HSR   0x892F
#define BUF      4096

/* ---- publishers ---------------------------------------------------------------------------- */

struct ied {
    struct gs_l2_addr l2;
    uint16_t appid;
    const char *gocb_ref, *dat_set, *go_id;
    uint32_t st_num, sq_num, conf_rev;
    uint32_t t_secs, t_frac;
    bool pos_on; /* the breaker position the dataset reports */
};

/* allData: a breaker position (Dbpos), its quality and time, a trip flag, a current magnitude. */
static size_t all_data(uint8_t *out, size_t cap, const struct ied *d)
{
    struct gs_berw w;
    gs_berw_init(&w, out, cap);
    uint8_t dbpos[2] = {0x06, d->pos_on ? 0x80 : 0x40}; /* 2 bits: 10 on, 01 off */
    gs_berw_tlv(&w, 0x84, dbpos, 2);
    uint8_t q[3] = {0x03, 0x00, 0x00}; /* 13-bit quality, good */
    gs_berw_tlv(&w, 0x84, q, 3);
    gs_berw_utc(&w, 0x91, d->t_secs, d->t_frac, 0x0A);
    gs_berw_bool(&w, 0x83, !d->pos_on);
    uint8_t st[64];
    struct gs_berw s;
    gs_berw_init(&s, st, sizeof(st));
    gs_berw_float32(&s, 0x87, d->pos_on ? 0x44FA0000u : 0x00000000u); /* 2000.0 A or 0 */
    gs_berw_int(&s, 0x85, d->pos_on ? 1 : -1);
    gs_berw_uint(&s, 0x86, d->st_num);
    gs_berw_tlv(&w, 0xA2, st, s.n);
    return w.n;
}

static size_t goose_apdu(uint8_t *out, size_t cap, const struct ied *d)
{
    uint8_t data[256];
    size_t n = all_data(data, sizeof(data), d);
    struct gs_goose_spec spec = {.gocb_ref = d->gocb_ref,
                                 .ttl_ms = d->sq_num == 0 ? 20 : 2000,
                                 .dat_set = d->dat_set,
                                 .go_id = d->go_id,
                                 .t_secs = d->t_secs,
                                 .t_frac = d->t_frac,
                                 .t_quality = 0x0A,
                                 .st_num = d->st_num,
                                 .sq_num = d->sq_num,
                                 .conf_rev = d->conf_rev,
                                 .entries = 5,
                                 .all_data = data,
                                 .all_data_len = n};
    return gs_goose_apdu(out, cap, &spec);
}

static void goose_frame(struct gs_pcapw *w, uint64_t ts, struct ied *d)
{
    uint8_t apdu[BUF], pdu[BUF];
    size_t a = goose_apdu(apdu, sizeof(apdu), d);
    size_t n = gs_l2pdu(pdu, sizeof(pdu), d->appid, 0, 0, apdu, a);
    gs_write_l2(w, ts, &d->l2, ET_GOOSE, pdu, n);
    d->sq_num++;
}

/* A state change: stNum + 1, sqNum back to 0, t = now. */
static void goose_event(struct ied *d, uint64_t ts)
{
    d->st_num++;
    d->sq_num = 0;
    d->pos_on = !d->pos_on;
    d->t_secs = (uint32_t)(ts / 1000000u);
    d->t_frac = (uint32_t)(((ts % 1000000u) << 24) / 1000000u);
}

struct mu {
    struct gs_l2_addr l2;
    uint16_t appid;
    const char *sv_id;
    uint16_t smp_cnt, wrap;
    unsigned asdus;
};

/* A deterministic triangle wave (no libm): phase 0..79, amplitude a. */
static int32_t wave(unsigned phase, int32_t a)
{
    unsigned p = phase % 80;
    int32_t x = (int32_t)(p < 40 ? p : 80 - p); /* 0..40..0 */
    return (int32_t)((int64_t)a * (x - 20) / 20);
}

static void sv_frame(struct gs_pcapw *w, uint64_t ts, struct mu *m)
{
    static const uint8_t gmid[8] = {0x00, 0x1b, 0x19, 0xff, 0xfe, 0x00, 0x00, 0x01};
    uint8_t seq[8][64];
    struct gs_sv_asdu_spec a[8];
    memset(a, 0, sizeof(a));
    for (unsigned i = 0; i < m->asdus; i++) {
        int32_t v[8];
        uint32_t q[8] = {0, 0, 0, 0x2000, 0, 0, 0, 0x2000}; /* In, Vn derived */
        for (int ch = 0; ch < 8; ch++)
            v[ch] = wave(m->smp_cnt + (unsigned)ch * 27, ch < 4 ? 100000 : 6350000);
        v[3] = v[0] + v[1] + v[2];
        v[7] = v[4] + v[5] + v[6];
        gs_sv_le_seq_data(seq[i], v, q);
        a[i].sv_id = m->sv_id;
        a[i].smp_cnt = m->smp_cnt;
        a[i].conf_rev = 1;
        a[i].smp_synch = 2;
        a[i].seq_data = seq[i];
        a[i].seq_len = 64;
        if (m->asdus > 1) {
            a[i].dat_set = "MU02LD0/LLN0$PhsMeas1";
            a[i].has_refr_tm = true;
            a[i].refr_secs = (uint32_t)(ts / 1000000u);
            a[i].refr_frac = (uint32_t)(((ts % 1000000u) << 24) / 1000000u);
            a[i].has_smp_rate = true;
            a[i].smp_rate = 256;
            a[i].has_smp_mod = true;
            a[i].smp_mod = 0;
            a[i].gmid = gmid;
        }
        m->smp_cnt = (uint16_t)((m->smp_cnt + 1) % m->wrap);
    }
    uint8_t apdu[BUF], pdu[BUF];
    size_t n = gs_sv_apdu(apdu, sizeof(apdu), a, m->asdus);
    n = gs_l2pdu(pdu, sizeof(pdu), m->appid, 0, 0, apdu, n);
    gs_write_l2(w, ts, &m->l2, ET_SV, pdu, n);
}

/* 1. Three IEDs and two merging units, interleaved over 5 ms. */
static void multi_ied(struct gs_pcapw *w)
{
    struct ied ied[3] = {
        {.l2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x00, 0x01},
                .dst = {0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01},
                .vlan_count = 1,
                .vlan_id = {10},
                .vlan_pcp = {4}},
         .appid = 0x0001,
         .gocb_ref = "BAY1PROT/LLN0$GO$gcbTrip",
         .dat_set = "BAY1PROT/LLN0$dsTrip",
         .go_id = "BAY1_TRIP",
         .st_num = 7,
         .conf_rev = 2,
         .t_secs = T0_S - 60},
        {.l2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x00, 0x02},
                .dst = {0x01, 0x0c, 0xcd, 0x01, 0x00, 0x02},
                .vlan_count = 1,
                .vlan_id = {10},
                .vlan_pcp = {4}},
         .appid = 0x0002,
         .gocb_ref = "BAY2PROT/LLN0$GO$gcbTrip",
         .dat_set = "BAY2PROT/LLN0$dsTrip",
         .go_id = "BAY2_TRIP",
         .st_num = 1,
         .conf_rev = 2,
         .t_secs = T0_S - 3600},
        {.l2 = {.src = {0x00, 0x1b, 0x21, 0x00, 0x00, 0x03},
                .dst = {0x01, 0x0c, 0xcd, 0x01, 0x00, 0x10},
                .vlan_count = 1,
                .vlan_id = {20},
                .vlan_pcp = {6}},
         .appid = 0x1003,
         .gocb_ref = "BUSBAR/LLN0$GO$gcbInterlock",
         .dat_set = "BUSBAR/LLN0$dsInterlock",
         .go_id = NULL,
         .st_num = 4294967295u,
         .conf_rev = 1,
         .t_secs = T0_S - 86400,
         .pos_on = true},
    };
    struct mu mus[2] = {
        {.l2 = {.src = {0x00, 0x50, 0xc2, 0x4f, 0x90, 0x01},
                .dst = {0x01, 0x0c, 0xcd, 0x04, 0x00, 0x01},
                .vlan_count = 1,
                .vlan_id = {100},
                .vlan_pcp = {4}},
         .appid = 0x4000,
         .sv_id = "MU01",
         .smp_cnt = 3990,
         .wrap = 4000,
         .asdus = 1},
        {.l2 = {.src = {0x00, 0x50, 0xc2, 0x4f, 0x90, 0x02},
                .dst = {0x01, 0x0c, 0xcd, 0x04, 0x00, 0x02},
                .vlan_count = 1,
                .vlan_id = {100},
                .vlan_pcp = {4}},
         .appid = 0x4001,
         .sv_id = "MU02",
         .smp_cnt = 15350,
         .wrap = 15360,
         .asdus = 8},
    };
    /* 20 steps of 250 us: SV every step; GOOSE heartbeats, then a trip on IED 1 at step 5
     * with retransmissions at +1 ms, +2 ms, +4 ms; IED 3's stNum wraps at step 12. */
    for (unsigned step = 0; step < 20; step++) {
        uint64_t ts = T0 + (uint64_t)step * 250;
        sv_frame(w, ts, &mus[0]);
        if (step % 2 == 0)
            sv_frame(w, ts + 10, &mus[1]);
        if (step == 0 || step == 5 || step == 9 || step == 13 || step == 19)
            goose_frame(w, ts + 50, &ied[0]);
        if (step == 4)
            goose_event(&ied[0], ts + 120);
        if (step == 1 || step == 11)
            goose_frame(w, ts + 60, &ied[1]);
        if (step == 12) {
            goose_event(&ied[2], ts);
            ied[2].st_num = 1; /* wraps past 0xFFFFFFFF to 1, as libiec61850 does */
        }
        if (step == 2 || step == 12 || step == 16)
            goose_frame(w, ts + 70, &ied[2]);
    }
}

/* ---- 2. secured frames --------------------------------------------------------------------- */

/* APPID..APDU with the extension appended; the header's Reserved fields as given. */
static size_t secured_pdu(uint8_t *out, uint16_t appid, uint16_t r1, uint16_t r2,
                          const uint8_t *apdu, size_t apdu_len, const uint8_t *ext, size_t ext_len)
{
    size_t n = gs_l2pdu(out, BUF, appid, r1, r2, apdu, apdu_len);
    memcpy(out + n, ext, ext_len);
    return n + ext_len;
}

/* The MAC input of candidate A: EtherType then APPID..end of APDU. */
static size_t mac_input(uint8_t *out, uint16_t ether_type, const uint8_t *pdu, size_t apdu_end)
{
    out[0] = (uint8_t)(ether_type >> 8);
    out[1] = (uint8_t)ether_type;
    memcpy(out + 2, pdu, apdu_end);
    return apdu_end + 2;
}

/* 2020 draft tagged: 30 { A4 { 80 ver, 81 TOCK, 82 TTNK, [83 IV], 84 KeyID, 85 MAC } }. */
static size_t ext_tagged(uint8_t *out, uint32_t tock, int16_t ttnk, const uint8_t *iv,
                         size_t iv_len, uint32_t key_id, const uint8_t *mac, size_t mac_len)
{
    uint8_t inner[128];
    struct gs_berw a;
    gs_berw_init(&a, inner, sizeof(inner));
    gs_berw_uint(&a, 0x80, 1);
    gs_berw_uint_fixed(&a, 0x81, tock, 4);
    gs_berw_uint_fixed(&a, 0x82, (uint16_t)ttnk, 2);
    if (iv_len > 0)
        gs_berw_tlv(&a, 0x83, iv, iv_len);
    gs_berw_uint_fixed(&a, 0x84, key_id, 4);
    gs_berw_tlv(&a, 0x85, mac, mac_len);
    uint8_t mid[160];
    struct gs_berw b;
    gs_berw_init(&b, mid, sizeof(mid));
    gs_berw_tlv(&b, 0xA4, inner, a.n);
    struct gs_berw w;
    gs_berw_init(&w, out, 200);
    gs_berw_tlv(&w, 0x30, mid, b.n);
    return w.n;
}

/* 2020 model packed: 30 { 85 { ver | TOCK | TTNK | [IV] | KeyID | MAC } }. */
static size_t ext_packed(uint8_t *out, uint32_t tock, int16_t ttnk, const uint8_t *iv,
                         size_t iv_len, uint32_t key_id, const uint8_t *mac, size_t mac_len)
{
    uint8_t v[128];
    struct gs_berw a;
    gs_berw_init(&a, v, sizeof(v));
    gs_berw_u8(&a, 1);
    gs_berw_be32(&a, tock);
    gs_berw_be16(&a, (uint16_t)ttnk);
    gs_berw_raw(&a, iv, iv_len);
    gs_berw_be32(&a, key_id);
    gs_berw_raw(&a, mac, mac_len);
    uint8_t mid[160];
    struct gs_berw b;
    gs_berw_init(&b, mid, sizeof(mid));
    gs_berw_tlv(&b, 0x85, v, a.n);
    struct gs_berw w;
    gs_berw_init(&w, out, 200);
    gs_berw_tlv(&w, 0x30, mid, b.n);
    return w.n;
}

/*
 * Writes a frame whose extension carries a MAC over EtherType..end of APDU. The extension is
 * built twice: first with a zero MAC to learn its size (which Reserved1 carries and the MAC
 * does not cover), then with the real MAC.
 */
static void mac_frame(struct gs_pcapw *w, uint64_t ts, const struct gs_l2_addr *l2,
                      uint16_t ether_type, uint16_t appid, const uint8_t *apdu, size_t apdu_len,
                      bool packed, const uint8_t *key, size_t key_len, uint32_t key_id,
                      size_t mac_len, const uint8_t *iv, size_t iv_len, bool gmac)
{
    uint8_t zero[32] = {0}, ext[200], pdu[BUF], input[BUF], mac[32];
    uint32_t tock = T0_S - 1800;
    int16_t ttnk = 60;
    size_t ext_len = packed ? ext_packed(ext, tock, ttnk, iv, iv_len, key_id, zero, mac_len)
                            : ext_tagged(ext, tock, ttnk, iv, iv_len, key_id, zero, mac_len);
    size_t n = gs_l2pdu(pdu, sizeof(pdu), appid, (uint16_t)ext_len, 0, apdu, apdu_len);
    size_t in = mac_input(input, ether_type, pdu, n);
    if (gmac)
        gs_macw_gmac128(key, iv, input, in, mac);
    else
        gs_macw_hmac_sha256(key, key_len, input, in, mac);
    ext_len = packed ? ext_packed(ext, tock, ttnk, iv, iv_len, key_id, mac, mac_len)
                     : ext_tagged(ext, tock, ttnk, iv, iv_len, key_id, mac, mac_len);
    n = secured_pdu(pdu, appid, (uint16_t)ext_len, 0, apdu, apdu_len, ext, ext_len);
    gs_write_l2(w, ts, l2, ether_type, pdu, n);
}

/* 2007: A0 { 83 <128-octet signature> }, Reserved1 = extension length, Reserved2 = CRC. */
static void signed_2007_frame(struct gs_pcapw *w, uint64_t ts, const struct gs_l2_addr *l2,
                              uint16_t ether_type, uint16_t appid, const uint8_t *apdu,
                              size_t apdu_len, uint8_t seed)
{
    uint8_t sig[128], body[160], ext[200], pdu[BUF];
    for (size_t i = 0; i < sizeof(sig); i++)
        sig[i] = (uint8_t)(seed + i * 7);
    struct gs_berw b;
    gs_berw_init(&b, body, sizeof(body));
    gs_berw_tlv(&b, 0x83, sig, sizeof(sig));
    struct gs_berw e;
    gs_berw_init(&e, ext, sizeof(ext));
    gs_berw_tlv(&e, 0xA0, body, b.n);
    uint16_t length = (uint16_t)(8 + apdu_len);
    uint16_t r1 = (uint16_t)e.n;
    uint8_t hdr[8] = {
        (uint8_t)(ether_type >> 8), (uint8_t)ether_type, (uint8_t)(appid >> 8), (uint8_t)appid,
        (uint8_t)(length >> 8),     (uint8_t)length,     (uint8_t)(r1 >> 8),    (uint8_t)r1};
    uint16_t crc = gs_crc16_x25(hdr, sizeof(hdr));
    uint16_t r2 = (uint16_t)((crc << 8) | (crc >> 8)); /* low octet first on the wire */
    size_t n = secured_pdu(pdu, appid, r1, r2, apdu, apdu_len, ext, e.n);
    gs_write_l2(w, ts, l2, ether_type, pdu, n);
}

static void secured(struct gs_pcapw *w)
{
    uint64_t t = T0 + 1000000;
    struct ied g = {.l2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x00, 0x21},
                           .dst = {0x01, 0x0c, 0xcd, 0x01, 0x00, 0x21},
                           .vlan_count = 1,
                           .vlan_id = {0},
                           .vlan_pcp = {4}},
                    .appid = 0x0021,
                    .gocb_ref = "SECIED1/LLN0$GO$gcbSigned07",
                    .dat_set = "SECIED1/LLN0$dsPos",
                    .go_id = "SEC07",
                    .st_num = 3,
                    .conf_rev = 1,
                    .t_secs = T0_S};
    uint8_t apdu[BUF];
    for (int i = 0; i < 2; i++) {
        size_t a = goose_apdu(apdu, sizeof(apdu), &g);
        signed_2007_frame(w, t + (uint64_t)i * 1000, &g.l2, ET_GOOSE, g.appid, apdu, a,
                          (uint8_t)(0x11 * (i + 1)));
        g.sq_num++;
    }

    uint8_t key1[32], key2[32], key3[32], key4[16];
    gs_macw_test_key(key1, 32, 0x00);
    gs_macw_test_key(key2, 32, 0x20);
    gs_macw_test_key(key3, 32, 0x40);
    gs_macw_test_key(key4, 16, 0x60);

    struct ied h = g;
    h.appid = 0x0022;
    h.l2.src[5] = 0x22;
    h.l2.dst[5] = 0x22;
    h.gocb_ref = "SECIED2/LLN0$GO$gcbHmac";
    h.dat_set = "SECIED2/LLN0$dsPos";
    h.go_id = "SEC20";
    for (int i = 0; i < 3; i++) {
        if (i == 2)
            goose_event(&h, t + 10000 + (uint64_t)i * 1000);
        size_t a = goose_apdu(apdu, sizeof(apdu), &h);
        mac_frame(w, t + 10000 + (uint64_t)i * 1000, &h.l2, ET_GOOSE, h.appid, apdu, a, false, key1,
                  32, 1, 16, NULL, 0, false);
        h.sq_num++;
    }

    struct ied p = g;
    p.appid = 0x0023;
    p.l2.src[5] = 0x23;
    p.l2.dst[5] = 0x23;
    p.gocb_ref = "SECIED3/LLN0$GO$gcbPacked";
    p.dat_set = "SECIED3/LLN0$dsPos";
    p.go_id = NULL;
    for (int i = 0; i < 2; i++) {
        size_t a = goose_apdu(apdu, sizeof(apdu), &p);
        mac_frame(w, t + 20000 + (uint64_t)i * 1000, &p.l2, ET_GOOSE, p.appid, apdu, a, true, key2,
                  32, 2, 10, NULL, 0, false);
        p.sq_num++;
    }

    /* SV: HMAC-SHA256-256 in the tagged layout; AES-GMAC-128 with an IV in the packed one. */
    struct mu m = {.l2 = {.src = {0x00, 0x50, 0xc2, 0x4f, 0x90, 0x21},
                          .dst = {0x01, 0x0c, 0xcd, 0x04, 0x00, 0x21},
                          .vlan_count = 1,
                          .vlan_id = {100},
                          .vlan_pcp = {4}},
                   .appid = 0x4021,
                   .sv_id = "SECMU1",
                   .smp_cnt = 100,
                   .wrap = 4000,
                   .asdus = 1};
    for (int i = 0; i < 4; i++) {
        uint8_t seq[64];
        int32_t v[8] = {1000 * i, -1000 * i, 0, 0, 6350000, -6350000, 0, 0};
        uint32_t q[8] = {0};
        gs_sv_le_seq_data(seq, v, q);
        struct gs_sv_asdu_spec a = {.sv_id = m.sv_id,
                                    .smp_cnt = m.smp_cnt++,
                                    .conf_rev = 1,
                                    .smp_synch = 1,
                                    .seq_data = seq,
                                    .seq_len = 64};
        uint8_t sv[BUF];
        size_t n = gs_sv_apdu(sv, sizeof(sv), &a, 1);
        uint64_t ts = t + 30000 + (uint64_t)i * 250;
        if (i < 2) {
            mac_frame(w, ts, &m.l2, ET_SV, m.appid, sv, n, false, key3, 32, 3, 32, NULL, 0, false);
        } else {
            uint8_t iv[12];
            for (int k = 0; k < 12; k++)
                iv[k] = (uint8_t)(0xA0 + k + i);
            mac_frame(w, ts, &m.l2, ET_SV, (uint16_t)(m.appid + 1), sv, n, true, key4, 16, 4, 16,
                      iv, 12, true);
        }
    }
    /* SV with the 2007 signature extension. */
    uint8_t seq[64] = {0};
    struct gs_sv_asdu_spec a = {.sv_id = "SECMU2",
                                .smp_cnt = 7,
                                .conf_rev = 1,
                                .smp_synch = 2,
                                .seq_data = seq,
                                .seq_len = 64};
    uint8_t sv[BUF];
    size_t n = gs_sv_apdu(sv, sizeof(sv), &a, 1);
    signed_2007_frame(w, t + 40000, &m.l2, ET_SV, 0x4023, sv, n, 0x5A);
}

/* ---- 3. PRP and 4. HSR ---------------------------------------------------------------------- */

static size_t frame_with_header(uint8_t *frame, const struct gs_l2_addr *l2, uint16_t ether_type,
                                const uint8_t *pdu, size_t n, size_t *hdr_len)
{
    size_t len = gs_build_ether(frame, l2, ether_type, pdu, n);
    *hdr_len = 14 + 4 * l2->vlan_count;
    /* gs_build_ether pads to 60 octets; PRP puts its trailer after the padding. */
    return len;
}

static void prp(struct gs_pcapw *w)
{
    uint64_t t = T0 + 2000000;
    struct ied g = {.l2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x00, 0x31},
                           .dst = {0x01, 0x0c, 0xcd, 0x01, 0x00, 0x31},
                           .vlan_count = 1,
                           .vlan_id = {10},
                           .vlan_pcp = {4}},
                    .appid = 0x0031,
                    .gocb_ref = "PRPIED/LLN0$GO$gcbPos",
                    .dat_set = "PRPIED/LLN0$dsPos",
                    .go_id = "PRP_POS",
                    .st_num = 12,
                    .sq_num = 40,
                    .conf_rev = 3,
                    .t_secs = T0_S - 10};
    struct mu m = {.l2 = {.src = {0x00, 0x50, 0xc2, 0x4f, 0x90, 0x31},
                          .dst = {0x01, 0x0c, 0xcd, 0x04, 0x00, 0x31},
                          .vlan_count = 1,
                          .vlan_id = {100},
                          .vlan_pcp = {4}},
                   .appid = 0x4031,
                   .sv_id = "PRPMU",
                   .smp_cnt = 0,
                   .wrap = 4000,
                   .asdus = 1};
    uint16_t seq_g = 0x0100, seq_m = 0xFFFE;
    for (int i = 0; i < 4; i++) {
        uint8_t apdu[BUF], pdu[BUF], frame[BUF];
        size_t a = goose_apdu(apdu, sizeof(apdu), &g);
        size_t n = gs_l2pdu(pdu, sizeof(pdu), g.appid, 0, 0, apdu, a);
        size_t hdr;
        size_t len = frame_with_header(frame, &g.l2, ET_GOOSE, pdu, n, &hdr);
        uint8_t twin[BUF];
        memcpy(twin, frame, len);
        size_t la = gs_add_prp_trailer(frame, len, hdr, seq_g, false);
        size_t lb = gs_add_prp_trailer(twin, len, hdr, seq_g, true);
        bool b_first = (i == 2);
        uint64_t ts = t + (uint64_t)i * 1000;
        gs_pcapw_write(w, ts, b_first ? twin : frame, b_first ? lb : la, b_first ? lb : la);
        gs_pcapw_write(w, ts + 7, b_first ? frame : twin, b_first ? la : lb, b_first ? la : lb);
        g.sq_num++;
        seq_g++;

        /* The merging unit's sequence number wraps past 0xFFFF. */
        uint8_t sdata[64] = {0};
        struct gs_sv_asdu_spec s = {.sv_id = m.sv_id,
                                    .smp_cnt = m.smp_cnt++,
                                    .conf_rev = 1,
                                    .smp_synch = 2,
                                    .seq_data = sdata,
                                    .seq_len = 64};
        a = gs_sv_apdu(apdu, sizeof(apdu), &s, 1);
        n = gs_l2pdu(pdu, sizeof(pdu), m.appid, 0, 0, apdu, a);
        len = frame_with_header(frame, &m.l2, ET_SV, pdu, n, &hdr);
        memcpy(twin, frame, len);
        la = gs_add_prp_trailer(frame, len, hdr, seq_m, false);
        lb = gs_add_prp_trailer(twin, len, hdr, seq_m, true);
        gs_pcapw_write(w, ts + 250, frame, la, la);
        gs_pcapw_write(w, ts + 260, twin, lb, lb);
        seq_m++;
    }
}

static void hsr(struct gs_pcapw *w)
{
    uint64_t t = T0 + 3000000;
    struct ied g = {.l2 = {.src = {0x00, 0x30, 0xa7, 0x00, 0x00, 0x41},
                           .dst = {0x01, 0x0c, 0xcd, 0x01, 0x00, 0x41},
                           .vlan_count = 0},
                    .appid = 0x0041,
                    .gocb_ref = "HSRIED/LLN0$GO$gcbPos",
                    .dat_set = "HSRIED/LLN0$dsPos",
                    .go_id = "HSR_POS",
                    .st_num = 2,
                    .sq_num = 0,
                    .conf_rev = 1,
                    .t_secs = T0_S};
    for (int i = 0; i < 3; i++) {
        uint8_t apdu[BUF], pdu[BUF], tagged[BUF];
        size_t a = goose_apdu(apdu, sizeof(apdu), &g);
        size_t n = gs_l2pdu(pdu, sizeof(pdu), g.appid, 0, 0, apdu, a);
        uint16_t seq = (uint16_t)(0x2000 + i);
        for (int lane = 0; lane < 2; lane++) {
            /* path (NetId 0, LaneId) | LSDU size, sequence number, the GOOSE EtherType */
            size_t lsdu = n + 6;
            uint16_t path = (uint16_t)(((unsigned)lane << 12) | (lsdu & 0x0FFF));
            tagged[0] = (uint8_t)(path >> 8);
            tagged[1] = (uint8_t)path;
            tagged[2] = (uint8_t)(seq >> 8);
            tagged[3] = (uint8_t)seq;
            tagged[4] = (uint8_t)(ET_GOOSE >> 8);
            tagged[5] = (uint8_t)ET_GOOSE;
            memcpy(tagged + 6, pdu, n);
            gs_write_l2(w, t + (uint64_t)i * 1000 + (uint64_t)lane * 5, &g.l2, ET_HSR, tagged,
                        n + 6);
        }
        g.sq_num++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_goose OUT.pcap\n");
        return 2;
    }
    struct gs_pcapw w;
    gs_pcapw_open(&w, argv[1], GS_PCAPW_LINKTYPE_ETHERNET);
    multi_ied(&w);
    secured(&w);
    prp(&w);
    hsr(&w);
    gs_pcapw_close(&w);
    return 0;
}
