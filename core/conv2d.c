/* Conv2D: out = W ∗ in + b, cross-correlation as in Keras and PyTorch.
 *
 *   in   (B, C, H, W)        weight (OC, C, KH, KW)   (PyTorch's layout)
 *   out  (B, OC, HO, WO)     bias   (OC)
 *   HO, WO from ae_conv_out_len (stride S, 'same' or 'valid' padding PT/PL)
 *
 * Kernels, chosen per call from the shapes alone (choose(), so results are
 * reproducible), with per-thread workspaces sized in reserve:
 *  - direct, stride 1: register-tiled correlations on zero-padded "wide"
 *    planes (conv_direct.c), for forward, input and weight gradients. No
 *    patch matrix: with 1 to 16 channels its writes cost more than a GEMM
 *    saves. Measured on lesson 08's model, 1 thread: 4.4-5.2k samples/s
 *    against 2.7k for im2col + BLIS GEMM (AVX2 kernels) with a streaming
 *    direct loop for the few-channel layers.
 *  - im2col + GEMM, other strides: col (C·K·K, pixels) holds the patches,
 *    out_b (OC, pixels) = W · col, so the long side of every GEMM is the
 *    pixel count; backward dW += dout_b · colᵀ, dcol = Wᵀ · dout_b, din_b =
 *    col2im(dcol). BLIS' AVX2 (zen3) kernels (ae_gemm_avx2): its skx
 *    kernels run these few-channel shapes slower.
 *  - naive: the direct loops the tests compare the others against. */
#include "blas.h"
#include "conv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef ae_conv_t conv_t;

typedef ae_conv_geom_t geom_t;

static geom_t geom(const conv_t *c, const ae_shape_t *in) {
  geom_t g = {c->cin, in->d[1], in->d[2], c->cout, c->k, c->stride, 0, 0, 0, 0};
  g.HO = ae_conv_out_len(g.H, g.K, g.S, c->pad, &g.PT);
  g.WO = ae_conv_out_len(g.W, g.K, g.S, c->pad, &g.PL);
  return g;
}

/* Which kernel runs a call: a function of the shapes only, so the same seed
 * and thread count give the same losses. Direct for stride 1, im2col + GEMM
 * otherwise. */
static int choose(const conv_t *c, const geom_t *g) {
  if (c->kernel != AE_CONV_AUTO) return c->kernel == AE_CONV_DIRECT && g->S != 1 ? AE_CONV_GEMM : c->kernel;
  return g->S == 1 ? AE_CONV_DIRECT : AE_CONV_GEMM;
}

static int conv_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  const conv_t *c = l->state;
  if (ae_conv_check_input(l, in, e)) return e->code;
  geom_t g = geom(c, in);
  if (g.HO < 1 || g.WO < 1) {
    char name[80], s[64];
    return ae_fail_shape(e, "%s: input %s is smaller than the %d×%d window ('valid' padding)",
                         ae_layer_name(l, name, sizeof name), ae_shape_str(in, s, sizeof s), c->k, c->k);
  }
  out->nd = 3;
  out->d[0] = c->cout;
  out->d[1] = g.HO;
  out->d[2] = g.WO;
  return AE_OK;
}

static size_t direct_ws(const geom_t *g);

static int conv_reserve(ae_layer_t *l, const ae_shape_t *in, int B, int threads, ae_error_t *e) {
  (void)B;
  conv_t *c = l->state;
  geom_t g = geom(c, in);
  int kernel = choose(c, &g);
  if (kernel == AE_CONV_NAIVE) return AE_OK;
  size_t need = kernel == AE_CONV_DIRECT ? direct_ws(&g) : 2 * (size_t)g.C * g.K * g.K * g.HO * g.WO;
  return ae_ws_reserve(&c->ws, need, threads, l, e);
}

