/* Paths beyond PATH_DP_MAX_OPERANDS: never worse than opt_einsum's `dp` (where it finished) and
 * `random-greedy-128` on the networks of tests/oracles/path_large.csv (17-24 operands, made by
 * path_large.py beside it); deterministic for a seed; every objective, pre-computation and the
 * custom step cost; no "exceeds 2^63" when a path fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/heat_csv.h"
#include "mapper/path.h"

static void load(tn_network *net, const char *expr, const char *shapes) {
  heat_error err;
  if (tn_parse(expr, net, &err) || tn_set_shapes(net, shapes, "shapes", &err))
    fail_msg("%s: %s: %s", expr, err.where, err.msg);
}

typedef struct golden {
  char name[32], expr[TN_EXPR_MAX], shapes[1024];
  long long dp_macs, rg128_macs; /* dp_macs -1: opt_einsum's dp did not finish */
} golden;

/* Reads path_large.csv: name,expr,shapes(';'),dp_macs,dp_ms,rg128_macs,rg128_ms. */
static size_t read_goldens(golden *g, size_t cap) {
  const char *root = getenv("HEAT_SOURCE_DIR");
  char fname[1024], line[2048];
  snprintf(fname, sizeof fname, "%s/tests/oracles/path_large.csv", root ? root : "../..");
  FILE *f = fopen(fname, "r");
  assert_non_null(f);
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "name,expr,shapes,dp_macs,dp_ms,rg128_macs,rg128_ms\n");
  size_t n = 0;
  while (n < cap && fgets(line, sizeof line, f)) {
    golden *r = &g[n];
    char *field[7];
    if (heat_csv_split(line, field, 7) != 7)
      fail_msg("path_large.csv row %zu is malformed", n + 2);
    snprintf(r->name, sizeof r->name, "%s", field[0]);
    snprintf(r->expr, sizeof r->expr, "%s", field[1]);
    snprintf(r->shapes, sizeof r->shapes, "%s", field[2]);
    for (char *c = r->shapes; *c; c++)
      if (*c == ';') *c = ',';
    r->dp_macs = field[3][0] ? atoll(field[3]) : -1;
    r->rg128_macs = atoll(field[5]);
    n++;
  }
  fclose(f);
  return n;
}

static void golden_networks_match_or_beat_opt_einsum(void **state) {
  (void)state;
  static golden g[64];
  size_t n = read_goldens(g, 64);
  assert_true(n >= 30);
  path_workspace *ws = path_workspace_alloc();
  assert_non_null(ws);
  int with_dp = 0;
  for (size_t i = 0; i < n; i++) {
    tn_network net;
    load(&net, g[i].expr, g[i].shapes);
    assert_true(net.n_operands >= 17 && net.n_operands <= 24);
    path p;
    heat_error err;
    if (path_optimize_ws(&net, NULL, ws, &p, &err))
      fail_msg("%s: %s: %s", g[i].name, err.where, err.msg);
    if (p.total_macs > g[i].rg128_macs)
      fail_msg("%s: %lld MACs, opt_einsum random-greedy-128 %lld", g[i].name,
               (long long)p.total_macs, g[i].rg128_macs);
    if (g[i].dp_macs >= 0 && p.total_macs > g[i].dp_macs)
      fail_msg("%s: %lld MACs (%s), opt_einsum dp %lld", g[i].name, (long long)p.total_macs,
               path_algorithm_name(p.algorithm), g[i].dp_macs);
    with_dp += g[i].dp_macs >= 0;
    assert_false(p.exact);
    assert_true(p.algorithm == PATH_ALGO_BOUNDED_DP || p.algorithm == PATH_ALGO_RANDOM_GREEDY);
    assert_int_equal(p.n_steps, net.n_operands - 1);
  }
  assert_true(with_dp > 0);
  path_workspace_free(ws);
}

/* A chain of 20 matrices, sizes cycling 2..4: connected and sparse, so the bounded DP finishes. */
static void chain20(tn_network *net) {
  char expr[256] = "", shapes[256] = "";
  const char *letters = "abcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 20; i++) {
    char term[16];
    snprintf(term, sizeof term, "%s%c%c", i ? "," : "", letters[i], letters[i + 1]);
    strcat(expr, term);
    snprintf(term, sizeof term, "%s%dx%d", i ? "," : "", 2 + i % 3, 2 + (i + 1) % 3);
    strcat(shapes, term);
  }
  strcat(expr, "->au");
  load(net, expr, shapes);
}

