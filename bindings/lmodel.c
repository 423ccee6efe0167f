/* aelab.Model: a chain of layers with one parameter arena (Sequential and
 * Autoencoder share it; the pure-Lua part adds encode/decode/fit/summary).
 * User values: 1 = table of the layer userdata (keeps them alive),
 * 2 = the optimizer used by step(). */
#include "glue.h"

#include <limits.h>
#include <string.h>

static void model_free(void *p) { ae_model_free(p); }

/* No C __tostring: aelab.lua's summary replaces it. */
static const ae_lua_type_t model_type = {
    AE_MODEL_MT, "Model", "model", sizeof(ae_lua_box_t), model_free, NULL, NULL,
};

static ae_model_t *check_model(lua_State *L, int arg) { return ae_lua_check(L, arg, &model_type); }

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
      lua_Integer d = luaL_checkinteger(L, -1);
      luaL_argcheck(L, d >= 1 && d <= (1 << 24), 3, "input sizes must be positive integers");
      input.d[i] = (int)d;
      lua_pop(L, 1);
    }
  }
  ae_rng_t *rng = ae_lua_rng(L);
  ae_lua_box_t *u = ae_lua_newbox(L, &model_type, 2); /* layers code input ud */
  int ud = lua_gettop(L);
  /* layers into a C array; the userdata stay referenced by the model */
  ae_layer_t *stack_layers[64];
  ae_layer_t **layers = n <= 64 ? stack_layers : lua_newuserdatauv(L, (size_t)n * sizeof *layers, 0);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    ae_lua_box_t *lb = luaL_testudata(L, -1, AE_LAYER_MT);
    if (!lb) return luaL_error(L, "model: element %d is a %s, not a layer", i + 1, luaL_typename(L, -1));
    if (!lb->p) return luaL_error(L, "model: element %d is a closed layer", i + 1);
    layers[i] = lb->p;
    lua_seti(L, -2, i + 1);
  }
  lua_setiuservalue(L, ud, 1);
  ae_error_t e;
  ae_model_t *m = ae_lua_fill(L, u, ae_model_new(layers, n, code, input.nd ? &input : NULL, &e), &e);
  m->rng = rng; /* the registry keeps it alive as long as the state */
  lua_settop(L, ud);
  return 1;
}

static int rows(const ae_tensor_t *x) { return x->ndim == 1 ? 1 : x->shape[0]; }

/* forward(x [, from, to [, chunk]]): layers from..to (1-based, inclusive) on x,
 * chunk rows at a time (0: the core chooses). */
static int m_forward(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2);
  int from = (int)luaL_optinteger(L, 3, 1) - 1, to = (int)luaL_optinteger(L, 4, m->n);
  luaL_argcheck(L, from >= 0 && from < m->n, 3, "first layer out of range");
  luaL_argcheck(L, to > from && to <= m->n, 4, "last layer out of range");
  int chunk = (int)luaL_optinteger(L, 5, 0); /* every check before the tensor is made */
  int shape[AE_MAXDIM] = {rows(x)};
  const ae_shape_t *s = &m->shape[to];
  for (int i = 0; i < s->nd; i++) shape[i + 1] = s->d[i];
  ae_lua_box_t *b = ae_lua_newtensor(L); /* ... y */
  ae_error_t e;
  ae_tensor_t *y = ae_lua_fill(L, b, ae_tensor_new(s->nd + 1, shape, &e), &e);
  if (ae_model_forward(m, y, x, from, to, chunk, &e)) return ae_lua_raise(L, &e);
  return 1;
}

static int m_set_loss(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_error_t e;
  if (ae_model_set_loss(m, luaL_checkstring(L, 2), &e)) return ae_lua_raise(L, &e);
  return 0;
}

/* set_training(bool) → the previous mode: whether forward/loss run Dropout
 * as in training (steps always do); training()/evaluate() in
 * aelab/models.lua call it, and code that must evaluate puts it back. */
static int m_set_training(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  lua_pushboolean(L, m->training);
  m->training = lua_toboolean(L, 2);
  return 1;
}

