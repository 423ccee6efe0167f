/* aelab.Tensor: full userdata holding one reference to a core tensor.
 * Indices seen from Lua are 1-based. */
#include "glue.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

static void tensor_free(void *p) { ae_tensor_free(p); }
static void tensor_tostring(lua_State *L, void *p);

const ae_lua_type_t ae_lua_tensor_type = {
    AE_TENSOR_MT, "Tensor", "tensor", sizeof(ae_lua_box_t), tensor_free, NULL, tensor_tostring,
};

/* [-0, +0] A new zero-filled tensor of that shape, into the empty box b. */
static ae_tensor_t *push_new_into(lua_State *L, ae_lua_box_t *b, int nd, const int *shape) {
  ae_error_t e;
  return ae_lua_fill(L, b, ae_tensor_new(nd, shape, &e), &e);
}

/* [-0, +1] A new zero-filled tensor of that shape, owned by a new userdata. */
static ae_tensor_t *push_new(lua_State *L, int nd, const int *shape) {
  return push_new_into(L, ae_lua_newtensor(L), nd, shape);
}

/* Reads a shape from arguments arg.. (numbers) or a table at arg. */
static int check_shape(lua_State *L, int arg, int shape[AE_MAXDIM]) {
  int nd = 0;
  if (lua_istable(L, arg)) {
    nd = (int)luaL_len(L, arg);
    luaL_argcheck(L, nd >= 1 && nd <= AE_MAXDIM, arg, "shape needs 1 to 4 sizes");
    for (int i = 0; i < nd; i++) {
      lua_geti(L, arg, i + 1);
      lua_Integer v = luaL_checkinteger(L, -1);
      luaL_argcheck(L, v <= INT_MAX, arg, "size too large");
      shape[i] = (int)v;
      lua_pop(L, 1);
    }
  } else {
    int top = lua_gettop(L);
    for (int i = arg; i <= top && lua_type(L, i) == LUA_TNUMBER; i++) {
      luaL_argcheck(L, nd < AE_MAXDIM, i, "at most 4 dimensions");
      lua_Integer v = luaL_checkinteger(L, i);
      luaL_argcheck(L, v <= INT_MAX, i, "size too large");
      shape[nd++] = (int)v;
    }
    luaL_argcheck(L, nd >= 1, arg, "expected sizes (numbers or a table)");
  }
  for (int i = 0; i < nd; i++) luaL_argcheck(L, shape[i] >= 0, arg, "sizes must not be negative");
  return nd;
}

/* zeros(sizes...) → tensor [-0, +1] */
static int t_zeros(lua_State *L) {
  int shape[AE_MAXDIM], nd = check_shape(L, 1, shape);
  push_new(L, nd, shape);
  return 1;
}

static int t_full(lua_State *L) {
  float v = (float)luaL_checknumber(L, 1);
  int shape[AE_MAXDIM], nd = check_shape(L, 2, shape);
  ae_tensor_fill(push_new(L, nd, shape), v);
  return 1;
}

static int t_rand(lua_State *L) {
  int shape[AE_MAXDIM], nd = check_shape(L, 1, shape);
  ae_rng_t *rng = ae_lua_rng(L);
  ae_tensor_t *t = push_new(L, nd, shape);
  ae_rng_fill_uniform(rng, ae_tensor_data(t), ae_tensor_numel(t), 0.0f, 1.0f);
  return 1;
}

static int t_randn(lua_State *L) {
  int shape[AE_MAXDIM], nd = check_shape(L, 1, shape);
  ae_rng_t *rng = ae_lua_rng(L);
  ae_tensor_t *t = push_new(L, nd, shape);
  ae_rng_fill_normal(rng, ae_tensor_data(t), ae_tensor_numel(t), 0.0f, 1.0f);
  return 1;
}

/* randperm(n): the numbers 1..n in random order, as a 1-D tensor. */
static int t_randperm(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0 && n <= (1 << 24), 1, "n must be in 0..2^24");
  int shape[1] = {(int)n};
  ae_rng_t *rng = ae_lua_rng(L);
  float *d = ae_tensor_data(push_new(L, 1, shape));
  for (int i = 0; i < n; i++) d[i] = (float)(i + 1);
  for (int i = (int)n - 1; i > 0; i--) {
    int j = (int)ae_rng_below(rng, (uint32_t)i + 1);
    float tmp = d[i];
    d[i] = d[j];
    d[j] = tmp;
  }
  return 1;
}

