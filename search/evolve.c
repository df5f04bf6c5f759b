/* Level 2: evolutionary plan search (see evolve.h). */
#include "search/evolve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_rng.h"
#include "search/dist.h"

const char *s2_objective_name(s2_objective o) {
  static const char *const names[] = {"heat", "edp", "latency", "energy", "error"};
  return (unsigned)o < 5 ? names[o] : "?";
}

int s2_objective_parse(const char *text, const char *what, s2_objective *out, heat_error *err) {
  for (int i = 0; i < 5; i++)
    if (strcmp(text, s2_objective_name((s2_objective)i)) == 0) {
      *out = (s2_objective)i;
      return HEAT_OK;
    }
  return heat_error_set(err, HEAT_EINVAL, what,
                        "unknown objective '%s'; known: heat ((1-acc)*EDP^0.25), edp, latency, "
                        "energy, error",
                        text);
}

void s2_config_init(s2_config *c) {
  memset(c, 0, sizeof *c);
  c->objective = S2_OBJ_HEAT;
  c->gamma = 0.25;
  c->acc_dense = 0.8816;
  c->acc_kappa = 0.03;
  c->population = 48;
  c->generations = 40;
  c->crossover = 0.9;
  c->seed = 1;
  c->threads = 1;
}

void s2_proxy_text(const s2_config *c, char *buf, size_t cap) {
  if (c->acc_model[0]) {
    snprintf(buf, cap, "%s", c->acc_model);
    return;
  }
  snprintf(buf, cap,
           "acc proxy = max(0, %.4g - %.4g * mean eps), eps weighted by weight size (dense 0); "
           "not a measured accuracy",
           c->acc_dense, c->acc_kappa);
}

static int s2__cmp_compression(const void *a, const void *b, void *ctx) {
  const l1_result *l1 = ctx;
  int x = *(const int *)a, y = *(const int *)b;
  double cx = l1->pts[x].compression, cy = l1->pts[y].compression;
  if (cx != cy) return cx < cy ? -1 : 1;
  return x - y;
}

