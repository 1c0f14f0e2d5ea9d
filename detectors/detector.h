/*
 * detector.h - the contract between the sensor and each detector.
 *
 * A detector subscribes to event types, keeps its own bounded state, and raises alerts
 * through env->alert. Time is packet time: on_time is called as packet time advances, so an
 * offline replay raises the same alerts as live capture. Adding a detector means a
 * detectors/<name>.{c,h} pair exporting `const struct gs_detector gs_<name>_detector` and one
 * line in sensor/detect_registry.c.
 */
#ifndef GS_DETECTORS_DETECTOR_H
#define GS_DETECTORS_DETECTOR_H

#include "alert.h"
#include "dissector.h"

struct gs_keystore; /* keys/keystore.h */
struct gs_policy;   /* detectors/policy.h */
struct gs_baseline; /* detectors/baseline.h */

typedef void gs_alert_fn(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *alert);

struct gs_detect_env {
    const struct gs_config *cfg;
    const struct gs_keystore *keys; /* NULL without --keys */
    const struct gs_policy *policy; /* NULL without --policy */
    struct gs_baseline *baseline;   /* --baseline: learned or being learned; NULL without */
    gs_alert_fn *alert;
    void *alert_arg;
};

/* Raises an alert for the packet in ctx. */
static inline void gs_detect_alert(const struct gs_detect_env *env, const struct gs_pkt_ctx *ctx,
                                   const struct gs_alert *alert)
{
    env->alert(env->alert_arg, ctx, alert);
}

#define GS_EVENT_BIT(type) (1u << (unsigned)(type))

/* Receives one counter of a detector for the stats record; `name` is static storage. */
typedef void gs_counter_fn(void *arg, const char *name, uint64_t value);

/* The most counters one detector reports (struct gs_detector.counters). */
#define GS_DETECTOR_MAX_COUNTERS 32
/* How nDPI classified a flow that no dissector claimed (see on_classified). */
struct gs_app_class {
    const char *name;     /* nDPI's protocol name ("HTTP", "SMBv23", "RDP"), "unknown" if none */
    const char *category; /* nDPI's category ("Web", "RemoteAccess", "IoT-Scada"), may be NULL */
    bool guessed;         /* named from the ports only: nDPI could not tell from the payload */
};

struct gs_detector {
    const char *name;
    uint32_t event_mask; /* GS_EVENT_BIT() of each event type it wants */
    /* Creates the detector's state. `env` outlives the state. Returns 0, or a negative value
     * with a one-line reason in errbuf (GS_ERRBUF_SIZE). */
    int (*create)(void **state, const struct gs_detect_env *env, char *errbuf);
    void (*destroy)(void *state);
    void (*on_event)(void *state, const struct gs_pkt_ctx *ctx, const struct gs_event *ev);
    /* Packet time advanced to ctx->ts_us (called at most once per second of packet time, and
     * once at the end of input). ctx->flow and ctx->l2 are NULL; ctx->pcap_cnt is the packet
     * that moved the clock. May be NULL. */
    void (*on_time)(void *state, const struct gs_pkt_ctx *ctx);
    /* A flow's application protocol became known: its dissector accepted the flow's first
     * payload without failing. `app_proto` is the dissector's name ("tls", "iec104", ...).
     * Called once per flow, after the events of that payload; ctx->flow is oriented as the
     * payload (ctx->flow->dir tells which side sent it). Lets a detector judge the flow as a
     * whole (plaintext on a conduit that must be TLS) without subscribing to every event
     * type of every protocol. May be NULL. */
    void (*on_flow)(void *state, const struct gs_pkt_ctx *ctx, const char *app_proto);
    /* Reports the detector's counters for the stats record (`stats.detect.<name>`): calls
     * add(arg, name, value) for each, at most GS_DETECTOR_MAX_COUNTERS. May be NULL. */
    void (*counters)(const void *state, gs_counter_fn *add, void *arg);
    /* A flow that no dissector handles (none claimed it, or the one that did gave up on it)
     * was classified by nDPI (classification on): called once per flow, at the packet where
     * nDPI named the protocol (or the dissector gave up) or, when nDPI cannot, where the
     * sensor gives up (after 32 packets of the flow, or when the flow ends; ctx->flow is then
     * seen from the client and ctx->pcap_cnt is the current packet). Lets the policy flag an
     * unexpected protocol between the endpoints of a conduit. May be NULL. */
    void (*on_classified)(void *state, const struct gs_pkt_ctx *ctx,
                          const struct gs_app_class *cls);
};

#endif
