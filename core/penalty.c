/* Activity and contractive penalties, forward and backward together (see penalty.h). */
#include "penalty.h"
#include "layer.h"

#include <math.h>
#include <stdio.h>

const char *ae_penalty_name(const ae_penalty_t *p, char *buf, size_t len) {
  switch (p->kind) {
  case AE_PENALTY_L1: snprintf(buf, len, "l1(lambda=%g)", (double)p->lambda); break;
  case AE_PENALTY_KL: snprintf(buf, len, "kl_sparsity(rho=%g, beta=%g)", (double)p->rho, (double)p->lambda); break;
  case AE_PENALTY_CONTRACTIVE: snprintf(buf, len, "contractive(lambda=%g)", (double)p->lambda); break;
  default: snprintf(buf, len, "none");
  }
  return buf;
}

double ae_penalty_l1(float *da, const float *a, int n, int H, int B, float lambda) {
  size_t N = (size_t)n * H;
  float s = lambda / (float)B;
  double sum = 0;
  for (size_t i = 0; i < N; i++) {
    sum += fabsf(a[i]);
    da[i] += a[i] > 0.0f ? s : a[i] < 0.0f ? -s : 0.0f;
  }
  return (double)lambda * sum / B;
}

#define RHO_MIN 1e-6

double ae_penalty_kl_prepare(float *g, float *rho_hat, const float *a, int B, int H, float rho, float beta) {
  /* column sums in row order: the same for any thread split */
  for (int j = 0; j < H; j++) g[j] = 0.0f;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) g[j] += a[(size_t)b * H + j];
  double loss = 0;
  for (int j = 0; j < H; j++) {
    double r = g[j] / (double)B;
    r = r < RHO_MIN ? RHO_MIN : r > 1 - RHO_MIN ? 1 - RHO_MIN : r;
    if (rho_hat) rho_hat[j] = (float)r;
    loss += rho * log(rho / r) + (1 - rho) * log((1 - rho) / (1 - r));
    g[j] = (float)(beta / B * (-rho / r + (1 - rho) / (1 - r)));
  }
  return beta * loss;
}

void ae_penalty_kl_backward(float *da, const float *g, int n, int H) {
  for (int b = 0; b < n; b++)
    for (int j = 0; j < H; j++) da[(size_t)b * H + j] += g[j];
}

void ae_penalty_contractive_norms(float *wn, const float *W, int H, int IN) {
  for (int j = 0; j < H; j++) {
    float s = 0.0f;
    for (int i = 0; i < IN; i++) s += W[(size_t)j * IN + i] * W[(size_t)j * IN + i];
    wn[j] = s;
  }
}

double ae_penalty_contractive(float *dz, float *dW, float *colsum, const float *z, const float *h, const float *W,
                              const float *wn, int n, int H, int IN, int B, int act, float slope, float lambda) {
  float c = lambda / (float)B;
  double sum = 0;
  for (int j = 0; j < H; j++) colsum[j] = 0.0f;
  for (int b = 0; b < n; b++) {
    const float *zb = z + (size_t)b * H, *hb = h + (size_t)b * H;
    float *db = dz + (size_t)b * H;
    float rowsum = 0.0f;
    for (int j = 0; j < H; j++) {
      /* s' = ds/dz and q = d(s'²)/dz, through the output where that is cheaper */
      float d, q;
      switch (act) {
      case AE_ACT_SIGMOID: d = hb[j] * (1.0f - hb[j]); q = 2.0f * d * d * (1.0f - 2.0f * hb[j]); break;
      case AE_ACT_TANH: d = 1.0f - hb[j] * hb[j]; q = -4.0f * hb[j] * d * d; break;
      case AE_ACT_RELU: d = zb[j] > 0.0f ? 1.0f : 0.0f; q = 0.0f; break;
      case AE_ACT_LEAKY_RELU: d = zb[j] > 0.0f ? 1.0f : slope; q = 0.0f; break;
      default: d = 1.0f; q = 0.0f;
      }
      rowsum += d * d * wn[j];
      colsum[j] += d * d;
      db[j] += c * q * wn[j];
    }
    sum += rowsum;
  }
  for (int j = 0; j < H; j++) {
    float k = 2.0f * c * colsum[j];
    if (k == 0.0f) continue;
    for (int i = 0; i < IN; i++) dW[(size_t)j * IN + i] += k * W[(size_t)j * IN + i];
  }
  return (double)lambda * sum / B;
}
