#include "mapper/energy.h"

#include <string.h>

double energy_leakage_pj(const arch *a, double cycles) { return a->leakage_mw * cycles / a->clock_ghz; }

size_t energy_leakage_split(const arch *a, double cycles, arch_component *c, double *pj) {
  size_t n = arch_components(a, c);
  for (size_t i = 0; i < n; i++) pj[i] = c[i].leakage_mw * cycles / a->clock_ghz;
  return n;
}

void energy_eval(const arch *a, const energy_events *ev, energy_breakdown *out) {
  memset(out, 0, sizeof *out);
  out->mac_pj = ev->macs * a->mac_pj;
  out->reg_pj = ev->reg_accesses * a->reg_pj;
  out->dram_pj = ev->dram_bytes * a->dram.pj_per_byte;
  out->simd_pj = ev->simd_lane_ops * a->simd.op_pj;
  double e = out->mac_pj + out->reg_pj + out->dram_pj + out->simd_pj;
  for (size_t j = 0; j < a->n_buffers; j++) {
    out->buffer_pj[j] = ev->sram_reads[j] * a->buffers[j].read_pj +
                        ev->sram_writes[j] * a->buffers[j].write_pj;
    e += out->buffer_pj[j];
  }
  out->leak_pj = energy_leakage_pj(a, ev->cycles);
  out->total_pj = e + out->leak_pj;
}
