/* Per-fold timing and event counts of one GEMM on the compute array: the single source of truth
 * shared by the analytical cost model (mapper/) and the cycle-level model (sim/). Pure functions:
 * no allocation, no simulation kernel, no I/O.
 *
 * A GEMM here is out[b, m, n] = sum_k in[b, m, k] w[b, k, n] for b < B, with the SCALE-Sim
 * spatial mapping (see mapper/MAPPING.md):
 *   systolic R x C  OS: (M, N) on (rows, cols), K streamed
 *                   WS: (K, N) on (rows, cols), M streamed
 *                   IS: (K, M) on (rows, cols), N streamed
 *   vector L x W    WS: K on the W-wide dot products, N on the L lanes, M streamed
 *                   IS: K on W, M on the lanes, N streamed
 *                   OS: K on W, N on the lanes, M streamed with the weights; outputs stay in
 *                       the lane accumulators (nothing stationary to load)
 * Timing modes:
 *   FOLD_TIMING_SCALESIM  folds run back to back, each paying its full latency
 *                         (OS T+R+C-2, WS/IS 2R+C+T-2): SCALE-Sim's compute cycles + 1.
 *   FOLD_TIMING_OVERLAP   the array double-buffers its stationary operand: the next fold's
 *                         weights/inputs shift into shadow registers (OS: the finished outputs
 *                         shift out of them) during the current fold's stream, so a fold may
 *                         start max(T, R) cycles after the previous one; the first fold's load
 *                         and the last fold's skew/drain are paid once:
 *                         cycles = fold_cycles + (folds_total - 1) * max(T, R).
 * Spatial batch (fold_eval_packed): when both spatial extents of one batch element fit in half
 * the array or less, `pack` batch elements share a fold on the array's diagonal (block-diagonal
 * stationary operand; see mapper/MAPPING.md), so B elements take ceil(B / pack) folds.
 * The SIMD unit can run a step instead of the array (fold_simd_eval). */
#ifndef HEAT_FOLD_H
#define HEAT_FOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fold_timing {
  FOLD_TIMING_SCALESIM = 0,
  FOLD_TIMING_OVERLAP = 1,
} fold_timing;

typedef struct fold_stats {
  int64_t sr, sc, t;          /* extents mapped on rows (width), cols (lanes), and streamed */
  int64_t row_folds, col_folds;
  int64_t folds;              /* per batch: row_folds * col_folds */
  int64_t fold_cycles;        /* latency of one fold run alone */
  int64_t pace;               /* cycles between fold starts under FOLD_TIMING_OVERLAP */
  int64_t cycles;             /* all B x folds folds in the chosen timing mode */
  int64_t macs;               /* B * M * K * N */
  /* Array-side SRAM traffic in elements (SCALE-Sim's read/write counts, times B). */
  int64_t input_reads, weight_reads, output_writes;
  int64_t output_reads;       /* partial sums read back to accumulate across row folds */
  int64_t reg_accesses;       /* array register events: 3 per MAC + stationary loads/drains
                                 (packed WS/IS: the zeros off the diagonal are loaded too) */
  int64_t pack;               /* batch elements per fold on the diagonal (1: none) */
  int64_t batch_groups;       /* ceil(B / pack): fold groups run one after another */
} fold_stats;

/* True when the arch's mask lists the dataflow. */
bool fold_dataflow_supported(const arch_array *arr, arch_dataflow df);

/* Cycles and events of B independent M x K x N GEMMs run one after another on the array.
 * Requires B, M, K, N >= 1, a supported dataflow and positive array dimensions (callers
 * validate; this function does not fail). */
void fold_eval(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B, int64_t M,
               int64_t K, int64_t N, fold_stats *out);

/* Only the cycle count of fold_eval (the inner loop of the mapspace search). */
int64_t fold_cycles(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B,
                    int64_t M, int64_t K, int64_t N);

/* How many batch elements of an M x K x N GEMM fit side by side on the array's diagonal under
 * the dataflow: min(rows / spatial-row extent, cols / spatial-col extent) (vector: width and
 * lanes), 1 when either extent exceeds half the array. Each array axis carries one operand to
 * every PE on it (a systolic row its input or weight stream, a vector array's broadcast input
 * vector), so a PE multiplies operands of the same batch element only on the diagonal blocks:
 * batch on rows and cols together, never on one axis alone. */
int64_t fold_batch_pack(const arch_array *arr, arch_dataflow df, int64_t M, int64_t K, int64_t N);

/* fold_eval with `pack` batch elements per fold (1 <= pack <= fold_batch_pack(...); pack = 1 is
 * fold_eval exactly). Every fold of a group streams the same T; the folds counted are
 * ceil(B / pack) x row_folds x col_folds. SRAM events count the useful elements only. */
void fold_eval_packed(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B,
                      int64_t M, int64_t K, int64_t N, int64_t pack, fold_stats *out);
int64_t fold_cycles_packed(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B,
                           int64_t M, int64_t K, int64_t N, int64_t pack);

/* A batched GEMM on the SIMD unit: `lanes` lanes, each multiply taking cycles_mul and each add
 * cycles_add. The lanes vectorize the larger output dimension V of (M, N); for each output lane
 * vector the K products are multiplied and summed in the lane accumulators (K muls, K - 1 adds
 * per output), reading one vector of the vectorized operand and broadcasting one element of the
 * other per k. cycles = B x O x ceil(V / lanes) x (K mul + (K - 1) add), O the other dimension. */
typedef struct fold_simd_stats {
  int64_t cycles;
  int64_t lane_cycles;   /* busy lane-cycles (energy: x op_pj): B M N (K mul + (K - 1) add) */
  int64_t input_reads, weight_reads, output_writes; /* elements */
  bool vector_on_n;      /* lanes over N (else over M) */
} fold_simd_stats;

/* `accumulate`: the outputs add to partial sums of an earlier K tile, one more add each
 * (K mul + K add per output). */
void fold_simd_eval(const arch_simd *simd, int64_t B, int64_t M, int64_t K, int64_t N,
                    bool accumulate, fold_simd_stats *out);

/* Which GEMM dimension the dataflow streams through the array: 'm', 'k' or 'n' (systolic OS:
 * K, WS: M, IS: N; vector OS and WS: M, IS: N). */
char fold_streamed_dim(const arch_array *arr, arch_dataflow df);

/* Depth of a vector lane's W-wide adder tree plus its accumulator stage. */
int64_t fold_vector_depth(int width);

const char *fold_timing_name(fold_timing t); /* "scalesim", "overlap" */

#ifdef __cplusplus
}
#endif
#endif
