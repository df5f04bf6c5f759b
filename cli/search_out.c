/* heat search: the summary table, the tidy CSVs and the plans. */
#include "cli/search_out.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_csv.h"

static double search_compression(const search_run *r, const search_row *row) {
  return (double)row->pc.params / (double)row->pc.dense_params;
  (void)r;
}

const char *search_acc_column(const search_run *r) {
  return r->s2c.acc_model[0] ? "acc_fitted" : "acc_proxy";
}

static double search_reduction(const search_run *r, const search_row *row) {
  return price_edp(&r->rows[0]->pc.total) / price_edp(&row->pc.total);
}

void search_print_summary(FILE *out, const search_run *r, bool run_info) {
  char proxy[256];
  s2_proxy_text(&r->s2c, proxy, sizeof proxy);
  fprintf(out, "heat search: %s (seq %lld) on %s; objective %s; seed %llu\n", r->m.name,
          (long long)r->m.seq, r->a.name,
          r->s2c.objective == S2_OBJ_HEAT ? "heat: (1-acc)*EDP^0.25" : s2_objective_name(r->s2c.objective),
          (unsigned long long)r->s2c.seed);
  fprintf(out, "eps measured on: %s%s\n", r->l1.weights,
          r->l1c.weights ? "" : " (synthetic: not a trained model's weights)");
  fprintf(out, "%s\n", proxy);
  if (r->s2c.max_error > 0 || r->s2c.max_params > 0 || r->s2c.max_latency_s > 0 ||
      r->s2c.max_energy_j > 0)
    fprintf(out, "budgets: mean eps <= %g, params <= %g, latency <= %g s, energy <= %g J (0: none)\n",
            r->s2c.max_error, r->s2c.max_params, r->s2c.max_latency_s, r->s2c.max_energy_j);
  fprintf(out, "level 1: %zu settings (shapes x ranks per weight size and format)", r->l1.n);
  if (run_info) {
    fprintf(out, ", %lld priced by the mapper, %lld from the cost table", (long long)r->l1.priced,
            (long long)r->l1.cost_cached);
    if (r->l1.cost_path[0])
      fprintf(out, " (%s, %s)", r->l1.cost_path, stable_state_name(r->l1.cost_state));
    fprintf(out, "; %lld errors computed, %lld cached", (long long)r->l1.factorized,
            (long long)r->l1.eps_cached);
  }
  fprintf(out, "\nlevel 2: %lld plans evaluated", (long long)r->evaluations);
  if (run_info)
    fprintf(out, "; %.1f s in all (%.0f level-2 plans/s overall)", r->seconds,
            (double)r->evaluations / r->seconds);
  fprintf(out, "\n\n");
  /* Manual plans may carry long names: widen the column rather than push the row out of line. */
  int name_w = 18;
  for (size_t i = 0; i < r->n_rows; i++) {
    size_t len = strlen(r->rows[i]->name);
    if (len > (size_t)name_w) name_w = len > 64 ? 64 : (int)len;
  }
  fprintf(out, "%-*s %-7s %11s %8s %8s %10s %11s %11s %8s %11s %11s %7s\n", name_w, "plan", "format",
          "params", "compress", "eps", search_acc_column(r), "latency_s", "sim_lat_s", "sim_diff",
          "energy_j", "edp_js", "edp_x");
  for (size_t i = 0; i < r->n_rows; i++) {
    const search_row *row = r->rows[i];
    char sim[16] = "-", diff[16] = "-";
    if (row->simulated) {
      snprintf(sim, sizeof sim, "%.5g", row->sim_latency_s);
      snprintf(diff, sizeof diff, "%+.1f%%",
               100.0 * (row->sim_latency_s / row->pc.total.latency_s - 1.0));
    }
    fprintf(out, "%-*s %-7s %11lld %8.4f %8.4f %10.4f %11.5g %11s %8s %11.5g %11.5g %7.3f%s\n",
            name_w, row->name, row->format, (long long)row->pc.params, search_compression(r, row),
            row->ev.eps_mean, row->ev.acc, row->pc.total.latency_s, sim, diff,
            row->pc.total.energy_j, price_edp(&row->pc.total), search_reduction(r, row),
            row->ev.feasible ? "" : "  (misses a budget)");
    /* A searched plan equal to dense in size kept every weight dense: say so, so that the row
     * is not read as a factorized plan that happens to cost what dense costs. */
    if (!strcmp(row->kind, "searched") && row->pc.params == r->rows[0]->pc.params)
      fprintf(out, "%-*s   (every weight kept dense: no %s setting beat dense under the "
                   "objective)\n",
              name_w, "", row->format);
  }
  fprintf(out, "\n%s is %s, not a measured accuracy of these plans. compress = params / dense "
               "params (embeddings included, as HEAT counts). edp_x = dense EDP / plan EDP.\n",
          search_acc_column(r), r->s2c.acc_model[0] ? "the fitted model above" : "the proxy above");
  if (r->sim_ran) {
    fprintf(out, "latency_s is the analytical model's (it chose the plans); sim_lat_s the cycle-level "
                 "SystemC model's (timing mode) for these %zu plans only, not the level-2 points; "
                 "sim_diff = sim / analytical - 1.",
            r->n_rows);
    if (run_info)
      fprintf(out, " %lld distinct factorized linears simulated in %.1f s.",
              (long long)r->sim_linears, r->sim_seconds);
    fputc('\n', out);
    for (size_t i = 0; i < r->n_rows; i++)
      if (!r->rows[i]->simulated)
        fprintf(out, "  %s: not simulated: %s\n", r->rows[i]->name, r->rows[i]->sim_why);
  } else {
    fprintf(out, "latency_s is the analytical model's; --no-sim: the cycle-level model was not run.\n");
  }
  if (run_info)
    fprintf(out, "results: %s/ (summary.csv, points.csv, pareto_level1.csv, fronts.csv, "
               "evaluations.csv, plans.csv, layers.csv, components.csv, <plan>.json, figures)\n",
          r->out_dir);
}

