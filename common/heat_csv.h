/* heat_csv: one RFC 4180 field writer for every CSV heat prints, so that names holding commas,
 * quotes or line breaks (tensor names, file paths, labels) cannot split or shift a row. */
#ifndef HEAT_CSV_H
#define HEAT_CSV_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes s as one field: in double quotes, with every '"' doubled, when it holds ',', '"', CR
 * or LF; as is otherwise. No separator is written. */
void heat_csv_field(FILE *out, const char *s);

/* Like heat_csv_field but always quoted: for columns that a reader should see quoted in every
 * row (labels and rank lists that usually hold commas). */
void heat_csv_field_quoted(FILE *out, const char *s);

/* The reader of what heat_csv_field writes: splits one CSV line (its trailing CR/LF ignored) in
 * place into at most max fields, unquoting "..." fields and their doubled quotes. Returns the
 * number of fields, or -1 when a quote is not closed, text follows a closing quote, or the line
 * has more than max fields. A line cannot hold a quoted line break: the caller reads by line. */
int heat_csv_split(char *line, char **field, int max);

#ifdef __cplusplus
}
#endif
#endif
