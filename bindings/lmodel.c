/* aelab.Model: a chain of layers with one parameter arena (Sequential and
 * Autoencoder share it; the pure-Lua part adds encode/decode/fit/summary).
 * User values: 1 = table of the layer userdata (keeps them alive),
 * 2 = the optimizer used by step(). */
#include "glue.h"

#include <string.h>

typedef struct {
  ae_model_t *m; /* NULL once closed */
} lmodel_t;

static ae_model_t *check_model(lua_State *L, int arg) {
  lmodel_t *u = luaL_checkudata(L, arg, AE_MODEL_MT);
  if (!u->m) luaL_argerror(L, arg, "model was closed");
  return u->m;
}

/* new(layers, code [, input_shape]) */
static int l_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = (int)luaL_len(L, 1);
  int code = (int)luaL_optinteger(L, 2, n);
  luaL_argcheck(L, n >= 1, 1, "a model needs at least one layer");
  ae_shape_t input = {0, {0}};
  if (lua_istable(L, 3)) {
    input.nd = (int)luaL_len(L, 3);
    luaL_argcheck(L, input.nd >= 1 && input.nd <= 3, 3, "input shape needs 1 to 3 sizes");
    for (int i = 0; i < input.nd; i++) {
      lua_geti(L, 3, i + 1);
      input.d[i] = (int)luaL_checkinteger(L, -1);
      lua_pop(L, 1);
    }
  }
  lmodel_t *u = lua_newuserdatauv(L, sizeof *u, 2);
  u->m = NULL;
  luaL_setmetatable(L, AE_MODEL_MT);
  int ud = lua_gettop(L);
  /* layers into a C array; the userdata stay referenced by the model */
  ae_layer_t *stack_layers[64];
  ae_layer_t **layers = n <= 64 ? stack_layers : lua_newuserdatauv(L, (size_t)n * sizeof *layers, 0);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    if (!luaL_testudata(L, -1, AE_LAYER_MT))
      return luaL_error(L, "model: element %d is a %s, not a layer", i + 1, luaL_typename(L, -1));
    layers[i] = ae_lua_checklayer(L, -1);
    lua_seti(L, -2, i + 1);
  }
  lua_setiuservalue(L, ud, 1);
  ae_error_t e;
  u->m = ae_model_new(layers, n, code, input.nd ? &input : NULL, &e);
  if (!u->m) return ae_lua_raise(L, &e);
  u->m->rng = ae_lua_rng();
  lua_settop(L, ud);
  return 1;
}

static int rows(const ae_tensor_t *x) { return x->ndim == 1 ? 1 : x->shape[0]; }

/* forward(x [, from, to]): layers from..to (1-based, inclusive) on x. */
static int m_forward(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2);
  int from = (int)luaL_optinteger(L, 3, 1) - 1, to = (int)luaL_optinteger(L, 4, m->n);
  luaL_argcheck(L, from >= 0 && from < m->n, 3, "first layer out of range");
  luaL_argcheck(L, to > from && to <= m->n, 4, "last layer out of range");
  int shape[AE_MAXDIM] = {rows(x)};
  const ae_shape_t *s = &m->shape[to];
  for (int i = 0; i < s->nd; i++) shape[i + 1] = s->d[i];
  ae_error_t e;
  ae_tensor_t *y = ae_tensor_new(s->nd + 1, shape, &e);
  if (!y) return ae_lua_raise(L, &e);
  if (ae_model_forward(m, y, x, from, to, (int)luaL_optinteger(L, 5, 0), &e)) {
    ae_tensor_free(y);
    return ae_lua_raise(L, &e);
  }
  ae_lua_pushtensor(L, y, &e);
  return 1;
}

static int m_set_loss(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  static const char *const names[] = {"mse", "bce", NULL};
  m->loss = luaL_checkoption(L, 2, NULL, names) == 0 ? AE_LOSS_MSE : AE_LOSS_BCE;
  return 0;
}

/* set_training(bool): whether forward/loss run Dropout as in training
 * (steps always do); training()/evaluate() in aelab/models.lua call it. */
static int m_set_training(lua_State *L) {
  check_model(L, 1)->training = lua_toboolean(L, 2);
  return 0;
}

/* loss_name() → "mse" or "bce": what set_loss chose */
static int m_loss_name(lua_State *L) {
  lua_pushstring(L, ae_loss_name(check_model(L, 1)->loss));
  return 1;
}

static int m_set_optimizer(lua_State *L) {
  check_model(L, 1);
  ae_lua_checkoptim(L, 2);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 1, 2);
  return 0;
}

static int m_optimizer(lua_State *L) {
  check_model(L, 1);
  lua_getiuservalue(L, 1, 2);
  return 1;
}

