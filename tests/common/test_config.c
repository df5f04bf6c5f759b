/* heat_config: libconfig reading with file:line errors, range checks and the 2^31 wrap guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/heat_config.h"

static heat_config *open_ok(const char *text) {
  heat_config *cfg = NULL;
  heat_error err;
  int rc = heat_config_open_string(text, "t.cfg", &cfg, &err);
  if (rc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
  assert_int_equal(rc, HEAT_OK);
  return cfg;
}

static void reads_typed_values_with_defaults(void **state) {
  (void)state;
  heat_config *cfg = open_ok("name = \"x\";\nsize = 64;\nbig = 3000000000L;\nghz = 1;\n"
                             "on = true;\ng = { a = 2.5; };\nl = [1, 2];\n");
  const config_setting_t *root = heat_config_root(cfg);
  heat_error err;
  int64_t v;
  double d;
  bool b;
  char s[8];
  const config_setting_t *g, *l;
  assert_int_equal(heat_config_int64(cfg, root, "size", true, 0, 1, 100, &v, &err), HEAT_OK);
  assert_int_equal(v, 64);
  assert_int_equal(heat_config_int64(cfg, root, "big", true, 0, 1, INT64_MAX, &v, &err), HEAT_OK);
  assert_int_equal(v, 3000000000LL);
  assert_int_equal(heat_config_int64(cfg, root, "absent", false, 7, 1, 100, &v, &err), HEAT_OK);
  assert_int_equal(v, 7);
  assert_int_equal(heat_config_double(cfg, root, "ghz", true, 0, 0.001, 10, &d, &err), HEAT_OK);
  assert_true(d == 1.0);
  assert_int_equal(heat_config_bool(cfg, root, "on", true, false, &b, &err), HEAT_OK);
  assert_true(b);
  assert_int_equal(heat_config_string(cfg, root, "name", true, NULL, s, sizeof s, &err), HEAT_OK);
  assert_string_equal(s, "x");
  assert_int_equal(heat_config_member(cfg, root, "g", CONFIG_TYPE_GROUP, true, &g, &err), HEAT_OK);
  assert_int_equal(heat_config_double(cfg, g, "a", true, 0, 0, 10, &d, &err), HEAT_OK);
  assert_true(d == 2.5);
  assert_int_equal(heat_config_member(cfg, root, "l", CONFIG_TYPE_LIST, true, &l, &err), HEAT_OK);
  assert_int_equal(config_setting_length(l), 2);
  assert_int_equal(heat_config_member(cfg, root, "nope", CONFIG_TYPE_GROUP, false, &g, &err),
                   HEAT_OK);
  assert_null(g);
  heat_config_free(cfg);
}

static void errors_name_file_line_and_key(void **state) {
  (void)state;
  heat_config *cfg = open_ok("a = 1;\ng = {\n  rows = 0;\n  name = 5;\n  x = 1;\n};\n");
  const config_setting_t *root = heat_config_root(cfg), *g;
  heat_error err;
  int64_t v;
  char s[8];
  bool b;
  assert_int_equal(heat_config_member(cfg, root, "g", CONFIG_TYPE_GROUP, true, &g, &err), HEAT_OK);
  assert_int_equal(heat_config_int64(cfg, g, "rows", true, 0, 1, 100, &v, &err), HEAT_ERANGE);
  assert_string_equal(err.where, "t.cfg:3");
  assert_non_null(strstr(err.msg, "'g.rows' = 0 is out of range; allowed 1..100"));
  double d;
  assert_int_equal(heat_config_double(cfg, g, "rows", true, 0, -HUGE_VAL, -1, &d, &err),
                   HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "allowed at most -1"));
  assert_int_equal(heat_config_double(cfg, g, "rows", true, 0, 1, HUGE_VAL, &d, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "allowed at least 1"));
  assert_int_equal(heat_config_int64(cfg, g, "cols", true, 0, 1, 100, &v, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "missing key 'g.cols'"));
  assert_string_equal(err.where, "t.cfg:2");
  assert_int_equal(heat_config_string(cfg, g, "name", true, NULL, s, sizeof s, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "'g.name' must be a string"));
  assert_string_equal(err.where, "t.cfg:4");
  assert_int_equal(heat_config_bool(cfg, g, "name", true, false, &b, &err), HEAT_EINVAL);
  assert_int_equal(heat_config_member(cfg, root, "a", CONFIG_TYPE_GROUP, true, &g, &err),
                   HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "'a' must be a group"));
  assert_int_equal(heat_config_member(cfg, root, "g", CONFIG_TYPE_GROUP, true, &g, &err), HEAT_OK);
  static const char *const allowed[] = {"rows", "name", NULL};
  assert_int_equal(heat_config_check_keys(cfg, g, allowed, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "t.cfg:5");
  assert_non_null(strstr(err.msg, "unknown key 'g.x'; allowed here: rows, name"));
  heat_config_free(cfg);
}

static void paths_name_list_elements_by_index(void **state) {
  (void)state;
  heat_config *cfg = open_ok("b = (\n  { x = 1; },\n  { y = (\"a\", 5); }\n);\n");
  const config_setting_t *root = heat_config_root(cfg), *b;
  heat_error err;
  char path[64];
  assert_int_equal(heat_config_member(cfg, root, "b", CONFIG_TYPE_LIST, true, &b, &err), HEAT_OK);
  const config_setting_t *e1 = config_setting_get_elem(b, 1);
  heat_config_path(e1, path, sizeof path);
  assert_string_equal(path, "b[1]");
  const config_setting_t *y = config_setting_get_member(e1, "y");
  heat_config_path(config_setting_get_elem(y, 0), path, sizeof path);
  assert_string_equal(path, "b[1].y[0]");
  heat_config_path(root, path, sizeof path);
  assert_string_equal(path, "");
  int64_t v;
  assert_int_equal(heat_config_int64(cfg, e1, "z", true, 0, 1, 2, &v, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "t.cfg:3");
  assert_non_null(strstr(err.msg, "missing key 'b[1].z'"));
  heat_config_free(cfg);
}

static void syntax_errors_carry_the_line(void **state) {
  (void)state;
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_string("a = 1;\nb = ;\n", "s.cfg", &cfg, &err), HEAT_EINVAL);
  assert_null(cfg);
  assert_string_equal(err.where, "s.cfg:2");
  assert_string_equal(err.msg, "syntax error");
  assert_int_equal(heat_config_open_string("a = [1, \"x\"];\n", "s.cfg", &cfg, &err), HEAT_EINVAL);
  assert_string_equal(err.msg, "syntax error: mismatched element type in array");
}

static void integers_that_libconfig_would_wrap_are_rejected(void **state) {
  (void)state;
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_string("a = 1;\n\nsize = 2147483648;\n", "w.cfg", &cfg, &err),
                   HEAT_ERANGE);
  assert_string_equal(err.where, "w.cfg:3");
  assert_non_null(strstr(err.msg, "2147483648 does not fit in 32 bits"));
  assert_int_equal(heat_config_open_string("l = [1, 0x80000000];", "w.cfg", &cfg, &err),
                   HEAT_ERANGE);
  assert_int_equal(heat_config_open_string("a = 99999999999999999999;", "w.cfg", &cfg, &err),
                   HEAT_ERANGE);
  /* The sign is kept and -2^31 itself fits; L-suffixed literals must fit in 64 bits. */
  assert_int_equal(heat_config_open_string("a = -2147483649;", "w.cfg", &cfg, &err), HEAT_ERANGE);
  assert_non_null(strstr(err.msg, "integer -2147483649 does not fit in 32 bits"));
  assert_non_null(strstr(err.msg, "(-2147483649L)"));
  assert_int_equal(heat_config_open_string("a = 1;\nb = 99999999999999999999999L;", "w.cfg", &cfg,
                                           &err),
                   HEAT_ERANGE);
  assert_string_equal(err.where, "w.cfg:2");
  assert_non_null(strstr(err.msg, "99999999999999999999999L does not fit in 64 bits"));
  cfg = open_ok("a = -2147483648; b = -9223372036854775808L;");
  heat_config_free(cfg);
  /* Strings, comments, floats, L-suffixed and 2^31-1 are fine. */
  cfg = open_ok("s = \"4294967297\"; # 4294967297\n// 5000000000\n/* 6000000000 */\n"
                "f = 3000000000.0; e = 1e12; m = 2147483647; l = 5000000000L; k_9 = 1;\n");
  heat_config_free(cfg);
}

