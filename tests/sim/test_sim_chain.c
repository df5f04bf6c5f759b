/* Values through chains (sim/check.h): the requantization rule by hand; the plain-C chain
 * reference against a chain written out here with explicit loops; a four-step chain (batch
 * letters, a permuted layout, a handed-on tensor in the weight role) run on the SystemC model
 * for every dataflow of the systolic and the vector arrays with edge tiles, bit-exact; and the
 * check failing when the hand-off is broken (a flipped bit, truncation instead of rounding). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/mapspace.h"
#include "sim/check.h"
#include "sim/sim.h"
#include "tests/sim/sim_session_fixture.h"

static void requantization_rounds_half_away_and_saturates(void **state) {
  (void)state;
  assert_int_equal(chk_requant(5, 1, 8), 3);    /* 2.5 -> 3 */
  assert_int_equal(chk_requant(-5, 1, 8), -3);  /* -2.5 -> -3 */
  assert_int_equal(chk_requant(4, 1, 8), 2);
  assert_int_equal(chk_requant(6, 2, 8), 2);    /* 1.5 -> 2 */
  assert_int_equal(chk_requant(5, 2, 8), 1);    /* 1.25 -> 1 */
  assert_int_equal(chk_requant(-6, 2, 8), -2);
  assert_int_equal(chk_requant(-7, 2, 8), -2);  /* -1.75 -> -2 */
  assert_int_equal(chk_requant(1000, 2, 8), 127);
  assert_int_equal(chk_requant(-1000, 2, 8), -128);
  assert_int_equal(chk_requant(-514, 2, 8), -128); /* -128.5 -> -129 -> saturated */
  assert_int_equal(chk_requant(7, 0, 8), 7);
  assert_int_equal(chk_requant(40000, 0, 16), 32767);
  assert_int_equal(chk_requant(-2048, 12, 8), -1); /* -0.5 -> -1 */
  assert_int_equal(chk_requant(2047, 12, 8), 0);

  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK); /* 8/8/32 bits */
  assert_int_equal(chk_shift(&a, 1), 6);
  assert_int_equal(chk_shift(&a, 2), 7);
  assert_int_equal(chk_shift(&a, 3), 7);   /* ceil(log2 3) = 2 */
  assert_int_equal(chk_shift(&a, 5), 8);   /* 3 -> 2 */
  assert_int_equal(chk_shift(&a, 768), 11); /* 10 -> 5 */
  assert_int_equal(chk_requant_bits(&a), 8);
  assert_int_equal(arch_resolve("eyeriss-like", &a, &err), HEAT_OK); /* 16-bit accumulators */
  assert_int_equal(chk_shift(&a, 768), 8);
  assert_int_equal(arch_resolve("cloud-128", &a, &err), HEAT_OK); /* 16-bit inputs */
  assert_int_equal(chk_requant_bits(&a), 16);
  assert_int_equal(chk_shift(&a, 768), 11);
}

static prog_tensors tensors(int32_t in, const char *li, int32_t w, const char *lw, int32_t out,
                            const char *lo, const char *sizes) {
  prog_tensors t;
  memset(&t, 0, sizeof t);
  t.on = true;
  t.id[0] = in;
  t.id[1] = w;
  t.id[2] = out;
  snprintf(t.idx[0], sizeof t.idx[0], "%s", li);
  snprintf(t.idx[1], sizeof t.idx[1], "%s", lw);
  snprintf(t.idx[2], sizeof t.idx[2], "%s", lo);
  for (const char *s = sizes; *s;) { /* "t:37,i:45" */
    char c = s[0];
    t.size[program_letter_slot(c)] = strtol(s + 2, (char **)&s, 10);
    if (*s == ',') s++;
  }
  return t;
}

