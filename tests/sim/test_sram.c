/* SRAM banks and ports as plain functions (sim/sram.h): interleaving, conflict degrees, stream
 * times and the lanes of each dataflow's operands, computed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sram.h"

/* edge-16's act_buf: 16 banks of 8 B, 128 B/cycle (one access per bank per cycle). */
static arch_buffer act_buf(void) {
  arch_buffer b;
  memset(&b, 0, sizeof b);
  b.banks = 16;
  b.access_bytes = 8;
  b.bytes_per_cycle = 128;
  return b;
}

static void words_interleave_over_banks(void **state) {
  (void)state;
  arch_buffer b = act_buf();
  assert_int_equal(sram_bank_of(&b, 0), 0);
  assert_int_equal(sram_bank_of(&b, 7), 0);
  assert_int_equal(sram_bank_of(&b, 8), 1);
  assert_int_equal(sram_bank_of(&b, 127), 15);
  assert_int_equal(sram_bank_of(&b, 128), 0);
  assert_int_equal(sram_bank_of(&b, 8 * 21), 5);
}

static void lanes_a_bank_row_apart_all_conflict(void **state) {
  (void)state;
  arch_buffer b = act_buf();
  assert_int_equal(sram_conflict_degree(&b, 16, 128), 16); /* 16 words apart: bank 0 */
  assert_int_equal(sram_conflict_degree(&b, 16, 136), 1);  /* 17 words: 17 l mod 16 = l */
  assert_int_equal(sram_conflict_degree(&b, 16, 64), 8);   /* 8 words: banks 0 and 8 */
  assert_int_equal(sram_conflict_degree(&b, 16, 48), 2);   /* 6 words: 8 banks, each twice */
  assert_int_equal(sram_conflict_degree(&b, 32, 8 * 17), 2);  /* more lanes than banks */
  assert_int_equal(sram_conflict_degree(&b, 16, 8), 1);    /* contiguous */
  assert_int_equal(sram_conflict_degree(&b, 1, 1024), 1);  /* one lane */
}

static void stream_times(void **state) {
  (void)state;
  arch_buffer b = act_buf();
  sram_time t;
  sram_stream conflict = {.bytes = 2048, .lanes = 16, .pitch = 128};
  sram_stream_time(&b, &conflict, &t);
  assert_int_equal(t.degree, 16);
  assert_true(t.port == 16 && t.ideal == 16 && t.banks == 256);
  sram_stream few = {.bytes = 2048, .lanes = 4, .pitch = 136}; /* 4 banks of 16 busy */
  sram_stream_time(&b, &few, &t);
  assert_int_equal(t.degree, 1);
  assert_true(t.port == 16 && t.ideal == 64 && t.banks == 64);
  sram_stream dma = {.bytes = 1000, .lanes = 1, .pitch = 1};
  sram_stream_time(&b, &dma, &t);
  assert_true(t.port == 1000.0 / 128 && t.banks == t.port && t.degree == 1);
  sram_stream none = {.bytes = 0, .lanes = 16, .pitch = 128};
  sram_stream_time(&b, &none, &t);
  assert_true(t.port == 0 && t.banks == 0);
}

/* A 16 x 16 OS fold of a 16 x 128 x 16 tile on edge-16 (tests/sim/banks/conflict.prog). */
static void fold_streams_follow_the_layout(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("edge-16", &a, &err), HEAT_OK);
  prog_step st;
  memset(&st, 0, sizeof st);
  int64_t dims[4] = {1, 16, 128, 16};
  for (int d = 0; d < 4; d++) st.problem.dim[d] = st.mapping.tile[d] = dims[d];
  st.mapping.dataflow = ARCH_DATAFLOW_OS;
  st.mapping.buffer[0] = 0, st.mapping.buffer[1] = 1, st.mapping.buffer[2] = 0;
  prog_insn in;
  memset(&in, 0, sizeof in);
  for (int d = 0; d < 4; d++) in.len[d] = dims[d];
  fold_stats fs;
  fold_eval(&a.array, ARCH_DATAFLOW_OS, FOLD_TIMING_SCALESIM, 1, 16, 128, 16, &fs);
  double port[ARCH_MAX_BUFFERS], busy[ARCH_MAX_BUFFERS], conflict[ARCH_MAX_BUFFERS];
  sram_fold_time(&a, &st, &in, &fs, port, busy, conflict);
  assert_true(port[0] == 25 && busy[0] == 25 && conflict[0] == 0); /* vector: no conflict */
  assert_true(port[1] == 32 && busy[1] == 32);
  st.layout = PROG_LAYOUT_ROW;
  sram_stream s[MAP_OPS];
  sram_fold_streams(&a, &st, &in, &fs, s);
  assert_true(s[MAP_OP_INPUT].lanes == 16 && s[MAP_OP_INPUT].pitch == 128);
  assert_true(s[MAP_OP_WEIGHT].lanes == 16 && s[MAP_OP_WEIGHT].pitch == 1); /* n contiguous */
  assert_true(s[MAP_OP_OUTPUT].bytes == (256 + 32) * 4);
  sram_fold_time(&a, &st, &in, &fs, port, busy, conflict);
  assert_true(port[0] == 25 && busy[0] == 265 && conflict[0] == 240);
  assert_true(busy[1] == 32 && conflict[1] == 0);
  /* WS reads the input by k, its contiguous dimension: no conflict in the row layout. */
  st.mapping.dataflow = ARCH_DATAFLOW_WS;
  fold_eval(&a.array, ARCH_DATAFLOW_WS, FOLD_TIMING_SCALESIM, 1, 16, 128, 16, &fs);
  sram_fold_time(&a, &st, &in, &fs, port, busy, conflict);
  assert_true(conflict[0] == 0 && conflict[1] == 0);
}

