/*
 * guard_buf.c - inputs flush against a PROT_NONE page (see guard_buf.h).
 */
#include "guard_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const uint8_t *gs_guard_alloc(struct gs_guard_buf *g, const void *src, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (len + page - 1) / page;
    if (data_pages == 0)
        data_pages = 1;
    g->map_len = (data_pages + 1) * page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        perror("mmap");
        abort();
    }
    uint8_t *guard = g->map + data_pages * page;
    if (mprotect(guard, page, PROT_NONE) != 0) {
        perror("mprotect");
        abort();
    }
    uint8_t *data = guard - len;
    if (len != 0)
        memcpy(data, src, len);
    g->data = data;
    g->len = len;
    return data;
}

void gs_guard_free(struct gs_guard_buf *g)
{
    if (g->map != NULL)
        munmap(g->map, g->map_len);
    g->map = NULL;
}
