/* ConvTranspose2D: the adjoint of a Conv2D ("deconvolution"), as PyTorch's
 * ConvTranspose2d and Keras' Conv2DTranspose.
 *
 *   in   (B, C, H, W)        weight (C, OC, K, K)   (PyTorch's layout)
 *   out  (B, OC, HO, WO)     bias   (OC)
 *   'same':  HO = H·S              'valid': HO = H·S + max(K − S, 0)
 *
 * Its forward is the input gradient of the "shadow" Conv2D that maps
 * (OC, HO, WO) to (C, H, W) with the same K, S and padding rule, so that
 * conv's im2col/col2im serve here too: per sample,
 *   dcol (OC·K·K, H·W) = Wᵀ · in_b,   out_b = bias + col2im(dcol)
 * and backward
 *   col = im2col(dout_b),  dW (C, OC·K·K) += in_b · colᵀ,  din_b = W · col.
 * convt_forward_naive/convt_backward_naive are the direct scatter loops. */
#include "blas.h"
#include "conv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kernel: AE_CONV_NAIVE or AUTO (im2col + GEMM); ws per thread: one
 * (OC·K·K, H·W) buffer */
typedef ae_conv_t convt_t;

typedef ae_conv_geom_t geom_t;

static int out_len(int n, int k, int s, int pad) {
  return pad == AE_PAD_SAME ? n * s : n * s + (k > s ? k - s : 0);
}

static geom_t geom(const convt_t *c, const ae_shape_t *in) {
  geom_t g = {c->cin, in->d[1], in->d[2], c->cout, c->k, c->stride, 0, 0, 0, 0};
  g.HO = out_len(g.H, g.K, g.S, c->pad);
  g.WO = out_len(g.W, g.K, g.S, c->pad);
  /* the shadow conv's padding on the output size (it maps HO back to H) */
  ae_conv_out_len(g.HO, g.K, g.S, c->pad, &g.PT);
  ae_conv_out_len(g.WO, g.K, g.S, c->pad, &g.PL);
  return g;
}

static int convt_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  const convt_t *c = l->state;
  if (ae_conv_check_input(l, in, e)) return e->code;
  geom_t g = geom(c, in);
  out->nd = 3;
  out->d[0] = c->cout;
  out->d[1] = g.HO;
  out->d[2] = g.WO;
  return AE_OK;
}

static int convt_reserve(ae_layer_t *l, const ae_shape_t *in, int B, int threads, ae_error_t *e) {
  (void)B;
  convt_t *c = l->state;
  if (c->kernel == AE_CONV_NAIVE) return AE_OK;
  geom_t g = geom(c, in);
  return ae_ws_reserve(&c->ws, (size_t)g.OC * g.K * g.K * g.H * g.W, threads, l, e);
}

/* The reference: every input pixel scatters a K×K stamp.
 * out[o][y·S+i−PT][x·S+j−PL] += w[c][o][i][j] · in[c][y][x] */
static void convt_forward_naive(float *out, const float *in, const float *w, const float *b, geom_t g, int B) {
  for (int n = 0; n < B; n++) {
    float *y0 = out + (size_t)n * g.OC * g.HO * g.WO;
    for (int o = 0; o < g.OC; o++)
      for (int p = 0; p < g.HO * g.WO; p++) y0[(size_t)o * g.HO * g.WO + p] = b[o];
    for (int c = 0; c < g.C; c++)
      for (int y = 0; y < g.H; y++)
        for (int x = 0; x < g.W; x++) {
          float v = in[(((size_t)n * g.C + c) * g.H + y) * g.W + x];
          for (int o = 0; o < g.OC; o++)
            for (int i = 0; i < g.K; i++)
              for (int j = 0; j < g.K; j++) {
                int yy = y * g.S + i - g.PT, xx = x * g.S + j - g.PL;
                if (yy < 0 || yy >= g.HO || xx < 0 || xx >= g.WO) continue;
                y0[((size_t)o * g.HO + yy) * g.WO + xx] += w[((c * g.OC + o) * g.K + i) * g.K + j] * v;
              }
        }
  }
}

