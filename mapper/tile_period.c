#include "mapper/tile_period.h"

#include <math.h>

/* How much longer than `c` a fold runs when it starts `gap` cycles after the previous fold
 * left the array, whose epilogue piece starts `drain` cycles after that. */
static double map__stretch(const map__epi_share *sh, double c, double drain, double gap) {
  if (!sh || sh->cycles <= 0 || sh->epi <= 0) return 0;
  double r = sh->epi < sh->cycles ? sh->epi / sh->cycles : 1;
  double t = c;
  for (int k = 0; k < 8; k++) {
    double ov = fmin(drain + sh->cycles, gap + t) - fmax(drain, gap);
    double need = sh->fold + r * (ov > 0 ? ov : 0);
    if (r < 1 && sh->fold / (1 - r) < need) need = sh->fold / (1 - r);
    if (need <= t + 1e-9) break;
    t = need;
  }
  return t - c;
}

/* The average period of folds that run back to back, each unit's epilogue piece starting
 * `drain` after its fold left the array (the SIMD unit runs them one at a time): a few folds
 * of the recurrence. Where a piece starts about when the next fold ends, the folds alternate
 * one alone and one beside two pieces, and that average is above the port's (fold + epi). */
static double map__back_to_back(const map__epi_share *sh, double c, double drain, double run) {
  if (!sh || sh->cycles <= 0 || sh->epi <= 0) return c;
  double r = sh->epi < sh->cycles ? sh->epi / sh->cycles : 1;
  enum { FOLDS = 8, FROM = 2 };
  double start = 0, piece[FOLDS], from = 0, end[FOLDS];
  for (int k = 0; k < FOLDS; k++) {
    double t = c;
    for (int it = 0; it < 8; it++) {
      double ov = 0;
      for (int j = k - 1; j >= 0 && j >= k - 3; j--)
        ov += map__maxd(0, fmin(piece[j] + sh->cycles, start + t) - map__maxd(piece[j], start));
      double need = sh->fold_alone + r * ov;
      if (r < 1 && sh->fold_alone / (1 - r) < need) need = sh->fold_alone / (1 - r);
      if (need <= t + 1e-9) break;
      t = need;
    }
    start += t;
    end[k] = start;
    piece[k] = map__maxd(start + drain, k > 0 ? piece[k - 1] + sh->cycles : 0);
    if (k == FROM - 1) from = start;
  }
  /* A step whose only run is shorter than the warm-up: its own folds, the first one apart. */
  if (run >= 1 && run < FOLDS - FROM) return (end[(int)run] - end[0]) / run;
  return (start - from) / (FOLDS - FROM);
}

/* The period of one tile whose outermost advancing loop is at position q, as the program runs
 * it (mapper/program.c; sim/model.cpp): one in-order DMA queue holding per tile the input and
 * weight loads, the previous output tile's store, then its partial-sum load; a load into a
 * slot waits for the fold that last read it (the fold before, single-buffered; two folds
 * before, double-buffered); a store waits for its fold; a fold waits for its loads, which land
 * the DRAM latency after the channel took them, and for the store that frees its output slot;
 * a fold's results (which stores and slot reuse wait for) leave the array `drain` cycles after
 * it freed the array for the next fold (overlap timing; 0 in scalesim timing).
 * A tile then takes the longest of: its compute, its DRAM transfers, the chain from the
 * previous fold's end through the queue to its own loads (a one-fold chain), and the chain
 * from the fold two before (double-buffered slots: two tiles share it; t_prev is the inner
 * tiles' period, or -1 for the innermost class itself; block[op]: the tiles between two
 * loads of an operand, or NULL). An operand in `unit_slots` (bit op) has
 * several tiles in one unit (a merged group's), which take both its slots in turn: the next
 * unit's transfers into them wait for this unit's fold, as into a single slot. */
