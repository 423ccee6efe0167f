/* Losses: thin wrappers that fix the averaging over the vectorized kernels. */
#include "loss.h"
#include "vmath.h"

double ae_loss_mse(float *dy, const float *y, const float *t, size_t n, double norm, int want_loss) {
  if (n == 0) return 0.0;
  return ae_v_mse(dy, y, t, n, (float)(1.0 / norm), want_loss) / norm;
}

double ae_loss_bce(float *dy, const float *p, const float *t, size_t n, double norm, int want_loss) {
  if (n == 0) return 0.0;
  return ae_v_bce_prob(dy, p, t, n, (float)(1.0 / norm), want_loss) / norm;
}

double ae_loss_bce_logits(float *dz, const float *z, const float *t, size_t n, double norm, int want_loss) {
  if (n == 0) return 0.0;
  return ae_v_bce_logits(dz, z, t, n, (float)(1.0 / norm), want_loss) / norm;
}

const char *ae_loss_name(int kind) { return kind == AE_LOSS_BCE ? "bce" : "mse"; }
