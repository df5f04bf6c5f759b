#include "mapper/mapspace.h"

#include "mapper/mapspace_assign.h"
#include "mapper/mapspace_internal.h"
#include "mapper/mapspace_units.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

map_workspace *map_workspace_alloc(void) { return calloc(1, sizeof(map_workspace)); }

void map_workspace_free(map_workspace *w) {
  if (!w) return;
  map_workspace_memo(w, false);
  free(w->pending);
  free(w->pending_keys);
  free(w);
}

static int map__insert_sorted(int64_t *v, int n, int cap, int64_t x) {
  int i = 0;
  while (i < n && v[i] < x) i++;
  if (i < n && v[i] == x) return n;
  if (n == cap) return n;
  memmove(v + i + 1, v + i, (size_t)(n - i) * sizeof *v);
  v[i] = x;
  return n + 1;
}

int map_tile_candidates(int64_t dim, int64_t unit, int64_t *out, int cap) {
  int n = 0;
  if (dim <= unit) return map__insert_sorted(out, n, cap, dim);
  for (int64_t t = unit; t < dim; t *= 2) n = map__insert_sorted(out, n, cap, t);
  /* Even splits waste less on the remainder tile than the power-of-two ladder. */
  for (int64_t parts = 2; parts <= dim / unit; parts *= 2) {
    int64_t t = (dim + parts - 1) / parts;
    t = (t + unit - 1) / unit * unit;
    if (t < dim) n = map__insert_sorted(out, n, cap, t);
  }
  return map__insert_sorted(out, n, cap, dim);
}

