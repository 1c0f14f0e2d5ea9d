/*
 * sa_core.h - IEC 62351-5 Secure Authentication followed by a passive observer, the part DNP3
 * SAv5 (detectors/dnp3_sa.c, IEEE 1815-2012 clause 7) and IEC 60870-5-104 (detectors/iec104_sa.c,
 * IEC TS 62351-5:2013) share: associations in a bounded hash table (least recently used
 * evicted), users and their update keys, session key changes unwrapped, confirmed and followed,
 * session key lifetime, the CSQ streams of challenges and aggressive-mode messages, KSQs, MACs
 * verified with sa_crypto and judged (invalid only when every input was seen on the connection
 * the keys were established on), MAC replay memory, SA silence and the counters.
 *
 * An adapter (one per protocol) maps its events onto these calls: which side sent a message,
 * which bytes a later MAC covers, which application sequence pairs an answer with its request,
 * which requests are critical. The core raises its findings through the adapter's profile,
 * which words them (rule, reason, message per finding) and adds the protocol's own fields.
 *
 * Sides: "first" is the master (DNP3) or controlling station (IEC 104), whose MACs use the
 * control-direction session key (CDSK); the other side, outstation or controlled station, uses
 * the monitoring-direction key (MDSK). Challenges sent by the other side form the stream `ctl`,
 * those sent by the first side `mon`.
 */
#ifndef GS_DETECTORS_SA_CORE_H
#define GS_DETECTORS_SA_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detector.h"
#include "sa_crypto.h"

#define GS_SA_MAX_MACS_SEEN 16

/* What the core reports; each adapter gives every one a rule, a reason and a message. */
enum gs_sa_finding {
    GS_SA_F_NO_KEY_STORE,        /* no key store loaded (once per association) */
    GS_SA_F_NO_KEY,              /* the store has no update key for it (once per association) */
    GS_SA_F_CHALLENGE_REPLAY,    /* a challenge CSQ not above the previous one */
    GS_SA_F_CHALLENGE_DOWNGRADE, /* a challenge asks for a weaker MAL (+ previous_mal) */
    GS_SA_F_REPLY_MAC_REUSED,    /* a reply repeats a MAC already seen */
    GS_SA_F_REPLY_CSQ_MISMATCH,  /* a reply's CSQ is not the open challenge's */
    GS_SA_F_REPLY_ANSWERED,      /* a reply to a challenge already answered */
    GS_SA_F_REPLY_MAC_LENGTH,    /* a reply MAC of the wrong length */
    GS_SA_F_REPLY_MAC_MISMATCH,  /* a reply MAC that does not verify */
    GS_SA_F_AGGR_MAC_REUSED,     /* an aggressive-mode message repeats a MAC already seen */
    GS_SA_F_AGGR_CSQ_REUSED,     /* an aggressive-mode CSQ already used since the challenge */
    GS_SA_F_AGGR_MAC_MISSING,    /* an aggressive-mode message without its MAC */
    GS_SA_F_AGGR_MAC_LENGTH,     /* an aggressive-mode MAC of the wrong length */
    GS_SA_F_AGGR_MAC_MISMATCH,   /* an aggressive-mode MAC that does not verify */
    GS_SA_F_KEY_EXPIRED_AGE,     /* keys used past the key interval (+ key_age_s, key_uses) */
    GS_SA_F_KEY_EXPIRED_USES,    /* keys used for more MACs than allowed (same fields) */
    GS_SA_F_KS_DOWNGRADE,        /* a key status carries a weaker MAL (+ previous_mal) */
    GS_SA_F_KS_REPLAY,           /* a key status KSQ not above the previous one */
    GS_SA_F_KS_CONFIRM_LENGTH,   /* the key status confirming a key change: MAC length wrong */
    GS_SA_F_KS_CONFIRM_MISMATCH, /* ... MAC does not verify with the new MDSK */
    GS_SA_F_KS_MAC_LENGTH,       /* another key status: MAC length wrong */
    GS_SA_F_KS_MAC_MISMATCH,     /* ... MAC does not verify with the MDSK */
    GS_SA_F_KC_KSQ_MISMATCH,     /* a key change whose KSQ is not the last key status's */
    GS_SA_F_KC_UNWRAP_FAILED,    /* ... failing the RFC 3394 integrity check */
    GS_SA_F_KC_BAD_LAYOUT,       /* ... unwrapping to no valid key layout */
    GS_SA_F_KC_STATUS_MISMATCH,  /* ... embedding another key status than the last */
    GS_SA_F_ERROR,               /* an authentication error (+ error_code, error, assoc_id) */
    GS_SA_F_SA_STOPPED,          /* traffic continues without SA (+ silence_s) */
    GS_SA_N_FINDINGS,
};

