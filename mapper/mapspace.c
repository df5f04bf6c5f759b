#include "mapper/mapspace.h"

#include "mapper/mapspace_assign.h"
#include "mapper/mapspace_units.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

map_workspace *map_workspace_alloc(void) { return calloc(1, sizeof(map_workspace)); }

void map_workspace_free(map_workspace *w) {
  if (!w) return;
  map_workspace_memo(w, false);
  free(w->pending);
  free(w->pending_keys);
  free(w);
}

static int map__insert_sorted(int64_t *v, int n, int cap, int64_t x) {
  int i = 0;
  while (i < n && v[i] < x) i++;
  if (i < n && v[i] == x) return n;
  if (n == cap) return n;
  memmove(v + i + 1, v + i, (size_t)(n - i) * sizeof *v);
  v[i] = x;
  return n + 1;
}

int map_tile_candidates(int64_t dim, int64_t unit, int64_t *out, int cap) {
  int n = 0;
  if (dim <= unit) return map__insert_sorted(out, n, cap, dim);
  for (int64_t t = unit; t < dim; t *= 2) n = map__insert_sorted(out, n, cap, t);
  /* Even splits waste less on the remainder tile than the power-of-two ladder. */
  for (int64_t parts = 2; parts <= dim / unit; parts *= 2) {
    int64_t t = (dim + parts - 1) / parts;
    t = (t + unit - 1) / unit * unit;
    if (t < dim) n = map__insert_sorted(out, n, cap, t);
  }
  return map__insert_sorted(out, n, cap, dim);
}

