/*
 * catalogue.c - the default catalogue of dangerous operations (see catalogue.h).
 *
 * What makes an operation dangerous here: it restarts a device or its application, stops or
 * replaces what runs on it, deletes or writes its files, changes its configuration, silences
 * its event reporting, or commands every device on a link at once. Routine SCADA traffic is
 * deliberately absent: reads, polls, interrogations, clock synchronisation (DNP3 WRITE g50,
 * RECORD_CURRENT_TIME, IEC 104 C_CS_NA_1), select/operate of a single point, IEC 61850
 * controls written to $CO$ objects, file reads (disturbance records are fetched routinely),
 * and DNP3 broadcast freezes. Each entry gives its source: the standard's clause (through
 * the digests in ../shared/specs) and the ATT&CK for ICS technique that names the abuse.
 */
#include "catalogue.h"

#include <string.h>

#include "compiler.h"
#include "dnp3.h"
#include "iec104.h"
#include "mms.h"

#define RESTART     "policy.dangerous.restart"
#define APPLICATION "policy.dangerous.application"
#define FILE_CHANGE "policy.dangerous.file_change"
#define CONFIG      "policy.dangerous.config_change"
#define UNSOLICITED "policy.dangerous.unsolicited_disabled"
#define BROADCAST   "policy.dangerous.broadcast_operate"

#define DNP3_FC  GS_OP_CODE_DNP3_FUNCTION
#define IEC_TYPE GS_OP_CODE_IEC104_TYPE
#define MMS_SVC  GS_OP_CODE_MMS_SERVICE

/* DNP3 function codes of the catalogue (IEEE 1815-2012 Table 4-1). */
#define FC_COLD_RESTART        0x0D
#define FC_WARM_RESTART        0x0E
#define FC_INITIALIZE_DATA     0x0F
#define FC_INITIALIZE_APPL     0x10
#define FC_START_APPL          0x11
#define FC_STOP_APPL           0x12
#define FC_SAVE_CONFIG         0x13
#define FC_DISABLE_UNSOLICITED 0x15
#define FC_OPEN_FILE           0x19
#define FC_DELETE_FILE         0x1B
#define FC_ACTIVATE_CONFIG     0x1F

