/* Shapes (parsing, entropy ranking checked against exhaustive enumeration in Python) and formats
 * (parameter counts by hand, rank bounds, einsum networks). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/format.h"
#include "workloads/shape.h"

static void shape_parses_and_formats(void **state) {
  (void)state;
  heat_error err;
  wl_shape s;
  assert_int_equal(wl_shape_parse("12x16x16:8x8x12", "--shape", &s, &err), HEAT_OK);
  assert_int_equal(s.d, 3);
  assert_int_equal(wl_shape_rows(&s), 3072);
  assert_int_equal(wl_shape_cols(&s), 768);
  char text[WL_SHAPE_TEXT_MAX];
  wl_shape_format(&s, text, sizeof text);
  assert_string_equal(text, "12x16x16:8x8x12");
  int64_t dims[WL_MAX_MODES];
  assert_int_equal(wl_shape_modes(&s, dims), 6);
  assert_int_equal(dims[2], 16);
  assert_int_equal(dims[3], 8);
  assert_int_equal(wl_shape_check(&s, 3072, 768, "--shape", &err), HEAT_OK);
  assert_int_equal(wl_shape_parse("3072:768", "--shape", &s, &err), HEAT_OK);
  assert_int_equal(s.d, 1);
}

static void shape_rejects_bad_input(void **state) {
  (void)state;
  heat_error err;
  wl_shape s;
  assert_int_equal(wl_shape_parse("12x16x16", "--shape", &s, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--shape");
  assert_non_null(strstr(err.msg, "OUT:IN"));
  assert_int_equal(wl_shape_parse("12x1:8x96", "--shape", &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "factor 1"));
  assert_int_equal(wl_shape_parse("12xq:8x8", "--shape", &s, &err), HEAT_EINVAL);
  assert_int_equal(wl_shape_parse("2x2x2x2x2:2x2x2x2x2", "--shape", &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "too many"));
  assert_int_equal(wl_shape_parse("12x16x16:8x8x12", "--shape", &s, &err), HEAT_OK);
  assert_int_equal(wl_shape_check(&s, 768, 3072, "--shape", &err), HEAT_EINVAL);
  assert_non_null(
      strstr(err.msg, "shape 12x16x16:8x8x12 is 3072 x 768 but the weight is 768 x 3072"));
}

/* HEAT's CP example factorizes the 768 outputs as 64x12 and keeps the 768 inputs whole: cp,
 * tucker and svd take uneven sides; ttm and tt pair them. */
