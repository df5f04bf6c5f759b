/* Weight readers on fixtures from tests/oracles/make_weight_fixtures.py: exact values for every
 * dtype, and one test per way a file can be broken (each error names the file and tensor). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/weights.h"

#define SMALL "data/small.safetensors"
#define QUERY "bert.encoder.layer.0.attention.self.query.weight"

/* The fixture values: (i·cols + j)/4 − 1, times sign. */
static void assert_values(const wl_matrix *m, int64_t rows, int64_t cols, double sign) {
  assert_int_equal(m->rows, rows);
  assert_int_equal(m->cols, cols);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++)
      assert_true(m->data[i * cols + j] == sign * ((double)(i * cols + j) / 4.0 - 1.0));
}

static void safetensors_reads_every_float_dtype(void **state) {
  (void)state;
  heat_error err;
  wl_matrix m;
  assert_int_equal(wl_safetensors_read(SMALL, QUERY, &m, &err), HEAT_OK);
  assert_values(&m, 6, 4, 1.0);
  wl_matrix_free(&m);
  assert_int_equal(
      wl_safetensors_read(SMALL, "bert.encoder.layer.0.intermediate.dense.weight", &m, &err),
      HEAT_OK);
  assert_values(&m, 8, 4, -1.0);
  wl_matrix_free(&m);
  assert_int_equal(wl_safetensors_read(SMALL, "bert.encoder.layer.1.output.dense.weight", &m, &err),
                   HEAT_OK);
  assert_values(&m, 4, 6, 1.0);
  wl_matrix_free(&m);
  wl_tensor_info *info;
  size_t n;
  assert_int_equal(wl_safetensors_list(SMALL, &info, &n, &err), HEAT_OK);
  assert_int_equal(n, 5);
  assert_string_equal(info[0].name, QUERY);
  assert_string_equal(info[1].dtype, "F16");
  assert_int_equal(info[2].ndim, 2);
  assert_int_equal(info[2].shape[0], 4);
  assert_int_equal(info[2].shape[1], 6);
  assert_int_equal(info[3].ndim, 1);
  assert_string_equal(info[4].name, "counts");
  free(info);
}

static void weights_load_maps_bert_names_and_checks_shape(void **state) {
  (void)state;
  heat_error err;
  wl_matrix m;
  assert_int_equal(wl_weights_load(SMALL ":layer0.q", 6, 4, &m, &err), HEAT_OK);
  assert_values(&m, 6, 4, 1.0);
  wl_matrix_free(&m);
  assert_int_equal(wl_weights_load(SMALL ":layer1.ffn2", 0, 0, &m, &err), HEAT_OK);
  assert_values(&m, 4, 6, 1.0);
  wl_matrix_free(&m);
  assert_int_equal(wl_weights_load(SMALL ":" QUERY, 4, 6, &m, &err), HEAT_EINVAL);
  assert_string_equal(err.where, SMALL ":" QUERY);
  assert_non_null(strstr(err.msg, "is 6 x 4 (out x in) but the shape needs 4 x 6"));
  assert_int_equal(wl_weights_load(SMALL ":layer7.v", 0, 0, &m, &err), HEAT_ENOTFOUND);
  assert_non_null(
      strstr(err.msg, "'layer7.v' maps to 'bert.encoder.layer.7.attention.self.value.weight'"));
  assert_int_equal(wl_weights_load(SMALL, 0, 0, &m, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "names no tensor"));
  assert_int_equal(wl_weights_load("w.bin", 0, 0, &m, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "neither"));
  assert_int_equal(wl_weights_load("data/f16.npy", 0, 0, &m, &err), HEAT_OK);
  assert_values(&m, 4, 6, -1.0);
  wl_matrix_free(&m);
}

