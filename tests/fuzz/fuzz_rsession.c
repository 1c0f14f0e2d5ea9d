/*
 * fuzz_rsession.c - the rsession dissector on arbitrary payloads (see fuzz_support.h): each chunk
 * is one UDP datagram to port 102, possibly cut short by the capture.
 */
#include "fuzz_support.h"
#include "rsession.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gs_fuzz_dissector(&gs_rsession_dissector, data, size, GS_TRANSPORT_UDP);
}
