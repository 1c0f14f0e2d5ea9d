/*
 * output_json_int.h - internals shared by output_json.c and the per-protocol formatters
 * (output_json_<proto>.c). Nothing outside the output module includes this.
 *
 * A formatter adds the protocol's object to an event record, e.g. record["dnp3"] = {...};
 * the envelope is already set. Formatters never see keys and never print MAC or tag secrets.
 */
#ifndef GS_SENSOR_OUTPUT_JSON_INT_H
#define GS_SENSOR_OUTPUT_JSON_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "dissector.h"

typedef void gs_json_event_fn(json_t *record, const void *body);

/* event_type "dnp3": struct gs_dnp3_event (sensor/output_json_dnp3.c). */
void gs_json_dnp3(json_t *record, const void *body);
/* Per-protocol formatters (output_json_<proto>.c). */
void gs_json_tls(json_t *record, const void *body);

/* Lower-case hex of bytes as a JSON string (public wire bytes only, never key material). */
json_t *gs_json_hex(const uint8_t *bytes, size_t len);

/* A string from bytes that may not be NUL-terminated or valid UTF-8: non-printable bytes are
 * escaped as \xHH so the record stays valid JSON and readable. */
json_t *gs_json_bytes_string(const uint8_t *bytes, size_t len);

/* The textual form of an IPv4 or IPv6 address. */
json_t *gs_json_ip(const struct gs_ip *ip);

/* GOOSE and Sampled Values (output_json_goose.c, output_json_sv.c): the record formatters and
 * the objects both build (a UtcTime, MMS Data values, 62351-6 security, the R-session). */
struct gs_utc_time;
struct gs_data_node;
struct gs_sec_info;
struct gs_rsession;
void gs_json_goose(json_t *record, const void *body);
void gs_json_sv(json_t *record, const void *body);
json_t *gs_json_utc_time(const struct gs_utc_time *t);
json_t *gs_json_data_list(const struct gs_data_node *nodes, size_t n);
json_t *gs_json_sec_info(const struct gs_sec_info *sec);
json_t *gs_json_rsession(const struct gs_rsession *s);
/* The layer-2 header fields both records open with (length and the reserved words only when
 * the frame had the header), and the "security" and "session" objects both end with. */
void gs_json_l2_header(json_t *o, uint16_t appid, bool has_header, uint16_t length,
                       uint16_t reserved1, uint16_t reserved2, bool simulated);
void gs_json_l2_context(json_t *o, const struct gs_sec_info *sec,
                        const struct gs_rsession *session);
/* record["iec104"] from a struct gs_iec104_event (output_json_iec104.c). */
void gs_json_iec104(json_t *record, const void *body);
/* Per-protocol event formatters (output_json_<proto>.c). */
void gs_json_mms(json_t *record, const void *body);

#endif
