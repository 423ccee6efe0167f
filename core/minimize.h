/* Full-batch minimizers of f: R^n → R over a flat vector of doubles, each a
 * Debian library's: L-BFGS (libLBFGS, More–Thuente line search, which
 * finds a point meeting the strong Wolfe conditions), nonlinear conjugate
 * gradient (Polak–Ribière+ with a strong-Wolfe line search, written here:
 * GSL's Polak–Ribière, kept as an option, measured far worse; minimize.c
 * says how) and Powell's derivative-free method (NLopt's PRAXIS, Brent's
 * refinement of it).
 *
 * The caller gives the function (value, and gradient when asked) and a
 * report called after every iteration with the iterate; a nonzero report
 * stops the run (an interrupt, an error in the caller). Every run stops on
 * its tolerances, its iteration budget or its evaluation budget, and says
 * which in the result.
 *
 * PRAXIS does not hand back its iterations: one "iteration" of Powell here
 * is a block of evals_per_iteration evaluations (the caller's choice; 10
 * per parameter is what one of Powell's sweeps of n line searches costs in
 * scipy's implementation: 10.1 measured on the letters), reported with the
 * best point so far. */
#ifndef AE_MINIMIZE_H
#define AE_MINIMIZE_H

#include "ae.h"
#include <stddef.h>

enum { AE_MIN_LBFGS, AE_MIN_CG, AE_MIN_POWELL };

typedef struct ae_min_config {
  int kind;
  long max_iter;  /* iterations (> 0) */
  long max_evals; /* function evaluations; 0: no budget. L-BFGS and CG check it after each
                     iteration (a line search may pass it by max_linesearch); Powell exactly */
  double gtol;    /* L-BFGS, CG: stop when |g| ≤ gtol·max(1, |x|) (L-BFGS) or |g| ≤ gtol (CG) */
  double ftol;    /* stop when f decreased by less than ftol·max(|f|, 1e-30) in an iteration
                     (Powell: NLopt's ftol_rel); 0: off */
  double xtol;    /* Powell: NLopt's xtol_rel; 0: off */
  int memory;     /* L-BFGS: corrections kept (m) */
  int max_linesearch; /* L-BFGS: evaluations per line search */
  double step;    /* CG: the first trial step's length; Powell: the initial step */
  double line_tol; /* CG with gsl: GSL's line-search tolerance (0.1: the direction's gradient shrinks 10×) */
  long restart;   /* CG: back to steepest descent every `restart` iterations; 0: only when PR+'s β < 0
                     (GSL's: restart has no effect there; it turns every n iterations) */
  long evals_per_iteration; /* Powell: see above */
  int gsl;        /* CG: 1 for GSL's Polak–Ribière instead of ours */
} ae_min_config_t;

typedef struct ae_min_iter {
  long iter;        /* 1, 2, ... */
  long evals, grads; /* function and gradient evaluations so far */
  double f;         /* the loss at the iterate */
  double gnorm;     /* |g| at the iterate; NaN for Powell */
  double step;      /* |Δx| of this iteration */
} ae_min_iter_t;

/* f(ud, x, g): the value at x; with g != NULL also the gradient into g. */
typedef double (*ae_min_fn)(void *ud, const double *x, double *g);
/* After each iteration, with the iterate x; nonzero stops the run. */
typedef int (*ae_min_report)(void *ud, const ae_min_iter_t *it, const double *x);

typedef struct ae_min_result {
  int converged;   /* 1: a tolerance was met */
  int stopped;     /* 1: the report asked to stop */
  long iter, evals, grads;
  double f;        /* the loss at x */
  char why[200];   /* why it stopped, a sentence */
} ae_min_result_t;

/* Checks c (every field in range, or an AE_EARG naming it). */
int ae_min_check(const ae_min_config_t *c, ae_error_t *e);
/* Minimizes f from x (n doubles, overwritten with the final point: the
 * last iterate, or the best point seen for Powell). AE_OK when the run ended
 * by itself or by the report (r says why); an error for a library failure
 * that left no usable point (out of memory, bad arguments). */
int ae_minimize(const ae_min_config_t *c, double *x, size_t n, ae_min_fn f, ae_min_report report, void *ud,
                ae_min_result_t *r, ae_error_t *e);

#endif
