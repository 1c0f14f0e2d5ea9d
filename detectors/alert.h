/*
 * alert.h - what a detector reports: a signature plus protocol fields, no JSON.
 *
 * Detectors fill a struct gs_alert and hand it to env->alert; only sensor/output_json.c turns
 * it into an EVE record. The fields land in an object named `section` (e.g. "dnp3"), so an
 * alert reads {"alert": {...}, "dnp3": {"user": 1, "csq": 7}}.
 */
#ifndef GS_DETECTORS_ALERT_H
#define GS_DETECTORS_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signatures.h"

#define GS_ALERT_MAX_FIELDS 16

enum gs_alert_field_type {
    GS_AF_INT,
    GS_AF_UINT,
    GS_AF_BOOL,
    GS_AF_STR,
};

struct gs_alert_field {
    const char *key; /* static string */
    enum gs_alert_field_type type;
    union {
        int64_t i;
        uint64_t u;
        bool b;
        const char *s; /* copied by the output before the alert call returns */
    } v;
};

struct gs_alert {
    const struct gs_signature *sig;
    const char *app_proto; /* "dnp3", "iec104", ...; NULL when unknown */
    const char *section;   /* name of the object holding `fields`, NULL for none */
    const char *conduit;   /* policy conduit name, NULL when none */
    const char *message;   /* optional human detail, no key material ever */
    struct gs_alert_field fields[GS_ALERT_MAX_FIELDS];
    size_t n_fields;
};

/* Starts an alert for a rule name from the signature table (GS_ASSERTs it exists). */
void gs_alert_init(struct gs_alert *alert, const char *rule, const char *app_proto,
                   const char *section);

/* Append a field; fields beyond GS_ALERT_MAX_FIELDS are a programming error (GS_ASSERT). */
void gs_alert_add_int(struct gs_alert *alert, const char *key, int64_t v);
void gs_alert_add_uint(struct gs_alert *alert, const char *key, uint64_t v);
void gs_alert_add_bool(struct gs_alert *alert, const char *key, bool v);
void gs_alert_add_str(struct gs_alert *alert, const char *key, const char *v);

#endif
