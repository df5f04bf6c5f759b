#include "workloads/linalg.h"

#include <float.h>
#include <gsl/gsl_matrix.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/lapack_dl.h"

int wl__svd(double *a, int64_t m, int64_t n, double *s, double *u, double *vt, heat_error *err) {
  if (m < 1 || n < 1 || m > INT_MAX || n > INT_MAX)
    return heat_error_set(err, HEAT_ERANGE, "svd", "cannot decompose a %lld x %lld matrix",
                          (long long)m, (long long)n);
  const wl_lapack *L = wl_lapack_get(err);
  if (!L) return err->code;
  int64_t k = m < n ? m : n;
  bool vectors = u && vt;
  double dummy = 0.0;
  /* Row-major a (m x n) is the column-major aᵀ (n x m); its SVD aᵀ = V S Uᵀ written column-major
   * lands U in u (m x k row-major) and Vᵀ in vt (k x n row-major) with no transposing copies,
   * which LAPACK_ROW_MAJOR would make. */
  lapack_int info = L->dgesdd(
      LAPACK_COL_MAJOR, vectors ? 'S' : 'N', (lapack_int)n, (lapack_int)m, a, (lapack_int)n, s,
      vectors ? vt : &dummy, (lapack_int)n, vectors ? u : &dummy, (lapack_int)(vectors ? k : 1));
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
    return heat_error_set(err, HEAT_ENOMEM, "svd", "out of memory in dgesdd (%lld x %lld)",
                          (long long)m, (long long)n);
  if (info != 0)
    return heat_error_set(err, HEAT_EINTERNAL, "svd",
                          "LAPACKE_dgesdd failed on a %lld x %lld matrix (info %d)", (long long)m,
                          (long long)n, (int)info);
  return HEAT_OK;
}

/* Eigen-decomposition of the Gram matrix of a (rows x cols): a·aᵀ (n = rows) or, with `tall`,
 * aᵀ·a (n = cols). g (n x n) gets the eigenvectors as columns, s the min(rows, cols) singular
 * values sqrt(λ), largest first (dsyevd returns them ascending). */
static int gram_eig(const double *a, int64_t rows, int64_t cols, bool tall, double *g, double *s,
                    heat_error *err) {
  const wl_lapack *L = wl_lapack_get(err);
  if (!L) return err->code;
  int64_t n = tall ? cols : rows, K = rows < cols ? rows : cols;
  if (rows > INT_MAX || cols > INT_MAX)
    return heat_error_set(err, HEAT_ERANGE, "svd", "cannot decompose a %lld x %lld matrix",
                          (long long)rows, (long long)cols);
  double *ev = malloc((size_t)n * sizeof *ev);
  if (!ev) return heat_error_set(err, HEAT_ENOMEM, "svd", "out of memory");
  int rc = HEAT_OK;
  /* g = a·aᵀ (or aᵀ·a), upper triangle, row-major. */
  L->dsyrk(CblasRowMajor, CblasUpper, tall ? CblasTrans : CblasNoTrans, (int)n,
           (int)(tall ? rows : cols), 1.0, a, (int)cols, 0.0, g, (int)n);
  if (!rc) {
    lapack_int info = L->dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, g, (lapack_int)n, ev);
    if (info)
      rc = heat_error_set(err, HEAT_EINTERNAL, "svd",
                          "LAPACKE_dsyevd failed on a %lld x %lld Gram matrix (info %d)",
                          (long long)n, (long long)n, (int)info);
  }
  if (!rc)
    for (int64_t i = 0; i < K; i++) s[i] = ev[n - 1 - i] > 0.0 ? sqrt(ev[n - 1 - i]) : 0.0;
  free(ev);
  return rc;
}

/* The dgesdd path of wl__left_vectors. */
static int svd_left_vectors(const double *a, int64_t rows, int64_t cols, int64_t r, double *u,
                            double *s, heat_error *err) {
  int64_t K = rows < cols ? rows : cols, keep = r < K ? r : K;
  double *c = malloc((size_t)(rows * cols) * sizeof *c);
  double *uu = malloc((size_t)(rows * K) * sizeof *uu),
         *vt = malloc((size_t)(K * cols) * sizeof *vt);
  int rc = (!c || !uu || !vt) ? heat_error_set(err, HEAT_ENOMEM, "svd", "out of memory") : HEAT_OK;
  if (!rc) {
    memcpy(c, a, (size_t)(rows * cols) * sizeof *c);
    rc = wl__svd(c, rows, cols, s, uu, vt, err);
  }
  if (!rc)
    for (int64_t i = 0; i < rows; i++)
      for (int64_t q = 0; q < r; q++) u[i * r + q] = q < keep ? uu[i * K + q] : 0.0;
  free(c);
  free(uu);
  free(vt);
  return rc;
}

