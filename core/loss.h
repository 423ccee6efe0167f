/* Losses, averaged over every element (Keras' and Torch's default).
 *
 *   y, t, dy: (B, N)   loss = 1/(B·N) Σ ℓ(y, t)
 *
 * BCE from logits is what a model that ends in Sigmoid trains with: it never
 * takes log(0) and its gradient, σ(z) − t, needs no division. */
#ifndef AE_LOSS_H
#define AE_LOSS_H

#include <stddef.h>

enum { AE_LOSS_MSE, AE_LOSS_BCE };

/* Over n elements, averaged over `norm` elements (n, or the whole batch when
 * a thread does part of it): dy = ∂loss/∂y (may be NULL); returns the loss
 * when want_loss, else 0. */
double ae_loss_mse(float *dy, const float *y, const float *t, size_t n, double norm, int want_loss);
double ae_loss_bce(float *dy, const float *p, const float *t, size_t n, double norm, int want_loss);
double ae_loss_bce_logits(float *dz, const float *z, const float *t, size_t n, double norm, int want_loss);
const char *ae_loss_name(int kind);

#endif
