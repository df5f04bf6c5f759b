/* heat arch: list the accelerator presets, describe one, or validate a description file. */
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "cli/cli.h"
#include "cli/cli_opts.h"

static void arch_help(FILE *out) {
  fprintf(out,
          "usage: heat arch list\n"
          "       heat arch show NAME|FILE\n"
          "       heat arch check FILE\n\n"
          "Accelerator descriptions (libconfig; schema in arch/README.md).\n"
          "  list   the built-in presets, one line each\n"
          "  show   a preset or a .cfg file in human units: array, peak MACs/cycle and TOPS,\n"
          "         buffers, DRAM, and the energy table with its cited source\n"
          "  check  validate FILE; prints 'FILE: ok' and a summary, or the error (exit 2)\n");
}

static int arch_list(void) {
  for (size_t i = 0; i < arch_preset_count(); i++) {
    arch a;
    heat_error err;
    /* A preset that does not load is a bug in the build, not bad input. */
    if (arch_resolve(arch_preset_name(i), &a, &err)) {
      heat_error_print(stderr, &err);
      return 1;
    }
    char line[256];
    arch_summary(&a, line, sizeof line);
    printf("%-14s %s\n", a.name, line);
  }
  return 0;
}

static int arch_show(const char *what) {
  arch a;
  heat_error err;
  if (arch_resolve(what, &a, &err)) return cli_fail(&err);
  arch_print(stdout, &a);
  return 0;
}

static int arch_check(const char *path) {
  arch a;
  heat_error err;
  if (arch_load_file(path, &a, &err)) return cli_fail(&err);
  char line[256];
  arch_summary(&a, line, sizeof line);
  printf("%s: ok (%s: %s)\n", path, a.name, line);
  return 0;
}

int cmd_arch(int argc, char **argv) {
  const char *pos[3];
  cli_parser p = {.cmd = "arch", .positional = pos, .max_positional = 3};
  int rc = cli_parse(&p, argc, argv);
  if (rc) return rc;
  if (p.help) {
    arch_help(stdout);
    return 0;
  }
  if (p.n_positional == 0) return cli_usage_error("arch", "missing action; use list, show or check");
  const char *action = pos[0];
  if (strcmp(action, "list") == 0) {
    if (p.n_positional != 1)
      return cli_usage_error("arch", "'list' takes no arguments, got '%s'", pos[1]);
    return arch_list();
  }
  bool show = strcmp(action, "show") == 0, check = strcmp(action, "check") == 0;
  if (!show && !check)
    return cli_usage_error("arch", "unknown action '%s'; known: list, show, check", action);
  if (p.n_positional != 2)
    return cli_usage_error("arch", "'%s' takes exactly one %s", action,
                           show ? "preset name or file" : "file");
  return show ? arch_show(pos[1]) : arch_check(pos[1]);
}
