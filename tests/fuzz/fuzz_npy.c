/* .npy files: a failure fills the error record; an accepted array is a finite 2-D weight. */
#include "tests/fuzz/fuzz.h"
#include "workloads/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".npy");
  wl_matrix m;
  heat_error err;
  int rc = wl_npy_read(path, &m, &err);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    return 0;
  }
  FUZZ_CHECK(m.rows >= 1 && m.cols >= 1);
  /* the data are all in the file: never more elements than bytes */
  FUZZ_CHECK((uint64_t)m.rows * (uint64_t)m.cols <= size);
  wl_matrix_free(&m);
  return 0;
}
