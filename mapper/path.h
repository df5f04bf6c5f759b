/* Contraction paths: the order of pairwise contractions of a tensor network, each step
 * described as a batched GEMM view (B, M, K, N) the mapper can put on the array.
 *
 * Cost convention: MACs of a pairwise step = product of the sizes of all distinct indices of
 * its two operands (opt_einsum's FLOP count is twice this when an index is summed). An index is
 * dropped from an intermediate as soon as no remaining operand and not the output need it.
 *
 * GEMM view of a step (see mapper/README.md):
 *  - lhs is the operand holding the lowest numbered input operand, rhs the other. With the
 *    activation as operand 0 the lhs is always the activation side and weights come in as rhs.
 *  - batch = indices of both operands that the result keeps; M = kept indices of lhs only;
 *    N = kept indices of rhs only; K = everything summed by the step: indices of both that are
 *    dropped, and indices of one operand only that are dropped (the other operand is broadcast
 *    along them, perm -1). So B*M*K*N == macs always.
 *  - Order within each set: batch, M and K follow the lhs's stored layout (K's rhs-only indices
 *    come last, in rhs order); N follows the rhs's. The result is stored as batch, M, N.
 * Ties between equally good paths are broken deterministically (first split in a fixed order). */
#ifndef HEAT_PATH_H
#define HEAT_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mapper/einsum.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PATH_DP_MAX_OPERANDS 16 /* exact dynamic programming (all subsets) up to here */
/* Beyond: a seeded randomized greedy, then a DP over connected subsets under a cost cap and a
 * work budget (mapper/README.md, "Beyond 16 operands"). */
#define PATH_TRIALS_DEFAULT 256 /* randomized greedy trials when path_options.trials is 0 */

/* Which search produced a path. */
typedef enum path_algorithm {
  PATH_ALGO_EXACT_DP = 0,     /* the DP over all subsets: optimal for the objective */
  PATH_ALGO_BOUNDED_DP = 1,   /* DP over connected subsets within budget: MAC-optimal among
                                 trees without outer products inside a connected network */
  PATH_ALGO_RANDOM_GREEDY = 2, /* seeded multi-start randomized greedy, refined by exact DP on
                                  subtrees; no optimality guarantee */
  PATH_ALGO_GREEDY = 3         /* path_greedy or a fixed order (path_left_to_right) */
} path_algorithm;

typedef enum path_objective {
  PATH_OBJECTIVE_MACS = 0,  /* total MACs */
  PATH_OBJECTIVE_SIZE = 1,  /* largest intermediate (elements), then MACs */
  PATH_OBJECTIVE_WRITE = 2, /* total elements written by all steps, then MACs */
  PATH_OBJECTIVE_CUSTOM = 3 /* sum of path_options.step_cost over steps */
} path_objective;

/* Pre-computation: a static-only sub-expression may be folded offline (its steps cost nothing
 * online and its result is stored instead of its inputs). The modes say which folds are
 * allowed; the optimizer takes one only when it lowers the online objective (exact DP: the
 * online optimum over all allowed fold sets; greedy: every allowed fold, first). Offline steps
 * are ordered MAC-optimally among themselves. */
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
  /* Each operand is static (a weight, or folded from weights only): known offline, so it can be
   * stored in whatever layout the step wants and needs no transform at run time. */
  bool lhs_static, rhs_static;
} path_step;

/* CUSTOM objective: the cost of one step (finite, >= 0; anything else is an error). The DP calls
 * it on every candidate split, fully described, except that lhs/rhs are -1 when the operand is
 * an intermediate (its id is only known once the path is fixed) and result is -1. The DP is exact
 * when the cost depends on the step's index sets and sizes; operand layouts (and so the
 * permutation fields) are those of the best sub-paths found. Called again on the final steps
 * to compute path.cost. */
typedef double (*path_step_cost_fn)(const path_step *step, void *ctx);

