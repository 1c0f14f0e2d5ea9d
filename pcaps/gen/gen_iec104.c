/*
 * gen_iec104.c - writes pcaps/iec104.pcap: IEC 60870-5-104 traffic no public capture holds.
 *
 *   1. controls: every control-direction type (45..69, 100..107, 110..113) as act/actcon
 *      (and actterm) pairs, select then execute where the type has S/E; the reserved types
 *      52..57 and 65..69 once each.
 *   2. monitor: every monitor type (1..41, 70) with time tags, SQ=1 ASDUs up to 127
 *      elements, many APDUs in one segment, a 255-octet APDU across three segments, file
 *      transfer (120..127), STOPDT/TESTFR.
 *   3. secure: the IEC 62351-5 ASDUs 81..95 (session key change, challenge/reply of a
 *      critical command, aggressive mode, error, user certificate and asymmetric update key
 *      change segmented over several ASDUs, S_IT_TC_1 statistics).
 *   4. edge: picked up mid-stream, APDUs with a length octet below 4 or above 253, a
 *      truncated ASDU, counts that do not fit, N(S) gaps and duplicates, an N(R) of frames
 *      never sent, a U-frame naming two functions.
 *
 * MACs and key wrapping in section 3 are computed, not filler: HMAC-SHA-256 truncated to 16
 * octets (MAL 4) and AES-128 key wrap (RFC 3394, KWA 1) with the keys below, over ASDU
 * octets by analogy with DNP3 SAv5 (../shared/specs/dnp3_sav5.md §6): the reply MAC covers
 * the challenge ASDU then the challenged ASDU; the aggressive-mode MAC the last challenge ASDU
 * then the S_AR_NA_1 ASDU up to its MAC; the key status MAC the key change ASDU. That input
 * is not confirmed for IEC 104 by a public source. Test keys only:
 *   update key (user 1)   00 01 .. 0F
 *   control direction SK  C0 C1 .. CF      monitor direction SK  D0 D1 .. DF
 *
 * Usage: gen_iec104 OUT.pcap
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"
#include "saw.h"

#define T0 1795100000000000ull /* 2026-11-19T14:53:20Z */

/* ---- ASDU and APDU building ---------------------------------------------------------------- */

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put(struct buf *a, uint8_t v)
{
    if (a->n >= sizeof(a->b)) {
        fprintf(stderr, "gen_iec104: buffer overflow\n");
        exit(1);
    }
    a->b[a->n++] = v;
}

static void put16(struct buf *a, unsigned v)
{
    put(a, (uint8_t)v);
    put(a, (uint8_t)(v >> 8));
}

static void put24(struct buf *a, unsigned long v)
{
    put16(a, (unsigned)(v & 0xFFFFu));
    put(a, (uint8_t)(v >> 16));
}

static void put32(struct buf *a, unsigned long v)
{
    put16(a, (unsigned)(v & 0xFFFFu));
    put16(a, (unsigned)(v >> 16));
}

static void put_bytes(struct buf *a, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(a, p[i]);
}

static void put_float(struct buf *a, float f)
{
    uint32_t raw;
    memcpy(&raw, &f, sizeof(raw));
    put32(a, raw);
}

/* CP56Time2a: 2026-11-19 14:53, `ms` into the minute (a Thursday, day of week 4). */
static void put_cp56(struct buf *a, unsigned ms)
{
    put16(a, ms);
    put(a, 53);
    put(a, 14);
    put(a, (uint8_t)(4u << 5 | 19u));
    put(a, 11);
    put(a, 26);
}

static void put_cp24(struct buf *a, unsigned ms)
{
    put16(a, ms);
    put(a, 53);
}

/* Data unit identifier: type, VSQ, COT (two octets, OA 0), CA 1. */
static void header(struct buf *a, uint8_t type, bool sq, unsigned n, uint8_t cot)
{
    a->n = 0;
    put(a, type);
    put(a, (uint8_t)((sq ? 0x80u : 0) | (n & 0x7Fu)));
    put(a, cot);
    put(a, 0);
    put16(a, 1);
}

#define COT_NEG  0x40u
#define COT_TEST 0x80u

/* A connection with N(S)/N(R) kept per side as a real station pair would. */
struct conn {
    struct gs_tcp_session s;
    unsigned ns[2]; /* [0] controlling station (client), [1] controlled station */
};

