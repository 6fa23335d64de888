/* net.c: MLP arithmetic on cblas_sgemm, and the app's options. */
#include "../appopt.h"
#include "net.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "../mf/rng.h"

dnn_options dnn_options_defaults(void) {
  dnn_options o = {.nl = 3,
                   .size = {784, 256, 128, 10},
                   .lr = 0.2f,
                   .batch = 64,
                   .batches = 16,
                   .avg = 1,
                   .train = 0,
                   .test = 0,
                   .row_units = 16,
                   .eta0 = 0.01f};
  return o;
}

#define opt_fail(err, errlen, ...) appopt_fail(err, errlen, "dnn", __VA_ARGS__)

/* "784-256-128-10": 2..DNN_MAX_LAYERS+1 sizes in 1..65536. */
static int parse_layers(const char *s, size_t len, dnn_options *o) {
  uint32_t n = 0;
  size_t i = 0;
  while (i <= len) {
    size_t j = i;
    while (j < len && s[j] != '-') j++;
    double v;
    if (n == DNN_MAX_LAYERS + 1 || appopt_number(s + i, j - i, &v) || v != floor(v) || v < 1 ||
        v > 65536 || s[i] < '0' || s[i] > '9')
      return -1;
    o->size[n++] = (uint32_t)v;
    i = j + 1;
  }
  if (n < 2) return -1;
  o->nl = n - 1;
  return 0;
}

int dnn_options_parse(const char *text, dnn_options *out, char *err, size_t errlen) {
  dnn_options o = dnn_options_defaults();
  static const char *const keys[] = {"layers", "lr",   "batch", "batches",  "avg",
                                     "train",  "test", "row_units", "step", "eta0"};
  enum { NKEYS = sizeof keys / sizeof keys[0] };
  int seen[NKEYS] = {0};
  const char *p = text ? text : "";
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (!eq) return opt_fail(err, errlen, "'%.*s' is not key=value", (int)len, p);
    size_t klen = (size_t)(eq - p);
    const char *val = eq + 1;
    size_t vlen = len - klen - 1;
    int k = -1;
    for (int i = 0; i < NKEYS; i++)
      if (strlen(keys[i]) == klen && memcmp(keys[i], p, klen) == 0) k = i;
    if (k < 0)
      return opt_fail(err, errlen,
                      "unknown key '%.*s' (known: layers, lr, batch, batches, avg, train, test, "
                      "row_units, step, eta0)",
                      (int)klen, p);
    if (seen[k]++) return opt_fail(err, errlen, "key '%.*s' given twice", (int)klen, p);
    const char *want = NULL;
    double v = 0;
    if (k == 0) {
      if (parse_layers(val, vlen, &o))
        want = "2 to 9 sizes in 1..65536 joined by '-', e.g. 784-256-128-10";
    } else if (k == 8) {
      if (vlen == 3 && !memcmp(val, "sgd", 3))
        o.adarev = 0;
      else if (vlen == 11 && !memcmp(val, "adarevision", 11))
        o.adarev = 1;
      else
        want = "sgd or adarevision";
    } else if (appopt_number(val, vlen, &v)) {
      want = "a number";
    } else if (k == 1 && !(v > 0 && v <= 100)) {
      want = "a number in (0, 100]";
    } else if (k == 2 && (v != floor(v) || v < 1 || v > 65536)) {
      want = "an integer in 1..65536";
    } else if (k == 3 && (v != floor(v) || v < 1 || v > 1e6)) {
      want = "an integer in 1..1000000";
    } else if (k == 4 && v != 0 && v != 1) {
      want = "0 or 1";
    } else if ((k == 5 || k == 6) && (v != floor(v) || v < 0 || v > 4e9)) {
      want = "a non-negative integer (0: all)";
    } else if (k == 7 && (v != floor(v) || v < 1 || v > 65536)) {
      want = "an integer in 1..65536";
    } else if (k == 9 && !(v > 0 && v <= 1e6)) {
      want = "a number in (0, 1e6]";
    }
    if (want)
      return opt_fail(err, errlen, "bad value '%.*s' for '%.*s': expected %s", (int)vlen, val,
                      (int)klen, p, want);
    if (k == 1) o.lr = (float)v;
    else if (k == 2) o.batch = (uint32_t)v;
    else if (k == 3) o.batches = (uint32_t)v;
    else if (k == 4) o.avg = (uint8_t)v;
    else if (k == 5) o.train = (uint32_t)v;
    else if (k == 6) o.test = (uint32_t)v;
    else if (k == 7) o.row_units = (uint32_t)v;
    else if (k == 9) o.eta0 = (float)v;
    if (!end) break;
    p = end + 1;
    if (!*p) return opt_fail(err, errlen, "trailing ','");
  }
  *out = o;
  return 0;
}

