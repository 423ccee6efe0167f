/* Dense (fully connected) layer: out = in · Wᵀ + b.
 *
 *   in   (B, IN)     weight (OUT, IN)   (PyTorch's layout)
 *   out  (B, OUT)    bias   (OUT)
 *
 * Forward writes the bias into out and lets the GEMM add the product on top
 * (beta = 1): one pass over out instead of two. */
#include "blas.h"
#include "layers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int in, out; /* IN, OUT */
  int init;    /* AE_INIT_*, for reset */
} dense_t;

static const dense_t *dense_of(const ae_layer_t *l) { return l->state; }

static int dense_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  size_t n = ae_shape_numel(in);
  if (in->nd != 1 || n != (size_t)dense_of(l)->in) {
    char s[64];
    if (in->nd == 1)
      return ae_fail_shape(e, "Dense(%d→%d): input has %zu columns, expected %d", dense_of(l)->in,
                           dense_of(l)->out, n, dense_of(l)->in);
    return ae_fail_shape(e, "Dense(%d→%d): input has %s %zu values per sample (add a Flatten), expected %d",
                         dense_of(l)->in, dense_of(l)->out, ae_shape_str(in, s, sizeof s), n, dense_of(l)->in);
  }
  out->nd = 1;
  out->d[0] = dense_of(l)->out;
  return AE_OK;
}

static void dense_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                          const ae_pass_t *pass) {
  (void)in_shape;
  (void)pass;
  int IN = dense_of(l)->in, OUT = dense_of(l)->out;
  const float *w = ae_tensor_data(l->param[0]), *b = ae_tensor_data(l->param[1]);
  for (int i = 0; i < B; i++) memcpy(out + (size_t)i * OUT, b, (size_t)OUT * sizeof(float));
  ae_gemm(0, 1, B, OUT, IN, 1.0f, in, IN, w, IN, 1.0f, out, OUT);
}

static void dense_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                           const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)out;
  (void)pass;
  (void)in_shape;
  int IN = dense_of(l)->in, OUT = dense_of(l)->out;
  const float *w = ae_tensor_data(l->param[0]);
  float *dw = dparam[0];
  float *db = dparam[1];
  /* dW (OUT, IN) += doutᵀ (OUT, B) · in (B, IN) */
  ae_gemm(1, 0, OUT, IN, B, 1.0f, dout, OUT, in, IN, 1.0f, dw, IN);
  /* db += column sums of dout */
  for (int i = 0; i < B; i++)
    for (int j = 0; j < OUT; j++) db[j] += dout[(size_t)i * OUT + j];
  /* din (B, IN) = dout (B, OUT) · W (OUT, IN) */
  if (din) ae_gemm(0, 0, B, IN, OUT, 1.0f, dout, OUT, w, IN, 0.0f, din, IN);
}

static void dense_describe(const ae_layer_t *l, char *buf, size_t n) {
  snprintf(buf, n, "Dense(%d→%d)", dense_of(l)->in, dense_of(l)->out);
}

/* Glorot-uniform (Keras' default): U(±√(6/(IN+OUT))). He-normal for ReLU
 * stacks: N(0, √(2/IN)). Biases start at zero. */
static void dense_reset(ae_layer_t *l, ae_rng_t *rng) {
  int IN = dense_of(l)->in, OUT = dense_of(l)->out;
  float *w = ae_tensor_data(l->param[0]);
  size_t n = (size_t)IN * OUT;
  ae_init_weights(w, n, dense_of(l)->init, (float)IN, (float)OUT, rng);
  ae_tensor_fill(l->param[1], 0.0f);
}

static int dense_input(const ae_layer_t *l, ae_shape_t *in) {
  *in = (ae_shape_t){1, {dense_of(l)->in}};
  return 1;
}

static void dense_config(const ae_layer_t *l, ae_layer_config_t *c) {
  c->in = dense_of(l)->in;
  c->out = dense_of(l)->out;
  c->init = dense_of(l)->init;
}

static double dense_flops(const ae_layer_t *l, const ae_shape_t *in) {
  (void)in;
  return 2.0 * dense_of(l)->in * dense_of(l)->out;
}

static const ae_layer_ops_t dense_ops = {
    .kind = "Dense",
    .infer = dense_infer,
    .forward = dense_forward,
    .backward = dense_backward,
    .describe = dense_describe,
    .reset = dense_reset,
    .input_shape = dense_input,
    .config = dense_config,
    .flops = dense_flops,
};

ae_layer_t *ae_dense_new(int in, int out, int init, ae_rng_t *rng, ae_error_t *e) {
  if (in < 1 || out < 1) return ae_fail(e, AE_EARG, "Dense(%d→%d): sizes must be positive", in, out), NULL;
  ae_layer_t *l = ae_layer_alloc(&dense_ops, sizeof(dense_t), e);
  if (!l) return NULL;
  *(dense_t *)l->state = (dense_t){in, out, init};
  int wshape[2] = {out, in};
  if (ae_layer_weight_bias(l, 2, wshape, out, e)) {
    ae_layer_free(l);
    return NULL;
  }
  dense_reset(l, rng);
  return l;
}

int ae_dense_in_features(const ae_layer_t *l) { return l->ops == &dense_ops ? dense_of(l)->in : 0; }
