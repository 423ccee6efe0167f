/* aelab.Layer: every layer type behind one userdata, Torch7-style:
 * forward(x), backward(x, dout) → din (accumulating parameter gradients),
 * zeroGrad(), parameters() → {weights}, {gradients}. */
#include "glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  ae_lua_box_t box; /* the ae_layer_t */
  int training;     /* forward/backward of this layer alone in training mode (Dropout drops) */
} llayer_t;

static void layer_free(void *p) { ae_layer_free(p); }

/* A layer that models (or a DenseTied) borrow outlives them: closing it by
 * hand (__close, or __gc called from Lua) then leaves the free to its
 * finalizer, which Lua runs after theirs (finalizers run in reverse order of
 * creation, and they keep it reachable until they are gone). */
static int layer_busy(const void *p) { return ((const ae_layer_t *)p)->users > 0; }

static void layer_tostring(lua_State *L, void *p) {
  char buf[96];
  lua_pushstring(L, ae_layer_name(p, buf, sizeof buf));
}

const ae_lua_type_t ae_lua_layer_type = {
    AE_LAYER_MT, "Layer", "layer", sizeof(llayer_t), layer_free, layer_busy, layer_tostring,
};

ae_lua_box_t *ae_lua_newlayer(lua_State *L, int nuv) { return ae_lua_newbox(L, &ae_lua_layer_type, nuv); }

static int layer_training(lua_State *L, int arg) {
  return ((llayer_t *)luaL_checkudata(L, arg, AE_LAYER_MT))->training;
}

int ae_lua_opt_init(lua_State *L, int arg, const char *who) {
  if (!lua_istable(L, arg)) return AE_INIT_GLOROT;
  lua_getfield(L, arg, "init");
  const char *s = luaL_optstring(L, -1, NULL);
  int init = AE_INIT_GLOROT;
  if (s) {
    if (strcmp(s, "glorot") == 0 || strcmp(s, "xavier") == 0) init = AE_INIT_GLOROT;
    else if (strcmp(s, "he") == 0 || strcmp(s, "kaiming") == 0) init = AE_INIT_HE;
    else luaL_error(L, "%s: unknown init '%s' (use 'glorot' or 'he')", who, s);
  }
  lua_pop(L, 1);
  return init;
}

static int l_dense(lua_State *L) {
  lua_Integer in = luaL_checkinteger(L, 1), out = luaL_checkinteger(L, 2);
  luaL_argcheck(L, in >= 1 && in <= (1 << 24), 1, "input size must be a positive integer");
  luaL_argcheck(L, out >= 1 && out <= (1 << 24), 2, "output size must be a positive integer");
  static const char *const keys[] = {"init", NULL};
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  ae_lua_check_options(L, 3, "Dense", keys);
  int init = ae_lua_opt_init(L, 3, "Dense");
  ae_rng_t *rng = ae_lua_rng(L);
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_dense_new((int)in, (int)out, init, rng, &e), &e);
  return 1;
}

/* DenseTied(dense): a decoder layer using dense's weight transposed; its
 * user value keeps dense alive. */
static int l_dense_tied(lua_State *L) {
  ae_layer_t *enc = ae_lua_checklayer(L, 1);
  ae_lua_box_t *b = ae_lua_newlayer(L, 1); /* dense tied */
  lua_pushvalue(L, 1);                     /* dense tied dense */
  lua_setiuservalue(L, -2, 1);             /* dense tied */
  ae_error_t e;
  ae_lua_fill(L, b, ae_dense_tied_new(enc, &e), &e);
  return 1;
}

/* GaussianSample(latent [, {beta = 1, salt = n}]): a VAE's sampling layer
 * (μ and log σ² in, z out) with its KL term; see core/gaussian_sample.c.
 * salt, the key of its ε stream, is drawn unless given (a model file's). */
static int l_gaussian_sample(lua_State *L) {
  lua_Integer latent = luaL_checkinteger(L, 1);
  luaL_argcheck(L, latent >= 1 && latent <= (1 << 24), 1, "latent size must be a positive integer");
  static const char *const keys[] = {"beta", "salt", NULL};
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  ae_lua_check_options(L, 2, "GaussianSample", keys);
  float beta = 1.0f;
  int has_salt = 0;
  lua_Integer salt = 0;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "beta");
    if (!lua_isnil(L, -1)) beta = (float)luaL_checknumber(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 2, "salt");
    if (!lua_isnil(L, -1)) {
      has_salt = 1;
      salt = luaL_checkinteger(L, -1);
    }
    lua_pop(L, 1);
  }
  ae_rng_t *rng = ae_lua_rng(L);
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_layer_t *l = ae_lua_fill(L, b, ae_gaussian_sample_new((int)latent, beta, rng, &e), &e);
  if (has_salt) ae_layer_set_salt(l, (uint64_t)salt);
  return 1;
}

