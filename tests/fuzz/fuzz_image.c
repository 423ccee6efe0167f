/* libFuzzer harness for the image reader: the bytes as a whole file,
 * decoded in memory (ae_image_decode: PNG through libpng's simplified API,
 * JPEG through TurboJPEG) as stored, as gray and as RGB. Built and run by
 * `make test-fuzz`; seeds in tests/fuzz/corpus/image/ (a tiny PNG and JPEG,
 * gray and RGB). */
#include "image.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int channels[3] = {0, 1, 3};
  ae_error_t e;
  ae_tensor_t *t = ae_image_decode(data, size, channels[size % 3], "fuzz", &e);
  if (t) {
    /* touch every value: a wrong size would show as an overflow */
    volatile float s = 0;
    size_t n = ae_tensor_numel(t);
    for (size_t i = 0; i < n; i++) s += ae_tensor_data(t)[i];
    (void)s;
  }
  ae_tensor_free(t);
  return 0;
}
