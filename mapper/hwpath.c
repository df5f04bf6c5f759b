#include "mapper/hwpath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hwpath_problem(const tn_network *net, const path_step *s, map_problem *p, int *lhs_role,
                    int *rhs_role) {
  (void)net;
  bool ls = s->lhs_static, rs = s->rhs_static;
  bool transpose = ls && !rs;
  /* A static operand is laid out offline as the step wants it: only dynamic ones pay. */
  bool lhs_transform = s->lhs_permuted && !ls, rhs_transform = s->rhs_permuted && !rs;
  if (transpose) {
    map_problem_gemm(p, s->B, s->N, s->K, s->M);
    p->permuted[MAP_OP_INPUT] = rhs_transform;
    p->permuted[MAP_OP_WEIGHT] = lhs_transform;
  } else {
    map_problem_gemm(p, s->B, s->M, s->K, s->N);
    p->permuted[MAP_OP_INPUT] = lhs_transform;
    p->permuted[MAP_OP_WEIGHT] = rhs_transform;
  }
  if (lhs_role) *lhs_role = transpose ? MAP_OP_WEIGHT : MAP_OP_INPUT;
  if (rhs_role) *rhs_role = transpose ? MAP_OP_INPUT : MAP_OP_WEIGHT;
}

void hwpath_ctx_init(hwpath_ctx *ctx, const arch *a, const map_options *opt,
                     const tn_network *net, map_workspace *w) {
  memset(ctx, 0, sizeof *ctx);
  ctx->a = a;
  ctx->opt = opt;
  ctx->net = net;
  ctx->w = w;
}

/* ---- the bounds kept between DPs: entries found through an open-addressing index of entry
 * numbers, grown at half load ---- */

typedef struct hwpath__bound {
  map_problem key;
  double v[MAP_OBJECTIVES]; /* lower bound of each objective's value (exact once searched) */
} hwpath__bound;

/* One index of problems to values. */
typedef struct hwpath__table {
  size_t cap, n, n_alloc; /* cap: slots, a power of two, or 0 */
  uint32_t *slot;         /* entry index + 1; 0: empty */
  hwpath__bound *entry;
} hwpath__table;

/* By the step's problem: bounds that become exact. By its GEMM view alone (layouts not
 * permuted): map_step_bound's values, which hold for every layout (step_cost_bound_gemm). */
struct hwpath_bounds {
  hwpath__table step, gemm;
};

hwpath_bounds *hwpath_bounds_alloc(void) { return calloc(1, sizeof(hwpath_bounds)); }

void hwpath_bounds_free(hwpath_bounds *b) {
  if (!b) return;
  free(b->step.slot);
  free(b->step.entry);
  free(b->gemm.slot);
  free(b->gemm.entry);
  free(b);
}

/* The slot of p: its entry's, or the empty one it would take. */
static size_t hwpath__find(const hwpath__table *b, const map_problem *p, uint64_t h) {
  for (size_t i = h & (b->cap - 1);; i = (i + 1) & (b->cap - 1))
    if (!b->slot[i] || memcmp(&b->entry[b->slot[i] - 1].key, p, sizeof *p) == 0) return i;
}

static int hwpath__grow(hwpath__table *b) {
  size_t cap = b->cap ? 2 * b->cap : 256;
  uint32_t *slot = calloc(cap, sizeof *slot);
  if (!slot) return HEAT_ENOMEM;
  free(b->slot);
  b->slot = slot;
  b->cap = cap;
  for (size_t k = 0; k < b->n; k++)
    b->slot[hwpath__find(b, &b->entry[k].key, map_problem_hash(&b->entry[k].key))] =
        (uint32_t)(k + 1);
  return HEAT_OK;
}

/* p's entry, or NULL when none. */
static hwpath__bound *hwpath__lookup(hwpath__table *b, const map_problem *p) {
  if (!b->cap) return NULL;
  size_t slot = hwpath__find(b, p, map_problem_hash(p));
  return b->slot[slot] ? &b->entry[b->slot[slot] - 1] : NULL;
}

