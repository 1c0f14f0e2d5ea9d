/*
 * dnp3_sa.c - DNP3 Secure Authentication v5 verified by a passive observer (IEEE 1815-2012
 * clause 7, IEC TS 62351-5:2013; digest: shared/specs/dnp3_sav5.md §5-§10): the DNP3 adapter
 * of detectors/sa_core.h, which holds the mechanism it shares with IEC 104.
 *
 *   key change   M g120v4 ---> O g120v5 {KSQ k, body} ---> M g120v6 {KSQ k, AESKW(UK, L|CDSK|MDSK
 *                |body|pad)} ---> O g120v5 {KSQ k+1, MAC_MDSK(g120v6 fragment)}  (keys confirmed)
 *   challenge    M request (SEQ s) ---> O g120v1 {CSQ c, MAL} ---> M g120v2 {CSQ c,
 *                MAC_CDSK(challenge fragment | request fragment)} ---> O RESPONSE (executed)
 *   aggressive   M [g120v3 {CSQ c+n+1} | objects | g120v9 {MAC_CDSK(last challenge fragment |
 *                this fragment up to the MAC)}] ---> O RESPONSE
 *   (and the same the other way: the master challenges a response, the outstation answers
 *   with MAC_MDSK(challenge | its last response), or sends responses in aggressive mode.)
 *
 * An association is (master host, outstation host, master link address, outstation link
 * address); the master is the core's first side. MACs cover whole application fragments (AC
 * byte to the last object byte), and the application sequence number pairs a challenge, key
 * status or response with the request it answers. What is DNP3's own, here: the unsolicited
 * responses (challenged apart, their CONFIRM in aggressive mode answering the last unsolicited
 * challenge; the master may also challenge one), which requests are critical, and whether the
 * outstation carried out a critical request that was not authenticated.
 *
 * Fragments are copied only on associations the key store names (nothing else can verify a
 * MAC); the rules that need no key (unauthenticated critical requests, downgrades, errors,
 * CSQ/KSQ reuse and byte-identical replays) apply to every association.
 */
#include "dnp3_sa.h"

#include <stdlib.h>

#include "compiler.h"
#include "dnp3.h"
#include "keystore.h"
#include "sa_core.h"

#define V5_CAP 288 /* a key status body: 11 + challenge data (4..64 per TB2016-002) */
#define V6_CAP 544 /* a g120v6 fragment: AC FC, header 6, KSQ USR 6, wrapped data <= 512 */

/* IIN2 bits (low byte of gs_dnp3_event.iin) that say a request was not carried out:
 * function code not supported, object unknown, parameter error, already executing. */
#define IIN2_REFUSED(iin) (((iin)&0x0017u) != 0)

/* The fragments each keyed association keeps besides the challenges (assoc->copies). */
enum {
    CHAL_UNSOL, /* the outstation's last challenge sent with an unsolicited response */
    REQ,        /* the master's last request */
    RSP,        /* the outstation's last response */
    UNSOL,      /* the outstation's last unsolicited response */
    N_COPIES,
};

/* DNP3's own state of an association (assoc->ext). */
struct dnp3_assoc {
    uint32_t unsol_csq; /* CSQ and MAL of the challenge in copies[CHAL_UNSOL] */
    uint8_t unsol_mal;
    /* the master's last request (not CONFIRM, not SA-only) and how it was authenticated */
    bool req_open;
    uint8_t req_seq, req_fc;
    enum gs_sa_auth req_auth;
};