static const int map__orders[6][3] = {
    {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {MAP_DIM_N, MAP_DIM_M, MAP_DIM_K},
    {MAP_DIM_M, MAP_DIM_K, MAP_DIM_N}, {MAP_DIM_K, MAP_DIM_M, MAP_DIM_N},
    {MAP_DIM_N, MAP_DIM_K, MAP_DIM_M}, {MAP_DIM_K, MAP_DIM_N, MAP_DIM_M},
};

/* Orders whose iterating loops come in the same sequence price the same: keep the first. Which
 * orders those are depends only on which of M, K and N iterate (bit d of `iterating`). */
static int map__distinct_orders(unsigned iterating, int *keep) {
  int seqs[6][3], lens[6], n = 0;
  for (int o = 0; o < 6; o++) {
    int len = 0;
    for (int i = 0; i < 3; i++) {
      int d = map__orders[o][i];
      if (iterating & (1u << d)) seqs[o][len++] = d;
    }
    lens[o] = len;
    bool dup = false;
    for (int e = 0; e < n && !dup; e++) {
      int q = keep[e];
      dup = lens[q] == len;
      for (int i = 0; i < len && dup; i++) dup = seqs[q][i] == seqs[o][i];
    }
    if (!dup) keep[n++] = o;
  }
  return n;
}

static int map__no_fit_error(const arch *a, const map_problem *p, const map_options *opt,
                             const map__assign *as, heat_error *err) {
  /* Report the assignment whose worst buffer overflows least, for the first dataflow. */
  int64_t tile[MAP_DIMS] = {1, 1, 1, 1};
  map__config cfg[MAP_MAX_CONFIGS];
  if (map__array_configs(a, p, opt, cfg) > 0) {
    int64_t tmp[MAP_MAX_CANDIDATES];
    for (int d = 0; d < MAP_DIMS; d++) {
      map_tile_candidates(p->dim[d], cfg[0].extent[d], tmp, MAP_MAX_CANDIDATES);
      tile[d] = tmp[0];
    }
  }
  double fp[MAP_OPS];
  map__footprint(a, p, tile, fp);
  double best_ratio = 0;
  int best_buf = 0;
  double best_need = 0;
  for (int i = 0; i < as->n; i++) {
    double need[ARCH_MAX_BUFFERS] = {0}, worst = 0;
    int wb = 0;
    for (int op = 0; op < MAP_OPS; op++) need[as->buf[i][op]] += fp[op];
    for (size_t j = 0; j < a->n_buffers; j++) {
      double r = need[j] / map__usable(&a->buffers[j]);
      if (r > worst) {
        worst = r;
        wb = (int)j;
      }
    }
    if (i == 0 || worst < best_ratio) {
      best_ratio = worst;
      best_buf = wb;
      best_need = need[wb];
    }
  }
  const arch_buffer *b = &a->buffers[best_buf];
  return heat_error_set(
      err, HEAT_ENOFIT, b->name,
      "buffer '%s' of arch '%s' cannot hold the smallest tile of this step: it needs %.0f bytes "
      "(tile B x M x K x N = %lld x %lld x %lld x %lld: input %.0f, weight %.0f, output %.0f at "
      "%d-bit partial sums), the buffer has %.0f usable%s",
      b->name, a->name, best_need, (long long)tile[0], (long long)tile[1], (long long)tile[2],
      (long long)tile[3], fp[0], fp[1], fp[2], a->accum_bits, map__usable(b),
      b->double_buffered ? " (half of its size: double-buffered)" : "");
}

/* map_objective_value, inlined for the search's inner loops. */
static inline double map__value(int obj, const map_cost *c) {
  return obj == MAP_OBJECTIVE_LATENCY ? c->cycles
         : obj == MAP_OBJECTIVE_ENERGY ? c->energy_j
                                       : c->edp_js;
}

/* State of one search: the problem, the wanted objectives and the best mapping of each so far. */
typedef struct map__ctx {
  arch a;
  const map_problem *p;
  const map_options *opt;
  map_workspace *w;
  unsigned want;
  map__bound_base base;
  double rd_pj[ARCH_MAX_BUFFERS], wr_pj[ARCH_MAX_BUFFERS]; /* pJ per byte of each buffer */
  bool found[MAP_OBJECTIVES];
  double best_v[MAP_OBJECTIVES]; /* the objective's value of each best (found) */
  uint64_t key[MAP_OBJECTIVES]; /* enumeration rank of each best (ties go to the lowest) */
  map_result *out;
  bool prune; /* false: price every mapping (map_search_unpruned) */
  int64_t evaluated, rejected, pruned;
  /* A cut search (map_search_below): mappings with cut_base + value > cut_best for objective
   * cut_obj are skipped; cut_lb is the least bound of what was skipped so. */
  bool cut;
  int cut_obj;
  double cut_base, cut_best, cut_lb;
  bool fit_any; /* some tiling of an array configuration fits */
  const int64_t *tile; /* the tiling being priced */
  int keep[1 << MAP_DIMS][6], nkeep[1 << MAP_DIMS]; /* map__distinct_orders of each mask */
  /* Last, and not cleared per search (12-20 KiB): filled by map__assignments. */
  map__assign as;
} map__ctx;

/* True when a mapping bounded below by `lb` cannot beat (nor tie) the best found so far for
 * any wanted objective: the search may skip it without changing what it returns. */
static bool map__hopeless(map__ctx *x, const map__lb *lb) {
  if (x->cut) {
    double v = map__lb_value(x->cut_obj, lb);
    if (x->cut_base + v > x->cut_best) {
      if (v < x->cut_lb) x->cut_lb = v;
      return true;
    }
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    if (!(x->want & (1u << obj))) continue;
    if (!x->found[obj]) return false;
    if (map__lb_value(obj, lb) <= x->best_v[obj]) return false;
  }
  return true;
}

/* Rank of a mapping in the fixed enumeration order (configuration, B, M, K, N tiles, assignment,
 * order): the search may visit tilings in another order and still return, among equally good
 * mappings, the first one enumerated. */
static uint64_t map__rank(int ci, const int *ti, int f, int o) {
  uint64_t k = (uint64_t)ci;
  for (int d = 0; d < MAP_DIMS; d++) k = (k << 7) | (uint64_t)ti[d];
  return (((k << 9) | (uint64_t)f) << 3) | (uint64_t)o;
}

/* The bound constants of the step under the i-th assignment: its buffers' energies instead of
 * the cheapest allowed, and serial when each off-chip operand's buffer is single-buffered. */
static void map__assign_base(const map__ctx *x, int i, map__bound_base *b) {
  *b = x->base;
  b->serial = b->stalls;
  for (int op = 0; op < MAP_OPS; op++) {
    int j = x->as.buf[i][op];
    b->rd_pj[op] = x->rd_pj[j];
    b->wr_pj[op] = x->wr_pj[j];
    if (!x->p->on_chip[op] && !(x->as.single[i] & (1u << op))) b->serial = false;
  }
}

/* A lower bound of one order's and assignment's cycles with memory stalls: the tile pipeline as the
 * cost model runs it (tile.c, map__memory_eval, and tile_period.c, map__class_period: the first
 * tile's loads and the DRAM latency, then per further tile a period set by its outermost advancing
 * loop, then the last store and drain), with every input at or below the model's: transfers at
 * their raw bytes, each at most the model's (the first loads: the average move, no larger than the
 * first full tile; no burst rounding, no strided DMA), a unit's compute at its array share (no SRAM
 * port), no epilogue nor layout pass, and only the period terms that grow with their inputs (the
 * two-fold chain only for the innermost class, where it does, less the one period the model may
 * price without it). */
static double map__pipeline_lb(const map__ctx *x, unsigned single_mask, const map__loops *l,
                               const map__compute *c, const map__array *ar,
                               const map__dram *d) {
  enum { IN = 0, W = 1, ST = 2, LP = 3 };
  const map_problem *p = x->p;
  double bpc = x->base.bpc, lat = x->base.latency, fd = ar->fill_drain;
  int n = l->n;
  const int *nd = l->dim;
  const double *cnt = l->cnt;
  int inner[MAP_OPS];
  double events[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    inner[op] = -1;
    events[op] = 1;
    for (int i = 0; i < n; i++)
      if (map_op_dims[op] & (1u << nd[i])) inner[op] = i;
    for (int i = 0; i <= inner[op]; i++) events[op] *= cnt[i];
  }
  double share[2] = {d->in[IN] / events[IN] / bpc, d->in[W] / events[W] / bpc};
  bool out_moves = !p->on_chip[MAP_OP_OUTPUT];
  double st = out_moves ? d->out / events[MAP_OP_OUTPUT] / bpc : 0;
  double lp = out_moves ? d->in[MAP_OP_OUTPUT] / events[MAP_OP_OUTPUT] / bpc : 0;
  double units = (double)c->tiles;
  bool merged = ar == &c->streamed && c->merged && n > 0;
  if (merged) {
    double k = cnt[n - 1];
    for (int op = 0; op < MAP_OPS; op++)
      if (inner[op] == n - 1) {
        if (op == MAP_OP_OUTPUT) {
          st *= k;
          lp *= k;
        } else {
          share[op] *= k;
        }
        inner[op] = n - 2;
      }
    units /= k;
    n--;
  }
  double cc = ar->array_cycles / units;
  bool single[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) single[op] = (single_mask >> op) & 1u;
  static const int tile_order[4] = {IN, W, ST, LP}, group_order[4] = {ST, IN, W, LP};
  const int *ord = merged ? group_order : tile_order;
  double cycles = share[IN] + share[W] + x->base.first_latency + cc;
  for (int q = n - 1; q >= 0; q--) {
    bool moves[MAP_OPS];
    for (int op = 0; op < MAP_OPS; op++) moves[op] = !p->on_chip[op] && inner[op] >= q;
    double len_of[4] = {moves[0] ? share[IN] : 0, moves[1] ? share[W] : 0, moves[2] ? st : 0,
                        moves[2] ? lp : 0};
    bool waits_of[4] = {moves[0] && single[0], moves[1] && single[1], moves[2], false};
    bool fold_of[4] = {moves[0], moves[1], moves[2] && single[2], moves[2] && lp > 0};
    double dq = len_of[0] + len_of[1] + len_of[2] + len_of[3];
    double t = cc > dq ? cc : dq;
    int from = -1, to = -1;
    for (int k = 0; k < 4; k++) {
      if (from < 0 && waits_of[ord[k]]) from = k;
      if (fold_of[ord[k]]) to = k;
    }
    if (from >= 0 && to >= from) {
      double chain = 0;
      for (int k = from; k <= to; k++) chain += len_of[ord[k]];
      double one = cc + fd + chain + (ord[to] != ST ? lat : 0);
      if (one > t) t = one;
    }
    double t_one = t, times = cnt[q] - 1;
    for (int i = 0; i < q; i++) times *= cnt[i];
    if (q == n - 1) {
      bool loads = len_of[IN] > 0 || len_of[W] > 0 || fold_of[LP];
      double two = (dq + (loads ? lat : 0) + cc + fd) / 2;
      if (two > t) t = two;
      /* Where the two-fold chain sets it, the model may price one of these periods at the
       * one-fold terms (an odd first run of tiles). */
      cycles -= t - t_one;
    }
    cycles += times * t;
  }
  return cycles + st + fd + d->epi;
}

/* Which assignments hold the tiling: fills fits, returns how many. */
static int map__fitting(const map__ctx *x, const int64_t *tile, int *fits) {
  double fp[MAP_OPS];
  map__footprint(&x->a, x->p, tile, fp);
  return map__assign_fitting(&x->as, fp, fits);
}

/* The tiles of each dimension; returns which of M, K, N have more than one. */
static unsigned map__iterating(const map__ctx *x, const int64_t *tile, int64_t *tiles) {
  unsigned iterating = 0;
  for (int d = 0; d < MAP_DIMS; d++) {
    tiles[d] = (x->p->dim[d] + tile[d] - 1) / tile[d];
    if (tiles[d] > 1) iterating |= 1u << d;
  }
  return iterating & ~(1u << MAP_DIM_B);
}

/* A lower bound of the last unit's output epilogue (tile.c, epi_unit: the epilogue of the
 * outputs of one output tile, or of a merged unit's several), when memory stalls are priced:
 * the step's epilogue over the number of output tiles, which no unit has fewer outputs than. */
static double map__epi_lb(const map__ctx *x, const int64_t *tiles) {
  if (!x->base.stalls || x->p->epilogue_cycles <= 0) return 0;
  double out_tiles = (double)tiles[MAP_DIM_B] * (double)tiles[MAP_DIM_M] * (double)tiles[MAP_DIM_N];
  return x->p->epilogue_cycles * x->base.elems[MAP_OP_OUTPUT] / out_tiles;
}

/* How many distinct loop orders a tiling has. */
static int map__norders(const map__ctx *x, const int64_t *tile) {
  int64_t tiles[MAP_DIMS];
  return x->nkeep[map__iterating(x, tile, tiles)];
}

/* Prices every assignment and order of one tiling (unless its bound shows none can win; on
 * the SIMD unit the bound prices lane-cycles instead of MACs). */
static void map__price_tiling(map__ctx *x, const map__config *cfg, int ci, const int *ti,
                              const int64_t *tile, const int *fits, int nfit,
                              const map__compute *pre_c, const map__lb *pre_lb) {
  map_mapping m;
  memset(&m, 0, sizeof m);
  m.unit = cfg->unit;
  m.dataflow = cfg->dataflow;
  m.batch_pack = cfg->pack;
  memcpy(m.tile, tile, sizeof m.tile);
  x->tile = m.tile;
  map__compute c;
  if (pre_c) c = *pre_c;
  else map__config_compute(&x->a, x->opt, cfg, x->p->dim, m.tile, &c);
  map__bursts bursts;
  bool bursts_done = false; /* computed at the first priced mapping (pruned tilings skip it) */
  int64_t tiles[MAP_DIMS]; /* per dimension */
  unsigned iterating = map__iterating(x, m.tile, tiles);
  const int *keep = x->keep[iterating];
  int norders = x->nkeep[iterating];
  bool bounded = x->prune, simd = cfg->unit == MAP_UNIT_SIMD;
  map__lb lb;
  map_cost cost;
  if (bounded && pre_lb) lb = *pre_lb;
  double epi = map__epi_lb(x, tiles);
  if (bounded && !pre_lb) map__tiling_bound(&x->a, x->p, &x->base, simd, &c, epi, &lb);
  if (bounded && map__hopeless(x, &lb)) {
    x->pruned += (int64_t)nfit * norders;
    return;
  }
  for (int o = 0; o < norders; o++) {
    memcpy(m.order, map__orders[keep[o]], sizeof m.order);
    /* The order fixes the DRAM traffic and the schedule: a tighter bound for its buffers. */
    map__dram d;
    map__loops loops;
    bool streamed = false;
    if (bounded) {
      map__loops_of(tiles, m.order, &loops);
      map__dram_of_order(&x->a, x->p, &x->base, &loops, c.stream_dim, &d, &streamed);
      d.epi = epi;
      map__array_bound(&x->a, &x->base, simd, streamed ? &c.streamed : &c.tiled,
                       (double)c.tiles, &d, 0, &lb);
    }
    if (bounded && map__hopeless(x, &lb)) {
      x->pruned += nfit;
      continue;
    }
    /* The pipeline bound depends on the assignment only through which operands' buffers are
     * single-buffered: computed once per pattern and order. */
    double pipe_of[1 << MAP_OPS];
    unsigned pipe_have = 0;
    for (int f = 0; f < nfit; f++) {
      if (bounded) {
        /* The assignment fixes each operand's buffer: its energy per access, and whether the
         * tile pipeline waits for the fold before (single-buffered). */
        map__bound_base b;
        map__assign_base(x, fits[f], &b);
        const map__array *ar = streamed ? &c.streamed : &c.tiled;
        double pipe = 0;
        if (b.stalls) {
          unsigned sm = x->as.single[fits[f]];
          if (!(pipe_have & (1u << sm))) {
            pipe_of[sm] = map__pipeline_lb(x, sm, &loops, &c, ar, &d);
            pipe_have |= 1u << sm;
          }
          pipe = pipe_of[sm];
        }
        map__array_bound(&x->a, &b, simd, ar, (double)c.tiles, &d, pipe, &lb);
        if (map__hopeless(x, &lb)) {
          x->pruned++;
          continue;
        }
      }
      memcpy(m.buffer, x->as.buf[fits[f]], sizeof m.buffer);
      if (!bursts_done) {
        map__bursts_eval(&x->a, x->p, m.tile, &bursts);
        bursts_done = true;
      }
      map__memory_eval(&x->a, x->p, x->opt, &m, &c, &bursts, &cost);
      x->evaluated++;
      uint64_t key = map__rank(ci, ti, fits[f], keep[o]);
      /* Every objective's best is kept, the wanted ones' and the others' (the memo keeps those
       * as seeds: upper bounds that later searches of this problem start from). */
      for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
        map_cost *best = &x->out[obj].cost;
        if (!x->found[obj] || map_cost_better((map_objective)obj, &cost, best) ||
            (key < x->key[obj] && !map_cost_better((map_objective)obj, best, &cost))) {
          x->found[obj] = true;
          x->key[obj] = key;
          x->out[obj].mapping = m;
          x->out[obj].cost = cost;
          x->best_v[obj] = map__value(obj, &cost);
        }
      }
    }
  }
}

