/* Penalties on a layer's activations: L1, KL sparsity, contractive. Each
 * kind is an ae_penalty_ops_t (its checks and its hooks into a model's step,
 * in penalty.c) over the kernels below; the model's step calls the hooks and
 * knows no kind.
 *
 *   a, h, z, da, dz: (n, H) — the n rows of a batch of B rows a thread holds
 *   W: (H, IN), a Dense weight; dW the same shape
 *
 * Each penalty is averaged over the batch like the loss, so the parts that
 * threads compute on their rows add up to the batch's penalty; gradients
 * are added (+=) to the gradient flowing back at that layer.
 *
 *   L1           λ/B Σ_b Σ_j |a_bj|
 *   KL sparsity  β Σ_j KL(ρ ‖ ρ̂_j),  ρ̂_j = 1/B Σ_b a_bj over the WHOLE batch
 *                (or a ρ̂ held from outside: ae_penalty_hold_rho_hat),
 *                KL(ρ‖ρ̂) = ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂))
 *   contractive  λ/B Σ_b ‖J_b‖²_F for h = s(z), z = W x + b: J = diag(s'(z)) W, so
 *                ‖J‖²_F = Σ_j s'(z_j)² ‖W_j‖² (closed form, exact gradient). */
#ifndef AE_PENALTY_H
#define AE_PENALTY_H

#include "ae.h"

struct ae_model;
typedef struct ae_penalty ae_penalty_t;

typedef struct ae_penalty_ops {
  const char *name; /* "kl_sparsity": what Lua passes */
  /* "kl_sparsity(rho=0.05, beta=3)" */
  void (*describe)(const ae_penalty_t *p, char *buf, size_t n);
  /* Checks what the kind needs around p->layer (KL: a Sigmoid) and sets
   * p->at, the activations act[at] whose gradient the penalty adds to. */
  int (*attach)(ae_penalty_t *p, const struct ae_model *m, ae_error_t *e);
  /* Optional: floats of scratch the hooks use, for `threads` threads. */
  size_t (*scratch)(const ae_penalty_t *p, const struct ae_model *m, int threads);
  /* Optional, once per step: the batch-level part of the penalty (returned)
   * and what every row's backward needs, into scratch. With `needs_batch`
   * it reads every row's forward (KL's ρ̂), so the threads meet before it;
   * otherwise it runs before the forward. */
  double (*prepare)(const ae_penalty_t *p, const struct ae_model *m, float *scratch, int B);
  int needs_batch;
  /* Rows [lo, hi) of a batch of B: adds the penalty's gradient to d, the
   * gradient at act[at] of those rows, and to G (this thread's gradient
   * block, laid out like the model's arena); returns their share. */
  double (*backward)(const ae_penalty_t *p, const struct ae_model *m, float *scratch, float *d, int lo, int hi,
                     int B, float *G, int thread);
} ae_penalty_ops_t;

struct ae_penalty {
  const ae_penalty_ops_t *ops; /* NULL: no penalty */
  int layer;    /* the activations penalized are the output of layer `layer` (1-based; 0: the code) */
  float weight; /* the term's weight: λ of L1 and contractive, β of KL */
  float rho;    /* KL: the target mean activation ρ */
  int at;       /* set by attach: the hook point (see ops->attach) */
};

/* The catalogue: every kind (these three are defined in penalty.c, a new
 * kind in a file of its own) with its declaration and its place in this list. */
extern const ae_penalty_ops_t ae_penalty_l1_ops, ae_penalty_kl_ops, ae_penalty_contractive_ops;
#define AE_PENALTY_CATALOGUE &ae_penalty_l1_ops, &ae_penalty_kl_ops, &ae_penalty_contractive_ops

/* The kind named `name`, or NULL with an error that lists the kinds. */
const ae_penalty_ops_t *ae_penalty_find(const char *name, ae_error_t *e);
/* "none" when p has no kind. */
const char *ae_penalty_name(const ae_penalty_t *p, char *buf, size_t len);
/* Checks p against m (layer in 1..n-1, 0 meaning the code; the weight ≥ 0;
 * what the kind needs) and makes it m's penalty; a kind of NULL removes it. */
int ae_penalty_attach(struct ae_model *m, const ae_penalty_t *p, ae_error_t *e);

/* L1: returns this part's penalty, da += λ/B · sign(a). */
double ae_penalty_l1(float *da, const float *a, int n, int H, int B, float lambda);

/* KL, in two phases because ρ̂ needs every row of the batch:
 * prepare computes ρ̂ (clamped to [1e-6, 1−1e-6]) from all B rows of a and
 * g_j = ∂penalty/∂a_bj = β/B (−ρ/ρ̂_j + (1−ρ)/(1−ρ̂_j)) (the same for every
 * row), and returns the penalty; backward adds g to each of n rows of da.
 * rho_hat may be NULL. */
double ae_penalty_kl_prepare(float *g, float *rho_hat, const float *a, int B, int H, float rho, float beta);
void ae_penalty_kl_backward(float *da, const float *g, int n, int H);
/* The same g and penalty from a ρ̂ given (H values), not the batch's. */
double ae_penalty_kl_held(float *g, const float *rho_hat, int B, int H, float rho, float beta);
/* ... and from ρ̂_j = the batch's mean of a + offset[j]. */
double ae_penalty_kl_offset(float *g, const float *a, const float *offset, int B, int H, float rho, float beta);
/* KL with ρ̂ over more than a batch (the slides' ρ̂: the whole training set):
 * the model keeps a copy of rho_hat (H = the penalized layer's width) and its
 * steps use it instead of the batch's mean, until the next call, a NULL
 * rho_hat (back to the batch's) or another ae_penalty_attach. The gradient
 * is then that of β Σ_j KL(ρ‖ρ̂_j) with ρ̂ the mean over the set it came from,
 * as long as the weights have not moved since it was measured.
 * With `offset`, rho_hat is instead added to each batch's own mean (values in
 * [-1, 1]): ρ̂ = offset + mean of the batch, so the estimate follows the
 * weights within the step (a control variate: offset = the set's mean minus
 * the same rows' mean, both measured earlier). */
int ae_penalty_hold_rho_hat(struct ae_model *m, const float *rho_hat, int H, int offset, ae_error_t *e);

/* Contractive, for a Dense (W) followed by an element-wise activation act
 * (AE_ACT_SIGMOID, TANH, RELU, LEAKY_RELU, IDENTITY; slope for LeakyReLU).
 * wn (H) = squared norms of W's rows, computed once per step by _norms.
 * Returns this part's penalty; dz += ∂/∂z (z: the pre-activations);
 * dW += 2λ/B · W_ji · Σ_b s'(z_bj)²; colsum (H) is scratch. */
void ae_penalty_contractive_norms(float *wn, const float *W, int H, int IN);
double ae_penalty_contractive(float *dz, float *dW, float *colsum, const float *z, const float *h, const float *W,
                              const float *wn, int n, int H, int IN, int B, int act, float slope, float lambda);

#endif