static const struct gs_sa_text texts[GS_SA_N_FINDINGS] = {
    [GS_SA_F_NO_KEY_STORE] = {"dnp3.sa.no_key", NULL,
                              "no key store loaded: SA MACs on this association are not verified"},
    [GS_SA_F_NO_KEY] = {"dnp3.sa.no_key", NULL,
                        "the key store has no update key for this association or user: SA MACs "
                        "on it are not verified"},
    [GS_SA_F_CHALLENGE_REPLAY] = {"dnp3.sa.replay", "challenge_csq_not_increasing",
                                  "a challenge whose CSQ does not increase over the previous "
                                  "challenge's"},
    [GS_SA_F_CHALLENGE_DOWNGRADE] = {"dnp3.sa.downgrade", "weaker_mal",
                                     "a challenge asks for a weaker MAC algorithm than this "
                                     "association used"},
    [GS_SA_F_REPLY_MAC_REUSED] = {"dnp3.sa.replay", "mac_reused",
                                  "a challenge reply repeats a MAC value already seen on this "
                                  "association"},
    [GS_SA_F_REPLY_CSQ_MISMATCH] = {"dnp3.sa.replay", "csq_mismatch",
                                    "a challenge reply whose CSQ is not that of the open "
                                    "challenge"},
    [GS_SA_F_REPLY_ANSWERED] = {"dnp3.sa.replay", "challenge_answered",
                                "a challenge reply for a challenge that was already answered"},
    [GS_SA_F_REPLY_MAC_LENGTH] = {"dnp3.sa.mac_invalid", "mac_length",
                                  "a challenge reply MAC does not verify with the session key"},
    [GS_SA_F_REPLY_MAC_MISMATCH] = {"dnp3.sa.mac_invalid", "mac_mismatch",
                                    "a challenge reply MAC does not verify with the session key"},
    [GS_SA_F_AGGR_MAC_REUSED] = {"dnp3.sa.replay", "mac_reused",
                                 "an aggressive-mode message repeats a MAC value already seen on "
                                 "this association"},
    [GS_SA_F_AGGR_CSQ_REUSED] = {"dnp3.sa.replay", "aggressive_csq_reused",
                                 "an aggressive-mode CSQ at or below one already used since the "
                                 "last challenge"},
    [GS_SA_F_AGGR_MAC_MISSING] = {"dnp3.sa.mac_invalid", "mac_missing",
                                  "an aggressive-mode message without its closing g120v9 MAC "
                                  "object"},
    [GS_SA_F_AGGR_MAC_LENGTH] = {"dnp3.sa.mac_invalid", "mac_length",
                                 "an aggressive-mode MAC does not verify with the session key"},
    [GS_SA_F_AGGR_MAC_MISMATCH] = {"dnp3.sa.mac_invalid", "mac_mismatch",
                                   "an aggressive-mode MAC does not verify with the session key"},
    [GS_SA_F_KEY_EXPIRED_AGE] = {"dnp3.sa.key_expired", NULL,
                                 "session keys used longer after their change than "
                                 "dnp3.sa_key_interval_s"},
    [GS_SA_F_KEY_EXPIRED_USES] = {"dnp3.sa.key_expired", NULL,
                                  "session keys used for more MACs than dnp3.sa_key_max_uses"},
    [GS_SA_F_KS_DOWNGRADE] = {"dnp3.sa.downgrade", "weaker_mal",
                              "a key status carries a weaker MAC algorithm than this "
                              "association used"},
    [GS_SA_F_KS_REPLAY] = {"dnp3.sa.replay", "ksq_not_increasing",
                           "a key status whose KSQ does not increase over the previous one"},
    [GS_SA_F_KS_CONFIRM_LENGTH] = {"dnp3.sa.key_change_invalid", "confirm_mac_length",
                                   "the key status confirming a session key change carries a "
                                   "MAC that does not verify with the new monitoring-direction "
                                   "key"},
    [GS_SA_F_KS_CONFIRM_MISMATCH] = {"dnp3.sa.key_change_invalid", "confirm_mac",
                                     "the key status confirming a session key change carries a "
                                     "MAC that does not verify with the new "
                                     "monitoring-direction key"},
    [GS_SA_F_KS_MAC_LENGTH] = {"dnp3.sa.mac_invalid", "mac_length",
                               "a key status MAC does not verify with the monitoring-direction "
                               "session key"},
    [GS_SA_F_KS_MAC_MISMATCH] = {"dnp3.sa.mac_invalid", "mac_mismatch",
                                 "a key status MAC does not verify with the monitoring-direction "
                                 "session key"},
    [GS_SA_F_KC_KSQ_MISMATCH] = {"dnp3.sa.key_change_invalid", "ksq_mismatch",
                                 "a session key change whose KSQ is not that of the last key "
                                 "status"},
    [GS_SA_F_KC_UNWRAP_FAILED] = {"dnp3.sa.key_change_invalid", "unwrap_failed",
                                  "a session key change fails the RFC 3394 integrity check with "
                                  "the update key"},
    [GS_SA_F_KC_BAD_LAYOUT] = {"dnp3.sa.key_change_invalid", "bad_layout",
                               "a session key change whose unwrapped data is not a valid key "
                               "layout"},
    [GS_SA_F_KC_STATUS_MISMATCH] = {"dnp3.sa.key_change_invalid", "key_status_mismatch",
                                    "a session key change embeds another key status than the "
                                    "last one"},
    [GS_SA_F_ERROR] = {"dnp3.sa.error", NULL, "an authentication error object (g120v7)"},
    [GS_SA_F_SA_STOPPED] = {"dnp3.sa.downgrade", "sa_stopped",
                            "DNP3 traffic continues without any Secure Authentication message "
                            "on an association that used SA"},
};

