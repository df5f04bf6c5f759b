/* Seeded multi-start randomized greedy, after opt_einsum's RandomGreedy: each trial builds a
 * tree greedily, scoring a candidate pair (two operands sharing a non-output index) as
 * opt_einsum does, by the elements it removes (result minus operands) with a 1% Gaussian
 * jitter, and picks among the NBRANCH best by Boltzmann sampling, weight
 * exp(-(c - c_min) / max(1, |c_min|)). Trial 0 is the plain greedy (no jitter, lowest score,
 * first pair on ties). With no pair left sharing an index, the two smallest operands are
 * joined (outer products). Trial t draws from its own stream (splitmix64 of seed and t), so a
 * seed and a trial count give the same trees on every machine. */
#include <math.h>
#include <string.h>

#include "common/heat_rng.h"
#include "mapper/path_internal.h"

#define NBRANCH 8

static double uniform01(uint64_t *rng) {
  return (double)(heat_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately normal (Irwin-Hall: four uniforms, mean 2, variance 1/3): a jitter needs no
 * exact tails, and this is several times cheaper than Box-Muller in the innermost loop. */
static double gauss(uint64_t *rng, double mean, double sd) {
  double s = 0.0;
  for (int i = 0; i < 4; i++) s += uniform01(rng);
  return mean + sd * (s - 2.0) * 1.7320508075688772;
}

static double product(const double *size, uint64_t mask) {
  double p = 1.0;
  for (; mask; mask &= mask - 1) p *= size[__builtin_ctzll(mask)];
  return p;
}

typedef struct candidate {
  double score;
  int i, j;
} candidate;

/* Keeps the NBRANCH lowest scores, in ascending order (ties: first found first). */
static void keep_best(candidate *best, int *n_best, candidate c) {
  int k = *n_best;
  if (k == NBRANCH) {
    if (!(c.score < best[NBRANCH - 1].score)) return;
    k = NBRANCH - 1;
  } else {
    (*n_best)++;
  }
  while (k > 0 && c.score < best[k - 1].score) {
    best[k] = best[k - 1];
    k--;
  }
  best[k] = c;
}

static void trial(const path_live *lv, uint64_t *rng, bool randomize, path_ltree *t) {
  size_t k = lv->n;
  uint64_t legs[TN_MAX_OPERANDS];
  int node[TN_MAX_OPERANDS];
  double size[TN_MAX_OPERANDS];
  int count[64] = {0};
  double bit_size[64];
  for (int b = 0; b < 64; b++) bit_size[b] = (double)lv->size[b];
  for (size_t i = 0; i < k; i++) {
    legs[i] = lv->legs[i];
    node[i] = (int)i;
    size[i] = (double)path__live_product(lv, legs[i]);
    for (uint64_t m = legs[i]; m; m &= m - 1) count[__builtin_ctzll(m)]++;
  }
  t->n_steps = 0;
  while (k > 1) {
    uint64_t c2 = 0, c3 = 0; /* letters held by at least 2 (3) live operands */
    for (int b = 0; b < 64; b++) {
      if (count[b] >= 2) c2 |= UINT64_C(1) << b;
      if (count[b] >= 3) c3 |= UINT64_C(1) << b;
    }
    candidate best[NBRANCH];
    int n_best = 0;
    for (size_t i = 0; i < k; i++)
      for (size_t j = i + 1; j < k; j++) {
        if (!(legs[i] & legs[j] & ~lv->out)) continue;
        uint64_t either = legs[i] | legs[j], two = legs[i] & legs[j], one = either ^ two;
        uint64_t k12 = (either & lv->out) | (two & c3) | (one & c2);
        double score = product(bit_size, k12) - size[i] - size[j];
        if (randomize) score *= gauss(rng, 1.0, 0.01);
        keep_best(best, &n_best, (candidate){score, (int)i, (int)j});
      }
    int ci, cj;
    if (n_best == 0) {
      /* Outer products: the two smallest operands (the first on ties). */
      ci = -1;
      cj = -1;
      for (size_t i = 0; i < k; i++) {
        if (ci < 0 || size[i] < size[ci]) {
          cj = ci;
          ci = (int)i;
        } else if (cj < 0 || size[i] < size[cj]) {
          cj = (int)i;
        }
      }
      if (ci > cj) {
        int x = ci;
        ci = cj;
        cj = x;
      }
    } else {
      int pick = 0;
      if (randomize && n_best > 1) {
        double cmin = best[0].score, temp = fabs(cmin) > 1.0 ? fabs(cmin) : 1.0, w[NBRANCH],
               sum = 0.0;
        for (int c = 0; c < n_best; c++) sum += w[c] = exp(-(best[c].score - cmin) / temp);
        double r = uniform01(rng) * sum;
        for (pick = 0; pick < n_best - 1 && r >= w[pick]; pick++) r -= w[pick];
      }
      ci = best[pick].i;
      cj = best[pick].j;
    }
    uint64_t needed = lv->out;
    for (size_t x = 0; x < k; x++)
      if ((int)x != ci && (int)x != cj) needed |= legs[x];
    uint64_t r = (legs[ci] | legs[cj]) & needed;
    for (uint64_t m = legs[ci]; m; m &= m - 1) count[__builtin_ctzll(m)]--;
    for (uint64_t m = legs[cj]; m; m &= m - 1) count[__builtin_ctzll(m)]--;
    for (uint64_t m = r; m; m &= m - 1) count[__builtin_ctzll(m)]++;
    size_t s = t->n_steps++;
    t->a[s] = node[ci];
    t->b[s] = node[cj];
    /* Remove cj then ci (cj > ci), append the result. */
    memmove(&legs[cj], &legs[cj + 1], (k - (size_t)cj - 1) * sizeof *legs);
    memmove(&node[cj], &node[cj + 1], (k - (size_t)cj - 1) * sizeof *node);
    memmove(&size[cj], &size[cj + 1], (k - (size_t)cj - 1) * sizeof *size);
    memmove(&legs[ci], &legs[ci + 1], (k - (size_t)ci - 2) * sizeof *legs);
    memmove(&node[ci], &node[ci + 1], (k - (size_t)ci - 2) * sizeof *node);
    memmove(&size[ci], &size[ci + 1], (k - (size_t)ci - 2) * sizeof *size);
    k--;
    legs[k - 1] = r;
    node[k - 1] = (int)(lv->n + s);
    size[k - 1] = (double)path__live_product(lv, r);
  }
  path__ltree_cost(lv, t);
}

static bool same_tree(const path_ltree *t, const path_ltree *u) {
  return t->n_steps == u->n_steps && !memcmp(t->a, u->a, t->n_steps * sizeof *t->a) &&
         !memcmp(t->b, u->b, t->n_steps * sizeof *t->b);
}

size_t path__random_greedy(const path_live *lv, path_objective obj, uint64_t seed,
                           unsigned trials, path_ltree *best, size_t n_best) {
  size_t n = 0;
  for (unsigned r = 0; r < (trials ? trials : 1); r++) {
    uint64_t rng = seed ^ (UINT64_C(0x9e3779b97f4a7c15) * (r + 1));
    heat_rng_next(&rng);
    path_ltree t;
    trial(lv, &rng, r > 0, &t);
    /* Insert into the sorted list of distinct best trees (earlier trials first on ties). */
    bool dup = false;
    for (size_t c = 0; c < n && !dup; c++) dup = same_tree(&t, &best[c]);
    if (dup) continue;
    size_t k = n;
    if (n == n_best) {
      if (!path__ltree_better(obj, &t, &best[n_best - 1])) continue;
      k = n_best - 1;
    } else {
      n++;
    }
    while (k > 0 && path__ltree_better(obj, &t, &best[k - 1])) {
      best[k] = best[k - 1];
      k--;
    }
    best[k] = t;
  }
  return n;
}
