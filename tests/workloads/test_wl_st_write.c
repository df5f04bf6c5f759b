/* The safetensors writer: factors saved and read back through heat's own (strict) reader give
 * the same values and the same ε; the header is 8-byte aligned; every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "workloads/factorize.h"
#include "workloads/safetensors_write.h"
#include "workloads/synthetic.h"
#include "workloads/weights.h"

static char dir[64], path[128];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/heat-st-write-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(path, sizeof path, "%s/f.safetensors", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(path);
  rmdir(dir);
  return 0;
}

/* Factorizes a synthetic 48 x 64 weight as TTM, saves the factors in dtype t, reads them back
 * and rebuilds W'. */
static void round_trip(wl_st_dtype t) {
  heat_error err;
  wl_synthetic syn;
  wl_synthetic_init(&syn);
  wl_matrix w, rebuilt;
  assert_int_equal(wl_synthetic_matrix(&syn, 48, 64, &w, &err), HEAT_OK);
  wl_layer l = {.format = WL_FORMAT_TTM};
  assert_int_equal(wl_shape_parse("4x3x4:4x4x4", "test", &l.shape, &err), HEAT_OK);
  l.n_ranks = 2;
  l.rank[0] = 6;
  l.rank[1] = 9;
  wl_factor_options fo;
  wl_factor_options_init(&fo);
  wl_factors f;
  assert_int_equal(wl_factorize(&w, &l, &fo, &f, &err), HEAT_OK);
  wl_st_writer *sw;
  assert_int_equal(wl_st_writer_open(path, t, &sw, &err), HEAT_OK);
  assert_int_equal(wl_st_writer_meta(sw, "format", "pt", &err), HEAT_OK);
  char name[64];
  for (size_t k = 0; k < f.n; k++) {
    snprintf(name, sizeof name, "w.ttm.factor%zu", k);
    assert_int_equal(wl_st_writer_add(sw, name, f.data[k], f.order[k], f.dims[k], &err), HEAT_OK);
  }
  assert_int_equal(wl_st_writer_close(sw, &err), HEAT_OK);
  /* the header (after its 8-byte length) ends on a multiple of 8 */
  FILE *fp = fopen(path, "rb");
  unsigned char b[8];
  assert_int_equal(fread(b, 1, 8, fp), 8);
  fclose(fp);
  assert_int_equal(b[0] % 8, 0);
  wl_tensor_info *info;
  size_t n;
  assert_int_equal(wl_safetensors_list(path, &info, &n, &err), HEAT_OK);
  assert_int_equal(n, f.n);
  free(info);
  wl_factors g = f;
  for (size_t k = 0; k < f.n; k++) {
    wl_tensor_info ti;
    snprintf(name, sizeof name, "w.ttm.factor%zu", k);
    assert_int_equal(wl_safetensors_read_tensor(path, name, &ti, &g.data[k], &err), HEAT_OK);
    assert_string_equal(ti.dtype, wl_st_dtype_name(t));
    assert_int_equal(ti.ndim, f.order[k]);
    int64_t numel = 1;
    for (size_t d = 0; d < ti.ndim; d++) {
      assert_int_equal(ti.shape[d], f.dims[k][d]);
      numel *= ti.shape[d];
    }
    for (int64_t i = 0; i < numel; i++) {
      double want = t == WL_ST_F64 ? f.data[k][i] : (double)(float)f.data[k][i];
      assert_true(g.data[k][i] == want);
    }
  }
  double eps_saved, eps;
  assert_int_equal(wl_factors_reconstruct(&f, &rebuilt, &err), HEAT_OK);
  assert_int_equal(wl_matrix_rel_error(&w, &rebuilt, &eps, &err), HEAT_OK);
  wl_matrix_free(&rebuilt);
  assert_int_equal(wl_factors_reconstruct(&g, &rebuilt, &err), HEAT_OK);
  assert_int_equal(wl_matrix_rel_error(&w, &rebuilt, &eps_saved, &err), HEAT_OK);
  wl_matrix_free(&rebuilt);
  if (t == WL_ST_F64) assert_true(eps_saved == eps);
  else assert_true(eps_saved > eps - 1e-6 && eps_saved < eps + 1e-6);
  assert_true(eps > 0.1 && eps < 1.0);
  for (size_t k = 0; k < g.n; k++) free(g.data[k]);
  wl_factors_free(&f);
  wl_matrix_free(&w);
}

static void factors_round_trip_f64(void **state) {
  (void)state;
  round_trip(WL_ST_F64);
}

static void factors_round_trip_f32(void **state) {
  (void)state;
  round_trip(WL_ST_F32);
}

static void writer_refuses_bad_tensors(void **state) {
  (void)state;
  heat_error err;
  wl_st_writer *sw;
  double v[4] = {1, 2, 3, 1e300};
  int64_t shape[2] = {2, 2}, zero[1] = {0};
  unlink(path);
  assert_int_equal(wl_st_writer_open(path, WL_ST_F32, &sw, &err), HEAT_OK);
  assert_int_equal(wl_st_writer_add(sw, "a", v, 1, shape, &err), HEAT_OK);
  assert_int_equal(wl_st_writer_add(sw, "a", v, 1, shape, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "tensor name 'a' is empty, reserved or used twice"));
  assert_int_equal(wl_st_writer_add(sw, "__metadata__", v, 1, shape, &err), HEAT_EINVAL);
  assert_int_equal(wl_st_writer_add(sw, "b", v, 0, shape, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "has 0 dims (1..8 allowed)"));
  assert_int_equal(wl_st_writer_add(sw, "c", v, 1, zero, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "bad size 0 of dim 0"));
  assert_int_equal(wl_st_writer_add(sw, "d", v, 2, shape, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "element 3 (1e+300) is beyond the F32 range; save as F64"));
  assert_int_equal(wl_st_writer_meta(sw, "k", "v", &err), HEAT_OK);
  assert_int_equal(wl_st_writer_meta(sw, "k", "w", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "metadata key 'k' used twice"));
  wl_st_writer_abort(sw);
  assert_int_equal(access(path, F_OK), -1); /* nothing written */
  wl_st_dtype t;
  assert_int_equal(wl_st_dtype_parse("F16", "--save-dtype", &t, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--save-dtype");
  assert_non_null(strstr(err.msg, "'F16' is not a dtype heat writes; use F32 or F64"));
}

static void writer_reports_unwritable_path(void **state) {
  (void)state;
  heat_error err;
  wl_st_writer *sw;
  assert_int_equal(wl_st_writer_open("/nonexistent/dir/f.safetensors", WL_ST_F64, &sw, &err),
                   HEAT_EIO);
  assert_string_equal(err.where, "/nonexistent/dir/f.safetensors");
  assert_non_null(strstr(err.msg, "cannot write: No such file or directory"));
}

static void reader_of_any_shape_refuses_missing_tensor(void **state) {
  (void)state;
  heat_error err;
  wl_tensor_info ti;
  double *d = NULL;
  assert_int_equal(wl_safetensors_read_tensor("data/small.safetensors", "nope", &ti, &d, &err),
                   HEAT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no tensor named 'nope'"));
  assert_null(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(factors_round_trip_f64),
      cmocka_unit_test(factors_round_trip_f32),
      cmocka_unit_test(writer_refuses_bad_tensors),
      cmocka_unit_test(writer_reports_unwritable_path),
      cmocka_unit_test(reader_of_any_shape_refuses_missing_tensor),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
