/*
 * key_material.h - the only way to the bytes of a `struct gs_key`, for crypto modules only
 * (detectors/sa_crypto.c and the tag verifiers). A unit test (test_keystore) fails if any
 * other source file includes this header. Bytes obtained here go to OpenSSL and nowhere
 * else: never to a log, an alert, an errbuf or a copy that outlives the call.
 */
#ifndef GS_KEYS_KEY_MATERIAL_H
#define GS_KEYS_KEY_MATERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"

/* The key's bytes (gs_key_len() of them), valid while the key lives. */
const uint8_t *gs_key_material(const struct gs_key *k);

/*
 * A new key holding a copy of `len` bytes (1..GS_KEY_MAX_BYTES), in the secure heap when it is
 * set up. Returns NULL if len is out of range or memory is exhausted. Free with
 * gs_key_destroy(). The caller wipes its own copy of the bytes.
 */
struct gs_key *gs_key_create(const uint8_t *bytes, size_t len, enum gs_key_alg alg);

#endif
