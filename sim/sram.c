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

/* ---- the port calendar (sram.h) ---- */

/* Shares below this are rounding error of sums of shares, not bandwidth. */
#define SRAM__SHARE_EPS 1e-9

void sram_port_reset(sram_port *p, double at) {
  p->n = 1;
  p->t[0] = at;
  p->used[0] = 0;
}

/* Makes `at` a breakpoint (at >= t[0]) and returns its segment; -1 when the calendar is full. */
static int sram__split(sram_port *p, double at) {
  int i = p->n - 1;
  while (i > 0 && p->t[i] > at) i--;
  if (p->t[i] == at) return i;
  if (p->n == SRAM_PORT_SEGMENTS) return -1;
  memmove(&p->t[i + 2], &p->t[i + 1], (size_t)(p->n - i - 1) * sizeof p->t[0]);
  memmove(&p->used[i + 2], &p->used[i + 1], (size_t)(p->n - i - 1) * sizeof p->used[0]);
  p->t[i + 1] = at;
  p->used[i + 1] = p->used[i];
  p->n++;
  return i + 1;
}

double sram_port_book(sram_port *p, double from, double need, double pace) {
  if (need <= 0) return from;
  if (pace > 1) pace = 1;
  if (pace <= SRAM__SHARE_EPS) pace = SRAM__SHARE_EPS;
  if (from < p->t[0]) from = p->t[0];
  int i = sram__split(p, from);
  double left = need;
  while (i >= 0) {
    double rate = fmin(pace, 1 - p->used[i]);
    bool last = i == p->n - 1;
    double len = last ? INFINITY : p->t[i + 1] - p->t[i];
    if (rate > SRAM__SHARE_EPS && rate * len >= left) {
      double end = p->t[i] + left / rate;
      if (!last && end >= p->t[i + 1]) end = p->t[i + 1]; /* float: the segment's end */
      int j = sram__split(p, end);
      if (j < 0) break;
      for (int k = i; k < j; k++) p->used[k] += rate;
      return end;
    }
    if (rate > SRAM__SHARE_EPS) {
      p->used[i] += rate;
      left -= rate * len;
    }
    i++;
  }
  /* NEVER: the calendar is full (three units book one span each at a time: a handful of
   * segments). The safe answer: the whole port after everything booked. */
  double at = fmax(from, p->t[p->n - 1]);
  return at + left;
}

double sram_port_leftover_until(const sram_port *p, double from, double need) {
  if (need <= 0) return from;
  int i = p->n - 1;
  while (i > 0 && p->t[i] > from) i--;
  double left = need, at = from;
  for (; i < p->n; i++) {
    double free_share = fmax(0, 1 - p->used[i]);
    double end = i == p->n - 1 ? INFINITY : p->t[i + 1];
    if (free_share > SRAM__SHARE_EPS && free_share * (end - at) >= left) return at + left / free_share;
    if (free_share > SRAM__SHARE_EPS) left -= free_share * (end - at);
    at = end;
  }
  return at + left; /* NEVER: the last segment is open-ended */
}

void sram_port_prune(sram_port *p, double now) {
  int drop = 0;
  while (drop + 1 < p->n && p->t[drop + 1] <= now) drop++;
  if (!drop) return;
  memmove(&p->t[0], &p->t[drop], (size_t)(p->n - drop) * sizeof p->t[0]);
  memmove(&p->used[0], &p->used[drop], (size_t)(p->n - drop) * sizeof p->used[0]);
  p->n -= drop;
}
