#include "mapper/mapspace_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- the memo: entries in one array, found through an open-addressing index (slots of an
 * entry number and the hash's high half) grown at half load: a probe touches 8 bytes, not an
 * entry, and growing moves no entry ---- */

typedef struct map__entry {
  bool used;
  unsigned have; /* objectives searched (status applies to all) */
  int status;
  double lb[MAP_OBJECTIVES]; /* objectives not in `have`: a proven lower bound (cut searches) */
  map_problem key;
  /* Objectives in `have`: the search's answer. Others: the best mapping a search of this
   * problem met (seed.found), which the next search starts from. */
  map_result result[MAP_OBJECTIVES];
  map__seed seed;
  heat_error err; /* status != HEAT_OK */
} map__entry;

typedef struct map__slot {
  uint32_t entry; /* entry index + 1; 0: empty */
  uint32_t hash;  /* high half of the problem's hash */
} map__slot;

struct map_memo {
  size_t cap, n, n_alloc; /* cap: slots, a power of two, or 0; n: entries used */
  map__slot *slot;
  map__entry *entry;
  bool bound;
  arch a;
  map_options opt; /* objective zeroed */
};

int map_workspace_memo(map_workspace *w, bool on) {
  if (!on) {
    if (w->memo) {
      free(w->memo->slot);
      free(w->memo->entry);
    }
    free(w->memo);
    w->memo = NULL;
    return HEAT_OK;
  }
  if (!w->memo) w->memo = calloc(1, sizeof *w->memo);
  return w->memo ? HEAT_OK : HEAT_ENOMEM;
}

static void map__memo_clear(map_memo *c) {
  if (c->slot) memset(c->slot, 0, c->cap * sizeof *c->slot);
  c->n = 0;
}

/* Empties the memo unless it holds searches for this arch and these options. The arch's text
 * fields (name, description, sources) do not change a search: only what follows is compared. */
static void map__memo_bind(map_memo *c, const arch *a, const map_options *opt) {
  map_options o = *opt;
  o.objective = MAP_OBJECTIVE_LATENCY;
  const size_t from = offsetof(arch, clock_ghz);
  if (c->bound && c->opt.timing == o.timing && c->opt.memory_stalls == o.memory_stalls &&
      c->opt.dataflows == o.dataflows && c->opt.array_rows_override == o.array_rows_override &&
      c->opt.array_cols_override == o.array_cols_override && c->opt.array_only == o.array_only &&
      memcmp((const char *)&c->a + from, (const char *)a + from, sizeof *a - from) == 0)
    return;
  map__memo_clear(c);
  c->bound = true;
  c->a = *a;
  c->opt = o;
}

static bool map__same_problem(const map_problem *x, const map_problem *y) {
  for (int d = 0; d < MAP_DIMS; d++)
    if (x->dim[d] != y->dim[d]) return false;
  for (int op = 0; op < MAP_OPS; op++)
    if (x->on_chip[op] != y->on_chip[op] || x->buffers[op] != y->buffers[op]) return false;
  return x->permuted[0] == y->permuted[0] && x->permuted[1] == y->permuted[1] &&
         x->reserved_bytes == y->reserved_bytes && x->reserved_buffers == y->reserved_buffers &&
         x->epilogue_cycles == y->epilogue_cycles; /* times the tile pipeline (tile.c) */
}

uint64_t map_problem_hash(const map_problem *p) {
  uint64_t v[MAP_DIMS + 3];
  for (int d = 0; d < MAP_DIMS; d++) v[d] = (uint64_t)p->dim[d];
  v[MAP_DIMS] = (uint64_t)p->on_chip[0] | (uint64_t)p->on_chip[1] << 1 |
                (uint64_t)p->on_chip[2] << 2 | (uint64_t)p->permuted[0] << 3 |
                (uint64_t)p->permuted[1] << 4 | (uint64_t)p->reserved_buffers << 5;
  v[MAP_DIMS + 1] =
      (uint64_t)p->buffers[0] | (uint64_t)p->buffers[1] << 21 | (uint64_t)p->buffers[2] << 42;
  v[MAP_DIMS + 2] = (uint64_t)p->reserved_bytes;
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < MAP_DIMS + 3; i++) {
    h ^= v[i];
    h *= 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

/* The entry holding p (NULL when none); *at gets the slot it is in or would go to. */
static map__entry *map__memo_find(const map_memo *c, const map_problem *p, uint64_t h,
                                  size_t *at) {
  *at = 0;
  if (!c->cap) return NULL;
  uint32_t hi = (uint32_t)(h >> 32);
  for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
    const map__slot *sl = &c->slot[i];
    *at = i;
    if (!sl->entry) return NULL;
    map__entry *e = &c->entry[sl->entry - 1];
    if (sl->hash == hi && map__same_problem(&e->key, p)) return e;
  }
}

