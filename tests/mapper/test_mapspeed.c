/* The speed-ups of the mapspace search must not change what it finds: the lower bounds are true
 * lower bounds (below every array mapping of a brute-force walk), the pruned search equals the
 * unpruned one (array configurations, batch packing, the SIMD unit), one pass for
 * all objectives equals three single-objective passes, the memo answers as a fresh search (and
 * searches it seeds with the mappings earlier ones met equal fresh ones), and
 * "mappings evaluated" counts the real work (path searches included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/hwpath.h"
#include "mapper/layer.h"
#include "test_archs.h"

static const char *const presets[] = {"simba-l", "tpu-32", "edge-16", "eyeriss-like",
                                      "cloud-128"};
#define N_PRESETS (sizeof presets / sizeof presets[0])

static uint64_t rng = 88172645463325252ull;
static int64_t pick(int64_t lo, int64_t hi) { return test_pick(&rng, lo, hi); }

/* A small random step (so the brute force stays fast), sometimes with operands on chip or
 * permuted, and options that vary timing and memory stalls. */
static void random_case(const arch *a, map_problem *p, map_options *opt) {
  static const int64_t sizes[] = {1, 2, 3, 7, 12, 16, 33, 64, 96, 130, 256, 384};
  map_problem_gemm(p, pick(1, 3) == 1 ? pick(2, 40) : 1, sizes[pick(0, 11)], sizes[pick(0, 11)],
                   sizes[pick(0, 11)]);
  for (int op = 0; op < MAP_OPS; op++) p->on_chip[op] = pick(0, 5) == 0;
  p->permuted[0] = pick(0, 3) == 0;
  p->permuted[1] = pick(0, 3) == 0;
  map_options_init(opt, a);
  if (pick(0, 2) == 0) opt->timing = FOLD_TIMING_SCALESIM;
  opt->memory_stalls = pick(0, 4) != 0;
}

static const int orders[6][3] = {
    {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {MAP_DIM_N, MAP_DIM_M, MAP_DIM_K},
    {MAP_DIM_M, MAP_DIM_K, MAP_DIM_N}, {MAP_DIM_K, MAP_DIM_M, MAP_DIM_N},
    {MAP_DIM_N, MAP_DIM_K, MAP_DIM_M}, {MAP_DIM_K, MAP_DIM_N, MAP_DIM_M},
};

/* Every array mapping (one batch element per fold) priced with map_eval; checks that
 * map_step_bound is below every one's cost. Returns how many mappings fit. */
static int64_t brute_force(const arch *a_in, const map_problem *p, const map_options *opt,
                           map_result *best) {
  arch a;
  map_effective_arch(a_in, opt, &a);
  map_cost lb;
  map_step_bound(a_in, p, opt, &lb);
  int64_t n = 0;
  heat_error err;
  for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++) {
    if (!fold_dataflow_supported(&a.array, (arch_dataflow)df)) continue;
    int64_t cand[MAP_DIMS][MAP_MAX_CANDIDATES];
    int nc[MAP_DIMS];
    for (int d = 0; d < MAP_DIMS; d++) {
      /* The same units as the search: the brute force shares only map_tile_candidates. */
      int64_t unit = 1;
      int64_t r = a.array.kind == ARCH_ARRAY_VECTOR ? a.array.width : a.array.rows;
      int64_t c = a.array.kind == ARCH_ARRAY_VECTOR ? a.array.lanes : a.array.cols;
      if (df == ARCH_DATAFLOW_OS && a.array.kind != ARCH_ARRAY_VECTOR)
        unit = d == MAP_DIM_M ? r : d == MAP_DIM_N ? c : 1;
      else if (df == ARCH_DATAFLOW_OS || df == ARCH_DATAFLOW_WS)
        unit = d == MAP_DIM_K ? r : d == MAP_DIM_N ? c : 1;
      else
        unit = d == MAP_DIM_K ? r : d == MAP_DIM_M ? c : 1;
      nc[d] = map_tile_candidates(p->dim[d], unit, cand[d], MAP_MAX_CANDIDATES);
    }
    map_mapping m;
    memset(&m, 0, sizeof m);
    m.unit = MAP_UNIT_ARRAY;
    m.dataflow = (arch_dataflow)df;
    int i[MAP_DIMS];
    for (i[0] = 0; i[0] < nc[0]; i[0]++)
      for (i[1] = 0; i[1] < nc[1]; i[1]++)
        for (i[2] = 0; i[2] < nc[2]; i[2]++)
          for (i[3] = 0; i[3] < nc[3]; i[3]++)
            for (size_t bi = 0; bi < a.n_buffers; bi++)
              for (size_t bw = 0; bw < a.n_buffers; bw++)
                for (size_t bo = 0; bo < a.n_buffers; bo++)
                  for (int o = 0; o < 6; o++) {
                    for (int d = 0; d < MAP_DIMS; d++) m.tile[d] = cand[d][i[d]];
                    m.buffer[0] = (int)bi;
                    m.buffer[1] = (int)bw;
                    m.buffer[2] = (int)bo;
                    memcpy(m.order, orders[o], sizeof m.order);
                    map_cost c;
                    if (map_eval(&a, p, opt, &m, &c, &err) != HEAT_OK) continue;
                    assert_true(lb.cycles <= c.cycles);
                    assert_true(lb.energy_j <= c.energy_j);
                    assert_true(lb.edp_js <= c.edp_js);
                    assert_true(lb.dram_bytes <= c.dram_bytes);
                    if (n == 0 || map_cost_better(opt->objective, &c, &best->cost)) {
                      best->mapping = m;
                      best->cost = c;
                    }
                    n++;
                  }
  }
  return n;
}