static void the_view_follows_the_letters(void **state) {
  (void)state;
  char l[MAP_DIMS][PROG_MAX_INDICES + 1], msg[200];
  int64_t ext[MAP_DIMS];
  const char *field;
  prog_tensors t = tensors(0, "tcd", 1, "dh", 2, "tch", "t:4,c:5,d:6,h:7");
  assert_int_equal(program_tensors_view(&t, NULL, l, ext, msg, sizeof msg, &field), HEAT_OK);
  assert_string_equal(l[MAP_DIM_B], "");
  assert_string_equal(l[MAP_DIM_M], "tc");
  assert_string_equal(l[MAP_DIM_K], "d");
  assert_string_equal(l[MAP_DIM_N], "h");
  assert_true(ext[0] == 1 && ext[1] == 20 && ext[2] == 6 && ext[3] == 7);
  /* Batch letters, and a letter of one operand only summed (the other broadcast). */
  t = tensors(0, "gt", 1, "agx", 2, "gta", "g:3,t:4,a:5,x:2");
  assert_int_equal(program_tensors_view(&t, NULL, l, ext, msg, sizeof msg, &field), HEAT_OK);
  assert_string_equal(l[MAP_DIM_B], "g");
  assert_string_equal(l[MAP_DIM_M], "t");
  assert_string_equal(l[MAP_DIM_K], "x");
  assert_string_equal(l[MAP_DIM_N], "a");
  int64_t dims[MAP_DIMS] = {3, 4, 2, 6};
  assert_int_equal(program_tensors_view(&t, dims, l, ext, msg, sizeof msg, &field), HEAT_EINVAL);
  assert_string_equal(field, "sizes");
  assert_string_equal(msg, "the letters give n = 5 ('a'), the step's dims 6");
  t = tensors(0, "tt", 1, "tk", 2, "t", "t:4,k:2");
  assert_int_equal(program_tensors_view(&t, NULL, l, ext, msg, sizeof msg, &field), HEAT_EINVAL);
  assert_string_equal(msg, "letter 't' twice in the input's letters 'tt'");
  t = tensors(0, "tk", 1, "kn", 2, "tz", "t:4,k:2,n:3,z:1");
  assert_int_equal(program_tensors_view(&t, NULL, l, ext, msg, sizeof msg, &field), HEAT_EINVAL);
  assert_string_equal(msg, "output letter 'z' is in neither operand");
  t = tensors(0, "tk", 1, "kn", 2, "tn", "t:4,k:2");
  assert_int_equal(program_tensors_view(&t, NULL, l, ext, msg, sizeof msg, &field), HEAT_EINVAL);
  assert_string_equal(msg, "letter 'n' of the weight has no size");
}

/* A plain matrix chain y = rq(x A), z = y B written out here with the documented rule. */
static void the_reference_equals_a_chain_written_out(void **state) {
  (void)state;
  enum { T = 5, I = 9, R = 3, O = 4 };
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("simba-l", &a, &err), HEAT_OK); /* accum_bits 24 */
  int16_t x[T * I], A[I * R], B[R * O], y[T * R];
  chk_seed(7, 0, 8, x, T * I);
  chk_seed(7, 1, 8, A, I * R);
  chk_seed(7, 2, 8, B, R * O);
  int s1 = 6 + 2; /* K = 9: ceil(log2 9) = 4, halved: 2 */
  for (int t = 0; t < T; t++)
    for (int r = 0; r < R; r++) {
      int64_t acc = 0;
      for (int i = 0; i < I; i++) acc += x[t * I + i] * A[i * R + r];
      int64_t q = acc >= 0 ? (acc + (1 << (s1 - 1))) >> s1 : -((-acc + (1 << (s1 - 1))) >> s1);
      y[t * R + r] = (int16_t)(q > 127 ? 127 : q < -128 ? -128 : q);
    }
  prog_step st[2];
  memset(st, 0, sizeof st);
  st[0].tensors = tensors(0, "ti", 1, "ir", 3, "tr", "t:5,i:9,r:3");
  st[1].tensors = tensors(3, "tr", 2, "ro", 4, "to", "t:5,r:3,o:4");
  chk_store ref;
  chk_store_init(&ref);
  int32_t acc0[T * R], acc1[T * O];
  assert_int_equal(chk_reference_step(&ref, &a, 7, &st[0], acc0, &err), HEAT_OK);
  assert_int_equal(chk_put_output(&ref, &a, &st[0], 0, acc0, CHK_FAULT_NONE, &err), HEAT_OK);
  const chk_tensor *yt = chk_store_find(&ref, 3);
  assert_non_null(yt);
  assert_memory_equal(yt->v, y, sizeof y);
  assert_int_equal(chk_reference_step(&ref, &a, 7, &st[1], acc1, &err), HEAT_OK);
  int nonzero = 0;
  for (int t = 0; t < T; t++)
    for (int o = 0; o < O; o++) {
      int32_t want = 0;
      for (int r = 0; r < R; r++) want += y[t * R + r] * B[r * O + o];
      assert_int_equal(acc1[t * O + o], want);
      nonzero += want != 0;
    }
  assert_true(nonzero > T * O / 2); /* the chain carries values, not zeros */
  chk_store_free(&ref);
}

static void add_step(program *prog, const arch *a, const map_options *opt, const char *name,
                     const prog_tensors *t) {
  char l[MAP_DIMS][PROG_MAX_INDICES + 1], msg[200];
  int64_t ext[MAP_DIMS];
  const char *field;
  assert_int_equal(program_tensors_view(t, NULL, l, ext, msg, sizeof msg, &field), HEAT_OK);
  map_problem p;
  map_problem_gemm(&p, ext[0], ext[1], ext[2], ext[3]);
  map_result r;
  heat_error err;
  if (map_search(a, &p, opt, ws, &r, &err)) fail_msg("%s: %s", err.where, err.msg);
  if (program_emit_gemm(prog, a, opt, name, 1, &p, &r.mapping, &r.cost, &err))
    fail_msg("%s: %s", err.where, err.msg);
  prog->steps[prog->n_steps - 1].tensors = *t;
}

