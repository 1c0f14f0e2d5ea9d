/*
 * sink.h - where JSON lines go: stdout, a file, syslog (local, UDP, TCP) and Redis (list,
 * stream, pub/sub channel).
 *
 * Each sink owns a bounded queue (output.queue_bytes) drained by its own writer thread, so a
 * slow or dead destination never stalls capture. When the queue is full a live sensor drops
 * the record and counts it; an offline replay waits instead, because an audit must not lose
 * records silently. A network destination that fails is retried with backoff while records
 * stay queued; offline, a destination that stays down for output.retry_s has its records
 * dropped (and counted) rather than hanging the replay. Every record written and dropped is
 * counted and reported by --stats, and drops are reported on stderr at exit.
 */
#ifndef GS_SENSOR_SINK_H
#define GS_SENSOR_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct gs_sink;

struct gs_sink_counters {
    uint64_t written;
    uint64_t dropped;
    uint64_t errors;
};

/* What a record is, for destinations that classify messages (syslog priority and MSGID). */
enum gs_record_kind {
    GS_RECORD_ALERT_HIGH = 1, /* alert severity 1 */
    GS_RECORD_ALERT_MEDIUM,   /* alert severity 2 */
    GS_RECORD_ALERT_LOW,      /* alert severity 3 */
    GS_RECORD_EVENT,          /* --log-events protocol and anomaly records */
    GS_RECORD_STATS,
};

/*
 * Opens a sink from its command-line spelling: stdout, file:PATH, syslog,
 * syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, redis://HOST:PORT/list/KEY,
 * redis://HOST:PORT/stream/KEY, redis://HOST:PORT/channel/NAME. `offline` selects the
 * replay behaviour (wait when full; a network destination must be reachable at start).
 * Returns NULL with a one-line reason in errbuf (GS_ERRBUF_SIZE).
 */
struct gs_sink *gs_sink_open(const char *spec, bool offline, const struct gs_config *cfg,
                             char *errbuf);

/* Queues one record (a line without its newline). Never blocks a live sensor. */
void gs_sink_write(struct gs_sink *sink, const char *line, size_t len, enum gs_record_kind kind);

/* Waits until everything queued so far was written or dropped. */
void gs_sink_drain(struct gs_sink *sink);

/* Drains, stops the writer and frees the sink. */
void gs_sink_close(struct gs_sink *sink);

/* The spelling the sink was opened with, and its counters so far. */
const char *gs_sink_name(const struct gs_sink *sink);
struct gs_sink_counters gs_sink_counters(struct gs_sink *sink);

#endif
