/* aelab.modelfile: safetensors files (core/safetensors.h) to and from Lua
 * tables; aelab/modelfiles.lua builds models on top.
 *   read(path) → {meta = {key = value}, names = {name, ...}, tensors = {name = Tensor}} | nil, message
 *   write(path, meta, names, tensors) → true | nil, message
 * A missing, unreadable, damaged or newer file comes back as nil, message
 * (environmental: net:save, ae.load and net:load_weights hand it on as nil,
 * message; checkpoints raise from fit); bad arguments raise. */
#include "glue.h"
#include "safetensors.h"

#include <string.h>

static void st_free(void *p) { ae_st_free(p); }

/* The parsed file, owned by a userdata while its tables are built: a memory
 * error in Lua then cannot leak it. */
static const ae_lua_type_t st_type = {
    "aelab.ModelFile", "ModelFile", "model file", sizeof(ae_lua_box_t), st_free, NULL, NULL,
};

static int l_read(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  ae_lua_box_t *b = ae_lua_newbox(L, &st_type, 0); /* path box */
  ae_error_t e;
  ae_st_t *st = b->p = ae_st_read(path, &e);
  if (!st) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  lua_createtable(L, 0, 3); /* path box file */
  lua_createtable(L, 0, st->nmeta);
  for (int i = 0; i < st->nmeta; i++) {
    lua_pushstring(L, st->value[i]);
    lua_setfield(L, -2, st->key[i]);
  }
  lua_setfield(L, -2, "meta");
  lua_createtable(L, st->n, 0); /* path box file names */
  lua_createtable(L, 0, st->n); /* path box file names tensors */
  for (int i = 0; i < st->n; i++) {
    const ae_st_entry_t *t = &st->t[i];
    lua_pushstring(L, t->name);
    lua_seti(L, -3, i + 1);
    /* a 0-d tensor of the file is one value here: aelab's tensors have ≥ 1 dimension */
    int one = 1;
    ae_lua_box_t *tb = ae_lua_newtensor(L);
    ae_tensor_t *x = ae_lua_fill(L, tb, ae_tensor_new(t->ndim ? t->ndim : 1, t->ndim ? t->shape : &one, &e), &e);
    ae_st_values(st, i, ae_tensor_data(x));
    lua_setfield(L, -2, t->name);
  }
  lua_setfield(L, -3, "tensors");
  lua_setfield(L, -2, "names"); /* path box file */
  ae_lua_release(&st_type, b);  /* the bytes now, not at the next collection */
  return 1;
}

static int l_write(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  lua_settop(L, 4);
  int nmeta = 0, n = (int)luaL_len(L, 3);
  for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) nmeta++;
  /* scratch arrays as userdata: collected whatever raises below */
  const char **meta = lua_newuserdatauv(L, (size_t)(2 * nmeta + 1) * sizeof *meta, 0); /* .. meta */
  ae_st_out_t *out = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *out, 0);          /* .. meta out */
  int k = 0;
  for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      return luaL_argerror(L, 2, "metadata keys and values must be strings");
    meta[2 * k] = lua_tostring(L, -2); /* the table keeps them alive */
    meta[2 * k + 1] = lua_tostring(L, -1);
    k++;
  }
  for (int i = 0; i < n; i++) {
    lua_geti(L, 3, i + 1);
    lua_geti(L, 4, i + 1);
    if (lua_type(L, -2) != LUA_TSTRING) return luaL_argerror(L, 3, "tensor names must be strings");
    ae_tensor_t *t = ae_lua_totensor(L, -1);
    if (!t) return luaL_argerror(L, 4, lua_pushfstring(L, "element %d is not a tensor", i + 1));
    out[i] = (ae_st_out_t){lua_tostring(L, -2), t->ndim, t->shape, ae_tensor_data(t)};
    lua_pop(L, 2); /* the tables keep both alive */
  }
  ae_error_t e;
  if (ae_st_write(path, meta, nmeta, out, n, &e)) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg functions[] = {{"read", l_read}, {"write", l_write}, {NULL, NULL}};

int luaopen_aelab_modelfile(lua_State *L) {
  static const luaL_Reg none[] = {{NULL, NULL}};
  ae_lua_createmeta(L, &st_type, none, NULL);
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  return 1;
}
