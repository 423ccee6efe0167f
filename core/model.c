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
  if (!m->layers || !m->shape || !m->act) {
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
  m->gbuf[0] = m->gbuf[1] = NULL;
  m->cap = 0;
}

void ae_model_free(ae_model_t *m) {
  if (!m) return;
  if (m->act) free_workspace(m);
  ae_tensor_free(m->params);
  ae_tensor_free(m->grads);
  free(m->replicas);
  if (m->layers)
    for (int i = 0; i < m->n; i++)
      if (m->layers[i]) m->layers[i]->users--;
  free(m->layers);
  free(m->shape);
  free(m->act);
  free(m);
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
  for (int i = 0; i < m->n; i++)
    if (m->layers[i]->ops->reserve && m->layers[i]->ops->reserve(m->layers[i], &m->shape[i], B, 1, e))
      return e->code;
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
  return ae_fail(e, AE_ESHAPE, "model: input rows are %s, expected %s", ae_shape_str(&xs, a, sizeof a),
                 ae_shape_str(want, b, sizeof b));
}

static int rows_of(const ae_tensor_t *x) { return x->ndim == 1 ? 1 : x->shape[0]; }

/* Runs layers [from, to) on B rows at in; returns the output buffer. */
static const float *run(ae_model_t *m, const float *in, int from, int to, int B) {
  const float *cur = in;
  for (int i = from; i < to; i++) {
    ae_pass_t pass = {0, 0, 0, 0};
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

/* Forward, loss and backward of rows [lo, hi) of a batch of B rows, with
 * the slices of the workspaces that belong to those rows. Parameter
 * gradients accumulate into the arena-shaped block G; the loss is averaged
 * over the whole batch so the thread parts add up. */
static double rows_forward_backward(ae_model_t *m, const float *x, const float *t, float *dx, int lo, int hi,
                                    int B, float *G, int want, const ae_pass_t *pass) {
  int n = hi - lo, last = fused_bce(m) ? m->n - 1 : m->n; /* layers run in forward */
  const float *xin = x + (size_t)lo * ae_shape_numel(&m->shape[0]);
  const float *cur = xin;
  for (int i = 0; i < last; i++) {
    float *out = m->act[i + 1] + (size_t)lo * ae_shape_numel(&m->shape[i + 1]);
    m->layers[i]->ops->forward(m->layers[i], out, cur, &m->shape[i], n, pass);
    cur = out;
  }
  size_t out_row = ae_shape_numel(&m->shape[m->n]);
  /* the ping-pong buffers are sized for the widest layer: this slice starts at lo·widest */
  size_t widest = m->gbuf_row;
  float *dout = m->gbuf[0] + (size_t)lo * widest, *din = m->gbuf[1] + (size_t)lo * widest;
  double l = loss_of(m, dout, cur, t + (size_t)lo * out_row, (size_t)n * out_row, (double)B * out_row, want);
  float *dparam[AE_MAXPARAM];
  for (int i = last - 1; i >= 0; i--) {
    ae_layer_t *layer = m->layers[i];
    const float *in = i == 0 ? xin : m->act[i] + (size_t)lo * ae_shape_numel(&m->shape[i]);
    const float *out = m->act[i + 1] + (size_t)lo * ae_shape_numel(&m->shape[i + 1]);
    float *d = i == 0 ? (dx ? dx + (size_t)lo * ae_shape_numel(&m->shape[0]) : NULL) : din;
    for (int j = 0; j < layer->nparams; j++) dparam[j] = G + (layer->grad[j]->offset - m->grads->offset);
    layer->ops->backward(layer, d, dout, in, out, &m->shape[i], n, dparam, pass);
    float *tmp = dout;
    dout = din;
    din = tmp;
  }
  /* A lone Sigmoid fused into BCE runs no layer backward: the loss gradient is dx. */
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

/* Rows per thread below which a batch is not worth splitting. */
#define SPLIT_MIN_ROWS 16
#define MAXT 64

/* Forward + loss + backward of one batch into m->grads (zeroed first).
 *
 * With several threads the batch is split by rows: each thread runs the
 * whole chain on its rows (its GEMMs single-threaded), accumulating into its
 * own gradient block; the blocks are then summed in a fixed order. One
 * fork and one barrier per step instead of one per GEMM and element-wise
 * pass, and each thread's work is large and contiguous. */
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
  for (int i = 0; i < m->n; i++)
    if (m->layers[i]->ops->reserve && m->layers[i]->ops->reserve(m->layers[i], &m->shape[i], B, nt, e))
      return e->code;
  /* one draw per step, and only for models that need it, so adding noise
   * to one model does not change another's shuffles */
  uint64_t seed = 0;
  for (int i = 0; i < m->n; i++)
    if (m->layers[i]->ops->random && m->rng) {
      seed = ae_rng_u64(m->rng);
      break;
    }
  if (nt == 1) {
    memset(G0, 0, P * sizeof(float));
    ae_pass_t pass = {0, 0, 1, seed};
    double l = rows_forward_backward(m, xd, td, dx, 0, B, B, G0, want_loss, &pass);
    if (loss) *loss = l;
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
    part[t] = rows_forward_backward(m, xd, td, dx, lo, hi, B, G, want_loss, &pass);
#pragma omp barrier
    /* sum the blocks, each thread over its share of the parameters */
    size_t plo = P * (size_t)t / (size_t)T, phi = P * (size_t)(t + 1) / (size_t)T;
    for (int r = 1; r < T; r++) {
      const float *R = m->replicas + (size_t)(r - 1) * P;
      for (size_t i = plo; i < phi; i++) G0[i] += R[i];
    }
  }
  double l = 0;
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
