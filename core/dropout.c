/* Dropout: in training, each value is kept with probability 1 − P and then
 * scaled by 1/(1 − P) (inverted dropout); outside training it is the identity.
 *
 *   in, out, din, dout: (B, N...) with the same shape
 *
 * The mask is a hash of (pass->seed, the layer's salt, batch row, column),
 * not a draw from a stream: a row gets the same mask whichever thread runs
 * it, and backward recomputes the mask instead of storing it. The salt (drawn
 * when the layer is made) keeps two Dropout layers of one model, which see
 * the same step seed, from dropping the same positions. */
#include "layers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* 1 when value j of batch row r is kept. */
static int kept(uint64_t row_key, size_t j, uint32_t threshold) {
  return (uint32_t)(ae_rng_mix(row_key + (uint64_t)j * 0x9e3779b97f4a7c15ULL) >> 32) >= threshold;
}

typedef struct {
  float p;       /* drop rate */
  uint64_t salt; /* this layer's part of the hash */
} drop_t;

static float drop_p(const ae_layer_t *l) { return ((const drop_t *)l->state)->p; }

static void drop_describe(const ae_layer_t *l, char *buf, size_t n) { snprintf(buf, n, "Dropout(%g)", (double)drop_p(l)); }

static int drop_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  (void)l;
  (void)e;
  *out = *in;
  return AE_OK;
}

static void apply(const ae_layer_t *l, float *out, const float *in, const ae_shape_t *shape, int B,
                  const ae_pass_t *pass) {
  size_t N = ae_shape_numel(shape);
  float p = drop_p(l);
  if (!pass->training || p <= 0.0f) {
    if (out != in) memcpy(out, in, (size_t)B * N * sizeof(float));
    return;
  }
  uint32_t threshold = p >= 1.0f ? UINT32_MAX : (uint32_t)((double)p * 4294967296.0);
  float scale = p >= 1.0f ? 0.0f : 1.0f / (1.0f - p);
  for (int r = 0; r < B; r++) {
    uint64_t salt = ((const drop_t *)l->state)->salt;
    uint64_t key = ae_rng_mix(pass->seed ^ ae_rng_mix(salt + (uint64_t)(pass->row0 + r) + 1));
    const float *x = in + (size_t)r * N;
    float *y = out + (size_t)r * N;
    for (size_t j = 0; j < N; j++) y[j] = kept(key, j, threshold) ? x[j] * scale : 0.0f;
  }
}

static void drop_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                         const ae_pass_t *pass) {
  apply(l, out, in, in_shape, B, pass);
}

/* The same mask and scale applied to dout. */
static void drop_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                          const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)in;
  (void)out;
  (void)dparam;
  if (din) apply(l, din, dout, in_shape, B, pass);
}

static void drop_config(const ae_layer_t *l, ae_layer_config_t *c) {
  c->value = drop_p(l);
  c->salt = ((const drop_t *)l->state)->salt;
}

static void drop_set_salt(ae_layer_t *l, uint64_t salt) { ((drop_t *)l->state)->salt = salt; }

static const ae_layer_ops_t drop_ops = {
    .kind = "Dropout",
    .infer = drop_infer,
    .forward = drop_forward,
    .backward = drop_backward,
    .random = 1,
    .describe = drop_describe,
    .config = drop_config,
    .set_salt = drop_set_salt,
};

ae_layer_t *ae_dropout_new(float p, ae_rng_t *rng, ae_error_t *e) {
  if (!(p >= 0.0f && p < 1.0f)) return ae_fail(e, AE_EARG, "Dropout(%g): the rate must be in [0, 1)", (double)p), NULL;
  ae_layer_t *l = ae_layer_alloc(&drop_ops, sizeof(drop_t), e);
  if (l) *(drop_t *)l->state = (drop_t){p, ae_rng_u64(rng)};
  return l;
}

