/* The SystemC cycle-level model behind a C API. Only sim/ is C++; callers see this header (the
 * single C entry point of libheat_sim).
 *
 * SystemC can elaborate one simulation per process. The accelerator model is elaborated once by
 * sim_session_alloc and then runs any number of programs (sim_session_run); the clock check
 * elaborates its own design, so a process uses one or the other (a second elaboration returns
 * HEAT_EINTERNAL instead of crashing the kernel).
 *
 * The machine (sim/model.cpp): a controller issues the program in order, each instruction once
 * its dependences have completed, to the unit that runs it; the array, the DMA engine and the
 * SIMD unit each execute their queue in order. The DMA moves bytes over one DRAM channel
 * (bandwidth, 64-byte bursts, latency paid per transfer but pipelined) and the buffer's port;
 * buffer ports are shared by the array, the DMA and the SIMD unit (contention delays whoever
 * comes second, stall reason sram_port), and a fold's lanes that meet on one SRAM bank hold
 * the port longer (bank_conflict; sim/sram.h). A fold runs max(array cycles, its port time); in overlap timing its results
 * leave the array fold_cycles - pace after it frees the array for the next fold.
 * Modes: timing (a fold, a DMA transfer or a SIMD op is one wait(n)) and functional (the same
 * timing, and each fold's values are computed by stepping the array's registers cycle by cycle,
 * sim/datapath.h; the stepped cycles are checked against mapper/fold.c). Identical instances of
 * a step (times > 1) are simulated once and scaled. Steps that name their tensors carry values
 * from step to step (sim/check.h); the values of a token-tiled step's other tiles are computed
 * on the same datapath after its timed tile. */
#ifndef HEAT_SIM_H
#define HEAT_SIM_H

#include <stdint.h>

#include "arch/arch.h"
#include "common/heat_error.h"
#include "mapper/energy.h"
#include "mapper/program.h"

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

typedef enum sim_mode { SIM_MODE_TIMING = 0, SIM_MODE_FUNCTIONAL = 1 } sim_mode;

enum sim_unit { SIM_UNIT_ARRAY = 0, SIM_UNIT_DMA = 1, SIM_UNIT_SIMD = 2, SIM_UNITS = 3 };
/* Why a unit waited: for a DMA transfer (DRAM), a buffer port (busy with another requester, or
 * too narrow for the unit's traffic), a fold on the array (dep), the SIMD unit, two or more of
 * the unit's lanes on one SRAM bank in the same wave (bank_conflict; sim/sram.h). */
enum sim_stall { SIM_STALL_DRAM = 0, SIM_STALL_SRAM = 1, SIM_STALL_DEP = 2, SIM_STALL_SIMD = 3,
                 SIM_STALL_BANK = 4, SIM_STALLS = 5 };
#define SIM_STALL_SRAM_PORT SIM_STALL_SRAM

typedef struct sim_unit_stats {
  double busy;              /* cycles doing work */
  double stall[SIM_STALLS]; /* cycles waiting, by reason */
} sim_unit_stats;

typedef struct sim_step_result {
  double cycles;            /* one run of the step */
  prog_counts counts;       /* counted from the instructions executed */
  energy_breakdown energy;  /* one run, priced by mapper/energy.c */
  sim_unit_stats unit[SIM_UNITS];
  int64_t folds_stepped;    /* functional: folds computed on the registers */
  int64_t checked;          /* --check: output elements compared with the reference */
  int64_t mismatches;       /* of them, different */
  int64_t handoffs;         /* functional: operands read from an earlier step's output */
  char mismatch[240];       /* the first mismatch: tensor, element, both values ("" none) */
} sim_step_result;

/* Breaks the functional mode's value hand-off on purpose, to show that --check sees it (heat
 * sim --check-fault; sim/check.h): never in a real run. */
typedef enum sim_fault {
  SIM_FAULT_NONE = 0,
  SIM_FAULT_FLIP = 1,     /* flips one bit of every output handed to a later step */
  SIM_FAULT_TRUNCATE = 2  /* the hand-off truncates instead of rounding */
} sim_fault;

typedef struct sim_options {
  sim_mode mode;
  /* functional: compare every step's outputs with a plain-C einsum; steps that name their
   * tensors (mapper/program.h) are checked as chains: each reads what the previous produced,
   * requantized, and the reference computes the whole chain alike (sim/check.h) */
  bool check;
  uint64_t seed;       /* of the input and weight values */
  const char *trace;   /* VCD file of unit activity, or NULL */
  sim_fault fault;     /* SIM_FAULT_NONE except in tests of the checker */
} sim_options;

typedef struct sim_session sim_session;

/* Elaborates the machine for `a` (once per process). */
sim_session *sim_session_alloc(const arch *a, heat_error *err);
/* Runs every step of the program (checked with program_check first); steps[] has p->n_steps
 * entries. Total cycles = sum over steps of cycles x times. A program that stops making progress
 * is reported as a deadlock naming the instruction that waits (HEAT_EINVAL). */
int sim_session_run(sim_session *s, const program *p, const sim_options *opt,
                    sim_step_result *steps, heat_error *err);
/* Describes another accelerator to the elaborated machine (the next runs use it). */
int sim_session_set_arch(sim_session *s, const arch *a, heat_error *err);
void sim_session_free(sim_session *s);

const char *sim_mode_name(sim_mode m); /* "timing", "functional" */
int sim_mode_parse(const char *text, sim_mode *out, heat_error *err);
const char *sim_stall_name(int reason); /* "dram", "sram_port", "dep", "simd", "bank_conflict" */
const char *sim_unit_name(int unit);    /* "array", "dma", "simd" */

/* The SystemC version string libsystemc reports. */
const char *sim_systemc_version(void);

#ifdef __cplusplus
}
#endif
#endif
