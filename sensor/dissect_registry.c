/*
 * dissect_registry.c - the one table of dissectors (see dissect_registry.h). A new protocol
 * is one line here.
 */
#include "dissect_registry.h"

#include "dnp3.h"
#include "goose.h"
#include "iec104.h"
#include "mms.h"
#include "rsession.h"
#include "sv.h"
#include "tls.h"

const struct gs_dissector *const gs_dissector_table[] = {
    &gs_dnp3_dissector, &gs_iec104_dissector,   &gs_mms_dissector,
    &gs_tls_dissector,  &gs_goose_dissector,    &gs_gse_dissector,
    &gs_sv_dissector,   &gs_rsession_dissector, NULL,
};

size_t gs_dissector_table_len(const struct gs_dissector *const *table)
{
    size_t n = 0;
    while (table[n] != NULL)
        n++;
    return n;
}

static bool port_listed(const uint16_t *ports, uint16_t port)
{
    if (ports == NULL)
        return false;
    for (; *ports != 0; ports++) {
        if (*ports == port)
            return true;
    }
    return false;
}

int gs_dissector_by_port(const struct gs_dissector *const *table, unsigned transport, uint16_t port)
{
    for (int i = 0; table[i] != NULL; i++) {
        const struct gs_dissector *d = table[i];
        if ((d->transport & transport) == 0)
            continue;
        const uint16_t *ports = transport == GS_TRANSPORT_TCP ? d->tcp_ports : d->udp_ports;
        if (port_listed(ports, port))
            return i;
    }
    return -1;
}

int gs_dissector_by_ether_type(const struct gs_dissector *const *table, uint16_t ether_type)
{
    for (int i = 0; table[i] != NULL; i++) {
        if ((table[i]->transport & GS_TRANSPORT_L2) && table[i]->ether_type == ether_type)
            return i;
    }
    return -1;
}

int gs_dissector_by_probe(const struct gs_dissector *const *table, unsigned transport,
                          const struct gs_cursor *cur, enum gs_dir dir)
{
    int best = -1;
    unsigned best_score = GS_PROBE_MATCH - 1;
    for (int i = 0; table[i] != NULL; i++) {
        const struct gs_dissector *d = table[i];
        if ((d->transport & transport) == 0 || d->probe == NULL)
            continue;
        unsigned score = d->probe(cur, dir);
        if (score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}
