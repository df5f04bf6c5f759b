/* heat validate: the analytical model against the SystemC model on the same programs. Per step
 * both latencies, their difference, whether MACs, DRAM bytes and buffer accesses agree exactly;
 * then the distribution of the differences. Exit 0 when every step is within the tolerance and
 * every count agrees, 1 otherwise (2 for bad input). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/map_args.h"
#include "sim/sim.h"

static void validate_help(FILE *out) {
  fprintf(out,
          "usage: heat validate [--arch A[,B...]] [heat map workload options] [--tolerance PCT]\n\n"
          "Prices each step with the analytical model (heat map) and runs the same program on the\n"
          "SystemC cycle-level model (heat sim, timing mode). Prints per step both latencies in\n"
          "cycles, the difference in percent and whether MACs, DRAM bytes and buffer accesses\n"
          "agree exactly, then the distribution of the differences.\n\n"
          "  --arch A[,B...]         archs to validate (default tpu-32,edge-16,simba-l)\n"
          "  (workload: --gemm M,N,K or --model NAME [--layer OP] [--format F --shape S\n"
          "   --ranks R] and the other heat map options. Without a workload: dense BERT-base and\n"
          "   its ffn1 in svd, cp, tucker, ttm and tt)\n"
          "  --tolerance PCT         largest |latency difference| accepted (default 3)\n"
          "  --csv                   one CSV row per step instead of the table\n"
          "Exit status: 0 when every step agrees, 1 when a latency is outside the tolerance or a\n"
          "count differs, 2 for bad input.\n");
}

typedef struct validate_tally {
  size_t steps, within, count_bad;
  double *diffs;
  size_t cap;
} validate_tally;

static bool validate_same(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

static int validate_one(sim_session **s, const map_args *g, double tol, bool csv,
                        validate_tally *t, heat_error *err) {
  static map_priced pr;
  int rc = map_price_args(g, &pr, err);
  if (rc) return rc;
  program prog;
  program_init(&prog);
  rc = program_emit_items(&prog, &pr.eff, &pr.opt, g->model ? &pr.m : NULL, pr.items, pr.n, err);
  if (!rc && !*s) {
    *s = sim_session_alloc(&pr.eff, err);
    if (!*s) rc = err->code;
  }
  if (!rc) rc = sim_session_set_arch(*s, &pr.eff, err);
  sim_step_result *res = rc ? NULL : calloc(prog.n_steps ? prog.n_steps : 1, sizeof *res);
  if (!rc && !res) rc = heat_error_set(err, HEAT_ENOMEM, "validate", "out of memory");
  sim_options so = {.mode = SIM_MODE_TIMING};
  if (!rc) rc = sim_session_run(*s, &prog, &so, res, err);
  const char *wl = g->gemm ? g->gemm : g->model;
  const char *fmt = g->format ? g->format : "dense";
  size_t pi = 0; /* the analytical item of step i: offline items emit no program step */
  for (size_t i = 0; !rc && i < prog.n_steps; i++) {
    while (pi < pr.n && pr.items[pi].offline) pi++;
    if (pi >= pr.n) {
      rc = heat_error_set(err, HEAT_EINTERNAL, "validate", "the program has more steps than items");
      break;
    }
    const map_cost *c = &pr.items[pi++].result.cost;
    const sim_step_result *r = &res[i];
    double diff = c->cycles > 0 ? 100.0 * (r->cycles - c->cycles) / c->cycles : 0;
    bool macs = validate_same(r->counts.macs + r->counts.simd_macs, (double)c->macs);
    bool dram = validate_same(r->counts.dram_read_bytes + r->counts.dram_write_bytes, c->dram_bytes);
    bool acc = true;
    for (size_t j = 0; j < pr.eff.n_buffers; j++)
      acc = acc && validate_same(r->counts.sram_reads[j], c->sram_reads[j]) &&
            validate_same(r->counts.sram_writes[j], c->sram_writes[j]);
    bool ok = fabs(diff) <= tol;
    if (t->steps == t->cap) {
      size_t cap = t->cap ? 2 * t->cap : 256;
      double *d = realloc(t->diffs, cap * sizeof *d);
      if (!d) {
        rc = heat_error_set(err, HEAT_ENOMEM, "validate", "out of memory");
        break;
      }
      t->diffs = d;
      t->cap = cap;
    }
    t->diffs[t->steps++] = diff;
    if (ok) t->within++;
    if (!(macs && dram && acc)) t->count_bad++;
    if (csv)
      printf("%s,%s,%s,%s,%.0f,%.0f,%.4f,%d,%d,%d,%d\n", pr.eff.name, wl, fmt, prog.steps[i].name,
             c->cycles, r->cycles, diff, macs, dram, acc, ok);
    else
      printf("%-13s %-10s %-7s %-22s %12.0f %12.0f %+8.2f%%  %-3s %-3s %-3s%s\n", pr.eff.name, wl,
             fmt, prog.steps[i].name, c->cycles, r->cycles, diff, macs ? "ok" : "BAD",
             dram ? "ok" : "BAD", acc ? "ok" : "BAD", ok ? "" : "  outside tolerance");
  }
  free(res);
  program_free(&prog);
  return rc;
}

