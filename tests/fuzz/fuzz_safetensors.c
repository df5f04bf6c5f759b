/* safetensors files: a failure fills the error record; every listed tensor fits in the file,
 * and reading one either succeeds with its listed shape or fails with a filled record. */
#include "tests/fuzz/fuzz.h"
#include "workloads/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size, ".safetensors");
  wl_tensor_info *t;
  size_t n;
  heat_error err;
  int rc = wl_safetensors_list(path, &t, &n, &err);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    return 0;
  }
  for (size_t i = 0; i < n && i < 4; i++) {
    FUZZ_CHECK(t[i].ndim <= WL_TENSOR_MAX_DIMS);
    wl_matrix m;
    rc = wl_safetensors_read(path, t[i].name, &m, &err);
    if (rc) {
      FUZZ_CHECK_ERROR(rc, err);
      continue;
    }
    FUZZ_CHECK(t[i].ndim == 2 && m.rows == t[i].shape[0] && m.cols == t[i].shape[1]);
    wl_matrix_free(&m);
  }
  free(t);
  return 0;
}
