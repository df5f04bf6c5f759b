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

struct path_workspace {
  void *buf; /* every per-subset array, carved per call: one block, reused across calls */
  size_t cap;
};

typedef struct dp_hot {
  int64_t k1;
  double rpc;
} dp_hot;

typedef struct dp_ws {
  size_t n;
  uint32_t full, static_mask;
  const tn_network *net;
  const path_options *opt;
  uint64_t *inter;   /* compact index bits of each subset's intermediate */
  int64_t *elems;    /* its elements */
  int64_t *leafsum;  /* elements of the inputs in the subset (no-growth test) */
  int64_t *k1, *k2, *k3;
  double *rpc; /* 1 / product of the sizes of the indices summed inside the subset's tree */
  struct dp_hot *hot; /* MACS: k1 and rpc side by side, one cache line per subset visited */
  uint64_t *alive;    /* MACS: bit set = subset may be in an optimal tree (8 KiB at n = 16) */
  double *dc;                         /* CUSTOM objective */
  char (*layout)[TN_MAX_INDICES + 1]; /* CUSTOM: stored layout of the best solution */
  uint32_t *split;                    /* lhs part of the best split; 0 for inputs */
  uint8_t *folded;                    /* computed offline as a whole */
  int64_t *off;                       /* MAC-optimal offline cost of static subsets */
  uint32_t *off_split;
  char letter[TN_MAX_INDICES]; /* compact bit -> letter */
  int64_t size[TN_MAX_INDICES];  /* compact bit -> index size */
} dp_ws;

/* Product of the sizes of the indices in a compact mask (saturating). */
static inline int64_t dp_product(const dp_ws *w, uint64_t m) {
  int64_t p = 1;
  for (; m; m &= m - 1) p = path__sat_mul(p, w->size[__builtin_ctzll(m)]);
  return p;
}

static uint64_t letters_of(const dp_ws *w, uint64_t compact) {
  uint64_t m = 0;
  for (; compact; compact &= compact - 1)
    m |= UINT64_C(1) << path__bit(w->letter[__builtin_ctzll(compact)]);
  return m;
}

path_workspace *path_workspace_alloc(void) { return calloc(1, sizeof(path_workspace)); }

void path_workspace_free(path_workspace *ws) {
  if (!ws) return;
  free(ws->buf);
  free(ws);
}

/* Carves the arrays this request needs out of the workspace, growing it when too small. */
static int dp_carve(path_workspace *ws, dp_ws *w, const tn_network *net, const path_options *opt) {
  memset(w, 0, sizeof *w);
  size_t n = net->n_operands, ns = (size_t)1 << n;
  bool custom = opt->objective == PATH_OBJECTIVE_CUSTOM;
  bool pre = opt->precompute != PATH_PRECOMPUTE_NEVER;
  /* 8-byte arrays first, then 4-, then 1-byte ones: every array stays aligned. */
  size_t need = ((ns + 63) / 64) * sizeof(uint64_t) +
                ns * (6 * sizeof(int64_t) + sizeof(double) + sizeof(dp_hot) + (custom ? sizeof(double) : 0) +
                      (pre ? sizeof(int64_t) + sizeof(uint32_t) : 0) + sizeof(uint32_t) + 1 +
                      (custom ? TN_MAX_INDICES + 1 : 0));
  if (need > ws->cap) {
    void *b = malloc(need);
    if (!b) return HEAT_ENOMEM;
    free(ws->buf);
    ws->buf = b;
    ws->cap = need;
  }
  char *p = ws->buf;
#define CARVE(field, count)                                                                        \
  do {                                                                                             \
    w->field = (void *)p;                                                                          \
    p += (count) * sizeof *w->field;                                                               \
  } while (0)
  CARVE(inter, ns);
  CARVE(elems, ns);
  CARVE(leafsum, ns);
  CARVE(k1, ns);
  CARVE(k2, ns);
  CARVE(k3, ns);
  CARVE(rpc, ns);
  CARVE(hot, ns);
  CARVE(alive, (ns + 63) / 64);
  if (custom) CARVE(dc, ns);
  if (pre) CARVE(off, ns);
  CARVE(split, ns);
  if (pre) CARVE(off_split, ns);
  CARVE(folded, ns);
  if (custom) CARVE(layout, ns);
#undef CARVE
  memset(w->folded, 0, ns);
  w->n = n;
  w->full = (uint32_t)(ns - 1);
  w->net = net;
  w->opt = opt;
  return HEAT_OK;
}

