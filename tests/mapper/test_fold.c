/* Per-fold timing: every SCALE-Sim golden (tests/oracles/scalesim_folds.py, which checks itself
 * against SCALESIM.md's table) and the overlap and vector models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/fold.h"

static arch_array systolic(int r, int c) {
  arch_array a;
  memset(&a, 0, sizeof a);
  a.kind = ARCH_ARRAY_SYSTOLIC;
  a.rows = r;
  a.cols = c;
  a.dataflows = 7;
  a.weights_double_buffered = true;
  return a;
}

static void scalesim_goldens_match(void **state) {
  (void)state;
  FILE *f = fopen("scalesim_golden.csv", "r");
  assert_non_null(f);
  char line[512];
  assert_non_null(fgets(line, sizeof line, f)); /* header */
  int rows = 0, rect = 0;
  long long m, n, k, r, c, cyc, total, ifm, flt, ofm;
  char df[4];
  while (fscanf(f, "%lld,%lld,%lld,%lld,%lld,%2[a-z],%lld,%lld,%lld,%lld,%lld", &m, &n, &k, &r,
                &c, df, &cyc, &total, &ifm, &flt, &ofm) == 11) {
    arch_array arr = systolic((int)r, (int)c);
    arch_dataflow d = strcmp(df, "os") == 0   ? ARCH_DATAFLOW_OS
                      : strcmp(df, "ws") == 0 ? ARCH_DATAFLOW_WS
                                              : ARCH_DATAFLOW_IS;
    fold_stats s;
    fold_eval(&arr, d, FOLD_TIMING_SCALESIM, 1, m, k, n, &s);
    if (s.cycles != cyc || s.input_reads != ifm || s.weight_reads != flt ||
        s.output_writes != ofm)
      fail_msg("%lld,%lld,%lld on %lldx%lld %s: got %lld cycles %lld/%lld/%lld, want %lld "
               "%lld/%lld/%lld",
               m, n, k, r, c, df, (long long)s.cycles, (long long)s.input_reads,
               (long long)s.weight_reads, (long long)s.output_writes, cyc, ifm, flt, ofm);
    assert_int_equal(s.cycles, total + 1);
    assert_int_equal(fold_cycles(&arr, d, FOLD_TIMING_SCALESIM, 1, m, k, n), cyc);
    assert_int_equal(s.macs, m * n * k);
    rows++;
    rect += r != c;
  }
  fclose(f);
  assert_int_equal(rows, 8 * 3 + 7 * 7 * 3);
  assert_true(rect >= 40);
}

/* The table rows of SCALESIM.md, written out here as well so a broken CSV cannot hide them. */
static void reference_table_rows(void **state) {
  (void)state;
  arch_array a32 = systolic(32, 32);
  assert_int_equal(fold_cycles(&a32, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 1, 128, 768, 768),
                   79679 + 1);
  assert_int_equal(fold_cycles(&a32, ARCH_DATAFLOW_WS, FOLD_TIMING_SCALESIM, 1, 128, 768, 768),
                   127871 + 1);
  assert_int_equal(fold_cycles(&a32, ARCH_DATAFLOW_IS, FOLD_TIMING_SCALESIM, 1, 128, 768, 768),
                   82751 + 1);
  arch_array a128 = systolic(128, 128);
  assert_int_equal(fold_cycles(&a128, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 1, 64, 64, 64),
                   317 + 1);
  fold_stats s;
  fold_eval(&a32, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 1, 128, 768, 768, &s);
  assert_int_equal(s.input_reads, 2359296);
  assert_int_equal(s.weight_reads, 2359296);
  assert_int_equal(s.output_writes, 104448);
  fold_eval(&a32, ARCH_DATAFLOW_WS, FOLD_TIMING_SCALESIM, 1, 128, 768, 768, &s);
  assert_int_equal(s.input_reads, 2359296);
  assert_int_equal(s.weight_reads, 589824);
  assert_int_equal(s.output_writes, 2359296);
}

