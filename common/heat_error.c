#include "common/heat_error.h"

#include <stdarg.h>
#include <string.h>

static void heat_error__vformat(heat_error *err, const char *fmt, va_list ap) {
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int heat_error_set(heat_error *err, int code, const char *where, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  snprintf(err->where, sizeof err->where, "%s", where ? where : "");
  va_list ap;
  va_start(ap, fmt);
  heat_error__vformat(err, fmt, ap);
  va_end(ap);
  return code;
}

int heat_error_at(heat_error *err, int code, const char *file, int line, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  if (file && line > 0)
    snprintf(err->where, sizeof err->where, "%s:%d", file, line);
  else
    snprintf(err->where, sizeof err->where, "%s", file ? file : "");
  va_list ap;
  va_start(ap, fmt);
  heat_error__vformat(err, fmt, ap);
  va_end(ap);
  return code;
}

void heat_error_prefix(heat_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[HEAT_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Truncation of an overlong message is acceptable; build it piecewise to say so. */
  char joined[HEAT_ERROR_MSG_MAX];
  size_t n = strlen(prefix);
  if (n > sizeof joined - 3) n = sizeof joined - 3;
  memcpy(joined, prefix, n);
  joined[n++] = ':';
  joined[n++] = ' ';
  size_t rest = strlen(err->msg);
  if (rest > sizeof joined - 1 - n) rest = sizeof joined - 1 - n;
  memcpy(joined + n, err->msg, rest);
  joined[n + rest] = '\0';
  memcpy(err->msg, joined, sizeof err->msg);
}

void heat_error_clear(heat_error *err) {
  if (!err) return;
  err->code = HEAT_OK;
  err->where[0] = '\0';
  err->msg[0] = '\0';
}

const char *heat_strerror(int code) {
  switch (code) {
  case HEAT_OK: return "success";
  case HEAT_EINVAL: return "invalid input";
  case HEAT_ENOTFOUND: return "not found";
  case HEAT_EIO: return "input/output error";
  case HEAT_ENOMEM: return "out of memory";
  case HEAT_ERANGE: return "value out of range";
  case HEAT_EINTERNAL: return "internal error";
  case HEAT_ENOFIT: return "does not fit the hardware";
  default: return "unknown error";
  }
}

int heat_exit_code(int code) {
  switch (code) {
  case HEAT_OK: return 0;
  case HEAT_EINVAL:
  case HEAT_ENOTFOUND:
  case HEAT_EIO:
  case HEAT_ERANGE:
  case HEAT_ENOFIT: return 2;
  default: return 1;
  }
}

void heat_error_print(FILE *out, const heat_error *err) {
  const char *msg = err->msg[0] ? err->msg : heat_strerror(err->code);
  if (err->where[0])
    fprintf(out, "heat: %s: %s\n", err->where, msg);
  else
    fprintf(out, "heat: %s\n", msg);
}
