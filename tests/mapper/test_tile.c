/* The tiling cost model and the mapspace search: SCALE-Sim reproduction through the whole
 * mapper, DRAM reuse against an explicit walk of the loop nest, random-case invariants, and
 * every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/mapspace.h"
#include "mapper/mapspace_units.h"
#include "test_archs.h"


static void search_reproduces_scalesim_without_stalls(void **state) {
  (void)state;
  /* (M, N, K, R, C, dataflow, heat cycles) from scalesim_golden.csv, incl. rectangular. */
  static const long long rows[][7] = {
      {128, 768, 768, 32, 32, 0, 79680},  {128, 768, 768, 32, 32, 1, 127872},
      {128, 768, 768, 32, 32, 2, 82752},  {64, 64, 64, 128, 128, 0, 318},
      {128, 768, 768, 8, 32, 0, 309504},  {197, 300, 64, 12, 20, 1, 21510},
      {100, 70, 50, 7, 3, 2, 23120},
  };
  arch a;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    test_arch_ideal(&a, (int)rows[i][3], (int)rows[i][4]);
    map_options opt;
    map_options_init(&opt, &a);
    opt.timing = FOLD_TIMING_SCALESIM;
    opt.memory_stalls = false;
    opt.objective = MAP_OBJECTIVE_LATENCY;
    opt.dataflows = 1u << rows[i][5];
    map_problem p;
    map_problem_gemm(&p, 1, rows[i][0], rows[i][2], rows[i][1]);
    map_result r;
    heat_error err;
    assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
    if ((long long)r.cost.cycles != rows[i][6])
      fail_msg("row %zu: %.0f cycles, want %lld", i, r.cost.cycles, rows[i][6]);
    assert_true(r.evaluated > 0);
  }
}

static void array_override_changes_the_array(void **state) {
  (void)state;
  arch a;
  test_arch_ideal(&a, 128, 128);
  map_options opt;
  map_options_init(&opt, &a);
  opt.timing = FOLD_TIMING_SCALESIM;
  opt.memory_stalls = false;
  opt.objective = MAP_OBJECTIVE_LATENCY;
  opt.dataflows = 1u << ARCH_DATAFLOW_WS;
  opt.array_rows_override = 16;
  opt.array_cols_override = 16;
  map_problem p;
  map_problem_gemm(&p, 1, 128, 768, 768);
  map_result r;
  heat_error err;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  assert_int_equal((long long)r.cost.cycles, 400895 + 1);
}

/* Explicit loop-nest walk: DRAM bytes read for input/weight and written for output. */
static void walk(const arch *a, const map_problem *p, const map_mapping *m, double *rd,
                 double *wr) {
  int64_t n[4], idx[4];
  for (int d = 0; d < 4; d++) n[d] = (p->dim[d] + m->tile[d] - 1) / m->tile[d];
  int seq[4] = {MAP_DIM_B, m->order[0], m->order[1], m->order[2]};
  int64_t cur[3][4];
  for (int op = 0; op < 3; op++)
    for (int d = 0; d < 4; d++) cur[op][d] = -1;
  static const int use[3][4] = {{1, 1, 1, 0}, {1, 0, 1, 1}, {1, 1, 0, 1}};
  int64_t visits_out[64] = {0}; /* per output tile (small cases only) */
  *rd = *wr = 0;
  int64_t total = n[0] * n[1] * n[2] * n[3];
  int64_t prev_out = -1;
  for (int64_t it = 0; it < total; it++) {
    int64_t r = it;
    for (int i = 3; i >= 0; i--) {
      idx[seq[i]] = r % n[seq[i]];
      r /= n[seq[i]];
    }
    for (int op = 0; op < 3; op++) {
      bool change = false;
      for (int d = 0; d < 4; d++)
        if (use[op][d] && cur[op][d] != idx[d]) change = true;
      if (!change) continue;
      double elems = 1;
      for (int d = 0; d < 4; d++) {
        if (!use[op][d]) continue;
        int64_t s = p->dim[d] - idx[d] * m->tile[d];
        elems *= (double)(s < m->tile[d] ? s : m->tile[d]);
        cur[op][d] = idx[d];
      }
      if (op < 2) {
        *rd += elems * (op == 0 ? a->input_bits : a->weight_bits) / 8.0;
      } else {
        int64_t key = ((idx[0] * n[1]) + idx[1]) * n[3] + idx[3];
        if (visits_out[key]++ > 0) *rd += elems * a->accum_bits / 8.0; /* read partials */
        prev_out = key;
      }
    }
  }
  (void)prev_out;
  /* Each visit ends in a write: partial sums, except the last visit of each tile. */
  for (int64_t key = 0; key < n[0] * n[1] * n[3]; key++) {
    int64_t b = key / (n[1] * n[3]), mi = key / n[3] % n[1], ni = key % n[3];
    double elems = 1;
    int64_t sz[3] = {b, mi, ni}, dd[3] = {MAP_DIM_B, MAP_DIM_M, MAP_DIM_N};
    for (int j = 0; j < 3; j++) {
      int64_t s = p->dim[dd[j]] - sz[j] * m->tile[dd[j]];
      elems *= (double)(s < m->tile[dd[j]] ? s : m->tile[dd[j]]);
    }
    *wr += elems * ((double)(visits_out[key] - 1) * a->accum_bits / 8.0 + a->input_bits / 8.0);
  }
}

