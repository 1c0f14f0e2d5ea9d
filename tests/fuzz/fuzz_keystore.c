/*
 * fuzz_keystore.c - the key store parser on arbitrary bytes: whatever the input, it either
 * builds a store whose lookups work or refuses with one line that names the input.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "keystore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errbuf[GS_ERRBUF_SIZE];
    struct gs_keystore *ks;
    if (gs_keystore_parse((const char *)data, size, "fuzz", &ks, errbuf) == 0) {
        (void)gs_keystore_dnp3(ks, 1, 1024, 1, NULL, NULL);
        (void)gs_keystore_dnp3_has_association(ks, 1, 1024);
        (void)gs_keystore_goose(ks, 1, "a", 1, 1);
        gs_keystore_destroy(ks);
    } else if (strncmp(errbuf, "fuzz", 4) != 0 || strchr(errbuf, '\n') != NULL) {
        abort();
    }
    return 0;
}
