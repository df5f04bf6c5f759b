/* A plan's model simulated part by part (see sim_plan.h). */
#include "cli/sim_plan.h"

#include <stdlib.h>
#include <string.h>

static void sim_plan_add(price_cost *c, const arch *a, const sim_step_result *r, double times) {
  double s = r->cycles / (a->clock_ghz * 1e9);
  const energy_breakdown *e = &r->energy;
  c->latency_s += times * s;
  c->energy_j += times * e->total_pj * 1e-12;
  c->dram_bytes += times * (r->counts.dram_read_bytes + r->counts.dram_write_bytes);
  c->macs += times * (r->counts.macs + r->counts.simd_macs);
  c->comp_j[PRICE_COMP_MAC] += times * e->mac_pj * 1e-12;
  c->comp_j[PRICE_COMP_REG] += times * e->reg_pj * 1e-12;
  for (int b = 0; b < ARCH_MAX_BUFFERS; b++)
    c->comp_j[PRICE_COMP_BUFFER0 + b] += times * e->buffer_pj[b] * 1e-12;
  c->comp_j[PRICE_COMP_DRAM] += times * e->dram_pj * 1e-12;
  c->comp_j[PRICE_COMP_SIMD] += times * e->simd_pj * 1e-12;
  c->comp_j[PRICE_COMP_LEAK] += times * e->leak_pj * 1e-12;
}

int sim_plan_report_part(sim_session **session, const arch *eff, const map_options *opt,
                         const model *m, const layer_report *rep, model_part part,
                         price_cost *out, heat_error *err) {
  memset(out, 0, sizeof *out);
  program prog;
  program_init(&prog);
  int rc = HEAT_OK;
  for (size_t i = 0; i < rep->n_items && !rc; i++)
    if (rep->items[i].part == part)
      rc = program_emit_items(&prog, eff, opt, m, &rep->items[i], 1, err);
  if (!rc && prog.n_steps == 0) {
    program_free(&prog);
    return HEAT_OK;
  }
  if (!rc && !*session && !(*session = sim_session_alloc(eff, err))) rc = err->code;
  if (!rc) rc = sim_session_set_arch(*session, eff, err);
  sim_step_result *res = rc ? NULL : calloc(prog.n_steps, sizeof *res);
  if (!rc && !res) rc = heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory");
  sim_options so = {.mode = SIM_MODE_TIMING, .seed = 1};
  if (!rc) rc = sim_session_run(*session, &prog, &so, res, err);
  /* Step k is the k-th item of the part that runs (offline items emit no step). */
  size_t k = 0;
  for (size_t i = 0; i < rep->n_items && !rc; i++) {
    const layer_item *it = &rep->items[i];
    if (it->part != part || it->offline) continue;
    if (k >= prog.n_steps) {
      rc = heat_error_set(err, HEAT_EINTERNAL, "sim", "the program has fewer steps than items");
      break;
    }
    sim_plan_add(out, eff, &res[k++], (double)it->count);
  }
  free(res);
  program_free(&prog);
  return rc;
}

/* The block part of a model report priced with cfg, simulated. */
static int sim_plan_block(sim_session **s, const arch *eff, const map_options *opt,
                          const model *m, const layer_config *cfg, map_workspace *w,
                          layer_report *rep, price_cost *out, heat_error *err) {
  int rc = layer_price_model(eff, m, cfg, opt, w, rep, err);
  return rc ? rc : sim_plan_report_part(s, eff, opt, m, rep, MODEL_PART_BLOCK, out, err);
}

int sim_plan_pricer_init(sim_session **s, const arch *eff, const map_options *opt,
                         const model *m, map_workspace *w, layer_report *rep, pricer *p,
                         heat_error *err) {
  /* The analytical pricer gives the composition, the role dimensions and the cache keys; its
   * costs are replaced by simulated ones before pricer_plan reads them. */
  int rc = pricer_init(p, eff, m, opt, w, err);
  if (rc) return rc;
  layer_config cfg;
  layer_config_init(&cfg);
  rc = layer_price_model(eff, m, &cfg, opt, w, rep, err);
  if (!rc) rc = sim_plan_report_part(s, eff, opt, m, rep, MODEL_PART_INPUT, &p->input, err);
  if (!rc) rc = sim_plan_report_part(s, eff, opt, m, rep, MODEL_PART_OUTPUT, &p->output, err);
  if (!rc) rc = sim_plan_report_part(s, eff, opt, m, rep, MODEL_PART_BLOCK, &p->block_dense, err);
  for (int r = 0; r < PLAN_ROLES && !rc; r++) {
    snprintf(cfg.only, sizeof cfg.only, "%s", wl_bert_role_name((wl_bert_role)r));
    rc = sim_plan_block(s, eff, opt, m, &cfg, w, rep, &p->dense_linear[r], err);
  }
  if (rc) pricer_free(p);
  return rc;
}

int sim_plan_price(sim_session **s, const arch *eff, const map_options *opt, const model *m,
                   map_workspace *w, layer_report *rep, pricer *p, const plan *pl,
                   plan_cost *out, int64_t *simulated, heat_error *err) {
  int rc = HEAT_OK;
  *simulated = 0;
  for (size_t l = 0; l < (size_t)m->layers && !rc; l++)
    for (int r = 0; r < PLAN_ROLES && !rc; r++) {
      /* As pricer_plan: blocks past the plan's layers use its last row. */
      const plan_weight *pw = l < pl->layers ? &pl->w[l][r] : &pl->w[PLAN_MAX_LAYERS - 1][r];
      if (pw->fmt.format == WL_FORMAT_DENSE) continue;
      price_key k;
      pricer_key(p, r, pw, &k);
      if (pricer_lookup(p, &k)) continue;
      /* The same configuration as pricer_compute. */
      layer_config lc;
      layer_config_init(&lc);
      const char *name = wl_bert_role_name((wl_bert_role)r);
      snprintf(lc.only, sizeof lc.only, "%s", name);
      snprintf(lc.target, sizeof lc.target, "%s", name);
      lc.has_format = true;
      lc.format = k.fmt;
      lc.path_mode = (layer_path_mode)k.path;
      lc.precompute = (path_precompute)k.precompute;
      price_cost c;
      rc = sim_plan_block(s, eff, opt, m, &lc, w, rep, &c, err);
      if (rc) heat_error_prefix(err, "layer %zu %s", l, name);
      if (!rc) rc = pricer_insert(p, &k, &c, err);
      (*simulated)++;
    }
  return rc ? rc : pricer_plan(p, pl, w, out, err);
}

int sim_plan_cost(sim_session **s, const arch *eff, const map_options *opt, const model *m,
                  const plan *pl, const char *origin, plan_cost *out, price_cost *dense,
                  int64_t *simulated, heat_error *err) {
  int rc = plan_check(pl, m, origin, err);
  if (rc) return rc;
  map_workspace *w = map_workspace_alloc();
  layer_report *rep = malloc(sizeof *rep);
  if (!w || !rep) {
    map_workspace_free(w);
    free(rep);
    return heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory");
  }
  pricer p;
  rc = sim_plan_pricer_init(s, eff, opt, m, w, rep, &p, err);
  if (!rc) {
    rc = sim_plan_price(s, eff, opt, m, w, rep, &p, pl, out, simulated, err);
    if (!rc) {
      *dense = p.input;
      price_cost_add(dense, &p.output, 1);
      price_cost_add(dense, &p.block_dense, (double)m->layers);
    }
    pricer_free(&p);
  }
  map_workspace_free(w);
  free(rep);
  return rc;
}
