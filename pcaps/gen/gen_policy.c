/*
 * gen_policy.c - writes pcaps/policy.pcap: a substation whose traffic the conduit policy of
 * tests/regress/policy/policy.json judges, with allowed and disallowed operations on each
 * conduit, traffic no conduit names, other protocols between conduit endpoints, and the
 * dangerous operations of the default catalogue (detectors/catalogue.c).
 *
 *   C-WAN-RTU   DNP3, master 10.1.0.2 -> outstation 10.2.0.10:20000: reads, select/operate
 *               (allowed), DIRECT_OPERATE and a READ of g110 (not allowed), DISABLE_UNSOLICITED
 *               (listed, so not dangerous), COLD_RESTART three times (+5 s held back, +75 s
 *               reported again with repeats 1)
 *   (none)      DNP3, 10.1.0.2 -> 10.2.0.99:20000, no conduit: WARM_RESTART, OPEN_FILE for
 *               writing, a DIRECT_OPERATE broadcast to 0xFFFF, OPEN_FILE for reading
 *   C-STN-104   IEC 104, 10.3.0.5 -> 10.3.1.1:2404: interrogation, single command and clock
 *               sync (allowed), a float set point (type not allowed), an interrogation with
 *               COT 5 (cause not allowed), C_RP_NA_1, P_AC_NA_1, a single command to the
 *               global address 0xFFFF
 *   C-STN-MMS   MMS, gateway 10.20.0.10 -> IED 10.20.1.11:102: read, getNameList, SBOw and
 *               Oper (allowed by controls), a report-enable write, a setting group write, a
 *               fileDelete (not allowed)
 *   C-ENG-MMS   MMS, engineering 10.20.0.50 -> 10.20.1.11:102: fileDelete and a setting
 *               group write that the conduit allows explicitly, a kill it does not allow
 *   C-PROC      GOOSE on VLAN 10: the listed publisher, a rogue MAC with its gocbRef, the
 *               listed MAC with another gocbRef; GOOSE on VLAN 30 (no conduit)
 *   C-PROC-SV   SV on VLAN 100: the listed merging unit and one with another svID
 *   others      HTTP between the IEC 104 endpoints, SMB between the DNP3 endpoints, DNP3
 *               between the IEC 104 endpoints, RDP between the MMS endpoints, an
 *               unidentified UDP flow between the DNP3 endpoints, DNS between two hosts no
 *               conduit names
 *
 * Usage: gen_policy OUT.pcap
 */
#include <stdio.h>
#include <string.h>

#include "berw.h"
#include "dnp3w.h"
#include "iec61850w.h"
#include "pcapw.h"

#define T0      1795200000000000ull /* 2026-11-20T18:40:00Z */
#define SPACING 50000u              /* between conversations */
#define S_US    1000000ull

#define IP(a, b, c, d)                                                                             \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static uint64_t clock_us = T0;

static void session(struct gs_tcp_session *s, struct gs_pcapw *w, uint32_t client, uint16_t cport,
                    uint32_t server, uint16_t sport)
{
    gs_tcp_init(s, w, clock_us, client, cport, server, sport);
    gs_tcp_handshake(s);
}

static void done(struct gs_tcp_session *s)
{
    gs_tcp_close(s);
    clock_us = s->ts_us + SPACING;
}

/* ---- DNP3 ----------------------------------------------------------------------------------- */

struct dnp3 {
    struct gs_tcp_session s;
    uint16_t master, outstation;
    uint8_t seq;
};

/* One request (application fragment in hex, its AC byte written here) and, unless it is
 * NULL, the outstation's response. */
