/* GEMM against the naive triple loop and a random-vector checksum.
 *
 *   C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C, row-major,
 *   leading dimensions lda, ldb, ldc ≥ the row lengths.
 *
 * Over both transposes of A and B, odd sizes, alpha and beta (beta 0 over a
 * C full of NaN: the BLAS contract says C is then not read, and BLIS keeps
 * it), leading dimensions wider than the rows (the gap must stay as it
 * was), and the thread-split path (ae_set_gemm_threads(2), products large
 * enough to split along M and along N). Each element must be within
 * 4·K·ε·(|α| Σ|a||b| + |β||c|) of the naive double-precision sum; the
 * checksum compares C·t with α·op(A)·(op(B)·t) + β·C₀·t for a random t, as
 * BLIS' own gemm test does, relative to the size of the terms. */
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void gemm_fn(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                     int ldb, float beta, float *C, int ldc);

#define SENTINEL 12345.0f /* fills the gaps between a row's end and the next row */
#define CHECKSUM_TOL 1e-5

static double worst_ratio, worst_resid; /* of a sweep: printed after it */

static const int sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {13, 70, 1}, {65, 33, 129}, {2, 129, 31}};
/* Large enough (M·N·K ≥ 2^18) for ae_gemm to split: along M, then along N. */
static const int split_sizes[][3] = {{131, 67, 33}, {70, 150, 41}, {97, 97, 31}};

static float *rand_matrix(ae_rng_t *r, int rows, int cols, int ld) {
  float *m = malloc(sizeof(float) * ((size_t)rows * ld + 1));
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < ld; j++) m[(size_t)i * ld + j] = j < cols ? 2.0f * ae_rng_uniform(r) - 1.0f : SENTINEL;
  return m;
}

static float *abs_copy(const float *m, size_t n) {
  float *a = malloc(sizeof(float) * (n + 1));
  for (size_t i = 0; i < n; i++) a[i] = fabsf(m[i]);
  return a;
}

/* op(X) element (i, k) of a row-major X with leading dimension ld. */
static double at(const float *X, int t, int ld, int i, int k) {
  return t ? X[(size_t)k * ld + i] : X[(size_t)i * ld + k];
}

/* One call of f checked both ways. */
static void one(gemm_fn *f, const char *fname, ae_rng_t *r, int ta, int tb, int M, int N, int K, float alpha,
                  float beta, int pad, int nan_c) {
  int arows = ta ? K : M, acols = ta ? M : K, brows = tb ? N : K, bcols = tb ? K : N;
  int lda = acols + pad, ldb = bcols + pad, ldc = N + pad;
  float *A = rand_matrix(r, arows, acols, lda), *B = rand_matrix(r, brows, bcols, ldb);
  float *C = rand_matrix(r, M, N, ldc);
  size_t na = (size_t)arows * lda, nb = (size_t)brows * ldb, nc = (size_t)M * ldc;
  if (nan_c)
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = NAN;
  float *A0 = abs_copy(A, na), *B0 = abs_copy(B, nb), *C0 = malloc(sizeof(float) * (nc + 1));
  memcpy(C0, C, sizeof(float) * nc);
  float *Acopy = malloc(sizeof(float) * (na + 1)), *Bcopy = malloc(sizeof(float) * (nb + 1));
  memcpy(Acopy, A, sizeof(float) * na);
  memcpy(Bcopy, B, sizeof(float) * nb);
  float *ref = malloc(sizeof(float) * (nc + 1)), *bound = malloc(sizeof(float) * (nc + 1));
  memcpy(ref, C, sizeof(float) * nc);
  memset(bound, 0, sizeof(float) * nc);
  ae_gemm_naive(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, ref, ldc);
  /* Σ|a||b| through the same loop on absolute values */
  ae_gemm_naive(ta, tb, M, N, K, 1.0f, A0, lda, B0, ldb, 0.0f, bound, ldc);
  f(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);

  char what[160];
  snprintf(what, sizeof what, "%s ta=%d tb=%d %d×%d×%d alpha=%g beta=%g pad=%d%s", fname, ta, tb, M, N, K,
           (double)alpha, (double)beta, pad, nan_c ? " C=NaN" : "");
  int bad = 0, gap = 0;
  double worst = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < ldc; j++) {
      size_t p = (size_t)i * ldc + j;
      if (j >= N) {
        gap += C[p] != SENTINEL;
        continue;
      }
      double c0 = nan_c ? 0.0 : fabs((double)C0[p]);
      double tol = 4.0 * (K + 2) * FLT_EPSILON * (fabs((double)alpha) * bound[p] + fabs((double)beta) * c0) + 1e-30;
      double d = fabs((double)C[p] - ref[p]);
      if (!(d <= tol)) bad++;
      if (!(d / tol <= worst)) worst = d / tol;
    }
  if (worst > worst_ratio) worst_ratio = worst;
  check(bad == 0, "%s: %d of %d elements differ from ae_gemm_naive (worst %.3g× the bound)", what, bad, M * N, worst);
  check(gap == 0, "%s: %d values written between rows (ldc > N)", what, gap);
  check(memcmp(A, Acopy, sizeof(float) * na) == 0 && memcmp(B, Bcopy, sizeof(float) * nb) == 0,
        "%s: A or B changed", what);

  /* checksum: C·t against α·op(A)·(op(B)·t) + β·C₀·t */
  double *t = malloc(sizeof(double) * N), *v = malloc(sizeof(double) * (K + 1));
  for (int j = 0; j < N; j++) t[j] = ae_rng_uniform(r) - 0.5;
  for (int k = 0; k < K; k++) {
    v[k] = 0;
    for (int j = 0; j < N; j++) v[k] += at(B, tb, ldb, k, j) * t[j];
  }
  double num = 0, den = 0;
  for (int i = 0; i < M; i++) {
    double ct = 0, z = 0, c0t = 0, scale = 0;
    for (int j = 0; j < N; j++) {
      ct += C[(size_t)i * ldc + j] * t[j];
      if (!nan_c) c0t += (double)C0[(size_t)i * ldc + j] * t[j];
      scale += fabs((double)bound[(size_t)i * ldc + j] * t[j]);
    }
    for (int k = 0; k < K; k++) z += at(A, ta, lda, i, k) * v[k];
    z = alpha * z + beta * c0t;
    double d = fabs(ct - z);
    if (!(d <= num)) num = d;
    scale = fabs((double)alpha) * scale + fabs((double)beta * c0t);
    if (scale > den) den = scale;
  }
  double resid = num / (den > 0 ? den : 1);
  if (!(resid <= worst_resid)) worst_resid = resid;
  check(resid <= CHECKSUM_TOL, "%s: checksum residual %.3g > %g", what, resid, CHECKSUM_TOL);
  free(t), free(v), free(A), free(B), free(C), free(A0), free(B0), free(C0), free(Acopy), free(Bcopy), free(ref),
      free(bound);
}

