#include "workloads/synthetic.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_parse.h"
#include "workloads/lapack_dl.h"
#include "workloads/linalg.h"

void wl_synthetic_init(wl_synthetic *s) {
  s->decay = WL_DECAY_POWER;
  s->rate = 1.0;
  s->seed = 1;
}

static int parse_item(const char *item, const char *what, wl_synthetic *s, heat_error *err) {
  if (strncmp(item, "decay=", 6) == 0) {
    const char *v = item + 6, *colon = strchr(v, ':');
    size_t len = colon ? (size_t)(colon - v) : strlen(v);
    if (len == 5 && strncmp(v, "power", 5) == 0)
      s->decay = WL_DECAY_POWER;
    else if (len == 3 && strncmp(v, "exp", 3) == 0)
      s->decay = WL_DECAY_EXP;
    else
      return heat_error_set(err, HEAT_EINVAL, what,
                            "unknown decay in '%s'; use decay=power:RATE or decay=exp:RATE", item);
    if (!colon)
      return heat_error_set(err, HEAT_EINVAL, what, "'%s' needs a rate, e.g. decay=power:1.0",
                            item);
    return heat_parse_double(colon + 1, 0.0, 100.0, what, &s->rate, err);
  }
  if (strncmp(item, "seed=", 5) == 0) {
    int64_t seed;
    int rc = heat_parse_int64(item + 5, 0, INT64_C(4294967295), what, &seed, err);
    if (!rc) s->seed = (unsigned long)seed;
    return rc;
  }
  return heat_error_set(err, HEAT_EINVAL, what,
                        "unknown key in '%s'; allowed: decay=power:RATE|exp:RATE, seed=N", item);
}

int wl_synthetic_parse(const char *text, const char *what, wl_synthetic *out, heat_error *err) {
  wl_synthetic s;
  wl_synthetic_init(&s);
  char buf[256];
  if (!text || strlen(text) >= sizeof buf)
    return heat_error_set(err, HEAT_EINVAL, what, "expected decay=power:RATE[,seed=N]");
  snprintf(buf, sizeof buf, "%s", text);
  for (char *p = buf; p;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    int rc = parse_item(p, what, &s, err);
    if (rc) return rc;
    p = comma ? comma + 1 : NULL;
  }
  *out = s;
  return HEAT_OK;
}

void wl_synthetic_describe(const wl_synthetic *s, char *buf, size_t cap) {
  snprintf(buf, cap, "synthetic(decay=%s:%g,seed=%lu)", s->decay == WL_DECAY_EXP ? "exp" : "power",
           s->rate, s->seed);
}

/* Orthonormal columns: QR of a Gaussian rows x cols matrix (rows >= cols). */
static int random_orthonormal(gsl_rng *rng, int64_t rows, int64_t cols, double *q,
                              heat_error *err) {
  const wl_lapack *L = wl_lapack_get(err);
  if (!L) return err->code;
  double *tau = malloc((size_t)cols * sizeof *tau);
  if (!tau) return heat_error_set(err, HEAT_ENOMEM, "synthetic", "out of memory");
  for (int64_t i = 0; i < rows * cols; i++) q[i] = gsl_ran_gaussian(rng, 1.0);
  lapack_int info = L->dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)rows, (lapack_int)cols, q,
                                   (lapack_int)cols, tau);
  if (!info)
    info = L->dorgqr(LAPACK_ROW_MAJOR, (lapack_int)rows, (lapack_int)cols, (lapack_int)cols, q,
                          (lapack_int)cols, tau);
  free(tau);
  if (info)
    return heat_error_set(err, HEAT_EINTERNAL, "synthetic", "QR failed (LAPACK info %d)",
                          (int)info);
  return HEAT_OK;
}

int wl_synthetic_matrix(const wl_synthetic *s, int64_t M, int64_t N, wl_matrix *out,
                        heat_error *err) {
  int rc = wl_matrix_alloc(out, M, N, err);
  if (rc) return rc;
  int64_t K = M < N ? M : N;
  double *u = malloc((size_t)(M * K) * sizeof *u), *v = malloc((size_t)(N * K) * sizeof *v);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!u || !v || !rng) {
    rc = heat_error_set(err, HEAT_ENOMEM, "synthetic", "out of memory");
    goto free_all;
  }
  gsl_rng_set(rng, s->seed);
  rc = random_orthonormal(rng, M, K, u, err);
  if (!rc) rc = random_orthonormal(rng, N, K, v, err);
  if (rc) goto free_all;
  for (int64_t q = 0; q < K; q++) {
    double sq =
        s->decay == WL_DECAY_EXP ? exp(-s->rate * (double)q) : pow((double)(q + 1), -s->rate);
    for (int64_t i = 0; i < M; i++) u[i * K + q] *= sq;
  }
  rc = wl__gemm(CblasNoTrans, CblasTrans, 1.0, u, M, K, v, N, K, 0.0, out->data, err);
free_all:
  free(u);
  free(v);
  gsl_rng_free(rng);
  if (rc) wl_matrix_free(out);
  return rc;
}
