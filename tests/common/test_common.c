/* Unit tests for the error record and the strict parsers in common/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/heat_error.h"
#include "common/heat_budget.h"
#include "common/heat_parse.h"
#include "common/heat_preset.h"

static void error_set_formats_where_and_message(void **state) {
  (void)state;
  heat_error err;
  int rc = heat_error_at(&err, HEAT_EINVAL, "a.cfg", 12, "bad %s", "thing");
  assert_int_equal(rc, HEAT_EINVAL);
  assert_string_equal(err.where, "a.cfg:12");
  assert_string_equal(err.msg, "bad thing");
  heat_error_prefix(&err, "layer %d", 3);
  assert_string_equal(err.msg, "layer 3: bad thing");
  assert_int_equal(heat_error_set(NULL, HEAT_EIO, "x", "ignored"), HEAT_EIO);
  heat_error_clear(&err);
  assert_int_equal(err.code, HEAT_OK);
}

static void exit_codes_follow_the_convention(void **state) {
  (void)state;
  assert_int_equal(heat_exit_code(HEAT_OK), 0);
  assert_int_equal(heat_exit_code(HEAT_EINVAL), 2);
  assert_int_equal(heat_exit_code(HEAT_ENOTFOUND), 2);
  assert_int_equal(heat_exit_code(HEAT_ERANGE), 2);
  assert_int_equal(heat_exit_code(HEAT_ENOFIT), 2);
  assert_int_equal(heat_exit_code(HEAT_ENOMEM), 1);
  assert_int_equal(heat_exit_code(HEAT_EINTERNAL), 1);
  assert_string_equal(heat_strerror(HEAT_ENOTFOUND), "not found");
  assert_string_equal(heat_strerror(12345), "unknown error");
}

static void parse_int_accepts_range_and_rejects_junk(void **state) {
  (void)state;
  heat_error err;
  int64_t v = 0;
  assert_int_equal(heat_parse_int64("384", 1, 1000, "--seq", &v, &err), HEAT_OK);
  assert_int_equal(v, 384);
  assert_int_equal(heat_parse_int64("38x", 1, 1000, "--seq", &v, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--seq");
  assert_non_null(strstr(err.msg, "'38x' is not an integer"));
  assert_int_equal(heat_parse_int64("0", 1, 1000, "--seq", &v, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "allowed 1..1000"));
  assert_int_equal(heat_parse_int64("", 1, 1000, "--seq", &v, &err), HEAT_EINVAL);
  assert_int_equal(heat_parse_int64(" 12", 1, 1000, "--seq", &v, &err), HEAT_EINVAL);
  assert_int_equal(heat_parse_int64("99999999999999999999", 1, INT64_MAX, "n", &v, &err),
                   HEAT_ERANGE);
}

static void parse_double_rejects_nonfinite(void **state) {
  (void)state;
  heat_error err;
  double v;
  assert_int_equal(heat_parse_double("1.5", 0, 10, "--clock", &v, &err), HEAT_OK);
  assert_true(v == 1.5);
  assert_int_equal(heat_parse_double("nan", 0, 10, "--clock", &v, &err), HEAT_ERANGE);
  assert_int_equal(heat_parse_double("1.5GHz", 0, 10, "--clock", &v, &err), HEAT_EINVAL);
  assert_int_equal(heat_parse_double("", 0, 10, "--clock", &v, &err), HEAT_EINVAL);
  assert_int_equal(heat_parse_double(" 1", 0, 10, "--clock", &v, &err), HEAT_EINVAL);
  /* underflow is not out of range: strtod sets ERANGE for a subnormal or zero result */
  assert_int_equal(heat_parse_double("1e-320", 0, 1, "--cp-tol", &v, &err), HEAT_OK);
  assert_true(v > 0 && v < 1e-300);
  assert_int_equal(heat_parse_double("1e-400", 0, 1, "--cp-tol", &v, &err), HEAT_OK);
  assert_true(v == 0);
  assert_int_equal(heat_parse_double("1e400", 0, 1e308, "--cp-tol", &v, &err), HEAT_ERANGE);
  assert_string_equal(err.where, "--cp-tol");
}

