/* BLIS set-up and GEMM.
 *
 * Debian's BLIS 0.9.0 does not know AMD Zen 5 and falls back to its slow
 * `generic` kernels. BLIS reads BLIS_ARCH_TYPE (a numeric arch_t id; a name is
 * silently read as 0) once, when it initializes, so the choice is made here,
 * before the first BLIS call. Only kernel sets this BLIS has and this CPU
 * can run are accepted, whoever asks (ae_blas_arch_check). */
#include "blas.h"

#include <assert.h>
#include <blis.h>
#include <ctype.h>
#include "pool.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup_done;       /* BLIS is initialized */
static char arch_reason[96]; /* why this kernel set */
/* Set once in ae_blas_setup, read-only afterwards: on AVX-512 CPUs that BLIS
 * 0.9 does not know, neither kernel set wins everywhere. Measured on Zen 5
 * (GFLOPS, 2 threads, the shapes of a 784-32-784 step): zen3's AVX2 kernels
 * 150-210 where the inner dimension K ≥ 256, skx's AVX-512 ones 134 against
 * 92 where K = 32. So GEMMs pick a context by K. */
static int mixed;            /* choose per call between the two below */
static cntx_t cntx_skx, cntx_zen3;
#define MIXED_SKX_MAX_K 64   /* K up to this goes to skx, above to zen3 */

/* The kernel sets Debian's BLIS 0.9 has compiled in (its x86_64 "amd64"
 * family; libblis.a has a bli_cntx_init_<name> for each), with the
 * instructions each one's kernels use. Any other id (knc, the ARM and POWER
 * sets) makes BLIS abort; a set whose instructions the CPU lacks dies of
 * SIGILL in the first GEMM (knl needs AVX-512 ER/PF, which only Xeon Phi
 * has; bulldozer to excavator need AMD's FMA4 and XOP). */
static const struct {
  const char *name;
  arch_t id;
  unsigned needs; /* AE_CPU_* */
  const char *needs_text;
} arches[] = {
    {"skx", BLIS_ARCH_SKX, AE_CPU_AVX512F | AE_CPU_AVX512DQ | AE_CPU_AVX512BW | AE_CPU_AVX512VL | AE_CPU_FMA,
     "AVX-512 F/DQ/BW/VL"},
    {"knl", BLIS_ARCH_KNL, AE_CPU_AVX512F | AE_CPU_AVX512PF | AE_CPU_AVX512ER | AE_CPU_AVX512CD,
     "AVX-512 F/PF/ER/CD (Xeon Phi)"},
    {"haswell", BLIS_ARCH_HASWELL, AE_CPU_AVX2 | AE_CPU_FMA, "AVX2 and FMA"},
    {"sandybridge", BLIS_ARCH_SANDYBRIDGE, AE_CPU_AVX, "AVX"},
    {"penryn", BLIS_ARCH_PENRYN, AE_CPU_SSSE3, "SSSE3"},
    {"zen3", BLIS_ARCH_ZEN3, AE_CPU_AVX2 | AE_CPU_FMA, "AVX2 and FMA"},
    {"zen2", BLIS_ARCH_ZEN2, AE_CPU_AVX2 | AE_CPU_FMA, "AVX2 and FMA"},
    {"zen", BLIS_ARCH_ZEN, AE_CPU_AVX2 | AE_CPU_FMA, "AVX2 and FMA"},
    {"excavator", BLIS_ARCH_EXCAVATOR, AE_CPU_AVX2 | AE_CPU_FMA | AE_CPU_FMA4 | AE_CPU_XOP, "AVX2, FMA, FMA4 and XOP"},
    {"steamroller", BLIS_ARCH_STEAMROLLER, AE_CPU_AVX | AE_CPU_FMA | AE_CPU_FMA4 | AE_CPU_XOP, "FMA, FMA4 and XOP"},
    {"piledriver", BLIS_ARCH_PILEDRIVER, AE_CPU_AVX | AE_CPU_FMA | AE_CPU_FMA4 | AE_CPU_XOP, "FMA, FMA4 and XOP"},
    {"bulldozer", BLIS_ARCH_BULLDOZER, AE_CPU_AVX | AE_CPU_FMA4 | AE_CPU_XOP, "FMA4 and XOP"},
    {"generic", BLIS_ARCH_GENERIC, 0, "nothing"},
};
#define NARCHES (sizeof arches / sizeof arches[0])

