#include "cli/map_report.h"

#include <math.h>
#include <string.h>

#include "common/heat_csv.h"
#include "mapper/energy.h"

static const char map_report_dims[] = "bmkn";

static double map_report_times(const layer_item *it) {
  return (double)(it->count > 0 ? it->count : 1) * (double)(it->repeat > 0 ? it->repeat : 1);
}

static void map_report_order(const map_mapping *m, char *out) {
  for (int i = 0; i < 3; i++) {
    out[2 * i] = map_report_dims[m->order[i]];
    out[2 * i + 1] = i < 2 ? '>' : '\0';
  }
}

/* "ws", "ws, 16 batch elements per fold on the array diagonal", or "simd unit". */
static void map_report_unit(const map_mapping *m, char *out, size_t cap) {
  if (m->unit == MAP_UNIT_SIMD) snprintf(out, cap, "simd unit");
  else if (m->batch_pack > 1)
    snprintf(out, cap, "%s, %lld batch elements per fold on the array diagonal",
             arch_dataflow_name(m->dataflow), (long long)m->batch_pack);
  else snprintf(out, cap, "%s", arch_dataflow_name(m->dataflow));
}

static void map_report_energy(FILE *out, const arch *a, const map_cost *c) {
  fprintf(out, "  energy    %.4g J: mac %.3g, reg %.3g", c->energy_j, c->mac_pj * 1e-12,
          c->reg_pj * 1e-12);
  for (size_t j = 0; j < a->n_buffers; j++)
    fprintf(out, ", %s %.3g", a->buffers[j].name, c->buffer_pj[j] * 1e-12);
  fprintf(out, ", dram %.3g, simd %.3g, leakage %.3g\n", c->dram_pj * 1e-12, c->simd_pj * 1e-12,
          c->leak_pj * 1e-12);
}

/* Static power x runtime per component (arch/README.md), and the area it comes with. */
static void map_report_leakage(FILE *out, const arch *a, double cycles) {
  arch_component c[ARCH_MAX_COMPONENTS];
  double pj[ARCH_MAX_COMPONENTS];
  size_t k = energy_leakage_split(a, cycles, c, pj);
  fprintf(out, "\nleakage: %.4g J (%.4g mW x runtime):", energy_leakage_pj(a, cycles) * 1e-12,
          a->leakage_mw);
  for (size_t i = 0; i < k; i++) fprintf(out, "%s %s %.3g", i ? "," : "", c[i].name, pj[i] * 1e-12);
  fprintf(out, "; chip area %.4g mm2\n", a->area_mm2);
}

/* Where the op's activations lived and the DRAM bytes that saved against pricing it alone. */
static void map_report_flow(FILE *out, const layer_item *it) {
  if (!it->has_flow && !it->produces) return;
  fprintf(out, "  flow     ");
  if (it->has_flow) fprintf(out, " input from %s%s", flow_place_name(it->input_place),
                            it->produces ? "," : "");
  if (it->produces)
    fprintf(out, " output to %s, %.0f activation DRAM bytes saved", flow_place_name(it->output_place),
            it->flow_saved_bytes * map_report_times(it));
  fprintf(out, "\n");
}

