/* Tensors: storage, views, copies, simple math and .npy files. */
#include "tensor.h"
#include "blas.h"
#include "file.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 64-byte alignment: one cache line, and what AVX-512 loads like. */
static ae_storage_t *storage_new(size_t size, ae_error_t *e) {
  ae_storage_t *s = malloc(sizeof *s);
  if (!s) return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  size_t bytes = (size ? size : 1) * sizeof(float);
  bytes = (bytes + 63) & ~(size_t)63;
  s->data = aligned_alloc(64, bytes);
  if (!s->data) {
    free(s);
    ae_fail(e, AE_ENOMEM, "out of memory allocating %zu floats", size);
    return NULL;
  }
  memset(s->data, 0, bytes);
  s->size = size;
  s->refs = 1;
  s->base = NULL;
  return s;
}

static int check_shape(int ndim, const int *shape, size_t *numel, ae_error_t *e) {
  if (ndim < 1 || ndim > AE_MAXDIM)
    return ae_fail(e, AE_EARG, "tensor: %d dimensions, expected 1 to %d", ndim, AE_MAXDIM);
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) return ae_fail(e, AE_EARG, "tensor: dimension %d is negative (%d)", i + 1, shape[i]);
    /* the byte count must fit a size_t, or the allocation would wrap around */
    if (shape[i] > 0 && n > SIZE_MAX / sizeof(float) / 64 / (size_t)shape[i])
      return ae_fail(e, AE_EARG, "tensor: %d dimensions up to %d hold more elements than memory can", ndim, shape[i]);
    n *= (size_t)shape[i];
  }
  *numel = n;
  return AE_OK;
}

ae_tensor_t *ae_tensor_new(int ndim, const int *shape, ae_error_t *e) {
  size_t n = 0;
  if (check_shape(ndim, shape, &n, e)) return NULL;
  ae_tensor_t *t = calloc(1, sizeof *t);
  if (!t) return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  t->storage = storage_new(n, e);
  if (!t->storage) {
    free(t);
    return NULL;
  }
  t->ndim = ndim;
  memcpy(t->shape, shape, ndim * sizeof(int));
  return t;
}

ae_tensor_t *ae_tensor_new2(int rows, int cols, ae_error_t *e) {
  int shape[2] = {rows, cols};
  return ae_tensor_new(2, shape, e);
}

ae_tensor_t *ae_tensor_view(const ae_tensor_t *base, size_t offset, int ndim, const int *shape,
                            ae_error_t *e) {
  size_t n = 0;
  if (check_shape(ndim, shape, &n, e)) return NULL;
  if (base->offset + offset + n > base->storage->size)
    return ae_fail(e, AE_ESHAPE, "tensor view: %zu elements at offset %zu exceed storage of %zu", n,
                   offset, base->storage->size), NULL;
  ae_tensor_t *t = calloc(1, sizeof *t);
  if (!t) return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  t->storage = base->storage;
  t->storage->refs++;
  t->offset = base->offset + offset;
  t->ndim = ndim;
  memcpy(t->shape, shape, ndim * sizeof(int));
  return t;
}

static void storage_unref(ae_storage_t *s) {
  if (--s->refs > 0) return;
  if (s->base) storage_unref(s->base); /* data is the base's */
  else free(s->data);
  free(s);
}

void ae_tensor_free(ae_tensor_t *t) {
  if (!t) return;
  storage_unref(t->storage);
  free(t);
}

int ae_tensor_move(ae_tensor_t *t, const ae_tensor_t *dst, size_t off, ae_error_t *e) {
  ae_storage_t *s = t->storage, *home = ae_storage_home(dst->storage);
  size_t n = ae_tensor_numel(t);
  off += dst->offset + (size_t)(dst->storage->data - home->data);
  if (s->base == home && s->data == home->data + off) return AE_OK; /* there already */
  if (t->offset != 0 || n != s->size)
    return ae_fail(e, AE_EARG, "tensor move: the tensor is a view (%zu of %zu values at %zu), not its whole storage", n,
                   s->size, t->offset);
  if (s == home || off + n > home->size)
    return ae_fail(e, AE_EARG, "tensor move: %zu values at offset %zu do not fit a block of %zu", n, off, home->size);
  memcpy(home->data + off, s->data, n * sizeof(float));
  home->refs++;
  if (s->base) storage_unref(s->base); /* leaves the previous arena */
  else free(s->data);
  s->base = home;
  s->data = home->data + off;
  return AE_OK;
}

