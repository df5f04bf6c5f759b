/* Factorizations against numpy (tests/oracles/factorize_oracle.py -> data/factorize_expected.csv:
 * SVD, TT-SVD, HOSVD/HOOI, CP-ALS from an SVD start, the tt/ttm/tucker bounds),
 * the fast error path against the error of W' rebuilt from the factors, CP-ALS on an exact
 * low-rank tensor, and synthetic spectra against their closed form. The scale*.npy rows check
 * that W scaled by 1e-170, 1e153 and 1e200 gives numpy's unscaled ε. */
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
#include "workloads/synthetic.h"
#include "workloads/weights.h"

static void assert_close(double got, double want, double rel, const char *what) {
  if (!(fabs(got - want) <= rel * fabs(want)))
    fail_msg("%s: got %.15g, want %.15g (relative %.3g)", what, got, want,
             fabs(got - want) / fabs(want));
}

/* ε of W' rebuilt from f. */
static double direct_error(const wl_matrix *w, const wl_factors *f) {
  heat_error err;
  wl_matrix wp;
  assert_int_equal(wl_factors_reconstruct(f, &wp, &err), HEAT_OK);
  double eps;
  assert_int_equal(wl_matrix_rel_error(w, &wp, &eps, &err), HEAT_OK);
  wl_matrix_free(&wp);
  return eps;
}

static void numpy_oracle_agrees(void **state) {
  (void)state;
  FILE *fp = fopen("data/factorize_expected.csv", "r");
  assert_non_null(fp);
  char line[512];
  assert_non_null(fgets(line, sizeof line, fp)); /* header */
  int rows = 0;
  while (fgets(line, sizeof line, fp)) {
    char file[64], format[16], shape[64], ranks[64], kind[16];
    int sweeps;
    double want;
    assert_int_equal(sscanf(line, "%63[^,],%15[^,],%63[^,],%63[^,],%d,%15[^,],%lf", file, format,
                            shape, ranks, &sweeps, kind, &want),
                     7);
    char path[128], what[256];
    snprintf(path, sizeof path, "data/%s", file);
    snprintf(what, sizeof what, "%s %s %s %s sweeps %d %s", file, format, shape, ranks, sweeps,
             kind);
    heat_error err;
    wl_matrix w;
    assert_int_equal(wl_npy_read(path, &w, &err), HEAT_OK);
    wl_layer l;
    parse_layer(format, shape, ranks, &l);
    if (strcmp(kind, "exact") == 0) {
      wl_factor_options opt;
      wl_factor_options_init(&opt);
      opt.hooi_sweeps = sweeps;
      if (l.format == WL_FORMAT_CP) { /* a fixed number of sweeps from the SVD start */
        opt.cp_init = WL_CP_INIT_SVD;
        opt.cp_tol = 0.0;
        opt.cp_max_iters = sweeps;
      }
      wl_factors f;
      if (wl_factorize(&w, &l, &opt, &f, &err)) fail_msg("%s: %s", what, err.msg);
      assert_close(f.rel_error, want, 1e-6, what);
      /* W' rebuilt carries rounding of about eps·||W||: tiny errors compare absolutely */
      if (want > 1e-6)
        assert_close(direct_error(&w, &f), f.rel_error, 1e-9, what);
      else if (fabs(direct_error(&w, &f) - f.rel_error) > 1e-13)
        fail_msg("%s: W' rebuilt gives %.15g, the factorization %.15g", what,
                 direct_error(&w, &f), f.rel_error);
      assert_int_equal(f.n, l.format == WL_FORMAT_SVD      ? 2
                            : l.format == WL_FORMAT_TUCKER ? 1 + 2 * l.shape.d
                            : l.format == WL_FORMAT_TTM    ? l.shape.d
                            : l.format == WL_FORMAT_CP     ? 2 * l.shape.d + 1
                                                           : 2 * l.shape.d);
      if (l.format == WL_FORMAT_CP) assert_int_equal(f.iterations, sweeps);
      wl_factors_free(&f);
      if (l.format == WL_FORMAT_SVD) { /* Eckart–Young: the fast path is exact too */
        wl_spectra s;
        double eps;
        wl_error_kind k;
        assert_int_equal(wl_spectra_compute(&w, l.format, &l.shape, &s, &err), HEAT_OK);
        assert_int_equal(wl_spectra_error(&s, &l, &eps, &k, &err), HEAT_OK);
        assert_int_equal(k, WL_ERROR_EXACT);
        assert_close(eps, want, 1e-6, what);
        wl_spectra_free(&s);
      }
    } else {
      wl_spectra s;
      double eps;
      wl_error_kind k;
      assert_int_equal(wl_spectra_compute(&w, l.format, &l.shape, &s, &err), HEAT_OK);
      assert_int_equal(wl_spectra_error(&s, &l, &eps, &k, &err), HEAT_OK);
      assert_close(eps, want, 1e-6, what);
      /* one cut (TTM with d = 2) is a plain truncated SVD: exact */
      assert_int_equal(k, s.n == 1 ? WL_ERROR_EXACT : WL_ERROR_BOUND);
      wl_spectra_free(&s);
    }
    wl_matrix_free(&w);
    rows++;
  }
  fclose(fp);
  assert_int_equal(rows, 65); /* 33, and 8 per scaled copy of the 8 x 12 matrix (x 4) */
}

