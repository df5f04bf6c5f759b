/* Private to the subset DP (path_dp*.c): its per-call state and the passes that fill it. */
#ifndef HEAT_PATH_DP_H
#define HEAT_PATH_DP_H

#include "mapper/path_internal.h"

typedef struct dp_hot {
  int64_t k1;
  double rpc;
} dp_hot;

typedef struct dp_ws {
  size_t n;
  uint32_t full, static_mask;
  const tn_network *net;
  const path_options *opt;
  uint64_t *inter;  /* compact index bits of each subset's intermediate */
  int64_t *elems;   /* its elements */
  int64_t *leafsum; /* elements of the inputs in the subset (no-growth test) */
  int64_t *k1, *k2, *k3;
  double *rpc;        /* 1 / product of the sizes of the indices summed inside the subset's tree */
  struct dp_hot *hot; /* MACS: k1 and rpc side by side, one cache line per subset visited */
  uint64_t *alive;    /* MACS: bit set = subset may be in an optimal tree (8 KiB at n = 16) */
  double *dc;         /* CUSTOM objective */
  char (*layout)[TN_MAX_INDICES + 1]; /* CUSTOM: stored layout of the best solution */
  uint32_t *split;                    /* lhs part of the best split; 0 for inputs */
  uint8_t *folded;                    /* computed offline as a whole */
  int64_t *off;                       /* MAC-optimal offline cost of static subsets */
  uint32_t *off_split;
  bool gemm_bound; /* CUSTOM: step_cost_bound_gemm screens splits (dp_custom) */
  /* CUSTOM with gemm_bound and exact pricing: a lower bound of what completing each subset into
   * a whole path costs (NULL: none; dp_custom_outside). */
  double *outside;
  /* With outside: step_cost_bound_gemm of the j-th split (enumeration order) of subset s at
   * gemm_lb[gemm_at[s] + j], computed once for the three passes that use it. */
  double *gemm_lb;
  size_t *gemm_at;
  char letter[TN_MAX_INDICES];  /* compact bit -> letter */
  int64_t size[TN_MAX_INDICES]; /* compact bit -> index size */
} dp_ws;

/* Product of the sizes of the indices in a compact mask (saturating). */
static inline int64_t dp_product(const dp_ws *w, uint64_t m) {
  int64_t p = 1;
  for (; m; m &= m - 1) p = path__sat_mul(p, w->size[__builtin_ctzll(m)]);
  return p;
}

/* Letter mask (path__bit numbering) of a compact index mask. */
uint64_t dp_letters_of(const dp_ws *w, uint64_t compact);

/* The subset may be folded offline as a whole under the pre-computation mode. */
bool dp_is_foldable(const dp_ws *w, uint32_t s);

/* The passes: each fills the per-subset keys and best splits for one objective. */
void dp_macs(dp_ws *w);    /* path_dp_macs.c */
void dp_offline(dp_ws *w); /* path_dp_objectives.c, from here on */
int64_t dp_min_largest(dp_ws *w);
void dp_keys(dp_ws *w, int64_t cap);
int dp_custom(dp_ws *w, heat_error *err);

#endif
