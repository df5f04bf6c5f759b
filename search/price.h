/* Pricing a model under a plan, block by block.
 *
 * The mapper prices a model as a sequence of operations whose latencies and energies add up
 * (mapper/layer.h). A plan changes only the block linears, so the model under a plan costs
 *   input part + output part + sum over blocks (dense block - its dense linears + the plan's
 *   linears of that block)
 * where each linear (with its bias add) is priced by the mapper alone (layer_price_model with
 * only that operation: hardware-aware path, fused chain). Identical linears - same out x in,
 * tokens, format, shape, ranks, path mode and pre-computation - are priced once, so a plan with a
 * different decomposition in every block costs one mapper call per distinct weight setting. */
#ifndef HEAT_PRICE_H
#define HEAT_PRICE_H

#include "arch/arch.h"
#include "mapper/layer.h"
#include "search/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Energy components: array MACs, array registers, each SRAM buffer (arch order), DRAM, SIMD,
 * leakage. */
#define PRICE_COMP_MAC 0
#define PRICE_COMP_REG 1
#define PRICE_COMP_BUFFER0 2
#define PRICE_COMP_DRAM (PRICE_COMP_BUFFER0 + ARCH_MAX_BUFFERS)
#define PRICE_COMP_SIMD (PRICE_COMP_DRAM + 1)
#define PRICE_COMP_LEAK (PRICE_COMP_DRAM + 2)
#define PRICE_COMPONENTS (PRICE_COMP_LEAK + 1)

typedef struct price_cost {
  double latency_s, energy_j, dram_bytes, macs;
  double comp_j[PRICE_COMPONENTS]; /* energy by component, J */
} price_cost;

static inline double price_edp(const price_cost *c) { return c->energy_j * c->latency_s; }
/* a += times x b */
void price_cost_add(price_cost *a, const price_cost *b, double times);
/* The name of component k on arch a ("mac", "reg", a buffer's name, "dram", "simd", "leakage"),
 * or NULL for an unused buffer slot. */
const char *price_component_name(const arch *a, int k);

/* A linear's setting: what the cost depends on. */
typedef struct price_key {
  int64_t out, in, tokens, count;
  wl_layer fmt;
  int path, precompute;
} price_key;

typedef struct pricer {
  const arch *a; /* with the options' overrides applied by the caller, as map_search needs */
  const model *m;
  map_options opt;
  price_cost input, output, block_dense;   /* dense parts; block_dense is one block */
  price_cost dense_linear[PLAN_ROLES];     /* one dense linear with its bias, one block */
  int64_t role_out[PLAN_ROLES], role_in[PLAN_ROLES], tokens, count;
  /* Cache of priced settings (grows). */
  size_t n_cache, cap;
  price_key *keys;
  price_cost *vals;
  int64_t priced; /* mapper calls made (cache misses) */
} pricer;

/* Prices the dense model and each dense linear. */
int pricer_init(pricer *p, const arch *a, const model *m, const map_options *opt,
                map_workspace *w, heat_error *err);
void pricer_free(pricer *p);

void pricer_key(const pricer *p, int role, const plan_weight *pw, price_key *out);

/* Prices one linear setting with the mapper, no cache: safe to call from several threads with
 * their own workspaces. HEAT_ENOFIT when a step cannot be mapped. */
int pricer_compute(const pricer *p, const price_key *k, map_workspace *w, price_cost *out,
                   heat_error *err);

/* The cached cost of a key, or NULL. */
const price_cost *pricer_lookup(const pricer *p, const price_key *k);
int pricer_insert(pricer *p, const price_key *k, const price_cost *c, heat_error *err);

/* One linear of one block under pw: dense from the dense pricing, others cached/computed. */
int pricer_linear(pricer *p, int role, const plan_weight *pw, map_workspace *w, price_cost *out,
                  heat_error *err);

typedef struct plan_cost {
  price_cost total, input, output;
  price_cost block[PLAN_MAX_LAYERS];
  price_cost linear[PLAN_MAX_LAYERS][PLAN_ROLES];
  size_t layers;
  int64_t params, dense_params;
} plan_cost;

/* The model under the plan (checked with plan_check first). */
int pricer_plan(pricer *p, const plan *pl, map_workspace *w, plan_cost *out, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
