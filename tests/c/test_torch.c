/* One training step against a frozen PyTorch reference (as llm.c's
 * test_gpt2 does): scripts/make-torch-reference.py dumped, for three small
 * autoencoders, the input, the initial weights, the loss, every gradient
 * and the weights after one Adam and one SGD step into .npy files under
 * tests/data/torch_ref/ (the script's header lists the models and the
 * layouts). Here the same weights go into aelab's layers, ae_model_gradient
 * and ae_model_step run, and everything must agree to TOL:
 *   loss, weights after a step: |a − b| ≤ TOL (absolute; the loss is ~0.7,
 *     the weights below 0.5);
 *   gradients: max |a − b| / max |b| ≤ TOL over each parameter tensor
 *     (relative to its largest gradient: they are ~0.01, so an absolute
 *     1e-5 would let a 0.1% error through).
 * The largest difference of each quantity is printed. The convolutional models run with each Conv2D kernel (auto, the
 * naive loops, im2col + GEMM). No Python or torch is needed here. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TOL 1e-5
#define MAXL 8

enum { DENSE, CONV, STRIDED };

static const char *const model_name[] = {"dense", "conv", "strided"};
static const char *const kernel_name[] = {"auto", "naive", "gemm"};
static const int kernels[] = {AE_CONV_AUTO, AE_CONV_NAIVE, AE_CONV_GEMM};

/* The layers of model `which` (as in the script), with conv kernel `kernel`;
 * returns the count, 0 on failure. */
static int build(int which, int kernel, ae_layer_t **L, ae_shape_t *input, ae_error_t *e) {
  ae_rng_t r;
  ae_rng_seed(&r, 1); /* the weights are overwritten from the reference */
  int n = 0;
  if (which == DENSE) {
    L[n++] = ae_dense_new(20, 8, AE_INIT_GLOROT, &r, e);
    L[n++] = ae_activation_new(AE_ACT_RELU, 0, e);
    L[n++] = ae_dense_new(8, 20, AE_INIT_GLOROT, &r, e);
    L[n++] = ae_activation_new(AE_ACT_SIGMOID, 0, e);
    *input = (ae_shape_t){1, {20}};
  } else if (which == CONV) {
    L[n++] = ae_conv2d_new(1, 4, 3, 1, AE_PAD_SAME, AE_INIT_GLOROT, kernel, &r, e);
    L[n++] = ae_activation_new(AE_ACT_RELU, 0, e);
    L[n++] = ae_maxpool2d_new(2, 2, AE_PAD_VALID, e);
    L[n++] = ae_upsample2d_new(2, e);
    L[n++] = ae_conv2d_new(4, 1, 3, 1, AE_PAD_SAME, AE_INIT_GLOROT, kernel, &r, e);
    L[n++] = ae_activation_new(AE_ACT_SIGMOID, 0, e);
    *input = (ae_shape_t){3, {1, 8, 8}};
  } else {
    L[n++] = ae_conv2d_new(1, 2, 3, 2, AE_PAD_SAME, AE_INIT_GLOROT, kernel, &r, e);
    L[n++] = ae_activation_new(AE_ACT_TANH, 0, e);
    L[n++] = ae_conv_transpose2d_new(2, 1, 3, 2, AE_PAD_SAME, AE_INIT_GLOROT, kernel, &r, e);
    L[n++] = ae_activation_new(AE_ACT_SIGMOID, 0, e);
    *input = (ae_shape_t){3, {1, 8, 8}};
  }
  for (int i = 0; i < n; i++)
    if (!L[i]) return 0;
  return n;
}

/* Copies the flat reference weights p into the layers' parameters, in
 * arena order; returns how many values that took. */
static size_t set_weights(ae_layer_t **L, int n, const float *p) {
  size_t off = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < L[i]->nparams; j++) {
      size_t k = ae_tensor_numel(L[i]->param[j]);
      memcpy(ae_tensor_data(L[i]->param[j]), p + off, k * sizeof(float));
      off += k;
    }
  return off;
}

/* max |a − b| / max |b| over n values (b all zero: the absolute difference). */
static double tensor_rel_diff(const float *a, const float *b, size_t n) {
  double big = 0;
  for (size_t i = 0; i < n; i++) big = fabs((double)b[i]) > big ? fabs((double)b[i]) : big;
  return max_abs_diff(a, b, n) / (big > 0 ? big : 1);
}

/* Compares each parameter (from the layers' param or grad tensors) with its
 * slice of the flat reference; one line of largest differences. */