/* "[2][1]": the 1-based indices path[0..n-1], for messages. */
static const char *path_str(char *buf, size_t size, const int *path, int n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && used < size; i++) used += (size_t)snprintf(buf + used, size - used, "[%d]", path[i]);
  return buf;
}

/* Checks that the table on top, at nesting `level` (0-based) and reached by
 * the 1-based indices path[0..level-1], has shape[level] entries, each a
 * table of the same shape one level down or, at the last level, a number:
 * a ragged row is an error that names it, not a row cut to the first one's
 * length. [-0, +0, v] */
static void check_nested(lua_State *L, int level, int nd, const int *shape, int *path) {
  char where[96];
  if (level >= nd || nd > AE_MAXDIM) return; /* never: the caller's nd ≤ AE_MAXDIM (tells GCC too) */
  lua_Integer len = luaL_len(L, -1);
  if (len != shape[level])
    luaL_error(L, "tensor{}: ragged table: row %s has %I entries, expected %d like the first row",
               path_str(where, sizeof where, path, level), len, shape[level]);
  for (int k = 1; k <= shape[level]; k++) {
    int type = lua_geti(L, -1, k);
    path[level] = k;
    if (level < nd - 1) {
      if (type != LUA_TTABLE)
        luaL_error(L, "tensor{}: ragged table: element %s is a %s, expected a table of %d numbers",
                   path_str(where, sizeof where, path, level + 1), luaL_typename(L, -1), shape[level + 1]);
      check_nested(L, level + 1, nd, shape, path);
    } else if (!lua_isnumber(L, -1)) {
      luaL_error(L, "tensor{}: element %s is a %s, not a number", path_str(where, sizeof where, path, level + 1),
                 luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
}

/* Nested tables of numbers → tensor: {1,2,3} or {{1,2},{3,4}}. */
static int t_from_table(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int shape[AE_MAXDIM], nd = 0;
  lua_pushvalue(L, 1);
  while (lua_istable(L, -1)) {
    luaL_argcheck(L, nd < AE_MAXDIM, 1, "at most 4 levels of nesting");
    shape[nd++] = (int)luaL_len(L, -1);
    if (shape[nd - 1] == 0) break;
    lua_geti(L, -1, 1);
  }
  lua_settop(L, 1);
  int path[AE_MAXDIM];
  check_nested(L, 0, nd, shape, path); /* every row as long as the first */
  ae_tensor_t *t = push_new(L, nd, shape); /* owned by the userdata: the errors below free it */
  float *d = ae_tensor_data(t);
  size_t n = ae_tensor_numel(t);
  for (size_t k = 0; k < n; k++) {
    size_t rem = k;
    int idx[AE_MAXDIM];
    for (int i = nd - 1; i >= 0; i--) {
      idx[i] = (int)(rem % (size_t)shape[i]);
      rem /= (size_t)shape[i];
    }
    lua_pushvalue(L, 1);
    for (int i = 0; i < nd; i++) {
      if (lua_geti(L, -1, idx[i] + 1) == LUA_TNIL || (i < nd - 1 && !lua_istable(L, -1)))
        return luaL_error(L, "tensor{}: ragged table: element %d at level %d is missing or not a table", idx[i] + 1,
                          i + 1);
      lua_remove(L, -2);
    }
    int ok;
    lua_Number v = lua_tonumberx(L, -1, &ok);
    if (!ok) return luaL_error(L, "tensor{}: element %I is not a number", (lua_Integer)(k + 1));
    d[k] = (float)v;
    lua_pop(L, 1);
  }
  return 1;
}

/* load_npy(path) → tensor | nil, message */
static int t_load_npy(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L); /* ud */
  ae_error_t e;
  b->p = ae_tensor_load_npy(path, &e);
  if (!b->p) {
    luaL_pushfail(L); /* ud nil */
    lua_pushstring(L, e.msg);
    return 2;
  }
  return 1;
}

/* ---- methods ---- */

static int m_size(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer d = luaL_checkinteger(L, 2);
    luaL_argcheck(L, d >= 1 && d <= t->ndim, 2, "dimension out of range");
    lua_pushinteger(L, t->shape[d - 1]);
    return 1;
  }
  lua_createtable(L, t->ndim, 0);
  for (int i = 0; i < t->ndim; i++) {
    lua_pushinteger(L, t->shape[i]);
    lua_seti(L, -2, i + 1);
  }
  return 1;
}

static int m_dim(lua_State *L) {
  lua_pushinteger(L, ae_lua_checktensor(L, 1)->ndim);
  return 1;
}

static int m_numel(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ae_tensor_numel(ae_lua_checktensor(L, 1)));
  return 1;
}

