#include "mapper/program.h"

#include "mapper/layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void program_init(program *p) {
  memset(p, 0, sizeof *p);
  p->timing = FOLD_TIMING_SCALESIM;
  p->stalls = true;
}

void program_free(program *p) {
  free(p->steps);
  free(p->insn);
  program_init(p);
}

double program_elem_bytes(const arch *a, int operand, bool partial) {
  if (operand == MAP_OP_WEIGHT) return a->weight_bits / 8.0;
  if (operand == MAP_OP_OUTPUT && partial) return a->accum_bits / 8.0;
  return a->input_bits / 8.0;
}

static prog_step *prog__push_step(program *p, heat_error *err) {
  if (p->n_steps == p->cap_steps) {
    size_t cap = p->cap_steps ? 2 * p->cap_steps : 16;
    prog_step *s = realloc(p->steps, cap * sizeof *s);
    if (!s) {
      heat_error_set(err, HEAT_ENOMEM, "program", "out of memory for %zu steps", cap);
      return NULL;
    }
    p->steps = s;
    p->cap_steps = cap;
  }
  prog_step *s = &p->steps[p->n_steps++];
  memset(s, 0, sizeof *s);
  return s;
}

/* Appends a zeroed instruction of `step`; returns its index or -1 (err set). */
static int64_t prog__push(program *p, prog_opcode op, int step, heat_error *err) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 256;
    prog_insn *in = realloc(p->insn, cap * sizeof *in);
    if (!in) {
      heat_error_set(err, HEAT_ENOMEM, "program", "out of memory for %zu instructions", cap);
      return -1;
    }
    p->insn = in;
    p->cap = cap;
  }
  prog_insn *in = &p->insn[p->n];
  memset(in, 0, sizeof *in);
  in->op = op;
  in->step = step;
  in->buffer = -1;
  return (int64_t)p->n++;
}

static void prog__dep(program *p, int64_t insn, int64_t dep) {
  if (dep < 0) return;
  prog_insn *in = &p->insn[insn];
  for (int i = 0; i < in->n_deps; i++)
    if (in->dep[i] == dep) return;
  if (in->n_deps < PROG_MAX_DEPS) {
    in->dep[in->n_deps++] = (int32_t)dep;
    return;
  }
  /* Full: the DMA queue and the array complete in program order, so the latest dependence on
   * a unit implies the earlier ones; keep the largest indices. */
  int lo = 0;
  for (int i = 1; i < in->n_deps; i++)
    if (in->dep[i] < in->dep[lo]) lo = i;
  if (dep > in->dep[lo]) in->dep[lo] = (int32_t)dep;
}

/* ---- tensors of a step (values through chains) ---- */

int program_letter_slot(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -1;
}

static void prog__append(char *s, char c) {
  size_t n = strlen(s);
  s[n] = c;
  s[n + 1] = '\0';
}

int program_tensors_view(const prog_tensors *t, const int64_t *dims,
                         char letters[MAP_DIMS][PROG_MAX_INDICES + 1], int64_t ext[MAP_DIMS],
                         char *msg, size_t msg_size, const char **field) {
  static const char *const role[MAP_OPS] = {"input", "weight", "output"};
  *field = "idx";
  for (int d = 0; d < MAP_DIMS; d++) {
    letters[d][0] = '\0';
    ext[d] = 1;
  }
  for (int k = 0; k < MAP_OPS; k++) {
    unsigned long long seen = 0;
    for (const char *l = t->idx[k]; *l; l++) {
      int slot = program_letter_slot(*l);
      if (slot < 0) {
        snprintf(msg, msg_size, "'%c' in the %s's letters is not an index letter (a-z, A-Z)", *l,
                 role[k]);
        return HEAT_EINVAL;
      }
      if (seen & (1ull << slot)) {
        snprintf(msg, msg_size, "letter '%c' twice in the %s's letters '%s'", *l, role[k], t->idx[k]);
        return HEAT_EINVAL;
      }
      seen |= 1ull << slot;
      if (t->size[slot] < 1) {
        *field = "sizes";
        snprintf(msg, msg_size, "letter '%c' of the %s has no size", *l, role[k]);
        return HEAT_EINVAL;
      }
    }
  }
  const char *in = t->idx[MAP_OP_INPUT], *w = t->idx[MAP_OP_WEIGHT], *out = t->idx[MAP_OP_OUTPUT];
  for (const char *l = out; *l; l++)
    if (!strchr(in, *l) && !strchr(w, *l)) {
      snprintf(msg, msg_size, "output letter '%c' is in neither operand", *l);
      return HEAT_EINVAL;
    }
  for (const char *l = in; *l; l++) {
    bool o = strchr(out, *l) != NULL, b = strchr(w, *l) != NULL;
    prog__append(letters[!o ? MAP_DIM_K : b ? MAP_DIM_B : MAP_DIM_M], *l);
  }
  for (const char *l = w; *l; l++) {
    bool o = strchr(out, *l) != NULL;
    if (strchr(in, *l)) continue;
    prog__append(letters[o ? MAP_DIM_N : MAP_DIM_K], *l);
  }
  *field = "sizes";
  for (int d = 0; d < MAP_DIMS; d++) {
    for (const char *l = letters[d]; *l; l++) {
      int64_t n = t->size[program_letter_slot(*l)];
      if (ext[d] > INT64_MAX / n) {
        snprintf(msg, msg_size, "the %c extent overflows", "bmkn"[d]);
        return HEAT_EINVAL;
      }
      ext[d] *= n;
    }
    if (dims && ext[d] != dims[d]) {
      snprintf(msg, msg_size,
               "the letters give %c = %lld ('%s'), the step's dims %lld", "bmkn"[d],
               (long long)ext[d], letters[d], (long long)dims[d]);
      return HEAT_EINVAL;
    }
  }
  return HEAT_OK;
}