int dnn_layout_make(const dnn_options *o, dnn_layout *out) {
  memset(out, 0, sizeof *out);
  if (o->nl < 1 || o->nl > DNN_MAX_LAYERS || o->row_units < 1) return ST_EINVAL;
  out->nl = o->nl;
  size_t off = 0;
  for (uint32_t l = 0; l < o->nl; l++) {
    dnn_layer *y = &out->layer[l];
    y->in = o->size[l];
    y->out = o->size[l + 1];
    y->ld = y->in + 1;
    y->row_units = o->row_units < y->out ? o->row_units : y->out;
    y->rows = (y->out + y->row_units - 1) / y->row_units;
    uint64_t width = (uint64_t)y->row_units * y->ld;
    if (width > (1u << 24)) return ST_EINVAL;
    y->width = (uint32_t)width;
    y->offset = off;
    off += (size_t)y->rows * y->width;
  }
  out->nparams = off;
  out->maxsize = 0;
  for (uint32_t l = 0; l <= o->nl; l++)
    if (o->size[l] > out->maxsize) out->maxsize = o->size[l];
  return 0;
}

void dnn_init_params(const dnn_layout *L, uint64_t seed, float *params) {
  memset(params, 0, L->nparams * sizeof *params);
  for (uint32_t l = 0; l < L->nl; l++) {
    const dnn_layer *y = &L->layer[l];
    mf_rng r;
    mf_rng_seed(&r, seed, ((uint64_t)0x444E4E << 32) | l); /* "DNN", layer */
    double sd = sqrt(2.0 / (double)y->in);
    float *w = params + y->offset;
    for (uint32_t j = 0; j < y->out; j++)
      for (uint32_t i = 0; i < y->in; i++) w[(size_t)j * y->ld + i] = (float)(sd * mf_rng_normal(&r));
  }
}

int dnn_scratch_init(dnn_scratch *s, const dnn_layout *L, uint32_t batch) {
  memset(s, 0, sizeof *s);
  s->batch = batch;
  size_t big = (size_t)batch * L->maxsize;
  s->act[0] = malloc((size_t)batch * L->layer[0].in * sizeof(float));
  for (uint32_t l = 0; l < L->nl; l++)
    s->act[l + 1] = malloc((size_t)batch * L->layer[l].out * sizeof(float));
  s->grad_a = malloc(big * sizeof(float));
  s->grad_b = malloc(big * sizeof(float));
  int ok = s->grad_a && s->grad_b;
  for (uint32_t l = 0; l <= L->nl; l++) ok = ok && s->act[l];
  if (!ok) {
    dnn_scratch_free(s);
    return ST_ENOMEM;
  }
  return 0;
}

void dnn_scratch_free(dnn_scratch *s) {
  for (uint32_t l = 0; l <= DNN_MAX_LAYERS; l++) free(s->act[l]);
  free(s->grad_a);
  free(s->grad_b);
  memset(s, 0, sizeof *s);
}

void dnn_load_batch(const dnn_layout *L, dnn_scratch *s, const uint8_t *src, const uint32_t *idx,
                    uint32_t n) {
  uint32_t in = L->layer[0].in;
  const float scale = 1.0f / 255.0f;
  for (uint32_t b = 0; b < n; b++) {
    const uint8_t *px = src + (size_t)(idx ? idx[b] : b) * in;
    float *x = s->act[0] + (size_t)b * in;
    for (uint32_t i = 0; i < in; i++) x[i] = (float)px[i] * scale;
  }
}

void dnn_forward(const dnn_layout *L, const float *params, dnn_scratch *s, uint32_t n) {
  for (uint32_t l = 0; l < L->nl; l++) {
    const dnn_layer *y = &L->layer[l];
    const float *w = params + y->offset;
    float *z = s->act[l + 1];
    /* z[n x out] = a[n x in] * W^T, W being out x in with stride ld */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)y->out, (int)y->in, 1.0f,
                s->act[l], (int)y->in, w, (int)y->ld, 0.0f, z, (int)y->out);
    int relu = l + 1 < L->nl;
    for (uint32_t b = 0; b < n; b++) {
      float *zb = z + (size_t)b * y->out;
      for (uint32_t j = 0; j < y->out; j++) {
        float v = zb[j] + w[(size_t)j * y->ld + y->in];
        zb[j] = relu && v < 0.0f ? 0.0f : v;
      }
    }
  }
}

/* Cross-entropy of logits z[classes] at label y; writes softmax - onehot
 * (times scale) into g if g is not NULL. Returns the loss and sets *argmax. */