static bool same_result(const map_result *x, const map_result *y) {
  const map_mapping *a = &x->mapping, *b = &y->mapping;
  return a->dataflow == b->dataflow && memcmp(a->tile, b->tile, sizeof a->tile) == 0 &&
         memcmp(a->order, b->order, sizeof a->order) == 0 &&
         memcmp(a->buffer, b->buffer, sizeof a->buffer) == 0 &&
         memcmp(&x->cost, &y->cost, sizeof x->cost) == 0;
}

/* The pruned search returns exactly the unpruned search's mapping and cost, on every preset,
 * for every objective; the step bound is below every array mapping (checked in brute_force) and
 * below what the search finds (the SIMD unit included). */
static void pruned_search_equals_unpruned(void **state) {
  (void)state;
  int pruned_some = 0;
  for (size_t k = 0; k < N_PRESETS; k++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[k], &a, &err), HEAT_OK);
    for (int t = 0; t < 5; t++) {
      map_problem p;
      map_options opt;
      random_case(&a, &p, &opt);
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        map_result r, bf, full;
        int rc = map_search(&a, &p, &opt, ws, &r, &err);
        int64_t n = brute_force(&a, &p, &opt, &bf);
        assert_int_equal(map_search_unpruned(&a, &p, &opt, ws, &full, &err), rc);
        if (rc != HEAT_OK) {
          assert_int_equal(n, 0);
          continue;
        }
        map_cost lb;
        map_step_bound(&a, &p, &opt, &lb);
        assert_true(lb.cycles <= r.cost.cycles && lb.energy_j <= r.cost.energy_j);
        assert_true(!map_cost_better(opt.objective, &bf.cost, &r.cost) || n == 0);
        if (!same_result(&r, &full))
          fail_msg("%s B%lld M%lld K%lld N%lld objective %s: pruned search differs",
                   presets[k], (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2],
                   (long long)p.dim[3], map_objective_name(opt.objective));
        assert_true(r.evaluated >= 1 && r.evaluated <= full.evaluated);
        pruned_some += r.pruned > 0;
      }
    }
  }
  assert_true(pruned_some > 0); /* the bound does prune */
}

/* The lower bounds follow the tile pipeline (MAPPING.md): with every buffer single-buffered
 * (eyeriss-like; tpu-32 with its double buffering turned off) each tile's transfers wait for
 * the fold before, so the step bound adds compute and compulsory DRAM time instead of taking
 * the larger (the search's per-tiling and per-order bounds likewise, with the first load and
 * last store on top where buffers double-buffer, and each assignment's own bound: its buffers'
 * energies and the tile pipeline at raw transfer bytes). Still below every mapping (brute
 * force), and the pruned search still equals the unpruned one, on these archs and mixed ones. */
static void pipeline_bounds_hold(void **state) {
  (void)state;
  static const char *const names[] = {"eyeriss-like", "tpu-32", "edge-16", "tpu-32"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(names[k], &a, &err), HEAT_OK);
    bool single = k == 0 || k == 1;
    if (k == 1)
      for (size_t j = 0; j < a.n_buffers; j++) a.buffers[j].double_buffered = false;
    for (int t = 0; t < 6; t++) {
      map_problem p;
      map_options opt;
      random_case(&a, &p, &opt);
      if (k == 1) opt.timing = FOLD_TIMING_SCALESIM; /* overlap needs double-buffered weights */
      map_cost lb;
      map_step_bound(&a, &p, &opt, &lb);
      if (single && opt.memory_stalls) {
        double macs = (double)p.dim[0] * p.dim[1] * p.dim[2] * p.dim[3], bytes = 0;
        if (!p.on_chip[MAP_OP_INPUT]) bytes += (double)p.dim[0] * p.dim[1] * p.dim[2] * a.input_bits / 8;
        if (!p.on_chip[MAP_OP_WEIGHT]) bytes += (double)p.dim[0] * p.dim[2] * p.dim[3] * a.weight_bits / 8;
        if (!p.on_chip[MAP_OP_OUTPUT]) bytes += (double)p.dim[0] * p.dim[1] * p.dim[3] * a.input_bits / 8;
        /* The DRAM latency only behind a load (a step with input and weight on chip loads
         * nothing before its first fold: tile.c). */
        double lat = p.on_chip[MAP_OP_INPUT] && p.on_chip[MAP_OP_WEIGHT]
                         ? 0
                         : a.dram.latency_ns * a.clock_ghz;
        double serial = lat + macs / (double)arch_peak_macs_per_cycle(&a) +
                        bytes / (a.dram.gbps / a.clock_ghz);
        double simd = lat + macs * a.simd.cycles_mul / a.simd.lanes +
                      bytes / (a.dram.gbps / a.clock_ghz);
        assert_true(lb.cycles >= floor(fmin(serial, simd) * (1 - 1e-9)));
      }
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        map_result r, bf, full;
        int rc = map_search(&a, &p, &opt, ws, &r, &err);
        int64_t n = brute_force(&a, &p, &opt, &bf); /* asserts the step bound per mapping */
        assert_int_equal(map_search_unpruned(&a, &p, &opt, ws, &full, &err), rc);
        if (rc != HEAT_OK) {
          assert_int_equal(n, 0);
          continue;
        }
        if (!same_result(&r, &full))
          fail_msg("%s B%lld M%lld K%lld N%lld objective %s: pruned search differs", names[k],
                   (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2],
                   (long long)p.dim[3], map_objective_name(opt.objective));
      }
    }
  }
}

