/*
 * main.c - gridsensor: passive monitor and IDS for power-grid OT networks.
 *
 * Parses the command line, opens inputs and outputs (every file is checked before any packet
 * is read, so a typo in the third file does not waste an hour of replay), runs the engine
 * over the packets on one packet clock, and reports.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "capture.h"
#include "cli.h"
#include "engine.h"
#include "keystore.h"
#include "log.h"
#include "output_json.h"
#include "policy.h"

#ifndef GS_VERSION
#define GS_VERSION "0.0.0"
#endif

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

#define PROGRESS_MIN_BYTES   (16u * 1024u * 1024u)
#define LIVE_STATS_PERIOD_US (60u * 1000000u)

static volatile sig_atomic_t stop_requested;
static struct gs_capture *live_capture;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (live_capture != NULL)
        gs_capture_break(live_capture);
}

static uint64_t wall_clock_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* A progress line on a terminal for long replays; cleared when done. */
struct progress {
    bool enabled;
    uint64_t total_bytes;
    uint64_t done_before; /* bytes of the files already finished */
    time_t last;
};

static void progress_update(struct progress *pr, struct gs_capture *cap, uint64_t packets,
                            bool force)
{
    if (!pr->enabled)
        return;
    time_t now = time(NULL);
    if (!force && now == pr->last)
        return;
    pr->last = now;
    uint64_t done, total;
    gs_capture_progress(cap, &done, &total);
    unsigned pct =
        (unsigned)((pr->done_before + done) * 100 / (pr->total_bytes ? pr->total_bytes : 1));
    fprintf(stderr, "\rgridsensor: %3u%%  %llu packets ", pct > 100 ? 100 : pct,
            (unsigned long long)packets);
}

static void progress_done(struct progress *pr)
{
    if (pr->enabled)
        fputs("\r\033[K", stderr);
}

static int run_offline(const struct gs_options *opts, struct gs_engine *eng,
                       struct gs_capture **caps)
{
    int rc = 0;
    uint64_t pcap_cnt = 0;
    struct progress pr = {.enabled = isatty(STDERR_FILENO) != 0};
    for (size_t i = 0; i < opts->n_files; i++) {
        uint64_t done, total;
        gs_capture_progress(caps[i], &done, &total);
        pr.total_bytes += total;
    }
    if (pr.total_bytes < PROGRESS_MIN_BYTES)
        pr.enabled = false;

    for (size_t i = 0; i < opts->n_files && !stop_requested; i++) {
        char errbuf[GS_ERRBUF_SIZE];
        struct gs_packet pkt;
        uint64_t in_file = 0;
        enum gs_capture_next next = GS_CAPTURE_END;
        while (!stop_requested &&
               (next = gs_capture_next(caps[i], &pkt, errbuf)) == GS_CAPTURE_PACKET) {
            pkt.pcap_cnt = ++pcap_cnt;
            in_file++;
            gs_engine_packet(eng, &pkt);
            if ((pcap_cnt & 0x3FFF) == 0)
                progress_update(&pr, caps[i], pcap_cnt, false);
        }
        uint64_t done, total;
        gs_capture_progress(caps[i], &done, &total);
        pr.done_before += total;
        if (!stop_requested && next == GS_CAPTURE_ERROR) {
            progress_done(&pr);
            gs_log(GS_LOG_ERROR, "%s: unreadable after packet %llu of this file: %s",
                   opts->files[i], (unsigned long long)in_file, errbuf);
            rc = EXIT_USAGE;
        }
    }
    progress_done(&pr);
    return rc;
}

/* Gives up root once the interface is open: the sensor needs no privilege to analyse. */
static void drop_privileges(void)
{
    if (geteuid() != 0)
        return;
    struct passwd *pw = getpwnam("nobody");
    if (pw == NULL) {
        gs_log(GS_LOG_WARN, "no 'nobody' user: keeping root privileges");
        return;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        gs_log(GS_LOG_WARN, "could not drop privileges: %s", strerror(errno));
    }
}

static void note_live_drops(struct gs_engine *eng, struct gs_capture *cap)
{
    uint64_t kernel = 0, iface = 0;
    gs_capture_drops(cap, &kernel, &iface);
    gs_engine_note_capture(eng, true, 0, kernel, iface);
}

