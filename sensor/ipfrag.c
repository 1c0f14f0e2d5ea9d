/*
 * ipfrag.c - IP fragment reassembly (see ipfrag.h).
 */
#include "ipfrag.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DATAGRAM 65535u
#define BLOCK        8u
#define BLOCKS       ((MAX_DATAGRAM + BLOCK - 1) / BLOCK + 1)
#define BITMAP_WORDS ((BLOCKS + 63) / 64)

struct datagram {
    bool used;
    struct gs_ipfrag_key key;
    uint64_t first_ts_us;
    uint32_t total_len; /* known once the last fragment (MF clear) arrived, else 0 */
    bool have_last;
    uint8_t *buf; /* MAX_DATAGRAM bytes */
    uint64_t filled[BITMAP_WORDS];
};

struct gs_ipfrag {
    struct datagram *slots;
    uint32_t n_slots;
    uint32_t n_used; /* datagrams under reassembly */
    uint64_t bytes_held;
    uint64_t max_bytes;
    uint64_t timeout_us;
    struct gs_decode_stats *stats;
    uint8_t *done_buf; /* the last completed datagram, handed out until the next call */
};

struct gs_ipfrag *gs_ipfrag_create(const struct gs_config *cfg, struct gs_decode_stats *stats)
{
    struct gs_ipfrag *frag = calloc(1, sizeof(*frag));
    if (frag == NULL)
        return NULL;
    frag->n_slots = cfg->ipfrag_max_datagrams;
    frag->slots = calloc(frag->n_slots, sizeof(*frag->slots));
    if (frag->slots == NULL) {
        free(frag);
        return NULL;
    }
    frag->max_bytes = cfg->ipfrag_max_bytes;
    frag->timeout_us = (uint64_t)cfg->ipfrag_timeout_s * 1000000u;
    frag->stats = stats;
    return frag;
}

static void release(struct gs_ipfrag *frag, struct datagram *dg)
{
    if (dg->buf != NULL) {
        free(dg->buf);
        frag->bytes_held -= MAX_DATAGRAM;
    }
    if (dg->used)
        frag->n_used--;
    memset(dg, 0, sizeof(*dg));
}

void gs_ipfrag_destroy(struct gs_ipfrag *frag)
{
    if (frag == NULL)
        return;
    for (uint32_t i = 0; i < frag->n_slots; i++)
        release(frag, &frag->slots[i]);
    free(frag->done_buf);
    free(frag->slots);
    free(frag);
}

