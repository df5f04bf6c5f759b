#include "mapper/mapspace_units.h"

#include <string.h>

/* Array extent each GEMM dimension is mapped on under a dataflow (1 = streamed). */
static void map__extents(const arch *a, arch_dataflow df, int64_t *unit) {
  int64_t r, c;
  if (a->array.kind == ARCH_ARRAY_VECTOR) {
    r = a->array.width;
    c = a->array.lanes;
  } else {
    r = a->array.rows;
    c = a->array.cols;
  }
  for (int d = 0; d < MAP_DIMS; d++) unit[d] = 1;
  switch (df) {
  case ARCH_DATAFLOW_OS:
    if (a->array.kind == ARCH_ARRAY_VECTOR) {
      unit[MAP_DIM_K] = r;
      unit[MAP_DIM_N] = c;
    } else {
      unit[MAP_DIM_M] = r;
      unit[MAP_DIM_N] = c;
    }
    break;
  case ARCH_DATAFLOW_WS: unit[MAP_DIM_K] = r; unit[MAP_DIM_N] = c; break;
  default: unit[MAP_DIM_K] = r; unit[MAP_DIM_M] = c; break;
  }
}

int map__array_configs(const arch *a, const map_problem *p, const map_options *opt,
                       map__config *out) {
  int n = 0;
  for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++) {
    if (!fold_dataflow_supported(&a->array, (arch_dataflow)df)) continue;
    if (opt->dataflows && !(opt->dataflows & (1u << df))) continue;
    map__config *c = &out[n++];
    memset(c, 0, sizeof *c);
    c->unit = MAP_UNIT_ARRAY;
    c->dataflow = (arch_dataflow)df;
    c->pack = 1;
    map__extents(a, c->dataflow, c->extent);
    if (opt->array_only || p->dim[MAP_DIM_B] < 2) continue;
    /* Spatial extents at most the array's are never tiled (their tile is the whole
     * dimension), so the pack of the whole step holds for every tile. */
    int64_t pack = fold_batch_pack(&a->array, c->dataflow, p->dim[MAP_DIM_M],
                                   p->dim[MAP_DIM_K], p->dim[MAP_DIM_N]);
    if (pack > p->dim[MAP_DIM_B]) pack = p->dim[MAP_DIM_B];
    if (pack < 2) continue;
    out[n] = *c;
    out[n].pack = pack;
    out[n].extent[MAP_DIM_B] = pack; /* B tiles hold whole fold groups */
    n++;
  }
  return n;
}

void map__simd_config(map__config *out) {
  memset(out, 0, sizeof *out);
  out->unit = MAP_UNIT_SIMD;
  out->pack = 1;
  for (int d = 0; d < MAP_DIMS; d++) out->extent[d] = 1;
}

bool map__simd_bound(const arch *a, const map_problem *p, const map_options *opt, map_cost *lb) {
  /* The SIMD unit is no array: --no-stalls prices the array alone, as SCALE-Sim does, and a
   * fixed --dataflow says how the array runs the step. */
  if (opt->array_only || !opt->memory_stalls || opt->dataflows || a->simd.lanes < 1) return false;
  fold_simd_stats st;
  const int64_t *d = p->dim;
  fold_simd_eval(&a->simd, d[MAP_DIM_B], d[MAP_DIM_M], d[MAP_DIM_K], d[MAP_DIM_N], false, &st);
  double cycles = (double)st.lane_cycles / a->simd.lanes;
  double dram = 0;
  for (int op = 0; op < MAP_OPS; op++) {
    if (p->on_chip[op]) continue;
    double elems = 1;
    for (int k = 0; k < MAP_DIMS; k++)
      if (k == MAP_DIM_B || (op == MAP_OP_INPUT && k != MAP_DIM_N) ||
          (op == MAP_OP_WEIGHT && k != MAP_DIM_M) || (op == MAP_OP_OUTPUT && k != MAP_DIM_K))
        elems *= (double)d[k];
    dram += elems * (op == MAP_OP_WEIGHT ? a->weight_bits : a->input_bits) / 8.0;
  }
  memset(lb, 0, sizeof *lb);
  lb->cycles = cycles;
  lb->energy_j = ((double)st.lane_cycles * a->simd.op_pj + dram * a->dram.pj_per_byte +
                  a->leakage_mw * cycles / a->clock_ghz) * 1e-12;
  lb->latency_s = cycles / (a->clock_ghz * 1e9);
  lb->edp_js = lb->energy_j * lb->latency_s;
  return true;
}

bool map__simd_worth(const arch *a, const map_problem *p, const map_options *opt,
                     const map_cost *best) {
  /* An alternative for steps the array runs poorly, not a way around buffers too small for
   * the array's smallest tile. */
  map_cost lb;
  if (!best || !map__simd_bound(a, p, opt, &lb)) return false;
  return map_objective_value(opt->objective, &lb) <= map_objective_value(opt->objective, best);
}

void map__config_compute(const arch *a, const map_options *opt, const map__config *cfg,
                         const int64_t *dim, const int64_t *tile, map__compute *out) {
  if (cfg->unit == MAP_UNIT_SIMD) map__simd_compute_eval(a, dim, tile, out);
  else map__compute_eval_packed(a, cfg->dataflow, opt->timing, cfg->pack, dim, tile, out);
}
