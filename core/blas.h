/* The one door to BLIS: kernel-set choice at start-up and a row-major GEMM. */
#ifndef AE_BLAS_H
#define AE_BLAS_H

#include "ae.h"

/* Chooses BLIS' kernel set before BLIS initializes. `request` is NULL/"auto"
 * (pick from the CPU: AVX-512 → skx, AVX2+FMA → haswell, else BLIS' own
 * choice), or a name such as "skx", "haswell", "zen3", "generic".
 * BLIS_ARCH_TYPE in the environment (a number) wins over "auto".
 * Must be called before any other BLIS use; later calls fail. */
int ae_blas_setup(const char *request, ae_error_t *e);
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