static void map_report_item(FILE *out, const arch *a, const layer_item *it) {
  const map_cost *c = &it->result.cost;
  const map_mapping *m = &it->result.mapping;
  const int64_t *d = it->problem.dim;
  fprintf(out, "\nstep %s%s%s", it->name, it->view[0] ? ": " : "", it->view);
  if (it->token_tiles > 1)
    fprintf(out, " (x%.0f: token tiles %lld)", map_report_times(it), (long long)it->token_tiles);
  else if (map_report_times(it) > 1)
    fprintf(out, " (x%.0f)", map_report_times(it));
  fprintf(out, "\n");
  char bound[32];
  map_bound_text(c, bound, sizeof bound);
  if (it->offline) {
    fprintf(out, "  offline   pre-computed once into the stored weights (%lld MACs before "
                 "inference); not run, not priced\n",
            (long long)it->offline_macs);
    return;
  }
  if (it->epilogue_of[0]) {
    fprintf(out, "  epilogue  runs in the output epilogue of %s (priced there)\n", it->epilogue_of);
    return;
  }
  if (it->simd) {
    fprintf(out, "  simd      cycles %.0f, bound by %s, dram %.0f bytes\n", c->cycles, bound,
            c->dram_bytes);
    map_report_flow(out, it);
    map_report_energy(out, a, c);
    return;
  }
  char order[8];
  map_report_order(m, order);
  /* GEMM sizes in heat's one order, B then M,N,K (as --gemm M,N,K reads them). */
  fprintf(out, "  gemm      B=%lld M=%lld N=%lld K=%lld, %lld MACs%s\n", (long long)d[0],
          (long long)d[1], (long long)d[3], (long long)d[2], (long long)c->macs,
          it->fused ? ", output kept on chip for the next step" : "");
  char unit[96];
  map_report_unit(m, unit, sizeof unit);
  fprintf(out, "  mapping   %s, tiles B=%lld M=%lld N=%lld K=%lld (%lld tiles), loops %s, "
               "input->%s weight->%s output->%s\n",
          unit, (long long)m->tile[0], (long long)m->tile[1],
          (long long)m->tile[3], (long long)m->tile[2], (long long)c->tiles, order,
          a->buffers[m->buffer[0]].name, a->buffers[m->buffer[1]].name,
          a->buffers[m->buffer[2]].name);
  for (int op = 0; op < 2; op++)
    if (c->layout[op] != MAP_LAYOUT_NONE)
      fprintf(out, "  layout    %s permuted by %s\n", op ? "weight" : "input",
              map_layout_name(c->layout[op]));
  bool on_simd = m->unit == MAP_UNIT_SIMD;
  fprintf(out, "  cycles    %.0f, utilization %.1f%%%s, bound by %s%s%s (%s %.0f, dram %.0f, "
               "sram %.0f",
          c->cycles, 100 * c->utilization, on_simd ? " of the SIMD lanes" : "", bound,
          c->bound == MAP_BOUND_SRAM ? " " : "",
          c->bound == MAP_BOUND_SRAM ? a->buffers[c->bound_buffer].name : "",
          on_simd ? "simd" : "array", on_simd ? c->simd_cycles : c->array_cycles,
          c->dram_cycles, c->sram_cycles);
  if (c->layout_cycles > 0) fprintf(out, ", layout %.0f serial", c->layout_cycles);
  if (c->simd_cycles > 0 && !on_simd) fprintf(out, ", epilogue %.0f", c->simd_cycles);
  fprintf(out, ")\n");
  if (it->epilogue[0])
    fprintf(out, "  epilogue  %s %s, overlapped with the tiles\n", it->epilogue,
            a->array.output_stage ? "in the array's output stage" : "on the simd unit");
  map_report_flow(out, it);
  fprintf(out, "  dram      %.0f bytes (read %.0f, written %.0f)\n", c->dram_bytes,
          c->dram_read_bytes, c->dram_write_bytes);
  map_report_energy(out, a, c);
  if (it->cached[0])
    fprintf(out, "  edp       %.4g J*s per run (cached: same GEMM as step %s)\n", c->edp_js,
            it->cached);
  else
    fprintf(out, "  edp       %.4g J*s per run; %lld mappings evaluated, %lld tilings failed the "
                 "capacity check\n",
            c->edp_js, (long long)it->result.evaluated, (long long)it->result.rejected);
}

