/* What the convolutional layers share: output lengths, per-thread
 * workspaces, im2col/col2im, and making, initializing and freeing a
 * Conv2D or ConvTranspose2D. */
#include "conv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ae_conv_out_len(int n, int k, int s, int pad, int *pad_before) {
  if (pad == AE_PAD_SAME) {
    int out = (n + s - 1) / s, total = (out - 1) * s + k - n;
    if (total < 0) total = 0;
    if (pad_before) *pad_before = total / 2;
    return out;
  }
  if (pad_before) *pad_before = 0;
  return n < k ? 0 : (n - k) / s + 1;
}

int ae_ws_reserve(ae_ws_t *w, size_t per, int threads, const ae_layer_t *l, ae_error_t *e) {
  if (threads > AE_MAXTHREADS) threads = AE_MAXTHREADS;
  if (per <= w->per && threads <= w->threads) return AE_OK;
  if (per < w->per) per = w->per;
  if (threads < w->threads) threads = w->threads;
  /* the new buffers first: on failure the old ones (which a model's cap
   * still vouches for) stay */
  ae_ws_t fresh = {threads, per, {NULL}};
  size_t bytes = (per * sizeof(float) + 63) & ~(size_t)63;
  for (int t = 0; t < threads; t++) {
    fresh.buf[t] = aligned_alloc(64, bytes ? bytes : 64);
    if (!fresh.buf[t]) {
      ae_ws_free(&fresh);
      char name[80];
      return ae_fail(e, AE_ENOMEM, "%s: out of memory for a workspace of %zu floats",
                     ae_layer_name(l, name, sizeof name), per);
    }
  }
  ae_ws_free(w);
  *w = fresh;
  return AE_OK;
}

void ae_ws_free(ae_ws_t *w) {
  for (int t = 0; t < AE_MAXTHREADS; t++) {
    free(w->buf[t]);
    w->buf[t] = NULL;
  }
  w->per = 0;
  w->threads = 0;
}

void ae_im2col(float *col, const float *x, int C, int H, int W, int kh, int kw, int s, int pt, int pl, int Ho,
               int Wo) {
  for (int c = 0; c < C; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        float *dst = col + ((size_t)(c * kh + i) * kw + j) * Ho * Wo;
        const float *xc = x + (size_t)c * H * W;
        for (int oy = 0; oy < Ho; oy++) {
          int y = oy * s + i - pt;
          float *d = dst + (size_t)oy * Wo;
          if (y < 0 || y >= H) {
            for (int ox = 0; ox < Wo; ox++) d[ox] = 0.0f;
            continue;
          }
          const float *row = xc + (size_t)y * W;
          if (s == 1) {
            /* the in-range run of ox is contiguous: x = ox + j - pl */
            int lo = pl - j > 0 ? pl - j : 0, hi = W + pl - j < Wo ? W + pl - j : Wo;
            if (hi < lo) hi = lo;
            for (int ox = 0; ox < lo; ox++) d[ox] = 0.0f;
            /* rows are short (4 to 28 values): an inline loop beats a memcpy call */
            const float *r = row + j - pl;
            for (int ox = lo; ox < hi; ox++) d[ox] = r[ox];
            for (int ox = hi; ox < Wo; ox++) d[ox] = 0.0f;
          } else {
            for (int ox = 0; ox < Wo; ox++) {
              int xx = ox * s + j - pl;
              d[ox] = xx >= 0 && xx < W ? row[xx] : 0.0f;
            }
          }
        }
      }
}

void ae_col2im(float *x, const float *col, int C, int H, int W, int kh, int kw, int s, int pt, int pl, int Ho,
               int Wo) {
  for (int c = 0; c < C; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        const float *src = col + ((size_t)(c * kh + i) * kw + j) * Ho * Wo;
        float *xc = x + (size_t)c * H * W;
        for (int oy = 0; oy < Ho; oy++) {
          int y = oy * s + i - pt;
          if (y < 0 || y >= H) continue;
          const float *d = src + (size_t)oy * Wo;
          float *row = xc + (size_t)y * W;
          /* the ox whose column xx = ox·s + j − pl lies in 0..W−1: a plain
           * run the compiler vectorizes when s = 1 */
          int lo = pl - j > 0 ? (pl - j + s - 1) / s : 0, hi = (W - 1 + pl - j) / s + 1;
          if (W - 1 + pl - j < 0) hi = 0;
          if (hi > Wo) hi = Wo;
          if (s == 1) {
            float *r = row + j - pl;
            for (int ox = lo; ox < hi; ox++) r[ox] += d[ox];
          } else {
            for (int ox = lo; ox < hi; ox++) row[ox * s + j - pl] += d[ox];
          }
        }
      }
}

