/* Arch structs built field by field for the mapper tests (no loader needed). */
#ifndef HEAT_TEST_ARCHS_H
#define HEAT_TEST_ARCHS_H

#include "arch/arch.h"
#include "mapper/mapspace.h"
#include "mapper/einsum.h"

/* A TPU-like R x C systolic array, 8-bit operands, 32-bit partial sums, a unified buffer for
 * inputs and outputs and a weight buffer, both double-buffered; DRAM 32 GB/s at 1 GHz. */
void test_arch_tpu(arch *a, int rows, int cols);

/* Same array with buffers and DRAM so large nothing stalls (SCALE-Sim's "no stalls"). */
void test_arch_ideal(arch *a, int rows, int cols);

/* A Simba-like vector array: lanes x width MACs, one global buffer. */
void test_arch_vector(arch *a, int lanes, int width);

/* The network of a factorized linear (`format` over `shape`, e.g. "tucker", "8x8x12:8x8x12")
 * with every rank clipped to max_rank, on n_tokens tokens: HEAT_OK or the parse error. */
int test_layer_network(const char *format, const char *shape, int64_t max_rank, int64_t n_tokens,
                       tn_network *net, heat_error *err);

/* A seeded xorshift64 draw in lo..hi from *state: the tests' random cases, the same sequence
 * on every machine. */
int64_t test_pick(uint64_t *state, int64_t lo, int64_t hi);

/* One mapper workspace per test program: cmocka group setup/teardown. */
extern map_workspace *ws;
int test_ws_setup(void **state);
int test_ws_teardown(void **state);

#endif
