/* Seeded synthetic weights with a chosen singular-value decay, for runs without a weight file.
 * Output that uses them says "synthetic". */
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
  unsigned long seed;
} wl_synthetic;

/* Defaults: power law, rate 1, seed 1. */
void wl_synthetic_init(wl_synthetic *s);

/* Parses comma-separated keys: "decay=power:1.0", "decay=exp:0.05", "seed=7" (either may be
 * omitted). `what` names the option in errors. */
int wl_synthetic_parse(const char *text, const char *what, wl_synthetic *out, heat_error *err);

/* "synthetic(decay=power:1,seed=1)" */
void wl_synthetic_describe(const wl_synthetic *s, char *buf, size_t cap);

/* W = U diag(s) Vᵀ with Haar-random orthonormal U (M x K), V (N x K), K = min(M, N). */
int wl_synthetic_matrix(const wl_synthetic *s, int64_t M, int64_t N, wl_matrix *out,
                        heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
