/*
 * signatures.c - the alert rule table (see signatures.h). docs/RULES.md lists the same rules
 * for users; tests/unit/test_signatures.c checks the two agree.
 */
#include "signatures.h"

#include <stddef.h>
#include <string.h>

const struct gs_signature gs_signatures[] = {
    {NULL, 0, NULL, NULL, 0, NULL},
};

const struct gs_signature *gs_signature_find(const char *rule)
{
    for (const struct gs_signature *sig = gs_signatures; sig->rule != NULL; sig++) {
        if (strcmp(sig->rule, rule) == 0)
            return sig;
    }
    return NULL;
}
