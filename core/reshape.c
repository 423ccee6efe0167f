/* Reshape and Flatten: the same values under another per-sample shape.
 *
 *   in  (B, IN...)    out (B, OUT...)    numel(IN) = numel(OUT)
 *
 * Rows are contiguous, so forward and backward are copies. One size of the
 * target may be -1: whatever makes the count fit (Flatten is {-1}). */
#include "layers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reshape_describe(const ae_layer_t *l, char *buf, size_t n) {
  const ae_shape_t *to = l->state;
  if (to->nd == 1 && to->d[0] == -1) {
    snprintf(buf, n, "Flatten()");
    return;
  }
  char dims[64];
  snprintf(buf, n, "Reshape%s", ae_shape_str(to, dims, sizeof dims));
}

static int reshape_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  const ae_shape_t *to = l->state;
  size_t n = ae_shape_numel(in), known = 1;
  int free_at = -1;
  for (int i = 0; i < to->nd; i++) {
    if (to->d[i] == -1) free_at = i;
    else known *= (size_t)to->d[i];
  }
  *out = *to;
  if (free_at >= 0 && known > 0 && n % known == 0) out->d[free_at] = (int)(n / known);
  if (ae_shape_numel(out) != n || (free_at >= 0 && out->d[free_at] < 1)) {
    char name[64], s[64];
    return ae_fail_shape(e, "%s: input %s has %zu values per sample, which do not fit",
                         ae_layer_name(l, name, sizeof name), ae_shape_str(in, s, sizeof s), n);
  }
  return AE_OK;
}

static void reshape_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                            const ae_pass_t *pass) {
  (void)l;
  (void)pass;
  if (out != in) memcpy(out, in, (size_t)B * ae_shape_numel(in_shape) * sizeof(float));
}

static void reshape_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                             const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)l;
  (void)in;
  (void)out;
  (void)dparam;
  (void)pass;
  if (din && din != dout) memcpy(din, dout, (size_t)B * ae_shape_numel(in_shape) * sizeof(float));
}

/* Flatten is Reshape to (-1): it says so, for the file and the reader. */
static void reshape_config(const ae_layer_t *l, ae_layer_config_t *c) {
  const ae_shape_t *to = l->state;
  c->shape = *to;
  if (to->nd == 1 && to->d[0] == -1) c->kind = "Flatten";
}

static const ae_layer_ops_t reshape_ops = {
    .kind = "Reshape",
    .infer = reshape_infer,
    .forward = reshape_forward,
    .backward = reshape_backward,
    .describe = reshape_describe,
    .config = reshape_config,
};

ae_layer_t *ae_reshape_new(const ae_shape_t *to, ae_error_t *e) {
  int frees = 0;
  if (to->nd < 1 || to->nd > 3) return ae_fail(e, AE_EARG, "Reshape: a shape of 1 to 3 sizes, got %d", to->nd), NULL;
  for (int i = 0; i < to->nd; i++) {
    if (to->d[i] == -1) frees++;
    else if (to->d[i] < 1) return ae_fail(e, AE_EARG, "Reshape: size %d is %d (sizes are positive, or one -1)", i + 1, to->d[i]), NULL;
  }
  if (frees > 1) return ae_fail(e, AE_EARG, "Reshape: only one size may be -1"), NULL;
  ae_layer_t *l = ae_layer_alloc(&reshape_ops, sizeof(ae_shape_t), e);
  if (l) *(ae_shape_t *)l->state = *to;
  return l;
}
