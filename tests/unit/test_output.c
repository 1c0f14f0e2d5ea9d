/*
 * test_output.c - JSON records and sinks: the envelope (timestamp with microseconds, flow id,
 * Community ID, layer-2 fields), alerts with their protocol section, the file sink, and the
 * bounded queue (a live sensor drops and counts, an offline one waits).
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output_json.h"
#include "sink.h"
#include "test_support.h"

static char *read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static json_t *first_record(const char *text)
{
    json_error_t err;
    const char *nl = strchr(text, '\n');
    ck_assert_ptr_nonnull(nl);
    json_t *rec = json_loadb(text, (size_t)(nl - text), 0, &err);
    ck_assert_msg(rec != NULL, "bad JSON: %s", err.text);
    return rec;
}

START_TEST(test_output_timestamp_format)
{
    char ts[40];
    gs_format_timestamp(1795000000000123ull, ts, sizeof(ts));
    ck_assert_str_eq(ts, "2026-11-18T11:06:40.000123+0000");
}
END_TEST

START_TEST(test_output_alert_record)
{
    char path[] = "/tmp/gs-output-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof(spec), "file:%s", path);
    const char *specs[] = {spec};
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_output *out = gs_output_create(specs, 1, true, &cfg, err);
    ck_assert_ptr_nonnull(out);

    struct gs_test_events events = {0};
    struct gs_test_ctx t;
    gs_test_ctx_init(&t, &events, 20000);
    t.ctx.ts_us = 1795000000000123ull;
    t.ctx.pcap_cnt = 812;
    /* 128.232.110.120:34855 -> 66.35.250.204:80, a Community ID baseline vector */
    uint8_t a[4] = {128, 232, 110, 120}, b[4] = {66, 35, 250, 204};
    memcpy(t.flow.src.addr, a, 4);
    memcpy(t.flow.dst.addr, b, 4);
    t.flow.src_port = 34855;
    t.flow.dst_port = 80;
    t.flow.flow_id = 1234;

    struct gs_signature sig = {"test.rule", 2009999, "Test signature", "integrity", 1, "FR3"};
    struct gs_alert alert = {
        .sig = &sig, .app_proto = "dnp3", .section = "dnp3", .conduit = "C-WAN-RTU"};
    alert.fields[0] = (struct gs_alert_field){"user", GS_AF_UINT, {.u = 1}};
    alert.fields[1] = (struct gs_alert_field){"function", GS_AF_STR, {.s = "DIRECT_OPERATE"}};
    alert.n_fields = 2;
    gs_output_alert(out, &t.ctx, &alert);
    gs_output_destroy(out);

    json_t *rec = first_record(read_file(path));
    ck_assert_str_eq(json_string_value(json_object_get(rec, "timestamp")),
                     "2026-11-18T11:06:40.000123+0000");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "event_type")), "alert");
    ck_assert_int_eq(json_integer_value(json_object_get(rec, "flow_id")), 1234);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "community_id")),
                     "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "src_ip")), "128.232.110.120");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "proto")), "TCP");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "app_proto")), "dnp3");
    json_t *al = json_object_get(rec, "alert");
    ck_assert_str_eq(json_string_value(json_object_get(al, "rule")), "test.rule");
    ck_assert_int_eq(json_integer_value(json_object_get(al, "signature_id")), 2009999);
    ck_assert_str_eq(json_string_value(json_object_get(al, "fr")), "FR3");
    json_t *d = json_object_get(rec, "dnp3");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "user")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(d, "function")), "DIRECT_OPERATE");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "conduit")), "C-WAN-RTU");
    ck_assert_int_eq(json_integer_value(json_object_get(rec, "pcap_cnt")), 812);
    json_decref(rec);
    unlink(path);
}
END_TEST