double map__class_period(const arch *a, const map_problem *p, const map_mapping *m,
                         const int *innermost, int q, const double *share,
                         double st_share, double lp_share, double c, double latency,
                         double drain, double epi, double t_prev, double inner_iters,
                         bool stores_first, const map__epi_share *sh, double run,
                         unsigned unit_slots, const double *block, double *t_one) {
  bool moves[MAP_OPS], single[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    moves[op] = !p->on_chip[op] && innermost[op] >= q;
    single[op] = !a->buffers[m->buffer[op]].double_buffered || ((unit_slots >> op) & 1u);
  }
  /* The queue of one tile: input load, weight load, the previous output's store, psum load;
   * a merged group's stores follow its fold, before the next group's loads. */
  enum { IN = 0, W = 1, ST = 2, LP = 3 };
  static const int tile_order[4] = {IN, W, ST, LP}, group_order[4] = {ST, IN, W, LP};
  const int *ord = stores_first ? group_order : tile_order;
  double len_of[4] = {moves[0] ? share[0] : 0, moves[1] ? share[1] : 0,
                      moves[2] ? st_share : 0, moves[2] ? lp_share : 0};
  bool waits_of[4] = {moves[0] && single[0], moves[1] && single[1], moves[2], false};
  /* A store waits for its fold's results and then its epilogue on the SIMD unit. */
  double waited_of[4] = {drain, drain, drain + epi, drain};
  bool fold_of[4] = {moves[0], moves[1], moves[2] && single[2], moves[2] && lp_share > 0};
  double len[4], waited[4];
  bool waits_prev[4], fold_waits[4], is_load[4];
  for (int k = 0; k < 4; k++) {
    len[k] = len_of[ord[k]];
    waited[k] = waited_of[ord[k]];
    waits_prev[k] = waits_of[ord[k]];
    fold_waits[k] = fold_of[ord[k]];
    is_load[k] = ord[k] != ST;
  }
  double d = len[0] + len[1] + len[2] + len[3];
  bool loads = len_of[IN] > 0 || len_of[W] > 0 || fold_of[LP];
  /* A new output tile in this class: its predecessor's epilogue runs on the SIMD unit, one at a
   * time, beside the tiles in between. */
  if (innermost[MAP_OP_OUTPUT] < q) epi = 0;
  /* A fold overlapping the previous unit's epilogue piece runs longer where they share a port. */
  double t = d > c ? map__maxd(c + map__stretch(sh, c, drain, d - c), d)
                   : map__back_to_back(sh, c, drain, run);
  /* (The tiles in between have epilogues of their own unless the output changes only here.) */
  if (t_prev >= 0 && innermost[MAP_OP_OUTPUT] == q) t = map__maxd(t, epi - inner_iters * t_prev);
  else t = map__maxd(t, epi);
  /* One-fold chain: from a transfer that waits for the previous fold through the in-order
   * queue to the last one this fold waits for; the latest of them (a store waits for the
   * epilogue too, after a load that waits for the fold alone). */
  double gap = -1;
  /* Every transfer the fold waits for ends a chain: a load lands the DRAM latency after the
   * channel took it, so a load before a later store can end the longest one (eyeriss-like CP
   * s3: weight load 2 + latency 20, more than the store's 6 after its 14-cycle epilogue). */
  for (int to = 0; to < 4; to++) {
    if (!fold_waits[to]) continue;
    for (int from = 0; from <= to; from++) {
      if (!waits_prev[from]) continue;
      double chain = 0;
      for (int k = from; k <= to; k++) chain += len[k];
      gap = map__maxd(gap, waited[from] + chain + (is_load[to] ? latency : 0));
    }
  }
  if (gap >= 0) t = map__maxd(t, c + map__stretch(sh, c, drain, gap) + gap);
  *t_one = t;
  /* Two-fold chain (double-buffered slots): the first transfer of the queue waits for the fold
   * two before (its slot) or is queued behind the store that does. */
  double after = drain + (moves[2] ? epi : 0);
  /* In an outer class whose only transfers are loads of operands that move in no inner class
   * (the output in place), a load's slot was last read two of its own loads back: `block`
   * tiles (units) lie between its loads, and the in-order queue holds nothing else. Each such
   * load's chain then spans its loads' periods, not the one tile before (tpu-32 B1 M256 K64
   * N256, weight and output on chip, OS 32 x 64 x 32 in order M, N, K: 5152 cycles where the
   * cycle-level model runs 4284, now 4284; with other transfers queued between, their waits
   * hold the load back, and the tile two back stays the bound: validate's simba-l CP ffn1 s3
   * priced 2924 against 4352 without that condition). */
  bool far = t_prev >= 0 && block && !moves[2] && (moves[0] || moves[1]);
  for (int op = 0; op < 2 && far; op++)
    if (moves[op] && block[op] <= 1) far = false;
  if (!far) {
    double two = d + (loads ? latency : 0) + c + after;
    two += map__stretch(sh, c, drain, map__maxd(0, two / 2 - c));
    return map__maxd(t, t_prev < 0 ? two / 2 : two - t_prev);
  }
  double tail = d; /* the queue from entry k on */
  for (int k = 0; k < 4; k++) {
    int op = ord[k] == IN ? MAP_OP_INPUT : ord[k] == W ? MAP_OP_WEIGHT : -1;
    if (op >= 0 && moves[op]) {
      double two = tail + latency + c + after;
      two += map__stretch(sh, c, drain, map__maxd(0, two / 2 - c));
      t = map__maxd(t, two - block[op] * t_prev);
    }
    tail -= len[k];
  }
  return t;
}
