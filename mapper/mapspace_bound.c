#include "mapper/mapspace_internal.h"

#include <math.h>
#include <string.h>

/* ---- lower bounds (map_step_bound and the per-tiling pruning of the search) ---- */

/* Slack for float error: the bounds are summed in another order than the cost model's. */
#define MAP_BOUND_SLACK (1 - 1e-9)

void map__bound_base_of(const arch *a, const map_problem *p, const map_options *opt,
                        map__bound_base *b) {
  memset(b, 0, sizeof *b);
  b->elems[MAP_OP_INPUT] = (double)p->dim[MAP_DIM_B] * p->dim[MAP_DIM_M] * p->dim[MAP_DIM_K];
  b->elems[MAP_OP_WEIGHT] = (double)p->dim[MAP_DIM_B] * p->dim[MAP_DIM_K] * p->dim[MAP_DIM_N];
  b->elems[MAP_OP_OUTPUT] = (double)p->dim[MAP_DIM_B] * p->dim[MAP_DIM_M] * p->dim[MAP_DIM_N];
  b->macs = (double)p->dim[0] * p->dim[1] * p->dim[2] * p->dim[3];
  b->ebytes[MAP_OP_INPUT] = a->input_bits / 8.0;
  b->ebytes[MAP_OP_WEIGHT] = a->weight_bits / 8.0;
  b->ebytes[MAP_OP_OUTPUT] = a->accum_bits / 8.0;
  for (int op = 0; op < MAP_OPS; op++) {
    bool any = false;
    for (size_t j = 0; j < a->n_buffers && j < ARCH_MAX_BUFFERS; j++) {
      const arch_buffer *buf = &a->buffers[j];
      if (!(buf->operands & (1u << op)) || (p->buffers[op] && !(p->buffers[op] & (1u << j))))
        continue;
      double r = buf->read_pj / (double)buf->access_bytes;
      double w = buf->write_pj / (double)buf->access_bytes;
      if (!any || r < b->rd_pj[op]) b->rd_pj[op] = r;
      if (!any || w < b->wr_pj[op]) b->wr_pj[op] = w;
      any = true;
    }
  }
  b->bpc = a->dram.gbps / a->clock_ghz;
  b->stalls = opt->memory_stalls;
  if (b->stalls) b->latency = a->dram.latency_ns * a->clock_ghz;
  /* The first fold waits for the latency only behind a load (tile.c). */
  b->first_latency = p->on_chip[MAP_OP_INPUT] && p->on_chip[MAP_OP_WEIGHT] ? 0 : b->latency;
  b->serial = b->stalls;
  for (int op = 0; op < MAP_OPS; op++)
    for (size_t j = 0; j < a->n_buffers && j < ARCH_MAX_BUFFERS && !p->on_chip[op]; j++)
      if ((a->buffers[j].operands & (1u << op)) &&
          (!p->buffers[op] || (p->buffers[op] & (1u << j))) && a->buffers[j].double_buffered)
        b->serial = false;
}

/* Each operand off chip crosses DRAM at least once: inputs and weights are read into a buffer,
 * the finished output (activation width) is written out of one. */
static void map__dram_compulsory(const arch *a, const map_problem *p, const map__bound_base *b,
                                 map__dram *d) {
  d->in[MAP_OP_INPUT] = p->on_chip[MAP_OP_INPUT] ? 0 : b->elems[MAP_OP_INPUT] * (a->input_bits / 8.0);
  d->in[MAP_OP_WEIGHT] =
      p->on_chip[MAP_OP_WEIGHT] ? 0 : b->elems[MAP_OP_WEIGHT] * (a->weight_bits / 8.0);
  d->in[MAP_OP_OUTPUT] = 0;
  d->out = p->on_chip[MAP_OP_OUTPUT] ? 0 : b->elems[MAP_OP_OUTPUT] * (a->input_bits / 8.0);
  d->edge = 0;
  d->lp_once = 0;
  d->epi = 0;
}

