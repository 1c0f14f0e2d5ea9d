/*
 * test_tag62351_6.c - the IEC 62351-6 tag verifier on the dissectors' own records: the real
 * SISCO 90-5 SPDU of ../shared/specs/iec62351_6.md Appendix A (HMAC-SHA256-128 with the
 * sample's published key, over SI..SI+SPDU length), and the digest's constructed vectors §4.3
 * (b) layer-2 2020 candidate A/B/C, (c) R-GOOSE v1 from SI or CLTP, (d) R-GOOSE v2 from CLTP or
 * SI, built around the real GE F650 APDU (frame 1 of the ITI GOOSE.pcap) with the MAC values
 * the digest publishes; then altered tags, another key, a weaker algorithm on the wire, a tag
 * of the wrong length, the preferred candidate, GMAC without an IV, and the formats a group
 * key cannot check.
 */
#include <check.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goose.h"
#include "guard_buf.h"
#include "keystore.h"
#include "rsession.h"
#include "sv.h"
#include "tag62351_6.h"
#include "test_support.h"

/* ../shared/specs/iec62351_6.md Appendix A: SISCO-PCAP frame 4, the whole UDP payload. */
static const char sisco_frame4[] = "0140a01880120000032f00000bf900014ed2a22d00010002010000000000031"
                                   "383000000013334353637373633330301"
                                   "88b80000030100000000618202f5800d6d79646f6d2f6d79676352656681010"
                                   "4820f6d79646f6d2f6d79646174617365"
                                   "74830974657374417070494484083ffb324c000000008501018601018701008"
                                   "801208901008a0103ab8202a7a2820265"
                                   "a23585010387050840877cee85010587050840c77cee8501078705084103c28"
                                   "f8501098705084123c28f84030055558c"
                                   "0629322e001786a22b85010f8705084181e1488501118705084191e14885011"
                                   "387050841a1e14884030055558c062932"
                                   "2e001786a23585011987050841d1e14885011b87050841e1e14885011d87050"
                                   "841f1e14885011f8705084200ef9e8403"
                                   "0055558c0629322e001786a2358501258705084218ef9e8501278705084220e"
                                   "f9e8501298705084228ef9e85012b8705"
                                   "084230ef9e84030055558c0629322e001786a2178501318705084248ef9e840"
                                   "30055558c0629322e001786a235850137"
                                   "8705084260ef9e8501398705084268ef9e85013b8705084270ef9e85013d870"
                                   "5084278ef9e84030055558c0629322e00"
                                   "1786a217850143870508428877cf84030055558c0629322e001786a23585014"
                                   "9870508429477cf85014b870508429877"
                                   "cf85014d870508429c77cf85014f87050842a077cf84030055558c0629322e0"
                                   "01786a21785015587050842ac77cf8403"
                                   "0055558c0629322e001786a23585015b87050842b877cf85015d87050842bc7"
                                   "7cf85015f87050842c077cf8501618705"
                                   "0842c477cf84030055558c0629322e001786a21785016787050842d07852840"
                                   "30055558c0629322e001786a23585016d"
                                   "87050842dc785285016f87050842e0785285017187050842e47852850173870"
                                   "50842e8785284030055558c0629322e00"
                                   "1786a21785017987050842f4785284030055558c0629322e001786a23885017"
                                   "f87050843003c29850200818705084302"
                                   "3c298502008387050843043c298502008587050843063c2984030055558c062"
                                   "9322e001786a23585010387050840877c"
                                   "ee85010587050840c77cee8501078705084103c28f8501098705084123c28f8"
                                   "4030055558c0629322e00178687050840"
                                   "877cee851c8855dc727db569eb006e4a35d94aa5";

#define SISCO_ROW  "01333435363701333435363738667788"
#define KEY_ROWS8  SISCO_ROW SISCO_ROW SISCO_ROW SISCO_ROW SISCO_ROW SISCO_ROW SISCO_ROW SISCO_ROW
/* the sample's key 2: the first octet of each row is 02 */
#define SISCO_ROW2 "02333435363701333435363738667788"
#define KEY2_ROWS8                                                                                 \
    SISCO_ROW2 SISCO_ROW2 SISCO_ROW2 SISCO_ROW2 SISCO_ROW2 SISCO_ROW2 SISCO_ROW2 SISCO_ROW2

