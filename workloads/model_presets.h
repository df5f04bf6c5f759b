/* The preset model descriptions, embedded from workloads/models/<name>.cfg at build time by
 * common/embed_texts.cmake, so `heat` finds them from any directory. Internal to workloads/. */
#ifndef HEAT_MODEL_PRESETS_H
#define HEAT_MODEL_PRESETS_H

#include <stddef.h>

typedef struct model_preset {
  const char *name; /* the file name without .cfg */
  const char *text; /* the file's contents */
} model_preset;

/* In name order. */
extern const model_preset model_presets[];
extern const size_t model_presets_n;

#endif
