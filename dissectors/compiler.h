/*
 * compiler.h - invariant checks and attributes shared by every library.
 */
#ifndef GS_DISSECTORS_COMPILER_H
#define GS_DISSECTORS_COMPILER_H

#include <stdio.h>
#include <stdlib.h>

/* A broken invariant: a bug in gridsensor, never something wire input can reach (the fuzzers
 * check that). Aborts in every build. */
#define GS_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "gridsensor: internal error: %s (%s:%d)\n", #cond, __FILE__,           \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define GS_WARN_UNUSED  __attribute__((warn_unused_result))
#define GS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
