#include "workloads/factorize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/factorize_impl.h"
#include "workloads/linalg.h"

const char *wl_error_kind_name(wl_error_kind k) { return k == WL_ERROR_BOUND ? "bound" : "exact"; }

void wl_factor_options_init(wl_factor_options *opt) {
  opt->hooi_sweeps = 0;
  opt->cp_max_iters = 200;
  opt->cp_tol = 1e-6;
  opt->seed = 1;
  opt->cp_init = WL_CP_INIT_RANDOM;
}

int wl__factors_add(wl_factors *f, const int64_t *dims, size_t order, heat_error *err) {
  if (f->n >= WL_MAX_FACTORS)
    return heat_error_set(err, HEAT_EINTERNAL, "factors", "more than %d factors", WL_MAX_FACTORS);
  int64_t numel = wl__numel(dims, order);
  double *p = calloc((size_t)numel, sizeof *p);
  if (!p)
    return heat_error_set(err, HEAT_ENOMEM, "factors", "out of memory for a factor of %lld values",
                          (long long)numel);
  f->data[f->n] = p;
  f->order[f->n] = order;
  memcpy(f->dims[f->n], dims, order * sizeof *dims);
  f->n++;
  return HEAT_OK;
}

void wl_factors_free(wl_factors *f) {
  for (size_t k = 0; k < f->n; k++) free(f->data[k]);
  f->n = 0;
}

size_t wl__chain_dims(const wl_layer *l, int64_t dims[WL_MAX_MODES], size_t perm[WL_MAX_MODES]) {
  size_t d = l->shape.d;
  if (l->format == WL_FORMAT_TTM) {
    for (size_t k = 0; k < d; k++) {
      dims[k] = l->shape.m[k] * l->shape.n[k];
      perm[2 * k] = k;
      perm[2 * k + 1] = d + k;
    }
    return d;
  }
  size_t D = wl_shape_modes(&l->shape, dims);
  for (size_t k = 0; k < D; k++) perm[k] = k;
  return D;
}

static int factor_dense(const wl_matrix *w, wl_factors *f, heat_error *err) {
  int64_t dims[2] = {w->rows, w->cols};
  int rc = wl__factors_add(f, dims, 2, err);
  if (rc) return rc;
  memcpy(f->data[0], w->data, (size_t)(w->rows * w->cols) * sizeof(double));
  f->rel_error = 0.0;
  return HEAT_OK;
}

/* ε is scale-invariant, but sums of squares of entries near 1e±154 over- or underflow (ε came
 * out 0, inf or NaN, and LAPACK failed on an inf Gram matrix). The algorithms run on a copy
 * divided by the power of two nearest above max|w|: exact (no rounding), so results of ordinary
 * inputs do not change, and every entry of the copy is below 1 in magnitude. *back gets that
 * power of two. */
static int normalised_copy(const wl_matrix *w, wl_matrix *copy, double *back, heat_error *err) {
  size_t n = (size_t)(w->rows * w->cols);
  double mx;
  int rc = wl_matrix_check_weight(w, &mx, err);
  if (rc) return rc;
  int e;
  frexp(mx, &e); /* mx = f·2^e, 0.5 <= f < 1 */
  rc = wl_matrix_alloc(copy, w->rows, w->cols, err);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) copy->data[i] = ldexp(w->data[i], -e);
  *back = ldexp(1.0, e);
  return HEAT_OK;
}

int wl_factorize(const wl_matrix *w0, const wl_layer *layer, const wl_factor_options *opt,
                 wl_factors *out, heat_error *err) {
  memset(out, 0, sizeof *out);
  int rc = wl_shape_check(&layer->shape, w0->rows, w0->cols, "--shape", err);
  if (!rc) rc = wl_layer_check(layer, "--ranks", err);
  if (rc) return rc;
  wl_matrix copy;
  double back = 1.0;
  rc = normalised_copy(w0, &copy, &back, err);
  if (rc) return rc;
  const wl_matrix *w = &copy;
  wl_factor_options defaults;
  if (!opt) {
    wl_factor_options_init(&defaults);
    opt = &defaults;
  }
  out->layer = *layer;
  switch (layer->format) {
  case WL_FORMAT_DENSE: rc = factor_dense(w, out, err); break;
  case WL_FORMAT_SVD: rc = wl__factor_svd(w, out, err); break;
  case WL_FORMAT_CP: rc = wl__factor_cp(w, opt, out, err); break;
  case WL_FORMAT_TUCKER: rc = wl__factor_tucker(w, opt->hooi_sweeps, out, err); break;
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: rc = wl__factor_tt(w, out, err); break;
  }
  wl_matrix_free(&copy);
  if (rc) {
    wl_factors_free(out);
    return rc;
  }
  /* W' is linear in each factor separately: scaling factor 0 alone rescales it to W's size */
  size_t n0 = (size_t)wl__numel(out->dims[0], out->order[0]);
  for (size_t i = 0; i < n0; i++) out->data[0][i] *= back;
  return HEAT_OK;
}

int wl_factors_reconstruct(const wl_factors *f, wl_matrix *out, heat_error *err) {
  int64_t M = wl_shape_rows(&f->layer.shape), N = wl_shape_cols(&f->layer.shape);
  int rc = wl_matrix_alloc(out, M, N, err);
  if (rc) return rc;
  switch (f->layer.format) {
  case WL_FORMAT_DENSE: memcpy(out->data, f->data[0], (size_t)(M * N) * sizeof(double)); break;
  case WL_FORMAT_SVD:
    rc = wl__gemm(CblasNoTrans, CblasTrans, 1.0, f->data[0], M, f->dims[0][1], f->data[1], N,
                  f->dims[1][1], 0.0, out->data, err);
    break;
  case WL_FORMAT_CP: rc = wl__reconstruct_cp(f, out->data, err); break;
  case WL_FORMAT_TUCKER: rc = wl__reconstruct_tucker(f, out->data, err); break;
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: rc = wl__reconstruct_tt(f, out->data, err); break;
  }
  if (rc) wl_matrix_free(out);
  return rc;
}

