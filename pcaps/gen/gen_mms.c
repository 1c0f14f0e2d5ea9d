/*
 * gen_mms.c - writes pcaps/mms_station.pcap: a station bus where one SCADA gateway
 * (10.20.0.10) holds IEC 61850 MMS associations with three IEDs, their traffic interleaved.
 *
 *   IED1 10.20.1.11  COTP TPDU size 128, so every PDU longer than 125 octets is cut into
 *                    several DTs: password association, discovery (getNameList,
 *                    getVariableAccessAttributes, read), a data set and its report control
 *                    block, reports, select-before-operate with value (SBOw, Oper,
 *                    CommandTermination), a select (SBO read), an Oper refused with
 *                    LastApplError, a Cancel, a confirmed error, a reject, conclude, release
 *   IED2 10.20.1.12  file services on TPDU size 8192 and 1460-octet TCP segments:
 *                    fileDirectory, fileOpen, fileRead (9000 and 70000 octets), fileClose,
 *                    obtainFile, fileRename, fileDelete, getDomainAttributes, an ACSE abort
 *   IED3 10.20.1.13  an association already running when the capture starts: the first
 *                    segment begins inside a TPKT, then reports, two TPKTs per segment, and
 *                    a read split so that a TPKT header straddles two segments
 *
 * Usage: gen_mms OUT.pcap
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "berw.h"
#include "pcapw.h"

#define T0       1795003600000000ull /* 2026-11-18T12:06:40Z */
#define GATEWAY  0x0A14000A
#define TSDU_MAX 80000
#define WIRE_MAX 90000
#define STEP_US  40
#define SPACING  211

struct ied {
    struct gs_tcp_session s;
    size_t dt_max; /* user data octets per DT (TPDU size - 3) */
    size_t mss;    /* TCP payload octets per segment */
};

static uint64_t clock_us = T0;
static uint8_t tsdu[TSDU_MAX];
static uint8_t wire[WIRE_MAX];

/* Cuts a TSDU into TPKT/COTP DTs (the last with EOT) at wire + *w. */
static void put_dts(const uint8_t *data, size_t n, size_t dt_max, size_t *w)
{
    size_t off = 0;
    do {
        size_t chunk = n - off < dt_max ? n - off : dt_max;
        size_t total = 7 + chunk;
        uint8_t hdr[7] = {0x03, 0x00, (uint8_t)(total >> 8),         (uint8_t)total,
                          0x02, 0xF0, off + chunk == n ? 0x80 : 0x00};
        memcpy(wire + *w, hdr, sizeof(hdr));
        memcpy(wire + *w + 7, data + off, chunk);
        *w += total;
        off += chunk;
    } while (off < n);
}

static void send_wire(struct ied *d, bool from_client, size_t n)
{
    d->s.ts_us = clock_us;
    gs_tcp_send_segmented(&d->s, from_client, wire, n, d->mss);
    clock_us = d->s.ts_us + SPACING;
}

static void send_tsdu(struct ied *d, bool from_client, const uint8_t *data, size_t n)
{
    size_t w = 0;
    put_dts(data, n, d->dt_max, &w);
    send_wire(d, from_client, w);
}

/* Starts a presentation data transfer on context 3 (MMS): GT + DT SPDUs, user data, PDV. */
static void open_pres(struct gs_berw *b)
{
    gs_berw_init(b, tsdu, sizeof(tsdu));
    gs_berw(b, "01 00 01 00 61{30{02 01 03 A0{");
}

static void close_pres(struct gs_berw *b)
{
    gs_berw(b, "}}}");
}

/* One MMS PDU (notation of berw.h) in a presentation data transfer. */
static void mms(struct ied *d, bool from_client, const char *pdu)
{
    struct gs_berw b;
    open_pres(&b);
    gs_berw(&b, pdu);
    close_pres(&b);
    send_tsdu(d, from_client, tsdu, b.n);
}

static void ied_init(struct ied *d, uint32_t ip, uint16_t client_port, size_t dt_max, size_t mss,
                     struct gs_pcapw *w)
{
    gs_tcp_init(&d->s, w, clock_us, GATEWAY, client_port, ip, 102);
    d->s.step_us = STEP_US;
    d->dt_max = dt_max;
    d->mss = mss;
}

