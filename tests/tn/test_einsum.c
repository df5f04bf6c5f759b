/* Einsum parsing, shapes and static marking: every error names the expression (or option) and
 * the 1-based column of the offending character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/einsum.h"

static void parse_explicit_and_implicit_outputs(void **state) {
  (void)state;
  tn_network net;
  heat_error err;
  assert_int_equal(tn_parse("bc,a,da,ea,ca->bde", &net, &err), HEAT_OK);
  assert_int_equal(net.n_operands, 5);
  assert_string_equal(net.operand[0], "bc");
  assert_string_equal(net.operand[4], "ca");
  assert_string_equal(net.output, "bde");
  /* numpy: without '->' the output is the indices seen once, in ASCII order (upper first). */
  assert_int_equal(tn_parse("ba,ac", &net, &err), HEAT_OK);
  assert_string_equal(net.output, "bc");
  assert_int_equal(tn_parse("za,Ya", &net, &err), HEAT_OK);
  assert_string_equal(net.output, "Yz");
  assert_int_equal(tn_parse("ab, bc -> ac", &net, &err), HEAT_OK);
  assert_string_equal(net.operand[1], "bc");
  assert_string_equal(net.output, "ac");
  /* A scalar operand and a full reduction. */
  assert_int_equal(tn_parse("ab,,b->", &net, &err), HEAT_OK);
  assert_int_equal(net.n_operands, 3);
  assert_string_equal(net.operand[1], "");
  assert_string_equal(net.output, "");
  assert_string_equal(net.expr, "ab,,b->");
}

static void expect_parse_error(const char *expr, const char *where, const char *msg) {
  tn_network net;
  heat_error err;
  assert_int_equal(tn_parse(expr, &net, &err), HEAT_EINVAL);
  assert_string_equal(err.where, where);
  if (!strstr(err.msg, msg)) fail_msg("'%s': message '%s' lacks '%s'", expr, err.msg, msg);
}

static void parse_errors_name_the_column(void **state) {
  (void)state;
  expect_parse_error("ab,b#->a", "'ab,b#->a' column 5", "unknown character '#'; allowed:");
  expect_parse_error("ab,b1", "'ab,b1' column 5", "unknown character '1'");
  expect_parse_error("a...b,b", "'a...b,b' column 2", "unknown character '.'");
  expect_parse_error("ab,\tb", "'ab,\tb' column 4", "unknown character (byte 0x09)");
  expect_parse_error("aba,b->a", "'aba,b->a' column 3",
                     "index 'a' repeated within operand 0; traces and diagonals are not supported");
  expect_parse_error("ab,bc->ad", "'ab,bc->ad' column 9",
                     "output index 'd' is not in any input operand");
  expect_parse_error("ab->aa", "'ab->aa' column 6", "index 'a' repeated in the output");
  expect_parse_error("ab->a,b", "'ab->a,b' column 6", "',' in the output");
  expect_parse_error("ab->b->a", "'ab->b->a' column 6", "only allowed as part of a single '->'");
  expect_parse_error("ab-c", "'ab-c' column 3", "'-' is only allowed");
  expect_parse_error("ab>c", "'ab>c' column 3", "'>' is only allowed");
  expect_parse_error("", "'' column 1", "empty operand list");
  expect_parse_error("->ab", "'->ab' column 1", "empty operand list");
  expect_parse_error("  ", "'  ' column 1", "empty operand list");
}

