/* What the image lessons do with images (image.h): patches and stitching,
 * RMSE/PSNR/SSIM, colourfulness, sRGB ↔ Lab, median filter, Otsu.
 * Plain loops over planes; none of this is in a training step's path. */
#include "image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ae_image_dims(const ae_tensor_t *t, const char *who, int *C, int *H, int *W, ae_error_t *e) {
  char buf[64];
  if (t->ndim == 3) {
    *C = t->shape[0], *H = t->shape[1], *W = t->shape[2];
    return AE_OK;
  }
  if (t->ndim == 4 && t->shape[0] == 1) {
    *C = t->shape[1], *H = t->shape[2], *W = t->shape[3];
    return AE_OK;
  }
  return ae_fail_shape(e, "%s: an image is C×H×W or 1×C×H×W, got %s", who,
                       ae_tensor_shape_str(t, buf, sizeof buf));
}

/* N, C, H, W of a batch (N×C×H×W) or a single image (C×H×W) */
static int batch_dims(const ae_tensor_t *t, const char *who, int *N, int *C, int *H, int *W, ae_error_t *e) {
  char buf[64];
  if (t->ndim == 4) {
    *N = t->shape[0], *C = t->shape[1], *H = t->shape[2], *W = t->shape[3];
    return AE_OK;
  }
  if (t->ndim == 3) {
    *N = 1, *C = t->shape[0], *H = t->shape[1], *W = t->shape[2];
    return AE_OK;
  }
  return ae_fail_shape(e, "%s: images are N×C×H×W or C×H×W, got %s", who, ae_tensor_shape_str(t, buf, sizeof buf));
}

/* positions 0, stride, 2·stride, … along a side of n, the last flush with
 * the far border; count only when pos is NULL */
static int grid_positions(int n, int P, int stride, float *pos) {
  int k = 0, last = n - P;
  for (long long p = 0;; p += stride) { /* long long: p + stride past INT_MAX */
    if (p >= last) {
      if (pos) pos[k] = (float)last;
      return k + 1;
    }
    if (pos) pos[k] = (float)p;
    k++;
  }
}

ae_tensor_t *ae_image_grid(int H, int W, int P, int stride, ae_error_t *e) {
  if (P < 1 || stride < 1)
    return ae_fail(e, AE_EARG, "patch grid: patch size and stride must be positive, got %d and %d", P, stride), NULL;
  if (P > H || P > W)
    return ae_fail(e, AE_EARG, "patch grid: %d×%d patches do not fit a %d×%d image", P, P, H, W), NULL;
  int ny = grid_positions(H, P, stride, NULL), nx = grid_positions(W, P, stride, NULL);
  if ((size_t)ny * nx > AE_IMAGE_MAX_PIXELS) /* ny·nx in an int, and the n×2 corners in memory */
    return ae_fail(e, AE_EARG, "patch grid: %d×%d patches of a %d×%d image are too many (at most 2^28): raise the stride",
                   ny, nx, H, W),
           NULL;
  float *ys = malloc(sizeof(float) * ny), *xs = malloc(sizeof(float) * nx);
  ae_tensor_t *t = NULL;
  if (!ys || !xs) {
    ae_fail(e, AE_ENOMEM, "patch grid: out of memory");
  } else if ((t = ae_tensor_new2(ny * nx, 2, e))) {
    grid_positions(H, P, stride, ys);
    grid_positions(W, P, stride, xs);
    float *d = ae_tensor_data(t);
    for (int i = 0; i < ny; i++)
      for (int j = 0; j < nx; j++) {
        d[2 * (i * nx + j)] = ys[i];
        d[2 * (i * nx + j) + 1] = xs[j];
      }
  }
  free(ys);
  free(xs);
  return t;
}

ae_tensor_t *ae_image_random_corners(ae_rng_t *rng, int H, int W, int P, int n, ae_error_t *e) {
  if (P < 1 || n < 1) return ae_fail(e, AE_EARG, "random patches: size and count must be positive, got %d and %d", P, n), NULL;
  if (P > H || P > W) return ae_fail(e, AE_EARG, "random patches: %d×%d patches do not fit a %d×%d image", P, P, H, W), NULL;
  ae_tensor_t *t = ae_tensor_new2(n, 2, e);
  if (!t) return NULL;
  float *d = ae_tensor_data(t);
  for (int i = 0; i < n; i++) {
    d[2 * i] = (float)ae_rng_below(rng, (uint32_t)(H - P + 1));
    d[2 * i + 1] = (float)ae_rng_below(rng, (uint32_t)(W - P + 1));
  }
  return t;
}

