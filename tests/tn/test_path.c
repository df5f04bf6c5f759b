/* Contraction paths: the oracle networks reproduced exactly, the HEAT CP example, GEMM views,
 * objectives, pre-computation and the custom step cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/path.h"

static void load(tn_network *net, const char *expr, const char *shapes) {
  heat_error err;
  if (tn_parse(expr, net, &err) || tn_set_shapes(net, shapes, "shapes", &err))
    fail_msg("%s: %s: %s", expr, err.where, err.msg);
}

static void optimize(const tn_network *net, const path_options *opt, path *p) {
  heat_error err;
  if (path_optimize(net, opt, p, &err)) fail_msg("%s: %s", err.where, err.msg);
}

/* tests/oracles/einsum_oracle.csv: expr,shapes(';'),optimal_macs,left_to_right_macs. The costs
 * were found by exhaustive enumeration of all contraction trees (shared/reference). */
static void oracle_rows_reproduced_exactly(void **state) {
  (void)state;
  const char *root = getenv("HEAT_SOURCE_DIR");
  char fname[1024];
  snprintf(fname, sizeof fname, "%s/tests/oracles/einsum_oracle.csv", root ? root : "../..");
  FILE *f = fopen(fname, "r");
  assert_non_null(f);
  char line[1024];
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "expr,shapes,optimal_macs,left_to_right_macs\n");
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    char expr[256], shapes[512];
    long long opt_macs, l2r_macs;
    assert_int_equal(
        sscanf(line, "\"%255[^\"]\",%511[^,],%lld,%lld", expr, shapes, &opt_macs, &l2r_macs), 4);
    for (char *p = shapes; *p; p++)
      if (*p == ';') *p = ',';
    tn_network net;
    load(&net, expr, shapes);
    path p, l;
    optimize(&net, NULL, &p);
    heat_error err;
    assert_int_equal(path_left_to_right(&net, &l, &err), HEAT_OK);
    if (p.total_macs != opt_macs || l.total_macs != l2r_macs)
      fail_msg("%s %s: optimal %lld (oracle %lld), left-to-right %lld (oracle %lld)", expr, shapes,
               (long long)p.total_macs, opt_macs, (long long)l.total_macs, l2r_macs);
    assert_true(p.exact);
    assert_int_equal(p.n_steps, net.n_operands - 1);
    rows++;
  }
  fclose(f);
  assert_int_equal(rows, 51);
}

static const char *cp_expr = "bc,a,da,ea,ca->bde";
static const char *cp_shapes = "384x768,280,64x280,12x280,768x280";

/* HEAT's worked CP example: ~1.6e11 MACs left to right, ~1.6e8 optimal. */
static void heat_cp_example(void **state) {
  (void)state;
  tn_network net;
  load(&net, cp_expr, cp_shapes);
  path p, l;
  heat_error err;
  optimize(&net, NULL, &p);
  assert_int_equal(path_left_to_right(&net, &l, &err), HEAT_OK);
  /* Left to right: bc x a is an outer product (384*768*280), then bca x da (adds d=64), then
   * bcda x ea (adds e=12), then bcdea x ca. */
  int64_t b = 384, c = 768, a = 280, d = 64, e = 12;
  assert_int_equal(l.total_macs, b * c * a + b * c * a * d + b * c * a * d * e + b * c * a * d * e);
  /* Optimal: (bc,ca)->ba; (a,ea)->ae; (ae,da)->aed; (ba,aed)->bed. */
  assert_int_equal(p.total_macs, b * c * a + a * e + a * e * d + b * a * d * e);
  assert_int_equal(p.largest_intermediate, b * d * e);
  assert_int_equal(p.steps[0].lhs, 0);
  assert_int_equal(p.steps[0].rhs, 4);
  assert_string_equal(p.steps[0].result_indices, "ba");
  assert_int_equal(p.stored_params_before, 0);
}

/* (bc, ca): lhs bc is already (m, k); rhs ca is (k, n): no transform. (ae, da) -> aed has a
 * in batch and no K; da is stored (n, batch) and needs a transform. */
