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
  cfg->keep_on_chip = true;
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
  double key_kept[LAYER_CACHE];
  map_result val[LAYER_CACHE];
  char key_item[LAYER_CACHE][LAYER_NAME_MAX]; /* the item whose search each entry holds */
  struct { int64_t out, in, tokens; bool in_sram, out_sram; double kept; size_t first, n, stored; } fact[16];
  size_t n_fact;
  /* The part being priced: its ops and activation flow; the arch with the activation buffer
   * less what other kept activations hold while the current op runs. */
  const model_op *ops;
  flow_plan *plan;
  double kept;
  arch shrunk;
  model_op part_ops[3][MODEL_OPS_MAX];
  /* Scratch for one factorized linear at a time. */
  tn_network net;
  hwpath_result hp;
  hwpath_bounds *bounds; /* the DPs' step bounds for the linear being priced */
  fuse_result fr, fr_hw, fr_unf;
  path alt_paths[3]; /* two other objectives' paths, the unfused candidate */
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

/* The arch a GEMM of the current op is mapped on: the activation buffer holds c->kept bytes of
 * other activations, so its tiles get the rest. */
static const arch *layer__arch(layer__ctx *c) {
  if (c->kept <= 0) return c->a;
  c->shrunk = *c->a;
  arch_buffer *b = &c->shrunk.buffers[c->plan->buffer];
  double held = c->kept * (b->double_buffered ? 2 : 1);
  b->size_bytes = held >= (double)b->size_bytes ? 0 : b->size_bytes - (int64_t)held;
  return &c->shrunk;
}

/* Searches it->problem into it->result, or reuses the search of an identical GEMM. */
static int layer__gemm(layer__ctx *c, layer_item *it, heat_error *err) {
  map_result *r = &it->result;
  for (size_t i = 0; i < c->n_cache; i++)
    if (memcmp(&c->key[i], &it->problem, sizeof it->problem) == 0 && c->key_kept[i] == c->kept) {
      *r = c->val[i];
      r->evaluated = r->rejected = 0; /* not searched again */
      snprintf(it->cached, sizeof it->cached, "%s", c->key_item[i]);
      return HEAT_OK;
    }
  int rc = map_search(layer__arch(c), &it->problem, c->opt, c->w, r, err);
  if (rc) return rc;
  if (c->n_cache < LAYER_CACHE) {
    c->key[c->n_cache] = it->problem;
    c->key_kept[c->n_cache] = c->kept;
    snprintf(c->key_item[c->n_cache], LAYER_NAME_MAX, "%s", it->name);
    c->val[c->n_cache++] = *r;
  }
  return HEAT_OK;
}

static double layer__elements(const map_problem *p) {
  return (double)p->dim[MAP_DIM_B] * (double)p->dim[MAP_DIM_M] * (double)p->dim[MAP_DIM_N];
}

/* A chain's totals as reported: its last step with op i's epilogue. */
static double layer__chain_value(layer__ctx *c, size_t i, const path *pth, const fuse_result *fr) {
  hwpath_totals t;
  memset(&t, 0, sizeof t);
  for (size_t s = pth->n_precomputed; s < pth->n_steps; s++) {
    map_cost e = fr->step[s].result.cost;
    if (s + 1 == pth->n_steps)
      flow_epilogue(c->a, c->ops, c->plan, i, layer__elements(&fr->step[s].problem),
                    (double)fr->step[s].token_tiles, c->opt->memory_stalls, &e);
    hwpath_totals_add(&t, &e, (double)fr->step[s].token_tiles, 0);
  }
  return hwpath_totals_value(c->opt->objective, &t);
}

/* hwpath ranked paths by unfused per-step costs for one objective; fusion changes those costs,
 * so a path found for another objective can be the best once fused. Fuses the MAC path and the
 * hardware-aware path of each objective (hw: path_mode HARDWARE with a path to choose), adds the
 * chosen path unfused (what --no-fuse prices), and keeps the best by the true objective with op
 * i's epilogue: never worse than the MAC path fused, nor than no fusion. Leaves the choice in
 * c->hp.chosen and its fusion in c->fr. */
