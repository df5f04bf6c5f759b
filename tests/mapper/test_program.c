/* Programs: the emitted instructions move and compute exactly what the analytical model charged
 * (MACs, DRAM bytes, buffer accesses, register events, energy), over every preset, dataflow,
 * loop order and a range of tiles (edge tiles, batches, fused on-chip operands, permuted
 * operands); the text format round-trips; every malformed program is refused with file:line
 * and the field. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/layer.h"
#include "mapper/mapspace.h"
#include "mapper/program.h"
#include "test_archs.h"

static void close_to(double got, double want, const char *what, const char *ctx) {
  double tol = 1e-9 * fmax(1.0, fabs(want));
  if (fabs(got - want) > tol) fail_msg("%s: %s is %.17g, the cost model charged %.17g", ctx, what, got, want);
}

/* Emits the mapping, counts the program and compares with the cost. */
static void check_counts(const arch *a, const map_options *opt, const map_problem *p,
                         const map_mapping *m, const map_cost *c, const char *ctx) {
  program prog;
  program_init(&prog);
  heat_error err;
  assert_int_equal(program_emit_gemm(&prog, a, opt, "s", 1, p, m, c, &err), HEAT_OK);
  assert_int_equal(program_check(&prog, a, "emitted", &err), HEAT_OK);
  prog_counts k;
  program_count(&prog, a, 0, &k);
  close_to(k.macs, (double)c->macs, "MACs", ctx);
  close_to(k.dram_read_bytes, c->dram_read_bytes, "DRAM read bytes", ctx);
  close_to(k.dram_write_bytes, c->dram_write_bytes, "DRAM write bytes", ctx);
  close_to(k.reg_accesses, c->reg_accesses, "register accesses", ctx);
  for (size_t j = 0; j < a->n_buffers; j++) {
    close_to(k.sram_reads[j], c->sram_reads[j], "buffer reads", ctx);
    close_to(k.sram_writes[j], c->sram_writes[j], "buffer writes", ctx);
  }
  energy_events ev;
  program_counts_events(a, &k, c->cycles, &ev);
  energy_breakdown eb;
  energy_eval(a, &ev, &eb);
  close_to(eb.total_pj * 1e-12, c->energy_j, "energy", ctx);
  program_free(&prog);
}

static const char *const presets[] = {"tpu-32", "edge-16", "simba-l", "eyeriss-like", "cloud-128"};

static void searched_mappings_match_the_cost_model(void **state) {
  (void)state;
  static const int64_t gemms[][4] = {
      {1, 128, 768, 768}, {1, 384, 768, 3072}, {12, 384, 64, 384}, {1, 197, 50, 300},
      {3, 100, 70, 50},   {1, 7, 1000, 13},    {1, 1, 4096, 1},    {2, 384, 3072, 768},
  };
  for (size_t pi = 0; pi < sizeof presets / sizeof presets[0]; pi++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(presets[pi], &a, &err), HEAT_OK);
    for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++) {
      if (!fold_dataflow_supported(&a.array, (arch_dataflow)df)) continue;
      for (int timing = 0; timing < 2; timing++) {
        map_options opt;
        map_options_init(&opt, &a);
        if (timing == 1 && !a.array.weights_double_buffered) continue;
        opt.timing = (fold_timing)timing;
        opt.dataflows = 1u << df;
        for (size_t g = 0; g < sizeof gemms / sizeof gemms[0]; g++)
          for (int variant = 0; variant < 3; variant++) {
            map_problem p;
            map_problem_gemm(&p, gemms[g][0], gemms[g][1], gemms[g][2], gemms[g][3]);
            if (variant == 1) p.on_chip[MAP_OP_INPUT] = p.on_chip[MAP_OP_OUTPUT] = true;
            if (variant == 2) p.permuted[0] = p.permuted[1] = true;
            map_result r;
            if (map_search(&a, &p, &opt, ws, &r, &err) != HEAT_OK) continue;
            char ctx[160];
            snprintf(ctx, sizeof ctx, "%s %s %s gemm %zu variant %d", presets[pi],
                     arch_dataflow_name((arch_dataflow)df), fold_timing_name(opt.timing), g,
                     variant);
            check_counts(&a, &opt, &p, &r.mapping, &r.cost, ctx);
          }
      }
    }
  }
}

