/* The SystemC cycle-level model behind a C API. Only sim/ is C++; callers see this header.
 *
 * SystemC can elaborate one simulation per process, so each sim_* run function may be called
 * once per process; a second call returns HEAT_EINTERNAL instead of crashing the kernel. */
#ifndef HEAT_SIM_H
#define HEAT_SIM_H

#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sim_clock_check {
  uint64_t cycles_requested;
  uint64_t rising_edges_seen; /* counted by a clocked process inside the kernel */
  double simulated_ns;        /* sc_time_stamp() at the end */
} sim_clock_check;

/* Elaborates a clock at clock_ghz and one clocked process, runs `cycles` cycles and reports
 * what the kernel saw. It proves libsystemc links and runs from heat's C code. */
int sim_clock_run(double clock_ghz, uint64_t cycles, sim_clock_check *out, heat_error *err);

/* The SystemC version string libsystemc reports. */
const char *sim_systemc_version(void);

#ifdef __cplusplus
}
#endif
#endif
