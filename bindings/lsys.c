/* Process settings seen from Lua: seed, threads, BLIS, clock, terminal;
 * and the one pipe to a child process (gnuplot, fetch-mnist.sh), started
 * with posix_spawn from an argv array so that no shell ever reads a path:
 *
 *   spawn({prog, arg1, ...}, {stdin = "pipe"|"inherit",
 *          stdout = "inherit"|"null"|"stderr", stderr = "inherit"|"capture",
 *          log = path})
 *     → Process | nil, msg   (log: stdout and stderr both to that file,
 *                              made or emptied; stdin from /dev/null)
 *   p:write(s, ...)  → p | nil, msg     (buffered; the first failure is kept)
 *   p:close()        → ok, "exit"|"signal", code, stderr text
 *                       flushes, closes its stdin, waits; ok only when the
 *                       child exited 0 and every write went through
 *   p:poll()         → nil while the child runs, else what close returns
 *                       (never blocks: a runner watches several children)
 *   p:kill(sig)      → true | nil, msg   sig "int", "term" or "kill"
 *   p:pid()          → its process id (nil once waited for)
 *   sleep(seconds)   a pause a signal may cut short (Ctrl-C stops the caller)
 *
 * The files and folders functions (lfile.c) are added to the same table. */
#include "glue.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdlib.h>

extern char **environ;

#include "blas.h"
#include "pool.h"
#include "peak.h"

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

/* threads([n]): the threads of a step; GEMMs follow unless AELAB_GEMM_THREADS
 * fixed theirs (as at start-up), so threads(1) is one thread throughout. */
static int l_threads(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 1 && n <= 256, 1, "threads must be in 1..256");
    ae_set_threads((int)n);
    const char *gt = getenv("AELAB_GEMM_THREADS");
    if (!(gt && atoi(gt) > 0)) ae_set_gemm_threads((int)n);
  }
  lua_pushinteger(L, ae_threads());
  return 1;
}

/* pool(): how the thread pool has fared (backoffs: times it ran steps on
 * one thread because another thread had lost its core; spin_us). */
static int l_pool(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, ae_pool_backoffs());
  lua_setfield(L, -2, "backoffs");
  lua_pushinteger(L, ae_spin_us());
  lua_setfield(L, -2, "spin_us");
  return 1;
}

/* fp32_peak([threads [, seconds [, bits]]]) → GFLOP/s, bits: the FP32 peak of
 * `threads` threads (default: the thread setting) running independent FMAs
 * of the widest vectors this CPU has (or `bits`: 512, 256, 128); nil and a
 * message when the CPU has no such vectors. */
static int l_fp32_peak(lua_State *L) {
  int threads = (int)luaL_optinteger(L, 1, ae_threads());
  double seconds = luaL_optnumber(L, 2, 0.2);
  int bits = (int)luaL_optinteger(L, 3, 0);
  luaL_argcheck(L, threads >= 1 && threads <= 64, 1, "threads must be in 1..64");
  luaL_argcheck(L, seconds > 0 && seconds <= 60, 2, "seconds must be in (0, 60]");
  luaL_argcheck(L, bits == 0 || bits == 128 || bits == 256 || bits == 512, 3, "bits must be 128, 256 or 512");
  int used = 0;
  double g = ae_fp32_peak_gflops(threads, seconds, bits, &used);
  if (g < 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "fp32_peak: this CPU has no %d-bit FMA vectors", bits);
    return 2;
  }
  lua_pushnumber(L, g);
  lua_pushinteger(L, used);
  return 2;
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

/* ---- child processes ---- */

#define PROCESS_MT "aelab.Process"
#define STDERR_MAX 65536 /* bytes of a child's stderr kept for the message */

typedef struct {
  pid_t pid;     /* -1 once waited for (or never started) */
  FILE *in;      /* the write end of its stdin; NULL when inherited or closed */
  int errfd;     /* its stderr: an unlinked temporary file, or -1 */
  int write_err; /* errno of the first failed write, 0 while all went well */
  int status;    /* waitpid's status once waited for */
} process_t;

/* Closes stdin and waits for the child; idempotent (behind close, __gc and
 * __close). A file rather than a pipe holds its stderr, so a chatty child
 * cannot block while we still write to it. */
static void process_finish(process_t *p) {
  if (p->in) {
    if (fflush(p->in) != 0 && !p->write_err) p->write_err = errno;
    if (fclose(p->in) != 0 && !p->write_err) p->write_err = errno;
    p->in = NULL;
  }
  if (p->pid > 0) {
    while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR) {
    }
    p->pid = -1;
  }
}

static int process_gc(lua_State *L) {
  process_t *p = luaL_checkudata(L, 1, PROCESS_MT);
  process_finish(p);
  if (p->errfd >= 0) close(p->errfd);
  p->errfd = -1;
  return 0;
}

static process_t *check_open(lua_State *L) {
  process_t *p = luaL_checkudata(L, 1, PROCESS_MT);
  if (p->pid <= 0) luaL_error(L, "attempt to use a closed process");
  return p;
}