static int layer__fuse_best(layer__ctx *c, size_t i, const tn_network *net, bool hw,
                            const path_options *popt, const fuse_io *io, heat_error *err) {
  hwpath_result *hp = &c->hp;
  const path *cand[5] = {&hp->mac_path};
  size_t n = 1, k = 0;
  if (hw) {
    if (hwpath_feasible(&hp->hw_path)) cand[n++] = &hp->hw_path;
    for (int obj = MAP_OBJECTIVE_LATENCY; obj <= MAP_OBJECTIVE_EDP; obj++) {
      if (obj == (int)c->opt->objective) continue;
      map_options o = *c->opt;
      o.objective = (map_objective)obj;
      /* The paths known so far cap this objective's DP (hwpath_search_known); the steps
       * hwpath_optimize_shared searched are in the memo for every objective. */
      int rc = hwpath_search_known(net, popt, layer__arch(c), &o, c->w, c->bounds, cand, n,
                                   &c->alt_paths[k], err);
      if (rc) return rc;
      if (hwpath_feasible(&c->alt_paths[k])) cand[n++] = &c->alt_paths[k++];
    }
  }
  c->alt_paths[2] = *hp->chosen;
  cand[n++] = &c->alt_paths[2]; /* the last candidate is priced unfused */
  const arch *a = layer__arch(c);
  hp->chosen = &hp->mac_path;
  hp->hw_better = false;
  double best = 0;
  size_t same = n; /* the first fused candidate with the unfused candidate's path */
  for (size_t r = 0; r + 1 < n && same == n; r++)
    if (path_same_steps(cand[r], cand[n - 1])) same = r;
  for (size_t q = 0; q < n; q++) {
    fuse_io one = *io;
    one.no_fuse = q + 1 == n;
    /* A fused candidate with the path of an earlier one (the objectives often agree) fuses to
     * the same value: not better than the best so far, which is at most that value. */
    bool again = false;
    for (size_t r = 0; r < q && !one.no_fuse && !again; r++)
      again = path_same_steps(cand[r], cand[q]);
    if (again) continue;
    fuse_result *fr = q == 0 ? &c->fr : &c->fr_hw;
    int rc = HEAT_OK;
    if (one.no_fuse && same < q) {
      /* Its steps were priced alone when the same path was fused. */
      *fr = c->fr_unf;
      memcpy(fr->step, fr->single, sizeof fr->step);
      fr->chosen = fr->unfused;
      fr->saved_dram_bytes = 0;
      fr->fused_groups = 0;
    } else {
      rc = fuse_path_io(net, cand[q], 't', &one, a, c->opt, c->w, fr, err);
    }
    if (rc) return rc;
    if (q == same) c->fr_unf = *fr;
    double v = layer__chain_value(c, i, cand[q], fr);
    if (q > 0 && v >= best) continue;
    best = v;
    if (q == 0) continue;
    c->fr = c->fr_hw;
    hp->hw_better = cand[q] != &hp->mac_path;
    /* The chosen path must outlive the loop: keep it in hw_path. */
    if (cand[q] != &hp->hw_path) hp->hw_path = *cand[q];
    hp->chosen = &hp->hw_path;
  }
  return HEAT_OK;
}

static int layer__stored(layer__ctx *c, model_part part, const model_op *op,
                         const layer_stored *src, heat_error *err) {
  if (c->rep->n_stored == LAYER_MAX_STORED)
    return heat_error_set(err, HEAT_ERANGE, "layer", "more than %d factorized linears",
                          LAYER_MAX_STORED);
  layer_stored *st = &c->rep->stored[c->rep->n_stored++];
  *st = *src;
  snprintf(st->op, sizeof st->op, "%s", op->name);
  st->part = part;
  return HEAT_OK;
}

/* Marks the first item of op i (index first) and its last with the flow: where its input and
 * output live, the epilogue and the bytes saved. */
static void layer__mark(layer__ctx *c, size_t i, size_t first) {
  const flow_op *f = &c->plan->op[i];
  /* Offline (pre-computed) steps do not run: the op's input goes to its first online step. */
  while (first + 1 < c->rep->n_items && c->rep->items[first].offline) first++;
  layer_item *a = &c->rep->items[first], *z = &c->rep->items[c->rep->n_items - 1];
  a->has_flow = f->n_inputs > 0;
  a->input_place = f->n_inputs > 0 ? flow_input_place(c->plan, c->ops, i, 0) : FLOW_DRAM;
  z->produces = true;
  z->output_place = c->plan->op[f->epilogue >= 0 ? f->epilogue : (int)i].out;
  flow_epilogue_name(c->a, c->ops, c->plan, i, z->epilogue, sizeof z->epilogue);
  if (c->ops[i].kind != MODEL_OP_LINEAR && c->ops[i].kind != MODEL_OP_MATMUL) z->epilogue[0] = '\0';
  double runs = (double)(z->count > 0 ? z->count : 1);
  z->flow_saved_bytes = (f->alone_bytes - f->flow_bytes) / runs;
}

