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
#include "search/checkpoint.h"
#include "search/dist.h"
#include "search/level1.h"
#include "search/price.h"

#define SWEEP_MAX 16
#define SWEEP_PLANS 8

static void sweep_help(FILE *out) {
  fprintf(out,
          "usage: heat sweep [--model M] [--arch A] --arrays RxC,... [--buffers-kib K,...]\n"
          "                  [--bandwidth-gbs B,...] [--clock-ghz F,...] [--plan FILE,...]\n"
          "                  [--seq N] [--threads N] [--out DIR] [--no-figures] [--resume]\n\n"
          "Prices the dense model and each plan (heat search writes them; search/PLAN.md) on\n"
          "every combination of the hardware values given (the arch's own value where an option\n"
          "is left out). One CSV row per (variant, plan); a variant a plan cannot be mapped on\n"
          "(buffers too small) is a row with status 'unmappable' and the reason.\n\n"
          "  --model NAME|FILE     model (default bert-base; plans name theirs, which must match)\n"
          "  --arch NAME|FILE      base accelerator (default simba-l)\n"
          "  --arrays LIST         array sizes, RxC (vector arrays: LANESxWIDTH), e.g. 8x8,16x16;\n"
          "                        SIMD lanes keep the arch's lanes per array column\n"
          "  --buffers-kib LIST    total on-chip SRAM in KiB; every buffer is scaled by the same\n"
          "                        factor (the arch's proportions kept)\n"
          "  --bandwidth-gbs LIST  DRAM bandwidth, GB/s\n"
          "  --clock-ghz LIST      clock, GHz\n"
          "  --plan LIST           plan files, comma-separated\n"
          "  --seq N               sequence length\n"
          "  --out DIR             results directory (default results/sweep-MODEL-ARCH): sweep.csv,\n"
          "                        figures.gp and fig_sweep_{edp,latency,energy}.{pdf,svg,png}\n"
          "  --threads N           variants priced at once per process (default 1)\n"
          "  --no-figures          the CSV only\n"
          "  --resume              continue an interrupted sweep (Ctrl-C, SIGTERM, kill -9) from\n"
          "                        DIR/checkpoint.txt, with the same options: no variant is lost\n"
          "                        or priced twice; sweep.csv is that of an uninterrupted run\n"
          "  --checkpoint-every S  save the checkpoint at most every S seconds (default 10; 0:\n"
          "                        after every variant). Ctrl-C or SIGTERM saves it and exits\n"
          "                        with 130 or 143; the checkpoint is deleted on success\n\n"
          "Leakage and area follow every value (per PE, SIMD lane, KiB and GB/s; arch/README.md).\n"
          "Under mpirun or srun (heat built with HEAT_MPI) the variants are spread over the\n"
          "ranks by a work queue on rank 0, which alone writes the files and the checkpoint: the\n"
          "same files as a run alone (docs/cluster.md).\n");
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

static void sweep_row(FILE *f, const arch *eff, const int64_t *array, double kib, const char *plan,
                      int rc, const heat_error *err, const plan_cost *pc, double dense_edp) {
  fprintf(f, "%lldx%lld,%lld,%.6g,%.6g,%.6g,", (long long)array[0], (long long)array[1],
          (long long)(array[0] * array[1]), kib, eff->dram.gbps, eff->clock_ghz);
  heat_csv_field(f, plan);
  if (rc) {
    char reason[1200];
    snprintf(reason, sizeof reason, "%s%s%s", err->where, err->where[0] ? ": " : "", err->msg);
    fprintf(f, ",%s,", rc == HEAT_ENOFIT ? "unmappable" : "failed");
    heat_csv_field(f, reason);
    fprintf(f, ",,,,,\n");
    return;
  }
  fprintf(f, ",ok,,%lld,%.6g,%.6g,%.6g,%.6g\n", (long long)pc->params, pc->total.latency_s,
          pc->total.energy_j, price_edp(&pc->total), dense_edp / price_edp(&pc->total));
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

/* The checkpoint's inputs: the model, the base arch, the hardware values, the plans' bytes and
 * the cost model (not --out or the figures). */
static void sweep_inputs_hash(const model *m, const arch *base, const int64_t (*arr)[2],
                              size_t n_arr, const double *kib, size_t n_kib, const double *gbs,
                              size_t n_gbs, const double *ghz, size_t n_ghz, const char *plans_text,
                              char out[17]) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  uint64_t h = 0;
  if (f) {
    fprintf(f, "sweep|model %s %d %lld %lld %lld %lld %lld %lld %lld %lld %lld|", m->name,
            (int)m->kind, (long long)m->layers, (long long)m->hidden, (long long)m->heads,
            (long long)m->ffn, (long long)m->vocab, (long long)m->positions, (long long)m->seq,
            (long long)m->batch, (long long)m->classifier_classes);
    arch_print(f, base);
    fprintf(f, "|arrays");
    for (size_t i = 0; i < n_arr; i++) fprintf(f, " %lldx%lld", (long long)arr[i][0], (long long)arr[i][1]);
    fprintf(f, "|kib");
    for (size_t i = 0; i < n_kib; i++) fprintf(f, " %a", kib[i]);
    fprintf(f, "|gbs");
    for (size_t i = 0; i < n_gbs; i++) fprintf(f, " %a", gbs[i]);
    fprintf(f, "|ghz");
    for (size_t i = 0; i < n_ghz; i++) fprintf(f, " %a", ghz[i]);
    fprintf(f, "|plans %s|", plans_text ? plans_text : "");
    fclose(f);
    h = stable_hash(text, len, 0);
  }
  free(text);
  if (plans_text) { /* the plans' contents: a plan edited in place is another run */
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", plans_text);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      FILE *pf = fopen(t, "rb");
      if (!pf) continue;
      char chunk[65536];
      size_t n;
      while ((n = fread(chunk, 1, sizeof chunk, pf)) > 0) h = stable_hash(chunk, n, h);
      fclose(pf);
    }
  }
  stable_hash_hex(h, out);
}

