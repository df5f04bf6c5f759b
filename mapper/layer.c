#include "mapper/layer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void layer_config_init(layer_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->path_mode = LAYER_PATH_HARDWARE;
  cfg->fuse = true;
  cfg->precompute = PATH_PRECOMPUTE_NO_GROWTH;
  /* CP keeps its weight vector as an operand, as heat decompose and HEAT's network do; with
   * pre-computation it folds offline. */
  cfg->format.cp_weights = true;
}

/* One naming rule for --layer and the format's target: "all" is every linear of the block,
 * "ffn" the FFN linears, anything else one operation by its exact name. */
static bool layer__selects(const char *pattern, const model_op *op) {
  if (strcmp(pattern, "all") == 0) return op->kind == MODEL_OP_LINEAR;
  if (strcmp(pattern, "ffn") == 0)
    return op->kind == MODEL_OP_LINEAR && strncmp(op->name, "ffn", 3) == 0;
  return strcmp(pattern, op->name) == 0;
}

static bool layer__targets(const layer_config *cfg, const model_op *op, model_part part) {
  if (!cfg->has_format || op->kind != MODEL_OP_LINEAR || part != MODEL_PART_BLOCK) return false;
  return layer__selects(cfg->target, op);
}

/* The buffer SIMD operations read and write: the first that holds inputs and outputs, else the
 * first that holds inputs. */
static int layer__act_buffer(const arch *a) {
  for (size_t j = 0; j < a->n_buffers; j++)
    if ((a->buffers[j].operands & ARCH_OPERAND_INPUT) &&
        (a->buffers[j].operands & ARCH_OPERAND_OUTPUT))
      return (int)j;
  for (size_t j = 0; j < a->n_buffers; j++)
    if (a->buffers[j].operands & ARCH_OPERAND_INPUT) return (int)j;
  return 0;
}

void layer_simd_cost(const arch *a, const model_op *op, map_cost *out) {
  memset(out, 0, sizeof *out);
  const arch_simd *s = &a->simd;
  double elems = (double)op->rows * (double)op->width * (double)op->count;
  double rows = (double)op->rows * (double)op->count;
  double per_elem = 0, per_row = 0, reads = 1;
  bool from_dram = false;
  switch (op->kind) {
  case MODEL_OP_SOFTMAX: /* max, subtract, exp, sum, divide, scale */
    per_elem = s->cycles_max + 2.0 * s->cycles_add + s->cycles_exp + s->cycles_div + s->cycles_mul;
    break;
  case MODEL_OP_LAYERNORM: /* mean, centre, square, variance; normalise, scale, shift */
    per_elem = 4.0 * s->cycles_add + 3.0 * s->cycles_mul;
    per_row = s->cycles_rsqrt;
    break;
  case MODEL_OP_GELU: /* tanh form: x^3 term, tanh through exp and a divide, 0.5 x (1 + t) */
    per_elem = 5.0 * s->cycles_mul + 4.0 * s->cycles_add + s->cycles_exp + s->cycles_div;
    break;
  case MODEL_OP_TANH: per_elem = s->cycles_exp + 2.0 * s->cycles_add + s->cycles_div + s->cycles_mul; break;
  case MODEL_OP_ADD:
    per_elem = s->cycles_add;
    reads = 2;
    break;
  default: /* embedding: rows of a table gathered from DRAM by DMA */
    from_dram = true;
    break;
  }
  double lanes = s->lanes > 0 ? s->lanes : 1;
  double simd_cycles = ceil(elems * per_elem / lanes) + ceil(rows * per_row / lanes);
  out->simd_pj = (elems * per_elem + rows * per_row) * s->op_pj;
  int b = layer__act_buffer(a);
  const arch_buffer *buf = &a->buffers[b];
  double bytes = a->input_bits / 8.0;
  double act = elems * bytes;
  /* Activations larger than the buffer stream through DRAM (read and written back). */
  if (from_dram) out->dram_read_bytes = act;
  else if (act > (double)buf->size_bytes) {
    out->dram_read_bytes = reads * act;
    out->dram_write_bytes = act;
  }
  out->dram_bytes = out->dram_read_bytes + out->dram_write_bytes;
  out->sram_reads[b] = (from_dram ? 0 : reads * act) / (double)buf->access_bytes;
  out->sram_writes[b] = act / (double)buf->access_bytes;
  out->sram_cycles = (reads * act + act) / buf->bytes_per_cycle;
  out->dram_cycles = out->dram_bytes / (a->dram.gbps / a->clock_ghz);
  out->layout_cycles = simd_cycles;
  out->cycles = simd_cycles;
  out->bound = MAP_BOUND_SIMD;
  if (out->dram_cycles > out->cycles) {
    out->cycles = out->dram_cycles;
    out->bound = MAP_BOUND_DRAM;
  }
  if (out->sram_cycles > out->cycles) {
    out->cycles = out->sram_cycles;
    out->bound = MAP_BOUND_SRAM;
    out->bound_buffer = b;
  }
  out->cycles = map_cycles_round(out->cycles);
  out->buffer_pj[b] = out->sram_reads[b] * buf->read_pj + out->sram_writes[b] * buf->write_pj;
  out->dram_pj = out->dram_bytes * a->dram.pj_per_byte;
  out->leak_pj = a->leakage_mw * out->cycles / a->clock_ghz;
  double e = out->simd_pj + out->dram_pj + out->leak_pj;
  for (size_t j = 0; j < a->n_buffers; j++) e += out->buffer_pj[j];
  out->energy_j = e * 1e-12;
  out->latency_s = out->cycles / (a->clock_ghz * 1e9);
  out->edp_js = out->energy_j * out->latency_s;
}