static void uneven_shapes(void **state) {
  (void)state;
  heat_error err;
  wl_layer l;
  memset(&l, 0, sizeof l);
  assert_int_equal(wl_shape_parse("64x12:768", "--shape", &l.shape, &err), HEAT_OK);
  assert_int_equal(l.shape.d, 2);
  assert_int_equal(l.shape.d_in, 1);
  assert_int_equal(wl_shape_rows(&l.shape), 768);
  assert_int_equal(wl_shape_cols(&l.shape), 768);
  char text[WL_SHAPE_TEXT_MAX];
  wl_shape_format(&l.shape, text, sizeof text);
  assert_string_equal(text, "64x12:768");
  int64_t dims[WL_MAX_MODES];
  assert_int_equal(wl_shape_modes(&l.shape, dims), 3);
  assert_int_equal(dims[2], 768);
  /* CP: one rank; params 280·(64+12+768) + 280 weights; HEAT's network bc,a,da,ea,ca->bde */
  l.format = WL_FORMAT_CP;
  l.cp_weights = true;
  l.n_ranks = 1;
  l.rank[0] = 280;
  assert_int_equal(wl_layer_rank_count(&l), 1);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_OK);
  assert_int_equal(wl_layer_params(&l), 280 * (64 + 12 + 768) + 280);
  tn_network net;
  assert_int_equal(wl_layer_network(&l, 384, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tc,ad,bd,cd,d->tab");
  /* Tucker: one rank per mode, OUT modes first */
  l.format = WL_FORMAT_TUCKER;
  l.n_ranks = 3;
  l.rank[0] = 16;
  l.rank[1] = 8;
  l.rank[2] = 64;
  assert_int_equal(wl_layer_rank_count(&l), 3);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_OK);
  assert_int_equal(wl_layer_params(&l), 16 * 8 * 64 + 64 * 16 + 12 * 8 + 768 * 64);
  assert_int_equal(wl_layer_network(&l, 384, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tc,def,ad,be,cf->tab");
  /* the other way round: 768:64x12 */
  assert_int_equal(wl_shape_parse("768:64x12", "--shape", &l.shape, &err), HEAT_OK);
  l.rank[0] = 64;
  l.rank[2] = 12;
  assert_int_equal(wl_layer_network(&l, 384, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tbc,def,ad,be,cf->ta");
  /* ttm and tt pair the sides */
  l.format = WL_FORMAT_TTM;
  l.n_ranks = 1;
  assert_int_equal(wl_layer_check_shape(&l, "--shape", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "pairs output and input factors"));
  l.format = WL_FORMAT_TT;
  assert_int_equal(wl_layer_check_shape(&l, "--shape", &err), HEAT_EINVAL);
  /* cp and tucker need a third mode; a factor 1 on a side of two is still refused */
  assert_int_equal(wl_shape_parse("768:768", "--shape", &l.shape, &err), HEAT_OK);
  l.format = WL_FORMAT_CP;
  assert_int_equal(wl_layer_check_shape(&l, "--shape", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "at least 2 factors on one side"));
  assert_int_equal(wl_shape_parse("64x1:768", "--shape", &l.shape, &err), HEAT_EINVAL);
}

static void enumeration_matches_exhaustive_reference(void **state) {
  (void)state;
  heat_error err;
  wl_shape *v;
  size_t n;
  /* Python: 8 shapes with d = 2, 3 with d = 3, none with d = 4 for 12 x 8 */
  assert_int_equal(wl_shape_enumerate(12, 8, 2, 4, 0, &v, &n, &err), HEAT_OK);
  assert_int_equal(n, 11);
  char text[WL_SHAPE_TEXT_MAX];
  wl_shape_format(&v[0], text, sizeof text);
  assert_string_equal(text, "2x2x3:2x2x2");
  wl_shape_format(&v[3], text, sizeof text);
  assert_string_equal(text, "3x4:2x4");
  assert_true(fabs(wl_shape_entropy(&v[0]) - 1.7739343243310048) < 1e-12);
  free(v);
  /* 3072 x 768, d = 3: 11340 shapes; the most uniform is HEAT's FFN1 shape */
  assert_int_equal(wl_shape_enumerate(3072, 768, 3, 3, 0, &v, &n, &err), HEAT_OK);
  assert_int_equal(n, 11340);
  free(v);
  assert_int_equal(wl_shape_enumerate(3072, 768, 3, 3, 5, &v, &n, &err), HEAT_OK);
  assert_int_equal(n, 5);
  wl_shape_format(&v[0], text, sizeof text);
  assert_string_equal(text, "12x16x16:8x8x12");
  wl_shape_format(&v[1], text, sizeof text);
  assert_string_equal(text, "12x16x16:8x12x8");
  assert_true(fabs(wl_shape_entropy(&v[0]) - 1.784923951566726) < 1e-12);
  free(v);
  assert_int_equal(wl_shape_enumerate(12, 8, 1, 4, 0, &v, &n, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "within 2..4"));
  assert_int_equal(wl_shape_enumerate(1, 8, 2, 4, 0, &v, &n, &err), HEAT_EINVAL);
  /* no shape at all (13 is prime; 4x9 has two prime factors per side, not three): an empty
   * result, not an allocation failure */
  assert_int_equal(wl_shape_enumerate(7, 13, 2, 4, 0, &v, &n, &err), HEAT_OK);
  assert_int_equal(n, 0);
  free(v);
  assert_int_equal(wl_shape_enumerate(4, 9, 3, 3, 0, &v, &n, &err), HEAT_OK);
  assert_int_equal(n, 0);
  free(v);
  assert_int_equal(wl_shape_enumerate(2, 768, 2, 4, 0, &v, &n, &err), HEAT_OK);
  assert_int_equal(n, 0);
  free(v);
}

static wl_layer layer(wl_format f, const char *shape, const int64_t *ranks, size_t n) {
  wl_layer l;
  memset(&l, 0, sizeof l);
  l.format = f;
  heat_error err;
  assert_int_equal(wl_shape_parse(shape, "--shape", &l.shape, &err), HEAT_OK);
  l.n_ranks = n;
  if (n) memcpy(l.rank, ranks, n * sizeof *ranks);
  l.cp_weights = true;
  return l;
}

static void params_and_compression_by_hand(void **state) {
  (void)state;
  int64_t r2[] = {16, 16};
  wl_layer l = layer(WL_FORMAT_TTM, "12x16x16:8x8x12", r2, 2);
  /* 1·12·8·16 + 16·16·8·16 + 16·16·12·1 */
  assert_int_equal(wl_layer_params(&l), 1536 + 32768 + 3072);
  assert_true(fabs(wl_layer_compression(&l) - 37376.0 / (3072.0 * 768.0)) < 1e-15);
  int64_t r1[] = {64};
  l = layer(WL_FORMAT_SVD, "12x16x16:8x8x12", r1, 1);
  assert_int_equal(wl_layer_params(&l), 64 * (3072 + 768));
  int64_t rcp[] = {280};
  l = layer(WL_FORMAT_CP, "12x16x16:8x8x12", rcp, 1);
  assert_int_equal(wl_layer_params(&l), 280 * (12 + 16 + 16 + 8 + 8 + 12) + 280);
  l.cp_weights = false;
  assert_int_equal(wl_layer_params(&l), 280 * 72);
  int64_t rt[] = {4, 4, 4, 2, 2, 2};
  l = layer(WL_FORMAT_TUCKER, "12x16x16:8x8x12", rt, 6);
  assert_int_equal(wl_layer_params(&l),
                   4 * 4 * 4 * 8 + 12 * 4 + 16 * 4 + 16 * 4 + 8 * 2 + 8 * 2 + 12 * 2);
  int64_t rtt[] = {3, 5, 7, 5, 3};
  l = layer(WL_FORMAT_TT, "12x16x16:8x8x12", rtt, 5);
  assert_int_equal(wl_layer_params(&l),
                   12 * 3 + 3 * 16 * 5 + 5 * 16 * 7 + 7 * 8 * 5 + 5 * 8 * 3 + 3 * 12);
  l = layer(WL_FORMAT_DENSE, "12x16x16:8x8x12", NULL, 0);
  assert_int_equal(wl_layer_params(&l), 3072 * 768);
  assert_true(wl_layer_compression(&l) == 1.0);
}

static void rank_bounds_follow_the_unfoldings(void **state) {
  (void)state;
  int64_t up[WL_MAX_RANKS];
  wl_layer l = layer(WL_FORMAT_TT, "12x16x16:8x8x12", (int64_t[]){1, 1, 1, 1, 1}, 5);
  assert_int_equal(wl_layer_rank_upper(&l, up), 5);
  /* min(12, 196608), min(192, 12288), min(3072, 768), min(24576, 96), min(196608, 12) */
  int64_t want[] = {12, 192, 768, 96, 12};
  for (int k = 0; k < 5; k++) assert_int_equal(up[k], want[k]);
  l = layer(WL_FORMAT_TTM, "12x16x16:8x8x12", (int64_t[]){1, 1}, 2);
  wl_layer_rank_upper(&l, up);
  assert_int_equal(up[0], 96);  /* min(96, 128·192) */
  assert_int_equal(up[1], 192); /* min(96·128, 192) */
  l = layer(WL_FORMAT_CP, "4x3:2x5", (int64_t[]){1}, 1);
  wl_layer_rank_upper(&l, up);
  assert_int_equal(up[0], 4 * 3 * 2); /* all mode sizes but the largest (5) */
  l = layer(WL_FORMAT_SVD, "48:64", (int64_t[]){1}, 1);
  wl_layer_rank_upper(&l, up);
  assert_int_equal(up[0], 48);
}

static void bad_ranks_are_named(void **state) {
  (void)state;
  heat_error err;
  wl_layer l = layer(WL_FORMAT_TTM, "12x16x16:8x8x12", (int64_t[]){16, 200}, 2);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_ERANGE);
  assert_string_equal(err.where, "--ranks");
  assert_non_null(
      strstr(err.msg, "rank 2 of ttm with shape 12x16x16:8x8x12 is 200; allowed 1..192"));
  l = layer(WL_FORMAT_TTM, "12x16x16:8x8x12", (int64_t[]){16}, 1);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "takes 2 ranks (the inner ranks in mode order), got 1"));
  l = layer(WL_FORMAT_TUCKER, "4x4:4x4", (int64_t[]){4, 1, 1, 1}, 4);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "allowed 1..1 given the other ranks (the product of the other ranks)"));
  l = layer(WL_FORMAT_CP, "48:64", (int64_t[]){4}, 1);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "needs a tensorized shape"));
  l = layer(WL_FORMAT_SVD, "48:64", (int64_t[]){0}, 1);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_ERANGE);
  wl_format f;
  assert_int_equal(wl_format_parse("tensor-ring", "--format", &f, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "known: dense, svd, cp, tucker, ttm, tt"));
  assert_int_equal(wl_format_parse("tucker", "--format", &f, &err), HEAT_OK);
  assert_int_equal(f, WL_FORMAT_TUCKER);
}

