/* DP over connected subsets under a cost cap, after opt_einsum's `dp` (Pfeifer, Haegeman and
 * Verstraete, Phys. Rev. E 90, 033315): only subsets reached by steps that share a non-output
 * index are stored, and only while their cost stays under the cap, so sparse networks (chains,
 * stars, rings) need a small part of the 2^n subsets. Subsets are built by size: those of size s
 * from pairs of stored subsets of sizes k and s - k that are disjoint and neighbours. A pass
 * that finds a tree under cap c is exact (every subtree of a tree costing <= c costs <= c), so
 * passes run under rising caps (cap / 256, cap / 16, cap) and the first that finds a tree wins.
 *
 * Bounds (mapper/README.md): the work is counted in pair checks, and a pass stops as soon as the
 * count passes the budget, so the result never depends on the machine's speed; at most
 * MAX_ENTRIES subsets are stored (36 B each: 18 MiB), kept in the workspace between calls. */
#include <stdlib.h>
#include <string.h>

#include "mapper/path_internal.h"

#define MIN_ENTRIES (1u << 12)
#define MAX_ENTRIES (1u << 19)
#define LOOKUP_WORK 64  /* pair checks one hash look-up is counted as (mostly a cache miss) */
#define PRODUCT_WORK 8   /* and pricing one candidate step */
#define INSERT_WORK 256 /* and one new subset (its letters, the hash, growing the tables) */

typedef struct bdp {
  size_t cap, count;
  uint32_t *set, *nbr, *split; /* the subset, its neighbours outside it, its best lhs part */
  uint64_t *legs;              /* letters of its intermediate */
  int64_t *cost;               /* MACs of its best tree */
  uint32_t *hash;              /* 2 * cap slots: entry + 1, 0 = empty */
  int shift;
} bdp;

static size_t bdp_bytes(size_t cap) { return cap * (2 * sizeof(int64_t) + 3 * sizeof(uint32_t)) +
                                             2 * cap * sizeof(uint32_t); }

static void bdp_carve(bdp *d, void *buf, size_t cap) {
  char *p = buf;
  d->cap = cap;
  d->legs = (uint64_t *)p;
  p += cap * sizeof(uint64_t);
  d->cost = (int64_t *)p;
  p += cap * sizeof(int64_t);
  d->set = (uint32_t *)p;
  p += cap * sizeof(uint32_t);
  d->nbr = (uint32_t *)p;
  p += cap * sizeof(uint32_t);
  d->split = (uint32_t *)p;
  p += cap * sizeof(uint32_t);
  d->hash = (uint32_t *)p;
  d->shift = 64 - __builtin_ctzll(2 * cap);
}

static size_t slot_of(const bdp *d, uint32_t set) {
  return (size_t)(((uint64_t)set * UINT64_C(0x9e3779b97f4a7c15)) >> d->shift);
}

static long lookup(const bdp *d, uint32_t set) {
  size_t mask = 2 * d->cap - 1;
  for (size_t h = slot_of(d, set);; h = (h + 1) & mask) {
    uint32_t e = d->hash[h];
    if (!e) return -1;
    if (d->set[e - 1] == set) return (long)e - 1;
  }
}

static void hash_insert(bdp *d, size_t e) {
  size_t mask = 2 * d->cap - 1;
  size_t h = slot_of(d, d->set[e]);
  while (d->hash[h]) h = (h + 1) & mask;
  d->hash[h] = (uint32_t)e + 1;
}

/* Doubles the entry capacity (copying the entries, rebuilding the hash); false at the bound or
 * out of memory. */
static bool bdp_grow(bdp *d, path_workspace *ws) {
  size_t cap = d->cap * 2;
  if (cap > MAX_ENTRIES) return false;
  void *buf = malloc(bdp_bytes(cap));
  if (!buf) return false;
  bdp n;
  bdp_carve(&n, buf, cap);
  n.count = d->count;
  memcpy(n.legs, d->legs, d->count * sizeof *n.legs);
  memcpy(n.cost, d->cost, d->count * sizeof *n.cost);
  memcpy(n.set, d->set, d->count * sizeof *n.set);
  memcpy(n.nbr, d->nbr, d->count * sizeof *n.nbr);
  memcpy(n.split, d->split, d->count * sizeof *n.split);
  memset(n.hash, 0, 2 * cap * sizeof *n.hash);
  for (size_t e = 0; e < n.count; e++) hash_insert(&n, e);
  free(ws->sbuf);
  ws->sbuf = buf;
  ws->scap = bdp_bytes(cap);
  *d = n;
  return true;
}

/* MACs of a step over the letters in u, or cap + 1 once past the cap. */
static int64_t capped_product(const path_live *lv, uint64_t u, int64_t cap) {
  int64_t p = 1;
  for (; u; u &= u - 1)
    if (__builtin_mul_overflow(p, lv->size[__builtin_ctzll(u)], &p) || p > cap) return cap + 1;
  return p;
}

