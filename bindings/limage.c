/* aelab.image: PNG/JPEG files and the image operations of core/image.h.
 * The Lua side (bindings/aelab/images.lua, ae.image) adds folders, options
 * and defaults. Problems with a file (missing, truncated, not an image,
 * disk full) come back as nil, message; bad arguments raise.
 *
 *   read(path [, channels]) → 1×C×H×W | nil, msg   channels 0 (as stored), 1, 3
 *   decode(bytes [, channels [, name]]) → 1×C×H×W | nil, msg
 *   write(t, path [, quality]) → true | nil, msg   .png, .jpg/.jpeg by name
 *   jpeg(t, quality) → t through a JPEG encode and decode
 *   grid(H, W, P, stride) → n×2 corners      random_corners(H, W, P, n [, seed]) → n×2
 *   extract(img, corners, P) → n×C×P×P       stitch(patches, corners, H, W [, margin]) → 1×C×H×W
 *   mse(a, b), ssim(a, b), colorfulness(rgb) → number
 *   rgb_to_lab(t), lab_to_rgb(t) → t         median(img, k) → img     otsu(img) → threshold
 *   shrink(img, f) → img, f× smaller (f×f block means) */
#include "glue.h"

#include <limits.h>

#include "image.h"

static int checkint(lua_State *L, int arg, int lo) {
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < lo || v > INT_MAX) luaL_argerror(L, arg, lua_pushfstring(L, "must be an integer >= %d", lo));
  return (int)v;
}

static int checkchannels(lua_State *L, int arg) {
  lua_Integer c = luaL_optinteger(L, arg, 0);
  luaL_argcheck(L, c == 0 || c == 1 || c == 3, arg, "channels is 0 (as stored), 1 (gray) or 3 (RGB)");
  return (int)c;
}

/* [-0, +1 or +2] the tensor made into box b, or nil, message */
static int fill_or_fail(lua_State *L, ae_lua_box_t *b, ae_tensor_t *t, const ae_error_t *e) {
  b->p = t;
  if (t) return 1;
  luaL_pushfail(L);
  lua_pushstring(L, e->msg);
  return 2;
}

static int l_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int channels = checkchannels(L, 2);
  ae_lua_box_t *b = ae_lua_newtensor(L); /* path [channels] ud */
  ae_error_t e;
  return fill_or_fail(L, b, ae_image_read(path, channels, &e), &e);
}

static int l_decode(lua_State *L) {
  size_t n;
  const char *bytes = luaL_checklstring(L, 1, &n);
  int channels = checkchannels(L, 2);
  const char *name = luaL_optstring(L, 3, "(bytes)");
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  return fill_or_fail(L, b, ae_image_decode(bytes, n, channels, name, &e), &e);
}

static int l_write(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  const char *path = luaL_checkstring(L, 2);
  lua_Integer q = luaL_optinteger(L, 3, 95);
  luaL_argcheck(L, q >= 1 && q <= 100, 3, "JPEG quality is 1..100");
  ae_error_t e;
  int s = ae_image_write(t, path, (int)q, &e);
  if (s == AE_EIO) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  if (s) return ae_lua_raise(L, &e);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_jpeg(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  lua_Integer q = luaL_checkinteger(L, 2);
  luaL_argcheck(L, q >= 1 && q <= 100, 2, "JPEG quality is 1..100");
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_tensor_t *out = ae_lua_fill(L, b, ae_tensor_new(t->ndim, t->shape, &e), &e);
  if (ae_image_jpeg_roundtrip(out, t, (int)q, &e)) return ae_lua_raise(L, &e);
  return 1;
}

static int l_grid(lua_State *L) {
  int H = checkint(L, 1, 1), W = checkint(L, 2, 1), P = checkint(L, 3, 1), stride = checkint(L, 4, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_image_grid(H, W, P, stride, &e), &e);
  return 1;
}

/* with a seed: a generator of its own, so the corners depend on nothing
 * else; without: the state's generator (ae.seed) */
static int l_random_corners(lua_State *L) {
  int H = checkint(L, 1, 1), W = checkint(L, 2, 1), P = checkint(L, 3, 1), n = checkint(L, 4, 1);
  ae_rng_t own, *rng = ae_lua_rng(L);
  if (!lua_isnoneornil(L, 5)) {
    ae_rng_seed(&own, (uint64_t)luaL_checkinteger(L, 5));
    rng = &own;
  }
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_image_random_corners(rng, H, W, P, n, &e), &e);
  return 1;
}

