/* Activations between the operations of a model part, with one rule for every operation kind:
 * a tensor stays in the activation buffer (SRAM) from the operation that produces it until its
 * last consumer ran, when it fits beside the other tensors kept there at the same time;
 * otherwise it goes to DRAM once and is read back once per consumer. The element-wise operation
 * that follows a GEMM and reads only its result (GELU, tanh, a residual add), the linear's bias
 * and the requantization of its partial sums run as the GEMM's output epilogue, overlapped with
 * its tiles: that GEMM's raw result is never stored. The rule is in mapper/MAPPING.md. */
#ifndef HEAT_FLOW_H
#define HEAT_FLOW_H

#include <stdbool.h>

#include "arch/arch.h"
#include "common/heat_error.h"
#include "mapper/tile.h"
#include "workloads/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum flow_place {
  FLOW_DRAM = 0,     /* written to DRAM once, read back once per consumer */
  FLOW_SRAM = 1,     /* kept in the activation buffer until its last consumer ran */
  FLOW_EPILOGUE = 2, /* a GEMM result transformed in its own epilogue: never stored */
} flow_place;

#define FLOW_PART_INPUT (-1) /* an input index: the part's input (the previous part's output) */

typedef struct flow_op {
  int n_inputs;
  int input[MODEL_OP_INPUTS_MAX]; /* producer op index, or FLOW_PART_INPUT */
  int epilogue_of;                /* >= 0: this element-wise op runs in that GEMM's epilogue */
  int epilogue;                   /* >= 0: the op this GEMM runs as its epilogue */
  double out_bytes;               /* its output, one part instance (input_bits per element) */
  flow_place out;
  int last_use;                   /* its last consumer (n: the next part) */
  /* Compulsory activation DRAM bytes of this op and its epilogue (its reads and its write),
   * one part instance: pricing each op alone (every input read from and the output written to
   * DRAM, the epilogue op as its own pass), and with the flow. */
  double alone_bytes, flow_bytes;
} flow_op;

typedef struct flow_plan {
  size_t n;
  flow_op op[MODEL_OPS_MAX];
  int buffer;              /* the activation buffer: the first holding inputs and outputs */
  double capacity;         /* its usable bytes (half when double-buffered) */
  flow_place part_input;   /* where the part's input lives */
  double part_input_bytes;
  double alone_bytes, flow_bytes; /* sums over the ops */
} flow_plan;

/* The activation buffer of an arch (the first buffer holding inputs and outputs, else the
 * first holding inputs) and its usable bytes. */
int flow_act_buffer(const arch *a);

/* Plans one part. `part_input`: where its input lives (FLOW_DRAM for the model's input);
 * `output_may_stay`: the part's output may stay in SRAM (the next part reads it there).
 * `keep` false: every activation through DRAM (epilogues still fold). HEAT_EINTERNAL when an
 * op names an input that is not an earlier op of the part. */
int flow_plan_part(const arch *a, const model_op *ops, size_t n, flow_place part_input,
                   double part_input_bytes, bool output_may_stay, bool keep, flow_plan *out,
                   heat_error *err);

/* Where input k of op i lives, and the bytes op i reads of it (a linear reads tokens x in). */
flow_place flow_input_place(const flow_plan *p, const model_op *ops, size_t i, int k);
double flow_read_bytes(const flow_plan *p, const model_op *ops, size_t i, int k,
                       double elem_bytes);

/* Bytes kept in the activation buffer while op i runs that are not its own operands (its
 * inputs and its stored output): a GEMM's tiles must fit beside them. */
double flow_kept_beside(const flow_plan *p, size_t i);

/* Op t's stored output goes to DRAM after all (its producer could not be mapped with it kept
 * on chip); the byte counts follow. */
void flow_spill(flow_plan *p, const arch *a, const model_op *ops, size_t t);

/* Cost of a SIMD/DMA op (softmax, layernorm, gelu, tanh, add, embedding) over all its
 * instances, reading `dram_read` and writing `dram_write` activation bytes through DRAM (the
 * rest from and to the activation buffer). Embedding rows and learned tables added by an add
 * are gathered from DRAM on top. */
void flow_simd_cost(const arch *a, const model_op *op, double dram_read, double dram_write,
                    map_cost *out);

/* Adds op i's output epilogue (requantization, bias, the folded op) to the cost of the GEMM
 * step that produces its output: `elements` output elements per run, over the step's `tiles`,
 * `runs` runs per op (token tiles of a fused chain).
 * On the SIMD unit it overlaps the tiles (only the last tile's share is exposed) and reads and
 * writes each output element in the activation buffer; with `array.output_stage` it runs as
 * the array drains. A residual operand is read from SRAM or DRAM per the plan. */
void flow_epilogue(const arch *a, const model_op *ops, const flow_plan *p, size_t i,
                   double elements, double runs, bool memory_stalls, map_cost *c);

/* SIMD cycles per output element of op i's epilogue as its GEMM's tiles run it
 * (map_problem.epilogue_cycles; 0 when the array's output stage does it or there is none). */
double flow_epilogue_cycles(const arch *a, const model_op *ops, const flow_plan *p, size_t i);

/* The output epilogue of a chain step whose result a later step reads (mapper/fuse.h): only the
 * requantization to the input precision (an intermediate has no bias nor folded op), by the
 * same rule as flow_epilogue in the activation buffer. Returns whether there is one
 * (accum_bits > input_bits). flow_requant_cycles: its map_problem.epilogue_cycles. */
bool flow_requant(const arch *a, double elements, double runs, bool memory_stalls, map_cost *c);
double flow_requant_cycles(const arch *a);

/* Names of op i's epilogue ("requant+bias+gelu"; "" when none). */
void flow_epilogue_name(const arch *a, const model_op *ops, const flow_plan *p, size_t i,
                        char *buf, size_t n);

const char *flow_place_name(flow_place f); /* "dram", "sram", "epilogue" */

#ifdef __cplusplus
}
#endif
#endif