/* A variant's hardware: the base arch with its buffers, bandwidth and clock set. */
static void sweep_variant_arch(const arch *base, const int64_t *array, double kib, double gbs,
                               double ghz, arch *a, map_options *opt, arch *eff) {
  *a = *base;
  double scale = kib * 1024.0 / (double)arch_sram_bytes(base);
  for (size_t b = 0; b < a->n_buffers; b++)
    arch_set_buffer_bytes(a, b, (int64_t)((double)a->buffers[b].size_bytes * scale));
  a->dram.gbps = gbs;
  a->clock_ghz = ghz;
  arch_update_static(a); /* the DRAM interface scales with the bandwidth */
  map_options_init(opt, a);
  opt->array_rows_override = array[0];
  opt->array_cols_override = array[1];
  map_effective_arch(a, opt, eff);
}

/* The rows of one hardware variant (dense, then each plan) as CSV text. */
static int sweep_variant(const arch *base, const model *m, const int64_t *array, double kib,
                         double gbs, double ghz, const sweep_plan *plans, size_t n_plans,
                         const plan *dense_plan, map_workspace *w, char **text, heat_error *err) {
  size_t len = 0;
  *text = NULL;
  plan_cost *pc = malloc(sizeof *pc); /* large; one per thread */
  FILE *f = pc ? open_memstream(text, &len) : NULL;
  if (!f) {
    free(pc);
    return heat_error_set(err, HEAT_ENOMEM, "sweep", "out of memory");
  }
  arch a, eff;
  map_options opt;
  sweep_variant_arch(base, array, kib, gbs, ghz, &a, &opt, &eff);
  pricer p;
  heat_error e;
  int prc = map_options_check(&opt, &a, &e);
  if (!prc) prc = pricer_init(&p, &eff, m, &opt, w, &e);
  double dense_edp = 0;
  for (size_t k = 0; k <= n_plans; k++) {
    const plan *pl = k ? &plans[k - 1].pl : dense_plan;
    int r2 = prc;
    heat_error e2 = e;
    if (!r2) r2 = pricer_plan(&p, pl, w, pc, &e2);
    if (!r2 && k == 0) dense_edp = price_edp(&pc->total);
    if (!r2 && dense_edp <= 0) dense_edp = price_edp(&pc->total);
    sweep_row(f, &eff, array, kib, k ? plans[k - 1].name : "dense", r2, &e2, pc, dense_edp);
  }
  if (!prc) pricer_free(&p);
  free(pc);
  if (fclose(f) != 0) {
    free(*text);
    *text = NULL;
    return heat_error_set(err, HEAT_ENOMEM, "sweep", "out of memory");
  }
  return HEAT_OK;
}