static void bert_names_round_trip(void **state) {
  (void)state;
  char buf[128];
  const char *want[WL_BERT_ROLES] = {"bert.encoder.layer.11.attention.self.query.weight",
                                     "bert.encoder.layer.11.attention.self.key.weight",
                                     "bert.encoder.layer.11.attention.self.value.weight",
                                     "bert.encoder.layer.11.attention.output.dense.weight",
                                     "bert.encoder.layer.11.intermediate.dense.weight",
                                     "bert.encoder.layer.11.output.dense.weight"};
  for (int r = 0; r < WL_BERT_ROLES; r++) {
    assert_true(wl_bert_weight_name(11, (wl_bert_role)r, buf, sizeof buf) > 0);
    assert_string_equal(buf, want[r]);
    int layer;
    wl_bert_role role;
    assert_int_equal(wl_bert_parse_name(buf, &layer, &role), HEAT_OK);
    assert_int_equal(layer, 11);
    assert_int_equal(role, r);
    assert_int_equal(wl_bert_parse_name(buf + 5, &layer, &role), HEAT_OK);
  }
  int layer;
  wl_bert_role role;
  assert_int_equal(
      wl_bert_parse_name("bert.encoder.layer.1.attention.self.query.bias", &layer, &role),
      HEAT_ENOTFOUND);
  assert_int_equal(wl_bert_parse_name("bert.embeddings.word_embeddings.weight", &layer, &role),
                   HEAT_ENOTFOUND);
  /* a layer index is digits only, no sign, space or leading zero (strtol took all of these) */
  const char *near_miss[] = {"bert.encoder.layer.+1.attention.self.query.weight",
                             "bert.encoder.layer. 3.attention.self.query.weight",
                             "bert.encoder.layer.-0.attention.self.query.weight",
                             "bert.encoder.layer.007.attention.self.query.weight",
                             "bert.encoder.layer.00.attention.self.query.weight",
                             "bert.encoder.layer..attention.self.query.weight",
                             "bert.encoder.layer.1000001.attention.self.query.weight",
                             "bert.encoder.layer.99999999999999999999.attention.self.query.weight"};
  for (size_t k = 0; k < sizeof near_miss / sizeof *near_miss; k++)
    if (wl_bert_parse_name(near_miss[k], &layer, &role) != HEAT_ENOTFOUND)
      fail_msg("'%s' was taken as layer %d", near_miss[k], layer);
  assert_int_equal(wl_bert_parse_name("bert.encoder.layer.0.attention.self.query.weight", &layer,
                                      &role),
                   HEAT_OK);
  assert_int_equal(layer, 0);
  assert_int_equal(wl_bert_parse_name("bert.encoder.layer.1000000.output.dense.weight", &layer,
                                      &role),
                   HEAT_OK);
  assert_int_equal(layer, 1000000);
  assert_int_equal(wl_bert_weight_name(1, WL_BERT_Q, buf, 10), -1);
  heat_error err;
  wl_matrix m;
  const char *short_miss[] = {SMALL ":layer+0.q", SMALL ":layer 0.q", SMALL ":layer-0.q",
                              SMALL ":layer00.q", SMALL ":layer.q"};
  for (size_t k = 0; k < sizeof short_miss / sizeof *short_miss; k++)
    if (wl_weights_load(short_miss[k], 0, 0, &m, &err) != HEAT_ENOTFOUND) {
      wl_matrix_free(&m);
      fail_msg("'%s' was read as a tensor", short_miss[k]);
    }
  assert_int_equal(wl_weights_load(SMALL ":layer0.q", 0, 0, &m, &err), HEAT_OK);
  wl_matrix_free(&m);
  assert_int_equal(wl_bert_role_parse("ffn1", &role, &err), HEAT_OK);
  assert_int_equal(role, WL_BERT_FFN1);
  assert_int_equal(wl_bert_role_parse("mlp", &role, &err), HEAT_EINVAL);
  assert_non_null(strstr(err.msg, "known: q, k, v, o, ffn1, ffn2"));
}

