/* The SystemC kernel runs from C and counts the cycles it was asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim.h"

static void bad_arguments_are_rejected_before_elaboration(void **state) {
  (void)state;
  sim_clock_check res;
  heat_error err;
  assert_int_equal(sim_clock_run(0.0, 10, &res, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "clock");
  assert_int_equal(sim_clock_run(1.0, 0, &res, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "cycles");
}

static void one_run_counts_every_edge_and_a_second_is_refused(void **state) {
  (void)state;
  sim_clock_check res;
  heat_error err;
  assert_int_equal(sim_clock_run(2.0, 7, &res, &err), HEAT_OK);
  assert_int_equal(res.rising_edges_seen, 7);
  assert_true(res.simulated_ns > 3.49 && res.simulated_ns < 3.51); /* 7 cycles at 2 GHz */
  assert_int_equal(sim_clock_run(2.0, 7, &res, &err), HEAT_EINTERNAL);
  assert_non_null(strstr(err.msg, "one simulation per process"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bad_arguments_are_rejected_before_elaboration),
      cmocka_unit_test(one_run_counts_every_edge_and_a_second_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
