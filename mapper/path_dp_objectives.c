/* The other passes of the subset DP: offline (pre-computed) orders, SIZE and WRITE keys, and
 * the CUSTOM objective through the step-cost function. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/path_dp.h"

/* MAC-optimal offline order of every static subset (what gets run when it is folded). */
void dp_offline(dp_ws *w) {
  for (uint32_t s = 1; s <= w->full; s++) {
    if ((s & ~w->static_mask) || !(s & (s - 1))) {
      w->off[s] = 0;
      w->off_split[s] = 0;
      continue;
    }
    uint32_t low = s & -s, rest = s ^ low, bs = 0;
    int64_t b1 = INT64_MAX;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      int64_t c = path__sat_add(w->off[a], w->off[b]);
      /* !bs: a split is recorded even when every cost saturates, so emit() always has one. */
      if (c < b1 || !bs) {
        int64_t t = path__sat_add(c, dp_product(w, w->inter[a] | w->inter[b]));
        if (t < b1 || !bs) {
          b1 = t;
          bs = a;
        }
      }
      if (!sub) break;
    }
    w->off[s] = b1;
    w->off_split[s] = bs;
  }
}

/* Least possible largest online intermediate of each subset (SIZE objective, first pass). */
int64_t dp_min_largest(dp_ws *w) {
  int64_t *v = w->k1;
  for (uint32_t s = 1; s <= w->full; s++) {
    if (!(s & (s - 1)) || dp_is_foldable(w, s)) {
      v[s] = 0;
      continue;
    }
    uint32_t low = s & -s, rest = s ^ low;
    int64_t best = INT64_MAX;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      int64_t m = v[a] > v[b] ? v[a] : v[b];
      if (m < best) best = m;
      if (!sub) break;
    }
    v[s] = best > w->elems[s] ? best : w->elems[s];
  }
  return v[w->full];
}

/* The main pass for MACS, WRITE and SIZE (with cap = the least largest intermediate). */
void dp_keys(dp_ws *w, int64_t cap) {
  bool write = w->opt->objective == PATH_OBJECTIVE_WRITE;
  for (uint32_t s = 1; s <= w->full; s++) {
    w->split[s] = 0;
    w->k1[s] = w->k2[s] = 0;
    if (!(s & (s - 1))) {
      w->k3[s] = (w->static_mask & s) ? w->elems[s] : 0;
      continue;
    }
    if (dp_is_foldable(w, s)) {
      w->folded[s] = 1;
      w->k3[s] = w->elems[s];
      continue;
    }
    w->k1[s] = w->k2[s] = w->k3[s] = INT64_MAX;
    if (w->elems[s] > cap) continue;
    uint32_t low = s & -s, rest = s ^ low, bs = 0;
    int64_t b1 = INT64_MAX, b2 = INT64_MAX, b3 = INT64_MAX;
    int64_t step_write = write ? w->elems[s] : 0;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      int64_t c1 = path__sat_add(path__sat_add(w->k1[a], w->k1[b]), step_write);
      /* MACS: every step costs at least one MAC, so c1 == b1 cannot win either. */
      if (c1 > b1 || (!write && c1 == b1)) goto next;
      int64_t m =
          path__sat_mul(w->elems[s], dp_product(w, (w->inter[a] | w->inter[b]) & ~w->inter[s]));
      int64_t t1, t2;
      if (write) {
        t1 = c1;
        t2 = path__sat_add(path__sat_add(w->k2[a], w->k2[b]), m);
      } else {
        t1 = path__sat_add(c1, m);
        t2 = 0;
      }
      if (t1 > b1) goto next;
      int64_t t3 = path__sat_add(w->k3[a], w->k3[b]);
      if (!bs || t1 < b1 || t2 < b2 || (t2 == b2 && t3 < b3)) {
        b1 = t1;
        b2 = t2;
        b3 = t3;
        bs = a;
      }
    next:
      if (!sub) break;
    }
    w->k1[s] = b1;
    w->k2[s] = b2;
    w->k3[s] = b3;
    w->split[s] = bs;
  }
}

static void offline_layout(dp_ws *w, uint32_t s, char *layout) {
  if (!(s & (s - 1))) {
    strcpy(layout, w->net->operand[__builtin_ctz(s)]);
    return;
  }
  char la[TN_MAX_INDICES + 1], lb[TN_MAX_INDICES + 1];
  offline_layout(w, w->off_split[s], la);
  offline_layout(w, s ^ w->off_split[s], lb);
  path_step st;
  path__describe_step(w->net, la, lb, dp_letters_of(w, w->inter[s]), &st);
  strcpy(layout, st.result_indices);
}

