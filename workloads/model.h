/* Transformer model descriptions (libconfig .cfg files or built-in presets) and the list of
 * operations one forward pass performs, in the terms the mapper prices them.
 *
 * A model is a plain caller-owned struct of hyper-parameters. The operations are generated from
 * them (nothing is tabulated), so the parameter totals of the presets are an external check of
 * the architecture: bert-base 109,482,240; bert-large 335,141,888; distilbert 66,362,880;
 * gpt2-small 124,439,808; vit-b16 86,567,656.
 *
 * Conventions (shared with the factorization code):
 *  - a linear layer's weight W is stored out_features x in_features, as PyTorch stores it, and
 *    computes Y[tokens x out] = X[tokens x in] W^T (+ b);
 *  - as a GEMM (batch B, output M x N, reduction K) a linear is B = count, M = tokens,
 *    K = in_features, N = out_features; see model_op_gemm(). */
#ifndef HEAT_MODEL_H
#define HEAT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum model_kind {
  MODEL_ENCODER,        /* BERT-like: token + position (+ type) embeddings */
  MODEL_DECODER,        /* GPT-like: token + position embeddings, an LM head over the vocabulary */
  MODEL_VISION_ENCODER, /* ViT: patch embedding, a class token, a classifier on that token */
} model_kind;

/* Where each block's two LayerNorms sit: after the residual add (BERT) or before the sublayer
 * (GPT-2, ViT). Changes the order of the block's operations, not their count. */
typedef enum model_norm { MODEL_NORM_POST, MODEL_NORM_PRE } model_norm;

typedef enum model_activation { MODEL_ACT_GELU } model_activation;

#define MODEL_NAME_MAX 64
#define MODEL_ORIGIN_MAX 256

typedef struct model {
  char name[MODEL_NAME_MAX];
  char origin[MODEL_ORIGIN_MAX]; /* the file it came from, for messages */
  model_kind kind;
  int64_t layers, hidden, heads, ffn;
  /* Text models. For MODEL_VISION_ENCODER vocab = token_types = 0 and positions = seq =
   * (image_size / patch_size)^2 + 1 (the patches and the class token). */
  int64_t vocab, positions, token_types;
  int64_t seq, batch;
  /* Vision models (0 otherwise). */
  int64_t image_size, patch_size, channels;
  int64_t classifier_classes; /* 0: no classification head */
  bool biases;                /* linear layers have biases (LayerNorms always have both) */
  bool pooler;                /* BERT pooler: dense hidden x hidden + tanh on the first token */
  bool tied_embeddings;       /* decoder LM head reuses the token embedding (no own params) */
  bool embedding_layernorm;   /* a LayerNorm after the embeddings (BERT) */
  bool final_layernorm;       /* a LayerNorm after the last block (GPT-2, ViT) */
  model_norm norm;
  model_activation activation;
} model;

typedef enum model_op_kind {
  MODEL_OP_LINEAR,    /* Y = X W^T (+ b): weights out_features x in_features */
  MODEL_OP_MATMUL,    /* activation x activation, per instance C[m x n] = A[m x k] B[k x n] */
  MODEL_OP_SOFTMAX,   /* along width, per row (includes the 1/sqrt(head dim) scale and mask) */
  MODEL_OP_LAYERNORM, /* along width, per row, with scale and shift (2 x width params) */
  MODEL_OP_GELU,      /* elementwise */
  MODEL_OP_TANH,      /* elementwise (BERT pooler) */
  MODEL_OP_ADD,       /* elementwise sum of two activations (residuals, embedding sums) */
  MODEL_OP_EMBEDDING, /* copy rows of a learned table into the activations (lookups, class token) */
} model_op_kind;

/* Which part of the model an operation belongs to. */
typedef enum model_part {
  MODEL_PART_INPUT, /* embeddings, before the first block */
  MODEL_PART_BLOCK, /* one transformer block (repeated `layers` times) */
  MODEL_PART_OUTPUT /* final LayerNorm, pooler, classifier / LM head */
} model_part;

