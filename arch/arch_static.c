/* arch_static: static power (leakage) and area per component, from the per-PE, per-lane, per-KiB
 * and per-GB/s figures of the description (arch/README.md cites them), so that resizing the
 * array, a buffer or the DRAM bandwidth resizes the chip's leakage and area with it. */
#include <string.h>

#include "arch/arch.h"

static void static__set(arch_component *c, const char *name, double units, const char *unit,
                        double leakage_mw, double area_mm2) {
  snprintf(c->name, sizeof c->name, "%s", name);
  c->units = units;
  c->unit = unit;
  c->leakage_mw = leakage_mw;
  c->area_mm2 = area_mm2;
}

size_t arch_components(const arch *a, arch_component *out) {
  size_t n = 0;
  double pes = (double)arch_peak_macs_per_cycle(a), lanes = (double)a->simd.lanes;
  /* µW -> mW: 1e-3; µm² -> mm²: 1e-6. */
  static__set(&out[n++], "array", pes, "PEs", pes * a->array.pe_leakage_uw * 1e-3,
              pes * a->array.pe_area_um2 * 1e-6);
  static__set(&out[n++], "simd", lanes, "lanes", lanes * a->simd.lane_leakage_uw * 1e-3,
              lanes * a->simd.lane_area_um2 * 1e-6);
  for (size_t i = 0; i < a->n_buffers; i++) {
    const arch_buffer *b = &a->buffers[i];
    double kib = (double)b->size_bytes / 1024.0;
    static__set(&out[n++], b->name, kib, "KiB", kib * b->leakage_uw_per_kib * 1e-3,
                kib * b->area_um2_per_kib * 1e-6);
  }
  static__set(&out[n++], "dram_phy", a->dram.gbps, "GB/s",
              a->dram.gbps * a->dram.phy_leakage_mw_per_gbps,
              a->dram.gbps * a->dram.phy_area_mm2_per_gbps);
  return n;
}

void arch_update_static(arch *a) {
  arch_component c[ARCH_MAX_COMPONENTS];
  size_t n = arch_components(a, c);
  a->leakage_mw = 0;
  a->area_mm2 = 0;
  for (size_t i = 0; i < n; i++) {
    a->leakage_mw += c[i].leakage_mw;
    a->area_mm2 += c[i].area_mm2;
  }
}

/* Output columns of the array: what the SIMD unit's lanes are matched to. */
static int static__out_cols(const arch_array *arr) {
  return arr->kind == ARCH_ARRAY_VECTOR ? arr->lanes : arr->cols;
}

void arch_set_array(arch *a, int rows, int cols) {
  int old_cols = static__out_cols(&a->array);
  if (a->array.kind == ARCH_ARRAY_VECTOR) {
    a->array.lanes = rows;
    a->array.width = cols;
  } else {
    a->array.rows = rows;
    a->array.cols = cols;
  }
  int new_cols = static__out_cols(&a->array);
  if (new_cols != old_cols && old_cols > 0) {
    /* Keep the preset's lanes per output column, rounded to the nearest lane. */
    double lanes = (double)a->simd.lanes * (double)new_cols / (double)old_cols + 0.5;
    a->simd.lanes = lanes < 1 ? 1 : lanes > 65536 ? 65536 : (int)lanes;
  }
  arch_update_static(a);
}

void arch_set_buffer_bytes(arch *a, size_t i, int64_t bytes) {
  if (i >= a->n_buffers) return;
  arch_buffer *b = &a->buffers[i];
  b->size_bytes = bytes < b->access_bytes ? b->access_bytes : bytes;
  arch_update_static(a);
}
