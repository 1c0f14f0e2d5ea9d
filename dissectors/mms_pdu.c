/*
 * mms_pdu.c - MMS PDUs (ISO 9506-2, the MMSpdu CHOICE) and the IEC 61850-8-1 control and
 * LastApplError semantics layered on them (IEC 61850-8-1 §20, control model over MMS).
 *
 *   MMSpdu: A0 confirmed-Request { 02 invokeID, [30 modifiers], <service [n]> }
 *           A1 confirmed-Response { 02 invokeID, <service [n]> }
 *           A2 confirmed-Error { 80 invokeID, [81 modifierPosition], A2 serviceError }
 *           A3 unconfirmed { A0 informationReport | A1 unsolicitedStatus | A2 eventNotif. }
 *           A4 reject { [80 originalInvokeID], <reason [1..11] INTEGER> }
 *           85/86 cancel-Request/Response invokeID   A7 cancel-Error
 *           A8/A9/AA initiate-Request/Response/Error  8B/8C/AD conclude-Request/Response/Error
 *
 *   write:  A5 { A0 listOfVariable { 30 { A0 { ObjectName } } ... } | A1 { ObjectName },
 *                A0 listOfData { Data ... } }
 *   ObjectName: 80 vmd-specific | A1 domain-specific { 1A domainId, 1A itemId } | 82 aa-specific
 *
 * Decoding starts at BER depth 0 at the MMSpdu whatever carried it, so a deep but legal Data
 * structure is not refused because of the layers around it.
 */
#include <string.h>

#include "ber.h"
#include "iec61850_data.h"
#include "mms_int.h"

#define TAG_INTEGER  2
#define TAG_SEQUENCE 16

struct pdu_dec {
    const struct gs_mms_scratch *s;
    struct gs_mms_event *ev;
    bool bad; /* the bytes contradict ISO 9506 somewhere */
};

/* ---- small readers ------------------------------------------------------------------------ */

/* Reads the next TLV of `cur` if there is one. A malformed or uncaptured TLV marks the PDU
 * bad (an uncaptured one only matters when the PDU was capped, which the caller records). */
static bool next_tlv(struct pdu_dec *d, struct gs_cursor *cur, struct gs_ber_tag *tag,
                     struct gs_cursor *val, unsigned depth)
{
    if (gs_cur_wire_remaining(cur) == 0)
        return false;
    if (!gs_ber_tlv(cur, tag, val, depth, GS_MMS_BER)) {
        d->bad = true;
        return false;
    }
    return true;
}

static bool is_ctx(const struct gs_ber_tag *tag, uint32_t number)
{
    return tag->cls == GS_BER_CONTEXT && tag->number == number;
}

static struct gs_span span_of(struct gs_cursor v)
{
    return gs_cur_rest(&v);
}

static bool read_int(struct pdu_dec *d, struct gs_cursor v, int64_t *out)
{
    if (!gs_ber_int(v, out)) {
        d->bad = true;
        return false;
    }
    return true;
}

static bool read_u32(struct pdu_dec *d, struct gs_cursor v, uint32_t *out)
{
    uint64_t u;
    if (!gs_ber_uint(v, &u) || u > UINT32_MAX) {
        d->bad = true;
        return false;
    }
    *out = (uint32_t)u;
    return true;
}

static bool span_is(struct gs_span s, const char *text)
{
    size_t n = strlen(text);
    return s.len == n && (n == 0 || memcmp(s.ptr, text, n) == 0);
}

/* The last `n` bytes of a span (the span itself if shorter). */
static struct gs_span span_tail(struct gs_span s, size_t n)
{
    if (n >= s.len)
        return s;
    struct gs_cursor c = gs_cur_init(s.ptr, s.len);
    gs_cur_skip(&c, s.len - n);
    return gs_cur_span(&c, n);
}

static bool span_contains(struct gs_span s, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t off = 0; n <= s.len && off <= s.len - n; off++) {
        struct gs_cursor c = gs_cur_init(s.ptr, s.len);
        gs_cur_skip(&c, off);
        struct gs_span w = gs_cur_span(&c, n);
        if (memcmp(w.ptr, needle, n) == 0)
            return true;
    }
    return false;
}

static void too_many(struct pdu_dec *d)
{
    d->ev->objects_capped = true;
}

static void add_object(struct pdu_dec *d, const struct gs_mms_object_name *name)
{
    if (d->ev->n_objects >= d->s->cap) {
        too_many(d);
        return;
    }
    d->s->objects[d->ev->n_objects++] = *name;
}

static void add_identifier(struct pdu_dec *d, struct gs_span id)
{
    struct gs_mms_object_name name = {.scope = GS_MMS_SCOPE_IDENTIFIER, .item = id};
    add_object(d, &name);
}

static void add_result(struct pdu_dec *d, const struct gs_mms_access_result *r)
{
    if (d->ev->n_results >= d->s->cap) {
        too_many(d);
        return;
    }
    d->s->results[d->ev->n_results++] = *r;
}

static void add_file(struct pdu_dec *d, struct gs_span name)
{
    if (d->ev->n_files >= d->s->cap) {
        too_many(d);
        return;
    }
    d->s->files[d->ev->n_files++] = name;
}

/* ---- names -------------------------------------------------------------------------------- */

