/*
 * ipfrag.h - IPv4 and IPv6 fragment reassembly, bounded in datagrams, bytes and time.
 *
 * Fragments are keyed by (version, source, destination, identification, protocol). Data is
 * kept in 8-octet blocks with a bitmap of the blocks received; where fragments overlap the
 * first copy wins and the overlap is counted (overlapping fragments are an evasion trick).
 * Datagrams not completed within ipfrag.timeout_s of packet time are dropped and counted; when
 * ipfrag.max_datagrams or ipfrag.max_bytes is reached, the oldest incomplete datagram is.
 */
#ifndef GS_SENSOR_IPFRAG_H
#define GS_SENSOR_IPFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "cursor.h"
#include "stats.h"

struct gs_ipfrag_key {
    uint8_t version;
    uint8_t proto;
    uint8_t src[16], dst[16];
    uint32_t id;
};

enum gs_ipfrag_result {
    GS_IPFRAG_HELD,     /* kept, the datagram is not complete yet */
    GS_IPFRAG_COMPLETE, /* *datagram holds the reassembled transport payload */
    GS_IPFRAG_DROPPED,  /* refused: bad offsets, over a limit (counted) */
};

struct gs_ipfrag;

struct gs_ipfrag *gs_ipfrag_create(const struct gs_config *cfg, struct gs_decode_stats *stats);
void gs_ipfrag_destroy(struct gs_ipfrag *frag);

/*
 * Adds the fragment `data` (the bytes after the IP header and any fragment header) at byte
 * `offset` of the datagram; `more` is the MF flag. On GS_IPFRAG_COMPLETE *datagram views the
 * whole payload, valid until the next call.
 */
enum gs_ipfrag_result gs_ipfrag_add(struct gs_ipfrag *frag, const struct gs_ipfrag_key *key,
                                    uint64_t ts_us, uint32_t offset, bool more, struct gs_span data,
                                    struct gs_span *datagram);

#endif
