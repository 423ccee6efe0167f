/* Allocation-failure injection, as Lua's ltests.c does with its debug
 * allocator: for every operation and k = 1, 2, ... the k-th allocation the
 * core makes inside the operation fails, until the operation gets through
 * without reaching k. For each k:
 *   - the call returns its error (NULL or a negative code) with
 *     e.code == AE_ENOMEM and a message;
 *   - the object it worked on is not left broken: a later call without
 *     failure works and gives what a run that never failed gives (the same
 *     loss and the same weights after a step, bit for bit);
 *   - once everything is freed, no block the core took is still live.
 * The number of allocations so failed, and how many distinct call sites of
 * the core they hit, are printed at the end.
 *
 * Models: a dense autoencoder 20-8-20 (Sigmoid code, so every penalty
 * applies), one with Dropout and a tied decoder, and a convolutional one on
 * 1×8×8 through every convolutional layer kind; batches of 32 rows so that
 * 2 threads split them. */
#include "check.h"
#include "image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define B 32          /* rows: 2 threads split a batch of ≥ 32 */
#define SEED 1234     /* layers' initial weights and the data */
#define STEP_SEED 99  /* the model's generator (noise, Dropout) before a step */
#define MAXL 12

enum { ARCH_DENSE, ARCH_TIED, ARCH_CONV };
enum { OPT_SGD, OPT_ADAM };

typedef struct cfg {
  const char *name;
  int arch, optim, noise;
  const char *penalty; /* a kind in penalty.h's catalogue, or NULL */
  int threads;
} cfg_t;

/* What one run of a case holds; everything non-NULL is freed after it. */
typedef struct fx {
  const cfg_t *cfg;
  ae_rng_t rng, mrng; /* layers' draws; the model's (borrowed by it) */
  ae_layer_t *layers[MAXL];
  int n, code;
  ae_shape_t input;
  ae_model_t *m, *other; /* other: a second model over the same layers */
  ae_optim_t *opt;
  ae_tensor_t *x, *t, *out, *res, *base;
  ae_layer_t *made, *enc; /* a constructor's result; DenseTied's encoder */
  ae_pca_t *pca;
  ae_st_t *st; /* a model file read */
  double loss;
} fx_t;

typedef struct acase {
  const char *what;
  const cfg_t *cfg;
  void (*setup)(fx_t *f);               /* without failures: what the operation needs */
  int (*op)(fx_t *f, ae_error_t *e);    /* the operation, with the k-th allocation failing */
  int (*recover)(fx_t *f, ae_error_t *e); /* afterwards, without failures; NULL: op again */
  const char *bug;                      /* a known core bug this case shows (expected to fail) */
} acase_t;

static char tmpdir[64];      /* the .npy and IDX files read back */
static char png_path[96];    /* an image written and read back */
static long points, ops_run; /* allocations failed, operations walked */
static long current_k;       /* the allocation failed in this run of a case */

/* ---- building blocks ---- */

static ae_layer_t *must_layer(ae_layer_t *l, const ae_error_t *e) {
  if (!l) {
    printf("alloc: setup failed: %s\n", e->msg);
    exit(2);
  }
  return l;
}

static void build_layers(fx_t *f, int arch) {
  ae_error_t e = {0, ""};
  ae_rng_seed(&f->rng, SEED);
  ae_layer_t **L = f->layers;
  int n = 0;
  if (arch == ARCH_DENSE) {
    L[n++] = must_layer(ae_dense_new(20, 8, AE_INIT_GLOROT, &f->rng, &e), &e);
    L[n++] = must_layer(ae_activation_new(AE_ACT_SIGMOID, 0, &e), &e);
    L[n++] = must_layer(ae_dense_new(8, 20, AE_INIT_GLOROT, &f->rng, &e), &e);
    L[n++] = must_layer(ae_activation_new(AE_ACT_SIGMOID, 0, &e), &e);
    f->code = 2;
    f->input = (ae_shape_t){1, {20}};
  } else if (arch == ARCH_TIED) {
    L[n++] = must_layer(ae_dense_new(20, 8, AE_INIT_HE, &f->rng, &e), &e);
    L[n++] = must_layer(ae_activation_new(AE_ACT_RELU, 0, &e), &e);
    L[n++] = must_layer(ae_dropout_new(0.25f, &f->rng, &e), &e);
    L[n++] = must_layer(ae_dense_tied_new(L[0], &e), &e);
    L[n++] = must_layer(ae_activation_new(AE_ACT_SIGMOID, 0, &e), &e);
    f->code = 3;
    f->input = (ae_shape_t){1, {20}};
  } else {
    ae_shape_t img = {3, {1, 8, 8}}, flat = {1, {-1}};
    L[n++] = must_layer(ae_reshape_new(&img, &e), &e);
    L[n++] = must_layer(ae_conv2d_new(1, 4, 3, 1, AE_PAD_SAME, AE_INIT_HE, AE_CONV_AUTO, &f->rng, &e), &e);
    L[n++] = must_layer(ae_activation_new(AE_ACT_RELU, 0, &e), &e);
    L[n++] = must_layer(ae_maxpool2d_new(2, 2, AE_PAD_VALID, &e), &e);                                   /* 4×4×4 */
    L[n++] = must_layer(ae_conv2d_new(4, 4, 3, 2, AE_PAD_SAME, AE_INIT_HE, AE_CONV_AUTO, &f->rng, &e), &e); /* 4×2×2 */
    L[n++] = must_layer(ae_upsample2d_new(4, &e), &e);                                                     /* 4×8×8 */
    L[n++] = must_layer(ae_conv_transpose2d_new(4, 1, 3, 1, AE_PAD_SAME, AE_INIT_GLOROT, AE_CONV_AUTO, &f->rng, &e), &e);
    L[n++] = must_layer(ae_activation_new(AE_ACT_SIGMOID, 0, &e), &e);
    L[n++] = must_layer(ae_reshape_new(&flat, &e), &e);
    f->code = 5;
    f->input = (ae_shape_t){1, {64}};
  }
  f->n = n;
}

