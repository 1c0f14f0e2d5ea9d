/*
 * fuzz_dnp3.c - the DNP3 dissector on its own: selector bit 0 the direction, bit 1 a stream
 * gap before the chunk; bit 2 of the first chunk's selector picks UDP datagrams over a TCP
 * stream (the same bytes exercise both framings).
 */
#include <string.h>

#include "dnp3.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t first = (size >= 4 && memcmp(data, GS_FUZZ_MAGIC, 4) == 0) ? 4 : 0;
    unsigned transport = (first < size && (data[first] & 4)) ? GS_TRANSPORT_UDP : GS_TRANSPORT_TCP;
    return gs_fuzz_dissector(&gs_dnp3_dissector, data, size, transport);
}
