/*
 * dnp3w.c - DNP3 link/transport framing for generators (see dnp3w.h).
 */
#include "dnp3w.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINK_MAX_USER 250 /* user data bytes per link frame: transport byte + 249 */

uint16_t gs_dnp3w_crc(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    while (n--) {
        crc ^= *p++;
        for (int i = 0; i < 8; i++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA6BC) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)~crc;
}

static size_t put_crc(uint8_t *out, const uint8_t *block, size_t n)
{
    uint16_t crc = gs_dnp3w_crc(block, n);
    out[0] = (uint8_t)crc;
    out[1] = (uint8_t)(crc >> 8);
    return 2;
}

/* One link frame around `user` bytes (transport header included). */
static size_t link_frame(uint8_t *out, uint16_t src, uint16_t dst, bool from_master,
                         const uint8_t *user, size_t len)
{
    uint8_t hdr[8] = {0x05,
                      0x64,
                      (uint8_t)(5 + len),
                      (uint8_t)((from_master ? 0x80 : 0x00) | 0x40 | 0x04),
                      (uint8_t)dst,
                      (uint8_t)(dst >> 8),
                      (uint8_t)src,
                      (uint8_t)(src >> 8)};
    size_t n = 0;
    memcpy(out, hdr, 8);
    n = 8;
    n += put_crc(out + n, hdr, 8);
    for (size_t off = 0; off < len; off += 16) {
        size_t chunk = len - off < 16 ? len - off : 16;
        memcpy(out + n, user + off, chunk);
        n += chunk;
        n += put_crc(out + n, user + off, chunk);
    }
    return n;
}

size_t gs_dnp3w_frame(uint8_t *out, size_t cap, uint16_t src, uint16_t dst, bool from_master,
                      uint8_t tseq, const uint8_t *apdu, size_t len)
{
    size_t n = 0;
    size_t off = 0;
    do {
        size_t chunk = len - off < LINK_MAX_USER - 1 ? len - off : LINK_MAX_USER - 1;
        uint8_t user[LINK_MAX_USER];
        user[0] =
            (uint8_t)((off == 0 ? 0x40 : 0) | (off + chunk == len ? 0x80 : 0) | (tseq & 0x3F));
        memcpy(user + 1, apdu + off, chunk);
        if (cap - n < 10 + chunk + 1 + 2 * ((chunk + 1 + 15) / 16)) {
            fprintf(stderr, "dnp3w: output buffer too small\n");
            exit(1);
        }
        n += link_frame(out + n, src, dst, from_master, user, chunk + 1);
        off += chunk;
        tseq = (uint8_t)((tseq + 1) & 0x3F);
    } while (off < len);
    return n;
}
