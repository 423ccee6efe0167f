/* IDX reader. The format: a 4-byte magic (0, 0, type, ndims), ndims
 * big-endian uint32 sizes, then the data. zlib's gzread reads plain files
 * too, so one path serves both. */
#include "data.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int read_exact(gzFile f, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    unsigned chunk = n - got > (1u << 30) ? 1u << 30 : (unsigned)(n - got);
    int r = gzread(f, (char *)buf + got, chunk);
    if (r <= 0) return 0;
    got += (size_t)r;
  }
  return 1;
}

ae_tensor_t *ae_idx_load(const char *path, int scale, ae_error_t *e) {
  gzFile f = gzopen(path, "rb");
  if (!f) return ae_fail(e, AE_EIO, "IDX: cannot open '%s'", path), NULL;
  ae_tensor_t *t = NULL;
  unsigned char *raw = NULL;
  unsigned char magic[4];
  if (!read_exact(f, magic, 4)) {
    ae_fail(e, AE_EFORMAT, "IDX: '%s' is empty or not an IDX file", path);
    goto done;
  }
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] < 1 || magic[3] > AE_MAXDIM) {
    ae_fail(e, AE_EFORMAT,
            "IDX: '%s' has bad magic %02x %02x %02x %02x (expected 00 00 08 0N: unsigned bytes, N ≤ %d dimensions)",
            path, magic[0], magic[1], magic[2], magic[3], AE_MAXDIM);
    goto done;
  }
  int nd = magic[3], shape[AE_MAXDIM];
  size_t n = 1;
  for (int i = 0; i < nd; i++) {
    unsigned char b[4];
    if (!read_exact(f, b, 4)) {
      ae_fail(e, AE_EFORMAT, "IDX: '%s' is truncated in its header", path);
      goto done;
    }
    uint32_t d = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (d == 0 || d > (1u << 28)) {
      ae_fail(e, AE_EFORMAT, "IDX: '%s' claims dimension %d of size %u", path, i + 1, d);
      goto done;
    }
    shape[i] = (int)d;
    n *= d;
    if (n > ((size_t)1 << 34)) {
      ae_fail(e, AE_EFORMAT, "IDX: '%s' claims more than 2^34 values", path);
      goto done;
    }
  }
  /* The buffer grows with what is actually read (from 1 MiB, doubling up
   * to n): a 20-byte file claiming 2^34 values once had 16 GB allocated
   * before the read found it short (the fuzzer's first find). A gzip'd
   * file's length says nothing of its contents, so its size is not checked
   * up front. */
  size_t got = 0, cap = 0;
  while (got < n) {
    if (got == cap) {
      size_t grow = cap ? 2 * cap : (size_t)1 << 20;
      grow = grow < n ? grow : n;
      unsigned char *more = realloc(raw, grow);
      if (!more) {
        ae_fail(e, AE_ENOMEM, "IDX: out of memory for %zu bytes of '%s'", grow, path);
        goto done;
      }
      raw = more;
      cap = grow;
    }
    if (!read_exact(f, raw + got, cap - got)) {
      ae_fail(e, AE_EFORMAT, "IDX: '%s' is truncated: its header promises %zu values", path, n);
      goto done;
    }
    got = cap;
  }
  unsigned char extra;
  if (gzread(f, &extra, 1) == 1) {
    ae_fail(e, AE_EFORMAT, "IDX: '%s' is longer than its header says (%zu values)", path, n);
    goto done;
  }
  int err;
  gzerror(f, &err);
  if (err != Z_OK && err != Z_STREAM_END) {
    ae_fail(e, AE_EFORMAT, "IDX: '%s': corrupt compressed data", path);
    goto done;
  }
  t = ae_tensor_new(nd, shape, e);
  if (!t) goto done;
  float *d = ae_tensor_data(t);
  float k = scale ? 1.0f / 255.0f : 1.0f;
  for (size_t i = 0; i < n; i++) d[i] = raw[i] * k;
done:
  free(raw);
  gzclose(f);
  return t;
}
