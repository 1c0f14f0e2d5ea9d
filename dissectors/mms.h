/*
 * mms.h - IEC 61850 / ICCP (TASE.2) MMS over the ISO stack on TCP 102: the dissector and its
 * typed event, the contract with every consumer (the JSON formatter and, later, the
 * function-code policy detector).
 *
 *   TCP -> TPKT (RFC 1006) -> COTP (ISO 8073) -> Session (ISO 8327) -> Presentation (ISO 8823)
 *       -> ACSE (ISO 8650) -> MMS (ISO 9506-2)
 *
 * One struct gs_mms_event (GS_EVENT_MMS) is emitted per MMS PDU, per ACSE APDU that carries no
 * MMS PDU (release, abort, a refused association), and per transport/session/presentation
 * refusal, disconnect or abort. Every pointer and span in it points into the packet, the
 * reassembly buffer or the flow's state and is valid only during the emit call.
 */
#ifndef GS_DISSECTORS_MMS_H
#define GS_DISSECTORS_MMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "dissector.h"
#include "iec61850_data.h"

extern const struct gs_dissector gs_mms_dissector;

/* The MMSpdu alternative (ISO 9506-2): the values are the context tag numbers. */
enum gs_mms_pdu {
    GS_MMS_PDU_CONFIRMED_REQUEST = 0,
    GS_MMS_PDU_CONFIRMED_RESPONSE = 1,
    GS_MMS_PDU_CONFIRMED_ERROR = 2,
    GS_MMS_PDU_UNCONFIRMED = 3,
    GS_MMS_PDU_REJECT = 4,
    GS_MMS_PDU_CANCEL_REQUEST = 5,
    GS_MMS_PDU_CANCEL_RESPONSE = 6,
    GS_MMS_PDU_CANCEL_ERROR = 7,
    GS_MMS_PDU_INITIATE_REQUEST = 8,
    GS_MMS_PDU_INITIATE_RESPONSE = 9,
    GS_MMS_PDU_INITIATE_ERROR = 10,
    GS_MMS_PDU_CONCLUDE_REQUEST = 11,
    GS_MMS_PDU_CONCLUDE_RESPONSE = 12,
    GS_MMS_PDU_CONCLUDE_ERROR = 13,
    GS_MMS_PDU_NONE = 255, /* the event reports an ACSE or ISO-layer PDU only */
};

/* Confirmed services (ConfirmedServiceRequest/Response tag numbers) IEC 61850-8-1 and ICCP
 * use; the others keep their ISO 9506 number (gs_mms_service_name() knows all 0..77). */
enum gs_mms_service {
    GS_MMS_SVC_STATUS = 0,
    GS_MMS_SVC_GET_NAME_LIST = 1,
    GS_MMS_SVC_IDENTIFY = 2,
    GS_MMS_SVC_RENAME = 3,
    GS_MMS_SVC_READ = 4,
    GS_MMS_SVC_WRITE = 5,
    GS_MMS_SVC_GET_VARIABLE_ACCESS_ATTRIBUTES = 6,
    GS_MMS_SVC_DEFINE_NAMED_VARIABLE_LIST = 11,
    GS_MMS_SVC_GET_NAMED_VARIABLE_LIST_ATTRIBUTES = 12,
    GS_MMS_SVC_DELETE_NAMED_VARIABLE_LIST = 13,
    GS_MMS_SVC_TAKE_CONTROL = 19,
    GS_MMS_SVC_RELINQUISH_CONTROL = 20,
    GS_MMS_SVC_INITIATE_DOWNLOAD_SEQUENCE = 26,
    GS_MMS_SVC_DOWNLOAD_SEGMENT = 27,
    GS_MMS_SVC_TERMINATE_DOWNLOAD_SEQUENCE = 28,
    GS_MMS_SVC_INITIATE_UPLOAD_SEQUENCE = 29,
    GS_MMS_SVC_UPLOAD_SEGMENT = 30,
    GS_MMS_SVC_TERMINATE_UPLOAD_SEQUENCE = 31,
    GS_MMS_SVC_REQUEST_DOMAIN_DOWNLOAD = 32,
    GS_MMS_SVC_REQUEST_DOMAIN_UPLOAD = 33,
    GS_MMS_SVC_LOAD_DOMAIN_CONTENT = 34,
    GS_MMS_SVC_STORE_DOMAIN_CONTENT = 35,
    GS_MMS_SVC_DELETE_DOMAIN = 36,
    GS_MMS_SVC_GET_DOMAIN_ATTRIBUTES = 37,
    GS_MMS_SVC_CREATE_PROGRAM_INVOCATION = 38,
    GS_MMS_SVC_DELETE_PROGRAM_INVOCATION = 39,
    GS_MMS_SVC_START = 40,
    GS_MMS_SVC_STOP = 41,
    GS_MMS_SVC_RESUME = 42,
    GS_MMS_SVC_RESET = 43,
    GS_MMS_SVC_KILL = 44,
    GS_MMS_SVC_GET_PROGRAM_INVOCATION_ATTRIBUTES = 45,
    GS_MMS_SVC_OBTAIN_FILE = 46,
    GS_MMS_SVC_READ_JOURNAL = 65,
    GS_MMS_SVC_INITIALIZE_JOURNAL = 67,
    GS_MMS_SVC_GET_CAPABILITY_LIST = 71,
    GS_MMS_SVC_FILE_OPEN = 72,
    GS_MMS_SVC_FILE_READ = 73,
    GS_MMS_SVC_FILE_CLOSE = 74,
    GS_MMS_SVC_FILE_RENAME = 75,
    GS_MMS_SVC_FILE_DELETE = 76,
    GS_MMS_SVC_FILE_DIRECTORY = 77,
};