/* step(x, target [, want_loss=true]) → loss (nil when not asked for) */
static int m_step(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2), *t = ae_lua_checktensor(L, 3);
  int want = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
  if (lua_getiuservalue(L, 1, 2) != LUA_TUSERDATA)
    return luaL_error(L, "step: the model has no optimizer; call model:compile{optimizer = ...} first");
  ae_optim_t *o = ae_lua_checkoptim(L, -1);
  double loss = 0;
  ae_error_t e;
  if (ae_model_step(m, x, t, o, want, &loss, &e)) return ae_lua_raise(L, &e);
  if (want) lua_pushnumber(L, loss);
  else lua_pushnil(L);
  return 1;
}

/* loss(x [, target=x [, chunk]]) → the mean loss of the model on x, in
 * evaluation mode unless training() was set; no gradients, no update. */
static int m_loss(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2), *t = lua_isnoneornil(L, 3) ? x : ae_lua_checktensor(L, 3);
  double loss;
  ae_error_t e;
  if (ae_model_evaluate(m, x, t, (int)luaL_optinteger(L, 4, 0), &loss, &e)) return ae_lua_raise(L, &e);
  lua_pushnumber(L, loss);
  return 1;
}

/* gradient(x, target [, want_dx]) → loss [, dx]: gradients land in the arena. */
static int m_gradient(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2), *t = ae_lua_checktensor(L, 3);
  ae_error_t e;
  ae_tensor_t *dx = NULL;
  if (lua_toboolean(L, 4)) {
    dx = ae_tensor_new(x->ndim, x->shape, &e);
    if (!dx) return ae_lua_raise(L, &e);
  }
  double loss;
  if (ae_model_gradient(m, x, t, dx, &loss, &e)) {
    ae_tensor_free(dx);
    return ae_lua_raise(L, &e);
  }
  lua_pushnumber(L, loss);
  if (!dx) return 1;
  ae_lua_pushtensor(L, dx, &e);
  return 2;
}

/* parameters() → flat params, flat grads (views of the arenas) */
static int m_parameters(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_error_t e;
  if (ae_model_pack(m, &e)) return ae_lua_raise(L, &e);
  ae_lua_pushtensor(L, ae_tensor_view(m->params, 0, 1, m->params->shape, &e), &e);
  ae_lua_pushtensor(L, ae_tensor_view(m->grads, 0, 1, m->grads->shape, &e), &e);
  return 2;
}

static int m_zero_grad(lua_State *L) {
  ae_model_zero_grad(check_model(L, 1));
  return 0;
}

static int m_param_count(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_error_t e;
  if (ae_model_pack(m, &e)) return ae_lua_raise(L, &e);
  lua_pushinteger(L, (lua_Integer)ae_model_param_count(m));
  return 1;
}