static void dnp3_exchange(struct dnp3 *d, uint16_t dst, const char *request, const char *response)
{
    uint8_t apdu[512], wire[GS_DNP3W_MAX_WIRE];
    size_t n = gs_hex(apdu, sizeof(apdu), request);
    apdu[0] = (uint8_t)(0xC0 | (d->seq & 0x0F));
    size_t f = gs_dnp3w_frame(wire, sizeof(wire), d->master, dst, true, d->seq, apdu, n);
    gs_tcp_send(&d->s, true, wire, f);
    if (response != NULL) {
        n = gs_hex(apdu, sizeof(apdu), response);
        apdu[0] = (uint8_t)(0xC0 | (d->seq & 0x0F));
        f = gs_dnp3w_frame(wire, sizeof(wire), d->outstation, d->master, false, d->seq, apdu, n);
        gs_tcp_send(&d->s, false, wire, f);
    }
    d->seq++;
}

#define RSP_OK    "C0 81 00 00"
#define CROB_IDX3 "0C 01 28 01 00 03 00 03 01 F4 01 00 00 00 00 00 00 00"
/* g70v3 file command for an 11-octet name: size 37, name offset 26, name size 11, creation
 * time, permissions, authentication key, file size 16, `mode`, block size 1024, request 7. */
#define G70V3(mode)                                                                                \
    "46 03 5B 01 25 00 1A 00 0B 00 00 00 00 00 00 00 FF 01 00 00 00 00 10 00 00 00 " mode          \
    " 00 00 04 07 00"
#define G70V4_OK "46 04 5B 01 0D 00 01 00 00 00 00 00 00 00 00 04 07 00 00"

static void dnp3_wan_rtu(struct gs_pcapw *w)
{
    struct dnp3 d = {.master = 1, .outstation = 1024};
    session(&d.s, w, IP(10, 1, 0, 2), 50100, IP(10, 2, 0, 10), 20000);
    /* Allowed: class 0 read, select and operate a CROB, enable unsolicited. */
    dnp3_exchange(&d, 1024, "C0 01 3C 01 06",
                  RSP_OK " 1E 01 00 00 01 01 E8 03 00 00 01 D0 07 00 00");
    dnp3_exchange(&d, 1024, "C0 03 " CROB_IDX3, RSP_OK " " CROB_IDX3);
    dnp3_exchange(&d, 1024, "C0 04 " CROB_IDX3, RSP_OK " " CROB_IDX3);
    dnp3_exchange(&d, 1024, "C0 14 3C 02 06 3C 03 06 3C 04 06", RSP_OK);
    /* Not allowed: DIRECT_OPERATE (function), a read of octet strings g110 (group). */
    dnp3_exchange(&d, 1024, "C0 05 " CROB_IDX3, RSP_OK " " CROB_IDX3);
    dnp3_exchange(&d, 1024, "C0 01 6E 00 06", RSP_OK);
    /* Listed by the conduit, so not dangerous there: DISABLE_UNSOLICITED. */
    dnp3_exchange(&d, 1024, "C0 15 3C 02 06 3C 03 06 3C 04 06", RSP_OK);
    /* COLD_RESTART (not listed), again 5 s later (held back), again 75 s after the first. */
    dnp3_exchange(&d, 1024, "C0 0D", RSP_OK " 34 02 07 01 88 13");
    d.s.ts_us += 5 * S_US;
    dnp3_exchange(&d, 1024, "C0 0D", RSP_OK " 34 02 07 01 88 13");
    d.s.ts_us += 70 * S_US;
    dnp3_exchange(&d, 1024, "C0 0D", RSP_OK " 34 02 07 01 88 13");
    done(&d.s);
}

static void dnp3_no_conduit(struct gs_pcapw *w)
{
    struct dnp3 d = {.master = 1, .outstation = 7};
    session(&d.s, w, IP(10, 1, 0, 2), 50101, IP(10, 2, 0, 99), 20000);
    dnp3_exchange(&d, 7, "C0 01 3C 01 06", RSP_OK);
    dnp3_exchange(&d, 7, "C0 0E", RSP_OK);
    /* OPEN_FILE mode 2 (write) of "cfg/rtu.xml", then mode 1 (read): only the first. */
    dnp3_exchange(&d, 7, "C0 19 " G70V3("02") " 63 66 67 2F 72 74 75 2E 78 6D 6C",
                  RSP_OK " " G70V4_OK);
    dnp3_exchange(&d, 7, "C0 19 " G70V3("01") " 63 66 67 2F 72 74 75 2E 78 6D 6C",
                  RSP_OK " " G70V4_OK);
    /* A DIRECT_OPERATE_NR to every outstation: no response. */
    dnp3_exchange(&d, 0xFFFF, "C0 06 " CROB_IDX3, NULL);
    done(&d.s);
}

