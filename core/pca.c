/* Exact PCA over BLIS and LAPACK.
 *
 *   x (N, D) → mean (D), covariance C (D, D) = (x − mean)ᵀ(x − mean) / (N − 1)
 *   C's top k eigenpairs (ssyevr, RANGE='I') → components (k, D), variances (k)
 *
 * The covariance is built block by block: each thread centers CHUNK rows
 * into its own buffer and adds their rank-CHUNK update (bli_ssyrk, lower
 * triangle only: half a GEMM's work) to its own double-precision sum, so x
 * is never copied whole and no float sum runs over all N rows. The thread
 * sums are added in a fixed order: the same data and thread count give the
 * same bits. */
#include "pca.h"
#include "pool.h"

#include <assert.h>
#include <blis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

/* LAPACK's symmetric eigensolver (libflame's C build of it: no hidden
 * Fortran string lengths). Arguments are checked here first: LAPACK's xerbla
 * would print. */
void ssyevr_(const char *jobz, const char *range, const char *uplo, const int *n, float *a, const int *lda,
             const float *vl, const float *vu, const int *il, const int *iu, const float *abstol, int *m, float *w,
             float *z, const int *ldz, int *isuppz, float *work, const int *lwork, int *iwork, const int *liwork,
             int *info);

void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
             const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m, double *w,
             double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info);

/* Rows centered at a time: 1024×784 floats (3 MB) per thread, and a K long
 * enough for BLIS to run near its peak. */
#define CHUNK 1024

const char *ae_pca_describe(const ae_pca_t *p, char *buf, size_t n) {
  snprintf(buf, n, "PCA(%d → %d)", p->D, p->k);
  return buf;
}

void ae_pca_free(ae_pca_t *p) {
  if (!p) return;
  free(p->mean);
  free(p);
}

static ae_pca_t *pca_new(int D, int k, ae_error_t *e) {
  ae_pca_t *p = calloc(1, sizeof *p);
  /* one block: mean (D), components (k·D), variances (k), ratios (k) */
  float *block = p ? malloc(sizeof(float) * ((size_t)D + (size_t)k * D + 2 * (size_t)k)) : NULL;
  if (!block) {
    free(p);
    return ae_fail(e, AE_ENOMEM, "PCA(%d → %d): out of memory", D, k), NULL;
  }
  p->D = D;
  p->k = k;
  p->mean = block;
  p->components = block + D;
  p->explained_variance = p->components + (size_t)k * D;
  p->explained_variance_ratio = p->explained_variance + k;
  return p;
}

/* Row i of x (N, D) minus mean into row i of out, for n rows. */
static void center_rows(float *out, const float *x, const float *mean, int n, int D) {
  for (int i = 0; i < n; i++) {
    const float *xi = x + (size_t)i * D;
    float *oi = out + (size_t)i * D;
    for (int j = 0; j < D; j++) oi[j] = xi[j] - mean[j];
  }
}

/* mean (D) of the N rows of x, summed in double; part is (nt, D) scratch. */
typedef struct {
  double *part, *acc;
  const float *x, *mean;
  float *buf, *c;
  int N, D, nt;
} pca_job_t;

/* Split t of nt: the column sums of its rows into part's row t. */
static void means_task(void *ctx, int t, int nt, int thread) {
  (void)thread;
  const pca_job_t *J = ctx;
  int N = J->N, D = J->D;
  {
    double *s = J->part + (size_t)t * D;
    int lo = (int)((long long)N * t / nt), hi = (int)((long long)N * (t + 1) / nt);
    for (int j = 0; j < D; j++) s[j] = 0;
    for (int i = lo; i < hi; i++) {
      const float *xi = J->x + (size_t)i * D;
      for (int j = 0; j < D; j++) s[j] += xi[j];
    }
  }
}

