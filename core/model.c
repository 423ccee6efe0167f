/* Models: the chain, the parameter arena, workspaces and the threaded step.
 * Layers, losses and penalties are reached through their ops only. */
#include "model.h"

#include "pool.h"


#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t max_numel(const ae_model_t *m) {
  size_t mx = 1;
  for (int i = 0; i <= m->n; i++) {
    size_t k = ae_shape_numel(&m->shape[i]);
    mx = k > mx ? k : mx;
  }
  return mx;
}

ae_model_t *ae_model_new(ae_layer_t **layers, int n, int code, const ae_shape_t *input, ae_error_t *e) {
  if (n < 1) return ae_fail(e, AE_EARG, "model: needs at least one layer"), NULL;
  if (code < 0 || code > n) return ae_fail(e, AE_EARG, "model: code index %d outside 0..%d", code, n), NULL;
  ae_model_t *m = calloc(1, sizeof *m);
  if (!m) return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  m->n = n;
  m->code = code;
  m->loss.ops = ae_loss_find("mse", NULL);
  m->layers = calloc((size_t)n, sizeof *m->layers); /* NULL entries are not counted as users */
  m->shape = calloc((size_t)n + 1, sizeof *m->shape);
  m->act = calloc((size_t)n + 1, sizeof *m->act);
  m->seconds = calloc(2 * (size_t)n, sizeof *m->seconds);
  m->spans = calloc(2 * ((size_t)n * AE_MAXPARAM + 1), sizeof *m->spans);
  if (!m->layers || !m->shape || !m->act || !m->seconds || !m->spans) {
    ae_model_free(m);
    return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  }
  memcpy(m->layers, layers, (size_t)n * sizeof *layers);
  for (int i = 0; i < n; i++) layers[i]->users++;
  if (input) {
    char s[64];
    int ok = input->nd >= 1 && input->nd <= 3;
    for (int i = 0; ok && i < input->nd; i++) ok = input->d[i] >= 1;
    if (!ok) {
      if (input->nd >= 1 && input->nd <= 3) ae_shape_str(input, s, sizeof s);
      else snprintf(s, sizeof s, "of %d sizes", input->nd);
      ae_model_free(m);
      return ae_fail(e, AE_EARG, "model: input shape %s: give 1 to 3 positive sizes", s), NULL;
    }
    m->shape[0] = *input;
  } else {
    int i = 0; /* the first layer that knows the input it needs (a Dense) */
    while (i < n && !(layers[i]->ops->input_shape && layers[i]->ops->input_shape(layers[i], &m->shape[0]))) i++;
    if (i == n) {
      ae_model_free(m);
      return ae_fail(e, AE_EARG, "model: cannot tell the input size (no Dense layer); give it explicitly"), NULL;
    }
  }
  for (int i = 0; i < n; i++) {
    if (layers[i]->ops->infer(layers[i], &m->shape[i], &m->shape[i + 1], e)) {
      char why[sizeof e->msg]; /* the layer's own message (translated), copied: ae_fail rewrites e->msg */
      snprintf(why, sizeof why, "%s", e->msg);
      ae_fail_shape(e, "layer %d, %s", i + 1, why);
      ae_model_free(m);
      return NULL;
    }
  }
  for (int i = 0; i < n; i++) {
    int found = !layers[i]->borrows;
    for (int k = 0; k < i && !found; k++) found = layers[k] == layers[i]->borrows;
    if (!found) {
      char a[64], b[64];
      ae_fail(e, AE_EARG, "model: layer %d, %s, shares the weight of %s, which is not among layers 1..%d", i + 1,
              ae_layer_name(layers[i], a, sizeof a), ae_layer_name(layers[i]->borrows, b, sizeof b), i);
      ae_model_free(m);
      return NULL;
    }
  }
  if (ae_model_pack(m, e)) {
    ae_model_free(m);
    return NULL;
  }
  return m;
}

static void free_workspace(ae_model_t *m) {
  for (int i = 0; i <= m->n; i++) {
    free(m->act[i]);
    m->act[i] = NULL;
  }
  free(m->gbuf[0]);
  free(m->gbuf[1]);
  free(m->noisy);
  m->gbuf[0] = m->gbuf[1] = NULL;
  m->noisy = NULL;
  m->cap = 0;
}

void ae_model_free(ae_model_t *m) {
  if (!m) return;
  if (m->act) free_workspace(m);
  ae_tensor_free(m->params);
  ae_tensor_free(m->grads);
  free(m->replicas);
  free(m->pen_buf);
  free(m->pen_rho_hat);
  if (m->layers)
    for (int i = 0; i < m->n; i++)
      if (m->layers[i]) m->layers[i]->users--;
  free(m->layers);
  free(m->shape);
  free(m->act);
  free(m->seconds);
  free(m->spans);
  free(m);
}

