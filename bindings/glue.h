/* Shared by the Lua glue files: one way to hold a C object in a userdata
 * (glue.c), type tests, error raising, the per-state random generator.
 * Only bindings/ includes lua.h.
 *
 * A constructor in the manner of liolib's newprefile:
 *
 *   check every argument                          (may raise: nothing made yet)
 *   ae_lua_box_t *b = ae_lua_newbox(L, &T, 0);    [-0, +1]  empty, closed
 *   ae_lua_fill(L, b, ae_x_new(..., &e), &e);     stores it, or raises e
 *
 * so neither a memory error in lua_newuserdatauv nor a bad argument can
 * leak the C object: from the moment it exists a userdata owns it. Nothing
 * that may raise goes into the arguments of the allocating call. */
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

/* The seed of a state's generator until ae.seed (the host's --seed default). */
#define AE_LUA_SEED 42

/* Every aelab userdata starts with a box: the C object it owns, NULL before
 * the object is made and once it is released. */
typedef struct ae_lua_box {
  void *p;
} ae_lua_box_t;

/* One userdata type: its metatable, how to free and print its object. */
typedef struct ae_lua_type {
  const char *tname; /* metatable name in the registry: "aelab.Tensor" */
  const char *name;  /* for "Tensor (closed)" */
  const char *what;  /* for "tensor was closed" */
  size_t size;       /* bytes of the userdata, an ae_lua_box_t first */
  void (*free)(void *p);
  /* Optional: nonzero while others borrow p (a layer in a model); release
   * then leaves p to the finalizer, which runs after theirs. */
  int (*busy)(const void *p);
  /* Optional: pushes the text of a live object [-0, +1]. */
  void (*tostring)(lua_State *L, void *p);
} ae_lua_type_t;

extern const ae_lua_type_t ae_lua_tensor_type, ae_lua_layer_type, ae_lua_optim_type;

/* [-0, +1, m] A new userdata of type T with nuv user values, zero-filled
 * (its box empty): made before the object it will own. */
ae_lua_box_t *ae_lua_newbox(lua_State *L, const ae_lua_type_t *T, int nuv);
/* [-0, +0, v] Stores p, just made, in box b; raises e's message when p is
 * NULL. Returns p. */
void *ae_lua_fill(lua_State *L, ae_lua_box_t *b, void *p, const ae_error_t *e);
/* [-0, +0, v] The object of the T at arg; raises when arg is no T or a
 * closed one. */
void *ae_lua_check(lua_State *L, int arg, const ae_lua_type_t *T);
/* [-0, +0, v] The same, but NULL when arg is no T (a closed T still raises). */
void *ae_lua_test(lua_State *L, int arg, const ae_lua_type_t *T);
/* [-0, +0, -] The one release behind __gc and __close: frees b's object and
 * empties the box; idempotent. Returns 0 when T->busy defers the free. */
int ae_lua_release(const ae_lua_type_t *T, ae_lua_box_t *b);
/* [-0, +1, m] The metatable of T (registry[T->tname]): __gc and __close
 * (ae_lua_release), __tostring, then `metamethods` (may be NULL), and
 * __index = a table of `methods`. Left on the stack. */
void ae_lua_createmeta(lua_State *L, const ae_lua_type_t *T, const luaL_Reg *methods, const luaL_Reg *metamethods);
/* [-0, +1, m] A function is_x(v) → whether v is a T (open or closed). */
void ae_lua_pushis(lua_State *L, const ae_lua_type_t *T);

/* Raises a core error as a Lua error (the message never used as a format). */
int ae_lua_raise(lua_State *L, const ae_error_t *e);

/* [-0, +1, m] An empty Tensor userdata, for ae_lua_fill. */
static inline ae_lua_box_t *ae_lua_newtensor(lua_State *L) { return ae_lua_newbox(L, &ae_lua_tensor_type, 0); }
static inline ae_tensor_t *ae_lua_checktensor(lua_State *L, int arg) {
  return ae_lua_check(L, arg, &ae_lua_tensor_type);
}
/* NULL if not a tensor */
static inline ae_tensor_t *ae_lua_totensor(lua_State *L, int arg) { return ae_lua_test(L, arg, &ae_lua_tensor_type); }
static inline ae_layer_t *ae_lua_checklayer(lua_State *L, int arg) { return ae_lua_check(L, arg, &ae_lua_layer_type); }
static inline ae_optim_t *ae_lua_checkoptim(lua_State *L, int arg) { return ae_lua_check(L, arg, &ae_lua_optim_type); }
/* [-0, +1, m] An empty Layer userdata with nuv user values, for ae_lua_fill. */
ae_lua_box_t *ae_lua_newlayer(lua_State *L, int nuv);