static void expect_error(const char *path, const char *tensor, int code, const char *where,
                         const char *msg) {
  heat_error err;
  wl_matrix m = {0, 0, NULL};
  int rc = tensor ? wl_safetensors_read(path, tensor, &m, &err) : wl_npy_read(path, &m, &err);
  assert_int_equal(rc, code);
  assert_null(m.data);
  assert_string_equal(err.where, where);
  if (!strstr(err.msg, msg)) fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

static void broken_safetensors_are_rejected(void **state) {
  (void)state;
  expect_error(SMALL, "bert.encoder.layer.0.output.dense.weight", HEAT_ENOTFOUND, SMALL,
               "no tensor named 'bert.encoder.layer.0.output.dense.weight'; the file has 5 "
               "tensors: " QUERY);
  expect_error(SMALL, "counts", HEAT_EINVAL, SMALL ":counts", "dtype I32 is not supported");
  expect_error(SMALL, "bert.encoder.layer.0.attention.self.query.bias", HEAT_EINVAL,
               SMALL ":bert.encoder.layer.0.attention.self.query.bias", "shape [6] is not a 2-D");
  expect_error("data/short.safetensors", "w", HEAT_EINVAL, "data/short.safetensors",
               "truncated safetensors file: 5 bytes");
  expect_error("data/truncated_header.safetensors", "w", HEAT_EINVAL,
               "data/truncated_header.safetensors", "corrupt safetensors header: header length");
  expect_error("data/bad_json.safetensors", "a", HEAT_EINVAL, "data/bad_json.safetensors",
               "corrupt safetensors header: expected '\"'");
  expect_error("data/bad_offsets.safetensors", "w", HEAT_EINVAL, "data/bad_offsets.safetensors:w",
               "data_offsets [0, 64] do not hold shape [2, 2] of F32 values (16 bytes)");
  expect_error("data/nan.safetensors", "w", HEAT_EINVAL, "data/nan.safetensors:w",
               "element [1, 2] is NaN");
  expect_error("data/missing.safetensors", "w", HEAT_EIO, "data/missing.safetensors",
               "cannot open");
  /* 4611686018427387928 · 36 · 4 bytes wraps to 3456 in 64 bits: caught, not read */
  expect_error("data/overflow.safetensors", "w", HEAT_EINVAL, "data/overflow.safetensors:w",
               "shape [4611686018427387928, 36] of F32 values needs more than 2^63 bytes");
  expect_error("data/huge.safetensors", "w", HEAT_EINVAL, "data/huge.safetensors:w",
               "shape [4294967296, 4294967296] of F32 values needs more than 2^63 bytes");
  expect_error("data/duplicate.safetensors", "w", HEAT_EINVAL, "data/duplicate.safetensors",
               "corrupt safetensors header: duplicate key 'w'");
  expect_error("data/trailing.safetensors", "w", HEAT_EINVAL, "data/trailing.safetensors",
               "8 trailing bytes after the last tensor (the tensors end at data byte 16 of 24)");
  /* the listing reads the same header checks */
  wl_tensor_info *info = NULL;
  size_t n = 0;
  heat_error err;
  assert_int_equal(wl_safetensors_list("data/overflow.safetensors", &info, &n, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "data/overflow.safetensors:w");
  assert_null(info);
}

static void npy_reads_and_rejects(void **state) {
  (void)state;
  heat_error err;
  wl_matrix m;
  assert_int_equal(wl_npy_read("data/fortran.npy", &m, &err), HEAT_OK);
  assert_values(&m, 3, 5, 1.0);
  wl_matrix_free(&m);
  assert_int_equal(wl_npy_read("data/w48x64.npy", &m, &err), HEAT_OK); /* <f8 */
  assert_int_equal(m.rows, 48);
  wl_matrix_free(&m);
  assert_int_equal(wl_npy_read("data/w96x128.npy", &m, &err), HEAT_OK); /* <f4 */
  assert_int_equal(m.cols, 128);
  wl_matrix_free(&m);
  expect_error("data/inf.npy", NULL, HEAT_EINVAL, "data/inf.npy", "element [0, 1] is Inf");
  expect_error("data/int.npy", NULL, HEAT_EINVAL, "data/int.npy", "dtype '<i4' is not supported");
  expect_error("data/cube.npy", NULL, HEAT_EINVAL, "data/cube.npy", "has 3 dimensions");
  expect_error("data/truncated.npy", NULL, HEAT_EINVAL, "data/truncated.npy",
               "data is truncated: 14 of 15 elements");
  expect_error("data/small.safetensors", NULL, HEAT_EINVAL, "data/small.safetensors",
               "not a .npy file");
  /* the data size is checked against the file before allocating 80 GB */
  expect_error("data/huge_shape.npy", NULL, HEAT_EINVAL, "data/huge_shape.npy",
               "data is truncated: 108 of 10000000000 elements present (the header says shape "
               "(100000, 100000) <f8: 80000000000 bytes, the file has 864 after the header)");
  expect_error("data/trailing.npy", NULL, HEAT_EINVAL, "data/trailing.npy",
               "8 trailing bytes after the (3, 5) <f8 data");
}

/* The checkpoint's BERT linear weights of one size, layer then role, whatever the file order. */
static void bert_linears_in_layer_role_order(void **state) {
  (void)state;
  heat_error err;
  wl_tensor_info *t;
  size_t n;
  assert_int_equal(wl_safetensors_list("data/bert_tiny.safetensors", &t, &n, &err), HEAT_OK);
  assert_int_equal(n, 2 * 6 * 2 + 2); /* weights and biases of 2 layers, embeddings, LayerNorm */
  size_t idx[64];
  assert_int_equal(wl_bert_linears(t, n, 8, 8, idx), 8);
  const char *want[] = {"0.attention.self.query", "0.attention.self.key", "0.attention.self.value",
                        "0.attention.output.dense", "1.attention.self.query"};
  for (int i = 0; i < 5; i++) {
    char name[128];
    snprintf(name, sizeof name, "bert.encoder.layer.%s.weight", want[i]);
    assert_string_equal(t[idx[i]].name, name);
  }
  assert_int_equal(wl_bert_linears(t, n, 16, 8, idx), 2);
  assert_string_equal(t[idx[1]].name, "bert.encoder.layer.1.intermediate.dense.weight");
  assert_int_equal(wl_bert_linears(t, n, 16, 16, idx), 0);
  char sizes[128];
  wl_bert_linear_sizes(t, n, sizes, sizeof sizes);
  assert_string_equal(sizes, "8x16 (2), 16x8 (2), 8x8 (8)");
  wl_bert_linear_sizes(t, 0, sizes, sizeof sizes);
  assert_string_equal(sizes, "none");
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(safetensors_reads_every_float_dtype),
      cmocka_unit_test(weights_load_maps_bert_names_and_checks_shape),
      cmocka_unit_test(bert_names_round_trip),
      cmocka_unit_test(broken_safetensors_are_rejected),
      cmocka_unit_test(bert_linears_in_layer_role_order),
      cmocka_unit_test(npy_reads_and_rejects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