static int act(lua_State *L, int kind, float slope) {
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_activation_new(kind, slope, &e), &e);
  return 1;
}
static int l_relu(lua_State *L) { return act(L, AE_ACT_RELU, 0.0f); }
static int l_leaky(lua_State *L) { return act(L, AE_ACT_LEAKY_RELU, (float)luaL_optnumber(L, 1, 0.01)); }
static int l_sigmoid(lua_State *L) { return act(L, AE_ACT_SIGMOID, 0.0f); }
static int l_tanh(lua_State *L) { return act(L, AE_ACT_TANH, 0.0f); }
static int l_identity(lua_State *L) { return act(L, AE_ACT_IDENTITY, 0.0f); }
static int l_softmax(lua_State *L) { return act(L, AE_ACT_SOFTMAX, 0.0f); }

/* Per-sample shape of x: rows first; a 1-D tensor is one sample. */
static void sample_shape(const ae_tensor_t *x, ae_shape_t *s, int *B) {
  if (x->ndim == 1) {
    s->nd = 1;
    s->d[0] = x->shape[0];
    *B = 1;
    return;
  }
  s->nd = x->ndim - 1;
  for (int i = 1; i < x->ndim; i++) s->d[i - 1] = x->shape[i];
  *B = x->shape[0];
}

/* [-0, +1] A new (B, s...) tensor, owned by a userdata. */
static ae_tensor_t *push_batch(lua_State *L, int B, const ae_shape_t *s) {
  int shape[AE_MAXDIM] = {B};
  for (int i = 0; i < s->nd; i++) shape[i + 1] = s->d[i];
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  return ae_lua_fill(L, b, ae_tensor_new(s->nd + 1, shape, &e), &e);
}

/* [-0, +1] y = layer l (the Layer at stack index 1) applied to x in one pass
 * of its own (its training flag, a fresh seed when it draws). */
static ae_tensor_t *push_forward(lua_State *L, ae_layer_t *l, const ae_tensor_t *x, const ae_shape_t *in,
                                 const ae_shape_t *out, int B, ae_pass_t *pass) {
  *pass = (ae_pass_t){0, 0, layer_training(L, 1), l->ops->random ? ae_rng_u64(ae_lua_rng(L)) : 0, B, 0};
  ae_tensor_t *y = push_batch(L, B, out);
  ae_error_t e;
  if (ae_layer_reserve(l, in, B, 1, &e)) ae_lua_raise(L, &e);
  l->ops->forward(l, ae_tensor_data(y), ae_tensor_data(x), in, B, pass);
  return y;
}

static int m_forward(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2);
  ae_shape_t in, out;
  int B;
  ae_error_t e;
  sample_shape(x, &in, &B);
  if (l->ops->infer(l, &in, &out, &e)) return ae_lua_raise(L, &e);
  ae_pass_t pass;
  push_forward(L, l, x, &in, &out, B, &pass); /* y */
  return 1;
}

/* backward(x, dout) → din; runs forward again for the output it needs. */
static int m_backward(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2), *dout = ae_lua_checktensor(L, 3);
  ae_shape_t in, out;
  int B;
  ae_error_t e;
  sample_shape(x, &in, &B);
  if (l->ops->infer(l, &in, &out, &e)) return ae_lua_raise(L, &e);
  if (ae_tensor_numel(dout) != (size_t)B * ae_shape_numel(&out)) {
    char a[64], b[64];
    return luaL_error(L, "%s backward: gradient has %d values, output is %d×%s", ae_layer_name(l, a, sizeof a),
                      (int)ae_tensor_numel(dout), B, ae_shape_str(&out, b, sizeof b));
  }
  lua_settop(L, 3);
  ae_pass_t pass;
  ae_tensor_t *y = push_forward(L, l, x, &in, &out, B, &pass); /* self x dout y */
  ae_tensor_t *din = push_batch(L, B, &in);                    /* self x dout y din */
  float *dparam[AE_MAXPARAM];
  for (int j = 0; j < l->nparams; j++) dparam[j] = ae_tensor_data(l->grad[j]);
  l->ops->backward(l, ae_tensor_data(din), ae_tensor_data(dout), ae_tensor_data(x), ae_tensor_data(y), &in, B, dparam,
                   &pass);
  ae_lua_release(&ae_lua_tensor_type, lua_touserdata(L, 4)); /* y now, not at the next GC */
  return 1;
}