/* ---- GEMM step emission ---- */

typedef struct prog__out_tile {
  bool live;
  int64_t at[MAP_DIMS], len[MAP_DIMS];
  bool last_visit;
  int slot;
  int64_t writer; /* the fold that last wrote it (-1: not yet emitted) */
} prog__out_tile;

typedef struct prog__emit {
  program *p;
  const arch *a;
  const map_problem *prob;
  const map_mapping *m;
  int step;
  int n;                 /* iterating loops */
  int dim[MAP_DIMS];     /* their dimensions, outermost first */
  int64_t count[MAP_DIMS];
  int innermost[MAP_OPS];
  bool strided[2];
  int64_t loads[MAP_OPS];          /* tiles loaded so far, per operand (slot rotation) */
  int64_t last_reader[MAP_OPS][2]; /* fold that last read each slot */
  int64_t last_store[2];           /* store that last drained each output slot */
  int64_t cur_load[MAP_OPS];       /* the latest load of each operand */
  int64_t out_tiles;
  prog__out_tile cur;
  /* Output tiles of one merged group waiting for the group's fold: up to the streamed loop's
   * trip count (16384 for a WS step streaming M = 16384 in tiles of 1). Each becomes a store
   * once the fold is emitted, so the list never holds more than the program will. */
  prog__out_tile *pending;
  size_t n_pending, cap_pending;
  int64_t start; /* the step's first instruction (sync or permute) */
  const prog_epilogue *epi;
  double epi_total, epi_done; /* output elements of the step, and finished so far */
  int64_t permute;
  int64_t last_piece; /* the latest epilogue piece (a step on the SIMD unit runs them in order) */
} prog__emit;

static int prog__slots(const arch *a, int buffer) { return a->buffers[buffer].double_buffered ? 2 : 1; }

static void prog__tile_box(const prog__emit *e, const int64_t *idx, int64_t *at, int64_t *len) {
  for (int d = 0; d < MAP_DIMS; d++) {
    at[d] = 0;
    len[d] = e->prob->dim[d];
  }
  for (int i = 0; i < e->n; i++) {
    int d = e->dim[i];
    at[d] = idx[i] * e->m->tile[d];
    int64_t rest = e->prob->dim[d] - at[d];
    len[d] = rest < e->m->tile[d] ? rest : e->m->tile[d];
  }
}

static void prog__restrict(int op, int64_t *at, int64_t *len) {
  for (int d = 0; d < MAP_DIMS; d++)
    if (!(map_op_dims[op] & (1u << d))) {
      at[d] = 0;
      len[d] = 1;
    }
}

static int prog__store(prog__emit *e, const prog__out_tile *t, heat_error *err) {
  int64_t i = prog__push(e->p, PROG_STORE, e->step, err);
  if (i < 0) return err->code;
  prog_insn *in = &e->p->insn[i];
  in->operand = MAP_OP_OUTPUT;
  in->buffer = e->m->buffer[MAP_OP_OUTPUT];
  in->slot = t->slot;
  in->partial = !t->last_visit;
  memcpy(in->at, t->at, sizeof in->at);
  memcpy(in->len, t->len, sizeof in->len);
  prog__dep(e->p, i, t->writer);
  e->last_store[t->slot] = i;
  return HEAT_OK;
}

