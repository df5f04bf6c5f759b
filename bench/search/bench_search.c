#define _DEFAULT_SOURCE /* getloadavg */
/* bench_search: wall time of the default `heat search` (BERT-base on simba-l, synthetic weights)
 * with a cold cost table and with a warm one, the CPU time it used (the machine may be shared:
 * wall time above CPU time / threads means waiting for cores), and points evaluated per second.
 * Targets on a 2-core machine: < 60 s cold, < 5 s warm. Prints figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/bench_util.h"

static double cpu_children(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* Runs heat search; returns wall seconds, fills the level-1 settings, mapper-priced settings,
 * level-2 plans and the seconds spent simulating the summary's plans (cycle-level model) from
 * its summary. */
static double run(const char *dir, long *settings, long *priced, long *plans, double *sim_s) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s search --out %s/out --cache %s/cache --no-figures 2>/dev/null",
           HEAT_BIN, dir, dir);
  double t0 = bench_now_s();
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  char line[2048];
  *settings = *priced = *plans = -1;
  *sim_s = -1;
  while (fgets(line, sizeof line, p)) {
    const char *at = strstr(line, " linears simulated in ");
    if (at) sscanf(at, " linears simulated in %lf", sim_s);
    if (!strncmp(line, "level 1: ", 9))
      sscanf(line, "level 1: %ld settings (shapes x ranks per weight size and format), %ld",
             settings, priced);
    if (!strncmp(line, "level 2: ", 9)) sscanf(line, "level 2: %ld", plans);
  }
  int st = pclose(p);
  double t = bench_now_s() - t0;
  return st == 0 ? t : -1;
}

int main(int argc, char **argv) {
  bench_args(argc, argv,
      "usage: bench_search\n"
      "Wall and CPU time of the default `heat search` with a cold and a warm cost table, and\n"
      "points per second (targets on 2 cores: < 60 s cold, < 5 s warm). Prints figures only.\n",
      0);
  char dir[] = "/tmp/heat-bench-search-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  long settings, priced, plans;
  double sim_cold, sim_warm;
  double c0 = cpu_children();
  double cold = run(dir, &settings, &priced, &plans, &sim_cold);
  double c1 = cpu_children();
  long s2, p2, plans2;
  double warm = run(dir, &s2, &p2, &plans2, &sim_warm);
  double c2 = cpu_children();
  char rm[600];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", dir);
  if (cold < 0 || warm < 0) {
    fprintf(stderr, "bench_search: heat search failed\n");
    return 1;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  double load[1] = {0};
  getloadavg(load, 1);
  printf("bench_search: default heat search (bert-base, simba-l, cp/tucker/ttm, 2 threads) on %ld "
         "cores, load average %.1f\n", cores, load[0]);
  printf("  cold  %8.2f s wall  %8.2f s CPU  %ld level-1 settings, %ld priced by the mapper: "
         "%.2f settings/s wall, %.2f per CPU-s   (target < 60 s)\n",
         cold, c1 - c0, settings, priced, (double)settings / cold, (double)settings / (c1 - c0));
  printf("  warm  %8.2f s wall  %8.2f s CPU  %ld priced (all from the cost table), %ld level-2 "
         "plans: %.0f plans/s wall   (target < 5 s)\n",
         warm, c2 - c1, p2, plans2, (double)plans2 / warm);
  printf("  of which the summary's plans on the cycle-level model: %.2f s cold, %.2f s warm "
         "(included above; heat search --no-sim skips it)\n",
         sim_cold, sim_warm);
  return 0;
}
