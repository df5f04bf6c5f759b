/* heat sweep: dense and given plans priced over a cross product of hardware variants (array
 * size, on-chip SRAM, DRAM bandwidth, clock); a tidy CSV and figures vs array size. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "common/heat_csv.h"
#include "common/heat_parse.h"
#include "search/dist.h"
#include "search/price.h"

#define SWEEP_MAX 16
#define SWEEP_PLANS 8

static void sweep_help(FILE *out) {
  fprintf(out,
          "usage: heat sweep [--model M] [--arch A] --arrays RxC,... [--buffers-kib K,...]\n"
          "                  [--bandwidth-gbs B,...] [--clock-ghz F,...] [--plan FILE,...]\n"
          "                  [--seq N] [--threads N] [--out DIR] [--no-figures]\n\n"
          "Prices the dense model and each plan (heat search writes them; search/PLAN.md) on\n"
          "every combination of the hardware values given (the arch's own value where an option\n"
          "is left out). One CSV row per (variant, plan); a variant a plan cannot be mapped on\n"
          "(buffers too small) is a row with status 'unmappable' and the reason.\n\n"
          "  --model NAME|FILE     model (default bert-base; plans name theirs, which must match)\n"
          "  --arch NAME|FILE      base accelerator (default simba-l)\n"
          "  --arrays LIST         array sizes, RxC (vector arrays: LANESxWIDTH), e.g. 8x8,16x16\n"
          "  --buffers-kib LIST    total on-chip SRAM in KiB; every buffer is scaled by the same\n"
          "                        factor (the arch's proportions kept)\n"
          "  --bandwidth-gbs LIST  DRAM bandwidth, GB/s\n"
          "  --clock-ghz LIST      clock, GHz\n"
          "  --plan LIST           plan files, comma-separated\n"
          "  --seq N               sequence length\n"
          "  --out DIR             results directory (default results/sweep-MODEL-ARCH): sweep.csv,\n"
          "                        figures.gp and fig_sweep_{edp,latency,energy}.{pdf,svg,png}\n"
          "  --threads N           variants priced at once per process (default 1)\n"
          "  --no-figures          the CSV only\n\n"
          "Under mpirun or srun (heat built with HEAT_MPI) the variants are spread over the\n"
          "ranks by a work queue on rank 0, which writes the same files as a run alone\n"
          "(docs/cluster.md).\n");
}

static int sweep_doubles(const char *text, const char *what, double lo, double hi, double *out,
                         size_t *n, heat_error *err) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", text);
  *n = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (*n == SWEEP_MAX)
      return heat_error_set(err, HEAT_EINVAL, what, "more than %d values", SWEEP_MAX);
    int rc = heat_parse_double(t, lo, hi, what, &out[(*n)++], err);
    if (rc) return rc;
  }
  if (!*n) return heat_error_set(err, HEAT_EINVAL, what, "no value in '%s'", text);
  return HEAT_OK;
}

static int sweep_arrays(const char *text, int64_t (*out)[2], size_t *n, heat_error *err) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", text);
  *n = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (*n == SWEEP_MAX)
      return heat_error_set(err, HEAT_EINVAL, "--arrays", "more than %d sizes", SWEEP_MAX);
    size_t k = 0;
    int rc = heat_parse_int64_list(t, 'x', 1, 65536, "--arrays", out[*n], 2, &k, err);
    if (rc) return rc;
    if (k != 2)
      return heat_error_set(err, HEAT_EINVAL, "--arrays", "'%s' is not RxC (e.g. 32x32)", t);
    (*n)++;
  }
  if (!*n) return heat_error_set(err, HEAT_EINVAL, "--arrays", "no size in '%s'", text);
  return HEAT_OK;
}

typedef struct sweep_plan {
  char name[128];
  plan pl;
} sweep_plan;

/* One plan priced on one variant; `reason` when it was not. */
typedef struct sweep_cell {
  int rc;
  int64_t params;
  double latency_s, energy_j, edp_js;
  char reason[HEAT_ERROR_WHERE_MAX + HEAT_ERROR_MSG_MAX + 4];
} sweep_cell;

/* One point of the sweep (a hardware variant): every plan priced on it. Plain bytes, so MPI
 * ranks can send it to rank 0 (search/dist.h). */
typedef struct sweep_result {
  double gbps, clock_ghz; /* of the effective arch */
  sweep_cell cell[];      /* dense, then each plan */
} sweep_result;

typedef struct sweep_ctx {
  const model *m;
  const arch *base;
  int64_t (*arr)[2];
  const double *kib, *gbs, *ghz;
  size_t n_arr, n_kib, n_gbs, n_ghz, n_plans;
  const plan *dense;
  const sweep_plan *plans;
  const int *status;
  const heat_error *errors;
} sweep_ctx;

