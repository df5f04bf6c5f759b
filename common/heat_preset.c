#include "common/heat_preset.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const heat_preset *heat_preset_find(const heat_preset *table, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(table[i].name, name) == 0) return &table[i];
  return NULL;
}

bool heat_preset_is_path(const char *s) {
  size_t n = strlen(s);
  struct stat st;
  return strchr(s, '/') || (n > 4 && strcmp(s + n - 4, ".cfg") == 0) || stat(s, &st) == 0;
}

int heat_preset_unknown(const heat_preset *table, size_t n, const char *kind, const char *name,
                        heat_error *err) {
  char known[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < n && used < sizeof known; i++) {
    int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", table[i].name);
    if (w < 0) break;
    used += (size_t)w;
  }
  return heat_error_set(err, HEAT_ENOTFOUND, NULL,
                        "unknown %s '%s'; known presets: %s (or give a path to a .cfg file)", kind,
                        name, known);
}
