/* UpSampling2D: nearest-neighbour enlargement by an integer factor S.
 *
 *   in  (B, C, H, W)    out (B, C, H·S, W·S)
 *   out[c][y][x] = in[c][y / S][x / S];  din[c][y][x] = Σ of its S×S block of dout
 *
 * Plain loops (memory-bound); the tests check them against a Lua loop. */
#include "layers.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  int scale; /* S: each pixel becomes an S×S block */
} up_t;

static void up_describe(const ae_layer_t *l, char *buf, size_t n) {
  snprintf(buf, n, "UpSampling2D(%d)", ((const up_t *)l->state)->scale);
}

static int up_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  char name[64], s[64];
  if (in->nd != 3)
    return ae_fail_shape(e, "%s: input %s is not C×H×W", ae_layer_name(l, name, sizeof name),
                         ae_shape_str(in, s, sizeof s));
  int S = ((const up_t *)l->state)->scale;
  *out = (ae_shape_t){3, {in->d[0], in->d[1] * S, in->d[2] * S}};
  return AE_OK;
}

/* The common factor 2, row by row over all planes at once (each input row
 * becomes two equal output rows), compiled for AVX2 and baseline x86-64. */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static void up2_forward(float *y, const float *x,
                                                                                     size_t rows, int W) {
  for (size_t r = 0; r < rows; r++, x += W, y += 4 * (size_t)W) {
    float *y1 = y + 2 * W;
    for (int c = 0; c < W; c++) {
      float v = x[c];
      y[2 * c] = y[2 * c + 1] = y1[2 * c] = y1[2 * c + 1] = v;
    }
  }
}

static void up_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                       const ae_pass_t *pass) {
  (void)pass;
  int S = ((const up_t *)l->state)->scale, H = in_shape->d[1], W = in_shape->d[2], WO = W * S;
  if (S == 2) {
    up2_forward(out, in, (size_t)B * in_shape->d[0] * H, W);
    return;
  }
  for (size_t pl = 0; pl < (size_t)B * in_shape->d[0]; pl++) {
    const float *x = in + pl * H * W;
    float *y = out + pl * H * W * S * S;
    for (int r = 0; r < H; r++) {
      float *row = y + (size_t)r * S * WO;
      for (int c = 0; c < W; c++)
        for (int j = 0; j < S; j++) row[c * S + j] = x[r * W + c];
      for (int i = 1; i < S; i++)
        for (int c = 0; c < WO; c++) row[i * WO + c] = row[c];
    }
  }
}

static void up_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                        const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)in;
  (void)out;
  (void)dparam;
  (void)pass;
  if (!din) return;
  int S = ((const up_t *)l->state)->scale, H = in_shape->d[1], W = in_shape->d[2], WO = W * S;
  for (size_t pl = 0; pl < (size_t)B * in_shape->d[0]; pl++) {
    float *dx = din + pl * H * W;
    const float *dy = dout + pl * H * W * S * S;
    if (S == 2) { /* the common case, without the inner block loops */
      for (int r = 0; r < H; r++) {
        const float *a = dy + (size_t)(2 * r) * WO, *b = a + WO;
        for (int c = 0; c < W; c++) dx[r * W + c] = (a[2 * c] + a[2 * c + 1]) + (b[2 * c] + b[2 * c + 1]);
      }
      continue;
    }
    for (int r = 0; r < H; r++)
      for (int c = 0; c < W; c++) {
        float s = 0.0f;
        for (int i = 0; i < S; i++)
          for (int j = 0; j < S; j++) s += dy[(size_t)(r * S + i) * WO + c * S + j];
        dx[r * W + c] = s;
      }
  }
}

static void up_config(const ae_layer_t *l, ae_layer_config_t *c) { c->k = ((const up_t *)l->state)->scale; }

static const ae_layer_ops_t up_ops = {
    .kind = "UpSampling2D",
    .infer = up_infer,
    .forward = up_forward,
    .backward = up_backward,
    .describe = up_describe,
    .config = up_config,
};

ae_layer_t *ae_upsample2d_new(int scale, ae_error_t *e) {
  if (scale < 1) return ae_fail(e, AE_EARG, "UpSampling2D(%d): the factor must be positive", scale), NULL;
  ae_layer_t *l = ae_layer_alloc(&up_ops, sizeof(up_t), e);
  if (l) *(up_t *)l->state = (up_t){scale};
  return l;
}
