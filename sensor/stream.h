/*
 * stream.h - TCP stream reassembly, one direction at a time.
 *
 * Segments are delivered to the consumer in sequence order. Retransmitted bytes are dropped,
 * overlapping segments trimmed (the first copy wins), and out-of-order segments held up to
 * stream.max_ooo_bytes / stream.max_ooo_segments. A hole is declared a gap (the consumer is
 * told, then delivery resumes after it) when the peer acknowledges data past it, when the
 * out-of-order store is full, when a segment was cut by the snaplen, or when the flow ends.
 * A stream first seen without its SYN is picked up mid-way at the first segment.
 *
 * Zero copy when PDUs align with segments: the consumer reads the packet buffer in place.
 * Only when it leaves a partial PDU are the left-over bytes copied, up to
 * stream.max_bytes_per_dir; past that the partial PDU is dropped and reported as a gap.
 */
#ifndef GS_SENSOR_STREAM_H
#define GS_SENSOR_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "cursor.h"
#include "dissector.h"
#include "stats.h"

struct gs_stream_seg;

struct gs_stream_dir {
    bool started;      /* next_seq is known */
    bool fin;          /* a FIN was seen */
    uint32_t next_seq; /* next byte to deliver */
    uint8_t *pending;  /* in-order bytes the consumer has not used yet (a partial PDU) */
    uint32_t pending_len;
    uint32_t pending_cap;
    uint32_t pending_need;     /* bytes the consumer said it still needs, 0 if unknown */
    struct gs_stream_seg *ooo; /* out-of-order segments, sorted by sequence number */
    uint32_t ooo_bytes;
    uint32_t ooo_count;
};

struct gs_stream_consumer {
    /* Consumes in-order bytes of `dir`; returns what a dissector's parse returns. */
    struct gs_parse_res (*consume)(void *arg, enum gs_dir dir, struct gs_cursor *cur);
    /* Bytes of `dir` were lost: any partial PDU must be forgotten. */
    void (*gap)(void *arg, enum gs_dir dir);
    /* Optional: the bytes consumed next were carried by packet pcap_cnt at ts_us (segments
     * held out of order and delivered during a later packet); pcap_cnt 0 means the packet
     * being processed again. */
    void (*origin)(void *arg, uint64_t pcap_cnt, uint64_t ts_us);
    void *arg;
};

struct gs_stream_env {
    const struct gs_config *cfg;
    struct gs_stream_stats *stats;
    const struct gs_stream_consumer *consumer;
};

struct gs_tcp_segment {
    enum gs_dir dir;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags; /* GS_TCP_* from decode.h */
    struct gs_cursor payload;
    uint64_t pcap_cnt; /* the packet carrying the segment, for data delivered later */
    uint64_t ts_us;
};

/*
 * Processes one TCP segment of a flow whose two directions are streams[0] (to server) and
 * streams[1] (to client).
 */
void gs_stream_segment(struct gs_stream_dir streams[2], const struct gs_stream_env *env,
                       const struct gs_tcp_segment *seg);

/* Flow end: delivers whatever is held out of order (with gaps before it) in both directions. */
void gs_stream_flush(struct gs_stream_dir streams[2], const struct gs_stream_env *env);

/* Frees the buffers of one direction (uncounting them from stats) and zeroes it. */
void gs_stream_free(struct gs_stream_dir *sd, struct gs_stream_stats *stats);

#endif