/* The step of split a | b of subset s, fully described (layouts of the best sub-solutions). */
static void dp_custom_step(const dp_ws *w, uint32_t a, uint32_t b, uint64_t keep, path_step *st) {
  path__describe_step(w->net, w->layout[a], w->layout[b], keep, st);
  st->lhs = (a & (a - 1)) ? -1 : __builtin_ctz(a);
  st->rhs = (b & (b - 1)) ? -1 : __builtin_ctz(b);
  st->lhs_static = !(a & ~w->static_mask);
  st->rhs_static = !(b & ~w->static_mask);
  st->is_static = st->lhs_static && st->rhs_static;
}

static int dp_custom_price(const dp_ws *w, const path_step *st, double *sc, heat_error *err) {
  *sc = w->opt->step_cost(st, w->opt->step_cost_ctx);
  if (!isfinite(*sc) || *sc < 0)
    return heat_error_set(err, HEAT_EINVAL, w->net->expr,
                          "step cost function returned %g; costs must be finite and "
                          "non-negative",
                          *sc);
  return HEAT_OK;
}

/* Outside bounds only up to here (two passes over the 3^n / 2 splits, 2^n doubles). */
#define DP_OUTSIDE_MAX_OPERANDS 12
/* A sub-path with its least completion is dropped only past the cap by this factor: the sums
 * are bounds summed in other orders than the DP's, so a sub-path of a path within the cap must
 * not fall past it by a rounding. */
#define DP_OUTSIDE_MARGIN (1 + 1e-9)

/* A split of the subset being solved, with the lower bound of its total (sub-paths + step). */
typedef struct dp_cand {
  double lb;
  uint32_t rank; /* position in the enumeration order: ties go to the lowest */
  uint32_t a;
} dp_cand;

static int dp_cand_cmp(const void *x, const void *y) {
  const dp_cand *p = x, *q = y;
  if (p->lb != q->lb) return p->lb < q->lb ? -1 : 1;
  return (p->rank > q->rank) - (p->rank < q->rank);
}

/* Best split of s with the bound: every split's lower bound first, then the splits priced in
 * ascending order of it, stopping at the first whose bound cannot beat (nor tie earlier than)
 * the best found. Returns what the plain enumeration returns: the first split in enumeration
 * order with the least total (a skipped split's total is at least its bound, so at least the
 * best; a tie with the best goes to the lower rank, as the enumeration's strict `<` does).
 * Splits totalling more than `cap` are not kept: when every split does, *best_out is INFINITY
 * (and no split is recorded). A sub-path costing more than the cap has no part in a path within
 * it, so the subsets within it get exactly the splits and layouts of the uncapped DP. */
/* The step_cost_bound_gemm of split a | b of s: its GEMM view from the index sets alone (a
 * subset's layout holds the indices of its intermediate, each once), as path__describe_step
 * sorts them: kept indices of both operands are batch, of one operand M or N, the others K. */
static double dp_gemm_bound(const dp_ws *w, uint32_t a, uint32_t b, uint32_t s) {
  uint64_t x = w->inter[a], y = w->inter[b], keep = w->inter[s];
  return w->opt->step_cost_bound_gemm(
      dp_product(w, x & y & keep), dp_product(w, x & ~y & keep), dp_product(w, (x | y) & ~keep),
      dp_product(w, y & ~x & keep), !(a & ~w->static_mask), !(b & ~w->static_mask),
      w->opt->step_cost_ctx);
}

