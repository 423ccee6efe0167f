/* A ReLU fused into the Conv2D before it (ops->fuses_relu, model.c's
 * fused): the same layers in a model with fusion off give the same bits:
 * outputs, loss, input gradient and every parameter's gradient, over two
 * threads. The fused model leaves the conv's own output buffer unwritten
 * (so the fusion did run), and its gradients still match central
 * differences of its loss.
 *
 *   Conv2D(2→3, same) ReLU Conv2D(3→2, valid) ReLU Conv2D(2→1, same) Sigmoid
 *   on (2, 7, 6), MSE against random targets in (0, 1). */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 40 /* two threads split them (16 rows each at least) */
#define NL 6
#define OUT 20 /* (1, 5, 4) */
#define EPS 1e-3f
/* a perturbation that crosses a ReLU's kink moves one of the many terms of
 * a gradient: well inside these */
#define RTOL 3e-2
#define ATOL 2e-4

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

void test_fuse(void) {
  ae_error_t e = {0, ""};
  ae_rng_t r;
  ae_rng_seed(&r, 11);
  int old_threads = ae_threads();
  ae_layer_t *L[NL] = {ae_conv2d_new(2, 3, 3, 1, AE_PAD_SAME, AE_INIT_HE, AE_CONV_AUTO, &r, &e),
                       ae_activation_new(AE_ACT_RELU, 0.0f, &e),
                       ae_conv2d_new(3, 2, 3, 1, AE_PAD_VALID, AE_INIT_HE, AE_CONV_AUTO, &r, &e),
                       ae_activation_new(AE_ACT_RELU, 0.0f, &e),
                       ae_conv2d_new(2, 1, 3, 1, AE_PAD_SAME, AE_INIT_GLOROT, AE_CONV_AUTO, &r, &e),
                       ae_activation_new(AE_ACT_SIGMOID, 0.0f, &e)};
  ae_shape_t in = {3, {2, 7, 6}};
  ae_tensor_t *x = ae_tensor_new2(ROWS, 84, &e), *t = x ? ae_tensor_new2(ROWS, OUT, &e) : NULL;
  ae_tensor_t *dxf = t ? ae_tensor_new2(ROWS, 84, &e) : NULL, *dxu = dxf ? ae_tensor_new2(ROWS, 84, &e) : NULL;
  ae_model_t *m = NULL, *u = NULL;
  float *gu = NULL;
  check_begin("fuse: Conv2D + ReLU fused gives the unfused pair's outputs and gradients, bit for bit");
  int ok = dxu != NULL;
  for (int i = 0; i < NL; i++) ok = ok && L[i];
  if (!check(ok, "setup: %s", e.msg)) goto out;
  check(L[0]->ops->fuses_relu && L[0]->ops->fuses_relu(L[0], &in), "Conv2D's direct kernel takes a ReLU");
  /* biases off 0, so a sample's pre-activations are not all of one sign */
  for (int i = 0; i < NL; i += 2)
    ae_rng_fill_normal(&r, ae_tensor_data(L[i]->param[1]), ae_tensor_numel(L[i]->param[1]), 0.0f, 0.3f);
  ae_rng_fill_normal(&r, ae_tensor_data(x), (size_t)ROWS * 84, 0.0f, 1.0f);
  for (int i = 0; i < ROWS * OUT; i++) ae_tensor_data(t)[i] = 0.1f + 0.8f * ae_rng_uniform(&r);
  m = ae_model_new(L, NL, NL, &in, &e);
  u = m ? ae_model_new(L, NL, NL, &in, &e) : NULL;
  if (!check(u != NULL, "ae_model_new: %s", e.msg)) goto out;
  ae_model_set_fusion(u, 0);
  ae_set_threads(2);

  double lf = NAN, lu = NAN;
  if (!check(ae_model_gradient(u, x, t, dxu, &lu, &e) == AE_OK, "unfused gradient: %s", e.msg)) goto out;
  size_t P = ae_tensor_numel(u->grads);
  gu = malloc(P * sizeof(float));
  if (!check(gu != NULL, "out of memory")) goto out;
  memcpy(gu, ae_tensor_data(u->grads), P * sizeof(float));
  /* reserve m, then mark the conv's own outputs: fused, nothing writes them */
  if (!check(ae_model_reserve(m, ROWS, &e) == AE_OK, "reserve: %s", e.msg)) goto out;
  for (size_t k = 0; k < (size_t)ROWS * 3 * 7 * 6; k++) m->act[1][k] = NAN;
  if (!check(ae_model_gradient(m, x, t, dxf, &lf, &e) == AE_OK, "fused gradient: %s", e.msg)) goto out;
  check(lf == lu, "loss %.9g fused, %.9g unfused", lf, lu);
  check(same_bits(ae_tensor_data(dxf), ae_tensor_data(dxu), (size_t)ROWS * 84), "input gradient differs by %g",
        max_abs_diff(ae_tensor_data(dxf), ae_tensor_data(dxu), (size_t)ROWS * 84));
  check(same_bits(ae_tensor_data(m->grads), gu, P), "parameter gradients differ by %g",
        max_abs_diff(ae_tensor_data(m->grads), gu, P));
  check(isnan(m->act[1][0]) && isnan(m->act[1][(size_t)ROWS * 3 * 7 * 6 - 1]),
        "the first Conv2D's own output was written: the ReLU did not run inside it");

  /* forward, whole and in parts: a part that ends at the conv or starts at
   * its ReLU runs them apart */
  static const int parts[][2] = {{0, NL}, {0, 1}, {1, NL}, {0, 4}, {2, 5}};
  for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
    int from = parts[p][0], to = parts[p][1];
    size_t nin = ae_shape_numel(&m->shape[from]), nout = ae_shape_numel(&m->shape[to]);
    ae_tensor_t *xi = ae_tensor_new2(ROWS, (int)nin, &e), *a = ae_tensor_new2(ROWS, (int)nout, &e),
                *b = ae_tensor_new2(ROWS, (int)nout, &e);
    if (check(xi && a && b, "setup: %s", e.msg)) {
      ae_rng_fill_normal(&r, ae_tensor_data(xi), (size_t)ROWS * nin, 0.0f, 1.0f);
      int okf = ae_model_forward(m, a, xi, from, to, 0, &e) == AE_OK;
      int oku = okf && ae_model_forward(u, b, xi, from, to, 0, &e) == AE_OK;
      if (check(oku, "forward %d..%d: %s", from + 1, to, e.msg))
        check(same_bits(ae_tensor_data(a), ae_tensor_data(b), (size_t)ROWS * nout), "forward %d..%d differs by %g",
              from + 1, to, max_abs_diff(ae_tensor_data(a), ae_tensor_data(b), (size_t)ROWS * nout));
    }
    ae_tensor_free(xi);
    ae_tensor_free(a);
    ae_tensor_free(b);
  }
  check_end();

  check_begin("fuse: the fused model's gradients match central differences of its loss");
  if (!check(ae_model_gradient(m, x, t, NULL, &lf, &e) == AE_OK, "gradient: %s", e.msg)) goto out;
  memcpy(gu, ae_tensor_data(m->grads), P * sizeof(float));
  float *w = ae_tensor_data(m->params);
  double worst = 0;
  for (size_t k = 0; k < P; k++) {
    float keep = w[k];
    w[k] = keep + EPS;
    double hi = model_loss(m, x, t);
    w[k] = keep - EPS;
    double lo = model_loss(m, x, t);
    w[k] = keep;
    double num = (hi - lo) / (2.0 * EPS), d = fabs(num - gu[k]), tol = ATOL + RTOL * fmax(fabs(num), fabs(gu[k]));
    worst = fmax(worst, d / tol);
    check(d <= tol, "parameter %zu: %g analytic, %g numeric", k, (double)gu[k], num);
  }
  check_note("%zu parameters, worst |difference| / tolerance %.3f", P, worst);
  check_end();
out:
  check_end();
  ae_set_threads(old_threads);
  free(gu);
  ae_model_free(m);
  ae_model_free(u);
  for (int i = 0; i < NL; i++) ae_layer_free(L[i]);
  ae_tensor_free(x);
  ae_tensor_free(t);
  ae_tensor_free(dxf);
  ae_tensor_free(dxu);
}
