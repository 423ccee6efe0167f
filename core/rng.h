/* The one random generator (xoshiro256**, seeded through splitmix64).
 * State is explicit; the host keeps one per Lua state and seeds it with --seed. */
#ifndef AE_RNG_H
#define AE_RNG_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64's finalizer: a 64-bit hash, for seeding and for masks that
 * are a function of their position (Dropout). */
static inline uint64_t ae_rng_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

typedef struct ae_rng {
  uint64_t s[4];
  int has_spare; /* Box-Muller makes normals in pairs */
  float spare;
} ae_rng_t;

void ae_rng_seed(ae_rng_t *r, uint64_t seed);
uint64_t ae_rng_u64(ae_rng_t *r);
float ae_rng_uniform(ae_rng_t *r); /* [0, 1) */
float ae_rng_normal(ae_rng_t *r);  /* mean 0, std 1 */
/* Integer in [0, n), without modulo bias. */
uint32_t ae_rng_below(ae_rng_t *r, uint32_t n);
void ae_rng_fill_uniform(ae_rng_t *r, float *x, size_t n, float lo, float hi);
void ae_rng_fill_normal(ae_rng_t *r, float *x, size_t n, float mean, float std);
/* A random permutation of 0..n-1 (Fisher-Yates). */
void ae_rng_permutation(ae_rng_t *r, int32_t *p, int n);

#endif