static const float alphas[] = {1.0f, -0.75f}, betas[] = {0.0f, 1.0f, 0.5f};

static void sweep(gemm_fn *f, const char *fname, const int (*sz)[3], int nsz, int threads) {
  ae_rng_t r;
  ae_rng_seed(&r, 20240611);
  ae_set_gemm_threads(threads);
  worst_ratio = worst_resid = 0;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      check_begin("gemm: %s, %d thread%s, ta=%d tb=%d", fname, threads, threads > 1 ? "s" : "", ta, tb);
      for (int s = 0; s < nsz; s++)
        for (int a = 0; a < 2; a++)
          for (int b = 0; b < 3; b++)
            for (int pad = 0; pad <= 3; pad += 3)
              one(f, fname, &r, ta, tb, sz[s][0], sz[s][1], sz[s][2], alphas[a], betas[b], pad, 0);
      check_end();
    }
  check_begin("gemm: %s, %d thread%s, beta 0 over a C full of NaN gives no NaN", fname, threads,
              threads > 1 ? "s" : "");
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int s = 0; s < nsz; s++) one(f, fname, &r, ta, tb, sz[s][0], sz[s][1], sz[s][2], 1.0f, 0.0f, 2, 1);
  check_end();
  check_note("%s, %d thread%s: worst element error %.3g of its bound, worst checksum residual %.3g", fname, threads,
             threads > 1 ? "s" : "", worst_ratio, worst_resid);
  ae_set_gemm_threads(1);
}

/* BLIS 0.9.0's bli_sgemmsup_rd_haswell_asm_1x16n (BLIS issue #821, fixed
 * after 0.9 by PR #824) loads A's element one row below the row it works on
 * in its K-edge loop (K not a multiple of 8): on A's last row that is up to
 * a row past A's end. Lesson 14's validation set, a view of the last rows
 * of its training tensor, ended where the storage's pages did and died of
 * SIGSEGV. Here A's last row ends right before a PROT_NONE page, for the
 * shapes that faulted on Debian's BLIS (ta = 0, tb = 1, M = 1 mod 3, K > 64
 * so the zen3/haswell kernels run, K mod 8 ≠ 0) and a few that did not;
 * each call runs in a child process, so a crash is a failed check. */