/* How an adapter words a finding. `reason` may be NULL (no reason field). */
struct gs_sa_text {
    const char *rule; /* in the signature table */
    const char *reason;
    const char *message;
};

/* How a request was authenticated, for the adapter's unauthenticated-critical rule. */
enum gs_sa_auth {
    GS_SA_UNAUTH = 0,   /* no challenge, no aggressive-mode MAC */
    GS_SA_CHALLENGED,   /* challenged, no reply yet */
    GS_SA_AUTH_OK,      /* reply or aggressive MAC verified */
    GS_SA_AUTH_BAD,     /* its MAC did not verify, or it was a replay */
    GS_SA_UNVERIFIABLE, /* authenticated as far as the sensor can tell */
};

/* A copy of one message, kept for a later MAC. It holds the message when n != 0. */
struct gs_sa_copy {
    uint8_t *b; /* the copy's buffer; NULL on associations that keep no copies */
    size_t n;
    bool seen; /* the message was seen (kept or not) */
    uint64_t flow_id;
    uint8_t seq; /* the adapter's application sequence number of the message */
};

/* Challenges sent by one side, answered by the other with a reply or pre-empted in aggressive
 * mode (dnp3_sav5.md §7.3). */
struct gs_sa_stream {
    struct gs_sa_copy chal; /* the last challenge */
    bool open;              /* chal awaits its reply */
    uint32_t csq;
    uint8_t mal;
    bool may_restart;   /* the challenger may have restarted since chal (its CSQ with it) */
    uint32_t aggr_n;    /* aggressive-mode messages accepted since chal */
    uint32_t aggr_last; /* highest CSQ since chal (chal's CSQ at first) */
    bool aggr_seen;
    uint64_t aggr_flow;
    unsigned best_rank; /* strongest MAL asked for (gs_sa_crypto_mal_rank) */
    unsigned best_mal;
    bool downgraded;
};

struct gs_sa_core; /* private to sa_core.c */
struct gs_sa_user; /* private to sa_core.c */

/*
 * One association: (host, address) of each side, DNP3's link addresses or IEC 104's common
 * address (and 0). It outlives TCP connections. Adapters read and write what is documented
 * here; the fields after `ext` belong to sa_core.c.
 */
struct gs_sa_assoc {
    struct gs_ip ip[2];      /* [0] the first side's host, [1] the other's */
    uint16_t addr[2];        /* [0] master / common address, [1] outstation / 0 */
    bool keyed;              /* the key store may verify it (profile->keyed): messages are copied */
    bool sa_seen;            /* an SA message was seen (gs_sa_core_silence) */
    uint32_t last_csq;       /* last CSQ on the association (challenge or aggressive) */
    struct gs_sa_stream ctl; /* challenges by the other side */
    struct gs_sa_stream mon; /* challenges by the first side */
    struct gs_sa_copy *copies; /* profile->n_copies of the adapter's own (gs_sa_core_keep) */
    void *ext;                 /* profile->ext_size octets of the adapter's own, zeroed */

    bool stop_reported, no_key_reported;
    uint64_t last_sa_us;
    bool conv_known; /* a MAC verified: the MAC input construction holds here */
    uint8_t iv_mode; /* the AES-GMAC IV sender that verified (profile->learn_conventions) */
    uint8_t macs[GS_SA_MAX_MACS_SEEN][GS_SA_MAX_MAC]; /* accepted replies and aggressive MACs */
    uint8_t mac_len[GS_SA_MAX_MACS_SEEN];
    size_t n_macs, next_mac;
    struct gs_sa_user *users;
    size_t n_users;
    struct gs_sa_assoc *hnext;       /* hash chain */
    struct gs_sa_assoc *prev, *next; /* LRU list, most recent first */
    size_t bucket;
};

/* What one event is being processed with (gs_sa_core_begin fills it). */
struct gs_sa_cur {
    struct gs_sa_core *core;
    const struct gs_pkt_ctx *ctx;
    const void *ev; /* the adapter's event, for profile->alert_fields */
    struct gs_sa_assoc *a;
    uint64_t flow_id;
    uint64_t now_us;
};

