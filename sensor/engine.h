/*
 * engine.h - the per-packet pipeline: decode -> flow -> TCP reassembly -> dissect -> detect
 * -> output. One engine per capture thread; it owns its flows and counters.
 */
#ifndef GS_SENSOR_ENGINE_H
#define GS_SENSOR_ENGINE_H

#include <stdbool.h>

#include "config.h"
#include "decode.h"
#include "detector.h"
#include "dissector.h"
#include "output_json.h"
#include "stats.h"

struct gs_classifier;

struct gs_engine_options {
    const struct gs_config *cfg;
    bool log_events;
    bool classify; /* run nDPI on flows no dissector claims */
    /* A classifier to borrow instead of creating one (nDPI start-up is slow: the fuzzer
     * shares one across inputs). NULL: the engine creates and owns its own when classify. */
    struct gs_classifier *classifier;
    /* NULL-terminated tables; NULL selects the built-in registries. */
    const struct gs_dissector *const *dissectors;
    const struct gs_detector *const *detectors;
    const struct gs_keystore *keys;
    const struct gs_policy *policy;
    struct gs_baseline *baseline; /* --baseline model (detectors/baseline.h), or NULL */
    struct gs_output *output;     /* records go here; NULL discards them (tests, benchmarks) */
};

struct gs_engine;

/* Creates an engine; returns NULL with a one-line reason in errbuf. */
struct gs_engine *gs_engine_create(const struct gs_engine_options *opts, char *errbuf);

/* Processes one packet. Packets must come in capture order; time never runs backwards for
 * the engine (a packet older than the clock is processed at the clock). */
void gs_engine_packet(struct gs_engine *eng, const struct gs_packet *pkt);

/* Advances packet time without a packet (live capture with an idle link). */
void gs_engine_advance(struct gs_engine *eng, uint64_t now_us);

/* End of input: flushes every flow and gives detectors a last look at the clock. */
void gs_engine_finish(struct gs_engine *eng);

/* Emits the stats record to the output. */
void gs_engine_report_stats(struct gs_engine *eng);

const struct gs_stats *gs_engine_stats(const struct gs_engine *eng);

/* Records facts about the capture itself for the stats record: input files read, or a live
 * capture's kernel and interface drop counts. */
void gs_engine_note_capture(struct gs_engine *eng, bool live, uint64_t files, uint64_t kernel_drops,
                            uint64_t iface_drops);

void gs_engine_destroy(struct gs_engine *eng);

#endif
