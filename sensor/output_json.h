/*
 * output_json.h - EVE-compatible JSON records (one object per line) sent to the sinks.
 *
 * The only module that calls jansson and spells field names. Every record carries the
 * envelope of docs/DESIGN.md "Alert and event records": timestamp (UTC, microseconds),
 * event_type, flow_id, community_id, addresses and ports (or MACs, VLANs and Ethertype for
 * layer 2), proto, app_proto and pcap_cnt.
 */
#ifndef GS_SENSOR_OUTPUT_JSON_H
#define GS_SENSOR_OUTPUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "dissector.h"
#include "stats.h"

struct gs_output;

/*
 * Opens every sink named in specs (n of them; none means stdout). `offline` makes full
 * queues wait rather than drop. Returns NULL with a one-line reason in errbuf.
 */
struct gs_output *gs_output_create(const char *const *specs, size_t n, bool offline,
                                   const struct gs_config *cfg, char *errbuf);

/* Drains and closes every sink. */
void gs_output_destroy(struct gs_output *out);

/* A protocol event record (--log-events); event_type is the app_proto, or "anomaly". */
void gs_output_event(struct gs_output *out, const struct gs_pkt_ctx *ctx, const char *app_proto,
                     const struct gs_event *ev);

/* An alert record. */
void gs_output_alert(struct gs_output *out, const struct gs_pkt_ctx *ctx,
                     const struct gs_alert *alert);

/* The event_type "stats" record at packet time ts_us, including the sinks' own counters. */
void gs_output_stats(struct gs_output *out, uint64_t ts_us, const struct gs_stats_report *report);

/* Formats packet time as 2026-11-21T14:23:11.000123+0000 into out (at least 32 bytes). */
void gs_format_timestamp(uint64_t ts_us, char *out, size_t out_len);

#endif