static int arch_by_name(const char *name) {
  for (size_t i = 0; i < NARCHES; i++)
    if (strcmp(arches[i].name, name) == 0) return (int)arches[i].id;
  return -1;
}

unsigned ae_blas_cpu_features(void) {
  __builtin_cpu_init();
  static const struct {
    const char *name;
    unsigned bit;
  } f[] = {
      {"ssse3", AE_CPU_SSSE3},       {"avx", AE_CPU_AVX},           {"avx2", AE_CPU_AVX2},
      {"fma", AE_CPU_FMA},           {"fma4", AE_CPU_FMA4},         {"xop", AE_CPU_XOP},
      {"avx512f", AE_CPU_AVX512F},   {"avx512dq", AE_CPU_AVX512DQ}, {"avx512bw", AE_CPU_AVX512BW},
      {"avx512vl", AE_CPU_AVX512VL}, {"avx512pf", AE_CPU_AVX512PF}, {"avx512er", AE_CPU_AVX512ER},
      {"avx512cd", AE_CPU_AVX512CD},
  };
  unsigned have = 0;
  /* __builtin_cpu_supports needs a literal: one call per name, unrolled by hand */
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    int yes = 0;
    switch (f[i].bit) {
    case AE_CPU_SSSE3: yes = __builtin_cpu_supports("ssse3"); break;
    case AE_CPU_AVX: yes = __builtin_cpu_supports("avx"); break;
    case AE_CPU_AVX2: yes = __builtin_cpu_supports("avx2"); break;
    case AE_CPU_FMA: yes = __builtin_cpu_supports("fma"); break;
    case AE_CPU_FMA4: yes = __builtin_cpu_supports("fma4"); break;
    case AE_CPU_XOP: yes = __builtin_cpu_supports("xop"); break;
    case AE_CPU_AVX512F: yes = __builtin_cpu_supports("avx512f"); break;
    case AE_CPU_AVX512DQ: yes = __builtin_cpu_supports("avx512dq"); break;
    case AE_CPU_AVX512BW: yes = __builtin_cpu_supports("avx512bw"); break;
    case AE_CPU_AVX512VL: yes = __builtin_cpu_supports("avx512vl"); break;
    case AE_CPU_AVX512PF: yes = __builtin_cpu_supports("avx512pf"); break;
    case AE_CPU_AVX512ER: yes = __builtin_cpu_supports("avx512er"); break;
    case AE_CPU_AVX512CD: yes = __builtin_cpu_supports("avx512cd"); break;
    }
    if (yes) have |= f[i].bit;
  }
  return have;
}

int ae_blas_arch_check(int id, unsigned have, ae_error_t *e) {
  for (size_t i = 0; i < NARCHES; i++) {
    if ((int)arches[i].id != id) continue;
    if ((arches[i].needs & have) != arches[i].needs)
      return ae_fail(e, AE_EARG, "refused BLIS kernel set %s (arch id %d): it needs %s, which this CPU lacks "
                     "(its instructions would stop aelab with SIGILL)", arches[i].name, id, arches[i].needs_text);
    return AE_OK;
  }
  if (id >= 0 && id < BLIS_NUM_ARCHS)
    return ae_fail(e, AE_EARG, "refused BLIS kernel set %s (arch id %d): this BLIS is not built with it "
                   "(BLIS would abort)", bli_arch_string((arch_t)id), id);
  return ae_fail(e, AE_EARG, "refused BLIS arch id %d: ids are 0..%d", id, BLIS_NUM_ARCHS - 1);
}

/* "skx, knl, haswell, ..." into buf: the names --blis takes. */
static const char *arch_names(char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < NARCHES && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", arches[i].name);
  return buf;
}