static void convt_backward_naive(float *din, float *dw, float *db, const float *dout, const float *in,
                                 const float *w, geom_t g, int B) {
  for (int n = 0; n < B; n++) {
    const float *dy = dout + (size_t)n * g.OC * g.HO * g.WO;
    for (int o = 0; o < g.OC; o++)
      for (int p = 0; p < g.HO * g.WO; p++) db[o] += dy[(size_t)o * g.HO * g.WO + p];
    for (int c = 0; c < g.C; c++)
      for (int y = 0; y < g.H; y++)
        for (int x = 0; x < g.W; x++) {
          size_t at = (((size_t)n * g.C + c) * g.H + y) * g.W + x;
          double sum = 0.0;
          for (int o = 0; o < g.OC; o++)
            for (int i = 0; i < g.K; i++)
              for (int j = 0; j < g.K; j++) {
                int yy = y * g.S + i - g.PT, xx = x * g.S + j - g.PL;
                if (yy < 0 || yy >= g.HO || xx < 0 || xx >= g.WO) continue;
                size_t wi = (size_t)((c * g.OC + o) * g.K + i) * g.K + j;
                float d = dy[((size_t)o * g.HO + yy) * g.WO + xx];
                dw[wi] += d * in[at];
                sum += (double)d * w[wi];
              }
          if (din) din[at] = (float)sum;
        }
  }
}

static void convt_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                          const ae_pass_t *pass) {
  convt_t *c = l->state;
  geom_t g = geom(c, in_shape);
  const float *w = ae_tensor_data(l->param[0]), *b = ae_tensor_data(l->param[1]);
  if (c->kernel == AE_CONV_NAIVE) {
    convt_forward_naive(out, in, w, b, g, B);
    return;
  }
  int OK = g.OC * g.K * g.K, P = g.H * g.W, PO = g.HO * g.WO;
  float *dcol = c->ws.buf[pass->thread];
  for (int n = 0; n < B; n++) {
    const float *x = in + (size_t)n * g.C * P;
    float *y = out + (size_t)n * g.OC * PO;
    /* dcol (OC·K·K, P) = Wᵀ (OC·K·K, C) · x (C, P) */
    ae_gemm_avx2(1, 0, OK, P, g.C, 1.0f, w, OK, x, P, 0.0f, dcol, P);
    ae_bias_planes(y, b, g.OC, (size_t)PO);
    ae_col2im(y, dcol, g.OC, g.HO, g.WO, g.K, g.K, g.S, g.PT, g.PL, g.H, g.W);
  }
}

static void convt_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                           const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)out;
  convt_t *c = l->state;
  geom_t g = geom(c, in_shape);
  const float *w = ae_tensor_data(l->param[0]);
  float *dw = dparam[0];
  float *db = dparam[1];
  if (c->kernel == AE_CONV_NAIVE) {
    convt_backward_naive(din, dw, db, dout, in, w, g, B);
    return;
  }
  int OK = g.OC * g.K * g.K, P = g.H * g.W, PO = g.HO * g.WO;
  float *col = c->ws.buf[pass->thread];
  for (int n = 0; n < B; n++) {
    const float *x = in + (size_t)n * g.C * P;
    const float *dy = dout + (size_t)n * g.OC * PO;
    ae_im2col(col, dy, g.OC, g.HO, g.WO, g.K, g.K, g.S, g.PT, g.PL, g.H, g.W);
    /* dW (C, OC·K·K) += x (C, P) · colᵀ (P, OC·K·K) */
    ae_gemm_avx2(0, 1, g.C, OK, P, 1.0f, x, P, col, P, 1.0f, dw, OK);
    ae_bias_grad_planes(db, dy, g.OC, (size_t)PO);
    /* din (C, P) = W (C, OC·K·K) · col (OC·K·K, P) */
    if (din) ae_gemm_avx2(0, 0, g.C, P, OK, 1.0f, w, OK, col, P, 0.0f, din + (size_t)n * g.C * P, P);
  }
}

/* per input position, one multiply-add per weight (bias aside) */
static double convt_flops(const ae_layer_t *l, const ae_shape_t *in) {
  const convt_t *c = l->state;
  geom_t g = geom(c, in);
  return 2.0 * g.C * g.OC * g.K * g.K * g.H * g.W;
}

static const ae_layer_ops_t convt_ops = {
    .kind = "ConvTranspose2D",
    .infer = convt_infer,
    .forward = convt_forward,
    .backward = convt_backward,
    .reserve = convt_reserve,
    .flops = convt_flops,
    .describe = ae_conv_describe,
    .reset = ae_conv_reset,
    .destroy = ae_conv_destroy,
    .config = ae_conv_config,
};

ae_layer_t *ae_conv_transpose2d_new(int cin, int cout, int k, int stride, int pad, int init, int kernel,
                                    ae_rng_t *rng, ae_error_t *e) {
  int wshape[4] = {cin, cout, k, k};
  /* one fast kernel here: any choice but naive is im2col + GEMM, and is named as 'auto' */
  int which = kernel == AE_CONV_NAIVE ? AE_CONV_NAIVE : AE_CONV_AUTO;
  return ae_conv_layer_new(&convt_ops, (ae_conv_t){cin, cout, k, stride, pad, which, init, {0}}, wshape, rng, e);
}