static const int map__orders[6][3] = {
    {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {MAP_DIM_N, MAP_DIM_M, MAP_DIM_K},
    {MAP_DIM_M, MAP_DIM_K, MAP_DIM_N}, {MAP_DIM_K, MAP_DIM_M, MAP_DIM_N},
    {MAP_DIM_N, MAP_DIM_K, MAP_DIM_M}, {MAP_DIM_K, MAP_DIM_N, MAP_DIM_M},
};

/* Orders whose iterating loops come in the same sequence price the same: keep the first. Which
 * orders those are depends only on which of M, K and N iterate (bit d of `iterating`). */
static int map__distinct_orders(unsigned iterating, int *keep) {
  int seqs[6][3], lens[6], n = 0;
  for (int o = 0; o < 6; o++) {
    int len = 0;
    for (int i = 0; i < 3; i++) {
      int d = map__orders[o][i];
      if (iterating & (1u << d)) seqs[o][len++] = d;
    }
    lens[o] = len;
    bool dup = false;
    for (int e = 0; e < n && !dup; e++) {
      int q = keep[e];
      dup = lens[q] == len;
      for (int i = 0; i < len && dup; i++) dup = seqs[q][i] == seqs[o][i];
    }
    if (!dup) keep[n++] = o;
  }
  return n;
}

static int map__no_fit_error(const arch *a, const map_problem *p, const map_options *opt,
                             const map__assign *as, heat_error *err) {
  /* Report the assignment whose worst buffer overflows least, for the first dataflow. */
  int64_t tile[MAP_DIMS] = {1, 1, 1, 1};
  map__config cfg[MAP_MAX_CONFIGS];
  if (map__array_configs(a, p, opt, cfg) > 0) {
    int64_t tmp[MAP_MAX_CANDIDATES];
    for (int d = 0; d < MAP_DIMS; d++) {
      map_tile_candidates(p->dim[d], cfg[0].extent[d], tmp, MAP_MAX_CANDIDATES);
      tile[d] = tmp[0];
    }
  }
  double fp[MAP_OPS];
  map__footprint(a, p, tile, fp);
  double best_ratio = 0;
  int best_buf = 0;
  double best_need = 0;
  for (int i = 0; i < as->n; i++) {
    double need[ARCH_MAX_BUFFERS] = {0}, worst = 0;
    int wb = 0;
    for (int op = 0; op < MAP_OPS; op++) need[as->buf[i][op]] += fp[op];
    for (size_t j = 0; j < a->n_buffers; j++) {
      double r = need[j] / map__usable(&a->buffers[j]);
      if (r > worst) {
        worst = r;
        wb = (int)j;
      }
    }
    if (i == 0 || worst < best_ratio) {
      best_ratio = worst;
      best_buf = wb;
      best_need = need[wb];
    }
  }
  const arch_buffer *b = &a->buffers[best_buf];
  return heat_error_set(
      err, HEAT_ENOFIT, b->name,
      "buffer '%s' of arch '%s' cannot hold the smallest tile of this step: it needs %.0f bytes "
      "(tile B x M x K x N = %lld x %lld x %lld x %lld: input %.0f, weight %.0f, output %.0f at "
      "%d-bit partial sums), the buffer has %.0f usable%s",
      b->name, a->name, best_need, (long long)tile[0], (long long)tile[1], (long long)tile[2],
      (long long)tile[3], fp[0], fp[1], fp[2], a->accum_bits, map__usable(b),
      b->double_buffered ? " (half of its size: double-buffered)" : "");
}

/* ---- lower bounds (map_step_bound and the per-tiling pruning of the search) ---- */

/* map_objective_value, inlined for the search's inner loops. */
static inline double map__value(int obj, const map_cost *c) {
  return obj == MAP_OBJECTIVE_LATENCY ? c->cycles
         : obj == MAP_OBJECTIVE_ENERGY ? c->energy_j
                                       : c->edp_js;
}

/* Per-step constants of the bounds; `a` has the overrides applied. */
typedef struct map__bound_base {
  double macs;
  double elems[MAP_OPS];  /* of each operand's whole tensor */
  double rd_pj[MAP_OPS];  /* cheapest pJ per byte read from a buffer the operand may use */
  double wr_pj[MAP_OPS];  /* ... and written */
  double ebytes[MAP_OPS]; /* bytes per element as the array moves it (output: partial sums) */
  bool stalls;            /* memory stalls priced: cycles cover DRAM latency and transfers */
  double latency;         /* DRAM latency, cycles, when they are */
  double bpc;             /* DRAM bytes per cycle */
  /* Stalls priced and every buffer an off-chip operand may use single-buffered: each tile's
   * transfers wait for the fold before (MAPPING.md, the tile pipeline), so compute and DRAM
   * add up instead of overlapping. */
  bool serial;
} map__bound_base;

/* DRAM traffic of a schedule: bytes brought into each operand's buffer (the output's are
 * partial sums read back) and bytes written out from the output's; `edge`, DRAM bytes of the
 * first tile's loads and the last tile's store (which no fold overlaps), 0 when unknown. */
typedef struct map__dram {
  double in[MAP_OPS], out;
  double edge;
  double lp_once; /* one move's partial-sum load: the first output tile has none */
  double epi;     /* the last unit's output epilogue (memory stalls priced; 0: unknown) */
} map__dram;

/* Slack for float error: the bounds are summed in another order than the cost model's. */
#define MAP_BOUND_SLACK (1 - 1e-9)

static void map__bound_base_of(const arch *a, const map_problem *p, const map_options *opt,
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

/* The loops of one tiling and order that iterate (more than one tile), outermost first: the B
 * loop, then the order's. */
typedef struct map__loops {
  int n;
  int dim[MAP_DIMS];
  double cnt[MAP_DIMS];
} map__loops;

static void map__loops_of(const int64_t *tiles, const int *order, map__loops *l) {
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
static void map__dram_of_order(const arch *a, const map_problem *p, const map__bound_base *b,
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

/* Bound of a schedule: the array side (cycles, the last fold's fill/drain `fd`, the cycles of
 * one fold unit `unit` (0: unknown), register events, the array's SRAM reads and writes in
 * elements) and its DRAM traffic; cycles rounded as the model does. The tile pipeline
 * (tile.c, map__class_period) runs the first tile's loads, then every further tile in a period
 * at least as long as one unit's compute and as that tile's transfers, then the last store and
 * drain: so cycles >= latency + edge transfers + compute + fd, and >= latency + one unit +
 * every transfer (partial-sum loads: all but the first output tile's) + fd; with
 * single-buffered buffers a period also waits for the fold before (compute + its transfers). */
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
  double total = b->latency + busy;
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

/* What a bound says of the objectives (a map_cost's cycles, latency_s, energy_j, edp_js). */
typedef struct map__lb {
  double cycles, latency_s, energy_j, edp_js;
} map__lb;

static inline double map__lb_value(int obj, const map__lb *c) {
  return obj == MAP_OBJECTIVE_LATENCY ? c->cycles
         : obj == MAP_OBJECTIVE_ENERGY ? c->energy_j
                                       : c->edp_js;
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
 * at least (tile.c's map__array_eval sums fold.c's fold_eval over the tiles).
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
static void map__array_bound(const arch *a, const map__bound_base *b, bool simd,
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
static void map__tiling_bound(const arch *a, const map_problem *p, const map__bound_base *b,
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

/* State of one search: the problem, the wanted objectives and the best mapping of each so far. */
typedef struct map__ctx {
  arch a;
  const map_problem *p;
  const map_options *opt;
  map_workspace *w;
  unsigned want;
  map__bound_base base;
  double rd_pj[ARCH_MAX_BUFFERS], wr_pj[ARCH_MAX_BUFFERS]; /* pJ per byte of each buffer */
  bool found[MAP_OBJECTIVES];
  double best_v[MAP_OBJECTIVES]; /* the objective's value of each best (found) */
  uint64_t key[MAP_OBJECTIVES]; /* enumeration rank of each best (ties go to the lowest) */
  map_result *out;
  bool prune; /* false: price every mapping (map_search_unpruned) */
  int64_t evaluated, rejected, pruned;
  /* A cut search (map_search_below): mappings with cut_base + value > cut_best for objective
   * cut_obj are skipped; cut_lb is the least bound of what was skipped so. */
  bool cut;
  int cut_obj;
  double cut_base, cut_best, cut_lb;
  bool fit_any; /* some tiling of an array configuration fits */
  const int64_t *tile; /* the tiling being priced */
  int keep[1 << MAP_DIMS][6], nkeep[1 << MAP_DIMS]; /* map__distinct_orders of each mask */
  /* Last, and not cleared per search (12-20 KiB): filled by map__assignments. */
  map__assign as;
} map__ctx;

/* True when a mapping bounded below by `lb` cannot beat (nor tie) the best found so far for
 * any wanted objective: the search may skip it without changing what it returns. */
static bool map__hopeless(map__ctx *x, const map__lb *lb) {
  if (x->cut) {
    double v = map__lb_value(x->cut_obj, lb);
    if (x->cut_base + v > x->cut_best) {
      if (v < x->cut_lb) x->cut_lb = v;
      return true;
    }
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    if (!(x->want & (1u << obj))) continue;
    if (!x->found[obj]) return false;
    if (map__lb_value(obj, lb) <= x->best_v[obj]) return false;
  }
  return true;
}

/* Rank of a mapping in the fixed enumeration order (configuration, B, M, K, N tiles, assignment,
 * order): the search may visit tilings in another order and still return, among equally good
 * mappings, the first one enumerated. */
static uint64_t map__rank(int ci, const int *ti, int f, int o) {
  uint64_t k = (uint64_t)ci;
  for (int d = 0; d < MAP_DIMS; d++) k = (k << 7) | (uint64_t)ti[d];
  return (((k << 9) | (uint64_t)f) << 3) | (uint64_t)o;
}

/* The bound constants of the step under the i-th assignment: its buffers' energies instead of
 * the cheapest allowed, and serial when each off-chip operand's buffer is single-buffered. */
static void map__assign_base(const map__ctx *x, int i, map__bound_base *b) {
  *b = x->base;
  b->serial = b->stalls;
  for (int op = 0; op < MAP_OPS; op++) {
    int j = x->as.buf[i][op];
    b->rd_pj[op] = x->rd_pj[j];
    b->wr_pj[op] = x->wr_pj[j];
    if (!x->p->on_chip[op] && !(x->as.single[i] & (1u << op))) b->serial = false;
  }
}

/* A lower bound of one order's and assignment's cycles with memory stalls: the tile pipeline
 * as the cost model runs it (tile.c, map__memory_eval and map__class_period: the first tile's
 * loads and the DRAM latency, then per further tile a period set by its outermost advancing
 * loop, then the last store and drain), with every input at or below the model's: transfers
 * at their raw bytes, each at most the model's (the first loads: the average move, no larger
 * than the first full tile; no burst rounding, no strided DMA), a unit's compute at its array
 * share (no SRAM port), no epilogue nor layout pass, and only the period terms that grow with
 * their inputs (the two-fold chain only for the innermost class, where it does, less the one
 * period the model may price without it). */
static double map__pipeline_lb(const map__ctx *x, unsigned single_mask, const map__loops *l,
                               const map__compute *c, const map__array *ar,
                               const map__dram *d) {
  enum { IN = 0, W = 1, ST = 2, LP = 3 };
  const map_problem *p = x->p;
  double bpc = x->base.bpc, lat = x->base.latency, fd = ar->fill_drain;
  int n = l->n;
  const int *nd = l->dim;
  const double *cnt = l->cnt;
  int inner[MAP_OPS];
  double events[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    inner[op] = -1;
    events[op] = 1;
    for (int i = 0; i < n; i++)
      if (map_op_dims[op] & (1u << nd[i])) inner[op] = i;
    for (int i = 0; i <= inner[op]; i++) events[op] *= cnt[i];
  }
  double share[2] = {d->in[IN] / events[IN] / bpc, d->in[W] / events[W] / bpc};
  bool out_moves = !p->on_chip[MAP_OP_OUTPUT];
  double st = out_moves ? d->out / events[MAP_OP_OUTPUT] / bpc : 0;
  double lp = out_moves ? d->in[MAP_OP_OUTPUT] / events[MAP_OP_OUTPUT] / bpc : 0;
  double units = (double)c->tiles;
  bool merged = ar == &c->streamed && c->merged && n > 0;
  if (merged) {
    double k = cnt[n - 1];
    for (int op = 0; op < MAP_OPS; op++)
      if (inner[op] == n - 1) {
        if (op == MAP_OP_OUTPUT) {
          st *= k;
          lp *= k;
        } else {
          share[op] *= k;
        }
        inner[op] = n - 2;
      }
    units /= k;
    n--;
  }
  double cc = ar->array_cycles / units;
  bool single[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) single[op] = (single_mask >> op) & 1u;
  static const int tile_order[4] = {IN, W, ST, LP}, group_order[4] = {ST, IN, W, LP};
  const int *ord = merged ? group_order : tile_order;
  double cycles = share[IN] + share[W] + lat + cc;
  for (int q = n - 1; q >= 0; q--) {
    bool moves[MAP_OPS];
    for (int op = 0; op < MAP_OPS; op++) moves[op] = !p->on_chip[op] && inner[op] >= q;
    double len_of[4] = {moves[0] ? share[IN] : 0, moves[1] ? share[W] : 0, moves[2] ? st : 0,
                        moves[2] ? lp : 0};
    bool waits_of[4] = {moves[0] && single[0], moves[1] && single[1], moves[2], false};
    bool fold_of[4] = {moves[0], moves[1], moves[2] && single[2], moves[2] && lp > 0};
    double dq = len_of[0] + len_of[1] + len_of[2] + len_of[3];
    double t = cc > dq ? cc : dq;
    int from = -1, to = -1;
    for (int k = 0; k < 4; k++) {
      if (from < 0 && waits_of[ord[k]]) from = k;
      if (fold_of[ord[k]]) to = k;
    }
    if (from >= 0 && to >= from) {
      double chain = 0;
      for (int k = from; k <= to; k++) chain += len_of[ord[k]];
      double one = cc + fd + chain + (ord[to] != ST ? lat : 0);
      if (one > t) t = one;
    }
    double t_one = t, times = cnt[q] - 1;
    for (int i = 0; i < q; i++) times *= cnt[i];
    if (q == n - 1) {
      bool loads = len_of[IN] > 0 || len_of[W] > 0 || fold_of[LP];
      double two = (dq + (loads ? lat : 0) + cc + fd) / 2;
      if (two > t) t = two;
      /* Where the two-fold chain sets it, the model may price one of these periods at the
       * one-fold terms (an odd first run of tiles). */
      cycles -= t - t_one;
    }
    cycles += times * t;
  }
  return cycles + st + fd + d->epi;
}

/* Which assignments hold the tiling: fills fits, returns how many. */
static int map__fitting(const map__ctx *x, const int64_t *tile, int *fits) {
  double fp[MAP_OPS];
  map__footprint(&x->a, x->p, tile, fp);
  return map__assign_fitting(&x->as, fp, fits);
}

/* The tiles of each dimension; returns which of M, K, N have more than one. */
static unsigned map__iterating(const map__ctx *x, const int64_t *tile, int64_t *tiles) {
  unsigned iterating = 0;
  for (int d = 0; d < MAP_DIMS; d++) {
    tiles[d] = (x->p->dim[d] + tile[d] - 1) / tile[d];
    if (tiles[d] > 1) iterating |= 1u << d;
  }
  return iterating & ~(1u << MAP_DIM_B);
}

/* A lower bound of the last unit's output epilogue (tile.c, epi_unit: the epilogue of the
 * outputs of one output tile, or of a merged unit's several), when memory stalls are priced:
 * the step's epilogue over the number of output tiles, which no unit has fewer outputs than. */
static double map__epi_lb(const map__ctx *x, const int64_t *tiles) {
  if (!x->base.stalls || x->p->epilogue_cycles <= 0) return 0;
  double out_tiles = (double)tiles[MAP_DIM_B] * (double)tiles[MAP_DIM_M] * (double)tiles[MAP_DIM_N];
  return x->p->epilogue_cycles * x->base.elems[MAP_OP_OUTPUT] / out_tiles;
}

/* How many distinct loop orders a tiling has. */
static int map__norders(const map__ctx *x, const int64_t *tile) {
  int64_t tiles[MAP_DIMS];
  return x->nkeep[map__iterating(x, tile, tiles)];
}

/* Prices every assignment and order of one tiling (unless its bound shows none can win; on
 * the SIMD unit the bound prices lane-cycles instead of MACs). */
static void map__price_tiling(map__ctx *x, const map__config *cfg, int ci, const int *ti,
                              const int64_t *tile, const int *fits, int nfit,
                              const map__compute *pre_c, const map__lb *pre_lb) {
  map_mapping m;
  memset(&m, 0, sizeof m);
  m.unit = cfg->unit;
  m.dataflow = cfg->dataflow;
  m.batch_pack = cfg->pack;
  memcpy(m.tile, tile, sizeof m.tile);
  x->tile = m.tile;
  map__compute c;
  if (pre_c) c = *pre_c;
  else map__config_compute(&x->a, x->opt, cfg, x->p->dim, m.tile, &c);
  map__bursts bursts;
  bool bursts_done = false; /* computed at the first priced mapping (pruned tilings skip it) */
  int64_t tiles[MAP_DIMS]; /* per dimension */
  unsigned iterating = map__iterating(x, m.tile, tiles);
  const int *keep = x->keep[iterating];
  int norders = x->nkeep[iterating];
  bool bounded = x->prune, simd = cfg->unit == MAP_UNIT_SIMD;
  map__lb lb;
  map_cost cost;
  if (bounded && pre_lb) lb = *pre_lb;
  double epi = map__epi_lb(x, tiles);
  if (bounded && !pre_lb) map__tiling_bound(&x->a, x->p, &x->base, simd, &c, epi, &lb);
  if (bounded && map__hopeless(x, &lb)) {
    x->pruned += (int64_t)nfit * norders;
    return;
  }
  for (int o = 0; o < norders; o++) {
    memcpy(m.order, map__orders[keep[o]], sizeof m.order);
    /* The order fixes the DRAM traffic and the schedule: a tighter bound for its buffers. */
    map__dram d;
    map__loops loops;
    bool streamed = false;
    if (bounded) {
      map__loops_of(tiles, m.order, &loops);
      map__dram_of_order(&x->a, x->p, &x->base, &loops, c.stream_dim, &d, &streamed);
      d.epi = epi;
      map__array_bound(&x->a, &x->base, simd, streamed ? &c.streamed : &c.tiled,
                       (double)c.tiles, &d, 0, &lb);
    }
    if (bounded && map__hopeless(x, &lb)) {
      x->pruned += nfit;
      continue;
    }
    /* The pipeline bound depends on the assignment only through which operands' buffers are
     * single-buffered: computed once per pattern and order. */
    double pipe_of[1 << MAP_OPS];
    unsigned pipe_have = 0;
    for (int f = 0; f < nfit; f++) {
      if (bounded) {
        /* The assignment fixes each operand's buffer: its energy per access, and whether the
         * tile pipeline waits for the fold before (single-buffered). */
        map__bound_base b;
        map__assign_base(x, fits[f], &b);
        const map__array *ar = streamed ? &c.streamed : &c.tiled;
        double pipe = 0;
        if (b.stalls) {
          unsigned sm = x->as.single[fits[f]];
          if (!(pipe_have & (1u << sm))) {
            pipe_of[sm] = map__pipeline_lb(x, sm, &loops, &c, ar, &d);
            pipe_have |= 1u << sm;
          }
          pipe = pipe_of[sm];
        }
        map__array_bound(&x->a, &b, simd, ar, (double)c.tiles, &d, pipe, &lb);
        if (map__hopeless(x, &lb)) {
          x->pruned++;
          continue;
        }
      }
      memcpy(m.buffer, x->as.buf[fits[f]], sizeof m.buffer);
      if (!bursts_done) {
        map__bursts_eval(&x->a, x->p, m.tile, &bursts);
        bursts_done = true;
      }
      map__memory_eval(&x->a, x->p, x->opt, &m, &c, &bursts, &cost);
      x->evaluated++;
      uint64_t key = map__rank(ci, ti, fits[f], keep[o]);
      /* Every objective's best is kept, the wanted ones' and the others' (the memo keeps those
       * as seeds: upper bounds that later searches of this problem start from). */
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        map_cost *best = &x->out[obj].cost;
        if (!x->found[obj] || map_cost_better((map_objective)obj, &cost, best) ||
            (key < x->key[obj] && !map_cost_better((map_objective)obj, best, &cost))) {
          x->found[obj] = true;
          x->key[obj] = key;
          x->out[obj].mapping = m;
          x->out[obj].cost = cost;
          x->best_v[obj] = map__value(obj, &cost);
        }
      }
    }
  }
}

/* Every tiling of one compute configuration (the ci-th enumerated). */
static void map__search_config(map__ctx *x, const map__config *cfg, int ci) {
  map_workspace *w = x->w;
  for (int d = 0; d < MAP_DIMS; d++)
    w->ncand[d] = map_tile_candidates(x->p->dim[d], cfg->extent[d], w->cand[d], MAP_MAX_CANDIDATES);
  int fits[MAP_MAX_ASSIGN];
  int ti[MAP_DIMS];
  int64_t tile[MAP_DIMS];
  for (ti[0] = 0; ti[0] < w->ncand[0]; ti[0]++)
    for (ti[1] = 0; ti[1] < w->ncand[1]; ti[1]++)
      for (ti[2] = 0; ti[2] < w->ncand[2]; ti[2]++)
        for (ti[3] = 0; ti[3] < w->ncand[3]; ti[3]++) {
          for (int d = 0; d < MAP_DIMS; d++) tile[d] = w->cand[d][ti[d]];
          int nfit = map__fitting(x, tile, fits);
          if (nfit > 0 && cfg->unit == MAP_UNIT_ARRAY) x->fit_any = true;
          if (nfit == 0) {
            /* Footprints grow with every tile size: larger N tiles cannot fit either. */
            x->rejected += w->ncand[3] - ti[3];
            break;
          }
          map__price_tiling(x, cfg, ci, ti, tile, fits, nfit, NULL, NULL);
        }
}

/* A fitting tiling waiting to be priced (map__search_best_first). */
typedef struct map__pending {
  map__compute c;
  map__lb lb;
  int64_t tile[MAP_DIMS];
  int ti[MAP_DIMS];
  int ci, nfit, norders;
  uint16_t rank; /* map__pending_rank of lb.edp_js */
} map__pending;

/* Tilings are priced by their EDP bound in steps of 1/16 of a binade (4-6%), in enumeration
 * order within a step: where the bounds barely tell tilings apart (a 1x1 array, whose compute
 * is the same for every tiling) the enumeration's order prunes better than the bounds' small
 * differences do. A positive double's bits grow with its value: the rank is its exponent and
 * the mantissa's top 4 bits. */
static uint16_t map__pending_rank(double edp_bound) {
  uint64_t bits;
  memcpy(&bits, &edp_bound, sizeof bits);
  return edp_bound > 0 ? (uint16_t)(bits >> 48) : 0;
}

/* The indices 0..n-1 ordered by (rank, index): a stable radix sort of the 16-bit ranks, low
 * byte then high byte (`tmp` holds n indices between the passes). */
static void map__pending_sort(const map__pending *pe, uint32_t *out, uint32_t *tmp, int64_t n) {
  for (int pass = 0; pass < 2; pass++) {
    int64_t count[257] = {0};
    uint32_t *dst = pass ? out : tmp;
    for (int64_t i = 0; i < n; i++) {
      uint32_t at = pass ? tmp[i] : (uint32_t)i;
      count[((pe[at].rank >> (8 * pass)) & 0xff) + 1]++;
    }
    for (int b = 0; b < 256; b++) count[b + 1] += count[b];
    for (int64_t i = 0; i < n; i++) {
      uint32_t at = pass ? tmp[i] : (uint32_t)i;
      dst[count[(pe[at].rank >> (8 * pass)) & 0xff]++] = at;
    }
  }
}

/* The pending list of w with room for one more (false when out of memory). */
static bool map__pending_room(map_workspace *w, int64_t n) {
  if ((size_t)n < w->pending_cap) return true;
  size_t cap = w->pending_cap ? 2 * w->pending_cap : 1024;
  map__pending *np = realloc(w->pending, cap * sizeof *np);
  if (!np) return false;
  w->pending = np;
  w->pending_cap = cap;
  void *nk = realloc(w->pending_keys, 2 * cap * sizeof(uint32_t));
  if (!nk) return false;
  w->pending_keys = nk;
  return true;
}

/* Every tiling of the array configurations, priced in the order of their EDP bounds (lowest
 * first, map__pending_rank) rather than enumerated: good mappings come early, so the bounds
 * skip more of the rest. An exact answer does not depend on the order the search prices in
 * (ties go to the lowest enumeration rank; a mapping is skipped only when its bound is
 * strictly worse than a mapping held), but what a search leaves besides does: a cut search's
 * bound of what it skipped, and the best mappings met for objectives not searched (the memo's
 * seeds). So only a full search of every objective comes here. Returns false (nothing priced)
 * when out of memory. */
static bool map__search_best_first(map__ctx *x, const map__config *cfg, int ncfg) {
  map_workspace *w = x->w;
  int64_t n = 0;
  int fits[MAP_MAX_ASSIGN];
  int64_t rejected = 0;
  bool fit_any = false;
  for (int ci = 0; ci < ncfg; ci++) {
    for (int d = 0; d < MAP_DIMS; d++)
      w->ncand[d] = map_tile_candidates(x->p->dim[d], cfg[ci].extent[d], w->cand[d],
                                        MAP_MAX_CANDIDATES);
    bool simd = cfg[ci].unit == MAP_UNIT_SIMD;
    int ti[MAP_DIMS];
    for (ti[0] = 0; ti[0] < w->ncand[0]; ti[0]++)
      for (ti[1] = 0; ti[1] < w->ncand[1]; ti[1]++)
        for (ti[2] = 0; ti[2] < w->ncand[2]; ti[2]++)
          for (ti[3] = 0; ti[3] < w->ncand[3]; ti[3]++) {
            int64_t tile[MAP_DIMS];
            for (int d = 0; d < MAP_DIMS; d++) tile[d] = w->cand[d][ti[d]];
            int nfit = map__fitting(x, tile, fits);
            if (nfit > 0 && !simd) fit_any = true;
            if (nfit == 0) {
              rejected += w->ncand[3] - ti[3];
              break;
            }
            if (n >= UINT32_MAX || !map__pending_room(w, n)) return false;
            map__pending *pe = &w->pending[n];
            map__config_compute(&x->a, x->opt, &cfg[ci], x->p->dim, tile, &pe->c);
            int64_t tiles[MAP_DIMS];
            map__iterating(x, tile, tiles);
            map__tiling_bound(&x->a, x->p, &x->base, simd, &pe->c, map__epi_lb(x, tiles),
                              &pe->lb);
            memcpy(pe->tile, tile, sizeof pe->tile);
            memcpy(pe->ti, ti, sizeof pe->ti);
            pe->ci = ci;
            pe->nfit = nfit;
            pe->norders = map__norders(x, tile);
            pe->rank = map__pending_rank(pe->lb.edp_js);
            n++;
          }
  }
  x->rejected += rejected;
  if (fit_any) x->fit_any = true;
  uint32_t *order = w->pending_keys;
  map__pending_sort(w->pending, order, order + w->pending_cap, n);
  for (int64_t k = 0; k < n; k++) {
    const map__pending *pe = &w->pending[order[k]];
    if (map__hopeless(x, &pe->lb)) {
      /* What map__price_tiling does with a hopeless tiling, without listing its fits again. */
      x->pruned += (int64_t)pe->nfit * pe->norders;
      continue;
    }
    int nfit = map__fitting(x, pe->tile, fits);
    map__price_tiling(x, &cfg[pe->ci], pe->ci, pe->ti, pe->tile, fits, nfit, &pe->c, &pe->lb);
  }
  return true;
}

/* The search: every wanted objective's best over the whole mapspace, ties to the first mapping
 * in enumeration order. Skipping mappings strictly worse than a best so far does not change the
 * result: a mapping that is minimal is never skipped. */
typedef struct map__cut {
  int obj;
  double base, best;
  bool below;   /* out: the best mapping has base + value <= best (out[obj] is exact) */
  double bound; /* out: otherwise a lower bound of every mapping's value, base + bound > best */
} map__cut;

/* What a search starts from and leaves behind for every objective (wanted or not): the best
 * mapping it knows (out[obj], a real mapping of this mapspace) and its enumeration rank. A
 * search seeded with them returns what an unseeded one does: it skips only mappings whose
 * bound is strictly worse than a mapping it holds, and ties go to the lower rank either way. */
typedef struct map__seed {
  unsigned found; /* mask of objectives with a mapping */
  uint64_t key[MAP_OBJECTIVES];
} map__seed;

static int map__search(const arch *arch_in, const map_problem *p, const map_options *opt,
                       unsigned want, bool prune, map_workspace *w, map_result *out,
                       map__cut *cut, map__seed *seed, heat_error *err) {
  int rc = map_options_check(opt, arch_in, err);
  if (rc) return rc;
  rc = map_problem_check(p, err);
  if (rc) return rc;
  /* The context holds the assignment table (12 KiB): on the heap would cost a malloc per
   * search, so it lives on the stack like the arch copy. */
  map__ctx x;
  memset(&x, 0, offsetof(map__ctx, as));
  map_effective_arch(arch_in, opt, &x.a);
  x.p = p;
  x.opt = opt;
  x.w = w;
  x.want = want;
  x.prune = prune;
  x.out = out;
  if (cut) {
    x.cut = true;
    x.cut_obj = cut->obj;
    x.cut_base = cut->base;
    x.cut_best = cut->best;
    x.cut_lb = INFINITY;
    want = x.want = 1u << cut->obj;
  }
  rc = map__assignments(&x.a, p, &x.as, err);
  if (rc) return rc;
  map__bound_base_of(&x.a, p, opt, &x.base);
  for (unsigned mask = 0; mask < 1u << MAP_DIMS; mask++)
    x.nkeep[mask] = map__distinct_orders(mask, x.keep[mask]);
  for (size_t j = 0; j < x.a.n_buffers && j < ARCH_MAX_BUFFERS; j++) {
    const arch_buffer *buf = &x.a.buffers[j];
    x.rd_pj[j] = buf->read_pj / (double)buf->access_bytes;
    x.wr_pj[j] = buf->write_pj / (double)buf->access_bytes;
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    if (seed && (seed->found & (1u << obj))) {
      /* out[obj] holds the seed's mapping and cost: the counts start afresh. */
      x.found[obj] = true;
      x.key[obj] = seed->key[obj];
      x.best_v[obj] = map__value(obj, &out[obj].cost);
      out[obj].evaluated = out[obj].rejected = out[obj].pruned = 0;
    } else {
      memset(&out[obj], 0, sizeof out[obj]);
    }
  }

  map__config cfg[MAP_MAX_CONFIGS + 1];
  int ncfg = map__array_configs(&x.a, p, opt, cfg);
  /* Out of memory for the best-first list (nothing priced yet): enumerate instead. */
  bool done = !x.cut && prune && want == (1u << MAP_OBJECTIVES) - 1 &&
              map__search_best_first(&x, cfg, ncfg);
  for (int i = 0; i < ncfg && !done; i++) map__search_config(&x, &cfg[i], i);
  /* The SIMD unit when its bound does not already lose for some objective searched (for the
   * others its mappings cannot win, so searching it changes nothing for them). */
  bool simd = false;
  for (int obj = 0; obj < MAP_OBJECTIVES && !simd && !x.cut; obj++) {
    if (!(want & (1u << obj))) continue;
    map_options o = *opt;
    o.objective = (map_objective)obj;
    simd = map__simd_worth(&x.a, p, &o, x.found[obj] ? &out[obj].cost : NULL);
  }
  map_cost simd_lb;
  if (x.cut && x.fit_any && map__simd_bound(&x.a, p, opt, &simd_lb)) {
    /* What the full search does (the SIMD unit when the array can run the step and its bound
     * does not lose to the array's best), less what the cut skips. */
    double v = map_objective_value((map_objective)x.cut_obj, &simd_lb);
    bool worth = !x.found[x.cut_obj] ||
                 v <= map_objective_value((map_objective)x.cut_obj, &out[x.cut_obj].cost);
    if (worth && x.cut_base + v > x.cut_best) {
      if (v < x.cut_lb) x.cut_lb = v;
    } else {
      simd = worth;
    }
  }
  if (simd) {
    map__simd_config(&cfg[ncfg]);
    map__search_config(&x, &cfg[ncfg], ncfg);
  }
  w->searches++;
  w->evaluated += x.evaluated;
  if (seed) {
    seed->found = 0;
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      if (x.found[obj]) seed->found |= 1u << obj;
      seed->key[obj] = x.key[obj];
    }
  }
  if (x.cut && x.fit_any) {
    /* Some tiling fits: the full search would find a mapping. Below the cut or not? */
    int o = x.cut_obj;
    double v = x.found[o] ? map_objective_value((map_objective)o, &out[o].cost) : INFINITY;
    cut->below = x.found[o] && x.cut_base + v <= x.cut_best;
    cut->bound = v < x.cut_lb ? v : x.cut_lb;
    if (!cut->below) return HEAT_OK;
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    if (!(want & (1u << obj))) continue;
    if (!x.found[obj]) return map__no_fit_error(&x.a, p, opt, &x.as, err);
    out[obj].evaluated = x.evaluated;
    out[obj].rejected = x.rejected;
    out[obj].pruned = x.pruned;
  }
  return HEAT_OK;
}

/* ---- the memo: entries in one array, found through an open-addressing index (slots of an
 * entry number and the hash's high half) grown at half load: a probe touches 8 bytes, not an
 * entry, and growing moves no entry ---- */

typedef struct map__entry {
  bool used;
  unsigned have; /* objectives searched (status applies to all) */
  int status;
  double lb[MAP_OBJECTIVES]; /* objectives not in `have`: a proven lower bound (cut searches) */
  map_problem key;
  /* Objectives in `have`: the search's answer. Others: the best mapping a search of this
   * problem met (seed.found), which the next search starts from. */
  map_result result[MAP_OBJECTIVES];
  map__seed seed;
  heat_error err; /* status != HEAT_OK */
} map__entry;

typedef struct map__slot {
  uint32_t entry; /* entry index + 1; 0: empty */
  uint32_t hash;  /* high half of the problem's hash */
} map__slot;

struct map_memo {
  size_t cap, n, n_alloc; /* cap: slots, a power of two, or 0; n: entries used */
  map__slot *slot;
  map__entry *entry;
  bool bound;
  arch a;
  map_options opt; /* objective zeroed */
};

int map_workspace_memo(map_workspace *w, bool on) {
  if (!on) {
    if (w->memo) {
      free(w->memo->slot);
      free(w->memo->entry);
    }
    free(w->memo);
    w->memo = NULL;
    return HEAT_OK;
  }
  if (!w->memo) w->memo = calloc(1, sizeof *w->memo);
  return w->memo ? HEAT_OK : HEAT_ENOMEM;
}

static void map__memo_clear(map_memo *c) {
  if (c->slot) memset(c->slot, 0, c->cap * sizeof *c->slot);
  c->n = 0;
}

/* Empties the memo unless it holds searches for this arch and these options. The arch's text
 * fields (name, description, sources) do not change a search: only what follows is compared. */
static void map__memo_bind(map_memo *c, const arch *a, const map_options *opt) {
  map_options o = *opt;
  o.objective = MAP_OBJECTIVE_LATENCY;
  const size_t from = offsetof(arch, clock_ghz);
  if (c->bound && c->opt.timing == o.timing && c->opt.memory_stalls == o.memory_stalls &&
      c->opt.dataflows == o.dataflows && c->opt.array_rows_override == o.array_rows_override &&
      c->opt.array_cols_override == o.array_cols_override && c->opt.array_only == o.array_only &&
      memcmp((const char *)&c->a + from, (const char *)a + from, sizeof *a - from) == 0)
    return;
  map__memo_clear(c);
  c->bound = true;
  c->a = *a;
  c->opt = o;
}

static bool map__same_problem(const map_problem *x, const map_problem *y) {
  for (int d = 0; d < MAP_DIMS; d++)
    if (x->dim[d] != y->dim[d]) return false;
  for (int op = 0; op < MAP_OPS; op++)
    if (x->on_chip[op] != y->on_chip[op] || x->buffers[op] != y->buffers[op]) return false;
  return x->permuted[0] == y->permuted[0] && x->permuted[1] == y->permuted[1] &&
         x->reserved_bytes == y->reserved_bytes && x->reserved_buffers == y->reserved_buffers &&
         x->epilogue_cycles == y->epilogue_cycles; /* times the tile pipeline (tile.c) */
}

static uint64_t map__problem_hash(const map_problem *p) {
  uint64_t v[MAP_DIMS + 3];
  for (int d = 0; d < MAP_DIMS; d++) v[d] = (uint64_t)p->dim[d];
  v[MAP_DIMS] = (uint64_t)p->on_chip[0] | (uint64_t)p->on_chip[1] << 1 |
                (uint64_t)p->on_chip[2] << 2 | (uint64_t)p->permuted[0] << 3 |
                (uint64_t)p->permuted[1] << 4 | (uint64_t)p->reserved_buffers << 5;
  v[MAP_DIMS + 1] =
      (uint64_t)p->buffers[0] | (uint64_t)p->buffers[1] << 21 | (uint64_t)p->buffers[2] << 42;
  v[MAP_DIMS + 2] = (uint64_t)p->reserved_bytes;
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < MAP_DIMS + 3; i++) {
    h ^= v[i];
    h *= 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

/* The entry holding p (NULL when none); *at gets the slot it is in or would go to. */
static map__entry *map__memo_find(const map_memo *c, const map_problem *p, uint64_t h,
                                  size_t *at) {
  *at = 0;
  if (!c->cap) return NULL;
  uint32_t hi = (uint32_t)(h >> 32);
  for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
    const map__slot *sl = &c->slot[i];
    *at = i;
    if (!sl->entry) return NULL;
    map__entry *e = &c->entry[sl->entry - 1];
    if (sl->hash == hi && map__same_problem(&e->key, p)) return e;
  }
}

static int map__memo_grow(map_memo *c) {
  size_t cap = c->cap ? 2 * c->cap : 64;
  map__slot *slot = calloc(cap, sizeof *slot);
  if (!slot) return HEAT_ENOMEM;
  free(c->slot);
  c->slot = slot;
  c->cap = cap;
  for (size_t k = 0; k < c->n; k++) {
    uint64_t h = map__problem_hash(&c->entry[k].key);
    size_t at;
    map__memo_find(c, &c->entry[k].key, h, &at);
    c->slot[at].entry = (uint32_t)(k + 1);
    c->slot[at].hash = (uint32_t)(h >> 32);
  }
  return HEAT_OK;
}

static const map__entry *map__memo_lookup(map_workspace *w, const arch *a,
                                          const map_options *opt, const map_problem *p) {
  map__memo_bind(w->memo, a, opt);
  size_t at;
  return map__memo_find(w->memo, p, map__problem_hash(p), &at);
}

bool map_memo_peek(map_workspace *w, const arch *a, const map_options *opt,
                   const map_problem *p, map_result *out, int *status) {
  if (!w->memo) return false;
  const map__entry *e = map__memo_lookup(w, a, opt, p);
  if (!e || !(e->have & (1u << opt->objective))) return false;
  *status = e->status;
  if (!e->status) *out = e->result[opt->objective];
  return true;
}

/* The memo's entry of p, created empty when missing; NULL when out of memory. */
static map__entry *map__memo_entry(map_workspace *w, const arch *a, const map_problem *p,
                                   const map_options *opt) {
  map_memo *c = w->memo;
  map__memo_bind(c, a, opt);
  uint64_t h = map__problem_hash(p);
  size_t at;
  map__entry *e = map__memo_find(c, p, h, &at);
  if (!e) {
    if (c->n >= MAP_MEMO_MAX) map__memo_clear(c);
    if (2 * (c->n + 1) > c->cap && map__memo_grow(c)) return NULL;
    if (c->n == c->n_alloc) {
      size_t na = c->n_alloc ? 2 * c->n_alloc : 64;
      map__entry *ne = realloc(c->entry, na * sizeof *ne);
      if (!ne) return NULL;
      c->entry = ne;
      c->n_alloc = na;
    }
    map__memo_find(c, p, h, &at);
    c->slot[at].entry = (uint32_t)(c->n + 1);
    c->slot[at].hash = (uint32_t)(h >> 32);
    e = &c->entry[c->n];
    memset(e, 0, sizeof *e);
    e->used = true;
    e->have = 0;
    e->status = HEAT_OK;
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) e->lb[obj] = 0;
    e->key = *p;
    c->n++;
  }
  return e;
}

/* Seeds a search of e's problem: r[obj] gets what the memo knows for every objective not
 * answered yet (e->seed.found says which). */
static void map__memo_seed(map__entry *e, map_result *r) {
  e->seed.found &= ~e->have;
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
    if (e->seed.found & (1u << obj)) r[obj] = e->result[obj];
}

/* Keeps a search's answers (the objectives in `exact`) and, for the other objectives not
 * answered yet, the best mapping it met as their seeds. */
static void map__memo_keep(map__entry *e, const map_result *r, unsigned exact) {
  if (e->status) {
    e->have |= exact; /* answered: with the failure */
    return;
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
    if (((exact | e->seed.found) & ~e->have) & (1u << obj)) e->result[obj] = r[obj];
  e->have |= exact;
}

/* The memo's entry of p with the objectives in `want` searched (those missing, in one pass);
 * NULL when out of memory. */
static const map__entry *map__memo_search(map_workspace *w, const arch *a, const map_problem *p,
                                          const map_options *opt, unsigned want) {
  map__entry *e = map__memo_entry(w, a, p, opt);
  if (!e || e->status || (e->have & want) == want) return e;
  map_result r[MAP_OBJECTIVES];
  unsigned missing = want & ~e->have;
  map__memo_seed(e, r);
  e->status = map__search(a, p, opt, missing, true, w, r, NULL, &e->seed, &e->err);
  map__memo_keep(e, r, missing);
  return e;
}

int map_search(const arch *a, const map_problem *p, const map_options *opt, map_workspace *w,
               map_result *out, heat_error *err) {
  if (w->memo) {
    unsigned want = w->memo_want ? w->memo_want | 1u << opt->objective
                                 : (1u << MAP_OBJECTIVES) - 1;
    const map__entry *e = map__memo_search(w, a, p, opt, want);
    if (!e) return heat_error_set(err, HEAT_ENOMEM, "map_search", "out of memory");
    if (e->status) {
      if (err) *err = e->err;
      return e->status;
    }
    *out = e->result[opt->objective];
    return HEAT_OK;
  }
  map_result all[MAP_OBJECTIVES];
  int rc = map__search(a, p, opt, 1u << opt->objective, true, w, all, NULL, NULL, err);
  if (rc) return rc;
  *out = all[opt->objective];
  return HEAT_OK;
}

int map_search_objectives(const arch *a, const map_problem *p, const map_options *opt,
                          unsigned want, map_workspace *w, map_result out[MAP_OBJECTIVES],
                          heat_error *err) {
  want &= (1u << MAP_OBJECTIVES) - 1;
  if (!want) want = (1u << MAP_OBJECTIVES) - 1;
  if (w->memo) {
    const map__entry *e = map__memo_search(w, a, p, opt, want);
    if (!e) return heat_error_set(err, HEAT_ENOMEM, "map_search", "out of memory");
    if (e->status) {
      if (err) *err = e->err;
      return e->status;
    }
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
      if (want & (1u << obj)) out[obj] = e->result[obj];
    return HEAT_OK;
  }
  return map__search(a, p, opt, want, true, w, out, NULL, NULL, err);
}

int map_search_unpruned(const arch *a, const map_problem *p, const map_options *opt,
                        map_workspace *w, map_result *out, heat_error *err) {
  map_result all[MAP_OBJECTIVES];
  int rc = map__search(a, p, opt, 1u << opt->objective, false, w, all, NULL, NULL, err);
  if (rc) return rc;
  *out = all[opt->objective];
  return HEAT_OK;
}

double map_memo_bound(map_workspace *w, const arch *a, const map_options *opt,
                      const map_problem *p) {
  if (!w->memo) return 0;
  const map__entry *e = map__memo_lookup(w, a, opt, p);
  return e && !e->status ? e->lb[opt->objective] : 0;
}

int map_search_below(const arch *a, const map_problem *p, const map_options *opt, double base,
                     double best, map_workspace *w, map_result *out, bool *below,
                     double *bound, heat_error *err) {
  int obj = (int)opt->objective;
  map__entry *e = w->memo ? map__memo_entry(w, a, p, opt) : NULL;
  if (w->memo && !e) return heat_error_set(err, HEAT_ENOMEM, "map_search", "out of memory");
  if (e && e->status) {
    if (err) *err = e->err;
    return e->status;
  }
  if (e && (e->have & (1u << obj))) {
    *out = e->result[obj];
    *bound = map_objective_value(opt->objective, &out->cost);
    *below = base + *bound <= best;
    return HEAT_OK;
  }
  if (e && base + e->lb[obj] > best) {
    *below = false;
    *bound = e->lb[obj];
    return HEAT_OK;
  }
  map_result r[MAP_OBJECTIVES];
  map__cut cut = {.obj = obj, .base = base, .best = best};
  heat_error e2;
  if (e) map__memo_seed(e, r);
  int rc = map__search(a, p, opt, 1u << obj, true, w, r, &cut, e ? &e->seed : NULL,
                       e ? &e->err : &e2);
  if (rc) {
    if (e) e->status = rc;
    if (err) *err = e ? e->err : e2;
    return rc;
  }
  *below = cut.below;
  if (e) map__memo_keep(e, r, cut.below ? 1u << obj : 0);
  if (cut.below) {
    *out = r[obj];
    *bound = map_objective_value(opt->objective, &out->cost);
  } else {
    *bound = cut.bound;
    if (e && cut.bound > e->lb[obj]) e->lb[obj] = cut.bound;
  }
  return HEAT_OK;
}