/* The layout is part of a program's text: printed when row, read back; vector by default. */
static void the_layout_round_trips_through_program_text(void **state) {
  (void)state;
  const char *text = "heat-program 1\narch edge-16\ntiming scalesim\nstalls 1\n"
                     "step 0 name=g times=1 simd=0 dims=1,16,128,16 df=os tile=1,16,128,16 "
                     "order=m,k,n buf=0,1,0 on_chip=0,0,0 permuted=0,0 layout=row\n"
                     "step 1 name=h times=1 simd=0 dims=1,16,128,16 df=os tile=1,16,128,16 "
                     "order=m,k,n buf=0,1,0 on_chip=0,0,0 permuted=0,0\n";
  program p, q;
  heat_error err;
  assert_int_equal(program_parse(text, "t.prog", &p, &err), HEAT_OK);
  assert_int_equal(p.steps[0].layout, PROG_LAYOUT_ROW);
  assert_int_equal(p.steps[1].layout, PROG_LAYOUT_VECTOR);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(program_print(f, &p), HEAT_OK);
  fclose(f);
  assert_non_null(strstr(buf, "permuted=0,0 layout=row\nstep 1"));
  assert_int_equal(program_parse(buf, "printed", &q, &err), HEAT_OK);
  assert_int_equal(q.steps[0].layout, PROG_LAYOUT_ROW);
  assert_int_equal(q.steps[1].layout, PROG_LAYOUT_VECTOR);
  free(buf);
  program_free(&p);
  program_free(&q);
}

/* The port calendar (sram.h): paced bookings share the port first come, first served, each at
 * most its pace; the array takes what they leave. Computed by hand. */
static void port_shares_follow_the_paces(void **state) {
  (void)state;
  sram_port p;
  sram_port_reset(&p, 0);
  assert_true(sram_port_book(&p, 0, 0, 1) == 0);   /* nothing to move */
  assert_true(sram_port_book(&p, 0, 4, 0.25) == 16); /* a DMA at a quarter of the port */
  /* A SIMD op wanting the whole port from cycle 4 gets the three quarters left: 6 / 0.75. */
  assert_true(sram_port_book(&p, 4, 6, 1) == 12);
  /* A fold from 0 needing 10: 3 in [0,4), none in [4,12), 3 in [12,16), 4 from 16 on. */
  assert_true(sram_port_leftover_until(&p, 0, 10) == 20);
  assert_true(sram_port_leftover_until(&p, 0, 2) == 0 + 2 / 0.75);
  sram_port_prune(&p, 12); /* the history before 12 is gone; the rest stands */
  assert_true(sram_port_leftover_until(&p, 12, 3) == 16);
  assert_true(sram_port_book(&p, 12, 1, 1) == 12 + 1 / 0.75);
  sram_port_reset(&p, 100);
  assert_true(sram_port_leftover_until(&p, 100, 7) == 107); /* an idle port */
  assert_true(sram_port_book(&p, 100, 10, 0.5) == 120);
  assert_true(sram_port_book(&p, 100, 10, 1) == 120); /* the other half */
  assert_true(sram_port_leftover_until(&p, 100, 5) == 125);
}

/* Many bookings over time: the calendar stays bounded when pruned as time advances, and a full
 * calendar (never reached by the machine's three units) still answers without overbooking. */
static void port_calendar_stays_small(void **state) {
  (void)state;
  sram_port p;
  sram_port_reset(&p, 0);
  for (int k = 0; k < 10000; k++) {
    sram_port_prune(&p, k * 10.0);
    double end = sram_port_book(&p, k * 10.0, 2, 0.5);
    assert_true(end == k * 10.0 + 4);
    assert_true(p.n <= 4);
  }
  sram_port_reset(&p, 0);
  double last = 0;
  for (int k = 0; k < 2 * SRAM_PORT_SEGMENTS; k++) last = sram_port_book(&p, k * 2.0, 1, 1);
  assert_true(p.n <= SRAM_PORT_SEGMENTS);
  assert_true(last >= 2.0 * (2 * SRAM_PORT_SEGMENTS - 1) + 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(words_interleave_over_banks),
      cmocka_unit_test(lanes_a_bank_row_apart_all_conflict),
      cmocka_unit_test(stream_times),
      cmocka_unit_test(fold_streams_follow_the_layout),
      cmocka_unit_test(the_layout_round_trips_through_program_text),
      cmocka_unit_test(port_shares_follow_the_paces),
      cmocka_unit_test(port_calendar_stays_small),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
