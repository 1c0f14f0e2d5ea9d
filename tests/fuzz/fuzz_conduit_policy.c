/*
 * fuzz_conduit_policy.c - the whole pipeline as fuzz_decode drives it, with the conduit policy
 * of tests/regress/policy/policy.json loaded and every finding reported (policy.realert_s=0),
 * so the detector's allow-lists, publisher checks, conduit matching and alert text run on
 * whatever the dissectors make of hostile packets.
 */
#include <pcap/dlt.h>
#include <stdlib.h>

#include "classify.h"
#include "engine.h"
#include "fuzz_support.h"
#include "policy.h"

struct state {
    struct gs_engine *engine;
    uint64_t pcap_cnt;
};

static void on_packet(void *arg, uint8_t selector, const uint8_t *data, size_t len)
{
    static const int dlts[] = {DLT_EN10MB,     DLT_EN10MB, DLT_EN10MB, DLT_LINUX_SLL,
                               DLT_LINUX_SLL2, DLT_RAW,    DLT_NULL,   DLT_EN10MB};
    struct state *st = arg;
    size_t cut = (size_t)(selector >> 3);
    struct gs_packet pkt = {
        .ts_us = 1700000000000000ull + st->pcap_cnt * 250000u,
        .pcap_cnt = ++st->pcap_cnt,
        .data = data,
        .cap_len = (uint32_t)(cut < len ? len - cut : len),
        .wire_len = (uint32_t)len,
        .dlt = dlts[selector & 7],
    };
    gs_engine_packet(st->engine, &pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    cfg.flow_max_flows = 64;
    cfg.ipfrag_max_datagrams = 8;
    cfg.redundancy_max_nodes = 16;
    cfg.output_queue_bytes = 65536;
    cfg.policy_max_reported = 64;
    cfg.policy_realert_s = 0;
    char errbuf[GS_ERRBUF_SIZE];
    static const char *const sinks[] = {"file:/dev/null"};
    struct gs_output *out = gs_output_create(sinks, 1, true, &cfg, errbuf);
    /* nDPI start-up and the policy file are loaded once for every input. */
    static struct gs_classifier *classifier;
    static struct gs_policy *policy;
    if (classifier == NULL)
        classifier = gs_classifier_create();
    if (policy == NULL && gs_policy_load(&policy, GS_POLICY_FILE, errbuf) != 0)
        abort();
    struct gs_engine_options opts = {
        .cfg = &cfg, .classify = true, .classifier = classifier, .policy = policy, .output = out};
    struct state st = {.engine = gs_engine_create(&opts, errbuf)};
    if (out == NULL || st.engine == NULL)
        abort();
    gs_fuzz_split(data, size, on_packet, &st);
    gs_engine_finish(st.engine);
    gs_engine_destroy(st.engine);
    gs_output_destroy(out);
    return 0;
}
