/* GEMM views of pairwise steps and the assembly of a contraction tree into a described path.
 * Every optimizer ends here, so totals, stored parameters and objective values are computed
 * one way only. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mapper/path_internal.h"

uint64_t path__mask(const char *indices) {
  uint64_t m = 0;
  for (const char *p = indices; *p; p++) m |= UINT64_C(1) << path__bit(*p);
  return m;
}

int64_t path__mask_elements(const tn_network *net, uint64_t mask) {
  int64_t e = 1;
  for (; mask; mask &= mask - 1)
    e = path__sat_mul(e, net->size[(unsigned char)path__letter(__builtin_ctzll(mask))]);
  return e;
}

int path__check_network(const tn_network *net, heat_error *err) {
  if (net->n_operands == 0 || net->n_operands > TN_MAX_OPERANDS)
    return heat_error_set(err, HEAT_EINVAL, net->expr, "%zu operands; allowed 1..%d",
                          net->n_operands, TN_MAX_OPERANDS);
  for (size_t i = 0; i < net->n_operands; i++)
    for (const char *p = net->operand[i]; *p; p++)
      if (net->size[(unsigned char)*p] < 1)
        return heat_error_set(err, HEAT_EINVAL, net->expr,
                              "index '%c' of operand %zu has no size; give the operand shapes", *p,
                              i);
  return HEAT_OK;
}

static int64_t indices_product(const tn_network *net, const char *s) {
  int64_t e = 1;
  for (; *s; s++) e = path__sat_mul(e, net->size[(unsigned char)*s]);
  return e;
}

/* The three sets are disjoint letters, so together they never exceed TN_MAX_INDICES. */
static void concat3(char *dst, const char *x, const char *y, const char *z) {
  size_t k = 0;
  for (const char *p = x; *p; p++) dst[k++] = *p;
  for (const char *p = y; *p; p++) dst[k++] = *p;
  for (const char *p = z; *p; p++) dst[k++] = *p;
  dst[k] = '\0';
}

/* perm[i] = position of gemm letter i in the stored layout (pos, for the letters in `held`),
 * -1 when the operand lacks the index (broadcast). Returns true when the present entries are
 * not in stored order 0, 1, 2, ...: a transform. */
static bool perm_of(const char *gemm, size_t n, const int8_t *pos, uint64_t held, int *perm) {
  int next = 0;
  bool permuted = false;
  for (size_t i = 0; i < n; i++) {
    int b = path__bit(gemm[i]);
    perm[i] = (held >> b) & 1 ? pos[b] : -1;
    if (perm[i] >= 0) {
      if (perm[i] != next) permuted = true;
      next++;
    }
  }
  return permuted;
}

/* The DP describes every candidate split: one pass over each layout, sizes multiplied in the
 * order the letters are placed (as a product over each index string). */