/* dnp3_sav5.md §8 (opendnp3 CriticalFunctions): every function code is critical except those
 * that are optionally so (CONFIRM, READ, freezes, INITIALIZE_DATA, ASSIGN_CLASS,
 * DELAY_MEASURE, responses) and the SA function codes themselves. */
static bool fc_critical(uint8_t fc)
{
    switch (fc) {
    case 0x02: /* WRITE */
    case 0x03: /* SELECT */
    case 0x04: /* OPERATE */
    case 0x05: /* DIRECT_OPERATE */
    case 0x06: /* DIRECT_OPERATE_NR */
    case 0x0D: /* COLD_RESTART */
    case 0x0E: /* WARM_RESTART */
    case 0x10: /* INITIALIZE_APPL */
    case 0x11: /* START_APPL */
    case 0x12: /* STOP_APPL */
    case 0x13: /* SAVE_CONFIG */
    case 0x14: /* ENABLE_UNSOLICITED */
    case 0x15: /* DISABLE_UNSOLICITED */
    case 0x18: /* RECORD_CURRENT_TIME */
    case 0x19: /* OPEN_FILE */
    case 0x1A: /* CLOSE_FILE */
    case 0x1B: /* DELETE_FILE */
    case 0x1C: /* GET_FILE_INFO */
    case 0x1D: /* AUTHENTICATE_FILE */
    case 0x1E: /* ABORT_FILE */
    case 0x1F: /* ACTIVATE_CONFIG */
        return true;
    default:
        return false;
    }
}

static bool fc_auth(uint8_t fc)
{
    return fc == GS_DNP3_FC_AUTH_REQUEST || fc == GS_DNP3_FC_AUTH_REQUEST_NA ||
           fc == GS_DNP3_FC_AUTH_RESPONSE;
}

/* ---- the profile --------------------------------------------------------------------------- */

static bool keyed(const struct gs_keystore *ks, const uint16_t addr[2])
{
    return gs_keystore_dnp3_has_association(ks, addr[0], addr[1]);
}

static const struct gs_key *update_key(const struct gs_keystore *ks, const struct gs_sa_assoc *a,
                                       uint16_t user)
{
    return gs_keystore_dnp3(ks, a->addr[0], a->addr[1], user, &a->ip[0], &a->ip[1]);
}

/* The fields every dnp3.sa alert carries after user, csq, ksq and mal. */
static void alert_fields(const struct gs_sa_cur *c, struct gs_alert *al)
{
    const struct gs_dnp3_event *ev = c->ev;
    gs_alert_add_uint(al, "function_code", ev->function_code);
    const char *fname = gs_dnp3_function_name(ev->function_code);
    gs_alert_add_str(al, "function", fname != NULL ? fname : "RESERVED");
    gs_alert_add_uint(al, "src", ev->src);
    gs_alert_add_uint(al, "dst", ev->dst);
}

static const struct gs_sa_profile profile = {
    .name = "dnp3_sa",
    .app_proto = "dnp3",
    .texts = texts,
    .n_copies = N_COPIES,
    .ext_size = sizeof(struct dnp3_assoc),
    .status_cap = V5_CAP,
    .change_cap = V6_CAP,
    .keyed_per_association = true,
    .no_key_default_user = 0,
    .learn_conventions = false,
    .key_status_iv_csq0 = true,
    .keyed = keyed,
    .update_key = update_key,
    .alert_fields = alert_fields,
};

/* ---- SA objects ---------------------------------------------------------------------------- */

/* g120v1 from the outstation or the master. `pre`: a pre-challenge carried by a response,
 * which nothing answers with g120v2. */