/* Pricing state: the report, the options and a cache of searched GEMMs. */
#define LAYER_CACHE 64
typedef struct layer__ctx {
  const arch *a;
  const layer_config *cfg;
  const map_options *opt;
  map_workspace *w;
  layer_report *rep;
  size_t n_cache;
  map_problem key[LAYER_CACHE];
  map_result val[LAYER_CACHE];
  char key_item[LAYER_CACHE][LAYER_NAME_MAX]; /* the item whose search each entry holds */
  struct { int64_t out, in, tokens; size_t first, n; } fact[16];
  size_t n_fact;
  /* Scratch for one factorized linear at a time. */
  tn_network net;
  hwpath_result hp;
  fuse_result fr, fr_hw;
  path alt_paths[2];
} layer__ctx;

static layer_item *layer__push(layer__ctx *c, model_part part, const char *op, const char *suffix,
                               heat_error *err) {
  if (c->rep->n_items == LAYER_MAX_ITEMS) {
    heat_error_set(err, HEAT_ERANGE, "layer", "more than %d priced items", LAYER_MAX_ITEMS);
    return NULL;
  }
  layer_item *it = &c->rep->items[c->rep->n_items++];
  memset(it, 0, sizeof *it);
  snprintf(it->name, sizeof it->name, "%s.%s%s", model_part_name(part), op, suffix);
  snprintf(it->op, sizeof it->op, "%s", op);
  it->part = part;
  it->count = 1;
  it->token_tiles = 1;
  return it;
}

/* Searches it->problem into it->result, or reuses the search of an identical GEMM. */
static int layer__gemm(layer__ctx *c, layer_item *it, heat_error *err) {
  map_result *r = &it->result;
  for (size_t i = 0; i < c->n_cache; i++)
    if (memcmp(&c->key[i], &it->problem, sizeof it->problem) == 0) {
      *r = c->val[i];
      r->evaluated = r->rejected = 0; /* not searched again */
      snprintf(it->cached, sizeof it->cached, "%s", c->key_item[i]);
      return HEAT_OK;
    }
  int rc = map_search(c->a, &it->problem, c->opt, c->w, r, err);
  if (rc) return rc;
  if (c->n_cache < LAYER_CACHE) {
    c->key[c->n_cache] = it->problem;
    snprintf(c->key_item[c->n_cache], LAYER_NAME_MAX, "%s", it->name);
    c->val[c->n_cache++] = *r;
  }
  return HEAT_OK;
}

