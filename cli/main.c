/* heat: accelerator simulator and co-design tool for tensor-decomposed transformers. */
#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "search/dist.h"

#ifndef HEAT_VERSION
#define HEAT_VERSION "unknown"
#endif

static const cli_command commands[] = {
    {"arch", "list, describe and validate accelerator descriptions", cmd_arch},
    {"decompose", "factorize a layer's weight: params, compression, error, einsum MACs",
     cmd_decompose},
    {"einsum", "contraction path of an einsum tensor network, each step as a batched GEMM",
     cmd_einsum},
    {"map", "map GEMM steps onto an accelerator and price them (analytical model)", cmd_map},
    {"model", "list the preset models; show a model's operations, MACs and parameters",
     cmd_model},
    {"search", "hardware-aware decomposition search: shapes, ranks, plans, tables, figures",
     cmd_search},
    {"sim", "run mapped programs on the SystemC cycle-level model", cmd_sim},
    {"sweep", "dense and plans priced over array sizes, buffers, bandwidths, clocks", cmd_sweep},
    {"validate", "the analytical model against the SystemC model, step by step",
     cmd_validate},
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

int cli_fail(const heat_error *err) {
  if (dist_rank() > 0) { /* rank 0 prints what every rank saw; search/dist.h */
    char text[sizeof err->where + sizeof err->msg + 8];
    snprintf(text, sizeof text, "%s%s%s\n", err->where, err->where[0] ? ": " : "",
             err->msg[0] ? err->msg : heat_strerror(err->code));
    dist_keep_error(text);
  } else
    heat_error_print(stderr, err);
  return heat_exit_code(err->code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (dist_rank() > 0) {
    char text[sizeof msg + 4];
    snprintf(text, sizeof text, "%s\n", msg);
    dist_keep_error(text);
  } else
    fprintf(stderr, "heat: %s\nTry 'heat %s --help'.\n", msg, cmd);
  return 2;
}

bool cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

static void print_help(FILE *out) {
  fprintf(out,
          "usage: heat <subcommand> [options]\n"
          "       heat --help | --version\n\n"
          "heat evaluates tensor-decomposed transformer layers on hypothetical accelerators.\n\n"
          "subcommands:\n");
  for (size_t i = 0; i < n_commands; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nRun 'heat <subcommand> --help' for its options.\n"
               "Exit codes: 0 success, 2 bad input, 1 internal failure.\n");
}

/* sweep and search spread their points over MPI ranks when mpirun/srun started them. */
static int run_command(const cli_command *c, int argc, char **argv) {
  if (strcmp(c->name, "sweep") != 0 && strcmp(c->name, "search") != 0) return c->run(argc, argv);
  heat_error err;
  if (dist_init(&argc, &argv, &err)) return dist_finish(cli_fail(&err));
  /* Rank 0 speaks for the run: the others' reports and help would repeat it once per rank. */
  if (dist_rank() > 0 && !freopen("/dev/null", "w", stdout)) return dist_finish(1);
  return dist_finish(c->run(argc, argv));
}

bool cli_blas_threads_fixed;

int main(int argc, char **argv) {
  /* GSL's default handler aborts; heat checks every return code instead. */
  gsl_set_error_handler_off();
  /* OpenBLAS loads only when a factorization needs it (workloads/lapack_dl.c); one thread unless
   * the user chose (heat decompose asks for every core, cli_blas_threads_fixed). Set before it
   * loads, so that it starts no worker threads. */
  if (getenv("OPENBLAS_NUM_THREADS")) cli_blas_threads_fixed = true;
  else setenv("OPENBLAS_NUM_THREADS", "1", 1);
  if (argc < 2) {
    print_help(stderr);
    return 2;
  }
  if (cli_is_help(argv[1])) {
    print_help(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    if (argc > 2) {
      fprintf(stderr, "heat: --version takes no arguments, got '%s'\n", argv[2]);
      return 2;
    }
    printf("heat %s\n", HEAT_VERSION);
    return 0;
  }
  for (size_t i = 0; i < n_commands; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return run_command(&commands[i], argc - 1, argv + 1);
  fprintf(stderr, "heat: unknown subcommand '%s'; known:", argv[1]);
  for (size_t i = 0; i < n_commands; i++) fprintf(stderr, " %s", commands[i].name);
  fprintf(stderr, "\nTry 'heat --help'.\n");
  return 2;
}