static bool same_path(const path *a, const path *b) {
  if (a->n_steps != b->n_steps || a->total_macs != b->total_macs) return false;
  for (size_t s = 0; s < a->n_steps; s++)
    if (a->steps[s].lhs != b->steps[s].lhs || a->steps[s].rhs != b->steps[s].rhs) return false;
  return true;
}

/* A seed gives one path; the report names the algorithm, seed and trials. */
static void deterministic_for_a_seed(void **state) {
  (void)state;
  static golden g[64];
  size_t n = read_goldens(g, 64);
  path_options opt;
  path_options_init(&opt);
  opt.seed = 42;
  opt.trials = 64;
  for (size_t i = 0; i < n; i += 5) {
    tn_network net;
    load(&net, g[i].expr, g[i].shapes);
    path a, b;
    heat_error err;
    assert_int_equal(path_optimize(&net, &opt, &a, &err), HEAT_OK);
    assert_int_equal(path_optimize(&net, &opt, &b, &err), HEAT_OK);
    assert_true(same_path(&a, &b));
    assert_int_equal(a.seed, 42);
    assert_int_equal(a.trials, 64);
  }
  assert_string_equal(path_algorithm_name(PATH_ALGO_RANDOM_GREEDY), "randomized greedy");
  assert_string_equal(path_algorithm_name(PATH_ALGO_BOUNDED_DP), "bounded DP");
  assert_string_equal(path_algorithm_name((path_algorithm)99), "unknown");
}

/* The bounded DP finds the chain's optimum; the plain greedy does not. */
static void chain_is_solved_by_the_bounded_dp(void **state) {
  (void)state;
  tn_network net;
  chain20(&net);
  path p, g;
  heat_error err;
  assert_int_equal(path_optimize(&net, NULL, &p, &err), HEAT_OK);
  assert_int_equal(p.algorithm, PATH_ALGO_BOUNDED_DP);
  assert_int_equal(path_greedy(&net, NULL, &g, &err), HEAT_OK);
  assert_true(p.total_macs <= g.total_macs);
  assert_string_equal(p.steps[18].result_indices, "au");
}

/* Two chains of 10 that share only the output letter 'a': the bounded DP
 * solves each part, the parts are joined, and the result is no worse than the greedy's. */
static void disconnected_parts_are_solved_apart(void **state) {
  (void)state;
  tn_network net;
  load(&net,
       "ab,bc,cd,de,ef,fg,gh,hi,ij,jk,aA,AB,BC,CD,DE,EF,FG,GH,HI,IJ->akJ",
       "3x4,4x2,2x5,5x3,3x2,2x4,4x3,3x5,5x2,2x6,3x2,2x4,4x3,3x5,5x2,2x6,6x2,2x3,3x4,4x5");
  path p, g;
  heat_error err;
  assert_int_equal(path_optimize(&net, NULL, &p, &err), HEAT_OK);
  assert_int_equal(p.algorithm, PATH_ALGO_BOUNDED_DP);
  assert_int_equal(path_greedy(&net, NULL, &g, &err), HEAT_OK);
  assert_true(p.total_macs <= g.total_macs);
  assert_string_equal(p.steps[18].result_indices, "akJ");
}

static double mac_cost(const path_step *st, void *ctx) {
  (*(int *)ctx)++;
  return (double)st->macs;
}

static double negative_cost(const path_step *st, void *ctx) {
  (void)st;
  (void)ctx;
  return -1.0;
}