/* What differs between the protocols, besides the adapter's own code. */
struct gs_sa_profile {
    const char *name;               /* the detector's, for errors ("dnp3_sa") */
    const char *app_proto;          /* alert app_proto and section ("dnp3") */
    const struct gs_sa_text *texts; /* GS_SA_N_FINDINGS entries */
    size_t n_copies;                /* assoc->copies the adapter keeps (buffers only when keyed) */
    size_t ext_size;                /* assoc->ext */
    size_t status_cap;              /* longest key status body kept per user */
    size_t change_cap; /* longest key change message kept per user (longer: unverifiable) */
    /* The store names whole associations (DNP3), so an association it does not name has no
     * key for any user; false: keys are per user (IEC 104), looked up for each. */
    bool keyed_per_association;
    /* For an SA message that names no user: the user whose key decides no_key (0: wait for a
     * message that names one). */
    uint16_t no_key_default_user;
    /* The MAC inputs and the AES-GMAC IV sender are not defined by a public source (IEC 104):
     * a MAC is invalid only after one verified on the association, and the IV sender (addr[0],
     * or 0) is learned from the first GMAC that verifies. false: standard (DNP3), the IV sender
     * is the sender's address. */
    bool learn_conventions;
    /* The key status AES-GMAC IV is also tried with CSQ 0 (DNP3: implementations differ on
     * which CSQ, dnp3_sav5.md §6.5). */
    bool key_status_iv_csq0;
    /* Whether the store can verify the association (copies are kept only then). */
    bool (*keyed)(const struct gs_keystore *ks, const uint16_t addr[2]);
    /* The update key of one user, NULL for none. */
    const struct gs_key *(*update_key)(const struct gs_keystore *ks, const struct gs_sa_assoc *a,
                                       uint16_t user);
    /* Adds the protocol's fields to an alert about the event c->ev. */
    void (*alert_fields)(const struct gs_sa_cur *c, struct gs_alert *al);
};

/* Limits and thresholds (the protocol's config keys). */
struct gs_sa_limits {
    size_t max_assoc, max_users;
    size_t copy_cap; /* longest message copied into assoc->copies and challenge copies */
    uint64_t key_interval_s, key_max_uses, silence_s;
};

/* Counters the core keeps; gs_sa_core_counters reports all but copies_too_long. */
struct gs_sa_counters {
    uint64_t associations_created;
    uint64_t associations_evicted;
    uint64_t macs_verified;
    uint64_t macs_invalid;
    uint64_t macs_unverifiable;
    uint64_t key_changes_verified;
    uint64_t key_changes_invalid;
    uint64_t key_changes_unverifiable;
    uint64_t users_dropped;
    uint64_t copies_too_long;
};

/* ---- lifecycle ----------------------------------------------------------------------------- */

/* Creates the core. `p` and `env` outlive it. Returns 0, or -1 with a reason in errbuf. */
int gs_sa_core_create(struct gs_sa_core **core, const struct gs_sa_profile *p,
                      const struct gs_sa_limits *lim, const struct gs_detect_env *env,
                      char *errbuf) GS_WARN_UNUSED;

/* Frees every association and the keys they hold. NULL is ignored. */
void gs_sa_core_destroy(struct gs_sa_core *core);

/* Reports `associations` (current) and the counters, in a fixed order. */
void gs_sa_core_counters(const struct gs_sa_core *core, gs_counter_fn *add, void *arg);
const struct gs_sa_counters *gs_sa_core_counts(const struct gs_sa_core *core);

/* ---- per event ----------------------------------------------------------------------------- */

/*
 * Starts an event: finds the association of (ip_first, addr_first, ip_other, addr_other) or
 * creates it (evicting the least recently used at the cap), and fills c. Returns false when
 * memory fails (the event is then ignored).
 */
bool gs_sa_core_begin(struct gs_sa_cur *c, struct gs_sa_core *core, const struct gs_pkt_ctx *ctx,
                      const void *ev, const struct gs_ip *ip_first, const struct gs_ip *ip_other,
                      uint16_t addr_first, uint16_t addr_other) GS_WARN_UNUSED;

/* SA seen on this event, or not: the SA_STOPPED finding once after silence_s of packet time
 * without SA on an association that had it, until SA comes back. */
void gs_sa_core_silence(struct gs_sa_cur *c, bool sa);

/* The NO_KEY(_STORE) finding, once per association, for the first SA message no update key
 * covers (`user` 0: the message names none). */
void gs_sa_core_no_key(struct gs_sa_cur *c, uint16_t user);

/* Keeps `bytes` in k when it fits copy_cap and k has a buffer (else counts copies_too_long). */
void gs_sa_core_keep(struct gs_sa_cur *c, struct gs_sa_copy *k, struct gs_span bytes, uint8_t seq);

/* ---- messages ------------------------------------------------------------------------------ */

/*
 * A challenge sent by the first side (`by_first`) or the other, `bytes` the message a reply
 * MACs. Checks its CSQ against the previous challenge's on this connection and its MAL
 * against the strongest asked for, keeps it, and opens the stream's CSQ sequence (`open`:
 * a reply is due; false for a challenge nothing answers with a reply).
 */
