/* aelab.PCA: an exact PCA fitted in the core (BLIS + LAPACK).
 *
 *   local pca = require("aelab.pca").fit(x, k)    -- x (N, D), 1 ≤ k ≤ D
 *   pca:transform(x) → (N, k)    pca:inverse_transform(z) → (N, D)
 *   pca:components() → (k, D)    pca:mean() → (1, D)
 *   pca:explained_variance(), pca:explained_variance_ratio() → (k)
 *   pca:total_variance() → number
 *   require("aelab.pca").sym_eigenvalues(a) → {λ1 ≥ λ2 ≥ ...}: a small
 *       symmetric (n, n) tensor's eigenvalues, in double (LAPACK's dsyevr) */
#include "glue.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "pca.h"

typedef struct {
  ae_pca_t *p; /* NULL once closed */
} lpca_t;

static ae_pca_t *checkpca(lua_State *L, int arg) {
  lpca_t *u = luaL_checkudata(L, arg, AE_PCA_MT);
  if (!u->p) luaL_argerror(L, arg, "PCA was closed");
  return u->p;
}

/* fit(x, k) → PCA */
static int l_fit(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2);
  luaL_argcheck(L, k >= INT_MIN && k <= INT_MAX, 2, "number of components out of range");
  lpca_t *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->p = NULL;
  luaL_setmetatable(L, AE_PCA_MT);
  ae_error_t e;
  u->p = ae_pca_fit(x, (int)k, &e);
  if (!u->p) return ae_lua_raise(L, &e);
  return 1;
}

/* A new tensor of the given shape filled from src (n floats). */
static void push_copy(lua_State *L, int ndim, const int *shape, const float *src, size_t n) {
  ae_error_t e;
  ae_tensor_t *t = ae_tensor_new(ndim, shape, &e);
  if (t) memcpy(ae_tensor_data(t), src, n * sizeof(float));
  ae_lua_pushtensor(L, t, &e);
}

/* transform(x (N, D)) → z (N, k) */
static int m_transform(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2);
  ae_error_t e;
  ae_tensor_t *out = ae_tensor_new2(x->ndim < 2 ? 1 : x->shape[0], p->k, &e);
  ae_lua_pushtensor(L, out, &e); /* on the stack first: an error below frees it */
  if (ae_pca_transform(p, x, out, &e)) return ae_lua_raise(L, &e);
  return 1;
}

/* inverse_transform(z (N, k)) → x̂ (N, D) */
static int m_inverse_transform(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  ae_tensor_t *z = ae_lua_checktensor(L, 2);
  ae_error_t e;
  ae_tensor_t *out = ae_tensor_new2(z->shape[0], p->D, &e);
  ae_lua_pushtensor(L, out, &e);
  if (ae_pca_inverse_transform(p, z, out, &e)) return ae_lua_raise(L, &e);
  return 1;
}

static int m_components(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  int shape[2] = {p->k, p->D};
  push_copy(L, 2, shape, p->components, (size_t)p->k * p->D);
  return 1;
}

static int m_mean(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  int shape[2] = {1, p->D};
  push_copy(L, 2, shape, p->mean, (size_t)p->D);
  return 1;
}

static int m_explained_variance(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  push_copy(L, 1, &p->k, p->explained_variance, (size_t)p->k);
  return 1;
}

static int m_explained_variance_ratio(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  push_copy(L, 1, &p->k, p->explained_variance_ratio, (size_t)p->k);
  return 1;
}

static int m_total_variance(lua_State *L) {
  lua_pushnumber(L, checkpca(L, 1)->total_variance);
  return 1;
}

/* "PCA(784 → 32, 86.3% of variance)" */
static int mm_tostring(lua_State *L) {
  lpca_t *u = luaL_checkudata(L, 1, AE_PCA_MT);
  if (!u->p) {
    lua_pushliteral(L, "PCA (closed)");
    return 1;
  }
  double kept = 0;
  for (int i = 0; i < u->p->k; i++) kept += u->p->explained_variance_ratio[i];
  char buf[96];
  snprintf(buf, sizeof buf, "PCA(%d → %d, %.1f%% of variance)", u->p->D, u->p->k, 100.0 * kept);
  lua_pushstring(L, buf);
  return 1;
}

/* __gc and __close: frees once, then marks the userdata closed */
static int mm_gc(lua_State *L) {
  lpca_t *u = luaL_checkudata(L, 1, AE_PCA_MT);
  ae_pca_free(u->p);
  u->p = NULL;
  return 0;
}

static const luaL_Reg methods[] = {
    {"transform", m_transform},
    {"inverse_transform", m_inverse_transform},
    {"components", m_components},
    {"mean", m_mean},
    {"explained_variance", m_explained_variance},
    {"explained_variance_ratio", m_explained_variance_ratio},
    {"total_variance", m_total_variance},
    {NULL, NULL},
};

static const luaL_Reg metamethods[] = {
    {"__index", NULL}, {"__gc", mm_gc}, {"__close", mm_gc}, {"__tostring", mm_tostring}, {NULL, NULL},
};

/* sym_eigenvalues(a (n, n)) → {λ1, ..., λn}, decreasing */
static int l_sym_eigenvalues(lua_State *L) {
  ae_tensor_t *a = ae_lua_checktensor(L, 1);
  luaL_argcheck(L, a->ndim == 2 && a->shape[0] == a->shape[1], 1, "expected a square 2-D tensor");
  int n = a->shape[0];
  /* Lua owns the scratch: an error below leaves nothing to free */
  double *w = lua_newuserdatauv(L, sizeof(double) * (size_t)(n > 0 ? n : 1), 0);
  ae_error_t e;
  if (ae_pca_sym_eigenvalues(ae_tensor_data(a), n, w, &e)) return ae_lua_raise(L, &e);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushnumber(L, w[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static const luaL_Reg functions[] = {{"fit", l_fit}, {"sym_eigenvalues", l_sym_eigenvalues}, {NULL, NULL}};

int luaopen_aelab_pca(lua_State *L) {
  luaL_newmetatable(L, AE_PCA_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  return 1;
}