size_t ae_tensor_numel(const ae_tensor_t *t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
  return n;
}

size_t ae_tensor_rowsize(const ae_tensor_t *t) {
  size_t n = 1;
  for (int i = 1; i < t->ndim; i++) n *= (size_t)t->shape[i];
  return n;
}

const char *ae_dims_str(const int *d, int nd, char open, char close, char *buf, size_t n) {
  size_t used = (size_t)snprintf(buf, n, "%c", open);
  for (int i = 0; i < nd && used < n; i++) used += (size_t)snprintf(buf + used, n - used, i ? "×%d" : "%d", d[i]);
  if (used < n) snprintf(buf + used, n - used, "%c", close);
  return buf;
}

const char *ae_tensor_shape_str(const ae_tensor_t *t, char *buf, size_t n) {
  return ae_dims_str(t->shape, t->ndim, '[', ']', buf, n);
}

int ae_tensor_same_shape(const ae_tensor_t *a, const ae_tensor_t *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}

ae_tensor_t *ae_tensor_narrow(const ae_tensor_t *t, int start, int count, ae_error_t *e) {
  if (start < 0 || count < 0 || start + count > t->shape[0])
    return ae_fail(e, AE_EARG, "narrow: rows %d..%d outside 1..%d", start + 1, start + count,
                   t->shape[0]), NULL;
  int shape[AE_MAXDIM];
  memcpy(shape, t->shape, sizeof shape);
  shape[0] = count;
  return ae_tensor_view(t, (size_t)start * ae_tensor_rowsize(t), t->ndim, shape, e);
}

ae_tensor_t *ae_tensor_reshape(const ae_tensor_t *t, int ndim, const int *shape, ae_error_t *e) {
  size_t n = 0;
  if (check_shape(ndim, shape, &n, e)) return NULL;
  if (n != ae_tensor_numel(t)) {
    char a[64];
    return ae_fail(e, AE_ESHAPE, "reshape: %s has %zu elements, the new shape %zu",
                   ae_tensor_shape_str(t, a, sizeof a), ae_tensor_numel(t), n), NULL;
  }
  return ae_tensor_view(t, 0, ndim, shape, e);
}

ae_tensor_t *ae_tensor_clone(const ae_tensor_t *t, ae_error_t *e) {
  ae_tensor_t *c = ae_tensor_new(t->ndim, t->shape, e);
  if (c) memcpy(ae_tensor_data(c), ae_tensor_data(t), ae_tensor_numel(t) * sizeof(float));
  return c;
}

int ae_tensor_copy(ae_tensor_t *dst, const ae_tensor_t *src, ae_error_t *e) {
  if (ae_tensor_numel(dst) != ae_tensor_numel(src)) {
    char a[64], b[64];
    return ae_fail(e, AE_ESHAPE, "copy: %s into %s: element counts differ",
                   ae_tensor_shape_str(src, a, sizeof a), ae_tensor_shape_str(dst, b, sizeof b));
  }
  memmove(ae_tensor_data(dst), ae_tensor_data(src), ae_tensor_numel(src) * sizeof(float));
  return AE_OK;
}

/* Whether the h×w block at (r, c) lies inside the 2-D tensor t. */
static int block_inside(const ae_tensor_t *t, int r, int c, int h, int w) {
  return h >= 0 && w >= 0 && r >= 0 && c >= 0 && r <= t->shape[0] - h && c <= t->shape[1] - w;
}

