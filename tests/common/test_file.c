/* heat_file and the description pre-scan: special files, size caps, @include, strings libconfig
 * would leak, setting and nesting caps. Each case hung, ran out of memory, leaked or was
 * silently accepted before (issue 11); the ctest TIMEOUT turns a hang back into a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/heat_config.h"
#include "common/heat_file.h"

static char dir[] = "/tmp/heat_file_XXXXXX";

static int make_dir(void **state) {
  (void)state;
  return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state) {
  (void)state;
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void fifo_is_refused_without_blocking(void **state) {
  (void)state;
  char path[96];
  snprintf(path, sizeof path, "%s/f.cfg", dir);
  assert_int_equal(mkfifo(path, 0600), 0);
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_file(path, &cfg, &err), HEAT_EIO);
  assert_null(cfg);
  assert_string_equal(err.where, path);
  assert_string_equal(err.msg, "is a FIFO (named pipe), not a .cfg description; heat reads only "
                               "regular files");
  FILE *fp = NULL;
  assert_int_equal(heat_file_open(path, "a weight file", &fp, NULL, &err), HEAT_EIO);
  assert_null(fp);
  assert_non_null(strstr(err.msg, "FIFO (named pipe), not a weight file"));
}

static void devices_are_refused(void **state) {
  (void)state;
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_file("/dev/zero", &cfg, &err), HEAT_EIO);
  assert_string_equal(err.msg, "is a character device, not a .cfg description; heat reads only "
                               "regular files");
  assert_int_equal(heat_exit_code(err.code), 2);
  char *text;
  size_t len;
  assert_int_equal(heat_file_read_text("/dev/null", "a plan", 100, &text, &len, &err), HEAT_EIO);
  assert_null(text);
}

static void oversized_files_are_refused(void **state) {
  (void)state;
  char path[96];
  snprintf(path, sizeof path, "%s/big.cfg", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  /* sparse: 4 MiB + 1 bytes of NULs without writing them */
  assert_int_equal(ftruncate(fileno(f), HEAT_TEXT_FILE_MAX + 1), 0);
  fclose(f);
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_file(path, &cfg, &err), HEAT_EINVAL);
  assert_string_equal(err.msg, "is 4194305 bytes; a .cfg description may be at most 4194304 "
                               "bytes (4 MiB)");
  /* exactly at the limit is read (and then refused for its NUL bytes, not its size) */
  assert_int_equal(truncate(path, HEAT_TEXT_FILE_MAX), 0);
  assert_int_equal(heat_config_open_file(path, &cfg, &err), HEAT_EINVAL);
  assert_string_equal(err.msg, "not a text file (contains NUL bytes)");
  char *text;
  size_t len;
  f = fopen(path, "w");
  fputs("0123456789", f);
  fclose(f);
  assert_int_equal(heat_file_read_text(path, "a plan", 9, &text, &len, &err), HEAT_EINVAL);
  assert_int_equal(heat_file_read_text(path, "a plan", 10, &text, &len, &err), HEAT_OK);
  assert_int_equal(len, 10);
  assert_string_equal(text, "0123456789");
  free(text);
}

static void expect_refused(const char *text, int code, int line, const char *msg) {
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_string(text, "d.cfg", &cfg, &err), code);
  assert_null(cfg);
  char where[32];
  snprintf(where, sizeof where, "d.cfg:%d", line);
  assert_string_equal(err.where, where);
  if (!strstr(err.msg, msg)) fail_msg("'%s' lacks '%s'", err.msg, msg);
}

static void include_is_refused_with_its_line(void **state) {
  (void)state;
  expect_refused("name = \"x\";\n  @include \"layers.cfg\"\n", HEAT_EINVAL, 2,
                 "@include is not supported");
  expect_refused("a = 1;\n\nb = @x;\n", HEAT_EINVAL, 3, "unexpected '@'");
  /* in strings and comments '@include' is text */
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_string("a = \"@include\"; # @include \"x\"\n", "d.cfg", &cfg,
                                           &err),
                   HEAT_OK);
  heat_config_free(cfg);
}

static void misplaced_strings_are_refused_before_libconfig(void **state) {
  (void)state;
  /* libconfig 1.5 leaks the string of each of these (LeakSanitizer in the sanitizer build) */
  expect_refused("\"\"", HEAT_EINVAL, 1, "a string may only stand as a value");
  expect_refused("a = 1; \"x\"", HEAT_EINVAL, 1, "a string may only stand as a value");
  expect_refused("a = 1,\n\"x\";", HEAT_EINVAL, 2, "a string may only stand as a value");
  expect_refused("g = { \"x\" };", HEAT_EINVAL, 1, "a string may only stand as a value");
  /* strings where values stand are fine */
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_string("a = \"x\" \"y\"; b : \"z\"; l = (1, \"s\", { c = "
                                           "\"t\"; }); s = [\"u\", \"v\"]; g = { h = (\"w\"); };",
                                           "d.cfg", &cfg, &err),
                   HEAT_OK);
  assert_string_equal(config_setting_get_string(config_setting_get_member(heat_config_root(cfg),
                                                                          "a")),
                      "xy");
  heat_config_free(cfg);
}

static void setting_count_and_depth_are_capped(void **state) {
  (void)state;
  size_t cap = (size_t)(HEAT_CONFIG_SETTINGS_MAX + 1) * 16;
  char *text = malloc(cap);
  assert_non_null(text);
  size_t used = 0;
  for (int i = 0; i < HEAT_CONFIG_SETTINGS_MAX; i++)
    used += (size_t)snprintf(text + used, cap - used, "k%d = 1;\n", i);
  heat_config *cfg = NULL;
  heat_error err;
  assert_int_equal(heat_config_open_string(text, "d.cfg", &cfg, &err), HEAT_OK);
  heat_config_free(cfg);
  snprintf(text + used, cap - used, "last = 2;\n");
  expect_refused(text, HEAT_EINVAL, HEAT_CONFIG_SETTINGS_MAX + 1,
                 "too many settings: a description may hold at most 4096");
  used = (size_t)snprintf(text, cap, "a = ");
  for (int i = 0; i < 65; i++) text[used++] = '(';
  text[used] = '\0';
  expect_refused(text, HEAT_EINVAL, 1, "nest deeper than 64 levels");
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fifo_is_refused_without_blocking),
      cmocka_unit_test(devices_are_refused),
      cmocka_unit_test(oversized_files_are_refused),
      cmocka_unit_test(include_is_refused_with_its_line),
      cmocka_unit_test(misplaced_strings_are_refused_before_libconfig),
      cmocka_unit_test(setting_count_and_depth_are_capped),
  };
  return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
