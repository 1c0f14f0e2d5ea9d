/*
 * goose_sv.h - the GOOSE / Sampled Values detector (docs/DESIGN.md "tag62351_6"): IEC 62351-6
 * authentication tags of GOOSE, SV, R-GOOSE and R-SV verified with the key store, and the
 * sequence behaviour of each publisher (GOOSE stNum/sqNum and timeAllowedToLive, SV smpCnt,
 * the session's SPDU number), with the rules goose.* and sv.* of docs/RULES.md (20004xx).
 */
#ifndef GS_DETECTORS_GOOSE_SV_H
#define GS_DETECTORS_GOOSE_SV_H

#include <stdint.h>

#include "detector.h"

extern const struct gs_detector gs_goose_sv_detector;

/* What the detector counted (for the stats record and tests). */
struct gs_goose_sv_counters {
    uint64_t publishers;          /* GOOSE control blocks followed now */
    uint64_t publishers_evicted;  /* dropped to make room (goose.max_publishers) */
    uint64_t streams;             /* SV streams followed now */
    uint64_t streams_evicted;     /* dropped to make room (sv.max_streams) */
    uint64_t tags_verified;       /* tags a candidate coverage verified */
    uint64_t tags_invalid;        /* tags no candidate verified with the right key */
    uint64_t tags_unverifiable;   /* tags present but not checkable (no key, format, ...) */
    uint64_t untagged;            /* PDUs without a tag */
    uint64_t mirror_duplicates;   /* byte-identical copies inside the duplicate window */
    uint64_t counters_not_moving; /* R-GOOSE/R-SV PDUs repeating stNum/sqNum or smpCnt in a
                                     newer SPDU (the session number protects them) */
    uint64_t restarts;            /* publishers seen starting their counters again */
    uint64_t realigned;           /* jumps or rollbacks the next PDU confirmed */
    uint64_t unattributed;        /* events without gocbRef/svID (no publisher to follow) */
    uint64_t alerts_held_back;    /* alerts within goose/sv.alert_holddown_s of the same one */
};

/* Reads the counters of a detector state made by gs_goose_sv_detector.create. */
void gs_goose_sv_get_counters(const void *state, struct gs_goose_sv_counters *out);

#endif