/* The bounds are tight enough to skip most of the mapspace: on BERT-base's GEMMs (a linear,
 * an FFN linear, the per-head attention score) on archs of each buffering kind, a
 * single-objective search prices at most 5% of the mappings the unpruned search prices (4.2%;
 * with bounds that ignored the tile pipeline's per-tile waits, 7.9%). */
static void bounds_skip_most_mappings(void **state) {
  (void)state;
  static const char *const names[] = {"simba-l", "tpu-32", "eyeriss-like"};
  static const int64_t gemms[][4] = {{1, 384, 768, 768}, {1, 384, 768, 3072}, {12, 384, 64, 384}};
  int64_t pruned_work = 0, full_work = 0;
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(names[k], &a, &err), HEAT_OK);
    for (size_t g = 0; g < sizeof gemms / sizeof gemms[0]; g++) {
      map_problem p;
      map_problem_gemm(&p, gemms[g][0], gemms[g][1], gemms[g][2], gemms[g][3]);
      map_options opt;
      map_options_init(&opt, &a);
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        map_result r, full;
        assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
        assert_int_equal(map_search_unpruned(&a, &p, &opt, ws, &full, &err), HEAT_OK);
        assert_true(same_result(&r, &full));
        pruned_work += r.evaluated;
        full_work += full.evaluated;
      }
    }
  }
  print_message("pruned searches priced %lld of %lld mappings\n", (long long)pruned_work,
                (long long)full_work);
  assert_true(pruned_work * 20 <= full_work);
}

/* One pass for all objectives gives what three single-objective passes give. */
static void all_objectives_pass_equals_three(void **state) {
  (void)state;
  for (size_t k = 0; k < N_PRESETS; k++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[k], &a, &err), HEAT_OK);
    for (int t = 0; t < 8; t++) {
      map_problem p;
      map_options opt;
      random_case(&a, &p, &opt);
      p.dim[MAP_DIM_M] *= 4; /* larger than the brute force allows */
      map_result all[MAP_OBJECTIVES];
      int rc = map_search_objectives(&a, &p, &opt, 0, ws, all, &err);
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        map_result one;
        assert_int_equal(map_search(&a, &p, &opt, ws, &one, &err), rc);
        if (rc == HEAT_OK) assert_true(same_result(&all[obj], &one));
      }
    }
  }
}

/* map_search_below answers exactly what a full search implies: below the cut, the same mapping
 * and cost; above it, a true lower bound past the cut. Thresholds under, at and over the
 * optimum, with and without the memo. */
static void cut_search_agrees_with_full(void **state) {
  (void)state;
  for (size_t k = 0; k < N_PRESETS; k++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[k], &a, &err), HEAT_OK);
    for (int t = 0; t < 6; t++) {
      map_problem p;
      map_options opt;
      random_case(&a, &p, &opt);
      p.dim[MAP_DIM_M] *= 2;
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        map_result full;
        int rc = map_search_unpruned(&a, &p, &opt, ws, &full, &err);
        double v = rc ? 1 : map_objective_value(opt.objective, &full.cost);
        static const double f[] = {0.3, 0.999, 1.0, 1.5};
        for (int memo = 0; memo < 2; memo++) {
          assert_int_equal(map_workspace_memo(ws, memo), HEAT_OK);
          for (size_t q = 0; q < sizeof f / sizeof f[0]; q++) {
            double base = 0.25 * v, best = base + f[q] * v, bound;
            map_result r;
            bool below;
            int rc2 = map_search_below(&a, &p, &opt, base, best, ws, &r, &below, &bound, &err);
            assert_int_equal(rc2, rc);
            if (rc) continue;
            assert_int_equal(below, base + v <= best);
            if (below) {
              assert_true(same_result(&r, &full));
            } else {
              assert_true(bound <= v);
              assert_true(base + bound > best);
            }
          }
        }
        assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
      }
    }
  }
}