static void tt_rejects_ranks_above_the_tight_bound(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_npy_read("data/w48x64.npy", &w, &err), HEAT_OK);
  wl_layer l;
  /* r1 = 1 leaves step 2 a 3-row matrix: r2 = 12 would only pad zero columns (and overstate the
   * params), so it is rejected: r2 <= r1·dim2 = 3 */
  parse_layer("tt", "4x3x4:4x4x4", "1/12/4/4/4", &l);
  wl_factors f;
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "rank 2 of tt with shape 4x3x4:4x4x4 is 12; allowed 1..3"));
  parse_layer("tt", "4x3x4:4x4x4", "1/3/4/4/4", &l);
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_OK);
  assert_int_equal(f.dims[1][2], 3);
  assert_close(direct_error(&w, &f), f.rel_error, 1e-9, "tight tt");
  wl_factors_free(&f);
  wl_matrix_free(&w);
}

/* A W of low TTM rank: TT-SVD's tall second step (192 x 16) has singular values at rounding
 * level past the true rank, whose vectors the Gram path leaves zero; W' must still be W. */
static void tt_svd_of_a_low_rank_matrix_is_exact(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_matrix_alloc(&w, 48, 64, &err), HEAT_OK);
  for (int i = 0; i < 48; i++)
    for (int j = 0; j < 64; j++)
      w.data[i * 64 + j] = sin(0.3 * i) * cos(0.1 * j) + (1.0 + 0.01 * i) * (2.0 - 0.02 * j);
  wl_layer l;
  wl_factors f;
  /* TTM unfolding ranks are at most 8 (each term is TT rank 2 per side), the bounds 16 */
  parse_layer("ttm", "4x3x4:4x4x4", "16/16", &l);
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_OK);
  if (!(f.rel_error < 1e-7 && direct_error(&w, &f) < 1e-7))
    fail_msg("eps %g, direct %g", f.rel_error, direct_error(&w, &f));
  wl_factors_free(&f);
  wl_matrix_free(&w);
}

