/* The operations of a forward pass, generated from the hyper-parameters.
 *
 * Everything is derived (parameter totals are checked against published counts in the tests):
 * one block is Q, K, V, O projections, the two attention matmuls per head, softmax, the FFN with
 * its activation, two residual adds and two LayerNorms. The parts outside the blocks depend on
 * the kind: embeddings (token, position, type; or patch embedding and class token), a final
 * LayerNorm, the BERT pooler, a classifier, a decoder's LM head. */
#include <stdio.h>
#include <string.h>

#include "workloads/model.h"

typedef struct ops__builder {
  model_op *ops;
  size_t cap, n;
  model_op spare; /* written when ops is full, so counting continues */
  const char *overflow_at; /* the first op whose numbers overflowed int64 */
} ops__builder;

/* Records the first op whose arithmetic overflowed; its numbers then read 0. */
static int64_t ops__checked(ops__builder *b, const char *name, bool overflowed, int64_t r) {
  if (!overflowed) return r;
  if (!b->overflow_at) b->overflow_at = name;
  return 0;
}

static int64_t ops__mul(ops__builder *b, const char *name, int64_t x, int64_t y) {
  int64_t r;
  bool overflowed = __builtin_mul_overflow(x, y, &r);
  return ops__checked(b, name, overflowed, r);
}

static int64_t ops__add(ops__builder *b, const char *name, int64_t x, int64_t y) {
  int64_t r;
  bool overflowed = __builtin_add_overflow(x, y, &r);
  return ops__checked(b, name, overflowed, r);
}

static model_op *ops__push(ops__builder *b, const char *name, model_op_kind kind, int64_t count) {
  model_op *op = b->n < b->cap ? &b->ops[b->n] : &b->spare;
  b->n++;
  memset(op, 0, sizeof *op);
  snprintf(op->name, sizeof op->name, "%s", name);
  op->kind = kind;
  op->count = count;
  return op;
}

/* Names the activations the last pushed op reads (MODEL_OP_PART_INPUT: the part's input). */
static void ops__reads(ops__builder *b, const char *x, const char *y, const char *z) {
  model_op *op = b->n <= b->cap ? &b->ops[b->n - 1] : &b->spare;
  const char *in[MODEL_OP_INPUTS_MAX] = {x, y, z};
  for (int i = 0; i < MODEL_OP_INPUTS_MAX; i++)
    snprintf(op->inputs[i], sizeof op->inputs[i], "%s", in[i] ? in[i] : "");
}

/* Y[tokens x out] = X[tokens x in] W^T (+ b). */
static model_op *ops__linear(ops__builder *b, const char *name, int64_t out, int64_t in,
                             int64_t tokens, bool bias) {
  model_op *op = ops__push(b, name, MODEL_OP_LINEAR, 1);
  op->out_features = out;
  op->in_features = in;
  op->tokens = op->rows = tokens;
  op->width = out;
  op->bias = bias;
  op->macs = ops__mul(b, name, ops__mul(b, name, tokens, out), in);
  op->params = ops__add(b, name, ops__mul(b, name, out, in), bias ? out : 0);
  return op;
}

static void ops__matmul(ops__builder *b, const char *name, int64_t count, int64_t m, int64_t k,
                        int64_t n) {
  model_op *op = ops__push(b, name, MODEL_OP_MATMUL, count);
  op->m = op->rows = m;
  op->k = k;
  op->n = op->width = n;
  op->macs = ops__mul(b, name, ops__mul(b, name, ops__mul(b, name, count, m), k), n);
}

static model_op *ops__rowwise(ops__builder *b, const char *name, model_op_kind kind,
                              int64_t count, int64_t rows, int64_t width, int64_t params) {
  model_op *op = ops__push(b, name, kind, count);
  op->rows = rows;
  op->width = width;
  op->params = params;
  /* rows x width x count must be representable for consumers that size buffers from it */
  (void)ops__mul(b, name, ops__mul(b, name, rows, width), count);
  return op;
}

