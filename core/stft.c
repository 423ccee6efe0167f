/* The short-time Fourier transform and its inverse on FFTW (single
 * precision), waveform frames and context frames (audio.h).
 *
 *   x      [N]      the signal
 *   mag    [T×F]    |X(t, f)|, F = n_fft/2 + 1, T = N/hop + 1
 *   phase  [T×F]    arg X(t, f), radians
 *
 * Frame t is centred on sample t·hop: it covers x[t·hop − n_fft/2, t·hop +
 * n_fft/2), zeros outside the signal. FFTW plans are made per call with
 * FFTW_ESTIMATE (no timing runs, microseconds to make): a call transforms
 * hundreds of frames, so the plan is a small part of it. FFTW's planner is
 * not thread-safe: these run on the caller's thread only (no OpenMP here),
 * and must not be called from inside a parallel region. */
#include "audio.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

static int check_args(const char *who, int n_fft, int hop, int window, ae_error_t *e) {
  if (n_fft < 4 || n_fft > (1 << 20) || n_fft % 2)
    return ae_fail(e, AE_EARG, "%s: n_fft %d must be even, 4 to 2^20", who, n_fft);
  if (hop < 1 || hop > n_fft / 2)
    return ae_fail(e, AE_EARG, "%s: hop %d must be 1 to n_fft/2 = %d (every sample needs a window's middle)", who, hop,
                   n_fft / 2);
  if (window != AE_WINDOW_HANN && window != AE_WINDOW_HAMMING && window != AE_WINDOW_RECT)
    return ae_fail(e, AE_EARG, "%s: unknown window %d", who, window);
  return AE_OK;
}

/* The periodic window of n samples (its period-n extension overlaps flat). */
static void make_window(float *w, int n, int window) {
  for (int i = 0; i < n; i++) {
    double c = cos(2 * M_PI * i / n);
    w[i] = window == AE_WINDOW_HANN ? (float)(0.5 - 0.5 * c) : window == AE_WINDOW_HAMMING ? (float)(0.54 - 0.46 * c)
                                                                                            : 1.0f;
  }
}

int ae_stft_frames(int n, int hop) { return n / hop + 1; }

int ae_stft(const ae_tensor_t *x, int n_fft, int hop, int window, ae_tensor_t **mag, ae_tensor_t **phase,
            ae_error_t *e) {
  *mag = *phase = NULL;
  if (check_args("stft", n_fft, hop, window, e)) return e ? e->code : AE_EARG;
  if (x->ndim != 1 || x->shape[0] < 1) {
    char s[64];
    return ae_fail_shape(e, "stft: the signal %s must be mono, [N] with N ≥ 1 (read files with mono = true)",
                         ae_tensor_shape_str(x, s, sizeof s));
  }
  int N = x->shape[0], T = ae_stft_frames(N, hop), F = n_fft / 2 + 1;
  int shape[2] = {T, F};
  ae_tensor_t *m = ae_tensor_new(2, shape, e), *p = m ? ae_tensor_new(2, shape, e) : NULL;
  float *w = malloc(sizeof(float) * (size_t)n_fft);
  float *in = fftwf_malloc(sizeof(float) * (size_t)n_fft);
  fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)F);
  fftwf_plan plan = in && out ? fftwf_plan_dft_r2c_1d(n_fft, in, out, FFTW_ESTIMATE) : NULL;
  if (!m || !p || !w || !plan) {
    if (m && p) ae_fail(e, AE_ENOMEM, "stft: out of memory for a %d-point transform", n_fft);
    ae_tensor_free(m);
    ae_tensor_free(p);
    free(w);
    fftwf_free(in);
    fftwf_free(out);
    if (plan) fftwf_destroy_plan(plan);
    return e ? e->code : AE_ENOMEM;
  }
  make_window(w, n_fft, window);
  const float *xs = ae_tensor_data(x);
  float *M = ae_tensor_data(m), *P = ae_tensor_data(p);
  for (int t = 0; t < T; t++) {
    long start = (long)t * hop - n_fft / 2;
    for (int i = 0; i < n_fft; i++) {
      long k = start + i;
      in[i] = k >= 0 && k < N ? xs[k] * w[i] : 0.0f;
    }
    fftwf_execute(plan);
    for (int f = 0; f < F; f++) {
      float re = out[f][0], im = out[f][1];
      M[(size_t)t * F + f] = hypotf(re, im);
      P[(size_t)t * F + f] = atan2f(im, re);
    }
  }
  fftwf_destroy_plan(plan);
  fftwf_free(in);
  fftwf_free(out);
  free(w);
  *mag = m;
  *phase = p;
  return AE_OK;
}

