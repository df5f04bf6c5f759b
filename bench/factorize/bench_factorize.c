/* Seconds for each factorization of a 768 x 3072 weight (BERT-base FFN2, out x in) and for
 * 20-rank sweeps. Targets (issue 4): one factorization < 1 s, a 20-rank sweep < 2 s.
 * Prints figures only. OpenBLAS threads: OPENBLAS_NUM_THREADS if set, else 1 (the machine is
 * shared); the count used is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "workloads/factorize.h"
#include "workloads/lapack_dl.h"
#include "workloads/synthetic.h"

#define REPS 3

static wl_layer make_layer(wl_format f, const char *shape, const int64_t *ranks, size_t n) {
  wl_layer l;
  memset(&l, 0, sizeof l);
  l.format = f;
  heat_error err;
  if (wl_shape_parse(shape, "shape", &l.shape, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  l.n_ranks = n;
  if (n) memcpy(l.rank, ranks, n * sizeof *ranks);
  l.cp_weights = true;
  return l;
}

static void die(const heat_error *err) {
  fprintf(stderr, "bench: %s: %s\n", err->where, err->msg);
  exit(1);
}

static void time_factorization(const char *label, const wl_matrix *w, const wl_layer *l,
                               const wl_factor_options *opt) {
  double t[REPS], eps = 0.0;
  int iters = 0;
  for (int r = 0; r < REPS; r++) {
    heat_error err;
    wl_factors f;
    double t0 = bench_now_s();
    if (wl_factorize(w, l, opt, &f, &err)) die(&err);
    t[r] = bench_now_s() - t0;
    eps = f.rel_error;
    iters = f.iterations;
    wl_factors_free(&f);
  }
  char ranks[128];
  wl_layer_format_ranks(l, ranks, sizeof ranks);
  printf("%-34s ranks %-18s eps %.6f  iters %3d  %.3f s (median of %d)\n", label, ranks, eps, iters,
         bench_median(t, REPS), REPS);
}

int main(int argc, char **argv) {
  bench_args(argc, argv,
      "usage: bench_factorize\n"
      "Seconds for each format's factorization of a 768 x 3072 weight and for 20-rank sweeps\n"
      "(targets: < 1 s and < 2 s). OPENBLAS_NUM_THREADS sets the BLAS threads (default 1).\n",
      0);
  if (!getenv("OPENBLAS_NUM_THREADS")) wl_lapack_threads(1);
  heat_error err;
  wl_synthetic syn;
  wl_synthetic_init(&syn);
  syn.rate = 0.5;
  wl_matrix w;
  double t0 = bench_now_s();
  if (wl_synthetic_matrix(&syn, 768, 3072, &w, &err)) die(&err);
  char desc[96];
  wl_synthetic_describe(&syn, desc, sizeof desc);
  printf("bench_factorize: 768 x 3072 %s, shape 8x8x12:12x16x16, OpenBLAS threads %d\n", desc,
         wl_lapack_threads_used());
  printf("%-34s %.3f s\n", "synthetic matrix", bench_now_s() - t0);

  wl_factor_options opt;
  wl_factor_options_init(&opt);
  const char *shape = "8x8x12:12x16x16";
  wl_layer l = make_layer(WL_FORMAT_SVD, shape, (int64_t[]){64}, 1);
  time_factorization("truncated SVD (dgesdd)", &w, &l, &opt);
  l = make_layer(WL_FORMAT_TTM, shape, (int64_t[]){32, 32}, 2);
  time_factorization("TT-SVD, ttm", &w, &l, &opt);
  l = make_layer(WL_FORMAT_TT, shape, (int64_t[]){8, 64, 96, 64, 16}, 5);
  time_factorization("TT-SVD, tt", &w, &l, &opt);
  l = make_layer(WL_FORMAT_TUCKER, shape, (int64_t[]){8, 8, 8, 8, 8, 8}, 6);
  time_factorization("HOSVD, tucker", &w, &l, &opt);
  opt.hooi_sweeps = 2;
  time_factorization("HOSVD + 2 HOOI sweeps, tucker", &w, &l, &opt);
  opt.hooi_sweeps = 0;
  l = make_layer(WL_FORMAT_CP, shape, (int64_t[]){64}, 1);
  opt.cp_tol = 1e-4;
  opt.cp_max_iters = 50;
  time_factorization("CP-ALS (tol 1e-4, <= 50 sweeps)", &w, &l, &opt);
  wl_factor_options_init(&opt);

  /* 20-rank sweeps: r = 4, 8, ..., 80 (tucker: 1..20, its modes have at most 16) */
  const wl_format sweep_formats[] = {WL_FORMAT_SVD, WL_FORMAT_TTM, WL_FORMAT_TT, WL_FORMAT_TUCKER};
  for (size_t fi = 0; fi < sizeof sweep_formats / sizeof sweep_formats[0]; fi++) {
    wl_format f = sweep_formats[fi];
    double t1 = bench_now_s();
    wl_spectra s;
    if (wl_spectra_compute(&w, f, &l.shape, &s, &err)) die(&err);
    double eps_last = 0.0;
    wl_error_kind kind = WL_ERROR_EXACT;
    int step = f == WL_FORMAT_TUCKER ? 1 : 4;
    for (int r = step; r <= 20 * step; r += step) {
      wl_layer sl = make_layer(f, shape, NULL, 0);
      int64_t up[WL_MAX_RANKS];
      sl.n_ranks = wl_layer_rank_upper(&sl, up);
      for (size_t k = 0; k < sl.n_ranks; k++) sl.rank[k] = r < up[k] ? r : up[k];
      if (wl_spectra_error(&s, &sl, &eps_last, &kind, &err)) die(&err);
    }
    wl_spectra_free(&s);
    char label[64];
    snprintf(label, sizeof label, "20-rank sweep, %s (spectra)", wl_format_name(f));
    printf("%-34s errors %-5s eps(r=%d) %.6f  %.3f s\n", label, wl_error_kind_name(kind), 20 * step,
           eps_last, bench_now_s() - t1);
  }
  const wl_format exact_formats[] = {WL_FORMAT_TTM, WL_FORMAT_TUCKER};
  for (size_t fi = 0; fi < 2; fi++) {
    double t1 = bench_now_s(), eps_last = 0.0;
    int step = exact_formats[fi] == WL_FORMAT_TUCKER ? 1 : 4;
    for (int r = step; r <= 20 * step; r += step) {
      wl_layer sl = make_layer(exact_formats[fi], shape, NULL, 0);
      int64_t up[WL_MAX_RANKS];
      sl.n_ranks = wl_layer_rank_upper(&sl, up);
      for (size_t k = 0; k < sl.n_ranks; k++) sl.rank[k] = r < up[k] ? r : up[k];
      wl_factors fac;
      if (wl_factorize(&w, &sl, &opt, &fac, &err)) die(&err);
      eps_last = fac.rel_error;
      wl_factors_free(&fac);
    }
    char label[64];
    snprintf(label, sizeof label, "20-rank sweep, %s (factorized)",
             wl_format_name(exact_formats[fi]));
    printf("%-34s errors exact eps(r=%d) %.6f  %.3f s\n", label, 20 * step, eps_last,
           bench_now_s() - t1);
  }
  wl_matrix_free(&w);
  return 0;
}