/* training() / evaluate(): the mode of this layer's own forward/backward
 * (a model's step always trains, its forward always evaluates); returns self. */
static int set_mode(lua_State *L, int training) {
  ae_lua_checklayer(L, 1);
  ((llayer_t *)lua_touserdata(L, 1))->training = training;
  lua_settop(L, 1);
  return 1;
}
static int m_training(lua_State *L) { return set_mode(L, 1); }
static int m_evaluate(lua_State *L) { return set_mode(L, 0); }
static int m_is_training(lua_State *L) {
  ae_lua_checklayer(L, 1);
  lua_pushboolean(L, ((llayer_t *)lua_touserdata(L, 1))->training);
  return 1;
}

/* freeze() / unfreeze(): whether model steps train this layer's own
 * parameters (in every model that holds it); returns self. is_frozen(). */
static int set_frozen(lua_State *L, int frozen) {
  ae_lua_checklayer(L, 1)->frozen = frozen;
  lua_settop(L, 1);
  return 1;
}
static int m_freeze(lua_State *L) { return set_frozen(L, 1); }
static int m_unfreeze(lua_State *L) { return set_frozen(L, 0); }
static int m_is_frozen(lua_State *L) {
  lua_pushboolean(L, ae_lua_checklayer(L, 1)->frozen);
  return 1;
}

static int m_zero_grad(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  for (int i = 0; i < l->nparams; i++) ae_tensor_fill(l->grad[i], 0.0f);
  return 0;
}

/* [-0, +1] {views of ts[0..n-1]} */
static void push_views(lua_State *L, ae_tensor_t **ts, int n) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    ae_lua_box_t *b = ae_lua_newtensor(L);
    ae_error_t e;
    ae_lua_fill(L, b, ae_tensor_view(ts[i], 0, ts[i]->ndim, ts[i]->shape, &e), &e);
    lua_seti(L, -2, i + 1);
  }
}

/* parameters() → {weight, bias}, {dweight, dbias}: views that share storage. */
static int m_parameters(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  push_views(L, l->param, l->nparams);
  push_views(L, l->grad, l->nparams);
  return 2;
}

/* set_parameters{weight, bias} or {weight = W, bias = b}: copies values in,
 * each tensor of exactly the parameter's shape (layouts as PyTorch's: see
 * core/layers.h); parameters not given keep their values. Returns self.
 * Works before and after the layer joins a model (views follow the arena). */
static int m_set_parameters(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  char name[64], a[64], b[64];
  for (int copy = 0; copy < 2; copy++) /* check all, then copy: all or nothing */
    for (int j = 0; j < l->nparams; j++) {
      if (lua_geti(L, 2, j + 1) == LUA_TNIL) { /* stack: value */
        lua_pop(L, 1);
        lua_getfield(L, 2, l->param_name[j]);
      }
      ae_tensor_t *t = ae_lua_totensor(L, -1);
      if (!t && !lua_isnil(L, -1))
        return luaL_error(L, "%s:set_parameters: %s must be a tensor, got %s", ae_layer_name(l, name, sizeof name),
                          l->param_name[j], luaL_typename(L, -1));
      if (t && !ae_tensor_same_shape(t, l->param[j]))
        return luaL_error(L, "%s:set_parameters: %s is %s, got %s", ae_layer_name(l, name, sizeof name),
                          l->param_name[j], ae_tensor_shape_str(l->param[j], a, sizeof a),
                          ae_tensor_shape_str(t, b, sizeof b));
      ae_error_t e;
      if (t && copy && ae_layer_set_param(l, j, ae_tensor_data(t), ae_tensor_numel(t), &e)) return ae_lua_raise(L, &e);
      lua_pop(L, 1);
    }
  lua_settop(L, 1);
  return 1;
}

static int m_param_names(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  lua_createtable(L, l->nparams, 0);
  for (int i = 0; i < l->nparams; i++) {
    lua_pushstring(L, l->param_name[i]);
    lua_seti(L, -2, i + 1);
  }
  return 1;
}

static int m_param_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ae_layer_param_count(ae_lua_checklayer(L, 1)));
  return 1;
}

static int m_reset(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  if (l->ops->reset) l->ops->reset(l, ae_lua_rng(L));
  return 0;
}

