/*
 * iec104_sa.c - IEC 62351-5 secure authentication over IEC 60870-5-104 verified by a passive
 * observer (IEC TS 62351-5:2013 via IEC 60870-5-7; digests: shared/specs/iec104.md §6,
 * shared/specs/dnp3_sav5.md §5-§10 for the mechanism the two share): the IEC 104 adapter of
 * detectors/sa_core.h.
 *
 *   key change   C S_KR_NA_1 (84) ---> S S_KS_NA_1 (85) {KSQ k, status} ---> C S_KC_NA_1 (86)
 *                {KSQ k, AESKW(UK, L|CDSK|MDSK|status|pad)} ---> S S_KS_NA_1 {KSQ k+1,
 *                MAC_MDSK(the S_KC_NA_1 ASDU)}
 *   challenge    C command (COT act) ---> S S_CH_NA_1 (81) {CSQ c} ---> C S_RP_NA_1 (82)
 *                {MAC_CDSK(challenge ASDU | command ASDU)} ---> S command (COT actcon)
 *   aggressive   C S_AR_NA_1 (83) {command ASDU, CSQ c+n+1, MAC_CDSK(last challenge ASDU |
 *                this ASDU up to the MAC)} ---> S command (COT actcon)
 *   (C controlling station, the TCP client and the core's first side; S controlled station.)
 *
 * An association is (controlling host, controlled host, common address). What is uncertain
 * for IEC 104, and how it is handled:
 *   - The MAC inputs are DNP3 SAv5's with "fragment" read as "ASDU" (type identification to
 *     the last octet, secure ASDUs with their segmentation octet). No public 104 source
 *     confirms them. So a MAC is judged invalid only after a MAC of the same association
 *     verified under that construction; before that a mismatch is unverifiable (counted).
 *   - The AES-GMAC IV is DNP3's (sender address, USR, KSQ, CSQ) with no link address in
 *     104: the common address and 0 are both tried, and the one that verifies first is kept
 *     for the association.
 *   - A key status or key change reassembled from several ASDUs has no single ASDU to MAC:
 *     the key change it confirms is then unverifiable.
 * (the profile's learn_conventions). Everything else (per-user keys, CSQ streams per
 * challenger, trust only on the connection the keys were seen on, no_key once per
 * association) is the core's, as for DNP3.
 */
#include "iec104_sa.h"

#include <stdlib.h>

#include "compiler.h"
#include "iec104.h"
#include "keystore.h"
#include "sa_core.h"

#define ASDU_CAP 256 /* an IEC 104 ASDU is at most 249 octets */

#define T_CH 81 /* S_CH_NA_1 challenge */
#define T_RP 82 /* S_RP_NA_1 reply */
#define T_AR 83 /* S_AR_NA_1 aggressive-mode request */
#define T_KR 84 /* S_KR_NA_1 key status request */
#define T_KS 85 /* S_KS_NA_1 key status */
#define T_KC 86 /* S_KC_NA_1 key change */
#define T_ER 87 /* S_ER_NA_1 error */
#define T_UK 93 /* S_UK_NA_1 symmetric update key change */
#define T_UA 94 /* S_UA_NA_1 asymmetric update key change */

#define COT_ACT    6
#define COT_ACTCON 7

/* The ASDUs each keyed association keeps besides the challenges (assoc->copies). */
enum {
    CMD,      /* the controlling station's last non-secure ASDU */
    MON_ASDU, /* the controlled station's */
    N_COPIES,
};

/* IEC 104's own state of an association (assoc->ext): the last critical command. */
struct iec104_assoc {
    bool cmd_open;
    uint8_t cmd_type;
    uint32_t cmd_ioa;
    enum gs_sa_auth cmd_auth;
};

#define NO_KEY_MESSAGE                                                                             \
    "no update key for this common address or user: 62351-5 MACs here are not verified"
#define DOWNGRADE_MESSAGE "a weaker MAC algorithm than this association used"
#define REPLY_MAC_MESSAGE "an authentication reply MAC does not verify with the session key"
#define AGGR_MAC_MESSAGE  "an aggressive-mode MAC does not verify with the session key"
#define EXPIRED_MESSAGE   "session keys used past iec104.sa_key_interval_s or iec104.sa_key_max_uses"
#define CONFIRM_MESSAGE                                                                            \
    "the key status confirming a session key change carries a MAC that does not verify with "      \
    "the new monitoring-direction key"
#define KS_MAC_MESSAGE "a key status MAC does not verify with the monitoring-direction key"
#define KC_MESSAGE                                                                                 \
    "a session key change that does not verify (KSQ, RFC 3394 integrity, layout or embedded "      \
    "key status)"

