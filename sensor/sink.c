/*
 * sink.c - output sinks: a bounded queue and a writer thread in front of a destination
 * (see sink.h).
 *
 * The queue is a byte ring of records, each stored as one kind byte, the line, and '\n'.
 * The capture thread appends under a mutex; the writer copies out everything queued, then
 * delivers it outside the lock in batches, retrying a failing destination with backoff while
 * the records stay in its hands.
 */
#include "sink.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sink_int.h"

#define BATCH          256
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct gs_sink {
    char *name;
    const struct gs_sink_dest_ops *ops;
    void *dest;
    bool offline;
    uint64_t give_up_ms; /* offline: drop after failing this long */

    pthread_mutex_t lock;
    pthread_cond_t have_data;
    pthread_cond_t have_space;
    pthread_t writer;
    char *ring;
    size_t cap;
    size_t head; /* next byte to write out */
    size_t used;
    size_t in_flight; /* bytes the writer took and is delivering */
    bool stopping;
    bool warned;
    struct gs_sink_counters counters;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sleeps up to ms unless the sink is stopping; returns true if it is stopping. */
static bool backoff_wait(struct gs_sink *sink, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000u;
    until.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sink->lock);
    while (!sink->stopping) {
        if (pthread_cond_timedwait(&sink->have_data, &sink->lock, &until) == ETIMEDOUT)
            break;
    }
    bool stopping = sink->stopping;
    pthread_mutex_unlock(&sink->lock);
    return stopping;
}

static void count(struct gs_sink *sink, uint64_t written, uint64_t dropped, bool error)
{
    pthread_mutex_lock(&sink->lock);
    sink->counters.written += written;
    sink->counters.dropped += dropped;
    if (error)
        sink->counters.errors++;
    pthread_mutex_unlock(&sink->lock);
}

/*
 * Delivers a batch, retrying while the destination fails. Live, it keeps trying until the
 * sensor stops (new records meanwhile queue, then drop); offline, it gives up after
 * give_up_ms so a dead destination cannot hang a replay. Undelivered records are dropped and
 * counted.
 */
