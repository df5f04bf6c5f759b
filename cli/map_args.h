/* The workload and mapping options heat map and heat sim share (--arch, --gemm, --model,
 * --layer, --format, ...), and pricing them with the analytical model. */
#ifndef HEAT_CLI_MAP_ARGS_H
#define HEAT_CLI_MAP_ARGS_H

#include "cli/cli_opts.h"
#include "mapper/layer.h"

typedef struct map_args {
  const char *arch, *gemm, *model, *layer, *format, *shape, *ranks, *path, *seq, *batch,
      *dataflow, *array, *timing, *objective, *precompute, *program, *plan;
  bool csv, no_stalls, no_fuse, no_cp_weights;
} map_args;


/* The option table entries of the shared options (not --csv, --program). */
#define MAP_ARGS_OPTS(a)                                                                         \
  CLI_TEXT("arch", &(a)->arch), CLI_TEXT("gemm", &(a)->gemm), CLI_TEXT("model", &(a)->model),    \
      CLI_TEXT("layer", &(a)->layer), CLI_TEXT("format", &(a)->format),                          \
      CLI_TEXT("shape", &(a)->shape), CLI_TEXT("ranks", &(a)->ranks),                            \
      CLI_TEXT("path", &(a)->path), CLI_TEXT("precompute", &(a)->precompute),                    \
      CLI_TEXT("seq", &(a)->seq), CLI_TEXT("batch", &(a)->batch),                                \
      CLI_TEXT("dataflow", &(a)->dataflow), CLI_TEXT("array", &(a)->array),                      \
      CLI_TEXT("timing", &(a)->timing), CLI_TEXT("objective", &(a)->objective),                  \
      CLI_FLAG("no-stalls", &(a)->no_stalls), CLI_FLAG("no-fuse", &(a)->no_fuse),               \
      CLI_FLAG("no-cp-weights", &(a)->no_cp_weights)

/* The checks between options (exit 2 with a usage error, 0 when fine). */
int map_args_check(const char *cmd, const map_args *a);

typedef struct map_priced {
  arch a, eff;            /* as described; with the options' array overrides */
  map_options opt;
  model m;                /* --model runs */
  const layer_item *items;
  size_t n;
  const layer_report *model_rep; /* whole-model runs (per-layer breakdowns), else NULL */
  const layer_report *rep;       /* --model runs (the stored parameters), else NULL */
  path_precompute precompute;    /* --model runs: the pre-computation mode used */
  double saved_dram_bytes;       /* >= 0 for --model runs, -1 for --gemm */
} map_priced;

/* Resolves the arch and the map options (--dataflow, --array, --timing, ...); eff gets the
 * overrides applied. */
int map_args_arch(const map_args *g, arch *a, map_options *opt, arch *eff, heat_error *err);

/* Resolves the arch and workload and searches every step (heat map's pricing). The result
 * points into static storage: one at a time. */
int map_price_args(const map_args *g, map_priced *out, heat_error *err);

#endif