void gs_sa_core_challenge(struct gs_sa_cur *c, bool by_first, uint16_t user, uint32_t csq,
                          unsigned mal, struct gs_span bytes, uint8_t seq, bool open);

/*
 * A challenge kept apart from the stream's sequence (DNP3: with an unsolicited response, in
 * `slot`, answered by the aggressive CONFIRM of that response): the same checks against
 * `prev_csq`, kept in slot; the stream's CSQ sequence is untouched.
 */
void gs_sa_core_challenge_aside(struct gs_sa_cur *c, bool by_first, struct gs_sa_copy *slot,
                                uint32_t prev_csq, uint16_t user, uint32_t csq, unsigned mal,
                                struct gs_span bytes, uint8_t seq);

/* A message a reply may MAC after the challenge, and whether the adapter trusts it to be the
 * one (both it and the challenge must also have been seen on this connection). */
struct gs_sa_target {
    const struct gs_sa_copy *copy;
    bool trusted;
};

/*
 * A reply (MAC over the challenge and the challenged message) by the first side or the other.
 * The MAC is judged over targets[0]; when that does not verify, over each further target that
 * was seen, keeping the first that verifies (or the last verdict over an invalid one).
 * Returns how the challenged request stands after it.
 */
enum gs_sa_auth gs_sa_core_reply(struct gs_sa_cur *c, bool by_first, uint16_t user, uint32_t csq,
                                 struct gs_span mac, const struct gs_sa_target *targets,
                                 size_t n_targets);

/* An aggressive-mode message (its CSQ, its MAC over the last challenge and itself up to the
 * MAC). */
struct gs_sa_aggressive {
    bool by_first;
    uint16_t user;
    uint32_t csq;
    bool has_mac; /* false: its closing MAC is missing */
    struct gs_span mac;
    struct gs_span covered; /* the message up to its MAC; ptr NULL when not known */
    bool advances;          /* it takes the next CSQ (DNP3's aggressive CONFIRM does not) */
    /* the challenge it answers: NULL for the stream's last, else one kept aside */
    const struct gs_sa_copy *chal;
    uint32_t chal_csq;
    unsigned chal_mal;
};

/* Judges an aggressive-mode message; returns how it is authenticated. */
enum gs_sa_auth gs_sa_core_aggressive(struct gs_sa_cur *c, const struct gs_sa_aggressive *m);

/* A key status request (from the first side): the key exchange of `user` (re)starts. */
void gs_sa_core_key_status_request(struct gs_sa_cur *c, uint16_t user);

/* A key status (from the other side). */
struct gs_sa_key_status {
    uint16_t user;
    uint32_t ksq;
    uint8_t kst; /* 1: OK */
    unsigned mal;
    bool has_mac;
    struct gs_span mac;
    struct gs_span body; /* the message without its MAC, as the next key change embeds it */
    uint8_t seq;         /* pairs it with the key change it answers */
};

/* Confirms or refuses a pending key change, verifies a key status MAC, tracks the KSQ. */
void gs_sa_core_key_status(struct gs_sa_cur *c, const struct gs_sa_key_status *m);

/*
 * A session key change (from the first side): unwraps `wrapped` with the user's update key and
 * checks the key status it embeds; the keys become candidates until a key status confirms them.
 * `bytes` is the message the confirming MAC covers (ptr NULL when there is none: the key
 * change is then unverifiable but its keys are taken unconfirmed).
 */
void gs_sa_core_key_change(struct gs_sa_cur *c, uint16_t user, uint32_t ksq, struct gs_span wrapped,
                           struct gs_span bytes, uint8_t seq);

/* An authentication error from either side: the ERROR finding. */
void gs_sa_core_error(struct gs_sa_cur *c, uint16_t user, uint32_t csq, unsigned code,
                      unsigned assoc_id);

/* An update key change of `user`: its new update key is encrypted with the authority key,
 * which the store does not hold, so later key changes may fail to unwrap for no fault. */
void gs_sa_core_update_key_changed(struct gs_sa_cur *c, uint16_t user);

/* ---- adapters' own alerts ------------------------------------------------------------------ */

/* Starts an alert with the fields every SA alert carries (user, csq, ksq, mal, protocol's). */
void gs_sa_core_alert_begin(const struct gs_sa_cur *c, struct gs_alert *al, const char *rule,
                            uint16_t user, uint32_t csq, uint32_t ksq, unsigned mal);
void gs_sa_core_alert_send(const struct gs_sa_cur *c, struct gs_alert *al, const char *message);

/* Why a request was not authenticated ("not_challenged", "challenge_not_answered",
 * "authentication_failed"), NULL when it was (verified or unverifiable). */
const char *gs_sa_core_unauth_reason(enum gs_sa_auth auth);

#endif
