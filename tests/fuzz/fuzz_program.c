/* The mapper's program text format (mapper/program_text.c): a failure fills the error record;
 * an accepted program prints, and the printed text parses back and prints identically. */
#include "mapper/program.h"
#include "tests/fuzz/fuzz.h"

static char *print(const program *p) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  FUZZ_CHECK(out != NULL);
  FUZZ_CHECK(program_print(out, p) == HEAT_OK);
  fclose(out);
  return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  program p, q;
  program_init(&p);
  heat_error err;
  int rc = program_parse(text, "fuzz.prog", &p, &err);
  free(text);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    program_free(&p);
    return 0;
  }
  char *once = print(&p);
  program_init(&q);
  rc = program_parse(once, "printed.prog", &q, &err);
  if (rc) fprintf(stderr, "printed program does not parse: %s: %s\n%s", err.where, err.msg, once);
  FUZZ_CHECK(rc == HEAT_OK);
  char *twice = print(&q);
  FUZZ_CHECK(strcmp(once, twice) == 0);
  free(once);
  free(twice);
  program_free(&p);
  program_free(&q);
  return 0;
}
