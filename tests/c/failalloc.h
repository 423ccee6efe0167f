/* Force-included (gcc -include) into a second compilation of the core for
 * the C tests: the core's own calls to the C allocator go to the counting
 * allocator in failalloc.c, which tracks live blocks and can fail the k-th
 * allocation (as Lua's ltests.c does with its debug allocator). BLIS, zlib,
 * libgomp and libc keep the real allocator: only code compiled with this
 * header sees the macros.
 *
 * The system headers come first so that their declarations of malloc & co.
 * are read before the macros exist. */
#ifndef AE_FAILALLOC_H
#define AE_FAILALLOC_H

#include <stdlib.h>
#include <string.h>

/* Each takes the call site, so the tests can say which of the core's
 * allocation points they have failed. */
void *fa_malloc(size_t n, const char *file, int line);
void *fa_calloc(size_t count, size_t size, const char *file, int line);
void *fa_realloc(void *p, size_t n, const char *file, int line);
void *fa_aligned_alloc(size_t align, size_t n, const char *file, int line);
int fa_posix_memalign(void **out, size_t align, size_t n, const char *file, int line);
char *fa_strdup(const char *s, const char *file, int line);
void fa_free(void *p);

/* failalloc.c itself defines FA_NO_MACROS: it wants the declarations only. */
#ifndef FA_NO_MACROS
#define malloc(n) fa_malloc(n, __FILE__, __LINE__)
#define calloc(count, size) fa_calloc(count, size, __FILE__, __LINE__)
#define realloc(p, n) fa_realloc(p, n, __FILE__, __LINE__)
#define aligned_alloc(align, n) fa_aligned_alloc(align, n, __FILE__, __LINE__)
#define posix_memalign(out, align, n) fa_posix_memalign(out, align, n, __FILE__, __LINE__)
#define strdup(s) fa_strdup(s, __FILE__, __LINE__)
#define free(p) fa_free(p)
#endif

#endif
