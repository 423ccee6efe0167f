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
  double flast;  /* the loss of the last reported iterate (flast_set: one was) */
  int flast_set;
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
  r->flast = f;
  r->flast_set = 1;
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
  /* A line search that fails (in float, often far from a minimum: on the
   * letters at loss 0.2) starts L-BFGS again from the last iterate with an
   * empty memory, as L-BFGS-B does, as long as the last start made progress. */
  int st;
  long restarts = 0;
  for (;;) {
    long iter0 = r->iter;
    p.max_iterations = (int)(c->max_iter - r->iter < INT32_MAX ? c->max_iter - r->iter : INT32_MAX);
    st = lbfgs((int)r->n, lx, &fx, lb_eval, lb_progress, r, &p);
    int ls_failed = st == LBFGSERR_ROUNDING_ERROR || st == LBFGSERR_MINIMUMSTEP || st == LBFGSERR_MAXIMUMLINESEARCH ||
                    st == LBFGSERR_WIDTHTOOSMALL || st == LBFGSERR_INCREASEGRADIENT || st == LBFGSERR_INCORRECT_TMINMAX ||
                    st == LBFGSERR_OUTOFINTERVAL || st == LBFGSERR_LOGICERROR;
    if (!ls_failed || r->iter == iter0 || r->iter >= c->max_iter || r->stopped || r->budget) break;
    restarts++;
  }
  memcpy(x, lx, r->n * sizeof(double));
  lbfgs_free(lx);
  if (st == LBFGS_ALREADY_MINIMIZED && restarts > 0) st = LBFGS_SUCCESS;
  res->f = fx;
  /* a failed line search puts x back but leaves fx at its last trial's
   * loss: the loss of x is the last iterate's, or x's own without one */
  if (st < 0 && st != LBFGSERR_MAXIMUMITERATION && st != LBFGSERR_CANCELED && st != LBFGSERR_OUTOFMEMORY) {
    if (r->flast_set) res->f = r->flast;
    else {
      r->evals++;
      res->f = r->f(r->ud, x, NULL);
    }
  }
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
  if (restarts > 0 && strlen(res->why) + 40 < sizeof res->why)
    snprintf(res->why + strlen(res->why), sizeof res->why - strlen(res->why), " (memory restarted %ld time%s)", restarts,
             restarts == 1 ? "" : "s");
  return AE_OK;
}

/* ---- CG, GSL's Polak–Ribière (CG{method = "gsl"}) ---- */

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

/* ---- CG, Polak–Ribière+ with a strong-Wolfe line search (ours) ----
 * GSL's CG, measured on the letters (35-25-15-10-2, 500 iterations): loss
 * 0.32 against scipy's CG's 0.11 from the same start, whatever its step,
 * tolerance and restarts (its restart only resets a counter, and a first
 * trial step that lowers f is taken without a line search). This one is
 * Nocedal & Wright's: PR+ (β = max(0, β_PR): a negative β restarts along
 * the gradient), the line search of their Algorithms 3.5–3.6 (cubic
 * interpolation, c1 = 1e-4, c2 = 0.1 as they advise for CG), the first
 * trial step from the previous one (α·gᵀd kept). */

typedef struct pt {
  double a, f, dg; /* step, f and its slope along d there */
} pt_t;

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* f at x + a·d into xa, its gradient into ga */
static pt_t eval_at(run_t *r, const double *x, const double *d, double a, double *xa, double *ga) {
  for (size_t i = 0; i < r->n; i++) xa[i] = x[i] + a * d[i];
  r->evals++;
  r->grads++;
  pt_t p = {a, r->f(r->ud, xa, ga), 0};
  p.dg = dot(ga, d, r->n);
  return p;
}

/* The minimizer of the cubic through lo and hi (values and slopes), kept
 * inside the middle 80% of the interval; bisection when there is none. */
static double cubic_min(pt_t lo, pt_t hi) {
  double mid = 0.5 * (lo.a + hi.a), a = mid;
  if (isfinite(hi.f) && isfinite(hi.dg)) {
    double d1 = lo.dg + hi.dg - 3 * (lo.f - hi.f) / (lo.a - hi.a), s = d1 * d1 - lo.dg * hi.dg;
    if (s >= 0) {
      double d2 = copysign(sqrt(s), hi.a - lo.a);
      a = hi.a - (hi.a - lo.a) * (hi.dg + d2 - d1) / (hi.dg - lo.dg + 2 * d2);
    }
  }
  double l = fmin(lo.a, hi.a), h = fmax(lo.a, hi.a), w = h - l;
  return a > l + 0.1 * w && a < h - 0.1 * w ? a : mid;
}

enum { LS_MAX = 30 };

/* A step meeting the strong Wolfe conditions along d from x (f0, slope dg0 < 0):
 * 1 with xa, ga and *out at it; 0 when none was found within LS_MAX evaluations
 * (a step that still lowered f then comes back as one: 1). */