/* Reads one ObjectName TLV from `cur`. */
static bool object_name(struct pdu_dec *d, struct gs_cursor *cur, unsigned depth,
                        struct gs_mms_object_name *out)
{
    struct gs_ber_tag tag;
    struct gs_cursor v;
    memset(out, 0, sizeof(*out));
    if (!next_tlv(d, cur, &tag, &v, depth))
        return false;
    if (tag.cls != GS_BER_CONTEXT || tag.number > 2 || tag.constructed != (tag.number == 1)) {
        d->bad = true;
        return false;
    }
    if (tag.number != 1) {
        out->scope = tag.number == 0 ? GS_MMS_SCOPE_VMD : GS_MMS_SCOPE_AA;
        out->item = span_of(v);
        return true;
    }
    struct gs_ber_tag t1, t2;
    struct gs_cursor dom, item;
    if (!next_tlv(d, &v, &t1, &dom, depth + 1) || !next_tlv(d, &v, &t2, &item, depth + 1) ||
        t1.constructed || t2.constructed) {
        d->bad = true;
        return false;
    }
    out->scope = GS_MMS_SCOPE_DOMAIN;
    out->domain = span_of(dom);
    out->item = span_of(item);
    return true;
}

/* The first GraphicString of a FileName (SEQUENCE OF GraphicString) held by `v`. */
static void file_name(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    if (next_tlv(d, &v, &tag, &part, depth) && !tag.constructed)
        add_file(d, span_of(part));
}

/* listOfVariable contents: SEQUENCE OF SEQUENCE { variableSpecification, [alternateAccess] }.
 * A variable given by address or description keeps its place as an unnamed object, so the
 * n-th object still matches the n-th value. */
static void list_of_variable(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor item;
    while (next_tlv(d, &v, &tag, &item, depth)) {
        struct gs_ber_tag st;
        struct gs_cursor spec;
        if (!gs_ber_is(&tag, GS_BER_UNIVERSAL, true, TAG_SEQUENCE) ||
            !next_tlv(d, &item, &st, &spec, depth + 1)) {
            d->bad = true;
            return;
        }
        struct gs_mms_object_name name = {.scope = GS_MMS_SCOPE_UNNAMED};
        if (is_ctx(&st, 0) && st.constructed && !object_name(d, &spec, depth + 2, &name))
            return;
        add_object(d, &name);
    }
}

/* VariableAccessSpecification: A0 listOfVariable | A1 variableListName { ObjectName }. */
static void var_access_spec(struct pdu_dec *d, const struct gs_ber_tag *tag, struct gs_cursor v,
                            unsigned depth)
{
    if (is_ctx(tag, 0) && tag->constructed) {
        list_of_variable(d, v, depth + 1);
    } else if (is_ctx(tag, 1) && tag->constructed) {
        if (object_name(d, &v, depth + 1, &d->ev->list_name))
            d->ev->has_list_name = true;
    } else {
        d->bad = true;
    }
}

/* A SEQUENCE OF ObjectName (variable lists to delete). */
static void object_names(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    while (gs_cur_wire_remaining(&v) > 0) {
        struct gs_mms_object_name name;
        if (!object_name(d, &v, depth, &name))
            return;
        add_object(d, &name);
    }
}

/* ---- values ------------------------------------------------------------------------------- */

static void data_values(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    if (gs_data_decode_all(&v, &d->ev->values, depth) < 0)
        d->bad = true;
}

/* listOfAccessResult: SEQUENCE OF CHOICE { failure [0] IMPLICIT DataAccessError, Data }. */
static void access_results(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    while (gs_cur_wire_remaining(&v) > 0) {
        struct gs_mms_access_result r = {.value = GS_MMS_NO_VALUE};
        uint8_t id;
        if (!gs_cur_peek_at(&v, 0, &id)) {
            d->bad = true;
            return;
        }
        if (id == GS_BER_ID(GS_BER_CONTEXT, false, 0)) {
            struct gs_ber_tag tag;
            struct gs_cursor code;
            int64_t err;
            if (!next_tlv(d, &v, &tag, &code, depth) || !read_int(d, code, &err))
                return;
            r.error = err >= 0 && err <= UINT8_MAX ? (uint8_t)err : UINT8_MAX;
        } else {
            size_t before = d->ev->values.n;
            if (!gs_data_decode(&v, &d->ev->values, depth)) {
                d->bad = true;
                return;
            }
            r.success = true;
            if (d->ev->values.n > before)
                r.value = (uint32_t)before;
        }
        add_result(d, &r);
    }
}

/* Write-Response: SEQUENCE OF CHOICE { failure [0] DataAccessError, success [1] NULL }. */
static void write_results(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor item;
    while (next_tlv(d, &v, &tag, &item, depth)) {
        struct gs_mms_access_result r = {.value = GS_MMS_NO_VALUE};
        int64_t err;
        if (is_ctx(&tag, 1) && !tag.constructed) {
            r.success = true;
        } else if (is_ctx(&tag, 0) && !tag.constructed && read_int(d, item, &err)) {
            r.error = err >= 0 && err <= UINT8_MAX ? (uint8_t)err : UINT8_MAX;
        } else {
            d->bad = true;
            return;
        }
        add_result(d, &r);
    }
}

/* ---- errors ------------------------------------------------------------------------------- */