/* Compact index numbering and per-subset intermediates. */
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
        w->size[n_idx] = net->size[c];
        bit_of[c] = n_idx;
        w->letter[n_idx++] = *p;
      }
      op[i] |= UINT64_C(1) << bit_of[c];
    }
    if (net->is_static[i]) w->static_mask |= UINT32_C(1) << i;
  }
  for (const char *p = net->output; *p; p++) out |= UINT64_C(1) << bit_of[(unsigned char)*p];
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
  w->rpc[0] = 1.0;
  for (uint32_t s = 1; s <= w->full; s++) {
    bool leaf = !(s & (s - 1));
    uint64_t outside = present[w->full ^ s] | out;
    w->inter[s] = leaf ? present[s] : present[s] & outside;
    /* Indices summed within the subset's own tree; an input sums nothing before its first step. */
    double pc = 1.0;
    for (uint64_t x = leaf ? 0 : present[s] & ~outside; x; x &= x - 1)
      pc *= (double)w->size[__builtin_ctzll(x)];
    w->rpc[s] = 1.0 / pc;
  }
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

/* MACS, the objective every search uses: the hot loop of the whole optimizer.
 * A split's MACs are elems(S) times the sizes of the indices the step sums away. Those are the
 * indices summed inside S's tree but inside neither A's nor B's, so (in floating point)
 * MACs = elems(S) * PC(S) / (PC(A) * PC(B)), PC = product of the sizes summed inside: three
 * loads instead of a loop over index bits. That estimate (relative error < 1e-13) only rejects
 * splits clearly worse than the best so far; survivors are costed exactly in int64. */
/* An upper bound on the optimal MACs: the cheaper of a quick greedy order and left to right.
 * Any step costs at least the elements it writes, so a subset whose intermediate is larger than
 * this bound cannot be inside an optimal tree and the DP skips it; on random graphs that is most
 * subsets. Folding static parts only lowers the optimum, so the bound holds in every mode. */
/* Greedy on subset masks, scoring a pair as opt_einsum's greedy does (elements of the result
 * minus those of the two operands), or by plain MACs; pairs sharing an index first. */
static int64_t dp_greedy_macs(const dp_ws *w, bool by_growth) {
  uint32_t live[TN_MAX_OPERANDS];
  size_t n_live = w->n;
  for (size_t i = 0; i < w->n; i++) live[i] = UINT32_C(1) << i;
  int64_t total = 0;
  while (n_live > 1) {
    size_t bi = 0, bj = 1;
    double best = INFINITY;
    bool best_shares = false;
    for (size_t i = 0; i < n_live; i++)
      for (size_t j = i + 1; j < n_live; j++) {
        uint32_t a = live[i], b = live[j];
        bool shares = (w->inter[a] & w->inter[b]) != 0;
        double score = by_growth ? (double)w->elems[a | b] - (double)w->elems[a] -
                                       (double)w->elems[b]
                                 : (double)dp_product(w, w->inter[a] | w->inter[b]);
        if ((shares && !best_shares) || (shares == best_shares && score < best)) {
          best = score;
          best_shares = shares;
          bi = i;
          bj = j;
        }
      }
    total = path__sat_add(total, dp_product(w, w->inter[live[bi]] | w->inter[live[bj]]));
    live[bi] |= live[bj];
    live[bj] = live[--n_live];
  }
  return total;
}

/* An upper bound on the optimal MACs: the cheapest of two quick greedy orders and left to right.
 * Any step costs at least the elements it writes, so a subset whose intermediate is larger than
 * this bound cannot be inside an optimal tree and the DP skips it; on random graphs that is most
 * subsets. Folding static parts only lowers the optimum, so the bound holds in every mode. */
static int64_t dp_upper_bound(const dp_ws *w) {
  int64_t l2r = 0;
  uint32_t done = 1;
  for (size_t i = 1; i < w->n; i++) {
    l2r = path__sat_add(l2r, dp_product(w, w->inter[done] | w->inter[UINT32_C(1) << i]));
    done |= UINT32_C(1) << i;
  }
  int64_t g1 = dp_greedy_macs(w, true), g2 = dp_greedy_macs(w, false);
  int64_t b = g1 < g2 ? g1 : g2;
  return b < l2r ? b : l2r;
}