/* The sweep as points of a distributed job (search/dist.h): point i is variant i in the order of
 * the nested loops (array, buffers, bandwidth, clock); its result is its CSV rows. */
#define SWEEP_ROW_MAX 1600

typedef struct sweep_job {
  const model *m;
  const arch *base;
  int64_t (*arr)[2];
  const double *kib, *gbs, *ghz;
  size_t n_arr, n_kib, n_gbs, n_ghz, n_plans;
  const sweep_plan *plans;
  const plan *dense;
  size_t rsize;
  char *results;
  const int *status;
  const heat_error *errors;
  ckpt *ck;          /* rank 0 */
  int ck_rc;         /* the first failure recording a point */
  heat_error ck_err;
} sweep_job;

static void sweep_indices(const sweep_job *x, size_t i, size_t *ia, size_t *ik, size_t *ib,
                          size_t *ic) {
  *ic = i % x->n_ghz;
  *ib = i / x->n_ghz % x->n_gbs;
  *ik = i / x->n_ghz / x->n_gbs % x->n_kib;
  *ia = i / x->n_ghz / x->n_gbs / x->n_kib;
}

static void sweep_key(const sweep_job *x, size_t i, char *key, size_t cap) {
  size_t ia, ik, ib, ic;
  sweep_indices(x, i, &ia, &ik, &ib, &ic);
  snprintf(key, cap, "variant %02zu %02zu %02zu %02zu", ia, ik, ib, ic);
}

static void *sweep_local_alloc(void *ctx) {
  (void)ctx;
  return map_workspace_alloc();
}

static void sweep_local_free(void *local) { map_workspace_free(local); }

static int sweep_point(void *ctx, void *local, size_t i, void *out, heat_error *err) {
  const sweep_job *x = ctx;
  if (!local) return heat_error_set(err, HEAT_ENOMEM, "sweep", "out of memory");
  size_t ia, ik, ib, ic;
  sweep_indices(x, i, &ia, &ik, &ib, &ic);
  char *rows = NULL;
  int rc = sweep_variant(x->base, x->m, x->arr[ia], x->kib[ik], x->gbs[ib], x->ghz[ic], x->plans,
                         x->n_plans, x->dense, local, &rows, err);
  if (rc) return rc;
  size_t n = strlen(rows);
  if (n >= x->rsize) rc = heat_error_set(err, HEAT_EINTERNAL, "sweep", "rows of point %zu too long", i);
  else memcpy(out, rows, n + 1);
  free(rows);
  return rc;
}

/* Rank 0, as each point completes: into the checkpoint; a failed point is reported (its rows
 * say 'failed' and the run goes on; it is not recorded, so --resume tries it again). */
static void sweep_done(void *ctx, size_t i, int rank) {
  sweep_job *x = ctx;
  if (x->status[i]) {
    fprintf(stderr, "heat: warning: sweep point %zu failed on rank %d: %s%s%s (a failed row)\n",
            i, rank, x->errors[i].where, x->errors[i].where[0] ? ": " : "", x->errors[i].msg);
    return;
  }
  if (x->ck_rc) return;
  char key[128];
  sweep_key(x, i, key, sizeof key);
  ckpt_buf b = {0};
  ckpt_buf_text(&b, x->results + i * x->rsize);
  const char *payload;
  int rc = ckpt_buf_done(&b, &payload, &x->ck_err);
  if (!rc) rc = ckpt_put(x->ck, key, payload, &x->ck_err);
  ckpt_buf_free(&b);
  if (!rc) rc = ckpt_tick(x->ck, &x->ck_err);
  x->ck_rc = rc;
}

