/* Memory estimates of the factorizations, from the allocations in factorize*.c and linalg.c.
 * Each is an upper bound of what is live at the peak, in doubles (8 bytes), rounded up where
 * an allocation depends on the data (the Gram-matrix shortcut or the full SVD fallback). */
#include "workloads/factorize.h"

#include "workloads/format.h"

static double dmin(double a, double b) { return a < b ? a : b; }
static double dmax(double a, double b) { return a > b ? a : b; }

/* A left-vector SVD of a rows x cols matrix (linalg.c): a copy, u and vt of the thin SVD and
 * dgesdd's work (about 4·K² + 8·K with K = min(rows, cols)) or the Gram matrix n² (n <= K). */
static double svd_doubles(double rows, double cols) {
  double K = dmin(rows, cols);
  return rows * cols + rows * K + K * cols + 4.0 * K * K + 8.0 * K;
}

/* The largest unfolding SVD of the modes: over the splits of the tensor into rows x cols. */
static double unfoldings_doubles(const int64_t *dims, size_t D, double numel) {
  double worst = 0.0, rows = 1.0;
  for (size_t k = 0; k < D; k++) {
    worst = dmax(worst, svd_doubles((double)dims[k], numel / (double)dims[k])); /* mode k */
    rows *= (double)dims[k];
    if (k + 1 < D) worst = dmax(worst, svd_doubles(rows, numel / rows)); /* chain split */
  }
  return worst;
}

double wl_factorize_bytes(const wl_layer *l, int64_t M, int64_t N) {
  double numel = (double)M * (double)N;
  int64_t dims[WL_MAX_MODES];
  size_t D = wl_shape_modes(&l->shape, dims);
  /* the normalised copy, the factors, and the reconstruction the caller makes for ε */
  double doubles = numel + (double)wl_layer_params(l) + numel;
  switch (l->format) {
  case WL_FORMAT_DENSE: break;
  case WL_FORMAT_SVD: doubles += svd_doubles((double)M, (double)N); break;
  case WL_FORMAT_TUCKER:
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT:
    /* two work tensors (and two in the reconstruction), plus one unfolding's SVD */
    doubles += 2.0 * numel + unfoldings_doubles(dims, D, numel);
    break;
  case WL_FORMAT_CP: {
    double R = (double)l->rank[0], maxdim = 0.0;
    for (size_t k = 0; k < D; k++) maxdim = dmax(maxdim, (double)dims[k]);
    /* Khatri-Rao and MTTKRP blocks, D Gram blocks plus V and tmp (R² each), B and mtt, the
     * reconstruction's two halves; an SVD start adds one mode unfolding's SVD */
    doubles += 2.0 * dmax((double)M, (double)N) * R + ((double)D + 2.0) * R * R +
               2.0 * R * maxdim + ((double)M + (double)N) * R + 4.0 * R +
               unfoldings_doubles(dims, D, numel);
    break;
  }
  }
  return 8.0 * doubles;
}

double wl_spectra_bytes(wl_format format, const wl_shape *shape, int64_t M, int64_t N) {
  double numel = (double)M * (double)N;
  int64_t dims[WL_MAX_MODES];
  size_t D = wl_shape_modes(shape, dims);
  /* the normalised copy, the permuted copy (ttm), one unfolding's SVD (singular values only,
   * but dgesdd's work is bounded by the same terms) and the kept spectra (< numel) */
  double doubles = numel + numel + numel;
  if (format == WL_FORMAT_SVD)
    doubles += svd_doubles((double)M, (double)N);
  else if (format != WL_FORMAT_DENSE)
    doubles += unfoldings_doubles(dims, D, numel);
  return 8.0 * doubles;
}