/* Adds op i's epilogue to the last GEMM item of the op. */
static void layer__epilogue(layer__ctx *c, size_t i, layer_item *it) {
  it->gemm_cost = it->result.cost;
  flow_epilogue(c->a, c->ops, c->plan, i, layer__elements(&it->problem),
                (double)(it->token_tiles > 1 ? it->token_tiles : 1), c->opt->memory_stalls,
                &it->result.cost);
}

/* The tensors a path step reads and writes in the roles it is mapped with (hwpath_problem),
 * each letter at its size in one run of the step (the token letter cut into token tiles), so
 * the cycle-level model can carry values through the chain. */
static void layer__tensors(const tn_network *net, const path_step *st, int64_t token_tiles,
                           prog_tensors *t) {
  map_problem p;
  int lrole, rrole;
  hwpath_problem(net, st, &p, &lrole, &rrole);
  memset(t, 0, sizeof *t);
  t->on = true;
  t->id[lrole] = st->lhs;
  t->id[rrole] = st->rhs;
  t->id[MAP_OP_OUTPUT] = st->result;
  snprintf(t->idx[lrole], sizeof t->idx[lrole], "%s", st->lhs_indices);
  snprintf(t->idx[rrole], sizeof t->idx[rrole], "%s", st->rhs_indices);
  snprintf(t->idx[MAP_OP_OUTPUT], sizeof t->idx[MAP_OP_OUTPUT], "%s", st->result_indices);
  for (int k = 0; k < MAP_OPS; k++)
    for (const char *l = t->idx[k]; *l; l++) {
      int64_t n = net->size[(unsigned char)*l];
      if (*l == 't' && token_tiles > 1) n = (n + token_tiles - 1) / token_tiles;
      t->size[program_letter_slot(*l)] = n;
    }
  if (token_tiles > 1 && strchr(t->idx[MAP_OP_OUTPUT], 't')) {
    t->token = 't';
    t->token_full = net->size['t'];
  }
}