static int m_len(lua_State *L) {
  lua_pushinteger(L, ae_lua_checktensor(L, 1)->shape[0]);
  return 1;
}

/* Flat offset of 1-based indices at arg.. */
static size_t offset_of(lua_State *L, const ae_tensor_t *t, int arg) {
  int nargs = lua_gettop(L) - arg + 1;
  if (nargs != t->ndim) luaL_error(L, "tensor index: %d indices for a %d-D tensor", nargs, t->ndim);
  size_t off = 0;
  for (int i = 0; i < t->ndim; i++) {
    lua_Integer k = luaL_checkinteger(L, arg + i);
    if (k < 1 || k > t->shape[i]) luaL_error(L, "tensor index %d is %d, outside 1..%d", i + 1, (int)k, t->shape[i]);
    off = off * (size_t)t->shape[i] + (size_t)(k - 1);
  }
  return off;
}

static int m_get(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  lua_pushnumber(L, ae_tensor_data(t)[offset_of(L, t, 2)]);
  return 1;
}

static int m_set(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  lua_Number v = luaL_checknumber(L, lua_gettop(L));
  lua_pop(L, 1);
  ae_tensor_data(t)[offset_of(L, t, 2)] = (float)v;
  lua_settop(L, 1);
  return 1;
}

/* narrow(dim, start, count): rows start..start+count-1, a view (Torch's
 * argument order; only dimension 1 narrows without a copy). */
static int m_narrow(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  lua_Integer dim = luaL_checkinteger(L, 2), start = luaL_checkinteger(L, 3), count = luaL_checkinteger(L, 4);
  luaL_argcheck(L, dim == 1, 2, "only dimension 1 (rows) can be narrowed");
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_tensor_narrow(t, (int)start - 1, (int)count, &e), &e);
  return 1;
}

static int m_reshape(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  int shape[AE_MAXDIM], nd = check_shape(L, 2, shape);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_tensor_reshape(t, nd, shape, &e), &e);
  return 1;
}

static int m_clone(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_tensor_clone(t, &e), &e);
  return 1;
}

static int m_copy(lua_State *L) {
  ae_error_t e;
  if (ae_tensor_copy(ae_lua_checktensor(L, 1), ae_lua_checktensor(L, 2), &e)) return ae_lua_raise(L, &e);
  lua_settop(L, 1);
  return 1;
}

/* copy_block(r, c, src [, sr=1, sc=1 [, h, w]]): src's h×w block at row sr,
 * column sc (default: the rest of src from there) into self at row r,
 * column c; all 2-D, 1-based. Returns self. */
static int m_copy_block(lua_State *L) {
  ae_tensor_t *dst = ae_lua_checktensor(L, 1);
  lua_Integer r = luaL_checkinteger(L, 2), c = luaL_checkinteger(L, 3);
  ae_tensor_t *src = ae_lua_checktensor(L, 4);
  lua_Integer sr = luaL_optinteger(L, 5, 1), sc = luaL_optinteger(L, 6, 1);
  int two = src->ndim == 2;
  lua_Integer h = luaL_optinteger(L, 7, two ? src->shape[0] - sr + 1 : 0);
  lua_Integer w = luaL_optinteger(L, 8, two ? src->shape[1] - sc + 1 : 0);
  /* int range here; the core checks the block against both shapes */
  lua_Integer v[6] = {r, c, sr, sc, h, w};
  static const int argn[6] = {2, 3, 5, 6, 7, 8};
  for (int i = 0; i < 6; i++) luaL_argcheck(L, v[i] >= INT_MIN / 2 && v[i] <= INT_MAX / 2, argn[i], "out of range");
  ae_error_t e;
  if (ae_tensor_copy_block(dst, (int)r - 1, (int)c - 1, src, (int)sr - 1, (int)sc - 1, (int)h, (int)w, &e))
    return ae_lua_raise(L, &e);
  lua_settop(L, 1);
  return 1;
}

