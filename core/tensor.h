/* Tensors: float32, row-major, contiguous, up to 4-D.
 *
 * Storage is reference-counted: a view (narrow along the first dimension,
 * reshape) shares its base's storage and keeps it alive. Refcounts are not
 * atomic: tensors are created and freed from one thread (the Lua state). */
#ifndef AE_TENSOR_H
#define AE_TENSOR_H

#include "ae.h"
#include <stdint.h>

#define AE_MAXDIM 4

typedef struct ae_storage {
  float *data;
  size_t size; /* in floats */
  int refs;
  /* Not NULL: data lies inside base's block, which this storage keeps alive
   * (a layer's parameter moved into a model's arena, see ae_tensor_move). */
  struct ae_storage *base;
} ae_storage_t;

typedef struct ae_tensor {
  ae_storage_t *storage;
  size_t offset; /* in floats, into storage->data */
  int ndim;
  int shape[AE_MAXDIM];
} ae_tensor_t;

ae_tensor_t *ae_tensor_new(int ndim, const int *shape, ae_error_t *e); /* zero-filled */
ae_tensor_t *ae_tensor_new2(int rows, int cols, ae_error_t *e);
ae_tensor_t *ae_tensor_view(const ae_tensor_t *base, size_t offset, int ndim,
                            const int *shape, ae_error_t *e);
void ae_tensor_free(ae_tensor_t *t);
/* Moves the values of t, which must span its whole storage, to offset `off`
 * of dst's storage, and makes t's storage live there from now on: every view
 * of t, made before or after, reads and writes the new place. A model packs
 * its layers' parameters into one arena this way, so a view a user took
 * from layer:parameters() before stays live. Allocates nothing. */
int ae_tensor_move(ae_tensor_t *t, const ae_tensor_t *dst, size_t off, ae_error_t *e);
/* The block a storage's data really lives in (itself, or the arena it moved to). */
static inline ae_storage_t *ae_storage_home(ae_storage_t *s) { return s->base ? s->base : s; }

static inline float *ae_tensor_data(const ae_tensor_t *t) {
  return t->storage->data + t->offset;
}
size_t ae_tensor_numel(const ae_tensor_t *t);
/* Elements per row (product of all but the first dimension). */
size_t ae_tensor_rowsize(const ae_tensor_t *t);
/* "(1×28×28)" or "[256×784]": dims joined by × between open and close. */
const char *ae_dims_str(const int *d, int nd, char open, char close, char *buf, size_t n);
/* "[256×784]" into buf; returns buf. */
const char *ae_tensor_shape_str(const ae_tensor_t *t, char *buf, size_t n);
int ae_tensor_same_shape(const ae_tensor_t *a, const ae_tensor_t *b);

/* Views. */
ae_tensor_t *ae_tensor_narrow(const ae_tensor_t *t, int start, int count, ae_error_t *e);
ae_tensor_t *ae_tensor_reshape(const ae_tensor_t *t, int ndim, const int *shape, ae_error_t *e);

/* Copies. */
ae_tensor_t *ae_tensor_clone(const ae_tensor_t *t, ae_error_t *e);
int ae_tensor_copy(ae_tensor_t *dst, const ae_tensor_t *src, ae_error_t *e);
/* A 2-D block copy: dst (DR, DC) rows dr..dr+h−1, columns dc..dc+w−1 =
 * src (SR, SC) rows sr.., columns sc.. (0-based corners; an h×w block, 0 allowed).
 * Both tensors 2-D and the block inside each; dst and src may be views of
 * one storage when they share their row length (else the blocks must not overlap). */
int ae_tensor_copy_block(ae_tensor_t *dst, int dr, int dc, const ae_tensor_t *src, int sr, int sc, int h, int w,
                         ae_error_t *e);
/* dst row i = src row idx[i] − base, i < n. Indices are floats (exact up to
 * 2^24 rows) so a Lua-made permutation tensor serves directly. */
int ae_tensor_gather_rows(ae_tensor_t *dst, const ae_tensor_t *src, const float *idx, int n, int base,
                          ae_error_t *e);
ae_tensor_t *ae_tensor_transpose(const ae_tensor_t *t, ae_error_t *e); /* 2-D only */
/* C = A·B for 2-D tensors. */
ae_tensor_t *ae_tensor_matmul(const ae_tensor_t *a, const ae_tensor_t *b, ae_error_t *e);

/* Element-wise and reductions. */
void ae_tensor_fill(ae_tensor_t *t, float v);
enum { AE_OP_ADD, AE_OP_SUB, AE_OP_MUL, AE_OP_DIV };
/* out = a op b; b broadcasts when it is a single row of a's row size or a scalar tensor. */
int ae_tensor_binop(ae_tensor_t *out, const ae_tensor_t *a, const ae_tensor_t *b, int op,
                    ae_error_t *e);
void ae_tensor_scalar_op(ae_tensor_t *out, const ae_tensor_t *a, float s, int op, int reversed);
enum { AE_FN_LOG, AE_FN_EXP, AE_FN_ABS, AE_FN_SQRT, AE_FN_SIGMOID, AE_FN_TANH, AE_FN_RELU };
/* out = fn(a) element-wise (out may be a). */
void ae_tensor_map(ae_tensor_t *out, const ae_tensor_t *a, int fn);
/* out = min(max(a, lo), hi) */
void ae_tensor_clamp(ae_tensor_t *out, const ae_tensor_t *a, float lo, float hi);
double ae_tensor_sum(const ae_tensor_t *t);
float ae_tensor_min(const ae_tensor_t *t);
float ae_tensor_max(const ae_tensor_t *t);
/* Flat index (0-based) of the first NaN or ±Inf, or numel when every value
 * is finite: fit checks its data with it before training. */
size_t ae_tensor_find_nonfinite(const ae_tensor_t *t);
/* Mean over the first dimension: a [1×rowsize] tensor. */
ae_tensor_t *ae_tensor_mean_rows(const ae_tensor_t *t, ae_error_t *e);
/* Index of the largest value in each row (0-based), as floats [N]. */
ae_tensor_t *ae_tensor_argmax_rows(const ae_tensor_t *t, ae_error_t *e);

/* numpy .npy files: saved as little-endian float32, C order. Loads float32,
 * float64 and uint8 of either byte order (versions 1 to 3); sizes are checked
 * against the file's length before any allocation. */
int ae_tensor_save_npy(const ae_tensor_t *t, const char *path, ae_error_t *e);
ae_tensor_t *ae_tensor_load_npy(const char *path, ae_error_t *e);
/* The same from the whole file's bytes in memory (what the fuzzer feeds);
 * name is used in messages. */
ae_tensor_t *ae_tensor_parse_npy(const void *bytes, size_t size, const char *name, ae_error_t *e);

#endif
