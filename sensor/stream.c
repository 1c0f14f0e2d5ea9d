/*
 * stream.c - TCP stream reassembly (see stream.h). Sequence arithmetic is modulo 2^32
 * (RFC 9293 §3.4).
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"

struct gs_stream_seg {
    struct gs_stream_seg *next;
    uint64_t pcap_cnt; /* the packet that carried it */
    uint64_t ts_us;
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

static void set_origin(const struct gs_stream_env *env, uint64_t pcap_cnt, uint64_t ts_us)
{
    if (env->consumer->origin != NULL)
        env->consumer->origin(env->consumer->arg, pcap_cnt, ts_us);
}

static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

void gs_stream_free(struct gs_stream_dir *sd, struct gs_stream_stats *stats)
{
    stats->buffered_bytes -= (uint64_t)sd->pending_cap + sd->ooo_bytes;
    free(sd->pending);
    struct gs_stream_seg *seg = sd->ooo;
    while (seg != NULL) {
        struct gs_stream_seg *next = seg->next;
        free(seg);
        seg = next;
    }
    memset(sd, 0, sizeof(*sd));
}

static void drop_pending(struct gs_stream_dir *sd)
{
    sd->pending_len = 0;
    sd->pending_need = 0;
}

static void declare_gap(struct gs_stream_dir *sd, const struct gs_stream_env *env, enum gs_dir dir,
                        uint32_t lost)
{
    env->stats->gaps++;
    env->stats->gap_bytes += lost;
    drop_pending(sd);
    env->consumer->gap(env->consumer->arg, dir);
}

/* Counts `bytes` more buffered data against stream.max_total_mib, the bound of all flows'
 * stream buffers together; false (counted) when they do not fit. */
static bool charge(const struct gs_stream_env *env, size_t bytes)
{
    struct gs_stream_stats *st = env->stats;
    if (st->buffered_bytes + bytes > ((uint64_t)env->cfg->stream_max_total_mib << 20)) {
        st->memcap_drops++;
        return false;
    }
    st->buffered_bytes += bytes;
    if (st->buffered_bytes > st->max_buffered_bytes)
        st->max_buffered_bytes = st->buffered_bytes;
    return true;
}

/* Keeps `len` bytes for the next delivery. Returns false (and drops them) past the cap. */
static bool keep_pending(struct gs_stream_dir *sd, const struct gs_stream_env *env,
                         const uint8_t *data, size_t len)
{
    size_t want = (size_t)sd->pending_len + len;
    if (want > env->cfg->stream_max_bytes_per_dir)
        return false;
    if (want > sd->pending_cap) {
        size_t cap = sd->pending_cap ? sd->pending_cap : 2048;
        while (cap < want)
            cap *= 2;
        if (cap > env->cfg->stream_max_bytes_per_dir)
            cap = env->cfg->stream_max_bytes_per_dir;
        if (!charge(env, cap - sd->pending_cap))
            return false;
        uint8_t *grown = realloc(sd->pending, cap);
        if (grown == NULL) {
            env->stats->buffered_bytes -= cap - sd->pending_cap;
            return false;
        }
        sd->pending = grown;
        sd->pending_cap = (uint32_t)cap;
    }
    memcpy(sd->pending + sd->pending_len, data, len);
    sd->pending_len += (uint32_t)len;
    return true;
}

/*
 * Runs the consumer over `cur` until it has used everything it can. Returns how many bytes
 * were consumed; *need is what an INCOMPLETE result asked for.
 */
static size_t run_consumer(const struct gs_stream_env *env, enum gs_dir dir, struct gs_cursor *cur,
                           uint32_t *need)
{
    size_t used = 0;
    size_t len = cur->cap_len;
    *need = 0;
    while (used < len) {
        struct gs_cursor view = gs_cur_init(cur->base + used, len - used);
        struct gs_parse_res res = env->consumer->consume(env->consumer->arg, dir, &view);
        if (res.consumed > len - used)
            res.consumed = len - used; /* a consumer bug must not walk us off the buffer */
        used += res.consumed;
        if (res.status == GS_PARSE_INCOMPLETE) {
            *need = res.needed > UINT32_MAX ? UINT32_MAX : (uint32_t)res.needed;
            break;
        }
        if (res.status == GS_PARSE_ERROR || res.consumed == 0)
            break;
    }
    return used;
}