static const struct gs_catalogue_entry entries[GS_OP_COUNT] = {
    /* ---- DNP3: IEEE 1815-2012 Table 4-1 (../shared/specs/dnp3.md §3.2); requests only ---- */
    /* The outstation reboots as from power-up; its data and events are lost and it is
     * unavailable meanwhile. ATT&CK T0816 Device Restart/Shutdown; Digital Bond Quickdraw
     * "DNP3 - Cold Restart From Unauthorized Client". */
    [GS_OP_DNP3_COLD_RESTART] = {GS_OP_DNP3_COLD_RESTART, "cold_restart", "dnp3", RESTART, DNP3_FC,
                                 "DNP3 COLD_RESTART: the outstation reboots as from power-up "
                                 "(T0816)"},
    /* Restarts the DNP3 application only. T0816. */
    [GS_OP_DNP3_WARM_RESTART] = {GS_OP_DNP3_WARM_RESTART, "warm_restart", "dnp3", RESTART, DNP3_FC,
                                 "DNP3 WARM_RESTART: the outstation restarts its DNP3 "
                                 "application (T0816)"},
    /* Obsolete in 1815-2012: resets the outstation's data to its start-up values. T0816. */
    [GS_OP_DNP3_INITIALIZE_DATA] = {GS_OP_DNP3_INITIALIZE_DATA, "initialize_data", "dnp3",
                                    APPLICATION, DNP3_FC,
                                    "DNP3 INITIALIZE_DATA (obsolete): the outstation resets its "
                                    "data to start-up values (T0816)"},
    /* Application control of user programs (g90 application identifiers), 1815-2012 §4.4.7.
     * T0858 Change Operating Mode. */
    [GS_OP_DNP3_INITIALIZE_APPLICATION] = {GS_OP_DNP3_INITIALIZE_APPLICATION,
                                           "initialize_application", "dnp3", APPLICATION, DNP3_FC,
                                           "DNP3 INITIALIZE_APPLICATION: an application on the "
                                           "outstation is reset to its initial state (T0858)"},
    [GS_OP_DNP3_START_APPLICATION] = {GS_OP_DNP3_START_APPLICATION, "start_application", "dnp3",
                                      APPLICATION, DNP3_FC,
                                      "DNP3 START_APPLICATION: an application on the outstation "
                                      "is started (T0858)"},
    /* T0881 Service Stop. */
    [GS_OP_DNP3_STOP_APPLICATION] = {GS_OP_DNP3_STOP_APPLICATION, "stop_application", "dnp3",
                                     APPLICATION, DNP3_FC,
                                     "DNP3 STOP_APPLICATION: an application on the outstation "
                                     "is stopped (T0881)"},
    /* Deprecated in 1815-2012: stores the running configuration. T0836 Modify Parameter. */
    [GS_OP_DNP3_SAVE_CONFIGURATION] = {GS_OP_DNP3_SAVE_CONFIGURATION, "save_configuration", "dnp3",
                                       CONFIG, DNP3_FC,
                                       "DNP3 SAVE_CONFIGURATION (deprecated): the outstation "
                                       "stores its configuration (T0836)"},
    /* 1815-2012 FC 31: puts configuration files or strings written earlier into service.
     * T0836. */
    [GS_OP_DNP3_ACTIVATE_CONFIG] = {GS_OP_DNP3_ACTIVATE_CONFIG, "activate_config", "dnp3", CONFIG,
                                    DNP3_FC,
                                    "DNP3 ACTIVATE_CONFIG: the outstation puts a new "
                                    "configuration into service (T0836)"},
    /* Stops unsolicited (event) reporting: alarms reach the master only when it polls.
     * T0804 Block Reporting Message; Quickdraw "DNP3 - Disable Unsolicited Responses". */
    [GS_OP_DNP3_DISABLE_UNSOLICITED] = {GS_OP_DNP3_DISABLE_UNSOLICITED, "disable_unsolicited",
                                        "dnp3", UNSOLICITED, DNP3_FC,
                                        "DNP3 DISABLE_UNSOLICITED: the outstation stops "
                                        "reporting events unsolicited (T0804)"},
    /* File services (1815-2012 §4.4.12, g70). T0809 Data Destruction. */
    [GS_OP_DNP3_FILE_DELETE] = {GS_OP_DNP3_FILE_DELETE, "file_delete", "dnp3", FILE_CHANGE, DNP3_FC,
                                "DNP3 DELETE_FILE: a file on the outstation is deleted (T0809)"},
    /* OPEN_FILE whose g70v3 command asks for mode 2 (write) or 3 (append): the WRITE g70v5
     * blocks that follow carry the file. T0867 Lateral Tool Transfer. A file opened for
     * reading (mode 1) is routine. */
    [GS_OP_DNP3_FILE_OPEN_WRITE] = {GS_OP_DNP3_FILE_OPEN_WRITE, "file_open_write", "dnp3",
                                    FILE_CHANGE, DNP3_FC,
                                    "DNP3 OPEN_FILE for writing: a file is written to the "
                                    "outstation (T0867)"},
    /* Link destinations 0xFFFD..0xFFFF address every outstation on the link (1815-2012
     * §9.2.5.3); a control or write sent there acts on all of them and none confirms.
     * T0855 Unauthorized Command Message. Broadcast freezes are routine and not listed. */
    [GS_OP_DNP3_BROADCAST_OPERATE] = {GS_OP_DNP3_BROADCAST_OPERATE, "broadcast_operate", "dnp3",
                                      BROADCAST, GS_OP_CODE_NONE,
                                      "DNP3 write or control to a broadcast address: every "
                                      "outstation on the link acts on it (T0855)"},

    /* ---- IEC 60870-5-104 (../shared/specs/iec104.md §3); ASDUs the controlling station
     * sends ---- */
    /* C_RP_NA_1 (105), QRP 1 general reset of process, 2 reset of the time-tagged event
     * buffer; the digest flags it critical. T0816. */
    [GS_OP_IEC104_RESET_PROCESS] = {GS_OP_IEC104_RESET_PROCESS, "reset_process", "iec104", RESTART,
                                    IEC_TYPE,
                                    "IEC 104 C_RP_NA_1: the controlled station resets its process "
                                    "or event buffer (T0816)"},
    /* File transfer in control direction: the controlling station offers a file (F_FR_NA_1
     * file ready, F_SR_NA_1 section ready) and sends it (F_SG_NA_1 segments, F_LS_NA_1 last
     * section). Reading files from the station (F_SC_NA_1 calls) is routine. T0867. */
    [GS_OP_IEC104_FILE_WRITE] = {GS_OP_IEC104_FILE_WRITE, "file_write", "iec104", FILE_CHANGE,
                                 IEC_TYPE,
                                 "IEC 104 file transfer in control direction: a file is written "
                                 "to the controlled station (T0867)"},
    /* P_AC_NA_1 (113): activates or deactivates cyclic transmission or parameters loaded
     * with P_ME_*. T0836. (P_ME_* parameter loads themselves, thresholds and smoothing
     * factors, are tuning and not listed.) */
    [GS_OP_IEC104_PARAMETER_ACTIVATION] = {GS_OP_IEC104_PARAMETER_ACTIVATION,
                                           "parameter_activation", "iec104", CONFIG, IEC_TYPE,
                                           "IEC 104 P_AC_NA_1: parameters of the controlled "
                                           "station are activated (T0836)"},
    /* A process command (45..64) to the global common address (0xFFFF, or 0xFF with one-octet
     * CAs): every station of the link acts. Interrogation and clock synchronisation are
     * routinely broadcast and not listed. T0855. */
    [GS_OP_IEC104_BROADCAST_COMMAND] = {GS_OP_IEC104_BROADCAST_COMMAND, "broadcast_command",
                                        "iec104", BROADCAST, GS_OP_CODE_NONE,
                                        "IEC 104 process command to the global common address: "
                                        "every station acts on it (T0855)"},

    /* ---- MMS: ISO 9506-2 confirmed requests. IEC 61850-8-1 maps none of the domain
     * management, program invocation or download services, so a 61850 server never needs
     * them; ICCP (TASE.2) uses none either. ---- */
    /* deleteDomain (36) removes a domain (a logical device, or a loaded program). T0809. */
    [GS_OP_MMS_DELETE_DOMAIN] = {GS_OP_MMS_DELETE_DOMAIN, "delete_domain", "mms", APPLICATION,
                                 MMS_SVC,
                                 "MMS deleteDomain: a domain of the server is deleted (T0809)"},
    /* Program invocation services (ISO 9506-1 §11): T0881 for delete/stop/kill, T0858 for
     * start/resume/reset. */
    [GS_OP_MMS_DELETE_PROGRAM_INVOCATION] = {GS_OP_MMS_DELETE_PROGRAM_INVOCATION,
                                             "delete_program_invocation", "mms", APPLICATION,
                                             MMS_SVC,
                                             "MMS deleteProgramInvocation: a program of the "
                                             "server is deleted (T0881)"},
    [GS_OP_MMS_START] = {GS_OP_MMS_START, "start", "mms", APPLICATION, MMS_SVC,
                         "MMS start: a program invocation is started (T0858)"},
    [GS_OP_MMS_STOP] = {GS_OP_MMS_STOP, "stop", "mms", APPLICATION, MMS_SVC,
                        "MMS stop: a program invocation is stopped (T0881)"},
    [GS_OP_MMS_RESUME] = {GS_OP_MMS_RESUME, "resume", "mms", APPLICATION, MMS_SVC,
                          "MMS resume: a program invocation resumes (T0858)"},
    [GS_OP_MMS_RESET] = {GS_OP_MMS_RESET, "reset", "mms", APPLICATION, MMS_SVC,
                         "MMS reset: a program invocation is reset (T0858)"},
    [GS_OP_MMS_KILL] = {GS_OP_MMS_KILL, "kill", "mms", APPLICATION, MMS_SVC,
                        "MMS kill: a program invocation is killed (T0881)"},
    /* Domain download (initiateDownloadSequence 26, requestDomainDownload 32,
     * loadDomainContent 34): new program or configuration content is loaded into the server.
     * T0843 Program Download. */
    [GS_OP_MMS_DOMAIN_DOWNLOAD] = {GS_OP_MMS_DOMAIN_DOWNLOAD, "domain_download", "mms", CONFIG,
                                   MMS_SVC,
                                   "MMS domain download: program or configuration content is "
                                   "loaded into the server (T0843)"},
    /* File services (ISO 9506-2 Annex C / IEC 61850-8-1 §23). fileOpen only reads. */
    [GS_OP_MMS_FILE_DELETE] = {GS_OP_MMS_FILE_DELETE, "file_delete", "mms", FILE_CHANGE, MMS_SVC,
                               "MMS fileDelete: a file on the server is deleted (T0809)"},
    [GS_OP_MMS_FILE_RENAME] = {GS_OP_MMS_FILE_RENAME, "file_rename", "mms", FILE_CHANGE, MMS_SVC,
                               "MMS fileRename: a file on the server is renamed (T0809)"},
    /* obtainFile makes the server fetch a file and store it: a file write. T0867. */
    [GS_OP_MMS_OBTAIN_FILE] = {GS_OP_MMS_OBTAIN_FILE, "obtain_file", "mms", FILE_CHANGE, MMS_SVC,
                               "MMS obtainFile: the server fetches a file and stores it "
                               "(T0867)"},
    /* IEC 61850-7-2 §16 setting group control: a write to a setting group control block
     * (SGCB$ActSG SelectActiveSG, SGCB$EditSG SelectEditSG, SGCB$CnfEdit
     * ConfirmEditSGValues) switches or changes the protection settings in force. Writes to
     * $CO$ (controls) are normal operation and not listed. T0836. */
    [GS_OP_MMS_SETTING_GROUP_CHANGE] = {GS_OP_MMS_SETTING_GROUP_CHANGE, "setting_group_change",
                                        "mms", CONFIG, GS_OP_CODE_NONE,
                                        "MMS write to a setting group control block: the "
                                        "protection settings in force change (T0836)"},
};

