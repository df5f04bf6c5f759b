/* The mapspace search's internal shortcuts decide as the cost model does: which assignments
 * hold a tiling (checked per (buffer, operand set) group, mapspace_assign.c) is exactly which
 * assignments map_eval accepts, reserved bytes of a fused chain included; the per-class sums
 * of a tiling (burst bytes, fold and SIMD totals, which enumerate only the classes of tiles
 * that exist) equal sums over every tile one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/mapspace_assign.h"
#include "test_archs.h"

static uint64_t rng = 2463534242ull;
static int64_t pick(int64_t lo, int64_t hi) { return test_pick(&rng, lo, hi); }

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

/* Calls f on every tile of a tiling (its extents and where it starts), in nest order. */
static void each_tile(const int64_t *dim, const int64_t *tile,
                      void (*f)(const int64_t *ext, const int64_t *at, void *ctx), void *ctx) {
  int64_t at[MAP_DIMS], ext[MAP_DIMS];
  for (at[0] = 0; at[0] < dim[0]; at[0] += tile[0])
    for (at[1] = 0; at[1] < dim[1]; at[1] += tile[1])
      for (at[2] = 0; at[2] < dim[2]; at[2] += tile[2])
        for (at[3] = 0; at[3] < dim[3]; at[3] += tile[3]) {
          for (int d = 0; d < MAP_DIMS; d++)
            ext[d] = dim[d] - at[d] < tile[d] ? dim[d] - at[d] : tile[d];
          f(ext, at, ctx);
        }
}

typedef struct tile_sums {
  const arch *a;
  arch_dataflow df;
  fold_timing timing;
  double burst[MAP_OPS], psum_burst;
  double cycles, in_reads, w_reads, out_writes, out_reads, reg, last_fill_drain;
  double simd_cycles, simd_lanes, simd_in, simd_w, simd_out;
  int64_t tiles;
} tile_sums;

static double bursts_of(double bytes) { return ceil(bytes / 64.0 - 1e-9) * 64.0; }

static void add_simd_tile(const int64_t *e, const int64_t *at, tile_sums *t);

/* An operand's tiles are counted once each: at the first position of the dimension it lacks
 * (input: N, weight: M, output: K). */
static void add_tile(const int64_t *e, const int64_t *at, void *vctx) {
  tile_sums *t = vctx;
  double bytes_in = (double)e[0] * e[1] * e[2] * t->a->input_bits / 8.0;
  double bytes_w = (double)e[0] * e[2] * e[3] * t->a->weight_bits / 8.0;
  double out = (double)e[0] * e[1] * e[3];
  if (at[MAP_DIM_N] == 0) t->burst[MAP_OP_INPUT] += bursts_of(bytes_in);
  if (at[MAP_DIM_M] == 0) t->burst[MAP_OP_WEIGHT] += bursts_of(bytes_w);
  if (at[MAP_DIM_K] == 0) {
    t->burst[MAP_OP_OUTPUT] += bursts_of(out * t->a->input_bits / 8.0);
    t->psum_burst += bursts_of(out * t->a->accum_bits / 8.0);
  }
  add_simd_tile(e, at, t);
  fold_stats fs;
  fold_eval(&t->a->array, t->df, t->timing, e[0], e[1], e[2], e[3], &fs);
  t->cycles += t->timing == FOLD_TIMING_OVERLAP ? (double)(fs.batch_groups * fs.folds * fs.pace)
                                                : (double)fs.cycles;
  t->in_reads += (double)fs.input_reads;
  t->w_reads += (double)fs.weight_reads;
  t->out_writes += (double)fs.output_writes;
  t->out_reads += (double)fs.output_reads;
  t->reg += (double)fs.reg_accesses;
  t->last_fill_drain = (double)(fs.fold_cycles - fs.pace);
  t->tiles++;
}

/* SIMD: a tile accumulates onto the partial sums of earlier K tiles unless it starts at k = 0. */
static void add_simd_tile(const int64_t *e, const int64_t *at, tile_sums *t) {
  fold_simd_stats st;
  fold_simd_eval(&t->a->simd, e[0], e[1], e[2], e[3], at[MAP_DIM_K] > 0, &st);
  t->simd_cycles += (double)st.cycles;
  t->simd_lanes += (double)st.lane_cycles;
  t->simd_in += (double)st.input_reads;
  t->simd_w += (double)st.weight_reads;
  t->simd_out += (double)st.output_writes;
}

