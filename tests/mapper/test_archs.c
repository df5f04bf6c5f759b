#include "test_archs.h"

#include "workloads/format.h"
#include "workloads/shape.h"

#include <stdio.h>
#include <string.h>

static void buffer(arch_buffer *b, const char *name, int64_t size, double bpc, unsigned ops,
                   double rd, double wr) {
  memset(b, 0, sizeof *b);
  snprintf(b->name, sizeof b->name, "%s", name);
  b->size_bytes = size;
  b->banks = 1;
  b->bytes_per_cycle = bpc;
  b->access_bytes = 8;
  b->read_pj = rd;
  b->write_pj = wr;
  b->operands = ops;
  b->double_buffered = true;
}

void test_arch_tpu(arch *a, int rows, int cols) {
  memset(a, 0, sizeof *a);
  snprintf(a->name, sizeof a->name, "test-tpu");
  a->clock_ghz = 1.0;
  a->input_bits = 8;
  a->weight_bits = 8;
  a->accum_bits = 32;
  a->array.kind = ARCH_ARRAY_SYSTOLIC;
  a->array.rows = rows;
  a->array.cols = cols;
  a->array.dataflows = 7;
  a->array.weights_double_buffered = true;
  a->simd.lanes = 32;
  a->simd.op_pj = 0.1;
  a->simd.cycles_add = a->simd.cycles_mul = a->simd.cycles_max = 1;
  a->simd.cycles_exp = a->simd.cycles_div = a->simd.cycles_rsqrt = 4;
  buffer(&a->buffers[0], "ubuf", 512 * 1024, 256, ARCH_OPERAND_INPUT | ARCH_OPERAND_OUTPUT, 20,
         22);
  buffer(&a->buffers[1], "wbuf", 256 * 1024, 128, ARCH_OPERAND_WEIGHT, 18, 20);
  a->n_buffers = 2;
  a->dram.gbps = 32;
  a->dram.latency_ns = 100;
  a->dram.pj_per_byte = 8;
  a->mac_pj = 0.2;
  a->reg_pj = 0.02;
  a->leakage_mw = 50;
}

void test_arch_ideal(arch *a, int rows, int cols) {
  test_arch_tpu(a, rows, cols);
  snprintf(a->name, sizeof a->name, "test-ideal");
  a->buffers[0].size_bytes = (int64_t)1 << 40;
  a->buffers[1].size_bytes = (int64_t)1 << 40;
  a->buffers[0].bytes_per_cycle = 1e9;
  a->buffers[1].bytes_per_cycle = 1e9;
  a->dram.gbps = 1e9;
  a->dram.latency_ns = 0;
}

void test_arch_vector(arch *a, int lanes, int width) {
  test_arch_tpu(a, 1, 1);
  snprintf(a->name, sizeof a->name, "test-vector");
  a->array.kind = ARCH_ARRAY_VECTOR;
  a->array.rows = a->array.cols = 0;
  a->array.lanes = lanes;
  a->array.width = width;
  a->array.dataflows = 7;
  buffer(&a->buffers[0], "gbuf", 1024 * 1024, 64, ARCH_OPERAND_ANY, 51.87, 66.31);
  a->n_buffers = 1;
}

map_workspace *ws;

int test_ws_setup(void **state) {
  (void)state;
  ws = map_workspace_alloc();
  return ws ? 0 : -1;
}

int test_ws_teardown(void **state) {
  (void)state;
  map_workspace_free(ws);
  return 0;
}

int test_layer_network(const char *format, const char *shape, int64_t max_rank, int64_t n_tokens,
                       tn_network *net, heat_error *err) {
  wl_layer l;
  memset(&l, 0, sizeof l);
  int rc = wl_format_parse(format, "format", &l.format, err);
  if (!rc) rc = wl_shape_parse(shape, "shape", &l.shape, err);
  if (rc) return rc;
  l.n_ranks = wl_layer_rank_count(&l);
  wl_layer_clip_ranks(&l, max_rank);
  return wl_layer_network(&l, n_tokens, net, err);
}

int64_t test_pick(uint64_t *state, int64_t lo, int64_t hi) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return lo + (int64_t)(*state % (uint64_t)(hi - lo + 1));
}
