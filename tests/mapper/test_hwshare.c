/* The hardware-aware path for several objectives at once (issue 8, section 8): the DP that
 * searches its steps for all three objectives (hwpath_optimize_shared) and the DPs of the other
 * objectives capped by the paths already known (hwpath_search_known), with the steps' bounds
 * kept between the DPs (hwpath_bounds) and splits screened by their GEMM view's bound, find
 * exactly the paths of hwpath_optimize and hwpath_search, with fewer searches; a layer whose
 * linear has one way to contract (two operands) prices --path hw as --path mac does, without a
 * path search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/hwpath.h"
#include "mapper/layer.h"
#include "test_archs.h"

static const char *const presets[] = {"simba-l", "tpu-32", "edge-16", "eyeriss-like",
                                      "cloud-128"};
#define N_PRESETS (sizeof presets / sizeof presets[0])

static uint64_t rng = 2463534242ull;
static int64_t pick(int64_t lo, int64_t hi) { return test_pick(&rng, lo, hi); }

static bool same_path(const path *x, const path *y) {
  return x->cost == y->cost && x->n_steps == y->n_steps &&
         x->n_precomputed == y->n_precomputed &&
         memcmp(x->steps, y->steps, y->n_steps * sizeof y->steps[0]) == 0;
}

static hwpath_result plain_hr, shared_hr;

/* Random small factorized layers on every preset, every objective first: the shared DP's MAC
 * and hardware-aware paths equal hwpath_optimize's, and each other objective's path from
 * hwpath_search_known (given the MAC path and the paths found so far) equals hwpath_search's,
 * each reference run with a fresh memo. The shared runs search less in total. */
static void shared_paths_equal_plain(void **state) {
  (void)state;
  static const struct { const char *format, *shape; } nets[] = {
      {"tt", "4x6:6x4"},   {"tt", "2x12:6x4"},  {"tucker", "4x4x6:6x8"}, {"cp", "4x6:3x8"},
      {"ttm", "4x6:6x4"}, {"tucker", "3x8:4x6"}, {"tt", "4x4x6:6x4x2"},  {"cp", "8x12:4x4"},
  };
  static const int64_t tokens[] = {1, 8, 33, 128};
  int64_t plain_searches = 0, shared_searches = 0;
  for (size_t ni = 0; ni < sizeof nets / sizeof nets[0]; ni++) {
    const char *preset = presets[ni % N_PRESETS];
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(preset, &a, &err), HEAT_OK);
    int64_t max_rank = pick(2, 8), n_tokens = tokens[pick(0, 3)]; /* in this order */
    tn_network net;
    assert_int_equal(test_layer_network(nets[ni].format, nets[ni].shape, max_rank, n_tokens, &net,
                                        &err),
                     HEAT_OK);
    path_options popt;
    path_options_init(&popt);
    popt.precompute = pick(0, 1) ? PATH_PRECOMPUTE_NO_GROWTH : PATH_PRECOMPUTE_NEVER;
    for (int first = 0; first < MAP_OBJECTIVES; first++) {
      map_options opt;
      map_options_init(&opt, &a);
      opt.memory_stalls = pick(0, 3) != 0;
      opt.objective = (map_objective)first;
      /* The references: each call with a memo of its own. */
      int64_t s0 = ws->searches;
      int rc = hwpath_optimize(&net, &popt, &a, &opt, ws, &plain_hr, &err);
      path plain_other[MAP_OBJECTIVES];
      for (int obj = 0; obj < MAP_OBJECTIVES && !rc; obj++) {
        if (obj == first) continue;
        map_options o = opt;
        o.objective = (map_objective)obj;
        assert_int_equal(hwpath_search(&net, &popt, &a, &o, ws, &plain_other[obj], &err),
                         HEAT_OK);
      }
      plain_searches += ws->searches - s0;
      /* The shared runs: one memo for all, as layer.c keeps it, and the bounds kept between
       * the DPs (or none: what an allocation failure leaves). */
      assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
      hwpath_bounds *bounds = first == 2 ? NULL : hwpath_bounds_alloc();
      assert_true(first == 2 || bounds);
      s0 = ws->searches;
      assert_int_equal(
          hwpath_optimize_shared(&net, &popt, &a, &opt, ws, bounds, &shared_hr, &err), rc);
      const path *known[4] = {&shared_hr.mac_path, &shared_hr.hw_path};
      size_t n_known = 2;
      path other[MAP_OBJECTIVES];
      for (int obj = 0; obj < MAP_OBJECTIVES && !rc; obj++) {
        if (obj == first) continue;
        map_options o = opt;
        o.objective = (map_objective)obj;
        assert_int_equal(hwpath_search_known(&net, &popt, &a, &o, ws, bounds, known, n_known,
                                             &other[obj], &err),
                         HEAT_OK);
        known[n_known++] = &other[obj];
        if (!same_path(&other[obj], &plain_other[obj]))
          fail_msg("%s on %s: objective %s after %s: the capped shared DP finds another path",
                   net.expr, preset, map_objective_name((map_objective)obj),
                   map_objective_name(opt.objective));
      }
      shared_searches += ws->searches - s0;
      hwpath_bounds_free(bounds);
      assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
      if (rc) continue;
      if (!same_path(&shared_hr.mac_path, &plain_hr.mac_path) ||
          !same_path(&shared_hr.hw_path, &plain_hr.hw_path))
        fail_msg("%s on %s, objective %s: the shared DP finds another path", net.expr, preset,
                 map_objective_name(opt.objective));
      assert_int_equal(shared_hr.hw_better, plain_hr.hw_better);
      /* The same costs (the work counts differ: the memo answers repeats). */
      shared_hr.chosen_cost.evaluated = plain_hr.chosen_cost.evaluated = 0;
      assert_memory_equal(&shared_hr.chosen_cost, &plain_hr.chosen_cost,
                          sizeof shared_hr.chosen_cost);
    }
  }
  print_message("searches: shared %lld, plain %lld\n", (long long)shared_searches,
                (long long)plain_searches);
  assert_true(shared_searches < plain_searches);
}

