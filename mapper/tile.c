#include "mapper/tile.h"

#include "mapper/energy.h"
#include "mapper/tile_period.h"

#include <math.h>
#include <string.h>

static inline int64_t map__ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void map_options_init(map_options *opt, const arch *a) {
  memset(opt, 0, sizeof *opt);
  opt->timing = a->array.weights_double_buffered ? FOLD_TIMING_OVERLAP : FOLD_TIMING_SCALESIM;
  opt->memory_stalls = true;
  opt->objective = MAP_OBJECTIVE_EDP;
  opt->dataflows = 0;
}

int map_options_check(const map_options *opt, const arch *a, heat_error *err) {
  if (opt->timing == FOLD_TIMING_OVERLAP && !a->array.weights_double_buffered)
    return heat_error_set(err, HEAT_EINVAL, "--timing",
                          "overlap timing needs an array that double-buffers its stationary "
                          "operand; arch '%s' does not (array.weights_double_buffered = false): "
                          "use --timing scalesim",
                          a->name);
  if (opt->array_rows_override < 0 || opt->array_cols_override < 0)
    return heat_error_set(err, HEAT_EINVAL, "--array", "array dimensions must be positive");
  unsigned offered = 0;
  for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++)
    if (fold_dataflow_supported(&a->array, (arch_dataflow)df)) offered |= 1u << df;
  unsigned want = opt->dataflows ? opt->dataflows : offered;
  if (!(want & offered)) {
    char list[32] = "";
    for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++)
      if (offered & (1u << df)) {
        if (list[0]) strcat(list, ",");
        strcat(list, arch_dataflow_name((arch_dataflow)df));
      }
    return heat_error_set(err, HEAT_EINVAL, "--dataflow",
                          "arch '%s' does not offer the dataflow asked for (it offers: %s)",
                          a->name, list[0] ? list : "none");
  }
  return HEAT_OK;
}

void map_effective_arch(const arch *a, const map_options *opt, arch *out) {
  *out = *a;
  if (!opt->array_rows_override && !opt->array_cols_override) return;
  bool vec = a->array.kind == ARCH_ARRAY_VECTOR;
  int rows = vec ? a->array.lanes : a->array.rows, cols = vec ? a->array.width : a->array.cols;
  if (opt->array_rows_override) rows = (int)opt->array_rows_override;
  if (opt->array_cols_override) cols = (int)opt->array_cols_override;
  /* SIMD lanes, leakage and area follow the array (arch_set_array). */
  arch_set_array(out, rows, cols);
}

void map_problem_gemm(map_problem *p, int64_t B, int64_t M, int64_t K, int64_t N) {
  memset(p, 0, sizeof *p);
  p->dim[MAP_DIM_B] = B;
  p->dim[MAP_DIM_M] = M;
  p->dim[MAP_DIM_K] = K;
  p->dim[MAP_DIM_N] = N;
}

int map_act_buffer(const arch *a) {
  for (size_t j = 0; j < a->n_buffers; j++)
    if ((a->buffers[j].operands & ARCH_OPERAND_INPUT) &&
        (a->buffers[j].operands & ARCH_OPERAND_OUTPUT))
      return (int)j;
  for (size_t j = 0; j < a->n_buffers; j++)
    if (a->buffers[j].operands & ARCH_OPERAND_INPUT) return (int)j;
  return 0;
}

static double map__elem_bytes(const arch *a, int op, bool partial) {
  if (op == MAP_OP_WEIGHT) return a->weight_bits / 8.0;
  if (op == MAP_OP_OUTPUT && partial) return a->accum_bits / 8.0;
  return a->input_bits / 8.0; /* inputs and finished outputs are activations */
}

double map_dram_transfer_cycles(const arch *a, double bytes, bool strided) {
  double bursts = ceil(bytes / MAP_DRAM_BURST_BYTES - 1e-9);
  double bpc = a->dram.gbps / a->clock_ghz;
  return bursts * MAP_DRAM_BURST_BYTES / bpc / (strided ? MAP_STRIDED_DMA_EFFICIENCY : 1.0);
}

double map_dram_latency_cycles(const arch *a) { return a->dram.latency_ns * a->clock_ghz; }

/* Bytes an operand's tiles move through the DRAM channel, each tile (full or a remainder) as
 * one transfer of whole bursts: over every tile of the dimensions in `looped`, and only the first
 * (full) tile of its other dimensions. Each looped dimension of the operand has full tiles and
 * at most one remainder: the classes of tiles are the combinations of those (at most 8). */