static ae_tensor_t *must_tensor(ae_tensor_t *t, const ae_error_t *e) {
  if (!t) {
    printf("alloc: setup failed: %s\n", e->msg);
    exit(2);
  }
  return t;
}

/* x (B, D) uniform in [0, 1], the target is x itself. */
static void build_data(fx_t *f) {
  ae_error_t e = {0, ""};
  int D = (int)ae_shape_numel(&f->input);
  ae_rng_t r;
  ae_rng_seed(&r, SEED + 1);
  f->x = must_tensor(ae_tensor_new2(B, D, &e), &e);
  ae_rng_fill_uniform(&r, ae_tensor_data(f->x), (size_t)B * D, 0.0f, 1.0f);
  f->t = must_tensor(ae_tensor_clone(f->x, &e), &e);
}

/* The model over f's layers with the case's loss, noise and penalty. */
static int make_model(fx_t *f, ae_error_t *e) {
  f->m = ae_model_new(f->layers, f->n, f->code, &f->input, e);
  if (!f->m) return e->code ? e->code : -100;
  if (ae_model_set_loss(f->m, "bce", e)) return e->code;
  f->m->rng = &f->mrng;
  if (f->cfg && f->cfg->noise != AE_NOISE_NONE) {
    ae_noise_t nz = {f->cfg->noise, 0.2f, 0.0f, 1.0f};
    if (ae_model_set_noise(f->m, &nz, e)) return e->code;
  }
  if (f->cfg && f->cfg->penalty) {
    ae_penalty_t p = {ae_penalty_find(f->cfg->penalty, e), 0, 0.01f, 0.1f, 0};
    if (!p.ops || ae_penalty_attach(f->m, &p, e)) return e->code;
  }
  return AE_OK;
}

static int make_optim(fx_t *f, ae_error_t *e) {
  f->opt = f->cfg->optim == OPT_ADAM ? ae_optim_adam_new(1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f, e)
                                     : ae_optim_sgd_new(0.1f, 0.9f, 0, 0.0f, e); /* momentum: a state to allocate */
  return f->opt ? AE_OK : (e->code ? e->code : -100);
}

static void setup_layers(fx_t *f) {
  build_layers(f, f->cfg->arch);
  build_data(f);
}

static void setup_model(fx_t *f) {
  ae_error_t e = {0, ""};
  setup_layers(f);
  if (make_model(f, &e) || make_optim(f, &e)) {
    printf("alloc: setup failed: %s\n", e.msg);
    exit(2);
  }
}

static void teardown(fx_t *f) {
  ae_model_free(f->m);
  ae_model_free(f->other);
  for (int i = f->n - 1; i >= 0; i--) ae_layer_free(f->layers[i]); /* a DenseTied before the Dense it borrows */
  ae_optim_free(f->opt);
  ae_tensor_free(f->x);
  ae_tensor_free(f->t);
  ae_tensor_free(f->out);
  ae_tensor_free(f->res);
  ae_tensor_free(f->base);
  ae_layer_free(f->made);
  ae_layer_free(f->enc);
  ae_pca_free(f->pca);
  ae_st_free(f->st);
  memset(f, 0, sizeof *f);
}

/* ---- what a model that never failed gives, per configuration ---- */

typedef struct ref {
  const cfg_t *cfg;
  double loss, eval;
  float *params, *out; /* after one step; forward of x before it */
  size_t nparams, nout;
} ref_t;

static ref_t refs[32];
static int nrefs;

static int step(fx_t *f, ae_error_t *e) {
  ae_set_threads(f->cfg->threads);
  ae_rng_seed(&f->mrng, STEP_SEED);
  int rc = ae_model_step(f->m, f->x, f->t, f->opt, 1, &f->loss, e);
  ae_set_threads(1);
  return rc;
}

static const ref_t *reference(const cfg_t *c) {
  for (int i = 0; i < nrefs; i++)
    if (refs[i].cfg == c) return &refs[i];
  fx_t f = {.cfg = c};
  ae_error_t e = {0, ""};
  setup_model(&f);
  ref_t *r = &refs[nrefs++];
  r->cfg = c;
  r->nout = ae_tensor_numel(f.t);
  r->out = malloc(r->nout * sizeof(float));
  f.out = must_tensor(ae_tensor_clone(f.t, &e), &e);
  if (ae_model_forward(f.m, f.out, f.x, 0, f.n, 0, &e) || ae_model_evaluate(f.m, f.x, f.t, 0, &r->eval, &e) ||
      step(&f, &e)) {
    printf("alloc: reference for %s failed: %s\n", c->name, e.msg);
    exit(2);
  }
  memcpy(r->out, ae_tensor_data(f.out), r->nout * sizeof(float));
  r->loss = f.loss;
  r->nparams = ae_tensor_numel(f.m->params);
  r->params = malloc(r->nparams * sizeof(float));
  memcpy(r->params, ae_tensor_data(f.m->params), r->nparams * sizeof(float));
  teardown(&f);
  return r;
}

