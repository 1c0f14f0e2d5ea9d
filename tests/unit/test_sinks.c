/*
 * test_sinks.c - the network outputs against real servers on 127.0.0.1: RFC 5424 syslog over
 * UDP and TCP (receivers opened by the test), and Redis list, stream and pub/sub channel (a
 * redis-server the test starts and stops). Also: an unreachable destination refused at start
 * of a replay, and a destination that dies mid-run dropping and counting, never hanging.
 * Each run writes the same records to a file too, so counts are compared record for record.
 */
#include <arpa/inet.h>
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sink.h"
#include "test_support.h"

extern char **environ;

static char demo[4096];
static char file_path[64];
static char file_spec[80];

static void setup(void)
{
    snprintf(demo, sizeof(demo), "%s/pcaps/demo.pcap", gs_test_source_dir());
    snprintf(file_path, sizeof(file_path), "/tmp/gs-sinks-XXXXXX");
    close(mkstemp(file_path));
    snprintf(file_spec, sizeof(file_spec), "file:%s", file_path);
}

static void teardown(void)
{
    unlink(file_path);
}

/* Number of records the file output got in the same run. */
static size_t file_records(void)
{
    FILE *fp = fopen(file_path, "r");
    ck_assert_ptr_nonnull(fp);
    size_t n = 0;
    int c;
    while ((c = fgetc(fp)) != EOF)
        n += c == '\n';
    fclose(fp);
    return n;
}

static int bound_socket(int type, int *port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int run_sensor(const char *out_spec, char **err, const char *extra)
{
    char *argv[] = {(char *)gs_test_gridsensor(),
                    "--log-events",
                    "--stats",
                    "-o",
                    (char *)out_spec,
                    "-o",
                    file_spec,
                    "-r",
                    demo,
                    (char *)extra,
                    NULL};
    char *out;
    int rc = gs_test_run(argv, &out, err);
    free(out);
    return rc;
}

/* Checks one RFC 5424 message: header fields, then a JSON record. */
static void check_syslog_message(const char *msg, size_t len)
{
    ck_assert_msg(len > 4 && msg[0] == '<', "not syslog: %.*s", (int)len, msg);
    int pri = atoi(msg + 1);
    ck_assert_int_ge(pri, 16 * 8);
    ck_assert_int_lt(pri, 17 * 8);
    const char *gt = memchr(msg, '>', len);
    ck_assert_ptr_nonnull(gt);
    ck_assert_msg(strncmp(gt + 1, "1 ", 2) == 0, "version: %.*s", (int)len, msg);
    const char *app = strstr(msg, " gridsensor ");
    ck_assert_ptr_nonnull(app);
    const char *json = strstr(msg, " - {");
    ck_assert_ptr_nonnull(json);
    json_error_t jerr;
    json_t *rec = json_loadb(json + 3, len - (size_t)(json + 3 - msg), 0, &jerr);
    ck_assert_msg(rec != NULL, "bad JSON in syslog message: %s", jerr.text);
    const char *type = json_string_value(json_object_get(rec, "event_type"));
    const char *msgid = strcmp(type, "stats") == 0   ? " stats - {"
                        : strcmp(type, "alert") == 0 ? " alert - {"
                                                     : " event - {";
    ck_assert_ptr_nonnull(strstr(msg, msgid));
    json_decref(rec);
}

START_TEST(test_sinks_syslog_udp)
{
    int port;
    int fd = bound_socket(SOCK_DGRAM, &port);
    char spec[64];
    snprintf(spec, sizeof(spec), "syslog+udp://127.0.0.1:%d", port);
    char *err;
    ck_assert_int_eq(run_sensor(spec, &err, NULL), 0);
    ck_assert_str_eq(err, "");
    free(err);
    size_t got = 0;
    char buf[65536];
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, 500) == 1) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        ck_assert_int_gt(n, 0);
        check_syslog_message(buf, (size_t)n);
        got++;
    }
    close(fd);
    ck_assert_uint_gt(got, 0);
    ck_assert_uint_eq(got, file_records());
}
END_TEST

struct tcp_receiver {
    int listen_fd;
    size_t messages;
    bool close_at_once;
};