static FILE *search_open(const search_run *r, const char *name, char *path, size_t cap,
                         heat_error *err) {
  snprintf(path, cap, "%s/%s", r->out_dir, name);
  FILE *f = fopen(path, "w");
  if (!f) heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  return f;
}

static int search_close(FILE *f, const char *path, heat_error *err) {
  if (fclose(f) != 0) return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  return HEAT_OK;
}

static void search_point_row(FILE *f, const search_run *r, size_t i) {
  const l1_point *pt = &r->l1.pts[i];
  const l1_size *s = &r->l1.sizes[pt->size];
  char shape[WL_SHAPE_TEXT_MAX], ranks[96];
  wl_shape_format(&pt->fmt.shape, shape, sizeof shape);
  wl_layer_format_ranks(&pt->fmt, ranks, sizeof ranks);
  fprintf(f, "%lldx%lld,%s,%s,", (long long)s->out, (long long)s->in, wl_format_name(pt->fmt.format),
          shape);
  heat_csv_field_quoted(f, ranks);
  fprintf(f, ",%s,%lld,%.6g,%.6g,%s,%s,", i >= r->l1.n_grid ? "baseline" : pt->aligned ? "aligned" : "grid",
          (long long)pt->params, pt->compression, pt->eps, pt->eps_bound ? "bound" : "exact",
          !pt->status ? "ok" : pt->status == HEAT_ENOFIT ? "unmappable" : "failed");
  if (pt->status) fprintf(f, ",,,");
  else
    fprintf(f, "%.6g,%.6g,%.6g,", pt->cost.latency_s, pt->cost.energy_j, price_edp(&pt->cost));
  fprintf(f, "%d,%d\n", pt->pareto, pt->chosen_shape);
}

static int search_points(const search_run *r, const char *name, bool pareto_only, heat_error *err) {
  char path[1200];
  FILE *f = search_open(r, name, path, sizeof path, err);
  if (!f) return err->code;
  fprintf(f, "size,format,shape,ranks,rank_source,params,compression,eps,eps_kind,status,"
             "latency_s,energy_j,edp_js,pareto,chosen_shape\n");
  for (size_t i = 0; i < r->l1.n; i++)
    if (!pareto_only || r->l1.pts[i].pareto) search_point_row(f, r, i);
  return search_close(f, path, err);
}

