#include "workloads/shape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_parse.h"

#define WL_FACTOR_MAX (INT64_C(1) << 31)

int wl_shape_parse(const char *text, const char *what, wl_shape *out, heat_error *err) {
  if (!text || !*text)
    return heat_error_set(err, HEAT_EINVAL, what, "expected a shape OUT:IN like 12x16x16:8x8x12");
  const char *colon = strchr(text, ':');
  if (!colon || strchr(colon + 1, ':'))
    return heat_error_set(err, HEAT_EINVAL, what,
                          "'%s' is not a shape; write OUT:IN like 12x16x16:8x8x12", text);
  char left[128];
  size_t len = (size_t)(colon - text);
  if (len >= sizeof left)
    return heat_error_set(err, HEAT_EINVAL, what, "shape '%s' is too long", text);
  memcpy(left, text, len);
  left[len] = '\0';
  wl_shape s;
  memset(&s, 0, sizeof s);
  size_t dm = 0, dn = 0;
  int rc = heat_parse_int64_list(left, 'x', 1, WL_FACTOR_MAX, what, s.m, WL_MAX_ORDER, &dm, err);
  if (rc) return rc;
  rc = heat_parse_int64_list(colon + 1, 'x', 1, WL_FACTOR_MAX, what, s.n, WL_MAX_ORDER, &dn, err);
  if (rc) return rc;
  s.d = dm;
  s.d_in = dn;
  for (size_t k = 0; k < WL_MAX_ORDER; k++)
    if ((dm > 1 && k < dm && s.m[k] < 2) || (dn > 1 && k < dn && s.n[k] < 2))
      return heat_error_set(err, HEAT_EINVAL, what,
                            "shape '%s' has a factor 1; every factor of a side with two or more "
                            "must be >= 2",
                            text);
  if (wl_shape_rows(&s) <= 0 || wl_shape_cols(&s) <= 0)
    return heat_error_set(err, HEAT_ERANGE, what, "shape '%s' is too large", text);
  *out = s;
  return HEAT_OK;
}

void wl_shape_matrix(int64_t M, int64_t N, wl_shape *out) {
  memset(out, 0, sizeof *out);
  out->d = out->d_in = 1;
  out->m[0] = M;
  out->n[0] = N;
}

void wl_shape_format(const wl_shape *s, char *buf, size_t cap) {
  size_t used = 0;
  if (cap == 0) return;
  buf[0] = '\0';
  for (size_t side = 0; side < 2; side++) {
    const int64_t *f = side ? s->n : s->m;
    for (size_t k = 0; k < (side ? s->d_in : s->d); k++) {
      int w =
          snprintf(buf + used, cap - used, "%s%lld", k ? "x" : (side ? ":" : ""), (long long)f[k]);
      if (w < 0 || (size_t)w >= cap - used) return;
      used += (size_t)w;
    }
  }
}

static int64_t product(const int64_t *f, size_t d) {
  int64_t p = 1;
  for (size_t k = 0; k < d; k++) {
    if (f[k] > 0 && p > INT64_MAX / f[k]) return -1;
    p *= f[k];
  }
  return p;
}

int64_t wl_shape_rows(const wl_shape *s) { return product(s->m, s->d); }
int64_t wl_shape_cols(const wl_shape *s) { return product(s->n, s->d_in); }

size_t wl_shape_modes(const wl_shape *s, int64_t dims[WL_MAX_MODES]) {
  for (size_t k = 0; k < s->d; k++) dims[k] = s->m[k];
  for (size_t k = 0; k < s->d_in; k++) dims[s->d + k] = s->n[k];
  return s->d + s->d_in;
}

int wl_shape_check(const wl_shape *s, int64_t M, int64_t N, const char *what, heat_error *err) {
  char text[WL_SHAPE_TEXT_MAX];
  wl_shape_format(s, text, sizeof text);
  int64_t rows = wl_shape_rows(s), cols = wl_shape_cols(s);
  if (rows != M || cols != N)
    return heat_error_set(err, HEAT_EINVAL, what,
                          "shape %s is %lld x %lld but the weight is %lld x %lld (out x in); the "
                          "output factors must multiply to %lld and the input factors to %lld",
                          text, (long long)rows, (long long)cols, (long long)M, (long long)N,
                          (long long)M, (long long)N);
  return HEAT_OK;
}

static int cmp_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

double wl_shape_entropy(const wl_shape *s) {
  int64_t f[WL_MAX_MODES];
  size_t n = wl_shape_modes(s, f);
  /* Summing in sorted order makes permutations of one factor set tie exactly. */
  qsort(f, n, sizeof f[0], cmp_int64);
  double total = 0.0;
  for (size_t k = 0; k < n; k++) total += log((double)f[k]);
  double h = 0.0;
  for (size_t k = 0; k < n; k++) {
    double p = log((double)f[k]) / total;
    if (p > 0.0) h -= p * log(p);
  }
  return h;
}

