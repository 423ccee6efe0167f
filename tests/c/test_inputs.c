/* Bad inputs reaching the core: kernel sets the CPU cannot run, NaN and Inf
 * in the element-wise math, BCE's gradient at its clamp, tanh near 0, and
 * .npy bytes parsed from memory (each a bug once). */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static void blas_arch(void) {
  check_begin("blas: kernel sets are checked against the CPU and this BLIS");
  ae_error_t e;
  unsigned all = ~0u, avx_only = AE_CPU_SSSE3 | AE_CPU_AVX;
  /* --blis haswell on a CPU without AVX2 died of SIGILL */
  check(ae_blas_arch_check(3, avx_only, &e) != AE_OK && strstr(e.msg, "refused BLIS kernel set haswell (arch id 3)") &&
            strstr(e.msg, "needs AVX2 and FMA"),
        "haswell without AVX2: %s", e.msg);
  check(ae_blas_arch_check(3, all, &e) == AE_OK, "haswell with AVX2 and FMA");
  check(ae_blas_arch_check(4, avx_only, &e) == AE_OK, "sandybridge with AVX");
  check(ae_blas_arch_check(0, AE_CPU_AVX2 | AE_CPU_FMA, &e) != AE_OK && strstr(e.msg, "AVX-512"), "skx without AVX-512");
  check(ae_blas_arch_check(1, AE_CPU_AVX512F | AE_CPU_AVX512CD, &e) != AE_OK && strstr(e.msg, "knl"),
        "knl without ER/PF (SIGILL before)");
  check(ae_blas_arch_check(12, AE_CPU_AVX | AE_CPU_FMA, &e) != AE_OK && strstr(e.msg, "FMA4 and XOP"),
        "bulldozer without FMA4 (SIGILL before)");
  /* ids BLIS knows but Debian did not compile in made BLIS abort */
  for (int id = 13; id <= 24; id++)
    check(ae_blas_arch_check(id, all, &e) != AE_OK && strstr(e.msg, "this BLIS is not built with it"), "id %d: %s", id,
          e.msg);
  check(ae_blas_arch_check(2, all, &e) != AE_OK && strstr(e.msg, "knc"), "knc (id 2)");
  check(ae_blas_arch_check(25, 0, &e) == AE_OK, "generic runs anywhere");
  check(ae_blas_arch_check(-1, all, &e) != AE_OK && ae_blas_arch_check(99, all, &e) != AE_OK, "ids out of range");
  check_end();
}

static void nan_in_exp(void) {
  /* a NaN reaching vexp shifted a negative int left by 23 (UBSan stops the
   * sanitizer build there) */
  check_begin("vmath: NaN and Inf through exp, sigmoid, tanh and BCE without undefined behaviour");
  float x[4] = {NAN, INFINITY, -INFINITY, -NAN}, y[4];
  check(isnan(ae_expf(NAN)), "exp(NaN) is NaN");
  check(ae_expf(-INFINITY) >= 0.0f && ae_expf(-INFINITY) < 1e-30f, "exp(-Inf) ≈ 0");
  ae_v_sigmoid(y, x, 4);
  check(isnan(y[0]) && y[1] == 1.0f && y[2] >= 0.0f && y[2] < 1e-30f && isnan(y[3]), "sigmoid: %g %g %g %g",
        (double)y[0], (double)y[1], (double)y[2], (double)y[3]);
  ae_v_tanh(y, x, 4);
  check(isnan(y[0]) && y[1] == 1.0f && y[2] == -1.0f, "tanh: %g %g %g", (double)y[0], (double)y[1], (double)y[2]);
  float t[4] = {1, 0, 1, 0}, dz[4];
  ae_v_bce_logits(dz, x, t, 4, 1.0f, 1);
  check(isnan(dz[0]), "BCE from logits passes NaN on");
  check_end();
}

