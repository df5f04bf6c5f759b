/* TT-SVD (Oseledets 2011, Alg. 1) for the tt and ttm formats.
 *
 * Each step truncates the SVD of the current unfolding and carries diag(s)·Vᵀ forward. The cores
 * kept are left-orthonormal, so the errors of the steps are orthogonal and
 * ||W − W'||² = Σ_k (discarded singular values of step k)² holds with equality: the error
 * returned is exact. (The bound of Thm 2.2 uses the unfoldings of W itself instead; see
 * wl_spectra_error.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/factorize_impl.h"
#include "workloads/linalg.h"

/* Network layout of core k: r_{k-1} dropped for the first core, r_k for the last; TTM cores split
 * the merged mode into (m_k, n_k). */
static size_t core_dims(const wl_layer *l, size_t k, size_t cores, int64_t r0, int64_t r1,
                        const int64_t *chain, int64_t *dims) {
  size_t n = 0;
  if (k) dims[n++] = r0;
  if (l->format == WL_FORMAT_TTM) {
    dims[n++] = l->shape.m[k];
    dims[n++] = l->shape.n[k];
  } else {
    dims[n++] = chain[k];
  }
  if (k + 1 < cores) dims[n++] = r1;
  return n;
}

int wl__factor_tt(const wl_matrix *w, wl_factors *f, heat_error *err) {
  const wl_layer *l = &f->layer;
  int64_t chain[WL_MAX_MODES], mdims[WL_MAX_MODES], cdims[WL_MAX_MODES];
  size_t perm[WL_MAX_MODES];
  size_t D = wl__chain_dims(l, chain, perm);
  int64_t numel = w->rows * w->cols;
  double *c = malloc((size_t)numel * sizeof *c), *next = malloc((size_t)numel * sizeof *next);
  double *s = NULL;
  int rc = HEAT_OK;
  if (!c || !next) {
    rc = heat_error_set(err, HEAT_ENOMEM, "tt-svd", "out of memory");
    goto free_all;
  }
  if (l->format == WL_FORMAT_TTM) {
    size_t M2 = wl_shape_modes(&l->shape, mdims);
    wl__permute(w->data, mdims, M2, perm, c);
  } else {
    memcpy(c, w->data, (size_t)numel * sizeof *c);
  }
  double err2 = 0.0;
  int64_t r_prev = 1, rest = numel;
  for (size_t k = 0; k + 1 < D && !rc; k++) {
    int64_t rows = r_prev * chain[k], cols = rest / chain[k], K = rows < cols ? rows : cols;
    int64_t r = l->rank[k];
    size_t nd = core_dims(l, k, D, r_prev, r, chain, cdims);
    s = malloc((size_t)K * sizeof *s);
    if (!s) rc = heat_error_set(err, HEAT_ENOMEM, "tt-svd", "out of memory");
    if (!rc) rc = wl__factors_add(f, cdims, nd, err);
    /* The core is U_r (rows x r); wl_layer_check's tight bounds (r_k <= r_{k-1}·dim_k and
     * r_k <= dim_{k+1}·r_{k+1}) keep r within this step's SVD size min(rows, cols). */
    double *core = rc ? NULL : f->data[f->n - 1];
    if (!rc) rc = wl__left_vectors(c, rows, cols, r, core, s, err);
    if (rc) break;
    err2 += wl__tail_sumsq(s, (size_t)K, (size_t)(r < K ? r : K));
    /* carry U_rᵀ C = diag(s_r) V_rᵀ to the next step */
    rc = wl__gemm(CblasTrans, CblasNoTrans, 1.0, core, rows, r, c, rows, cols, 0.0, next, err);
    double *t = c;
    c = next;
    next = t;
    free(s);
    s = NULL;
    r_prev = r;
    rest = cols;
  }
  if (!rc) {
    size_t nd = core_dims(l, D - 1, D, r_prev, 1, chain, cdims);
    rc = wl__factors_add(f, cdims, nd, err);
    if (!rc) memcpy(f->data[f->n - 1], c, (size_t)(r_prev * chain[D - 1]) * sizeof *c);
  }
  if (!rc) f->rel_error = sqrt(err2) / wl_matrix_norm(w);
free_all:
  free(c);
  free(next);
  free(s);
  return rc;
}

int wl__reconstruct_tt(const wl_factors *f, double *out, heat_error *err) {
  const wl_layer *l = &f->layer;
  int64_t chain[WL_MAX_MODES], mdims[WL_MAX_MODES];
  size_t perm[WL_MAX_MODES];
  size_t D = wl__chain_dims(l, chain, perm);
  int64_t numel = wl_shape_rows(&l->shape) * wl_shape_cols(&l->shape);
  double *acc = malloc((size_t)numel * sizeof *acc), *next = malloc((size_t)numel * sizeof *next);
  int rc = HEAT_OK;
  if (!acc || !next) {
    rc = heat_error_set(err, HEAT_ENOMEM, "tt reconstruction", "out of memory");
    goto free_all;
  }
  /* acc is (product of modes so far) x r_k */
  int64_t P = chain[0], r = D > 1 ? l->rank[0] : 1;
  memcpy(acc, f->data[0], (size_t)(P * r) * sizeof *acc);
  for (size_t k = 1; k < D && !rc; k++) {
    int64_t r1 = k + 1 < D ? l->rank[k] : 1;
    rc = wl__gemm(CblasNoTrans, CblasNoTrans, 1.0, acc, P, r, f->data[k], r, chain[k] * r1, 0.0,
                  next, err);
    double *t = acc;
    acc = next;
    next = t;
    P *= chain[k];
    r = r1;
  }
  if (rc) goto free_all;
  if (l->format == WL_FORMAT_TTM) {
    /* acc has modes (m1, n1, m2, n2, ...): undo the interleaving */
    size_t d = l->shape.d, back[WL_MAX_MODES];
    for (size_t k = 0; k < d; k++) {
      mdims[2 * k] = l->shape.m[k];
      mdims[2 * k + 1] = l->shape.n[k];
      back[k] = 2 * k;
      back[d + k] = 2 * k + 1;
    }
    wl__permute(acc, mdims, 2 * d, back, out);
  } else {
    memcpy(out, acc, (size_t)numel * sizeof *out);
  }
free_all:
  free(acc);
  free(next);
  return rc;
}
