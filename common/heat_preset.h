/* Named texts compiled into the binary (arch and model presets, see common/embed_texts.cmake)
 * and the rule both loaders use to tell a preset name from a file path. */
#ifndef HEAT_PRESET_H
#define HEAT_PRESET_H

#include <stdbool.h>
#include <stddef.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heat_preset {
  const char *name; /* file stem: "tpu-32", "bert-base" */
  const char *text; /* the whole .cfg file */
} heat_preset;

/* The entry called name, or NULL. */
const heat_preset *heat_preset_find(const heat_preset *table, size_t n, const char *name);

/* True when s should be read as a file: it has a '/', ends in ".cfg", or names an existing file.
 * An unknown plain word is then reported as an unknown preset, not as a missing file. */
bool heat_preset_is_path(const char *s);

/* Fills err with HEAT_ENOTFOUND: "unknown <kind> '<name>'; known presets: a, b, ... (or give a
 * path to a .cfg file)" and returns HEAT_ENOTFOUND. */
int heat_preset_unknown(const heat_preset *table, size_t n, const char *kind, const char *name,
                        heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