static bool same_key(const struct gs_ipfrag_key *a, const struct gs_ipfrag_key *b)
{
    return a->version == b->version && a->proto == b->proto && a->id == b->id &&
           memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
           memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

/*
 * Finds the datagram for key, expiring stale ones on the way; creates it if absent. When every
 * slot or byte is taken, the oldest incomplete datagram is given up (and counted) for the new
 * one: a datagram that lost a fragment would otherwise hold its slot for ipfrag.timeout_s and,
 * with enough losses, starve all reassembly until then.
 */
static struct datagram *lookup(struct gs_ipfrag *frag, const struct gs_ipfrag_key *key,
                               uint64_t ts_us)
{
    struct datagram *free_slot = NULL;
    struct datagram *oldest = NULL;
    uint32_t used_seen = 0;
    /* Slots are taken from the front, so the scan can stop once every datagram held was seen
     * and a free slot found: a few fragments in flight cost a few comparisons, not 1024. */
    for (uint32_t i = 0; i < frag->n_slots; i++) {
        if (used_seen == frag->n_used && free_slot != NULL)
            break;
        struct datagram *dg = &frag->slots[i];
        if (dg->used && ts_us > dg->first_ts_us + frag->timeout_us) {
            frag->stats->ip_frag_dropped++;
            release(frag, dg);
        }
        if (!dg->used) {
            if (free_slot == NULL)
                free_slot = dg;
            continue;
        }
        used_seen++;
        if (same_key(&dg->key, key))
            return dg;
        if (oldest == NULL || dg->first_ts_us < oldest->first_ts_us)
            oldest = dg;
    }
    if ((free_slot == NULL || frag->bytes_held + MAX_DATAGRAM > frag->max_bytes) &&
        oldest != NULL) {
        frag->stats->ip_frag_dropped++;
        release(frag, oldest);
        free_slot = oldest;
    }
    if (free_slot == NULL || frag->bytes_held + MAX_DATAGRAM > frag->max_bytes)
        return NULL;
    free_slot->buf = malloc(MAX_DATAGRAM);
    if (free_slot->buf == NULL)
        return NULL;
    frag->bytes_held += MAX_DATAGRAM;
    free_slot->used = true;
    frag->n_used++;
    free_slot->key = *key;
    free_slot->first_ts_us = ts_us;
    return free_slot;
}

static bool block_filled(const struct datagram *dg, uint32_t block)
{
    return (dg->filled[block / 64] >> (block % 64)) & 1u;
}

static void fill_block(struct datagram *dg, uint32_t block)
{
    dg->filled[block / 64] |= UINT64_C(1) << (block % 64);
}

static bool complete(const struct datagram *dg)
{
    if (!dg->have_last)
        return false;
    uint32_t blocks = (dg->total_len + BLOCK - 1) / BLOCK;
    for (uint32_t b = 0; b < blocks; b++) {
        if (!block_filled(dg, b))
            return false;
    }
    return true;
}

enum gs_ipfrag_result gs_ipfrag_add(struct gs_ipfrag *frag, const struct gs_ipfrag_key *key,
                                    uint64_t ts_us, uint32_t offset, bool more, struct gs_span data,
                                    struct gs_span *datagram)
{
    frag->stats->ip_fragments++;
    free(frag->done_buf);
    frag->done_buf = NULL;

    /* Every fragment but the last carries a multiple of 8 octets; nothing may end past the
     * largest datagram. */
    if ((more && (data.len % BLOCK) != 0) || offset % BLOCK != 0 || data.len > MAX_DATAGRAM ||
        offset > MAX_DATAGRAM - data.len) {
        frag->stats->ip_frag_dropped++;
        return GS_IPFRAG_DROPPED;
    }
    struct datagram *dg = lookup(frag, key, ts_us);
    if (dg == NULL) {
        frag->stats->ip_frag_dropped++;
        return GS_IPFRAG_DROPPED;
    }
    uint32_t end = offset + (uint32_t)data.len;
    if (!more) {
        if (dg->have_last && dg->total_len != end) {
            frag->stats->ip_frag_dropped++;
            release(frag, dg);
            return GS_IPFRAG_DROPPED;
        }
        dg->have_last = true;
        dg->total_len = end;
    } else if (dg->have_last && end > dg->total_len) {
        frag->stats->ip_frag_dropped++;
        release(frag, dg);
        return GS_IPFRAG_DROPPED;
    }

    bool overlap = false;
    for (uint32_t pos = 0; pos < data.len; pos += BLOCK) {
        uint32_t block = (offset + pos) / BLOCK;
        uint32_t n = (uint32_t)data.len - pos < BLOCK ? (uint32_t)data.len - pos : BLOCK;
        if (block_filled(dg, block)) {
            overlap = true;
            continue;
        }
        memcpy(dg->buf + offset + pos, data.ptr + pos, n);
        fill_block(dg, block);
    }
    if (overlap)
        frag->stats->ip_frag_overlaps++;

    if (!complete(dg))
        return GS_IPFRAG_HELD;

    /* Hand the buffer out; it is freed on the next call. */
    frag->done_buf = dg->buf;
    datagram->ptr = dg->buf;
    datagram->len = dg->total_len;
    dg->buf = NULL;
    frag->bytes_held -= MAX_DATAGRAM;
    release(frag, dg);
    frag->stats->ip_reassembled++;
    return GS_IPFRAG_COMPLETE;
}