/* The reference: out[o][y][x] = b[o] + Σ_{c,i,j} w[o][c][i][j] · in[c][y·S+i−PT][x·S+j−PL]. */
static void conv_forward_naive(float *out, const float *in, const float *w, const float *b, geom_t g, int B) {
  for (int n = 0; n < B; n++)
    for (int o = 0; o < g.OC; o++)
      for (int y = 0; y < g.HO; y++)
        for (int x = 0; x < g.WO; x++) {
          double sum = b[o];
          for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.K; i++)
              for (int j = 0; j < g.K; j++) {
                int yy = y * g.S + i - g.PT, xx = x * g.S + j - g.PL;
                if (yy < 0 || yy >= g.H || xx < 0 || xx >= g.W) continue;
                sum += (double)w[((o * g.C + c) * g.K + i) * g.K + j] *
                       in[(((size_t)n * g.C + c) * g.H + yy) * g.W + xx];
              }
          out[(((size_t)n * g.OC + o) * g.HO + y) * g.WO + x] = (float)sum;
        }
}

static void conv_backward_naive(float *din, float *dw, float *db, const float *dout, const float *in,
                                const float *w, geom_t g, int B) {
  if (din) memset(din, 0, (size_t)B * g.C * g.H * g.W * sizeof(float));
  for (int n = 0; n < B; n++)
    for (int o = 0; o < g.OC; o++)
      for (int y = 0; y < g.HO; y++)
        for (int x = 0; x < g.WO; x++) {
          float d = dout[(((size_t)n * g.OC + o) * g.HO + y) * g.WO + x];
          db[o] += d;
          for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.K; i++)
              for (int j = 0; j < g.K; j++) {
                int yy = y * g.S + i - g.PT, xx = x * g.S + j - g.PL;
                if (yy < 0 || yy >= g.H || xx < 0 || xx >= g.W) continue;
                size_t at = (((size_t)n * g.C + c) * g.H + yy) * g.W + xx;
                size_t wi = (size_t)((o * g.C + c) * g.K + i) * g.K + j;
                dw[wi] += d * in[at];
                if (din) din[at] += d * w[wi];
              }
        }
}

/* The direct path, stride 1 (kernels in conv_direct.c). Per sample the
 * input goes into zero-padded wide planes xp (C, HP, WP), HP = HO + K − 1,
 * WP = WO + K − 1; the output comes out WP wide and is cropped. Backward
 * places dy in planes dyq (OC, HO + 2(K − 1), WP) at row and column K − 1,
 * zeros around: its wide rows (dy, then K − 1 zeros) give the weight
 * gradient, and a correlation of dyq with the flipped weights, read from row
 * PT on, gives the input gradient in wide rows.
 * Workspace (floats): xp C·XS | out max(OC·Lr, C·Lx) | dyq OC·DS |
 * transposed weights OC·CK | weight-gradient lanes OC·CK·16. */
typedef struct {
  int HP, WP, L, Lr, Lx; /* L: outputs in wide rows; Lr, Lx: output and input-gradient runs rounded to 16 */
  size_t XS, DS;         /* plane strides of xp and dyq, with zero slack the kernels may read */
} wide_t;

static int round16(int n) { return (n + 15) & ~15; }

static wide_t wide(const geom_t *g) {
  wide_t w;
  w.HP = g->HO + g->K - 1;
  w.WP = g->WO + g->K - 1;
  w.L = (g->HO - 1) * w.WP + g->WO;
  w.Lr = round16(w.L);
  w.Lx = round16(g->H * w.WP);
  w.XS = (size_t)round16(w.HP * w.WP + 16);
  w.DS = (size_t)round16((g->HO + 2 * (g->K - 1)) * w.WP + g->K + 16);
  return w;
}

/* Where the workspace's parts start, in floats, in the order the comment
 * above gives; the lanes hold 16 floats per weight (ae_corr_dw). */
typedef struct {
  size_t xp, out, dyq, wt, lanes, end;
} parts_t;

static parts_t direct_parts(const geom_t *g, const wide_t *w) {
  size_t CK = (size_t)g->C * g->K * g->K, outs = (size_t)g->OC * w->Lr, ins = (size_t)g->C * w->Lx;
  parts_t p;
  p.xp = 0;
  p.out = p.xp + (size_t)g->C * w->XS;
  p.dyq = p.out + (outs > ins ? outs : ins);
  p.wt = p.dyq + (size_t)g->OC * w->DS;
  p.lanes = p.wt + CK * g->OC;
  p.end = p.lanes + CK * g->OC * 16;
  return p;
}

