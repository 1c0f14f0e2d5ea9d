/*
 * fuzz_iec104.c - the IEC 104 dissector as the sensor drives it: chunks are in-order TCP
 * bytes of the direction their selector names, left-over bytes kept for the next chunk,
 * gaps reported with selector bit 1 (see fuzz_support.h). Behind it runs the IEC 62351-5
 * detector with test-only update keys (pcaps/iec104.pcap's and pcaps/iec104-sa/'s), so key
 * changes, unwraps and MAC checks run on fuzzed ASDUs.
 */
#include "fuzz_support.h"
#include "iec104.h"
#include "iec104_sa.h"

/* TEST ONLY keys, publicly known. */
static const char test_keys[] =
    "{\"iec104\": ["
    "{\"common_address\": 1, \"user\": 1, \"update_key\": \"000102030405060708090a0b0c0d0e0f\"},"
    "{\"common_address\": 3, \"user\": 1, \"update_key\": \"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"},"
    "{\"common_address\": 2, \"user\": 1, \"update_key\":"
    " \"b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gs_fuzz_detector(&gs_iec104_dissector, &gs_iec104_sa_detector, GS_EVENT_IEC104,
                            test_keys, data, size, GS_TRANSPORT_TCP);
}
