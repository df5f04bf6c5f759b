/* Property tests on seeded random networks: the DP equals an exhaustive enumeration of every
 * contraction sequence (n <= 7) for each objective and pre-computation mode, never loses to the
 * greedy or left-to-right orders, and is deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/path.h"

/* splitmix64: a small seeded generator, so every case can be replayed from its seed. */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}
static int rng_int(uint64_t *s, int lo, int hi) { return lo + (int)(rng_next(s) % (uint64_t)(hi - lo + 1)); }

/* A random network of n operands over up to 8 letters, ranks 0..4, sizes 1..6, a random output
 * (explicit, a subset of the input letters) and random static flags. */
static void random_network(uint64_t seed, size_t n, tn_network *net) {
  uint64_t s = seed;
  char expr[TN_EXPR_MAX] = "", shapes[512] = "";
  int n_letters = rng_int(&s, 2, 8);
  int size[8];
  for (int i = 0; i < n_letters; i++) size[i] = rng_int(&s, 1, 6);
  unsigned used = 0;
  for (size_t op = 0; op < n; op++) {
    int rank = rng_int(&s, 0, 9) == 0 ? 0 : rng_int(&s, 1, 4);
    unsigned taken = 0;
    strcat(expr, op ? "," : "");
    strcat(shapes, op ? "," : "");
    for (int r = 0; r < rank && r < n_letters; r++) {
      int l;
      do l = rng_int(&s, 0, n_letters - 1);
      while (taken >> l & 1);
      taken |= 1u << l;
      char t[16];
      snprintf(t, sizeof t, "%c", 'a' + l);
      strcat(expr, t);
      snprintf(t, sizeof t, "%s%d", r ? "x" : "", size[l]);
      strcat(shapes, t);
    }
    used |= taken;
  }
  strcat(expr, "->");
  for (int l = 0; l < n_letters; l++)
    if ((used >> l & 1) && rng_int(&s, 0, 2) == 0) {
      char t[2] = {(char)('a' + l), '\0'};
      strcat(expr, t);
    }
  heat_error err;
  if (tn_parse(expr, net, &err) || tn_set_shapes(net, shapes, "shapes", &err))
    fail_msg("seed %llu: %s %s: %s", (unsigned long long)seed, expr, shapes, err.msg);
  for (size_t op = 0; op < n; op++) net->is_static[op] = rng_int(&s, 0, 1);
}

/* ---- exhaustive enumeration of contraction sequences ---- */

typedef struct bf_operand {
  uint32_t letters;   /* bit l: letter 'a' + l */
  bool offline_ok;    /* an input static operand or the result of an offline step */
  int64_t leafsum;    /* elements of the inputs folded into it (offline results) */
} bf_operand;

typedef struct bf_best {
  int64_t macs;               /* MACS objective */
  int64_t size, size_macs;    /* SIZE: (largest intermediate, MACs) */
  int64_t write, write_macs;  /* WRITE: (elements written, MACs) */
} bf_best;

typedef struct bf_ctx {
  const tn_network *net;
  uint32_t out;
  path_precompute mode;
  bf_best best;
} bf_ctx;

static int64_t bf_elems(const tn_network *net, uint32_t letters) {
  int64_t e = 1;
  for (; letters; letters &= letters - 1) e *= net->size['a' + __builtin_ctz(letters)];
  return e;
}

/* An offline result may be handed to the online part only if folding it did not grow the
 * stored parameters (no-growth mode). */
static bool bf_can_go_online(const bf_ctx *c, const bf_operand *o) {
  return c->mode != PATH_PRECOMPUTE_NO_GROWTH || o->leafsum == 0 ||
         bf_elems(c->net, o->letters) <= o->leafsum;
}

static void bf_update(bf_ctx *c, int64_t macs, int64_t largest, int64_t written) {
  bf_best *b = &c->best;
  if (macs < b->macs) b->macs = macs;
  if (largest < b->size || (largest == b->size && macs < b->size_macs)) {
    b->size = largest;
    b->size_macs = macs;
  }
  if (written < b->write || (written == b->write && macs < b->write_macs)) {
    b->write = written;
    b->write_macs = macs;
  }
}