static void gemm_view_of_steps(void **state) {
  (void)state;
  tn_network net;
  load(&net, cp_expr, cp_shapes);
  path p;
  optimize(&net, NULL, &p);
  const path_step *s = &p.steps[0];
  assert_string_equal(s->batch, "");
  assert_string_equal(s->m, "b");
  assert_string_equal(s->k, "c");
  assert_string_equal(s->n, "a");
  assert_int_equal(s->B, 1);
  assert_int_equal(s->M, 384);
  assert_int_equal(s->K, 768);
  assert_int_equal(s->N, 280);
  assert_int_equal(s->macs, 384 * 768 * 280);
  assert_false(s->lhs_permuted);
  assert_false(s->rhs_permuted);
  s = &p.steps[2];
  assert_int_equal(s->lhs, 6);
  assert_int_equal(s->rhs, 2);
  assert_int_equal(s->result, 7);
  assert_string_equal(s->lhs_indices, "ae");
  assert_string_equal(s->rhs_indices, "da");
  assert_string_equal(s->batch, "a");
  assert_string_equal(s->m, "e");
  assert_string_equal(s->k, "");
  assert_string_equal(s->n, "d");
  assert_int_equal(s->B, 280);
  assert_int_equal(s->K, 1);
  assert_string_equal(s->result_indices, "aed");
  assert_int_equal(s->lhs_perm[0], 0);
  assert_int_equal(s->lhs_perm[1], 1);
  assert_false(s->lhs_permuted);
  /* rhs GEMM layout (a, d) from stored (d, a). */
  assert_int_equal(s->rhs_perm[0], 1);
  assert_int_equal(s->rhs_perm[1], 0);
  assert_true(s->rhs_permuted);
  s = &p.steps[3];
  assert_string_equal(s->m, "b");
  assert_string_equal(s->k, "a");
  assert_string_equal(s->n, "ed");
  assert_string_equal(s->result_indices, "bed");
  assert_false(s->lhs_permuted || s->rhs_permuted);
  assert_true(p.output_permuted);
}

/* An index held by one operand only is summed within it: it lands in K, the other operand
 * broadcast (perm -1), and B*M*K*N still equals the MACs. */
static void one_sided_reduction_is_in_k(void **state) {
  (void)state;
  tn_network net;
  load(&net, "abz,bc->ac", "2x3x5,3x7");
  path p;
  optimize(&net, NULL, &p);
  const path_step *s = &p.steps[0];
  assert_string_equal(s->m, "a");
  assert_string_equal(s->k, "bz");
  assert_string_equal(s->n, "c");
  assert_int_equal(s->K, 15);
  assert_int_equal(s->macs, 2 * 3 * 5 * 7);
  assert_int_equal(s->rhs_perm[0], 0);  /* b */
  assert_int_equal(s->rhs_perm[1], -1); /* z: rhs broadcast */
  assert_int_equal(s->rhs_perm[2], 1);  /* c */
  assert_false(s->rhs_permuted);
  assert_false(p.output_permuted);
}

/* Static operands 1..4 of the CP example. no-growth folds the CP weight vector a into ca
 * (stored parameters shrink by 280); folding da,ea into ade would grow them, so it runs online.
 * always folds that too and the online part is the two big GEMMs only. */
static void precompute_modes(void **state) {
  (void)state;
  tn_network net;
  heat_error err;
  load(&net, cp_expr, cp_shapes);
  assert_int_equal(tn_set_static(&net, "1,2,3,4", "--static", &err), HEAT_OK);
  int64_t b = 384, c = 768, a = 280, d = 64, e = 12;
  int64_t before = a + d * a + e * a + c * a;
  path_options opt;
  path_options_init(&opt);
  path never, nogrowth, always;
  optimize(&net, &opt, &never);
  assert_int_equal(never.n_precomputed, 0);
  assert_int_equal(never.stored_params_before, before);
  assert_int_equal(never.stored_params_after, before);
  assert_int_equal(never.total_macs, b * c * a + a * e + a * e * d + b * a * d * e);
  opt.precompute = PATH_PRECOMPUTE_NO_GROWTH;
  optimize(&net, &opt, &nogrowth);
  assert_int_equal(nogrowth.n_precomputed, 1);
  assert_true(nogrowth.steps[0].is_static);
  assert_string_equal(nogrowth.steps[0].result_indices, "ac");
  assert_int_equal(nogrowth.stored_params_after, d * a + e * a + c * a);
  assert_int_equal(nogrowth.total_macs, b * c * a + a * d * e + b * a * d * e);
  opt.precompute = PATH_PRECOMPUTE_ALWAYS;
  optimize(&net, &opt, &always);
  assert_int_equal(always.n_precomputed, 2);
  assert_int_equal(always.stored_params_before, before);
  assert_int_equal(always.stored_params_after, a * c + a * d * e);
  assert_int_equal(always.total_macs, b * c * a + b * a * d * e);
  for (size_t s = always.n_precomputed; s < always.n_steps; s++)
    assert_false(always.steps[s].is_static);
}

static double count_steps(const path_step *st, void *ctx) {
  (void)st;
  (*(int *)ctx)++;
  return (double)st->macs;
}

static double transforms_are_costly(const path_step *st, void *ctx) {
  (void)ctx;
  return (double)st->macs + 1e9 * (st->lhs_permuted + st->rhs_permuted);
}

/* The custom objective with cost = MACs finds the MAC optimum; the function is called on
 * described steps. */
