/* Tensors: storage, views, copies, simple math and .npy files. */
#include "tensor.h"
#include "blas.h"
#include "file.h"
#include "pool.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    return ae_fail_shape(e, "tensor view: %zu elements at offset %zu exceed storage of %zu", n,
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
    return ae_fail_shape(e, "reshape: %s has %zu elements, the new shape %zu",
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
    return ae_fail_shape(e, "copy: %s into %s: element counts differ",
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
    return ae_fail_shape(e, "copy_block: from %s into %s: both tensors must be 2-D (reshape them)", a, b);
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

typedef struct {
  float *d;
  const float *s, *idx;
  int n, base;
  size_t row;
} gather_t;
static void gather_task(void *ctx, int t, int T, int thread) {
  (void)thread;
  const gather_t *g = ctx;
  for (int i = (int)((long)g->n * t / T); i < (int)((long)g->n * (t + 1) / T); i++)
    memcpy(g->d + (size_t)i * g->row, g->s + ((size_t)g->idx[i] - (size_t)g->base) * g->row, g->row * sizeof(float));
}

int ae_tensor_gather_rows(ae_tensor_t *dst, const ae_tensor_t *src, const float *idx, int n, int base,
                          ae_error_t *e) {
  size_t row = ae_tensor_rowsize(src);
  if (ae_tensor_rowsize(dst) != row || n > dst->shape[0]) {
    char a[64], b[64];
    return ae_fail_shape(e, "gather: %d rows of %s do not fit into %s", n,
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
  gather_t g = {d, s, idx, n, base, row};
  ae_parallel((size_t)n * row >= AE_PAR_MIN ? ae_threads() : 1, gather_task, &g);
  return AE_OK;
}

ae_tensor_t *ae_tensor_transpose(const ae_tensor_t *t, ae_error_t *e) {
  if (t->ndim != 2) return ae_fail_shape(e, "transpose: needs a 2-D tensor, got %d-D", t->ndim), NULL;
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
    return ae_fail_shape(e, "matmul: %s · %s: inner dimensions differ",
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
    return ae_fail_shape(e, "element-wise %s: shapes %s and %s do not match",
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

/* Reading: the header is a Python dict literal, parsed as one, e.g.
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * (Python 2's numpy wrote '(2L, 3L)'). Sizes are checked against the bytes
 * there are before anything is allocated: a 148-byte file claiming
 * 20000×20000 floats is refused as truncated, not zero-filled first. The
 * host is little-endian (x86-64), as the writer above assumes. */
enum { NPY_F4, NPY_F8, NPY_U1 };
typedef struct {
  int kind, swap;   /* element type; big-endian data, byte-swapped on load */
  size_t elsize;    /* bytes per element */
  int nd, shape[AE_MAXDIM];
  size_t numel;
  size_t offset;    /* where the data starts */
} npy_header_t;

/* The header's text from s to end: one small recursive-descent reader. */
typedef struct {
  const char *s, *end;
} cursor_t;

static void skip_space(cursor_t *c) {
  while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\n' || *c->s == '\r')) c->s++;
}

static int eat(cursor_t *c, char ch) {
  skip_space(c);
  if (c->s < c->end && *c->s == ch) {
    c->s++;
    return 1;
  }
  return 0;
}

/* A quoted string ('...' or "...", no escapes: numpy writes none) into buf. */
static int read_string(cursor_t *c, char *buf, size_t size) {
  skip_space(c);
  if (c->s >= c->end || (*c->s != '\'' && *c->s != '"')) return 0;
  char q = *c->s++;
  size_t n = 0;
  while (c->s < c->end && *c->s != q) {
    if (n + 1 >= size) return 0;
    buf[n++] = *c->s++;
  }
  if (c->s >= c->end) return 0;
  c->s++;
  buf[n] = '\0';
  return 1;
}

static int read_word(cursor_t *c, const char *w) {
  skip_space(c);
  size_t n = strlen(w);
  if ((size_t)(c->end - c->s) < n || memcmp(c->s, w, n) != 0) return 0;
  c->s += n;
  return 1;
}

#define NPY_FAIL(...) return ae_fail(e, AE_EFORMAT, __VA_ARGS__)

/* The shape tuple: "()", "(5,)", "(2, 3)", "(2L, 3L)". */
static int read_shape(cursor_t *c, npy_header_t *h, const char *name, ae_error_t *e) {
  if (!eat(c, '(')) NPY_FAIL("load_npy: '%s': the shape is not a tuple", name);
  h->nd = 0;
  for (;;) {
    if (eat(c, ')')) break;
    skip_space(c);
    const char *num = c->s;
    int neg = c->s < c->end && *c->s == '-';
    if (neg) c->s++;
    if (c->s >= c->end || *c->s < '0' || *c->s > '9')
      NPY_FAIL("load_npy: '%s': the shape holds something other than sizes", name);
    unsigned long long v = 0;
    while (c->s < c->end && *c->s >= '0' && *c->s <= '9') {
      if (v <= INT_MAX) v = v * 10 + (unsigned)(*c->s - '0'); /* stops growing past INT_MAX: no overflow */
      c->s++;
    }
    if (neg || v > INT_MAX)
      NPY_FAIL("load_npy: '%s' has a dimension of %.*s (sizes are 0 to %d)", name, (int)(c->s - num < 40 ? c->s - num : 40),
               num, INT_MAX);
    if (c->s < c->end && (*c->s == 'L' || *c->s == 'l')) c->s++; /* Python 2's long */
    if (h->nd == AE_MAXDIM) NPY_FAIL("load_npy: '%s' has more than %d dimensions", name, AE_MAXDIM);
    h->shape[h->nd++] = (int)v;
    if (eat(c, ')')) break;
    if (!eat(c, ',')) NPY_FAIL("load_npy: '%s': the sizes of its shape are not separated by commas", name);
  }
  if (h->nd == 0) h->shape[h->nd++] = 1; /* a 0-d array: one value */
  return AE_OK;
}

static int read_descr(const char *d, npy_header_t *h, const char *name, ae_error_t *e) {
  char order = d[0];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    NPY_FAIL("load_npy: '%s': dtype '%s' is not supported (float32, float64 and uint8 are)", name, d);
  h->swap = order == '>';
  if (strcmp(d + 1, "f4") == 0) h->kind = NPY_F4, h->elsize = 4;
  else if (strcmp(d + 1, "f8") == 0) h->kind = NPY_F8, h->elsize = 8;
  else if (strcmp(d + 1, "u1") == 0) h->kind = NPY_U1, h->elsize = 1, h->swap = 0;
  else NPY_FAIL("load_npy: '%s': dtype '%s' is not supported (float32, float64 and uint8 are)", name, d);
  if (order == '|' && h->elsize > 1) NPY_FAIL("load_npy: '%s': dtype '%s' has no byte order", name, d);
  return AE_OK;
}

/* Parses the preamble and header in buf[0..size) (at least up to the end of
 * the header); `total` is the whole file's size, to check the data against. */
static int parse_header(const unsigned char *buf, size_t size, size_t total, npy_header_t *h, const char *name,
                        ae_error_t *e) {
  if (size < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) NPY_FAIL("load_npy: '%s' is not a .npy file (bad magic)", name);
  int major = buf[6];
  if (major < 1 || major > 3) NPY_FAIL("load_npy: '%s': .npy format version %d.%d is not supported", name, major, buf[7]);
  size_t hlen = buf[8] | (size_t)buf[9] << 8, start = 10;
  if (major >= 2) { /* version 2 and 3: a 4-byte header length */
    if (size < 12) NPY_FAIL("load_npy: '%s' is truncated in its header", name);
    hlen |= (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    start = 12;
  }
  if (hlen > size - start) NPY_FAIL("load_npy: '%s' is truncated in its header", name);
  cursor_t c = {(const char *)buf + start, (const char *)buf + start + hlen};
  int seen_descr = 0, seen_order = 0, seen_shape = 0;
  if (!eat(&c, '{')) NPY_FAIL("load_npy: '%s': the header is not a dictionary", name);
  while (!eat(&c, '}')) {
    char key[32], value[32];
    if (!read_string(&c, key, sizeof key) || !eat(&c, ':'))
      NPY_FAIL("load_npy: '%s': the header is not a dictionary of 'descr', 'fortran_order' and 'shape'", name);
    if (strcmp(key, "descr") == 0) {
      if (!read_string(&c, value, sizeof value))
        NPY_FAIL("load_npy: '%s': a structured dtype is not supported (float32, float64 and uint8 are)", name);
      if (read_descr(value, h, name, e)) return e->code;
      seen_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (read_word(&c, "True")) NPY_FAIL("load_npy: '%s' is in Fortran order; save it C-contiguous", name);
      if (!read_word(&c, "False")) NPY_FAIL("load_npy: '%s': fortran_order is neither True nor False", name);
      seen_order = 1;
    } else if (strcmp(key, "shape") == 0) {
      if (read_shape(&c, h, name, e)) return e->code;
      seen_shape = 1;
    } else {
      NPY_FAIL("load_npy: '%s': unknown header key '%s'", name, key);
    }
    if (!eat(&c, ',')) {
      if (!eat(&c, '}')) NPY_FAIL("load_npy: '%s': the header's entries are not separated by commas", name);
      break;
    }
  }
  if (!seen_descr || !seen_order || !seen_shape)
    NPY_FAIL("load_npy: '%s': header has no %s", name, !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");
  /* the element count and byte count, without overflow, against the file */
  size_t n = 1, avail = total - (start + hlen);
  int zero = 0;
  for (int i = 0; i < h->nd; i++) zero |= h->shape[i] == 0;
  for (int i = 0; i < h->nd && !zero; i++) {
    if (n > avail / h->elsize / (size_t)h->shape[i]) {
      char dims[96];
      NPY_FAIL("load_npy: '%s' is truncated: its header promises %s values of %zu bytes, the file holds %zu bytes "
               "of data", name, ae_dims_str(h->shape, h->nd, '[', ']', dims, sizeof dims), h->elsize, avail);
    }
    n *= (size_t)h->shape[i];
  }
  h->numel = zero ? 0 : n;
  if (h->numel * h->elsize != avail)
    NPY_FAIL("load_npy: '%s' is longer than its header says: %zu bytes of data for %zu values of %zu bytes", name,
             avail, h->numel, h->elsize);
  h->offset = start + hlen;
  return AE_OK;
}

/* n values of the file's type at src into floats at dst. */
static void convert(float *dst, const unsigned char *src, size_t n, const npy_header_t *h) {
  for (size_t i = 0; i < n; i++) {
    unsigned char b[8];
    memcpy(b, src + i * h->elsize, h->elsize);
    if (h->swap)
      for (size_t k = 0; k < h->elsize / 2; k++) {
        unsigned char t = b[k];
        b[k] = b[h->elsize - 1 - k];
        b[h->elsize - 1 - k] = t;
      }
    if (h->kind == NPY_U1) dst[i] = b[0];
    else if (h->kind == NPY_F4) memcpy(dst + i, b, 4);
    else {
      double v;
      memcpy(&v, b, 8);
      dst[i] = (float)v;
    }
  }
}

ae_tensor_t *ae_tensor_parse_npy(const void *bytes, size_t size, const char *name, ae_error_t *e) {
  npy_header_t h;
  if (parse_header(bytes, size, size, &h, name, e)) return NULL;
  ae_tensor_t *t = ae_tensor_new(h.nd, h.shape, e);
  if (t) convert(ae_tensor_data(t), (const unsigned char *)bytes + h.offset, h.numel, &h);
  return t;
}

ae_tensor_t *ae_tensor_load_npy(const char *path, ae_error_t *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return ae_fail(e, AE_EIO, "load_npy: cannot open '%s': %s", path, strerror(errno)), NULL;
  ae_tensor_t *t = NULL;
  unsigned char *head = NULL;
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    ae_fail(e, AE_EIO, "load_npy: '%s' is not a regular file", path);
    goto done;
  }
  size_t total = (size_t)st.st_size;
  /* the preamble, then the header it announces (at most the whole file) */
  unsigned char pre[12];
  size_t got = fread(pre, 1, sizeof pre, f);
  size_t hlen = got >= 10 ? (pre[8] | (size_t)pre[9] << 8) + 10 : got;
  if (got >= 12 && pre[6] >= 2) hlen = (pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24) + 12;
  if (hlen > total) hlen = total; /* parse_header then says truncated */
  if (hlen < got) hlen = got;
  head = malloc(hlen ? hlen : 1);
  if (!head) {
    ae_fail(e, AE_ENOMEM, "load_npy: out of memory for the header of '%s'", path);
    goto done;
  }
  memcpy(head, pre, got);
  if (fread(head + got, 1, hlen - got, f) != hlen - got) {
    ae_fail(e, AE_EIO, "load_npy: cannot read '%s'", path);
    goto done;
  }
  npy_header_t h;
  if (parse_header(head, hlen, total, &h, path, e)) goto done;
  t = ae_tensor_new(h.nd, h.shape, e);
  if (!t) goto done;
  float *d = ae_tensor_data(t);
  if (h.kind == NPY_F4 && !h.swap) {
    if (fread(d, 4, h.numel, f) != h.numel) goto short_read;
  } else { /* through a buffer, in blocks: no second copy of the whole file */
    unsigned char buf[8192];
    size_t per = sizeof buf / h.elsize;
    for (size_t i = 0; i < h.numel; i += per) {
      size_t k = h.numel - i < per ? h.numel - i : per;
      if (fread(buf, h.elsize, k, f) != k) goto short_read;
      convert(d + i, buf, k, &h);
    }
  }
  goto done;
short_read: /* the file shrank since fstat, or a read error */
  ae_fail(e, AE_EIO, "load_npy: cannot read the data of '%s'%s", path, ferror(f) ? "" : ": it is shorter than it was");
  ae_tensor_free(t);
  t = NULL;
done:
  free(head);
  fclose(f);
  return t;
}
