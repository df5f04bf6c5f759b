/* Contraction paths: the order of pairwise contractions of a tensor network, each step
 * described as a batched GEMM view (B, M, K, N) the mapper can put on the array.
 *
 * Cost convention: MACs of a pairwise step = product of the sizes of all distinct indices of
 * its two operands (opt_einsum's FLOP count is twice this when an index is summed). */
#ifndef HEAT_PATH_H
#define HEAT_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mapper/einsum.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PATH_DP_MAX_OPERANDS 16 /* exact dynamic programming at least up to here */

typedef enum path_objective {
  PATH_OBJECTIVE_MACS = 0,  /* total MACs */
  PATH_OBJECTIVE_SIZE = 1,  /* largest intermediate (elements), then MACs */
  PATH_OBJECTIVE_WRITE = 2, /* total elements written by all steps, then MACs */
  PATH_OBJECTIVE_CUSTOM = 3 /* sum of path_options.step_cost over steps */
} path_objective;

typedef enum path_precompute {
  PATH_PRECOMPUTE_NEVER = 0,
  PATH_PRECOMPUTE_NO_GROWTH = 1, /* fold static-only sub-expressions when stored params do not grow */
  PATH_PRECOMPUTE_ALWAYS = 2,
} path_precompute;

/* One pairwise contraction seen as a batched GEMM: out[b, m, n] = sum_k lhs[b, m, k] rhs[b, k, n]. */
typedef struct path_step {
  int lhs, rhs, result; /* operand ids: 0..n-1 are inputs, n + s is the result of step s */
  char lhs_indices[TN_MAX_INDICES + 1];    /* stored layout of each operand */
  char rhs_indices[TN_MAX_INDICES + 1];
  char result_indices[TN_MAX_INDICES + 1]; /* produced layout: batch, M, N */
  char batch[TN_MAX_INDICES + 1], m[TN_MAX_INDICES + 1], k[TN_MAX_INDICES + 1],
      n[TN_MAX_INDICES + 1];
  int64_t B, M, K, N;
  int64_t macs;
  /* lhs_perm[i] = position in the stored lhs layout of the i-th index of the GEMM layout
   * (batch, m, k); rhs likewise for (batch, k, n). A step needs a layout transform when the
   * permutation is not the identity. */
  int lhs_perm[TN_MAX_INDICES], rhs_perm[TN_MAX_INDICES];
  bool lhs_permuted, rhs_permuted;
  bool is_static; /* both operands static: can be pre-computed offline */
} path_step;

typedef double (*path_step_cost_fn)(const path_step *step, void *ctx);

typedef struct path_options {
  path_objective objective;
  path_step_cost_fn step_cost; /* PATH_OBJECTIVE_CUSTOM only */
  void *step_cost_ctx;
  path_precompute precompute;
} path_options;

typedef struct path {
  size_t n_steps;
  path_step steps[TN_MAX_OPERANDS];
  size_t n_precomputed;         /* the first n_precomputed steps run offline (static-only) */
  int64_t total_macs;           /* of the steps that run online */
  int64_t largest_intermediate; /* elements */
  int64_t total_written;        /* elements written by the online steps */
  double cost;                  /* value of the objective */
  int64_t stored_params_before; /* elements of the static operands as given */
  int64_t stored_params_after;  /* after pre-computation */
  bool exact;                   /* found by the exact DP (false: greedy) */
  bool output_permuted;         /* the last step's layout differs from the requested output */
} path;

/* Defaults: MAC objective, no pre-computation. */
void path_options_init(path_options *opt);

/* Optimal path for the objective (exact DP over subsets up to PATH_DP_MAX_OPERANDS operands,
 * greedy beyond). Ties are broken deterministically. */
int path_optimize(const tn_network *net, const path_options *opt, path *out, heat_error *err);

/* Contract operands left to right: ((0,1),2),3,... */
int path_left_to_right(const tn_network *net, path *out, heat_error *err);

/* Greedy: repeatedly the cheapest pair under the objective. */
int path_greedy(const tn_network *net, const path_options *opt, path *out, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
