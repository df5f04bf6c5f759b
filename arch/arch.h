/* Accelerator descriptions: what the array, the SIMD unit, the buffers and DRAM can do and what
 * each event costs in energy. Loaded from libconfig files (arch/presets/NAME.cfg, embedded in the
 * binary at build time) and validated; depends on nothing of heat but common/.
 *
 * Units are in the field names: _bits, _bytes, _ghz, _gbps (1e9 bytes/s), _ns, _pj, _mw. */
#ifndef HEAT_ARCH_H
#define HEAT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ARCH_NAME_MAX 64
#define ARCH_TEXT_MAX 512
#define ARCH_MAX_BUFFERS 8

typedef enum arch_array_kind {
  ARCH_ARRAY_SYSTOLIC = 0, /* rows x cols PEs, SCALE-Sim dataflows */
  ARCH_ARRAY_VECTOR = 1,   /* Simba-like: `lanes` vector MACs each `width` wide per cycle */
} arch_array_kind;

typedef enum arch_dataflow {
  ARCH_DATAFLOW_OS = 0, /* output stationary: (M, N) on (rows, cols), K streamed */
  ARCH_DATAFLOW_WS = 1, /* weight stationary: (K, N) on (rows, cols), M streamed */
  ARCH_DATAFLOW_IS = 2, /* input stationary:  (K, M) on (rows, cols), N streamed */
  ARCH_DATAFLOW_COUNT = 3
} arch_dataflow;

/* Which operands a buffer may hold (bit mask). */
enum arch_operand {
  ARCH_OPERAND_INPUT = 1u << 0,
  ARCH_OPERAND_WEIGHT = 1u << 1,
  ARCH_OPERAND_OUTPUT = 1u << 2,
  ARCH_OPERAND_ANY = (1u << 0) | (1u << 1) | (1u << 2),
};

typedef struct arch_buffer {
  char name[ARCH_NAME_MAX];
  int64_t size_bytes;
  int banks;
  double bytes_per_cycle; /* per port */
  int64_t access_bytes;   /* width of one access: the read/write energies are per access */
  double read_pj;         /* per access */
  double write_pj;        /* per access */
  unsigned operands;      /* mask of enum arch_operand */
  bool double_buffered;   /* halves usable capacity for tiles, overlaps transfer and compute */
  double leakage_uw_per_kib; /* static power per KiB of capacity */
  double area_um2_per_kib;   /* silicon area per KiB of capacity */
} arch_buffer;

typedef struct arch_array {
  arch_array_kind kind;
  int rows, cols;          /* systolic */
  int lanes, width;        /* vector: lanes x width MACs per cycle */
  unsigned dataflows;      /* mask of (1u << arch_dataflow) */
  bool weights_double_buffered; /* next fold's stationary operand loads during the current one */
  bool output_stage; /* outputs drain through an element-wise stage (requantize, bias, activation,
                       residual add) instead of a SIMD pass over the activation buffer */
  double pe_leakage_uw; /* static power of one PE (vector: of one MAC of lanes x width) */
  double pe_area_um2;   /* area of one PE: MAC, operand registers, local control */
} arch_array;

typedef struct arch_simd {
  int lanes;
  int cycles_add, cycles_mul, cycles_max, cycles_exp, cycles_div, cycles_rsqrt;
  double op_pj; /* per lane per busy cycle: an op taking k cycles costs k x op_pj per lane */
  double lane_leakage_uw, lane_area_um2; /* static power and area of one lane */
} arch_simd;

typedef struct arch_dram {
  double gbps;
  double latency_ns;
  double pj_per_byte;
  /* The on-chip DRAM interface (controller + PHY), per GB/s of bandwidth it provides, so that a
   * bandwidth sweep scales it. */
  double phy_leakage_mw_per_gbps;
  double phy_area_mm2_per_gbps;
} arch_dram;

