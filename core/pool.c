/* pool.h: a fork-join pool whose waits spin, then sleep, and that backs
 * off to one thread while another program holds a core.
 *
 * Why not OpenMP: libgomp's waits spin for ~300,000 pauses (or sleep at
 * once with OMP_WAIT_POLICY=passive), fixed when the process starts.
 * Measured on this 2-core Zen 4, 784-32-784 training, samples/s:
 *   idle machine:        spinning 334k, passive 279k (the wake-up per region)
 *   one core taken by another program: spinning 81k, passive 190k, 1 thread 176k
 * Spinning up to 1 ms keeps the idle-machine speed (the next job or the
 * partner's finish arrives within it). When the threads stop paying (a
 * partner keeps losing its core, and its partner waits for it), the pool
 * runs the parts on the caller alone for a while (judge()). The parts are
 * fixed by the caller, so no number changes with it.
 *
 * State: the workers and the job slot are process-wide thread settings,
 * the one kind of global state the core keeps besides the RNG. */
#include "pool.h"
#include "ae.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef AE_SPIN_US
#define AE_SPIN_US 1000
#endif
/* How the pool runs jobs (judge() chooses): waits that spin long (FAST, the
 * best on an idle machine), waits that sleep almost at once (PASSIVE: a
 * thread that lost its core soon gets its partner's), or every part on the
 * caller (SOLO). Each choice is tried on WINDOW_NS of jobs, whose time is
 * compared with what the caller alone would have taken (its own parts'
 * time, scaled to all parts): the faster of FAST and PASSIVE is kept for
 * KEEP_NS, or SOLO when neither saved 10% (for SOLO_NS, doubled after each
 * failed retry up to SOLO_MAX_NS); then both are tried again. */
enum { FAST, PASSIVE, SOLO };
static const char *const way_name[] = {"spinning", "sleeping", "one-thread"};
#define WINDOW_NS 10000000LL
#define KEEP_NS 2000000000LL
#define SOLO_NS 1000000000LL
#define SOLO_MAX_NS 8000000000LL
#define PASSIVE_SPIN_NS 5000

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  int nworkers;             /* started: threads 1 … nworkers */
  atomic_uint gen;          /* bumped once per job */
  atomic_int pending;       /* workers of the job not yet finished */
  atomic_int next;          /* the next part to hand out */
  atomic_int sleepers;      /* workers asleep on wake (or about to be) */
  atomic_int caller_asleep; /* the caller asleep on done (or about to be) */
  atomic_flag busy;         /* a job is running: another caller runs its own alone */
  ae_part_fn fn;            /* the job, written before gen is bumped */
  void *ctx;
  int nparts, T;
  atomic_int spin_ns;
  atomic_int mode;          /* AE_POOL_ADAPTIVE, _FIXED or _SOLO */
  atomic_int way;           /* FAST, PASSIVE or SOLO */
  atomic_llong until;       /* when the way kept (or SOLO) ends, 0 while trying */
  atomic_long backoffs;
  double sum_par, sum_solo; /* this window's job times, and their estimate alone (ns) */
  double gain[2];           /* FAST's and PASSIVE's last measured gain */
  long long solo_len;       /* the next solo period */
  int passive_wins;         /* PASSIVE windows in a row that paid */
  int bad_windows;          /* windows in a row the way kept did not pay */
  int passive_losses;       /* PASSIVE windows in a row that did not pay */
  int trace;                /* AELAB_POOL_TRACE: say each choice on stderr */
  atomic_int fresh;         /* ae_set_pool_mode asked for a fresh start */
  unsigned first[AE_MAXTHREADS]; /* gen when worker t started: it waits for the next */
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0,
       ATOMIC_FLAG_INIT, NULL, NULL, 0, 1, AE_SPIN_US * 1000, AE_POOL_ADAPTIVE, PASSIVE, 0, 0, 0, 0, {0, 0}, SOLO_NS, 0, 0, 0, 0, 0, {0}};

static _Thread_local int inside; /* this thread runs a part with others */
static _Thread_local int self;   /* its thread number: 0 the caller, 1 … workers */

int ae_in_parallel(void) { return inside; }
long ae_pool_backoffs(void) { return atomic_load(&P.backoffs); }
/* Setting a mode starts the adaptive judgment afresh: sleeping waits first. */
void ae_set_pool_mode(int mode) {
  atomic_store(&P.mode, mode);
  atomic_store(&P.way, PASSIVE);
  atomic_store(&P.until, 0);
  atomic_store(&P.fresh, 1); /* the window's sums, which only a job's caller touches */
}
int ae_pool_mode(void) { return atomic_load(&P.mode); }