/* Every tiling of one compute configuration (the ci-th enumerated). */
static void map__search_config(map__ctx *x, const map__config *cfg, int ci) {
  map_workspace *w = x->w;
  for (int d = 0; d < MAP_DIMS; d++)
    w->ncand[d] = map_tile_candidates(x->p->dim[d], cfg->extent[d], w->cand[d], MAP_MAX_CANDIDATES);
  int fits[MAP_MAX_ASSIGN];
  int ti[MAP_DIMS];
  int64_t tile[MAP_DIMS];
  for (ti[0] = 0; ti[0] < w->ncand[0]; ti[0]++)
    for (ti[1] = 0; ti[1] < w->ncand[1]; ti[1]++)
      for (ti[2] = 0; ti[2] < w->ncand[2]; ti[2]++)
        for (ti[3] = 0; ti[3] < w->ncand[3]; ti[3]++) {
          for (int d = 0; d < MAP_DIMS; d++) tile[d] = w->cand[d][ti[d]];
          int nfit = map__fitting(x, tile, fits);
          if (nfit > 0 && cfg->unit == MAP_UNIT_ARRAY) x->fit_any = true;
          if (nfit == 0) {
            /* Footprints grow with every tile size: larger N tiles cannot fit either. */
            x->rejected += w->ncand[3] - ti[3];
            break;
          }
          map__price_tiling(x, cfg, ci, ti, tile, fits, nfit, NULL, NULL);
        }
}