static void compare(ae_layer_t **L, int n, int grads, const float *ref, const char *what) {
  char line[512];
  int used = snprintf(line, sizeof line, "%s:", what);
  size_t off = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < L[i]->nparams; j++) {
      const ae_tensor_t *t = grads ? L[i]->grad[j] : L[i]->param[j];
      size_t k = ae_tensor_numel(t);
      double d = grads ? tensor_rel_diff(ae_tensor_data(t), ref + off, k) : max_abs_diff(ae_tensor_data(t), ref + off, k);
      char name[64];
      ae_layer_name(L[i], name, sizeof name);
      check(d <= TOL, "%s: layer %d %s %s differs by %.3g (tolerance %g)", what, i + 1, name, L[i]->param_name[j], d,
            TOL);
      if (used < (int)sizeof line)
        used += snprintf(line + used, sizeof line - used, " %s%d %.2g", j ? "b" : "W", i + 1, d);
      off += k;
    }
  check_note("%s", line);
}

static ae_tensor_t *load(const char *dir, const char *model, const char *what, ae_error_t *e) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s_%s.npy", dir, model, what);
  return ae_tensor_load_npy(path, e);
}

static void one(const char *dir, int which, int kernel) {
  const char *mname = model_name[which];
  char label[64];
  if (which == DENSE) snprintf(label, sizeof label, "%s", mname);
  else snprintf(label, sizeof label, "%s, %s kernel", mname, kernel_name[kernel]);
  check_begin("torch: %s, loss, gradients and one Adam and one SGD step", label);
  ae_error_t e = {0, ""};
  ae_tensor_t *x = load(dir, mname, "x", &e), *p0 = load(dir, mname, "params", &e),
              *loss = load(dir, mname, "loss", &e), *g = load(dir, mname, "grads", &e),
              *adam = load(dir, mname, "adam", &e), *sgd = load(dir, mname, "sgd", &e);
  ae_layer_t *L[MAXL] = {0};
  ae_model_t *m = NULL;
  ae_optim_t *opt = NULL;
  ae_shape_t input;
  int n = 0;
  if (!check(x && p0 && loss && g && adam && sgd, "cannot read the reference (run scripts/make-torch-reference.py): %s",
             e.msg))
    goto out;
  n = build(which, kernels[kernel], L, &input, &e);
  if (!check(n > 0, "layers: %s", e.msg)) goto out;
  size_t P = ae_tensor_numel(p0);
  if (!check(set_weights(L, n, ae_tensor_data(p0)) == P && ae_tensor_numel(g) == P && ae_tensor_numel(adam) == P &&
                 ae_tensor_numel(sgd) == P,
             "the reference has %zu parameters, the model a different count", P))
    goto out;
  m = ae_model_new(L, n, n, &input, &e);
  if (!check(m != NULL, "ae_model_new: %s", e.msg)) goto out;
  if (!check(ae_model_set_loss(m, "bce", &e) == AE_OK, "set_loss: %s", e.msg)) goto out;

  double l = 0;
  if (!check(ae_model_gradient(m, x, x, NULL, &l, &e) == AE_OK, "ae_model_gradient: %s", e.msg)) goto out;
  double ref = ae_tensor_data(loss)[0], dl = l > ref ? l - ref : ref - l;
  check(dl <= TOL, "loss %.8f, PyTorch %.8f", l, ref);
  check_note("%s: loss %.7f, PyTorch %.7f, |difference| %.2g", label, l, ref, dl);
  char what[160];
  snprintf(what, sizeof what, "%s gradients, max difference relative to the largest", label);
  compare(L, n, 1, ae_tensor_data(g), what);

  opt = ae_optim_adam_new(1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f, &e);
  if (!check(opt && ae_model_step(m, x, x, opt, 1, &l, &e) == AE_OK, "Adam step: %s", e.msg)) goto out;
  snprintf(what, sizeof what, "%s weights after Adam, max |difference|", label);
  compare(L, n, 0, ae_tensor_data(adam), what);
  ae_optim_free(opt);

  set_weights(L, n, ae_tensor_data(p0)); /* the arena's views: the model sees the initial weights again */
  opt = ae_optim_sgd_new(0.1f, 0.9f, 0, 0.0f, &e);
  if (!check(opt && ae_model_step(m, x, x, opt, 1, &l, &e) == AE_OK, "SGD step: %s", e.msg)) goto out;
  snprintf(what, sizeof what, "%s weights after SGD, max |difference|", label);
  compare(L, n, 0, ae_tensor_data(sgd), what);
out:
  ae_optim_free(opt);
  ae_model_free(m);
  for (int i = 0; i < MAXL; i++) ae_layer_free(L[i]);
  ae_tensor_free(x), ae_tensor_free(p0), ae_tensor_free(loss), ae_tensor_free(g), ae_tensor_free(adam),
      ae_tensor_free(sgd);
  check_end();
}

void test_torch(const char *dir) {
  check_note("against PyTorch (%s), tolerance %g: absolute for the loss and weights, relative to the largest for the "
             "gradients",
             dir, TOL);
  one(dir, DENSE, 0);
  for (int k = 0; k < 3; k++) one(dir, CONV, k);
  for (int k = 0; k < 3; k++) one(dir, STRIDED, k);
}