static size_t apdu_i(uint8_t *out, unsigned ns, unsigned nr, const struct buf *asdu)
{
    out[0] = 0x68;
    out[1] = (uint8_t)(4 + asdu->n);
    out[2] = (uint8_t)(ns << 1);
    out[3] = (uint8_t)(ns >> 7);
    out[4] = (uint8_t)(nr << 1);
    out[5] = (uint8_t)(nr >> 7);
    memcpy(out + 6, asdu->b, asdu->n);
    return 6 + asdu->n;
}

/* Appends an I-format APDU from one side to `seg` (several APDUs may share a segment). */
static void add_i(struct conn *c, bool from_client, struct buf *seg, const struct buf *asdu)
{
    unsigned me = from_client ? 0 : 1;
    uint8_t apdu[300];
    size_t n = apdu_i(apdu, c->ns[me], c->ns[!me], asdu);
    c->ns[me] = (c->ns[me] + 1u) & 0x7FFFu;
    put_bytes(seg, apdu, n);
}

static void send_i(struct conn *c, bool from_client, const struct buf *asdu)
{
    struct buf seg = {.n = 0};
    add_i(c, from_client, &seg, asdu);
    gs_tcp_send(&c->s, from_client, seg.b, seg.n);
}

static void send_s(struct conn *c, bool from_client)
{
    unsigned nr = c->ns[from_client ? 1 : 0];
    uint8_t apdu[6] = {0x68, 4, 0x01, 0, (uint8_t)(nr << 1), (uint8_t)(nr >> 7)};
    gs_tcp_send(&c->s, from_client, apdu, sizeof(apdu));
}

static void send_u(struct conn *c, bool from_client, uint8_t cf1)
{
    uint8_t apdu[6] = {0x68, 4, cf1, 0, 0, 0};
    gs_tcp_send(&c->s, from_client, apdu, sizeof(apdu));
}

static void conn_open(struct conn *c, struct gs_pcapw *w, uint64_t t, uint32_t client,
                      uint16_t port)
{
    memset(c, 0, sizeof(*c));
    gs_tcp_init(&c->s, w, t, client, port, 0x0A040101, 2404);
    gs_tcp_handshake(&c->s);
    send_u(c, true, 0x07);  /* STARTDT act */
    send_u(c, false, 0x0B); /* STARTDT con */
}

/* ---- 1. controls --------------------------------------------------------------------------- */

/* The element of each control type after its IOA; `se` sets S/E where the type has it. */
static void control_element(struct buf *a, uint8_t type, bool se)
{
    uint8_t s = se ? 0x80 : 0;
    switch (type) {
    case 45: /* SCO on, short pulse */
        put(a, (uint8_t)(s | 1u << 2 | 1u));
        break;
    case 46: /* DCO on, long pulse */
        put(a, (uint8_t)(s | 2u << 2 | 2u));
        break;
    case 47: /* RCO higher */
        put(a, (uint8_t)(s | 2u));
        break;
    case 48: /* NVA 0.5, QOS */
        put16(a, 0x4000);
        put(a, s);
        break;
    case 49:
        put16(a, (unsigned)-1200 & 0xFFFFu);
        put(a, s);
        break;
    case 50:
        put_float(a, 230.5f);
        put(a, s);
        break;
    case 51:
        put32(a, 0xA5A5F00Ful);
        break;
    case 58:
        put(a, (uint8_t)(s | 1u));
        put_cp56(a, 1000);
        break;
    case 59:
        put(a, (uint8_t)(s | 1u));
        put_cp56(a, 2000);
        break;
    case 60:
        put(a, (uint8_t)(s | 1u));
        put_cp56(a, 3000);
        break;
    case 61:
        put16(a, 0xC000);
        put(a, s);
        put_cp56(a, 4000);
        break;
    case 62:
        put16(a, 1500);
        put(a, s);
        put_cp56(a, 5000);
        break;
    case 63:
        put_float(a, -12.25f);
        put(a, s);
        put_cp56(a, 6000);
        break;
    case 64:
        put32(a, 0x00FF00FFul);
        put_cp56(a, 7000);
        break;
    case 100: /* QOI station */
        put(a, 20);
        break;
    case 101: /* QCC freeze, general */
        put(a, (uint8_t)(1u << 6 | 5u));
        break;
    case 102:
        break;
    case 103:
        put_cp56(a, 8000);
        break;
    case 104: /* FBP */
        put16(a, 0x55AA);
        break;
    case 105: /* QRP general reset */
        put(a, 1);
        break;
    case 106: /* CP16 delay */
        put16(a, 250);
        break;
    case 107: /* TSC 7 */
        put16(a, 7);
        put_cp56(a, 9000);
        break;
    case 110: /* QPM threshold */
        put16(a, 0x0800);
        put(a, 1);
        break;
    case 111:
        put16(a, 40);
        put(a, 3);
        break;
    case 112:
        put_float(a, 0.5f);
        put(a, 4);
        break;
    case 113: /* QPA */
        put(a, 3);
        break;
    default:
        put(a, 0x01);
        break; /* reserved types */
    }
}