/* A fitting tiling waiting to be priced (map__search_best_first). */
typedef struct map__pending {
  map__compute c;
  map__lb lb;
  int64_t tile[MAP_DIMS];
  int ti[MAP_DIMS];
  int ci, nfit, norders;
  uint16_t rank; /* map__pending_rank of lb.edp_js */
} map__pending;

/* Tilings are priced by their EDP bound in steps of 1/16 of a binade (4-6%), in enumeration
 * order within a step: where the bounds barely tell tilings apart (a 1x1 array, whose compute
 * is the same for every tiling) the enumeration's order prunes better than the bounds' small
 * differences do. A positive double's bits grow with its value: the rank is its exponent and
 * the mantissa's top 4 bits. */
static uint16_t map__pending_rank(double edp_bound) {
  uint64_t bits;
  memcpy(&bits, &edp_bound, sizeof bits);
  return edp_bound > 0 ? (uint16_t)(bits >> 48) : 0;
}

/* The indices 0..n-1 ordered by (rank, index): a stable radix sort of the 16-bit ranks, low
 * byte then high byte (`tmp` holds n indices between the passes). */
static void map__pending_sort(const map__pending *pe, uint32_t *out, uint32_t *tmp, int64_t n) {
  for (int pass = 0; pass < 2; pass++) {
    int64_t count[257] = {0};
    uint32_t *dst = pass ? out : tmp;
    for (int64_t i = 0; i < n; i++) {
      uint32_t at = pass ? tmp[i] : (uint32_t)i;
      count[((pe[at].rank >> (8 * pass)) & 0xff) + 1]++;
    }
    for (int b = 0; b < 256; b++) count[b + 1] += count[b];
    for (int64_t i = 0; i < n; i++) {
      uint32_t at = pass ? tmp[i] : (uint32_t)i;
      dst[count[(pe[at].rank >> (8 * pass)) & 0xff]++] = at;
    }
  }
}