static void dram_reuse_matches_a_walk_of_the_loop_nest(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 8, 8);
  map_options opt;
  map_options_init(&opt, &a);
  srand(7);
  static const int orders[6][3] = {{1, 3, 2}, {3, 1, 2}, {1, 2, 3}, {2, 1, 3}, {3, 2, 1}, {2, 3, 1}};
  for (int trial = 0; trial < 300; trial++) {
    map_problem p;
    map_problem_gemm(&p, 1 + rand() % 3, 1 + rand() % 40, 1 + rand() % 40, 1 + rand() % 40);
    map_mapping m;
    memset(&m, 0, sizeof m);
    m.dataflow = (arch_dataflow)(rand() % 3);
    for (int d = 0; d < 4; d++) m.tile[d] = 1 + rand() % p.dim[d];
    while ((p.dim[0] + m.tile[0] - 1) / m.tile[0] * (p.dim[1] + m.tile[1] - 1) / m.tile[1] *
               ((p.dim[3] + m.tile[3] - 1) / m.tile[3]) > 64)
      m.tile[3] = p.dim[3], m.tile[1] = p.dim[1];
    memcpy(m.order, orders[rand() % 6], sizeof m.order);
    m.buffer[0] = 0;
    m.buffer[1] = 1;
    m.buffer[2] = 0;
    map_cost c;
    heat_error err;
    assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
    double rd, wr;
    walk(&a, &p, &m, &rd, &wr);
    if (c.dram_read_bytes != rd || c.dram_write_bytes != wr)
      fail_msg("trial %d: model %.0f/%.0f, walk %.0f/%.0f", trial, c.dram_read_bytes,
               c.dram_write_bytes, rd, wr);
  }
}

