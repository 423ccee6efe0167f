/* Penalties on a layer's activations: L1, KL sparsity, contractive.
 *
 *   a, h, z, da, dz: (n, H) — the n rows of a batch of B rows a thread holds
 *   W: (H, IN), a Dense weight; dW the same shape
 *
 * Each penalty is averaged over the batch like the loss, so the parts that
 * threads compute on their rows add up to the batch's penalty; gradients
 * are added (+=) to the gradient flowing back at that layer.
 *
 *   L1           λ/B Σ_b Σ_j |a_bj|
 *   KL sparsity  β Σ_j KL(ρ ‖ ρ̂_j),  ρ̂_j = 1/B Σ_b a_bj over the WHOLE batch,
 *                KL(ρ‖ρ̂) = ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂))
 *   contractive  λ/B Σ_b ‖J_b‖²_F for h = s(z), z = W x + b: J = diag(s'(z)) W, so
 *                ‖J‖²_F = Σ_j s'(z_j)² ‖W_j‖² (closed form, exact gradient). */
#ifndef AE_PENALTY_H
#define AE_PENALTY_H

#include "ae.h"

enum { AE_PENALTY_NONE, AE_PENALTY_L1, AE_PENALTY_KL, AE_PENALTY_CONTRACTIVE };

typedef struct ae_penalty {
  int kind;     /* AE_PENALTY_* */
  int layer;    /* the activations penalized are the output of layer `layer` (1-based) */
  float lambda; /* L1 and contractive: λ; KL: β */
  float rho;    /* KL: the target mean activation ρ */
} ae_penalty_t;

const char *ae_penalty_name(const ae_penalty_t *p, char *buf, size_t len); /* "kl_sparsity(rho=0.05, beta=3)" */

/* L1: returns this part's penalty, da += λ/B · sign(a). */
double ae_penalty_l1(float *da, const float *a, int n, int H, int B, float lambda);

/* KL, in two phases because ρ̂ needs every row of the batch:
 * prepare computes ρ̂ (clamped to [1e-6, 1−1e-6]) from all B rows of a and
 * g_j = ∂penalty/∂a_bj = β/B (−ρ/ρ̂_j + (1−ρ)/(1−ρ̂_j)) (the same for every
 * row), and returns the penalty; backward adds g to each of n rows of da.
 * rho_hat may be NULL. */
double ae_penalty_kl_prepare(float *g, float *rho_hat, const float *a, int B, int H, float rho, float beta);
void ae_penalty_kl_backward(float *da, const float *g, int n, int H);

/* Contractive, for a Dense (W) followed by an element-wise activation act
 * (AE_ACT_SIGMOID, TANH, RELU, LEAKY_RELU, IDENTITY; slope for LeakyReLU).
 * wn (H) = squared norms of W's rows, computed once per step by _norms.
 * Returns this part's penalty; dz += ∂/∂z (z: the pre-activations);
 * dW += 2λ/B · W_ji · Σ_b s'(z_bj)²; colsum (H) is scratch. */
void ae_penalty_contractive_norms(float *wn, const float *W, int H, int IN);
double ae_penalty_contractive(float *dz, float *dW, float *colsum, const float *z, const float *h, const float *W,
                              const float *wn, int n, int H, int IN, int B, int act, float slope, float lambda);

#endif
