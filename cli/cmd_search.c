/* heat search: the hardware-aware decomposition search (level 1 shapes, level 2 plans) with
 * dense, manual and heuristic baselines; writes tables, plans and figures. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/search_out.h"
#include "common/heat_parse.h"
#include "search/accuracy.h"
#include "search/budget.h"
#include "search/dist.h"
#include "workloads/weights.h"

static void search_help(FILE *out) {
  fprintf(out,
          "usage: heat search [--model M] [--arch A] [--weights FILE.safetensors | --synthetic S]\n"
          "                   [--formats F,...] [--objective O] [--max-error X] [--max-params N]\n"
          "                   [--max-latency T] [--max-energy E] [--seed S] [--threads N]\n"
          "                   [--out DIR] [options]\n\n"
          "Chooses how to factorize every linear weight of a model for the least cost on an\n"
          "accelerator at a given accuracy cost (HEAT's hardware-in-the-loop search):\n"
          " level 1: per weight size and format, the top-K most uniform shapes x a rank grid\n"
          "          (plain and hardware-aligned ranks), each priced by the mapper (hardware-aware\n"
          "          path, fused) and measured (error eps, compression); the Pareto front over\n"
          "          (EDP, eps, compression); one shape per size: the lowest eps on the front\n"
          "          among settings at least as compressed as --target-compression;\n"
          " level 2: an evolutionary search per format over which weights to factorize and\n"
          "          with which rank. Baselines: dense, the heuristic (the chosen shape with one\n"
          "          uniform rank giving the searched plan's compression of the linears, or\n"
          "          --target-compression when the searched plan is dense, as TensorLy derives a\n"
          "          rank from a ratio) and --manual plans.\n"
          "Prints a summary table and writes DIR/: summary.csv, points.csv (every level-1 setting),\n"
          "pareto.csv, evaluations.csv (every level-2 plan evaluated), fronts.csv, plans.csv and\n"
          "<plan>.json (heat map --plan), layers.csv, components.csv, figures (PDF, SVG, PNG).\n\n"
          "  --model NAME|FILE     model (default bert-base)\n"
          "  --arch NAME|FILE      accelerator (default simba-l)\n"
          "  --seq N               sequence length (default the model's)\n"
          "  --weights FILE        a safetensors checkpoint: eps of every weight of each size\n"
          "  --synthetic SPEC      seeded synthetic weights, one per size (default, labelled\n"
          "                        in every output): decay=power:A|exp:A[,structure=F]\n"
          "                        [,noise=F][,seed=S]; default decay=power:0.75,\n"
          "                        structure=0.9,noise=0.01,seed=1 (workloads/README.md)\n"
          "  --formats LIST        of svd, cp, tucker, ttm, tt (default cp,tucker,ttm: HEAT's)\n"
          "  --objective O         heat: (1-acc)*EDP^0.25 with acc a proxy of eps (default);\n"
          "                        edp, latency, energy; error (min eps under --max-latency or\n"
          "                        --max-energy, as HAT)\n"
          "  --max-error X         budget on the size-weighted mean eps of the linears\n"
          "  --max-params N        budget on the model's parameters (suffix K, M or G allowed)\n"
          "  --max-latency T       budget, seconds (suffix s, ms, us allowed)\n"
          "  --max-energy E        budget, joules (suffix J, mJ, uJ allowed)\n"
          "  --acc-dense A, --acc-kappa K   the accuracy proxy acc = A - K*eps (0.8816, 0.03)\n"
          "  --accuracy-data FILE  fit acc to measured accuracies instead: a CSV with columns\n"
          "                        eps_mean,accuracy (a fraction) per measured plan; a monotone\n"
          "                        least-squares line acc = c0 + c1*eps (c1 <= 0, GSL); its fit\n"
          "                        (R^2, RMSE, eps range) is printed in every output\n"
          "  --manual FILE[,FILE]  plans to list as 'manual' baselines (up to 8; one is named\n"
          "                        'manual', several 'manual-<file name>')\n"
          "  --top-shapes K        shapes per size and format (default 2)\n"
          "  --target-compression C   level 1's shape rule target (default 0.25)\n"
          "  --population N, --generations N   level 2 (default 48, 40)\n"
          "  --seed S              level 2's random seed (default 1)\n"
          "  --threads N           OpenMP threads (default 2); results do not depend on it\n"
          "  --out DIR             results directory (default results/search-MODEL-ARCH)\n"
          "  --cache DIR           cost and error tables (default results/.cache)\n"
          "  --no-cache            neither read nor write the tables\n"
          "  --no-figures          CSVs and plans only\n"
          "  --no-sim              do not run the summary's plans on the cycle-level model\n"
          "                        (by default each is simulated once, SystemC timing mode,\n"
          "                        and its latency printed beside the analytical one)\n"
          "  --resume              continue an interrupted run (Ctrl-C, SIGTERM, kill -9) from\n"
          "                        DIR/checkpoint.txt, with the same options: no point is lost or\n"
          "                        computed twice; the outputs are those of an uninterrupted run\n"
          "  --checkpoint-every S  save the checkpoint at most every S seconds (default 10; 0:\n"
          "                        after every completed point). Ctrl-C or SIGTERM saves it and\n"
          "                        exits with 130 or 143; the checkpoint is deleted on success\n\n"
          "Under mpirun or srun (heat built with HEAT_MPI) level 1's settings and level 2's\n"
          "evaluations are spread over the ranks; rank 0 alone reads and writes the tables, the\n"
          "checkpoint and the outputs, which are those of a run alone (docs/cluster.md).\n");
}

/* "45M" -> 45e6; "5ms" -> 0.005 (unit s); "2mJ" -> 0.002 (unit J). */
static int search_parse_quantity(const char *text, const char *what, const char *unit, double *out,
                                 heat_error *err) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || errno || !isfinite(v) || v <= 0)
    return heat_error_set(err, HEAT_EINVAL, what, "'%s' is not a positive number", text);
  static const struct { const char *suffix; double scale; } plain[] = {
      {"", 1}, {"K", 1e3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}};
  static const struct { const char *prefix; double scale; } si[] = {
      {"", 1}, {"m", 1e-3}, {"u", 1e-6}, {"n", 1e-9}};
  if (!unit) {
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
      if (strcmp(end, plain[i].suffix) == 0) {
        *out = v * plain[i].scale;
        return HEAT_OK;
      }
    return heat_error_set(err, HEAT_EINVAL, what, "'%s': unknown suffix '%s' (allowed: K, M, G)",
                          text, end);
  }
  for (size_t i = 0; i < sizeof si / sizeof si[0]; i++) {
    char s[8];
    snprintf(s, sizeof s, "%s%s", si[i].prefix, unit);
    if (strcmp(end, s) == 0 || (!si[i].prefix[0] && !end[0])) {
      *out = v * si[i].scale;
      return HEAT_OK;
    }
  }
  return heat_error_set(err, HEAT_EINVAL, what, "'%s': unknown unit '%s' (allowed: %s, m%s, u%s)",
                        text, end, unit, unit, unit);
}

