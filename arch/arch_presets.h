/* The preset .cfg texts compiled into the library (generated arch_presets.c). Internal to arch/. */
#ifndef HEAT_ARCH_PRESETS_H
#define HEAT_ARCH_PRESETS_H

#include <stddef.h>

#include "common/heat_preset.h"

extern const heat_preset arch_preset_texts[];
extern const size_t arch_preset_texts_count;

#endif
