/* Tensorization shape strings (OUT:IN): a failure fills the error record; an accepted shape
 * prints and parses back to the same shape, and its factors multiply without overflow. */
#include "tests/fuzz/fuzz.h"
#include "workloads/shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  wl_shape s, back;
  heat_error err;
  int rc = wl_shape_parse(text, "--shape", &s, &err);
  free(text);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    FUZZ_CHECK(strcmp(err.where, "--shape") == 0);
    return 0;
  }
  FUZZ_CHECK(wl_shape_rows(&s) >= 1 && wl_shape_cols(&s) >= 1);
  char printed[WL_SHAPE_TEXT_MAX], again[WL_SHAPE_TEXT_MAX];
  wl_shape_format(&s, printed, sizeof printed);
  rc = wl_shape_parse(printed, "--shape", &back, &err);
  FUZZ_CHECK(rc == HEAT_OK);
  wl_shape_format(&back, again, sizeof again);
  FUZZ_CHECK(strcmp(printed, again) == 0);
  FUZZ_CHECK(wl_shape_rows(&back) == wl_shape_rows(&s) && wl_shape_cols(&back) == wl_shape_cols(&s));
  return 0;
}