static void bce_clamp(void) {
  /* the loss is flat where p is clamped to [1e-7, 1 − 1e-7]: p = 1, t = 1
   * was still pushed (gradient ≈ −1 instead of PyTorch's 0) */
  check_begin("loss: BCE on probabilities has zero gradient where its clamp is active");
  float p[5] = {1.0f, 0.0f, 1.0f, 0.5f, 1e-9f}, t[5] = {1, 0, 0, 1, 1}, dp[5];
  ae_loss_bce(dp, p, t, 5, 1.0, 1);
  check(dp[0] == 0.0f, "p = 1, t = 1: %g", (double)dp[0]);
  check(dp[1] == 0.0f, "p = 0, t = 0: %g", (double)dp[1]);
  check(dp[2] == 0.0f && dp[4] == 0.0f, "clamped whatever the target: %g %g", (double)dp[2], (double)dp[4]);
  check(fabsf(dp[3] - (-2.0f)) < 1e-5f, "p = 0.5, t = 1: (p − t)/(p(1 − p)) = −2, got %g", (double)dp[3]);
  check_end();
}

static void tanh_near_zero(void) {
  /* 2σ(2x) − 1 lost relative accuracy near 0: 7% at 1e-6 */
  check_begin("vmath: tanh keeps its relative accuracy near 0");
  float x[9] = {1e-6f, -1e-6f, 3e-5f, 1e-3f, 0.05f, 0.0999f, 0.1f, 0.5f, 3.0f}, y[9];
  ae_v_tanh(y, x, 9);
  double worst = 0;
  for (int i = 0; i < 9; i++) {
    double rel = fabs((double)y[i] - tanh((double)x[i])) / fabs(tanh((double)x[i]));
    check(rel < 2e-6, "tanh(%g): relative error %.3g", (double)x[i], rel);
    if (rel > worst) worst = rel;
  }
  float zero = 0.0f, z;
  ae_v_tanh(&z, &zero, 1);
  check(z == 0.0f, "tanh(0) = 0");
  check_note("worst relative error %.2g", worst);
  check_end();
}

/* A version-1 .npy of `header` (padded to a 16-byte boundary) and data. */
static size_t npy(unsigned char *buf, const char *header, const void *data, size_t n) {
  size_t h = strlen(header), total = 10 + h + 1;
  size_t pad = (16 - total % 16) % 16;
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (unsigned char)((h + pad + 1) & 0xff);
  buf[9] = (unsigned char)((h + pad + 1) >> 8);
  memcpy(buf + 10, header, h);
  memset(buf + 10 + h, ' ', pad);
  buf[10 + h + pad] = '\n';
  memcpy(buf + total + pad, data, n);
  return total + pad + n;
}

static void npy_memory(void) {
  check_begin("npy: parsed from memory; sizes checked before allocating");
  unsigned char buf[512];
  ae_error_t e;
  float v[6] = {1, 2, 3, 4, 5, 6};
  size_t n = npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", v, sizeof v);
  ae_tensor_t *t = ae_tensor_parse_npy(buf, n, "mem", &e);
  check(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && ae_tensor_data(t)[5] == 6.0f,
        "(2L, 3L) is [2×3]: %s", t ? "" : e.msg);
  ae_tensor_free(t);
  unsigned char be[8] = {0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0}; /* 1.5, -2.5 big-endian */
  n = npy(buf, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be, sizeof be);
  t = ae_tensor_parse_npy(buf, n, "mem", &e);
  check(t && ae_tensor_data(t)[0] == 1.5f && ae_tensor_data(t)[1] == -2.5f, ">f4 byte-swapped: %s", t ? "" : e.msg);
  ae_tensor_free(t);
  long before = fa_live();
  fa_reset_largest();
  n = npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 20000), }", v, 8);
  t = ae_tensor_parse_npy(buf, n, "mem", &e);
  check(!t && strstr(e.msg, "truncated") && strstr(e.msg, "[20000×20000]"), "20000×20000 in 8 bytes: %s", e.msg);
  check(fa_live() == before && fa_largest() == 0, "nothing allocated for it (largest %zu bytes)", fa_largest());
  /* the same through a file: load_npy once allocated and zero-filled 1.6 GB first */
  char path[64];
  snprintf(path, sizeof path, "/tmp/aelab-inputs-%d.npy", (int)getpid());
  FILE *f = fopen(path, "wb");
  if (check(f != NULL, "cannot write %s", path)) {
    fwrite(buf, 1, n, f);
    fclose(f);
    fa_reset_largest();
    t = ae_tensor_load_npy(path, &e);
    check(!t && strstr(e.msg, "truncated"), "load_npy of 20000×20000 in 8 bytes: %s", t ? "loaded" : e.msg);
    check(fa_largest() < 4096, "load_npy allocated %zu bytes before refusing it", fa_largest());
    ae_tensor_free(t);
    unlink(path);
  }
  for (size_t cut = 0; cut < n; cut++) { /* every prefix of a good file is refused, none crashes */
    t = ae_tensor_parse_npy(buf, cut, "mem", &e);
    if (!check(t == NULL, "a prefix of %zu bytes was accepted", cut)) break;
  }
  check_end();
}

