/*
 * pcapng.h - a pcapng reader that keeps each interface's link type.
 *
 * libpcap 1.10 refuses a pcapng file whose interfaces have different link types (an Ethernet
 * SPAN port and a raw-IP tunnel merged by mergecap, say) and stops at the first such packet.
 * An audit tool must read the whole file, so pcapng files are read here: every section,
 * interface descriptions with their timestamp resolution and offset, enhanced, simple and
 * obsolete packet blocks; other blocks are skipped.
 *
 *   block: type 4 | total length 4 | body ... | total length 4     (IETF draft-ietf-opsawg-pcapng)
 */
#ifndef GS_SENSOR_PCAPNG_H
#define GS_SENSOR_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"

struct gs_pcapng;

/* True if the first four bytes are a pcapng Section Header Block type. */
bool gs_pcapng_is_pcapng(const uint8_t magic[4]);

/* Starts reading `fp` (positioned at the start, owned by the reader from now on).
 * Returns NULL with a one-line reason in errbuf if it is not a valid pcapng file. */
struct gs_pcapng *gs_pcapng_open(FILE *fp, char *errbuf);

/*
 * Reads the next packet into *pkt (pcap_cnt left to the caller); the data stays valid until
 * the next call. Returns 1 for a packet, 0 at the end of the file, -1 on a malformed or
 * truncated file (errbuf says where).
 */
int gs_pcapng_next(struct gs_pcapng *r, struct gs_packet *pkt, char *errbuf);

/* Bytes read so far (for a progress line). */
uint64_t gs_pcapng_offset(const struct gs_pcapng *r);

void gs_pcapng_close(struct gs_pcapng *r);

#endif