/* Whether the Gram eigenvalues resolve the discarded tail well enough for ε to 1e-6 relative.
 * dsyrk sums `len` products per entry of the Gram matrix; with rounding errors as random signs
 * each eigenvalue carries an absolute error of about sqrt(len)·eps·||a||_F², and the tail sum
 * over the K - keep discarded ones about sqrt((K - keep)·len)·eps·||a||_F². ε ∝ sqrt(tail), so
 * a relative error of 1e-6 in ε needs that error below 2e-6·tail; heat asks for a tail above
 * 1e6 times the estimate (half again of margin). Any truncation that matters in practice keeps
 * far more than that (BERT weights and the power-law bench lose >1e-3 of ||a||²); below it the
 * unfolding goes through dgesdd instead. */
static bool gram_resolves_tail(const double *s, int64_t K, int64_t keep, int64_t len) {
  double total = wl__tail_sumsq(s, (size_t)K, 0), tail = wl__tail_sumsq(s, (size_t)K, (size_t)keep);
  if (keep >= K || total == 0.0) return true; /* nothing discarded: nothing to resolve */
  double noise = sqrt((double)(K - keep) * (double)len) * DBL_EPSILON * total;
  return tail > 1e6 * noise;
}

int wl__left_vectors(const double *a, int64_t rows, int64_t cols, int64_t r, double *u, double *s,
                     heat_error *err) {
  int64_t K = rows < cols ? rows : cols, keep = r < K ? r : K;
  bool wide = cols >= 2 * rows, tall = rows >= 2 * cols;
  if (!wide && !tall) return svd_left_vectors(a, rows, cols, r, u, s, err);
  int64_t n = wide ? rows : cols;
  double *g = malloc((size_t)(n * n) * sizeof *g);
  double *av = tall ? malloc((size_t)(rows * (keep ? keep : 1)) * sizeof *av) : NULL;
  int rc = (!g || (tall && !av)) ? heat_error_set(err, HEAT_ENOMEM, "svd", "out of memory")
                                 : gram_eig(a, rows, cols, tall, g, s, err);
  if (!rc && !gram_resolves_tail(s, K, keep, wide ? cols : rows)) {
    free(g);
    free(av);
    return svd_left_vectors(a, rows, cols, r, u, s, err);
  }
  if (!rc && wide) /* the eigenvectors of a·aᵀ are the left singular vectors */
    for (int64_t i = 0; i < rows; i++)
      for (int64_t q = 0; q < r; q++) u[i * r + q] = q < keep ? g[i * n + n - 1 - q] : 0.0;
  if (!rc && tall) {
    /* u_q = a·v_q / s_q. The Gram matrix resolves s only down to about sqrt(n·eps)·s_0; below
     * that v_q is noise and u_q is left zero (its share of W is below that resolution too). */
    double *v = malloc((size_t)(cols * (keep ? keep : 1)) * sizeof *v);
    if (!v) rc = heat_error_set(err, HEAT_ENOMEM, "svd", "out of memory");
    for (int64_t i = 0; !rc && i < cols; i++)
      for (int64_t q = 0; q < keep; q++) v[i * keep + q] = g[i * n + n - 1 - q];
    if (!rc && keep)
      rc = wl__gemm(CblasNoTrans, CblasNoTrans, 1.0, a, rows, cols, v, cols, keep, 0.0, av, err);
    double floor = s[0] * sqrt((double)n * DBL_EPSILON);
    for (int64_t i = 0; !rc && i < rows; i++)
      for (int64_t q = 0; q < r; q++)
        u[i * r + q] = q < keep && s[q] > floor ? av[i * keep + q] / s[q] : 0.0;
    free(v);
  }
  free(g);
  free(av);
  return rc;
}

/* Leading r left singular vectors of the mode-k unfolding of t (dims) into dst (dims[k] x r). */
int wl__mode_vectors(const double *t, const int64_t *dims, size_t D, size_t k, int64_t r,
                     double *dst, heat_error *err) {
  int64_t rows = dims[k], cols = wl__numel(dims, D) / rows, K = rows < cols ? rows : cols;
  double *a = malloc((size_t)(rows * cols) * sizeof *a), *s = malloc((size_t)K * sizeof *s);
  int rc = HEAT_OK;
  if (!a || !s) {
    rc = heat_error_set(err, HEAT_ENOMEM, "svd", "out of memory");
  } else {
    wl__unfold(t, dims, D, k, a);
    rc = wl__left_vectors(a, rows, cols, r, dst, s, err);
  }
  free(a);
  free(s);
  return rc;
}

