/*
 * test_support.c - shared unit-test helpers (see test_support.h).
 */
#include "test_support.h"

#include "capture.h"
#include "pcapw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

size_t gs_test_hex(uint8_t *out, size_t cap, const char *hex)
{
    return gs_hex(out, cap, hex);
}

static void record(const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    struct gs_test_events *events = ctx->emit_arg;
    if (events->n < GS_TEST_MAX_EVENTS)
        events->types[events->n++] = ev->type;
    if (ev->type == GS_EVENT_ANOMALY && events->n_anomalies < GS_TEST_MAX_EVENTS) {
        const struct gs_anomaly *an = ev->body;
        events->anomalies[events->n_anomalies++] = an->name;
    }
    if (events->hook != NULL)
        events->hook(events->hook_arg, ctx, ev);
}

void gs_test_ctx_init(struct gs_test_ctx *t, struct gs_test_events *events, uint16_t port)
{
    memset(t, 0, sizeof(*t));
    gs_config_defaults(&t->cfg);
    t->flow.flow_id = 1;
    t->flow.src.family = t->flow.dst.family = 4;
    t->flow.src.addr[0] = t->flow.dst.addr[0] = 10;
    t->flow.src.addr[3] = 1;
    t->flow.dst.addr[3] = 2;
    t->flow.src_port = 40000;
    t->flow.dst_port = port;
    t->flow.ip_proto = 6;
    t->flow.dir = GS_DIR_TO_SERVER;
    t->ctx.ts_us = 1700000000000000ull;
    t->ctx.pcap_cnt = 1;
    t->ctx.flow = &t->flow;
    t->ctx.l2 = &t->l2;
    t->ctx.cfg = &t->cfg;
    t->ctx.emit = record;
    t->ctx.emit_arg = events;
}

size_t gs_test_anomaly_count(const struct gs_test_events *events, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < events->n_anomalies; i++) {
        if (strcmp(events->anomalies[i], name) == 0)
            n++;
    }
    return n;
}

long gs_test_count_packets(const char *path)
{
    struct gs_capture *cap;
    char err[GS_ERRBUF_SIZE];
    if (gs_capture_open_file(&cap, path, err) != 0)
        return -1;
    struct gs_packet pkt;
    long n = 0;
    while (gs_capture_next(cap, &pkt, err) == GS_CAPTURE_PACKET)
        n++;
    gs_capture_close(cap);
    return n;
}

const char *gs_test_source_dir(void)
{
    return GS_SOURCE_DIR;
}

const char *gs_test_shared_pcaps(void)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/../shared/pcaps", GS_SOURCE_DIR);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return path;
}

const char *gs_test_gridsensor(void)
{
    return GS_GRIDSENSOR_BIN;
}

/* Appends what is readable on fd to a growing heap string; false at end of file. */
static bool drain(int fd, char **buf, size_t *len, size_t *cap)
{
    if (*cap - *len < 65536) {
        *cap = *cap * 2 + 65536;
        *buf = realloc(*buf, *cap);
        if (*buf == NULL)
            abort();
    }
    ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
    if (n <= 0)
        return false;
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return true;
}

int gs_test_run(char *const argv[], char **out, char **err)
{
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
        abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
    posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        abort();
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    close(err_pipe[1]);
    size_t olen = 0, ocap = 65536, elen = 0, ecap = 65536;
    *out = calloc(1, ocap);
    *err = calloc(1, ecap);
    if (*out == NULL || *err == NULL)
        abort();
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        struct pollfd fds[2] = {{out_pipe[0], out_open ? POLLIN : 0, 0},
                                {err_pipe[0], err_open ? POLLIN : 0, 0}};
        if (poll(fds, 2, -1) < 0)
            break;
        if (out_open && (fds[0].revents & (POLLIN | POLLHUP)))
            out_open = drain(out_pipe[0], out, &olen, &ocap);
        if (err_open && (fds[1].revents & (POLLIN | POLLHUP)))
            err_open = drain(err_pipe[0], err, &elen, &ecap);
    }
    close(out_pipe[0]);
    close(err_pipe[0]);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

void *gs_test_find_stats(const char *output)
{
    const char *line = output;
    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strstr(line, "\"event_type\":\"stats\"") != NULL &&
            (end == NULL || strstr(line, "\"event_type\":\"stats\"") < end)) {
            json_error_t jerr;
            json_t *rec = json_loadb(line, len, 0, &jerr);
            if (rec != NULL)
                return rec;
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}
