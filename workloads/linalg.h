/* Internal dense linear algebra of the factorizations: SVD (LAPACKE dgesdd), GEMM on GSL
 * matrix views (OpenBLAS underneath), unfoldings, mode products and permutations of row-major
 * tensors. Not part of the public API. */
#ifndef HEAT_WL_LINALG_H
#define HEAT_WL_LINALG_H

#include <gsl/gsl_blas.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

/* Thin SVD of the row-major m x n matrix a (destroyed): s gets k = min(m, n) values in
 * decreasing order, u (m x k) and vt (k x n) the vectors, or neither when both are NULL. */
int wl__svd(double *a, int64_t m, int64_t n, double *s, double *u, double *vt, heat_error *err);

/* Leading r left singular vectors of the row-major rows x cols matrix a (not modified) into u
 * (rows x r; columns beyond the rank are zero) and all min(rows, cols) singular values into s.
 * Wide matrices (cols >= 2 rows) go through the Gram matrix a·aᵀ and its eigenvectors
 * (LAPACKE dsyevd): rows·rows·cols work instead of dgesdd's bidiagonalization of the whole
 * matrix, at the cost of resolving singular values only down to sqrt(eps)·s_max, which is far
 * below any truncation heat makes. Others use dgesdd. */
int wl__left_vectors(const double *a, int64_t rows, int64_t cols, int64_t r, double *u,
                     double *s, heat_error *err);

/* C (rows x cols) = alpha op(A) op(B) + beta C for contiguous row-major A (ar x ac), B (br x bc). */
int wl__gemm(CBLAS_TRANSPOSE_t ta, CBLAS_TRANSPOSE_t tb, double alpha, const double *a,
             int64_t ar, int64_t ac, const double *b, int64_t br, int64_t bc, double beta,
             double *c, heat_error *err);

/* Mode-k unfolding: dst is dims[k] x (numel / dims[k]); column order is irrelevant to the
 * singular values and left singular vectors it is used for. */
void wl__unfold(const double *src, const int64_t *dims, size_t D, size_t k, double *dst);

/* Mode-k product with a (p x q) row-major matrix `mat`:
 * transpose: mode k of size p becomes q, y[l,j,r] = sum_i mat[i,j] x[l,i,r] (x ×_k matᵀ);
 * otherwise: mode k of size q becomes p, y[l,i,r] = sum_j mat[i,j] x[l,j,r] (x ×_k mat).
 * dims[k] must be the contracted size; y must not alias x. */
int wl__mode_product(const double *x, const int64_t *dims, size_t D, size_t k, const double *mat,
                     int64_t p, int64_t q, bool transpose, double *y, heat_error *err);

/* dst mode j = src mode perm[j]. */
void wl__permute(const double *src, const int64_t *dims, size_t D, const size_t *perm,
                 double *dst);

/* sum_{i >= from} s[i]^2 for s[0..n). */
double wl__tail_sumsq(const double *s, size_t n, size_t from);

/* Sum of squares of a[0..n). */
double wl__sumsq(const double *a, size_t n);

int64_t wl__numel(const int64_t *dims, size_t D);

#endif