/* loss_name() → the loss's name, "mse" say: what set_loss chose */
static int m_loss_name(lua_State *L) {
  lua_pushstring(L, check_model(L, 1)->loss.ops->name);
  return 1;
}

static int m_set_optimizer(lua_State *L) { /* nil: none (a failed fit puts back what it found) */
  check_model(L, 1);
  if (!lua_isnoneornil(L, 2)) ae_lua_checkoptim(L, 2);
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 1, 2);
  return 0;
}

static int m_optimizer(lua_State *L) {
  check_model(L, 1);
  lua_getiuservalue(L, 1, 2);
  return 1;
}

/* The model's optimizer (user value 2), or a Lua error naming `who`. */
static ae_optim_t *model_optim(lua_State *L, const char *who) {
  if (lua_getiuservalue(L, 1, 2) != LUA_TUSERDATA) luaL_error(L, "%s: the model has no optimizer", who);
  ae_lua_box_t *ob = luaL_checkudata(L, -1, AE_OPTIM_MT);
  if (!ob->p) luaL_error(L, "%s: the model's optimizer was closed", who);
  lua_pop(L, 1);
  return ob->p;
}

/* [-0, +1] a copy of n floats as a 1-D tensor */
static void push_copy(lua_State *L, const float *v, size_t n) {
  int shape[1] = {(int)n};
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_tensor_t *t = ae_lua_fill(L, b, ae_tensor_new(1, shape, &e), &e);
  memcpy(ae_tensor_data(t), v, n * sizeof(float));
}

/* optimizer_state() → {t = steps, m = Tensor, v = Tensor, counts = {{from,
 * updates}, ...}}: copies of the optimizer's state over this model's arena
 * (m, v absent where the kind keeps none; counts: each segment's own
 * update count, from its 0-based first value); {t = 0} before its first
 * step here. For checkpoints. */
static int m_optimizer_state(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_optim_t *o = model_optim(L, "optimizer_state");
  ae_error_t e;
  if (ae_model_pack(m, &e)) return ae_lua_raise(L, &e);
  size_t n = ae_tensor_numel(m->params);
  int live = o->owner == ae_tensor_data(m->params) && o->n == n;
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, live ? o->t : 0);
  lua_setfield(L, -2, "t");
  if (live && o->m) {
    push_copy(L, o->m, n);
    lua_setfield(L, -2, "m");
  }
  if (live && o->v) {
    push_copy(L, o->v, n);
    lua_setfield(L, -2, "v");
  }
  if (live && o->nseg > 0) {
    lua_createtable(L, o->nseg, 0);
    for (int s = 0; s < o->nseg; s++) {
      lua_createtable(L, 2, 0);
      lua_pushinteger(L, (lua_Integer)o->seg_lo[s]);
      lua_rawseti(L, -2, 1);
      lua_pushinteger(L, o->seg_t[s]);
      lua_rawseti(L, -2, 2);
      lua_rawseti(L, -2, s + 1);
    }
    lua_setfield(L, -2, "counts");
  }
  return 1;
}

/* The counts of a saved state ({{from, updates}, ...}, at stack index i)
 * for an arena of n values, read into two arrays on the stack (so a bad
 * list is an error before anything changes); 0 when absent. */