/* Searches seeded by the memo (the best mapping an earlier search of the same problem met, for
 * every objective, cut searches included) return exactly a fresh unpruned search's answer, and
 * the seeds save work: over the cases, the first search of each other objective evaluates
 * fewer mappings seeded than fresh. Each case: a cut search for one objective at a random
 * threshold, then every objective's cut searches over (where a seed can prune more than the
 * cut), at and under the optimum, then full searches. */
static void seeded_searches_equal_fresh(void **state) {
  (void)state;
  int64_t seeded_work = 0, fresh_work = 0;
  for (size_t k = 0; k < N_PRESETS; k++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[k], &a, &err), HEAT_OK);
    for (int t = 0; t < 6; t++) {
      map_problem p;
      map_options opt;
      random_case(&a, &p, &opt);
      p.dim[MAP_DIM_K] *= 2;
      map_result full[MAP_OBJECTIVES];
      int rc = HEAT_OK;
      for (int obj = 0; obj < MAP_OBJECTIVES && !rc; obj++) {
        opt.objective = (map_objective)obj;
        rc = map_search_unpruned(&a, &p, &opt, ws, &full[obj], &err);
      }
      if (rc) continue;
      int first = (int)pick(0, MAP_OBJECTIVES - 1);
      assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
      opt.objective = (map_objective)first;
      double v = map_objective_value(opt.objective, &full[first].cost), bound;
      map_result r;
      bool below;
      assert_int_equal(map_search_below(&a, &p, &opt, 0, v * (0.5 + 0.1 * (double)pick(0, 10)),
                                        ws, &r, &below, &bound, &err),
                       HEAT_OK);
      static const double f[] = {1.5, 1.0, 0.7};
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        double vo = map_objective_value(opt.objective, &full[obj].cost);
        for (size_t q = 0; q < sizeof f / sizeof f[0]; q++) {
          /* Fresh: a memo of its own. */
          map_workspace *fresh = map_workspace_alloc();
          assert_non_null(fresh);
          assert_int_equal(map_workspace_memo(fresh, true), HEAT_OK);
          map_result rf;
          bool below_f;
          double bound_f;
          assert_int_equal(map_search_below(&a, &p, &opt, 0, f[q] * vo, fresh, &rf, &below_f,
                                            &bound_f, &err),
                           HEAT_OK);
          int64_t e0 = ws->evaluated;
          assert_int_equal(
              map_search_below(&a, &p, &opt, 0, f[q] * vo, ws, &r, &below, &bound, &err),
              HEAT_OK);
          if (q == 0 && obj != first) {
            /* The memo knows nothing exact of obj yet (a search without seeds costs as much
             * as a fresh one here): only the seed can save work. */
            seeded_work += ws->evaluated - e0;
            fresh_work += fresh->evaluated;
          }
          map_workspace_free(fresh);
          assert_int_equal(below, vo <= f[q] * vo);
          assert_int_equal(below, below_f);
          if (below) {
            assert_true(same_result(&r, &full[obj]));
            assert_true(same_result(&rf, &full[obj]));
          } else {
            assert_true(bound <= vo && bound > f[q] * vo);
          }
        }
      }
      /* Full searches (one pass for every objective not answered yet) after them. */
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
        if (!same_result(&r, &full[obj]))
          fail_msg("%s B%lld M%lld K%lld N%lld objective %s: the seeded search differs",
                   presets[k], (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2],
                   (long long)p.dim[3], map_objective_name(opt.objective));
      }
      assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
    }
  }
  print_message("seeded searches: %lld mappings evaluated, fresh: %lld\n", (long long)seeded_work,
                (long long)fresh_work);
  assert_true(seeded_work < fresh_work);
}

/* Paths equal step for step. */
static bool same_path(const path *x, const path *y) {
  return x->cost == y->cost && x->n_steps == y->n_steps &&
         memcmp(x->steps, y->steps, y->n_steps * sizeof y->steps[0]) == 0;
}

/* The hardware-aware DP with every speed-up (step bounds, splits priced best-first, searches
 * cut at the best split, bounds learnt in the memo, sub-paths capped at the mapped MAC path's
 * cost) returns exactly the path of the plain DP that prices every split in full: an exhaustive
 * reference over random small factorized layers, each on one preset (all presets covered),
 * some on small arrays, for every objective. A cost cap given outright leaves the path
 * unchanged too: below the optimum (no path within it: the DP runs again without), at it, and
 * above it. Small cases: the plain DP searches every split, and the suite runs under ASan. */
