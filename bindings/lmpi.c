/* Data-parallel training's transport: Open MPI, when aelab is built with it
 * (make MPI=1, or make aelab-mpi); without it the same functions answer as
 * one process alone, so scripts and fit need no second path. Lua API
 * (aelab.mpi):
 *
 *   available          true when built with MPI
 *   launched()         → whether an MPI launcher started us with more than
 *                        one rank (mpirun sets OMPI_COMM_WORLD_SIZE, PMI_SIZE),
 *                        and this process's rank as the launcher says (before init)
 *   init()             → rank, size (MPI_Init once; finalized at exit)
 *   rank(), size()     → this process's rank and the ranks (0, 1 before init)
 *   allreduce(t [, scale])  t ← Σ over ranks of scale·t, in place (float32)
 *   sum(x)             → Σ over ranks of the number x (double)
 *   bcast(t [, root])  t ← root's t (root 0 by default)
 *   barrier()
 *
 * MPI_Allreduce sums in an order of its own: the same on every rank, so all
 * ranks keep identical weights, but not the order one process would use. */
#include "glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef AE_MPI
#include <mpi.h>
#endif

/* What the launcher's environment says: the first of names that is set. */
static int from_env(const char *const names[], int dflt) {
  for (int i = 0; names[i]; i++) {
    const char *v = getenv(names[i]);
    if (v && *v) return atoi(v);
  }
  return dflt;
}

static int launched_size(void) {
  static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", NULL};
  int n = from_env(names, 1);
  return n > 0 ? n : 1;
}

static int l_launched(lua_State *L) {
  static const char *const ranks[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", NULL};
  lua_pushboolean(L, launched_size() > 1);
  lua_pushinteger(L, from_env(ranks, 0));
  return 2;
}

#ifdef AE_MPI

static void finalize(void) {
  int done = 0, started = 0;
  MPI_Initialized(&started);
  MPI_Finalized(&done);
  if (started && !done) MPI_Finalize();
}

/* [-0, +0, v] MPI_Init once; raises when it fails. */
static void ensure_init(lua_State *L) {
  int started = 0;
  MPI_Initialized(&started);
  if (started) return;
  int provided;
  /* funneled: only the main thread calls MPI (OpenMP threads never do) */
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    luaL_error(L, "mpi: MPI_Init failed (is this run by mpirun?)");
  /* errors come back as codes, so the glue can raise them as Lua errors */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  atexit(finalize);
}

static int check(lua_State *L, int rc, const char *what) {
  if (rc == MPI_SUCCESS) return 0;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return luaL_error(L, "mpi: %s failed: %s", what, msg);
}

static int l_init(lua_State *L) {
  ensure_init(L);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  lua_pushinteger(L, rank);
  lua_pushinteger(L, size);
  return 2;
}

static int started(void) {
  int s = 0;
  MPI_Initialized(&s);
  return s;
}

static int l_rank(lua_State *L) {
  int rank = 0;
  if (started()) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  lua_pushinteger(L, rank);
  return 1;
}

static int l_size(lua_State *L) {
  int size = 1;
  if (started()) MPI_Comm_size(MPI_COMM_WORLD, &size);
  lua_pushinteger(L, size);
  return 1;
}

/* Floats in one call: MPI counts are ints. */
static int count_of(lua_State *L, const ae_tensor_t *t) {
  size_t n = ae_tensor_numel(t);
  if (n > (size_t)2147483647) return luaL_error(L, "mpi: a tensor of %zu values is too big for one message", n);
  return (int)n;
}

static int l_allreduce(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  lua_Number scale = luaL_optnumber(L, 2, 1.0);
  ensure_init(L);
  float *d = ae_tensor_data(t);
  int n = count_of(L, t);
  if (scale != 1.0)
    for (int i = 0; i < n; i++) d[i] *= (float)scale;
  check(L, MPI_Allreduce(MPI_IN_PLACE, d, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  return 0;
}

static int l_sum(lua_State *L) {
  double x = (double)luaL_checknumber(L, 1), s = 0;
  ensure_init(L);
  check(L, MPI_Allreduce(&x, &s, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  lua_pushnumber(L, s);
  return 1;
}

static int l_bcast(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  int root = (int)luaL_optinteger(L, 2, 0);
  ensure_init(L);
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  luaL_argcheck(L, root >= 0 && root < size, 2, "root must be a rank");
  check(L, MPI_Bcast(ae_tensor_data(t), count_of(L, t), MPI_FLOAT, root, MPI_COMM_WORLD), "MPI_Bcast");
  return 0;
}

static int l_barrier(lua_State *L) {
  ensure_init(L);
  check(L, MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  return 0;
}

void ae_mpi_abort_if_running(int code) {
  int done = 0, size = 1;
  if (!started()) return;
  MPI_Finalized(&done);
  if (done) return;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > 1) {
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
  }
}

#define AVAILABLE 1

#else /* one process alone */

static int l_init(lua_State *L) {
  if (launched_size() > 1)
    return luaL_error(L, "mpi: started by an MPI launcher with %d ranks, but this aelab was built without MPI: "
                         "build it with `make MPI=1` (or use ./aelab-mpi from `make aelab-mpi`)",
                      launched_size());
  lua_pushinteger(L, 0);
  lua_pushinteger(L, 1);
  return 2;
}

static int l_rank(lua_State *L) {
  lua_pushinteger(L, 0);
  return 1;
}

static int l_size(lua_State *L) {
  lua_pushinteger(L, 1);
  return 1;
}

/* alone, the sum over ranks is the value itself (scaled) */
static int l_allreduce(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  lua_Number scale = luaL_optnumber(L, 2, 1.0);
  float *d = ae_tensor_data(t);
  size_t n = ae_tensor_numel(t);
  if (scale != 1.0)
    for (size_t i = 0; i < n; i++) d[i] *= (float)scale;
  return 0;
}

static int l_sum(lua_State *L) {
  lua_pushnumber(L, luaL_checknumber(L, 1));
  return 1;
}

static int l_bcast(lua_State *L) {
  ae_lua_checktensor(L, 1);
  luaL_argcheck(L, luaL_optinteger(L, 2, 0) == 0, 2, "root must be a rank (only 0 without MPI)");
  return 0;
}

static int l_barrier(lua_State *L) {
  (void)L;
  return 0;
}

void ae_mpi_abort_if_running(int code) { (void)code; }

#define AVAILABLE 0

#endif

static const luaL_Reg functions[] = {
    {"launched", l_launched}, {"init", l_init}, {"rank", l_rank},       {"size", l_size},
    {"allreduce", l_allreduce}, {"sum", l_sum}, {"bcast", l_bcast}, {"barrier", l_barrier}, {NULL, NULL},
};

int luaopen_aelab_mpi(lua_State *L) {
  luaL_newlib(L, functions);
  lua_pushboolean(L, AVAILABLE);
  lua_setfield(L, -2, "available");
  return 1;
}
