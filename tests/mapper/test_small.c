/* Small and degenerate steps (issue 8 §2): batch elements packed on the array's diagonal, steps
 * run on the SIMD unit, both picked by cost and never worse than the array-only mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/mapspace.h"
#include "mapper/program.h"
#include "test_archs.h"

static arch_array vector_array(int lanes, int width) {
  arch_array v;
  memset(&v, 0, sizeof v);
  v.kind = ARCH_ARRAY_VECTOR;
  v.lanes = lanes;
  v.width = width;
  v.dataflows = 7;
  v.weights_double_buffered = true;
  return v;
}

/* The step (CP q layer on simba-l, one token tile): B=220 M=192 K=2 N=2, by hand. */
static void packed_folds_by_hand(void **state) {
  (void)state;
  arch_array v = vector_array(32, 32);
  /* WS: K=2 on the width, N=2 on the lanes: 16 batch elements side by side. */
  assert_int_equal(fold_batch_pack(&v, ARCH_DATAFLOW_WS, 192, 2, 2), 16);
  fold_stats s;
  fold_eval_packed(&v, ARCH_DATAFLOW_WS, FOLD_TIMING_OVERLAP, 220, 192, 2, 2, 16, &s);
  assert_int_equal(s.batch_groups, 14);      /* ceil(220 / 16) */
  assert_int_equal(s.fold_cycles, 32 + 192 + 6); /* load L, stream M, adder tree + acc */
  assert_int_equal(s.pace, 192);
  assert_int_equal(s.cycles, 230 + 13 * 192);
  assert_int_equal(fold_cycles_packed(&v, ARCH_DATAFLOW_WS, FOLD_TIMING_SCALESIM, 220, 192, 2, 2,
                                      16),
                   14 * 230);
  /* Unpacked, every batch element is a fold of its own. */
  assert_int_equal(fold_cycles(&v, ARCH_DATAFLOW_WS, FOLD_TIMING_OVERLAP, 220, 192, 2, 2),
                   230 + 219 * 192);
  /* Useful SRAM elements as unpacked; the zeros off the diagonal are loaded: 13 full groups of
   * a 32x32 block and one of 12 elements (24x24). */
  assert_int_equal(s.input_reads, 220 * 192 * 2);
  assert_int_equal(s.weight_reads, 220 * 2 * 2);
  assert_int_equal(s.output_writes, 220 * 192 * 2);
  assert_int_equal(s.reg_accesses, 3 * s.macs + (13 * 16 * 16 + 12 * 12) * 2 * 2);

  /* Systolic OS: (M, N) on (rows, cols); SCALE-Sim's R + C padding per fold group. */
  arch_array sy = vector_array(0, 0);
  sy.kind = ARCH_ARRAY_SYSTOLIC;
  sy.rows = sy.cols = 32;
  assert_int_equal(fold_batch_pack(&sy, ARCH_DATAFLOW_OS, 4, 50, 8), 4);
  fold_eval_packed(&sy, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 10, 4, 50, 8, 4, &s);
  assert_int_equal(s.cycles, 3 * (50 + 32 + 32 - 2));
  assert_int_equal(s.output_writes, 10 * 4 * 8 + 3 * 64);
  assert_int_equal(s.reg_accesses, 3 * s.macs + 10 * 4 * 8); /* OS drains the diagonal only */
  /* More than half the array on one axis: nothing to pack; beyond it: folds, no pack. */
  assert_int_equal(fold_batch_pack(&sy, ARCH_DATAFLOW_OS, 17, 50, 8), 1);
  assert_int_equal(fold_batch_pack(&sy, ARCH_DATAFLOW_OS, 100, 50, 8), 1);
  assert_int_equal(fold_batch_pack(&sy, ARCH_DATAFLOW_WS, 100, 1, 1), 32);
}

