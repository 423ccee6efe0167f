/* The hooks a new kind plugs into, tried with kinds defined here and
 * nowhere in the core: a layer with a loss term of its own (a VAE's KL will
 * be one), reached by the model's step only through its ops.
 *
 * Probe(λ): out = in, loss term λ/B Σ in², din = dout + 2λ/B · in. In a
 * 6-4-6 model its term joins the MSE: the step's loss is their sum, the
 * gradients match central differences of that sum, and two threads give
 * what one gives.
 *
 * Pick: a loss whose target is one class index per row (as softmax
 * cross-entropy's will be): loss = −1/B Σ_b y[b, t_b]. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  float lambda;
} probe_t;

static int probe_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  (void)l;
  (void)e;
  *out = *in;
  return AE_OK;
}

static void probe_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                          const ae_pass_t *pass) {
  (void)l;
  (void)pass;
  memcpy(out, in, (size_t)B * ae_shape_numel(in_shape) * sizeof(float));
}

static void probe_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                           const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)out;
  (void)dparam;
  if (!din) return;
  float c = 2.0f * ((const probe_t *)l->state)->lambda / (float)pass->batch;
  size_t n = (size_t)B * ae_shape_numel(in_shape);
  for (size_t i = 0; i < n; i++) din[i] = dout[i] + c * in[i];
}

static double probe_term(const ae_layer_t *l, const float *in, const float *out, const ae_shape_t *in_shape, int n,
                         const ae_pass_t *pass) {
  (void)out;
  double s = 0;
  size_t N = (size_t)n * ae_shape_numel(in_shape);
  for (size_t i = 0; i < N; i++) s += (double)in[i] * in[i];
  return ((const probe_t *)l->state)->lambda * s / pass->batch;
}

static void probe_describe(const ae_layer_t *l, char *buf, size_t n) {
  snprintf(buf, n, "Probe(%g)", (double)((const probe_t *)l->state)->lambda);
}

static const ae_layer_ops_t probe_ops = {
    .kind = "Probe",
    .infer = probe_infer,
    .forward = probe_forward,
    .backward = probe_backward,
    .describe = probe_describe,
    .loss_term = probe_term,
};

static double pick_value(const ae_loss_t *loss, float *dy, const float *y, const float *t, int rows, int cols, int B,
                         int want) {
  (void)loss;
  double s = 0;
  if (dy) memset(dy, 0, (size_t)rows * cols * sizeof(float));
  for (int b = 0; b < rows; b++) {
    int k = (int)t[b];
    if (dy) dy[(size_t)b * cols + k] = -1.0f / (float)B;
    s -= y[(size_t)b * cols + k];
  }
  return want ? s / B : 0;
}

static int pick_target_cols(const ae_loss_t *loss, int cols) {
  (void)loss;
  (void)cols;
  return 1;
}

static const ae_loss_ops_t pick_ops = {.name = "pick", .value = pick_value, .fuses = -1, .target_cols = pick_target_cols};

#define ROWS 40 /* two threads split them (16 rows each at least) */
#define LAMBDA 0.3f
/* The model is a polynomial in each parameter (no activation but the
 * identity): a wide step keeps float32 rounding out of the differences. */
#define EPS 1e-2f
#define RTOL 1e-2
#define ATOL 1e-2 /* gradients below this count as absolute */

/* Loss of the model on x (MSE against x, plus the term): model_loss(m, x, x). */

