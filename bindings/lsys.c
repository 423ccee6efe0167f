/* Process settings seen from Lua: seed, threads, BLIS, clock, terminal. */
#include "glue.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <stdlib.h>

#include "blas.h"

/* seed(n): restarts this state's generator (glue.c) */
static int l_seed(lua_State *L) {
  uint64_t seed = (uint64_t)luaL_checkinteger(L, 1);
  ae_rng_seed(ae_lua_rng(L), seed);
  return 0;
}

/* rng_state() → a string; rng_state(s) puts it back: the generator's whole
 * state (xoshiro's four words and Box-Muller's spare), for checkpoints. */
static int l_rng_state(lua_State *L) {
  ae_rng_t *r = ae_lua_rng(L);
  if (lua_isnoneornil(L, 1)) {
    uint32_t spare;
    memcpy(&spare, &r->spare, sizeof spare);
    char buf[96];
    snprintf(buf, sizeof buf, "%016" PRIx64 ":%016" PRIx64 ":%016" PRIx64 ":%016" PRIx64 ":%d:%08" PRIx32, r->s[0],
             r->s[1], r->s[2], r->s[3], r->has_spare ? 1 : 0, spare);
    lua_pushstring(L, buf);
    return 1;
  }
  const char *s = luaL_checkstring(L, 1);
  ae_rng_t n;
  uint32_t spare;
  char end;
  if (sscanf(s, "%16" SCNx64 ":%16" SCNx64 ":%16" SCNx64 ":%16" SCNx64 ":%d:%8" SCNx32 "%c", &n.s[0], &n.s[1], &n.s[2],
             &n.s[3], &n.has_spare, &spare, &end) != 6 ||
      (n.has_spare != 0 && n.has_spare != 1) || (n.s[0] | n.s[1] | n.s[2] | n.s[3]) == 0)
    return luaL_argerror(L, 1, "not a generator state from rng_state()");
  memcpy(&n.spare, &spare, sizeof spare);
  *r = n;
  return 0;
}

/* mkdir(path) → true | nil, message: makes the folder and any missing
 * parents (mkdir -p, without a shell). */
static int l_mkdir(lua_State *L) {
  size_t n;
  const char *path = luaL_checklstring(L, 1, &n);
  luaL_argcheck(L, n > 0 && n < 4096 && strlen(path) == n, 1, "a folder name");
  char buf[4096];
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    struct stat sb;
    if (mkdir(buf, 0777) != 0 && !(errno == EEXIST && stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))) {
      int err = errno == EEXIST ? ENOTDIR : errno;
      luaL_pushfail(L);
      lua_pushfstring(L, "cannot make the folder %s: %s", buf, strerror(err));
      return 2;
    }
    if (c == '\0') break;
    *p = c;
  }
  lua_pushboolean(L, 1);
  return 1;
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

/* gemm_gflops(M, N, K, ta, tb, reps) → GFLOPS of ae_gemm on that shape
 * (row-major, random data), for benchmarks of kernel sets and splits. */
static int l_gemm_gflops(lua_State *L) {
  int M = (int)luaL_checkinteger(L, 1), N = (int)luaL_checkinteger(L, 2), K = (int)luaL_checkinteger(L, 3);
  int ta = lua_toboolean(L, 4), tb = lua_toboolean(L, 5), reps = (int)luaL_optinteger(L, 6, 100);
  luaL_argcheck(L, M > 0 && N > 0 && K > 0 && reps > 0, 1, "sizes and reps must be positive");
  ae_rng_t *rng = ae_lua_rng(L); /* before the mallocs: nothing below raises until they are freed */
  float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)K * N),
        *c = calloc((size_t)M * N, sizeof(float));
  if (!a || !b || !c) {
    free(a), free(b), free(c);
    return luaL_error(L, "gemm_gflops: out of memory");
  }
  ae_rng_fill_uniform(rng, a, (size_t)M * K, -1, 1);
  ae_rng_fill_uniform(rng, b, (size_t)K * N, -1, 1);
  ae_gemm(ta, tb, M, N, K, 1.0f, a, ta ? M : K, b, tb ? K : N, 0.0f, c, N); /* warm up */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int r = 0; r < reps; r++) ae_gemm(ta, tb, M, N, K, 1.0f, a, ta ? M : K, b, tb ? K : N, 1.0f, c, N);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  free(a), free(b), free(c);
  lua_pushnumber(L, 2.0 * M * N * K * reps / s / 1e9);
  return 1;
}

/* fail_alloc(k, f, ...) → fired, pcall(f, ...)'s results: calls f with the
 * k-th new Lua allocation it makes refused (a memory error); fired is false
 * when f made fewer than k. For tests of memory errors (liolib's newprefile
 * pattern: nothing may leak when the userdata cannot be made). */
static int l_fail_alloc(lua_State *L) {
  lua_Integer k = luaL_checkinteger(L, 1);
  luaL_argcheck(L, k >= 1, 1, "k must be positive");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ae_lua_alloc_t *a = ae_lua_alloc_hook(L);
  if (!a) return luaL_error(L, "fail_alloc: the host has no allocation hook");
  int base = 2, nargs = lua_gettop(L) - base;
  a->fail_in = (long)k;
  a->fired = a->refuse = 0;
  int status = lua_pcall(L, nargs, LUA_MULTRET, 0); /* k results|err */
  int fired = a->fired;
  a->fail_in = a->refuse = a->fired = 0;
  lua_pushboolean(L, fired);
  lua_replace(L, 1); /* fired results|err */
  lua_pushboolean(L, status == LUA_OK);
  lua_insert(L, 2); /* fired ok results|err */
  return lua_gettop(L);
}

static const luaL_Reg functions[] = {
    {"fail_alloc", l_fail_alloc},
    {"gemm_gflops", l_gemm_gflops},
    {"seed", l_seed},     {"rng_state", l_rng_state}, {"mkdir", l_mkdir},     {"threads", l_threads}, {"blas", l_blas}, {"clock", l_clock},
    {"isatty", l_isatty}, {"peak_rss", l_peak_rss}, {NULL, NULL},
};

int luaopen_aelab_sys(lua_State *L) {
  luaL_newlib(L, functions);
  return 1;
}
