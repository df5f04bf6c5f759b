/* The read buffers of SCALE-Sim's USER bandwidth mode (its memory/read_buffer.py, with
 * read_port.py's one cycle of latency), modelled by what they count rather than by their
 * matrices: the sets each address belongs to, the window of active sets, the DRAM lines each
 * prefetch moves and the cycle its last line arrives.
 *
 * The prefetch matrix (compute/systolic_compute_{os,ws,is}.py): per fold of the operand, the
 * addresses the fold needs as an H x W block (W = the array edge it enters, columns past the
 * fold's used width are null), the blocks stacked, and the stack read out along its
 * anti-diagonals ("rolled", for the skewed operands) or row by row (the stationary operand of
 * WS and IS). read_buffer.py groups its non-null addresses, in that order, into sets of
 * ceil(words / 100); an address may sit in several sets (im2col repeats input words). */
#include <stdlib.h>
#include <string.h>

#include "sim/scalesim_internal.h"

/* One operand's prefetch matrix: `folds` blocks of h rows x w columns. */
typedef struct ss_pmat {
  int op;
  int64_t folds, h, w;
  int64_t extent; /* Sr or Sc: the fold's used width is min(w, extent - fold * w) */
  bool rolled;
} ss_pmat;

static ss_pmat ss_pmat_of(const ss_layer_ctx *x, int op) {
  bool by_rows; /* folded over the array's rows (else its columns) */
  ss_pmat p = {.op = op, .rolled = true};
  switch (x->df) {
  case ARCH_DATAFLOW_OS: by_rows = op == SS_IFMAP, p.h = x->T; break;
  case ARCH_DATAFLOW_WS:
    by_rows = op == SS_IFMAP;
    p.h = op == SS_IFMAP ? x->T : x->sr;
    p.rolled = op == SS_IFMAP;
    break;
  default:
    by_rows = op == SS_FILTER;
    p.h = op == SS_FILTER ? x->T : x->sr;
    p.rolled = op == SS_FILTER;
    break;
  }
  p.folds = by_rows ? x->rf : x->cf;
  p.w = by_rows ? x->R : x->C;
  p.extent = by_rows ? x->sr : x->sc;
  return p;
}

/* Address at row r, column c of the stacked matrix (-1: null). */
static inline int64_t ss_pmat_addr(const ss_layer_ctx *x, const ss_pmat *p, int64_t r,
                                   int64_t c) {
  int64_t f = r / p->h, h = r % p->h, used = p->extent - f * p->w;
  if (c >= used) return -1;
  int64_t e = f * p->w + c; /* the element along the folded extent */
  switch (x->df) {
  case ARCH_DATAFLOW_OS:
    return p->op == SS_IFMAP ? ss_ifmap_addr(x, e, h) : ss_filter_addr(x, h, e);
  case ARCH_DATAFLOW_WS:
    return p->op == SS_IFMAP ? ss_ifmap_addr(x, h, e) : ss_filter_addr(x, h, e);
  default:
    return p->op == SS_IFMAP ? ss_ifmap_addr(x, e, h) : ss_filter_addr(x, e, h);
  }
}

/* One pass over the prefetch order: counts (fill == false) or records the set ids. */
static int64_t ss_pmat_walk(const ss_layer_ctx *x, const ss_pmat *p, ss_ubuf *b, int64_t per_set,
                            bool fill) {
  int64_t rows = p->folds * p->h, cols = p->w, k = 0;
#define SS_VISIT(r, c)                                                                            \
  do {                                                                                            \
    int64_t a_ = ss_pmat_addr(x, p, (r), (c));                                                    \
    if (a_ >= 0) {                                                                                \
      if (fill) b->ids[b->first[a_ - b->base]++] = (int32_t)(k / per_set);                        \
      else b->first[a_ - b->base + 1]++;                                                          \
      k++;                                                                                        \
    }                                                                                             \
  } while (0)
  if (p->rolled) {
    for (int64_t d = 0; d < rows + cols - 1; d++) {
      int64_t hi = d < rows - 1 ? d : rows - 1, lo = d - cols + 1 > 0 ? d - cols + 1 : 0;
      for (int64_t r = hi; r >= lo; r--) SS_VISIT(r, d - r);
    }
  } else {
    for (int64_t r = 0; r < rows; r++)
      for (int64_t c = 0; c < cols; c++) SS_VISIT(r, c);
  }
#undef SS_VISIT
  return k;
}

