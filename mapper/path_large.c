/* path_optimize beyond PATH_DP_MAX_OPERANDS, where the DP over all 2^n subsets no longer fits
 * in time (3^n / 2 splits) or memory (~100 B per subset):
 *  1. allowed offline folds first (greedily, as path_greedy does);
 *  2. a seeded multi-start randomized greedy (path_random.c), its best trees refined by the
 *     exact DP on subtrees of up to REFINE_FRONTIER operands (path_refine.c): an upper bound;
 *  3. the DP over connected subsets under that bound as a cost cap (path_bounded.c), within a
 *     work budget and a memory bound; it wins when it finishes and is better.
 * Every step is deterministic for a given seed: the budget counts work, not time. */
#include <math.h>
#include <string.h>

#include "mapper/path_internal.h"

#define N_BEST 4           /* greedy trees refined and, for CUSTOM, priced */
#define REFINE_FRONTIER 10 /* operands of a re-optimized subtree (3^10 / 2 splits each) */
/* Pair checks the bounded DP may spend over all its passes (~0.1-0.3 s on the 2-core machine,
 * mapper/README.md). */
#ifndef BOUNDED_BUDGET
#define BOUNDED_BUDGET (UINT64_C(1) << 26)
#endif

long double path__live_product(const path_live *lv, uint64_t mask) {
  long double p = 1.0L;
  for (; mask; mask &= mask - 1) p *= (long double)lv->size[__builtin_ctzll(mask)];
  return p;
}

uint64_t path__live_legs(const path_live *lv, uint32_t set) {
  uint64_t in = 0, outside = lv->out;
  for (size_t i = 0; i < lv->n; i++) {
    if (set >> i & 1)
      in |= lv->legs[i];
    else
      outside |= lv->legs[i];
  }
  return in & outside;
}

void path__ltree_cost(const path_live *lv, path_ltree *t) {
  uint32_t leaves[2 * TN_MAX_OPERANDS];
  uint64_t legs[2 * TN_MAX_OPERANDS];
  for (size_t i = 0; i < lv->n; i++) {
    leaves[i] = UINT32_C(1) << i;
    legs[i] = lv->legs[i];
  }
  t->macs = t->largest = t->written = 0.0L;
  for (size_t s = 0; s < t->n_steps; s++) {
    size_t r = lv->n + s;
    leaves[r] = leaves[t->a[s]] | leaves[t->b[s]];
    legs[r] = path__live_legs(lv, leaves[r]);
    long double e = path__live_product(lv, legs[r]);
    t->macs += path__live_product(lv, legs[t->a[s]] | legs[t->b[s]]);
    t->written += e;
    if (e > t->largest) t->largest = e;
  }
}

bool path__ltree_better(path_objective obj, const path_ltree *t, const path_ltree *u) {
  if (obj == PATH_OBJECTIVE_SIZE && t->largest != u->largest) return t->largest < u->largest;
  if (obj == PATH_OBJECTIVE_WRITE && t->written != u->written) return t->written < u->written;
  return t->macs < u->macs;
}

/* Live operands with their tree ids; the offline folds, when allowed, go into base. */
typedef struct large_operand {
  uint64_t legs;
  int id;
  bool is_static;
} large_operand;

static void fold_offline(const tn_network *net, const path_options *opt, large_operand *live,
                         size_t *n_live, path_tree *base, const path_live *lv) {
  if (opt->precompute == PATH_PRECOMPUTE_NEVER) return;
  for (;;) {
    size_t n = *n_live, bi = 0, bj = 0;
    bool found = false, best_shares = false;
    long double best = 0.0L;
    for (size_t i = 0; i < n; i++)
      for (size_t j = i + 1; j < n; j++) {
        if (!live[i].is_static || !live[j].is_static) continue;
        uint64_t needed = lv->out;
        for (size_t t = 0; t < n; t++)
          if (t != i && t != j) needed |= live[t].legs;
        uint64_t either = live[i].legs | live[j].legs;
        long double e = path__live_product(lv, either & needed);
        if (opt->precompute == PATH_PRECOMPUTE_NO_GROWTH &&
            e > path__live_product(lv, live[i].legs) + path__live_product(lv, live[j].legs))
          continue;
        bool shares = (live[i].legs & live[j].legs) != 0;
        long double macs = path__live_product(lv, either);
        if (!found || (shares && !best_shares) || (shares == best_shares && macs < best)) {
          found = true;
          best_shares = shares;
          best = macs;
          bi = i;
          bj = j;
        }
      }
    if (!found) return;
    uint64_t needed = lv->out;
    for (size_t t = 0; t < n; t++)
      if (t != bi && t != bj) needed |= live[t].legs;
    size_t s = base->n_steps++;
    base->a[s] = live[bi].id;
    base->b[s] = live[bj].id;
    base->offline[s] = true;
    large_operand r = {(live[bi].legs | live[bj].legs) & needed, (int)(net->n_operands + s), true};
    memmove(&live[bj], &live[bj + 1], (n - bj - 1) * sizeof *live);
    memmove(&live[bi], &live[bi + 1], (n - bi - 2) * sizeof *live);
    live[n - 2] = r;
    *n_live = n - 1;
  }
}

