/* Activity and contractive penalties: the kernels, forward and backward
 * together, then each kind's checks and hooks into a model's step. */
#include "penalty.h"
#include "layers.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double ae_penalty_l1(float *da, const float *a, int n, int H, int B, float lambda) {
  size_t N = (size_t)n * H;
  float s = lambda / (float)B;
  double sum = 0;
  for (size_t i = 0; i < N; i++) {
    sum += fabsf(a[i]);
    da[i] += a[i] > 0.0f ? s : a[i] < 0.0f ? -s : 0.0f;
  }
  return (double)lambda * sum / B;
}

#define RHO_MIN 1e-6

/* g_j and the penalty from ρ̂_j = r[j] (clamped); g and r may be the same array. */
static double kl_from(float *g, float *rho_hat, const float *r, int B, int H, float rho, float beta) {
  double loss = 0;
  for (int j = 0; j < H; j++) {
    double q = r[j];
    q = q < RHO_MIN ? RHO_MIN : q > 1 - RHO_MIN ? 1 - RHO_MIN : q;
    if (rho_hat) rho_hat[j] = (float)q;
    loss += rho * log(rho / q) + (1 - rho) * log((1 - rho) / (1 - q));
    g[j] = (float)(beta / B * (-rho / q + (1 - rho) / (1 - q)));
  }
  return beta * loss;
}

double ae_penalty_kl_prepare(float *g, float *rho_hat, const float *a, int B, int H, float rho, float beta) {
  /* column sums in row order: the same for any thread split */
  for (int j = 0; j < H; j++) g[j] = 0.0f;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) g[j] += a[(size_t)b * H + j];
  for (int j = 0; j < H; j++) g[j] = (float)(g[j] / (double)B);
  return kl_from(g, rho_hat, g, B, H, rho, beta);
}

double ae_penalty_kl_held(float *g, const float *rho_hat, int B, int H, float rho, float beta) {
  return kl_from(g, NULL, rho_hat, B, H, rho, beta);
}

double ae_penalty_kl_offset(float *g, const float *a, const float *offset, int B, int H, float rho, float beta) {
  for (int j = 0; j < H; j++) g[j] = 0.0f;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) g[j] += a[(size_t)b * H + j];
  for (int j = 0; j < H; j++) g[j] = (float)(g[j] / (double)B + offset[j]);
  return kl_from(g, NULL, g, B, H, rho, beta);
}

void ae_penalty_kl_backward(float *da, const float *g, int n, int H) {
  for (int b = 0; b < n; b++)
    for (int j = 0; j < H; j++) da[(size_t)b * H + j] += g[j];
}

void ae_penalty_contractive_norms(float *wn, const float *W, int H, int IN) {
  for (int j = 0; j < H; j++) {
    float s = 0.0f;
    for (int i = 0; i < IN; i++) s += W[(size_t)j * IN + i] * W[(size_t)j * IN + i];
    wn[j] = s;
  }
}

double ae_penalty_contractive(float *dz, float *dW, float *colsum, const float *z, const float *h, const float *W,
                              const float *wn, int n, int H, int IN, int B, int act, float slope, float lambda) {
  float c = lambda / (float)B;
  double sum = 0;
  for (int j = 0; j < H; j++) colsum[j] = 0.0f;
  for (int b = 0; b < n; b++) {
    const float *zb = z + (size_t)b * H, *hb = h + (size_t)b * H;
    float *db = dz + (size_t)b * H;
    float rowsum = 0.0f;
    for (int j = 0; j < H; j++) {
      /* s' = ds/dz and q = d(s'²)/dz, through the output where that is cheaper */
      float d, q;
      switch (act) {
      case AE_ACT_SIGMOID: d = hb[j] * (1.0f - hb[j]); q = 2.0f * d * d * (1.0f - 2.0f * hb[j]); break;
      case AE_ACT_TANH: d = 1.0f - hb[j] * hb[j]; q = -4.0f * hb[j] * d * d; break;
      case AE_ACT_RELU: d = zb[j] > 0.0f ? 1.0f : 0.0f; q = 0.0f; break;
      case AE_ACT_LEAKY_RELU: d = zb[j] > 0.0f ? 1.0f : slope; q = 0.0f; break;
      default: d = 1.0f; q = 0.0f;
      }
      rowsum += d * d * wn[j];
      colsum[j] += d * d;
      db[j] += c * q * wn[j];
    }
    sum += rowsum;
  }
  for (int j = 0; j < H; j++) {
    float k = 2.0f * c * colsum[j];
    if (k == 0.0f) continue;
    for (int i = 0; i < IN; i++) dW[(size_t)j * IN + i] += k * W[(size_t)j * IN + i];
  }
  return (double)lambda * sum / B;
}

/* ---- The kinds: where each acts in a model, and its per-step hooks ---- */

/* The penalized activations act[P] of the rows from lo, H per row. */
static int width(const ae_model_t *m, int P) { return (int)ae_shape_numel(&m->shape[P]); }