/* ServiceError contents: A0 errorClass { [n] INTEGER }, [81 additionalCode], ... */
static void service_error(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag, ct;
    struct gs_cursor cls, code;
    if (!next_tlv(d, &v, &tag, &cls, depth) || !is_ctx(&tag, 0) || !tag.constructed ||
        !next_tlv(d, &cls, &ct, &code, depth + 1) || ct.cls != GS_BER_CONTEXT || ct.constructed) {
        d->bad = true;
        return;
    }
    if (read_int(d, code, &d->ev->error_code)) {
        d->ev->has_error = true;
        d->ev->error_class = ct.number;
    }
}

/* ---- confirmed services ------------------------------------------------------------------- */

static void get_name_list_request(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        struct gs_ber_tag it;
        struct gs_cursor inner;
        if (is_ctx(&tag, 0) && tag.constructed) { /* extendedObjectClass { objectClass [0] } */
            if (next_tlv(d, &part, &it, &inner, depth + 1) && is_ctx(&it, 0) &&
                read_u32(d, inner, &d->ev->object_class))
                d->ev->has_object_class = true;
        } else if (is_ctx(&tag, 1) && tag.constructed) { /* objectScope */
            if (next_tlv(d, &part, &it, &inner, depth + 1) && is_ctx(&it, 1))
                d->ev->domain = span_of(inner);
        }
    }
}

static void read_request(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        struct gs_ber_tag it;
        struct gs_cursor inner;
        if (is_ctx(&tag, 1) && tag.constructed && next_tlv(d, &part, &it, &inner, depth + 1))
            var_access_spec(d, &it, inner, depth + 1);
    }
}

static void write_request(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    if (!next_tlv(d, &v, &tag, &part, depth)) {
        d->bad = true;
        return;
    }
    var_access_spec(d, &tag, part, depth);
    if (!next_tlv(d, &v, &tag, &part, depth) || !is_ctx(&tag, 0) || !tag.constructed) {
        d->bad = true;
        return;
    }
    data_values(d, part, depth + 1);
}

/* A request whose body holds one ObjectName, explicitly tagged [0] or not tagged at all. */
static void named_object_request(struct pdu_dec *d, struct gs_cursor v, unsigned depth,
                                 bool as_list)
{
    struct gs_mms_object_name name;
    uint8_t id;
    if (gs_cur_peek_at(&v, 0, &id) && id == GS_BER_ID(GS_BER_CONTEXT, true, 0)) {
        struct gs_ber_tag tag;
        struct gs_cursor inner;
        if (!next_tlv(d, &v, &tag, &inner, depth))
            return;
        v = inner;
        depth++;
    }
    if (!object_name(d, &v, depth, &name))
        return;
    if (as_list) {
        d->ev->list_name = name;
        d->ev->has_list_name = true;
    } else {
        add_object(d, &name);
    }
}

static void define_nvl_request(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    if (!object_name(d, &v, depth, &d->ev->list_name))
        return;
    d->ev->has_list_name = true;
    struct gs_ber_tag tag;
    struct gs_cursor part;
    if (next_tlv(d, &v, &tag, &part, depth) && is_ctx(&tag, 0) && tag.constructed)
        list_of_variable(d, part, depth + 1);
}

/* deleteNamedVariableList / deleteVariableAccess: [80 scope], [A1 names], [82 domainName]. */
static void delete_request(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        if (is_ctx(&tag, 1) && tag.constructed)
            object_names(d, part, depth + 1);
        else if (is_ctx(&tag, 2) && !tag.constructed)
            d->ev->domain = span_of(part);
    }
}

/* Domain and program-invocation services whose body is a SEQUENCE with the name at [0] and,
 * for some, a FileName at `file_tag` (0 when none). */
static void named_sequence(struct pdu_dec *d, struct gs_cursor v, unsigned depth,
                           struct gs_span *name, uint32_t file_tag)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        if (is_ctx(&tag, 0) && !tag.constructed)
            *name = span_of(part);
        else if (file_tag != 0 && is_ctx(&tag, file_tag) && tag.constructed)
            file_name(d, part, depth + 1);
    }
}

/* obtainFile, fileRename, fileDirectory, fileOpen: FileNames at the given context tags. */
static void file_names(struct pdu_dec *d, struct gs_cursor v, unsigned depth, uint32_t first,
                       uint32_t last)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        if (tag.cls == GS_BER_CONTEXT && tag.constructed && tag.number >= first &&
            tag.number <= last)
            file_name(d, part, depth + 1);
    }
}

