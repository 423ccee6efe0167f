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
  long t;                  /* steps taken */
  size_t n;                /* length of the state arrays */
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
void ae_optim_reset(ae_optim_t *o);
/* A saved state put back (a checkpoint's): t steps taken and the moments
 * m and v (n floats each, NULL where the kind keeps none: SGD without
 * momentum keeps neither, SGD with momentum only m), for the arena at
 * owner, so the next step continues it instead of starting over. All or
 * nothing: on failure the state is as it was. */
int ae_optim_set_state(ae_optim_t *o, const float *owner, size_t n, long t, const float *m, const float *v,
                       ae_error_t *e);

#endif
