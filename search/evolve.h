/* Level 2 of the search: an evolutionary search over a plan for one format. Each weight of the
 * model (layer x role) chooses dense or one setting of level 1's chosen shape for its size (any
 * rank of the grid, hardware-aligned ranks included). A plan's latency and energy are the dense
 * model's with each linear's cost replaced (search/price.h); EDP = energy x latency.
 *
 * Accuracy proxy (no retraining is run, so accuracy is not measured): with ε̄ the mean
 * reconstruction error of the model's linear weights weighted by their sizes (dense weights
 * count ε = 0),
 *     acc = max(0, acc_dense - kappa · ε̄)       (monotone: a larger ε never raises acc)
 * with acc_dense = 0.8816 (BERT-base's SQuAD v1.1 F1 in HEAT) and kappa = 0.03 by default: an
 * error of 1 on every weight costs 3 points, the order of what HEAT's distilled models lost
 * (1.05 to 4.75 F1). It is a stand-in to rank plans, not a prediction.
 *
 * Objectives: HEAT's (1 - acc)·EDP^gamma (gamma = 0.25); EDP, latency or energy; or ε̄ (HAT's
 * minimum error under a latency or energy constraint). Budgets (--max-error on ε̄, --max-params,
 * --max-latency, --max-energy) are constraints: a plan meeting them always ranks before one
 * that does not, and those that do not rank by how far they miss.
 *
 * Seeded (splitmix64), generational with elitism, tournament selection, uniform crossover and
 * per-gene mutation. Evaluations run in parallel (OpenMP); every random draw is made on one
 * thread in a fixed order, so results are byte-identical for any thread count. */
#ifndef HEAT_EVOLVE_H
#define HEAT_EVOLVE_H

#include <stdio.h>

#include "search/level1.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum s2_objective {
  S2_OBJ_HEAT = 0,
  S2_OBJ_EDP = 1,
  S2_OBJ_LATENCY = 2,
  S2_OBJ_ENERGY = 3,
  S2_OBJ_ERROR = 4,
} s2_objective;

const char *s2_objective_name(s2_objective o);
int s2_objective_parse(const char *text, const char *what, s2_objective *out, heat_error *err);

typedef struct s2_config {
  s2_objective objective;
  double gamma, acc_dense, acc_kappa;
  double max_error, max_params, max_latency_s, max_energy_j; /* <= 0: no budget */
  int population, generations;
  double crossover; /* probability a child mixes two parents (default 0.9) */
  uint64_t seed;
  int threads;
  bool progress;
} s2_config;

void s2_config_init(s2_config *c);

/* The proxy's description, printed in every output that shows acc. */
void s2_proxy_text(const s2_config *c, char *buf, size_t cap);

typedef struct s2_eval {
  double latency_s, energy_j, edp_js, eps_mean, acc, objective, violation;
  int64_t params;
  bool feasible;
} s2_eval;

/* A genome: per weight (layer * PLAN_ROLES + role) a level-1 point index, or -1 for dense. */
typedef struct s2_space {
  const l1_result *l1;
  const pricer *p;
  size_t n_weights;
  size_t *n_choices;   /* per weight, dense included */
  int **choices;       /* per weight: -1, then point indices by increasing compression */
  size_t *slot;        /* per weight: its index among its size's weights (ε) */
  double dense_latency, dense_energy, weight_elems;
  int64_t dense_params;
} s2_space;

/* The choices of one format (level 1's chosen shape per size). */
int s2_space_init(s2_space *s, const l1_result *l1, const pricer *p, wl_format format,
                  heat_error *err);
void s2_space_free(s2_space *s);

void s2_evaluate(const s2_config *c, const s2_space *s, const int *genome, s2_eval *out);
/* True when a ranks before b. */
bool s2_better(const s2_eval *a, const s2_eval *b);

/* Uniform genome: every weight the same point index of its size's list (rank position k of
 * each size's choices, clipped); k = 0 is dense. */
void s2_uniform(const s2_space *s, size_t k, int *genome);

typedef struct s2_result {
  int *best; /* n_weights */
  s2_eval best_eval;
  int64_t evaluations;
  double *history; /* best objective per generation */
  int generations;
  s2_eval *evals;  /* every evaluation, generation by generation (evaluations of them) */
} s2_result;

/* Runs the search. `log` (may be NULL) gets one CSV row per evaluated individual. */
int s2_run(const s2_config *c, const s2_space *s, FILE *log, const char *log_label,
           s2_result *out, heat_error *err);
void s2_result_free(s2_result *r);

/* A genome as a plan (arch and weights texts filled by the caller). */
void s2_to_plan(const s2_space *s, const int *genome, plan *pl);

#ifdef __cplusplus
}
#endif
#endif
