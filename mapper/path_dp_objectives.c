/* The other passes of the subset DP: offline (pre-computed) orders, SIZE and WRITE keys, and
 * the CUSTOM objective through the step-cost function. */
#include <math.h>
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

/* CUSTOM: the step-cost function sees every candidate split fully described. Exact when the
 * cost depends on the step's index sets and sizes; the operands' stored layouts (and so the
 * permutation fields) are those of the best sub-solutions. */
int dp_custom(dp_ws *w, heat_error *err) {
  const tn_network *net = w->net;
  for (uint32_t s = 1; s <= w->full; s++) {
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
    uint32_t low = s & -s, rest = s ^ low, bs = 0;
    uint64_t keep = dp_letters_of(w, w->inter[s]);
    double best = INFINITY;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      double c = w->dc[a] + w->dc[b];
      if (c < best || !bs) {
        path_step st;
        path__describe_step(net, w->layout[a], w->layout[b], keep, &st);
        st.lhs = (a & (a - 1)) ? -1 : __builtin_ctz(a);
        st.rhs = (b & (b - 1)) ? -1 : __builtin_ctz(b);
        st.lhs_static = !(a & ~w->static_mask);
        st.rhs_static = !(b & ~w->static_mask);
        st.is_static = st.lhs_static && st.rhs_static;
        /* c + sc >= c + bound >= best: this split cannot win, skip its costly price. */
        if (bs && w->opt->step_cost_bound &&
            c + w->opt->step_cost_bound(&st, w->opt->step_cost_ctx) >= best)
          goto next_split;
        double sc = w->opt->step_cost(&st, w->opt->step_cost_ctx);
        if (!isfinite(sc) || sc < 0)
          return heat_error_set(err, HEAT_EINVAL, net->expr,
                                "step cost function returned %g; costs must be finite and "
                                "non-negative",
                                sc);
        if (c + sc < best || !bs) {
          best = c + sc;
          bs = a;
          strcpy(w->layout[s], st.result_indices);
        }
      }
    next_split:
      if (!sub) break;
    }
    w->dc[s] = best;
    w->split[s] = bs;
  }
  return HEAT_OK;
}