static void per_class_sums_equal_per_tile(void **state) {
  (void)state;
  static const char *const names[] = {"tpu-32", "simba-l", "eyeriss-like", "edge-16"};
  int merged_some = 0;
  for (int t = 0; t < 300; t++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(names[t % 4], &a, &err), HEAT_OK);
    map_problem p;
    map_problem_gemm(&p, pick(1, 3), pick(1, 200), pick(1, 200), pick(1, 200));
    int64_t tile[MAP_DIMS];
    for (int d = 0; d < MAP_DIMS; d++) tile[d] = pick(1, p.dim[d]);
    if (pick(0, 3) == 0) tile[MAP_DIM_B] = p.dim[MAP_DIM_B];
    map__bursts b;
    map__bursts_eval(&a, &p, tile, &b);
    tile_sums s;
    memset(&s, 0, sizeof s);
    s.a = &a;
    s.timing = a.array.weights_double_buffered && pick(0, 1) ? FOLD_TIMING_OVERLAP
                                                              : FOLD_TIMING_SCALESIM;
    for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++)
      if (fold_dataflow_supported(&a.array, (arch_dataflow)df)) s.df = (arch_dataflow)df;
    each_tile(p.dim, tile, add_tile, &s);
    for (int op = 0; op < MAP_OPS; op++) assert_true(b.pass[op] == s.burst[op]);
    assert_true(b.psum_pass == s.psum_burst);
    map__compute c;
    map__compute_eval(&a, s.df, s.timing, p.dim, tile, &c);
    assert_int_equal(c.tiles, s.tiles);
    assert_true(c.tiled.array_cycles == s.cycles);
    assert_true(c.tiled.input_reads == s.in_reads && c.tiled.weight_reads == s.w_reads);
    assert_true(c.tiled.output_writes == s.out_writes && c.tiled.output_reads == s.out_reads);
    assert_true(c.tiled.reg == s.reg);
    assert_true(c.tiled.fill_drain == (s.timing == FOLD_TIMING_OVERLAP ? s.last_fill_drain : 0));
    merged_some += c.merged;
    map__simd_compute_eval(&a, p.dim, tile, &c);
    assert_true(c.tiled.array_cycles == s.simd_cycles && c.tiled.reg == s.simd_lanes);
    assert_true(c.tiled.input_reads == s.simd_in && c.tiled.weight_reads == s.simd_w);
    assert_true(c.tiled.output_writes == s.simd_out);
    assert_int_equal(c.tiles, s.tiles);
  }
  assert_true(merged_some > 0);
}

static bool same_result(const map_result *x, const map_result *y) {
  const map_mapping *a = &x->mapping, *b = &y->mapping;
  return a->dataflow == b->dataflow && a->unit == b->unit && a->batch_pack == b->batch_pack &&
         memcmp(a->tile, b->tile, sizeof a->tile) == 0 &&
         memcmp(a->order, b->order, sizeof a->order) == 0 &&
         memcmp(a->buffer, b->buffer, sizeof a->buffer) == 0 &&
         memcmp(&x->cost, &y->cost, sizeof x->cost) == 0;
}

/* A search for every objective at once prices its tilings best-first (lowest EDP bound first):
 * each objective's answer is still exactly the unpruned enumeration's (ties to the first
 * mapping enumerated), on presets and on many-buffer archs with operands on chip, buffer
 * masks and reserved bytes; and it prices fewer mappings than three single-objective searches,
 * which enumerate in order. */
static void best_first_equals_unpruned(void **state) {
  (void)state;
  static const char *const names[] = {"simba-l", "tpu-32", "eyeriss-like", "edge-16",
                                      "cloud-128"};
  int64_t all_work = 0, single_work = 0;
  for (int t = 0; t < 40; t++) {
    arch a;
    heat_error err;
    if (t % 6 == 5) {
      many_buffers(&a, (int)pick(2, 4));
    } else {
      assert_int_equal(arch_resolve(names[t % 5], &a, &err), HEAT_OK);
    }
    static const int64_t sizes[] = {1, 3, 12, 64, 96, 130, 384, 768};
    map_problem p;
    map_problem_gemm(&p, pick(0, 2) ? 1 : pick(2, 16), sizes[pick(0, 7)], sizes[pick(0, 7)],
                     sizes[pick(0, 7)]);
    for (int op = 0; op < MAP_OPS; op++) p.on_chip[op] = pick(0, 5) == 0;
    p.permuted[0] = pick(0, 4) == 0;
    if (t % 6 == 5 && pick(0, 1)) p.reserved_bytes = (double)pick(1, 20000);
    map_options opt;
    map_options_init(&opt, &a);
    if (pick(0, 3) == 0) opt.timing = FOLD_TIMING_SCALESIM;
    map_result all[MAP_OBJECTIVES];
    int rc = map_search_objectives(&a, &p, &opt, 0, ws, all, &err);
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      opt.objective = (map_objective)obj;
      map_result full, one;
      assert_int_equal(map_search_unpruned(&a, &p, &opt, ws, &full, &err), rc);
      assert_int_equal(map_search(&a, &p, &opt, ws, &one, &err), rc);
      if (rc != HEAT_OK) continue;
      if (!same_result(&all[obj], &full))
        fail_msg("%s B%lld M%lld K%lld N%lld objective %s: best-first search differs", a.name,
                 (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2],
                 (long long)p.dim[3], map_objective_name(opt.objective));
      assert_true(same_result(&one, &full));
      single_work += one.evaluated;
    }
    if (rc == HEAT_OK) all_work += all[0].evaluated;
  }
  print_message("one best-first pass priced %lld mappings, three enumerations %lld\n",
                (long long)all_work, (long long)single_work);
  assert_true(all_work > 0 && all_work < single_work);
}