static int map__memo_grow(map_memo *c) {
  size_t cap = c->cap ? 2 * c->cap : 64;
  map__slot *slot = calloc(cap, sizeof *slot);
  if (!slot) return HEAT_ENOMEM;
  free(c->slot);
  c->slot = slot;
  c->cap = cap;
  for (size_t k = 0; k < c->n; k++) {
    uint64_t h = map_problem_hash(&c->entry[k].key);
    size_t at;
    map__memo_find(c, &c->entry[k].key, h, &at);
    c->slot[at].entry = (uint32_t)(k + 1);
    c->slot[at].hash = (uint32_t)(h >> 32);
  }
  return HEAT_OK;
}

static const map__entry *map__memo_lookup(map_workspace *w, const arch *a,
                                          const map_options *opt, const map_problem *p) {
  map__memo_bind(w->memo, a, opt);
  size_t at;
  return map__memo_find(w->memo, p, map_problem_hash(p), &at);
}

bool map_memo_peek(map_workspace *w, const arch *a, const map_options *opt,
                   const map_problem *p, map_result *out, int *status) {
  if (!w->memo) return false;
  const map__entry *e = map__memo_lookup(w, a, opt, p);
  if (!e || !(e->have & (1u << opt->objective))) return false;
  *status = e->status;
  if (!e->status) *out = e->result[opt->objective];
  return true;
}

/* The memo's entry of p, created empty when missing; NULL when out of memory. */
static map__entry *map__memo_entry(map_workspace *w, const arch *a, const map_problem *p,
                                   const map_options *opt) {
  map_memo *c = w->memo;
  map__memo_bind(c, a, opt);
  uint64_t h = map_problem_hash(p);
  size_t at;
  map__entry *e = map__memo_find(c, p, h, &at);
  if (!e) {
    if (c->n >= MAP_MEMO_MAX) map__memo_clear(c);
    if (2 * (c->n + 1) > c->cap && map__memo_grow(c)) return NULL;
    if (c->n == c->n_alloc) {
      size_t na = c->n_alloc ? 2 * c->n_alloc : 64;
      map__entry *ne = realloc(c->entry, na * sizeof *ne);
      if (!ne) return NULL;
      c->entry = ne;
      c->n_alloc = na;
    }
    map__memo_find(c, p, h, &at);
    c->slot[at].entry = (uint32_t)(c->n + 1);
    c->slot[at].hash = (uint32_t)(h >> 32);
    e = &c->entry[c->n];
    memset(e, 0, sizeof *e);
    e->used = true;
    e->have = 0;
    e->status = HEAT_OK;
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++) e->lb[obj] = 0;
    e->key = *p;
    c->n++;
  }
  return e;
}

/* Seeds a search of e's problem: r[obj] gets what the memo knows for every objective not
 * answered yet (e->seed.found says which). */
static void map__memo_seed(map__entry *e, map_result *r) {
  e->seed.found &= ~e->have;
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
    if (e->seed.found & (1u << obj)) r[obj] = e->result[obj];
}

/* Keeps a search's answers (the objectives in `exact`) and, for the other objectives not
 * answered yet, the best mapping it met as their seeds. */
static void map__memo_keep(map__entry *e, const map_result *r, unsigned exact) {
  if (e->status) {
    e->have |= exact; /* answered: with the failure */
    return;
  }
  for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
    if (((exact | e->seed.found) & ~e->have) & (1u << obj)) e->result[obj] = r[obj];
  e->have |= exact;
}

/* The memo's entry of p with the objectives in `want` searched (those missing, in one pass);
 * NULL when out of memory. */
