/*
 * test_support.h - helpers shared by the unit tests: hex byte vectors, a packet context
 * whose emitted events are recorded, and paths to the project's and the shared captures.
 */
#ifndef GS_TESTS_TEST_SUPPORT_H
#define GS_TESTS_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissector.h"

/* Parses hex ("05 64 0a", spaces and newlines ignored) into out; aborts on bad input. */
size_t gs_test_hex(uint8_t *out, size_t cap, const char *hex);

#define GS_TEST_MAX_EVENTS 512

/* Records what a dissector emits: event types, and anomaly names in order. A test that
 * needs event bodies sets `hook`, called with every event while its body is valid. */
struct gs_test_events {
    size_t n;
    enum gs_event_type types[GS_TEST_MAX_EVENTS];
    const char *anomalies[GS_TEST_MAX_EVENTS];
    size_t n_anomalies;
    void (*hook)(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev);
    void *hook_arg;
};

/* A packet context for calling a dissector directly: a TCP flow 10.0.0.1:40000 ->
 * 10.0.0.2:port, default config, events recorded into *events. */
struct gs_test_ctx {
    struct gs_pkt_ctx ctx;
    struct gs_flow_info flow;
    struct gs_l2_info l2;
    struct gs_config cfg;
};

void gs_test_ctx_init(struct gs_test_ctx *t, struct gs_test_events *events, uint16_t port);

/* How many times an anomaly name was emitted. */
size_t gs_test_anomaly_count(const struct gs_test_events *events, const char *name);

/* Number of packets in a capture file (read with the sensor's own capture module). */
long gs_test_count_packets(const char *path);

/* Directory of the project's source tree (set by CMake). */
const char *gs_test_source_dir(void);

/* ../shared/pcaps beside the project, or NULL when absent (tests then skip). */
const char *gs_test_shared_pcaps(void);

/* Path of the built gridsensor executable (set by CMake). */
const char *gs_test_gridsensor(void);

/*
 * Runs argv[0] with argv (no shell), capturing stdout and stderr into heap strings the caller
 * frees. Returns the exit status, or 128 + signal number if it was killed.
 */
int gs_test_run(char *const argv[], char **out, char **err);

/* The stats record ("event_type":"stats") in a run's output, parsed; NULL if absent.
 * Returns a jansson json_t * (declared void * here to keep jansson out of this header). */
void *gs_test_find_stats(const char *output);

/* Each unit-test file ends with GS_TEST_MAIN(suite_<module>): one CTest binary per module. */
#define GS_TEST_MAIN(suite_fn)                                                                     \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *runner = srunner_create(suite_fn());                                              \
        srunner_run_all(runner, CK_NORMAL);                                                        \
        int failed = srunner_ntests_failed(runner);                                                \
        srunner_free(runner);                                                                      \
        return failed == 0 ? 0 : 1;                                                                \
    }

#endif