/* Delivers in-order bytes: appended to the pending partial PDU if there is one, else straight
 * from the packet buffer, copying only what the consumer leaves unused. */
static void deliver(struct gs_stream_dir *sd, const struct gs_stream_env *env, enum gs_dir dir,
                    const uint8_t *data, size_t len)
{
    sd->next_seq += (uint32_t)len;
    env->stats->bytes += len;
    uint32_t need;
    if (sd->pending_len != 0) {
        if (keep_pending(sd, env, data, len)) {
            if (sd->pending_need > len) {
                sd->pending_need -= (uint32_t)len; /* still short: do not re-parse yet */
                return;
            }
            struct gs_cursor cur = gs_cur_init(sd->pending, sd->pending_len);
            size_t used = run_consumer(env, dir, &cur, &need);
            memmove(sd->pending, sd->pending + used, sd->pending_len - used);
            sd->pending_len -= (uint32_t)used;
            sd->pending_need = sd->pending_len ? need : 0;
            return;
        }
        /* The partial PDU outgrew its cap: drop it and start afresh with the new bytes. */
        env->stats->overflow_drops++;
        declare_gap(sd, env, dir, 0);
    }
    struct gs_cursor cur = gs_cur_init(data, len);
    size_t used = run_consumer(env, dir, &cur, &need);
    if (used == len)
        return;
    if (!keep_pending(sd, env, data + used, len - used)) {
        env->stats->overflow_drops++;
        declare_gap(sd, env, dir, 0);
        return;
    }
    sd->pending_need = need;
}

/* Delivers the part of [seq, seq+len) not yet delivered, if it starts at or before next_seq. */
static bool deliver_from(struct gs_stream_dir *sd, const struct gs_stream_env *env, enum gs_dir dir,
                         uint32_t seq, const uint8_t *data, size_t len)
{
    int32_t behind = seq_diff(sd->next_seq, seq);
    if (behind < 0)
        return false;
    if ((size_t)behind >= len) {
        env->stats->retransmissions++;
        return true;
    }
    if (behind > 0)
        env->stats->overlaps++;
    deliver(sd, env, dir, data + behind, len - (size_t)behind);
    return true;
}

/* Delivers held segments that have become in order. */
static void drain_ooo(struct gs_stream_dir *sd, const struct gs_stream_env *env, enum gs_dir dir)
{
    while (sd->ooo != NULL && seq_diff(sd->ooo->seq, sd->next_seq) <= 0) {
        struct gs_stream_seg *seg = sd->ooo;
        sd->ooo = seg->next;
        sd->ooo_bytes -= seg->len;
        sd->ooo_count--;
        env->stats->buffered_bytes -= seg->len;
        /* Held data belongs to the packet that carried it, as tshark numbers it. */
        set_origin(env, seg->pcap_cnt, seg->ts_us);
        deliver_from(sd, env, dir, seg->seq, seg->data, seg->len);
        set_origin(env, 0, 0);
        free(seg);
    }
}

/* Skips the hole before the first held segment and delivers what follows it. */
static void skip_hole(struct gs_stream_dir *sd, const struct gs_stream_env *env, enum gs_dir dir)
{
    if (sd->ooo == NULL)
        return;
    uint32_t lost = (uint32_t)seq_diff(sd->ooo->seq, sd->next_seq);
    declare_gap(sd, env, dir, lost);
    sd->next_seq = sd->ooo->seq;
    drain_ooo(sd, env, dir);
}

