/* Hardware-aware contraction paths and fused einsum chains. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/fuse.h"
#include "test_archs.h"

static hwpath_result hr;
static fuse_result fr;

static void network(tn_network *net, const char *expr, const char *shapes, const char *statics) {
  heat_error err;
  assert_int_equal(tn_parse(expr, net, &err), HEAT_OK);
  assert_int_equal(tn_set_shapes(net, shapes, "shapes", &err), HEAT_OK);
  if (statics) assert_int_equal(tn_set_static(net, statics, "static", &err), HEAT_OK);
}

/* 768x31 . 31x16 . 16x33: the MAC-optimal order contracts (31x16)(16x33) first, leaving a
 * 768 x 31 x 33 GEMM; contracting 768x31 with 31x16 first costs more MACs but its GEMMs fill
 * the 32x32 array better and the search finds it faster. */
static void hardware_path_strictly_better(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  opt.objective = MAP_OBJECTIVE_LATENCY;
  tn_network net;
  network(&net, "ij,jk,kl->il", "768x31,31x16,16x33", NULL);
  path_options po;
  path_options_init(&po);
  heat_error err;
  assert_int_equal(hwpath_optimize(&net, &po, &a, &opt, ws, &hr, &err), HEAT_OK);
  assert_true(hr.hw_better);
  assert_ptr_equal(hr.chosen, &hr.hw_path);
  assert_true(hr.hw_cost.cycles < hr.mac_cost.cycles);
  assert_true(hr.hw_cost.macs > hr.mac_cost.macs); /* more MACs, fewer cycles */
  assert_int_equal(hr.mac_cost.macs, hr.mac_path.total_macs);
  assert_float_equal(hr.chosen_cost.cycles, hr.hw_cost.cycles, 0);
}

static void hardware_path_never_worse(void **state) {
  (void)state;
  static const int sizes[] = {1, 3, 8, 16, 31, 32, 33, 48, 64, 100, 128, 256, 768};
  srand(5);
  for (int trial = 0; trial < 24; trial++) {
    arch a;
    test_arch_tpu(&a, 8 << (trial % 3), 8 << (trial % 3));
    map_options opt;
    map_options_init(&opt, &a);
    opt.objective = (map_objective)(trial % 3);
    char shapes[96];
    int d[5];
    for (int i = 0; i < 5; i++) d[i] = sizes[rand() % 13];
    snprintf(shapes, sizeof shapes, "%dx%d,%dx%d,%dx%d,%dx%d", d[0], d[1], d[1], d[2], d[2], d[3],
             d[3], d[4]);
    tn_network net;
    network(&net, "ab,bc,cd,de->ae", shapes, trial % 2 ? "1,2" : NULL);
    path_options po;
    path_options_init(&po);
    heat_error err;
    assert_int_equal(hwpath_optimize(&net, &po, &a, &opt, ws, &hr, &err), HEAT_OK);
    assert_true(hwpath_totals_value(opt.objective, &hr.chosen_cost) <=
                hwpath_totals_value(opt.objective, &hr.mac_cost));
  }
}

/* Paths found by different searches compare by their steps, not by the cost (in each search's
 * own objective) or the algorithm: the layer's candidate paths are fused once per distinct path. */