static int run_live(const struct gs_options *opts, struct gs_engine *eng, struct gs_capture *cap)
{
    uint64_t pcap_cnt = 0;
    uint64_t last_stats = wall_clock_us();
    char errbuf[GS_ERRBUF_SIZE];
    while (!stop_requested) {
        struct gs_packet pkt;
        enum gs_capture_next next = gs_capture_next(cap, &pkt, errbuf);
        if (next == GS_CAPTURE_PACKET) {
            pkt.pcap_cnt = ++pcap_cnt;
            gs_engine_packet(eng, &pkt);
        } else if (next == GS_CAPTURE_TIMEOUT) {
            /* An idle link still moves time: a missing poll is only seen if it does. */
            gs_engine_advance(eng, wall_clock_us());
        } else if (next == GS_CAPTURE_ERROR) {
            gs_log(GS_LOG_ERROR, "%s", errbuf);
            return EXIT_RUNTIME;
        } else {
            break;
        }
        if (opts->stats && wall_clock_us() - last_stats >= LIVE_STATS_PERIOD_US) {
            last_stats = wall_clock_us();
            note_live_drops(eng, cap);
            gs_engine_report_stats(eng);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct gs_options opts;
    char errbuf[GS_ERRBUF_SIZE] = "";
    signal(SIGPIPE, SIG_IGN);

    if (gs_cli_parse(argc, argv, &opts, errbuf) != 0) {
        gs_log(GS_LOG_ERROR, "%s (try 'gridsensor --help')", errbuf);
        gs_cli_free(&opts);
        return EXIT_USAGE;
    }
    if (opts.help || opts.version || opts.show_config) {
        if (opts.help)
            gs_cli_usage(stdout);
        else if (opts.version)
            printf("gridsensor %s\n", GS_VERSION);
        else
            gs_cli_show_config(stdout, &opts.cfg);
        gs_cli_free(&opts);
        return 0;
    }

    int rc = 0;
    struct gs_capture **caps = calloc(opts.n_files + 1, sizeof(*caps));
    struct gs_output *out = NULL;
    struct gs_engine *eng = NULL;
    struct gs_policy *policy = NULL;
    struct gs_baseline *baseline = NULL;
    struct gs_keystore *keys = NULL;
    /* Keys first: the loader borrows jansson's allocator, before any output thread runs. */
    if (opts.keys_file != NULL && gs_keystore_load(opts.keys_file, &keys, errbuf) != 0) {
        gs_log(GS_LOG_ERROR, "%s", errbuf);
        rc = EXIT_USAGE;
        goto done;
    }
    if (caps == NULL) {
        gs_log(GS_LOG_ERROR, "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    /* Configuration first: a typo in the policy must not cost a replay. */
    if (opts.policy_file != NULL && gs_policy_load(&policy, opts.policy_file, errbuf) != 0) {
        gs_log(GS_LOG_ERROR, "%s", errbuf);
        rc = EXIT_USAGE;
        goto done;
    }
    for (size_t i = 0; i < gs_policy_warning_count(policy); i++)
        gs_log(GS_LOG_WARN, "%s", gs_policy_warning(policy, i));
    /* A baseline to enforce is read now; one being learned must be writable at the end. */
    if (opts.baseline_file != NULL) {
        int brc = opts.learn ? gs_baseline_check_writable(opts.baseline_file, errbuf)
                             : gs_baseline_load(&baseline, opts.baseline_file, &opts.cfg, errbuf);
        if (brc == 0 && opts.learn)
            brc = gs_baseline_create_learning(&baseline, &opts.cfg, errbuf);
        if (brc != 0) {
            gs_log(GS_LOG_ERROR, "%s", errbuf);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    for (size_t i = 0; i < opts.n_files; i++) {
        if (gs_capture_open_file(&caps[i], opts.files[i], errbuf) != 0) {
            gs_log(GS_LOG_ERROR, "%s", errbuf);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    if (opts.iface != NULL) {
        if (gs_capture_open_live(&live_capture, opts.iface, errbuf) != 0) {
            gs_log(GS_LOG_ERROR, "%s", errbuf);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    out = gs_output_create(opts.outputs, opts.n_outputs, opts.iface == NULL, &opts.cfg, errbuf);
    if (out == NULL) {
        gs_log(GS_LOG_ERROR, "%s", errbuf);
        rc = EXIT_USAGE;
        goto done;
    }
    struct gs_engine_options eopts = {.cfg = &opts.cfg,
                                      .log_events = opts.log_events,
                                      .classify = opts.classify,
                                      .policy = policy,
                                      .keys = keys,
                                      .baseline = baseline,
                                      .output = out};
    eng = gs_engine_create(&eopts, errbuf);
    if (eng == NULL) {
        gs_log(GS_LOG_ERROR, "%s", errbuf);
        rc = EXIT_RUNTIME;
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (opts.iface != NULL) {
        drop_privileges();
        rc = run_live(&opts, eng, live_capture);
        note_live_drops(eng, live_capture);
    } else {
        gs_engine_note_capture(eng, false, opts.n_files, 0, 0);
        rc = run_offline(&opts, eng, caps);
    }
    gs_engine_finish(eng);
    if (opts.stats)
        gs_engine_report_stats(eng);
    if (opts.learn) {
        struct gs_baseline_saved saved;
        if (gs_baseline_save(baseline, opts.baseline_file, &saved, errbuf) != 0) {
            gs_log(GS_LOG_ERROR, "%s", errbuf);
            rc = EXIT_RUNTIME;
        } else {
            gs_log(GS_LOG_INFO, "baseline %s: %zu series learned, %zu with a trusted period",
                   opts.baseline_file, saved.series, saved.periodic);
        }
    }

done:
    gs_engine_destroy(eng);
    gs_keystore_destroy(keys);
    gs_output_destroy(out);
    gs_policy_free(policy);
    gs_baseline_free(baseline);
    for (size_t i = 0; caps != NULL && i < opts.n_files; i++)
        gs_capture_close(caps[i]);
    free(caps);
    gs_capture_close(live_capture);
    gs_cli_free(&opts);
    return rc;
}