void map__loops_of(const int64_t *tiles, const int *order, map__loops *l) {
  int seq[MAP_DIMS] = {MAP_DIM_B, order[0], order[1], order[2]};
  l->n = 0;
  for (int i = 0; i < MAP_DIMS; i++)
    if (tiles[seq[i]] > 1) {
      l->dim[l->n] = seq[i];
      l->cnt[l->n++] = (double)tiles[seq[i]];
    }
}

/* DRAM traffic of one tiling and loop order, as the cost model counts it (tile.c,
 * map__memory_eval): an operand's tile is fetched again each time a loop outside its innermost
 * relevant loop advances; an operand moves `events` times (the iterations of the loops out to
 * its innermost one), its first move carrying 1/events of its bytes (the model's per-move
 * share, before burst rounding). Sets *stream_innermost when the innermost iterating loop is
 * `sd`. */
void map__dram_of_order(const arch *a, const map_problem *p, const map__bound_base *b,
                        const map__loops *l, int sd, map__dram *d,
                        bool *stream_innermost) {
  int n = l->n;
  const int *nd = l->dim;
  const double *cnt = l->cnt;
  *stream_innermost = n > 0 && nd[n - 1] == sd;
  map__dram_compulsory(a, p, b, d);
  for (int op = 0; op < MAP_OPS; op++) {
    int pos = -1;
    for (int i = 0; i < n; i++)
      if (map_op_dims[op] & (1u << nd[i])) pos = i;
    double refetch = 1, events = 1;
    for (int i = 0; i <= pos; i++) {
      events *= cnt[i];
      if (!(map_op_dims[op] & (1u << nd[i]))) refetch *= cnt[i];
    }
    if (op == MAP_OP_OUTPUT) {
      if (!p->on_chip[op]) {
        double part = b->elems[op] * (refetch - 1) * b->ebytes[MAP_OP_OUTPUT];
        d->in[op] = part;
        d->out += part;
        d->edge += d->out / events; /* the last tile's store */
        d->lp_once = part / events;
      }
    } else {
      d->in[op] *= refetch;
      d->edge += d->in[op] / events; /* the first tile's load */
    }
  }
}

/* Bound of a schedule: the array side (cycles, the last fold's fill/drain `fd`, the cycles of one
 * fold unit `unit` (0: unknown), register events, the array's SRAM reads and writes in elements)
 * and its DRAM traffic; cycles rounded as the model does. The tile pipeline (tile_period.c,
 * map__class_period) runs the first tile's loads, then every further tile in a period at least as
 * long as one unit's compute and as that tile's transfers, then the last store and drain: so cycles
 * >= latency + edge transfers + compute + fd, and >= latency + one unit + every transfer
 * (partial-sum loads: all but the first output tile's) + fd; with single-buffered buffers a period
 * also waits for the fold before (compute + its transfers). */
static void map__bound_of(const arch *a, const map__bound_base *b, double array_cycles,
                          double fd, double unit, double reg, double in_reads, double w_reads,
                          double out_writes, double out_reads, const map__dram *d, double pipe,
                          double *cycles, double *pj) {
  double dram = d->in[0] + d->in[1] + d->in[2] + d->out;
  double busy = array_cycles + fd;
  if (b->stalls) {
    double moved = (dram - d->lp_once) / b->bpc;
    if (b->serial) {
      if (array_cycles + fd + moved > busy) busy = array_cycles + fd + moved;
    } else {
      if (array_cycles + fd + d->edge / b->bpc > busy) busy = array_cycles + fd + d->edge / b->bpc;
      if (unit + fd + moved > busy) busy = unit + fd + moved;
    }
  }
  /* The last unit's output epilogue runs after its fold, before its store (tile.c). */
  if (b->stalls) busy += d->epi;
  double total = b->first_latency + busy;
  if (b->stalls && pipe > total) total = pipe;
  *cycles = map__cycles_round(total * MAP_BOUND_SLACK);
  double e = b->macs * a->mac_pj + reg * a->reg_pj + dram * a->dram.pj_per_byte +
             in_reads * b->ebytes[MAP_OP_INPUT] * b->rd_pj[MAP_OP_INPUT] +
             w_reads * b->ebytes[MAP_OP_WEIGHT] * b->rd_pj[MAP_OP_WEIGHT] +
             out_writes * b->ebytes[MAP_OP_OUTPUT] * b->wr_pj[MAP_OP_OUTPUT] +
             out_reads * b->ebytes[MAP_OP_OUTPUT] * b->rd_pj[MAP_OP_OUTPUT];
  for (int op = 0; op < MAP_OPS; op++) e += d->in[op] * b->wr_pj[op];
  e += d->out * b->rd_pj[MAP_OP_OUTPUT];
  *pj = (e + a->leakage_mw * *cycles / a->clock_ghz) * MAP_BOUND_SLACK;
}