/* checks corners (n×2, integer positions with the patch inside H×W) */
static int check_corners(const ae_tensor_t *corners, int H, int W, int P, const char *who, ae_error_t *e) {
  if (corners->ndim != 2 || corners->shape[1] != 2)
    return ae_fail_shape(e, "%s: corners are an n×2 tensor of (y, x), 0-based", who);
  const float *c = ae_tensor_data(corners);
  for (int i = 0; i < corners->shape[0]; i++) {
    float y = c[2 * i], x = c[2 * i + 1];
    if (!(y >= 0 && x >= 0 && y + P <= H && x + P <= W) || y != floorf(y) || x != floorf(x))
      return ae_fail(e, AE_EARG, "%s: corner %d at (%g, %g) puts a %d×%d patch outside the %d×%d image", who, i + 1, y,
                     x, P, P, H, W);
  }
  return AE_OK;
}

ae_tensor_t *ae_image_extract(const ae_tensor_t *img, const ae_tensor_t *corners, int P, ae_error_t *e) {
  int C = 0, H = 0, W = 0;
  if (ae_image_dims(img, "extract patches", &C, &H, &W, e)) return NULL;
  if (P < 1) return ae_fail(e, AE_EARG, "extract patches: the patch size must be positive, got %d", P), NULL;
  if (check_corners(corners, H, W, P, "extract patches", e)) return NULL;
  int n = corners->shape[0];
  int shape[4] = {n, C, P, P};
  ae_tensor_t *t = ae_tensor_new(4, shape, e);
  if (!t) return NULL;
  const float *src = ae_tensor_data(img), *c = ae_tensor_data(corners);
  float *dst = ae_tensor_data(t);
  for (int i = 0; i < n; i++) {
    int y0 = (int)c[2 * i], x0 = (int)c[2 * i + 1];
    for (int ch = 0; ch < C; ch++)
      for (int y = 0; y < P; y++)
        memcpy(dst + (((size_t)i * C + ch) * P + y) * P, src + ((size_t)ch * H + y0 + y) * W + x0, sizeof(float) * P);
  }
  return t;
}

ae_tensor_t *ae_image_stitch(const ae_tensor_t *patches, const ae_tensor_t *corners, int H, int W, int margin,
                             ae_error_t *e) {
  char buf[64];
  if (patches->ndim != 4 || patches->shape[2] != patches->shape[3])
    return ae_fail_shape(e, "stitch: patches are n×C×P×P, got %s", ae_tensor_shape_str(patches, buf, sizeof buf)),
           NULL;
  int n = patches->shape[0], C = patches->shape[1], P = patches->shape[2];
  if (corners->ndim != 2 || corners->shape[0] != n)
    return ae_fail_shape(e, "stitch: %d patches but %d corners", n, corners->ndim == 2 ? corners->shape[0] : -1),
           NULL;
  if (check_corners(corners, H, W, P, "stitch", e)) return NULL;
  if (margin < 0 || 2 * margin >= P)
    return ae_fail(e, AE_EARG, "stitch: margin %d leaves nothing of a %d×%d patch", margin, P, P), NULL;
  int shape[4] = {1, C, H, W};
  ae_tensor_t *t = ae_tensor_new(4, shape, e);
  float *count = calloc((size_t)H * W, sizeof(float)); /* (H, W) patches covering each pixel */
  if (!t || !count) {
    if (t && !count) ae_fail(e, AE_ENOMEM, "stitch: out of memory for a %d×%d image", H, W);
    ae_tensor_free(t);
    free(count);
    return NULL;
  }
  const float *src = ae_tensor_data(patches), *c = ae_tensor_data(corners);
  float *dst = ae_tensor_data(t);
  for (int i = 0; i < n; i++) {
    int y0 = (int)c[2 * i], x0 = (int)c[2 * i + 1];
    /* the part kept: all of an edge on the image's border, else less the margin */
    int ylo = y0 == 0 ? 0 : margin, yhi = y0 + P == H ? P : P - margin;
    int xlo = x0 == 0 ? 0 : margin, xhi = x0 + P == W ? P : P - margin;
    for (int y = ylo; y < yhi; y++)
      for (int x = xlo; x < xhi; x++) count[(size_t)(y0 + y) * W + x0 + x] += 1;
    for (int ch = 0; ch < C; ch++)
      for (int y = ylo; y < yhi; y++) {
        const float *s = src + (((size_t)i * C + ch) * P + y) * P;
        float *d = dst + ((size_t)ch * H + y0 + y) * W + x0;
        for (int x = xlo; x < xhi; x++) d[x] += s[x];
      }
  }
  for (size_t p = 0; p < (size_t)H * W; p++) {
    if (count[p] == 0) {
      ae_fail(e, AE_EARG, "stitch: pixel (%zu, %zu) of the %d×%d image is covered by no patch", p / W, p % W, H, W);
      ae_tensor_free(t);
      free(count);
      return NULL;
    }
    for (int ch = 0; ch < C; ch++) dst[(size_t)ch * H * W + p] /= count[p];
  }
  free(count);
  return t;
}

