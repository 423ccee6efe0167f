/* Data loaders: IDX files and the built-in letter font. Missing or broken
 * files come back as nil, message (an environmental failure a script may
 * want to handle); the pure-Lua part turns them into errors with advice. */
#include "glue.h"

#include "data.h"

/* idx(path [, scale=false]) → tensor | nil, message */
static int l_idx(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int scale = lua_toboolean(L, 2);
  ae_lua_box_t *b = ae_lua_newtensor(L); /* ud */
  ae_error_t e;
  b->p = ae_idx_load(path, scale, &e);
  if (!b->p) {
    luaL_pushfail(L); /* ud nil message */
    lua_pushstring(L, e.msg);
    return 2;
  }
  return 1;
}

/* letters() → x [32×35], chars (a string of 32 characters) */
static int l_letters(lua_State *L) {
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  char chars[AE_LETTERS + 1];
  ae_lua_fill(L, b, ae_letters(chars, &e), &e);
  lua_pushstring(L, chars);
  return 2;
}

static const luaL_Reg functions[] = {{"idx", l_idx}, {"letters", l_letters}, {NULL, NULL}};

int luaopen_aelab_data(lua_State *L) {
  luaL_newlib(L, functions);
  return 1;
}
