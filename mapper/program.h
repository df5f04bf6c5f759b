/* Programs: the work a mapping hands the machine. For one GEMM step, a fused chain, a layer or a
 * whole model the mapper emits an ordered array of instructions with explicit dependences;
 * the cycle-level model (sim/) executes it, and program_count prices it with the same fold and
 * energy functions the analytical model uses, so both models provably price the same work.
 *
 * A program has steps (one per priced item: a GEMM step with its mapping, or a SIMD op) and
 * instructions, each belonging to a step:
 *   load   DMA a tile of a step operand from DRAM into (buffer, slot)
 *   store  DMA a tile of the step's output from its buffer to DRAM
 *   fold   run the array over a box of the step's B x M x K x N iteration space (the step's
 *          dataflow; the operands in the step's buffers at the given slots); with df=simd the
 *          SIMD unit runs the box (fold_simd_eval), with pack=G G batch elements share each
 *          array fold on its diagonal (fold_eval_packed)
 *   simd   an operation on the SIMD unit (softmax, layernorm, gelu, tanh, add, embed, permute)
 *   sync   wait for its dependences (a step boundary)
 * A tile or box is at[d] .. at[d] + len[d] - 1 for d = B, M, K, N; a load/store only reads the
 * dimensions its operand has (input B,M,K; weight B,K,N; output B,M,N), the others are 0/1.
 * Dependences name earlier instructions by index; double-buffer hand-offs are dependences too
 * (a load into a slot waits for the last fold that read the slot's previous tile).
 *
 * Text format (program_print / program_parse), one item per line, '#' starts a comment:
 *   heat-program 1
 *   arch NAME
 *   timing scalesim|overlap
 *   stalls 0|1
 *   step ID name=NAME times=T simd=0 dims=B,M,K,N df=os|ws|is|simd [pack=G]
 *        tile=B,M,K,N order=m,k,n buf=I,W,O
 *        on_chip=0,0,0 permuted=0,0 [layout=vector|row]
 *   step ID name=NAME times=T simd=1
 *   ID: load step=S op=input|weight|output buf=J slot=L at=B,M,K,N len=B,M,K,N partial=0
 *       strided=0 deps=I,J,...
 *   ID: store step=S op=output buf=J slot=L at=... len=... partial=0|1 deps=...
 *   ID: fold step=S at=... len=... slots=I,W,O acc=0|1|2 deps=...
 *   ID: simd step=S kind=K elems=E lane_ops=X cycles=C buf=J rd_bytes=R wr_bytes=W
 *       dram_rd=D dram_wr=D deps=...
 *   ID: sync step=S deps=...
 * layout: where the tiles' elements sit in their buffer slots, so which SRAM banks a fold's lanes
 * hit (sim/sram.h): vector (the default, what the mapper emits: each array-edge vector
 * contiguous, conflict-free) or row (operands row-major in their slots; lanes a tile row apart
 * can conflict on a bank). Only the cycle-level model reads it.
 * IDs are 0, 1, 2, ... in order. acc: 0 the fold writes its outputs, 1 it adds to partial sums
 * read back from the output buffer, 2 the partial sums stay in the array's accumulators (OS
 * with the K loop innermost). Parse errors name file:line and the field.
 *
 * Values through chains (optional on a GEMM step line; all three or none; programs without them
 * run as before, each step on its own seeded data):
 *   tensors=I,W,O        tensor ids (0..2^31-1) the input and weight roles read and the output
 *                        writes; a tensor an earlier step wrote is read as that step's output,
 *                        requantized (mapper/MAPPING.md, "Values through fused chains"); any
 *                        other is seeded data (activations, stored weights)
 *   idx=LI,LW,LO         each tensor's index letters (a-z, A-Z; row-major, last fastest; a
 *                        scalar tensor is empty: idx=tc,,tc); a tensor read from an earlier
 *                        step has that step's letters (in any order: it keeps the writer's
 *                        layout)
 *   sizes=a:N,b:N,...    the size of every letter used in this step. A tensor read at another
 *                        size than it was written along a letter is read modulo its size: a
 *                        step run per token tile is simulated once (times = tiles x ...), so
 *                        every tile of its output holds the simulated tile's values, and an
 *                        untiled reader sees them repeated; a reader of a smaller extent (one
 *                        tile) reads the first elements
 *   token=t:N            (optional) the step runs per tile of letter t: sizes gives one tile,
 *                        N the whole extent. Its tensors hold all N; functional mode computes
 *                        every tile's values (the first one timed on the machine, the others
 *                        on the same datapath, since times already counts them), the last tile
 *                        padded with zeros past N, and the reference computes at N untiled
 * The GEMM view follows from the letters: B = letters of all three, M = of the input and the
 * output only, N = of the weight and the output only, K = every letter the output lacks (a
 * letter of one operand only is summed with the other broadcast); each product must equal
 * dims. heat map writes them for the steps of factorized layers (ids of one op's chain, its
 * network's operands then its steps' results, offset per op). */