/* A cost cap with a retry cap: below the optimum, at it and above it (retry below it too, then
 * the DP runs uncapped), the path is the plain DP's. */
static void retry_cap_keeps_the_path(void **state) {
  (void)state;
  static const char *const shapes[] = {"4x6:6x4", "4x4x6:6x8", "2x12:6x4"};
  static const char *const formats[] = {"tt", "tucker", "cp"};
  for (size_t ni = 0; ni < 3; ni++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[ni + 1], &a, &err), HEAT_OK);
    wl_layer l;
    memset(&l, 0, sizeof l);
    assert_int_equal(wl_format_parse(formats[ni], "format", &l.format, &err), HEAT_OK);
    assert_int_equal(wl_shape_parse(shapes[ni], "shape", &l.shape, &err), HEAT_OK);
    l.n_ranks = wl_layer_rank_count(&l);
    wl_layer_clip_ranks(&l, 4);
    tn_network net;
    assert_int_equal(wl_layer_network(&l, 64, &net, &err), HEAT_OK);
    map_options opt;
    map_options_init(&opt, &a);
    assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
    hwpath_ctx ctx;
    hwpath_ctx_init(&ctx, &a, &opt, &net, ws);
    path_options ref;
    path_options_init(&ref);
    ref.objective = PATH_OBJECTIVE_CUSTOM;
    ref.step_cost = hwpath_step_cost;
    ref.step_cost_ctx = &ctx;
    path plain, capped;
    assert_int_equal(path_optimize(&net, &ref, &plain, &err), HEAT_OK);
    ref.step_cost_bound = hwpath_step_bound;
    static const double caps[][2] = {{0.5, 0.9}, {0.5, 1.0}, {0.5, 2.0}, {1.0, 2.0}, {3.0, 4.0}};
    for (size_t q = 0; q < sizeof caps / sizeof caps[0]; q++) {
      ref.cost_cap = caps[q][0] * plain.cost;
      ref.cost_cap_retry = caps[q][1] * plain.cost;
      assert_int_equal(path_optimize(&net, &ref, &capped, &err), HEAT_OK);
      if (!same_path(&capped, &plain))
        fail_msg("%s: caps %g, %g x the optimum: another path", net.expr, caps[q][0], caps[q][1]);
    }
    assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
  }
}