/* mean (D) of the N rows of x, summed in double; part is (nt, D) scratch. */
static void column_means(double *mean, double *part, const float *x, int N, int D, int nt) {
  pca_job_t J = {.part = part, .x = x, .N = N, .D = D, .nt = nt};
  ae_parallel(nt, means_task, &J);
  for (int j = 0; j < D; j++) {
    double s = 0;
    for (int t = 0; t < nt; t++) s += part[(size_t)t * D + j];
    mean[j] = s / N;
  }
}

/* Split t of nt: the scatter of chunks t, t + nt, … into acc's block t. */
static void scatter_task(void *ctx, int t, int nt, int thread) {
  (void)thread;
  const pca_job_t *J = ctx;
  int N = J->N, D = J->D, nchunks = (N + CHUNK - 1) / CHUNK;
  float *buf = J->buf, *c = J->c;
  double *acc = J->acc;
  const float *x = J->x, *mean = J->mean;
  {
    float *bt = buf + (size_t)t * CHUNK * D, *ct = c + (size_t)t * D * D;
    double *at = acc + (size_t)t * D * D;
    float one = 1.0f, zero = 0.0f;
    /* each thread is one of nt splits: BLIS stays on it */
    rntm_t rntm;
    bli_rntm_init(&rntm);
    bli_rntm_set_num_threads(1, &rntm);
    memset(at, 0, sizeof(double) * (size_t)D * D);
    for (int b = t; b < nchunks; b += nt) {
      int r0 = b * CHUNK, n = N - r0 < CHUNK ? N - r0 : CHUNK;
      center_rows(bt, x + (size_t)r0 * D, mean, n, D);
      /* ct (D, D) = btᵀ bt: bt read as a D×n matrix with row stride 1 */
      bli_ssyrk_ex(BLIS_LOWER, BLIS_NO_TRANSPOSE, D, n, &one, bt, 1, D, &zero, ct, D, 1, NULL,
                   nt > 1 ? &rntm : NULL);
      for (int i = 0; i < D; i++)
        for (int j = 0; j <= i; j++) at[(size_t)i * D + j] += ct[(size_t)i * D + j];
    }
  }
}

/* Lower triangle of (x − mean)ᵀ(x − mean) into acc's first (D, D), row-major.
 * Per thread: buf (CHUNK, D) floats, c (D, D) floats, acc (D, D) doubles. */
static void scatter(double *acc, const float *x, const float *mean, int N, int D, int nt, float *buf, float *c) {
  pca_job_t J = {.acc = acc, .x = x, .mean = mean, .buf = buf, .c = c, .N = N, .D = D, .nt = nt};
  ae_parallel(nt, scatter_task, &J);
  for (int t = 1; t < nt; t++)
    for (int i = 0; i < D; i++)
      for (int j = 0; j <= i; j++) acc[(size_t)i * D + j] += acc[(size_t)t * D * D + (size_t)i * D + j];
}

/* Top k eigenpairs of the symmetric cov (D, D) (destroyed): values w (D)
 * ascending in w[0..k), vectors z (k, D) in the same order. */
static int top_eigen(float *cov, int D, int k, float *w, float *z, ae_error_t *e) {
  int il = D - k + 1, iu = D, m = 0, info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  float vl = 0, vu = 0, abstol = 0, work_size = 0;
  int *isuppz = malloc(sizeof(int) * 2 * (size_t)k);
  if (!isuppz) return ae_fail(e, AE_ENOMEM, "PCA: out of memory");
  /* cov is symmetric: its row-major lower triangle is LAPACK's upper */
  ssyevr_("V", "I", "U", &D, cov, &D, &vl, &vu, &il, &iu, &abstol, &m, w, z, &D, isuppz, &work_size, &lwork,
          &iwork_size, &liwork, &info);
  lwork = (int)work_size + 1;
  liwork = iwork_size;
  float *work = info == 0 ? malloc(sizeof(float) * (size_t)lwork) : NULL;
  int *iwork = info == 0 ? malloc(sizeof(int) * (size_t)(liwork > 1 ? liwork : 1)) : NULL;
  if (info == 0 && (!work || !iwork)) {
    free(isuppz), free(work), free(iwork);
    return ae_fail(e, AE_ENOMEM, "PCA: out of memory for the eigensolver's workspace");
  }
  if (info == 0)
    ssyevr_("V", "I", "U", &D, cov, &D, &vl, &vu, &il, &iu, &abstol, &m, w, z, &D, isuppz, work, &lwork, iwork,
            &liwork, &info);
  free(isuppz), free(work), free(iwork);
  if (info != 0 || m != k)
    return ae_fail(e, AE_EARG, "PCA(%d → %d): the eigensolver failed (ssyevr info %d, %d of %d eigenpairs)", D, k,
                   info, m, k);
  return AE_OK;
}

