/* heat map: map GEMM steps onto an accelerator and price them (analytical model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/map_report.h"
#include "common/heat_parse.h"
#include "mapper/layer.h"
#include "mapper/program.h"

static void map_help(FILE *out) {
  fprintf(out,
          "usage: heat map --arch NAME|FILE --gemm M,N,K [options]\n"
          "       heat map --arch NAME|FILE --model NAME|FILE [--layer OP]\n"
          "                [--format F [--shape S] [--ranks R]] [options]\n\n"
          "Maps each step onto the accelerator (dataflow, tiles, loop order, buffers) by an\n"
          "exhaustive search of the pruned mapspace, and prints per step: the GEMM view, the\n"
          "mapping, cycles, utilization, the bound resource, DRAM bytes and energy by component;\n"
          "then totals (for a model also per layer and per component). Formulas: mapper/MAPPING.md.\n\n"
          "  --arch NAME|FILE        accelerator preset (heat arch list) or .cfg file (required)\n"
          "  --gemm M,N,K            one GEMM: output M x N, reduction K (SCALE-Sim's order)\n"
          "  --model NAME|FILE       a whole model (heat model list): every operation priced\n"
          "  --layer OP              only this block operation (q, k, v, o, ffn1, ffn2, ...)\n"
          "  --format F              dense|svd|cp|tucker|ttm|tt for the --layer linear (without\n"
          "                          --layer: every linear of the block)\n"
          "  --shape S               tensorization, e.g. 12x16x16:8x8x12 (svd/dense: optional)\n"
          "  --ranks R               ranks, e.g. 16,16\n"
          "  --path mac|hw           contraction path: MAC-optimal, or chosen with the mapped\n"
          "                          cost (default hw; never worse than mac)\n"
          "  --no-fuse               keep every intermediate in DRAM\n"
          "  --precompute never|no-growth|always\n"
          "                          fold weight-only parts of a factorized layer offline\n"
          "                          (default no-growth: only when stored parameters do not\n"
          "                          grow, as HEAT does)\n"
          "  --seq N, --batch B      workload size (with --gemm, --batch is B GEMMs)\n"
          "  --dataflow os|ws|is     fix the dataflow (default: search all the arch offers)\n"
          "  --array RxC             override the array size (vector arrays: LANESxWIDTH)\n"
          "  --timing scalesim|overlap\n"
          "                          scalesim: folds never overlap (SCALE-Sim's cycles + 1);\n"
          "                          overlap: the next fold's stationary load and skew run\n"
          "                          under the current fold (needs an array that double-buffers\n"
          "                          weights; the default for such arrays)\n"
          "  --objective latency|energy|edp   what the search minimises (default edp;\n"
          "                          latency with --timing scalesim, as SCALE-Sim's schedule)\n"
          "  --no-stalls             price the array alone, no memory stalls (as SCALE-Sim's\n"
          "                          compute report)\n"
          "  --csv                   CSV on stdout: one row per step and a 'total' row\n"
          "  --program FILE          also write the program (DMA loads/stores, array folds,\n"
          "                          SIMD ops, dependences) the mapping hands the machine;\n"
          "                          heat sim --program FILE runs it (format: mapper/program.h)\n");
}

typedef struct map_args {
  const char *arch, *gemm, *model, *layer, *format, *shape, *ranks, *path, *seq, *batch,
      *dataflow, *array, *timing, *objective, *precompute, *program;
  bool csv, no_stalls, no_fuse;
} map_args;

static int map_parse_args(int argc, char **argv, map_args *a, bool *help) {
  memset(a, 0, sizeof *a);
  const cli_opt opts[] = {
      CLI_TEXT("arch", &a->arch),         CLI_TEXT("gemm", &a->gemm),
      CLI_TEXT("model", &a->model),       CLI_TEXT("layer", &a->layer),
      CLI_TEXT("format", &a->format),     CLI_TEXT("shape", &a->shape),
      CLI_TEXT("ranks", &a->ranks),       CLI_TEXT("path", &a->path),
      CLI_TEXT("precompute", &a->precompute),
      CLI_TEXT("seq", &a->seq),           CLI_TEXT("batch", &a->batch),
      CLI_TEXT("dataflow", &a->dataflow), CLI_TEXT("array", &a->array),
      CLI_TEXT("timing", &a->timing),     CLI_TEXT("objective", &a->objective),
      CLI_FLAG("csv", &a->csv),           CLI_FLAG("no-stalls", &a->no_stalls),
      CLI_FLAG("no-fuse", &a->no_fuse),   CLI_TEXT("program", &a->program),
  };
  cli_parser p = {.cmd = "map", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&p, argc, argv);
  *help = p.help;
  if (rc || p.help) return rc;
  if (!a->arch) return cli_usage_error("map", "--arch is required");
  if (!a->gemm == !a->model) return cli_usage_error("map", "give one of --gemm M,N,K or --model");
  if (a->gemm && (a->layer || a->format || a->shape || a->ranks || a->seq || a->path ||
                  a->precompute || a->no_fuse))
    return cli_usage_error("map", "--layer, --format, --shape, --ranks, --seq, --path, "
                                  "--precompute and --no-fuse need --model");
  if ((a->shape || a->ranks) && !a->format)
    return cli_usage_error("map", "--shape and --ranks need --format");
  return 0;
}

static int map_options_from_args(const map_args *g, const arch *a, map_options *opt,
                                 heat_error *err) {
  map_options_init(opt, a);
  opt->memory_stalls = !g->no_stalls;
  if (g->timing && map_timing_parse(g->timing, &opt->timing, err)) return err->code;
  /* SCALE-Sim's compute report is the cycle-minimal schedule: comparing with it means searching
   * for latency, unless the user asks for another objective. */
  if (g->timing && opt->timing == FOLD_TIMING_SCALESIM) opt->objective = MAP_OBJECTIVE_LATENCY;
  if (g->objective && map_objective_parse(g->objective, &opt->objective, err)) return err->code;
  if (g->array) {
    int64_t v[2];
    size_t n = 0;
    int rc = heat_parse_int64_list(g->array, 'x', 1, 65536, "--array", v, 2, &n, err);
    if (rc) return rc;
    if (n != 2)
      return heat_error_set(err, HEAT_EINVAL, "--array", "'%s' is not RxC (e.g. 32x32)", g->array);
    opt->array_rows_override = v[0];
    opt->array_cols_override = v[1];
  }
  if (g->dataflow) {
    arch_dataflow df;
    if (arch_dataflow_parse(g->dataflow, &df, err)) {
      snprintf(err->where, sizeof err->where, "--dataflow");
      return err->code;
    }
    opt->dataflows = 1u << df;
  }
  return map_options_check(opt, a, err);
}

