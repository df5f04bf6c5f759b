#include "mapper/tile.h"

#include <string.h>

/* The classes of tiles of a tiling: each dimension has full tiles and at most one remainder
 * (which[d] = 1), so a class is a combination of those. map__classes lists the classes that
 * hold tiles in the order of cls = sum which[d] << d, ascending (the last one is the remainder
 * on every dimension that has one: the last tile of the nest). */
typedef struct map__class {
  int64_t n;              /* tiles in the class */
  int64_t size[MAP_DIMS]; /* their extents */
  int cls;
} map__class;

static int map__classes(const int64_t *dim, const int64_t *tile, map__class *out) {
  int64_t rem[MAP_DIMS], full[MAP_DIMS];
  int ways[MAP_DIMS];
  for (int d = 0; d < MAP_DIMS; d++) {
    full[d] = dim[d] / tile[d];
    rem[d] = dim[d] % tile[d];
    ways[d] = rem[d] ? 2 : 1; /* full[d] >= 1: tiles are at most the dimension */
  }
  int n = 0;
  for (int w3 = 0; w3 < ways[3]; w3++)
    for (int w2 = 0; w2 < ways[2]; w2++)
      for (int w1 = 0; w1 < ways[1]; w1++)
        for (int w0 = 0; w0 < ways[0]; w0++) {
          int which[MAP_DIMS] = {w0, w1, w2, w3};
          map__class *c = &out[n++];
          c->n = 1;
          c->cls = 0;
          for (int d = 0; d < MAP_DIMS; d++) {
            c->n *= which[d] ? 1 : full[d];
            c->size[d] = which[d] ? rem[d] : tile[d];
            c->cls |= which[d] << d;
          }
        }
  return n;
}

static void map__array_eval(const arch *a, arch_dataflow df, fold_timing timing, int64_t pack,
                            const int64_t *dim, const int64_t *tile, map__array *out,
                            int64_t *tiles) {
  map__class classes[1 << MAP_DIMS];
  int ncls = map__classes(dim, tile, classes);
  memset(out, 0, sizeof *out);
  *tiles = 0;
  fold_stats fs;
  for (int k = 0; k < ncls; k++) {
    int64_t n = classes[k].n;
    const int64_t *s = classes[k].size;
    fold_eval_packed(&a->array, df, timing, s[MAP_DIM_B], s[MAP_DIM_M], s[MAP_DIM_K],
                     s[MAP_DIM_N], pack, &fs);
    double per_tile = timing == FOLD_TIMING_OVERLAP
                          ? (double)(fs.batch_groups * fs.folds * fs.pace)
                          : (double)fs.cycles;
    double dn = (double)n;
    out->array_cycles += dn * per_tile;
    out->input_reads += dn * (double)fs.input_reads;
    out->weight_reads += dn * (double)fs.weight_reads;
    out->output_writes += dn * (double)fs.output_writes;
    out->output_reads += dn * (double)fs.output_reads;
    out->reg += dn * (double)fs.reg_accesses;
    *tiles += n;
    /* The last tile of the nest is the remainder on every dimension that has one. */
    if (timing == FOLD_TIMING_OVERLAP && k == ncls - 1)
      out->fill_drain = (double)(fs.fold_cycles - fs.pace);
  }
}

void map__compute_eval(const arch *a, arch_dataflow df, fold_timing timing, const int64_t *dim,
                       const int64_t *tile, map__compute *out) {
  map__compute_eval_packed(a, df, timing, 1, dim, tile, out);
}

void map__simd_compute_eval(const arch *a, const int64_t *dim, const int64_t *tile,
                            map__compute *out) {
  int64_t full_k = dim[MAP_DIM_K] / tile[MAP_DIM_K];
  map__class classes[1 << MAP_DIMS];
  int ncls = map__classes(dim, tile, classes);
  map__array *ar = &out->tiled;
  memset(ar, 0, sizeof *ar);
  out->tiles = 0;
  out->stream_dim = -1;
  out->merged = false;
  fold_simd_stats st, acc;
  for (int k = 0; k < ncls; k++) {
    int64_t n = classes[k].n;
    const int64_t *s = classes[k].size;
    int cls = classes[k].cls;
    fold_simd_eval(&a->simd, s[MAP_DIM_B], s[MAP_DIM_M], s[MAP_DIM_K], s[MAP_DIM_N], false, &st);
    fold_simd_eval(&a->simd, s[MAP_DIM_B], s[MAP_DIM_M], s[MAP_DIM_K], s[MAP_DIM_N], true, &acc);
    /* Tiles after the first along K add to the partial sums (accumulate). The first K tile is
     * a full one when there is one, else the remainder. */
    int kw = (cls >> MAP_DIM_K) & 1;
    int64_t later = kw == 0 ? full_k - 1 : (full_k > 0 ? 1 : 0);
    double n_acc = (double)(n / (kw ? 1 : full_k) * later), n_first = (double)n - n_acc;
    ar->array_cycles += n_first * (double)st.cycles + n_acc * (double)acc.cycles;
    ar->reg += n_first * (double)st.lane_cycles + n_acc * (double)acc.lane_cycles;
    double dn = (double)n;
    ar->input_reads += dn * (double)st.input_reads;
    ar->weight_reads += dn * (double)st.weight_reads;
    ar->output_writes += dn * (double)st.output_writes;
    out->tiles += n;
  }
  out->streamed = out->tiled;
}

void map__compute_eval_packed(const arch *a, arch_dataflow df, fold_timing timing, int64_t pack,
                              const int64_t *dim, const int64_t *tile, map__compute *out) {
  char s = fold_streamed_dim(&a->array, df);
  out->stream_dim = s == 'm' ? MAP_DIM_M : s == 'k' ? MAP_DIM_K : MAP_DIM_N;
  out->merged = false;
  map__array_eval(a, df, timing, pack, dim, tile, &out->tiled, &out->tiles);
  if (tile[out->stream_dim] >= dim[out->stream_dim]) {
    out->streamed = out->tiled; /* one tile along the stream: the schedules coincide */
    return;
  }
  /* Only a tile that holds one fold in the stationary dimensions keeps that fold in the array
   * across the streamed loop. A tile of several folds would have to bring every streamed tile
   * back once per fold (DRAM refetches this model does not charge), so it pays per tile. */
  fold_stats one;
  fold_eval_packed(&a->array, df, timing, tile[MAP_DIM_B], tile[MAP_DIM_M], tile[MAP_DIM_K],
                   tile[MAP_DIM_N], pack, &one);
  if (one.folds * (pack > 1 ? one.batch_groups : 1) > 1) {
    out->streamed = out->tiled;
    return;
  }
  /* Streamed-dimension loop innermost: a stationary fold streams across all of that loop's
   * tiles, so the group prices as one tile spanning the whole streamed extent. */
  int64_t whole[MAP_DIMS], ignored;
  memcpy(whole, tile, sizeof whole);
  whole[out->stream_dim] = dim[out->stream_dim];
  map__array_eval(a, df, timing, pack, dim, whole, &out->streamed, &ignored);
  out->merged = true;
}