/* The whole tree: the offline steps, then the live tree's steps with ids mapped back. */
static void to_tree(const tn_network *net, const path_tree *base, const path_live *lv,
                    const path_ltree *t, path_tree *tree) {
  *tree = *base;
  int first = (int)(net->n_operands + base->n_steps);
  for (size_t s = 0; s < t->n_steps; s++) {
    size_t k = tree->n_steps++;
    tree->a[k] = t->a[s] < (int)lv->n ? lv->id[t->a[s]] : first + t->a[s] - (int)lv->n;
    tree->b[k] = t->b[s] < (int)lv->n ? lv->id[t->b[s]] : first + t->b[s] - (int)lv->n;
    tree->offline[k] = false;
  }
}

/* A described path is better: lower objective value, then fewer MACs. */
static bool path_better(const path *p, const path *q) {
  return p->cost < q->cost || (p->cost == q->cost && p->total_macs < q->total_macs);
}

int path__large(const tn_network *net, const path_options *opt, path_workspace *ws, path *out,
                heat_error *err) {
  path_live lv;
  memset(&lv, 0, sizeof lv);
  lv.net = net;
  for (int b = 0; b < 64; b++) lv.size[b] = b < TN_MAX_INDICES ? net->size[(int)path__letter(b)] : 1;
  lv.out = path__mask(net->output);
  large_operand live[TN_MAX_OPERANDS];
  size_t n_live = net->n_operands;
  for (size_t i = 0; i < n_live; i++)
    live[i] = (large_operand){path__mask(net->operand[i]), (int)i, net->is_static[i]};
  path_tree base = {0};
  fold_offline(net, opt, live, &n_live, &base, &lv);
  lv.n = n_live;
  for (size_t i = 0; i < n_live; i++) {
    lv.legs[i] = live[i].legs;
    lv.id[i] = live[i].id;
  }
  uint64_t seed = opt->seed;
  unsigned trials = opt->trials ? opt->trials : PATH_TRIALS_DEFAULT;
  path_objective key = opt->objective == PATH_OBJECTIVE_CUSTOM ? PATH_OBJECTIVE_MACS
                                                               : opt->objective;
  path_ltree cand[N_BEST + 1];
  size_t n_cand = path__random_greedy(&lv, key, seed, trials, cand, N_BEST);
  if (key == PATH_OBJECTIVE_MACS)
    for (size_t c = 0; c < n_cand; c++) path__refine(&lv, ws, REFINE_FRONTIER, &cand[c]);
  size_t best = 0;
  for (size_t c = 1; c < n_cand; c++)
    if (path__ltree_better(key, &cand[c], &cand[best])) best = c;
  /* The bounded DP: exact among trees without outer products, capped by the best greedy MACs
   * (a cost past 2^63 caps it at 2^63 - 1: only a reportable path is of use). */
  long double ub = cand[best].macs;
  int64_t cap = ub >= 9223372036854775807.0L ? INT64_MAX - 1 : (int64_t)ub;
  path_algorithm algo[N_BEST + 1];
  for (size_t c = 0; c < n_cand; c++) algo[c] = PATH_ALGO_RANDOM_GREEDY;
  if (path__bounded_dp(&lv, ws, cap, BOUNDED_BUDGET, &cand[n_cand], NULL) == 1) {
    if (key == PATH_OBJECTIVE_MACS) path__refine(&lv, ws, REFINE_FRONTIER, &cand[n_cand]);
    algo[n_cand++] = PATH_ALGO_BOUNDED_DP;
  }
  /* Every candidate is described and priced under the real objective (CUSTOM: the step-cost
   * function, n - 1 calls per candidate); the greedy over that objective joins for CUSTOM. */
  path trial;
  bool have = false;
  heat_error first_err = {0};
  int first_rc = HEAT_OK;
  for (size_t c = 0; c < n_cand; c++) {
    path_tree tree;
    to_tree(net, &base, &lv, &cand[c], &tree);
    heat_error e;
    int rc = path__build(net, opt, &tree, false, &trial, &e);
    if (rc) {
      if (!first_rc) {
        first_rc = rc;
        first_err = e;
      }
      if (rc != HEAT_ERANGE) break;
      continue;
    }
    trial.algorithm = algo[c];
    /* On a tie the bounded DP's tree is kept: it comes with its optimality. */
    if (!have || path_better(&trial, out) ||
        (algo[c] == PATH_ALGO_BOUNDED_DP && !path_better(out, &trial)))
      *out = trial;
    have = true;
  }
  if (first_rc && first_rc != HEAT_ERANGE) {
    if (err) *err = first_err;
    return first_rc;
  }
  if (opt->objective == PATH_OBJECTIVE_CUSTOM) {
    heat_error e;
    int rc = path_greedy(net, opt, &trial, &e);
    if (rc && rc != HEAT_ERANGE) {
      if (err) *err = e;
      return rc;
    }
    if (!rc && (!have || path_better(&trial, out))) {
      *out = trial;
      out->algorithm = PATH_ALGO_GREEDY;
      have = true;
    }
  }
  if (!have) {
    if (err) *err = first_err;
    return first_rc ? first_rc : HEAT_ERANGE;
  }
  out->exact = false;
  out->seed = seed;
  out->trials = trials;
  return HEAT_OK;
}
