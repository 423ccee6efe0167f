/* Losses: a small interface, one entry per kind, found by name.
 *
 *   y, t, dy: (rows, cols) — rows of a batch of B rows (a thread may hold a
 *   part); a kind averages over the whole batch, so the parts add up.
 *
 * MSE and BCE average over every element (Keras' and Torch's default);
 * mse_sum and bce_sum sum over a sample's values and average over samples
 * (a VAE's reconstruction term, in nats per sample for BCE).
 * BCE from logits is what a model that ends in Sigmoid trains with: it never
 * takes log(0) and its gradient, σ(z) − t, needs no division. A new kind
 * is one more ae_loss_ops_t and a line in the catalogue below; the model's
 * step calls it through this interface.
 * cross_entropy is softmax cross-entropy over classes: the output is C
 * logits per row (a final Softmax is taken over, as BCE takes a Sigmoid),
 * the target one 0-based class label per row, as ae.data's y holds them. */
#ifndef AE_LOSS_H
#define AE_LOSS_H

#include "ae.h"

typedef struct ae_loss ae_loss_t;

typedef struct ae_loss_ops {
  const char *name; /* "mse": what Lua passes */
  /* dy = ∂(batch loss)/∂y for these rows (dy may be NULL); returns their
   * share of the batch loss when want, else 0. */
  double (*value)(const ae_loss_t *loss, float *dy, const float *y, const float *t, int rows, int cols, int B,
                  int want);
  /* The activation (AE_ACT_*) of a last layer this loss takes over, or -1:
   * the model then skips that layer in training and calls `fused` on its
   * input (BCE on a Sigmoid's logits). */
  int fuses;
  double (*fused)(const ae_loss_t *loss, float *dz, const float *z, const float *t, int rows, int cols, int B,
                  int want);
  /* Optional: values per target row for outputs of `cols` values (class
   * labels: 1); NULL: cols, a target shaped like the output. */
  int (*target_cols)(const ae_loss_t *loss, int cols);
} ae_loss_ops_t;

/* A loss as a model holds it: its kind (and the fields a kind's options
 * will need: none of MSE and BCE has any). */
struct ae_loss {
  const ae_loss_ops_t *ops;
};

/* The catalogue: every kind (MSE and BCE are defined in loss.c, a new kind
 * in a file of its own) with its declaration and its place in this list. */
extern const ae_loss_ops_t ae_loss_mse_ops, ae_loss_bce_ops, ae_loss_mse_sum_ops, ae_loss_bce_sum_ops,
    ae_loss_cross_entropy_ops;
#define AE_LOSS_CATALOGUE                                                                                              \
  &ae_loss_mse_ops, &ae_loss_bce_ops, &ae_loss_mse_sum_ops, &ae_loss_bce_sum_ops, &ae_loss_cross_entropy_ops

/* The kind named `name`, or NULL with an error that lists the kinds. */
const ae_loss_ops_t *ae_loss_find(const char *name, ae_error_t *e);

/* The element-wise kernels the kinds are made of, over n elements averaged
 * over `norm` (n, or the whole batch's count when a thread does part). */
double ae_loss_mse(float *dy, const float *y, const float *t, size_t n, double norm, int want_loss);
double ae_loss_bce(float *dy, const float *p, const float *t, size_t n, double norm, int want_loss);
double ae_loss_bce_logits(float *dz, const float *z, const float *t, size_t n, double norm, int want_loss);
/* Softmax cross-entropy of rows of C logits against 0-based class labels
 * (one float per row, a whole number in 0..C−1), summed over rows and
 * divided by norm; dz (may be NULL) = (softmax(z) − one-hot(label)) / norm. */
double ae_loss_softmax_ce(float *dz, const float *z, const float *labels, int rows, int C, double norm, int want);
/* The one check of class labels, used wherever labels come in (a model's
 * step, ae.cross_entropy, fit): n ≥ 1 labels, each a whole number in
 * 0..C−1, C ≥ 2. The error starts with `who` and says how to fix it. */
int ae_loss_check_labels(const float *labels, size_t n, int C, const char *who, ae_error_t *e);

#endif