static int64_t prog__load(prog__emit *e, int op, const int64_t *at, const int64_t *len,
                          bool partial, int slot, heat_error *err) {
  int64_t i = prog__push(e->p, PROG_LOAD, e->step, err);
  if (i < 0) return -1;
  prog_insn *in = &e->p->insn[i];
  in->operand = op;
  in->buffer = e->m->buffer[op];
  in->slot = slot;
  in->partial = partial;
  in->strided = op < 2 && e->strided[op];
  memcpy(in->at, at, sizeof in->at);
  memcpy(in->len, len, sizeof in->len);
  prog__restrict(op, in->at, in->len);
  prog__dep(e->p, i, e->start);
  if (op == MAP_OP_OUTPUT) prog__dep(e->p, i, e->last_store[slot]);
  else prog__dep(e->p, i, e->last_reader[op][slot]);
  return i;
}

/* Visit facts of the output tile at idx: which of its `refetch` visits this is. */
static void prog__visit(const prog__emit *e, const int64_t *idx, bool *first, bool *last) {
  *first = *last = true;
  for (int i = 0; i <= e->innermost[MAP_OP_OUTPUT]; i++) {
    if (map_op_dims[MAP_OP_OUTPUT] & (1u << e->dim[i])) continue;
    if (idx[i] != 0) *first = false;
    if (idx[i] != e->count[i] - 1) *last = false;
  }
}

/* Loads (and output tile changes) before iteration idx; `changed` is the outermost loop
 * position that advanced (0 on the first iteration). */
static int prog__iteration(prog__emit *e, const int64_t *idx, int changed, bool first_iter,
                           int64_t *psum_dep, heat_error *err) {
  int64_t at[MAP_DIMS], len[MAP_DIMS];
  prog__tile_box(e, idx, at, len);
  const map_problem *pr = e->prob;
  /* Input and weight tiles first, so the DMA prefetches them under the running fold; then the
   * previous output tile's store (waits for its fold) and this tile's partial sums. */
  for (int op = 0; op < 2; op++) {
    if (pr->on_chip[op]) continue;
    if (!first_iter && changed > e->innermost[op]) continue;
    int slot = (int)(e->loads[op]++ % prog__slots(e->a, e->m->buffer[op]));
    int64_t l = prog__load(e, op, at, len, false, slot, err);
    if (l < 0) return err->code;
    e->cur_load[op] = l;
  }
  /* The output tile. */
  if (first_iter || changed <= e->innermost[MAP_OP_OUTPUT]) {
    if (e->cur.live && !pr->on_chip[MAP_OP_OUTPUT]) {
      if (e->cur.writer >= 0) {
        if (prog__store(e, &e->cur, err)) return err->code;
      } else {
        if (e->n_pending == e->cap_pending) {
          size_t cap = e->cap_pending ? 2 * e->cap_pending : 64;
          prog__out_tile *t = realloc(e->pending, cap * sizeof *t);
          if (!t)
            return heat_error_set(err, HEAT_ENOMEM, "program",
                                  "out of memory for %zu pending output tiles", cap);
          e->pending = t;
          e->cap_pending = cap;
        }
        e->pending[e->n_pending++] = e->cur;
      }
    }
    bool first, last;
    prog__visit(e, idx, &first, &last);
    memset(&e->cur, 0, sizeof e->cur);
    e->cur.live = true;
    memcpy(e->cur.at, at, sizeof at);
    memcpy(e->cur.len, len, sizeof len);
    prog__restrict(MAP_OP_OUTPUT, e->cur.at, e->cur.len);
    e->cur.last_visit = last;
    e->cur.writer = -1;
    e->cur.slot = pr->on_chip[MAP_OP_OUTPUT]
                      ? 0
                      : (int)(e->out_tiles++ % prog__slots(e->a, e->m->buffer[MAP_OP_OUTPUT]));
    if (!pr->on_chip[MAP_OP_OUTPUT] && !first) {
      int64_t l = prog__load(e, MAP_OP_OUTPUT, at, len, true, e->cur.slot, err);
      if (l < 0) return err->code;
      /* The fold waits for the latest partial-sum load: the DMA engine completes loads in
       * program order, so it implies the group's earlier ones. */
      *psum_dep = l;
    }
  }
  return HEAT_OK;
}

/* The share of the epilogue for the output elements a finishing fold produced; returns its
 * index. Shares are differences of rounded running totals, so the pieces add up exactly. */
