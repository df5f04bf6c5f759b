/* On-disk value tables: round trip, and a stale, corrupt or truncated file detected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "search/table.h"

static char path[256];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/heat-test-table-%ld.table", (long)getpid());
  remove(path);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove(path);
  return 0;
}

static void write_text(const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char *read_text(void) {
  static char buf[8192];
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void round_trip_and_damage(void **state) {
  (void)state;
  stable t;
  heat_error err;
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v1", 3, &err), HEAT_OK);
  assert_int_equal(t.state, STABLE_NEW);
  double a[3] = {1, 0.1, 1e-300}, b[3] = {-2, 3.25e7, 0};
  assert_int_equal(stable_put(&t, "k a", a, &err), HEAT_OK);
  assert_int_equal(stable_put(&t, "k b", b, &err), HEAT_OK);
  assert_int_equal(stable_save(&t, &err), HEAT_OK);
  stable_free(&t);
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v1", 3, &err), HEAT_OK);
  assert_int_equal(t.state, STABLE_LOADED);
  assert_int_equal(t.loaded, 2);
  const double *v = stable_get(&t, "k a");
  assert_non_null(v);
  assert_memory_equal(v, a, sizeof a); /* %.17g reads back exactly */
  assert_null(stable_get(&t, "k c"));
  stable_free(&t);
  /* another cost-model version: stale */
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v2", 3, &err), HEAT_OK);
  assert_int_equal(t.state, STABLE_STALE);
  assert_int_equal(t.n, 0);
  stable_free(&t);
  /* a changed number: the checksum no longer matches */
  char text[8192];
  snprintf(text, sizeof text, "%s", read_text());
  char *p = strstr(text, "32500000");
  assert_non_null(p);
  p[0] = '4';
  write_text(text);
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v1", 3, &err), HEAT_OK);
  assert_int_equal(t.state, STABLE_CORRUPT);
  assert_non_null(strstr(t.why, "checksum"));
  assert_int_equal(t.n, 0);
  stable_free(&t);
  /* truncated in a record, and without the end record */
  p[0] = '3';
  char *end = strstr(text, "end ");
  assert_non_null(end);
  end[0] = '\0';
  write_text(text);
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v1", 3, &err), HEAT_OK);
  assert_int_equal(t.state, STABLE_CORRUPT);
  assert_non_null(strstr(t.why, "no end record"));
  stable_free(&t);
  end[-3] = '\0';
  write_text(text);
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v1", 3, &err), HEAT_OK);
  assert_int_equal(t.state, STABLE_CORRUPT);
  assert_non_null(strstr(t.why, "truncated record"));
  stable_free(&t);
  write_text("garbage\n");
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v1", 3, &err), HEAT_OK);
  assert_int_equal(t.state, STABLE_CORRUPT);
  assert_string_equal(t.why, "line 1: not a heat table");
  stable_free(&t);
  /* keys with tabs or newlines are refused */
  assert_int_equal(stable_open(&t, path, "costs", "00ff", "v1", 3, &err), HEAT_OK);
  assert_int_equal(stable_put(&t, "a\tb", a, &err), HEAT_EINTERNAL);
  stable_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(round_trip_and_damage)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
