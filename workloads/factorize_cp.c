/* CP by alternating least squares over the 2d modes (m1..md, n1..nd).
 *
 * The modes split into the OUT group (rows of W) and the IN group (columns). Within one group the
 * other group's factors stay fixed, so one GEMM Z = W · KR(IN) (M x R) serves every OUT-mode
 * MTTKRP of a sweep, and Zᵢₙ = Wᵀ · KR(OUT) every IN-mode one: two GEMMs per sweep instead of
 * 2d passes over W. Factors are kept with unit columns and the scale in λ. The start is seeded
 * Gaussian (GSL mt19937) or the leading singular vectors of each mode unfolding; the sweep stops
 * when ε changes by at most tol·ε. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/factorize_impl.h"
#include "workloads/lapack_dl.h"
#include "workloads/linalg.h"

/* Khatri–Rao product of factors[0..n) (dims[k] x R each), row index row-major over the modes:
 * kr[(i1..in), r] = Π_k factors[k][i_k, r]. kr holds Π dims x R. */
static void khatri_rao(double *const *factors, const int64_t *dims, size_t n, int64_t R,
                       double *kr) {
  int64_t P = dims[0];
  memcpy(kr, factors[0], (size_t)(P * R) * sizeof *kr);
  for (size_t k = 1; k < n; k++) {
    /* grow in place from the back so rows not yet expanded are still intact */
    for (int64_t p = P; p-- > 0;)
      for (int64_t i = dims[k]; i-- > 0;)
        for (int64_t r = 0; r < R; r++)
          kr[(p * dims[k] + i) * R + r] = kr[p * R + r] * factors[k][i * R + r];
    P *= dims[k];
  }
}

/* MTTKRP of group mode k from z (P x R, P = Π dims of the group): for each row index of the
 * group, z's row times the product of the group's other factors, summed into out[i_k, :]. */
static void group_mttkrp(const double *z, double *const *factors, const int64_t *dims, size_t n,
                         size_t k, int64_t R, double *out, double *tmp) {
  int64_t idx[WL_MAX_ORDER] = {0}, P = wl__numel(dims, n);
  memset(out, 0, (size_t)(dims[k] * R) * sizeof *out);
  for (int64_t p = 0; p < P; p++) {
    for (int64_t r = 0; r < R; r++) tmp[r] = z[p * R + r];
    for (size_t j = 0; j < n; j++)
      if (j != k)
        for (int64_t r = 0; r < R; r++) tmp[r] *= factors[j][idx[j] * R + r];
    double *o = out + idx[k] * R;
    for (int64_t r = 0; r < R; r++) o[r] += tmp[r];
    for (size_t j = n; j-- > 0;) {
      if (++idx[j] < dims[j]) break;
      idx[j] = 0;
    }
  }
}

typedef struct cp_state {
  size_t D;
  int64_t dims[WL_MAX_MODES], R;
  double *A[WL_MAX_MODES]; /* unit columns */
  double *gram[WL_MAX_MODES];
  double *lambda;
  double *V, *B, *mtt, *tmp, *sv;
} cp_state;

/* Solves A_k V = MTTKRP for mode k (V = Hadamard of the other Grams), then normalizes. */
static int update_mode(cp_state *st, size_t k, heat_error *err) {
  const wl_lapack *L = wl_lapack_get(err);
  if (!L) return err->code;
  int64_t R = st->R, n = st->dims[k];
  for (int64_t i = 0; i < R * R; i++) st->V[i] = 1.0;
  for (size_t j = 0; j < st->D; j++)
    if (j != k)
      for (int64_t i = 0; i < R * R; i++) st->V[i] *= st->gram[j][i];
  for (int64_t i = 0; i < n; i++)
    for (int64_t r = 0; r < R; r++) st->B[r * n + i] = st->mtt[i * R + r];
  /* Cholesky first; a singular V (collinear columns) falls back to minimum-norm least squares. */
  double *Vc = st->tmp + R;
  memcpy(Vc, st->V, (size_t)(R * R) * sizeof *Vc);
  lapack_int info = L->dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)R, (lapack_int)n, Vc,
                                  (lapack_int)R, st->B, (lapack_int)n);
  if (info > 0) {
    lapack_int rank;
    memcpy(Vc, st->V, (size_t)(R * R) * sizeof *Vc);
    for (int64_t i = 0; i < n; i++)
      for (int64_t r = 0; r < R; r++) st->B[r * n + i] = st->mtt[i * R + r];
    info = L->dgelsd(LAPACK_ROW_MAJOR, (lapack_int)R, (lapack_int)R, (lapack_int)n, Vc,
                          (lapack_int)R, st->B, (lapack_int)n, st->sv, -1.0, &rank);
  }
  if (info != 0)
    return heat_error_set(err, HEAT_EINTERNAL, "cp-als",
                          "normal equations of mode %zu failed (LAPACK info %d)", k + 1, (int)info);
  double *A = st->A[k];
  for (int64_t r = 0; r < R; r++) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += st->B[r * n + i] * st->B[r * n + i];
    s = sqrt(s);
    st->lambda[r] = s;
    for (int64_t i = 0; i < n; i++) A[i * R + r] = s > 0.0 ? st->B[r * n + i] / s : 0.0;
  }
  return wl__gemm(CblasTrans, CblasNoTrans, 1.0, A, n, R, A, n, R, 0.0, st->gram[k], err);
}

