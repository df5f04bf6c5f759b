// A hand-written VCD writer for unit activity (GTKWave opens it): one timestep per cycle.
#ifndef HEAT_SIM_VCD_H
#define HEAT_SIM_VCD_H

#include <stdint.h>

#include "common/heat_error.h"

// A unit's stall signals are high while it waits on an SRAM port or on a bank (sim/sram.h).
enum vcd_signal {
  VCD_ARRAY_BUSY = 0, VCD_DMA_BUSY, VCD_DMA_INFLIGHT, VCD_SIMD_BUSY, VCD_ARRAY_STALL_SRAM_PORT,
  VCD_ARRAY_STALL_BANK, VCD_DMA_STALL_SRAM_PORT, VCD_SIMD_STALL_SRAM_PORT, VCD_SIGNALS
};

typedef struct vcd_writer vcd_writer;

vcd_writer *vcd_open(const char *path, heat_error *err);
// Records that `sig` takes `value` at `cycle` (cycles never go backwards).
void vcd_change(vcd_writer *w, int64_t cycle, int sig, int64_t value);
// Writes the final timestamp and closes; HEAT_EIO when a write failed.
int vcd_close(vcd_writer *w, int64_t end_cycle, heat_error *err);

#endif