static int read_counts(lua_State *L, int i, size_t n, size_t **lo, long **t) {
  if (lua_isnil(L, i)) return 0;
  luaL_checktype(L, i, LUA_TTABLE);
  lua_Integer k = luaL_len(L, i);
  if (k < 1 || (size_t)k > n + 1) return luaL_error(L, "set_optimizer_state: counts must list 1..%d segments", (int)n + 1);
  *lo = lua_newuserdatauv(L, (size_t)k * sizeof **lo, 0);
  *t = lua_newuserdatauv(L, (size_t)k * sizeof **t, 0);
  for (int s = 0; s < (int)k; s++) {
    lua_geti(L, i, s + 1);
    int ok = lua_istable(L, -1);
    lua_Integer v[2] = {-1, -1};
    for (int j = 0; ok && j < 2; j++) {
      lua_geti(L, -1, j + 1);
      int isint;
      v[j] = lua_tointegerx(L, -1, &isint);
      ok = isint && v[j] >= 0;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    /* ascending from 0, inside the arena */
    ok = ok && (s == 0 ? v[0] == 0 : (size_t)v[0] > (*lo)[s - 1] && (size_t)v[0] < n);
    if (!ok)
      return luaL_error(L, "set_optimizer_state: counts[%d] must be {from, updates}: integers ≥ 0, from 0 for the "
                        "first and ascending below %d", s + 1, (int)n);
    (*lo)[s] = (size_t)v[0];
    (*t)[s] = (long)v[1];
  }
  return (int)k;
}

/* set_optimizer_state{t =, m =, v = [, counts =]}: what optimizer_state()
 * gave, put back so the next step continues it (tensors of param_count()
 * values; without counts every value's own count is t). */
static int m_set_optimizer_state(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  ae_optim_t *o = model_optim(L, "set_optimizer_state");
  ae_error_t e;
  if (ae_model_pack(m, &e)) return ae_lua_raise(L, &e);
  size_t n = ae_tensor_numel(m->params);
  lua_getfield(L, 2, "t");
  lua_Integer t = luaL_checkinteger(L, -1);
  const float *mv[2] = {NULL, NULL};
  static const char *const keys[2] = {"m", "v"};
  for (int i = 0; i < 2; i++) {
    lua_getfield(L, 2, keys[i]);
    if (lua_isnil(L, -1)) continue;
    ae_tensor_t *x = ae_lua_totensor(L, -1);
    if (!x) return luaL_error(L, "set_optimizer_state: %s must be a tensor", keys[i]);
    if (ae_tensor_numel(x) != n)
      return luaL_error(L, "set_optimizer_state: %s has %d values, the model %d parameters", keys[i],
                        (int)ae_tensor_numel(x), (int)n);
    mv[i] = ae_tensor_data(x);
  }
  lua_getfield(L, 2, "counts");
  size_t *lo = NULL;
  long *ct = NULL;
  int k = read_counts(L, lua_gettop(L), n, &lo, &ct);
  if (ae_optim_set_state(o, ae_tensor_data(m->params), n, (long)t, mv[0], mv[1], &e)) return ae_lua_raise(L, &e);
  if (k && ae_optim_set_counts(o, k, lo, ct, &e)) return ae_lua_raise(L, &e); /* checked: only memory can fail */
  return 0;
}

/* step(x, target [, want_loss=true]) → loss, terms (the layers' loss terms within
 * loss, e.g. a VAE's β·KL; 0 without any), correct (rows of the batch whose
 * largest output was their label, under a loss on class labels; else 0);
 * nil when the loss was not asked for */
static int m_step(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2), *t = ae_lua_checktensor(L, 3);
  int want = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
  if (lua_getiuservalue(L, 1, 2) != LUA_TUSERDATA)
    return luaL_error(L, "step: the model has no optimizer; call model:compile{optimizer = ...} first");
  ae_lua_box_t *ob = luaL_checkudata(L, -1, AE_OPTIM_MT);
  if (!ob->p) return luaL_error(L, "step: the model's optimizer was closed; compile the model again");
  ae_optim_t *o = ob->p;
  double loss = 0;
  ae_error_t e;
  if (ae_model_step(m, x, t, o, want, &loss, &e)) return ae_lua_raise(L, &e);
  if (!want) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushnumber(L, loss);
  lua_pushnumber(L, m->terms); /* the layers' loss terms within loss (a VAE's β·KL; 0 without any) */
  lua_pushinteger(L, m->correct); /* rows whose largest output was their label (a loss on labels) */
  return 3;
}

/* apply_gradients() takes step()'s update from the gradients as they are
 * (data-parallel fit sums them over ranks first); frozen layers stay put */
static int m_apply_gradients(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  if (lua_getiuservalue(L, 1, 2) != LUA_TUSERDATA)
    return luaL_error(L, "apply_gradients: the model has no optimizer; call model:compile{optimizer = ...} first");
  ae_lua_box_t *ob = luaL_checkudata(L, -1, AE_OPTIM_MT);
  if (!ob->p) return luaL_error(L, "apply_gradients: the model's optimizer was closed; compile the model again");
  ae_error_t e;
  if (ae_model_apply_gradients(m, ob->p, &e)) return ae_lua_raise(L, &e);
  return 0;
}

