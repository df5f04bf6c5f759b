#include "cli/cli_opts.h"

#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "common/heat_parse.h"

/* getopt_long reports an option by its val: index into the table plus this offset. */
#define CLI_VAL0 256

static bool cli_opts__is_help(const char *arg) {
  return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* The name part of "--name" or "--name=value" equals opt's name: getopt_long also accepts
 * unique abbreviations, which heat refuses. */
static bool cli_opts__exact(const char *arg, const char *name) {
  if (strncmp(arg, "--", 2) != 0) return false;
  size_t n = strcspn(arg + 2, "=");
  return n == strlen(name) && strncmp(arg + 2, name, n) == 0;
}

static int cli_opts__unknown(const cli_parser *p, const char *arg) {
  char name[96];
  snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
  /* A near miss: a known option that starts with what was typed, or the reverse. */
  const char *hint = NULL;
  if (strncmp(name, "--", 2) == 0 && name[2])
    for (size_t i = 0; i < p->n_opts && !hint; i++)
      if (strncmp(p->opts[i].name, name + 2, strlen(name + 2)) == 0 ||
          strncmp(p->opts[i].name, name + 2, strlen(p->opts[i].name)) == 0)
        hint = p->opts[i].name;
  if (hint) return cli_usage_error(p->cmd, "unknown option '%s'; did you mean --%s?", name, hint);
  return cli_usage_error(p->cmd, "unknown option '%s'", name);
}

static int cli_opts__set(cli_parser *p, size_t k, const char *value) {
  const cli_opt *o = &p->opts[k];
  for (size_t j = 0; j < p->n_opts; j++)
    if (p->seen[j] && p->opts[j].dest == o->dest && o->kind != CLI_OPT_FLAG) {
      if (j == k) return cli_usage_error(p->cmd, "--%s given twice", o->name);
      return cli_usage_error(p->cmd, "--%s and --%s name the same setting; give one",
                             p->opts[j].name, o->name);
    }
  p->seen[k] = true;
  char what[80];
  snprintf(what, sizeof what, "--%s", o->name);
  heat_error err;
  switch (o->kind) {
  case CLI_OPT_FLAG: *(bool *)o->dest = true; return 0;
  case CLI_OPT_TEXT: *(const char **)o->dest = value; return 0;
  case CLI_OPT_INT:
    return heat_parse_int64(value, o->imin, o->imax, what, (int64_t *)o->dest, &err)
               ? cli_fail(&err)
               : 0;
  case CLI_OPT_REAL:
    return heat_parse_double(value, o->rmin, o->rmax, what, (double *)o->dest, &err)
               ? cli_fail(&err)
               : 0;
  }
  return 0;
}

static int cli_opts__positional(cli_parser *p, const char *arg) {
  if (p->n_positional < p->max_positional) {
    p->positional[p->n_positional++] = arg;
    return 0;
  }
  if (arg[0] == '-' && arg[1]) return cli_opts__unknown(p, arg);
  if (p->max_positional == 0) return cli_usage_error(p->cmd, "unexpected argument '%s'", arg);
  return cli_usage_error(p->cmd, "unexpected argument '%s' after '%s'", arg,
                         p->positional[p->n_positional - 1]);
}

int cli_parse(cli_parser *p, int argc, char **argv) {
  p->n_positional = 0;
  p->help = false;
  memset(p->seen, 0, sizeof p->seen);
  if (p->n_opts > CLI_MAX_OPTS) return cli_usage_error(p->cmd, "too many options (internal)");
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (cli_opts__is_help(argv[i])) {
      p->help = true;
      return 0;
    }
  struct option longs[CLI_MAX_OPTS + 1];
  for (size_t i = 0; i < p->n_opts; i++)
    longs[i] = (struct option){p->opts[i].name,
                               p->opts[i].kind == CLI_OPT_FLAG ? no_argument : required_argument,
                               NULL, (int)(CLI_VAL0 + i)};
  longs[p->n_opts] = (struct option){NULL, 0, NULL, 0};
  /* "-": arguments that are not options come back in order as code 1; ":": a missing value is
   * reported as ':' so that heat words the error. */
  optind = 0;
  opterr = 0;
  for (;;) {
    int c = getopt_long(argc, argv, "-:", longs, NULL);
    if (c == -1) break;
    int rc = 0;
    if (c == 1) {
      rc = cli_opts__positional(p, optarg);
    } else if (c == ':') {
      size_t k = (size_t)(optopt - CLI_VAL0);
      rc = optopt >= CLI_VAL0 && k < p->n_opts
               ? cli_usage_error(p->cmd, "--%s needs a value", p->opts[k].name)
               : cli_usage_error(p->cmd, "'%s' needs a value", argv[optind - 1]);
    } else if (c == '?') {
      const char *arg = argv[optind - 1];
      if (optopt >= CLI_VAL0 && (size_t)(optopt - CLI_VAL0) < p->n_opts)
        rc = cli_usage_error(p->cmd, "--%s takes no value", p->opts[optopt - CLI_VAL0].name);
      else if (optopt && strncmp(arg, "--", 2) != 0)
        rc = cli_usage_error(p->cmd, "unknown option '-%c'", optopt);
      else
        rc = cli_opts__unknown(p, arg);
    } else {
      size_t k = (size_t)(c - CLI_VAL0);
      /* The option's own word: before its value when the value came as the next argument. */
      const char *word =
          optarg && optind >= 2 && optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
      rc = cli_opts__exact(word, p->opts[k].name) ? cli_opts__set(p, k, optarg)
                                                  : cli_opts__unknown(p, word);
    }
    if (rc) return rc;
  }
  for (int i = optind; i < argc; i++) {
    int rc = cli_opts__positional(p, argv[i]);
    if (rc) return rc;
  }
  return 0;
}

bool cli_given(const cli_parser *p, const char *name) {
  for (size_t i = 0; i < p->n_opts; i++)
    if (strcmp(p->opts[i].name, name) == 0) return p->seen[i];
  return false;
}
