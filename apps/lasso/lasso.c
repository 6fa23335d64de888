/* lasso.c: Lasso by data-parallel proximal gradient (ISTA) on the PS.
 *
 * Problem: F(beta) = 1/(2n) ||y - X beta - b||^2 + lambda ||beta||_1 with
 * the intercept fitted, b = ybar - xbar . beta (model.h), which is
 * f(beta) + lambda ||beta||_1 with f the least-squares term on centred data,
 * f = sum over workers w of f_w (the terms of w's samples).
 *
 * Partition: worker g owns samples [g n / W, (g + 1) n / W) and PS rows
 * r = g, g + W, g + 2W, ... of the coefficient table.
 *
 * A clock c of worker g:
 *   1. read every row of BETA (beta') and of GRAD (G);
 *   2. beta~ = prox(beta' - t G) = soft(beta' - t G, t lambda), all p
 *      coefficients, computed locally (cheap: O(p));
 *   3. one pass over its samples at beta~ (model.c): residuals, their
 *      squares (objective) and its gradient part grad f_g(beta~);
 *   4. add grad f_g(beta~) - (what it added so far) to GRAD, so that GRAD
 *      holds, per worker, its gradient at the point it last used;
 *   5. for the rows it owns, add beta~ - beta' to BETA: the table then holds
 *      beta~ there;
 *   6. metrics row c: {sum r^2, ||beta~||_1 and nnz(beta~) of its own rows,
 *      its sample count}.
 *
 * Why this is ISTA at s = 0: a read at clock c sees every update of clocks
 * < c and none later. So every worker reads the same BETA = beta_{c-1} and
 * the same GRAD = sum_w grad f_w(beta_{c-1}) = grad f(beta_{c-1}), computes
 * the same beta_c = prox(beta_{c-1} - t grad f(beta_{c-1})), and the owners
 * store it: exactly one proximal gradient step per clock, bit-identical on
 * every worker and backend (ordered mode fixes the order of the float sums).
 * The objective of row c is F(beta_c). The step is t = 1/L, L the largest
 * eigenvalue of Xc^T Xc / n by power iteration at load (model.c): ISTA
 * decreases F monotonically for t <= 1/L.
 *
 * Why it converges under staleness s: a read at clock c sees all updates of
 * clocks < c - s, and may see later ones, never past c + s (a worker sees its
 * own at once). So GRAD is a sum of gradient parts each taken at a point
 * beta~ some worker computed at most s + 1 clocks ago, and BETA's rows are
 * at most s clocks old except a worker's own, which are exact. The step is
 * a proximal step on a gradient with bounded delay tau = s + 1 clocks: the
 * delayed / incremental aggregated proximal gradient method, which converges
 * (linearly under restricted strong convexity) when the step is of order
 * 1/(L (1 + tau)) (Feyzmahdavian, Aytekin and Johansson, "A delayed proximal
 * gradient method with linear convergence rate", 2014; Aytekin et al.,
 * "Analysis and implementation of an asynchronous optimization algorithm for
 * the parameter server", 2016). The error a delay brings is L times the
 * distance moved in the last s + 1 steps, which the smaller step keeps below
 * the decrease a step makes. So the step is t = step / (L (1 + delay)),
 * delay being the staleness bound by default (option delay=; with s = inf
 * there is no bound, and the default assumes 16 clocks). Measured on the
 * diabetes data with every read exactly s clocks late (the worst the bound
 * allows), s = 3 diverges at 1/L and 1/(2L) and converges at 1/(4L).
 *
 * Rounding: BETA and GRAD are float tables summed on the servers, so the
 * value a table holds differs from the exact sum of its increments by a few
 * float ulps per clock; everything on the workers is in double. */
#include "lasso.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "gen.h"
#include "model.h"

/* With no staleness bound, the delay the default step allows for. */
#define LASSO_ASYNC_DELAY 16

