/* GaussianSample: a VAE's reparameterization, with its KL term.
 *
 *   in, din   (B, 2L): per row, μ (L values) then log σ² (L values)
 *   out, dout (B, L):  z = μ + σ·ε in training, μ outside it
 *   ε ~ N(0, I) drawn from (pass->seed, the layer's salt, batch row): no
 *   buffer, a row gets the same ε whichever thread runs it, backward draws
 *   it again, and two GaussianSamples of one model (which see the same step
 *   seed) draw different ε, as two Dropouts drop different positions.
 *
 * Its loss term is β · KL(N(μ, σ²) ‖ N(0, I)) per sample, averaged over the
 * batch: KL = −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j), with gradients
 * ∂/∂μ = μ and ∂/∂log σ² = ½(σ² − 1). The term does not depend on ε, so it
 * is the same in training and evaluation.
 *
 * log σ² is clamped to [LOGVAR_MIN, LOGVAR_MAX] so exp never overflows (an
 * encoder that diverges would otherwise turn the loss into Inf, then every
 * weight into NaN); where clamped, the gradient through log σ² is zero, as
 * for any clamp. μ² is summed in double: μ = 1e30 gives a huge but finite
 * KL rather than Inf. */
#include "layers.h"
#include "vmath.h"

#include <math.h>
#include <stdio.h>

#define LOGVAR_MIN -30.0f /* σ² ≈ 1e-13 */
#define LOGVAR_MAX 20.0f  /* σ² ≈ 5e8: far past anything a trained encoder gives */
#define EPS_SALT 0x6761757373ull /* "gauss": ε and Dropout/noise draw from different streams */
#define EBLOCK 128 /* normal pairs drawn per block */

typedef struct {
  int latent;    /* L */
  float beta;    /* weight of the KL term (β-VAE; 0 turns it off) */
  uint64_t salt; /* this layer's part of ε's stream key, drawn when made */
} gs_t;

static const gs_t *gs(const ae_layer_t *l) { return (const gs_t *)l->state; }

static float clamp_logvar(float v, int *clamped) {
  /* NaN stays NaN: a NaN input is a bug upstream, not something to hide */
  *clamped = v < LOGVAR_MIN || v > LOGVAR_MAX;
  return v < LOGVAR_MIN ? LOGVAR_MIN : v > LOGVAR_MAX ? LOGVAR_MAX : v;
}

/* eps[0..m) ← ε values j0..j0+m of batch row `row` (m ≤ 2·EBLOCK), from the
 * row's stream g, which the caller advances block by block from j0 = 0. The
 * uniforms are made as core/noise.c makes them (two 24-bit ones per pair). */
static void draw_block(float *eps, size_t m, ae_rng_t *g) {
  float u[EBLOCK] = {0}, v[EBLOCK] = {0}, z[2 * EBLOCK]; /* zeroed: GCC -O1 cannot see the loop fills them */
  size_t pairs = (m + 1) / 2;
  for (size_t k = 0; k < pairs; k++) {
    uint64_t r = ae_rng_u64(g);
    u[k] = (float)((r >> 40) + 1) * 0x1.0p-24f; /* (0, 1]: log stays finite */
    v[k] = (float)((r >> 16) & 0xffffff) * 0x1.0p-24f;
  }
  ae_v_box_muller(z, z + pairs, u, v, pairs);
  for (size_t k = 0; k < m; k++) eps[k] = z[k];
}

static void row_stream(ae_rng_t *g, uint64_t seed, uint64_t salt, int row) {
  ae_rng_seed(g, (seed ^ EPS_SALT ^ ae_rng_mix(salt)) ^ (0x9e3779b97f4a7c15ull * (uint64_t)(row + 1)));
}

static int gs_infer(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e) {
  int L = gs(l)->latent;
  if (ae_shape_numel(in) != (size_t)2 * L) {
    char a[64];
    return ae_fail_shape(e, "GaussianSample(%d): input is %s, expected (%d): μ and log σ² of %d units", L,
                         ae_shape_str(in, a, sizeof a), 2 * L, L);
  }
  *out = (ae_shape_t){1, {L, 0, 0}};
  return AE_OK;
}

static int gs_input_shape(const ae_layer_t *l, ae_shape_t *in) {
  *in = (ae_shape_t){1, {2 * gs(l)->latent, 0, 0}};
  return 1;
}

static void gs_forward(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                       const ae_pass_t *pass) {
  (void)in_shape;
  int L = gs(l)->latent;
  for (int r = 0; r < B; r++) {
    const float *mu = in + (size_t)r * 2 * L, *logvar = mu + L;
    float *z = out + (size_t)r * L;
    if (!pass->training) {
      for (int j = 0; j < L; j++) z[j] = mu[j];
      continue;
    }
    ae_rng_t g;
    row_stream(&g, pass->seed, gs(l)->salt, pass->row0 + r);
    float eps[2 * EBLOCK];
    for (int j0 = 0; j0 < L; j0 += 2 * EBLOCK) {
      int m = L - j0 < 2 * EBLOCK ? L - j0 : 2 * EBLOCK;
      draw_block(eps, (size_t)m, &g);
      for (int k = 0; k < m; k++) {
        int c;
        float lv = clamp_logvar(logvar[j0 + k], &c);
        z[j0 + k] = mu[j0 + k] + expf(0.5f * lv) * eps[k];
      }
    }
  }
}

