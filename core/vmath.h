/* Element-wise kernels that decide the speed of a training step.
 *
 * glibc's expf/log1pf are scalar unless -ffast-math (which also drops NaN
 * checks), so this file carries its own branch-free exp and log that GCC
 * vectorizes, compiled for AVX-512, AVX2 and baseline x86-64 (target_clones,
 * picked at load time). Each function splits its range over ae_threads()
 * OpenMP threads when the range is large; results do not depend on timing. */
#ifndef AE_VMATH_H
#define AE_VMATH_H

#include <stddef.h>

float ae_expf(float x); /* scalar versions, for tests and odd spots */
float ae_logf(float x);

void ae_v_sigmoid(float *y, const float *x, size_t n);
void ae_v_tanh(float *y, const float *x, size_t n);
/* dx = dy · y(1-y) */
void ae_v_sigmoid_backward(float *dx, const float *y, const float *dy, size_t n);
void ae_v_tanh_backward(float *dx, const float *y, const float *dy, size_t n);
void ae_v_relu(float *y, const float *x, size_t n, float slope);
/* Box-Muller: z0[i] = r·cos θ, z1[i] = r·sin θ with r = √(−2 ln u[i]),
 * θ = 2π·v[i] − π; u in (0, 1], v in [0, 1). One thread (callers split rows). */
void ae_v_box_muller(float *z0, float *z1, const float *u, const float *v, size_t n);
/* y = clip(x + scale·z, lo, hi); one thread. */
void ae_v_add_clip(float *y, const float *x, const float *z, size_t n, float scale, float lo, float hi);
void ae_v_relu_backward(float *dx, const float *x, const float *dy, size_t n, float slope);

/* Binary cross-entropy from logits z against targets t:
 *   dz = scale·(σ(z) − t),  loss = Σ max(z,0) − z·t + log(1 + e^−|z|)
 * The sum is returned only when want_loss (it costs a log per element). */
double ae_v_bce_logits(float *dz, const float *z, const float *t, size_t n, float scale,
                       int want_loss);
/* The same on probabilities p (clamped to [1e-7, 1−1e-7] as Keras does). */
double ae_v_bce_prob(float *dp, const float *p, const float *t, size_t n, float scale,
                     int want_loss);
/* MSE: d = scale·2(y − t), returns Σ (y − t)². */
double ae_v_mse(float *dy, const float *y, const float *t, size_t n, float scale, int want_loss);

/* Adam on a flat parameter array; bc1/bc2 are the bias corrections 1-β^t. */
void ae_v_adam(float *w, const float *g, float *m, float *v, size_t n, float lr, float b1, float b2,
               float eps, float bc1, float bc2, float weight_decay);
/* SGD with momentum (optionally Nesterov) on a flat parameter array. */
void ae_v_sgd(float *w, const float *g, float *vel, size_t n, float lr, float momentum, int nesterov,
              float weight_decay);

#endif