void ae_model_reset_seconds(ae_model_t *m) {
  memset(m->seconds, 0, 2 * (size_t)m->n * sizeof *m->seconds);
  m->timed_rows = 0;
}

void ae_model_set_fusion(ae_model_t *m, int on) { m->unfused = !on; }

/* 1 when layer i + 1, a ReLU, runs inside layer i in a pass over layers
 * [.., to) (its ops->fuses_relu): layer i then writes the ReLU's output
 * act[i + 2] and masks the ReLU's dout itself, the ReLU's own forward and
 * backward are skipped, and act[i + 1] is left unwritten, so nothing that
 * reads it (a penalty on it or, contractive, on the layer after) may be
 * there. The profile then shows the ReLU's row at ~0 and its cost in layer
 * i's. A function of the model alone, so a step's forward and backward
 * agree. Lesson 08's model, AMD EPYC Zen 4, 2 threads: make bench-conv
 * 12.7k -> 13.3k samples/s (medians of 4 and 3 runs, +5%; PyTorch
 * 3.5-4.2k either way), profile 1.59 -> 1.36 s, the first Conv2D + ReLU
 * 0.32 -> 0.20 s. */
static int fused(const ae_model_t *m, int i, int to) {
  if (m->unfused || i < 0 || i + 1 >= to) return 0;
  const ae_layer_t *l = m->layers[i];
  if (!l->ops->fuses_relu || !ae_layer_is_act(m->layers[i + 1], AE_ACT_RELU)) return 0;
  if (m->penalty.ops && (m->penalty.at == i + 1 || m->penalty.at == i + 2)) return 0;
  return l->ops->fuses_relu(l, &m->shape[i]);
}