static bool has_select(uint8_t type)
{
    return (type >= 45 && type <= 50) || (type >= 58 && type <= 63);
}

static void command(struct conn *c, uint8_t type, bool se, bool with_term)
{
    struct buf a;
    unsigned ioa = 5000u + type;
    static const uint8_t cots[3] = {6, 7, 10};
    for (int i = 0; i < (with_term ? 3 : 2); i++) {
        header(&a, type, false, 1, cots[i]);
        put24(&a, type >= 100 && type <= 107 ? 0 : ioa);
        control_element(&a, type, se);
        send_i(c, i == 0, &a);
    }
    send_s(c, true);
}

static void controls(struct gs_pcapw *w)
{
    struct conn c;
    conn_open(&c, w, T0, 0x0A040005, 40001);
    static const uint8_t types[] = {45, 46,  47,  48,  49,  50,  51,  58,  59,  60,  61,  62,  63,
                                    64, 100, 101, 102, 103, 104, 105, 106, 107, 110, 111, 112, 113};
    for (size_t i = 0; i < sizeof(types); i++) {
        uint8_t t = types[i];
        if (has_select(t))
            command(&c, t, true, false);
        command(&c, t, false, t != 102 && t != 103 && t != 104 && t != 106 && t < 110);
    }
    /* A negative confirmation and a test-bit command. */
    struct buf a;
    header(&a, 45, false, 1, 6 | COT_TEST);
    put24(&a, 6000);
    put(&a, 0x81);
    send_i(&c, true, &a);
    header(&a, 45, false, 1, 7 | COT_NEG | COT_TEST);
    put24(&a, 6000);
    put(&a, 0x81);
    send_i(&c, false, &a);
    /* The reserved control types: no element layout is defined. */
    for (uint8_t t = 52; t <= 69; t++) {
        if (t == 58)
            t = 65;
        header(&a, t, false, 1, 6);
        put24(&a, 7000u + t);
        control_element(&a, t, false);
        send_i(&c, true, &a);
    }
    send_u(&c, true, 0x13);  /* STOPDT act */
    send_u(&c, false, 0x23); /* STOPDT con */
    gs_tcp_close(&c.s);
}

/* ---- 2. monitor ---------------------------------------------------------------------------- */

