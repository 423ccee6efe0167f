/* peak.h: twelve independent FMA chains per thread (two FMA units of 4–5
 * cycles' latency need ≥ 10 in flight), long enough that the clock has
 * settled; each width is its own function compiled for its ISA. */
#include "peak.h"
#include "ae.h"
#include "pool.h"

/* immintrin.h declares posix_memalign, which the allocation-failure test
 * build (tests/c/failalloc.h) redefines as a macro; nothing here allocates */
#undef posix_memalign
#include <immintrin.h>
#include <time.h>

#define CHAINS 12

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Each returns a sum of its chains so the work is not optimized away. */
__attribute__((target("avx512f"))) static float fma512(long iters) {
  __m512 acc[CHAINS], m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
  for (long k = 0; k < iters; k++)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
  float s = 0;
  for (int i = 0; i < CHAINS; i++) s += _mm512_reduce_add_ps(acc[i]);
  return s;
}
__attribute__((target("avx2,fma"))) static float fma256(long iters) {
  __m256 acc[CHAINS], m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
  for (long k = 0; k < iters; k++)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
  float s = 0, lane[8];
  for (int i = 0; i < CHAINS; i++) {
    _mm256_storeu_ps(lane, acc[i]);
    for (int j = 0; j < 8; j++) s += lane[j];
  }
  return s;
}
/* SSE2 has no FMA: a multiply and an add, 2 flops per lane as well */
static float fma128(long iters) {
  __m128 acc[CHAINS], m = _mm_set1_ps(0.999999f), a = _mm_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm_set1_ps((float)i);
  for (long k = 0; k < iters; k++)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], m), a);
  float s = 0, lane[4];
  for (int i = 0; i < CHAINS; i++) {
    _mm_storeu_ps(lane, acc[i]);
    for (int j = 0; j < 4; j++) s += lane[j];
  }
  return s;
}

typedef struct {
  int bits;
  double seconds;
  double gflops[AE_MAXTHREADS];
  volatile float sink[AE_MAXTHREADS];
} peak_job_t;

/* One thread's loop: doubles its length until one run takes a tenth of
 * the time asked for, then runs the rest and counts. */
static void peak_task(void *ctx, int t, int nt, int thread) {
  (void)nt, (void)thread;
  peak_job_t *J = ctx;
  float (*f)(long) = J->bits == 512 ? fma512 : J->bits == 256 ? fma256 : fma128;
  int lanes = J->bits / 32;
  long iters = 1000;
  double t0, dt;
  for (;;) {
    t0 = now_s();
    J->sink[t] = f(iters);
    dt = now_s() - t0;
    if (dt >= J->seconds / 10 || iters > (1L << 40)) break;
    iters *= 2;
  }
  long total = 0;
  t0 = now_s();
  do {
    J->sink[t] = f(iters);
    total += iters;
  } while (now_s() - t0 < J->seconds);
  J->gflops[t] = 2.0 * lanes * CHAINS * (double)total / (now_s() - t0) / 1e9;
}

double ae_fp32_peak_gflops(int threads, double seconds, int bits, int *used) {
  __builtin_cpu_init();
  int has512 = __builtin_cpu_supports("avx512f"), has256 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (bits == 0) bits = has512 ? 512 : has256 ? 256 : 128;
  if ((bits == 512 && !has512) || (bits == 256 && !has256) || (bits != 512 && bits != 256 && bits != 128)) return -1;
  if (threads < 1) threads = 1;
  if (threads > AE_MAXTHREADS) threads = AE_MAXTHREADS;
  if (used) *used = bits;
  peak_job_t J = {.bits = bits, .seconds = seconds > 0 ? seconds : 0.2};
  /* every thread at once, or the sum would not be a peak: the pool must
   * not back off to one thread here */
  int mode = ae_pool_mode(), was = ae_threads();
  ae_set_pool_mode(AE_POOL_FIXED);
  ae_set_threads(threads);
  ae_parallel(threads, peak_task, &J);
  ae_set_threads(was);
  ae_set_pool_mode(mode);
  double sum = 0;
  for (int t = 0; t < threads; t++) sum += J.gflops[t];
  return sum;
}