/* Accepts one connection and reads RFC 6587 octet-counted frames until the sender closes. */
static void *tcp_receive(void *arg)
{
    struct tcp_receiver *rx = arg;
    int fd = accept(rx->listen_fd, NULL, NULL);
    if (rx->close_at_once) {
        close(fd);
        close(rx->listen_fd);
        return NULL;
    }
    static char buf[1 << 20];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0) {
        len += (size_t)n;
        size_t pos = 0;
        for (;;) {
            char *sp = memchr(buf + pos, ' ', len - pos);
            if (sp == NULL)
                break;
            size_t frame = strtoul(buf + pos, NULL, 10);
            size_t start = (size_t)(sp + 1 - buf);
            if (len - start < frame)
                break;
            check_syslog_message(buf + start, frame);
            rx->messages++;
            pos = start + frame;
        }
        memmove(buf, buf + pos, len - pos);
        len -= pos;
    }
    close(fd);
    return NULL;
}

START_TEST(test_sinks_syslog_tcp)
{
    struct tcp_receiver rx = {0};
    int port;
    rx.listen_fd = bound_socket(SOCK_STREAM, &port);
    listen(rx.listen_fd, 4);
    pthread_t t;
    pthread_create(&t, NULL, tcp_receive, &rx);
    char spec[64];
    snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
    char *err;
    ck_assert_int_eq(run_sensor(spec, &err, NULL), 0);
    ck_assert_str_eq(err, "");
    free(err);
    pthread_join(t, NULL);
    close(rx.listen_fd);
    ck_assert_uint_gt(rx.messages, 0);
    ck_assert_uint_eq(rx.messages, file_records());
}
END_TEST

START_TEST(test_sinks_unreachable_at_start)
{
    int port;
    int fd = bound_socket(SOCK_STREAM, &port); /* bound, never listening: refused */
    char spec[64];
    snprintf(spec, sizeof(spec), "redis://127.0.0.1:%d/list/gs", port);
    char *err;
    ck_assert_int_eq(run_sensor(spec, &err, NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, spec));
    ck_assert_ptr_null(strchr(strchr(err, '\n') + 1, '\n'));
    free(err);
    snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
    ck_assert_int_eq(run_sensor(spec, &err, NULL), 2);
    free(err);
    close(fd);
}
END_TEST

/* A destination that refuses from the start: a live sink keeps the records queued while it
 * retries, and drops and counts them when the sensor stops. */
START_TEST(test_sinks_live_destination_down)
{
    int port;
    int fd = bound_socket(SOCK_STREAM, &port); /* bound, never listening: refused */
    char spec[64];
    snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_sink *sink = gs_sink_open(spec, false, &cfg, err);
    ck_assert_ptr_nonnull(sink);
    for (int i = 0; i < 50; i++)
        gs_sink_write(sink, "{\"event_type\":\"alert\"}", 23, GS_RECORD_ALERT_HIGH);
    usleep(300000);
    struct gs_sink_counters c = gs_sink_counters(sink);
    ck_assert_uint_eq(c.written + c.dropped, 0); /* still queued, being retried */
    ck_assert_uint_gt(c.errors, 0);
    gs_sink_close(sink);
    close(fd);
}
END_TEST

/* The receiver takes the connection and closes it, and the port stops listening: an offline
 * sink gives up after output.retry_s, drops and counts, and never hangs the replay. */
START_TEST(test_sinks_offline_destination_dies)
{
    struct tcp_receiver rx = {.close_at_once = true};
    int port;
    rx.listen_fd = bound_socket(SOCK_STREAM, &port);
    listen(rx.listen_fd, 4);
    pthread_t t;
    pthread_create(&t, NULL, tcp_receive, &rx);
    char spec[64];
    snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    cfg.output_retry_s = 1;
    char err[GS_ERRBUF_SIZE];
    struct gs_sink *sink = gs_sink_open(spec, true, &cfg, err);
    ck_assert_ptr_nonnull(sink);
    pthread_join(t, NULL);
    usleep(100000);
    for (int i = 0; i < 50; i++)
        gs_sink_write(sink, "{\"event_type\":\"alert\"}", 23, GS_RECORD_ALERT_HIGH);
    gs_sink_drain(sink);
    struct gs_sink_counters c = gs_sink_counters(sink);
    ck_assert_uint_eq(c.written + c.dropped, 50);
    /* At most the first batch can vanish into the dying connection. */
    ck_assert_uint_gt(c.dropped, 0);
    gs_sink_close(sink);
}
END_TEST