static void guard_page(void) {
  static const int Ms[] = {1, 4, 7, 13}, Ns[] = {16, 129, 256}, Ks[] = {903, 129, 9, 31, 512};
  long page = sysconf(_SC_PAGESIZE);
  size_t most = (size_t)13 * 903 * sizeof(float), span = (most + (size_t)page - 1) / (size_t)page * (size_t)page;
  char *block = mmap(NULL, span + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check_begin("gemm: ae_gemm reads nothing past A's end (BLIS 0.9 rd 1x16n kernel, lesson 14's crash)");
  if (!check(block != MAP_FAILED, "mmap of %zu bytes failed", span + (size_t)page)) goto out;
  if (!check(mprotect(block + span, (size_t)page, PROT_NONE) == 0, "mprotect of the guard page failed")) goto out;
  ae_rng_t r;
  ae_rng_seed(&r, 7);
  for (size_t mi = 0; mi < sizeof Ms / sizeof *Ms; mi++)
    for (size_t ni = 0; ni < sizeof Ns / sizeof *Ns; ni++)
      for (size_t ki = 0; ki < sizeof Ks / sizeof *Ks; ki++)
        for (int tb = 0; tb < 2; tb++) {
          int M = Ms[mi], N = Ns[ni], K = Ks[ki];
          float *A = (float *)(block + span) - (size_t)M * K; /* its last row ends at the guard page */
          for (size_t i = 0; i < (size_t)M * K; i++) A[i] = 2.0f * ae_rng_uniform(&r) - 1.0f;
          float *B = rand_matrix(&r, tb ? N : K, tb ? K : N, tb ? K : N);
          float *C = malloc(sizeof(float) * (size_t)M * N), *R = malloc(sizeof(float) * (size_t)M * N);
          ae_gemm_naive(0, tb, M, N, K, 1.0f, A, K, B, tb ? K : N, 0.0f, R, N);
          fflush(stdout);
          pid_t pid = fork();
          if (pid == 0) { /* one thread: no OpenMP team in a forked child */
            ae_set_gemm_threads(1);
            ae_gemm(0, tb, M, N, K, 1.0f, A, K, B, tb ? K : N, 0.0f, C, N);
            int bad = 0;
            for (size_t i = 0; i < (size_t)M * N; i++)
              if (fabsf(C[i] - R[i]) > 1e-4f * (float)K) bad = 1;
            _exit(bad ? 3 : 0);
          }
          int status = 0;
          if (check(pid > 0, "fork failed") && check(waitpid(pid, &status, 0) == pid, "waitpid failed")) {
            if (WIFSIGNALED(status))
              check(0, "ta=0 tb=%d M=%d N=%d K=%d: killed by signal %d (a read past A's end)", tb, M, N, K,
                    WTERMSIG(status));
            else
              check(WEXITSTATUS(status) == 0, "ta=0 tb=%d M=%d N=%d K=%d: %s", tb, M, N, K,
                    WEXITSTATUS(status) == 3 ? "C differs from the naive product" : "the child failed");
          }
          free(B);
          free(C);
          free(R);
        }
out:
  if (block != MAP_FAILED) munmap(block, span + (size_t)page);
  check_end();
}

void test_gemm(void) {
  int n = (int)(sizeof sizes / sizeof sizes[0]), ns = (int)(sizeof split_sizes / sizeof split_sizes[0]);
  sweep(ae_gemm, "ae_gemm", sizes, n, 1);
  sweep(ae_gemm, "ae_gemm", split_sizes, ns, 2);
  sweep(ae_gemm_avx2, "ae_gemm_avx2", sizes, n, 1);
  guard_page();
  /* the naive loop itself on one case worked out by hand:
   * [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50], then ·2 + 1·C */
  check_begin("gemm: ae_gemm_naive on a 2×2 product worked by hand");
  float A[4] = {1, 2, 3, 4}, B[4] = {5, 6, 7, 8}, C[4] = {1, 1, 1, 1};
  ae_gemm_naive(0, 0, 2, 2, 2, 2.0f, A, 2, B, 2, 1.0f, C, 2);
  check(C[0] == 39 && C[1] == 45 && C[2] == 87 && C[3] == 101, "got [%g %g; %g %g], expected [39 45; 87 101]",
        (double)C[0], (double)C[1], (double)C[2], (double)C[3]);
  float Ct[4] = {0, 0, 0, 0};
  ae_gemm_naive(1, 1, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, Ct, 2); /* Aᵀ·Bᵀ = (B·A)ᵀ: [23 31; 34 46] */
  check(Ct[0] == 23 && Ct[1] == 31 && Ct[2] == 34 && Ct[3] == 46, "Aᵀ·Bᵀ: got [%g %g; %g %g], expected [23 31; 34 46]",
        (double)Ct[0], (double)Ct[1], (double)Ct[2], (double)Ct[3]);
  check_end();
}