ae_tensor_t *ae_istft(const ae_tensor_t *mag, const ae_tensor_t *phase, int n_fft, int hop, int window, int length,
                      ae_error_t *e) {
  if (check_args("istft", n_fft, hop, window, e)) return NULL;
  int F = n_fft / 2 + 1;
  char s1[64], s2[64];
  if (mag->ndim != 2 || !ae_tensor_same_shape(mag, phase) || mag->shape[1] != F) {
    ae_fail_shape(e, "istft: magnitude %s and phase %s must both be [T×%d] (n_fft %d)",
                  ae_tensor_shape_str(mag, s1, sizeof s1), ae_tensor_shape_str(phase, s2, sizeof s2), F, n_fft);
    return NULL;
  }
  int T = mag->shape[0];
  if (length < 1 || ae_stft_frames(length, hop) != T) {
    ae_fail(e, AE_EARG, "istft: %d frames at hop %d come from %d to %d samples, not %d", T, hop, (T - 1) * hop,
            T * hop - 1, length);
    return NULL;
  }
  int n1[1] = {length};
  ae_tensor_t *y = ae_tensor_new(1, n1, e);
  float *w = malloc(sizeof(float) * (size_t)n_fft);
  double *norm = calloc((size_t)length, sizeof(double)), *acc = calloc((size_t)length, sizeof(double));
  fftwf_complex *in = fftwf_malloc(sizeof(fftwf_complex) * (size_t)F);
  float *out = fftwf_malloc(sizeof(float) * (size_t)n_fft);
  fftwf_plan plan = in && out ? fftwf_plan_dft_c2r_1d(n_fft, in, out, FFTW_ESTIMATE) : NULL;
  if (!y || !w || !norm || !acc || !plan) {
    if (y) ae_fail(e, AE_ENOMEM, "istft: out of memory for %d samples", length);
    ae_tensor_free(y);
    y = NULL;
    goto done;
  }
  make_window(w, n_fft, window);
  const float *M = ae_tensor_data(mag), *P = ae_tensor_data(phase);
  for (int t = 0; t < T; t++) {
    for (int f = 0; f < F; f++) {
      float m = M[(size_t)t * F + f], ph = P[(size_t)t * F + f];
      in[f][0] = m * cosf(ph);
      in[f][1] = m * sinf(ph);
    }
    /* a real signal's transform has real DC and Nyquist bins */
    in[0][1] = 0;
    in[F - 1][1] = 0;
    fftwf_execute(plan); /* unnormalized: n_fft times the inverse */
    long start = (long)t * hop - n_fft / 2;
    for (int i = 0; i < n_fft; i++) {
      long k = start + i;
      if (k < 0 || k >= length) continue;
      acc[k] += (double)out[i] / n_fft * w[i];
      norm[k] += (double)w[i] * w[i];
    }
  }
  float *ys = ae_tensor_data(y);
  for (int k = 0; k < length; k++) ys[k] = norm[k] > 1e-10 ? (float)(acc[k] / norm[k]) : 0.0f;
done:
  if (plan) fftwf_destroy_plan(plan);
  fftwf_free(in);
  fftwf_free(out);
  free(w);
  free(norm);
  free(acc);
  return y;
}

