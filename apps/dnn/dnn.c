/* dnn.c: the multilayer perceptron on the parameter server.
 *
 * Partition: training image i belongs to worker i mod nworkers, held-out
 * image j to worker j mod nworkers; the images themselves stay in the
 * process's shared state (one copy however many workers), a worker keeps
 * only the indices of its own.
 *
 * Rows: layer l is table DNN_TABLE0 + l, one row per row_units output
 * units (default 16: the 784-256-128-10 net is 16 + 8 + 1 = 25 rows of at
 * most 50 KB), so a worker's whole read is a few dozen rows, each one
 * block copy into its working parameters, far below the frame limit.
 *
 * A clock: read every row (ps_get, so SSP decides freshness) into the
 * working copy, add the seeded init; count the held-out images of the
 * worker's shard that this model classifies right; then `batches`
 * minibatches of plain SGD on the working copy, each followed by ps_inc of
 * its delta (divided by the worker count with avg=1); charge the sgemm
 * flops; add {summed training loss, training images, held-out correct,
 * held-out images} to metrics row `clock`. So the accuracy of row c is that
 * of the model the workers read at the start of clock c (at s = 0 the
 * global model after c clocks), and the loss that of the minibatches of
 * clock c, before each one's step.
 *
 * With step=adarevision the layer tables have the AdaRevision rule
 * (core/ada.h): each minibatch's gradient is taken at the parameters read
 * at the clock's start (the working copy does not move) and pushed as the
 * update direction; the shards take the steps, revising for what each
 * worker had not seen. */
#include "dnn.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../mf/rng.h"
#include "idx.h"
#include "net.h"

typedef struct dnn_shared {
  dnn_options opt;
  dnn_layout L;
  uint64_t seed;
  float *init; /* L.nparams: the seeded initial parameters */
  dnn_set train, test;
  uint32_t ntrain, ntest; /* images used (options train/test) */
  uint32_t maxrows;       /* most rows of a layer */
} dnn_shared;

typedef struct dnn_worker {
  float *params, *delta; /* L.nparams each */
  dnn_scratch s;
  uint32_t *order;   /* ntrain shard indices, in this epoch's order */
  uint32_t *base;    /* ntrain shard indices, ascending */
  uint32_t ntrain;
  uint32_t *test;    /* ntest held-out indices */
  uint32_t ntest;
  uint32_t *batch_idx; /* opt.batch */
  uint8_t *batch_y;    /* opt.batch */
  uint32_t *rows;      /* 0..maxrows-1, for the prefetch */
  uint32_t global_index;
  uint64_t epoch, cursor; /* pass over the shard and the next image of it */
  float scale;            /* factor on pushed deltas */
} dnn_worker;

static void dnn_free(void *shared) {
  dnn_shared *s = shared;
  if (!s) return;
  free(s->init);
  dnn_set_free(&s->train);
  dnn_set_free(&s->test);
  free(s);
}

/* Loads one labelled set from dir and checks its images fit the input. */
static int load_set(const dnn_shared *s, const char *dir, const char *images, const char *labels,
                    dnn_set *out, char *err, size_t errlen) {
  char ipath[4096], lpath[4096];
  int rc = dnn_find_file(dir, images, ipath, sizeof ipath, err, errlen);
  if (rc == 0) rc = dnn_find_file(dir, labels, lpath, sizeof lpath, err, errlen);
  if (rc == 0) rc = dnn_set_load(ipath, lpath, s->opt.size[s->opt.nl], out, err, errlen);
  if (rc) return rc;
  uint64_t pixels = (uint64_t)out->rows * out->cols;
  if (pixels != s->opt.size[0]) {
    if (err && errlen)
      snprintf(err, errlen,
               "%s: byte 8: images of %ux%u = %llu pixels, but the network's input layer has %u "
               "(app option layers=)",
               ipath, out->rows, out->cols, (unsigned long long)pixels, s->opt.size[0]);
    dnn_set_free(out);
    return ST_EPARSE;
  }
  return 0;
}

static int use_count(const char *what, uint32_t want, uint32_t have, uint32_t *out, char *err,
                     size_t errlen) {
  if (want > have) {
    if (err && errlen)
      snprintf(err, errlen, "dnn options: %s=%u, but the %s set holds %u images", what, want,
               what, have);
    return ST_EPARSE;
  }
  *out = want ? want : have;
  return 0;
}

