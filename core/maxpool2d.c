/* MaxPool2D: the largest value of each K×K window, per channel.
 *
 *   in  (B, C, H, W)    out (B, C, HO, WO)
 *   HO, WO from ae_conv_out_len (stride S, 'valid' or 'same'; in 'same' the
 *   padding is never chosen, as in TensorFlow)
 *
 * Backward sends each dout to its window's arg-max (the first one on ties),
 * found again from the input instead of being stored: no workspace. 2×2
 * windows with stride 2 (the common case) have their own loops, which write
 * every input gradient once instead of clearing and scattering; the tests
 * check both against a Lua loop. */
#include "conv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int k, stride, pad;
} pool_t;

typedef struct {
  int C, H, W, HO, WO, PT, PL;
} geom_t;

static geom_t geom(const pool_t *p, const ae_shape_t *in) {
  geom_t g = {in->d[0], in->d[1], in->d[2], 0, 0, 0, 0};
  g.HO = ae_conv_out_len(g.H, p->k, p->stride, p->pad, &g.PT);
  g.WO = ae_conv_out_len(g.W, p->k, p->stride, p->pad, &g.PL);
  return g;
}

static void pool_describe(const ae_layer_t *l, char *buf, size_t n) {
  const pool_t *p = l->state;
  char s[24] = "";
  if (p->stride != p->k) snprintf(s, sizeof s, ", stride %d", p->stride);
  snprintf(buf, n, "MaxPool2D(%d×%d%s%s)", p->k, p->k, s, p->pad == AE_PAD_SAME ? ", same" : "");
}

static int pool_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  const pool_t *p = l->state;
  char name[64], s[64];
  pool_describe(l, name, sizeof name);
  if (in->nd != 3)
    return ae_fail_shape(e, "%s: input %s is not C×H×W", name, ae_shape_str(in, s, sizeof s));
  geom_t g = geom(p, in);
  if (g.HO < 1 || g.WO < 1)
    return ae_fail_shape(e, "%s: input %s is smaller than the window ('valid' padding)", name,
                         ae_shape_str(in, s, sizeof s));
  out->nd = 3;
  out->d[0] = g.C;
  out->d[1] = g.HO;
  out->d[2] = g.WO;
  return AE_OK;
}

/* Index in plane x (H, W) of the first maximum of window (oy, ox). */
static int argmax(const float *x, const pool_t *p, const geom_t *g, int oy, int ox) {
  int y0 = oy * p->stride - g->PT, x0 = ox * p->stride - g->PL;
  int ylo = y0 < 0 ? 0 : y0, yhi = y0 + p->k < g->H ? y0 + p->k : g->H;
  int xlo = x0 < 0 ? 0 : x0, xhi = x0 + p->k < g->W ? x0 + p->k : g->W;
  int best = ylo * g->W + xlo;
  for (int y = ylo; y < yhi; y++)
    for (int xx = xlo; xx < xhi; xx++)
      if (x[y * g->W + xx] > x[best]) best = y * g->W + xx;
  return best;
}

/* The common case, 2×2 windows with stride 2: (oy, ox) covers rows 2·oy−PT
 * and the next, clipped to the image. Same first-maximum rule as argmax. */
static inline __attribute__((always_inline)) int argmax2(const float *x, const geom_t *g, int oy, int ox) {
  int y0 = 2 * oy - g->PT, x0 = 2 * ox - g->PL;
  int y1 = y0 + 1 < g->H ? y0 + 1 : y0, x1 = x0 + 1 < g->W ? x0 + 1 : x0;
  if (y0 < 0) y0 = y1;
  if (x0 < 0) x0 = x1;
  int best = y0 * g->W + x0, c;
  if (x[c = y0 * g->W + x1] > x[best]) best = c;
  if (x[c = y1 * g->W + x0] > x[best]) best = c;
  if (x[c = y1 * g->W + x1] > x[best]) best = c;
  return best;
}

/* The build has no -march: these loops are compiled for AVX2 and baseline
 * x86-64, picked at load time (as in vmath.c). */
#define CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))

/* 2×2, stride 2 (then PT = PL = 0): the windows that lie wholly inside, by
 * rows; a window cut off by an odd edge ('same') goes through argmax2. The
 * max is taken as `b > m ? b : m`, the same first-maximum rule. */
CLONES static void pool2_forward(float *y, const float *x, const geom_t *g, size_t planes) {
  int fh = g->H / 2, fw = g->W / 2, W = g->W, WO = g->WO;
  for (size_t pl = 0; pl < planes; pl++, x += (size_t)g->H * W, y += (size_t)g->HO * WO) {
    for (int oy = 0; oy < fh; oy++) {
      const float *r0 = x + (size_t)2 * oy * W, *r1 = r0 + W;
      float *d = y + (size_t)oy * WO;
      for (int ox = 0; ox < fw; ox++) {
        float m = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], e = r1[2 * ox + 1];
        m = b > m ? b : m;
        m = c > m ? c : m;
        d[ox] = e > m ? e : m;
      }
      if (fw < WO) d[fw] = x[argmax2(x, g, oy, fw)];
    }
    if (fh < g->HO)
      for (int ox = 0; ox < WO; ox++) y[(size_t)fh * WO + ox] = x[argmax2(x, g, fh, ox)];
  }
}