static size_t direct_ws(const geom_t *g) {
  wide_t w = wide(g);
  return direct_parts(g, &w).end;
}

/* xp (C planes XS apart, HP × WP) ← x (C, H, W) placed at (PT, PL), zeros around and in the slack. */
static void pad_planes(float *xp, const float *x, const geom_t *g, const wide_t *w) {
  for (int c = 0; c < g->C; c++) {
    float *p = xp + (size_t)c * w->XS;
    for (int yy = 0; yy < w->HP; yy++) {
      float *d = p + (size_t)yy * w->WP;
      int y = yy - g->PT;
      if (y < 0 || y >= g->H) {
        for (int xx = 0; xx < w->WP; xx++) d[xx] = 0.0f;
        continue;
      }
      const float *r = x + ((size_t)c * g->H + y) * g->W - g->PL;
      for (int xx = 0; xx < g->PL; xx++) d[xx] = 0.0f;
      for (int xx = g->PL; xx < g->PL + g->W; xx++) d[xx] = r[xx];
      for (int xx = g->PL + g->W; xx < w->WP; xx++) d[xx] = 0.0f;
    }
    for (size_t q = (size_t)w->HP * w->WP; q < w->XS; q++) p[q] = 0.0f;
  }
}

/* out (n, R, cols) ← rows of `cols` values starting at src, `stride` apart
 * within a plane and `ps` apart between planes; relu: through a fused ReLU,
 * the expression of vmath.c's relu_k (slope 0), so the bits are its. */
static void crop(float *out, const float *src, int n, int R, int cols, int stride, size_t ps, int relu) {
  for (int c = 0; c < n; c++)
    for (int r = 0; r < R; r++) {
      const float *s = src + (size_t)c * ps + (size_t)r * stride;
      float *d = out + ((size_t)c * R + r) * cols;
      if (relu)
        for (int x = 0; x < cols; x++) {
          float z = 0.0f * s[x] + 0.0f; /* computed either way: a select, not a branch on random signs */
          d[x] = s[x] > 0.0f ? s[x] : z;
        }
      else
        for (int x = 0; x < cols; x++) d[x] = s[x];
    }
}

static void conv_forward_direct(float *out, const float *in, const float *w, const float *b, geom_t g, int B,
                                float *ws, int relu) {
  wide_t v = wide(&g);
  int CK = g.C * g.K * g.K;
  parts_t at = direct_parts(&g, &v);
  float *xp = ws + at.xp, *yw = ws + at.out, *wt = ws + at.wt;
  /* wt[(c·K + i)·K + j][o]: a weight row per tap, as ae_corr reads it */
  for (int o = 0; o < g.OC; o++)
    for (int t = 0; t < CK; t++) wt[(size_t)t * g.OC + o] = w[(size_t)o * CK + t];
  int level = ae_simd_level();
  for (int n = 0; n < B; n++) {
    pad_planes(xp, in + (size_t)n * g.C * g.H * g.W, &g, &v);
    ae_corr(level, yw, (size_t)v.Lr, g.OC, xp, v.XS, g.C, wt, b, g.K, v.WP, v.L);
    crop(out + (size_t)n * g.OC * g.HO * g.WO, yw, g.OC, g.HO, g.WO, v.WP, (size_t)v.Lr, relu);
  }
}

/* mask: a fused ReLU's output (NULL: none); dout is then the ReLU's, masked
 * by mask > 0 as dyq is filled, as vmath.c's relu_bw_k (slope 0) would. */