static void sweep_cell_fail(sweep_cell *c, int rc, const heat_error *err) {
  c->rc = rc;
  snprintf(c->reason, sizeof c->reason, "%s%s%s", err->where, err->where[0] ? ": " : "",
           err->msg);
}

static void sweep_row(FILE *f, const sweep_result *res, const int64_t *array, double kib,
                      const char *plan, const sweep_cell *c, double dense_edp) {
  fprintf(f, "%lldx%lld,%lld,%.6g,%.6g,%.6g,", (long long)array[0], (long long)array[1],
          (long long)(array[0] * array[1]), kib, res->gbps, res->clock_ghz);
  heat_csv_field(f, plan);
  if (c->rc) {
    fprintf(f, ",%s,", c->rc == HEAT_ENOFIT ? "unmappable" : "failed");
    heat_csv_field(f, c->reason);
    fprintf(f, ",,,,,\n");
    return;
  }
  fprintf(f, ",ok,,%lld,%.6g,%.6g,%.6g,%.6g\n", (long long)c->params, c->latency_s, c->energy_j,
          c->edp_js, dense_edp / c->edp_js);
}

static void *sweep_local_alloc(void *ctx) {
  (void)ctx;
  return map_workspace_alloc();
}

static void sweep_local_free(void *local) { map_workspace_free(local); }

/* Point i: variant (array, buffers, bandwidth, clock) in the order of the nested loops. */
static void sweep_variant(const sweep_ctx *x, size_t i, arch *a, map_options *opt, arch *eff) {
  size_t ic = i % x->n_ghz, ib = i / x->n_ghz % x->n_gbs, ik = i / x->n_ghz / x->n_gbs % x->n_kib,
         ia = i / x->n_ghz / x->n_gbs / x->n_kib;
  *a = *x->base;
  double scale = x->kib[ik] * 1024.0 / (double)arch_sram_bytes(x->base);
  for (size_t b = 0; b < a->n_buffers; b++) {
    double s = (double)a->buffers[b].size_bytes * scale;
    a->buffers[b].size_bytes =
        s < (double)a->buffers[b].access_bytes ? a->buffers[b].access_bytes : (int64_t)s;
  }
  a->dram.gbps = x->gbs[ib];
  a->clock_ghz = x->ghz[ic];
  map_options_init(opt, a);
  opt->array_rows_override = x->arr[ia][0];
  opt->array_cols_override = x->arr[ia][1];
  map_effective_arch(a, opt, eff);
}

static int sweep_point(void *vctx, void *local, size_t i, void *out, heat_error *err) {
  const sweep_ctx *x = vctx;
  sweep_result *res = out;
  if (!local) return heat_error_set(err, HEAT_ENOMEM, "sweep", "out of memory");
  arch a, eff;
  map_options opt;
  sweep_variant(x, i, &a, &opt, &eff);
  res->gbps = eff.dram.gbps;
  res->clock_ghz = eff.clock_ghz;
  pricer p;
  heat_error e;
  int prc = map_options_check(&opt, &a, &e);
  if (!prc) prc = pricer_init(&p, &eff, x->m, &opt, local, &e);
  plan_cost *pc = malloc(sizeof *pc);
  if (!pc) {
    if (!prc) pricer_free(&p);
    return heat_error_set(err, HEAT_ENOMEM, "sweep", "out of memory");
  }
  for (size_t k = 0; k <= x->n_plans; k++) {
    sweep_cell *c = &res->cell[k];
    if (prc) {
      sweep_cell_fail(c, prc, &e);
      continue;
    }
    heat_error e2;
    int r2 = pricer_plan(&p, k ? &x->plans[k - 1].pl : x->dense, local, pc, &e2);
    if (r2) {
      sweep_cell_fail(c, r2, &e2);
      continue;
    }
    c->params = pc->params;
    c->latency_s = pc->total.latency_s;
    c->energy_j = pc->total.energy_j;
    c->edp_js = price_edp(&pc->total);
  }
  free(pc);
  if (!prc) pricer_free(&p);
  return HEAT_OK;
}

/* Rank 0: a point that failed as a whole (out of memory, a rank's fault) is a failed row per
 * plan; the run goes on. */
static void sweep_done(void *vctx, size_t i, int rank) {
  const sweep_ctx *x = vctx;
  if (x->status[i])
    fprintf(stderr, "heat: warning: sweep point %zu failed on rank %d: %s%s%s (a failed row)\n",
            i, rank, x->errors[i].where, x->errors[i].where[0] ? ": " : "", x->errors[i].msg);
}

