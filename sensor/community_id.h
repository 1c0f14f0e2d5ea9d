/*
 * community_id.h - Community ID flow hashing, version 1 (corelight/community-id-spec).
 *
 *   base64(SHA1(seed:2 | addr_lo | addr_hi | proto:1 | pad:1 | port_lo:2 | port_hi:2))
 *
 * Endpoints are ordered so both directions of a flow hash the same; ICMP types map to a
 * port-like pair as the spec describes.
 */
#ifndef GS_SENSOR_COMMUNITY_ID_H
#define GS_SENSOR_COMMUNITY_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissector.h"

/* "1:" + 28 base64 characters + NUL */
#define GS_COMMUNITY_ID_LEN 31

/*
 * Writes the Community ID of a flow seen as src -> dst into out (GS_COMMUNITY_ID_LEN bytes).
 * For TCP, UDP and SCTP the ports are the transport ports; for ICMP/ICMPv6 pass the type as
 * src_port and the code as dst_port; for other protocols has_ports is false.
 */
void gs_community_id(const struct gs_ip *src, const struct gs_ip *dst, uint8_t proto,
                     uint16_t src_port, uint16_t dst_port, bool has_ports, uint16_t seed,
                     char out[GS_COMMUNITY_ID_LEN]);

#endif
