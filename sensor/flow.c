/*
 * flow.c - the flow table (see flow.h).
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

struct gs_flow_table {
    struct gs_flow *flows;
    uint32_t capacity;
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint32_t free_head; /* free slots chained through hash_next */
    uint32_t lru_head;  /* most recently seen */
    uint32_t lru_tail;  /* seen longest ago */
    uint64_t idle_us;
    uint64_t hash_seed;
    struct gs_flow_stats *stats;
    gs_flow_release_fn *release;
    void *release_arg;
};

/* 64-bit mix (splitmix64 finaliser): good spread for a cheap, non-cryptographic hash. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static uint64_t key_hash(const struct gs_flow_key *key, uint64_t seed)
{
    uint64_t h = seed ^ ((uint64_t)key->family << 56 | (uint64_t)key->ip_proto << 48 |
                         (uint64_t)key->vlan << 32 | (uint64_t)key->port_lo << 16 | key->port_hi);
    for (int i = 0; i < 16; i += 8) {
        uint64_t lo = 0, hi = 0;
        memcpy(&lo, key->addr_lo + i, 8);
        memcpy(&hi, key->addr_hi + i, 8);
        h = mix64(h ^ lo);
        h = mix64(h ^ hi);
    }
    return h;
}

struct gs_flow_table *gs_flow_table_create(const struct gs_config *cfg, struct gs_flow_stats *stats,
                                           gs_flow_release_fn *release, void *release_arg)
{
    struct gs_flow_table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->capacity = cfg->flow_max_flows;
    uint32_t buckets = 16;
    while (buckets < t->capacity * 2u && buckets < (1u << 31))
        buckets <<= 1;
    t->flows = calloc(t->capacity, sizeof(*t->flows));
    t->buckets = malloc(sizeof(*t->buckets) * buckets);
    if (t->flows == NULL || t->buckets == NULL) {
        free(t->flows);
        free(t->buckets);
        free(t);
        return NULL;
    }
    memset(t->buckets, 0xFF, sizeof(*t->buckets) * buckets);
    t->bucket_mask = buckets - 1;
    for (uint32_t i = 0; i < t->capacity; i++)
        t->flows[i].hash_next = i + 1 < t->capacity ? i + 1 : NONE;
    t->free_head = 0;
    t->lru_head = t->lru_tail = NONE;
    t->idle_us = (uint64_t)cfg->flow_idle_timeout_s * 1000000u;
    /* The bucket seed only spreads keys; ids and output never depend on it. */
    t->hash_seed = mix64((uint64_t)(uintptr_t)t ^ UINT64_C(0x6a09e667f3bcc909));
    t->stats = stats;
    t->release = release;
    t->release_arg = release_arg;
    return t;
}

void gs_flow_table_destroy(struct gs_flow_table *table)
{
    if (table == NULL)
        return;
    gs_flow_flush(table);
    free(table->flows);
    free(table->buckets);
    free(table);
}

static int endpoint_cmp(const struct gs_ip *a, uint16_t pa, const struct gs_ip *b, uint16_t pb)
{
    size_t n = a->family == 6 ? 16 : 4;
    int c = memcmp(a->addr, b->addr, n);
    if (c != 0)
        return c;
    return pa < pb ? -1 : pa > pb;
}

void gs_flow_key_make(struct gs_flow_key *key, const struct gs_ip *src, const struct gs_ip *dst,
                      uint16_t src_port, uint16_t dst_port, uint8_t ip_proto, uint16_t vlan,
                      bool *swapped)
{
    memset(key, 0, sizeof(*key));
    key->family = src->family;
    key->ip_proto = ip_proto;
    key->vlan = vlan;
    *swapped = endpoint_cmp(src, src_port, dst, dst_port) > 0;
    const struct gs_ip *lo = *swapped ? dst : src;
    const struct gs_ip *hi = *swapped ? src : dst;
    memcpy(key->addr_lo, lo->addr, 16);
    memcpy(key->addr_hi, hi->addr, 16);
    key->port_lo = *swapped ? dst_port : src_port;
    key->port_hi = *swapped ? src_port : dst_port;
}

static bool key_equal(const struct gs_flow_key *a, const struct gs_flow_key *b)
{
    return a->family == b->family && a->ip_proto == b->ip_proto && a->vlan == b->vlan &&
           a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
           memcmp(a->addr_lo, b->addr_lo, 16) == 0 && memcmp(a->addr_hi, b->addr_hi, 16) == 0;
}

static uint32_t *bucket_of(struct gs_flow_table *t, const struct gs_flow_key *key)
{
    return &t->buckets[key_hash(key, t->hash_seed) & t->bucket_mask];
}

struct gs_flow *gs_flow_find(struct gs_flow_table *table, const struct gs_flow_key *key)
{
    for (uint32_t i = *bucket_of(table, key); i != NONE; i = table->flows[i].hash_next) {
        if (key_equal(&table->flows[i].key, key))
            return &table->flows[i];
    }
    return NULL;
}