static void random_invariants(void **state) {
  (void)state;
  srand(11);
  for (int trial = 0; trial < 40; trial++) {
    arch a;
    if (trial % 4 == 3)
      test_arch_vector(&a, 4 << (rand() % 3), 8 << (rand() % 2));
    else
      test_arch_tpu(&a, 4 << (rand() % 4), 4 << (rand() % 4));
    map_options opt;
    map_options_init(&opt, &a);
    opt.objective = (map_objective)(trial % 3);
    if (trial % 2) opt.timing = FOLD_TIMING_SCALESIM;
    map_problem p;
    map_problem_gemm(&p, 1 + rand() % 4, 1 + rand() % 600, 1 + rand() % 900, 1 + rand() % 900);
    p.permuted[0] = trial % 5 == 0;
    map_result r;
    heat_error err;
    assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
    const map_cost *c = &r.cost;
    double pes = a.array.kind == ARCH_ARRAY_VECTOR ? a.array.lanes * a.array.width
                                                   : a.array.rows * a.array.cols;
    /* (The SIMD unit does at most a MAC per lane per multiply: on a 4x4 array its 32 lanes can
     * beat the 16 PEs, test-tpu 4x4 B1 M163 K875 N577 at seed 11 x 100.) */
    if (r.mapping.unit == MAP_UNIT_SIMD) pes = (double)a.simd.lanes / a.simd.cycles_mul;
    double bpc = a.dram.gbps / a.clock_ghz;
    assert_true(c->cycles >= (double)c->macs / pes);
    assert_true(c->cycles >= c->dram_bytes / bpc * (1 - 1e-12));
    assert_true(c->energy_j * 1e12 >= (double)c->macs * a.mac_pj);
    assert_int_equal(c->macs, p.dim[0] * p.dim[1] * p.dim[2] * p.dim[3]);
    /* The energy components add up. */
    double sum = c->mac_pj + c->reg_pj + c->dram_pj + c->simd_pj + c->leak_pj;
    for (size_t j = 0; j < a.n_buffers; j++) sum += c->buffer_pj[j];
    assert_float_equal(sum * 1e-12, c->energy_j, 1e-9 * c->energy_j);
    assert_float_equal(c->edp_js, c->energy_j * c->latency_s, 1e-12 * c->edp_js);
    double best = map_objective_value(opt.objective, c);
    /* Never worse than fixed mappings: the whole step as one tile, and random tilings of the
     * mapspace (each tile a candidate of the chosen unit's extents: a tiling outside it may
     * be cheaper, test-vector 8x16 B2 M3 K209 N37 tiles K73 N37 1329 cycles against the
     * search's 1366, found at 100x the trials). */
    map__config cfg[MAP_MAX_CONFIGS];
    int ncfg = map__array_configs(&a, &p, &opt, cfg);
    map__simd_config(&cfg[ncfg++]);
    const map__config *mine = NULL;
    int64_t pack = r.mapping.batch_pack > 1 ? r.mapping.batch_pack : 1;
    for (int k = 0; k < ncfg; k++)
      if (cfg[k].unit == r.mapping.unit && cfg[k].pack == pack &&
          (cfg[k].unit == MAP_UNIT_SIMD || cfg[k].dataflow == r.mapping.dataflow))
        mine = &cfg[k];
    assert_non_null(mine);
    int64_t cand[MAP_DIMS][MAP_MAX_CANDIDATES];
    int nc[MAP_DIMS];
    for (int d = 0; d < MAP_DIMS; d++)
      nc[d] = map_tile_candidates(p.dim[d], mine->extent[d], cand[d], MAP_MAX_CANDIDATES);
    for (int f = 0; f < 30; f++) {
      map_mapping m = r.mapping;
      if (f > 0)
        for (int d = 0; d < 4; d++) m.tile[d] = cand[d][rand() % nc[d]];
      else
        for (int d = 0; d < 4; d++) m.tile[d] = p.dim[d];
      map_cost fc;
      if (map_eval(&a, &p, &opt, &m, &fc, &err) != HEAT_OK) {
        assert_int_equal(err.code, HEAT_ENOFIT);
        continue;
      }
      assert_true(best <= map_objective_value(opt.objective, &fc) * (1 + 1e-12));
    }
  }
}