/* pack = 1 is fold_eval exactly, for every dataflow and array kind. */
static void pack_one_is_fold_eval(void **state) {
  (void)state;
  srand(3);
  for (int trial = 0; trial < 300; trial++) {
    arch_array arr = trial % 2 ? vector_array(4 << (rand() % 3), 8 << (rand() % 2))
                               : vector_array(0, 0);
    if (trial % 2 == 0) {
      arr.kind = ARCH_ARRAY_SYSTOLIC;
      arr.rows = 2 + rand() % 40;
      arr.cols = 2 + rand() % 40;
    }
    arch_dataflow df = (arch_dataflow)(rand() % 3);
    fold_timing t = (fold_timing)(rand() % 2);
    int64_t B = 1 + rand() % 9, M = 1 + rand() % 90, K = 1 + rand() % 90, N = 1 + rand() % 90;
    fold_stats x, y;
    fold_eval(&arr, df, t, B, M, K, N, &x);
    fold_eval_packed(&arr, df, t, B, M, K, N, 1, &y);
    assert_memory_equal(&x, &y, sizeof x);
    assert_int_equal(x.pack, 1);
    assert_int_equal(x.batch_groups, B);
    /* Packing never costs cycles and keeps the useful events. */
    int64_t g = fold_batch_pack(&arr, df, M, K, N);
    fold_eval_packed(&arr, df, t, B, M, K, N, g, &y);
    assert_true(y.cycles <= x.cycles);
    assert_int_equal(y.macs, x.macs);
    assert_int_equal(y.input_reads, x.input_reads);
    assert_int_equal(y.weight_reads, x.weight_reads);
    assert_true(y.reg_accesses >= x.reg_accesses);
  }
}

static void simd_step_by_hand(void **state) {
  (void)state;
  arch_simd s;
  memset(&s, 0, sizeof s);
  s.lanes = 32;
  s.cycles_mul = s.cycles_add = 1;
  fold_simd_stats st;
  /* Lanes over N (40 >= 5): 2 lane vectors per (b, m); 4 muls + 3 adds per output. */
  fold_simd_eval(&s, 3, 5, 4, 40, false, &st);
  assert_true(st.vector_on_n);
  assert_int_equal(st.cycles, 3 * 5 * 2 * 7);
  assert_int_equal(st.lane_cycles, 3 * 5 * 40 * 7);
  assert_int_equal(st.input_reads, 3 * 5 * 4 * 2); /* broadcast */
  assert_int_equal(st.weight_reads, 3 * 5 * 4 * 40);
  assert_int_equal(st.output_writes, 3 * 5 * 40);
  /* An outer product (K = 1) is one multiply per output; lanes over M when M > N. */
  s.cycles_mul = 2;
  s.cycles_add = 3;
  fold_simd_eval(&s, 64, 384, 1, 2, false, &st);
  assert_int_equal(st.cycles, 64 * 2 * 12 * 2);
  fold_simd_eval(&s, 64, 384, 1, 2, true, &st); /* adding to partial sums: one add more */
  assert_int_equal(st.cycles, 64 * 2 * 12 * 5);
  fold_simd_eval(&s, 64, 384, 1, 2, false, &st);
  assert_false(st.vector_on_n);
  assert_int_equal(st.cycles, 64 * 2 * 12 * 2);
  assert_int_equal(st.lane_cycles, 64 * 384 * 2 * 2);

  /* Through map_eval: splitting K into tiles adds the partial sums, so the SIMD cycles do not
   * depend on the K tiling (array alone: --no-stalls). */
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  opt.memory_stalls = false;
  map_problem p;
  map_problem_gemm(&p, 2, 5, 10, 40);
  map_mapping m = {.dataflow = ARCH_DATAFLOW_OS, .tile = {2, 5, 10, 40},
                   .order = {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, .buffer = {0, 1, 0},
                   .unit = MAP_UNIT_SIMD};
  map_cost c;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 2 * 5 * 2 * 19, 0);
  assert_float_equal(c.simd_cycles, c.cycles, 0);
  assert_float_equal(c.array_cycles, 0, 0);
  assert_int_equal(c.bound, MAP_BOUND_SIMD);
  assert_float_equal(c.mac_pj, 0, 0);
  assert_float_equal(c.simd_pj, 2 * 5 * 40 * 19 * 0.1, 1e-9);
  m.tile[MAP_DIM_K] = 3;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 2 * 5 * 2 * 19, 0);
  assert_float_equal(c.simd_pj, 2 * 5 * 40 * 19 * 0.1, 1e-9);
}

static void search(const arch *a, const map_problem *p, const map_options *opt, map_result *r) {
  heat_error err;
  if (map_search(a, p, opt, ws, r, &err) != HEAT_OK) fail_msg("map_search: %s", err.msg);
}

/* CP's outer products (ce,de->ecd: K = 1) run on the SIMD unit when that is cheaper; a large
 * GEMM stays on the array; a tiny batched GEMM packs its batch on the array diagonal. */
