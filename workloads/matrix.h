/* A dense row-major matrix of doubles: the weight W (rows = out, cols = in) and its
 * reconstructions. */
#ifndef HEAT_WL_MATRIX_H
#define HEAT_WL_MATRIX_H

#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wl_matrix {
  int64_t rows, cols;
  double *data; /* rows x cols, row-major; owned */
} wl_matrix;

/* Zero-filled rows x cols matrix. */
int wl_matrix_alloc(wl_matrix *m, int64_t rows, int64_t cols, heat_error *err);
void wl_matrix_free(wl_matrix *m);

/* Frobenius norm (scaled sum, no overflow for large entries). */
double wl_matrix_norm(const wl_matrix *m);

/* A weight whose ε can be taken: finite entries, not all zero (HEAT_EINVAL, where "weight":
 * callers name the file and tensor). *max_abs (may be NULL) gets max |m|. */
int wl_matrix_check_weight(const wl_matrix *m, double *max_abs, heat_error *err);

/* ||A - B||_F / ||A||_F computed directly; fails when the sizes differ or A is zero. */
int wl_matrix_rel_error(const wl_matrix *a, const wl_matrix *b, double *out, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