typedef struct path_options {
  path_objective objective;
  path_step_cost_fn step_cost; /* PATH_OBJECTIVE_CUSTOM only */
  void *step_cost_ctx;
  /* Optional, CUSTOM only: a cheap lower bound of step_cost for the same step (same ctx). The
   * exact DP skips step_cost on a split whose bound already cannot beat the best split found,
   * so a true lower bound leaves the path unchanged; NULL: every split is priced. */
  path_step_cost_fn step_cost_bound;
  /* Optional, CUSTOM with step_cost_bound: the step's cost when base + cost <= best (as
   * step_cost returns it), else any value v <= cost with base + v > best. The exact DP asks it
   * for a split that must beat `best` with sub-paths costing `base`, so a search may stop as
   * soon as it knows it cannot. NULL: step_cost. */
  double (*step_cost_below)(const path_step *step, double base, double best, void *ctx);
  /* Optional, CUSTOM with step_cost_bound (exact DP): a guess of the best path's cost (0:
   * none). The DP then solves only sub-paths costing at most it (a sub-path past it cannot be
   * part of a path within it), and runs again without the guess when no path is within it:
   * the path is the same either way, only the work differs. */
  double cost_cap;
  /* Optional, with cost_cap: a larger cap the DP runs within before it runs without one, when
   * no path is within cost_cap (0: none). A tight cost_cap then costs a second capped pass
   * where the guess was too low, not an uncapped one. */
  double cost_cap_retry;
  /* Optional, CUSTOM with step_cost_bound and a cost cap: a lower bound of step_cost_bound for
   * every step of this GEMM view (B, M, K, N as path_step has them; whether each operand is
   * static), whatever the layouts of its operands. The DP then drops a split it can put past
   * the cap from its sub-paths and this bound without describing the step: cheaper, and the
   * same splits are kept as step_cost_bound keeps, so the path is the same. */
  double (*step_cost_bound_gemm)(int64_t B, int64_t M, int64_t K, int64_t N, bool lhs_static,
                                 bool rhs_static, void *ctx);
  path_precompute precompute;
  /* Beyond PATH_DP_MAX_OPERANDS: the randomized greedy's seed and trial count (0: default).
   * The same seed gives the same path. */
  uint64_t seed;
  unsigned trials;
} path_options;

typedef struct path {
  size_t n_steps;
  path_step steps[TN_MAX_OPERANDS];
  size_t n_precomputed;         /* the first n_precomputed steps run offline (static-only) */
  int64_t total_macs;           /* of the steps that run online */
  int64_t largest_intermediate; /* elements of the largest online step result (output included) */
  int64_t total_written;        /* elements written by the online steps */
  double cost;                  /* value of the objective */
  int64_t stored_params_before; /* elements of the static operands as given */
  int64_t stored_params_after;  /* after pre-computation */
  bool exact;                   /* found by the exact DP (algorithm == PATH_ALGO_EXACT_DP) */
  path_algorithm algorithm;     /* which search produced it */
  uint64_t seed;                /* PATH_ALGO_RANDOM_GREEDY/BOUNDED_DP: the greedy's seed */
  unsigned trials;              /* and its trial count (0 for the exact DP) */
  bool output_permuted;         /* the last step's layout differs from the requested output */
} path;

/* "exact DP", "bounded DP", "randomized greedy". */
const char *path_algorithm_name(path_algorithm algo);

/* True when two paths run the same steps in the same order (operands, layouts, GEMM views,
 * which are offline): whatever found them and whatever objective their cost is in. */
bool path_same_steps(const path *a, const path *b);

/* "never", "no-growth", "always": the names the CLIs accept. */
const char *path_precompute_name(path_precompute mode);
/* Parses one of those names; errors name `what` (an option) and list the allowed names. */
int path_precompute_parse(const char *text, const char *what, path_precompute *out,
                          heat_error *err);

/* Defaults: MAC objective, no pre-computation. */
void path_options_init(path_options *opt);

/* Optimal path for the objective (exact DP over subsets up to PATH_DP_MAX_OPERANDS operands;
 * beyond, the best of a seeded randomized greedy and a bounded DP, see path_algorithm). Ties are
 * broken deterministically. HEAT_ERANGE only when no path found costs less than 2^63. */
int path_optimize(const tn_network *net, const path_options *opt, path *out, heat_error *err);

/* Scratch memory of the exact DP (per-subset tables, up to 2^16 entries), kept between calls so
 * a search calling the optimizer many times does not allocate and fault in pages every time.
 * One workspace serves any network; it grows to the largest one seen. Not thread-safe: one per
 * thread. */
typedef struct path_workspace path_workspace;
path_workspace *path_workspace_alloc(void);
void path_workspace_free(path_workspace *ws);

/* path_optimize with a caller-owned workspace. */
int path_optimize_ws(const tn_network *net, const path_options *opt, path_workspace *ws,
                     path *out, heat_error *err);

/* Contract operands left to right: ((0,1),2),3,... */
int path_left_to_right(const tn_network *net, path *out, heat_error *err);

/* Greedy: repeatedly the cheapest pair under the objective, pairs sharing an index before outer
 * products, ties to the lowest pair of live operands; a second pass scores pairs by growth
 * (result minus operand elements, as opt_einsum's greedy) and the better path is returned. */
int path_greedy(const tn_network *net, const path_options *opt, path *out, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
