/* aelab.Optimizer: SGD, Adam, RMSprop and Adadelta over a model's flat arena
 * (the full-batch ones, LBFGS, CG and Powell, are in lminimize.c). */
#include "glue.h"

#include <stdio.h>
#include <stdlib.h>

static void optim_free(void *p) { ae_optim_free(p); }
static void optim_tostring(lua_State *L, void *p);

const ae_lua_type_t ae_lua_optim_type = {
    AE_OPTIM_MT, "Optimizer", "optimizer", sizeof(ae_lua_box_t), optim_free, NULL, optim_tostring,
};

static lua_Number field(lua_State *L, int t, const char *name, lua_Number def) {
  lua_getfield(L, t, name);
  lua_Number v = def;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tonumberx(L, -1, &ok);
    if (!ok) luaL_error(L, "optimizer option '%s' must be a number, got %s", name, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

/* Options with none given: Adam() and Adam(nil) both mean Adam{} (before,
 * Adam(nil) pushed the empty table above the nil and then checked the nil). */
static void check_opts(lua_State *L, const char *who, const char *const *allowed) {
  lua_settop(L, 1);
  if (lua_isnil(L, 1)) {
    lua_newtable(L);
    lua_replace(L, 1);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  ae_lua_check_options(L, 1, who, allowed);
}

/* Adam{lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7, weight_decay=0}: Keras' eps. */
static int l_adam(lua_State *L) {
  static const char *const keys[] = {"beta1", "beta2", "eps", "lr", "weight_decay", NULL};
  check_opts(L, "Adam", keys);
  float lr = (float)field(L, 1, "lr", 1e-3), beta1 = (float)field(L, 1, "beta1", 0.9),
        beta2 = (float)field(L, 1, "beta2", 0.999), eps = (float)field(L, 1, "eps", 1e-7),
        weight_decay = (float)field(L, 1, "weight_decay", 0.0);
  ae_lua_box_t *b = ae_lua_newbox(L, &ae_lua_optim_type, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_optim_adam_new(lr, beta1, beta2, eps, weight_decay, &e), &e);
  return 1;
}

/* RMSprop{lr=1e-3, rho=0.9, eps=1e-7, weight_decay=0} and
 * Adadelta{lr=1e-3, rho=0.95, eps=1e-7, weight_decay=0}: Keras' defaults.
 * Same options, different rho default and constructor. */
static int rho_optim(lua_State *L, const char *name, double rho_default,
                     ae_optim_t *(*make)(float, float, float, float, ae_error_t *)) {
  static const char *const keys[] = {"eps", "lr", "rho", "weight_decay", NULL};
  check_opts(L, name, keys);
  float lr = (float)field(L, 1, "lr", 1e-3), rho = (float)field(L, 1, "rho", rho_default),
        eps = (float)field(L, 1, "eps", 1e-7), weight_decay = (float)field(L, 1, "weight_decay", 0.0);
  ae_lua_box_t *b = ae_lua_newbox(L, &ae_lua_optim_type, 0);
  ae_error_t e;
  ae_lua_fill(L, b, make(lr, rho, eps, weight_decay, &e), &e);
  return 1;
}

static int l_rmsprop(lua_State *L) { return rho_optim(L, "RMSprop", 0.9, ae_optim_rmsprop_new); }
static int l_adadelta(lua_State *L) { return rho_optim(L, "Adadelta", 0.95, ae_optim_adadelta_new); }

/* SGD{lr=0.01, momentum=0, nesterov=false, weight_decay=0} */
static int l_sgd(lua_State *L) {
  static const char *const keys[] = {"lr", "momentum", "nesterov", "weight_decay", NULL};
  check_opts(L, "SGD", keys);
  lua_getfield(L, 1, "nesterov");
  int nesterov = lua_toboolean(L, -1);
  lua_pop(L, 1);
  float lr = (float)field(L, 1, "lr", 0.01), momentum = (float)field(L, 1, "momentum", 0.0),
        weight_decay = (float)field(L, 1, "weight_decay", 0.0);
  ae_lua_box_t *b = ae_lua_newbox(L, &ae_lua_optim_type, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_optim_sgd_new(lr, momentum, nesterov, weight_decay, &e), &e);
  return 1;
}

/* update(params, grads): one step on any flat pair of tensors. */
static int m_update(lua_State *L) {
  ae_optim_t *o = ae_lua_checkoptim(L, 1);
  ae_tensor_t *p = ae_lua_checktensor(L, 2), *g = ae_lua_checktensor(L, 3);
  if (ae_tensor_numel(p) != ae_tensor_numel(g))
    return luaL_error(L, "optimizer update: %d parameters but %d gradients", (int)ae_tensor_numel(p),
                      (int)ae_tensor_numel(g));
  ae_error_t e;
  if (ae_optim_step(o, ae_tensor_data(p), ae_tensor_data(g), ae_tensor_numel(p), &e)) return ae_lua_raise(L, &e);
  return 0;
}

static int m_reset(lua_State *L) {
  ae_optim_reset(ae_lua_checkoptim(L, 1));
  return 0;
}

static int m_steps(lua_State *L) {
  lua_pushinteger(L, ae_lua_checkoptim(L, 1)->t);
  return 1;
}

static int m_set_lr(lua_State *L) {
  ae_optim_t *o = ae_lua_checkoptim(L, 1);
  lua_Number lr = luaL_checknumber(L, 2);
  luaL_argcheck(L, lr > 0, 2, "learning rate must be positive");
  o->lr = (float)lr;
  return 0;
}

static int m_lr(lua_State *L) {
  lua_pushnumber(L, ae_lua_checkoptim(L, 1)->lr);
  return 1;
}

/* [-0, +0] t[key] = v, a float32 as its shortest decimal (0.001, not 0.0010000000475) */
static void set_float(lua_State *L, const char *key, float v) {
  char buf[32];
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
    if (strtof(buf, NULL) == v) break;
  }
  lua_pushnumber(L, strtod(buf, NULL));
  lua_setfield(L, -2, key);
}

/* config() → {kind = "Adam", lr =, beta1 =, beta2 =, eps =, weight_decay =},
 * {kind = "SGD", lr =, momentum =, nesterov =, weight_decay =} or
 * {kind = "RMSprop"|"Adadelta", lr =, rho =, eps =, weight_decay =}: the
 * settings, as its constructor takes them (a model file keeps them). */
static int m_config(lua_State *L) {
  ae_optim_t *o = ae_lua_checkoptim(L, 1);
  lua_createtable(L, 0, 6);
  lua_pushstring(L, ae_optim_name(o));
  lua_setfield(L, -2, "kind");
  set_float(L, "lr", o->lr);
  if (o->kind == AE_OPTIM_RMSPROP || o->kind == AE_OPTIM_ADADELTA) {
    set_float(L, "rho", o->rho);
    set_float(L, "eps", o->eps);
  } else if (o->kind == AE_OPTIM_ADAM) {
    set_float(L, "beta1", o->beta1);
    set_float(L, "beta2", o->beta2);
    set_float(L, "eps", o->eps);
  } else {
    set_float(L, "momentum", o->momentum);
    lua_pushboolean(L, o->nesterov);
    lua_setfield(L, -2, "nesterov");
  }
  set_float(L, "weight_decay", o->weight_decay);
  return 1;
}

/* "Adam{lr=0.001, ...}" [-0, +1] */
static void optim_tostring(lua_State *L, void *p) {
  ae_optim_t *o = p;
  if (o->kind == AE_OPTIM_RMSPROP || o->kind == AE_OPTIM_ADADELTA)
    lua_pushfstring(L, "%s{lr=%f, rho=%f, eps=%f}", ae_optim_name(o), (double)o->lr, (double)o->rho, (double)o->eps);
  else if (o->kind == AE_OPTIM_ADAM)
    lua_pushfstring(L, "Adam{lr=%f, beta1=%f, beta2=%f, eps=%f}", (double)o->lr, (double)o->beta1,
                    (double)o->beta2, (double)o->eps);
  else
    lua_pushfstring(L, "SGD{lr=%f, momentum=%f%s}", (double)o->lr, (double)o->momentum,
                    o->nesterov ? ", nesterov=true" : "");
}

static const luaL_Reg methods[] = {
    {"update", m_update}, {"reset", m_reset}, {"steps", m_steps}, {"set_lr", m_set_lr}, {"lr", m_lr}, {"config", m_config}, {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"Adam", l_adam}, {"SGD", l_sgd}, {"RMSprop", l_rmsprop}, {"Adadelta", l_adadelta},
    {"minimize", ae_lua_minimize}, {NULL, NULL},
};

int luaopen_aelab_optim(lua_State *L) {
  ae_lua_createmeta(L, &ae_lua_optim_type, methods, NULL);
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  return 1;
}