static void map__bound_cost(const arch *a, double cycles, double pj, map__lb *out) {
  out->cycles = cycles;
  out->latency_s = cycles / (a->clock_ghz * 1e9);
  out->energy_j = pj * 1e-12;
  out->edp_js = out->energy_j * out->latency_s;
}

/* Least of a / x + b / y over x * y <= prod, 1 <= x <= xmax, 1 <= y <= ymax (a, b >= 0): on
 * the curve x * y = prod when the box reaches past it, where a y / prod + b / y is convex. */
static double map__least_inverse_sum(double a, double b, double prod, double xmax, double ymax) {
  if (xmax < 1) xmax = 1;
  if (ymax < 1) ymax = 1;
  if (xmax * ymax <= prod) return a / xmax + b / ymax;
  if (prod < 1) prod = 1;
  double lo = prod / xmax > 1 ? prod / xmax : 1, hi = ymax < prod ? ymax : prod;
  double y = a > 0 ? sqrt(b * prod / a) : hi;
  if (y < lo) y = lo;
  if (y > hi) y = hi;
  return a * y / prod + b / y;
}

/* DRAM bytes every mapping moves beyond the compulsory ones, because no buffer holds a whole
 * operand (tile.c's map__memory_eval, as map__dram_of_order counts it). The loops that iterate
 * nest B outermost (it refetches nothing: every operand has B); of m, n and k, the innermost
 * iterating one, x, decides: the operand without x (stationary) is fetched once, each of the
 * other two again per iteration of the loop it lacks (those loops are outside x), whatever the
 * order of the outer two: innermost k: input * cn + weight * cm; n: weight * cm + partial sums
 * (read and written) * ck; m: input * cn + partial sums * ck. A loop of count c has tiles of at
 * least dim / c, and each operand's tile fits a buffer that may hold it (tile footprints at
 * map__footprint's widths, B tile 1; buffers shared by operands counted whole: only looser).
 * The least of a / t1 + b / t2 over those tiles (map__least_inverse_sum) for each x, the least
 * over x. An operand kept on chip moves nothing and constrains nothing here. */
