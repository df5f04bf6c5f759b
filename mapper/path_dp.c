/* Exact contraction order by dynamic programming over subsets of operands.
 *
 * best(S) = min over splits S = A | B of best(A) + best(B) + step(A, B). The intermediate of a
 * subset keeps the indices present in it that its complement or the output still needs, so it
 * depends on S only, never on the order inside S: that is what makes the DP exact. Outer
 * products are ordinary splits here. A (the side holding S's lowest operand) is always the lhs,
 * which enumerates each unordered split once: 3^n / 2 splits, ~21 M at n = 16.
 *
 * Lexicographic keys (k1, k2, k3) carry the objective and its tie-breakers:
 *   MACS:  (MACs, 0, stored params)         WRITE: (elements written, MACs, stored params)
 *   SIZE:  first the least possible largest intermediate, then MACS among paths under it.
 * Remaining ties keep the first split met; the enumeration order is fixed, so paths are
 * deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/path_internal.h"

#define CHUNK_BITS 11
#define CHUNKS 5 /* 5 x 11 >= 52 index letters */

typedef struct dp_ws {
  size_t n;
  uint32_t full, static_mask;
  const tn_network *net;
  const path_options *opt;
  uint64_t *inter;   /* compact index bits of each subset's intermediate */
  int64_t *elems;    /* its elements */
  int64_t *leafsum;  /* elements of the inputs in the subset (no-growth test) */
  int64_t *k1, *k2, *k3;
  double *dc;                        /* CUSTOM objective */
  char (*layout)[TN_MAX_INDICES + 1]; /* CUSTOM: stored layout of the best solution */
  uint32_t *split;                   /* lhs part of the best split; 0 for inputs */
  uint8_t *folded;                   /* computed offline as a whole */
  int64_t *off;                      /* MAC-optimal offline cost of static subsets */
  uint32_t *off_split;
  int n_chunks;
  char letter[TN_MAX_INDICES]; /* compact bit -> letter */
  int64_t table[CHUNKS][1 << CHUNK_BITS];
} dp_ws;

static inline int64_t dp_product(const dp_ws *w, uint64_t m) {
  int64_t p = w->table[0][m & ((1u << CHUNK_BITS) - 1)];
  for (int c = 1; c < w->n_chunks; c++) {
    m >>= CHUNK_BITS;
    p = path__sat_mul(p, w->table[c][m & ((1u << CHUNK_BITS) - 1)]);
  }
  return p;
}

static uint64_t letters_of(const dp_ws *w, uint64_t compact) {
  uint64_t m = 0;
  for (; compact; compact &= compact - 1)
    m |= UINT64_C(1) << path__bit(w->letter[__builtin_ctzll(compact)]);
  return m;
}

static void dp_free(dp_ws *w) {
  if (!w) return;
  free(w->inter);
  free(w->elems);
  free(w->leafsum);
  free(w->k1);
  free(w->k2);
  free(w->k3);
  free(w->dc);
  free(w->layout);
  free(w->split);
  free(w->folded);
  free(w->off);
  free(w->off_split);
  free(w);
}

static dp_ws *dp_alloc(const tn_network *net, const path_options *opt) {
  dp_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  size_t n = net->n_operands, ns = (size_t)1 << n;
  w->n = n;
  w->full = (uint32_t)(ns - 1);
  w->net = net;
  w->opt = opt;
  w->inter = malloc(ns * sizeof *w->inter);
  w->elems = malloc(ns * sizeof *w->elems);
  w->leafsum = malloc(ns * sizeof *w->leafsum);
  w->k1 = malloc(ns * sizeof *w->k1);
  w->k2 = malloc(ns * sizeof *w->k2);
  w->k3 = malloc(ns * sizeof *w->k3);
  w->split = malloc(ns * sizeof *w->split);
  w->folded = calloc(ns, 1);
  bool ok = w->inter && w->elems && w->leafsum && w->k1 && w->k2 && w->k3 && w->split && w->folded;
  if (opt->objective == PATH_OBJECTIVE_CUSTOM) {
    w->dc = malloc(ns * sizeof *w->dc);
    w->layout = malloc(ns * sizeof *w->layout);
    ok = ok && w->dc && w->layout;
  }
  if (opt->precompute != PATH_PRECOMPUTE_NEVER) {
    w->off = malloc(ns * sizeof *w->off);
    w->off_split = malloc(ns * sizeof *w->off_split);
    ok = ok && w->off && w->off_split;
  }
  if (!ok) {
    dp_free(w);
    return NULL;
  }
  return w;
}