/* x[t,i] A[i,r] -> y[r,t] (stored transposed); y B[r,o] -> z[t,o]; z D[t,o,g] -> u[t,g] (t a
 * batch letter); E[h,g] u -> v[h,t] (u in the weight role). Sizes are not multiples of the
 * arrays (edge tiles). */
static void build_chain(program *prog, const arch *a, arch_dataflow df) {
  map_options opt;
  map_options_init(&opt, a);
  opt.dataflows = 1u << df;
  program_init(prog);
  const char *sz = "t:37,i:45,r:13,o:29,g:7,h:11";
  prog_tensors t[4] = {tensors(0, "ti", 1, "ir", 10, "rt", sz),
                       tensors(10, "tr", 2, "ro", 11, "to", sz),
                       tensors(11, "to", 3, "tog", 12, "tg", sz),
                       tensors(4, "hg", 12, "tg", 13, "ht", sz)};
  for (int i = 0; i < 4; i++) {
    char name[8];
    snprintf(name, sizeof name, "s%d", i + 1);
    add_step(prog, a, &opt, name, &t[i]);
  }
}

static void run_chain(const char *arch_name, arch_dataflow df, sim_fault fault, bool check,
                      sim_step_result *r) {
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve(arch_name, &a, &err), HEAT_OK);
  assert_int_equal(sim_session_set_arch(session, &a, &err), HEAT_OK);
  program prog;
  build_chain(&prog, &a, df);
  assert_int_equal(program_check(&prog, &a, "chain", &err), HEAT_OK);
  sim_options so = {.mode = SIM_MODE_FUNCTIONAL, .check = check, .seed = 3, .fault = fault};
  if (sim_session_run(session, &prog, &so, r, &err)) fail_msg("%s: %s", err.where, err.msg);
  program_free(&prog);
}

static void chains_are_bit_exact_on_every_dataflow(void **state) {
  (void)state;
  static const char *const archs[] = {"tpu-32", "simba-l", "edge-16", "eyeriss-like", "cloud-128"};
  static const int64_t outs[4] = {13 * 37, 37 * 29, 37 * 7, 11 * 37};
  int runs = 0;
  for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(archs[i], &a, &err), HEAT_OK);
    for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++) {
      if (!fold_dataflow_supported(&a.array, (arch_dataflow)df)) continue;
      sim_step_result r[4];
      run_chain(archs[i], (arch_dataflow)df, SIM_FAULT_NONE, true, r);
      for (int s = 0; s < 4; s++) {
        if (r[s].mismatches)
          fail_msg("%s %s step %d: %s", archs[i], arch_dataflow_name((arch_dataflow)df), s + 1,
                   r[s].mismatch);
        assert_int_equal(r[s].checked, outs[s]);
        assert_int_equal(r[s].handoffs, s == 0 ? 0 : 1);
      }
      runs++;
    }
  }
  assert_true(runs >= 10);
}

/* Without --check the values are carried all the same (nothing compared). */
static void functional_mode_carries_values_without_check(void **state) {
  (void)state;
  sim_step_result r[4];
  run_chain("tpu-32", ARCH_DATAFLOW_OS, SIM_FAULT_NONE, false, r);
  for (int s = 0; s < 4; s++) {
    assert_int_equal(r[s].checked, 0);
    assert_int_equal(r[s].handoffs, s == 0 ? 0 : 1);
  }
}

/* A broken hand-off is seen by the step that reads it, named with its tensor and element. */
static void a_broken_handoff_fails_the_check(void **state) {
  (void)state;
  for (int f = SIM_FAULT_FLIP; f <= SIM_FAULT_TRUNCATE; f++) {
    sim_step_result r[4];
    run_chain("tpu-32", ARCH_DATAFLOW_WS, (sim_fault)f, true, r);
    assert_int_equal(r[0].mismatches, 0); /* its own output is right: the hand-off is not */
    for (int s = 1; s < 4; s++)
      if (!r[s].mismatches) fail_msg("fault %d: step %d passed", f, s + 1);
    assert_non_null(strstr(r[1].mismatch, "output tensor 11 (to) at t="));
    assert_non_null(strstr(r[1].mismatch, ": simulated "));
    if (f == SIM_FAULT_FLIP) /* one bit of y[r=0,t=0] reaches the 29 outputs of row t = 0 */
      assert_true(r[1].mismatches >= 1 && r[1].mismatches <= 29);
    else
      assert_true(r[1].mismatches > 37 * 29 / 2);
  }
}

