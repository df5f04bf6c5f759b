/* Model descriptions (libconfig text): a failure fills the error record with a location; an
 * accepted model has totals (or a range error) and prints as CSV. */
#include "tests/fuzz/fuzz.h"
#include "workloads/model.h"
#include "workloads/model_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  model m;
  heat_error err;
  int rc = model_load_string(text, "fuzz.cfg", &m, &err);
  free(text);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    FUZZ_CHECK(strncmp(err.where, "fuzz.cfg", 8) == 0);
    return 0;
  }
  model_totals t;
  if ((rc = model_total(&m, &t, &err))) {
    FUZZ_CHECK_ERROR(rc, err);
    return 0;
  }
  FUZZ_CHECK(t.macs >= 0 && t.params >= 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  FUZZ_CHECK(out != NULL);
  rc = model_fprint_csv(out, &m, &err);
  fclose(out);
  if (rc) FUZZ_CHECK_ERROR(rc, err);
  else FUZZ_CHECK(len > 0);
  free(buf);
  return 0;
}
