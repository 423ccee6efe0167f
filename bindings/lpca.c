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

static void pca_free(void *p) { ae_pca_free(p); }
static void pca_tostring(lua_State *L, void *p);

static const ae_lua_type_t pca_type = {
    AE_PCA_MT, "PCA", "PCA", sizeof(ae_lua_box_t), pca_free, NULL, pca_tostring,
};

static ae_pca_t *checkpca(lua_State *L, int arg) { return ae_lua_check(L, arg, &pca_type); }

/* fit(x, k) → PCA */
static int l_fit(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2);
  luaL_argcheck(L, k >= INT_MIN && k <= INT_MAX, 2, "number of components out of range");
  ae_lua_box_t *b = ae_lua_newbox(L, &pca_type, 0); /* x k pca */
  ae_error_t e;
  ae_lua_fill(L, b, ae_pca_fit(x, (int)k, &e), &e);
  return 1;
}

/* [-0, +1] A new tensor of that shape, owned by a userdata. */
static ae_tensor_t *push_new(lua_State *L, int ndim, const int *shape) {
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  return ae_lua_fill(L, b, ae_tensor_new(ndim, shape, &e), &e);
}

/* [-0, +1] A new tensor of the given shape filled from src (n floats). */
static void push_copy(lua_State *L, int ndim, const int *shape, const float *src, size_t n) {
  memcpy(ae_tensor_data(push_new(L, ndim, shape)), src, n * sizeof(float));
}

/* transform(x (N, D)) → z (N, k) */
static int m_transform(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  ae_tensor_t *x = ae_lua_checktensor(L, 2);
  int shape[2] = {x->ndim < 2 ? 1 : x->shape[0], p->k};
  ae_tensor_t *out = push_new(L, 2, shape); /* owned: an error below frees it */
  ae_error_t e;
  if (ae_pca_transform(p, x, out, &e)) return ae_lua_raise(L, &e);
  return 1;
}

/* inverse_transform(z (N, k)) → x̂ (N, D) */
static int m_inverse_transform(lua_State *L) {
  ae_pca_t *p = checkpca(L, 1);
  ae_tensor_t *z = ae_lua_checktensor(L, 2);
  int shape[2] = {z->shape[0], p->D};
  ae_tensor_t *out = push_new(L, 2, shape);
  ae_error_t e;
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

/* "PCA(784 → 32, 86.3% of variance)" [-0, +1] */
static void pca_tostring(lua_State *L, void *p) {
  ae_pca_t *pca = p;
  double kept = 0;
  for (int i = 0; i < pca->k; i++) kept += pca->explained_variance_ratio[i];
  char buf[96];
  snprintf(buf, sizeof buf, "PCA(%d → %d, %.1f%% of variance)", pca->D, pca->k, 100.0 * kept);
  lua_pushstring(L, buf);
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
  ae_lua_createmeta(L, &pca_type, methods, NULL);
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  return 1;
}
