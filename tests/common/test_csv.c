/* heat_csv_field against RFC 4180: plain fields as is; ',', '"', CR and LF
 * force quotes, and quotes inside are doubled. Written to a temporary file and
 * read back byte for byte; and heat_csv_split, its reader, on the same cases
 * and on malformed lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/heat_csv.h"

static void check(void (*write)(FILE *, const char *), const char *in,
                  const char *want) {
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

/* Splits a copy of line and checks the fields, joined with '|' (NULL want:
 * malformed). */
static void split(const char *line, int max, const char *want) {
  char buf[256], joined[256] = "";
  snprintf(buf, sizeof buf, "%s", line);
  char *field[8];
  int n = heat_csv_split(buf, field, max);
  if (!want) {
    if (n != -1)
      fail_msg("[%s]: %d fields, want malformed", line, n);
    return;
  }
  if (n < 0)
    fail_msg("[%s]: malformed, want %s", line, want);
  for (int i = 0; i < n; i++) {
    if (i)
      strcat(joined, "|");
    strcat(joined, field[i]);
  }
  if (strcmp(joined, want))
    fail_msg("[%s]: got %s, want %s", line, joined, want);
}

static void split_reads_what_the_writer_writes(void **state) {
  (void)state;
  split("a,b,c\n", 8, "a|b|c");
  split("a,,\r\n", 8, "a||");
  split("", 8, "");
  split("\"a,b\",x", 8, "a,b|x");
  split("\"say \"\"hi\"\"\",\"\"", 8, "say \"hi\"|");
  split("x,\"\"\"\"", 8, "x|\"");
  split("name,\"1,2\"\n", 2, "name|1,2");
  /* round trip through the writer */
  FILE *fp = tmpfile();
  assert_non_null(fp);
  heat_csv_field(fp, "w\"1,2");
  fputc(',', fp);
  heat_csv_field_quoted(fp, "plain");
  rewind(fp);
  char line[64] = {0};
  assert_non_null(fgets(line, sizeof line, fp));
  fclose(fp);
  split(line, 8, "w\"1,2|plain");
}

static void split_refuses_malformed_lines(void **state) {
  (void)state;
  split("\"open", 8, NULL);
  split("\"closed\"x,y", 8, NULL);
  split("a,b,c", 2, NULL);
  split("a,b", 1, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fields_are_quoted_only_when_needed),
      cmocka_unit_test(quoted_fields_always_quote),
      cmocka_unit_test(split_reads_what_the_writer_writes),
      cmocka_unit_test(split_refuses_malformed_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