/* ε² from the last update (mode k): <W, W'> from its MTTKRP, ||W'||² from the Grams. */
static double fit_error(const cp_state *st, size_t k, double norm2) {
  int64_t R = st->R, n = st->dims[k];
  double inner = 0.0, model = 0.0;
  for (int64_t r = 0; r < R; r++) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += st->A[k][i * R + r] * st->mtt[i * R + r];
    inner += st->lambda[r] * s;
  }
  for (int64_t r = 0; r < R; r++)
    for (int64_t q = 0; q < R; q++)
      model += st->lambda[r] * st->lambda[q] * st->V[r * R + q] * st->gram[k][r * R + q];
  double e2 = norm2 - 2.0 * inner + model;
  return e2 > 0.0 ? sqrt(e2 / norm2) : 0.0;
}

int wl__factor_cp(const wl_matrix *w, const wl_factor_options *opt, wl_factors *f,
                  heat_error *err) {
  const wl_layer *l = &f->layer;
  cp_state st;
  memset(&st, 0, sizeof st);
  st.D = wl_shape_modes(&l->shape, st.dims);
  st.R = l->rank[0];
  size_t d = l->shape.d, e = l->shape.d_in, D = st.D;
  int64_t M = w->rows, N = w->cols, R = st.R, maxdim = 0;
  int rc = HEAT_OK;
  for (size_t k = 0; k < D && !rc; k++) {
    int64_t fd[2] = {st.dims[k], R};
    rc = wl__factors_add(f, fd, 2, err);
    if (!rc) st.A[k] = f->data[k];
    if (st.dims[k] > maxdim) maxdim = st.dims[k];
  }
  if (!rc && l->cp_weights) rc = wl__factors_add(f, &st.R, 1, err);
  if (rc) return rc;
  double *kr = malloc((size_t)((M > N ? M : N) * R) * sizeof *kr);
  double *z = malloc((size_t)((M > N ? M : N) * R) * sizeof *z);
  double *gram_block = malloc((size_t)(D * R * R) * sizeof *gram_block);
  st.lambda = malloc((size_t)R * sizeof *st.lambda);
  st.V = malloc((size_t)(R * R) * sizeof *st.V);
  st.B = malloc((size_t)(R * maxdim) * sizeof *st.B);
  st.mtt = malloc((size_t)(R * maxdim) * sizeof *st.mtt);
  st.tmp = malloc((size_t)(R + R * R) * sizeof *st.tmp);
  st.sv = malloc((size_t)R * sizeof *st.sv);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!kr || !z || !gram_block || !st.lambda || !st.V || !st.B || !st.mtt || !st.tmp || !st.sv ||
      !rng) {
    rc = heat_error_set(err, HEAT_ENOMEM, "cp-als", "out of memory");
    goto free_all;
  }
  gsl_rng_set(rng, opt->seed);
  for (size_t k = 0; k < D && !rc; k++) {
    st.gram[k] = gram_block + k * R * R;
    /* the random draws happen for either start, so the columns an SVD start cannot fill (beyond
     * a mode's size) are the same as a random start's */
    for (int64_t i = 0; i < st.dims[k] * R; i++) st.A[k][i] = gsl_ran_gaussian(rng, 1.0);
    if (opt->cp_init == WL_CP_INIT_SVD) {
      int64_t q = R < st.dims[k] ? R : st.dims[k];
      rc = wl__mode_vectors(w->data, st.dims, D, k, q, st.mtt, err);
      for (int64_t c = 0; !rc && c < q; c++) {
        double n2 = 0.0; /* a zero vector (rank-deficient unfolding) keeps its random column */
        for (int64_t i = 0; i < st.dims[k]; i++) n2 += st.mtt[i * q + c] * st.mtt[i * q + c];
        for (int64_t i = 0; n2 > 0.0 && i < st.dims[k]; i++) st.A[k][i * R + c] = st.mtt[i * q + c];
      }
    }
    for (int64_t r = 0; r < R; r++) {
      double s = 0.0;
      for (int64_t i = 0; i < st.dims[k]; i++) s += st.A[k][i * R + r] * st.A[k][i * R + r];
      for (int64_t i = 0; i < st.dims[k]; i++) st.A[k][i * R + r] /= sqrt(s);
    }
    if (!rc)
      rc = wl__gemm(CblasTrans, CblasNoTrans, 1.0, st.A[k], st.dims[k], R, st.A[k], st.dims[k], R,
                    0.0, st.gram[k], err);
  }
  double norm = wl_matrix_norm(w), norm2 = norm * norm, eps = 1.0, prev = 1.0;
  for (int it = 0; it < opt->cp_max_iters && !rc; it++) {
    /* OUT group: Z = W · KR(IN factors) */
    khatri_rao(st.A + d, st.dims + d, e, R, kr);
    rc = wl__gemm(CblasNoTrans, CblasNoTrans, 1.0, w->data, M, N, kr, N, R, 0.0, z, err);
    for (size_t k = 0; k < d && !rc; k++) {
      group_mttkrp(z, st.A, st.dims, d, k, R, st.mtt, st.tmp);
      rc = update_mode(&st, k, err);
    }
    if (rc) break;
    /* IN group: Z = Wᵀ · KR(OUT factors) */
    khatri_rao(st.A, st.dims, d, R, kr);
    rc = wl__gemm(CblasTrans, CblasNoTrans, 1.0, w->data, M, N, kr, M, R, 0.0, z, err);
    for (size_t k = 0; k < e && !rc; k++) {
      group_mttkrp(z, st.A + d, st.dims + d, e, k, R, st.mtt, st.tmp);
      rc = update_mode(&st, d + k, err);
    }
    if (rc) break;
    eps = fit_error(&st, D - 1, norm2);
    f->iterations = it + 1;
    if (it > 0 && fabs(prev - eps) <= opt->cp_tol * prev) {
      f->converged = true;
      break;
    }
    if (eps == 0.0) {
      f->converged = true;
      break;
    }
    prev = eps;
  }
  if (rc) goto free_all;
  if (l->cp_weights) {
    memcpy(f->data[D], st.lambda, (size_t)R * sizeof *st.lambda);
  } else {
    for (int64_t i = 0; i < st.dims[0]; i++)
      for (int64_t r = 0; r < R; r++) st.A[0][i * R + r] *= st.lambda[r];
  }
  /* ε reported from W' itself: the ALS fit formula cancels badly when ε is small. */
  wl_matrix wp;
  rc = wl_factors_reconstruct(f, &wp, err);
  if (!rc) {
    rc = wl_matrix_rel_error(w, &wp, &f->rel_error, err);
    wl_matrix_free(&wp);
  }