static void on_challenge(struct gs_sa_cur *c, const struct gs_dnp3_sa *s, bool from_master,
                         bool pre)
{
    const struct gs_dnp3_event *ev = c->ev;
    struct dnp3_assoc *x = c->a->ext;
    if (!from_master && ev->uns) {
        gs_sa_core_challenge_aside(c, false, &c->a->copies[CHAL_UNSOL], x->unsol_csq, s->user,
                                   s->seq, s->mal, ev->fragment, ev->seq);
        x->unsol_csq = s->seq;
        x->unsol_mal = s->mal;
    } else {
        gs_sa_core_challenge(c, from_master, s->user, s->seq, s->mal, ev->fragment, ev->seq, !pre);
    }
    if (!from_master && !pre && x->req_open && x->req_seq == ev->seq && x->req_auth == GS_SA_UNAUTH)
        x->req_auth = GS_SA_CHALLENGED;
}

/* g120v2 from the master (answers the outstation's challenge) or the outstation. */
static void on_reply(struct gs_sa_cur *c, const struct gs_dnp3_sa *s, bool from_master)
{
    struct gs_sa_assoc *a = c->a;
    struct dnp3_assoc *x = a->ext;
    /* The challenged fragment: the master's request (of the challenge's sequence), or the
     * outstation's last response, or its last unsolicited response. */
    const struct gs_sa_copy *rsp = &a->copies[RSP];
    struct gs_sa_target targets[2] = {{&a->copies[REQ], a->copies[REQ].seq == a->ctl.chal.seq},
                                      {NULL, false}};
    size_t n = 1;
    if (!from_master) {
        targets[0] = (struct gs_sa_target){rsp, true};
        targets[1] = (struct gs_sa_target){&a->copies[UNSOL], rsp->flow_id == c->flow_id};
        n = 2;
    }
    enum gs_sa_auth result = gs_sa_core_reply(c, from_master, s->user, s->seq, s->mac, targets, n);
    if (from_master && x->req_open && x->req_auth == GS_SA_CHALLENGED)
        x->req_auth = result;
}

/* The g120v3 that opens an aggressive-mode fragment and its closing g120v9 (NULL when the
 * fragment has none). Returns false when the fragment is not in aggressive mode. */
static bool aggressive_parts(const struct gs_dnp3_event *ev, const struct gs_dnp3_sa **v3,
                             const struct gs_dnp3_sa **v9)
{
    *v3 = *v9 = NULL;
    if (ev->n_objects == 0 || ev->n_sa == 0)
        return false;
    const struct gs_dnp3_object *first = &ev->objects[0];
    if (first->group != 120 || first->variation != 3 || first->sa_index < 0 ||
        (size_t)first->sa_index >= ev->n_sa || !ev->sa[first->sa_index].valid)
        return false;
    *v3 = &ev->sa[first->sa_index];
    const struct gs_dnp3_object *last = &ev->objects[ev->n_objects - 1];
    if (ev->n_objects > 1 && last->group == 120 && last->variation == 9 && last->sa_index >= 0 &&
        (size_t)last->sa_index < ev->n_sa && ev->sa[last->sa_index].valid)
        *v9 = &ev->sa[last->sa_index];
    return true;
}

/* An aggressive-mode request (from the master) or response (from the outstation). Returns how
 * the message is authenticated. */
static enum gs_sa_auth on_aggressive(struct gs_sa_cur *c, const struct gs_dnp3_sa *v3,
                                     const struct gs_dnp3_sa *v9, bool from_master)
{
    const struct gs_dnp3_event *ev = c->ev;
    const struct dnp3_assoc *x = c->a->ext;
    bool confirm = ev->function_code == GS_DNP3_FC_CONFIRM;
    struct gs_sa_aggressive m = {
        .by_first = from_master,
        .user = v3->user,
        .csq = v3->seq,
        .has_mac = v9 != NULL,
        .advances = !confirm, /* a CONFIRM does not take the next CSQ (§7.3) */
    };
    if (v9 != NULL) {
        m.mac = v9->mac;
        m.covered = (struct gs_span){ev->fragment.ptr, v9->mac_offset};
    }
    /* A CONFIRM of an unsolicited response answers the last unsolicited challenge. */
    const struct gs_sa_copy *unsol = &c->a->copies[CHAL_UNSOL];
    if (from_master && confirm && ev->uns && unsol->seen) {
        m.chal = unsol;
        m.chal_csq = x->unsol_csq;
        m.chal_mal = x->unsol_mal;
    }
    return gs_sa_core_aggressive(c, &m);
}

