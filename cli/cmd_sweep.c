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
#include "search/level1.h"
#include "search/price.h"

#define SWEEP_MAX 16
#define SWEEP_PLANS 8

static void sweep_help(FILE *out) {
  fprintf(out,
          "usage: heat sweep [--model M] [--arch A] --arrays RxC,... [--buffers-kib K,...]\n"
          "                  [--bandwidth-gbs B,...] [--clock-ghz F,...] [--plan FILE,...]\n"
          "                  [--seq N] [--out DIR] [--no-figures] [--resume]\n\n"
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
          "  --no-figures          the CSV only\n"
          "  --resume              continue an interrupted sweep (Ctrl-C, SIGTERM, kill -9) from\n"
          "                        DIR/checkpoint.txt, with the same options: no variant is lost\n"
          "                        or priced twice; sweep.csv is that of an uninterrupted run\n"
          "  --checkpoint-every S  save the checkpoint at most every S seconds (default 10; 0:\n"
          "                        after every variant). Ctrl-C or SIGTERM saves it and exits\n"
          "                        with 130 or 143; the checkpoint is deleted on success\n\n"
          "Leakage and area follow every value (per PE, SIMD lane, KiB and GB/s; arch/README.md).\n");
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

/* The rows of one hardware variant (dense, then each plan) as CSV text. */
static int sweep_variant(const arch *base, const model *m, const int64_t *array, double kib,
                         double gbs, double ghz, const sweep_plan *plans, size_t n_plans,
                         const plan *dense_plan, map_workspace *w, char **text, heat_error *err) {
  size_t len = 0;
  *text = NULL;
  FILE *f = open_memstream(text, &len);
  if (!f) return heat_error_set(err, HEAT_ENOMEM, "sweep", "out of memory");
  static plan_cost pc;
  arch a = *base;
  double scale = kib * 1024.0 / (double)arch_sram_bytes(base);
  for (size_t b = 0; b < a.n_buffers; b++)
    arch_set_buffer_bytes(&a, b, (int64_t)((double)a.buffers[b].size_bytes * scale));
  a.dram.gbps = gbs;
  a.clock_ghz = ghz;
  arch_update_static(&a); /* the DRAM interface scales with the bandwidth */
  map_options opt;
  map_options_init(&opt, &a);
  opt.array_rows_override = array[0];
  opt.array_cols_override = array[1];
  arch eff;
  map_effective_arch(&a, &opt, &eff);
  pricer p;
  heat_error e;
  int prc = map_options_check(&opt, &a, &e);
  if (!prc) prc = pricer_init(&p, &eff, m, &opt, w, &e);
  double dense_edp = 0;
  for (size_t k = 0; k <= n_plans; k++) {
    const plan *pl = k ? &plans[k - 1].pl : dense_plan;
    int r2 = prc;
    heat_error e2 = e;
    if (!r2) r2 = pricer_plan(&p, pl, w, &pc, &e2);
    if (!r2 && k == 0) dense_edp = price_edp(&pc.total);
    if (!r2 && dense_edp <= 0) dense_edp = price_edp(&pc.total);
    sweep_row(f, &eff, array, kib, k ? plans[k - 1].name : "dense", r2, &e2, &pc, dense_edp);
  }
  if (!prc) pricer_free(&p);
  if (fclose(f) != 0) {
    free(*text);
    *text = NULL;
    return heat_error_set(err, HEAT_ENOMEM, "sweep", "out of memory");
  }
  return HEAT_OK;
}

/* A variant's rows: from the checkpoint when it has them, else priced and recorded. */
static int sweep_variant_rows(ckpt *ck, const char *key, const arch *base, const model *m,
                              const int64_t *array, double kib, double gbs, double ghz,
                              const sweep_plan *plans, size_t n_plans, const plan *dense_plan,
                              map_workspace *w, char **text, heat_error *err) {
  const ckpt_rec *rec = ckpt_get(ck, key);
  if (rec) {
    ckpt_reader rd;
    ckpt_reader_init(&rd, ck, rec, err);
    *text = ckpt_read_text(&rd);
    int rc = ckpt_reader_end(&rd);
    if (!rc && (!**text || (*text)[strlen(*text) - 1] != '\n'))
      rc = ckpt_reader_fail(&rd, "not CSV rows");
    if (rc) {
      free(*text);
      *text = NULL;
    }
    return rc;
  }
  int rc = sweep_variant(base, m, array, kib, gbs, ghz, plans, n_plans, dense_plan, w, text, err);
  if (rc) return rc;
  ckpt_buf b = {0};
  ckpt_buf_text(&b, *text);
  const char *payload;
  rc = ckpt_buf_done(&b, &payload, err);
  if (!rc) rc = ckpt_put(ck, key, payload, err);
  ckpt_buf_free(&b);
  if (!rc) rc = ckpt_tick(ck, err);
  return rc;
}

int cmd_sweep(int argc, char **argv) {
  const char *model_name = "bert-base", *arch_name = "simba-l", *arrays = NULL, *buffers = NULL,
             *bandwidth = NULL, *clock = NULL, *plans_text = NULL, *out_dir = NULL;
  int64_t seq = 0;
  double checkpoint_every = 10;
  bool no_figures = false, resume = false;
  const cli_opt opts[] = {
      CLI_TEXT("model", &model_name),   CLI_TEXT("arch", &arch_name),
      CLI_TEXT("arrays", &arrays),      CLI_TEXT("buffers-kib", &buffers),
      CLI_TEXT("bandwidth-gbs", &bandwidth), CLI_TEXT("clock-ghz", &clock),
      CLI_TEXT("plan", &plans_text),    CLI_TEXT("out", &out_dir),
      CLI_INT("seq", &seq, 1, INT32_MAX), CLI_FLAG("no-figures", &no_figures),
      CLI_FLAG("resume", &resume),      CLI_REAL("checkpoint-every", &checkpoint_every, 0, 1e6),
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
  if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
    heat_error_set(&err, HEAT_EIO, out_dir, "cannot create directory: %s", strerror(errno));
    return cli_fail(&err);
  }
  snprintf(path, sizeof path, "%s/sweep.csv", out_dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    heat_error_set(&err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
    return cli_fail(&err);
  }
  fprintf(f, "array,array_pes,buffers_kib,bandwidth_gbs,clock_ghz,plan,status,reason,params,"
             "latency_s,energy_j,edp_js,edp_reduction_x\n");
  map_workspace *w = map_workspace_alloc();
  static plan dense_plan;
  plan_init_dense(&dense_plan, &m, NULL);
  size_t total = n_arr * n_kib * n_gbs * n_ghz, done = 0;
  static ckpt ck;
  char inputs[17];
  bool found = false;
  sweep_inputs_hash(&m, &base, (const int64_t(*)[2])arr, n_arr, kib, n_kib, gbs, n_gbs, ghz,
                    n_ghz, plans_text, inputs);
  rc = w ? ckpt_open(&ck, out_dir, "sweep", inputs, l1_cost_model_version(), resume,
                     checkpoint_every, &found, &err)
         : heat_error_set(&err, HEAT_ENOMEM, "sweep", "out of memory");
  bool ck_open = w && !rc;
  if (!rc && resume)
    fprintf(stderr, found ? "heat: resuming from %s (%zu completed variants)\n"
                          : "heat: note: no checkpoint %s: starting from the beginning\n",
            ck.path, ck.loaded);
  ckpt_signals_install();
  for (size_t ia = 0; ia < n_arr && !rc; ia++)
    for (size_t ik = 0; ik < n_kib && !rc; ik++)
      for (size_t ib = 0; ib < n_gbs && !rc; ib++)
        for (size_t ic = 0; ic < n_ghz && !rc; ic++) {
          if (ckpt_signal_pending()) {
            rc = CKPT_EINTR;
            break;
          }
          char key[128], *rows = NULL;
          snprintf(key, sizeof key, "variant %02zu %02zu %02zu %02zu", ia, ik, ib, ic);
          rc = sweep_variant_rows(&ck, key, &base, &m, arr[ia], kib[ik], gbs[ib], ghz[ic], plans,
                                  n_plans, &dense_plan, w, &rows, &err);
          if (!rc) fputs(rows, f);
          free(rows);
          if (!rc && isatty(2)) {
            fprintf(stderr, "\rheat sweep: %zu/%zu variants   ", ++done, total);
            if (done == total) fputc('\n', stderr);
          }
        }
  ckpt_signals_restore();
  int status = 0;
  if (ck_open) {
    heat_error cerr;
    if (!rc) ckpt_remove(&ck);
    else if (ckpt_save(&ck, &cerr) != 0) heat_error_print(stderr, &cerr);
    else if (rc == CKPT_EINTR) {
      char msg[1400];
      status = ckpt_interrupt_message(&ck, msg, sizeof msg);
      fprintf(stderr, "\nheat: %s\n", msg);
    }
    ckpt_free(&ck);
  }
  if (rc) {
    map_workspace_free(w);
    fclose(f);
    return status ? status : cli_fail(&err);
  }
  map_workspace_free(w);
  if (fclose(f) != 0) {
    heat_error_set(&err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
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