/* Compact index numbering, per-subset intermediates and the product tables. */
static void dp_prepare(dp_ws *w) {
  const tn_network *net = w->net;
  int bit_of[128];
  memset(bit_of, -1, sizeof bit_of);
  int n_idx = 0;
  uint64_t op[TN_MAX_OPERANDS], out = 0;
  for (size_t i = 0; i < w->n; i++) {
    op[i] = 0;
    for (const char *p = net->operand[i]; *p; p++) {
      int c = (unsigned char)*p;
      if (bit_of[c] < 0) {
        bit_of[c] = n_idx;
        w->letter[n_idx++] = *p;
      }
      op[i] |= UINT64_C(1) << bit_of[c];
    }
    if (net->is_static[i]) w->static_mask |= UINT32_C(1) << i;
  }
  for (const char *p = net->output; *p; p++) out |= UINT64_C(1) << bit_of[(unsigned char)*p];
  w->n_chunks = n_idx == 0 ? 1 : (n_idx + CHUNK_BITS - 1) / CHUNK_BITS;
  for (int c = 0; c < w->n_chunks; c++)
    for (uint32_t m = 0; m < (1u << CHUNK_BITS); m++) {
      int64_t p = 1;
      for (int b = 0; b < CHUNK_BITS; b++) {
        int idx = c * CHUNK_BITS + b;
        if ((m >> b & 1) && idx < n_idx)
          p = path__sat_mul(p, net->size[(unsigned char)w->letter[idx]]);
      }
      w->table[c][m] = p;
    }
  /* present(S) goes into elems[] (as bits) first: inter(S) needs present(complement of S). */
  uint64_t *present = (uint64_t *)w->elems;
  present[0] = 0;
  w->leafsum[0] = 0;
  for (uint32_t s = 1; s <= w->full; s++) {
    int low = __builtin_ctz(s);
    present[s] = present[s & (s - 1)] | op[low];
    w->leafsum[s] = path__sat_add(w->leafsum[s & (s - 1)], dp_product(w, op[low]));
  }
  w->inter[0] = 0;
  for (uint32_t s = 1; s <= w->full; s++)
    w->inter[s] = (s & (s - 1)) ? present[s] & (present[w->full ^ s] | out) : present[s];
  for (uint32_t s = 1; s <= w->full; s++) w->elems[s] = dp_product(w, w->inter[s]);
}

static bool is_foldable(const dp_ws *w, uint32_t s) {
  if (w->opt->precompute == PATH_PRECOMPUTE_NEVER) return false;
  if ((s & ~w->static_mask) || !(s & (s - 1))) return false;
  return w->opt->precompute == PATH_PRECOMPUTE_ALWAYS || w->elems[s] <= w->leafsum[s];
}

