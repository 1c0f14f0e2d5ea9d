/*
 * fuzz_decode.c - the whole per-packet pipeline: each chunk is one captured packet, its
 * selector picking the link type (and, from bit 3 up, how many bytes the capture cut).
 * Packets run through decode, flows, TCP reassembly and every registered dissector.
 */
#include <pcap/dlt.h>
#include <stdlib.h>

#include "classify.h"
#include "engine.h"
#include "fuzz_support.h"

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
    char errbuf[GS_ERRBUF_SIZE];
    /* Records are formatted and written to /dev/null so the JSON formatters are fuzzed too. */
    static const char *const sinks[] = {"file:/dev/null"};
    struct gs_output *out = gs_output_create(sinks, 1, true, &cfg, errbuf);
    /* nDPI takes a tenth of a second to start: one classifier serves every input. */
    static struct gs_classifier *classifier;
    if (classifier == NULL)
        classifier = gs_classifier_create();
    struct gs_engine_options opts = {
        .cfg = &cfg, .log_events = true, .classify = true, .classifier = classifier, .output = out};
    struct state st = {.engine = gs_engine_create(&opts, errbuf)};
    if (out == NULL || st.engine == NULL)
        abort();
    gs_fuzz_split(data, size, on_packet, &st);
    gs_engine_finish(st.engine);
    gs_engine_report_stats(st.engine);
    gs_engine_destroy(st.engine);
    gs_output_destroy(out);
    return 0;
}