/* din = ∂z/∂in · dout + β/B · ∂KL/∂in:
 *   dμ = dout + β/B · μ
 *   dlog σ² = dout · ε · ½σ + β/B · ½(σ² − 1)   (0 where clamped) */
static void gs_backward(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                        const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass) {
  (void)out;
  (void)in_shape;
  (void)dparam;
  if (!din) return; /* nothing before it to train */
  int L = gs(l)->latent;
  float w = gs(l)->beta / (float)pass->batch;
  for (int r = 0; r < B; r++) {
    const float *mu = in + (size_t)r * 2 * L, *logvar = mu + L, *dz = dout + (size_t)r * L;
    float *dmu = din + (size_t)r * 2 * L, *dlogvar = dmu + L;
    ae_rng_t g;
    if (pass->training) row_stream(&g, pass->seed, gs(l)->salt, pass->row0 + r);
    float eps[2 * EBLOCK];
    for (int j0 = 0; j0 < L; j0 += 2 * EBLOCK) {
      int m = L - j0 < 2 * EBLOCK ? L - j0 : 2 * EBLOCK;
      if (pass->training) draw_block(eps, (size_t)m, &g);
      for (int k = 0; k < m; k++) {
        int j = j0 + k, c;
        float lv = clamp_logvar(logvar[j], &c), var = expf(lv);
        dmu[j] = dz[j] + w * mu[j];
        float d = w * 0.5f * (var - 1.0f);
        if (pass->training) d += dz[j] * eps[k] * 0.5f * sqrtf(var);
        dlogvar[j] = c ? 0.0f : d;
      }
    }
  }
}

/* KL of one row, unweighted; per unit into units[] (+=) when not NULL. */
static double row_kl(const float *mu, const float *logvar, int L, double *units) {
  double kl = 0;
  for (int j = 0; j < L; j++) {
    int c;
    double lv = clamp_logvar(logvar[j], &c), m = mu[j];
    double k = -0.5 * (1.0 + lv - m * m - exp(lv));
    kl += k;
    if (units) units[j] += k;
  }
  return kl;
}

static double gs_loss_term(const ae_layer_t *l, const float *in, const float *out, const ae_shape_t *in_shape, int n,
                           const ae_pass_t *pass) {
  (void)out;
  (void)in_shape;
  return (double)gs(l)->beta * ae_gaussian_sample_kl(l, in, n, NULL) / (double)pass->batch;
}

static void gs_describe(const ae_layer_t *l, char *buf, size_t n) {
  if (gs(l)->beta == 1.0f) snprintf(buf, n, "GaussianSample(%d)", gs(l)->latent);
  else snprintf(buf, n, "GaussianSample(%d, β=%g)", gs(l)->latent, (double)gs(l)->beta);
}

static void gs_config(const ae_layer_t *l, ae_layer_config_t *c) {
  c->in = gs(l)->latent;
  c->value = gs(l)->beta;
  c->salt = gs(l)->salt;
}

static void gs_set_salt(ae_layer_t *l, uint64_t salt) { ((gs_t *)l->state)->salt = salt; }

static const ae_layer_ops_t gs_ops = {
    .kind = "GaussianSample",
    .infer = gs_infer,
    .forward = gs_forward,
    .backward = gs_backward,
    .random = 1,
    .describe = gs_describe,
    .input_shape = gs_input_shape,
    .loss_term = gs_loss_term,
    .config = gs_config,
    .set_salt = gs_set_salt,
};

static int beta_ok(float beta) { return beta >= 0.0f && isfinite(beta); }

ae_layer_t *ae_gaussian_sample_new(int latent, float beta, ae_rng_t *rng, ae_error_t *e) {
  if (latent < 1 || latent > (1 << 24))
    return ae_fail(e, AE_EARG, "GaussianSample(%d): latent size must be a positive integer", latent), NULL;
  if (!beta_ok(beta)) return ae_fail(e, AE_EARG, "GaussianSample(%d): β = %g must be finite and ≥ 0", latent, (double)beta), NULL;
  ae_layer_t *l = ae_layer_alloc(&gs_ops, sizeof(gs_t), e);
  if (l) *(gs_t *)l->state = (gs_t){latent, beta, ae_rng_u64(rng)};
  return l;
}

int ae_gaussian_sample_set_beta(ae_layer_t *l, float beta, ae_error_t *e) {
  if (l->ops != &gs_ops) return ae_fail(e, AE_EARG, "set_beta: the layer is not a GaussianSample");
  if (!beta_ok(beta)) return ae_fail(e, AE_EARG, "GaussianSample(%d): β = %g must be finite and ≥ 0", gs(l)->latent, (double)beta);
  ((gs_t *)l->state)->beta = beta;
  return AE_OK;
}

int ae_gaussian_sample_latent(const ae_layer_t *l) { return l->ops == &gs_ops ? gs(l)->latent : 0; }

float ae_gaussian_sample_beta(const ae_layer_t *l) { return l->ops == &gs_ops ? gs(l)->beta : 0.0f; }

double ae_gaussian_sample_kl(const ae_layer_t *l, const float *in, int B, double *units) {
  if (l->ops != &gs_ops) return 0.0;
  int L = gs(l)->latent;
  double sum = 0;
  for (int r = 0; r < B; r++) sum += row_kl(in + (size_t)r * 2 * L, in + (size_t)r * 2 * L + L, L, units);
  return sum;
}
