/*
 * fuzz_sv.c - the sv dissector on arbitrary payloads (see fuzz_support.h): each chunk is one
 * layer-2 payload after the EtherType, possibly cut short by the capture.
 */
#include "fuzz_support.h"
#include "sv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gs_fuzz_dissector(&gs_sv_dissector, data, size, GS_TRANSPORT_L2);
}
