/*
 * fuzz_iec104.c - the IEC 104 dissector as the sensor drives it: chunks are in-order TCP
 * bytes of the direction their selector names, left-over bytes kept for the next chunk,
 * gaps reported with selector bit 1 (see fuzz_support.h).
 */
#include "fuzz_support.h"
#include "iec104.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gs_fuzz_dissector(&gs_iec104_dissector, data, size, GS_TRANSPORT_TCP);
}
