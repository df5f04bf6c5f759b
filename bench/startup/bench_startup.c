/* Start-up cost of the heat command (issue 8 §8c): the median wall time of `heat arch list`,
 * a single-GEMM `heat map` and `heat --help`, and which heavy libraries each one loads (from the
 * dynamic loader's own report, LD_DEBUG=libs). Prints figures only.
 *
 * usage: bench_startup [HEAT ...]   one column per binary, e.g. an older build first to compare;
 *        default: the heat built beside this bench. Runs are interleaved across binaries so that
 *        the machine's load affects each alike. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_util.h"

#ifndef HEAT_BIN
#define HEAT_BIN "heat"
#endif
#define RUNS 41
#define MAX_BINS 4

extern char **environ;

static const char *const commands[][8] = {
    {"arch", "list", NULL},
    {"map", "--arch", "tpu-32", "--gemm", "384,768,768", NULL},
    {"--help", NULL},
};
static const char *const labels[] = {"heat arch list", "heat map --gemm 384,768,768 (tpu-32)",
                                     "heat --help"};
static const char *const heavy[] = {"libsystemc", "libstdc++", "liblapacke", "libopenblas"};
#define N_CMDS (sizeof commands / sizeof commands[0])
#define N_HEAVY (sizeof heavy / sizeof heavy[0])

/* Runs bin with the command's arguments, output to /dev/null (or to `log` with LD_DEBUG=libs);
 * returns the wall time in seconds, or -1. */
static double run(const char *bin, size_t c, const char *log) {
  const char *argv[10] = {bin};
  size_t n = 1;
  for (size_t i = 0; commands[c][i]; i++) argv[n++] = commands[c][i];
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log ? log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  char **env = environ;
  char *debug_env[512];
  if (log) {
    size_t k = 0;
    debug_env[k++] = "LD_DEBUG=libs";
    for (char **e = environ; *e && k < 510; e++) debug_env[k++] = *e;
    debug_env[k] = NULL;
    env = debug_env;
  }
  pid_t pid;
  double t0 = bench_now_s();
  int rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, env);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) return -1;
  int status;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) return -1;
  return bench_now_s() - t0;
}

/* Which of heavy[] the loader initialized, as "systemc,stdc++" or "none". */
static void loaded(const char *bin, size_t c, char *out, size_t cap) {
  char log[] = "/tmp/bench_startup_XXXXXX";
  int fd = mkstemp(log);
  if (fd < 0) {
    snprintf(out, cap, "?");
    return;
  }
  close(fd);
  out[0] = '\0';
  if (run(bin, c, log) >= 0) {
    FILE *f = fopen(log, "r");
    char line[1024];
    int seen[N_HEAVY] = {0};
    while (f && fgets(line, sizeof line, f))
      if (strstr(line, "calling init:"))
        for (size_t h = 0; h < N_HEAVY; h++) seen[h] |= strstr(line, heavy[h]) != NULL;
    if (f) fclose(f);
    for (size_t h = 0; h < N_HEAVY; h++)
      if (seen[h])
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "", heavy[h] + 3);
  }
  if (!out[0]) snprintf(out, cap, "none");
  unlink(log);
}

int main(int argc, char **argv) {
  bench_args(argc, argv,
      "usage: bench_startup [HEAT ...]\n"
      "Median start-up time of three heat commands and the heavy libraries each loads, one\n"
      "column per binary (default: the heat built beside this bench). Prints figures only.\n",
      1000);
  const char *bins[MAX_BINS] = {HEAT_BIN};
  size_t nb = 1;
  if (argc > 1) {
    nb = (size_t)(argc - 1) < MAX_BINS ? (size_t)(argc - 1) : MAX_BINS;
    for (size_t b = 0; b < nb; b++) bins[b] = argv[b + 1];
  }
  printf("bench_startup: median wall time of %d runs (interleaved), ms; heavy libraries loaded\n",
         RUNS);
  for (size_t b = 0; b < nb; b++) printf("  [%zu] %s\n", b, bins[b]);
  for (size_t c = 0; c < N_CMDS; c++) {
    double t[MAX_BINS][RUNS];
    for (int r = 0; r < RUNS; r++)
      for (size_t b = 0; b < nb; b++) t[b][r] = run(bins[b], c, NULL);
    printf("%-38s", labels[c]);
    for (size_t b = 0; b < nb; b++) {
      for (int r = 0; r < RUNS; r++)
        if (t[b][r] < 0) {
          printf("  [%zu] failed", b);
          goto next;
        }
      char libs[128];
      loaded(bins[b], c, libs, sizeof libs);
      printf("  [%zu] %7.2f ms (%s)", b, 1e3 * bench_median(t[b], RUNS), libs);
    next:;
    }
    printf("\n");
  }
  return 0;
}
