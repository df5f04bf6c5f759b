#include "mapper/flow.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int flow_act_buffer(const arch *a) { return map_act_buffer(a); }

static bool flow__gemm(const model_op *op) {
  return op->kind == MODEL_OP_LINEAR || op->kind == MODEL_OP_MATMUL;
}

/* An op that a GEMM can run on its output as it drains: element-wise, one output per input. */
static bool flow__elementwise(const model_op *op) {
  return op->kind == MODEL_OP_GELU || op->kind == MODEL_OP_TANH || op->kind == MODEL_OP_ADD;
}

/* Elements of an op's output (an add of `count` operands still makes one tensor). */
static double flow__out_elements(const model_op *op) {
  double e = (double)op->rows * (double)op->width;
  return op->kind == MODEL_OP_ADD ? e : e * (double)op->count;
}

/* The bytes op i reads of its input k: a linear reads tokens x in (the pooler only the first
 * token of each sequence); other ops the whole producer's output. */
double flow_read_bytes(const flow_plan *p, const model_op *ops, size_t i, int k,
                       double elem_bytes) {
  if (ops[i].kind == MODEL_OP_LINEAR)
    return (double)ops[i].tokens * (double)ops[i].in_features * elem_bytes;
  int src = p->op[i].input[k];
  return src == FLOW_PART_INPUT ? p->part_input_bytes : p->op[src].out_bytes;
}

flow_place flow_input_place(const flow_plan *p, const model_op *ops, size_t i, int k) {
  (void)ops;
  int src = p->op[i].input[k];
  if (src == FLOW_PART_INPUT) return p->part_input;
  /* A GEMM result consumed in its epilogue is read there, in the GEMM's output tiles. */
  return p->op[src].out;
}

/* The tensor an op's result is stored as: its epilogue op's output when it has one. */
static int flow__stored(const flow_plan *p, int i) {
  return p->op[i].epilogue >= 0 ? p->op[i].epilogue : i;
}

/* Compulsory activation DRAM bytes of every op, alone and with the plan. */
static void flow__bytes(flow_plan *p, const arch *a, const model_op *ops) {
  double eb = a->input_bits / 8.0;
  p->alone_bytes = p->flow_bytes = 0;
  for (size_t i = 0; i < p->n; i++) {
    flow_op *f = &p->op[i];
    f->alone_bytes = f->flow_bytes = 0;
    if (f->epilogue_of >= 0) continue; /* counted with its GEMM */
    int ops_of[2] = {(int)i, f->epilogue};
    for (int q = 0; q < 2; q++) {
      int o = ops_of[q];
      if (o < 0) continue;
      for (int k = 0; k < p->op[o].n_inputs; k++) {
        double b = flow_read_bytes(p, ops, (size_t)o, k, eb);
        f->alone_bytes += b;
        if (p->op[o].input[k] == (int)i) continue; /* the GEMM's result, in its epilogue */
        if (flow_input_place(p, ops, (size_t)o, k) == FLOW_DRAM) f->flow_bytes += b;
      }
      f->alone_bytes += p->op[o].out_bytes; /* alone, a GEMM writes its raw result too */
    }
    /* Alone, a linear's bias is its own pass: the result read and written back. */
    if (ops[i].kind == MODEL_OP_LINEAR && ops[i].bias) f->alone_bytes += 2 * f->out_bytes;
    int s = flow__stored(p, (int)i);
    if (p->op[s].out == FLOW_DRAM) f->flow_bytes += p->op[s].out_bytes;
    p->alone_bytes += f->alone_bytes;
    p->flow_bytes += f->flow_bytes;
  }
}

void flow_spill(flow_plan *p, const arch *a, const model_op *ops, size_t t) {
  p->op[t].out = FLOW_DRAM;
  flow__bytes(p, a, ops);
}