/* DNP3 between the IEC 104 conduit's hosts: a protocol that conduit does not carry. */
static void dnp3_on_104_hosts(struct gs_pcapw *w)
{
    struct dnp3 d = {.master = 3, .outstation = 4};
    session(&d.s, w, IP(10, 3, 0, 5), 50102, IP(10, 3, 1, 1), 20000);
    dnp3_exchange(&d, 4, "C0 01 3C 01 06", RSP_OK);
    done(&d.s);
}

/* ---- IEC 104 -------------------------------------------------------------------------------- */

struct iec104 {
    struct gs_tcp_session s;
    unsigned ns[2];
};

/* An I-format APDU carrying `asdu` (hex) from one side. */
static void iec104_i(struct iec104 *c, bool from_client, const char *asdu)
{
    uint8_t apdu[260];
    size_t n = gs_hex(apdu + 6, sizeof(apdu) - 6, asdu);
    unsigned me = from_client ? 0 : 1;
    apdu[0] = 0x68;
    apdu[1] = (uint8_t)(4 + n);
    apdu[2] = (uint8_t)(c->ns[me] << 1);
    apdu[3] = (uint8_t)(c->ns[me] >> 7);
    apdu[4] = (uint8_t)(c->ns[!me] << 1);
    apdu[5] = (uint8_t)(c->ns[!me] >> 7);
    c->ns[me] = (c->ns[me] + 1u) & 0x7FFFu;
    gs_tcp_send(&c->s, from_client, apdu, 6 + n);
}

/* A command (type, VSQ 1, COT, OA 0, CA, IOA and element in hex) and its confirmation. */
static void iec104_command(struct iec104 *c, const char *type, const char *cot, const char *ca,
                           const char *rest)
{
    char asdu[256];
    snprintf(asdu, sizeof(asdu), "%s 01 %s 00 %s %s", type, cot, ca, rest);
    iec104_i(c, true, asdu);
    snprintf(asdu, sizeof(asdu), "%s 01 07 00 %s %s", type, ca, rest);
    iec104_i(c, false, asdu);
}

static void iec104_station(struct gs_pcapw *w)
{
    struct iec104 c;
    memset(&c, 0, sizeof(c));
    session(&c.s, w, IP(10, 3, 0, 5), 40001, IP(10, 3, 1, 1), 2404);
    uint8_t u[6] = {0x68, 4, 0x07, 0, 0, 0};
    gs_tcp_send(&c.s, true, u, sizeof(u)); /* STARTDT act */
    u[2] = 0x0B;
    gs_tcp_send(&c.s, false, u, sizeof(u)); /* STARTDT con */
    /* Allowed: interrogation, single command, clock synchronisation. */
    iec104_command(&c, "64", "06", "01 00", "00 00 00 14");
    iec104_command(&c, "2D", "06", "01 00", "E9 03 00 01");
    iec104_command(&c, "67", "06", "01 00", "00 00 00 A8 61 28 12 74 0B 1A");
    /* Not allowed: a float set point (type 50); an interrogation with COT 5 (request). */
    iec104_command(&c, "32", "06", "01 00", "D1 07 00 00 00 48 42 00");
    iec104_command(&c, "64", "05", "01 00", "00 00 00 14");
    /* Catalogue and not allowed: reset process, parameter activation. */
    iec104_command(&c, "69", "06", "01 00", "00 00 00 01");
    iec104_command(&c, "71", "06", "01 00", "F9 13 00 03");
    /* A single command to the global address: allowed type, catalogue broadcast. */
    iec104_command(&c, "2D", "06", "FF FF", "E9 03 00 01");
    done(&c.s);
}

/* ---- MMS ------------------------------------------------------------------------------------ */

static uint8_t tsdu[8192];