/* skip_draw(): the random draw a step makes (for noise, Dropout), made and
 * dropped: a rank with no rows in a batch stays in step with the others */
static int m_skip_draw(lua_State *L) {
  ae_model_skip_draw(check_model(L, 1));
  return 0;
}

/* classes() → C, the output's width, when the loss takes class labels
 * (cross_entropy); nil for a loss on targets shaped like the output */
static int m_classes(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  const ae_loss_ops_t *ops = m->loss.ops;
  int C = (int)ae_shape_numel(&m->shape[m->n]);
  if (!ops->target_cols || ops->target_cols(&m->loss, C) != 1) return 0;
  lua_pushinteger(L, C);
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

/* gradient(x, target [, want_dx [, row0]]) → loss [, dx]: gradients land in
 * the arena. row0: the number of x's first row in a larger batch that x is
 * a shard of (a rank's, under MPI): noise and Dropout then draw for those
 * rows what one process would draw for the whole batch. */
static int m_gradient(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2), *t = ae_lua_checktensor(L, 3);
  int want_dx = lua_toboolean(L, 4);
  lua_Integer row0 = luaL_optinteger(L, 5, 0);
  luaL_argcheck(L, row0 >= 0 && row0 <= 2147483647 - (lua_Integer)ae_tensor_numel(x), 5,
                "row0 must be a row number ≥ 0");
  lua_settop(L, 3);
  ae_error_t e;
  ae_tensor_t *dx = NULL;
  if (want_dx) { /* self x t dx */
    ae_lua_box_t *b = ae_lua_newtensor(L);
    dx = ae_lua_fill(L, b, ae_tensor_new(x->ndim, x->shape, &e), &e);
  }
  double loss;
  m->row_base = (int)row0;
  int rc = ae_model_gradient(m, x, t, dx, &loss, &e);
  m->row_base = 0;
  if (rc) return ae_lua_raise(L, &e);
  lua_pushnumber(L, loss); /* self x t [dx] loss */
  if (!dx) return 1;
  lua_insert(L, -2); /* self x t loss dx */
  return 2;
}

/* parameters() → flat params, flat grads (views of the arenas) */
static int m_parameters(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_error_t e;
  if (ae_model_pack(m, &e)) return ae_lua_raise(L, &e);
  ae_lua_box_t *b = ae_lua_newtensor(L); /* params */
  ae_lua_fill(L, b, ae_tensor_view(m->params, 0, 1, m->params->shape, &e), &e);
  b = ae_lua_newtensor(L); /* params grads */
  ae_lua_fill(L, b, ae_tensor_view(m->grads, 0, 1, m->grads->shape, &e), &e);
  return 2;
}

/* zeroGrad(): the gradients of every layer, back in this model's arena */
static int m_zero_grad(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_error_t e;
  if (ae_model_pack(m, &e)) return ae_lua_raise(L, &e);
  ae_model_zero_grad(m);
  return 0;
}

static int m_param_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ae_model_param_count(check_model(L, 1)));
  return 1;
}

/* trainable_count() → how many parameter values a step or a minimizer
 * moves: param_count() less the frozen layers' (a tied weight counted once). */
static int m_trainable_count(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_error_t e;
  if (ae_model_trainable_spans(m, &e)) return ae_lua_raise(L, &e);
  size_t n = 0;
  for (int s = 0; s < m->nspans; s++) n += m->spans[2 * s + 1] - m->spans[2 * s];
  lua_pushinteger(L, (lua_Integer)n);
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
  const char *kind = luaL_optstring(L, 2, "none");
  ae_error_t e;
  ae_penalty_t p = {strcmp(kind, "none") ? ae_penalty_find(kind, &e) : NULL, (int)luaL_optinteger(L, 4, 0),
                    (float)luaL_optnumber(L, 3, 0), (float)luaL_optnumber(L, 5, 0.05), 0};
  if (!p.ops && strcmp(kind, "none") != 0) return ae_lua_raise(L, &e);
  if (ae_penalty_attach(m, &p, &e)) return ae_lua_raise(L, &e);
  return 0;
}

