/* Losses: the element-wise kernels with their averaging, and the kinds. */
#include "loss.h"
#include "layers.h"
#include "vmath.h"

#include <math.h>
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

/* Softmax cross-entropy from logits, in one pass per row so no probability
 * is ever rounded to 0 before its log:
 *   loss_r = log Σ_j exp(z_j − m) + m − z_t     (m = max_j z_j, t = label)
 *   dz_j   = (softmax(z)_j − [j = t]) / norm
 * Labels are 0-based class indices stored as floats (checked by the model
 * before a step: whole numbers in 0..C−1). */
double ae_loss_softmax_ce(float *dz, const float *z, const float *labels, int rows, int C, double norm, int want) {
  double s = 0.0;
  float inv = (float)(1.0 / norm);
  for (int r = 0; r < rows; r++) {
    const float *x = z + (size_t)r * C;
    int t = (int)labels[r];
    float mx = x[0];
    for (int j = 1; j < C; j++) mx = x[j] > mx ? x[j] : mx;
    double sum = 0.0;
    for (int j = 0; j < C; j++) sum += (double)ae_expf(x[j] - mx);
    if (want) s += log(sum) + (double)mx - (double)x[t];
    if (dz) {
      float *d = dz + (size_t)r * C, k = (float)(1.0 / sum);
      for (int j = 0; j < C; j++) d[j] = ae_expf(x[j] - mx) * k * inv;
      d[t] -= inv;
    }
  }
  return want ? s / norm : 0.0;
}

int ae_loss_check_labels(const float *labels, size_t n, int C, const char *who, ae_error_t *e) {
  if (C < 2)
    return ae_fail(e, AE_EARG,
                   "%s: cross_entropy needs 2 or more classes but the output has %d value%s per row; end the model "
                   "with Dense(..., C) (or Dense then Softmax), C the number of classes",
                   who, C, C == 1 ? "" : "s");
  if (n == 0) return ae_fail(e, AE_EARG, "%s: no labels (0 rows): give at least one sample", who);
  for (size_t i = 0; i < n; i++) {
    float v = labels[i];
    if (!(v >= 0.0f && v <= (float)(C - 1) && v == floorf(v)))
      return ae_fail(e, AE_EARG,
                     "%s: label %g in row %zu is not a class 0..%d: labels are 0-based whole numbers, one per row "
                     "(as ae.data's y holds them), and the output has %d classes; shift 1-based labels by 1, or "
                     "give the last layer one output per class",
                     who, (double)v, i + 1, C - 1, C);
  }
  return AE_OK;
}

/* Rows of C logits against one label each, averaged over the batch's B rows.
 * The same function serves a model that ends in logits (value) and one that
 * ends in Softmax (fused: the model hands over the Softmax's input). */
static double ce_value(const ae_loss_t *loss, float *dz, const float *z, const float *t, int rows, int cols, int B,
                       int want) {
  (void)loss;
  return ae_loss_softmax_ce(dz, z, t, rows, cols, (double)B, want);
}

static int ce_target_cols(const ae_loss_t *loss, int cols) {
  (void)loss;
  (void)cols;
  return 1;
}

const ae_loss_ops_t ae_loss_mse_ops = {.name = "mse", .value = mse_value, .fuses = -1};
const ae_loss_ops_t ae_loss_bce_ops = {.name = "bce", .value = bce_value, .fuses = AE_ACT_SIGMOID, .fused = bce_fused};

const ae_loss_ops_t ae_loss_mse_sum_ops = {.name = "mse_sum", .value = mse_sum_value, .fuses = -1};
const ae_loss_ops_t ae_loss_bce_sum_ops = {
    .name = "bce_sum", .value = bce_sum_value, .fuses = AE_ACT_SIGMOID, .fused = bce_sum_fused};

const ae_loss_ops_t ae_loss_cross_entropy_ops = {.name = "cross_entropy",
                                                 .value = ce_value,
                                                 .fuses = AE_ACT_SOFTMAX,
                                                 .fused = ce_value,
                                                 .target_cols = ce_target_cols};

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