/* The model's step matches the reference: loss and weights after it. */
static int same_step(fx_t *f, const char *when) {
  const ref_t *r = reference(f->cfg);
  int ok = check(f->loss == r->loss, "%s: loss %.9g, a model that never failed has %.9g", when, f->loss, r->loss);
  ok &= check(ae_tensor_numel(f->m->params) == r->nparams &&
                  memcmp(ae_tensor_data(f->m->params), r->params, r->nparams * sizeof(float)) == 0,
              "%s: weights after the step differ from a model that never failed", when);
  return ok;
}

/* ---- the operations ---- */

/* Constructors: the result goes to f->made / f->res / f->pca. */
#define RESULT(p) ((p) ? AE_OK : (e->code ? e->code : -100))

static int op_dense(fx_t *f, ae_error_t *e) { return RESULT(f->made = ae_dense_new(20, 8, AE_INIT_GLOROT, &f->rng, e)); }
static void setup_enc(fx_t *f) {
  ae_error_t e = {0, ""};
  f->enc = must_layer(ae_dense_new(20, 8, AE_INIT_GLOROT, &f->rng, &e), &e);
}
static int op_tied(fx_t *f, ae_error_t *e) { return RESULT(f->made = ae_dense_tied_new(f->enc, e)); }
static int op_act(fx_t *f, ae_error_t *e) { return RESULT(f->made = ae_activation_new(AE_ACT_LEAKY_RELU, 0.1f, e)); }
static int op_conv(fx_t *f, ae_error_t *e) {
  return RESULT(f->made = ae_conv2d_new(3, 4, 3, 1, AE_PAD_SAME, AE_INIT_HE, AE_CONV_AUTO, &f->rng, e));
}
static int op_convt(fx_t *f, ae_error_t *e) {
  return RESULT(f->made = ae_conv_transpose2d_new(4, 3, 3, 2, AE_PAD_SAME, AE_INIT_GLOROT, AE_CONV_AUTO, &f->rng, e));
}
static int op_pool(fx_t *f, ae_error_t *e) { return RESULT(f->made = ae_maxpool2d_new(2, 2, AE_PAD_VALID, e)); }
static int op_up(fx_t *f, ae_error_t *e) { return RESULT(f->made = ae_upsample2d_new(2, e)); }
static int op_reshape(fx_t *f, ae_error_t *e) {
  ae_shape_t s = {3, {1, 8, -1}};
  return RESULT(f->made = ae_reshape_new(&s, e));
}
static int op_dropout(fx_t *f, ae_error_t *e) { return RESULT(f->made = ae_dropout_new(0.5f, &f->rng, e)); }
static int op_gaussian_sample(fx_t *f, ae_error_t *e) { return RESULT(f->made = ae_gaussian_sample_new(2, 1.0f, &f->rng, e)); }
static int op_sgd(fx_t *f, ae_error_t *e) { return RESULT(f->opt = ae_optim_sgd_new(0.1f, 0.9f, 1, 0.0f, e)); }
static int op_adam(fx_t *f, ae_error_t *e) { return RESULT(f->opt = ae_optim_adam_new(1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, e)); }
static int op_rmsprop(fx_t *f, ae_error_t *e) { return RESULT(f->opt = ae_optim_rmsprop_new(1e-3f, 0.9f, 1e-7f, 0.0f, e)); }
static int op_adadelta(fx_t *f, ae_error_t *e) { return RESULT(f->opt = ae_optim_adadelta_new(1e-3f, 0.95f, 1e-7f, 0.0f, e)); }

/* Tensors. */
static void setup_base(fx_t *f) {
  ae_error_t e = {0, ""};
  f->base = must_tensor(ae_tensor_new2(6, 5, &e), &e);
  float *d = ae_tensor_data(f->base);
  for (int i = 0; i < 30; i++) d[i] = (float)((i * 7) % 11);
}
/* images (core/image.h): an RGB 3×20×24 image in f->x, a grid of 8×8
 * corners in f->t, its patches in f->out */
