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

typedef struct map_memo map_memo;

typedef struct map_workspace {
  int64_t cand[MAP_DIMS][MAP_MAX_CANDIDATES];
  int ncand[MAP_DIMS];
  /* Running totals over every search run with this workspace: the real work, whatever the
   * callers cache or report per step. */
  int64_t searches, evaluated;
  map_memo *memo; /* NULL: every call searches (see map_workspace_memo) */
  /* The objectives (bit 1 << map_objective) a memoized map_search finds in one pass besides
   * the one asked for; 0: all three. Callers that ask for one objective only (a MAC-path
   * layer) set it, so that no search prices mappings for answers nobody reads. */
  unsigned memo_want;
  /* Scratch of the search: tilings waiting to be priced (grown as needed, kept for reuse). */
  struct map__pending *pending;
  void *pending_keys; /* 2 x pending_cap indices */
  size_t pending_cap;
} map_workspace;

map_workspace *map_workspace_alloc(void);
void map_workspace_free(map_workspace *w);

typedef struct map_result {
  map_mapping mapping;
  map_cost cost;
  int64_t evaluated; /* mappings fully priced: the real work of the search */
  int64_t rejected;  /* tilings that failed the capacity check */
  int64_t pruned;    /* mappings skipped because their lower bound could not win */
} map_result;

#define MAP_OBJECTIVES 3

/* Most problems a memo holds before it starts afresh (each entry ~3 KiB). */
#define MAP_MEMO_MAX 4096

/* Turns the workspace's memo on (HEAT_ENOMEM if it cannot) or off (freed). With it on,
 * map_search and map_search_objectives search each distinct problem once per arch and options
 * (the objective aside: one pass keeps the best of all three) and answer repeats from the memo,
 * failures with the same error; the answers are those a fresh search gives. The memo empties
 * itself when the arch or the options change. Callers that turn it on for a while restore it
 * with the returned previous state: `bool was = w->memo != NULL`. */
int map_workspace_memo(map_workspace *w, bool on);

/* Without searching: true and *status (HEAT_OK: *out is the best mapping for opt->objective)
 * when the memo holds p for this arch and these options; false otherwise. */
bool map_memo_peek(map_workspace *w, const arch *a, const map_options *opt,
                   const map_problem *p, map_result *out, int *status);


/* Best mapping of the step for opt->objective. `a` is the arch as described: the options'
 * array overrides are applied here. HEAT_ENOFIT names the buffer that cannot hold even the
 * smallest tile, or the operand no buffer may hold. */
int map_search(const arch *a, const map_problem *p, const map_options *opt, map_workspace *w,
               map_result *out, heat_error *err);

/* One pass over the mapspace keeping the best mapping for every objective in `want` (a mask of
 * 1u << map_objective; opt->objective is ignored): out[obj] is exactly what map_search gives
 * for that objective. The counts (evaluated, rejected, pruned) are the pass's, the same in every
 * out[obj] filled: add them once. */
int map_search_objectives(const arch *a, const map_problem *p, const map_options *opt,
                          unsigned want, map_workspace *w, map_result out[MAP_OBJECTIVES],
                          heat_error *err);

/* map_search asked only whether the step can cost at most `best - base` under opt->objective
 * (as the path DP asks: base + value <= best, in floating point): the search skips every
 * mapping whose lower bound says it cannot. *below = true: *out is exactly map_search's result
 * and *bound its value; false: no mapping qualifies, *out is untouched and *bound is a lower
 * bound of every mapping's value (base + *bound > best). Errors as map_search. With the memo
 * on, exact answers and bounds are kept and reused. */
int map_search_below(const arch *a, const map_problem *p, const map_options *opt, double base,
                     double best, map_workspace *w, map_result *out, bool *below,
                     double *bound, heat_error *err);

/* The best lower bound of p's value under opt->objective the memo learnt from searches that
 * stopped at a cut (0 when none). */
double map_memo_bound(map_workspace *w, const arch *a, const map_options *opt,
                      const map_problem *p);

/* map_search without the lower-bound pruning (every mapping priced, no memo): what the
 * pruned search must equal; for tests and benchmarks. */
int map_search_unpruned(const arch *a, const map_problem *p, const map_options *opt,
                        map_workspace *w, map_result *out, heat_error *err);

/* A lower bound of every mapping of the step in the mapspace (cycles, latency_s, energy_j,
 * edp_js, dram_bytes and macs are filled; the rest is zero): cycles >= MACs / peak MACs per
 * cycle (+ DRAM latency with memory stalls), DRAM bytes >= each operand off chip moved once,
 * energy >= MACs, register events (3 per MAC), the array's SRAM traffic at the cheapest buffer
 * allowed, compulsory DRAM bytes, and leakage over those cycles. `a` is the arch as described
 * (the options' overrides are applied here). Cheap: no search. */
void map_step_bound(const arch *a, const map_problem *p, const map_options *opt, map_cost *out);

/* A hash of every field that tells two problems apart (dimensions, layouts, operands on chip,
 * buffers, reserved bytes): the memo's index, and any other table keyed by problems. */
uint64_t map_problem_hash(const map_problem *p);

/* Tile candidates of one dimension of extent `dim` mapped on an array axis of `unit` PEs
 * (1 when streamed), ascending; returns how many were written (at most cap). */
int map_tile_candidates(int64_t dim, int64_t unit, int64_t *out, int cap);

#ifdef __cplusplus
}
#endif
#endif