static int m_fill(lua_State *L) {
  ae_tensor_fill(ae_lua_checktensor(L, 1), (float)luaL_checknumber(L, 2));
  lua_settop(L, 1);
  return 1;
}

/* rows(idx [, start, count [, into]]): rows idx[start..] (1-based) gathered
 * into a new tensor or into `into`. idx is a tensor or a table of numbers. */
static int m_rows(lua_State *L) {
  ae_tensor_t *src = ae_lua_checktensor(L, 1);
  ae_tensor_t *idx = ae_lua_totensor(L, 2);
  if (!idx) luaL_checktype(L, 2, LUA_TTABLE);
  int total = idx ? (int)ae_tensor_numel(idx) : (int)luaL_len(L, 2);
  int start = (int)luaL_optinteger(L, 3, 1), count = (int)luaL_optinteger(L, 4, total - start + 1);
  if (start < 1 || count < 0 || start - 1 + count > total)
    return luaL_error(L, "rows: indices %d..%d outside the %d given", start, start + count - 1, total);
  ae_tensor_t *dst = ae_lua_totensor(L, 5);
  /* every check done: from here each tensor is made inside its userdata */
  lua_settop(L, 5);
  ae_lua_box_t *ib = NULL;
  if (!idx) { /* src idx start count into idxud */
    int shape[1] = {total};
    ib = ae_lua_newtensor(L);
    idx = push_new_into(L, ib, 1, shape);
    for (int i = 0; i < total; i++) {
      lua_geti(L, 2, i + 1); /* may run __index: the tensor is owned already */
      int ok;
      lua_Number v = lua_tonumberx(L, -1, &ok);
      /* not 0 for a non-number: that read as "row 0" or, with base 0, the first row */
      if (!ok) return luaL_error(L, "rows: index %d is a %s, not a row number", i + 1, luaL_typename(L, -1));
      ae_tensor_data(idx)[i] = (float)v;
      lua_pop(L, 1);
    }
  }
  if (!dst) { /* ... dstud */
    int shape[AE_MAXDIM];
    memcpy(shape, src->shape, sizeof shape);
    shape[0] = count;
    dst = push_new(L, src->ndim, shape);
  } else {
    lua_pushvalue(L, 5); /* ... into */
  }
  ae_error_t e;
  int rc = ae_tensor_gather_rows(dst, src, ae_tensor_data(idx) + start - 1, count, 1, &e);
  if (ib) ae_lua_release(&ae_lua_tensor_type, ib); /* now: fit calls this once a batch */
  if (rc) return ae_lua_raise(L, &e);
  return 1;
}

static int m_t(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_tensor_transpose(t, &e), &e);
  return 1;
}

static int m_matmul(lua_State *L) {
  ae_tensor_t *a = ae_lua_checktensor(L, 1), *m = ae_lua_checktensor(L, 2);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_lua_fill(L, b, ae_tensor_matmul(a, m, &e), &e);
  return 1;
}

static int map(lua_State *L, int fn) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  ae_tensor_map(push_new(L, t->ndim, t->shape), t, fn);
  return 1;
}
static int m_log(lua_State *L) { return map(L, AE_FN_LOG); }
static int m_exp(lua_State *L) { return map(L, AE_FN_EXP); }
static int m_abs(lua_State *L) { return map(L, AE_FN_ABS); }
static int m_sqrt(lua_State *L) { return map(L, AE_FN_SQRT); }
static int m_sigmoid(lua_State *L) { return map(L, AE_FN_SIGMOID); }
static int m_tanh(lua_State *L) { return map(L, AE_FN_TANH); }
static int m_relu(lua_State *L) { return map(L, AE_FN_RELU); }

