/*
 * iec104.c - IEC 60870-5-104 APCI/ASDU dissector with the IEC 62351-5 secure-authentication
 * ASDUs, IEC 60870-5-104:2006 §5 (APCI), IEC 60870-5-101 §7 (ASDU), IEC 60870-5-7 / IEC TS
 * 62351-5:2013 (types 81..95). Digest: ../shared/specs/iec104.md.
 *
 *   APDU on TCP 2404, several per segment or one across segments:
 *
 *   +------+-----+-----+-----+-----+-----+---------------------------------------------+
 *   | 0x68 | LEN | CF1 | CF2 | CF3 | CF4 | ASDU (I-format only), LEN - 4 octets         |
 *   +------+-----+-----+-----+-----+-----+---------------------------------------------+
 *     I: CF1 bit 0 = 0        N(S) = (CF1 | CF2 << 8) >> 1, N(R) = (CF3 | CF4 << 8) >> 1
 *     S: CF1 = 0x01           N(R) as above
 *     U: CF1 bits 1..0 = 11   one function bit of CF1 bits 7..2 (STARTDT, STOPDT, TESTFR)
 *
 *   ASDU:
 *   +------+-----+-----------+-----+--------+---------------------------------------------+
 *   | type | VSQ | COT (1-2) | OA  | CA 1-2 | objects: SQ=0 N x (IOA + element)           |
 *   |      |SQ|N | T|PN|cause|     |        |          SQ=1 IOA + N x element             |
 *   +------+-----+-----------+-----+--------+---------------------------------------------+
 *     62351-5 types 81..95: no IOA; a segmentation octet (FIN|FIR|ASN) then the message
 *     (84 has none), reassembled here when a message spans several ASDUs.
 *
 * Framing follows the length octet, as Wireshark does: octets before a start octet are
 * skipped (counted as a resynchronisation), and an APDU whose length octet is below 4 is
 * consumed as malformed. The event contract is in iec104.h.
 */
#include "iec104.h"

#include <stdio.h>
#include <string.h>

#include "names.h"

#define APCI_START      0x68u
#define APCI_HEADER_LEN 6u   /* start, length and four control octets */
#define APDU_MIN_LEN    4u   /* the length octet of an APDU without ASDU */
#define APDU_MAX_LEN    253u /* 255 octets on the wire at most */
#define SEQ_MOD_MASK    0x7FFFu
#define SEQ_HALF        0x4000u
#define SA_FIRST_TYPE   81u
#define SA_LAST_TYPE    95u
#define SA_TYPE_KR      84u /* session key status request: no segmentation octet */
#define SA_ASN_MOD      64u

/* Control octets. */
#define CF1_IS_I(cf1)       (((cf1)&0x01u) == 0)
#define CF1_IS_U(cf1)       (((cf1)&0x03u) == 0x03u)
#define CF1_U_FUNCTION(cf1) ((uint8_t)((cf1)&0xFCu))
#define CF_SEQ(lo, hi)      ((uint16_t)((((unsigned)(lo)) | ((unsigned)(hi) << 8)) >> 1))
#define CF3_RESERVED(cf3)   (((cf3)&0x01u) != 0)
#define CF1_S_RESERVED(cf1) (((cf1)&0xFCu) != 0)
#define ONE_BIT_SET(x)      ((x) != 0 && ((x) & ((x)-1u)) == 0)

/* ASDU data unit identifier. */
#define VSQ_IS_SEQ(vsq)   (((vsq)&0x80u) != 0)
#define VSQ_COUNT(vsq)    ((uint8_t)((vsq)&0x7Fu))
#define COT_CAUSE(cot)    ((uint8_t)((cot)&0x3Fu))
#define COT_NEGATIVE(cot) (((cot)&0x40u) != 0)
#define COT_TEST(cot)     (((cot)&0x80u) != 0)

/* Information elements (IEC 60870-5-101 §7.2.6). */
#define SIQ_SPI(b)       ((uint32_t)((b)&0x01u))
#define DIQ_DPI(b)       ((uint32_t)((b)&0x03u))
#define XIQ_FLAGS(b)     ((uint8_t)((b)&0xF0u)) /* BL SB NT IV of SIQ/DIQ */
#define SEP_ES(b)        ((uint32_t)((b)&0x03u))
#define SEP_FLAGS(b)     ((uint8_t)((b)&0xF8u)) /* EI BL SB NT IV */
#define VTI_VALUE(b)     ((int32_t)(((b)&0x40u) ? (int32_t)((b)&0x7Fu) - 128 : (int32_t)((b)&0x7Fu)))
#define VTI_TRANSIENT(b) (((b)&0x80u) != 0)
#define CMD_SELECT(b)    (((b)&0x80u) != 0) /* S/E of SCO, DCO, RCO, QOS */
#define CMD_QU(b)        ((uint8_t)(((b) >> 2) & 0x1Fu))
#define QOS_QL(b)        ((uint8_t)((b)&0x7Fu))
#define SCO_SCS(b)       ((uint32_t)((b)&0x01u))
#define DCO_DCS(b)       ((uint32_t)((b)&0x03u))

/* CP56Time2a (IEC 60870-5-101 §7.2.6.18). */
#define TM_MINUTE(b)  ((uint8_t)((b)&0x3Fu))
#define TM_SUBST(b)   (((b)&0x40u) != 0)
#define TM_INVALID(b) (((b)&0x80u) != 0)
#define TM_HOUR(b)    ((uint8_t)((b)&0x1Fu))
#define TM_SUMMER(b)  (((b)&0x80u) != 0)
#define TM_DAY(b)     ((uint8_t)((b)&0x1Fu))
#define TM_DOW(b)     ((uint8_t)(((b) >> 5) & 0x07u))
#define TM_MONTH(b)   ((uint8_t)((b)&0x0Fu))
#define TM_YEAR(b)    ((uint8_t)((b)&0x7Fu))

/* Segmentation octet of the secure ASDUs. */
#define SEG_FIN(b) (((b)&0x80u) != 0)
#define SEG_FIR(b) (((b)&0x40u) != 0)
#define SEG_ASN(b) ((uint8_t)((b)&0x3Fu))

/* ---- names --------------------------------------------------------------------------------- */

