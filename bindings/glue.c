/* What every userdata type shares (liolib's newprefile, aux_close and
 * createmeta, once for all types), error raising, and the generator each
 * Lua state keeps in its registry. */
#include "glue.h"

#include <string.h>

int ae_lua_raise(lua_State *L, const ae_error_t *e) { return luaL_error(L, "%s", e->msg); }

/* Levenshtein distance of two option names; names longer than 63 bytes
 * count as far from everything (no option is that long). */
static size_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), row[64];
  if (la > 63 || lb > 63) return (size_t)-1;
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0]; /* row[i-1][j-1] */
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      diag = up;
      row[j] = best;
    }
  }
  return row[lb];
}

/* Other libraries' names for our options: bindings/aelab/optcheck.lua's list. */
static const char *const aliases[][2] = {
    {"learning_rate", "lr"},     {"epsilon", "eps"},
    {"batch_size", "batch"},     {"num_epochs", "epochs"},
    {"n_epochs", "epochs"},      {"validation_data", "validation"},
    {"decay", "weight_decay"},   {"momentum_nesterov", "nesterov"},
};

/* The allowed name nearest to key when near enough to be a typo (within a
 * third of the longer name, at least 2 edits, or a prefix either way), a
 * known alias, or NULL. */
static const char *nearest(const char *key, const char *const *allowed) {
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(key, aliases[i][0]) == 0)
      for (const char *const *k = allowed; *k; k++)
        if (strcmp(*k, aliases[i][1]) == 0) return *k;
  const char *best = NULL;
  size_t bestd = 0;
  for (const char *const *k = allowed; *k; k++) {
    size_t d = distance(key, *k);
    if (!best || d < bestd || (d == bestd && strcmp(*k, best) < 0)) best = *k, bestd = d;
  }
  if (!best) return NULL;
  size_t lk = strlen(key), lb = strlen(best), longer = lk > lb ? lk : lb, limit = longer / 3 < 2 ? 2 : longer / 3;
  if (bestd <= limit || strncmp(best, key, lk < lb ? lk : lb) == 0) return best;
  return NULL;
}

void ae_lua_check_options(lua_State *L, int arg, const char *who, const char *const *allowed) {
  if (lua_isnoneornil(L, arg)) return;
  arg = lua_absindex(L, arg);
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_pushnil(L); /* nil */
  while (lua_next(L, arg)) { /* key value */
    lua_pop(L, 1);            /* key */
    if (lua_isinteger(L, -1)) continue;
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: option names are strings, got a %s key", who, luaL_typename(L, -1));
    const char *key = lua_tostring(L, -1);
    int known = 0;
    for (const char *const *k = allowed; *k && !known; k++) known = strcmp(key, *k) == 0;
    if (known) continue;
    const char *near = nearest(key, allowed);
    if (near) luaL_error(L, "%s: unknown option '%s' (did you mean '%s'?)", who, key, near);
    luaL_Buffer b; /* the lists are written in alphabetical order, as Lua's sorted ones */
    luaL_buffinit(L, &b);
    for (const char *const *k = allowed; *k; k++) {
      if (k != allowed) luaL_addstring(&b, ", ");
      luaL_addstring(&b, *k);
    }
    luaL_pushresult(&b);
    luaL_error(L, "%s: unknown option '%s' (the options are %s)", who, key, lua_tostring(L, -1));
  }
}

ae_lua_box_t *ae_lua_newbox(lua_State *L, const ae_lua_type_t *T, int nuv) {
  ae_lua_box_t *b = lua_newuserdatauv(L, T->size, nuv); /* ud */
  memset(b, 0, T->size);
  luaL_setmetatable(L, T->tname); /* with __gc, so the finalizer is set from here on */
  return b;
}

void *ae_lua_fill(lua_State *L, ae_lua_box_t *b, void *p, const ae_error_t *e) {
  if (!p) ae_lua_raise(L, e);
  b->p = p;
  return p;
}

void *ae_lua_test(lua_State *L, int arg, const ae_lua_type_t *T) {
  ae_lua_box_t *b = luaL_testudata(L, arg, T->tname);
  if (!b) return NULL;
  if (!b->p) luaL_argerror(L, arg, lua_pushfstring(L, "%s was closed", T->what));
  return b->p;
}