/* The DP with outside bounds (each sub-path dropped when it cannot be completed into a path
 * within the cap): capped at the optimum itself, a hair above and well above it, the path is the
 * plain DP's (every split priced, no bound), on random layers of 5 to 10 operands. */
static void outside_bounds_keep_the_path(void **state) {
  (void)state;
  static const struct { const char *format, *shape; } nets[] = {
      {"tt", "4x4x6:6x4x2"}, {"tucker", "4x4x6:6x8"}, {"cp", "8x12:4x4"},
      {"tt", "2x3x4:4x3x2"}, {"cp", "4x6:3x8"},       {"tucker", "3x8:4x6"},
      {"ttm", "4x6:6x4"},    {"tucker", "2x2x3x4:4x2x2x3"},
  };
  int64_t searches[2] = {0, 0};
  for (size_t ni = 0; ni < sizeof nets / sizeof nets[0]; ni++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[(ni + 2) % N_PRESETS], &a, &err), HEAT_OK);
    wl_layer l;
    memset(&l, 0, sizeof l);
    assert_int_equal(wl_format_parse(nets[ni].format, "format", &l.format, &err), HEAT_OK);
    assert_int_equal(wl_shape_parse(nets[ni].shape, "shape", &l.shape, &err), HEAT_OK);
    l.n_ranks = wl_layer_rank_count(&l);
    wl_layer_clip_ranks(&l, pick(2, 6));
    tn_network net;
    assert_int_equal(wl_layer_network(&l, pick(1, 200), &net, &err), HEAT_OK);
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      map_options opt;
      map_options_init(&opt, &a);
      opt.objective = (map_objective)obj;
      opt.memory_stalls = pick(0, 1) != 0;
      assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
      hwpath_ctx ctx;
      hwpath_ctx_init(&ctx, &a, &opt, &net, ws);
      path_options ref;
      path_options_init(&ref);
      ref.precompute = pick(0, 1) ? PATH_PRECOMPUTE_NO_GROWTH : PATH_PRECOMPUTE_NEVER;
      ref.objective = PATH_OBJECTIVE_CUSTOM;
      ref.step_cost = hwpath_step_cost;
      ref.step_cost_ctx = &ctx;
      path plain, fast;
      int64_t s0 = ws->searches;
      int rc = path_optimize(&net, &ref, &plain, &err);
      searches[0] += ws->searches - s0;
      assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
      if (rc || !hwpath_feasible(&plain) || plain.cost <= 0) continue;
      static const double caps[] = {1.0, 1 + 1e-12, 1.5};
      for (size_t q = 0; q < sizeof caps / sizeof caps[0]; q++) {
        assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
        hwpath_bounds *bounds = hwpath_bounds_alloc();
        assert_non_null(bounds);
        ctx.bounds = bounds;
        path_options o = ref;
        o.step_cost_bound = hwpath_step_bound;
        o.step_cost_bound_gemm = hwpath_step_bound_gemm;
        o.cost_cap = caps[q] * plain.cost;
        s0 = ws->searches;
        assert_int_equal(path_optimize(&net, &o, &fast, &err), HEAT_OK);
        searches[1] += ws->searches - s0;
        if (!same_path(&fast, &plain))
          fail_msg("%s on %s, objective %s, cap %.13g x the optimum: another path", net.expr,
                   a.name, map_objective_name(opt.objective), caps[q]);
        ctx.bounds = NULL;
        hwpath_bounds_free(bounds);
        assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
      }
    }
  }
  print_message("searches: plain %lld, with outside bounds (3 caps) %lld\n",
                (long long)searches[0], (long long)searches[1]);
  assert_true(searches[1] < searches[0]);
}