int wl__gemm(CBLAS_TRANSPOSE_t ta, CBLAS_TRANSPOSE_t tb, double alpha, const double *a, int64_t ar,
             int64_t ac, const double *b, int64_t br, int64_t bc, double beta, double *c,
             heat_error *err) {
  int64_t rows = ta == CblasNoTrans ? ar : ac, inner = ta == CblasNoTrans ? ac : ar;
  int64_t inner_b = tb == CblasNoTrans ? br : bc, cols = tb == CblasNoTrans ? bc : br;
  if (inner != inner_b)
    return heat_error_set(err, HEAT_EINTERNAL, "gemm", "inner sizes differ: %lld vs %lld",
                          (long long)inner, (long long)inner_b);
  if (ar > INT_MAX || ac > INT_MAX || br > INT_MAX || bc > INT_MAX)
    return heat_error_set(err, HEAT_ERANGE, "gemm", "a %lld x %lld by %lld x %lld product is "
                          "beyond BLAS's 32-bit sizes", (long long)ar, (long long)ac,
                          (long long)br, (long long)bc);
  const wl_lapack *L = wl_lapack_get(err);
  if (!L) return err->code;
  L->dgemm(CblasRowMajor, (enum CBLAS_TRANSPOSE)ta, (enum CBLAS_TRANSPOSE)tb, (int)rows, (int)cols,
           (int)inner, alpha, a, (int)ac, b, (int)bc, beta, c, (int)cols);
  return HEAT_OK;
}

int64_t wl__numel(const int64_t *dims, size_t D) {
  int64_t n = 1;
  for (size_t k = 0; k < D; k++) n *= dims[k];
  return n;
}

static void split(const int64_t *dims, size_t D, size_t k, int64_t *L, int64_t *R) {
  *L = 1;
  *R = 1;
  for (size_t j = 0; j < k; j++) *L *= dims[j];
  for (size_t j = k + 1; j < D; j++) *R *= dims[j];
}

void wl__unfold(const double *src, const int64_t *dims, size_t D, size_t k, double *dst) {
  int64_t L, R, nk = dims[k];
  split(dims, D, k, &L, &R);
  for (int64_t l = 0; l < L; l++)
    for (int64_t i = 0; i < nk; i++) {
      const double *from = src + (l * nk + i) * R;
      double *to = dst + i * (L * R) + l * R;
      for (int64_t r = 0; r < R; r++) to[r] = from[r];
    }
}

int wl__mode_product(const double *x, const int64_t *dims, size_t D, size_t k, const double *mat,
                     int64_t p, int64_t q, bool transpose, double *y, heat_error *err) {
  int64_t L, R;
  split(dims, D, k, &L, &R);
  int64_t in = transpose ? p : q, out = transpose ? q : p;
  if (dims[k] != in)
    return heat_error_set(err, HEAT_EINTERNAL, "mode product",
                          "mode %zu has size %lld, the matrix contracts %lld", k,
                          (long long)dims[k], (long long)in);
  CBLAS_TRANSPOSE_t tm = transpose ? CblasTrans : CblasNoTrans;
  if (R == 1) /* x is L x in: y (L x out) = x · op(mat)ᵀ */
    return wl__gemm(CblasNoTrans, transpose ? CblasNoTrans : CblasTrans, 1.0, x, L, in, mat, p, q,
                    0.0, y, err);
  for (int64_t l = 0; l < L; l++) {
    int rc = wl__gemm(tm, CblasNoTrans, 1.0, mat, p, q, x + l * in * R, in, R, 0.0, y + l * out * R,
                      err);
    if (rc) return rc;
  }
  return HEAT_OK;
}

void wl__permute(const double *src, const int64_t *dims, size_t D, const size_t *perm,
                 double *dst) {
  int64_t stride[16], step[16], idx[16], out_dims[16];
  int64_t s = 1;
  for (size_t k = D; k-- > 0;) {
    stride[k] = s;
    s *= dims[k];
  }
  for (size_t j = 0; j < D; j++) {
    step[j] = stride[perm[j]];
    out_dims[j] = dims[perm[j]];
    idx[j] = 0;
  }
  int64_t n = s, off = 0;
  for (int64_t i = 0; i < n; i++) {
    dst[i] = src[off];
    for (size_t j = D; j-- > 0;) {
      off += step[j];
      if (++idx[j] < out_dims[j]) break;
      off -= step[j] * out_dims[j];
      idx[j] = 0;
    }
  }
}

double wl__tail_sumsq(const double *s, size_t n, size_t from) {
  double t = 0.0;
  /* smallest first: the tail is summed without absorbing tiny terms into large ones */
  for (size_t i = n; i-- > from;) t += s[i] * s[i];
  return t;
}

double wl__sumsq(const double *a, size_t n) {
  double t = 0.0;
  for (size_t i = 0; i < n; i++) t += a[i] * a[i];
  return t;
}
