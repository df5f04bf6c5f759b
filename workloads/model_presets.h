/* The preset model descriptions, embedded from workloads/models/<name>.cfg at build time by
 * common/embed_texts.cmake, so `heat` finds them from any directory. Internal to workloads/. */
#ifndef HEAT_MODEL_PRESETS_H
#define HEAT_MODEL_PRESETS_H

#include <stddef.h>

#include "common/heat_preset.h"

/* In name order. */
extern const heat_preset model_presets[];
extern const size_t model_presets_n;

#endif