double flow_kept_beside(const flow_plan *p, size_t i) {
  double r = 0;
  if (p->part_input == FLOW_SRAM) {
    int last = -1;
    bool own = false;
    for (size_t c = 0; c < p->n; c++)
      for (int k = 0; k < p->op[c].n_inputs; k++)
        if (p->op[c].input[k] == FLOW_PART_INPUT) {
          if ((int)c > last) last = (int)c;
          if (c == i) own = true;
        }
    if ((int)i <= last && !own) r += p->part_input_bytes;
  }
  for (size_t t = 0; t < p->n; t++) {
    const flow_op *f = &p->op[t];
    if (f->out != FLOW_SRAM) continue;
    int prod = f->epilogue_of >= 0 ? f->epilogue_of : (int)t;
    int last = f->last_use >= (int)p->n ? (int)p->n - 1 : f->last_use;
    if (prod == (int)i || (int)i < prod || (int)i > last) continue;
    bool own = false;
    for (int k = 0; k < p->op[i].n_inputs; k++) own = own || p->op[i].input[k] == (int)t;
    if (!own) r += f->out_bytes;
  }
  return r;
}

/* Can every consumer of op t's output read it from the activation buffer? A GEMM reads its
 * second operand in the weight role: only from a buffer that may hold weights. */
static bool flow__readable(const arch *a, const flow_plan *p, const model_op *ops, int t) {
  bool weights = a->buffers[p->buffer].operands & ARCH_OPERAND_WEIGHT;
  for (size_t c = 0; c < p->n; c++)
    for (int k = 0; k < p->op[c].n_inputs; k++)
      if (p->op[c].input[k] == t && k == 1 && ops[c].kind == MODEL_OP_MATMUL && !weights)
        return false;
  return true;
}

int flow_plan_part(const arch *a, const model_op *ops, size_t n, flow_place part_input,
                   double part_input_bytes, bool output_may_stay, bool keep, flow_plan *out,
                   heat_error *err) {
  memset(out, 0, sizeof *out);
  if (n > MODEL_OPS_MAX)
    return heat_error_set(err, HEAT_EINTERNAL, "flow", "%zu operations, room for %d", n,
                          MODEL_OPS_MAX);
  out->n = n;
  out->buffer = flow_act_buffer(a);
  out->capacity = map__usable(&a->buffers[out->buffer]);
  out->part_input = part_input;
  out->part_input_bytes = part_input_bytes;
  double eb = a->input_bits / 8.0;
  int part_input_last = -1;
  for (size_t i = 0; i < n; i++) {
    flow_op *f = &out->op[i];
    f->epilogue_of = f->epilogue = -1;
    f->last_use = -1;
    f->out_bytes = flow__out_elements(&ops[i]) * eb;
    for (int k = 0; k < MODEL_OP_INPUTS_MAX && ops[i].inputs[k][0]; k++) {
      int src = -2;
      if (strcmp(ops[i].inputs[k], MODEL_OP_PART_INPUT) == 0) src = FLOW_PART_INPUT;
      for (size_t j = 0; j < i && src == -2; j++)
        if (strcmp(ops[j].name, ops[i].inputs[k]) == 0) src = (int)j;
      if (src == -2)
        return heat_error_set(err, HEAT_EINTERNAL, "flow",
                              "operation '%s' reads '%s', not an earlier operation of its part",
                              ops[i].name, ops[i].inputs[k]);
      f->input[f->n_inputs++] = src;
      if (src == FLOW_PART_INPUT) part_input_last = (int)i;
      else out->op[src].last_use = (int)i;
    }
  }
  if (n > 0) out->op[n - 1].last_use = (int)n; /* the part's output: the next part reads it */
  /* Epilogues: an element-wise op right after a GEMM, reading its result (first operand),
   * the GEMM's only consumer, of the same size. */
  for (size_t i = 0; i + 1 < n; i++) {
    const flow_op *g = &out->op[i], *e = &out->op[i + 1];
    if (!flow__gemm(&ops[i]) || !flow__elementwise(&ops[i + 1]) || e->n_inputs < 1 ||
        e->input[0] != (int)i || g->last_use != (int)i + 1 ||
        flow__out_elements(&ops[i]) != flow__out_elements(&ops[i + 1]))
      continue;
    bool once = true;
    for (int k = 1; k < e->n_inputs; k++) once = once && e->input[k] != (int)i;
    if (!once) continue;
    out->op[i].epilogue = (int)i + 1;
    out->op[i + 1].epilogue_of = (int)i;
    out->op[i].out = FLOW_EPILOGUE;
  }
  /* Residency, earliest tensor first: SRAM when it fits beside what is kept at every step of
   * its life. used[t] = bytes kept while op t runs. */
  double used[MODEL_OPS_MAX + 1] = {0};
  if (part_input == FLOW_SRAM)
    for (int t = 0; t <= part_input_last; t++) used[t] += part_input_bytes;
  for (size_t i = 0; i < n; i++) {
    if (out->op[i].epilogue_of >= 0) continue; /* decided with its GEMM */
    int s = flow__stored(out, (int)i);
    flow_op *f = &out->op[s];
    f->out = FLOW_DRAM;
    int last = f->last_use >= (int)n ? (int)n - 1 : f->last_use;
    bool fits = keep && f->last_use >= 0 && (f->last_use < (int)n || output_may_stay) &&
                flow__readable(a, out, ops, s);
    for (int t = (int)i; fits && t <= last; t++) fits = used[t] + f->out_bytes <= out->capacity;
    if (!fits) continue;
    f->out = FLOW_SRAM;
    for (int t = (int)i; t <= last; t++) used[t] += f->out_bytes;
  }
  flow__bytes(out, a, ops);
  return HEAT_OK;
}

