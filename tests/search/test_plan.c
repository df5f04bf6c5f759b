/* Plans: JSON round trip, and each way a bad plan is refused (file:line and the field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "search/plan.h"

static model bert(void) {
  model m;
  heat_error err;
  assert_int_equal(model_resolve("bert-base", &m, &err), HEAT_OK);
  return m;
}

static void set_weight(plan *p, size_t l, int r, wl_format f, const char *shape, int64_t r0,
                       int64_t r1) {
  heat_error err;
  plan_weight *w = &p->w[l][r];
  w->fmt.format = f;
  if (shape) assert_int_equal(wl_shape_parse(shape, "shape", &w->fmt.shape, &err), HEAT_OK);
  w->fmt.n_ranks = r1 ? 2 : 1;
  w->fmt.rank[0] = r0;
  w->fmt.rank[1] = r1;
  w->rel_error = 0.25;
}

static void round_trip(void **state) {
  (void)state;
  model m = bert();
  static plan p, q;
  heat_error err;
  assert_int_equal(plan_init_dense(&p, &m, &err), HEAT_OK);
  snprintf(p.arch, sizeof p.arch, "simba-l");
  snprintf(p.note, sizeof p.note, "a \"quoted\" note\\");
  set_weight(&p, 0, WL_BERT_FFN1, WL_FORMAT_TTM, "12x16x16:8x8x12", 16, 16);
  set_weight(&p, 3, WL_BERT_Q, WL_FORMAT_CP, "32x24:32x24", 64, 0);
  set_weight(&p, 11, WL_BERT_FFN2, WL_FORMAT_SVD, NULL, 128, 0);
  p.w[11][WL_BERT_FFN2].path = LAYER_PATH_MACS;
  p.figures.edp_js = 1.25e-5;
  assert_int_equal(plan_check(&p, &m, "p.json", &err), HEAT_OK);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  plan_write(f, &p, &m);
  fclose(f);
  assert_non_null(strstr(buf, "\"hf_name\": \"bert.encoder.layer.0.intermediate.dense.weight\""));
  assert_int_equal(plan_read_string(buf, len, "p.json", &q, &err), HEAT_OK);
  assert_int_equal(plan_check(&q, &m, "p.json", &err), HEAT_OK);
  assert_string_equal(q.note, p.note);
  assert_string_equal(q.arch, "simba-l");
  assert_int_equal(q.layers, 12);
  assert_true(q.figures.edp_js == 1.25e-5);
  assert_true(q.figures.params < 0);
  for (size_t l = 0; l < 12; l++)
    for (int r = 0; r < PLAN_ROLES; r++) {
      const plan_weight *a = &p.w[l][r], *b = &q.w[l][r];
      assert_int_equal(a->fmt.format, b->fmt.format);
      assert_int_equal(a->fmt.n_ranks, b->fmt.n_ranks);
      for (size_t k = 0; k < a->fmt.n_ranks; k++) assert_int_equal(a->fmt.rank[k], b->fmt.rank[k]);
      if (a->fmt.format != WL_FORMAT_DENSE && a->fmt.format != WL_FORMAT_SVD)
        assert_memory_equal(&a->fmt.shape, &b->fmt.shape, sizeof a->fmt.shape);
      assert_int_equal(a->path, b->path);
    }
  /* params: dense minus the three weights plus their factors */
  model_totals t;
  assert_int_equal(model_total(&m, &t, &err), HEAT_OK);
  int64_t ttm = 12 * 8 * 16 + 16 * 16 * 8 * 16 + 16 * 16 * 12;
  int64_t cp = 64 * (32 + 24 + 32 + 24);
  int64_t svd = 128 * (768 + 3072);
  assert_int_equal(plan_params(&q, &m),
                   t.params - 3072 * 768 * 2 - 768 * 768 + ttm + cp + svd);
  free(buf);
}

