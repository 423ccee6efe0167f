/* DenseTied: a decoder Dense whose weight is an encoder Dense's, transposed.
 *
 *   enc: Dense(IN→H), weight W (H, IN)
 *   in   (B, H)     out (B, IN) = in · W + b     bias b (IN), its own
 *
 * param[0]/grad[0] are views of the encoder's weight and gradient (so they
 * follow it into a model's arena): both layers point at one slot, and the
 * gradients of the two uses accumulate (+=) into the one matrix, also in the
 * per-thread blocks. The sizes are read off that weight: no state. */
#include "blas.h"
#include "layers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tied_h(const ae_layer_t *l) { return l->param[0]->shape[0]; }  /* H: the input */
static int tied_in(const ae_layer_t *l) { return l->param[0]->shape[1]; } /* IN: the output */

static int tied_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  size_t n = ae_shape_numel(in);
  if (in->nd != 1 || n != (size_t)tied_h(l))
    return ae_fail_shape(e, "DenseTied(%d→%d): input has %zu values per sample, expected %d", tied_h(l),
                         tied_in(l), n, tied_h(l));
  out->nd = 1;
  out->d[0] = tied_in(l);
  return AE_OK;
}

static void tied_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                         const ae_pass_t *pass) {
  (void)in_shape;
  (void)pass;
  int H = tied_h(l), IN = tied_in(l);
  const float *w = ae_tensor_data(l->param[0]), *b = ae_tensor_data(l->param[1]);
  for (int i = 0; i < B; i++) memcpy(out + (size_t)i * IN, b, (size_t)IN * sizeof(float));
  /* out (B, IN) += in (B, H) · W (H, IN) */
  ae_gemm(0, 0, B, IN, H, 1.0f, in, H, w, IN, 1.0f, out, IN);
}

static void tied_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                          const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)out;
  (void)in_shape;
  (void)pass;
  int H = tied_h(l), IN = tied_in(l);
  const float *w = ae_tensor_data(l->param[0]);
  float *dw = dparam[0];
  float *db = dparam[1];
  /* dW (H, IN) += inᵀ (H, B) · dout (B, IN) */
  ae_gemm(1, 0, H, IN, B, 1.0f, in, H, dout, IN, 1.0f, dw, IN);
  for (int i = 0; i < B; i++)
    for (int j = 0; j < IN; j++) db[j] += dout[(size_t)i * IN + j];
  /* din (B, H) = dout (B, IN) · Wᵀ (IN, H) */
  if (din) ae_gemm(0, 1, B, H, IN, 1.0f, dout, IN, w, IN, 0.0f, din, H);
}

static void tied_describe(const ae_layer_t *l, char *buf, size_t n) {
  snprintf(buf, n, "DenseTied(%d→%d)", tied_h(l), tied_in(l));
}

static void tied_reset(ae_layer_t *l, ae_rng_t *rng) {
  (void)rng; /* the weight is the encoder's: only the bias is this layer's */
  ae_tensor_fill(l->param[1], 0.0f);
}

static void tied_destroy(ae_layer_t *l) {
  if (l->borrows) l->borrows->users--;
}

static int tied_input(const ae_layer_t *l, ae_shape_t *in) {
  *in = (ae_shape_t){1, {tied_h(l)}};
  return 1;
}

static double tied_flops(const ae_layer_t *l, const ae_shape_t *in) {
  (void)in;
  return 2.0 * tied_h(l) * tied_in(l);
}

static const ae_layer_ops_t dense_tied_ops = {
    .kind = "DenseTied",
    .infer = tied_infer,
    .forward = tied_forward,
    .backward = tied_backward,
    .flops = tied_flops,
    .describe = tied_describe,
    .reset = tied_reset,
    .destroy = tied_destroy,
    .input_shape = tied_input,
};

ae_layer_t *ae_dense_tied_new(ae_layer_t *enc, ae_error_t *e) {
  if (!enc || !ae_dense_in_features(enc)) {
    char buf[64];
    return ae_fail(e, AE_EARG, "DenseTied: needs a Dense layer to share a weight with, got %s",
                   enc ? ae_layer_name(enc, buf, sizeof buf) : "nothing"),
           NULL;
  }
  ae_layer_t *l = ae_layer_alloc(&dense_tied_ops, 0, e);
  if (!l) return NULL;
  l->nparams = 2;
  l->param_name[0] = "weight";
  l->param_name[1] = "bias";
  ae_tensor_t *w = enc->param[0], *g = enc->grad[0];
  l->param[0] = ae_tensor_view(w, 0, w->ndim, w->shape, e);
  l->grad[0] = ae_tensor_view(g, 0, g->ndim, g->shape, e);
  int bshape[1] = {ae_dense_in_features(enc)};
  l->param[1] = ae_tensor_new(1, bshape, e);
  l->grad[1] = ae_tensor_new(1, bshape, e);
  if (!l->param[0] || !l->grad[0] || !l->param[1] || !l->grad[1]) {
    ae_layer_free(l);
    return NULL;
  }
  l->borrows = enc;
  enc->users++;
  return l;
}
