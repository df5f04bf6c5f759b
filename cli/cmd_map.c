/* heat map: map GEMM steps onto an accelerator and price them (analytical model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/map_args.h"
#include "cli/map_plan.h"
#include "cli/map_report.h"
#include "common/heat_parse.h"
#include "mapper/layer.h"
#include "mapper/program.h"

static void map_help(FILE *out) {
  fprintf(out,
          "usage: heat map --arch NAME|FILE --gemm M,N,K [options]\n"
          "       heat map --arch NAME|FILE --model NAME|FILE [--layer OP]\n"
          "                [--format F [--shape S] [--ranks R]] [options]\n"
          "       heat map --arch NAME|FILE --plan FILE [--model M] [--seq N] [options]\n\n"
          "Maps each step onto the accelerator (dataflow, tiles, loop order, buffers) by an\n"
          "exhaustive search of the pruned mapspace, and prints per step: the GEMM view, the\n"
          "mapping, cycles, utilization, the bound resource, DRAM bytes and energy by component;\n"
          "then totals (for a model also per layer and per component). Formulas: mapper/MAPPING.md.\n\n"
          "  --arch NAME|FILE        accelerator preset (heat arch list) or .cfg file (required)\n"
          "  --gemm M,N,K            one GEMM: output M x N, reduction K (SCALE-Sim's order;\n"
          "                          heat prints every GEMM as B, M, N, K)\n"
          "  --model NAME|FILE       a whole model (heat model list): every operation priced\n"
          "  --layer OP              only this block operation (q, k, v, o, ffn1, ffn2, softmax,\n"
          "                          ...); 'ffn' = ffn1 and ffn2, 'all' = every linear of the\n"
          "                          block (with its bias add, but no attention matmul or other\n"
          "                          SIMD op: the total line says so)\n"
          "  --format F              dense|svd|cp|tucker|ttm|tt for the --layer linear (without\n"
          "                          --layer: every linear of the block)\n"
          "  --shape S               tensorization, e.g. 12x16x16:8x8x12 (svd/dense: optional)\n"
          "  --ranks R               ranks, e.g. 16,16\n"
          "  --plan FILE             a decomposition plan (search/PLAN.md; heat search writes\n"
          "                          them): every block linear as the plan says, priced block\n"
          "                          by block (identical linears searched once); the model is\n"
          "                          the plan's unless --model is given\n"
          "  --no-cp-weights         cp: fold the weight vector into the first factor (as\n"
          "                          heat decompose --no-cp-weights)\n"
          "  --path mac|hw           contraction path: MAC-optimal, or chosen with the mapped\n"
          "                          cost (default hw; never worse than mac)\n"
          "  --no-fuse               keep every intermediate in DRAM\n"
          "  --precompute never|no-growth|always\n"
          "                          fold weight-only parts of a factorized layer offline\n"
          "                          (default no-growth: only when stored parameters do not\n"
          "                          grow, as HEAT does)\n"
          "  --seq N, --batch B      workload size (with --gemm, --batch is B GEMMs)\n"
          "  --dataflow os|ws|is     fix the dataflow (default: search all the arch offers)\n"
          "  --array RxC             override the array size (vector arrays: LANESxWIDTH); SIMD\n"
          "                          lanes keep the arch's lanes per column, and leakage and\n"
          "                          area scale with the PEs and lanes (arch/README.md)\n"
          "  --timing scalesim|overlap\n"
          "                          scalesim: folds never overlap (SCALE-Sim's cycles + 1);\n"
          "                          overlap: the next fold's stationary load and skew run\n"
          "                          under the current fold (needs an array that double-buffers\n"
          "                          weights; the default for such arrays)\n"
          "  --objective latency|energy|edp   what the search minimises (default edp;\n"
          "                          latency with --timing scalesim, as SCALE-Sim's schedule)\n"
          "  --no-stalls             price the array alone, no memory stalls (as SCALE-Sim's\n"
          "                          compute report)\n"
          "  --csv                   CSV on stdout: one row per step and a 'total' row. A step's\n"
          "                          cycles, latency_s, energy and edp_js are one instance's\n"
          "                          (it runs count x repeat times; the total row sums them\n"
          "                          all, its edp_js is total energy x total latency); offline\n"
          "                          = 1 marks a pre-computed step (not priced); a factorized\n"
          "                          layer's factor_params and stored_params (after\n"
          "                          pre-computation) sit on its first step's row\n"
          "  --program FILE          also write the program (DMA loads/stores, array folds,\n"
          "                          SIMD ops, dependences) the mapping hands the machine;\n"
          "                          heat sim --program FILE runs it (format: mapper/program.h)\n");
}

static int map_parse_args(int argc, char **argv, map_args *a, bool *help) {
  memset(a, 0, sizeof *a);
  const cli_opt opts[] = {
      MAP_ARGS_OPTS(a),
      CLI_FLAG("csv", &a->csv),
      CLI_TEXT("program", &a->program),
      CLI_TEXT("plan", &a->plan),
  };
  cli_parser p = {.cmd = "map", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&p, argc, argv);
  *help = p.help;
  if (rc || p.help) return rc;
  return map_args_check("map", a);
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
  if (g.plan) {
    if (g.program)
      return cli_usage_error("map", "--program is not available with --plan yet");
    arch a, eff;
    map_options opt;
    map_plan_args pa = {.plan = g.plan, .model = g.model, .csv = g.csv};
    rc = map_args_arch(&g, &a, &opt, &eff, &err);
    if (!rc && g.seq) rc = heat_parse_int64(g.seq, 1, INT32_MAX, "--seq", &pa.seq, &err);
    if (!rc && g.batch) rc = heat_parse_int64(g.batch, 1, INT32_MAX, "--batch", &pa.batch, &err);
    if (!rc) rc = map_plan_print(stdout, &eff, &opt, &pa, &err);
    return rc ? cli_fail(&err) : 0;
  }
  static map_priced pr;
  if (map_price_args(&g, &pr, &err)) return cli_fail(&err);
  if (g.program) {
    program prog;
    program_init(&prog);
    rc = program_emit_items(&prog, &pr.eff, &pr.opt, g.model ? &pr.m : NULL, pr.items, pr.n, &err);
    if (!rc) rc = program_write_file(g.program, &prog, &err);
    program_free(&prog);
    if (rc) return cli_fail(&err);
  }
  map_report_scope scope = {.rep = pr.rep, .layer = g.layer, .precompute = pr.precompute};
  const map_report_scope *sc = g.model ? &scope : NULL;
  if (g.csv)
    map_report_csv(stdout, &pr.eff, &pr.opt, pr.items, pr.n, pr.saved_dram_bytes, sc);
  else
    map_report_text(stdout, &pr.eff, &pr.opt, pr.items, pr.n, pr.model_rep, pr.saved_dram_bytes,
                    sc);
  return 0;
}
