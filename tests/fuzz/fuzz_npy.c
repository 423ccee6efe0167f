/* libFuzzer harness for the .npy reader: the bytes as a whole file, parsed
 * in memory (ae_tensor_parse_npy, the header parser ae_tensor_load_npy
 * uses too) and, for one input in 64, through a file and load_npy's own
 * path (fstat, header read, block conversion). Built and run by
 * `make test-fuzz`; seeds in tests/fuzz/corpus/npy/. */
#include "tensor.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The temporary file of this process (fuzzers run as several processes). */
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ae_error_t e;
  ae_tensor_t *t = ae_tensor_parse_npy(data, size, "fuzz", &e);
  if (t) {
    /* touch every value: a wrong size would show as an overflow */
    volatile float s = 0;
    size_t n = ae_tensor_numel(t);
    for (size_t i = 0; i < n; i++) s += ae_tensor_data(t)[i];
    (void)s;
  }
  ae_tensor_free(t);
  if (size % 64 == 0) {
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_npy.%d.npy", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ae_tensor_free(ae_tensor_load_npy(path, &e));
    unlink(path);
  }
  return 0;
}