static void deliver_batch(struct gs_sink *sink, struct gs_sink_record *recs, size_t n)
{
    size_t done = 0;
    unsigned backoff = BACKOFF_MIN_MS;
    uint64_t failing_since = 0;
    while (done < n) {
        size_t dropped = 0;
        size_t d = sink->ops->deliver(sink->dest, recs + done, n - done, &dropped);
        if (d > 0) {
            count(sink, d - dropped, dropped, false);
            done += d;
            backoff = BACKOFF_MIN_MS;
            failing_since = 0;
            continue;
        }
        count(sink, 0, 0, true);
        if (failing_since == 0)
            failing_since = now_ms();
        bool stop = backoff_wait(sink, backoff);
        bool expired = sink->offline && now_ms() - failing_since >= sink->give_up_ms;
        if (stop || expired) {
            /* One last try once the sensor is stopping, then drop what remains. */
            dropped = 0;
            d = stop ? sink->ops->deliver(sink->dest, recs + done, n - done, &dropped) : 0;
            count(sink, d - dropped, n - done - d + dropped, false);
            if (n - done - d > 0 && !sink->warned) {
                gs_log(GS_LOG_WARN, "output %s: destination unreachable, dropping records",
                       sink->name);
                sink->warned = true;
            }
            return;
        }
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

/* Splits a chunk of queued records and delivers them BATCH at a time. */
static void deliver_chunk(struct gs_sink *sink, const char *chunk, size_t len)
{
    struct gs_sink_record recs[BATCH];
    size_t n = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(chunk + pos + 1, '\n', len - pos - 1);
        size_t end = nl != NULL ? (size_t)(nl - chunk) : len;
        recs[n].kind = (enum gs_record_kind)(unsigned char)chunk[pos];
        recs[n].line = chunk + pos + 1;
        recs[n].len = end - pos - 1;
        n++;
        pos = end + 1;
        if (n == BATCH) {
            deliver_batch(sink, recs, n);
            n = 0;
        }
    }
    if (n > 0)
        deliver_batch(sink, recs, n);
}

static void *writer_main(void *arg)
{
    struct gs_sink *sink = arg;
    char *chunk = malloc(sink->cap);
    pthread_mutex_lock(&sink->lock);
    for (;;) {
        while (sink->used == 0 && !sink->stopping)
            pthread_cond_wait(&sink->have_data, &sink->lock);
        if (sink->used == 0 && sink->stopping)
            break;
        size_t n = sink->used;
        size_t first = sink->cap - sink->head < n ? sink->cap - sink->head : n;
        if (chunk != NULL) {
            memcpy(chunk, sink->ring + sink->head, first);
            memcpy(chunk + first, sink->ring, n - first);
        }
        sink->head = (sink->head + n) % sink->cap;
        sink->used = 0;
        sink->in_flight = n;
        pthread_cond_broadcast(&sink->have_space);
        pthread_mutex_unlock(&sink->lock);

        if (chunk != NULL)
            deliver_chunk(sink, chunk, n);

        pthread_mutex_lock(&sink->lock);
        sink->in_flight = 0;
        pthread_cond_broadcast(&sink->have_space);
    }
    pthread_mutex_unlock(&sink->lock);
    free(chunk);
    return NULL;
}

static int open_dest(const char *spec, bool offline, const struct gs_config *cfg, void **dest,
                     const struct gs_sink_dest_ops **ops, char *errbuf)
{
    int rc = gs_sink_fd_open(spec, dest, ops, errbuf);
    if (rc == 0)
        rc = gs_sink_syslog_open(spec, offline, cfg, dest, ops, errbuf);
    if (rc == 0)
        rc = gs_sink_redis_open(spec, offline, cfg, dest, ops, errbuf);
    if (rc == 0)
        snprintf(errbuf, GS_ERRBUF_SIZE,
                 "unknown output '%s' (use stdout, file:PATH, syslog, syslog+udp://HOST:PORT, "
                 "syslog+tcp://HOST:PORT or redis://HOST:PORT/list|stream|channel/NAME)",
                 spec);
    return rc == 1 ? 0 : -1;
}

struct gs_sink *gs_sink_open(const char *spec, bool offline, const struct gs_config *cfg,
                             char *errbuf)
{
    void *dest;
    const struct gs_sink_dest_ops *ops;
    if (open_dest(spec, offline, cfg, &dest, &ops, errbuf) != 0)
        return NULL;
    struct gs_sink *sink = calloc(1, sizeof(*sink));
    if (sink == NULL)
        goto oom;
    sink->name = strdup(spec);
    sink->ring = malloc(cfg->output_queue_bytes);
    if (sink->name == NULL || sink->ring == NULL)
        goto oom;
    sink->ops = ops;
    sink->dest = dest;
    sink->offline = offline;
    sink->give_up_ms = (uint64_t)cfg->output_retry_s * 1000u;
    sink->cap = cfg->output_queue_bytes;
    pthread_mutex_init(&sink->lock, NULL);
    pthread_cond_init(&sink->have_data, NULL);
    pthread_cond_init(&sink->have_space, NULL);
    if (pthread_create(&sink->writer, NULL, writer_main, sink) != 0)
        goto oom;
    return sink;

oom:
    ops->close(dest);
    if (sink != NULL) {
        free(sink->name);
        free(sink->ring);
        free(sink);
    }
    snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: out of memory", spec);
    return NULL;
}

void gs_sink_write(struct gs_sink *sink, const char *line, size_t len, enum gs_record_kind kind)
{
    size_t need = len + 2;
    pthread_mutex_lock(&sink->lock);
    if (need > sink->cap) {
        sink->counters.dropped++;
        pthread_mutex_unlock(&sink->lock);
        return;
    }
    while (sink->cap - sink->used < need) {
        if (!sink->offline) {
            sink->counters.dropped++;
            pthread_mutex_unlock(&sink->lock);
            return;
        }
        pthread_cond_wait(&sink->have_space, &sink->lock);
    }
    size_t tail = (sink->head + sink->used) % sink->cap;
    sink->ring[tail] = (char)kind;
    tail = tail + 1 == sink->cap ? 0 : tail + 1;
    size_t first = sink->cap - tail < len ? sink->cap - tail : len;
    memcpy(sink->ring + tail, line, first);
    memcpy(sink->ring, line + first, len - first);
    tail = (tail + len) % sink->cap;
    sink->ring[tail] = '\n';
    /* The writer sleeps only on an empty queue: waking it for every record would cost a
     * futex call per record. */
    if (sink->used == 0)
        pthread_cond_signal(&sink->have_data);
    sink->used += need;
    pthread_mutex_unlock(&sink->lock);
}

void gs_sink_drain(struct gs_sink *sink)
{
    pthread_mutex_lock(&sink->lock);
    while (sink->used != 0 || sink->in_flight != 0)
        pthread_cond_wait(&sink->have_space, &sink->lock);
    pthread_mutex_unlock(&sink->lock);
}

void gs_sink_close(struct gs_sink *sink)
{
    if (sink == NULL)
        return;
    if (sink->offline)
        gs_sink_drain(sink);
    pthread_mutex_lock(&sink->lock);
    sink->stopping = true;
    pthread_cond_broadcast(&sink->have_data);
    pthread_mutex_unlock(&sink->lock);
    pthread_join(sink->writer, NULL);
    sink->ops->close(sink->dest);
    if (sink->counters.dropped != 0)
        gs_log(GS_LOG_WARN, "output %s: %llu records dropped, %llu written", sink->name,
               (unsigned long long)sink->counters.dropped,
               (unsigned long long)sink->counters.written);
    pthread_mutex_destroy(&sink->lock);
    pthread_cond_destroy(&sink->have_data);
    pthread_cond_destroy(&sink->have_space);
    free(sink->ring);
    free(sink->name);
    free(sink);
}

const char *gs_sink_name(const struct gs_sink *sink)
{
    return sink->name;
}

struct gs_sink_counters gs_sink_counters(struct gs_sink *sink)
{
    pthread_mutex_lock(&sink->lock);
    struct gs_sink_counters c = sink->counters;
    pthread_mutex_unlock(&sink->lock);
    return c;
}

int gs_sink_parse_host_port(const char *text, char *host, size_t host_len, int *port,
                            const char **rest)
{
    const char *p = text;
    const char *host_end;
    if (*p == '[') {
        host_end = strchr(p, ']');
        if (host_end == NULL)
            return -1;
        p++;
    } else {
        host_end = strchr(p, ':');
        if (host_end == NULL)
            return -1;
    }
    size_t n = (size_t)(host_end - p);
    if (n == 0 || n >= host_len)
        return -1;
    memcpy(host, p, n);
    host[n] = '\0';
    const char *colon = *text == '[' ? host_end + 1 : host_end;
    if (*colon != ':')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || errno != 0 || v < 1 || v > 65535 || (*end != '\0' && *end != '/'))
        return -1;
    *port = (int)v;
    *rest = end;
    return 0;
}