static void cp_als_recovers_an_exact_cp_tensor(void **state) {
  (void)state;
  /* W = sum_r a_r ∘ b_r ∘ c_r ∘ e_r over shape 4x5:6x3 with rank 3, factors of full column rank */
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_matrix_alloc(&w, 20, 18, &err), HEAT_OK);
  for (int i1 = 0; i1 < 4; i1++)
    for (int i2 = 0; i2 < 5; i2++)
      for (int j1 = 0; j1 < 6; j1++)
        for (int j2 = 0; j2 < 3; j2++) {
          double v = 0.0;
          for (int r = 0; r < 3; r++)
            v += (1.0 + r) * sin(1.0 + 0.7 * i1 * (r + 1) + r) * cos(0.5 * i2 + 1.7 * r) *
                 sin(0.3 + 1.1 * j1 + 2.3 * r) * cos(2.0 * j2 + 0.9 * r + 0.2);
          w.data[(i1 * 5 + i2) * 18 + j1 * 3 + j2] = v;
        }
  wl_layer l;
  parse_layer("cp", "4x5:6x3", "3", &l);
  wl_factor_options opt;
  wl_factor_options_init(&opt);
  opt.cp_tol = 1e-12;
  opt.cp_max_iters = 2000;
  wl_factors f, g;
  assert_int_equal(wl_factorize(&w, &l, &opt, &f, &err), HEAT_OK);
  if (!(f.rel_error < 1e-5)) fail_msg("eps %g after %d sweeps", f.rel_error, f.iterations);
  assert_int_equal(f.n, 5); /* four factors and the weight vector */
  assert_close(direct_error(&w, &f), f.rel_error, 1e-6, "cp exact");
  /* same seed, same factors; no weight vector folds λ into the first factor */
  l.cp_weights = false;
  assert_int_equal(wl_factorize(&w, &l, &opt, &g, &err), HEAT_OK);
  assert_int_equal(g.n, 4);
  assert_int_equal(g.iterations, f.iterations);
  assert_true(fabs(g.rel_error - f.rel_error) < 1e-9); /* same model, rounding apart */
  wl_factors_free(&f);
  wl_factors_free(&g);
  wl_matrix_free(&w);
}

/* Uneven sides (HEAT's 64x12:768 kind): the rank-3 tensor above with its inputs merged into
 * one mode (4x5:18) or its outputs merged (20:6x3) is still an exact rank-3 CP tensor, and
 * Tucker at full ranks reproduces it. */
static void uneven_shapes_factorize_exactly(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_matrix_alloc(&w, 20, 18, &err), HEAT_OK);
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 18; j++) {
      int i1 = i / 5, i2 = i % 5, j1 = j / 3, j2 = j % 3;
      double v = 0.0;
      for (int r = 0; r < 3; r++)
        v += (1.0 + r) * sin(1.0 + 0.7 * i1 * (r + 1) + r) * cos(0.5 * i2 + 1.7 * r) *
             sin(0.3 + 1.1 * j1 + 2.3 * r) * cos(2.0 * j2 + 0.9 * r + 0.2);
      w.data[i * 18 + j] = v;
    }
  wl_factor_options opt;
  wl_factor_options_init(&opt);
  opt.cp_tol = 1e-12;
  opt.cp_max_iters = 2000;
  static const char *shapes[] = {"4x5:18", "20:6x3"};
  for (int k = 0; k < 2; k++) {
    wl_layer l;
    wl_factors f;
    parse_layer("cp", shapes[k], "3", &l);
    assert_int_equal(wl_factorize(&w, &l, &opt, &f, &err), HEAT_OK);
    if (!(f.rel_error < 1e-5)) fail_msg("cp %s: eps %g", shapes[k], f.rel_error);
    assert_int_equal(f.n, 4); /* three factors and the weight vector */
    assert_close(direct_error(&w, &f), f.rel_error, 1e-6, "cp uneven");
    wl_factors_free(&f);
  }
  wl_layer l;
  wl_factors f;
  parse_layer("tucker", "4x5:18", "4/5/18", &l);
  assert_int_equal(wl_factorize(&w, &l, &opt, &f, &err), HEAT_OK);
  assert_true(f.rel_error < 1e-12);
  assert_true(direct_error(&w, &f) < 1e-12);
  wl_factors_free(&f);
  /* at ranks 3/3/3 the rank-3 CP tensor is still exact in Tucker form */
  parse_layer("tucker", "4x5:18", "3/3/3", &l);
  assert_int_equal(wl_factorize(&w, &l, &opt, &f, &err), HEAT_OK);
  assert_true(direct_error(&w, &f) < 1e-9);
  wl_factors_free(&f);
  wl_matrix_free(&w);
}