/* hold_rho_hat(t | nil [, offset]): a KL penalty's ρ̂ from t (its numel = the
 * layer's units), e.g. the mean over the whole training set, instead of the
 * batch's; with offset true, ρ̂ = t + the batch's mean; nil goes back to the
 * batch's. */
static int m_hold_rho_hat(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  ae_error_t e;
  if (lua_isnoneornil(L, 2)) {
    ae_penalty_hold_rho_hat(m, NULL, 0, 0, &e);
    return 0;
  }
  ae_tensor_t *t = ae_lua_checktensor(L, 2);
  size_t n = ae_tensor_numel(t);
  luaL_argcheck(L, n <= (size_t)INT_MAX, 2, "too many values for a ρ̂");
  if (ae_penalty_hold_rho_hat(m, ae_tensor_data(t), (int)n, lua_toboolean(L, 3), &e)) return ae_lua_raise(L, &e);
  return 0;
}

/* penalty() → kind, layer (nil when none) */
static int m_penalty(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  if (!m->penalty.ops) return 0;
  lua_pushstring(L, m->penalty.ops->name);
  lua_pushinteger(L, m->penalty.layer);
  return 2;
}

/* corrupt(x, kind, level [, lo, hi]) → a corrupted copy of x, from the one RNG */
static int l_corrupt(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  ae_noise_t n = check_noise(L, 2);
  ae_error_t e;
  if (ae_noise_check(&n, &e)) return ae_lua_raise(L, &e);
  uint64_t seed = ae_rng_u64(ae_lua_rng(L));
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_tensor_t *y = ae_lua_fill(L, b, ae_tensor_new(x->ndim, x->shape, &e), &e);
  int B = rows(x);
  ae_noise_apply(&n, ae_tensor_data(y), ae_tensor_data(x), B, B ? ae_tensor_numel(x) / (size_t)B : 0, seed, 0);
  return 1;
}

/* layer_seconds([reset]) → {{forward=s, backward=s, rows=n, forward_flops=f,
 * backward_flops=f}, ...}: wall time per layer in thread 0's rows (n of
 * them) of the training steps so far, and the layer's operations per row;
 * reset: start over. A ReLU fused into the Conv2D before it (model.c's
 * fused) shows ~0 here, its cost in the conv's row. */
static int m_layer_seconds(lua_State *L) {
  ae_model_t *m = check_model(L, 1);
  lua_createtable(L, m->n, 0);
  for (int i = 0; i < m->n; i++) {
    double ff, fb;
    ae_model_layer_flops(m, i, &ff, &fb);
    lua_createtable(L, 0, 5);
    lua_pushnumber(L, m->seconds[2 * i]);
    lua_setfield(L, -2, "forward");
    lua_pushnumber(L, m->seconds[2 * i + 1]);
    lua_setfield(L, -2, "backward");
    lua_pushnumber(L, m->timed_rows);
    lua_setfield(L, -2, "rows");
    lua_pushnumber(L, ff);
    lua_setfield(L, -2, "forward_flops");
    lua_pushnumber(L, fb);
    lua_setfield(L, -2, "backward_flops");
    lua_rawseti(L, -2, i + 1);
  }
  if (lua_toboolean(L, 2)) ae_model_reset_seconds(m);
  return 1;
}

/* loss(kind, y, t) → the mean loss per value of y against t, as a model
 * computes it (BCE on probabilities, clamped as Keras does) */