static double map__burst_bytes(const map_problem *p, const int64_t *tile, int op,
                               double elem_bytes, unsigned looped) {
  double cnt[MAP_DIMS][2], size[MAP_DIMS][2];
  int nsize[MAP_DIMS];
  for (int d = 0; d < MAP_DIMS; d++) {
    /* Factors of 1 for a dimension the operand lacks: the products stay the same doubles. */
    cnt[d][0] = 1;
    size[d][0] = 1;
    nsize[d] = 1;
    if (!(map_op_dims[op] & (1u << d))) continue;
    size[d][0] = (double)tile[d];
    if (!(looped & (1u << d))) continue;
    int64_t rem = p->dim[d] % tile[d];
    cnt[d][0] = (double)(p->dim[d] / tile[d]);
    cnt[d][1] = 1;
    size[d][1] = (double)rem;
    nsize[d] = rem ? 2 : 1;
  }
  /* Every term is a whole number of bytes far below 2^53: the sum is exact in any order. */
  double total = 0;
  for (int w3 = 0; w3 < nsize[3]; w3++)
    for (int w2 = 0; w2 < nsize[2]; w2++)
      for (int w1 = 0; w1 < nsize[1]; w1++)
        for (int w0 = 0; w0 < nsize[0]; w0++) {
          double n = cnt[0][w0] * cnt[1][w1] * cnt[2][w2] * cnt[3][w3];
          double elems = size[0][w0] * size[1][w1] * size[2][w2] * size[3][w3];
          double bursts = ceil(elems * elem_bytes / MAP_DRAM_BURST_BYTES - 1e-9);
          total += n * bursts * MAP_DRAM_BURST_BYTES;
        }
  return total;
}

/* One pass over all of an operand's tiles. */
static double map__pass_burst_bytes(const map_problem *p, const int64_t *tile, int op,
                                    double elem_bytes) {
  return map__burst_bytes(p, tile, op, elem_bytes, (1u << MAP_DIMS) - 1);
}

void map__bursts_eval(const arch *a, const map_problem *p, const int64_t *tile,
                      map__bursts *out) {
  for (int op = 0; op < MAP_OPS; op++)
    out->pass[op] = map__pass_burst_bytes(p, tile, op, map__elem_bytes(a, op, false));
  out->psum_pass =
      map__pass_burst_bytes(p, tile, MAP_OP_OUTPUT, map__elem_bytes(a, MAP_OP_OUTPUT, true));
}

/* One transfer unit of an operand: its first (full) tile, or every tile along `whole` (a merged
 * unit's loop; -1: none). */
static double map__first_burst_bytes(const map_problem *p, const int64_t *tile, int op,
                                     double elem_bytes, int whole) {
  return map__burst_bytes(p, tile, op, elem_bytes, whole >= 0 ? 1u << whole : 0);
}

static double map__elements(const int64_t *dim, int op) {
  double e = 1;
  for (int d = 0; d < MAP_DIMS; d++)
    if (map_op_dims[op] & (1u << d)) e *= (double)dim[d];
  return e;
}

double map__usable(const arch_buffer *b) {
  return b->double_buffered ? (double)b->size_bytes / 2 : (double)b->size_bytes;
}

bool map__reserved_fit(const arch *a, const map_problem *p, const int *buf, const double *fp) {
  if (p->reserved_bytes <= 0) return true;
  double need[ARCH_MAX_BUFFERS] = {0};
  for (int op = 0; op < MAP_OPS; op++) need[buf[op]] += fp[op];
  for (size_t j = 0; j < a->n_buffers; j++)
    if ((!p->reserved_buffers || (p->reserved_buffers & (1u << j))) &&
        need[j] + p->reserved_bytes <= map__usable(&a->buffers[j]))
      return true;
  return false;
}

void map__footprint(const arch *a, const map_problem *p, const int64_t *tile, double *bytes) {
  for (int op = 0; op < MAP_OPS; op++) {
    const int64_t *ext = p->on_chip[op] ? p->dim : tile;
    bytes[op] = map__elements(ext, op) * map__elem_bytes(a, op, op == MAP_OP_OUTPUT);
  }
}

/* Loop nest facts for one mapping: the loops that iterate (count > 1), outermost first. */
typedef struct map__nest {
  int n;
  int dim[MAP_DIMS];
  int64_t count[MAP_DIMS];
} map__nest;

static void map__nest_of(const map_problem *p, const map_mapping *m, map__nest *nest) {
  nest->n = 0;
  int seq[MAP_DIMS] = {MAP_DIM_B, m->order[0], m->order[1], m->order[2]};
  for (int i = 0; i < MAP_DIMS; i++) {
    int d = seq[i];
    int64_t c = map__ceil_div(p->dim[d], m->tile[d]);
    if (c > 1) {
      nest->dim[nest->n] = d;
      nest->count[nest->n] = c;
      nest->n++;
    }
  }
}

/* Iterations of the loops inside position q between two iterations of q (of n loops). */
static double inner_iters(const int64_t *count, int q, int n) {
  double k = 1;
  for (int i = q + 1; i < n; i++) k *= (double)count[i];
  return k - 1;
}