/* clamp(lo, hi): a new tensor */
static int m_clamp(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  float lo = (float)luaL_checknumber(L, 2), hi = (float)luaL_checknumber(L, 3);
  luaL_argcheck(L, lo <= hi, 3, "clamp: lo must not exceed hi");
  ae_tensor_clamp(push_new(L, t->ndim, t->shape), t, lo, hi);
  return 1;
}

static int m_sum(lua_State *L) {
  lua_pushnumber(L, ae_tensor_sum(ae_lua_checktensor(L, 1)));
  return 1;
}

static int m_mean(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  if (lua_toboolean(L, 2)) { /* mean(1): over rows */
    ae_lua_box_t *b = ae_lua_newtensor(L);
    ae_error_t e;
    ae_lua_fill(L, b, ae_tensor_mean_rows(t, &e), &e);
    return 1;
  }
  size_t n = ae_tensor_numel(t);
  lua_pushnumber(L, n ? ae_tensor_sum(t) / (double)n : 0.0);
  return 1;
}

static int m_min(lua_State *L) {
  lua_pushnumber(L, ae_tensor_min(ae_lua_checktensor(L, 1)));
  return 1;
}

static int m_max(lua_State *L) {
  lua_pushnumber(L, ae_tensor_max(ae_lua_checktensor(L, 1)));
  return 1;
}

/* finite() → true, or false, i, v: the flat 1-based index and the value of
 * the first NaN or ±Inf (a truthy index alone would read as "finite"). */
static int m_finite(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  size_t i = ae_tensor_find_nonfinite(t);
  if (i == ae_tensor_numel(t)) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushinteger(L, (lua_Integer)i + 1);
  lua_pushnumber(L, ae_tensor_data(t)[i]);
  return 3;
}

static int m_argmax(lua_State *L) {
  ae_tensor_t *x = ae_lua_checktensor(L, 1);
  ae_lua_box_t *b = ae_lua_newtensor(L);
  ae_error_t e;
  ae_tensor_t *t = ae_lua_fill(L, b, ae_tensor_argmax_rows(x, &e), &e);
  ae_tensor_scalar_op(t, t, 1.0f, AE_OP_ADD, 0); /* 1-based for Lua */
  return 1;
}

/* totable(): nested Lua tables. */
static void push_table(lua_State *L, const float *d, const int *shape, int nd) {
  lua_createtable(L, shape[0], 0);
  size_t inner = 1;
  for (int i = 1; i < nd; i++) inner *= (size_t)shape[i];
  for (int i = 0; i < shape[0]; i++) {
    if (nd == 1) lua_pushnumber(L, d[i]);
    else push_table(L, d + (size_t)i * inner, shape + 1, nd - 1);
    lua_seti(L, -2, i + 1);
  }
}

static int m_totable(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  push_table(L, ae_tensor_data(t), t->shape, t->ndim);
  return 1;
}

/* tobytes(): the raw little-endian float32 values, for gnuplot's binary input. */
static int m_tobytes(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  lua_pushlstring(L, (const char *)ae_tensor_data(t), ae_tensor_numel(t) * sizeof(float));
  return 1;
}