/* Per-component (model op) sums, in order of first appearance. */
static void map_report_components(FILE *out, const layer_item *items, size_t n, double total_s,
                                  double total_j, double clock_ghz) {
  fprintf(out, "\nper component (all layers)      cycles    latency share   energy J   energy "
               "share\n");
  for (size_t i = 0; i < n; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = items[j].part == items[i].part && strcmp(items[j].op, items[i].op) == 0;
    if (seen) continue;
    double cyc = 0, e = 0;
    for (size_t j = i; j < n; j++)
      if (items[j].part == items[i].part && strcmp(items[j].op, items[i].op) == 0) {
        cyc += map_report_times(&items[j]) * items[j].result.cost.cycles;
        e += map_report_times(&items[j]) * items[j].result.cost.energy_j;
      }
    char name[64];
    snprintf(name, sizeof name, "%s.%s", model_part_name(items[i].part), items[i].op);
    double s = cyc / (clock_ghz * 1e9);
    fprintf(out, "  %-28s %12.0f %9.1f%% %12.4g %9.1f%%\n", name, cyc,
            total_s > 0 ? 100 * s / total_s : 0, e, total_j > 0 ? 100 * e / total_j : 0);
  }
}

/* The factorized linears: their factors, and what the accelerator stores once pre-computation
 * folded the weight-only steps (per instance; the totals are over all layers). */
static void map_report_stored(FILE *out, const map_report_scope *scope) {
  const layer_report *r = scope->rep;
  if (!r->n_stored) return;
  fprintf(out, "\nstored weights (--precompute %s; per instance: factors, then what the "
               "accelerator stores after pre-computation)\n",
          path_precompute_name(scope->precompute));
  int64_t factors = 0, stored = 0, dense = 0;
  for (size_t i = 0; i < r->n_stored; i++) {
    const layer_stored *st = &r->stored[i];
    int64_t k = st->part == MODEL_PART_BLOCK ? r->layers : 1;
    char name[64];
    snprintf(name, sizeof name, "%s.%s", model_part_name(st->part), st->op);
    fprintf(out, "  %-16s factors %lld, stored %lld (%zu step%s folded offline), dense %lld, "
                 "compression %.4g (stored / dense)\n",
            name, (long long)st->factor_params, (long long)st->stored_params, st->offline_steps,
            st->offline_steps == 1 ? "" : "s", (long long)st->dense_params,
            (double)st->stored_params / (double)st->dense_params);
    factors += k * st->factor_params;
    stored += k * st->stored_params;
    dense += k * st->dense_params;
  }
  fprintf(out, "  %-16s factors %lld, stored %lld, dense %lld, compression %.4g\n",
          "all layers", (long long)factors, (long long)stored, (long long)dense,
          (double)stored / (double)dense);
}

/* --layer all / ffn price the block's linears only: said on the total line. */
static const char *map_report_scope_note(const map_report_scope *scope) {
  if (!scope || !scope->layer) return "";
  if (strcmp(scope->layer, "all") == 0)
    return "; --layer all: the block's linears (and their bias adds) only";
  if (strcmp(scope->layer, "ffn") == 0)
    return "; --layer ffn: ffn1 and ffn2 (and their bias adds) only";
  return "";
}