/* What one check saw: the verdict of the record the dissector emitted (spans die with it). */
static struct {
    const struct gs_key *key;
    const char *preferred;
    bool iv_none;
    int events;
    struct gs_tag_result res;
    bool verifiable;
    const char *why;
    char coverage[32];
} chk;

static void hook(void *arg, const struct gs_pkt_ctx *ctx, const struct gs_event *ev)
{
    (void)arg;
    (void)ctx;
    const struct gs_sec_info *sec = NULL;
    if (ev->type == GS_EVENT_GOOSE)
        sec = ((const struct gs_goose_event *)ev->body)->security;
    else if (ev->type == GS_EVENT_SV)
        sec = ((const struct gs_sv_event *)ev->body)->security;
    if (sec == NULL || chk.events++ > 0)
        return;
    chk.verifiable = gs_tag_verifiable(sec, &chk.why);
    if (!chk.verifiable || chk.key == NULL)
        return;
    struct gs_sec_info copy = *sec;
    if (chk.iv_none)
        copy.iv.len = 0;
    gs_tag_verify(&copy, chk.key, NULL, chk.preferred, &chk.res);
    snprintf(chk.coverage, sizeof(chk.coverage), "%s",
             chk.res.coverage != NULL ? chk.res.coverage : "");
}

/* Runs a dissector over bytes (an R-session UDP payload, or a layer-2 unit after the
 * EtherType) and checks the first record with `key`. */
static void check(const struct gs_dissector *d, const uint8_t *bytes, size_t len,
                  const struct gs_key *key, const char *preferred)
{
    memset(&chk, 0, sizeof(chk));
    chk.key = key;
    chk.preferred = preferred;
    struct gs_test_events events;
    memset(&events, 0, sizeof(events));
    events.hook = hook;
    struct gs_test_ctx t;
    gs_test_ctx_init(&t, &events, 102);
    if (d->transport == GS_TRANSPORT_L2) {
        t.ctx.flow = NULL;
        t.l2.has_mac = true;
        t.l2.ether_type = d->ether_type;
    } else {
        t.flow.ip_proto = 17;
    }
    void *state = calloc(1, d->state_size(&t.cfg));
    ck_assert_ptr_nonnull(state);
    if (d->state_init != NULL)
        d->state_init(state, &t.cfg);
    struct gs_guard_buf g;
    const uint8_t *data = gs_guard_alloc(&g, bytes, len);
    struct gs_cursor cur = gs_cur_init(data, len);
    d->parse(state, &t.ctx, &cur, GS_DIR_TO_SERVER);
    gs_guard_free(&g);
    free(state);
    ck_assert_int_ge(chk.events, 1);
}

static struct gs_keystore *store(const char *json)
{
    struct gs_keystore *ks = NULL;
    char err[GS_ERRBUF_SIZE];
    ck_assert_msg(gs_keystore_parse(json, strlen(json), "test", &ks, err) == 0, "%s", err);
    return ks;
}

/* ---- the real SISCO SPDU ------------------------------------------------------------------- */