static void request_service(struct pdu_dec *d, const struct gs_ber_tag *tag, struct gs_cursor v,
                            unsigned depth)
{
    struct gs_mms_event *ev = d->ev;
    switch (tag->number) {
    case GS_MMS_SVC_GET_NAME_LIST:
        get_name_list_request(d, v, depth);
        break;
    case GS_MMS_SVC_RENAME: {
        struct gs_ber_tag t;
        struct gs_cursor part;
        while (next_tlv(d, &v, &t, &part, depth)) {
            if (is_ctx(&t, 1) && t.constructed)
                named_object_request(d, part, depth + 1, false);
            else if (is_ctx(&t, 2) && !t.constructed)
                add_identifier(d, span_of(part));
        }
        break;
    }
    case GS_MMS_SVC_READ:
        read_request(d, v, depth);
        break;
    case GS_MMS_SVC_WRITE:
        write_request(d, v, depth);
        break;
    case GS_MMS_SVC_GET_VARIABLE_ACCESS_ATTRIBUTES: {
        struct gs_ber_tag t;
        struct gs_cursor part;
        if (next_tlv(d, &v, &t, &part, depth) && is_ctx(&t, 0) && t.constructed)
            named_object_request(d, part, depth + 1, false);
        break;
    }
    case GS_MMS_SVC_DEFINE_NAMED_VARIABLE_LIST:
        define_nvl_request(d, v, depth);
        break;
    case GS_MMS_SVC_GET_NAMED_VARIABLE_LIST_ATTRIBUTES:
        named_object_request(d, v, depth, true);
        break;
    case 10: /* deleteVariableAccess */
    case GS_MMS_SVC_DELETE_NAMED_VARIABLE_LIST:
        delete_request(d, v, depth);
        break;
    case GS_MMS_SVC_TAKE_CONTROL:
    case GS_MMS_SVC_RELINQUISH_CONTROL:
    case GS_MMS_SVC_READ_JOURNAL:
    case GS_MMS_SVC_INITIALIZE_JOURNAL: {
        struct gs_ber_tag t;
        struct gs_cursor part;
        if (next_tlv(d, &v, &t, &part, depth) && is_ctx(&t, 0) && t.constructed)
            named_object_request(d, part, depth + 1, false);
        break;
    }
    case GS_MMS_SVC_DOWNLOAD_SEGMENT:
    case GS_MMS_SVC_INITIATE_UPLOAD_SEQUENCE:
    case GS_MMS_SVC_DELETE_DOMAIN:
    case GS_MMS_SVC_GET_DOMAIN_ATTRIBUTES:
        if (!tag->constructed)
            ev->domain = span_of(v);
        break;
    case GS_MMS_SVC_INITIATE_DOWNLOAD_SEQUENCE:
    case GS_MMS_SVC_TERMINATE_DOWNLOAD_SEQUENCE:
        named_sequence(d, v, depth, &ev->domain, 0);
        break;
    case GS_MMS_SVC_REQUEST_DOMAIN_DOWNLOAD:
    case GS_MMS_SVC_LOAD_DOMAIN_CONTENT:
        named_sequence(d, v, depth, &ev->domain, 4);
        break;
    case GS_MMS_SVC_REQUEST_DOMAIN_UPLOAD:
    case GS_MMS_SVC_STORE_DOMAIN_CONTENT:
        named_sequence(d, v, depth, &ev->domain, 1);
        break;
    case GS_MMS_SVC_DELETE_PROGRAM_INVOCATION:
    case GS_MMS_SVC_GET_PROGRAM_INVOCATION_ATTRIBUTES:
        if (!tag->constructed)
            ev->program_invocation = span_of(v);
        break;
    case GS_MMS_SVC_CREATE_PROGRAM_INVOCATION:
    case GS_MMS_SVC_START:
    case GS_MMS_SVC_STOP:
    case GS_MMS_SVC_RESUME:
    case GS_MMS_SVC_RESET:
    case GS_MMS_SVC_KILL:
        named_sequence(d, v, depth, &ev->program_invocation, 0);
        break;
    case GS_MMS_SVC_OBTAIN_FILE:
        file_names(d, v, depth, 1, 2);
        break;
    case GS_MMS_SVC_FILE_OPEN:
        file_names(d, v, depth, 0, 0);
        break;
    case GS_MMS_SVC_FILE_RENAME:
    case GS_MMS_SVC_FILE_DIRECTORY:
        file_names(d, v, depth, 0, 1);
        break;
    case GS_MMS_SVC_FILE_DELETE:
        file_name(d, v, depth);
        break;
    case GS_MMS_SVC_FILE_READ:
    case GS_MMS_SVC_FILE_CLOSE:
        if (!tag->constructed && read_int(d, v, &ev->frsm_id))
            ev->has_frsm_id = true;
        break;
    default:
        break;
    }
}

static void status_response(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    bool logical = false, physical = false;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        if (is_ctx(&tag, 0))
            logical = read_int(d, part, &d->ev->logical_status);
        else if (is_ctx(&tag, 1))
            physical = read_int(d, part, &d->ev->physical_status);
    }
    d->ev->has_status = logical && physical;
}

static void read_more_follows(struct pdu_dec *d, struct gs_cursor v)
{
    if (gs_ber_bool(v, &d->ev->more_follows))
        d->ev->has_more_follows = true;
    else
        d->bad = true;
}

static void file_open_response(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        if (is_ctx(&tag, 0) && !tag.constructed) {
            d->ev->has_frsm_id = read_int(d, part, &d->ev->frsm_id);
        } else if (is_ctx(&tag, 1) && tag.constructed) {
            struct gs_ber_tag at;
            struct gs_cursor attr;
            if (next_tlv(d, &part, &at, &attr, depth + 1) && is_ctx(&at, 0) &&
                gs_ber_uint(attr, &d->ev->file_size))
                d->ev->has_file_size = true;
        }
    }
}

/* DirectoryEntry ::= SEQUENCE { filename [0] IMPLICIT FileName, fileAttributes [1] ... }. */
static void directory_entry(struct pdu_dec *d, struct gs_cursor entry, unsigned depth)
{
    struct gs_ber_tag ft;
    struct gs_cursor fname;
    if (next_tlv(d, &entry, &ft, &fname, depth) && is_ctx(&ft, 0) && ft.constructed)
        file_name(d, fname, depth + 1);
}