static int m_save_npy(lua_State *L) {
  ae_error_t e;
  if (ae_tensor_save_npy(ae_lua_checktensor(L, 1), luaL_checkstring(L, 2), &e)) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int arith(lua_State *L, int op) {
  ae_tensor_t *a = ae_lua_totensor(L, 1), *b = ae_lua_totensor(L, 2);
  if (a && b) {
    ae_error_t e;
    if (ae_tensor_binop(push_new(L, a->ndim, a->shape), a, b, op, &e)) return ae_lua_raise(L, &e);
    return 1;
  }
  ae_tensor_t *t = a ? a : b;
  if (!t) return luaL_error(L, "tensor arithmetic needs a tensor");
  float s = (float)luaL_checknumber(L, a ? 2 : 1);
  ae_tensor_scalar_op(push_new(L, t->ndim, t->shape), t, s, op, !a);
  return 1;
}

static int mm_add(lua_State *L) { return arith(L, AE_OP_ADD); }
static int mm_sub(lua_State *L) { return arith(L, AE_OP_SUB); }
static int mm_mul(lua_State *L) { return arith(L, AE_OP_MUL); }
static int mm_div(lua_State *L) { return arith(L, AE_OP_DIV); }

static int mm_unm(lua_State *L) {
  ae_tensor_t *t = ae_lua_checktensor(L, 1);
  ae_tensor_scalar_op(push_new(L, t->ndim, t->shape), t, -1.0f, AE_OP_MUL, 0);
  return 1;
}

/* "Tensor[60000×784] {0, 0, 0.0039, ... } min 0 max 1" [-0, +1] */
static void tensor_tostring(lua_State *L, void *p) {
  ae_tensor_t *t = p;
  char shape[96];
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "Tensor%s", ae_tensor_shape_str(t, shape, sizeof shape));
  luaL_addvalue(&b);
  size_t n = ae_tensor_numel(t);
  const float *d = ae_tensor_data(t);
  luaL_addstring(&b, " {");
  size_t show = n <= 8 ? n : 6;
  for (size_t i = 0; i < show; i++) {
    char num[32];
    snprintf(num, sizeof num, "%s%.4g", i ? ", " : "", (double)d[i]);
    luaL_addstring(&b, num);
  }
  if (show < n) luaL_addstring(&b, ", …");
  luaL_addstring(&b, "}");
  if (n > 8) {
    char stats[96];
    snprintf(stats, sizeof stats, " min %.4g max %.4g mean %.4g", (double)ae_tensor_min(t), (double)ae_tensor_max(t),
             ae_tensor_sum(t) / (double)n);
    luaL_addstring(&b, stats);
  }
  luaL_pushresult(&b);
}

/* a == b: same shape and values; a closed tensor equals nothing */
static int mm_eq(lua_State *L) {
  ae_lua_box_t *ua = luaL_testudata(L, 1, AE_TENSOR_MT), *ub = luaL_testudata(L, 2, AE_TENSOR_MT);
  ae_tensor_t *a = ua ? ua->p : NULL, *b = ub ? ub->p : NULL;
  int eq = a && b && ae_tensor_same_shape(a, b) &&
           memcmp(ae_tensor_data(a), ae_tensor_data(b), ae_tensor_numel(a) * sizeof(float)) == 0;
  lua_pushboolean(L, eq);
  return 1;
}

static const luaL_Reg methods[] = {
    {"size", m_size},       {"shape", m_size},      {"dim", m_dim},         {"numel", m_numel},
    {"get", m_get},         {"set", m_set},         {"narrow", m_narrow},   {"reshape", m_reshape},
    {"view", m_reshape},    {"clone", m_clone},     {"copy", m_copy},       {"fill", m_fill},
    {"copy_block", m_copy_block},
    {"rows", m_rows},       {"t", m_t},             {"matmul", m_matmul},   {"sum", m_sum},
    {"mean", m_mean},       {"min", m_min},         {"max", m_max},         {"argmax", m_argmax},
    {"finite", m_finite},
    {"log", m_log},         {"exp", m_exp},         {"abs", m_abs},         {"sqrt", m_sqrt},
    {"sigmoid", m_sigmoid}, {"tanh", m_tanh},       {"relu", m_relu},       {"clamp", m_clamp},
    {"totable", m_totable}, {"tobytes", m_tobytes}, {"save_npy", m_save_npy}, {NULL, NULL},
};

static const luaL_Reg metamethods[] = {
    {"__len", m_len}, {"__add", mm_add}, {"__sub", mm_sub}, {"__mul", mm_mul},
    {"__div", mm_div}, {"__unm", mm_unm}, {"__eq", mm_eq},  {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"zeros", t_zeros}, {"full", t_full},         {"rand", t_rand},         {"randn", t_randn},
    {"randperm", t_randperm}, {"tensor", t_from_table}, {"load_npy", t_load_npy}, {NULL, NULL},
};

int luaopen_aelab_tensor(lua_State *L) {
  ae_lua_createmeta(L, &ae_lua_tensor_type, methods, metamethods);
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  ae_lua_pushis(L, &ae_lua_tensor_type);
  lua_setfield(L, -2, "is_tensor");
  return 1;
}