/* The pending list of w with room for one more (false when out of memory). */
static bool map__pending_room(map_workspace *w, int64_t n) {
  if ((size_t)n < w->pending_cap) return true;
  size_t cap = w->pending_cap ? 2 * w->pending_cap : 1024;
  map__pending *np = realloc(w->pending, cap * sizeof *np);
  if (!np) return false;
  w->pending = np;
  w->pending_cap = cap;
  void *nk = realloc(w->pending_keys, 2 * cap * sizeof(uint32_t));
  if (!nk) return false;
  w->pending_keys = nk;
  return true;
}

/* Every tiling of the array configurations, priced in the order of their EDP bounds (lowest
 * first, map__pending_rank) rather than enumerated: good mappings come early, so the bounds
 * skip more of the rest. An exact answer does not depend on the order the search prices in
 * (ties go to the lowest enumeration rank; a mapping is skipped only when its bound is
 * strictly worse than a mapping held), but what a search leaves besides does: a cut search's
 * bound of what it skipped, and the best mappings met for objectives not searched (the memo's
 * seeds). So only a full search of every objective comes here. Returns false (nothing priced)
 * when out of memory. */
static bool map__search_best_first(map__ctx *x, const map__config *cfg, int ncfg) {
  map_workspace *w = x->w;
  int64_t n = 0;
  int fits[MAP_MAX_ASSIGN];
  int64_t rejected = 0;
  bool fit_any = false;
  for (int ci = 0; ci < ncfg; ci++) {
    for (int d = 0; d < MAP_DIMS; d++)
      w->ncand[d] = map_tile_candidates(x->p->dim[d], cfg[ci].extent[d], w->cand[d],
                                        MAP_MAX_CANDIDATES);
    bool simd = cfg[ci].unit == MAP_UNIT_SIMD;
    int ti[MAP_DIMS];
    for (ti[0] = 0; ti[0] < w->ncand[0]; ti[0]++)
      for (ti[1] = 0; ti[1] < w->ncand[1]; ti[1]++)
        for (ti[2] = 0; ti[2] < w->ncand[2]; ti[2]++)
          for (ti[3] = 0; ti[3] < w->ncand[3]; ti[3]++) {
            int64_t tile[MAP_DIMS];
            for (int d = 0; d < MAP_DIMS; d++) tile[d] = w->cand[d][ti[d]];
            int nfit = map__fitting(x, tile, fits);
            if (nfit > 0 && !simd) fit_any = true;
            if (nfit == 0) {
              rejected += w->ncand[3] - ti[3];
              break;
            }
            if (n >= UINT32_MAX || !map__pending_room(w, n)) return false;
            map__pending *pe = &w->pending[n];
            map__config_compute(&x->a, x->opt, &cfg[ci], x->p->dim, tile, &pe->c);
            int64_t tiles[MAP_DIMS];
            map__iterating(x, tile, tiles);
            map__tiling_bound(&x->a, x->p, &x->base, simd, &pe->c, map__epi_lb(x, tiles),
                              &pe->lb);
            memcpy(pe->tile, tile, sizeof pe->tile);
            memcpy(pe->ti, ti, sizeof pe->ti);
            pe->ci = ci;
            pe->nfit = nfit;
            pe->norders = map__norders(x, tile);
            pe->rank = map__pending_rank(pe->lb.edp_js);
            n++;
          }
  }
  x->rejected += rejected;
  if (fit_any) x->fit_any = true;
  uint32_t *order = w->pending_keys;
  map__pending_sort(w->pending, order, order + w->pending_cap, n);
  for (int64_t k = 0; k < n; k++) {
    const map__pending *pe = &w->pending[order[k]];
    if (map__hopeless(x, &pe->lb)) {
      /* What map__price_tiling does with a hopeless tiling, without listing its fits again. */
      x->pruned += (int64_t)pe->nfit * pe->norders;
      continue;
    }
    int nfit = map__fitting(x, pe->tile, fits);
    map__price_tiling(x, &cfg[pe->ci], pe->ci, pe->ti, pe->tile, fits, nfit, &pe->c, &pe->lb);
  }
  return true;
}