ae_tensor_t *ae_frames(const ae_tensor_t *x, int size, int hop, ae_error_t *e) {
  char s[64];
  if (x->ndim != 1 || x->shape[0] < 1) {
    ae_fail_shape(e, "frames: the signal %s must be [N]", ae_tensor_shape_str(x, s, sizeof s));
    return NULL;
  }
  if (size < 1 || hop < 1 || hop > size) {
    ae_fail(e, AE_EARG, "frames: size %d and hop %d must be ≥ 1 with hop ≤ size", size, hop);
    return NULL;
  }
  int N = x->shape[0];
  int T = N > size ? (N - size + hop - 1) / hop + 1 : 1;
  int shape[2] = {T, size};
  ae_tensor_t *y = ae_tensor_new(2, shape, e);
  if (!y) return NULL;
  const float *xs = ae_tensor_data(x);
  float *ys = ae_tensor_data(y);
  for (int t = 0; t < T; t++)
    for (int i = 0; i < size; i++) {
      long k = (long)t * hop + i;
      ys[(size_t)t * size + i] = k < N ? xs[k] : 0.0f;
    }
  return y;
}

ae_tensor_t *ae_overlap_add(const ae_tensor_t *frames, int hop, int length, ae_error_t *e) {
  char s[64];
  if (frames->ndim != 2) {
    ae_fail_shape(e, "overlap_add: frames %s must be [T×size]", ae_tensor_shape_str(frames, s, sizeof s));
    return NULL;
  }
  int T = frames->shape[0], size = frames->shape[1];
  if (hop < 1 || hop > size || length < 1) {
    ae_fail(e, AE_EARG, "overlap_add: hop %d must be 1 to the frame size %d, length %d ≥ 1", hop, size, length);
    return NULL;
  }
  int n1[1] = {length};
  ae_tensor_t *y = ae_tensor_new(1, n1, e);
  int *count = y ? calloc((size_t)length, sizeof(int)) : NULL;
  if (!count) {
    if (y) ae_fail(e, AE_ENOMEM, "overlap_add: out of memory for %d samples", length);
    ae_tensor_free(y);
    return NULL;
  }
  const float *fs = ae_tensor_data(frames);
  float *ys = ae_tensor_data(y);
  for (int t = 0; t < T; t++)
    for (int i = 0; i < size; i++) {
      long k = (long)t * hop + i;
      if (k >= length) break;
      ys[k] += fs[(size_t)t * size + i];
      count[k]++;
    }
  for (int k = 0; k < length; k++)
    if (count[k] > 1) ys[k] /= (float)count[k];
  free(count);
  return y;
}

ae_tensor_t *ae_frames_context(const ae_tensor_t *x, int k, ae_error_t *e) {
  char s[64];
  if (x->ndim != 2 || x->shape[0] < 1) {
    ae_fail_shape(e, "context: frames %s must be [T×F]", ae_tensor_shape_str(x, s, sizeof s));
    return NULL;
  }
  if (k < 0 || k > 64) {
    ae_fail(e, AE_EARG, "context: %d frames each side; use 0 to 64", k);
    return NULL;
  }
  int T = x->shape[0], F = x->shape[1];
  if (F > INT_MAX / (2 * k + 1)) {
    ae_fail(e, AE_EARG, "context: %d frames of %d values side by side make rows too long for a tensor; use a "
            "smaller k or fewer bins", 2 * k + 1, F);
    return NULL;
  }
  int W = (2 * k + 1) * F;
  int shape[2] = {T, W};
  ae_tensor_t *y = ae_tensor_new(2, shape, e);
  if (!y) return NULL;
  const float *xs = ae_tensor_data(x);
  float *ys = ae_tensor_data(y);
  for (int t = 0; t < T; t++)
    for (int d = -k; d <= k; d++) {
      int src = t + d < 0 ? 0 : t + d >= T ? T - 1 : t + d;
      memcpy(ys + (size_t)t * W + (size_t)(d + k) * F, xs + (size_t)src * F, sizeof(float) * (size_t)F);
    }
  return y;
}