static int search_parse_formats(const char *text, l1_config *c, heat_error *err) {
  c->n_formats = 0;
  char buf[128];
  snprintf(buf, sizeof buf, "%s", text);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    wl_format f;
    if (wl_format_parse(tok, "--formats", &f, err)) return err->code;
    if (f == WL_FORMAT_DENSE)
      return heat_error_set(err, HEAT_EINVAL, "--formats",
                            "dense is always a choice of every weight; list factorized formats");
    for (size_t i = 0; i < c->n_formats; i++)
      if (c->formats[i] == f)
        return heat_error_set(err, HEAT_EINVAL, "--formats", "'%s' is listed twice", tok);
    c->formats[c->n_formats++] = f;
  }
  if (!c->n_formats)
    return heat_error_set(err, HEAT_EINVAL, "--formats", "no format in '%s'", text);
  return HEAT_OK;
}

static search_row *search_row_new(search_run *r, const char *name, const char *kind,
                                  const char *format, heat_error *err) {
  search_row *row = calloc(1, sizeof *row);
  int *g = row ? malloc((size_t)r->m.layers * PLAN_ROLES * sizeof *g) : NULL;
  if (!g) {
    free(row);
    heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
    return NULL;
  }
  row->genome = g;
  snprintf(row->name, sizeof row->name, "%s", name);
  snprintf(row->kind, sizeof row->kind, "%s", kind);
  snprintf(row->format, sizeof row->format, "%s", format);
  r->rows[r->n_rows++] = row;
  return row;
}

