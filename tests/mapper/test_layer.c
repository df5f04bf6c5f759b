/* Whole-model pricing: totals add up, MACs match the model's own count, SIMD costs by hand,
 * factorized linears, and the error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/layer.h"
#include "test_archs.h"

static layer_report rep;

/* tpu-32, bert-base (seq 384) and the default options. */
static void load(arch *a, model *m, map_options *opt) {
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", a, &err), HEAT_OK);
  assert_int_equal(model_resolve("bert-base", m, &err), HEAT_OK);
  map_options_init(opt, a);
}

static void dense_model_totals_add_up(void **state) {
  (void)state;
  arch a;
  model m;
  map_options opt;
  heat_error err;
  load(&a, &m, &opt);
  assert_int_equal(model_set_seq(&m, 128, "--seq", &err), HEAT_OK);
  layer_config cfg;
  layer_config_init(&cfg);
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  model_totals mt;
  assert_int_equal(model_total(&m, &mt, &err), HEAT_OK);
  assert_int_equal(rep.total.macs, mt.macs);
  assert_int_equal(rep.block.macs, mt.block_macs);
  assert_int_equal(rep.layers, 12);
  assert_float_equal(rep.part[MODEL_PART_BLOCK].cycles, 12 * rep.block.cycles,
                     1e-9 * rep.block.cycles);
  assert_float_equal(rep.total.energy_j,
                     rep.part[0].energy_j + rep.part[1].energy_j + rep.part[2].energy_j,
                     1e-12 * rep.total.energy_j);
  assert_float_equal(rep.total.edp_js, rep.total.energy_j * rep.total.latency_s,
                     1e-12 * rep.total.edp_js);
  /* Never faster than the peak, never cheaper than the MACs. */
  assert_true(rep.total.cycles * 1024 >= (double)rep.total.macs);
  assert_true(rep.total.energy_j >= (double)rep.total.macs * a.mac_pj * 1e-12);
  /* q, k, v, o share one search: the later ones say 0 mappings evaluated. */
  int searched = 0, gemms = 0;
  for (size_t i = 0; i < rep.n_items; i++) {
    const layer_item *it = &rep.items[i];
    if (it->part == MODEL_PART_BLOCK) assert_int_equal(it->repeat, 12);
    if (it->simd) continue;
    gemms++;
    searched += it->result.evaluated > 0;
  }
  assert_true(searched < gemms);
  /* Cycles are whole at the source: every item's latency is its cycles over the clock, and
   * the totals are the sums of the items' figures. */
  double cycles = 0;
  for (size_t i = 0; i < rep.n_items; i++) {
    const map_cost *c = &rep.items[i].result.cost;
    assert_float_equal(c->cycles, floor(c->cycles), 0);
    assert_float_equal(c->latency_s * a.clock_ghz * 1e9, c->cycles, 1e-9 * c->cycles);
    cycles += c->cycles * (double)rep.items[i].count * (double)rep.items[i].repeat;
  }
  assert_float_equal(rep.total.cycles, cycles, 0);
  assert_float_equal(rep.total.latency_s * a.clock_ghz * 1e9, cycles, 1e-9 * cycles);
}

/* A dense model runs no path DP: priced with the hardware-aware path it does exactly the MAC
 * path's work and gives the same totals, and the workspace's memo setting is restored. */
static void dense_model_searches_its_objective_only(void **state) {
  (void)state;
  arch a;
  model m;
  map_options opt;
  heat_error err;
  load(&a, &m, &opt);
  assert_int_equal(model_set_seq(&m, 64, "--seq", &err), HEAT_OK);
  layer_config cfg;
  layer_config_init(&cfg);
  int64_t evaluated[2];
  double edp[2];
  unsigned before = ws->memo_want;
  ws->memo_want = 1u << MAP_OBJECTIVE_ENERGY; /* the caller's own setting */
  for (int mode = 0; mode < 2; mode++) {
    cfg.path_mode = mode ? LAYER_PATH_HARDWARE : LAYER_PATH_MACS;
    int64_t e0 = ws->evaluated;
    assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
    assert_int_equal(ws->memo_want, 1u << MAP_OBJECTIVE_ENERGY);
    evaluated[mode] = ws->evaluated - e0;
    edp[mode] = rep.total.edp_js;
  }
  ws->memo_want = before;
  assert_true(evaluated[0] > 0);
  assert_int_equal(evaluated[1], evaluated[0]);
  assert_float_equal(edp[1], edp[0], 0);
}