static int search_summary_csv(const search_run *r, heat_error *err) {
  char path[1200];
  FILE *f = search_open(r, "summary.csv", path, sizeof path, err);
  if (!f) return err->code;
  fprintf(f, "plan,kind,format,params,compression,eps_mean,%s,latency_s,energy_j,edp_js,"
             "edp_reduction_x,meets_budgets,weights,latency_sim_s,energy_sim_j\n",
          search_acc_column(r));
  for (size_t i = 0; i < r->n_rows; i++) {
    const search_row *row = r->rows[i];
    fprintf(f, "%s,%s,%s,%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d,", row->name, row->kind,
            row->format, (long long)row->pc.params, search_compression(r, row), row->ev.eps_mean,
            row->ev.acc, row->pc.total.latency_s, row->pc.total.energy_j,
            price_edp(&row->pc.total), search_reduction(r, row), row->ev.feasible);
    heat_csv_field_quoted(f, r->l1.weights);
    if (row->simulated) fprintf(f, ",%.6g,%.6g\n", row->sim_latency_s, row->sim_energy_j);
    else fprintf(f, ",,\n"); /* not run (--no-sim) or not runnable: summary.txt says why */
  }
  return search_close(f, path, err);
}

/* 2-D Pareto fronts of the level-2 plans of each format: EDP vs compression and EDP vs eps,
 * sorted by the x value (a line in the figures). */
static double search_front_x(const search_run *r, const s2_eval *e, bool by_eps) {
  return by_eps ? e->eps_mean : (double)e->params / (double)r->rows[0]->pc.dense_params;
}

static void search_front(FILE *f, const search_row *row, const search_run *r, bool by_eps) {
  size_t n = row->n_evals, k = 0;
  size_t *keep = malloc((n + 1) * sizeof *keep);
  if (!keep) return;
  for (size_t i = 0; i < n; i++) {
    const s2_eval *a = &row->evals[i];
    double ax = search_front_x(r, a, by_eps);
    bool dominated = false, dup = false;
    for (size_t j = 0; j < n && !dominated && !dup; j++) {
      const s2_eval *b = &row->evals[j];
      double bx = search_front_x(r, b, by_eps);
      if (bx <= ax && b->edp_js <= a->edp_js && (bx < ax || b->edp_js < a->edp_js)) dominated = true;
      if (j < i && bx == ax && b->edp_js == a->edp_js) dup = true;
    }
    if (dominated || dup) continue;
    size_t at = k++; /* insertion by x */
    while (at > 0 && search_front_x(r, &row->evals[keep[at - 1]], by_eps) > ax) {
      keep[at] = keep[at - 1];
      at--;
    }
    keep[at] = i;
  }
  for (size_t i = 0; i < k; i++) {
    const s2_eval *a = &row->evals[keep[i]];
    fprintf(f, "%s,%s,%.6g,%.6g,%.6g\n", row->format, by_eps ? "edp-eps" : "edp-compression",
            (double)a->params / (double)r->rows[0]->pc.dense_params, a->eps_mean, a->edp_js);
  }
  free(keep);
}

static int search_fronts(const search_run *r, heat_error *err) {
  char path[1200];
  FILE *f = search_open(r, "fronts.csv", path, sizeof path, err);
  if (!f) return err->code;
  fprintf(f, "format,front,compression,eps_mean,edp_js\n");
  for (size_t i = 0; i < r->n_rows; i++)
    if (r->rows[i]->evals) {
      search_front(f, r->rows[i], r, false);
      search_front(f, r->rows[i], r, true);
    }
  return search_close(f, path, err);
}

