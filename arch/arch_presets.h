/* The preset .cfg texts compiled into the library (generated arch_presets.c). Internal to arch/. */
#ifndef HEAT_ARCH_PRESETS_H
#define HEAT_ARCH_PRESETS_H

#include <stddef.h>

typedef struct arch_preset_text {
  const char *name; /* file stem: "tpu-32" */
  const char *text; /* the whole .cfg file */
} arch_preset_text;

extern const arch_preset_text arch_preset_texts[];
extern const size_t arch_preset_texts_count;

#endif