/* SIZE, WRITE and CUSTOM beyond 16 operands: a path whose reported cost is the objective's. */
static void every_objective_beyond_the_exact_dp(void **state) {
  (void)state;
  tn_network net;
  chain20(&net);
  path macs, p;
  heat_error err;
  assert_int_equal(path_optimize(&net, NULL, &macs, &err), HEAT_OK);
  path_options opt;
  path_options_init(&opt);
  opt.objective = PATH_OBJECTIVE_SIZE;
  assert_int_equal(path_optimize(&net, &opt, &p, &err), HEAT_OK);
  assert_true(p.largest_intermediate <= macs.largest_intermediate);
  assert_true(p.cost == (double)p.largest_intermediate);
  opt.objective = PATH_OBJECTIVE_WRITE;
  assert_int_equal(path_optimize(&net, &opt, &p, &err), HEAT_OK);
  assert_true(p.total_written <= macs.total_written);
  int calls = 0;
  opt.objective = PATH_OBJECTIVE_CUSTOM;
  opt.step_cost = mac_cost;
  opt.step_cost_ctx = &calls;
  assert_int_equal(path_optimize(&net, &opt, &p, &err), HEAT_OK);
  assert_true(calls > 0);
  assert_true(p.cost == (double)p.total_macs);
  assert_int_equal(p.total_macs, macs.total_macs);
  opt.step_cost = negative_cost;
  assert_int_equal(path_optimize(&net, &opt, &p, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "step cost function returned -1"));
}

/* Pre-computation beyond 16 operands: static-only folds run first, offline. */
static void precompute_beyond_the_exact_dp(void **state) {
  (void)state;
  tn_network net;
  chain20(&net);
  heat_error err;
  assert_int_equal(tn_set_static(&net, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19", "static",
                                 &err),
                   HEAT_OK);
  path_options opt;
  path_options_init(&opt);
  opt.precompute = PATH_PRECOMPUTE_ALWAYS;
  path p;
  assert_int_equal(path_optimize(&net, &opt, &p, &err), HEAT_OK);
  assert_int_equal(p.n_precomputed, 18);
  assert_int_equal(p.n_steps, 19);
  assert_true(p.steps[18].lhs == 0);
  assert_true(p.stored_params_after <= p.stored_params_before);
}

/* A 17-operand TT-matrix layer (path_large.py's generator, seed 12) whose greedy orders cost
 * more than 2^63 MACs, as bench_path's tt-17 once did ("exceeds 2^63"): a path that fits
 * exists and is found. A network whose every path is past 2^63 is still an error. */
static void no_overflow_when_a_path_fits(void **state) {
  (void)state;
  tn_network net;
  load(&net,
       "abehknqtwzCFILORU,bcd,defg,ghij,jklm,mnop,pqrs,stuv,vwxy,yzAB,BCDE,EFGH,HIJK,KLMN,NOPQ,"
       "QRST,TUV->acfiloruxADGJMPSV",
       "384x3x4x5x8x5x5x5x3x4x8x2x8x5x8x5x8,3x4x13,13x4x4x10,10x5x6x12,12x8x3x9,9x5x5x9,"
       "9x5x4x10,10x5x4x10,10x3x2x13,13x4x4x9,9x8x7x12,12x2x4x14,14x8x6x10,10x5x5x4,4x8x8x6,"
       "6x5x2x15,15x8x5");
  path p, gr;
  heat_error err;
  assert_int_equal(path_greedy(&net, NULL, &gr, &err), HEAT_ERANGE);
  assert_int_equal(path_optimize(&net, NULL, &p, &err), HEAT_OK);
  assert_true(p.total_macs > 0 && p.total_macs < INT64_MAX);
  /* 17 operands, every step past 2^63: still HEAT_ERANGE. */
  char expr[256] = "", shapes[512] = "";
  for (int i = 0; i < 17; i++) {
    char t[64];
    snprintf(t, sizeof t, "%s%c%c", i ? "," : "", 'a' + i, 'a' + i + 1);
    strcat(expr, t);
    snprintf(t, sizeof t, "%s2000000000x2000000000", i ? "," : "");
    strcat(shapes, t);
  }
  strcat(expr, "->ar");
  load(&net, expr, shapes);
  assert_int_equal(path_optimize(&net, NULL, &p, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "exceeds 2^63"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(golden_networks_match_or_beat_opt_einsum),
      cmocka_unit_test(deterministic_for_a_seed),
      cmocka_unit_test(chain_is_solved_by_the_bounded_dp),
      cmocka_unit_test(disconnected_parts_are_solved_apart),
      cmocka_unit_test(every_objective_beyond_the_exact_dp),
      cmocka_unit_test(precompute_beyond_the_exact_dp),
      cmocka_unit_test(no_overflow_when_a_path_fits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