static int l_loss(lua_State *L) {
  ae_error_t e;
  const ae_loss_ops_t *loss = ae_loss_find(luaL_checkstring(L, 1), &e);
  if (!loss) return ae_lua_raise(L, &e);
  if (loss->target_cols) return luaL_error(L, "%s: takes class labels; use ae.cross_entropy(logits, labels)", loss->name);
  ae_tensor_t *y = ae_lua_checktensor(L, 2), *t = ae_lua_checktensor(L, 3);
  size_t n = ae_tensor_numel(y);
  if (ae_tensor_numel(t) != n)
    return luaL_error(L, "%s: the tensors have %d and %d values", loss->name, (int)n, (int)ae_tensor_numel(t));
  if (n > (size_t)INT_MAX) return luaL_error(L, "%s: %zu values, more than one call takes", loss->name, n);
  ae_loss_t self = {loss}; /* all values as one row: the mean over them */
  lua_pushnumber(L, n == 0 ? 0.0 / 0.0 : loss->value(&self, NULL, ae_tensor_data(y), ae_tensor_data(t), 1, (int)n, 1, 1));
  return 1;
}

/* cross_entropy(logits, labels) → the mean softmax cross-entropy of rows of
 * logits [N×C] against N 0-based labels, as a model computes it */
static int l_cross_entropy(lua_State *L) {
  ae_tensor_t *z = ae_lua_checktensor(L, 1), *t = ae_lua_checktensor(L, 2);
  luaL_argcheck(L, z->ndim == 2, 1, "logits must be a matrix [N×C]");
  int N = z->shape[0], C = z->shape[1];
  if (ae_tensor_numel(t) != (size_t)N)
    return luaL_error(L, "cross_entropy: %d rows of logits but %d labels", N, (int)ae_tensor_numel(t));
  ae_error_t e;
  if (ae_loss_check_labels(ae_tensor_data(t), (size_t)N, C, "cross_entropy", &e)) return ae_lua_raise(L, &e);
  lua_pushnumber(L, ae_loss_softmax_ce(NULL, ae_tensor_data(z), ae_tensor_data(t), N, C, (double)N, 1));
  return 1;
}

/* check_labels(t, C, who) → t, or an error saying which label is not a
 * 0-based class of C (the one check fit, the model and cross_entropy use) */
static int l_check_labels(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  int C = (int)luaL_checkinteger(L, 2);
  ae_error_t e;
  if (ae_loss_check_labels(ae_tensor_data(t), ae_tensor_numel(t), C, luaL_optstring(L, 3, "labels"), &e))
    return ae_lua_raise(L, &e);
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg methods[] = {
    {"forward", m_forward},       {"set_loss", m_set_loss},       {"loss_name", m_loss_name},
    {"set_training", m_set_training},
    {"set_optimizer", m_set_optimizer}, {"optimizer", m_optimizer},
    {"optimizer_state", m_optimizer_state}, {"set_optimizer_state", m_set_optimizer_state}, {"step", m_step}, {"apply_gradients", m_apply_gradients}, {"skip_draw", m_skip_draw},
    {"loss", m_loss},             {"gradient", m_gradient},       {"parameters", m_parameters},
    {"zeroGrad", m_zero_grad},    {"param_count", m_param_count},
    {"trainable_count", m_trainable_count}, {"layers", m_layers},
    {"shapes", m_shapes},         {"code_index", m_code_index},   {"set_noise", m_set_noise},
    {"set_penalty", m_set_penalty}, {"penalty", m_penalty}, {"hold_rho_hat", m_hold_rho_hat},
    {"layer_seconds", m_layer_seconds}, {"classes", m_classes},
    {NULL, NULL},
};

int luaopen_aelab_model(lua_State *L) {
  ae_lua_createmeta(L, &model_type, methods, NULL); /* mt */
  lua_createtable(L, 0, 5);                         /* mt lib */
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "new");
  lua_pushcfunction(L, l_corrupt);
  lua_setfield(L, -2, "corrupt");
  lua_pushcfunction(L, l_loss);
  lua_setfield(L, -2, "loss");
  lua_pushcfunction(L, l_cross_entropy);
  lua_setfield(L, -2, "cross_entropy");
  lua_pushcfunction(L, l_check_labels);
  lua_setfield(L, -2, "check_labels");
  ae_lua_pushis(L, &model_type);
  lua_setfield(L, -2, "is_model");
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "metatable"); /* the pure-Lua part adds methods and __tostring */
  lua_remove(L, -2);
  return 1;
}
