/*
 * fuzz_iec104.c - the IEC 104 dissector as the sensor drives it: chunks are in-order TCP
 * bytes of the direction their selector names, left-over bytes kept for the next chunk,
 * gaps reported with selector bit 1 (see fuzz_support.h). Behind it runs the IEC 62351-5
 * detector with test-only update keys (pcaps/iec104.pcap's and pcaps/iec104-sa/'s), so key
 * changes, unwraps and MAC checks run on fuzzed ASDUs.
 */
#include <stdlib.h>

#include "fuzz_support.h"
#include "iec104.h"
#include "iec104_sa.h"
#include "keystore.h"

/* TEST ONLY keys, publicly known. */
static const char test_keys[] =
    "{\"iec104\": ["
    "{\"common_address\": 1, \"user\": 1, \"update_key\": \"000102030405060708090a0b0c0d0e0f\"},"
    "{\"common_address\": 3, \"user\": 1, \"update_key\": \"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"},"
    "{\"common_address\": 2, \"user\": 1, \"update_key\":"
    " \"b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf\"}]}";

static void on_alert(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *alert)
{
    (void)arg;
    (void)ctx;
    if (alert->sig == NULL || alert->n_fields > GS_ALERT_MAX_FIELDS)
        abort();
}

static void to_detector(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    if (ev->type == GS_EVENT_IEC104)
        gs_iec104_sa_detector.on_event(arg, ctx, ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gs_keystore *keys;
    static struct gs_config cfg;
    static struct gs_detect_env env;
    char errbuf[GS_ERRBUF_SIZE];
    if (keys == NULL) {
        if (gs_keystore_parse(test_keys, sizeof(test_keys) - 1, "fuzz", &keys, errbuf) != 0)
            abort();
        gs_config_defaults(&cfg);
        env = (struct gs_detect_env){.cfg = &cfg, .keys = keys, .alert = on_alert};
    }
    void *det = NULL;
    if (gs_iec104_sa_detector.create(&det, &env, errbuf) != 0)
        abort();
    gs_fuzz_dissector_hook(&gs_iec104_dissector, data, size, GS_TRANSPORT_TCP, to_detector, det);
    gs_iec104_sa_detector.destroy(det);
    return 0;
}