static void setup_image(fx_t *f) {
  ae_error_t e = {0, ""};
  int shape[4] = {1, 3, 20, 24};
  f->x = must_tensor(ae_tensor_new(4, shape, &e), &e);
  float *d = ae_tensor_data(f->x);
  for (int i = 0; i < 3 * 20 * 24; i++) d[i] = (float)((i * 37) % 256) / 255.0f;
  f->t = must_tensor(ae_image_grid(20, 24, 8, 6, &e), &e);
  f->out = must_tensor(ae_image_extract(f->x, f->t, 8, &e), &e);
}
static int op_image_extract(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_image_extract(f->x, f->t, 8, e)); }
static int op_image_stitch(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_image_stitch(f->out, f->t, 20, 24, 1, e)); }
static int op_image_ssim(fx_t *f, ae_error_t *e) {
  double v;
  return ae_image_ssim(f->x, f->x, &v, e);
}
static int op_image_lab(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_image_rgb_to_lab(f->x, e)); }
static int op_image_median(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_image_median(f->x, 3, e)); }
/* write a PNG then read it back: the encoder's and decoder's own buffers */
static int op_image_png(fx_t *f, ae_error_t *e) {
  int s = ae_image_write(f->x, png_path, 90, e);
  if (s) return s;
  return RESULT(f->res = ae_image_read(png_path, 0, e));
}
static int op_image_jpeg(fx_t *f, ae_error_t *e) {
  if (!f->res) {
    f->res = ae_tensor_new(f->x->ndim, f->x->shape, e);
    if (!f->res) return e->code;
  }
  return ae_image_jpeg_roundtrip(f->res, f->x, 50, e);
}

static int op_tensor_new(fx_t *f, ae_error_t *e) {
  int shape[3] = {2, 3, 4};
  return RESULT(f->res = ae_tensor_new(3, shape, e));
}
static int op_view(fx_t *f, ae_error_t *e) {
  int shape[2] = {2, 5};
  return RESULT(f->res = ae_tensor_view(f->base, 5, 2, shape, e));
}
static int op_clone(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_tensor_clone(f->base, e)); }
static int op_narrow(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_tensor_narrow(f->base, 1, 3, e)); }
static int op_reshape_t(fx_t *f, ae_error_t *e) {
  int shape[2] = {3, 10};
  return RESULT(f->res = ae_tensor_reshape(f->base, 2, shape, e));
}
static int op_transpose(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_tensor_transpose(f->base, e)); }
static int op_matmul(fx_t *f, ae_error_t *e) {
  ae_tensor_t *bt = ae_tensor_transpose(f->base, e);
  if (!bt) return RESULT(bt);
  f->res = ae_tensor_matmul(f->base, bt, e);
  ae_tensor_free(bt);
  return RESULT(f->res);
}
static int op_mean_rows(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_tensor_mean_rows(f->base, e)); }
static int op_argmax(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_tensor_argmax_rows(f->base, e)); }
static char npy_path[96], idx_path[96], st_path[96], st_out_path[96];
static int op_load_npy(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_tensor_load_npy(npy_path, e)); }
static int op_idx(fx_t *f, ae_error_t *e) { return RESULT(f->res = ae_idx_load(idx_path, 1, e)); }
static int op_parse_npy(fx_t *f, ae_error_t *e) {
  static const char npy[] = "\x93NUMPY\x01\x00\x3a\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n"
                            "\0\0\0\0\0\0\xf0\x3f\0\0\0\0\0\0\0\x40";
  return RESULT(f->res = ae_tensor_parse_npy(npy, sizeof npy - 1, "memory", e));
}
static int op_letters(fx_t *f, ae_error_t *e) {
  char chars[AE_LETTERS + 1];
  return RESULT(f->res = ae_letters(chars, e));
}

/* Model files: two tensors and two metadata pairs written (the header
 * grows past its first block: a long value), read from a file and parsed
 * from memory. */
static const char *const st_meta[4] = {"architecture", "{\"layers\": [\"a long enough value to make the header grow "
                                       "past the writer's first 256 bytes, several times over, so its realloc "
                                       "is reached too: ........................................................"
                                       "........................................................\"]}",
                                       "note", "x"};
static int write_st(const char *path, ae_error_t *e) {
  static const float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {-1, 1};
  static const int ws[2] = {2, 3}, bs[1] = {2};
  const ae_st_out_t t[2] = {{"layers.0.weight", 2, ws, w}, {"layers.0.bias", 1, bs, b}};
  return ae_st_write(path, st_meta, 2, t, 2, e);
}
static int op_st_write(fx_t *f, ae_error_t *e) {
  (void)f;
  return write_st(st_out_path, e);
}
static int op_st_read(fx_t *f, ae_error_t *e) {
  if (!(f->st = ae_st_read(st_path, e))) return e->code;
  if (!check(f->st->n == 2 && ae_st_find(f->st, "layers.0.bias") >= 0 && ae_st_meta(f->st, "note"), "read back"))
    return -100;
  return AE_OK;
}
static int op_st_parse(fx_t *f, ae_error_t *e) {
  FILE *fp = fopen(st_path, "rb");
  unsigned char buf[4096];
  size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
  if (fp) fclose(fp);
  return RESULT(f->st = ae_st_parse(buf, n, "memory", e));
}
/* An optimizer state put back (a checkpoint's) */
static void setup_adam(fx_t *f) {
  ae_error_t e = {0, ""};
  f->opt = ae_optim_adam_new(1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, &e);
  f->base = must_tensor(ae_tensor_new2(6, 5, &e), &e);
}
static int op_set_state(fx_t *f, ae_error_t *e) {
  float m[30] = {1}, v[30] = {2};
  return ae_optim_set_state(f->opt, ae_tensor_data(f->base), 30, 7, m, v, e);
}

/* The eigenvalues of a small symmetric matrix (linalg's principal angles). */
static int op_sym_eig(fx_t *f, ae_error_t *e) {
  (void)f;
  const float a[9] = {2, 1, 0, 1, 3, 1, 0, 1, 4};
  double w[3];
  return ae_pca_sym_eigenvalues(a, 3, w, e);
}

