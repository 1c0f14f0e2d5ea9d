/*
 * test_config.c - settings: defaults, NAME=VALUE parsing, range checks, clear errors.
 */
#include <check.h>
#include <string.h>

#include "config.h"
#include "test_support.h"

START_TEST(test_config_defaults_within_range)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    for (const struct gs_config_key *k = gs_config_keys; k->name != NULL; k++) {
        uint32_t v;
        ck_assert_int_eq(gs_config_get(&cfg, k->name, &v), 0);
        ck_assert_uint_eq(v, k->def);
        ck_assert(k->def >= k->min && k->def <= k->max);
        ck_assert_ptr_nonnull(strchr(k->name, '.'));
    }
}
END_TEST

START_TEST(test_config_set)
{
    struct gs_config cfg;
    char err[GS_ERRBUF_SIZE];
    gs_config_defaults(&cfg);
    ck_assert_int_eq(gs_config_set(&cfg, "flow.max_flows=1000", err), 0);
    ck_assert_uint_eq(cfg.flow_max_flows, 1000);
    ck_assert_int_eq(gs_config_set(&cfg, "flow.max_flows=1", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "outside"));
    ck_assert_int_eq(gs_config_set(&cfg, "flow.max_flows=12x", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "whole number"));
    ck_assert_int_eq(gs_config_set(&cfg, "flow.max_flows=-5", err), -1);
    ck_assert_int_eq(gs_config_set(&cfg, "flow.max_flows=", err), -1);
    ck_assert_int_eq(gs_config_set(&cfg, "no.such=1", err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown setting 'no.such'"));
    ck_assert_int_eq(gs_config_set(&cfg, "flow.max_flows", err), -1);
    ck_assert_int_eq(gs_config_set(&cfg, "flow.max_flows=99999999999999999999", err), -1);
    ck_assert_uint_eq(cfg.flow_max_flows, 1000);
}
END_TEST

static Suite *suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, test_config_defaults_within_range);
    tcase_add_test(tc, test_config_set);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_config)
