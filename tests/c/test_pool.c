/* The thread pool (core/pool.c): every part runs once, whatever the way
 * the pool runs them; nested calls stay on their thread; a step's numbers
 * are the same bits whether its chunks ran on one thread or two; the pool
 * backs off to one thread when a worker keeps losing its core; the FMA
 * peak of every vector width this CPU has. */
#include "check.h"
#include "peak.h"
#include "pool.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define NP 37

typedef struct {
  atomic_int runs[NP];
  atomic_int nested_inside; /* parts that saw ae_in_parallel() */
  int threads_seen[NP];
} count_t;

static void count_part(void *ctx, int p, int np, int thread) {
  count_t *c = ctx;
  (void)np;
  atomic_fetch_add(&c->runs[p], 1);
  c->threads_seen[p] = thread;
  if (ae_in_parallel()) atomic_fetch_add(&c->nested_inside, 1);
}

static void nested_part(void *ctx, int p, int np, int thread) {
  (void)p, (void)np;
  count_t *c = ctx;
  int before = thread;
  /* a job inside a part runs in this thread, in order */
  count_t inner;
  memset(&inner, 0, sizeof inner);
  ae_parallel(NP, count_part, &inner);
  int ok = 1;
  for (int i = 0; i < NP; i++) ok &= atomic_load(&inner.runs[i]) == 1 && inner.threads_seen[i] == before;
  if (ok) atomic_fetch_add(&c->nested_inside, 1);
}

/* A Dense-Sigmoid model trained 3 steps: its parameters after. */
static int train(float *out, size_t n) {
  ae_error_t e = {0, ""};
  ae_rng_t rng;
  ae_rng_seed(&rng, 7);
  ae_layer_t *l[2] = {ae_dense_new(20, 8, AE_INIT_GLOROT, &rng, &e), ae_activation_new(AE_ACT_SIGMOID, 0, &e)};
  ae_model_t *m = l[0] && l[1] ? ae_model_new(l, 2, 1, NULL, &e) : NULL;
  ae_tensor_t *x = ae_tensor_new2(64, 20, &e), *t = ae_tensor_new2(64, 8, &e);
  ae_optim_t *o = ae_optim_adam_new(1e-2f, 0.9f, 0.999f, 1e-7f, 0.0f, &e);
  int ok = m && x && t && o && ae_model_set_loss(m, "bce", &e) == AE_OK;
  if (ok) {
    ae_rng_fill_uniform(&rng, ae_tensor_data(x), 64 * 20, 0, 1);
    ae_rng_fill_uniform(&rng, ae_tensor_data(t), 64 * 8, 0, 1);
    double loss;
    for (int s = 0; s < 3 && ok; s++) ok = ae_model_step(m, x, t, o, 1, &loss, &e) == AE_OK;
    if (ok) memcpy(out, ae_tensor_data(m->params), n * sizeof(float));
  }
  ae_optim_free(o);
  ae_tensor_free(x);
  ae_tensor_free(t);
  ae_model_free(m);
  for (int i = 1; i >= 0; i--) ae_layer_free(l[i]);
  return ok;
}

/* A part that is slow on thread 1 only: as a worker that has lost its core. */
static void lopsided(void *ctx, int p, int np, int thread) {
  (void)ctx, (void)p, (void)np;
  struct timespec d = {0, thread == 0 ? 20000 : 2000000};
  nanosleep(&d, NULL);
}

void test_pool(void) {
  int was = ae_threads(), mode = ae_pool_mode();
  static const int modes[] = {AE_POOL_ADAPTIVE, AE_POOL_FIXED, AE_POOL_PASSIVE, AE_POOL_SOLO};
  static const char *const names[] = {"adaptive", "fixed", "passive", "solo"};
  for (int k = 0; k < 4; k++)
    for (int nt = 1; nt <= 3; nt++) {
      check_begin("pool: every part once, %s, %d threads", names[k], nt);
      ae_set_pool_mode(modes[k]);
      ae_set_threads(nt);
      for (int rep = 0; rep < 50; rep++) {
        count_t c;
        memset(&c, 0, sizeof c);
        ae_parallel(NP, count_part, &c);
        int once = 1;
        for (int i = 0; i < NP; i++) once &= atomic_load(&c.runs[i]) == 1 && c.threads_seen[i] < nt;
        if (!check(once, "rep %d: a part ran other than once, or on a thread ≥ %d", rep, nt)) break;
        check(atomic_load(&c.nested_inside) == NP, "rep %d: %d of %d parts saw ae_in_parallel()", rep,
              atomic_load(&c.nested_inside), NP);
      }
      check(!ae_in_parallel(), "the caller is not inside after the job");
      check_end();
    }

  check_begin("pool: a job inside a part runs on that part's thread");
  ae_set_pool_mode(AE_POOL_FIXED);
  ae_set_threads(2);
  count_t c;
  memset(&c, 0, sizeof c);
  ae_parallel(4, nested_part, &c);
  check(atomic_load(&c.nested_inside) == 4, "%d of 4 nested jobs ran all their parts on their thread",
        atomic_load(&c.nested_inside));
  check_end();

  check_begin("pool: a step's numbers do not depend on how its chunks ran");
  enum { NPARAM = 20 * 8 + 8 };
  float ref[NPARAM], got[NPARAM];
  ae_set_threads(2);
  ae_set_pool_mode(AE_POOL_SOLO);
  if (check(train(ref, NPARAM), "training (solo) failed")) {
    for (int k = 0; k < 3; k++) {
      ae_set_pool_mode(modes[k]);
      if (check(train(got, NPARAM), "training (%s) failed", names[k]))
        check(memcmp(ref, got, sizeof ref) == 0, "%s: parameters differ from the solo run's", names[k]);
    }
  }
  check_end();

  check_begin("pool: backs off to one thread when a worker is late, and tries again later");
  ae_set_pool_mode(AE_POOL_ADAPTIVE);
  ae_set_threads(2);
  long before = ae_pool_backoffs();
  /* each job: the caller's part 20 µs, the worker's 2 ms (or the caller
   * takes both): two threads lose. A few windows of jobs, at most 5 s. */
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  int jobs = 0;
  do {
    ae_parallel(2, lopsided, NULL);
    jobs++;
    clock_gettime(CLOCK_MONOTONIC, &b);
  } while (ae_pool_backoffs() == before && (b.tv_sec - a.tv_sec) < 5);
  check(ae_pool_backoffs() > before, "no back-off after %d lopsided jobs in 5 s", jobs);
  check_end();

  check_begin("peak: an FMA loop for every vector width this CPU has");
  static const int widths[] = {512, 256, 128};
  int ran = 0;
  for (int i = 0; i < 3; i++) {
    int used = 0;
    double g = ae_fp32_peak_gflops(1, 0.02, widths[i], &used);
    if (g < 0) {
      check_note("%d-bit: this CPU has none", widths[i]);
      continue;
    }
    ran++;
    /* a count, not a speed: the machine may be busy */
    check(used == widths[i] && g > 0 && g < 1e5, "%d-bit: %.1f GFLOP/s (ran %d)", widths[i], g, used);
  }
  check(ran >= 1, "no width ran");
  check(ae_fp32_peak_gflops(1, 0.02, 384, NULL) < 0, "a 384-bit width was accepted");
  check(ae_threads() == 2 && ae_pool_mode() == AE_POOL_ADAPTIVE, "the peak left the thread settings changed");
  check_end();

  ae_set_threads(was);
  ae_set_pool_mode(mode);
}