/* PCA: 1100 rows so that 2 GEMM threads take a 1024-row chunk each. */
static void setup_pca_data(fx_t *f) {
  ae_error_t e = {0, ""};
  f->base = must_tensor(ae_tensor_new2(1100, 6, &e), &e);
  ae_rng_t r;
  ae_rng_seed(&r, SEED);
  ae_rng_fill_normal(&r, ae_tensor_data(f->base), 6600, 0.0f, 1.0f);
}
static int op_pca(fx_t *f, ae_error_t *e) {
  ae_set_gemm_threads(f->cfg ? f->cfg->threads : 1);
  f->pca = ae_pca_fit(f->base, 3, e);
  ae_set_gemm_threads(1);
  return RESULT(f->pca);
}

static void setup_pca(fx_t *f) {
  ae_error_t e = {0, ""};
  setup_pca_data(f);
  f->pca = ae_pca_fit(f->base, 3, &e);
  f->res = ae_tensor_new2(1100, 3, &e);
  if (!f->pca || !f->res) {
    printf("alloc: setup failed: %s\n", e.msg);
    exit(2);
  }
}
static int op_pca_transform(fx_t *f, ae_error_t *e) { return ae_pca_transform(f->pca, f->base, f->res, e); }

#undef RESULT

/* Models. */
static int op_model_new(fx_t *f, ae_error_t *e) { return make_model(f, e); }
static int recover_model_new(fx_t *f, ae_error_t *e) {
  ae_model_free(f->m); /* a half-configured one, if any */
  f->m = NULL;
  if (!check(make_model(f, e) == AE_OK, "ae_model_new after a failure: %s", e->msg)) return e->code;
  if (make_optim(f, e) || step(f, e)) return e->code;
  same_step(f, "a model made after a failed ae_model_new (its layers' weights must have survived)");
  return AE_OK;
}

/* A second model over the same layers takes their weights into its arena:
 * the first is then no longer packed. */
static void setup_moved(fx_t *f) {
  ae_error_t e = {0, ""};
  setup_model(f);
  f->other = ae_model_new(f->layers, f->n, f->code, &f->input, &e);
  if (!f->other) {
    printf("alloc: setup failed: %s\n", e.msg);
    exit(2);
  }
}
static int op_pack(fx_t *f, ae_error_t *e) { return ae_model_pack(f->m, e); }
static int recover_pack(fx_t *f, ae_error_t *e) {
  /* A regression test: a failure late in ae_model_pack once left params
   * set and grads NULL; the model then counted as packed and the next step
   * dereferenced NULL. Check the state instead of crashing. */
  if (!check(!(f->m->params && !f->m->grads),
             "ae_model_pack failed at allocation %ld and left params set and grads NULL: the next step "
             "would dereference NULL (not run)",
             current_k))
    return AE_OK;
  if (!check(step(f, e) == AE_OK, "a step after a failed ae_model_pack: %s", e->msg)) return e->code;
  same_step(f, "a step after a failed ae_model_pack");
  return AE_OK;
}

/* A regression test: a failure in ae_model_reserve (called by forward,
 * evaluate and step) inside a layer's workspace once came after m->cap = B;
 * the model then claimed rows it could not get, and ae_model_forward/evaluate,
 * which trust m->cap, ran the layer without its workspace (a NULL
 * dereference in conv_forward_direct). Check the state instead of crashing. */
static int cap_is_honest(fx_t *f, const char *op) {
  return check(f->m->cap < B,
               "%s failed at allocation %ld but left cap = %d: a forward would run layers without their "
               "workspaces (forward not run)",
               op, current_k, f->m->cap);
}

static int op_reserve(fx_t *f, ae_error_t *e) { return ae_model_reserve(f->m, B, e); }
static int recover_reserve(fx_t *f, ae_error_t *e) {
  if (cap_is_honest(f, "ae_model_reserve")) {
    const ref_t *r = reference(f->cfg);
    if (!check(ae_model_forward(f->m, f->out, f->x, 0, f->n, 0, e) == AE_OK, "forward after a failed reserve: %s",
               e->msg))
      return e->code;
    check(memcmp(ae_tensor_data(f->out), r->out, r->nout * sizeof(float)) == 0,
          "forward after a failed reserve differs from a model that never failed");
  }
  if (!check(step(f, e) == AE_OK, "a step after a failed ae_model_reserve: %s", e->msg)) return e->code;
  same_step(f, "a step after a failed ae_model_reserve");
  return AE_OK;
}
static void setup_model_out(fx_t *f) {
  ae_error_t e = {0, ""};
  setup_model(f);
  f->out = must_tensor(ae_tensor_clone(f->t, &e), &e);
}

/* ... and one forward already run: its workspaces are the ones a failed step must not lose. */
static void setup_model_out_forwarded(fx_t *f) {
  ae_error_t e = {0, ""};
  setup_model_out(f);
  if (ae_model_forward(f->m, f->out, f->x, 0, f->n, 0, &e)) {
    printf("alloc: setup failed: %s\n", e.msg);
    exit(2);
  }
}

