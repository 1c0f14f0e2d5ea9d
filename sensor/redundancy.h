/*
 * redundancy.h - duplicate discard for PRP (IEC 62439-3 §4) and HSR (§5) frames.
 *
 * A doubly attached node sends every frame on both LANs (PRP) or both ring directions (HSR)
 * with the same sequence number. A sensor fed from both sees each frame twice; without
 * discarding the twin, every GOOSE sqNum or SV smpCnt check would see a replay. Nodes are
 * tracked by source MAC with a window of the last 256 sequence numbers, in a table bounded
 * by redundancy.max_nodes (the least recently seen node is forgotten when full).
 */
#ifndef GS_SENSOR_REDUNDANCY_H
#define GS_SENSOR_REDUNDANCY_H

#include <stdbool.h>
#include <stdint.h>

struct gs_redundancy;

struct gs_redundancy *gs_redundancy_create(uint32_t max_nodes);
void gs_redundancy_destroy(struct gs_redundancy *red);

/* Records (src_mac, seq) and returns true if that pair was already seen within the window. */
bool gs_redundancy_is_duplicate(struct gs_redundancy *red, const uint8_t src_mac[6], uint16_t seq);

#endif
