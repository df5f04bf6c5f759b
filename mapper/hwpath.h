/* Hardware-aware contraction paths: the path optimizer's step cost is the mapped cost of the
 * step on the arch (mapspace search), so path and mapping are chosen together. The result is
 * never worse than the MAC-optimal path mapped the same way: both are priced and the better
 * one is kept. */
#ifndef HEAT_HWPATH_H
#define HEAT_HWPATH_H

#include <stdbool.h>

#include "mapper/mapspace.h"
#include "mapper/path.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The map_problem of a path step: its GEMM view and layouts. The static operand (a weight)
 * takes the weight role; when only the lhs is static the GEMM is transposed (M and N swap).
 * *lhs_role / *rhs_role get MAP_OP_INPUT or MAP_OP_WEIGHT (either may be NULL). */
void hwpath_problem(const tn_network *net, const path_step *s, map_problem *p, int *lhs_role,
                    int *rhs_role);

/* Context of hwpath_step_cost and hwpath_step_bound: the arch and options and a workspace.
 * The DP asks for the same GEMM many times: with the workspace's memo on (map_workspace_memo;
 * hwpath_search and hwpath_optimize turn it on for their run) each is searched once, in one
 * mapspace pass for the three objectives, so searches for one objective serve the others. */
typedef struct hwpath_bounds hwpath_bounds;

typedef struct hwpath_ctx {
  const arch *a;
  const map_options *opt;
  const tn_network *net;
  map_workspace *w;
  /* NULL, or the steps' bounds for every objective kept between DPs (hwpath_bounds_alloc):
   * hwpath_step_bound looks a step up there, and hwpath_step_cost searches it for every
   * objective (map_search_objectives, the memo on) and keeps the exact values there. */
  hwpath_bounds *bounds;
  int64_t searches; /* searches run through this context (memo misses) */
  int status;       /* first failure of a search (HEAT_OK when none) */
  heat_error err;
} hwpath_ctx;

void hwpath_ctx_init(hwpath_ctx *ctx, const arch *a, const map_options *opt,
                     const tn_network *net, map_workspace *w);

/* The cost of a step that cannot be mapped (too large, or no tile fits): finite, as the path
 * optimizer requires, and so large that any path avoiding such steps wins. */
#define HWPATH_INFEASIBLE 1e300

/* path_step_cost_fn: the objective value of the step's best mapping (for EDP the step's own
 * EDP, an additive stand-in the final comparison replaces with the true total);
 * HWPATH_INFEASIBLE when the step cannot be mapped. */
double hwpath_step_cost(const path_step *s, void *ctx);

/* path_options.step_cost_below: the search stops at the cut base + value > best
 * (map_search_below); HWPATH_INFEASIBLE when the step cannot be mapped. */
double hwpath_step_cost_below(const path_step *s, double base, double best, void *ctx);

/* path_options.step_cost_bound: a lower bound of hwpath_step_cost without a search (the exact
 * cost when the memo holds the step, else map_step_bound's value for the objective). */
double hwpath_step_bound(const path_step *s, void *ctx);

/* path_options.step_cost_bound_gemm: map_step_bound's value for the GEMM hwpath_problem makes
 * of a step of this view (kept in ctx->bounds when there are bounds). At most
 * hwpath_step_bound of any such step: map_step_bound prices no layout transform, so it is the
 * same whatever the operands' layouts, and the exact value of a step is no less. */
double hwpath_step_bound_gemm(int64_t B, int64_t M, int64_t K, int64_t N, bool lhs_static,
                              bool rhs_static, void *ctx);

/* True when every online step of a path found with hwpath_step_cost could be mapped. */
static inline bool hwpath_feasible(const path *p) { return p->cost < HWPATH_INFEASIBLE; }

/* A path's online steps mapped one by one (results[i] for step i; precomputed steps are left
 * zeroed) and their totals: cycles and energy add up, EDP = total energy x total latency. */
typedef struct hwpath_totals {
  double cycles, latency_s, energy_j, edp_js, dram_bytes;
  int64_t macs, evaluated;
} hwpath_totals;

int hwpath_price(const tn_network *net, const path *pth, const arch *a, const map_options *opt,
                 map_workspace *w, map_result *results, hwpath_totals *tot, heat_error *err);

double hwpath_totals_value(map_objective obj, const hwpath_totals *t);

/* t += times x c (evaluated counted once); t->edp_js follows. */
void hwpath_totals_add(hwpath_totals *t, const map_cost *c, double times, int64_t evaluated);
/* t += u. */
void hwpath_totals_join(hwpath_totals *t, const hwpath_totals *u);

typedef struct hwpath_result {
  path mac_path, hw_path;            /* the MAC-optimal path and the hardware-aware one */
  hwpath_totals mac_cost, hw_cost;   /* each mapped */
  bool hw_better;                    /* strictly better: the hardware-aware path is chosen */
  const path *chosen;                /* points into this struct */
  map_result results[TN_MAX_OPERANDS]; /* the chosen path's steps */
  hwpath_totals chosen_cost;
} hwpath_result;

/* Only the hardware-aware path: path_optimize with each step's mapped cost under opt's
 * objective (same precompute mode as `popt`). Unmappable steps cost HWPATH_INFEASIBLE. */
int hwpath_search(const tn_network *net, const path_options *popt, const arch *a,
                  const map_options *opt, map_workspace *w, path *out, heat_error *err);

/* Both paths (same precompute mode as `popt`), mapped; keeps the better. */
int hwpath_optimize(const tn_network *net, const path_options *popt, const arch *a,
                    const map_options *opt, map_workspace *w, hwpath_result *out,
                    heat_error *err);

/* Lower bounds of the steps the DPs of one network ask for, for every objective, exact once a
 * step is searched: a step the DP of another objective bounds again is a look-up, not a
 * map_step_bound and memo look-ups. For one network, arch and options (the objective aside);
 * NULL when out of memory. */
hwpath_bounds *hwpath_bounds_alloc(void);
void hwpath_bounds_free(hwpath_bounds *b);

/* For a caller that asks for the path of more than one objective (layer.c fuses the
 * hardware-aware path of every objective): hwpath_optimize with every step the DP prices
 * searched for all three objectives in one pass and kept in the workspace's memo (the caller
 * keeps it on between the calls), instead of searched for opt's objective only and cut at the
 * best split. Then hwpath_search_known for another objective finds most of its steps searched.
 * Same paths as hwpath_optimize and hwpath_search give. */
int hwpath_optimize_shared(const tn_network *net, const path_options *popt, const arch *a,
                           const map_options *opt, map_workspace *w, hwpath_bounds *bounds,
                           hwpath_result *out, heat_error *err);

/* hwpath_search's path, with the steps searched as hwpath_optimize_shared does and the DP's
 * sub-paths capped by the best of `known` paths (n_known of them, e.g. the MAC path and the
 * hardware-aware paths of other objectives) priced for opt's objective: the tighter the cap the
 * fewer sub-paths are priced, the path found is the same. */
int hwpath_search_known(const tn_network *net, const path_options *popt, const arch *a,
                        const map_options *opt, map_workspace *w, hwpath_bounds *bounds,
                        const path *const *known, size_t n_known, path *out, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
