/* SNR, segmental SNR and SI-SDR of an estimate against the clean signal
 * (audio.h). Sums in double: a few seconds of speech is 10^5 samples. */
#include "audio.h"

#include <math.h>

static int check_pair(const char *who, const ae_tensor_t *ref, const ae_tensor_t *est, ae_error_t *e) {
  char s1[64], s2[64];
  if (ref->ndim != 1 || est->ndim != 1 || ref->shape[0] != est->shape[0] || ref->shape[0] < 1)
    return ae_fail_shape(e, "%s: the clean signal %s and the estimate %s must be [N], the same N ≥ 1", who,
                         ae_tensor_shape_str(ref, s1, sizeof s1), ae_tensor_shape_str(est, s2, sizeof s2));
  return AE_OK;
}

/* 10 log10(num / den), with the limits a ratio of energies can reach. */
static double db_ratio(double num, double den) {
  if (den <= 0) return num > 0 ? INFINITY : NAN;
  if (num <= 0) return -INFINITY;
  return 10.0 * log10(num / den);
}

int ae_snr(const ae_tensor_t *ref, const ae_tensor_t *est, double *db, ae_error_t *e) {
  if (check_pair("snr", ref, est, e)) return e ? e->code : AE_ESHAPE;
  const float *r = ae_tensor_data(ref), *x = ae_tensor_data(est);
  double sig = 0, err = 0;
  for (int i = 0; i < ref->shape[0]; i++) {
    double d = (double)r[i] - x[i];
    sig += (double)r[i] * r[i];
    err += d * d;
  }
  *db = db_ratio(sig, err);
  return AE_OK;
}

#define SEG_MIN -10.0
#define SEG_MAX 35.0
#define SEG_SILENCE 1e-4 /* -40 dB below the loudest frame */

int ae_segsnr(const ae_tensor_t *ref, const ae_tensor_t *est, int frame, double *db, ae_error_t *e) {
  if (check_pair("segsnr", ref, est, e)) return e ? e->code : AE_ESHAPE;
  if (frame < 1) return ae_fail(e, AE_EARG, "segsnr: frame %d must be ≥ 1 sample", frame);
  const float *r = ae_tensor_data(ref), *x = ae_tensor_data(est);
  int N = ref->shape[0];
  double loudest = 0;
  for (int s = 0; s < N; s += frame) {
    double sig = 0;
    for (int i = s; i < N && i < s + frame; i++) sig += (double)r[i] * r[i];
    if (sig > loudest) loudest = sig;
  }
  double total = 0;
  int count = 0;
  for (int s = 0; s < N; s += frame) {
    double sig = 0, err = 0;
    for (int i = s; i < N && i < s + frame; i++) {
      double d = (double)r[i] - x[i];
      sig += (double)r[i] * r[i];
      err += d * d;
    }
    if (sig <= loudest * SEG_SILENCE || sig <= 0) continue;
    double v = db_ratio(sig, err);
    total += v < SEG_MIN ? SEG_MIN : v > SEG_MAX ? SEG_MAX : v;
    count++;
  }
  if (count == 0) return ae_fail(e, AE_EARG, "segsnr: the clean signal is silent (no frame has energy)");
  *db = total / count;
  return AE_OK;
}

int ae_sisdr(const ae_tensor_t *ref, const ae_tensor_t *est, double *db, ae_error_t *e) {
  if (check_pair("sisdr", ref, est, e)) return e ? e->code : AE_ESHAPE;
  const float *r = ae_tensor_data(ref), *x = ae_tensor_data(est);
  int N = ref->shape[0];
  double mr = 0, mx = 0;
  for (int i = 0; i < N; i++) mr += r[i], mx += x[i];
  mr /= N, mx /= N;
  double rr = 0, rx = 0;
  for (int i = 0; i < N; i++) {
    double a = r[i] - mr, b = x[i] - mx;
    rr += a * a;
    rx += a * b;
  }
  if (rr <= 0) return ae_fail(e, AE_EARG, "sisdr: the clean signal is constant (nothing to measure against)");
  double alpha = rx / rr, target = 0, resid = 0;
  for (int i = 0; i < N; i++) {
    double t = alpha * (r[i] - mr), d = (x[i] - mx) - t;
    target += t * t;
    resid += d * d;
  }
  *db = db_ratio(target, resid);
  return AE_OK;
}