static void simd_costs_by_hand(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32); /* 32 lanes: add, mul, max 1 cycle; exp, div, rsqrt 4 */
  model_op op;
  memset(&op, 0, sizeof op);
  op.kind = MODEL_OP_SOFTMAX;
  op.count = 12;
  op.rows = 128;
  op.width = 128;
  map_cost c;
  flow_simd_cost(&a, &op, 0, 0, &c);
  /* max + 2 add + exp + div + mul = 12 cycles per element; 196,608 elements on 32 lanes. */
  assert_float_equal(c.cycles, 196608.0 * 12 / 32, 0);
  assert_int_equal(c.bound, MAP_BOUND_SIMD);
  assert_float_equal(c.simd_pj, 196608.0 * 12 * 0.1, 1e-6);
  assert_float_equal(c.dram_bytes, 0, 0);
  op.kind = MODEL_OP_LAYERNORM;
  op.count = 1;
  op.rows = 64;
  op.width = 768;
  flow_simd_cost(&a, &op, 0, 0, &c);
  /* 4 add + 3 mul per element, one rsqrt per row. */
  assert_float_equal(c.cycles, 64.0 * 768 * 7 / 32 + 64.0 * 4 / 32, 0);
  op.kind = MODEL_OP_EMBEDDING;
  flow_simd_cost(&a, &op, 0, 0, &c);
  /* Gathered from DRAM at 32 B/cycle. */
  assert_float_equal(c.dram_bytes, 64.0 * 768, 0);
  assert_float_equal(c.cycles, 64.0 * 768 / 32, 0);
  assert_int_equal(c.bound, MAP_BOUND_DRAM);
  op.kind = MODEL_OP_ADD;
  op.rows = 4096;
  op.width = 1024; /* 4 MiB: its two operands read from DRAM and its result written there */
  flow_simd_cost(&a, &op, 2.0 * 4096 * 1024, 4096.0 * 1024, &c);
  assert_float_equal(c.dram_bytes, 3.0 * 4096 * 1024, 0);
  assert_int_equal(c.bound, MAP_BOUND_DRAM);
  assert_float_equal(c.energy_j * 1e12,
                     c.simd_pj + c.dram_pj + c.leak_pj + c.buffer_pj[0] + c.buffer_pj[1],
                     1e-6 * c.energy_j * 1e12);
}

static void factorized_ffn(void **state) {
  (void)state;
  arch a;
  model m;
  map_options opt;
  heat_error err;
  load(&a, &m, &opt);
  layer_config cfg;
  layer_config_init(&cfg);
  snprintf(cfg.only, sizeof cfg.only, "ffn1");
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  double dense_macs = (double)rep.total.macs;
  assert_int_equal(rep.n_items, 1); /* the GEMM; bias and GELU run in its epilogue */
  assert_string_equal(rep.items[0].epilogue, "requant+bias+gelu");
  cfg.has_format = true;
  snprintf(cfg.target, sizeof cfg.target, "ffn1");
  cfg.format.format = WL_FORMAT_SVD;
  cfg.format.n_ranks = 1;
  cfg.format.rank[0] = 32;
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  assert_int_equal(rep.n_items, 2);
  assert_string_equal(rep.items[0].name, "block.ffn1.s1");
  assert_string_equal(rep.items[1].epilogue, "requant+bias+gelu");
  assert_true(rep.items[0].view[0] != '\0');
  /* 384 x 768 x 32 + 384 x 32 x 3072 per layer. */
  assert_float_equal((double)rep.total.macs, 12.0 * (384.0 * 768 * 32 + 384.0 * 32 * 3072), 0);
  assert_true(rep.total.macs < dense_macs);
  assert_true(rep.saved_dram_bytes >= 0);
  /* MAC-optimal path, unfused: same MACs, never less DRAM than fused (fusion keeps a group only
   * when it moves no more bytes; another path may move more). */
  cfg.path_mode = LAYER_PATH_MACS;
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  double fused_dram = rep.total.dram_bytes;
  cfg.fuse = false;
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  assert_float_equal((double)rep.total.macs, 12.0 * (384.0 * 768 * 32 + 384.0 * 32 * 3072), 0);
  assert_true(rep.total.dram_bytes >= fused_dram);
  /* Every block linear in SVD: q, k, v, o reuse one pricing. */
  cfg.only[0] = '\0';
  snprintf(cfg.target, sizeof cfg.target, "all");
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  int copies = 0;
  for (size_t i = 0; i < rep.n_items; i++)
    if (strncmp(rep.items[i].name, "block.k.s", 9) == 0) {
      copies++;
      assert_int_equal(rep.items[i].result.evaluated, 0);
    }
  assert_int_equal(copies, 2);
}

