/*
 * keystore.h - the key store (`--keys FILE`): update keys for DNP3 and IEC 60870-5-104 Secure
 * Authentication (IEEE 1815-2012 clause 7 / IEC TS 62351-5) and group keys for GOOSE and SV
 * authentication tags (IEC 62351-6), loaded from a JSON file readable by its owner only.
 *
 *   {"dnp3":   [{"master": 1, "outstation": 1024, "user": 1, "update_key": "<32 or 64 hex>",
 *                "key_wrap": "aes-128", "endpoints": ["10.1.0.2", "10.2.0.10"]}],
 *    "iec104": [{"common_address": 1, "user": 1, "update_key": "<hex>"}],
 *    "goose":  [{"appid": 1, "gocb_ref": "IED1LD0/LLN0$GO$gcb1", "key_id": 1, "key": "<hex>",
 *                "algorithm": "hmac-sha256-128"}],
 *    "sv":     [{"appid": 16384, "sv_id": "MU01", "key_id": 1, "key": "<hex>",
 *                "algorithm": "aes-gmac-128"}]}
 *
 * Key bytes live in a `struct gs_key`, an opaque type with no formatter: nothing here hands
 * out its bytes. Only the crypto modules read them, through keys/key_material.h. Key bytes
 * (and the parsed file) are held in OpenSSL's secure heap when gs_keys_protect_memory() has
 * set it up: mmap'd pages locked in RAM (mlock, so never swapped) and excluded from core
 * dumps (madvise MADV_DONTDUMP), cleared with OPENSSL_cleanse when freed. Error texts name
 * the file, the entry and the field, never a value from the file.
 */
#ifndef GS_KEYS_KEYSTORE_H
#define GS_KEYS_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "dissector.h" /* struct gs_ip */

struct gs_key;
struct gs_keystore;

/* What a key is for; fixes its length(s). */
enum gs_key_alg {
    GS_KEY_UPDATE_AES128 = 1, /* SA update key, AES-128 key wrap (KWA 1): 16 bytes */
    GS_KEY_UPDATE_AES256,     /* SA update key, AES-256 key wrap (KWA 2): 32 bytes */
    GS_KEY_SESSION,           /* SA session key learned from the wire: 16..64 bytes */
    GS_KEY_HMAC_SHA256_80,    /* IEC 62351-6 tags: HMAC-SHA256 truncated to 10 octets */
    GS_KEY_HMAC_SHA256_128,   /* ... to 16 octets */
    GS_KEY_HMAC_SHA256_256,   /* ... untruncated, 32 octets */
    GS_KEY_AES_GMAC_64,       /* AES-GMAC, 8-octet tag; AES-128 or AES-256 key */
    GS_KEY_AES_GMAC_128,      /* AES-GMAC, 16-octet tag */
};

/* The longest key a struct gs_key holds (HMAC keys may exceed the hash block: RFC 4231 uses
 * 131 octets). The key file accepts HMAC keys up to 128 octets (the IEC 61850-90-5 test keys). */
#define GS_KEY_MAX_BYTES 256

/* Largest key file accepted, so that the file and its parse fit the secure heap. */
#define GS_KEYSTORE_MAX_FILE_BYTES (512u * 1024u)

/*
 * Sets up the secure heap (once per process; later calls only report). Returns how well key
 * memory is protected: GS_KEYS_MEM_SECURE (locked in RAM and excluded from core dumps),
 * GS_KEYS_MEM_PARTIAL (secure heap, but mlock or madvise failed, e.g. RLIMIT_MEMLOCK, or the
 * heap was set up by someone else), GS_KEYS_MEM_PLAIN (no secure heap: ordinary heap, keys
 * still wiped on free). gs_keys_mem_name() says it in words for a startup log line.
 */
enum gs_keys_mem { GS_KEYS_MEM_PLAIN, GS_KEYS_MEM_PARTIAL, GS_KEYS_MEM_SECURE };
enum gs_keys_mem gs_keys_protect_memory(void);
const char *gs_keys_mem_name(enum gs_keys_mem m);

/*
 * Loads `path`. Refuses (returns -1 with one line in errbuf, GS_ERRBUF_SIZE) a file that is
 * not a regular file, is accessible by group or others (the line names the file and the
 * chmod that fixes it), is larger than GS_KEYSTORE_MAX_FILE_BYTES, is not valid JSON, has an
 * unknown section or field, an out-of-range number, bad hex, a key of the wrong length for
 * its algorithm, an unknown algorithm, or two entries that would both match one association.
 * Calls gs_keys_protect_memory() first. Must run before other threads use jansson (it
 * swaps jansson's allocator for the duration of the parse). On success *out is owned by the
 * caller (gs_keystore_destroy).
 */
int gs_keystore_load(const char *path, struct gs_keystore **out, char *errbuf) GS_WARN_UNUSED;

/* The same checks on JSON text already in memory (`name` is used in errors); no file-mode
 * check. For tests and the fuzz target. */
int gs_keystore_parse(const char *json, size_t len, const char *name, struct gs_keystore **out,
                      char *errbuf) GS_WARN_UNUSED;

/* Wipes and frees every key. NULL is fine. */
void gs_keystore_destroy(struct gs_keystore *ks);

enum gs_keystore_section { GS_KEYS_DNP3, GS_KEYS_IEC104, GS_KEYS_GOOSE, GS_KEYS_SV };
size_t gs_keystore_count(const struct gs_keystore *ks, enum gs_keystore_section section);

/*
 * Lookups. `a` and `b` are the two IP addresses of the flow (either order), or NULL when not
 * known: an entry with `endpoints` matches only a flow whose two addresses are both listed,
 * and is preferred over an entry without; an entry without `endpoints` matches any flow.
 * Return NULL when no entry matches. The key stays owned by the store.
 */
const struct gs_key *gs_keystore_dnp3(const struct gs_keystore *ks, uint16_t master,
                                      uint16_t outstation, uint16_t user, const struct gs_ip *a,
                                      const struct gs_ip *b);
/* Whether any DNP3 entry names this master/outstation pair (any user). */
bool gs_keystore_dnp3_has_association(const struct gs_keystore *ks, uint16_t master,
                                      uint16_t outstation);
const struct gs_key *gs_keystore_iec104(const struct gs_keystore *ks, uint16_t common_address,
                                        uint16_t user, const struct gs_ip *a,
                                        const struct gs_ip *b);
const struct gs_key *gs_keystore_goose(const struct gs_keystore *ks, uint16_t appid,
                                       const char *gocb_ref, size_t gocb_ref_len, uint32_t key_id);
const struct gs_key *gs_keystore_sv(const struct gs_keystore *ks, uint16_t appid, const char *sv_id,
                                    size_t sv_id_len, uint32_t key_id);

/* Facts about a key that are not secret. */
size_t gs_key_len(const struct gs_key *k);
enum gs_key_alg gs_key_alg(const struct gs_key *k);

/* Wipes and frees a key made by gs_key_create (key_material.h). NULL is fine. Keys owned by
 * a store are freed by gs_keystore_destroy, never by this. */
void gs_key_destroy(struct gs_key *k);

#endif