/* A new entry for p (not held yet); NULL when out of memory. */
static hwpath__bound *hwpath__insert(hwpath__table *b, const map_problem *p) {
  if (2 * (b->n + 1) > b->cap && hwpath__grow(b)) return NULL;
  if (b->n == b->n_alloc) {
    size_t na = b->n_alloc ? 2 * b->n_alloc : 256;
    hwpath__bound *ne = realloc(b->entry, na * sizeof *ne);
    if (!ne) return NULL;
    b->entry = ne;
    b->n_alloc = na;
  }
  hwpath__bound *e = &b->entry[b->n];
  e->key = *p;
  b->slot[hwpath__find(b, p, map_problem_hash(p))] = (uint32_t)(++b->n);
  return e;
}

/* Keeps a step's exact values (all objectives: searched with the memo on, one pass served
 * them all) or its failure. */
static void hwpath__keep(hwpath_ctx *ctx, const map_problem *p, const map_result *r, int rc) {
  if (!ctx->bounds) return;
  hwpath__bound *e = hwpath__lookup(&ctx->bounds->step, p);
  if (!e && !(e = hwpath__insert(&ctx->bounds->step, p))) return; /* out of memory: not kept */
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
    e->v[obj] = rc ? HWPATH_INFEASIBLE : map_objective_value((map_objective)obj, &r[obj].cost);
}

/* Counts a step search's work and keeps its first failure (the DP sees only an infeasible
 * step; the caller reports the reason). Returns rc. */
static int hwpath__searched(hwpath_ctx *ctx, int64_t searches_before, int rc,
                            const heat_error *err) {
  ctx->searches += ctx->w->searches - searches_before;
  if (rc && ctx->status == HEAT_OK) {
    ctx->status = rc;
    ctx->err = *err;
  }
  return rc;
}

double hwpath_step_cost(const path_step *s, void *vctx) {
  hwpath_ctx *ctx = vctx;
  map_problem p;
  hwpath_problem(ctx->net, s, &p, NULL, NULL);
  heat_error err;
  int64_t before = ctx->w->searches;
  if (ctx->bounds) {
    /* With the memo on a search serves every objective: all three are kept. */
    map_result r[MAP_OBJECTIVES];
    int rc = map_search_objectives(ctx->a, &p, ctx->opt, 0, ctx->w, r, &err);
    hwpath__keep(ctx, &p, r, rc);
    if (hwpath__searched(ctx, before, rc, &err)) return HWPATH_INFEASIBLE;
    return map_objective_value(ctx->opt->objective, &r[ctx->opt->objective].cost);
  }
  map_result r;
  int rc = map_search(ctx->a, &p, ctx->opt, ctx->w, &r, &err);
  if (hwpath__searched(ctx, before, rc, &err)) return HWPATH_INFEASIBLE;
  return map_objective_value(ctx->opt->objective, &r.cost);
}

double hwpath_step_cost_below(const path_step *s, double base, double best, void *vctx) {
  hwpath_ctx *ctx = vctx;
  map_problem p;
  hwpath_problem(ctx->net, s, &p, NULL, NULL);
  map_result r;
  heat_error err;
  bool below;
  double v;
  int64_t before = ctx->w->searches;
  int rc = map_search_below(ctx->a, &p, ctx->opt, base, best, ctx->w, &r, &below, &v, &err);
  if (hwpath__searched(ctx, before, rc, &err)) return HWPATH_INFEASIBLE;
  return v;
}

/* The bound of p for every objective: exact when the memo holds the step (searched for every
 * objective at once, as the memo does), else map_step_bound's. */
static void hwpath__bounds_of(hwpath_ctx *ctx, const map_problem *p, double *v) {
  map_options o = *ctx->opt;
  map_result r;
  int status;
  bool held = map_memo_peek(ctx->w, ctx->a, &o, p, &r, &status);
  for (int obj = 0; obj < MAP_OBJECTIVES && held; obj++) {
    o.objective = (map_objective)obj;
    if (!map_memo_peek(ctx->w, ctx->a, &o, p, &r, &status)) held = false;
    else v[obj] = status ? HWPATH_INFEASIBLE : map_objective_value(o.objective, &r.cost);
  }
  if (held) return;
  map_cost lb;
  map_step_bound(ctx->a, p, ctx->opt, &lb);
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
    v[obj] = map_objective_value((map_objective)obj, &lb);
}