/* One TSDU as a TPKT/COTP DT (EOT). */
static void cotp_dt(struct gs_tcp_session *s, bool from_client, const uint8_t *data, size_t n)
{
    uint8_t wire[8300];
    size_t total = 7 + n;
    uint8_t hdr[7] = {0x03, 0x00, (uint8_t)(total >> 8), (uint8_t)total, 0x02, 0xF0, 0x80};
    memcpy(wire, hdr, sizeof(hdr));
    memcpy(wire + 7, data, n);
    gs_tcp_send(s, from_client, wire, total);
}

/* One MMS PDU (berw.h notation) in a presentation data transfer on context 3. */
static void mms_pdu(struct gs_tcp_session *s, bool from_client, const char *pdu)
{
    struct gs_berw b;
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b, "01 00 01 00 61{30{02 01 03 A0{");
    gs_berw(&b, pdu);
    gs_berw(&b, "}}}");
    cotp_dt(s, from_client, tsdu, b.n);
}

/* COTP CR/CC, then a session CN / AC whose presentation and ACSE carry the MMS initiate. */
static void mms_associate(struct gs_tcp_session *s)
{
    uint8_t cr[22];
    size_t n =
        gs_hex(cr, sizeof(cr), "03 00 00 16 11 E0 00 00 00 01 00 C0 01 0D C1 02 00 01 C2 02 00 01");
    gs_tcp_send(s, true, cr, n);
    cr[5] = 0xD0;
    cr[8] = 0x02;
    gs_tcp_send(s, false, cr, n);
    struct gs_berw b;
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b, "0D[05[13[00] 16[02]] 14[00 02] 33[00 01] 34[00 01] C1[31{A0{80 01 01} A2{"
                "81{00 00 00 01} 82{00 00 00 01}"
                "A4{30{02 01 01 06 04 52 01 00 01 30{06 02 51 01}}"
                "   30{02 01 03 06 05 28 CA 22 02 01 30{06 02 51 01}}}"
                "61{30{02 01 01 A0{60{A1{06 05 28 CA 22 02 03}"
                "BE{28{02 01 03 A0{A8{80 03 00 FD E8 81 01 05 82 01 05 83 01 0A"
                "A4{80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 04 08 00 00 79 EF 18}}}}}"
                "}}}}}}]]");
    cotp_dt(s, true, tsdu, b.n);
    gs_berw_init(&b, tsdu, sizeof(tsdu));
    gs_berw(&b, "0E[05[13[00] 16[02]] 14[00 02] 34[00 01] C1[31{A0{80 01 01} A2{83{00 00 00 01}"
                "A5{30{80 01 00 81 02 51 01} 30{80 01 00 81 02 51 01}}"
                "61{30{02 01 01 A0{61{A1{06 05 28 CA 22 02 03} A2{02 01 00} A3{A1{02 01 00}}"
                "BE{28{02 01 03 A0{A9{80 03 00 FD E8 81 01 05 82 01 05 83 01 0A"
                "A4{80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 00 00 00 00 00 01 18}}}}}"
                "}}}}}}]]");
    cotp_dt(s, false, tsdu, b.n);
}

#define NAME(item)             "A1{1A'IED1CTRL' 1A'" item "'}"
#define VAR(item)              "30{A0{" NAME(item) "}}"
#define ORIGIN                 "A2{85 01 03 89'SCADA-GW1'}"
#define T_STAMP                "91{6B 3A 1C 40 80 00 00 0A}"
#define CTL(val, num)          "A2{" val " " ORIGIN " 86 01 " num " " T_STAMP " 83 01 00 84{06 C0}}"
#define WRITE(inv, item, data) "A0{02 01 " inv " A5{A0{" VAR(item) "} A0{" data "}}}"
#define WRITE_OK(inv)          "A1{02 01 " inv " A5{81 00}}"