void ae_set_spin_us(int us) { atomic_store(&P.spin_ns, (us < 0 ? 0 : us > 100000 ? 100000 : us) * 1000); }
int ae_spin_us(void) { return atomic_load(&P.spin_ns) / 1000; }

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Spins until done(arg) or the spin time has passed; returns whether done. */
static int spin_until(int (*done)(void *), void *arg) {
  int budget = atomic_load_explicit(&P.spin_ns, memory_order_relaxed);
  int mode = atomic_load_explicit(&P.mode, memory_order_relaxed);
  int passive = mode == AE_POOL_PASSIVE || (mode == AE_POOL_ADAPTIVE && atomic_load_explicit(&P.way, memory_order_relaxed) != FAST);
  if (passive && budget > PASSIVE_SPIN_NS) budget = PASSIVE_SPIN_NS;
  if (done(arg)) return 1;
  if (budget <= 0) return 0;
  long long end = now_ns() + budget;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (done(arg)) return 1;
      relax();
    }
    if (now_ns() >= end) return done(arg);
  }
}

static int job_posted(void *seen) { return atomic_load_explicit(&P.gen, memory_order_acquire) != *(unsigned *)seen; }
static int all_finished(void *unused) {
  (void)unused;
  return atomic_load_explicit(&P.pending, memory_order_acquire) == 0;
}

/* Takes parts until none is left; returns how many it ran. */
static int take_parts(int thread) {
  int n = 0;
  for (int p; (p = atomic_fetch_add_explicit(&P.next, 1, memory_order_relaxed)) < P.nparts; n++)
    P.fn(P.ctx, p, P.nparts, thread);
  return n;
}

/* The caller's verdict on a job that ran on several threads: t0 to t1 its
 * own `mine` parts, t2 when all were done. */
static void judge(long long t0, long long t1, long long t2, int mine) {
  if (atomic_exchange(&P.fresh, 0)) {
    P.sum_par = P.sum_solo = 0;
    P.passive_wins = P.passive_losses = P.bad_windows = 0;
    P.solo_len = SOLO_NS;
  }
  if (mine <= 0) return;
  P.sum_par += (double)(t2 - t0);
  P.sum_solo += (double)(t1 - t0) * P.nparts / mine;
  double gain = P.sum_solo / P.sum_par;
  /* a way that is far slower than the caller alone is judged sooner */
  if (P.sum_par < WINDOW_NS && !(P.sum_par >= WINDOW_NS / 8 && gain < 0.7)) return;
  int way = atomic_load(&P.way);
  P.sum_par = P.sum_solo = 0;
  long long until = atomic_load(&P.until);
  if (until) { /* keeping a way: try both again when it stopped paying twice running, or its time is up */
    P.bad_windows = gain < 1.1 ? P.bad_windows + 1 : 0;
    if (P.bad_windows < 2 && t2 < until) return;
    if (P.trace && P.bad_windows >= 2)
      fprintf(stderr, "aelab pool: keeping %s, %.2f× one thread's speed: trying again\n", way_name[way], gain);
    P.bad_windows = 0;
    atomic_store(&P.way, PASSIVE);
    atomic_store(&P.until, 0);
    return;
  }
  P.gain[way] = gain;
  if (P.trace) fprintf(stderr, "aelab pool: %s window, %.2f× one thread's speed\n", way_name[way], gain);
  if (way == PASSIVE && gain >= 1.1) {
    /* the threads pay: twice running (one window can be lucky, and a
     * spinning try on a taken core costs a scheduler slice per job), then
     * see whether spinning pays more */
    P.passive_losses = 0;
    if (++P.passive_wins >= 2) {
      P.passive_wins = 0;
      atomic_store(&P.way, FAST);
    }
    return;
  }
  P.passive_wins = 0;
  if (way == PASSIVE && ++P.passive_losses < 2) return; /* once may be a fluke: a second window */
  if (way == PASSIVE) { /* even sleeping waits lose: a core is taken (spinning would lose more) */
    P.passive_losses = 0;
    atomic_store(&P.way, SOLO);
    atomic_store(&P.until, t2 + P.solo_len);
    if (P.trace) fprintf(stderr, "aelab pool: one thread for %.1f s\n", P.solo_len / 1e9);
    atomic_fetch_add(&P.backoffs, 1);
    P.solo_len = P.solo_len * 2 > SOLO_MAX_NS ? SOLO_MAX_NS : P.solo_len * 2;
    return;
  }
  /* tried FAST after PASSIVE paid: keep the faster */
  P.solo_len = SOLO_NS;
  atomic_store(&P.way, P.gain[FAST] >= P.gain[PASSIVE] ? FAST : PASSIVE);
  atomic_store(&P.until, t2 + KEEP_NS);
  if (P.trace) fprintf(stderr, "aelab pool: keeping %s for %.0f s\n", way_name[atomic_load(&P.way)], KEEP_NS / 1e9);
}

