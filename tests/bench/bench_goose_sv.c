/*
 * bench_goose_sv.c - how many GOOSE/SV PDUs one core takes through decode, the dissectors and
 * the goose_sv detector per second, with and without verifying their tags: a capture is read
 * into memory once and replayed for SECONDS, its packet times shifted forward on every pass
 * (so the publishers' counters restart as after a silence, as a long capture would see).
 * Usage: bench_goose_sv PCAP [KEYS.json|-] [SECONDS]
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "goose_sv.h"
#include "keystore.h"

struct pkt {
    uint64_t ts;
    uint32_t len;
    uint8_t *data;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct gs_goose_sv_counters counters;
static void *inner;

static int w_create(void **state, const struct gs_detect_env *env, char *errbuf)
{
    int rc = gs_goose_sv_detector.create(&inner, env, errbuf);
    *state = inner;
    return rc;
}

static void w_destroy(void *state)
{
    gs_goose_sv_get_counters(state, &counters);
    gs_goose_sv_detector.destroy(state);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_goose_sv PCAP [KEYS.json|-] [SECONDS]\n");
        return 2;
    }
    double secs = argc > 3 ? atof(argv[3]) : 3.0;
    char err[PCAP_ERRBUF_SIZE > GS_ERRBUF_SIZE ? PCAP_ERRBUF_SIZE : GS_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int dlt = pcap_datalink(p);
    size_t n = 0, cap = 1024;
    struct pkt *pk = malloc(cap * sizeof(*pk));
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pk != NULL && pcap_next_ex(p, &h, &d) == 1) {
        if (n == cap)
            pk = realloc(pk, (cap *= 2) * sizeof(*pk));
        if (pk == NULL)
            break;
        pk[n].ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        pk[n].len = h->caplen;
        pk[n].data = malloc(h->caplen);
        memcpy(pk[n].data, d, h->caplen);
        n++;
    }
    pcap_close(p);
    if (pk == NULL || n == 0) {
        fprintf(stderr, "no packets\n");
        return 1;
    }
    struct gs_keystore *ks = NULL;
    if (argc > 2 && strcmp(argv[2], "-") != 0) {
        FILE *fp = fopen(argv[2], "rb");
        static char text[1 << 19];
        size_t len = fp != NULL ? fread(text, 1, sizeof(text) - 1, fp) : 0;
        if (fp != NULL)
            fclose(fp);
        if (gs_keystore_parse(text, len, argv[2], &ks, err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    struct gs_detector wrapped = gs_goose_sv_detector;
    wrapped.create = w_create;
    wrapped.destroy = w_destroy;
    const struct gs_detector *const dets[] = {&wrapped, NULL};
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    struct gs_engine_options opts = {.cfg = &cfg, .detectors = dets, .keys = ks};
    struct gs_engine *eng = gs_engine_create(&opts, err);
    if (eng == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uint64_t span = pk[n - 1].ts - pk[0].ts + 10000000u, shift = 0, cnt = 0, passes = 0;
    double t0 = now(), t1 = t0;
    while (t1 - t0 < secs) {
        for (size_t i = 0; i < n; i++) {
            struct gs_packet pkt = {.ts_us = pk[i].ts + shift,
                                    .pcap_cnt = ++cnt,
                                    .data = pk[i].data,
                                    .cap_len = pk[i].len,
                                    .wire_len = pk[i].len,
                                    .dlt = dlt};
            gs_engine_packet(eng, &pkt);
        }
        shift += span;
        passes++;
        t1 = now();
    }
    gs_engine_finish(eng);
    gs_engine_destroy(eng);
    double el = t1 - t0;
    printf("%s, %s: %llu packets in %.2f s = %.0f packets/s; tags verified %llu (%.0f/s), "
           "invalid %llu, unverifiable %llu\n",
           argv[1], ks != NULL ? "with keys" : "no keys", (unsigned long long)cnt, el,
           (double)cnt / el, (unsigned long long)counters.tags_verified,
           (double)counters.tags_verified / el, (unsigned long long)counters.tags_invalid,
           (unsigned long long)counters.tags_unverifiable);
    gs_keystore_destroy(ks);
    for (size_t i = 0; i < n; i++)
        free(pk[i].data);
    free(pk);
    return 0;
}
