/* Internal: a small strict JSON (RFC 8259) reader for safetensors headers and heat's plan files — a cursor over the
 * text with one function per construct heat needs; anything else is skipped but still checked.
 * Errors are HEAT_EINVAL naming `path` and the byte offset in the header. */
#ifndef HEAT_WL_JSON_H
#define HEAT_WL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

typedef struct wl__json {
  const char *s;
  size_t len, pos;
  const char *path; /* the file, for messages */
  heat_error *err;
  /* What the text is, for messages ("plan"); NULL: a safetensors header. Set, errors name
   * path:line instead of the byte offset. */
  const char *doc;
} wl__json;

int wl__json_fail(wl__json *j, const char *what);
void wl__json_ws(wl__json *j);
/* Skips whitespace and consumes c, or fails. */
int wl__json_expect(wl__json *j, char c);
/* Skips whitespace; true when the next character is c (not consumed). */
bool wl__json_peek(wl__json *j, char c);
/* A string into out (cap bytes, UTF-8, escapes decoded); out NULL skips it. */
int wl__json_string(wl__json *j, char *out, size_t cap);
/* A non-negative integer without sign, fraction or exponent. */
int wl__json_uint(wl__json *j, int64_t *out);
/* An array of such integers, at most cap. */
int wl__json_uint_array(wl__json *j, int64_t *out, size_t cap, size_t *count);
/* Any JSON number (sign, fraction, exponent) as a double; non-finite results fail. */
int wl__json_number(wl__json *j, double *out);
/* Any value, checked and skipped (depth-limited). */
int wl__json_skip_value(wl__json *j, int depth);

#endif