/* Evaluates a row's genome, makes its plan and prices it block by block. */
static int search_row_finish(search_run *r, search_row *row, const s2_space *s, heat_error *err) {
  s2_evaluate(&r->s2c, s, row->genome, &row->ev);
  s2_to_plan(s, row->genome, &row->pl);
  plan *pl = &row->pl;
  snprintf(pl->model, sizeof pl->model, "%s", r->m.name);
  snprintf(pl->arch, sizeof pl->arch, "%s", r->a.name);
  snprintf(pl->weights, sizeof pl->weights, "%s", r->l1.weights);
  snprintf(pl->note, sizeof pl->note, "heat search: %s plan, objective %s, seed %llu%s", row->kind,
           s2_objective_name(r->s2c.objective), (unsigned long long)r->s2c.seed,
           r->s2c.acc_model[0] ? "; acc model fitted to measured accuracies (summary.txt)" : "");
  int rc = pricer_plan(&r->p, pl, r->w, &row->pc, err);
  if (rc) return rc;
  pl->figures = (plan_figures){(double)row->pc.params, row->ev.eps_mean, row->pc.total.latency_s,
                               row->pc.total.energy_j, price_edp(&row->pc.total)};
  return HEAT_OK;
}

/* The setting of `size` in format f with the chosen shape and one rank whose compression is
 * closest to c. */
static void search_heuristic_layer(const search_run *r, size_t size, wl_format f, double c,
                                   wl_layer *out) {
  const l1_size *s = &r->l1.sizes[size];
  double best = INFINITY;
  int64_t upper = s->out < s->in ? s->out : s->in;
  for (int64_t rank = 1; rank <= upper; rank++) {
    wl_layer l = {.format = f, .shape = r->l1.shape[size][f]};
    wl_layer_clip_ranks(&l, rank);
    double d = fabs(wl_layer_compression(&l) - c);
    if (d < best) {
      best = d;
      *out = l;
    }
  }
}

/* Level 2 of one format, checkpointed after every generation: resumes from the checkpoint's
 * state when there is one, stops with CKPT_EINTR on SIGINT/SIGTERM. */
static int search_level2(search_run *r, const s2_space *s, FILE *log, const char *label,
                         s2_result *res, heat_error *err) {
  s2_search q;
  int rc = s2_search_init(&q, &r->s2c, s, err);
  if (rc) return rc;
  if (r->ck) rc = s2_search_restore(&q, r->ck, label, log, err);
  if (!rc) rc = s2_search_share(&q, err); /* rank 0's checkpoint to every rank (MPI) */
  while (!rc && !s2_search_done(&q)) {
    if (ckpt_signal_pending()) rc = CKPT_EINTR;
    else {
      rc = s2_search_iterate(&q, log, label, err);
      if (!rc && r->ck) rc = s2_search_record(&q, r->ck, label, err);
    }
  }
  if (!rc) s2_search_take(&q, res);
  s2_search_free(&q);
  return rc;
}

static int search_format(search_run *r, wl_format f, FILE *log, heat_error *err) {
  s2_space s;
  int rc = s2_space_init(&s, &r->l1, &r->p, f, err);
  if (rc) return rc;
  const char *fname = wl_format_name(f);
  char name[48];
  /* searched */
  s2_result res;
  rc = search_level2(r, &s, log, fname, &res, err);
  if (rc) {
    s2_space_free(&s);
    return rc;
  }
  r->evaluations += res.evaluations;
  snprintf(name, sizeof name, "%s-searched", fname);
  search_row *srch = search_row_new(r, name, "searched", fname, err);
  if (!srch) rc = err->code;
  if (!rc) {
    memcpy(srch->genome, res.best, s.n_weights * sizeof *res.best);
    srch->evals = res.evals;
    srch->n_evals = (size_t)res.evaluations;
    res.evals = NULL;
    rc = search_row_finish(r, srch, &s, err);
  }
  s2_result_free(&res);
  /* heuristic: the searched plan's compression of the linears, one uniform rank */
  double lin = 0, dense_lin = 0;
  for (size_t k = 0; !rc && k < s.n_weights; k++) {
    int role = (int)(k % PLAN_ROLES);
    double d = (double)r->p.role_out[role] * (double)r->p.role_in[role];
    dense_lin += d;
    lin += srch->genome[k] < 0 ? d : (double)r->l1.pts[srch->genome[k]].params;
  }
  /* a searched plan that keeps everything dense gives no ratio: then the shape rule's target */
  double target = lin < 0.999 * dense_lin ? lin / dense_lin : r->l1c.target_compression;
  search_row *heur = NULL;
  if (!rc) {
    snprintf(name, sizeof name, "%s-heuristic", fname);
    heur = search_row_new(r, name, "heuristic", fname, err);
    if (!heur) rc = err->code;
  }
  for (size_t size = 0; !rc && size < r->l1.n_sizes; size++) {
    if (!r->l1.has_shape[size][f]) continue;
    wl_layer l;
    search_heuristic_layer(r, size, f, target, &l);
    size_t at;
    rc = l1_add_point(&r->l1c, &r->p, &r->l1, size, &l, &at, err);
    for (size_t k = 0; !rc && k < s.n_weights; k++) {
      int role = (int)(k % PLAN_ROLES);
      if (l1_size_of(&r->l1, r->p.role_out[role], r->p.role_in[role]) == (int)size)
        heur->genome[k] = r->l1.pts[at].status ? -1 : (int)at;
    }
  }
  if (!rc) rc = search_row_finish(r, heur, &s, err);
  s2_space_free(&s);
  return rc;
}

