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
  s->rate = 0.75;
  s->structure = 0.9;
  s->noise = 0.01;
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
  if (strncmp(item, "structure=", 10) == 0)
    return heat_parse_double(item + 10, 0.0, 1.0, what, &s->structure, err);
  if (strncmp(item, "noise=", 6) == 0)
    return heat_parse_double(item + 6, 0.0, 1.0, what, &s->noise, err);
  if (strncmp(item, "seed=", 5) == 0) {
    int64_t seed;
    int rc = heat_parse_int64(item + 5, 0, INT64_C(4294967295), what, &seed, err);
    if (!rc) s->seed = (unsigned long)seed;
    return rc;
  }
  return heat_error_set(err, HEAT_EINVAL, what,
                        "unknown key in '%s'; allowed: decay=power:RATE|exp:RATE, structure=F, "
                        "noise=F, seed=N",
                        item);
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
  if (s.structure + s.noise > 1.0 + 1e-12)
    return heat_error_set(err, HEAT_EINVAL, what,
                          "structure=%g and noise=%g are shares of the weight's energy: their sum "
                          "must not exceed 1",
                          s.structure, s.noise);
  *out = s;
  return HEAT_OK;
}

void wl_synthetic_describe(const wl_synthetic *s, char *buf, size_t cap) {
  snprintf(buf, cap, "synthetic(decay=%s:%g,structure=%g,noise=%g,seed=%lu)",
           s->decay == WL_DECAY_EXP ? "exp" : "power", s->rate, s->structure, s->noise, s->seed);
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

static double synthetic_sv(const wl_synthetic *s, int64_t q) {
  return s->decay == WL_DECAY_EXP ? exp(-s->rate * (double)q) : pow((double)(q + 1), -s->rate);
}

/* Columns 0..K-1 of the orthonormal DCT-II basis of length `rows` (rows >= K), each band of
 * SYNTHETIC_BAND neighbouring frequencies mixed by a seeded random rotation: smooth in the
 * index, orthonormal, not exactly the DCT. */
#define SYNTHETIC_BAND 4
static void smooth_orthonormal(gsl_rng *rng, int64_t rows, int64_t K, double *q) {
  const double pi = 3.14159265358979323846;
  for (int64_t i = 0; i < rows; i++)
    for (int64_t k = 0; k < K; k++)
      q[i * K + k] = (k ? sqrt(2.0 / (double)rows) : sqrt(1.0 / (double)rows)) *
                     cos(pi * (double)k * ((double)i + 0.5) / (double)rows);
  for (int64_t k0 = 0; k0 < K; k0 += SYNTHETIC_BAND) {
    int64_t b = K - k0 < SYNTHETIC_BAND ? K - k0 : SYNTHETIC_BAND;
    /* a random b x b orthogonal matrix: Gram-Schmidt of Gaussian rows */
    double r[SYNTHETIC_BAND][SYNTHETIC_BAND];
    for (int64_t a = 0; a < b; a++) {
      for (int64_t c = 0; c < b; c++) r[a][c] = gsl_ran_gaussian(rng, 1.0);
      for (int pass = 0; pass < 2; pass++)
        for (int64_t p = 0; p < a; p++) {
          double d = 0;
          for (int64_t c = 0; c < b; c++) d += r[a][c] * r[p][c];
          for (int64_t c = 0; c < b; c++) r[a][c] -= d * r[p][c];
        }
      double n = 0;
      for (int64_t c = 0; c < b; c++) n += r[a][c] * r[a][c];
      n = sqrt(n);
      for (int64_t c = 0; c < b; c++) r[a][c] /= n;
    }
    for (int64_t i = 0; i < rows; i++) {
      double old[SYNTHETIC_BAND];
      for (int64_t c = 0; c < b; c++) old[c] = q[i * K + k0 + c];
      for (int64_t a = 0; a < b; a++) {
        double v = 0;
        for (int64_t c = 0; c < b; c++) v += r[a][c] * old[c];
        q[i * K + k0 + a] = v;
      }
    }
  }
}

/* out += weight · U diag(s) Vᵀ for U (M x K), V (N x K); scales U in place. */
static int add_spectral(const wl_synthetic *s, double weight, double *u, int64_t M, double *v,
                        int64_t N, int64_t K, double *out, heat_error *err) {
  for (int64_t q = 0; q < K; q++) {
    double sq = synthetic_sv(s, q);
    for (int64_t i = 0; i < M; i++) u[i * K + q] *= sq;
  }
  return wl__gemm(CblasNoTrans, CblasTrans, weight, u, M, K, v, N, K, 1.0, out, err);
}

int wl_synthetic_matrix(const wl_synthetic *s, int64_t M, int64_t N, wl_matrix *out,
                        heat_error *err) {
  if (!(s->structure >= 0 && s->noise >= 0 && s->structure + s->noise <= 1.0 + 1e-12))
    return heat_error_set(err, HEAT_EINVAL, "synthetic",
                          "structure=%g, noise=%g: shares in 0..1 whose sum is at most 1",
                          s->structure, s->noise);
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
  double f_plain = 1.0 - s->structure - s->noise;
  /* The Haar part first and from the seed's first draws: structure=0,noise=0 reproduces the
   * earlier generator bit for bit. */
  if (f_plain > 1e-12) {
    rc = random_orthonormal(rng, M, K, u, err);
    if (!rc) rc = random_orthonormal(rng, N, K, v, err);
    if (!rc) rc = add_spectral(s, sqrt(f_plain), u, M, v, N, K, out->data, err);
    if (rc) goto free_all;
  }
  if (s->structure > 0) {
    smooth_orthonormal(rng, M, K, u);
    smooth_orthonormal(rng, N, K, v);
    rc = add_spectral(s, sqrt(s->structure), u, M, v, N, K, out->data, err);
    if (rc) goto free_all;
  }
  if (s->noise > 0) {
    /* scaled to the spectrum's norm ||s|| = ||L||_F = ||S||_F */
    double spec = 0, nn = 0;
    for (int64_t q = 0; q < K; q++) spec += synthetic_sv(s, q) * synthetic_sv(s, q);
    double *noise = malloc((size_t)(M * N) * sizeof *noise);
    if (!noise) {
      rc = heat_error_set(err, HEAT_ENOMEM, "synthetic", "out of memory");
      goto free_all;
    }
    for (int64_t i = 0; i < M * N; i++) {
      noise[i] = gsl_ran_gaussian(rng, 1.0);
      nn += noise[i] * noise[i];
    }
    double scale = sqrt(s->noise * spec / nn);
    for (int64_t i = 0; i < M * N; i++) out->data[i] += scale * noise[i];
    free(noise);
  }
free_all:
  free(u);
  free(v);
  gsl_rng_free(rng);
  if (rc) wl_matrix_free(out);
  return rc;
}
