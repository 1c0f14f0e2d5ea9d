/*
 * fuzz_dnp3.c - the DNP3 dissector, and behind it the SAv5 detector with test-only update
 * keys (the ITI association 3 -> 4 and those of pcaps/dnp3-sa), so key changes, unwraps and
 * MAC checks run on fuzzed fragments. Selector bit 0 the direction, bit 1 a stream gap before
 * the chunk; bit 2 of the first chunk's selector picks UDP datagrams over a TCP stream (the
 * same bytes exercise both framings).
 */
#include <string.h>

#include "dnp3.h"
#include "dnp3_sa.h"
#include "fuzz_support.h"

/* TEST ONLY keys, publicly known (keys/examples/test-only-*.json). */
static const char test_keys[] =
    "{\"dnp3\": ["
    "{\"master\": 3, \"outstation\": 4, \"user\": 1,"
    " \"update_key\": \"49c87d5d90217aafec8074eb7152fdb5\"},"
    "{\"master\": 1, \"outstation\": 1024, \"user\": 1,"
    " \"update_key\": \"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"},"
    "{\"master\": 2, \"outstation\": 2048, \"user\": 1, \"update_key\":"
    " \"b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf\"},"
    "{\"master\": 3, \"outstation\": 3072, \"user\": 1,"
    " \"update_key\": \"d0d1d2d3d4d5d6d7d8d9dadbdcdddedf\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t first = (size >= 4 && memcmp(data, GS_FUZZ_MAGIC, 4) == 0) ? 4 : 0;
    unsigned transport = (first < size && (data[first] & 4)) ? GS_TRANSPORT_UDP : GS_TRANSPORT_TCP;
    return gs_fuzz_detector(&gs_dnp3_dissector, &gs_dnp3_sa_detector, GS_EVENT_DNP3, test_keys,
                            data, size, transport);
}