/* Unconfirmed services (UnconfirmedService tag numbers). */
enum gs_mms_unconfirmed {
    GS_MMS_UNC_INFORMATION_REPORT = 0,
    GS_MMS_UNC_UNSOLICITED_STATUS = 1,
    GS_MMS_UNC_EVENT_NOTIFICATION = 2,
};

/* How the MMS PDU was reached. */
enum gs_mms_path {
    GS_MMS_PATH_PRESENTATION, /* session + presentation, in the context the CP-PPDU negotiated */
    GS_MMS_PATH_PROBED,       /* session + presentation whose context was not seen (the capture
                                 began mid-association): recognised by its BER content */
    GS_MMS_PATH_COTP,         /* MMS straight in the COTP user data, no session/presentation */
};

/* ObjectName scope (ISO 9506-2 ObjectName CHOICE), plus a bare Identifier (a getNameList
 * answer, a domain or program-invocation name listed as an object). */
enum gs_mms_scope {
    GS_MMS_SCOPE_VMD = 0,
    GS_MMS_SCOPE_DOMAIN = 1,
    GS_MMS_SCOPE_AA = 2,
    GS_MMS_SCOPE_IDENTIFIER = 3,
    GS_MMS_SCOPE_UNNAMED = 4, /* a variable given by address or description: no name */
};

/* An MMS object name; IEC 61850 maps the logical device to `domain` and LN$FC$DO$DA to `item`
 * ("IED1LD0" / "CSWI1$CO$Pos$Oper"). */
struct gs_mms_object_name {
    enum gs_mms_scope scope;
    struct gs_span domain; /* domain-specific only, else empty */
    struct gs_span item;   /* the itemId, or the vmd/aa-specific or bare identifier */
};

/* One AccessResult of a read response or information report, or one write result. */
struct gs_mms_access_result {
    bool success;
    uint8_t error;  /* DataAccessError (0 object-invalidated ... 11 object-value-invalid) */
    uint32_t value; /* success with data: index of its top-level node in values.nodes,
                       GS_MMS_NO_VALUE for a write success or a value past the cap */
};

#define GS_MMS_NO_VALUE UINT32_MAX

/* IEC 61850-8-1 control service recognised from the object name and the MMS service. */
enum gs_mms_control_action {
    GS_MMS_CTL_SELECT,      /* read of ...$CO$<DO>$SBO, or write of ...$SBOw (select with value) */
    GS_MMS_CTL_OPERATE,     /* write of ...$CO$<DO>$Oper */
    GS_MMS_CTL_CANCEL,      /* write of ...$CO$<DO>$Cancel */
    GS_MMS_CTL_TERMINATION, /* information report of ...$CO$<DO>$Oper (CommandTermination) */
};

enum gs_mms_control_attr {
    GS_MMS_CTL_ATTR_SBO,
    GS_MMS_CTL_ATTR_SBOW,
    GS_MMS_CTL_ATTR_OPER,
    GS_MMS_CTL_ATTR_CANCEL,
};