static bool hold_segment(struct gs_stream_dir *sd, const struct gs_stream_env *env,
                         const struct gs_tcp_segment *tcp, const uint8_t *data, size_t len)
{
    uint32_t seq = tcp->seq;
    if (sd->ooo_count >= env->cfg->stream_max_ooo_segments ||
        (size_t)sd->ooo_bytes + len > env->cfg->stream_max_ooo_bytes)
        return false;
    if (!charge(env, len))
        return false;
    struct gs_stream_seg *seg = malloc(sizeof(*seg) + len);
    if (seg == NULL) {
        env->stats->buffered_bytes -= len;
        return false;
    }
    seg->pcap_cnt = tcp->pcap_cnt;
    seg->ts_us = tcp->ts_us;
    seg->seq = seq;
    seg->len = (uint32_t)len;
    memcpy(seg->data, data, len);
    struct gs_stream_seg **at = &sd->ooo;
    while (*at != NULL && seq_diff((*at)->seq, seq) <= 0)
        at = &(*at)->next;
    seg->next = *at;
    *at = seg;
    sd->ooo_bytes += (uint32_t)len;
    sd->ooo_count++;
    env->stats->out_of_order++;
    return true;
}

static void data_segment(struct gs_stream_dir *sd, const struct gs_stream_env *env,
                         const struct gs_tcp_segment *tcp)
{
    enum gs_dir dir = tcp->dir;
    uint32_t seq = tcp->seq;
    struct gs_cursor payload = tcp->payload;
    struct gs_span bytes = gs_cur_rest(&payload);
    size_t lost_tail = payload.wire_len - bytes.len;
    if (lost_tail != 0)
        env->stats->truncated_segments++;

    if (seq_diff(seq, sd->next_seq) > 0) {
        if (lost_tail == 0 && hold_segment(sd, env, tcp, bytes.ptr, bytes.len))
            return;
        /* No room to wait for the hole: give up on it and take this segment as the resume
         * point, behind whatever was already held before it. */
        if (lost_tail == 0)
            env->stats->ooo_dropped++;
        while (sd->ooo != NULL && seq_diff(sd->ooo->seq, seq) < 0)
            skip_hole(sd, env, dir);
        if (seq_diff(seq, sd->next_seq) > 0) {
            declare_gap(sd, env, dir, (uint32_t)seq_diff(seq, sd->next_seq));
            sd->next_seq = seq;
        }
    }
    deliver_from(sd, env, dir, seq, bytes.ptr, bytes.len);
    if (lost_tail != 0 && seq_diff(sd->next_seq, seq + (uint32_t)bytes.len) == 0) {
        declare_gap(sd, env, dir, (uint32_t)lost_tail);
        sd->next_seq += (uint32_t)lost_tail;
    }
    drain_ooo(sd, env, dir);
}

void gs_stream_segment(struct gs_stream_dir streams[2], const struct gs_stream_env *env,
                       const struct gs_tcp_segment *seg)
{
    struct gs_stream_dir *sd = &streams[seg->dir];
    struct gs_stream_dir *peer = &streams[seg->dir == GS_DIR_TO_SERVER];
    env->stats->segments++;

    if (seg->flags & GS_TCP_SYN) {
        if (!sd->started) {
            sd->started = true;
            sd->next_seq = seg->seq + 1;
        }
        return;
    }
    /* The peer acknowledged bytes beyond a hole we are holding segments behind: the capture
     * missed them and they will not come. The peer sent them before this segment (it is
     * acknowledged here), so they are delivered first: a reply must not overtake the
     * request it answers. */
    if ((seg->flags & GS_TCP_ACK) && peer->started && peer->ooo != NULL &&
        seq_diff(seg->ack, peer->ooo->seq) >= 0)
        skip_hole(peer, env, seg->dir == GS_DIR_TO_SERVER ? GS_DIR_TO_CLIENT : GS_DIR_TO_SERVER);

    size_t wire = seg->payload.wire_len;
    if (!sd->started && wire != 0) {
        sd->started = true;
        sd->next_seq = seg->seq;
        env->stats->midstream++;
    }
    if (wire != 0)
        data_segment(sd, env, seg);
    if (seg->flags & GS_TCP_FIN)
        sd->fin = true;
}

void gs_stream_flush(struct gs_stream_dir streams[2], const struct gs_stream_env *env)
{
    for (int d = 0; d < 2; d++) {
        while (streams[d].ooo != NULL)
            skip_hole(&streams[d], env, (enum gs_dir)d);
    }
}
