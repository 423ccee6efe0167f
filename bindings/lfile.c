/* Files and folders seen from Lua, added to aelab.sys (lsys.c), so that no
 * path ever reaches a shell (no `mkdir -p`, no `ls`, no `rm -rf`):
 *
 *   write_file(path, s1, s2, ...) → true | nil, msg   whole or not at all
 *                                   (core/file.h: temporary name, checked,
 *                                   flushed, renamed; the old file stays on
 *                                   failure)
 *   mkdir(path)       → true | nil, msg   every missing level, like mkdir -p
 *   listdir(path)     → {{name=, dir=}, ...} sorted by name | nil, msg
 *   remove_tree(path) → true | nil, msg   a folder and all inside (no symlink
 *                                         is followed)
 *   replace_dir(from, to) → true | nil, msg   `from` becomes `to`; an old `to`
 *                                   is swapped out whole and removed
 *   which(name)       → path | nil, msg   a program on PATH, as execvp finds it
 *   getpid()          → the process id (for names no other run uses)
 *   getcwd()          → the current folder as getcwd(3) says (not $PWD, which
 *                       a parent's make -C or a spawn's cwd may leave stale)
 *   lock(path)        → Lock | nil, msg   an exclusive flock on path (made if
 *                       missing), not waited for: nil, "busy" when another
 *                       process holds it; held until lock:unlock(), the Lock
 *                       is collected or closed (<close>), or the process ends */
#include "glue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* [-0, +2] nil and "what path: strerror(err)", Lua's fail convention */
static int fail(lua_State *L, const char *what, const char *path, int err) {
  luaL_pushfail(L);
  lua_pushfstring(L, "%s %s: %s", what, path, strerror(err));
  return 2;
}

/* write_file(path, ...): every piece is checked before the file is begun,
 * so no Lua error can leave a temporary file behind. */
static int l_write_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int n = lua_gettop(L);
  for (int i = 2; i <= n; i++) luaL_checklstring(L, i, NULL);
  ae_file_t f;
  ae_error_t e;
  if (ae_file_begin(&f, path, &e)) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  for (int i = 2; i <= n; i++) {
    size_t len;
    const char *s = lua_tolstring(L, i, &len);
    if (ae_file_write(&f, s, len)) break; /* the error is kept for commit */
  }
  if (ae_file_commit(&f, &e)) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir(path): one level at a time; a level that exists as a folder is fine. */
static int l_mkdir(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  char buf[PATH_MAX];
  luaL_argcheck(L, len > 0, 1, "empty path");
  if (len >= sizeof buf) return fail(L, "cannot create the folder", path, ENAMETOOLONG);
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0777) != 0) {
      int err = errno;
      if (!(err == EEXIST && is_dir(buf))) return fail(L, "cannot create the folder", buf, err == EEXIST ? ENOTDIR : err);
    }
    buf[i] = c;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int by_name(lua_State *L) {
  lua_getfield(L, 1, "name");
  lua_getfield(L, 2, "name");
  lua_pushboolean(L, strcmp(lua_tostring(L, -2), lua_tostring(L, -1)) < 0);
  return 1;
}

/* listdir(path): the DIR is closed before anything that may raise. */
/* [-2, +1] the string of n bytes at a light userdata (l_listdir's names) */
static int push_block(lua_State *L) {
  const char *p = lua_touserdata(L, 1);
  lua_pushlstring(L, p ? p : "", (size_t)lua_tointeger(L, 2));
  return 1;
}

static int l_listdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_newtable(L); /* entries */
  DIR *d = opendir(path);
  if (!d) return fail(L, "cannot list the folder", path, errno);
  /* names first into a buffer of our own: lua_* calls may raise (memory)
   * while the DIR is open, so copy them out in a protected step */
  size_t cap = 4096, used = 0;
  char *names = malloc(cap);
  struct dirent *ent;
  int err = names ? 0 : ENOMEM;
  while (!err && (ent = readdir(d))) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    size_t n = strlen(ent->d_name) + 2; /* kind byte, name, NUL */
    if (used + n > cap) {
      char *more = realloc(names, cap * 2 + n);
      if (!more) {
        err = ENOMEM;
        break;
      }
      names = more, cap = cap * 2 + n;
    }
    int dir = ent->d_type == DT_DIR;
    if (ent->d_type == DT_UNKNOWN || ent->d_type == DT_LNK) {
      struct stat st;
      dir = fstatat(dirfd(d), ent->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
    }
    names[used] = dir ? 'd' : 'f';
    memcpy(names + used + 1, ent->d_name, n - 1);
    used += n;
  }
  closedir(d);
  if (err) {
    free(names);
    return fail(L, "cannot list the folder", path, err);
  }
  /* a string owns the copy from here on; made in a protected call, so a
   * memory error there cannot leak the buffer (pushing a light C function,
   * a light userdata and an integer allocates nothing) */
  lua_pushcfunction(L, push_block);
  lua_pushlightuserdata(L, names);
  lua_pushinteger(L, (lua_Integer)used);
  int st = lua_pcall(L, 2, 1, 0);
  free(names);
  if (st != LUA_OK) return lua_error(L);
  size_t n;
  const char *s = lua_tolstring(L, -1, &n);
  lua_Integer k = 0;
  for (size_t i = 0; i < n; i += strlen(s + i) + 1) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, s + i + 1);
    lua_setfield(L, -2, "name");
    lua_pushboolean(L, s[i] == 'd');
    lua_setfield(L, -2, "dir");
    lua_seti(L, -3, ++k);
  }
  lua_pop(L, 1); /* the names */
  /* table.sort(entries, by_name) */
  lua_getglobal(L, "table");
  if (lua_istable(L, -1) && lua_getfield(L, -1, "sort") == LUA_TFUNCTION) {
    lua_pushvalue(L, -3);
    lua_pushcfunction(L, by_name);
    lua_call(L, 2, 0);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 2);
  }
  return 1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path) == 0 || errno == ENOENT ? 0 : errno;
}