static void conv_backward_direct(float *din, float *dw, float *db, const float *dout, const float *mask,
                                 const float *in, const float *w, geom_t g, int B, float *ws) {
  wide_t v = wide(&g);
  int K = g.K, CK = g.C * K * K;
  parts_t at = direct_parts(&g, &v);
  float *xp = ws + at.xp, *dxw = ws + at.out, *dyq = ws + at.dyq, *wt = ws + at.wt, *dwv = ws + at.lanes;
  /* the input gradient correlates dy with the flipped weights, channels swapped:
   * wt[(o·K + i)·K + j][c] = w[o][c][K−1−i][K−1−j] */
  for (int o = 0; o < g.OC; o++)
    for (int c = 0; c < g.C; c++)
      for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
          wt[(((size_t)o * K + i) * K + j) * g.C + c] = w[(((size_t)o * g.C + c) * K + K - 1 - i) * K + K - 1 - j];
  memset(dwv, 0, (size_t)CK * g.OC * 16 * sizeof(float));
  size_t pre = (size_t)(K - 1) * v.WP + (K - 1);
  int level = ae_simd_level();
  for (int n = 0; n < B; n++) {
    const float *dy = dout + (size_t)n * g.OC * g.HO * g.WO;
    const float *my = mask ? mask + (size_t)n * g.OC * g.HO * g.WO : NULL;
    pad_planes(xp, in + (size_t)n * g.C * g.H * g.W, &g, &v);
    for (int o = 0; o < g.OC; o++) {
      float *p = dyq + (size_t)o * v.DS, s = 0.0f;
      memset(p, 0, pre * sizeof(float));
      for (int oy = 0; oy < g.HO; oy++) {
        const float *r = dy + ((size_t)o * g.HO + oy) * g.WO;
        float *d = p + pre + (size_t)oy * v.WP;
        /* a SIMD reduction: a plain float sum is one serial chain (4 cycles an add) */
        if (my) {
          const float *q = my + ((size_t)o * g.HO + oy) * g.WO;
#pragma omp simd reduction(+ : s)
          for (int ox = 0; ox < g.WO; ox++) {
            float z = 0.0f * r[ox], t = q[ox] > 0.0f ? r[ox] : z; /* a select, as in crop */
            d[ox] = t;
            s += t;
          }
        } else {
#pragma omp simd reduction(+ : s)
          for (int ox = 0; ox < g.WO; ox++) {
            d[ox] = r[ox];
            s += r[ox];
          }
        }
        for (int ox = g.WO; ox < v.WP; ox++) d[ox] = 0.0f;
      }
      size_t used = pre + (size_t)g.HO * v.WP;
      memset(p + used, 0, (v.DS - used) * sizeof(float));
      db[o] += s;
    }
    ae_corr_dw(level, dwv, dyq + pre, v.DS, g.OC, xp, v.XS, g.C, K, v.WP, v.L);
    if (din) {
      ae_corr(level, dxw, (size_t)v.Lx, g.C, dyq + (size_t)g.PT * v.WP, v.DS, g.OC, wt, NULL, K, v.WP, g.H * v.WP);
      crop(din + (size_t)n * g.C * g.H * g.W, dxw + g.PL, g.C, g.H, g.W, v.WP, (size_t)v.Lx, 0);
    }
  }
  /* the lanes, summed in a fixed order */
  for (size_t t = 0; t < (size_t)CK * g.OC; t++) {
    float s = 0.0f;
    for (int k = 0; k < 16; k++) s += dwv[t * 16 + k];
    dw[t] += s;
  }
}

static void conv_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                         const ae_pass_t *pass) {
  conv_t *c = l->state;
  geom_t g = geom(c, in_shape);
  const float *w = ae_tensor_data(l->param[0]), *b = ae_tensor_data(l->param[1]);
  int kernel = choose(c, &g);
  if (kernel == AE_CONV_NAIVE) {
    conv_forward_naive(out, in, w, b, g, B);
    return;
  }
  if (kernel == AE_CONV_DIRECT) {
    conv_forward_direct(out, in, w, b, g, B, c->ws.buf[pass->thread], pass->relu);
    return;
  }
  int CK = g.C * g.K * g.K, P = g.HO * g.WO;
  float *col = c->ws.buf[pass->thread];
  for (int n = 0; n < B; n++) {
    const float *x = in + (size_t)n * g.C * g.H * g.W;
    float *y = out + (size_t)n * g.OC * P;
    ae_im2col(col, x, g.C, g.H, g.W, g.K, g.K, g.S, g.PT, g.PL, g.HO, g.WO);
    ae_bias_planes(y, b, g.OC, (size_t)P);
    ae_gemm_avx2(0, 0, g.OC, P, CK, 1.0f, w, CK, col, P, 1.0f, y, P);
  }
}