/* One element of a monitor type, varied by `k`. */
static void monitor_element(struct buf *a, uint8_t type, unsigned k)
{
    uint8_t q = (uint8_t)(k & 1u ? 0x80 : 0); /* every other element invalid */
    switch (type) {
    case 1:
        put(a, (uint8_t)(q | (k & 1u)));
        break;
    case 2:
        put(a, (uint8_t)(k & 1u));
        put_cp24(a, 100 * k);
        break;
    case 3:
        put(a, (uint8_t)(q | (k % 4u)));
        break;
    case 4:
        put(a, 2);
        put_cp24(a, 200 * k);
        break;
    case 5: /* -63 transient, 5 */
        put(a, (uint8_t)(k % 2u ? 0xC1 : 0x05));
        put(a, 0);
        break;
    case 6:
        put(a, 0x7F);
        put(a, 0x01);
        put_cp24(a, 10);
        break;
    case 7:
        put32(a, 0x12345678ul + k);
        put(a, q);
        break;
    case 8:
        put32(a, 0xFFFF0000ul);
        put(a, 0);
        put_cp24(a, 20);
        break;
    case 9:
        put16(a, 0x2000u * k);
        put(a, q);
        break;
    case 10:
        put16(a, 0x8000);
        put(a, 0x10);
        put_cp24(a, 30);
        break;
    case 11:
        put16(a, 100u * k);
        put(a, 0);
        break;
    case 12:
        put16(a, (unsigned)-5 & 0xFFFFu);
        put(a, 0x20);
        put_cp24(a, 40);
        break;
    case 13:
        put_float(a, 49.98f + (float)k);
        put(a, 0);
        break;
    case 14:
        put_float(a, -0.001f);
        put(a, 0x01);
        put_cp24(a, 50);
        break;
    case 15:
        put32(a, 123456ul + k);
        put(a, (uint8_t)(k & 0x1Fu));
        break;
    case 16:
        put32(a, 0xFFFFFFFFul);
        put(a, 0x20);
        put_cp24(a, 60);
        break;
    case 17:
        put(a, 0x02);
        put16(a, 35);
        put_cp24(a, 70);
        break;
    case 18:
        put(a, 0x03);
        put(a, 0);
        put16(a, 40);
        put_cp24(a, 80);
        break;
    case 19:
        put(a, 0x01);
        put(a, 0);
        put16(a, 45);
        put_cp24(a, 90);
        break;
    case 20:
        put32(a, 0x0001FFFFul);
        put(a, 0);
        break;
    case 21:
        put16(a, 0x7FFF);
        break;
    case 30:
        put(a, 1);
        put_cp56(a, 100 + k);
        break;
    case 31:
        put(a, 2);
        put_cp56(a, 200 + k);
        break;
    case 32:
        put(a, 10);
        put(a, 0);
        put_cp56(a, 300);
        break;
    case 33:
        put32(a, 0xDEADBEEFul);
        put(a, 0);
        put_cp56(a, 400);
        break;
    case 34:
        put16(a, 0x1000);
        put(a, 0);
        put_cp56(a, 500);
        break;
    case 35:
        put16(a, 42);
        put(a, 0);
        put_cp56(a, 600);
        break;
    case 36:
        put_float(a, 11.5f);
        put(a, 0);
        put_cp56(a, 700);
        break;
    case 37:
        put32(a, 99ul);
        put(a, 3);
        put_cp56(a, 800);
        break;
    case 38:
        put(a, 0x01);
        put16(a, 20);
        put_cp56(a, 900);
        break;
    case 39:
        put(a, 0x07);
        put(a, 0);
        put16(a, 25);
        put_cp56(a, 1000);
        break;
    case 40:
        put(a, 0x0F);
        put(a, 0);
        put16(a, 30);
        put_cp56(a, 1100);
        break;
    case 41:
        put16(a, 1);
        put32(a, 1000ul + k);
        put(a, 0);
        put_cp56(a, 1200);
        break;
    case 70:
        put(a, 0);
        break;
    default:
        break;
    }
}