static int op_step(fx_t *f, ae_error_t *e) { return step(f, e); }
static int recover_step(fx_t *f, ae_error_t *e) {
  /* the failed step may have drawn its seed already: step() seeds again */
  if (!check(step(f, e) == AE_OK, "the step after a failed one: %s", e->msg)) return e->code;
  same_step(f, "the step after a failed one");
  return AE_OK;
}

static int op_forward(fx_t *f, ae_error_t *e) { return ae_model_forward(f->m, f->out, f->x, 0, f->n, 0, e); }
/* A regression test: a failed step (growing a layer's workspace for two
 * threads) once freed the workspace a model's cap still vouched for, and
 * the next forward wrote through NULL. A failed step changes no weight, so
 * the forward must give a fresh model's outputs; then the step goes on. */
static int recover_step_then_forward(fx_t *f, ae_error_t *e) {
  const ref_t *r = reference(f->cfg);
  if (!check(op_forward(f, e) == AE_OK, "forward after a failed step: %s", e->msg)) return e->code;
  check(memcmp(ae_tensor_data(f->out), r->out, r->nout * sizeof(float)) == 0,
        "forward after a failed step differs from a model that never stepped");
  return recover_step(f, e);
}

static int recover_forward(fx_t *f, ae_error_t *e) {
  const ref_t *r = reference(f->cfg);
  if (!cap_is_honest(f, "ae_model_forward")) return AE_OK;
  if (!check(op_forward(f, e) == AE_OK, "forward after a failed one: %s", e->msg)) return e->code;
  check(memcmp(ae_tensor_data(f->out), r->out, r->nout * sizeof(float)) == 0,
        "forward after a failed one differs from a model that never failed");
  return AE_OK;
}
static int op_evaluate(fx_t *f, ae_error_t *e) { return ae_model_evaluate(f->m, f->x, f->t, 0, &f->loss, e); }
static int recover_evaluate(fx_t *f, ae_error_t *e) {
  const ref_t *r = reference(f->cfg);
  if (!cap_is_honest(f, "ae_model_evaluate")) return AE_OK;
  if (!check(op_evaluate(f, e) == AE_OK, "evaluate after a failed one: %s", e->msg)) return e->code;
  check(f->loss == r->eval, "evaluate after a failed one: %.9g, a model that never failed: %.9g", f->loss, r->eval);
  return AE_OK;
}

/* ---- the driver ---- */

static void run_case(const acase_t *c) {
  check_begin("alloc: %s%s%s", c->what, c->cfg ? ", " : "", c->cfg ? c->cfg->name : "");
  if (c->bug) check_expect_failure(c->bug);
  if (c->cfg && c->op != op_pca) reference(c->cfg); /* before any failure */
  check(fa_live() == 0, "%ld core blocks live before the case", fa_live());
  for (long k = 1;; k++) {
    fx_t f = {.cfg = c->cfg};
    ae_rng_seed(&f.rng, SEED);
    if (c->setup) c->setup(&f);
    ae_error_t e = {0, ""};
    current_k = k;
    fa_arm(k);
    int rc = c->op(&f, &e);
    long reached = fa_failures();
    fa_arm(0);
    if (!reached) { /* the operation made fewer than k allocations: done */
      check(rc == AE_OK, "without any failure: %s", e.msg);
      teardown(&f);
      check(fa_live() == 0, "without any failure: %ld blocks left live", fa_live());
      points += k - 1;
      ops_run++;
      break;
    }
    int ok = check(rc < 0, "allocation %ld failed, yet the call returned %d", k, rc);
    ok &= check(e.code == AE_ENOMEM, "allocation %ld failed: error code %d, expected AE_ENOMEM (%d); message '%s'", k,
                e.code, AE_ENOMEM, e.msg);
    ok &= check(e.msg[0] != '\0', "allocation %ld failed: empty message", k);
    ae_error_t e2 = {0, ""};
    if (c->recover) c->recover(&f, &e2);
    else check(c->op(&f, &e2) == AE_OK, "allocation %ld failed; the same call again, without failure: %s", k, e2.msg);
    teardown(&f);
    check(fa_live() == 0, "allocation %ld failed: %ld blocks leaked", k, fa_live());
    if (fa_live()) break; /* the following counts would all be off */
    if (k > 10000) {
      check(0, "more than 10000 allocations: stopping");
      break;
    }
  }
  check_end();
}

static void write_files(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/aelab-check-XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("alloc: mkdtemp");
    exit(2);
  }
  snprintf(npy_path, sizeof npy_path, "%s/x.npy", tmpdir);
  snprintf(idx_path, sizeof idx_path, "%s/x.idx", tmpdir);
  snprintf(png_path, sizeof png_path, "%s/x.png", tmpdir);
  snprintf(st_path, sizeof st_path, "%s/m.safetensors", tmpdir);
  snprintf(st_out_path, sizeof st_out_path, "%s/w.safetensors", tmpdir);
  ae_error_t e = {0, ""};
  ae_tensor_t *t = must_tensor(ae_tensor_new2(3, 4, &e), &e);
  if (ae_tensor_save_npy(t, npy_path, &e)) {
    printf("alloc: %s\n", e.msg);
    exit(2);
  }
  ae_tensor_free(t);
  if (write_st(st_path, &e)) {
    printf("alloc: %s\n", e.msg);
    exit(2);
  }
  /* IDX: magic 00 00 08 03, sizes 2, 3, 4 big-endian, 24 bytes */
  FILE *fp = fopen(idx_path, "wb");
  unsigned char head[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
  unsigned char data[24];
  for (int i = 0; i < 24; i++) data[i] = (unsigned char)(i * 10);
  if (!fp || fwrite(head, 1, 16, fp) != 16 || fwrite(data, 1, 24, fp) != 24 || fclose(fp) != 0) {
    printf("alloc: cannot write %s\n", idx_path);
    exit(2);
  }
}

