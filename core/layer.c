/* What all layers share: shapes, naming, freeing. */
#include "layer.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ae_shape_numel(const ae_shape_t *s) {
  size_t n = 1;
  for (int i = 0; i < s->nd; i++) n *= (size_t)s->d[i];
  return n;
}

const char *ae_shape_str(const ae_shape_t *s, char *buf, size_t n) { return ae_dims_str(s->d, s->nd, '(', ')', buf, n); }

ae_layer_t *ae_layer_alloc(const ae_layer_ops_t *ops, size_t state_size, ae_error_t *e) {
  ae_layer_t *l = calloc(1, sizeof *l);
  void *state = state_size ? calloc(1, state_size) : NULL;
  if (!l || (state_size && !state)) {
    free(l);
    free(state);
    return ae_fail(e, AE_ENOMEM, "%s: out of memory", ops->kind), NULL;
  }
  l->ops = ops;
  l->state = state;
  return l;
}

void ae_layer_free(ae_layer_t *l) {
  if (!l) return;
  assert(l->users == 0 && "a model or a DenseTied still uses this layer: free it first");
  for (int i = 0; i < l->nparams; i++) {
    ae_tensor_free(l->param[i]);
    ae_tensor_free(l->grad[i]);
  }
  if (l->ops->destroy) l->ops->destroy(l);
  free(l->state);
  free(l);
}

int ae_layer_set_param(ae_layer_t *l, int j, const float *v, size_t n, ae_error_t *e) {
  char name[64], a[64];
  if (j < 0 || j >= l->nparams)
    return ae_fail(e, AE_EARG, "%s: no parameter %d (it has %d)", ae_layer_name(l, name, sizeof name), j + 1,
                   l->nparams);
  if (n != ae_tensor_numel(l->param[j]))
    return ae_fail_shape(e, "%s: %s is %s (%zu values), got %zu values", ae_layer_name(l, name, sizeof name),
                         l->param_name[j], ae_tensor_shape_str(l->param[j], a, sizeof a),
                         ae_tensor_numel(l->param[j]), n);
  memmove(ae_tensor_data(l->param[j]), v, n * sizeof(float)); /* v may be a view of the same block */
  return AE_OK;
}

int ae_layer_weight_bias(ae_layer_t *l, int nd, const int *wshape, int nbias, ae_error_t *e) {
  int bshape[1] = {nbias};
  l->nparams = 2;
  l->param_name[0] = "weight";
  l->param_name[1] = "bias";
  l->param[0] = ae_tensor_new(nd, wshape, e);
  l->grad[0] = ae_tensor_new(nd, wshape, e);
  l->param[1] = ae_tensor_new(1, bshape, e);
  l->grad[1] = ae_tensor_new(1, bshape, e);
  return l->param[0] && l->grad[0] && l->param[1] && l->grad[1] ? AE_OK : AE_ENOMEM;
}

int ae_layer_reserve(ae_layer_t *l, const ae_shape_t *in, int B, int threads, ae_error_t *e) {
  return l->ops->reserve ? l->ops->reserve(l, in, B, threads, e) : AE_OK;
}

size_t ae_layer_param_count(const ae_layer_t *l) {
  size_t n = 0;
  for (int i = 0; i < l->nparams; i++)
    if (!(l->borrows && i == 0)) n += ae_tensor_numel(l->param[i]); /* a borrowed weight is counted by its owner */
  return n;
}

const char *ae_layer_name(const ae_layer_t *l, char *buf, size_t n) {
  l->ops->describe(l, buf, n);
  return buf;
}

void ae_init_weights(float *w, size_t n, int init, float fan_in, float fan_out, ae_rng_t *rng) {
  if (init == AE_INIT_HE) ae_rng_fill_normal(rng, w, n, 0.0f, sqrtf(2.0f / fan_in));
  else ae_rng_fill_uniform(rng, w, n, -sqrtf(6.0f / (fan_in + fan_out)), sqrtf(6.0f / (fan_in + fan_out)));
}

void ae_layer_config(const ae_layer_t *l, ae_layer_config_t *c) {
  *c = (ae_layer_config_t){.kind = l->ops->kind};
  if (l->ops->config) l->ops->config(l, c);
}

void ae_layer_set_salt(ae_layer_t *l, uint64_t salt) {
  if (l->ops->set_salt) l->ops->set_salt(l, salt);
}
