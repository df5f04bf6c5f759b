/* Level 1: shapes x ranks per weight size and format, priced, measured, Pareto (see level1.h). */
#include "search/level1.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "search/dist.h"
#include "search_cost_version.h"
#include "workloads/factorize.h"
#include "workloads/weights.h"

void l1_config_init(l1_config *c) {
  memset(c, 0, sizeof *c);
  c->formats[0] = WL_FORMAT_CP;
  c->formats[1] = WL_FORMAT_TUCKER;
  c->formats[2] = WL_FORMAT_TTM;
  c->n_formats = 3;
  c->top_shapes = 2;
  c->d_min = 2;
  c->d_max = 3;
  c->target_compression = 0.25;
  wl_synthetic_init(&c->synthetic);
  wl_factor_options_init(&c->factor);
  c->factor.cp_max_iters = 8;
  c->factor.cp_init = WL_CP_INIT_SVD;
  c->threads = 1;
}

/* Plain grids: low ranks for the many-core formats (their parameters grow as r^2 or faster),
 * matrix-like ranks for svd and cp. */
size_t l1_rank_grid(wl_format f, const arch *a, int64_t *out, size_t cap) {
  static const int64_t svd[] = {32, 64, 128, 256}, cp[] = {64, 128, 256},
                       tucker[] = {8, 16, 32}, tt[] = {8, 16, 32};
  const int64_t *g = svd;
  size_t n = 4;
  switch (f) {
  case WL_FORMAT_CP: g = cp, n = 3; break;
  case WL_FORMAT_TUCKER: g = tucker, n = 3; break;
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: g = tt, n = 3; break;
  case WL_FORMAT_DENSE: return 0;
  default: break;
  }
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap; i++) out[k++] = g[i];
  /* Hardware-aligned: the array's row and column counts (lanes and width), and twice them. */
  int64_t rows = a->array.kind == ARCH_ARRAY_VECTOR ? a->array.lanes : a->array.rows;
  int64_t cols = a->array.kind == ARCH_ARRAY_VECTOR ? a->array.width : a->array.cols;
  int64_t al[] = {rows, cols, 2 * rows, 2 * cols};
  for (size_t i = 0; i < 4 && k < cap; i++) {
    bool seen = al[i] < 1;
    for (size_t j = 0; j < k; j++) seen = seen || out[j] == al[i];
    if (!seen) out[k++] = al[i];
  }
  return k;
}

int l1_size_of(const l1_result *r, int64_t out, int64_t in) {
  for (size_t s = 0; s < r->n_sizes; s++)
    if (r->sizes[s].out == out && r->sizes[s].in == in) return (int)s;
  return -1;
}

static int l1__push(l1_result *r, const l1_point *pt, heat_error *err) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 128;
    l1_point *pts = realloc(r->pts, cap * sizeof *pts);
    if (!pts) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
    r->pts = pts;
    r->cap = cap;
  }
  r->pts[r->n++] = *pt;
  return HEAT_OK;
}

const char *l1_cost_model_version(void) { return SEARCH_COST_MODEL_VERSION; }

void l1_cost_inputs(const pricer *p, char out[17]) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  uint64_t h = 0;
  if (f) {
    arch_print(f, p->a);
    fprintf(f, "\ntiming %d stalls %d objective %d dataflows %u override %lld %lld\n",
            (int)p->opt.timing, (int)p->opt.memory_stalls, (int)p->opt.objective,
            p->opt.dataflows, (long long)p->opt.array_rows_override,
            (long long)p->opt.array_cols_override);
    fclose(f);
    h = stable_hash(text, len, 0);
  }
  free(text);
  stable_hash_hex(h, out);
}

/* Copies text into buf (cap bytes), cutting it short when needed. */
static void l1__copy(char *buf, size_t cap, const char *text) {
  size_t n = strlen(text);
  if (n >= cap) n = cap - 1;
  memcpy(buf, text, n);
  buf[n] = '\0';
}

static void l1__cost_key(const price_key *k, char *buf, size_t cap) {
  char text[512];
  char shape[WL_SHAPE_TEXT_MAX], ranks[96];
  wl_shape_format(&k->fmt.shape, shape, sizeof shape);
  wl_layer_format_ranks(&k->fmt, ranks, sizeof ranks);
  snprintf(text, sizeof text, "t%lld c%lld %s %s r%s cpw%d path%d pre%d", (long long)k->tokens,
           (long long)k->count, wl_format_name(k->fmt.format), shape, ranks, (int)k->fmt.cp_weights,
           k->path, k->precompute);
  l1__copy(buf, cap, text);
}