static int layer__factorized(layer__ctx *c, model_part part, size_t i, heat_error *err) {
  const model_op *op = &c->ops[i];
  bool in_sram = c->plan->op[i].n_inputs > 0 && flow_input_place(c->plan, c->ops, i, 0) == FLOW_SRAM;
  int stored = c->plan->op[i].epilogue >= 0 ? c->plan->op[i].epilogue : (int)i;
  bool out_sram = c->plan->op[stored].out == FLOW_SRAM;
  for (size_t f = 0; f < c->n_fact; f++)
    if (c->fact[f].out == op->out_features && c->fact[f].in == op->in_features &&
        c->fact[f].tokens == op->tokens && c->fact[f].in_sram == in_sram &&
        c->fact[f].out_sram == out_sram && c->fact[f].kept == c->kept) {
      /* Same shape and flow as an earlier linear (q, k, v): copy its steps under the new name,
       * with this op's epilogue. */
      for (size_t s = 0; s < c->fact[f].n; s++) {
        layer_item src = c->rep->items[c->fact[f].first + s];
        const char *dot = strrchr(src.name, '.');
        layer_item *it = layer__push(c, part, op->name, dot ? dot : "", err);
        if (!it) return err->code;
        char name[LAYER_NAME_MAX];
        memcpy(name, it->name, sizeof name);
        *it = src;
        memcpy(it->name, name, sizeof name);
        snprintf(it->op, sizeof it->op, "%s", op->name);
        it->result.evaluated = it->result.rejected = 0;
        it->has_flow = it->produces = false;
        it->flow_saved_bytes = 0;
        snprintf(it->cached, sizeof it->cached, "%s", src.cached[0] ? src.cached : src.name);
        if (s + 1 == c->fact[f].n) { /* an intermediate keeps its requantization epilogue */
          it->epilogue[0] = '\0';
          it->result.cost = src.gemm_cost;
          layer__epilogue(c, i, it);
        }
      }
      return layer__stored(c, part, op, &c->rep->stored[c->fact[f].stored], err);
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
  /* Two operands contract in one way: no path to choose, the hardware-aware one is the MAC
   * path, priced as --path mac prices it. */
  bool hw = c->cfg->path_mode == LAYER_PATH_HARDWARE && net->n_operands > 2;
  if (hw && c->cfg->fuse) {
    /* layer__fuse_best asks for the paths of the other objectives too. The bounds are those of
     * this network on this op's arch (NULL when out of memory: the DPs then bound each step
     * afresh). */
    hwpath_bounds_free(c->bounds);
    c->bounds = hwpath_bounds_alloc();
    rc = hwpath_optimize_shared(net, &popt, layer__arch(c), c->opt, c->w, c->bounds, hp, err);
  } else if (hw) {
    rc = hwpath_optimize(net, &popt, layer__arch(c), c->opt, c->w, hp, err);
  } else {
    rc = path_optimize(net, &popt, &hp->mac_path, err);
    hp->chosen = &hp->mac_path;
  }
  if (rc) return rc;
  fuse_io io = {.input_on_chip = in_sram, .output_on_chip = out_sram,
                .buffers = 1u << c->plan->buffer, .no_fuse = !c->cfg->fuse,
                .output_epilogue_cycles = flow_epilogue_cycles(c->a, c->ops, c->plan, i)};
  for (int attempt = 0;; attempt++) {
    if (c->cfg->fuse) rc = layer__fuse_best(c, i, net, hw, &popt, &io, err);
    else rc = fuse_path_io(net, hp->chosen, 't', &io, layer__arch(c), c->opt, c->w, fr, err);
    if (rc != HEAT_ENOFIT || !io.output_on_chip || attempt) break;
    /* Its result cannot stay on chip beside the tiles: it goes to DRAM. */
    flow_spill(c->plan, c->a, c->ops, (size_t)stored);
    io.output_on_chip = out_sram = false;
  }
  if (rc) return rc;
  size_t first = c->rep->n_items;
  layer_stored params = {.factor_params = wl_layer_params(&l),
                         .stored_params = hp->chosen->stored_params_after,
                         .dense_params = op->out_features * op->in_features,
                         .offline_steps = hp->chosen->n_precomputed};
  size_t stored_at = c->rep->n_stored;
  rc = layer__stored(c, part, op, &params, err);
  if (rc) return rc;
  /* Every step is listed, the offline ones too (numbered with the others, not priced). */
  for (size_t s = 0; s < hp->chosen->n_steps; s++) {
    char suffix[24];
    snprintf(suffix, sizeof suffix, ".s%d", (int)(s + 1));
    layer_item *it = layer__push(c, part, op->name, suffix, err);
    if (!it) return err->code;
    const path_step *st = &hp->chosen->steps[s];
    snprintf(it->view, sizeof it->view, "%s,%s->%s", st->lhs_indices, st->rhs_indices,
             st->result_indices);
    if (s < hp->chosen->n_precomputed) {
      it->offline = true;
      it->offline_macs = st->macs;
      it->count = 0;
      continue;
    }
    it->problem = fr->step[s].problem;
    it->result = fr->step[s].result;
    it->token_tiles = fr->step[s].token_tiles;
    it->count = fr->step[s].token_tiles * op->count;
    it->fused = fr->step[s].output_on_chip;
    layer__tensors(net, st, it->token_tiles, &it->tensors);
    if (s + 1 == hp->chosen->n_steps) layer__epilogue(c, i, it);
    else if (fr->step[s].requant) { /* priced by fuse_path_io */
      it->gemm_cost = fr->step[s].gemm_cost;
      snprintf(it->epilogue, sizeof it->epilogue, "requant");
    }
  }
  c->rep->saved_dram_bytes += fr->saved_dram_bytes * (part == MODEL_PART_BLOCK ? c->rep->layers : 1);
  if (c->n_fact < 16) {
    c->fact[c->n_fact].out = op->out_features;
    c->fact[c->n_fact].in = op->in_features;
    c->fact[c->n_fact].tokens = op->tokens;
    c->fact[c->n_fact].in_sram = in_sram;
    c->fact[c->n_fact].out_sram = out_sram;
    c->fact[c->n_fact].kept = c->kept;
    c->fact[c->n_fact].first = first;
    c->fact[c->n_fact].n = c->rep->n_items - first;
    c->fact[c->n_fact].stored = stored_at;
    c->n_fact++;
  }
  return HEAT_OK;
}

/* A dense GEMM (linear or attention matmul) with its operands where the flow keeps them. */
static int layer__dense(layer__ctx *c, model_part part, size_t i, int64_t B, int64_t M, int64_t K,
                        int64_t N, heat_error *err) {
  const flow_op *f = &c->plan->op[i];
  int stored = f->epilogue >= 0 ? f->epilogue : (int)i;
  layer_item *it = layer__push(c, part, c->ops[i].name, "", err);
  if (!it) return err->code;
  unsigned act = 1u << c->plan->buffer;
  for (int attempt = 0;; attempt++) {
    map_problem_gemm(&it->problem, B, M, K, N);
    it->problem.epilogue_cycles = flow_epilogue_cycles(c->a, c->ops, c->plan, i);
    for (int k = 0; k < f->n_inputs && k < 2; k++)
      if (flow_input_place(c->plan, c->ops, i, k) == FLOW_SRAM) {
        it->problem.on_chip[k] = true; /* input 0: the GEMM's input; 1: its weight role */
        it->problem.buffers[k] = act;
      }
    if (c->plan->op[stored].out == FLOW_SRAM) {
      it->problem.on_chip[MAP_OP_OUTPUT] = true;
      it->problem.buffers[MAP_OP_OUTPUT] = act;
    }
    int rc = layer__gemm(c, it, err);
    if (rc != HEAT_ENOFIT || !it->problem.on_chip[MAP_OP_OUTPUT] || attempt) {
      if (rc) return rc;
      break;
    }
    /* Its result cannot stay on chip beside the tiles: it goes to DRAM. */
    flow_spill(c->plan, c->a, c->ops, (size_t)stored);
  }
  layer__epilogue(c, i, it);
  return HEAT_OK;
}

static int layer__op(layer__ctx *c, model_part part, size_t i, heat_error *err) {
  const model_op *op = &c->ops[i];
  const flow_op *f = &c->plan->op[i];
  size_t first = c->rep->n_items;
  int64_t B, M, K, N;
  c->kept = flow_kept_beside(c->plan, i);
  if (f->epilogue_of >= 0) {
    /* Runs in the epilogue of the GEMM before it: priced there. */
    layer_item *it = layer__push(c, part, op->name, "", err);
    if (!it) return err->code;
    it->simd = true;
    snprintf(it->epilogue_of, sizeof it->epilogue_of, "%s.%s", model_part_name(part),
             c->ops[f->epilogue_of].name);
    return HEAT_OK;
  }
  if (model_op_gemm(op, &B, &M, &K, &N)) {
    int rc = layer__targets(c->cfg, op, part) ? layer__factorized(c, part, i, err)
                                               : layer__dense(c, part, i, B, M, K, N, err);
    if (rc) return rc;
  } else {
    layer_item *it = layer__push(c, part, op->name, "", err);
    if (!it) return err->code;
    it->simd = true;
    double eb = c->a->input_bits / 8.0, rd = 0;
    for (int k = 0; k < f->n_inputs; k++)
      if (flow_input_place(c->plan, c->ops, i, k) == FLOW_DRAM)
        rd += flow_read_bytes(c->plan, c->ops, i, k, eb);
    flow_simd_cost(c->a, op, rd, f->out == FLOW_DRAM ? f->out_bytes : 0, &it->result.cost);
  }
  layer__mark(c, i, first);
  double times = part == MODEL_PART_BLOCK ? (double)c->rep->layers : 1;
  c->rep->flow_alone_bytes += times * f->alone_bytes;
  c->rep->flow_dram_bytes += times * f->flow_bytes;
  return HEAT_OK;
}

/* Plans the activation flow of the three parts: the block first (its input is the previous
 * block's output: kept on chip when it fits there at both ends of the block), then the input
 * part (its output stays for the first block when the block keeps its input) and the output
 * part (its input is the last block's output). */
static int layer__plan(layer__ctx *c, const model *m, model_op ops[3][MODEL_OPS_MAX],
                       const size_t *n, heat_error *err) {
  layer_report *out = c->rep;
  bool keep = c->cfg->keep_on_chip;
  double x = (double)m->seq * (double)m->batch * (double)m->hidden * (c->a->input_bits / 8.0);
  flow_plan *blk = &out->flow[MODEL_PART_BLOCK].plan;
  int rc = flow_plan_part(c->a, ops[MODEL_PART_BLOCK], n[MODEL_PART_BLOCK], keep ? FLOW_SRAM : FLOW_DRAM,
                          x, true, keep, blk, err);
  if (rc) return rc;
  size_t nb = n[MODEL_PART_BLOCK];
  if (keep && (x > blk->capacity || (nb > 0 && blk->op[nb - 1].out != FLOW_SRAM)))
    rc = flow_plan_part(c->a, ops[MODEL_PART_BLOCK], nb, FLOW_DRAM, x, false, keep, blk, err);
  if (!rc)
    rc = flow_plan_part(c->a, ops[MODEL_PART_INPUT], n[MODEL_PART_INPUT], FLOW_DRAM, 0,
                        blk->part_input == FLOW_SRAM, keep, &out->flow[MODEL_PART_INPUT].plan, err);
  if (!rc)
    rc = flow_plan_part(c->a, ops[MODEL_PART_OUTPUT], n[MODEL_PART_OUTPUT], blk->part_input, x,
                        false, keep, &out->flow[MODEL_PART_OUTPUT].plan, err);
  for (int p = 0; p < 3 && !rc; p++) {
    out->flow[p].n = n[p];
    for (size_t i = 0; i < n[p]; i++)
      snprintf(out->flow[p].name[i], MODEL_OP_NAME_MAX, "%s", ops[p][i].name);
  }
  return rc;
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
  out->n_stored = 0;
  out->flow_alone_bytes = out->flow_dram_bytes = out->flow_saved_bytes = 0;
  out->layers = m->layers;
  model_op (*ops)[MODEL_OPS_MAX] = c->part_ops;
  size_t nops[3];
  for (int part = MODEL_PART_INPUT; part <= MODEL_PART_OUTPUT; part++) {
    int rc = model_ops(m, (model_part)part, ops[part], MODEL_OPS_MAX, &nops[part], err);
    if (rc) return rc;
  }
  int rc = layer__plan(c, m, ops, nops, err);
  if (rc) return rc;
  bool matched = !cfg->only[0], format_used = !cfg->has_format;
  char names[256] = "", linears[256] = "";
  for (int part = MODEL_PART_INPUT; part <= MODEL_PART_OUTPUT; part++) {
    if (cfg->only[0] && part != MODEL_PART_BLOCK) continue;
    size_t n = nops[part];
    c->ops = ops[part];
    c->plan = &out->flow[part].plan;
    for (size_t i = 0; i < n; i++) {
      const model_op *o = &ops[part][i];
      if (part == MODEL_PART_BLOCK && strlen(names) + strlen(o->name) + 3 < sizeof names) {
        if (names[0]) strcat(names, ", ");
        strcat(names, o->name);
      }
      if (part == MODEL_PART_BLOCK && o->kind == MODEL_OP_LINEAR &&
          strlen(linears) + strlen(o->name) + 3 < sizeof linears) {
        if (linears[0]) strcat(linears, ", ");
        strcat(linears, o->name);
      }
      if (layer__targets(cfg, o, (model_part)part)) format_used = true;
      if (cfg->only[0] && !layer__selects(cfg->only, o)) continue;
      matched = true;
      rc = layer__op(c, (model_part)part, i, err);
      if (rc) {
        heat_error_prefix(err, "%s %s", model_part_name((model_part)part), o->name);
        return rc;
      }
    }
  }
  out->flow_saved_bytes = out->flow_alone_bytes - out->flow_dram_bytes;
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
  /* The memo shares searches between the path searches of every objective, the fusion of
   * each candidate path and the linears of the same shape. */
  bool was = w->memo != NULL;
  unsigned was_want = w->memo_want;
  /* Each search finds the objective priced; the hardware-aware path's DPs, which ask for
   * every objective, widen it while they run (hwpath.c). */
  w->memo_want = 1u << opt->objective;
  int64_t before = w->evaluated;
  int rc = map_workspace_memo(w, true);
  if (rc) rc = heat_error_set(err, HEAT_ENOMEM, "layer", "out of memory");
  else rc = layer__price(c, m, err);
  out->evaluated = w->evaluated - before;
  map_workspace_memo(w, was);
  w->memo_want = was_want;
  hwpath_bounds_free(c->bounds);
  free(c);
  return rc;
}
