/*
 * fuzz_mms.c - the MMS dissector (TPKT, COTP, session, presentation, ACSE, MMS) driven as a
 * TCP stream: each chunk is in-order bytes of the direction its selector's low bit names,
 * selector bit 1 reporting a gap first. Seeds: tests/fuzz/corpus/mms/, payloads of TCP 102
 * from the shared captures (pcap2corpus -p 102).
 */
#include "fuzz_support.h"
#include "mms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gs_fuzz_dissector(&gs_mms_dissector, data, size, GS_TRANSPORT_TCP);
}