/* A weight's identity for the error table: the file and tensor, or the synthetic spec. */
static void l1__weight_id(const l1_config *c, const l1_size *s, size_t w, char *buf, size_t cap) {
  if (!c->weights) {
    char d[128];
    wl_synthetic_describe(&c->synthetic, d, sizeof d);
    snprintf(buf, cap, "%s %lldx%lld", d, (long long)s->out, (long long)s->in);
  } else {
    snprintf(buf, cap, "layer%d.%s", s->layer[w], wl_bert_role_name((wl_bert_role)s->role[w]));
  }
}

static void l1__eps_key(const l1_config *c, const l1_size *s, size_t w, const wl_layer *l,
                        char *buf, size_t cap) {
  char id[160], shape[WL_SHAPE_TEXT_MAX], ranks[96], text[512];
  l1__weight_id(c, s, w, id, sizeof id);
  wl_shape_format(&l->shape, shape, sizeof shape);
  wl_layer_format_ranks(l, ranks, sizeof ranks);
  snprintf(text, sizeof text, "%s %s %s r%s", id, wl_format_name(l->format), shape, ranks);
  l1__copy(buf, cap, text);
}

/* The error table's inputs: the weights (file size and time for a checkpoint) and the
 * factorization options. */
static void l1__eps_inputs(const l1_config *c, char out[17]) {
  char text[1400];
  struct stat st;
  memset(&st, 0, sizeof st);
  if (c->weights) stat(c->weights, &st);
  char d[128] = "";
  wl_synthetic_describe(&c->synthetic, d, sizeof d);
  snprintf(text, sizeof text, "%s|%s|%lld|%lld|cp %d %.17g %lu %d|hooi %d", c->weights ? c->weights : "",
           d, (long long)st.st_size, (long long)st.st_mtime, c->factor.cp_max_iters,
           c->factor.cp_tol, c->factor.seed, (int)c->factor.cp_init, c->factor.hooi_sweeps);
  stable_hash_hex(stable_hash(text, strlen(text), 0), out);
}

/* Rank 0 alone reads and writes the tables (the cache directory need only be on its disk);
 * the other ranks receive rank 0's values with the results (search/dist.h). */
static int l1__open_table(const l1_config *c, stable *t, const char *name, const char *kind,
                          const char *inputs, const char *version, size_t width, heat_error *err) {
  char path[1024] = "";
  bool use = c->cache_dir && dist_is_root();
  if (use) {
    mkdir(c->cache_dir, 0777);
    snprintf(path, sizeof path, "%s/%s", c->cache_dir, name);
  }
  int rc = stable_open(t, use ? path : "/nonexistent/heat-no-cache", kind, inputs,
                       version, width, err);
  return rc;
}

/* ---- the candidate settings ---- */

/* A setting whose pricing or factorization failed (a bad point, out of memory) on some rank is
 * left out of the fronts and the search, kept as a `failed` row, and said once, by rank 0, in
 * setting order: the run goes on (issue 12). A setting the arch cannot hold (HEAT_ENOFIT) is
 * not a failure. */
static void l1__failed_warning(heat_error *e, const char *what, const char *key, int rank) {
  heat_error_prefix(e, "level 1: %s '%s' failed on rank %d", what, key, rank);
  if (!dist_is_root()) return;
  fprintf(stderr, "heat: warning: %s: %s; the setting is left out\n",
          e->where[0] ? e->where : "search", e->msg[0] ? e->msg : heat_strerror(e->code));
}

static int l1__candidates(const l1_config *c, const pricer *p, l1_result *r, heat_error *err) {
  for (size_t s = 0; s < r->n_sizes; s++) {
    const l1_size *sz = &r->sizes[s];
    for (size_t fi = 0; fi < c->n_formats; fi++) {
      wl_format f = c->formats[fi];
      if (f == WL_FORMAT_DENSE) continue;
      wl_shape *shapes = NULL;
      size_t n_shapes = 0;
      wl_shape matrix;
      if (f == WL_FORMAT_SVD) {
        wl_shape_matrix(sz->out, sz->in, &matrix);
        n_shapes = 1;
      } else {
        /* Tucker's core has r^(2d) entries: more than two factors per side cannot compress */
        size_t d_max = f == WL_FORMAT_TUCKER && c->d_max > 2 ? 2 : c->d_max;
        size_t d_min = c->d_min < d_max ? c->d_min : d_max;
        int rc = wl_shape_enumerate(sz->out, sz->in, d_min, d_max, c->top_shapes, &shapes,
                                    &n_shapes, err);
        if (rc) return rc;
      }
      int64_t grid[L1_MAX_RANKS];
      size_t n_plain = l1_rank_grid(f, &(arch){.array = {0}}, grid, L1_MAX_RANKS);
      size_t n_grid = l1_rank_grid(f, p->a, grid, L1_MAX_RANKS);
      for (size_t k = 0; k < n_shapes; k++) {
        size_t first = r->n;
        for (size_t g = 0; g < n_grid; g++) {
          l1_point pt;
          memset(&pt, 0, sizeof pt);
          pt.size = s;
          pt.fmt.format = f;
          pt.fmt.shape = f == WL_FORMAT_SVD ? matrix : shapes[k];
          wl_layer_clip_ranks(&pt.fmt, grid[g]);
          pt.aligned = g >= n_plain;
          bool dup = false;
          for (size_t j = first; j < r->n && !dup; j++)
            dup = memcmp(&r->pts[j].fmt, &pt.fmt, sizeof pt.fmt) == 0;
          if (dup) continue;
          pt.params = wl_layer_params(&pt.fmt);
          pt.compression = wl_layer_compression(&pt.fmt);
          int rc = l1__push(r, &pt, err);
          if (rc) {
            free(shapes);
            return rc;
          }
        }
      }
      free(shapes);
    }
  }
  return HEAT_OK;
}