static int l_extract(lua_State *L) {
  ae_tensor_t *img = ae_lua_checktensor(L, 1), *corners = ae_lua_checktensor(L, 2);
  int P = checkint(L, 3, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_image_extract(img, corners, P, &e), &e);
  return 1;
}

static int l_stitch(lua_State *L) {
  ae_tensor_t *patches = ae_lua_checktensor(L, 1), *corners = ae_lua_checktensor(L, 2);
  int H = checkint(L, 3, 1), W = checkint(L, 4, 1);
  int margin = lua_isnoneornil(L, 5) ? 0 : checkint(L, 5, 0);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_image_stitch(patches, corners, H, W, margin, &e), &e);
  return 1;
}

static int pair_metric(lua_State *L, int (*f)(const ae_tensor_t *, const ae_tensor_t *, double *, ae_error_t *)) {
  ae_tensor_t *a = ae_lua_checktensor(L, 1), *b = ae_lua_checktensor(L, 2);
  ae_error_t e;
  double v;
  if (f(a, b, &v, &e)) return ae_lua_raise(L, &e);
  lua_pushnumber(L, v);
  return 1;
}
static int l_mse(lua_State *L) { return pair_metric(L, ae_image_mse); }
static int l_ssim(lua_State *L) { return pair_metric(L, ae_image_ssim); }

static int l_colorfulness(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  ae_error_t e;
  double v;
  if (ae_image_colorfulness(t, &v, &e)) return ae_lua_raise(L, &e);
  lua_pushnumber(L, v);
  return 1;
}

static int convert(lua_State *L, ae_tensor_t *(*f)(const ae_tensor_t *, ae_error_t *)) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, f(t, &e), &e);
  return 1;
}
static int l_rgb_to_lab(lua_State *L) { return convert(L, ae_image_rgb_to_lab); }
static int l_lab_to_rgb(lua_State *L) { return convert(L, ae_image_lab_to_rgb); }

/* f(image, n) → a new image: median(k) and shrink(factor) */
static int convert_n(lua_State *L, ae_tensor_t *(*f)(const ae_tensor_t *, int, ae_error_t *)) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  int n = checkint(L, 2, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, f(t, n, &e), &e);
  return 1;
}
static int l_median(lua_State *L) { return convert_n(L, ae_image_median); }
static int l_shrink(lua_State *L) { return convert_n(L, ae_image_shrink); }

static int l_otsu(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  ae_error_t e;
  float th;
  if (ae_image_otsu(t, &th, &e)) return ae_lua_raise(L, &e);
  lua_pushnumber(L, th);
  return 1;
}

static const luaL_Reg functions[] = {
    {"read", l_read},       {"decode", l_decode},   {"write", l_write},
    {"jpeg", l_jpeg},       {"grid", l_grid},       {"random_corners", l_random_corners},
    {"extract", l_extract}, {"stitch", l_stitch},   {"mse", l_mse},
    {"ssim", l_ssim},       {"colorfulness", l_colorfulness},
    {"rgb_to_lab", l_rgb_to_lab}, {"lab_to_rgb", l_lab_to_rgb},
    {"median", l_median},   {"otsu", l_otsu},       {"shrink", l_shrink},       {NULL, NULL},
};

int luaopen_aelab_image(lua_State *L) {
  luaL_newlib(L, functions);
  return 1;
}
