/* heat map --plan: a model priced under a decomposition plan, block by block. */
#include "cli/map_plan.h"

#include <string.h>

#include "common/heat_csv.h"
#include "search/price.h"

static void map_plan_weight_text(const plan_weight *w, char *buf, size_t cap) {
  if (w->fmt.format == WL_FORMAT_DENSE) {
    snprintf(buf, cap, "dense");
    return;
  }
  char ranks[64] = "", shape[WL_SHAPE_TEXT_MAX] = "";
  wl_layer_format_ranks(&w->fmt, ranks, sizeof ranks);
  if (w->fmt.format != WL_FORMAT_SVD) wl_shape_format(&w->fmt.shape, shape, sizeof shape);
  snprintf(buf, cap, "%s%s%s r%s", wl_format_name(w->fmt.format), shape[0] ? " " : "", shape,
           ranks);
}

static void map_plan_csv_row(FILE *out, const char *item, long layer, const char *role,
                             const plan_weight *w, int64_t params, const price_cost *c) {
  fprintf(out, "%s,", item);
  if (layer >= 0) fprintf(out, "%ld", layer);
  fprintf(out, ",%s,", role);
  char shape[WL_SHAPE_TEXT_MAX] = "", ranks[64] = "";
  if (w) {
    wl_shape_format(&w->fmt.shape, shape, sizeof shape);
    wl_layer_format_ranks(&w->fmt, ranks, sizeof ranks);
    fprintf(out, "%s,%s,", wl_format_name(w->fmt.format), shape);
    heat_csv_field_quoted(out, ranks);
  } else {
    fprintf(out, ",,");
  }
  fprintf(out, ",");
  if (params >= 0) fprintf(out, "%lld", (long long)params);
  fprintf(out, ",%.6g,%.6g,%.6g,%.6g\n", c->latency_s, c->energy_j, price_edp(c), c->dram_bytes);
}

void map_plan_csv(FILE *out, const plan *pl, const model *m, const plan_cost *pc) {
  fprintf(out, "item,layer,role,format,shape,ranks,params,latency_s,energy_j,edp_js,dram_bytes\n");
  map_plan_csv_row(out, "input", -1, "", NULL, -1, &pc->input);
  for (size_t l = 0; l < pc->layers; l++) {
    for (int r = 0; r < PLAN_ROLES; r++) {
      plan_weight w = pl->w[l][r];
      int64_t o, i;
      plan_role_dims(m, r, &o, &i);
      if (w.fmt.shape.d == 0 || w.fmt.format == WL_FORMAT_DENSE || w.fmt.format == WL_FORMAT_SVD)
        wl_shape_matrix(o, i, &w.fmt.shape);
      map_plan_csv_row(out, "linear", (long)l, wl_bert_role_name((wl_bert_role)r), &w,
                       w.fmt.format == WL_FORMAT_DENSE ? o * i : wl_layer_params(&w.fmt),
                       &pc->linear[l][r]);
    }
    map_plan_csv_row(out, "block", (long)l, "", NULL, -1, &pc->block[l]);
  }
  map_plan_csv_row(out, "output", -1, "", NULL, -1, &pc->output);
  map_plan_csv_row(out, "total", -1, "", NULL, pc->params, &pc->total);
}

void map_plan_text(FILE *out, const char *path, const plan *pl, const model *m,
                          const arch *a, const plan_cost *pc, const price_cost *dense,
                          int64_t priced) {
  fprintf(out, "plan %s: model %s (seq %lld, batch %lld) on %s\n", path, m->name,
          (long long)m->seq, (long long)m->batch, a->name);
  if (pl->weights[0]) fprintf(out, "errors measured on %s\n", pl->weights);
  if (pl->note[0]) fprintf(out, "note: %s\n", pl->note);
  fprintf(out, "\n%-5s", "block");
  for (int r = 0; r < PLAN_ROLES; r++) fprintf(out, " %-28s", wl_bert_role_name((wl_bert_role)r));
  fprintf(out, " %12s %12s\n", "latency_s", "energy_j");
  for (size_t l = 0; l < pc->layers; l++) {
    fprintf(out, "%-5zu", l);
    for (int r = 0; r < PLAN_ROLES; r++) {
      char t[96];
      map_plan_weight_text(&pl->w[l][r], t, sizeof t);
      fprintf(out, " %-28.28s", t);
    }
    fprintf(out, " %12.6g %12.6g\n", pc->block[l].latency_s, pc->block[l].energy_j);
  }
  fprintf(out, "\n%-8s %12s %12s %12s\n", "part", "latency_s", "energy_j", "edp_js");
  const struct { const char *name; const price_cost *c; } rows[] = {
      {"input", &pc->input}, {"output", &pc->output}, {"total", &pc->total}, {"dense", dense}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    fprintf(out, "%-8s %12.6g %12.6g %12.6g\n", rows[i].name, rows[i].c->latency_s,
            rows[i].c->energy_j, price_edp(rows[i].c));
  fprintf(out, "\nparams %lld (dense %lld, %.4f of dense); EDP reduction %.3fx vs dense\n",
          (long long)pc->params, (long long)pc->dense_params,
          (double)pc->params / (double)pc->dense_params, price_edp(dense) / price_edp(&pc->total));
  fprintf(out, "energy by component (J):");
  for (int k = 0; k < PRICE_COMPONENTS; k++) {
    const char *name = price_component_name(a, k);
    if (name) fprintf(out, " %s %.4g", name, pc->total.comp_j[k]);
  }
  fprintf(out, "\n%lld distinct factorized linears priced by the mapper (hardware-aware path, "
               "fused); identical ones reused\n",
          (long long)priced);
}

int map_plan_print(FILE *out, const arch *eff, const map_options *opt, const map_plan_args *g,
                   heat_error *err) {
  static plan pl;
  static plan_cost pc;
  int rc = plan_read_file(g->plan, &pl, err);
  if (rc) return rc;
  model m;
  rc = model_resolve(g->model ? g->model : pl.model, &m, err);
  if (rc) {
    if (!g->model) heat_error_prefix(err, "%s: field 'model'", g->plan);
    return rc;
  }
  int64_t seq = g->seq > 0 ? g->seq : pl.seq;
  if (seq > 0 && seq != m.seq && (rc = model_set_seq(&m, seq, g->seq > 0 ? "--seq" : g->plan, err)))
    return rc;
  if (g->batch > 0 && (rc = model_set_batch(&m, g->batch, "--batch", err))) return rc;
  if ((rc = plan_check(&pl, &m, g->plan, err))) return rc;
  map_workspace *w = map_workspace_alloc();
  if (!w) return heat_error_set(err, HEAT_ENOMEM, "map", "out of memory");
  pricer p;
  rc = pricer_init(&p, eff, &m, opt, w, err);
  if (!rc) rc = pricer_plan(&p, &pl, w, &pc, err);
  if (!rc) {
    price_cost dense = p.input;
    price_cost_add(&dense, &p.output, 1);
    price_cost_add(&dense, &p.block_dense, (double)m.layers);
    if (g->csv) map_plan_csv(out, &pl, &m, &pc);
    else map_plan_text(out, g->plan, &pl, &m, eff, &pc, &dense, p.priced);
  }
  pricer_free(&p);
  map_workspace_free(w);
  return rc;
}
