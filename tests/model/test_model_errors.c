/* workloads/model: every bad description names origin:line (or the option), the key, and what
 * is allowed. Inline texts are variations of one valid description, line by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/model.h"

/* A valid encoder; the comments are the line numbers errors must name. */
static const char *const base[] = {
    "name = \"t\";",        /* 1 */
    "kind = \"encoder\";",  /* 2 */
    "layers = 2;",          /* 3 */
    "hidden = 64;",         /* 4 */
    "heads = 4;",           /* 5 */
    "ffn = 256;",           /* 6 */
    "vocab = 100;",         /* 7 */
    "positions = 32;",      /* 8 */
    "token_types = 2;",     /* 9 */
    "seq = 16;",            /* 10 */
    "batch = 1;",           /* 11 */
    "biases = true;",       /* 12 */
};
#define BASE_LINES (sizeof base / sizeof base[0])

/* The base text with line `line` replaced by `repl` (a line past the end appends). */
static void text_with(size_t line, const char *repl, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 1; i <= BASE_LINES || i == line; i++) {
    const char *l = i == line ? repl : (i <= BASE_LINES ? base[i - 1] : "");
    used += (size_t)snprintf(out + used, cap - used, "%s\n", l);
  }
}

static void expect_error(const char *text, int code, const char *where, const char *msg_part) {
  model m;
  heat_error err;
  heat_error_clear(&err);
  int rc = model_load_string(text, "t.cfg", &m, &err);
  if (rc != code || strcmp(err.where, where) != 0 || !strstr(err.msg, msg_part))
    fail_msg("got %d '%s: %s', wanted %d '%s: ...%s...'", rc, err.where, err.msg, code, where,
             msg_part);
}

static void expect_line_error(size_t line, const char *repl, int code, const char *where,
                              const char *msg_part) {
  char text[2048];
  text_with(line, repl, text, sizeof text);
  expect_error(text, code, where, msg_part);
}

static void base_is_valid(void **state) {
  (void)state;
  char text[2048];
  text_with(0, "", text, sizeof text);
  model m;
  heat_error err;
  assert_int_equal(model_load_string(text, "t.cfg", &m, &err), HEAT_OK);
  assert_int_equal(m.hidden, 64);
}

static void syntax_error(void **state) {
  (void)state;
  expect_line_error(6, "ffn = 256 256;", HEAT_EINVAL, "t.cfg:6", "syntax error");
}

static void missing_keys(void **state) {
  (void)state;
  expect_line_error(4, "", HEAT_EINVAL, "t.cfg", "missing key 'hidden' (an integer)");
  expect_line_error(2, "", HEAT_EINVAL, "t.cfg", "missing key 'kind' (a string)");
  expect_line_error(10, "", HEAT_EINVAL, "t.cfg", "missing key 'seq'");
  expect_error("name = \"v\"; kind = \"vision-encoder\"; layers = 1; hidden = 8; heads = 2;\n"
               "ffn = 8; image_size = 32; channels = 3;\n",
               HEAT_EINVAL, "t.cfg", "missing key 'patch_size'");
}

static void unknown_keys(void **state) {
  (void)state;
  expect_line_error(13, "hiden = 64;", HEAT_EINVAL, "t.cfg:13", "unknown key 'hiden'; allowed");
  /* a key of another kind */
  expect_line_error(13, "image_size = 224;", HEAT_EINVAL, "t.cfg:13",
                    "kind \"encoder\": unknown key 'image_size'");
  expect_line_error(13, "tied_embeddings = true;", HEAT_EINVAL, "t.cfg:13",
                    "unknown key 'tied_embeddings'");
}