/* ---- errors ---- */

/* A task: one weight's errors for a group of points (one size, format and shape: one spectrum
 * gives them all; cp: one point, one CP-ALS). Tasks are the points of a distributed job
 * (search/dist.h), defined whatever the cache holds so that every rank numbers them alike;
 * rank 0 skips those its table or checkpoint already has. */
typedef struct l1__eps_task {
  size_t size, weight; /* which weight */
  size_t first, n;     /* points [first, first+n) */
} l1__eps_task;

typedef struct l1__eps_job {
  const l1_config *c;
  l1_result *r;
  const l1__eps_task *tasks;
  double (*vals)[L1_MAX_RANKS]; /* per task: the errors of its n points */
  bool *got;                    /* rank 0: the task's errors are known */
  int *rank_of;                 /* rank 0: the rank that computed the task */
  /* One synthetic matrix per size, made by the first thread that needs it. */
  wl_matrix synth[L1_MAX_SIZES];
  bool synth_made[L1_MAX_SIZES];
  int synth_rc[L1_MAX_SIZES];
  heat_error synth_err[L1_MAX_SIZES];
  int rec_rc; /* the first failure recording into the checkpoint */
  heat_error rec_err;
} l1__eps_job;

static int l1__matrix(l1__eps_job *x, const l1_size *s, size_t size, size_t w, wl_matrix *out,
                      bool *owned, heat_error *err) {
  const l1_config *c = x->c;
  if (!c->weights) {
    int rc;
#pragma omp critical(l1_synth)
    {
      if (!x->synth_made[size]) {
        wl_synthetic sy = c->synthetic;
        x->synth_rc[size] =
            wl_synthetic_matrix(&sy, s->out, s->in, &x->synth[size], &x->synth_err[size]);
        x->synth_made[size] = true;
      }
      rc = x->synth_rc[size];
    }
    if (rc) *err = x->synth_err[size];
    *out = x->synth[size];
    *owned = false;
    return rc;
  }
  char spec[1400];
  snprintf(spec, sizeof spec, "%s:layer%d.%s", c->weights, s->layer[w],
           wl_bert_role_name((wl_bert_role)s->role[w]));
  *owned = true;
  return wl_weights_load(spec, s->out, s->in, out, err);
}

static int l1__eps_run(void *ctx, void *local, size_t i, void *result, heat_error *err) {
  (void)local;
  l1__eps_job *x = ctx;
  const l1__eps_task *t = &x->tasks[i];
  l1_result *r = x->r;
  double *out = result;
  const l1_size *s = &r->sizes[t->size];
  wl_matrix m;
  bool owned;
  int rc = l1__matrix(x, s, t->size, t->weight, &m, &owned, err);
  if (rc) return rc;
  const l1_point *p0 = &r->pts[t->first];
  if (p0->fmt.format == WL_FORMAT_CP) {
    wl_factors f;
    rc = wl_factorize(&m, &p0->fmt, &x->c->factor, &f, err);
    if (!rc) {
      out[0] = f.rel_error;
      wl_factors_free(&f);
    }
  } else {
    wl_spectra sp;
    rc = wl_spectra_compute(&m, p0->fmt.format, &p0->fmt.shape, &sp, err);
    for (size_t k = 0; !rc && k < t->n; k++) {
      wl_error_kind kind;
      rc = wl_spectra_error(&sp, &r->pts[t->first + k].fmt, &out[k], &kind, err);
    }
    if (!rc) wl_spectra_free(&sp);
  }
  if (owned) wl_matrix_free(&m);
  return rc;
}

/* A point's error as the error table holds it: ε and whether it is an upper bound. */
static void l1__eps_value(const l1_point *pt, double eps, double v[2]) {
  v[0] = eps;
  v[1] = pt->fmt.format == WL_FORMAT_CP || pt->fmt.format == WL_FORMAT_SVD ? 0 : 1;
}

/* Rank 0, as a task completes: its records in the checkpoint, one per point
 * ("l1 eps <table key>": ε). A failed task is reported after the job, in task order. */
