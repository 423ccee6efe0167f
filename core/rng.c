/* xoshiro256** seeded through splitmix64, uniform and normal draws and
 * the fills built on them. The state is the caller's (no global here):
 * the host keeps one per Lua state. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) { return ae_rng_mix(*x += 0x9e3779b97f4a7c15ull); }

void ae_rng_seed(ae_rng_t *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
  r->has_spare = 0;
  r->spare = 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ae_rng_u64(ae_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

float ae_rng_uniform(ae_rng_t *r) { return (float)(ae_rng_u64(r) >> 40) * 0x1.0p-24f; }

float ae_rng_normal(ae_rng_t *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u1 = ((double)(ae_rng_u64(r) >> 11) + 1.0) * 0x1.0p-53; /* (0, 1]: log is finite */
  double u2 = (double)(ae_rng_u64(r) >> 11) * 0x1.0p-53;
  double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
  r->spare = (float)(rad * sin(th));
  r->has_spare = 1;
  return (float)(rad * cos(th));
}

uint32_t ae_rng_below(ae_rng_t *r, uint32_t n) {
  /* Lemire's multiply-shift with rejection. */
  uint64_t m = (uint64_t)(uint32_t)(ae_rng_u64(r) >> 32) * n;
  uint32_t low = (uint32_t)m;
  if (low < n) {
    uint32_t threshold = -n % n;
    while (low < threshold) {
      m = (uint64_t)(uint32_t)(ae_rng_u64(r) >> 32) * n;
      low = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

void ae_rng_fill_uniform(ae_rng_t *r, float *x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * ae_rng_uniform(r);
}

void ae_rng_fill_normal(ae_rng_t *r, float *x, size_t n, float mean, float std) {
  for (size_t i = 0; i < n; i++) x[i] = mean + std * ae_rng_normal(r);
}

void ae_rng_permutation(ae_rng_t *r, int32_t *p, int n) {
  for (int i = 0; i < n; i++) p[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)ae_rng_below(r, (uint32_t)i + 1);
    int32_t t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
}