/* TT/TTM ranks are bounded by their neighbours (r_k <= r_{k-1}·dim_k, r_k <= dim_{k+1}·r_{k+1}),
 * Tucker ranks by the product of the others; sweeps clip to those tight bounds. */
static void tight_rank_bounds(void **state) {
  (void)state;
  heat_error err;
  /* tt 4x6:6x6: modes 4,6,6,6; ranks 2,24,6: unfolding bounds 4,24,6 pass, but
   * r_2 = 24 > r_1·dim_2 = 2·6 = 12 */
  wl_layer l = layer(WL_FORMAT_TT, "4x6:6x6", (int64_t[]){2, 24, 6}, 3);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "rank 2 of tt with shape 4x6:6x6 is 24; allowed 1..12 given "
                                  "the other ranks (the previous rank times this mode's size)"));
  l = layer(WL_FORMAT_TT, "4x6:6x6", (int64_t[]){4, 24, 6}, 3);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_OK);
  /* tt 2x3:3x2: modes 2,3,3,2, unfolding bounds 2,6,2; ranks 2,6,2 are tight but valid
   * (6 = 2·3 = 3·2), ranks 2,6,1 break r_2 <= dim_3·r_3 = 3·1 */
  l = layer(WL_FORMAT_TT, "2x3:3x2", (int64_t[]){2, 6, 2}, 3);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_OK);
  l = layer(WL_FORMAT_TT, "2x3:3x2", (int64_t[]){2, 6, 1}, 3);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "allowed 1..3 given the other ranks (the next rank times the "
                                  "next mode's size)"));
  /* sweep clipping: tucker 2x16:2x2 at 16 -> 2,16,2,2 breaks the product bound (16 > 8) */
  l = layer(WL_FORMAT_TUCKER, "2x16:2x2", (int64_t[]){1, 1, 1, 1}, 4);
  wl_layer_clip_ranks(&l, 16);
  assert_int_equal(l.n_ranks, 4);
  int64_t want_t[] = {2, 8, 2, 2};
  for (int k = 0; k < 4; k++) assert_int_equal(l.rank[k], want_t[k]);
  assert_int_equal(wl_layer_check(&l, "--sweep-ranks", &err), HEAT_OK);
  l = layer(WL_FORMAT_TT, "4x6:6x6", (int64_t[]){1, 1, 1}, 3);
  wl_layer_clip_ranks(&l, 30);
  int64_t want_tt[] = {4, 24, 6};
  for (int k = 0; k < 3; k++) assert_int_equal(l.rank[k], want_tt[k]);
  assert_int_equal(wl_layer_check(&l, "--sweep-ranks", &err), HEAT_OK);
}

