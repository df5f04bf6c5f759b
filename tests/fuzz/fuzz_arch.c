/* Accelerator descriptions (libconfig text): a failure fills the error record with a location;
 * an accepted description prints and summarises. */
#include "arch/arch.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  arch a;
  heat_error err;
  int rc = arch_load_string(text, "fuzz.cfg", &a, &err);
  free(text);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    FUZZ_CHECK(strncmp(err.where, "fuzz.cfg", 8) == 0);
    return 0;
  }
  FUZZ_CHECK(arch_peak_macs_per_cycle(&a) > 0);
  FUZZ_CHECK(arch_peak_tops(&a) > 0.0);
  char line[256];
  arch_summary(&a, line, sizeof line);
  FUZZ_CHECK(line[0] != '\0');
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  FUZZ_CHECK(out != NULL);
  arch_print(out, &a);
  fclose(out);
  FUZZ_CHECK(len > 0);
  free(buf);
  return 0;
}
