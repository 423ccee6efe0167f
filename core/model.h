/* Models: a chain of layers with one parameter arena.
 *
 * A Sequential is a model whose `code` index is n (no decoder); an
 * Autoencoder is the encoder's layers followed by the decoder's, with `code`
 * the index of the first decoder layer. Layers are borrowed: whoever made
 * them (the Lua side) keeps them alive while the model lives.
 *
 * All parameters sit in one contiguous arena and all gradients in a second
 * of the same layout; layers hold views into them, so an optimizer is one
 * flat loop. Workspaces are sized by ae_model_reserve() and then reused: a
 * training step allocates nothing once warmed up. */
#ifndef AE_MODEL_H
#define AE_MODEL_H

#include "layers.h"
#include "loss.h"
#include "noise.h"
#include "optim.h"
#include "penalty.h"

typedef struct ae_model {
  int n;               /* layers */
  ae_layer_t **layers; /* borrowed */
  int code;            /* first decoder layer; n for a plain chain */
  ae_shape_t *shape;   /* shape[i]: per-sample input of layer i; shape[n]: output */
  ae_loss_t loss;      /* what step/evaluate minimize (MSE by default) */
  ae_tensor_t *params; /* arena, 1-D */
  ae_tensor_t *grads;  /* arena, 1-D, same layout */
  int cap;             /* batch rows the workspaces hold */
  float **act;         /* act[i], i = 1..n: output of layer i-1, (cap, shape[i]) */
  float *gbuf[2];      /* gradient ping-pong, (cap, gbuf_row) */
  size_t gbuf_row;     /* floats per row of gbuf: the widest shape */
  float *replicas;     /* (threads-1, params): other threads' gradients */
  ae_rng_t *rng;       /* borrowed: seeds each training step (Dropout, noise) */
  int training;        /* 1: forward/evaluate also run Dropout as in training (Lua's training()) */
  int unfused;         /* 1: every ReLU runs as a layer of its own (tests compare fusion against it) */
  size_t replica_len, replica_param_len;
  ae_noise_t noise;     /* corrupts the input of training steps (kind NONE: off) */
  ae_penalty_t penalty; /* on one layer's activations (ops NULL: off); see penalty.c */
  float *noisy;         /* (cap, shape[0]): the corrupted inputs of a step */
  float *pen_buf;       /* the penalty's scratch, pen_len floats (its ops->scratch) */
  size_t pen_len;
  float *pen_rho_hat;   /* KL: a ρ̂ held from outside (ae_penalty_hold_rho_hat), pen_rho_len floats; */
  int pen_rho_len, pen_rho_cap; /* len 0: ρ̂ is the batch's */
  int pen_rho_offset;           /* 1: pen_rho_hat is added to the batch's mean */
  double *seconds; /* (n, 2): forward and backward seconds of each layer in thread 0's rows */
  double timed_rows; /* the rows those seconds are for */
  long correct;    /* rows of the last step whose largest output was their label (a loss on class
                      labels, cross_entropy; 0 otherwise): fit's running training accuracy */
  size_t *spans;   /* (2·(n·AE_MAXPARAM + 1)): [lo, hi) arena ranges a step updates (frozen layers'
                      parameters left out); rebuilt each step, allocated with the model */
  int nspans;
  int row_base;    /* the number of the batch's first row in a larger batch (a rank's shard of a
                      global batch; 0 otherwise): noise and Dropout draw for row row_base + r, so a
                      shard draws what one process would for those rows */
  int floor;       /* the lowest layer the last step ran backward for (see backward_floor) */
  double terms;    /* the layers' own loss terms (a VAE's β·KL) within the last step's or
                      gradient's loss, when it was asked for: fit keeps them apart in the history */
} ae_model_t;

/* input: the per-sample input shape, or NULL to take it from the first layer.
 * The layers are borrowed: free the model before any of them. */
ae_model_t *ae_model_new(ae_layer_t **layers, int n, int code, const ae_shape_t *input, ae_error_t *e);
void ae_model_free(ae_model_t *m);
size_t ae_model_param_count(const ae_model_t *m);