static void bf_search(bf_ctx *c, bf_operand *live, size_t n_live, int64_t macs, int64_t largest,
                      int64_t written) {
  if (n_live == 1) {
    if (bf_can_go_online(c, &live[0])) bf_update(c, macs, largest, written);
    return;
  }
  for (size_t i = 0; i < n_live; i++)
    for (size_t j = i + 1; j < n_live; j++) {
      uint32_t others = c->out;
      for (size_t t = 0; t < n_live; t++)
        if (t != i && t != j) others |= live[t].letters;
      uint32_t all = live[i].letters | live[j].letters;
      bf_operand r = {.letters = all & others};
      int64_t step = bf_elems(c->net, all), e = bf_elems(c->net, r.letters);
      bf_operand next[TN_MAX_OPERANDS];
      size_t k = 0;
      for (size_t t = 0; t < n_live; t++)
        if (t != i && t != j) next[k++] = live[t];
      next[k] = r;
      bool offline = c->mode != PATH_PRECOMPUTE_NEVER && live[i].offline_ok && live[j].offline_ok;
      if (offline) {
        next[k].offline_ok = true;
        next[k].leafsum = live[i].leafsum + live[j].leafsum;
        bf_search(c, next, k + 1, macs, largest, written);
      }
      if (bf_can_go_online(c, &live[i]) && bf_can_go_online(c, &live[j])) {
        next[k].offline_ok = false;
        next[k].leafsum = 0;
        bf_search(c, next, k + 1, macs + step, largest > e ? largest : e, written + e);
      }
    }
}

static bf_best brute_force(const tn_network *net, path_precompute mode) {
  bf_ctx c = {.net = net, .mode = mode};
  c.best.macs = c.best.size = c.best.write = INT64_MAX;
  for (const char *p = net->output; *p; p++) c.out |= 1u << (*p - 'a');
  bf_operand live[TN_MAX_OPERANDS];
  for (size_t i = 0; i < net->n_operands; i++) {
    uint32_t m = 0;
    for (const char *p = net->operand[i]; *p; p++) m |= 1u << (*p - 'a');
    live[i].letters = m;
    live[i].offline_ok = net->is_static[i];
    /* An input is stored as given: its leafsum is its own size, so it passes no-growth. */
    live[i].leafsum = net->is_static[i] ? bf_elems(net, m) : 0;
  }
  bf_search(&c, live, net->n_operands, 0, 0, 0);
  return c.best;
}

static path run(const tn_network *net, path_objective obj, path_precompute mode) {
  path_options opt;
  path_options_init(&opt);
  opt.objective = obj;
  opt.precompute = mode;
  path p;
  heat_error err;
  if (path_optimize(net, &opt, &p, &err)) fail_msg("%s: %s", net->expr, err.msg);
  return p;
}

static void check_against_brute_force(uint64_t seed, size_t n, bool all_modes) {
  tn_network net;
  random_network(seed, n, &net);
  bf_best bf = brute_force(&net, PATH_PRECOMPUTE_NEVER);
  path m = run(&net, PATH_OBJECTIVE_MACS, PATH_PRECOMPUTE_NEVER);
  path s = run(&net, PATH_OBJECTIVE_SIZE, PATH_PRECOMPUTE_NEVER);
  path w = run(&net, PATH_OBJECTIVE_WRITE, PATH_PRECOMPUTE_NEVER);
  if (m.total_macs != bf.macs || s.largest_intermediate != bf.size ||
      s.total_macs != bf.size_macs || w.total_written != bf.write ||
      w.total_macs != bf.write_macs)
    fail_msg("seed %llu %s: dp macs %lld size (%lld,%lld) write (%lld,%lld); brute force %lld "
             "(%lld,%lld) (%lld,%lld)",
             (unsigned long long)seed, net.expr, (long long)m.total_macs,
             (long long)s.largest_intermediate, (long long)s.total_macs,
             (long long)w.total_written, (long long)w.total_macs, (long long)bf.macs,
             (long long)bf.size, (long long)bf.size_macs, (long long)bf.write,
             (long long)bf.write_macs);
  if (!all_modes) return;
  for (int mode = PATH_PRECOMPUTE_NO_GROWTH; mode <= PATH_PRECOMPUTE_ALWAYS; mode++) {
    bf_best b = brute_force(&net, (path_precompute)mode);
    path pm = run(&net, PATH_OBJECTIVE_MACS, (path_precompute)mode);
    path ps = run(&net, PATH_OBJECTIVE_SIZE, (path_precompute)mode);
    path pw = run(&net, PATH_OBJECTIVE_WRITE, (path_precompute)mode);
    if (pm.total_macs != b.macs || ps.largest_intermediate != b.size ||
        ps.total_macs != b.size_macs || pw.total_written != b.write ||
        pw.total_macs != b.write_macs)
      fail_msg("seed %llu %s precompute %d: dp macs %lld size (%lld,%lld) write (%lld,%lld); "
               "brute force %lld (%lld,%lld) (%lld,%lld)",
               (unsigned long long)seed, net.expr, mode, (long long)pm.total_macs,
               (long long)ps.largest_intermediate, (long long)ps.total_macs,
               (long long)pw.total_written, (long long)pw.total_macs, (long long)b.macs,
               (long long)b.size, (long long)b.size_macs, (long long)b.write,
               (long long)b.write_macs);
    if (mode == PATH_PRECOMPUTE_NO_GROWTH)
      assert_true(pm.stored_params_after <= pm.stored_params_before);
    for (size_t st = 0; st < pm.n_steps; st++)
      assert_true(st < pm.n_precomputed ? pm.steps[st].is_static : true);
  }
}