/* The search: every wanted objective's best over the whole mapspace, ties to the first mapping
 * in enumeration order. Skipping mappings strictly worse than a best so far does not change the
 * result: a mapping that is minimal is never skipped. */
int map__search(const arch *arch_in, const map_problem *p, const map_options *opt,
                unsigned want, bool prune, map_workspace *w, map_result *out,
                map__cut *cut, map__seed *seed, heat_error *err) {
  int rc = map_options_check(opt, arch_in, err);
  if (rc) return rc;
  rc = map_problem_check(p, err);
  if (rc) return rc;
  /* The context holds the assignment table (12 KiB): on the heap would cost a malloc per
   * search, so it lives on the stack like the arch copy. */
  map__ctx x;
  memset(&x, 0, offsetof(map__ctx, as));
  map_effective_arch(arch_in, opt, &x.a);
  x.p = p;
  x.opt = opt;
  x.w = w;
  x.want = want;
  x.prune = prune;
  x.out = out;
  if (cut) {
    x.cut = true;
    x.cut_obj = cut->obj;
    x.cut_base = cut->base;
    x.cut_best = cut->best;
    x.cut_lb = INFINITY;
    want = x.want = 1u << cut->obj;
  }
  rc = map__assignments(&x.a, p, &x.as, err);
  if (rc) return rc;
  map__bound_base_of(&x.a, p, opt, &x.base);
  for (unsigned mask = 0; mask < 1u << MAP_DIMS; mask++)
    x.nkeep[mask] = map__distinct_orders(mask, x.keep[mask]);
  for (size_t j = 0; j < x.a.n_buffers && j < ARCH_MAX_BUFFERS; j++) {
    const arch_buffer *buf = &x.a.buffers[j];
    x.rd_pj[j] = buf->read_pj / (double)buf->access_bytes;
    x.wr_pj[j] = buf->write_pj / (double)buf->access_bytes;
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    if (seed && (seed->found & (1u << obj))) {
      /* out[obj] holds the seed's mapping and cost: the counts start afresh. */
      x.found[obj] = true;
      x.key[obj] = seed->key[obj];
      x.best_v[obj] = map__value(obj, &out[obj].cost);
      out[obj].evaluated = out[obj].rejected = out[obj].pruned = 0;
    } else {
      memset(&out[obj], 0, sizeof out[obj]);
    }
  }

  map__config cfg[MAP_MAX_CONFIGS + 1];
  int ncfg = map__array_configs(&x.a, p, opt, cfg);
  /* Out of memory for the best-first list (nothing priced yet): enumerate instead. */
  bool done = !x.cut && prune && want == (1u << MAP_OBJECTIVES) - 1 &&
              map__search_best_first(&x, cfg, ncfg);
  for (int i = 0; i < ncfg && !done; i++) map__search_config(&x, &cfg[i], i);
  /* The SIMD unit when its bound does not already lose for some objective searched (for the
   * others its mappings cannot win, so searching it changes nothing for them). */
  bool simd = false;
  for (int obj = 0; obj < MAP_OBJECTIVES && !simd && !x.cut; obj++) {
    if (!(want & (1u << obj))) continue;
    map_options o = *opt;
    o.objective = (map_objective)obj;
    simd = map__simd_worth(&x.a, p, &o, x.found[obj] ? &out[obj].cost : NULL);
  }
  map_cost simd_lb;
  if (x.cut && x.fit_any && map__simd_bound(&x.a, p, opt, &simd_lb)) {
    /* What the full search does (the SIMD unit when the array can run the step and its bound
     * does not lose to the array's best), less what the cut skips. */
    double v = map_objective_value((map_objective)x.cut_obj, &simd_lb);
    bool worth = !x.found[x.cut_obj] ||
                 v <= map_objective_value((map_objective)x.cut_obj, &out[x.cut_obj].cost);
    if (worth && x.cut_base + v > x.cut_best) {
      if (v < x.cut_lb) x.cut_lb = v;
    } else {
      simd = worth;
    }
  }
  if (simd) {
    map__simd_config(&cfg[ncfg]);
    map__search_config(&x, &cfg[ncfg], ncfg);
  }
  w->searches++;
  w->evaluated += x.evaluated;
  if (seed) {
    seed->found = 0;
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
      if (x.found[obj]) seed->found |= 1u << obj;
      seed->key[obj] = x.key[obj];
    }
  }
  if (x.cut && x.fit_any) {
    /* Some tiling fits: the full search would find a mapping. Below the cut or not? */
    int o = x.cut_obj;
    double v = x.found[o] ? map_objective_value((map_objective)o, &out[o].cost) : INFINITY;
    cut->below = x.found[o] && x.cut_base + v <= x.cut_best;
    cut->bound = v < x.cut_lb ? v : x.cut_lb;
    if (!cut->below) return HEAT_OK;
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++) {
    if (!(want & (1u << obj))) continue;
    if (!x.found[obj]) return map__no_fit_error(&x.a, p, opt, &x.as, err);
    out[obj].evaluated = x.evaluated;
    out[obj].rejected = x.rejected;
    out[obj].pruned = x.pruned;
  }
  return HEAT_OK;
}

int map_search_unpruned(const arch *a, const map_problem *p, const map_options *opt,
                        map_workspace *w, map_result *out, heat_error *err) {
  map_result all[MAP_OBJECTIVES];
  int rc = map__search(a, p, opt, 1u << opt->objective, false, w, all, NULL, NULL, err);
  if (rc) return rc;
  *out = all[opt->objective];
  return HEAT_OK;
}