static void monitor(struct gs_pcapw *w)
{
    struct conn c;
    conn_open(&c, w, T0 + 60000000ull, 0x0A040006, 40002);
    struct buf a, seg;

    /* Interrogation, answered by every monitor type in one segment (SQ=0, two objects). */
    header(&a, 100, false, 1, 6);
    put24(&a, 0);
    put(&a, 20);
    send_i(&c, true, &a);
    static const uint8_t types[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                    12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 30,
                                    31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 70};
    seg.n = 0;
    header(&a, 100, false, 1, 7);
    put24(&a, 0);
    put(&a, 20);
    add_i(&c, false, &seg, &a);
    for (size_t i = 0; i < sizeof(types); i++) {
        uint8_t t = types[i];
        unsigned n = t == 70 ? 1 : 2;
        header(&a, t, false, n, t == 70 ? 4 : 20);
        for (unsigned k = 0; k < n; k++) {
            put24(&a, 100u * t + k);
            monitor_element(&a, t, k);
        }
        add_i(&c, false, &seg, &a);
    }
    header(&a, 100, false, 1, 10);
    put24(&a, 0);
    put(&a, 20);
    add_i(&c, false, &seg, &a);
    gs_tcp_send(&c.s, false, seg.b, seg.n);
    send_s(&c, true);

    /* SQ=1: 127 single points; 80 scaled values in a 255-octet APDU cut in three. */
    header(&a, 1, true, 127, 3);
    put24(&a, 1000);
    for (unsigned k = 0; k < 127; k++)
        monitor_element(&a, 1, k);
    send_i(&c, false, &a);
    header(&a, 11, true, 80, 1);
    put24(&a, 2000);
    for (unsigned k = 0; k < 80; k++)
        monitor_element(&a, 11, k);
    seg.n = 0;
    add_i(&c, false, &seg, &a);
    gs_tcp_send_segmented(&c.s, false, seg.b, seg.n, 100);
    /* SQ=1 with time tags, and counters frozen by a counter interrogation. */
    header(&a, 36, true, 10, 3);
    put24(&a, 3000);
    for (unsigned k = 0; k < 10; k++)
        monitor_element(&a, 36, k);
    send_i(&c, false, &a);
    header(&a, 37, true, 4, 37);
    put24(&a, 4000);
    for (unsigned k = 0; k < 4; k++)
        monitor_element(&a, 37, k);
    send_i(&c, false, &a);
    send_s(&c, true);

    /* File transfer: call directory, directory, select, file ready, section ready, call
     * section, two segments, last segment, ack, last section, ack file, archive query. */
    header(&a, 122, false, 1, 5);
    put24(&a, 9000);
    put16(&a, 0);
    put(&a, 0);
    put(&a, 0);
    send_i(&c, true, &a);
    header(&a, 126, true, 2, 5);
    put24(&a, 9000);
    put16(&a, 1);
    put24(&a, 120);
    put(&a, 0);
    put_cp56(&a, 0);
    put16(&a, 2);
    put24(&a, 64);
    put(&a, 0x20); /* last file of the directory */
    put_cp56(&a, 0);
    send_i(&c, false, &a);
    static const struct {
        uint8_t type;
        bool from_client;
        uint8_t cot;
    } file_steps[] = {{122, true, 13}, {120, false, 13}, {122, true, 13},  {121, false, 13},
                      {122, true, 13}, {125, false, 13}, {125, false, 13}, {123, false, 13},
                      {124, true, 13}, {123, false, 13}, {124, true, 13},  {127, true, 5}};
    for (size_t i = 0; i < sizeof(file_steps) / sizeof(file_steps[0]); i++) {
        uint8_t t = file_steps[i].type;
        header(&a, t, false, 1, file_steps[i].cot);
        put24(&a, 9000);
        put16(&a, 1);
        switch (t) {
        case 120:
            put24(&a, 120);
            put(&a, 0);
            break;
        case 121:
            put(&a, 1);
            put24(&a, 120);
            put(&a, 0);
            break;
        case 122:
            put(&a, 1);
            put(&a, (uint8_t)(i == 0 ? 1 : 2));
            break; /* select, call */
        case 123:
            put(&a, 1);
            put(&a, (uint8_t)(i == 7 ? 3 : 1));
            put(&a, 0x5A);
            break;
        case 124:
            put(&a, 1);
            put(&a, (uint8_t)(i == 8 ? 3 : 1));
            break;
        case 125:
            put(&a, 1);
            put(&a, 60);
            for (unsigned k = 0; k < 60; k++)
                put(&a, (uint8_t)(k + i));
            break;
        case 127:
            put_cp56(&a, 0);
            put_cp56(&a, 59000);
            break;
        default:
            break;
        }
        send_i(&c, file_steps[i].from_client, &a);
    }
    send_s(&c, true);
    send_s(&c, false);
    send_u(&c, true, 0x43);  /* TESTFR act */
    send_u(&c, false, 0x83); /* TESTFR con */
    gs_tcp_close(&c.s);
}

/* ---- 3. secure authentication ---------------------------------------------------------------- */

static const uint8_t update_key[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                       0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
static const uint8_t control_key[16] = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7,
                                        0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF};
static const uint8_t monitor_key[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                                        0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};

#define MAL_SHA256_16 4 /* HMAC-SHA-256 truncated to 16 octets */

/* The MAC of a || b (b may be empty) under key. */
static void mac16(const uint8_t key[16], const struct buf *a, const uint8_t *b, size_t b_len,
                  uint8_t out[16])
{
    const struct gs_saw_part input[] = {{a->b, a->n}, {b, b_len}};
    gs_saw_mac(MAL_SHA256_16, key, 16, NULL, input, 2, out);
}

#define MAX_SEGMENT 200 /* message octets per ASDU when a message is segmented */