void path__describe_step(const tn_network *net, const char *lhs, const char *rhs, uint64_t keep,
                         path_step *st) {
  memset(st, 0, sizeof *st);
  st->lhs = st->rhs = st->result = -1;
  uint64_t ml = 0, mr = 0;
  int8_t pl[64], pr[64]; /* first position of each letter in lhs / rhs */
  for (int i = 0; lhs[i]; i++) {
    int b = path__bit(lhs[i]);
    if (!((ml >> b) & 1)) pl[b] = (int8_t)i;
    ml |= UINT64_C(1) << b;
    st->lhs_indices[i] = lhs[i];
  }
  for (int i = 0; rhs[i]; i++) {
    int b = path__bit(rhs[i]);
    if (!((mr >> b) & 1)) pr[b] = (int8_t)i;
    mr |= UINT64_C(1) << b;
    st->rhs_indices[i] = rhs[i];
  }
  size_t nb = 0, nm = 0, nk = 0, nn = 0;
  int64_t B = 1, M = 1, K = 1, N = 1;
  /* Indices held by one operand only and not kept are summed within it: they sit in K with the
   * other operand broadcast (perm -1), so B*M*K*N is always the step's MAC count. */
  for (const char *p = lhs; *p; p++) {
    uint64_t bit = UINT64_C(1) << path__bit(*p);
    int64_t size = net->size[(unsigned char)*p];
    if (!(keep & bit)) {
      st->k[nk++] = *p;
      K = path__sat_mul(K, size);
    } else if (mr & bit) {
      st->batch[nb++] = *p;
      B = path__sat_mul(B, size);
    } else {
      st->m[nm++] = *p;
      M = path__sat_mul(M, size);
    }
  }
  for (const char *p = rhs; *p; p++) {
    uint64_t bit = UINT64_C(1) << path__bit(*p);
    if (ml & bit) continue;
    int64_t size = net->size[(unsigned char)*p];
    if (keep & bit) {
      st->n[nn++] = *p;
      N = path__sat_mul(N, size);
    } else {
      st->k[nk++] = *p;
      K = path__sat_mul(K, size);
    }
  }
  concat3(st->result_indices, st->batch, st->m, st->n);
  st->B = B;
  st->M = M;
  st->K = K;
  st->N = N;
  st->macs = path__sat_mul(path__sat_mul(st->B, st->M), path__sat_mul(st->K, st->N));
  char gemm[TN_MAX_INDICES + 1];
  concat3(gemm, st->batch, st->m, st->k);
  st->lhs_permuted = perm_of(gemm, nb + nm + nk, pl, ml, st->lhs_perm);
  concat3(gemm, st->batch, st->k, st->n);
  st->rhs_permuted = perm_of(gemm, nb + nk + nn, pr, mr, st->rhs_perm);
}

void path_options_init(path_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->objective = PATH_OBJECTIVE_MACS;
  opt->precompute = PATH_PRECOMPUTE_NEVER;
}

/* Per operand id while assembling: which inputs it holds and how it is stored. */
typedef struct build_operand {
  uint32_t leaves;
  char layout[TN_MAX_INDICES + 1];
  bool is_static, consumed_offline;
} build_operand;

static int finish_totals(const tn_network *net, const path_options *opt, path *out,
                         heat_error *err) {
  out->total_macs = out->largest_intermediate = out->total_written = 0;
  double custom = 0.0;
  for (size_t s = out->n_precomputed; s < out->n_steps; s++) {
    const path_step *st = &out->steps[s];
    int64_t e = indices_product(net, st->result_indices);
    out->total_macs = path__sat_add(out->total_macs, st->macs);
    out->total_written = path__sat_add(out->total_written, e);
    if (e > out->largest_intermediate) out->largest_intermediate = e;
    if (opt->objective == PATH_OBJECTIVE_CUSTOM) {
      double c = opt->step_cost(st, opt->step_cost_ctx);
      if (!isfinite(c) || c < 0)
        return heat_error_set(err, HEAT_EINVAL, net->expr,
                              "step cost function returned %g for step %zu; costs must be finite "
                              "and non-negative",
                              c, s);
      custom += c;
    }
  }
  if (out->total_macs == INT64_MAX || out->total_written == INT64_MAX ||
      out->largest_intermediate == INT64_MAX)
    return heat_error_set(err, HEAT_ERANGE, net->expr,
                          "the contraction cost exceeds 2^63; the index sizes are too large");
  switch (opt->objective) {
  case PATH_OBJECTIVE_SIZE: out->cost = (double)out->largest_intermediate; break;
  case PATH_OBJECTIVE_WRITE: out->cost = (double)out->total_written; break;
  case PATH_OBJECTIVE_CUSTOM: out->cost = custom; break;
  default: out->cost = (double)out->total_macs; break;
  }
  return HEAT_OK;
}

