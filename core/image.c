/* PNG and JPEG files ↔ tensors (image.h says which libraries and why).
 * A file is read whole into memory and decoded from there; an image is
 * encoded into memory and written through ae_file (temporary name,
 * rename), so a failed encode never leaves half a file. */
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <turbojpeg.h>

#include "file.h"

/* Largest file read: a 2^28-pixel RGB PNG stored raw is under 1 GiB. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

static int is_png(const unsigned char *b, size_t n) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return n >= 8 && memcmp(b, sig, 8) == 0;
}
static int is_jpeg(const unsigned char *b, size_t n) { return n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff; }

/* bytes (H×W×C interleaved, 8-bit) → a new 1×C×H×W tensor in [0, 1] */
static ae_tensor_t *planar_from_bytes(const unsigned char *px, int C, int H, int W, ae_error_t *e) {
  int shape[4] = {1, C, H, W};
  ae_tensor_t *t = ae_tensor_new(4, shape, e);
  if (!t) return NULL;
  float *d = ae_tensor_data(t);
  size_t plane = (size_t)H * W;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < C; c++) d[(size_t)c * plane + i] = px[i * C + c] * (1.0f / 255.0f);
  return t;
}

static ae_tensor_t *decode_png(const unsigned char *b, size_t n, int channels, const char *name, ae_error_t *e) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, b, n)) {
    ae_fail(e, AE_EFORMAT, "image: '%s' is not a readable PNG: %s", name, img.message);
    png_image_free(&img);
    return NULL;
  }
  if ((size_t)img.width * img.height > AE_IMAGE_MAX_PIXELS || img.width > INT32_MAX / 4 || img.height > INT32_MAX / 4) {
    ae_fail(e, AE_EFORMAT, "image: '%s' claims %u×%u pixels (at most 2^28 are read)", name, img.width, img.height);
    png_image_free(&img);
    return NULL;
  }
  int C = channels ? channels : (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
  img.format = C == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  /* a 16-bit file without gAMA or sRGB is sRGB-encoded as an 8-bit one is
   * (what writers and viewers assume), not linear as libpng would take it:
   * mid-gray 32768 reads 0.5, not 0.73 */
  img.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
  if (!px) {
    png_image_free(&img);
    ae_fail(e, AE_ENOMEM, "image: out of memory for the %u×%u pixels of '%s'", img.width, img.height, name);
    return NULL;
  }
  png_color white = {255, 255, 255}; /* what transparent pixels are laid on */
  ae_tensor_t *t = NULL;
  if (!png_image_finish_read(&img, &white, px, 0, NULL))
    ae_fail(e, AE_EFORMAT, "image: '%s' is a damaged PNG: %s", name, img.message);
  else
    t = planar_from_bytes(px, C, (int)img.height, (int)img.width, e);
  png_image_free(&img);
  free(px);
  return t;
}

static ae_tensor_t *decode_jpeg(const unsigned char *b, size_t n, int channels, const char *name, ae_error_t *e) {
  if (n > ULONG_MAX) return ae_fail(e, AE_EFORMAT, "image: '%s' is too large a JPEG", name), NULL;
  tjhandle h = tjInitDecompress();
  if (!h) return ae_fail(e, AE_ENOMEM, "image: cannot start a JPEG decoder for '%s': %s", name, tjGetErrorStr2(NULL)), NULL;
  int W, H, subsamp, space;
  ae_tensor_t *t = NULL;
  unsigned char *px = NULL;
  if (tjDecompressHeader3(h, b, (unsigned long)n, &W, &H, &subsamp, &space) != 0) {
    ae_fail(e, AE_EFORMAT, "image: '%s' is not a readable JPEG: %s", name, tjGetErrorStr2(h));
    goto done;
  }
  if (W <= 0 || H <= 0 || (size_t)W * H > AE_IMAGE_MAX_PIXELS) {
    ae_fail(e, AE_EFORMAT, "image: '%s' claims %d×%d pixels (at most 2^28 are read)", name, W, H);
    goto done;
  }
  if (space == TJCS_CMYK || space == TJCS_YCCK) {
    ae_fail(e, AE_EFORMAT, "image: '%s' is a CMYK JPEG, which is not supported: save it as RGB", name);
    goto done;
  }
  int C = channels ? channels : space == TJCS_GRAY ? 1 : 3;
  px = malloc((size_t)W * H * C);
  if (!px) {
    ae_fail(e, AE_ENOMEM, "image: out of memory for the %d×%d pixels of '%s'", W, H, name);
    goto done;
  }
  /* TJFLAG_STOPONWARNING: a truncated file is an error, not a gray-filled
   * bottom; any warning left (-1 return) counts as a failure too. */
  if (tjDecompress2(h, b, (unsigned long)n, px, W, 0, H, C == 3 ? TJPF_RGB : TJPF_GRAY,
                    TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING) != 0) {
    ae_fail(e, AE_EFORMAT, "image: '%s' is a damaged or truncated JPEG: %s", name, tjGetErrorStr2(h));
    goto done;
  }
  t = planar_from_bytes(px, C, H, W, e);
done:
  free(px);
  tjDestroy(h);
  return t;
}

