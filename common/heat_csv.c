#include "common/heat_csv.h"

#include <stdbool.h>
#include <string.h>

static void write_field(FILE *out, const char *s, bool quote) {
  if (!quote && !s[strcspn(s, ",\"\r\n")]) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (const char *p = s; *p; p++) {
    if (*p == '"') fputc('"', out);
    fputc(*p, out);
  }
  fputc('"', out);
}

void heat_csv_field(FILE *out, const char *s) { write_field(out, s, false); }

void heat_csv_field_quoted(FILE *out, const char *s) { write_field(out, s, true); }