static int map_layer_config(const map_args *g, layer_config *cfg, heat_error *err) {
  layer_config_init(cfg);
  if (g->layer && !g->layer[0])
    return heat_error_set(err, HEAT_EINVAL, "--layer",
                          "empty operation name; give a block operation (q, ffn1, softmax, ...) "
                          "or leave --layer out to price the whole model");
  if (g->layer) snprintf(cfg->only, sizeof cfg->only, "%s", g->layer);
  if (g->no_fuse) cfg->fuse = false;
  if (g->path) {
    if (strcmp(g->path, "mac") == 0) cfg->path_mode = LAYER_PATH_MACS;
    else if (strcmp(g->path, "hw") == 0) cfg->path_mode = LAYER_PATH_HARDWARE;
    else
      return heat_error_set(err, HEAT_EINVAL, "--path", "unknown path mode '%s'; allowed: mac, hw",
                            g->path);
  }
  if (g->precompute && path_precompute_parse(g->precompute, "--precompute", &cfg->precompute, err))
    return err->code;
  if (!g->format) return HEAT_OK;
  cfg->has_format = true;
  snprintf(cfg->target, sizeof cfg->target, "%s", g->layer ? g->layer : "all");
  int rc = wl_format_parse(g->format, "--format", &cfg->format.format, err);
  if (!rc && !g->shape && cfg->format.format != WL_FORMAT_DENSE &&
      cfg->format.format != WL_FORMAT_SVD)
    rc = heat_error_set(err, HEAT_EINVAL, "--shape",
                        "--format %s needs --shape OUT:IN (a tensorized shape such as "
                        "12x16x16:8x8x12 for a 3072 x 768 weight)",
                        g->format);
  if (!rc && g->shape) rc = wl_shape_parse(g->shape, "--shape", &cfg->format.shape, err);
  if (!rc && g->ranks)
    rc = heat_parse_int64_list(g->ranks, ',', 1, (int64_t)1 << 20, "--ranks", cfg->format.rank,
                               WL_MAX_RANKS, &cfg->format.n_ranks, err);
  return rc;
}

