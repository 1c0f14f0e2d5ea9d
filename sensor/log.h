/*
 * log.h - one-line diagnostics on stderr, prefixed "gridsensor: ". Never given key material.
 */
#ifndef GS_SENSOR_LOG_H
#define GS_SENSOR_LOG_H

enum gs_log_level {
    GS_LOG_ERROR,
    GS_LOG_WARN,
    GS_LOG_INFO,
};

void gs_log(enum gs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef GS_DEBUG_LOG
#define GS_DEBUG(...) gs_log(GS_LOG_INFO, __VA_ARGS__)
#else
#define GS_DEBUG(...) ((void)0)
#endif

#endif
