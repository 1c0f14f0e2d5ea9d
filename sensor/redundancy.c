/*
 * redundancy.c - PRP/HSR duplicate discard (see redundancy.h).
 */
#include "redundancy.h"

#include <stdlib.h>
#include <string.h>

#define WINDOW       256u
#define WINDOW_WORDS (WINDOW / 64u)

struct node {
    uint8_t mac[6];
    bool used;
    uint16_t highest;
    uint64_t last_use;
    uint64_t seen[WINDOW_WORDS]; /* bit d: sequence number highest - d was seen */
};

struct gs_redundancy {
    struct node *nodes;
    uint32_t n_nodes;
    uint32_t mask; /* n_nodes is a power of two */
    uint64_t clock;
};

struct gs_redundancy *gs_redundancy_create(uint32_t max_nodes)
{
    struct gs_redundancy *red = calloc(1, sizeof(*red));
    if (red == NULL)
        return NULL;
    uint32_t n = 16;
    while (n < max_nodes && n < (1u << 30))
        n <<= 1;
    red->nodes = calloc(n, sizeof(*red->nodes));
    if (red->nodes == NULL) {
        free(red);
        return NULL;
    }
    red->n_nodes = n;
    red->mask = n - 1;
    return red;
}

void gs_redundancy_destroy(struct gs_redundancy *red)
{
    if (red == NULL)
        return;
    free(red->nodes);
    free(red);
}

static uint32_t mac_hash(const uint8_t mac[6])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 6; i++)
        h = (h ^ mac[i]) * 16777619u;
    return h;
}

static bool test_bit(const struct node *n, uint32_t d)
{
    return (n->seen[d / 64] >> (d % 64)) & 1u;
}

static void set_bit(struct node *n, uint32_t d)
{
    n->seen[d / 64] |= UINT64_C(1) << (d % 64);
}

/* Moves the window forward by `by` sequence numbers. */
static void advance(struct node *n, uint32_t by)
{
    if (by >= WINDOW) {
        memset(n->seen, 0, sizeof(n->seen));
        return;
    }
    uint32_t words = by / 64, bits = by % 64;
    for (int i = (int)WINDOW_WORDS - 1; i >= 0; i--) {
        uint64_t v = (uint32_t)i >= words ? n->seen[(uint32_t)i - words] << bits : 0;
        if (bits != 0 && (uint32_t)i >= words + 1)
            v |= n->seen[(uint32_t)i - words - 1] >> (64 - bits);
        n->seen[i] = v;
    }
}

/* Linear probing over a bounded number of slots; when none is free the least recently used
 * of the probed slots is reused. */
#define PROBES 8u

static struct node *find_node(struct gs_redundancy *red, const uint8_t mac[6], bool *fresh)
{
    uint32_t h = mac_hash(mac);
    struct node *victim = NULL;
    for (uint32_t i = 0; i < PROBES; i++) {
        struct node *n = &red->nodes[(h + i) & red->mask];
        if (n->used && memcmp(n->mac, mac, 6) == 0) {
            *fresh = false;
            return n;
        }
        if (!n->used) {
            if (victim == NULL || victim->used)
                victim = n;
        } else if (victim == NULL || (victim->used && n->last_use < victim->last_use)) {
            victim = n;
        }
    }
    memset(victim, 0, sizeof(*victim));
    memcpy(victim->mac, mac, 6);
    victim->used = true;
    *fresh = true;
    return victim;
}

bool gs_redundancy_is_duplicate(struct gs_redundancy *red, const uint8_t src_mac[6], uint16_t seq)
{
    bool fresh;
    struct node *n = find_node(red, src_mac, &fresh);
    n->last_use = ++red->clock;
    if (fresh) {
        n->highest = seq;
        set_bit(n, 0);
        return false;
    }
    uint16_t ahead = (uint16_t)(seq - n->highest);
    if (ahead != 0 && ahead < 0x8000u) {
        advance(n, ahead);
        n->highest = seq;
        set_bit(n, 0);
        return false;
    }
    uint32_t behind = (uint16_t)(n->highest - seq);
    if (behind >= WINDOW) {
        /* Far behind: the node restarted its counter. Start a new window there. */
        memset(n->seen, 0, sizeof(n->seen));
        n->highest = seq;
        set_bit(n, 0);
        return false;
    }
    if (test_bit(n, behind))
        return true;
    set_bit(n, behind);
    return false;
}
