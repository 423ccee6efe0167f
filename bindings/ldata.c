/* Data loaders: IDX files and the built-in letter font. Missing or broken
 * files come back as nil, message (an environmental failure a script may
 * want to handle); the pure-Lua part turns them into errors with advice. */
#include "glue.h"

#include "data.h"

/* idx(path [, scale=false]) → tensor | nil, message */
static int l_idx(lua_State *L) {
  ae_error_t e;
  ae_tensor_t *t = ae_idx_load(luaL_checkstring(L, 1), lua_toboolean(L, 2), &e);
  if (!t) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  ae_lua_pushtensor(L, t, &e);
  return 1;
}

/* letters() → x [32×35], chars (a string of 32 characters) */
static int l_letters(lua_State *L) {
  ae_error_t e;
  char chars[AE_LETTERS + 1];
  ae_lua_pushtensor(L, ae_letters(chars, &e), &e);
  lua_pushstring(L, chars);
  return 2;
}

static const luaL_Reg functions[] = {{"idx", l_idx}, {"letters", l_letters}, {NULL, NULL}};

int luaopen_aelab_data(lua_State *L) {
  luaL_newlib(L, functions);
  return 1;
}
