/* heat search: the run's state shared by the command (cmd_search.c), its tables and files
 * (search_out.c) and its figures (search_figures.c). */
#ifndef HEAT_CLI_SEARCH_OUT_H
#define HEAT_CLI_SEARCH_OUT_H

#include "search/evolve.h"

#define SEARCH_MAX_ROWS (1 + 3 * WL_FORMAT_COUNT)

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
} search_run;

/* Writes the summary table to `out`; run_info adds what depends on the run rather than the
 * inputs (wall time, cache hits), kept out of the files so they are byte-identical. */
void search_print_summary(FILE *out, const search_run *r, bool run_info);
/* Writes every CSV, the plans (JSON) and summary.txt into r->out_dir. */
int search_write_outputs(const search_run *r, heat_error *err);
/* Writes figures.gp into r->out_dir and runs gnuplot on it (PDF, SVG and PNG). A missing
 * gnuplot is a warning on stderr: the script and the CSVs stay. */
int search_write_figures(const search_run *r, heat_error *err);

#endif
