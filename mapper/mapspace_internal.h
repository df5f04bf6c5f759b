/* Internal to mapspace.c and its parts: the lower bounds the search prunes with
 * (mapspace_bound.c, where the proofs are) and the search that the memo (mapspace_memo.c) runs
 * and keeps the answers of. */
#ifndef HEAT_MAPSPACE_INTERNAL_H
#define HEAT_MAPSPACE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mapper/mapspace.h"
#include "mapper/tile.h"

/* ---- mapspace_bound.c ---- */

/* Per-step constants of the bounds; `a` has the overrides applied. */
typedef struct map__bound_base {
  double macs;
  double elems[MAP_OPS];  /* of each operand's whole tensor */
  double rd_pj[MAP_OPS];  /* cheapest pJ per byte read from a buffer the operand may use */
  double wr_pj[MAP_OPS];  /* ... and written */
  double ebytes[MAP_OPS]; /* bytes per element as the array moves it (output: partial sums) */
  bool stalls;            /* memory stalls priced: cycles cover DRAM latency and transfers */
  double latency;         /* DRAM latency, cycles, when they are */
  double first_latency;   /* what of it the first fold waits for (0: no input or weight load) */
  double bpc;             /* DRAM bytes per cycle */
  /* Stalls priced and every buffer an off-chip operand may use single-buffered: each tile's
   * transfers wait for the fold before (MAPPING.md, the tile pipeline), so compute and DRAM
   * add up instead of overlapping. */
  bool serial;
} map__bound_base;

/* DRAM traffic of a schedule: bytes brought into each operand's buffer (the output's are
 * partial sums read back) and bytes written out from the output's; `edge`, DRAM bytes of the
 * first tile's loads and the last tile's store (which no fold overlaps), 0 when unknown. */
typedef struct map__dram {
  double in[MAP_OPS], out;
  double edge;
  double lp_once; /* one move's partial-sum load: the first output tile has none */
  double epi;     /* the last unit's output epilogue (memory stalls priced; 0: unknown) */
} map__dram;

/* The loops of one tiling and order that iterate (more than one tile), outermost first: the B
 * loop, then the order's. */
typedef struct map__loops {
  int n;
  int dim[MAP_DIMS];
  double cnt[MAP_DIMS];
} map__loops;

/* What a bound says of the objectives (a map_cost's cycles, latency_s, energy_j, edp_js). */
typedef struct map__lb {
  double cycles, latency_s, energy_j, edp_js;
} map__lb;

static inline double map__lb_value(int obj, const map__lb *c) {
  return obj == MAP_OBJECTIVE_LATENCY ? c->cycles
         : obj == MAP_OBJECTIVE_ENERGY ? c->energy_j
                                       : c->edp_js;
}

/* The per-step constants of the bounds of p (`a` with the overrides applied). */
void map__bound_base_of(const arch *a, const map_problem *p, const map_options *opt,
                        map__bound_base *b);

/* The loops of one tiling (`tiles` per dimension) and order that iterate. */
void map__loops_of(const int64_t *tiles, const int *order, map__loops *l);

/* DRAM traffic of one tiling and loop order, as the cost model counts it. */
void map__dram_of_order(const arch *a, const map_problem *p, const map__bound_base *b,
                        const map__loops *l, int sd, map__dram *d,
                        bool *stream_innermost);

/* The bound of one schedule of a tiling, on the array or (simd) the SIMD unit. */
void map__array_bound(const arch *a, const map__bound_base *b, bool simd,
                      const map__array *ar, double tiles, const map__dram *d,
                      double pipe, map__lb *out);

/* The bound of a tiling, whichever of its schedules an order picks. */
void map__tiling_bound(const arch *a, const map_problem *p, const map__bound_base *b,
                       bool simd, const map__compute *c, double epi, map__lb *out);

/* ---- mapspace.c: the search ---- */

/* A cut search (map_search_below): the objective, base and best it is given, what it finds. */
typedef struct map__cut {
  int obj;
  double base, best;
  bool below;   /* out: the best mapping has base + value <= best (out[obj] is exact) */
  double bound; /* out: otherwise a lower bound of every mapping's value, base + bound > best */
} map__cut;

/* What a search starts from and leaves behind for every objective (wanted or not): the best
 * mapping it knows (out[obj], a real mapping of this mapspace) and its enumeration rank. A
 * search seeded with them returns what an unseeded one does: it skips only mappings whose
 * bound is strictly worse than a mapping it holds, and ties go to the lower rank either way. */
typedef struct map__seed {
  unsigned found; /* mask of objectives with a mapping */
  uint64_t key[MAP_OBJECTIVES];
} map__seed;

/* The search of the objectives in `want` (pruned unless !prune), cut when `cut` and seeded
 * when `seed` are not NULL; out[obj] gets every objective's best. */
int map__search(const arch *arch_in, const map_problem *p, const map_options *opt,
                unsigned want, bool prune, map_workspace *w, map_result *out,
                map__cut *cut, map__seed *seed, heat_error *err);

#endif