const struct gs_catalogue_entry *gs_catalogue_entry(enum gs_catalogue_op op)
{
    GS_ASSERT((unsigned)op < GS_OP_COUNT);
    return &entries[op];
}

uint64_t gs_catalogue_by_name(const char *name)
{
    uint64_t bits = 0;
    for (unsigned op = 0; op < GS_OP_COUNT; op++) {
        if (strcmp(entries[op].name, name) == 0)
            bits |= UINT64_C(1) << op;
    }
    return bits;
}

static size_t add(struct gs_catalogue_hit *hits, size_t n, size_t cap, enum gs_catalogue_op op,
                  struct gs_span object)
{
    if (n == cap)
        return n;
    hits[n].op = op;
    hits[n].object = object;
    return n + 1;
}

/* ---- DNP3 ----------------------------------------------------------------------------------- */

#define DNP3_BROADCAST_MIN    0xFFFDu /* 0xFFFD..0xFFFF: all outstations (1815-2012 §9.2.5.3) */
#define DNP3_FILE_MODE_WRITE  2u
#define DNP3_FILE_MODE_APPEND 3u
/* g70v3 file command: name offset (2), name size (2), creation time (6), permissions (2),
 * authentication key (4), file size (4), operational mode (2), maximum block size (2),
 * request id (2), name. */