typedef struct arch {
  char name[ARCH_NAME_MAX];
  char description[ARCH_TEXT_MAX];
  char energy_source[ARCH_TEXT_MAX]; /* citation for the energy numbers */
  char origin[ARCH_TEXT_MAX];        /* file path or "preset NAME" it was loaded from */
  double clock_ghz;
  int input_bits, weight_bits, accum_bits;
  arch_array array;
  arch_simd simd;
  arch_buffer buffers[ARCH_MAX_BUFFERS];
  size_t n_buffers;
  arch_dram dram;
  double mac_pj;      /* one multiply-accumulate */
  double reg_pj;      /* one array register (operand hop) access */
  /* Derived from the per-component figures by arch_update_static (the loader and every resize
   * call it): the whole chip's static power, charged over the runtime, and its area. */
  double leakage_mw;
  double area_mm2;
} arch;

/* Static power and area of one component of the chip ("array", "simd", a buffer's name,
 * "dram_phy"), as printed by heat arch show and charged by the energy model. */
#define ARCH_MAX_COMPONENTS (ARCH_MAX_BUFFERS + 3)
typedef struct arch_component {
  char name[ARCH_NAME_MAX];
  double units;     /* PEs, lanes, KiB or GB/s */
  const char *unit; /* "PEs", "lanes", "KiB", "GB/s" */
  double leakage_mw;
  double area_mm2;
} arch_component;

/* Loads and validates a libconfig description. Errors name file:line and the key. */
int arch_load_file(const char *path, arch *out, heat_error *err);
/* Same from text in memory; `origin` is used in messages in place of a file name. */
int arch_load_string(const char *text, const char *origin, arch *out, heat_error *err);
/* A preset name (see arch_preset_name) or a path to a .cfg file. Unknown names list the known. */
int arch_resolve(const char *name_or_path, arch *out, heat_error *err);

size_t arch_preset_count(void);
const char *arch_preset_name(size_t i);

/* Peak MACs per cycle of the compute array, and tera-operations per second (2 ops per MAC). */
int64_t arch_peak_macs_per_cycle(const arch *a);
double arch_peak_tops(const arch *a);
/* DRAM bytes per clock cycle. */
double arch_dram_bytes_per_cycle(const arch *a);

const char *arch_dataflow_name(arch_dataflow df); /* "os", "ws", "is" */
int arch_dataflow_parse(const char *text, arch_dataflow *out, heat_error *err);

/* The chip's components with their static power and area; returns how many (at most
 * ARCH_MAX_COMPONENTS). Their sums are a->leakage_mw and a->area_mm2. */
size_t arch_components(const arch *a, arch_component *out);
/* Recomputes a->leakage_mw and a->area_mm2 after a component was resized. */
void arch_update_static(arch *a);
/* Resizes the compute array (systolic: rows x cols; vector: lanes x width) as --array and sweeps
 * do. The SIMD unit keeps its lanes per array output column (systolic cols, vector lanes), at
 * least one: the presets give one post-processing lane per column, and an array whose outputs
 * outgrow its SIMD unit would be SIMD-bound for the wrong reason. Leakage and area follow. */
void arch_set_array(arch *a, int rows, int cols);
/* Resizes buffer i to `bytes` (at least its access width); leakage and area follow. */
void arch_set_buffer_bytes(arch *a, size_t i, int64_t bytes);

/* Human-readable description (heat arch show). */
void arch_print(FILE *out, const arch *a);
/* One line: "systolic 32x32, 1024 MACs/cycle, 1.43 TOPS at 0.7 GHz, 2080 KiB SRAM". */
void arch_summary(const arch *a, char *out, size_t cap);
/* "input,weight" for a mask of enum arch_operand ("any" for all three). */
void arch_operands_format(unsigned operands, char *out, size_t cap);
/* Total on-chip SRAM bytes over all buffers. */
int64_t arch_sram_bytes(const arch *a);

#ifdef __cplusplus
}
#endif
#endif