/* listOfDirectoryEntry is [0] EXPLICIT SEQUENCE OF DirectoryEntry: A0 { 30 { 30 {..} .. } }.
 * An implicit A0 { 30 {..} .. } is accepted too: the first field of an entry tells. */
static void file_directory_response(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, depth)) {
        if (is_ctx(&tag, 1) && !tag.constructed) {
            read_more_follows(d, part);
            continue;
        }
        if (!is_ctx(&tag, 0) || !tag.constructed)
            continue;
        struct gs_ber_tag et;
        struct gs_cursor seq;
        while (next_tlv(d, &part, &et, &seq, depth + 1)) {
            uint8_t first;
            if (!gs_ber_is(&et, GS_BER_UNIVERSAL, true, TAG_SEQUENCE) ||
                !gs_cur_peek_at(&seq, 0, &first))
                continue;
            if (first != GS_BER_ID(GS_BER_UNIVERSAL, true, TAG_SEQUENCE)) {
                directory_entry(d, seq, depth + 2);
                continue;
            }
            struct gs_ber_tag it;
            struct gs_cursor entry;
            while (next_tlv(d, &seq, &it, &entry, depth + 2))
                directory_entry(d, entry, depth + 3);
        }
    }
}

static void response_service(struct pdu_dec *d, const struct gs_ber_tag *tag, struct gs_cursor v,
                             unsigned depth)
{
    struct gs_ber_tag t;
    struct gs_cursor part;
    switch (tag->number) {
    case GS_MMS_SVC_STATUS:
        status_response(d, v, depth);
        break;
    case GS_MMS_SVC_GET_NAME_LIST:
        while (next_tlv(d, &v, &t, &part, depth)) {
            if (is_ctx(&t, 0) && t.constructed) {
                struct gs_ber_tag it;
                struct gs_cursor id;
                while (next_tlv(d, &part, &it, &id, depth + 1))
                    add_identifier(d, span_of(id));
            } else if (is_ctx(&t, 1)) {
                read_more_follows(d, part);
            }
        }
        break;
    case GS_MMS_SVC_IDENTIFY:
        while (next_tlv(d, &v, &t, &part, depth)) {
            if (is_ctx(&t, 0))
                d->ev->vendor = span_of(part);
            else if (is_ctx(&t, 1))
                d->ev->model = span_of(part);
            else if (is_ctx(&t, 2))
                d->ev->revision = span_of(part);
        }
        break;
    case GS_MMS_SVC_READ:
        while (next_tlv(d, &v, &t, &part, depth)) {
            if (is_ctx(&t, 0) && t.constructed) {
                struct gs_ber_tag it;
                struct gs_cursor inner;
                if (next_tlv(d, &part, &it, &inner, depth + 1))
                    var_access_spec(d, &it, inner, depth + 1);
            } else if (is_ctx(&t, 1) && t.constructed) {
                access_results(d, part, depth + 1);
            }
        }
        break;
    case GS_MMS_SVC_WRITE:
        write_results(d, v, depth);
        break;
    case GS_MMS_SVC_GET_NAMED_VARIABLE_LIST_ATTRIBUTES:
        while (next_tlv(d, &v, &t, &part, depth)) {
            if (is_ctx(&t, 1) && t.constructed)
                list_of_variable(d, part, depth + 1);
        }
        break;
    case GS_MMS_SVC_FILE_OPEN:
        file_open_response(d, v, depth);
        break;
    case GS_MMS_SVC_FILE_READ:
        while (next_tlv(d, &v, &t, &part, depth)) {
            if (is_ctx(&t, 1) && !t.constructed)
                read_more_follows(d, part);
        }
        break;
    case GS_MMS_SVC_FILE_DIRECTORY:
        file_directory_response(d, v, depth);
        break;
    default:
        break;
    }
}

/* ---- unconfirmed services ----------------------------------------------------------------- */

static void information_report(struct pdu_dec *d, struct gs_cursor v, unsigned depth)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    if (!next_tlv(d, &v, &tag, &part, depth)) {
        d->bad = true;
        return;
    }
    var_access_spec(d, &tag, part, depth);
    if (!next_tlv(d, &v, &tag, &part, depth) || !is_ctx(&tag, 0) || !tag.constructed) {
        d->bad = true;
        return;
    }
    access_results(d, part, depth + 1);
}

static void unconfirmed_service(struct pdu_dec *d, const struct gs_ber_tag *tag, struct gs_cursor v,
                                unsigned depth)
{
    if (tag->number == GS_MMS_UNC_INFORMATION_REPORT && tag->constructed)
        information_report(d, v, depth);
    else if (tag->number == GS_MMS_UNC_UNSOLICITED_STATUS && tag->constructed)
        status_response(d, v, depth);
}

/* ---- IEC 61850 control semantics ---------------------------------------------------------- */

/* The index after node i's subtree (its next sibling, or the parent's next sibling). */
static size_t skip_subtree(const struct gs_data_list *l, size_t i)
{
    uint8_t depth = l->nodes[i].depth;
    size_t j = i + 1;
    while (j < l->n && l->nodes[j].depth > depth)
        j++;
    return j;
}

