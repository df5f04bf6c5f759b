/* path_optimize: checks the request, then the exact DP up to PATH_DP_MAX_OPERANDS operands and
 * the randomized greedy and bounded DP beyond (path_large.c). */
#include <string.h>

#include "mapper/path_internal.h"

static int check_options(const tn_network *net, const path_options *opt, heat_error *err) {
  if (opt->objective < PATH_OBJECTIVE_MACS || opt->objective > PATH_OBJECTIVE_CUSTOM)
    return heat_error_set(err, HEAT_EINVAL, net->expr, "unknown path objective %d",
                          (int)opt->objective);
  if (opt->objective == PATH_OBJECTIVE_CUSTOM && !opt->step_cost)
    return heat_error_set(err, HEAT_EINVAL, net->expr,
                          "the custom objective needs a step cost function");
  if (opt->precompute < PATH_PRECOMPUTE_NEVER || opt->precompute > PATH_PRECOMPUTE_ALWAYS)
    return heat_error_set(err, HEAT_EINVAL, net->expr, "unknown pre-computation mode %d",
                          (int)opt->precompute);
  return HEAT_OK;
}

static const char *const algorithm_names[] = {"exact DP", "bounded DP", "randomized greedy",
                                              "greedy"};

const char *path_algorithm_name(path_algorithm algo) {
  return algo >= PATH_ALGO_EXACT_DP && algo <= PATH_ALGO_GREEDY ? algorithm_names[algo]
                                                                : "unknown";
}

static bool path__same_step(const path_step *a, const path_step *b) {
  return a->lhs == b->lhs && a->rhs == b->rhs && a->result == b->result &&
         !strcmp(a->lhs_indices, b->lhs_indices) && !strcmp(a->rhs_indices, b->rhs_indices) &&
         !strcmp(a->result_indices, b->result_indices) && !strcmp(a->batch, b->batch) &&
         !strcmp(a->m, b->m) && !strcmp(a->k, b->k) && !strcmp(a->n, b->n) && a->B == b->B &&
         a->M == b->M && a->K == b->K && a->N == b->N && a->lhs_permuted == b->lhs_permuted &&
         a->rhs_permuted == b->rhs_permuted && a->is_static == b->is_static &&
         a->lhs_static == b->lhs_static && a->rhs_static == b->rhs_static;
}

bool path_same_steps(const path *a, const path *b) {
  if (a->n_steps != b->n_steps || a->n_precomputed != b->n_precomputed) return false;
  for (size_t s = 0; s < a->n_steps; s++)
    if (!path__same_step(&a->steps[s], &b->steps[s])) return false;
  return true;
}

static const char *const precompute_names[] = {"never", "no-growth", "always"};

const char *path_precompute_name(path_precompute mode) {
  return mode >= PATH_PRECOMPUTE_NEVER && mode <= PATH_PRECOMPUTE_ALWAYS ? precompute_names[mode]
                                                                         : "unknown";
}

int path_precompute_parse(const char *text, const char *what, path_precompute *out,
                          heat_error *err) {
  for (int i = PATH_PRECOMPUTE_NEVER; i <= PATH_PRECOMPUTE_ALWAYS; i++)
    if (strcmp(text, precompute_names[i]) == 0) {
      *out = (path_precompute)i;
      return HEAT_OK;
    }
  return heat_error_set(err, HEAT_EINVAL, what, "unknown pre-computation mode '%s'; allowed: "
                        "never, no-growth, always", text);
}

int path_optimize_ws(const tn_network *net, const path_options *opt, path_workspace *ws, path *out,
                     heat_error *err) {
  path_options defaults;
  if (!opt) {
    path_options_init(&defaults);
    opt = &defaults;
  }
  int rc = path__check_network(net, err);
  if (!rc) rc = check_options(net, opt, err);
  if (rc) return rc;
  if (net->n_operands <= PATH_DP_MAX_OPERANDS) return path__dp(net, opt, ws, out, err);
  return path__large(net, opt, ws, out, err);
}

int path_optimize(const tn_network *net, const path_options *opt, path *out, heat_error *err) {
  path_workspace *ws = path_workspace_alloc();
  if (!ws) return heat_error_set(err, HEAT_ENOMEM, net->expr, "out of memory");
  int rc = path_optimize_ws(net, opt, ws, out, err);
  path_workspace_free(ws);
  return rc;
}