static void dp_macs(dp_ws *w) {
  int64_t bound = dp_upper_bound(w);
  bool stored_ties = w->opt->precompute != PATH_PRECOMPUTE_NEVER;
  const int64_t *k3 = w->k3;
  const uint64_t *inter = w->inter;
  dp_hot *hot = w->hot;
  uint64_t *alive = w->alive;
  memset(alive, 0, ((w->full + (size_t)1 + 63) / 64) * sizeof *alive);
  const double slack = 1.0 + 1e-12;
  for (uint32_t s = 1; s <= w->full; s++) {
    w->split[s] = 0;
    w->k2[s] = 0;
    hot[s].rpc = w->rpc[s];
    hot[s].k1 = 0;
    if (!(s & (s - 1))) {
      w->k3[s] = (w->static_mask & s) ? w->elems[s] : 0;
      w->k1[s] = 0;
      alive[s >> 6] |= UINT64_C(1) << (s & 63);
      continue;
    }
    if (is_foldable(w, s)) {
      w->folded[s] = 1;
      w->k3[s] = w->elems[s];
      w->k1[s] = 0;
      alive[s >> 6] |= UINT64_C(1) << (s & 63);
      continue;
    }
    if (w->elems[s] > bound) {
      hot[s].k1 = w->k1[s] = w->k3[s] = INT64_MAX;
      continue;
    }
    /* Sub-solutions dearer than the bound cannot be in an optimal tree either: start the
     * search just above it, so the first candidates are already pruned against it. */
    uint32_t low = s & -s, rest = s ^ low, bs = 0;
    int64_t b1 = path__sat_add(bound, 1), b3 = INT64_MAX, es = w->elems[s];
    uint64_t is = inter[s];
    /* Sizes beyond double range (1e300) make the estimate useless: cost every split exactly. */
    bool estimate = hot[s].rpc > 1e-300;
    double es_pc = (double)es / hot[s].rpc, limit = (double)b1 * slack;
    for (uint32_t sub = (rest - 1) & rest;; sub = (sub - 1) & rest) {
      uint32_t a = low | sub, b = rest ^ sub;
      if (!((alive[a >> 6] >> (a & 63)) & (alive[b >> 6] >> (b & 63)) & 1)) goto next;
      int64_t c = path__sat_add(hot[a].k1, hot[b].k1);
      if (c >= b1 || (estimate && (double)c + es_pc * hot[a].rpc * hot[b].rpc > limit)) goto next;
      int64_t m = es;
      for (uint64_t x = (inter[a] | inter[b]) & ~is; x; x &= x - 1)
        m = path__sat_mul(m, w->size[__builtin_ctzll(x)]);
      int64_t t = path__sat_add(c, m);
      if (t < b1 || (t == b1 && stored_ties && path__sat_add(k3[a], k3[b]) < b3)) {
        b1 = t;
        b3 = path__sat_add(k3[a], k3[b]);
        bs = a;
        limit = (double)b1 * slack;
      }
    next:
      if (!sub) break;
    }
    if (!bs)
      b1 = b3 = INT64_MAX;
    else
      alive[s >> 6] |= UINT64_C(1) << (s & 63);
    hot[s].k1 = w->k1[s] = b1;
    w->k3[s] = b3;
    w->split[s] = bs;
  }
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
      int64_t m = path__sat_mul(w->elems[s], dp_product(w, (w->inter[a] | w->inter[b]) & ~w->inter[s]));
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

int path__dp(const tn_network *net, const path_options *opt, path_workspace *ws, path *out,
             heat_error *err) {
  dp_ws w;
  if (dp_carve(ws, &w, net, opt))
    return heat_error_set(err, HEAT_ENOMEM, net->expr, "out of memory for the DP over %zu operands",
                          net->n_operands);
  dp_prepare(&w);
  if (opt->precompute != PATH_PRECOMPUTE_NEVER) dp_offline(&w);
  int rc = HEAT_OK;
  if (opt->objective == PATH_OBJECTIVE_CUSTOM) {
    rc = dp_custom(&w, err);
  } else {
    int64_t cap = INT64_MAX;
    if (opt->objective == PATH_OBJECTIVE_SIZE) cap = dp_min_largest(&w);
    if (opt->objective == PATH_OBJECTIVE_MACS)
      dp_macs(&w);
    else
      dp_keys(&w, cap);
    if (w.k1[w.full] == INT64_MAX)
      rc = heat_error_set(err, HEAT_ERANGE, net->expr,
                          "the contraction cost exceeds 2^63; the index sizes are too large");
  }
  if (rc) return rc;
  path_tree tree = {0};
  if (w.full > 1) emit(&w, w.full, false, &tree);
  return path__build(net, opt, &tree, true, out, err);
}
