/* core/minimize.c on Rosenbrock's function: each minimizer reaches its
 * minimum at (1, 1) (Powell from the function alone), the budgets hold,
 * a report that says stop stops, and an allocation failed at each of the
 * core's points leaves an error and no block behind. */
#include "check.h"
#include "minimize.h"

#include <math.h>
#include <string.h>

static double rosenbrock(void *ud, const double *x, double *g) {
  (void)ud;
  double a = 1 - x[0], b = x[1] - x[0] * x[0];
  if (g) {
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
  }
  return a * a + 100 * b * b;
}

static int stop_at_3(void *ud, const ae_min_iter_t *it, const double *x) {
  (void)ud;
  (void)x;
  return it->iter >= 3;
}

static ae_min_config_t config(int kind) {
  ae_min_config_t c = {kind, 2000, 0, 1e-8, 0, 1e-10, 10, 40, kind == AE_MIN_CG ? 0.01 : 0.5, 0.1, 0, 50, 0};
  return c;
}

/* 5 − |x|² with the gradient of |x − ½|², as a wrong gradient would be:
 * along −g the loss rises, and libLBFGS' line search gives up at a trial
 * point whose loss is not that of the point it puts back. */
static double biased(void *ud, const double *x, double *g) {
  (void)ud;
  if (g) {
    g[0] = 2 * (x[0] - 0.5);
    g[1] = 2 * (x[1] - 0.5);
  }
  return 5 - x[0] * x[0] - x[1] * x[1];
}

static double last_reported;
static int keep_f(void *ud, const ae_min_iter_t *it, const double *x) {
  (void)ud;
  (void)x;
  last_reported = it->f;
  return 0;
}

void test_minimize(void) {
  {
    check_begin("L-BFGS: after a failed line search, the loss given is that of the point given back");
    ae_min_config_t c = config(AE_MIN_LBFGS);
    c.ftol = 0;
    c.gtol = 0;
    c.max_linesearch = 1; /* the line search fails at its first trial point */
    double x[2] = {3, 1};
    ae_min_result_t r;
    ae_error_t e;
    last_reported = NAN;
    int rc = ae_minimize(&c, x, 2, biased, keep_f, NULL, &r, &e);
    if (check(rc == AE_OK, "%s", e.msg)) {
      double fx = biased(NULL, x, NULL);
      check(strstr(r.why, "line search") != NULL, "stopped for another reason: %s", r.why);
      check(r.f == fx, "result's loss %.17g, the loss at the point %.17g (last reported %.17g)", r.f, fx,
            last_reported);
    }
    check_end();
  }
  static const char *const names[] = {"L-BFGS", "CG", "Powell"};
  for (int kind = AE_MIN_LBFGS; kind <= AE_MIN_POWELL; kind++) {
    check_begin("%s reaches Rosenbrock's minimum from (-1.2, 1)", names[kind]);
    ae_min_config_t c = config(kind);
    double x[2] = {-1.2, 1};
    ae_min_result_t r;
    ae_error_t e;
    int rc = ae_minimize(&c, x, 2, rosenbrock, NULL, NULL, &r, &e);
    if (check(rc == AE_OK, "%s", e.msg)) {
      check(fabs(x[0] - 1) < 1e-3 && fabs(x[1] - 1) < 2e-3 && r.f < 1e-6, "ended at (%g, %g), f %g: %s", x[0], x[1], r.f,
            r.why);
      check(r.why[0] != 0, "no reason given");
      check(kind == AE_MIN_POWELL ? r.grads == 0 : r.grads > 0, "%ld gradients", r.grads);
    }
    check_end();

    check_begin("%s: the evaluation budget, and a report that stops it", names[kind]);
    c.max_evals = 30;
    double y[2] = {-1.2, 1};
    rc = ae_minimize(&c, y, 2, rosenbrock, NULL, NULL, &r, &e);
    check(rc == AE_OK && strstr(r.why, "evaluation budget") != NULL, "%s", rc ? e.msg : r.why);
    /* Powell's is exact; the line-search methods check after each iteration */
    check(kind == AE_MIN_POWELL ? r.evals == 30 : r.evals >= 30 && r.evals <= 30 + 40, "%ld evaluations", r.evals);
    c.max_evals = 0;
    double z[2] = {-1.2, 1};
    rc = ae_minimize(&c, z, 2, rosenbrock, stop_at_3, NULL, &r, &e);
    check(rc == AE_OK && r.stopped && r.iter == 3, "stopped %d after %ld iterations", r.stopped, r.iter);
    check_end();

    check_begin("%s: every allocation of the core failed in turn", names[kind]);
    long k;
    for (k = 1; k < 10; k++) {
      double w[2] = {-1.2, 1};
      fa_arm(k);
      rc = ae_minimize(&c, w, 2, rosenbrock, NULL, NULL, &r, &e);
      long reached = fa_failures();
      fa_arm(0);
      if (!reached) break;
      check(rc == AE_ENOMEM, "allocation %ld failed but the call returned %d", k, rc);
    }
    check(k > 1, "no allocation in the core");
    check(fa_live() == 0, "%ld blocks live", fa_live());
    check_end();
  }
  check_begin("bad settings are refused with the field named");
  ae_min_config_t c = config(AE_MIN_LBFGS);
  c.memory = 0;
  ae_error_t e;
  check(ae_min_check(&c, &e) == AE_EARG && strstr(e.msg, "memory") != NULL, "%s", e.msg);
  c = config(AE_MIN_POWELL);
  c.evals_per_iteration = 0;
  check(ae_min_check(&c, &e) == AE_EARG && strstr(e.msg, "evals_per_iteration") != NULL, "%s", e.msg);
  check_end();
}
