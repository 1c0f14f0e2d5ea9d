/*
 * dissect_registry.h - the static table of dissectors and how a flow finds its dissector:
 * by well-known port first, then by probing the first payloads (DNP3 runs on 20001 and other
 * odd ports in real networks), and by Ethertype for layer-2 protocols.
 */
#ifndef GS_SENSOR_DISSECT_REGISTRY_H
#define GS_SENSOR_DISSECT_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "dissector.h"

/* Every dissector, NULL-terminated, in probe priority order. */
extern const struct gs_dissector *const gs_dissector_table[];

/* Number of entries in a NULL-terminated dissector table. */
size_t gs_dissector_table_len(const struct gs_dissector *const *table);

/* The dissector whose well-known `transport` port is `port`, or -1. */
int gs_dissector_by_port(const struct gs_dissector *const *table, unsigned transport,
                         uint16_t port);

/* The layer-2 dissector for an Ethertype, or -1. */
int gs_dissector_by_ether_type(const struct gs_dissector *const *table, uint16_t ether_type);

/* The dissector whose probe is most confident (at least GS_PROBE_MATCH) about `cur`, or -1. */
int gs_dissector_by_probe(const struct gs_dissector *const *table, unsigned transport,
                          const struct gs_cursor *cur, enum gs_dir dir);

#endif
