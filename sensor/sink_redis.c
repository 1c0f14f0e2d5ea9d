/*
 * sink_redis.c - Redis destinations through hiredis: a list (RPUSH, as Suricata's EVE
 * redis output), a stream (XADD with MAXLEN ~ output.redis_stream_maxlen, field "event"), or
 * a pub/sub channel (PUBLISH). Records of a batch are pipelined and their replies read in one
 * round trip.
 *
 *   redis://HOST:PORT/list/KEY | redis://HOST:PORT/stream/KEY | redis://HOST:PORT/channel/NAME
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sink_int.h"

enum redis_mode {
    REDIS_LIST,
    REDIS_STREAM,
    REDIS_CHANNEL,
};

struct redis_dest {
    char host[256];
    int port;
    enum redis_mode mode;
    char key[512];
    char maxlen[16];
    redisContext *ctx;
};

static int dest_connect(struct redis_dest *d, char *errbuf)
{
    struct timeval connect_tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(d->host, d->port, connect_tv);
    if (c == NULL || c->err) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s:%d: %s", d->host, d->port,
                 c != NULL ? c->errstr : "out of memory");
        if (c != NULL)
            redisFree(c);
        return -1;
    }
    /* A server that stops answering must not block the writer forever. */
    struct timeval io_tv = {5, 0};
    redisSetTimeout(c, io_tv);
    d->ctx = c;
    return 0;
}

static void dest_disconnect(struct redis_dest *d)
{
    if (d->ctx != NULL)
        redisFree(d->ctx);
    d->ctx = NULL;
}

static int append(struct redis_dest *d, const struct gs_sink_record *rec)
{
    switch (d->mode) {
    case REDIS_LIST:
        return redisAppendCommand(d->ctx, "RPUSH %s %b", d->key, rec->line, rec->len);
    case REDIS_STREAM:
        return redisAppendCommand(d->ctx, "XADD %s MAXLEN ~ %s * event %b", d->key, d->maxlen,
                                  rec->line, rec->len);
    case REDIS_CHANNEL:
        return redisAppendCommand(d->ctx, "PUBLISH %s %b", d->key, rec->line, rec->len);
    }
    return REDIS_ERR;
}

static size_t redis_deliver(void *arg, const struct gs_sink_record *recs, size_t n, size_t *dropped)
{
    struct redis_dest *d = arg;
    char errbuf[GS_ERRBUF_SIZE];
    if (d->ctx == NULL && dest_connect(d, errbuf) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (append(d, &recs[i]) != REDIS_OK) {
            dest_disconnect(d);
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        void *reply = NULL;
        if (redisGetReply(d->ctx, &reply) != REDIS_OK) {
            /* The connection broke: records after the last reply may not have arrived. */
            dest_disconnect(d);
            return i;
        }
        redisReply *r = reply;
        /* An error reply (wrong type at KEY, out of memory) refuses this record only. */
        if (r->type == REDIS_REPLY_ERROR)
            (*dropped)++;
        freeReplyObject(reply);
    }
    return n;
}

static void redis_close(void *arg)
{
    struct redis_dest *d = arg;
    dest_disconnect(d);
    free(d);
}

static const struct gs_sink_dest_ops redis_ops = {redis_deliver, redis_close};

int gs_sink_redis_open(const char *spec, bool must_connect, const struct gs_config *cfg,
                       void **dest, const struct gs_sink_dest_ops **ops, char *errbuf)
{
    if (strncmp(spec, "redis://", 8) != 0)
        return 0;
    struct redis_dest *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: out of memory", spec);
        return -1;
    }
    const char *rest;
    if (gs_sink_parse_host_port(spec + 8, d->host, sizeof(d->host), &d->port, &rest) != 0 ||
        *rest != '/')
        goto usage;
    rest++;
    if (strncmp(rest, "list/", 5) == 0) {
        d->mode = REDIS_LIST;
        rest += 5;
    } else if (strncmp(rest, "stream/", 7) == 0) {
        d->mode = REDIS_STREAM;
        rest += 7;
    } else if (strncmp(rest, "channel/", 8) == 0) {
        d->mode = REDIS_CHANNEL;
        rest += 8;
    } else {
        goto usage;
    }
    /* Keys go to Redis as one argument (%s); spaces would only confuse an operator. */
    if (*rest == '\0' || strlen(rest) >= sizeof(d->key) || strpbrk(rest, " \t\r\n") != NULL)
        goto usage;
    snprintf(d->key, sizeof(d->key), "%s", rest);
    snprintf(d->maxlen, sizeof(d->maxlen), "%u", cfg->output_redis_stream_maxlen);
    char why[GS_ERRBUF_SIZE];
    if (dest_connect(d, why) != 0 && must_connect) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: %.300s", spec, why);
        free(d);
        return -1;
    }
    *dest = d;
    *ops = &redis_ops;
    return 1;

usage:
    snprintf(errbuf, GS_ERRBUF_SIZE,
             "output %s: expected redis://HOST:PORT/list/KEY, /stream/KEY or /channel/NAME", spec);
    free(d);
    return -1;
}