/* One pass under the cap: 1 found, 0 not found, -1 budget or memory bound exceeded. */
static int bdp_pass(const path_live *lv, path_workspace *ws, bdp *d, const uint32_t *nb,
                    int64_t cap, uint64_t budget, uint64_t *work) {
  size_t m = lv->n, beg[TN_MAX_OPERANDS + 1], end[TN_MAX_OPERANDS + 1];
  d->count = 0;
  memset(d->hash, 0, 2 * d->cap * sizeof *d->hash);
  for (size_t i = 0; i < m; i++) {
    d->set[i] = UINT32_C(1) << i;
    d->legs[i] = lv->legs[i];
    d->cost[i] = 0;
    d->nbr[i] = nb[i];
    d->split[i] = 0;
    hash_insert(d, i);
  }
  d->count = m;
  beg[1] = 0;
  end[1] = m;
  for (size_t s = 2; s <= m; s++) {
    beg[s] = d->count;
    for (size_t k = 1; 2 * k <= s; k++) {
      size_t lo = beg[k], hi = end[k], lo2 = beg[s - k], hi2 = end[s - k];
      for (size_t a = lo; a < hi; a++) {
        uint32_t sa = d->set[a], na = d->nbr[a];
        uint64_t la = d->legs[a];
        int64_t ca = d->cost[a];
        size_t b0 = k == s - k ? a + 1 : lo2;
        *work += hi2 - b0;
        for (size_t b = b0; b < hi2; b++) {
          uint32_t sb = d->set[b];
          if ((sa & sb) || !(sb & na)) continue;
          int64_t c = path__sat_add(ca, d->cost[b]);
          if (c > cap) continue;
          *work += PRODUCT_WORK;
          int64_t t = path__sat_add(c, capped_product(lv, la | d->legs[b], cap));
          if (t > cap) continue;
          *work += LOOKUP_WORK;
          uint32_t sab = sa | sb;
          long e = lookup(d, sab);
          if (e >= 0) {
            if (t < d->cost[e]) {
              d->cost[e] = t;
              d->split[e] = sa;
            }
            continue;
          }
          *work += INSERT_WORK;
          if (d->count == d->cap && !bdp_grow(d, ws)) return -1;
          size_t n = d->count++;
          d->set[n] = sab;
          d->nbr[n] = (na | d->nbr[b]) & ~sab;
          d->legs[n] = path__live_legs(lv, sab);
          d->cost[n] = t;
          d->split[n] = sa;
          hash_insert(d, n);
        }
        if (*work > budget) return -1;
      }
    }
    end[s] = d->count;
  }
  uint32_t full = m == 32 ? UINT32_MAX : (UINT32_C(1) << m) - 1;
  return lookup(d, full) >= 0;
}

static int emit(const path_live *lv, const bdp *d, uint32_t set, path_ltree *t) {
  if (!(set & (set - 1))) return __builtin_ctz(set);
  uint32_t a = d->split[lookup(d, set)];
  int ia = emit(lv, d, a, t), ib = emit(lv, d, set ^ a, t);
  size_t s = t->n_steps++;
  t->a[s] = ia;
  t->b[s] = ib;
  return (int)(lv->n + s);
}

int path__bounded_dp(const path_live *lv, path_workspace *ws, int64_t cap, uint64_t budget,
                     path_ltree *out, uint64_t *work) {
  uint64_t spent = 0;
  if (work) *work = 0;
  size_t m = lv->n;
  if (m < 2 || m > 32 || cap < 1) return 0;
  if (cap > INT64_MAX - 1) cap = INT64_MAX - 1;
  /* Neighbours: operands sharing a letter the output does not keep. */
  uint32_t nb[TN_MAX_OPERANDS];
  for (size_t i = 0; i < m; i++) {
    nb[i] = 0;
    for (size_t j = 0; j < m; j++)
      if (j != i && (lv->legs[i] & lv->legs[j] & ~lv->out)) nb[i] |= UINT32_C(1) << j;
  }
  uint32_t reached = 1, frontier = 1;
  while (frontier) {
    uint32_t next = 0;
    for (uint32_t f = frontier; f; f &= f - 1) next |= nb[__builtin_ctz(f)];
    frontier = next & ~reached;
    reached |= next;
  }
  if (reached != (m == 32 ? UINT32_MAX : (UINT32_C(1) << m) - 1)) return 0;
  bdp d;
  if (ws->scap < bdp_bytes(MIN_ENTRIES)) {
    void *buf = malloc(bdp_bytes(MIN_ENTRIES));
    if (!buf) return -1;
    free(ws->sbuf);
    ws->sbuf = buf;
    ws->scap = bdp_bytes(MIN_ENTRIES);
  }
  size_t have = MIN_ENTRIES;
  while (have < MAX_ENTRIES && bdp_bytes(2 * have) <= ws->scap) have *= 2;
  bdp_carve(&d, ws->sbuf, have);
  int64_t caps[3] = {cap >> 8, cap >> 4, cap};
  int rc = 0;
  for (int p = 0; p < 3 && rc == 0; p++) {
    if (caps[p] < 1 || (p > 0 && caps[p] == caps[p - 1])) continue;
    rc = bdp_pass(lv, ws, &d, nb, caps[p], budget, &spent);
  }
  if (work) *work = spent;
  if (rc != 1) return rc;
  out->n_steps = 0;
  emit(lv, &d, m == 32 ? UINT32_MAX : (UINT32_C(1) << m) - 1, out);
  path__ltree_cost(lv, out);
  return 1;
}
