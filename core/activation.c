/* Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Softmax.
 *
 *   in, out, din, dout: (B, N...) with the same shape
 *
 * Element-wise ones work on B·N values at once; Softmax works on rows of the
 * last dimension. Sigmoid and Tanh differentiate through their output, the
 * ReLUs through their input. */
#include "layers.h"
#include "vmath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int act;     /* AE_ACT_* */
  float slope; /* LeakyReLU's for x < 0 */
} act_t;

static int act_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  (void)l;
  (void)e;
  *out = *in;
  return AE_OK;
}

/* Softmax over each row of the last dimension, max-subtracted for range. */
static void softmax_forward(float *out, const float *in, size_t rows, size_t C) {
  for (size_t r = 0; r < rows; r++) {
    const float *x = in + r * C;
    float *y = out + r * C, mx = x[0], s = 0.0f;
    for (size_t j = 1; j < C; j++) mx = x[j] > mx ? x[j] : mx;
    for (size_t j = 0; j < C; j++) s += (y[j] = ae_expf(x[j] - mx));
    for (size_t j = 0; j < C; j++) y[j] /= s;
  }
}

/* din_j = y_j (dout_j − Σ_k dout_k y_k) */
static void softmax_backward(float *din, const float *dout, const float *out, size_t rows, size_t C) {
  for (size_t r = 0; r < rows; r++) {
    const float *y = out + r * C, *dy = dout + r * C;
    float dot = 0.0f;
    for (size_t j = 0; j < C; j++) dot += dy[j] * y[j];
    for (size_t j = 0; j < C; j++) din[r * C + j] = y[j] * (dy[j] - dot);
  }
}

static void act_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                        const ae_pass_t *pass) {
  (void)pass;
  const act_t *a = l->state;
  size_t n = (size_t)B * ae_shape_numel(in_shape);
  switch (a->act) {
  case AE_ACT_RELU: ae_v_relu(out, in, n, 0.0f); break;
  case AE_ACT_LEAKY_RELU: ae_v_relu(out, in, n, a->slope); break;
  case AE_ACT_SIGMOID: ae_v_sigmoid(out, in, n); break;
  case AE_ACT_TANH: ae_v_tanh(out, in, n); break;
  case AE_ACT_SOFTMAX: {
    size_t C = (size_t)in_shape->d[in_shape->nd - 1];
    if (C > 0) /* rows of width 0: nothing to do (and no division by 0) */
      softmax_forward(out, in, n / C, C);
    break;
  }
  default:
    if (out != in) memcpy(out, in, n * sizeof(float));
  }
}

static void act_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                         const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)dparam; /* no parameters */
  (void)pass;
  if (!din) return;
  const act_t *a = l->state;
  size_t n = (size_t)B * ae_shape_numel(in_shape);
  switch (a->act) {
  case AE_ACT_RELU: ae_v_relu_backward(din, in, dout, n, 0.0f); break;
  case AE_ACT_LEAKY_RELU: ae_v_relu_backward(din, in, dout, n, a->slope); break;
  case AE_ACT_SIGMOID: ae_v_sigmoid_backward(din, out, dout, n); break;
  case AE_ACT_TANH: ae_v_tanh_backward(din, out, dout, n); break;
  case AE_ACT_SOFTMAX: {
    size_t C = (size_t)in_shape->d[in_shape->nd - 1];
    if (C > 0) /* rows of width 0: nothing to do (and no division by 0) */
      softmax_backward(din, dout, out, n / C, C);
    break;
  }
  default:
    if (din != dout) memcpy(din, dout, n * sizeof(float));
  }
}

static const char *act_names[] = {"Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax"};

static void act_describe(const ae_layer_t *l, char *buf, size_t n) {
  const act_t *a = l->state;
  if (a->act == AE_ACT_LEAKY_RELU) snprintf(buf, n, "LeakyReLU(%g)", (double)a->slope);
  else snprintf(buf, n, "%s", act_names[a->act]);
}

/* An activation's kind is its constructor: "ReLU", "LeakyReLU", ... */
static void act_config(const ae_layer_t *l, ae_layer_config_t *c) {
  const act_t *a = l->state;
  c->kind = act_names[a->act];
  c->value = a->act == AE_ACT_LEAKY_RELU ? a->slope : 0.0f;
}

static const ae_layer_ops_t activation_ops = {
    .kind = "Activation",
    .infer = act_infer,
    .forward = act_forward,
    .backward = act_backward,
    .describe = act_describe,
    .config = act_config,
};

ae_layer_t *ae_activation_new(int act, float slope, ae_error_t *e) {
  if (act < AE_ACT_IDENTITY || act > AE_ACT_SOFTMAX) return ae_fail(e, AE_EARG, "unknown activation %d", act), NULL;
  ae_layer_t *l = ae_layer_alloc(&activation_ops, sizeof(act_t), e);
  if (l) *(act_t *)l->state = (act_t){act, slope};
  return l;
}

int ae_activation_kind(const ae_layer_t *l, float *slope) {
  if (l->ops != &activation_ops) return -1;
  const act_t *a = l->state;
  if (slope) *slope = a->slope;
  return a->act;
}

int ae_layer_is_act(const ae_layer_t *l, int act) { return ae_activation_kind(l, NULL) == act; }