static void hw_dp_pruned_equals_plain(void **state) {
  (void)state;
  static const struct { const char *format, *shape; } nets[] = {
      {"tt", "4x6:6x4"},       {"tt", "2x12:6x4"},    {"tucker", "4x4x6:6x8"},
      {"cp", "4x6:3x8"},       {"ttm", "4x6:6x4"},    {"tucker", "3x8:4x6"},
  };
  static const int64_t tokens[] = {1, 8, 33, 128};
  int64_t plain_searches = 0, fast_searches = 0;
  for (size_t ni = 0; ni < sizeof nets / sizeof nets[0]; ni++) {
    const char *preset = presets[ni % N_PRESETS];
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(preset, &a, &err), HEAT_OK);
    int64_t max_rank = pick(2, 6), n_tokens = tokens[pick(0, 3)]; /* in this order */
    tn_network net;
    assert_int_equal(test_layer_network(nets[ni].format, nets[ni].shape, max_rank, n_tokens, &net,
                                        &err),
                     HEAT_OK);
    map_options opt;
    map_options_init(&opt, &a);
    if (ni % 2) opt.array_rows_override = opt.array_cols_override = pick(1, 8);
    opt.memory_stalls = pick(0, 3) != 0;
    path_options popt;
    path_options_init(&popt);
    popt.precompute = pick(0, 1) ? PATH_PRECOMPUTE_NO_GROWTH : PATH_PRECOMPUTE_NEVER;
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      opt.objective = (map_objective)obj;
      path fast, plain;
      int64_t s0 = ws->searches;
      int rc = hwpath_search(&net, &popt, &a, &opt, ws, &fast, &err);
      fast_searches += ws->searches - s0;
      /* The reference: every split priced by a full search (the memo only repeats them). */
      assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
      hwpath_ctx ctx;
      hwpath_ctx_init(&ctx, &a, &opt, &net, ws);
      path_options ref = popt;
      ref.objective = PATH_OBJECTIVE_CUSTOM;
      ref.step_cost = hwpath_step_cost;
      ref.step_cost_ctx = &ctx;
      s0 = ws->searches;
      assert_int_equal(path_optimize(&net, &ref, &plain, &err), rc);
      plain_searches += ws->searches - s0;
      if (!rc && !same_path(&fast, &plain))
        fail_msg("%s %s %s on %s, objective %s: the pruned DP's path differs (cost %.17g vs "
                 "%.17g)",
                 nets[ni].format, nets[ni].shape, net.expr, preset,
                 map_objective_name(opt.objective), fast.cost, plain.cost);
      /* Caps given outright (with the memo on, as hwpath_search runs). */
      ref.step_cost_bound = hwpath_step_bound;
      ref.step_cost_below = hwpath_step_cost_below;
      static const double caps[] = {0.5, 1.0, 3.0};
      for (size_t q = 0; q < sizeof caps / sizeof caps[0] && !rc && plain.cost > 0; q++) {
        ref.cost_cap = caps[q] * plain.cost;
        path capped;
        assert_int_equal(path_optimize(&net, &ref, &capped, &err), HEAT_OK);
        if (!same_path(&capped, &plain))
          fail_msg("%s on %s, objective %s: the DP capped at %g x the optimum finds another "
                   "path",
                   net.expr, preset, map_objective_name(opt.objective), caps[q]);
      }
      assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
    }
  }
  assert_true(fast_searches < plain_searches); /* the speed-ups do skip searches */
}

/* The memo answers repeats without searching, exactly as a fresh search, and empties itself
 * when the arch changes; the workspace counts the real work. */
static void memo_and_real_counts(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  map_problem p;
  map_problem_gemm(&p, 1, 384, 768, 768);
  map_result fresh[MAP_OBJECTIVES], memo;
  int64_t s0 = ws->searches, e0 = ws->evaluated;
  assert_int_equal(map_search_objectives(&a, &p, &opt, 0, ws, fresh, &err), HEAT_OK);
  assert_int_equal(ws->searches - s0, 1);
  assert_int_equal(ws->evaluated - e0, fresh[0].evaluated);

  assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
  int64_t s1 = ws->searches;
  for (int rep = 0; rep < 2; rep++)
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      opt.objective = (map_objective)obj;
      assert_int_equal(map_search(&a, &p, &opt, ws, &memo, &err), HEAT_OK);
      assert_true(same_result(&memo, &fresh[obj]));
      int status;
      assert_true(map_memo_peek(ws, &a, &opt, &p, &memo, &status));
      assert_int_equal(status, HEAT_OK);
    }
  assert_int_equal(ws->searches - s1, 1); /* one pass served six calls */
  arch b = a;
  b.dram.gbps *= 2; /* another arch: the memo holds nothing for it */
  int status;
  assert_false(map_memo_peek(ws, &b, &opt, &p, &memo, &status));
  b.buffers[1].size_bytes = 16; /* failures are remembered with their error */
  assert_int_equal(map_search(&b, &p, &opt, ws, &memo, &err), HEAT_ENOFIT);
  heat_error err2;
  assert_int_equal(map_search(&b, &p, &opt, ws, &memo, &err2), HEAT_ENOFIT);
  assert_string_equal(err.msg, err2.msg);
  assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
  assert_null(ws->memo);
}