/* output_shape({784}) → {32} */
static int m_output_shape(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  ae_shape_t in = {(int)luaL_len(L, 2), {0}}, out;
  luaL_argcheck(L, in.nd >= 1 && in.nd <= 3, 2, "a shape of 1 to 3 sizes");
  for (int i = 0; i < in.nd; i++) {
    lua_geti(L, 2, i + 1);
    in.d[i] = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
  }
  ae_error_t e;
  if (l->ops->infer(l, &in, &out, &e)) return ae_lua_raise(L, &e);
  lua_createtable(L, out.nd, 0);
  for (int i = 0; i < out.nd; i++) {
    lua_pushinteger(L, out.d[i]);
    lua_seti(L, -2, i + 1);
  }
  return 1;
}

static int m_kind(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  char buf[64];
  ae_layer_name(l, buf, sizeof buf);
  buf[strcspn(buf, "(")] = '\0';
  lua_pushstring(L, buf);
  return 1;
}

/* [-0, +1] a float32 as the shortest decimal that reads back as the same
 * float (0.01, not 0.009999999776): what config() shows and files keep. */
static void push_float(lua_State *L, float v) {
  char buf[32];
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
    if (strtof(buf, NULL) == v) break;
  }
  lua_pushnumber(L, strtod(buf, NULL));
}

static void set_int(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

static void set_str(lua_State *L, const char *key, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, key);
}

/* config() → {kind = "Dense", ["in"] = 784, out = 32, init = "glorot", params = {"weight", "bias"}}:
 * the constructor and its arguments, what a model file keeps to make the
 * layer again (aelab/modelfile.lua), and the names of the parameters this
 * layer owns (a DenseTied borrows its weight). Fields per kind:
 *   Dense: in, out, init    Conv2D, ConvTranspose2D: cin, cout, k, stride, padding, init, kernel
 *   MaxPool2D: k, stride, padding    UpSampling2D: scale    Reshape: shape
 *   LeakyReLU: slope    Dropout: p, salt (its mask's hash key, an integer)
 *   GaussianSample: latent, beta, salt (its ε stream's key) */
static int m_config(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  ae_layer_config_t c;
  ae_layer_config(l, &c);
  static const char *const inits[] = {"glorot", "he"}, *const pads[] = {"valid", "same"},
                           *const kernels[] = {"auto", "naive", "gemm", "direct"};
  lua_createtable(L, 0, 8);
  set_str(L, "kind", c.kind);
  if (strcmp(c.kind, "Dense") == 0) {
    set_int(L, "in", c.in);
    set_int(L, "out", c.out);
    set_str(L, "init", inits[c.init & 1]);
  } else if (strcmp(c.kind, "Conv2D") == 0 || strcmp(c.kind, "ConvTranspose2D") == 0) {
    set_int(L, "cin", c.in);
    set_int(L, "cout", c.out);
    set_int(L, "k", c.k);
    set_int(L, "stride", c.stride);
    set_str(L, "padding", pads[c.pad & 1]);
    set_str(L, "init", inits[c.init & 1]);
    set_str(L, "kernel", kernels[c.kernel & 3]);
  } else if (strcmp(c.kind, "MaxPool2D") == 0) {
    set_int(L, "k", c.k);
    set_int(L, "stride", c.stride);
    set_str(L, "padding", pads[c.pad & 1]);
  } else if (strcmp(c.kind, "UpSampling2D") == 0) {
    set_int(L, "scale", c.k);
  } else if (strcmp(c.kind, "Reshape") == 0) {
    lua_createtable(L, c.shape.nd, 0);
    for (int i = 0; i < c.shape.nd; i++) {
      lua_pushinteger(L, c.shape.d[i]);
      lua_seti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "shape");
  } else if (strcmp(c.kind, "LeakyReLU") == 0) {
    push_float(L, c.value);
    lua_setfield(L, -2, "slope");
  } else if (strcmp(c.kind, "Dropout") == 0) {
    push_float(L, c.value);
    lua_setfield(L, -2, "p");
    set_int(L, "salt", (lua_Integer)c.salt);
  } else if (strcmp(c.kind, "GaussianSample") == 0) {
    set_int(L, "latent", c.in);
    push_float(L, c.value);
    lua_setfield(L, -2, "beta");
    set_int(L, "salt", (lua_Integer)c.salt);
  }
  lua_createtable(L, l->nparams, 0);
  for (int j = 0, k = 0; j < l->nparams; j++)
    if (!(l->borrows && j == 0)) { /* a borrowed weight belongs to its owner */
      lua_pushstring(L, l->param_name[j]);
      lua_seti(L, -2, ++k);
    }
  lua_setfield(L, -2, "params");
  return 1;
}