static void wrong_types(void **state) {
  (void)state;
  expect_line_error(4, "hidden = \"768\";", HEAT_EINVAL, "t.cfg:4",
                    "'hidden' must be an integer");
  expect_line_error(4, "hidden = 768.0;", HEAT_EINVAL, "t.cfg:4", "'hidden' must be an integer");
  expect_line_error(12, "biases = 1;", HEAT_EINVAL, "t.cfg:12", "'biases' must be true or false");
  expect_line_error(2, "kind = encoder;", HEAT_EINVAL, "t.cfg:2", "syntax error");
  expect_line_error(2, "kind = 1;", HEAT_EINVAL, "t.cfg:2", "'kind' must be a string");
  expect_line_error(1, "name = \"\";", HEAT_EINVAL, "t.cfg:1", "'name' must be a non-empty");
  expect_line_error(1,
                    "name = \"a-name-of-seventy-characters-which-is-longer-than-heat-keeps-xxxxxx\";",
                    HEAT_ERANGE, "t.cfg:1", "'name' is too long (at most 63 characters)");
}

static void unknown_enum_values(void **state) {
  (void)state;
  expect_line_error(2, "kind = \"seq2seq\";", HEAT_EINVAL, "t.cfg:2",
                    "'kind' = \"seq2seq\" is not known; allowed: \"encoder\", \"decoder\", "
                    "\"vision-encoder\"");
  expect_line_error(13, "norm = \"sandwich\";", HEAT_EINVAL, "t.cfg:13",
                    "allowed: \"post\", \"pre\"");
  expect_line_error(13, "activation = \"relu\";", HEAT_EINVAL, "t.cfg:13",
                    "'activation' = \"relu\" is not known; allowed: \"gelu\"");
}

static void zero_and_negative_sizes(void **state) {
  (void)state;
  expect_line_error(3, "layers = 0;", HEAT_ERANGE, "t.cfg:3",
                    "'layers' = 0 is out of range; allowed 1..100000");
  expect_line_error(4, "hidden = -64;", HEAT_ERANGE, "t.cfg:4",
                    "'hidden' = -64 is out of range; allowed 1..2147483647");
  expect_line_error(11, "batch = 0;", HEAT_ERANGE, "t.cfg:11", "'batch' = 0 is out of range");
  expect_line_error(9, "token_types = -1;", HEAT_ERANGE, "t.cfg:9",
                    "'token_types' = -1 is out of range; allowed 0..");
}

static void inconsistent_sizes(void **state) {
  (void)state;
  expect_line_error(5, "heads = 5;", HEAT_EINVAL, "t.cfg:5",
                    "'heads' = 5 does not divide 'hidden' = 64");
  expect_line_error(10, "seq = 33;", HEAT_EINVAL, "t.cfg:10",
                    "'seq' = 33 exceeds 'positions' = 32; allowed 1..32");
  expect_error("name = \"v\"; kind = \"vision-encoder\"; layers = 1; hidden = 8; heads = 2;\n"
               "ffn = 8; image_size = 30;\npatch_size = 16; channels = 3;\n",
               HEAT_EINVAL, "t.cfg:3", "'patch_size' = 16 does not divide 'image_size' = 30");
}

static void overflowing_integers(void **state) {
  (void)state;
  /* libconfig 1.5 would read 2^32 + 64 as 64: the guard rejects the literal */
  expect_line_error(4, "hidden = 4294967360;", HEAT_ERANGE, "t.cfg:4",
                    "integer 4294967360 does not fit in 32 bits");
  /* as a 64-bit literal it is read, and is beyond the allowed size */
  expect_line_error(4, "hidden = 4294967360L;", HEAT_ERANGE, "t.cfg:4",
                    "'hidden' = 4294967360 is out of range; allowed 1..2147483647");
  /* every size is legal, but tokens x hidden x ... overflows int64: named, no line to give */
  expect_error("name = \"big\"; kind = \"encoder\"; layers = 1; hidden = 2147483646L;\n"
               "heads = 1; ffn = 1; vocab = 1; positions = 2147483647L;\n"
               "seq = 2147483647L; batch = 2147483647L;\n",
               HEAT_ERANGE, "t.cfg", "overflows 64-bit integers at seq 2147483647");
  /* each op fits (4 x 2^48 params a block) but 100000 blocks of them do not */
  expect_error("name = \"deep\"; kind = \"encoder\"; layers = 100000; hidden = 16777216;\n"
               "heads = 1; ffn = 1; vocab = 1; positions = 1; seq = 1;\n",
               HEAT_ERANGE, "t.cfg", "the totals of deep overflow 64-bit integers at seq 1");
}

