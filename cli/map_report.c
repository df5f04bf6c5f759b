#include "cli/map_report.h"

#include <math.h>
#include <string.h>

static const char map_report_dims[] = "bmkn";

static int64_t map_report_count(const map_report_step *s) { return s->count > 0 ? s->count : 1; }

static void map_report_order(const map_mapping *m, char *out) {
  for (int i = 0; i < 3; i++) {
    out[2 * i] = map_report_dims[m->order[i]];
    out[2 * i + 1] = i < 2 ? '>' : '\0';
  }
}

static void map_report_timing(FILE *out, const map_options *opt) {
  if (opt->timing == FOLD_TIMING_OVERLAP)
    fprintf(out, "timing: overlap (fold overlap on: the next fold's stationary operand loads and "
                 "its skew runs under the current fold)\n");
  else
    fprintf(out, "timing: scalesim (fold overlap off: folds run back to back; cycles = SCALE-Sim "
                 "total + 1)\n");
  fprintf(out, "memory stalls: %s; objective: %s\n",
          opt->memory_stalls ? "charged (DRAM and SRAM ports)" : "not charged (array only)",
          map_objective_name(opt->objective));
}

void map_report_text(FILE *out, const arch *a, const map_options *opt,
                     const map_report_step *steps, size_t n) {
  char summary[256];
  arch_summary(a, summary, sizeof summary);
  fprintf(out, "arch: %s (%s)\n", a->name, summary);
  map_report_timing(out, opt);
  double cycles = 0, energy = 0, dram = 0, macs = 0;
  int64_t evaluated = 0;
  for (size_t i = 0; i < n; i++) {
    const map_report_step *s = &steps[i];
    const map_cost *c = &s->result.cost;
    const map_mapping *m = &s->result.mapping;
    const int64_t *d = s->problem.dim;
    int64_t k = map_report_count(s);
    char order[8];
    map_report_order(m, order);
    fprintf(out, "\nstep %s%s%s", s->name, s->view[0] ? ": " : "", s->view);
    if (k > 1) fprintf(out, " (x%lld)", (long long)k);
    fprintf(out, "\n  gemm      B=%lld M=%lld K=%lld N=%lld, %lld MACs\n", (long long)d[0],
            (long long)d[1], (long long)d[2], (long long)d[3], (long long)c->macs);
    fprintf(out, "  mapping   %s, tiles B=%lld M=%lld K=%lld N=%lld (%lld tiles), loops %s, "
                 "input->%s weight->%s output->%s\n",
            arch_dataflow_name(m->dataflow), (long long)m->tile[0], (long long)m->tile[1],
            (long long)m->tile[2], (long long)m->tile[3], (long long)c->tiles, order,
            a->buffers[m->buffer[0]].name, a->buffers[m->buffer[1]].name,
            a->buffers[m->buffer[2]].name);
    for (int op = 0; op < 2; op++)
      if (c->layout[op] != MAP_LAYOUT_NONE)
        fprintf(out, "  layout    %s permuted by %s\n", op ? "weight" : "input",
                map_layout_name(c->layout[op]));
    fprintf(out, "  cycles    %.0f, utilization %.1f%%, bound by %s%s%s (array %.0f, dram %.0f, "
                 "sram %.0f)\n",
            ceil(c->cycles), 100 * c->utilization, map_bound_name(c->bound),
            c->bound == MAP_BOUND_SRAM ? " " : "",
            c->bound == MAP_BOUND_SRAM ? a->buffers[c->bound_buffer].name : "", c->array_cycles,
            c->dram_cycles, c->sram_cycles);
    fprintf(out, "  dram      %.0f bytes (read %.0f, written %.0f)\n", c->dram_bytes,
            c->dram_read_bytes, c->dram_write_bytes);
    fprintf(out, "  energy    %.4g J: mac %.3g, reg %.3g", c->energy_j, c->mac_pj * 1e-12,
            c->reg_pj * 1e-12);
    for (size_t j = 0; j < a->n_buffers; j++)
      fprintf(out, ", %s %.3g", a->buffers[j].name, c->buffer_pj[j] * 1e-12);
    fprintf(out, ", dram %.3g, simd %.3g, leakage %.3g\n", c->dram_pj * 1e-12, c->simd_pj * 1e-12,
            c->leak_pj * 1e-12);
    fprintf(out, "  edp       %.4g J*s; %lld mappings evaluated, %lld tilings failed the "
                 "capacity check\n",
            c->edp_js, (long long)s->result.evaluated, (long long)s->result.rejected);
    cycles += (double)k * ceil(c->cycles);
    energy += (double)k * c->energy_j;
    dram += (double)k * c->dram_bytes;
    macs += (double)k * (double)c->macs;
    evaluated += s->result.evaluated;
  }
  double latency = cycles / (a->clock_ghz * 1e9);
  fprintf(out, "\ntotal: %.0f cycles (%.4g s), %.0f MACs, %.0f DRAM bytes, %.4g J, EDP %.4g J*s, "
               "%lld mappings evaluated\n",
          cycles, latency, macs, dram, energy, energy * latency, (long long)evaluated);
}