static const struct gs_sa_text texts[GS_SA_N_FINDINGS] = {
    [GS_SA_F_NO_KEY_STORE] = {"iec104.sa.no_key", NULL, NO_KEY_MESSAGE},
    [GS_SA_F_NO_KEY] = {"iec104.sa.no_key", NULL, NO_KEY_MESSAGE},
    [GS_SA_F_CHALLENGE_REPLAY] = {"iec104.sa.replay", "challenge_csq_not_increasing",
                                  "a challenge whose CSQ does not increase over the previous "
                                  "challenge's"},
    [GS_SA_F_CHALLENGE_DOWNGRADE] = {"iec104.sa.downgrade", "weaker_mal", DOWNGRADE_MESSAGE},
    [GS_SA_F_REPLY_MAC_REUSED] = {"iec104.sa.replay", "mac_reused",
                                  "an authentication reply repeats a MAC value already seen on "
                                  "this association"},
    [GS_SA_F_REPLY_CSQ_MISMATCH] = {"iec104.sa.replay", "csq_mismatch",
                                    "an authentication reply whose CSQ is not that of the open "
                                    "challenge"},
    [GS_SA_F_REPLY_ANSWERED] = {"iec104.sa.replay", "challenge_answered",
                                "an authentication reply for a challenge already answered"},
    [GS_SA_F_REPLY_MAC_LENGTH] = {"iec104.sa.mac_invalid", "mac_length", REPLY_MAC_MESSAGE},
    [GS_SA_F_REPLY_MAC_MISMATCH] = {"iec104.sa.mac_invalid", "mac_mismatch", REPLY_MAC_MESSAGE},
    [GS_SA_F_AGGR_MAC_REUSED] = {"iec104.sa.replay", "mac_reused",
                                 "an aggressive-mode request repeats a MAC value already seen on "
                                 "this association"},
    [GS_SA_F_AGGR_CSQ_REUSED] = {"iec104.sa.replay", "aggressive_csq_reused",
                                 "an aggressive-mode CSQ at or below one already used since the "
                                 "last challenge"},
    /* S_AR_NA_1 always carries its MAC: not raised */
    [GS_SA_F_AGGR_MAC_MISSING] = {"iec104.sa.mac_invalid", "mac_missing", AGGR_MAC_MESSAGE},
    [GS_SA_F_AGGR_MAC_LENGTH] = {"iec104.sa.mac_invalid", "mac_length", AGGR_MAC_MESSAGE},
    [GS_SA_F_AGGR_MAC_MISMATCH] = {"iec104.sa.mac_invalid", "mac_mismatch", AGGR_MAC_MESSAGE},
    [GS_SA_F_KEY_EXPIRED_AGE] = {"iec104.sa.key_expired", NULL, EXPIRED_MESSAGE},
    [GS_SA_F_KEY_EXPIRED_USES] = {"iec104.sa.key_expired", NULL, EXPIRED_MESSAGE},
    [GS_SA_F_KS_DOWNGRADE] = {"iec104.sa.downgrade", "weaker_mal", DOWNGRADE_MESSAGE},
    [GS_SA_F_KS_REPLAY] = {"iec104.sa.replay", "ksq_not_increasing",
                           "a key status whose KSQ does not increase over the previous one"},
    [GS_SA_F_KS_CONFIRM_LENGTH] = {"iec104.sa.key_change_invalid", "confirm_mac", CONFIRM_MESSAGE},
    [GS_SA_F_KS_CONFIRM_MISMATCH] = {"iec104.sa.key_change_invalid", "confirm_mac",
                                     CONFIRM_MESSAGE},
    [GS_SA_F_KS_MAC_LENGTH] = {"iec104.sa.mac_invalid", "mac_mismatch", KS_MAC_MESSAGE},
    [GS_SA_F_KS_MAC_MISMATCH] = {"iec104.sa.mac_invalid", "mac_mismatch", KS_MAC_MESSAGE},
    [GS_SA_F_KC_KSQ_MISMATCH] = {"iec104.sa.key_change_invalid", "ksq_mismatch", KC_MESSAGE},
    [GS_SA_F_KC_UNWRAP_FAILED] = {"iec104.sa.key_change_invalid", "unwrap_failed", KC_MESSAGE},
    [GS_SA_F_KC_BAD_LAYOUT] = {"iec104.sa.key_change_invalid", "bad_layout", KC_MESSAGE},
    [GS_SA_F_KC_STATUS_MISMATCH] = {"iec104.sa.key_change_invalid", "key_status_mismatch",
                                    KC_MESSAGE},
    [GS_SA_F_ERROR] = {"iec104.sa.error", NULL, "an authentication error ASDU (S_ER_NA_1)"},
    [GS_SA_F_SA_STOPPED] = {"iec104.sa.downgrade", "sa_stopped",
                            "IEC 104 traffic continues without 62351-5 ASDUs on an association "
                            "that used them"},
};