#define MODEL_OP_NAME_MAX 24
#define MODEL_OP_NOTE_MAX 48
#define MODEL_OP_INPUTS_MAX 3
#define MODEL_OP_PART_INPUT "<part input>"
/* Enough room for the operations of any part. */
#define MODEL_OPS_MAX 32

typedef struct model_op {
  char name[MODEL_OP_NAME_MAX]; /* "q", "attn_score", "ffn1", "ln_attn", ... */
  model_op_kind kind;
  int64_t count; /* identical instances per block or part (e.g. batch x heads) */
  /* MODEL_OP_LINEAR (0 otherwise): weight out_features x in_features applied to `tokens` rows. */
  int64_t out_features, in_features, tokens;
  bool bias;
  /* MODEL_OP_MATMUL (0 otherwise): per instance, output m x n, reduction k. */
  int64_t m, k, n;
  /* Every op: the output activations of one instance are rows x width (for row-wise ops the
   * reduction runs along width). */
  int64_t rows, width;
  /* Totals over all `count` instances. params counts stored weights (0 for a tied head). */
  int64_t macs, params;
  char note[MODEL_OP_NOTE_MAX]; /* e.g. "tied to word_embed"; empty when nothing to say */
  /* The activations it reads, in operand order: names of earlier ops of the same part, or
   * MODEL_OP_PART_INPUT (the part's input: the previous part's output); "" ends the list.
   * Weights and embedding tables are not activations and are not listed. */
  char inputs[MODEL_OP_INPUTS_MAX][MODEL_OP_NAME_MAX];
} model_op;

typedef struct model_totals {
  int64_t params;                          /* the whole model */
  int64_t input_params, block_params, output_params; /* block_params: one block */
  int64_t macs;                            /* one forward pass at the model's seq and batch */
  int64_t input_macs, block_macs, output_macs;       /* block_macs: one block */
} model_totals;

/* Loading. Each checks every key (type, range, unknown keys, consistency) and that the
 * operations at the configured seq and batch fit in int64. Errors name origin:line and the key. */
int model_load_string(const char *text, const char *origin, model *out, heat_error *err);
int model_load_file(const char *path, model *out, heat_error *err);
/* A preset name (see model_preset_name) or, when the argument contains '/' or ends in ".cfg",
 * a file. An unknown name is HEAT_ENOTFOUND listing the presets. */
int model_resolve(const char *name_or_path, model *out, heat_error *err);

/* Built-in presets (workloads/models/<name>.cfg, embedded at build time), in name order. */
size_t model_preset_count(void);
const char *model_preset_name(size_t i);
/* The .cfg text of a preset, or NULL. */
const char *model_preset_text(const char *name);

/* Changing the workload size. Text models: 1 <= seq <= positions. Vision models have a seq fixed
 * by image_size / patch_size and reject model_set_seq. Errors name the option `what` (e.g.
 * "--seq") and the allowed range; on error the model is unchanged. */
int model_set_seq(model *m, int64_t seq, const char *what, heat_error *err);
int model_set_batch(model *m, int64_t batch, const char *what, heat_error *err);

/* The operations of one part, in execution order, into ops[0..cap). *n gets the number the part
 * has even when cap is too small (then HEAT_ERANGE). HEAT_ERANGE also when a count overflows
 * int64. */
int model_ops(const model *m, model_part part, model_op *ops, size_t cap, size_t *n,
              heat_error *err);
/* model_ops(m, MODEL_PART_BLOCK, ...). */
int model_block_ops(const model *m, model_op *ops, size_t cap, size_t *n, heat_error *err);

int model_total(const model *m, model_totals *out, heat_error *err);

/* The GEMM view of a LINEAR or MATMUL op: `batch` instances of output M x N with reduction K.
 * Returns false (and zeros) for other kinds. */
bool model_op_gemm(const model_op *op, int64_t *batch, int64_t *M, int64_t *K, int64_t *N);

/* "encoder", "linear", "post", "input", ...: the spellings used in .cfg files and output. */
const char *model_kind_name(model_kind kind);
const char *model_op_kind_name(model_op_kind kind);
const char *model_norm_name(model_norm norm);
const char *model_activation_name(model_activation act);
const char *model_part_name(model_part part);

#ifdef __cplusplus
}
#endif
#endif