/* A manual row's name: "manual" alone, else "manual-<file name without .json>". */
static void search_manual_name(const char *path, size_t n_manual, char *out, size_t cap) {
  if (n_manual == 1) {
    snprintf(out, cap, "manual");
    return;
  }
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t len = strlen(base);
  if (len > 5 && !strcmp(base + len - 5, ".json")) len -= 5;
  snprintf(out, cap, "manual-%.*s", (int)(len < 38 ? len : 38), base);
}

/* The one factorized format of a plan, "dense" or "mixed". */
static const char *search_plan_format(const plan *pl) {
  int f = -1;
  for (size_t l = 0; l < pl->layers; l++)
    for (int role = 0; role < PLAN_ROLES; role++) {
      int g = (int)pl->w[l][role].fmt.format;
      if (g == WL_FORMAT_DENSE) continue;
      if (f >= 0 && g != f) return "mixed";
      f = g;
    }
  return f < 0 ? "dense" : wl_format_name((wl_format)f);
}

/* A manual baseline: `pl` was read and checked against the model before level 1. */
static int search_manual(search_run *r, const plan *manual, const char *path, size_t n_manual,
                         heat_error *err) {
  s2_space s;
  int rc = s2_space_init(&s, &r->l1, &r->p, WL_FORMAT_DENSE, err);
  if (rc) return rc;
  char name[48];
  search_manual_name(path, n_manual, name, sizeof name);
  search_row *row = search_row_new(r, name, "manual", search_plan_format(manual), err);
  if (!row) rc = err->code;
  for (size_t k = 0; !rc && k < s.n_weights; k++) {
    const plan_weight *w = &manual->w[k / PLAN_ROLES][k % PLAN_ROLES];
    row->genome[k] = -1;
    if (k / PLAN_ROLES >= manual->layers || w->fmt.format == WL_FORMAT_DENSE) continue;
    int role = (int)(k % PLAN_ROLES);
    wl_layer l = w->fmt;
    if (l.shape.d == 0 || l.format == WL_FORMAT_SVD)
      wl_shape_matrix(r->p.role_out[role], r->p.role_in[role], &l.shape);
    size_t at;
    rc = l1_add_point(&r->l1c, &r->p, &r->l1,
                      (size_t)l1_size_of(&r->l1, r->p.role_out[role], r->p.role_in[role]), &l, &at,
                      err);
    if (!rc && r->l1.pts[at].status == HEAT_ENOFIT) {
      heat_error_set(err, HEAT_ENOFIT, path, "layer %zu %s cannot be mapped on %s",
                     k / PLAN_ROLES, wl_bert_role_name((wl_bert_role)role), r->a.name);
      rc = HEAT_ENOFIT;
    } else if (!rc && r->l1.pts[at].status) {
      rc = heat_error_set(err, r->l1.pts[at].status, path,
                          "layer %zu %s: its setting failed (the warning above says why)",
                          k / PLAN_ROLES, wl_bert_role_name((wl_bert_role)role));
    }
    if (!rc) row->genome[k] = (int)at;
  }
  if (!rc) rc = search_row_finish(r, row, &s, err);
  s2_space_free(&s);
  return rc;
}

/* FNV-1a of a file's bytes (of its name when it cannot be read: the run fails on it later). */
static uint64_t search_hash_file(const char *path, uint64_t h) {
  h = stable_hash(path, strlen(path) + 1, h);
  FILE *f = fopen(path, "rb");
  if (!f) return h;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) h = stable_hash(buf, n, h);
  fclose(f);
  return h;
}

/* The checkpoint's inputs: everything the results depend on (not --threads, --out, --cache or
 * the figures), so that --resume refuses a checkpoint of another run. */