/* layers() → the layer userdata, in order */
static int m_layers(lua_State *L) {
  check_model(L, 1);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

/* shapes() → {{784}, {32}, ...}: shape[i] is the input of layer i, the last the output */
static int m_shapes(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  lua_createtable(L, m->n + 1, 0);
  for (int i = 0; i <= m->n; i++) {
    lua_createtable(L, m->shape[i].nd, 0);
    for (int k = 0; k < m->shape[i].nd; k++) {
      lua_pushinteger(L, m->shape[i].d[k]);
      lua_seti(L, -2, k + 1);
    }
    lua_seti(L, -2, i + 1);
  }
  return 1;
}

static int m_code_index(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  lua_pushinteger(L, m->code);
  lua_pushinteger(L, m->n);
  return 2;
}

/* Noise and penalties: the kind by name, then its numbers. */
static const char *const noise_kinds[] = {"none", "gaussian", "masking", "salt_pepper", NULL};
static const char *const penalty_kinds[] = {"none", "l1", "kl_sparsity", "contractive", NULL};

static ae_noise_t check_noise(lua_State *L, int arg) {
  ae_noise_t n = {luaL_checkoption(L, arg, "none", noise_kinds), (float)luaL_optnumber(L, arg + 1, 0),
                  (float)luaL_optnumber(L, arg + 2, 0), (float)luaL_optnumber(L, arg + 3, 1)};
  return n;
}

/* set_noise(kind, level [, lo=0, hi=1]): corrupt the input of each training step */
static int m_set_noise(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_noise_t n = check_noise(L, 2);
  ae_error_t e;
  if (ae_model_set_noise(m, &n, &e)) return ae_lua_raise(L, &e);
  return 0;
}

/* set_penalty(kind, lambda_or_beta [, layer=0 (the code), rho]) */
static int m_set_penalty(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_penalty_t p = {luaL_checkoption(L, 2, "none", penalty_kinds), (int)luaL_optinteger(L, 4, 0),
                    (float)luaL_optnumber(L, 3, 0), (float)luaL_optnumber(L, 5, 0.05)};
  ae_error_t e;
  if (ae_model_set_penalty(m, &p, &e)) return ae_lua_raise(L, &e);
  return 0;
}

/* penalty() → kind, layer (nil when none) */
static int m_penalty(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  if (m->penalty.kind == AE_PENALTY_NONE) return 0;
  lua_pushstring(L, penalty_kinds[m->penalty.kind]);
  lua_pushinteger(L, m->penalty.layer);
  return 2;
}

/* corrupt(x, kind, level [, lo, hi]) → a corrupted copy of x, from the one RNG */
static int l_corrupt(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  ae_noise_t n = check_noise(L, 2);
  ae_error_t e;
  if (ae_noise_check(&n, &e)) return ae_lua_raise(L, &e);
  ae_tensor_t *y = ae_tensor_new(x->ndim, x->shape, &e);
  if (!y) return ae_lua_raise(L, &e);
  int B = rows(x);
  ae_noise_apply(&n, ae_tensor_data(y), ae_tensor_data(x), B, B ? ae_tensor_numel(x) / (size_t)B : 0,
                 ae_rng_u64(ae_lua_rng()), 0);
  ae_lua_pushtensor(L, y, &e);
  return 1;
}

/* layer_seconds([reset]) → {{forward=s, backward=s}, ...}: wall time per
 * layer in thread 0's rows of the training steps so far; reset: start over. */
static int m_layer_seconds(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  lua_createtable(L, m->n, 0);
  for (int i = 0; i < m->n; i++) {
    lua_createtable(L, 0, 2);
    lua_pushnumber(L, m->seconds[2 * i]);
    lua_setfield(L, -2, "forward");
    lua_pushnumber(L, m->seconds[2 * i + 1]);
    lua_setfield(L, -2, "backward");
    lua_rawseti(L, -2, i + 1);
  }
  if (lua_toboolean(L, 2)) ae_model_reset_seconds(m);
  return 1;
}

/* loss(kind, y, t) → the mean loss per value of y against t, as a model
 * computes it (BCE on probabilities, clamped as Keras does) */
static int l_loss(lua_State *L) {
  static const char *const kinds[] = {"mse", "bce", NULL};
  int kind = luaL_checkoption(L, 1, NULL, kinds);
  ae_tensor_t *y = ae_lua_checktensor(L, 2), *t = ae_lua_checktensor(L, 3);
  size_t n = ae_tensor_numel(y);
  if (ae_tensor_numel(t) != n)
    return luaL_error(L, "%s: the tensors have %d and %d values", kinds[kind], (int)n, (int)ae_tensor_numel(t));
  const float *yd = ae_tensor_data(y), *td = ae_tensor_data(t);
  lua_pushnumber(L, n == 0 ? 0.0 / 0.0
                 : kind == AE_LOSS_MSE ? ae_loss_mse(NULL, yd, td, n, (double)n, 1)
                                       : ae_loss_bce(NULL, yd, td, n, (double)n, 1));
  return 1;
}

static int mm_gc(lua_State *L) {
  lmodel_t *u = luaL_checkudata(L, 1, AE_MODEL_MT);
  ae_model_free(u->m);
  u->m = NULL;
  return 0;
}

static const luaL_Reg methods[] = {
    {"forward", m_forward},       {"set_loss", m_set_loss},       {"loss_name", m_loss_name},
    {"set_training", m_set_training},
    {"set_optimizer", m_set_optimizer}, {"optimizer", m_optimizer}, {"step", m_step},
    {"loss", m_loss},             {"gradient", m_gradient},       {"parameters", m_parameters},
    {"zeroGrad", m_zero_grad},    {"param_count", m_param_count}, {"layers", m_layers},
    {"shapes", m_shapes},         {"code_index", m_code_index},   {"set_noise", m_set_noise},
    {"set_penalty", m_set_penalty}, {"penalty", m_penalty},       {"layer_seconds", m_layer_seconds},
    {NULL, NULL},
};

static const luaL_Reg metamethods[] = {
    {"__index", NULL}, {"__gc", mm_gc}, {"__close", mm_gc}, {NULL, NULL},
};

int luaopen_aelab_model(lua_State *L) {
  luaL_newmetatable(L, AE_MODEL_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "new");
  lua_pushcfunction(L, l_corrupt);
  lua_setfield(L, -2, "corrupt");
  lua_pushcfunction(L, l_loss);
  lua_setfield(L, -2, "loss");
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "metatable"); /* the pure-Lua part adds methods and __tostring */
  lua_remove(L, -2);
  return 1;
}
