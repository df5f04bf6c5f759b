/* The MACS pass of the subset DP: the hot loop of the whole optimizer, tuned because every
 * search calls it (mapper/README.md, "The exact DP and its speed"). */
#include <math.h>
#include <string.h>

#include "mapper/path_dp.h"

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
        double score = by_growth
                           ? (double)w->elems[a | b] - (double)w->elems[a] - (double)w->elems[b]
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

/* MACS, the objective every search uses: the hot loop of the whole optimizer.
 * A split's MACs are elems(S) times the sizes of the indices the step sums away. Those are the
 * indices summed inside S's tree but inside neither A's nor B's, so (in floating point)
 * MACs = elems(S) * PC(S) / (PC(A) * PC(B)), PC = product of the sizes summed inside: three
 * loads instead of a loop over index bits. That estimate (relative error < 1e-13) only rejects
 * splits clearly worse than the best so far; survivors are costed exactly in int64. */
static bool dp_macs_within(dp_ws *w, int64_t bound) {
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
    if (dp_is_foldable(w, s)) {
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
  return w->k1[w->full] != INT64_MAX;
}

/* Every tree costing at most the bound survives the pruning, so a pass that finds a finite
 * optimum under a guessed bound is exact. One cheap guess (the upper bound / 1024) prunes most
 * subsets; when the greedy orders were that far off (random graphs) it finds the optimum many
 * times faster, otherwise the pass under the upper bound itself follows. Measured on
 * bench_path's networks, more guesses cost more than they save. */
void dp_macs(dp_ws *w) {
  int64_t upper = dp_upper_bound(w), guess = upper >> 10;
  if (guess > 0 && dp_macs_within(w, guess)) return;
  dp_macs_within(w, upper);
}