/* A program without token=: a step's output of t = 4 read by a step of t = 8 is repeated
 * (both the model and the reference read it modulo its size). */
static void a_tiled_output_repeats_for_a_wider_reader(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  assert_int_equal(sim_session_set_arch(session, &a, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  program prog;
  program_init(&prog);
  prog_tensors t1 = tensors(0, "ti", 1, "ir", 5, "tr", "t:4,i:33,r:6");
  prog_tensors t2 = tensors(5, "tr", 2, "ro", 6, "ot", "t:8,r:6,o:35");
  add_step(&prog, &a, &opt, "tile", &t1);
  add_step(&prog, &a, &opt, "whole", &t2);
  assert_int_equal(program_check(&prog, &a, "tiles", &err), HEAT_OK);
  sim_options so = {.mode = SIM_MODE_FUNCTIONAL, .check = true, .seed = 11};
  sim_step_result r[2];
  if (sim_session_run(session, &prog, &so, r, &err)) fail_msg("%s: %s", err.where, err.msg);
  for (int s = 0; s < 2; s++)
    if (r[s].mismatches) fail_msg("step %d: %s", s, r[s].mismatch);
  assert_int_equal(r[1].checked, 8 * 35);
  assert_int_equal(r[1].handoffs, 1);
  chk_store ref;
  chk_store_init(&ref);
  int32_t y[4 * 6], z[35 * 8];
  assert_int_equal(chk_reference_step(&ref, &a, 11, &prog.steps[0], y, &err), HEAT_OK);
  assert_int_equal(chk_put_output(&ref, &a, &prog.steps[0], 0, y, CHK_FAULT_NONE, &err), HEAT_OK);
  assert_int_equal(chk_reference_step(&ref, &a, 11, &prog.steps[1], z, &err), HEAT_OK);
  for (int o = 0; o < 35; o++)
    for (int t = 0; t < 4; t++) assert_int_equal(z[o * 8 + t], z[o * 8 + t + 4]);
  chk_store_free(&ref);
  program_free(&prog);
}

/* A step run per token tile (token=t:13, tiles of 5: 3 tiles, the last padded with zeros):
 * every tile's values are computed and the whole output is checked against the reference
 * computed untiled; the next step, tiled alike, reads the whole handed-on tensor. */
static void every_token_tile_is_computed_and_checked(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("edge-16", &a, &err), HEAT_OK);
  assert_int_equal(sim_session_set_arch(session, &a, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  for (int f = SIM_FAULT_NONE; f <= SIM_FAULT_FLIP; f++) {
    program prog;
    program_init(&prog);
    prog_tensors t1 = tensors(0, "ti", 1, "ir", 5, "tr", "t:5,i:20,r:9");
    prog_tensors t2 = tensors(5, "tr", 2, "ro", 6, "to", "t:5,r:9,o:17");
    t1.token = t2.token = 't';
    t1.token_full = t2.token_full = 13;
    add_step(&prog, &a, &opt, "s1", &t1);
    add_step(&prog, &a, &opt, "s2", &t2);
    assert_int_equal(program_check(&prog, &a, "tiles", &err), HEAT_OK);
    sim_options so = {.mode = SIM_MODE_FUNCTIONAL, .check = true, .seed = 4, .fault = (sim_fault)f};
    sim_step_result r[2];
    if (sim_session_run(session, &prog, &so, r, &err)) fail_msg("%s: %s", err.where, err.msg);
    assert_int_equal(r[0].checked, 13 * 9);
    assert_int_equal(r[1].checked, 13 * 17);
    assert_int_equal(r[1].handoffs, 1);
    assert_int_equal(r[0].mismatches, 0);
    if (f == SIM_FAULT_NONE && r[1].mismatches) fail_msg("%s", r[1].mismatch);
    if (f == SIM_FAULT_FLIP) /* y[t=0,r=0] flipped: row t = 0 of z */
      assert_non_null(strstr(r[1].mismatch, "output tensor 6 (to) at t=0,o="));
    program_free(&prog);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(requantization_rounds_half_away_and_saturates),
      cmocka_unit_test(the_view_follows_the_letters),
      cmocka_unit_test(the_reference_equals_a_chain_written_out),
      cmocka_unit_test(chains_are_bit_exact_on_every_dataflow),
      cmocka_unit_test(functional_mode_carries_values_without_check),
      cmocka_unit_test(a_broken_handoff_fails_the_check),
      cmocka_unit_test(a_tiled_output_repeats_for_a_wider_reader),
      cmocka_unit_test(every_token_tile_is_computed_and_checked),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