static void files_are_read_and_missing_files_reported(void **state) {
  (void)state;
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_file("/tmp", &cfg, &err), HEAT_EIO);
  assert_string_equal(err.msg, "is a directory, not a .cfg description; heat reads only regular files");
  assert_int_equal(heat_config_open_file("/nonexistent/x.cfg", &cfg, &err), HEAT_EIO);
  assert_string_equal(err.where, "/nonexistent/x.cfg");
  assert_non_null(strstr(err.msg, "cannot open"));
  char path[] = "/tmp/heat_cfg_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("x = 1;\ny = \"unterminated;\n", f);
  fclose(f);
  assert_int_equal(heat_config_open_file(path, &cfg, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.where, path));
  f = fopen(path, "w");
  fputs("x = 12;\n", f);
  fclose(f);
  assert_int_equal(heat_config_open_file(path, &cfg, &err), HEAT_OK);
  assert_string_equal(heat_config_origin(cfg), path);
  heat_config_free(cfg);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_typed_values_with_defaults),
      cmocka_unit_test(errors_name_file_line_and_key),
      cmocka_unit_test(paths_name_list_elements_by_index),
      cmocka_unit_test(syntax_errors_carry_the_line),
      cmocka_unit_test(integers_that_libconfig_would_wrap_are_rejected),
      cmocka_unit_test(files_are_read_and_missing_files_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