typedef struct lasso_shared {
  lasso_options opt;
  lasso_data data;
  double *mean; /* p column means */
  double ymean;
  double lip;     /* Lipschitz constant of grad f */
  uint32_t block; /* coefficients per PS row */
  uint32_t nrows; /* PS rows per table */
} lasso_shared;

typedef struct lasso_worker {
  uint32_t r0, r1; /* own samples */
  uint32_t nworkers, index;
  double t; /* step */
  size_t padded; /* nrows * block */
  float *bread, *gread; /* padded: BETA and GRAD as read */
  double *beta;        /* p: beta~ of this clock */
  double *acc;         /* p: sum r_i x_i over own samples */
  double *sent;        /* p: sum of what this worker added to GRAD */
  float *delta;        /* block */
  uint32_t *rows;      /* 0..nrows-1, for prefetching */
} lasso_worker;

static void lasso_free(void *shared) {
  lasso_shared *s = shared;
  if (!s) return;
  lasso_data_free(&s->data);
  free(s->mean);
  free(s);
}

static int lasso_load(const app_params *p, void **shared, char *err, size_t errlen) {
  *shared = NULL;
  lasso_shared *s = calloc(1, sizeof *s);
  if (!s) return ST_ENOMEM;
  int rc = lasso_options_parse(p->options, &s->opt, err, errlen);
  if (rc) goto fail;
  if (p->data) {
    rc = lasso_data_load(p->data, &s->opt.load, &s->data, err, errlen);
  } else {
    lasso_gen_params g = {.n = s->opt.gen_n,
                          .p = s->opt.gen_p,
                          .group = s->opt.gen_group,
                          .k = s->opt.gen_k,
                          .rho = s->opt.gen_rho,
                          .noise = s->opt.gen_noise,
                          .seed = p->seed};
    rc = lasso_generate(&g, &s->data, NULL, err, errlen);
  }
  if (rc) goto fail;
  if (s->data.n < 2) {
    if (err && errlen)
      snprintf(err, errlen, "%s: one sample: a fitted intercept leaves nothing to fit",
               p->data ? p->data : "the generated design");
    rc = ST_EPARSE;
    goto fail;
  }
  rc = ST_ENOMEM;
  if (s->opt.standardize && lasso_data_standardize(&s->data)) goto fail;
  s->mean = malloc(((size_t)s->data.p + 1) * sizeof *s->mean);
  if (!s->mean) goto fail;
  lasso_data_means(&s->data, s->mean, &s->ymean);
  s->lip = lasso_lipschitz(&s->data, s->mean, s->opt.power);
  if (s->lip < 0) goto fail;
  s->block = s->opt.block < s->data.p ? s->opt.block : s->data.p;
  s->nrows = (s->data.p + s->block - 1) / s->block;
  *shared = s;
  return 0;
fail:
  if (rc == ST_ENOMEM && err && errlen) snprintf(err, errlen, "lasso: out of memory");
  lasso_free(s);
  return rc;
}

static int lasso_tables(void *shared, tbl_set *set) {
  lasso_shared *s = shared;
  tbl_def beta = {.id = LASSO_BETA_TABLE, .rows = s->nrows, .width = s->block};
  tbl_def grad = {.id = LASSO_GRAD_TABLE, .rows = s->nrows, .width = s->block};
  int rc = tbl_add(set, &beta);
  return rc ? rc : tbl_add(set, &grad);
}

static void lasso_worker_free(void *shared, void *wstate) {
  (void)shared;
  lasso_worker *m = wstate;
  if (!m) return;
  free(m->bread);
  free(m->gread);
  free(m->beta);
  free(m->acc);
  free(m->sent);
  free(m->delta);
  free(m->rows);
  free(m);
}

