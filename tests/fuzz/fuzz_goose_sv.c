/*
 * fuzz_goose_sv.c - the goose_sv detector behind the real pipeline: each chunk is one Ethernet
 * frame (GOOSE, SV, or R-GOOSE/R-SV over UDP), its selector choosing how far packet time moves
 * before it (1 us << (selector >> 3)), so TAL expiry, key times and hold-downs are reached.
 * The key store holds the test-only keys of pcaps/goose-sv/ and pcaps/goose.pcap, so tags are
 * verified over fuzzed coverage candidates; the tables hold 4 publishers (eviction runs) and
 * every alert is written (hold-down 0) as JSON to /dev/null.
 */
#include <stdlib.h>

#include "engine.h"
#include "fuzz_support.h"
#include "goose_sv.h"
#include "keystore.h"

/* TEST ONLY keys, publicly known (keys/examples/test-only-goose-sv.json). */
static const char test_keys[] =
    "{\"goose\": ["
    "{\"appid\": 513, \"gocb_ref\": \"ATKIED1/LLN0$GO$gcbPos\", \"key_id\": 11,"
    " \"algorithm\": \"hmac-sha256-128\","
    " \"key\": \"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\"},"
    "{\"appid\": 769, \"gocb_ref\": \"RATK1/LLN0$GO$gcbR\", \"key_id\": 31,"
    " \"algorithm\": \"hmac-sha256-128\","
    " \"key\": \"505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f\"},"
    "{\"appid\": 35, \"gocb_ref\": \"SECIED3/LLN0$GO$gcbPacked\", \"key_id\": 2,"
    " \"algorithm\": \"hmac-sha256-80\","
    " \"key\": \"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\"}],"
    " \"sv\": ["
    "{\"appid\": 16897, \"sv_id\": \"ATKMU1\", \"key_id\": 21, \"algorithm\": \"hmac-sha256-256\","
    " \"key\": \"303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f\"},"
    "{\"appid\": 17153, \"sv_id\": \"RATKMU1\", \"key_id\": 32, \"algorithm\": \"aes-gmac-128\","
    " \"key\": \"707172737475767778797a7b7c7d7e7f\"},"
    "{\"appid\": 16418, \"sv_id\": \"SECMU1\", \"key_id\": 4, \"algorithm\": \"aes-gmac-64\","
    " \"key\": \"606162636465666768696a6b6c6d6e6f\"}]}";

struct state {
    struct gs_engine *engine;
    uint64_t pcap_cnt, ts;
};

static void on_packet(void *arg, uint8_t selector, const uint8_t *data, size_t len)
{
    struct state *st = arg;
    st->ts += 1ull << (selector >> 3);
    struct gs_packet pkt = {.ts_us = st->ts,
                            .pcap_cnt = ++st->pcap_cnt,
                            .data = data,
                            .cap_len = (uint32_t)len,
                            .wire_len = (uint32_t)len,
                            .dlt = 1};
    gs_engine_packet(st->engine, &pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gs_keystore *keys;
    char errbuf[GS_ERRBUF_SIZE];
    if (keys == NULL &&
        gs_keystore_parse(test_keys, sizeof(test_keys) - 1, "fuzz", &keys, errbuf) != 0)
        abort();
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    cfg.goose_max_publishers = 4;
    cfg.sv_max_streams = 4;
    cfg.goose_alert_holddown_s = 0;
    cfg.sv_alert_holddown_s = 0;
    cfg.output_queue_bytes = 65536;
    cfg.flow_max_flows = 64;
    cfg.ipfrag_max_datagrams = 8;
    cfg.redundancy_max_nodes = 16;
    static const char *const sinks[] = {"file:/dev/null"};
    struct gs_output *out = gs_output_create(sinks, 1, true, &cfg, errbuf);
    static const struct gs_detector *const dets[] = {&gs_goose_sv_detector, NULL};
    struct gs_engine_options opts = {.cfg = &cfg, .detectors = dets, .keys = keys, .output = out};
    struct state st = {.engine = gs_engine_create(&opts, errbuf), .ts = 1795017600000000ull};
    if (out == NULL || st.engine == NULL)
        abort();
    gs_fuzz_split(data, size, on_packet, &st);
    gs_engine_finish(st.engine);
    gs_engine_destroy(st.engine);
    gs_output_destroy(out);
    return 0;
}
