/* Shared by the libFuzzer targets: the input as a C string, and invariant checks that abort
 * (a crash to libFuzzer, a failed test to the corpus replay) with what broke. */
#ifndef HEAT_FUZZ_H
#define HEAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/heat_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

/* A failure must fill the error record: the code returned, and a message saying what. */
#define FUZZ_CHECK_ERROR(rc, err)                                       \
  do {                                                                  \
    FUZZ_CHECK((rc) < 0);                                               \
    FUZZ_CHECK((err).code == (rc));                                     \
    FUZZ_CHECK((err).msg[0] != '\0');                                   \
    FUZZ_CHECK(heat_exit_code(rc) == 1 || heat_exit_code(rc) == 2);     \
  } while (0)

/* A NUL-terminated copy of the input (NULs inside stay: text readers see a shorter string). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
  char *t = malloc(size + 1);
  if (!t) abort();
  memcpy(t, data, size);
  t[size] = '\0';
  return t;
}

static char fuzz__file_path[128];

/* Every corpus replay in `make test` would otherwise leave its file in /tmp. */
static inline void fuzz__remove_file(void) {
  if (fuzz__file_path[0]) unlink(fuzz__file_path);
}

/* Writes the input to a file of this process (readers that take a path) and returns its path;
 * the file is removed when the process exits normally. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix) {
  char *path = fuzz__file_path;
  if (!path[0]) atexit(fuzz__remove_file);
  snprintf(path, sizeof fuzz__file_path, "/tmp/heat_fuzz_%ld%s", (long)getpid(), suffix);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  return path;
}

#endif
