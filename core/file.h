/* Files written whole or not at all.
 *
 * ae_file_begin opens "<path>.tmp-<pid>-<n>" in the same folder; writes go
 * there (the first failure is kept, later writes are skipped); commit
 * checks, flushes, fsyncs, closes and renames it over `path`, so a reader
 * sees the old file or the new one, never a part. Any failure removes the
 * temporary file, leaves the old one, and says which file and why:
 * "cannot write out/metrics.json: No space left on device". */
#ifndef AE_FILE_H
#define AE_FILE_H

#include "ae.h"

#include <stdio.h>

typedef struct ae_file {
  FILE *fp;       /* the temporary file; NULL once committed or aborted */
  char path[1024]; /* where it goes */
  char tmp[1100];  /* where it is written */
  int err;         /* errno of the first failed write, 0 while all went well */
} ae_file_t;

int ae_file_begin(ae_file_t *f, const char *path, ae_error_t *e);
/* Writes n bytes; returns 0, or -1 after a failure (kept for commit). */
int ae_file_write(ae_file_t *f, const void *buf, size_t n);
int ae_file_commit(ae_file_t *f, ae_error_t *e);
/* Drops the temporary file (an error elsewhere): the old file stays. */
void ae_file_abort(ae_file_t *f);

#endif