static double map__dram_refetch_bound(const arch *a, const map_problem *p,
                                      const map__bound_base *b) {
  double cap[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    cap[op] = 0;
    for (size_t j = 0; j < a->n_buffers && j < ARCH_MAX_BUFFERS; j++)
      if ((a->buffers[j].operands & (1u << op)) &&
          (!p->buffers[op] || (p->buffers[op] & (1u << j))) &&
          map__usable(&a->buffers[j]) > cap[op])
        cap[op] = map__usable(&a->buffers[j]);
    if (p->on_chip[op] || cap[op] <= 0) cap[op] = INFINITY;
  }
  double M = (double)p->dim[MAP_DIM_M], K = (double)p->dim[MAP_DIM_K],
         N = (double)p->dim[MAP_DIM_N];
  /* Elements of each operand's tile a buffer holds at most (per unit of the third extent). */
  double in_e = cap[MAP_OP_INPUT] / b->ebytes[MAP_OP_INPUT];
  double w_e = cap[MAP_OP_WEIGHT] / b->ebytes[MAP_OP_WEIGHT];
  double out_e = cap[MAP_OP_OUTPUT] / b->ebytes[MAP_OP_OUTPUT];
  /* Bytes moved per refetch of the whole operand (0 on chip); partial sums read and written. */
  double in_b = p->on_chip[MAP_OP_INPUT] ? 0 : b->elems[MAP_OP_INPUT] * b->ebytes[MAP_OP_INPUT];
  double w_b = p->on_chip[MAP_OP_WEIGHT] ? 0 : b->elems[MAP_OP_WEIGHT] * b->ebytes[MAP_OP_WEIGHT];
  double ps_b =
      p->on_chip[MAP_OP_OUTPUT] ? 0 : 2 * b->elems[MAP_OP_OUTPUT] * b->ebytes[MAP_OP_OUTPUT];
  /* x = k: tn, tm with tm * tn <= out_e, tm <= M and in_e (tk >= 1), tn <= N and w_e. */
  double xk = map__least_inverse_sum(w_b * M, in_b * N, out_e, fmin(M, in_e), fmin(N, w_e)) -
              w_b - in_b;
  /* x = n: tm, tk with tm * tk <= in_e, tm <= M and out_e, tk <= K and w_e. */
  double xn = map__least_inverse_sum(w_b * M, ps_b * K, in_e, fmin(M, out_e), fmin(K, w_e)) -
              w_b - ps_b;
  /* x = m: tn, tk with tk * tn <= w_e, tn <= N and out_e, tk <= K and in_e. */
  double xm = map__least_inverse_sum(in_b * N, ps_b * K, w_e, fmin(N, out_e), fmin(K, in_e)) -
              in_b - ps_b;
  double least = fmin(xk, fmin(xn, xm));
  return least > 0 && isfinite(least) ? least * MAP_BOUND_SLACK : 0;
}

/* The array side of the step bound under dataflow df: what every array mapping with df pays
 * at least (tile_compute.c's map__array_eval sums fold.c's fold_eval over the tiles).
 * - MACs a cycle: a fold of t streamed steps (t <= T, the dataflow's temporal extent) does
 *   g * sr * sc * t MACs, sr <= r = min(rows, spatial row extent), sc <= c likewise, g the
 *   batch elements packed in it (g * sr <= rows, g * sc <= cols, g <= B; fold_batch_pack), in
 *   a pace of at least max(t, R) cycles on a systolic array (max(t, L) on a vector array's WS
 *   and IS, t on its OS): at most min(rows * c, cols * r, B * r * c) * min(1, T / R) a cycle.
 *   A GEMM smaller than the array (a thin factor of a decomposed layer) leaves PEs idle, and
 *   a short temporal extent leaves part of each fold's pace idle; MACs / peak ignored both.
 * - The fill and drain beyond the t cycles per fold that no mapping avoids: with overlapped
 *   folds the last fold's fold_cycles - pace (the tile pipeline's drain, tile.c), with
 *   SCALE-Sim's timing every fold's fold_cycles - t; t >= 1, so systolic OS t + R + C - 2 -
 *   max(t, R) >= C - 1, WS and IS 2R + C + t - 2 - max(t, R) >= R + C - 1; a vector array's
 *   OS t + depth - t = depth, WS and IS L + t + depth - max(t, L) >= depth + 1.
 * - One fold's pace (R, or L, or 1): every mapping has a fold, every fold unit at least one.
 * - SRAM traffic: the untiled GEMM's fold_eval reads and writes, unpacked and without OS's
 *   padding slots: tiles only add folds (the sum over tiles of ceil(extent_i / R) is at least
 *   ceil(extent / R)), and an operand is read once per fold along the other spatial axis.
 *   Partial sums read back are left out (across K tiles they are counted elsewhere).
 * - Register events: 3 per MAC, and each stationary element loaded at least once. */
typedef struct map__df_bound {
  double rate, fill_drain, pace;
  double input_reads, weight_reads, output_writes, reg;
} map__df_bound;