static void single_tile_cost_by_hand(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  opt.timing = FOLD_TIMING_SCALESIM;
  map_problem p;
  map_problem_gemm(&p, 1, 64, 64, 64);
  map_mapping m = {ARCH_DATAFLOW_OS, {1, 64, 64, 64}, {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  map_cost c;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  /* DRAM 32 B/cycle: load 4096 + 4096 B (256 cycles) + 100 ns latency, 4 folds x 126, store
   * 4096 B (128 cycles). */
  assert_float_equal(c.cycles, 256 + 100 + 4 * 126 + 128, 1e-9);
  assert_int_equal(c.bound, MAP_BOUND_ARRAY);
  assert_float_equal(c.dram_bytes, 3 * 4096, 0);
  assert_float_equal(c.mac_pj, 64 * 64 * 64 * 0.2, 1e-9);
  assert_float_equal(c.dram_pj, 3 * 4096 * 8, 1e-9);
  assert_float_equal(c.leak_pj, 50 * c.cycles, 1e-9);
  assert_float_equal(c.utilization, 262144.0 / (c.cycles * 1024), 1e-12);
  /* A permuted input streamed from DRAM is gathered by strided DMA. */
  p.permuted[0] = true;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_int_equal(c.layout[0], MAP_LAYOUT_STRIDED);
  assert_float_equal(c.cycles, 256 + 128 + 100 + 4 * 126 + 128, 1e-9);
  /* On chip it is permuted by the SIMD unit: 4096 elements on 32 lanes. */
  p.on_chip[0] = true;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_int_equal(c.layout[0], MAP_LAYOUT_SIMD);
  assert_float_equal(c.layout_cycles, 128, 0);
  assert_float_equal(c.simd_pj, 4096 * 0.1, 1e-9);
  assert_string_equal(map_layout_name(c.layout[0]), "simd");
}

/* A load is as slow as its destination buffer's port (the DMA engine holds it until the port
 * has taken the bytes), and those port cycles are not paid again by a port-bound fold. */
static void narrow_port_load_by_hand(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  a.buffers[1].bytes_per_cycle = 16; /* the weight buffer: half the DRAM channel's 32 B */
  map_options opt;
  map_options_init(&opt, &a);
  opt.timing = FOLD_TIMING_SCALESIM;
  map_problem p;
  map_problem_gemm(&p, 1, 64, 64, 64);
  map_mapping m = {ARCH_DATAFLOW_OS, {1, 64, 64, 64}, {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  map_cost c;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  /* Input 4096 B at the channel's 32 B/cycle (128), weight 4096 B at the port's 16 (256),
   * latency 100; the fold: 4 folds of 126 on the array, but the weight port carries 4 x 2048
   * B of reads (512 cycles; its 256 load cycles were spent before the fold); store 4096 B
   * (128). (Before: the load at the channel's rate, 128, and the fold at 768.) */
  assert_float_equal(c.cycles, 128 + 256 + 100 + 512 + 128, 1e-9);
  assert_float_equal(c.sram_cycles, (4096 + 4 * 2048) / 16.0, 1e-9);
  /* A port as fast as the channel: the channel sets the load, and the fold is the array's
   * (the port carries (4096 + 8192) / 32 = 384 cycles, below 4 x 126). */
  a.buffers[1].bytes_per_cycle = 32;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 128 + 128 + 100 + 4 * 126 + 128, 1e-9);
  /* Two tiles of N = 32 (32x64x64, input and output on chip), the 16 B/cycle weight port:
   * load 1 takes the port 0-128 and lands at 228; load 2, into the other slot, goes out at
   * once (128-256, during load 1's latency) and lands at 356; fold 1 (126 on the array, 128
   * cycles of weight reads) gets the port from 256 and ends at 384, fold 2 at 512. (The
   * average period, (2 x 2048 reads + 2 x 2048 loads) / 16 / 2 = 256, priced 740: both loads'
   * port cycles again.) */
  a.buffers[1].bytes_per_cycle = 16;
  map_problem_gemm(&p, 1, 32, 64, 64);
  p.on_chip[MAP_OP_INPUT] = p.on_chip[MAP_OP_OUTPUT] = true;
  map_mapping m2 = {ARCH_DATAFLOW_OS, {1, 32, 64, 32}, {MAP_DIM_M, MAP_DIM_K, MAP_DIM_N}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  assert_int_equal(map_eval(&a, &p, &opt, &m2, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 512, 1e-9);
}

/* The first fold waits for the DRAM latency only behind a load: 64x64x64 in one OS tile (4 folds
 * of 126, scalesim timing) with its input and weight on chip starts at once, and stores its
 * 4096 B output (128 cycles, posted): 632 cycles, whatever the latency (before: 732, the 100
 * cycles of latency paid for no load). The weight off chip: 128 + 100 before the folds. The
 * step bound and the search follow. */
static void latency_only_behind_a_load(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  opt.timing = FOLD_TIMING_SCALESIM;
  map_problem p;
  map_problem_gemm(&p, 1, 64, 64, 64);
  p.on_chip[MAP_OP_INPUT] = p.on_chip[MAP_OP_WEIGHT] = true;
  map_mapping m = {ARCH_DATAFLOW_OS, {1, 64, 64, 64}, {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  map_cost c, lb;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 4 * 126 + 128, 1e-9);
  map_step_bound(&a, &p, &opt, &lb);
  assert_true(lb.cycles <= c.cycles);
  p.on_chip[MAP_OP_WEIGHT] = false;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 128 + 100 + 4 * 126 + 128, 1e-9);
  /* Everything on chip, on the search's own mapping: the latency changes nothing. */
  p.on_chip[MAP_OP_WEIGHT] = p.on_chip[MAP_OP_OUTPUT] = true;
  map_result r, r0;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  a.dram.latency_ns = 0;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r0, &err), HEAT_OK);
  assert_float_equal(r.cost.cycles, r0.cost.cycles, 0);
}

/* The tile pipeline as the program runs it (MAPPING.md, "One mapping"): bursts, the DRAM latency
 * on the slot chains, a single-buffered slot, the epilogue between a fold and its store. */
static void pipeline_chains_by_hand(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  /* 32 B/cycle: a byte takes a 64-byte burst, 2 cycles; strided at half the bandwidth. */
  assert_float_equal(map_dram_transfer_cycles(&a, 1, false), 2, 1e-12);
  assert_float_equal(map_dram_transfer_cycles(&a, 64, false), 2, 1e-12);
  assert_float_equal(map_dram_transfer_cycles(&a, 65, true), 8, 1e-12);
  assert_float_equal(map_dram_latency_cycles(&a), 100, 1e-12);
  map_options opt;
  map_options_init(&opt, &a);
  opt.timing = FOLD_TIMING_SCALESIM;
  /* OS 32x32x256 in 8 tiles of N = 32, n innermost: per tile a 1024-byte weight load (32
   * cycles) and the previous tile's 1024-byte store (32), a fold of 32 + 32 + 32 - 2 = 94.
   * Double-buffered slots: two tiles take weight + store + latency + fold = 258, and they
   * alternate 94 (tile 1 has no fold two before it) and 258 - 94 = 164: the 7 further tiles
   * take 4 x 94 + 3 x 164 = 7 x 129 - 35 (the cycle-level model's times). Total: first loads
   * 64 + latency 100 + fold 94 + 868 + last store 32. */
  map_problem p;
  map_problem_gemm(&p, 1, 32, 32, 256);
  map_mapping m = {ARCH_DATAFLOW_OS, {1, 32, 32, 32}, {MAP_DIM_M, MAP_DIM_K, MAP_DIM_N}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  map_cost c;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 64 + 100 + 94 + 4 * 94 + 3 * 164 + 32, 1e-9);
  assert_float_equal(c.fold_units, 8, 0);
  /* Single-buffered weights: a weight load waits for the fold before it, so a tile takes
   * weight + latency + fold = 226. */
  a.buffers[1].double_buffered = false;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 64 + 100 + 94 + 7 * 226 + 32, 1e-9);
  /* The output single-buffered too: the fold also waits for the previous tile's store, queued
   * after the weight load (32 + 32 = 64, no latency on a store), but the weight load lands
   * later (32 + 100): still 226 a tile (the chain to the store alone priced 94 + 64 = 158). */
  a.buffers[0].double_buffered = false;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_float_equal(c.cycles, 64 + 100 + 94 + 7 * 226 + 32, 1e-9);
  a.buffers[0].double_buffered = true;
  a.buffers[1].double_buffered = true;
  /* An epilogue of 0.25 cycles per output element (256 per tile) between each fold and its
   * store, which the next-but-one tile's weight load queues behind: two tiles take 64 + 100 +
   * 94 + 256 = 514, and the SIMD unit one epilogue per 256 cycles: 94 after the first tile,
   * 420, then 256 and 258 in turn (7 x 257 - 1); the last tile's epilogue follows the last
   * fold. */
  p.epilogue_cycles = 0.25;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
  assert_true(c.epilogue_timed);
  assert_float_equal(c.cycles, 64 + 100 + 94 + 94 + 420 + 3 * 256 + 2 * 258 + 32 + 256, 1e-9);
}

/* An output epilogue shares the activation buffer's port with the folds (MAPPING.md, "Cycles").
 * OS 32x32x256 in 8 tiles of N = 32, every operand on chip, ubuf at 32 B/cycle: a fold reads
 * 1024 input bytes and writes (1024 + SCALE-Sim's 64 null slots) x 4 partial-sum bytes there,
 * 168 port cycles (its 94 array cycles shorter); an epilogue of 8 lane ops per element (0.25
 * cycles on 32 lanes: 256 per tile) reads 1024 x 4 bytes and writes 1024, 160 more port
 * cycles drawn evenly over its 256. The first fold runs alone (168); each later fold shares
 * the port with the piece before it, 168 + 160 = 328; the last piece follows the last fold
 * (256): 7 x 160 + 256 cycles more than without the epilogue. */
static void epilogue_port_share_by_hand(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  a.buffers[0].bytes_per_cycle = 32;
  map_options opt;
  map_options_init(&opt, &a);
  opt.timing = FOLD_TIMING_SCALESIM;
  map_problem p;
  map_problem_gemm(&p, 1, 32, 32, 256);
  for (int op = 0; op < MAP_OPS; op++) {
    p.on_chip[op] = true;
    p.buffers[op] = op == MAP_OP_WEIGHT ? 2 : 1;
  }
  map_mapping m = {ARCH_DATAFLOW_OS, {1, 32, 32, 32}, {MAP_DIM_M, MAP_DIM_K, MAP_DIM_N}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  map_cost none, epi;
  heat_error err;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &none, &err), HEAT_OK);
  assert_float_equal(none.sram_cycles, 8 * 168, 1e-9);
  p.epilogue_cycles = 0.25;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &epi, &err), HEAT_OK);
  assert_true(epi.epilogue_timed);
  assert_float_equal(epi.cycles - none.cycles, 7 * 160 + 256, 1e-9);
}

