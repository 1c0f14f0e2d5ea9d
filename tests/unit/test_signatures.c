/*
 * test_signatures.c - the signature table: unique rule names and ids, ids in their detector's
 * block, valid severities and FRs, and docs/RULES.md listing exactly the same rules.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signatures.h"
#include "test_support.h"

START_TEST(test_signatures_table_sane)
{
    for (const struct gs_signature *a = gs_signatures; a->rule != NULL; a++) {
        ck_assert_msg(a->id >= 2000100 && a->id < 2001000, "%s: id %u", a->rule, a->id);
        ck_assert(a->severity >= 1 && a->severity <= 3);
        ck_assert_msg(strlen(a->fr) == 3 && strncmp(a->fr, "FR", 2) == 0 && a->fr[2] >= '1' &&
                          a->fr[2] <= '7',
                      "%s: fr %s", a->rule, a->fr);
        ck_assert_ptr_eq(gs_signature_find(a->rule), a);
        for (const struct gs_signature *b = a + 1; b->rule != NULL; b++) {
            ck_assert_msg(strcmp(a->rule, b->rule) != 0, "duplicate rule %s", a->rule);
            ck_assert_msg(a->id != b->id, "duplicate id %u", a->id);
        }
    }
    ck_assert_ptr_null(gs_signature_find("no.such.rule"));
}
END_TEST

START_TEST(test_signatures_documented)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/docs/RULES.md", gs_test_source_dir());
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    char line[1024];
    size_t documented = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        char rule[128];
        unsigned id;
        if (sscanf(line, "| `%127[^`]` | %u |", rule, &id) != 2)
            continue;
        const struct gs_signature *sig = gs_signature_find(rule);
        ck_assert_msg(sig != NULL, "docs/RULES.md lists %s, which the table lacks", rule);
        ck_assert_msg(sig->id == id, "%s: documented id %u, table %u", rule, id, sig->id);
        documented++;
    }
    fclose(fp);
    size_t total = 0;
    for (const struct gs_signature *s = gs_signatures; s->rule != NULL; s++)
        total++;
    ck_assert_msg(documented == total, "docs/RULES.md lists %zu rules, the table has %zu",
                  documented, total);
}
END_TEST

static Suite *suite_signatures(void)
{
    Suite *s = suite_create("signatures");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_signatures_table_sane);
    tcase_add_test(tc, test_signatures_documented);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_signatures)
