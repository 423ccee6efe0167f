/* Full-batch minimizers (see minimize.h): one run_t per call carries the
 * caller's function and report, the counts, and the previous iterate (for
 * the step's length); each library gets a thin adapter around it. */
#include "minimize.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <lbfgs.h>
#include <limits.h>
#include <math.h>
#include <nlopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
  const ae_min_config_t *c;
  size_t n;
  ae_min_fn f;
  ae_min_report report;
  void *ud;
  long iter, evals, grads;
  int stopped, budget;
  double *prev;  /* the previous iterate: |Δx| */
  double *best;  /* Powell: the best point so far */
  double fbest;
  nlopt_opt opt; /* Powell: to stop it from the objective */
} run_t;

int ae_min_check(const ae_min_config_t *c, ae_error_t *e) {
  static const char *const names[] = {"LBFGS", "CG", "Powell"};
  if (c->kind < AE_MIN_LBFGS || c->kind > AE_MIN_POWELL) return ae_fail(e, AE_EARG, "minimize: unknown kind %d", c->kind);
  const char *who = names[c->kind];
  if (c->max_iter < 1) return ae_fail(e, AE_EARG, "%s: the iteration budget must be at least 1, got %ld", who, c->max_iter);
  if (c->max_evals < 0) return ae_fail(e, AE_EARG, "%s: max_evals must be ≥ 0 (0: no budget), got %ld", who, c->max_evals);
  if (!(c->gtol >= 0) || !(c->ftol >= 0) || !(c->xtol >= 0))
    return ae_fail(e, AE_EARG, "%s: tolerances must be ≥ 0 (gtol %g, ftol %g, xtol %g)", who, c->gtol, c->ftol, c->xtol);
  if (c->kind == AE_MIN_LBFGS && (c->memory < 1 || c->max_linesearch < 1))
    return ae_fail(e, AE_EARG, "LBFGS: memory and max_linesearch must be at least 1, got %d and %d", c->memory,
                   c->max_linesearch);
  if (c->kind == AE_MIN_CG && (!(c->step > 0) || !(c->line_tol > 0 && c->line_tol < 1) || c->restart < 0))
    return ae_fail(e, AE_EARG, "CG: step must be > 0, line_tol in (0, 1), restart ≥ 0 (got %g, %g, %ld)", c->step,
                   c->line_tol, c->restart);
  if (c->kind == AE_MIN_POWELL && (c->evals_per_iteration < 1 || !(c->step >= 0)))
    return ae_fail(e, AE_EARG, "Powell: evals_per_iteration must be ≥ 1 and step ≥ 0 (got %ld, %g)",
                   c->evals_per_iteration, c->step);
  return AE_OK;
}

static double dist(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  return sqrt(s);
}

/* The report of one iteration; remembers x as the previous iterate. */
static int report(run_t *r, const double *x, double f, double gnorm) {
  ae_min_iter_t it = {++r->iter, r->evals, r->grads, f, gnorm, dist(x, r->prev, r->n)};
  memcpy(r->prev, x, r->n * sizeof(double));
  if (r->report && r->report(r->ud, &it, x)) r->stopped = 1;
  return r->stopped;
}

static int over_budget(run_t *r) {
  if (r->c->max_evals > 0 && r->evals >= r->c->max_evals) r->budget = 1;
  return r->budget;
}

/* ---- L-BFGS (libLBFGS) ---- */

static lbfgsfloatval_t lb_eval(void *p, const lbfgsfloatval_t *x, lbfgsfloatval_t *g, const int n,
                               const lbfgsfloatval_t step) {
  run_t *r = p;
  r->evals++;
  r->grads++;
  return r->f(r->ud, x, g);
}

static int lb_progress(void *p, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g, const lbfgsfloatval_t fx,
                       const lbfgsfloatval_t xnorm, const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int n,
                       int k, int ls) {
  run_t *r = p;
  return report(r, x, fx, gnorm) || over_budget(r);
}

