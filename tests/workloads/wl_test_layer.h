/* Test helper shared by the factorization tests: a layer from text (ranks '/'-separated, as the
 * oracle CSV writes them). Include after <cmocka.h>. */
#ifndef HEAT_TESTS_WL_TEST_LAYER_H
#define HEAT_TESTS_WL_TEST_LAYER_H

#include <string.h>

#include "common/heat_parse.h"
#include "workloads/format.h"

static void parse_layer(const char *format, const char *shape, const char *ranks, wl_layer *l) {
  heat_error err;
  memset(l, 0, sizeof *l);
  assert_int_equal(wl_format_parse(format, "format", &l->format, &err), HEAT_OK);
  assert_int_equal(wl_shape_parse(shape, "shape", &l->shape, &err), HEAT_OK);
  assert_int_equal(heat_parse_int64_list(ranks, '/', 1, 100000, "ranks", l->rank, WL_MAX_RANKS,
                                         &l->n_ranks, &err),
                   HEAT_OK);
  l->cp_weights = true;
}

#endif
