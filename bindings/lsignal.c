/* Ctrl-C (SIGINT), the way Lua's lua.c handles it: the handler only sets a
 * hook on the Lua state (lua_sethook may be called from a signal handler),
 * and the hook raises "the interrupt" at the next Lua instruction. A C call
 * (one training step, a whole PCA) always finishes first, so a model is left
 * as it was after its last finished batch. The handler puts back the
 * default action first: a second Ctrl-C kills at once.
 *
 * The interrupt is one error value, a userdata kept in the registry, so fit,
 * the host and the lesson runner recognize it whatever pcall it went
 * through. Lua API (aelab.signal):
 *   is_interrupt(v) → whether v is the interrupt
 *   interrupt()     raises it, as a Ctrl-C would (for tests)
 *
 * Limits: a coroutine running when the signal comes is not stopped (the hook
 * is set on the state the host runs, as in lua.c). */
#include "glue.h"

#include <signal.h>
#include <string.h>

#define INTERRUPT_KEY "aelab.interrupt"

/* The state the handler stops. The one piece of global mutable state here
 * (with the RNG and the thread settings), as lua.c's globalL: a signal
 * handler has no other way to reach the state. Set before the handler is
 * installed. */
static lua_State *volatile interrupt_target = NULL;

/* [-0, +1] The interrupt value. */
static void push_interrupt(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, INTERRUPT_KEY); }

int ae_lua_is_interrupt(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  push_interrupt(L);
  int same = !lua_isnil(L, -1) && lua_rawequal(L, idx, -1);
  lua_pop(L, 1);
  return same;
}

/* The hook: runs in the Lua state, not in the signal handler. */
static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  push_interrupt(L);
  lua_error(L);
}

static void set_action(void (*action)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = action;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: a blocking read (the REPL's readline) returns EINTR */
  sigaction(SIGINT, &sa, NULL);
}

static void laction(int sig) {
  (void)sig;
  set_action(SIG_DFL); /* a second Ctrl-C terminates the process */
  lua_sethook(interrupt_target, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

void ae_lua_sigint_catch(lua_State *L) {
  interrupt_target = L;
  set_action(laction);
}

int ae_lua_sigint_take(void) {
  lua_State *L = interrupt_target;
  if (!L || lua_gethook(L) != lstop) return 0;
  lua_sethook(L, NULL, 0, 0);
  set_action(laction);
  return 1;
}

static int interrupt_tostring(lua_State *L) {
  lua_pushliteral(L, "interrupted");
  return 1;
}

void ae_lua_signal_setup(lua_State *L) {
  lua_newuserdatauv(L, 1, 0);
  luaL_newmetatable(L, "aelab.Interrupt");
  lua_pushcfunction(L, interrupt_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, INTERRUPT_KEY);
}

static int l_is_interrupt(lua_State *L) {
  luaL_checkany(L, 1);
  lua_pushboolean(L, ae_lua_is_interrupt(L, 1));
  return 1;
}

static int l_interrupt(lua_State *L) {
  push_interrupt(L);
  if (lua_isnil(L, -1)) return luaL_error(L, "interrupt: the host did not set up aelab.signal");
  return lua_error(L);
}

static const luaL_Reg functions[] = {{"is_interrupt", l_is_interrupt}, {"interrupt", l_interrupt}, {NULL, NULL}};

int luaopen_aelab_signal(lua_State *L) {
  luaL_newlib(L, functions);
  return 1;
}