static int same_shape(const ae_tensor_t *a, const ae_tensor_t *b, const char *who, ae_error_t *e) {
  char ba[64], bb[64];
  if (ae_tensor_same_shape(a, b)) return AE_OK;
  return ae_fail_shape(e, "%s: the two images differ in shape: %s and %s", who,
                       ae_tensor_shape_str(a, ba, sizeof ba), ae_tensor_shape_str(b, bb, sizeof bb));
}

int ae_image_mse(const ae_tensor_t *a, const ae_tensor_t *b, double *mse, ae_error_t *e) {
  int s = same_shape(a, b, "mse", e);
  if (s) return s;
  size_t n = ae_tensor_numel(a);
  if (n == 0) return ae_fail(e, AE_EARG, "mse: empty images");
  const float *x = ae_tensor_data(a), *y = ae_tensor_data(b);
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)x[i] - y[i];
    sum += d * d;
  }
  *mse = sum / n;
  return AE_OK;
}

#define SSIM_WIN 11
#define SSIM_SIGMA 1.5

/* 'valid' separable Gaussian filter of an H×W plane into (H−10)×(W−10);
 * tmp holds H×(W−10) */
static void gauss_valid(const double *in, int H, int W, const double *g, double *tmp, double *out) {
  int OW = W - SSIM_WIN + 1, OH = H - SSIM_WIN + 1;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < OW; x++) {
      double s = 0;
      for (int k = 0; k < SSIM_WIN; k++) s += g[k] * in[(size_t)y * W + x + k];
      tmp[(size_t)y * OW + x] = s;
    }
  for (int y = 0; y < OH; y++)
    for (int x = 0; x < OW; x++) {
      double s = 0;
      for (int k = 0; k < SSIM_WIN; k++) s += g[k] * tmp[(size_t)(y + k) * OW + x];
      out[(size_t)y * OW + x] = s;
    }
}

int ae_image_ssim(const ae_tensor_t *a, const ae_tensor_t *b, double *ssim, ae_error_t *e) {
  int N = 0, C = 0, H = 0, W = 0;
  int s = batch_dims(a, "ssim", &N, &C, &H, &W, e);
  if (s) return s;
  if ((s = same_shape(a, b, "ssim", e))) return s;
  if (H < SSIM_WIN || W < SSIM_WIN)
    return ae_fail(e, AE_EARG, "ssim: images must be at least %d×%d (the window), got %d×%d", SSIM_WIN, SSIM_WIN, H, W);
  double g[SSIM_WIN], gs = 0;
  for (int k = 0; k < SSIM_WIN; k++) {
    double d = k - (SSIM_WIN - 1) / 2.0;
    gs += g[k] = exp(-d * d / (2 * SSIM_SIGMA * SSIM_SIGMA));
  }
  for (int k = 0; k < SSIM_WIN; k++) g[k] /= gs;
  size_t plane = (size_t)H * W, OH = H - SSIM_WIN + 1, OW = W - SSIM_WIN + 1, out = OH * OW;
  /* 5 input planes (x, y, x², y², xy), 5 filtered, one scratch */
  double *buf = malloc(sizeof(double) * (5 * plane + 5 * out + (size_t)H * OW));
  if (!buf) return ae_fail(e, AE_ENOMEM, "ssim: out of memory for %d×%d images", H, W);
  double *in = buf, *f = buf + 5 * plane, *tmp = f + 5 * out;
  const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03; /* (K·L)², L = 1 */
  const float *x = ae_tensor_data(a), *y = ae_tensor_data(b);
  double total = 0;
  for (size_t p = 0; p < (size_t)N * C; p++) {
    const float *xp = x + p * plane, *yp = y + p * plane;
    for (size_t i = 0; i < plane; i++) {
      in[i] = xp[i];
      in[plane + i] = yp[i];
      in[2 * plane + i] = (double)xp[i] * xp[i];
      in[3 * plane + i] = (double)yp[i] * yp[i];
      in[4 * plane + i] = (double)xp[i] * yp[i];
    }
    for (int k = 0; k < 5; k++) gauss_valid(in + k * plane, H, W, g, tmp, f + k * out);
    double sum = 0;
    for (size_t i = 0; i < out; i++) {
      double mx = f[i], my = f[out + i];
      double vx = f[2 * out + i] - mx * mx, vy = f[3 * out + i] - my * my, cxy = f[4 * out + i] - mx * my;
      sum += (2 * mx * my + C1) * (2 * cxy + C2) / ((mx * mx + my * my + C1) * (vx + vy + C2));
    }
    total += sum / out;
  }
  free(buf);
  *ssim = total / ((double)N * C);
  return AE_OK;
}

