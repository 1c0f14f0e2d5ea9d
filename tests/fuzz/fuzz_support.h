/*
 * fuzz_support.h - the shared shape of every fuzz target (docs/STYLE.md §31).
 *
 * Input is split on the 4-byte magic "GSFZ"; the first byte of each chunk is a selector (its
 * low bit the direction, the other bits target-specific), the rest the chunk's bytes, copied
 * into an exact-size heap buffer so AddressSanitizer sees any over-read.
 *
 * Each target defines LLVMFuzzerTestOneInput; standalone_main.c replays files and
 * directories through it, so CTest runs every corpus in every build without libFuzzer.
 */
#ifndef GS_TESTS_FUZZ_SUPPORT_H
#define GS_TESTS_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "dissector.h"

struct gs_detector; /* detectors/detector.h */

#define GS_FUZZ_MAGIC "GSFZ"

typedef void gs_fuzz_chunk_fn(void *arg, uint8_t selector, const uint8_t *data, size_t len);

/* Calls fn for each chunk of the input (a chunk is never empty of its selector byte). */
void gs_fuzz_split(const uint8_t *input, size_t size, gs_fuzz_chunk_fn *fn, void *arg);

/*
 * Drives one dissector the way the sensor does. Stream mode (TCP): chunks are in-order bytes
 * of the direction their selector names, with left-over bytes kept as the stream layer keeps
 * them; selector bit 1 reports a gap first. Datagram mode (UDP, layer 2): each chunk is one
 * payload; selector bit 2 marks it truncated by (selector >> 3) bytes. Checks the parse
 * contract (consumed never exceeds what it was given) and aborts if it breaks.
 */
int gs_fuzz_dissector(const struct gs_dissector *d, const uint8_t *input, size_t size,
                      unsigned transport);

/* As gs_fuzz_dissector, also handing every event the dissector emits to hook(arg, ...), so a
 * target can run a detector behind its dissector. */
typedef void gs_fuzz_event_fn(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev);
int gs_fuzz_dissector_hook(const struct gs_dissector *d, const uint8_t *input, size_t size,
                           unsigned transport, gs_fuzz_event_fn *hook, void *arg);

/*
 * As gs_fuzz_dissector_hook, with detector `det` behind the dissector: each event of type
 * `event_type` goes to a fresh instance of it (default limits, the key store parsed once from
 * `keys_json`, test-only keys). Aborts if the keys do not parse, the detector cannot be
 * created, or an alert has no signature or too many fields.
 */
int gs_fuzz_detector(const struct gs_dissector *d, const struct gs_detector *det,
                     enum gs_event_type event_type, const char *keys_json, const uint8_t *input,
                     size_t size, unsigned transport);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
