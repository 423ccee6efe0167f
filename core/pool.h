/* The threads a training step and the element-wise kernels run on.
 *
 * ae_parallel(nparts, fn, ctx) calls fn(ctx, part, nparts, thread) once for
 * each part 0 … nparts−1 and returns when all are done. The caller splits
 * its work into parts that do not depend on how many threads run them, so
 * no result depends on it either; the pool hands the parts to up to
 * min(nparts, ae_threads()) threads as they come free (thread: 0 for the
 * caller, 1 … for the workers, to pick a per-thread workspace).
 *
 * Waits spin for a while (most end within it on an idle machine) and then
 * sleep. When a thread is seen to lose its core to another program (its
 * partner waited long for it), the pool runs the parts on the caller alone
 * for a while and then tries its threads again: with one core taken, two
 * threads that wait for each other are slower than one (issue 14). */
#ifndef AE_POOL_H
#define AE_POOL_H

typedef void (*ae_part_fn)(void *ctx, int part, int nparts, int thread);

/* Runs the nparts parts. Called from inside a part (nested), or with
 * nparts ≤ 1, it runs them all in the caller, in order. */
void ae_parallel(int nparts, ae_part_fn fn, void *ctx);

/* 1 inside a part of a job of several parts (on whichever thread), else 0. */
int ae_in_parallel(void);

/* How long a waiting thread spins before it sleeps, in microseconds
 * (default AE_SPIN_US, or the AELAB_SPIN_US environment variable). */
void ae_set_spin_us(int us);
int ae_spin_us(void);

/* AE_POOL_ADAPTIVE (the default): waits spin or sleep, or the parts run on
 * the caller alone, whichever measures fastest; AE_POOL_FIXED: always on
 * min(nparts, ae_threads()) threads whose waits spin (OpenMP's way);
 * AE_POOL_PASSIVE: the same with waits that sleep at once; AE_POOL_SOLO:
 * always on the caller (the same numbers: for tests). The AELAB_POOL
 * environment variable ("fixed", "passive", "solo") sets it at the first
 * job. */
enum { AE_POOL_ADAPTIVE, AE_POOL_FIXED, AE_POOL_PASSIVE, AE_POOL_SOLO };
void ae_set_pool_mode(int mode);
int ae_pool_mode(void);

/* Steps run on the caller alone because a thread lost its core (for the
 * benchmarks and tests: how often the pool backed off). */
long ae_pool_backoffs(void);

#endif