static void map__df_bound_of(const arch *a, const map_problem *p, arch_dataflow df,
                             fold_timing timing, map__df_bound *out) {
  bool vector = a->array.kind == ARCH_ARRAY_VECTOR;
  int64_t R = vector ? a->array.width : a->array.rows;
  int64_t C = vector ? a->array.lanes : a->array.cols;
  const int64_t *d = p->dim;
  fold_stats fs;
  fold_eval(&a->array, df, FOLD_TIMING_OVERLAP, d[MAP_DIM_B], d[MAP_DIM_M], d[MAP_DIM_K],
            d[MAP_DIM_N], &fs);
  double r = (double)(fs.sr < R ? fs.sr : R), c = (double)(fs.sc < C ? fs.sc : C);
  double rate = (double)R * c;
  if ((double)C * r < rate) rate = (double)C * r;
  if ((double)d[MAP_DIM_B] * r * c < rate) rate = (double)d[MAP_DIM_B] * r * c;
  double peak = (double)arch_peak_macs_per_cycle(a);
  if (rate > peak || !(rate > 0)) rate = peak;
  int64_t least_pace = !vector ? R : df == ARCH_DATAFLOW_OS ? 1 : C;
  if (timing == FOLD_TIMING_SCALESIM) {
    /* Every fold pays its fill and drain: fold_cycles = t + F (F: systolic OS R + C - 2, WS
     * and IS 2R + C - 2; vector OS depth, WS and IS L + depth), and there are at least
     * MACs / (rate * T) folds. */
    int64_t depth = vector ? fold_vector_depth(a->array.width) : 0;
    int64_t F = vector ? (df == ARCH_DATAFLOW_OS ? depth : C + depth)
                       : (df == ARCH_DATAFLOW_OS ? R + C - 2 : 2 * R + C - 2);
    out->rate = rate / (1 + (double)F / (double)fs.t);
    out->fill_drain = 0;
  } else {
    if (fs.t < least_pace) rate *= (double)fs.t / (double)least_pace;
    out->rate = rate;
    if (vector)
      out->fill_drain =
          (double)fold_vector_depth(a->array.width) + (df == ARCH_DATAFLOW_OS ? 0 : 1);
    else
      out->fill_drain = df == ARCH_DATAFLOW_OS ? (double)(C - 1) : (double)(R + C - 1);
  }
  out->pace = (double)least_pace;
  double stationary = df == ARCH_DATAFLOW_OS   ? 0
                      : df == ARCH_DATAFLOW_WS ? (double)d[MAP_DIM_K] * (double)d[MAP_DIM_N]
                                               : (double)d[MAP_DIM_K] * (double)d[MAP_DIM_M];
  double outputs = (double)d[MAP_DIM_B] * (double)d[MAP_DIM_M] * (double)d[MAP_DIM_N];
  out->input_reads = (double)fs.input_reads;
  out->weight_reads = (double)fs.weight_reads;
  out->output_writes = df == ARCH_DATAFLOW_OS ? outputs : outputs * (double)fs.row_folds;
  out->reg = 3 * (double)fs.macs + (double)d[MAP_DIM_B] * stationary;
}

