/*
 * guard_buf.h - test inputs placed flush against an inaccessible page, so a read one byte past
 * the end faults even without AddressSanitizer (picohttpparser's technique).
 */
#ifndef GS_TESTS_GUARD_BUF_H
#define GS_TESTS_GUARD_BUF_H

#include <stddef.h>
#include <stdint.h>

struct gs_guard_buf {
    uint8_t *map;
    size_t map_len;
    const uint8_t *data; /* len bytes ending exactly at the guard page */
    size_t len;
};

/* Copies len bytes of src to the end of a fresh mapping followed by a PROT_NONE page. */
const uint8_t *gs_guard_alloc(struct gs_guard_buf *g, const void *src, size_t len);
void gs_guard_free(struct gs_guard_buf *g);

#endif
