/* The compute array's datapath as plain functions (no simulation kernel): the SystemC model's
 * array process calls them in functional mode, and tests call them directly (NVDLA cmod style).
 *
 * A GEMM box out[m, n] (+)= sum_k in[m, k] w[k, n] is cut into the folds mapper/fold.c counts
 * and each fold is stepped cycle by cycle on per-PE registers:
 *   systolic OS  PE(i, j) holds an accumulator; inputs enter row i from the left skewed by i,
 *                weights enter column j from the top skewed by j; T + R + C - 2 cycles.
 *   systolic WS  R cycles shift the weights into the PEs row by row, then inputs enter row k
 *                skewed by k, partial sums flow down and leave the bottom row; 2R + C + T - 2.
 *   systolic IS  as WS with the inputs stationary and the weights streamed.
 *   vector L x W each lane computes a W-wide dot product per cycle into its accumulator; L
 *                cycles load the stationary vectors (WS, IS), T cycles stream, the adder tree
 *                and accumulator add depth cycles.
 * Only the rows/columns a fold uses are stepped (idle PEs hold zeros and add nothing); the
 * cycle count is the full array's, and equals fold_eval's fold_cycles per fold (the tests and
 * the model check it).
 *
 * Values: operands are integers of the arch's input/weight precision in int16 storage;
 * accumulators wrap modulo 2^32 (and are wrapped to accum_bits when read out), which is exactly
 * what a two's-complement accumulator of accum_bits <= 32 bits computes. */
#ifndef HEAT_SIM_DATAPATH_H
#define HEAT_SIM_DATAPATH_H

#include <stdint.h>

#include "arch/arch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dp_gemm {
  int64_t M, K, N;
  const int16_t *in; /* in[m * in_ld + k] */
  int64_t in_ld;
  const int16_t *w;  /* w[k * w_ld + n] */
  int64_t w_ld;
  uint32_t *out;     /* out[m * out_ld + n], accumulated into */
  int64_t out_ld;
} dp_gemm;

typedef struct dp_workspace dp_workspace;

dp_workspace *dp_workspace_alloc(const arch_array *arr);
void dp_workspace_free(dp_workspace *w);

/* Runs every fold of the box on the array and adds the products into out. Returns the cycles
 * stepped (the sum of the folds' latencies, as FOLD_TIMING_SCALESIM counts them) and the folds
 * in *folds. */
int64_t dp_run(dp_workspace *ws, const arch_array *arr, arch_dataflow df, const dp_gemm *g,
               int64_t *folds);

/* Plain reference: out[m, n] += sum_k in[m, k] w[k, n] (mod 2^32). */
void dp_reference(const dp_gemm *g);

/* Two's-complement wrap of v to `bits` bits (1..32), sign-extended. */
int32_t dp_wrap(uint32_t v, int bits);

#ifdef __cplusplus
}
#endif
#endif