double hwpath_step_bound(const path_step *s, void *vctx) {
  hwpath_ctx *ctx = vctx;
  map_problem p;
  hwpath_problem(ctx->net, s, &p, NULL, NULL);
  if (ctx->bounds) {
    /* Bounded once for all objectives; a step searched since is exact (hwpath__keep). */
    hwpath__bound *e = hwpath__lookup(&ctx->bounds->step, &p);
    if (e) return e->v[ctx->opt->objective];
    double v[MAP_OBJECTIVES];
    hwpath__bounds_of(ctx, &p, v);
    if ((e = hwpath__insert(&ctx->bounds->step, &p)) != NULL) memcpy(e->v, v, sizeof v);
    return v[ctx->opt->objective];
  }
  map_result r;
  int status;
  if (map_memo_peek(ctx->w, ctx->a, ctx->opt, &p, &r, &status))
    return status ? HWPATH_INFEASIBLE : map_objective_value(ctx->opt->objective, &r.cost);
  map_cost lb;
  map_step_bound(ctx->a, &p, ctx->opt, &lb);
  double v = map_objective_value(ctx->opt->objective, &lb);
  double learnt = map_memo_bound(ctx->w, ctx->a, ctx->opt, &p);
  return learnt > v ? learnt : v;
}

double hwpath_step_bound_gemm(int64_t B, int64_t M, int64_t K, int64_t N, bool lhs_static,
                              bool rhs_static, void *vctx) {
  hwpath_ctx *ctx = vctx;
  /* The GEMM hwpath_problem makes of such a step, its operands in the layouts it reads. */
  map_problem p;
  if (lhs_static && !rhs_static) map_problem_gemm(&p, B, N, K, M);
  else map_problem_gemm(&p, B, M, K, N);
  hwpath__bound *e = ctx->bounds ? hwpath__lookup(&ctx->bounds->gemm, &p) : NULL;
  if (e) return e->v[ctx->opt->objective];
  map_cost lb;
  map_step_bound(ctx->a, &p, ctx->opt, &lb);
  if (ctx->bounds && (e = hwpath__insert(&ctx->bounds->gemm, &p)) != NULL)
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
      e->v[obj] = map_objective_value((map_objective)obj, &lb);
  return map_objective_value(ctx->opt->objective, &lb);
}

double hwpath_totals_value(map_objective obj, const hwpath_totals *t) {
  switch (obj) {
  case MAP_OBJECTIVE_LATENCY: return t->cycles;
  case MAP_OBJECTIVE_ENERGY: return t->energy_j;
  default: return t->edp_js;
  }
}

void hwpath_totals_add(hwpath_totals *t, const map_cost *c, double times, int64_t evaluated) {
  t->cycles += times * c->cycles;
  t->latency_s += times * c->latency_s;
  t->energy_j += times * c->energy_j;
  t->dram_bytes += times * c->dram_bytes;
  t->macs += (int64_t)times * c->macs;
  t->evaluated += evaluated;
  t->edp_js = t->energy_j * t->latency_s;
}

void hwpath_totals_join(hwpath_totals *t, const hwpath_totals *u) {
  t->cycles += u->cycles;
  t->latency_s += u->latency_s;
  t->energy_j += u->energy_j;
  t->dram_bytes += u->dram_bytes;
  t->macs += u->macs;
  t->evaluated += u->evaluated;
  t->edp_js = t->energy_j * t->latency_s;
}

int hwpath_price(const tn_network *net, const path *pth, const arch *a, const map_options *opt,
                 map_workspace *w, map_result *results, hwpath_totals *tot, heat_error *err) {
  memset(tot, 0, sizeof *tot);
  for (size_t i = 0; i < pth->n_steps; i++) {
    memset(&results[i], 0, sizeof results[i]);
    if (i < pth->n_precomputed) continue;
    map_problem p;
    hwpath_problem(net, &pth->steps[i], &p, NULL, NULL);
    int rc = map_search(a, &p, opt, w, &results[i], err);
    if (rc) {
      heat_error_prefix(err, "path step %zu (%s,%s->%s)", i + 1, pth->steps[i].lhs_indices,
                        pth->steps[i].rhs_indices, pth->steps[i].result_indices);
      return rc;
    }
    hwpath_totals_add(tot, &results[i].cost, 1, results[i].evaluated);
  }
  return HEAT_OK;
}