int path__build(const tn_network *net, const path_options *opt, const path_tree *tree, bool exact,
                path *out, heat_error *err) {
  memset(out, 0, sizeof *out);
  size_t n = net->n_operands;
  if (tree->n_steps + 1 != n)
    return heat_error_at(err, HEAT_EINTERNAL, __FILE__, __LINE__,
                         "tree of %zu steps for %zu operands", tree->n_steps, n);
  build_operand op[2 * TN_MAX_OPERANDS];
  uint64_t leaf_mask[TN_MAX_OPERANDS];
  uint64_t out_mask = path__mask(net->output);
  for (size_t i = 0; i < n; i++) {
    op[i].leaves = UINT32_C(1) << i;
    strcpy(op[i].layout, net->operand[i]);
    op[i].is_static = net->is_static[i];
    op[i].consumed_offline = false;
    leaf_mask[i] = path__mask(net->operand[i]);
    if (net->is_static[i])
      out->stored_params_before =
          path__sat_add(out->stored_params_before, tn_elements(net, net->operand[i]));
  }
  /* Offline steps first, each group in tree order; ids are renumbered to match. */
  int order[TN_MAX_OPERANDS], new_id[2 * TN_MAX_OPERANDS];
  size_t k = 0;
  for (int pass = 1; pass >= 0; pass--)
    for (size_t s = 0; s < tree->n_steps; s++)
      if (tree->offline[s] == (pass == 1)) order[k++] = (int)s;
  for (size_t i = 0; i < n; i++) new_id[i] = (int)i;
  for (size_t p = 0; p < tree->n_steps; p++) new_id[n + (size_t)order[p]] = (int)(n + p);

  for (size_t p = 0; p < tree->n_steps; p++) {
    int s = order[p];
    int a = new_id[tree->a[s]], b = new_id[tree->b[s]];
    if (a < 0 || b < 0 || (size_t)a >= n + p || (size_t)b >= n + p || a == b)
      return heat_error_at(err, HEAT_EINTERNAL, __FILE__, __LINE__, "malformed tree at step %d", s);
    /* lhs holds the lowest numbered input: the activation side when operand 0 is the input. */
    if (__builtin_ctz(op[b].leaves) < __builtin_ctz(op[a].leaves)) {
      int t = a;
      a = b;
      b = t;
    }
    uint32_t leaves = op[a].leaves | op[b].leaves;
    uint64_t present = 0, needed = out_mask;
    for (size_t i = 0; i < n; i++) {
      if (leaves >> i & 1)
        present |= leaf_mask[i];
      else
        needed |= leaf_mask[i];
    }
    path_step *st = &out->steps[p];
    path__describe_step(net, op[a].layout, op[b].layout, present & needed, st);
    st->lhs = a;
    st->rhs = b;
    st->result = (int)(n + p);
    st->lhs_static = op[a].is_static;
    st->rhs_static = op[b].is_static;
    st->is_static = op[a].is_static && op[b].is_static;
    build_operand *r = &op[n + p];
    r->leaves = leaves;
    strcpy(r->layout, st->result_indices);
    r->is_static = st->is_static;
    r->consumed_offline = false;
    if (tree->offline[s]) {
      if (!st->is_static)
        return heat_error_at(err, HEAT_EINTERNAL, __FILE__, __LINE__,
                             "offline step %d has a dynamic operand", s);
      op[a].consumed_offline = op[b].consumed_offline = true;
      out->n_precomputed++;
    }
  }
  out->n_steps = tree->n_steps;
  size_t n_ids = n + out->n_precomputed;
  for (size_t i = 0; i < n_ids; i++)
    if (op[i].is_static && !op[i].consumed_offline)
      out->stored_params_after =
          path__sat_add(out->stored_params_after, tn_elements(net, op[i].layout));
  const char *final = op[n + out->n_steps - 1].layout;
  out->output_permuted = strcmp(final, net->output) != 0;
  out->exact = exact;
  out->algorithm = exact ? PATH_ALGO_EXACT_DP : PATH_ALGO_GREEDY;
  return finish_totals(net, opt, out, err);
}

int path_left_to_right(const tn_network *net, path *out, heat_error *err) {
  int rc = path__check_network(net, err);
  if (rc) return rc;
  path_tree tree = {.n_steps = net->n_operands - 1};
  for (size_t s = 0; s < tree.n_steps; s++) {
    tree.a[s] = s == 0 ? 0 : (int)(net->n_operands + s - 1);
    tree.b[s] = (int)s + 1;
    tree.offline[s] = false;
  }
  path_options opt;
  path_options_init(&opt);
  return path__build(net, &opt, &tree, false, out, err);
}
