/* The accuracy model fitted to measured accuracies (see accuracy.h). */
#define _POSIX_C_SOURCE 200809L
#include "search/accuracy.h"

#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Splits a line into fields in place: commas separate them except inside double quotes ("" is
 * a quote inside a quoted field, as RFC 4180); spaces around fields are dropped. Returns the
 * count, or 0 for an unterminated quote. */
static size_t acc__fields(char *line, char **f, size_t cap) {
  size_t n = 0;
  char *p = line, *w;
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    char *start = w = p;
    if (*p == '"') {
      start = w = ++p;
      for (;; p++) {
        if (!*p) return 0;
        if (*p == '"' && p[1] == '"') *w++ = *p++;
        else if (*p == '"') break;
        else *w++ = *p;
      }
      p++;
      while (*p == ' ' || *p == '\t' || *p == '\r') p++;
      if (*p && *p != ',') return 0;
    } else {
      while (*p && *p != ',') *w++ = *p++;
      while (w > start && (w[-1] == ' ' || w[-1] == '\t' || w[-1] == '\r')) w--;
    }
    bool more = *p == ',';
    *w = '\0';
    if (n < cap) f[n] = start;
    n++;
    if (!more) return n;
    p++;
  }
}

static int acc__number(const char *text, const char *path, int line, const char *column,
                       double lo, double hi, double *out, heat_error *err) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || errno || !isfinite(v))
    return heat_error_at(err, HEAT_EINVAL, path, line, "%s: '%s' is not a number", column, text);
  if (v < lo || v > hi)
    return heat_error_at(err, HEAT_EINVAL, path, line, "%s: %s is outside [%g, %g]%s", column,
                         text, lo, hi,
                         strcmp(column, "accuracy") == 0 ? " (give a fraction: 0.88, not 88)" : "");
  *out = v;
  return HEAT_OK;
}

static FILE *acc__open(const char *path, heat_error *err) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    heat_error_set(err, HEAT_EIO, path, "cannot open: %s", strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    heat_error_set(err, HEAT_EIO, path, "not a regular file");
    return NULL;
  }
  if ((unsigned long long)st.st_size > ACC_FILE_MAX_BYTES) {
    close(fd);
    heat_error_set(err, HEAT_EINVAL, path, "larger than %u MiB", ACC_FILE_MAX_BYTES >> 20);
    return NULL;
  }
  FILE *f = fdopen(fd, "r");
  if (!f) {
    close(fd);
    heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
  }
  return f;
}

int acc_fit_file(const char *path, acc_fit *out, heat_error *err) {
  memset(out, 0, sizeof out[0]);
  FILE *f = acc__open(path, err);
  if (!f) return err->code;
  char *line = NULL;
  size_t cap = 0, n = 0, room = 0;
  double *x = NULL, *y = NULL;
  int lineno = 0, rc = HEAT_OK;
  long eps_col = -1, acc_col = -1;
  size_t n_cols = 0;
  ssize_t len;
  while (!rc && (len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if ((size_t)len != strlen(line)) {
      rc = heat_error_at(err, HEAT_EINVAL, path, lineno, "a NUL byte");
      break;
    }
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '#' || *s == '\n' || *s == '\r' || !*s) continue;
    if (len && line[len - 1] == '\n') line[len - 1] = '\0';
    char *fld[64];
    size_t k = acc__fields(line, fld, 64);
    if (k == 0) {
      rc = heat_error_at(err, HEAT_EINVAL, path, lineno, "a quoted field is not closed");
      break;
    }
    if (k > 64) {
      rc = heat_error_at(err, HEAT_EINVAL, path, lineno, "more than 64 columns");
      break;
    }
    if (eps_col < 0 && acc_col < 0 && n_cols == 0) { /* the header */
      n_cols = k;
      for (size_t i = 0; i < k; i++) {
        long *col = strcmp(fld[i], "eps_mean") == 0 ? &eps_col
                    : strcmp(fld[i], "accuracy") == 0 ? &acc_col : NULL;
        if (col && *col >= 0)
          rc = heat_error_at(err, HEAT_EINVAL, path, lineno, "column '%s' given twice", fld[i]);
        else if (col) *col = (long)i;
      }
      if (!rc && (eps_col < 0 || acc_col < 0))
        rc = heat_error_at(err, HEAT_EINVAL, path, lineno,
                           "the header must name the columns eps_mean and accuracy (found '%s'%s)",
                           fld[0], k > 1 ? ", ..." : "");
      continue;
    }
    if (k != n_cols) {
      rc = heat_error_at(err, HEAT_EINVAL, path, lineno, "%zu fields, the header has %zu", k,
                         n_cols);
      break;
    }
    if (n == room) {
      room = room ? 2 * room : 64;
      double *nx = realloc(x, room * sizeof *x), *ny = nx ? realloc(y, room * sizeof *y) : NULL;
      if (nx) x = nx;
      if (ny) y = ny;
      if (!nx || !ny) {
        rc = heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
        break;
      }
    }
    rc = acc__number(fld[eps_col], path, lineno, "eps_mean", 0, 1e6, &x[n], err);
    if (!rc) rc = acc__number(fld[acc_col], path, lineno, "accuracy", 0, 1, &y[n], err);
    n++;
  }
  if (!rc && ferror(f)) rc = heat_error_set(err, HEAT_EIO, path, "cannot read: %s", strerror(errno));
  free(line);
  fclose(f);
  if (!rc && n_cols == 0) rc = heat_error_set(err, HEAT_EINVAL, path, "no header and no rows");
  if (!rc && n < 3)
    rc = heat_error_at(err, HEAT_EINVAL, path, lineno,
                       "%zu plan(s); at least 3 measured plans are needed to fit a model", n);
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; !rc && i < n; i++) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  if (!rc && !(hi > lo))
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "every plan has eps_mean %g: give plans with different errors", lo);
  if (!rc) {
    double c0, c1, cov00, cov01, cov11, sumsq;
    if (gsl_fit_linear(x, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq) != 0 ||
        !isfinite(c0) || !isfinite(c1))
      rc = heat_error_set(err, HEAT_EINTERNAL, path, "the least-squares fit failed");
    double mean = 0, tss = 0, rss = 0;
    for (size_t i = 0; !rc && i < n; i++) mean += y[i] / (double)n;
    if (!rc && c1 > 0) { /* monotone: accuracy never rises with the error */
      out->clamped = true;
      c1 = 0;
      c0 = mean;
    }
    for (size_t i = 0; !rc && i < n; i++) {
      double r = y[i] - (c0 + c1 * x[i]);
      rss += r * r;
      tss += (y[i] - mean) * (y[i] - mean);
    }
    if (!rc) {
      *out = (acc_fit){n, c0, c1, tss > 0 ? 1 - rss / tss : 1, sqrt(rss / (double)n), lo, hi,
                       out->clamped};
    }
  }
  free(x);
  free(y);
  return rc;
}

void acc_fit_text(const acc_fit *f, const char *path, char *buf, size_t cap) {
  const char *base = strrchr(path, '/');
  snprintf(buf, cap,
           "acc model fitted to %s (%zu measured plans, eps %.3g..%.3g; R^2 %.3f, RMSE %.3g%s): "
           "acc = max(0, %.4g - %.4g * mean eps)",
           base ? base + 1 : path, f->n, f->eps_min, f->eps_max, f->r2, f->rmse,
           f->clamped ? "; slope > 0 set to 0" : "", f->c0, -f->c1);
}
