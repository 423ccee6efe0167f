/* Shared by the Lua glue files: userdata types and error raising.
 * Only bindings/ includes lua.h. */
#ifndef AE_GLUE_H
#define AE_GLUE_H

#include <lauxlib.h>
#include <lua.h>

#include "ae.h"
#include "layer.h"
#include "model.h"
#include "optim.h"
#include "rng.h"
#include "tensor.h"

#define AE_TENSOR_MT "aelab.Tensor"
#define AE_LAYER_MT "aelab.Layer"
#define AE_MODEL_MT "aelab.Model"
#define AE_OPTIM_MT "aelab.Optimizer"
#define AE_PCA_MT "aelab.PCA"

/* Raises a core error as a Lua error (the message never used as a format). */
int ae_lua_raise(lua_State *L, const ae_error_t *e);

ae_tensor_t *ae_lua_checktensor(lua_State *L, int arg);
ae_tensor_t *ae_lua_totensor(lua_State *L, int arg); /* NULL if not a tensor */
/* Pushes a new Tensor userdata owning t; raises e's message when t is NULL. */
void ae_lua_pushtensor(lua_State *L, ae_tensor_t *t, const ae_error_t *e);
ae_layer_t *ae_lua_checklayer(lua_State *L, int arg);
/* Pushes a new Layer userdata owning l; raises e's message when l is NULL. */
void ae_lua_pushlayer(lua_State *L, ae_layer_t *l, const ae_error_t *e);
/* opts.init ('glorot'/'xavier', default, or 'he'/'kaiming') of the options
 * table at arg; errors name `who`. */
int ae_lua_opt_init(lua_State *L, int arg, const char *who);
/* The convolutional layers' constructors (lconv.c), added to aelab.layer. */
extern const luaL_Reg ae_lua_conv_functions[];
ae_optim_t *ae_lua_checkoptim(lua_State *L, int arg);

/* The one RNG of the process. */
ae_rng_t *ae_lua_rng(void);

int luaopen_aelab_tensor(lua_State *L);
int luaopen_aelab_layer(lua_State *L);
int luaopen_aelab_model(lua_State *L);
int luaopen_aelab_optim(lua_State *L);
int luaopen_aelab_data(lua_State *L);
int luaopen_aelab_sys(lua_State *L);
int luaopen_aelab_pca(lua_State *L);

#endif
