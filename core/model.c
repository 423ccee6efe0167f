/* Models: shape inference, the parameter arena, workspaces and the step. */
#include "model.h"

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_thread_num(void) { return 0; }
static int omp_get_num_threads(void) { return 1; }
#endif

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
  m->loss = AE_LOSS_MSE;
  m->layers = calloc((size_t)n, sizeof *m->layers); /* NULL entries are not counted as users */
  m->shape = calloc((size_t)n + 1, sizeof *m->shape);
  m->act = calloc((size_t)n + 1, sizeof *m->act);
  m->seconds = calloc(2 * (size_t)n, sizeof *m->seconds);
  if (!m->layers || !m->shape || !m->act || !m->seconds) {
    ae_model_free(m);
    return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  }
  memcpy(m->layers, layers, (size_t)n * sizeof *layers);
  for (int i = 0; i < n; i++) layers[i]->users++;
  if (input) {
    m->shape[0] = *input;
  } else {
    int i = 0;
    while (i < n && layers[i]->in_features == 0) i++;
    if (i == n) {
      ae_model_free(m);
      return ae_fail(e, AE_EARG, "model: cannot tell the input size (no Dense layer); give it explicitly"), NULL;
    }
    m->shape[0].nd = 1;
    m->shape[0].d[0] = layers[i]->in_features;
  }
  for (int i = 0; i < n; i++) {
    if (layers[i]->ops->infer(layers[i], &m->shape[i], &m->shape[i + 1], e)) {
      char tmp[sizeof e->msg + 32];
      snprintf(tmp, sizeof tmp, "layer %d, %s", i + 1, e->msg);
      ae_fail(e, AE_ESHAPE, "%s", tmp);
      ae_model_free(m);
      return NULL;
    }
  }
  for (int i = 0; i < n; i++) {
    int found = !layers[i]->tie;
    for (int k = 0; k < i && !found; k++) found = layers[k] == layers[i]->tie;
    if (!found) {
      char a[64], b[64];
      ae_fail(e, AE_EARG, "model: layer %d, %s, shares the weight of %s, which is not among layers 1..%d", i + 1,
              ae_layer_name(layers[i], a, sizeof a), ae_layer_name(layers[i]->tie, b, sizeof b), i);
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
  if (m->layers)
    for (int i = 0; i < m->n; i++)
      if (m->layers[i]) m->layers[i]->users--;
  free(m->layers);
  free(m->shape);
  free(m->act);
  free(m->seconds);
  free(m);
}

void ae_model_reset_seconds(ae_model_t *m) { memset(m->seconds, 0, 2 * (size_t)m->n * sizeof *m->seconds); }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t ae_model_param_count(const ae_model_t *m) { return m->params ? ae_tensor_numel(m->params) : 0; }

static int is_packed(const ae_model_t *m) {
  if (!m->params) return 0;
  for (int i = 0; i < m->n; i++)
    for (int j = 0; j < m->layers[i]->nparams; j++)
      if (m->layers[i]->param[j]->storage != m->params->storage) return 0;
  return 1;
}

int ae_model_pack(ae_model_t *m, ae_error_t *e) {
  if (is_packed(m)) return AE_OK;
  size_t total = 0;
  for (int i = 0; i < m->n; i++) total += ae_layer_param_count(m->layers[i]);
  int shape[1] = {(int)total};
  ae_tensor_t *P = ae_tensor_new(1, shape, e), *G = ae_tensor_new(1, shape, e);
  if (!P || !G) {
    ae_tensor_free(P);
    ae_tensor_free(G);
    return e->code;
  }
  size_t off = 0;
  for (int i = 0; i < m->n; i++) {
    ae_layer_t *l = m->layers[i];
    for (int j = 0; j < l->nparams; j++) {
      ae_tensor_t *p = l->param[j];
      if (p->storage == P->storage) continue; /* the same layer twice: shared */
      if (l->tie && j == 0) continue;         /* a tied weight: its Dense's slot, synced below */
      size_t k = ae_tensor_numel(p);
      ae_tensor_t *pv = ae_tensor_view(P, off, p->ndim, p->shape, e);
      ae_tensor_t *gv = ae_tensor_view(G, off, p->ndim, p->shape, e);
      if (!pv || !gv) {
        /* Layers already moved keep valid views: their storage lives on. */
        ae_tensor_free(pv);
        ae_tensor_free(gv);
        ae_tensor_free(P);
        ae_tensor_free(G);
        return e->code;
      }
      memcpy(ae_tensor_data(pv), ae_tensor_data(p), k * sizeof(float));
      ae_tensor_free(l->param[j]);
      ae_tensor_free(l->grad[j]);
      l->param[j] = pv;
      l->grad[j] = gv;
      off += k;
    }
  }
  for (int i = 0; i < m->n; i++) ae_dense_tied_sync(m->layers[i]);
  ae_tensor_free(m->params);
  ae_tensor_free(m->grads);
  /* Trim: shared layers make the used part shorter than the sum. */
  int used[1] = {(int)off};
  m->params = ae_tensor_view(P, 0, 1, used, e);
  m->grads = ae_tensor_view(G, 0, 1, used, e);
  ae_tensor_free(P);
  ae_tensor_free(G);
  return (m->params && m->grads) ? AE_OK : e->code;
}

/* Every layer's workspaces, for B rows over nt threads (cheap when they
 * are big enough already: a training step calls it each time). */
static int reserve_layers(ae_model_t *m, int B, int nt, ae_error_t *e) {
  for (int i = 0; i < m->n; i++)
    if (ae_layer_reserve(m->layers[i], &m->shape[i], B, nt, e)) return e->code;
  return AE_OK;
}

int ae_model_reserve(ae_model_t *m, int B, ae_error_t *e) {
  if (B <= m->cap) return AE_OK;
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
  m->cap = B;
  return reserve_layers(m, B, 1, e);
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
  return ae_fail(e, AE_ESHAPE, "model: input rows are %s, expected %s", ae_shape_str(&xs, a, sizeof a),
                 ae_shape_str(want, b, sizeof b));
}

static int rows_of(const ae_tensor_t *x) { return x->ndim == 1 ? 1 : x->shape[0]; }

/* Runs layers [from, to) on B rows at in; returns the output buffer. */
static const float *run(ae_model_t *m, const float *in, int from, int to, int B) {
  const float *cur = in;
  for (int i = from; i < to; i++) {
    /* steps always train; a forward evaluates unless training() was asked for */
    int train = m->training && m->layers[i]->ops->random;
    ae_pass_t pass = {0, 0, train, train && m->rng ? ae_rng_u64(m->rng) : 0};
    m->layers[i]->ops->forward(m->layers[i], m->act[i + 1], cur, &m->shape[i], B, &pass);
    cur = m->act[i + 1];
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
    return ae_fail(e, AE_ESHAPE, "model: output tensor holds %zu values, expected %d×%zu", ae_tensor_numel(out), N,
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

/* A model ending in Sigmoid trained with BCE takes the loss on the logits. */
static int fused_bce(const ae_model_t *m) {
  return m->loss == AE_LOSS_BCE && ae_layer_is_act(m->layers[m->n - 1], AE_ACT_SIGMOID);
}

/* Loss of n outputs y (the logits when fused) against t, averaged over norm
 * elements; dy may be NULL. */
static double loss_of(const ae_model_t *m, float *dy, const float *y, const float *t, size_t n, double norm,
                      int want) {
  if (fused_bce(m)) return ae_loss_bce_logits(dy, y, t, n, norm, want);
  if (m->loss == AE_LOSS_BCE) return ae_loss_bce(dy, y, t, n, norm, want);
  return ae_loss_mse(dy, y, t, n, norm, want);
}

static int check_target(const ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *t, ae_error_t *e) {
  size_t out_row = ae_shape_numel(&m->shape[m->n]);
  if (rows_of(t) != rows_of(x) || ae_tensor_numel(t) != (size_t)rows_of(t) * out_row) {
    char a[64], b[64];
    return ae_fail(e, AE_ESHAPE, "model: target is %s, expected %d rows of %zu values (the output %s)",
                   ae_tensor_shape_str(t, a, sizeof a), rows_of(x), out_row, ae_shape_str(&m->shape[m->n], b, sizeof b));
  }
  return AE_OK;
}

/* Rows [lo, hi) of the step's input: x itself, or its corruption into
 * m->noisy when the model has noise (each row from (seed, row)). */
#define NOISE_SALT 0x6e6f697365ull /* noise and Dropout draw from different streams */
static const float *rows_input(ae_model_t *m, const float *x, int lo, int hi, const ae_pass_t *pass) {
  size_t D = ae_shape_numel(&m->shape[0]);
  const float *xin = x + (size_t)lo * D;
  if (m->noise.kind == AE_NOISE_NONE) return xin;
  float *y = m->noisy + (size_t)lo * D;
  ae_noise_apply(&m->noise, y, xin, hi - lo, D, pass->seed ^ NOISE_SALT, lo);
  return y;
}

/* Forward of rows [lo, hi) through the layers that run (all but a Sigmoid
 * fused into BCE), into their slices of the workspaces; returns the output. */
static const float *rows_forward(ae_model_t *m, const float *xin, int lo, int hi, const ae_pass_t *pass) {
  int n = hi - lo, last = fused_bce(m) ? m->n - 1 : m->n;
  const float *cur = xin;
  int timed = pass->thread == 0;
  double t0 = timed ? now() : 0;
  for (int i = 0; i < last; i++) {
    float *out = m->act[i + 1] + (size_t)lo * ae_shape_numel(&m->shape[i + 1]);
    m->layers[i]->ops->forward(m->layers[i], out, cur, &m->shape[i], n, pass);
    cur = out;
    if (timed) {
      double t1 = now();
      m->seconds[2 * i] += t1 - t0;
      t0 = t1;
    }
  }
  return cur;
}

/* The penalty's part at the activations of layer P for rows [lo, hi):
 * adds to da, the gradient at those activations (L1 and KL). */
static double activity_penalty(ae_model_t *m, float *da, int lo, int hi, int B) {
  int P = m->penalty.layer, H = (int)ae_shape_numel(&m->shape[P]);
  const float *a = m->act[P] + (size_t)lo * H;
  if (m->penalty.kind == AE_PENALTY_L1) return ae_penalty_l1(da, a, hi - lo, H, B, m->penalty.lambda);
  if (m->penalty.kind == AE_PENALTY_KL) ae_penalty_kl_backward(da, m->pen_buf, hi - lo, H);
  return 0; /* KL's value is the batch's, added once by prepare_penalty */
}

/* Contractive part for rows [lo, hi): dz is the gradient at the Dense's
 * output (layer P-1), dW the Dense's weight gradient in this thread's block. */
static double contractive_penalty(ae_model_t *m, float *dz, float *dW, int lo, int hi, int B, int thread) {
  int P = m->penalty.layer, H = (int)ae_shape_numel(&m->shape[P]);
  const ae_layer_t *dense = m->layers[P - 2], *act = m->layers[P - 1];
  return ae_penalty_contractive(dz, dW, m->pen_buf + (size_t)(1 + thread) * H, m->act[P - 1] + (size_t)lo * H,
                                m->act[P] + (size_t)lo * H, ae_tensor_data(dense->param[0]), m->pen_buf, hi - lo, H,
                                dense->in_features, B, act->act, act->slope, m->penalty.lambda);
}

/* What the penalty needs from the whole batch before any backward: KL's ρ̂
 * (from every row's forward), the contractive weight-row norms. Returns the
 * batch-level part of the penalty. */
static double prepare_penalty(ae_model_t *m, int B) {
  int P = m->penalty.layer, H = P ? (int)ae_shape_numel(&m->shape[P]) : 0;
  if (m->penalty.kind == AE_PENALTY_KL)
    return ae_penalty_kl_prepare(m->pen_buf, NULL, m->act[P], B, H, m->penalty.rho, m->penalty.lambda);
  if (m->penalty.kind == AE_PENALTY_CONTRACTIVE)
    ae_penalty_contractive_norms(m->pen_buf, ae_tensor_data(m->layers[P - 2]->param[0]), H,
                                 m->layers[P - 2]->in_features);
  return 0;
}

/* Loss and backward of rows [lo, hi) of a batch of B rows whose forward
 * has run (y: their output), with the slices of the workspaces that belong
 * to those rows. Parameter gradients accumulate into the arena-shaped block
 * G; the loss is averaged over the whole batch so the thread parts add up. */
static double rows_backward(ae_model_t *m, const float *xin, const float *y, const float *t, float *dx, int lo,
                            int hi, int B, float *G, int want, const ae_pass_t *pass) {
  int n = hi - lo, last = fused_bce(m) ? m->n - 1 : m->n; /* layers run in forward */
  int P = m->penalty.kind != AE_PENALTY_NONE ? m->penalty.layer : -1;
  size_t out_row = ae_shape_numel(&m->shape[m->n]);
  /* the ping-pong buffers are sized for the widest layer: this slice starts at lo·widest */
  size_t widest = m->gbuf_row;
  float *dout = m->gbuf[0] + (size_t)lo * widest, *din = m->gbuf[1] + (size_t)lo * widest;
  double l = loss_of(m, dout, y, t + (size_t)lo * out_row, (size_t)n * out_row, (double)B * out_row, want);
  float *dparam[AE_MAXPARAM];
  int timed = pass->thread == 0;
  double t0 = timed ? now() : 0;
  for (int i = last - 1; i >= 0; i--) {
    ae_layer_t *layer = m->layers[i];
    const float *in = i == 0 ? xin : m->act[i] + (size_t)lo * ae_shape_numel(&m->shape[i]);
    const float *out = m->act[i + 1] + (size_t)lo * ae_shape_numel(&m->shape[i + 1]);
    float *d = i == 0 ? (dx ? dx + (size_t)lo * ae_shape_numel(&m->shape[0]) : NULL) : din;
    for (int j = 0; j < layer->nparams; j++) dparam[j] = G + (layer->grad[j]->offset - m->grads->offset);
    if (i + 1 == P && m->penalty.kind != AE_PENALTY_CONTRACTIVE) l += activity_penalty(m, dout, lo, hi, B);
    layer->ops->backward(layer, d, dout, in, out, &m->shape[i], n, dparam, pass);
    if (timed) {
      double t1 = now();
      m->seconds[2 * i + 1] += t1 - t0;
      t0 = t1;
    }
    float *tmp = dout;
    dout = din;
    din = tmp;
    if (i + 1 == P && m->penalty.kind == AE_PENALTY_CONTRACTIVE) {
      const ae_layer_t *dense = m->layers[i - 1];
      l += contractive_penalty(m, dout, G + (dense->grad[0]->offset - m->grads->offset), lo, hi, B, pass->thread);
    }
  }
  /* A lone Sigmoid fused into BCE runs no layer backward: the loss gradient is dx. */
  if (last == 0 && dx)
    memcpy(dx + (size_t)lo * out_row, dout, (size_t)n * out_row * sizeof(float));
  return l;
}

/* One thread's part of a step: its rows' input, forward and backward into
 * G. With KL, ρ̂ needs every row's forward: the threads meet at one more
 * barrier and one of them sums the columns in row order (the same result
 * for any split). Outside a parallel region (one thread) the barrier and
 * single bind to that thread alone. */
static double thread_rows(ae_model_t *m, const float *xd, const float *td, float *dx, int lo, int hi, int B,
                          float *G, int want, const ae_pass_t *pass, int kl, double *batch_penalty) {
  const float *xin = rows_input(m, xd, lo, hi, pass);
  const float *y = rows_forward(m, xin, lo, hi, pass);
  if (kl) {
#pragma omp barrier
#pragma omp single
    *batch_penalty = prepare_penalty(m, B);
  }
  return rows_backward(m, xin, y, td, dx, lo, hi, B, G, want, pass);
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
  if (m->penalty.kind != AE_PENALTY_NONE) {
    size_t need = (size_t)(1 + nt) * ae_shape_numel(&m->shape[m->penalty.layer]);
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
#define MAXT 64

/* Forward + loss + backward of one batch into m->grads (zeroed first).
 *
 * With several threads the batch is split by rows: each thread runs the
 * whole chain on its rows (its GEMMs single-threaded), accumulating into its
 * own gradient block; the blocks are then summed in a fixed order. One
 * fork and one barrier per step instead of one per GEMM and element-wise
 * pass, and each thread's work is large and contiguous.
 *
 * Noise corrupts each thread's rows into m->noisy (per-row streams, so the
 * split does not matter). A KL sparsity penalty needs ρ̂, the mean code over
 * the WHOLE batch, before any backward: the threads meet at one extra
 * barrier after their forward and one of them sums the columns in row
 * order. Measured at 784-256-784, batch 256, 2 threads: a KL step costs
 * 0.95-0.98× a plain one (scripts/bench-regularize.lua), so the barrier is
 * kept rather than sending KL models down the single-thread path. */
static int forward_backward(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, float *dx,
                            int want_loss, double *loss, ae_error_t *e) {
  if (check_input(m, 0, x, e) || check_target(m, x, target, e)) return e->code;
  if (ae_model_pack(m, e)) return e->code;
  int B = rows_of(x);
  if (ae_model_reserve(m, B, e)) return e->code;
  int nt = ae_threads();
  if (nt > MAXT) nt = MAXT;
  if (nt > B / SPLIT_MIN_ROWS) nt = B / SPLIT_MIN_ROWS;
  if (nt < 1) nt = 1;
  float *G0 = ae_tensor_data(m->grads);
  size_t P = ae_tensor_numel(m->grads);
  const float *xd = ae_tensor_data(x), *td = ae_tensor_data(target);
  if (reserve_layers(m, B, nt, e)) return e->code;
  /* one draw per step, and only for models that need it, so adding noise
   * to one model does not change another's shuffles */
  uint64_t seed = 0;
  int random = m->noise.kind != AE_NOISE_NONE;
  for (int i = 0; i < m->n; i++) random |= m->layers[i]->ops->random;
  if (random && m->rng) seed = ae_rng_u64(m->rng);
  if (reserve_extras(m, nt, e)) return e->code;
  int kl = m->penalty.kind == AE_PENALTY_KL;
  /* the contractive weight norms need no forward: computed once, before the split */
  double batch_penalty = kl ? 0 : prepare_penalty(m, B);
  if (nt == 1) {
    memset(G0, 0, P * sizeof(float));
    ae_pass_t pass = {0, 0, 1, seed};
    double l = thread_rows(m, xd, td, dx, 0, B, B, G0, want_loss, &pass, kl, &batch_penalty);
    if (loss) *loss = l + batch_penalty;
    return AE_OK;
  }
  if (reserve_replicas(m, nt, e)) return e->code;
  double part[MAXT];
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int lo = (int)((long)B * t / T), hi = (int)((long)B * (t + 1) / T);
    float *G = t == 0 ? G0 : m->replicas + (size_t)(t - 1) * P;
    memset(G, 0, P * sizeof(float));
    ae_pass_t pass = {lo, t, 1, seed};
    part[t] = thread_rows(m, xd, td, dx, lo, hi, B, G, want_loss, &pass, kl, &batch_penalty);
#pragma omp barrier
    /* sum the blocks, each thread over its share of the parameters */
    size_t plo = P * (size_t)t / (size_t)T, phi = P * (size_t)(t + 1) / (size_t)T;
    for (int r = 1; r < T; r++) {
      const float *R = m->replicas + (size_t)(r - 1) * P;
      for (size_t i = plo; i < phi; i++) G0[i] += R[i];
    }
  }
  double l = batch_penalty;
  for (int t = 0; t < nt; t++) l += part[t];
  if (loss) *loss = l;
  return AE_OK;
}

int ae_model_step(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, ae_optim_t *opt,
                  int want_loss, double *loss, ae_error_t *e) {
  if (forward_backward(m, x, target, NULL, want_loss, loss, e)) return e->code;
  return ae_optim_step(opt, ae_tensor_data(m->params), ae_tensor_data(m->grads), ae_tensor_numel(m->params), e);
}

int ae_model_gradient(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, ae_tensor_t *dx,
                      double *loss, ae_error_t *e) {
  if (dx && ae_tensor_numel(dx) != ae_tensor_numel(x))
    return ae_fail(e, AE_ESHAPE, "model: input-gradient tensor has %zu values, input %zu", ae_tensor_numel(dx),
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
  size_t in_row = ae_shape_numel(&m->shape[0]), out_row = ae_shape_numel(&m->shape[m->n]);
  int last = fused_bce(m) ? m->n - 1 : m->n;
  double sum = 0;
  for (int r = 0; r < N; r += chunk) {
    int B = N - r < chunk ? N - r : chunk;
    const float *src = ae_tensor_data(x) + (size_t)r * in_row;
    const float *y = last ? run(m, src, 0, last, B) : src;
    size_t n = (size_t)B * out_row;
    sum += loss_of(m, NULL, y, ae_tensor_data(target) + (size_t)r * out_row, n, (double)n, 1) * (double)n;
  }
  *loss = N ? sum / ((double)N * out_row) : 0.0;
  return AE_OK;
}

int ae_model_set_noise(ae_model_t *m, const ae_noise_t *noise, ae_error_t *e) {
  if (ae_noise_check(noise, e)) return e->code;
  m->noise = *noise;
  return AE_OK;
}

static int is_elementwise(const ae_layer_t *l) {
  return ae_layer_is_act(l, AE_ACT_SIGMOID) || ae_layer_is_act(l, AE_ACT_TANH) || ae_layer_is_act(l, AE_ACT_RELU) ||
         ae_layer_is_act(l, AE_ACT_LEAKY_RELU) || ae_layer_is_act(l, AE_ACT_IDENTITY);
}

int ae_model_set_penalty(ae_model_t *m, const ae_penalty_t *p, ae_error_t *e) {
  char name[96], a[64], b[64];
  ae_penalty_name(p, name, sizeof name);
  if (p->kind == AE_PENALTY_NONE) {
    m->penalty = *p;
    return AE_OK;
  }
  if (p->kind < AE_PENALTY_NONE || p->kind > AE_PENALTY_CONTRACTIVE)
    return ae_fail(e, AE_EARG, "penalty: unknown kind %d", p->kind);
  ae_penalty_t q = *p;
  if (q.layer == 0) {
    if (m->code >= m->n)
      return ae_fail(e, AE_EARG, "penalty %s: the model has no code (not an autoencoder); give layer = 1..%d", name,
                     m->n - 1);
    q.layer = m->code;
  }
  if (q.layer < 1 || q.layer > m->n - 1)
    return ae_fail(e, AE_EARG, "penalty %s: layer %d outside 1..%d (the output is not penalized)", name, q.layer,
                   m->n - 1);
  if (!(q.lambda >= 0.0f)) return ae_fail(e, AE_EARG, "penalty %s: the weight must be ≥ 0", name);
  const ae_layer_t *at = m->layers[q.layer - 1];
  if (q.kind == AE_PENALTY_KL) {
    if (!(q.rho > 0.0f && q.rho < 1.0f)) return ae_fail(e, AE_EARG, "penalty %s: rho must be in (0, 1)", name);
    if (!ae_layer_is_act(at, AE_ACT_SIGMOID))
      return ae_fail(e, AE_EARG, "penalty %s: layer %d is %s; KL sparsity needs activations in (0, 1), a Sigmoid",
                     name, q.layer, ae_layer_name(at, a, sizeof a));
  }
  if (q.kind == AE_PENALTY_CONTRACTIVE) {
    if (q.layer < 2 || strcmp(m->layers[q.layer - 2]->ops->kind, "Dense") != 0 || !is_elementwise(at))
      return ae_fail(e, AE_EARG,
                     "penalty %s: layer %d must be an element-wise activation after a Dense (got %s after %s)", name,
                     q.layer, ae_layer_name(at, a, sizeof a),
                     q.layer >= 2 ? ae_layer_name(m->layers[q.layer - 2], b, sizeof b) : "the input");
  }
  m->penalty = q;
  return AE_OK;
}
