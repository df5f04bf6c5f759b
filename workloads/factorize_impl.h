/* Internal: one factorization algorithm per source file, dispatched by factorize.c. */
#ifndef HEAT_WL_FACTORIZE_IMPL_H
#define HEAT_WL_FACTORIZE_IMPL_H

#include "workloads/factorize.h"

/* Appends a zero-filled factor of the given dims to f. */
int wl__factors_add(wl_factors *f, const int64_t *dims, size_t order, heat_error *err);

int wl__factor_svd(const wl_matrix *w, wl_factors *f, heat_error *err);
int wl__factor_tt(const wl_matrix *w, wl_factors *f, heat_error *err); /* tt and ttm */
int wl__factor_tucker(const wl_matrix *w, int hooi_sweeps, wl_factors *f, heat_error *err);
int wl__factor_cp(const wl_matrix *w, const wl_factor_options *opt, wl_factors *f,
                  heat_error *err);

int wl__reconstruct_tt(const wl_factors *f, double *out, heat_error *err);
int wl__reconstruct_tucker(const wl_factors *f, double *out, heat_error *err);
int wl__reconstruct_cp(const wl_factors *f, double *out, heat_error *err);

/* The tensor TT-SVD runs on: TTM interleaves (m1, n1, m2, n2, ...), TT keeps (m.., n..).
 * Fills dims (merged m_k·n_k for TTM) and returns their count; *perm gets the permutation from
 * W's modes to the interleaved order (identity for TT). */
size_t wl__chain_dims(const wl_layer *l, int64_t dims[WL_MAX_MODES], size_t perm[WL_MAX_MODES]);

#endif