#define G70V3_MODE_OFFSET     20u
#define G70V3_NAME_OFFSET     26u

/* The mode and name of the first g70v3 file command of an OPEN_FILE request; false when it
 * has none. */
static bool dnp3_file_command(const struct gs_dnp3_event *ev, unsigned *mode, struct gs_span *name)
{
    for (size_t i = 0; i < ev->n_objects; i++) {
        const struct gs_dnp3_object *obj = &ev->objects[i];
        if (obj->group != 70 || obj->variation != 3)
            continue;
        struct gs_dnp3_point_iter it;
        struct gs_dnp3_point pt;
        gs_dnp3_points_begin(&it, obj);
        if (!gs_dnp3_points_next(&it, &pt) || pt.kind != GS_DNP3_VAL_BYTES)
            continue;
        struct gs_cursor c = gs_cur_init(pt.bytes.ptr, pt.bytes.len);
        gs_cur_skip(&c, 2);
        uint16_t name_len = gs_cur_le16(&c);
        gs_cur_skip(&c, G70V3_MODE_OFFSET - 4);
        uint16_t m = gs_cur_le16(&c);
        gs_cur_skip(&c, G70V3_NAME_OFFSET - G70V3_MODE_OFFSET - 2);
        if (!gs_cur_ok(&c))
            continue;
        /* A name that does not fit is left out rather than trusted. */
        struct gs_span n = {0};
        if (name_len <= gs_cur_remaining(&c))
            n = gs_cur_span(&c, name_len);
        *mode = m;
        *name = n;
        return true;
    }
    return false;
}