/* Steps with an output epilogue (requantization and the like on the SIMD unit, after each
 * output tile's last fold): the bounds count the last unit's epilogue, and still every search
 * (each objective alone, all at once, cut at a threshold) returns what the unpruned
 * enumeration returns, on presets and on a 1x1 array whose SIMD unit wins. */
static void epilogue_bounds_hold(void **state) {
  (void)state;
  static const char *const names[] = {"simba-l", "tpu-32", "eyeriss-like", "edge-16",
                                      "cloud-128"};
  static const double epis[] = {0.125, 0.375, 1.0, 2.875, 12.0};
  int64_t pruned = 0;
  for (int t = 0; t < 40; t++) {
    arch a;
    heat_error err;
    if (t % 5 == 4) {
      many_buffers(&a, 3);
      arch_set_array(&a, 1, 1);
    } else {
      assert_int_equal(arch_resolve(names[t % 5], &a, &err), HEAT_OK);
    }
    static const int64_t sizes[] = {1, 3, 12, 64, 96, 130, 384};
    map_problem p;
    map_problem_gemm(&p, pick(0, 2) ? 1 : pick(2, 12), sizes[pick(0, 6)], sizes[pick(0, 6)],
                     sizes[pick(0, 6)]);
    p.on_chip[MAP_OP_INPUT] = pick(0, 4) == 0;
    p.epilogue_cycles = epis[pick(0, 4)];
    map_options opt;
    map_options_init(&opt, &a);
    map_result all[MAP_OBJECTIVES];
    int rc = map_search_objectives(&a, &p, &opt, 0, ws, all, &err);
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      opt.objective = (map_objective)obj;
      map_result full, one, cut;
      assert_int_equal(map_search_unpruned(&a, &p, &opt, ws, &full, &err), rc);
      assert_int_equal(map_search(&a, &p, &opt, ws, &one, &err), rc);
      if (rc != HEAT_OK) continue;
      if (!same_result(&one, &full) || !same_result(&all[obj], &full))
        fail_msg("%s B%lld M%lld K%lld N%lld epilogue %g objective %s: pruned search differs",
                 a.name, (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2],
                 (long long)p.dim[3], p.epilogue_cycles, map_objective_name(opt.objective));
      /* Cut just above the best: the answer is exact; just below: a bound above the cut. */
      double v = map_objective_value(opt.objective, &full.cost), bound;
      bool below;
      assert_int_equal(map_search_below(&a, &p, &opt, 0, v * (1 + 1e-9), ws, &cut, &below,
                                        &bound, &err), HEAT_OK);
      assert_true(below && same_result(&cut, &full));
      assert_int_equal(map_search_below(&a, &p, &opt, 0, v * (1 - 1e-6), ws, &cut, &below,
                                        &bound, &err), HEAT_OK);
      assert_true(!below && bound > v * (1 - 1e-6) && bound <= v);
      pruned += one.pruned;
    }
  }
  assert_true(pruned > 0);
}

/* map_step_bound reads the arch in place unless the options override the array: with an
 * override it bounds as the resized arch does, without one as the arch itself. */
static void step_bound_follows_overrides(void **state) {
  (void)state;
  arch a, resized;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  map_problem p;
  map_problem_gemm(&p, 1, 384, 768, 768);
  map_options opt, plain;
  map_options_init(&opt, &a);
  plain = opt;
  opt.array_rows_override = 8;
  opt.array_cols_override = 16;
  resized = a;
  arch_set_array(&resized, 8, 16);
  map_cost with, as_resized, as_is;
  map_step_bound(&a, &p, &opt, &with);
  map_step_bound(&resized, &p, &plain, &as_resized);
  map_step_bound(&a, &p, &plain, &as_is);
  assert_true(memcmp(&with, &as_resized, sizeof with) == 0);
  assert_true(with.cycles > as_is.cycles); /* 128 PEs instead of 1024 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fitting_equals_eval),
      cmocka_unit_test(per_class_sums_equal_per_tile),
      cmocka_unit_test(best_first_equals_unpruned),
      cmocka_unit_test(epilogue_bounds_hold),
      cmocka_unit_test(step_bound_follows_overrides),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