static void errors_name_the_problem(void **state) {
  (void)state;
  arch a;
  model m;
  map_options opt;
  heat_error err;
  load(&a, &m, &opt);
  layer_config cfg;
  layer_config_init(&cfg);
  snprintf(cfg.only, sizeof cfg.only, "nope");
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "has no block operation 'nope'; it has: "));
  layer_config_init(&cfg);
  cfg.has_format = true;
  snprintf(cfg.target, sizeof cfg.target, "softmax");
  cfg.format.format = WL_FORMAT_SVD;
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "no linear of the block of 'bert-base' is named 'softmax'"));
  snprintf(cfg.target, sizeof cfg.target, "ffn");
  cfg.format.n_ranks = 1;
  cfg.format.rank[0] = 5000;
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "block ffn1: "));
  /* A buffer too small for any tile: the op and the buffer are named. */
  layer_config_init(&cfg);
  a.buffers[1].size_bytes = 16; /* less than a 1 x 32 weight tile */
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_ENOFIT);
  assert_non_null(strstr(err.msg, "block q: buffer 'weight_buf'"));
}

/* The audit's cases where the hardware-aware path, chosen before fusion, was worse than the MAC
 * path after fusion: the reported (fused) total is never worse than --path mac's. */
static void hw_path_never_worse_after_fusion(void **state) {
  (void)state;
  struct {
    const char *arch, *layer, *shape;
    wl_format format;
    int64_t ranks[5];
    size_t n_ranks;
    map_objective obj;
  } cases[] = {
      {"tpu-32", "q", "8x8x12:8x8x12", WL_FORMAT_TT, {4, 8, 16, 8, 4}, 5, MAP_OBJECTIVE_ENERGY},
      {"simba-l", "ffn1", "48x64:32x24", WL_FORMAT_TUCKER, {16, 16, 16, 16}, 4,
       MAP_OBJECTIVE_LATENCY},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    arch a;
    model m;
    map_options opt;
    heat_error err;
    assert_int_equal(arch_resolve(cases[k].arch, &a, &err), HEAT_OK);
    assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
    map_options_init(&opt, &a);
    opt.objective = cases[k].obj;
    layer_config cfg;
    layer_config_init(&cfg);
    snprintf(cfg.only, sizeof cfg.only, "%s", cases[k].layer);
    snprintf(cfg.target, sizeof cfg.target, "%s", cases[k].layer);
    cfg.has_format = true;
    cfg.format.format = cases[k].format;
    assert_int_equal(wl_shape_parse(cases[k].shape, "--shape", &cfg.format.shape, &err), HEAT_OK);
    cfg.format.n_ranks = cases[k].n_ranks;
    memcpy(cfg.format.rank, cases[k].ranks, cases[k].n_ranks * sizeof(int64_t));
    double v[2];
    for (int mode = 0; mode < 2; mode++) {
      cfg.path_mode = mode ? LAYER_PATH_HARDWARE : LAYER_PATH_MACS;
      if (layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err) != HEAT_OK) fail_msg("%s", err.msg);
      v[mode] = hwpath_totals_value(opt.objective, &rep.total);
    }
    if (v[1] > v[0]) fail_msg("case %zu: hw %.9g worse than mac %.9g", k, v[1], v[0]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dense_model_totals_add_up),
      cmocka_unit_test(dense_model_searches_its_objective_only),
      cmocka_unit_test(simd_costs_by_hand),
      cmocka_unit_test(factorized_ffn),
      cmocka_unit_test(errors_name_the_problem),
      cmocka_unit_test(hw_path_never_worse_after_fusion),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