/* The k-th child (0-based) of structure node `parent`, or l->n when there is none. */
static size_t child(const struct gs_data_list *l, size_t parent, uint32_t k)
{
    if (parent >= l->n || l->nodes[parent].n_children <= k)
        return l->n;
    size_t c = parent + 1;
    for (uint32_t i = 0; i < k && c < l->n; i++)
        c = skip_subtree(l, c);
    if (c >= l->n || l->nodes[c].depth != l->nodes[parent].depth + 1)
        return l->n;
    return c;
}

static bool node_is(const struct gs_data_list *l, size_t i, enum gs_data_type type)
{
    return i < l->n && l->nodes[i].type == type && l->nodes[i].valid;
}

/* Origin ::= structure { orCat INTEGER (Enum), orIdent OCTET STRING }. */
static void origin(const struct gs_data_list *l, size_t o, bool *has_orcat, int64_t *orcat,
                   struct gs_span *orident)
{
    size_t cat = child(l, o, 0), ident = child(l, o, 1);
    if (node_is(l, cat, GS_DATA_INTEGER)) {
        *has_orcat = true;
        *orcat = l->nodes[cat].v.integer;
    }
    if (node_is(l, ident, GS_DATA_OCTET_STRING))
        *orident = l->nodes[ident].raw;
}

/* Oper/SBOw/Cancel ::= structure { ctlVal, [operTm], origin, ctlNum, T, Test, [Check] }. */
static void control_fields(const struct gs_data_list *l, size_t oper, struct gs_mms_control *c)
{
    if (!node_is(l, oper, GS_DATA_STRUCTURE)) {
        c->value = oper < l->n ? (uint32_t)oper : GS_MMS_NO_VALUE;
        return;
    }
    size_t ctl_val = child(l, oper, 0);
    c->value = ctl_val < l->n ? (uint32_t)ctl_val : GS_MMS_NO_VALUE;
    uint32_t k = 1;
    size_t next = child(l, oper, k);
    if (node_is(l, next, GS_DATA_UTC_TIME) &&
        node_is(l, child(l, oper, k + 1), GS_DATA_STRUCTURE)) {
        c->has_oper_tm = true;
        next = child(l, oper, ++k);
    }
    if (!node_is(l, next, GS_DATA_STRUCTURE))
        return;
    origin(l, next, &c->has_orcat, &c->orcat, &c->orident);
    size_t num = child(l, oper, k + 1);
    if (node_is(l, num, GS_DATA_UNSIGNED)) {
        c->has_ctl_num = true;
        c->ctl_num = l->nodes[num].v.unsigned_;
    }
    size_t test = child(l, oper, k + 3);
    if (node_is(l, test, GS_DATA_BOOLEAN)) {
        c->has_test = true;
        c->test = l->nodes[test].v.boolean;
    }
}

static bool control_attr(struct gs_span item, enum gs_mms_control_attr *attr)
{
    static const struct {
        const char *suffix;
        enum gs_mms_control_attr attr;
    } suffixes[] = {
        {"$SBOw", GS_MMS_CTL_ATTR_SBOW},
        {"$SBO", GS_MMS_CTL_ATTR_SBO},
        {"$Oper", GS_MMS_CTL_ATTR_OPER},
        {"$Cancel", GS_MMS_CTL_ATTR_CANCEL},
    };
    if (!span_contains(item, "$CO$"))
        return false;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (span_is(span_tail(item, strlen(suffixes[i].suffix)), suffixes[i].suffix)) {
            *attr = suffixes[i].attr;
            return true;
        }
    }
    return false;
}

/* The top-level node index of the n-th value, or l->n. */
static size_t nth_value(const struct gs_data_list *l, size_t n)
{
    size_t i = 0;
    for (size_t seen = 0; i < l->n; i = skip_subtree(l, i), seen++) {
        if (seen == n)
            return i;
    }
    return l->n;
}

static void find_controls(struct pdu_dec *d)
{
    struct gs_mms_event *ev = d->ev;
    const struct gs_data_list *l = &ev->values;
    bool read = ev->pdu == GS_MMS_PDU_CONFIRMED_REQUEST && ev->service == GS_MMS_SVC_READ;
    bool write = ev->pdu == GS_MMS_PDU_CONFIRMED_REQUEST && ev->service == GS_MMS_SVC_WRITE;
    bool report = ev->pdu == GS_MMS_PDU_UNCONFIRMED && ev->service == GS_MMS_UNC_INFORMATION_REPORT;
    if (!ev->has_service || !(read || write || report))
        return;
    for (size_t i = 0; i < ev->n_objects && ev->n_controls < d->s->cap; i++) {
        const struct gs_mms_object_name *o = &d->s->objects[i];
        enum gs_mms_control_attr attr;
        if (o->scope != GS_MMS_SCOPE_DOMAIN || !control_attr(o->item, &attr))
            continue;
        struct gs_mms_control c = {.object = (uint32_t)i, .attr = attr, .value = GS_MMS_NO_VALUE};
        if (read && attr == GS_MMS_CTL_ATTR_SBO) {
            c.action = GS_MMS_CTL_SELECT;
        } else if (write && attr != GS_MMS_CTL_ATTR_SBO) {
            c.action = attr == GS_MMS_CTL_ATTR_OPER     ? GS_MMS_CTL_OPERATE
                       : attr == GS_MMS_CTL_ATTR_CANCEL ? GS_MMS_CTL_CANCEL
                                                        : GS_MMS_CTL_SELECT;
            control_fields(l, nth_value(l, i), &c);
        } else if (report && attr == GS_MMS_CTL_ATTR_OPER) {
            c.action = GS_MMS_CTL_TERMINATION;
            if (i < ev->n_results && d->s->results[i].success)
                control_fields(l, d->s->results[i].value, &c);
        } else {
            continue;
        }
        d->s->controls[ev->n_controls++] = c;
    }
}

