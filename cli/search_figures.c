/* heat search: figures.gp (gnuplot) over the run's CSVs, rendered as PDF, SVG and PNG. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/search_out.h"

/* Emits `plot` three times, once per terminal, into base.{pdf,svg,png}. */
static void fig_render(FILE *f, const char *base, const char *plot) {
  static const struct { const char *term, *ext; } t[] = {
      {"pdfcairo size 7in,4.5in font 'Helvetica,10'", "pdf"},
      {"svg size 900,560 dynamic font 'Helvetica,12'", "svg"},
      {"pngcairo size 1100,680 font 'Helvetica,12'", "png"},
  };
  for (size_t i = 0; i < 3; i++)
    fprintf(f, "set terminal %s\nset output '%s.%s'\n%s\nunset output\n", t[i].term, base, t[i].ext,
            plot);
}

static const char *fig_format_title(const char *f) {
  if (!strcmp(f, "cp")) return "CP";
  if (!strcmp(f, "tucker")) return "Tucker";
  if (!strcmp(f, "ttm")) return "TTM";
  if (!strcmp(f, "tt")) return "TT";
  if (!strcmp(f, "svd")) return "SVD";
  return f;
}

/* EDP of every level-2 plan of one format against x (compression or eps), with the front and
 * the baselines. The EDP-compression front is often one point under the searched marker, so its
 * circles are drawn large enough to show around it. */
static void fig_cloud(FILE *f, const search_run *r, const char *fmt, bool by_eps) {
  char plot[6000], base[96];
  double dense = (double)r->rows[0]->pc.dense_params;
  const char *xlab = by_eps ? "mean reconstruction error {/Symbol e} of the linears (size-weighted)"
                            : "compression (parameters / dense parameters)";
  /* evaluations.csv: 6 edp_js, 7 eps_mean, 9 params; summary.csv: 5 compression, 6 eps, 10 edp */
  char xe[64], xs[16];
  if (by_eps) snprintf(xe, sizeof xe, "$7");
  else snprintf(xe, sizeof xe, "($9/%.17g)", dense);
  snprintf(xs, sizeof xs, "%s", by_eps ? "$6" : "$5");
  /* manual plans of this format, or mixing formats */
  char manual[400] = "";
  for (size_t i = 0; i < r->n_rows; i++)
    if (!strcmp(r->rows[i]->kind, "manual") &&
        (!strcmp(r->rows[i]->format, fmt) || !strcmp(r->rows[i]->format, "mixed")))
      snprintf(manual, sizeof manual,
               "  'summary.csv' skip 1 using ((strcol(2) eq 'manual' && (strcol(3) eq '%s' || "
               "strcol(3) eq 'mixed')) ? %s : NaN):10 with points "
               "pt 9 ps 1.8 lc rgb '#2ca02c' title 'manual', \\\n",
               fmt, xs);
  int n = snprintf(plot, sizeof plot,
                   "set title \"%s on %s, %s: model EDP vs %s\\n(eps on %s)\" noenhanced\n"
                   "set xlabel \"%s\"\nset ylabel \"EDP (J s)\"\n"
                   "plot 'evaluations.csv' skip 1 using ((strcol(1) eq '%s') ? %s : NaN):6 "
                   "with points pt 7 ps 0.35 lc rgb '#b0b0b0' title 'level-2 plans evaluated', \\\n"
                   "  'fronts.csv' skip 1 using ((strcol(1) eq '%s' && strcol(2) eq '%s') ? %s : "
                   "NaN):5 with linespoints pt 6 ps %.1f lw 2 lc rgb '#1f77b4' title 'Pareto front', \\\n"
                   "  'summary.csv' skip 1 using ((strcol(2) eq 'dense') ? %s : NaN):10 with points "
                   "pt 5 ps 1.6 lc rgb '#000000' title 'dense', \\\n"
                   "%s"
                   "  'summary.csv' skip 1 using ((strcol(1) eq '%s-heuristic') ? %s : NaN):10 with "
                   "points pt 13 ps 1.8 lc rgb '#ff7f0e' title 'heuristic (uniform rank)', \\\n"
                   "  'summary.csv' skip 1 using ((strcol(1) eq '%s-searched') ? %s : NaN):10 with "
                   "points pt 3 ps 2.2 lw 2 lc rgb '#d62728' title 'searched'",
                   r->m.name, r->a.name, fig_format_title(fmt), by_eps ? "error" : "compression",
                   r->l1.weights, xlab, fmt, xe, fmt, by_eps ? "edp-eps" : "edp-compression",
                   by_eps ? "$4" : "$3", by_eps ? 0.9 : 2.6, xs, manual, fmt, xs, fmt, xs);
  (void)n;
  snprintf(base, sizeof base, "fig_%s_edp_vs_%s", fmt, by_eps ? "error" : "compression");
  fprintf(f, "set key outside right top box\nset grid\nset logscale y\nset format y '%%.1te%%T'\n"
             "set xrange [0:%s]\nset offsets 0, graph 0.03, 0, 0\n", by_eps ? "*" : "1.05");
  fig_render(f, base, plot);
  fprintf(f, "unset logscale y\nset format y '%%g'\nset xrange [*:*]\nset offsets 0, 0, 0, 0\n");
}

