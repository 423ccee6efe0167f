/* MaxPool2D: the largest value of each K×K window, per channel.
 *
 *   in  (B, C, H, W)    out (B, C, HO, WO)
 *   HO, WO from ae_conv_out_len (stride S, 'valid' or 'same'; in 'same' the
 *   padding is never chosen, as in TensorFlow)
 *
 * Backward sends each dout to its window's arg-max (the first one on ties),
 * found again from the input instead of being stored: no workspace. The
 * loop is the direct one; there is no faster kernel to check against. */
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
    return ae_fail(e, AE_ESHAPE, "%s: input %s is not C×H×W", name, ae_shape_str(in, s, sizeof s));
  geom_t g = geom(p, in);
  if (g.HO < 1 || g.WO < 1)
    return ae_fail(e, AE_ESHAPE, "%s: input %s is smaller than the window ('valid' padding)", name,
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

static void pool_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                         const ae_pass_t *pass) {
  (void)pass;
  const pool_t *p = l->state;
  geom_t g = geom(p, in_shape);
  int two = p->k == 2 && p->stride == 2;
  for (size_t pl = 0; pl < (size_t)B * g.C; pl++) {
    const float *x = in + pl * g.H * g.W;
    float *y = out + pl * g.HO * g.WO;
    for (int oy = 0; oy < g.HO; oy++)
      for (int ox = 0; ox < g.WO; ox++)
        y[oy * g.WO + ox] = x[two ? argmax2(x, &g, oy, ox) : argmax(x, p, &g, oy, ox)];
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
  memset(din, 0, (size_t)B * g.C * g.H * g.W * sizeof(float));
  for (size_t pl = 0; pl < (size_t)B * g.C; pl++) {
    const float *x = in + pl * g.H * g.W;
    const float *dy = dout + pl * g.HO * g.WO;
    float *dx = din + pl * g.H * g.W;
    for (int oy = 0; oy < g.HO; oy++)
      for (int ox = 0; ox < g.WO; ox++)
        dx[two ? argmax2(x, &g, oy, ox) : argmax(x, p, &g, oy, ox)] += dy[oy * g.WO + ox];
  }
}

static void pool_destroy(ae_layer_t *l) {
  free(l->state);
  l->state = NULL;
}

static const ae_layer_ops_t pool_ops = {
    .kind = "MaxPool2D",
    .infer = pool_infer,
    .forward = pool_forward,
    .backward = pool_backward,
    .describe = pool_describe,
    .destroy = pool_destroy,
};

ae_layer_t *ae_maxpool2d_new(int k, int stride, int pad, ae_error_t *e) {
  if (k < 1 || stride < 1)
    return ae_fail(e, AE_EARG, "MaxPool2D(%d×%d, stride %d): sizes must be positive", k, k, stride), NULL;
  ae_layer_t *l = calloc(1, sizeof *l);
  pool_t *p = calloc(1, sizeof *p);
  if (!l || !p) {
    free(l);
    free(p);
    return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  }
  *p = (pool_t){k, stride, pad};
  l->ops = &pool_ops;
  l->state = p;
  return l;
}