/* TCP handshake and COTP CR/CC proposing TPDU size 2^size_code. */
static void connect_ied(struct ied *d, uint8_t size_code)
{
    d->s.ts_us = clock_us;
    gs_tcp_handshake(&d->s);
    clock_us = d->s.ts_us + SPACING;
    uint8_t cr[22];
    size_t n = gs_hex(cr, sizeof(cr),
                      "03 00 00 16 11 E0 00 00 00 01 00 C0 01 00 C1 02 00 01 C2 02 "
                      "00 01");
    cr[13] = size_code;
    memcpy(wire, cr, n);
    send_wire(d, true, n);
    cr[5] = 0xD0;
    cr[6] = 0x00;
    cr[7] = 0x01;
    cr[8] = 0x00;
    cr[9] = 0x02;
    memcpy(wire, cr, n);
    send_wire(d, false, n);
}

/* Session CN with a CP-PPDU proposing ACSE (1) and MMS (3), whose AARQ carries the
 * initiate-RequestPDU; `auth` is extra AARQ fields (authentication). */
static void associate(struct ied *d, const char *auth)
{
    struct gs_berw b;
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b,
            "0D[05[13[00] 16[02]] 14[00 02] 33[00 01] 34[00 01] C1[31{A0{80 01 01} A2{"
            "81{00 00 00 01} 82{00 00 00 01}"
            "A4{30{02 01 01 06 04 52 01 00 01 30{06 02 51 01}}"
            "   30{02 01 03 06 05 28 CA 22 02 01 30{06 02 51 01}}}"
            "61{30{02 01 01 A0{60{A1{06 05 28 CA 22 02 03} A2{06 05 29 01 87 67 01} A3{02 01 0C}"
            "A6{06 04 29 01 87 67} A7{02 01 0C}");
    gs_berw(&b, auth);
    gs_berw(&b, "BE{28{02 01 03 A0{A8{80 03 00 FD E8 81 01 05 82 01 05 83 01 0A"
                "A4{80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 04 08 00 00 79 EF 18}}}}}"
                "}}}}}}]]");
    send_tsdu(d, true, tsdu, b.n);
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b, "0E[05[13[00] 16[02]] 14[00 02] 34[00 01] C1[31{A0{80 01 01} A2{83{00 00 00 01}"
                "A5{30{80 01 00 81 02 51 01} 30{80 01 00 81 02 51 01}}"
                "61{30{02 01 01 A0{61{A1{06 05 28 CA 22 02 03} A2{02 01 00} A3{A1{02 01 00}}"
                "A4{06 05 29 01 87 67 01} A5{02 01 0C}"
                "BE{28{02 01 03 A0{A9{80 03 00 FD E8 81 01 05 82 01 05 83 01 0A"
                "A4{80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 00 00 00 00 00 01 18}}}}}"
                "}}}}}}]]");
    send_tsdu(d, false, tsdu, b.n);
}

static void release(struct ied *d)
{
    mms(d, true, "8B 00");
    mms(d, false, "8C 00");
    struct gs_berw b;
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b, "09[C1[61{30{02 01 01 A0{62{80 01 00}}}}]]");
    send_tsdu(d, true, tsdu, b.n);
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b, "0A[C1[61{30{02 01 01 A0{63{80 01 00}}}}]]");
    send_tsdu(d, false, tsdu, b.n);
    d->s.ts_us = clock_us;
    gs_tcp_close(&d->s);
    clock_us = d->s.ts_us + SPACING;
}

/* ---- IED1: discovery, reports, controls ------------------------------------------------- */

#define IED1_NAME(item)        "A1{1A'IED1CTRL' 1A'" item "'}"
#define VAR(item)              "30{A0{" IED1_NAME(item) "}}"
#define ORIGIN                 "A2{85 01 03 89'SCADA-GW1'}"
#define T_STAMP                "91{6B 3A 1C 40 80 00 00 0A}"
#define CTL(val, num)          "A2{" val " " ORIGIN " 86 01 " num " " T_STAMP " 83 01 00 84{06 C0}}"
#define CANCEL(num)            "A2{83 01 01 " ORIGIN " 86 01 " num " " T_STAMP " 83 01 00}"
#define WRITE(inv, item, data) "A0{02 01 " inv " A5{A0{" VAR(item) "} A0{" data "}}}"