/* The memo's state before a run that turned it on (hwpath__memo_on), to restore. */
typedef struct hwpath__memo {
  bool was;
  unsigned want;
} hwpath__memo;

/* Runs with the workspace's memo on, each search finding all three objectives: the path DPs
 * ask for the same steps many times, for every objective. */
static int hwpath__memo_on(map_workspace *w, hwpath__memo *m, heat_error *err) {
  m->was = w->memo != NULL;
  m->want = w->memo_want;
  if (map_workspace_memo(w, true))
    return heat_error_set(err, HEAT_ENOMEM, "hwpath", "out of memory");
  w->memo_want = 0;
  return HEAT_OK;
}

static void hwpath__memo_off(map_workspace *w, const hwpath__memo *m) {
  map_workspace_memo(w, m->was);
  w->memo_want = m->want;
}

/* The objective value of a path's online steps as the DP sums them (hwpath_step_cost). */
static double hwpath__path_value(const map_options *opt, const path *pth,
                                 const map_result *results) {
  double v = 0;
  for (size_t i = pth->n_precomputed; i < pth->n_steps; i++)
    v += map_objective_value(opt->objective, &results[i].cost);
  return v;
}

/* The hardware-aware DP, told that a path of about `guess` exists (0: nothing known). The cap
 * leaves the path unchanged (path_options.cost_cap): the DP first solves only sub-paths within
 * the guess (a hair above it: the DP sums the steps in another order), then, when its sub-path
 * layouts price the guessed path higher than its own do and no path is within it, within the
 * slack (cost_cap_retry) before it runs uncapped. The tight cap spares the sub-paths that cost
 * more than a path already known (hwpath_search_known: often the other objectives' paths are
 * as good). Shared: every
 * step is searched in full, for the three objectives in one pass (map_search with the memo),
 * instead of cut at the best split for opt's objective: a little more work for this DP, but the
 * DPs of the other objectives then find their steps searched. The path is the same either way:
 * a cut search answers exactly when the step can win and otherwise a bound above what it must
 * beat, where the exact value loses all the same (dp_custom_best_first). */
#define HWPATH_CAP_TIGHT (1 + 1e-9)
#define HWPATH_CAP_SLACK 1.25
static int hwpath__search(const tn_network *net, const path_options *popt, const arch *a,
                          const map_options *opt, map_workspace *w, double guess, bool shared,
                          hwpath_bounds *bounds, path *out, heat_error *err) {
  hwpath__memo was;
  int rc = hwpath__memo_on(w, &was, err);
  if (rc) return rc;
  hwpath_ctx ctx;
  hwpath_ctx_init(&ctx, a, opt, net, w);
  ctx.bounds = shared ? bounds : NULL;
  path_options hopt = *popt;
  hopt.objective = PATH_OBJECTIVE_CUSTOM;
  hopt.step_cost = hwpath_step_cost;
  hopt.step_cost_bound = hwpath_step_bound;
  hopt.step_cost_below = shared ? NULL : hwpath_step_cost_below;
  /* Cheap only with the bounds kept (a look-up, not a map_step_bound per split). */
  hopt.step_cost_bound_gemm = ctx.bounds ? hwpath_step_bound_gemm : NULL;
  hopt.step_cost_ctx = &ctx;
  bool capped = guess > 0 && guess < HWPATH_INFEASIBLE;
  hopt.cost_cap = capped ? guess * HWPATH_CAP_TIGHT : 0;
  hopt.cost_cap_retry = capped ? guess * HWPATH_CAP_SLACK : 0;
  rc = path_optimize(net, &hopt, out, err);
  hwpath__memo_off(w, &was);
  return rc;
}

/* The MAC-optimal path (precompute mode of popt). */
static int hwpath__mac_path(const tn_network *net, const path_options *popt, path *out,
                            heat_error *err) {
  path_options mopt = *popt;
  mopt.objective = PATH_OBJECTIVE_MACS;
  mopt.step_cost = mopt.step_cost_bound = NULL;
  mopt.step_cost_below = NULL;
  mopt.cost_cap = 0;
  return path_optimize(net, &mopt, out, err);
}