/* An IDX file claiming 2^34 values in a few bytes: the reader once
 * allocated all 16 GB before reading (found by tests/fuzz/fuzz_idx.c). */
static void idx_huge_claim(void) {
  check_begin("idx: a huge claim in a small file is refused without a huge allocation (plain and gzip)");
  char path[64];
  snprintf(path, sizeof path, "/tmp/aelab-inputs-%d.idx", (int)getpid());
  static const unsigned char bytes[] = {0, 0, 8, 2, 0, 2, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}; /* 2^17 × 2^16 */
  for (int gz = 0; gz < 2; gz++) {
    if (gz) {
      gzFile g = gzopen(path, "wb");
      if (!check(g != NULL, "cannot write %s", path)) break;
      gzwrite(g, bytes, sizeof bytes);
      gzclose(g);
    } else {
      FILE *f = fopen(path, "wb");
      if (!check(f != NULL, "cannot write %s", path)) break;
      fwrite(bytes, 1, sizeof bytes, f);
      fclose(f);
    }
    ae_error_t e;
    fa_reset_largest();
    ae_tensor_t *t = ae_idx_load(path, 1, &e);
    check(!t && strstr(e.msg, "truncated"), "%s: %s", gz ? "gzip" : "plain", t ? "loaded" : e.msg);
    check(fa_largest() <= (1u << 20), "%s: %zu bytes allocated for 4 bytes of data", gz ? "gzip" : "plain",
          fa_largest());
    ae_tensor_free(t);
  }
  unlink(path);
  check_end();
}

static void shape_messages_unbound(void) {
  /* ae_fail looks a shape error's format up in the "aelab" gettext domain
   * (core/ae.c); a program that never binds it, as this one, gets the
   * English id back, even for a message the catalogues translate */
  check_begin("errors: shape messages stay English where no catalogue is bound");
  ae_error_t e = {0, ""};
  check(ae_fail_shape(&e, "layer %d, %s", 2, "Dense(4→2)") == AE_ESHAPE && e.code == AE_ESHAPE, "the code");
  check(strcmp(e.msg, "layer 2, Dense(4→2)") == 0, "the message: %s", e.msg);
  check(ae_fail(&e, AE_EARG, "layer %d, %s", 3, "x") == AE_EARG && strcmp(e.msg, "layer 3, x") == 0, "another code: %s",
        e.msg);
  check(ae_fail_shape(NULL, "layer %d, %s", 1, "x") == AE_ESHAPE, "no error record");
  check_end();
}

void test_inputs(void) {
  idx_huge_claim();
  blas_arch();
  nan_in_exp();
  bce_clamp();
  tanh_near_zero();
  npy_memory();
  shape_messages_unbound();
}