static void networks_have_the_documented_layout(void **state) {
  (void)state;
  heat_error err;
  tn_network net;
  wl_layer l = layer(WL_FORMAT_TTM, "12x16x16:8x8x12", (int64_t[]){16, 16}, 2);
  assert_int_equal(wl_layer_network(&l, 384, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tdef,adg,gbeh,hcf->tabc");
  assert_int_equal(net.n_operands, 4);
  assert_false(net.is_static[0]);
  for (int k = 1; k < 4; k++) assert_true(net.is_static[k]);
  assert_int_equal(net.size['t'], 384);
  assert_int_equal(net.size['a'], 12);
  assert_int_equal(net.size['f'], 12);
  assert_int_equal(net.size['g'], 16);
  l = layer(WL_FORMAT_CP, "64x12:32x24", (int64_t[]){280}, 1);
  assert_int_equal(wl_layer_network(&l, 384, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tcd,ae,be,ce,de,e->tab");
  l = layer(WL_FORMAT_TUCKER, "4x4:4x4", (int64_t[]){2, 3, 2, 3}, 4);
  assert_int_equal(wl_layer_network(&l, 8, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tcd,efgh,ae,bf,cg,dh->tab");
  l = layer(WL_FORMAT_TT, "4x4:4x4", (int64_t[]){2, 3, 2}, 3);
  assert_int_equal(wl_layer_network(&l, 8, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tcd,ae,ebf,fcg,gd->tab");
  l = layer(WL_FORMAT_SVD, "4x4:4x4", (int64_t[]){3}, 1);
  assert_int_equal(wl_layer_network(&l, 8, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tb,ac,bc->ta");
  assert_int_equal(net.size['a'], 16);
  l = layer(WL_FORMAT_DENSE, "4x4:4x4", NULL, 0);
  assert_int_equal(wl_layer_network(&l, 8, &net, &err), HEAT_OK);
  assert_string_equal(net.expr, "tb,ab->ta");
  assert_int_equal(wl_layer_network(&l, 0, &net, &err), HEAT_ERANGE);
  assert_string_equal(err.where, "--seq");
}

/* The network agrees with tn_parse of its own expression, and its static operands hold exactly
 * the parameters wl_layer_params counts (two independent computations of the layout). */
static void networks_parse_back_and_hold_the_params(void **state) {
  (void)state;
  struct {
    wl_format f;
    const char *shape;
    int64_t ranks[WL_MAX_RANKS];
    size_t n;
  } cases[] = {
      {WL_FORMAT_DENSE, "12x16x16:8x8x12", {0}, 0},
      {WL_FORMAT_SVD, "12x16x16:8x8x12", {64}, 1},
      {WL_FORMAT_CP, "12x16x16:8x8x12", {280}, 1},
      {WL_FORMAT_TUCKER, "12x16x16:8x8x12", {4, 5, 6, 3, 2, 7}, 6},
      {WL_FORMAT_TTM, "4x4x6x8:4x4x8x6", {8, 12, 9}, 3},
      {WL_FORMAT_TT, "4x4x6x8:4x4x8x6", {3, 9, 20, 30, 40, 20, 6}, 7},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    heat_error err;
    wl_layer l = layer(cases[c].f, cases[c].shape, cases[c].ranks, cases[c].n);
    tn_network net, parsed;
    assert_int_equal(wl_layer_network(&l, 384, &net, &err), HEAT_OK);
    assert_int_equal(tn_parse(net.expr, &parsed, &err), HEAT_OK);
    assert_int_equal(parsed.n_operands, net.n_operands);
    assert_string_equal(parsed.output, net.output);
    int64_t stored = 0;
    for (size_t k = 0; k < net.n_operands; k++) {
      assert_string_equal(parsed.operand[k], net.operand[k]);
      if (net.is_static[k]) stored += tn_elements(&net, net.operand[k]);
    }
    assert_int_equal(stored, wl_layer_params(&l));
    assert_int_equal(tn_elements(&net, net.operand[0]), 384 * wl_shape_cols(&l.shape));
    assert_int_equal(tn_elements(&net, net.output), 384 * wl_shape_rows(&l.shape));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shape_parses_and_formats),
      cmocka_unit_test(shape_rejects_bad_input),
      cmocka_unit_test(enumeration_matches_exhaustive_reference),
      cmocka_unit_test(params_and_compression_by_hand),
      cmocka_unit_test(rank_bounds_follow_the_unfoldings),
      cmocka_unit_test(bad_ranks_are_named),
      cmocka_unit_test(tight_rank_bounds),
      cmocka_unit_test(networks_have_the_documented_layout),
      cmocka_unit_test(networks_parse_back_and_hold_the_params),
      cmocka_unit_test(uneven_shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
