/*
 * classify.h - nDPI classification of flows no gridsensor dissector claims, so the stats (and
 * later the policy) can name an unexpected protocol on a conduit: RDP, SMB or HTTP on a
 * station bus is itself a finding.
 */
#ifndef GS_SENSOR_CLASSIFY_H
#define GS_SENSOR_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gs_classifier;

/* Returns NULL if nDPI cannot be initialised (classification is then skipped). */
struct gs_classifier *gs_classifier_create(void);
void gs_classifier_destroy(struct gs_classifier *cls);

/* Per-flow state, allocated when an unclaimed flow is first seen; NULL on failure. */
void *gs_classifier_flow_new(struct gs_classifier *cls);
void gs_classifier_flow_free(struct gs_classifier *cls, void *flow);

/* Feeds one packet from its IP header; returns the protocol id + 1 once known, else 0. */
uint16_t gs_classifier_packet(struct gs_classifier *cls, void *flow, const uint8_t *ip, size_t len,
                              uint64_t ts_us);

/* Final guess for a flow that ends unclassified: protocol id + 1, or 0 for unknown.
 * *guessed (may be NULL) tells whether nDPI named it only from its ports. */
uint16_t gs_classifier_give_up(struct gs_classifier *cls, void *flow, bool *guessed);

/* The name of a protocol id + 1 as returned above (static storage). */
const char *gs_classifier_name(struct gs_classifier *cls, uint16_t id_plus_one);

/* The nDPI category of a protocol id + 1 ("Web", "RemoteAccess", "IoT-Scada"; static
 * storage), or NULL for 0. */
const char *gs_classifier_category(struct gs_classifier *cls, uint16_t id_plus_one);

/* Number of distinct protocol ids (for per-protocol counters). */
size_t gs_classifier_protocol_count(struct gs_classifier *cls);

#endif