static int64_t prog__epilogue_piece(prog__emit *e, const int64_t *len, int64_t fold,
                                    heat_error *err) {
  double elems = (double)len[MAP_DIM_B] * (double)len[MAP_DIM_M] * (double)len[MAP_DIM_N];
  double f0 = e->epi_done / e->epi_total, f1 = (e->epi_done + elems) / e->epi_total;
  e->epi_done += elems;
  int64_t i = prog__push(e->p, PROG_SIMD, e->step, err);
  if (i < 0) return -1;
  prog_insn *in = &e->p->insn[i];
  const prog_epilogue *x = e->epi;
  in->kind = x->kind;
  in->buffer = x->buffer;
  in->elems = llround(f1 * e->epi_total) - llround(f0 * e->epi_total);
  in->lane_ops = llround(f1 * x->lane_ops) - llround(f0 * x->lane_ops);
  in->cycles = llround(ceil(f1 * x->cycles - 1e-9)) - llround(ceil(f0 * x->cycles - 1e-9));
  in->rd_bytes = (f1 - f0) * x->rd_bytes;
  in->wr_bytes = (f1 - f0) * x->wr_bytes;
  in->dram_rd = (f1 - f0) * x->dram_rd;
  in->dram_wr = (f1 - f0) * x->dram_wr;
  prog__dep(e->p, i, fold);
  return i;
}

static int prog__fold(prog__emit *e, const int64_t *at, const int64_t *len, int64_t psum_dep,
                      bool in_array_acc, heat_error *err) {
  int64_t i = prog__push(e->p, PROG_FOLD, e->step, err);
  if (i < 0) return err->code;
  prog_insn *in = &e->p->insn[i];
  memcpy(in->at, at, sizeof in->at);
  memcpy(in->len, len, sizeof in->len);
  for (int op = 0; op < 2; op++)
    in->slots[op] = e->prob->on_chip[op]
                        ? 0
                        : (int32_t)((e->loads[op] - 1) % prog__slots(e->a, e->m->buffer[op]));
  in->slots[MAP_OP_OUTPUT] = e->cur.slot;
  in->acc = at[MAP_DIM_K] == 0 ? 0 : in_array_acc ? 2 : 1;
  prog__dep(e->p, i, e->start);
  prog__dep(e->p, i, e->permute);
  for (int op = 0; op < 2; op++) prog__dep(e->p, i, e->cur_load[op]);
  prog__dep(e->p, i, psum_dep);
  /* A step mapped on the SIMD unit: its units and their epilogue pieces share that unit and
   * run in program order (a unit after the previous unit's piece). */
  if (e->m->unit == MAP_UNIT_SIMD) prog__dep(e->p, i, e->last_piece);
  if (!e->prob->on_chip[MAP_OP_OUTPUT]) prog__dep(e->p, i, e->last_store[e->cur.slot]);
  for (int op = 0; op < 2; op++)
    if (!e->prob->on_chip[op]) e->last_reader[op][in->slots[op]] = i;
  if (e->epi && at[MAP_DIM_K] + len[MAP_DIM_K] == e->prob->dim[MAP_DIM_K]) {
    int64_t x = prog__epilogue_piece(e, len, i, err);
    if (x < 0) return err->code;
    i = e->last_piece = x; /* the stores wait for the epilogue */
  }
  /* Every output tile this fold covers now has its writer: drain the pending ones. */
  e->cur.writer = i;
  for (size_t k = 0; k < e->n_pending; k++) {
    e->pending[k].writer = i;
    if (prog__store(e, &e->pending[k], err)) return err->code;
  }
  e->n_pending = 0;
  return HEAT_OK;
}

static int prog__permutes(prog__emit *e, const map_cost *cost, heat_error *err) {
  e->permute = -1;
  for (int op = 0; op < 2; op++) {
    e->strided[op] = cost->layout[op] == MAP_LAYOUT_STRIDED;
    if (cost->layout[op] != MAP_LAYOUT_SIMD) continue;
    int64_t i = prog__push(e->p, PROG_SIMD, e->step, err);
    if (i < 0) return err->code;
    prog_insn *in = &e->p->insn[i];
    double elems = 1;
    for (int d = 0; d < MAP_DIMS; d++)
      if (map_op_dims[op] & (1u << d)) elems *= (double)e->prob->dim[d];
    double lanes = e->a->simd.lanes > 0 ? e->a->simd.lanes : 1;
    in->kind = PROG_SIMD_PERMUTE;
    in->elems = (int64_t)elems;
    in->lane_ops = (int64_t)elems;
    in->cycles = (int64_t)ceil(elems / lanes);
    in->buffer = e->m->buffer[op];
    in->rd_bytes = in->wr_bytes = elems * program_elem_bytes(e->a, op, false);
    prog__dep(e->p, i, e->start);
    prog__dep(e->p, i, e->permute);
    e->permute = i;
  }
  return HEAT_OK;
}

