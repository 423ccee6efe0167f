/* The layer contract.
 *
 * Every layer type lives in its own file with forward and backward side by
 * side and fills in an ae_layer_ops_t. Arguments come in one order: what
 * the call writes (out, or din), what it reads (dout, in, out), the input's
 * per-sample shape and the rows B; backward's dparam and the pass last.
 * Shapes are per sample (the batch B is separate):
 *   in  (B, IN...)   out (B, OUT...)   same for dout, din.
 * backward accumulates (+=) into parameter gradients; zeroing is the
 * caller's job. din may be NULL (the first layer needs no input gradient).
 * forward/backward never allocate and never fail: shapes were checked by
 * infer() when the model was built or the batch shape changed. */
#ifndef AE_LAYER_H
#define AE_LAYER_H

#include "ae.h"
#include "rng.h"
#include "tensor.h"

#include <stdint.h>

typedef struct ae_shape {
  int nd;   /* 1 to 3 */
  int d[3]; /* per-sample dimensions, e.g. {784} or {C, H, W} */
} ae_shape_t;

size_t ae_shape_numel(const ae_shape_t *s);
const char *ae_shape_str(const ae_shape_t *s, char *buf, size_t n); /* "(784)" */

typedef struct ae_layer ae_layer_t;

/* What a layer was made from: enough to make it again (a model file's
 * architecture). Fields a kind does not use stay 0. */
typedef struct ae_layer_config {
  const char *kind;   /* its constructor's name in Lua: "Dense", "LeakyReLU", "Conv2D", "Flatten", ... */
  int in, out;        /* Dense: features; Conv2D, ConvTranspose2D: channels */
  int k, stride, pad; /* the convolutions and MaxPool2D (pad: AE_PAD_*); UpSampling2D: k is the scale */
  int init;           /* AE_INIT_* (Dense, convolutions) */
  int kernel;         /* AE_CONV_* (convolutions) */
  float value;        /* LeakyReLU's slope, Dropout's rate */
  uint64_t salt;      /* Dropout's and GaussianSample's: the key of their draws */
  ae_shape_t shape;   /* Reshape's target */
} ae_layer_config_t;

/* What a forward/backward call may need to know beyond its rows. */
typedef struct ae_pass {
  int row0;      /* batch row of the first row given (rows are split over threads) */
  int thread;    /* 0..threads-1: which per-thread workspace to use */
  int training;  /* 1 in a training step (Dropout drops), 0 otherwise */
  uint64_t seed; /* per-step random seed: draw masks from (seed, row0 + row) so
                    results do not depend on how rows are split */
  int batch;     /* rows of the whole batch (terms averaged over it) */
  int relu;      /* 1: the ReLU that follows runs inside this layer (ops->fuses_relu; set by the
                    model only): forward writes relu(out), backward masks dout by out > 0 */
} ae_pass_t;

typedef struct ae_layer_ops {
  const char *kind; /* "Dense", "ReLU", ...: for messages only, never to tell kinds apart */
  /* Output shape for an input shape, or an error naming both. */
  int (*infer)(const ae_layer_t *l, const ae_shape_t *in, ae_shape_t *out, ae_error_t *e);
  void (*forward)(ae_layer_t *l, float *out, const float *in, const ae_shape_t *in_shape, int B,
                  const ae_pass_t *pass);
  /* dparam[j]: where parameter j's gradient accumulates (l->grad[j], or
   * the thread's own copy when the model splits a batch). */
  void (*backward)(ae_layer_t *l, float *din, const float *dout, const float *in, const float *out,
                   const ae_shape_t *in_shape, int B, float *const *dparam, const ae_pass_t *pass);
  /* Optional: size per-thread workspaces for batches of up to B rows (split
   * over `threads`) of this input shape. Called before forward, never in it. */
  int (*reserve)(ae_layer_t *l, const ae_shape_t *in, int B, int threads, ae_error_t *e);
  int random; /* 1 if forward draws from pass->seed (the model then draws one per step) */
  /* "Dense(784→32)" */
  void (*describe)(const ae_layer_t *l, char *buf, size_t n);
  /* Draws fresh parameters (NULL when the layer has none). */
  void (*reset)(ae_layer_t *l, ae_rng_t *rng);
  /* Optional: frees what the state points to (workspaces); the state block
   * itself and the parameters are freed by ae_layer_free. */
  void (*destroy)(ae_layer_t *l);
  /* Optional: the per-sample input this layer needs whatever comes before it
   * (Dense: its input features); 0 when it takes any shape. A model without
   * an explicit input shape takes it from the first layer that knows. */
  int (*input_shape)(const ae_layer_t *l, ae_shape_t *in);
  /* Optional: a loss term of the layer's own (a VAE's KL on its input), on
   * the n rows of a part of a batch of pass->batch rows: returns that part's
   * share of the batch loss. backward adds the term's gradient to din. */
  double (*loss_term)(const ae_layer_t *l, const float *in, const float *out, const ae_shape_t *in_shape, int n,
                      const ae_pass_t *pass);
  /* Optional: fills in the kind's own fields of c (kind is set already);
   * without it, the layer is its kind alone. */
  void (*config)(const ae_layer_t *l, ae_layer_config_t *c);
  /* Optional: the forward's floating-point operations per sample (a
   * multiply-add counts 2) of the layers whose work is a product with their
   * weights; a backward costs as much again for the weights' gradient and
   * again for the input's. For net:profile()'s GFLOP/s. */
  double (*flops)(const ae_layer_t *l, const ae_shape_t *in);
  /* Optional: sets the key that keeps this layer's draws apart from another
   * layer's of the same kind in one model (config's salt). */
  void (*set_salt)(ae_layer_t *l, uint64_t salt);
  /* Optional: 1 when the layer, on this input, can run a ReLU that follows
   * it (pass->relu): forward then writes the ReLU's output, and backward is
   * given the ReLU's dout and output (out) and masks dout by out > 0 itself.
   * Bit for bit what the separate ReLU gives; it saves the ReLU's passes
   * over the whole batch (see model.c's fused). */
  int (*fuses_relu)(const ae_layer_t *l, const ae_shape_t *in);
} ae_layer_ops_t;

