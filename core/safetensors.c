/* safetensors files (safetensors.h): the writer, and a reader for untrusted
 * bytes with a JSON parser just big enough for the header (objects,
 * strings, arrays of non-negative integers; nothing else appears there). */
#include "safetensors.h"
#include "file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* The data is written and read as the host's floats: little-endian only. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors.c assumes a little-endian host");

/* zlib's crc32 takes an unsigned int length: feed it in slices. */
static unsigned long crc_of(const unsigned char *p, size_t n) {
  unsigned long c = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    unsigned slice = n > (1u << 30) ? (1u << 30) : (unsigned)n;
    c = crc32(c, p, slice);
    p += slice;
    n -= slice;
  }
  return c;
}

/* ---- reading: the header's JSON ---- */

typedef struct {
  const char *p, *end; /* what is left of the header */
  const char *what;    /* the file, for messages */
  ae_error_t *e;
} js_t;

static int bad(js_t *j, const char *why) {
  return ae_fail(j->e, AE_EFORMAT, "%s: the header is not valid safetensors JSON: %s", j->what, why);
}

static void skip_ws(js_t *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

/* Consumes c (after white space), or fails naming it. */
static int expect(js_t *j, char c) {
  skip_ws(j);
  if (j->p >= j->end || *j->p != c) {
    char why[40];
    snprintf(why, sizeof why, "expected '%c'", c);
    return bad(j, why);
  }
  j->p++;
  return AE_OK;
}

/* 1 and consumes c when it comes next, else 0. */
static int accept(js_t *j, char c) {
  skip_ws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return 1;
  }
  return 0;
}

static int hex4(const char *p, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    *v = *v * 16 + (unsigned)d;
  }
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) return o[0] = (char)cp, 1;
  if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
  if (cp < 0x10000)
    return o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F)), 3;
  o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* A string into *out (malloc'd, NUL-terminated, escapes decoded). Decoded
 * text is never longer than its JSON, so one allocation of that size holds it. */
static int parse_string(js_t *j, char **out) {
  *out = NULL;
  if (expect(j, '"')) return j->e->code;
  const char *s = j->p;
  while (s < j->end && *s != '"') {
    if (*s == '\\' && ++s == j->end) break; /* an escape: skip the character it escapes */
    s++;
  }
  if (s >= j->end) return bad(j, "a string is not terminated");
  char *o = malloc((size_t)(s - j->p) + 1);
  if (!o) return ae_fail(j->e, AE_ENOMEM, "%s: out of memory for the header", j->what);
  size_t n = 0;
  const char *p = j->p;
  while (p < s) {
    unsigned char c = (unsigned char)*p++;
    if (c < 0x20) {
      free(o);
      return bad(j, "a control character in a string");
    }
    if (c != '\\') {
      o[n++] = (char)c;
      continue;
    }
    char esc = *p++; /* p < s + 1: the scan above skipped escapes in pairs */
    const char *simple = strchr("\"\\/bfnrt", esc);
    if (esc && simple) {
      o[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
      continue;
    }
    unsigned cp, lo;
    if (esc != 'u' || s - p < 4 || hex4(p, &cp)) {
      free(o);
      return bad(j, "a bad escape in a string");
    }
    p += 4;
    if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair: \uD8xx\uDCxx */
      if (s - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
        free(o);
        return bad(j, "an unpaired surrogate in a string");
      }
      p += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
      free(o);
      return bad(j, cp ? "an unpaired surrogate in a string" : "a NUL character in a string");
    }
    n += put_utf8(o + n, cp); /* ≤ 4 bytes from ≥ 6 of JSON */
  }
  o[n] = '\0';
  j->p = s + 1;
  *out = o;
  return AE_OK;
}

/* A non-negative integer up to 2^53 (JSON's exact range): sizes and offsets. */
static int parse_uint(js_t *j, uint64_t *v) {
  skip_ws(j);
  if (j->p >= j->end || *j->p < '0' || *j->p > '9') return bad(j, "expected a non-negative integer");
  if (*j->p == '0' && j->p + 1 < j->end && j->p[1] >= '0' && j->p[1] <= '9') return bad(j, "a number with a leading zero");
  uint64_t x = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    x = x * 10 + (uint64_t)(*j->p++ - '0');
    if (x > (1ull << 53)) return bad(j, "a number too large");
  }
  if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) return bad(j, "expected an integer");
  *v = x;
  return AE_OK;
}