static double macs_as_custom(const path_step *st, void *ctx) {
  (void)ctx;
  return (double)st->macs;
}

/* perm[i] names the stored position of the i-th GEMM-layout index, or -1 when absent. */
static void check_perm(const char *stored, const char *x, const char *y, const char *z,
                       const int *perm) {
  char gemm[3 * (TN_MAX_INDICES + 1)];
  snprintf(gemm, sizeof gemm, "%s%s%s", x, y, z);
  for (size_t i = 0; gemm[i]; i++) {
    if (perm[i] < 0)
      assert_null(strchr(stored, gemm[i]));
    else
      assert_int_equal(stored[perm[i]], gemm[i]);
  }
}

static void dp_equals_brute_force_small(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 2000; seed++)
    check_against_brute_force(seed, 2 + (size_t)(seed % 5), true);
}

static void dp_equals_brute_force_seven(void **state) {
  (void)state;
  for (uint64_t seed = 100001; seed <= 100040; seed++) check_against_brute_force(seed, 7, false);
}

static void dp_never_loses_and_is_deterministic(void **state) {
  (void)state;
  for (uint64_t seed = 200001; seed <= 200300; seed++) {
    tn_network net;
    random_network(seed, 2 + (size_t)(seed % 11), &net);
    path_options opt;
    path_options_init(&opt);
    path dp, dp2, greedy, l2r;
    heat_error err;
    assert_int_equal(path_optimize(&net, &opt, &dp, &err), HEAT_OK);
    assert_int_equal(path_optimize(&net, &opt, &dp2, &err), HEAT_OK);
    assert_int_equal(path_greedy(&net, &opt, &greedy, &err), HEAT_OK);
    assert_int_equal(path_left_to_right(&net, &l2r, &err), HEAT_OK);
    assert_true(dp.total_macs <= greedy.total_macs);
    assert_true(dp.total_macs <= l2r.total_macs);
    assert_memory_equal(&dp, &dp2, sizeof dp);
    /* Every step's GEMM view multiplies out to its MACs. */
    for (size_t s = 0; s < dp.n_steps; s++) {
      const path_step *st = &dp.steps[s];
      assert_int_equal(st->B * st->M * st->K * st->N, st->macs);
      check_perm(st->lhs_indices, st->batch, st->m, st->k, st->lhs_perm);
      check_perm(st->rhs_indices, st->batch, st->k, st->n, st->rhs_perm);
    }
    /* The custom objective with cost = MACs reaches the same optimum (n <= 8: it is slower). */
    if (net.n_operands <= 8) {
      opt.objective = PATH_OBJECTIVE_CUSTOM;
      opt.step_cost = macs_as_custom;
      path c;
      assert_int_equal(path_optimize(&net, &opt, &c, &err), HEAT_OK);
      assert_int_equal(c.total_macs, dp.total_macs);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dp_equals_brute_force_small),
      cmocka_unit_test(dp_equals_brute_force_seven),
      cmocka_unit_test(dp_never_loses_and_is_deterministic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
