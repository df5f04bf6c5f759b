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
#include <stdlib.h>
#include <string.h>

#include "mapper/path_dp.h"

uint64_t dp_letters_of(const dp_ws *w, uint64_t compact) {
  uint64_t m = 0;
  for (; compact; compact &= compact - 1)
    m |= UINT64_C(1) << path__bit(w->letter[__builtin_ctzll(compact)]);
  return m;
}

path_workspace *path_workspace_alloc(void) { return calloc(1, sizeof(path_workspace)); }

void path_workspace_free(path_workspace *ws) {
  if (!ws) return;
  free(ws->buf);
  free(ws->sbuf);
  free(ws);
}

/* Carves the arrays this request needs out of the workspace, growing it when too small. */
static int dp_carve(path_workspace *ws, dp_ws *w, const tn_network *net, const path_options *opt) {
  memset(w, 0, sizeof *w);
  size_t n = net->n_operands, ns = (size_t)1 << n;
  bool custom = opt->objective == PATH_OBJECTIVE_CUSTOM;
  bool pre = opt->precompute != PATH_PRECOMPUTE_NEVER;
  /* 8-byte arrays first, then 4-, then 1-byte ones: every array stays aligned. */
  size_t need =
      ((ns + 63) / 64) * sizeof(uint64_t) +
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

bool dp_is_foldable(const dp_ws *w, uint32_t s) {
  if (w->opt->precompute == PATH_PRECOMPUTE_NEVER) return false;
  if ((s & ~w->static_mask) || !(s & (s - 1))) return false;
  /* An offline cost past 2^63 cannot be reported: such a sub-expression is not folded. */
  if (w->off[s] == INT64_MAX) return false;
  return w->opt->precompute == PATH_PRECOMPUTE_ALWAYS || w->elems[s] <= w->leafsum[s];
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