int ae_tensor_copy_block(ae_tensor_t *dst, int dr, int dc, const ae_tensor_t *src, int sr, int sc, int h, int w,
                         ae_error_t *e) {
  char a[64], b[64];
  ae_tensor_shape_str(src, a, sizeof a);
  ae_tensor_shape_str(dst, b, sizeof b);
  if (src->ndim != 2 || dst->ndim != 2)
    return ae_fail(e, AE_ESHAPE, "copy_block: from %s into %s: both tensors must be 2-D (reshape them)", a, b);
  int src_ok = block_inside(src, sr, sc, h, w);
  if (!src_ok || !block_inside(dst, dr, dc, h, w))
    return ae_fail(e, AE_EARG, "copy_block: a %d×%d block from row %d, column %d of %s into row %d, column %d of %s: "
                   "it does not fit in the %s", h, w, sr + 1, sc + 1, a, dr + 1, dc + 1, b,
                   src_ok ? "destination" : "source");
  if (h == 0 || w == 0) return AE_OK;
  size_t SC = (size_t)src->shape[1], DC = (size_t)dst->shape[1];
  const float *s = ae_tensor_data(src) + (size_t)sr * SC + (size_t)sc;
  float *d = ae_tensor_data(dst) + (size_t)dr * DC + (size_t)dc;
  /* Views of one block (one storage, or a layer's weight and the model
   * arena it moved into): with the same row length, rows moved in the right
   * order (memmove within a row) are safe; with different lengths they are
   * only if the spans do not meet. */
  int same = ae_storage_home(src->storage) == ae_storage_home(dst->storage);
  if (same && SC != DC && d < s + (size_t)(h - 1) * SC + (size_t)w && s < d + (size_t)(h - 1) * DC + (size_t)w)
    return ae_fail(e, AE_EARG, "copy_block: the %d×%d block overlaps itself (views %s and %s of one storage)", h, w,
                   a, b);
  if (same && d > s)
    for (int i = h - 1; i >= 0; i--) memmove(d + (size_t)i * DC, s + (size_t)i * SC, (size_t)w * sizeof(float));
  else
    for (int i = 0; i < h; i++) memmove(d + (size_t)i * DC, s + (size_t)i * SC, (size_t)w * sizeof(float));
  return AE_OK;
}

int ae_tensor_gather_rows(ae_tensor_t *dst, const ae_tensor_t *src, const float *idx, int n, int base,
                          ae_error_t *e) {
  size_t row = ae_tensor_rowsize(src);
  if (ae_tensor_rowsize(dst) != row || n > dst->shape[0]) {
    char a[64], b[64];
    return ae_fail(e, AE_ESHAPE, "gather: %d rows of %s do not fit into %s", n,
                   ae_tensor_shape_str(src, a, sizeof a), ae_tensor_shape_str(dst, b, sizeof b));
  }
  for (int i = 0; i < n; i++) {
    /* Range first, in float: casting an out-of-range float to an integer is undefined. */
    float f = idx[i];
    if (!(f >= (float)base && f <= (float)(src->shape[0] - 1 + base)) || f != (float)(long)f)
      return ae_fail(e, AE_EARG, "gather: row index %g outside %d..%d", (double)idx[i], base, src->shape[0] - 1 + base);
  }
  const float *s = ae_tensor_data(src);
  float *d = ae_tensor_data(dst);
  /* A batch gather moves ~1 MB from scattered rows: both cores' loads help. */
  int nt = (size_t)n * row >= AE_PAR_MIN ? ae_threads() : 1;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int i = 0; i < n; i++)
    memcpy(d + (size_t)i * row, s + ((size_t)idx[i] - (size_t)base) * row, row * sizeof(float));
  return AE_OK;
}

ae_tensor_t *ae_tensor_transpose(const ae_tensor_t *t, ae_error_t *e) {
  if (t->ndim != 2) return ae_fail(e, AE_ESHAPE, "transpose: needs a 2-D tensor, got %d-D", t->ndim), NULL;
  int R = t->shape[0], C = t->shape[1];
  ae_tensor_t *o = ae_tensor_new2(C, R, e);
  if (!o) return NULL;
  const float *s = ae_tensor_data(t);
  float *d = ae_tensor_data(o);
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) d[(size_t)j * R + i] = s[(size_t)i * C + j];
  return o;
}