static void mms_station(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    session(&s, w, IP(10, 20, 0, 10), 49200, IP(10, 20, 1, 11), 102);
    mms_associate(&s);
    /* Allowed: getNameList, read, SBOw and Oper (controls). */
    mms_pdu(&s, true, "A0{02 01 01 A1{A0{80 01 09} A1{80 00}}}");
    mms_pdu(&s, false, "A1{02 01 01 A1{A0{1A'IED1CTRL'} 81 01 00}}");
    mms_pdu(&s, true, "A0{02 01 02 A4{A1{A0{" VAR("XCBR1$ST$Pos$stVal") "}}}}");
    mms_pdu(&s, false, "A1{02 01 02 A4{A1{84{06 80}}}}");
    mms_pdu(&s, true, WRITE("03", "CSWI1$CO$Pos$SBOw", CTL("83 01 01", "01")));
    mms_pdu(&s, false, WRITE_OK("03"));
    mms_pdu(&s, true, WRITE("04", "CSWI1$CO$Pos$Oper", CTL("83 01 01", "01")));
    mms_pdu(&s, false, WRITE_OK("04"));
    /* Not allowed: a write that is no control; a setting group switch (also dangerous); a
     * fileDelete (also dangerous). */
    mms_pdu(&s, true, WRITE("05", "LLN0$BR$brcbA01$RptEna", "83 01 01"));
    mms_pdu(&s, false, WRITE_OK("05"));
    mms_pdu(&s, true, WRITE("06", "LLN0$SP$SGCB$ActSG", "86 01 02"));
    mms_pdu(&s, false, WRITE_OK("06"));
    mms_pdu(&s, true, "A0{02 01 07 BF4C{19'COMTRADE/fault7.cfg'}}");
    mms_pdu(&s, false, "A1{02 01 07 9F4C{}}");
    done(&s);
}

static void mms_engineering(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    session(&s, w, IP(10, 20, 0, 50), 49201, IP(10, 20, 1, 11), 102);
    mms_associate(&s);
    /* Allowed explicitly: fileDelete (services), a setting group switch (operations). */
    mms_pdu(&s, true, "A0{02 01 01 BF4C{19'COMTRADE/fault7.dat'}}");
    mms_pdu(&s, false, "A1{02 01 01 9F4C{}}");
    mms_pdu(&s, true, WRITE("02", "LLN0$SP$SGCB$ActSG", "86 01 01"));
    mms_pdu(&s, false, WRITE_OK("02"));
    /* Not allowed, and dangerous: kill a program invocation. */
    mms_pdu(&s, true, "A0{02 01 03 BF2C{80'IED1APP'}}");
    mms_pdu(&s, false, "A1{02 01 03 9F2C{}}");
    done(&s);
}

/* ---- GOOSE and SV --------------------------------------------------------------------------- */

static void goose_frame(struct gs_pcapw *w, const uint8_t src[6], uint16_t vlan, uint16_t appid,
                        const char *gocb_ref, uint32_t sq)
{
    uint8_t data[16], apdu[512], pdu[600];
    struct gs_tlvw d;
    gs_tlvw_init(&d, data, sizeof(data));
    gs_tlvw_bool(&d, 0x83, true);
    struct gs_goose_spec spec = {.gocb_ref = gocb_ref,
                                 .ttl_ms = 2000,
                                 .dat_set = "IED1LD0/LLN0$DSTrip",
                                 .go_id = "trip",
                                 .t_secs = (uint32_t)(clock_us / S_US),
                                 .t_quality = 0x0A,
                                 .st_num = 1,
                                 .sq_num = sq,
                                 .conf_rev = 1,
                                 .entries = 1,
                                 .all_data = data,
                                 .all_data_len = d.n};
    size_t n = gs_goose_apdu(apdu, sizeof(apdu), &spec);
    n = gs_l2pdu(pdu, sizeof(pdu), appid, 0, 0, apdu, n);
    struct gs_l2_addr l2 = {.dst = {0x01, 0x0C, 0xCD, 0x01, 0x00, 0x01},
                            .vlan_count = 1,
                            .vlan_id = {vlan},
                            .vlan_pcp = {4}};
    memcpy(l2.src, src, 6);
    gs_write_l2(w, clock_us, &l2, 0x88B8, pdu, n);
    clock_us += 1000;
}

