/* Input corruption: Gaussian, masking, salt-and-pepper (see noise.h). */
#include "noise.h"
#include "rng.h"
#include "vmath.h"

#include <math.h>
#include <stdio.h>

int ae_noise_check(const ae_noise_t *n, ae_error_t *e) {
  char buf[64];
  if (n->kind < AE_NOISE_NONE || n->kind > AE_NOISE_SALT_PEPPER)
    return ae_fail(e, AE_EARG, "noise: unknown kind %d", n->kind);
  if (n->kind == AE_NOISE_NONE) return AE_OK;
  if (!(n->level >= 0.0f) || (n->kind != AE_NOISE_GAUSSIAN && n->level > 1.0f))
    return ae_fail(e, AE_EARG, "noise %s: level %g outside %s", ae_noise_name(n, buf, sizeof buf), (double)n->level,
                   n->kind == AE_NOISE_GAUSSIAN ? "[0, ∞)" : "[0, 1]");
  if (!(n->lo <= n->hi))
    return ae_fail(e, AE_EARG, "noise %s: data range [%g, %g] is empty", ae_noise_name(n, buf, sizeof buf),
                   (double)n->lo, (double)n->hi);
  return AE_OK;
}

const char *ae_noise_name(const ae_noise_t *n, char *buf, size_t len) {
  switch (n->kind) {
  case AE_NOISE_GAUSSIAN: snprintf(buf, len, "gaussian(std=%g)", (double)n->level); break;
  case AE_NOISE_MASKING: snprintf(buf, len, "masking(p=%g)", (double)n->level); break;
  case AE_NOISE_SALT_PEPPER: snprintf(buf, len, "salt_pepper(p=%g)", (double)n->level); break;
  default: snprintf(buf, len, "none");
  }
  return buf;
}

static float clip(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* y = clip(x + std·N(0,1)) for D values, in blocks: uniforms from the row's
 * generator (two 24-bit ones per draw), then Box-Muller and the clip in
 * vectorized loops (vmath.c). The scalar polar method cost a third of a
 * 784-256-784 training step; this is a few times cheaper. */
#define GBLOCK 128 /* pairs per block */
static void gaussian_row(float *y, const float *x, size_t D, float std, float lo, float hi, ae_rng_t *g) {
  float u[GBLOCK], v[GBLOCK], z[2 * GBLOCK];
  for (size_t j0 = 0; j0 < D; j0 += 2 * GBLOCK) {
    size_t m = D - j0 < 2 * GBLOCK ? D - j0 : 2 * GBLOCK, pairs = (m + 1) / 2;
    for (size_t k = 0; k < pairs; k++) {
      uint64_t r = ae_rng_u64(g);
      u[k] = (float)((r >> 40) + 1) * 0x1.0p-24f; /* (0, 1]: log stays finite */
      v[k] = (float)((r >> 16) & 0xffffff) * 0x1.0p-24f;
    }
    /* the block's first `pairs` values take the cosines, the rest the sines */
    ae_v_box_muller(z, z + pairs, u, v, pairs);
    ae_v_add_clip(y + j0, x + j0, z, m, std, lo, hi);
  }
}

void ae_noise_apply(const ae_noise_t *n, float *out, const float *in, int B, size_t D, uint64_t seed, int row0) {
  float lo = n->lo, hi = n->hi, p = n->level;
  for (int r = 0; r < B; r++) {
    const float *x = in + (size_t)r * D;
    float *y = out + (size_t)r * D;
    ae_rng_t g;
    /* one stream per absolute row: the split over threads does not matter */
    ae_rng_seed(&g, seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(row0 + r + 1)));
    switch (n->kind) {
    case AE_NOISE_GAUSSIAN:
      gaussian_row(y, x, D, p, lo, hi, &g);
      break;
    case AE_NOISE_MASKING: {
      float zero = clip(0.0f, lo, hi);
      for (size_t j = 0; j < D; j += 2) { /* two 24-bit uniforms per draw */
        uint64_t r64 = ae_rng_u64(&g);
        y[j] = (float)(r64 >> 40) * 0x1.0p-24f < p ? zero : x[j];
        if (j + 1 < D) y[j + 1] = (float)((r64 >> 8) & 0xffffff) * 0x1.0p-24f < p ? zero : x[j + 1];
      }
      break;
    }
    case AE_NOISE_SALT_PEPPER:
      for (size_t j = 0; j < D; j += 2) {
        uint64_t r64 = ae_rng_u64(&g);
        float u = (float)(r64 >> 40) * 0x1.0p-24f, v = (float)((r64 >> 8) & 0xffffff) * 0x1.0p-24f;
        y[j] = u < p ? (u < 0.5f * p ? lo : hi) : x[j];
        if (j + 1 < D) y[j + 1] = v < p ? (v < 0.5f * p ? lo : hi) : x[j + 1];
      }
      break;
    default:
      if (y != x)
        for (size_t j = 0; j < D; j++) y[j] = x[j];
    }
  }
}
