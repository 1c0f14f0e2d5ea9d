/*
 * sink.h - where JSON lines go: stdout, a file, and (later) syslog and Redis.
 *
 * Each sink owns a bounded queue (output.queue_bytes) drained by its own writer thread, so a
 * slow or dead destination never stalls capture. When the queue is full a live sensor drops
 * the record and counts it; an offline replay waits instead, because an audit must not lose
 * records silently. Every record written and dropped is counted and reported by --stats.
 */
#ifndef GS_SENSOR_SINK_H
#define GS_SENSOR_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gs_sink;

struct gs_sink_counters {
    uint64_t written;
    uint64_t dropped;
    uint64_t errors;
};

/*
 * Opens a sink from its command-line spelling ("stdout", "file:PATH"). `block_when_full`
 * selects the offline behaviour. Returns NULL with a one-line reason in errbuf (size
 * GS_ERRBUF_SIZE) if the spelling is unknown or the destination cannot be opened.
 */
struct gs_sink *gs_sink_open(const char *spec, bool block_when_full, size_t queue_bytes,
                             char *errbuf);

/* Queues one record (without its newline). Never blocks a live sensor. */
void gs_sink_write(struct gs_sink *sink, const char *line, size_t len);

/* Waits until everything queued so far was written (or dropped by a failing destination). */
void gs_sink_drain(struct gs_sink *sink);

/* Drains, stops the writer and frees the sink. */
void gs_sink_close(struct gs_sink *sink);

/* The spelling the sink was opened with, and its counters so far. */
const char *gs_sink_name(const struct gs_sink *sink);
struct gs_sink_counters gs_sink_counters(struct gs_sink *sink);

#endif