START_TEST(test_tag_sisco_real_spdu)
{
    uint8_t b[1024];
    size_t n = gs_test_hex(b, sizeof(b), sisco_frame4);
    ck_assert_uint_eq(n, 836);
    struct gs_keystore *ks =
        store("{\"goose\": [{\"appid\": 0, \"gocb_ref\": \"mydom/mygcRef\", \"key_id\": 1,"
              " \"algorithm\": \"hmac-sha256-128\", \"key\": \"" KEY_ROWS8 "\"},"
              " {\"appid\": 0, \"gocb_ref\": \"mydom/mygcRef\", \"key_id\": 2,"
              " \"algorithm\": \"hmac-sha256-256\", \"key\": \"" KEY_ROWS8 "\"},"
              " {\"appid\": 0, \"gocb_ref\": \"mydom/mygcRef\", \"key_id\": 3,"
              " \"algorithm\": \"hmac-sha256-128\", \"key\": \"" KEY2_ROWS8 "\"}]}");
    /* key id 01 00 00 00 is key "1" (the sample memcpys a little-endian integer) */
    const struct gs_key *k1 = gs_keystore_goose(ks, 0, "mydom/mygcRef", 13, 1);
    ck_assert_ptr_nonnull(k1);
    check(&gs_rsession_dissector, b, n, k1, NULL);
    ck_assert(chk.verifiable);
    ck_assert_int_eq(chk.res.verdict, GS_TAG_OK);
    ck_assert_str_eq(chk.coverage, "si..si+spdu_len"); /* digest §4.1: [SI, SI + 815) */
    ck_assert_uint_eq(chk.res.tag_len_wanted, 16);
    ck_assert_uint_eq(chk.res.candidates, 2); /* si..payload_end tried first, then this one */

    /* named first, the winning candidate is the only MAC computed */
    check(&gs_rsession_dissector, b, n, k1, "si..si+spdu_len");
    ck_assert_int_eq(chk.res.verdict, GS_TAG_OK);
    ck_assert_uint_eq(chk.res.candidates, 1);

    /* one bit of the MAC, or of the covered payload */
    b[n - 1] ^= 0x01;
    check(&gs_rsession_dissector, b, n, k1, NULL);
    ck_assert_int_eq(chk.res.verdict, GS_TAG_INVALID);
    ck_assert_str_eq(chk.res.reason, "mismatch");
    ck_assert_uint_eq(chk.res.candidates, 4);
    b[n - 1] ^= 0x01;
    b[400] ^= 0x10;
    check(&gs_rsession_dissector, b, n, k1, NULL);
    ck_assert_int_eq(chk.res.verdict, GS_TAG_INVALID);
    b[400] ^= 0x10;

    /* another key of the same algorithm */
    const struct gs_key *k3 = gs_keystore_goose(ks, 0, "mydom/mygcRef", 13, 3);
    check(&gs_rsession_dissector, b, n, k3, NULL);
    ck_assert_int_eq(chk.res.verdict, GS_TAG_INVALID);
    ck_assert_str_eq(chk.res.reason, "mismatch");

    /* the key is HMAC-SHA256-256 and the SPDU says -128: a downgrade does not pass */
    const struct gs_key *k2 = gs_keystore_goose(ks, 0, "mydom/mygcRef", 13, 2);
    check(&gs_rsession_dissector, b, n, k2, NULL);
    ck_assert_int_eq(chk.res.verdict, GS_TAG_INVALID);
    ck_assert_str_eq(chk.res.reason, "algorithm_mismatch");
    gs_keystore_destroy(ks);
}
END_TEST

/* ---- the digest's constructed vectors around the real GE F650 APDU ------------------------- */

/* The 137-octet APDU of frame 1 of ITI GOOSE.pcap; false when ../shared/pcaps is absent. */
static bool ge_apdu(uint8_t *apdu, size_t *len)
{
    const char *dir = gs_test_shared_pcaps();
    if (dir == NULL)
        return false;
    char path[4096], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/ITI__ICS-Security-Tools/pcaps/IEC61850/GOOSE/GOOSE.pcap", dir);
    pcap_t *p = pcap_open_offline(path, err);
    ck_assert_msg(p != NULL, "%s", err);
    struct pcap_pkthdr *h;
    const u_char *d;
    ck_assert_int_eq(pcap_next_ex(p, &h, &d), 1);
    /* Ethernet (14) | APPID 2 | Length 2 (0x0091) | Reserved 4 | APDU */
    ck_assert_uint_ge(h->caplen, 14 + 8 + 137);
    ck_assert_uint_eq(d[12], 0x88);
    ck_assert_uint_eq(d[13], 0xB8);
    ck_assert_uint_eq(d[14 + 8], 0x61);
    memcpy(apdu, d + 14 + 8, 137);
    *len = 137;
    pcap_close(p);
    return true;
}

#define GE_GOCB "GEDeviceF650/LLN0$GO$gcb01"