void map_report_csv(FILE *out, const arch *a, const map_report_step *steps, size_t n,
                    const map_options *opt) {
  fprintf(out, "step,view,count,timing,b,m,k,n,dataflow,tile_b,tile_m,tile_k,tile_n,loop_order,"
               "cycles,latency_s,macs,utilization,bound,dram_bytes,mac_energy_j,reg_energy_j");
  for (size_t j = 0; j < a->n_buffers; j++) fprintf(out, ",%s_energy_j", a->buffers[j].name);
  fprintf(out, ",dram_energy_j,simd_energy_j,leakage_energy_j,energy_j,edp_js,"
               "mappings_evaluated\n");
  const char *timing = fold_timing_name(opt->timing);
  double cycles = 0, energy = 0, dram = 0, macs = 0, comp[5 + ARCH_MAX_BUFFERS] = {0};
  int64_t evaluated = 0;
  for (size_t i = 0; i < n; i++) {
    const map_report_step *s = &steps[i];
    const map_cost *c = &s->result.cost;
    const map_mapping *m = &s->result.mapping;
    const int64_t *d = s->problem.dim;
    int64_t k = map_report_count(s);
    char order[8];
    map_report_order(m, order);
    fprintf(out, "%s,%s,%lld,%s,%lld,%lld,%lld,%lld,%s,%lld,%lld,%lld,%lld,%s,%.0f,%.6g,%lld,%.4f,"
                 "%s,%.0f,%.6g,%.6g",
            s->name, s->view, (long long)k, timing, (long long)d[0], (long long)d[1],
            (long long)d[2], (long long)d[3], arch_dataflow_name(m->dataflow),
            (long long)m->tile[0], (long long)m->tile[1], (long long)m->tile[2],
            (long long)m->tile[3], order, ceil(c->cycles), c->latency_s, (long long)c->macs,
            c->utilization, map_bound_name(c->bound), c->dram_bytes, c->mac_pj * 1e-12,
            c->reg_pj * 1e-12);
    comp[0] += (double)k * c->mac_pj;
    comp[1] += (double)k * c->reg_pj;
    for (size_t j = 0; j < a->n_buffers; j++) {
      fprintf(out, ",%.6g", c->buffer_pj[j] * 1e-12);
      comp[5 + j] += (double)k * c->buffer_pj[j];
    }
    comp[2] += (double)k * c->dram_pj;
    comp[3] += (double)k * c->simd_pj;
    comp[4] += (double)k * c->leak_pj;
    fprintf(out, ",%.6g,%.6g,%.6g,%.6g,%.6g,%lld\n", c->dram_pj * 1e-12, c->simd_pj * 1e-12,
            c->leak_pj * 1e-12, c->energy_j, c->edp_js, (long long)s->result.evaluated);
    cycles += (double)k * ceil(c->cycles);
    energy += (double)k * c->energy_j;
    dram += (double)k * c->dram_bytes;
    macs += (double)k * (double)c->macs;
    evaluated += s->result.evaluated;
  }
  double latency = cycles / (a->clock_ghz * 1e9);
  fprintf(out, "total,,,%s,,,,,,,,,,,%.0f,%.6g,%.0f,%.4f,,%.0f,%.6g,%.6g", timing, cycles, latency,
          macs, cycles > 0 ? macs / (cycles * (double)arch_peak_macs_per_cycle(a)) : 0, dram,
          comp[0] * 1e-12, comp[1] * 1e-12);
  for (size_t j = 0; j < a->n_buffers; j++) fprintf(out, ",%.6g", comp[5 + j] * 1e-12);
  fprintf(out, ",%.6g,%.6g,%.6g,%.6g,%.6g,%lld\n", comp[2] * 1e-12, comp[3] * 1e-12,
          comp[4] * 1e-12, energy, energy * latency, (long long)evaluated);
}
