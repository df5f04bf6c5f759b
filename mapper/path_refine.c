/* Subtree reconfiguration: a greedy tree is usually right in the large and wrong in the small.
 * For each internal node v, the subtree under v is cut at a frontier of up to max_frontier
 * tensors (expanding the dearest step first); the contraction of those tensors into v's result
 * is a small network of its own (output = v's indices), which the exact subset DP solves
 * (outer products included). When that is cheaper, the subtree is replaced. Passes repeat
 * until nothing improves (at most MAX_PASSES). Deterministic: fixed visiting order. */
#include <string.h>

#include "mapper/path_internal.h"

#define MAX_PASSES 4

typedef struct refine_tree {
  size_t n, root;
  int ca[2 * TN_MAX_OPERANDS], cb[2 * TN_MAX_OPERANDS];
  uint32_t leaves[2 * TN_MAX_OPERANDS];
  uint64_t legs[2 * TN_MAX_OPERANDS];
  long double macs[2 * TN_MAX_OPERANDS]; /* of the step producing the node */
} refine_tree;

static void annotate(const path_live *lv, refine_tree *r, int v) {
  if ((size_t)v < r->n) {
    r->leaves[v] = UINT32_C(1) << v;
    r->legs[v] = lv->legs[v];
    r->macs[v] = 0.0L;
    return;
  }
  annotate(lv, r, r->ca[v]);
  annotate(lv, r, r->cb[v]);
  r->leaves[v] = r->leaves[r->ca[v]] | r->leaves[r->cb[v]];
  r->legs[v] = path__live_legs(lv, r->leaves[v]);
  r->macs[v] = path__live_product(lv, r->legs[r->ca[v]] | r->legs[r->cb[v]]);
}

static void post_order(const refine_tree *r, int v, int *order, size_t *k) {
  if ((size_t)v < r->n) return;
  post_order(r, r->ca[v], order, k);
  post_order(r, r->cb[v], order, k);
  order[(*k)++] = v;
}

static void letters(uint64_t mask, char *s) {
  size_t k = 0;
  for (; mask; mask &= mask - 1) s[k++] = path__letter(__builtin_ctzll(mask));
  s[k] = '\0';
}

/* Re-optimizes the subtree under v; returns true when it was replaced by a cheaper one. */
static bool refine_node(const path_live *lv, path_workspace *ws, int max_frontier, refine_tree *r,
                        int v, tn_network *sub) {
  int front[TN_MAX_OPERANDS], inner[TN_MAX_OPERANDS];
  int n_front = 2, n_inner = 1;
  front[0] = r->ca[v];
  front[1] = r->cb[v];
  inner[0] = v;
  while (n_front < max_frontier) {
    int pick = -1;
    for (int f = 0; f < n_front; f++)
      if ((size_t)front[f] >= r->n && (pick < 0 || r->macs[front[f]] > r->macs[front[pick]]))
        pick = f;
    if (pick < 0) break;
    int x = front[pick];
    inner[n_inner++] = x;
    front[pick] = r->ca[x];
    front[n_front++] = r->cb[x];
  }
  if (n_front < 3) return false;
  long double current = 0.0L;
  for (int i = 0; i < n_inner; i++) current += r->macs[inner[i]];
  sub->n_operands = (size_t)n_front;
  for (int f = 0; f < n_front; f++) {
    letters(r->legs[front[f]], sub->operand[f]);
    sub->is_static[f] = false;
  }
  letters(r->legs[v], sub->output);
  path_options opt;
  path_options_init(&opt);
  path p;
  heat_error err;
  if (path__dp(sub, &opt, ws, &p, &err)) return false;
  if (!((long double)p.total_macs < current)) return false;
  /* Sub ids: inputs 0..n_front-1 are the frontier, result n_front + s reuses an inner node
   * (the last step is v itself, so the parent's link stays). */
  int id[2 * TN_MAX_OPERANDS];
  for (int f = 0; f < n_front; f++) id[f] = front[f];
  for (size_t s = 0; s < p.n_steps; s++)
    id[(size_t)n_front + s] = s + 1 == p.n_steps ? v : inner[s + 1];
  for (size_t s = 0; s < p.n_steps; s++) {
    int node = id[(size_t)n_front + s];
    r->ca[node] = id[p.steps[s].lhs];
    r->cb[node] = id[p.steps[s].rhs];
  }
  annotate(lv, r, (int)r->root);
  return true;
}

void path__refine(const path_live *lv, path_workspace *ws, int max_frontier, path_ltree *t) {
  if (t->n_steps < 2) return;
  refine_tree r;
  r.n = lv->n;
  for (size_t s = 0; s < t->n_steps; s++) {
    r.ca[r.n + s] = t->a[s];
    r.cb[r.n + s] = t->b[s];
  }
  r.root = r.n + t->n_steps - 1;
  annotate(lv, &r, (int)r.root);
  tn_network sub;
  memset(&sub, 0, sizeof sub);
  strcpy(sub.expr, "(a subtree)");
  memcpy(sub.size, lv->net->size, sizeof sub.size);
  bool changed = false;
  for (int pass = 0; pass < MAX_PASSES; pass++) {
    int order[TN_MAX_OPERANDS];
    size_t k = 0;
    post_order(&r, (int)r.root, order, &k);
    bool improved = false;
    for (size_t i = 0; i < k; i++)
      improved |= refine_node(lv, ws, max_frontier, &r, order[i], &sub);
    changed |= improved;
    if (!improved) break;
  }
  if (!changed) return;
  /* Back to SSA order: a post-order walk numbers the steps. */
  int order[TN_MAX_OPERANDS], ssa[2 * TN_MAX_OPERANDS];
  size_t k = 0;
  post_order(&r, (int)r.root, order, &k);
  for (size_t i = 0; i < r.n; i++) ssa[i] = (int)i;
  for (size_t s = 0; s < k; s++) {
    ssa[order[s]] = (int)(r.n + s);
    t->a[s] = ssa[r.ca[order[s]]];
    t->b[s] = ssa[r.cb[order[s]]];
  }
  t->n_steps = k;
  path__ltree_cost(lv, t);
}