static void picks_the_unit_by_cost(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt, base;
  map_options_init(&opt, &a);
  base = opt;
  base.array_only = true;
  map_problem p;
  map_result r, rb;
  /* (Under the energy objective this arch's array is the cheaper unit: its MAC and register
   * energy is below the SIMD lanes' plus their operand reads.) */
  static const map_objective objs[] = {MAP_OBJECTIVE_LATENCY, MAP_OBJECTIVE_EDP};
  for (int i = 0; i < 2; i++) {
    map_objective obj = objs[i];
    opt.objective = base.objective = obj;
    map_problem_gemm(&p, 64, 24, 1, 32);
    search(&a, &p, &opt, &r);
    search(&a, &p, &base, &rb);
    assert_int_equal(rb.mapping.unit, MAP_UNIT_ARRAY);
    if (r.mapping.unit != MAP_UNIT_SIMD)
      fail_msg("objective %s: the outer product stayed on the array",
               map_objective_name(obj));
    assert_true(map_objective_value(opt.objective, &r.cost) <
                map_objective_value(opt.objective, &rb.cost));
    map_problem_gemm(&p, 1, 256, 256, 256);
    search(&a, &p, &opt, &r);
    assert_int_equal(r.mapping.unit, MAP_UNIT_ARRAY);
    assert_true(r.mapping.batch_pack <= 1);
  }
  /* The step on a simba-l-like vector array: packed 16 per fold, > 5x fewer cycles. */
  test_arch_vector(&a, 32, 32);
  a.array.dataflows = (1u << ARCH_DATAFLOW_WS) | (1u << ARCH_DATAFLOW_OS);
  a.buffers[0].bytes_per_cycle = 1024; /* simba-l's ports and DRAM: the array is the limit */
  a.dram.gbps = 128;
  map_options_init(&opt, &a);
  opt.objective = MAP_OBJECTIVE_LATENCY;
  base = opt;
  base.array_only = true;
  map_problem_gemm(&p, 220, 192, 2, 2);
  search(&a, &p, &opt, &r);
  search(&a, &p, &base, &rb);
  assert_int_equal(r.mapping.unit, MAP_UNIT_ARRAY);
  assert_int_equal(r.mapping.batch_pack, 16);
  assert_true(r.cost.cycles * 5 < rb.cost.cycles);
  /* Fixing the dataflow keeps the step on the array (and tiny buffers stay an error). */
  opt.dataflows = 1u << ARCH_DATAFLOW_WS;
  map_problem_gemm(&p, 64, 24, 1, 32);
  search(&a, &p, &opt, &r);
  assert_int_equal(r.mapping.unit, MAP_UNIT_ARRAY);
}

/* Property: over seeded random small steps the chosen mapping is never worse than the
 * array-only one, and map_eval reproduces its cost. */
static void never_worse_than_array_only(void **state) {
  (void)state;
  srand(2026);
  int simd = 0, packed = 0;
  for (int trial = 0; trial < 160; trial++) {
    arch a;
    if (trial % 3 == 2)
      test_arch_vector(&a, 4 << (rand() % 4), 4 << (rand() % 4));
    else
      test_arch_tpu(&a, 4 << (rand() % 4), 4 << (rand() % 4));
    a.simd.lanes = 8 << (rand() % 3);
    a.simd.cycles_mul = 1 + rand() % 3;
    a.simd.op_pj = 0.05 + 0.5 * (rand() % 4);
    map_options opt;
    map_options_init(&opt, &a);
    opt.objective = (map_objective)(trial % 3);
    if (rand() % 2) opt.timing = FOLD_TIMING_SCALESIM;
    map_options base = opt;
    base.array_only = true;
    map_problem p;
    map_problem_gemm(&p, 1 + rand() % 300, 1 + rand() % 64, 1 + rand() % (rand() % 2 ? 4 : 40),
                     1 + rand() % 48);
    p.permuted[0] = rand() % 4 == 0;
    p.on_chip[0] = rand() % 5 == 0;
    p.on_chip[2] = rand() % 5 == 0;
    map_result r, rb;
    heat_error err;
    int rc = map_search(&a, &p, &base, ws, &rb, &err);
    if (rc == HEAT_ENOFIT) continue;
    assert_int_equal(rc, HEAT_OK);
    search(&a, &p, &opt, &r);
    double v = map_objective_value(opt.objective, &r.cost);
    double vb = map_objective_value(opt.objective, &rb.cost);
    if (v > vb * (1 + 1e-12))
      fail_msg("trial %d: B=%lld M=%lld K=%lld N=%lld chose %g, array only %g", trial,
               (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2],
               (long long)p.dim[3], v, vb);
    map_cost c;
    assert_int_equal(map_eval(&a, &p, &opt, &r.mapping, &c, &err), HEAT_OK);
    assert_memory_equal(&c, &r.cost, sizeof c);
    double sum = c.mac_pj + c.reg_pj + c.dram_pj + c.simd_pj + c.leak_pj;
    for (size_t j = 0; j < a.n_buffers; j++) sum += c.buffer_pj[j];
    assert_float_equal(sum * 1e-12, c.energy_j, 1e-9 * c.energy_j);
    if (r.mapping.unit == MAP_UNIT_SIMD) {
      simd++;
      assert_true(c.cycles * a.simd.lanes >= (double)c.macs * a.simd.cycles_mul * (1 - 1e-12));
    } else {
      packed += r.mapping.batch_pack > 1;
      double pes = a.array.kind == ARCH_ARRAY_VECTOR ? a.array.lanes * a.array.width
                                                     : a.array.rows * a.array.cols;
      assert_true(c.cycles >= (double)c.macs / pes);
    }
  }
  /* The property is not vacuous: both new kinds of mapping were chosen. */
  assert_true(simd > 5);
  assert_true(packed > 5);
}