static void search_inputs_hash(const search_run *r, char *const *manual, size_t n_manual,
                               char out[17]) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  uint64_t h = 0;
  if (f) {
    const model *m = &r->m;
    char arch_key[17];
    l1_cost_inputs(&r->p, arch_key);
    fprintf(f, "search|model %s %d %lld %lld %lld %lld %lld %lld %lld %lld %lld|arch %s|", m->name,
            (int)m->kind, (long long)m->layers, (long long)m->hidden, (long long)m->heads,
            (long long)m->ffn, (long long)m->vocab, (long long)m->positions, (long long)m->seq,
            (long long)m->batch, (long long)m->classifier_classes, arch_key);
    const l1_config *c = &r->l1c;
    fprintf(f, "formats");
    for (size_t i = 0; i < c->n_formats; i++) fprintf(f, " %s", wl_format_name(c->formats[i]));
    char syn[128];
    wl_synthetic_describe(&c->synthetic, syn, sizeof syn);
    struct stat st;
    memset(&st, 0, sizeof st);
    if (c->weights) stat(c->weights, &st);
    fprintf(f, "|weights %s %lld %lld|synthetic %s|top %zu d %zu %zu target %a|cp %d %a %lu %d "
               "hooi %d|",
            c->weights ? c->weights : "-", (long long)st.st_size, (long long)st.st_mtime, syn,
            c->top_shapes, c->d_min, c->d_max, c->target_compression, c->factor.cp_max_iters,
            c->factor.cp_tol, c->factor.seed, (int)c->factor.cp_init, c->factor.hooi_sweeps);
    const s2_config *e = &r->s2c;
    fprintf(f, "objective %d gamma %a acc %a %a budgets %a %a %a %a pop %d gen %d cross %a "
               "seed %llu|",
            (int)e->objective, e->gamma, e->acc_dense, e->acc_kappa, e->max_error, e->max_params,
            e->max_latency_s, e->max_energy_j, e->population, e->generations, e->crossover,
            (unsigned long long)e->seed);
    fclose(f);
    h = stable_hash(text, len, 0);
  }
  free(text);
  for (size_t i = 0; i < n_manual; i++) h = search_hash_file(manual[i], h);
  stable_hash_hex(h, out);
}

/* Budgets one at a time: one no plan of any format can meet stops the run before level 2,
 * naming the closest plan (search/budget.h). */
static int search_budgets_reachable(search_run *r, heat_error *err) {
  s2_space spaces[WL_FORMAT_COUNT];
  const char *labels[WL_FORMAT_COUNT];
  size_t n = 0;
  int rc = HEAT_OK;
  for (size_t i = 0; i < r->l1c.n_formats && !rc; i++) {
    rc = s2_space_init(&spaces[n], &r->l1, &r->p, r->l1c.formats[i], err);
    if (!rc) labels[n++] = wl_format_name(r->l1c.formats[i]);
  }
  if (!rc) rc = s2_budgets_reachable(&r->s2c, spaces, labels, n, err);
  for (size_t i = 0; i < n; i++) s2_space_free(&spaces[i]);
  return rc;
}

/* Budgets that no plan found meets together: a warning naming the closest plan and its misses. */
static void search_budgets_met(const search_run *r) {
  const search_row *best = NULL;
  for (size_t i = 0; i < r->n_rows; i++) {
    const search_row *row = r->rows[i];
    if (row->ev.feasible) return;
    if (!best || row->ev.violation < best->ev.violation) best = row;
  }
  char misses[600];
  if (!best || !s2_budget_misses(&r->s2c, &best->ev, misses, sizeof misses)) return;
  fprintf(stderr,
          "heat: warning: no plan found meets the budgets together; the closest is %s: %s\n",
          best->name, misses);
}

/* A weight file must hold every linear of the model at the model's shape: checked on its
 * header before any pricing, so that a checkpoint of another model fails at once. */
static int search_check_weights(const search_run *r, const char *path, heat_error *err) {
  wl_tensor_info *t = NULL;
  size_t n = 0;
  int rc = wl_safetensors_list(path, &t, &n, err);
  for (int64_t l = 0; !rc && l < r->m.layers; l++)
    for (int role = 0; !rc && role < PLAN_ROLES; role++) {
      char name[WL_TENSOR_NAME_MAX];
      wl_bert_weight_name((int)l, (wl_bert_role)role, name, sizeof name);
      const char *bare = strncmp(name, "bert.", 5) == 0 ? name + 5 : name;
      const wl_tensor_info *hit = NULL;
      for (size_t i = 0; i < n && !hit; i++)
        if (strcmp(t[i].name, name) == 0 || strcmp(t[i].name, bare) == 0) hit = &t[i];
      int64_t out = r->p.role_out[role], in = r->p.role_in[role];
      if (!hit)
        rc = heat_error_set(err, HEAT_EINVAL, path,
                            "does not match model '%s': no tensor '%s' (layer %lld %s; the model "
                            "has %lld layers, the file %zu tensors)",
                            r->m.name, name, (long long)l, wl_bert_role_name((wl_bert_role)role),
                            (long long)r->m.layers, n);
      else if (hit->ndim != 2 || hit->shape[0] != out || hit->shape[1] != in)
        rc = heat_error_set(err, HEAT_EINVAL, path,
                            "does not match model '%s': tensor '%s' is %lld%s%lld, the model's "
                            "layer %lld %s is %lld x %lld (out x in)",
                            r->m.name, hit->name, (long long)hit->shape[0],
                            hit->ndim == 2 ? " x " : "-d, first dims ",
                            (long long)(hit->ndim > 1 ? hit->shape[1] : 0), (long long)l,
                            wl_bert_role_name((wl_bert_role)role), (long long)out, (long long)in);
    }
  free(t);
  return rc;
}

