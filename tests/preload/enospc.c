/* A full or read-only disk for tests, without root: LD_PRELOAD this and
 *
 *   AELAB_FULL_DIR=/some/folder     files under it (by their real path)
 *   AELAB_FULL_AFTER=N              accept N bytes in all, then ENOSPC
 *   AELAB_READONLY=1                creating anything under it: EROFS
 *
 * write/fwrite fail with ENOSPC once the process has written N bytes under
 * the folder (a short write first, as a real disk does); fflush and fclose
 * of a stream that was refused fail too. With AELAB_READONLY, mkdir, open
 * with O_CREAT and rename into the folder fail with EROFS. Each process has
 * its own count (a child such as gnuplot starts from 0).
 *
 * Test scaffolding, so the one place with global state: the count. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static long long written; /* bytes accepted under the folder so far */
static int refused_fd = -1; /* the last descriptor refused, for fflush/fclose */

static const char *folder(void) {
  static char real[PATH_MAX];
  static int done;
  if (!done) {
    const char *d = getenv("AELAB_FULL_DIR");
    done = 1;
    if (!d || !*d || !realpath(d, real)) real[0] = '\0';
  }
  return real[0] ? real : NULL;
}

static int under(const char *path) {
  const char *dir = folder();
  size_t n = dir ? strlen(dir) : 0;
  return dir && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int fd_under(int fd) {
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return under(path);
}

/* The absolute form of a path that may not exist yet: its folder's real path. */
static int path_under(const char *path) {
  char dir[PATH_MAX], real[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash == dir) dir[1] = '\0';
  else if (slash) *slash = '\0';
  else snprintf(dir, sizeof dir, ".");
  if (!realpath(dir, real)) return 0;
  return under(real);
}

static int readonly(void) {
  const char *r = getenv("AELAB_READONLY");
  return r && *r == '1' && folder();
}

/* How many of n bytes may still go to fd: n, fewer, or -1 for none. */
static ssize_t budget(int fd, size_t n) {
  const char *after = getenv("AELAB_FULL_AFTER");
  if (!after || !folder() || !fd_under(fd)) return (ssize_t)n;
  long long left = atoll(after) - written;
  if (left <= 0) {
    refused_fd = fd;
    return -1;
  }
  return (ssize_t)((long long)n < left ? (long long)n : left);
}

#define REAL(ret, name, ...)                                                                                    \
  static ret (*real_##name)(__VA_ARGS__);                                                                       \
  if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(ssize_t, write, int, const void *, size_t);
  ssize_t ok = budget(fd, n);
  if (ok < 0) {
    errno = ENOSPC;
    return -1;
  }
  ssize_t r = real_write(fd, buf, (size_t)ok);
  if (r > 0 && fd_under(fd)) written += r;
  return r;
}

size_t fwrite(const void *buf, size_t size, size_t count, FILE *f) {
  REAL(size_t, fwrite, const void *, size_t, size_t, FILE *);
  size_t n = size * count;
  if (n == 0) return 0;
  ssize_t ok = budget(fileno(f), n);
  if (ok < 0) {
    errno = ENOSPC;
    return 0;
  }
  size_t r = real_fwrite(buf, 1, (size_t)ok, f);
  if (fd_under(fileno(f))) written += (long long)r;
  if ((size_t)ok < n) {
    refused_fd = fileno(f);
    errno = ENOSPC;
  }
  return r / size;
}

int fflush(FILE *f) {
  REAL(int, fflush, FILE *);
  int r = real_fflush(f);
  if (f && fileno(f) == refused_fd) {
    errno = ENOSPC;
    return EOF;
  }
  return r;
}

int fclose(FILE *f) {
  REAL(int, fclose, FILE *);
  int refused = fileno(f) == refused_fd;
  int r = real_fclose(f);
  if (refused) {
    refused_fd = -1;
    errno = ENOSPC;
    return EOF;
  }
  return r;
}

int mkdir(const char *path, mode_t mode) {
  REAL(int, mkdir, const char *, mode_t);
  if (readonly() && path_under(path)) {
    errno = EROFS;
    return -1;
  }
  return real_mkdir(path, mode);
}

int open(const char *path, int flags, ...) {
  REAL(int, open, const char *, int, ...);
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
    if (readonly() && path_under(path)) {
      errno = EROFS;
      return -1;
    }
  }
  return real_open(path, flags, mode);
}

int rename(const char *from, const char *to) {
  REAL(int, rename, const char *, const char *);
  if (readonly() && path_under(to)) {
    errno = EROFS;
    return -1;
  }
  return real_rename(from, to);
}