/* [n0, n1, ...] of at most max integers into v; *count gets how many. */
static int parse_uints(js_t *j, uint64_t *v, int max, int *count) {
  *count = 0;
  if (expect(j, '[')) return j->e->code;
  if (accept(j, ']')) return AE_OK;
  do {
    if (*count == max) return bad(j, "an array too long");
    if (parse_uint(j, &v[(*count)++])) return j->e->code;
  } while (accept(j, ','));
  return expect(j, ']');
}

/* __metadata__: {"key": "value", ...} appended to st. */
static int parse_meta(js_t *j, ae_st_t *st) {
  if (expect(j, '{')) return j->e->code;
  if (accept(j, '}')) return AE_OK;
  do {
    char *k, *v;
    if (parse_string(j, &k)) return j->e->code;
    if (expect(j, ':') || parse_string(j, &v)) {
      free(k);
      return j->e->code;
    }
    char **nk = realloc(st->key, (size_t)(st->nmeta + 1) * sizeof *nk);
    if (nk) st->key = nk;
    char **nv = nk ? realloc(st->value, (size_t)(st->nmeta + 1) * sizeof *nv) : NULL;
    if (nv) st->value = nv;
    if (!nk || !nv) {
      free(k), free(v);
      return ae_fail(j->e, AE_ENOMEM, "%s: out of memory for the header", j->what);
    }
    st->key[st->nmeta] = k;
    st->value[st->nmeta++] = v;
  } while (accept(j, ','));
  return expect(j, '}');
}

/* {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, each key once. */
static int parse_entry(js_t *j, ae_st_entry_t *t, char *name) {
  int have_dtype = 0, have_shape = 0, have_off = 0;
  char who[120];
  snprintf(who, sizeof who, "tensor '%.60s'", name);
  if (expect(j, '{')) return j->e->code;
  if (!accept(j, '}')) do {
      char *k;
      if (parse_string(j, &k) || expect(j, ':')) {
        free(k);
        return j->e->code;
      }
      int which = strcmp(k, "dtype") == 0 ? 0 : strcmp(k, "shape") == 0 ? 1 : strcmp(k, "data_offsets") == 0 ? 2 : -1;
      free(k);
      if (which < 0) return ae_fail(j->e, AE_EFORMAT, "%s: %s has a key other than dtype, shape, data_offsets", j->what, who);
      if ((which == 0 && have_dtype++) || (which == 1 && have_shape++) || (which == 2 && have_off++))
        return ae_fail(j->e, AE_EFORMAT, "%s: %s repeats a key", j->what, who);
      if (which == 0) {
        char *dtype;
        if (parse_string(j, &dtype)) return j->e->code;
        int f32 = strcmp(dtype, "F32") == 0;
        if (!f32) ae_fail(j->e, AE_EFORMAT, "%s: %s is %.16s; aelab reads F32 only", j->what, who, dtype);
        free(dtype);
        if (!f32) return AE_EFORMAT;
      } else if (which == 1) {
        uint64_t d[AE_MAXDIM + 1];
        if (parse_uints(j, d, AE_MAXDIM + 1, &t->ndim)) return j->e->code;
        if (t->ndim > AE_MAXDIM)
          return ae_fail(j->e, AE_EFORMAT, "%s: %s has more than %d dimensions", j->what, who, AE_MAXDIM);
        for (int i = 0; i < t->ndim; i++) {
          if (d[i] > (1u << 30)) return ae_fail(j->e, AE_EFORMAT, "%s: %s has a size of %llu", j->what, who, (unsigned long long)d[i]);
          t->shape[i] = (int)d[i];
        }
      } else {
        uint64_t o[3];
        int n;
        if (parse_uints(j, o, 3, &n)) return j->e->code;
        if (n != 2) return ae_fail(j->e, AE_EFORMAT, "%s: %s's data_offsets is not [begin, end]", j->what, who);
        t->begin = (size_t)o[0];
        t->end = (size_t)o[1];
      }
    } while (accept(j, ','));
  if (expect(j, '}')) return j->e->code;
  if (!have_dtype || !have_shape || !have_off)
    return ae_fail(j->e, AE_EFORMAT, "%s: %s lacks %s", j->what, who,
                   !have_dtype ? "its dtype" : !have_shape ? "its shape" : "its data_offsets");
  return AE_OK;
}