ae_pca_t *ae_pca_fit(const ae_tensor_t *x, int k, ae_error_t *e) {
  assert(x);
  char s[64];
  size_t rowsize = ae_tensor_rowsize(x);
  if (x->ndim < 2 || rowsize == 0 || rowsize > (size_t)1 << 30)
    return ae_fail_shape(e, "PCA: data %s, expected a tensor of N samples × D values",
                         ae_tensor_shape_str(x, s, sizeof s)),
           NULL;
  int N = x->shape[0], D = (int)rowsize;
  if (k < 1) return ae_fail(e, AE_EARG, "PCA: asked for %d components; ask for at least 1", k), NULL;
  if (k > D) return ae_fail(e, AE_EARG, "PCA: asked for %d components of %d-dimensional data", k, D), NULL;
  if (N < 2)
    return ae_fail_shape(e, "PCA: the covariance needs at least 2 samples, got %d", N), NULL;
  int nt = ae_gemm_threads();
  int chunks = (N + CHUNK - 1) / CHUNK;
  if (nt > chunks) nt = chunks;
  size_t DD = (size_t)D * D;
  ae_pca_t *p = pca_new(D, k, e);
  double *acc = malloc(sizeof(double) * DD * nt); /* its first D×D ends up holding the sum */
  double *mean = malloc(sizeof(double) * D * (size_t)(nt + 1));
  float *c = malloc(sizeof(float) * DD * nt), *buf = malloc(sizeof(float) * (size_t)CHUNK * D * nt);
  float *w = malloc(sizeof(float) * D), *z = malloc(sizeof(float) * (size_t)k * D);
  if (!p || !acc || !mean || !c || !buf || !w || !z) {
    if (p)
      ae_fail(e, AE_ENOMEM, "PCA(%d → %d): out of memory for the %d×%d covariance (%.2f GB with %d thread%s)", D, k,
              D, D, ((double)DD * 12.0 + (double)CHUNK * D * 4.0) * nt / 1e9, nt, nt == 1 ? "" : "s");
    goto fail;
  }
  const float *xd = ae_tensor_data(x);
  column_means(mean, mean + D, xd, N, D, nt);
  for (int j = 0; j < D; j++) p->mean[j] = (float)mean[j];
  scatter(acc, xd, p->mean, N, D, nt, buf, c);
  /* NaN or Inf anywhere in x reaches the diagonal: stop before LAPACK sees it */
  double trace = 0;
  for (int i = 0; i < D; i++) trace += acc[(size_t)i * D + i];
  if (!isfinite(trace)) {
    ae_fail(e, AE_EARG, "PCA(%d → %d): the data holds NaN or Inf", D, k);
    goto fail;
  }
  p->N = N;
  p->total_variance = trace / (N - 1);
  /* the covariance, both triangles, into c's first D×D (float, for LAPACK) */
  for (int i = 0; i < D; i++)
    for (int j = 0; j <= i; j++)
      c[(size_t)i * D + j] = c[(size_t)j * D + i] = (float)(acc[(size_t)i * D + j] / (N - 1));
  if (top_eigen(c, D, k, w, z, e)) goto fail;
  for (int i = 0; i < k; i++) {
    int src = k - 1 - i; /* ssyevr sorts ascending */
    float *row = p->components + (size_t)i * D;
    const float *v = z + (size_t)src * D;
    int big = 0;
    for (int j = 1; j < D; j++)
      if (fabsf(v[j]) > fabsf(v[big])) big = j;
    float sign = v[big] < 0 ? -1.0f : 1.0f;
    for (int j = 0; j < D; j++) row[j] = sign * v[j];
    /* a variance is never negative; rounding can make a zero one slightly so */
    float ev = w[src] > 0 ? w[src] : 0.0f;
    p->explained_variance[i] = ev;
    p->explained_variance_ratio[i] = p->total_variance > 0 ? (float)(ev / p->total_variance) : 0.0f;
  }
  free(acc), free(mean), free(c), free(buf), free(w), free(z);
  return p;
fail:
  free(acc), free(mean), free(c), free(buf), free(w), free(z);
  ae_pca_free(p);
  return NULL;
}

