/*
 * tag62351_6.c - IEC 62351-6 / IEC 61850-90-5 tag verification over the coverage candidates
 * (see tag62351_6.h). Sources: ../shared/specs/iec62351_6.md §2.1 (algorithms, leftmost
 * truncation), §3.4.6-3.4.8 (signature element, coverage from SI, HMAC-SHA256), §5 (try the
 * candidates, pin the winner per publisher). The MACs are sa_crypto's (OpenSSL EVP).
 */
#include "tag62351_6.h"

#include <string.h>

#include "compiler.h"
#include "sa_crypto.h"

#define GMAC_IV_LEN 12

enum gs_sec_alg gs_tag_key_alg(const struct gs_key *key)
{
    switch (gs_key_alg(key)) {
    case GS_KEY_HMAC_SHA256_80:
        return GS_SEC_ALG_HMAC_SHA256_80;
    case GS_KEY_HMAC_SHA256_128:
        return GS_SEC_ALG_HMAC_SHA256_128;
    case GS_KEY_HMAC_SHA256_256:
        return GS_SEC_ALG_HMAC_SHA256_256;
    case GS_KEY_AES_GMAC_64:
        return GS_SEC_ALG_AES_GMAC_64;
    case GS_KEY_AES_GMAC_128:
        return GS_SEC_ALG_AES_GMAC_128;
    default:
        return GS_SEC_ALG_UNKNOWN;
    }
}

static bool is_table9(enum gs_sec_alg alg)
{
    return alg >= GS_SEC_ALG_HMAC_SHA256_80 && alg <= GS_SEC_ALG_AES_GMAC_128;
}

static bool is_gmac(enum gs_sec_alg alg)
{
    return alg == GS_SEC_ALG_AES_GMAC_64 || alg == GS_SEC_ALG_AES_GMAC_128;
}

bool gs_tag_verifiable(const struct gs_sec_info *sec, const char **reason)
{
    const char *why = NULL;
    if (!sec->present || sec->tag.len == 0)
        why = sec->format == GS_SEC_L2_UNKNOWN ? "unknown_format" : "no_tag";
    else if (sec->format == GS_SEC_L2_2007 || sec->algorithm == GS_SEC_ALG_SIGNATURE)
        why = "signature";
    else if (sec->format == GS_SEC_L2_UNKNOWN || sec->algorithm == GS_SEC_ALG_UNKNOWN)
        why = "unknown_format";
    else if (!sec->has_key_id)
        why = "no_key_id";
    else if (sec->enc_alg != 0)
        why = "encrypted"; /* v1 AES-GCM: the tag covers ciphertext (v2 with an IV may be GMAC) */
    *reason = why;
    return why == NULL;
}

/* One candidate: the MAC of prefix | span under the key, compared on its leftmost `want`
 * octets in constant time. Returns 1 verified, 0 mismatch, -1 could not compute. */
static int try_coverage(const struct gs_sec_coverage *c, const struct gs_key *key, bool gmac,
                        const uint8_t *iv, const struct gs_span *tag, size_t want)
{
    struct gs_sa_part parts[2] = {{c->prefix, c->prefix_len}, {c->span.ptr, c->span.len}};
    uint8_t mac[GS_SA_HMAC_SHA256_LEN];
    size_t got = gmac ? gs_sa_crypto_aes_gmac(key, iv, parts, 2, mac, sizeof(mac))
                      : gs_sa_crypto_hmac_sha256(key, parts, 2, mac, sizeof(mac));
    if (got < want)
        return -1;
    return gs_sa_crypto_equal(mac, tag->ptr, want) ? 1 : 0;
}

void gs_tag_verify(const struct gs_sec_info *sec, const struct gs_key *key, const uint8_t *iv,
                   const char *preferred, struct gs_tag_result *res)
{
    memset(res, 0, sizeof(*res));
    res->key_as = gs_tag_key_alg(key);
    res->tag_len_wanted = gs_sec_alg_tag_len(res->key_as);
    res->verdict = GS_TAG_UNVERIFIABLE;
    if (res->tag_len_wanted == 0) {
        res->reason = "key_unsuited";
        return;
    }
    /* The key's algorithm is the truth: a frame that names a weaker one, or carries a tag of
     * another length, does not verify. */
    if (is_table9(sec->algorithm) && sec->algorithm != res->key_as) {
        res->verdict = GS_TAG_INVALID;
        res->reason = "algorithm_mismatch";
        return;
    }
    if (sec->tag.len != res->tag_len_wanted) {
        res->verdict = GS_TAG_INVALID;
        res->reason = "tag_length";
        return;
    }
    bool gmac = is_gmac(res->key_as);
    if (gmac && iv == NULL) {
        if (sec->iv.len != GMAC_IV_LEN) {
            res->reason = "no_iv";
            return;
        }
        iv = sec->iv.ptr;
    }
    if (sec->n_coverage == 0) {
        res->reason = "no_coverage";
        return;
    }
    /* The preferred candidate first, then the others in the record's order. */
    size_t order[GS_SEC_MAX_COVERAGE];
    size_t n = 0;
    for (size_t i = 0; i < sec->n_coverage && i < GS_SEC_MAX_COVERAGE; i++) {
        if (preferred != NULL && strcmp(sec->coverage[i].name, preferred) == 0)
            order[n++] = i;
    }
    for (size_t i = 0; i < sec->n_coverage && i < GS_SEC_MAX_COVERAGE; i++) {
        if (preferred == NULL || strcmp(sec->coverage[i].name, preferred) != 0)
            order[n++] = i;
    }
    bool computed = false;
    for (size_t k = 0; k < n; k++) {
        const struct gs_sec_coverage *c = &sec->coverage[order[k]];
        int r = try_coverage(c, key, gmac, iv, &sec->tag, res->tag_len_wanted);
        if (r < 0)
            continue;
        computed = true;
        res->candidates++;
        if (r == 1) {
            res->verdict = GS_TAG_OK;
            res->coverage = c->name;
            return;
        }
    }
    if (!computed) {
        /* GMAC with a key that is no AES key, or OpenSSL failing: no verdict. */
        res->reason = gmac ? "key_unsuited" : "crypto_failure";
        return;
    }
    res->verdict = GS_TAG_INVALID;
    res->reason = "mismatch";
}
