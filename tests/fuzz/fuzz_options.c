/* The option parsers: cli_parse (getopt_long, every subcommand's front end) on an argv made of
 * the input's lines, and the number parsers on each argument. Invariants: the parse returns 0
 * or 2, a 2 printed a message, values land within their ranges, and a value option given as
 * `--opt value` and as `--opt=value` parses the same. */
#include <stdarg.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "common/heat_budget.h"
#include "common/heat_parse.h"
#include "tests/fuzz/fuzz.h"

/* cli/main.c's reporters, recording instead of printing (main.c holds main()). */
static char last_message[1024];
int cli_usage_error(const char *cmd, const char *fmt, ...) {
  (void)cmd;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, ap);
  va_end(ap);
  return 2;
}
int cli_fail(const heat_error *err) {
  snprintf(last_message, sizeof last_message, "%s", err->msg);
  return heat_exit_code(err->code);
}
bool cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

typedef struct values {
  bool flag;
  const char *text;
  int64_t small, big;
  double real;
} values;

static int parse(int argc, char **argv, values *v, size_t *n_pos) {
  memset(v, 0, sizeof *v);
  const char *pos[4];
  const cli_opt opts[] = {
      CLI_FLAG("csv", &v->flag),          CLI_TEXT("arch", &v->text),
      CLI_INT("seq", &v->small, 1, 4096), CLI_INT("tokens", &v->small, 1, 4096),
      CLI_INT("seed", &v->big, 0, INT64_C(4294967295)),
      CLI_REAL("cp-tol", &v->real, 0.0, 1.0)};
  cli_parser p = {.cmd = "fuzz", .opts = opts, .n_opts = CLI_COUNT(opts), .positional = pos,
                  .max_positional = 4};
  last_message[0] = '\0';
  int rc = cli_parse(&p, argc, argv);
  FUZZ_CHECK(rc == 0 || rc == 2);
  if (rc) FUZZ_CHECK(last_message[0] != '\0');
  if (!rc && v->small) FUZZ_CHECK(v->small >= 1 && v->small <= 4096);
  if (!rc) FUZZ_CHECK(v->big >= 0 && v->big <= INT64_C(4294967295));
  if (!rc) FUZZ_CHECK(v->real >= 0.0 && v->real <= 1.0);
  *n_pos = p.n_positional;
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  char *argv[34] = {"fuzz"};
  int argc = 1;
  for (char *p = text; p && argc < 33;) {
    argv[argc++] = p;
    p = strchr(p, '\n');
    if (p) *p++ = '\0';
  }
  argv[argc] = NULL;
  char *copy[34];
  memcpy(copy, argv, sizeof copy); /* getopt may permute argv */
  values v;
  size_t n_pos;
  int rc = parse(argc, copy, &v, &n_pos);
  /* "--seq VALUE" and "--seq=VALUE" agree */
  static const char *const valued[] = {"--seq", "--tokens", "--seed", "--cp-tol", "--arch"};
  bool takes_value = false;
  for (size_t k = 0; k < 5 && argc == 3; k++) takes_value |= strcmp(argv[1], valued[k]) == 0;
  if (takes_value && argv[2][0] != '-') {
    char joined[512];
    snprintf(joined, sizeof joined, "%s=%s", argv[1], argv[2]);
    char *argv2[3] = {"fuzz", joined, NULL};
    values w;
    size_t n2;
    int rc2 = parse(2, argv2, &w, &n2);
    if (rc == 0 && n_pos == 0) {
      FUZZ_CHECK(rc2 == 0);
      FUZZ_CHECK(w.small == v.small && w.big == v.big && w.flag == v.flag);
      FUZZ_CHECK(w.real == v.real || (w.real != w.real && v.real != v.real));
    }
  }
  /* each argument through the number parsers */
  heat_error err;
  for (int i = 1; i < argc; i++) {
    int64_t iv, list[8];
    double dv;
    size_t n;
    int r = heat_parse_int64(argv[i], -1000, 1000, "--n", &iv, &err);
    if (r) FUZZ_CHECK_ERROR(r, err);
    else FUZZ_CHECK(iv >= -1000 && iv <= 1000);
    r = heat_parse_double(argv[i], -1.0, 1.0, "--x", &dv, &err);
    if (r) FUZZ_CHECK_ERROR(r, err);
    else FUZZ_CHECK(dv >= -1.0 && dv <= 1.0);
    r = heat_parse_int64_list(argv[i], 'x', 1, 1 << 20, "--size", list, 8, &n, &err);
    if (r) FUZZ_CHECK_ERROR(r, err);
    else FUZZ_CHECK(n >= 1 && n <= 8);
    r = heat_budget_parse(argv[i], "--max-memory", &iv, &err);
    if (r) FUZZ_CHECK_ERROR(r, err);
    else FUZZ_CHECK(iv >= INT64_C(1) << 20 && iv <= INT64_C(1) << 60);
  }
  free(text);
  return 0;
}