static const struct gs_name_map type_names[] = {
    {1, "M_SP_NA_1"},
    {2, "M_SP_TA_1"},
    {3, "M_DP_NA_1"},
    {4, "M_DP_TA_1"},
    {5, "M_ST_NA_1"},
    {6, "M_ST_TA_1"},
    {7, "M_BO_NA_1"},
    {8, "M_BO_TA_1"},
    {9, "M_ME_NA_1"},
    {10, "M_ME_TA_1"},
    {11, "M_ME_NB_1"},
    {12, "M_ME_TB_1"},
    {13, "M_ME_NC_1"},
    {14, "M_ME_TC_1"},
    {15, "M_IT_NA_1"},
    {16, "M_IT_TA_1"},
    {17, "M_EP_TA_1"},
    {18, "M_EP_TB_1"},
    {19, "M_EP_TC_1"},
    {20, "M_PS_NA_1"},
    {21, "M_ME_ND_1"},
    {30, "M_SP_TB_1"},
    {31, "M_DP_TB_1"},
    {32, "M_ST_TB_1"},
    {33, "M_BO_TB_1"},
    {34, "M_ME_TD_1"},
    {35, "M_ME_TE_1"},
    {36, "M_ME_TF_1"},
    {37, "M_IT_TB_1"},
    {38, "M_EP_TD_1"},
    {39, "M_EP_TE_1"},
    {40, "M_EP_TF_1"},
    {41, "S_IT_TC_1"},
    {45, "C_SC_NA_1"},
    {46, "C_DC_NA_1"},
    {47, "C_RC_NA_1"},
    {48, "C_SE_NA_1"},
    {49, "C_SE_NB_1"},
    {50, "C_SE_NC_1"},
    {51, "C_BO_NA_1"},
    {58, "C_SC_TA_1"},
    {59, "C_DC_TA_1"},
    {60, "C_RC_TA_1"},
    {61, "C_SE_TA_1"},
    {62, "C_SE_TB_1"},
    {63, "C_SE_TC_1"},
    {64, "C_BO_TA_1"},
    {70, "M_EI_NA_1"},
    {81, "S_CH_NA_1"},
    {82, "S_RP_NA_1"},
    {83, "S_AR_NA_1"},
    {84, "S_KR_NA_1"},
    {85, "S_KS_NA_1"},
    {86, "S_KC_NA_1"},
    {87, "S_ER_NA_1"},
    /* 88's mnemonic is not settled in public sources (see the digest §6.1); 95 is S_UC_NA_1
     * in lib60870 and upstream Wireshark. */
    {88, "S_UC_NA_X"},
    {90, "S_US_NA_1"},
    {91, "S_UQ_NA_1"},
    {92, "S_UR_NA_1"},
    {93, "S_UK_NA_1"},
    {94, "S_UA_NA_1"},
    {95, "S_UC_NA_1"},
    {100, "C_IC_NA_1"},
    {101, "C_CI_NA_1"},
    {102, "C_RD_NA_1"},
    {103, "C_CS_NA_1"},
    {104, "C_TS_NA_1"},
    {105, "C_RP_NA_1"},
    {106, "C_CD_NA_1"},
    {107, "C_TS_TA_1"},
    {110, "P_ME_NA_1"},
    {111, "P_ME_NB_1"},
    {112, "P_ME_NC_1"},
    {113, "P_AC_NA_1"},
    {120, "F_FR_NA_1"},
    {121, "F_SR_NA_1"},
    {122, "F_SC_NA_1"},
    {123, "F_LS_NA_1"},
    {124, "F_AF_NA_1"},
    {125, "F_SG_NA_1"},
    {126, "F_DR_TA_1"},
    {127, "F_SC_NB_1"},
    {0, NULL},
};

static const struct gs_name_map cot_names[] = {
    {1, "per/cyc"},      {2, "back"},        {3, "spont"},
    {4, "init"},         {5, "req"},         {6, "act"},
    {7, "actcon"},       {8, "deact"},       {9, "deactcon"},
    {10, "actterm"},     {11, "retrem"},     {12, "retloc"},
    {13, "file"},        {14, "auth"},       {15, "seskey"},
    {16, "usrkey"},      {20, "inrogen"},    {21, "inro1"},
    {22, "inro2"},       {23, "inro3"},      {24, "inro4"},
    {25, "inro5"},       {26, "inro6"},      {27, "inro7"},
    {28, "inro8"},       {29, "inro9"},      {30, "inro10"},
    {31, "inro11"},      {32, "inro12"},     {33, "inro13"},
    {34, "inro14"},      {35, "inro15"},     {36, "inro16"},
    {37, "reqcogen"},    {38, "reqco1"},     {39, "reqco2"},
    {40, "reqco3"},      {41, "reqco4"},     {44, "unknown_type"},
    {45, "unknown_cot"}, {46, "unknown_ca"}, {47, "unknown_ioa"},
    {0, NULL},
};

static const struct gs_name_map u_names[] = {
    {GS_IEC104_U_STARTDT_ACT, "startdt_act"},
    {GS_IEC104_U_STARTDT_CON, "startdt_con"},
    {GS_IEC104_U_STOPDT_ACT, "stopdt_act"},
    {GS_IEC104_U_STOPDT_CON, "stopdt_con"},
    {GS_IEC104_U_TESTFR_ACT, "testfr_act"},
    {GS_IEC104_U_TESTFR_CON, "testfr_con"},
    {0, NULL},
};

const char *gs_iec104_type_name(uint8_t type_id)
{
    return gs_name_lookup(type_names, type_id, NULL);
}

const char *gs_iec104_cot_name(uint8_t cot)
{
    return gs_name_lookup(cot_names, cot, NULL);
}

const char *gs_iec104_u_name(uint8_t u_function)
{
    return gs_name_lookup(u_names, u_function, NULL);
}

/* ---- element layouts ----------------------------------------------------------------------- */

/* The information elements an object is made of, in wire order. */
enum atom {
    A_END = 0,
    A_SIQ,
    A_DIQ,
    A_VTI,
    A_QDS,
    A_BSI,
    A_NVA,
    A_SVA,
    A_R32,
    A_BCR,
    A_SEP,
    A_SPE,
    A_OCI,
    A_QDP,
    A_SCD,
    A_CP16,
    A_CP24,
    A_CP56,
    A_SCO,
    A_DCO,
    A_RCO,
    A_QOS,
    A_QPM,
    A_COI,
    A_QOI,
    A_QCC,
    A_QRP,
    A_QPA,
    A_FBP,
    A_TSC,
    A_AID,
    A_NOF,
    A_NOS,
    A_LOF,
    A_FQ,
    A_CHS,
    A_SEG,
    A_COUNT,
};

/* Octets of each element; A_SEG is LOS and then LOS octets (1 is its minimum). */
static const uint8_t atom_size[A_COUNT] = {
    [A_SIQ] = 1, [A_DIQ] = 1, [A_VTI] = 1,  [A_QDS] = 1,  [A_BSI] = 4,  [A_NVA] = 2,
    [A_SVA] = 2, [A_R32] = 4, [A_BCR] = 5,  [A_SEP] = 1,  [A_SPE] = 1,  [A_OCI] = 1,
    [A_QDP] = 1, [A_SCD] = 4, [A_CP16] = 2, [A_CP24] = 3, [A_CP56] = 7, [A_SCO] = 1,
    [A_DCO] = 1, [A_RCO] = 1, [A_QOS] = 1,  [A_QPM] = 1,  [A_COI] = 1,  [A_QOI] = 1,
    [A_QCC] = 1, [A_QRP] = 1, [A_QPA] = 1,  [A_FBP] = 2,  [A_TSC] = 2,  [A_AID] = 2,
    [A_NOF] = 2, [A_NOS] = 1, [A_LOF] = 3,  [A_FQ] = 1,   [A_CHS] = 1,  [A_SEG] = 1,
};

#define MAX_ATOMS 5

struct type_layout {
    bool known;
    bool variable; /* ends with A_SEG */
    uint8_t atoms[MAX_ATOMS];
};