static void overlap_hides_loads_between_folds(void **state) {
  (void)state;
  arch_array a = systolic(32, 32);
  fold_stats s;
  /* WS 64x64x64: 4 folds of 2*32+32+64-2 = 158; overlapped: 158 + 3 * max(64, 32). */
  fold_eval(&a, ARCH_DATAFLOW_WS, FOLD_TIMING_OVERLAP, 1, 64, 64, 64, &s);
  assert_int_equal(s.folds, 4);
  assert_int_equal(s.fold_cycles, 158);
  assert_int_equal(s.cycles, 158 + 3 * 64);
  /* Streams shorter than the load: the pace is the load, R = 32. */
  fold_eval(&a, ARCH_DATAFLOW_WS, FOLD_TIMING_OVERLAP, 2, 8, 64, 64, &s);
  assert_int_equal(s.cycles, (64 + 32 + 8 - 2) + (2 * 4 - 1) * 32);
  /* One fold: both modes agree. */
  assert_int_equal(fold_cycles(&a, ARCH_DATAFLOW_OS, FOLD_TIMING_OVERLAP, 1, 32, 100, 32),
                   fold_cycles(&a, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 1, 32, 100, 32));
  /* Batches are folds in sequence: scalesim multiplies, overlap pipelines them. */
  assert_int_equal(fold_cycles(&a, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 3, 64, 64, 64),
                   3 * fold_cycles(&a, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 1, 64, 64, 64));
  for (int64_t m = 1; m < 300; m += 37)
    for (int df = 0; df < 3; df++) {
      int64_t o = fold_cycles(&a, (arch_dataflow)df, FOLD_TIMING_OVERLAP, 1, m, 200, 90);
      int64_t sc = fold_cycles(&a, (arch_dataflow)df, FOLD_TIMING_SCALESIM, 1, m, 200, 90);
      assert_true(o <= sc);
      assert_true(o * 32 * 32 >= m * 200 * 90); /* never faster than the peak */
    }
}

static void vector_array_folds(void **state) {
  (void)state;
  arch_array v;
  memset(&v, 0, sizeof v);
  v.kind = ARCH_ARRAY_VECTOR;
  v.lanes = 8;
  v.width = 16;
  v.dataflows = 7;
  assert_true(fold_dataflow_supported(&v, ARCH_DATAFLOW_WS));
  assert_int_equal(fold_vector_depth(16), 5);
  assert_int_equal(fold_vector_depth(1), 1);
  fold_stats s;
  /* WS, M=100 K=40 N=20: K on 16-wide vectors (3 folds), N on 8 lanes (3 folds); each fold
   * loads 8 lanes, streams 100 rows, and drains the 5-stage tree. */
  fold_eval(&v, ARCH_DATAFLOW_WS, FOLD_TIMING_SCALESIM, 1, 100, 40, 20, &s);
  assert_int_equal(s.folds, 9);
  assert_int_equal(s.fold_cycles, 8 + 100 + 5);
  assert_int_equal(s.cycles, 9 * 113);
  assert_int_equal(s.weight_reads, 40 * 20);
  assert_int_equal(s.input_reads, 100 * 40 * 3);
  fold_eval(&v, ARCH_DATAFLOW_WS, FOLD_TIMING_OVERLAP, 1, 100, 40, 20, &s);
  assert_int_equal(s.cycles, 113 + 8 * 100);
  /* OS: no load, the weights stream with the inputs and are read once per row. */
  fold_eval(&v, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 1, 100, 40, 20, &s);
  assert_int_equal(s.folds, 9);
  assert_int_equal(s.cycles, 9 * (100 + 5));
  assert_int_equal(s.weight_reads, 40 * 20 * 100);
  assert_int_equal(s.output_writes, 100 * 20);
  arch_array sys = systolic(8, 8);
  sys.dataflows = 1u << ARCH_DATAFLOW_WS;
  assert_false(fold_dataflow_supported(&sys, ARCH_DATAFLOW_OS));
  assert_false(fold_dataflow_supported(&sys, ARCH_DATAFLOW_COUNT));
  assert_string_equal(fold_timing_name(FOLD_TIMING_OVERLAP), "overlap");
  assert_string_equal(arch_dataflow_name(ARCH_DATAFLOW_IS), "is");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(scalesim_goldens_match),
      cmocka_unit_test(reference_table_rows),
      cmocka_unit_test(overlap_hides_loads_between_folds),
      cmocka_unit_test(vector_array_folds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
