/* Exact PCA: the covariance of centered data by a BLIS rank-k update, its
 * top k eigenpairs by LAPACK's ssyevr (libflame's, linked over the same BLIS).
 *
 *   x           (N, D)  data, one sample per row (any tensor with N rows of D values)
 *   mean        (D)
 *   components  (k, D)  rows orthonormal, by decreasing eigenvalue; the sign of
 *                       each is fixed so its largest-|value| entry is positive
 *   z           (N, k)  codes: (x − mean) · componentsᵀ
 *
 * Variances use 1/(N−1), as numpy's cov and scikit-learn do. */
#ifndef AE_PCA_H
#define AE_PCA_H

#include "tensor.h"

typedef struct ae_pca {
  int D, k;
  int N;                            /* samples the fit saw */
  float *mean;                      /* (D) */
  float *components;                /* (k, D) */
  float *explained_variance;        /* (k) eigenvalues of the covariance */
  float *explained_variance_ratio;  /* (k) explained_variance / total_variance */
  double total_variance;            /* trace of the covariance */
} ae_pca_t;

/* Fits k components (1 ≤ k ≤ D) to x, N ≥ 2, on ae_gemm_threads() threads.
 * Memory besides the result, per thread: a D×D float and a D×D double
 * covariance and a 1024×D block (11 MB for D = 784); x is never copied whole.
 * NULL and a message on error. */
ae_pca_t *ae_pca_fit(const ae_tensor_t *x, int k, ae_error_t *e);
/* out (N, k) = (x − mean) · componentsᵀ; x has N rows of D values. */
int ae_pca_transform(const ae_pca_t *p, const ae_tensor_t *x, ae_tensor_t *out, ae_error_t *e);
/* out (N, D) = z · components + mean; z is (N, k), out any tensor of N rows of D. */
int ae_pca_inverse_transform(const ae_pca_t *p, const ae_tensor_t *z, ae_tensor_t *out, ae_error_t *e);
/* "PCA(784 → 32)" into buf; returns buf. */
const char *ae_pca_describe(const ae_pca_t *p, char *buf, size_t n);
void ae_pca_free(ae_pca_t *p);

/* Eigenvalues of a small symmetric matrix a (n, n), row-major, into w (n) by
 * decreasing value, from LAPACK's dsyevr in double. a is read only; its two
 * triangles are averaged first, so a product like MᵀM that rounding left
 * slightly asymmetric counts as its symmetric part. For k×k problems
 * (principal angles, Gram matrices); PCA's own solver is above. */
int ae_pca_sym_eigenvalues(const float *a, int n, double *w, ae_error_t *e);

#endif