/* The whole header object into st. */
static int parse_header(js_t *j, ae_st_t *st) {
  if (expect(j, '{')) return j->e->code;
  int have_meta = 0;
  if (!accept(j, '}')) do {
      char *name;
      if (parse_string(j, &name)) return j->e->code;
      if (expect(j, ':')) {
        free(name);
        return j->e->code;
      }
      if (strcmp(name, "__metadata__") == 0) {
        free(name);
        if (have_meta++) return bad(j, "two __metadata__ objects");
        if (parse_meta(j, st)) return j->e->code;
        continue;
      }
      ae_st_entry_t t = {name, 0, {0}, 0, 0};
      if (parse_entry(j, &t, name)) {
        free(name);
        return j->e->code;
      }
      ae_st_entry_t *grown = realloc(st->t, (size_t)(st->n + 1) * sizeof *grown);
      if (!grown) {
        free(name);
        return ae_fail(j->e, AE_ENOMEM, "%s: out of memory for the header", j->what);
      }
      st->t = grown;
      st->t[st->n++] = t;
    } while (accept(j, ','));
  if (expect(j, '}')) return j->e->code;
  skip_ws(j);
  if (j->p != j->end) return bad(j, "text after the header's object");
  return AE_OK;
}

/* ---- reading: checks ---- */