ae_tensor_t *ae_image_decode(const void *bytes, size_t n, int channels, const char *name, ae_error_t *e) {
  if (channels != 0 && channels != 1 && channels != 3)
    return ae_fail(e, AE_EARG, "image: channels must be 0 (as stored), 1 (gray) or 3 (RGB), got %d", channels), NULL;
  const unsigned char *b = bytes;
  if (is_png(b, n)) return decode_png(b, n, channels, name, e);
  if (is_jpeg(b, n)) return decode_jpeg(b, n, channels, name, e);
  if (n == 0) return ae_fail(e, AE_EFORMAT, "image: '%s' is empty", name), NULL;
  return ae_fail(e, AE_EFORMAT, "image: '%s' is neither PNG nor JPEG (its first bytes say so; only those are read)",
                 name),
         NULL;
}

ae_tensor_t *ae_image_read(const char *path, int channels, ae_error_t *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return ae_fail(e, AE_EIO, "image: cannot open '%s': %s", path, strerror(errno)), NULL;
  unsigned char *buf = NULL;
  size_t n = 0, cap = 0;
  ae_tensor_t *t = NULL;
  /* read in growing blocks: a pipe or special file has no size to ask */
  for (;;) {
    if (n == cap) {
      if (cap >= MAX_FILE_BYTES) {
        ae_fail(e, AE_EFORMAT, "image: '%s' is larger than 1 GiB", path);
        goto done;
      }
      size_t grow = cap ? 2 * cap : (size_t)1 << 16;
      unsigned char *more = realloc(buf, grow);
      if (!more) {
        ae_fail(e, AE_ENOMEM, "image: out of memory reading '%s'", path);
        goto done;
      }
      buf = more;
      cap = grow;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    ae_fail(e, AE_EIO, "image: cannot read '%s': %s", path, strerror(errno));
    goto done;
  }
  t = ae_image_decode(buf, n, channels, path, e);
done:
  free(buf);
  fclose(f);
  return t;
}

/* t (C×H×W or 1×C×H×W) → H×W×C interleaved bytes (malloc'd) */
static unsigned char *bytes_from_planar(const ae_tensor_t *t, int C, int H, int W, ae_error_t *e) {
  unsigned char *px = malloc((size_t)H * W * C);
  if (!px) return ae_fail(e, AE_ENOMEM, "image: out of memory for %d×%d pixels", W, H), NULL;
  const float *d = ae_tensor_data(t);
  size_t plane = (size_t)H * W;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < C; c++) {
      float v = d[(size_t)c * plane + i];
      v = v > 0 ? (v < 1 ? v : 1) : 0; /* NaN → 0 */
      px[i * C + c] = (unsigned char)(v * 255.0f + 0.5f);
    }
  return px;
}

static int check_writable(const ae_tensor_t *t, int *C, int *H, int *W, ae_error_t *e) {
  int s = ae_image_dims(t, "image write", C, H, W, e);
  if (s) return s;
  if (*C != 1 && *C != 3)
    return ae_fail_shape(e, "image write: an image has 1 (gray) or 3 (RGB) channels, got %d", *C);
  return AE_OK;
}

/* JPEG-encodes the bytes; *out from tjAlloc (tjFree it) */
static int encode_jpeg(const unsigned char *px, int C, int H, int W, int quality, unsigned char **out,
                       unsigned long *size, ae_error_t *e) {
  tjhandle h = tjInitCompress();
  if (!h) return ae_fail(e, AE_ENOMEM, "image: cannot start a JPEG encoder: %s", tjGetErrorStr2(NULL));
  /* no chroma subsampling at high quality: what a saved photo should keep */
  int samp = C == 1 ? TJSAMP_GRAY : quality >= 90 ? TJSAMP_444 : TJSAMP_420;
  *out = NULL;
  *size = 0;
  int s = AE_OK;
  if (tjCompress2(h, px, W, 0, H, C == 3 ? TJPF_RGB : TJPF_GRAY, out, size, samp, quality, TJFLAG_ACCURATEDCT) != 0)
    s = ae_fail(e, AE_EFORMAT, "image: JPEG encoding of %d×%d pixels failed: %s", W, H, tjGetErrorStr2(h));
  tjDestroy(h);
  return s;
}