static void budgets_parse_units_and_bounds(void **state) {
  (void)state;
  heat_error err;
  int64_t v;
  assert_int_equal(heat_budget_parse("8G", "--max-memory", &v, &err), HEAT_OK);
  assert_true(v == INT64_C(8) << 30);
  assert_int_equal(heat_budget_parse("512MiB", "--max-memory", &v, &err), HEAT_OK);
  assert_true(v == INT64_C(512) << 20);
  assert_int_equal(heat_budget_parse("1048576", "--max-memory", &v, &err), HEAT_OK);
  assert_true(v == INT64_C(1) << 20);
  assert_int_equal(heat_budget_parse("1048575", "--max-memory", &v, &err), HEAT_ERANGE);
  assert_int_equal(heat_budget_parse("2000000T", "--max-memory", &v, &err), HEAT_ERANGE);
  assert_int_equal(heat_budget_parse("99999999999999999999999", "--max-memory", &v, &err),
                   HEAT_ERANGE);
  assert_int_equal(heat_budget_parse("-1G", "--max-memory", &v, &err), HEAT_EINVAL);
  assert_int_equal(heat_budget_parse("4 G", "--max-memory", &v, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--max-memory");
  assert_true(heat_budget_default() >= INT64_C(1) << 20);
  assert_int_equal(heat_budget_check(2e9, INT64_C(1) << 30, "--max-memory", "x", &err),
                   HEAT_ERANGE);
  assert_string_equal(err.msg, "x needs about 1.9 GiB, more than the memory budget of 1.0 GiB; "
                               "lower the request or raise --max-memory (default: half the "
                               "physical memory)");
  assert_int_equal(heat_budget_check(1e9, INT64_C(1) << 30, "--max-memory", "x", &err), HEAT_OK);
}

static void parse_list_splits_and_bounds(void **state) {
  (void)state;
  heat_error err;
  int64_t out[4];
  size_t n = 0;
  assert_int_equal(heat_parse_int64_list("12x16x16", 'x', 1, 1 << 20, "--shape", out, 4, &n, &err),
                   HEAT_OK);
  assert_int_equal(n, 3);
  assert_int_equal(out[2], 16);
  assert_int_equal(heat_parse_int64_list("1,2,3,4,5", ',', 1, 9, "--ranks", out, 4, &n, &err),
                   HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "at most 4"));
  assert_int_equal(heat_parse_int64_list("1,,2", ',', 1, 9, "--ranks", out, 4, &n, &err),
                   HEAT_EINVAL);
  assert_int_equal(heat_parse_int64_list("", ',', 1, 9, "--ranks", out, 4, &n, &err), HEAT_EINVAL);
  assert_int_equal(heat_parse_int64_list("1,0", ',', 1, 9, "--ranks", out, 4, &n, &err),
                   HEAT_ERANGE);
}

static void presets_are_found_and_unknown_names_list_them(void **state) {
  (void)state;
  static const heat_preset table[] = {{"tpu-32", "a = 1;"}, {"edge-16", "a = 2;"}};
  assert_ptr_equal(heat_preset_find(table, 2, "edge-16"), &table[1]);
  assert_null(heat_preset_find(table, 2, "edge"));
  heat_error err;
  assert_int_equal(heat_preset_unknown(table, 2, "accelerator", "tpu32", &err), HEAT_ENOTFOUND);
  assert_string_equal(err.msg, "unknown accelerator 'tpu32'; known presets: tpu-32, edge-16 "
                               "(or give a path to a .cfg file)");
  assert_true(heat_preset_is_path("dir/x"));
  assert_true(heat_preset_is_path("mine.cfg"));
  assert_true(heat_preset_is_path("CMakeLists.txt")); /* an existing file in the test folder */
  assert_false(heat_preset_is_path("tpu-32"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(error_set_formats_where_and_message),
      cmocka_unit_test(exit_codes_follow_the_convention),
      cmocka_unit_test(parse_int_accepts_range_and_rejects_junk),
      cmocka_unit_test(parse_double_rejects_nonfinite),
      cmocka_unit_test(parse_list_splits_and_bounds),
      cmocka_unit_test(budgets_parse_units_and_bounds),
      cmocka_unit_test(presets_are_found_and_unknown_names_list_them),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
