/* Greedy contraction order, for networks too large for the exact DP: repeatedly contract the
 * pair whose step is cheapest under the objective, and again scoring pairs by growth (result
 * minus operands, opt_einsum's greedy); the better path wins. Pairs that share an index come
 * before outer products (an outer product is cheap now but makes every later step larger).
 * With pre-computation, allowed static-only folds are taken first, as free offline steps. */
#include <math.h>
#include <string.h>

#include "mapper/path_internal.h"

typedef struct greedy_operand {
  int id;
  uint32_t leaves;
  uint64_t present;
  char layout[TN_MAX_INDICES + 1];
  bool is_static;
} greedy_operand;

typedef struct greedy_key {
  double k[3]; /* lexicographic */
} greedy_key;

static bool key_less(const greedy_key *x, const greedy_key *y) {
  for (int i = 0; i < 3; i++)
    if (x->k[i] != y->k[i]) return x->k[i] < y->k[i];
  return false;
}

/* Describes contracting live operands i and j (lhs = the one holding the lower input). */
static void greedy_step(const tn_network *net, const greedy_operand *live, size_t n_live, size_t i,
                        size_t j, path_step *st) {
  uint64_t needed = path__mask(net->output);
  for (size_t t = 0; t < n_live; t++)
    if (t != i && t != j) needed |= live[t].present;
  const greedy_operand *a = &live[i], *b = &live[j];
  if (__builtin_ctz(b->leaves) < __builtin_ctz(a->leaves)) {
    const greedy_operand *t = a;
    a = b;
    b = t;
  }
  path__describe_step(net, a->layout, b->layout, (a->present | b->present) & needed, st);
  st->lhs = a->id;
  st->rhs = b->id;
  st->lhs_static = a->is_static;
  st->rhs_static = b->is_static;
  st->is_static = a->is_static && b->is_static;
}

/* One greedy pass. by_growth scores a pair as opt_einsum's greedy does (elements of the result
 * minus those of its operands) instead of by the objective's step cost. */
static int greedy_run(const tn_network *net, const path_options *opt, bool by_growth, path *out,
                      heat_error *err) {
  size_t n = net->n_operands, n_live = n;
  greedy_operand live[TN_MAX_OPERANDS];
  for (size_t i = 0; i < n; i++) {
    live[i].id = (int)i;
    live[i].leaves = UINT32_C(1) << i;
    live[i].present = path__mask(net->operand[i]);
    strcpy(live[i].layout, net->operand[i]);
    live[i].is_static = net->is_static[i];
  }
  path_tree tree = {0};
  bool offline_phase = opt->precompute != PATH_PRECOMPUTE_NEVER;
  while (n_live > 1) {
    size_t bi = 0, bj = 0;
    bool found = false;
    greedy_key best = {{0}};
    path_step st;
    for (size_t i = 0; i < n_live; i++)
      for (size_t j = i + 1; j < n_live; j++) {
        if (offline_phase && !(live[i].is_static && live[j].is_static)) continue;
        greedy_step(net, live, n_live, i, j, &st);
        int64_t e = tn_elements(net, st.result_indices);
        if (offline_phase && opt->precompute == PATH_PRECOMPUTE_NO_GROWTH &&
            e > path__sat_add(tn_elements(net, live[i].layout), tn_elements(net, live[j].layout)))
          continue;
        greedy_key key = {{(live[i].present & live[j].present) ? 0.0 : 1.0, 0.0, 0.0}};
        switch (opt->objective) {
        case PATH_OBJECTIVE_SIZE:
        case PATH_OBJECTIVE_WRITE:
          key.k[1] = (double)e;
          key.k[2] = (double)st.macs;
          break;
        case PATH_OBJECTIVE_CUSTOM:
          key.k[1] = opt->step_cost(&st, opt->step_cost_ctx);
          if (!isfinite(key.k[1]) || key.k[1] < 0)
            return heat_error_set(err, HEAT_EINVAL, net->expr,
                                  "step cost function returned %g; costs must be finite and "
                                  "non-negative",
                                  key.k[1]);
          break;
        default:
          key.k[1] = (double)st.macs;
          key.k[2] = (double)e;
          break;
        }
        if (by_growth) {
          key.k[2] = key.k[1];
          key.k[1] = (double)e - (double)tn_elements(net, live[i].layout) -
                     (double)tn_elements(net, live[j].layout);
        }
        if (!found || key_less(&key, &best)) {
          best = key;
          bi = i;
          bj = j;
          found = true;
        }
      }
    if (!found) {
      offline_phase = false;
      continue;
    }
    greedy_step(net, live, n_live, bi, bj, &st);
    size_t s = tree.n_steps++;
    tree.a[s] = live[bi].id;
    tree.b[s] = live[bj].id;
    tree.offline[s] = offline_phase;
    greedy_operand r = {.id = (int)(n + s),
                        .leaves = live[bi].leaves | live[bj].leaves,
                        .present = path__mask(st.result_indices),
                        .is_static = st.is_static};
    strcpy(r.layout, st.result_indices);
    /* Remove j then i (j > i), append the result: live stays in id order. */
    memmove(&live[bj], &live[bj + 1], (n_live - bj - 1) * sizeof *live);
    n_live--;
    memmove(&live[bi], &live[bi + 1], (n_live - bi - 1) * sizeof *live);
    n_live--;
    live[n_live++] = r;
  }
  return path__build(net, opt, &tree, false, out, err);
}

int path_greedy(const tn_network *net, const path_options *opt, path *out, heat_error *err) {
  path_options defaults;
  if (!opt) {
    path_options_init(&defaults);
    opt = &defaults;
  }
  int rc = path__check_network(net, err);
  if (rc) return rc;
  if (opt->objective == PATH_OBJECTIVE_CUSTOM && !opt->step_cost)
    return heat_error_set(err, HEAT_EINVAL, net->expr, "custom objective without a step cost");
  /* The cheapest step now often makes later steps dear (a small outer product); the growth
   * score avoids that but not always. Both passes cost O(n^3) steps: keep the better. */
  rc = greedy_run(net, opt, false, out, err);
  if (rc && rc != HEAT_ERANGE) return rc;
  path other;
  heat_error err2;
  int rc2 = greedy_run(net, opt, true, &other, &err2);
  if (rc2 && rc2 != HEAT_ERANGE) {
    if (err) *err = err2;
    return rc2;
  }
  if (!rc2 && (rc || other.cost < out->cost ||
               (other.cost == out->cost && other.total_macs < out->total_macs)))
    *out = other;
  return rc && rc2 ? rc : HEAT_OK;
}
