/* Budgets: the least reachable parameters/latency/energy of a space (each weight at its own
 * cheapest choice, dense included), the refusal naming the closest format, and the misses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "search/budget.h"

/* Two weights (block 0's q and k, each 10 x 10 dense: 100 params, latency 1, energy 1) with two
 * factorized choices: A (40 params, latency 2, energy 0.5) and B (60 params, latency 0.5,
 * energy 3). The dense model: 1000 params, latency 10, energy 10. */
static l1_point pts[2];
static l1_result l1;
static pricer p;
static int ch0[3] = {-1, 0, 1}, ch1[3] = {-1, 0, 1};
static int *choices[2] = {ch0, ch1};
static size_t n_choices[2] = {3, 3};

static s2_space space(void) {
  memset(&p, 0, sizeof p);
  for (int r = 0; r < 2; r++) {
    p.role_out[r] = p.role_in[r] = 10;
    p.dense_linear[r] = (price_cost){.latency_s = 1, .energy_j = 1};
  }
  pts[0] = (l1_point){.params = 40, .cost = {.latency_s = 2, .energy_j = 0.5}};
  pts[1] = (l1_point){.params = 60, .cost = {.latency_s = 0.5, .energy_j = 3}};
  l1.pts = pts;
  l1.n = 2;
  s2_space s;
  memset(&s, 0, sizeof s);
  s.l1 = &l1;
  s.p = &p;
  s.n_weights = 2;
  s.n_choices = n_choices;
  s.choices = choices;
  s.dense_latency = 10;
  s.dense_energy = 10;
  s.dense_params = 1000;
  return s;
}

static void test_bounds(void **state) {
  (void)state;
  s2_space s = space();
  s2_bounds b;
  s2_space_bounds(&s, &b);
  /* params: A on both (-60 each); latency: B on both (-0.5 each); energy: A on both */
  assert_true(b.params == 1000 - 120);
  assert_true(b.latency_s == 10 - 1);
  assert_true(b.energy_j == 10 - 1);
}

static void test_unreachable(void **state) {
  (void)state;
  s2_space s = space();
  const char *labels[] = {"cp"};
  s2_config c;
  s2_config_init(&c);
  heat_error err;
  c.max_params = 880;
  assert_int_equal(s2_budgets_reachable(&c, &s, labels, 1, &err), HEAT_OK);
  c.max_params = 800;
  assert_int_equal(s2_budgets_reachable(&c, &s, labels, 1, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--max-params");
  assert_string_equal(err.msg, "no plan has parameters <= 800: the closest is the cp plan with "
                               "every weight at its setting of least parameters, 880 (1.1x the "
                               "budget); raise the budget, or allow more formats or ranks");
  c.max_params = 0;
  c.max_latency_s = 4e-3;
  assert_int_equal(s2_budgets_reachable(&c, &s, labels, 1, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--max-latency");
  assert_non_null(strstr(err.msg, "latency <= 4 ms: the closest is the cp plan"));
  assert_non_null(strstr(err.msg, ", 9 s (2.25e+03x the budget)"));
  c.max_latency_s = 0;
  c.max_energy_j = 2e-6;
  assert_int_equal(s2_budgets_reachable(&c, &s, labels, 1, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "energy <= 2 uJ"));
  /* the mean error is always reachable (all dense) */
  c.max_energy_j = 0;
  c.max_error = 1e-9;
  assert_int_equal(s2_budgets_reachable(&c, &s, labels, 1, &err), HEAT_OK);
}

static void test_misses(void **state) {
  (void)state;
  s2_config c;
  s2_config_init(&c);
  c.max_error = 0.2;
  c.max_params = 45e6;
  c.max_latency_s = 5e-3;
  s2_eval e = {.eps_mean = 0.3, .params = 50000000, .latency_s = 4e-3, .energy_j = 1};
  char buf[400];
  assert_true(s2_budget_misses(&c, &e, buf, sizeof buf));
  assert_string_equal(buf, "mean eps 0.3 = 1.5x --max-error 0.2; params 50M = 1.11x "
                           "--max-params 45M");
  e.eps_mean = 0.1;
  e.params = 1;
  assert_false(s2_budget_misses(&c, &e, buf, sizeof buf));
  assert_string_equal(buf, "");
  s2_quantity_text(2.5e9, NULL, buf, sizeof buf);
  assert_string_equal(buf, "2.5G");
  s2_quantity_text(1500, NULL, buf, sizeof buf);
  assert_string_equal(buf, "1.5K");
  s2_quantity_text(3e-8, "J", buf, sizeof buf);
  assert_string_equal(buf, "30 nJ");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_unreachable),
      cmocka_unit_test(test_misses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
