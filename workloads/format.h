/* Factorized-layer formats: parameter counts, compression, rank bounds and the einsum network
 * of Y = X·Wᵀ for T tokens (X is T x N, Y is T x M; W is M x N, out x in).
 *
 * Ranks are listed in mode order: TTM/TT the inner ranks r1..r_{D-1}; Tucker one per mode,
 * OUT modes first; CP and SVD one number; dense none. */
#ifndef HEAT_WL_FORMAT_H
#define HEAT_WL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"
#include "mapper/einsum.h"
#include "workloads/shape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wl_format {
  WL_FORMAT_DENSE = 0,
  WL_FORMAT_SVD = 1,    /* U (M x r, singular values folded in) and V (N x r) */
  WL_FORMAT_CP = 2,     /* 2d factors (dim_k x R), optional weight vector (R) */
  WL_FORMAT_TUCKER = 3, /* core r_1 x .. x r_2d, then factor k (dim_k x r_k) per mode */
  WL_FORMAT_TTM = 4,    /* cores r_{k-1} x m_k x n_k x r_k, r_0 = r_d = 1 */
  WL_FORMAT_TT = 5,     /* cores r_{k-1} x dim_k x r_k over the 2d modes (m1..md, n1..nd) */
} wl_format;

#define WL_FORMAT_COUNT 6
#define WL_MAX_RANKS WL_MAX_MODES
#define WL_MAX_FACTORS (WL_MAX_MODES + 1)

typedef struct wl_layer {
  wl_format format;
  wl_shape shape; /* dense and svd use only M and N */
  size_t n_ranks;
  int64_t rank[WL_MAX_RANKS];
  bool cp_weights; /* CP: keep the weight vector as its own operand */
} wl_layer;

const char *wl_format_name(wl_format f);
int wl_format_parse(const char *text, const char *what, wl_format *out, heat_error *err);

/* How many ranks the format takes for a shape with d factors per side. */
size_t wl_format_rank_count(wl_format f, size_t d);

/* How many ranks l's format takes for l's shape (uneven shapes too: tucker one per mode). */
size_t wl_layer_rank_count(const wl_layer *l);

/* Largest valid rank per position (the smallest is 1): SVD min(M, N); TT/TTM the rank of the
 * unfolding at that cut; Tucker the mode size; CP the generic bound on tensor rank (product of
 * all mode sizes but the largest). Returns the number of ranks. */
size_t wl_layer_rank_upper(const wl_layer *l, int64_t upper[WL_MAX_RANKS]);

/* The tight bound of rank position k given the other ranks in l (l->rank must hold them):
 * wl_layer_rank_upper's, and for Tucker the product of the other ranks, for TT/TTM
 * r_k <= r_{k-1}·dim_k and r_k <= dim_{k+1}·r_{k+1} (r_0 = r_D = 1). *why names the binding
 * limit. */
int64_t wl_layer_rank_bound(const wl_layer *l, size_t k, const char **why);

/* Sets every rank of l (format and shape set) to min(r, its tight bound): what a rank sweep
 * evaluates for r. */
void wl_layer_clip_ranks(wl_layer *l, int64_t r);

/* Checks that the format can take the shape: ttm and tt pair the sides (same number of factors,
 * at least 2 each), tucker and cp need at least 3 modes (e.g. 64x12:768), svd and dense any;
 * `what` names the option that gave the shape. */
int wl_layer_check_shape(const wl_layer *l, const char *what, heat_error *err);

/* Checks the shape (wl_layer_check_shape), the rank count and the tight bounds of wl_layer_rank_bound. `what` names the
 * option. */
int wl_layer_check(const wl_layer *l, const char *what, heat_error *err);

/* Stored parameters of the factors (the dense weight for WL_FORMAT_DENSE). */
int64_t wl_layer_params(const wl_layer *l);

/* params / (M·N): lower is more compressed (HEAT's convention). */
double wl_layer_compression(const wl_layer *l);

/* Writes "16,16" (or "-" without ranks). */
void wl_layer_format_ranks(const wl_layer *l, char *buf, size_t cap);

/* The einsum network of Y = X·Wᵀ: operand 0 is X (t, input modes), operands 1.. are the factors
 * in the order and layout the factorization stores them (static), output (t, output modes).
 * Letters: t tokens, a.. output modes, then input modes, then ranks. */
int wl_layer_network(const wl_layer *l, int64_t tokens, tn_network *net, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
