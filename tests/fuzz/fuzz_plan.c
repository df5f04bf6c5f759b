/* The plan reader (search/plan.c, the JSON of `heat map --plan`, `heat search --manual` and
 * `heat sweep --plan`): a failure fills the error record and names the file; a plan accepted
 * and checked against a model (distilbert, or a 3-block model of hidden 96) writes JSON that
 * reads back to a plan that checks too and writes the same bytes again (write -> read ->
 * write is a fixed point). */
#include "search/plan.h"
#include "tests/fuzz/fuzz.h"

static const char tiny_cfg[] =
    "name = \"tiny-bert\"; kind = \"encoder\"; layers = 3; hidden = 96; heads = 4; ffn = 384;\n"
    "vocab = 1000; positions = 128; token_types = 2; seq = 64; batch = 1; biases = true;\n"
    "norm = \"post\"; activation = \"gelu\"; embedding_layernorm = true;\n"
    "final_layernorm = false; pooler = false; classifier_classes = 0;\n";

static char *fuzz_plan_text(const plan *p, const model *m, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  FUZZ_CHECK(f != NULL);
  plan_write(f, p, m);
  FUZZ_CHECK(fclose(f) == 0);
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static model models[2];
  static bool ready;
  heat_error err;
  if (!ready) {
    FUZZ_CHECK(model_resolve("distilbert", &models[0], &err) == HEAT_OK);
    FUZZ_CHECK(model_load_string(tiny_cfg, "tiny.cfg", &models[1], &err) == HEAT_OK);
    ready = true;
  }
  static plan p, back;
  int rc = plan_read_string((const char *)data, size, "fuzz.json", &p, &err);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    FUZZ_CHECK(strstr(err.where, "fuzz.json") == err.where || strstr(err.msg, "fuzz.json"));
    return 0;
  }
  FUZZ_CHECK(p.layers <= PLAN_MAX_LAYERS);
  for (size_t k = 0; k < 2; k++) {
    rc = plan_check(&p, &models[k], "fuzz.json", &err);
    if (rc) {
      FUZZ_CHECK_ERROR(rc, err);
      continue;
    }
    size_t len1, len2;
    char *t1 = fuzz_plan_text(&p, &models[k], &len1);
    rc = plan_read_string(t1, len1, "written.json", &back, &err);
    if (rc) fprintf(stderr, "written plan does not read back: %s: %s\n%s\n", err.where, err.msg, t1);
    FUZZ_CHECK(rc == HEAT_OK);
    FUZZ_CHECK(plan_check(&back, &models[k], "written.json", &err) == HEAT_OK);
    char *t2 = fuzz_plan_text(&back, &models[k], &len2);
    FUZZ_CHECK(len1 == len2 && memcmp(t1, t2, len1) == 0);
    FUZZ_CHECK(plan_params(&back, &models[k]) == plan_params(&p, &models[k]));
    free(t1);
    free(t2);
  }
  return 0;
}