/* [-0, +0, v] Raises "<who>: unknown option 'epoch' (did you mean
 * 'epochs'?)" when the table at arg has a string key not in `allowed` (a
 * NULL-terminated list); integer keys are left to the caller, other keys
 * raise too. Nothing when arg is none or nil. The twin of
 * bindings/aelab/optcheck.lua: same distance, aliases and message. */
void ae_lua_check_options(lua_State *L, int arg, const char *who, const char *const *allowed);

/* opts.init ('glorot'/'xavier', default, or 'he'/'kaiming') of the options
 * table at arg; errors name `who`. */
int ae_lua_opt_init(lua_State *L, int arg, const char *who);
/* The convolutional layers' constructors (lconv.c), added to aelab.layer. */
extern const luaL_Reg ae_lua_conv_functions[];
/* Files and folders without a shell (lfile.c), added to aelab.sys. */
extern const luaL_Reg ae_lua_file_functions[];

/* [-0, +0, m] The generator of this Lua state (registry, made and seeded
 * with AE_LUA_SEED on first use): two states draw independently. The host
 * makes it before anything else, so later calls never allocate. */
ae_rng_t *ae_lua_rng(lua_State *L);

/* A hook around the state's allocator that can refuse an allocation, so
 * tests reach the memory errors of constructors (aelab.sys.fail_alloc). */
typedef struct ae_lua_alloc {
  lua_Alloc f; /* the allocator it wraps, and its ud */
  void *ud;
  long fail_in; /* new blocks until the one refused; 0: none planned */
  int refuse;   /* blocks still to refuse now */
  int fired;    /* a refusal happened since fail_in was set */
} ae_lua_alloc_t;
/* Wraps L's allocator with the hook a (which must outlive L). */
void ae_lua_hook_alloc(lua_State *L, ae_lua_alloc_t *a);
/* The hook of L, or NULL when the host did not install it. */
ae_lua_alloc_t *ae_lua_alloc_hook(lua_State *L);

int luaopen_aelab_tensor(lua_State *L);
int luaopen_aelab_layer(lua_State *L);
int luaopen_aelab_model(lua_State *L);
int luaopen_aelab_optim(lua_State *L);
/* aelab.optim.minimize (lminimize.c): the full-batch optimizers' run */
int ae_lua_minimize(lua_State *L);
int luaopen_aelab_data(lua_State *L);
int luaopen_aelab_sys(lua_State *L);
int luaopen_aelab_pca(lua_State *L);
int luaopen_aelab_modelfile(lua_State *L);
int luaopen_aelab_signal(lua_State *L);
int luaopen_aelab_mpi(lua_State *L);
/* A script that ended in an error while MPI runs with more than one rank:
 * MPI_Abort, so the other ranks (waiting in a collective or in MPI_Finalize)
 * stop too instead of hanging the job. No-op without MPI or alone. */
void ae_mpi_abort_if_running(int code);
int luaopen_aelab_audio(lua_State *L);
int luaopen_aelab_image(lua_State *L);
int luaopen_aelab_i18ncore(lua_State *L);
/* aelab.term (lterm.c): pictures in the terminal, by chafa */
int luaopen_aelab_term(lua_State *L);

/* Ctrl-C (bindings/lsignal.c). setup: [-0, +0, m] makes the interrupt value
 * (once per state, before any Lua runs). catch: SIGINT stops L's Lua code at
 * its next instruction with the interrupt as the error. take: 1 when a
 * SIGINT came since and its hook has not fired (then clears it and catches
 * again; the REPL's prompt uses it), else 0. is_interrupt: [-0, +0] whether
 * the value at idx is the interrupt. */
void ae_lua_signal_setup(lua_State *L);
void ae_lua_sigint_catch(lua_State *L);
int ae_lua_sigint_take(void);
int ae_lua_is_interrupt(lua_State *L, int idx);

#endif