/* With memo_want set, a memoized map_search finds only the objectives asked for (an
 * all-objective pass cannot prune the latency ties of the SIMD unit's tilings: bench_hwpath's
 * one-PE dense BERT-base took 9.3 M mappings with it, 0.9 M without); a later call for another
 * objective searches it then, with the answer a fresh search gives. */
static void memo_want_limits_the_objectives(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("edge-16", &a, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  map_problem p;
  map_problem_gemm(&p, 1, 128, 256, 384);
  map_result fresh[MAP_OBJECTIVES], r;
  assert_int_equal(map_search_objectives(&a, &p, &opt, 0, ws, fresh, &err), HEAT_OK);
  assert_int_equal(map_workspace_memo(ws, true), HEAT_OK);
  ws->memo_want = 1u << MAP_OBJECTIVE_EDP;
  opt.objective = MAP_OBJECTIVE_EDP;
  int64_t s0 = ws->searches;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  assert_true(same_result(&r, &fresh[MAP_OBJECTIVE_EDP]));
  int status;
  map_options lat = opt;
  lat.objective = MAP_OBJECTIVE_LATENCY;
  assert_false(map_memo_peek(ws, &a, &lat, &p, &r, &status));
  assert_int_equal(map_search(&a, &p, &lat, ws, &r, &err), HEAT_OK);
  assert_true(same_result(&r, &fresh[MAP_OBJECTIVE_LATENCY]));
  assert_true(map_memo_peek(ws, &a, &lat, &p, &r, &status));
  assert_int_equal(ws->searches - s0, 2);
  ws->memo_want = 0;
  assert_int_equal(map_workspace_memo(ws, false), HEAT_OK);
}

/* A model layer priced with the hardware-aware path reports the real number of mappings
 * evaluated: its path searches, beyond the searches of the steps it reports. */
static void layer_reports_real_work(void **state) {
  (void)state;
  arch a;
  model m;
  heat_error err;
  assert_int_equal(arch_resolve("simba-l", &a, &err), HEAT_OK);
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  static layer_report rep;
  layer_config cfg;
  layer_config_init(&cfg);
  snprintf(cfg.only, sizeof cfg.only, "ffn1");
  snprintf(cfg.target, sizeof cfg.target, "ffn1");
  cfg.has_format = true;
  cfg.format.format = WL_FORMAT_TUCKER;
  assert_int_equal(wl_shape_parse("12x16x16:8x8x12", "--shape", &cfg.format.shape, &err), HEAT_OK);
  cfg.format.n_ranks = 6;
  for (int k = 0; k < 6; k++) cfg.format.rank[k] = 8;
  int64_t e0 = ws->evaluated;
  assert_int_equal(layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err), HEAT_OK);
  assert_int_equal(rep.evaluated, ws->evaluated - e0);
  int64_t items = 0;
  for (size_t i = 0; i < rep.n_items; i++) items += rep.items[i].result.evaluated;
  assert_true(rep.evaluated > items);
  assert_null(ws->memo); /* the pricing's memo does not outlive it */
}

/* The step bound counts the PEs a GEMM smaller than the array leaves idle (map__array_rate):
 * still below every array mapping (brute force, unpacked), below the search's best for each
 * objective (batch-packed configurations and the SIMD unit included), on every preset, a
 * vector array, resized arrays (options and arch) and 1x1 arrays whose SIMD unit wins, with GEMM extents around
 * the arrays' sizes and batches that pack. And tighter than MACs / peak: B1 M512 K12 N16 on
 * cloud-128's 128 x 128 array does at most 128 x 16 MACs a cycle (M x N output-stationary; 192
 * weight-stationary, 1536 input-stationary), so at least 48 cycles, not 6; and every mapping
 * pays at least one fold's pace and fill and drain (map__array_pace, map__array_fill_drain). */