/* Critical commands (iec104.md §6.3: all control operations and time synchronisation, the
 * IEC 60870-5-7 recommendation): process commands, clock synchronisation, reset process,
 * parameters. Interrogations, reads and tests are left out, as DNP3 leaves READ out. */
static bool type_critical(uint8_t t)
{
    return (t >= 45 && t <= 64) || t == 103 || t == 105 || (t >= 110 && t <= 113);
}

static bool is_secure(uint8_t t)
{
    return t >= 81 && t <= 95;
}

/* ---- the profile --------------------------------------------------------------------------- */

/* ASDUs are kept for MACs (at most 249 octets each) when the store has 104 keys. */
static bool keyed(const struct gs_keystore *ks, const uint16_t addr[2])
{
    (void)addr;
    return gs_keystore_count(ks, GS_KEYS_IEC104) != 0;
}

static const struct gs_key *update_key(const struct gs_keystore *ks, const struct gs_sa_assoc *a,
                                       uint16_t user)
{
    return gs_keystore_iec104(ks, a->addr[0], user, &a->ip[0], &a->ip[1]);
}

/* The fields every iec104.sa alert carries after user, csq, ksq and mal. */
static void alert_fields(const struct gs_sa_cur *c, struct gs_alert *al)
{
    const struct gs_iec104_asdu *x = c->ev;
    gs_alert_add_uint(al, "type_id", x->type_id);
    const char *name = gs_iec104_type_name(x->type_id);
    gs_alert_add_str(al, "type", name != NULL ? name : "unknown");
    gs_alert_add_uint(al, "ca", x->ca);
    gs_alert_add_uint(al, "cot", x->cot);
}

static const struct gs_sa_profile profile = {
    .name = "iec104_sa",
    .app_proto = "iec104",
    .texts = texts,
    .n_copies = N_COPIES,
    .ext_size = sizeof(struct iec104_assoc),
    .status_cap = ASDU_CAP,
    .change_cap = ASDU_CAP,
    .keyed_per_association = false,
    .no_key_default_user = 1,
    .learn_conventions = true,
    .key_status_iv_csq0 = false,
    .keyed = keyed,
    .update_key = update_key,
    .alert_fields = alert_fields,
};

/* ---- ASDUs --------------------------------------------------------------------------------- */

/* S_AR_NA_1: the command it carries, authenticated by its own MAC. */
static void on_aggressive(struct gs_sa_cur *c, const struct gs_iec104_sa *s, bool from_controlling)
{
    const struct gs_iec104_asdu *x = c->ev;
    struct iec104_assoc *e = c->a->ext;
    struct gs_sa_aggressive m = {
        .by_first = from_controlling,
        .user = s->usr,
        .csq = s->csq,
        .has_mac = true,
        .mac = s->mac,
        .advances = true,
    };
    if (s->mac_in_asdu && s->mac_offset <= x->bytes.len)
        m.covered = (struct gs_span){x->bytes.ptr, s->mac_offset};
    enum gs_sa_auth result = gs_sa_core_aggressive(c, &m);
    const struct gs_iec104_asdu *cmd = s->challenged;
    if (from_controlling && cmd != NULL && type_critical(cmd->type_id)) {
        e->cmd_open = true;
        e->cmd_type = cmd->type_id;
        e->cmd_ioa = cmd->n_objects != 0 ? cmd->objects[0].ioa : 0;
        e->cmd_auth = result;
    }
}

/* S_KS_NA_1 from the controlled station. */
static void on_key_status(struct gs_sa_cur *c, const struct gs_iec104_sa *s)
{
    struct gs_sa_key_status m = {
        .user = s->usr,
        .ksq = s->ksq,
        .kst = s->kst,
        .mal = s->mal,
        .has_mac = s->mac.len != 0,
        .mac = s->mac,
    };
    if (s->message.len >= s->mac.len)
        m.body = (struct gs_span){s->message.ptr, s->message.len - s->mac.len};
    gs_sa_core_key_status(c, &m);
}