int cmd_map(int argc, char **argv) {
  map_args g;
  bool help;
  int rc = map_parse_args(argc, argv, &g, &help);
  if (rc) return rc;
  if (help) {
    map_help(stdout);
    return 0;
  }
  heat_error err;
  arch a;
  if (arch_resolve(g.arch, &a, &err)) return cli_fail(&err);
  map_options opt;
  if (map_options_from_args(&g, &a, &opt, &err)) return cli_fail(&err);
  arch eff;
  map_effective_arch(&a, &opt, &eff);
  map_workspace *w = map_workspace_alloc();
  if (!w) {
    heat_error_set(&err, HEAT_ENOMEM, "map", "out of memory for the mapper workspace");
    return cli_fail(&err);
  }
  static layer_report rep;
  static layer_item single;
  const layer_item *items = &single;
  size_t n = 1;
  const layer_report *model_rep = NULL;
  static model m;
  if (g.gemm) {
    int64_t mnk[3], b = 1;
    size_t k = 0;
    rc = heat_parse_int64_list(g.gemm, ',', 1, (int64_t)1 << 24, "--gemm", mnk, 3, &k, &err);
    if (!rc && k != 3)
      rc = heat_error_set(&err, HEAT_EINVAL, "--gemm", "'%s' is not M,N,K (three sizes)", g.gemm);
    if (!rc && g.batch) rc = heat_parse_int64(g.batch, 1, (int64_t)1 << 20, "--batch", &b, &err);
    if (!rc) {
      memset(&single, 0, sizeof single);
      snprintf(single.name, sizeof single.name, "gemm");
      single.count = single.repeat = 1;
      map_problem_gemm(&single.problem, b, mnk[0], mnk[2], mnk[1]);
      rc = map_search(&a, &single.problem, &opt, w, &single.result, &err);
    }
  } else {
    layer_config cfg;
    rc = model_resolve(g.model, &m, &err);
    int64_t v;
    if (!rc && g.seq && !(rc = heat_parse_int64(g.seq, 1, INT32_MAX, "--seq", &v, &err)))
      rc = model_set_seq(&m, v, "--seq", &err);
    if (!rc && g.batch && !(rc = heat_parse_int64(g.batch, 1, INT32_MAX, "--batch", &v, &err)))
      rc = model_set_batch(&m, v, "--batch", &err);
    if (!rc) rc = map_layer_config(&g, &cfg, &err);
    if (!rc) rc = layer_price_model(&a, &m, &cfg, &opt, w, &rep, &err);
    items = rep.items;
    n = rep.n_items;
    model_rep = g.layer ? NULL : &rep;
  }
  map_workspace_free(w);
  if (rc == HEAT_ERANGE && strcmp(err.where, MAP_SIZE_WHERE) == 0) {
    /* Name the option that made the step too large. */
    const char *opt_name = g.model ? (g.batch ? "--batch" : g.seq ? "--seq" : "--model")
                                   : (single.problem.dim[0] > 1 ? "--batch" : "--gemm");
    if (g.gemm && single.problem.dim[0] > 1) {
      map_problem one = single.problem;
      one.dim[0] = 1;
      heat_error e2;
      if (map_problem_check(&one, &e2)) opt_name = "--gemm";
    }
    snprintf(err.where, sizeof err.where, "%s", opt_name);
  }
  if (rc) return cli_fail(&err);
  if (g.program) {
    program prog;
    program_init(&prog);
    rc = program_emit_items(&prog, &eff, &opt, g.model ? &m : NULL, items, n, &err);
    if (!rc) rc = program_write_file(g.program, &prog, &err);
    program_free(&prog);
    if (rc) return cli_fail(&err);
  }
  if (g.csv)
    map_report_csv(stdout, &eff, &opt, items, n, g.model ? rep.saved_dram_bytes : -1);
  else
    map_report_text(stdout, &eff, &opt, items, n, model_rep, g.model ? rep.saved_dram_bytes : -1);
  return 0;
}