/* SIMD cycles per element and per row of an op kind. */
static void flow__simd_rate(const arch_simd *s, model_op_kind kind, double *per_elem,
                            double *per_row) {
  *per_elem = *per_row = 0;
  switch (kind) {
  case MODEL_OP_SOFTMAX: /* max, subtract, exp, sum, divide, scale */
    *per_elem = s->cycles_max + 2.0 * s->cycles_add + s->cycles_exp + s->cycles_div + s->cycles_mul;
    break;
  case MODEL_OP_LAYERNORM: /* mean, centre, square, variance; normalise, scale, shift */
    *per_elem = 4.0 * s->cycles_add + 3.0 * s->cycles_mul;
    *per_row = s->cycles_rsqrt;
    break;
  case MODEL_OP_GELU: /* tanh form: x^3 term, tanh through exp and a divide, 0.5 x (1 + t) */
    *per_elem = 5.0 * s->cycles_mul + 4.0 * s->cycles_add + s->cycles_exp + s->cycles_div;
    break;
  case MODEL_OP_TANH: *per_elem = s->cycles_exp + 2.0 * s->cycles_add + s->cycles_div + s->cycles_mul; break;
  case MODEL_OP_ADD: *per_elem = s->cycles_add; break;
  default: break;
  }
}

static void flow__finish(const arch *a, map_cost *c) {
  c->dram_bytes = c->dram_read_bytes + c->dram_write_bytes;
  c->dram_pj = c->dram_bytes * a->dram.pj_per_byte;
  c->leak_pj = a->leakage_mw * c->cycles / a->clock_ghz;
  double e = c->mac_pj + c->reg_pj + c->simd_pj + c->dram_pj + c->leak_pj;
  for (size_t j = 0; j < a->n_buffers; j++) {
    c->buffer_pj[j] = c->sram_reads[j] * a->buffers[j].read_pj +
                      c->sram_writes[j] * a->buffers[j].write_pj;
    e += c->buffer_pj[j];
  }
  c->energy_j = e * 1e-12;
  c->latency_s = c->cycles / (a->clock_ghz * 1e9);
  c->edp_js = c->energy_j * c->latency_s;
}

