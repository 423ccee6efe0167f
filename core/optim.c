/* Step optimizers over one flat array: SGD (momentum, Nesterov), Adam,
 * RMSprop and Adadelta,
 * each one loop over the model's arena with its moments beside it (see
 * optim.h for the update rules and when the state starts over). */
#include "optim.h"
#include "vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static ae_optim_t *optim_new(int kind, float lr, ae_error_t *e) {
  if (!(lr > 0.0f)) return ae_fail(e, AE_EARG, "optimizer: learning rate must be positive, got %g", (double)lr), NULL;
  ae_optim_t *o = calloc(1, sizeof *o);
  if (!o) return ae_fail(e, AE_ENOMEM, "out of memory"), NULL;
  o->kind = kind;
  o->lr = lr;
  return o;
}

ae_optim_t *ae_optim_sgd_new(float lr, float momentum, int nesterov, float weight_decay, ae_error_t *e) {
  if (momentum < 0.0f || momentum >= 1.0f)
    return ae_fail(e, AE_EARG, "SGD: momentum must be in [0, 1), got %g", (double)momentum), NULL;
  if (nesterov && momentum == 0.0f) return ae_fail(e, AE_EARG, "SGD: Nesterov needs a momentum > 0"), NULL;
  ae_optim_t *o = optim_new(AE_OPTIM_SGD, lr, e);
  if (!o) return NULL;
  o->momentum = momentum;
  o->nesterov = nesterov;
  o->weight_decay = weight_decay;
  return o;
}

ae_optim_t *ae_optim_adam_new(float lr, float beta1, float beta2, float eps, float weight_decay,
                              ae_error_t *e) {
  if (beta1 < 0.0f || beta1 >= 1.0f || beta2 < 0.0f || beta2 >= 1.0f)
    return ae_fail(e, AE_EARG, "Adam: betas must be in [0, 1), got %g and %g", (double)beta1, (double)beta2), NULL;
  if (!(eps > 0.0f)) return ae_fail(e, AE_EARG, "Adam: eps must be positive, got %g", (double)eps), NULL;
  ae_optim_t *o = optim_new(AE_OPTIM_ADAM, lr, e);
  if (!o) return NULL;
  o->beta1 = beta1;
  o->beta2 = beta2;
  o->eps = eps;
  o->weight_decay = weight_decay;
  return o;
}

static ae_optim_t *rho_new(int kind, const char *name, float lr, float rho, float eps, float weight_decay,
                           ae_error_t *e) {
  if (!(rho >= 0.0f && rho < 1.0f)) return ae_fail(e, AE_EARG, "%s: rho must be in [0, 1), got %g", name, (double)rho), NULL;
  if (!(eps > 0.0f)) return ae_fail(e, AE_EARG, "%s: eps must be positive, got %g", name, (double)eps), NULL;
  ae_optim_t *o = optim_new(kind, lr, e);
  if (!o) return NULL;
  o->rho = rho;
  o->eps = eps;
  o->weight_decay = weight_decay;
  return o;
}

ae_optim_t *ae_optim_rmsprop_new(float lr, float rho, float eps, float weight_decay, ae_error_t *e) {
  return rho_new(AE_OPTIM_RMSPROP, "RMSprop", lr, rho, eps, weight_decay, e);
}

ae_optim_t *ae_optim_adadelta_new(float lr, float rho, float eps, float weight_decay, ae_error_t *e) {
  return rho_new(AE_OPTIM_ADADELTA, "Adadelta", lr, rho, eps, weight_decay, e);
}

const char *ae_optim_name(const ae_optim_t *o) {
  switch (o->kind) {
  case AE_OPTIM_ADAM: return "Adam";
  case AE_OPTIM_RMSPROP: return "RMSprop";
  case AE_OPTIM_ADADELTA: return "Adadelta";
  default: return "SGD";
  }
}

int ae_optim_moments(const ae_optim_t *o) {
  switch (o->kind) {
  case AE_OPTIM_ADAM:
  case AE_OPTIM_ADADELTA: return 2;
  case AE_OPTIM_RMSPROP: return 1;
  default: return o->momentum > 0.0f;
  }
}

/* Keras' updates, in float as Keras runs them; weight decay as SGD's and Adam's (added to g). */
/* Values [a, a + n) of the arena: w, g and the state from a. */
static void rmsprop_step(const ae_optim_t *o, float *w, const float *g, size_t a, size_t n) {
  float rho = o->rho, lr = o->lr, eps = o->eps, wd = o->weight_decay;
  float *v = o->m + a;
  w += a;
  g += a;
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] + wd * w[i];
    v[i] = rho * v[i] + (1.0f - rho) * gi * gi;
    w[i] -= lr * gi / (sqrtf(v[i]) + eps);
  }
}