static int prog__begin_step(program *p, const char *name, int64_t times, bool simd,
                            int64_t *sync, heat_error *err) {
  prog_step *s = prog__push_step(p, err);
  if (!s) return err->code;
  snprintf(s->name, sizeof s->name, "%s", name);
  s->times = times;
  s->simd = simd;
  *sync = -1;
  if (p->n > 0) {
    int64_t i = prog__push(p, PROG_SYNC, (int)(p->n_steps - 1), err);
    if (i < 0) return err->code;
    prog__dep(p, i, i - 1);
    *sync = i;
  }
  return HEAT_OK;
}

int program_emit_gemm(program *p, const arch *a, const map_options *opt, const char *name,
                      int64_t times, const map_problem *prob, const map_mapping *m,
                      const map_cost *cost, heat_error *err) {
  return program_emit_gemm_epilogue(p, a, opt, name, times, prob, m, cost, NULL, err);
}

int program_emit_gemm_epilogue(program *p, const arch *a, const map_options *opt,
                               const char *name, int64_t times, const map_problem *prob,
                               const map_mapping *m, const map_cost *cost,
                               const prog_epilogue *epi, heat_error *err) {
  p->timing = opt->timing;
  p->stalls = opt->memory_stalls;
  snprintf(p->arch_name, sizeof p->arch_name, "%s", a->name);
  prog__emit e;
  memset(&e, 0, sizeof e);
  e.p = p;
  e.a = a;
  e.epi = epi;
  e.last_piece = -1;
  e.epi_total = (double)prob->dim[MAP_DIM_B] * (double)prob->dim[MAP_DIM_M] * (double)prob->dim[MAP_DIM_N];
  int rc = prog__begin_step(p, name, times, false, &e.start, err);
  if (rc) return rc;
  e.step = (int)(p->n_steps - 1);
  prog_step *st = &p->steps[e.step];
  st->problem = *prob;
  st->mapping = *m;
  e.prob = &st->problem;
  e.m = &st->mapping;
  int seq[MAP_DIMS] = {MAP_DIM_B, m->order[0], m->order[1], m->order[2]};
  for (int i = 0; i < MAP_DIMS; i++) {
    int64_t c = (prob->dim[seq[i]] + m->tile[seq[i]] - 1) / m->tile[seq[i]];
    if (c > 1) {
      e.dim[e.n] = seq[i];
      e.count[e.n++] = c;
    }
  }
  for (int op = 0; op < MAP_OPS; op++) {
    e.innermost[op] = -1;
    for (int i = 0; i < e.n; i++)
      if (map_op_dims[op] & (1u << e.dim[i])) e.innermost[op] = i;
    e.cur_load[op] = -1;
    e.last_reader[op][0] = e.last_reader[op][1] = -1;
  }
  e.last_store[0] = e.last_store[1] = -1;
  rc = prog__permutes(&e, cost, err);
  if (rc) return rc;
  /* The schedule map__memory_eval priced (tile.c): the streamed dimension's loop innermost
   * merges its tiles into one fold when a tile holds one fold in the stationary dimensions;
   * with K streamed innermost the partial sums stay in the array. */
  char sd = fold_streamed_dim(&a->array, m->dataflow);
  int stream_dim = sd == 'm' ? MAP_DIM_M : sd == 'k' ? MAP_DIM_K : MAP_DIM_N;
  /* The SIMD unit keeps no fold across tiles. */
  bool last_is_stream =
      m->unit != MAP_UNIT_SIMD && e.n > 0 && e.dim[e.n - 1] == stream_dim;
  int64_t pack = m->batch_pack > 1 ? m->batch_pack : 1;
  fold_stats one;
  fold_eval_packed(&a->array, m->dataflow, opt->timing, m->tile[MAP_DIM_B], m->tile[MAP_DIM_M],
                   m->tile[MAP_DIM_K], m->tile[MAP_DIM_N], pack, &one);
  bool merged = last_is_stream && one.folds * (pack > 1 ? one.batch_groups : 1) == 1;
  bool in_array_acc = last_is_stream && stream_dim == MAP_DIM_K;
  int64_t idx[MAP_DIMS] = {0}, prev[MAP_DIMS] = {0};
  bool first = true;
  int64_t psum_dep = -1;
  int64_t gat[MAP_DIMS], glen[MAP_DIMS];
  for (;;) {
    int changed = 0;
    if (!first)
      while (changed < e.n && idx[changed] == prev[changed]) changed++;
    rc = prog__iteration(&e, idx, changed, first, &psum_dep, err);
    if (rc) goto done;
    bool group_end = !merged || idx[e.n - 1] == e.count[e.n - 1] - 1;
    if (group_end) {
      prog__tile_box(&e, idx, gat, glen);
      if (merged) {
        gat[stream_dim] = 0;
        glen[stream_dim] = prob->dim[stream_dim];
      }
      rc = prog__fold(&e, gat, glen, psum_dep, in_array_acc, err);
      if (rc) goto done;
      psum_dep = -1;
    }
    first = false;
    memcpy(prev, idx, sizeof idx);
    int i = e.n - 1;
    while (i >= 0 && ++idx[i] == e.count[i]) idx[i--] = 0;
    if (i < 0) break;
  }
  if (!prob->on_chip[MAP_OP_OUTPUT] && e.cur.live) rc = prog__store(&e, &e.cur, err);
done:
  free(e.pending);
  return rc;
}