/* The block's activations: where each lived and who read it. */
static void map_report_activations(FILE *out, const layer_report *rep) {
  const layer_flow *f = &rep->flow[MODEL_PART_BLOCK];
  const flow_plan *p = &f->plan;
  fprintf(out, "\nactivations (one block)        bytes  lives in  read by\n");
  char first[160] = "";
  size_t flen = 0;
  for (size_t c = 0; c < f->n; c++)
    for (int k = 0; k < p->op[c].n_inputs; k++)
      if (p->op[c].input[k] == FLOW_PART_INPUT && flen < sizeof first)
        flen += (size_t)snprintf(first + flen, sizeof first - flen, "%s%s", flen ? ", " : "", f->name[c]);
  fprintf(out, "  %-24s %9.0f  %-8s  %s\n", "(block input)", p->part_input_bytes,
          flow_place_name(p->part_input), first);
  for (size_t i = 0; i < f->n; i++) {
    const flow_op *o = &p->op[i];
    if (o->out == FLOW_EPILOGUE) continue;
    char who[160] = "";
    size_t len = 0;
    for (size_t c = 0; c < f->n; c++)
      for (int k = 0; k < p->op[c].n_inputs; k++)
        if (p->op[c].input[k] == (int)i && len < sizeof who)
          len += (size_t)snprintf(who + len, sizeof who - len, "%s%s", len ? ", " : "", f->name[c]);
    if (o->last_use >= (int)f->n && len < sizeof who)
      snprintf(who + len, sizeof who - len, "%sthe next block", len ? ", " : "");
    char name[64];
    if (o->epilogue_of >= 0) snprintf(name, sizeof name, "%s (in %s)", f->name[i], f->name[o->epilogue_of]);
    else snprintf(name, sizeof name, "%s", f->name[i]);
    fprintf(out, "  %-24s %9.0f  %-8s  %s\n", name, o->out_bytes, flow_place_name(o->out), who);
  }
  fprintf(out, "activation DRAM bytes per block: %.0f with the flow, %.0f pricing each op alone\n",
          p->flow_bytes, p->alone_bytes);
}

void map_report_text(FILE *out, const arch *a, const map_options *opt, const layer_item *items,
                     size_t n, const layer_report *model_rep, double saved_dram_bytes,
                     const map_report_scope *scope) {
  char summary[256];
  arch_summary(a, summary, sizeof summary);
  fprintf(out, "arch: %s (%s)\n", a->name, summary);
  if (opt->timing == FOLD_TIMING_OVERLAP)
    fprintf(out, "timing: overlap (fold overlap on: the next fold's stationary operand loads and "
                 "its skew runs under the current fold)\n");
  else
    fprintf(out, "timing: scalesim (fold overlap off: folds run back to back; cycles = SCALE-Sim "
                 "total + 1)\n");
  fprintf(out, "memory stalls: %s; objective: %s\n",
          opt->memory_stalls ? "charged (DRAM and SRAM ports)" : "not charged (array only)",
          map_objective_name(opt->objective));
  double cycles = 0, energy = 0, dram = 0, macs = 0;
  int64_t evaluated = 0;
  for (size_t i = 0; i < n; i++) {
    map_report_item(out, a, &items[i]);
    double k = map_report_times(&items[i]);
    const map_cost *c = &items[i].result.cost;
    cycles += k * c->cycles;
    energy += k * c->energy_j;
    dram += k * c->dram_bytes;
    macs += k * (double)c->macs;
    evaluated += items[i].result.evaluated;
  }
  double latency = cycles / (a->clock_ghz * 1e9);
  if (model_rep) {
    const hwpath_totals *b = &model_rep->block;
    fprintf(out, "\nper layer (one block, x%lld): %.0f cycles (%.4g s), %lld MACs, %.0f DRAM "
                 "bytes, %.4g J, EDP %.4g J*s\n",
            (long long)model_rep->layers, b->cycles, b->latency_s, (long long)b->macs,
            b->dram_bytes, b->energy_j, b->edp_js);
    map_report_components(out, items, n, latency, energy, a->clock_ghz);
  }
  if (model_rep) map_report_activations(out, model_rep);
  double flow_saved = 0;
  bool flowed = false;
  for (size_t i = 0; i < n; i++) {
    flow_saved += items[i].flow_saved_bytes * map_report_times(&items[i]);
    flowed = flowed || items[i].produces;
  }
  if (flowed)
    fprintf(out, "\nflow: %.0f activation DRAM bytes saved against pricing each operation alone "
               "(mapper/MAPPING.md)\n", flow_saved);
  bool chain = false;
  for (size_t i = 0; i < n; i++) chain = chain || items[i].view[0];
  if (saved_dram_bytes >= 0 && chain)
    fprintf(out, "\nfusion: %.0f DRAM bytes saved over the %s\n", saved_dram_bytes,
            model_rep ? "model" : "priced operations (all layers)");
  if (scope) map_report_stored(out, scope);
  map_report_leakage(out, a, cycles);
  fprintf(out, "\ntotal: %.0f cycles (%.4g s), %.0f MACs, %.0f DRAM bytes, %.4g J, EDP %.4g J*s, "
               "%lld mappings evaluated%s\n",
          cycles, latency, macs, dram, energy, energy * latency,
          (long long)(scope ? scope->rep->evaluated : evaluated),
          map_report_scope_note(scope));
}