/* Sends a secure message, in as many ASDUs as it needs (FIR/FIN, ASN counting up). */
static void send_secure(struct conn *c, bool from_client, uint8_t type, uint8_t cot,
                        const struct buf *msg)
{
    struct buf a;
    size_t off = 0;
    unsigned asn = 0;
    do {
        size_t n = msg->n - off < MAX_SEGMENT ? msg->n - off : MAX_SEGMENT;
        header(&a, type, false, 1, cot);
        put(&a, (uint8_t)((off == 0 ? 0x40u : 0) | (off + n == msg->n ? 0x80u : 0) | asn));
        put_bytes(&a, msg->b + off, n);
        send_i(c, from_client, &a);
        off += n;
        asn = (asn + 1u) % 64u;
    } while (off < msg->n);
}

static void secure(struct gs_pcapw *w)
{
    struct conn c;
    conn_open(&c, w, T0 + 120000000ull, 0x0A040007, 40003);
    struct buf m, a, kc, ch, cmd;
    uint8_t mac[16];

    /* Session key status request (84: no segmentation octet). */
    header(&a, 84, false, 1, 15);
    put16(&a, 1);
    send_i(&c, true, &a);
    /* Key status NOT_INIT, KSQ 1, challenge 11 22 33 44, no MAC (MAL 0). */
    m.n = 0;
    put32(&m, 1);
    put16(&m, 1);
    put(&m, 1);
    put(&m, 2);
    put(&m, 0);
    put16(&m, 4);
    put32(&m, 0x44332211ul);
    struct buf status = m;
    send_secure(&c, false, 85, 15, &m);
    /* Key change: wrap(length 16 | CDSK | MDSK | the key status message | zero padding). */
    uint8_t plain[96], wrapped[104];
    size_t pn = 0;
    plain[pn++] = 16;
    plain[pn++] = 0;
    memcpy(plain + pn, control_key, 16);
    pn += 16;
    memcpy(plain + pn, monitor_key, 16);
    pn += 16;
    memcpy(plain + pn, status.b, status.n);
    pn += status.n;
    while (pn % 8 != 0)
        plain[pn++] = 0;
    gs_saw_aes_wrap(update_key, sizeof(update_key), plain, pn, wrapped);
    m.n = 0;
    put32(&m, 1);
    put16(&m, 1);
    put16(&m, (unsigned)(pn + 8));
    put_bytes(&m, wrapped, pn + 8);
    header(&kc, 86, false, 1, 15);
    put(&kc, 0xC0);
    put_bytes(&kc, m.b, m.n);
    send_i(&c, true, &kc);
    /* Key status OK, KSQ 2, MAC over the key change ASDU with the monitor-direction key. */
    mac16(monitor_key, &kc, NULL, 0, mac);
    m.n = 0;
    put32(&m, 2);
    put16(&m, 1);
    put(&m, 1);
    put(&m, 1);
    put(&m, 4);
    put16(&m, 4);
    put32(&m, 0x88776655ul);
    put_bytes(&m, mac, 16);
    send_secure(&c, false, 85, 15, &m);

    /* Critical command, challenged, answered with a MAC, then confirmed. */
    header(&cmd, 45, false, 1, 6);
    put24(&cmd, 5045);
    put(&cmd, 0x81); /* select, on */
    send_i(&c, true, &cmd);
    header(&ch, 81, false, 1, 14);
    put(&ch, 0xC0);
    put32(&ch, 1);
    put16(&ch, 0);
    put(&ch, 4);
    put(&ch, 1);
    put16(&ch, 4);
    put32(&ch, 0xD4C3B2A1ul);
    send_i(&c, false, &ch);
    mac16(control_key, &ch, cmd.b, cmd.n, mac);
    m.n = 0;
    put32(&m, 1);
    put16(&m, 1);
    put16(&m, 16);
    put_bytes(&m, mac, 16);
    send_secure(&c, true, 82, 14, &m);
    cmd.b[2] = 7;
    send_i(&c, false, &cmd);

    /* Aggressive mode: the execute inside S_AR_NA_1, MAC over last challenge || ASDU. */
    struct buf exec;
    header(&exec, 45, false, 1, 6);
    put24(&exec, 5045);
    put(&exec, 0x01); /* execute, on */
    header(&a, 83, false, 1, 14);
    put(&a, 0xC0);
    put_bytes(&a, exec.b, exec.n);
    put32(&a, 2);
    put16(&a, 1);
    mac16(control_key, &ch, a.b, a.n, mac);
    put_bytes(&a, mac, 16);
    send_i(&c, true, &a);
    exec.b[2] = 7;
    send_i(&c, false, &exec);
    exec.b[2] = 10;
    send_i(&c, false, &exec);

    /* Authentication error: CSQ 3, user 1, association 0, authentication failed. */
    static const char text[] = "MAC mismatch";
    m.n = 0;
    put32(&m, 3);
    put16(&m, 1);
    put16(&m, 0);
    put(&m, 1);
    put_cp56(&m, 12345);
    put16(&m, sizeof(text) - 1);
    put_bytes(&m, (const uint8_t *)text, sizeof(text) - 1);
    send_secure(&c, false, 87, 14, &m);
    send_s(&c, true);

    /* User management: certificate (88) over three ASDUs, user status change (90), update
     * key change request (91), reply (92), symmetric change (93), asymmetric change (94)
     * over three ASDUs, confirmation (95). */
    m.n = 0;
    put(&m, 68);
    put16(&m, 480);
    for (unsigned k = 0; k < 480; k++)
        put(&m, (uint8_t)(0x30 + k % 64));
    send_secure(&c, true, 88, 16, &m);
    static const char user[] = "operator";
    m.n = 0;
    put(&m, 4);
    put(&m, 1);
    put32(&m, 1);
    put16(&m, 1);
    put16(&m, 365);
    put16(&m, sizeof(user) - 1);
    put16(&m, 0);
    put16(&m, 32);
    put_bytes(&m, (const uint8_t *)user, sizeof(user) - 1);
    for (unsigned k = 0; k < 32; k++)
        put(&m, (uint8_t)(0xA0 + k));
    send_secure(&c, true, 90, 16, &m);
    m.n = 0;
    put(&m, 4);
    put16(&m, sizeof(user) - 1);
    put16(&m, 32);
    put_bytes(&m, (const uint8_t *)user, sizeof(user) - 1);
    for (unsigned k = 0; k < 32; k++)
        put(&m, (uint8_t)(0x10 + k));
    send_secure(&c, true, 91, 16, &m);
    m.n = 0;
    put32(&m, 5);
    put16(&m, 2);
    put16(&m, 32);
    for (unsigned k = 0; k < 32; k++)
        put(&m, (uint8_t)(0x50 + k));
    send_secure(&c, false, 92, 16, &m);
    m.n = 0;
    put32(&m, 5);
    put16(&m, 2);
    put16(&m, 40);
    for (unsigned k = 0; k < 40; k++)
        put(&m, (uint8_t)(0x60 + k));
    for (unsigned k = 0; k < 16; k++)
        put(&m, (uint8_t)(0xE0 + k));
    send_secure(&c, true, 93, 16, &m);
    m.n = 0;
    put32(&m, 6);
    put16(&m, 2);
    put16(&m, 256);
    for (unsigned k = 0; k < 256 + 256; k++)
        put(&m, (uint8_t)(k * 7u));
    send_secure(&c, true, 94, 16, &m);
    m.n = 0;
    for (unsigned k = 0; k < 16; k++)
        put(&m, (uint8_t)(0xF0 + k));
    send_secure(&c, false, 95, 16, &m);

    /* Security statistics as integrated totals. */
    header(&a, 41, false, 2, 3);
    for (unsigned k = 0; k < 2; k++) {
        put24(&a, 300 + k);
        monitor_element(&a, 41, k);
    }
    send_i(&c, false, &a);
    send_s(&c, true);
    gs_tcp_close(&c.s);
}

