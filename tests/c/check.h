/* The C tests: a small harness, and the one place that includes the core's
 * headers (when they move, only this list changes).
 *
 * A test is a named unit: check_begin("gemm: ta=%d", ...), any number of
 * check(ok, "what") calls, check_end(). A unit passes when all its checks
 * did; each failed check prints one line naming the unit and the check.
 * check_expect_failure(bug) marks the unit as a known bug: its failures
 * print as XFAIL and are not counted as failed, and a unit so marked that
 * passes is a failure (XPASS: remove the mark once the bug is fixed). */
#ifndef AE_CHECK_H
#define AE_CHECK_H

#include "ae.h"
#include "blas.h"
#include "conv.h"
#include "data.h"
#include "layer.h"
#include "layers.h"
#include "loss.h"
#include "model.h"
#include "noise.h"
#include "optim.h"
#include "pca.h"
#include "penalty.h"
#include "rng.h"
#include "safetensors.h"
#include "tensor.h"
#include "vmath.h"

#include <stddef.h>

void check_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Returns ok, so a unit can stop early: if (!check(p != NULL, "...")) goto out; */
int check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_expect_failure(const char *bug);
void check_end(void);
/* Prints an informational line (a count, a max difference), indented. */
void check_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The suites (one file each), run by check.c in this order. */
void test_gemm(void);
void test_alloc(void);
void test_torch(const char *dir);
void test_hooks(void);
void test_inputs(void);
void test_minimize(void);
void test_pool(void);
void test_fuse(void);

/* The counting allocator (failalloc.c) the core was compiled against:
 * fa_arm(k) fails the k-th allocation from now on (0: none) and restarts
 * the count; fa_failures() says whether that allocation came; fa_live() is
 * the core's live block count. */
void fa_arm(long k);
long fa_failures(void);
long fa_live(void);
long fa_bad_frees(void);
/* The largest single allocation the core asked for since the last reset. */
size_t fa_largest(void);
void fa_reset_largest(void);
/* How many distinct core call sites have had an allocation failed; their list. */
int fa_sites(void);
void fa_print_sites(void);

/* Largest |a − b| over n values (NaN if any is NaN). */
double max_abs_diff(const float *a, const float *b, size_t n);
/* Model m's loss on x against target t, through a gradient call (what
 * central differences compare); NaN and a failed check on an error. */
double model_loss(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *t);

#endif