ae_layer_t *ae_conv_layer_new(const ae_layer_ops_t *ops, ae_conv_t state, const int wshape[4], ae_rng_t *rng,
                              ae_error_t *e) {
  if (state.cin < 1 || state.cout < 1 || state.k < 1 || state.stride < 1)
    return ae_fail(e, AE_EARG, "%s(%d→%d, %d×%d, stride %d): sizes must be positive", ops->kind, state.cin,
                   state.cout, state.k, state.k, state.stride),
           NULL;
  ae_layer_t *l = ae_layer_alloc(ops, sizeof(ae_conv_t), e);
  if (!l) return NULL;
  *(ae_conv_t *)l->state = state;
  if (ae_layer_weight_bias(l, 4, wshape, state.cout, e)) {
    ae_layer_free(l);
    return NULL;
  }
  ae_conv_reset(l, rng);
  return l;
}

void ae_conv_config(const ae_layer_t *l, ae_layer_config_t *c) {
  const ae_conv_t *s = l->state;
  c->in = s->cin;
  c->out = s->cout;
  c->k = s->k;
  c->stride = s->stride;
  c->pad = s->pad;
  c->init = s->init;
  c->kernel = s->kernel;
}

/* Keras' glorot_uniform with fan_in = C·K·K, fan_out = OC·K·K (for a
 * transposed convolution the sum is the same whichever side Keras calls
 * "in"); He-normal with fan_in. Biases start at zero. */
void ae_conv_reset(ae_layer_t *l, ae_rng_t *rng) {
  const ae_conv_t *c = l->state;
  float fan_in = (float)(c->cin * c->k * c->k), fan_out = (float)(c->cout * c->k * c->k);
  ae_init_weights(ae_tensor_data(l->param[0]), ae_tensor_numel(l->param[0]), c->init, fan_in, fan_out, rng);
  ae_tensor_fill(l->param[1], 0.0f);
}

void ae_conv_destroy(ae_layer_t *l) {
  ae_conv_t *c = l->state;
  ae_ws_free(&c->ws);
}

static const char *const kernel_suffix[] = {"", ", naive", ", gemm", ", direct"};

void ae_conv_describe(const ae_layer_t *l, char *buf, size_t n) {
  const ae_conv_t *c = l->state;
  char s[24] = "";
  if (c->stride > 1) snprintf(s, sizeof s, ", stride %d", c->stride);
  snprintf(buf, n, "%s(%d→%d, %d×%d%s%s%s)", l->ops->kind, c->cin, c->cout, c->k, c->k, s,
           c->pad == AE_PAD_SAME ? ", same" : "", kernel_suffix[c->kernel]);
}

int ae_conv_check_input(const ae_layer_t *l, const ae_shape_t *in, ae_error_t *e) {
  const ae_conv_t *c = l->state;
  char name[80], s[64];
  ae_conv_describe(l, name, sizeof name);
  if (in->nd != 3)
    return ae_fail_shape(e, "%s: input %s is not C×H×W (give the model input={C,H,W} or add a Reshape)", name,
                         ae_shape_str(in, s, sizeof s));
  if (in->d[0] != c->cin)
    return ae_fail_shape(e, "%s: input %s has C = %d, expected C = %d", name, ae_shape_str(in, s, sizeof s), in->d[0],
                         c->cin);
  return AE_OK;
}

void ae_bias_planes(float *y, const float *b, int C, size_t P) {
  for (int c = 0; c < C; c++)
    for (size_t p = 0; p < P; p++) y[(size_t)c * P + p] = b[c];
}

void ae_bias_grad_planes(float *db, const float *dy, int C, size_t P) {
  for (int c = 0; c < C; c++) {
    float s = 0.0f;
    for (size_t p = 0; p < P; p++) s += dy[(size_t)c * P + p];
    db[c] += s;
  }
}
