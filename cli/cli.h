/* The heat command: one function per subcommand, each taking the arguments after its name
 * (argv[0] is the subcommand name) and returning the process exit code:
 * 0 success, 2 bad input, 1 internal failure. */
#ifndef HEAT_CLI_H
#define HEAT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "common/heat_error.h"

typedef struct cli_command {
  const char *name;
  const char *summary; /* one line for `heat --help` */
  int (*run)(int argc, char **argv);
} cli_command;

/* Prints the error and returns its exit code; use as `return cli_fail(&err);`. */
int cli_fail(const heat_error *err);

/* Reports a usage error for `heat <cmd>` (exit code 2). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when argv[i] is -h or --help. */
bool cli_is_help(const char *arg);
/* The user set OPENBLAS_NUM_THREADS: no subcommand changes BLAS threads then (main.c). */
extern bool cli_blas_threads_fixed;

/* The subcommands (cli/cmd_*.c). */
int cmd_arch(int argc, char **argv);
int cmd_decompose(int argc, char **argv);
int cmd_einsum(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_validate(int argc, char **argv);

#endif
