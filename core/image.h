/* Images: PNG and JPEG files in and out (image.c), and what the image
 * lessons do with them (imgops.c): patches and stitching, quality metrics
 * (RMSE, PSNR, SSIM), colour spaces, baselines (median filter, Otsu).
 *
 * An image in a tensor is C×H×W or 1×C×H×W (a batch of one), float32 in
 * [0, 1], C = 1 (gray) or 3 (RGB, sRGB-encoded as in the file); a batch of
 * images or patches is N×C×H×W. Dimensions: N images, C channels, H rows,
 * W columns, P the side of a square patch.
 *
 * Libraries: libpng's simplified API (png_image_*) and libjpeg-turbo's
 * TurboJPEG API (tj*), both Debian's (libpng-dev, libturbojpeg0-dev). Both
 * report errors by return value, so no setjmp/longjmp crosses our code (the
 * classic libpng and libjpeg APIs need one); both are the formats' reference
 * decoders, maintained, fuzzed (OSS-Fuzz) and patched by Debian's security
 * team. stb_image (libstb-dev) would be one header, but it is written for
 * speed over hostile input and has had a long list of decoder CVEs. */
#ifndef AE_IMAGE_H
#define AE_IMAGE_H

#include "rng.h"
#include "tensor.h"

/* Largest image read, in pixels (H·W): a hostile header cannot make us
 * allocate more than 4·2^28 floats per channel. */
#define AE_IMAGE_MAX_PIXELS (1u << 28)

/* Reads a PNG or JPEG file (told apart by its first bytes, not its name)
 * into a 1×C×H×W tensor in [0, 1]. channels: 0 keeps the file's (gray stays
 * 1, colour 3; a PNG's alpha is composited onto white), 1 or 3 converts.
 * Truncated, corrupt or unsupported files fail with a message naming the
 * file and what was wrong. */
ae_tensor_t *ae_image_read(const char *path, int channels, ae_error_t *e);
/* The same from bytes in memory; name is used in messages. */
ae_tensor_t *ae_image_decode(const void *bytes, size_t n, int channels, const char *name, ae_error_t *e);
/* Writes a C×H×W or 1×C×H×W tensor (C = 1 or 3; values clamped to [0, 1]
 * and rounded to 8 bits) as PNG or JPEG, chosen by the name's extension
 * (.png, .jpg, .jpeg); quality 1..100 for JPEG (ignored for PNG). Written
 * whole or not at all (file.h). */
int ae_image_write(const ae_tensor_t *t, const char *path, int quality, ae_error_t *e);
/* JPEG-encodes and decodes t in memory at `quality`: the artefacts of a
 * JPEG save, without a file. out has t's shape. */
int ae_image_jpeg_roundtrip(ae_tensor_t *out, const ae_tensor_t *t, int quality, ae_error_t *e);

/* ---- imgops.c ---- */

/* The shape of an image tensor: C, H, W of a C×H×W or 1×C×H×W tensor;
 * fails naming `who` otherwise. */
int ae_image_dims(const ae_tensor_t *t, const char *who, int *C, int *H, int *W, ae_error_t *e);

/* Top-left corners (0-based y, x) of P×P patches, in an n×2 tensor.
 * grid: every `stride` pixels, the last row and column of patches moved
 * flush with the border so every pixel is covered (needs P ≤ H, W).
 * random: n corners uniform over the image, from rng. */
ae_tensor_t *ae_image_grid(int H, int W, int P, int stride, ae_error_t *e);
ae_tensor_t *ae_image_random_corners(ae_rng_t *rng, int H, int W, int P, int n, ae_error_t *e);
/* The n P×P patches of img at `corners` (n×2), as an n×C×P×P tensor. */
ae_tensor_t *ae_image_extract(const ae_tensor_t *img, const ae_tensor_t *corners, int P, ae_error_t *e);
/* Puts n×C×P×P patches back at their corners into a 1×C×H×W image, each
 * pixel the mean of the patches that cover it (overlaps averaged). A
 * margin m > 0 drops the m pixels along each patch edge that is not on the
 * image's border: a convolution's zero padding makes a patch's rim worse
 * than its middle, and a grid with stride ≤ P − 2m still covers it all.
 * Fails when a pixel is covered by none. */
ae_tensor_t *ae_image_stitch(const ae_tensor_t *patches, const ae_tensor_t *corners, int H, int W, int margin,
                             ae_error_t *e);

/* Mean squared error over all values of two tensors of one shape. */
int ae_image_mse(const ae_tensor_t *a, const ae_tensor_t *b, double *mse, ae_error_t *e);
/* SSIM (Wang et al. 2004): 11×11 Gaussian window (σ = 1.5), K1 = 0.01,
 * K2 = 0.03, dynamic range 1, over the 'valid' window positions; the mean
 * of the map over positions, channels and images of two N×C×H×W (or C×H×W)
 * tensors with H, W ≥ 11. */
int ae_image_ssim(const ae_tensor_t *a, const ae_tensor_t *b, double *ssim, ae_error_t *e);
/* Colourfulness (Hasler and Süsstrunk 2003) of RGB images, averaged over
 * the batch: σ_rgyb + 0.3·μ_rgyb with rg = R − G, yb = (R + G)/2 − B, on a
 * 0..255 scale (≈ 0 gray, 15 slightly, 60 very colourful). */
int ae_image_colorfulness(const ae_tensor_t *rgb, double *m, ae_error_t *e);

/* sRGB (D65) ↔ CIE L*a*b*, batch by batch (N×3×H×W or 3×H×W): L in
 * [0, 100], a and b about [−110, 110]. lab_to_rgb clips to the sRGB gamut. */
ae_tensor_t *ae_image_rgb_to_lab(const ae_tensor_t *rgb, ae_error_t *e);
ae_tensor_t *ae_image_lab_to_rgb(const ae_tensor_t *lab, ae_error_t *e);

/* Shrinks each plane by an integer factor f, every output pixel the mean
 * of an f×f block (rows and columns past the last whole block dropped):
 * a page of 1728×2376 pixels drawn in a figure 600 pixels wide. */
ae_tensor_t *ae_image_shrink(const ae_tensor_t *img, int f, ae_error_t *e);

/* k×k median filter (k odd, 1..7) of every channel, borders replicated. */
ae_tensor_t *ae_image_median(const ae_tensor_t *img, int k, ae_error_t *e);
/* Otsu's global threshold of all the values (a 256-bin histogram of
 * [0, 1]): the level that maximizes the between-class variance. */
int ae_image_otsu(const ae_tensor_t *img, float *threshold, ae_error_t *e);

#endif
