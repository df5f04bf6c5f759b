/* Internal to mapspace.c: the compute configurations a step is searched under. Besides each
 * dataflow of the array with one batch element per fold, a batched step whose spatial extents
 * fill at most half the array is also tried with several batch elements per fold on the array's
 * diagonal (fold_batch_pack), and a step may run on the SIMD unit instead (fold_simd_eval); the
 * SIMD pass is skipped when a lower bound of its cost already loses to the best array mapping.
 * MAPPING.md, "Small and degenerate steps". */
#ifndef HEAT_MAPSPACE_UNITS_H
#define HEAT_MAPSPACE_UNITS_H

#include "mapper/tile.h"

#define MAP_MAX_CONFIGS (2 * ARCH_DATAFLOW_COUNT + 1)

typedef struct map__config {
  map_unit unit;
  arch_dataflow dataflow;     /* array only */
  int64_t pack;               /* batch elements per fold (1: none) */
  int64_t extent[MAP_DIMS];   /* array extent each dimension's tiles are multiples of (1 = any) */
} map__config;

/* The array configurations of the step under the options (dataflows offered and allowed, each
 * with pack 1 and, for a batched step that fits, the largest pack); returns how many. */
int map__array_configs(const arch *a, const map_problem *p, const map_options *opt,
                       map__config *out);

/* The SIMD configuration: every dimension tiled freely. */
void map__simd_config(map__config *out);

/* True when the SIMD unit should be searched: the options allow it (not array_only, memory
 * stalls charged, no fixed dataflow), the array could run the step (`best`, NULL when nothing
 * fit) and a lower bound of the SIMD cost (its compute cycles, lane energy, leakage over those
 * cycles and the compulsory DRAM bytes) does not already lose to `best`. */
bool map__simd_worth(const arch *a, const map_problem *p, const map_options *opt,
                     const map_cost *best);

/* A lower bound of every SIMD mapping of the step (its compute cycles, lane energy, leakage
 * over those cycles and the compulsory DRAM bytes); false when the options leave the SIMD unit
 * out of the mapspace. */
bool map__simd_bound(const arch *a, const map_problem *p, const map_options *opt, map_cost *lb);

/* The compute part of a tiling under a configuration. */
void map__config_compute(const arch *a, const map_options *opt, const map__config *cfg,
                         const int64_t *dim, const int64_t *tile, map__compute *out);

#endif
