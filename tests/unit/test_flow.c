/*
 * test_flow.c - the flow table: both directions find one flow, capacity and least-recently-
 * seen eviction, idle expiry in packet time, deterministic flow ids.
 */
#include <check.h>
#include <string.h>

#include "flow.h"
#include "test_support.h"

struct released {
    int count;
    enum gs_flow_end last_why;
    uint16_t last_port;
};

static void on_release(void *arg, struct gs_flow *flow, enum gs_flow_end why)
{
    struct released *r = arg;
    r->count++;
    r->last_why = why;
    r->last_port = flow->key.port_lo;
}

static struct gs_ip ip4(uint8_t last)
{
    struct gs_ip ip;
    memset(&ip, 0, sizeof(ip));
    ip.family = 4;
    ip.addr[0] = 10;
    ip.addr[3] = last;
    return ip;
}

static void key_for(struct gs_flow_key *key, uint16_t client_port, bool reverse)
{
    struct gs_ip a = ip4(1), b = ip4(2);
    bool swapped;
    if (reverse)
        gs_flow_key_make(key, &b, &a, 20000, client_port, 6, 0, &swapped);
    else
        gs_flow_key_make(key, &a, &b, client_port, 20000, 6, 0, &swapped);
}

START_TEST(test_flow_both_directions)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    struct gs_flow_stats stats = {0};
    struct released rel = {0};
    struct gs_flow_table *t = gs_flow_table_create(&cfg, &stats, on_release, &rel);
    struct gs_flow_key k1, k2;
    key_for(&k1, 40000, false);
    key_for(&k2, 40000, true);
    ck_assert_int_eq(memcmp(&k1, &k2, sizeof(k1)), 0);
    struct gs_flow *f = gs_flow_create(t, &k1, 5);
    ck_assert_ptr_eq(gs_flow_find(t, &k2), f);
    /* Same key and first packet time, same id: ids are reproducible across runs. */
    uint64_t id = f->flow_id;
    gs_flow_remove(t, f, GS_FLOW_END_SHUTDOWN);
    ck_assert_ptr_null(gs_flow_find(t, &k1));
    f = gs_flow_create(t, &k1, 5);
    ck_assert_uint_eq(f->flow_id, id);
    ck_assert_uint_lt(id, UINT64_C(1) << 52);
    gs_flow_table_destroy(t);
    ck_assert_int_eq(rel.count, 2);
}
END_TEST

START_TEST(test_flow_capacity_evicts_oldest)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    cfg.flow_max_flows = 16;
    struct gs_flow_stats stats = {0};
    struct released rel = {0};
    struct gs_flow_table *t = gs_flow_table_create(&cfg, &stats, on_release, &rel);
    struct gs_flow_key key;
    for (uint16_t i = 0; i < 16; i++) {
        key_for(&key, (uint16_t)(1000 + i), false);
        gs_flow_create(t, &key, i);
    }
    /* Touch the oldest so the second oldest is the one evicted. */
    key_for(&key, 1000, false);
    gs_flow_touch(t, gs_flow_find(t, &key), 100);
    key_for(&key, 2000, false);
    gs_flow_create(t, &key, 101);
    ck_assert_uint_eq(stats.evicted, 1);
    ck_assert_int_eq(rel.last_why, GS_FLOW_END_EVICTED);
    ck_assert_uint_eq(rel.last_port, 1001);
    key_for(&key, 1001, false);
    ck_assert_ptr_null(gs_flow_find(t, &key));
    key_for(&key, 1000, false);
    ck_assert_ptr_nonnull(gs_flow_find(t, &key));
    ck_assert_uint_eq(stats.active, 16);
    ck_assert_uint_eq(stats.max_active, 16);
    /* Hundreds more: the table never holds more than its capacity. */
    for (uint16_t i = 0; i < 500; i++) {
        key_for(&key, (uint16_t)(3000 + i), false);
        gs_flow_create(t, &key, 200u + i);
        ck_assert_uint_le(stats.active, 16);
    }
    ck_assert_uint_eq(stats.evicted, 501);
    gs_flow_table_destroy(t);
}
END_TEST

START_TEST(test_flow_idle_expiry)
{
    struct gs_config cfg;
    gs_config_defaults(&cfg);
    cfg.flow_idle_timeout_s = 10;
    struct gs_flow_stats stats = {0};
    struct released rel = {0};
    struct gs_flow_table *t = gs_flow_table_create(&cfg, &stats, on_release, &rel);
    struct gs_flow_key a, b;
    key_for(&a, 1, false);
    key_for(&b, 2, false);
    gs_flow_create(t, &a, 0);
    gs_flow_create(t, &b, 5000000);
    gs_flow_expire(t, 10000000);
    ck_assert_uint_eq(stats.expired, 0);
    gs_flow_expire(t, 10000001);
    ck_assert_uint_eq(stats.expired, 1);
    ck_assert_ptr_null(gs_flow_find(t, &a));
    ck_assert_ptr_nonnull(gs_flow_find(t, &b));
    ck_assert_int_eq(rel.last_why, GS_FLOW_END_IDLE);
    gs_flow_table_destroy(t);
}
END_TEST

static Suite *suite_flow(void)
{
    Suite *s = suite_create("flow");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_flow_both_directions);
    tcase_add_test(tc, test_flow_capacity_evicts_oldest);
    tcase_add_test(tc, test_flow_idle_expiry);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_flow)