/* Its backward: every input gradient of a whole window written once (dy at
 * the first maximum, zeros elsewhere); odd edges cleared, then the cut-off
 * windows ('same') scattered through argmax2. */
CLONES static void pool2_backward(float *dx, const float *dy, const float *x, const geom_t *g, size_t planes) {
  int fh = g->H / 2, fw = g->W / 2, W = g->W, WO = g->WO;
  size_t plane = (size_t)g->H * W;
  for (size_t pl = 0; pl < planes; pl++, x += plane, dx += plane, dy += (size_t)g->HO * WO) {
    for (int oy = 0; oy < fh; oy++) {
      const float *r0 = x + (size_t)2 * oy * W, *r1 = r0 + W;
      float *d0 = dx + (size_t)2 * oy * W, *d1 = d0 + W;
      const float *gy = dy + (size_t)oy * WO;
      for (int ox = 0; ox < fw; ox++) {
        float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], e = r1[2 * ox + 1], gv = gy[ox];
        /* the winner is the last to beat the running max; selects only, so
         * the loop vectorizes */
        int sb = b > a;
        float m = sb ? b : a;
        int sc = c > m;
        m = sc ? c : m;
        int se = e > m;
        d1[2 * ox + 1] = se ? gv : 0.0f;
        gv = se ? 0.0f : gv;
        d1[2 * ox] = sc ? gv : 0.0f;
        gv = sc ? 0.0f : gv;
        d0[2 * ox + 1] = sb ? gv : 0.0f;
        d0[2 * ox] = sb ? 0.0f : gv;
      }
      if (W % 2) d0[W - 1] = d1[W - 1] = 0.0f;
    }
    if (g->H % 2)
      for (int xx = 0; xx < W; xx++) dx[(size_t)(g->H - 1) * W + xx] = 0.0f;
    if (fw < WO)
      for (int oy = 0; oy < fh; oy++) dx[argmax2(x, g, oy, fw)] += dy[(size_t)oy * WO + fw];
    if (fh < g->HO)
      for (int ox = 0; ox < WO; ox++) dx[argmax2(x, g, fh, ox)] += dy[(size_t)fh * WO + ox];
  }
}

static void pool_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                         const ae_pass_t *pass) {
  (void)pass;
  const pool_t *p = l->state;
  geom_t g = geom(p, in_shape);
  int two = p->k == 2 && p->stride == 2;
  if (two) {
    pool2_forward(out, in, &g, (size_t)B * g.C);
    return;
  }
  for (size_t pl = 0; pl < (size_t)B * g.C; pl++) {
    const float *x = in + pl * g.H * g.W;
    float *y = out + pl * g.HO * g.WO;
    for (int oy = 0; oy < g.HO; oy++)
      for (int ox = 0; ox < g.WO; ox++)
        y[oy * g.WO + ox] = x[argmax(x, p, &g, oy, ox)];
  }
}

static void pool_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                          const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)out;
  (void)dparam;
  (void)pass;
  if (!din) return;
  const pool_t *p = l->state;
  geom_t g = geom(p, in_shape);
  int two = p->k == 2 && p->stride == 2;
  if (two) {
    pool2_backward(din, dout, in, &g, (size_t)B * g.C);
    return;
  }
  memset(din, 0, (size_t)B * g.C * g.H * g.W * sizeof(float));
  for (size_t pl = 0; pl < (size_t)B * g.C; pl++) {
    const float *x = in + pl * g.H * g.W;
    const float *dy = dout + pl * g.HO * g.WO;
    float *dx = din + pl * g.H * g.W;
    for (int oy = 0; oy < g.HO; oy++)
      for (int ox = 0; ox < g.WO; ox++)
        dx[argmax(x, p, &g, oy, ox)] += dy[oy * g.WO + ox];
  }
}

static void pool_config(const ae_layer_t *l, ae_layer_config_t *c) {
  const pool_t *p = l->state;
  c->k = p->k;
  c->stride = p->stride;
  c->pad = p->pad;
}

static const ae_layer_ops_t pool_ops = {
    .kind = "MaxPool2D",
    .infer = pool_infer,
    .forward = pool_forward,
    .backward = pool_backward,
    .describe = pool_describe,
    .config = pool_config,
};

ae_layer_t *ae_maxpool2d_new(int k, int stride, int pad, ae_error_t *e) {
  if (k < 1 || stride < 1)
    return ae_fail(e, AE_EARG, "MaxPool2D(%d×%d, stride %d): sizes must be positive", k, k, stride), NULL;
  ae_layer_t *l = ae_layer_alloc(&pool_ops, sizeof(pool_t), e);
  if (l) *(pool_t *)l->state = (pool_t){k, stride, pad};
  return l;
}