static int dnn_load(const app_params *p, void **shared, char *err, size_t errlen) {
  *shared = NULL;
  /* One thread per worker: the backends run several workers at once and
   * the simulator charges modeled time for one core. */
  openblas_set_num_threads(1);
  dnn_shared *s = calloc(1, sizeof *s);
  if (!s) return ST_ENOMEM;
  s->seed = p->seed;
  int rc = dnn_options_parse(p->options, &s->opt, err, errlen);
  if (rc) goto fail;
  if ((rc = dnn_layout_make(&s->opt, &s->L))) {
    if (err && errlen)
      snprintf(err, errlen, "dnn options: a PS row of row_units=%u units would exceed 2^24 floats",
               s->opt.row_units);
    goto fail;
  }
  const char *dir = p->data ? p->data : DNN_DEFAULT_DATA;
  if ((rc = load_set(s, dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", &s->train, err,
                     errlen)) ||
      (rc = load_set(s, dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", &s->test, err,
                     errlen)))
    goto fail;
  if ((rc = use_count("train", s->opt.train, s->train.n, &s->ntrain, err, errlen)) ||
      (rc = use_count("test", s->opt.test, s->test.n, &s->ntest, err, errlen)))
    goto fail;
  rc = ST_ENOMEM;
  s->init = malloc(s->L.nparams * sizeof *s->init);
  if (!s->init) goto fail;
  dnn_init_params(&s->L, s->seed, s->init);
  for (uint32_t l = 0; l < s->L.nl; l++)
    if (s->L.layer[l].rows > s->maxrows) s->maxrows = s->L.layer[l].rows;
  *shared = s;
  return 0;
fail:
  if (rc == ST_ENOMEM && err && errlen) snprintf(err, errlen, "dnn: out of memory");
  dnn_free(s);
  return rc;
}

static int dnn_tables(void *shared, tbl_set *set) {
  dnn_shared *s = shared;
  for (uint32_t l = 0; l < s->L.nl; l++) {
    tbl_def def = {.id = DNN_TABLE0 + l, .rows = s->L.layer[l].rows, .width = s->L.layer[l].width,
                   .sparse = 0};
    if (s->opt.adarev) {
      def.rule = TBL_RULE_ADAREV;
      def.alpha = s->opt.eta0;
    }
    int rc = tbl_add(set, &def);
    if (rc) return rc;
  }
  return 0;
}

static void dnn_worker_free(void *shared, void *wstate) {
  (void)shared;
  dnn_worker *m = wstate;
  if (!m) return;
  free(m->params);
  free(m->delta);
  dnn_scratch_free(&m->s);
  free(m->order);
  free(m->base);
  free(m->test);
  free(m->batch_idx);
  free(m->batch_y);
  free(m->rows);
  free(m);
}

/* This epoch's order of the shard: a Fisher-Yates shuffle of the ascending
 * list from (seed, worker, epoch), so a restored worker recomputes it. */
static void shuffle_epoch(const dnn_shared *s, dnn_worker *m) {
  memcpy(m->order, m->base, (size_t)m->ntrain * sizeof *m->order);
  mf_rng r;
  mf_rng_seed(&r, s->seed ^ (m->epoch * 0x9E3779B97F4A7C15ull),
              ((uint64_t)0x5348 << 32) | m->global_index);
  for (uint32_t k = m->ntrain; k > 1; k--) {
    uint32_t j = (uint32_t)mf_rng_below(&r, k);
    uint32_t t = m->order[k - 1];
    m->order[k - 1] = m->order[j];
    m->order[j] = t;
  }
}