static void smallest_tile_too_big_names_the_buffer(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  a.buffers[1].size_bytes = 1024; /* half of it, 512 B, cannot hold a 32 x 1 x 32 tile? it can */
  a.buffers[1].size_bytes = 32;   /* 16 usable bytes < 32 weight bytes of the smallest tile */
  map_options opt;
  map_options_init(&opt, &a);
  opt.dataflows = 1u << ARCH_DATAFLOW_OS;
  map_problem p;
  map_problem_gemm(&p, 1, 128, 768, 768);
  map_result r;
  heat_error err;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_ENOFIT);
  assert_string_equal(err.where, "wbuf");
  assert_non_null(strstr(err.msg, "buffer 'wbuf' of arch 'test-tpu' cannot hold the smallest tile"));
  assert_non_null(strstr(err.msg, "16 usable (half of its size: double-buffered)"));
  /* map_eval names the buffer too. */
  map_mapping m = {ARCH_DATAFLOW_OS, {1, 32, 1, 32}, {1, 3, 2}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  map_cost c;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_ENOFIT);
  assert_string_equal(err.where, "wbuf");
  assert_non_null(strstr(err.msg, "but the tiles need 32"));
  /* No buffer may hold weights. */
  a.buffers[1].operands = ARCH_OPERAND_INPUT;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_ENOFIT);
  assert_non_null(strstr(err.msg, "no buffer of arch 'test-tpu' may hold the weight operand"));
}