/* g120v5 from the outstation. */
static void on_key_status(struct gs_sa_cur *c, const struct gs_dnp3_sa *s)
{
    const struct gs_dnp3_event *ev = c->ev;
    struct gs_sa_key_status m = {
        .user = s->user,
        .ksq = s->seq,
        .kst = s->key_status,
        .mal = s->mal,
        .has_mac = s->mal != 0, /* opendnp3 answers with MAL 0 and no MAC */
        .mac = s->mac,
        .body = s->status_body,
        .seq = ev->seq,
    };
    gs_sa_core_key_status(c, &m);
}

/* ---- fragments ----------------------------------------------------------------------------- */

/* Whether a response refuses what it answers: an IIN2 error bit, or control objects of which
 * none was accepted (status other than SUCCESS). */
static bool response_refuses(const struct gs_dnp3_event *ev)
{
    if (ev->has_iin && IIN2_REFUSED(ev->iin))
        return true;
    bool controls = false, accepted = false;
    for (size_t i = 0; i < ev->n_objects; i++) {
        struct gs_dnp3_point_iter it;
        struct gs_dnp3_point pt;
        gs_dnp3_points_begin(&it, &ev->objects[i]);
        while (gs_dnp3_points_next(&it, &pt)) {
            if (!pt.has_status)
                continue;
            controls = true;
            accepted = accepted || pt.status == 0;
        }
    }
    return controls && !accepted;
}

/* The outstation answers the master's last request: was it executed unauthenticated? */
static void check_execution(struct gs_sa_cur *c)
{
    struct gs_sa_assoc *a = c->a;
    struct dnp3_assoc *x = a->ext;
    const struct gs_dnp3_event *ev = c->ev;
    if (!x->req_open || ev->seq != x->req_seq)
        return;
    x->req_open = false;
    if (!a->sa_seen || !fc_critical(x->req_fc) || response_refuses(ev))
        return;
    const char *reason = gs_sa_core_unauth_reason(x->req_auth);
    if (reason == NULL)
        return;
    const char *fname = gs_dnp3_function_name(x->req_fc);
    struct gs_alert al;
    gs_sa_core_alert_begin(c, &al, "dnp3.sa.unauthenticated_critical", 0, a->ctl.csq, 0,
                           a->ctl.mal);
    gs_alert_add_uint(&al, "request_function_code", x->req_fc);
    gs_alert_add_str(&al, "request_function", fname != NULL ? fname : "RESERVED");
    gs_alert_add_str(&al, "reason", reason);
    gs_sa_core_alert_send(c, &al,
                          "the outstation answered a critical request that was not authenticated");
}

static void on_master(struct gs_sa_cur *c)
{
    struct gs_sa_assoc *a = c->a;
    struct dnp3_assoc *x = a->ext;
    const struct gs_dnp3_event *ev = c->ev;
    uint8_t fc = ev->function_code;
    if (!fc_auth(fc)) {
        const struct gs_dnp3_sa *v3, *v9;
        enum gs_sa_auth auth = GS_SA_UNAUTH;
        if (aggressive_parts(ev, &v3, &v9)) {
            gs_sa_core_no_key(c, v3->user);
            auth = on_aggressive(c, v3, v9, true);
        }
        if (fc != GS_DNP3_FC_CONFIRM) {
            x->req_open = true;
            x->req_seq = ev->seq;
            x->req_fc = fc;
            x->req_auth = auth;
            gs_sa_core_keep(c, &a->copies[REQ], ev->fragment, ev->seq);
        }
        return;
    }
    for (size_t i = 0; i < ev->n_sa; i++) {
        const struct gs_dnp3_sa *s = &ev->sa[i];
        if (!s->valid)
            continue;
        gs_sa_core_no_key(c, s->user);
        switch (s->variation) {
        case 1:
            on_challenge(c, s, true, false);
            break;
        case 2:
            on_reply(c, s, true);
            break;
        case 4:
            gs_sa_core_key_status_request(c, s->user);
            break;
        case 6:
            gs_sa_core_key_change(c, s->user, s->seq, s->key_data, ev->fragment, ev->seq);
            break;
        case 7:
            gs_sa_core_error(c, s->user, s->seq, s->error_code, s->assoc_id);
            break;
        case 13:
            gs_sa_core_update_key_changed(c, s->user);
            break;
        default:
            break; /* other user management (v8, v10, v11, v14, v15): needs the authority key */
        }
    }
}