START_TEST(test_tag_digest_l2_2020)
{
    uint8_t apdu[256];
    size_t a;
    if (!ge_apdu(apdu, &a)) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; the GE F650 APDU is not available\n");
        return;
    }
    struct gs_keystore *ks =
        store("{\"goose\": [{\"appid\": 1, \"gocb_ref\": \"" GE_GOCB "\", \"key_id\": 1,"
              " \"algorithm\": \"hmac-sha256-128\", \"key\": "
              "\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}]}");
    const struct gs_key *k = gs_keystore_goose(ks, 1, GE_GOCB, strlen(GE_GOCB), 1);
    ck_assert_ptr_nonnull(k);
    /* §4.3 (b): Reserved1 = 0x0029, the SGOSV19 tagged extension, candidates A, B, C */
    static const struct {
        const char *mac, *coverage;
    } cand[] = {
        {"9b5488b7355f9be0264dd29995fec3c2", "ethertype..apdu_end"},
        {"e400d0e49abeb428850511fa0ca0dd7a", "appid..apdu_end"},
        {"e6727046476849c411fea757eeaa85ec", "apdu..apdu_end"},
    };
    for (size_t i = 0; i < GS_ARRAY_LEN(cand); i++) {
        uint8_t unit[512];
        size_t n = gs_test_hex(unit, sizeof(unit), "0001 0091 0029 0000");
        memcpy(unit + n, apdu, a);
        n += a;
        n += gs_test_hex(unit + n, sizeof(unit) - n,
                         "30 27 a4 25 80 01 01 81 04 5f 5e 10 00 82 02 00 3c 84 04 00 00 00 01 "
                         "85 10");
        n += gs_test_hex(unit + n, sizeof(unit) - n, cand[i].mac);
        check(&gs_goose_dissector, unit, n, k, NULL);
        ck_assert_msg(chk.res.verdict == GS_TAG_OK, "candidate %zu", i);
        ck_assert_str_eq(chk.coverage, cand[i].coverage);
    }
    gs_keystore_destroy(ks);
}
END_TEST

START_TEST(test_tag_digest_rgoose)
{
    uint8_t apdu[256];
    size_t a;
    if (!ge_apdu(apdu, &a)) {
        fprintf(stderr, "SKIP: ../shared/pcaps is absent; the GE F650 APDU is not available\n");
        return;
    }
    struct gs_keystore *ks =
        store("{\"goose\": [{\"appid\": 1, \"gocb_ref\": \"" GE_GOCB "\", \"key_id\": 1,"
              " \"algorithm\": \"hmac-sha256-128\", \"key\": "
              "\"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\"}]}");
    const struct gs_key *k = gs_keystore_goose(ks, 1, GE_GOCB, strlen(GE_GOCB), 1);
    static const struct {
        const char *header, *mac, *coverage;
    } vec[] = {
        /* §4.3 (c): v1, SISCO post-2012 rules */
        {"0140 a118 8016 000000a5 00000001 0001 5f5e1000 003c 0002 00000001 0000008f "
         "810000010089",
         "256bd3ab2b13dfb72ec12aed943a0117", "si..payload_end"},
        {"0140 a118 8016 000000a5 00000001 0001 5f5e1000 003c 0002 00000001 0000008f "
         "810000010089",
         "c126007d85d1d13e96bfd4cd4187110f", "cltp..payload_end"},
        /* §4.3 (d): v2, key id 1, no IV */
        {"0140 a117 8015 000000a4 00000001 0002 5f5e1000 003c 00000001 00 0000008f 810000010089",
         "3239e92016a89446965c8a14b05dce72", "cltp..payload_end"},
        {"0140 a117 8015 000000a4 00000001 0002 5f5e1000 003c 00000001 00 0000008f 810000010089",
         "b12f079dc4789b37525553e8ec21b946", "si..payload_end"},
    };
    for (size_t i = 0; i < GS_ARRAY_LEN(vec); i++) {
        uint8_t b[512];
        size_t n = gs_test_hex(b, sizeof(b), vec[i].header);
        memcpy(b + n, apdu, a);
        n += a;
        b[n++] = 0x85;
        b[n++] = 0x10;
        n += gs_test_hex(b + n, sizeof(b) - n, vec[i].mac);
        check(&gs_rsession_dissector, b, n, k, NULL);
        ck_assert_msg(chk.res.verdict == GS_TAG_OK, "vector %zu: %s", i,
                      chk.res.reason != NULL ? chk.res.reason : "");
        ck_assert_str_eq(chk.coverage, vec[i].coverage);
        /* the same SPDU with the tag cut to 10 octets is no HMAC-SHA256-128 tag */
        b[n - 17] = 0x0A;
        check(&gs_rsession_dissector, b, n - 6, k, NULL);
        ck_assert_int_eq(chk.res.verdict, GS_TAG_INVALID);
        ck_assert_str_eq(chk.res.reason, "tag_length");
    }
    gs_keystore_destroy(ks);
}
END_TEST