static void remove_files(void) {
  unlink(npy_path);
  unlink(idx_path);
  unlink(st_path);
  unlink(st_out_path);
  unlink(png_path);
  rmdir(tmpdir);
}

/* The configurations the model operations run under. */
static const cfg_t
    dense_sgd = {"dense 20-8-20, SGD, 1 thread", ARCH_DENSE, OPT_SGD, AE_NOISE_NONE, NULL, 1},
    dense_adam = {"dense 20-8-20, Adam, 1 thread", ARCH_DENSE, OPT_ADAM, AE_NOISE_NONE, NULL, 1},
    dense_sgd2 = {"dense 20-8-20, SGD, 2 threads", ARCH_DENSE, OPT_SGD, AE_NOISE_NONE, NULL, 2},
    dense_adam2 = {"dense 20-8-20, Adam, 2 threads", ARCH_DENSE, OPT_ADAM, AE_NOISE_NONE, NULL, 2},
    noise1 = {"dense, Gaussian noise, Adam, 1 thread", ARCH_DENSE, OPT_ADAM, AE_NOISE_GAUSSIAN, NULL, 1},
    noise2 = {"dense, masking noise, Adam, 2 threads", ARCH_DENSE, OPT_ADAM, AE_NOISE_MASKING, NULL, 2},
    l1_1 = {"dense, L1 penalty, Adam, 1 thread", ARCH_DENSE, OPT_ADAM, AE_NOISE_NONE, "l1", 1},
    l1_2 = {"dense, L1 penalty, Adam, 2 threads", ARCH_DENSE, OPT_ADAM, AE_NOISE_NONE, "l1", 2},
    kl1 = {"dense, KL penalty, Adam, 1 thread", ARCH_DENSE, OPT_ADAM, AE_NOISE_NONE, "kl_sparsity", 1},
    kl2 = {"dense, KL penalty, Adam, 2 threads", ARCH_DENSE, OPT_ADAM, AE_NOISE_NONE, "kl_sparsity", 2},
    ctr1 = {"dense, contractive penalty, SGD, 1 thread", ARCH_DENSE, OPT_SGD, AE_NOISE_NONE, "contractive", 1},
    ctr2 = {"dense, contractive penalty, SGD, 2 threads", ARCH_DENSE, OPT_SGD, AE_NOISE_NONE, "contractive", 2},
    tied1 = {"tied with Dropout, Adam, 1 thread", ARCH_TIED, OPT_ADAM, AE_NOISE_NONE, NULL, 1},
    tied2 = {"tied with Dropout, SGD, 2 threads", ARCH_TIED, OPT_SGD, AE_NOISE_GAUSSIAN, NULL, 2},
    conv1 = {"conv 1×8×8, Adam, 1 thread", ARCH_CONV, OPT_ADAM, AE_NOISE_NONE, NULL, 1},
    conv2 = {"conv 1×8×8, Adam, 2 threads", ARCH_CONV, OPT_ADAM, AE_NOISE_NONE, NULL, 2},
    conv_sgd2 = {"conv 1×8×8, SGD, 2 threads", ARCH_CONV, OPT_SGD, AE_NOISE_SALT_PEPPER, NULL, 2},
    pca1 = {"1 thread", ARCH_DENSE, OPT_SGD, 0, NULL, 1}, pca2 = {"2 threads", ARCH_DENSE, OPT_SGD, 0, NULL, 2};