static void conv_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                          const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  conv_t *c = l->state;
  geom_t g = geom(c, in_shape);
  const float *w = ae_tensor_data(l->param[0]);
  float *dw = dparam[0];
  float *db = dparam[1];
  int kernel = choose(c, &g);
  if (kernel == AE_CONV_NAIVE) {
    conv_backward_naive(din, dw, db, dout, in, w, g, B);
    return;
  }
  if (kernel == AE_CONV_DIRECT) {
    conv_backward_direct(din, dw, db, dout, pass->relu ? out : NULL, in, w, g, B, c->ws.buf[pass->thread]);
    return;
  }
  int CK = g.C * g.K * g.K, P = g.HO * g.WO;
  float *col = c->ws.buf[pass->thread], *dcol = col + (size_t)CK * P;
  for (int n = 0; n < B; n++) {
    const float *x = in + (size_t)n * g.C * g.H * g.W;
    const float *dy = dout + (size_t)n * g.OC * P;
    ae_im2col(col, x, g.C, g.H, g.W, g.K, g.K, g.S, g.PT, g.PL, g.HO, g.WO);
    /* dW (OC, CK) += dy (OC, P) · colᵀ (P, CK) */
    ae_gemm_avx2(0, 1, g.OC, CK, P, 1.0f, dy, P, col, P, 1.0f, dw, CK);
    ae_bias_grad_planes(db, dy, g.OC, (size_t)P);
    if (din) {
      float *dx = din + (size_t)n * g.C * g.H * g.W;
      /* dcol (CK, P) = Wᵀ (CK, OC) · dy (OC, P) */
      ae_gemm_avx2(1, 0, CK, P, g.OC, 1.0f, w, CK, dy, P, 0.0f, dcol, P);
      memset(dx, 0, (size_t)g.C * g.H * g.W * sizeof(float));
      ae_col2im(dx, dcol, g.C, g.H, g.W, g.K, g.K, g.S, g.PT, g.PL, g.HO, g.WO);
    }
  }
}

/* A following ReLU runs inside the direct kernel: applied as each sample's
 * output is cropped out of the cache-resident wide rows, and its mask as dy
 * is copied into dyq, instead of two more passes over the batch's
 * activations (16×28×28 floats a sample on lesson 08's first layer, 12.8 MB
 * a batch of 256, from L3 or memory). The other kernels do not take it. */
static int conv_fuses_relu(const ae_layer_t *l, const ae_shape_t *in) {
  const conv_t *c = l->state;
  geom_t g = geom(c, in);
  return choose(c, &g) == AE_CONV_DIRECT;
}

/* per output position, one multiply-add per weight (bias aside) */
static double conv_flops(const ae_layer_t *l, const ae_shape_t *in) {
  const conv_t *c = l->state;
  geom_t g = geom(c, in);
  return 2.0 * g.C * g.OC * g.K * g.K * g.HO * g.WO;
}

static const ae_layer_ops_t conv_ops = {
    .kind = "Conv2D",
    .infer = conv_infer,
    .forward = conv_forward,
    .backward = conv_backward,
    .reserve = conv_reserve,
    .flops = conv_flops,
    .describe = ae_conv_describe,
    .reset = ae_conv_reset,
    .destroy = ae_conv_destroy,
    .config = ae_conv_config,
    .fuses_relu = conv_fuses_relu,
};

ae_layer_t *ae_conv2d_new(int cin, int cout, int k, int stride, int pad, int init, int kernel, ae_rng_t *rng,
                          ae_error_t *e) {
  int wshape[4] = {cout, cin, k, k};
  return ae_conv_layer_new(&conv_ops, (ae_conv_t){cin, cout, k, stride, pad, kernel, init, {0}}, wshape, rng, e);
}
