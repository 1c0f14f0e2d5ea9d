/*
 * berw.c - BER and session bytes from a compact notation (see berw.h).
 */
#include "berw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, const char *where)
{
    fprintf(stderr, "berw: %s at '%.20s'\n", what, where);
    exit(1);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void gs_berw_init(struct gs_berw *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
}

void gs_berw_bytes(struct gs_berw *w, const void *data, size_t len)
{
    if (len > w->cap - w->n)
        die("buffer full", "");
    if (len > 0)
        memcpy(w->buf + w->n, data, len);
    w->n += len;
}

/* Writes the length of the contents that start after the placeholder octet at `at`. */
static void close_length(struct gs_berw *w, size_t at, char kind)
{
    size_t len = w->n - at - 1;
    size_t extra;
    uint8_t first;
    if (kind == '[') {
        if (len > 0xFFFF)
            die("session length over 65535", "");
        extra = len <= 254 ? 0 : 2;
        first = len <= 254 ? (uint8_t)len : 0xFF;
    } else {
        extra = len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;
        first = extra == 0 ? (uint8_t)len : (uint8_t)(0x80 | extra);
    }
    if (extra > w->cap - w->n)
        die("buffer full", "");
    memmove(w->buf + at + 1 + extra, w->buf + at + 1, len);
    w->buf[at] = first;
    for (size_t i = 0; i < extra; i++)
        w->buf[at + 1 + i] = (uint8_t)(len >> (8 * (extra - 1 - i)));
    w->n += extra;
}

void gs_berw(struct gs_berw *w, const char *spec)
{
    const char *p = spec;
    while (*p != '\0') {
        if (*p == ' ' || *p == '\n') {
            p++;
        } else if (*p == '{' || *p == '[') {
            if (w->depth == GS_BERW_MAX_DEPTH)
                die("nested too deep", p);
            uint8_t zero = 0;
            w->kind[w->depth] = *p;
            w->open[w->depth++] = w->n;
            gs_berw_bytes(w, &zero, 1);
            p++;
        } else if (*p == '}' || *p == ']') {
            if (w->depth == 0 || w->kind[w->depth - 1] != (*p == '}' ? '{' : '['))
                die("unbalanced", p);
            w->depth--;
            close_length(w, w->open[w->depth], w->kind[w->depth]);
            p++;
        } else if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            if (end == NULL || end - p - 1 > 255)
                die("bad text", p);
            uint8_t len = (uint8_t)(end - p - 1);
            gs_berw_bytes(w, &len, 1);
            gs_berw_bytes(w, p + 1, len);
            p = end + 1;
        } else {
            int hi = hex_digit(p[0]);
            int lo = hi < 0 ? -1 : hex_digit(p[1]);
            if (lo < 0)
                die("bad hex", p);
            uint8_t b = (uint8_t)(hi << 4 | lo);
            gs_berw_bytes(w, &b, 1);
            p += 2;
        }
    }
}
