/* One mapping of a batched GEMM step onto an accelerator and its analytical cost: tiles for
 * (B, M, K, N) that fit the buffers, a loop order over the tiles, a buffer for each operand,
 * a dataflow; cycles (prologue + sum over tiles of max(array, DRAM, SRAM port) + epilogue),
 * events and energy by component. The formulas are in mapper/MAPPING.md. */
#ifndef HEAT_TILE_H
#define HEAT_TILE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"
#include "common/heat_error.h"
#include "mapper/fold.h"

#ifdef __cplusplus
extern "C" {
#endif

enum map_dim { MAP_DIM_B = 0, MAP_DIM_M = 1, MAP_DIM_K = 2, MAP_DIM_N = 3, MAP_DIMS = 4 };
/* The GEMM's operands: input [B, M, K], weight [B, K, N], output [B, M, N]. */
enum map_operand { MAP_OP_INPUT = 0, MAP_OP_WEIGHT = 1, MAP_OP_OUTPUT = 2, MAP_OPS = 3 };
/* Which GEMM dimensions index each operand (bit d: dimension d). */
static const unsigned map_op_dims[MAP_OPS] = {
    (1u << MAP_DIM_B) | (1u << MAP_DIM_M) | (1u << MAP_DIM_K),
    (1u << MAP_DIM_B) | (1u << MAP_DIM_K) | (1u << MAP_DIM_N),
    (1u << MAP_DIM_B) | (1u << MAP_DIM_M) | (1u << MAP_DIM_N),
};

typedef enum map_objective {
  MAP_OBJECTIVE_LATENCY = 0,
  MAP_OBJECTIVE_ENERGY = 1,
  MAP_OBJECTIVE_EDP = 2,
} map_objective;

typedef enum map_bound {
  MAP_BOUND_ARRAY = 0,
  MAP_BOUND_DRAM = 1,
  MAP_BOUND_SRAM = 2, /* the port of map_cost.bound_buffer */
  MAP_BOUND_LAYOUT = 3,
  MAP_BOUND_SIMD = 4, /* an operation run on the SIMD unit */
} map_bound;

typedef enum map_layout {
  MAP_LAYOUT_NONE = 0,    /* the operand is stored in the order the array reads */
  MAP_LAYOUT_SIMD = 1,    /* permuted in SRAM by the SIMD unit before the step */
  MAP_LAYOUT_STRIDED = 2, /* gathered by strided DMA from DRAM at half efficiency */
} map_layout;

/* What is priced: one step and where its operands live. */
typedef struct map_problem {
  int64_t dim[MAP_DIMS];     /* B, M, K, N, each >= 1 */
  bool on_chip[MAP_OPS];     /* kept in SRAM by a fused chain: no DRAM traffic, resident */
  bool permuted[2];          /* input / weight stored in a layout the array cannot read */
  unsigned buffers[MAP_OPS]; /* mask of arch buffers the operand may use; 0 = any allowed */
  /* Bytes other steps of a fused chain keep on chip while this one runs (a weight-only step's
   * result held for the whole token loop): they must fit beside this step's tiles in one of
   * the `reserved_buffers` (mask; 0 = any). */
  double reserved_bytes;
  unsigned reserved_buffers;
  /* SIMD cycles per output element of the step's output epilogue (mapper/flow.h: requantize,
   * bias, a folded element-wise op; 0: none). Its totals are priced by flow_epilogue; here it
   * only times the tile pipeline: a tile's store waits for its epilogue after the fold. */
  double epilogue_cycles;
} map_problem;

typedef struct map_options {
  fold_timing timing;
  bool memory_stalls;       /* false: price the array only, as SCALE-Sim's compute report */
  map_objective objective;
  unsigned dataflows;       /* mask of (1u << arch_dataflow) to consider; 0 = all offered */
  int64_t array_rows_override, array_cols_override; /* 0 = the arch's */
  bool array_only;          /* search the array with one batch element per fold only: no
                               spatial batch, no SIMD unit (the baseline of the small-step
                               mappings; MAPPING.md) */
} map_options;

/* The unit that runs a step's MACs. */
typedef enum map_unit {
  MAP_UNIT_ARRAY = 0, /* the compute array (fold.h) */
  MAP_UNIT_SIMD = 1,  /* the SIMD unit, lane by lane (fold_simd_eval); for tiny steps */
} map_unit;

typedef struct map_mapping {
  arch_dataflow dataflow; /* array only */
  int64_t tile[MAP_DIMS];
  int order[3];        /* MAP_DIM_M/K/N, outermost first; the B loop is outside them */
  int buffer[MAP_OPS]; /* index into arch.buffers */
  map_unit unit;
  int64_t batch_pack;  /* array: batch elements per fold on the diagonal; 0 or 1 = none */
} map_mapping;

typedef struct map_cost {
  double cycles;
  double array_cycles, dram_cycles, sram_cycles, layout_cycles; /* totals of each resource */
  double simd_cycles;        /* the SIMD unit: the step's MACs when mapped there
                                (MAP_UNIT_SIMD; array_cycles is 0), a GEMM's output
                                epilogue, or a SIMD op */
  /* The resource the cycles are spent on. Array, DRAM, SRAM ports and the epilogue overlap in
   * the tile pipeline, so the largest of them bounds it (pipe_bound); layout transforms run
   * serially, and bound is MAP_BOUND_LAYOUT when they take more cycles than the pipeline. */
  map_bound bound, pipe_bound;
  int bound_buffer;          /* MAP_BOUND_SRAM: which buffer's port */
  int64_t macs;
  int64_t tiles;
  double fold_units;         /* folds run one after another: tiles, or the groups of tiles one
                                stationary fold streams across (merged schedule) */
  bool epilogue_timed;       /* cycles include the output epilogue's pipeline stage and the
                                last unit's share (map_problem.epilogue_cycles) */
  double utilization;        /* array: macs / (cycles * peak MACs per cycle); SIMD: busy
                                lane-cycles / (cycles * lanes) */
  double dram_read_bytes, dram_write_bytes, dram_bytes;
  double sram_reads[ARCH_MAX_BUFFERS], sram_writes[ARCH_MAX_BUFFERS]; /* accesses */
  double reg_accesses;
  map_layout layout[2];      /* how a permuted input / weight is transformed */
  /* Energy by component, pJ. */
  double mac_pj, reg_pj, dram_pj, simd_pj, leak_pj;
  double buffer_pj[ARCH_MAX_BUFFERS];
  double energy_j, latency_s, edp_js;
} map_cost;

/* Fills the defaults: overlap timing where the arch double-buffers the array's stationary
 * operand (scalesim otherwise), memory stalls on, EDP, all dataflows. */
void map_options_init(map_options *opt, const arch *a);

/* Checks an option set against an arch: timing overlap needs weights_double_buffered, the
 * dataflow mask must meet the arch's, overrides must be positive. */
int map_options_check(const map_options *opt, const arch *a, heat_error *err);

/* The arch the options describe (array size overrides applied). */
void map_effective_arch(const arch *a, const map_options *opt, arch *out);

/* Prices one mapping. HEAT_ENOFIT names the buffer that cannot hold its tiles. `a` must
 * already have the options' overrides applied (map_effective_arch). */
int map_eval(const arch *a, const map_problem *p, const map_options *opt, const map_mapping *m,
             map_cost *out, heat_error *err);

/* The one rounding rule of the cost model: a step's cycles are the whole cycles its
 * (fractional) resource demand covers, ceil(x - 1e-6); latency = cycles / clock exactly. */
double map_cycles_round(double cycles);

/* DRAM timing shared with the cycle-level model (sim/model.cpp), so both charge a transfer
 * alike: a transfer moves whole bursts of MAP_DRAM_BURST_BYTES at the arch's bandwidth (a
 * strided gather at MAP_STRIDED_DMA_EFFICIENCY of it), and its data lands the DRAM latency
 * after the channel took it. */
#define MAP_DRAM_BURST_BYTES 64.0
#define MAP_STRIDED_DMA_EFFICIENCY 0.5
double map_dram_transfer_cycles(const arch *a, double bytes, bool strided);
double map_dram_latency_cycles(const arch *a);

/* The objective's value of a cost (cycles, pJ, or J*s). */
double map_objective_value(map_objective obj, const map_cost *c);
/* True when x beats y under obj; ties on the objective go to the other metric (latency ties to
 * the lower energy, energy and EDP ties to fewer cycles), so among equally fast mappings the
 * search keeps the one that moves less data rather than the first enumerated. */
bool map_cost_better(map_objective obj, const map_cost *x, const map_cost *y);

const char *map_objective_name(map_objective obj); /* "latency", "energy", "edp" */
int map_objective_parse(const char *text, map_objective *out, heat_error *err);
int map_timing_parse(const char *text, fold_timing *out, heat_error *err);
const char *map_bound_name(map_bound b);   /* "array", "dram", "sram", "layout", "simd" */
/* Sets c->bound and c->pipe_bound from the resource totals and c->cycles (see map_cost);
 * without memory stalls only the array, the epilogue and layout count. */
void map_cost_bound(map_cost *c, bool memory_stalls);
/* The bound as printed: its name, and the other serial phase after a '+' when that takes at
 * least a third of the cycles ("array+layout": a pipeline and a serial permutation of about
 * equal length). */
void map_bound_text(const map_cost *c, char *buf, size_t n);
const char *map_layout_name(map_layout l); /* "none", "simd", "strided-dma" */

/* Largest B x M x K x N a step may have: every count the cost model keeps (MACs, elements,
 * bytes, cycles) is then exact in a double and far from int64 overflow. */
#define MAP_MAX_MACS ((int64_t)1 << 53)
#define MAP_SIZE_WHERE "step size" /* err->where of map_problem_check's range error */

/* Dimensions >= 1 and B x M x K x N <= MAP_MAX_MACS (checked multiplication). HEAT_ERANGE with
 * where = MAP_SIZE_WHERE when too large, so a caller can name its own option. */
int map_problem_check(const map_problem *p, heat_error *err);

/* Problem of a plain GEMM: out[M x N] = in[M x K] w[K x N], everything from DRAM. */
void map_problem_gemm(map_problem *p, int64_t B, int64_t M, int64_t K, int64_t N);

/* ---- internals shared with tile_*.c and mapspace*.c (not for other modules) ---- */

/* map_cycles_round, inlined for the search's inner loops. Fractional parts come from DRAM/SRAM
 * shares (bytes / bytes per cycle); a partial cycle is a whole one. The tolerance absorbs the
 * rounding error of summing exact integers. */
static inline double map__cycles_round(double cycles) {
  return cycles > 0 ? ceil(cycles - 1e-6) : 0;
}

/* The array-side part of a tiling (independent of loop order and buffers). */
typedef struct map__array {
  double array_cycles; /* sum over tiles; overlap pipelines across tiles */
  double fill_drain;   /* overlap: the last fold's skew/drain paid once */
  double input_reads, weight_reads, output_writes, output_reads, reg; /* elements / events */
} map__array;

/* Two schedules of the same tiling: `tiled`, every tile's folds run alone (each pays its fold
 * fill/drain); `streamed`, the loop over the streamed dimension's tiles (OS: K, WS: M, IS: N)
 * is innermost, so each stationary fold keeps streaming across those tiles and pays its
 * overhead once (priced as the tiling with that dimension untiled). map__memory_eval picks
 * one from the loop order. */
typedef struct map__compute {
  map__array tiled, streamed;
  int stream_dim; /* MAP_DIM_M/K/N */
  int64_t tiles;
  bool merged;    /* `streamed` runs each stationary fold across the streamed loop's tiles */
} map__compute;

void map__compute_eval(const arch *a, arch_dataflow df, fold_timing timing, const int64_t *dim,
                       const int64_t *tile, map__compute *out);
/* The same with `pack` batch elements per fold on the array's diagonal (fold_eval_packed). */
void map__compute_eval_packed(const arch *a, arch_dataflow df, fold_timing timing, int64_t pack,
                              const int64_t *dim, const int64_t *tile, map__compute *out);
/* The tiling run on the SIMD unit (fold_simd_eval per tile; stream_dim = -1: no fold to keep
 * across tiles). array_cycles holds the SIMD cycles and reg the busy lane-cycles. */
void map__simd_compute_eval(const arch *a, const int64_t *dim, const int64_t *tile,
                            map__compute *out);

/* Bytes of each operand's tile footprint in its buffer (on-chip operands: the whole tensor). */
void map__footprint(const arch *a, const map_problem *p, const int64_t *tile, double *bytes);

/* True when p's reserved bytes fit beside the footprint `fp` of an assignment `buf` in one
 * of the reserved buffers (always when nothing is reserved). */
bool map__reserved_fit(const arch *a, const map_problem *p, const int *buf, const double *fp);

/* Usable bytes of a buffer for tiles (half when double-buffered). */
double map__usable(const arch_buffer *b);

/* Bytes one pass over each operand's tiles moves through the DRAM channel, each tile (full or
 * a remainder) as whole bursts. They depend on the tiling and the element widths only, not on
 * the loop order or the buffers: the mapspace computes them once per tiling rather than for
 * each of its orders and assignments (they were a fifth of the hw path's time). */
typedef struct map__bursts {
  double pass[MAP_OPS]; /* the output: its finished values */
  double psum_pass;     /* the output's partial sums (accumulator width) */
} map__bursts;

void map__bursts_eval(const arch *a, const map_problem *p, const int64_t *tile,
                      map__bursts *out);

/* The order/buffer-dependent part, combined with `c` and `bursts` (of m->tile); never fails. */
void map__memory_eval(const arch *a, const map_problem *p, const map_options *opt,
                      const map_mapping *m, const map__compute *c, const map__bursts *bursts,
                      map_cost *out);

/* The activation buffer of an arch: the first buffer holding inputs and outputs, else the
 * first holding inputs (where output epilogues run, mapper/flow.h). */
int map_act_buffer(const arch *a);

#ifdef __cplusplus
}
#endif
#endif