void map__memory_eval(const arch *a, const map_problem *p, const map_options *opt,
                      const map_mapping *m, const map__compute *c, const map__bursts *bursts,
                      map_cost *out) {
  memset(out, 0, sizeof *out);
  map__nest nest;
  map__nest_of(p, m, &nest);
  /* The streamed dimension's loop innermost (among the loops that iterate): its tiles run
   * back to back under each stationary fold (MAPPING.md, "Loop order and the array"). */
  const map__array *ar = nest.n > 0 && nest.dim[nest.n - 1] == c->stream_dim ? &c->streamed
                                                                              : &c->tiled;
  double bpc = a->dram.gbps / a->clock_ghz; /* DRAM bytes per cycle */
  double ntiles = (double)c->tiles;

  /* DRAM traffic: an operand tile is fetched again each time a loop outside its innermost
   * relevant loop advances (no reuse across those loops). */
  double dram_bytes[MAP_OPS] = {0}, events[MAP_OPS];
  double psum_fill_bytes = 0; /* partial sums brought back from DRAM into the output buffer */
  /* Channel bytes in whole bursts per transfer (the stores and the partial-sum loads of the
   * output apart): what the DRAM channel is busy for. */
  double burst_bytes[MAP_OPS] = {0}, store_burst = 0, psum_burst = 0;
  int innermost[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    int pos = -1;
    for (int i = 0; i < nest.n; i++)
      if (map_op_dims[op] & (1u << nest.dim[i])) pos = i;
    innermost[op] = pos;
    double refetch = 1, ev = 1;
    for (int i = 0; i <= pos; i++) {
      ev *= (double)nest.count[i];
      if (!(map_op_dims[op] & (1u << nest.dim[i]))) refetch *= (double)nest.count[i];
    }
    events[op] = ev;
    double elems = map__elements(p->dim, op);
    if (op == MAP_OP_OUTPUT) {
      /* A resident output accumulates in SRAM whatever the loop order. */
      if (!p->on_chip[op]) {
        double part = map__elem_bytes(a, op, true), fin = map__elem_bytes(a, op, false);
        out->dram_write_bytes += elems * ((refetch - 1) * part + fin);
        out->dram_read_bytes += elems * (refetch - 1) * part;
        psum_fill_bytes = elems * (refetch - 1) * part;
        dram_bytes[op] = elems * ((refetch - 1) * 2 * part + fin);
        double part_pass = refetch > 1 ? bursts->psum_pass : 0;
        psum_burst = (refetch - 1) * part_pass;
        store_burst = psum_burst + bursts->pass[op];
        burst_bytes[op] = store_burst + psum_burst;
      }
    } else if (!p->on_chip[op]) {
      dram_bytes[op] = elems * map__elem_bytes(a, op, false) * refetch;
      out->dram_read_bytes += dram_bytes[op];
      burst_bytes[op] = refetch * bursts->pass[op];
    }
  }
  out->dram_bytes = out->dram_read_bytes + out->dram_write_bytes;

  /* Layout transforms of permuted operands: strided DMA when it streams from DRAM anyway and
   * that costs fewer cycles than a SIMD pass, else the SIMD unit. */
  double dram_cycles_op[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) dram_cycles_op[op] = burst_bytes[op] / bpc;
  double simd_lanes = a->simd.lanes > 0 ? a->simd.lanes : 1;
  double simd_lane_ops = 0; /* a permute is one lane-cycle per element */
  for (int op = 0; op < 2; op++) {
    if (!p->permuted[op]) continue;
    double elems = map__elements(p->dim, op);
    double simd_cycles = ceil(elems / simd_lanes);
    double dma_extra = dram_cycles_op[op] * (1 / MAP_STRIDED_DMA_EFFICIENCY - 1);
    if (!p->on_chip[op] && dma_extra <= simd_cycles) {
      out->layout[op] = MAP_LAYOUT_STRIDED;
      dram_cycles_op[op] += dma_extra;
    } else {
      out->layout[op] = MAP_LAYOUT_SIMD;
      out->layout_cycles += simd_cycles;
      simd_lane_ops += elems;
      double bytes = elems * map__elem_bytes(a, op, false);
      const arch_buffer *b = &a->buffers[m->buffer[op]];
      out->sram_reads[m->buffer[op]] += bytes / (double)b->access_bytes;
      out->sram_writes[m->buffer[op]] += bytes / (double)b->access_bytes;
    }
  }

  /* SRAM traffic in bytes per buffer: the array's reads/writes, partial sums accumulated
   * across K tiles, and the DRAM fills and drains. */
  double port_bytes[ARCH_MAX_BUFFERS] = {0};
  double rd[ARCH_MAX_BUFFERS] = {0}, wr[ARCH_MAX_BUFFERS] = {0};
  int64_t nk = map__ceil_div(p->dim[MAP_DIM_K], m->tile[MAP_DIM_K]);
  double out_elems = map__elements(p->dim, MAP_OP_OUTPUT);
  double pb = map__elem_bytes(a, MAP_OP_OUTPUT, true);
  rd[m->buffer[MAP_OP_INPUT]] += ar->input_reads * map__elem_bytes(a, MAP_OP_INPUT, false);
  rd[m->buffer[MAP_OP_WEIGHT]] += ar->weight_reads * map__elem_bytes(a, MAP_OP_WEIGHT, false);
  wr[m->buffer[MAP_OP_OUTPUT]] += ar->output_writes * pb;
  /* OS with K innermost accumulates across K tiles in the PEs; otherwise each extra K tile
   * reads the partial sums back. */
  double acc_reads =
      ar == &c->streamed && c->stream_dim == MAP_DIM_K ? 0 : out_elems * (double)(nk - 1);
  rd[m->buffer[MAP_OP_OUTPUT]] += (ar->output_reads + acc_reads) * pb;
  int ab = map_act_buffer(a);
  double array_ab = rd[ab] + wr[ab]; /* the folds' own bytes there (the DMA's follow) */
  wr[m->buffer[MAP_OP_INPUT]] += dram_bytes[MAP_OP_INPUT];
  wr[m->buffer[MAP_OP_WEIGHT]] += dram_bytes[MAP_OP_WEIGHT];
  rd[m->buffer[MAP_OP_OUTPUT]] += out->dram_write_bytes;
  wr[m->buffer[MAP_OP_OUTPUT]] += psum_fill_bytes;
  /* The output epilogue's SIMD pass (its accesses are priced by mapper/flow.c): each output
   * element's partial sum read and final value written in the activation buffer, on the port
   * the tiles use there (port_ab: the tiles' bytes, the folds' and the transfers'; fold_ab:
   * the folds' alone; epi_ab: the epilogue's), in port cycles. */
  double port_ab = 0, fold_ab = 0, epi_ab = 0;
  if (p->epilogue_cycles > 0) {
    double bpc_ab = a->buffers[ab].bytes_per_cycle;
    port_ab = (rd[ab] + wr[ab]) / bpc_ab;
    fold_ab = array_ab / bpc_ab;
    epi_ab = out_elems * (pb + map__elem_bytes(a, MAP_OP_OUTPUT, false)) / bpc_ab;
  }
  double sram_tile = 0;
  int sram_buf = m->buffer[MAP_OP_INPUT];
  bool overlap_io = true;
  for (size_t j = 0; j < a->n_buffers; j++) {
    port_bytes[j] = rd[j] + wr[j];
    const arch_buffer *b = &a->buffers[j];
    out->sram_reads[j] += rd[j] / (double)b->access_bytes;
    out->sram_writes[j] += wr[j] / (double)b->access_bytes;
    double t = port_bytes[j] / b->bytes_per_cycle;
    if (t > out->sram_cycles) {
      out->sram_cycles = t;
      sram_buf = (int)j;
    }
  }
  for (int op = 0; op < MAP_OPS; op++)
    if (!a->buffers[m->buffer[op]].double_buffered) overlap_io = false;
  sram_tile = out->sram_cycles / ntiles;

  /* Cycles: the first tile's loads and the DRAM latency, then one period per further tile,
   * grouped by the outermost loop that advances (class q; an operand moves in class q when
   * one of its loops is at position >= q), then the last tile's store and drain. */
  double share[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) share[op] = dram_cycles_op[op] / events[op];
  double st_share = p->on_chip[MAP_OP_OUTPUT] ? 0 : store_burst / bpc / events[MAP_OP_OUTPUT];
  double lp_share = p->on_chip[MAP_OP_OUTPUT] ? 0 : psum_burst / bpc / events[MAP_OP_OUTPUT];
  double dram_total = 0;
  for (int op = 0; op < MAP_OPS; op++) dram_total += dram_cycles_op[op];
  /* A merged schedule runs the innermost loop's tiles as one fold (a unit): the transfers of
   * those tiles are the unit's, and its output tiles are stored after the fold. */
  int n = nest.n, inner[MAP_OPS];
  memcpy(inner, innermost, sizeof inner);
  double units = ntiles;
  bool merged = ar == &c->streamed && c->merged && n > 0;
  /* The operands whose tiles change along the merged loop: the program loads (or stores) a
   * unit's k >= 2 tiles of each into its slots in turn (program.c), so the next unit's
   * transfers into them wait for this unit's fold, double-buffered or not (the test vector
   * array 4x16, B1 M12 K96 N2 OS in units of four M tiles, DRAM latency 100: 374 cycles
   * priced as double-buffered units, 712 so, 721 on the cycle-level model). */
  unsigned unit_slots = 0;
  if (merged) {
    double k = (double)nest.count[n - 1];
    for (int op = 0; op < MAP_OPS; op++)
      if (inner[op] == n - 1) {
        unit_slots |= 1u << op;
        share[op] *= k;
        inner[op] = n - 2;
        if (op == MAP_OP_OUTPUT) {
          st_share *= k;
          lp_share *= k;
        }
      }
    units = ntiles / k;
    n--;
  }
  /* Tiles (units) per load of each operand: the loops inside its innermost one. */
  double block[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    block[op] = 1;
    for (int i = inner[op] + 1; i < n; i++) block[op] *= (double)nest.count[i];
  }
  double compute_tile = map__maxd(ar->array_cycles / units, out->sram_cycles / units);
  /* The epilogue of one unit's outputs (the SIMD unit runs it between the fold and the store). */
  /* The epilogue of one output tile (one unit's outputs when merged): the SIMD unit runs it
   * between the tile's last fold and its store. */
  double out_tiles = events[MAP_OP_OUTPUT];
  for (int i = 0; i <= innermost[MAP_OP_OUTPUT]; i++)
    if (!(map_op_dims[MAP_OP_OUTPUT] & (1u << nest.dim[i]))) out_tiles /= (double)nest.count[i];
  if (merged && innermost[MAP_OP_OUTPUT] == nest.n - 1) out_tiles /= (double)nest.count[nest.n - 1];
  double epi_unit = p->epilogue_cycles * map__elements(p->dim, MAP_OP_OUTPUT) / out_tiles;
  /* A period carries one unit's port bytes with its epilogue's; a step on the SIMD unit runs
   * its epilogue on the same unit, after each unit's own work. */
  double floor_t = (port_ab + epi_ab) / units;
  /* (A piece whose bytes outlast its SIMD cycles takes the whole port until they are done.) */
  map__epi_share share_epi = {port_ab / units, epi_ab / out_tiles,
                              map__maxd(epi_unit, epi_ab / out_tiles), fold_ab / units};
  if (m->unit == MAP_UNIT_SIMD && epi_unit > 0)
    floor_t = map__maxd(floor_t, ar->array_cycles / units + epi_unit);
  /* The first unit's loads are of full tiles (remainders come last in every loop), longer than
   * the average share where an operand has edge tiles. */
  double first_load = 0, first_port = 0; /* first_port: the loads' cycles on the bound port */
  for (int op = 0; op < 2; op++) {
    if (p->on_chip[op]) continue;
    int whole = merged && innermost[op] == nest.n - 1 ? nest.dim[nest.n - 1] : -1;
    double eb = map__elem_bytes(a, op, false);
    double f = map__first_burst_bytes(p, m->tile, op, eb, whole) / bpc;
    if (out->layout[op] == MAP_LAYOUT_STRIDED) f /= MAP_STRIDED_DMA_EFFICIENCY;
    /* The DMA engine holds a load until its destination buffer's port has taken the bytes
     * (sim/model.cpp): a port narrower than the DRAM channel sets the load's time. */
    double elems = 1;
    for (int d = 0; d < MAP_DIMS; d++)
      if (map_op_dims[op] & (1u << d)) elems *= (double)(d == whole ? p->dim[d] : m->tile[d]);
    double port = elems * eb / a->buffers[m->buffer[op]].bytes_per_cycle;
    first_load += map__maxd(f, port);
    if (m->buffer[op] == sram_buf) first_port += port;
  }
  double latency = map_dram_latency_cycles(a);
  /* While the first loads' data is on its way, the in-order queue goes on to the next loads
   * that wait for no fold: with no store queued (the output on chip) and a double-buffered
   * bound buffer, each operand's second load, into its other slot; their port cycles, up to
   * the latency, are spent before the first fold too (cloud-128 dense q: 141 cycles). */
  if (p->on_chip[MAP_OP_OUTPUT] && a->buffers[sram_buf].double_buffered) {
    double ahead = 0;
    for (int op = 0; op < 2; op++)
      if (!p->on_chip[op] && m->buffer[op] == sram_buf && events[op] > 1)
        ahead += map__elements(m->tile, op) * map__elem_bytes(a, op, false) /
                 a->buffers[sram_buf].bytes_per_cycle;
    first_port += fmin(latency, ahead);
  }
  /* The first fold waits for the DRAM latency only where it waits for a load: a step whose
   * input and weight are both on chip (a fused chain's) starts at once, its stores posted
   * (eyeriss-like B1 M2 K1 N7, all on chip: 22 cycles where the cycle-level model ran 2). */
  double first_latency = p->on_chip[MAP_OP_INPUT] && p->on_chip[MAP_OP_WEIGHT] ? 0 : latency;
  double cycles = first_load + first_latency + compute_tile;
  /* Where the bound port sets the tiles' compute, every unit's share of it carries an average
   * share of the loads, and the first unit's loads are already in first_load: the periods
   * give back up to those loads' port cycles, no more than the port added over the array's
   * own compute (the same periods priced with the array's compute alone). */
  double c_arr = ar->array_cycles / units, port_extra = 0, t_inner_arr = 0;
  bool port_bound = first_port > 0 && compute_tile > c_arr;
  if (port_bound) port_extra = compute_tile - c_arr;
  double t_inner = 0;
  bool even = true;
  for (int d = 0; d < MAP_DIMS; d++)
    if (p->dim[d] % m->tile[d] != 0) even = false;
  for (int q = n - 1; q >= 0; q--) {
    double t_one;
    /* The innermost class's periods as one run from the step's first tile (no other class),
     * of even tiles (with a remainder tile the averaged folds and pieces of a short run are
     * short of the simulator's: cloud-128 TT s4, M tiles of 256 and 128, +10%). */
    double run = q == n - 1 && even && nest.count[q] - 1 == units - 1 ? units - 1 : 0;
    double t = map__class_period(a, p, m, inner, q, share, st_share, lp_share, compute_tile,
                                 latency, ar->fill_drain, epi_unit, q == n - 1 ? -1 : t_inner,
                                 inner_iters(nest.count, q, n), merged, &share_epi, run,
                                 unit_slots, block, &t_one);
    /* The epilogue's share of the port and the SIMD unit bound the average period (a run's
     * single periods may be shorter: then the two-fold chain no longer alternates them). */
    bool alternates = t > t_one && t >= floor_t;
    t = map__maxd(t, floor_t);
    double cnt_q = (double)(nest.count[q] - 1);
    for (int i = 0; i < q; i++) cnt_q *= (double)nest.count[i];
    if (port_bound) {
      double t_one_arr, t_arr = map__class_period(a, p, m, inner, q, share, st_share, lp_share, c_arr,
                                       latency, ar->fill_drain, epi_unit,
                                       q == n - 1 ? -1 : t_inner_arr,
                                       inner_iters(nest.count, q, n), merged, &share_epi,
                                       run, unit_slots, block, &t_one_arr);
      bool alternates_arr = t_arr > t_one_arr && t_arr >= floor_t;
      t_arr = map__maxd(t_arr, floor_t);
      if (q == n - 1) t_inner_arr = t_arr;
      /* The periods as priced, each with its own odd-run give-back (below): the port adds
       * the difference, no more (with t - t_arr the give-back came twice). */
      double priced = cnt_q * t, priced_arr = cnt_q * t_arr;
      if (q == n - 1 && (nest.count[q] - 1) % 2 == 1) {
        if (alternates) priced -= t - t_one;
        if (alternates_arr) priced_arr -= t_arr - t_one_arr;
      }
      port_extra += map__maxd(0, priced - priced_arr);
    }
    if (q == n - 1) {
      t_inner = t;
      /* Where the two-fold chain sets the innermost period (t > t_one), a run of its tiles
       * alternates t_one and 2 t - t_one: the first tile after the step's first has no fold two
       * before it. An even run averages t; an odd first run saves t - t_one once (a step of two
       * tiles runs them t_one apart). Later runs follow another class's tile: priced at t. */
      if (alternates && (nest.count[q] - 1) % 2 == 1) cycles -= t - t_one;
    }
    double cnt = (double)(nest.count[q] - 1);
    for (int i = 0; i < q; i++) cnt *= (double)nest.count[i];
    cycles += cnt * t;
  }
  cycles -= fmin(first_port, port_extra);
  (void)overlap_io;
  (void)sram_tile;
  /* The last unit's drain, epilogue and store. */
  cycles += (p->on_chip[MAP_OP_OUTPUT] ? 0 : st_share) + ar->fill_drain + epi_unit;

  /* The layout transforms run on the SIMD unit before the first fold, beside the first tile's
   * loads (the program does not order them): the first fold starts when both are done. */
  if (!opt->memory_stalls) cycles = ar->array_cycles + ar->fill_drain + out->layout_cycles;
  else cycles += map__maxd(0, out->layout_cycles - (first_load + first_latency));
  cycles = map__cycles_round(cycles);
  out->cycles = cycles;
  bool simd = m->unit == MAP_UNIT_SIMD;
  double compute = ar->array_cycles + ar->fill_drain;
  out->array_cycles = simd ? 0 : compute;
  out->simd_cycles = simd ? compute : 0;
  out->dram_cycles = dram_total;
  out->tiles = c->tiles;
  out->fold_units = units;
  out->epilogue_timed = epi_unit > 0 && opt->memory_stalls;

  out->bound_buffer = sram_buf;
  map_cost_bound(out, opt->memory_stalls);

  /* Events and energy (mapper/energy.c: the same pricing the cycle-level model uses). */
  int64_t macs = 1;
  for (int d = 0; d < MAP_DIMS; d++) macs *= p->dim[d];
  out->macs = macs;
  energy_events ev;
  memset(&ev, 0, sizeof ev);
  if (simd) {
    simd_lane_ops += ar->reg; /* busy lane-cycles of the step's own MACs */
  } else {
    out->reg_accesses = ar->reg;
    ev.macs = (double)macs;
    ev.reg_accesses = ar->reg;
  }
  ev.dram_bytes = out->dram_bytes;
  ev.simd_lane_ops = simd_lane_ops;
  ev.cycles = cycles;
  memcpy(ev.sram_reads, out->sram_reads, sizeof ev.sram_reads);
  memcpy(ev.sram_writes, out->sram_writes, sizeof ev.sram_writes);
  energy_breakdown eb;
  energy_eval(a, &ev, &eb);
  out->mac_pj = eb.mac_pj;
  out->reg_pj = eb.reg_pj;
  out->dram_pj = eb.dram_pj;
  out->simd_pj = eb.simd_pj;
  memcpy(out->buffer_pj, eb.buffer_pj, sizeof out->buffer_pj);
  out->leak_pj = eb.leak_pj;
  double energy = eb.total_pj;
  out->energy_j = energy * 1e-12;
  out->latency_s = cycles / (a->clock_ghz * 1e9);
  out->edp_js = out->energy_j * out->latency_s;
  double peak = a->array.kind == ARCH_ARRAY_VECTOR
                    ? (double)a->array.lanes * a->array.width
                    : (double)a->array.rows * a->array.cols;
  if (simd)
    out->utilization = cycles > 0 ? ar->reg / (cycles * (a->simd.lanes > 0 ? a->simd.lanes : 1)) : 0;
  else
    out->utilization = cycles > 0 ? (double)macs / (cycles * peak) : 0;
}

