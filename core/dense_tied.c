/* DenseTied: a decoder Dense whose weight is an encoder Dense's, transposed.
 *
 *   enc: Dense(IN→H), weight W (H, IN)
 *   in   (B, H)     out (B, IN) = in · W + b     bias b (IN), its own
 *
 * param[0]/grad[0] are views of the encoder's weight and gradient: in a
 * model's arena both layers point at one slot, so the gradients of the two
 * uses accumulate (+=) into the one matrix, also in the per-thread blocks. */
#include "blas.h"
#include "layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tied_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  size_t n = ae_shape_numel(in);
  if (in->nd != 1 || n != (size_t)l->in_features)
    return ae_fail(e, AE_ESHAPE, "DenseTied(%d→%d): input has %zu values per sample, expected %d", l->in_features,
                   l->out_features, n, l->in_features);
  out->nd = 1;
  out->d[0] = l->out_features;
  return AE_OK;
}

static void tied_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                         const ae_pass_t *pass) {
  (void)in_shape;
  (void)pass;
  int H = l->in_features, IN = l->out_features;
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
  int H = l->in_features, IN = l->out_features;
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
  snprintf(buf, n, "DenseTied(%d→%d)", l->in_features, l->out_features);
}

static void tied_reset(ae_layer_t *l, ae_rng_t *rng) {
  (void)rng; /* the weight is the encoder's: only the bias is this layer's */
  ae_tensor_fill(l->param[1], 0.0f);
}

static void tied_destroy(ae_layer_t *l) {
  if (l->tie) l->tie->users--;
}

static const ae_layer_ops_t dense_tied_ops = {
    .kind = "DenseTied",
    .infer = tied_infer,
    .forward = tied_forward,
    .backward = tied_backward,
    .describe = tied_describe,
    .reset = tied_reset,
    .destroy = tied_destroy,
};

void ae_dense_tied_sync(ae_layer_t *l) {
  if (!l->tie) return;
  ae_tensor_t *w = l->tie->param[0], *g = l->tie->grad[0];
  if (l->param[0]->storage == w->storage && l->param[0]->offset == w->offset && l->grad[0]->storage == g->storage &&
      l->grad[0]->offset == g->offset)
    return;
  ae_tensor_t *pv = ae_tensor_view(w, 0, w->ndim, w->shape, NULL), *gv = ae_tensor_view(g, 0, g->ndim, g->shape, NULL);
  if (!pv || !gv) { /* out of memory: keep the old views (the model's pack reports it) */
    ae_tensor_free(pv);
    ae_tensor_free(gv);
    return;
  }
  ae_tensor_free(l->param[0]);
  ae_tensor_free(l->grad[0]);
  l->param[0] = pv;
  l->grad[0] = gv;
}

ae_layer_t *ae_dense_tied_new(ae_layer_t *enc, ae_error_t *e) {
  if (!enc || strcmp(enc->ops->kind, "Dense") != 0) {
    char buf[64];
    return ae_fail(e, AE_EARG, "DenseTied: needs a Dense layer to share a weight with, got %s",
                   enc ? ae_layer_name(enc, buf, sizeof buf) : "nothing"),
           NULL;
  }
  ae_layer_t *l = calloc(1, sizeof *l);
  if (!l) return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  l->ops = &dense_tied_ops;
  l->in_features = enc->out_features;
  l->out_features = enc->in_features;
  l->nparams = 2;
  l->param_name[0] = "weight";
  l->param_name[1] = "bias";
  ae_tensor_t *w = enc->param[0], *g = enc->grad[0];
  l->param[0] = ae_tensor_view(w, 0, w->ndim, w->shape, e);
  l->grad[0] = ae_tensor_view(g, 0, g->ndim, g->shape, e);
  int bshape[1] = {enc->in_features};
  l->param[1] = ae_tensor_new(1, bshape, e);
  l->grad[1] = ae_tensor_new(1, bshape, e);
  if (!l->param[0] || !l->grad[0] || !l->param[1] || !l->grad[1]) {
    ae_layer_free(l);
    return NULL;
  }
  l->tie = enc;
  enc->users++;
  return l;
}