static int wolfe(run_t *r, const double *x, const double *d, double f0, double dg0, double a1, double *xa, double *ga,
                 pt_t *out) {
  const double c1 = 1e-4, c2 = 0.1;
  pt_t prev = {0, f0, dg0}, lo, hi, cur;
  double a = a1;
  int k = 0, zoom = 0;
  for (; k < LS_MAX; k++) {
    cur = eval_at(r, x, d, a, xa, ga);
    if (!isfinite(cur.f) || cur.f > f0 + c1 * a * dg0 || (k > 0 && cur.f >= prev.f)) {
      lo = prev, hi = cur, zoom = 1;
      break;
    }
    if (fabs(cur.dg) <= -c2 * dg0) {
      *out = cur;
      return 1;
    }
    if (cur.dg >= 0) {
      lo = cur, hi = prev, zoom = 1;
      break;
    }
    prev = cur;
    a *= 2;
  }
  if (!zoom) {
    *out = cur; /* f still falling after LS_MAX doublings: take the last */
    return isfinite(cur.f) && cur.f < f0;
  }
  for (k++; k < LS_MAX; k++) {
    a = cubic_min(lo, hi);
    cur = eval_at(r, x, d, a, xa, ga);
    if (!isfinite(cur.f) || cur.f > f0 + c1 * a * dg0 || cur.f >= lo.f) {
      hi = cur;
    } else {
      if (fabs(cur.dg) <= -c2 * dg0) {
        *out = cur;
        return 1;
      }
      if (cur.dg * (hi.a - lo.a) >= 0) hi = lo;
      lo = cur;
    }
    if (fabs(hi.a - lo.a) <= 1e-12 * fmax(lo.a, 1e-300)) break;
  }
  if (lo.a > 0 && lo.f < f0) { /* sufficient decrease without the curvature condition: still a step */
    *out = eval_at(r, x, d, lo.a, xa, ga);
    return out->f < f0;
  }
  return 0;
}

static int run_cg_own(run_t *r, double *x, ae_min_result_t *res, ae_error_t *e) {
  const ae_min_config_t *c = r->c;
  size_t n = r->n;
  double *buf = malloc(4 * n * sizeof(double));
  if (!buf) return ae_fail(e, AE_ENOMEM, "CG: out of memory for %zu parameters", n);
  double *g = buf, *d = buf + n, *xa = buf + 2 * n, *ga = buf + 3 * n;
  r->evals++;
  r->grads++;
  double f = r->f(r->ud, x, g), gg = dot(g, g, n);
  for (size_t i = 0; i < n; i++) d[i] = -g[i];
  double dg = -gg, a1 = c->step / fmax(sqrt(gg), 1e-300);
  long k;
  for (k = 1; k <= c->max_iter; k++) {
    if (!isfinite(f)) {
      snprintf(res->why, sizeof res->why, "the loss is %g: nothing to minimize", f);
      break;
    }
    if (gg == 0) {
      res->converged = 1;
      snprintf(res->why, sizeof res->why, "converged: the gradient is 0");
      break;
    }
    pt_t pt;
    int ok = wolfe(r, x, d, f, dg, a1, xa, ga, &pt);
    if (!ok && dg != -gg) { /* a conjugate direction that failed: once more along the gradient */
      for (size_t i = 0; i < n; i++) d[i] = -g[i];
      dg = -gg;
      ok = wolfe(r, x, d, f, dg, c->step / sqrt(gg), xa, ga, &pt);
    }
    if (!ok) {
      snprintf(res->why, sizeof res->why,
               "the line search found no lower loss along the gradient: at float precision the loss cannot be "
               "lowered further from here");
      break;
    }
    double fprev = f, ggn = dot(ga, ga, n), beta = c->restart > 0 && k % c->restart == 0 ? 0 : (ggn - dot(ga, g, n)) / gg;
    if (!(beta > 0)) beta = 0; /* PR+: back to the gradient */
    memcpy(x, xa, n * sizeof(double));
    memcpy(g, ga, n * sizeof(double));
    f = pt.f;
    gg = ggn;
    for (size_t i = 0; i < n; i++) d[i] = -g[i] + beta * d[i];
    double dgn = dot(g, d, n);
    if (!(dgn < 0)) { /* not downhill: the gradient */
      for (size_t i = 0; i < n; i++) d[i] = -g[i];
      dgn = -gg;
    }
    a1 = pt.a * dg / dgn; /* α·gᵀd as last time */
    if (!(a1 > 0) || !isfinite(a1)) a1 = c->step / sqrt(gg);
    dg = dgn;
    if (report(r, x, f, sqrt(gg))) break;
    if (sqrt(gg) <= c->gtol) {
      res->converged = 1;
      snprintf(res->why, sizeof res->why, "converged: |gradient| ≤ gtol = %g", c->gtol);
      break;
    }
    if (c->ftol > 0 && fprev - f < c->ftol * fmax(fabs(f), 1e-30)) {
      res->converged = 1;
      snprintf(res->why, sizeof res->why, "converged: the loss fell by less than ftol = %g (relative) in an iteration",
               c->ftol);
      break;
    }
    if (over_budget(r)) break;
  }
  if (k > c->max_iter) snprintf(res->why, sizeof res->why, "iteration budget: %ld iterations", c->max_iter);
  res->f = f;
  free(buf);
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
  run_t r = {.c = c, .n = n, .f = f, .report = rep, .ud = ud, .prev = malloc(n * sizeof(double)), .fbest = INFINITY};
  if (!r.prev) return ae_fail(e, AE_ENOMEM, "minimize: out of memory for %zu parameters", n);
  memcpy(r.prev, x, n * sizeof(double));
  int rc = c->kind == AE_MIN_LBFGS ? run_lbfgs(&r, x, res, e)
           : c->kind == AE_MIN_CG    ? (c->gsl ? run_cg(&r, x, res, e) : run_cg_own(&r, x, res, e))
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