/* Part t's rows of J->x centred into J->buf. */
static void center_task(void *ctx, int t, int T, int thread) {
  (void)thread;
  const pca_job_t *J = ctx;
  int lo = (int)((long)J->N * t / T), hi = (int)((long)J->N * (t + 1) / T);
  center_rows(J->buf + (size_t)lo * J->D, J->x + (size_t)lo * J->D, J->mean, hi - lo, J->D);
}

int ae_pca_transform(const ae_pca_t *p, const ae_tensor_t *x, ae_tensor_t *out, ae_error_t *e) {
  assert(p && x && out);
  char d[32], s1[64], s2[64];
  int N = x->shape[0], D = p->D, k = p->k;
  if (x->ndim < 2 || ae_tensor_rowsize(x) != (size_t)D)
    return ae_fail_shape(e, "%s transform: input %s, expected [%d×%d]", ae_pca_describe(p, d, sizeof d),
                         ae_tensor_shape_str(x, s1, sizeof s1), x->ndim < 2 ? 1 : N, D);
  if (out->ndim != 2 || out->shape[0] != N || out->shape[1] != k)
    return ae_fail_shape(e, "%s transform: output %s, expected [%d×%d]", ae_pca_describe(p, d, sizeof d),
                         ae_tensor_shape_str(out, s2, sizeof s2), N, k);
  if (N == 0) return AE_OK;
  /* Centered block by block: x·Wᵀ − mean·Wᵀ would cancel badly when the
   * mean is large next to the spread. */
  int rows = N < CHUNK ? N : CHUNK;
  float *buf = malloc(sizeof(float) * (size_t)rows * D);
  if (!buf) return ae_fail(e, AE_ENOMEM, "%s transform: out of memory", ae_pca_describe(p, d, sizeof d));
  const float *xd = ae_tensor_data(x);
  float *od = ae_tensor_data(out);
  int nt = ae_threads();
  for (int r0 = 0; r0 < N; r0 += rows) {
    int n = N - r0 < rows ? N - r0 : rows;
    pca_job_t J = {.x = xd + (size_t)r0 * D, .mean = p->mean, .buf = buf, .N = n, .D = D};
    ae_parallel((size_t)n * D >= AE_PAR_MIN ? nt : 1, center_task, &J);
    /* out rows (n, k) = buf (n, D) · componentsᵀ */
    ae_gemm(0, 1, n, k, D, 1.0f, buf, D, p->components, D, 0.0f, od + (size_t)r0 * k, k);
  }
  free(buf);
  return AE_OK;
}