/* Reads text, expects failure with `where` in err.where and `msg` in err.msg. */
static void refuse(const char *text, const char *where, const char *msg) {
  static plan p;
  heat_error err;
  int rc = plan_read_string(text, strlen(text), "bad.json", &p, &err);
  if (!rc) {
    model m = bert();
    rc = plan_check(&p, &m, "bad.json", &err);
  }
  assert_int_equal(rc, HEAT_EINVAL);
  if (!strstr(err.where, where) || !strstr(err.msg, msg))
    fail_msg("got '%s: %s', wanted '%s' and '%s'", err.where, err.msg, where, msg);
}

#define HEAD "{\"schema\": \"heat-plan\", \"version\": 1, \"model\": \"bert-base\",\n"

static void refuses_bad_plans(void **state) {
  (void)state;
  refuse("{\"version\": 2, \"model\": \"bert-base\"}", "bad.json:1", "version 2");
  refuse("{\"schema\": \"x\", \"version\": 1}", "bad.json:1", "not a heat plan");
  refuse("{\"version\": 1}", "bad.json:1", "missing field 'model'");
  refuse("{\"model\": \"bert-base\"}", "bad.json:1", "missing field 'version'");
  refuse(HEAD "\"colour\": 1}", "bad.json:2", "colour: unknown field");
  refuse(HEAD "\"linears\": [\n{\"layer\": 0, \"role\": \"qq\", \"format\": \"dense\"}]}",
         "bad.json:3", "linears[0].role: unknown role 'qq'");
  refuse(HEAD "\"linears\": [\n{\"layer\": 0, \"role\": \"q\", \"format\": \"cq\"}]}",
         "bad.json:3", "linears[0].format: unknown format 'cq'");
  refuse(HEAD "\"linears\": [{\"layer\": 0, \"role\": \"q\", \"format\": \"dense\"},\n"
              "{\"layer\": 0, \"role\": \"q\", \"format\": \"dense\"}]}",
         "bad.json:3", "layer 0 role q is given twice");
  refuse(HEAD "\"linears\": [{\"layer\": 0, \"role\": \"q\", \"format\": \"cp\", \"shape\": "
              "\"32x24:32x24\"}]}",
         "bad.json", "missing field 'ranks'");
  refuse(HEAD "\"linears\": [{\"layer\": -1}]}", "bad.json", "linears[0].layer: must not be negative");
  refuse(HEAD "\"linears\": [{\"role\": \"q\", \"format\": \"dense\", \"layer\": 0, \"layer\": 1}]}",
         "bad.json", "linears[0].layer: given twice");
  refuse(HEAD "\"linears\": [{\"layer\": 0, \"role\": \"q\", \"format\": \"ttm\", \"shape\": "
              "\"32x24:32x2x\", \"ranks\": [4]}]}",
         "bad.json", "linears[0].shape");
  refuse(HEAD "\"figures\": {\"edp_js\": \"fast\"}}", "bad.json", "bad value");
  refuse(HEAD "\"linears\": []} trailing", "bad.json", "text after the plan object");
  refuse(HEAD "\"linears\": [", "bad.json:2", "linears[0]: expected an object");
  /* checks against the model */
  refuse(HEAD "\"linears\": [{\"layer\": 12, \"role\": \"q\", \"format\": \"dense\"}]}", "bad.json",
         "names block layer 12 but model 'bert-base' has 12 layers");
  refuse(HEAD "\"linears\": [{\"layer\": 2, \"role\": \"ffn1\", \"format\": \"cp\", \"shape\": "
              "\"32x24:32x24\", \"ranks\": [8]}]}",
         "bad.json", "layer 2 ffn1 (3072 x 768 in 'bert-base')");
  refuse(HEAD "\"linears\": [{\"layer\": 2, \"role\": \"q\", \"format\": \"ttm\", \"shape\": "
              "\"32x24:32x24\", \"ranks\": [8, 8]}]}",
         "bad.json", "layer 2 q");
}

static void refuses_bad_files(void **state) {
  (void)state;
  static plan p;
  heat_error err;
  assert_int_equal(plan_read_file("no/such/plan.json", &p, &err), HEAT_EIO);
  assert_non_null(strstr(err.where, "no/such/plan.json"));
  assert_int_equal(plan_read_file(".", &p, &err), HEAT_EIO);
  assert_non_null(strstr(err.msg, "directory"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(refuses_bad_plans),
      cmocka_unit_test(refuses_bad_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