struct gs_mms_control {
    uint32_t object; /* index into objects[] */
    enum gs_mms_control_action action;
    enum gs_mms_control_attr attr;
    uint32_t value; /* ctlVal: index into values.nodes, GS_MMS_NO_VALUE if absent (SBO read) */
    bool has_orcat;
    int64_t orcat; /* originator category: 0 not-supported ... 3 remote-control ... 8 process */
    struct gs_span orident; /* originator identification (octet string), may be empty */
    bool has_ctl_num;
    uint64_t ctl_num;
    bool has_test;
    bool test;
    bool has_oper_tm; /* time-activated operate */
};

/* An IEC 61850 LastApplError information report (negative control response detail). */
struct gs_mms_last_appl_error {
    struct gs_span object; /* CntrlObj, e.g. "IED1LD0/CSWI1$CO$Pos$Oper" */
    int64_t error;         /* 0 none, 1 unknown, 2 timeout-test-not-ok, 3 operator-test-not-ok */
    bool has_orcat;
    int64_t orcat;
    struct gs_span orident;
    uint64_t ctl_num;
    int64_t add_cause; /* AddCause 0..27 */
};

/* ACSE (ISO 8650) association facts. The authentication value itself is never kept: only
 * whether one is present and which form it takes (a charstring is a cleartext password). */
enum gs_mms_acse_pdu {
    GS_MMS_ACSE_AARQ = 0,
    GS_MMS_ACSE_AARE = 1,
    GS_MMS_ACSE_RLRQ = 2,
    GS_MMS_ACSE_RLRE = 3,
    GS_MMS_ACSE_ABRT = 4,
};

enum gs_mms_auth_form {
    GS_MMS_AUTH_NONE = 0,
    GS_MMS_AUTH_CHARSTRING, /* [0] GraphicString: a cleartext password */
    GS_MMS_AUTH_BITSTRING,
    GS_MMS_AUTH_EXTERNAL,
    GS_MMS_AUTH_OTHER, /* [3] { mechanism OID, value }: e.g. IEC 62351-4 certificates */
};

struct gs_mms_acse {
    enum gs_mms_acse_pdu pdu;
    struct gs_span app_context; /* application-context-name OID contents (MMS: 1.0.9506.2.3) */
    struct gs_span calling_ap_title, called_ap_title, responding_ap_title; /* OID contents
                                                                              (form 2) */
    bool has_calling_ae_qualifier, has_called_ae_qualifier, has_responding_ae_qualifier;
    int64_t calling_ae_qualifier, called_ae_qualifier, responding_ae_qualifier;
    struct gs_span auth_mechanism; /* mechanism-name OID contents (password: 2.2.3.1) */
    bool auth_value_present;
    enum gs_mms_auth_form auth_form;
    bool has_result; /* AARE: 0 accepted, 1 rejected-permanent, 2 rejected-transient */
    uint32_t result;
    bool has_diagnostic;      /* AARE result-source-diagnostic */
    bool diagnostic_provider; /* false: service-user, true: service-provider */
    uint32_t diagnostic;
    bool has_reason; /* RLRQ / RLRE */
    int64_t reason;
    bool has_abort_source; /* ABRT: 0 acse-service-user, 1 acse-service-provider */
    uint32_t abort_source;
    bool has_abort_diagnostic;
    uint32_t abort_diagnostic;
};

/* Transport, session or presentation events that carry no ACSE APDU. */
enum gs_mms_iso_pdu {
    GS_MMS_ISO_COTP_DR,  /* disconnect request, reason = COTP reason */
    GS_MMS_ISO_COTP_ER,  /* TPDU error, reason = reject cause */
    GS_MMS_ISO_SES_RF,   /* session refuse, reason = the refusal reason octet */
    GS_MMS_ISO_SES_AB,   /* session abort without an ACSE abort, reason = transport-disconnect */
    GS_MMS_ISO_PRES_CPR, /* presentation connect reject, reason = provider-reason */
    GS_MMS_ISO_PRES_ARP, /* presentation provider abort, reason = abort-reason */
};

struct gs_mms_iso {
    enum gs_mms_iso_pdu pdu;
    bool has_reason;
    uint32_t reason;
};

/* Initiate-Request/Response parameters (the association's negotiated limits). */
struct gs_mms_initiate {
    bool has_local_detail;
    int64_t local_detail; /* max MMS PDU size */
    int64_t max_serv_outstanding_calling, max_serv_outstanding_called;
    bool has_nesting_level;
    int64_t nesting_level;
    bool has_version;
    int64_t version;
    struct gs_span services_supported; /* the ServiceSupportOptions bit string, unused-bits
                                          octet first */
};

