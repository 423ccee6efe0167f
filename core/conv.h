/* What the image layers share (conv.c, conv_direct.c): shape arithmetic,
 * im2col, the direct kernels, per-thread workspaces, and the state and
 * set-up of Conv2D and ConvTranspose2D. Their constructors are in layers.h.
 *
 * Per-sample tensors are C×H×W (ae_shape_t with nd = 3), batches N×C×H×W. */
#ifndef AE_CONV_H
#define AE_CONV_H

#include "layers.h"

/* Output length along one axis of a convolution or pooling with window k,
 * stride s, Keras/TensorFlow padding ('same': ceil(n/s), the extra rows
 * split with the smaller half before; 'valid': floor((n-k)/s)+1). Returns 0
 * when the window does not fit ('valid' with n < k). */
int ae_conv_out_len(int n, int k, int s, int pad, int *pad_before);

/* col (C·kh·kw, Ho·Wo) ← patches of x (C, H, W); zeros where the window
 * hangs over the border. */
void ae_im2col(float *col, const float *x, int C, int H, int W, int kh, int kw, int s, int pt, int pl, int Ho,
               int Wo);
/* x (C, H, W) += the patches in col, the adjoint of ae_im2col. */
void ae_col2im(float *x, const float *col, int C, int H, int W, int kh, int kw, int s, int pt, int pl, int Ho,
               int Wo);

/* Direct stride-1 kernels on wide planes (conv_direct.c): planes of row
 * width WP with their zero padding in place, `IS`/`OS`/`DS`/`XS` floats
 * apart, readable 16 floats past the end of the last one's window.
 *   ae_corr: out[o][q] = bias[o] (0 when NULL) + Σ_{c,i,j} wt[((c·K + i)·K + j)·CO + o] · in[c][q + i·WP + j]
 *            for q in [0, L rounded up to 16)
 *   ae_corr_dw: dwv[(((o·CI + c)·K + i)·K + j)·16 + lane] += the lane's share
 *            of Σ_q dy[o][q] · x[c][q + i·WP + j], q in [0, L rounded up),
 *            where dy must be zero from L on. */
void ae_corr(int level, float *out, size_t OS, int CO, const float *in, size_t IS, int CI, const float *wt,
             const float *bias, int K, int WP, int L);
void ae_corr_dw(int level, float *dwv, const float *dy, size_t DS, int CO, const float *x, size_t XS, int CI, int K,
                int WP, int L);
/* `level` of the two above: 4 AVX-512, 3 AVX2, 1 baseline SSE2; this gives
 * the CPU's, capped by the environment's AELAB_SIMD=sse2|avx2 (so the tests
 * can run every level the machine has). AELAB_SIMD=avx512-tiles gives 2:
 * AVX-512's tile sizes run on AVX2, for tests on machines without it. */
int ae_simd_level(void);

/* Per-thread workspaces of a layer: buf[t] holds `per` floats for thread t.
 * Grows only (a model reserves for its largest batch and thread count). */
typedef struct ae_ws {
  int threads;
  size_t per;
  float *buf[AE_MAXTHREADS];
} ae_ws_t;
int ae_ws_reserve(ae_ws_t *w, size_t per, int threads, const ae_layer_t *l, ae_error_t *e); /* l: named on failure */
void ae_ws_free(ae_ws_t *w);

/* What Conv2D and ConvTranspose2D keep (conv.c makes, initializes and
 * frees both): sizes, the kernel (AE_CONV_AUTO, chosen per call from the
 * shapes, or a forced AE_CONV_*), per-thread workspaces. */
typedef struct ae_conv {
  int cin, cout, k, stride, pad;
  int kernel;
  int init; /* AE_INIT_*, for reset */
  ae_ws_t ws;
} ae_conv_t;
/* A layer with these ops and state, a weight of shape wshape and a bias of
 * cout values, initialized by ae_conv_reset (state.init). */
ae_layer_t *ae_conv_layer_new(const ae_layer_ops_t *ops, ae_conv_t state, const int wshape[4], ae_rng_t *rng,
                              ae_error_t *e);
void ae_conv_reset(ae_layer_t *l, ae_rng_t *rng);
void ae_conv_destroy(ae_layer_t *l);
/* Both kinds' ae_layer_config. */
void ae_conv_config(const ae_layer_t *l, ae_layer_config_t *c);
/* "Conv2D(1→16, 3×3, stride 2, same, naive)": the kind, sizes, and what
 * differs from the defaults. */
void ae_conv_describe(const ae_layer_t *l, char *buf, size_t n);
/* The input checks both share: C×H×W with cin channels. */
int ae_conv_check_input(const ae_layer_t *l, const ae_shape_t *in, ae_error_t *e);

/* y (C planes of P values) = each plane's bias; db[c] += Σ of plane c of dy. */
void ae_bias_planes(float *y, const float *b, int C, size_t P);
void ae_bias_grad_planes(float *db, const float *dy, int C, size_t P);

/* Geometry of one call, from the layer and the input shape: channels in and
 * out, input and output sizes, window, stride, padding before. */
typedef struct {
  int C, H, W, OC, K, S, HO, WO, PT, PL;
} ae_conv_geom_t;

#endif