static void ops__layernorm(ops__builder *b, const char *name, int64_t rows, int64_t width) {
  ops__rowwise(b, name, MODEL_OP_LAYERNORM, 1, rows, width, ops__mul(b, name, 2, width));
}

static void ops__block(const model *m, ops__builder *b) {
  int64_t h = m->hidden, tokens = ops__mul(b, "tokens", m->seq, m->batch);
  int64_t heads = ops__mul(b, "attn_score", m->batch, m->heads), d = m->hidden / m->heads;
  bool pre = m->norm == MODEL_NORM_PRE;
  const char *in = MODEL_OP_PART_INPUT, *x = in;
  if (pre) {
    ops__layernorm(b, "ln_attn", tokens, h);
    ops__reads(b, in, NULL, NULL);
    x = "ln_attn";
  }
  ops__linear(b, "q", h, h, tokens, m->biases);
  ops__reads(b, x, NULL, NULL);
  ops__linear(b, "k", h, h, tokens, m->biases);
  ops__reads(b, x, NULL, NULL);
  ops__linear(b, "v", h, h, tokens, m->biases);
  ops__reads(b, x, NULL, NULL);
  ops__matmul(b, "attn_score", heads, m->seq, d, m->seq);
  ops__reads(b, "q", "k", NULL);
  ops__rowwise(b, "softmax", MODEL_OP_SOFTMAX, heads, m->seq, m->seq, 0);
  ops__reads(b, "attn_score", NULL, NULL);
  ops__matmul(b, "attn_context", heads, m->seq, m->seq, d);
  ops__reads(b, "softmax", "v", NULL);
  ops__linear(b, "o", h, h, tokens, m->biases);
  ops__reads(b, "attn_context", NULL, NULL);
  ops__rowwise(b, "residual_attn", MODEL_OP_ADD, 1, tokens, h, 0);
  ops__reads(b, "o", in, NULL);
  /* Post-norm: the FFN and its residual read ln_attn; pre-norm: the residual sum. */
  if (!pre) ops__layernorm(b, "ln_attn", tokens, h);
  else ops__layernorm(b, "ln_ffn", tokens, h);
  ops__reads(b, "residual_attn", NULL, NULL);
  const char *y = pre ? "ln_ffn" : "ln_attn", *r = pre ? "residual_attn" : "ln_attn";
  ops__linear(b, "ffn1", m->ffn, h, tokens, m->biases);
  ops__reads(b, y, NULL, NULL);
  ops__rowwise(b, "gelu", MODEL_OP_GELU, 1, tokens, m->ffn, 0);
  ops__reads(b, "ffn1", NULL, NULL);
  ops__linear(b, "ffn2", h, m->ffn, tokens, m->biases);
  ops__reads(b, "gelu", NULL, NULL);
  ops__rowwise(b, "residual_ffn", MODEL_OP_ADD, 1, tokens, h, 0);
  ops__reads(b, "ffn2", r, NULL);
  if (!pre) {
    ops__layernorm(b, "ln_ffn", tokens, h);
    ops__reads(b, "residual_ffn", NULL, NULL);
  }
}