static void same_steps_whatever_found_them(void **state) {
  (void)state;
  tn_network net;
  network(&net, "ab,bc,cd->ad", "4x50,50x60,60x2", NULL);
  path_options opt;
  path_options_init(&opt);
  path macs, size, ltr;
  heat_error err;
  assert_int_equal(path_optimize(&net, &opt, &macs, &err), HEAT_OK);
  opt.objective = PATH_OBJECTIVE_SIZE;
  assert_int_equal(path_optimize(&net, &opt, &size, &err), HEAT_OK);
  assert_int_equal(path_left_to_right(&net, &ltr, &err), HEAT_OK);
  assert_true(macs.cost != size.cost || macs.algorithm != size.algorithm ||
              memcmp(&macs, &size, sizeof macs) != 0);
  assert_true(path_same_steps(&macs, &macs));
  path copy = macs;
  copy.cost = 1234.5;
  copy.algorithm = PATH_ALGO_GREEDY;
  assert_true(path_same_steps(&macs, &copy));
  copy.steps[copy.n_steps - 1].lhs_permuted = !copy.steps[copy.n_steps - 1].lhs_permuted;
  assert_false(path_same_steps(&macs, &copy));
  copy = macs;
  copy.n_precomputed = macs.n_precomputed ? 0 : 1;
  assert_false(path_same_steps(&macs, &copy));
  /* Left to right contracts 4x50 with 50x60 first (12,480 MACs in all, 6,400 the other way). */
  assert_false(path_same_steps(&macs, &ltr));
}

static void static_lhs_transposes_the_gemm(void **state) {
  (void)state;
  tn_network net;
  network(&net, "ab,bc->ac", "40x50,50x60", "0");
  path p;
  heat_error err;
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  map_problem mp;
  int lr, rr;
  hwpath_problem(&net, &p.steps[0], &mp, &lr, &rr);
  assert_int_equal(lr, MAP_OP_WEIGHT);
  assert_int_equal(rr, MAP_OP_INPUT);
  assert_int_equal(mp.dim[MAP_DIM_M], p.steps[0].N);
  assert_int_equal(mp.dim[MAP_DIM_N], p.steps[0].M);
  assert_int_equal(mp.dim[MAP_DIM_K], 50);
  network(&net, "ab,bc->ac", "40x50,50x60", "1");
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  hwpath_problem(&net, &p.steps[0], &mp, &lr, &rr);
  assert_int_equal(lr, MAP_OP_INPUT);
  assert_int_equal(mp.dim[MAP_DIM_M], p.steps[0].M);
}

/* Weights are laid out offline as the step wants them; activations are not. */
static void only_dynamic_operands_pay_for_layout_transforms(void **state) {
  (void)state;
  tn_network net;
  path p;
  heat_error err;
  map_problem mp;
  /* The rhs must be read as (k = b, n = c); stored as (c, b) it is permuted. */
  network(&net, "ab,cb->ac", "40x50,60x50", "1");
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  assert_true(p.steps[0].rhs_permuted);
  assert_true(p.steps[0].rhs_static);
  hwpath_problem(&net, &p.steps[0], &mp, NULL, NULL);
  assert_false(mp.permuted[MAP_OP_WEIGHT]);
  network(&net, "ab,cb->ac", "40x50,60x50", NULL);
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  assert_false(p.steps[0].rhs_static);
  hwpath_problem(&net, &p.steps[0], &mp, NULL, NULL);
  assert_true(mp.permuted[MAP_OP_WEIGHT]);
}

static void step_cost_is_cached_and_reports_failures(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  tn_network net;
  network(&net, "ab,bc->ac", "64x64,64x64", NULL);
  path p;
  heat_error err;
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  static hwpath_ctx ctx;
  assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
  hwpath_ctx_init(&ctx, &a, &opt, &net, ws);
  double v1 = hwpath_step_cost(&p.steps[0], &ctx);
  double v2 = hwpath_step_cost(&p.steps[0], &ctx);
  assert_true(v1 > 0 && v1 == v2);
  assert_int_equal(ctx.searches, 1);
  /* The bound of a cached step is its exact cost. */
  assert_true(hwpath_step_bound(&p.steps[0], &ctx) == v1);
  a.buffers[1].size_bytes = 16; /* the weight buffer holds no tile: the memo starts afresh */
  hwpath_ctx_init(&ctx, &a, &opt, &net, ws);
  assert_true(hwpath_step_cost(&p.steps[0], &ctx) == HWPATH_INFEASIBLE);
  assert_int_equal(ctx.status, HEAT_ENOFIT);
  assert_non_null(strstr(ctx.err.msg, "wbuf"));
  assert_true(hwpath_step_bound(&p.steps[0], &ctx) == HWPATH_INFEASIBLE);
  assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
  path_options po;
  path_options_init(&po);
  assert_int_equal(hwpath_optimize(&net, &po, &a, &opt, ws, &hr, &err), HEAT_ENOFIT);
  assert_non_null(strstr(err.msg, "path step 1 (ab,bc->ac): buffer 'wbuf'"));
}