static void bad_options_and_mappings(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 16, 16);
  map_options opt;
  map_options_init(&opt, &a);
  assert_int_equal(opt.timing, FOLD_TIMING_OVERLAP);
  map_problem p;
  map_problem_gemm(&p, 1, 64, 64, 64);
  map_result r;
  heat_error err;
  a.array.weights_double_buffered = false;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--timing");
  assert_non_null(strstr(err.msg, "does not (array.weights_double_buffered = false)"));
  map_options_init(&opt, &a);
  assert_int_equal(opt.timing, FOLD_TIMING_SCALESIM);
  a.array.dataflows = 1u << ARCH_DATAFLOW_WS;
  opt.dataflows = 1u << ARCH_DATAFLOW_OS;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "does not offer the dataflow asked for (it offers: ws)"));
  opt.dataflows = 0;
  opt.array_rows_override = -1;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--array");
  opt.array_rows_override = 0;
  p.dim[2] = 0;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_EINVAL);
  p.dim[2] = 64;
  map_cost c;
  map_mapping m = {ARCH_DATAFLOW_WS, {1, 64, 65, 64}, {1, 3, 2}, {0, 1, 0}, MAP_UNIT_ARRAY, 1};
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "outside 1..64"));
  m.tile[2] = 64;
  m.order[2] = MAP_DIM_M;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "permutation of m, k, n"));
  m.order[2] = MAP_DIM_K;
  m.buffer[1] = 0;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "buffer 'ubuf' may not hold the weight"));
  m.buffer[1] = 5;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  m.buffer[1] = 1;
  m.dataflow = ARCH_DATAFLOW_OS;
  assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "does not offer dataflow os"));
  map_objective o;
  fold_timing t;
  assert_int_equal(map_objective_parse("edp", &o, &err), HEAT_OK);
  assert_int_equal(o, MAP_OBJECTIVE_EDP);
  assert_int_equal(map_objective_parse("speed", &o, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "allowed: latency, energy, edp"));
  assert_int_equal(map_timing_parse("overlap", &t, &err), HEAT_OK);
  assert_int_equal(map_timing_parse("fast", &t, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "allowed: scalesim, overlap"));
  assert_string_equal(map_bound_name(MAP_BOUND_DRAM), "dram");
}