static void ops__input(const model *m, ops__builder *b) {
  int64_t h = m->hidden, tokens = ops__mul(b, "tokens", m->seq, m->batch);
  if (m->kind == MODEL_VISION_ENCODER) {
    /* A patch_size-strided convolution is a linear layer on flattened patches. */
    int64_t patches = m->seq - 1;
    int64_t in = ops__mul(b, "patch_embed", m->channels,
                          ops__mul(b, "patch_embed", m->patch_size, m->patch_size));
    model_op *op = ops__linear(b, "patch_embed", h, in, ops__mul(b, "patch_embed", patches,
                                                                m->batch), m->biases);
    ops__reads(b, MODEL_OP_PART_INPUT, NULL, NULL); /* the image, from DRAM */
    snprintf(op->note, sizeof op->note, "conv %lldx%lld stride %lld as a GEMM",
             (long long)m->patch_size, (long long)m->patch_size, (long long)m->patch_size);
    ops__rowwise(b, "cls_token", MODEL_OP_EMBEDDING, 1, m->batch, h, h);
    op = ops__rowwise(b, "pos_embed", MODEL_OP_ADD, 1, tokens, h,
                      ops__mul(b, "pos_embed", m->positions, h));
    ops__reads(b, "patch_embed", "cls_token", NULL);
    snprintf(op->note, sizeof op->note, "adds a learned %lld x %lld table",
             (long long)m->positions, (long long)h);
  } else {
    ops__rowwise(b, "word_embed", MODEL_OP_EMBEDDING, 1, tokens, h,
                 ops__mul(b, "word_embed", m->vocab, h));
    ops__rowwise(b, "pos_embed", MODEL_OP_EMBEDDING, 1, tokens, h,
                 ops__mul(b, "pos_embed", m->positions, h));
    int64_t tables = 2;
    if (m->token_types > 0) {
      ops__rowwise(b, "type_embed", MODEL_OP_EMBEDDING, 1, tokens, h,
                   ops__mul(b, "type_embed", m->token_types, h));
      tables++;
    }
    ops__rowwise(b, "embed_add", MODEL_OP_ADD, tables - 1, tokens, h, 0);
    ops__reads(b, "word_embed", "pos_embed", tables > 2 ? "type_embed" : NULL);
  }
  if (m->embedding_layernorm) {
    ops__layernorm(b, "ln_embed", tokens, h);
    ops__reads(b, m->kind == MODEL_VISION_ENCODER ? "pos_embed" : "embed_add", NULL, NULL);
  }
}

static void ops__output(const model *m, ops__builder *b) {
  int64_t h = m->hidden, tokens = ops__mul(b, "tokens", m->seq, m->batch);
  const char *x = MODEL_OP_PART_INPUT;
  if (m->final_layernorm) {
    ops__layernorm(b, "ln_final", tokens, h);
    ops__reads(b, x, NULL, NULL);
    x = "ln_final";
  }
  if (m->kind == MODEL_DECODER) {
    model_op *op = ops__linear(b, "lm_head", m->vocab, h, tokens, false);
    ops__reads(b, x, NULL, NULL);
    if (m->tied_embeddings) {
      op->params = 0;
      snprintf(op->note, sizeof op->note, "tied to word_embed");
    }
    return;
  }
  /* The pooler and the classifier read the first token ([CLS] / class token) of each sequence. */
  if (m->pooler) {
    model_op *op = ops__linear(b, "pooler", h, h, m->batch, m->biases);
    ops__reads(b, x, NULL, NULL);
    snprintf(op->note, sizeof op->note, "first token of each sequence");
    ops__rowwise(b, "pooler_tanh", MODEL_OP_TANH, 1, m->batch, h, 0);
    ops__reads(b, "pooler", NULL, NULL);
    x = "pooler_tanh";
  }
  if (m->classifier_classes > 0) {
    model_op *op = ops__linear(b, "classifier", m->classifier_classes, h, m->batch, m->biases);
    ops__reads(b, x, NULL, NULL);
    snprintf(op->note, sizeof op->note, "first token of each sequence");
  }
}

int model_ops(const model *m, model_part part, model_op *ops, size_t cap, size_t *n,
              heat_error *err) {
  ops__builder b = {.ops = ops, .cap = ops ? cap : 0};
  switch (part) {
  case MODEL_PART_INPUT: ops__input(m, &b); break;
  case MODEL_PART_BLOCK: ops__block(m, &b); break;
  case MODEL_PART_OUTPUT: ops__output(m, &b); break;
  default:
    return heat_error_set(err, HEAT_EINTERNAL, NULL, "model_ops: unknown part %d", (int)part);
  }
  *n = b.n;
  if (b.overflow_at)
    return heat_error_set(err, HEAT_ERANGE, NULL,
                          "the size of '%s' overflows 64-bit integers at seq %lld, batch %lld; "
                          "use a smaller seq, batch or model",
                          b.overflow_at, (long long)m->seq, (long long)m->batch);
  if (b.n > b.cap)
    return heat_error_set(err, HEAT_ERANGE, NULL,
                          "the %s part of %s has %zu operations, room for %zu given",
                          model_part_name(part), m->name, b.n, b.cap);
  return HEAT_OK;
}

