/* Arch structs built field by field for the mapper tests (no loader needed). */
#ifndef HEAT_TEST_ARCHS_H
#define HEAT_TEST_ARCHS_H

#include "arch/arch.h"
#include "mapper/mapspace.h"

/* A TPU-like R x C systolic array, 8-bit operands, 32-bit partial sums, a unified buffer for
 * inputs and outputs and a weight buffer, both double-buffered; DRAM 32 GB/s at 1 GHz. */
void test_arch_tpu(arch *a, int rows, int cols);

/* Same array with buffers and DRAM so large nothing stalls (SCALE-Sim's "no stalls"). */
void test_arch_ideal(arch *a, int rows, int cols);

/* A Simba-like vector array: lanes x width MACs, one global buffer. */
void test_arch_vector(arch *a, int lanes, int width);

/* One mapper workspace per test program: cmocka group setup/teardown. */
extern map_workspace *ws;
int test_ws_setup(void **state);
int test_ws_teardown(void **state);

#endif