void ae_model_layer_flops(const ae_model_t *m, int i, double *forward, double *backward) {
  const ae_layer_t *l = m->layers[i];
  double f = l->ops->flops ? l->ops->flops(l, &m->shape[i]) : 0;
  *forward = f;
  /* the lowest layer a step runs backward for computes no input gradient in fit (no dx) */
  *backward = i < m->floor ? 0 : i == m->floor && i == 0 ? f : 2 * f;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t ae_model_param_count(const ae_model_t *m) { return m->params ? ae_tensor_numel(m->params) : 0; }

/* The parameters a model packs: each layer once (a layer may appear twice),
 * a borrowed weight (DenseTied's) where its owner is. */
static int packs(const ae_model_t *m, int i, int j) {
  for (int k = 0; k < i; k++)
    if (m->layers[k] == m->layers[i]) return 0;
  return !(m->layers[i]->borrows && j == 0);
}

static int is_packed(const ae_model_t *m) {
  if (!m->params) return 0;
  for (int i = 0; i < m->n; i++)
    for (int j = 0; j < m->layers[i]->nparams; j++)
      if (m->layers[i]->param[j]->storage->base != m->params->storage) return 0;
  return 1;
}

/* Moves every parameter and gradient into the model's two arenas
 * (ae_tensor_move allocates nothing). The arenas are made once, when the
 * model is: later packs (after a shared layer went into another model's
 * arena) move the layers back into the same blocks, so a view of them from
 * net:parameters() stays live and a step allocates nothing. */
int ae_model_pack(ae_model_t *m, ae_error_t *e) {
  if (is_packed(m)) return AE_OK;
  size_t total = 0;
  for (int i = 0; i < m->n; i++)
    for (int j = 0; j < m->layers[i]->nparams; j++)
      if (packs(m, i, j)) total += ae_tensor_numel(m->layers[i]->param[j]);
  if (!m->params) {
    if (total > (size_t)INT_MAX) return ae_fail(e, AE_EARG, "model: %zu parameters, more than one arena holds", total);
    int shape[1] = {(int)total};
    ae_tensor_t *P = ae_tensor_new(1, shape, e), *G = P ? ae_tensor_new(1, shape, e) : NULL;
    if (!P || !G) {
      ae_tensor_free(P);
      return e->code;
    }
    m->params = P;
    m->grads = G;
  }
  size_t off = 0;
  for (int i = 0; i < m->n; i++) {
    ae_layer_t *l = m->layers[i];
    for (int j = 0; j < l->nparams; j++) {
      if (!packs(m, i, j)) continue;
      if (ae_tensor_move(l->param[j], m->params, off, e) || ae_tensor_move(l->grad[j], m->grads, off, e))
        return e->code;
      off += ae_tensor_numel(l->param[j]);
    }
  }
  return AE_OK;
}

/* Every layer's workspaces, for B rows over nt threads (cheap when they
 * are big enough already: a training step calls it each time). */
static int reserve_layers(ae_model_t *m, int B, int nt, ae_error_t *e) {
  for (int i = 0; i < m->n; i++)
    if (ae_layer_reserve(m->layers[i], &m->shape[i], B, nt, e)) return e->code;
  return AE_OK;
}

int ae_model_reserve(ae_model_t *m, int B, ae_error_t *e) {
  /* the layers' own check is cheap: a layer another model or a lone
   * layer:forward grew keeps what this model needs anyway */
  if (B <= m->cap) return reserve_layers(m, B, 1, e);
  free_workspace(m);
  for (int i = 1; i <= m->n; i++) {
    m->act[i] = aligned_alloc(64, ((size_t)B * ae_shape_numel(&m->shape[i]) * sizeof(float) + 63) & ~(size_t)63);
    if (!m->act[i]) goto oom;
  }
  m->gbuf_row = max_numel(m);
  size_t g = ((size_t)B * m->gbuf_row * sizeof(float) + 63) & ~(size_t)63;
  m->gbuf[0] = aligned_alloc(64, g);
  m->gbuf[1] = aligned_alloc(64, g);
  if (!m->gbuf[0] || !m->gbuf[1]) goto oom;
  /* cap promises every layer's workspace too: set only once they have it */
  if (reserve_layers(m, B, 1, e)) {
    free_workspace(m);
    return e->code;
  }
  m->cap = B;
  return AE_OK;
oom:
  free_workspace(m);
  return ae_fail(e, AE_ENOMEM, "model: out of memory for workspaces of batch %d", B);
}

void ae_model_zero_grad(ae_model_t *m) {
  if (m->grads) ae_tensor_fill(m->grads, 0.0f);
}

/* Checks that x's rows fit layer `from`, with the layer's own message. */
static int check_input(const ae_model_t *m, int from, const ae_tensor_t *x, ae_error_t *e) {
  ae_shape_t xs = {0, {0}};
  if (x->ndim == 1) {
    xs.nd = 1;
    xs.d[0] = x->shape[0];
  } else {
    xs.nd = x->ndim - 1;
    for (int i = 1; i < x->ndim; i++) xs.d[i - 1] = x->shape[i];
  }
  const ae_shape_t *want = &m->shape[from];
  if (ae_shape_numel(&xs) == ae_shape_numel(want)) return AE_OK;
  ae_shape_t out;
  if (from < m->n && m->layers[from]->ops->infer(m->layers[from], &xs, &out, e)) return e->code;
  char a[64], b[64];
  return ae_fail_shape(e, "model: input rows are %s, expected %s", ae_shape_str(&xs, a, sizeof a),
                       ae_shape_str(want, b, sizeof b));
}

static int rows_of(const ae_tensor_t *x) { return x->ndim == 1 ? 1 : x->shape[0]; }

/* Runs layers [from, to) on B rows at in; returns the output buffer. */
static const float *run(ae_model_t *m, const float *in, int from, int to, int B) {
  const float *cur = in;
  for (int i = from; i < to; i++) {
    if (fused(m, i - 1, to) && i - 1 >= from) continue; /* ran inside layer i − 1 */
    /* steps always train; a forward evaluates unless training() was asked for */
    int train = m->training && m->layers[i]->ops->random, f = fused(m, i, to);
    ae_pass_t pass = {0, 0, train, train && m->rng ? ae_rng_u64(m->rng) : 0, B, f};
    m->layers[i]->ops->forward(m->layers[i], m->act[i + 1 + f], cur, &m->shape[i], B, &pass);
    cur = m->act[i + 1 + f];
  }
  return cur;
}

int ae_model_forward(ae_model_t *m, ae_tensor_t *out, const ae_tensor_t *x, int from, int to, int chunk,
                     ae_error_t *e) {
  if (from < 0 || to > m->n || from > to) return ae_fail(e, AE_EARG, "model: layers %d..%d outside 1..%d", from + 1, to, m->n);
  if (check_input(m, from, x, e)) return e->code;
  int N = rows_of(x);
  size_t in_row = ae_shape_numel(&m->shape[from]), out_row = ae_shape_numel(&m->shape[to]);
  if (ae_tensor_numel(out) != (size_t)N * out_row)
    return ae_fail_shape(e, "model: output tensor holds %zu values, expected %d×%zu", ae_tensor_numel(out), N,
                         out_row);
  if (chunk <= 0) chunk = m->cap > 256 ? m->cap : 256;
  if (ae_model_reserve(m, chunk < N ? chunk : N, e)) return e->code;
  chunk = m->cap;
  for (int r = 0; r < N; r += chunk) {
    int B = N - r < chunk ? N - r : chunk;
    const float *src = ae_tensor_data(x) + (size_t)r * in_row;
    const float *y = run(m, src, from, to, B);
    memcpy(ae_tensor_data(out) + (size_t)r * out_row, y, (size_t)B * out_row * sizeof(float));
  }
  return AE_OK;
}

/* Layers that run before the loss: all but a last layer the loss takes
 * over (a Sigmoid under BCE, which then gets the logits). */
static int loss_from(const ae_model_t *m) {
  int f = m->loss.ops->fuses;
  return f >= 0 && ae_layer_is_act(m->layers[m->n - 1], f) ? m->n - 1 : m->n;
}

/* The loss of rows of the last layer run (y) against t, a part of a batch
 * of B rows; dy may be NULL. */
static double loss_of(const ae_model_t *m, float *dy, const float *y, const float *t, int rows, int B, int want) {
  const ae_loss_ops_t *ops = m->loss.ops;
  int cols = (int)ae_shape_numel(&m->shape[m->n]);
  if (loss_from(m) < m->n) return ops->fused(&m->loss, dy, y, t, rows, cols, B, want);
  return ops->value(&m->loss, dy, y, t, rows, cols, B, want);
}

int ae_model_set_loss(ae_model_t *m, const char *name, ae_error_t *e) {
  const ae_loss_ops_t *ops = ae_loss_find(name, e);
  if (!ops) return e->code;
  int C = (int)ae_shape_numel(&m->shape[m->n]);
  if (ops->target_cols && ops->target_cols(&m->loss, C) == 1) {
    /* a loss on labels: C ≥ 2 class scores, logits or a Softmax's, never probabilities of another kind */
    float none = 0.0f;
    if (ae_loss_check_labels(&none, 1, C, "model", e)) return e->code;
    if (ae_layer_is_act(m->layers[m->n - 1], AE_ACT_SIGMOID))
      return ae_fail(e, AE_EARG,
                     "model: the %s loss takes logits (or a Softmax's output), but the model ends in Sigmoid, "
                     "whose probabilities would be taken as logits; end with Dense(..., %d) or Softmax",
                     ops->name, C);
  }
  m->loss.ops = ops;
  return AE_OK;
}

/* Values per target row: the output's, unless the loss says otherwise. */
static size_t target_row(const ae_model_t *m) {
  int cols = (int)ae_shape_numel(&m->shape[m->n]);
  return (size_t)(m->loss.ops->target_cols ? m->loss.ops->target_cols(&m->loss, cols) : cols);
}

/* A loss on class labels (one value per row) takes them 0-based: every
 * label a whole number in 0..C−1, C the output's width. */
static int takes_labels(const ae_model_t *m) { return m->loss.ops->target_cols && target_row(m) == 1; }

static int check_labels(const ae_model_t *m, const ae_tensor_t *t, ae_error_t *e) {
  return ae_loss_check_labels(ae_tensor_data(t), ae_tensor_numel(t), (int)ae_shape_numel(&m->shape[m->n]), "model",
                              e);
}

static int check_target(const ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *t, ae_error_t *e) {
  size_t row = target_row(m);
  int labels = takes_labels(m);
  /* labels may come as a vector [N] as well as [N×1] */
  int trows = labels && t->ndim == 1 ? t->shape[0] : rows_of(t);
  if (trows != rows_of(x) || ae_tensor_numel(t) != (size_t)trows * row) {
    char a[64], b[64];
    return ae_fail_shape(e, "model: target is %s, expected %d rows of %zu values (%s loss, output %s)",
                         ae_tensor_shape_str(t, a, sizeof a), rows_of(x), row, m->loss.ops->name,
                         ae_shape_str(&m->shape[m->n], b, sizeof b));
  }
  return labels ? check_labels(m, t, e) : AE_OK;
}

/* Rows of y (the last layer run: logits, or a Softmax's input) whose
 * largest value sits at their label: the running training accuracy. */
static long count_correct(const ae_model_t *m, const float *y, const float *labels, int n) {
  int C = (int)ae_shape_numel(&m->shape[m->n]);
  long hits = 0;
  for (int r = 0; r < n; r++) {
    const float *v = y + (size_t)r * C;
    int best = 0;
    for (int j = 1; j < C; j++)
      if (v[j] > v[best]) best = j;
    hits += best == (int)labels[r];
  }
  return hits;
}

/* The lowest layer whose backward a step must run: the first that has
 * parameters of its own to train, a loss term, or the penalty's input
 * gradient to pass on; 0 when the input gradient is wanted. Layers below it
 * are frozen (or have nothing to train): backward stops there, so a frozen
 * encoder under a trainable head costs a forward only. */
static int backward_floor(const ae_model_t *m, int want_dx) {
  if (want_dx) return 0;
  for (int i = 0; i < m->n; i++) {
    const ae_layer_t *l = m->layers[i];
    if (l->ops->loss_term || (m->penalty.ops && i + 1 == m->penalty.at)) return i;
    for (int j = 0; j < l->nparams; j++) {
      const ae_layer_t *owner = j == 0 && l->borrows ? l->borrows : l;
      if (!owner->frozen) return i;
    }
  }
  return m->n;
}

/* Zeroes the gradients of frozen layers' parameters in m->grads and lists
 * in m->spans the arena ranges an update covers (all of it when nothing is
 * frozen). The arena holds parameters in layer order (ae_model_pack). */
static void frozen_spans(ae_model_t *m) {
  float *G = ae_tensor_data(m->grads);
  const float *P0 = ae_tensor_data(m->params);
  size_t total = ae_tensor_numel(m->params), lo = 0;
  int ns = 0;
  for (int i = 0; i < m->n; i++) {
    const ae_layer_t *l = m->layers[i];
    if (!l->frozen) continue;
    for (int j = 0; j < l->nparams; j++) {
      if (!packs(m, i, j)) continue;
      size_t off = (size_t)(ae_tensor_data(l->param[j]) - P0), len = ae_tensor_numel(l->param[j]);
      memset(G + off, 0, len * sizeof(float));
      if (off > lo) {
        m->spans[2 * ns] = lo;
        m->spans[2 * ns + 1] = off;
        ns++;
      }
      lo = off + len > lo ? off + len : lo;
    }
  }
  if (lo < total) {
    m->spans[2 * ns] = lo;
    m->spans[2 * ns + 1] = total;
    ns++;
  }
  m->nspans = ns;
}

/* Rows [lo, hi) of the step's input: x itself, or its corruption into
 * m->noisy when the model has noise (each row from (seed, row)). */
#define NOISE_SALT 0x6e6f697365ull /* noise and Dropout draw from different streams */
static const float *rows_input(ae_model_t *m, const float *x, int lo, int hi, const ae_pass_t *pass) {
  size_t D = ae_shape_numel(&m->shape[0]);
  const float *xin = x + (size_t)lo * D;
  if (m->noise.kind == AE_NOISE_NONE) return xin;
  float *y = m->noisy + (size_t)lo * D;
  ae_noise_apply(&m->noise, y, xin, hi - lo, D, pass->seed ^ NOISE_SALT, pass->row0);
  return y;
}

/* Forward of rows [lo, hi) through the layers that run (all but a Sigmoid
 * fused into BCE), into their slices of the workspaces; returns the output. */
static const float *rows_forward(ae_model_t *m, const float *xin, int lo, int hi, const ae_pass_t *pass) {
  int n = hi - lo, last = loss_from(m);
  const float *cur = xin;
  int timed = pass->thread == 0;
  double t0 = timed ? now() : 0;
  if (timed) m->timed_rows += n;
  for (int i = 0; i < last; i++) {
    if (!fused(m, i - 1, last)) {
      /* a fused ReLU's output is layer i's (same shape) */
      int f = fused(m, i, last);
      float *out = m->act[i + 1 + f] + (size_t)lo * ae_shape_numel(&m->shape[i + 1]);
      ae_pass_t p = *pass;
      p.relu = f;
      m->layers[i]->ops->forward(m->layers[i], out, cur, &m->shape[i], n, &p);
      cur = out;
    }
    if (timed) {
      double t1 = now();
      m->seconds[2 * i] += t1 - t0;
      t0 = t1;
    }
  }
  return cur;
}

/* Loss and backward of rows [lo, hi) of a batch of B rows whose forward
 * has run (y: their output), with the slices of the workspaces that belong
 * to those rows. Parameter gradients accumulate into the arena-shaped block
 * G; the loss is averaged over the whole batch so the thread parts add up. */
static double rows_backward(ae_model_t *m, const float *xin, const float *y, const float *t, float *dx, int lo,
                            int hi, int B, float *G, int want, const ae_pass_t *pass, double *terms) {
  int n = hi - lo, last = loss_from(m); /* layers run in forward */
  const ae_penalty_t *pen = &m->penalty;
  size_t out_row = ae_shape_numel(&m->shape[m->n]);
  /* the ping-pong buffers are sized for the widest layer: this slice starts at lo·widest */
  size_t widest = m->gbuf_row;
  float *dout = m->gbuf[0] + (size_t)lo * widest, *din = m->gbuf[1] + (size_t)lo * widest;
  double l = loss_of(m, dout, y, t + (size_t)lo * target_row(m), n, B, want);
  float *dparam[AE_MAXPARAM];
  int timed = pass->thread == 0;
  double t0 = timed ? now() : 0;
  for (int i = last - 1; i >= m->floor; i--) {
    if (fused(m, i - 1, last)) {
      /* a ReLU layer i − 1 masks for: dout stays its dout (no penalty or term is here) */
      if (timed) {
        double t1 = now();
        m->seconds[2 * i + 1] += t1 - t0;
        t0 = t1;
      }
      continue;
    }
    ae_layer_t *layer = m->layers[i];
    int f = fused(m, i, last);
    ae_pass_t p = *pass;
    p.relu = f;
    const float *in = i == 0 ? xin : m->act[i] + (size_t)lo * ae_shape_numel(&m->shape[i]);
    const float *out = m->act[i + 1 + f] + (size_t)lo * ae_shape_numel(&m->shape[i + 1]);
    float *d = i == 0 ? (dx ? dx + (size_t)lo * ae_shape_numel(&m->shape[0]) : NULL) : din;
    for (int j = 0; j < layer->nparams; j++) dparam[j] = ae_model_grad_slot(m, G, layer->grad[j]);
    /* dout holds the gradient at act[i + 1]: where a penalty may add its own */
    if (pen->ops && i + 1 == pen->at) l += pen->ops->backward(pen, m, m->pen_buf, dout, lo, hi, B, G, pass->thread);
    if (want && layer->ops->loss_term) {
      double term = layer->ops->loss_term(layer, in, out, &m->shape[i], n, pass);
      *terms += term;
      l += term;
    }
    layer->ops->backward(layer, d, dout, in, out, &m->shape[i], n, dparam, &p);
    if (timed) {
      double t1 = now();
      m->seconds[2 * i + 1] += t1 - t0;
      t0 = t1;
    }
    float *tmp = dout;
    dout = din;
    din = tmp;
  }
  /* A lone layer the loss took over runs no backward: the loss gradient is dx. */
  if (last == 0 && dx)
    memcpy(dx + (size_t)lo * out_row, dout, (size_t)n * out_row * sizeof(float));
  return l;
}

/* Extra gradient blocks for threads 1..nt-1, each the arena's length. */
static int reserve_replicas(ae_model_t *m, int nt, ae_error_t *e) {
  size_t P = ae_tensor_numel(m->grads), need = (size_t)(nt - 1) * P;
  if (m->replica_len >= need && (need == 0 || m->replica_param_len == P)) return AE_OK;
  free(m->replicas);
  m->replicas = malloc((need ? need : 1) * sizeof(float));
  m->replica_len = m->replicas ? need : 0;
  m->replica_param_len = P;
  if (!m->replicas) return ae_fail(e, AE_ENOMEM, "model: out of memory for %d gradient copies", nt - 1);
  return AE_OK;
}

/* The noisy-input buffer and the penalty's scratch, once their sizes are known. */
static int reserve_extras(ae_model_t *m, int nt, ae_error_t *e) {
  if (m->noise.kind != AE_NOISE_NONE && !m->noisy) {
    m->noisy = malloc((size_t)m->cap * ae_shape_numel(&m->shape[0]) * sizeof(float) + 1);
    if (!m->noisy) return ae_fail(e, AE_ENOMEM, "model: out of memory for noisy inputs of batch %d", m->cap);
  }
  if (m->penalty.ops && m->penalty.ops->scratch) {
    size_t need = m->penalty.ops->scratch(&m->penalty, m, nt);
    if (need > m->pen_len) {
      free(m->pen_buf);
      m->pen_buf = malloc(need * sizeof(float));
      m->pen_len = m->pen_buf ? need : 0;
      if (!m->pen_buf) return ae_fail(e, AE_ENOMEM, "model: out of memory for the penalty's workspace");
    }
  }
  return AE_OK;
}

/* Rows per thread below which a batch is not worth splitting. */
#define SPLIT_MIN_ROWS 16

/* Forward + loss + backward of one batch into m->grads (zeroed first).
 *
 * With several threads the batch is split by rows into chunks (step_task):
 * each chunk runs the whole chain (its GEMMs single-threaded), accumulating
 * into its own gradient block; the blocks are then summed in a fixed order.
 * Two forks per step instead of one per GEMM and element-wise pass, and
 * each chunk's work is large and contiguous.
 *
 * Noise corrupts each chunk's rows into m->noisy (per-row streams, so the
 * split does not matter). A KL sparsity penalty needs ρ̂, the mean code over
 * the WHOLE batch, before any backward: the chunks' forward runs first, the
 * caller sums the columns in row order, then the backward. Measured at
 * 784-256-784, batch 256, 2 threads: a KL step costs 0.95-0.98× a plain one
 * (scripts/bench-regularize.lua), so the extra fork is kept rather than
 * sending KL models down the single-thread path. */
/* one draw per step, and only for models that need it, so adding noise
 * to one model does not change another's shuffles */
static uint64_t step_seed(ae_model_t *m) {
  int random = m->noise.kind != AE_NOISE_NONE;
  for (int i = 0; i < m->n; i++) random |= m->layers[i]->ops->random;
  return random && m->rng ? ae_rng_u64(m->rng) : 0;
}

void ae_model_skip_draw(ae_model_t *m) { (void)step_seed(m); }

/* A training step on the pool: the batch is cut into nc chunks of rows,
 * fixed by B and nc alone; chunk c accumulates its gradient into block c
 * (G0 for c = 0, a replica otherwise) and the blocks are summed in chunk
 * order, so which thread ran a chunk, or how many threads ran, changes no
 * bit. Threads take the next chunk as they come free. Phase 0 runs forward (and backward unless the penalty needs
 * the whole batch's forward first: then phase 1 runs the backward after the
 * caller prepared it); phase 2 sums the blocks, each thread a share. */
typedef struct {
  ae_model_t *m;
  const float *xd, *td;
  float *dx;
  int B, nc, want, meet, phase;
  uint64_t seed;
  float *G0;
  size_t P;
  const float *xin[AE_MAXTHREADS], *y[AE_MAXTHREADS]; /* a chunk's input and output, between phases 0 and 1 */
  double part[AE_MAXTHREADS], term[AE_MAXTHREADS];
  long hits[AE_MAXTHREADS];
} step_job_t;

static float *chunk_block(step_job_t *J, int c) { return c == 0 ? J->G0 : J->m->replicas + (size_t)(c - 1) * J->P; }

static void step_task(void *ctx, int c, int nc, int thread) {
  step_job_t *J = ctx;
  ae_model_t *m = J->m;
  if (J->phase == 2) {
    /* share c of the parameters: the blocks added in chunk order */
    size_t plo = J->P * (size_t)c / (size_t)nc, phi = J->P * (size_t)(c + 1) / (size_t)nc;
    for (int r = 1; r < nc; r++) {
      const float *R = chunk_block(J, r);
      for (size_t i = plo; i < phi; i++) J->G0[i] += R[i];
    }
    return;
  }
  int lo = (int)((long)J->B * c / nc), hi = (int)((long)J->B * (c + 1) / nc);
  float *G = chunk_block(J, c);
  ae_pass_t pass = {m->row_base + lo, thread, 1, J->seed, J->B, 0};
  if (J->phase == 0) {
    memset(G, 0, J->P * sizeof(float));
    J->xin[c] = rows_input(m, J->xd, lo, hi, &pass);
    J->y[c] = rows_forward(m, J->xin[c], lo, hi, &pass);
    J->hits[c] = takes_labels(m) ? count_correct(m, J->y[c], J->td + lo, hi - lo) : 0;
    J->term[c] = 0;
    if (J->meet) return;
  }
  J->part[c] = rows_backward(m, J->xin[c], J->y[c], J->td, J->dx, lo, hi, J->B, G, J->want, &pass, &J->term[c]);
}

static int forward_backward(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, float *dx,
                            int want_loss, double *loss, ae_error_t *e) {
  if (check_input(m, 0, x, e) || check_target(m, x, target, e)) return e->code;
  if (ae_model_pack(m, e)) return e->code;
  int B = rows_of(x);
  if (ae_model_reserve(m, B, e)) return e->code;
  int nt = ae_threads();
  if (nt > AE_MAXTHREADS) nt = AE_MAXTHREADS;
  if (nt > B / SPLIT_MIN_ROWS) nt = B / SPLIT_MIN_ROWS;
  if (nt < 1) nt = 1;
  float *G0 = ae_tensor_data(m->grads);
  size_t P = ae_tensor_numel(m->grads);
  const float *xd = ae_tensor_data(x), *td = ae_tensor_data(target);
  if (reserve_layers(m, B, nt, e)) return e->code;
  uint64_t seed = step_seed(m);
  if (reserve_extras(m, nt, e)) return e->code;
  const ae_penalty_t *pen = &m->penalty;
  int meet = pen->ops && pen->ops->prepare && pen->ops->needs_batch;
  /* a prepare that needs no forward (the contractive weight norms) runs once, before the split */
  double batch_penalty = pen->ops && pen->ops->prepare && !meet ? pen->ops->prepare(pen, m, m->pen_buf, B) : 0;
  m->terms = 0;
  m->correct = 0;
  m->floor = backward_floor(m, dx != NULL);
  int nc = nt; /* chunks: one per thread, so the sums are those of a static split */
  if (reserve_replicas(m, nc, e)) return e->code;
  step_job_t J = {.m = m, .xd = xd, .td = td, .dx = dx, .B = B, .nc = nc, .want = want_loss, .meet = meet,
                  .seed = seed, .G0 = G0, .P = P};
  ae_parallel(nc, step_task, &J);
  if (meet) {
    /* ρ̂ needs every chunk's forward: KL sums the columns in row order */
    batch_penalty = pen->ops->prepare(pen, m, m->pen_buf, B);
    J.phase = 1;
    ae_parallel(nc, step_task, &J);
  }
  J.phase = 2;
  ae_parallel(nc, step_task, &J);
  double l = batch_penalty;
  for (int c = 0; c < nc; c++) {
    l += J.part[c];
    m->terms += J.term[c];
    m->correct += J.hits[c];
  }
  if (loss) *loss = l;
  frozen_spans(m);
  return AE_OK;
}

int ae_model_trainable_spans(ae_model_t *m, ae_error_t *e) {
  if (ae_model_pack(m, e)) return e->code;
  frozen_spans(m);
  return AE_OK;
}

int ae_model_step(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, ae_optim_t *opt,
                  int want_loss, double *loss, ae_error_t *e) {
  if (forward_backward(m, x, target, NULL, want_loss, loss, e)) return e->code;
  return ae_optim_step_spans(opt, ae_tensor_data(m->params), ae_tensor_data(m->grads), ae_tensor_numel(m->params),
                             m->spans, m->nspans, e);
}

int ae_model_apply_gradients(ae_model_t *m, ae_optim_t *opt, ae_error_t *e) {
  frozen_spans(m); /* again: a rank whose shard was empty ran no gradient() */
  return ae_optim_step_spans(opt, ae_tensor_data(m->params), ae_tensor_data(m->grads), ae_tensor_numel(m->params),
                             m->spans, m->nspans, e);
}

int ae_model_gradient(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, ae_tensor_t *dx,
                      double *loss, ae_error_t *e) {
  if (dx && ae_tensor_numel(dx) != ae_tensor_numel(x))
    return ae_fail_shape(e, "model: input-gradient tensor has %zu values, input %zu", ae_tensor_numel(dx),
                         ae_tensor_numel(x));
  return forward_backward(m, x, target, dx ? ae_tensor_data(dx) : NULL, 1, loss, e);
}

int ae_model_evaluate(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, int chunk, double *loss,
                      ae_error_t *e) {
  if (check_input(m, 0, x, e) || check_target(m, x, target, e)) return e->code;
  int N = rows_of(x);
  if (chunk <= 0) chunk = m->cap > 256 ? m->cap : 256;
  if (ae_model_reserve(m, chunk < N ? chunk : N, e)) return e->code;
  chunk = m->cap;
  size_t in_row = ae_shape_numel(&m->shape[0]);
  int last = loss_from(m);
  double sum = 0;
  for (int r = 0; r < N; r += chunk) {
    int B = N - r < chunk ? N - r : chunk;
    const float *src = ae_tensor_data(x) + (size_t)r * in_row;
    const float *y = last ? run(m, src, 0, last, B) : src;
    sum += loss_of(m, NULL, y, ae_tensor_data(target) + (size_t)r * target_row(m), B, B, 1) * (double)B;
  }
  *loss = N ? sum / (double)N : 0.0;
  return AE_OK;
}

int ae_model_set_noise(ae_model_t *m, const ae_noise_t *noise, ae_error_t *e) {
  if (ae_noise_check(noise, e)) return e->code;
  m->noise = *noise;
  return AE_OK;
}
