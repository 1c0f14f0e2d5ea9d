/*
 * capture.h - packets from pcap/pcapng files or a live interface, through libpcap.
 *
 * Offline files are read in place from libpcap's buffer. Live capture is read-only
 * (nothing is ever sent), uses the kernel's TPACKET_V3 ring via libpcap with a 64 MiB buffer,
 * promiscuous mode (a SPAN port delivers frames for other hosts) and a 10 ms block timeout,
 * so frames reach the engine within 10 ms even on a quiet link.
 */
#ifndef GS_SENSOR_CAPTURE_H
#define GS_SENSOR_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

/* Negative error codes of the capture module. */
enum gs_capture_err {
    GS_CAPTURE_ENOENT = -1,  /* the file does not exist or cannot be opened */
    GS_CAPTURE_EFORMAT = -2, /* not a pcap or pcapng capture */
    GS_CAPTURE_EIFACE = -3,  /* the interface cannot be opened for capture */
    GS_CAPTURE_EREAD = -4,   /* a read failed mid-file (e.g. truncated in a packet) */
};

enum gs_capture_next {
    GS_CAPTURE_PACKET = 1,
    GS_CAPTURE_TIMEOUT = 0, /* live: no packet within the read timeout */
    GS_CAPTURE_END = -1,    /* offline: end of file */
    GS_CAPTURE_ERROR = -2,  /* errbuf says why */
};

struct gs_capture;

/* Opens a capture file. Returns 0 or a negative enum gs_capture_err with errbuf set. */
int gs_capture_open_file(struct gs_capture **cap, const char *path, char *errbuf);

/* Opens an interface for read-only live capture (snaplen 262144, 64 MiB buffer). */
int gs_capture_open_live(struct gs_capture **cap, const char *iface, char *errbuf);

/*
 * Reads the next packet into *pkt (pcap_cnt is left for the caller to number). The packet
 * data stays valid until the next call.
 */
enum gs_capture_next gs_capture_next(struct gs_capture *cap, struct gs_packet *pkt, char *errbuf);

/* Offline: bytes of the file consumed so far and its size (for a progress line). */
void gs_capture_progress(struct gs_capture *cap, uint64_t *done, uint64_t *total);

/* Live: packets the kernel dropped and the interface dropped, as libpcap reports them. */
bool gs_capture_drops(struct gs_capture *cap, uint64_t *kernel, uint64_t *iface);

/* Makes a blocking gs_capture_next return soon (async-signal-safe). */
void gs_capture_break(struct gs_capture *cap);

void gs_capture_close(struct gs_capture *cap);

#endif
