/* What scalesim_model.c (the demand-stream replay) and scalesim_userbuf.c (the read buffers of
 * SCALE-Sim's USER bandwidth mode) share: a layer's fold geometry and SCALE-Sim's operand
 * addresses. Not part of the API (sim/scalesim.h). */
#ifndef HEAT_SIM_SCALESIM_INTERNAL_H
#define HEAT_SIM_SCALESIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/scalesim.h"

enum { SS_IFMAP, SS_FILTER, SS_OFMAP };

/* One layer on the array: SCALE-Sim's Sr x Sc mapped over T cycles per fold, rf x cf folds of
 * `lines` demand lines each. */
typedef struct ss_layer_ctx {
  const scalesim_layer *L;
  int64_t R, C, T, sr, sc, rf, cf, lines;
  int64_t off[3];
  arch_dataflow df;
} ss_layer_ctx;

static inline int64_t ss_ceil_div(int64_t a, int64_t b) {
  return a / b + (a % b != 0 && (a < 0) == (b < 0));
}

/* SCALE-Sim's im2col address of output pixel p, window element w (-1 off the input). */
static inline int64_t ss_ifmap_addr(const ss_layer_ctx *x, int64_t p, int64_t w) {
  const scalesim_layer *L = x->L;
  int64_t orow = p / L->ofmap_w, ocol = p % L->ofmap_w;
  int64_t irow = orow * L->stride_h, icol = ocol * L->stride_w;
  int64_t crow = w / (L->filter_w * L->channels), k = w % (L->filter_w * L->channels);
  int64_t ccol = k / L->channels, cch = k % L->channels;
  if (crow + irow >= L->ifmap_h || ccol + icol >= L->ifmap_w) return -1;
  return ((crow * L->ifmap_w + ccol) * L->channels + cch) +
         (irow * L->ifmap_w + icol) * L->channels + x->off[SS_IFMAP];
}

static inline int64_t ss_filter_addr(const ss_layer_ctx *x, int64_t w, int64_t f) {
  return f * x->L->k + w + x->off[SS_FILTER];
}

/* ---- USER bandwidth mode: SCALE-Sim's read_buffer.py (scalesim_userbuf.c) ------------------ */

/* A read buffer of fixed DRAM bandwidth. SCALE-Sim cuts the operand's prefetch matrix (all its
 * addresses, in the order the folds need them) into sets of ceil(words / 100) addresses; about
 * half of the sets are "active" (a read hits when its address is in one of them), and a miss
 * slides the active window on by the prefetch half while the DRAM fetches the prefetch half's
 * words at `bw` words per cycle, one line after the last prefetch finished. A read that waits
 * for a prefetch stalls the array. */
typedef struct ss_ubuf {
  int64_t base, range;       /* addresses [base, base + range) */
  uint32_t *first;           /* range + 1: the set ids of address a are ids[first[a]..first[a+1]) */
  int32_t *ids;              /* ascending per address */
  int64_t sets;              /* SCALE-Sim's num_lines */
  int64_t n_active, n_prefetch; /* sets in the active and the prefetch half */
  int64_t win_start, win_end;   /* the active sets, [start, end) modulo sets */
  int64_t bw, prefetch_lines;   /* words per DRAM line, lines per prefetch */
  int64_t last_prefetch;        /* cycle the last prefetch's last line arrived */
  int64_t accesses, trace_first, trace_last; /* DRAM words (whole lines) and cycles */
  bool overflow, lost;          /* DRAM words past 2^63; an address in no set (a model bug) */
} ss_ubuf;

/* Most (prefetch elements, address range) a USER-mode read buffer models per layer: 4 bytes
 * each. */
#define SS_USER_MAX_ELEMENTS (INT64_C(1) << 27)

/* Builds the buffer of operand op (SS_IFMAP or SS_FILTER) of a layer: words of SRAM, bw words
 * per cycle. Returns 0, -1 out of memory, or 1 when the prefetch matrix or the address range is
 * past SS_USER_MAX_ELEMENTS (*elements says how large). */
int ss_ubuf_init(ss_ubuf *b, const ss_layer_ctx *x, int op, int64_t words, int64_t bw,
                 int64_t *elements);
void ss_ubuf_free(ss_ubuf *b);
/* A read of addr by a line whose reads are serviced at `out` so far: the cycle they are now
 * serviced at (later when the read waited for prefetches). */
int64_t ss_ubuf_read(ss_ubuf *b, int64_t out, int64_t addr);

#endif
