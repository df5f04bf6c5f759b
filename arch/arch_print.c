/* arch_print: the description in human units (heat arch show) and a one-line summary. */
#include <string.h>

#include "arch/arch.h"

static void print__array(FILE *out, const arch *a) {
  const arch_array *arr = &a->array;
  if (arr->kind == ARCH_ARRAY_VECTOR)
    fprintf(out, "  array        vector: %d lanes x %d wide (one %d-element matrix-vector step "
                 "per cycle)\n",
            arr->lanes, arr->width, arr->lanes * arr->width);
  else
    fprintf(out, "  array        systolic: %d rows x %d cols PEs\n", arr->rows, arr->cols);
  fprintf(out, "  dataflows   ");
  for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++)
    if (arr->dataflows & (1u << df)) fprintf(out, " %s", arch_dataflow_name((arch_dataflow)df));
  fprintf(out, "; weights %sdouble-buffered in the array\n",
          arr->weights_double_buffered ? "" : "not ");
  fprintf(out, "  peak         %lld MACs/cycle, %.4g TOPS (2 ops per MAC at %g GHz)\n",
          (long long)arch_peak_macs_per_cycle(a), arch_peak_tops(a), a->clock_ghz);
}

static void print__buffers(FILE *out, const arch *a) {
  fprintf(out, "buffers (%zu, %g KiB in total):\n", a->n_buffers,
          (double)arch_sram_bytes(a) / 1024.0);
  fprintf(out, "  %-14s %9s %6s %10s %9s %9s %9s  %-20s %s\n", "name", "KiB", "banks",
          "B/cycle", "access_B", "read_pJ", "write_pJ", "holds", "double-buffered");
  for (size_t i = 0; i < a->n_buffers; i++) {
    const arch_buffer *b = &a->buffers[i];
    char holds[32];
    arch_operands_format(b->operands, holds, sizeof holds);
    fprintf(out, "  %-14s %9g %6d %10g %9lld %9g %9g  %-20s %s\n", b->name,
            (double)b->size_bytes / 1024.0, b->banks, b->bytes_per_cycle,
            (long long)b->access_bytes, b->read_pj, b->write_pj, holds,
            b->double_buffered ? "yes" : "no");
  }
}

static void print__energy(FILE *out, const arch *a) {
  fprintf(out, "energy table:\n  %-28s %s\n", "source", a->energy_source);
  fprintf(out, "  %-28s %g pJ\n", "MAC", a->mac_pj);
  fprintf(out, "  %-28s %g pJ\n", "array register access", a->reg_pj);
  fprintf(out, "  %-28s %g pJ\n", "SIMD lane-cycle", a->simd.op_pj);
  for (size_t i = 0; i < a->n_buffers; i++) {
    const arch_buffer *b = &a->buffers[i];
    char label[ARCH_NAME_MAX + 16];
    snprintf(label, sizeof label, "%s read / write", b->name);
    double bytes = (double)b->access_bytes;
    fprintf(out, "  %-28s %g / %g pJ per %lld B access (%.4g / %.4g pJ/B)\n", label, b->read_pj,
            b->write_pj, (long long)b->access_bytes, b->read_pj / bytes, b->write_pj / bytes);
  }
  fprintf(out, "  %-28s %g pJ/B\n", "DRAM", a->dram.pj_per_byte);
}

/* Leakage and area per component: what --array, buffer and bandwidth changes scale. */
static void print__static(FILE *out, const arch *a) {
  arch_component c[ARCH_MAX_COMPONENTS];
  size_t n = arch_components(a, c);
  fprintf(out, "area and leakage (charged over the runtime):\n");
  fprintf(out, "  %-14s %16s %12s %8s %12s %8s\n", "component", "size", "leakage_mW", "share",
          "area_mm2", "share");
  for (size_t i = 0; i < n; i++) {
    char size[40];
    snprintf(size, sizeof size, "%g %s", c[i].units, c[i].unit);
    fprintf(out, "  %-14s %16s %12.4g %7.1f%% %12.4g %7.1f%%\n", c[i].name, size, c[i].leakage_mw,
            a->leakage_mw > 0 ? 100.0 * c[i].leakage_mw / a->leakage_mw : 0.0, c[i].area_mm2,
            a->area_mm2 > 0 ? 100.0 * c[i].area_mm2 / a->area_mm2 : 0.0);
  }
  fprintf(out, "  %-14s %16s %12.4g %8s %12.4g\n", "total", "", a->leakage_mw, "", a->area_mm2);
}

void arch_print(FILE *out, const arch *a) {
  const arch_simd *s = &a->simd;
  fprintf(out, "%s\n", a->name);
  if (a->description[0]) fprintf(out, "  %s\n", a->description);
  fprintf(out, "  loaded from  %s\n", a->origin);
  fprintf(out, "  clock        %g GHz\n", a->clock_ghz);
  fprintf(out, "  precision    input %d b, weight %d b, accumulator %d b\n", a->input_bits,
          a->weight_bits, a->accum_bits);
  print__array(out, a);
  fprintf(out, "  SIMD         %d lanes; cycles per op: add %d, mul %d, max %d, exp %d, div %d, "
               "rsqrt %d\n",
          s->lanes, s->cycles_add, s->cycles_mul, s->cycles_max, s->cycles_exp, s->cycles_div,
          s->cycles_rsqrt);
  print__buffers(out, a);
  fprintf(out, "DRAM: %g GB/s (%.4g B/cycle), latency %g ns (%.4g cycles), %g pJ/B\n",
          a->dram.gbps, arch_dram_bytes_per_cycle(a), a->dram.latency_ns,
          a->dram.latency_ns * a->clock_ghz, a->dram.pj_per_byte);
  print__energy(out, a);
  print__static(out, a);
}

void arch_summary(const arch *a, char *out, size_t cap) {
  char shape[64];
  if (a->array.kind == ARCH_ARRAY_VECTOR)
    snprintf(shape, sizeof shape, "vector %dx%d", a->array.lanes, a->array.width);
  else
    snprintf(shape, sizeof shape, "systolic %dx%d", a->array.rows, a->array.cols);
  snprintf(out, cap, "%s, %lld MACs/cycle, %.3g TOPS at %g GHz, %g KiB SRAM, %g GB/s DRAM", shape,
           (long long)arch_peak_macs_per_cycle(a), arch_peak_tops(a), a->clock_ghz,
           (double)arch_sram_bytes(a) / 1024.0, a->dram.gbps);
}
