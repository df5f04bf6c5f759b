/* SRAM banks and ports: see sram.h for the interleaving, the waves and the layouts. */
#include "sim/sram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sram_bank_of(const arch_buffer *b, double addr) {
  int64_t word = (int64_t)floor(addr / (double)b->access_bytes);
  return (int)(word % b->banks);
}

int64_t sram_conflict_degree(const arch_buffer *b, int64_t lanes, double pitch) {
  if (lanes <= 1 || pitch <= (double)b->access_bytes) return 1;
  /* Lane l's word is floor(l pitch / w): count the words per bank (banks <= 65536). A lane
   * count past the bank count wraps; count only the distinct words (lanes that share a word
   * share its access). */
  int64_t *count = calloc((size_t)b->banks, sizeof *count);
  if (!count) return lanes; /* NEVER: 512 KiB at most; the worst case is the safe answer */
  int64_t worst = 0, prev = -1;
  for (int64_t l = 0; l < lanes; l++) {
    int64_t word = (int64_t)floor((double)l * pitch / (double)b->access_bytes);
    if (word == prev) continue;
    prev = word;
    int64_t c = ++count[word % b->banks];
    if (c > worst) worst = c;
  }
  free(count);
  return worst;
}

void sram_stream_time(const arch_buffer *b, const sram_stream *s, sram_time *out) {
  memset(out, 0, sizeof *out);
  out->degree = 1;
  if (s->bytes <= 0) return;
  out->port = s->bytes / b->bytes_per_cycle;
  out->ideal = out->banks = out->port;
  if (s->lanes <= 1 || s->pitch <= (double)b->access_bytes) return; /* contiguous */
  /* A wave moves one word per lane; a bank serves `rate` words per cycle. */
  double w = (double)b->access_bytes;
  double rate = b->bytes_per_cycle / ((double)b->banks * w);
  double waves = s->bytes / ((double)s->lanes * w);
  int64_t even = (s->lanes + b->banks - 1) / b->banks;
  out->degree = sram_conflict_degree(b, s->lanes, s->pitch);
  out->ideal = waves * (double)even / rate;
  out->banks = waves * (double)out->degree / rate;
}

/* The array edges a dataflow spreads each operand's lane dimension over. */
static int64_t sram__edge(const arch_array *arr, bool rows) {
  if (arr->kind == ARCH_ARRAY_VECTOR) return rows ? arr->lanes : arr->width;
  return rows ? arr->rows : arr->cols;
}

void sram_fold_streams(const arch *a, const prog_step *st, const prog_insn *in,
                       const fold_stats *fs, sram_stream out[MAP_OPS]) {
  memset(out, 0, MAP_OPS * sizeof *out);
  const map_mapping *m = &st->mapping;
  double eb[MAP_OPS] = {program_elem_bytes(a, MAP_OP_INPUT, false),
                        program_elem_bytes(a, MAP_OP_WEIGHT, false),
                        program_elem_bytes(a, MAP_OP_OUTPUT, true)};
  double out_reads = (double)fs->output_reads;
  if (in->acc == 1) out_reads += (double)(in->len[MAP_DIM_B] * in->len[MAP_DIM_M] * in->len[MAP_DIM_N]);
  out[MAP_OP_INPUT].bytes = (double)fs->input_reads * eb[MAP_OP_INPUT];
  out[MAP_OP_WEIGHT].bytes = (double)fs->weight_reads * eb[MAP_OP_WEIGHT];
  out[MAP_OP_OUTPUT].bytes = ((double)fs->output_writes + out_reads) * eb[MAP_OP_OUTPUT];
  for (int op = 0; op < MAP_OPS; op++) {
    out[op].lanes = 1;
    out[op].pitch = eb[op];
  }
  if (m->unit == MAP_UNIT_SIMD || st->layout != PROG_LAYOUT_ROW) return;
  /* Row layout: each operand's rows run along its last dimension (k, n, n). */
  static const int contiguous[MAP_OPS] = {MAP_DIM_K, MAP_DIM_N, MAP_DIM_N};
  int lane_dim[MAP_OPS];
  bool on_rows[MAP_OPS];
  switch (m->dataflow) {
  case ARCH_DATAFLOW_WS:
    lane_dim[MAP_OP_INPUT] = MAP_DIM_K, on_rows[MAP_OP_INPUT] = true;
    lane_dim[MAP_OP_WEIGHT] = MAP_DIM_N, on_rows[MAP_OP_WEIGHT] = false;
    lane_dim[MAP_OP_OUTPUT] = MAP_DIM_N, on_rows[MAP_OP_OUTPUT] = false;
    break;
  case ARCH_DATAFLOW_IS:
    lane_dim[MAP_OP_INPUT] = MAP_DIM_M, on_rows[MAP_OP_INPUT] = false;
    lane_dim[MAP_OP_WEIGHT] = MAP_DIM_K, on_rows[MAP_OP_WEIGHT] = true;
    lane_dim[MAP_OP_OUTPUT] = MAP_DIM_M, on_rows[MAP_OP_OUTPUT] = false;
    break;
  default: /* OS */
    lane_dim[MAP_OP_INPUT] = MAP_DIM_M, on_rows[MAP_OP_INPUT] = true;
    lane_dim[MAP_OP_WEIGHT] = MAP_DIM_N, on_rows[MAP_OP_WEIGHT] = false;
    lane_dim[MAP_OP_OUTPUT] = MAP_DIM_N, on_rows[MAP_OP_OUTPUT] = false;
    break;
  }
  for (int op = 0; op < MAP_OPS; op++) {
    int64_t edge = sram__edge(&a->array, on_rows[op]);
    int64_t ext = in->len[lane_dim[op]];
    out[op].lanes = ext < edge ? ext : edge;
    out[op].pitch = lane_dim[op] == contiguous[op] ? eb[op] : (double)m->tile[contiguous[op]] * eb[op];
  }
}

void sram_fold_time(const arch *a, const prog_step *st, const prog_insn *in,
                    const fold_stats *fs, double port[ARCH_MAX_BUFFERS],
                    double busy[ARCH_MAX_BUFFERS], double conflict[ARCH_MAX_BUFFERS]) {
  for (int j = 0; j < ARCH_MAX_BUFFERS; j++) port[j] = busy[j] = conflict[j] = 0;
  sram_stream s[MAP_OPS];
  sram_fold_streams(a, st, in, fs, s);
  for (int op = 0; op < MAP_OPS; op++) {
    int j = st->mapping.buffer[op];
    sram_time t;
    sram_stream_time(&a->buffers[j], &s[op], &t);
    port[j] += t.port;
    busy[j] += fmax(t.port, t.banks);
    conflict[j] += t.banks - fmax(t.port, t.ideal);
  }
}
