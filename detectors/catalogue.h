/*
 * catalogue.h - the default catalogue of dangerous operations: DNP3, IEC 104 and MMS requests
 * that restart a device, stop or replace its application, change its files or configuration,
 * silence its reporting, or operate every device at once. The conduit policy detector
 * (conduit_policy.c) raises one of the policy.dangerous.* rules for each, with or without a
 * policy; a conduit can allow an operation explicitly (policy.h, struct gs_policy_allow).
 *
 * The catalogue is data (catalogue.c, each entry with its source) plus one classifier per
 * protocol that says which operations a request performs.
 */
#ifndef GS_DETECTORS_CATALOGUE_H
#define GS_DETECTORS_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

struct gs_dnp3_event;
struct gs_iec104_event;
struct gs_mms_event;

/* Every operation of the catalogue; the value is its bit in gs_policy_allow.operations. */
enum gs_catalogue_op {
    /* DNP3 (IEEE 1815-2012) */
    GS_OP_DNP3_COLD_RESTART,
    GS_OP_DNP3_WARM_RESTART,
    GS_OP_DNP3_INITIALIZE_DATA,
    GS_OP_DNP3_INITIALIZE_APPLICATION,
    GS_OP_DNP3_START_APPLICATION,
    GS_OP_DNP3_STOP_APPLICATION,
    GS_OP_DNP3_SAVE_CONFIGURATION,
    GS_OP_DNP3_ACTIVATE_CONFIG,
    GS_OP_DNP3_DISABLE_UNSOLICITED,
    GS_OP_DNP3_FILE_DELETE,
    GS_OP_DNP3_FILE_OPEN_WRITE,
    GS_OP_DNP3_BROADCAST_OPERATE,
    /* IEC 60870-5-104 */
    GS_OP_IEC104_RESET_PROCESS,
    GS_OP_IEC104_FILE_WRITE,
    GS_OP_IEC104_PARAMETER_ACTIVATION,
    GS_OP_IEC104_BROADCAST_COMMAND,
    /* MMS (ISO 9506, IEC 61850-8-1, ICCP) */
    GS_OP_MMS_DELETE_DOMAIN,
    GS_OP_MMS_DELETE_PROGRAM_INVOCATION,
    GS_OP_MMS_START,
    GS_OP_MMS_STOP,
    GS_OP_MMS_RESUME,
    GS_OP_MMS_RESET,
    GS_OP_MMS_KILL,
    GS_OP_MMS_DOMAIN_DOWNLOAD,
    GS_OP_MMS_FILE_DELETE,
    GS_OP_MMS_FILE_RENAME,
    GS_OP_MMS_OBTAIN_FILE,
    GS_OP_MMS_SETTING_GROUP_CHANGE,
    GS_OP_COUNT,
};

/* Which native allow-list allows the operation explicitly when it names the request's
 * function (a DNP3 function code, an IEC 104 type id, an MMS service), or NONE when only
 * allow.operations can (broadcasts, and setting-group writes, which are MMS "write"). */
enum gs_catalogue_code_kind {
    GS_OP_CODE_NONE,
    GS_OP_CODE_DNP3_FUNCTION,
    GS_OP_CODE_IEC104_TYPE,
    GS_OP_CODE_MMS_SERVICE,
};

struct gs_catalogue_entry {
    enum gs_catalogue_op op;
    const char *name;     /* "cold_restart": stable, for allow.operations and alerts */
    const char *protocol; /* "dnp3", "iec104", "mms" */
    const char *rule;     /* "policy.dangerous.restart" (detectors/signatures.c) */
    enum gs_catalogue_code_kind code_kind;
    const char *reason; /* one line for alert.message: what it does */
};

/* The entry of an operation (op < GS_OP_COUNT). */
const struct gs_catalogue_entry *gs_catalogue_entry(enum gs_catalogue_op op);

/* The operations named `name` (any protocol), as bits (1 << op); 0 when none. */
uint64_t gs_catalogue_by_name(const char *name);

/* One operation a request performs, and the object it names (a file, a domain, a variable),
 * empty when none; the span is valid only during the event's emit call. */
struct gs_catalogue_hit {
    enum gs_catalogue_op op;
    struct gs_span object;
};

#define GS_CATALOGUE_MAX_HITS 4

/*
 * The operations of a DNP3 fragment (requests only: a response performs nothing). Writes at
 * most `cap` hits and returns how many.
 */
size_t gs_catalogue_dnp3(const struct gs_dnp3_event *ev, struct gs_catalogue_hit *hits, size_t cap);

/*
 * The operations of an IEC 104 APDU; `from_controlling` tells whether the controlling station
 * (the TCP client) sent it, since only its commands act. `ca_size` is iec104.ca_size (the
 * broadcast address is all ones).
 */
size_t gs_catalogue_iec104(const struct gs_iec104_event *ev, bool from_controlling,
                           unsigned ca_size, struct gs_catalogue_hit *hits, size_t cap);

/* The operations of an MMS PDU (confirmed requests only). */
size_t gs_catalogue_mms(const struct gs_mms_event *ev, struct gs_catalogue_hit *hits, size_t cap);

#endif