int ss_ubuf_init(ss_ubuf *b, const ss_layer_ctx *x, int op, int64_t words, int64_t bw,
                 int64_t *elements) {
  memset(b, 0, sizeof *b);
  ss_pmat p = ss_pmat_of(x, op);
  const scalesim_layer *L = x->L;
  b->base = x->off[op];
  b->range = op == SS_IFMAP ? L->ifmap_h * L->ifmap_w * L->channels : L->k * L->n;
  /* nulls included: SCALE-Sim's fetch matrix size; at most the demand stream's size, which
   * scalesim_run_layer has bounded by 2^35, so no overflow */
  int64_t cells = p.folds * p.h * p.w;
  *elements = cells > b->range ? cells : b->range;
  if (*elements > SS_USER_MAX_ELEMENTS) return 1;
  b->first = calloc((size_t)b->range + 1, sizeof *b->first);
  if (!b->first) return -1;
  int64_t per_set = ss_ceil_div(words, 100);
  int64_t n = ss_pmat_walk(x, &p, b, per_set, false);
  b->ids = malloc((size_t)(n ? n : 1) * sizeof *b->ids);
  if (!b->ids) return -1;
  for (int64_t a = 0; a < b->range; a++) b->first[a + 1] += b->first[a];
  ss_pmat_walk(x, &p, b, per_set, true); /* first[a] now ends a's ids: shift back */
  memmove(b->first + 1, b->first, (size_t)b->range * sizeof *b->first);
  b->first[0] = 0;
  /* read_buffer.py closes a set at every per_set-th address and keeps the (maybe empty) last */
  b->sets = n / per_set + 1;
  int64_t active = ss_ceil_div(words, 2), prefetch = words - active;
  int64_t max_active = ss_ceil_div(active, per_set), max_prefetch = ss_ceil_div(prefetch, per_set);
  b->n_active = b->sets < max_active ? b->sets : max_active;
  b->n_prefetch = b->sets - b->n_active < max_prefetch ? b->sets - b->n_active : max_prefetch;
  b->win_start = 0;
  b->win_end = b->n_active;
  /* The first fill, before the first demand line (cycle 0): the active half's lines (at most the
   * whole fetch matrix of ceil(cells / bw) lines), arriving at cycles -lines .. -1. */
  b->bw = bw;
  int64_t lines = ss_ceil_div(active, bw), fetch_rows = ss_ceil_div(cells, bw);
  if (lines > fetch_rows) lines = fetch_rows;
  b->accesses = lines * bw;
  b->trace_first = -lines;
  b->trace_last = b->last_prefetch = -1;
  b->prefetch_lines = ss_ceil_div(prefetch, bw);
  return 0;
}

void ss_ubuf_free(ss_ubuf *b) {
  free(b->first);
  free(b->ids);
  b->first = NULL;
  b->ids = NULL;
}

static bool ss_ubuf_hit(const ss_ubuf *b, uint32_t lo, uint32_t hi) {
  const int32_t *v = b->ids;
  if (b->win_start >= b->win_end) /* the window wraps (or holds every set) */
    return v[hi - 1] >= b->win_start || v[lo] < b->win_end;
  uint32_t l = lo, h = hi; /* the first id >= win_start */
  while (l < h) {
    uint32_t mid = l + (h - l) / 2;
    if (v[mid] < b->win_start) l = mid + 1;
    else h = mid;
  }
  return l < hi && v[l] < b->win_end;
}

int64_t ss_ubuf_read(ss_ubuf *b, int64_t out, int64_t addr) {
  uint32_t lo = b->first[addr - b->base], hi = b->first[addr - b->base + 1];
  if (lo == hi) { /* SCALE-Sim would prefetch for ever */
    b->lost = true;
    return out;
  }
  /* The window visits every set within sets / n_prefetch + 1 slides. */
  for (int64_t slides = 0; !ss_ubuf_hit(b, lo, hi); slides++) {
    if (slides > b->sets || b->n_prefetch == 0) {
      b->lost = true;
      return out;
    }
    b->win_start = (b->win_start + b->n_prefetch) % b->sets;
    b->win_end = (b->win_start + b->n_active) % b->sets;
    /* The prefetch's lines go out one per cycle after the previous prefetch's last arrived and
     * arrive one cycle later (read_port.py); SCALE-Sim counts whole lines. */
    if (__builtin_add_overflow(b->accesses, b->prefetch_lines * b->bw, &b->accesses))
      b->overflow = true;
    b->last_prefetch += b->prefetch_lines + 1;
    b->trace_last = b->last_prefetch;
    if (b->last_prefetch > out) out = b->last_prefetch;
  }
  return out;
}
