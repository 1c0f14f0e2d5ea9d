/*
 * capture.c - libpcap offline and live capture (see capture.h).
 */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "pcapng.h"

#define LIVE_SNAPLEN    262144
#define LIVE_BUFFER     (64 * 1024 * 1024)
#define LIVE_TIMEOUT_MS 200

struct gs_capture {
    pcap_t *pcap;
    struct gs_pcapng *ng; /* pcapng files are read by our own reader (see pcapng.h) */
    bool live;
    int dlt;
    uint64_t file_size;
    bool nanoseconds;
};

int gs_capture_open_file(struct gs_capture **cap, const char *path, char *errbuf)
{
    *cap = NULL;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return GS_CAPTURE_ENOENT;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: is a directory, not a capture file", path);
        return GS_CAPTURE_ENOENT;
    }
    struct gs_capture *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        fclose(fp);
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return GS_CAPTURE_EREAD;
    }
    uint8_t magic[4] = {0};
    size_t got = fread(magic, 1, sizeof(magic), fp);
    rewind(fp);
    if (got == sizeof(magic) && gs_pcapng_is_pcapng(magic)) {
        char why[GS_ERRBUF_SIZE];
        c->ng = gs_pcapng_open(fp, why);
        if (c->ng == NULL) {
            free(c);
            snprintf(errbuf, GS_ERRBUF_SIZE, "%s: not a readable pcapng capture (%.300s)", path,
                     why);
            return GS_CAPTURE_EFORMAT;
        }
    } else {
        char perr[PCAP_ERRBUF_SIZE] = "";
        /* Microsecond timestamps are plenty for OT protocols and keep one clock. */
        c->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
        if (c->pcap == NULL) {
            fclose(fp);
            free(c);
            snprintf(errbuf, GS_ERRBUF_SIZE, "%s: not a pcap or pcapng capture (%s)", path, perr);
            return GS_CAPTURE_EFORMAT;
        }
        c->dlt = pcap_datalink(c->pcap);
    }
    c->file_size = (uint64_t)st.st_size;
    *cap = c;
    return 0;
}

int gs_capture_open_live(struct gs_capture **cap, const char *iface, char *errbuf)
{
    *cap = NULL;
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, perr);
    if (p == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "interface %s: %s", iface, perr);
        return GS_CAPTURE_EIFACE;
    }
    pcap_set_snaplen(p, LIVE_SNAPLEN);
    pcap_set_promisc(p, 1);
    pcap_set_buffer_size(p, LIVE_BUFFER);
    pcap_set_timeout(p, LIVE_TIMEOUT_MS);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(p);
    if (rc < 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "interface %s: %s", iface, pcap_geterr(p));
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_PERM_DENIED ||
            rc == PCAP_ERROR_IFACE_NOT_UP)
            snprintf(errbuf, GS_ERRBUF_SIZE, "interface %s: %s", iface, pcap_statustostr(rc));
        pcap_close(p);
        return GS_CAPTURE_EIFACE;
    }
    /* Only frames arriving on the port: a SPAN port must not show our own (absent) sends. */
    pcap_setdirection(p, PCAP_D_INOUT);
    struct gs_capture *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        pcap_close(p);
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return GS_CAPTURE_EIFACE;
    }
    c->pcap = p;
    c->live = true;
    c->dlt = pcap_datalink(p);
    *cap = c;
    return 0;
}

enum gs_capture_next gs_capture_next(struct gs_capture *cap, struct gs_packet *pkt, char *errbuf)
{
    if (cap->ng != NULL) {
        int rc = gs_pcapng_next(cap->ng, pkt, errbuf);
        return rc == 1 ? GS_CAPTURE_PACKET : rc == 0 ? GS_CAPTURE_END : GS_CAPTURE_ERROR;
    }
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(cap->pcap, &hdr, &data);
    if (rc == 1) {
        pkt->ts_us = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
        pkt->data = data;
        pkt->cap_len = hdr->caplen;
        pkt->wire_len = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
        pkt->dlt = cap->dlt;
        return GS_CAPTURE_PACKET;
    }
    if (rc == 0)
        return GS_CAPTURE_TIMEOUT;
    if (rc == PCAP_ERROR_BREAK)
        return GS_CAPTURE_END;
    if (rc == PCAP_ERROR && !cap->live) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s", pcap_geterr(cap->pcap));
        return GS_CAPTURE_ERROR;
    }
    if (rc == PCAP_ERROR) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "capture failed: %s", pcap_geterr(cap->pcap));
        return GS_CAPTURE_ERROR;
    }
    return GS_CAPTURE_END;
}

void gs_capture_progress(struct gs_capture *cap, uint64_t *done, uint64_t *total)
{
    *done = 0;
    *total = cap->file_size;
    if (cap->ng != NULL) {
        *done = gs_pcapng_offset(cap->ng);
        return;
    }
    FILE *fp = cap->live ? NULL : pcap_file(cap->pcap);
    if (fp != NULL) {
        long pos = ftell(fp);
        if (pos > 0)
            *done = (uint64_t)pos;
    }
}

bool gs_capture_drops(struct gs_capture *cap, uint64_t *kernel, uint64_t *iface)
{
    struct pcap_stat ps;
    if (!cap->live || pcap_stats(cap->pcap, &ps) != 0)
        return false;
    *kernel = ps.ps_drop;
    *iface = ps.ps_ifdrop;
    return true;
}

void gs_capture_break(struct gs_capture *cap)
{
    if (cap->pcap != NULL)
        pcap_breakloop(cap->pcap);
}

void gs_capture_close(struct gs_capture *cap)
{
    if (cap == NULL)
        return;
    if (cap->pcap != NULL)
        pcap_close(cap->pcap);
    gs_pcapng_close(cap->ng);
    free(cap);
}
