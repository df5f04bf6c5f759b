/* Weight files from a hostile source (issue 11): FIFOs, .npy minor versions, safetensors headers
 * with 200k tensors, JSON leading zeros and invalid UTF-8. The files are written here, in a
 * temporary directory; the ctest TIMEOUT turns a hang or a quadratic parse into a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "workloads/shape.h"
#include "workloads/weights.h"

static char dir[] = "/tmp/heat_hostile_XXXXXX";

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

static void path_in_dir(const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", dir, name);
}

/* A safetensors file: the 8-byte length, the header, then data_bytes zero bytes. */
static void write_safetensors(const char *path, const char *header, size_t hlen,
                              size_t data_bytes) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
  fwrite(b, 1, 8, f);
  fwrite(header, 1, hlen, f);
  char *zeros = calloc(data_bytes ? data_bytes : 1, 1);
  assert_non_null(zeros);
  fwrite(zeros, 1, data_bytes, f);
  free(zeros);
  fclose(f);
}

static void expect_error(const char *path, const char *tensor, int code, const char *msg) {
  wl_matrix m;
  heat_error err;
  int rc = tensor ? wl_safetensors_read(path, tensor, &m, &err) : wl_npy_read(path, &m, &err);
  assert_int_equal(rc, code);
  if (!strstr(err.msg, msg)) fail_msg("'%s' lacks '%s'", err.msg, msg);
}

static void fifos_are_refused_without_blocking(void **state) {
  (void)state;
  char npy[96], st[96];
  path_in_dir("w.npy", npy, sizeof npy);
  path_in_dir("w.safetensors", st, sizeof st);
  assert_int_equal(mkfifo(npy, 0600), 0);
  assert_int_equal(mkfifo(st, 0600), 0);
  expect_error(npy, NULL, HEAT_EIO, "is a FIFO (named pipe), not a weight file");
  expect_error(st, "w", HEAT_EIO, "is a FIFO (named pipe), not a weight file");
  wl_matrix m;
  heat_error err;
  assert_int_equal(wl_weights_load(npy, 0, 0, &m, &err), HEAT_EIO);
  assert_int_equal(heat_exit_code(err.code), 2);
}

static void npy_minor_versions_are_refused(void **state) {
  (void)state;
  char path[96];
  path_in_dir("minor.npy", path, sizeof path);
  static const char header[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }";
  FILE *f = fopen(path, "wb");
  fwrite("\x93NUMPY\x01\x10", 1, 8, f);
  size_t hlen = 128 - 10; /* the dict, spaces and a newline: 64-byte aligned data */
  fputc((int)hlen, f);
  fputc(0, f);
  fprintf(f, "%-*s\n", (int)hlen - 1, header);
  fwrite("\0\0\x80\x3f", 1, 4, f);
  fclose(f);
  expect_error(path, NULL, HEAT_EINVAL,
               ".npy format version 1.16 is not supported; heat reads 1.0, 2.0 and 3.0");
  /* the same file as version 1.0 reads */
  f = fopen(path, "r+b");
  fseek(f, 7, SEEK_SET);
  fputc(0, f);
  fclose(f);
  wl_matrix m;
  heat_error err;
  assert_int_equal(wl_npy_read(path, &m, &err), HEAT_OK);
  assert_true(m.data[0] == 1.0);
  wl_matrix_free(&m);
}

