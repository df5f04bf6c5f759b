/* Pricing plans: the dense model once, then each distinct linear setting once (see price.h). */
#include "search/price.h"

#include <stdlib.h>
#include <string.h>

void price_cost_add(price_cost *a, const price_cost *b, double times) {
  a->latency_s += times * b->latency_s;
  a->energy_j += times * b->energy_j;
  a->dram_bytes += times * b->dram_bytes;
  a->macs += times * b->macs;
  for (int k = 0; k < PRICE_COMPONENTS; k++) a->comp_j[k] += times * b->comp_j[k];
}

const char *price_component_name(const arch *a, int k) {
  if (k == PRICE_COMP_MAC) return "mac";
  if (k == PRICE_COMP_REG) return "reg";
  if (k == PRICE_COMP_DRAM) return "dram";
  if (k == PRICE_COMP_SIMD) return "simd";
  if (k == PRICE_COMP_LEAK) return "leakage";
  size_t b = (size_t)(k - PRICE_COMP_BUFFER0);
  return b < a->n_buffers ? a->buffers[b].name : NULL;
}

/* times x one item's cost into c. */
static void price__item(price_cost *c, const map_cost *mc, double times) {
  c->latency_s += times * mc->latency_s;
  c->energy_j += times * mc->energy_j;
  c->dram_bytes += times * mc->dram_bytes;
  c->macs += times * (double)mc->macs;
  c->comp_j[PRICE_COMP_MAC] += times * mc->mac_pj * 1e-12;
  c->comp_j[PRICE_COMP_REG] += times * mc->reg_pj * 1e-12;
  for (int b = 0; b < ARCH_MAX_BUFFERS; b++)
    c->comp_j[PRICE_COMP_BUFFER0 + b] += times * mc->buffer_pj[b] * 1e-12;
  c->comp_j[PRICE_COMP_DRAM] += times * mc->dram_pj * 1e-12;
  c->comp_j[PRICE_COMP_SIMD] += times * mc->simd_pj * 1e-12;
  c->comp_j[PRICE_COMP_LEAK] += times * mc->leak_pj * 1e-12;
}

/* One instance of each part (a block counted once). */
static void price__report(const layer_report *rep, model_part part, price_cost *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < rep->n_items; i++)
    if (rep->items[i].part == part) price__item(out, &rep->items[i].result.cost, (double)rep->items[i].count);
}

static int price__role_of_dims(const pricer *p, int64_t out, int64_t in) {
  for (int r = 0; r < PLAN_ROLES; r++)
    if (p->role_out[r] == out && p->role_in[r] == in) return r;
  return -1;
}

int pricer_init(pricer *p, const arch *a, const model *m, const map_options *opt,
                map_workspace *w, heat_error *err) {
  memset(p, 0, sizeof *p);
  p->a = a;
  p->m = m;
  p->opt = *opt;
  layer_report *rep = malloc(sizeof *rep);
  if (!rep) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  layer_config cfg;
  layer_config_init(&cfg);
  int rc = layer_price_model(a, m, &cfg, opt, w, rep, err);
  if (!rc) {
    price__report(rep, MODEL_PART_INPUT, &p->input);
    price__report(rep, MODEL_PART_OUTPUT, &p->output);
    price__report(rep, MODEL_PART_BLOCK, &p->block_dense);
  }
  for (int r = 0; r < PLAN_ROLES && !rc; r++) {
    plan_role_dims(m, r, &p->role_out[r], &p->role_in[r]);
    snprintf(cfg.only, sizeof cfg.only, "%s", wl_bert_role_name((wl_bert_role)r));
    rc = layer_price_model(a, m, &cfg, opt, w, rep, err);
    if (!rc) price__report(rep, MODEL_PART_BLOCK, &p->dense_linear[r]);
  }
  p->tokens = m->seq * m->batch;
  p->count = 1;
  free(rep);
  return rc;
}

void pricer_free(pricer *p) {
  free(p->keys);
  free(p->vals);
  p->keys = NULL;
  p->vals = NULL;
  p->n_cache = p->cap = 0;
}

void pricer_key(const pricer *p, int role, const plan_weight *pw, price_key *out) {
  memset(out, 0, sizeof *out); /* keys are compared with memcmp: no stray padding bytes */
  out->out = p->role_out[role];
  out->in = p->role_in[role];
  out->tokens = p->tokens;
  out->count = p->count;
  out->fmt.format = pw->fmt.format;
  out->fmt.shape = pw->fmt.shape;
  if (out->fmt.shape.d == 0 || pw->fmt.format == WL_FORMAT_DENSE || pw->fmt.format == WL_FORMAT_SVD)
    wl_shape_matrix(out->out, out->in, &out->fmt.shape);
  out->fmt.n_ranks = pw->fmt.n_ranks;
  for (size_t i = 0; i < pw->fmt.n_ranks && i < WL_MAX_RANKS; i++) out->fmt.rank[i] = pw->fmt.rank[i];
  out->fmt.cp_weights = pw->fmt.cp_weights;
  out->path = (int)pw->path;
  out->precompute = (int)pw->precompute;
}

