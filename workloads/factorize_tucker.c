/* Tucker by HOSVD (De Lathauwer et al. 2000) with optional HOOI sweeps.
 *
 * The factors are orthonormal, so W' is the orthogonal projection of W and
 * ||W − W'||² = ||W||² − ||G||² exactly (G the core). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/factorize_impl.h"
#include "workloads/linalg.h"

/* t ×_j U_jᵀ for every mode j != skip (skip = D: all modes). The result (dims shrunk to the
 * ranks) is written to *out, allocated here; work holds two numel-sized buffers. */
static int project(const double *t, const int64_t *dims, size_t D, double *const *factors,
                   const int64_t *ranks, size_t skip, double *work0, double *work1,
                   const double **out, int64_t *out_dims, heat_error *err) {
  memcpy(out_dims, dims, D * sizeof *dims);
  const double *cur = t;
  double *buf[2] = {work0, work1};
  int which = 0;
  for (size_t j = 0; j < D; j++) {
    if (j == skip) continue;
    int rc =
        wl__mode_product(cur, out_dims, D, j, factors[j], dims[j], ranks[j], true, buf[which], err);
    if (rc) return rc;
    out_dims[j] = ranks[j];
    cur = buf[which];
    which ^= 1;
  }
  *out = cur;
  return HEAT_OK;
}

int wl__factor_tucker(const wl_matrix *w, int hooi_sweeps, wl_factors *f, heat_error *err) {
  const wl_layer *l = &f->layer;
  int64_t dims[WL_MAX_MODES], cdims[WL_MAX_MODES];
  size_t D = wl_shape_modes(&l->shape, dims);
  int64_t numel = w->rows * w->cols;
  double *factors[WL_MAX_MODES];
  int rc = wl__factors_add(f, l->rank, D, err); /* the core: filled last */
  for (size_t k = 0; k < D && !rc; k++) {
    int64_t fd[2] = {dims[k], l->rank[k]};
    rc = wl__factors_add(f, fd, 2, err);
    if (!rc) factors[k] = f->data[1 + k];
  }
  if (rc) return rc;
  for (size_t k = 0; k < D && !rc; k++)
    rc = wl__mode_vectors(w->data, dims, D, k, l->rank[k], factors[k], err);
  if (rc) return rc;
  double *work0 = malloc((size_t)numel * sizeof *work0),
         *work1 = malloc((size_t)numel * sizeof *work1);
  if (!work0 || !work1) {
    free(work0);
    free(work1);
    return heat_error_set(err, HEAT_ENOMEM, "hosvd", "out of memory");
  }
  const double *y = NULL;
  for (int sweep = 0; sweep < hooi_sweeps && !rc; sweep++) {
    for (size_t k = 0; k < D && !rc; k++) {
      rc = project(w->data, dims, D, factors, l->rank, k, work0, work1, &y, cdims, err);
      if (!rc) rc = wl__mode_vectors(y, cdims, D, k, l->rank[k], factors[k], err);
    }
    f->iterations = sweep + 1;
  }
  if (!rc) rc = project(w->data, dims, D, factors, l->rank, D, work0, work1, &y, cdims, err);
  if (!rc) {
    int64_t ncore = wl__numel(l->rank, D);
    memcpy(f->data[0], y, (size_t)ncore * sizeof *y);
    double norm = wl_matrix_norm(w), g2 = wl__sumsq(y, (size_t)ncore);
    double e2 = norm * norm - g2;
    f->rel_error = e2 > 0.0 ? sqrt(e2) / norm : 0.0;
    /* ||W||² − ||G||² loses all but eps·||W||²/e2 of its digits: below ε = 1e-2 (1e-12
     * relative at worst, but the cancellation grows as 1/ε²) the residual of W' rebuilt is
     * the accurate one (its rounding is eps·||W||, relative eps/ε) */
    bool full = true; /* every factor square orthogonal: W' is W, nothing to measure */
    for (size_t k = 0; k < D; k++) full &= l->rank[k] == dims[k];
    if (full) f->rel_error = 0.0;
    if (!full && e2 < 1e-4 * norm * norm) {
      wl_matrix rebuilt;
      rc = wl_factors_reconstruct(f, &rebuilt, err);
      if (!rc) rc = wl_matrix_rel_error(w, &rebuilt, &f->rel_error, err);
      wl_matrix_free(&rebuilt);
    }
  }
  free(work0);
  free(work1);
  return rc;
}

int wl__reconstruct_tucker(const wl_factors *f, double *out, heat_error *err) {
  const wl_layer *l = &f->layer;
  int64_t dims[WL_MAX_MODES], cur_dims[WL_MAX_MODES];
  size_t D = wl_shape_modes(&l->shape, dims);
  int64_t numel = wl__numel(dims, D);
  double *buf[2] = {malloc((size_t)numel * sizeof(double)), malloc((size_t)numel * sizeof(double))};
  int rc = HEAT_OK;
  if (!buf[0] || !buf[1]) {
    rc = heat_error_set(err, HEAT_ENOMEM, "tucker reconstruction", "out of memory");
    goto free_all;
  }
  memcpy(cur_dims, l->rank, D * sizeof *cur_dims);
  const double *cur = f->data[0];
  int which = 0;
  for (size_t k = 0; k < D && !rc; k++) {
    rc = wl__mode_product(cur, cur_dims, D, k, f->data[1 + k], dims[k], l->rank[k], false,
                          buf[which], err);
    cur_dims[k] = dims[k];
    cur = buf[which];
    which ^= 1;
  }
  if (!rc) memcpy(out, cur, (size_t)numel * sizeof *out);
free_all:
  free(buf[0]);
  free(buf[1]);
  return rc;
}