#define AE_MAXPARAM 2

enum { AE_ACT_IDENTITY, AE_ACT_RELU, AE_ACT_LEAKY_RELU, AE_ACT_SIGMOID, AE_ACT_TANH, AE_ACT_SOFTMAX };
enum { AE_INIT_GLOROT, AE_INIT_HE };

/* The generic face of a layer: its kind's ops, its parameters, and the
 * kind's own state struct (see each layer's file), which only that file
 * reads. What the model needs from a kind it asks through the ops or an
 * accessor in layers.h. */
struct ae_layer {
  const ae_layer_ops_t *ops;
  int nparams;
  /* Each param[j] spans a storage of its own; a model moves that storage
   * into its arena (ae_tensor_move), so views of it follow. */
  ae_tensor_t *param[AE_MAXPARAM];
  ae_tensor_t *grad[AE_MAXPARAM]; /* same layout as param */
  const char *param_name[AE_MAXPARAM];
  void *state; /* the kind's own struct, zeroed at creation, freed by ae_layer_free */
  int users;   /* models and DenseTieds borrowing this layer: it must outlive them (ae_layer_free
                  asserts it; bindings/llayer.c defers a close until it is 0) */
  /* The layer whose param[0] this one shares (DenseTied: its Dense's weight,
   * transposed): counted and packed there, not here. */
  struct ae_layer *borrows;
  /* 1: a model's step leaves this layer's own parameters alone (no gradient,
   * no update, optimizer state untouched) in every model that holds it; a
   * borrowed weight follows its owner's flag. Gradients still flow through it
   * to the layers below. */
  int frozen;
};

/* A layer of this kind with a zeroed state block of state_size bytes and no
 * parameters yet: what every constructor starts from. */
ae_layer_t *ae_layer_alloc(const ae_layer_ops_t *ops, size_t state_size, ae_error_t *e);
void ae_layer_free(ae_layer_t *l);
/* The layer's workspaces for batches of B rows over `threads` threads (a
 * no-op for layers without any). */
int ae_layer_reserve(ae_layer_t *l, const ae_shape_t *in, int B, int threads, ae_error_t *e);
/* Gives l its two parameters, "weight" (nd dims, wshape) and "bias"
 * (nbias), with their gradients; on failure the caller frees l. */
int ae_layer_weight_bias(ae_layer_t *l, int nd, const int *wshape, int nbias, ae_error_t *e);
/* Fills n weights: Glorot-uniform U(±√(6/(fan_in+fan_out))) or, for
 * AE_INIT_HE, N(0, √(2/fan_in)). Shared by Dense and the convolutions. */
void ae_init_weights(float *w, size_t n, int init, float fan_in, float fan_out, ae_rng_t *rng);
/* Parameters this layer owns (a borrowed weight is not counted). */
size_t ae_layer_param_count(const ae_layer_t *l);
/* The name for messages: "Dense(784→32)". */
const char *ae_layer_name(const ae_layer_t *l, char *buf, size_t n);
/* What l was made from (see ae_layer_config_t). */
void ae_layer_config(const ae_layer_t *l, ae_layer_config_t *c);
/* Sets the salt of a layer that draws (Dropout, GaussianSample): a model
 * file's, so a loaded model draws what the saved one did; no-op for a kind
 * without one. */
void ae_layer_set_salt(ae_layer_t *l, uint64_t salt);
/* Copies values into parameter j, which must have n values; views of it see them. */
int ae_layer_set_param(ae_layer_t *l, int j, const float *v, size_t n, ae_error_t *e);

#endif
