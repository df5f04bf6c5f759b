/* Internal to tile.c: the tile pipeline's period, how long each further tile of a class takes
 * as the program runs it (map__memory_eval sums them into a mapping's cycles), and how an
 * output epilogue on the SIMD unit stretches the folds beside it. */
#ifndef HEAT_TILE_PERIOD_H
#define HEAT_TILE_PERIOD_H

#include <stdbool.h>

#include "mapper/tile.h"

static inline double map__maxd(double a, double b) { return a > b ? a : b; }

/* A unit's output epilogue on the SIMD unit shares the activation buffer's port with the next
 * folds: the SIMD unit draws a piece's `epi` port cycles evenly over its `cycles`, and a fold
 * takes what is left for its own (sim/model.cpp, sim/sram.h). Port cycles per unit. */
typedef struct map__epi_share {
  double fold;       /* the tiles' in that buffer: the folds' and their transfers' */
  double epi, cycles; /* one epilogue piece's port cycles and SIMD cycles */
  double fold_alone; /* the folds' own, without the transfers' (folds back to back) */
} map__epi_share;

/* The period of one tile whose outermost advancing loop is at position q (*t_one: without the
 * two-fold chain). */
double map__class_period(const arch *a, const map_problem *p, const map_mapping *m,
                         const int *innermost, int q, const double *share,
                         double st_share, double lp_share, double c, double latency,
                         double drain, double epi, double t_prev, double inner_iters,
                         bool stores_first, const map__epi_share *sh, double run,
                         unsigned unit_slots, const double *block, double *t_one);

#endif