static int dnn_worker_init(void *shared, ps_worker *w, void **wstate) {
  dnn_shared *s = shared;
  *wstate = NULL;
  if (w->nworkers == 0 || w->global_index >= w->nworkers) return ST_EINVAL;
  dnn_worker *m = calloc(1, sizeof *m);
  if (!m) return ST_ENOMEM;
  uint32_t g = w->global_index, n = w->nworkers;
  m->global_index = g;
  m->ntrain = s->ntrain > g ? (s->ntrain - g + n - 1) / n : 0;
  m->ntest = s->ntest > g ? (s->ntest - g + n - 1) / n : 0;
  m->scale = s->opt.avg ? 1.0f / (float)n : 1.0f;
  m->params = malloc(s->L.nparams * sizeof *m->params);
  m->delta = calloc(s->L.nparams, sizeof *m->delta);
  m->order = malloc(((size_t)m->ntrain + 1) * sizeof *m->order);
  m->base = malloc(((size_t)m->ntrain + 1) * sizeof *m->base);
  m->test = malloc(((size_t)m->ntest + 1) * sizeof *m->test);
  m->batch_idx = malloc(s->opt.batch * sizeof *m->batch_idx);
  m->batch_y = malloc(s->opt.batch);
  m->rows = malloc(s->maxrows * sizeof *m->rows);
  if (!m->params || !m->delta || !m->order || !m->base || !m->test || !m->batch_idx ||
      !m->batch_y || !m->rows || dnn_scratch_init(&m->s, &s->L, s->opt.batch) != 0) {
    dnn_worker_free(shared, m);
    return ST_ENOMEM;
  }
  for (uint32_t k = 0; k < m->ntrain; k++) m->base[k] = g + k * n;
  for (uint32_t k = 0; k < m->ntest; k++) m->test[k] = g + k * n;
  for (uint32_t r = 0; r < s->maxrows; r++) m->rows[r] = r;
  shuffle_epoch(s, m);
  *wstate = m;
  return 0;
}

/* The working copy: init + every row of every layer. */
static int read_params(const dnn_shared *s, dnn_worker *m, ps_worker *w) {
  for (uint32_t l = 0; l < s->L.nl; l++) {
    const dnn_layer *y = &s->L.layer[l];
    for (uint32_t r = 0; r < y->rows; r++) {
      int rc = ps_get(w, DNN_TABLE0 + l, r, m->params + y->offset + (size_t)r * y->width);
      if (rc) return rc < 0 ? rc : ST_ESTATE;
    }
  }
  for (size_t k = 0; k < s->L.nparams; k++) m->params[k] += s->init[k];
  return 0;
}

/* The next minibatch of the shard, wrapping into a new epoch. */
static void next_batch(const dnn_shared *s, dnn_worker *m) {
  for (uint32_t b = 0; b < s->opt.batch; b++) {
    if (m->cursor == m->ntrain) {
      m->epoch++;
      m->cursor = 0;
      shuffle_epoch(s, m);
    }
    uint32_t i = m->order[m->cursor++];
    m->batch_idx[b] = i;
    m->batch_y[b] = s->train.labels.data[i];
  }
}

static int push_delta(const dnn_shared *s, dnn_worker *m, ps_worker *w) {
  if (m->scale != 1.0f) cblas_sscal((int)s->L.nparams, m->scale, m->delta, 1);
  for (uint32_t l = 0; l < s->L.nl; l++) {
    const dnn_layer *y = &s->L.layer[l];
    for (uint32_t r = 0; r < y->rows; r++) {
      int rc = ps_inc(w, DNN_TABLE0 + l, r, m->delta + y->offset + (size_t)r * y->width);
      if (rc < 0) return rc;
    }
  }
  return 0;
}

static int dnn_step(void *shared, void *wstate, ps_worker *w, st_clock_t clock) {
  dnn_shared *s = shared;
  dnn_worker *m = wstate;
  int rc;
  if (clock == 0)
    for (uint32_t l = 0; l < s->L.nl; l++)
      if ((rc = ps_prefetch(w, DNN_TABLE0 + l, m->rows, s->L.layer[l].rows)) < 0) return rc;
  if ((rc = read_params(s, m, w))) return rc;
  uint32_t correct =
      dnn_count_correct(&s->L, m->params, &m->s, s->test.images.data, s->test.labels.data, m->test,
                        m->ntest, NULL);
  double loss = 0.0;
  uint32_t trained = 0;
  if (m->ntrain)
    for (uint32_t b = 0; b < s->opt.batches; b++) {
      next_batch(s, m);
      dnn_load_batch(&s->L, &m->s, s->train.images.data, m->batch_idx, s->opt.batch);
      if (s->opt.adarev) /* the update direction, -gradient, at the values read */
        loss += dnn_grad_step(&s->L, m->params, m->delta, &m->s, m->batch_y, s->opt.batch, 1.0f);
      else
        loss += dnn_sgd_step(&s->L, m->params, m->delta, &m->s, m->batch_y, s->opt.batch, s->opt.lr);
      trained += s->opt.batch;
      if ((rc = push_delta(s, m, w))) return rc;
    }
  ps_charge(w, (double)(trained / s->opt.batch) * dnn_step_flops(&s->L, s->opt.batch) +
                   dnn_forward_flops(&s->L, m->ntest));
  float row[APP_METRICS_WIDTH] = {(float)loss, (float)trained, (float)correct, (float)m->ntest};
  rc = ps_inc(w, APP_METRICS_TABLE, clock, row);
  return rc < 0 ? rc : 0;
}