static int by_offset(const void *a, const void *b) {
  const ae_st_entry_t *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* 1 when two of the n strings in tmp are equal (sorts tmp). */
static int has_repeat(char **tmp, int n) {
  if (n < 2) return 0;
  qsort(tmp, (size_t)n, sizeof *tmp, by_name);
  for (int i = 1; i < n; i++)
    if (strcmp(tmp[i - 1], tmp[i]) == 0) return 1;
  return 0;
}

/* Everything the header claims, against itself and the data. */
static int check_file(ae_st_t *st, const char *what, ae_error_t *e) {
  /* the format version first: a newer file may differ in anything else */
  const char *fmt = ae_st_meta(st, "aelab_format");
  if (fmt) {
    char *end;
    errno = 0;
    long v = strtol(fmt, &end, 10);
    if (end == fmt || *end || errno || v < 1)
      return ae_fail(e, AE_EFORMAT, "%s: aelab_format is '%.20s', not a version number", what, fmt);
    if (v > AE_ST_FORMAT)
      return ae_fail(e, AE_EFORMAT,
                     "%s was written by a newer aelab (file format %ld; this aelab reads format %d and older): "
                     "update aelab to read it",
                     what, v, AE_ST_FORMAT);
  }
  int most = st->n > st->nmeta ? st->n : st->nmeta;
  char **tmp = malloc((size_t)(most ? most : 1) * sizeof *tmp);
  if (!tmp) return ae_fail(e, AE_ENOMEM, "%s: out of memory for the header", what);
  for (int i = 0; i < st->nmeta; i++) tmp[i] = st->key[i];
  int repeat_meta = has_repeat(tmp, st->nmeta);
  for (int i = 0; i < st->n; i++) tmp[i] = st->t[i].name;
  int repeat_name = has_repeat(tmp, st->n);
  free(tmp);
  if (repeat_meta) return ae_fail(e, AE_EFORMAT, "%s: a __metadata__ key appears twice", what);
  if (repeat_name) return ae_fail(e, AE_EFORMAT, "%s: two tensors have the same name", what);
  for (int i = 0; i < st->n; i++) {
    ae_st_entry_t *t = &st->t[i];
    uint64_t bytes = 4;
    for (int k = 0; k < t->ndim; k++) {
      if (t->shape[k] && bytes > ((uint64_t)1 << 62) / (uint64_t)t->shape[k])
        return ae_fail(e, AE_EFORMAT, "%s: tensor '%.60s' is too large for any file", what, t->name);
      bytes *= (uint64_t)t->shape[k];
    }
    if (t->begin > t->end || t->end - t->begin != bytes)
      return ae_fail(e, AE_EFORMAT, "%s: tensor '%.60s' claims bytes [%zu, %zu) of the data, but its shape needs %llu",
                     what, t->name, t->begin, t->end, (unsigned long long)bytes);
    if (t->end > st->data_len)
      return ae_fail(e, AE_EFORMAT,
                     "%s is truncated: tensor '%.60s' ends at byte %zu of the data, but the file holds %zu bytes of data",
                     what, t->name, t->end, st->data_len);
  }
  /* the tensors tile the data: no gaps, no overlaps */
  if (st->n > 1) qsort(st->t, (size_t)st->n, sizeof *st->t, by_offset);
  size_t at = 0;
  for (int i = 0; i < st->n; i++) {
    if (st->t[i].begin != at)
      return ae_fail(e, AE_EFORMAT, "%s: tensor '%.60s' starts at byte %zu of the data, expected %zu (%s)", what,
                     st->t[i].name, st->t[i].begin, at, st->t[i].begin < at ? "an overlap" : "a gap");
    at = st->t[i].end;
  }
  if (at != st->data_len)
    return ae_fail(e, AE_EFORMAT, "%s: %zu bytes after the last tensor's data (the header lies about the offsets)",
                   what, st->data_len - at);
  const char *crc = ae_st_meta(st, "crc32");
  if (!crc && fmt) return ae_fail(e, AE_EFORMAT, "%s: no crc32 in the metadata: cannot check the data", what);
  if (crc) {
    char *end;
    errno = 0;
    unsigned long want = strtoul(crc, &end, 16);
    if (strlen(crc) != 8 || *end || errno)
      return ae_fail(e, AE_EFORMAT, "%s: crc32 is '%.20s', not 8 hex digits", what, crc);
    unsigned long got = crc_of(st->data, st->data_len);
    if (got != want)
      return ae_fail(e, AE_EFORMAT, "%s: wrong checksum (crc32 of the data is %08lx, the header says %s): the file is damaged",
                     what, got, crc);
  }
  return AE_OK;
}

/* Parses bytes (len of them, taken over: freed with st or on failure). */
static ae_st_t *parse_owned(unsigned char *bytes, size_t len, const char *what, ae_error_t *e) {
  ae_st_t *st = calloc(1, sizeof *st);
  if (!st) {
    free(bytes);
    return ae_fail(e, AE_ENOMEM, "%s: out of memory", what), NULL;
  }
  st->bytes = bytes;
  st->len = len;
  if (len < 8) {
    ae_fail(e, AE_EFORMAT, "%s is truncated: %zu bytes, not even the 8-byte header length", what, len);
    goto fail;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | bytes[i];
  if (hlen > AE_ST_MAX_HEADER) {
    ae_fail(e, AE_EFORMAT, "%s: a header of %llu bytes (more than safetensors allows: not a safetensors file?)", what,
            (unsigned long long)hlen);
    goto fail;
  }
  if (hlen > len - 8) {
    ae_fail(e, AE_EFORMAT, "%s is truncated: the header needs %llu bytes, the file has %zu after the length", what,
            (unsigned long long)hlen, len - 8);
    goto fail;
  }
  if (hlen < 2 || bytes[8] != '{') {
    ae_fail(e, AE_EFORMAT, "%s: the header is not a JSON object (not a safetensors file?)", what);
    goto fail;
  }
  js_t j = {(const char *)bytes + 8, (const char *)bytes + 8 + hlen, what, e};
  if (parse_header(&j, st)) goto fail;
  st->data = bytes + 8 + hlen;
  st->data_len = len - 8 - (size_t)hlen;
  if (check_file(st, what, e)) goto fail;
  return st;
fail:
  ae_st_free(st);
  return NULL;
}

ae_st_t *ae_st_parse(const void *buf, size_t n, const char *what, ae_error_t *e) {
  unsigned char *copy = malloc(n ? n : 1);
  if (!copy) return ae_fail(e, AE_ENOMEM, "%s: out of memory for %zu bytes", what, n), NULL;
  if (n) memcpy(copy, buf, n);
  return parse_owned(copy, n, what, e);
}

ae_st_t *ae_st_read(const char *path, ae_error_t *e) {
  FILE *f = fopen(path, "rb");
  if (!f) return ae_fail(e, AE_EIO, "cannot read %s: %s", path, strerror(errno)), NULL;
  struct stat sb;
  int st_ok = fstat(fileno(f), &sb) == 0, err = errno;
  if (!st_ok || !S_ISREG(sb.st_mode)) {
    fclose(f);
    return ae_fail(e, AE_EIO, "cannot read %s: %s", path,
                   !st_ok ? strerror(err) : S_ISDIR(sb.st_mode) ? "it is a folder" : "not a regular file"), NULL;
  }
  size_t len = (size_t)sb.st_size;
  unsigned char *bytes = malloc(len ? len : 1);
  if (!bytes) {
    fclose(f);
    return ae_fail(e, AE_ENOMEM, "cannot read %s: out of memory for %zu bytes", path, len), NULL;
  }
  size_t got = fread(bytes, 1, len, f);
  err = ferror(f) ? errno : 0;
  fclose(f);
  if (got != len) {
    free(bytes);
    return ae_fail(e, AE_EIO, "cannot read %s: %s", path, err ? strerror(err) : "it shrank while being read"), NULL;
  }
  return parse_owned(bytes, len, path, e);
}

void ae_st_free(ae_st_t *st) {
  if (!st) return;
  for (int i = 0; i < st->n; i++) free(st->t[i].name);
  for (int i = 0; i < st->nmeta; i++) free(st->key[i]), free(st->value[i]);
  free(st->t);
  free(st->key);
  free(st->value);
  free(st->bytes);
  free(st);
}

const char *ae_st_meta(const ae_st_t *st, const char *key) {
  for (int i = 0; i < st->nmeta; i++)
    if (strcmp(st->key[i], key) == 0) return st->value[i];
  return NULL;
}

int ae_st_find(const ae_st_t *st, const char *name) {
  for (int i = 0; i < st->n; i++)
    if (strcmp(st->t[i].name, name) == 0) return i;
  return -1;
}

void ae_st_values(const ae_st_t *st, int i, float *dst) {
  const ae_st_entry_t *t = &st->t[i];
  memcpy(dst, st->data + t->begin, t->end - t->begin); /* may be unaligned in the file: copy, never cast */
}

/* ---- writing ---- */

/* A growing text buffer; the first failure sticks (checked once at the end). */
typedef struct {
  char *s;
  size_t n, cap;
  int oom;
} sb_t;

static void sb_add(sb_t *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *g = realloc(b->s, cap);
    if (!g) {
      b->oom = 1;
      return;
    }
    b->s = g;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void sb_str(sb_t *b, const char *s) { sb_add(b, s, strlen(s)); }

/* A JSON string: quotes, backslashes and control characters escaped. */
static void sb_quote(sb_t *b, const char *s) {
  sb_add(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    if (c == '"' || c == '\\') snprintf(esc, sizeof esc, "\\%c", c);
    else if (c < 0x20) snprintf(esc, sizeof esc, "\\u%04x", c);
    else {
      sb_add(b, s, 1);
      continue;
    }
    sb_str(b, esc);
  }
  sb_add(b, "\"", 1);
}

int ae_st_write(const char *path, const char *const *meta, int nmeta, const ae_st_out_t *t, int n, ae_error_t *e) {
  for (int i = 0; i < nmeta; i++)
    if (strcmp(meta[2 * i], "aelab_format") == 0 || strcmp(meta[2 * i], "crc32") == 0)
      return ae_fail(e, AE_EARG, "cannot write %s: metadata key '%s' is the writer's own", path, meta[2 * i]);
  /* offsets and the checksum first: both go into the header */
  unsigned long crc = crc32(0L, Z_NULL, 0);
  size_t at = 0;
  for (int i = 0; i < n; i++) {
    size_t bytes = sizeof(float);
    if (t[i].ndim < 0 || t[i].ndim > AE_MAXDIM) return ae_fail(e, AE_EARG, "cannot write %s: tensor '%s' has %d dimensions", path, t[i].name, t[i].ndim);
    for (int k = 0; k < t[i].ndim; k++) {
      if (t[i].shape[k] < 0) return ae_fail(e, AE_EARG, "cannot write %s: tensor '%s' has a negative size", path, t[i].name);
      bytes *= (size_t)t[i].shape[k];
    }
    const unsigned char *p = (const unsigned char *)t[i].data;
    for (size_t left = bytes; left > 0;) {
      unsigned slice = left > (1u << 30) ? (1u << 30) : (unsigned)left;
      crc = crc32(crc, p, slice);
      p += slice;
      left -= slice;
    }
    at += bytes;
  }
  sb_t h = {0};
  char num[64];
  sb_str(&h, "{\"__metadata__\":{");
  for (int i = 0; i < nmeta; i++) {
    sb_quote(&h, meta[2 * i]);
    sb_add(&h, ":", 1);
    sb_quote(&h, meta[2 * i + 1]);
    sb_add(&h, ",", 1);
  }
  snprintf(num, sizeof num, "\"aelab_format\":\"%d\",\"crc32\":\"%08lx\"}", AE_ST_FORMAT, crc);
  sb_str(&h, num);
  at = 0;
  for (int i = 0; i < n; i++) {
    size_t bytes = sizeof(float);
    sb_add(&h, ",", 1);
    sb_quote(&h, t[i].name);
    sb_str(&h, ":{\"dtype\":\"F32\",\"shape\":[");
    for (int k = 0; k < t[i].ndim; k++) {
      snprintf(num, sizeof num, k ? ",%d" : "%d", t[i].shape[k]);
      sb_str(&h, num);
      bytes *= (size_t)t[i].shape[k];
    }
    snprintf(num, sizeof num, "],\"data_offsets\":[%zu,%zu]}", at, at + bytes);
    sb_str(&h, num);
    at += bytes;
  }
  sb_add(&h, "}", 1);
  while (!h.oom && h.n % 8) sb_add(&h, " ", 1); /* the data starts 8-byte aligned */
  if (h.oom) {
    free(h.s);
    return ae_fail(e, AE_ENOMEM, "cannot write %s: out of memory for the header", path);
  }
  unsigned char len8[8];
  for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
  ae_file_t f;
  if (ae_file_begin(&f, path, e)) {
    free(h.s);
    return e->code;
  }
  ae_file_write(&f, len8, 8);
  ae_file_write(&f, h.s, h.n);
  free(h.s);
  for (int i = 0; i < n; i++) {
    size_t bytes = sizeof(float);
    for (int k = 0; k < t[i].ndim; k++) bytes *= (size_t)t[i].shape[k];
    ae_file_write(&f, t[i].data, bytes);
  }
  return ae_file_commit(&f, e);
}