static void adadelta_step(const ae_optim_t *o, float *w, const float *g, size_t at, size_t n) {
  float rho = o->rho, lr = o->lr, eps = o->eps, wd = o->weight_decay;
  float *a = o->m + at, *d = o->v + at;
  w += at;
  g += at;
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] + wd * w[i];
    a[i] = rho * a[i] + (1.0f - rho) * gi * gi;
    float delta = sqrtf(d[i] + eps) / sqrtf(a[i] + eps) * gi;
    d[i] = rho * d[i] + (1.0f - rho) * delta * delta;
    w[i] -= lr * delta;
  }
}

void ae_optim_free(ae_optim_t *o) {
  if (!o) return;
  free(o->m);
  free(o->v);
  free(o->seg_lo);
  free(o->seg_t);
  free(o);
}

/* One segment over everything, t updates taken (none set up without room). */
static void segments_one(ae_optim_t *o, long t) {
  o->nseg = o->segcap >= 1 ? 1 : 0;
  if (o->nseg) {
    o->seg_lo[0] = 0;
    o->seg_t[0] = t;
  }
}

/* Room for k segments (and seg_lo's end); 0 or an error. Never shrinks,
 * and a failure leaves every segment as it was. */
static int segments_reserve(ae_optim_t *o, int k, ae_error_t *e) {
  if (k <= o->segcap) return AE_OK;
  int cap = k < 2 * o->segcap ? 2 * o->segcap : k;
  size_t *lo = realloc(o->seg_lo, (size_t)(cap + 1) * sizeof *lo);
  if (lo) o->seg_lo = lo;
  long *t = lo ? realloc(o->seg_t, (size_t)(cap + 1) * sizeof *t) : NULL;
  if (t) o->seg_t = t;
  if (!lo || !t) return ae_fail(e, AE_ENOMEM, "optimizer: out of memory for its step counts");
  o->segcap = cap;
  return AE_OK;
}

/* A segment boundary at x (0 < x < n), splitting the segment around it. */
static int segments_cut(ae_optim_t *o, size_t x, ae_error_t *e) {
  if (x == 0 || x >= o->n) return AE_OK;
  int s = o->nseg - 1;
  while (o->seg_lo[s] > x) s--;
  if (o->seg_lo[s] == x) return AE_OK;
  if (segments_reserve(o, o->nseg + 1, e)) return e->code;
  memmove(o->seg_lo + s + 2, o->seg_lo + s + 1, (size_t)(o->nseg - s - 1) * sizeof *o->seg_lo);
  memmove(o->seg_t + s + 2, o->seg_t + s + 1, (size_t)(o->nseg - s - 1) * sizeof *o->seg_t);
  o->seg_lo[s + 1] = x;
  o->seg_t[s + 1] = o->seg_t[s];
  o->nseg++;
  return AE_OK;
}

static void segments_merge(ae_optim_t *o) {
  int k = 0;
  for (int s = 1; s < o->nseg; s++) {
    if (o->seg_t[s] == o->seg_t[k]) continue;
    k++;
    o->seg_lo[k] = o->seg_lo[s];
    o->seg_t[k] = o->seg_t[s];
  }
  o->nseg = o->nseg ? k + 1 : 0;
}

void ae_optim_reset(ae_optim_t *o) {
  o->t = 0;
  segments_one(o, 0);
  if (o->m) memset(o->m, 0, o->n * sizeof(float));
  if (o->v) memset(o->v, 0, o->n * sizeof(float));
}

int ae_optim_set_state(ae_optim_t *o, const float *owner, size_t n, long t, const float *m, const float *v,
                       ae_error_t *e) {
  int need_m = ae_optim_moments(o) >= 1, need_v = ae_optim_moments(o) == 2;
  const char *name = ae_optim_name(o);
  if (t < 0) return ae_fail(e, AE_EARG, "%s: a saved state of %ld steps", name, t);
  if (need_m != (m != NULL) || need_v != (v != NULL))
    return ae_fail(e, AE_EARG, "%s: the saved state has %s, this optimizer keeps %s: resume with the settings "
                   "that wrote it (SGD's momentum > 0 keeps one moment, 0 none)", name,
                   v ? "two moments" : m ? "one moment" : "no moments", need_v ? "two" : need_m ? "one" : "none");
  float *nm = need_m ? malloc((n ? n : 1) * sizeof(float)) : NULL, *nv = need_v ? malloc((n ? n : 1) * sizeof(float)) : NULL;
  if ((need_m && !nm) || (need_v && !nv) || segments_reserve(o, 1, e)) {
    free(nm);
    free(nv);
    return ae_fail(e, AE_ENOMEM, "%s: out of memory for the state of %zu parameters", name, n);
  }
  if (nm) memcpy(nm, m, n * sizeof(float));
  if (nv) memcpy(nv, v, n * sizeof(float));
  free(o->m);
  free(o->v);
  o->m = nm;
  o->v = nv;
  o->n = n;
  o->owner = owner;
  o->t = t;
  segments_one(o, t);
  return AE_OK;
}