static void l1__eps_done(void *ctx, size_t i, int rank) {
  l1__eps_job *x = ctx;
  const l1__eps_task *t = &x->tasks[i];
  x->got[i] = true;
  x->rank_of[i] = rank;
  if (!x->c->ck || x->rec_rc) return;
  int rc = HEAT_OK;
  for (size_t k = 0; k < t->n && !rc; k++) {
    const l1_point *pt = &x->r->pts[t->first + k];
    char key[STABLE_KEY_MAX + 16] = "l1 eps ";
    l1__eps_key(x->c, &x->r->sizes[pt->size], t->weight, &pt->fmt, key + 7, sizeof key - 7);
    ckpt_buf b = {0};
    ckpt_buf_f64(&b, x->vals[i][k]);
    const char *text;
    rc = ckpt_buf_done(&b, &text, &x->rec_err);
    if (!rc) rc = ckpt_put(x->c->ck, key, text, &x->rec_err);
    ckpt_buf_free(&b);
  }
  if (!rc) rc = ckpt_tick(x->c->ck, &x->rec_err);
  x->rec_rc = rc;
}

/* A point's error from the checkpoint, when there (*found). */
static int l1__eps_resume(const l1_config *c, const wl_layer *fmt, const char *table_key,
                          double v[2], bool *found, heat_error *err) {
  *found = false;
  if (!c->ck) return HEAT_OK;
  char key[STABLE_KEY_MAX + 16];
  snprintf(key, sizeof key, "l1 eps %s", table_key);
  const ckpt_rec *rec = ckpt_get(c->ck, key);
  if (!rec) return HEAT_OK;
  ckpt_reader rd;
  ckpt_reader_init(&rd, c->ck, rec, err);
  double eps = ckpt_read_f64(&rd);
  if (!rd.rc && !(eps >= 0 && eps <= 1e6)) ckpt_reader_fail(&rd, "an error out of range");
  int rc = ckpt_reader_end(&rd);
  if (rc) return rc;
  l1_point pt = {.fmt = *fmt};
  l1__eps_value(&pt, eps, v);
  *found = true;
  return HEAT_OK;
}

static bool l1__stop(void) { return ckpt_signal_pending() != 0; }

/* The tasks of points [from, r->n): per group and weight (cp: per point and weight). */
static size_t l1__eps_tasks(const l1_result *r, size_t from, l1__eps_task *tasks) {
  size_t n = 0;
  for (size_t i = from; i < r->n;) {
    size_t j = i + 1; /* a group: same size, format and shape */
    while (j < r->n && j - i < L1_MAX_RANKS && r->pts[j].size == r->pts[i].size &&
           r->pts[j].fmt.format == r->pts[i].fmt.format &&
           memcmp(&r->pts[j].fmt.shape, &r->pts[i].fmt.shape, sizeof(wl_shape)) == 0)
      j++;
    const l1_size *s = &r->sizes[r->pts[i].size];
    for (size_t w = 0; w < s->n_weights; w++) {
      if (r->pts[i].fmt.format == WL_FORMAT_CP)
        for (size_t k = i; k < j; k++) tasks[n++] = (l1__eps_task){r->pts[i].size, w, k, 1};
      else
        tasks[n++] = (l1__eps_task){r->pts[i].size, w, i, j - i};
    }
    i = j;
  }
  return n;
}

/* Fills every point's per-weight errors from the table (rank 0's), the checkpoint, or by
 * factorizing over the ranks and threads. */