/* LastApplError ::= structure { CntrlObj, Error, Origin, ctlNum, AddCause }. */
static void find_last_appl_error(struct pdu_dec *d)
{
    struct gs_mms_event *ev = d->ev;
    const struct gs_data_list *l = &ev->values;
    if (ev->pdu != GS_MMS_PDU_UNCONFIRMED || ev->service != GS_MMS_UNC_INFORMATION_REPORT ||
        ev->n_objects != 1 || d->s->objects[0].scope != GS_MMS_SCOPE_VMD ||
        !span_is(d->s->objects[0].item, "LastApplError") || ev->n_results < 1 ||
        !d->s->results[0].success)
        return;
    size_t s = d->s->results[0].value;
    if (!node_is(l, s, GS_DATA_STRUCTURE))
        return;
    struct gs_mms_last_appl_error *e = &ev->last_appl_error;
    size_t obj = child(l, s, 0), err = child(l, s, 1), org = child(l, s, 2);
    size_t num = child(l, s, 3), cause = child(l, s, 4);
    if (!node_is(l, obj, GS_DATA_VISIBLE_STRING) || !node_is(l, err, GS_DATA_INTEGER))
        return;
    e->object = l->nodes[obj].raw;
    e->error = l->nodes[err].v.integer;
    if (node_is(l, org, GS_DATA_STRUCTURE))
        origin(l, org, &e->has_orcat, &e->orcat, &e->orident);
    if (node_is(l, num, GS_DATA_UNSIGNED))
        e->ctl_num = l->nodes[num].v.unsigned_;
    if (node_is(l, cause, GS_DATA_INTEGER))
        e->add_cause = l->nodes[cause].v.integer;
    ev->has_last_appl_error = true;
}

/* ---- PDUs --------------------------------------------------------------------------------- */

static void confirmed(struct pdu_dec *d, struct gs_cursor v, bool request)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    if (!next_tlv(d, &v, &tag, &part, 1) ||
        !gs_ber_is(&tag, GS_BER_UNIVERSAL, false, TAG_INTEGER)) {
        d->bad = true;
        return;
    }
    d->ev->has_invoke_id = read_u32(d, part, &d->ev->invoke_id);
    if (!next_tlv(d, &v, &tag, &part, 1)) {
        d->bad = true;
        return;
    }
    if (request && gs_ber_is(&tag, GS_BER_UNIVERSAL, true, TAG_SEQUENCE) && /* modifiers */
        !next_tlv(d, &v, &tag, &part, 1)) {
        d->bad = true;
        return;
    }
    if (tag.cls != GS_BER_CONTEXT) {
        d->bad = true;
        return;
    }
    d->ev->has_service = true;
    d->ev->service = tag.number;
    if (request)
        request_service(d, &tag, part, 2);
    else
        response_service(d, &tag, part, 2);
}

static void initiate(struct pdu_dec *d, struct gs_cursor v)
{
    struct gs_mms_initiate *in = &d->ev->initiate;
    struct gs_ber_tag tag;
    struct gs_cursor part;
    d->ev->has_initiate = true;
    while (next_tlv(d, &v, &tag, &part, 1)) {
        if (tag.cls != GS_BER_CONTEXT)
            continue;
        switch (tag.number) {
        case 0:
            in->has_local_detail = read_int(d, part, &in->local_detail);
            break;
        case 1:
            read_int(d, part, &in->max_serv_outstanding_calling);
            break;
        case 2:
            read_int(d, part, &in->max_serv_outstanding_called);
            break;
        case 3:
            in->has_nesting_level = read_int(d, part, &in->nesting_level);
            break;
        case 4: { /* init request/response detail */
            struct gs_ber_tag dt;
            struct gs_cursor dv;
            while (next_tlv(d, &part, &dt, &dv, 2)) {
                if (is_ctx(&dt, 0))
                    in->has_version = read_int(d, dv, &in->version);
                else if (is_ctx(&dt, 2))
                    in->services_supported = span_of(dv);
            }
            break;
        }
        default:
            break;
        }
    }
}

static void reject(struct pdu_dec *d, struct gs_cursor v)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, 1)) {
        if (is_ctx(&tag, 0) && !tag.constructed) {
            d->ev->has_invoke_id = read_u32(d, part, &d->ev->invoke_id);
        } else if (tag.cls == GS_BER_CONTEXT && !tag.constructed) {
            d->ev->has_reject = read_int(d, part, &d->ev->reject_code);
            d->ev->reject_type = tag.number;
        }
    }
}

/* A confirmed-, cancel- or conclude-error body: [80 invokeID, ...] then a ServiceError. */
static void error_pdu(struct pdu_dec *d, struct gs_cursor v)
{
    struct gs_ber_tag tag;
    struct gs_cursor part;
    while (next_tlv(d, &v, &tag, &part, 1)) {
        if (is_ctx(&tag, 0) && !tag.constructed)
            d->ev->has_invoke_id = read_u32(d, part, &d->ev->invoke_id);
        else if (tag.cls == GS_BER_CONTEXT && tag.constructed && tag.number >= 1)
            service_error(d, part, 2);
    }
}