static void small_intermediate_stays_on_chip(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  a.buffers[0].size_bytes = 64 * 1024;
  map_options opt;
  map_options_init(&opt, &a);
  tn_network net;
  /* An SVD-style chain: the 384 x 16 intermediate fits in the unified buffer. */
  network(&net, "ta,ab,bc->tc", "384x768,768x16,16x768", "1,2");
  path p;
  heat_error err;
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  assert_int_equal(fuse_path(&net, &p, 't', &a, &opt, ws, &fr, &err), HEAT_OK);
  assert_int_equal(fr.fused_groups, 1);
  assert_true(fr.step[0].output_on_chip);
  assert_false(fr.step[1].output_on_chip);
  assert_int_equal(fr.step[0].token_tiles, 1);
  assert_true(fr.step[1].problem.on_chip[MAP_OP_INPUT]);
  /* At least the intermediate's write and read (384 x 16 bytes each) are saved. */
  assert_true(fr.saved_dram_bytes >= 2 * 384 * 16);
  assert_float_equal(fr.saved_dram_bytes, fr.unfused.dram_bytes - fr.chosen.dram_bytes, 0);
  assert_true(fr.chosen.edp_js <= fr.unfused.edp_js);
}

/* A step whose result a later step reads requantizes it to the input precision on the SIMD unit
 * (mapper/MAPPING.md, "Epilogues"), fused or alone. By hand: 384 x 16 = 6144 elements, one mul
 * each on 32 lanes: 192 SIMD cycles and 6144 x 0.1 pJ = 614.4 pJ; the partial sums read (6144 x
 * 4 B / 8 B = 3072 ubuf accesses) and the values written (768). The chain's last step has none
 * here (its epilogue is its model op's, mapper/layer.c). */
static void intermediates_are_requantized(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  a.buffers[0].size_bytes = 64 * 1024;
  map_options opt;
  map_options_init(&opt, &a);
  tn_network net;
  network(&net, "ta,ab,bc->tc", "384x768,768x16,16x768", "1,2");
  path p;
  heat_error err;
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  for (int mode = 0; mode < 3; mode++) {
    /* 0: SIMD epilogue; 1: accumulators at the input precision; 2: an output stage. */
    a.accum_bits = mode == 1 ? 8 : 32;
    a.array.output_stage = mode == 2;
    assert_int_equal(fuse_path(&net, &p, 't', &a, &opt, ws, &fr, &err), HEAT_OK);
    for (int alone = 0; alone < 2; alone++) {
      const fuse_step *s0 = alone ? &fr.single[0] : &fr.step[0];
      const fuse_step *s1 = alone ? &fr.single[1] : &fr.step[1];
      const map_cost *c = &s0->result.cost, *g = &s0->gemm_cost;
      assert_int_equal(s0->requant, mode != 1);
      assert_false(s1->requant);
      assert_float_equal(s1->problem.epilogue_cycles, 0, 0);
      assert_float_equal(s0->problem.epilogue_cycles, mode == 0 ? 1.0 / 32 : 0, 0);
      assert_float_equal(c->simd_pj - g->simd_pj, mode == 1 ? 0 : 6144 * 0.1, 1e-9);
      assert_float_equal(c->simd_cycles - g->simd_cycles, mode == 0 ? 192 : 0, 0);
      assert_float_equal(c->sram_reads[0] - g->sram_reads[0], mode == 0 ? 3072 : 0, 1e-9);
      assert_float_equal(c->sram_writes[0] - g->sram_writes[0], mode == 0 ? 768 : 0, 1e-9);
      assert_float_equal(c->sram_reads[1], g->sram_reads[1], 0);
      assert_float_equal(c->dram_bytes, g->dram_bytes, 0);
      if (mode != 1) assert_true(c->energy_j > g->energy_j);
    }
  }
}