static int lasso_worker_init(void *shared, ps_worker *w, void **wstate) {
  lasso_shared *s = shared;
  *wstate = NULL;
  if (w->nworkers == 0 || w->global_index >= w->nworkers) return ST_EINVAL;
  lasso_worker *m = calloc(1, sizeof *m);
  if (!m) return ST_ENOMEM;
  uint64_t n = s->data.n, W = w->nworkers, g = w->global_index;
  m->r0 = (uint32_t)(g * n / W);
  m->r1 = (uint32_t)((g + 1) * n / W);
  m->nworkers = w->nworkers;
  m->index = w->global_index;
  uint32_t sb = ps_staleness(w);
  double delay = s->opt.delay >= 0            ? (double)s->opt.delay
                 : sb == ST_STALENESS_INF     ? (double)LASSO_ASYNC_DELAY
                                              : (double)sb;
  m->t = s->lip > 0 ? s->opt.step / (s->lip * (1.0 + delay)) : 0.0;
  size_t p = s->data.p;
  m->padded = (size_t)s->nrows * s->block;
  m->bread = calloc(m->padded, sizeof *m->bread);
  m->gread = calloc(m->padded, sizeof *m->gread);
  m->beta = calloc(p, sizeof *m->beta);
  m->acc = calloc(p, sizeof *m->acc);
  m->sent = calloc(p, sizeof *m->sent);
  m->delta = calloc(s->block, sizeof *m->delta);
  m->rows = malloc(s->nrows * sizeof *m->rows);
  if (!m->bread || !m->gread || !m->beta || !m->acc || !m->sent || !m->delta || !m->rows) {
    lasso_worker_free(shared, m);
    return ST_ENOMEM;
  }
  for (uint32_t r = 0; r < s->nrows; r++) m->rows[r] = r;
  *wstate = m;
  return 0;
}

static int read_tables(const lasso_shared *s, lasso_worker *m, ps_worker *w, st_clock_t clock) {
  int rc;
  if (clock == 0 && ((rc = ps_prefetch(w, LASSO_BETA_TABLE, m->rows, s->nrows)) < 0 ||
                     (rc = ps_prefetch(w, LASSO_GRAD_TABLE, m->rows, s->nrows)) < 0))
    return rc;
  for (uint32_t r = 0; r < s->nrows; r++) {
    size_t off = (size_t)r * s->block;
    if ((rc = ps_get(w, LASSO_BETA_TABLE, r, m->bread + off)) ||
        (rc = ps_get(w, LASSO_GRAD_TABLE, r, m->gread + off)))
      return rc < 0 ? rc : ST_ESTATE;
  }
  return 0;
}

static int lasso_step(void *shared, void *wstate, ps_worker *w, st_clock_t clock) {
  lasso_shared *s = shared;
  lasso_worker *m = wstate;
  const uint32_t p = s->data.p, B = s->block;
  int rc = read_tables(s, m, w, clock);
  if (rc) return rc;

  /* 2. the proximal step, and the intercept that goes with it */
  double tl = m->t * s->opt.lambda, b = s->ymean;
  for (uint32_t j = 0; j < p; j++) {
    m->beta[j] = lasso_soft((double)m->bread[j] - m->t * (double)m->gread[j], tl);
    b -= s->mean[j] * m->beta[j];
  }

  /* 3. residuals and this worker's gradient part */
  double sse = 0.0, rsum = 0.0;
  memset(m->acc, 0, p * sizeof *m->acc);
  lasso_pass(&s->data, m->r0, m->r1, m->beta, b, &sse, &rsum, m->acc);

  /* 4. the change of its part of grad f = -(Xc_g^T r_g) / n */
  double inv_n = 1.0 / (double)s->data.n;
  for (uint32_t r = 0; r < s->nrows; r++) {
    uint32_t j0 = r * B, j1 = j0 + B < p ? j0 + B : p;
    int any = 0;
    for (uint32_t j = j0; j < j1; j++) {
      double gj = -(m->acc[j] - s->mean[j] * rsum) * inv_n;
      float d = (float)(gj - m->sent[j]);
      m->delta[j - j0] = d;
      m->sent[j] += d;
      any |= d != 0.0f;
    }
    for (uint32_t j = j1; j < j0 + B; j++) m->delta[j - j0] = 0.0f;
    if (any && (rc = ps_inc(w, LASSO_GRAD_TABLE, r, m->delta)) < 0) return rc;
  }

  /* 5. the owner stores beta~ of its rows; 6. their share of the metrics */
  double l1 = 0.0, nnz = 0.0;
  for (uint32_t r = m->index; r < s->nrows; r += m->nworkers) {
    uint32_t j0 = r * B, j1 = j0 + B < p ? j0 + B : p;
    int any = 0;
    for (uint32_t j = j0; j < j1; j++) {
      float nb = (float)m->beta[j];
      float d = nb - m->bread[j];
      m->delta[j - j0] = d;
      any |= d != 0.0f;
      l1 += fabs((double)nb);
      nnz += nb != 0.0f;
    }
    for (uint32_t j = j1; j < j0 + B; j++) m->delta[j - j0] = 0.0f;
    if (any && (rc = ps_inc(w, LASSO_BETA_TABLE, r, m->delta)) < 0) return rc;
  }
  /* Flops: a dot product and an axpy per stored entry of its samples, and
   * about ten per coefficient for the step and the gradient change. */
  size_t entries = s->data.dense ? (size_t)(m->r1 - m->r0) * p
                                 : s->data.row_start[m->r1] - s->data.row_start[m->r0];
  ps_charge(w, 4.0 * (double)entries + 10.0 * (double)p);

  float row[APP_METRICS_WIDTH] = {(float)sse, (float)l1, (float)nnz, (float)(m->r1 - m->r0)};
  rc = ps_inc(w, APP_METRICS_TABLE, clock, row);
  return rc < 0 ? rc : 0;
}