#ifndef HEAT_PROGRAM_H
#define HEAT_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"
#include "common/heat_error.h"
#include "mapper/energy.h"
#include "mapper/tile.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PROG_MAX_DEPS 8
#define PROG_NAME_MAX 64

typedef enum prog_opcode {
  PROG_LOAD = 0,
  PROG_STORE = 1,
  PROG_FOLD = 2,
  PROG_SIMD = 3,
  PROG_SYNC = 4,
  PROG_OPCODES = 5
} prog_opcode;

typedef enum prog_simd_kind {
  PROG_SIMD_SOFTMAX = 0,
  PROG_SIMD_LAYERNORM,
  PROG_SIMD_GELU,
  PROG_SIMD_TANH,
  PROG_SIMD_ADD,
  PROG_SIMD_EMBED, /* a DMA gather of table rows; no lane work */
  PROG_SIMD_PERMUTE,
  PROG_SIMD_KINDS
} prog_simd_kind;

typedef enum prog_layout { PROG_LAYOUT_VECTOR = 0, PROG_LAYOUT_ROW = 1 } prog_layout;

#define PROG_MAX_INDICES 52 /* index letters a-z, A-Z */

/* Which tensors a GEMM step reads and writes (values carried through chains). */
typedef struct prog_tensors {
  bool on;                                   /* false: the step runs on its own seeded data */
  int32_t id[MAP_OPS];                       /* input, weight, output */
  char idx[MAP_OPS][PROG_MAX_INDICES + 1];   /* index letters of each, row-major */
  int64_t size[PROG_MAX_INDICES];            /* size of letter a-z, A-Z (0: unused) */
  char token;                                /* a letter the step tiles, or '\0' */
  int64_t token_full;                        /* its whole extent (size[] holds one tile) */
} prog_tensors;

/* Slot of an index letter in prog_tensors.size (-1: not a letter). */
int program_letter_slot(char c);

/* The GEMM view of a step's tensors: the letters of B, M, K, N (in the order they appear in
 * the input, then the weight) and their extents. Returns HEAT_OK, or HEAT_EINVAL with a
 * message in msg and the text field it concerns in *field ("idx" or "sizes": a letter repeated
 * in a tensor, an output letter neither operand has, a letter without a size, extents that
 * differ from dims when dims is not NULL). */
int program_tensors_view(const prog_tensors *t, const int64_t *dims,
                         char letters[MAP_DIMS][PROG_MAX_INDICES + 1], int64_t ext[MAP_DIMS],
                         char *msg, size_t msg_size, const char **field);

typedef struct prog_step {
  char name[PROG_NAME_MAX];
  int64_t times;       /* how often the workload runs this step (count x repeat) */
  bool simd;           /* a SIMD/DMA op: problem and mapping unused */
  map_problem problem; /* dims, on_chip, permuted */
  map_mapping mapping; /* dataflow, tile, order, buffer */
  prog_layout layout;  /* tiles in SRAM: which banks a fold's lanes hit */
  prog_tensors tensors; /* values through chains (functional mode) */
  int32_t line;        /* source line when parsed, 0 when emitted */
} prog_step;

typedef struct prog_insn {
  prog_opcode op;
  int32_t step;
  int32_t n_deps;
  int32_t dep[PROG_MAX_DEPS];
  int64_t at[MAP_DIMS], len[MAP_DIMS]; /* load, store, fold */
  int32_t operand;                     /* load/store: enum map_operand */
  int32_t buffer, slot;                /* load/store/simd: buffer index; load/store slot */
  bool partial;                        /* load/store of output partial sums (accum_bits) */
  bool strided;                        /* load: strided DMA gather (layout transform) */
  int32_t slots[MAP_OPS];              /* fold: slot of each operand in its buffer */
  int32_t acc;                         /* fold: 0 write, 1 read-add partial sums, 2 in-array */
  /* simd */
  prog_simd_kind kind;
  int64_t elems, lane_ops, cycles;
  double rd_bytes, wr_bytes, dram_rd, dram_wr;
  int32_t line; /* source line when parsed, 0 when emitted */
} prog_insn;