static void cp_als_on_real_data_reports_its_own_error(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_npy_read("data/w48x64.npy", &w, &err), HEAT_OK);
  wl_layer l;
  parse_layer("cp", "6x8:8x8", "10", &l);
  wl_factor_options opt;
  wl_factor_options_init(&opt);
  opt.cp_max_iters = 30;
  wl_factors f;
  assert_int_equal(wl_factorize(&w, &l, &opt, &f, &err), HEAT_OK);
  assert_true(f.rel_error > 0.0 && f.rel_error < 1.0);
  assert_true(f.iterations >= 2 && f.iterations <= 30);
  assert_close(direct_error(&w, &f), f.rel_error, 1e-12, "cp real");
  wl_factors_free(&f);
  wl_matrix_free(&w);
}

/* A rank-1 W fitted with R = 3: after one update every factor's columns are parallel, the
 * normal equations are singular and the least-squares fallback must carry on. */
static void cp_als_survives_singular_normal_equations(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_matrix_alloc(&w, 4, 4, &err), HEAT_OK);
  w.data[0] = 2.0;
  wl_layer l;
  parse_layer("cp", "2x2:2x2", "3", &l);
  wl_factors f;
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_OK);
  assert_true(f.rel_error < 1e-6);
  assert_true(fabs(direct_error(&w, &f) - f.rel_error) < 1e-12);
  wl_factors_free(&f);
  wl_matrix_free(&w);
}

