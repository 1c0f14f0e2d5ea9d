/*
 * log.c - stderr diagnostics.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void gs_log(enum gs_log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = {"", "warning: ", ""};
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "gridsensor: %s%s\n", prefix[level], line);
}