int pricer_compute(const pricer *p, const price_key *k, map_workspace *w, price_cost *out,
                   heat_error *err) {
  int role = price__role_of_dims(p, k->out, k->in);
  if (role < 0)
    return heat_error_set(err, HEAT_EINVAL, "search", "model '%s' has no %lld x %lld linear",
                          p->m->name, (long long)k->out, (long long)k->in);
  if (k->fmt.format == WL_FORMAT_DENSE) {
    *out = p->dense_linear[role];
    return HEAT_OK;
  }
  layer_report *rep = malloc(sizeof *rep);
  if (!rep) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
  layer_config cfg;
  layer_config_init(&cfg);
  const char *name = wl_bert_role_name((wl_bert_role)role);
  snprintf(cfg.only, sizeof cfg.only, "%s", name);
  snprintf(cfg.target, sizeof cfg.target, "%s", name);
  cfg.has_format = true;
  cfg.format = k->fmt;
  cfg.path_mode = (layer_path_mode)k->path;
  cfg.precompute = (path_precompute)k->precompute;
  int rc = layer_price_model(p->a, p->m, &cfg, &p->opt, w, rep, err);
  if (!rc) price__report(rep, MODEL_PART_BLOCK, out);
  free(rep);
  return rc;
}

const price_cost *pricer_lookup(const pricer *p, const price_key *k) {
  for (size_t i = 0; i < p->n_cache; i++)
    if (memcmp(&p->keys[i], k, sizeof *k) == 0) return &p->vals[i];
  return NULL;
}

int pricer_insert(pricer *p, const price_key *k, const price_cost *c, heat_error *err) {
  if (pricer_lookup(p, k)) return HEAT_OK;
  if (p->n_cache == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    price_key *keys = realloc(p->keys, cap * sizeof *keys);
    if (!keys) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
    p->keys = keys;
    price_cost *vals = realloc(p->vals, cap * sizeof *vals);
    if (!vals) return heat_error_set(err, HEAT_ENOMEM, "search", "out of memory");
    p->vals = vals;
    p->cap = cap;
  }
  p->keys[p->n_cache] = *k;
  p->vals[p->n_cache++] = *c;
  return HEAT_OK;
}

int pricer_linear(pricer *p, int role, const plan_weight *pw, map_workspace *w, price_cost *out,
                  heat_error *err) {
  if (pw->fmt.format == WL_FORMAT_DENSE) {
    *out = p->dense_linear[role];
    return HEAT_OK;
  }
  price_key k;
  pricer_key(p, role, pw, &k);
  const price_cost *c = pricer_lookup(p, &k);
  if (c) {
    *out = *c;
    return HEAT_OK;
  }
  int rc = pricer_compute(p, &k, w, out, err);
  if (rc) return rc;
  p->priced++;
  return pricer_insert(p, &k, out, err);
}

int pricer_plan(pricer *p, const plan *pl, map_workspace *w, plan_cost *out, heat_error *err) {
  memset(out, 0, sizeof *out);
  const model *m = p->m;
  out->layers = (size_t)m->layers;
  out->input = p->input;
  out->output = p->output;
  price_cost_add(&out->total, &p->input, 1);
  price_cost_add(&out->total, &p->output, 1);
  for (size_t l = 0; l < out->layers; l++) {
    price_cost *b = &out->block[l];
    *b = p->block_dense;
    for (int r = 0; r < PLAN_ROLES; r++) {
      price_cost c;
      const plan_weight *pw = &pl->w[l][r];
      int rc = pricer_linear(p, r, l < pl->layers ? pw : &pl->w[PLAN_MAX_LAYERS - 1][r], w, &c,
                             err);
      if (rc) {
        heat_error_prefix(err, "layer %zu %s", l, wl_bert_role_name((wl_bert_role)r));
        return rc;
      }
      out->linear[l][r] = c;
      price_cost_add(b, &p->dense_linear[r], -1);
      price_cost_add(b, &c, 1);
    }
    price_cost_add(&out->total, b, 1);
  }
  model_totals t;
  int rc = model_total(m, &t, err);
  if (rc) return rc;
  out->dense_params = t.params;
  out->params = plan_params(pl, m);
  return HEAT_OK;
}