/* hwpath ranked paths by unfused per-step costs for one objective; fusion changes those costs,
 * so a path found for another objective can be the best once fused. Fuses the MAC path and the
 * hardware-aware path of each objective, and keeps the best by the true objective: never worse
 * than the MAC path fused. Leaves the choice in c->hp.chosen and its fusion in c->fr. */
static int layer__fuse_best(layer__ctx *c, const tn_network *net, const path_options *popt,
                            heat_error *err) {
  hwpath_result *hp = &c->hp;
  const path *cand[4] = {&hp->mac_path};
  size_t n = 1, k = 0;
  if (hwpath_feasible(&hp->hw_path)) cand[n++] = &hp->hw_path;
  for (int obj = MAP_OBJECTIVE_LATENCY; obj <= MAP_OBJECTIVE_EDP; obj++) {
    if (obj == (int)c->opt->objective) continue;
    map_options o = *c->opt;
    o.objective = (map_objective)obj;
    int rc = hwpath_search(net, popt, c->a, &o, c->w, &c->alt_paths[k], err);
    if (rc) return rc;
    if (hwpath_feasible(&c->alt_paths[k])) cand[n++] = &c->alt_paths[k++];
  }
  int rc = fuse_path(net, cand[0], 't', c->a, c->opt, c->w, &c->fr, err);
  if (rc) return rc;
  hp->chosen = &hp->mac_path;
  hp->hw_better = false;
  for (size_t i = 1; i < n; i++) {
    rc = fuse_path(net, cand[i], 't', c->a, c->opt, c->w, &c->fr_hw, err);
    if (rc) return rc;
    if (hwpath_totals_value(c->opt->objective, &c->fr_hw.chosen) <
        hwpath_totals_value(c->opt->objective, &c->fr.chosen)) {
      c->fr = c->fr_hw;
      hp->hw_better = true;
      /* The chosen path must outlive the loop: keep it in hw_path. */
      if (cand[i] != &hp->hw_path) hp->hw_path = *cand[i];
      hp->chosen = &hp->hw_path;
    }
  }
  return HEAT_OK;
}

