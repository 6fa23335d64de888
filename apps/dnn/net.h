/* net.h: the arithmetic of the multilayer perceptron, free of the PS so it
 * can be tested on its own: options, the parameter layout, deterministic
 * initialisation, one SGD step on a minibatch and evaluation, all through
 * OpenBLAS cblas_sgemm. Nothing here allocates except dnn_scratch_init.
 *
 * Layer l (0..nl-1) maps size[l] inputs to size[l+1] outputs. Its
 * parameters are a row-major matrix of `units` rows (size[l+1] rounded up
 * to a whole number of PS rows) by ld = size[l] + 1 columns: unit j's
 * weights, then its bias. Units past size[l+1] are padding and stay 0. PS
 * row r of the layer's table is units [r*row_units, (r+1)*row_units),
 * contiguous in that matrix, so a read or an increment of a row is one
 * block copy. Hidden layers use ReLU; the last is a softmax with
 * cross-entropy loss. */
#ifndef DNN_NET_H
#define DNN_NET_H

#include <stddef.h>
#include <stdint.h>

#define DNN_MAX_LAYERS 8u /* weight layers */

typedef struct dnn_options {
  uint32_t nl;                       /* weight layers, 1..DNN_MAX_LAYERS */
  uint32_t size[DNN_MAX_LAYERS + 1]; /* layers=784-256-128-10 */
  float lr;                          /* SGD step size, > 0 */
  uint32_t batch;                    /* images per minibatch */
  uint32_t batches;                  /* minibatches per clock per worker */
  uint8_t avg;       /* 1: pushed deltas are divided by the worker count */
  uint32_t train;    /* use the first `train` training images; 0: all */
  uint32_t test;     /* use the first `test` held-out images; 0: all */
  uint32_t row_units; /* units of a layer per PS row */
  /* 0 (sgd): plain SGD with lr; 1 (adarevision): the layer tables take
   * AdaRevision's step from eta0 (core/ada.h), each minibatch's gradient
   * computed at the parameters read at the clock's start and sent as it is
   * (the working copy does not move within a clock). */
  uint8_t adarev;
  float eta0; /* AdaRevision's initial step size, > 0 */
} dnn_options;

/* layers=784-256-128-10, lr=0.2, batch=64, batches=16, avg=1, train=0,
 * test=0, row_units=16, step=sgd, eta0=0.01. */
dnn_options dnn_options_defaults(void);

/* Parses "key=value,..." (keys layers, lr, batch, batches, avg, train,
 * test, row_units, step (sgd or adarevision), eta0; text borrowed, NULL or "" for the defaults) into *out.
 * Unknown or repeated keys and bad values give ST_EPARSE and a message. */
int dnn_options_parse(const char *text, dnn_options *out, char *err, size_t errlen);

typedef struct dnn_layer {
  uint32_t in, out;   /* size[l], size[l+1] */
  uint32_t ld;        /* in + 1: a unit's weights then its bias */
  uint32_t row_units; /* units per PS row (<= out) */
  uint32_t rows;      /* PS rows: ceil(out / row_units) */
  uint32_t width;     /* floats per PS row: row_units * ld */
  size_t offset;      /* where the layer starts in the flat parameters */
} dnn_layer;

typedef struct dnn_layout {
  uint32_t nl;
  dnn_layer layer[DNN_MAX_LAYERS];
  size_t nparams;  /* floats of all layers, padding included */
  uint32_t maxsize; /* widest activation */
} dnn_layout;

/* The layout of o's network. ST_EINVAL if a row would exceed 2^24 floats. */
int dnn_layout_make(const dnn_options *o, dnn_layout *out);

/* Deterministic initial parameters from the seed: weights He-normal
 * (std sqrt(2 / in)), biases and padding 0. params[nparams] borrowed. */
void dnn_init_params(const dnn_layout *L, uint64_t seed, float *params);

/* Per-worker buffers for minibatches of up to `batch` images. */
typedef struct dnn_scratch {
  uint32_t batch;
  float *act[DNN_MAX_LAYERS + 1]; /* batch x size[l]: input, then each layer's output */
  float *grad_a, *grad_b;         /* batch x maxsize: gradients w.r.t. activations */
} dnn_scratch;

/* 0 or ST_ENOMEM (then nothing to free). */
int dnn_scratch_init(dnn_scratch *s, const dnn_layout *L, uint32_t batch);
void dnn_scratch_free(dnn_scratch *s);

/* Scales images (n x in bytes, rows idx[0..n) of src, or rows 0..n-1 if
 * idx is NULL) to [0, 1] floats into s->act[0]. n <= s->batch. */
void dnn_load_batch(const dnn_layout *L, dnn_scratch *s, const uint8_t *src, const uint32_t *idx,
                    uint32_t n);

/* Forward pass of n images in s->act[0] with params: fills act[1..nl]
 * (the last holds logits). */
void dnn_forward(const dnn_layout *L, const float *params, dnn_scratch *s, uint32_t n);

/* One SGD step on the n images in s->act[0] with labels y[n]: forward,
 * backward, delta = -lr * mean gradient (same layout as params; padding
 * and untouched cells are left as they are, so keep delta zeroed there),
 * then params += delta. Returns the summed cross-entropy of the n images
 * before the step. */
double dnn_sgd_step(const dnn_layout *L, float *params, float *delta, dnn_scratch *s,
                    const uint8_t *y, uint32_t n, float lr);
/* dnn_sgd_step without its last part: delta = -lr * mean gradient at
 * params, which stay as they are. Same result in delta. */
double dnn_grad_step(const dnn_layout *L, const float *params, float *delta, dnn_scratch *s,
                    const uint8_t *y, uint32_t n, float lr);

/* Counts the images of src (n x in bytes) whose largest logit is at their
 * label, in chunks of s->batch; adds their summed cross-entropy to *loss
 * if loss is not NULL. */
uint32_t dnn_count_correct(const dnn_layout *L, const float *params, dnn_scratch *s,
                           const uint8_t *src, const uint8_t *labels, const uint32_t *idx,
                           uint32_t n, double *loss);

/* Flops of cblas_sgemm in a forward pass of n images, and in one SGD step
 * of n images (forward, weight gradients, and input gradients of every
 * layer but the first). */
double dnn_forward_flops(const dnn_layout *L, uint32_t n);
double dnn_step_flops(const dnn_layout *L, uint32_t n);

#endif
