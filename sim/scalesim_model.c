/* One SCALE-Sim layer: the analytical fold model for cycles, utilisation and SRAM counts, and a
 * replay of SCALE-Sim's demand stream through its buffers for the trace cycles, the stalls and
 * the DRAM columns.
 *
 * The demand stream: per fold (column folds outer, row folds inner, as SCALE-Sim loops), per
 * cycle ("line") of the fold, the address each array edge port requests, or none. Its shape per
 * dataflow is SCALE-Sim's (operands skewed one cycle per port, stationary loads flipped, the
 * null cycles of fill and drain), so the replay sees the same requests in the same order. The
 * buffers are modelled as SCALE-Sim defines them, quirks included (see sim/README.md): the reads
 * as read_buffer_estimate_bw.py (CALC mode) or read_buffer.py (USER mode, scalesim_userbuf.c),
 * the OFMAP as write_buffer.py. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/fold.h"
#include "sim/scalesim_internal.h"

/* Demand elements replayed at most per layer: about 5 minutes here; SCALE-Sim itself manages
 * about 5e5 per second. */
#define SS_MAX_DEMAND_DEFAULT (INT64_C(1) << 35)

/* ---- address -> latest set id, for the read buffers' hit checks ---------------------------- */

typedef struct ss_map {
  int64_t base, range; /* direct table when the address range is small */
  int32_t *direct;     /* set id + 1, 0 = never seen */
  int64_t *keys;       /* open addressing otherwise */
  int32_t *vals;
  size_t cap, used;
} ss_map;

#define SS_DIRECT_MAX (INT64_C(1) << 25)

static int ss_map_init(ss_map *m, int64_t base, int64_t range) {
  memset(m, 0, sizeof *m);
  m->base = base;
  m->range = range;
  if (range <= SS_DIRECT_MAX) {
    m->direct = calloc((size_t)range, sizeof *m->direct);
    return m->direct ? 0 : -1;
  }
  m->cap = 1u << 16;
  m->keys = malloc(m->cap * sizeof *m->keys);
  m->vals = malloc(m->cap * sizeof *m->vals);
  if (!m->keys || !m->vals) return -1;
  memset(m->keys, 0xff, m->cap * sizeof *m->keys);
  return 0;
}

static void ss_map_free(ss_map *m) {
  free(m->direct);
  free(m->keys);
  free(m->vals);
}

static inline size_t ss_hash(int64_t k, size_t cap) {
  uint64_t x = (uint64_t)k * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(x >> 17) & (cap - 1);
}