int program_emit_simd(program *p, const arch *a, const char *name, int64_t times,
                      prog_simd_kind kind, const map_cost *cost, heat_error *err) {
  snprintf(p->arch_name, sizeof p->arch_name, "%s", a->name);
  int64_t sync;
  int rc = prog__begin_step(p, name, times, true, &sync, err);
  if (rc) return rc;
  int64_t i = prog__push(p, PROG_SIMD, (int)(p->n_steps - 1), err);
  if (i < 0) return err->code;
  prog_insn *in = &p->insn[i];
  in->kind = kind;
  int b = 0;
  for (size_t j = 0; j < a->n_buffers; j++)
    if (cost->sram_reads[j] > 0 || cost->sram_writes[j] > 0) {
      b = (int)j;
      break;
    }
  in->buffer = b;
  in->rd_bytes = cost->sram_reads[b] * (double)a->buffers[b].access_bytes;
  in->wr_bytes = cost->sram_writes[b] * (double)a->buffers[b].access_bytes;
  in->elems = (int64_t)llround(in->wr_bytes / program_elem_bytes(a, MAP_OP_INPUT, false));
  in->lane_ops = a->simd.op_pj > 0 ? (int64_t)llround(cost->simd_pj / a->simd.op_pj) : 0;
  in->cycles = (int64_t)cost->simd_cycles;
  in->dram_rd = cost->dram_read_bytes;
  in->dram_wr = cost->dram_write_bytes;
  prog__dep(p, i, sync);
  return HEAT_OK;
}

/* ---- counting ---- */

static double prog__box_elems(const int64_t *len, int op) {
  double e = 1;
  for (int d = 0; d < MAP_DIMS; d++)
    if (map_op_dims[op] & (1u << d)) e *= (double)len[d];
  return e;
}

