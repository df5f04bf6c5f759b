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

int wl_shape_enumerate(int64_t M, int64_t N, size_t d_min, size_t d_max, size_t limit,
                       wl_shape **out, size_t *count, heat_error *err) {
  if (M < 2 || N < 2)
    return heat_error_set(err, HEAT_EINVAL, "shape enumeration",
                          "the weight must be at least 2 x 2, got %lld x %lld", (long long)M,
                          (long long)N);
  if (d_min < 2 || d_max > WL_MAX_ORDER || d_min > d_max)
    return heat_error_set(err, HEAT_EINVAL, "shape enumeration",
                          "factors per side must be within 2..%d, got %zu..%zu", WL_MAX_ORDER,
                          d_min, d_max);
  ranked_shape *all = NULL;
  size_t n_all = 0;
  int rc = HEAT_OK;
  for (size_t d = d_min; d <= d_max && rc == HEAT_OK; d++) {
    factor_list lm = {NULL, 0, 0, d}, ln = {NULL, 0, 0, d};
    int64_t f[WL_MAX_ORDER];
    rc = factorize_ordered(M, 0, f, &lm);
    if (!rc) rc = factorize_ordered(N, 0, f, &ln);
    size_t add = lm.count * ln.count;
    /* A side with no factorization into d factors >= 2 (a prime, or too few prime factors)
     * adds nothing; only a failed realloc of a real growth is out of memory. */
    if (!rc && add) {
      ranked_shape *grown = realloc(all, (n_all + add) * sizeof *all);
      if (!grown)
        rc = HEAT_ENOMEM;
      else
        all = grown;
    }
    for (size_t a = 0; !rc && a < lm.count; a++)
      for (size_t b = 0; b < ln.count; b++) {
        ranked_shape *r = &all[n_all++];
        memset(&r->s, 0, sizeof r->s);
        r->s.d = r->s.d_in = d;
        memcpy(r->s.m, lm.v + a * d, d * sizeof(int64_t));
        memcpy(r->s.n, ln.v + b * d, d * sizeof(int64_t));
        r->h = wl_shape_entropy(&r->s);
      }
    free(lm.v);
    free(ln.v);
  }
  if (rc) {
    free(all);
    return heat_error_set(err, rc, "shape enumeration", "out of memory");
  }
  if (n_all > 1) qsort(all, n_all, sizeof *all, cmp_ranked);
  size_t n = (limit && limit < n_all) ? limit : n_all;
  wl_shape *res = malloc((n ? n : 1) * sizeof *res);
  if (!res) {
    free(all);
    return heat_error_set(err, HEAT_ENOMEM, "shape enumeration", "out of memory");
  }
  for (size_t i = 0; i < n; i++) res[i] = all[i].s;
  free(all);
  *out = res;
  *count = n;
  return HEAT_OK;
}
