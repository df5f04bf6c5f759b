/* heat_error: the error record every library function fills instead of printing or exiting.
 *
 * Library code returns a status (HEAT_OK or a negative HEAT_E* code) and, on failure, fills a
 * caller-owned heat_error with *where* (file:line, an option name, or an expression and column)
 * and *what* is wrong and what is allowed. Only cli/ prints and chooses an exit code. */
#ifndef HEAT_ERROR_H
#define HEAT_ERROR_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum heat_status {
  HEAT_OK = 0,
  HEAT_EINVAL = -1,    /* bad input from the user: a file, an option, an expression (exit 2) */
  HEAT_ENOTFOUND = -2, /* a named thing (preset, tensor, file) does not exist (exit 2) */
  HEAT_EIO = -3,       /* a file could not be read or written (exit 2) */
  HEAT_ENOMEM = -4,    /* out of memory: an ordinary error, reported like any other (exit 1) */
  HEAT_ERANGE = -5,    /* a value is outside what heat can represent (exit 2) */
  HEAT_EINTERNAL = -6, /* a bug or a failed numerical routine (exit 1) */
  HEAT_ENOFIT = -7,    /* a workload cannot be mapped onto the hardware described (exit 2) */
};

#define HEAT_ERROR_WHERE_MAX 320
#define HEAT_ERROR_MSG_MAX 768

typedef struct heat_error {
  int code;
  char where[HEAT_ERROR_WHERE_MAX];
  char msg[HEAT_ERROR_MSG_MAX];
} heat_error;

/* Fills err (when not NULL) and returns code, so callers can `return heat_error_set(...)`.
 * where may be NULL or empty when there is no location to name. */
int heat_error_set(heat_error *err, int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like heat_error_set with where = "file:line". */
int heat_error_at(heat_error *err, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Puts "context: " in front of an existing message (e.g. the layer being processed). */
void heat_error_prefix(heat_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void heat_error_clear(heat_error *err);
const char *heat_strerror(int code);

/* 0 for HEAT_OK, 2 for bad input (EINVAL, ENOTFOUND, EIO, ERANGE, ENOFIT), 1 otherwise. */
int heat_exit_code(int code);

/* Prints "heat: <where>: <msg>\n" (or "heat: <msg>\n" without a location). */
void heat_error_print(FILE *out, const heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