/* ---- 4. edge cases ------------------------------------------------------------------------- */

static void edge(struct gs_pcapw *w)
{
    struct conn c;
    memset(&c, 0, sizeof(c));
    /* No handshake: the capture starts inside the connection, mid-APDU. */
    gs_tcp_init(&c.s, w, T0 + 180000000ull, 0x0A040008, 40004, 0x0A040101, 2404);
    c.ns[0] = 100;
    c.ns[1] = 200;
    struct buf seg, a;
    seg.n = 0;
    put(&seg, 0x05); /* the tail of an APDU whose start was not captured */
    put(&seg, 0x00);
    put(&seg, 0x14);
    header(&a, 100, false, 1, 6);
    put24(&a, 0);
    put(&a, 20);
    add_i(&c, true, &seg, &a);
    gs_tcp_send(&c.s, true, seg.b, seg.n);

    /* A length octet below 4 right before a STARTDT act, in one segment (tshark gives up on
     * the rest of the segment; the APDU that follows is intact). */
    static const uint8_t short_then_u[] = {0x68, 0x01, 0x00, 0x68, 0x04, 0x07, 0x00, 0x00, 0x00};
    gs_tcp_send(&c.s, true, short_then_u, sizeof(short_then_u));
    /* A U-frame naming two functions. */
    static const uint8_t two_u[] = {0x68, 0x04, 0x0F, 0x00, 0x00, 0x00};
    gs_tcp_send(&c.s, false, two_u, sizeof(two_u));

    /* N(S) jumps (frames not seen), then repeats (a replay), then N(R) acknowledges frames
     * the controlled station never sent. */
    header(&a, 3, false, 1, 3);
    put24(&a, 15000);
    put(&a, 2);
    send_i(&c, false, &a);
    c.ns[1] += 5;
    send_i(&c, false, &a);
    c.ns[1] -= 1;
    send_i(&c, false, &a);
    c.ns[1] += 20;
    send_s(&c, true);
    c.ns[1] -= 20;

    /* A truncated ASDU (two octets), a count that does not fit, trailing octets, an unknown
     * type, a 255-octet APDU (length octet 253 is the limit) and a VSQ of 0. */
    uint8_t apdu[300];
    a.n = 0;
    put(&a, 45);
    put(&a, 1);
    size_t n = apdu_i(apdu, c.ns[0]++, c.ns[1], &a);
    gs_tcp_send(&c.s, true, apdu, n);
    header(&a, 45, false, 3, 6);
    put24(&a, 5045);
    put(&a, 0x81);
    send_i(&c, true, &a);
    header(&a, 46, false, 1, 6);
    put24(&a, 5046);
    put(&a, 0x02);
    put(&a, 0xEE);
    send_i(&c, true, &a);
    header(&a, 200, false, 1, 3);
    put24(&a, 1);
    put(&a, 0);
    send_i(&c, false, &a);
    header(&a, 11, true, 80, 3);
    put24(&a, 2000);
    for (unsigned k = 0; k < 80; k++)
        monitor_element(&a, 11, k);
    put16(&a, 0xBEEF);
    send_i(&c, false, &a);
    header(&a, 1, false, 0, 3);
    send_i(&c, false, &a);
    /* A secure ASDU out of sequence: the middle of a message whose start was not seen. */
    header(&a, 94, false, 1, 16);
    put(&a, 0x01);
    put32(&a, 0);
    send_i(&c, true, &a);

    /* A two-octet ASDU, an S-frame and the first 8 octets of an interrogation in one segment,
     * the rest of the interrogation in the next (tshark, once its ASDU dissector has thrown,
     * no longer reassembles the rest of that segment). */
    seg.n = 0;
    a.n = 0;
    put(&a, 45);
    put(&a, 1);
    add_i(&c, true, &seg, &a);
    uint8_t s_frame[6] = {0x68, 4, 0x01, 0, (uint8_t)(c.ns[1] << 1), (uint8_t)(c.ns[1] >> 7)};
    put_bytes(&seg, s_frame, sizeof(s_frame));
    header(&a, 100, false, 1, 6);
    put24(&a, 0);
    put(&a, 20);
    size_t cut = seg.n + 8;
    add_i(&c, true, &seg, &a);
    gs_tcp_send(&c.s, true, seg.b, cut);
    gs_tcp_send(&c.s, true, seg.b + cut, seg.n - cut);
    /* Stray octets ending with a start octet, the rest of the APDU in the next segment
     * (tshark never looks at the last octet of what it holds for a start octet). */
    static const uint8_t stray_then_start[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x68};
    static const uint8_t rest_of_testfr[] = {0x04, 0x43, 0x00, 0x00, 0x00};
    gs_tcp_send(&c.s, false, stray_then_start, sizeof(stray_then_start));
    gs_tcp_send(&c.s, false, rest_of_testfr, sizeof(rest_of_testfr));
    gs_tcp_close(&c.s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_iec104 OUT.pcap\n");
        return 2;
    }
    struct gs_pcapw w;
    gs_pcapw_open(&w, argv[1], GS_PCAPW_LINKTYPE_ETHERNET);
    controls(&w);
    monitor(&w);
    secure(&w);
    edge(&w);
    gs_pcapw_close(&w);
    return 0;
}
