/* Decomposition plans: for every linear weight of a model (block layer x role q, k, v, o, ffn1,
 * ffn2) its format (dense allowed), shape, ranks, contraction-path mode and pre-computation, and
 * the figures the plan was chosen with. Plans are JSON files with a versioned schema
 * (search/PLAN.md); this module reads, checks against a model, and writes them. */
#ifndef HEAT_PLAN_H
#define HEAT_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/heat_error.h"
#include "mapper/layer.h"
#include "workloads/format.h"
#include "workloads/model.h"
#include "workloads/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAN_SCHEMA_VERSION 1
#define PLAN_MAX_LAYERS 64
#define PLAN_ROLES WL_BERT_ROLES /* q, k, v, o, ffn1, ffn2: the linears of every block */
#define PLAN_TEXT_MAX 256

typedef struct plan_weight {
  wl_layer fmt;                /* WL_FORMAT_DENSE: the weight is kept dense */
  layer_path_mode path;        /* how its contraction path is chosen */
  path_precompute precompute;  /* which weight-only parts are folded offline */
  double rel_error;            /* ε it was chosen with; < 0 when unknown */
} plan_weight;

/* The figures a plan was chosen with (all < 0 when unknown). */
typedef struct plan_figures {
  double params, rel_error, latency_s, energy_j, edp_js;
} plan_figures;

typedef struct plan {
  char model[PLAN_TEXT_MAX];   /* preset name or file */
  char arch[PLAN_TEXT_MAX];    /* preset name or file it was chosen for ("" = not said) */
  char weights[PLAN_TEXT_MAX]; /* what ε was measured on ("synthetic(...)" or a file) */
  char note[PLAN_TEXT_MAX];    /* free text: how the plan was made */
  int64_t seq;                 /* sequence length it was chosen at (0 = the model's) */
  size_t layers;
  plan_weight w[PLAN_MAX_LAYERS][PLAN_ROLES];
  plan_figures figures;
} plan;

/* Every weight dense (hw path, no-growth precompute), figures unknown. HEAT_ERANGE when the
 * model has more than PLAN_MAX_LAYERS blocks. */
int plan_init_dense(plan *p, const model *m, heat_error *err);

/* Parses a plan file (schema checks only: keys, types, format names, shape syntax). Errors name
 * file:line and the field ("linears[3].role"). */
int plan_read_file(const char *path, plan *out, heat_error *err);
int plan_read_string(const char *text, size_t len, const char *origin, plan *out,
                     heat_error *err);

/* Checks a plan against a model: layer count, each weight's shape against the linear's
 * out x in, rank counts and bounds. `origin` (the file) prefixes messages. */
int plan_check(const plan *p, const model *m, const char *origin, heat_error *err);

/* Writes the plan as JSON (schema PLAN_SCHEMA_VERSION), every weight listed, with its hf_name
 * and its stored parameters. */
void plan_write(FILE *out, const plan *p, const model *m);
int plan_write_file(const char *path, const plan *p, const model *m, heat_error *err);

/* Stored parameters of the model under the plan (embeddings, norms and biases included). */
int64_t plan_params(const plan *p, const model *m);

/* The (out, in) of a role's linear in m. */
void plan_role_dims(const model *m, int role, int64_t *out_features, int64_t *in_features);

#ifdef __cplusplus
}
#endif
#endif