/* A worker keeps only where its pass over its shard stands: u64 epoch,
 * u64 cursor, u32 shard size (to refuse another shape). */
static int dnn_worker_save(void *shared, void *wstate, uint8_t **buf, size_t *len) {
  (void)shared;
  const dnn_worker *m = wstate;
  uint8_t *b = malloc(20);
  if (!b) return ST_ENOMEM;
  memcpy(b, &m->epoch, 8);
  memcpy(b + 8, &m->cursor, 8);
  memcpy(b + 16, &m->ntrain, 4);
  *buf = b;
  *len = 20;
  return 0;
}

static int dnn_worker_load(void *shared, void *wstate, const uint8_t *buf, size_t len) {
  dnn_worker *m = wstate;
  uint64_t epoch, cursor;
  uint32_t ntrain;
  if (len != 20) return ST_EFRAME;
  memcpy(&epoch, buf, 8);
  memcpy(&cursor, buf + 8, 8);
  memcpy(&ntrain, buf + 16, 4);
  if (ntrain != m->ntrain || cursor > ntrain) return ST_EFRAME;
  m->epoch = epoch;
  m->cursor = cursor;
  shuffle_epoch(shared, m);
  return 0;
}

/* The model's terms (app_ops.model_terms): the worker's held-out images
 * under the parameters the servers hold (init + every row), as {summed
 * cross-entropy, images, correct, images}: objective() of their sum is
 * then the model's mean held-out cross-entropy (not the training loss the
 * objective column is: no training loss belongs to a model snapshot). Its
 * cost is one forward pass of the worker's held-out share, as step's own
 * accuracy count. */
static int dnn_model_terms(void *shared, void *wstate, const app_model *md, float *row) {
  const dnn_shared *s = shared;
  const dnn_worker *m = wstate;
  float *params = malloc(s->L.nparams * sizeof *params);
  dnn_scratch sc;
  if (!params) return ST_ENOMEM;
  if (dnn_scratch_init(&sc, &s->L, s->opt.batch) != 0) {
    free(params);
    return ST_ENOMEM;
  }
  int rc = 0;
  for (uint32_t l = 0; l < s->L.nl && rc == 0; l++) {
    const dnn_layer *y = &s->L.layer[l];
    for (uint32_t r = 0; r < y->rows && rc == 0; r++)
      rc = md->read(md->ctx, DNN_TABLE0 + l, r, params + y->offset + (size_t)r * y->width);
  }
  if (rc == 0) {
    for (size_t k = 0; k < s->L.nparams; k++) params[k] += s->init[k];
    double loss = 0.0;
    uint32_t correct = dnn_count_correct(&s->L, params, &sc, s->test.images.data,
                                         s->test.labels.data, m->test, m->ntest, &loss);
    row[0] = (float)loss;
    row[1] = (float)m->ntest;
    row[2] = (float)correct;
    row[3] = (float)m->ntest;
  }
  dnn_scratch_free(&sc);
  free(params);
  return rc;
}

