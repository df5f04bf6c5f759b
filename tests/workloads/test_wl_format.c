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
  assert_int_equal(wl_shape_parse("12x16:8x8x12", "--shape", &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "2 output factors but 3 input factors"));
  assert_int_equal(wl_shape_parse("12x1:8x96", "--shape", &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "factor 1"));
  assert_int_equal(wl_shape_parse("12xq:8x8", "--shape", &s, &err), HEAT_EINVAL);
  assert_int_equal(wl_shape_parse("2x2x2x2x2:2x2x2x2x2", "--shape", &s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "too many"));
  assert_int_equal(wl_shape_parse("12x16x16:8x8x12", "--shape", &s, &err), HEAT_OK);
  assert_int_equal(wl_shape_check(&s, 768, 3072, "--shape", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "shape 12x16x16:8x8x12 is 3072 x 768 but the weight is 768 x 3072"));
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
}

static wl_layer layer(wl_format f, const char *shape, const int64_t *ranks, size_t n) {
  wl_layer l;
  memset(&l, 0, sizeof l);
  l.format = f;
  heat_error err;
  assert_int_equal(wl_shape_parse(shape, "--shape", &l.shape, &err), HEAT_OK);
  l.n_ranks = n;
  memcpy(l.rank, ranks, n * sizeof *ranks);
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
  assert_int_equal(wl_layer_params(&l), 4 * 4 * 4 * 8 + 12 * 4 + 16 * 4 + 16 * 4 + 8 * 2 + 8 * 2 + 12 * 2);
  int64_t rtt[] = {3, 5, 7, 5, 3};
  l = layer(WL_FORMAT_TT, "12x16x16:8x8x12", rtt, 5);
  assert_int_equal(wl_layer_params(&l), 12 * 3 + 3 * 16 * 5 + 5 * 16 * 7 + 7 * 8 * 5 + 5 * 8 * 3 + 3 * 12);
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
  assert_int_equal(up[0], 96);   /* min(96, 128·192) */
  assert_int_equal(up[1], 192);  /* min(96·128, 192) */
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
  assert_non_null(strstr(err.msg, "rank 2 of ttm with shape 12x16x16:8x8x12 is 200; allowed 1..192"));
  l = layer(WL_FORMAT_TTM, "12x16x16:8x8x12", (int64_t[]){16}, 1);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "takes 2 ranks (the inner ranks in mode order), got 1"));
  l = layer(WL_FORMAT_TUCKER, "4x4:4x4", (int64_t[]){4, 1, 1, 1}, 4);
  assert_int_equal(wl_layer_check(&l, "--ranks", &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "product of the others"));
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
  assert_string_equal(err.where, "--tokens");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shape_parses_and_formats),
      cmocka_unit_test(shape_rejects_bad_input),
      cmocka_unit_test(enumeration_matches_exhaustive_reference),
      cmocka_unit_test(params_and_compression_by_hand),
      cmocka_unit_test(rank_bounds_follow_the_unfoldings),
      cmocka_unit_test(bad_ranks_are_named),
      cmocka_unit_test(networks_have_the_documented_layout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
