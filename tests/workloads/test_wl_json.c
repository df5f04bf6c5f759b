/* The strict JSON reader behind safetensors headers: what it accepts and each way it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/json.h"

static wl__json cursor(const char *text, heat_error *err) {
  wl__json j = {text, strlen(text), 0, "h.safetensors", err, NULL};
  return j;
}

static void reads_strings_with_escapes(void **state) {
  (void)state;
  heat_error err;
  char out[64];
  wl__json j = cursor(" \"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\" ", &err);
  assert_int_equal(wl__json_string(&j, out, sizeof out), HEAT_OK);
  assert_string_equal(out, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
  j = cursor("[1, 22, 333]", &err);
  int64_t v[4];
  size_t n;
  assert_int_equal(wl__json_uint_array(&j, v, 4, &n), HEAT_OK);
  assert_int_equal(n, 3);
  assert_int_equal(v[2], 333);
  j = cursor("{\"a\": [true, false, null, -1.5e3, {\"b\": \"c\"}], \"d\": {}}", &err);
  assert_int_equal(wl__json_skip_value(&j, 0), HEAT_OK);
  assert_int_equal(j.pos, j.len);
  /* skipped strings (values heat does not keep) may hold an escaped NUL */
  j = cursor("{\"a\": \"x\\u0000y\"}", &err);
  assert_int_equal(wl__json_skip_value(&j, 0), HEAT_OK);
}

static void refuse(const char *text, int which, const char *msg) {
  heat_error err;
  wl__json j = cursor(text, &err);
  char out[8];
  int64_t v[2];
  size_t n;
  int rc = which == 0   ? wl__json_string(&j, out, sizeof out)
           : which == 1 ? wl__json_uint_array(&j, v, 2, &n)
                        : wl__json_skip_value(&j, 0);
  assert_int_equal(rc, HEAT_EINVAL);
  assert_string_equal(err.where, "h.safetensors");
  if (!strstr(err.msg, msg)) fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, msg);
}

static void refuses_malformed_input(void **state) {
  (void)state;
  refuse("\"abc", 0, "unterminated string");
  refuse("\"a\\x\"", 0, "bad escape");
  refuse("\"\\u12g4\"", 0, "bad \\u escape");
  refuse("\"\\ud83d\"", 0, "unpaired surrogate");
  refuse("\"\\ude00\"", 0, "unpaired surrogate");
  refuse("\"a\tb\"", 0, "control character");
  refuse("\"longer than eight\"", 0, "string too long");
  refuse("abc", 0, "expected '\"'");
  /* a stored string is a C string: "q\u0000junk" would be read as "q" */
  refuse("\"q\\u0000j\"", 0, "\\u0000 (NUL) in a string");
  refuse("[01]", 1, "leading zero");
  refuse("[1.5]", 1, "expected an integer");
  refuse("[-1]", 1, "expected a non-negative integer");
  refuse("[1, 2, 3]", 1, "too many dimensions");
  refuse("[99999999999999999999]", 1, "integer too large");
  refuse("[1, 2", 1, "expected ']'");
  refuse("{\"a\": 1,}", 2, "expected '\"'");
  refuse("[1 2]", 2, "expected ']'");
  refuse("tru", 2, "bad value");
  refuse("1.", 2, "bad number");
  refuse("1e", 2, "bad number");
  refuse("", 2, "unexpected end");
  char deep[200];
  memset(deep, '[', sizeof deep - 1);
  deep[sizeof deep - 1] = '\0';
  refuse(deep, 2, "nesting too deep");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_strings_with_escapes),
      cmocka_unit_test(refuses_malformed_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
