/* Optimizers over one flat parameter array (a model's arena).
 * State (moments) is sized on the first step and kept; it starts over when
 * the optimizer is handed a different arena. */
#ifndef AE_OPTIM_H
#define AE_OPTIM_H

#include "ae.h"
#include <stddef.h>

enum { AE_OPTIM_SGD, AE_OPTIM_ADAM, AE_OPTIM_RMSPROP, AE_OPTIM_ADADELTA };

typedef struct ae_optim {
  int kind;
  float lr;
  float momentum; /* SGD */
  int nesterov;   /* SGD */
  float beta1, beta2, eps; /* Adam; eps also RMSprop's and Adadelta's */
  float rho;               /* RMSprop, Adadelta: decay of the running averages */
  float weight_decay;      /* L2, added to the gradient */
  long t;                  /* steps taken (calls of step) */
  size_t n;                /* length of the state arrays */
  /* Adam's bias correction counts each value's own updates, as PyTorch
   * counts per parameter: a part skipped by the spans (a frozen layer)
   * keeps its count, so when it trains again its first update is ≈ lr,
   * not a 1/(1−β₂^t)-uncorrected multiple of it. The counts are kept per
   * segment: [seg_lo[s], seg_lo[s+1]) (seg_lo[nseg] = n) took seg_t[s]
   * updates; neighbours with the same count merge, so there are about as
   * many as frozen/unfrozen boundaries. */
  int nseg, segcap; /* segments in use (0: not set up yet); room for segcap of them */
  size_t *seg_lo;
  long *seg_t;
  const float *owner;      /* the arena the state belongs to */
  float *m, *v;            /* Adam moments; SGD velocity in m; RMSprop's mean
                              square in m; Adadelta's E[g²] in m, E[Δ²] in v */
} ae_optim_t;

ae_optim_t *ae_optim_sgd_new(float lr, float momentum, int nesterov, float weight_decay, ae_error_t *e);
ae_optim_t *ae_optim_adam_new(float lr, float beta1, float beta2, float eps, float weight_decay,
                              ae_error_t *e);
/* Keras' RMSprop (no momentum, not centered): v = ρv + (1-ρ)g²,
 * w -= lr·g / (√v + eps). Keras' defaults: lr 1e-3, ρ 0.9, eps 1e-7. */
ae_optim_t *ae_optim_rmsprop_new(float lr, float rho, float eps, float weight_decay, ae_error_t *e);
/* Keras' Adadelta: a = ρa + (1-ρ)g², Δ = √(d + eps)/√(a + eps)·g,
 * d = ρd + (1-ρ)Δ², w -= lr·Δ. Keras' defaults: lr 1e-3, ρ 0.95, eps 1e-7
 * (Zeiler's paper has lr 1: Keras scales the step). */
ae_optim_t *ae_optim_adadelta_new(float lr, float rho, float eps, float weight_decay, ae_error_t *e);
/* "SGD", "Adam", "RMSprop", "Adadelta" */
const char *ae_optim_name(const ae_optim_t *o);
/* How many moment arrays the kind keeps: 0, 1 (m) or 2 (m and v). */
int ae_optim_moments(const ae_optim_t *o);
void ae_optim_free(ae_optim_t *o);
/* One update of w (n floats) from its gradient g. */
int ae_optim_step(ae_optim_t *o, float *w, const float *g, size_t n, ae_error_t *e);
/* The same over parts of w only: nspans ranges [spans[2s], spans[2s+1]),
 * ascending, within n (a model with frozen layers updates the rest). The
 * state is kept for all n values and left as it is outside the spans; t
 * goes up once, each updated value's own count (Adam's bias correction)
 * once, the others' not at all. */
int ae_optim_step_spans(ae_optim_t *o, float *w, const float *g, size_t n, const size_t *spans, int nspans,
                        ae_error_t *e);
void ae_optim_reset(ae_optim_t *o);
/* A saved state put back (a checkpoint's): t steps taken and the moments
 * m and v (n floats each, NULL where the kind keeps none: SGD without
 * momentum keeps neither, SGD with momentum only m), for the arena at
 * owner, so the next step continues it instead of starting over (every
 * value's own count becomes t). All or nothing: on failure the state is as
 * it was. */
int ae_optim_set_state(ae_optim_t *o, const float *owner, size_t n, long t, const float *m, const float *v,
                       ae_error_t *e);
/* The per-segment update counts (optim.h's seg_lo, seg_t) put back after
 * ae_optim_set_state, as a checkpoint saved them: nseg segments starting at
 * lo[0] = 0 < lo[1] < … < n, each with t[s] ≥ 0 updates taken. All or
 * nothing. */
int ae_optim_set_counts(ae_optim_t *o, int nseg, const size_t *lo, const long *t, ae_error_t *e);

#endif
