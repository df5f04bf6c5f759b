/* Strict number and list parsing for command-line options and small text formats.
 * Each function rejects trailing junk, empty strings, and values out of range, naming `what`
 * (an option like "--seq" or a key) in the error. */
#ifndef HEAT_PARSE_H
#define HEAT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses a decimal integer in [min, max]. */
int heat_parse_int64(const char *text, int64_t min, int64_t max, const char *what, int64_t *out,
                     heat_error *err);

/* Parses a finite double in [min, max]. */
int heat_parse_double(const char *text, double min, double max, const char *what, double *out,
                      heat_error *err);

/* Parses "a<sep>b<sep>c" of integers in [min, max] into out[0..cap); *count gets how many. */
int heat_parse_int64_list(const char *text, char sep, int64_t min, int64_t max, const char *what,
                          int64_t *out, size_t cap, size_t *count, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
