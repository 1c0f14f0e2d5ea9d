/*
 * names.h - value-to-name tables ({0, NULL}-terminated), as tcpdump's tok2str.
 */
#ifndef GS_DISSECTORS_NAMES_H
#define GS_DISSECTORS_NAMES_H

#include <stdint.h>

struct gs_name_map {
    uint32_t value;
    const char *name;
};

/* The name mapped to `value`, or `fallback` (which may be NULL) when the table has none. */
const char *gs_name_lookup(const struct gs_name_map *map, uint32_t value, const char *fallback);

#endif