static void *worker(void *arg) {
  int t = (int)(size_t)arg;
  unsigned seen = P.first[t]; /* written before pthread_create */
  inside = 1;
  self = t;
  for (;;) {
    if (!spin_until(job_posted, &seen)) {
      /* sleepers is raised before gen is read again, and the caller reads
       * sleepers after bumping gen (both sequentially consistent), so one
       * of the two sees the other: no wake-up is lost */
      pthread_mutex_lock(&P.mu);
      atomic_fetch_add(&P.sleepers, 1);
      while (atomic_load(&P.gen) == seen) pthread_cond_wait(&P.wake, &P.mu);
      atomic_fetch_sub(&P.sleepers, 1);
      pthread_mutex_unlock(&P.mu);
    }
    seen = atomic_load_explicit(&P.gen, memory_order_acquire);
    if (t >= P.T) continue;
    take_parts(t);
    if (atomic_fetch_sub_explicit(&P.pending, 1, memory_order_acq_rel) == 1 && atomic_load(&P.caller_asleep)) {
      pthread_mutex_lock(&P.mu);
      pthread_cond_signal(&P.done);
      pthread_mutex_unlock(&P.mu);
    }
  }
  return NULL;
}

/* Starts workers up to thread T−1; returns how many threads can run (≥ 1). */
static int grow(int T) {
  while (P.nworkers < T - 1) {
    pthread_t id;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    P.first[P.nworkers + 1] = atomic_load(&P.gen);
    int rc = pthread_create(&id, &a, worker, (void *)(size_t)(P.nworkers + 1));
    pthread_attr_destroy(&a);
    if (rc != 0) break; /* run on the threads we have */
    P.nworkers++;
  }
  return P.nworkers + 1 < T ? P.nworkers + 1 : T;
}

/* A forked child has only the thread that forked: start afresh. */
static void after_fork(void) {
  pthread_mutex_init(&P.mu, NULL);
  pthread_cond_init(&P.wake, NULL);
  pthread_cond_init(&P.done, NULL);
  P.nworkers = 0;
  atomic_store(&P.sleepers, 0);
  atomic_store(&P.caller_asleep, 0);
  atomic_flag_clear(&P.busy);
}
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void) {
  const char *s = getenv("AELAB_SPIN_US");
  if (s && *s) ae_set_spin_us(atoi(s));
  s = getenv("AELAB_POOL");
  if (s && strcmp(s, "fixed") == 0) ae_set_pool_mode(AE_POOL_FIXED);
  if (s && strcmp(s, "solo") == 0) ae_set_pool_mode(AE_POOL_SOLO);
  if (s && strcmp(s, "passive") == 0) ae_set_pool_mode(AE_POOL_PASSIVE);
  s = getenv("AELAB_POOL_TRACE");
  P.trace = s && *s && strcmp(s, "0") != 0;
  pthread_atfork(NULL, NULL, after_fork);
}

/* The parts in order on this thread. A part of several is "inside" however
 * it runs, so what it calls (a GEMM) splits no further: the same work, the
 * same numbers, on one thread or many. */
static void run_alone(int nparts, ae_part_fn fn, void *ctx) {
  int was = inside;
  inside = was || nparts > 1;
  for (int p = 0; p < nparts; p++) fn(ctx, p, nparts, self);
  inside = was;
}

void ae_parallel(int nparts, ae_part_fn fn, void *ctx) {
  int T = nparts < ae_threads() ? nparts : ae_threads();
  if (T > AE_MAXTHREADS) T = AE_MAXTHREADS;
  if (T <= 1 || inside) {
    run_alone(nparts, fn, ctx);
    return;
  }
  pthread_once(&once, init);
  long long start = now_ns();
  int mode = atomic_load_explicit(&P.mode, memory_order_relaxed);
  if (mode == AE_POOL_ADAPTIVE && atomic_load(&P.way) == SOLO && start >= atomic_load(&P.until)) {
    atomic_store(&P.way, PASSIVE); /* time to try the threads again */
    atomic_store(&P.until, 0);
  }
  if (mode == AE_POOL_SOLO || (mode == AE_POOL_ADAPTIVE && atomic_load(&P.way) == SOLO) ||
      atomic_flag_test_and_set(&P.busy)) {
    run_alone(nparts, fn, ctx);
    return;
  }
  T = grow(T);
  P.fn = fn;
  P.ctx = ctx;
  P.nparts = nparts;
  P.T = T;
  atomic_store(&P.next, 0);
  atomic_store(&P.pending, T - 1);
  atomic_fetch_add(&P.gen, 1); /* publishes the job */
  /* a sleeping worker starts late by its wake-up: a cost of sleeping waits
   * that judge() counts as any other */
  if (atomic_load(&P.sleepers) > 0) {
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);
  }
  inside = 1;
  long long t0 = now_ns();
  int mine = take_parts(0);
  long long t1 = now_ns();
  inside = 0;
  if (!spin_until(all_finished, NULL)) {
    pthread_mutex_lock(&P.mu);
    atomic_store(&P.caller_asleep, 1);
    while (atomic_load(&P.pending) > 0) pthread_cond_wait(&P.done, &P.mu);
    atomic_store(&P.caller_asleep, 0);
    pthread_mutex_unlock(&P.mu);
  }
  if (mode == AE_POOL_ADAPTIVE) judge(t0, t1, now_ns(), mine);
  atomic_flag_clear(&P.busy);
}