int ae_blas_setup(const char *request, ae_error_t *e) {
  if (setup_done) return ae_fail(e, AE_ESTATE, "BLIS is already initialized; choose its kernels first");
  int id = -1;
  const char *env = getenv("BLIS_ARCH_TYPE");
  if (request && *request && strcmp(request, "auto") != 0) {
    id = arch_by_name(request);
    char names[256];
    if (id < 0)
      return ae_fail(e, AE_EARG, "unknown BLIS kernel set '%s' (the sets are auto, %s)", request,
                     arch_names(names, sizeof names));
    if (ae_blas_arch_check(id, ae_blas_cpu_features(), e)) return e->code;
    snprintf(arch_reason, sizeof arch_reason, "asked for");
  } else if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end || end == env || v < 0 || v >= BLIS_NUM_ARCHS) {
      /* A name here would silently become 0 (skx) inside BLIS: say so instead. */
      id = arch_by_name(env);
      if (id < 0)
        return ae_fail(e, AE_EARG, "BLIS_ARCH_TYPE='%s' is neither an arch id (0..%d) nor a known name", env,
                       BLIS_NUM_ARCHS - 1);
    } else {
      id = (int)v;
    }
    if (ae_blas_arch_check(id, ae_blas_cpu_features(), e)) {
      char msg[sizeof e->msg];
      snprintf(msg, sizeof msg, "%s", e->msg);
      return ae_fail(e, AE_EARG, "BLIS_ARCH_TYPE=%s: %s; unset it or choose another", env, msg);
    }
    snprintf(arch_reason, sizeof arch_reason, "BLIS_ARCH_TYPE=%s", env);
  } else {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
      id = BLIS_ARCH_SKX;
      snprintf(arch_reason, sizeof arch_reason, "auto: CPU has AVX-512");
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      id = BLIS_ARCH_HASWELL;
      snprintf(arch_reason, sizeof arch_reason, "auto: CPU has AVX2 and FMA");
    } else {
      snprintf(arch_reason, sizeof arch_reason, "auto: left to BLIS");
    }
  }
  if (id >= 0) {
    char buf[16];
    snprintf(buf, sizeof buf, "%d", id);
    setenv("BLIS_ARCH_TYPE", buf, 1);
  }
  /* BLIS threads only where asked for: the openmp build would otherwise take
   * OMP_NUM_THREADS, and aelab runs its own loops on those threads. */
  if (!getenv("BLIS_NUM_THREADS")) setenv("BLIS_NUM_THREADS", "1", 1);
  bli_init();
  if (id == BLIS_ARCH_SKX && strncmp(arch_reason, "auto", 4) == 0) {
    bli_cntx_init_skx(&cntx_skx);
    bli_cntx_init_zen3(&cntx_zen3);
    mixed = 1;
    snprintf(arch_reason, sizeof arch_reason, "auto: CPU has AVX-512; zen3 kernels for GEMMs with K > %d",
             MIXED_SKX_MAX_K);
  }
  setup_done = 1;
  return AE_OK;
}

const char *ae_blas_arch(void) { return mixed ? "skx+zen3" : bli_arch_string(bli_arch_query_id()); }
const char *ae_blas_reason(void) { return arch_reason[0] ? arch_reason : "BLIS default"; }
const char *ae_blas_version(void) { return bli_info_get_version_str(); }

/* C's row (N values) = alpha·a·Bᵀ + beta·c, B being N rows of K: what
 * gemm_in computes itself for the row BLIS must not see. Eight running sums
 * so the compiler vectorizes the dot products. */
static void gemm_row_bt(int N, int K, float alpha, const float *a, const float *B, int ldb, float beta, float *c) {
  for (int j = 0; j < N; j++) {
    const float *b = B + (size_t)j * ldb;
    float acc[8] = {0};
    int k = 0;
    for (; k + 8 <= K; k += 8)
      for (int u = 0; u < 8; u++) acc[u] += a[k + u] * b[k + u];
    float s = 0;
    for (; k < K; k++) s += a[k] * b[k];
    for (int u = 0; u < 8; u++) s += acc[u];
    c[j] = beta == 0.0f ? alpha * s : alpha * s + beta * c[j]; /* beta 0: c not read */
  }
}