static int l1__errors(const l1_config *c, l1_result *r, size_t from, heat_error *err) {
  bool root = dist_is_root();
  size_t total = 0;
  for (size_t i = from; i < r->n; i++) {
    r->pts[i].eps_at = r->n_eps_w + total;
    total += r->sizes[r->pts[i].size].n_weights;
  }
  double *e = realloc(r->eps_w, (r->n_eps_w + total + 1) * sizeof *e);
  if (!e) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  r->eps_w = e;
  for (size_t i = r->n_eps_w; i < r->n_eps_w + total; i++) e[i] = NAN;
  r->n_eps_w += total;
  stable t;
  char inputs[17];
  l1__eps_inputs(c, inputs);
  int rc = l1__open_table(c, &t, "errors.table", "errors", inputs, "eps-1", 2, err);
  if (rc) return rc;
  if (from == 0) {
    r->eps_state = t.state;
    snprintf(r->eps_why, sizeof r->eps_why, "%s", t.why);
    snprintf(r->eps_path, sizeof r->eps_path, "%s", c->cache_dir ? t.path : "");
  }
  l1__eps_job *x = calloc(1, sizeof *x);
  l1__eps_task *tasks = calloc(total + 1, sizeof *tasks);
  size_t cap = total + 1;
  double(*vals)[L1_MAX_RANKS] = calloc(cap, sizeof *vals);
  bool *got = calloc(cap, sizeof *got), *skip = calloc(cap, sizeof *skip);
  int *status = calloc(cap, sizeof *status), *rank_of = calloc(cap, sizeof *rank_of);
  heat_error *errors = calloc(cap, sizeof *errors);
  if (!x || !tasks || !vals || !got || !skip || !status || !errors || !rank_of)
    rc = heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  size_t n_tasks = rc ? 0 : l1__eps_tasks(r, from, tasks);
  bool table_dirty = false;
  /* Rank 0: the values its table or checkpoint has; a task all of whose points are there is
   * skipped. */
  for (size_t ti = 0; ti < n_tasks && root && !rc; ti++) {
    const l1__eps_task *tk = &tasks[ti];
    const l1_size *s = &r->sizes[tk->size];
    bool all = true;
    for (size_t k = 0; k < tk->n && !rc; k++) {
      const l1_point *pt = &r->pts[tk->first + k];
      char key[STABLE_KEY_MAX];
      l1__eps_key(c, s, tk->weight, &pt->fmt, key, sizeof key);
      const double *v = stable_get(&t, key);
      double saved[2];
      bool found = false;
      if (!v) rc = l1__eps_resume(c, &pt->fmt, key, saved, &found, err);
      if (found) rc = stable_put(&t, key, saved, err);
      if (found) {
        vals[ti][k] = saved[0];
        r->eps_resumed++;
        table_dirty = true;
      } else if (v) {
        vals[ti][k] = v[0];
        r->eps_cached++;
      } else
        all = false;
    }
    skip[ti] = got[ti] = all;
  }
  if (!rc) {
    *x = (l1__eps_job){.c = c, .r = r, .tasks = tasks, .vals = vals, .got = got,
                       .rank_of = rank_of};
    dist_job job = {.what = "level 1: factorizing", .n = n_tasks, .result_size = sizeof *vals,
                    .eval = l1__eps_run, .ctx = x, .results = vals, .status = status,
                    .errors = errors, .skip = skip, .done = l1__eps_done, .stop = l1__stop,
                    .share = true, .threads = c->threads, .progress = c->progress && from == 0};
    rc = dist_run(&job, err);
    for (size_t s = 0; s < r->n_sizes; s++)
      if (x->synth_made[s] && !x->synth_rc[s]) wl_matrix_free(&x->synth[s]);
  }
  bool stopped = rc == DIST_STOPPED;
  if (stopped) rc = root ? HEAT_OK : CKPT_EINTR; /* rank 0 keeps what was done */
  /* failed tasks in task order, whatever the rank and thread counts: their points are out */
  for (size_t ti = 0; ti < n_tasks && !rc && !stopped; ti++)
    if (status[ti]) {
      const l1__eps_task *tk = &tasks[ti];
      char key[STABLE_KEY_MAX];
      l1__eps_key(c, &r->sizes[r->pts[tk->first].size], tk->weight, &r->pts[tk->first].fmt, key,
                  sizeof key);
      l1__failed_warning(&errors[ti], "the error of", key, rank_of[ti]);
      for (size_t k = 0; k < tk->n; k++)
        if (!r->pts[tk->first + k].status) r->pts[tk->first + k].status = status[ti];
    }
  if (!rc && x->rec_rc) {
    *err = x->rec_err;
    rc = x->rec_rc;
  }
  /* Into the points and, on rank 0, the table in task order (a deterministic file). */
  for (size_t ti = 0; ti < n_tasks && !rc; ti++) {
    if (stopped && !got[ti]) continue; /* the tasks done still go into the table */
    const l1__eps_task *tk = &tasks[ti];
    for (size_t k = 0; k < tk->n && !rc; k++) {
      l1_point *pt = &r->pts[tk->first + k];
      r->eps_w[pt->eps_at + tk->weight] = vals[ti][k];
      if (skip[ti] || !root || status[ti]) continue;
      char key[STABLE_KEY_MAX];
      l1__eps_key(c, &r->sizes[pt->size], tk->weight, &pt->fmt, key, sizeof key);
      double v[2];
      l1__eps_value(pt, vals[ti][k], v);
      rc = stable_put(&t, key, v, err);
      r->factorized++;
      table_dirty = true;
    }
  }
  if (!rc && root && c->cache_dir && table_dirty) rc = stable_save(&t, err);
  if (!rc && stopped) rc = CKPT_EINTR;
  for (size_t i = from; i < r->n && !rc; i++) {
    l1_point *pt = &r->pts[i];
    double sum = 0;
    size_t nw = r->sizes[pt->size].n_weights;
    for (size_t w = 0; w < nw; w++) sum += r->eps_w[pt->eps_at + w];
    pt->eps = sum / (double)nw;
    pt->eps_bound = pt->fmt.format != WL_FORMAT_CP && pt->fmt.format != WL_FORMAT_SVD;
  }
  free(x);
  free(tasks);
  free(vals);
  free(got);
  free(skip);
  free(status);
  free(rank_of);
  free(errors);
  stable_free(&t);
  return rc;
}