/* Whether an MMSpdu alternative is encoded constructed. */
static bool pdu_constructed(uint32_t number)
{
    return number != GS_MMS_PDU_CANCEL_REQUEST && number != GS_MMS_PDU_CANCEL_RESPONSE &&
           number != GS_MMS_PDU_CONCLUDE_REQUEST && number != GS_MMS_PDU_CONCLUDE_RESPONSE;
}

bool gs_mms_pdu_probe(const struct gs_cursor *cur)
{
    struct gs_cursor c = *cur;
    struct gs_ber_tag tag, inner_tag;
    struct gs_cursor body, inner;
    if (!gs_ber_tlv(&c, &tag, &body, 0, GS_MMS_BER) || tag.cls != GS_BER_CONTEXT ||
        tag.number > GS_MMS_PDU_CONCLUDE_ERROR || tag.constructed != pdu_constructed(tag.number) ||
        gs_cur_wire_remaining(&c) != 0)
        return false;
    switch (tag.number) {
    case GS_MMS_PDU_CONCLUDE_REQUEST:
    case GS_MMS_PDU_CONCLUDE_RESPONSE:
        return gs_cur_wire_remaining(&body) == 0;
    case GS_MMS_PDU_CANCEL_REQUEST:
    case GS_MMS_PDU_CANCEL_RESPONSE: {
        size_t n = gs_cur_wire_remaining(&body);
        return n >= 1 && n <= 5;
    }
    default:
        break;
    }
    if (!gs_ber_tlv(&body, &inner_tag, &inner, 1, GS_MMS_BER))
        return false;
    switch (tag.number) {
    case GS_MMS_PDU_CONFIRMED_REQUEST:
    case GS_MMS_PDU_CONFIRMED_RESPONSE: {
        size_t n = gs_cur_wire_remaining(&inner);
        return gs_ber_is(&inner_tag, GS_BER_UNIVERSAL, false, TAG_INTEGER) && n >= 1 && n <= 5;
    }
    case GS_MMS_PDU_UNCONFIRMED:
        return inner_tag.cls == GS_BER_CONTEXT && inner_tag.number <= 2 && inner_tag.constructed;
    default:
        return inner_tag.cls == GS_BER_CONTEXT;
    }
}

bool gs_mms_pdu_decode(struct gs_cursor cur, const struct gs_mms_scratch *s,
                       struct gs_mms_event *ev)
{
    struct gs_ber_tag tag;
    struct gs_cursor body;
    if (!gs_ber_tlv(&cur, &tag, &body, 0, GS_MMS_BER) || tag.cls != GS_BER_CONTEXT ||
        tag.number > GS_MMS_PDU_CONCLUDE_ERROR || tag.constructed != pdu_constructed(tag.number))
        return false;
    struct pdu_dec d = {.s = s, .ev = ev};
    bool cut = cur.cap_len < cur.wire_len; /* capped: reading past the cut is not malformed */
    ev->pdu = (enum gs_mms_pdu)tag.number;
    ev->objects = s->objects;
    ev->results = s->results;
    ev->files = s->files;
    ev->controls = s->controls;
    ev->values = (struct gs_data_list){.nodes = s->nodes, .cap = s->cap};
    switch (ev->pdu) {
    case GS_MMS_PDU_CONFIRMED_REQUEST:
        confirmed(&d, body, true);
        break;
    case GS_MMS_PDU_CONFIRMED_RESPONSE:
        confirmed(&d, body, false);
        break;
    case GS_MMS_PDU_CONFIRMED_ERROR:
    case GS_MMS_PDU_CANCEL_ERROR:
        error_pdu(&d, body);
        break;
    case GS_MMS_PDU_UNCONFIRMED: {
        struct gs_ber_tag st;
        struct gs_cursor sv;
        if (next_tlv(&d, &body, &st, &sv, 1) && st.cls == GS_BER_CONTEXT) {
            ev->has_service = true;
            ev->service = st.number;
            unconfirmed_service(&d, &st, sv, 2);
        } else {
            d.bad = true;
        }
        break;
    }
    case GS_MMS_PDU_REJECT:
        reject(&d, body);
        break;
    case GS_MMS_PDU_CANCEL_REQUEST:
    case GS_MMS_PDU_CANCEL_RESPONSE:
        ev->has_invoke_id = read_u32(&d, body, &ev->invoke_id);
        break;
    case GS_MMS_PDU_INITIATE_REQUEST:
    case GS_MMS_PDU_INITIATE_RESPONSE:
        initiate(&d, body);
        break;
    case GS_MMS_PDU_INITIATE_ERROR:
    case GS_MMS_PDU_CONCLUDE_ERROR:
        service_error(&d, body, 1);
        break;
    case GS_MMS_PDU_CONCLUDE_REQUEST:
    case GS_MMS_PDU_CONCLUDE_RESPONSE:
        if (gs_cur_wire_remaining(&body) != 0)
            d.bad = true;
        break;
    default:
        break;
    }
    if (ev->values.capped)
        too_many(&d);
    find_controls(&d);
    find_last_appl_error(&d);
    ev->malformed = !cut && (d.bad || !gs_cur_at_end(&cur));
    return true;
}
