/* Level 1 of the search (HEAT §2.2): for each distinct weight size of the model and each
 * format, the top-K maximum-entropy tensorization shapes and a grid of ranks (plain values and
 * hardware-aligned ones: multiples of the array's rows/lanes and columns/width). Each setting
 * gets
 *   - its cost from the mapper: latency, energy and EDP of the linear in one block
 *     (hardware-aware path, fused chain; search/price.h), cached on disk in a cost table keyed by
 *     the arch description, the map options and heat's cost-model version;
 *   - its reconstruction error ε on every weight of that size (real weights, or one seeded
 *     synthetic matrix per size, labelled so), cached on disk too; svd, tt, ttm and tucker from
 *     unfolding spectra (exact for svd, the TT-SVD/HOSVD bound otherwise), cp by CP-ALS;
 *   - its compression (stored parameters / dense parameters).
 * The 3-objective Pareto front (EDP, ε, compression) is kept per size and format, and one
 * shape is chosen per size and format: HEAT's rule, the lowest-ε setting on the front among
 * those at least as compressed as a target. */
#ifndef HEAT_LEVEL1_H
#define HEAT_LEVEL1_H

#include <stdbool.h>

#include "search/checkpoint.h"
#include "search/price.h"
#include "search/table.h"
#include "workloads/factorize.h"
#include "workloads/synthetic.h"

#ifdef __cplusplus
extern "C" {
#endif

#define L1_MAX_SIZES PLAN_ROLES
#define L1_MAX_RANKS 16

typedef struct l1_config {
  wl_format formats[WL_FORMAT_COUNT];
  size_t n_formats;
  size_t top_shapes;         /* K most uniform shapes per size (default 2) */
  size_t d_min, d_max;       /* factors per side of the shapes (default 2..3; tucker <= 2) */
  double target_compression; /* the shape rule's target (default 0.25) */
  const char *weights;       /* a safetensors checkpoint; NULL: synthetic */
  wl_synthetic synthetic;
  wl_factor_options factor;  /* cp: ALS limits (default 8 sweeps from an SVD start) */
  const char *cache_dir;     /* NULL: no on-disk tables */
  int threads;               /* OpenMP threads (>= 1) */
  bool progress;             /* progress lines on stderr */
  /* The run's checkpoint (NULL: none): every setting priced and every error computed is
   * recorded as it completes ("l1 cost <key>", "l1 eps <key>") and taken from it when there;
   * a pending SIGINT/SIGTERM stops the work between settings with CKPT_EINTR. */
  ckpt *ck;
} l1_config;

void l1_config_init(l1_config *c);

/* The rank grid of a format on an arch: plain values, then aligned ones not already there. */
size_t l1_rank_grid(wl_format f, const arch *a, int64_t *out, size_t cap);

typedef struct l1_size {
  int64_t out, in;
  size_t n_weights;           /* weights of this size in the model */
  int layer[PLAN_MAX_LAYERS * PLAN_ROLES], role[PLAN_MAX_LAYERS * PLAN_ROLES];
} l1_size;

typedef struct l1_point {
  size_t size; /* index into sizes */
  wl_layer fmt;
  int64_t params;
  double compression;
  double eps;      /* mean over the weights of the size */
  size_t eps_at;   /* first of its n_weights per-weight errors in eps_w */
  bool eps_bound;  /* ε is the TT-SVD / HOSVD upper bound */
  bool aligned;    /* a rank from the hardware-aligned values */
  int status;      /* HEAT_OK; HEAT_ENOFIT: the arch cannot hold it; else its pricing failed */
  price_cost cost; /* one linear with its bias, one block */
  bool pareto, chosen_shape;
} l1_point;

typedef struct l1_result {
  size_t n_sizes;
  l1_size sizes[L1_MAX_SIZES];
  size_t n, cap;
  l1_point *pts;
  size_t n_grid;    /* pts[0, n_grid) are the grid; later ones were added (l1_add_point) */
  double *eps_w;    /* per-weight errors (see l1_point.eps_at) */
  size_t n_eps_w;
  bool has_shape[L1_MAX_SIZES][WL_FORMAT_COUNT];
  wl_shape shape[L1_MAX_SIZES][WL_FORMAT_COUNT]; /* the chosen shape */
  char weights[PLAN_TEXT_MAX];                   /* what ε was measured on */
  /* Bookkeeping for the report. */
  int64_t priced, cost_cached, factorized, eps_cached;
  int64_t cost_resumed, eps_resumed; /* taken from the checkpoint */
  stable_state cost_state, eps_state;
  char cost_why[256], eps_why[256], cost_path[1024], eps_path[1024];
} l1_result;

/* The size index of a role, or -1. */
int l1_size_of(const l1_result *r, int64_t out, int64_t in);

/* Runs level 1. p must be initialised (pricer_init); its cache is filled with every priced
 * setting. */
int l1_run(const l1_config *c, pricer *p, l1_result *out, heat_error *err);
void l1_free(l1_result *r);

/* Prices and measures one extra setting (a baseline not on the grid) the same way, appended to
 * r (not on any front). Returns its index in *at. */
int l1_add_point(const l1_config *c, pricer *p, l1_result *r, size_t size, const wl_layer *fmt,
                 size_t *at, heat_error *err);

/* heat's cost-model version (a hash of the mapper, arch and model sources of this build). */
const char *l1_cost_model_version(void);

/* The text key of an arch + map options + workload for the cost table's header. */
void l1_cost_inputs(const pricer *p, char out[17]);

#ifdef __cplusplus
}
#endif
#endif