static void array_rate_bound_holds(void **state) {
  (void)state;
  static const int64_t sizes[] = {1, 2, 3, 4, 5, 8, 12, 16, 31, 64, 129};
  int n_archs = (int)N_PRESETS + 4;
  for (int k = 0; k < n_archs; k++) {
    arch a;
    heat_error err;
    if (k < (int)N_PRESETS) {
      assert_int_equal(arch_resolve(presets[k], &a, &err), HEAT_OK);
    } else if (k == (int)N_PRESETS) {
      test_arch_vector(&a, 8, 16);
    } else {
      assert_int_equal(arch_resolve("edge-16", &a, &err), HEAT_OK);
      if (k == (int)N_PRESETS + 3) arch_set_array(&a, 1, 1);
    }
    for (int t = 0; t < 8; t++) {
      map_problem p;
      map_options opt;
      map_problem_gemm(&p, pick(0, 2) == 0 ? pick(2, 24) : 1, sizes[pick(0, 10)],
                       sizes[pick(0, 10)], sizes[pick(0, 10)]);
      map_options_init(&opt, &a);
      if (pick(0, 2) == 0) opt.timing = FOLD_TIMING_SCALESIM;
      opt.memory_stalls = pick(0, 3) != 0;
      if (k == (int)N_PRESETS + 1) {
        opt.array_rows_override = 1;
        opt.array_cols_override = 1;
      } else if (k == (int)N_PRESETS + 2) {
        opt.array_rows_override = 4;
        opt.array_cols_override = 32;
      }
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        opt.objective = (map_objective)obj;
        map_result r, bf;
        int rc = map_search(&a, &p, &opt, ws, &r, &err);
        int64_t n = brute_force(&a, &p, &opt, &bf); /* asserts the step bound per mapping */
        if (rc != HEAT_OK) {
          assert_int_equal(n, 0);
          continue;
        }
        map_cost lb;
        map_step_bound(&a, &p, &opt, &lb);
        if (!(lb.cycles <= r.cost.cycles && lb.energy_j <= r.cost.energy_j &&
              lb.edp_js <= r.cost.edp_js))
          fail_msg("arch %d B%lld M%lld K%lld N%lld objective %s: bound above the best", k,
                   (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2],
                   (long long)p.dim[3], map_objective_name(opt.objective));
      }
    }
  }
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("cloud-128", &a, &err), HEAT_OK);
  assert_int_equal(a.array.rows, 128);
  assert_int_equal(a.array.cols, 128);
  map_problem p;
  map_options opt;
  map_problem_gemm(&p, 1, 512, 12, 16);
  map_options_init(&opt, &a);
  opt.memory_stalls = false;
  map_cost lb;
  map_step_bound(&a, &p, &opt, &lb);
  assert_true(lb.cycles >= 48);
  /* A single MAC still takes a fold: a pace of R = 128 cycles and output-stationary's fill and
   * drain of C - 1 (t + R + C - 2 = 255 cycles in all; MACs / peak said 1), on the array
   * alone (the SIMD unit's bound is lower). */
  a.simd.lanes = 0;
  map_problem_gemm(&p, 1, 1, 1, 1);
  map_step_bound(&a, &p, &opt, &lb);
  assert_true(lb.cycles >= 254);
  map_result r;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  assert_true(lb.cycles <= r.cost.cycles && r.cost.cycles <= 255);
}

/* A step of two tiles whose SRAM port sets its compute and whose second period the two-fold
 * chain sets (simba-l, B1 M6 K16 N384, input and output on chip, latency): the cost model gave
 * back the port's extra cycles of that period twice (once in the odd run's alternation, once
 * in the port give-back), 431 cycles where its own pipeline bound said at least 434, so the
 * pruned search missed the cheaper of two 431-cycle mappings and a cut search returned a
 * "lower bound" above the optimum (found by 200 random cases per preset instead of 5). */
static void port_giveback_counted_once(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("simba-l", &a, &err), HEAT_OK);
  map_problem p;
  map_options opt;
  map_problem_gemm(&p, 1, 6, 16, 384);
  p.on_chip[MAP_OP_INPUT] = p.on_chip[MAP_OP_OUTPUT] = true;
  map_options_init(&opt, &a);
  opt.timing = FOLD_TIMING_OVERLAP;
  opt.memory_stalls = true;
  opt.objective = MAP_OBJECTIVE_LATENCY;
  map_result r, full, cut;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  assert_int_equal(map_search_unpruned(&a, &p, &opt, ws, &full, &err), HEAT_OK);
  assert_true(same_result(&r, &full));
  double v = full.cost.cycles, bound;
  bool below;
  assert_int_equal(map_search_below(&a, &p, &opt, 0, 0.999 * v, ws, &cut, &below, &bound, &err),
                   HEAT_OK);
  assert_false(below);
  assert_true(bound <= v);
}

/* The step bound per dataflow, with the refetches no buffer avoids and SCALE-Sim's fill and
 * drain per fold (map__df_bound_of, map__dram_refetch_bound): still below every array mapping
 * (brute force) and the search's best for each objective, on GEMMs larger than the buffers
 * (presets with their buffers cut to 1/32, so operands come back from DRAM), both timings, with
 * and without stalls, operands on chip. And tight where MACs / rate and compulsory bytes were
 * not: edge-16's B1 M384 K3072 N768 moves 16.8 MB where 3.8 MB are compulsory, and its
 * M1536 K1 N3072 outer product pays a pace of 16 cycles per one-step fold. */