/* One BLIS call in context cntx (NULL: BLIS' global choice). */
static void gemm_in(cntx_t *cntx, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc) {
  /* BLIS 0.9.0's bli_sgemmsup_rd_haswell_asm_1x16n (the haswell and zen
   * sets' kernel for A's rows by Bᵀ's, one row at a time) also loads A one
   * row further down in its loop over the last K mod 8 columns (BLIS issue
   * #821, fixed by PR #824 after 0.9): on A's last row that is up to lda
   * floats past A's end, a SIGSEGV when A ends at an unmapped page (lesson
   * 14's validation rows, the end of a large tensor). So BLIS gets all rows
   * but the last, whose next row is then A's own, and that last row is
   * done here: 1/M of the work. */
  if (!ta && tb && K % 8 != 0) {
    gemm_row_bt(N, K, alpha, A + (size_t)(M - 1) * lda, B, ldb, beta, C + (size_t)(M - 1) * ldc);
    if (--M == 0) return;
  }
  /* Row-major with strides: a transpose is a swap of row and column strides. */
  inc_t rsa = ta ? 1 : lda, csa = ta ? lda : 1;
  inc_t rsb = tb ? 1 : ldb, csb = tb ? ldb : 1;
  bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, M, N, K, &alpha, (float *)A, rsa, csa, (float *)B, rsb, csb,
               &beta, C, ldc, 1, cntx, NULL);
}

/* One BLIS call; with mixed kernels, skx or zen3 by K. */
static void gemm1(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                  int ldb, float beta, float *C, int ldc) {
  cntx_t *cntx = mixed ? (K <= MIXED_SKX_MAX_K ? &cntx_skx : &cntx_zen3) : NULL;
  gemm_in(cntx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void ae_gemm_avx2(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc) {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(ldc >= N && lda >= (ta ? M : K) && ldb >= (tb ? K : N));
  if (M == 0 || N == 0) return;
  gemm_in(mixed ? &cntx_zen3 : NULL, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* Below this many multiply-adds a GEMM stays on one thread. */
#define SPLIT_MIN (1 << 18)

/* One GEMM split into slabs of C along its longer side, one per part. */
typedef struct {
  int ta, tb, M, N, K, lda, ldb, ldc, split_m, len, per;
  float alpha, beta;
  const float *A, *B;
  float *C;
} slabs_t;

static void slab_task(void *ctx, int s, int nslabs, int thread) {
  (void)nslabs, (void)thread;
  const slabs_t *g = ctx;
  {
    int lo = s * g->per, n = g->len - lo < g->per ? g->len - lo : g->per;
    if (g->split_m)
      gemm1(g->ta, g->tb, n, g->N, g->K, g->alpha, g->ta ? g->A + lo : g->A + (size_t)lo * g->lda, g->lda, g->B,
            g->ldb, g->beta, g->C + (size_t)lo * g->ldc, g->ldc);
    else
      gemm1(g->ta, g->tb, g->M, n, g->K, g->alpha, g->A, g->lda, g->tb ? g->B + (size_t)lo * g->ldb : g->B + lo,
            g->ldb, g->beta, g->C + lo, g->ldc);
  }
}

void ae_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc) {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(ldc >= N && lda >= (ta ? M : K) && ldb >= (tb ? K : N));
  if (M == 0 || N == 0) return;
  int nt = ae_gemm_threads();
  /* inside a parallel region (a model splitting its batch) each thread
   * already has its own GEMM: no second split */
  if (nt <= 1 || (double)M * N * K < SPLIT_MIN || ae_in_parallel()) {
    gemm1(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  /* BLIS' own threading is built for large shapes; on the small ones of a
   * training step it pays more to split C into nt slabs along its longer
   * side and run one single-threaded BLIS call per slab. */
  int split_m = M >= N;
  int len = split_m ? M : N, per = ((len + nt - 1) / nt + 15) / 16 * 16;
  slabs_t g = {ta, tb, M, N, K, lda, ldb, ldc, split_m, len, per, alpha, beta, A, B, C};
  ae_parallel((len + per - 1) / per, slab_task, &g);
}

void ae_gemm_naive(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int k = 0; k < K; k++) {
        float a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
        float b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
        s += (double)a * b;
      }
      float *c = &C[(size_t)i * ldc + j];
      *c = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *c));
    }
}
