/* LAPACKE and OpenBLAS, loaded on first use (dlopen) rather than linked: only the subcommands
 * that factorize pay their start-up (about 5 ms, and OpenBLAS's worker threads), not every heat
 * command. Used by workloads/ (linalg.c, synthetic.c, factorize_cp.c); heat decompose sets the
 * threads. */
#ifndef HEAT_WL_LAPACK_DL_H
#define HEAT_WL_LAPACK_DL_H

#include <gsl/gsl_cblas.h>
#include <lapacke.h>

#include "common/heat_error.h"

typedef struct wl_lapack {
  __typeof__(LAPACKE_dgesdd) *dgesdd;
  __typeof__(LAPACKE_dsyevd) *dsyevd;
  __typeof__(LAPACKE_dgeqrf) *dgeqrf;
  __typeof__(LAPACKE_dorgqr) *dorgqr;
  __typeof__(LAPACKE_dposv) *dposv;
  __typeof__(LAPACKE_dgelsd) *dgelsd;
  /* OpenBLAS's CBLAS (the ABI gsl_cblas.h declares): GSL's own gslcblas is linked for GSL's
   * internal use, and is 10-40x slower on the factorizations' large products. */
  __typeof__(cblas_dgemm) *dgemm;
  __typeof__(cblas_dsyrk) *dsyrk;
} wl_lapack;

/* The loaded libraries' entry points, or NULL with err naming the library and dlerror(). Safe
 * to call from several threads; loads once per process. */
const wl_lapack *wl_lapack_get(heat_error *err);

/* BLAS threads for this process, applied when the libraries load (or at once if they are
 * loaded): n >= 1 threads, 0 leaves OpenBLAS's own choice (OPENBLAS_NUM_THREADS, else every
 * core). heat's main() sets OPENBLAS_NUM_THREADS=1 unless the user did; heat decompose asks for
 * every core, where its large SVDs gain from them. */
void wl_lapack_threads(int n);
/* The threads OpenBLAS uses (loads the libraries); 0 when they cannot load or do not say. */
int wl_lapack_threads_used(void);

#endif