/* Rank 0 with --resume: the points the checkpoint has, as if just computed. */
static int sweep_resume(sweep_job *x, size_t total, bool *skip, heat_error *err) {
  for (size_t i = 0; i < total; i++) {
    char key[128];
    sweep_key(x, i, key, sizeof key);
    const ckpt_rec *rec = ckpt_get(x->ck, key);
    if (!rec) continue;
    ckpt_reader rd;
    ckpt_reader_init(&rd, x->ck, rec, err);
    char *text = ckpt_read_text(&rd);
    int rc = ckpt_reader_end(&rd);
    if (!rc && (!*text || text[strlen(text) - 1] != '\n' || strlen(text) >= x->rsize))
      rc = ckpt_reader_fail(&rd, "not CSV rows");
    if (!rc) memcpy(x->results + i * x->rsize, text, strlen(text) + 1);
    free(text);
    if (rc) return rc;
    skip[i] = true;
  }
  return HEAT_OK;
}

static bool sweep_stop(void) { return ckpt_signal_pending() != 0; }

/* The rows of a point that failed as a whole (out of memory, a fault on its rank). */
static void sweep_failed_rows(FILE *f, const sweep_job *x, size_t i, int status,
                              const heat_error *e) {
  size_t ia, ik, ib, ic;
  sweep_indices(x, i, &ia, &ik, &ib, &ic);
  arch a, eff;
  map_options opt;
  sweep_variant_arch(x->base, x->arr[ia], x->kib[ik], x->gbs[ib], x->ghz[ic], &a, &opt, &eff);
  for (size_t k = 0; k <= x->n_plans; k++)
    sweep_row(f, &eff, x->arr[ia], x->kib[ik], k ? x->plans[k - 1].name : "dense", status, e,
              NULL, 0);
}