/* One line per plan when each array size has one variant; points otherwise. */
static void sweep_figures(FILE *f, const char *model_name, const char *arch_name,
                          const sweep_plan *plans, size_t n_plans, bool lines) {
  char list[2048] = "dense";
  size_t n = strlen(list);
  for (size_t i = 0; i < n_plans; i++)
    n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, " %s", plans[i].name);
  static const struct { const char *name, *col, *label, *scale; } figs[] = {
      {"edp", "$12", "EDP (J s)", "1"},
      {"latency", "$10", "latency (ms)", "1e3"},
      {"energy", "$11", "energy per inference (mJ)", "1e3"},
  };
  static const struct { const char *term, *ext; } t[] = {
      {"pdfcairo size 7in,4.5in font 'Helvetica,10'", "pdf"},
      {"svg size 900,560 dynamic font 'Helvetica,12'", "svg"},
      {"pngcairo size 1100,680 font 'Helvetica,12'", "png"},
  };
  fprintf(f, "# Figures of a heat sweep; run `gnuplot figures.gp` in this directory.\n"
             "set datafile separator ','\nset key outside right top box noenhanced\nset grid\n"
             "set logscale x 2\nset logscale y\n"
             "set xlabel 'array size (PEs / MACs per cycle)'\n");
  for (size_t i = 0; i < 3; i++)
    for (size_t k = 0; k < 3; k++)
      fprintf(f,
              "set terminal %s\nset output 'fig_sweep_%s.%s'\n"
              "set title \"%s on %s variants: %s vs array size\" noenhanced\nset ylabel '%s'\n"
              "plot for [p in \"%s\"] 'sweep.csv' skip 1 using ((strcol(6) eq p && strcol(7) eq "
              "'ok') ? $2 : NaN):(%s*%s) %s title p\nunset output\n",
              t[k].term, figs[i].name, t[k].ext, model_name, arch_name, figs[i].name,
              figs[i].label, list, figs[i].scale, figs[i].col,
              lines ? "smooth unique with linespoints pt 7 lw 2" : "with points pt 7 ps 1.2");
}