/* ---- costs ---- */

#define L1_COST_WIDTH (5 + PRICE_COMPONENTS)

static void l1__cost_pack(int status, const price_cost *c, double *v) {
  v[0] = status;
  v[1] = c->latency_s;
  v[2] = c->energy_j;
  v[3] = c->dram_bytes;
  v[4] = c->macs;
  for (int k = 0; k < PRICE_COMPONENTS; k++) v[5 + k] = c->comp_j[k];
}

static void l1__cost_unpack(const double *v, int *status, price_cost *c) {
  *status = (int)v[0];
  c->latency_s = v[1];
  c->energy_j = v[2];
  c->dram_bytes = v[3];
  c->macs = v[4];
  for (int k = 0; k < PRICE_COMPONENTS; k++) c->comp_j[k] = v[5 + k];
}

/* A setting's cost from the checkpoint, when there (*found). */
static int l1__cost_resume(const l1_config *c, const char *table_key, int *status,
                           price_cost *cost, bool *found, heat_error *err) {
  *found = false;
  if (!c->ck) return HEAT_OK;
  char key[STABLE_KEY_MAX + 16];
  snprintf(key, sizeof key, "l1 cost %s", table_key);
  const ckpt_rec *rec = ckpt_get(c->ck, key);
  if (!rec) return HEAT_OK;
  ckpt_reader rd;
  ckpt_reader_init(&rd, c->ck, rec, err);
  double v[L1_COST_WIDTH];
  for (size_t i = 0; i < L1_COST_WIDTH; i++) v[i] = ckpt_read_f64(&rd);
  if (!rd.rc && v[0] != HEAT_OK && v[0] != HEAT_ENOFIT) ckpt_reader_fail(&rd, "a bad status");
  int rc = ckpt_reader_end(&rd);
  if (rc) return rc;
  l1__cost_unpack(v, status, cost);
  *found = true;
  return HEAT_OK;
}

/* Pricing as a distributed job: point j is setting from + j; its result its cost. */
typedef struct l1__cost_job {
  const l1_config *c;
  const pricer *p;
  const price_key *keys;
  price_cost *costs;
  const int *status;
  bool *got;  /* rank 0: the setting's cost is known */
  int *rank_of; /* rank 0: the rank that priced it */
  int rec_rc; /* the first failure recording into the checkpoint */
  heat_error rec_err;
} l1__cost_job;

static void *l1__workspace_alloc(void *ctx) {
  (void)ctx;
  return map_workspace_alloc();
}

static void l1__workspace_free(void *local) { map_workspace_free(local); }

static int l1__cost_run(void *ctx, void *local, size_t j, void *result, heat_error *err) {
  const l1__cost_job *x = ctx;
  if (!local) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  return pricer_compute(x->p, &x->keys[j], local, result, err);
}

/* Rank 0, as a setting is priced: its status and cost into the checkpoint. A setting the arch
 * cannot hold is a point with its reason (HEAT_ENOFIT), not a failure. */
static void l1__cost_done(void *ctx, size_t j, int rank) {
  l1__cost_job *x = ctx;
  x->got[j] = true;
  x->rank_of[j] = rank;
  int st = x->status[j];
  if (!x->c->ck || x->rec_rc || (st && st != HEAT_ENOFIT)) return;
  char key[STABLE_KEY_MAX + 16] = "l1 cost ";
  l1__cost_key(&x->keys[j], key + 8, sizeof key - 8);
  double v[L1_COST_WIDTH];
  l1__cost_pack(st, &x->costs[j], v);
  ckpt_buf b = {0};
  for (size_t i = 0; i < L1_COST_WIDTH; i++) ckpt_buf_f64(&b, v[i]);
  const char *text;
  int rc = ckpt_buf_done(&b, &text, &x->rec_err);
  if (!rc) rc = ckpt_put(x->c->ck, key, text, &x->rec_err);
  if (!rc) rc = ckpt_tick(x->c->ck, &x->rec_err);
  ckpt_buf_free(&b);
  x->rec_rc = rc;
}

