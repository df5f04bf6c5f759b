/* The accuracy model fitted to measured accuracies: the least-squares line (checked against
 * closed-form sums), the monotone clamp, CSV details (quotes, comments, column order) and the
 * error paths with file:line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "search/accuracy.h"

static char path[256];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/heat-test-acc-%ld.csv", (long)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove(path);
  return 0;
}

static void spit(const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_exact_line(void **state) {
  (void)state;
  /* points on acc = 0.9 - 0.05 eps: the fit is exact; columns in another order, quotes,
   * an escaped quote, comments and blank lines */
  spit("# measured\naccuracy,\"plan name\",eps_mean\n0.9,\"dense, \"\"all\"\"\",0\n\n"
       "0.875, svd ,0.5\n  # more\n0.85,cp,1\n0.8,tt,2\n");
  acc_fit f;
  heat_error err;
  assert_int_equal(acc_fit_file(path, &f, &err), HEAT_OK);
  assert_int_equal(f.n, 4);
  assert_true(fabs(f.c0 - 0.9) < 1e-12);
  assert_true(fabs(f.c1 + 0.05) < 1e-12);
  assert_true(fabs(f.r2 - 1) < 1e-9);
  assert_true(f.rmse < 1e-9);
  assert_false(f.clamped);
  assert_true(f.eps_min == 0 && f.eps_max == 2);
  char text[300];
  acc_fit_text(&f, "/some/dir/acc.csv", text, sizeof text);
  /* the RMSE is rounding noise here */
  assert_non_null(strstr(text, "acc model fitted to acc.csv (4 measured plans, eps 0..2; R^2 "
                               "1.000, RMSE "));
  assert_non_null(strstr(text, "): acc = max(0, 0.9 - 0.05 * mean eps)"));
}

static void test_least_squares_and_clamp(void **state) {
  (void)state;
  /* x = 0, 1, 2; y = 0.8, 0.9, 0.85: slope 0.025 > 0 -> clamped to the mean 0.85 */
  spit("eps_mean,accuracy\n0,0.8\n1,0.9\n2,0.85\n");
  acc_fit f;
  heat_error err;
  assert_int_equal(acc_fit_file(path, &f, &err), HEAT_OK);
  assert_true(f.clamped);
  assert_true(f.c1 == 0);
  assert_true(fabs(f.c0 - 0.85) < 1e-12);
  assert_true(fabs(f.r2) < 1e-12); /* a constant explains none of the variance */
  /* x = 0, 1, 2; y = 0.9, 0.8, 0.85: c1 = -0.025, c0 = 0.875 (closed form) */
  spit("eps_mean,accuracy\n0,0.9\n1,0.8\n2,0.85\n");
  assert_int_equal(acc_fit_file(path, &f, &err), HEAT_OK);
  assert_false(f.clamped);
  assert_true(fabs(f.c1 + 0.025) < 1e-12);
  assert_true(fabs(f.c0 - 0.875) < 1e-12);
  /* residuals 0.025, -0.05, 0.025: rss 0.00375, tss 0.005 */
  assert_true(fabs(f.r2 - 0.25) < 1e-9);
  assert_true(fabs(f.rmse - sqrt(0.00375 / 3)) < 1e-12);
}

static void expect_error(const char *text, int code, int line, const char *msg) {
  spit(text);
  acc_fit f;
  heat_error err;
  assert_int_equal(acc_fit_file(path, &f, &err), code);
  char where[300];
  if (line) snprintf(where, sizeof where, "%s:%d", path, line);
  else snprintf(where, sizeof where, "%s", path);
  assert_string_equal(err.where, where);
  if (!strstr(err.msg, msg)) fail_msg("'%s' lacks '%s'", err.msg, msg);
}

static void test_errors(void **state) {
  (void)state;
  expect_error("", HEAT_EINVAL, 0, "no header and no rows");
  expect_error("eps,acc\n", HEAT_EINVAL, 1, "must name the columns eps_mean and accuracy");
  expect_error("eps_mean,eps_mean,accuracy\n", HEAT_EINVAL, 1, "column 'eps_mean' given twice");
  expect_error("eps_mean,accuracy\n0,0.9\n-1,0.8\n", HEAT_EINVAL, 3, "eps_mean: -1 is outside");
  expect_error("eps_mean,accuracy\n0,nan\n", HEAT_EINVAL, 2, "accuracy: 'nan' is not a number");
  expect_error("eps_mean,accuracy\n0,1.5\n", HEAT_EINVAL, 2, "give a fraction");
  expect_error("eps_mean,accuracy\n0,\n", HEAT_EINVAL, 2, "accuracy: '' is not a number");
  expect_error("eps_mean,accuracy\n0,0.9,1\n", HEAT_EINVAL, 2, "3 fields, the header has 2");
  expect_error("eps_mean,accuracy\n\"0,0.9\n", HEAT_EINVAL, 2, "a quoted field is not closed");
  expect_error("eps_mean,accuracy\n0,0.9\n1,0.8\n", HEAT_EINVAL, 3, "2 plan(s); at least 3");
  expect_error("eps_mean,accuracy\n1,0.9\n1,0.8\n1,0.7\n", HEAT_EINVAL, 0,
               "every plan has eps_mean 1");
  FILE *f = fopen(path, "w");
  fwrite("eps_mean,accuracy\n0,0.9\0\n", 1, 26, f);
  fclose(f);
  acc_fit fit;
  heat_error err;
  assert_int_equal(acc_fit_file(path, &fit, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "a NUL byte"));
  remove(path);
  assert_int_equal(acc_fit_file(path, &fit, &err), HEAT_EIO);
  assert_non_null(strstr(err.msg, "cannot open"));
  assert_int_equal(acc_fit_file("/tmp", &fit, &err), HEAT_EIO);
  assert_non_null(strstr(err.msg, "not a regular file"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_exact_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_least_squares_and_clamp, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
