/*
 * classify.c - nDPI glue (see classify.h).
 */
#include "classify.h"

#include <ndpi_api.h>
#include <stdlib.h>

struct gs_classifier {
    struct ndpi_detection_module_struct *ndpi;
};

struct gs_classifier *gs_classifier_create(void)
{
    struct gs_classifier *cls = calloc(1, sizeof(*cls));
    if (cls == NULL)
        return NULL;
    cls->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (cls->ndpi == NULL) {
        free(cls);
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(cls->ndpi, &all);
    ndpi_finalize_initialization(cls->ndpi);
    return cls;
}

void gs_classifier_destroy(struct gs_classifier *cls)
{
    if (cls == NULL)
        return;
    ndpi_exit_detection_module(cls->ndpi);
    free(cls);
}

void *gs_classifier_flow_new(struct gs_classifier *cls)
{
    (void)cls;
    return calloc(1, SIZEOF_FLOW_STRUCT);
}

void gs_classifier_flow_free(struct gs_classifier *cls, void *flow)
{
    (void)cls;
    if (flow == NULL)
        return;
    ndpi_free_flow_data(flow);
    free(flow);
}

static uint16_t protocol_of(ndpi_protocol proto)
{
    uint16_t id =
        proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ? proto.app_protocol : proto.master_protocol;
    return id == NDPI_PROTOCOL_UNKNOWN ? 0 : (uint16_t)(id + 1);
}

uint16_t gs_classifier_packet(struct gs_classifier *cls, void *flow, const uint8_t *ip, size_t len,
                              uint64_t ts_us)
{
    if (len == 0 || len > UINT16_MAX)
        return 0;
    ndpi_protocol proto =
        ndpi_detection_process_packet(cls->ndpi, flow, ip, (unsigned short)len, ts_us / 1000u);
    return protocol_of(proto);
}

uint16_t gs_classifier_give_up(struct gs_classifier *cls, void *flow, bool *guessed)
{
    uint8_t was_guessed = 0;
    uint16_t id = protocol_of(ndpi_detection_giveup(cls->ndpi, flow, 1, &was_guessed));
    if (guessed != NULL)
        *guessed = was_guessed != 0;
    return id;
}

const char *gs_classifier_name(struct gs_classifier *cls, uint16_t id_plus_one)
{
    if (id_plus_one == 0)
        return "unknown";
    return ndpi_get_proto_name(cls->ndpi, (u_int16_t)(id_plus_one - 1));
}

const char *gs_classifier_category(struct gs_classifier *cls, uint16_t id_plus_one)
{
    if (id_plus_one == 0 || id_plus_one > ndpi_get_ndpi_num_supported_protocols(cls->ndpi))
        return NULL;
    const ndpi_proto_defaults_t *defaults = ndpi_get_proto_defaults(cls->ndpi);
    return ndpi_category_get_name(cls->ndpi, defaults[id_plus_one - 1].protoCategory);
}

size_t gs_classifier_protocol_count(struct gs_classifier *cls)
{
    return ndpi_get_num_supported_protocols(cls->ndpi) + 1;
}
