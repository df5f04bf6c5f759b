/* Shared by the path optimizers (path_dp.c, path_greedy.c) and the step/path builder
 * (path_step.c). Not part of the public API. */
#ifndef HEAT_PATH_INTERNAL_H
#define HEAT_PATH_INTERNAL_H

#include <stdint.h>

#include "mapper/path.h"

/* Index letters as bits: 'a'..'z' are bits 0..25, 'A'..'Z' bits 26..51. */
static inline int path__bit(char c) { return c >= 'a' ? c - 'a' : 26 + (c - 'A'); }
static inline char path__letter(int bit) { return (char)(bit < 26 ? 'a' + bit : 'A' + bit - 26); }
uint64_t path__mask(const char *indices);

/* Saturating int64 arithmetic: costs beyond int64 are reported as HEAT_ERANGE, never wrapped. */
static inline int64_t path__sat_add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}
static inline int64_t path__sat_mul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

/* Product of the sizes of the indices in mask (saturating). */
int64_t path__mask_elements(const tn_network *net, uint64_t mask);

/* Checks that the network has operands and every index a size. */
int path__check_network(const tn_network *net, heat_error *err);

/* Describes contracting lhs (stored layout `lhs`) with rhs (layout `rhs`) into a result that
 * keeps the indices in `keep`: the GEMM view, sizes, MACs and permutations. Sets lhs/rhs/result
 * ids to -1 and is_static to false; the caller fills those. */
void path__describe_step(const tn_network *net, const char *lhs, const char *rhs, uint64_t keep,
                         path_step *st);

/* A contraction tree in SSA form: step s contracts ids a[s] and b[s] (0..n-1 inputs, n + t the
 * result of step t) into id n + s; offline[s] marks steps folded offline (static-only). */
typedef struct path_tree {
  size_t n_steps;
  int a[TN_MAX_OPERANDS], b[TN_MAX_OPERANDS];
  bool offline[TN_MAX_OPERANDS];
} path_tree;

/* Turns a tree into a described path: offline steps first, lhs = the operand holding the lowest
 * numbered input, GEMM views, totals, stored parameters, and the objective's value. */
int path__build(const tn_network *net, const path_options *opt, const path_tree *tree, bool exact,
                path *out, heat_error *err);

/* The exact DP (path_dp.c); the network and options are already checked. */
int path__dp(const tn_network *net, const path_options *opt, path_workspace *ws, path *out,
             heat_error *err);

/* Scratch memory kept between calls: the dense DP's per-subset tables and the bounded DP's
 * entries and hash table. */
struct path_workspace {
  void *buf; /* dense DP: every per-subset array, carved per call */
  size_t cap;
  void *sbuf; /* bounded DP (path_bounded.c) */
  size_t scap;
};

/* ---- Beyond PATH_DP_MAX_OPERANDS (path_large.c, path_random.c, path_refine.c,
 * path_bounded.c) ----
 * The network after the offline folds: its live operands as letter masks. Trees over them
 * number the live operands 0..n-1 and the result of step s n + s. */
typedef struct path_live {
  const tn_network *net;
  size_t n;
  uint64_t legs[TN_MAX_OPERANDS]; /* letter mask of each live operand */
  int id[TN_MAX_OPERANDS];        /* its id in the whole tree (an input or an offline result) */
  uint64_t out;                   /* letter mask of the output */
  int64_t size[64];               /* size of each letter bit */
} path_live;

/* A contraction tree over the live operands and its costs. The costs are long double: exact
 * (64-bit mantissa) up to 2^64 and still ordered beyond, so a path past 2^63 ranks last
 * instead of failing the search; path__build reports exact int64 totals. */
typedef struct path_ltree {
  size_t n_steps;
  int a[TN_MAX_OPERANDS], b[TN_MAX_OPERANDS];
  long double macs, largest, written;
} path_ltree;

/* Product of the sizes of the letters in mask, as long double. */
long double path__live_product(const path_live *lv, uint64_t mask);
/* Letter mask of the result of contracting the live operands in `set` (a bit per live operand):
 * the letters present that the output or an operand outside the set still needs. */
uint64_t path__live_legs(const path_live *lv, uint32_t set);
/* Fills t->macs, largest and written from its steps. */
void path__ltree_cost(const path_live *lv, path_ltree *t);
/* t is better than u under the objective (MACS and CUSTOM: MACs; SIZE: largest, then MACs;
 * WRITE: elements written, then MACs). */
bool path__ltree_better(path_objective obj, const path_ltree *t, const path_ltree *u);

/* Seeded multi-start randomized greedy (path_random.c): the best n_best trees of `trials` runs
 * under the objective, best first; returns how many were filled. */
size_t path__random_greedy(const path_live *lv, path_objective obj, uint64_t seed,
                           unsigned trials, path_ltree *best, size_t n_best);

/* Re-optimizes subtrees of up to max_frontier operands with the exact DP (path_refine.c);
 * lowers t's MACs or leaves it unchanged. */
void path__refine(const path_live *lv, path_workspace *ws, int max_frontier, path_ltree *t);

/* DP over connected subsets (path_bounded.c): the MAC-optimal tree among those whose every
 * step shares a non-output index, when one costs at most cap and the search stays within the
 * work budget (pair checks) and memory bound. Returns 1 and fills out when found; 0 when no
 * tree is under the cap or the network is not connected; -1 when the budget or the memory
 * bound was exceeded. *work (may be NULL) receives the pair checks spent. */
int path__bounded_dp(const path_live *lv, path_workspace *ws, int64_t cap, uint64_t budget,
                     path_ltree *out, uint64_t *work);

/* path_optimize beyond PATH_DP_MAX_OPERANDS (path_large.c). */
int path__large(const tn_network *net, const path_options *opt, path_workspace *ws, path *out,
                heat_error *err);

#endif
