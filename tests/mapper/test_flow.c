/* Activation flow between operations (mapper/flow.h): one residency rule for every op kind,
 * GEMM epilogues, the bytes saved, and the invariant that fusion is never worse than no
 * fusion (random layers, seeded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/layer.h"
#include "test_archs.h"

static layer_report rep;

static int find(const model_op *ops, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ops[i].name, name) == 0) return (int)i;
  fail_msg("no op %s", name);
  return -1;
}

/* BERT-base on tpu-32 (1 MiB usable of a double-buffered 2 MiB unified buffer). */
static void bert_block_plan(void **state) {
  (void)state;
  arch a;
  model m;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  assert_int_equal(model_ops(&m, MODEL_PART_BLOCK, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  static flow_plan p;
  double x = 384.0 * 768;
  assert_int_equal(flow_plan_part(&a, ops, n, FLOW_SRAM, x, true, true, &p, &err), HEAT_OK);
  assert_float_equal(p.capacity, 1024.0 * 1024, 0);
  /* Element-wise ops after a GEMM run in its epilogue. */
  assert_int_equal(p.op[find(ops, n, "gelu")].epilogue_of, find(ops, n, "ffn1"));
  assert_int_equal(p.op[find(ops, n, "residual_attn")].epilogue_of, find(ops, n, "o"));
  assert_int_equal(p.op[find(ops, n, "residual_ffn")].epilogue_of, find(ops, n, "ffn2"));
  assert_int_equal(p.op[find(ops, n, "ffn1")].out, FLOW_EPILOGUE);
  assert_int_equal(p.op[find(ops, n, "softmax")].epilogue_of, -1); /* a row reduction */
  /* LayerNorm outputs fit and stay; K and V are read in the weight role, which the unified
   * buffer may not hold; the 1.7 MB score matrix does not fit. */
  assert_int_equal(p.op[find(ops, n, "ln_attn")].out, FLOW_SRAM);
  assert_int_equal(p.op[find(ops, n, "ln_ffn")].out, FLOW_SRAM);
  assert_int_equal(p.op[find(ops, n, "k")].out, FLOW_DRAM);
  assert_int_equal(p.op[find(ops, n, "v")].out, FLOW_DRAM);
  assert_int_equal(p.op[find(ops, n, "attn_score")].out, FLOW_DRAM);
  /* ffn1's result (with GELU) goes to DRAM once and ffn2 reads it once: 2 x 1179648 bytes,
   * against 6 x 1179648 + 2 x 294912 read and written by ffn1, its bias and GELU alone. */
  const flow_op *f1 = &p.op[find(ops, n, "ffn1")];
  assert_float_equal(f1->flow_bytes, 384.0 * 3072, 0);
  assert_float_equal(f1->alone_bytes, 384.0 * 768 + 5 * 384.0 * 3072, 0);
  /* ffn2 reads it back; its residual (ln_attn) and its result stay. */
  assert_float_equal(p.op[find(ops, n, "ffn2")].flow_bytes, 384.0 * 3072, 0);
  /* Kept tensors never exceed the buffer: while q runs, the block input is q's own operand. */
  assert_float_equal(flow_kept_beside(&p, (size_t)find(ops, n, "q")), 0, 0);
  assert_float_equal(flow_kept_beside(&p, (size_t)find(ops, n, "attn_score")), x, 0);
  assert_true(p.alone_bytes > p.flow_bytes);
  /* keep = false: everything through DRAM; epilogues still fold. */
  assert_int_equal(flow_plan_part(&a, ops, n, FLOW_DRAM, x, false, false, &p, &err), HEAT_OK);
  for (size_t i = 0; i < n; i++) assert_true(p.op[i].out != FLOW_SRAM);
  assert_int_equal(p.op[find(ops, n, "gelu")].epilogue_of, find(ops, n, "ffn1"));
}

/* Every preset's parts name inputs that exist (pre-norm blocks included). */
static void every_model_plans(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("cloud-128", &a, &err), HEAT_OK);
  for (size_t k = 0; k < model_preset_count(); k++) {
    model m;
    assert_int_equal(model_resolve(model_preset_name(k), &m, &err), HEAT_OK);
    for (int part = 0; part < 3; part++) {
      model_op ops[MODEL_OPS_MAX];
      size_t n;
      static flow_plan p;
      assert_int_equal(model_ops(&m, (model_part)part, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
      if (flow_plan_part(&a, ops, n, FLOW_DRAM, 1000, false, true, &p, &err) != HEAT_OK)
        fail_msg("%s part %d: %s", m.name, part, err.msg);
      assert_true(p.alone_bytes >= p.flow_bytes);
    }
  }
  /* GPT-2 is pre-norm: the FFN residual adds the attention residual sum. */
  model m;
  assert_int_equal(model_resolve("gpt2-small", &m, &err), HEAT_OK);
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  assert_int_equal(model_ops(&m, MODEL_PART_BLOCK, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  assert_string_equal(ops[find(ops, n, "residual_ffn")].inputs[1], "residual_attn");
  assert_string_equal(ops[find(ops, n, "q")].inputs[0], "ln_attn");
  /* An input that is not an earlier op is an internal error, named. */
  snprintf(ops[3].inputs[0], sizeof ops[3].inputs[0], "nope");
  static flow_plan p;
  assert_int_equal(flow_plan_part(&a, ops, n, FLOW_DRAM, 0, false, true, &p, &err), HEAT_EINTERNAL);
  assert_non_null(strstr(err.msg, "reads 'nope'"));
}

/* The case: tpu-32 with a 1 MiB unified buffer, BERT-base FFN1. The bias no longer
 * moves the activation through DRAM: the op writes its 1,179,648-byte result once. */
static void ffn1_writes_its_result_once(void **state) {
  (void)state;
  arch a;
  model m;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  a.buffers[0].size_bytes = 1024 * 1024;
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  layer_config cfg;
  layer_config_init(&cfg);
  snprintf(cfg.only, sizeof cfg.only, "ffn1");
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  assert_int_equal(rep.n_items, 1);
  const map_cost *c = &rep.items[0].result.cost;
  assert_float_equal(c->dram_write_bytes, 384.0 * 3072, 0);
  assert_int_equal(rep.items[0].input_place, FLOW_SRAM); /* ln_attn's output */
  assert_int_equal(rep.items[0].output_place, FLOW_DRAM);
  assert_true(c->simd_cycles > 0 && c->simd_pj > 0);
  assert_true(c->cycles >= c->simd_cycles);
  assert_float_equal(rep.flow_saved_bytes, 12 * (384.0 * 768 + 4 * 384.0 * 3072), 0);
  /* The whole model: no SIMD op of the block moves an activation it could keep. */
  cfg.only[0] = '\0';
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  for (size_t i = 0; i < rep.n_items; i++) {
    const layer_item *it = &rep.items[i];
    /* o's result (partial sums too large to keep) went to DRAM once: ln_attn reads it back
     * once and keeps its own output for ffn1 and the FFN residual. */
    if (strcmp(it->name, "block.ln_attn") == 0) {
      assert_float_equal(it->result.cost.dram_read_bytes, 384.0 * 768, 0);
      assert_float_equal(it->result.cost.dram_write_bytes, 0, 0);
      assert_int_equal(it->output_place, FLOW_SRAM);
    }
    if (strcmp(it->name, "block.gelu") == 0) {
      assert_string_equal(it->epilogue_of, "block.ffn1");
      assert_float_equal(it->result.cost.cycles, 0, 0);
    }
  }
  assert_true(rep.flow_saved_bytes > 0);
  assert_float_equal(rep.flow_saved_bytes, rep.flow_alone_bytes - rep.flow_dram_bytes, 0);
  /* Without keeping activations every one goes through DRAM. */
  double kept = rep.flow_dram_bytes;
  cfg.keep_on_chip = false;
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  assert_true(rep.flow_dram_bytes > kept);
}

/* xorshift64*: the test's own seeded generator (same cases on every machine). */
static uint64_t rng_state = 0x8badf00dULL;
static uint64_t rnd(uint64_t n) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (rng_state * 0x2545F4914F6CDD1DULL >> 33) % n;
}

/* Fused is never worse than unfused, by the objective, over random factorized layers. */
static void fused_never_worse_than_unfused(void **state) {
  (void)state;
  static const char *const pairs768[] = {"32x24", "24x32", "16x48", "48x16", "12x64", "64x12"};
  static const char *const pairs3072[] = {"64x48", "48x64", "96x32", "1536x2", "32x96"};
  static const char *const archs[] = {"tpu-32", "simba-l", "eyeriss-like"};
  for (int k = 0; k < 10; k++) {
    arch a;
    model m;
    heat_error err;
    assert_int_equal(arch_resolve(archs[rnd(3)], &a, &err), HEAT_OK);
    assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
    assert_int_equal(model_set_seq(&m, 64 << rnd(3), "--seq", &err), HEAT_OK);
    map_options opt;
    map_options_init(&opt, &a);
    opt.objective = (map_objective)rnd(3);
    layer_config cfg;
    layer_config_init(&cfg);
    bool ffn = rnd(2);
    const char *layer = ffn ? "ffn1" : "q";
    snprintf(cfg.only, sizeof cfg.only, "%s", layer);
    snprintf(cfg.target, sizeof cfg.target, "%s", layer);
    cfg.has_format = true;
    cfg.path_mode = k < 3 ? LAYER_PATH_HARDWARE : LAYER_PATH_MACS;
    char shape[32];
    snprintf(shape, sizeof shape, "%s:%s", ffn ? pairs3072[rnd(5)] : pairs768[rnd(6)],
             pairs768[rnd(6)]);
    assert_int_equal(wl_shape_parse(shape, "--shape", &cfg.format.shape, &err), HEAT_OK);
    static const wl_format formats[] = {WL_FORMAT_SVD, WL_FORMAT_CP, WL_FORMAT_TUCKER,
                                        WL_FORMAT_TTM, WL_FORMAT_TT};
    cfg.format.format = formats[rnd(5)];
    size_t nr = cfg.format.format == WL_FORMAT_TUCKER ? 4 : cfg.format.format == WL_FORMAT_TT ? 3 : 1;
    cfg.format.n_ranks = nr;
    for (size_t r = 0; r < nr; r++) cfg.format.rank[r] = 2 + (int64_t)rnd(11);
    if (cfg.format.format == WL_FORMAT_CP || cfg.format.format == WL_FORMAT_SVD)
      cfg.format.rank[0] = 8 + (int64_t)rnd(300);
    if (wl_layer_check(&cfg.format, "--ranks", &err) != HEAT_OK) continue;
    double v[2];
    for (int fuse = 0; fuse < 2; fuse++) {
      cfg.fuse = fuse;
      if (layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err) != HEAT_OK)
        fail_msg("case %d (%s %s): %s", k, a.name, shape, err.msg);
      v[fuse] = hwpath_totals_value(opt.objective, &rep.total);
    }
    if (v[1] > v[0] * (1 + 1e-12))
      fail_msg("case %d: %s %s %s ranks %lld: fused %.9g worse than unfused %.9g", k, a.name,
               layer, shape, (long long)cfg.format.rank[0], v[1], v[0]);
  }
}

/* The counterexample: CP FFN1 1536x2:384x2 rank 350 on simba-l. */
static void cp_ffn1_fused_not_worse(void **state) {
  (void)state;
  arch a;
  model m;
  heat_error err;
  assert_int_equal(arch_resolve("simba-l", &a, &err), HEAT_OK);
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  layer_config cfg;
  layer_config_init(&cfg);
  snprintf(cfg.only, sizeof cfg.only, "ffn1");
  snprintf(cfg.target, sizeof cfg.target, "ffn1");
  cfg.has_format = true;
  cfg.format.format = WL_FORMAT_CP;
  assert_int_equal(wl_shape_parse("1536x2:384x2", "--shape", &cfg.format.shape, &err), HEAT_OK);
  cfg.format.n_ranks = 1;
  cfg.format.rank[0] = 350;
  double v[2];
  for (int fuse = 0; fuse < 2; fuse++) {
    cfg.fuse = fuse;
    assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
    v[fuse] = rep.total.edp_js;
  }
  assert_true(v[1] <= v[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bert_block_plan),
      cmocka_unit_test(every_model_plans),
      cmocka_unit_test(ffn1_writes_its_result_once),
      cmocka_unit_test(fused_never_worse_than_unfused),
      cmocka_unit_test(cp_ffn1_fused_not_worse),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