void *ae_lua_check(lua_State *L, int arg, const ae_lua_type_t *T) {
  ae_lua_box_t *b = luaL_checkudata(L, arg, T->tname);
  if (!b->p) luaL_argerror(L, arg, lua_pushfstring(L, "%s was closed", T->what));
  return b->p;
}

int ae_lua_release(const ae_lua_type_t *T, ae_lua_box_t *b) {
  if (!b->p) return 1;
  if (T->busy && T->busy(b->p)) return 0;
  T->free(b->p);
  b->p = NULL;
  return 1;
}

/* __gc and __close(self [, err]) → nothing; upvalue 1: the type. Closing by
 * hand and the finalizer after it both land here, so it must be idempotent. */
static int mm_release(lua_State *L) {
  const ae_lua_type_t *T = lua_touserdata(L, lua_upvalueindex(1));
  ae_lua_release(T, luaL_checkudata(L, 1, T->tname));
  return 0;
}

/* __tostring(self) → "Tensor[2×3] {...}", "Tensor (closed)" */
static int mm_tostring(lua_State *L) {
  const ae_lua_type_t *T = lua_touserdata(L, lua_upvalueindex(1));
  ae_lua_box_t *b = luaL_checkudata(L, 1, T->tname);
  if (!b->p) lua_pushfstring(L, "%s (closed)", T->name);
  else if (T->tostring) T->tostring(L, b->p);
  else lua_pushfstring(L, "%s (%p)", T->name, b->p);
  return 1;
}

/* is_x(v) → boolean; upvalue 1: the type. */
static int l_is(lua_State *L) {
  const ae_lua_type_t *T = lua_touserdata(L, lua_upvalueindex(1));
  lua_pushboolean(L, luaL_testudata(L, 1, T->tname) != NULL);
  return 1;
}

void ae_lua_pushis(lua_State *L, const ae_lua_type_t *T) {
  lua_pushlightuserdata(L, (void *)T);
  lua_pushcclosure(L, l_is, 1);
}

void ae_lua_createmeta(lua_State *L, const ae_lua_type_t *T, const luaL_Reg *methods, const luaL_Reg *metamethods) {
  luaL_newmetatable(L, T->tname);      /* mt */
  lua_pushlightuserdata(L, (void *)T); /* mt T */
  lua_pushcclosure(L, mm_release, 1);  /* mt release */
  lua_pushvalue(L, -1);                /* mt release release */
  lua_setfield(L, -3, "__gc");         /* mt release */
  lua_setfield(L, -2, "__close");      /* mt */
  lua_pushlightuserdata(L, (void *)T);
  lua_pushcclosure(L, mm_tostring, 1);
  lua_setfield(L, -2, "__tostring");
  if (metamethods) luaL_setfuncs(L, metamethods, 0);
  lua_newtable(L); /* mt methods */
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index"); /* mt */
}

/* Its address is the registry key of the state's generator. */
static const char rng_key = 'r';

ae_rng_t *ae_lua_rng(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &rng_key) != LUA_TUSERDATA) { /* rng|nil */
    lua_pop(L, 1);
    ae_rng_t *r = lua_newuserdatauv(L, sizeof *r, 0); /* rng */
    ae_rng_seed(r, AE_LUA_SEED);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &rng_key);
  }
  ae_rng_t *r = lua_touserdata(L, -1); /* the registry keeps it alive */
  lua_pop(L, 1);
  return r;
}

/* The host's allocator hook for tests (Lua's ltests.c fails allocations the
 * same way): the fail_in-th new block from now is refused, and so is the
 * retry Lua makes after its emergency collection, so the memory error
 * reaches the caller. Growth of existing blocks is never refused. */
static void *hooked_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  ae_lua_alloc_t *a = ud;
  if (nsize > 0 && !ptr && a->fail_in > 0 && --a->fail_in == 0) {
    a->refuse = 2; /* this one and the retry */
    a->fired = 1;
  }
  if (nsize > 0 && !ptr && a->refuse > 0) {
    a->refuse--;
    return NULL;
  }
  return a->f(a->ud, ptr, osize, nsize);
}

void ae_lua_hook_alloc(lua_State *L, ae_lua_alloc_t *a) {
  a->f = lua_getallocf(L, &a->ud);
  a->fail_in = a->refuse = a->fired = 0;
  lua_setallocf(L, hooked_alloc, a);
}

ae_lua_alloc_t *ae_lua_alloc_hook(lua_State *L) {
  void *ud;
  return lua_getallocf(L, &ud) == hooked_alloc ? ud : NULL;
}