static void tile_candidates(void **state) {
  (void)state;
  int64_t v[MAP_MAX_CANDIDATES];
  int n = map_tile_candidates(768, 32, v, MAP_MAX_CANDIDATES);
  int64_t want[] = {32, 64, 96, 128, 192, 256, 384, 512, 768};
  assert_int_equal(n, 9);
  for (int i = 0; i < n; i++) assert_int_equal(v[i], want[i]);
  n = map_tile_candidates(20, 32, v, MAP_MAX_CANDIDATES);
  assert_int_equal(n, 1);
  assert_int_equal(v[0], 20);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(search_reproduces_scalesim_without_stalls),
      cmocka_unit_test(array_override_changes_the_array),
      cmocka_unit_test(dram_reuse_matches_a_walk_of_the_loop_nest),
      cmocka_unit_test(random_invariants),
      cmocka_unit_test(single_tile_cost_by_hand),
      cmocka_unit_test(narrow_port_load_by_hand),
      cmocka_unit_test(latency_only_behind_a_load),
      cmocka_unit_test(pipeline_chains_by_hand),
      cmocka_unit_test(epilogue_port_share_by_hand),
      cmocka_unit_test(smallest_tile_too_big_names_the_buffer),
      cmocka_unit_test(bad_options_and_mappings),
      cmocka_unit_test(tile_candidates),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
