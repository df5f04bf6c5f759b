/* The mapspace of one GEMM step and its exhaustive search: dataflow x tile sizes x loop order x
 * operand-to-buffer assignment, pruned (tiles of spatially mapped dimensions are multiples of
 * the array extent, or the whole dimension; a power-of-two ladder and even splits otherwise;
 * loop orders that give the same nest are priced once), with a capacity check before each full
 * evaluation. No allocation in the search: the candidates live in a caller-owned workspace. */
#ifndef HEAT_MAPSPACE_H
#define HEAT_MAPSPACE_H

#include <stdint.h>

#include "mapper/tile.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MAP_MAX_CANDIDATES 80

typedef struct map_workspace {
  int64_t cand[MAP_DIMS][MAP_MAX_CANDIDATES];
  int ncand[MAP_DIMS];
} map_workspace;

map_workspace *map_workspace_alloc(void);
void map_workspace_free(map_workspace *w);

typedef struct map_result {
  map_mapping mapping;
  map_cost cost;
  int64_t evaluated; /* mappings fully priced */
  int64_t rejected;  /* tilings that failed the capacity check */
} map_result;

/* Best mapping of the step for opt->objective. `a` is the arch as described: the options'
 * array overrides are applied here. HEAT_ENOFIT names the buffer that cannot hold even the
 * smallest tile, or the operand no buffer may hold. */
int map_search(const arch *a, const map_problem *p, const map_options *opt, map_workspace *w,
               map_result *out, heat_error *err);

/* Tile candidates of one dimension of extent `dim` mapped on an array axis of `unit` PEs
 * (1 when streamed), ascending; returns how many were written (at most cap). */
int map_tile_candidates(int64_t dim, int64_t unit, int64_t *out, int cap);

#ifdef __cplusplus
}
#endif
#endif
