/*
 * stats.c - counter helpers.
 */
#include "stats.h"

void gs_stats_count_link(struct gs_stats *stats, int dlt)
{
    for (int i = 0; i < GS_STATS_MAX_LINK_TYPES; i++) {
        struct gs_link_type_count *lt = &stats->link_types[i];
        if (lt->packets != 0 && lt->dlt == dlt) {
            lt->packets++;
            return;
        }
        if (lt->packets == 0) {
            lt->dlt = dlt;
            lt->packets = 1;
            return;
        }
    }
    /* More link types in one run than slots: fold the rest into the last one. */
    stats->link_types[GS_STATS_MAX_LINK_TYPES - 1].packets++;
}