typedef struct program {
  char arch_name[ARCH_NAME_MAX];
  char origin[256]; /* the file it was parsed from ("" when emitted), for messages */
  fold_timing timing;
  bool stalls;
  size_t n_steps, cap_steps;
  prog_step *steps;
  size_t n, cap;
  prog_insn *insn;
} program;

void program_init(program *p);
void program_free(program *p);

/* Appends a GEMM step and its instructions for the mapping priced as `cost` by map_eval with
 * the same options (tile loop nest, loads where an operand's tile changes, stores and partial
 * sums as the cost model counts them, one fold per tile, or per group of streamed tiles when
 * the streamed loop is innermost). `times` is how often the step runs. A sync on the previous
 * step's last instruction starts the step. */
int program_emit_gemm(program *p, const arch *a, const map_options *opt, const char *name,
                      int64_t times, const map_problem *prob, const map_mapping *m,
                      const map_cost *cost, heat_error *err);

/* A GEMM's output epilogue (mapper/flow.h: requantization, bias, a folded element-wise op): SIMD
 * work on the output, totals over the step. program_emit_gemm_epilogue splits it over the folds
 * that finish output elements (the last K range of each box), each piece after its fold and
 * before the tile's store, so it runs beside the next tiles as the analytical model prices it. */
typedef struct prog_epilogue {
  prog_simd_kind kind;
  int buffer;                    /* -1: no buffer traffic (an output stage in the array) */
  double lane_ops, cycles, rd_bytes, wr_bytes, dram_rd, dram_wr;
} prog_epilogue;

int program_emit_gemm_epilogue(program *p, const arch *a, const map_options *opt,
                               const char *name, int64_t times, const map_problem *prob,
                               const map_mapping *m, const map_cost *cost,
                               const prog_epilogue *epi, heat_error *err);

/* Appends a SIMD step from its analytical cost (layer_simd_cost): lane work, SRAM and DRAM
 * bytes as priced. `kind_name` is the model op's kind ("softmax", ...; "add" for a bias). */
int program_emit_simd(program *p, const arch *a, const char *name, int64_t times,
                      prog_simd_kind kind, const map_cost *cost, heat_error *err);

/* Appends every priced item of a layer or model report (heat map's items): GEMM steps with
 * their mappings (times = count x repeat), SIMD ops with their kind from the model `m`. */
struct layer_item;
struct model;
int program_emit_items(program *p, const arch *a, const map_options *opt, const struct model *m,
                       const struct layer_item *items, size_t n, heat_error *err);

/* What a program (or one step of it, step >= 0; -1: all steps, each x times) moves and
 * computes, counted from its instructions with fold_eval and priced with energy_eval. */
typedef struct prog_counts {
  double macs, reg_accesses, dram_read_bytes, dram_write_bytes, simd_lane_ops;
  double simd_macs; /* MACs of steps run on the SIMD unit (priced as lane ops, not in macs) */
  double sram_read_bytes[ARCH_MAX_BUFFERS], sram_write_bytes[ARCH_MAX_BUFFERS];
  double sram_reads[ARCH_MAX_BUFFERS], sram_writes[ARCH_MAX_BUFFERS]; /* accesses */
} prog_counts;

/* The events of one instruction (added into *out). */
void program_insn_count(const program *p, const arch *a, const prog_insn *in, prog_counts *out);
void program_count(const program *p, const arch *a, int step, prog_counts *out);
/* Turns counts into energy events (cycles as given). */
void program_counts_events(const arch *a, const prog_counts *c, double cycles, energy_events *ev);

/* Checks a program against an arch: instruction fields, dependences only on earlier
 * instructions, buffers and slots that exist, operands allowed in their buffers, tiles that fit
 * their slot. Errors name origin:line (or "instruction N") and the field. */
int program_check(const program *p, const arch *a, const char *origin, heat_error *err);

int program_print(FILE *out, const program *p);
int program_write_file(const char *path, const program *p, heat_error *err);
/* Parses text (origin used in messages). Syntax only; run program_check with the arch. */
int program_parse(const char *text, const char *origin, program *p, heat_error *err);
int program_read_file(const char *path, program *p, heat_error *err);

const char *program_opcode_name(prog_opcode op);
const char *program_simd_kind_name(prog_simd_kind k);
int program_simd_kind_parse(const char *text, prog_simd_kind *out);

/* Bytes of one element of an operand (outputs: accum_bits when partial). */
double program_elem_bytes(const arch *a, int operand, bool partial);

#ifdef __cplusplus
}
#endif
#endif