int ae_pca_inverse_transform(const ae_pca_t *p, const ae_tensor_t *z, ae_tensor_t *out, ae_error_t *e) {
  assert(p && z && out);
  char d[32], s1[64], s2[64];
  int N = z->shape[0], D = p->D, k = p->k;
  if (z->ndim != 2 || z->shape[1] != k)
    return ae_fail_shape(e, "%s inverse_transform: input %s, expected [%d×%d]",
                         ae_pca_describe(p, d, sizeof d), ae_tensor_shape_str(z, s1, sizeof s1), N, k);
  if (out->ndim < 2 || out->shape[0] != N || ae_tensor_rowsize(out) != (size_t)D)
    return ae_fail_shape(e, "%s inverse_transform: output %s, expected [%d×%d]",
                         ae_pca_describe(p, d, sizeof d), ae_tensor_shape_str(out, s2, sizeof s2), N, D);
  float *od = ae_tensor_data(out);
  /* the mean first, then the GEMM adds z·components on top (beta = 1) */
  for (int i = 0; i < N; i++) memcpy(od + (size_t)i * D, p->mean, sizeof(float) * D);
  ae_gemm(0, 0, N, D, k, 1.0f, ae_tensor_data(z), k, p->components, D, 1.0f, od, D);
  return AE_OK;
}

/* Larger than any k×k problem here; keeps n·n and LAPACK's sizes in int. */
#define SYM_EIG_MAX 4096

int ae_pca_sym_eigenvalues(const float *a, int n, double *w, ae_error_t *e) {
  assert(a && w);
  if (n < 1 || n > SYM_EIG_MAX)
    return ae_fail(e, AE_EARG, "sym_eigenvalues: a %d×%d matrix; expected 1 to %d rows", n, n, SYM_EIG_MAX);
  size_t nn = (size_t)n * n;
  double *s = malloc(sizeof(double) * nn);
  int *isuppz = malloc(sizeof(int) * 2 * (size_t)n);
  if (!s || !isuppz) {
    free(s), free(isuppz);
    return ae_fail(e, AE_ENOMEM, "sym_eigenvalues (%d×%d): out of memory", n, n);
  }
  /* symmetric part, in double; NaN or Inf stops here, before LAPACK sees it */
  int finite = 1;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double v = 0.5 * ((double)a[(size_t)i * n + j] + (double)a[(size_t)j * n + i]);
      finite &= isfinite(v) != 0;
      s[(size_t)i * n + j] = v;
    }
  if (!finite) {
    free(s), free(isuppz);
    return ae_fail(e, AE_EARG, "sym_eigenvalues (%d×%d): the matrix holds NaN or Inf", n, n);
  }
  int m = 0, info = 0, lwork = -1, liwork = -1, iwork_size = 0, il = 0, iu = 0, ldz = 1;
  double vl = 0, vu = 0, abstol = 0, work_size = 0, z = 0;
  dsyevr_("N", "A", "U", &n, s, &n, &vl, &vu, &il, &iu, &abstol, &m, w, &z, &ldz, isuppz, &work_size, &lwork,
          &iwork_size, &liwork, &info);
  lwork = (int)work_size + 1;
  liwork = iwork_size > 1 ? iwork_size : 1;
  double *work = info == 0 ? malloc(sizeof(double) * (size_t)lwork) : NULL;
  int *iwork = info == 0 ? malloc(sizeof(int) * (size_t)liwork) : NULL;
  if (info == 0 && (!work || !iwork)) {
    free(s), free(isuppz), free(work), free(iwork);
    return ae_fail(e, AE_ENOMEM, "sym_eigenvalues (%d×%d): out of memory for the eigensolver's workspace", n, n);
  }
  if (info == 0)
    dsyevr_("N", "A", "U", &n, s, &n, &vl, &vu, &il, &iu, &abstol, &m, w, &z, &ldz, isuppz, work, &lwork, iwork,
            &liwork, &info);
  free(s), free(isuppz), free(work), free(iwork);
  if (info != 0 || m != n)
    return ae_fail(e, AE_EARG, "sym_eigenvalues (%d×%d): the eigensolver failed (dsyevr info %d, %d of %d values)", n,
                   n, info, m, n);
  /* dsyevr sorts ascending */
  for (int i = 0, j = n - 1; i < j; i++, j--) {
    double t = w[i];
    w[i] = w[j];
    w[j] = t;
  }
  return AE_OK;
}