int ae_optim_set_counts(ae_optim_t *o, int nseg, const size_t *lo, const long *t, ae_error_t *e) {
  if (nseg < 1) return ae_fail(e, AE_EARG, "optimizer: a saved state with no step counts");
  for (int s = 0; s < nseg; s++) {
    int ok = t[s] >= 0 && (s == 0 ? lo[0] == 0 : lo[s] > lo[s - 1] && lo[s] < o->n);
    if (!ok)
      return ae_fail(e, AE_EARG, "optimizer: saved step count %d (from value %zu, %ld steps) does not fit a state "
                     "of %zu values", s + 1, lo[s], t[s], o->n);
  }
  if (segments_reserve(o, nseg, e)) return e->code;
  memcpy(o->seg_lo, lo, (size_t)nseg * sizeof *lo);
  memcpy(o->seg_t, t, (size_t)nseg * sizeof *t);
  o->nseg = nseg;
  o->seg_lo[nseg] = o->n;
  return AE_OK;
}

int ae_optim_step(ae_optim_t *o, float *w, const float *g, size_t n, ae_error_t *e) {
  size_t all[2] = {0, n};
  return ae_optim_step_spans(o, w, g, n, all, 1, e);
}

/* The state covers the whole arena whatever the spans, so freezing and
 * unfreezing a layer between steps keeps every moment where it was, and
 * each segment's own update count (optim.h) its bias correction. */
int ae_optim_step_spans(ae_optim_t *o, float *w, const float *g, size_t n, const size_t *spans, int nspans,
                        ae_error_t *e) {
  int need_m = ae_optim_moments(o) >= 1, need_v = ae_optim_moments(o) == 2;
  if (o->n != n || o->owner != w || (need_m && !o->m)) {
    free(o->m);
    free(o->v);
    o->m = need_m ? calloc(n ? n : 1, sizeof(float)) : NULL;
    o->v = need_v ? calloc(n ? n : 1, sizeof(float)) : NULL;
    if ((need_m && !o->m) || (need_v && !o->v)) {
      o->n = 0;
      return ae_fail(e, AE_ENOMEM, "optimizer: out of memory for %zu parameters", n);
    }
    o->n = n;
    o->owner = w;
    o->t = 0;
    o->nseg = 0; /* the old arena's segments mean nothing here */
  }
  if (o->nseg == 0) { /* one segment of t updates: a new state, or one whose set-up failed */
    if (segments_reserve(o, 1, e)) return e->code;
    segments_one(o, o->t);
  }
  for (int s = 0; s < nspans; s++)
    if (segments_cut(o, spans[2 * s], e) || segments_cut(o, spans[2 * s + 1], e)) return e->code;
  o->seg_lo[o->nseg] = n;
  o->t++;
  /* every segment inside a span takes its own step: segments never straddle a span's ends */
  int g0 = 0;
  for (int s = 0; s < nspans; s++) {
    size_t lo = spans[2 * s], hi = spans[2 * s + 1];
    while (g0 < o->nseg && o->seg_lo[g0 + 1] <= lo) g0++;
    for (int q = g0; q < o->nseg && o->seg_lo[q] < hi; q++) {
      size_t a = o->seg_lo[q], k = o->seg_lo[q + 1] - a;
      long t = ++o->seg_t[q];
      if (o->kind == AE_OPTIM_ADAM) {
        float bc1 = 1.0f - powf(o->beta1, (float)t), bc2 = 1.0f - powf(o->beta2, (float)t);
        ae_v_adam(w + a, g + a, o->m + a, o->v + a, k, o->lr, o->beta1, o->beta2, o->eps, bc1, bc2,
                  o->weight_decay);
      } else if (o->kind == AE_OPTIM_RMSPROP) {
        rmsprop_step(o, w, g, a, k);
      } else if (o->kind == AE_OPTIM_ADADELTA) {
        adadelta_step(o, w, g, a, k);
      } else
        ae_v_sgd(w + a, g + a, o->m ? o->m + a : NULL, k, o->lr, o->momentum, o->nesterov, o->weight_decay);
    }
  }
  segments_merge(o);
  o->seg_lo[o->nseg] = n;
  return AE_OK;
}