/* Failures come out the same: a network whose steps cannot be mapped anywhere. */
static void shared_errors_as_plain(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 8, 8);
  a.buffers[0].size_bytes = a.buffers[1].size_bytes = 16; /* no buffer holds a tile */
  map_options opt;
  map_options_init(&opt, &a);
  tn_network net;
  heat_error err, err2;
  assert_int_equal(tn_parse("ab,bc,cd->ad", &net, &err), HEAT_OK);
  assert_int_equal(tn_set_shapes(&net, "64x64,64x64,64x64", "shapes", &err), HEAT_OK);
  assert_int_equal(tn_set_static(&net, "1,2", "static", &err), HEAT_OK);
  path_options popt;
  path_options_init(&popt);
  popt.precompute = PATH_PRECOMPUTE_NEVER;
  int rc = hwpath_optimize(&net, &popt, &a, &opt, ws, &plain_hr, &err);
  assert_int_not_equal(rc, HEAT_OK);
  assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
  hwpath_bounds *bounds = hwpath_bounds_alloc();
  assert_non_null(bounds);
  assert_int_equal(hwpath_optimize_shared(&net, &popt, &a, &opt, ws, bounds, &shared_hr, &err2),
                   rc);
  assert_string_equal(err2.msg, err.msg);
  hwpath_bounds_free(bounds);
  assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
}

/* The kept bounds: below the exact value of every objective before the step is searched, the
 * exact value of every objective once a search for one of them ran (one pass served all). */
static void kept_bounds_exact_after_search(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("edge-16", &a, &err), HEAT_OK);
  tn_network net;
  assert_int_equal(tn_parse("ti,ij,jk->tk", &net, &err), HEAT_OK);
  assert_int_equal(tn_set_shapes(&net, "384x96,96x16,16x768", "shapes", &err), HEAT_OK);
  assert_int_equal(tn_set_static(&net, "1,2", "static", &err), HEAT_OK);
  path_options popt;
  path_options_init(&popt);
  path p;
  assert_int_equal(path_optimize(&net, &popt, &p, &err), HEAT_OK);
  const path_step *st = &p.steps[0];
  assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
  hwpath_bounds *bounds = hwpath_bounds_alloc();
  assert_non_null(bounds);
  map_options opt[MAP_OBJECTIVES];
  hwpath_ctx ctx[MAP_OBJECTIVES];
  double before[MAP_OBJECTIVES];
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    map_options_init(&opt[obj], &a);
    opt[obj].objective = (map_objective)obj;
    hwpath_ctx_init(&ctx[obj], &a, &opt[obj], &net, ws);
    ctx[obj].bounds = bounds;
    before[obj] = hwpath_step_bound(st, &ctx[obj]);
  }
  int64_t s0 = ws->searches;
  double exact = hwpath_step_cost(st, &ctx[MAP_OBJECTIVE_ENERGY]);
  assert_int_equal(ws->searches - s0, 1);
  assert_true(before[MAP_OBJECTIVE_ENERGY] <= exact);
  assert_true(before[MAP_OBJECTIVE_ENERGY] < exact); /* map_step_bound is not exact here */
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    double v = hwpath_step_cost(st, &ctx[obj]); /* from the memo */
    assert_true(before[obj] <= v);
    assert_true(hwpath_step_bound(st, &ctx[obj]) == v);
  }
  assert_int_equal(ws->searches - s0, 1);
  hwpath_bounds_free(bounds);
  assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
}