static int decode_jpeg_into(const unsigned char *buf, unsigned long size, unsigned char *px, int C, int H, int W,
                            ae_error_t *e) {
  tjhandle h = tjInitDecompress();
  if (!h) return ae_fail(e, AE_ENOMEM, "image: cannot start a JPEG decoder: %s", tjGetErrorStr2(NULL));
  int s = AE_OK;
  if (tjDecompress2(h, buf, size, px, W, 0, H, C == 3 ? TJPF_RGB : TJPF_GRAY, TJFLAG_ACCURATEDCT) != 0)
    s = ae_fail(e, AE_EFORMAT, "image: JPEG decoding failed: %s", tjGetErrorStr2(h));
  tjDestroy(h);
  return s;
}

int ae_image_jpeg_roundtrip(ae_tensor_t *out, const ae_tensor_t *t, int quality, ae_error_t *e) {
  int C = 0, H = 0, W = 0;
  int s = check_writable(t, &C, &H, &W, e);
  if (s) return s;
  if (!ae_tensor_same_shape(out, t)) return ae_fail_shape(e, "jpeg_roundtrip: out and in differ in shape");
  if (quality < 1 || quality > 100) return ae_fail(e, AE_EARG, "jpeg_roundtrip: quality must be 1..100, got %d", quality);
  unsigned char *px = bytes_from_planar(t, C, H, W, e), *jpg = NULL;
  if (!px) return e ? e->code : AE_ENOMEM;
  unsigned long size;
  s = encode_jpeg(px, C, H, W, quality, &jpg, &size, e);
  if (!s) s = decode_jpeg_into(jpg, size, px, C, H, W, e);
  if (!s) {
    float *d = ae_tensor_data(out);
    size_t plane = (size_t)H * W;
    for (size_t i = 0; i < plane; i++)
      for (int c = 0; c < C; c++) d[(size_t)c * plane + i] = px[i * C + c] * (1.0f / 255.0f);
  }
  tjFree(jpg);
  free(px);
  return s;
}

static const char *extension(const char *path) {
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  return dot && (!slash || dot > slash) ? dot + 1 : "";
}

int ae_image_write(const ae_tensor_t *t, const char *path, int quality, ae_error_t *e) {
  int C = 0, H = 0, W = 0;
  int s = check_writable(t, &C, &H, &W, e);
  if (s) return s;
  const char *ext = extension(path);
  int png = strcasecmp(ext, "png") == 0, jpeg = strcasecmp(ext, "jpg") == 0 || strcasecmp(ext, "jpeg") == 0;
  if (!png && !jpeg)
    return ae_fail(e, AE_EARG, "image write: cannot tell the format of '%s' from its name: end it in .png, .jpg or .jpeg",
                   path);
  if (jpeg && (quality < 1 || quality > 100))
    return ae_fail(e, AE_EARG, "image write: JPEG quality must be 1..100, got %d", quality);
  unsigned char *px = bytes_from_planar(t, C, H, W, e);
  if (!px) return e ? e->code : AE_ENOMEM;
  unsigned char *enc = NULL; /* PNG: malloc'd; JPEG: tjAlloc'd */
  size_t size = 0;
  if (png) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)W;
    img.height = (png_uint_32)H;
    img.format = C == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    /* two passes: the size first, then the bytes */
    if (!png_image_write_to_memory(&img, NULL, &size, 0, px, 0, NULL)) {
      s = ae_fail(e, AE_EFORMAT, "image write: PNG encoding of '%s' failed: %s", path, img.message);
    } else if (!(enc = malloc(size))) {
      s = ae_fail(e, AE_ENOMEM, "image write: out of memory for the PNG of '%s'", path);
    } else if (!png_image_write_to_memory(&img, enc, &size, 0, px, 0, NULL)) {
      s = ae_fail(e, AE_EFORMAT, "image write: PNG encoding of '%s' failed: %s", path, img.message);
    }
    png_image_free(&img);
  } else {
    unsigned long n = 0;
    s = encode_jpeg(px, C, H, W, quality, &enc, &n, e);
    size = n;
  }
  free(px);
  if (!s) {
    ae_file_t f;
    s = ae_file_begin(&f, path, e);
    if (!s) {
      ae_file_write(&f, enc, size);
      s = ae_file_commit(&f, e);
    }
  }
  if (png) free(enc);
  else tjFree(enc);
  return s;
}