/* Insertion sort with a context (qsort_r is not C11). */
static void s2__sort(int *v, size_t n, const l1_result *l1) {
  for (size_t i = 1; i < n; i++) {
    int x = v[i];
    size_t j = i;
    while (j > 0 && s2__cmp_compression(&v[j - 1], &x, (void *)l1) > 0) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

int s2_space_init(s2_space *s, const l1_result *l1, const pricer *p, wl_format format,
                  heat_error *err) {
  memset(s, 0, sizeof *s);
  s->l1 = l1;
  s->p = p;
  size_t layers = (size_t)p->m->layers;
  s->n_weights = layers * PLAN_ROLES;
  s->n_choices = calloc(s->n_weights, sizeof *s->n_choices);
  s->choices = calloc(s->n_weights, sizeof *s->choices);
  s->slot = calloc(s->n_weights, sizeof *s->slot);
  if (!s->n_choices || !s->choices || !s->slot) {
    s2_space_free(s);
    return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  }
  for (size_t l = 0; l < layers; l++)
    for (int r = 0; r < PLAN_ROLES; r++) {
      size_t k = l * PLAN_ROLES + (size_t)r;
      int sz = l1_size_of(l1, p->role_out[r], p->role_in[r]);
      const l1_size *size = &l1->sizes[sz];
      for (size_t w = 0; w < size->n_weights; w++)
        if (size->layer[w] == (int)l && size->role[w] == r) s->slot[k] = w;
      int *ch = malloc((l1->n + 1) * sizeof *ch);
      if (!ch) {
        s2_space_free(s);
        return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
      }
      size_t n = 0;
      for (size_t i = 0; i < l1->n; i++) {
        const l1_point *pt = &l1->pts[i];
        if (pt->size == (size_t)sz && pt->fmt.format == format && pt->chosen_shape &&
            pt->status == HEAT_OK)
          ch[1 + n++] = (int)i;
      }
      s2__sort(ch + 1, n, l1);
      ch[0] = -1;
      s->choices[k] = ch;
      s->n_choices[k] = n + 1;
      s->weight_elems += (double)p->role_out[r] * (double)p->role_in[r];
    }
  s->dense_latency = p->input.latency_s + p->output.latency_s + (double)layers * p->block_dense.latency_s;
  s->dense_energy = p->input.energy_j + p->output.energy_j + (double)layers * p->block_dense.energy_j;
  model_totals t;
  int rc = model_total(p->m, &t, err);
  if (rc) {
    s2_space_free(s);
    return rc;
  }
  s->dense_params = t.params;
  return HEAT_OK;
}

void s2_space_free(s2_space *s) {
  if (s->choices)
    for (size_t k = 0; k < s->n_weights; k++) free(s->choices[k]);
  free(s->choices);
  free(s->n_choices);
  free(s->slot);
  memset(s, 0, sizeof *s);
}

void s2_evaluate(const s2_config *c, const s2_space *s, const int *genome, s2_eval *out) {
  memset(out, 0, sizeof *out);
  const pricer *p = s->p;
  double lat = s->dense_latency, en = s->dense_energy, eps = 0;
  int64_t params = s->dense_params;
  for (size_t k = 0; k < s->n_weights; k++) {
    if (genome[k] < 0) continue;
    int r = (int)(k % PLAN_ROLES);
    const l1_point *pt = &s->l1->pts[genome[k]];
    lat += pt->cost.latency_s - p->dense_linear[r].latency_s;
    en += pt->cost.energy_j - p->dense_linear[r].energy_j;
    params += pt->params - p->role_out[r] * p->role_in[r];
    double e = s->l1->eps_w[pt->eps_at + s->slot[k]];
    eps += e * (double)p->role_out[r] * (double)p->role_in[r];
  }
  out->latency_s = lat;
  out->energy_j = en;
  out->edp_js = lat * en;
  out->eps_mean = eps / s->weight_elems;
  out->params = params;
  out->acc = c->acc_dense - c->acc_kappa * out->eps_mean;
  if (out->acc < 0) out->acc = 0;
  switch (c->objective) {
  case S2_OBJ_HEAT: out->objective = (1 - out->acc) * pow(out->edp_js, c->gamma); break;
  case S2_OBJ_EDP: out->objective = out->edp_js; break;
  case S2_OBJ_LATENCY: out->objective = lat; break;
  case S2_OBJ_ENERGY: out->objective = en; break;
  default: out->objective = out->eps_mean; break;
  }
  double v = 0;
  if (c->max_error > 0 && out->eps_mean > c->max_error) v += out->eps_mean / c->max_error - 1;
  if (c->max_params > 0 && (double)params > c->max_params) v += (double)params / c->max_params - 1;
  if (c->max_latency_s > 0 && lat > c->max_latency_s) v += lat / c->max_latency_s - 1;
  if (c->max_energy_j > 0 && en > c->max_energy_j) v += en / c->max_energy_j - 1;
  out->violation = v;
  out->feasible = v == 0;
}

bool s2_better(const s2_eval *a, const s2_eval *b) {
  if (a->feasible != b->feasible) return a->feasible;
  if (!a->feasible && a->violation != b->violation) return a->violation < b->violation;
  return a->objective < b->objective;
}

void s2_uniform(const s2_space *s, size_t k, int *genome) {
  for (size_t w = 0; w < s->n_weights; w++) {
    size_t i = k < s->n_choices[w] ? k : s->n_choices[w] - 1;
    genome[w] = s->choices[w][i];
  }
}

static size_t s2__pick(uint64_t *rng, size_t n) { return (size_t)(heat_rng_next(rng) % n); }
static double s2__unit(uint64_t *rng) { return (double)(heat_rng_next(rng) >> 11) * 0x1p-53; }

/* Index of the better of two random individuals (order[] ranks them). */
static size_t s2__tournament(uint64_t *rng, const size_t *rank, size_t n) {
  size_t a = s2__pick(rng, n), b = s2__pick(rng, n);
  return rank[a] < rank[b] ? a : b;
}

static void s2__log(FILE *log, const char *label, int gen, size_t ind, const s2_eval *e) {
  if (!log) return;
  fprintf(log, "%s,%d,%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%lld,%.6g,%d\n", label, gen, ind, e->latency_s,
          e->energy_j, e->edp_js, e->eps_mean, e->acc, (long long)e->params, e->objective,
          e->feasible);
}

int s2_search_init(s2_search *q, const s2_config *c, const s2_space *s, heat_error *err) {
  memset(q, 0, sizeof *q);
  q->c = c;
  q->s = s;
  size_t P = q->P = (size_t)(c->population > 4 ? c->population : 4), W = q->W = s->n_weights;
  int G = q->G = c->generations > 0 ? c->generations : 1;
  s2_result *out = &q->res;
  q->pop = malloc(P * W * sizeof *q->pop);
  q->next = malloc(P * W * sizeof *q->next);
  q->ev = malloc(P * sizeof *q->ev);
  q->order = malloc(P * sizeof *q->order);
  q->rank = malloc(P * sizeof *q->rank);
  out->best = malloc(W * sizeof *out->best);
  out->history = malloc((size_t)G * sizeof *out->history);
  out->evals = malloc((size_t)G * P * sizeof *out->evals);
  if (!out->evals || !q->pop || !q->next || !q->ev || !q->order || !q->rank || !out->best ||
      !out->history) {
    s2_search_free(q);
    return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  }
  q->rng = c->seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
  size_t max_choices = 1;
  for (size_t w = 0; w < W; w++)
    if (s->n_choices[w] > max_choices) max_choices = s->n_choices[w];
  /* Seeds: every uniform plan (dense first), then random plans. */
  for (size_t i = 0; i < P; i++) {
    if (i < max_choices) s2_uniform(s, i, &q->pop[i * W]);
    else
      for (size_t w = 0; w < W; w++)
        q->pop[i * W + w] = s->choices[w][s2__pick(&q->rng, s->n_choices[w])];
  }
  return HEAT_OK;
}

bool s2_search_done(const s2_search *q) { return q->g >= q->G; }

/* A generation's evaluations as a distributed job (search/dist.h): individual i is point i. */
static int s2__eval_point(void *ctx, void *local, size_t i, void *result, heat_error *err) {
  (void)local, (void)err;
  const s2_search *q = ctx;
  s2_evaluate(q->c, q->s, &q->pop[i * q->W], result);
  return HEAT_OK;
}

int s2_search_iterate(s2_search *q, FILE *log, const char *log_label, heat_error *err) {
  const s2_config *c = q->c;
  const s2_space *s = q->s;
  size_t P = q->P, W = q->W;
  int G = q->G, g = q->g;
  s2_result *out = &q->res;
  int *pop = q->pop, *next = q->next;
  s2_eval *ev = q->ev;
  size_t *order = q->order, *rank = q->rank;
  if (g >= G) return HEAT_OK;
  /* Every rank breeds the same next generation from the same evaluations (share), drawing the
   * same random numbers: only the evaluations are spread. An evaluation takes microseconds,
   * so each message carries a few of them. */
  int *st = calloc(P, sizeof *st);
  if (!st) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  size_t workers = (size_t)dist_size() * (size_t)(c->threads > 0 ? c->threads : 1);
  dist_job job = {.what = "level 2", .n = P, .result_size = sizeof *ev,
                  .grain = P / (4 * workers) > 0 ? P / (4 * workers) : 1,
                  .eval = s2__eval_point, .ctx = q, .results = ev, .status = st,
                  .share = true, .threads = c->threads};
  int rc = dist_run(&job, err);
  free(st);
  if (rc == DIST_STOPPED) rc = CKPT_EINTR;
  if (rc) return rc;
  out->evaluations += (int64_t)P;
  for (size_t i = 0; i < P; i++) s2__log(log, log_label, g, i, &ev[i]);
  memcpy(&out->evals[(size_t)g * P], ev, P * sizeof *ev);
  /* rank: stable insertion sort on s2_better (ties keep index order) */
  for (size_t i = 0; i < P; i++) order[i] = i;
  for (size_t i = 1; i < P; i++) {
    size_t x = order[i], j = i;
    while (j > 0 && s2_better(&ev[x], &ev[order[j - 1]])) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = x;
  }
  for (size_t i = 0; i < P; i++) rank[order[i]] = i;
  if (g == 0 || s2_better(&ev[order[0]], &out->best_eval)) {
    out->best_eval = ev[order[0]];
    memcpy(out->best, &pop[order[0] * W], W * sizeof *out->best);
  }
  out->history[g] = out->best_eval.objective;
  out->generations = g + 1;
  q->g = g + 1;
  if (c->progress) {
    fprintf(stderr, "\rlevel 2 %s: generation %d/%d, best %s %.4g%s   ", log_label, g + 1, G,
            s2_objective_name(c->objective), out->best_eval.objective,
            out->best_eval.feasible ? "" : " (budget not met)");
    if (g + 1 == G) fputc('\n', stderr);
    fflush(stderr);
  }
  if (g + 1 == G) return HEAT_OK;
  /* next generation: two elites, then children */
  double mutation = 1.0 / (double)W;
  uint64_t *rng = &q->rng;
  memcpy(&next[0], &pop[order[0] * W], W * sizeof *next);
  memcpy(&next[W], &pop[order[1] * W], W * sizeof *next);
  for (size_t i = 2; i < P; i++) {
    size_t a = s2__tournament(rng, rank, P), b = s2__tournament(rng, rank, P);
    bool cross = s2__unit(rng) < c->crossover;
    int *child = &next[i * W];
    for (size_t w = 0; w < W; w++) {
      size_t from = cross && (heat_rng_next(rng) & 1) ? b : a;
      child[w] = pop[from * W + w];
      if (s2__unit(rng) < mutation && s->n_choices[w] > 1) {
        /* half the time a neighbouring rank, else any choice (dense included) */
        size_t n = s->n_choices[w], at = 0;
        while (at < n && s->choices[w][at] != child[w]) at++;
        if (heat_rng_next(rng) & 1) at = (at + (heat_rng_next(rng) & 1 ? 1 : n - 1)) % n;
        else at = s2__pick(rng, n);
        child[w] = s->choices[w][at];
      }
    }
  }
  q->pop = next;
  q->next = pop;
  return HEAT_OK;
}

int s2_search_share(s2_search *q, heat_error *err) {
  if (dist_size() < 2) return HEAT_OK;
  s2_result *out = &q->res;
  int64_t head[3] = {q->g, out->evaluations, out->generations};
  int rc = dist_bcast(head, sizeof head, err);
  if (!rc) rc = dist_bcast(&q->rng, sizeof q->rng, err);
  if (rc) return rc;
  q->g = (int)head[0];
  out->evaluations = head[1];
  out->generations = (int)head[2];
  size_t g = (size_t)q->g;
  struct { void *p; size_t bytes; } parts[] = {
      {q->pop, q->P * q->W * sizeof *q->pop},    {&out->best_eval, sizeof out->best_eval},
      {out->best, q->W * sizeof *out->best},     {out->history, g * sizeof *out->history},
      {out->evals, g * q->P * sizeof *out->evals}};
  for (size_t k = 0; k < sizeof parts / sizeof parts[0] && !rc; k++)
    rc = dist_bcast(parts[k].p, parts[k].bytes, err);
  return rc;
}

void s2_search_take(s2_search *q, s2_result *out) {
  *out = q->res;
  memset(&q->res, 0, sizeof q->res);
}

void s2_search_free(s2_search *q) {
  free(q->pop), free(q->next), free(q->ev), free(q->order), free(q->rank);
  q->pop = q->next = NULL;
  q->ev = NULL;
  q->order = q->rank = NULL;
  s2_result_free(&q->res);
}

/* ---- checkpoints: "l2 <label> state" (generations done, rng, best, population to evaluate
 * next, best objective per generation) and "l2 <label> gen <g>" (the evaluations of
 * generation g) ---- */

static void s2__buf_eval(ckpt_buf *b, const s2_eval *e) {
  const double v[] = {e->latency_s, e->energy_j, e->edp_js, e->eps_mean, e->acc, e->objective,
                      e->violation};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) ckpt_buf_f64(b, v[i]);
  ckpt_buf_i64(b, e->params);
  ckpt_buf_i64(b, e->feasible);
}

static void s2__read_eval(ckpt_reader *r, s2_eval *e) {
  double *v[] = {&e->latency_s, &e->energy_j, &e->edp_js, &e->eps_mean, &e->acc, &e->objective,
                 &e->violation};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) *v[i] = ckpt_read_f64(r);
  e->params = ckpt_read_i64(r, 0, INT64_MAX);
  e->feasible = ckpt_read_i64(r, 0, 1) != 0;
}

