/* Reading libconfig descriptions (arch and model files) with errors that name file:line and
 * the key, range-checked values, and a guard against libconfig 1.5's silent integer wrap.
 *
 * libconfig 1.5 stores an integer written without an `L` suffix in 32 bits: 2147483648 reads
 * back as -2147483648 and 4294967297 as 1, with no error. heat_config_open_* scans the source
 * text once and rejects such literals with their line, before any value is read. */
#ifndef HEAT_CONFIG_H
#define HEAT_CONFIG_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heat_config heat_config;

/* Limits checked before libconfig reads a text (README.md, "Input limits"): libconfig finds a
 * name among its siblings by a linear search, so the parse is quadratic in the settings of a
 * group; nesting is capped at 64 levels. Files are also capped at HEAT_TEXT_FILE_MAX bytes (common/heat_file.h). `@include` is
 * refused: included text would bypass these checks and the literal guard above. */
#define HEAT_CONFIG_SETTINGS_MAX 4096

int heat_config_open_file(const char *path, heat_config **out, heat_error *err);
/* origin names the text in messages (e.g. "preset tpu-32"). */
int heat_config_open_string(const char *text, const char *origin, heat_config **out,
                            heat_error *err);
void heat_config_free(heat_config *cfg);

const config_setting_t *heat_config_root(const heat_config *cfg);
const char *heat_config_origin(const heat_config *cfg);

/* Getters. `group` is a group setting (the root or a sub-group); `key` a direct member.
 * When the key is absent: required -> HEAT_EINVAL "missing key", else *out = def.
 * Wrong type or out of [min, max] -> HEAT_EINVAL / HEAT_ERANGE naming origin:line and key. */
int heat_config_int64(const heat_config *cfg, const config_setting_t *group, const char *key,
                      bool required, int64_t def, int64_t min, int64_t max, int64_t *out,
                      heat_error *err);
/* Accepts integers and floats. */
int heat_config_double(const heat_config *cfg, const config_setting_t *group, const char *key,
                       bool required, double def, double min, double max, double *out,
                       heat_error *err);
int heat_config_bool(const heat_config *cfg, const config_setting_t *group, const char *key,
                     bool required, bool def, bool *out, heat_error *err);
/* Copies into out[cap]; an empty or too long string is an error. */
int heat_config_string(const heat_config *cfg, const config_setting_t *group, const char *key,
                       bool required, const char *def, char *out, size_t cap, heat_error *err);
/* A sub-group (kind CONFIG_TYPE_GROUP) or a list/array (CONFIG_TYPE_LIST / _ARRAY). Absent and
 * not required -> *out = NULL. */
int heat_config_member(const heat_config *cfg, const config_setting_t *group, const char *key,
                       int kind, bool required, const config_setting_t **out, heat_error *err);

/* Rejects members of `group` not in allowed[] (NULL-terminated), naming the key, its line and
 * the allowed keys. */
int heat_config_check_keys(const heat_config *cfg, const config_setting_t *group,
                           const char *const *allowed, heat_error *err);

/* Fills err with "origin:line" of setting s (or of its nearest ancestor with a line). */
int heat_config_fail(const heat_config *cfg, const config_setting_t *s, int code, heat_error *err,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "array.rows", "buffers[1].holds": the path of a setting from the root, for messages. */
void heat_config_path(const config_setting_t *s, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