void map_step_bound(const arch *arch_in, const map_problem *p, const map_options *opt,
                    map_cost *out) {
  /* The arch as described unless the options override the array (no copy per call: the
   * path DPs ask for many bounds). */
  arch eff;
  const arch *a = arch_in;
  if (opt->array_rows_override || opt->array_cols_override) {
    map_effective_arch(arch_in, opt, &eff);
    a = &eff;
  }
  map__bound_base b;
  map__bound_base_of(a, p, opt, &b);
  map__dram d;
  map__dram_compulsory(a, p, &b, &d);
  /* The refetches no buffer avoids, at the least SRAM cost a DRAM byte has (written into an
   * operand's buffer, or a partial sum read out of the output's). */
  double refetch = map__dram_refetch_bound(a, p, &b);
  int cheapest = MAP_OP_INPUT;
  for (int op = 1; op < MAP_OPS; op++)
    if (b.wr_pj[op] < b.wr_pj[cheapest]) cheapest = op;
  if (b.rd_pj[MAP_OP_OUTPUT] < b.wr_pj[cheapest]) d.out += refetch;
  else d.in[cheapest] += refetch;
  memset(out, 0, sizeof *out);
  /* Each mapping runs one dataflow or the SIMD unit: the least over them of what a mapping of
   * each pays. A fold unit lasts at least a pace (plus the fill and drain with SCALE-Sim's
   * timing, which map__bound_of adds to it). */
  double cycles = -1, pj = -1;
  for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++) {
    if (!fold_dataflow_supported(&a->array, (arch_dataflow)df)) continue;
    if (opt->dataflows && !(opt->dataflows & (1u << df))) continue; /* as map__array_configs */
    map__df_bound f;
    map__df_bound_of(a, p, (arch_dataflow)df, opt->timing, &f);
    double c1, pj1, array = b.macs / f.rate;
    map__bound_of(a, &b, array > f.pace ? array : f.pace, f.fill_drain, f.pace, f.reg,
                  f.input_reads, f.weight_reads, f.output_writes, 0, &d, 0, &c1, &pj1);
    if (cycles < 0 || c1 < cycles) cycles = c1;
    if (pj < 0 || pj1 < pj) pj = pj1;
  }
  if (cycles < 0) cycles = pj = 0;
  /* The SIMD unit only where the search tries it (map__simd_bound's conditions). */
  if (a->simd.lanes > 0 && !opt->array_only && opt->memory_stalls && !opt->dataflows) {
    /* On the SIMD unit (fold_simd_eval) each MAC is a multiply of cycles_mul lane-cycles at
     * op_pj per lane-cycle, instead of a PE's MAC and register events. */
    double lane = b.macs * a->simd.cycles_mul, c2, pj2;
    map__bound_of(a, &b, lane / a->simd.lanes, 0, 0, 0, b.elems[MAP_OP_INPUT],
                  b.elems[MAP_OP_WEIGHT], b.elems[MAP_OP_OUTPUT], 0, &d, 0, &c2, &pj2);
    pj2 += (lane * a->simd.op_pj - b.macs * a->mac_pj) * MAP_BOUND_SLACK;
    if (c2 < cycles) cycles = c2;
    if (pj2 < pj) pj = pj2;
  }
  map__lb lb;
  map__bound_cost(a, cycles, pj, &lb);
  out->cycles = lb.cycles;
  out->latency_s = lb.latency_s;
  out->energy_j = lb.energy_j;
  out->edp_js = lb.edp_js;
  out->macs = (int64_t)b.macs;
  out->dram_bytes = d.in[0] + d.in[1] + d.out;
}

/* The bound of one schedule of a tiling. On the SIMD unit (map__simd_compute_eval) the array
 * side holds the SIMD cycles and `reg` its busy lane-cycles, priced at op_pj each instead of a
 * PE's MAC and register events (tile.c, map__memory_eval); the cycles are bounded alike. */
void map__array_bound(const arch *a, const map__bound_base *b, bool simd,
                      const map__array *ar, double tiles, const map__dram *d,
                      double pipe, map__lb *out) {
  double cycles, pj;
  /* A fold unit is one tile or a group of tiles: at least array_cycles / tiles. */
  map__bound_of(a, b, ar->array_cycles, ar->fill_drain, ar->array_cycles / tiles,
                simd ? 0 : ar->reg, ar->input_reads, ar->weight_reads, ar->output_writes,
                ar->output_reads, d, pipe, &cycles, &pj);
  if (simd) pj += (ar->reg * a->simd.op_pj - b->macs * a->mac_pj) * MAP_BOUND_SLACK;
  map__bound_cost(a, cycles, pj, out);
}

/* The bound of a tiling: either schedule (map__compute) may be the one an order picks. */
void map__tiling_bound(const arch *a, const map_problem *p, const map__bound_base *b,
                       bool simd, const map__compute *c, double epi, map__lb *out) {
  map__dram d;
  map__dram_compulsory(a, p, b, &d);
  d.epi = epi;
  map__lb x, y;
  map__array_bound(a, b, simd, &c->tiled, (double)c->tiles, &d, 0, &x);
  /* Unless merged, the streamed schedule is a copy of the tiled one: the same bound. */
  if (c->merged) map__array_bound(a, b, simd, &c->streamed, (double)c->tiles, &d, 0, &y);
  else y = x;
  map__bound_cost(a, x.cycles < y.cycles ? x.cycles : y.cycles,
                  (x.energy_j < y.energy_j ? x.energy_j : y.energy_j) * 1e12, out);
}