static int dp_custom_best_first(dp_ws *w, uint32_t s, dp_cand *cand, double cap,
                                double *best_out, uint32_t *bs_out, heat_error *err) {
  uint32_t low = s & -s, rest = s ^ low;
  uint64_t keep = dp_letters_of(w, w->inter[s]);
  size_t n = 0;
  bool gemm = w->gemm_bound && isfinite(cap);
  /* A split whose sub-path cannot be part of a whole path within the cap (sub-path + the least
   * completion, with a margin for the order of the sums) is not kept. */
  double out = w->outside && isfinite(cap) ? w->outside[s] : 0, cap_out = cap * DP_OUTSIDE_MARGIN;
  const double *gemm_lb = w->gemm_lb ? w->gemm_lb + w->gemm_at[s] : NULL;
  for (uint32_t sub = (rest - 1) & rest, j = 0;; sub = (sub - 1) & rest, j++) {
    uint32_t a = low | sub, b = rest ^ sub;
    double lb = w->dc[a] + w->dc[b];
    /* Past the cap on the GEMM view's bound: past it on step_cost_bound, which is no less. */
    if (gemm && lb <= cap) {
      double g = lb + (gemm_lb ? gemm_lb[j] : dp_gemm_bound(w, a, b, s));
      if (g > cap || g + out > cap_out) lb = INFINITY;
    }
    if (lb <= cap) {
      /* A split past the cap on its sub-paths alone is not described nor bounded. */
      path_step st;
      dp_custom_step(w, a, b, keep, &st);
      lb += w->opt->step_cost_bound(&st, w->opt->step_cost_ctx);
    }
    if (lb <= cap && lb + out <= cap_out) {
      cand[n].lb = lb;
      cand[n].rank = (uint32_t)n;
      cand[n].a = a;
      n++;
    }
    if (!sub) break;
  }
  qsort(cand, n, sizeof *cand, dp_cand_cmp);
  double best = INFINITY;
  uint32_t bs = 0, best_rank = 0;
  for (size_t i = 0; i < n; i++) {
    if (bs && (cand[i].lb > best || (cand[i].lb == best && cand[i].rank > best_rank))) {
      if (cand[i].lb > best) break; /* sorted: no later split can win */
      continue;
    }
    uint32_t a = cand[i].a, b = s ^ a;
    path_step st;
    dp_custom_step(w, a, b, keep, &st);
    double sc, c = w->dc[a] + w->dc[b];
    int rc;
    if ((bs || isfinite(cap)) && w->opt->step_cost_below) {
      /* Only whether it can beat the best (or come within the cap): the exact cost when it
       * can (t <= limit below). */
      sc = w->opt->step_cost_below(&st, c, bs ? best : cap, w->opt->step_cost_ctx);
      rc = isfinite(sc) && sc >= 0 ? HEAT_OK
                                   : heat_error_set(err, HEAT_EINVAL, w->net->expr,
                                                    "step cost function returned %g; costs must "
                                                    "be finite and non-negative",
                                                    sc);
    } else {
      rc = dp_custom_price(w, &st, &sc, err);
    }
    if (rc) return rc;
    double t = c + sc;
    if (t > cap || t + out > cap_out) continue;
    if (!bs || t < best || (t == best && cand[i].rank < best_rank)) {
      best = t;
      bs = a;
      best_rank = cand[i].rank;
      strcpy(w->layout[s], st.result_indices);
    }
  }
  *best_out = best;
  *bs_out = bs;
  return HEAT_OK;
}

/* CUSTOM: the step-cost function sees every candidate split fully described. Exact when the
 * cost depends on the step's index sets and sizes; the operands' stored layouts (and so the
 * permutation fields) are those of the best sub-solutions. With a step-cost bound the splits
 * are priced best-first (dp_custom_best_first); without, in enumeration order. */
static int dp_custom_pass(dp_ws *w, dp_cand *cand, double cap, heat_error *err) {
  const tn_network *net = w->net;
  int rc = HEAT_OK;
  for (uint32_t s = 1; s <= w->full && !rc; s++) {
    w->split[s] = 0;
    if (!(s & (s - 1))) {
      w->dc[s] = 0.0;
      w->k3[s] = (w->static_mask & s) ? w->elems[s] : 0;
      strcpy(w->layout[s], net->operand[__builtin_ctz(s)]);
      continue;
    }
    if (dp_is_foldable(w, s)) {
      w->folded[s] = 1;
      w->dc[s] = 0.0;
      offline_layout(w, s, w->layout[s]);
      continue;
    }
    if (cand) {
      rc = dp_custom_best_first(w, s, cand, cap, &w->dc[s], &w->split[s], err);
      continue;
    }
    uint32_t low = s & -s, rest = s ^ low, bs = 0;
    uint64_t keep = dp_letters_of(w, w->inter[s]);
    double best = INFINITY;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      double c = w->dc[a] + w->dc[b];
      if (c < best || !bs) {
        path_step st;
        dp_custom_step(w, a, b, keep, &st);
        double sc;
        rc = dp_custom_price(w, &st, &sc, err);
        if (rc) break;
        if (c + sc < best || !bs) {
          best = c + sc;
          bs = a;
          strcpy(w->layout[s], st.result_indices);
        }
      }
      if (!sub) break;
    }
    w->dc[s] = best;
    w->split[s] = bs;
  }
  return rc;
}