static int s2__put(ckpt *ck, const char *key, ckpt_buf *b, heat_error *err) {
  const char *text;
  int rc = ckpt_buf_done(b, &text, err);
  if (!rc) rc = ckpt_put(ck, key, text, err);
  ckpt_buf_free(b);
  return rc;
}

int s2_search_record(const s2_search *q, ckpt *ck, const char *label, heat_error *err) {
  char key[128];
  int g = q->g;
  const s2_result *out = &q->res;
  ckpt_buf b = {0};
  if (g > 0) {
    for (size_t i = 0; i < q->P; i++) s2__buf_eval(&b, &out->evals[(size_t)(g - 1) * q->P + i]);
    snprintf(key, sizeof key, "l2 %s gen %06d", label, g - 1);
    int rc = s2__put(ck, key, &b, err);
    if (rc) return rc;
  }
  ckpt_buf_i64(&b, g);
  ckpt_buf_u64(&b, q->rng);
  if (g > 0) {
    s2__buf_eval(&b, &out->best_eval);
    for (size_t w = 0; w < q->W; w++) ckpt_buf_i64(&b, out->best[w]);
    for (int k = 0; k < g; k++) ckpt_buf_f64(&b, out->history[k]);
  }
  for (size_t i = 0; g < q->G && i < q->P * q->W; i++) ckpt_buf_i64(&b, q->pop[i]);
  snprintf(key, sizeof key, "l2 %s state", label);
  int rc = s2__put(ck, key, &b, err);
  return rc ? rc : ckpt_tick(ck, err);
}

