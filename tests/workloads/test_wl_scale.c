/* ε is scale-invariant: W scaled by 1e-170, 1e153 and 1e200 (whose squares under- or overflow)
 * gives the ε of W itself, for every format and for the fast error path; W' rebuilt from the
 * factors is W' of the scaled W. The TT/HOSVD error bound is capped at 1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/heat_parse.h"
#include "tests/workloads/wl_test_layer.h"
#include "workloads/factorize.h"
#include "workloads/weights.h"

static void scaled(const wl_matrix *w, double by, wl_matrix *out) {
  heat_error err;
  assert_int_equal(wl_matrix_alloc(out, w->rows, w->cols, &err), HEAT_OK);
  for (int64_t i = 0; i < w->rows * w->cols; i++) out->data[i] = w->data[i] * by;
}

static const struct {
  const char *format, *shape, *ranks;
} layers[] = {
    {"svd", "48:64", "5"},
    {"tt", "4x3x4:4x4x4", "2/3/4/4/3"},
    {"ttm", "4x3x4:4x4x4", "6/9"},
    {"tucker", "4x3x4:4x4x4", "3/2/3/3/4/2"},
    {"cp", "4x3x4:4x4x4", "4"},
};
static const double scales[] = {1e-170, 1e153, 1e200};

static void factorization_error_is_scale_invariant(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_npy_read("data/w48x64.npy", &w, &err), HEAT_OK);
  wl_factor_options opt;
  wl_factor_options_init(&opt);
  opt.cp_init = WL_CP_INIT_SVD;
  opt.cp_max_iters = 20;
  for (size_t k = 0; k < sizeof layers / sizeof *layers; k++) {
    wl_layer l;
    parse_layer(layers[k].format, layers[k].shape, layers[k].ranks, &l);
    wl_factors f;
    assert_int_equal(wl_factorize(&w, &l, &opt, &f, &err), HEAT_OK);
    double want = f.rel_error;
    wl_factors_free(&f);
    for (size_t s = 0; s < sizeof scales / sizeof *scales; s++) {
      wl_matrix ws, wp;
      scaled(&w, scales[s], &ws);
      if (wl_factorize(&ws, &l, &opt, &f, &err) != HEAT_OK)
        fail_msg("%s at scale %g: %s: %s", layers[k].format, scales[s], err.where, err.msg);
      if (!(fabs(f.rel_error - want) <= 1e-9))
        fail_msg("%s at scale %g: eps %.15g, unscaled %.15g", layers[k].format, scales[s],
                 f.rel_error, want);
      /* the factors carry the scale back: W' is close to the scaled W (rebuilt entry by entry,
       * compared relative to the scale so the test's own sums stay in range) */
      assert_int_equal(wl_factors_reconstruct(&f, &wp, &err), HEAT_OK);
      double num = 0.0, den = 0.0;
      for (int64_t i = 0; i < w.rows * w.cols; i++) {
        double a = ws.data[i] / scales[s], b = wp.data[i] / scales[s];
        num += (a - b) * (a - b);
        den += a * a;
      }
      if (!(fabs(sqrt(num / den) - want) <= 1e-9))
        fail_msg("%s at scale %g: rebuilt eps %.15g, want %.15g", layers[k].format, scales[s],
                 sqrt(num / den), want);
      wl_matrix_free(&wp);
      wl_factors_free(&f);
      wl_matrix_free(&ws);
    }
  }
  wl_matrix_free(&w);
}

static void fast_error_is_scale_invariant(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_npy_read("data/w48x64.npy", &w, &err), HEAT_OK);
  for (size_t k = 0; k < sizeof layers / sizeof *layers; k++) {
    wl_layer l;
    parse_layer(layers[k].format, layers[k].shape, layers[k].ranks, &l);
    if (l.format == WL_FORMAT_CP) continue;
    wl_spectra sp;
    double want, eps;
    wl_error_kind kind;
    assert_int_equal(wl_spectra_compute(&w, l.format, &l.shape, &sp, &err), HEAT_OK);
    assert_int_equal(wl_spectra_error(&sp, &l, &want, &kind, &err), HEAT_OK);
    wl_spectra_free(&sp);
    for (size_t s = 0; s < sizeof scales / sizeof *scales; s++) {
      wl_matrix ws;
      scaled(&w, scales[s], &ws);
      assert_int_equal(wl_spectra_compute(&ws, l.format, &l.shape, &sp, &err), HEAT_OK);
      assert_int_equal(wl_spectra_error(&sp, &l, &eps, &kind, &err), HEAT_OK);
      if (!(fabs(eps - want) <= 1e-9))
        fail_msg("%s at scale %g: fast eps %.15g, unscaled %.15g", layers[k].format, scales[s],
                 eps, want);
      wl_spectra_free(&sp);
      wl_matrix_free(&ws);
    }
  }
  wl_matrix_free(&w);
}

/* Rank 1 everywhere on 6 TT unfoldings of a full-rank W: each tail is most of ||W||², their sum
 * several times it; the projection's error is still at most ||W||. */
static void bound_is_capped_at_one(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_npy_read("data/w48x64.npy", &w, &err), HEAT_OK);
  const char *fmt[] = {"tt", "tucker"};
  const char *ranks[] = {"1/1/1/1/1", "1/1/1/1/1/1"};
  for (int k = 0; k < 2; k++) {
    wl_layer l;
    parse_layer(fmt[k], "4x3x4:4x4x4", ranks[k], &l);
    wl_spectra sp;
    double eps, raw = 0.0;
    wl_error_kind kind;
    assert_int_equal(wl_spectra_compute(&w, l.format, &l.shape, &sp, &err), HEAT_OK);
    for (size_t u = 0; u < sp.n; u++)
      for (size_t i = 1; i < sp.len[u]; i++) raw += sp.sv[u][i] * sp.sv[u][i];
    assert_true(sqrt(raw / sp.norm2) > 1.5); /* the uncapped sum would exceed 1 */
    assert_int_equal(wl_spectra_error(&sp, &l, &eps, &kind, &err), HEAT_OK);
    assert_int_equal(kind, WL_ERROR_BOUND);
    assert_true(eps == 1.0);
    wl_factors f;
    assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_OK);
    assert_true(f.rel_error <= 1.0);
    wl_factors_free(&f);
    wl_spectra_free(&sp);
  }
  wl_matrix_free(&w);
}

static void non_finite_and_zero_weights_are_rejected(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_matrix_alloc(&w, 4, 4, &err), HEAT_OK);
  wl_layer l;
  parse_layer("svd", "4:4", "2", &l);
  wl_factors f;
  wl_spectra sp;
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "all zeros"));
  assert_int_equal(wl_spectra_compute(&w, l.format, &l.shape, &sp, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "all zeros"));
  w.data[5] = INFINITY;
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "element [1, 1] is Inf"));
  wl_matrix_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(factorization_error_is_scale_invariant),
      cmocka_unit_test(fast_error_is_scale_invariant),
      cmocka_unit_test(bound_is_capped_at_one),
      cmocka_unit_test(non_finite_and_zero_weights_are_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