struct gs_mms_event {
    enum gs_mms_path path;
    enum gs_mms_pdu pdu;
    bool has_service; /* with a confirmed PDU: enum gs_mms_service; unconfirmed: enum
                         gs_mms_unconfirmed */
    uint32_t service;
    bool has_invoke_id;
    uint32_t invoke_id;
    bool malformed; /* the PDU's body did not decode as ISO 9506 says: what follows is partial */
    bool capped;    /* longer than mms.max_pdu_bytes: only its first bytes were decoded */

    /* Object names (variables, variable lists deleted, semaphores, journals, getNameList
     * answers), in PDU order, at most mms.max_objects. */
    const struct gs_mms_object_name *objects;
    size_t n_objects;
    bool objects_capped;
    bool has_list_name; /* the PDU names a named variable list (read/write/report by list
                           name, define/get NVL attributes) */
    struct gs_mms_object_name list_name;

    /* Data values: a write request's listOfData, or the successes of a read response or an
     * information report (see results); flat, document order (iec61850_data.h). */
    struct gs_data_list values;
    const struct gs_mms_access_result *results; /* read/write responses, reports */
    size_t n_results;

    /* Names a service acts on. */
    const struct gs_span *files; /* FileName first components: fileOpen/Delete/Directory
                                    (request and listed entries), obtainFile/fileRename
                                    (source, destination), domain load/store */
    size_t n_files;
    struct gs_span domain;             /* domain services, getNameList's domain scope */
    struct gs_span program_invocation; /* program invocation services */
    bool has_object_class;             /* getNameList / rename objectClass (0 namedVariable ...
                                          9 domain) */
    uint32_t object_class;
    bool has_frsm_id; /* fileOpen response, fileRead, fileClose */
    int64_t frsm_id;
    bool has_file_size; /* fileOpen response, the first fileDirectory entry */
    uint64_t file_size;
    bool has_more_follows; /* getNameList, fileRead, fileDirectory responses */
    bool more_follows;
    struct gs_span vendor, model, revision; /* identify response */
    bool has_status;                        /* status response / unsolicitedStatus */
    int64_t logical_status, physical_status;

    bool has_error;       /* confirmed/initiate/conclude/cancel error: ServiceError errorClass */
    uint32_t error_class; /* 0 vmd-state ... 7 access, 11 file, 12 others */
    int64_t error_code;
    bool has_reject;      /* rejectPDU: rejectReason alternative and code */
    uint32_t reject_type; /* 1 confirmed-requestPDU ... 5 pdu-error ... 11 conclude-errorPDU */
    int64_t reject_code;
    bool has_initiate;
    struct gs_mms_initiate initiate;

    /* IEC 61850 control semantics. */
    const struct gs_mms_control *controls;
    size_t n_controls;
    bool has_last_appl_error;
    struct gs_mms_last_appl_error last_appl_error;

    const struct gs_mms_acse *acse; /* NULL unless an ACSE APDU carried or is this event */
    const struct gs_mms_iso *iso;   /* NULL unless this is a transport/session/presentation
                                       event */
};

/* "confirmed-request", "initiate-response"...; NULL for an unknown value. */
const char *gs_mms_pdu_name(enum gs_mms_pdu pdu);

/* The ISO 9506 service name for a PDU type ("read", "fileOpen", "informationReport"), or
 * NULL when the PDU type carries no service or the number is unknown. */
const char *gs_mms_service_name(enum gs_mms_pdu pdu, uint32_t service);

const char *gs_mms_acse_pdu_name(enum gs_mms_acse_pdu pdu);
const char *gs_mms_auth_form_name(enum gs_mms_auth_form form);
const char *gs_mms_iso_pdu_name(enum gs_mms_iso_pdu pdu);
const char *gs_mms_control_action_name(enum gs_mms_control_action action);
const char *gs_mms_path_name(enum gs_mms_path path);
/* DataAccessError names ("object-non-existent"); NULL when unknown. */
const char *gs_mms_access_error_name(uint32_t error);
/* ServiceError errorClass names ("access", "file"); NULL when unknown. */
const char *gs_mms_error_class_name(uint32_t error_class);

/*
 * Writes the dotted form of BER OBJECT IDENTIFIER contents ("1.0.9506.2.3") into out (cap
 * bytes, NUL-terminated). Returns false, with out holding "", when the contents are not a
 * valid OID or do not fit.
 */
bool gs_mms_oid_text(struct gs_span oid, char *out, size_t cap);

#endif