static void sv_frame(struct gs_pcapw *w, const uint8_t src[6], const char *sv_id, uint16_t smp)
{
    uint8_t seq[64], apdu[256], pdu[300];
    int32_t value[8] = {100, -50, -50, 0, 6000, -3000, -3000, 0};
    uint32_t quality[8] = {0};
    gs_sv_le_seq_data(seq, value, quality);
    struct gs_sv_asdu_spec asdu = {.sv_id = sv_id,
                                   .smp_cnt = smp,
                                   .conf_rev = 1,
                                   .smp_synch = 2,
                                   .seq_data = seq,
                                   .seq_len = sizeof(seq)};
    size_t n = gs_sv_apdu(apdu, sizeof(apdu), &asdu, 1);
    n = gs_l2pdu(pdu, sizeof(pdu), 0x4000, 0, 0, apdu, n);
    struct gs_l2_addr l2 = {.dst = {0x01, 0x0C, 0xCD, 0x04, 0x00, 0x01},
                            .vlan_count = 1,
                            .vlan_id = {100},
                            .vlan_pcp = {4}};
    memcpy(l2.src, src, 6);
    gs_write_l2(w, clock_us, &l2, 0x88BA, pdu, n);
    clock_us += 250;
}

static void process_bus(struct gs_pcapw *w)
{
    static const uint8_t ied1[6] = {0x00, 0x02, 0xA3, 0x11, 0x22, 0x33};
    static const uint8_t rogue[6] = {0x00, 0x02, 0xA3, 0x66, 0x66, 0x66};
    static const uint8_t mu1[6] = {0x00, 0x02, 0xA3, 0x40, 0x00, 0x01};
    static const uint8_t mu2[6] = {0x00, 0x02, 0xA3, 0x40, 0x00, 0x02};
    const char *gcb = "IED1LD0/LLN0$GO$gcb01";
    goose_frame(w, ied1, 10, 1, gcb, 0);
    goose_frame(w, ied1, 10, 1, gcb, 1);
    goose_frame(w, rogue, 10, 1, gcb, 0);                    /* another MAC */
    goose_frame(w, rogue, 10, 1, gcb, 1);                    /* reported once */
    goose_frame(w, ied1, 10, 1, "IED1LD0/LLN0$GO$gcb99", 0); /* another control block */
    goose_frame(w, ied1, 30, 1, gcb, 0);                     /* a VLAN no conduit names */
    goose_frame(w, ied1, 30, 1, gcb, 1);
    sv_frame(w, mu1, "MU01", 0);
    sv_frame(w, mu1, "MU01", 1);
    sv_frame(w, mu2, "MU99", 0); /* another merging unit */
    sv_frame(w, mu2, "MU99", 1);
    clock_us += SPACING;
}

/* ---- other protocols ------------------------------------------------------------------------ */

static void http_on_104_hosts(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    session(&s, w, IP(10, 3, 0, 5), 40100, IP(10, 3, 1, 1), 80);
    static const char req[] = "GET /config.xml HTTP/1.1\r\nHost: 10.3.1.1\r\n\r\n";
    static const char rsp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    gs_tcp_send(&s, true, (const uint8_t *)req, strlen(req));
    gs_tcp_send(&s, false, (const uint8_t *)rsp, strlen(rsp));
    done(&s);
}

/* SMB2 NEGOTIATE (NetBIOS session header, 64-octet SMB2 header, dialects 2.0.2 to 3.1.1). */
static void smb_on_dnp3_hosts(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    session(&s, w, IP(10, 1, 0, 2), 50200, IP(10, 2, 0, 10), 445);
    uint8_t msg[256];
    size_t n = gs_hex(msg, sizeof(msg),
                      "00 00 00 70"
                      "FE 53 4D 42 40 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00"
                      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                      "24 00 05 00 01 00 00 00 7F 00 00 00 11 22 33 44 55 66 77 88 99 AA BB CC"
                      "DD EE FF 00 00 00 00 00 00 00 00 00 02 02 10 02 00 03 02 03 11 03 00 00");
    gs_tcp_send(&s, true, msg, n);
    done(&s);
}