/* p:write(...) [-0, +1|2]: like file:write, but the first failure sticks so
 * close can say it; EPIPE when the child quit early (SIGPIPE is ignored). */
static int process_write(lua_State *L) {
  process_t *p = check_open(L);
  int n = lua_gettop(L);
  for (int i = 2; i <= n; i++) luaL_checklstring(L, i, NULL);
  if (!p->in) return luaL_error(L, "the process has no stdin pipe");
  for (int i = 2; i <= n && !p->write_err; i++) {
    size_t len;
    const char *s = lua_tolstring(L, i, &len);
    if (fwrite(s, 1, len, p->in) != len) p->write_err = errno ? errno : EIO;
  }
  if (p->write_err) {
    luaL_pushfail(L);
    lua_pushstring(L, strerror(p->write_err));
    return 2;
  }
  lua_settop(L, 1);
  return 1;
}

/* [-0, +4] ok, "exit"|"signal", code, stderr text of a waited-for child */
static int push_ended(lua_State *L, process_t *p) {
  int exited = WIFEXITED(p->status);
  int code = exited ? WEXITSTATUS(p->status) : WIFSIGNALED(p->status) ? WTERMSIG(p->status) : -1;
  lua_pushboolean(L, exited && code == 0 && !p->write_err);
  lua_pushstring(L, exited ? "exit" : "signal");
  lua_pushinteger(L, code);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (p->errfd >= 0) {
    char *buf = luaL_prepbuffsize(&b, STDERR_MAX);
    ssize_t got = pread(p->errfd, buf, STDERR_MAX, 0);
    if (got > 0) luaL_addsize(&b, (size_t)got);
  }
  if (p->write_err) {
    luaL_addstring(&b, "(writing to it failed: ");
    luaL_addstring(&b, strerror(p->write_err));
    luaL_addstring(&b, ")\n");
  }
  luaL_pushresult(&b);
  return 4;
}

/* p:close() [-0, +4] */
static int process_close(lua_State *L) {
  process_t *p = check_open(L);
  process_finish(p);
  return push_ended(L, p);
}

/* p:poll() [-0, +1|4]: nil while it runs; once it has ended, its stdin is
 * closed and the results are close's. */