/* Mean training cross-entropy of the clock's minibatches. */
static double dnn_objective(void *shared, const float *row) {
  (void)shared;
  return row[1] > 0.0f ? (double)row[0] / (double)row[1] : 0.0 / 0.0;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Held-out images a worker of an 8-node Fashion-MNIST run evaluates per
 * clock: the calibration's check of a whole clock uses that share. */
#define DNN_CAL_EVAL 1250u

/* Times SGD steps at the options' shapes (the kernel the step charges),
 * then one whole clock's arithmetic (batches steps and the forward pass of
 * DNN_CAL_EVAL held-out images) against what the simulator would charge
 * for it at the measured rate. Images are random bytes: sgemm's speed does
 * not depend on the values. */
static int dnn_calibrate(const char *options, double seconds, double *rate, char *report,
                         size_t reportlen) {
  openblas_set_num_threads(1);
  dnn_options o;
  dnn_layout L;
  int rc = dnn_options_parse(options, &o, report, reportlen);
  if (rc) return rc;
  if ((rc = dnn_layout_make(&o, &L))) {
    snprintf(report, reportlen, "dnn options: a PS row of row_units=%u units is too wide",
             o.row_units);
    return rc;
  }
  uint32_t in = L.layer[0].in, classes = L.layer[L.nl - 1].out;
  size_t nimg = o.batch > DNN_CAL_EVAL ? o.batch : DNN_CAL_EVAL;
  float *params = malloc(L.nparams * sizeof *params);
  float *delta = calloc(L.nparams, sizeof *delta);
  uint8_t *img = malloc(nimg * in), *lab = malloc(nimg);
  dnn_scratch sc;
  if (!params || !delta || !img || !lab || dnn_scratch_init(&sc, &L, o.batch) != 0) {
    free(params), free(delta), free(img), free(lab);
    snprintf(report, reportlen, "dnn: out of memory");
    return ST_ENOMEM;
  }
  dnn_init_params(&L, 1, params);
  mf_rng r;
  mf_rng_seed(&r, 1, 0x43414C);
  for (size_t k = 0; k < nimg * in; k++) img[k] = (uint8_t)(mf_rng_next(&r) >> 56);
  for (size_t k = 0; k < nimg; k++) lab[k] = (uint8_t)mf_rng_below(&r, classes);
  /* a small step keeps the repeated batch from driving the net to inf */
  const float lr = 1e-4f;
  dnn_load_batch(&L, &sc, img, NULL, o.batch);
  dnn_sgd_step(&L, params, delta, &sc, lab, o.batch, lr); /* warm-up */
  uint64_t steps = 0;
  double start = wall_now(), now;
  do {
    dnn_load_batch(&L, &sc, img, NULL, o.batch);
    dnn_sgd_step(&L, params, delta, &sc, lab, o.batch, lr);
    steps++;
    now = wall_now();
  } while (now - start < 0.7 * seconds);
  double step_flops = dnn_step_flops(&L, o.batch);
  *rate = step_flops * (double)steps / (now - start);
  /* one clock, as a worker runs it */
  uint32_t clocks = 0;
  double t0 = wall_now(), t1;
  do {
    dnn_count_correct(&L, params, &sc, img, lab, NULL, DNN_CAL_EVAL, NULL);
    for (uint32_t b = 0; b < o.batches; b++) {
      dnn_load_batch(&L, &sc, img, NULL, o.batch);
      dnn_sgd_step(&L, params, delta, &sc, lab, o.batch, lr);
    }
    clocks++;
    t1 = wall_now();
  } while (t1 - t0 < 0.3 * seconds);
  double real = (t1 - t0) / clocks;
  double modeled = ((double)o.batches * step_flops + dnn_forward_flops(&L, DNN_CAL_EVAL)) / *rate;
  int k = snprintf(report, reportlen, "dnn layers=");
  for (uint32_t l = 0; l <= L.nl && k > 0 && (size_t)k < reportlen; l++)
    k += snprintf(report + k, reportlen - (size_t)k, l ? "-%u" : "%u", o.size[l]);
  if (k > 0 && (size_t)k < reportlen)
    snprintf(report + k, reportlen - (size_t)k,
             ", batch %u: SGD step %.3f ms, %.2f GF/s of sgemm flops (what the step charges)\n"
             "one clock (%u steps + forward of %u held-out images): real %.4f s, simulated at "
             "this rate %.4f s (%+.1f%%)\n",
             o.batch, 1e3 * (now - start) / (double)steps, *rate / 1e9, o.batches, DNN_CAL_EVAL,
             real, modeled, 100.0 * (modeled - real) / real);
  dnn_scratch_free(&sc);
  free(params), free(delta), free(img), free(lab);
  return 0;
}

/* Share of the held-out images classified right. */
static double dnn_extra(void *shared, const float *row, uint32_t k) {
  (void)shared;
  (void)k;
  return row[3] > 0.0f ? (double)row[2] / (double)row[3] : 0.0 / 0.0;
}

static const char *const dnn_extra_names[] = {"test_accuracy"};

const app_ops dnn_app = {
    .name = "dnn",
    .summary = "multilayer perceptron (default 784-256-128-10) by data-parallel minibatch SGD on "
               "Fashion-MNIST; layers in the PS; training loss and held-out accuracy",
    .load = dnn_load,
    .tables = dnn_tables,
    .worker_init = dnn_worker_init,
    .step = dnn_step,
    .worker_free = dnn_worker_free,
    .worker_save = dnn_worker_save,
    .worker_load = dnn_worker_load,
    .objective = dnn_objective,
    .objective_name = "train_loss",
    .model_terms = dnn_model_terms,
    .nextra = 1,
    .extra_names = dnn_extra_names,
    .extra = dnn_extra,
    .calibrate = dnn_calibrate,
    .free = dnn_free,
};