/* True when v is one of weight w's choices. */
static bool s2__is_choice(const s2_space *s, size_t w, int64_t v) {
  for (size_t i = 0; i < s->n_choices[w]; i++)
    if (s->choices[w][i] == v) return true;
  return false;
}

int s2_search_restore(s2_search *q, const ckpt *ck, const char *label, FILE *log,
                      heat_error *err) {
  char key[128];
  snprintf(key, sizeof key, "l2 %s state", label);
  const ckpt_rec *rec = ckpt_get(ck, key);
  if (!rec) return HEAT_OK;
  ckpt_reader r;
  ckpt_reader_init(&r, ck, rec, err);
  s2_result *out = &q->res;
  int g = (int)ckpt_read_i64(&r, 0, q->G);
  uint64_t rng = ckpt_read_u64(&r);
  if (g > 0) {
    s2__read_eval(&r, &out->best_eval);
    for (size_t w = 0; w < q->W; w++) {
      out->best[w] = (int)ckpt_read_i64(&r, -1, INT32_MAX);
      if (!r.rc && !s2__is_choice(q->s, w, out->best[w]))
        ckpt_reader_fail(&r, "a plan choice not in this search's space");
    }
    for (int k = 0; k < g; k++) out->history[k] = ckpt_read_f64(&r);
  }
  for (size_t i = 0; g < q->G && i < q->P * q->W; i++) {
    q->pop[i] = (int)ckpt_read_i64(&r, -1, INT32_MAX);
    if (!r.rc && !s2__is_choice(q->s, i % q->W, q->pop[i]))
      ckpt_reader_fail(&r, "a plan choice not in this search's space");
  }
  int rc = ckpt_reader_end(&r);
  for (int k = 0; k < g && !rc; k++) {
    snprintf(key, sizeof key, "l2 %s gen %06d", label, k);
    const ckpt_rec *gen = ckpt_get(ck, key);
    if (!gen) {
      char why[200];
      snprintf(why, sizeof why, "the record of generation %d is missing", k);
      ckpt_reader_init(&r, ck, rec, err);
      return ckpt_reader_fail(&r, why);
    }
    ckpt_reader_init(&r, ck, gen, err);
    for (size_t i = 0; i < q->P; i++) s2__read_eval(&r, &out->evals[(size_t)k * q->P + i]);
    rc = ckpt_reader_end(&r);
  }
  if (rc) return rc;
  q->g = g;
  q->rng = rng;
  out->generations = g;
  out->evaluations = (int64_t)g * (int64_t)q->P;
  for (int k = 0; k < g; k++)
    for (size_t i = 0; i < q->P; i++) s2__log(log, label, k, i, &out->evals[(size_t)k * q->P + i]);
  return HEAT_OK;
}

int s2_run(const s2_config *c, const s2_space *s, FILE *log, const char *log_label,
           s2_result *out, heat_error *err) {
  s2_search q;
  int rc = s2_search_init(&q, c, s, err);
  if (rc) return rc;
  while (!rc && !s2_search_done(&q)) rc = s2_search_iterate(&q, log, log_label, err);
  if (!rc) s2_search_take(&q, out);
  s2_search_free(&q);
  return rc;
}

void s2_result_free(s2_result *r) {
  free(r->best);
  free(r->history);
  free(r->evals);
  r->best = NULL;
  r->history = NULL;
  r->evals = NULL;
}

void s2_to_plan(const s2_space *s, const int *genome, plan *pl) {
  plan_init_dense(pl, s->p->m, NULL);
  for (size_t k = 0; k < s->n_weights; k++) {
    if (genome[k] < 0) continue;
    const l1_point *pt = &s->l1->pts[genome[k]];
    plan_weight *w = &pl->w[k / PLAN_ROLES][k % PLAN_ROLES];
    w->fmt = pt->fmt;
    w->rel_error = s->l1->eps_w[pt->eps_at + s->slot[k]];
  }
}