static int validate_cmp(const void *a, const void *b) {
  double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
  return x < y ? -1 : x > y;
}

int cmd_validate(int argc, char **argv) {
  map_args g;
  memset(&g, 0, sizeof g);
  double tol = 3.0;
  const cli_opt opts[] = {
      MAP_ARGS_OPTS(&g),
      CLI_FLAG("csv", &g.csv),
      CLI_REAL("tolerance", &tol, 0.0, 1e9),
  };
  cli_parser p = {.cmd = "validate", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&p, argc, argv);
  if (rc) return rc;
  if (p.help) {
    validate_help(stdout);
    return 0;
  }
  char archs[512];
  snprintf(archs, sizeof archs, "%s", g.arch ? g.arch : "tpu-32,edge-16,simba-l");
  /* The workloads: the one given, or the default set. */
  static const struct { const char *layer, *format, *shape, *ranks; } dflt[] = {
      {NULL, NULL, NULL, NULL},
      {"ffn1", "svd", NULL, "64"},
      {"ffn1", "cp", "12x16x16:8x8x12", "64"},
      {"ffn1", "tucker", "48x64:32x24", "16,16,16,16"},
      {"ffn1", "ttm", "12x16x16:8x8x12", "16,16"},
      {"ffn1", "tt", "12x16x16:8x8x12", "4,8,16,8,4"},
  };
  bool given = g.gemm || g.model;
  size_t n_work = given ? 1 : sizeof dflt / sizeof dflt[0];
  validate_tally t = {0};
  sim_session *s = NULL;
  heat_error err;
  /* Every arch is resolved before the header, so a bad name is the only output. */
  char names[512];
  snprintf(names, sizeof names, "%s", archs);
  for (char *save = NULL, *a = strtok_r(names, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
    arch probe;
    if (arch_resolve(a, &probe, &err)) return cli_fail(&err);
  }
  if (g.csv)
    printf("arch,workload,format,step,analytical_cycles,sim_cycles,difference_pct,macs_equal,"
           "dram_bytes_equal,accesses_equal,within_tolerance\n");
  else
    printf("%-13s %-10s %-7s %-22s %12s %12s %9s  %-3s %-3s %-3s\n", "arch", "workload", "format",
           "step", "analytical", "sim", "diff", "mac", "drm", "acc");
  for (char *save = NULL, *a = strtok_r(archs, ",", &save); a && !rc; a = strtok_r(NULL, ",", &save))
    for (size_t w = 0; w < n_work && !rc; w++) {
      map_args one = g;
      one.arch = a;
      if (!given) {
        one.model = "bert-base";
        one.layer = dflt[w].layer;
        one.format = dflt[w].format;
        one.shape = dflt[w].shape;
        one.ranks = dflt[w].ranks;
      }
      rc = map_args_check("validate", &one);
      if (rc) break;
      rc = validate_one(&s, &one, tol, g.csv, &t, &err);
      if (rc) {
        sim_session_free(s);
        free(t.diffs);
        return cli_fail(&err);
      }
    }
  sim_session_free(s);
  if (rc) {
    free(t.diffs);
    return rc;
  }
  if (!g.csv && t.steps) {
    qsort(t.diffs, t.steps, sizeof *t.diffs, validate_cmp);
    double sum = 0;
    for (size_t i = 0; i < t.steps; i++) sum += fabs(t.diffs[i]);
    printf("\n%zu steps: |latency difference| median %.2f%%, 90th percentile %.2f%%, max %.2f%%, "
           "mean %.2f%%; %zu within %.3g%%; counts (MACs, DRAM bytes, accesses) %s\n",
           t.steps, fabs(t.diffs[t.steps / 2]), fabs(t.diffs[(t.steps * 9) / 10 < t.steps ? (t.steps * 9) / 10 : t.steps - 1]),
           fabs(t.diffs[t.steps - 1]), sum / (double)t.steps, t.within, tol,
           t.count_bad ? "DIFFER on some steps" : "agree exactly on every step");
  }
  bool ok = t.within == t.steps && t.count_bad == 0;
  free(t.diffs);
  return ok ? 0 : 1;
}