static void bad_small_mappings(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  map_problem p;
  map_problem_gemm(&p, 40, 20, 2, 2);
  map_mapping m = {.dataflow = ARCH_DATAFLOW_WS, .tile = {40, 20, 2, 2},
                   .order = {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, .buffer = {0, 1, 0},
                   .unit = MAP_UNIT_ARRAY, .batch_pack = 17};
  map_cost c;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "17 batch elements per fold do not fit on the array's diagonal "
                                  "(tile M x K x N = 20 x 2 x 2, dataflow ws)"));
  m.batch_pack = 16;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  m.tile[0] = 8; /* more per fold than the tile holds */
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  m.tile[0] = 40;
  m.unit = MAP_UNIT_SIMD;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  m.unit = (map_unit)7;
  m.batch_pack = 1;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "unknown compute unit 7"));
}


static void close_to(double got, double want, const char *what, const char *ctx) {
  if (fabs(got - want) > 1e-9 * fmax(1.0, fabs(want)))
    fail_msg("%s: program %s %.17g, cost model %.17g", ctx, what, got, want);
}

/* Programs (mapper/program.h) carry the unit and the pack: emitted, counted with the same fold
 * functions, they move and compute what the cost model charged, and survive a text round trip. */
static void programs_of_small_mappings(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  opt.objective = MAP_OBJECTIVE_LATENCY;
  static const int64_t steps[][4] = {{64, 24, 1, 32}, {220, 192, 2, 2}, {40, 96, 9, 3},
                                     {30, 5, 40, 7}};
  int simd = 0, packed = 0;
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    for (int force_k = 0; force_k < 2; force_k++) {
      map_problem p;
      map_problem_gemm(&p, steps[i][0], steps[i][1], steps[i][2], steps[i][3]);
      map_result r;
      search(&a, &p, &opt, &r);
      map_mapping m = r.mapping;
      map_cost c = r.cost;
      heat_error err;
      if (force_k && m.unit == MAP_UNIT_SIMD && p.dim[MAP_DIM_K] > 2) {
        m.tile[MAP_DIM_K] = 2; /* later K tiles add to read-back partial sums */
        assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
      }
      simd += m.unit == MAP_UNIT_SIMD;
      packed += m.batch_pack > 1;
      program prog, back;
      program_init(&prog);
      assert_int_equal(program_emit_gemm(&prog, &a, &opt, "s", 1, &p, &m, &c, &err), HEAT_OK);
      assert_int_equal(program_check(&prog, &a, "emitted", &err), HEAT_OK);
      prog_counts k;
      program_count(&prog, &a, 0, &k);
      char ctx[64];
      snprintf(ctx, sizeof ctx, "step %zu%s", i, force_k ? " (K tiled)" : "");
      close_to(k.macs + k.simd_macs, (double)c.macs, "MACs", ctx);
      close_to(m.unit == MAP_UNIT_SIMD ? k.macs : k.simd_macs, 0, "MACs on the other unit", ctx);
      close_to(k.dram_read_bytes, c.dram_read_bytes, "DRAM read bytes", ctx);
      close_to(k.dram_write_bytes, c.dram_write_bytes, "DRAM write bytes", ctx);
      close_to(k.reg_accesses, c.reg_accesses, "register accesses", ctx);
      for (size_t j = 0; j < a.n_buffers; j++) {
        close_to(k.sram_reads[j], c.sram_reads[j], "buffer reads", ctx);
        close_to(k.sram_writes[j], c.sram_writes[j], "buffer writes", ctx);
      }
      energy_events ev;
      program_counts_events(&a, &k, c.cycles, &ev);
      energy_breakdown eb;
      energy_eval(&a, &ev, &eb);
      close_to(eb.total_pj * 1e-12, c.energy_j, "energy", ctx);
      /* Text round trip keeps the unit and the pack. */
      char *text = NULL;
      size_t len = 0;
      FILE *f = open_memstream(&text, &len);
      assert_int_equal(program_print(f, &prog), HEAT_OK);
      fclose(f);
      program_init(&back);
      if (program_parse(text, "rt", &back, &err) != HEAT_OK) fail_msg("%s", err.msg);
      assert_int_equal(program_check(&back, &a, "rt", &err), HEAT_OK);
      assert_int_equal(back.steps[0].mapping.unit, m.unit);
      assert_int_equal(back.steps[0].mapping.batch_pack, m.batch_pack > 1 ? m.batch_pack : 1);
      prog_counts k2;
      program_count(&back, &a, 0, &k2);
      close_to(k2.simd_lane_ops, k.simd_lane_ops, "lane ops after the round trip", ctx);
      close_to(k2.reg_accesses, k.reg_accesses, "register accesses after the round trip", ctx);
      free(text);
      program_free(&prog);
      program_free(&back);
    }
  }
  assert_true(simd >= 2);
  assert_true(packed >= 2);
  /* A pack the diagonal cannot hold is refused by the checker. */
  program bad;
  program_init(&bad);
  heat_error err;
  const char *text = "heat-program 1\narch test-tpu\ntiming overlap\nstalls 1\n"
                     "step 0 name=g times=1 simd=0 dims=40,20,2,2 df=ws pack=17 tile=40,20,2,2 "
                     "order=m,k,n buf=0,1,0 on_chip=0,0,0 permuted=0,0\n";
  assert_int_equal(program_parse(text, "bad", &bad, &err), HEAT_OK);
  assert_int_equal(program_check(&bad, &a, "bad", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "field 'pack': 17 batch elements per fold do not fit"));
  program_free(&bad);
}


