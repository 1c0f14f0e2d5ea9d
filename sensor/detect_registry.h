/*
 * detect_registry.h - the static table of detectors.
 */
#ifndef GS_SENSOR_DETECT_REGISTRY_H
#define GS_SENSOR_DETECT_REGISTRY_H

#include "detector.h"

/* Every detector, NULL-terminated. */
extern const struct gs_detector *const gs_detector_table[];

#endif
