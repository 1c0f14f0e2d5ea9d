/*
 * sink.c - output sinks with a bounded queue and a writer thread (see sink.h).
 *
 * The queue is a byte ring of newline-terminated records. The capture thread appends under a
 * mutex; the writer takes everything queued, writes it outside the lock, and signals space.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

struct sink_ops {
    /* Writes all of buf or fails; returns 0 or -1. */
    int (*write_all)(struct gs_sink *sink, const char *buf, size_t len);
    void (*close)(struct gs_sink *sink);
};

struct gs_sink {
    char *name;
    const struct sink_ops *ops;
    int fd;
    bool block_when_full;

    pthread_mutex_t lock;
    pthread_cond_t have_data;
    pthread_cond_t have_space;
    pthread_t writer;
    char *ring;
    size_t cap;
    size_t head; /* next byte to write out */
    size_t used;
    size_t in_flight; /* bytes the writer took and is writing */
    bool stopping;
    struct gs_sink_counters counters;
};

static int fd_write_all(struct gs_sink *sink, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(sink->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fd_close(struct gs_sink *sink)
{
    if (sink->fd > STDERR_FILENO)
        close(sink->fd);
}

static const struct sink_ops fd_ops = {fd_write_all, fd_close};

/* Counts the records in a chunk of newline-terminated lines. */
static uint64_t count_lines(const char *buf, size_t len)
{
    uint64_t n = 0;
    for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))) != NULL; p++)
        n++;
    return n;
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
        /* Copy out what is queued so writing happens without the lock. */
        size_t n = sink->used;
        size_t first = sink->cap - sink->head < n ? sink->cap - sink->head : n;
        if (chunk != NULL) {
            memcpy(chunk, sink->ring + sink->head, first);
            memcpy(chunk + first, sink->ring, n - first);
        }
        sink->head = (sink->head + n) % sink->cap;
        sink->used = 0;
        sink->in_flight = n;
        pthread_mutex_unlock(&sink->lock);

        uint64_t lines = chunk != NULL ? count_lines(chunk, n) : 0;
        int rc = chunk != NULL ? sink->ops->write_all(sink, chunk, n) : -1;

        pthread_mutex_lock(&sink->lock);
        sink->in_flight = 0;
        if (rc == 0) {
            sink->counters.written += lines;
        } else {
            sink->counters.errors++;
            sink->counters.dropped += lines;
        }
        pthread_cond_broadcast(&sink->have_space);
    }
    pthread_mutex_unlock(&sink->lock);
    free(chunk);
    return NULL;
}

static struct gs_sink *sink_new(const char *spec, const struct sink_ops *ops, int fd,
                                bool block_when_full, size_t queue_bytes)
{
    struct gs_sink *sink = calloc(1, sizeof(*sink));
    if (sink == NULL)
        return NULL;
    sink->name = strdup(spec);
    sink->ring = malloc(queue_bytes);
    if (sink->name == NULL || sink->ring == NULL) {
        free(sink->name);
        free(sink->ring);
        free(sink);
        return NULL;
    }
    sink->ops = ops;
    sink->fd = fd;
    sink->block_when_full = block_when_full;
    sink->cap = queue_bytes;
    pthread_mutex_init(&sink->lock, NULL);
    pthread_cond_init(&sink->have_data, NULL);
    pthread_cond_init(&sink->have_space, NULL);
    if (pthread_create(&sink->writer, NULL, writer_main, sink) != 0) {
        free(sink->name);
        free(sink->ring);
        free(sink);
        return NULL;
    }
    return sink;
}

struct gs_sink *gs_sink_open(const char *spec, bool block_when_full, size_t queue_bytes,
                             char *errbuf)
{
    int fd;
    if (strcmp(spec, "stdout") == 0) {
        fd = STDOUT_FILENO;
    } else if (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0') {
        const char *path = spec + 5;
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: %s", path, strerror(errno));
            return NULL;
        }
    } else {
        snprintf(errbuf, GS_ERRBUF_SIZE, "unknown output '%s' (use stdout or file:PATH)", spec);
        return NULL;
    }
    struct gs_sink *sink = sink_new(spec, &fd_ops, fd, block_when_full, queue_bytes);
    if (sink == NULL) {
        if (fd > STDERR_FILENO)
            close(fd);
        snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: out of memory", spec);
    }
    return sink;
}

void gs_sink_write(struct gs_sink *sink, const char *line, size_t len)
{
    size_t need = len + 1;
    pthread_mutex_lock(&sink->lock);
    if (need > sink->cap) {
        sink->counters.dropped++;
        pthread_mutex_unlock(&sink->lock);
        return;
    }
    while (sink->cap - sink->used < need) {
        if (!sink->block_when_full) {
            sink->counters.dropped++;
            pthread_mutex_unlock(&sink->lock);
            return;
        }
        pthread_cond_wait(&sink->have_space, &sink->lock);
    }
    size_t tail = (sink->head + sink->used) % sink->cap;
    for (size_t i = 0; i < need; i++) {
        sink->ring[tail] = i < len ? line[i] : '\n';
        tail = tail + 1 == sink->cap ? 0 : tail + 1;
    }
    sink->used += need;
    pthread_cond_signal(&sink->have_data);
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
    pthread_mutex_lock(&sink->lock);
    sink->stopping = true;
    pthread_cond_signal(&sink->have_data);
    pthread_mutex_unlock(&sink->lock);
    pthread_join(sink->writer, NULL);
    sink->ops->close(sink);
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
