/* aelab.optim.minimize: a full-batch minimizer (core/minimize.c) run on a
 * model's flat parameter vector. The optimizers' constructors and fit's
 * loop for them are Lua (bindings/aelab/fullbatch.lua); this file is the
 * objective (the loss over all of x, and its gradient) and the per-iteration
 * report into Lua.
 *
 * The report runs in lua_pcall: an error in it (Ctrl-C's interrupt among
 * them) stops the minimizer, which frees its memory, and is raised again
 * after. The model holds every reported iterate, so whatever stops the run
 * it keeps its last finished iteration. */
#include "glue.h"
#include "minimize.h"

#include <math.h>
#include <string.h>

typedef struct objective {
  lua_State *L;
  ae_model_t *m;
  const ae_tensor_t *x, *t;
  int report;  /* stack index of the Lua report function */
  int errslot; /* stack index where a report's error is kept */
  int failed;  /* 1: a model call failed (e), 2: the report raised */
  const size_t *spans; /* the arena's trainable ranges [lo, hi): w is them end to end */
  int nspans;
  ae_error_t e;
} objective_t;

/* The minimizer's w holds the unfrozen values only, so a frozen layer stays
 * as it is whether the method follows the gradient (zero there) or not
 * (Powell, which moved frozen layers when w was the whole arena). */
static void put_params(const objective_t *o, const double *w) {
  float *p = ae_tensor_data(o->m->params);
  for (int s = 0; s < o->nspans; s++)
    for (size_t i = o->spans[2 * s]; i < o->spans[2 * s + 1]; i++) p[i] = (float)*w++;
}

/* The loss over all rows (and its gradient when g): the gradient path
 * whenever a penalty is on, so value and gradient are of the same function. */
static double objective(void *ud, const double *w, double *g) {
  objective_t *o = ud;
  if (o->failed) return NAN;
  ae_model_t *m = o->m;
  put_params(o, w);
  double loss = NAN;
  int rc;
  if (g || m->penalty.ops) {
    rc = ae_model_gradient(m, o->x, o->t, NULL, &loss, &o->e);
    if (!rc && g) {
      const float *G = ae_tensor_data(m->grads);
      for (int s = 0; s < o->nspans; s++)
        for (size_t i = o->spans[2 * s]; i < o->spans[2 * s + 1]; i++) *g++ = G[i];
    }
  } else {
    rc = ae_model_evaluate(m, o->x, o->t, 0, &loss, &o->e);
  }
  if (rc) {
    o->failed = 1;
    return NAN;
  }
  return loss;
}

