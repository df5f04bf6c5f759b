#include "common/heat_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int heat_parse_int64(const char *text, int64_t min, int64_t max, const char *what, int64_t *out,
                     heat_error *err) {
  if (!text || !*text)
    return heat_error_set(err, HEAT_EINVAL, what, "expected an integer, got an empty value");
  errno = 0;
  char *end = NULL;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
    return heat_error_set(err, HEAT_EINVAL, what, "'%s' is not an integer", text);
  if (errno == ERANGE || v < min || v > max)
    return heat_error_set(err, HEAT_ERANGE, what, "%s is out of range; allowed %lld..%lld", text,
                          (long long)min, (long long)max);
  *out = (int64_t)v;
  return HEAT_OK;
}

int heat_parse_double(const char *text, double min, double max, const char *what, double *out,
                      heat_error *err) {
  if (!text || !*text)
    return heat_error_set(err, HEAT_EINVAL, what, "expected a number, got an empty value");
  errno = 0;
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
    return heat_error_set(err, HEAT_EINVAL, what, "'%s' is not a number", text);
  /* ERANGE also flags underflow (1e-320 reads as a subnormal, 1e-400 as 0): a value closer to
   * zero than a double holds is not out of range, only overflow to infinity is. */
  bool overflow = errno == ERANGE && isinf(v);
  if (overflow || !isfinite(v) || v < min || v > max)
    return heat_error_set(err, HEAT_ERANGE, what, "%s is out of range; allowed %g..%g", text, min,
                          max);
  *out = v;
  return HEAT_OK;
}

int heat_parse_int64_list(const char *text, char sep, int64_t min, int64_t max, const char *what,
                          int64_t *out, size_t cap, size_t *count, heat_error *err) {
  if (!text || !*text)
    return heat_error_set(err, HEAT_EINVAL, what, "expected a '%c'-separated list, got nothing",
                          sep);
  size_t n = 0;
  const char *p = text;
  for (;;) {
    const char *q = strchr(p, sep);
    size_t len = q ? (size_t)(q - p) : strlen(p);
    if (n == cap)
      return heat_error_set(err, HEAT_EINVAL, what, "too many values in '%s' (at most %zu)", text,
                            cap);
    char item[64];
    if (len == 0 || len >= sizeof item)
      return heat_error_set(err, HEAT_EINVAL, what, "empty or overlong item in '%s'", text);
    memcpy(item, p, len);
    item[len] = '\0';
    int rc = heat_parse_int64(item, min, max, what, &out[n], err);
    if (rc) return rc;
    n++;
    if (!q) break;
    p = q + 1;
  }
  *count = n;
  return HEAT_OK;
}