void test_hooks(void) {
  ae_error_t e = {0, ""};
  ae_rng_t r;
  ae_rng_seed(&r, 7);
  ae_layer_t *L[3] = {ae_dense_new(6, 4, AE_INIT_GLOROT, &r, &e), ae_layer_alloc(&probe_ops, sizeof(probe_t), &e),
                      ae_dense_new(4, 6, AE_INIT_GLOROT, &r, &e)};
  ae_tensor_t *x = ae_tensor_new2(ROWS, 6, &e);
  ae_model_t *m = NULL;
  check_begin("hooks: a layer's own loss term (a kind the core does not know)");
  if (!check(L[0] && L[1] && L[2] && x, "setup: %s", e.msg)) goto out;
  ((probe_t *)L[1]->state)->lambda = LAMBDA;
  ae_rng_fill_normal(&r, ae_tensor_data(x), (size_t)ROWS * 6, 0.0f, 1.0f);
  m = ae_model_new(L, 3, 2, NULL, &e);
  if (!check(m != NULL, "ae_model_new: %s", e.msg)) goto out;
  ae_set_threads(1);

  /* the step's loss is the MSE plus the term, computed from the code */
  double total = model_loss(m, x, x), mse = 0;
  if (!check(ae_model_evaluate(m, x, x, 0, &mse, &e) == AE_OK, "evaluate: %s", e.msg)) goto out;
  ae_tensor_t *code = ae_tensor_new2(ROWS, 4, &e);
  if (!check(code && ae_model_forward(m, code, x, 0, 1, 0, &e) == AE_OK, "forward: %s", e.msg)) goto out;
  double s = 0;
  for (size_t i = 0; i < (size_t)ROWS * 4; i++) s += (double)ae_tensor_data(code)[i] * ae_tensor_data(code)[i];
  ae_tensor_free(code);
  double term = LAMBDA * s / ROWS;
  check(term > 1e-3 && fabs(total - (mse + term)) < 1e-5 * total, "loss %.7g, MSE %.7g + term %.7g = %.7g", total, mse,
        term, mse + term);

  /* central differences of that loss against the gradient, every parameter */
  size_t P = ae_tensor_numel(m->params), worst_at = 0;
  float *p = ae_tensor_data(m->params);
  float *g = malloc(P * sizeof(float));
  if (!check(g != NULL, "out of memory")) goto out;
  model_loss(m, x, x);
  memcpy(g, ae_tensor_data(m->grads), P * sizeof(float));
  double worst = 0;
  for (size_t i = 0; i < P; i++) {
    float keep = p[i];
    p[i] = keep + EPS;
    double up = model_loss(m, x, x);
    p[i] = keep - EPS;
    double down = model_loss(m, x, x);
    p[i] = keep;
    double num = (up - down) / (2.0 * EPS), err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + ATOL);
    if (err > worst) worst = err, worst_at = i;
  }
  check(worst < RTOL, "worst relative gradient error %.3g at parameter %zu (analytic %.6g)", worst, worst_at,
        g[worst_at]);
  check_note("loss term hook: MSE %.6f + term %.6f; worst gradient error %.2g over %zu parameters", mse, term, worst, P);

  /* two threads: each holds part of the rows, the term averages over all */
  ae_set_threads(2);
  double two = model_loss(m, x, x);
  int same = 1;
  for (size_t i = 0; i < P; i++) same &= fabsf(ae_tensor_data(m->grads)[i] - g[i]) <= 1e-6f * (1.0f + fabsf(g[i]));
  check(fabs(two - total) < 1e-6 * total && same, "2 threads: loss %.9g (1 thread %.9g), gradients %s", two, total,
        same ? "the same" : "differ");
  ae_set_threads(1);
  free(g);
out:
  check_end();

  /* a loss the core does not know, whose targets are class indices */
  check_begin("hooks: a loss of one class index per row (a kind the core does not know)");
  ae_tensor_t *labels = ae_tensor_new2(ROWS, 1, &e), *y = ae_tensor_new2(ROWS, 6, &e);
  if (!check(m && labels && y, "setup: %s", e.msg)) goto out2;
  for (int b = 0; b < ROWS; b++) ae_tensor_data(labels)[b] = (float)(b % 6);
  m->loss.ops = &pick_ops;
  ((probe_t *)L[1]->state)->lambda = 0.0f; /* the loss alone */
  double l = NAN;
  check(ae_model_gradient(m, x, x, NULL, &l, &e) != AE_OK && strstr(e.msg, "expected 40 rows of 1 values (pick loss"),
        "a target shaped like the output is refused: %s", e.msg);
  if (!check(ae_model_gradient(m, x, labels, NULL, &l, &e) == AE_OK, "gradient: %s", e.msg)) goto out2;
  if (!check(ae_model_forward(m, y, x, 0, 3, 0, &e) == AE_OK, "forward: %s", e.msg)) goto out2;
  double want = 0;
  for (int b = 0; b < ROWS; b++) want -= ae_tensor_data(y)[b * 6 + b % 6];
  want /= ROWS;
  check(fabs(l - want) < 1e-5 * (1 + fabs(want)), "loss %.7g, expected −mean picked output %.7g", l, want);
  /* the output bias gets exactly −1/B at each row's class */
  const float *db = ae_tensor_data(L[2]->grad[1]);
  double off = 0;
  for (int k = 0; k < 6; k++) {
    int count = 0;
    for (int b = 0; b < ROWS; b++) count += b % 6 == k;
    off = fmax(off, fabs(db[k] + (double)count / ROWS));
  }
  check(off < 1e-6, "output-bias gradient off by %.3g from −(rows of the class)/B", off);
out2:
  check_end();
  ae_tensor_free(labels);
  ae_tensor_free(y);
  ae_model_free(m);
  for (int i = 0; i < 3; i++) ae_layer_free(L[i]);
  ae_tensor_free(x);
}
