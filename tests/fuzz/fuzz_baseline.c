/*
 * fuzz_baseline.c - the baseline detector behind the whole pipeline: the packets (chunks as in
 * fuzz_decode, 250 ms apart) are learned into a baseline of at most 16 series, the baseline is
 * written and read back, and the same packets are enforced against it with policy polls, so
 * request kinds built from hostile names, evictions, the file round trip, missed polls, rate
 * windows and new talkers all see fuzzed input.
 */
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "baseline.h"
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

static void run(const struct gs_config *cfg, const struct gs_policy *policy,
                struct gs_baseline *baseline, const uint8_t *data, size_t size)
{
    char errbuf[GS_ERRBUF_SIZE];
    static const char *const sinks[] = {"file:/dev/null"};
    struct gs_output *out = gs_output_create(sinks, 1, true, cfg, errbuf);
    struct gs_engine_options opts = {
        .cfg = cfg, .policy = policy, .baseline = baseline, .output = out};
    struct state st = {.engine = gs_engine_create(&opts, errbuf)};
    if (out == NULL || st.engine == NULL)
        abort();
    gs_fuzz_split(data, size, on_packet, &st);
    gs_engine_finish(st.engine);
    gs_engine_report_stats(st.engine);
    gs_engine_destroy(st.engine);
    gs_output_destroy(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    cfg.flow_max_flows = 64;
    cfg.output_queue_bytes = 65536;
    cfg.baseline_max_series = 16;
    cfg.baseline_learn_samples = 8;
    cfg.baseline_min_samples = 2;
    char errbuf[GS_ERRBUF_SIZE], path[64];
    static struct gs_policy *policy;
    if (policy == NULL) {
        static const char text[] =
            "{\"conduits\": [{\"name\": \"C-ANY\", \"protocol\": \"dnp3\", \"poll\": "
            "{\"period_s\": 2}}, {\"name\": \"C-104\", \"protocol\": \"iec104\", \"poll\": "
            "{\"period_s\": 1, \"tolerance\": 0, \"kind\": \"testfr_act\"}}, {\"name\": "
            "\"C-ONE\", \"protocol\": \"mms\", \"clients\": [\"10.0.0.1\"], \"servers\": "
            "[\"10.0.0.2\"], \"poll\": {\"period_s\": 3}}]}";
        snprintf(path, sizeof(path), "/tmp/gs-fuzz-policy-%ld.json", (long)getpid());
        FILE *fp = fopen(path, "w");
        if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0 ||
            gs_policy_load(&policy, path, errbuf) != 0)
            abort();
        unlink(path);
    }
    struct gs_baseline *learned = NULL, *loaded = NULL;
    if (gs_baseline_create_learning(&learned, &cfg, errbuf) != 0)
        abort();
    run(&cfg, NULL, learned, data, size);
    snprintf(path, sizeof(path), "/tmp/gs-fuzz-baseline-%ld.json", (long)getpid());
    struct gs_baseline_saved saved;
    if (gs_baseline_save(learned, path, &saved, errbuf) != 0 ||
        gs_baseline_load(&loaded, path, &cfg, errbuf) != 0) {
        fprintf(stderr, "%s\n", errbuf);
        abort();
    }
    unlink(path);
    /* What learning writes, loading takes back whole. */
    if (gs_baseline_series_count(loaded) != saved.series || saved.series > cfg.baseline_max_series)
        abort();
    run(&cfg, policy, loaded, data, size);
    gs_baseline_free(learned);
    gs_baseline_free(loaded);
    return 0;
}
