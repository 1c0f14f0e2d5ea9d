/*
 * berw.h - BER (and ISO session) bytes from a compact notation, for the project's capture
 * generators and unit tests, so hand-built PDUs never carry a miscounted length.
 *
 *   "02 01 05"          octets in hex
 *   "A0{02 01 05}"      a TLV: the octets before '{' are the identifier, the length is
 *                       computed (short or long BER form)
 *   "1A'LD0'"           a TLV holding the text (at most 255 octets)
 *   "0D[14[00 02]]"     an ISO 8327 session SPDU or parameter: one length octet up to 254,
 *                       else FF and two octets
 *
 * Brackets may stay open across calls, so raw bytes can be appended between them.
 */
#ifndef GS_PCAPS_BERW_H
#define GS_PCAPS_BERW_H

#include <stddef.h>
#include <stdint.h>

#define GS_BERW_MAX_DEPTH 64

struct gs_berw {
    uint8_t *buf;
    size_t cap;
    size_t n;
    size_t open[GS_BERW_MAX_DEPTH]; /* where each open length goes */
    char kind[GS_BERW_MAX_DEPTH];   /* '{' BER, '[' session */
    int depth;
};

void gs_berw_init(struct gs_berw *w, uint8_t *buf, size_t cap);

/* Appends the notation; exits the program on bad notation or overflow. */
void gs_berw(struct gs_berw *w, const char *spec);

/* Appends raw octets (inside whatever is open). */
void gs_berw_bytes(struct gs_berw *w, const void *data, size_t len);

#endif