static const char *const ied1_script[][2] = {
    /* {client request, server response}; NULL for none */
    {"A0{02 01 01 A1{A0{80 01 09} A1{80 00}}}",
     "A1{02 01 01 A1{A0{1A'IED1CTRL' 1A'IED1MEAS'} 81 01 00}}"},
    {"A0{02 01 02 A1{A0{80 01 00} A1{81'IED1CTRL'}}}",
     "A1{02 01 02 A1{A0{1A'CSWI1' 1A'CSWI1$CO' 1A'CSWI1$CO$Pos' 1A'LLN0' 1A'XCBR1'"
     " 1A'XCBR1$CO$Pos' 1A'XCBR1$ST$Pos$stVal'} 81 01 00}}"},
    {"A0{02 01 03 A6{A0{" IED1_NAME("XCBR1$ST$Pos") "}}}",
     "A1{02 01 03 A6{80 01 00 A2{A2{A1{30{80'stVal' A1{84 01 02}} 30{80'q' A1{84 01 F3}}}}}}}"},
    {"A0{02 01 04 A4{A1{A0{" VAR("XCBR1$ST$Pos$stVal") VAR("XCBR1$ST$Pos$q") "}}}}",
     "A1{02 01 04 A4{A1{84{06 80} 84{03 00 00}}}}"},
    {"A0{02 01 05 AB{" IED1_NAME("LLN0$DSGW") " A0{" VAR("XCBR1$ST$Pos") VAR("CSWI1$ST$Pos") "}}}",
     "A1{02 01 05 8B 00}"},
    {"A0{02 01 06 AC{" IED1_NAME("LLN0$DSGW") "}}",
     "A1{02 01 06 AC{80 01 01 A1{" VAR("XCBR1$ST$Pos") VAR("CSWI1$ST$Pos") "}}}"},
    {WRITE("07", "LLN0$BR$brcbA01$DatSet", "8A'IED1CTRL/LLN0$DSGW'"), "A1{02 01 07 A5{81 00}}"},
    {WRITE("08", "LLN0$BR$brcbA01$RptEna", "83 01 01"), "A1{02 01 08 A5{81 00}}"},
    {NULL, "A3{A0{A1{80'RPT'} A0{8A'IED1CTRL/LLN0$BR$brcbA01' 84{06 7A 00} 86 01 01"
           " 8A'IED1CTRL/LLN0$DSGW' 89{00 00 00 00 00 00 00 01} 84{06 C0}"
           " A2{84{06 40} 84{03 00 00} 91{6B 3A 1C 3F 00 00 00 0A}}"
           " A2{84{06 40} 84{03 00 00} 91{6B 3A 1C 3F 00 00 00 0A}} 84{02 08} 84{02 08}}}}"},
    /* select before operate with enhanced security: SBOw, Oper, CommandTermination */
    {WRITE("09", "CSWI1$CO$Pos$SBOw", CTL("83 01 01", "01")), "A1{02 01 09 A5{81 00}}"},
    {WRITE("0A", "CSWI1$CO$Pos$Oper", CTL("83 01 01", "01")), "A1{02 01 0A A5{81 00}}"},
    {NULL, "A3{A0{A0{" VAR("CSWI1$CO$Pos$Oper") "} A0{" CTL("83 01 01", "01") "}}}"},
    {NULL, "A3{A0{A1{80'RPT'} A0{8A'IED1CTRL/LLN0$BR$brcbA01' 84{06 7A 00} 86 01 02"
           " 8A'IED1CTRL/LLN0$DSGW' 89{00 00 00 00 00 00 00 02} 84{06 C0}"
           " A2{84{06 80} 84{03 00 00} 91{6B 3A 1C 41 00 00 00 0A}}"
           " A2{84{06 80} 84{03 00 00} 91{6B 3A 1C 41 00 00 00 0A}} 84{02 04} 84{02 04}}}}"},
    /* select (normal security) on XCBR1, then an Oper the interlocking refuses */
    {"A0{02 01 0B A4{A1{A0{" VAR("XCBR1$CO$Pos$SBO") "}}}}",
     "A1{02 01 0B A4{A1{8A'IED1CTRL/XCBR1$CO$Pos$SBO'}}}"},
    {WRITE("0C", "XCBR1$CO$Pos$Oper", CTL("83 01 00", "02")), NULL},
    {NULL,
     "A3{A0{A0{30{A0{80'LastApplError'}}} A0{A2{8A'IED1CTRL/XCBR1$CO$Pos$Oper' 85 01 01 " ORIGIN
     " 86 01 02 85 01 0A}}}}"},
    {NULL, "A1{02 01 0C A5{80 01 03}}"},
    {WRITE("0D", "XCBR1$CO$Pos$Cancel", CANCEL("02")), "A1{02 01 0D A5{81 00}}"},
    /* a read of a domain that does not exist, a service the IED rejects, identify */
    {"A0{02 01 0E A4{A1{A0{30{A0{A1{1A'IED9' 1A'LLN0$ST$Mod$stVal'}}}}}}}",
     "A2{80 01 0E A2{A0{82 01 01}}}"},
    {"A0{02 01 0F BF3F{80 01 00}}", "A4{80 01 0F 81 01 01}"},
    {"A0{02 01 10 82 00}", "A1{02 01 10 A2{80'gridsim' 81'IED1-CTRL' 82'2.1.0'}}"},
};

