/* aelab.audiocore: sound files, resampling, STFT, frames and measures
 * (core/audio.h). bindings/aelab/audio.lua gives them options tables and
 * defaults; this file only checks types and calls the core.
 *
 *   info(path)                              → {frames, rate, channels, format, encoding} | nil, msg
 *   read(path, rate, mono)                  → Tensor, info | nil, msg
 *   write(path, x, rate, encoding|nil)      → true | nil, msg
 *   resample(x, from, to)                   → Tensor
 *   stft(x, n_fft, hop, window)             → mag, phase       (window: "hann", "hamming", "rect")
 *   istft(mag, phase, n_fft, hop, window, length) → Tensor
 *   frames(x, size, hop)  overlap_add(frames, hop, length)  context(x, k) → Tensor
 *   snr(ref, est)  segsnr(ref, est, frame)  sisdr(ref, est) → dB
 *
 * File problems (missing, unreadable, not audio, truncated, a full disk)
 * return nil and the message; bad arguments raise. */
#include "glue.h"

#include <limits.h>

#include "audio.h"

static int checkint(lua_State *L, int arg, const char *what) {
  lua_Integer v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v >= INT_MIN && v <= INT_MAX, arg, what);
  return (int)v;
}

/* core error: a file's → nil, msg; anything else raises */
static int fail(lua_State *L, const ae_error_t *e) {
  if (e->code == AE_EIO || e->code == AE_EFORMAT) {
    luaL_pushfail(L);
    lua_pushstring(L, e->msg);
    return 2;
  }
  return ae_lua_raise(L, e);
}

static void push_info(lua_State *L, const ae_audio_info_t *info) {
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, info->frames);
  lua_setfield(L, -2, "frames");
  lua_pushinteger(L, info->rate);
  lua_setfield(L, -2, "rate");
  lua_pushinteger(L, info->channels);
  lua_setfield(L, -2, "channels");
  lua_pushstring(L, info->format);
  lua_setfield(L, -2, "format");
  lua_pushstring(L, info->encoding);
  lua_setfield(L, -2, "encoding");
}

static int l_info(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ae_audio_info_t info;
  ae_error_t e;
  if (ae_audio_info(path, &info, &e)) return fail(L, &e);
  push_info(L, &info);
  return 1;
}

static int l_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int rate = checkint(L, 2, "rate out of range");
  int mono = lua_toboolean(L, 3);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_audio_info_t info;
  ae_error_t e;
  ae_tensor_t *t = ae_audio_read(path, rate, mono, &info, &e);
  if (!t) return fail(L, &e);
  ae_lua_fill(L, b, t, &e);
  push_info(L, &info);
  return 2;
}

static int l_write(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2);
  int rate = checkint(L, 3, "rate out of range");
  const char *encoding = luaL_optstring(L, 4, NULL);
  ae_error_t e;
  if (ae_audio_write(path, x, rate, encoding, &e)) return fail(L, &e);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_resample(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  double from = luaL_checknumber(L, 2), to = luaL_checknumber(L, 3);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_audio_resample(x, from, to, &e), &e);
  return 1;
}

static int checkwindow(lua_State *L, int arg) {
  static const char *const names[] = {"hann", "hamming", "rect", NULL};
  static const int kinds[] = {AE_WINDOW_HANN, AE_WINDOW_HAMMING, AE_WINDOW_RECT};
  return kinds[luaL_checkoption(L, arg, "hann", names)];
}

static int l_stft(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  int n_fft = checkint(L, 2, "n_fft out of range"), hop = checkint(L, 3, "hop out of range");
  int window = checkwindow(L, 4);
  ae_lua_box_t *bm = ae_lua_newtensor(L), *bp = ae_lua_newtensor(L);
  ae_tensor_t *mag, *phase;
  ae_error_t e;
  if (ae_stft(x, n_fft, hop, window, &mag, &phase, &e)) return ae_lua_raise(L, &e);
  bm->p = mag; /* both made: each box owns its own from here */
  bp->p = phase;
  return 2;
}

static int l_istft(lua_State *L) {
  ae_tensor_t *mag = ae_lua_checktensor(L, 1), *phase = ae_lua_checktensor(L, 2);
  int n_fft = checkint(L, 3, "n_fft out of range"), hop = checkint(L, 4, "hop out of range");
  int window = checkwindow(L, 5);
  int length = checkint(L, 6, "length out of range");
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_istft(mag, phase, n_fft, hop, window, length, &e), &e);
  return 1;
}

static int l_frames(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  int size = checkint(L, 2, "size out of range"), hop = checkint(L, 3, "hop out of range");
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_frames(x, size, hop, &e), &e);
  return 1;
}

static int l_overlap_add(lua_State *L) {
  ae_tensor_t *f = ae_lua_checktensor(L, 1);
  int hop = checkint(L, 2, "hop out of range"), length = checkint(L, 3, "length out of range");
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_overlap_add(f, hop, length, &e), &e);
  return 1;
}

static int l_context(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  int k = checkint(L, 2, "context out of range");
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_frames_context(x, k, &e), &e);
  return 1;
}

static int measure(lua_State *L, int (*f)(const ae_tensor_t *, const ae_tensor_t *, double *, ae_error_t *)) {
  ae_tensor_t *ref = ae_lua_checktensor(L, 1), *est = ae_lua_checktensor(L, 2);
  double db;
  ae_error_t e;
  if (f(ref, est, &db, &e)) return ae_lua_raise(L, &e);
  lua_pushnumber(L, db);
  return 1;
}

static int l_snr(lua_State *L) { return measure(L, ae_snr); }
static int l_sisdr(lua_State *L) { return measure(L, ae_sisdr); }

static int l_segsnr(lua_State *L) {
  ae_tensor_t *ref = ae_lua_checktensor(L, 1), *est = ae_lua_checktensor(L, 2);
  int frame = checkint(L, 3, "frame out of range");
  double db;
  ae_error_t e;
  if (ae_segsnr(ref, est, frame, &db, &e)) return ae_lua_raise(L, &e);
  lua_pushnumber(L, db);
  return 1;
}

int luaopen_aelab_audio(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"info", l_info},     {"read", l_read},         {"write", l_write},         {"resample", l_resample},
      {"stft", l_stft},     {"istft", l_istft},       {"frames", l_frames},       {"overlap_add", l_overlap_add},
      {"context", l_context}, {"snr", l_snr},         {"segsnr", l_segsnr},       {"sisdr", l_sisdr},
      {NULL, NULL},
  };
  luaL_newlib(L, functions);
  return 1;
}