/* Bytes another step keeps on chip (a fused chain's weight-only result) must fit beside the
 * tiles: the search shrinks the tiles, or finds nothing when they cannot fit at all. */
static void reserved_bytes_shrink_the_tiles(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  map_problem p;
  map_problem_gemm(&p, 1, 512, 512, 512);
  map_result free_r, r;
  search(&a, &p, &opt, &free_r);
  double usable = map__usable(&a.buffers[0]);
  p.reserved_bytes = usable - 4096;
  p.reserved_buffers = 1u << 0;
  search(&a, &p, &opt, &r);
  double fp[MAP_OPS];
  map__footprint(&a, &p, r.mapping.tile, fp);
  double in_ubuf = 0;
  for (int op = 0; op < MAP_OPS; op++)
    if (r.mapping.buffer[op] == 0) in_ubuf += fp[op];
  assert_true(in_ubuf + p.reserved_bytes <= usable);
  assert_true(r.cost.tiles > free_r.cost.tiles);
  map_cost c;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &free_r.mapping, &c, &err), HEAT_ENOFIT);
  assert_non_null(strstr(err.msg, "kept on chip for later steps do not fit beside the tiles"));
  p.reserved_bytes = usable + 1;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_ENOFIT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(packed_folds_by_hand),
      cmocka_unit_test(pack_one_is_fold_eval),
      cmocka_unit_test(simd_step_by_hand),
      cmocka_unit_test(picks_the_unit_by_cost),
      cmocka_unit_test(never_worse_than_array_only),
      cmocka_unit_test(bad_small_mappings),
      cmocka_unit_test(programs_of_small_mappings),
      cmocka_unit_test(reserved_bytes_shrink_the_tiles),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