static uint32_t index_of(const struct gs_flow_table *t, const struct gs_flow *flow)
{
    return (uint32_t)(flow - t->flows);
}

static void lru_unlink(struct gs_flow_table *t, struct gs_flow *flow)
{
    if (flow->lru_prev != NONE)
        t->flows[flow->lru_prev].lru_next = flow->lru_next;
    else
        t->lru_head = flow->lru_next;
    if (flow->lru_next != NONE)
        t->flows[flow->lru_next].lru_prev = flow->lru_prev;
    else
        t->lru_tail = flow->lru_prev;
    flow->lru_prev = flow->lru_next = NONE;
}

static void lru_push_head(struct gs_flow_table *t, struct gs_flow *flow)
{
    uint32_t idx = index_of(t, flow);
    flow->lru_prev = NONE;
    flow->lru_next = t->lru_head;
    if (t->lru_head != NONE)
        t->flows[t->lru_head].lru_prev = idx;
    t->lru_head = idx;
    if (t->lru_tail == NONE)
        t->lru_tail = idx;
}

void gs_flow_remove(struct gs_flow_table *table, struct gs_flow *flow, enum gs_flow_end why)
{
    table->release(table->release_arg, flow, why);
    bool was_closed = flow->closed;
    uint32_t idx = index_of(table, flow);
    uint32_t *link = bucket_of(table, &flow->key);
    while (*link != idx)
        link = &table->flows[*link].hash_next;
    *link = flow->hash_next;
    lru_unlink(table, flow);
    memset(flow, 0, sizeof(*flow));
    flow->hash_next = table->free_head;
    flow->lru_prev = flow->lru_next = NONE;
    table->free_head = idx;
    table->stats->active--;
    if (was_closed)
        table->stats->closed++;
    switch (why) {
    case GS_FLOW_END_IDLE:
        table->stats->expired++;
        break;
    case GS_FLOW_END_EVICTED:
        table->stats->evicted++;
        break;
    case GS_FLOW_END_REPLACED:
    case GS_FLOW_END_SHUTDOWN:
        break;
    }
}

/* Flow ids are a function of the key and the first packet time, so two runs over the same
 * input give the same ids; 52 bits keep them exact in any JSON consumer. */
static uint64_t make_flow_id(const struct gs_flow_key *key, uint64_t ts_us)
{
    uint64_t h = mix64(key_hash(key, UINT64_C(0x243f6a8885a308d3)) ^ ts_us);
    h &= (UINT64_C(1) << 52) - 1;
    return h ? h : 1;
}

struct gs_flow *gs_flow_create(struct gs_flow_table *table, const struct gs_flow_key *key,
                               uint64_t ts_us)
{
    if (table->free_head == NONE)
        gs_flow_remove(table, &table->flows[table->lru_tail], GS_FLOW_END_EVICTED);
    uint32_t idx = table->free_head;
    struct gs_flow *flow = &table->flows[idx];
    table->free_head = flow->hash_next;
    memset(flow, 0, sizeof(*flow));
    flow->key = *key;
    flow->in_use = true;
    flow->first_ts_us = flow->last_ts_us = ts_us;
    flow->flow_id = make_flow_id(key, ts_us);
    uint32_t *bucket = bucket_of(table, key);
    flow->hash_next = *bucket;
    *bucket = idx;
    lru_push_head(table, flow);
    table->stats->created++;
    table->stats->active++;
    if (table->stats->active > table->stats->max_active)
        table->stats->max_active = table->stats->active;
    return flow;
}

void gs_flow_touch(struct gs_flow_table *table, struct gs_flow *flow, uint64_t ts_us)
{
    if (ts_us > flow->last_ts_us)
        flow->last_ts_us = ts_us;
    if (table->lru_head == index_of(table, flow))
        return;
    lru_unlink(table, flow);
    lru_push_head(table, flow);
}

void gs_flow_expire(struct gs_flow_table *table, uint64_t now_us)
{
    while (table->lru_tail != NONE) {
        struct gs_flow *oldest = &table->flows[table->lru_tail];
        if (oldest->last_ts_us + table->idle_us >= now_us)
            return;
        gs_flow_remove(table, oldest, GS_FLOW_END_IDLE);
    }
}

bool gs_flow_evict_oldest(struct gs_flow_table *table, const struct gs_flow *keep)
{
    if (table->lru_tail == NONE || &table->flows[table->lru_tail] == keep)
        return false;
    gs_flow_remove(table, &table->flows[table->lru_tail], GS_FLOW_END_EVICTED);
    return true;
}

void gs_flow_flush(struct gs_flow_table *table)
{
    while (table->lru_tail != NONE)
        gs_flow_remove(table, &table->flows[table->lru_tail], GS_FLOW_END_SHUTDOWN);
}
