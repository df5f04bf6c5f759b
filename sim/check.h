/* Values through a program's chains (functional mode) and the plain-C reference --check compares
 * them with. Plain C, no simulation kernel: the model calls it between steps, tests directly.
 *
 * A step that names its tensors (mapper/program.h, prog_tensors) reads each operand from a
 * store of tensors: the output an earlier step wrote (requantized), or seeded data the first
 * time a tensor is named. The model gathers an operand into the GEMM layout the array reads
 * (in[b][m][k], w[b][k][n]) and puts the array's accumulators back as the output tensor. The
 * reference keeps its own store and computes every step as a plain einsum over the letters
 * (out[o] = sum over the letters the output lacks of lhs * rhs) without the GEMM view, the
 * tiles or the array, so the two agree only if the datapath, the tiling and the hand-off do.
 * Tensors hold whole token extents: a step run per token tile (prog_tensors.token) is gathered
 * and scattered tile by tile, the reference computes it untiled.
 *
 * Requantization (mapper/MAPPING.md, "Values through fused chains"): an output handed on is
 *   q = saturate_p(round_half_away_from_zero(wrap_accum_bits(acc) / 2^s)),
 *   p = min(input_bits, 16), s = min(accum_bits - p, max(0, min(weight_bits, 8) - 2 + ceil(ceil(log2 K) / 2)))
 * with K the step's contraction length (product of the letters the output lacks). */
#ifndef HEAT_SIM_CHECK_H
#define HEAT_SIM_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"
#include "common/heat_error.h"
#include "mapper/program.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct chk_tensor {
  int32_t id;
  int32_t writer;                      /* the step that wrote it; -1: seeded data */
  char idx[PROG_MAX_INDICES + 1];      /* its letters, row-major */
  int64_t size[PROG_MAX_INDICES];      /* by letter slot */
  int64_t n;                           /* elements */
  int16_t *v;
} chk_tensor;

typedef struct chk_store {
  size_t n, cap;
  chk_tensor *t;
} chk_store;

/* How the model's hand-off is broken on purpose (heat sim --check-fault): never in a real run. */
typedef enum chk_fault {
  CHK_FAULT_NONE = 0,
  CHK_FAULT_FLIP = 1,     /* the lowest bit of the first element of every handed-on output */
  CHK_FAULT_TRUNCATE = 2  /* the requantization truncates instead of rounding */
} chk_fault;

void chk_store_init(chk_store *s);
void chk_store_free(chk_store *s);
const chk_tensor *chk_store_find(const chk_store *s, int32_t id);

/* Seeded data of tensor `id` (the same values for a seed and id whatever reads them first):
 * integers of `bits` bits, the int8 range when bits >= 8. */
void chk_seed(uint64_t seed, int32_t id, int bits, int16_t *v, int64_t n);

/* The tensor role k (0 input, 1 weight) of step st reads: an earlier step's output, or seeded
 * now in the role's precision. NULL with err set when out of memory. */
const chk_tensor *chk_operand(chk_store *s, const arch *a, uint64_t seed, const prog_step *st,
                              int k, heat_error *err);

/* The model's side. Gathers role k of step st into the GEMM layout (k 0: in[b][m][k]; 1:
 * w[b][k][n]), reading seeded or handed-on values; a step with a token letter reads the tile
 * starting at token_at (zeros past the tensor's end). *handed: the tensor is an earlier
 * output. */
int chk_gather(chk_store *s, const arch *a, uint64_t seed, const prog_step *st, int k,
               int64_t token_at, int16_t *dst, bool *handed, heat_error *err);
/* The array's accumulators out[b][m][n] (mod 2^32) of the tile at token_at into the whole
 * output tensor acc (its layout), wrapped to accum_bits. */
int chk_output_from_gemm(const prog_step *st, const uint32_t *gemm, int accum_bits,
                         int64_t token_at, int32_t *acc, heat_error *err);

/* The reference's side: step st's output accumulators (output tensor layout, wrapped to
 * accum_bits) from the tensors in ref, by a plain loop over the letters. */
int chk_reference_step(chk_store *ref, const arch *a, uint64_t seed, const prog_step *st,
                       int32_t *acc, heat_error *err);

/* Requantizes acc (output tensor layout) and stores it as step `step`'s output tensor. */
int chk_put_output(chk_store *s, const arch *a, const prog_step *st, int32_t step,
                   const int32_t *acc, chk_fault fault, heat_error *err);

/* A step's letter sizes over its whole tensors (the token letter at token_full); its token
 * tiles (1 without a token letter); the elements of role k's whole tensor; its contraction
 * length K. */
void chk_full_sizes(const prog_tensors *t, int64_t *size);
int64_t chk_tiles(const prog_tensors *t);
int64_t chk_elements(const prog_tensors *t, int k);
int64_t chk_contraction(const prog_tensors *t);

/* The rule above. */
int chk_shift(const arch *a, int64_t K);
int16_t chk_requant(int32_t acc, int shift, int bits);
int chk_requant_bits(const arch *a);

/* "t=3,d=5,g=0": the coordinates of element i of role k's tensor. */
void chk_describe(const prog_tensors *t, int k, int64_t i, char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
