/*
 * bench_sa_crypto.c - how many SA MACs one core verifies per second, per MAC algorithm, on
 * the inputs a challenge reply really has (g120v1 fragment || challenged DIRECT_OPERATE), and
 * how many session key changes it unwraps. Usage: bench_sa_crypto [SECONDS per measure]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "key_material.h"
#include "sa_crypto.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    uint8_t kb[32];
    for (int i = 0; i < 32; i++)
        kb[i] = (uint8_t)(0xC0 + i);
    struct gs_key *k16 = gs_key_create(kb, 16, GS_KEY_SESSION);
    struct gs_key *k32 = gs_key_create(kb, 32, GS_KEY_SESSION);
    /* The real ITI challenge (22 octets) and DIRECT_OPERATE (20 octets). */
    static const uint8_t ch[22] = {0xc6, 0x83, 0x90, 0, 0x78, 1, 0x5b, 1,   0x0c, 0,   3,
                                   0,    0,    0,    0, 0,    4, 1,    's', 't',  'e', 'v'};
    static const uint8_t op[20] = {0xc6, 5,    0x0c, 1, 0x28, 1,    0, 1, 0, 3,
                                   1,    0x64, 0,    0, 0,    0x64, 0, 0, 0, 0};
    struct gs_sa_part parts[2] = {{ch, sizeof(ch)}, {op, sizeof(op)}};
    uint8_t iv[12] = {0};
    static const struct {
        unsigned mal;
        const char *name;
        int key32;
    } algs[] = {{4, "HMAC-SHA-256/16 (MAL 4)", 0},
                {3, "HMAC-SHA-256/8  (MAL 3)", 0},
                {2, "HMAC-SHA-1/10   (MAL 2)", 0},
                {6, "AES-128-GMAC    (MAL 6)", 0},
                {6, "AES-256-GMAC    (MAL 6)", 1}};
    for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
        const struct gs_key *k = algs[a].key32 ? k32 : k16;
        uint8_t mac[16];
        if (gs_sa_crypto_mac(algs[a].mal, k, iv, parts, 2, mac, sizeof(mac)) == 0)
            return 1;
        unsigned long n = 0;
        double t0 = now(), t;
        do {
            for (int i = 0; i < 1000; i++)
                n += gs_sa_crypto_verify(algs[a].mal, k, iv, parts, 2, mac,
                                         gs_sa_crypto_mac_len(algs[a].mal)) == GS_SA_MAC_OK;
            t = now() - t0;
        } while (t < secs);
        printf("%s  %10.0f MACs verified/s on one core\n", algs[a].name, (double)n / t);
    }
    /* Session key change: unwrap 64 octets (2 x 16-octet keys + a 15-octet key status). */
    uint8_t plain[56] = {16, 0}, wrapped[64];
    for (int i = 0; i < 15; i++)
        plain[34 + i] = (uint8_t)i;
    if (gs_sa_crypto_wrap(k16, plain, sizeof(plain), wrapped, sizeof(wrapped)) != 0)
        return 1;
    unsigned long n = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 1000; i++) {
            struct gs_key *c, *m;
            n += gs_sa_crypto_session_keys(k16, wrapped, 64, plain + 34, 15, &c, &m) ==
                 GS_SA_KEYS_OK;
            gs_key_destroy(c);
            gs_key_destroy(m);
        }
        t = now() - t0;
    } while (t < secs);
    printf("AES-128 key unwrap + checks   %10.0f session key changes/s on one core\n",
           (double)n / t);
    gs_key_destroy(k16);
    gs_key_destroy(k32);
    return 0;
}
