/* The array datapath without a simulation kernel: every dataflow of systolic and vector arrays,
 * odd and edge-tile sizes, gives the reference einsum's values bit-exactly, and steps exactly
 * the folds and cycles mapper/fold.c counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/heat_rng.h"
#include "mapper/fold.h"
#include "sim/datapath.h"

static void run_case(const arch_array *arr, arch_dataflow df, int64_t M, int64_t K, int64_t N,
                     uint64_t seed) {
  int16_t *in = malloc(sizeof *in * (size_t)(M * K)), *w = malloc(sizeof *w * (size_t)(K * N));
  uint32_t *out = calloc((size_t)(M * N), sizeof *out), *ref = calloc((size_t)(M * N), sizeof *ref);
  assert_true(in && w && out && ref);
  for (int64_t i = 0; i < M * K; i++) in[i] = (int16_t)heat_rng_int(&seed, -128, 127);
  for (int64_t i = 0; i < K * N; i++) w[i] = (int16_t)heat_rng_int(&seed, -128, 127);
  dp_gemm g = {M, K, N, in, K, w, N, out, N};
  dp_workspace *ws = dp_workspace_alloc(arr);
  assert_non_null(ws);
  int64_t folds = 0;
  int64_t cycles = dp_run(ws, arr, df, &g, &folds);
  g.out = ref;
  dp_reference(&g);
  for (int64_t i = 0; i < M * N; i++)
    if (out[i] != ref[i])
      fail_msg("kind %d df %d %lldx%lldx%lld: element %lld is %u, reference %u", arr->kind, df,
               (long long)M, (long long)K, (long long)N, (long long)i, out[i], ref[i]);
  fold_stats fs;
  fold_eval(arr, df, FOLD_TIMING_SCALESIM, 1, M, K, N, &fs);
  assert_int_equal(folds, fs.folds);
  assert_int_equal(cycles, fs.cycles);
  dp_workspace_free(ws);
  free(in);
  free(w);
  free(out);
  free(ref);
}

static void systolic_dataflows_match_the_reference(void **state) {
  (void)state;
  static const int dims[][2] = {{4, 4}, {8, 3}, {3, 8}, {32, 32}};
  static const int64_t sizes[][3] = {{1, 1, 1}, {5, 7, 3}, {17, 9, 33}, {64, 64, 64}, {37, 100, 21}};
  for (size_t d = 0; d < 4; d++) {
    arch_array arr = {.kind = ARCH_ARRAY_SYSTOLIC, .rows = dims[d][0], .cols = dims[d][1], .dataflows = 7};
    for (int df = 0; df < 3; df++)
      for (size_t s = 0; s < 5; s++)
        run_case(&arr, (arch_dataflow)df, sizes[s][0], sizes[s][1], sizes[s][2], 7 + s);
  }
}

static void vector_dataflows_match_the_reference(void **state) {
  (void)state;
  static const int dims[][2] = {{4, 8}, {32, 32}, {3, 5}};
  static const int64_t sizes[][3] = {{1, 1, 1}, {5, 7, 3}, {17, 40, 33}, {64, 64, 64}};
  for (size_t d = 0; d < 3; d++) {
    arch_array arr = {.kind = ARCH_ARRAY_VECTOR, .lanes = dims[d][0], .width = dims[d][1], .dataflows = 7};
    for (int df = 0; df < 3; df++)
      for (size_t s = 0; s < 4; s++)
        run_case(&arr, (arch_dataflow)df, sizes[s][0], sizes[s][1], sizes[s][2], 3 + s);
  }
}

static void accumulators_wrap_to_their_width(void **state) {
  (void)state;
  assert_int_equal(dp_wrap(0x7fffu, 16), 32767);
  assert_int_equal(dp_wrap(0x8000u, 16), -32768);
  assert_int_equal(dp_wrap(0x12345678u, 24), 0x345678);
  assert_int_equal(dp_wrap(0xffffffffu, 32), -1);
  assert_int_equal(dp_wrap(0x00800000u, 24), -8388608);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(systolic_dataflows_match_the_reference),
      cmocka_unit_test(vector_dataflows_match_the_reference),
      cmocka_unit_test(accumulators_wrap_to_their_width),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
