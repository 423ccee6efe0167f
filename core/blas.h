/* The one door to BLIS: kernel-set choice at start-up and a row-major GEMM. */
#ifndef AE_BLAS_H
#define AE_BLAS_H

#include "ae.h"

/* Chooses BLIS' kernel set before BLIS initializes. `request` is NULL/"auto"
 * (pick from the CPU: AVX-512 → skx, AVX2+FMA → haswell, else BLIS' own
 * choice), or a name such as "skx", "haswell", "zen3", "generic".
 * BLIS_ARCH_TYPE in the environment (a number) wins over "auto". A set the
 * CPU cannot run or this BLIS lacks is refused with a message.
 * Must be called before any other BLIS use; later calls fail. */
int ae_blas_setup(const char *request, ae_error_t *e);
/* CPU features BLIS' kernel sets need, as a mask (ae_blas_cpu_features). */
enum {
  AE_CPU_SSSE3 = 1 << 0, AE_CPU_AVX = 1 << 1, AE_CPU_AVX2 = 1 << 2, AE_CPU_FMA = 1 << 3,
  AE_CPU_FMA4 = 1 << 4, AE_CPU_XOP = 1 << 5, AE_CPU_AVX512F = 1 << 6, AE_CPU_AVX512DQ = 1 << 7,
  AE_CPU_AVX512BW = 1 << 8, AE_CPU_AVX512VL = 1 << 9, AE_CPU_AVX512PF = 1 << 10, AE_CPU_AVX512ER = 1 << 11,
  AE_CPU_AVX512CD = 1 << 12,
};
/* This CPU's AE_CPU_* features. */
unsigned ae_blas_cpu_features(void);
/* AE_OK when BLIS arch id `id` (BLIS_ARCH_TYPE's number) is compiled into
 * this BLIS and a CPU with features `have` can run its kernels; else
 * AE_EARG and a message saying which set was refused and why. Both
 * ae_blas_setup's paths (a name, BLIS_ARCH_TYPE) go through it. */
int ae_blas_arch_check(int id, unsigned have, ae_error_t *e);
/* The kernel set BLIS is using ("skx") and why ("auto: AVX-512"). */
const char *ae_blas_arch(void);
const char *ae_blas_reason(void);
const char *ae_blas_version(void);

/* C[M×N] = alpha·op(A)·op(B) + beta·C, all row-major. With beta = 0, C is
 * not read (NaN there does not spread; Dense's backward relies on it).
 * op(A) is M×K: A is M×K (lda ≥ K) or, when ta, K×M (lda ≥ M). Same for B.
 * Sizes are checked by the callers (layers); this asserts them. */
void ae_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc);
/* ae_gemm on one thread with the AVX2 (zen3) kernels when the skx+zen3 pair
 * is set up, else BLIS' own choice: the convolution layers' per-sample GEMMs
 * (few channels, K from 9 to 784) run 1.2-1.5× faster on them here. */
void ae_gemm_avx2(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc);
/* Plain triple loop with the same contract: the reference tests/c/test_gemm.c
 * compares the two above to. */
void ae_gemm_naive(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc);

#endif