/* Every loop order and a ladder of tiles, edge tiles included (map_eval directly). */
static void every_order_and_tile_matches(void **state) {
  (void)state;
  static const int orders[6][3] = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
  static const int64_t tiles[][4] = {{1, 32, 32, 32}, {1, 50, 96, 64}, {2, 64, 7, 33},
                                     {1, 100, 200, 70}, {3, 17, 64, 96}};
  const char *names[] = {"tpu-32", "simba-l", "edge-16"};
  int checked = 0;
  for (size_t pi = 0; pi < 3; pi++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(names[pi], &a, &err), HEAT_OK);
    map_options opt;
    map_options_init(&opt, &a);
    map_problem p;
    map_problem_gemm(&p, 3, 100, 200, 130);
    for (int df = 0; df < ARCH_DATAFLOW_COUNT; df++) {
      if (!fold_dataflow_supported(&a.array, (arch_dataflow)df)) continue;
      for (int o = 0; o < 6; o++)
        for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
          map_mapping m;
          memset(&m, 0, sizeof m);
          m.dataflow = (arch_dataflow)df;
          memcpy(m.tile, tiles[t], sizeof m.tile);
          memcpy(m.order, orders[o], sizeof m.order);
          /* first buffer allowed for each operand */
          for (int op = 0; op < MAP_OPS; op++)
            for (size_t j = 0; j < a.n_buffers; j++)
              if (a.buffers[j].operands & (1u << op)) {
                m.buffer[op] = (int)j;
                break;
              }
          map_cost c;
          if (map_eval(&a, &p, &opt, &m, &c, &err) != HEAT_OK) continue;
          char ctx[128];
          snprintf(ctx, sizeof ctx, "%s df %d order %d tile %zu", names[pi], df, o, t);
          check_counts(&a, &opt, &p, &m, &c, ctx);
          checked++;
        }
    }
  }
  assert_true(checked > 100);
}

static char *print_to_string(const program *p) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(program_print(f, p), HEAT_OK);
  fclose(f);
  return buf;
}

static void text_round_trips(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  map_options opt;
  map_options_init(&opt, &a);
  map_problem p;
  map_problem_gemm(&p, 1, 384, 768, 3072);
  p.permuted[0] = true;
  map_result r;
  assert_int_equal(map_search(&a, &p, &opt, ws, &r, &err), HEAT_OK);
  program prog, back;
  program_init(&prog);
  assert_int_equal(program_emit_gemm(&prog, &a, &opt, "ffn1", 12, &p, &r.mapping, &r.cost, &err),
                   HEAT_OK);
  map_cost simd;
  memset(&simd, 0, sizeof simd);
  simd.sram_reads[0] = 10;
  simd.sram_writes[0] = 5;
  simd.layout_cycles = 7;
  simd.simd_pj = 3 * a.simd.op_pj;
  assert_int_equal(program_emit_simd(&prog, &a, "gelu", 12, PROG_SIMD_GELU, &simd, &err), HEAT_OK);
  char *text = print_to_string(&prog);
  if (program_parse(text, "rt", &back, &err) != HEAT_OK) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(program_check(&back, &a, "rt", &err), HEAT_OK);
  char *again = print_to_string(&back);
  assert_string_equal(text, again);
  assert_int_equal(back.n, prog.n);
  assert_int_equal(back.n_steps, 2);
  prog_counts k1, k2;
  program_count(&prog, &a, -1, &k1);
  program_count(&back, &a, -1, &k2);
  assert_true(k1.macs == k2.macs && k1.dram_read_bytes == k2.dram_read_bytes);
  assert_true(k1.macs == 12.0 * 384 * 768 * 3072);
  free(text);
  free(again);
  program_free(&prog);
  program_free(&back);
}

/* A small valid program to corrupt line by line. */
static const char good[] =
    "heat-program 1\n"
    "arch tpu-32\n"
    "timing overlap\n"
    "stalls 1\n"
    "step 0 name=g times=1 simd=0 dims=1,64,64,64 df=os tile=1,64,64,64 order=m,k,n buf=0,1,0 "
    "on_chip=0,0,0 permuted=0,0\n"
    "0: load step=0 op=input buf=0 slot=0 at=0,0,0,0 len=1,64,64,1 partial=0 strided=0 deps=\n"
    "1: load step=0 op=weight buf=1 slot=0 at=0,0,0,0 len=1,1,64,64 partial=0 strided=0 deps=\n"
    "2: fold step=0 at=0,0,0,0 len=1,64,64,64 slots=0,0,0 acc=0 deps=0,1\n"
    "3: store step=0 op=output buf=0 slot=0 at=0,0,0,0 len=1,64,1,64 partial=0 deps=2\n";