static int process_poll(lua_State *L) {
  process_t *p = check_open(L);
  pid_t got;
  while ((got = waitpid(p->pid, &p->status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (got == 0) {
    lua_pushnil(L);
    return 1;
  }
  if (got < 0) p->status = 255 << 8; /* not our child any more (ECHILD): an exit with 255 */
  p->pid = -1; /* reaped (or lost: ECHILD), process_finish only closes stdin */
  process_finish(p);
  return push_ended(L, p);
}

/* p:kill(sig) [-0, +1|2] */
static int process_kill(lua_State *L) {
  process_t *p = check_open(L);
  static const char *const names[] = {"int", "term", "kill", NULL};
  static const int sigs[] = {SIGINT, SIGTERM, SIGKILL};
  int which = luaL_checkoption(L, 2, "term", names);
  if (kill(p->pid, sigs[which]) != 0) {
    luaL_pushfail(L);
    lua_pushfstring(L, "cannot signal process %d: %s", (int)p->pid, strerror(errno));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int process_pid(lua_State *L) {
  process_t *p = luaL_checkudata(L, 1, PROCESS_MT);
  if (p->pid > 0) lua_pushinteger(L, p->pid);
  else lua_pushnil(L);
  return 1;
}

/* sleep(seconds): nanosleep; a signal ends it early, and Ctrl-C's hook
 * then stops the Lua code that called it. */
static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  luaL_argcheck(L, s >= 0 && s <= 86400, 1, "seconds must be in 0..86400");
  struct timespec ts = {(time_t)s, (long)((s - (lua_Number)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
  return 0;
}

static int process_tostring(lua_State *L) {
  process_t *p = luaL_checkudata(L, 1, PROCESS_MT);
  if (p->pid > 0) lua_pushfstring(L, "Process (%d)", (int)p->pid);
  else lua_pushliteral(L, "Process (closed)");
  return 1;
}

/* The value of opts[key] among `names` (the first is the default). */
static int spawn_option(lua_State *L, const char *key, const char *const names[]) {
  if (lua_isnoneornil(L, 2)) return 0;
  lua_getfield(L, 2, key);
  const char *v = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (!v) return 0;
  for (int i = 0; names[i]; i++)
    if (strcmp(v, names[i]) == 0) return i;
  return luaL_error(L, "spawn: bad %s option '%s'", key, v);
}

/* A file for the child's stderr, already unlinked: it vanishes with the fd. */
static int capture_file(void) {
  const char *dir = getenv("TMPDIR");
  char name[4096];
  snprintf(name, sizeof name, "%s/aelab-stderr-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkostemp(name, O_CLOEXEC);
  if (fd < 0 && dir && *dir && strcmp(dir, "/tmp") != 0) { /* TMPDIR unusable: /tmp */
    snprintf(name, sizeof name, "/tmp/aelab-stderr-XXXXXX");
    fd = mkostemp(name, O_CLOEXEC);
  }
  if (fd >= 0) unlink(name);
  return fd;
}

static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  static const char *const stdin_names[] = {"pipe", "inherit", NULL};
  static const char *const stdout_names[] = {"inherit", "null", "stderr", NULL};
  static const char *const stderr_names[] = {"inherit", "capture", NULL};
  int in_mode = spawn_option(L, "stdin", stdin_names), out_mode = spawn_option(L, "stdout", stdout_names),
      err_mode = spawn_option(L, "stderr", stderr_names);
  const char *log = NULL;
  if (!lua_isnoneornil(L, 2)) {
    lua_getfield(L, 2, "log");
    if (!lua_isnil(L, -1) && !(log = lua_tostring(L, -1))) return luaL_error(L, "spawn: log must be a path");
    lua_pop(L, 1); /* the string stays anchored in the options table */
    if (log) in_mode = 1, out_mode = 0, err_mode = 0;
  }
  lua_Integer argc = luaL_len(L, 1);
  luaL_argcheck(L, argc >= 1 && argc < 4096, 1, "needs the program and its arguments");
  /* argv's strings stay anchored in the table; the array is a userdata */
  char **argv = lua_newuserdatauv(L, sizeof(char *) * (size_t)(argc + 1), 0);
  for (lua_Integer i = 1; i <= argc; i++) {
    lua_geti(L, 1, i);
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_argerror(L, 1, "argv entries must be strings");
    argv[i - 1] = (char *)lua_tostring(L, -1);
    lua_pop(L, 1); /* still referenced by the table */
  }
  argv[argc] = NULL;
  /* the userdata before any descriptor: a memory error leaks nothing */
  process_t *p = lua_newuserdatauv(L, sizeof *p, 0);
  p->pid = -1, p->in = NULL, p->errfd = -1, p->write_err = 0, p->status = 0;
  luaL_setmetatable(L, PROCESS_MT);

  int pipefd[2] = {-1, -1}, err = 0;
  if (in_mode == 0 && pipe2(pipefd, O_CLOEXEC) != 0) err = errno;
  if (!err && err_mode == 1 && (p->errfd = capture_file()) < 0) err = errno;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  int have_fa = 0, have_attr = 0;
  if (!err) err = posix_spawn_file_actions_init(&fa), have_fa = !err;
  if (!err) err = posix_spawnattr_init(&attr), have_attr = !err;
  if (!err && pipefd[0] >= 0) err = posix_spawn_file_actions_adddup2(&fa, pipefd[0], 0);
  if (!err && log) { /* a run's log: no stdin (a child never waits on our terminal), both outputs to the file */
    err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!err) err = posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!err) err = posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  if (!err && out_mode == 1) err = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (!err && out_mode == 2) err = posix_spawn_file_actions_adddup2(&fa, 2, 1);
  if (!err && p->errfd >= 0) err = posix_spawn_file_actions_adddup2(&fa, p->errfd, 2);
  if (!err) {
    /* the child starts with default signals and none blocked: the host
     * ignores SIGPIPE, which an exec would otherwise pass on */
    sigset_t def, none;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
    if (!err) p->pid = pid;
  }
  if (have_fa) posix_spawn_file_actions_destroy(&fa);
  if (have_attr) posix_spawnattr_destroy(&attr);
  if (pipefd[0] >= 0) close(pipefd[0]);
  if (!err && pipefd[1] >= 0 && !(p->in = fdopen(pipefd[1], "w"))) err = errno;
  if (err) {
    if (!p->in && pipefd[1] >= 0) close(pipefd[1]);
    process_finish(p); /* reaps a child whose stdin could not be opened */
    if (p->errfd >= 0) close(p->errfd);
    p->errfd = -1;
    luaL_pushfail(L);
    lua_pushfstring(L, "cannot start %s: %s", argv[0], strerror(err));
    return 2;
  }
  return 1;
}

static void createmeta(lua_State *L) {
  static const luaL_Reg methods[] = {{"write", process_write}, {"close", process_close}, {"poll", process_poll},
                                     {"kill", process_kill},   {"pid", process_pid},     {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", process_gc}, {"__close", process_gc}, {"__tostring", process_tostring}, {"__index", NULL}, {NULL, NULL}};
  luaL_newmetatable(L, PROCESS_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

static const luaL_Reg functions[] = {
    {"fail_alloc", l_fail_alloc}, {"spawn", l_spawn},
    {"gemm_gflops", l_gemm_gflops},
    {"seed", l_seed},     {"rng_state", l_rng_state},     {"threads", l_threads}, {"pool", l_pool}, {"fp32_peak", l_fp32_peak}, {"blas", l_blas}, {"clock", l_clock},
    {"isatty", l_isatty}, {"peak_rss", l_peak_rss}, {"sleep", l_sleep}, {NULL, NULL},
};

int luaopen_aelab_sys(lua_State *L) {
  createmeta(L);
  luaL_newlib(L, functions);
  luaL_setfuncs(L, ae_lua_file_functions, 0);
  return 1;
}
