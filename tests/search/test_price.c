/* Pricing a model under a plan: the additive per-linear pricing must equal the mapper's own
 * whole-model pricing, and identical linears are priced once. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "search/price.h"

typedef struct fixture {
  arch a;
  model m;
  map_options opt;
  map_workspace *w;
  pricer p;
  plan pl;
  plan_cost cost;
  layer_report rep;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  heat_error err;
  if (!f || arch_resolve("simba-l", &f->a, &err) || model_resolve("bert-base", &f->m, &err))
    return -1;
  map_options_init(&f->opt, &f->a);
  f->w = map_workspace_alloc();
  if (pricer_init(&f->p, &f->a, &f->m, &f->opt, f->w, &err)) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  pricer_free(&f->p);
  map_workspace_free(f->w);
  free(f);
  return 0;
}

static void assert_close(double x, double y) {
  if (fabs(x - y) > 1e-9 * fabs(y)) fail_msg("%.12g != %.12g", x, y);
}

static void dense_plan_is_the_dense_model(void **state) {
  fixture *f = *state;
  heat_error err;
  assert_int_equal(plan_init_dense(&f->pl, &f->m, &err), HEAT_OK);
  assert_int_equal(pricer_plan(&f->p, &f->pl, f->w, &f->cost, &err), HEAT_OK);
  layer_config cfg;
  layer_config_init(&cfg);
  assert_int_equal(layer_price_model(&f->a, &f->m, &cfg, &f->opt, f->w, &f->rep, &err), HEAT_OK);
  assert_close(f->cost.total.latency_s, f->rep.total.latency_s);
  assert_close(f->cost.total.energy_j, f->rep.total.energy_j);
  double comp = 0;
  for (int k = 0; k < PRICE_COMPONENTS; k++) comp += f->cost.total.comp_j[k];
  assert_close(comp, f->rep.total.energy_j);
  assert_int_equal(f->cost.params, 109482240);
  assert_int_equal(f->p.priced, 0);
}

/* Every block's ffn1 in CP: the same as heat map --layer-less --format cp on ffn1. */
static void uniform_plan_matches_the_mapper(void **state) {
  fixture *f = *state;
  heat_error err;
  assert_int_equal(plan_init_dense(&f->pl, &f->m, &err), HEAT_OK);
  wl_layer cp = {.format = WL_FORMAT_CP, .n_ranks = 1, .rank = {120}};
  assert_int_equal(wl_shape_parse("64x48:32x24", "s", &cp.shape, &err), HEAT_OK);
  for (size_t l = 0; l < 12; l++) f->pl.w[l][WL_BERT_FFN1].fmt = cp;
  int64_t before = f->p.priced;
  assert_int_equal(pricer_plan(&f->p, &f->pl, f->w, &f->cost, &err), HEAT_OK);
  assert_int_equal(f->p.priced - before, 1); /* twelve identical linears, one mapper call */
  layer_config cfg;
  layer_config_init(&cfg);
  cfg.has_format = true;
  snprintf(cfg.target, sizeof cfg.target, "ffn1");
  cfg.format = cp;
  assert_int_equal(layer_price_model(&f->a, &f->m, &cfg, &f->opt, f->w, &f->rep, &err), HEAT_OK);
  assert_close(f->cost.total.latency_s, f->rep.total.latency_s);
  assert_close(f->cost.total.energy_j, f->rep.total.energy_j);
  assert_close(f->cost.block[5].latency_s, f->rep.block.latency_s);
}

/* Blocks that differ are priced block by block; the same setting on q and k (same size) once. */
static void mixed_plan_prices_each_setting_once(void **state) {
  fixture *f = *state;
  heat_error err;
  assert_int_equal(plan_init_dense(&f->pl, &f->m, &err), HEAT_OK);
  wl_layer svd = {.format = WL_FORMAT_SVD, .n_ranks = 1, .rank = {64}};
  wl_layer svd2 = svd;
  svd2.rank[0] = 96;
  for (size_t l = 0; l < 12; l++) {
    f->pl.w[l][WL_BERT_Q].fmt = l % 2 ? svd : svd2;
    f->pl.w[l][WL_BERT_K].fmt = svd;
  }
  int64_t before = f->p.priced;
  assert_int_equal(pricer_plan(&f->p, &f->pl, f->w, &f->cost, &err), HEAT_OK);
  assert_int_equal(f->p.priced - before, 2);
  /* blocks 0 and 1 differ only in q's rank */
  assert_true(f->cost.block[0].latency_s != f->cost.block[1].latency_s);
  assert_close(f->cost.block[1].latency_s, f->cost.block[3].latency_s);
  double sum = f->cost.input.latency_s + f->cost.output.latency_s;
  for (size_t l = 0; l < 12; l++) sum += f->cost.block[l].latency_s;
  assert_close(f->cost.total.latency_s, sum);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dense_plan_is_the_dense_model),
      cmocka_unit_test(uniform_plan_matches_the_mapper),
      cmocka_unit_test(mixed_plan_prices_each_setting_once),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
