/*
 * alert.c - building alerts.
 */
#include "alert.h"

#include <string.h>

#include "compiler.h"

void gs_alert_init(struct gs_alert *alert, const char *rule, const char *app_proto,
                   const char *section)
{
    memset(alert, 0, sizeof(*alert));
    alert->sig = gs_signature_find(rule);
    GS_ASSERT(alert->sig != NULL);
    alert->app_proto = app_proto;
    alert->section = section;
}

static struct gs_alert_field *next_field(struct gs_alert *alert, const char *key,
                                         enum gs_alert_field_type type)
{
    GS_ASSERT(alert->n_fields < GS_ALERT_MAX_FIELDS);
    struct gs_alert_field *f = &alert->fields[alert->n_fields++];
    f->key = key;
    f->type = type;
    return f;
}

void gs_alert_add_int(struct gs_alert *alert, const char *key, int64_t v)
{
    next_field(alert, key, GS_AF_INT)->v.i = v;
}

void gs_alert_add_uint(struct gs_alert *alert, const char *key, uint64_t v)
{
    next_field(alert, key, GS_AF_UINT)->v.u = v;
}

void gs_alert_add_bool(struct gs_alert *alert, const char *key, bool v)
{
    next_field(alert, key, GS_AF_BOOL)->v.b = v;
}

void gs_alert_add_str(struct gs_alert *alert, const char *key, const char *v)
{
    next_field(alert, key, GS_AF_STR)->v.s = v;
}