static void refetch_bound_holds(void **state) {
  (void)state;
  static const int64_t sizes[] = {96, 130, 384, 768, 1024};
  for (size_t k = 0; k < N_PRESETS; k++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[k], &a, &err), HEAT_OK);
    for (size_t j = 0; j < a.n_buffers; j++)
      a.buffers[j].size_bytes = a.buffers[j].size_bytes / 32 > 2048 ? a.buffers[j].size_bytes / 32
                                                                   : 2048;
    for (int t = 0; t < 9; t++) {
      map_problem p;
      map_options opt;
      map_problem_gemm(&p, 1, sizes[pick(0, 4)], sizes[pick(0, 4)], sizes[pick(0, 4)]);
      p.on_chip[MAP_OP_INPUT] = t % 3 == 2;
      p.on_chip[MAP_OP_OUTPUT] = t % 5 == 4;
      p.dim[MAP_DIM_B] = t % 7 == 6 ? 3 : 1;
      map_options_init(&opt, &a);
      if (t % 3 == 1) opt.timing = FOLD_TIMING_SCALESIM;
      opt.memory_stalls = t % 3 != 1 || pick(0, 1);
      opt.objective = (map_objective)pick(0, 2);
      map_result r, bf;
      int rc = map_search(&a, &p, &opt, ws, &r, &err);
      int64_t n = brute_force(&a, &p, &opt, &bf); /* asserts the bound per mapping */
      if (rc != HEAT_OK) {
        if (n) fail_msg("%s B%lld M%lld K%lld N%lld: the search failed (%s), %lld mappings fit",
                        presets[k], (long long)p.dim[0], (long long)p.dim[1],
                        (long long)p.dim[2], (long long)p.dim[3], err.msg, (long long)n);
        continue;
      }
      map_cost lb;
      map_step_bound(&a, &p, &opt, &lb);
      assert_true(lb.cycles <= r.cost.cycles && lb.energy_j <= r.cost.energy_j &&
                  lb.edp_js <= r.cost.edp_js && lb.dram_bytes <= r.cost.dram_bytes);
    }
  }
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("edge-16", &a, &err), HEAT_OK);
  map_problem p;
  map_options opt;
  map_options_init(&opt, &a);
  map_problem_gemm(&p, 1, 384, 3072, 768);
  map_cost lb;
  map_result r;
  map_step_bound(&a, &p, &opt, &lb);
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  double compulsory = 384.0 * 3072 + 3072.0 * 768 + 384.0 * 768;
  assert_true(lb.dram_bytes > 2 * compulsory && lb.dram_bytes <= r.cost.dram_bytes);
  assert_true(lb.energy_j > 0.8 * r.cost.energy_j);
  map_problem_gemm(&p, 1, 1536, 1, 3072);
  map_step_bound(&a, &p, &opt, &lb);
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  assert_true(lb.cycles > 0.95 * r.cost.cycles && lb.cycles <= r.cost.cycles);
}

/* The step bound follows the options as the search does: a fixed --dataflow bounds that
 * dataflow's mappings alone, and without memory stalls (or with --dataflow, or array only) the
 * SIMD unit is not tried, so it does not lower the bound. On cloud-128's 128 x 128 array one
 * MAC takes an output-stationary fold of t + R + C - 2 = 255 cycles, a weight-stationary one
 * 2R + C + t - 2 = 383. */
static void step_bound_follows_the_options(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("cloud-128", &a, &err), HEAT_OK);
  map_problem p;
  map_options opt;
  map_problem_gemm(&p, 1, 1, 1, 1);
  map_options_init(&opt, &a);
  opt.memory_stalls = false;
  map_cost any, ws_only;
  map_result r;
  map_step_bound(&a, &p, &opt, &any);
  opt.dataflows = 1u << ARCH_DATAFLOW_WS;
  map_step_bound(&a, &p, &opt, &ws_only);
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  assert_true(any.cycles <= 255 && ws_only.cycles >= 383 && ws_only.cycles <= r.cost.cycles);
  /* A 1x1 array whose SIMD unit would win: with stalls the bound allows the SIMD unit,
   * without them the array alone (one MAC a cycle). */
  arch_set_array(&a, 1, 1);
  a.simd.lanes = 64;
  arch_update_static(&a);
  map_problem_gemm(&p, 1, 64, 64, 64);
  map_options_init(&opt, &a);
  map_cost stalls, no_stalls;
  map_step_bound(&a, &p, &opt, &stalls);
  opt.memory_stalls = false;
  map_step_bound(&a, &p, &opt, &no_stalls);
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  assert_true(no_stalls.cycles >= 64.0 * 64 * 64 && no_stalls.cycles <= r.cost.cycles);
  assert_true(stalls.cycles < 64.0 * 64 * 64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pruned_search_equals_unpruned),
      cmocka_unit_test(pipeline_bounds_hold),
      cmocka_unit_test(bounds_skip_most_mappings),
      cmocka_unit_test(all_objectives_pass_equals_three),
      cmocka_unit_test(memo_and_real_counts),
      cmocka_unit_test(memo_want_limits_the_objectives),
      cmocka_unit_test(cut_search_agrees_with_full),
      cmocka_unit_test(seeded_searches_equal_fresh),
      cmocka_unit_test(hw_dp_pruned_equals_plain),
      cmocka_unit_test(layer_reports_real_work),
      cmocka_unit_test(array_rate_bound_holds),
      cmocka_unit_test(refetch_bound_holds),
      cmocka_unit_test(port_giveback_counted_once),
      cmocka_unit_test(step_bound_follows_the_options),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
