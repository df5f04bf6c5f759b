/* heat map: map GEMM steps onto an accelerator and price them (analytical model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "cli/cli.h"
#include "cli/map_report.h"
#include "common/heat_parse.h"
#include "mapper/mapspace.h"

static void map_help(FILE *out) {
  fprintf(out,
          "usage: heat map --arch NAME|FILE --gemm M,N,K [options]\n\n"
          "Maps each step onto the accelerator (dataflow, tiles, loop order, buffers) by an\n"
          "exhaustive search of the pruned mapspace, and prints per step: the GEMM view, the\n"
          "mapping, cycles, utilization, the bound resource, DRAM bytes and energy by component;\n"
          "then totals. The formulas are in mapper/MAPPING.md.\n\n"
          "  --arch NAME|FILE        accelerator preset (heat arch list) or .cfg file (required)\n"
          "  --gemm M,N,K            one GEMM: output M x N, reduction K (SCALE-Sim's order)\n"
          "  --batch B               B independent GEMMs of that shape (default 1)\n"
          "  --dataflow os|ws|is     fix the dataflow (default: search all the arch offers)\n"
          "  --array RxC             override the array size (vector arrays: LANESxWIDTH)\n"
          "  --timing scalesim|overlap\n"
          "                          scalesim: folds never overlap (SCALE-Sim's cycles + 1);\n"
          "                          overlap: the next fold's stationary load and skew run\n"
          "                          under the current fold (needs an array that double-buffers\n"
          "                          weights; the default for such arrays)\n"
          "  --objective latency|energy|edp   what the search minimises (default edp)\n"
          "  --no-stalls             price the array alone, no memory stalls (as SCALE-Sim's\n"
          "                          compute report)\n"
          "  --csv                   CSV on stdout: one row per step and a 'total' row\n");
}

static int map_parse_array(const char *text, map_options *opt, heat_error *err) {
  int64_t v[2];
  size_t n = 0;
  int rc = heat_parse_int64_list(text, 'x', 1, 65536, "--array", v, 2, &n, err);
  if (rc) return rc;
  if (n != 2)
    return heat_error_set(err, HEAT_EINVAL, "--array", "'%s' is not RxC (e.g. 32x32)", text);
  opt->array_rows_override = v[0];
  opt->array_cols_override = v[1];
  return HEAT_OK;
}

int cmd_map(int argc, char **argv) {
  const char *arch_name = NULL, *gemm = NULL, *dataflow = NULL, *array = NULL, *timing = NULL,
             *objective = NULL, *batch = NULL;
  bool csv = false, no_stalls = false;
  for (int i = 1; i < argc; i++) {
    if (cli_is_help(argv[i])) {
      map_help(stdout);
      return 0;
    }
  }
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char **slot = NULL;
    if (strcmp(o, "--arch") == 0) slot = &arch_name;
    else if (strcmp(o, "--gemm") == 0) slot = &gemm;
    else if (strcmp(o, "--batch") == 0) slot = &batch;
    else if (strcmp(o, "--dataflow") == 0) slot = &dataflow;
    else if (strcmp(o, "--array") == 0) slot = &array;
    else if (strcmp(o, "--timing") == 0) slot = &timing;
    else if (strcmp(o, "--objective") == 0) slot = &objective;
    else if (strcmp(o, "--csv") == 0) {
      csv = true;
      continue;
    } else if (strcmp(o, "--no-stalls") == 0) {
      no_stalls = true;
      continue;
    } else
      return cli_usage_error("map", "unknown option '%s'", o);
    if (i + 1 >= argc) return cli_usage_error("map", "option %s needs a value", o);
    *slot = argv[++i];
  }
  if (!arch_name) return cli_usage_error("map", "--arch is required");
  if (!gemm) return cli_usage_error("map", "--gemm M,N,K is required");

  heat_error err;
  arch a;
  if (arch_resolve(arch_name, &a, &err)) return cli_fail(&err);
  map_options opt;
  map_options_init(&opt, &a);
  opt.memory_stalls = !no_stalls;
  if (timing && map_timing_parse(timing, &opt.timing, &err)) return cli_fail(&err);
  if (objective && map_objective_parse(objective, &opt.objective, &err)) return cli_fail(&err);
  if (array && map_parse_array(array, &opt, &err)) return cli_fail(&err);
  if (dataflow) {
    arch_dataflow df;
    if (arch_dataflow_parse(dataflow, &df, &err)) {
      snprintf(err.where, sizeof err.where, "--dataflow");
      return cli_fail(&err);
    }
    opt.dataflows = 1u << df;
  }
  int64_t mnk[3], b = 1;
  size_t n = 0;
  if (heat_parse_int64_list(gemm, ',', 1, (int64_t)1 << 24, "--gemm", mnk, 3, &n, &err))
    return cli_fail(&err);
  if (n != 3) {
    heat_error_set(&err, HEAT_EINVAL, "--gemm", "'%s' is not M,N,K (three sizes)", gemm);
    return cli_fail(&err);
  }
  if (batch && heat_parse_int64(batch, 1, (int64_t)1 << 20, "--batch", &b, &err))
    return cli_fail(&err);

  map_report_step step;
  memset(&step, 0, sizeof step);
  snprintf(step.name, sizeof step.name, "gemm");
  map_problem_gemm(&step.problem, b, mnk[0], mnk[2], mnk[1]);
  map_workspace *w = map_workspace_alloc();
  if (!w) {
    heat_error_set(&err, HEAT_ENOMEM, "map", "out of memory for the mapper workspace");
    return cli_fail(&err);
  }
  int rc = map_search(&a, &step.problem, &opt, w, &step.result, &err);
  map_workspace_free(w);
  if (rc) return cli_fail(&err);
  arch eff;
  map_effective_arch(&a, &opt, &eff);
  if (csv)
    map_report_csv(stdout, &eff, &step, 1, &opt);
  else
    map_report_text(stdout, &eff, &opt, &step, 1);
  return 0;
}