void flow_simd_cost(const arch *a, const model_op *op, double dram_read, double dram_write,
                    map_cost *out) {
  memset(out, 0, sizeof *out);
  const arch_simd *s = &a->simd;
  double elems = (double)op->rows * (double)op->width * (double)op->count;
  double rows = (double)op->rows * (double)op->count;
  double per_elem, per_row;
  flow__simd_rate(s, op->kind, &per_elem, &per_row);
  double lanes = s->lanes > 0 ? s->lanes : 1;
  double simd_cycles = ceil(elems * per_elem / lanes) + ceil(rows * per_row / lanes);
  out->simd_pj = (elems * per_elem + rows * per_row) * s->op_pj;
  int b = flow_act_buffer(a);
  const arch_buffer *buf = &a->buffers[b];
  double eb = a->input_bits / 8.0;
  double out_bytes = flow__out_elements(op) * eb;
  /* The SIMD unit reads its operands from the buffer (an add its count + 1 operands) and
   * writes its result there; DRAM fills write the buffer and drains read it. An embedding's
   * rows are gathered by DMA into the buffer; an add of a learned table (ViT's position
   * embedding) gathers the table's rows too. */
  double reads, writes, gather = 0;
  if (op->kind == MODEL_OP_EMBEDDING) {
    gather = out_bytes;
    reads = dram_write;
    writes = gather;
  } else {
    if (op->kind == MODEL_OP_ADD && op->params > 0) gather = out_bytes;
    reads = (op->kind == MODEL_OP_ADD ? elems * eb + out_bytes : elems * eb) + dram_write;
    writes = out_bytes + dram_read + gather;
  }
  out->dram_read_bytes = dram_read + gather;
  out->dram_write_bytes = dram_write;
  out->sram_reads[b] = reads / (double)buf->access_bytes;
  out->sram_writes[b] = writes / (double)buf->access_bytes;
  out->sram_cycles = (reads + writes) / buf->bytes_per_cycle;
  out->dram_cycles = (out->dram_read_bytes + out->dram_write_bytes) / (a->dram.gbps / a->clock_ghz);
  out->simd_cycles = simd_cycles;
  out->cycles = simd_cycles;
  if (out->dram_cycles > out->cycles) out->cycles = out->dram_cycles;
  if (out->sram_cycles > out->cycles) out->cycles = out->sram_cycles;
  out->bound_buffer = b;
  out->cycles = map_cycles_round(out->cycles);
  map_cost_bound(out, true);
  flow__finish(a, out);
}

/* Per-element SIMD cycles of requantizing an accumulator-precision result to the input
 * precision (shift, round, saturate: one mul-class op per element, MAPPING.md "Epilogues"). */
static double flow__requant_rate(const arch *a) {
  return a->accum_bits > a->input_bits ? a->simd.cycles_mul : 0;
}

/* Per-element SIMD cycles of op i's epilogue and whether it has one. */
static double flow__epilogue_rate(const arch *a, const model_op *ops, const flow_plan *p,
                                  size_t i) {
  const arch_simd *s = &a->simd;
  double r = flow__requant_rate(a);
  if (ops[i].kind == MODEL_OP_LINEAR && ops[i].bias) r += s->cycles_add;
  int e = p->op[i].epilogue;
  if (e >= 0) {
    double pe, pr;
    flow__simd_rate(s, ops[e].kind, &pe, &pr);
    r += ops[e].kind == MODEL_OP_ADD ? pe * (double)ops[e].count : pe;
  }
  return r;
}

static double flow__per_lane(const arch *a, double rate) {
  if (a->array.output_stage) return 0;
  double lanes = a->simd.lanes > 0 ? a->simd.lanes : 1;
  return rate / lanes;
}

double flow_epilogue_cycles(const arch *a, const model_op *ops, const flow_plan *p, size_t i) {
  return flow__per_lane(a, flow__epilogue_rate(a, ops, p, i));
}

double flow_requant_cycles(const arch *a) { return flow__per_lane(a, flow__requant_rate(a)); }

void flow_epilogue_name(const arch *a, const model_op *ops, const flow_plan *p, size_t i,
                        char *buf, size_t n) {
  buf[0] = '\0';
  size_t len = 0;
  const char *parts[3] = {a->accum_bits > a->input_bits ? "requant" : NULL,
                          ops[i].kind == MODEL_OP_LINEAR && ops[i].bias ? "bias" : NULL,
                          p->op[i].epilogue >= 0 ? ops[p->op[i].epilogue].name : NULL};
  for (int k = 0; k < 3; k++)
    if (parts[k] && len < n) len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "+" : "", parts[k]);
}

/* An output epilogue of `rate` SIMD cycles per element in buffer b, with the folded op e of
 * plan p (-1: none; its other operands are read from SRAM or DRAM per the plan). */