int cmd_sweep(int argc, char **argv) {
  const char *model_name = "bert-base", *arch_name = "simba-l", *arrays = NULL, *buffers = NULL,
             *bandwidth = NULL, *clock = NULL, *plans_text = NULL, *out_dir = NULL;
  int64_t seq = 0, threads = 1;
  bool no_figures = false;
  const cli_opt opts[] = {
      CLI_TEXT("model", &model_name),   CLI_TEXT("arch", &arch_name),
      CLI_TEXT("arrays", &arrays),      CLI_TEXT("buffers-kib", &buffers),
      CLI_TEXT("bandwidth-gbs", &bandwidth), CLI_TEXT("clock-ghz", &clock),
      CLI_TEXT("plan", &plans_text),    CLI_TEXT("out", &out_dir),
      CLI_INT("seq", &seq, 1, INT32_MAX), CLI_FLAG("no-figures", &no_figures),
      CLI_INT("threads", &threads, 1, 256),
  };
  cli_parser cp = {.cmd = "sweep", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&cp, argc, argv);
  if (rc) return rc;
  if (cp.help) {
    sweep_help(stdout);
    return 0;
  }
  if (!arrays) return cli_usage_error("sweep", "--arrays is required (e.g. 8x8,16x16,32x32)");
  heat_error err;
  static model m;
  static arch base;
  int64_t arr[SWEEP_MAX][2];
  double kib[SWEEP_MAX], gbs[SWEEP_MAX], ghz[SWEEP_MAX];
  size_t n_arr = 0, n_kib = 1, n_gbs = 1, n_ghz = 1, n_plans = 0;
  static sweep_plan plans[SWEEP_PLANS];
  rc = model_resolve(model_name, &m, &err);
  if (!rc && seq) rc = model_set_seq(&m, seq, "--seq", &err);
  if (!rc) rc = arch_resolve(arch_name, &base, &err);
  if (!rc) rc = sweep_arrays(arrays, arr, &n_arr, &err);
  kib[0] = (double)arch_sram_bytes(&base) / 1024.0;
  gbs[0] = base.dram.gbps;
  ghz[0] = base.clock_ghz;
  if (!rc && buffers) rc = sweep_doubles(buffers, "--buffers-kib", 1e-3, 1e9, kib, &n_kib, &err);
  if (!rc && bandwidth) rc = sweep_doubles(bandwidth, "--bandwidth-gbs", 1e-3, 1e6, gbs, &n_gbs, &err);
  if (!rc && clock) rc = sweep_doubles(clock, "--clock-ghz", 1e-3, 100, ghz, &n_ghz, &err);
  if (!rc && plans_text) {
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", plans_text);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && !rc;
         t = strtok_r(NULL, ",", &save)) {
      if (n_plans == SWEEP_PLANS) {
        rc = heat_error_set(&err, HEAT_EINVAL, "--plan", "more than %d plans", SWEEP_PLANS);
        break;
      }
      sweep_plan *sp = &plans[n_plans++];
      const char *slash = strrchr(t, '/');
      snprintf(sp->name, sizeof sp->name, "%s", slash ? slash + 1 : t);
      char *dot = strrchr(sp->name, '.');
      if (dot && !strcmp(dot, ".json")) *dot = '\0';
      rc = plan_read_file(t, &sp->pl, &err);
      if (!rc) rc = plan_check(&sp->pl, &m, t, &err);
    }
  }
  if (rc) return cli_fail(&err);
  char outbuf[600], path[1200];
  if (!out_dir) {
    snprintf(outbuf, sizeof outbuf, "results/sweep-%s-%s", m.name, base.name);
    out_dir = outbuf;
  }
  /* Every rank prices points; rank 0 alone writes (search/dist.h). */
  bool root = dist_is_root();
  FILE *f = NULL;
  snprintf(path, sizeof path, "%s/sweep.csv", out_dir);
  if (root) {
    mkdir("results", 0777);
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
      heat_error_set(&err, HEAT_EIO, out_dir, "cannot create directory: %s", strerror(errno));
      return cli_fail(&err);
    }
    f = fopen(path, "w");
    if (!f) {
      heat_error_set(&err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
      return cli_fail(&err);
    }
  }
  static plan dense_plan;
  plan_init_dense(&dense_plan, &m, NULL);
  size_t total = n_arr * n_kib * n_gbs * n_ghz;
  size_t rsize = sizeof(sweep_result) + (n_plans + 1) * sizeof(sweep_cell);
  char *results = calloc(total, rsize);
  int *status = calloc(total, sizeof *status);
  heat_error *errors = calloc(total, sizeof *errors);
  sweep_ctx x = {&m, &base, arr, kib, gbs, ghz, n_arr, n_kib, n_gbs, n_ghz, n_plans,
                 &dense_plan, plans, status, errors};
  dist_job job = {.what = "heat sweep", .n = total, .result_size = rsize, .eval = sweep_point,
                  .ctx = &x, .local_alloc = sweep_local_alloc, .local_free = sweep_local_free,
                  .results = results, .status = status, .errors = errors, .done = sweep_done,
                  .threads = (int)threads, .progress = root && isatty(2)};
  rc = results && status && errors ? dist_run(&job, &err)
                                   : heat_error_set(&err, HEAT_ENOMEM, "sweep", "out of memory");
  if (!rc && root) {
    fprintf(f, "array,array_pes,buffers_kib,bandwidth_gbs,clock_ghz,plan,status,reason,params,"
               "latency_s,energy_j,edp_js,edp_reduction_x\n");
    for (size_t i = 0; i < total; i++) {
      sweep_result *res = (sweep_result *)(results + i * rsize);
      size_t ik = i / n_ghz / n_gbs % n_kib, ia = i / n_ghz / n_gbs / n_kib;
      double dense_edp = 0;
      for (size_t k = 0; k <= n_plans; k++) {
        sweep_cell c = res->cell[k];
        if (status[i]) {
          arch a, eff;
          map_options opt;
          sweep_variant(&x, i, &a, &opt, &eff);
          res->gbps = eff.dram.gbps;
          res->clock_ghz = eff.clock_ghz;
          sweep_cell_fail(&c, status[i], &errors[i]);
        }
        if (!c.rc && k == 0) dense_edp = c.edp_js;
        if (!c.rc && dense_edp <= 0) dense_edp = c.edp_js;
        sweep_row(f, res, arr[ia], kib[ik], k ? plans[k - 1].name : "dense", &c, dense_edp);
      }
    }
  }
  free(results);
  free(status);
  free(errors);
  if (!root) return rc ? cli_fail(&err) : 0;
  if (fclose(f) != 0 && !rc)
    rc = heat_error_set(&err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  if (rc) return cli_fail(&err);
  if (!no_figures) {
    snprintf(path, sizeof path, "%s/figures.gp", out_dir);
    FILE *g = fopen(path, "w");
    if (g) {
      sweep_figures(g, m.name, base.name, plans, n_plans, n_kib * n_gbs * n_ghz == 1);
      fclose(g);
      char cmd[1400];
      snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot figures.gp", out_dir);
      int st = strchr(out_dir, '\'') ? -1 : system(cmd);
      if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "heat: warning: figures not rendered: run `gnuplot figures.gp` in %s\n",
                out_dir);
    }
  }
  printf("heat sweep: %s on %zu variants of %s, dense and %zu plan(s): %s/sweep.csv%s\n", m.name,
         total, base.name, n_plans, out_dir, no_figures ? "" : " and fig_sweep_*.{pdf,svg,png}");
  return 0;
}