static int run_lbfgs(run_t *r, double *x, ae_min_result_t *res, ae_error_t *e) {
  const ae_min_config_t *c = r->c;
  if (r->n > (size_t)INT32_MAX) return ae_fail(e, AE_EARG, "LBFGS: %zu parameters, more than libLBFGS takes", r->n);
  lbfgs_parameter_t p;
  lbfgs_parameter_init(&p);
  p.m = c->memory;
  p.epsilon = c->gtol;
  p.max_iterations = (int)(c->max_iter < INT32_MAX ? c->max_iter : INT32_MAX);
  p.max_linesearch = c->max_linesearch;
  p.linesearch = LBFGS_LINESEARCH_MORETHUENTE;
  if (c->ftol > 0) {
    p.past = 1;
    p.delta = c->ftol;
  }
  lbfgsfloatval_t *lx = lbfgs_malloc((int)r->n), fx = 0;
  if (!lx) return ae_fail(e, AE_ENOMEM, "LBFGS: out of memory for %zu parameters", r->n);
  memcpy(lx, x, r->n * sizeof(double));
  int st = lbfgs((int)r->n, lx, &fx, lb_eval, lb_progress, r, &p);
  memcpy(x, lx, r->n * sizeof(double));
  lbfgs_free(lx);
  res->f = fx;
  switch (st) {
  case LBFGS_SUCCESS:
  case LBFGS_ALREADY_MINIMIZED:
    res->converged = 1;
    snprintf(res->why, sizeof res->why, "converged: |gradient| ≤ gtol·max(1, |w|) (gtol = %g)", c->gtol);
    break;
  case LBFGS_STOP:
    res->converged = 1;
    snprintf(res->why, sizeof res->why, "converged: the loss fell by less than ftol = %g (relative) in an iteration",
             c->ftol);
    break;
  case LBFGSERR_MAXIMUMITERATION: snprintf(res->why, sizeof res->why, "iteration budget: %ld iterations", c->max_iter); break;
  case LBFGSERR_CANCELED: break; /* the caller's stop or the evaluation budget: said below */
  case LBFGSERR_OUTOFMEMORY: return ae_fail(e, AE_ENOMEM, "LBFGS: out of memory for %zu parameters", r->n);
  case LBFGSERR_ROUNDING_ERROR:
  case LBFGSERR_MINIMUMSTEP:
  case LBFGSERR_MAXIMUMLINESEARCH:
  case LBFGSERR_WIDTHTOOSMALL:
  case LBFGSERR_INCREASEGRADIENT:
  case LBFGSERR_INCORRECT_TMINMAX:
  case LBFGSERR_OUTOFINTERVAL:
  case LBFGSERR_LOGICERROR:
    /* float gradients near a minimum: the line search finds no lower point; x is the last iterate */
    snprintf(res->why, sizeof res->why,
             "the line search found no lower loss along the search direction (libLBFGS status %d): at float "
             "precision the loss cannot be lowered further from here",
             st);
    break;
  default: return ae_fail(e, AE_EARG, "LBFGS: libLBFGS refused the settings (status %d)", st);
  }
  return AE_OK;
}

/* ---- CG (GSL's Polak–Ribière) ---- */

static double g_f(const gsl_vector *v, void *p) {
  run_t *r = p;
  r->evals++;
  return r->f(r->ud, v->data, NULL);
}

static void g_df(const gsl_vector *v, void *p, gsl_vector *g) {
  run_t *r = p;
  r->evals++;
  r->grads++;
  r->f(r->ud, v->data, g->data);
}

static void g_fdf(const gsl_vector *v, void *p, double *f, gsl_vector *g) {
  run_t *r = p;
  r->evals++;
  r->grads++;
  *f = r->f(r->ud, v->data, g->data);
}

