/* Model files in the safetensors format (what PyTorch users exchange
 * weights in; readable with json + numpy alone):
 *
 *   8 bytes    N, the header's length, little-endian u64
 *   N bytes    a JSON object: "__metadata__": {string: string, ...} and, per
 *              tensor, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}
 *              (padded with spaces to a multiple of 8)
 *   the rest   the tensors' float32 values, little-endian, back to back;
 *              offsets count from the first byte after the header
 *
 * aelab adds to __metadata__ "aelab_format" (AE_ST_FORMAT) and "crc32" (8 hex
 * digits: zlib's CRC-32 of the data bytes); the rest of the metadata (the
 * architecture, training options, a checkpoint's state) is the caller's.
 *
 * The reader takes untrusted bytes: every offset, size and count is checked
 * against the file before use, the tensors must tile the data exactly (as
 * the format requires), and a file of a newer aelab_format is refused by
 * name before anything else about it. tests/fuzz/fuzz_model.c drives it. */
#ifndef AE_SAFETENSORS_H
#define AE_SAFETENSORS_H

#include "ae.h"
#include "tensor.h"

#include <stddef.h>

/* The aelab_format this aelab writes and the newest it reads. */
#define AE_ST_FORMAT 1
/* The format's own limit on the header (100 MB), before anything is read. */
#define AE_ST_MAX_HEADER (100u << 20)

typedef struct ae_st_entry {
  char *name;
  int ndim;              /* 0 to AE_MAXDIM */
  int shape[AE_MAXDIM];
  size_t begin, end;     /* bytes of the data block: [begin, end) */
} ae_st_entry_t;

typedef struct ae_st {
  int n;                 /* tensors, sorted by offset */
  ae_st_entry_t *t;      /* (n) */
  int nmeta;
  char **key, **value;   /* (nmeta) each: __metadata__ in file order */
  unsigned char *bytes;  /* the whole file, owned */
  size_t len;
  const unsigned char *data; /* into bytes: the data block, data_len bytes */
  size_t data_len;
} ae_st_t;

/* Parses a file's bytes (copied; `what` names it in messages: the path). */
ae_st_t *ae_st_parse(const void *buf, size_t n, const char *what, ae_error_t *e);
/* Reads and parses the file at path; a missing file is AE_EIO. */
ae_st_t *ae_st_read(const char *path, ae_error_t *e);
void ae_st_free(ae_st_t *st);
/* The metadata value of key, or NULL. */
const char *ae_st_meta(const ae_st_t *st, const char *key);
/* The index of the tensor called name, or -1. */
int ae_st_find(const ae_st_t *st, const char *name);
/* Values of tensor i (its numel floats), copied into dst. */
void ae_st_values(const ae_st_t *st, int i, float *dst);

/* One tensor to write: name, shape, values (numel floats, contiguous). */
typedef struct ae_st_out {
  const char *name;
  int ndim;
  const int *shape;
  const float *data;
} ae_st_out_t;

/* Writes n tensors with nmeta metadata pairs (meta[2i] → meta[2i+1]) to
 * path through ae_file (a temporary name, checked, renamed); adds
 * aelab_format and crc32 (keys the caller gives by those names are refused). */
int ae_st_write(const char *path, const char *const *meta, int nmeta, const ae_st_out_t *t, int n, ae_error_t *e);

#endif