static size_t one_row(const ae_penalty_t *p, const ae_model_t *m, int threads) {
  (void)threads;
  return (size_t)width(m, p->layer);
}

static int at_layer(ae_penalty_t *p, const ae_model_t *m, ae_error_t *e) {
  (void)m;
  (void)e;
  p->at = p->layer; /* the gradient at the penalized activations */
  return AE_OK;
}

static void l1_describe(const ae_penalty_t *p, char *buf, size_t n) {
  snprintf(buf, n, "l1(lambda=%g)", (double)p->weight);
}

static double l1_backward(const ae_penalty_t *p, const ae_model_t *m, float *scratch, float *d, int lo, int hi, int B,
                          float *G, int thread) {
  (void)scratch;
  (void)G;
  (void)thread;
  int H = width(m, p->layer);
  return ae_penalty_l1(d, m->act[p->layer] + (size_t)lo * H, hi - lo, H, B, p->weight);
}

static void kl_describe(const ae_penalty_t *p, char *buf, size_t n) {
  snprintf(buf, n, "kl_sparsity(rho=%g, beta=%g)", (double)p->rho, (double)p->weight);
}

static int kl_attach(ae_penalty_t *p, const ae_model_t *m, ae_error_t *e) {
  char name[96], a[64];
  const ae_layer_t *at = m->layers[p->layer - 1];
  ae_penalty_name(p, name, sizeof name);
  if (!(p->rho > 0.0f && p->rho < 1.0f)) return ae_fail(e, AE_EARG, "penalty %s: rho must be in (0, 1)", name);
  if (!ae_layer_is_act(at, AE_ACT_SIGMOID))
    return ae_fail(e, AE_EARG, "penalty %s: layer %d is %s; KL sparsity needs activations in (0, 1), a Sigmoid", name,
                   p->layer, ae_layer_name(at, a, sizeof a));
  return at_layer(p, m, e);
}

/* ρ̂ over every row of the batch, and the gradient g (H) every row gets. */
static double kl_prepare(const ae_penalty_t *p, const ae_model_t *m, float *scratch, int B) {
  if (m->pen_rho_len && m->pen_rho_offset) /* the batch's mean moved by an offset from outside */
    return ae_penalty_kl_offset(scratch, m->act[p->layer], m->pen_rho_hat, B, m->pen_rho_len, p->rho, p->weight);
  if (m->pen_rho_len) /* a ρ̂ held from outside (the whole training set's) */
    return ae_penalty_kl_held(scratch, m->pen_rho_hat, B, m->pen_rho_len, p->rho, p->weight);
  return ae_penalty_kl_prepare(scratch, NULL, m->act[p->layer], B, width(m, p->layer), p->rho, p->weight);
}

static double kl_backward(const ae_penalty_t *p, const ae_model_t *m, float *scratch, float *d, int lo, int hi, int B,
                          float *G, int thread) {
  (void)lo;
  (void)B;
  (void)G;
  (void)thread;
  ae_penalty_kl_backward(d, scratch, hi - lo, width(m, p->layer));
  return 0; /* the value is the batch's, from prepare */
}

static void contractive_describe(const ae_penalty_t *p, char *buf, size_t n) {
  snprintf(buf, n, "contractive(lambda=%g)", (double)p->weight);
}

/* act[P] = s(z), z = act[P-1] the output of the Dense at layer P-1. */
static int contractive_attach(ae_penalty_t *p, const ae_model_t *m, ae_error_t *e) {
  char name[96], a[64], b[64];
  int P = p->layer, kind = ae_activation_kind(m->layers[P - 1], NULL);
  ae_penalty_name(p, name, sizeof name);
  if (P < 2 || !ae_dense_in_features(m->layers[P - 2]) || kind < 0 || kind == AE_ACT_SOFTMAX)
    return ae_fail(e, AE_EARG,
                   "penalty %s: layer %d must be an element-wise activation after a Dense (got %s after %s)", name, P,
                   ae_layer_name(m->layers[P - 1], a, sizeof a),
                   P >= 2 ? ae_layer_name(m->layers[P - 2], b, sizeof b) : "the input");
  p->at = P - 1; /* the gradient at z, before the Dense's backward */
  return AE_OK;
}

/* The squared norms of W's rows (H), then one row of column sums per thread. */
static size_t contractive_scratch(const ae_penalty_t *p, const ae_model_t *m, int threads) {
  return (size_t)(1 + threads) * width(m, p->layer);
}

static double contractive_prepare(const ae_penalty_t *p, const ae_model_t *m, float *scratch, int B) {
  (void)B;
  const ae_layer_t *dense = m->layers[p->layer - 2];
  ae_penalty_contractive_norms(scratch, ae_tensor_data(dense->param[0]), width(m, p->layer),
                               ae_dense_in_features(dense));
  return 0;
}