static void custom_objective(void **state) {
  (void)state;
  tn_network net;
  load(&net, "abcde,bfj,jcgk,kdhl,lei->afghi", "128x8x6x12x4,8x8x16,16x6x16x16,16x12x12x16,16x4x8");
  path_options opt;
  path_options_init(&opt);
  path macs, custom;
  optimize(&net, &opt, &macs);
  int calls = 0;
  opt.objective = PATH_OBJECTIVE_CUSTOM;
  opt.step_cost = count_steps;
  opt.step_cost_ctx = &calls;
  optimize(&net, &opt, &custom);
  assert_true(calls > 4);
  assert_int_equal(custom.total_macs, macs.total_macs);
  assert_int_equal(macs.total_macs, 1663696896);
  assert_true(custom.cost == (double)macs.total_macs);
  opt.step_cost = transforms_are_costly;
  path t;
  optimize(&net, &opt, &t);
  assert_true(t.total_macs >= macs.total_macs);
  opt.step_cost = NULL;
  heat_error err;
  assert_int_equal(path_optimize(&net, &opt, &t, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "step cost function"));
}

static double negative_cost(const path_step *st, void *ctx) {
  (void)st;
  (void)ctx;
  return -1.0;
}

static void custom_cost_must_be_non_negative(void **state) {
  (void)state;
  tn_network net;
  load(&net, "ab,bc,cd->ad", "2x3,3x4,4x5");
  path_options opt;
  path_options_init(&opt);
  opt.objective = PATH_OBJECTIVE_CUSTOM;
  opt.step_cost = negative_cost;
  path p;
  heat_error err;
  assert_int_equal(path_optimize(&net, &opt, &p, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "finite and non-negative"));
  assert_int_equal(path_greedy(&net, &opt, &p, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "finite and non-negative"));
}

static void missing_shapes_and_overflow_are_errors(void **state) {
  (void)state;
  tn_network net;
  heat_error err;
  path p;
  assert_int_equal(tn_parse("ab,bc->ac", &net, &err), HEAT_OK);
  assert_int_equal(path_optimize(&net, NULL, &p, &err), HEAT_EINVAL);
  assert_string_equal(err.msg, "index 'a' of operand 0 has no size; give the operand shapes");
  load(&net, "abc,cde->abde", "2000000000x2000000000x2000000000,2000000000x3x3");
  assert_int_equal(path_optimize(&net, NULL, &p, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "exceeds 2^63"));
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_ERANGE);
}

/* Static sub-expressions whose offline cost overflows are not folded; every cost past 2^63 is
 * an error, never a crash (found by an audit: the DP recursed forever). */
static void overflowing_offline_cost_is_an_error(void **state) {
  (void)state;
  tn_network net;
  heat_error err;
  path p;
  path_options opt;
  path_options_init(&opt);
  load(&net, ",yoK,foxe->x", ",7x2147483647x2147483647,2147483647x2147483647x1x7");
  assert_int_equal(tn_set_static(&net, "0,1,2", "static", &err), HEAT_OK);
  for (int mode = PATH_PRECOMPUTE_NEVER; mode <= PATH_PRECOMPUTE_ALWAYS; mode++) {
    opt.precompute = (path_precompute)mode;
    assert_int_equal(path_optimize(&net, &opt, &p, &err), HEAT_ERANGE);
    assert_non_null(strstr(err.msg, "exceeds 2^63"));
  }
}

/* Beyond PATH_DP_MAX_OPERANDS the path is marked inexact and names its search (the chain is
 * connected and sparse: the bounded DP finishes; tests/tn/test_path_large.c for the rest). */
static void large_networks_use_greedy(void **state) {
  (void)state;
  char expr[256] = "", shapes[256] = "";
  /* A matrix chain of 20 operands: a0 a1, a1 a2, ... */
  const char *letters = "abcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 20; i++) {
    char term[8];
    snprintf(term, sizeof term, "%s%c%c", i ? "," : "", letters[i], letters[i + 1]);
    strcat(expr, term);
    snprintf(term, sizeof term, "%s%dx%d", i ? "," : "", 2 + i % 3, 2 + (i + 1) % 3);
    strcat(shapes, term);
  }
  strcat(expr, "->au");
  tn_network net;
  load(&net, expr, shapes);
  path p;
  optimize(&net, NULL, &p);
  assert_false(p.exact);
  assert_int_equal(p.algorithm, PATH_ALGO_BOUNDED_DP);
  assert_int_equal(p.n_steps, 19);
  assert_string_equal(p.steps[18].result_indices, "au");
}

static void single_operand_has_no_steps(void **state) {
  (void)state;
  tn_network net;
  load(&net, "ab->ba", "2x3");
  path p;
  optimize(&net, NULL, &p);
  assert_int_equal(p.n_steps, 0);
  assert_int_equal(p.total_macs, 0);
  assert_true(p.output_permuted);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(oracle_rows_reproduced_exactly),
      cmocka_unit_test(heat_cp_example),
      cmocka_unit_test(gemm_view_of_steps),
      cmocka_unit_test(one_sided_reduction_is_in_k),
      cmocka_unit_test(precompute_modes),
      cmocka_unit_test(custom_objective),
      cmocka_unit_test(custom_cost_must_be_non_negative),
      cmocka_unit_test(missing_shapes_and_overflow_are_errors),
      cmocka_unit_test(overflowing_offline_cost_is_an_error),
      cmocka_unit_test(large_networks_use_greedy),
      cmocka_unit_test(single_operand_has_no_steps),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