/* ---- IED2: files ------------------------------------------------------------------------ */

static void file_read_response(struct ied *d, uint8_t invoke, size_t len, bool more)
{
    struct gs_berw b;
    char head[64];
    open_pres(&b);
    snprintf(head, sizeof(head), "A1{02 01 %02X BF49{80{", invoke);
    gs_berw(&b, head);
    for (size_t i = 0; i < len; i++) {
        uint8_t v = (uint8_t)(i * 7 + invoke);
        gs_berw_bytes(&b, &v, 1);
    }
    gs_berw(&b, more ? "} 81 01 FF}}" : "} 81 01 00}}");
    close_pres(&b);
    send_tsdu(d, false, tsdu, b.n);
}

static const char *const ied2_head[][2] = {
    {"A0{02 01 01 BF4D{}}",
     "A1{02 01 01 BF4D{A0{30{30{A0{19'COMTRADE/fault1.cfg'} A1{80 02 04 D2"
     " 81'20261118120000.000Z'}} 30{A0{19'COMTRADE/fault1.dat'} A1{80 03 01 19 28"
     " 81'20261118120000.000Z'}}}} 81 01 00}}"},
    {"A0{02 01 02 BF48{A0{19'COMTRADE/fault1.dat'} 81 01 00}}",
     "A1{02 01 02 BF48{80 01 01 A1{80 03 01 19 28 81'20261118120000.000Z'}}}"},
};

static const char *const ied2_tail[][2] = {
    {"A0{02 01 05 9F4A{01}}", "A1{02 01 05 9F4A{}}"},
    {"A0{02 01 06 BF2E{A1{19'fw/ied2_v3.bin'} A2{19'ied2_v3.bin'}}}", NULL},
    {"A0{02 01 07 BF4B{A0{19'ied2_v3.bin'} A1{19'firmware.bin'}}}", "A1{02 01 07 9F4B{}}"},
    {"A0{02 01 08 BF4C{19'COMTRADE/fault1.cfg'}}", "A1{02 01 08 9F4C{}}"},
    {"A0{02 01 09 9F25'IED2LD0'}",
     "A1{02 01 09 BF25{A0{} 81 01 02 82 01 00 83 01 00 A4{} 85 01 00}}"},
};

static void ied2_abort(struct ied *d)
{
    struct gs_berw b;
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b, "19[11[09] C1[A0{61{30{02 01 01 A0{64{80 01 00}}}}}]]");
    send_tsdu(d, true, tsdu, b.n);
    d->s.ts_us = clock_us;
    gs_tcp_close(&d->s);
    clock_us = d->s.ts_us + SPACING;
}

/* ---- IED3: a running association -------------------------------------------------------- */

