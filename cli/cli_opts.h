/* One option parser for every heat subcommand, built on glibc's getopt_long: `--opt value` and
 * `--opt=value` alike, long names matched exactly (no abbreviations, so that adding an option
 * never breaks a script), numbers range-checked, every error as "heat: <what>" followed by
 * "Try 'heat <cmd> --help'." and exit code 2.
 *
 *   const char *arch = NULL;  int64_t seq = 0;  bool csv = false;
 *   const cli_opt opts[] = {CLI_TEXT("arch", &arch), CLI_INT("seq", &seq, 1, INT32_MAX),
 *                           CLI_FLAG("csv", &csv)};
 *   cli_parser p = {.cmd = "map", .opts = opts, .n_opts = CLI_COUNT(opts)};
 *   int rc = cli_parse(&p, argc, argv);          // argv[0] is the subcommand name
 *   if (rc) return rc;
 *   if (p.help) { help(stdout); return 0; }
 */
#ifndef HEAT_CLI_OPTS_H
#define HEAT_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum cli_opt_kind {
  CLI_OPT_FLAG, /* no value; sets a bool */
  CLI_OPT_TEXT, /* a string, checked by the caller */
  CLI_OPT_INT,  /* a decimal integer in [imin, imax] */
  CLI_OPT_REAL, /* a finite number in [rmin, rmax] */
} cli_opt_kind;

typedef struct cli_opt {
  const char *name; /* without the leading "--" */
  cli_opt_kind kind;
  void *dest; /* bool *, const char **, int64_t * or double *; two names may share one (alias) */
  int64_t imin, imax;
  double rmin, rmax;
} cli_opt;

#define CLI_FLAG(n, p) {(n), CLI_OPT_FLAG, (p), 0, 0, 0, 0}
#define CLI_TEXT(n, p) {(n), CLI_OPT_TEXT, (p), 0, 0, 0, 0}
#define CLI_INT(n, p, lo, hi) {(n), CLI_OPT_INT, (p), (lo), (hi), 0, 0}
#define CLI_REAL(n, p, lo, hi) {(n), CLI_OPT_REAL, (p), 0, 0, (lo), (hi)}
#define CLI_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define CLI_MAX_OPTS 64

typedef struct cli_parser {
  const char *cmd; /* "map", "model show": named in "Try 'heat <cmd> --help'." */
  const cli_opt *opts;
  size_t n_opts;
  /* Arguments that are not options (in order), up to max_positional; more is an error. */
  const char **positional;
  size_t max_positional;
  size_t n_positional; /* out */
  bool help;           /* out: -h or --help was given (anywhere before a "--") */
  bool seen[CLI_MAX_OPTS]; /* out: which options were given */
} cli_parser;

/* Parses argv[1..argc). Returns 0, or 2 after printing the usage error to stderr. A value option
 * given twice (under any of its names) is an error. */
int cli_parse(cli_parser *p, int argc, char **argv);

/* True when the option called `name` was given. */
bool cli_given(const cli_parser *p, const char *name);

#endif