int ae_image_colorfulness(const ae_tensor_t *rgb, double *m, ae_error_t *e) {
  int N = 0, C = 0, H = 0, W = 0;
  int s = batch_dims(rgb, "colorfulness", &N, &C, &H, &W, e);
  if (s) return s;
  if (C != 3) return ae_fail_shape(e, "colorfulness: needs RGB images (3 channels), got %d", C);
  size_t plane = (size_t)H * W;
  const float *d = ae_tensor_data(rgb);
  double total = 0;
  for (int i = 0; i < N; i++) {
    const float *r = d + (size_t)i * 3 * plane, *g = r + plane, *b = g + plane;
    double s1 = 0, s2 = 0, t1 = 0, t2 = 0;
    for (size_t p = 0; p < plane; p++) {
      double rg = 255.0 * (r[p] - g[p]), yb = 255.0 * (0.5 * (r[p] + g[p]) - b[p]);
      s1 += rg, s2 += rg * rg, t1 += yb, t2 += yb * yb;
    }
    double mrg = s1 / plane, myb = t1 / plane;
    double vrg = fmax(s2 / plane - mrg * mrg, 0), vyb = fmax(t2 / plane - myb * myb, 0);
    total += sqrt(vrg + vyb) + 0.3 * sqrt(mrg * mrg + myb * myb);
  }
  *m = total / N;
  return AE_OK;
}

/* sRGB companding and the CIE Lab function, D65 white */
static double srgb_to_linear(double c) { return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4); }
static double linear_to_srgb(double c) { return c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055; }
static double lab_f(double t) { return t > 216.0 / 24389 ? cbrt(t) : (24389.0 / 27 * t + 16) / 116; }
static double lab_finv(double f) { return f * f * f > 216.0 / 24389 ? f * f * f : (116 * f - 16) * 27 / 24389.0; }
static const double XN = 0.95047, YN = 1.0, ZN = 1.08883;

static ae_tensor_t *convert(const ae_tensor_t *in, int to_lab, ae_error_t *e) {
  const char *who = to_lab ? "rgb_to_lab" : "lab_to_rgb";
  int N = 0, C = 0, H = 0, W = 0;
  if (batch_dims(in, who, &N, &C, &H, &W, e)) return NULL;
  if (C != 3) return ae_fail_shape(e, "%s: needs 3 channels, got %d", who, C), NULL;
  ae_tensor_t *t = ae_tensor_new(in->ndim, in->shape, e);
  if (!t) return NULL;
  size_t plane = (size_t)H * W;
  const float *s = ae_tensor_data(in);
  float *d = ae_tensor_data(t);
  for (int i = 0; i < N; i++) {
    const float *s0 = s + (size_t)i * 3 * plane;
    float *d0 = d + (size_t)i * 3 * plane;
    for (size_t p = 0; p < plane; p++) {
      double u = s0[p], v = s0[plane + p], w = s0[2 * plane + p], o1, o2, o3;
      if (to_lab) {
        double r = srgb_to_linear(u), g = srgb_to_linear(v), b = srgb_to_linear(w);
        double X = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
        double Y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
        double Z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
        double fx = lab_f(X / XN), fy = lab_f(Y / YN), fz = lab_f(Z / ZN);
        o1 = 116 * fy - 16, o2 = 500 * (fx - fy), o3 = 200 * (fy - fz);
      } else {
        double fy = (u + 16) / 116, fx = fy + v / 500, fz = fy - w / 200;
        double X = XN * lab_finv(fx), Y = YN * lab_finv(fy), Z = ZN * lab_finv(fz);
        double r = 3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z;
        double g = -0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z;
        double b = 0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z;
        o1 = linear_to_srgb(fmin(fmax(r, 0), 1)), o2 = linear_to_srgb(fmin(fmax(g, 0), 1));
        o3 = linear_to_srgb(fmin(fmax(b, 0), 1));
      }
      d0[p] = (float)o1, d0[plane + p] = (float)o2, d0[2 * plane + p] = (float)o3;
    }
  }
  return t;
}

