/* workloads/model: preset totals against the published counts, per-operation MACs worked out by
 * hand, workload changes, and the GEMM view the mapper uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/model.h"

static model resolve_ok(const char *name) {
  model m;
  heat_error err;
  int rc = model_resolve(name, &m, &err);
  if (rc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
  assert_int_equal(rc, HEAT_OK);
  return m;
}

static model_totals total_ok(const model *m) {
  model_totals t;
  heat_error err;
  assert_int_equal(model_total(m, &t, &err), HEAT_OK);
  return t;
}

/* The published counts (Hugging Face / timm parameter counts of the same architectures).
 * By hand, with h = hidden, f = ffn, one block = 4(h^2 + h) + (hf + f) + (fh + h) + 2 * 2h:
 *   h=768,  f=3072: 2,362,368 + 2,362,368 + 2,360,064 + 3,072 = 7,087,872
 *   h=1024, f=4096: 4,198,400 + 4,198,400 + 4,195,328 + 4,096 = 12,596,224
 * bert-base:  (30522+512+2)h + 2h = 23,837,184; + 12 blocks 85,054,464; + pooler 590,592
 * bert-large: (30522+512+2)h + 2h = 31,782,912; + 24 blocks 302,309,376; + pooler 1,049,600
 * distilbert: (30522+512)h + 2h = 23,835,648; + 6 blocks 42,527,232
 * gpt2-small: (50257+1024)h = 39,383,808; + 12 blocks; + ln_f 1,536; LM head tied (0)
 * vit-b16:    patch 768*768+768 = 590,592; cls 768; pos 197h = 151,296; + 12 blocks;
 *             + final LN 1,536; + head 1000h+1000 = 769,000 */
static void preset_totals_equal_published_counts(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int64_t params;
  } want[] = {{"bert-base", 109482240},  {"bert-large", 335141888}, {"distilbert", 66362880},
              {"gpt2-small", 124439808}, {"vit-b16", 86567656}};
  assert_int_equal(model_preset_count(), 5);
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(model_preset_name(i), want[i].name);
    model m = resolve_ok(want[i].name);
    assert_string_equal(m.name, want[i].name);
    model_totals t = total_ok(&m);
    assert_int_equal(t.params, want[i].params);
  }
  model m = resolve_ok("bert-base");
  model_totals t = total_ok(&m);
  assert_int_equal(t.input_params, 23837184);
  assert_int_equal(t.block_params, 7087872);
  assert_int_equal(t.output_params, 590592);
  m = resolve_ok("bert-large");
  t = total_ok(&m);
  assert_int_equal(t.block_params, 12596224);
  assert_int_equal(t.input_params, 31782912);
}

static const model_op *find_op(const model_op *ops, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ops[i].name, name) == 0) return &ops[i];
  fail_msg("no op '%s'", name);
  return NULL;
}

/* bert-base, seq 384, batch 1 (384 tokens, 12 heads of 64):
 *   q, k, v, o:   384 tokens x 768 out x 768 in           = 226,492,416 MACs each
 *   attn_score:   12 heads x (384 x 384 outputs x 64)      = 12 x 9,437,184 = 113,246,208
 *   attn_context: 12 heads x (384 x 64 outputs x 384)      = 113,246,208
 *   ffn1:         384 x 3072 out x 768 in                  = 905,969,664; ffn2 the same
 *   block:        4 x 226,492,416 + 2 x 113,246,208 + 2 x 905,969,664 = 2,944,401,408
 *   pooler:       1 token x 768 x 768                      = 589,824
 *   model:        12 x 2,944,401,408 + 589,824             = 35,333,406,720 */