/* ---- Redis -------------------------------------------------------------------------------- */

static pid_t redis_pid;

static int start_redis(void)
{
    int port;
    int fd = bound_socket(SOCK_STREAM, &port);
    close(fd);
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", port);
    char *argv[] = {"redis-server", "--port", port_text,    "--bind",  "127.0.0.1", "--save", "",
                    "--appendonly", "no",     "--loglevel", "warning", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", 1, 0);
    ck_assert_int_eq(posix_spawnp(&redis_pid, "redis-server", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 100; i++) {
        redisContext *c = redisConnect("127.0.0.1", port);
        if (c != NULL && !c->err) {
            redisFree(c);
            return port;
        }
        if (c != NULL)
            redisFree(c);
        usleep(50000);
    }
    ck_abort_msg("redis-server did not start");
    return -1;
}

static void stop_redis(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
}

static long long integer_reply(redisContext *c, const char *cmd, const char *key)
{
    redisReply *r = redisCommand(c, cmd, key);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

START_TEST(test_sinks_redis)
{
    if (system("command -v redis-server >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP: redis-server is not installed (scripts/setup.sh --test)\n");
        return;
    }
    int port = start_redis();
    redisContext *sub = redisConnect("127.0.0.1", port);
    redisReply *r = redisCommand(sub, "SUBSCRIBE gs-alerts");
    freeReplyObject(r);

    char list[96], stream[96], channel[96];
    snprintf(list, sizeof(list), "redis://127.0.0.1:%d/list/gs-eve", port);
    snprintf(stream, sizeof(stream), "redis://127.0.0.1:%d/stream/gs-stream", port);
    snprintf(channel, sizeof(channel), "redis://127.0.0.1:%d/channel/gs-alerts", port);
    char *argv[] = {(char *)gs_test_gridsensor(),
                    "--log-events",
                    "--stats",
                    "-o",
                    list,
                    "-o",
                    stream,
                    "-o",
                    channel,
                    "-o",
                    file_spec,
                    "-r",
                    demo,
                    NULL};
    char *out, *err;
    ck_assert_int_eq(gs_test_run(argv, &out, &err), 0);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    size_t records = file_records();
    ck_assert_uint_gt(records, 0);

    redisContext *c = redisConnect("127.0.0.1", port);
    ck_assert_int_eq(integer_reply(c, "LLEN %s", "gs-eve"), (long long)records);
    ck_assert_int_eq(integer_reply(c, "XLEN %s", "gs-stream"), (long long)records);
    r = redisCommand(c, "LINDEX gs-eve -1");
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    ck_assert_ptr_nonnull(strstr(r->str, "\"event_type\":\"stats\""));
    freeReplyObject(r);
    redisFree(c);

    struct timeval tv = {1, 0};
    redisSetTimeout(sub, tv);
    size_t published = 0;
    void *reply;
    while (redisGetReply(sub, &reply) == REDIS_OK) {
        redisReply *m = reply;
        if (m->type == REDIS_REPLY_ARRAY && m->elements == 3)
            published++;
        freeReplyObject(m);
    }
    redisFree(sub);
    stop_redis();
    ck_assert_uint_eq(published, records);
}
END_TEST

static Suite *suite_sinks(void)
{
    Suite *s = suite_create("sinks");
    TCase *tc = tcase_create("network");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sinks_syslog_udp);
    tcase_add_test(tc, test_sinks_syslog_tcp);
    tcase_add_test(tc, test_sinks_unreachable_at_start);
    tcase_add_test(tc, test_sinks_live_destination_down);
    tcase_add_test(tc, test_sinks_offline_destination_dies);
    tcase_add_test(tc, test_sinks_redis);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_sinks)
