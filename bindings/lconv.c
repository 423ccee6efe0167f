/* Constructors of the image layers (core/layers.h), registered into
 * aelab.layer next to Dense:
 *   Conv2D(cin, cout, k [, {stride=, padding='same'|'valid', init=, naive=}])
 *   ConvTranspose2D(cin, cout, k [, {stride=, padding=, init=, naive=}])
 *   MaxPool2D(k [, stride] [, {stride=, padding=}])   UpSampling2D(scale)
 *   Reshape{c, h, w}   Flatten()   Dropout(p)
 * naive=true selects the direct-loop reference kernels (for tests). */
#include "glue.h"
#include "layers.h"

#include <string.h>

static int opt_int(lua_State *L, int arg, const char *key, int def) {
  if (!lua_istable(L, arg)) return def;
  lua_getfield(L, arg, key);
  int v = lua_isnil(L, -1) ? def : (int)luaL_checkinteger(L, -1);
  lua_pop(L, 1);
  return v;
}

static int opt_bool(lua_State *L, int arg, const char *key) {
  if (!lua_istable(L, arg)) return 0;
  lua_getfield(L, arg, key);
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

static int opt_padding(lua_State *L, int arg, const char *who, int def) {
  if (!lua_istable(L, arg)) return def;
  lua_getfield(L, arg, "padding");
  const char *s = luaL_optstring(L, -1, NULL);
  int pad = def;
  if (s) {
    if (strcmp(s, "same") == 0) pad = AE_PAD_SAME;
    else if (strcmp(s, "valid") == 0) pad = AE_PAD_VALID;
    else luaL_error(L, "%s: unknown padding '%s' (use 'same' or 'valid')", who, s);
  }
  lua_pop(L, 1);
  return pad;
}

static int checksize(lua_State *L, int arg, const char *what) {
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < 1 || v > (1 << 20)) luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a positive integer", what));
  return (int)v;
}

typedef ae_layer_t *(*conv_ctor)(int, int, int, int, int, int, int, ae_rng_t *, ae_error_t *);

/* {naive = true} or {kernel = 'auto'|'naive'|'gemm'|'direct'} */
static int opt_kernel(lua_State *L, int arg, const char *who) {
  if (opt_bool(L, arg, "naive")) return AE_CONV_NAIVE;
  if (!lua_istable(L, arg)) return AE_CONV_AUTO;
  lua_getfield(L, arg, "kernel");
  const char *s = luaL_optstring(L, -1, "auto");
  static const char *const names[] = {"auto", "naive", "gemm", "direct"};
  int k = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) k = i;
  if (k < 0) luaL_error(L, "%s: unknown kernel '%s' (use 'auto', 'naive', 'gemm' or 'direct')", who, s);
  lua_pop(L, 1);
  return k;
}

static int conv_like(lua_State *L, conv_ctor make, const char *who) {
  int cin = checksize(L, 1, "input channels"), cout = checksize(L, 2, "output channels");
  int k = checksize(L, 3, "kernel size");
  static const char *const keys[] = {"init", "kernel", "naive", "padding", "stride", NULL};
  if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  ae_lua_check_options(L, 4, who, keys);
  int stride = opt_int(L, 4, "stride", 1);
  luaL_argcheck(L, stride >= 1, 4, "stride must be positive");
  int pad = opt_padding(L, 4, who, AE_PAD_VALID), init = ae_lua_opt_init(L, 4, who), naive = opt_kernel(L, 4, who);
  ae_rng_t *rng = ae_lua_rng(L);
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_lua_fill(L, b, make(cin, cout, k, stride, pad, init, naive, rng, &e), &e);
  return 1;
}

static int l_conv2d(lua_State *L) { return conv_like(L, ae_conv2d_new, "Conv2D"); }
static int l_conv_transpose2d(lua_State *L) {
  return conv_like(L, ae_conv_transpose2d_new, "ConvTranspose2D");
}

static int l_maxpool2d(lua_State *L) {
  int k = checksize(L, 1, "window size"), stride = k, opts = 2;
  if (lua_isinteger(L, 2)) {
    stride = checksize(L, 2, "stride");
    opts = 3;
  }
  static const char *const keys[] = {"padding", "stride", NULL};
  if (!lua_isnoneornil(L, opts)) luaL_checktype(L, opts, LUA_TTABLE);
  ae_lua_check_options(L, opts, "MaxPool2D", keys);
  stride = opt_int(L, opts, "stride", stride);
  luaL_argcheck(L, stride >= 1, opts, "stride must be positive");
  int pad = opt_padding(L, opts, "MaxPool2D", AE_PAD_VALID);
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_maxpool2d_new(k, stride, pad, &e), &e);
  return 1;
}

static int l_upsample2d(lua_State *L) {
  int scale = checksize(L, 1, "scale");
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_upsample2d_new(scale, &e), &e);
  return 1;
}

static int l_reshape(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  ae_shape_t to = {(int)luaL_len(L, 1), {0}};
  luaL_argcheck(L, to.nd >= 1 && to.nd <= 3, 1, "a shape of 1 to 3 sizes, e.g. {8, 4, 4}");
  for (int i = 0; i < to.nd; i++) {
    lua_geti(L, 1, i + 1);
    to.d[i] = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
  }
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_reshape_new(&to, &e), &e);
  return 1;
}

static int l_flatten(lua_State *L) {
  ae_shape_t to = {1, {-1}};
  ae_lua_box_t *b = ae_lua_newlayer(L, 0);
  ae_error_t e;
  ae_lua_fill(L, b, ae_reshape_new(&to, &e), &e);
  return 1;
}

/* Dropout(p [, {salt = n}]): salt, the key of its masks' hash, is drawn
 * unless given (a model file gives the saved layer's). */
static int l_dropout(lua_State *L) {
  float p = (float)luaL_checknumber(L, 1);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  int has_salt = 0;
  lua_Integer salt = 0;
  if (lua_istable(L, 2)) {
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
  ae_layer_t *l = ae_lua_fill(L, b, ae_dropout_new(p, rng, &e), &e);
  if (has_salt) ae_layer_set_salt(l, (uint64_t)salt);
  return 1;
}

const luaL_Reg ae_lua_conv_functions[] = {
    {"Conv2D", l_conv2d},
    {"ConvTranspose2D", l_conv_transpose2d},
    {"MaxPool2D", l_maxpool2d},
    {"UpSampling2D", l_upsample2d},
    {"Reshape", l_reshape},
    {"Flatten", l_flatten},
    {"Dropout", l_dropout},
    {NULL, NULL},
};