static void setnum(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void setint(lua_State *L, const char *k, long v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static int on_iteration(void *ud, const ae_min_iter_t *it, const double *w) {
  objective_t *o = ud;
  put_params(o, w); /* the model holds the iterate */
  if (o->failed) return 1;
  lua_State *L = o->L;
  lua_pushvalue(L, o->report);
  lua_createtable(L, 0, 6);
  setint(L, "iter", it->iter);
  setint(L, "evals", it->evals);
  setint(L, "grads", it->grads);
  setnum(L, "loss", it->f);
  setnum(L, "gnorm", it->gnorm);
  setnum(L, "step", it->step);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    lua_replace(L, o->errslot);
    o->failed = 2;
    return 1;
  }
  int stop = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return stop;
}

static double num(lua_State *L, int t, const char *k, double def) {
  lua_getfield(L, t, k);
  double v = luaL_optnumber(L, -1, def);
  lua_pop(L, 1);
  return v;
}

static long integer(lua_State *L, int t, const char *k, long def) {
  lua_getfield(L, t, k);
  long v = (long)luaL_optinteger(L, -1, def);
  lua_pop(L, 1);
  return v;
}

/* minimize(model, x, target, config, report) → {loss =, iterations =,
 * evals =, grads =, converged =, interrupted =, why =}. config: {kind =
 * "LBFGS"|"CG"|"Powell", max_iter =, max_evals =, gtol =, ftol =, xtol =,
 * memory =, max_linesearch =, step =, line_tol =, restart =, method =
 * ("gsl" for GSL's CG), evals_per_iteration =} (checked in fullbatch.lua; the core checks the
 * ranges again). report(info) is called after each iteration with {iter,
 * evals, grads, loss, gnorm, step}; a true result stops the run. */
int ae_lua_minimize(lua_State *L) {
  ae_lua_box_t *mb = luaL_checkudata(L, 1, AE_MODEL_MT);
  if (!mb->p) return luaL_error(L, "minimize: the model was closed");
  ae_model_t *m = mb->p;
  ae_tensor_t *x = ae_lua_checktensor(L, 2), *t = ae_lua_checktensor(L, 3);
  luaL_checktype(L, 4, LUA_TTABLE);
  luaL_checktype(L, 5, LUA_TFUNCTION);
  lua_settop(L, 5);
  static const char *const kinds[] = {"LBFGS", "CG", "Powell", NULL};
  lua_getfield(L, 4, "kind");
  int kind = luaL_checkoption(L, -1, NULL, kinds);
  lua_pop(L, 1);
  ae_min_config_t c = {
      kind == 0 ? AE_MIN_LBFGS : kind == 1 ? AE_MIN_CG : AE_MIN_POWELL,
      integer(L, 4, "max_iter", 100),
      integer(L, 4, "max_evals", 0),
      num(L, 4, "gtol", 1e-5),
      num(L, 4, "ftol", 0),
      num(L, 4, "xtol", 0),
      (int)integer(L, 4, "memory", 10),
      (int)integer(L, 4, "max_linesearch", 20),
      num(L, 4, "step", kind == 1 ? 0.01 : 0),
      num(L, 4, "line_tol", 0.1),
      integer(L, 4, "restart", 0),
      integer(L, 4, "evals_per_iteration", 1),
      0,
  };
  lua_getfield(L, 4, "method");
  c.gsl = lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "gsl") == 0;
  lua_pop(L, 1);
  ae_error_t e;
  if (ae_min_check(&c, &e)) return ae_lua_raise(L, &e);
  if (ae_model_trainable_spans(m, &e)) return ae_lua_raise(L, &e);
  /* the spans as they are now (the model's own are rebuilt every gradient) */
  int nspans = m->nspans;
  size_t *spans = lua_newuserdatauv(L, (size_t)(2 * nspans + 1) * sizeof *spans, 0); /* 6 */
  memcpy(spans, m->spans, (size_t)(2 * nspans) * sizeof *spans);
  size_t n = 0;
  for (int s = 0; s < nspans; s++) n += spans[2 * s + 1] - spans[2 * s];
  if (n == 0) return luaL_error(L, "minimize: every layer with weights is frozen, so nothing trains; net:unfreeze() the layers to train");
  double *w = lua_newuserdatauv(L, n * sizeof(double), 0); /* 7: freed by the collector */
  const float *p = ae_tensor_data(m->params);
  size_t k = 0;
  for (int s = 0; s < nspans; s++)
    for (size_t i = spans[2 * s]; i < spans[2 * s + 1]; i++) w[k++] = p[i];
  lua_pushnil(L); /* 8: a report's error */
  objective_t o = {L, m, x, t, 5, 8, 0, spans, nspans, {0}};
  ae_min_result_t r;
  int rc = ae_minimize(&c, w, n, objective, on_iteration, &o, &r, &e);
  if (o.failed == 2) { /* the report's error (an interrupt), raised again */
    lua_pushvalue(L, 8);
    return lua_error(L);
  }
  if (o.failed == 1) return ae_lua_raise(L, &o.e);
  if (rc) return ae_lua_raise(L, &e);
  put_params(&o, w);
  lua_createtable(L, 0, 7);
  setnum(L, "loss", r.f);
  setint(L, "iterations", r.iter);
  setint(L, "evals", r.evals);
  setint(L, "grads", r.grads);
  lua_pushboolean(L, r.converged);
  lua_setfield(L, -2, "converged");
  lua_pushboolean(L, r.stopped);
  lua_setfield(L, -2, "interrupted");
  lua_pushstring(L, r.why);
  lua_setfield(L, -2, "why");
  return 1;
}