static int layer__factorized(layer__ctx *c, model_part part, const model_op *op,
                             heat_error *err) {
  for (size_t i = 0; i < c->n_fact; i++)
    if (c->fact[i].out == op->out_features && c->fact[i].in == op->in_features &&
        c->fact[i].tokens == op->tokens) {
      /* Same shape as an earlier linear (q, k, v, o): copy its steps under the new name. */
      for (size_t s = 0; s < c->fact[i].n; s++) {
        layer_item src = c->rep->items[c->fact[i].first + s];
        const char *dot = strrchr(src.name, '.');
        layer_item *it = layer__push(c, part, op->name, dot ? dot : "", err);
        if (!it) return err->code;
        char name[LAYER_NAME_MAX];
        memcpy(name, it->name, sizeof name);
        *it = src;
        memcpy(it->name, name, sizeof name);
        snprintf(it->op, sizeof it->op, "%s", op->name);
        it->result.evaluated = it->result.rejected = 0;
        snprintf(it->cached, sizeof it->cached, "%s", src.cached[0] ? src.cached : src.name);
      }
      return HEAT_OK;
    }
  wl_layer l = c->cfg->format;
  /* Without a shape, the matrix shape of each linear (enough for dense and SVD). */
  if (l.shape.d == 0) wl_shape_matrix(op->out_features, op->in_features, &l.shape);
  int rc = wl_shape_check(&l.shape, op->out_features, op->in_features, "--shape", err);
  if (!rc) rc = wl_layer_check_shape(&l, "--shape", err);
  if (!rc) rc = wl_layer_check(&l, "--ranks", err);
  if (rc) return rc;
  tn_network *net = &c->net;
  hwpath_result *hp = &c->hp;
  fuse_result *fr = &c->fr;
  rc = wl_layer_network(&l, op->tokens, net, err);
  if (rc) return rc;
  path_options popt;
  path_options_init(&popt);
  popt.precompute = c->cfg->precompute;
  if (c->cfg->path_mode == LAYER_PATH_HARDWARE) {
    rc = hwpath_optimize(net, &popt, c->a, c->opt, c->w, hp, err);
  } else {
    rc = path_optimize(net, &popt, &hp->mac_path, err);
    hp->chosen = &hp->mac_path;
  }
  if (rc) return rc;
  if (c->cfg->fuse && c->cfg->path_mode == LAYER_PATH_HARDWARE) {
    rc = layer__fuse_best(c, net, &popt, err);
    if (rc) return rc;
  } else if (c->cfg->fuse) {
    rc = fuse_path(net, hp->chosen, 't', c->a, c->opt, c->w, fr, err);
  } else {
    /* Unfused: each step alone; fuse_path's grouping is skipped by pricing steps directly. */
    memset(fr, 0, sizeof *fr);
    fr->n_steps = hp->chosen->n_steps;
    for (size_t s = hp->chosen->n_precomputed; s < hp->chosen->n_steps && !rc; s++) {
      hwpath_problem(net, &hp->chosen->steps[s], &fr->step[s].problem, NULL, NULL);
      rc = map_search(c->a, &fr->step[s].problem, c->opt, c->w, &fr->step[s].result, err);
      fr->step[s].token_tiles = 1;
    }
  }
  if (rc) return rc;
  size_t first = c->rep->n_items;
  for (size_t s = hp->chosen->n_precomputed; s < hp->chosen->n_steps; s++) {
    char suffix[24];
    snprintf(suffix, sizeof suffix, ".s%d", (int)(s + 1));
    layer_item *it = layer__push(c, part, op->name, suffix, err);
    if (!it) return err->code;
    const path_step *st = &hp->chosen->steps[s];
    snprintf(it->view, sizeof it->view, "%s,%s->%s", st->lhs_indices, st->rhs_indices,
             st->result_indices);
    it->problem = fr->step[s].problem;
    it->result = fr->step[s].result;
    it->token_tiles = fr->step[s].token_tiles;
    it->count = fr->step[s].token_tiles * op->count;
    it->fused = fr->step[s].output_on_chip;
  }
  c->rep->saved_dram_bytes += fr->saved_dram_bytes * (part == MODEL_PART_BLOCK ? c->rep->layers : 1);
  if (c->n_fact < 16) {
    c->fact[c->n_fact].out = op->out_features;
    c->fact[c->n_fact].in = op->in_features;
    c->fact[c->n_fact].tokens = op->tokens;
    c->fact[c->n_fact].first = first;
    c->fact[c->n_fact].n = c->rep->n_items - first;
    c->n_fact++;
  }
  return HEAT_OK;
}

static int layer__op(layer__ctx *c, model_part part, const model_op *op, heat_error *err) {
  int64_t B, M, K, N;
  if (model_op_gemm(op, &B, &M, &K, &N)) {
    int rc;
    if (layer__targets(c->cfg, op, part)) {
      rc = layer__factorized(c, part, op, err);
    } else {
      layer_item *it = layer__push(c, part, op->name, "", err);
      if (!it) return err->code;
      map_problem_gemm(&it->problem, B, M, K, N);
      rc = layer__gemm(c, it, err);
    }
    if (rc) return rc;
    if (op->kind == MODEL_OP_LINEAR && op->bias) {
      model_op bias = *op;
      bias.kind = MODEL_OP_ADD;
      bias.rows = op->tokens;
      bias.width = op->out_features;
      layer_item *b = layer__push(c, part, op->name, ".bias", err);
      if (!b) return err->code;
      b->simd = true;
      layer_simd_cost(c->a, &bias, &b->result.cost);
    }
    return HEAT_OK;
  }
  layer_item *it = layer__push(c, part, op->name, "", err);
  if (!it) return err->code;
  it->simd = true;
  layer_simd_cost(c->a, op, &it->result.cost);
  return HEAT_OK;
}

