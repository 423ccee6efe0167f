/* The catalogue: every layer kind's constructor, and the few accessors the
 * rest of the core needs from a kind. A new kind adds its file and its lines
 * here (and its Lua registration in bindings/); nothing else changes.
 *
 * Constructors return an owned layer or NULL with e set; ae_layer_free
 * frees any of them. Weight layouts are PyTorch's:
 *   Dense            weight (OUT, IN)            bias (OUT)
 *   Conv2D           weight (OUT, IN, K, K)      bias (OUT)
 *   ConvTranspose2D  weight (IN, OUT, K, K)      bias (OUT)
 * Per-sample shapes are (D) for vectors and (C, H, W) for images. */
#ifndef AE_LAYERS_H
#define AE_LAYERS_H

#include "layer.h"

/* Dense (dense.c): out = in · Wᵀ + b. init: AE_INIT_*. */
ae_layer_t *ae_dense_new(int in, int out, int init, ae_rng_t *rng, ae_error_t *e);
/* The input features of a Dense; 0 for any other kind. */
int ae_dense_in_features(const ae_layer_t *l);

/* DenseTied (dense_tied.c): a decoder Dense using enc's weight transposed.
 * Its param[0] is enc's weight itself (setting it sets enc's); free it
 * before enc. */
ae_layer_t *ae_dense_tied_new(ae_layer_t *enc, ae_error_t *e);

/* Activations (activation.c): AE_ACT_*; slope is LeakyReLU's. */
ae_layer_t *ae_activation_new(int act, float slope, ae_error_t *e);
/* The AE_ACT_* of an activation layer (its slope in *slope when not NULL);
 * -1 for any other kind. */
int ae_activation_kind(const ae_layer_t *l, float *slope);
/* True when l is an activation layer of kind act. */
int ae_layer_is_act(const ae_layer_t *l, int act);

/* Padding of the convolutions and pooling, as Keras names it. */
enum { AE_PAD_VALID = 0, AE_PAD_SAME = 1 };
/* Kernels of the convolutions: AUTO picks per call from the shapes (see
 * conv2d.c); the others force one, for tests and measurements. NAIVE is the
 * direct-loop reference; DIRECT needs stride 1 (GEMM runs otherwise). */
enum { AE_CONV_AUTO = 0, AE_CONV_NAIVE = 1, AE_CONV_GEMM = 2, AE_CONV_DIRECT = 3 };

/* Conv2D (conv2d.c): cin → cout channels, k×k window. */
ae_layer_t *ae_conv2d_new(int cin, int cout, int k, int stride, int pad, int init, int kernel, ae_rng_t *rng,
                          ae_error_t *e);
/* ConvTranspose2D (conv_transpose2d.c); kernel: AE_CONV_NAIVE for the
 * reference loops, anything else im2col + GEMM. */
ae_layer_t *ae_conv_transpose2d_new(int cin, int cout, int k, int stride, int pad, int init, int kernel,
                                    ae_rng_t *rng, ae_error_t *e);
/* MaxPool2D (maxpool2d.c), UpSampling2D (upsample2d.c, nearest). */
ae_layer_t *ae_maxpool2d_new(int k, int stride, int pad, ae_error_t *e);
ae_layer_t *ae_upsample2d_new(int scale, ae_error_t *e);
/* Reshape (reshape.c) to `to` (one size may be -1: whatever makes the count
 * fit); Flatten is Reshape to {-1}. */
ae_layer_t *ae_reshape_new(const ae_shape_t *to, ae_error_t *e);
/* Dropout (dropout.c); rng draws the layer's salt (ae_layer_set_salt sets
 * it: a model file's, so a loaded model drops the positions the saved one
 * did). */
ae_layer_t *ae_dropout_new(float p, ae_rng_t *rng, ae_error_t *e);

/* GaussianSample (gaussian_sample.c): a VAE's reparameterization. Input
 * (2·latent): μ then log σ²; output (latent): μ + σ·ε in training, μ outside
 * it; its loss term is β · KL(N(μ, σ²) ‖ N(0, I)) averaged over the batch.
 * rng draws the layer's salt, as Dropout's: two of them in one model draw
 * different ε. */
ae_layer_t *ae_gaussian_sample_new(int latent, float beta, ae_rng_t *rng, ae_error_t *e);
/* β of a GaussianSample (a KL warm-up changes it between epochs); an error
 * for any other kind or a β that is negative or not finite. */
int ae_gaussian_sample_set_beta(ae_layer_t *l, float beta, ae_error_t *e);
/* Its latent size and β; 0 for any other kind. */
int ae_gaussian_sample_latent(const ae_layer_t *l);
float ae_gaussian_sample_beta(const ae_layer_t *l);
/* Σ over B rows of in (B, 2·latent) of the unweighted KL; per unit added
 * into units[latent] when not NULL (active units). 0 for any other kind. */
double ae_gaussian_sample_kl(const ae_layer_t *l, const float *in, int B, double *units);

#endif
