/* SCALE-Sim v2 compatibility: its input files as its users have them, and its three reports.
 *
 * Inputs (scalesim_input.c): the INI config (`[architecture_presets]` ArrayHeight, ArrayWidth,
 * IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, the three offsets, Dataflow, Bandwidth;
 * `[run_presets]` InterfaceBandwidth; `[general]` run_name) read with Python configparser's rules
 * (`=` or `:`, keys case-insensitive, `#`/`;` comment lines), and topology CSVs in GEMM form
 * (`name, M, N, K,`) or conv form (`name, ifmap_h, ifmap_w, filter_h, filter_w, channels,
 * filters, stride[, stride_w]`), told apart by the header's field count. Conv layers are lowered
 * with im2col as SCALE-Sim does; a conv layer whose name contains "DP" (depthwise) becomes one
 * layer per channel, as in SCALE-Sim.
 *
 * Reports (scalesim_model.c, scalesim_report.c): per layer, every number of COMPUTE_REPORT.csv,
 * BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv. Cycles, utilisation and SRAM counts come
 * from heat's analytical fold model (mapper/fold.c, FOLD_TIMING_SCALESIM); the start/stop cycles,
 * the stalls and the DRAM columns come from replaying SCALE-Sim's demand stream (the addresses
 * each array edge requests per cycle) through a model of its buffers: the "estimate bandwidth"
 * ones (InterfaceBandwidth CALC) or the fixed-bandwidth ones whose late prefetches and full
 * write buffer stall the array (USER, at the config's Bandwidth). See sim/README.md for what is
 * exact and why. */
#ifndef HEAT_SIM_SCALESIM_H
#define HEAT_SIM_SCALESIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"
#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCALESIM_NAME_MAX 128
/* Most layers one topology may expand to (depthwise layers expand per channel). */
#define SCALESIM_MAX_LAYERS 65536
/* Every integer of a config or topology must be below 2^31 (SCALE-Sim's numpy address matrices
 * are 32-bit). */
#define SCALESIM_VALUE_MAX INT64_C(2147483647)

typedef struct scalesim_config {
  char run_name[SCALESIM_NAME_MAX];
  int64_t rows, cols;                            /* ArrayHeight, ArrayWidth */
  int64_t ifmap_kib, filter_kib, ofmap_kib;      /* SRAM sizes in KiB (1 word = 1 byte) */
  int64_t ifmap_offset, filter_offset, ofmap_offset; /* address offsets of the operands */
  arch_dataflow dataflow;
  bool user_bandwidth;                           /* InterfaceBandwidth USER (else CALC) */
  int interface_line;                            /* its line in the config */
  int64_t bandwidth;                             /* Bandwidth (words/cycle), first of a list */
  char topology[1024]; /* TopologyCsvLoc, unquoted ("" when absent): the topology to run when
                          none is given, relative to the working folder as in SCALE-Sim */
  int topology_line;
} scalesim_config;

typedef struct scalesim_layer {
  char name[SCALESIM_NAME_MAX];
  int line;                                       /* line in the topology file */
  int64_t ifmap_h, ifmap_w, filter_h, filter_w, channels, filters, stride_h, stride_w;
  int64_t ofmap_h, ofmap_w;
  int64_t m, n, k; /* the GEMM: ofmap pixels x filters, reduction = filter window */
} scalesim_layer;

typedef struct scalesim_topology {
  bool gemm;                                      /* GEMM_mnk form (else conv) */
  size_t n;
  scalesim_layer *layers;
} scalesim_topology;

/* Parse text (len bytes, need not be NUL-terminated); `file` names it in errors
 * ("file:line: field 'X': ..."). Return HEAT_OK or HEAT_EINVAL/HEAT_ERANGE with err filled. */
int scalesim_config_parse(const char *text, size_t len, const char *file, scalesim_config *out,
                          heat_error *err);
int scalesim_topology_parse(const char *text, size_t len, const char *file,
                            scalesim_topology *out, heat_error *err);
/* Read a regular file (at most HEAT_TEXT_FILE_MAX bytes) and parse it. */
int scalesim_config_load(const char *path, scalesim_config *out, heat_error *err);
int scalesim_topology_load(const char *path, scalesim_topology *out, heat_error *err);
void scalesim_topology_free(scalesim_topology *t);

/* One layer's numbers, in SCALE-Sim's units: cycles as SCALE-Sim reports them (the index of the
 * last cycle: heat's cycle count - 1), percentages, words, words per cycle. The start/stop cycles
 * are SCALE-Sim's trace cycles (DRAM prefetches before the first compute cycle are negative). */
typedef struct scalesim_result {
  int64_t total_cycles, stall_cycles;
  double overall_util_pct, mapping_eff_pct, compute_util_pct;
  double sram_bw[3], dram_bw[3];                  /* ifmap, filter, ofmap: words/cycle */
  int64_t sram_start[3], sram_stop[3], sram_count[3]; /* reads, reads, writes */
  int64_t dram_start[3], dram_stop[3], dram_count[3];
  int64_t demand_elements;                        /* size of the replayed demand stream */
} scalesim_result;

/* Runs one layer. HEAT_EINVAL (naming the layer) for a layer too large to replay (more than
 * max_demand elements, 0 = the default limit; in USER mode also prefetch matrices past
 * 2^27 elements). `progress` (may be NULL) gets a line per 10% on long layers. */
int scalesim_run_layer(const scalesim_config *cfg, const scalesim_layer *layer,
                       int64_t max_demand, FILE *progress, scalesim_result *out, heat_error *err);

/* Writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv into dir
 * (created if missing), byte for byte in SCALE-Sim's layout (", " separators, a trailing comma,
 * Python's float formatting). */
int scalesim_write_reports(const char *dir, const scalesim_result *r, size_t n, heat_error *err);

/* Python's repr() of a double ("32.0", "75.42250570324504", "1e-05") into buf. */
void scalesim_format_float(double v, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