double map_cycles_round(double cycles) { return map__cycles_round(cycles); }

int map_problem_check(const map_problem *p, heat_error *err) {
  int64_t macs = 1;
  bool over = false;
  for (int d = 0; d < MAP_DIMS; d++) {
    if (p->dim[d] < 1)
      return heat_error_set(err, HEAT_EINVAL, "map_problem",
                            "GEMM dimension %d is %lld; must be >= 1", d, (long long)p->dim[d]);
    if (!over && __builtin_mul_overflow(macs, p->dim[d], &macs)) over = true;
  }
  if (over || macs > MAP_MAX_MACS)
    return heat_error_set(err, HEAT_ERANGE, MAP_SIZE_WHERE,
                          "GEMM B x M x K x N = %lld x %lld x %lld x %lld is more than %lld "
                          "MACs (2^53, the most the cost model counts exactly)",
                          (long long)p->dim[0], (long long)p->dim[1], (long long)p->dim[2],
                          (long long)p->dim[3], (long long)MAP_MAX_MACS);
  return HEAT_OK;
}

static const char *const map__op_name[MAP_OPS] = {"input", "weight", "output"};

int map_eval(const arch *a, const map_problem *p, const map_options *opt, const map_mapping *m,
             map_cost *out, heat_error *err) {
  int rc = map_problem_check(p, err);
  if (rc) return rc;
  for (int d = 0; d < MAP_DIMS; d++) {
    if (m->tile[d] < 1 || m->tile[d] > p->dim[d])
      return heat_error_set(err, HEAT_EINVAL, "map_eval",
                            "tile %lld of dimension %d is outside 1..%lld", (long long)m->tile[d],
                            d, (long long)p->dim[d]);
  }
  unsigned seen = 0;
  for (int i = 0; i < 3; i++) {
    int d = m->order[i];
    if (d < MAP_DIM_M || d > MAP_DIM_N || (seen & (1u << d)))
      return heat_error_set(err, HEAT_EINVAL, "map_eval",
                            "loop order must be a permutation of m, k, n");
    seen |= 1u << d;
  }
  bool simd = m->unit == MAP_UNIT_SIMD;
  if (m->unit != MAP_UNIT_ARRAY && !simd)
    return heat_error_set(err, HEAT_EINVAL, "map_eval", "unknown compute unit %d", (int)m->unit);
  if (!simd && !fold_dataflow_supported(&a->array, m->dataflow))
    return heat_error_set(err, HEAT_EINVAL, "map_eval", "arch '%s' does not offer dataflow %s",
                          a->name, arch_dataflow_name(m->dataflow));
  int64_t pack = m->batch_pack > 1 ? m->batch_pack : 1;
  if (pack > 1 && (simd || pack > m->tile[MAP_DIM_B] ||
                   pack > fold_batch_pack(&a->array, m->dataflow, m->tile[MAP_DIM_M],
                                          m->tile[MAP_DIM_K], m->tile[MAP_DIM_N])))
    return heat_error_set(err, HEAT_EINVAL, "map_eval",
                          "%lld batch elements per fold do not fit on the array's diagonal "
                          "(tile M x K x N = %lld x %lld x %lld, dataflow %s)",
                          (long long)pack, (long long)m->tile[MAP_DIM_M],
                          (long long)m->tile[MAP_DIM_K], (long long)m->tile[MAP_DIM_N],
                          arch_dataflow_name(m->dataflow));
  double need[ARCH_MAX_BUFFERS] = {0}, fp[MAP_OPS];
  map__footprint(a, p, m->tile, fp);
  for (int op = 0; op < MAP_OPS; op++) {
    int b = m->buffer[op];
    if (b < 0 || (size_t)b >= a->n_buffers)
      return heat_error_set(err, HEAT_EINVAL, "map_eval", "buffer index %d of the %s is invalid",
                            b, map__op_name[op]);
    if (!(a->buffers[b].operands & (1u << op)) || (p->buffers[op] && !(p->buffers[op] & (1u << b))))
      return heat_error_set(err, HEAT_EINVAL, "map_eval", "buffer '%s' may not hold the %s",
                            a->buffers[b].name, map__op_name[op]);
    need[b] += fp[op];
  }
  for (size_t j = 0; j < a->n_buffers; j++)
    if (need[j] > map__usable(&a->buffers[j]))
      return heat_error_set(err, HEAT_ENOFIT, a->buffers[j].name,
                            "buffer '%s' has %.0f usable bytes%s but the tiles need %.0f",
                            a->buffers[j].name, map__usable(&a->buffers[j]),
                            a->buffers[j].double_buffered ? " (half, double-buffered)" : "",
                            need[j]);
  if (!map__reserved_fit(a, p, m->buffer, fp))
    return heat_error_set(err, HEAT_ENOFIT, "fuse",
                          "%.0f bytes kept on chip for later steps do not fit beside the tiles",
                          p->reserved_bytes);
  map__compute c;
  if (simd) map__simd_compute_eval(a, p->dim, m->tile, &c);
  else map__compute_eval_packed(a, m->dataflow, opt->timing, pack, p->dim, m->tile, &c);
  map__bursts bursts;
  map__bursts_eval(a, p, m->tile, &bursts);
  map__memory_eval(a, p, opt, m, &c, &bursts, out);
  return HEAT_OK;
}

