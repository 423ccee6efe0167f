/* Input corruption for denoising autoencoders.
 *
 *   in, out: (B, D)   out may equal in
 *
 * Each row draws from its own generator, seeded from (seed, row0 + row):
 * the corruption of a row does not depend on how a batch is split over
 * threads, and the same seed gives the same noise. Values stay inside the
 * data range [lo, hi]. */
#ifndef AE_NOISE_H
#define AE_NOISE_H

#include "ae.h"

#include <stddef.h>
#include <stdint.h>

enum { AE_NOISE_NONE, AE_NOISE_GAUSSIAN, AE_NOISE_MASKING, AE_NOISE_SALT_PEPPER };

typedef struct ae_noise {
  int kind;     /* AE_NOISE_*; NONE leaves the input as it is */
  float level;  /* Gaussian: std; masking, salt-and-pepper: probability per value */
  float lo, hi; /* the data range: values are clipped to it; salt is hi, pepper lo */
} ae_noise_t;

/* Checks kind, level and range; the message names the corruption. */
int ae_noise_check(const ae_noise_t *n, ae_error_t *e);
/* out = corrupt(in) for B rows of D values, rows numbered from row0. */
void ae_noise_apply(const ae_noise_t *n, float *out, const float *in, int B, size_t D, uint64_t seed, int row0);
/* "gaussian(std=0.5)" */
const char *ae_noise_name(const ae_noise_t *n, char *buf, size_t len);

#endif
