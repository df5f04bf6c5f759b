/* Seeded synthetic weights for runs without a weight file. Output that uses them says
 * "synthetic".
 *
 * W = sqrt(1 - f_s - f_n) L + sqrt(f_s) S + sqrt(f_n) ||s|| N/||N||, three parts sharing one
 * singular spectrum s (power law or exponential):
 *   L = U diag(s) Vᵀ with Haar-random U, V: the spectrum alone, no structure along any
 *       tensorization split (what a reshaped random matrix gives: tensor formats find nothing);
 *   S = U_s diag(s) V_sᵀ with U_s, V_s smooth in the row / column index (DCT-II bases mixed by
 *       random rotations inside bands of 4 neighbouring frequencies): low multilinear rank along
 *       every mixed-radix split of the index (cos(w(i1·b + i2)) has rank 2 in (i1, i2) for any
 *       radix b), so every shape heat enumerates (24x32, 32x24, 8x8x12, 12x8x8, ...) finds
 *       structure whose captured share grows with the ranks;
 *   N = iid Gaussian noise: an error floor no format removes.
 * Why this model and its defaults: workloads/README.md ("Synthetic weights"), with the
 * literature it rests on. */
#ifndef HEAT_WL_SYNTHETIC_H
#define HEAT_WL_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"
#include "workloads/matrix.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wl_decay {
  WL_DECAY_POWER = 0, /* s_i = i^-rate, i = 1.. */
  WL_DECAY_EXP = 1,   /* s_i = exp(-rate (i - 1)) */
} wl_decay;

typedef struct wl_synthetic {
  wl_decay decay;
  double rate;
  double structure; /* f_s: share of ||W||² in the index-smooth part S, 0..1 */
  double noise;     /* f_n: share of ||W||² in iid noise, 0..1 - f_s */
  unsigned long seed;
} wl_synthetic;

/* Defaults: power law, rate 0.75, structure 0.9, noise 0.01, seed 1 (workloads/README.md). */
void wl_synthetic_init(wl_synthetic *s);

/* Parses comma-separated keys: "decay=power:1.0" or "decay=exp:0.05", "structure=0.9",
 * "noise=0.01", "seed=7" (each may be omitted: the default stays). structure=0,noise=0 is the
 * spectrum alone on Haar-random singular vectors (heat's synthetic weight before Dec 2026).
 * `what` names the option in errors. */
int wl_synthetic_parse(const char *text, const char *what, wl_synthetic *out, heat_error *err);

/* "synthetic(decay=power:0.75,structure=0.9,noise=0.01,seed=1)" */
void wl_synthetic_describe(const wl_synthetic *s, char *buf, size_t cap);

/* The M x N matrix described above (out x in). */
int wl_synthetic_matrix(const wl_synthetic *s, int64_t M, int64_t N, wl_matrix *out,
                        heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