/* The stored entry of a factorized op whose first step is items[i], or NULL. */
static const layer_stored *map_report_stored_of(const map_report_scope *scope,
                                                const layer_item *items, size_t i) {
  if (!scope || !items[i].view[0]) return NULL;
  if (i > 0 && items[i - 1].view[0] && items[i - 1].part == items[i].part &&
      strcmp(items[i - 1].op, items[i].op) == 0)
    return NULL;
  for (size_t k = 0; k < scope->rep->n_stored; k++)
    if (scope->rep->stored[k].part == items[i].part &&
        strcmp(scope->rep->stored[k].op, items[i].op) == 0)
      return &scope->rep->stored[k];
  return NULL;
}

void map_report_csv(FILE *out, const arch *a, const map_options *opt, const layer_item *items,
                    size_t n, double saved_dram_bytes, const map_report_scope *scope) {
  fprintf(out, "step,view,count,repeat,timing,b,m,n,k,unit,dataflow,batch_per_fold,tile_b,"
               "tile_m,tile_n,tile_k,"
               "loop_order,cycles,latency_s,macs,utilization,bound,dram_bytes,mac_energy_j,"
               "reg_energy_j");
  for (size_t j = 0; j < a->n_buffers; j++) fprintf(out, ",%s_energy_j", a->buffers[j].name);
  fprintf(out, ",dram_energy_j,simd_energy_j,leakage_energy_j,energy_j,edp_js,"
               "mappings_evaluated,token_tiles,saved_dram_bytes,input_in,output_in,epilogue,"
               "flow_saved_dram_bytes,objective,offline,factor_params,stored_params\n");
  const char *timing = fold_timing_name(opt->timing);
  const char *objective = map_objective_name(opt->objective);
  double flow_saved = 0;
  double cycles = 0, energy = 0, dram = 0, macs = 0, comp[5 + ARCH_MAX_BUFFERS] = {0};
  int64_t factor_params = 0, stored_params = 0;
  int64_t evaluated = 0;
  for (size_t i = 0; i < n; i++) {
    const layer_item *it = &items[i];
    const map_cost *c = &it->result.cost;
    const map_mapping *m = &it->result.mapping;
    const int64_t *d = it->problem.dim;
    double k = map_report_times(it);
    /* A path step's view is an einsum with a comma: quoted (RFC 4180), empty left empty. */
    heat_csv_field(out, it->name);
    fputc(',', out);
    if (it->view[0]) heat_csv_field_quoted(out, it->view);
    fprintf(out, ",%lld,%lld,%s,", (long long)(it->offline ? 0 : it->count ? it->count : 1),
            (long long)(it->repeat ? it->repeat : 1), timing);
    if (it->simd || it->offline) {
      fprintf(out, ",,,,%s,,,,,,,", it->simd ? "simd" : "");
    } else {
      char order[8];
      map_report_order(m, order);
      bool on_simd = m->unit == MAP_UNIT_SIMD;
      fprintf(out, "%lld,%lld,%lld,%lld,%s,%s,%lld,%lld,%lld,%lld,%lld,%s", (long long)d[0],
              (long long)d[1], (long long)d[3], (long long)d[2], on_simd ? "simd" : "array",
              on_simd ? "" : arch_dataflow_name(m->dataflow),
              (long long)(m->batch_pack > 1 ? m->batch_pack : 1), (long long)m->tile[0],
              (long long)m->tile[1], (long long)m->tile[3], (long long)m->tile[2], order);
    }
    char bound[32] = "";
    if (!it->epilogue_of[0]) map_bound_text(c, bound, sizeof bound);
    fprintf(out, ",%.0f,%.6g,%lld,%.4f,%s,%.0f,%.6g,%.6g", c->cycles, c->latency_s,
            (long long)c->macs, c->utilization, it->offline ? "" : bound, c->dram_bytes,
            c->mac_pj * 1e-12, c->reg_pj * 1e-12);
    for (size_t j = 0; j < a->n_buffers; j++) {
      fprintf(out, ",%.6g", c->buffer_pj[j] * 1e-12);
      comp[5 + j] += k * c->buffer_pj[j];
    }
    comp[0] += k * c->mac_pj;
    comp[1] += k * c->reg_pj;
    comp[2] += k * c->dram_pj;
    comp[3] += k * c->simd_pj;
    comp[4] += k * c->leak_pj;
    fprintf(out, ",%.6g,%.6g,%.6g,%.6g,%.6g,%lld,%lld,,%s,%s,", c->dram_pj * 1e-12,
            c->simd_pj * 1e-12, c->leak_pj * 1e-12, c->energy_j, c->edp_js,
            (long long)it->result.evaluated,
            (long long)(it->token_tiles > 1 ? it->token_tiles : 1),
            it->has_flow ? flow_place_name(it->input_place) : "",
            it->produces ? flow_place_name(it->output_place) : "");
    heat_csv_field(out, it->epilogue_of[0] ? "(in epilogue)" : it->epilogue);
    fprintf(out, ",%.6g,%s,%d,", it->flow_saved_bytes, objective, it->offline ? 1 : 0);
    flow_saved += k * it->flow_saved_bytes;
    /* A factorized op's parameters (one instance) on its first step's row. */
    const layer_stored *st = map_report_stored_of(scope, items, i);
    if (st) {
      fprintf(out, "%lld,%lld", (long long)st->factor_params, (long long)st->stored_params);
      int64_t times = st->part == MODEL_PART_BLOCK ? scope->rep->layers : 1;
      factor_params += times * st->factor_params;
      stored_params += times * st->stored_params;
    } else {
      fputc(',', out);
    }
    fputc('\n', out);
    cycles += k * c->cycles;
    energy += k * c->energy_j;
    dram += k * c->dram_bytes;
    macs += k * (double)c->macs;
    evaluated += it->result.evaluated;
  }
  double latency = cycles / (a->clock_ghz * 1e9);
  fprintf(out, "total,,,,%s,,,,,,,,,,,,,%.0f,%.6g,%.0f,%.4f,,%.0f,%.6g,%.6g", timing, cycles,
          latency, macs, cycles > 0 ? macs / (cycles * (double)arch_peak_macs_per_cycle(a)) : 0,
          dram, comp[0] * 1e-12, comp[1] * 1e-12);
  for (size_t j = 0; j < a->n_buffers; j++) fprintf(out, ",%.6g", comp[5 + j] * 1e-12);
  fprintf(out, ",%.6g,%.6g,%.6g,%.6g,%.6g,%lld,,", comp[2] * 1e-12, comp[3] * 1e-12,
          comp[4] * 1e-12, energy, energy * latency,
          (long long)(scope ? scope->rep->evaluated : evaluated));
  if (saved_dram_bytes >= 0) fprintf(out, "%.0f", saved_dram_bytes);
  fprintf(out, ",,,,%.0f,%s,,", flow_saved, objective);
  if (scope && scope->rep->n_stored)
    fprintf(out, "%lld,%lld", (long long)factor_params, (long long)stored_params);
  else
    fputc(',', out);
  fprintf(out, "\n");
}