static void json_leading_zeros_and_bad_utf8_are_refused(void **state) {
  (void)state;
  char path[96];
  path_in_dir("j.safetensors", path, sizeof path);
  static const char *const bad[][2] = {
      {"{\"__metadata__\":{\"a\":007},\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
       "\"data_offsets\":[0,4]}}",
       "leading zero"},
      {"{\"__metadata__\":{\"a\":-01},\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
       "\"data_offsets\":[0,4]}}",
       "leading zero"},
      {"{\"w\\u00e9\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
       "invalid UTF-8 in string"},
      /* overlong '/', an encoded surrogate, past U+10FFFF, a truncated sequence */
      {"{\"__metadata__\":{\"a\":\"\xc0\xaf\"}}", "invalid UTF-8 in string"},
      {"{\"__metadata__\":{\"a\":\"\xed\xa0\x80\"}}", "invalid UTF-8 in string"},
      {"{\"__metadata__\":{\"a\":\"\xf4\x90\x80\x80\"}}", "invalid UTF-8 in string"},
      {"{\"__metadata__\":{\"a\":\"\xe2\x82\"}}", "invalid UTF-8 in string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_safetensors(path, bad[i][0], strlen(bad[i][0]), 4);
    expect_error(path, "w", HEAT_EINVAL, bad[i][1]);
  }
  /* well-formed UTF-8 (2, 3 and 4 bytes) and 0 itself are fine */
  static const char good[] = "{\"__metadata__\":{\"a\":0,\"b\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98"
                             "\x80\"},\"w\xc3\xa9\":{\"dtype\":\"F32\",\"shape\":[1,1],"
                             "\"data_offsets\":[0,4]}}";
  write_safetensors(path, good, strlen(good), 4);
  wl_matrix m;
  heat_error err;
  assert_int_equal(wl_safetensors_read(path, "w\xc3\xa9", &m, &err), HEAT_OK);
  wl_matrix_free(&m);
}

/* 200k tensors took over two minutes when each name was compared with every earlier one. */
static void many_tensors_parse_in_linear_time(void **state) {
  (void)state;
  enum { COUNT = 200000 };
  size_t cap = (size_t)COUNT * 96 + 64;
  char *h = malloc(cap);
  assert_non_null(h);
  size_t used = (size_t)snprintf(h, cap, "{");
  for (int i = 0; i < COUNT; i++)
    used += (size_t)snprintf(h + used, cap - used,
                             "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[%d,%d]}",
                             i ? "," : "", i, 4 * i, 4 * i + 4);
  used += (size_t)snprintf(h + used, cap - used, "}");
  char path[96];
  path_in_dir("many.safetensors", path, sizeof path);
  write_safetensors(path, h, used, (size_t)COUNT * 4);
  wl_tensor_info *t;
  size_t n;
  heat_error err;
  assert_int_equal(wl_safetensors_list(path, &t, &n, &err), HEAT_OK);
  assert_int_equal(n, COUNT);
  assert_string_equal(t[COUNT - 1].name, "t199999");
  free(t);
  /* a duplicate as the last name is still found */
  used -= 1;
  used += (size_t)snprintf(h + used, cap - used,
                           ",\"t7\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[%d,%d]}}",
                           4 * COUNT, 4 * COUNT + 4);
  write_safetensors(path, h, used, (size_t)COUNT * 4 + 4);
  expect_error(path, "t7", HEAT_EINVAL, "duplicate key 't7'");
  free(h);
}

/* --top K keeps K shapes while streaming the pairs: the same K as the head of the full ranking,
 * in the same order (ties included), for every K. */
static void top_k_shapes_are_the_head_of_the_full_ranking(void **state) {
  (void)state;
  wl_shape *all, *top;
  size_t n_all, n_top;
  heat_error err;
  assert_int_equal(wl_shape_enumerate(3072, 768, 2, 4, 0, &all, &n_all, &err), HEAT_OK);
  assert_true(n_all > 1000);
  static const size_t ks[] = {1, 2, 7, 100, 999};
  for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
    assert_int_equal(wl_shape_enumerate(3072, 768, 2, 4, ks[i], &top, &n_top, &err), HEAT_OK);
    assert_int_equal(n_top, ks[i]);
    assert_memory_equal(top, all, n_top * sizeof *top);
    free(top);
  }
  double bytes;
  assert_int_equal(wl_shape_enumerate_bytes(3072, 768, 2, 4, 0, &bytes, &err), HEAT_OK);
  assert_true(bytes >= (double)(n_all * sizeof(wl_shape)));
  free(all);
  /* 831600^2 has billions of pairs: the top 3 come back without materialising them */
  assert_int_equal(wl_shape_enumerate(831600, 831600, 4, 4, 3, &top, &n_top, &err), HEAT_OK);
  assert_int_equal(n_top, 3);
  char text[WL_SHAPE_TEXT_MAX];
  wl_shape_format(&top[0], text, sizeof text);
  assert_string_equal(text, "28x30x30x33:28x30x30x33");
  free(top);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fifos_are_refused_without_blocking),
      cmocka_unit_test(npy_minor_versions_are_refused),
      cmocka_unit_test(json_leading_zeros_and_bad_utf8_are_refused),
      cmocka_unit_test(many_tensors_parse_in_linear_time),
      cmocka_unit_test(top_k_shapes_are_the_head_of_the_full_ranking),
  };
  return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