/* What step_cost_bound_gemm relies on: map_step_bound of a step whose operands need a layout
 * transform is no less than of the same GEMM read as stored (hwpath_step_bound_gemm bounds
 * every layout with the second), and the GEMM view's bound is at most the step's bound. */
static void gemm_bound_holds_for_every_layout(void **state) {
  (void)state;
  static const int64_t dims[][4] = {{1, 384, 768, 64}, {64, 8, 1, 12}, {12, 384, 64, 384},
                                    {1, 3072, 96, 64}, {7, 33, 130, 2}};
  for (size_t pi = 0; pi < N_PRESETS; pi++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[pi], &a, &err), HEAT_OK);
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      map_options opt;
      map_options_init(&opt, &a);
      opt.objective = (map_objective)obj;
      opt.memory_stalls = pi % 2 == 0;
      for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        map_problem p;
        map_problem_gemm(&p, dims[d][0], dims[d][1], dims[d][2], dims[d][3]);
        map_cost plain, perm;
        map_step_bound(&a, &p, &opt, &plain);
        for (int k = 1; k < 4; k++) {
          p.permuted[0] = k & 1;
          p.permuted[1] = (k >> 1) & 1;
          map_step_bound(&a, &p, &opt, &perm);
          assert_true(map_objective_value(opt.objective, &perm) >=
                      map_objective_value(opt.objective, &plain));
        }
        /* The GEMM view's bound: the static lhs alone transposes, as hwpath_problem does. */
        hwpath_ctx ctx;
        tn_network net;
        memset(&net, 0, sizeof net);
        hwpath_ctx_init(&ctx, &a, &opt, &net, ws);
        double g = hwpath_step_bound_gemm(dims[d][0], dims[d][3], dims[d][2], dims[d][1], true,
                                          false, &ctx);
        assert_true(g == map_objective_value(opt.objective, &plain));
      }
    }
  }
}

static layer_report rep_hw, rep_mac;

/* A dense linear has two operands, one way to contract: --path hw prices exactly what --path mac
 * does, with the same searches (no DP, no second objective). */
static void single_path_priced_as_mac(void **state) {
  (void)state;
  for (size_t pi = 0; pi < N_PRESETS; pi++) {
    arch a;
    model m;
    heat_error err;
    assert_int_equal(arch_resolve(presets[pi], &a, &err), HEAT_OK);
    assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
    map_options opt;
    map_options_init(&opt, &a);
    opt.objective = (map_objective)(pi % MAP_OBJECTIVES);
    layer_config cfg;
    layer_config_init(&cfg);
    snprintf(cfg.only, sizeof cfg.only, "ffn1");
    snprintf(cfg.target, sizeof cfg.target, "ffn1");
    cfg.has_format = true;
    cfg.format.format = WL_FORMAT_DENSE;
    cfg.path_mode = LAYER_PATH_MACS;
    assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep_mac, &err), HEAT_OK);
    cfg.path_mode = LAYER_PATH_HARDWARE;
    assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep_hw, &err), HEAT_OK);
    assert_int_equal(rep_hw.n_items, rep_mac.n_items);
    for (size_t i = 0; i < rep_hw.n_items; i++) {
      assert_string_equal(rep_hw.items[i].name, rep_mac.items[i].name);
      assert_memory_equal(&rep_hw.items[i].result, &rep_mac.items[i].result,
                          sizeof rep_hw.items[i].result);
    }
    assert_memory_equal(&rep_hw.total, &rep_mac.total, sizeof rep_hw.total);
    assert_int_equal(rep_hw.evaluated, rep_mac.evaluated);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shared_paths_equal_plain),
      cmocka_unit_test(retry_cap_keeps_the_path),
      cmocka_unit_test(outside_bounds_keep_the_path),
      cmocka_unit_test(shared_errors_as_plain),
      cmocka_unit_test(kept_bounds_exact_after_search),
      cmocka_unit_test(gemm_bound_holds_for_every_layout),
      cmocka_unit_test(single_path_priced_as_mac),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