/* Makes sure the arena holds every layer's parameters (after a layer was
 * packed into another model, say). */
int ae_model_pack(ae_model_t *m, ae_error_t *e);
/* Packs the arena and sets m->spans/m->nspans to the ranges a step updates
 * now (frozen layers' parameters left out; their gradients zeroed), for a
 * minimizer that moves the weights without a gradient (Powell). */
int ae_model_trainable_spans(ae_model_t *m, ae_error_t *e);
int ae_model_reserve(ae_model_t *m, int B, ae_error_t *e);
void ae_model_zero_grad(ae_model_t *m);

/* out (N, shape[to]) = layers [from, to) applied to x (N, shape[from]),
 * in chunks of at most `chunk` rows (0: 256). */
int ae_model_forward(ae_model_t *m, ae_tensor_t *out, const ae_tensor_t *x, int from, int to, int chunk,
                     ae_error_t *e);
/* One training step: forward, loss against target, backward, update.
 * *loss gets the batch loss when want_loss. Frozen layers (layer->frozen)
 * get no gradient (their slots of m->grads stay 0) and no update; backward
 * stops below the lowest layer that still needs it. A loss on class labels
 * (cross_entropy) takes a target of one label per row ([B] or [B×1]): whole
 * numbers in 0..C−1, checked before the step. */
int ae_model_step(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, ae_optim_t *opt,
                  int want_loss, double *loss, ae_error_t *e);
/* The draw a step or gradient() makes for its noise and Dropout, made and
 * dropped: a rank with no rows in a batch keeps its stream with the others. */
void ae_model_skip_draw(ae_model_t *m);
/* The update of step() from the gradients already in m->grads (summed
 * over MPI ranks, say): frozen layers' parameters are left as they are. */
int ae_model_apply_gradients(ae_model_t *m, ae_optim_t *opt, ae_error_t *e);
/* Noise and a penalty (ae_penalty_attach) apply in step() and gradient():
 * the loss they report includes the penalty and the layers' own loss terms;
 * evaluate()'s is the loss of the output alone. */
int ae_model_set_noise(ae_model_t *m, const ae_noise_t *noise, ae_error_t *e);
/* The loss by name (loss.h's catalogue: "mse", "bce", "bce_sum", ...), or an error listing them. */
int ae_model_set_loss(ae_model_t *m, const char *name, ae_error_t *e);

/* Where the gradient `grad` (a layer's, in m's arena) lies in G, a block
 * laid out like the arena (a thread's copy, say). */
static inline float *ae_model_grad_slot(const ae_model_t *m, float *G, const ae_tensor_t *grad) {
  return G + (ae_tensor_data(grad) - ae_tensor_data(m->grads));
}

/* Mean loss over all rows of x against target, in chunks. */
int ae_model_evaluate(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, int chunk, double *loss,
                      ae_error_t *e);
/* Forward then backward of one batch without an update: gradients end up in
 * m->grads (zeroed first), the input gradient in dx when not NULL. */
int ae_model_gradient(ae_model_t *m, const ae_tensor_t *x, const ae_tensor_t *target, ae_tensor_t *dx,
                      double *loss, ae_error_t *e);

/* Where training time goes: m->seconds[2i] and [2i+1] sum the forward and
 * backward wall time of layer i in the rows thread 0 ran, over the steps
 * since the last reset (two clock reads per layer and pass, ~50 ns). */
void ae_model_reset_seconds(ae_model_t *m);
/* on 0: layers that can run the ReLU after them (ops->fuses_relu) no longer
 * do; the results are the same bits either way (1, the default, is faster). */
void ae_model_set_fusion(ae_model_t *m, int on);

/* Layer i's floating-point operations per row in a training step of the
 * last kind run: forward, and backward (the weights' gradient, and the
 * input's unless the step stops there). 0 for element-wise layers. */
void ae_model_layer_flops(const ae_model_t *m, int i, double *forward, double *backward);

#endif
