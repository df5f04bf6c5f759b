/* Tensorization shapes of a linear layer's weight W (M x N, stored out x in like PyTorch's
 * Linear.weight). A shape is written OUT:IN, e.g. "12x16x16:8x8x12" for a 3072 x 768 weight:
 * M = m1·…·md, N = n1·…·ne, and W.reshape(m1..md, n1..ne) in numpy's row-major order gives the
 * tensor every format factorizes (see workloads/README.md). The two sides may have different
 * numbers of factors (HEAT's CP example: 64x12:768); TTM pairs them and needs d = e. */
#ifndef HEAT_WL_SHAPE_H
#define HEAT_WL_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WL_MAX_ORDER 4                  /* d: factors per side */
#define WL_MAX_MODES (2 * WL_MAX_ORDER) /* modes of the tensorized weight */
#define WL_SHAPE_TEXT_MAX 96

typedef struct wl_shape {
  size_t d;                /* output factors, 1..WL_MAX_ORDER (d = d_in = 1: the plain matrix) */
  size_t d_in;             /* input factors, 1..WL_MAX_ORDER */
  int64_t m[WL_MAX_ORDER]; /* output factors, m1 most significant */
  int64_t n[WL_MAX_ORDER]; /* input factors */
} wl_shape;

/* Parses "12x16x16:8x8x12" or "64x12:768"; on a side of two or more factors each is >= 2 (a
 * side of one factor is that whole dimension). `what` names the option in errors. */
int wl_shape_parse(const char *text, const char *what, wl_shape *out, heat_error *err);

/* The d = 1 shape M:N. */
void wl_shape_matrix(int64_t M, int64_t N, wl_shape *out);

/* Writes "12x16x16:8x8x12" into buf (always terminated). */
void wl_shape_format(const wl_shape *s, char *buf, size_t cap);

int64_t wl_shape_rows(const wl_shape *s); /* M = product of m */
int64_t wl_shape_cols(const wl_shape *s); /* N = product of n */

/* The mode sizes in tensor order (m1..md, n1..ne); returns d + e. */
size_t wl_shape_modes(const wl_shape *s, int64_t dims[WL_MAX_MODES]);

/* Fails unless the factors multiply to M and N; `what` names the shape's source. */
int wl_shape_check(const wl_shape *s, int64_t M, int64_t N, const char *what, heat_error *err);

/* Uniformity of the factor sizes: -sum p_k ln p_k over all 2d factors, p_k = ln f_k / ln(MN).
 * Maximal (ln 2d) when every factor has the same size. */
double wl_shape_entropy(const wl_shape *s);

/* Every ordered factorization of M and of N into d factors >= 2, d in [d_min, d_max], paired
 * with equal d (even shapes, which every format takes), sorted by entropy (highest first; ties: smaller d, then lexicographic).
 * *out is caller-owned (free()). At most `limit` shapes are returned (0 = all). */
int wl_shape_enumerate(int64_t M, int64_t N, size_t d_min, size_t d_max, size_t limit,
                       wl_shape **out, size_t *count, heat_error *err);

/* The bytes wl_shape_enumerate(M, N, d_min, d_max, limit) holds at its peak: the factor lists
 * of each side and the kept shapes (min(limit, all pairs); the pairs themselves are streamed). */
int wl_shape_enumerate_bytes(int64_t M, int64_t N, size_t d_min, size_t d_max, size_t limit,
                             double *bytes, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