/* Slot of key (inserting it with value -1 when absent); NULL when out of memory. */
static int32_t *ss_map_slot(ss_map *m, int64_t addr) {
  if (m->direct) return &m->direct[addr - m->base];
  if (2 * (m->used + 1) > m->cap) {
    size_t nc = m->cap * 2;
    int64_t *nk = malloc(nc * sizeof *nk);
    int32_t *nv = malloc(nc * sizeof *nv);
    if (!nk || !nv) {
      free(nk);
      free(nv);
      return NULL;
    }
    memset(nk, 0xff, nc * sizeof *nk);
    for (size_t i = 0; i < m->cap; i++) {
      if (m->keys[i] < 0) continue;
      size_t j = ss_hash(m->keys[i], nc);
      while (nk[j] >= 0) j = (j + 1) & (nc - 1);
      nk[j] = m->keys[i];
      nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = nc;
  }
  size_t j = ss_hash(addr, m->cap);
  while (m->keys[j] >= 0 && m->keys[j] != addr) j = (j + 1) & (m->cap - 1);
  if (m->keys[j] < 0) {
    m->keys[j] = addr;
    m->vals[j] = 0;
    m->used++;
  }
  return &m->vals[j];
}

/* ---- read buffer, "estimate bandwidth" mode ------------------------------------------------ */

typedef struct ss_rdbuf {
  ss_map map;
  int64_t items;                 /* addresses per set: floor(words / 100) */
  int64_t sets_half;             /* 50 sets active, 50 prefetching */
  int64_t cur, elems;            /* current set id and its size */
  int64_t read_start, read_end, pf_start, pf_end;
  int64_t last_start, last_end;  /* the last prefetch window, in cycles */
  int64_t first_cycle, default_bw;
  bool first_seen, active_done, trace_any;
  int64_t accesses, trace_first, trace_last;
  bool oom;
} ss_rdbuf;

static void ss_rd_init(ss_rdbuf *b, int64_t words) {
  b->items = words / 100;
  b->sets_half = 50;
  b->read_start = 0;
  b->read_end = b->sets_half - 1;
  b->last_start = -2;
  b->last_end = -1;
  b->default_bw = 10;
}

/* Prefetch sets [from, to]: their addresses count as DRAM reads; the trace rows span the last
 * prefetch window (one cycle of port latency). `partial`: set `to` is the unfinished one. */
static void ss_rd_prefetch(ss_rdbuf *b, int64_t from, int64_t to, bool partial) {
  int64_t sets = to - from + 1;
  if (sets > 0) b->accesses += partial ? (sets - 1) * b->items + b->elems : sets * b->items;
  int64_t cycles = b->last_end - b->last_start + 1;
  if (cycles <= 0) return;
  if (!b->trace_any) b->trace_first = b->last_start + 1;
  b->trace_any = true;
  b->trace_last = b->last_end + 1;
}

static void ss_rd_request(ss_rdbuf *b, int64_t cycle, int64_t addr) {
  int32_t *slot = ss_map_slot(&b->map, addr);
  if (!slot || b->cur >= INT32_MAX - 1) {
    b->oom = true;
    return;
  }
  int64_t id = (int64_t)*slot - 1;
  if (id >= b->read_start && id < b->cur) return; /* hit in the active sets */
  if (id == b->cur) return;                      /* already in the set being gathered */
  *slot = (int32_t)(b->cur + 1);
  if (++b->elems != b->items) return;
  b->cur++;
  b->elems = 0;
  if (b->cur != b->read_end + 1) return;
  if (!b->active_done) {
    b->last_end = b->first_cycle - 2;
    int64_t cycles = ss_ceil_div(b->sets_half * b->items, b->default_bw);
    b->last_start = b->last_end - cycles + 1;
    ss_rd_prefetch(b, 0, b->sets_half - 1, false);
    b->pf_start = b->read_end + 1;
    b->pf_end = b->pf_start + b->sets_half - 1;
    b->active_done = true;
  } else {
    ss_rd_prefetch(b, b->pf_start, b->pf_end, false);
    b->pf_start += b->sets_half;
    b->pf_end += b->sets_half;
  }
  b->read_start += b->sets_half;
  b->read_end += b->sets_half;
  b->last_start = b->last_end + 1;
  b->last_end = cycle;
}

static void ss_rd_finish(ss_rdbuf *b) {
  bool partial = b->elems > 0;
  if (!partial) b->cur--;
  if (!b->active_done) {
    b->last_end = -2;
    int64_t sets = b->cur + 1;
    b->last_start = b->last_end - ss_ceil_div(sets * b->items, b->default_bw) + 1;
    ss_rd_prefetch(b, 0, b->cur, partial);
  } else {
    ss_rd_prefetch(b, b->pf_start, b->cur, partial);
  }
}

/* ---- OFMAP write buffer -------------------------------------------------------------------- */

typedef struct ss_wrbuf {
  int64_t total, active, drain_size, bw;
  int64_t free_space, line_idx;
  int64_t cache_lines;            /* full lines waiting in the trace cache (at most 1024) */
  int32_t *cache;                 /* their valid-element counts */
  int32_t *trace;                 /* valid counts of the lines handed to the drain */
  int64_t trace_base, trace_len, trace_cap, drain_start;
  int64_t drain_end;
  int64_t accesses, first, last;
  bool drained, oom;
} ss_wrbuf;

#define SS_CACHE_LINES 1024

static void ss_wr_push_trace(ss_wrbuf *w, int32_t count) {
  if (w->trace_len - w->trace_base == w->trace_cap) {
    /* lines before drain_start are never read again: slide them out first */
    int64_t keep = w->trace_len - w->drain_start;
    if (w->drain_start > w->trace_base && keep < w->trace_cap / 2) {
      memmove(w->trace, w->trace + (w->drain_start - w->trace_base),
              (size_t)keep * sizeof *w->trace);
      w->trace_base = w->drain_start;
    } else {
      int64_t nc = w->trace_cap ? w->trace_cap * 2 : 4096;
      int32_t *nt = realloc(w->trace, (size_t)nc * sizeof *nt);
      if (!nt) {
        w->oom = true;
        return;
      }
      w->trace = nt;
      w->trace_cap = nc;
    }
  }
  w->trace[w->trace_len++ - w->trace_base] = count;
}

static void ss_wr_flush_cache(ss_wrbuf *w, bool force) {
  if (force && w->line_idx) {
    w->cache[w->cache_lines++] = (int32_t)w->line_idx;
    w->line_idx = 0;
  }
  for (int64_t i = 0; i < w->cache_lines; i++) ss_wr_push_trace(w, w->cache[i]);
  w->cache_lines = 0;
}

static int64_t ss_wr_drain(ss_wrbuf *w, int64_t start) {
  int64_t lines = ss_ceil_div(w->drain_size, w->bw);
  int64_t end = w->drain_start + lines;
  if (end > w->trace_len) end = w->trace_len;
  int64_t n = end - w->drain_start;
  if (n <= 0) return start - 1;
  /* SCALE-Sim subtracts the empty slots of the last line only */
  int64_t data = n * w->bw - (w->bw - w->trace[end - 1 - w->trace_base]);
  w->accesses += data;
  if (!w->drained) w->first = start;
  w->drained = true;
  w->last = start + n - 1;
  w->free_space += data;
  w->drain_start = end;
  return start + n - 1;
}

static void ss_wr_store(ss_wrbuf *w) {
  w->line_idx++;
  w->free_space--;
  if (w->line_idx < w->bw) return;
  w->cache[w->cache_lines++] = (int32_t)w->bw;
  w->line_idx = 0;
  if (w->cache_lines >= SS_CACHE_LINES) ss_wr_flush_cache(w, false);
}

/* `count` valid writes requested at `cycle`; returns the cycle they are done (later on a stall). */
static int64_t ss_wr_line(ss_wrbuf *w, int64_t cycle, int64_t count) {
  int64_t now = cycle;
  for (int64_t i = 0; i < count; i++) {
    ss_wr_store(w);
    if (now < w->drain_end) {
      if (w->free_space <= 0) now = w->drain_end;
    } else if (w->free_space < w->total - w->drain_size) {
      ss_wr_flush_cache(w, true);
      w->drain_end = ss_wr_drain(w, now);
    }
  }
  return now;
}

static void ss_wr_finish(ss_wrbuf *w, int64_t cycle) {
  ss_wr_flush_cache(w, true);
  while (w->drain_start < w->trace_len) {
    w->drain_end = ss_wr_drain(w, cycle);
    cycle = w->drain_end + 1;
  }
}

/* ---- the demand stream ---------------------------------------------------------------------- */

static inline int64_t ss_ofmap_addr(const ss_layer_ctx *x, int64_t p, int64_t f) {
  return x->L->n * p + f + x->off[SS_OFMAP];
}

/* Ports per operand: OS ifmap R, filter C, ofmap C; WS R, C, C; IS C, R, C. */
static int64_t ss_width(const ss_layer_ctx *x, int op) {
  if (op == SS_OFMAP) return x->C;
  if (x->df == ARCH_DATAFLOW_IS) return op == SS_IFMAP ? x->C : x->R;
  return op == SS_IFMAP ? x->R : x->C;
}

/* Address requested by port c of operand op at line l of fold (rs, ru rows; cs, cu cols). */
static inline int64_t ss_demand(const ss_layer_ctx *x, int op, int64_t l, int64_t c, int64_t rs,
                                int64_t ru, int64_t cs, int64_t cu) {
  int64_t R = x->R, T = x->T, j;
  switch (x->df) {
  case ARCH_DATAFLOW_OS:
    j = l - c;
    if (op == SS_IFMAP) return (j >= 0 && j < T && c < ru) ? ss_ifmap_addr(x, rs + c, j) : -1;
    if (op == SS_FILTER) return (j >= 0 && j < T && c < cu) ? ss_filter_addr(x, j, cs + c) : -1;
    j -= T - 1;
    if (j < 0 || j >= R || c >= cu || R - 1 - j >= ru) return -1;
    return ss_ofmap_addr(x, rs + R - 1 - j, cs + c);
  case ARCH_DATAFLOW_WS:
    if (op == SS_IFMAP) {
      j = l - c - R;
      return (j >= 0 && j < T && c < ru) ? ss_ifmap_addr(x, j, rs + c) : -1;
    }
    if (op == SS_FILTER)
      return (l < R && R - 1 - l < ru && c < cu) ? ss_filter_addr(x, rs + R - 1 - l, cs + c) : -1;
    j = l - c - (2 * R - 1);
    return (j >= 0 && j < T && c < cu) ? ss_ofmap_addr(x, j, cs + c) : -1;
  default:
    if (op == SS_IFMAP)
      return (l < R && R - 1 - l < ru && c < cu) ? ss_ifmap_addr(x, cs + c, rs + R - 1 - l) : -1;
    if (op == SS_FILTER) {
      j = l - c - R;
      return (j >= 0 && j < T && c < ru) ? ss_filter_addr(x, rs + c, j) : -1;
    }
    j = l - c - (2 * R - 1);
    return (j >= 0 && j < T && c < cu) ? ss_ofmap_addr(x, cs + c, j) : -1;
  }
}

/* The range of ports [lo, hi) that can request anything at line l (others are null). */
static inline void ss_ports(const ss_layer_ctx *x, int op, int64_t l, int64_t width, int64_t *lo,
                            int64_t *hi) {
  int64_t R = x->R, T = x->T, a = 0, b = width; /* j = l - c - shift must lie in [0, span) */
  int64_t shift = -1, span = 0;
  switch (x->df) {
  case ARCH_DATAFLOW_OS: shift = op == SS_OFMAP ? T - 1 : 0; span = op == SS_OFMAP ? R : T; break;
  case ARCH_DATAFLOW_WS:
    if (op != SS_FILTER) shift = op == SS_IFMAP ? R : 2 * R - 1, span = T;
    break;
  default:
    if (op != SS_IFMAP) shift = op == SS_FILTER ? R : 2 * R - 1, span = T;
    break;
  }
  if (shift >= 0) { /* c in (l - shift - span, l - shift] */
    int64_t top = l - shift, bot = l - shift - span + 1;
    if (bot > a) a = bot;
    if (top + 1 < b) b = top + 1;
  } else if (l >= R) {
    b = 0; /* the flipped stationary load takes the first R lines only */
  }
  *lo = a;
  *hi = b > a ? b : a;
}

typedef struct ss_span {
  int64_t first, last; /* trace cycles of the first and last line with a request */
  bool any;
} ss_span;

static void ss_span_add(ss_span *s, int64_t cycle) {
  if (!s->any) s->first = cycle;
  s->any = true;
  s->last = cycle;
}

/* The layer's read buffers: CALC mode's estimators or USER mode's fixed-bandwidth buffers. */
typedef struct ss_reads {
  bool user;
  ss_rdbuf est[2];
  ss_ubuf fixed[2];
} ss_reads;

static int ss_reads_init(ss_reads *rd, const ss_layer_ctx *x, const scalesim_config *cfg,
                         const int64_t words[3], heat_error *err) {
  const scalesim_layer *L = x->L;
  memset(rd, 0, sizeof *rd);
  rd->user = cfg->user_bandwidth;
  int64_t ranges[2] = {L->ifmap_h * L->ifmap_w * L->channels, L->k * L->n};
  for (int i = 0; i < 2; i++) {
    int64_t elements = 0;
    int rc = rd->user ? ss_ubuf_init(&rd->fixed[i], x, i, words[i], cfg->bandwidth, &elements)
                      : ss_map_init(&rd->est[i].map, x->off[i], ranges[i]);
    if (!rd->user) ss_rd_init(&rd->est[i], words[i]);
    if (rc < 0) return heat_error_set(err, HEAT_ENOMEM, L->name, "out of memory");
    if (rc > 0)
      return heat_error_set(err, HEAT_EINVAL, L->name,
                            "InterfaceBandwidth USER: the %s prefetch matrix or address range "
                            "holds %lld elements, more than the %lld heat models per layer",
                            i == SS_IFMAP ? "IFMAP" : "filter", (long long)elements,
                            (long long)SS_USER_MAX_ELEMENTS);
  }
  return HEAT_OK;
}

static void ss_reads_free(ss_reads *rd) {
  for (int i = 0; i < 2; i++) {
    ss_map_free(&rd->est[i].map);
    ss_ubuf_free(&rd->fixed[i]);
  }
}

static int ss_replay(ss_layer_ctx *x, const scalesim_config *cfg, int64_t total_demand,
                     FILE *progress, scalesim_result *r, heat_error *err) {
  ss_reads rd;
  ss_wrbuf wr;
  memset(&wr, 0, sizeof wr);
  int64_t words[3] = {cfg->ifmap_kib * 1024, cfg->filter_kib * 1024, cfg->ofmap_kib * 1024};
  const scalesim_layer *L = x->L;
  int rc = ss_reads_init(&rd, x, cfg, words, err);
  wr.total = words[SS_OFMAP];
  wr.active = (wr.total + 1) / 2; /* ceil(total x 0.5) */
  wr.drain_size = wr.total - wr.active;
  /* the OFMAP drains at the user's Bandwidth, or in CALC mode at ArrayWidth words per cycle */
  wr.bw = rd.user ? cfg->bandwidth : x->C;
  wr.free_space = wr.total;
  wr.cache = malloc(SS_CACHE_LINES * sizeof *wr.cache);
  if (!rc && !wr.cache) rc = heat_error_set(err, HEAT_ENOMEM, L->name, "out of memory");
  int64_t width[3] = {ss_width(x, SS_IFMAP), ss_width(x, SS_FILTER), ss_width(x, SS_OFMAP)};
  ss_span span[3] = {{0, 0, false}, {0, 0, false}, {0, 0, false}};
  int64_t stalls = 0, g = 0, last_out = 0, done = 0, next_report = total_demand / 10;
  bool failed = false;
  for (int64_t fc = 0; fc < x->cf && !rc && !failed; fc++) {
    int64_t cs = fc * x->C, cu = x->sc - cs < x->C ? x->sc - cs : x->C;
    for (int64_t fr = 0; fr < x->rf && !failed; fr++) {
      int64_t rs = fr * x->R, ru = x->sr - rs < x->R ? x->sr - rs : x->R;
      for (int64_t l = 0; l < x->lines; l++, g++) {
        int64_t cycle = g + stalls, line_stall = 0;
        for (int op = 0; op < 2; op++) {
          int64_t lo, hi, out = cycle + 1; /* SRAM hit latency: one cycle */
          bool any = false;
          ss_ports(x, op, l, width[op], &lo, &hi);
          for (int64_t c = lo; c < hi; c++) {
            int64_t a = ss_demand(x, op, l, c, rs, ru, cs, cu);
            if (a < 0) continue;
            any = true;
            if (rd.user) {
              out = ss_ubuf_read(&rd.fixed[op], out, a);
              continue;
            }
            ss_rdbuf *e = &rd.est[op];
            if (!e->first_seen) e->first_cycle = cycle, e->first_seen = true;
            ss_rd_request(e, cycle, a);
          }
          if (any) ss_span_add(&span[op], out);
          if (out - cycle - 1 > line_stall) line_stall = out - cycle - 1;
        }
        int64_t lo, hi, count = 0;
        ss_ports(x, SS_OFMAP, l, width[SS_OFMAP], &lo, &hi);
        for (int64_t c = lo; c < hi; c++)
          count += ss_demand(x, SS_OFMAP, l, c, rs, ru, cs, cu) >= 0;
        last_out = ss_wr_line(&wr, cycle, count);
        if (count) ss_span_add(&span[SS_OFMAP], last_out);
        /* The array waits for the slowest of the three buffers (double_buffered_scratchpad). */
        stalls += last_out - cycle > line_stall ? last_out - cycle : line_stall;
        failed = rd.est[0].oom || rd.est[1].oom || wr.oom || rd.fixed[0].lost ||
                 rd.fixed[1].lost || rd.fixed[0].overflow || rd.fixed[1].overflow;
      }
      done += x->lines * (width[0] + width[1] + width[2]);
      if (progress && total_demand > (INT64_C(1) << 28) && done >= next_report) {
        fprintf(progress, "heat: layer '%s': %3.0f%% of %lld demand elements replayed\n", L->name,
                100.0 * (double)done / (double)total_demand, (long long)total_demand);
        next_report += total_demand / 10;
      }
    }
  }
  if (!rc && !failed) {
    if (!rd.user) {
      ss_rd_finish(&rd.est[0]);
      ss_rd_finish(&rd.est[1]);
    }
    ss_wr_finish(&wr, last_out);
  }
  if (!rc && (rd.fixed[0].lost || rd.fixed[1].lost))
    rc = heat_error_set(err, HEAT_EINTERNAL, L->name,
                        "a read whose address is in no set of the prefetch matrix");
  else if (!rc && (rd.fixed[0].overflow || rd.fixed[1].overflow))
    rc = heat_error_set(err, HEAT_EINVAL, L->name,
                        "the DRAM reads of InterfaceBandwidth USER overflow 64 bits");
  else if (!rc && (rd.est[0].oom || rd.est[1].oom || wr.oom))
    rc = heat_error_set(err, HEAT_ENOMEM, L->name,
                        "out of memory (or past 2^31 buffer sets) replaying the demand stream");
  else if (!rc && g != x->rf * x->cf * x->lines)
    rc = heat_error_set(err, HEAT_EINTERNAL, L->name, "the demand stream has the wrong length");
  if (!rc) {
    r->stall_cycles = stalls;
    r->total_cycles = last_out;
    for (int op = 0; op < 3; op++) {
      r->sram_start[op] = span[op].first;
      r->sram_stop[op] = span[op].last;
    }
    for (int op = 0; op < 2; op++) {
      r->dram_start[op] = rd.user ? rd.fixed[op].trace_first : rd.est[op].trace_first;
      r->dram_stop[op] = rd.user ? rd.fixed[op].trace_last : rd.est[op].trace_last;
      r->dram_count[op] = rd.user ? rd.fixed[op].accesses : rd.est[op].accesses;
    }
    r->dram_start[SS_OFMAP] = wr.first;
    r->dram_stop[SS_OFMAP] = wr.last;
    r->dram_count[SS_OFMAP] = wr.accesses;
  }
  ss_reads_free(&rd);
  free(wr.cache);
  free(wr.trace);
  return rc;
}

int scalesim_run_layer(const scalesim_config *cfg, const scalesim_layer *L, int64_t max_demand,
                       FILE *progress, scalesim_result *r, heat_error *err) {
  memset(r, 0, sizeof *r);
  if (max_demand <= 0) max_demand = SS_MAX_DEMAND_DEFAULT;
  ss_layer_ctx x = {.L = L, .R = cfg->rows, .C = cfg->cols, .df = cfg->dataflow,
                    .off = {cfg->ifmap_offset, cfg->filter_offset, cfg->ofmap_offset}};
  arch_array arr = {.kind = ARCH_ARRAY_SYSTOLIC, .rows = (int)cfg->rows, .cols = (int)cfg->cols,
                    .dataflows = 1u << cfg->dataflow};
  /* Size first, in 128-bit arithmetic: a hostile layer must not overflow fold_eval nor run for
   * days. */
  __int128 M = L->m, N = L->n, K = L->k, R = cfg->rows, C = cfg->cols;
  __int128 sr = cfg->dataflow == ARCH_DATAFLOW_OS ? M : K;
  __int128 sc = cfg->dataflow == ARCH_DATAFLOW_WS ? N : cfg->dataflow == ARCH_DATAFLOW_OS ? N : M;
  __int128 t = cfg->dataflow == ARCH_DATAFLOW_OS ? K : cfg->dataflow == ARCH_DATAFLOW_WS ? M : N;
  __int128 folds = ((sr + R - 1) / R) * ((sc + C - 1) / C);
  __int128 per = cfg->dataflow == ARCH_DATAFLOW_OS ? t + R + C - 2 : 2 * R + C + t - 2;
  __int128 demand = folds * per * (R + 2 * C);
  if (demand > max_demand || M * N * K > INT64_MAX / 4)
    return heat_error_set(err, HEAT_EINVAL, L->name,
                          "GEMM %lld x %lld x %lld on a %lld x %lld array: SCALE-Sim's demand "
                          "stream would hold %.3g elements, more than the %.3g heat replays "
                          "per layer", (long long)L->m, (long long)L->n, (long long)L->k,
                          (long long)cfg->rows, (long long)cfg->cols, (double)demand,
                          (double)max_demand);
  fold_stats fs;
  fold_eval(&arr, cfg->dataflow, FOLD_TIMING_SCALESIM, 1, L->m, L->k, L->n, &fs);
  x.sr = fs.sr;
  x.sc = fs.sc;
  x.T = fs.t;
  x.rf = fs.row_folds;
  x.cf = fs.col_folds;
  x.lines = fs.fold_cycles;
  r->demand_elements = (int64_t)demand;
  int rc = ss_replay(&x, cfg, r->demand_elements, progress, r, err);
  if (rc) return rc;
  /* SCALE-Sim reports the index of the last cycle: heat's cycle count - 1, + the stalls (a read
   * stall of the last line, in USER mode, counts as a stall but does not delay its write). */
  int64_t base = fs.cycles - 1;
  if (cfg->user_bandwidth ? r->total_cycles < base || r->total_cycles > base + r->stall_cycles
                          : r->total_cycles != base + r->stall_cycles)
    return heat_error_set(err, HEAT_EINTERNAL, L->name,
                          "replayed %lld cycles, the fold model says %lld",
                          (long long)r->total_cycles, (long long)(fs.cycles - 1));
  r->sram_count[SS_IFMAP] = fs.input_reads;
  r->sram_count[SS_FILTER] = fs.weight_reads;
  r->sram_count[SS_OFMAP] = fs.output_writes;
  /* SCALE-Sim's averages: per fold, in its loop order, summed as Python floats. */
  int64_t RC = cfg->rows * cfg->cols;
  int64_t fold_span = cfg->dataflow == ARCH_DATAFLOW_OS ? fs.fold_cycles
                                                        : fs.fold_cycles + cfg->cols - 1;
  double map_sum = 0, util_sum = 0;
  for (int64_t fc = 0; fc < fs.col_folds; fc++) {
    int64_t cu = fs.sc - fc * cfg->cols < cfg->cols ? fs.sc - fc * cfg->cols : cfg->cols;
    for (int64_t fr = 0; fr < fs.row_folds; fr++) {
      int64_t ru = fs.sr - fr * cfg->rows < cfg->rows ? fs.sr - fr * cfg->rows : cfg->rows;
      map_sum += (double)(ru * cu) / (double)RC;
      util_sum += (double)(ru * cu * fs.t) / (double)(RC * fold_span);
    }
  }
  double nf = (double)(fs.row_folds * fs.col_folds);
  r->mapping_eff_pct = map_sum / nf * 100;
  r->compute_util_pct = util_sum / nf * 100;
  r->overall_util_pct = (double)(fs.macs * 100) / (double)(r->total_cycles * RC);
  for (int op = 0; op < 3; op++) {
    r->sram_bw[op] = (double)r->sram_count[op] / (double)r->total_cycles;
    r->dram_bw[op] = (double)r->dram_count[op] / (double)(r->dram_stop[op] - r->dram_start[op] + 1);
  }
  return HEAT_OK;
}
