/* libFuzzer harness for the IDX reader (ae_idx_load), which reads a path
 * through zlib: the bytes are written to a memory-backed file (memfd, read
 * through /proc/self/fd/N: no disk in the loop), as they are (a plain IDX
 * file, or a gzip stream when they start like one) and, for one input in 8,
 * compressed with zlib as well, so the gzip path sees plain inputs too.
 * Built and run by `make test-fuzz`; seeds in tests/fuzz/corpus/idx/. */
#include "data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

static char path[64]; /* /proc/self/fd/N of this process's memfd */
static int fd = -1;

/* The memfd holds exactly bytes[0..n). */
static int put(const void *bytes, size_t n) {
  if (ftruncate(fd, 0) != 0) return -1;
  return pwrite(fd, bytes, n, 0) == (ssize_t)n ? 0 : -1;
}

static void load(const char *p) {
  ae_error_t e;
  ae_tensor_t *t = ae_idx_load(p, 1, &e);
  if (t) {
    volatile float s = 0;
    size_t n = ae_tensor_numel(t);
    for (size_t i = 0; i < n; i++) s += ae_tensor_data(t)[i];
    (void)s;
  }
  ae_tensor_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fd < 0) {
    fd = memfd_create("fuzz_idx", 0);
    if (fd < 0) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (put(data, size) == 0) load(path);
  if (size < 4096 && size % 8 == 0 && !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b)) {
    static unsigned char gz[8192]; /* the same bytes, gzip'd in memory */
    z_stream z = {0};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    z.next_in = (unsigned char *)data;
    z.avail_in = (unsigned)size;
    z.next_out = gz;
    z.avail_out = sizeof gz;
    int rc = deflate(&z, Z_FINISH);
    size_t n = sizeof gz - z.avail_out;
    deflateEnd(&z);
    if (rc == Z_STREAM_END && put(gz, n) == 0) load(path);
  }
  return 0;
}