/* Removes a folder and everything in it (depth first, symlinks not
 * followed); a missing folder is no error. Returns 0 or an errno. */
static int remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : errno;
  int r = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  return r < 0 ? errno : r;
}

static int l_remove_tree(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int err = remove_tree(path);
  if (err) return fail(L, "cannot remove", path, err);
  lua_pushboolean(L, 1);
  return 1;
}

/* replace_dir(from, to): with renameat2's RENAME_EXCHANGE there is never a
 * moment without `to`; where the file system lacks it, the old folder is
 * first renamed aside. The old one is removed last. */
static int l_replace_dir(lua_State *L) {
  const char *from = luaL_checkstring(L, 1), *to = luaL_checkstring(L, 2);
  char old[PATH_MAX];
  if (rename(from, to) == 0) goto done; /* `to` did not exist (or was empty) */
  if (errno != EEXIST && errno != ENOTEMPTY) return fail(L, "cannot move the folder into place:", to, errno);
  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0) {
    snprintf(old, sizeof old, "%s", from); /* the old folder is where the new one was */
  } else {
    if (snprintf(old, sizeof old, "%s.old-%ld", to, (long)getpid()) >= (int)sizeof old)
      return fail(L, "cannot move the folder into place:", to, ENAMETOOLONG);
    if (rename(to, old) != 0) return fail(L, "cannot move the old folder aside:", to, errno);
    if (rename(from, to) != 0) {
      int err = errno;
      rename(old, to); /* put the old one back */
      return fail(L, "cannot move the folder into place:", to, err);
    }
  }
  int err = remove_tree(old);
  if (err) { /* the new folder is in place: only a leftover to mention */
    lua_pushboolean(L, 1);
    lua_pushfstring(L, "the previous folder stays as %s: %s", old, strerror(err));
    return 2;
  }
done:
  lua_pushboolean(L, 1);
  return 1;
}

/* which(name): a name with a slash is taken as a path; otherwise PATH is
 * searched as execvp does (an empty entry is the current folder). */
static int l_which(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  struct stat st;
  if (strchr(name, '/')) {
    if (access(name, X_OK) == 0 && stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
      lua_pushstring(L, name);
      return 1;
    }
    return fail(L, "cannot run", name, errno ? errno : EACCES);
  }
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  char buf[PATH_MAX];
  for (const char *p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    int len = n ? snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name) : snprintf(buf, sizeof buf, "%s", name);
    if (len > 0 && len < (int)sizeof buf && access(buf, X_OK) == 0 && stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
      lua_pushstring(L, buf);
      return 1;
    }
    if (!end) break;
    p = end;
  }
  luaL_pushfail(L);
  lua_pushfstring(L, "%s is not on PATH", name);
  return 2;
}

static int l_getpid(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)getpid());
  return 1;
}

static int l_getcwd(lua_State *L) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) return fail(L, "getcwd", ".", errno);
  lua_pushstring(L, buf);
  return 1;
}

#define LOCK_MT "aelab.sys.Lock"

static int lock_release(lua_State *L) {
  int *fd = luaL_checkudata(L, 1, LOCK_MT);
  if (*fd >= 0) {
    close(*fd); /* closing the last descriptor drops the flock */
    *fd = -1;
  }
  return 0;
}

static int l_lock(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int *fd = lua_newuserdatauv(L, sizeof *fd, 0);
  *fd = -1;
  if (luaL_newmetatable(L, LOCK_MT)) {
    lua_pushcfunction(L, lock_release);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, lock_release);
    lua_setfield(L, -2, "__close");
    lua_newtable(L);
    lua_pushcfunction(L, lock_release);
    lua_setfield(L, -2, "unlock");
    lua_setfield(L, -2, "__index");
  }
  lua_setmetatable(L, -2);
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (*fd < 0) return fail(L, "cannot open", path, errno);
  if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(*fd);
    *fd = -1;
    if (err == EWOULDBLOCK) {
      luaL_pushfail(L);
      lua_pushliteral(L, "busy");
      return 2;
    }
    return fail(L, "cannot lock", path, err);
  }
  return 1;
}

const luaL_Reg ae_lua_file_functions[] = {
    {"getcwd", l_getcwd}, {"lock", l_lock},
    {"write_file", l_write_file},   {"mkdir", l_mkdir}, {"listdir", l_listdir},
    {"remove_tree", l_remove_tree}, {"replace_dir", l_replace_dir}, {"which", l_which},
    {"getpid", l_getpid},           {NULL, NULL},
};