static const acase_t cases[] = {
    {"Dense constructor", NULL, NULL, op_dense, NULL, NULL},
    {"DenseTied constructor", NULL, setup_enc, op_tied, NULL, NULL},
    {"activation constructor", NULL, NULL, op_act, NULL, NULL},
    {"Conv2D constructor", NULL, NULL, op_conv, NULL, NULL},
    {"ConvTranspose2D constructor", NULL, NULL, op_convt, NULL, NULL},
    {"MaxPool2D constructor", NULL, NULL, op_pool, NULL, NULL},
    {"UpSampling2D constructor", NULL, NULL, op_up, NULL, NULL},
    {"Reshape constructor", NULL, NULL, op_reshape, NULL, NULL},
    {"Dropout constructor", NULL, NULL, op_dropout, NULL, NULL},
    {"GaussianSample constructor", NULL, NULL, op_gaussian_sample, NULL, NULL},
    {"SGD constructor", NULL, NULL, op_sgd, NULL, NULL},
    {"Adam constructor", NULL, NULL, op_adam, NULL, NULL},
    {"RMSprop constructor", NULL, NULL, op_rmsprop, NULL, NULL},
    {"Adadelta constructor", NULL, NULL, op_adadelta, NULL, NULL},
    {"ae_tensor_new", NULL, NULL, op_tensor_new, NULL, NULL},
    {"ae_tensor_view", NULL, setup_base, op_view, NULL, NULL},
    {"ae_tensor_clone", NULL, setup_base, op_clone, NULL, NULL},
    {"ae_tensor_narrow", NULL, setup_base, op_narrow, NULL, NULL},
    {"ae_tensor_reshape", NULL, setup_base, op_reshape_t, NULL, NULL},
    {"ae_tensor_transpose", NULL, setup_base, op_transpose, NULL, NULL},
    {"ae_tensor_matmul", NULL, setup_base, op_matmul, NULL, NULL},
    {"ae_tensor_mean_rows", NULL, setup_base, op_mean_rows, NULL, NULL},
    {"ae_tensor_argmax_rows", NULL, setup_base, op_argmax, NULL, NULL},
    {"ae_tensor_load_npy", NULL, NULL, op_load_npy, NULL, NULL},
    {"ae_idx_load", NULL, NULL, op_idx, NULL, NULL},
    {"ae_tensor_parse_npy", NULL, NULL, op_parse_npy, NULL, NULL},
    {"ae_letters", NULL, NULL, op_letters, NULL, NULL},
    {"ae_image_extract", NULL, setup_image, op_image_extract, NULL, NULL},
    {"ae_image_stitch", NULL, setup_image, op_image_stitch, NULL, NULL},
    {"ae_image_ssim", NULL, setup_image, op_image_ssim, NULL, NULL},
    {"ae_image_rgb_to_lab", NULL, setup_image, op_image_lab, NULL, NULL},
    {"ae_image_median", NULL, setup_image, op_image_median, NULL, NULL},
    {"ae_image_write + ae_image_read (PNG)", NULL, setup_image, op_image_png, NULL, NULL},
    {"ae_image_jpeg_roundtrip", NULL, setup_image, op_image_jpeg, NULL, NULL},
    {"ae_st_write", NULL, NULL, op_st_write, NULL, NULL},
    {"ae_st_read", NULL, NULL, op_st_read, NULL, NULL},
    {"ae_st_parse", NULL, NULL, op_st_parse, NULL, NULL},
    {"ae_optim_set_state", NULL, setup_adam, op_set_state, NULL, NULL},
    {"ae_pca_fit", &pca1, setup_pca_data, op_pca, NULL, NULL},
    {"ae_pca_fit", &pca2, setup_pca_data, op_pca, NULL, NULL},
    {"ae_pca_transform", NULL, setup_pca, op_pca_transform, NULL, NULL},
    {"ae_pca_sym_eigenvalues", NULL, NULL, op_sym_eig, NULL, NULL},
    {"ae_model_new", &dense_adam, setup_layers, op_model_new, recover_model_new, NULL},
    {"ae_model_new", &tied1, setup_layers, op_model_new, recover_model_new, NULL},
    {"ae_model_new", &conv1, setup_layers, op_model_new, recover_model_new, NULL},
    {"ae_model_pack after its layers moved", &dense_adam, setup_moved, op_pack, recover_pack, NULL},
    {"ae_model_pack after its layers moved", &tied1, setup_moved, op_pack, recover_pack, NULL},
    {"ae_model_pack after its layers moved", &conv1, setup_moved, op_pack, recover_pack, NULL},
    {"ae_model_step after its layers moved (it packs)", &dense_adam2, setup_moved, op_step, recover_pack, NULL},
    {"ae_model_reserve", &dense_adam, setup_model_out, op_reserve, recover_reserve, NULL},
    {"ae_model_reserve", &tied1, setup_model_out, op_reserve, recover_reserve, NULL},
    {"ae_model_reserve", &conv1, setup_model_out, op_reserve, recover_reserve, NULL},
    {"ae_model_forward", &dense_adam, setup_model_out, op_forward, recover_forward, NULL},
    {"ae_model_forward", &conv1, setup_model_out, op_forward, recover_forward, NULL},
    {"ae_model_evaluate", &dense_adam, setup_model_out, op_evaluate, recover_evaluate, NULL},
    {"ae_model_evaluate", &conv1, setup_model_out, op_evaluate, recover_evaluate, NULL},
    {"ae_model_step, then forward", &conv2, setup_model_out_forwarded, op_step, recover_step_then_forward, NULL},
    {"ae_model_step, then forward", &dense_adam2, setup_model_out_forwarded, op_step, recover_step_then_forward, NULL},
    {"ae_model_step", &dense_sgd, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &dense_adam, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &dense_sgd2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &dense_adam2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &noise1, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &noise2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &l1_1, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &l1_2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &kl1, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &kl2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &ctr1, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &ctr2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &tied1, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &tied2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &conv1, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &conv2, setup_model, op_step, recover_step, NULL},
    {"ae_model_step", &conv_sgd2, setup_model, op_step, recover_step, NULL},
};

void test_alloc(void) {
  write_files();
  long sites0 = fa_sites();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
  remove_files();
  for (int i = 0; i < nrefs; i++) {
    free(refs[i].params);
    free(refs[i].out);
  }
  nrefs = 0;
  check_note("allocation failure injected at %ld allocation points of %ld operations, %d distinct call sites in "
             "core/ (build/check --sites lists them)",
             points, ops_run, fa_sites() - (int)sites0);
}
