/* Pricing a transformer model on an arch: every operation of the input part, one block (run
 * `layers` times) and the output part. Linears are GEMMs (dense, or a factorized format whose
 * contraction path is mapped step by step, with fusion); attention matmuls are batched GEMMs over
 * heads; softmax, LayerNorm, GELU, tanh, residual adds and embedding lookups run on the SIMD
 * unit / DMA, element-wise ops after a GEMM in its output epilogue. Activations flow between
 * ops by one rule (mapper/flow.h). Identical GEMMs are searched once. */
#ifndef HEAT_LAYER_H
#define HEAT_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "mapper/flow.h"
#include "mapper/fuse.h"
#include "mapper/program.h"
#include "workloads/format.h"
#include "workloads/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LAYER_MAX_ITEMS 192
#define LAYER_NAME_MAX 64
#define LAYER_VIEW_MAX (3 * (TN_MAX_INDICES + 1) + 8)

typedef enum layer_path_mode {
  LAYER_PATH_MACS = 0,     /* MAC-optimal contraction path (HEAT) */
  LAYER_PATH_HARDWARE = 1, /* path chosen with the mapped cost (hwpath) */
} layer_path_mode;

typedef struct layer_config {
  /* Linears whose name matches `target` ("ffn1", "q", ...; "ffn" = ffn1 and ffn2; "all" = every
   * block linear) use `format`; its shape must match each one's out x in (shape.d = 0: the
   * matrix shape of each, enough for dense and SVD). Others are dense. */
  char target[16];
  bool has_format;
  wl_layer format;
  layer_path_mode path_mode;
  bool fuse;          /* fuse factorized chains (default true) */
  /* Which weight-only sub-expressions of a factorized layer are folded offline (HEAT folds
   * them, so the default is no-growth: only when the stored parameters do not grow). */
  path_precompute precompute;
  char only[16]; /* price only these block ops: a name, "ffn" or "all" (linears); "" = the model */
  /* Activations between operations stay in SRAM when they fit (mapper/flow.h; default true);
   * false: every activation through DRAM once per write and read. Epilogues fold either way. */
  bool keep_on_chip;
} layer_config;

void layer_config_init(layer_config *cfg);

typedef struct layer_item {
  char name[LAYER_NAME_MAX];  /* "block.ffn1.s2", "block.softmax", "input.embed_add" */
  char op[MODEL_OP_NAME_MAX]; /* the model op it belongs to: the component */
  char view[LAYER_VIEW_MAX];  /* einsum of a path step, or empty */
  model_part part;
  int64_t count;              /* runs per part instance (token tiles x instances) */
  int64_t token_tiles;        /* token tiles of a fused chain (1: untiled) */
  int64_t repeat;             /* part instances in the model (layers for the block) */
  bool simd;                  /* SIMD/DMA item: only result.cost is meaningful */
  bool fused;                 /* its output stays on chip for the next step */
  bool offline;               /* a weight-only step pre-computed into the stored weights: not
                                 priced (cost zero); offline_macs is its one-time work */
  int64_t offline_macs;
  char cached[LAYER_NAME_MAX]; /* not searched: same GEMM as this earlier item ("" = searched) */
  /* Activation flow: where the op's input (first item of the op) and output (its last item)
   * live; the ops its epilogue runs ("requant+bias+gelu"); for an op folded into a GEMM's
   * epilogue, that GEMM's item (its cost is there: this item's cost is zero). */
  flow_place input_place, output_place;
  bool has_flow;               /* the first item of an op: input_place is meaningful */
  bool produces;               /* the last item of an op: output_place is meaningful */
  char epilogue[48];
  char epilogue_of[LAYER_NAME_MAX];
  double flow_saved_bytes;     /* activation DRAM bytes the flow saved, per run of this item */
  map_problem problem;
  map_result result;
  map_cost gemm_cost;          /* a GEMM step's cost before its epilogue was added */
  /* A path step's tensors in the roles it is mapped with, at the priced token tile: ids in the
   * op's network (operands 0..n-1, step s's result n + s); program_emit_items makes them
   * unique per op, so the cycle-level model carries values through the chain. */
  prog_tensors tensors;
} layer_item;

/* What a factorized linear stores: its factors, and after pre-computation folded the
 * weight-only steps, what the accelerator keeps (per instance of the op). */
typedef struct layer_stored {
  char op[MODEL_OP_NAME_MAX];
  model_part part;
  int64_t factor_params; /* the format's factors */
  int64_t stored_params; /* after pre-computation */
  int64_t dense_params;  /* out x in */
  size_t offline_steps;  /* steps folded into the stored weights */
} layer_stored;

#define LAYER_MAX_STORED 32
/* The activation flow of one part, for reports. */
typedef struct layer_flow {
  size_t n;
  char name[MODEL_OPS_MAX][MODEL_OP_NAME_MAX];
  flow_plan plan;
} layer_flow;

typedef struct layer_report {
  size_t n_items;
  layer_item items[LAYER_MAX_ITEMS];
  hwpath_totals total;                /* the whole model */
  hwpath_totals part[3];              /* input, all blocks, output */
  hwpath_totals block;                /* one block: the per-layer cost */
  double saved_dram_bytes;            /* by fusion, whole model */
  size_t n_stored;                    /* factorized linears, in model order */
  layer_stored stored[LAYER_MAX_STORED];
  /* Activation DRAM bytes (compulsory: one write, one read per consumer) of the priced ops,
   * whole model: each op priced alone, and with the flow; saved = alone - flow. */
  double flow_alone_bytes, flow_dram_bytes, flow_saved_bytes;
  layer_flow flow[3];                 /* input, block, output */
  int64_t evaluated;                  /* mappings priced by every search the pricing ran,
                                       * path searches included: the real work (the items'
                                       * counts are their own steps' searches) */
  int64_t layers;
} layer_report;

/* Prices the model. */
int layer_price_model(const arch *a, const model *m, const layer_config *cfg,
                      const map_options *opt, map_workspace *w, layer_report *out,
                      heat_error *err);


#ifdef __cplusplus
}
#endif
#endif