static double softmax_xent(const float *z, uint32_t classes, uint32_t y, float *g, float scale,
                           uint32_t *argmax) {
  float m = z[0];
  uint32_t am = 0;
  for (uint32_t j = 1; j < classes; j++)
    if (z[j] > m) m = z[j], am = j;
  double sum = 0.0;
  for (uint32_t j = 0; j < classes; j++) sum += exp((double)(z[j] - m));
  if (g)
    for (uint32_t j = 0; j < classes; j++)
      g[j] = scale * ((float)(exp((double)(z[j] - m)) / sum) - (j == y ? 1.0f : 0.0f));
  *argmax = am;
  return log(sum) + (double)m - (double)z[y];
}

double dnn_grad_step(const dnn_layout *L, const float *params, float *delta, dnn_scratch *s,
                     const uint8_t *y, uint32_t n, float lr) {
  dnn_forward(L, params, s, n);
  const uint32_t top = L->nl - 1;
  const uint32_t classes = L->layer[top].out;
  double loss = 0.0;
  float *g = s->grad_a, *gnext = s->grad_b;
  /* g = d(mean loss)/d(logits) */
  for (uint32_t b = 0; b < n; b++) {
    uint32_t am;
    loss += softmax_xent(s->act[top + 1] + (size_t)b * classes, classes, y[b],
                         g + (size_t)b * classes, 1.0f / (float)n, &am);
  }
  for (uint32_t l = L->nl; l-- > 0;) {
    const dnn_layer *ly = &L->layer[l];
    const float *w = params + ly->offset;
    float *d = delta + ly->offset;
    /* weights: delta[out x in] = -lr * g^T[out x n] * a[n x in] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ly->out, (int)ly->in, (int)n, -lr, g,
                (int)ly->out, s->act[l], (int)ly->in, 0.0f, d, (int)ly->ld);
    for (uint32_t j = 0; j < ly->out; j++) {
      float sum = 0.0f;
      for (uint32_t b = 0; b < n; b++) sum += g[(size_t)b * ly->out + j];
      d[(size_t)j * ly->ld + ly->in] = -lr * sum;
    }
    if (l == 0) break;
    /* inputs: gnext[n x in] = g[n x out] * W[out x in], through the ReLU */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)ly->in, (int)ly->out, 1.0f,
                g, (int)ly->out, w, (int)ly->ld, 0.0f, gnext, (int)ly->in);
    const float *a = s->act[l];
    size_t cells = (size_t)n * ly->in;
    for (size_t k = 0; k < cells; k++)
      if (!(a[k] > 0.0f)) gnext[k] = 0.0f;
    float *t = g;
    g = gnext;
    gnext = t;
  }
  return loss;
}

double dnn_sgd_step(const dnn_layout *L, float *params, float *delta, dnn_scratch *s,
                    const uint8_t *y, uint32_t n, float lr) {
  double loss = dnn_grad_step(L, params, delta, s, y, n, lr);
  for (uint32_t l = 0; l < L->nl; l++) {
    const dnn_layer *ly = &L->layer[l];
    float *p = params + ly->offset;
    const float *d = delta + ly->offset;
    size_t cells = (size_t)ly->out * ly->ld;
    for (size_t k = 0; k < cells; k++) p[k] += d[k];
  }
  return loss;
}

uint32_t dnn_count_correct(const dnn_layout *L, const float *params, dnn_scratch *s,
                           const uint8_t *src, const uint8_t *labels, const uint32_t *idx,
                           uint32_t n, double *loss) {
  const uint32_t top = L->nl - 1;
  const uint32_t classes = L->layer[top].out;
  uint32_t correct = 0;
  for (uint32_t done = 0; done < n;) {
    uint32_t k = n - done < s->batch ? n - done : s->batch;
    if (idx)
      dnn_load_batch(L, s, src, idx + done, k);
    else
      dnn_load_batch(L, s, src + (size_t)done * L->layer[0].in, NULL, k);
    dnn_forward(L, params, s, k);
    for (uint32_t b = 0; b < k; b++) {
      uint32_t item = idx ? idx[done + b] : done + b, am;
      double e = softmax_xent(s->act[top + 1] + (size_t)b * classes, classes, labels[item], NULL,
                              0.0f, &am);
      if (loss) *loss += e;
      correct += am == labels[item];
    }
    done += k;
  }
  return correct;
}

double dnn_forward_flops(const dnn_layout *L, uint32_t n) {
  double f = 0.0;
  for (uint32_t l = 0; l < L->nl; l++) f += 2.0 * n * L->layer[l].in * L->layer[l].out;
  return f;
}

double dnn_step_flops(const dnn_layout *L, uint32_t n) {
  double f = 0.0;
  for (uint32_t l = 0; l < L->nl; l++)
    f += (l ? 3.0 : 2.0) * 2.0 * n * L->layer[l].in * L->layer[l].out;
  return f;
}