ae_tensor_t *ae_tensor_matmul(const ae_tensor_t *a, const ae_tensor_t *b, ae_error_t *e) {
  if (a->ndim != 2 || b->ndim != 2 || a->shape[1] != b->shape[0]) {
    char sa[64], sb[64];
    return ae_fail(e, AE_ESHAPE, "matmul: %s · %s: inner dimensions differ",
                   ae_tensor_shape_str(a, sa, sizeof sa), ae_tensor_shape_str(b, sb, sizeof sb)), NULL;
  }
  int M = a->shape[0], K = a->shape[1], N = b->shape[1];
  ae_tensor_t *c = ae_tensor_new2(M, N, e);
  if (!c) return NULL;
  ae_gemm(0, 0, M, N, K, 1.0f, ae_tensor_data(a), K, ae_tensor_data(b), N, 0.0f, ae_tensor_data(c), N);
  return c;
}

void ae_tensor_fill(ae_tensor_t *t, float v) {
  float *d = ae_tensor_data(t);
  size_t n = ae_tensor_numel(t);
  for (size_t i = 0; i < n; i++) d[i] = v;
}

static float apply(float x, float y, int op) {
  switch (op) {
  case AE_OP_ADD: return x + y;
  case AE_OP_SUB: return x - y;
  case AE_OP_MUL: return x * y;
  default: return x / y;
  }
}

int ae_tensor_binop(ae_tensor_t *out, const ae_tensor_t *a, const ae_tensor_t *b, int op,
                    ae_error_t *e) {
  size_t n = ae_tensor_numel(a), nb = ae_tensor_numel(b), row = ae_tensor_rowsize(a);
  int full = ae_tensor_same_shape(a, b);
  if (!full && nb != 1 && !(nb == row && (b->ndim == 1 || b->shape[0] == 1))) {
    char sa[64], sb[64];
    return ae_fail(e, AE_ESHAPE, "element-wise %s: shapes %s and %s do not match",
                   (const char *[]){"+", "-", "*", "/"}[op], ae_tensor_shape_str(a, sa, sizeof sa),
                   ae_tensor_shape_str(b, sb, sizeof sb));
  }
  const float *x = ae_tensor_data(a), *y = ae_tensor_data(b);
  float *o = ae_tensor_data(out);
  for (size_t i = 0; i < n; i++) o[i] = apply(x[i], y[full ? i : nb == 1 ? 0 : i % row], op);
  return AE_OK;
}

void ae_tensor_scalar_op(ae_tensor_t *out, const ae_tensor_t *a, float s, int op, int reversed) {
  size_t n = ae_tensor_numel(a);
  const float *x = ae_tensor_data(a);
  float *o = ae_tensor_data(out);
  for (size_t i = 0; i < n; i++) o[i] = reversed ? apply(s, x[i], op) : apply(x[i], s, op);
}

void ae_tensor_map(ae_tensor_t *out, const ae_tensor_t *a, int fn) {
  size_t n = ae_tensor_numel(a);
  const float *x = ae_tensor_data(a);
  float *o = ae_tensor_data(out);
  for (size_t i = 0; i < n; i++) {
    float v = x[i];
    switch (fn) {
    case AE_FN_LOG: o[i] = logf(v); break;
    case AE_FN_EXP: o[i] = expf(v); break;
    case AE_FN_ABS: o[i] = fabsf(v); break;
    case AE_FN_SQRT: o[i] = sqrtf(v); break;
    case AE_FN_SIGMOID: o[i] = 1.0f / (1.0f + expf(-v)); break;
    case AE_FN_TANH: o[i] = tanhf(v); break;
    default: o[i] = v > 0.0f ? v : 0.0f;
    }
  }
}