/* A standard (non-secure) ASDU. */
static void on_plain(struct gs_sa_cur *c, bool from_controlling)
{
    struct gs_sa_assoc *a = c->a;
    struct iec104_assoc *e = a->ext;
    const struct gs_iec104_asdu *x = c->ev;
    uint32_t ioa = x->n_objects != 0 ? x->objects[0].ioa : 0;
    if (from_controlling) {
        if (a->keyed)
            gs_sa_core_keep(c, &a->copies[CMD], x->bytes, 0);
        if (type_critical(x->type_id) && x->cot == COT_ACT) {
            e->cmd_open = true;
            e->cmd_type = x->type_id;
            e->cmd_ioa = ioa;
            e->cmd_auth = GS_SA_UNAUTH;
        }
        return;
    }
    if (a->keyed)
        gs_sa_core_keep(c, &a->copies[MON_ASDU], x->bytes, 0);
    if (!e->cmd_open || x->type_id != e->cmd_type || x->cot != COT_ACTCON || ioa != e->cmd_ioa)
        return;
    e->cmd_open = false;
    if (x->negative || !a->sa_seen)
        return;
    const char *reason = gs_sa_core_unauth_reason(e->cmd_auth);
    if (reason == NULL)
        return;
    struct gs_alert al;
    gs_sa_core_alert_begin(c, &al, "iec104.sa.unauthenticated_critical", 0, a->ctl.csq, 0,
                           a->ctl.mal);
    gs_alert_add_uint(&al, "ioa", ioa);
    gs_alert_add_str(&al, "reason", reason);
    gs_sa_core_alert_send(
        c, &al, "the controlled station confirmed a critical command that was not authenticated");
}

static void on_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    const struct gs_iec104_event *e = ev->body;
    if (ev->type != GS_EVENT_IEC104 || ctx->flow == NULL || e->asdu == NULL || e->asdu->truncated ||
        !e->asdu->has_ca)
        return;
    const struct gs_iec104_asdu *x = e->asdu;
    const struct gs_flow_info *fl = ctx->flow;
    bool fc = fl->dir == GS_DIR_TO_SERVER; /* from the controlling station */
    struct gs_sa_cur c;
    if (!gs_sa_core_begin(&c, state, ctx, x, fc ? &fl->src : &fl->dst, fc ? &fl->dst : &fl->src,
                          x->ca, 0))
        return;
    bool secure = is_secure(x->type_id);
    gs_sa_core_silence(&c, secure);
    if (!secure) {
        on_plain(&c, fc);
        return;
    }
    const struct gs_iec104_sa *s = x->sa;
    if (s == NULL || !s->complete)
        return; /* a segment of a longer message, or malformed */
    gs_sa_core_no_key(&c, s->has_usr ? s->usr : 0);
    struct iec104_assoc *ext = c.a->ext;
    switch (x->type_id) {
    case T_CH:
        gs_sa_core_challenge(&c, fc, s->usr, s->csq, s->mal, x->bytes, 0, true);
        if (!fc && ext->cmd_open && ext->cmd_auth == GS_SA_UNAUTH)
            ext->cmd_auth = GS_SA_CHALLENGED;
        break;
    case T_RP: {
        const struct gs_sa_target target = {&c.a->copies[fc ? CMD : MON_ASDU], true};
        enum gs_sa_auth result = gs_sa_core_reply(&c, fc, s->usr, s->csq, s->mac, &target, 1);
        if (fc && ext->cmd_open && ext->cmd_auth == GS_SA_CHALLENGED)
            ext->cmd_auth = result;
        break;
    }
    case T_AR:
        on_aggressive(&c, s, fc);
        break;
    case T_KR:
        gs_sa_core_key_status_request(&c, s->usr);
        break;
    case T_KS:
        if (!fc)
            on_key_status(&c, s);
        break;
    case T_KC:
        if (fc) /* a reassembled S_KC_NA_1 has no single ASDU for the confirming MAC */
            gs_sa_core_key_change(&c, s->usr, s->ksq, s->wrapped_key,
                                  s->reassembled ? (struct gs_span){NULL, 0} : x->bytes, 0);
        break;
    case T_ER:
        gs_sa_core_error(&c, s->usr, s->csq, s->err, s->aid);
        break;
    case T_UK:
    case T_UA:
        gs_sa_core_update_key_changed(&c, s->usr);
        break;
    default:
        break;
    }
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static void destroy(void *state)
{
    gs_sa_core_destroy(state);
}

static int create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    const struct gs_config *cfg = env->cfg;
    const struct gs_sa_limits lim = {
        .max_assoc = cfg->iec104_max_sa_associations,
        .max_users = cfg->iec104_max_sa_users,
        .copy_cap = ASDU_CAP,
        .key_interval_s = cfg->iec104_sa_key_interval_s,
        .key_max_uses = cfg->iec104_sa_key_max_uses,
        .silence_s = cfg->iec104_sa_silence_s,
    };
    struct gs_sa_core *core = NULL;
    if (gs_sa_core_create(&core, &profile, &lim, env, errbuf) != 0)
        return -1;
    *state = core;
    return 0;
}

static void counters(const void *state, gs_counter_fn *add, void *arg)
{
    gs_sa_core_counters(state, add, arg);
}

const struct gs_detector gs_iec104_sa_detector = {
    .name = "iec104_sa",
    .event_mask = GS_EVENT_BIT(GS_EVENT_IEC104),
    .create = create,
    .destroy = destroy,
    .on_event = on_event,
    .on_time = NULL,
    .counters = counters,
};