#define L(...)                                                                                     \
    {                                                                                              \
        true, false,                                                                               \
        {                                                                                          \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }

/* Element layouts of every standard type (digest §3; IEC 60870-5-101 §7.3, 60870-5-104 §8). */
static const struct type_layout layouts[256] = {
    [1] = L(A_SIQ),
    [2] = L(A_SIQ, A_CP24),
    [3] = L(A_DIQ),
    [4] = L(A_DIQ, A_CP24),
    [5] = L(A_VTI, A_QDS),
    [6] = L(A_VTI, A_QDS, A_CP24),
    [7] = L(A_BSI, A_QDS),
    [8] = L(A_BSI, A_QDS, A_CP24),
    [9] = L(A_NVA, A_QDS),
    [10] = L(A_NVA, A_QDS, A_CP24),
    [11] = L(A_SVA, A_QDS),
    [12] = L(A_SVA, A_QDS, A_CP24),
    [13] = L(A_R32, A_QDS),
    [14] = L(A_R32, A_QDS, A_CP24),
    [15] = L(A_BCR),
    [16] = L(A_BCR, A_CP24),
    [17] = L(A_SEP, A_CP16, A_CP24),
    [18] = L(A_SPE, A_QDP, A_CP16, A_CP24),
    [19] = L(A_OCI, A_QDP, A_CP16, A_CP24),
    [20] = L(A_SCD, A_QDS),
    [21] = L(A_NVA),
    [30] = L(A_SIQ, A_CP56),
    [31] = L(A_DIQ, A_CP56),
    [32] = L(A_VTI, A_QDS, A_CP56),
    [33] = L(A_BSI, A_QDS, A_CP56),
    [34] = L(A_NVA, A_QDS, A_CP56),
    [35] = L(A_SVA, A_QDS, A_CP56),
    [36] = L(A_R32, A_QDS, A_CP56),
    [37] = L(A_BCR, A_CP56),
    [38] = L(A_SEP, A_CP16, A_CP56),
    [39] = L(A_SPE, A_QDP, A_CP16, A_CP56),
    [40] = L(A_OCI, A_QDP, A_CP16, A_CP56),
    [41] = L(A_AID, A_BCR, A_CP56),
    [45] = L(A_SCO),
    [46] = L(A_DCO),
    [47] = L(A_RCO),
    [48] = L(A_NVA, A_QOS),
    [49] = L(A_SVA, A_QOS),
    [50] = L(A_R32, A_QOS),
    [51] = L(A_BSI),
    [58] = L(A_SCO, A_CP56),
    [59] = L(A_DCO, A_CP56),
    [60] = L(A_RCO, A_CP56),
    [61] = L(A_NVA, A_QOS, A_CP56),
    [62] = L(A_SVA, A_QOS, A_CP56),
    [63] = L(A_R32, A_QOS, A_CP56),
    [64] = L(A_BSI, A_CP56),
    [70] = L(A_COI),
    [100] = L(A_QOI),
    [101] = L(A_QCC),
    [102] = L(A_END),
    [103] = L(A_CP56),
    [104] = L(A_FBP),
    [105] = L(A_QRP),
    [106] = L(A_CP16),
    [107] = L(A_TSC, A_CP56),
    [110] = L(A_NVA, A_QPM),
    [111] = L(A_SVA, A_QPM),
    [112] = L(A_R32, A_QPM),
    [113] = L(A_QPA),
    [120] = L(A_NOF, A_LOF, A_FQ),
    [121] = L(A_NOF, A_NOS, A_LOF, A_FQ),
    [122] = L(A_NOF, A_NOS, A_FQ),
    [123] = L(A_NOF, A_NOS, A_FQ, A_CHS),
    [124] = L(A_NOF, A_NOS, A_FQ),
    [125] = {true, true, {A_NOF, A_NOS, A_SEG}},
    [126] = L(A_NOF, A_LOF, A_FQ, A_CP56),
    [127] = L(A_NOF, A_CP56, A_CP56),
};

#undef L

/* Octets of one element (the minimum for a variable one). */
static size_t element_size(const struct type_layout *lay)
{
    size_t n = 0;
    for (size_t i = 0; i < MAX_ATOMS && lay->atoms[i] != A_END; i++)
        n += atom_size[lay->atoms[i]];
    return n;
}

static bool is_secure_type(uint8_t type_id)
{
    return type_id >= SA_FIRST_TYPE && type_id <= SA_LAST_TYPE && type_id != 89;
}

static bool is_command_type(uint8_t type_id)
{
    return (type_id >= 45 && type_id <= 69) || (type_id >= 100 && type_id <= 107) ||
           (type_id >= 110 && type_id <= 113);
}

/* ---- state --------------------------------------------------------------------------------- */

struct dir_state {
    bool seen_i;        /* next_send is known */
    uint16_t next_send; /* N(S) the next I-frame of this direction should carry */
    bool seen_ack;
    uint16_t acked; /* the last N(R) this direction sent: peer frames it acknowledged */
    bool unacked_flagged;
    bool in_junk; /* skipping octets before a start octet */
    bool lost;    /* picked up mid-stream or after lost octets: not yet in step */
    /* IEC 62351-5 message reassembly. */
    bool sa_active;
    uint8_t sa_type;
    uint16_t sa_ca;
    uint8_t sa_next_asn;
    size_t sa_len;
    uint8_t *sa_buf; /* sa_cap octets in the state's tail */
};

struct iec104_state {
    struct dir_state dir[2];
    size_t max_objects;
    size_t sa_cap;
    unsigned cot_size, ca_size, ioa_size;
    uint32_t max_unacked;
    struct gs_iec104_asdu asdu;
    struct gs_iec104_asdu embedded; /* the ASDU inside an S_AR_NA_1 */
    struct gs_iec104_sa sa;
    struct gs_iec104_object objects[]; /* max_objects, then two sa_cap reassembly buffers */
};

/* Everything one parse call needs to emit. */
struct parse_ctx {
    struct iec104_state *st;
    struct dir_state *ds;
    const struct gs_pkt_ctx *pkt;
    enum gs_dir dir;
};

static const char *const iec104_event_names[] = {
    "iec104.resync",
    "iec104.apdu_too_short",
    "iec104.apdu_too_long",
    "iec104.bad_control",
    "iec104.bad_length",
    "iec104.no_asdu",
    "iec104.asdu_truncated",
    "iec104.unknown_type",
    "iec104.objects_short",
    "iec104.trailing_octets",
    "iec104.too_many_objects",
    "iec104.seq_gap",
    "iec104.seq_duplicate",
    "iec104.ack_unsent",
    "iec104.too_many_unacked",
    "iec104.sa_malformed",
    "iec104.sa_segment",
    "iec104.sa_too_long",
    NULL,
};

static void anomaly(const struct parse_ctx *pc, const char *name, enum gs_anomaly_kind kind,
                    const char *detail)
{
    gs_emit_anomaly(pc->pkt, name, kind, detail);
}

/* ---- elements ------------------------------------------------------------------------------ */

static void read_time(struct gs_cursor *cur, enum gs_iec104_time_kind kind,
                      struct gs_iec104_time *t)
{
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->ms = gs_cur_le16(cur);
    if (kind == GS_IEC104_TIME_CP16)
        return;
    uint8_t b = gs_cur_u8(cur);
    t->minute = TM_MINUTE(b);
    t->substituted = TM_SUBST(b);
    t->invalid = TM_INVALID(b);
    if (kind == GS_IEC104_TIME_CP24)
        return;
    b = gs_cur_u8(cur);
    t->hour = TM_HOUR(b);
    t->summer = TM_SUMMER(b);
    b = gs_cur_u8(cur);
    t->day = TM_DAY(b);
    t->dow = TM_DOW(b);
    t->month = TM_MONTH(gs_cur_u8(cur));
    t->year = TM_YEAR(gs_cur_u8(cur));
}

static void set_qualifier(struct gs_iec104_object *o, uint8_t q)
{
    o->kind = GS_IEC104_VAL_QUALIFIER;
    o->v.u = q;
    o->has_qualifier = true;
    o->qualifier = q;
}

/* Decodes one element of the given layout from `cur` into *o (its IOA is already set). */
static void read_element(struct gs_cursor *cur, const struct type_layout *lay,
                         struct gs_iec104_object *o)
{
    const uint8_t *start = gs_cur_ptr(cur);
    size_t start_pos = gs_cur_pos(cur);
    bool second_time = false;
    for (size_t i = 0; i < MAX_ATOMS && lay->atoms[i] != A_END; i++) {
        uint8_t b;
        uint32_t raw;
        switch ((enum atom)lay->atoms[i]) {
        case A_SIQ:
            b = gs_cur_u8(cur);
            o->kind = GS_IEC104_VAL_SINGLE;
            o->v.u = SIQ_SPI(b);
            o->has_quality = true;
            o->quality = XIQ_FLAGS(b);
            break;
        case A_DIQ:
            b = gs_cur_u8(cur);
            o->kind = GS_IEC104_VAL_DOUBLE;
            o->v.u = DIQ_DPI(b);
            o->has_quality = true;
            o->quality = XIQ_FLAGS(b);
            break;
        case A_VTI:
            b = gs_cur_u8(cur);
            o->kind = GS_IEC104_VAL_STEP;
            o->v.i = VTI_VALUE(b);
            o->transient = VTI_TRANSIENT(b);
            break;
        case A_QDS:
        case A_QDP:
            o->has_quality = true;
            o->quality = gs_cur_u8(cur);
            break;
        case A_BSI:
            o->kind = GS_IEC104_VAL_BITSTRING;
            o->v.u = gs_cur_le32(cur);
            break;
        case A_NVA:
            o->kind = GS_IEC104_VAL_NORMALIZED;
            o->v.i = (int16_t)gs_cur_le16(cur);
            break;
        case A_SVA:
            o->kind = GS_IEC104_VAL_SCALED;
            o->v.i = (int16_t)gs_cur_le16(cur);
            break;
        case A_R32:
            raw = gs_cur_le32(cur);
            o->kind = GS_IEC104_VAL_FLOAT;
            memcpy(&o->v.f, &raw, sizeof(o->v.f));
            break;
        case A_BCR:
            o->kind = GS_IEC104_VAL_COUNTER;
            o->v.i = (int32_t)gs_cur_le32(cur);
            o->has_quality = true;
            o->quality = gs_cur_u8(cur);
            break;
        case A_SEP:
            b = gs_cur_u8(cur);
            o->kind = GS_IEC104_VAL_PROTECTION;
            o->v.u = SEP_ES(b);
            o->has_quality = true;
            o->quality = SEP_FLAGS(b);
            break;
        case A_SPE:
        case A_OCI:
            o->kind = GS_IEC104_VAL_PROTECTION;
            o->v.u = gs_cur_u8(cur);
            break;
        case A_SCD:
            o->kind = GS_IEC104_VAL_PACKED;
            o->v.u = gs_cur_le32(cur);
            break;
        case A_CP16:
            o->has_elapsed = true;
            o->elapsed_ms = gs_cur_le16(cur);
            break;
        case A_CP24:
            read_time(cur, GS_IEC104_TIME_CP24, &o->time);
            break;
        case A_CP56:
            if (second_time) {
                read_time(cur, GS_IEC104_TIME_CP56, &o->file.range_stop);
            } else {
                read_time(cur, GS_IEC104_TIME_CP56, &o->time);
                second_time = true;
            }
            break;
        case A_SCO:
        case A_DCO:
        case A_RCO:
            b = gs_cur_u8(cur);
            o->kind = lay->atoms[i] == A_SCO   ? GS_IEC104_VAL_SINGLE
                      : lay->atoms[i] == A_DCO ? GS_IEC104_VAL_DOUBLE
                                               : GS_IEC104_VAL_REGSTEP;
            o->v.u = lay->atoms[i] == A_SCO ? SCO_SCS(b) : DCO_DCS(b);
            o->has_select = true;
            o->select = CMD_SELECT(b);
            o->has_qualifier = true;
            o->qualifier = CMD_QU(b);
            break;
        case A_QOS:
            b = gs_cur_u8(cur);
            o->has_select = true;
            o->select = CMD_SELECT(b);
            o->has_qualifier = true;
            o->qualifier = QOS_QL(b);
            break;
        case A_QPM:
            o->has_qualifier = true;
            o->qualifier = gs_cur_u8(cur);
            break;
        case A_COI:
            o->kind = GS_IEC104_VAL_QUALIFIER;
            o->v.u = gs_cur_u8(cur);
            break;
        case A_QOI:
        case A_QCC:
        case A_QRP:
        case A_QPA:
            set_qualifier(o, gs_cur_u8(cur));
            break;
        case A_FBP:
        case A_TSC:
            o->kind = GS_IEC104_VAL_TEST;
            o->v.u = gs_cur_le16(cur);
            break;
        case A_AID:
            o->association_id = gs_cur_le16(cur);
            break;
        case A_NOF:
            o->kind = GS_IEC104_VAL_FILE;
            o->file.name = gs_cur_le16(cur);
            break;
        case A_NOS:
            o->file.section = gs_cur_u8(cur);
            break;
        case A_LOF:
            o->file.length = gs_cur_le24(cur);
            break;
        case A_FQ:
            o->file.qualifier = gs_cur_u8(cur);
            break;
        case A_CHS:
            o->file.checksum = gs_cur_u8(cur);
            break;
        case A_SEG:
            o->file.length = gs_cur_u8(cur);
            o->file.segment = gs_cur_span(cur, o->file.length);
            break;
        case A_END:
        case A_COUNT:
            break;
        }
    }
    o->element.ptr = start;
    o->element.len = gs_cur_pos(cur) - start_pos;
}

/* ---- ASDU ---------------------------------------------------------------------------------- */

/* Octets of the data unit identifier under the configured field sizes. */
static size_t header_size(const struct iec104_state *st)
{
    return 2 + st->cot_size + st->ca_size;
}

/*
 * Reads the data unit identifier: every field whose octets are present, so that a truncated
 * ASDU still says what it holds. Returns false when the header is incomplete.
 */
static bool read_header(const struct iec104_state *st, struct gs_cursor *cur,
                        struct gs_iec104_asdu *a)
{
    size_t avail = gs_cur_remaining(cur);
    a->type_id = gs_cur_u8(cur);
    if (avail >= 2) {
        uint8_t vsq = gs_cur_u8(cur);
        a->has_vsq = true;
        a->sq = VSQ_IS_SEQ(vsq);
        a->num_objects = VSQ_COUNT(vsq);
    }
    if (avail >= 3) {
        uint8_t cot = gs_cur_u8(cur);
        a->has_cot = true;
        a->cot = COT_CAUSE(cot);
        a->negative = COT_NEGATIVE(cot);
        a->test = COT_TEST(cot);
    }
    if (st->cot_size == 2 && avail >= 4) {
        a->has_oa = true;
        a->oa = gs_cur_u8(cur);
    }
    if (avail >= header_size(st)) {
        a->has_ca = true;
        a->ca = (uint16_t)gs_cur_le_n(cur, st->ca_size);
    }
    a->is_command = is_command_type(a->type_id);
    a->truncated = avail < header_size(st);
    return !a->truncated && gs_cur_ok(cur);
}

/*
 * Decodes the information objects after the header. The count is checked against the
 * octets left (and capped by iec104.max_objects) before any loop; objects land in
 * objects[0..cap).
 */
static void read_objects(const struct parse_ctx *pc, struct gs_cursor *cur,
                         struct gs_iec104_asdu *a, struct gs_iec104_object *objects, size_t cap)
{
    const struct iec104_state *st = pc->st;
    const struct type_layout *lay = &layouts[a->type_id];
    a->objects = objects;
    a->n_objects = 0;
    if (!lay->known) {
        a->objects_status = GS_IEC104_OBJ_UNKNOWN;
        anomaly(pc, "iec104.unknown_type", GS_ANOMALY_MALFORMED, NULL);
        return;
    }
    size_t n = a->num_objects;
    size_t esize = element_size(lay);
    size_t ioa = st->ioa_size;
    size_t need = n == 0 ? 0 : a->sq ? ioa + n * esize : n * (ioa + esize);
    size_t avail = gs_cur_remaining(cur);
    if (need > avail) {
        a->objects_status = GS_IEC104_OBJ_SHORT;
        anomaly(pc, "iec104.objects_short", GS_ANOMALY_MALFORMED, NULL);
        return;
    }
    size_t todo = n;
    if (todo > cap) {
        todo = cap;
        a->objects_capped = true;
        anomaly(pc, "iec104.too_many_objects", GS_ANOMALY_LIMIT, NULL);
    }
    uint32_t base = 0;
    for (size_t i = 0; i < todo; i++) {
        struct gs_iec104_object *o = &objects[i];
        memset(o, 0, sizeof(*o));
        if (i == 0 || !a->sq) {
            base = (uint32_t)gs_cur_le_n(cur, ioa);
            o->ioa = base;
        } else {
            o->ioa = base + (uint32_t)i;
        }
        read_element(cur, lay, o);
        if (!gs_cur_ok(cur)) {
            /* Only a variable-length element (a file segment) can overrun here. */
            a->objects_status = GS_IEC104_OBJ_SHORT;
            anomaly(pc, "iec104.objects_short", GS_ANOMALY_MALFORMED, NULL);
            return;
        }
        a->n_objects = i + 1;
    }
    if (a->objects_capped) {
        a->objects_status = GS_IEC104_OBJ_OK;
        return;
    }
    if (gs_cur_remaining(cur) != 0) {
        a->objects_status = GS_IEC104_OBJ_TRAILING;
        anomaly(pc, "iec104.trailing_octets", GS_ANOMALY_MALFORMED, NULL);
        return;
    }
    a->objects_status = GS_IEC104_OBJ_OK;
}

/* ---- IEC 62351-5 --------------------------------------------------------------------------- */

/* A variable field whose length the message gave just before. */
static void read_len_span(struct gs_cursor *cur, struct gs_span *out, uint16_t len)
{
    *out = gs_cur_span(cur, len);
}

static struct gs_span rest_span(struct gs_cursor *cur)
{
    return gs_cur_span(cur, gs_cur_remaining(cur));
}

/*
 * An ASDU carried inside S_AR_NA_1: header and objects of a standard type, delimited by its
 * own count. Returns its octets, or a zero span when it cannot be delimited.
 */
static struct gs_span read_challenged(const struct parse_ctx *pc, struct gs_cursor *cur)
{
    struct iec104_state *st = pc->st;
    struct gs_iec104_asdu *e = &st->embedded;
    memset(e, 0, sizeof(*e));
    struct gs_span none = {NULL, 0};
    const uint8_t *start = gs_cur_ptr(cur);
    size_t start_pos = gs_cur_pos(cur);
    if (gs_cur_remaining(cur) == 0 || !read_header(st, cur, e))
        return none;
    const struct type_layout *lay = &layouts[e->type_id];
    if (!lay->known || lay->variable)
        return none;
    size_t n = e->num_objects;
    size_t esize = element_size(lay);
    size_t need = n == 0 ? 0 : e->sq ? st->ioa_size + n * esize : n * (st->ioa_size + esize);
    if (need > gs_cur_remaining(cur))
        return none;
    struct gs_cursor objs = gs_cur_sub(cur, need);
    read_objects(pc, &objs, e, st->objects, st->max_objects);
    e->bytes.ptr = start;
    e->bytes.len = gs_cur_pos(cur) - start_pos;
    return e->bytes;
}

/* Challenge data, key status, MAC...: the message of one secure type, `msg_off` being where
 * the message starts in the ASDU octets when it is not reassembled. Returns false when the
 * message's own lengths disagree with its size. */
static bool read_sa_message(const struct parse_ctx *pc, uint8_t type_id, struct gs_cursor *cur,
                            struct gs_iec104_sa *sa, bool in_asdu, size_t msg_off)
{
    switch (type_id) {
    case 81: /* S_CH_NA_1: CSQ USR MAL RSC CLN CHD */
        sa->has_csq = sa->has_usr = sa->has_mal = true;
        sa->csq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        sa->mal = gs_cur_u8(cur);
        sa->rsc = gs_cur_u8(cur);
        read_len_span(cur, &sa->challenge, gs_cur_le16(cur));
        break;
    case 82: /* S_RP_NA_1: CSQ USR HLN MAC */
        sa->has_csq = sa->has_usr = true;
        sa->csq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        {
            uint16_t hln = gs_cur_le16(cur);
            sa->mac_offset = msg_off + gs_cur_pos(cur);
            read_len_span(cur, &sa->mac, hln);
        }
        break;
    case 83: /* S_AR_NA_1: ASDU CSQ USR MAC */
        if (read_challenged(pc, cur).ptr == NULL)
            return false;
        sa->challenged = &pc->st->embedded;
        sa->has_csq = sa->has_usr = true;
        sa->csq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        sa->mac_offset = msg_off + gs_cur_pos(cur);
        sa->mac = rest_span(cur);
        break;
    case 84: /* S_KR_NA_1: USR */
        sa->has_usr = true;
        sa->usr = gs_cur_le16(cur);
        break;
    case 85: /* S_KS_NA_1: KSQ USR KWA KST MAL CLN KCD MAC */
        sa->has_ksq = sa->has_usr = sa->has_key_status = sa->has_mal = true;
        sa->ksq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        sa->kwa = gs_cur_u8(cur);
        sa->kst = gs_cur_u8(cur);
        sa->mal = gs_cur_u8(cur);
        read_len_span(cur, &sa->challenge, gs_cur_le16(cur));
        sa->mac_offset = msg_off + gs_cur_pos(cur);
        sa->mac = rest_span(cur);
        break;
    case 86: /* S_KC_NA_1: KSQ USR WKL WKD */
        sa->has_ksq = sa->has_usr = true;
        sa->ksq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        read_len_span(cur, &sa->wrapped_key, gs_cur_le16(cur));
        break;
    case 87: { /* S_ER_NA_1: CSQ USR AID ERR ETM ELN text, or with KSQ after CSQ */
        /* Wireshark reads CSQ USR AID ERR ETM ELN; hat-drivers (another 60870-5-7 reading)
         * has a KSQ after CSQ. The ASDU's own length decides between them. */
        struct gs_cursor alt = *cur;
        sa->has_csq = sa->has_usr = sa->has_error = true;
        sa->csq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        sa->aid = gs_cur_le16(cur);
        sa->err = gs_cur_u8(cur);
        read_time(cur, GS_IEC104_TIME_CP56, &sa->etm);
        read_len_span(cur, &sa->error_text, gs_cur_le16(cur));
        if (gs_cur_ok(cur) && gs_cur_remaining(cur) == 0)
            break;
        sa->has_ksq = true;
        sa->csq = gs_cur_le32(&alt);
        sa->ksq = gs_cur_le32(&alt);
        sa->usr = gs_cur_le16(&alt);
        sa->aid = gs_cur_le16(&alt);
        sa->err = gs_cur_u8(&alt);
        read_time(&alt, GS_IEC104_TIME_CP56, &sa->etm);
        read_len_span(&alt, &sa->error_text, gs_cur_le16(&alt));
        if (gs_cur_ok(&alt) && gs_cur_remaining(&alt) == 0) {
            *cur = alt;
            break;
        }
        sa->has_ksq = false;
        break;
    }
    case 88: /* certificate: KCM CDL certification data */
        sa->has_kcm = true;
        sa->kcm = gs_cur_u8(cur);
        read_len_span(cur, &sa->certificate, gs_cur_le16(cur));
        break;
    case 90: { /* S_US_NA_1: KCM OPR SCS URL UEI UNL UKL CDL name key certification */
        sa->has_kcm = sa->has_user_status = true;
        sa->kcm = gs_cur_u8(cur);
        sa->operation = gs_cur_u8(cur);
        sa->scs = gs_cur_le32(cur);
        sa->role = gs_cur_le16(cur);
        sa->role_expiry = gs_cur_le16(cur);
        uint16_t unl = gs_cur_le16(cur);
        uint16_t ukl = gs_cur_le16(cur);
        uint16_t cdl = gs_cur_le16(cur);
        read_len_span(cur, &sa->name, unl);
        read_len_span(cur, &sa->public_key, ukl);
        read_len_span(cur, &sa->certificate, cdl);
        break;
    }
    case 91: { /* S_UQ_NA_1: KCM UNL CCL name challenge */
        sa->has_kcm = true;
        sa->kcm = gs_cur_u8(cur);
        uint16_t unl = gs_cur_le16(cur);
        uint16_t ccl = gs_cur_le16(cur);
        read_len_span(cur, &sa->name, unl);
        read_len_span(cur, &sa->challenge, ccl);
        break;
    }
    case 92: /* S_UR_NA_1: KSQ USR CDL challenge */
        sa->has_ksq = sa->has_usr = true;
        sa->ksq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        read_len_span(cur, &sa->challenge, gs_cur_le16(cur));
        break;
    case 93: /* S_UK_NA_1: KSQ USR EUL encrypted update key, MAC */
    case 94: /* S_UA_NA_1: KSQ USR EUL encrypted update key, signature */
        sa->has_ksq = sa->has_usr = true;
        sa->ksq = gs_cur_le32(cur);
        sa->usr = gs_cur_le16(cur);
        read_len_span(cur, &sa->wrapped_key, gs_cur_le16(cur));
        if (type_id == 93) {
            sa->mac_offset = msg_off + gs_cur_pos(cur);
            sa->mac = rest_span(cur);
        } else {
            sa->signature = rest_span(cur);
        }
        break;
    case 95: /* update key change confirmation: MAC */
        sa->mac_offset = msg_off + gs_cur_pos(cur);
        sa->mac = rest_span(cur);
        break;
    default:
        return false;
    }
    sa->mac_in_asdu = in_asdu && sa->mac.len != 0;
    if (!sa->mac_in_asdu)
        sa->mac_offset = 0;
    return gs_cur_ok(cur) && gs_cur_remaining(cur) == 0;
}

static void sa_decode(const struct parse_ctx *pc, uint8_t type_id, struct gs_iec104_sa *sa,
                      struct gs_span message, bool in_asdu, size_t msg_off)
{
    /* Start from a clean set of fields, keeping what the segmentation octet said. */
    struct gs_iec104_sa seg = *sa;
    memset(sa, 0, sizeof(*sa));
    sa->has_segment = seg.has_segment;
    sa->asn = seg.asn;
    sa->first = seg.first;
    sa->final = seg.final;
    sa->reassembled = seg.reassembled;
    struct gs_cursor mc = gs_cur_init(message.ptr, message.len);
    sa->message = message;
    sa->complete = read_sa_message(pc, type_id, &mc, sa, in_asdu, msg_off);
    if (!sa->complete)
        anomaly(pc, "iec104.sa_malformed", GS_ANOMALY_MALFORMED, NULL);
}

/* A secure ASDU after its header: the segmentation octet, then the message, reassembled into
 * the direction's buffer when it spans several ASDUs. */
static void read_secure(const struct parse_ctx *pc, struct gs_cursor *cur, struct gs_iec104_asdu *a)
{
    struct iec104_state *st = pc->st;
    struct dir_state *ds = pc->ds;
    struct gs_iec104_sa *sa = &st->sa;
    memset(sa, 0, sizeof(*sa));
    a->sa = sa;
    a->objects_status = GS_IEC104_OBJ_NONE;
    if (a->num_objects != 1)
        anomaly(pc, "iec104.sa_malformed", GS_ANOMALY_MALFORMED, "VSQ is not 1");
    if (a->type_id == SA_TYPE_KR) {
        size_t off = gs_cur_pos(cur);
        sa_decode(pc, a->type_id, sa, rest_span(cur), true, off);
        return;
    }
    if (gs_cur_remaining(cur) == 0) {
        anomaly(pc, "iec104.sa_malformed", GS_ANOMALY_MALFORMED, "no segmentation octet");
        return;
    }
    uint8_t seg = gs_cur_u8(cur);
    sa->has_segment = true;
    sa->asn = SEG_ASN(seg);
    sa->first = SEG_FIR(seg);
    sa->final = SEG_FIN(seg);
    size_t off = gs_cur_pos(cur);
    struct gs_span part = rest_span(cur);

    if (sa->first && sa->final) {
        if (ds->sa_active) {
            anomaly(pc, "iec104.sa_segment", GS_ANOMALY_SEQUENCE, "message left unfinished");
            ds->sa_active = false;
        }
        sa_decode(pc, a->type_id, sa, part, true, off);
        return;
    }
    if (sa->first) {
        if (ds->sa_active)
            anomaly(pc, "iec104.sa_segment", GS_ANOMALY_SEQUENCE, "message left unfinished");
        ds->sa_active = false;
        if (part.len > st->sa_cap) {
            anomaly(pc, "iec104.sa_too_long", GS_ANOMALY_LIMIT, NULL);
            return;
        }
        memcpy(ds->sa_buf, part.ptr, part.len);
        ds->sa_len = part.len;
        ds->sa_active = true;
        ds->sa_type = a->type_id;
        ds->sa_ca = a->ca;
        ds->sa_next_asn = (uint8_t)((sa->asn + 1u) % SA_ASN_MOD);
        return;
    }
    if (!ds->sa_active || ds->sa_type != a->type_id || ds->sa_ca != a->ca ||
        ds->sa_next_asn != sa->asn) {
        anomaly(pc, "iec104.sa_segment", GS_ANOMALY_SEQUENCE,
                ds->sa_active ? "segment out of sequence" : "segment without a first one");
        ds->sa_active = false;
        return;
    }
    if (part.len > st->sa_cap - ds->sa_len) {
        anomaly(pc, "iec104.sa_too_long", GS_ANOMALY_LIMIT, NULL);
        ds->sa_active = false;
        return;
    }
    memcpy(ds->sa_buf + ds->sa_len, part.ptr, part.len);
    ds->sa_len += part.len;
    ds->sa_next_asn = (uint8_t)((sa->asn + 1u) % SA_ASN_MOD);
    if (!sa->final)
        return;
    ds->sa_active = false;
    struct gs_span whole = {ds->sa_buf, ds->sa_len};
    sa->reassembled = true;
    sa_decode(pc, a->type_id, sa, whole, false, 0);
}

/* Decodes the ASDU octets of an I-format APDU into st->asdu. */
static void read_asdu(const struct parse_ctx *pc, struct gs_span bytes)
{
    struct iec104_state *st = pc->st;
    struct gs_iec104_asdu *a = &st->asdu;
    memset(a, 0, sizeof(*a));
    a->bytes = bytes;
    struct gs_cursor cur = gs_cur_init(bytes.ptr, bytes.len);
    if (!read_header(st, &cur, a)) {
        a->objects_status = GS_IEC104_OBJ_NONE;
        anomaly(pc, "iec104.asdu_truncated", GS_ANOMALY_MALFORMED, NULL);
        return;
    }
    if (is_secure_type(a->type_id)) {
        read_secure(pc, &cur, a);
        return;
    }
    read_objects(pc, &cur, a, st->objects, st->max_objects);
}

/* ---- APCI and sequence numbers ------------------------------------------------------------- */

static void seq_anomaly(const struct parse_ctx *pc, const char *name, enum gs_anomaly_kind kind,
                        const char *what, unsigned expected, unsigned got)
{
    char detail[80];
    snprintf(detail, sizeof(detail), "%s %u, got %u", what, expected, got);
    anomaly(pc, name, kind, detail);
}

/*
 * N(S) and N(R) bookkeeping (IEC 60870-5-104 §5.1): N(S) grows by one per I-frame and
 * direction; N(R) acknowledges the peer's frames and may not run ahead of what the peer sent.
 * Runs after the event is out, so anomalies follow the APDU they are about.
 */
static void track_sequence(const struct parse_ctx *pc, const struct gs_iec104_apci *apci)
{
    struct dir_state *ds = pc->ds;
    struct dir_state *peer = &pc->st->dir[pc->dir == GS_DIR_TO_SERVER];
    if (apci->format == GS_IEC104_FORMAT_U)
        return;
    if (apci->format == GS_IEC104_FORMAT_I) {
        bool duplicate = false;
        if (ds->seen_i && apci->send_seq != ds->next_send) {
            unsigned ahead = (unsigned)(apci->send_seq - ds->next_send) & SEQ_MOD_MASK;
            duplicate = ahead >= SEQ_HALF;
            seq_anomaly(pc, duplicate ? "iec104.seq_duplicate" : "iec104.seq_gap",
                        GS_ANOMALY_SEQUENCE, "expected N(S)", ds->next_send, apci->send_seq);
        }
        if (!duplicate) {
            ds->next_send = (uint16_t)((apci->send_seq + 1u) & SEQ_MOD_MASK);
            ds->seen_i = true;
        }
    }
    if (peer->seen_i) {
        unsigned ahead = (unsigned)(apci->recv_seq - peer->next_send) & SEQ_MOD_MASK;
        if (ahead != 0 && ahead < SEQ_HALF)
            seq_anomaly(pc, "iec104.ack_unsent", GS_ANOMALY_SEQUENCE,
                        "N(R) beyond the peer's next N(S)", peer->next_send, apci->recv_seq);
    }
    ds->seen_ack = true;
    ds->acked = apci->recv_seq;

    /* Outstanding I-frames of each direction, against iec104.max_unacked (k). */
    for (int d = 0; d < 2; d++) {
        struct dir_state *snd = &pc->st->dir[d];
        struct dir_state *rcv = &pc->st->dir[!d];
        if (!snd->seen_i || !rcv->seen_ack)
            continue;
        unsigned outstanding = (unsigned)(snd->next_send - rcv->acked) & SEQ_MOD_MASK;
        if (outstanding > pc->st->max_unacked && outstanding < SEQ_HALF) {
            if (!snd->unacked_flagged)
                seq_anomaly(pc, "iec104.too_many_unacked", GS_ANOMALY_LIMIT,
                            "I-frames outstanding, limit", pc->st->max_unacked, outstanding);
            snd->unacked_flagged = true;
        } else {
            snd->unacked_flagged = false;
        }
    }
}

/* One APDU of exactly 2 + LEN octets. */
static void read_apdu(const struct parse_ctx *pc, struct gs_cursor *cur)
{
    struct gs_iec104_event ev;
    memset(&ev, 0, sizeof(ev));
    struct gs_iec104_apci *apci = &ev.apci;
    apci->apdu.ptr = gs_cur_ptr(cur);
    apci->apdu.len = gs_cur_remaining(cur);
    gs_cur_skip(cur, 1);
    apci->length = gs_cur_u8(cur);
    if (apci->length < APDU_MIN_LEN) {
        anomaly(pc, "iec104.apdu_too_short", GS_ANOMALY_MALFORMED, NULL);
        return;
    }
    gs_cur_copy(cur, apci->control, sizeof(apci->control));
    if (!gs_cur_ok(cur))
        return;
    if (apci->length > APDU_MAX_LEN)
        anomaly(pc, "iec104.apdu_too_long", GS_ANOMALY_MALFORMED, NULL);
    uint8_t cf1 = apci->control[0];
    if (CF1_IS_I(cf1)) {
        apci->format = GS_IEC104_FORMAT_I;
        apci->send_seq = CF_SEQ(apci->control[0], apci->control[1]);
        apci->recv_seq = CF_SEQ(apci->control[2], apci->control[3]);
        if (CF3_RESERVED(apci->control[2]))
            anomaly(pc, "iec104.bad_control", GS_ANOMALY_MALFORMED, NULL);
    } else if (CF1_IS_U(cf1)) {
        apci->format = GS_IEC104_FORMAT_U;
        apci->u_function = CF1_U_FUNCTION(cf1);
        if (!ONE_BIT_SET(apci->u_function) || apci->control[1] != 0 || apci->control[2] != 0 ||
            apci->control[3] != 0)
            anomaly(pc, "iec104.bad_control", GS_ANOMALY_MALFORMED, NULL);
    } else {
        apci->format = GS_IEC104_FORMAT_S;
        apci->recv_seq = CF_SEQ(apci->control[2], apci->control[3]);
        if (CF1_S_RESERVED(cf1) || apci->control[1] != 0 || CF3_RESERVED(apci->control[2]))
            anomaly(pc, "iec104.bad_control", GS_ANOMALY_MALFORMED, NULL);
    }
    struct gs_span rest = rest_span(cur);
    if (apci->format != GS_IEC104_FORMAT_I) {
        if (rest.len != 0)
            anomaly(pc, "iec104.bad_length", GS_ANOMALY_MALFORMED, NULL);
    } else if (rest.len == 0) {
        anomaly(pc, "iec104.no_asdu", GS_ANOMALY_MALFORMED, NULL);
    } else {
        read_asdu(pc, rest);
        ev.asdu = &pc->st->asdu;
    }
    gs_emit(pc->pkt, GS_EVENT_IEC104, &ev);
    track_sequence(pc, apci);
}

/* ---- dissector interface ------------------------------------------------------------------- */

static size_t sa_capacity(const struct gs_config *cfg)
{
    return cfg->iec104_max_sa_bytes;
}

static size_t iec104_state_size(const struct gs_config *cfg)
{
    return sizeof(struct iec104_state) +
           (size_t)cfg->iec104_max_objects * sizeof(struct gs_iec104_object) + 2 * sa_capacity(cfg);
}

static void iec104_state_init(void *state, const struct gs_config *cfg)
{
    struct iec104_state *st = state;
    st->max_objects = cfg->iec104_max_objects;
    st->sa_cap = sa_capacity(cfg);
    st->cot_size = cfg->iec104_cot_size;
    st->ca_size = cfg->iec104_ca_size;
    st->ioa_size = cfg->iec104_ioa_size;
    st->max_unacked = cfg->iec104_max_unacked;
    uint8_t *tail = (uint8_t *)(st->objects + st->max_objects);
    st->dir[0].sa_buf = tail;
    st->dir[1].sa_buf = tail + st->sa_cap;
    /* The flow may have been picked up mid-stream. */
    st->dir[0].lost = true;
    st->dir[1].lost = true;
}

static void iec104_state_reset(void *state, enum gs_dir dir)
{
    struct iec104_state *st = state;
    struct dir_state *ds = &st->dir[dir];
    /* Frames of this direction may be lost: its N(S) is unknown until the next I-frame. */
    ds->seen_i = false;
    ds->unacked_flagged = false;
    ds->in_junk = false;
    ds->lost = true;
    ds->sa_active = false;
}

static bool plausible_apdu(const struct gs_cursor *cur, size_t off, size_t *total);

/*
 * Finds where the next APDU starts. In step with the stream, that is the next start octet
 * (as Wireshark frames). Out of step (ds->lost: a flow picked up mid-way, or octets lost) and
 * not resuming on a start octet, a 0x68 inside the APDU whose head went missing would frame
 * everything after it wrongly: the start octet must then begin a plausible APDU whose end is
 * in view and is the end of the data or another start octet. Returns true with *off; false
 * with *off the octets that are noise and *need the octets to wait for (0: re-examine with
 * whatever comes next, because an APDU may start at *off).
 */
static bool next_start(const struct dir_state *ds, const struct gs_cursor *cur, size_t *off,
                       size_t *need)
{
    size_t avail = gs_cur_remaining(cur);
    bool open = false; /* a plausible APDU whose end is not in view yet */
    size_t open_at = 0;
    *need = 0;
    for (size_t k = 0; k < avail; k++) {
        uint8_t b = 0;
        if (!gs_cur_peek_at(cur, k, &b) || b != APCI_START)
            continue;
        *off = k;
        /* Data that resumes with a start octet most likely resumes at an APDU boundary. */
        if (!ds->lost || (k == 0 && !ds->in_junk))
            return true;
        if (avail - k < APCI_HEADER_LEN) {
            if (!open)
                *need = APCI_HEADER_LEN - (avail - k);
            break;
        }
        size_t total = 0;
        uint8_t next = 0;
        if (!plausible_apdu(cur, k, &total))
            continue;
        if (total > avail - k) {
            if (!open)
                open_at = k;
            open = true;
            continue;
        }
        if (total == avail - k || (gs_cur_peek_at(cur, k + total, &next) && next == APCI_START))
            return true;
    }
    if (open)
        *off = open_at;
    else if (*need == 0)
        *off = avail;
    return false;
}

static struct gs_parse_res iec104_parse(void *state, const struct gs_pkt_ctx *ctx,
                                        struct gs_cursor *cur, enum gs_dir dir)
{
    struct iec104_state *st = state;
    struct parse_ctx pc = {st, &st->dir[dir], ctx, dir};
    size_t start = gs_cur_pos(cur);
    for (;;) {
        size_t skip = 0, need = 0;
        bool found = next_start(pc.ds, cur, &skip, &need);
        if (skip > 0) {
            if (!pc.ds->in_junk) {
                anomaly(&pc, "iec104.resync", GS_ANOMALY_SEQUENCE,
                        "octets before an APDU start skipped");
                pc.ds->in_junk = true;
            }
            gs_cur_skip(cur, skip);
        }
        if (!found) {
            if (gs_cur_remaining(cur) == 0)
                return gs_parse_ok(gs_cur_pos(cur) - start);
            return gs_parse_incomplete(gs_cur_pos(cur) - start, need);
        }
        size_t avail = gs_cur_remaining(cur);
        uint8_t len = 0;
        if (!gs_cur_peek_at(cur, 1, &len))
            return gs_parse_incomplete(gs_cur_pos(cur) - start, 2 - avail);
        size_t total = 2u + len;
        if (avail < total)
            return gs_parse_incomplete(gs_cur_pos(cur) - start, total - avail);
        struct gs_cursor apdu = gs_cur_sub(cur, total);
        pc.ds->in_junk = false;
        pc.ds->lost = false;
        read_apdu(&pc, &apdu);
    }
}

/*
 * Is there a plausible APDU at `off`? Looks at what is there of its six header octets
 * (all six are needed) and returns its length on the wire in *total.
 */
static bool plausible_apdu(const struct gs_cursor *cur, size_t off, size_t *total)
{
    uint8_t h[APCI_HEADER_LEN];
    for (size_t i = 0; i < sizeof(h); i++) {
        if (!gs_cur_peek_at(cur, off + i, &h[i]))
            return false;
    }
    uint8_t len = h[1];
    if (h[0] != APCI_START || len < APDU_MIN_LEN || len > APDU_MAX_LEN)
        return false;
    *total = 2u + len;
    if (CF1_IS_I(h[2]))
        return !CF3_RESERVED(h[4]) && len >= APDU_MIN_LEN + 4; /* the smallest ASDU header */
    if (CF1_IS_U(h[2]))
        return len == APDU_MIN_LEN && ONE_BIT_SET(CF1_U_FUNCTION(h[2])) && h[3] == 0 && h[4] == 0 &&
               h[5] == 0;
    return len == APDU_MIN_LEN && h[2] == 0x01 && h[3] == 0 && !CF3_RESERVED(h[4]);
}

/* Sure when the payload is whole plausible APDUs; a match when it starts with one that
 * continues in a later segment. */
static unsigned iec104_probe(const struct gs_cursor *cur, enum gs_dir dir)
{
    (void)dir;
    size_t avail = gs_cur_remaining(cur);
    size_t off = 0;
    size_t total = 0;
    while (off < avail && plausible_apdu(cur, off, &total)) {
        if (total > avail - off)
            return off == 0 ? GS_PROBE_MATCH : GS_PROBE_SURE;
        off += total;
    }
    return off != 0 && off == avail ? GS_PROBE_SURE : GS_PROBE_NO;
}

static const uint16_t iec104_tcp_ports[] = {2404, 0};

const struct gs_dissector gs_iec104_dissector = {
    .name = "iec104",
    .transport = GS_TRANSPORT_TCP,
    .tcp_ports = iec104_tcp_ports,
    .probe = iec104_probe,
    .state_size = iec104_state_size,
    .state_init = iec104_state_init,
    .state_reset = iec104_state_reset,
    .parse = iec104_parse,
    .event_names = iec104_event_names,
};