int cmd_sweep(int argc, char **argv) {
  const char *model_name = "bert-base", *arch_name = "simba-l", *arrays = NULL, *buffers = NULL,
             *bandwidth = NULL, *clock = NULL, *plans_text = NULL, *out_dir = NULL;
  int64_t seq = 0, threads = 1;
  double checkpoint_every = 10;
  bool no_figures = false, resume = false;
  const cli_opt opts[] = {
      CLI_TEXT("model", &model_name),   CLI_TEXT("arch", &arch_name),
      CLI_TEXT("arrays", &arrays),      CLI_TEXT("buffers-kib", &buffers),
      CLI_TEXT("bandwidth-gbs", &bandwidth), CLI_TEXT("clock-ghz", &clock),
      CLI_TEXT("plan", &plans_text),    CLI_TEXT("out", &out_dir),
      CLI_INT("seq", &seq, 1, INT32_MAX), CLI_FLAG("no-figures", &no_figures),
      CLI_FLAG("resume", &resume),      CLI_REAL("checkpoint-every", &checkpoint_every, 0, 1e6),
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
  char parents[600];
  snprintf(parents, sizeof parents, "%s", out_dir);
  for (char *q = parents + 1; *q; q++)
    if (*q == '/') {
      *q = '\0';
      mkdir(parents, 0777);
      *q = '/';
    }
  /* Every rank prices points; rank 0 alone writes (search/dist.h). */
  bool root = dist_is_root();
  if (root && mkdir(out_dir, 0777) != 0 && errno != EEXIST)
    rc = heat_error_set(&err, HEAT_EIO, out_dir, "cannot create directory: %s", strerror(errno));
  /* sweep.csv is written beside and renamed over at the end, once every point is priced: an
   * interrupted, killed or failed run (or a refused --resume) leaves the previous one as it was.
   * The directory's permission is checked now rather than after a long run. */
  char final_path[600];
  snprintf(final_path, sizeof final_path, "%s/sweep.csv", out_dir);
  snprintf(path, sizeof path, "%s.tmp%ld", final_path, (long)getpid());
  FILE *f = NULL;
  if (root && !rc && access(out_dir, W_OK) != 0)
    rc = heat_error_set(&err, HEAT_EIO, out_dir, "cannot write: %s", strerror(errno));
  static plan dense_plan;
  plan_init_dense(&dense_plan, &m, NULL);
  size_t total = n_arr * n_kib * n_gbs * n_ghz;
  static ckpt ck;
  char inputs[17];
  bool found = false, ck_open = false;
  sweep_job x = {.m = &m, .base = &base, .arr = arr, .kib = kib, .gbs = gbs, .ghz = ghz,
                 .n_arr = n_arr, .n_kib = n_kib, .n_gbs = n_gbs, .n_ghz = n_ghz,
                 .n_plans = n_plans, .plans = plans, .dense = &dense_plan,
                 .rsize = (n_plans + 1) * SWEEP_ROW_MAX + 1};
  x.ck = &ck;
  x.results = calloc(total, x.rsize);
  int *status = calloc(total, sizeof *status);
  heat_error *errors = calloc(total, sizeof *errors);
  bool *skip = calloc(total, sizeof *skip);
  x.status = status;
  x.errors = errors;
  if (!rc && (!x.results || !status || !errors || !skip))
    rc = heat_error_set(&err, HEAT_ENOMEM, "sweep", "out of memory");
  if (!rc && root) {
    sweep_inputs_hash(&m, &base, (const int64_t(*)[2])arr, n_arr, kib, n_kib, gbs, n_gbs, ghz,
                      n_ghz, plans_text, inputs);
    rc = ckpt_open(&ck, out_dir, "sweep", inputs, l1_cost_model_version(), resume,
                   checkpoint_every, &found, &err);
    ck_open = !rc;
    if (!rc && resume)
      fprintf(stderr, found ? "heat: resuming from %s (%zu completed variants)\n"
                            : "heat: note: no checkpoint %s: starting from the beginning\n",
              ck.path, ck.loaded);
    if (!rc) rc = sweep_resume(&x, total, skip, &err);
  }
  ckpt_signals_install();
  dist_job job = {.what = "heat sweep", .n = total, .result_size = x.rsize,
                  .eval = sweep_point, .ctx = &x, .local_alloc = sweep_local_alloc,
                  .local_free = sweep_local_free, .results = x.results, .status = status,
                  .errors = errors, .skip = skip, .done = sweep_done, .stop = sweep_stop,
                  .threads = (int)threads, .progress = dist_progress_wanted()};
  /* A failure before the job (rank 0's files) ends every rank, cleanly. */
  rc = dist_agree(rc, "heat sweep", &err);
  if (!rc) rc = dist_run(&job, &err);
  if (rc == DIST_STOPPED) rc = CKPT_EINTR;
  if (!rc && x.ck_rc) {
    rc = x.ck_rc;
    err = x.ck_err;
  }
  ckpt_signals_restore();
  if (root && !rc && !(f = fopen(path, "w")))
    rc = heat_error_set(&err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  if (root && !rc) {
    fprintf(f, "array,array_pes,buffers_kib,bandwidth_gbs,clock_ghz,plan,status,reason,params,"
               "latency_s,energy_j,edp_js,edp_reduction_x\n");
    for (size_t i = 0; i < total; i++)
      if (status[i]) sweep_failed_rows(f, &x, i, status[i], &errors[i]);
      else fputs(x.results + i * x.rsize, f);
  }
  free(x.results);
  free(status);
  free(errors);
  free(skip);
  int exit_status = 0;
  if (ck_open) {
    heat_error cerr;
    if (!rc) ckpt_remove(&ck);
    else if (ckpt_save(&ck, &cerr) != 0) heat_error_print(stderr, &cerr);
    else if (rc == CKPT_EINTR) {
      char msg[1400];
      exit_status = ckpt_interrupt_message(&ck, msg, sizeof msg);
      fprintf(stderr, "\nheat: %s%s\n", msg,
              dist_size() > 1 ? " (under MPI: a rank died, or the job was cancelled)" : "");
    }
    ckpt_free(&ck);
  }
  if (!root) return rc == CKPT_EINTR ? 128 + 15 : rc ? cli_fail(&err) : 0;
  if (rc) {
    if (f) {
      fclose(f);
      unlink(path);
    }
    return exit_status ? exit_status : cli_fail(&err);
  }
  if (fclose(f) != 0 || rename(path, final_path) != 0) {
    heat_error_set(&err, HEAT_EIO, final_path, "cannot write: %s", strerror(errno));
    unlink(path);
    return cli_fail(&err);
  }
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
