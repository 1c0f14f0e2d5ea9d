/*
 * fuzz_dnp3.c - the DNP3 dissector, and behind it the SAv5 detector with test-only update
 * keys (the ITI association 3 -> 4 and those of pcaps/dnp3-sa), so key changes, unwraps and
 * MAC checks run on fuzzed fragments. Selector bit 0 the direction, bit 1 a stream gap before
 * the chunk; bit 2 of the first chunk's selector picks UDP datagrams over a TCP stream (the
 * same bytes exercise both framings).
 */
#include <stdlib.h>
#include <string.h>

#include "dnp3.h"
#include "dnp3_sa.h"
#include "fuzz_support.h"
#include "keystore.h"

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

static void on_alert(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_alert *alert)
{
    (void)arg;
    (void)ctx;
    if (alert->sig == NULL || alert->n_fields > GS_ALERT_MAX_FIELDS)
        abort();
}

static void to_detector(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    if (ev->type == GS_EVENT_DNP3)
        gs_dnp3_sa_detector.on_event(arg, ctx, ev);
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
    if (gs_dnp3_sa_detector.create(&det, &env, errbuf) != 0)
        abort();
    size_t first = (size >= 4 && memcmp(data, GS_FUZZ_MAGIC, 4) == 0) ? 4 : 0;
    unsigned transport = (first < size && (data[first] & 4)) ? GS_TRANSPORT_UDP : GS_TRANSPORT_TCP;
    gs_fuzz_dissector_hook(&gs_dnp3_dissector, data, size, transport, to_detector, det);
    gs_dnp3_sa_detector.destroy(det);
    return 0;
}