/* The plans the breakdown figures compare: dense and each searched plan. */
static void fig_plan_list(const search_run *r, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < r->n_rows; i++)
    if (!strcmp(r->rows[i]->kind, "dense") || !strcmp(r->rows[i]->kind, "searched"))
      n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? " " : "", r->rows[i]->name);
}

static void fig_layers(FILE *f, const search_run *r, const char *plans) {
  char plot[2000];
  snprintf(plot, sizeof plot,
           "set title \"%s on %s: latency per block, dense vs searched plans\" noenhanced\n"
           "set xlabel \"block (layer index)\"\nset ylabel \"latency (ms)\"\n"
           "set xtics 1\nset yrange [0:*]\n"
           "plans = \"%s\"\n"
           /* distinct point and dash types: plans with equal latency (a searched plan that kept
            * every weight dense) would otherwise hide one another */
           "plot for [i=1:words(plans)] 'layers.csv' skip 1 using ((strcol(1) eq word(plans, i) "
           "&& strcol(2) eq 'block') ? $3 : NaN):($4*1e3) with linespoints pt (i+3) "
           "ps (2.0-0.2*i) dt i lw 2 title word(plans, i) noenhanced\n"
           "set xtics autofreq\nset yrange [*:*]",
           r->m.name, r->a.name, plans);
  fprintf(f, "set key outside right top box\nset grid\n");
  fig_render(f, "fig_layers_latency", plot);
}

static void fig_components(FILE *f, const search_run *r, const char *plans) {
  int nc = 0;
  char tics[1000] = "";
  size_t t = 0;
  for (int k = 0; k < PRICE_COMPONENTS; k++) {
    const char *name = price_component_name(&r->eff, k);
    if (!name) continue;
    t += (size_t)snprintf(tics + t, t < sizeof tics ? sizeof tics - t : 0, "%s'%s' %d",
                          nc ? ", " : "", name, nc);
    nc++;
  }
  int np = 0;
  for (const char *p = plans; *p; p++) np += *p == ' ';
  np++;
  double w = 0.8 / np;
  char plot[3000];
  snprintf(plot, sizeof plot,
           "set title \"%s on %s: energy by component, dense vs searched plans\" noenhanced\n"
           "set xlabel \"component\"\nset ylabel \"energy per inference (mJ)\"\n"
           "set xtics (%s) rotate by -30 noenhanced\nset yrange [0:*]\nset style fill solid 0.8 border -1\n"
           "set boxwidth %.4f\n"
           "plan(i) = word(\"%s\", i)\n"
           "plot for [i=1:%d] 'components.csv' skip 1 using ((strcol(1) eq plan(i)) ? "
           "(int($0) %% %d) - 0.4 + (i - 0.5) * %.4f : NaN):($3*1e3) with boxes title plan(i) "
           "noenhanced\n"
           "set xtics autofreq norotate\nset yrange [*:*]\nunset style fill\nunset boxwidth",
           r->m.name, r->a.name, tics, w, plans, np, nc, w);
  fprintf(f, "set key outside right top box\nset grid\n");
  fig_render(f, "fig_components_energy", plot);
}

int search_write_figures(const search_run *r, heat_error *err) {
  char path[1200];
  snprintf(path, sizeof path, "%s/figures.gp", r->out_dir);
  FILE *f = fopen(path, "w");
  if (!f) return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  fprintf(f, "# Figures of a heat search run; run `gnuplot figures.gp` in this directory.\n"
             "set datafile separator ','\nset datafile missing 'NaN'\n");
  for (size_t i = 0; i < r->n_rows; i++)
    if (!strcmp(r->rows[i]->kind, "searched")) {
      fig_cloud(f, r, r->rows[i]->format, false);
      fig_cloud(f, r, r->rows[i]->format, true);
    }
  char plans[512];
  fig_plan_list(r, plans, sizeof plans);
  fig_layers(f, r, plans);
  fig_components(f, r, plans);
  if (fclose(f) != 0) return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot figures.gp", r->out_dir);
  if (strchr(r->out_dir, '\'')) {
    fprintf(stderr, "heat: warning: figures not rendered: the output directory has a quote\n");
    return HEAT_OK;
  }
  int st = system(cmd);
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127)
    fprintf(stderr, "heat: warning: gnuplot not found: run `gnuplot figures.gp` in %s\n",
            r->out_dir);
  else if (WEXITSTATUS(st) != 0)
    return heat_error_set(err, HEAT_EINTERNAL, path, "gnuplot failed (exit %d)", WEXITSTATUS(st));
  return HEAT_OK;
}
