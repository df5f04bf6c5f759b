/* The mapspace search's internal shortcuts decide as the cost model does: which assignments
 * hold a tiling (checked per (buffer, operand set) group, mapspace_assign.c) is exactly which
 * assignments map_eval accepts, reserved bytes of a fused chain included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/mapspace_assign.h"
#include "test_archs.h"

static uint64_t rng = 2463534242ull;
static int64_t pick(int64_t lo, int64_t hi) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return lo + (int64_t)(rng % (uint64_t)(hi - lo + 1));
}

/* tpu-32 with `n` buffers of growing sizes, every other one double-buffered, each holding any
 * operand or (odd ones) only weights. */
static void many_buffers(arch *a, int n) {
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", a, &err), HEAT_OK);
  arch_buffer proto = a->buffers[0];
  for (int j = 0; j < n; j++) {
    arch_buffer *b = &a->buffers[j];
    *b = proto;
    snprintf(b->name, sizeof b->name, "b%d", j);
    b->size_bytes = (int64_t)4096 << j;
    b->double_buffered = j % 2 == 0;
    b->operands = j % 3 == 1 ? ARCH_OPERAND_WEIGHT : ARCH_OPERAND_ANY;
  }
  a->n_buffers = (size_t)n;
}

static void fitting_equals_eval(void **state) {
  (void)state;
  int checked = 0, fit_some = 0, reject_some = 0;
  for (int t = 0; t < 400; t++) {
    arch a;
    many_buffers(&a, (int)pick(1, ARCH_MAX_BUFFERS));
    map_problem p;
    map_problem_gemm(&p, pick(1, 4), pick(1, 2000), pick(1, 2000), pick(1, 2000));
    for (int op = 0; op < MAP_OPS; op++) {
      p.on_chip[op] = pick(0, 4) == 0;
      p.buffers[op] = pick(0, 2) == 0 ? (unsigned)pick(1, 255) : 0;
    }
    if (pick(0, 1)) {
      p.reserved_bytes = (double)pick(1, 300000) + 0.5 * (double)pick(0, 1);
      p.reserved_buffers = pick(0, 1) ? (unsigned)pick(1, 255) : 0;
    }
    map__assign as;
    heat_error err;
    if (map__assignments(&a, &p, &as, &err) != HEAT_OK) {
      assert_int_equal(err.code, HEAT_ENOFIT);
      continue;
    }
    map_options opt;
    map_options_init(&opt, &a);
    map_mapping m;
    memset(&m, 0, sizeof m);
    m.unit = MAP_UNIT_ARRAY;
    m.dataflow = ARCH_DATAFLOW_OS;
    m.order[0] = MAP_DIM_M;
    m.order[1] = MAP_DIM_K;
    m.order[2] = MAP_DIM_N;
    for (int d = 0; d < MAP_DIMS; d++) m.tile[d] = pick(1, p.dim[d]);
    double fp[MAP_OPS];
    map__footprint(&a, &p, m.tile, fp);
    int fits[MAP_MAX_ASSIGN];
    int nfit = map__assign_fitting(&as, fp, fits), k = 0;
    for (int i = 0; i < as.n; i++) {
      memcpy(m.buffer, as.buf[i], sizeof m.buffer);
      map_cost c;
      int rc = map_eval(&a, &p, &opt, &m, &c, &err);
      assert_true(rc == HEAT_OK || rc == HEAT_ENOFIT);
      bool listed = k < nfit && fits[k] == i;
      if (listed) k++;
      assert_int_equal(listed, rc == HEAT_OK);
      fit_some += rc == HEAT_OK;
      reject_some += rc != HEAT_OK;
      checked++;
    }
    assert_int_equal(k, nfit);
  }
  assert_true(checked > 1000 && fit_some > 100 && reject_some > 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fitting_equals_eval),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