/* ---- what a group key cannot check ---------------------------------------------------------- */

START_TEST(test_tag_unverifiable)
{
    struct gs_sec_info sec;
    const char *why;
    uint8_t tag[16] = {1};
    memset(&sec, 0, sizeof(sec));
    ck_assert(!gs_tag_verifiable(&sec, &why));
    ck_assert_str_eq(why, "no_tag");
    sec.present = true;
    sec.tag = (struct gs_span){tag, 16};
    sec.format = GS_SEC_L2_2007;
    sec.algorithm = GS_SEC_ALG_SIGNATURE;
    ck_assert(!gs_tag_verifiable(&sec, &why));
    ck_assert_str_eq(why, "signature");
    sec.format = GS_SEC_L2_UNKNOWN;
    sec.algorithm = GS_SEC_ALG_UNKNOWN;
    ck_assert(!gs_tag_verifiable(&sec, &why));
    ck_assert_str_eq(why, "unknown_format");
    sec.format = GS_SEC_L2_RESEARCH;
    sec.algorithm = GS_SEC_ALG_BY_KEY;
    ck_assert(!gs_tag_verifiable(&sec, &why));
    ck_assert_str_eq(why, "no_key_id");
    sec.format = GS_SEC_SESSION_V1;
    sec.algorithm = GS_SEC_ALG_HMAC_SHA256_128;
    sec.has_key_id = true;
    sec.enc_alg = 1;
    ck_assert(!gs_tag_verifiable(&sec, &why));
    ck_assert_str_eq(why, "encrypted");
    sec.enc_alg = 0;
    ck_assert(gs_tag_verifiable(&sec, &why));

    /* GMAC needs the record's 12-octet IV; without candidates there is nothing to compute */
    struct gs_keystore *ks =
        store("{\"sv\": [{\"appid\": 16384, \"sv_id\": \"MU\", \"key_id\": 1,"
              " \"algorithm\": \"aes-gmac-128\", \"key\": \"606162636465666768696a6b6c6d6e6f\"}]}");
    const struct gs_key *k = gs_keystore_sv(ks, 16384, "MU", 2, 1);
    sec.algorithm = GS_SEC_ALG_BY_KEY;
    struct gs_tag_result res;
    gs_tag_verify(&sec, k, NULL, NULL, &res);
    ck_assert_int_eq(res.verdict, GS_TAG_UNVERIFIABLE);
    ck_assert_str_eq(res.reason, "no_iv");
    uint8_t iv[12] = {0};
    sec.iv = (struct gs_span){iv, 12};
    gs_tag_verify(&sec, k, NULL, NULL, &res);
    ck_assert_int_eq(res.verdict, GS_TAG_UNVERIFIABLE);
    ck_assert_str_eq(res.reason, "no_coverage");
    ck_assert_int_eq(gs_tag_key_alg(k), GS_SEC_ALG_AES_GMAC_128);
    gs_keystore_destroy(ks);
}
END_TEST

static Suite *suite_tag62351_6(void)
{
    Suite *s = suite_create("tag62351_6");
    TCase *tc = tcase_create("verify");
    tcase_add_test(tc, test_tag_sisco_real_spdu);
    tcase_add_test(tc, test_tag_digest_l2_2020);
    tcase_add_test(tc, test_tag_digest_rgoose);
    tcase_add_test(tc, test_tag_unverifiable);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_tag62351_6)