static int search_plans(const search_run *r, heat_error *err) {
  char path[1200];
  FILE *f = search_open(r, "plans.csv", path, sizeof path, err);
  if (!f) return err->code;
  fprintf(f, "plan,layer,role,hf_name,format,shape,ranks,params,eps\n");
  int rc = HEAT_OK;
  for (size_t i = 0; i < r->n_rows && !rc; i++) {
    const search_row *row = r->rows[i];
    for (size_t l = 0; l < row->pl.layers; l++)
      for (int role = 0; role < PLAN_ROLES; role++) {
        plan_weight w = row->pl.w[l][role];
        int64_t o = r->p.role_out[role], in = r->p.role_in[role];
        if (w.fmt.shape.d == 0 || w.fmt.format == WL_FORMAT_DENSE) wl_shape_matrix(o, in, &w.fmt.shape);
        char hf[160] = "", shape[WL_SHAPE_TEXT_MAX], ranks[96];
        if (wl_bert_weight_name((int)l, (wl_bert_role)role, hf, sizeof hf) < 0) hf[0] = '\0';
        wl_shape_format(&w.fmt.shape, shape, sizeof shape);
        wl_layer_format_ranks(&w.fmt, ranks, sizeof ranks);
        fprintf(f, "%s,%zu,%s,%s,%s,%s,", row->name, l, wl_bert_role_name((wl_bert_role)role), hf,
                wl_format_name(w.fmt.format), shape);
        heat_csv_field_quoted(f, ranks);
        fprintf(f, ",%lld,%.6g\n",
                (long long)(w.fmt.format == WL_FORMAT_DENSE ? o * in : wl_layer_params(&w.fmt)),
                w.fmt.format == WL_FORMAT_DENSE ? 0 : w.rel_error);
      }
    char name[80], jpath[1200];
    snprintf(name, sizeof name, "%s.json", row->name);
    snprintf(jpath, sizeof jpath, "%s/%s", r->out_dir, name);
    rc = plan_write_file(jpath, &row->pl, &r->m, err);
  }
  int rc2 = search_close(f, path, err);
  return rc ? rc : rc2;
}

static int search_breakdowns(const search_run *r, heat_error *err) {
  char path[1200];
  FILE *f = search_open(r, "layers.csv", path, sizeof path, err);
  if (!f) return err->code;
  fprintf(f, "plan,part,layer,latency_s,energy_j,edp_js\n");
  for (size_t i = 0; i < r->n_rows; i++) {
    const search_row *row = r->rows[i];
    fprintf(f, "%s,input,,%.6g,%.6g,%.6g\n", row->name, row->pc.input.latency_s,
            row->pc.input.energy_j, price_edp(&row->pc.input));
    for (size_t l = 0; l < row->pc.layers; l++)
      fprintf(f, "%s,block,%zu,%.6g,%.6g,%.6g\n", row->name, l, row->pc.block[l].latency_s,
              row->pc.block[l].energy_j, price_edp(&row->pc.block[l]));
    fprintf(f, "%s,output,,%.6g,%.6g,%.6g\n", row->name, row->pc.output.latency_s,
            row->pc.output.energy_j, price_edp(&row->pc.output));
  }
  int rc = search_close(f, path, err);
  if (rc) return rc;
  f = search_open(r, "components.csv", path, sizeof path, err);
  if (!f) return err->code;
  fprintf(f, "plan,component,energy_j\n");
  for (size_t i = 0; i < r->n_rows; i++)
    for (int k = 0; k < PRICE_COMPONENTS; k++) {
      const char *name = price_component_name(&r->eff, k);
      if (name) fprintf(f, "%s,%s,%.6g\n", r->rows[i]->name, name, r->rows[i]->pc.total.comp_j[k]);
    }
  return search_close(f, path, err);
}

int search_write_outputs(const search_run *r, heat_error *err) {
  int rc = search_summary_csv(r, err);
  if (!rc) rc = search_points(r, "points.csv", false, err);
  if (!rc) rc = search_points(r, "pareto_level1.csv", true, err);
  if (!rc) rc = search_fronts(r, err);
  if (!rc) rc = search_plans(r, err);
  if (!rc) rc = search_breakdowns(r, err);
  if (rc) return rc;
  char path[1200];
  FILE *f = search_open(r, "summary.txt", path, sizeof path, err);
  if (!f) return err->code;
  search_print_summary(f, r, false);
  return search_close(f, path, err);
}
