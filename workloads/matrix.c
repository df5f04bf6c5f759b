#include "workloads/matrix.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

int wl_matrix_alloc(wl_matrix *m, int64_t rows, int64_t cols, heat_error *err) {
  m->rows = m->cols = 0;
  m->data = NULL;
  if (rows < 1 || cols < 1 || rows > INT64_MAX / cols / (int64_t)sizeof(double))
    return heat_error_set(err, HEAT_ERANGE, "matrix", "cannot hold a %lld x %lld matrix",
                          (long long)rows, (long long)cols);
  m->data = calloc((size_t)(rows * cols), sizeof(double));
  if (!m->data)
    return heat_error_set(err, HEAT_ENOMEM, "matrix", "out of memory for a %lld x %lld matrix",
                          (long long)rows, (long long)cols);
  m->rows = rows;
  m->cols = cols;
  return HEAT_OK;
}

void wl_matrix_free(wl_matrix *m) {
  free(m->data);
  m->data = NULL;
  m->rows = m->cols = 0;
}

/* LAPACK's dnrm2 scaling: keeps the sum of squares representable for any finite input. */
static double norm_scaled(const double *a, const double *b, size_t n) {
  double scale = 0.0, ssq = 1.0;
  for (size_t i = 0; i < n; i++) {
    double v = b ? a[i] - b[i] : a[i];
    if (v != 0.0) {
      double av = fabs(v);
      if (scale < av) {
        ssq = 1.0 + ssq * (scale / av) * (scale / av);
        scale = av;
      } else {
        ssq += (av / scale) * (av / scale);
      }
    }
  }
  return scale * sqrt(ssq);
}

double wl_matrix_norm(const wl_matrix *m) {
  return norm_scaled(m->data, NULL, (size_t)(m->rows * m->cols));
}

int wl_matrix_check_weight(const wl_matrix *m, double *max_abs, heat_error *err) {
  double mx = 0.0;
  for (int64_t i = 0; i < m->rows * m->cols; i++) {
    double a = fabs(m->data[i]);
    if (!(a <= DBL_MAX))
      return heat_error_set(err, HEAT_EINVAL, "weight", "element [%lld, %lld] is %s",
                            (long long)(i / m->cols), (long long)(i % m->cols),
                            isnan(m->data[i]) ? "NaN" : "Inf");
    if (a > mx) mx = a;
  }
  if (max_abs) *max_abs = mx;
  if (mx == 0.0)
    return heat_error_set(err, HEAT_EINVAL, "weight",
                          "the weight is all zeros; the relative error is undefined");
  return HEAT_OK;
}

int wl_matrix_rel_error(const wl_matrix *a, const wl_matrix *b, double *out, heat_error *err) {
  if (a->rows != b->rows || a->cols != b->cols)
    return heat_error_set(err, HEAT_EINVAL, "reconstruction",
                          "sizes differ: %lld x %lld vs %lld x %lld", (long long)a->rows,
                          (long long)a->cols, (long long)b->rows, (long long)b->cols);
  double na = wl_matrix_norm(a);
  if (na == 0.0)
    return heat_error_set(err, HEAT_EINVAL, "reconstruction",
                          "the weight is all zeros; the relative error is undefined");
  *out = norm_scaled(a->data, b->data, (size_t)(a->rows * a->cols)) / na;
  return HEAT_OK;
}