static enum gs_catalogue_op dnp3_function_op(uint8_t fc, bool *known)
{
    *known = true;
    switch (fc) {
    case FC_COLD_RESTART:
        return GS_OP_DNP3_COLD_RESTART;
    case FC_WARM_RESTART:
        return GS_OP_DNP3_WARM_RESTART;
    case FC_INITIALIZE_DATA:
        return GS_OP_DNP3_INITIALIZE_DATA;
    case FC_INITIALIZE_APPL:
        return GS_OP_DNP3_INITIALIZE_APPLICATION;
    case FC_START_APPL:
        return GS_OP_DNP3_START_APPLICATION;
    case FC_STOP_APPL:
        return GS_OP_DNP3_STOP_APPLICATION;
    case FC_SAVE_CONFIG:
        return GS_OP_DNP3_SAVE_CONFIGURATION;
    case FC_ACTIVATE_CONFIG:
        return GS_OP_DNP3_ACTIVATE_CONFIG;
    case FC_DISABLE_UNSOLICITED:
        return GS_OP_DNP3_DISABLE_UNSOLICITED;
    case FC_DELETE_FILE:
        return GS_OP_DNP3_FILE_DELETE;
    default:
        *known = false;
        return GS_OP_COUNT;
    }
}

size_t gs_catalogue_dnp3(const struct gs_dnp3_event *ev, struct gs_catalogue_hit *hits, size_t cap)
{
    if (ev->is_response || ev->function_code >= GS_DNP3_FC_RESPONSE)
        return 0;
    size_t n = 0;
    struct gs_span none = {0};
    bool known;
    enum gs_catalogue_op op = dnp3_function_op(ev->function_code, &known);
    if (known)
        n = add(hits, n, cap, op, none);
    if (ev->function_code == FC_OPEN_FILE) {
        unsigned mode;
        struct gs_span name;
        if (dnp3_file_command(ev, &mode, &name) &&
            (mode == DNP3_FILE_MODE_WRITE || mode == DNP3_FILE_MODE_APPEND))
            n = add(hits, n, cap, GS_OP_DNP3_FILE_OPEN_WRITE, name);
    }
    if (ev->dst >= DNP3_BROADCAST_MIN && ev->function_code >= GS_DNP3_FC_WRITE &&
        ev->function_code <= GS_DNP3_FC_DIRECT_OP_NR)
        n = add(hits, n, cap, GS_OP_DNP3_BROADCAST_OPERATE, none);
    return n;
}

/* ---- IEC 60870-5-104 ------------------------------------------------------------------------ */

#define IEC104_C_RP_NA_1          105
#define IEC104_P_AC_NA_1          113
#define IEC104_F_FR_NA_1          120
#define IEC104_F_SR_NA_1          121
#define IEC104_F_LS_NA_1          123
#define IEC104_F_SG_NA_1          125
/* Process commands: single, double, regulating step, set points, bitstring (45..51) and their
 * CP56 forms (58..64). */
#define IEC104_PROCESS_COMMAND(t) (((t) >= 45 && (t) <= 51) || ((t) >= 58 && (t) <= 64))

size_t gs_catalogue_iec104(const struct gs_iec104_event *ev, bool from_controlling,
                           unsigned ca_size, struct gs_catalogue_hit *hits, size_t cap)
{
    const struct gs_iec104_asdu *a = ev->asdu;
    if (!from_controlling || a == NULL || a->truncated)
        return 0;
    size_t n = 0;
    struct gs_span none = {0};
    switch (a->type_id) {
    case IEC104_C_RP_NA_1:
        n = add(hits, n, cap, GS_OP_IEC104_RESET_PROCESS, none);
        break;
    case IEC104_P_AC_NA_1:
        n = add(hits, n, cap, GS_OP_IEC104_PARAMETER_ACTIVATION, none);
        break;
    case IEC104_F_FR_NA_1:
    case IEC104_F_SR_NA_1:
    case IEC104_F_LS_NA_1:
    case IEC104_F_SG_NA_1:
        n = add(hits, n, cap, GS_OP_IEC104_FILE_WRITE, none);
        break;
    default:
        break;
    }
    uint16_t broadcast = ca_size == 1 ? 0xFFu : 0xFFFFu;
    if (a->has_ca && a->ca == broadcast && IEC104_PROCESS_COMMAND(a->type_id))
        n = add(hits, n, cap, GS_OP_IEC104_BROADCAST_COMMAND, none);
    return n;
}