static int l1__costs(const l1_config *c, pricer *p, l1_result *r, size_t from, heat_error *err) {
  bool root = dist_is_root();
  stable t;
  char inputs[17];
  l1_cost_inputs(p, inputs);
  char name[160];
  snprintf(name, sizeof name, "costs-%s.table", p->a->name);
  for (char *q = name; *q; q++)
    if (*q == '/') *q = '_';
  int rc = l1__open_table(c, &t, name, "costs", inputs, SEARCH_COST_MODEL_VERSION, L1_COST_WIDTH,
                          err);
  if (rc) return rc;
  if (from == 0) {
    r->cost_state = t.state;
    snprintf(r->cost_why, sizeof r->cost_why, "%s", t.why);
    snprintf(r->cost_path, sizeof r->cost_path, "%s", c->cache_dir ? t.path : "");
  }
  size_t n = r->n - from;
  price_key *keys = calloc(n + 1, sizeof *keys);
  price_cost *costs = calloc(n + 1, sizeof *costs);
  int *status = calloc(n + 1, sizeof *status), *rank_of = calloc(n + 1, sizeof *rank_of);
  heat_error *errors = calloc(n + 1, sizeof *errors);
  bool *cached = calloc(n + 1, sizeof *cached), *resumed = calloc(n + 1, sizeof *resumed),
       *skip = calloc(n + 1, sizeof *skip), *got = calloc(n + 1, sizeof *got);
  if (!keys || !costs || !status || !errors || !cached || !resumed || !skip || !got || !rank_of)
    rc = heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  /* Every rank makes the keys; rank 0 fills what its table and checkpoint have (skipped). */
  for (size_t j = 0; j < n && !rc; j++) {
    l1_point *pt = &r->pts[from + j];
    plan_weight pw = {.fmt = pt->fmt, .path = LAYER_PATH_HARDWARE,
                      .precompute = PATH_PRECOMPUTE_NO_GROWTH, .rel_error = -1};
    pricer_key(p, r->sizes[pt->size].role[0], &pw, &keys[j]);
    if (!root) continue;
    char key[STABLE_KEY_MAX];
    l1__cost_key(&keys[j], key, sizeof key);
    const double *v = stable_get(&t, key);
    if (v) {
      l1__cost_unpack(v, &status[j], &costs[j]);
      cached[j] = true;
      r->cost_cached++;
    } else {
      rc = l1__cost_resume(c, key, &status[j], &costs[j], &resumed[j], err);
      if (resumed[j]) r->cost_resumed++;
    }
    skip[j] = got[j] = cached[j] || resumed[j];
  }
  l1__cost_job x = {.c = c, .p = p, .keys = keys, .costs = costs, .status = status, .got = got,
                    .rank_of = rank_of};
  if (!rc) {
    dist_job job = {.what = "level 1: pricing", .n = n, .result_size = sizeof *costs,
                    .eval = l1__cost_run, .ctx = &x, .local_alloc = l1__workspace_alloc,
                    .local_free = l1__workspace_free, .results = costs, .status = status,
                    .errors = errors, .skip = skip, .done = l1__cost_done, .stop = l1__stop,
                    .share = true, .threads = c->threads, .progress = c->progress && from == 0};
    rc = dist_run(&job, err);
  }
  bool stopped = rc == DIST_STOPPED;
  if (stopped) rc = root ? HEAT_OK : CKPT_EINTR; /* rank 0 keeps what was done */
  /* failures in setting order, whatever the rank and thread counts */
  for (size_t j = 0; j < n && !rc && !stopped; j++)
    if (status[j] && status[j] != HEAT_ENOFIT) {
      char key[STABLE_KEY_MAX];
      l1__cost_key(&keys[j], key, sizeof key);
      l1__failed_warning(&errors[j], "pricing", key, rank_of[j]);
    }
  if (!rc && x.rec_rc) {
    *err = x.rec_err;
    rc = x.rec_rc;
  }
  bool table_dirty = false;
  for (size_t j = 0; j < n && !rc; j++) {
    if (stopped && !got[j]) continue; /* the settings done still go into the table */
    l1_point *pt = &r->pts[from + j];
    pt->status = status[j];
    pt->cost = costs[j];
    if (pt->status) memset(&pt->cost, 0, sizeof pt->cost);
    /* a failure is not a property of the setting (it may not recur): never cached */
    if (cached[j] || !root || (pt->status && pt->status != HEAT_ENOFIT)) continue;
    double v[L1_COST_WIDTH];
    l1__cost_pack(pt->status, &pt->cost, v);
    char key[STABLE_KEY_MAX];
    l1__cost_key(&keys[j], key, sizeof key);
    rc = stable_put(&t, key, v, err);
    table_dirty = true;
    if (!resumed[j]) r->priced++;
  }
  if (!rc && root && c->cache_dir && table_dirty) rc = stable_save(&t, err);
  if (!rc && stopped) rc = CKPT_EINTR;
  for (size_t j = 0; j < n && !rc; j++)
    if (!r->pts[from + j].status) rc = pricer_insert(p, &keys[j], &r->pts[from + j].cost, err);
  free(keys);
  free(costs);
  free(status);
  free(rank_of);
  free(errors);
  free(cached);
  free(resumed);
  free(skip);
  free(got);
  stable_free(&t);
  return rc;
}

