/*
 * names.c - value-to-name table lookup.
 */
#include "names.h"

#include <stddef.h>

const char *gs_name_lookup(const struct gs_name_map *map, uint32_t value, const char *fallback)
{
    for (; map->name != NULL; map++) {
        if (map->value == value)
            return map->name;
    }
    return fallback;
}
