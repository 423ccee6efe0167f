/* aelab.Optimizer: SGD and Adam over a model's flat arena. */
#include "glue.h"

typedef struct {
  ae_optim_t *o; /* NULL once closed */
} loptim_t;

ae_optim_t *ae_lua_checkoptim(lua_State *L, int arg) {
  loptim_t *u = luaL_checkudata(L, arg, AE_OPTIM_MT);
  if (!u->o) luaL_argerror(L, arg, "optimizer was closed");
  return u->o;
}

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

static void push_optim(lua_State *L, ae_optim_t *o, const ae_error_t *e) {
  if (!o) {
    ae_lua_raise(L, e);
    return;
  }
  loptim_t *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->o = NULL;
  luaL_setmetatable(L, AE_OPTIM_MT);
  u->o = o;
}

/* Adam{lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7, weight_decay=0}: Keras' eps. */
static int l_adam(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  ae_error_t e;
  push_optim(L,
             ae_optim_adam_new((float)field(L, 1, "lr", 1e-3), (float)field(L, 1, "beta1", 0.9),
                               (float)field(L, 1, "beta2", 0.999), (float)field(L, 1, "eps", 1e-7),
                               (float)field(L, 1, "weight_decay", 0.0), &e),
             &e);
  return 1;
}

/* SGD{lr=0.01, momentum=0, nesterov=false, weight_decay=0} */
static int l_sgd(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "nesterov");
  int nesterov = lua_toboolean(L, -1);
  lua_pop(L, 1);
  ae_error_t e;
  push_optim(L,
             ae_optim_sgd_new((float)field(L, 1, "lr", 0.01), (float)field(L, 1, "momentum", 0.0), nesterov,
                              (float)field(L, 1, "weight_decay", 0.0), &e),
             &e);
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

static int mm_tostring(lua_State *L) {
  loptim_t *u = luaL_checkudata(L, 1, AE_OPTIM_MT);
  ae_optim_t *o = u->o;
  if (!o) lua_pushliteral(L, "Optimizer (closed)");
  else if (o->kind == AE_OPTIM_ADAM)
    lua_pushfstring(L, "Adam{lr=%f, beta1=%f, beta2=%f, eps=%f}", (double)o->lr, (double)o->beta1,
                    (double)o->beta2, (double)o->eps);
  else
    lua_pushfstring(L, "SGD{lr=%f, momentum=%f%s}", (double)o->lr, (double)o->momentum,
                    o->nesterov ? ", nesterov=true" : "");
  return 1;
}

static int mm_gc(lua_State *L) {
  loptim_t *u = luaL_checkudata(L, 1, AE_OPTIM_MT);
  ae_optim_free(u->o);
  u->o = NULL;
  return 0;
}

static const luaL_Reg methods[] = {
    {"update", m_update}, {"reset", m_reset}, {"steps", m_steps}, {"set_lr", m_set_lr}, {"lr", m_lr}, {NULL, NULL},
};

static const luaL_Reg metamethods[] = {
    {"__index", NULL}, {"__gc", mm_gc}, {"__close", mm_gc}, {"__tostring", mm_tostring}, {NULL, NULL},
};

static const luaL_Reg functions[] = {{"Adam", l_adam}, {"SGD", l_sgd}, {NULL, NULL}};

int luaopen_aelab_optim(lua_State *L) {
  luaL_newmetatable(L, AE_OPTIM_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  return 1;
}
