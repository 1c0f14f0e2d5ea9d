/*
 * signatures.h - the one table of alert rules: stable dotted name, signature id, text,
 * category, severity (1 high .. 3 low) and the IEC 62443 foundational requirement it bears on.
 *
 * Rule names are the contract with SIEM rules and tests: never rename one. Signature ids are
 * grouped by detector: 20001xx DNP3 SA, 20002xx IEC 104 SA, 20003xx TLS / IEC 62351-3,
 * 20004xx GOOSE/SV tags, 20005xx policy, 20006xx baselines.
 */
#ifndef GS_DETECTORS_SIGNATURES_H
#define GS_DETECTORS_SIGNATURES_H

#include <stdint.h>

struct gs_signature {
    const char *rule;
    uint32_t id;
    const char *text;
    const char *category;
    uint8_t severity;
    const char *fr; /* "FR1".."FR7" */
};

/* The table, terminated by an entry with rule NULL. */
extern const struct gs_signature gs_signatures[];

/* The signature of a rule name, or NULL. */
const struct gs_signature *gs_signature_find(const char *rule);

#endif