/* The least value under opt's objective of the known paths that can be mapped (0: none). */
static double hwpath__guess(const tn_network *net, const arch *a, const map_options *opt,
                            map_workspace *w, const path *const *known, size_t n_known) {
  double guess = 0;
  for (size_t i = 0; i < n_known; i++) {
    if (!hwpath_feasible(known[i])) continue;
    map_result results[TN_MAX_OPERANDS];
    hwpath_totals t;
    heat_error ignored;
    /* A path that cannot be mapped guesses nothing: the DP then finds the error. */
    if (hwpath_price(net, known[i], a, opt, w, results, &t, &ignored) != HEAT_OK) continue;
    double v = hwpath__path_value(opt, known[i], results);
    if (guess == 0 || v < guess) guess = v;
  }
  return guess;
}

int hwpath_search(const tn_network *net, const path_options *popt, const arch *a,
                  const map_options *opt, map_workspace *w, path *out, heat_error *err) {
  /* The MAC-optimal path mapped is the guess (its steps are searched once for every
   * objective, and the memo keeps them for the pricing that follows). */
  double guess = 0;
  if (net->n_operands <= PATH_DP_MAX_OPERANDS) {
    hwpath__memo was;
    int rc = hwpath__memo_on(w, &was, err);
    if (rc) return rc;
    path mac;
    heat_error ignored;
    const path *known = &mac;
    if (hwpath__mac_path(net, popt, &mac, &ignored) == HEAT_OK)
      guess = hwpath__guess(net, a, opt, w, &known, 1);
    hwpath__memo_off(w, &was);
  }
  return hwpath__search(net, popt, a, opt, w, guess, false, NULL, out, err);
}

int hwpath_search_known(const tn_network *net, const path_options *popt, const arch *a,
                        const map_options *opt, map_workspace *w, hwpath_bounds *bounds,
                        const path *const *known, size_t n_known, path *out, heat_error *err) {
  hwpath__memo was;
  int rc = hwpath__memo_on(w, &was, err);
  if (rc) return rc;
  double guess = hwpath__guess(net, a, opt, w, known, n_known);
  hwpath__memo_off(w, &was);
  return hwpath__search(net, popt, a, opt, w, guess, true, bounds, out, err);
}

static int hwpath__optimize(const tn_network *net, const path_options *popt, const arch *a,
                            const map_options *opt, map_workspace *w, bool shared,
                            hwpath_bounds *bounds, hwpath_result *out, heat_error *err) {
  hwpath__memo was;
  int rc = hwpath__memo_on(w, &was, err);
  if (rc) return rc;
  rc = hwpath__mac_path(net, popt, &out->mac_path, err);
  if (!rc) rc = hwpath_price(net, &out->mac_path, a, opt, w, out->results, &out->mac_cost, err);
  if (!rc)
    rc = hwpath__search(net, popt, a, opt, w,
                        hwpath__path_value(opt, &out->mac_path, out->results), shared,
                        bounds, &out->hw_path, err);
  map_result hw_results[TN_MAX_OPERANDS];
  out->hw_better = false;
  if (!rc && hwpath_feasible(&out->hw_path)) {
    rc = hwpath_price(net, &out->hw_path, a, opt, w, hw_results, &out->hw_cost, err);
    if (!rc)
      out->hw_better = hwpath_totals_value(opt->objective, &out->hw_cost) <
                       hwpath_totals_value(opt->objective, &out->mac_cost);
  }
  hwpath__memo_off(w, &was);
  if (rc) return rc;
  if (out->hw_better) {
    out->chosen = &out->hw_path;
    out->chosen_cost = out->hw_cost;
    memcpy(out->results, hw_results, sizeof hw_results);
  } else {
    out->chosen = &out->mac_path;
    out->chosen_cost = out->mac_cost;
  }
  return HEAT_OK;
}

int hwpath_optimize(const tn_network *net, const path_options *popt, const arch *a,
                    const map_options *opt, map_workspace *w, hwpath_result *out,
                    heat_error *err) {
  return hwpath__optimize(net, popt, a, opt, w, false, NULL, out, err);
}

int hwpath_optimize_shared(const tn_network *net, const path_options *popt, const arch *a,
                           const map_options *opt, map_workspace *w, hwpath_bounds *bounds,
                           hwpath_result *out, heat_error *err) {
  return hwpath__optimize(net, popt, a, opt, w, true, bounds, out, err);
}