static double contractive_backward(const ae_penalty_t *p, const ae_model_t *m, float *scratch, float *d, int lo,
                                   int hi, int B, float *G, int thread) {
  int P = p->layer, H = width(m, P);
  const ae_layer_t *dense = m->layers[P - 2];
  float slope = 0.0f;
  int act = ae_activation_kind(m->layers[P - 1], &slope);
  return ae_penalty_contractive(d, ae_model_grad_slot(m, G, dense->grad[0]), scratch + (size_t)(1 + thread) * H,
                                m->act[P - 1] + (size_t)lo * H, m->act[P] + (size_t)lo * H,
                                ae_tensor_data(dense->param[0]), scratch, hi - lo, H, ae_dense_in_features(dense), B,
                                act, slope, p->weight);
}

const ae_penalty_ops_t ae_penalty_l1_ops = {
    .name = "l1", .describe = l1_describe, .attach = at_layer, .backward = l1_backward};
const ae_penalty_ops_t ae_penalty_kl_ops = {.name = "kl_sparsity",
                                        .describe = kl_describe,
                                        .attach = kl_attach,
                                        .scratch = one_row,
                                        .prepare = kl_prepare,
                                        .needs_batch = 1,
                                        .backward = kl_backward};
const ae_penalty_ops_t ae_penalty_contractive_ops = {.name = "contractive",
                                                 .describe = contractive_describe,
                                                 .attach = contractive_attach,
                                                 .scratch = contractive_scratch,
                                                 .prepare = contractive_prepare,
                                                 .backward = contractive_backward};

static const ae_penalty_ops_t *const catalogue[] = {AE_PENALTY_CATALOGUE};

const ae_penalty_ops_t *ae_penalty_find(const char *name, ae_error_t *e) {
  char list[256] = "";
  size_t n = sizeof catalogue / sizeof *catalogue;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(catalogue[i]->name, name) == 0) return catalogue[i];
    snprintf(list + strlen(list), sizeof list - strlen(list), "'%s', ", catalogue[i]->name);
  }
  return ae_fail(e, AE_EARG, "unknown penalty '%s' (the penalties are %s'none')", name, list), NULL;
}

const char *ae_penalty_name(const ae_penalty_t *p, char *buf, size_t len) {
  if (p->ops) p->ops->describe(p, buf, len);
  else snprintf(buf, len, "none");
  return buf;
}

int ae_penalty_attach(ae_model_t *m, const ae_penalty_t *p, ae_error_t *e) {
  char name[96];
  ae_penalty_t q = *p;
  if (!q.ops) {
    m->penalty = q;
    m->pen_rho_len = 0;
    return AE_OK;
  }
  ae_penalty_name(p, name, sizeof name);
  if (q.layer == 0) {
    if (m->code >= m->n)
      return ae_fail(e, AE_EARG, "penalty %s: the model has no code (not an autoencoder); give layer = 1..%d", name,
                     m->n - 1);
    q.layer = m->code;
  }
  if (q.layer < 1 || q.layer > m->n - 1)
    return ae_fail(e, AE_EARG, "penalty %s: layer %d outside 1..%d (the output is not penalized)", name, q.layer,
                   m->n - 1);
  if (!(q.weight >= 0.0f)) return ae_fail(e, AE_EARG, "penalty %s: the weight must be ≥ 0", name);
  if (q.ops->attach(&q, m, e)) return e->code;
  m->penalty = q;
  m->pen_rho_len = 0; /* a new penalty starts from the batch's ρ̂ */
  return AE_OK;
}

int ae_penalty_hold_rho_hat(ae_model_t *m, const float *rho_hat, int H, int offset, ae_error_t *e) {
  char name[96];
  if (!rho_hat) {
    m->pen_rho_len = 0;
    return AE_OK;
  }
  ae_penalty_name(&m->penalty, name, sizeof name);
  if (m->penalty.ops != &ae_penalty_kl_ops)
    return ae_fail(e, AE_EARG, "hold ρ̂: the model's penalty is %s; only kl_sparsity has a ρ̂", name);
  int W = width(m, m->penalty.layer);
  if (H != W)
    return ae_fail(e, AE_EARG, "penalty %s: ρ̂ has %d values, layer %d has %d units", name, H, m->penalty.layer, W);
  float lo = offset ? -1.0f : 0.0f;
  for (int j = 0; j < H; j++)
    if (!(rho_hat[j] >= lo && rho_hat[j] <= 1.0f))
      return ae_fail(e, AE_EARG, "penalty %s: %s[%d] = %g is not %s", name, offset ? "offset" : "ρ̂", j + 1,
                     (double)rho_hat[j], offset ? "a difference of mean activations, in [-1, 1]" :
                     "a mean activation in [0, 1]");
  if (m->pen_rho_cap < H) {
    float *r = realloc(m->pen_rho_hat, (size_t)H * sizeof(float));
    if (!r) return ae_fail(e, AE_ENOMEM, "penalty %s: out of memory for ρ̂", name);
    m->pen_rho_hat = r;
    m->pen_rho_cap = H;
  }
  memcpy(m->pen_rho_hat, rho_hat, (size_t)H * sizeof(float));
  m->pen_rho_len = H;
  m->pen_rho_offset = offset != 0;
  return AE_OK;
}