/* --manual's comma-separated list of plan files, split in place in buf. */
static int search_split_manual(const char *text, char *buf, size_t cap, char **out, size_t *n,
                               heat_error *err) {
  if (strlen(text) >= cap)
    return heat_error_set(err, HEAT_EINVAL, "--manual", "the list of plan files is too long");
  snprintf(buf, cap, "%s", text);
  *n = 0;
  for (char *p = buf; p;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    if (!*p) return heat_error_set(err, HEAT_EINVAL, "--manual", "an empty file name in '%s'", text);
    if (*n == SEARCH_MAX_MANUAL)
      return heat_error_set(err, HEAT_EINVAL, "--manual", "at most %d plan files, got more in '%s'",
                            SEARCH_MAX_MANUAL, text);
    out[(*n)++] = p;
    p = comma ? comma + 1 : NULL;
  }
  return HEAT_OK;
}

static int search_mkdirs(const char *dir, heat_error *err) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(buf, 0777);
      *p = '/';
    }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST)
    return heat_error_set(err, HEAT_EIO, dir, "cannot create directory: %s", strerror(errno));
  struct stat st;
  if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    return heat_error_set(err, HEAT_EIO, dir, "not a directory");
  return HEAT_OK;
}

int cmd_search(int argc, char **argv) {
  const char *model_name = "bert-base", *arch_name = "simba-l", *weights = NULL, *synthetic = NULL,
             *formats = NULL, *objective = NULL, *max_error = NULL, *max_params = NULL,
             *max_latency = NULL, *max_energy = NULL, *out_dir = NULL, *cache = "results/.cache",
             *manual = NULL, *accuracy_data = NULL;
  int64_t seq = 0, threads = 2, seed = 1, top = 2, population = 48, generations = 40;
  double target = 0.25, acc_dense = 0.8816, acc_kappa = 0.03;
  double checkpoint_every = 10;
  bool no_cache = false, no_figures = false, resume = false, no_sim = false;
  const cli_opt opts[] = {
      CLI_TEXT("model", &model_name),     CLI_TEXT("arch", &arch_name),
      CLI_TEXT("weights", &weights),      CLI_TEXT("synthetic", &synthetic),
      CLI_TEXT("formats", &formats),      CLI_TEXT("objective", &objective),
      CLI_TEXT("max-error", &max_error),  CLI_TEXT("max-params", &max_params),
      CLI_TEXT("max-latency", &max_latency), CLI_TEXT("max-energy", &max_energy),
      CLI_TEXT("out", &out_dir),          CLI_TEXT("cache", &cache),
      CLI_TEXT("manual", &manual),        CLI_TEXT("accuracy-data", &accuracy_data),        CLI_INT("seq", &seq, 1, INT32_MAX),
      CLI_INT("threads", &threads, 1, 256), CLI_INT("seed", &seed, 0, INT64_MAX),
      CLI_INT("top-shapes", &top, 1, 64), CLI_INT("population", &population, 4, 100000),
      CLI_INT("generations", &generations, 1, 100000),
      CLI_REAL("target-compression", &target, 1e-9, 1),
      CLI_REAL("acc-dense", &acc_dense, 0, 1), CLI_REAL("acc-kappa", &acc_kappa, 0, 1e6),
      CLI_FLAG("no-cache", &no_cache),    CLI_FLAG("no-figures", &no_figures),
      CLI_FLAG("no-sim", &no_sim),
      CLI_FLAG("resume", &resume),        CLI_REAL("checkpoint-every", &checkpoint_every, 0, 1e6),
  };
  cli_parser cp = {.cmd = "search", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&cp, argc, argv);
  if (rc) return rc;
  if (cp.help) {
    search_help(stdout);
    return 0;
  }
  if (weights && synthetic) return cli_usage_error("search", "give --weights or --synthetic, not both");
  search_run *r = calloc(1, sizeof *r);
  heat_error err;
  if (!r) {
    heat_error_set(&err, HEAT_ENOMEM, "search", "out of memory");
    return cli_fail(&err);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  map_workspace *w = map_workspace_alloc();
  r->w = w;
  FILE *log = NULL;
  char path[1200], outbuf[600];
  if (!w) rc = heat_error_set(&err, HEAT_ENOMEM, "search", "out of memory");
  if (!rc) rc = model_resolve(model_name, &r->m, &err);
  if (!rc && seq) rc = model_set_seq(&r->m, seq, "--seq", &err);
  if (!rc) rc = arch_resolve(arch_name, &r->a, &err);
  /* --manual A.json,B.json: each read and checked before any pricing */
  static plan manual_plan[SEARCH_MAX_MANUAL];
  char manual_buf[4096], *manual_path[SEARCH_MAX_MANUAL];
  size_t n_manual = 0;
  if (!rc && manual) rc = search_split_manual(manual, manual_buf, sizeof manual_buf, manual_path,
                                              &n_manual, &err);
  for (size_t i = 0; !rc && i < n_manual; i++) {
    rc = plan_read_file(manual_path[i], &manual_plan[i], &err);
    if (!rc) rc = plan_check(&manual_plan[i], &r->m, manual_path[i], &err);
  }
  l1_config_init(&r->l1c);
  s2_config_init(&r->s2c);
  if (!rc && formats) rc = search_parse_formats(formats, &r->l1c, &err);
  if (!rc && synthetic) rc = wl_synthetic_parse(synthetic, "--synthetic", &r->l1c.synthetic, &err);
  if (!rc && objective) rc = s2_objective_parse(objective, "--objective", &r->s2c.objective, &err);
  if (!rc && max_error) rc = heat_parse_double(max_error, 1e-12, 1e6, "--max-error", &r->s2c.max_error, &err);
  if (!rc && max_params) rc = search_parse_quantity(max_params, "--max-params", NULL, &r->s2c.max_params, &err);
  if (!rc && max_latency) rc = search_parse_quantity(max_latency, "--max-latency", "s", &r->s2c.max_latency_s, &err);
  if (!rc && max_energy) rc = search_parse_quantity(max_energy, "--max-energy", "J", &r->s2c.max_energy_j, &err);
  if (!rc && accuracy_data && (cli_given(&cp, "acc-dense") || cli_given(&cp, "acc-kappa")))
    rc = heat_error_set(&err, HEAT_EINVAL, "--accuracy-data",
                        "the fitted model replaces the proxy: give it or --acc-dense/--acc-kappa, "
                        "not both");
  if (!rc && accuracy_data) {
    acc_fit fit;
    rc = acc_fit_file(accuracy_data, &fit, &err);
    if (!rc) {
      acc_dense = fit.c0;
      acc_kappa = -fit.c1;
      acc_fit_text(&fit, accuracy_data, r->s2c.acc_model, sizeof r->s2c.acc_model);
    }
  }
  if (!rc && r->s2c.objective == S2_OBJ_ERROR && !max_latency && !max_energy)
    rc = heat_error_set(&err, HEAT_EINVAL, "--objective",
                        "'error' minimises eps under --max-latency or --max-energy: give one");
  if (rc) {
    map_workspace_free(w);
    free(r);
    return cli_fail(&err);
  }
  /* Under MPI every rank runs this (search/dist.h); rank 0 alone writes files and reports. */
  bool root = dist_is_root(), tty = dist_progress_wanted();
  r->l1c.weights = weights;
  r->l1c.top_shapes = (size_t)top;
  r->l1c.target_compression = target;
  r->l1c.cache_dir = no_cache ? NULL : cache;
  r->l1c.threads = (int)threads;
  r->l1c.progress = tty;
  r->s2c.seed = (uint64_t)seed;
  r->s2c.threads = (int)threads;
  r->s2c.progress = tty;
  r->s2c.population = (int)population;
  r->s2c.generations = (int)generations;
  r->s2c.acc_dense = acc_dense;
  r->s2c.acc_kappa = acc_kappa;
  if (!out_dir) {
    snprintf(outbuf, sizeof outbuf, "results/search-%s-%s", r->m.name, r->a.name);
    out_dir = outbuf;
  }
  r->out_dir = out_dir;
  map_options_init(&r->opt, &r->a);
  map_effective_arch(&r->a, &r->opt, &r->eff);
  rc = root ? search_mkdirs(out_dir, &err) : HEAT_OK;
  if (!rc && root && r->l1c.cache_dir) rc = search_mkdirs(r->l1c.cache_dir, &err);
  if (!rc) rc = pricer_init(&r->p, &r->eff, &r->m, &r->opt, w, &err);
  if (!rc && weights) rc = search_check_weights(r, weights, &err);
  static ckpt ck;
  bool ck_open = false;
  if (!rc && root) {
    char inputs[17];
    bool found = false;
    search_inputs_hash(r, manual_path, n_manual, inputs);
    rc = ckpt_open(&ck, out_dir, "search", inputs, l1_cost_model_version(), resume,
                   checkpoint_every, &found, &err);
    ck_open = !rc;
    r->ck = ck_open ? &ck : NULL;
    r->l1c.ck = r->ck;
    if (resume && !rc && found)
      fprintf(stderr, "heat: resuming from %s (%zu completed records)\n", ck.path, ck.loaded);
    else if (resume && !rc)
      fprintf(stderr, "heat: note: no checkpoint %s: starting from the beginning\n", ck.path);
  }
  /* rank 0's directories and checkpoint: a failure there ends every rank, cleanly */
  rc = dist_agree(rc, "heat search", &err);
  if (!rc) ckpt_signals_install();
  if (!rc) rc = l1_run(&r->l1c, &r->p, &r->l1, &err);
  if (!rc && root) {
    if (r->l1.cost_state == STABLE_STALE || r->l1.cost_state == STABLE_CORRUPT)
      fprintf(stderr, "heat: warning: %s: %s cost table (%s); rebuilt\n", r->l1.cost_path,
              stable_state_name(r->l1.cost_state), r->l1.cost_why);
    if (r->l1.eps_state == STABLE_STALE || r->l1.eps_state == STABLE_CORRUPT)
      fprintf(stderr, "heat: warning: %s: %s error table (%s); rebuilt\n", r->l1.eps_path,
              stable_state_name(r->l1.eps_state), r->l1.eps_why);
    snprintf(path, sizeof path, "%s/evaluations.csv", out_dir);
    log = fopen(path, "w");
    if (!log) rc = heat_error_set(&err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
    else
      fprintf(log, "format,generation,individual,latency_s,energy_j,edp_js,eps_mean,%s,"
                   "params,objective,feasible\n",
              search_acc_column(r));
  }
  search_row *dense = NULL;
  if (!rc) {
    dense = search_row_new(r, "dense", "dense", "dense", &err);
    s2_space s;
    rc = dense ? s2_space_init(&s, &r->l1, &r->p, WL_FORMAT_DENSE, &err) : err.code;
    if (!rc) {
      s2_uniform(&s, 0, dense->genome);
      rc = search_row_finish(r, dense, &s, &err);
      s2_space_free(&s);
    }
  }
  if (!rc) rc = search_budgets_reachable(r, &err);
  for (size_t i = 0; !rc && i < n_manual; i++)
    rc = search_manual(r, &manual_plan[i], manual_path[i], n_manual, &err);
  for (size_t i = 0; !rc && i < r->l1c.n_formats; i++)
    rc = search_format(r, r->l1c.formats[i], log, &err);
  if (log && fclose(log) != 0 && !rc)
    rc = heat_error_set(&err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  r->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  if (!rc && root) search_budgets_met(r);
  if (!rc && root && !no_sim) search_simulate(r); /* rank 0 alone: its summary */
  if (!rc && root) rc = search_write_outputs(r, &err);
  if (!rc && root && !no_figures) rc = search_write_figures(r, &err);
  if (!rc && root) search_print_summary(stdout, r, true);
  ckpt_signals_restore();
  int status = 0;
  if (ck_open) {
    heat_error cerr;
    if (!rc) ckpt_remove(&ck); /* the outputs hold everything now */
    else if (ckpt_save(&ck, &cerr) != 0) heat_error_print(stderr, &cerr);
    else if (rc == CKPT_EINTR) {
      char msg[1400];
      status = ckpt_interrupt_message(&ck, msg, sizeof msg);
      fprintf(stderr, "\nheat: %s\n", msg);
    }
    ckpt_free(&ck);
  }
  for (size_t i = 0; i < r->n_rows; i++) {
    free(r->rows[i]->genome);
    free(r->rows[i]->evals);
    free(r->rows[i]);
  }
  l1_free(&r->l1);
  pricer_free(&r->p);
  map_workspace_free(w);
  free(r);
  if (status) return status;
  if (rc == CKPT_EINTR && !root) return 128 + 15; /* rank 0 says where the checkpoint is */
  return rc ? cli_fail(&err) : 0;
}