/* Prices the model's parts into c->rep; c is set up by layer_price_model. */
static int layer__price(layer__ctx *c, const model *m, heat_error *err) {
  const layer_config *cfg = c->cfg;
  layer_report *out = c->rep;
  out->n_items = 0;
  memset(&out->total, 0, sizeof out->total);
  memset(out->part, 0, sizeof out->part);
  memset(&out->block, 0, sizeof out->block);
  out->saved_dram_bytes = 0;
  out->layers = m->layers;
  model_op ops[MODEL_OPS_MAX];
  bool matched = !cfg->only[0], format_used = !cfg->has_format;
  char names[256] = "", linears[256] = "";
  for (int part = MODEL_PART_INPUT; part <= MODEL_PART_OUTPUT; part++) {
    if (cfg->only[0] && part != MODEL_PART_BLOCK) continue;
    size_t n;
    int rc = model_ops(m, (model_part)part, ops, MODEL_OPS_MAX, &n, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
      if (part == MODEL_PART_BLOCK && strlen(names) + strlen(ops[i].name) + 3 < sizeof names) {
        if (names[0]) strcat(names, ", ");
        strcat(names, ops[i].name);
      }
      if (part == MODEL_PART_BLOCK && ops[i].kind == MODEL_OP_LINEAR &&
          strlen(linears) + strlen(ops[i].name) + 3 < sizeof linears) {
        if (linears[0]) strcat(linears, ", ");
        strcat(linears, ops[i].name);
      }
      if (layer__targets(cfg, &ops[i], (model_part)part)) format_used = true;
      if (cfg->only[0] && !layer__selects(cfg->only, &ops[i])) continue;
      matched = true;
      rc = layer__op(c, (model_part)part, &ops[i], err);
      if (rc) {
        heat_error_prefix(err, "%s %s", model_part_name((model_part)part), ops[i].name);
        return rc;
      }
    }
  }
  if (!matched)
    return heat_error_set(err, HEAT_EINVAL, "--layer",
                          "model '%s' has no block operation '%s'; it has: %s (or 'ffn' or "
                          "'all' for its linears)",
                          m->name, cfg->only, names);
  if (!format_used)
    return heat_error_set(err, HEAT_EINVAL, "--layer",
                          "no linear of the block of '%s' is named '%s'; its linears are: %s "
                          "(or 'ffn' or 'all')",
                          m->name, cfg->target, linears);
  for (size_t i = 0; i < out->n_items; i++) {
    layer_item *it = &out->items[i];
    it->repeat = it->part == MODEL_PART_BLOCK ? m->layers : 1;
    hwpath_totals_add(&out->part[it->part], &it->result.cost, (double)it->count * (double)it->repeat,
                      it->result.evaluated);
    if (it->part == MODEL_PART_BLOCK)
      hwpath_totals_add(&out->block, &it->result.cost, (double)it->count, it->result.evaluated);
  }
  /* Per-step MACs are bounded by map_problem_check; the repeated sum must fit int64 too. */
  double macs = 0;
  for (size_t i = 0; i < out->n_items; i++)
    macs += (double)out->items[i].result.cost.macs * (double)out->items[i].count *
            (double)out->items[i].repeat;
  if (macs > 0x1p62)
    return heat_error_set(err, HEAT_ERANGE, MAP_SIZE_WHERE,
                          "the model totals %.4g MACs, more than 2^62 (the most heat counts)",
                          macs);
  for (int p = 0; p < 3; p++) hwpath_totals_join(&out->total, &out->part[p]);
  return HEAT_OK;
}

int layer_price_model(const arch *a, const model *m, const layer_config *cfg,
                      const map_options *opt, map_workspace *w, layer_report *out,
                      heat_error *err) {
  /* The context holds the GEMM cache and path scratch, too large for the stack. */
  layer__ctx *c = calloc(1, sizeof *c);
  if (!c) return heat_error_set(err, HEAT_ENOMEM, "layer", "out of memory");
  c->a = a;
  c->cfg = cfg;
  c->opt = opt;
  c->w = w;
  c->rep = out;
  int rc = layer__price(c, m, err);
  free(c);
  return rc;
}