/* tied_to() → the Dense whose weight a DenseTied uses; nil for other kinds */
static int m_tied_to(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  if (l->borrows) lua_getiuservalue(L, 1, 1);
  else lua_pushnil(L);
  return 1;
}

/* set_salt(n): a Dropout's mask key or a GaussianSample's ε key
 * (config().salt), which model files put back so a loaded or resumed model
 * draws what the saved one did; no-op for other kinds. Returns self. */
static int m_set_salt(lua_State *L) {
  ae_layer_set_salt(ae_lua_checklayer(L, 1), (uint64_t)luaL_checkinteger(L, 2));
  lua_settop(L, 1);
  return 1;
}

/* set_beta(β): the weight of a GaussianSample's KL term (fit's warm-up
 * sets it each epoch); returns self. beta() → β (nil for other kinds). */
static int m_set_beta(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  ae_error_t e;
  if (ae_gaussian_sample_set_beta(l, (float)luaL_checknumber(L, 2), &e)) return ae_lua_raise(L, &e);
  lua_settop(L, 1);
  return 1;
}

static int m_beta(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  if (ae_gaussian_sample_latent(l)) lua_pushnumber(L, ae_gaussian_sample_beta(l));
  else lua_pushnil(L);
  return 1;
}

/* kl(h) → mean KL per sample (unweighted by β), {mean KL of each latent
 * unit}: h is this GaussianSample's input, (N, 2·latent). */
static int m_kl(lua_State *L) {
  ae_layer_t *l = ae_lua_checklayer(L, 1);
  ae_tensor_t *h = ae_lua_checktensor(L, 2);
  int latent = ae_gaussian_sample_latent(l);
  char name[64];
  if (!latent) return luaL_error(L, "kl: %s is not a GaussianSample", ae_layer_name(l, name, sizeof name));
  ae_shape_t in;
  int B;
  sample_shape(h, &in, &B);
  if (ae_shape_numel(&in) != (size_t)2 * latent)
    return luaL_error(L, "%s:kl: input rows have %d values, expected %d (μ and log σ²)",
                      ae_layer_name(l, name, sizeof name), (int)ae_shape_numel(&in), 2 * latent);
  double *units = calloc((size_t)latent, sizeof *units);
  if (!units) return luaL_error(L, "kl: out of memory for %d units", latent);
  double total = ae_gaussian_sample_kl(l, ae_tensor_data(h), B, units);
  lua_pushnumber(L, B ? total / B : 0.0);
  lua_createtable(L, latent, 0);
  for (int j = 0; j < latent; j++) {
    lua_pushnumber(L, B ? units[j] / B : 0.0);
    lua_seti(L, -2, j + 1);
  }
  free(units);
  return 2;
}

static const luaL_Reg methods[] = {
    {"set_beta", m_set_beta}, {"beta", m_beta}, {"kl", m_kl},
    {"config", m_config}, {"tied_to", m_tied_to}, {"set_salt", m_set_salt},
    {"forward", m_forward},       {"backward", m_backward},         {"zeroGrad", m_zero_grad},
    {"parameters", m_parameters}, {"parameter_names", m_param_names}, {"param_count", m_param_count},
    {"reset", m_reset},           {"output_shape", m_output_shape}, {"kind", m_kind},
    {"freeze", m_freeze},         {"unfreeze", m_unfreeze},           {"is_frozen", m_is_frozen},
    {"training", m_training},     {"is_training", m_is_training},     {"evaluate", m_evaluate},         {"set_parameters", m_set_parameters},
    {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"Dense", l_dense},       {"DenseTied", l_dense_tied},       {"ReLU", l_relu},         {"LeakyReLU", l_leaky}, {"Sigmoid", l_sigmoid},
    {"Tanh", l_tanh},         {"Identity", l_identity}, {"Softmax", l_softmax}, {"GaussianSample", l_gaussian_sample}, {NULL, NULL},
};

int luaopen_aelab_layer(lua_State *L) {
  ae_lua_createmeta(L, &ae_lua_layer_type, methods, NULL);
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  luaL_setfuncs(L, ae_lua_conv_functions, 0);
  ae_lua_pushis(L, &ae_lua_layer_type);
  lua_setfield(L, -2, "is_layer");
  return 1;
}
