/* A small seeded generator (splitmix64) for reproducible random test cases and benchmark
 * inputs: the same seed gives the same sequence on every platform. Not for statistics. */
#ifndef HEAT_RNG_H
#define HEAT_RNG_H

#include <stdint.h>

static inline uint64_t heat_rng_next(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* An integer in [lo, hi] (modulo bias is irrelevant for test-case generation). */
static inline int heat_rng_int(uint64_t *state, int lo, int hi) {
  return lo + (int)(heat_rng_next(state) % (uint64_t)(hi - lo + 1));
}

#endif