/* ---- MMS ------------------------------------------------------------------------------------ */

/* Whether an item names a setting group control block attribute ("LLN0$SP$SGCB$ActSG"). */
static bool is_sgcb(struct gs_span item)
{
    static const char marker[] = "$SGCB$";
    size_t m = sizeof(marker) - 1;
    for (size_t i = 0; item.len >= m && i <= item.len - m; i++) {
        if (memcmp(item.ptr + i, marker, m) == 0)
            return true;
    }
    return false;
}

static struct gs_span first_file(const struct gs_mms_event *ev)
{
    struct gs_span none = {0};
    return ev->n_files > 0 ? ev->files[0] : none;
}

size_t gs_catalogue_mms(const struct gs_mms_event *ev, struct gs_catalogue_hit *hits, size_t cap)
{
    if (ev->pdu != GS_MMS_PDU_CONFIRMED_REQUEST || !ev->has_service)
        return 0;
    size_t n = 0;
    switch (ev->service) {
    case GS_MMS_SVC_DELETE_DOMAIN:
        n = add(hits, n, cap, GS_OP_MMS_DELETE_DOMAIN, ev->domain);
        break;
    case GS_MMS_SVC_DELETE_PROGRAM_INVOCATION:
        n = add(hits, n, cap, GS_OP_MMS_DELETE_PROGRAM_INVOCATION, ev->program_invocation);
        break;
    case GS_MMS_SVC_START:
        n = add(hits, n, cap, GS_OP_MMS_START, ev->program_invocation);
        break;
    case GS_MMS_SVC_STOP:
        n = add(hits, n, cap, GS_OP_MMS_STOP, ev->program_invocation);
        break;
    case GS_MMS_SVC_RESUME:
        n = add(hits, n, cap, GS_OP_MMS_RESUME, ev->program_invocation);
        break;
    case GS_MMS_SVC_RESET:
        n = add(hits, n, cap, GS_OP_MMS_RESET, ev->program_invocation);
        break;
    case GS_MMS_SVC_KILL:
        n = add(hits, n, cap, GS_OP_MMS_KILL, ev->program_invocation);
        break;
    case GS_MMS_SVC_INITIATE_DOWNLOAD_SEQUENCE:
    case GS_MMS_SVC_REQUEST_DOMAIN_DOWNLOAD:
    case GS_MMS_SVC_LOAD_DOMAIN_CONTENT:
        n = add(hits, n, cap, GS_OP_MMS_DOMAIN_DOWNLOAD,
                ev->domain.len > 0 ? ev->domain : first_file(ev));
        break;
    case GS_MMS_SVC_FILE_DELETE:
        n = add(hits, n, cap, GS_OP_MMS_FILE_DELETE, first_file(ev));
        break;
    case GS_MMS_SVC_FILE_RENAME:
        n = add(hits, n, cap, GS_OP_MMS_FILE_RENAME, first_file(ev));
        break;
    case GS_MMS_SVC_OBTAIN_FILE:
        /* files[0] is the source, files[1] where the server stores it. */
        n = add(hits, n, cap, GS_OP_MMS_OBTAIN_FILE,
                ev->n_files > 1 ? ev->files[1] : first_file(ev));
        break;
    case GS_MMS_SVC_WRITE:
        for (size_t i = 0; i < ev->n_objects; i++) {
            if (is_sgcb(ev->objects[i].item)) {
                n = add(hits, n, cap, GS_OP_MMS_SETTING_GROUP_CHANGE, ev->objects[i].item);
                break;
            }
        }
        break;
    default:
        break;
    }
    return n;
}
