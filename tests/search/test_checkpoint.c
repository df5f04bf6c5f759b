/* Checkpoints: records round-trip exactly (doubles, integers, text with any byte), the file is
 * the same whatever order points completed in, and every way a file can be bad is refused
 * naming file:line. */
#include <math.h>
#include <signal.h>
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

#include "search/checkpoint.h"

static char dir[256], path[300];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/heat-test-ckpt-%ld", (long)getpid());
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/%s", dir, CKPT_FILE);
  remove(path);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove(path);
  rmdir(dir);
  return 0;
}

static char *slurp(void) {
  static char buf[16384];
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void spit(const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int open_resume(ckpt *c, heat_error *err) {
  bool found;
  return ckpt_open(c, dir, "search", "0123456789abcdef", "v1", true, 0, &found, err);
}

static void put_payload(ckpt *c, const char *key, double d, int64_t i, const char *text) {
  ckpt_buf b = {0};
  ckpt_buf_f64(&b, d);
  ckpt_buf_i64(&b, i);
  ckpt_buf_u64(&b, UINT64_MAX);
  ckpt_buf_text(&b, text);
  const char *p;
  heat_error err;
  assert_int_equal(ckpt_buf_done(&b, &p, &err), HEAT_OK);
  assert_int_equal(ckpt_put(c, key, p, &err), HEAT_OK);
  ckpt_buf_free(&b);
}

static void test_round_trip(void **state) {
  (void)state;
  ckpt c;
  heat_error err;
  bool found = true;
  assert_int_equal(ckpt_open(&c, dir, "search", "0123456789abcdef", "v1", true, 0, &found, &err),
                   HEAT_OK);
  assert_false(found); /* no file yet */
  const char *nasty = "a b\\c\t\n\x01\xff,\"x\"";
  put_payload(&c, "l1 cost z", 0.1, -5, nasty);
  put_payload(&c, "l1 cost a", 4.9406564584124654e-324, INT64_MIN, "");
  put_payload(&c, "l1 cost m", -INFINITY, INT64_MAX, "plain");
  assert_int_equal(ckpt_save(&c, &err), HEAT_OK);
  ckpt_free(&c);
  char first[16384];
  snprintf(first, sizeof first, "%s", slurp());
  /* records in key order, whatever order they were put in */
  assert_non_null(strstr(first, "\nl1 cost a\t"));
  assert_true(strstr(first, "l1 cost a") < strstr(first, "l1 cost m"));
  assert_true(strstr(first, "l1 cost m") < strstr(first, "l1 cost z"));

  assert_int_equal(ckpt_open(&c, dir, "search", "0123456789abcdef", "v1", true, 0, &found, &err),
                   HEAT_OK);
  assert_true(found);
  assert_int_equal(c.loaded, 3);
  const ckpt_rec *r = ckpt_get(&c, "l1 cost z");
  assert_non_null(r);
  ckpt_reader rd;
  ckpt_reader_init(&rd, &c, r, &err);
  assert_true(ckpt_read_f64(&rd) == 0.1);
  assert_int_equal(ckpt_read_i64(&rd, INT64_MIN, INT64_MAX), -5);
  assert_true(ckpt_read_u64(&rd) == UINT64_MAX);
  char *t = ckpt_read_text(&rd);
  assert_string_equal(t, nasty);
  free(t);
  assert_int_equal(ckpt_reader_end(&rd), HEAT_OK);
  ckpt_reader_init(&rd, &c, ckpt_get(&c, "l1 cost a"), &err);
  assert_true(ckpt_read_f64(&rd) == 4.9406564584124654e-324);
  assert_true(ckpt_read_i64(&rd, INT64_MIN, INT64_MAX) == INT64_MIN);
  ckpt_read_u64(&rd);
  t = ckpt_read_text(&rd);
  assert_string_equal(t, "");
  free(t);
  assert_int_equal(ckpt_reader_end(&rd), HEAT_OK);
  assert_null(ckpt_get(&c, "l1 cost q"));
  /* the same records put in another order save to the same bytes */
  ckpt d;
  assert_int_equal(ckpt_open(&d, dir, "search", "0123456789abcdef", "v1", false, 0, NULL, &err),
                   HEAT_OK);
  put_payload(&d, "l1 cost m", -INFINITY, INT64_MAX, "plain");
  put_payload(&d, "l1 cost a", 4.9406564584124654e-324, INT64_MIN, "");
  put_payload(&d, "l1 cost z", 0.1, -5, nasty);
  assert_int_equal(ckpt_save(&d, &err), HEAT_OK);
  assert_string_equal(slurp(), first);
  ckpt_free(&d);
  ckpt_free(&c);
}

static void test_many_records_and_replace(void **state) {
  (void)state;
  ckpt c;
  heat_error err;
  assert_int_equal(ckpt_open(&c, dir, "sweep", "0123456789abcdef", "v1", false, 1e9, NULL, &err),
                   HEAT_OK);
  char key[32], val[32];
  for (int i = 0; i < 3000; i++) {
    snprintf(key, sizeof key, "variant %d", i);
    snprintf(val, sizeof val, "%d", i);
    assert_int_equal(ckpt_put(&c, key, val, &err), HEAT_OK);
  }
  assert_int_equal(ckpt_put(&c, "variant 7", "seven", &err), HEAT_OK);
  assert_int_equal(c.n, 3000);
  assert_string_equal(ckpt_get(&c, "variant 7")->payload, "seven");
  assert_string_equal(ckpt_get(&c, "variant 2999")->payload, "2999");
  /* the interval has not passed: tick does not save */
  assert_int_equal(ckpt_tick(&c, &err), HEAT_OK);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(ckpt_save(&c, &err), HEAT_OK);
  assert_int_equal(c.dirty, 0);
  ckpt_remove(&c);
  assert_int_equal(access(path, F_OK), -1);
  /* keys and payloads with a tab or newline are refused */
  assert_int_equal(ckpt_put(&c, "a\tb", "x", &err), HEAT_EINTERNAL);
  assert_int_equal(ckpt_put(&c, "a", "x\ny", &err), HEAT_EINTERNAL);
  assert_int_equal(ckpt_put(&c, "", "x", &err), HEAT_EINTERNAL);
  ckpt_free(&c);
}

/* A valid file with the given records (checksum computed by saving). */
static void write_records(const char *const *kv, size_t n) {
  ckpt c;
  heat_error err;
  assert_int_equal(ckpt_open(&c, dir, "search", "0123456789abcdef", "v1", false, 0, NULL, &err),
                   HEAT_OK);
  for (size_t i = 0; i < n; i++) assert_int_equal(ckpt_put(&c, kv[2 * i], kv[2 * i + 1], &err), 0);
  assert_int_equal(ckpt_save(&c, &err), HEAT_OK);
  ckpt_free(&c);
}

static void expect_bad_file(const char *text, const char *where, const char *msg) {
  spit(text);
  ckpt c;
  heat_error err;
  assert_int_equal(open_resume(&c, &err), HEAT_EINVAL);
  char w[400];
  snprintf(w, sizeof w, "%s:%s", path, where);
  assert_string_equal(err.where, w);
  if (!strstr(err.msg, msg)) fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

static void test_bad_files(void **state) {
  (void)state;
  const char *head = "heat-checkpoint 1 kind=search inputs=0123456789abcdef version=v1\n";
  char t[1024];
  expect_bad_file("", "1", "empty file");
  expect_bad_file("heat-table 1\n", "1", "not a heat checkpoint");
  expect_bad_file("heat-checkpoint 1 kind=search\n", "1", "bad header");
  expect_bad_file("heat-checkpoint 2 kind=search inputs=0123456789abcdef version=v1\n", "1",
                  "checkpoint file version 2; this heat reads version 1");
  expect_bad_file("heat-checkpoint 1 kind=sweep inputs=0123456789abcdef version=v1\n", "1",
                  "a checkpoint of heat sweep, not of heat search");
  expect_bad_file("heat-checkpoint 1 kind=search inputs=0123456789abcdee version=v1\n", "1",
                  "checkpoint of another run");
  expect_bad_file("heat-checkpoint 1 kind=search inputs=0123456789abcdef version=v2\n", "1",
                  "another cost model (v2; this build: v1)");
  expect_bad_file(head, "1", "no end record (truncated)");
  snprintf(t, sizeof t, "%sa\t1\nb\t2", head);
  expect_bad_file(t, "3", "truncated line");
  snprintf(t, sizeof t, "%sa 1\nend 1 0\n", head);
  expect_bad_file(t, "2", "not a record (key TAB payload)");
  snprintf(t, sizeof t, "%s\t1\n", head);
  expect_bad_file(t, "2", "not a record");
  snprintf(t, sizeof t, "%sa\t1\na\t2\n", head);
  expect_bad_file(t, "3", "record 'a' given twice");
  snprintf(t, sizeof t, "%sa\t1\nend 1 0\n", head);
  expect_bad_file(t, "3", "record count or checksum does not match");
  /* a valid file with text after its end */
  const char *kv[] = {"a", "1"};
  write_records(kv, 1);
  snprintf(t, sizeof t, "%sx\n", slurp());
  expect_bad_file(t, "4", "text after the end record");
  /* a NUL byte inside a line */
  FILE *f = fopen(path, "w");
  fwrite(head, 1, strlen(head), f);
  fwrite("a\t1\0x\n", 1, 6, f);
  fclose(f);
  ckpt c;
  heat_error err;
  assert_int_equal(open_resume(&c, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "a NUL byte"));
  /* not a regular file */
  remove(path);
  assert_int_equal(mkdir(path, 0777), 0);
  assert_int_equal(open_resume(&c, &err), HEAT_EIO);
  assert_non_null(strstr(err.msg, "not a regular file"));
  rmdir(path);
}

/* Records that parse as a file but whose values do not: the reader names file:line and key. */
static void test_bad_values(void **state) {
  (void)state;
  const char *kv[] = {"i", "12x", "n", "1 2", "s", "s\\x4", "z", "s\\x00", "e", "",
                      "two", "1  2", "q", "abc"};
  write_records(kv, 7);
  ckpt c;
  heat_error err;
  assert_int_equal(open_resume(&c, &err), HEAT_OK);
  ckpt_reader r;
  struct {
    const char *key;
    int what; /* 0 i64, 1 f64 then end, 2 text, 3 f64 twice */
    const char *msg;
  } cases[] = {
      {"i", 0, "record 'i': a bad or out-of-range integer"},
      {"n", 1, "record 'n': too many values"},
      {"s", 2, "record 's': a bad escape in a text value"},
      {"z", 2, "record 'z': a bad escape"},
      {"e", 1, "record 'e': too few values"},
      {"two", 3, "record 'two': an empty value"},
      {"q", 1, "record 'q': a bad number"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const ckpt_rec *rec = ckpt_get(&c, cases[k].key);
    assert_non_null(rec);
    ckpt_reader_init(&r, &c, rec, &err);
    if (cases[k].what == 0) ckpt_read_i64(&r, 0, 100);
    if (cases[k].what == 1) ckpt_read_f64(&r);
    if (cases[k].what == 2) free(ckpt_read_text(&r));
    if (cases[k].what == 3) ckpt_read_f64(&r), ckpt_read_f64(&r);
    assert_int_equal(ckpt_reader_end(&r), HEAT_EINVAL);
    char w[400];
    snprintf(w, sizeof w, "%s:%zu", path, rec->line);
    assert_string_equal(err.where, w);
    if (!strstr(err.msg, cases[k].msg)) fail_msg("'%s' lacks '%s'", err.msg, cases[k].msg);
  }
  /* out of range for its use */
  ckpt_reader_init(&r, &c, ckpt_get(&c, "n"), &err);
  assert_int_equal(ckpt_read_i64(&r, 5, 9), 5);
  assert_int_equal(r.rc, HEAT_EINVAL);
  ckpt_free(&c);
}

static void test_interrupt_message(void **state) {
  (void)state;
  ckpt c;
  heat_error err;
  assert_int_equal(ckpt_open(&c, dir, "search", "0123456789abcdef", "v1", false, 0, NULL, &err),
                   HEAT_OK);
  assert_int_equal(ckpt_put(&c, "a", "1", &err), HEAT_OK);
  ckpt_signals_install();
  assert_int_equal(ckpt_signal_pending(), 0);
  raise(SIGTERM);
  assert_int_equal(ckpt_signal_pending(), SIGTERM);
  char msg[1400];
  assert_int_equal(ckpt_interrupt_message(&c, msg, sizeof msg), 143);
  char want[1400];
  snprintf(want, sizeof want,
           "interrupted by SIGTERM: 1 completed records saved in %s; rerun the same command with "
           "--resume to continue",
           path);
  assert_string_equal(msg, want);
  ckpt_signals_restore();
  ckpt_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_records_and_replace, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_interrupt_message, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