static const map__entry *map__memo_search(map_workspace *w, const arch *a, const map_problem *p,
                                          const map_options *opt, unsigned want) {
  map__entry *e = map__memo_entry(w, a, p, opt);
  if (!e || e->status || (e->have & want) == want) return e;
  map_result r[MAP_OBJECTIVES];
  unsigned missing = want & ~e->have;
  map__memo_seed(e, r);
  e->status = map__search(a, p, opt, missing, true, w, r, NULL, &e->seed, &e->err);
  map__memo_keep(e, r, missing);
  return e;
}

int map_search(const arch *a, const map_problem *p, const map_options *opt, map_workspace *w,
               map_result *out, heat_error *err) {
  if (w->memo) {
    unsigned want = w->memo_want ? w->memo_want | 1u << opt->objective
                                 : (1u << MAP_OBJECTIVES) - 1;
    const map__entry *e = map__memo_search(w, a, p, opt, want);
    if (!e) return heat_error_set(err, HEAT_ENOMEM, "map_search", "out of memory");
    if (e->status) {
      if (err) *err = e->err;
      return e->status;
    }
    *out = e->result[opt->objective];
    return HEAT_OK;
  }
  map_result all[MAP_OBJECTIVES];
  int rc = map__search(a, p, opt, 1u << opt->objective, true, w, all, NULL, NULL, err);
  if (rc) return rc;
  *out = all[opt->objective];
  return HEAT_OK;
}

int map_search_objectives(const arch *a, const map_problem *p, const map_options *opt,
                          unsigned want, map_workspace *w, map_result out[MAP_OBJECTIVES],
                          heat_error *err) {
  want &= (1u << MAP_OBJECTIVES) - 1;
  if (!want) want = (1u << MAP_OBJECTIVES) - 1;
  if (w->memo) {
    const map__entry *e = map__memo_search(w, a, p, opt, want);
    if (!e) return heat_error_set(err, HEAT_ENOMEM, "map_search", "out of memory");
    if (e->status) {
      if (err) *err = e->err;
      return e->status;
    }
    for (int obj = 0; obj < MAP_OBJECTIVES; obj++)
      if (want & (1u << obj)) out[obj] = e->result[obj];
    return HEAT_OK;
  }
  return map__search(a, p, opt, want, true, w, out, NULL, NULL, err);
}

double map_memo_bound(map_workspace *w, const arch *a, const map_options *opt,
                      const map_problem *p) {
  if (!w->memo) return 0;
  const map__entry *e = map__memo_lookup(w, a, opt, p);
  return e && !e->status ? e->lb[opt->objective] : 0;
}

int map_search_below(const arch *a, const map_problem *p, const map_options *opt, double base,
                     double best, map_workspace *w, map_result *out, bool *below,
                     double *bound, heat_error *err) {
  int obj = (int)opt->objective;
  map__entry *e = w->memo ? map__memo_entry(w, a, p, opt) : NULL;
  if (w->memo && !e) return heat_error_set(err, HEAT_ENOMEM, "map_search", "out of memory");
  if (e && e->status) {
    if (err) *err = e->err;
    return e->status;
  }
  if (e && (e->have & (1u << obj))) {
    *out = e->result[obj];
    *bound = map_objective_value(opt->objective, &out->cost);
    *below = base + *bound <= best;
    return HEAT_OK;
  }
  if (e && base + e->lb[obj] > best) {
    *below = false;
    *bound = e->lb[obj];
    return HEAT_OK;
  }
  map_result r[MAP_OBJECTIVES];
  map__cut cut = {.obj = obj, .base = base, .best = best};
  heat_error e2;
  if (e) map__memo_seed(e, r);
  int rc = map__search(a, p, opt, 1u << obj, true, w, r, &cut, e ? &e->seed : NULL,
                       e ? &e->err : &e2);
  if (rc) {
    if (e) e->status = rc;
    if (err) *err = e ? e->err : e2;
    return rc;
  }
  *below = cut.below;
  if (e) map__memo_keep(e, r, cut.below ? 1u << obj : 0);
  if (cut.below) {
    *out = r[obj];
    *bound = map_objective_value(opt->objective, &out->cost);
  } else {
    *bound = cut.bound;
    if (e && cut.bound > e->lb[obj]) e->lb[obj] = cut.bound;
  }
  return HEAT_OK;
}