void wl_spectra_free(wl_spectra *s) {
  for (size_t k = 0; k < s->n; k++) free(s->sv[k]);
  s->n = 0;
}

/* Singular values of the row-major rows x cols reinterpretation of t (copied: dgesdd destroys). */
static int unfolding_values(const double *t, int64_t rows, int64_t cols, bool mode_unfold,
                            const int64_t *dims, size_t D, size_t k, wl_spectra *s,
                            heat_error *err) {
  size_t n = (size_t)(rows * cols), len = (size_t)(rows < cols ? rows : cols);
  double *a = malloc(n * sizeof *a), *sv = malloc(len * sizeof *sv);
  if (!a || !sv) {
    free(a);
    free(sv);
    return heat_error_set(err, HEAT_ENOMEM, "spectra", "out of memory");
  }
  if (mode_unfold)
    wl__unfold(t, dims, D, k, a);
  else
    memcpy(a, t, n * sizeof *a);
  int rc = wl__svd(a, rows, cols, sv, NULL, NULL, err);
  free(a);
  if (rc) {
    free(sv);
    return rc;
  }
  s->sv[s->n] = sv;
  s->len[s->n] = len;
  s->n++;
  return HEAT_OK;
}

static int spectra_of(const wl_matrix *w, wl_format format, const wl_shape *shape,
                      wl_spectra *out, heat_error *err);

int wl_spectra_compute(const wl_matrix *w0, wl_format format, const wl_shape *shape,
                       wl_spectra *out, heat_error *err) {
  memset(out, 0, sizeof *out);
  int rc = wl_shape_check(shape, w0->rows, w0->cols, "--shape", err);
  if (rc) return rc;
  wl_matrix copy;
  double back = 1.0;
  rc = normalised_copy(w0, &copy, &back, err);
  if (rc) return rc;
  rc = spectra_of(&copy, format, shape, out, err);
  out->scale = back;
  wl_matrix_free(&copy);
  return rc;
}

static int spectra_of(const wl_matrix *w, wl_format format, const wl_shape *shape,
                      wl_spectra *out, heat_error *err) {
  int rc = HEAT_OK;
  out->format = format;
  out->shape = *shape;
  double norm = wl_matrix_norm(w);
  out->norm2 = norm * norm;
  wl_layer l = {.format = format, .shape = *shape};
  int64_t dims[WL_MAX_MODES];
  size_t perm[WL_MAX_MODES];
  switch (format) {
  case WL_FORMAT_DENSE: return HEAT_OK;
  case WL_FORMAT_SVD:
    return unfolding_values(w->data, w->rows, w->cols, false, NULL, 0, 0, out, err);
  case WL_FORMAT_CP:
    return heat_error_set(err, HEAT_EINVAL, "--format",
                          "cp has no error formula from singular values; factorize each rank");
  case WL_FORMAT_TUCKER: {
    size_t D = wl_shape_modes(shape, dims);
    int64_t numel = w->rows * w->cols;
    for (size_t k = 0; k < D && !rc; k++)
      rc = unfolding_values(w->data, dims[k], numel / dims[k], true, dims, D, k, out, err);
    break;
  }
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: {
    size_t D = wl__chain_dims(&l, dims, perm);
    int64_t numel = w->rows * w->cols, mdims[WL_MAX_MODES];
    const double *t = w->data;
    double *tmp = NULL;
    if (format == WL_FORMAT_TTM) {
      tmp = malloc((size_t)numel * sizeof *tmp);
      if (!tmp) return heat_error_set(err, HEAT_ENOMEM, "spectra", "out of memory");
      size_t M2 = wl_shape_modes(shape, mdims);
      wl__permute(w->data, mdims, M2, perm, tmp);
      t = tmp;
    }
    int64_t rows = 1;
    for (size_t k = 0; k + 1 < D && !rc; k++) {
      rows *= dims[k];
      rc = unfolding_values(t, rows, numel / rows, false, NULL, 0, 0, out, err);
    }
    free(tmp);
    break;
  }
  }
  if (rc) wl_spectra_free(out);
  return rc;
}

int wl_spectra_error(const wl_spectra *s, const wl_layer *layer, double *eps, wl_error_kind *kind,
                     heat_error *err) {
  if (layer->format != s->format)
    return heat_error_set(err, HEAT_EINTERNAL, "spectra", "computed for %s, asked for %s",
                          wl_format_name(s->format), wl_format_name(layer->format));
  int rc = wl_layer_check(layer, "--ranks", err);
  if (rc) return rc;
  double tail = 0.0;
  for (size_t k = 0; k < s->n; k++) {
    size_t r = (size_t)layer->rank[k];
    tail += wl__tail_sumsq(s->sv[k], s->len[k], r < s->len[k] ? r : s->len[k]);
  }
  *eps = sqrt(tail / s->norm2);
  *kind = (s->format == WL_FORMAT_SVD || s->format == WL_FORMAT_DENSE || s->n <= 1)
              ? WL_ERROR_EXACT
              : WL_ERROR_BOUND;
  /* TT-SVD's and HOSVD's W' are orthogonal projections of W, so ||W − W'|| <= ||W||: a sum of
   * tails above 1 bounds nothing the projection does not already guarantee */
  if (*kind == WL_ERROR_BOUND && *eps > 1.0) *eps = 1.0;
  return HEAT_OK;
}