static int run_cg(run_t *r, double *x, ae_min_result_t *res, ae_error_t *e) {
  const ae_min_config_t *c = r->c;
  /* GSL's default error handler aborts the process: off for this run, put back after */
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_conjugate_pr, r->n);
  gsl_vector *xv = gsl_vector_alloc(r->n);
  if (!s || !xv) {
    if (s) gsl_multimin_fdfminimizer_free(s);
    if (xv) gsl_vector_free(xv);
    gsl_set_error_handler(old);
    return ae_fail(e, AE_ENOMEM, "CG: out of memory for %zu parameters", r->n);
  }
  memcpy(xv->data, x, r->n * sizeof(double));
  gsl_multimin_function_fdf fn = {g_f, g_df, g_fdf, r->n, r};
  gsl_multimin_fdfminimizer_set(s, &fn, xv, c->step, c->line_tol);
  double fprev = s->f;
  long k;
  for (k = 1; k <= c->max_iter; k++) {
    int st = gsl_multimin_fdfminimizer_iterate(s);
    if (st) {
      snprintf(res->why, sizeof res->why,
               st == GSL_ENOPROG ? "the line search found no lower loss along the search direction (GSL: %s)"
                                 : "GSL stopped: %s",
               gsl_strerror(st));
      break;
    }
    double gnorm = gsl_blas_dnrm2(s->gradient);
    if (report(r, s->x->data, s->f, gnorm)) break;
    if (gnorm <= c->gtol) {
      res->converged = 1;
      snprintf(res->why, sizeof res->why, "converged: |gradient| ≤ gtol = %g", c->gtol);
      break;
    }
    if (c->ftol > 0 && fprev - s->f < c->ftol * fmax(fabs(s->f), 1e-30)) {
      res->converged = 1;
      snprintf(res->why, sizeof res->why, "converged: the loss fell by less than ftol = %g (relative) in an iteration",
               c->ftol);
      break;
    }
    if (over_budget(r)) break;
    if (c->restart > 0 && k % c->restart == 0) gsl_multimin_fdfminimizer_restart(s);
    fprev = s->f;
  }
  if (k > c->max_iter) snprintf(res->why, sizeof res->why, "iteration budget: %ld iterations", c->max_iter);
  memcpy(x, s->x->data, r->n * sizeof(double));
  res->f = s->f;
  gsl_multimin_fdfminimizer_free(s);
  gsl_vector_free(xv);
  gsl_set_error_handler(old);
  return AE_OK;
}

/* ---- Powell (NLopt's PRAXIS) ---- */

static double nl_f(unsigned n, const double *x, double *grad, void *p) {
  run_t *r = p;
  if (r->stopped) return r->fbest; /* NLopt may ask once more after force_stop */
  r->evals++;
  double v = r->f(r->ud, x, NULL);
  if (v < r->fbest) {
    r->fbest = v;
    memcpy(r->best, x, n * sizeof(double));
  }
  if (r->evals % r->c->evals_per_iteration == 0 && report(r, r->best, r->fbest, NAN)) nlopt_force_stop(r->opt);
  return v;
}

