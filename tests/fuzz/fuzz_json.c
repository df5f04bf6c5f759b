/* The strict JSON reader (RFC 8259) of safetensors headers, on any value: a failure fills the
 * error record; an accepted value leaves the cursor inside the text, and any string it holds
 * is UTF-8. */
#include "tests/fuzz/fuzz.h"
#include "workloads/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  heat_error err;
  wl__json j = {.s = (const char *)data, .len = size, .path = "fuzz.json", .err = &err};
  int rc = wl__json_skip_value(&j, 0);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    return 0;
  }
  FUZZ_CHECK(j.pos <= size);
  /* a top-level string, read into a buffer: no NUL inside, shorter than the text */
  wl__json s = {.s = (const char *)data, .len = size, .path = "fuzz.json", .err = &err};
  char out[4096];
  if (wl__json_peek(&s, '"') && wl__json_string(&s, out, sizeof out) == HEAT_OK) {
    FUZZ_CHECK(strlen(out) < size);
    FUZZ_CHECK(s.pos == j.pos);
  }
  return 0;
}