static void expect_error(const char *text, const char *where, const char *msg_part) {
  program p;
  heat_error err;
  arch a;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  int rc = program_parse(text, "bad.prog", &p, &err);
  if (rc == HEAT_OK) {
    rc = program_check(&p, &a, "bad.prog", &err);
    program_free(&p);
  }
  if (rc != HEAT_EINVAL) fail_msg("expected an error containing '%s', got rc %d", msg_part, rc);
  if (strcmp(err.where, where) != 0) fail_msg("where is '%s', want '%s' (%s)", err.where, where, err.msg);
  if (!strstr(err.msg, msg_part)) fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
}

static char *replace(const char *text, const char *from, const char *to) {
  static char bufs[2][4096]; /* alternate: replace(replace(...)) reads one, writes the other */
  static int which;
  char *out = bufs[which ^= 1];
  const char *at = strstr(text, from);
  assert_non_null(at);
  snprintf(out, sizeof bufs[0], "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return out;
}

static void good_program_is_accepted(void **state) {
  (void)state;
  program p;
  heat_error err;
  arch a;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  if (program_parse(good, "good", &p, &err)) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(program_check(&p, &a, "good", &err), HEAT_OK);
  prog_counts k;
  program_count(&p, &a, -1, &k);
  assert_true(k.macs == 64.0 * 64 * 64);
  assert_true(k.dram_read_bytes == 2 * 4096.0 && k.dram_write_bytes == 4096.0);
  program_free(&p);
}

static void bad_programs_name_line_and_field(void **state) {
  (void)state;
  heat_error err;
  arch a_tpu;
  assert_int_equal(arch_resolve("tpu-32", &a_tpu, &err), HEAT_OK);
  expect_error(replace(good, "2: fold", "2: frob"), "bad.prog:8", "field 'opcode': unknown opcode 'frob'");
  expect_error(replace(good, "acc=0 deps=0,1", "acc=0 deps=0,3"), "bad.prog:8",
               "field 'deps': instruction 3 is not earlier");
  expect_error(replace(good, "acc=0 deps=0,1", "acc=0 deps=2"), "bad.prog:8", "field 'deps'");
  expect_error(replace(good, "buf=1 slot=0", "buf=1 slot=2"), "bad.prog:7",
               "field 'slot': buffer 'weight_buf' has 1 slot (0..0)");
  expect_error(replace(good, " slots=0,0,0 acc=0", " acc=0"), "bad.prog:8", "field 'slots': missing");
  expect_error(replace(good, "heat-program 1", "hello world"), "bad.prog:1", "heat-program 1");
  expect_error(replace(good, "len=1,64,64,1", "len=1,0,64,1"), "bad.prog:6", "field 'len': '0' is not an integer in 1..");
  expect_error(replace(good, "len=1,64,64,1", "len=1,4294967296,64,1"), "bad.prog:6",
               "field 'len': '4294967296' is not an integer");
  expect_error(replace(good, "dims=1,64,64,64", "dims=1,64,64"), "bad.prog:5", "field 'dims'");
  expect_error(replace(good, "times=1 ", "times=1 color=red "), "bad.prog:5", "field 'color': unknown");
  expect_error(replace(good, "0: load", "0: load garbage"), "bad.prog:6", "'garbage' is not a key=value");
  expect_error(replace(good, "1: load", "7: load"), "bad.prog:7", "field 'id': instructions are numbered in order");
  expect_error(replace(good, "arch tpu-32\n", ""), "bad.prog:2", "field 'arch': missing");
  expect_error(replace(good, "step=0 op=output", "step=3 op=output"), "bad.prog:9",
               "field 'step': step 3 is not declared");
  /* A tile larger than its buffer slot: the unified buffer's half is 512 KiB. */
  expect_error(replace(replace(good, "dims=1,64,64,64", "dims=1,4096,4096,64"), "len=1,64,64,1",
                       "len=1,4096,4096,1"),
               "bad.prog:6", "does not fit a slot of buffer");
  expect_error(replace(good, "buf=1 slot=0", "buf=7 slot=0"), "bad.prog:7", "field 'buf'");
  expect_error(replace(good, "df=os", "df=xs"), "bad.prog:5", "field 'df': unknown dataflow 'xs'");
  expect_error(replace(good, "at=0,0,0,0 len=1,64,1,64", "at=0,10,0,0 len=1,64,1,64"), "bad.prog:9",
               "field 'len': the box leaves");
  /* Values through chains: tensors=, idx= and sizes= (program.h). */
  const char *t0 = "permuted=0,0 tensors=0,1,2 idx=mk,kn,mn sizes=m:64,k:64,n:64\n";
  char tg[4096]; /* replace() reuses its buffers */
  snprintf(tg, sizeof tg, "%s", replace(good, "permuted=0,0\n", t0));
  program tp;
  assert_int_equal(program_parse(tg, "t", &tp, &err), HEAT_OK);
  assert_true(tp.steps[0].tensors.on && tp.steps[0].tensors.size[program_letter_slot('k')] == 64);
  program_free(&tp);
  expect_error(replace(good, "permuted=0,0\n", "permuted=0,0 tensors=0,1,2\n"), "bad.prog:5",
               "field 'idx': missing (tensors=, idx= and sizes= go together)");
  expect_error(replace(tg, "idx=mk,kn,mn", "idx=mk,kn"), "bad.prog:5",
               "field 'idx': 'mk,kn' must hold 3 comma-separated letter groups");
  expect_error(replace(tg, "sizes=m:64", "sizes=m64"), "bad.prog:5", "field 'sizes': 'm64' is not LETTER:SIZE");
  expect_error(replace(tg, "n:64", "m:64"), "bad.prog:5", "field 'sizes': letter 'm' given twice");
  expect_error(replace(tg, "n:64", "n:64,z:3"), "bad.prog:5", "field 'sizes': letter 'z' is in no tensor");
  expect_error(replace(tg, "m:64", "m:0"), "bad.prog:5", "field 'sizes': '0' is not an integer in 1..");
  expect_error(replace(tg, "m:64", "m:32"), "bad.prog:5",
               "field 'sizes': the letters give m = 32 ('m'), the step's dims 64");
  expect_error(replace(tg, "idx=mk,kn,mn", "idx=mk,kk,mn"), "bad.prog:5",
               "field 'idx': letter 'k' twice in the weight's letters 'kk'");
  expect_error(replace(tg, "tensors=0,1,2", "tensors=0,1,x"), "bad.prog:5",
               "field 'tensors': 'x' is not an integer");
  expect_error(replace(tg, "tensors=0,1,2", "tensors=0,1,1"), "bad.prog:5",
               "field 'tensors': the step reads tensor 1 as its weight and writes it");
  expect_error(replace(tg, "n:64\n", "n:64 token=t:64\n"), "bad.prog:5",
               "field 'token': letter 't' is not in the output's letters");
  expect_error(replace(tg, "n:64\n", "n:64 token=m:32\n"), "bad.prog:5",
               "field 'token': the extent 32 is smaller than one tile");
  expect_error(replace(tg, "n:64\n", "n:64 token=m\n"), "bad.prog:5", "field 'token': 'm' is not LETTER:EXTENT");
  expect_error(replace(good, "permuted=0,0\n", "permuted=0,0 token=m:64\n"), "bad.prog:5",
               "field 'token': needs tensors=, idx= and sizes=");
  assert_int_equal(program_parse(replace(tg, "n:64\n", "n:64 token=m:100\n"), "t", &tp, &err), HEAT_OK);
  assert_true(tp.steps[0].tensors.token == 'm' && tp.steps[0].tensors.token_full == 100);
  program_free(&tp);
  /* A second step (no instructions needed to check its tensors). */
  char two[4096];
  const char *s1 = "step 1 name=h times=1 simd=0 dims=1,64,64,64 df=os tile=1,64,64,64 order=m,k,n "
                   "buf=0,1,0 on_chip=0,0,0 permuted=0,0 tensors=2,3,4 idx=mn,nk,mk sizes=m:64,n:64,k:64\n";
  char *at = strstr(tg, "0: load");
  snprintf(two, sizeof two, "%.*s%s%s", (int)(at - tg), tg, s1, at);
  assert_int_equal(program_parse(two, "t", &tp, &err), HEAT_OK);
  assert_int_equal(program_check(&tp, &a_tpu, "t", &err), HEAT_OK);
  program_free(&tp);
  expect_error(replace(two, "idx=mn,nk,mk sizes=m:64,n:64", "idx=mx,xk,mk sizes=m:64,x:64"), "bad.prog:6",
               "field 'idx': tensor 2 has letters 'mx' here and 'mn' in step 0 (g)");
  expect_error(replace(two, "tensors=2,3,4", "tensors=2,3,2"), "bad.prog:6",
               "field 'tensors': the step reads tensor 2");
  expect_error(replace(two, "tensors=2,3,4 idx=mn,nk,mk", "tensors=5,3,2 idx=mk,kn,mn"), "bad.prog:6",
               "field 'tensors': tensor 2 is written again (first by step 0, g)");
  expect_error(replace(two, "tensors=2,3,4 idx=mn,nk,mk", "tensors=2,3,0 idx=mn,nk,mk"), "bad.prog:6",
               "field 'tensors': tensor 0 is written here but step 0 (g) read it before");
  expect_error("", "bad.prog:1", "empty program");
  expect_error("heat-program 1\narch tpu-32\n3\n", "bad.prog:3", "unknown line '3'");
}

/* Whole layers and models: every step's counts equal its item's cost, totals x times. */
static void check_layer(const char *arch_name, const char *layer, const char *format,
                        const char *shape, const int64_t *ranks, size_t n_ranks, int64_t batch) {
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve(arch_name, &a, &err), HEAT_OK);
  model m;
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  if (batch > 1) assert_int_equal(model_set_batch(&m, batch, "b", &err), HEAT_OK);
  layer_config cfg;
  layer_config_init(&cfg);
  if (layer) snprintf(cfg.only, sizeof cfg.only, "%s", layer);
  if (format) {
    cfg.has_format = true;
    snprintf(cfg.target, sizeof cfg.target, "%s", layer ? layer : "all");
    assert_int_equal(wl_format_parse(format, "f", &cfg.format.format, &err), HEAT_OK);
    if (shape) assert_int_equal(wl_shape_parse(shape, "s", &cfg.format.shape, &err), HEAT_OK);
    memcpy(cfg.format.rank, ranks, n_ranks * sizeof *ranks);
    cfg.format.n_ranks = n_ranks;
  }
  map_options opt;
  map_options_init(&opt, &a);
  static layer_report rep;
  if (layer_price_model(&a, &m, &cfg, &opt, ws, &rep, &err)) fail_msg("%s: %s", err.where, err.msg);
  program prog;
  program_init(&prog);
  if (program_emit_items(&prog, &a, &opt, &m, rep.items, rep.n_items, &err)) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(program_check(&prog, &a, "layer", &err), HEAT_OK);
  /* A factorized layer's steps name their tensors, and the chain links them: a step reads
   * what an earlier one wrote. The text keeps them. */
  if (format) {
    int linked = 0;
    for (size_t s = 0; s < prog.n_steps; s++) {
      const prog_step *st = &prog.steps[s];
      if (st->simd) continue;
      assert_true(st->tensors.on);
      for (size_t q = 0; q < s; q++)
        for (int k = 0; k < 2; k++)
          linked += !prog.steps[q].simd && prog.steps[q].tensors.id[MAP_OP_OUTPUT] == st->tensors.id[k];
    }
    assert_true(linked >= 1);
    char *text = print_to_string(&prog);
    program back;
    if (program_parse(text, "rt", &back, &err)) fail_msg("%s: %s", err.where, err.msg);
    assert_int_equal(program_check(&back, &a, "rt", &err), HEAT_OK);
    char *again = print_to_string(&back);
    assert_string_equal(text, again);
    for (size_t s = 0; s < prog.n_steps; s++)
      assert_memory_equal(&back.steps[s].tensors, &prog.steps[s].tensors, sizeof(prog_tensors));
    free(text);
    free(again);
    program_free(&back);
  }
  /* Offline (pre-computed) steps are listed in the report but emit nothing. */
  size_t online = 0;
  for (size_t i = 0; i < rep.n_items; i++) online += !rep.items[i].offline;
  assert_int_equal(prog.n_steps, online);
  double macs = 0, dram = 0;
  for (size_t i = 0, step = 0; i < rep.n_items; i++) {
    if (rep.items[i].offline) continue;
    const map_cost *c = &rep.items[i].result.cost;
    prog_counts k;
    size_t p_i = step++;
    program_count(&prog, &a, (int)p_i, &k);
    char ctx[160];
    snprintf(ctx, sizeof ctx, "%s %s step %s", arch_name, format ? format : "dense", rep.items[i].name);
    close_to(k.macs, (double)c->macs, "MACs", ctx);
    close_to(k.dram_read_bytes + k.dram_write_bytes, c->dram_bytes, "DRAM bytes", ctx);
    for (size_t j = 0; j < a.n_buffers; j++) {
      close_to(k.sram_reads[j], c->sram_reads[j], "buffer reads", ctx);
      close_to(k.sram_writes[j], c->sram_writes[j], "buffer writes", ctx);
    }
    energy_events ev;
    program_counts_events(&a, &k, c->cycles, &ev);
    energy_breakdown eb;
    energy_eval(&a, &ev, &eb);
    close_to(eb.total_pj * 1e-12, c->energy_j, "energy", ctx);
    macs += (double)prog.steps[p_i].times * k.macs;
    dram += (double)prog.steps[p_i].times * (k.dram_read_bytes + k.dram_write_bytes);
  }
  close_to(macs, (double)rep.total.macs, "model MACs", arch_name);
  close_to(dram, rep.total.dram_bytes, "model DRAM bytes", arch_name);
  program_free(&prog);
}

