/* heat_csv_field against RFC 4180: plain fields as is; ',', '"', CR and LF force quotes, and
 * quotes inside are doubled. Written to a temporary file and read back byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/heat_csv.h"

static void check(void (*write)(FILE *, const char *), const char *in, const char *want) {
  FILE *fp = tmpfile();
  assert_non_null(fp);
  write(fp, in);
  rewind(fp);
  char got[256] = {0};
  size_t n = fread(got, 1, sizeof got - 1, fp);
  fclose(fp);
  if (n != strlen(want) || memcmp(got, want, n) != 0)
    fail_msg("field [%s]: got [%s], want [%s]", in, got, want);
}

static void fields_are_quoted_only_when_needed(void **state) {
  (void)state;
  check(heat_csv_field, "plain name.weight", "plain name.weight");
  check(heat_csv_field, "", "");
  check(heat_csv_field, "a,b", "\"a,b\"");
  check(heat_csv_field, "say \"hi\"", "\"say \"\"hi\"\"\"");
  check(heat_csv_field, "\"", "\"\"\"\"");
  check(heat_csv_field, "line\nbreak", "\"line\nbreak\"");
  check(heat_csv_field, "cr\rhere", "\"cr\rhere\"");
  check(heat_csv_field, "tab\tand 'single'", "tab\tand 'single'");
}

static void quoted_fields_always_quote(void **state) {
  (void)state;
  check(heat_csv_field_quoted, "x", "\"x\"");
  check(heat_csv_field_quoted, "", "\"\"");
  check(heat_csv_field_quoted, "w\"1,2", "\"w\"\"1,2\"");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fields_are_quoted_only_when_needed),
      cmocka_unit_test(quoted_fields_always_quote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