static int run_powell(run_t *r, double *x, ae_min_result_t *res, ae_error_t *e) {
  const ae_min_config_t *c = r->c;
  if (r->n > UINT32_MAX) return ae_fail(e, AE_EARG, "Powell: %zu parameters, more than NLopt takes", r->n);
  r->best = malloc(r->n * sizeof(double));
  nlopt_opt o = r->best ? nlopt_create(NLOPT_LN_PRAXIS, (unsigned)r->n) : NULL;
  if (!o) {
    free(r->best);
    return ae_fail(e, AE_ENOMEM, "Powell: out of memory for %zu parameters", r->n);
  }
  r->opt = o;
  r->fbest = INFINITY;
  memcpy(r->best, x, r->n * sizeof(double));
  /* the iteration budget in evaluations, and the evaluation budget if smaller */
  long by_iter = c->max_iter > LONG_MAX / c->evals_per_iteration ? LONG_MAX : c->max_iter * c->evals_per_iteration;
  long maxeval = c->max_evals > 0 && c->max_evals < by_iter ? c->max_evals : by_iter;
  int ok = nlopt_set_min_objective(o, nl_f, r) >= 0 && nlopt_set_maxeval(o, maxeval > INT32_MAX ? INT32_MAX : (int)maxeval) >= 0 &&
           (c->ftol <= 0 || nlopt_set_ftol_rel(o, c->ftol) >= 0) && (c->xtol <= 0 || nlopt_set_xtol_rel(o, c->xtol) >= 0) &&
           (c->step <= 0 || nlopt_set_initial_step1(o, c->step) >= 0);
  double f = 0;
  nlopt_result st = ok ? nlopt_optimize(o, x, &f) : NLOPT_INVALID_ARGS;
  nlopt_destroy(o);
  r->opt = NULL;
  if (st == NLOPT_OUT_OF_MEMORY || st == NLOPT_INVALID_ARGS) {
    free(r->best);
    return ae_fail(e, st == NLOPT_OUT_OF_MEMORY ? AE_ENOMEM : AE_EARG, "Powell: NLopt %s for %zu parameters",
                   st == NLOPT_OUT_OF_MEMORY ? "ran out of memory" : "refused the settings", r->n);
  }
  /* a last, shorter block of evaluations is an iteration too */
  if (!r->stopped && r->evals % c->evals_per_iteration != 0) report(r, r->best, r->fbest, NAN);
  memcpy(x, r->best, r->n * sizeof(double));
  res->f = r->fbest;
  free(r->best);
  r->best = NULL;
  switch (st) {
  case NLOPT_FTOL_REACHED:
    res->converged = 1;
    snprintf(res->why, sizeof res->why, "converged: the loss changed by less than ftol = %g (relative)", c->ftol);
    break;
  case NLOPT_XTOL_REACHED:
    res->converged = 1;
    snprintf(res->why, sizeof res->why, "converged: the weights changed by less than xtol = %g (relative)", c->xtol);
    break;
  case NLOPT_MAXEVAL_REACHED:
    if (maxeval < by_iter) r->budget = 1;
    else snprintf(res->why, sizeof res->why, "iteration budget: %ld iterations of %ld evaluations", c->max_iter,
                  c->evals_per_iteration);
    break;
  case NLOPT_FORCED_STOP: break;
  case NLOPT_ROUNDOFF_LIMITED:
    snprintf(res->why, sizeof res->why, "PRAXIS stopped: rounding errors limit further progress");
    break;
  default: snprintf(res->why, sizeof res->why, "PRAXIS stopped (NLopt result %d)", (int)st); break;
  }
  return AE_OK;
}

int ae_minimize(const ae_min_config_t *c, double *x, size_t n, ae_min_fn f, ae_min_report rep, void *ud,
                ae_min_result_t *res, ae_error_t *e) {
  memset(res, 0, sizeof *res);
  if (ae_min_check(c, e)) return e->code;
  if (n == 0) return ae_fail(e, AE_EARG, "minimize: no parameters");
  run_t r = {c, n, f, rep, ud, 0, 0, 0, 0, 0, malloc(n * sizeof(double)), NULL, INFINITY, NULL};
  if (!r.prev) return ae_fail(e, AE_ENOMEM, "minimize: out of memory for %zu parameters", n);
  memcpy(r.prev, x, n * sizeof(double));
  int rc = c->kind == AE_MIN_LBFGS ? run_lbfgs(&r, x, res, e) : c->kind == AE_MIN_CG ? run_cg(&r, x, res, e)
                                                                                     : run_powell(&r, x, res, e);
  free(r.prev);
  if (rc) return rc;
  res->iter = r.iter;
  res->evals = r.evals;
  res->grads = r.grads;
  res->stopped = r.stopped;
  if (r.stopped) snprintf(res->why, sizeof res->why, "stopped by the caller after %ld iterations", r.iter);
  else if (r.budget)
    snprintf(res->why, sizeof res->why, "evaluation budget: %ld evaluations (max_evals = %ld)", r.evals, c->max_evals);
  return AE_OK;
}
