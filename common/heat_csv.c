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
    if (*p == '"')
      fputc('"', out);
    fputc(*p, out);
  }
  fputc('"', out);
}

void heat_csv_field(FILE *out, const char *s) { write_field(out, s, false); }

void heat_csv_field_quoted(FILE *out, const char *s) {
  write_field(out, s, true);
}

/* Unquotes the quoted field that starts at p, in place (text moves left over
 * the quotes and the doubled quotes). Returns the character after the closing
 * quote, NULL when none. */
static char *unquote(char *p) {
  char *out = p, *in = p + 1;
  for (;; in++) {
    if (*in == '\0')
      return NULL;
    if (*in == '"' && *++in != '"')
      break;
    *out++ = *in;
  }
  *out = '\0';
  return in;
}

int heat_csv_split(char *line, char **field, int max) {
  line[strcspn(line, "\r\n")] = '\0';
  for (int n = 0; n < max; n++) {
    field[n] = line;
    char *end = *line == '"' ? unquote(line) : line + strcspn(line, ",");
    if (!end || (*end != ',' && *end != '\0'))
      return -1;
    if (*end == '\0')
      return n + 1;
    *end = '\0';
    line = end + 1;
  }
  return -1;
}
