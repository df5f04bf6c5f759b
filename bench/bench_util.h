/* Shared by the benchmarks: a monotonic wall clock and the median of repeated timings. */
#ifndef HEAT_BENCH_UTIL_H
#define HEAT_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int bench__cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v in place and returns its median. */
static inline double bench_median(double *v, size_t n) {
  qsort(v, n, sizeof *v, bench__cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Every bench answers --help (or -h) with its usage and exit 0, before it starts measuring, and
 * refuses more than max_args arguments with exit 2: a bench run by mistake takes minutes. */
static inline void bench_args(int argc, char **argv, const char *usage, int max_args) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage, stdout);
      exit(0);
    }
  if (argc - 1 > max_args) {
    fprintf(stderr, "%s: %d arguments, at most %d\n%s", argv[0], argc - 1, max_args, usage);
    exit(2);
  }
}

#endif