/* An RDP connection request (TPKT, X.224 CR with a cookie and an RDP negotiation request). */
static void rdp_on_mms_hosts(struct gs_pcapw *w)
{
    struct gs_tcp_session s;
    session(&s, w, IP(10, 20, 0, 10), 49300, IP(10, 20, 1, 11), 3389);
    static const char cookie[] = "Cookie: mstshash=operator\r\n";
    uint8_t msg[128];
    size_t c = strlen(cookie);
    size_t n = 0;
    size_t total = 4 + 7 + c + 8;
    uint8_t head[11] = {0x03, 0x00, 0x00, (uint8_t)total, (uint8_t)(6 + c + 8), 0xE0, 0, 0,
                        0,    0,    0};
    memcpy(msg, head, sizeof(head));
    n = sizeof(head);
    memcpy(msg + n, cookie, c);
    n += c;
    n += gs_hex(msg + n, sizeof(msg) - n, "01 00 08 00 03 00 00 00");
    gs_tcp_send(&s, true, msg, n);
    n = gs_hex(msg, sizeof(msg), "03 00 00 13 0E D0 00 00 12 34 00 02 1F 08 00 02 00 00 00");
    gs_tcp_send(&s, false, msg, n);
    /* The start of an MCS Connect-Initial (T.125) in an X.224 data TPDU. */
    n = gs_hex(msg, sizeof(msg),
               "03 00 00 1B 02 F0 80 7F 65 82 01 94 04 01 01 04 01 01 01 01 FF 30 19 02 01 22 02");
    gs_tcp_send(&s, true, msg, n);
    done(&s);
}

/* Opaque datagrams between the DNP3 conduit's hosts: unidentified, still not DNP3. */
static void opaque_on_dnp3_hosts(struct gs_pcapw *w)
{
    struct gs_l2_addr l2 = {.src = {0x00, 0x1b, 0x21, 0x0a, 0x00, 0x02},
                            .dst = {0x00, 0x30, 0xa7, 0x0b, 0x00, 0x0a}};
    uint8_t data[24];
    size_t n = gs_hex(data, sizeof(data), "A5 5A 00 17 C3 3C 99 01 02 03 04 05 06 07 08 09");
    gs_write_udp(w, clock_us, &l2, IP(10, 1, 0, 2), IP(10, 2, 0, 10), 47000, 47001, data, n);
    clock_us += SPACING;
}

/* A DNS query between two hosts no conduit names: IT traffic, no finding. */
static void dns_elsewhere(struct gs_pcapw *w)
{
    struct gs_l2_addr l2 = {.src = {0x00, 0x1b, 0x21, 0x0a, 0x05, 0x05},
                            .dst = {0x00, 0x30, 0xa7, 0x0b, 0x05, 0x35}};
    uint8_t q[64];
    size_t n = gs_hex(q, sizeof(q),
                      "12 34 01 00 00 01 00 00 00 00 00 00 03 72 74 75 07 65 78 61 6D 70 6C 65 00"
                      "00 01 00 01");
    gs_write_udp(w, clock_us, &l2, IP(192, 168, 5, 5), IP(192, 168, 5, 53), 53000, 53, q, n);
    clock_us += SPACING;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_policy OUT.pcap\n");
        return 2;
    }
    struct gs_pcapw w;
    gs_pcapw_open(&w, argv[1], GS_PCAPW_LINKTYPE_ETHERNET);
    dnp3_wan_rtu(&w);
    dnp3_no_conduit(&w);
    dnp3_on_104_hosts(&w);
    iec104_station(&w);
    mms_station(&w);
    mms_engineering(&w);
    process_bus(&w);
    http_on_104_hosts(&w);
    smb_on_dnp3_hosts(&w);
    rdp_on_mms_hosts(&w);
    opaque_on_dnp3_hosts(&w);
    dns_elsewhere(&w);
    gs_pcapw_close(&w);
    return 0;
}