static void seq_and_batch_options(void **state) {
  (void)state;
  model m;
  heat_error err;
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  assert_int_equal(model_set_seq(&m, 513, "--seq", &err), HEAT_ERANGE);
  assert_string_equal(err.where, "--seq");
  assert_non_null(strstr(err.msg, "513 is out of range; bert-base has 512 positions, allowed 1..512"));
  assert_int_equal(model_set_seq(&m, 0, "--seq", &err), HEAT_ERANGE);
  assert_int_equal(m.seq, 384); /* unchanged */
  assert_int_equal(model_set_batch(&m, 0, "--batch", &err), HEAT_ERANGE);
  assert_string_equal(err.where, "--batch");
  assert_int_equal(model_set_batch(&m, INT64_MAX / 2, "--batch", &err), HEAT_ERANGE);
  assert_string_equal(err.where, "--batch");
  assert_non_null(strstr(err.msg, "overflows 64-bit integers"));
  assert_int_equal(m.batch, 1);
  assert_int_equal(model_resolve("vit-b16", &m, &err), HEAT_OK);
  assert_int_equal(model_set_seq(&m, 100, "--seq", &err), HEAT_EINVAL);
  assert_string_equal(err.where, "--seq");
  assert_non_null(strstr(err.msg, "vision encoder"));
}

static void unknown_presets_and_files(void **state) {
  (void)state;
  model m;
  heat_error err;
  assert_int_equal(model_resolve("bert-huge", &m, &err), HEAT_ENOTFOUND);
  assert_non_null(strstr(err.msg, "unknown model 'bert-huge'; known presets: bert-base, "
                                  "bert-large, distilbert, gpt2-small, vit-b16"));
  assert_int_equal(model_resolve("no/such.cfg", &m, &err), HEAT_EIO);
  assert_string_equal(err.where, "no/such.cfg");
}

static void too_small_op_array(void **state) {
  (void)state;
  model m;
  heat_error err;
  model_op ops[4];
  size_t n = 0;
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  assert_int_equal(model_block_ops(&m, ops, 4, &n, &err), HEAT_ERANGE);
  assert_int_equal(n, 14);
  assert_non_null(strstr(err.msg, "has 14 operations, room for 4"));
}

/* The files in bad/ are also what the CLI tests feed to `heat model show`. */
static void bad_files(void **state) {
  (void)state;
  static const struct {
    const char *path, *where, *msg;
  } cases[] = {
      {"bad/syntax.cfg", "bad/syntax.cfg:5", "syntax error"},
      {"bad/heads.cfg", "bad/heads.cfg:6", "'heads' = 7 does not divide 'hidden' = 768"},
      {"bad/wrap.cfg", "bad/wrap.cfg:9", "integer 3000000000 does not fit in 32 bits"},
      {"bad/unknown_key.cfg", "bad/unknown_key.cfg:11", "unknown key 'pooler'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    model m;
    heat_error err;
    int rc = model_resolve(cases[i].path, &m, &err);
    if (rc == HEAT_OK || strcmp(err.where, cases[i].where) != 0 || !strstr(err.msg, cases[i].msg))
      fail_msg("%s: got '%s: %s'", cases[i].path, err.where, err.msg);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(base_is_valid),          cmocka_unit_test(syntax_error),
      cmocka_unit_test(missing_keys),           cmocka_unit_test(unknown_keys),
      cmocka_unit_test(wrong_types),            cmocka_unit_test(unknown_enum_values),
      cmocka_unit_test(zero_and_negative_sizes), cmocka_unit_test(inconsistent_sizes),
      cmocka_unit_test(overflowing_integers),   cmocka_unit_test(seq_and_batch_options),
      cmocka_unit_test(unknown_presets_and_files), cmocka_unit_test(too_small_op_array),
      cmocka_unit_test(bad_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
