/*
 * fuzz_tls.c - the TLS dissector driven as the sensor drives it (stream mode, both
 * directions, gaps), certificates through OpenSSL included.
 */
#include "fuzz_support.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gs_fuzz_dissector(&gs_tls_dissector, data, size, GS_TRANSPORT_TCP);
}
