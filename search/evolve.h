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
 * per-gene mutation. Evaluations run in parallel (OpenMP threads and, under MPI, ranks:
 * search/dist.h); every random draw is made on one thread in a fixed order, the same on every
 * rank, so results are byte-identical for any thread and rank count. */
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
  /* Non-empty: acc_dense and acc_kappa come from a model fitted to measured accuracies
   * (search/accuracy.h) and this says so in every output instead of the proxy's text. */
  char acc_model[240];
} s2_config;

void s2_config_init(s2_config *c);

/* The accuracy model's description (the proxy, or the fitted model), printed in every output
 * that shows acc. */
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

/* The search step by step (GSL's init / iterate / test): init seeds the population;
 * each iterate evaluates one generation, logs it (`log` may be NULL: one CSV row per
 * individual) and breeds the next. */
typedef struct s2_search {
  const s2_config *c;
  const s2_space *s;
  size_t P, W;
  int G, g; /* generations in all, and done */
  uint64_t rng;
  int *pop, *next; /* P x W: the population to evaluate next, and scratch */
  s2_eval *ev;
  size_t *order, *rank;
  s2_result res;
} s2_search;

int s2_search_init(s2_search *q, const s2_config *c, const s2_space *s, heat_error *err);
int s2_search_iterate(s2_search *q, FILE *log, const char *log_label, heat_error *err);
bool s2_search_done(const s2_search *q);
/* Moves the result out (q keeps nothing of it). */
void s2_search_take(s2_search *q, s2_result *out);
void s2_search_free(s2_search *q);

/* Checkpoints (search/checkpoint.h) after any iteration: the generation just evaluated
 * ("l2 <label> gen <g>") and the state to continue from ("l2 <label> state"); then ckpt_tick.
 * restore (right after init) continues from the recorded state when there is one, writing the
 * recorded generations' rows to `log` as iterate would have: the rest of the search and its
 * result are exactly those of an uninterrupted run. A malformed record, or one naming a plan
 * choice outside this search's space, is HEAT_EINVAL naming the checkpoint's file:line. */
int s2_search_record(const s2_search *q, ckpt *ck, const char *label, heat_error *err);
int s2_search_restore(s2_search *q, const ckpt *ck, const char *label, FILE *log,
                      heat_error *err);
/* Under MPI (search/dist.h) rank 0 alone holds the checkpoint: after its restore, this gives
 * every rank its state (a collective; nothing to do in one process). */
int s2_search_share(s2_search *q, heat_error *err);

/* Runs the search (init, iterate until done). */
int s2_run(const s2_config *c, const s2_space *s, FILE *log, const char *log_label,
           s2_result *out, heat_error *err);
void s2_result_free(s2_result *r);

/* A genome as a plan (arch and weights texts filled by the caller). */
void s2_to_plan(const s2_space *s, const int *genome, plan *pl);

#ifdef __cplusplus
}
#endif
#endif