void ae_tensor_clamp(ae_tensor_t *out, const ae_tensor_t *a, float lo, float hi) {
  size_t n = ae_tensor_numel(a);
  const float *x = ae_tensor_data(a);
  float *o = ae_tensor_data(out);
  for (size_t i = 0; i < n; i++) o[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
}

double ae_tensor_sum(const ae_tensor_t *t) {
  const float *d = ae_tensor_data(t);
  size_t n = ae_tensor_numel(t);
  double s = 0;
  for (size_t i = 0; i < n; i++) s += d[i];
  return s;
}

float ae_tensor_min(const ae_tensor_t *t) {
  const float *d = ae_tensor_data(t);
  size_t n = ae_tensor_numel(t);
  float m = n ? d[0] : NAN;
  for (size_t i = 1; i < n; i++) m = d[i] < m ? d[i] : m;
  return m;
}

/* Blocks of 4096 with an integer OR over "exponent all ones" (NaN and Inf
 * alike): that vectorizes, where isfinite() in a loop with an early exit
 * does not; the block with a hit is then scanned for its first value. */
size_t ae_tensor_find_nonfinite(const ae_tensor_t *t) {
  const float *d = ae_tensor_data(t);
  size_t n = ae_tensor_numel(t);
  for (size_t start = 0; start < n; start += 4096) {
    size_t end = n - start < 4096 ? n : start + 4096;
    uint32_t bad = 0;
    for (size_t i = start; i < end; i++) {
      uint32_t bits;
      memcpy(&bits, d + i, sizeof bits);
      bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    if (bad)
      for (size_t i = start; i < end; i++)
        if (!isfinite(d[i])) return i;
  }
  return n;
}

float ae_tensor_max(const ae_tensor_t *t) {
  const float *d = ae_tensor_data(t);
  size_t n = ae_tensor_numel(t);
  float m = n ? d[0] : NAN;
  for (size_t i = 1; i < n; i++) m = d[i] > m ? d[i] : m;
  return m;
}

ae_tensor_t *ae_tensor_mean_rows(const ae_tensor_t *t, ae_error_t *e) {
  int R = t->shape[0];
  size_t C = ae_tensor_rowsize(t);
  int shape[2] = {1, (int)C};
  ae_tensor_t *m = ae_tensor_new(2, shape, e);
  if (!m) return NULL;
  double *acc = calloc(C ? C : 1, sizeof *acc);
  if (!acc) {
    ae_tensor_free(m);
    return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  }
  const float *d = ae_tensor_data(t);
  for (int i = 0; i < R; i++)
    for (size_t j = 0; j < C; j++) acc[j] += d[(size_t)i * C + j];
  for (size_t j = 0; j < C; j++) ae_tensor_data(m)[j] = R ? (float)(acc[j] / R) : 0.0f;
  free(acc);
  return m;
}

ae_tensor_t *ae_tensor_argmax_rows(const ae_tensor_t *t, ae_error_t *e) {
  int R = t->shape[0];
  size_t C = ae_tensor_rowsize(t);
  int shape[1] = {R};
  ae_tensor_t *o = ae_tensor_new(1, shape, e);
  if (!o) return NULL;
  const float *d = ae_tensor_data(t);
  for (int i = 0; i < R; i++) {
    size_t best = 0;
    for (size_t j = 1; j < C; j++)
      if (d[(size_t)i * C + j] > d[(size_t)i * C + best]) best = j;
    ae_tensor_data(o)[i] = (float)best;
  }
  return o;
}

/* ---- .npy (format version 1.0) ---- */

int ae_tensor_save_npy(const ae_tensor_t *t, const char *path, ae_error_t *e) {
  char header[256], dims[128] = "";
  size_t used = 0;
  for (int i = 0; i < t->ndim; i++)
    used += (size_t)snprintf(dims + used, sizeof dims - used, "%d,%s", t->shape[i],
                             (t->ndim > 1 && i < t->ndim - 1) ? " " : "");
  if (t->ndim > 1) dims[used - 1] = '\0'; /* "(3, 4)" not "(3, 4,)"; 1-D keeps "(3,)" */
  int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }",
                     dims);
  int total = 10 + len + 1;
  int pad = (64 - total % 64) % 64; /* header padded so data starts 64-aligned */
  ae_file_t f;
  if (ae_file_begin(&f, path, e)) return e->code;
  unsigned short hlen = (unsigned short)(len + pad + 1);
  unsigned char hl[2] = {(unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
  char spaces[64];
  memset(spaces, ' ', sizeof spaces);
  ae_file_write(&f, "\x93NUMPY\x01\x00", 8);
  ae_file_write(&f, hl, 2);
  ae_file_write(&f, header, (size_t)len);
  ae_file_write(&f, spaces, (size_t)pad);
  ae_file_write(&f, "\n", 1);
  ae_file_write(&f, ae_tensor_data(t), ae_tensor_numel(t) * sizeof(float));
  if (ae_file_commit(&f, e)) return e->code; /* names the file and the reason; the old file stays */
  return AE_OK;
}

ae_tensor_t *ae_tensor_load_npy(const char *path, ae_error_t *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return ae_fail(e, AE_EIO, "load_npy: cannot open '%s'", path), NULL;
  unsigned char pre[10];
  ae_tensor_t *t = NULL;
  char *header = NULL;
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    ae_fail(e, AE_EFORMAT, "load_npy: '%s' is not a .npy file (bad magic)", path);
    goto done;
  }
  size_t hlen = pre[8] | (size_t)pre[9] << 8;
  if (pre[6] >= 2) { /* version 2/3: 4-byte header length */
    unsigned char more[2];
    if (fread(more, 1, 2, f) != 2) goto truncated;
    hlen |= (size_t)more[0] << 16 | (size_t)more[1] << 24;
  }
  header = malloc(hlen + 1);
  if (!header) {
    ae_fail(e, AE_ENOMEM, "out of memory");
    goto done;
  }
  if (fread(header, 1, hlen, f) != hlen) goto truncated;
  header[hlen] = '\0';
  int elsize;
  if (strstr(header, "'<f4'")) elsize = 4;
  else if (strstr(header, "'<f8'")) elsize = 8;
  else if (strstr(header, "'|u1'")) elsize = 1;
  else {
    ae_fail(e, AE_EFORMAT, "load_npy: '%s': only float32, float64 and uint8 are supported", path);
    goto done;
  }
  if (strstr(header, "'fortran_order': True")) {
    ae_fail(e, AE_EFORMAT, "load_npy: '%s' is in Fortran order; save it C-contiguous", path);
    goto done;
  }
  const char *s = strstr(header, "'shape': (");
  if (!s) {
    ae_fail(e, AE_EFORMAT, "load_npy: '%s': header has no shape", path);
    goto done;
  }
  s += 10;
  int shape[AE_MAXDIM], nd = 0;
  while (*s && *s != ')') {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s) break;
    if (nd == AE_MAXDIM) {
      ae_fail(e, AE_EFORMAT, "load_npy: '%s' has more than %d dimensions", path, AE_MAXDIM);
      goto done;
    }
    if (v < 0 || v > INT_MAX) {
      ae_fail(e, AE_EFORMAT, "load_npy: '%s' has a dimension of %ld", path, v);
      goto done;
    }
    shape[nd++] = (int)v;
    s = end;
    while (*s == ',' || *s == ' ') s++;
  }
  if (nd == 0) shape[nd++] = 1; /* a 0-d array */
  t = ae_tensor_new(nd, shape, e);
  if (!t) goto done;
  size_t n = ae_tensor_numel(t);
  float *d = ae_tensor_data(t);
  if (elsize == 4) {
    if (fread(d, 4, n, f) != n) goto truncated;
  } else {
    unsigned char buf[8];
    for (size_t i = 0; i < n; i++) {
      if (fread(buf, (size_t)elsize, 1, f) != 1) goto truncated;
      if (elsize == 1) d[i] = buf[0];
      else {
        double v;
        memcpy(&v, buf, 8);
        d[i] = (float)v;
      }
    }
  }
  goto done;
truncated:
  ae_fail(e, AE_EFORMAT, "load_npy: '%s' is truncated", path);
  ae_tensor_free(t);
  t = NULL;
done:
  free(header);
  fclose(f);
  return t;
}