/* MAC-optimal offline order of every static subset (what gets run when it is folded). */
static void dp_offline(dp_ws *w) {
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
      if (c < b1) {
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
static int64_t dp_min_largest(dp_ws *w) {
  int64_t *v = w->k1;
  for (uint32_t s = 1; s <= w->full; s++) {
    if (!(s & (s - 1)) || is_foldable(w, s)) {
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
static void dp_keys(dp_ws *w, int64_t cap) {
  bool write = w->opt->objective == PATH_OBJECTIVE_WRITE;
  for (uint32_t s = 1; s <= w->full; s++) {
    w->split[s] = 0;
    w->k1[s] = w->k2[s] = 0;
    if (!(s & (s - 1))) {
      w->k3[s] = (w->static_mask & s) ? w->elems[s] : 0;
      continue;
    }
    if (is_foldable(w, s)) {
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
      int64_t m = dp_product(w, w->inter[a] | w->inter[b]), t1, t2;
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
  path__describe_step(w->net, la, lb, letters_of(w, w->inter[s]), &st);
  strcpy(layout, st.result_indices);
}

/* CUSTOM: the step-cost function sees every candidate split fully described. Exact when the
 * cost depends on the step's index sets and sizes; the operands' stored layouts (and so the
 * permutation fields) are those of the best sub-solutions. */
static int dp_custom(dp_ws *w, heat_error *err) {
  const tn_network *net = w->net;
  for (uint32_t s = 1; s <= w->full; s++) {
    w->split[s] = 0;
    if (!(s & (s - 1))) {
      w->dc[s] = 0.0;
      w->k3[s] = (w->static_mask & s) ? w->elems[s] : 0;
      strcpy(w->layout[s], net->operand[__builtin_ctz(s)]);
      continue;
    }
    if (is_foldable(w, s)) {
      w->folded[s] = 1;
      w->dc[s] = 0.0;
      offline_layout(w, s, w->layout[s]);
      continue;
    }
    uint32_t low = s & -s, rest = s ^ low, bs = 0;
    uint64_t keep = letters_of(w, w->inter[s]);
    double best = INFINITY;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      double c = w->dc[a] + w->dc[b];
      if (c < best || !bs) {
        path_step st;
        path__describe_step(net, w->layout[a], w->layout[b], keep, &st);
        st.lhs = (a & (a - 1)) ? -1 : __builtin_ctz(a);
        st.rhs = (b & (b - 1)) ? -1 : __builtin_ctz(b);
        st.is_static = !((a | b) & ~w->static_mask);
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
      if (!sub) break;
    }
    w->dc[s] = best;
    w->split[s] = bs;
  }
  return HEAT_OK;
}

static int emit(const dp_ws *w, uint32_t s, bool offline, path_tree *tree) {
  if (!(s & (s - 1))) return __builtin_ctz(s);
  if (!offline && w->folded[s]) return emit(w, s, true, tree);
  uint32_t a = offline ? w->off_split[s] : w->split[s];
  int ia = emit(w, a, offline, tree);
  int ib = emit(w, s ^ a, offline, tree);
  size_t k = tree->n_steps++;
  tree->a[k] = ia;
  tree->b[k] = ib;
  tree->offline[k] = offline;
  return (int)(w->n + k);
}

int path__dp(const tn_network *net, const path_options *opt, path *out, heat_error *err) {
  dp_ws *w = dp_alloc(net, opt);
  if (!w)
    return heat_error_set(err, HEAT_ENOMEM, net->expr, "out of memory for the DP over %zu operands",
                          net->n_operands);
  dp_prepare(w);
  if (opt->precompute != PATH_PRECOMPUTE_NEVER) dp_offline(w);
  int rc = HEAT_OK;
  if (opt->objective == PATH_OBJECTIVE_CUSTOM) {
    rc = dp_custom(w, err);
  } else {
    int64_t cap = INT64_MAX;
    if (opt->objective == PATH_OBJECTIVE_SIZE) cap = dp_min_largest(w);
    dp_keys(w, cap);
    if (w->k1[w->full] == INT64_MAX)
      rc = heat_error_set(err, HEAT_ERANGE, net->expr,
                          "the contraction cost exceeds 2^63; the index sizes are too large");
  }
  if (!rc) {
    path_tree tree = {0};
    if (w->full > 1) emit(w, w->full, false, &tree);
    rc = path__build(net, opt, &tree, true, out, err);
  }
  dp_free(w);
  return rc;
}