double map_objective_value(map_objective obj, const map_cost *c) {
  switch (obj) {
  case MAP_OBJECTIVE_LATENCY: return c->cycles;
  case MAP_OBJECTIVE_ENERGY: return c->energy_j;
  default: return c->edp_js;
  }
}

bool map_cost_better(map_objective obj, const map_cost *x, const map_cost *y) {
  double vx = map_objective_value(obj, x), vy = map_objective_value(obj, y);
  if (vx != vy) return vx < vy;
  return obj == MAP_OBJECTIVE_LATENCY ? x->energy_j < y->energy_j : x->cycles < y->cycles;
}

const char *map_objective_name(map_objective obj) {
  return obj == MAP_OBJECTIVE_LATENCY ? "latency" : obj == MAP_OBJECTIVE_ENERGY ? "energy" : "edp";
}

int map_objective_parse(const char *text, map_objective *out, heat_error *err) {
  for (int o = 0; o <= MAP_OBJECTIVE_EDP; o++)
    if (strcmp(text, map_objective_name((map_objective)o)) == 0) {
      *out = (map_objective)o;
      return HEAT_OK;
    }
  return heat_error_set(err, HEAT_EINVAL, "--objective",
                        "unknown objective '%s'; allowed: latency, energy, edp", text);
}