START_TEST(test_output_layer2_envelope)
{
    char path[] = "/tmp/gs-output-XXXXXX";
    close(mkstemp(path));
    char spec[64];
    snprintf(spec, sizeof(spec), "file:%s", path);
    const char *specs[] = {spec};
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    char err[GS_ERRBUF_SIZE];
    struct gs_output *out = gs_output_create(specs, 1, true, &cfg, err);
    struct gs_l2_info l2 = {.src_mac = {0, 2, 0xA3, 0x11, 0x22, 0x33},
                            .dst_mac = {1, 0x0C, 0xCD, 1, 0, 1},
                            .has_mac = true,
                            .vlan_count = 1,
                            .vlan_id = {5},
                            .ether_type = 0x88B8,
                            .prp = true,
                            .prp_lan = 0xB,
                            .prp_seq = 9};
    struct gs_pkt_ctx ctx = {.ts_us = 1, .pcap_cnt = 3, .l2 = &l2};
    struct gs_anomaly an = {"goose.bad_length", GS_ANOMALY_MALFORMED, "length 99 > frame"};
    struct gs_event ev = {GS_EVENT_ANOMALY, &an};
    gs_output_event(out, &ctx, "goose", &ev);
    gs_output_destroy(out);
    json_t *rec = first_record(read_file(path));
    ck_assert_str_eq(json_string_value(json_object_get(rec, "event_type")), "anomaly");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "src_mac")), "00:02:a3:11:22:33");
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(rec, "vlan"), 0)), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(rec, "ether_type")), 0x88B8);
    ck_assert_ptr_null(json_object_get(rec, "src_ip"));
    json_t *red = json_object_get(rec, "redundancy");
    ck_assert_str_eq(json_string_value(json_object_get(red, "prp_lan")), "B");
    json_t *an_obj = json_object_get(rec, "anomaly");
    ck_assert_str_eq(json_string_value(json_object_get(an_obj, "event")), "goose.bad_length");
    ck_assert_str_eq(json_string_value(json_object_get(an_obj, "kind")), "malformed");
    json_decref(rec);
    unlink(path);
}
END_TEST

START_TEST(test_output_bad_sink)
{
    char err[GS_ERRBUF_SIZE];
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    ck_assert_ptr_null(gs_sink_open("bogus", true, &cfg, err));
    ck_assert_ptr_nonnull(strstr(err, "unknown output 'bogus'"));
    ck_assert_ptr_null(gs_sink_open("redis://host-without-port/list/x", true, &cfg, err));
    ck_assert_ptr_nonnull(strstr(err, "expected redis://"));
    ck_assert_ptr_null(gs_sink_open("redis://127.0.0.1:6379/queue/x", true, &cfg, err));
    ck_assert_ptr_null(gs_sink_open("syslog+udp://127.0.0.1", true, &cfg, err));
    ck_assert_ptr_nonnull(strstr(err, "HOST:PORT"));
    ck_assert_ptr_null(gs_sink_open("file:/nonexistent-dir/x.json", true, &cfg, err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.json"));
}
END_TEST

/* A live sink whose destination stalls drops and counts instead of blocking capture; an
 * offline one loses nothing. */
START_TEST(test_output_queue_bound)
{
    signal(SIGPIPE, SIG_IGN);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    char spec[32];
    snprintf(spec, sizeof(spec), "file:/dev/fd/%d", fds[1]);
    char err[GS_ERRBUF_SIZE];
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    cfg.output_queue_bytes = 65536;
    struct gs_sink *live = gs_sink_open(spec, false, &cfg, err);
    ck_assert_ptr_nonnull(live);
    char line[1000];
    memset(line, 'x', sizeof(line));
    /* Nobody reads the pipe: its 64 KiB and the queue's 64 KiB fill, the rest is dropped. */
    for (int i = 0; i < 1000; i++)
        gs_sink_write(live, line, sizeof(line), GS_RECORD_EVENT);
    struct gs_sink_counters c = gs_sink_counters(live);
    ck_assert_uint_gt(c.dropped, 700);
    /* Unblock the writer so the sink can close. */
    close(fds[0]);
    gs_sink_close(live);
    close(fds[1]);

    char path[] = "/tmp/gs-output-XXXXXX";
    close(mkstemp(path));
    snprintf(spec, sizeof(spec), "file:%s", path);
    struct gs_sink *offline = gs_sink_open(spec, true, &cfg, err);
    for (int i = 0; i < 1000; i++)
        gs_sink_write(offline, line, sizeof(line), GS_RECORD_EVENT);
    gs_sink_drain(offline);
    c = gs_sink_counters(offline);
    ck_assert_uint_eq(c.written, 1000);
    ck_assert_uint_eq(c.dropped, 0);
    gs_sink_close(offline);
    unlink(path);
}
END_TEST

static Suite *suite_output(void)
{
    Suite *s = suite_create("output");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_output_timestamp_format);
    tcase_add_test(tc, test_output_alert_record);
    tcase_add_test(tc, test_output_layer2_envelope);
    tcase_add_test(tc, test_output_bad_sink);
    tcase_add_test(tc, test_output_queue_bound);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_output)
