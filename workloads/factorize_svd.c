/* Truncated SVD: W ≈ (U_r diag(s_r)) V_rᵀ, exact error by Eckart–Young. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/factorize_impl.h"
#include "workloads/linalg.h"

int wl__factor_svd(const wl_matrix *w, wl_factors *f, heat_error *err) {
  int64_t M = w->rows, N = w->cols, K = M < N ? M : N, r = f->layer.rank[0];
  size_t n = (size_t)(M * N);
  double *a = malloc(n * sizeof *a), *s = malloc((size_t)K * sizeof *s);
  double *u = malloc((size_t)(M * K) * sizeof *u), *vt = malloc((size_t)(K * N) * sizeof *vt);
  int rc = HEAT_OK;
  if (!a || !s || !u || !vt) {
    rc = heat_error_set(err, HEAT_ENOMEM, "svd", "out of memory for a %lld x %lld SVD",
                        (long long)M, (long long)N);
    goto free_all;
  }
  memcpy(a, w->data, n * sizeof *a);
  rc = wl__svd(a, M, N, s, u, vt, err);
  int64_t du[2] = {M, r}, dv[2] = {N, r};
  if (!rc) rc = wl__factors_add(f, du, 2, err);
  if (!rc) rc = wl__factors_add(f, dv, 2, err);
  if (rc) goto free_all;
  for (int64_t i = 0; i < M; i++)
    for (int64_t q = 0; q < r; q++) f->data[0][i * r + q] = u[i * K + q] * s[q];
  for (int64_t j = 0; j < N; j++)
    for (int64_t q = 0; q < r; q++) f->data[1][j * r + q] = vt[q * N + j];
  double norm = wl_matrix_norm(w);
  f->rel_error = sqrt(wl__tail_sumsq(s, (size_t)K, (size_t)r)) / norm;
free_all:
  free(a);
  free(s);
  free(u);
  free(vt);
  return rc;
}