static void flow__epilogue_add(const arch *a, int b, double rate, const model_op *ops,
                               const flow_plan *p, int e, double elements, double runs,
                               bool memory_stalls, map_cost *c) {
  if (rate == 0 && e < 0) return;
  const arch_buffer *buf = &a->buffers[b];
  double eb = a->input_bits / 8.0;
  double lanes = a->simd.lanes > 0 ? a->simd.lanes : 1;
  c->simd_pj += elements * rate * a->simd.op_pj;
  double epi = 0, tail = 0, head = 0;
  if (!a->array.output_stage) {
    /* A SIMD pass over each output tile: read the partial sums, write the final values. */
    epi = ceil(elements * rate / lanes);
    /* A unit's epilogue follows its fold (a unit: a tile, or the tiles one stationary fold
     * streams across): the last unit's share is exposed once per op, and when the epilogue is
     * the longer stage, the first unit's fold before it. Runs of a token-tiled chain overlap
     * the previous run's epilogue. */
    double units = c->fold_units >= 1 ? c->fold_units : (c->tiles > 1 ? (double)c->tiles : 1);
    double r = runs > 1 ? runs : 1;
    tail = ceil((units > 1 ? ceil(epi / units) : epi) / r);
    head = c->cycles / units / r;
    c->sram_reads[b] += elements * (a->accum_bits / 8.0) / (double)buf->access_bytes;
    c->sram_writes[b] += elements * eb / (double)buf->access_bytes;
  }
  /* Other operands of the folded op (a residual): from the buffer, or from DRAM. */
  for (int k = 1; e >= 0 && k < p->op[e].n_inputs; k++) {
    double bytes = elements * eb;
    if (flow_input_place(p, ops, (size_t)e, k) == FLOW_DRAM) {
      c->dram_read_bytes += bytes;
      c->dram_cycles += bytes / (a->dram.gbps / a->clock_ghz);
      c->sram_writes[b] += bytes / (double)buf->access_bytes;
    }
    c->sram_reads[b] += bytes / (double)buf->access_bytes;
  }
  double port = (c->sram_reads[b] + c->sram_writes[b]) * (double)buf->access_bytes /
                buf->bytes_per_cycle;
  if (port > c->sram_cycles) {
    c->sram_cycles = port;
    c->bound_buffer = b;
  }
  c->simd_cycles += epi;
  /* The epilogue runs beside the tiles; only the last tile's share follows the GEMM. A step
   * mapped on the SIMD unit shares that unit with its epilogue (simd_cycles holds both). */
  double cycles = c->cycles + tail;
  if (c->simd_cycles + head > cycles) cycles = c->simd_cycles + head;
  /* Timed with the tiles already (the mapping was chosen knowing it): the stage of the tile
   * pipeline it is, and the last unit's share. */
  if (c->epilogue_timed) cycles = c->cycles;
  if (memory_stalls && c->dram_cycles > cycles) cycles = c->dram_cycles;
  if (memory_stalls && c->sram_cycles > cycles) cycles = c->sram_cycles;
  cycles = map_cycles_round(cycles);
  if (cycles > 0) c->utilization *= c->cycles / cycles;
  c->cycles = cycles;
  map_cost_bound(c, memory_stalls);
  flow__finish(a, c);
}

void flow_epilogue(const arch *a, const model_op *ops, const flow_plan *p, size_t i,
                   double elements, double runs, bool memory_stalls, map_cost *c) {
  flow__epilogue_add(a, p->buffer, flow__epilogue_rate(a, ops, p, i), ops, p, p->op[i].epilogue,
                     elements, runs, memory_stalls, c);
}

bool flow_requant(const arch *a, double elements, double runs, bool memory_stalls, map_cost *c) {
  double rate = flow__requant_rate(a);
  flow__epilogue_add(a, flow_act_buffer(a), rate, NULL, NULL, -1, elements, runs, memory_stalls,
                     c);
  return rate > 0;
}

const char *flow_place_name(flow_place f) {
  return f == FLOW_SRAM ? "sram" : f == FLOW_EPILOGUE ? "epilogue" : "dram";
}