static void too_many_operands(void **state) {
  (void)state;
  char expr[256] = "a";
  for (int i = 1; i < TN_MAX_OPERANDS; i++) strcat(expr, ",a");
  tn_network net;
  heat_error err;
  assert_int_equal(tn_parse(expr, &net, &err), HEAT_OK);
  assert_int_equal(net.n_operands, TN_MAX_OPERANDS);
  strcat(expr, ",a");
  assert_int_equal(tn_parse(expr, &net, &err), HEAT_EINVAL);
  char where[300];
  snprintf(where, sizeof where, "'%s' column %d", expr, 2 * TN_MAX_OPERANDS);
  assert_string_equal(err.where, where);
  assert_string_equal(err.msg, "more than 32 operands; heat supports at most 32");
  char longer[TN_EXPR_MAX + 8];
  memset(longer, 'a', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  assert_int_equal(tn_parse(longer, &net, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "expression longer than 511 characters"));
}

static void shapes_set_sizes(void **state) {
  (void)state;
  tn_network net;
  heat_error err;
  assert_int_equal(tn_parse("bc,a,da,ea,ca->bde", &net, &err), HEAT_OK);
  assert_int_equal(
      tn_set_shapes(&net, "384x768,280,64x280,12x280,768x280", "--shapes", &err), HEAT_OK);
  assert_int_equal(net.size['b'], 384);
  assert_int_equal(net.size['c'], 768);
  assert_int_equal(net.size['a'], 280);
  assert_int_equal(net.size['e'], 12);
  assert_int_equal(tn_elements(&net, "bde"), 384 * 64 * 12);
  assert_int_equal(tn_elements(&net, ""), 1);
  assert_int_equal(tn_parse("ab,,b->", &net, &err), HEAT_OK);
  assert_int_equal(tn_set_shapes(&net, "2x3,,3", "--shapes", &err), HEAT_OK);
  assert_int_equal(net.size['b'], 3);
}

static void expect_shape_error(const char *expr, const char *shapes, const char *where,
                               const char *msg) {
  tn_network net;
  heat_error err;
  assert_int_equal(tn_parse(expr, &net, &err), HEAT_OK);
  assert_int_equal(tn_set_shapes(&net, shapes, "--shapes", &err), HEAT_EINVAL);
  assert_string_equal(err.where, where);
  if (!strstr(err.msg, msg)) fail_msg("'%s': message '%s' lacks '%s'", shapes, err.msg, msg);
}

static void shape_errors_name_the_column(void **state) {
  (void)state;
  expect_shape_error("ab,bc", "2x3,4x5", "--shapes '2x3,4x5' column 5",
                     "index 'b' has conflicting sizes 3 and 4 (operand 1, 'bc')");
  expect_shape_error("ab,bc", "2x3x4,4x5", "--shapes '2x3x4,4x5' column 5",
                     "operand 0 ('ab') has 2 indices but its shape has more dimensions");
  expect_shape_error("ab,bc", "2,3x5", "--shapes '2,3x5' column 2",
                     "operand 0 ('ab') has 2 indices but its shape has 1 dimensions");
  expect_shape_error("ab,bc", "2x3", "--shapes '2x3' column 4", "1 shapes given for 2 operands");
  expect_shape_error("ab,bc", "2x3,3x4,5", "--shapes '2x3,3x4,5' column 8",
                     "more shapes than the 2 operands");
  expect_shape_error("ab,bc", "2x,3x4", "--shapes '2x,3x4' column 3",
                     "missing dimension after 'x'");
  expect_shape_error("ab,bc", "2xq,3x4", "--shapes '2xq,3x4' column 3",
                     "expected a dimension (a positive integer) for operand 0 ('ab'), got 'q'");
  expect_shape_error("ab,bc", "2x3;3x4", "--shapes '2x3;3x4' column 4", "unexpected ';'");
  expect_shape_error("ab,bc", "0x3,3x4", "--shapes '0x3,3x4' column 1",
                     "size of index 'a' out of range; allowed 1..2147483647");
  expect_shape_error("ab,bc", "2x3,3x99999999999", "--shapes '2x3,3x99999999999' column 7",
                     "size of index 'c' out of range");
  expect_shape_error("ab,bc", "", "--shapes '' column 1",
                     "operand 0 ('ab') has 2 indices but its shape has 0 dimensions");
}

static void set_shape_checks_rank_and_sizes(void **state) {
  (void)state;
  tn_network net;
  heat_error err;
  assert_int_equal(tn_parse("ab,bc->ac", &net, &err), HEAT_OK);
  int64_t d0[] = {2, 3}, d1[] = {4, 5}, bad[] = {0, 5};
  assert_int_equal(tn_set_shape(&net, 0, d0, 2, &err), HEAT_OK);
  assert_int_equal(tn_set_shape(&net, 1, d1, 2, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "ab,bc->ac");
  assert_string_equal(err.msg, "index 'b' has conflicting sizes 3 and 4 (operand 1)");
  assert_int_equal(tn_set_shape(&net, 1, d1, 1, &err), HEAT_EINVAL);
  assert_string_equal(err.msg, "operand 1 ('bc') has 2 indices but its shape has 1 dimensions");
  assert_int_equal(tn_set_shape(&net, 2, d1, 2, &err), HEAT_EINVAL);
  assert_string_equal(err.msg, "operand 2 does not exist (2 operands)");
  assert_int_equal(tn_set_shape(&net, 1, bad, 2, &err), HEAT_ERANGE);
  assert_string_equal(err.msg, "operand 1 index 'b': size 0 out of range; allowed 1..2147483647");
}

static void static_marking(void **state) {
  (void)state;
  tn_network net;
  heat_error err;
  assert_int_equal(tn_parse("bc,a,da,ea,ca->bde", &net, &err), HEAT_OK);
  assert_int_equal(tn_set_static(&net, "1,2,4", "--static", &err), HEAT_OK);
  assert_false(net.is_static[0]);
  assert_true(net.is_static[1]);
  assert_true(net.is_static[2]);
  assert_false(net.is_static[3]);
  assert_true(net.is_static[4]);
  assert_int_equal(tn_set_static(&net, "1,5", "--static", &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--static '1,5' column 3");
  assert_string_equal(err.msg, "operand 5 does not exist; operands are numbered 0..4");
  assert_int_equal(tn_set_static(&net, "1;2", "--static", &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--static '1;2' column 2");
  assert_int_equal(tn_set_static(&net, "x", "--static", &err), HEAT_EINVAL);
  assert_string_equal(err.msg, "expected an operand number (0..4)");
  assert_int_equal(tn_set_static(&net, "", "--static", &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--static");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_explicit_and_implicit_outputs),
      cmocka_unit_test(parse_errors_name_the_column),
      cmocka_unit_test(too_many_operands),
      cmocka_unit_test(shapes_set_sizes),
      cmocka_unit_test(shape_errors_name_the_column),
      cmocka_unit_test(set_shape_checks_rank_and_sizes),
      cmocka_unit_test(static_marking),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