/* Ordered factorizations of x into `left` factors >= 2, appended to list (d factors each). */
typedef struct factor_list {
  int64_t *v; /* count x d */
  size_t count, cap, d;
} factor_list;

static int list_push(factor_list *l, const int64_t *f) {
  if (l->count == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    int64_t *v = realloc(l->v, cap * l->d * sizeof *v);
    if (!v) return HEAT_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  memcpy(l->v + l->count * l->d, f, l->d * sizeof *f);
  l->count++;
  return HEAT_OK;
}

static int factorize_ordered(int64_t x, size_t pos, int64_t *f, factor_list *l) {
  if (pos + 1 == l->d) {
    if (x < 2) return HEAT_OK;
    f[pos] = x;
    return list_push(l, f);
  }
  for (int64_t q = 2; q <= x / 2; q++) {
    if (x % q) continue;
    f[pos] = q;
    int rc = factorize_ordered(x / q, pos + 1, f, l);
    if (rc) return rc;
  }
  return HEAT_OK;
}

typedef struct ranked_shape {
  wl_shape s;
  double h;
} ranked_shape;

static int cmp_ranked(const void *a, const void *b) {
  const ranked_shape *x = a, *y = b;
  if (x->h != y->h) return x->h < y->h ? 1 : -1;
  if (x->s.d != y->s.d) return x->s.d < y->s.d ? -1 : 1; /* enumerated shapes are even */
  for (size_t k = 0; k < x->s.d; k++)
    if (x->s.m[k] != y->s.m[k]) return x->s.m[k] < y->s.m[k] ? -1 : 1;
  for (size_t k = 0; k < x->s.d; k++)
    if (x->s.n[k] != y->s.n[k]) return x->s.n[k] < y->s.n[k] ? -1 : 1;
  return 0;
}

/* The `cap` best shapes seen so far as a max-heap on cmp_ranked (the worst kept at the root), so
 * that --top K keeps K shapes, not every pair (9.4 GB for 983040 x 983040 before). */
typedef struct top_heap {
  ranked_shape *v;
  size_t n, cap;
} top_heap;

static void heap_sift_down(top_heap *h, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, big = i;
    if (l < h->n && cmp_ranked(&h->v[l], &h->v[big]) > 0) big = l;
    if (r < h->n && cmp_ranked(&h->v[r], &h->v[big]) > 0) big = r;
    if (big == i) return;
    ranked_shape t = h->v[i];
    h->v[i] = h->v[big];
    h->v[big] = t;
    i = big;
  }
}

static void heap_offer(top_heap *h, const ranked_shape *x) {
  if (h->n < h->cap) {
    size_t i = h->n++;
    h->v[i] = *x;
    while (i && cmp_ranked(&h->v[(i - 1) / 2], &h->v[i]) < 0) {
      ranked_shape t = h->v[i];
      h->v[i] = h->v[(i - 1) / 2];
      h->v[(i - 1) / 2] = t;
      i = (i - 1) / 2;
    }
  } else if (cmp_ranked(x, &h->v[0]) < 0) {
    h->v[0] = *x;
    heap_sift_down(h, 0);
  }
}

/* -sum p ln p over one side's factors with p = ln f / total: the entropy is the sum of both
 * sides' terms, used only to skip pairs that cannot enter a full heap (the kept shapes get the
 * exact wl_shape_entropy, so ties and order are as before). */
static double side_entropy(const int64_t *f, size_t d, double total) {
  double h = 0.0;
  for (size_t k = 0; k < d; k++) {
    double p = log((double)f[k]) / total;
    if (p > 0.0) h -= p * log(p);
  }
  return h;
}

typedef struct side_entry {
  double h;
  size_t i;
} side_entry;
typedef struct side_order {
  side_entry *v;
  size_t n;
} side_order;

static int cmp_side(const void *a, const void *b) {
  const side_entry *x = a, *y = b;
  if (x->h != y->h) return x->h < y->h ? 1 : -1;
  return (x->i > y->i) - (x->i < y->i);
}

/* The list's entries by decreasing side entropy. */
static int side_sort(const factor_list *l, double total, side_order *o) {
  o->n = l->count;
  o->v = malloc((l->count ? l->count : 1) * sizeof *o->v);
  if (!o->v) return HEAT_ENOMEM;
  for (size_t i = 0; i < l->count; i++)
    o->v[i] = (side_entry){side_entropy(l->v + i * l->d, l->d, total), i};
  qsort(o->v, o->n, sizeof *o->v, cmp_side);
  return HEAT_OK;
}

static int shape_lists(int64_t M, int64_t N, size_t d_min, size_t d_max,
                       factor_list lm[WL_MAX_ORDER + 1], factor_list ln[WL_MAX_ORDER + 1],
                       double *total) {
  int rc = HEAT_OK;
  *total = 0.0;
  for (size_t d = d_min; d <= d_max && !rc; d++) {
    int64_t f[WL_MAX_ORDER];
    lm[d] = (factor_list){NULL, 0, 0, d};
    ln[d] = (factor_list){NULL, 0, 0, d};
    rc = factorize_ordered(M, 0, f, &lm[d]);
    if (!rc) rc = factorize_ordered(N, 0, f, &ln[d]);
    *total += (double)lm[d].count * (double)ln[d].count;
  }
  return rc;
}

