/* heat search: the run's state shared by the command (cmd_search.c), its tables and files
 * (search_out.c) and its figures (search_figures.c). */
#ifndef HEAT_CLI_SEARCH_OUT_H
#define HEAT_CLI_SEARCH_OUT_H

#include "search/evolve.h"

#define SEARCH_MAX_MANUAL 8
#define SEARCH_MAX_ROWS (1 + SEARCH_MAX_MANUAL + 3 * WL_FORMAT_COUNT)

/* One plan of the summary table: dense, a baseline or a searched plan. */
typedef struct search_row {
  char name[48];   /* "dense", "cp-heuristic", "cp-searched", "manual" */
  char kind[16];   /* dense | manual | heuristic | searched */
  char format[16]; /* the format, "dense" or "mixed" */
  int *genome;
  s2_eval ev;
  plan pl;
  plan_cost pc;
  s2_eval *evals; /* searched rows: every plan level 2 evaluated (owned) */
  size_t n_evals;
  /* The plan on the cycle-level model (search_simulate): its latency and energy, or why not. */
  bool simulated;
  double sim_latency_s, sim_energy_j;
  char sim_why[800];
} search_row;

typedef struct search_run {
  model m;
  arch a, eff;
  map_options opt;
  pricer p;
  l1_config l1c;
  l1_result l1;
  s2_config s2c;
  const char *out_dir;
  size_t n_rows;
  search_row *rows[SEARCH_MAX_ROWS];
  map_workspace *w;
  ckpt *ck; /* the run's checkpoint (NULL: none) */
  int64_t evaluations;
  double seconds;
  bool sim_ran;        /* search_simulate was called (not --no-sim) */
  int64_t sim_linears; /* distinct factorized linears simulated */
  double sim_seconds;
} search_run;

/* Runs every row's plan on the cycle-level SystemC model (cli/sim_plan.h; timing mode): the
 * dense parts once, then each plan's distinct linears not run yet. A plan the model cannot run
 * keeps its reason in sim_why; the search goes on. */
void search_simulate(search_run *r);

/* The accuracy column's name: acc_proxy (the documented proxy of eps) or acc_fitted
 * (--accuracy-data: a line fitted to measured accuracies); never a measured accuracy. */
const char *search_acc_column(const search_run *r);

/* Writes the summary table to `out`; run_info adds what depends on the run rather than the
 * inputs (wall time, cache hits), kept out of the files so they are byte-identical. */
void search_print_summary(FILE *out, const search_run *r, bool run_info);
/* Writes every CSV, the plans (JSON) and summary.txt into r->out_dir. */
int search_write_outputs(const search_run *r, heat_error *err);
/* Writes figures.gp into r->out_dir and runs gnuplot on it (PDF, SVG and PNG). A missing
 * gnuplot is a warning on stderr: the script and the CSVs stay. */
int search_write_figures(const search_run *r, heat_error *err);

#endif
