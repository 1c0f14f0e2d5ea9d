/*
 * test_community_id.c - Community ID v1 against the published baseline of the spec
 * (corelight/community-id-spec, baseline/baseline_deflt.json, seed 0).
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "community_id.h"
#include "test_support.h"

struct vector {
    int proto;
    const char *saddr, *daddr;
    int sport, dport; /* -1: no ports */
    const char *expected;
};

static const struct vector vectors[] = {
    {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
    {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {46, "10.1.12.1", "10.1.12.2", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
    {46, "10.1.12.2", "10.1.12.1", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
};

static void parse_ip(const char *text, struct gs_ip *ip)
{
    memset(ip, 0, sizeof(*ip));
    if (strchr(text, ':') != NULL) {
        ip->family = 6;
        ck_assert_int_eq(inet_pton(AF_INET6, text, ip->addr), 1);
    } else {
        ip->family = 4;
        ck_assert_int_eq(inet_pton(AF_INET, text, ip->addr), 1);
    }
}

START_TEST(test_community_id_baseline)
{
    const struct vector *v = &vectors[_i];
    struct gs_ip src, dst;
    parse_ip(v->saddr, &src);
    parse_ip(v->daddr, &dst);
    char id[GS_COMMUNITY_ID_LEN];
    bool ports = v->sport >= 0;
    gs_community_id(&src, &dst, (uint8_t)v->proto, ports ? (uint16_t)v->sport : 0,
                    ports ? (uint16_t)v->dport : 0, ports, 0, id);
    ck_assert_str_eq(id, v->expected);
}
END_TEST

static Suite *suite_community_id(void)
{
    Suite *s = suite_create("community_id");
    TCase *tc = tcase_create("baseline");
    tcase_add_loop_test(tc, test_community_id_baseline, 0,
                        (int)(sizeof(vectors) / sizeof(vectors[0])));
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_community_id)
