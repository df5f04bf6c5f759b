/* Energy of counted events: the single source of truth shared by the analytical cost model
 * (mapper/tile.c) and the cycle-level model (sim/). Both count events their own way (formulas
 * there, executed instructions here) and price them with these functions, so the two models
 * cannot price the same event differently. Pure functions, no allocation. */
#ifndef HEAT_ENERGY_H
#define HEAT_ENERGY_H

#include "arch/arch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct energy_events {
  double macs;
  double reg_accesses;  /* array register events */
  double dram_bytes;    /* read + written */
  double simd_lane_ops; /* lane-cycles of SIMD work (an op of k cycles on e elements: k x e) */
  double cycles;        /* for leakage */
  double sram_reads[ARCH_MAX_BUFFERS], sram_writes[ARCH_MAX_BUFFERS]; /* accesses */
} energy_events;

typedef struct energy_breakdown {
  double mac_pj, reg_pj, dram_pj, simd_pj, leak_pj;
  double buffer_pj[ARCH_MAX_BUFFERS];
  double total_pj;
} energy_breakdown;

/* Events x pJ per event from the arch tables, plus leakage x time. */
void energy_eval(const arch *a, const energy_events *ev, energy_breakdown *out);

/* Leakage of `cycles` cycles in pJ (mW x ns): every component's static power (arch_components)
 * times the runtime; their sum is a->leakage_mw. */
double energy_leakage_pj(const arch *a, double cycles);
/* The same for one component (arch_components order); returns how many components there are. */
size_t energy_leakage_split(const arch *a, double cycles, arch_component *c, double *pj);

#ifdef __cplusplus
}
#endif
#endif