static void large_intermediate_is_token_tiled(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  a.buffers[0].size_bytes = 64 * 1024; /* 32 KiB usable: the 4096 x 32 intermediate is not */
  a.dram.gbps = 2;                     /* DRAM-bound: the bytes saved pay for the tiling */
  a.dram.latency_ns = 0;
  map_options opt;
  map_options_init(&opt, &a);
  tn_network net;
  network(&net, "ta,ab,bc->tc", "4096x64,64x32,32x64", "1,2");
  path p;
  heat_error err;
  assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
  assert_int_equal(fuse_path(&net, &p, 't', &a, &opt, ws, &fr, &err), HEAT_OK);
  assert_int_equal(fr.fused_groups, 1);
  assert_true(fr.step[0].token_tiles > 1);
  assert_int_equal(fr.step[0].token_tiles, fr.step[1].token_tiles);
  assert_int_equal(fr.step[0].problem.dim[MAP_DIM_M], 4096 / fr.step[0].token_tiles);
  assert_true(fr.saved_dram_bytes > 0);
  /* Without the token letter the chain cannot fuse. */
  assert_int_equal(fuse_path(&net, &p, '\0', &a, &opt, ws, &fr, &err), HEAT_OK);
  assert_int_equal(fr.fused_groups, 0);
  assert_float_equal(fr.saved_dram_bytes, 0, 0);
}

static void fused_never_moves_more_dram(void **state) {
  (void)state;
  static const int sizes[] = {8, 16, 32, 64, 100, 256, 768, 1024, 3072};
  srand(9);
  for (int trial = 0; trial < 16; trial++) {
    arch a;
    test_arch_tpu(&a, 16, 16);
    a.buffers[0].size_bytes = (int64_t)(16 << (trial % 6)) * 1024;
    a.dram.gbps = trial % 2 ? 2 : 32;
    map_options opt;
    map_options_init(&opt, &a);
    opt.objective = (map_objective)(trial % 3);
    char shapes[96];
    int t = 64 << (rand() % 5), d[4];
    for (int i = 0; i < 4; i++) d[i] = sizes[rand() % 9];
    snprintf(shapes, sizeof shapes, "%dx%d,%dx%d,%dx%d,%dx%d", t, d[0], d[0], d[1], d[1], d[2],
             d[2], d[3]);
    tn_network net;
    network(&net, "ta,ab,bc,cd->td", shapes, "1,2,3");
    path p;
    heat_error err;
    assert_int_equal(path_left_to_right(&net, &p, &err), HEAT_OK);
    assert_int_equal(fuse_path(&net, &p, 't', &a, &opt, ws, &fr, &err), HEAT_OK);
    assert_true(fr.chosen.dram_bytes <= fr.unfused.dram_bytes);
    assert_true(hwpath_totals_value(opt.objective, &fr.chosen) <=
                hwpath_totals_value(opt.objective, &fr.unfused) * (1 + 1e-12));
    assert_int_equal(fr.chosen.macs, fr.unfused.macs);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hardware_path_strictly_better),
      cmocka_unit_test(hardware_path_never_worse),
      cmocka_unit_test(static_lhs_transposes_the_gemm),
      cmocka_unit_test(only_dynamic_operands_pay_for_layout_transforms),
      cmocka_unit_test(step_cost_is_cached_and_reports_failures),
      cmocka_unit_test(small_intermediate_stays_on_chip),
      cmocka_unit_test(intermediates_are_requantized),
      cmocka_unit_test(large_intermediate_is_token_tiled),
      cmocka_unit_test(fused_never_moves_more_dram),
      cmocka_unit_test(same_steps_whatever_found_them),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