static void bert_base_ops_at_seq_384(void **state) {
  (void)state;
  model m = resolve_ok("bert-base");
  assert_int_equal(m.seq, 384);
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  heat_error err;
  assert_int_equal(model_block_ops(&m, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  assert_int_equal(n, 14);
  static const char *const order[] = {"q",  "k",    "v",    "attn_score",   "softmax",
                                      "attn_context", "o",  "residual_attn", "ln_attn",
                                      "ffn1", "gelu", "ffn2", "residual_ffn", "ln_ffn"};
  for (size_t i = 0; i < n; i++) assert_string_equal(ops[i].name, order[i]);
  const model_op *q = find_op(ops, n, "q");
  assert_int_equal(q->kind, MODEL_OP_LINEAR);
  assert_int_equal(q->out_features, 768);
  assert_int_equal(q->in_features, 768);
  assert_int_equal(q->tokens, 384);
  assert_true(q->bias);
  assert_int_equal(q->macs, 226492416);
  assert_int_equal(q->params, 768 * 768 + 768);
  const model_op *s = find_op(ops, n, "attn_score");
  assert_int_equal(s->kind, MODEL_OP_MATMUL);
  assert_int_equal(s->count, 12);
  assert_int_equal(s->m, 384);
  assert_int_equal(s->k, 64);
  assert_int_equal(s->n, 384);
  assert_int_equal(s->macs, 113246208);
  const model_op *c = find_op(ops, n, "attn_context");
  assert_int_equal(c->k, 384);
  assert_int_equal(c->n, 64);
  assert_int_equal(c->macs, 113246208);
  const model_op *sm = find_op(ops, n, "softmax");
  assert_int_equal(sm->count, 12);
  assert_int_equal(sm->rows, 384);
  assert_int_equal(sm->width, 384);
  assert_int_equal(sm->macs, 0);
  const model_op *f1 = find_op(ops, n, "ffn1"), *f2 = find_op(ops, n, "ffn2");
  assert_int_equal(f1->out_features, 3072);
  assert_int_equal(f1->in_features, 768);
  assert_int_equal(f1->macs, 905969664);
  assert_int_equal(f2->out_features, 768);
  assert_int_equal(f2->in_features, 3072);
  assert_int_equal(f2->macs, 905969664);
  assert_int_equal(f2->params, 3072 * 768 + 768);
  const model_op *g = find_op(ops, n, "gelu");
  assert_int_equal(g->rows, 384);
  assert_int_equal(g->width, 3072);
  assert_int_equal(find_op(ops, n, "ln_ffn")->params, 1536);
  model_totals t = total_ok(&m);
  assert_int_equal(t.block_macs, 2944401408LL);
  assert_int_equal(t.output_macs, 589824);
  assert_int_equal(t.input_macs, 0);
  assert_int_equal(t.macs, 35333406720LL);
}

/* seq 128, batch 2: 256 tokens; 24 (batch x heads) attention instances of 128x64 * 64x128. */
static void seq_and_batch_rescale_the_ops(void **state) {
  (void)state;
  model m = resolve_ok("bert-base");
  heat_error err;
  assert_int_equal(model_set_seq(&m, 128, "--seq", &err), HEAT_OK);
  assert_int_equal(model_set_batch(&m, 2, "--batch", &err), HEAT_OK);
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  assert_int_equal(model_block_ops(&m, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  assert_int_equal(find_op(ops, n, "q")->tokens, 256);
  assert_int_equal(find_op(ops, n, "q")->macs, 256 * 768 * 768);
  const model_op *s = find_op(ops, n, "attn_score");
  assert_int_equal(s->count, 24);
  assert_int_equal(s->macs, 24 * 128 * 128 * 64);
  /* parameters do not depend on the workload */
  assert_int_equal(total_ok(&m).params, 109482240);
  /* the pooler reads one token per sequence */
  assert_int_equal(model_ops(&m, MODEL_PART_OUTPUT, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  assert_int_equal(find_op(ops, n, "pooler")->tokens, 2);
}

static void gemm_view_of_linear_and_matmul(void **state) {
  (void)state;
  model m = resolve_ok("bert-base");
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  heat_error err;
  int64_t b, M, K, N;
  assert_int_equal(model_block_ops(&m, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  /* Y = X W^T: tokens x in times in x out */
  assert_true(model_op_gemm(find_op(ops, n, "ffn1"), &b, &M, &K, &N));
  assert_int_equal(b, 1);
  assert_int_equal(M, 384);
  assert_int_equal(K, 768);
  assert_int_equal(N, 3072);
  assert_true(model_op_gemm(find_op(ops, n, "attn_context"), &b, &M, &K, &N));
  assert_int_equal(b, 12);
  assert_int_equal(M, 384);
  assert_int_equal(K, 384);
  assert_int_equal(N, 64);
  assert_false(model_op_gemm(find_op(ops, n, "softmax"), &b, &M, &K, &N));
  assert_int_equal(b + M + K + N, 0);
  for (size_t i = 0; i < n; i++)
    if (model_op_gemm(&ops[i], &b, &M, &K, &N)) assert_int_equal(ops[i].macs, b * M * K * N);
}

static void pre_norm_models_put_layernorm_first(void **state) {
  (void)state;
  model m = resolve_ok("gpt2-small");
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  heat_error err;
  assert_int_equal(m.norm, MODEL_NORM_PRE);
  assert_int_equal(model_block_ops(&m, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  assert_string_equal(ops[0].name, "ln_attn");
  assert_string_equal(ops[8].name, "residual_attn");
  assert_string_equal(ops[9].name, "ln_ffn");
  assert_string_equal(ops[10].name, "ffn1");
  /* The tied LM head costs MACs (1024 tokens x 50257 x 768) but stores nothing. */
  assert_int_equal(model_ops(&m, MODEL_PART_OUTPUT, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  const model_op *head = find_op(ops, n, "lm_head");
  assert_int_equal(head->params, 0);
  assert_int_equal(head->macs, 1024LL * 50257 * 768);
  assert_false(head->bias);
}

/* 224 / 16 = 14 patches a side: 196 patches + the class token. */
static void vision_sequence_follows_from_patches(void **state) {
  (void)state;
  model m = resolve_ok("vit-b16");
  heat_error err;
  assert_int_equal(m.seq, 197);
  assert_int_equal(m.positions, 197);
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  assert_int_equal(model_ops(&m, MODEL_PART_INPUT, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  const model_op *p = find_op(ops, n, "patch_embed");
  assert_int_equal(p->in_features, 3 * 16 * 16);
  assert_int_equal(p->tokens, 196);
  assert_int_equal(p->macs, 196LL * 768 * 768);
  assert_int_equal(model_set_batch(&m, 4, "--batch", &err), HEAT_OK);
  assert_int_equal(model_ops(&m, MODEL_PART_INPUT, ops, MODEL_OPS_MAX, &n, &err), HEAT_OK);
  assert_int_equal(find_op(ops, n, "patch_embed")->tokens, 784);
}

static void files_load_by_path_and_name_the_origin(void **state) {
  (void)state;
  model m = resolve_ok("../../workloads/models/distilbert.cfg");
  assert_string_equal(m.origin, "../../workloads/models/distilbert.cfg");
  assert_int_equal(total_ok(&m).params, 66362880);
  m = resolve_ok("bert-large");
  assert_string_equal(m.origin, "workloads/models/bert-large.cfg");
  assert_non_null(model_preset_text("vit-b16"));
  assert_null(model_preset_text("vit-b17"));
  assert_null(model_preset_name(5));
}

/* A small model exercising the optional keys: no biases, a classifier, defaults. */
static void optional_keys_and_defaults(void **state) {
  (void)state;
  model m;
  heat_error err;
  int rc = model_load_string("name = \"tiny\"; kind = \"encoder\"; layers = 2; hidden = 8;\n"
                             "heads = 2; ffn = 16; vocab = 10; positions = 6; seq = 4;\n"
                             "biases = false; classifier_classes = 3;\n",
                             "tiny.cfg", &m, &err);
  assert_int_equal(rc, HEAT_OK);
  assert_int_equal(m.batch, 1);
  assert_int_equal(m.token_types, 0);
  assert_int_equal(m.norm, MODEL_NORM_POST);
  assert_false(m.pooler);
  /* 10*8 + 6*8 = 128 embeddings; block 4*64 + 16*8 + 8*16 + 2*16 = 544; classifier 3*8 = 24 */
  model_totals t = total_ok(&m);
  assert_int_equal(t.input_params, 128);
  assert_int_equal(t.block_params, 544);
  assert_int_equal(t.output_params, 24);
  assert_int_equal(t.params, 128 + 2 * 544 + 24);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(preset_totals_equal_published_counts),
      cmocka_unit_test(bert_base_ops_at_seq_384),
      cmocka_unit_test(seq_and_batch_rescale_the_ops),
      cmocka_unit_test(gemm_view_of_linear_and_matmul),
      cmocka_unit_test(pre_norm_models_put_layernorm_first),
      cmocka_unit_test(vision_sequence_follows_from_patches),
      cmocka_unit_test(files_load_by_path_and_name_the_origin),
      cmocka_unit_test(optional_keys_and_defaults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