static void layers_and_models_match(void **state) {
  (void)state;
  static const int64_t tt[] = {4, 8, 16, 8, 4}, svd[] = {32}, tucker[] = {16, 16, 16, 16};
  check_layer("tpu-32", NULL, NULL, NULL, NULL, 0, 1);
  check_layer("simba-l", NULL, NULL, NULL, NULL, 0, 1);
  check_layer("edge-16", "ffn1", "svd", NULL, svd, 1, 1);
  check_layer("eyeriss-like", "ffn1", "svd", NULL, svd, 1, 8); /* token-tiled fused chain */
  check_layer("tpu-32", "q", "tt", "8x8x12:8x8x12", tt, 5, 1);
  check_layer("simba-l", "ffn1", "tucker", "48x64:32x24", tucker, 4, 1);
}

/* A step mapped on the SIMD unit with an output epilogue: each unit after the first waits for
 * the previous unit's epilogue piece (one SIMD unit, program order), and every piece for its
 * own unit; on the array, units do not wait for pieces. */
static void simd_step_units_follow_their_pieces(void **state) {
  (void)state;
  arch a;
  test_arch_tpu(&a, 32, 32);
  map_options opt;
  map_options_init(&opt, &a);
  map_problem p;
  map_problem_gemm(&p, 64, 8, 1, 12);
  p.epilogue_cycles = 1.0 / 32;
  prog_epilogue x = {PROG_SIMD_ADD, 0, 6144, 192, 6144 * 4, 6144, 0, 0};
  for (int unit = 0; unit < 2; unit++) {
    map_mapping m = {ARCH_DATAFLOW_OS, {16, 8, 1, 12}, {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {0, 1, 0},
                     unit ? MAP_UNIT_SIMD : MAP_UNIT_ARRAY, 1};
    map_cost c;
    heat_error err;
    assert_int_equal(map_eval(&a, &p, &opt, &m, &c, &err), HEAT_OK);
    program prog;
    program_init(&prog);
    assert_int_equal(program_emit_gemm_epilogue(&prog, &a, &opt, "s", 1, &p, &m, &c, &x, &err),
                     HEAT_OK);
    int64_t last_piece = -1, folds = 0, pieces = 0;
    for (size_t i = 0; i < prog.n; i++) {
      const prog_insn *in = &prog.insn[i];
      bool waits = false;
      for (int d = 0; d < in->n_deps; d++) waits |= in->dep[d] == last_piece;
      if (in->op == PROG_FOLD) {
        folds++;
        if (last_piece >= 0) assert_int_equal(waits, unit == 1);
      } else if (in->op == PROG_SIMD) {
        pieces++;
        assert_true(in->n_deps > 0 && prog.insn[in->dep[0]].op == PROG_FOLD);
        last_piece = (int64_t)i;
      }
    }
    assert_int_equal(folds, 4);
    assert_int_equal(pieces, 4);
    program_free(&prog);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(searched_mappings_match_the_cost_model),
      cmocka_unit_test(every_order_and_tile_matches),
      cmocka_unit_test(layers_and_models_match),
      cmocka_unit_test(simd_step_units_follow_their_pieces),
      cmocka_unit_test(text_round_trips),
      cmocka_unit_test(good_program_is_accepted),
      cmocka_unit_test(bad_programs_name_line_and_field),
  };
  return cmocka_run_group_tests(tests, test_ws_setup, test_ws_teardown);
}