void program_insn_count(const program *p, const arch *a, const prog_insn *in, prog_counts *c) {
  const prog_step *st = &p->steps[in->step];
  switch (in->op) {
  case PROG_LOAD: {
    double bytes = prog__box_elems(in->len, in->operand) *
                   program_elem_bytes(a, in->operand, in->partial);
    c->dram_read_bytes += bytes;
    c->sram_write_bytes[in->buffer] += bytes;
    break;
  }
  case PROG_STORE: {
    double bytes = prog__box_elems(in->len, MAP_OP_OUTPUT) *
                   program_elem_bytes(a, MAP_OP_OUTPUT, in->partial);
    c->dram_write_bytes += bytes;
    c->sram_read_bytes[in->buffer] += bytes;
    break;
  }
  case PROG_FOLD: {
    const int *buf = st->mapping.buffer;
    double pb = program_elem_bytes(a, MAP_OP_OUTPUT, true);
    if (st->mapping.unit == MAP_UNIT_SIMD) {
      /* The box on the SIMD unit (fold_simd_eval); adding to read-back partial sums is one
       * more add per output. */
      fold_simd_stats ss;
      fold_simd_eval(&a->simd, in->len[0], in->len[1], in->len[2], in->len[3], in->acc == 1, &ss);
      double outs = prog__box_elems(in->len, MAP_OP_OUTPUT);
      c->simd_macs += (double)(in->len[0] * in->len[1] * in->len[2] * in->len[3]);
      c->simd_lane_ops += (double)ss.lane_cycles;
      c->sram_read_bytes[buf[MAP_OP_INPUT]] +=
          (double)ss.input_reads * program_elem_bytes(a, MAP_OP_INPUT, false);
      c->sram_read_bytes[buf[MAP_OP_WEIGHT]] +=
          (double)ss.weight_reads * program_elem_bytes(a, MAP_OP_WEIGHT, false);
      c->sram_write_bytes[buf[MAP_OP_OUTPUT]] += (double)ss.output_writes * pb;
      if (in->acc == 1) c->sram_read_bytes[buf[MAP_OP_OUTPUT]] += outs * pb;
      break;
    }
    fold_stats fs;
    fold_eval_packed(&a->array, st->mapping.dataflow, p->timing, in->len[0], in->len[1],
                     in->len[2], in->len[3], st->mapping.batch_pack > 1 ? st->mapping.batch_pack : 1,
                     &fs);
    c->macs += (double)fs.macs;
    c->reg_accesses += (double)fs.reg_accesses;
    c->sram_read_bytes[buf[MAP_OP_INPUT]] +=
        (double)fs.input_reads * program_elem_bytes(a, MAP_OP_INPUT, false);
    c->sram_read_bytes[buf[MAP_OP_WEIGHT]] +=
        (double)fs.weight_reads * program_elem_bytes(a, MAP_OP_WEIGHT, false);
    c->sram_write_bytes[buf[MAP_OP_OUTPUT]] += (double)fs.output_writes * pb;
    double out_reads = (double)fs.output_reads;
    if (in->acc == 1) out_reads += prog__box_elems(in->len, MAP_OP_OUTPUT);
    c->sram_read_bytes[buf[MAP_OP_OUTPUT]] += out_reads * pb;
    break;
  }
  case PROG_SIMD:
    c->simd_lane_ops += (double)in->lane_ops;
    if (in->buffer >= 0) {
      c->sram_read_bytes[in->buffer] += in->rd_bytes;
      c->sram_write_bytes[in->buffer] += in->wr_bytes;
    }
    c->dram_read_bytes += in->dram_rd;
    c->dram_write_bytes += in->dram_wr;
    break;
  default: break;
  }
}

static void prog__accesses(const arch *a, prog_counts *c) {
  for (size_t j = 0; j < a->n_buffers; j++) {
    c->sram_reads[j] = c->sram_read_bytes[j] / (double)a->buffers[j].access_bytes;
    c->sram_writes[j] = c->sram_write_bytes[j] / (double)a->buffers[j].access_bytes;
  }
}

void program_count(const program *p, const arch *a, int step, prog_counts *out) {
  memset(out, 0, sizeof *out);
  if (step >= 0) {
    for (size_t i = 0; i < p->n; i++)
      if (p->insn[i].step == step) program_insn_count(p, a, &p->insn[i], out);
    prog__accesses(a, out);
    return;
  }
  /* Whole program: each step's counts times how often it runs. */
  for (size_t s = 0; s < p->n_steps; s++) {
    prog_counts one;
    program_count(p, a, (int)s, &one);
    double t = (double)p->steps[s].times;
    out->macs += t * one.macs;
    out->simd_macs += t * one.simd_macs;
    out->reg_accesses += t * one.reg_accesses;
    out->dram_read_bytes += t * one.dram_read_bytes;
    out->dram_write_bytes += t * one.dram_write_bytes;
    out->simd_lane_ops += t * one.simd_lane_ops;
    for (size_t j = 0; j < ARCH_MAX_BUFFERS; j++) {
      out->sram_read_bytes[j] += t * one.sram_read_bytes[j];
      out->sram_write_bytes[j] += t * one.sram_write_bytes[j];
    }
  }
  prog__accesses(a, out);
}

void program_counts_events(const arch *a, const prog_counts *c, double cycles, energy_events *ev) {
  memset(ev, 0, sizeof *ev);
  ev->macs = c->macs;
  ev->reg_accesses = c->reg_accesses;
  ev->dram_bytes = c->dram_read_bytes + c->dram_write_bytes;
  ev->simd_lane_ops = c->simd_lane_ops;
  ev->cycles = cycles;
  for (size_t j = 0; j < a->n_buffers; j++) {
    ev->sram_reads[j] = c->sram_reads[j];
    ev->sram_writes[j] = c->sram_writes[j];
  }
}