/* The outside bound of every subset: a lower bound of what the rest of a whole path costs once
 * the subset is contracted (its steps past those of the subset). Inside bounds first (the least
 * sum of GEMM-view bounds over the subset's trees: no more than its best sub-path), then from
 * the whole network down: a part of a split of s completes at least as s does plus the other
 * part's inside bound plus the split's step. Two passes over the splits, no step described.
 * NULL when out of memory (the DP then runs without). */
static double *dp_custom_outside(dp_ws *w) {
  size_t ns = (size_t)w->full + 1, n_splits = 0;
  /* Splits of the subsets the DP solves (neither inputs nor folded): 2^(|s|-1) - 1 each. */
  for (uint32_t s = 1; s <= w->full; s++)
    if ((s & (s - 1)) && !dp_is_foldable(w, s))
      n_splits += ((size_t)1 << (__builtin_popcount(s) - 1)) - 1;
  double *block = malloc((2 * ns + n_splits) * sizeof(double) + ns * sizeof(size_t));
  if (!block) return NULL;
  double *out = block, *in = out + ns, *glb = in + ns;
  size_t *at = (size_t *)(glb + n_splits), next = 0;
  for (uint32_t s = 1; s <= w->full; s++) {
    out[s] = INFINITY;
    in[s] = 0;
    at[s] = next;
    if (!(s & (s - 1)) || dp_is_foldable(w, s)) continue;
    uint32_t low = s & -s, rest = s ^ low;
    double best = INFINITY;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      double g = glb[next++] = dp_gemm_bound(w, a, b, s);
      if (in[a] + in[b] + g < best) best = in[a] + in[b] + g;
      if (!sub) break;
    }
    in[s] = best;
  }
  out[w->full] = 0;
  for (uint32_t s = w->full; s >= 1; s--) {
    if (!(s & (s - 1)) || dp_is_foldable(w, s) || !isfinite(out[s])) continue;
    uint32_t low = s & -s, rest = s ^ low;
    const double *g = glb + at[s];
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest, g++) {
      uint32_t a = low | sub, b = rest ^ sub;
      double va = out[s] + in[b] + *g, vb = out[s] + in[a] + *g;
      if (va < out[a]) out[a] = va;
      if (vb < out[b]) out[b] = vb;
      if (!sub) break;
    }
  }
  /* The block starts with the outside bounds: the caller keeps it as w->outside and frees it. */
  w->gemm_lb = glb;
  w->gemm_at = at;
  return block;
}

/* CUSTOM: the step-cost function sees every candidate split fully described. Exact when the
 * cost depends on the step's index sets and sizes; the operands' stored layouts (and so the
 * permutation fields) are those of the best sub-solutions. With a step-cost bound the splits
 * are priced best-first (dp_custom_best_first), first under the options' cost cap when there
 * is one (again under the retry cap, then without one, when no path is within it); without, in
 * enumeration order. */
int dp_custom(dp_ws *w, heat_error *err) {
  dp_cand *cand = NULL;
  if (w->opt->step_cost_bound && w->n > 1) {
    cand = malloc(((size_t)1 << (w->n - 1)) * sizeof *cand);
    if (!cand)
      return heat_error_set(err, HEAT_ENOMEM, w->net->expr,
                            "out of memory for the DP over %zu operands", w->n);
  }
  double cap = cand && w->opt->cost_cap > 0 ? w->opt->cost_cap : INFINITY;
  /* The GEMM view from index sets needs each operand's indices distinct (as tn_parse has them). */
  w->gemm_bound = cand && w->opt->step_cost_bound_gemm;
  for (size_t i = 0; i < w->n && w->gemm_bound; i++)
    if (strlen(w->net->operand[i]) != (size_t)__builtin_popcountll(w->inter[(uint32_t)1 << i]))
      w->gemm_bound = false;
  double *outside = NULL;
  if (w->gemm_bound && isfinite(cap) && !w->opt->step_cost_below && w->n >= 3 &&
      w->n <= DP_OUTSIDE_MAX_OPERANDS)
    outside = dp_custom_outside(w);
  w->outside = outside;
  int rc = dp_custom_pass(w, cand, cap, err);
  /* No path within the cap: within the retry cap, then without one. */
  double retry = w->opt->cost_cap_retry > cap ? w->opt->cost_cap_retry : INFINITY;
  for (int pass = 0; pass < 2 && isfinite(cap); pass++) {
    if (rc || w->full <= 1 || w->folded[w->full] || w->split[w->full] != 0) break;
    cap = pass == 0 ? retry : INFINITY;
    rc = dp_custom_pass(w, cand, cap, err);
  }
  free(cand);
  free(outside);
  w->outside = w->gemm_lb = NULL;
  w->gemm_at = NULL;
  return rc;
}