/* A worker's own state is what it has added to GRAD so far: u32 p, then p
 * doubles. */
static int lasso_worker_save(void *shared, void *wstate, uint8_t **buf, size_t *len) {
  const lasso_shared *s = shared;
  const lasso_worker *m = wstate;
  uint32_t p = s->data.p;
  uint8_t *b = malloc(4 + (size_t)p * sizeof(double));
  if (!b) return ST_ENOMEM;
  memcpy(b, &p, 4);
  memcpy(b + 4, m->sent, (size_t)p * sizeof(double));
  *buf = b;
  *len = 4 + (size_t)p * sizeof(double);
  return 0;
}

static int lasso_worker_load(void *shared, void *wstate, const uint8_t *buf, size_t len) {
  const lasso_shared *s = shared;
  lasso_worker *m = wstate;
  uint32_t p;
  if (len != 4 + (size_t)s->data.p * sizeof(double)) return ST_EFRAME;
  memcpy(&p, buf, 4);
  if (p != s->data.p) return ST_EFRAME;
  memcpy(m->sent, buf + 4, (size_t)p * sizeof(double));
  return 0;
}

static double lasso_app_objective(void *shared, const float *metrics_row) {
  const lasso_shared *s = shared;
  return lasso_objective(metrics_row, s->opt.lambda);
}

/* nnz(beta) of a metrics row (the extra CSV column). */
static double lasso_app_nnz(void *shared, const float *metrics_row, uint32_t k) {
  (void)shared;
  (void)k;
  return metrics_row[3] > 0.0f ? (double)metrics_row[2] : NAN;
}

static const char *const lasso_extra_names[] = {"nnz"};

const app_ops lasso_app = {
    .name = "lasso",
    .summary = "Lasso by data-parallel proximal gradient; coefficients and gradient in the PS; "
               "objective 1/(2n)||y - Xb - b0||^2 + lambda||b||_1 (intercept fitted)",
    .load = lasso_load,
    .tables = lasso_tables,
    .worker_init = lasso_worker_init,
    .step = lasso_step,
    .worker_free = lasso_worker_free,
    .worker_save = lasso_worker_save,
    .worker_load = lasso_worker_load,
    .objective = lasso_app_objective,
    .objective_name = "lasso_objective",
    .free = lasso_free,
    .nextra = 1,
    .extra_names = lasso_extra_names,
    .extra = lasso_app_nnz,
};
