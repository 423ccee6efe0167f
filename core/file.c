/* Files written to a temporary name, checked, flushed and renamed (file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ae_file_begin(ae_file_t *f, const char *path, ae_error_t *e) {
  f->fp = NULL;
  f->err = 0;
  if (strlen(path) >= sizeof f->path) return ae_fail(e, AE_EARG, "cannot write %.64s...: the path is too long", path);
  strcpy(f->path, path);
  /* a name no one else uses: O_EXCL, with the pid and a try count */
  int fd = -1;
  for (int n = 0; n < 100 && fd < 0; n++) {
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp-%ld-%d", path, (long)getpid(), n);
    fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return ae_fail(e, AE_EIO, "cannot write %s: %s", path, strerror(errno));
  f->fp = fdopen(fd, "wb");
  if (!f->fp) {
    int err = errno;
    close(fd);
    unlink(f->tmp);
    return ae_fail(e, AE_EIO, "cannot write %s: %s", path, strerror(err));
  }
  return AE_OK;
}

int ae_file_write(ae_file_t *f, const void *buf, size_t n) {
  if (f->err || !f->fp) return -1;
  if (n && fwrite(buf, 1, n, f->fp) != n) {
    f->err = errno ? errno : EIO;
    return -1;
  }
  return 0;
}

void ae_file_abort(ae_file_t *f) {
  if (!f->fp) return;
  fclose(f->fp);
  f->fp = NULL;
  unlink(f->tmp);
}

int ae_file_commit(ae_file_t *f, ae_error_t *e) {
  if (!f->fp) return ae_fail(e, AE_ESTATE, "cannot write %s: the file was not opened", f->path);
  int err = f->err;
  if (!err && fflush(f->fp) != 0) err = errno;
  if (!err && fsync(fileno(f->fp)) != 0 && errno != EINVAL) err = errno; /* EINVAL: a pipe or special file */
  if (fclose(f->fp) != 0 && !err) err = errno;
  f->fp = NULL;
  if (!err && rename(f->tmp, f->path) != 0) err = errno;
  if (err) {
    unlink(f->tmp);
    return ae_fail(e, AE_EIO, "cannot write %s: %s", f->path, strerror(err));
  }
  return AE_OK;
}