int model_block_ops(const model *m, model_op *ops, size_t cap, size_t *n, heat_error *err) {
  return model_ops(m, MODEL_PART_BLOCK, ops, cap, n, err);
}

/* Sums of one part, checked. */
static int model__sum_part(const model *m, model_part part, int64_t *params, int64_t *macs,
                           heat_error *err) {
  model_op ops[MODEL_OPS_MAX];
  size_t n;
  int rc = model_ops(m, part, ops, MODEL_OPS_MAX, &n, err);
  if (rc) return rc;
  *params = *macs = 0;
  for (size_t i = 0; i < n; i++)
    if (__builtin_add_overflow(*params, ops[i].params, params) ||
        __builtin_add_overflow(*macs, ops[i].macs, macs))
      return heat_error_set(err, HEAT_ERANGE, NULL,
                            "the %s part of %s overflows 64-bit integers at seq %lld, batch %lld",
                            model_part_name(part), m->name, (long long)m->seq,
                            (long long)m->batch);
  return HEAT_OK;
}

int model_total(const model *m, model_totals *out, heat_error *err) {
  model_totals t;
  int rc;
  if ((rc = model__sum_part(m, MODEL_PART_INPUT, &t.input_params, &t.input_macs, err)) ||
      (rc = model__sum_part(m, MODEL_PART_BLOCK, &t.block_params, &t.block_macs, err)) ||
      (rc = model__sum_part(m, MODEL_PART_OUTPUT, &t.output_params, &t.output_macs, err)))
    return rc;
  int64_t bp, bm;
  if (__builtin_mul_overflow(t.block_params, m->layers, &bp) ||
      __builtin_mul_overflow(t.block_macs, m->layers, &bm) ||
      __builtin_add_overflow(t.input_params, bp, &t.params) ||
      __builtin_add_overflow(t.params, t.output_params, &t.params) ||
      __builtin_add_overflow(t.input_macs, bm, &t.macs) ||
      __builtin_add_overflow(t.macs, t.output_macs, &t.macs))
    return heat_error_set(err, HEAT_ERANGE, NULL,
                          "the totals of %s overflow 64-bit integers at seq %lld, batch %lld",
                          m->name, (long long)m->seq, (long long)m->batch);
  *out = t;
  return HEAT_OK;
}

bool model_op_gemm(const model_op *op, int64_t *batch, int64_t *M, int64_t *K, int64_t *N) {
  *batch = *M = *K = *N = 0;
  if (op->kind == MODEL_OP_LINEAR) {
    *batch = op->count;
    *M = op->tokens;
    *K = op->in_features;
    *N = op->out_features;
    return true;
  }
  if (op->kind == MODEL_OP_MATMUL) {
    *batch = op->count;
    *M = op->m;
    *K = op->k;
    *N = op->n;
    return true;
  }
  return false;
}

const char *model_op_kind_name(model_op_kind kind) {
  switch (kind) {
  case MODEL_OP_LINEAR: return "linear";
  case MODEL_OP_MATMUL: return "matmul";
  case MODEL_OP_SOFTMAX: return "softmax";
  case MODEL_OP_LAYERNORM: return "layernorm";
  case MODEL_OP_GELU: return "gelu";
  case MODEL_OP_TANH: return "tanh";
  case MODEL_OP_ADD: return "add";
  case MODEL_OP_EMBEDDING: return "embedding";
  }
  return "?";
}

const char *model_part_name(model_part part) {
  switch (part) {
  case MODEL_PART_INPUT: return "input";
  case MODEL_PART_BLOCK: return "block";
  case MODEL_PART_OUTPUT: return "output";
  }
  return "?";
}
