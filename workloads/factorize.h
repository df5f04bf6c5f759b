/* Factorization of a weight W (M x N) into a format's factors, the reconstruction error
 * ε = ||W − W'||_F / ||W||_F, and fast errors for many ranks from unfolding spectra.
 *
 * Algorithms: truncated SVD (LAPACKE dgesdd); TT-SVD (Oseledets 2011) for ttm and tt; HOSVD with
 * optional HOOI sweeps for tucker; CP-ALS from a seeded random or an SVD start, stopping when ε
 * changes by less than a relative tolerance. */
#ifndef HEAT_WL_FACTORIZE_H
#define HEAT_WL_FACTORIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"
#include "workloads/format.h"
#include "workloads/matrix.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wl_error_kind {
  WL_ERROR_EXACT = 0, /* the error of an actual factorization (or Eckart–Young for svd) */
  WL_ERROR_BOUND = 1, /* sqrt(sum of squared unfolding truncation errors): an upper bound */
} wl_error_kind;

const char *wl_error_kind_name(wl_error_kind k); /* "exact" | "bound" */

typedef enum wl_cp_init {
  WL_CP_INIT_RANDOM = 0, /* Gaussian columns from the seeded GSL mt19937 */
  WL_CP_INIT_SVD = 1,    /* leading left singular vectors of each mode unfolding (deterministic;
                            columns beyond a mode's size are random) */
} wl_cp_init;

typedef struct wl_factor_options {
  int hooi_sweeps;    /* tucker: HOOI sweeps after HOSVD (0 = plain HOSVD) */
  int cp_max_iters;   /* cp: ALS sweeps at most */
  double cp_tol;      /* cp: stop when |ε_prev − ε| <= cp_tol · ε_prev */
  unsigned long seed; /* cp: random start */
  wl_cp_init cp_init;
} wl_factor_options;

/* hooi_sweeps 0, cp_max_iters 200, cp_tol 1e-6, seed 1, random start. */
void wl_factor_options_init(wl_factor_options *opt);

/* Factors in the order and layout of the layer's network operands 1.. (see format.h). */
typedef struct wl_factors {
  wl_layer layer;
  size_t n;
  double *data[WL_MAX_FACTORS];
  size_t order[WL_MAX_FACTORS];
  int64_t dims[WL_MAX_FACTORS][WL_MAX_MODES];
  double rel_error; /* ε of these factors as the algorithm tracked it */
  int iterations;   /* ALS or HOOI sweeps run */
  bool converged;   /* cp: the tolerance was met (false: stopped at cp_max_iters) */
} wl_factors;

/* Factorizes W per layer (format, shape, ranks). out is caller-owned: wl_factors_free. */
int wl_factorize(const wl_matrix *w, const wl_layer *layer, const wl_factor_options *opt,
                 wl_factors *out, heat_error *err);
void wl_factors_free(wl_factors *f);

/* W' (M x N) from the factors; out is allocated here. */
int wl_factors_reconstruct(const wl_factors *f, wl_matrix *out, heat_error *err);

/* Singular values of every unfolding a format's error depends on, computed once; serves the
 * error of any rank setting: svd exact (Eckart–Young), tt/ttm and tucker the bound
 * sqrt(sum_k δ_k(r_k)²) of Oseledets 2011 Thm 2.2 and De Lathauwer 2000 (no fast path for cp). */
typedef struct wl_spectra {
  wl_format format;
  wl_shape shape;
  size_t n;                 /* unfoldings */
  double *sv[WL_MAX_RANKS]; /* singular values of unfolding k, decreasing */
  size_t len[WL_MAX_RANKS];
  double norm2; /* ||W/scale||_F² */
  double scale; /* W was divided by this power of two near max|w| first (ε is scale-invariant;
                   sv and norm2 are of W/scale, keeping extreme weights within range) */
} wl_spectra;

/* Errors of W (all-zero or non-finite: HEAT_EINVAL); the bound kind is capped at 1 (see
 * wl_spectra_error). */
int wl_spectra_compute(const wl_matrix *w, wl_format format, const wl_shape *shape, wl_spectra *out,
                       heat_error *err);
void wl_spectra_free(wl_spectra *s);
/* The bound kind (tt, ttm, tucker) is reported as min(bound, 1): the TT-SVD and HOSVD W' are
 * orthogonal projections of W, so their error never exceeds ||W||. */
int wl_spectra_error(const wl_spectra *s, const wl_layer *layer, double *eps, wl_error_kind *kind,
                     heat_error *err);

/* Upper estimates of the bytes a request allocates besides the M x N weight itself (the copy
 * the algorithms run on, factors, workspaces, LAPACK's work arrays, the reconstruction for ε),
 * so that a caller can refuse a request beyond its memory budget before allocating anything
 * (factorize_bytes.c has the terms). In double: the products can pass 2^63. */
double wl_factorize_bytes(const wl_layer *layer, int64_t M, int64_t N);
double wl_spectra_bytes(wl_format format, const wl_shape *shape, int64_t M, int64_t N);

#ifdef __cplusplus
}
#endif
#endif