ae_tensor_t *ae_image_rgb_to_lab(const ae_tensor_t *rgb, ae_error_t *e) { return convert(rgb, 1, e); }
ae_tensor_t *ae_image_lab_to_rgb(const ae_tensor_t *lab, ae_error_t *e) { return convert(lab, 0, e); }

ae_tensor_t *ae_image_shrink(const ae_tensor_t *img, int f, ae_error_t *e) {
  int N = 0, C = 0, H = 0, W = 0;
  if (batch_dims(img, "shrink", &N, &C, &H, &W, e)) return NULL;
  if (f < 1 || f > H || f > W) return ae_fail(e, AE_EARG, "shrink: factor %d does not fit %d×%d images", f, H, W), NULL;
  int OH = H / f, OW = W / f;
  int shape[4] = {N, C, OH, OW};
  ae_tensor_t *t = img->ndim == 4 ? ae_tensor_new(4, shape, e) : ae_tensor_new(3, shape + 1, e);
  if (!t) return NULL;
  const float *s = ae_tensor_data(img);
  float *d = ae_tensor_data(t);
  float k = 1.0f / ((float)f * f);
  for (size_t p = 0; p < (size_t)N * C; p++)
    for (int y = 0; y < OH; y++)
      for (int x = 0; x < OW; x++) {
        float sum = 0;
        for (int dy = 0; dy < f; dy++)
          for (int dx = 0; dx < f; dx++) sum += s[(p * H + (size_t)y * f + dy) * W + (size_t)x * f + dx];
        d[(p * OH + y) * OW + x] = sum * k;
      }
  return t;
}

/* the median of n values (n odd), reordering them: insertion sort, which
 * beats qsort's calls for the 9 or 25 values of a small window */
static float median_of(float *v, int n) {
  for (int i = 1; i < n; i++) {
    float x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) v[j + 1] = v[j], j--;
    v[j + 1] = x;
  }
  return v[n / 2];
}

ae_tensor_t *ae_image_median(const ae_tensor_t *img, int k, ae_error_t *e) {
  int N = 0, C = 0, H = 0, W = 0;
  if (batch_dims(img, "median", &N, &C, &H, &W, e)) return NULL;
  if (k < 1 || k % 2 == 0 || k > 7) return ae_fail(e, AE_EARG, "median: the window must be odd, 1..7, got %d", k), NULL;
  ae_tensor_t *t = ae_tensor_new(img->ndim, img->shape, e);
  if (!t) return NULL;
  float win[7 * 7];
  int r = k / 2;
  size_t plane = (size_t)H * W;
  const float *s = ae_tensor_data(img);
  float *d = ae_tensor_data(t);
  for (size_t p = 0; p < (size_t)N * C; p++) {
    const float *sp = s + p * plane;
    float *dp = d + p * plane;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        int n = 0;
        for (int dy = -r; dy <= r; dy++) {
          int yy = y + dy < 0 ? 0 : y + dy >= H ? H - 1 : y + dy;
          for (int dx = -r; dx <= r; dx++) {
            int xx = x + dx < 0 ? 0 : x + dx >= W ? W - 1 : x + dx;
            win[n++] = sp[(size_t)yy * W + xx];
          }
        }
        dp[(size_t)y * W + x] = median_of(win, n);
      }
  }
  return t;
}

int ae_image_otsu(const ae_tensor_t *img, float *threshold, ae_error_t *e) {
  size_t n = ae_tensor_numel(img);
  if (n == 0) return ae_fail(e, AE_EARG, "otsu: empty image");
  double hist[256] = {0};
  const float *d = ae_tensor_data(img);
  for (size_t i = 0; i < n; i++) {
    float v = d[i] > 0 ? (d[i] < 1 ? d[i] : 1) : 0;
    hist[(int)(v * 255.0f + 0.5f)] += 1;
  }
  double total = 0;
  for (int i = 0; i < 256; i++) total += i * hist[i];
  double w0 = 0, sum0 = 0, best = -1;
  int level = 0;
  for (int t = 0; t < 255; t++) { /* class 0: bins 0..t */
    w0 += hist[t];
    sum0 += t * hist[t];
    double w1 = n - w0;
    if (w0 == 0 || w1 == 0) continue;
    double m0 = sum0 / w0, m1 = (total - sum0) / w1;
    double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) best = between, level = t;
  }
  *threshold = (level + 0.5f) / 255.0f; /* between bin t and t + 1 */
  return AE_OK;
}