int map_timing_parse(const char *text, fold_timing *out, heat_error *err) {
  if (strcmp(text, "scalesim") == 0) *out = FOLD_TIMING_SCALESIM;
  else if (strcmp(text, "overlap") == 0) *out = FOLD_TIMING_OVERLAP;
  else
    return heat_error_set(err, HEAT_EINVAL, "--timing",
                          "unknown timing mode '%s'; allowed: scalesim, overlap", text);
  return HEAT_OK;
}

const char *map_bound_name(map_bound b) {
  static const char *const names[] = {"array", "dram", "sram", "layout", "simd"};
  return (unsigned)b < 5 ? names[b] : "?";
}

void map_cost_bound(map_cost *c, bool memory_stalls) {
  c->pipe_bound = MAP_BOUND_ARRAY;
  double worst = c->array_cycles;
  if (memory_stalls && c->dram_cycles > worst) {
    worst = c->dram_cycles;
    c->pipe_bound = MAP_BOUND_DRAM;
  }
  if (memory_stalls && c->sram_cycles > worst) {
    worst = c->sram_cycles;
    c->pipe_bound = MAP_BOUND_SRAM;
  }
  if (c->simd_cycles > worst) c->pipe_bound = MAP_BOUND_SIMD;
  /* Layout runs after the pipeline: it bounds the step when it takes the larger share. */
  c->bound = c->layout_cycles > c->cycles - c->layout_cycles ? MAP_BOUND_LAYOUT : c->pipe_bound;
}

void map_bound_text(const map_cost *c, char *buf, size_t n) {
  double serial = c->layout_cycles, pipe = c->cycles - serial;
  const char *first = map_bound_name(c->bound);
  const char *other = c->bound == MAP_BOUND_LAYOUT ? map_bound_name(c->pipe_bound) : "layout";
  double other_cycles = c->bound == MAP_BOUND_LAYOUT ? pipe : serial;
  if (c->cycles > 0 && other_cycles * 3 >= c->cycles)
    snprintf(buf, n, "%s+%s", first, other);
  else
    snprintf(buf, n, "%s", first);
}

const char *map_layout_name(map_layout l) {
  static const char *const names[] = {"none", "simd", "strided-dma"};
  return (unsigned)l < 3 ? names[l] : "?";
}
