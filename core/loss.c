/* Losses: the element-wise kernels with their averaging, and the kinds. */
#include "loss.h"
#include "layers.h"
#include "vmath.h"

#include <stdio.h>
#include <string.h>

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

/* The kinds: rows of `cols` values of a batch of B rows, averaged per element. */
static double mse_value(const ae_loss_t *loss, float *dy, const float *y, const float *t, int rows, int cols, int B,
                        int want) {
  (void)loss;
  return ae_loss_mse(dy, y, t, (size_t)rows * cols, (double)B * cols, want);
}

static double bce_value(const ae_loss_t *loss, float *dy, const float *p, const float *t, int rows, int cols, int B,
                        int want) {
  (void)loss;
  return ae_loss_bce(dy, p, t, (size_t)rows * cols, (double)B * cols, want);
}

static double bce_fused(const ae_loss_t *loss, float *dz, const float *z, const float *t, int rows, int cols, int B,
                        int want) {
  (void)loss;
  return ae_loss_bce_logits(dz, z, t, (size_t)rows * cols, (double)B * cols, want);
}

/* The _sum kinds sum over a sample's values and average over samples: a
 * VAE's reconstruction term as Keras and PyTorch write it (nats per image),
 * which the KL term is weighed against. Per-element averaging would weigh
 * the KL 784 times more on MNIST and give a different model. */
static double mse_sum_value(const ae_loss_t *loss, float *dy, const float *y, const float *t, int rows, int cols,
                            int B, int want) {
  (void)loss;
  return ae_loss_mse(dy, y, t, (size_t)rows * cols, (double)B, want);
}

static double bce_sum_value(const ae_loss_t *loss, float *dy, const float *p, const float *t, int rows, int cols,
                            int B, int want) {
  (void)loss;
  return ae_loss_bce(dy, p, t, (size_t)rows * cols, (double)B, want);
}

static double bce_sum_fused(const ae_loss_t *loss, float *dz, const float *z, const float *t, int rows, int cols,
                            int B, int want) {
  (void)loss;
  return ae_loss_bce_logits(dz, z, t, (size_t)rows * cols, (double)B, want);
}

const ae_loss_ops_t ae_loss_mse_ops = {.name = "mse", .value = mse_value, .fuses = -1};
const ae_loss_ops_t ae_loss_bce_ops = {.name = "bce", .value = bce_value, .fuses = AE_ACT_SIGMOID, .fused = bce_fused};

const ae_loss_ops_t ae_loss_mse_sum_ops = {.name = "mse_sum", .value = mse_sum_value, .fuses = -1};
const ae_loss_ops_t ae_loss_bce_sum_ops = {
    .name = "bce_sum", .value = bce_sum_value, .fuses = AE_ACT_SIGMOID, .fused = bce_sum_fused};

static const ae_loss_ops_t *const catalogue[] = {AE_LOSS_CATALOGUE};

const ae_loss_ops_t *ae_loss_find(const char *name, ae_error_t *e) {
  char list[256] = "";
  size_t n = sizeof catalogue / sizeof *catalogue;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(catalogue[i]->name, name) == 0) return catalogue[i];
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i ? ", " : "", catalogue[i]->name);
  }
  return ae_fail(e, AE_EARG, "unknown loss '%s' (the losses are %s)", name, list), NULL;
}
