/* libFuzzer harness for the model-file reader (core/safetensors.c): any
 * bytes go through ae_st_parse, which must either refuse them with a message
 * or return a file whose every tensor lies inside the data. Run by
 * `make test-fuzz` (a minute) or by hand:
 *   make build-fuzz/fuzz_model && ./build-fuzz/fuzz_model -runs=10000000 tests/fuzz/corpus/model */
#include "safetensors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ae_error_t e = {0, ""};
  ae_st_t *st = ae_st_parse(data, size, "fuzz", &e);
  if (!st) {
    if (e.code >= 0 || e.msg[0] == '\0') abort(); /* a refusal always says why */
    return 0;
  }
  /* everything the reader claims must be readable: ASan checks the bounds */
  for (int i = 0; i < st->n; i++) {
    const ae_st_entry_t *t = &st->t[i];
    size_t numel = 1;
    for (int k = 0; k < t->ndim; k++) numel *= (size_t)t->shape[k];
    if (numel * sizeof(float) != t->end - t->begin || t->end > st->data_len) abort();
    float *v = malloc(numel ? numel * sizeof(float) : 1);
    if (!v) abort();
    ae_st_values(st, i, v);
    free(v);
    if (ae_st_find(st, t->name) < 0) abort();
  }
  for (int i = 0; i < st->nmeta; i++)
    if (!ae_st_meta(st, st->key[i]) || strlen(st->value[i]) > size) abort();
  ae_st_free(st);
  return 0;
}
