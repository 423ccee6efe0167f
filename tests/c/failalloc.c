/* The counting allocator behind failalloc.h: every block the core takes is
 * recorded in a table of live pointers, so a test can tell how many are
 * left (a leak) and notice a free of something never handed out. Armed
 * with k, it fails the k-th allocation from then on (once), which is how
 * the tests walk through every allocation point of an operation.
 *
 * This file is compiled without failalloc.h: it calls the real allocator. */
#define FA_NO_MACROS
#include "check.h"
#include "failalloc.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (1u << 16) /* live blocks at most; the tests hold a few hundred */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* a model step may run on 2 threads */
static void *slot[SLOTS];    /* open addressing, linear probing; NULL = empty */
static long live, attempts, fail_at, failed, bad_frees;
static size_t largest; /* bytes of the largest request since fa_reset_largest */

static size_t hash(const void *p) { return (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull) & (SLOTS - 1); }

static void add(void *p) {
  size_t i = hash(p);
  for (size_t n = 0; slot[i]; n++, i = (i + 1) & (SLOTS - 1))
    if (n == SLOTS) {
      fprintf(stderr, "failalloc: more than %u live blocks\n", SLOTS);
      abort();
    }
  slot[i] = p;
  live++;
}

/* Removes p; 0 when p was not live. Backward-shift deletion keeps probes intact. */
static int del(void *p) {
  size_t i = hash(p);
  while (slot[i] != p) {
    if (!slot[i]) return 0;
    i = (i + 1) & (SLOTS - 1);
  }
  slot[i] = NULL;
  for (size_t j = (i + 1) & (SLOTS - 1); slot[j]; j = (j + 1) & (SLOTS - 1)) {
    size_t h = hash(slot[j]);
    /* slot[j] may move to the hole at i if its home h is not in (i, j] */
    if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
      slot[i] = slot[j];
      slot[j] = NULL;
      i = j;
    }
  }
  live--;
  return 1;
}

/* The distinct call sites (file, line) where an allocation was failed. */
#define MAXSITES 512
typedef struct {
  const char *file;
  int line;
} site_t;
static site_t site[MAXSITES];
static int nsites;

static void note_site(const char *file, int line) {
  for (int i = 0; i < nsites; i++)
    if (site[i].line == line && strcmp(site[i].file, file) == 0) return;
  if (nsites < MAXSITES) site[nsites++] = (site_t){file, line};
}

/* One allocation attempt at file:line: 1 if this is the one to fail. */
static int should_fail(const char *file, int line) {
  attempts++;
  if (fail_at > 0 && attempts == fail_at) {
    failed++;
    note_site(file, line);
    return 1;
  }
  return 0;
}

static void *track(void *p) {
  if (p) add(p);
  return p;
}

static void note_size(size_t n) {
  if (n > largest) largest = n;
}

void *fa_malloc(size_t n, const char *file, int line) {
  pthread_mutex_lock(&lock);
  note_size(n);
  void *p = should_fail(file, line) ? NULL : track(malloc(n));
  pthread_mutex_unlock(&lock);
  return p;
}

void *fa_calloc(size_t count, size_t size, const char *file, int line) {
  pthread_mutex_lock(&lock);
  note_size(size && count > SIZE_MAX / size ? SIZE_MAX : count * size);
  void *p = should_fail(file, line) ? NULL : track(calloc(count, size));
  pthread_mutex_unlock(&lock);
  return p;
}

void *fa_aligned_alloc(size_t align, size_t n, const char *file, int line) {
  pthread_mutex_lock(&lock);
  note_size(n);
  void *p = should_fail(file, line) ? NULL : track(aligned_alloc(align, n));
  pthread_mutex_unlock(&lock);
  return p;
}

int fa_posix_memalign(void **out, size_t align, size_t n, const char *file, int line) {
  pthread_mutex_lock(&lock);
  int rc = 12; /* ENOMEM */
  if (!should_fail(file, line)) {
    rc = posix_memalign(out, align, n);
    if (rc == 0) track(*out);
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

char *fa_strdup(const char *s, const char *file, int line) {
  pthread_mutex_lock(&lock);
  char *p = should_fail(file, line) ? NULL : track(strdup(s));
  pthread_mutex_unlock(&lock);
  return p;
}

void *fa_realloc(void *old, size_t n, const char *file, int line) {
  pthread_mutex_lock(&lock);
  note_size(n);
  void *p = NULL;
  if (!should_fail(file, line)) {
    if (old && !del(old)) {
      bad_frees++; /* not ours: leave it alone */
    } else {
      p = realloc(old, n);
      if (p) add(p);
      else if (old) add(old); /* a failed realloc keeps the old block */
    }
  }
  pthread_mutex_unlock(&lock);
  return p;
}

void fa_free(void *p) {
  if (!p) return;
  pthread_mutex_lock(&lock);
  if (del(p)) free(p);
  else bad_frees++; /* a double free or a foreign pointer: counted, not freed */
  pthread_mutex_unlock(&lock);
}

void fa_arm(long k) {
  pthread_mutex_lock(&lock);
  attempts = 0;
  failed = 0;
  fail_at = k;
  pthread_mutex_unlock(&lock);
}

long fa_failures(void) { return failed; }
long fa_live(void) { return live; }
size_t fa_largest(void) { return largest; }
void fa_reset_largest(void) { largest = 0; }
long fa_bad_frees(void) { return bad_frees; }

int fa_sites(void) { return nsites; }

void fa_print_sites(void) {
  for (int i = 0; i < nsites; i++) printf("    %s:%d\n", site[i].file, site[i].line);
}