static size_t ied3_report(uint8_t seq, size_t *w)
{
    struct gs_berw b;
    char body[512];
    snprintf(body, sizeof(body),
             "A3{A0{A1{80'RPT'} A0{8A'IED3MEAS/LLN0$RP$urcbMX01' 84{06 7A 00} 86 01 %02X"
             " 8A'IED3MEAS/LLN0$DSMX' 84{06 C0}"
             " A2{A2{A2{87{08 43 5C 80 00}}} 84{03 00 00} 91{6B 3A 1C 42 00 00 00 0A}}"
             " A2{A2{A2{87{08 43 5C %02X 00}}} 84{03 00 00} 91{6B 3A 1C 42 00 00 00 0A}}"
             " 84{02 20} 84{02 20}}}}",
             seq, seq);
    open_pres(&b);
    gs_berw(&b, body);
    close_pres(&b);
    size_t start = *w;
    put_dts(tsdu, b.n, 8189, w);
    return *w - start;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_mms OUT.pcap\n");
        return 2;
    }
    struct gs_pcapw w;
    gs_pcapw_open(&w, argv[1], GS_PCAPW_LINKTYPE_ETHERNET);
    struct ied ied1, ied2, ied3;
    ied_init(&ied1, 0x0A14010B, 49152, 125, 1460, &w);
    ied_init(&ied2, 0x0A14010C, 49153, 8189, 1460, &w);
    ied_init(&ied3, 0x0A14010D, 49154, 8189, 1460, &w);

    /* IED3 is already talking: the capture starts inside one of its reports. */
    size_t n = 0;
    size_t len = ied3_report(40, &n);
    ied3.s.ts_us = clock_us;
    gs_tcp_send(&ied3.s, false, wire + len / 2, n - len / 2);
    clock_us = ied3.s.ts_us + SPACING;

    connect_ied(&ied1, 0x07);
    connect_ied(&ied2, 0x0D);
    associate(&ied1, "8A{07 80} 8B{52 03 01} AC{80'ied1-maint'}");
    associate(&ied2, "");

    size_t steps = sizeof(ied1_script) / sizeof(ied1_script[0]);
    size_t heads = sizeof(ied2_head) / sizeof(ied2_head[0]);
    for (size_t i = 0; i < steps; i++) {
        if (ied1_script[i][0] != NULL)
            mms(&ied1, true, ied1_script[i][0]);
        if (ied1_script[i][1] != NULL)
            mms(&ied1, false, ied1_script[i][1]);
        if (i < heads) {
            mms(&ied2, true, ied2_head[i][0]);
            mms(&ied2, false, ied2_head[i][1]);
        } else if (i == heads) {
            mms(&ied2, true, "A0{02 01 03 9F49{01}}");
            file_read_response(&ied2, 3, 9000, true);
        } else if (i == heads + 1) {
            mms(&ied2, true, "A0{02 01 04 9F49{01}}");
            file_read_response(&ied2, 4, 70000, false);
        } else if (i - heads - 2 < sizeof(ied2_tail) / sizeof(ied2_tail[0])) {
            const char *const *t = ied2_tail[i - heads - 2];
            mms(&ied2, true, t[0]);
            if (t[1] != NULL)
                mms(&ied2, false, t[1]);
        }
        if (i % 3 == 0) {
            /* Two IED3 reports in one segment. */
            n = 0;
            ied3_report((uint8_t)(41 + i), &n);
            ied3_report((uint8_t)(42 + i), &n);
            ied3.s.ts_us = clock_us;
            gs_tcp_send(&ied3.s, false, wire, n);
            clock_us = ied3.s.ts_us + SPACING;
        } else if (i % 3 == 1) {
            /* A read whose TPKT header straddles two segments. */
            struct gs_berw b;
            open_pres(&b);
            gs_berw(&b,
                    "A0{02 02 01 00 A4{A1{A0{30{A0{A1{1A'IED3MEAS' 1A'MMXU1$MX$TotW$mag$f'}}}}}}}");
            close_pres(&b);
            n = 0;
            put_dts(tsdu, b.n, 8189, &n);
            ied3.s.ts_us = clock_us;
            gs_tcp_send(&ied3.s, true, wire, 2);
            gs_tcp_send(&ied3.s, true, wire + 2, n - 2);
            clock_us = ied3.s.ts_us + SPACING;
            mms(&ied3, false, "A1{02 02 01 00 A4{A1{87{08 43 5C 80 00}}}}");
        }
    }
    /* The obtainFile answer comes last, once the IED has fetched the file. */
    mms(&ied2, false, "A1{02 01 06 9F2E{}}");
    ied2_abort(&ied2);
    release(&ied1);
    gs_pcapw_close(&w);
    return 0;
}