/* ---- fronts ---- */

static bool l1__dominates(const l1_point *a, const l1_point *b) {
  double ea = price_edp(&a->cost), eb = price_edp(&b->cost);
  bool le = ea <= eb && a->eps <= b->eps && a->compression <= b->compression;
  bool lt = ea < eb || a->eps < b->eps || a->compression < b->compression;
  return le && lt;
}

static void l1__fronts(const l1_config *c, l1_result *r) {
  for (size_t i = 0; i < r->n; i++) {
    l1_point *a = &r->pts[i];
    a->pareto = a->status == HEAT_OK;
    for (size_t j = 0; j < r->n && a->pareto; j++) {
      const l1_point *b = &r->pts[j];
      if (j != i && b->status == HEAT_OK && b->size == a->size && b->fmt.format == a->fmt.format &&
          l1__dominates(b, a))
        a->pareto = false;
    }
  }
  /* The shape rule: lowest ε on the front among settings at least as compressed as the target;
   * none: the most compressed front point. Ties: lower EDP, then the earlier (more uniform). */
  for (size_t s = 0; s < r->n_sizes; s++)
    for (size_t fi = 0; fi < c->n_formats; fi++) {
      wl_format f = c->formats[fi];
      long best = -1, most = -1;
      for (size_t i = 0; i < r->n; i++) {
        const l1_point *p = &r->pts[i];
        if (!p->pareto || p->size != s || p->fmt.format != f) continue;
        if (most < 0 || p->compression < r->pts[most].compression) most = (long)i;
        if (p->compression > c->target_compression) continue;
        if (best < 0 || p->eps < r->pts[best].eps ||
            (p->eps == r->pts[best].eps && price_edp(&p->cost) < price_edp(&r->pts[best].cost)))
          best = (long)i;
      }
      if (best < 0) best = most;
      if (best < 0) continue;
      r->has_shape[s][f] = true;
      r->shape[s][f] = r->pts[best].fmt.shape;
      for (size_t i = 0; i < r->n; i++)
        if (r->pts[i].size == s && r->pts[i].fmt.format == f &&
            memcmp(&r->pts[i].fmt.shape, &r->shape[s][f], sizeof(wl_shape)) == 0)
          r->pts[i].chosen_shape = true;
    }
}

int l1_run(const l1_config *c, pricer *p, l1_result *out, heat_error *err) {
  memset(out, 0, sizeof *out);
  const model *m = p->m;
  for (int role = 0; role < PLAN_ROLES; role++) {
    int s = l1_size_of(out, p->role_out[role], p->role_in[role]);
    if (s < 0) {
      s = (int)out->n_sizes++;
      out->sizes[s].out = p->role_out[role];
      out->sizes[s].in = p->role_in[role];
    }
  }
  /* weights of each size, layer then role */
  for (int64_t l = 0; l < m->layers; l++)
    for (int role = 0; role < PLAN_ROLES; role++) {
      l1_size *sz = &out->sizes[l1_size_of(out, p->role_out[role], p->role_in[role])];
      if (c->weights || sz->n_weights == 0) {
        sz->layer[sz->n_weights] = (int)l;
        sz->role[sz->n_weights++] = role;
      }
    }
  if (c->weights) snprintf(out->weights, sizeof out->weights, "%s", c->weights);
  else {
    char d[128];
    wl_synthetic_describe(&c->synthetic, d, sizeof d);
    snprintf(out->weights, sizeof out->weights, "%s, one matrix per weight size", d);
  }
  int rc = l1__candidates(c, p, out, err);
  out->n_grid = out->n;
  if (!rc) rc = l1__costs(c, p, out, 0, err);
  if (!rc) rc = l1__errors(c, out, 0, err);
  if (!rc) l1__fronts(c, out);
  return rc;
}

int l1_add_point(const l1_config *c, pricer *p, l1_result *r, size_t size, const wl_layer *fmt,
                 size_t *at, heat_error *err) {
  for (size_t i = 0; i < r->n; i++)
    if (r->pts[i].size == size && memcmp(&r->pts[i].fmt, fmt, sizeof *fmt) == 0) {
      *at = i;
      return HEAT_OK;
    }
  l1_point pt;
  memset(&pt, 0, sizeof pt);
  pt.size = size;
  pt.fmt = *fmt;
  pt.params = wl_layer_params(fmt);
  pt.compression = wl_layer_compression(fmt);
  size_t from = r->n;
  int rc = l1__push(r, &pt, err);
  if (!rc) rc = l1__costs(c, p, r, from, err);
  if (!rc) rc = l1__errors(c, r, from, err);
  *at = from;
  return rc;
}

void l1_free(l1_result *r) {
  free(r->pts);
  free(r->eps_w);
  r->pts = NULL;
  r->eps_w = NULL;
}