static void free_lists(size_t d_min, size_t d_max, factor_list *lm, factor_list *ln) {
  for (size_t d = d_min; d <= d_max; d++) {
    free(lm[d].v);
    free(ln[d].v);
  }
}

static int check_bounds(int64_t M, int64_t N, size_t d_min, size_t d_max, heat_error *err) {
  if (M < 2 || N < 2)
    return heat_error_set(err, HEAT_EINVAL, "shape enumeration",
                          "the weight must be at least 2 x 2, got %lld x %lld", (long long)M,
                          (long long)N);
  if (d_min < 2 || d_max > WL_MAX_ORDER || d_min > d_max)
    return heat_error_set(err, HEAT_EINVAL, "shape enumeration",
                          "factors per side must be within 2..%d, got %zu..%zu", WL_MAX_ORDER,
                          d_min, d_max);
  return HEAT_OK;
}

int wl_shape_enumerate_bytes(int64_t M, int64_t N, size_t d_min, size_t d_max, size_t limit,
                             double *bytes, heat_error *err) {
  int rc = check_bounds(M, N, d_min, d_max, err);
  if (rc) return rc;
  factor_list lm[WL_MAX_ORDER + 1] = {{0}}, ln[WL_MAX_ORDER + 1] = {{0}};
  double total, lists = 0.0;
  rc = shape_lists(M, N, d_min, d_max, lm, ln, &total);
  for (size_t d = d_min; d <= d_max; d++)
    lists += (double)(lm[d].cap + ln[d].cap) * (double)d * sizeof(int64_t);
  free_lists(d_min, d_max, lm, ln);
  if (rc) return heat_error_set(err, rc, "shape enumeration", "out of memory");
  double kept = limit && (double)limit < total ? (double)limit : total;
  *bytes = lists + kept * (double)(sizeof(ranked_shape) + sizeof(wl_shape));
  return HEAT_OK;
}

int wl_shape_enumerate(int64_t M, int64_t N, size_t d_min, size_t d_max, size_t limit,
                       wl_shape **out, size_t *count, heat_error *err) {
  int rc = check_bounds(M, N, d_min, d_max, err);
  if (rc) return rc;
  factor_list lm[WL_MAX_ORDER + 1] = {{0}}, ln[WL_MAX_ORDER + 1] = {{0}};
  double total;
  rc = shape_lists(M, N, d_min, d_max, lm, ln, &total);
  size_t keep = limit && (double)limit < total ? limit : (size_t)total;
  top_heap h = {NULL, 0, keep};
  if (!rc && keep && !(h.v = malloc(keep * sizeof *h.v))) rc = HEAT_ENOMEM;
  double log_mn = log((double)M) + log((double)N);
  for (size_t d = d_min; d <= d_max && !rc; d++) {
    /* A side with no factorization into d factors >= 2 (a prime, or too few prime factors)
     * adds nothing. Both sides in decreasing side entropy: once a pair cannot enter the full
     * heap, no later one in that row (or later row) can, so the pairs visited stay near K. */
    side_order om, on;
    if ((rc = side_sort(&lm[d], log_mn, &om)) || (rc = side_sort(&ln[d], log_mn, &on))) {
      free(om.v);
      break;
    }
    for (size_t a = 0; a < om.n; a++) {
      const int64_t *fm = lm[d].v + om.v[a].i * d;
      if (on.n && h.n == h.cap && om.v[a].h + on.v[0].h < h.v[0].h - 1e-9) break;
      for (size_t b = 0; b < on.n; b++) {
        if (h.n == h.cap && om.v[a].h + on.v[b].h < h.v[0].h - 1e-9) break;
        const int64_t *fn = ln[d].v + on.v[b].i * d;
        ranked_shape r;
        memset(&r, 0, sizeof r);
        r.s.d = r.s.d_in = d;
        memcpy(r.s.m, fm, d * sizeof(int64_t));
        memcpy(r.s.n, fn, d * sizeof(int64_t));
        r.h = wl_shape_entropy(&r.s);
        heap_offer(&h, &r);
      }
    }
    free(om.v);
    free(on.v);
  }
  free_lists(d_min, d_max, lm, ln);
  wl_shape *res = rc ? NULL : malloc((h.n ? h.n : 1) * sizeof *res);
  if (!res) {
    free(h.v);
    return heat_error_set(err, HEAT_ENOMEM, "shape enumeration", "out of memory");
  }
  if (h.n > 1) qsort(h.v, h.n, sizeof *h.v, cmp_ranked);
  for (size_t i = 0; i < h.n; i++) res[i] = h.v[i].s;
  *out = res;
  *count = h.n;
  free(h.v);
  return HEAT_OK;
}
