/*
 * sink_int.h - the destination interface behind a sink, shared by sink.c and the destination
 * files (sink_fd.c, sink_syslog.c, sink_redis.c). Nothing outside the sink module includes it.
 */
#ifndef GS_SENSOR_SINK_INT_H
#define GS_SENSOR_SINK_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "sink.h"

struct gs_sink_record {
    const char *line;
    size_t len;
    enum gs_record_kind kind;
};

struct gs_sink_dest_ops {
    /*
     * Delivers records in order; returns how many were handled before a failure (n when all
     * were). A record the destination can never take (e.g. larger than a UDP datagram) is
     * handled by dropping it and adding it to *dropped. Runs on the writer thread. A
     * destination that failed reconnects itself on the next call.
     */
    size_t (*deliver)(void *dest, const struct gs_sink_record *recs, size_t n, size_t *dropped);
    void (*close)(void *dest);
};

/*
 * Each opener recognises its spellings: it returns 1 and sets dest and ops when `spec` is one of
 * its own, 0 when it is not, and -1 with errbuf set when it is but cannot be opened.
 * `must_connect` asks network destinations to fail now if unreachable (offline replay).
 */
int gs_sink_fd_open(const char *spec, void **dest, const struct gs_sink_dest_ops **ops,
                    char *errbuf);
int gs_sink_syslog_open(const char *spec, bool must_connect, const struct gs_config *cfg,
                        void **dest, const struct gs_sink_dest_ops **ops, char *errbuf);
int gs_sink_redis_open(const char *spec, bool must_connect, const struct gs_config *cfg,
                       void **dest, const struct gs_sink_dest_ops **ops, char *errbuf);

/* Splits "HOST:PORT" or "[V6HOST]:PORT" (up to a '/' or the end) into host and port. */
int gs_sink_parse_host_port(const char *text, char *host, size_t host_len, int *port,
                            const char **rest);

#endif
