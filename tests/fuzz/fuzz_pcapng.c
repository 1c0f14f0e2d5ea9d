/*
 * fuzz_pcapng.c - the pcapng reader on arbitrary file contents (the whole input is the file;
 * no chunking: block structure is the reader's own business).
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz_support.h"
#include "pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || !gs_pcapng_is_pcapng(data))
        return 0;
    FILE *fp = fmemopen((void *)(uintptr_t)data, size, "rb");
    if (fp == NULL)
        return 0;
    char err[GS_ERRBUF_SIZE];
    struct gs_pcapng *r = gs_pcapng_open(fp, err);
    if (r == NULL)
        return 0;
    struct gs_packet pkt;
    while (gs_pcapng_next(r, &pkt, err) == 1) {
        /* Touch every byte the reader hands out, so ASan sees any over-read. */
        volatile uint8_t sum = 0;
        for (uint32_t i = 0; i < pkt.cap_len; i++)
            sum ^= pkt.data[i];
        (void)sum;
    }
    gs_pcapng_close(r);
    return 0;
}