static prog_simd_kind prog__kind_of(const model *m, const layer_item *it) {
  size_t len = strlen(it->name);
  if (len > 5 && strcmp(it->name + len - 5, ".bias") == 0) return PROG_SIMD_ADD;
  model_op ops[MODEL_OPS_MAX];
  size_t n = 0;
  heat_error err;
  if (m && model_ops(m, it->part, ops, MODEL_OPS_MAX, &n, &err) == HEAT_OK)
    for (size_t i = 0; i < n; i++)
      if (strcmp(ops[i].name, it->op) == 0) switch (ops[i].kind) {
        case MODEL_OP_SOFTMAX: return PROG_SIMD_SOFTMAX;
        case MODEL_OP_LAYERNORM: return PROG_SIMD_LAYERNORM;
        case MODEL_OP_GELU: return PROG_SIMD_GELU;
        case MODEL_OP_TANH: return PROG_SIMD_TANH;
        case MODEL_OP_EMBEDDING: return PROG_SIMD_EMBED;
        default: return PROG_SIMD_ADD;
        }
  return PROG_SIMD_ADD;
}

/* A GEMM's output epilogue (mapper/flow.h: requantization, bias, a folded element-wise op):
 * what it added to the step's cost. */
static void prog__epilogue_of(const arch *a, const layer_item *it, prog_epilogue *x) {
  const map_cost *c = &it->result.cost, *g = &it->gemm_cost;
  memset(x, 0, sizeof *x);
  x->kind = PROG_SIMD_ADD; /* a bias or requantization alone: an add */
  if (strstr(it->epilogue, "gelu")) x->kind = PROG_SIMD_GELU;
  else if (strstr(it->epilogue, "tanh")) x->kind = PROG_SIMD_TANH;
  x->buffer = -1;
  for (size_t j = 0; j < a->n_buffers && x->buffer < 0; j++)
    if (c->sram_reads[j] != g->sram_reads[j] || c->sram_writes[j] != g->sram_writes[j])
      x->buffer = (int)j;
  if (x->buffer >= 0) {
    double ab = (double)a->buffers[x->buffer].access_bytes;
    x->rd_bytes = (c->sram_reads[x->buffer] - g->sram_reads[x->buffer]) * ab;
    x->wr_bytes = (c->sram_writes[x->buffer] - g->sram_writes[x->buffer]) * ab;
  }
  x->lane_ops = a->simd.op_pj > 0 ? (double)llround((c->simd_pj - g->simd_pj) / a->simd.op_pj) : 0;
  x->cycles = c->simd_cycles - g->simd_cycles;
  x->dram_rd = c->dram_read_bytes - g->dram_read_bytes;
  x->dram_wr = c->dram_write_bytes - g->dram_write_bytes;
}

int program_emit_items(program *p, const arch *a, const map_options *opt, const model *m,
                       const layer_item *items, size_t n, heat_error *err) {
  p->timing = opt->timing;
  p->stalls = opt->memory_stalls;
  /* Tensor ids: each op's chain gets its own range (its network's ids offset by base). */
  int32_t base = 0, next = 0;
  const layer_item *chain = NULL;
  for (size_t i = 0; i < n; i++) {
    const layer_item *it = &items[i];
    if (it->tensors.on && (!chain || chain->part != it->part || strcmp(chain->op, it->op) != 0)) {
      chain = it;
      base = next;
    }
    if (it->tensors.on)
      for (int k = 0; k < MAP_OPS; k++)
        if (base + it->tensors.id[k] + 1 > next) next = base + it->tensors.id[k] + 1;
    if (it->offline) continue; /* pre-computed into the stored weights: nothing runs */
    int64_t times = (it->count > 0 ? it->count : 1) * (it->repeat > 0 ? it->repeat : 1);
    int rc;
    if (it->simd) {
      rc = program_emit_simd(p, a, it->name, times, prog__kind_of(m, it), &it->result.cost, err);
    } else if (it->epilogue[0]) {
      prog_epilogue x;
      prog__epilogue_of(a, it, &x);
      rc = program_emit_gemm_epilogue(p, a, opt, it->name, times, &it->problem,
                                      &it->result.mapping, &it->gemm_cost, &x, err);
    } else {
      rc = program_emit_gemm(p, a, opt, it->name, times, &it->problem, &it->result.mapping,
                             &it->result.cost, err);
    }
    if (rc) return rc;
    if (!it->simd && it->tensors.on) {
      prog_tensors *t = &p->steps[p->n_steps - 1].tensors;
      *t = it->tensors;
      for (int k = 0; k < MAP_OPS; k++) t->id[k] += base;
    }
  }
  return HEAT_OK;
}