free_all:
  free(kr);
  free(z);
  free(gram_block);
  free(st.lambda);
  free(st.V);
  free(st.B);
  free(st.mtt);
  free(st.tmp);
  free(st.sv);
  gsl_rng_free(rng);
  return rc;
}

int wl__reconstruct_cp(const wl_factors *f, double *out, heat_error *err) {
  const wl_layer *l = &f->layer;
  int64_t dims[WL_MAX_MODES], R = l->rank[0];
  size_t D = wl_shape_modes(&l->shape, dims), d = l->shape.d, e = l->shape.d_in;
  int64_t M = wl_shape_rows(&l->shape), N = wl_shape_cols(&l->shape);
  double *ko = malloc((size_t)(M * R) * sizeof *ko), *ki = malloc((size_t)(N * R) * sizeof *ki);
  int rc = HEAT_OK;
  if (!ko || !ki) {
    rc = heat_error_set(err, HEAT_ENOMEM, "cp reconstruction", "out of memory");
  } else {
    double *const *A = f->data;
    khatri_rao(A, dims, d, R, ko);
    khatri_rao(A + d, dims + d, e, R, ki);
    if (l->cp_weights)
      for (int64_t i = 0; i < M; i++)
        for (int64_t r = 0; r < R; r++) ko[i * R + r] *= f->data[D][r];
    rc = wl__gemm(CblasNoTrans, CblasTrans, 1.0, ko, M, R, ki, N, R, 0.0, out, err);
  }
  free(ko);
  free(ki);
  return rc;
}
