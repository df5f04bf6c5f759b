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

#endif