static void synthetic_spectrum_has_the_chosen_decay(void **state) {
  (void)state;
  heat_error err;
  wl_synthetic s;
  assert_int_equal(
      wl_synthetic_parse("decay=exp:0.1,seed=5,structure=0,noise=0", "--synthetic", &s, &err),
      HEAT_OK);
  assert_int_equal(s.decay, WL_DECAY_EXP);
  wl_matrix w, w2;
  assert_int_equal(wl_synthetic_matrix(&s, 40, 30, &w, &err), HEAT_OK);
  wl_layer l;
  parse_layer("svd", "40:30", "7", &l);
  wl_factors f;
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_OK);
  double tail = 0.0, all = 0.0;
  for (int i = 0; i < 30; i++) {
    double si = exp(-0.1 * i);
    all += si * si;
    if (i >= 7) tail += si * si;
  }
  assert_close(f.rel_error, sqrt(tail / all), 1e-9, "exp decay");
  wl_factors_free(&f);
  assert_int_equal(wl_synthetic_matrix(&s, 40, 30, &w2, &err), HEAT_OK);
  assert_memory_equal(w.data, w2.data, 40 * 30 * sizeof(double));
  wl_matrix_free(&w2);
  s.seed = 6;
  assert_int_equal(wl_synthetic_matrix(&s, 40, 30, &w2, &err), HEAT_OK);
  assert_true(memcmp(w.data, w2.data, 40 * 30 * sizeof(double)) != 0);
  wl_matrix_free(&w2);
  wl_matrix_free(&w);
  char text[96];
  assert_int_equal(wl_synthetic_parse("decay=power:1.5", "--synthetic", &s, &err), HEAT_OK);
  wl_synthetic_describe(&s, text, sizeof text);
  assert_string_equal(text, "synthetic(decay=power:1.5,structure=0.9,noise=0.01,seed=1)");
  assert_int_equal(wl_synthetic_parse("structure=0.8,noise=0.3", "--synthetic", &s, &err),
                   HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "must not exceed 1"));
  assert_int_equal(wl_synthetic_parse("noise=2", "--synthetic", &s, &err), HEAT_ERANGE);
  assert_int_equal(wl_synthetic_parse("decay=linear:1", "--synthetic", &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown decay"));
  assert_int_equal(wl_synthetic_parse("decay=power", "--synthetic", &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "needs a rate"));
  assert_int_equal(wl_synthetic_parse("seed=-1", "--synthetic", &s, &err), HEAT_ERANGE);
  assert_int_equal(wl_synthetic_parse("colour=red", "--synthetic", &s, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--synthetic");
}

/* Tucker's error on a 96 x 128 weight at ranks r on every mode of the shape 8x12:8x16. */
static double synthetic_tucker_eps(const char *spec, const char *shape, int r) {
  heat_error err;
  wl_synthetic s;
  assert_int_equal(wl_synthetic_parse(spec, "--synthetic", &s, &err), HEAT_OK);
  wl_matrix w;
  assert_int_equal(wl_synthetic_matrix(&s, 96, 128, &w, &err), HEAT_OK);
  char ranks[32];
  snprintf(ranks, sizeof ranks, "%d/%d/%d/%d", r, r, r, r);
  wl_layer l;
  parse_layer("tucker", shape, ranks, &l);
  wl_factors f;
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_OK);
  double eps = f.rel_error;
  wl_factors_free(&f);
  wl_matrix_free(&w);
  return eps;
}

/* The default synthetic weight is smooth in its index: a Tucker factorization along any split
 * (8x12 and 12x8 alike) gains from rank, and noise is a floor; Haar singular vectors (the
 * pre-2026 generator, structure=0) leave Tucker nothing to find. */
static void synthetic_structure_gives_tensor_formats_a_tradeoff(void **state) {
  (void)state;
  const char *shapes[] = {"8x12:8x16", "12x8:16x8"};
  for (int k = 0; k < 2; k++) {
    double e2 = synthetic_tucker_eps("seed=3", shapes[k], 2);
    double e4 = synthetic_tucker_eps("seed=3", shapes[k], 4);
    double e8 = synthetic_tucker_eps("seed=3", shapes[k], 8);
    assert_true(e2 > e4 && e4 > e8);
    assert_true(e2 < 0.9);
    assert_true(e8 < 0.5);
    assert_true(e8 > 0.1); /* noise=0.01: ||N|| = 0.1 ||W|| is not removable */
  }
  double plain = synthetic_tucker_eps("seed=3,structure=0,noise=0", "8x12:8x16", 4);
  assert_true(plain > 0.8);
  assert_true(synthetic_tucker_eps("seed=3", "8x12:8x16", 4) < plain - 0.2);
}

static void factorize_rejects_mismatches(void **state) {
  (void)state;
  heat_error err;
  wl_matrix w;
  assert_int_equal(wl_npy_read("data/w48x64.npy", &w, &err), HEAT_OK);
  wl_layer l;
  wl_factors f;
  parse_layer("ttm", "6x8:8x9", "4", &l);
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--shape");
  assert_non_null(strstr(err.msg, "is 48 x 72 but the weight is 48 x 64"));
  parse_layer("ttm", "6x8:8x8", "49", &l);
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_ERANGE);
  assert_string_equal(err.where, "--ranks");
  parse_layer("cp", "6x8:8x8", "4", &l);
  wl_spectra s;
  assert_int_equal(wl_spectra_compute(&w, l.format, &l.shape, &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "cp has no error formula"));
  wl_matrix_free(&w);
  assert_int_equal(wl_matrix_alloc(&w, 4, 4, &err), HEAT_OK);
  parse_layer("svd", "4:4", "2", &l);
  assert_int_equal(wl_factorize(&w, &l, NULL, &f, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "all zeros"));
  wl_matrix_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(numpy_oracle_agrees),
      cmocka_unit_test(tt_rejects_ranks_above_the_tight_bound),
      cmocka_unit_test(tt_svd_of_a_low_rank_matrix_is_exact),
      cmocka_unit_test(cp_als_recovers_an_exact_cp_tensor),
      cmocka_unit_test(uneven_shapes_factorize_exactly),
      cmocka_unit_test(cp_als_on_real_data_reports_its_own_error),
      cmocka_unit_test(cp_als_survives_singular_normal_equations),
      cmocka_unit_test(synthetic_spectrum_has_the_chosen_decay),
      cmocka_unit_test(synthetic_structure_gives_tensor_formats_a_tradeoff),
      cmocka_unit_test(factorize_rejects_mismatches),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
