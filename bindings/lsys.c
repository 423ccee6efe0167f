/* Process settings seen from Lua: seed, threads, BLIS, clock, terminal. */
#include "glue.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"

static ae_rng_t rng; /* the process' one generator */

ae_rng_t *ae_lua_rng(void) { return &rng; }

static int l_seed(lua_State *L) {
  ae_rng_seed(&rng, (uint64_t)luaL_checkinteger(L, 1));
  return 0;
}

static int l_threads(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 1 && n <= 256, 1, "threads must be in 1..256");
    ae_set_threads((int)n);
  }
  lua_pushinteger(L, ae_threads());
  return 1;
}

static int l_blas(lua_State *L) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, ae_blas_arch());
  lua_setfield(L, -2, "arch");
  lua_pushstring(L, ae_blas_reason());
  lua_setfield(L, -2, "reason");
  lua_pushstring(L, ae_blas_version());
  lua_setfield(L, -2, "version");
  return 1;
}

/* clock() → seconds on a monotonic clock */
static int l_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + ts.tv_nsec * 1e-9);
  return 1;
}

static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_optinteger(L, 1, 1)));
  return 1;
}

/* peak resident memory in bytes (Linux: VmHWM of /proc/self/status) */
static int l_peak_rss(lua_State *L) {
  FILE *f = fopen("/proc/self/status", "r");
  long kb = -1;
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  if (kb < 0) luaL_pushfail(L);
  else lua_pushinteger(L, (lua_Integer)kb * 1024);
  return 1;
}

static const luaL_Reg functions[] = {
    {"seed", l_seed},     {"threads", l_threads}, {"blas", l_blas}, {"clock", l_clock},
    {"isatty", l_isatty}, {"peak_rss", l_peak_rss}, {NULL, NULL},
};

int luaopen_aelab_sys(lua_State *L) {
  luaL_newlib(L, functions);
  return 1;
}
