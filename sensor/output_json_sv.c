/*
 * output_json_sv.c - the "sv" record of Sampled Values and R-SV events: the header, every
 * decoded ASDU (9-2LE channels as value and quality when seqData has their layout, else the
 * seqData octets in hex), and the shared "security" and "session" objects.
 */
#include "output_json_int.h"
#include "rsession.h"
#include "sv.h"

static void set_u(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *asdu_json(const struct gs_sv_asdu *a)
{
    json_t *o = json_object();
    uint32_t p = a->present;
    if (p & GS_SV_F_SV_ID)
        json_object_set_new(o, "sv_id", gs_json_bytes_string(a->sv_id.ptr, a->sv_id.len));
    if (p & GS_SV_F_DAT_SET)
        json_object_set_new(o, "dat_set", gs_json_bytes_string(a->dat_set.ptr, a->dat_set.len));
    if (p & GS_SV_F_SMP_CNT)
        set_u(o, "smp_cnt", a->smp_cnt);
    if (p & GS_SV_F_CONF_REV)
        set_u(o, "conf_rev", a->conf_rev);
    if (p & GS_SV_F_REFR_TM)
        json_object_set_new(o, "refr_tm", gs_json_utc_time(&a->refr_tm));
    if (p & GS_SV_F_SMP_SYNCH)
        set_u(o, "smp_synch", a->smp_synch);
    if (p & GS_SV_F_SMP_RATE)
        set_u(o, "smp_rate", a->smp_rate);
    if (p & GS_SV_F_SMP_MOD)
        set_u(o, "smp_mod", a->smp_mod);
    if (p & GS_SV_F_GMID)
        json_object_set_new(o, "gmid", gs_json_hex(a->gmid.ptr, a->gmid.len));
    if (a->le_9_2) {
        json_t *values = json_array();
        for (int i = 0; i < GS_SV_LE_CHANNELS; i++) {
            json_t *ch = json_object();
            json_object_set_new(ch, "value", json_integer(a->value[i]));
            set_u(ch, "quality", a->quality[i]);
            json_array_append_new(values, ch);
        }
        json_object_set_new(o, "values", values);
    } else if (p & GS_SV_F_SEQ_DATA) {
        json_object_set_new(o, "seq_data", gs_json_hex(a->seq_data.ptr, a->seq_data.len));
    }
    if (a->status != GS_L2PDU_COMPLETE)
        json_object_set_new(o, "status", json_string(gs_l2pdu_status_name(a->status)));
    return o;
}

void gs_json_sv(json_t *record, const void *body)
{
    const struct gs_sv_event *ev = body;
    /* R-SV events come from the rsession dissector: the record kind follows the event. */
    json_object_set_new(record, "event_type", json_string("sv"));
    json_t *o = json_object();
    gs_json_l2_header(o, ev->appid, ev->has_header, ev->length, ev->reserved1, ev->reserved2,
                      ev->simulated);
    json_object_set_new(o, "status", json_string(gs_l2pdu_status_name(ev->status)));
    if (ev->has_no_asdu)
        set_u(o, "no_asdu", ev->no_asdu);
    if (ev->pdu_security.ptr != NULL)
        json_object_set_new(o, "pdu_security",
                            gs_json_hex(ev->pdu_security.ptr, ev->pdu_security.len));
    if (ev->has_pdu) {
        json_t *asdus = json_array();
        for (size_t i = 0; i < ev->n_asdus; i++)
            json_array_append_new(asdus, asdu_json(&ev->asdus[i]));
        json_object_set_new(o, "asdus", asdus);
        if (ev->asdus_capped) {
            json_object_set_new(o, "asdus_capped", json_true());
            set_u(o, "asdus_seen", ev->asdus_seen);
        }
    }
    gs_json_l2_context(o, ev->security, ev->session);
    json_object_set_new(record, "sv", o);
}