static void on_outstation(struct gs_sa_cur *c)
{
    struct gs_sa_assoc *a = c->a;
    const struct gs_dnp3_event *ev = c->ev;
    uint8_t fc = ev->function_code;
    if (fc == GS_DNP3_FC_RESPONSE || fc == GS_DNP3_FC_UNSOLICITED) {
        const struct gs_dnp3_sa *v3, *v9;
        if (aggressive_parts(ev, &v3, &v9)) {
            gs_sa_core_no_key(c, v3->user);
            on_aggressive(c, v3, v9, false);
        }
        if (fc == GS_DNP3_FC_RESPONSE && !ev->uns)
            check_execution(c);
        /* A pre-challenge appended to the response, for the master's aggressive CONFIRM. */
        for (size_t i = 0; i < ev->n_sa; i++) {
            if (ev->sa[i].valid && ev->sa[i].variation == 1) {
                gs_sa_core_no_key(c, 0);
                on_challenge(c, &ev->sa[i], false, true);
            }
        }
        bool unsol = fc == GS_DNP3_FC_UNSOLICITED || ev->uns;
        gs_sa_core_keep(c, &a->copies[unsol ? UNSOL : RSP], ev->fragment, ev->seq);
        return;
    }
    if (fc != GS_DNP3_FC_AUTH_RESPONSE)
        return;
    for (size_t i = 0; i < ev->n_sa; i++) {
        const struct gs_dnp3_sa *s = &ev->sa[i];
        if (!s->valid)
            continue;
        gs_sa_core_no_key(c, s->user);
        switch (s->variation) {
        case 1:
            on_challenge(c, s, false, false);
            break;
        case 2:
            on_reply(c, s, false);
            break;
        case 5:
            on_key_status(c, s);
            break;
        case 7:
            gs_sa_core_error(c, s->user, s->seq, s->error_code, s->assoc_id);
            break;
        default:
            break; /* update key change replies (v12, v15): need the new update key */
        }
    }
}

static void sa_on_event(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    const struct gs_dnp3_event *e = ev->body;
    if (ev->type != GS_EVENT_DNP3 || ctx->flow == NULL || e->fragment.len < 2)
        return;
    const struct gs_flow_info *fl = ctx->flow;
    const struct gs_ip *mip = e->from_master ? &fl->src : &fl->dst;
    const struct gs_ip *oip = e->from_master ? &fl->dst : &fl->src;
    uint16_t master = e->from_master ? e->src : e->dst;
    uint16_t outstation = e->from_master ? e->dst : e->src;
    struct gs_sa_cur c;
    if (!gs_sa_core_begin(&c, state, ctx, e, mip, oip, master, outstation))
        return;
    /* SA traffic stopping on an association that had it: dnp3.sa.downgrade, evaluated on its
     * next fragment in packet time. */
    gs_sa_core_silence(&c, e->n_sa != 0);
    if (e->from_master)
        on_master(&c);
    else
        on_outstation(&c);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static void sa_destroy(void *state)
{
    gs_sa_core_destroy(state);
}

static int sa_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    const struct gs_config *cfg = env->cfg;
    const struct gs_sa_limits lim = {
        .max_assoc = cfg->dnp3_max_sa_associations,
        .max_users = cfg->dnp3_max_sa_users,
        .copy_cap = cfg->dnp3_max_sa_copy_bytes,
        .key_interval_s = cfg->dnp3_sa_key_interval_s,
        .key_max_uses = cfg->dnp3_sa_key_max_uses,
        .silence_s = cfg->dnp3_sa_silence_s,
    };
    struct gs_sa_core *core = NULL;
    if (gs_sa_core_create(&core, &profile, &lim, env, errbuf) != 0)
        return -1;
    *state = core;
    return 0;
}

static void sa_counters(const void *state, gs_counter_fn *add, void *arg)
{
    gs_sa_core_counters(state, add, arg);
    add(arg, "copies_too_long", gs_sa_core_counts(state)->copies_too_long);
}

const struct gs_detector gs_dnp3_sa_detector = {
    .name = "dnp3_sa",
    .event_mask = GS_EVENT_BIT(GS_EVENT_DNP3),
    .create = sa_create,
    .destroy = sa_destroy,
    .on_event = sa_on_event,
    .on_time = NULL,
    .counters = sa_counters,
};
