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
 *   1. read every row of BETA (beta') and of the gradient table of parity
 *      c - 1 (G);
 *   2. beta~ = prox(beta' - t G) = soft(beta' - t G, t lambda), all p
 *      coefficients, computed locally (cheap: O(p)); rows whose stamp shows
 *      their owner already stored clock c's value (a worker sharing this
 *      client, whose increments a read sees at once) are taken as read;
 *   3. one pass over its samples at beta~ (model.c): residuals, their
 *      squares (objective) and its gradient part grad f_g(beta~);
 *   4. add grad f_g(beta~) - (what it added there so far) to the gradient
 *      table of parity c, which then holds, per worker, its gradient part
 *      at the point of its latest clock of that parity;
 *   5. for the rows it owns, add beta~ - beta' and 1 to the stamp: the table
 *      then holds beta~ there;
 *   6. metrics row c: {sum r^2, ||beta~||_1 and nnz(beta~) of its own rows,
 *      its sample count}.
 *
 * Why this is ISTA at s = 0: a read at clock c sees every update of clocks
 * < c and none later (but its client's own). So every worker reads the
 * same BETA = beta_{c-1} (or, from its own client, beta_c) and the same
 * G = sum_w grad f_w(beta_{c-1}) = grad f(beta_{c-1}), computes
 * the same beta_c = prox(beta_{c-1} - t grad f(beta_{c-1})), and the owners
 * store it: exactly one proximal gradient step per clock, bit-identical on
 * every worker and backend (ordered mode fixes the order of the float sums).
 * The objective of row c is F(beta_c). The step is t = 1/L, L the largest
 * eigenvalue of Xc^T Xc / n by power iteration at load (model.c): ISTA
 * decreases F monotonically for t <= 1/L.
 *
 * Why it converges under staleness s: a read at clock c sees all updates of
 * clocks < c - s, and may see later ones, never past c + s (a worker sees its
 * own at once). So G is a sum of gradient parts each taken at a point
 * beta~ some worker computed at most s + 2 clocks ago (the parity tables
 * add one), and BETA's rows are at most s clocks old except a worker's own,
 * which are exact. The step is a proximal step on a gradient with bounded
 * delay tau = s + 2 clocks: the delayed / incremental aggregated proximal
 * gradient method, which converges
 * (linearly under restricted strong convexity) when the step is of order
 * 1/(L (1 + tau)) (Feyzmahdavian, Aytekin and Johansson, "A delayed proximal
 * gradient method with linear convergence rate", 2014; Aytekin et al.,
 * "Analysis and implementation of an asynchronous optimization algorithm for
 * the parameter server", 2016). The error a delay brings is L times the
 * distance moved in the last s + 1 steps, which the smaller step keeps below
 * the decrease a step makes. So the step is t = step / (L (1 + delay)),
 * delay being the staleness bound by default (option delay=; with s = inf
 * there is no bound, and the default assumes 16 clocks). Measured on the
 * diabetes data in a model of the worst case (every gradient part exactly 4
 * or 5 clocks old, as s = 3 allows): 1/L and 1/(2L) diverge, 1/(4L)
 * converges in both.
 *
 * Rounding: the tables hold floats summed on the servers, so a table's value
 * differs from the exact sum of its increments by a few float ulps per
 * clock; everything on the workers is in double. */
#include "lasso.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "cd.h"
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
  uint32_t clocks; /* of the run: worker 0 writes opt.coef at the last */
  uint32_t block; /* coefficients per PS row */
  uint32_t nrows; /* PS rows per table */
  /* Scheduled runs (--schedule): coordinate descent by the core's
   * scheduler (cd.h); the PS holds only the metrics. */
  sched_params sched;
  lasso_cd cd;
} lasso_shared;

typedef struct lasso_worker {
  uint32_t r0, r1; /* own samples */
  uint32_t nworkers, index;
  double t;             /* step */
  float *bread;         /* nrows * (block + 1): BETA as read, stamps included */
  float *gread;         /* nrows * block: GRAD of the last clock's parity as read */
  double *beta;         /* p: beta~ of this clock (float values) */
  float *bdelta;        /* p: beta~ - beta' where the step was taken here */
  double *acc;          /* p: sum r_i x_i over own samples */
  double *sent[2];      /* p each: what this worker has added to GRAD_EVEN, GRAD_ODD */
  float *delta;         /* block + 1 */
  uint32_t *rows;       /* 0..nrows-1, for prefetching */
  lasso_cdw cdw;        /* scheduled runs */
  float *part;          /* scheduled runs: [p] a task's partial sums */
} lasso_worker;

static uint32_t grad_table(st_clock_t clock) { return clock % 2 ? LASSO_GRAD_ODD : LASSO_GRAD_EVEN; }

static void lasso_free(void *shared) {
  lasso_shared *s = shared;
  if (!s) return;
  lasso_cd_free(&s->cd);
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
  s->clocks = p->clocks;
  s->block = s->opt.block < s->data.p ? s->opt.block : s->data.p;
  s->nrows = (s->data.p + s->block - 1) / s->block;
  s->sched = p->sched ? *p->sched : sched_params_defaults();
  if (s->sched.kind == SCHED_ROTATION) {
    if (err && errlen)
      snprintf(err, errlen, "--schedule rotation: Lasso's coordinates are scheduled by the "
                            "other schedules (rotation is for MF and LDA)");
    rc = ST_EINVAL;
    goto fail;
  }
  if (s->sched.kind != SCHED_NONE) {
    if (lasso_cd_build(&s->data, s->mean, s->ymean, s->opt.lambda, &s->cd)) goto fail;
    s->cd.dep_rows = s->opt.dep_rows;
  }
  *shared = s;
  return 0;
fail:
  if (rc == ST_ENOMEM && err && errlen) snprintf(err, errlen, "lasso: out of memory");
  lasso_free(s);
  return rc;
}

static int lasso_tables(void *shared, tbl_set *set) {
  lasso_shared *s = shared;
  if (s->sched.kind != SCHED_NONE) return 0; /* the scheduler carries the model */
  tbl_def beta = {.id = LASSO_BETA_TABLE, .rows = s->nrows, .width = s->block + 1, .sparse = 1};
  tbl_def even = {.id = LASSO_GRAD_EVEN, .rows = s->nrows, .width = s->block};
  tbl_def odd = {.id = LASSO_GRAD_ODD, .rows = s->nrows, .width = s->block};
  int rc = tbl_add(set, &beta);
  if (!rc) rc = tbl_add(set, &even);
  return rc ? rc : tbl_add(set, &odd);
}

static void lasso_worker_free(void *shared, void *wstate) {
  (void)shared;
  lasso_worker *m = wstate;
  if (!m) return;
  free(m->bread);
  free(m->gread);
  free(m->beta);
  free(m->bdelta);
  free(m->acc);
  free(m->sent[0]);
  free(m->sent[1]);
  free(m->delta);
  free(m->rows);
  lasso_cdw_free(&m->cdw);
  free(m->part);
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
  double delay = s->opt.delay >= 0        ? (double)s->opt.delay
                 : sb == ST_STALENESS_INF ? (double)LASSO_ASYNC_DELAY
                                          : (double)sb;
  m->t = s->lip > 0 ? s->opt.step / (s->lip * (1.0 + delay)) : 0.0;
  size_t p = s->data.p, B = s->block;
  m->bread = calloc((size_t)s->nrows * (B + 1), sizeof *m->bread);
  m->gread = calloc((size_t)s->nrows * B, sizeof *m->gread);
  m->beta = calloc(p, sizeof *m->beta);
  m->bdelta = calloc(p, sizeof *m->bdelta);
  m->acc = calloc(p, sizeof *m->acc);
  m->sent[0] = calloc(p, sizeof *m->sent[0]);
  m->sent[1] = calloc(p, sizeof *m->sent[1]);
  m->delta = calloc(B + 1, sizeof *m->delta);
  m->rows = malloc(s->nrows * sizeof *m->rows);
  if (!m->bread || !m->gread || !m->beta || !m->bdelta || !m->acc || !m->sent[0] ||
      !m->sent[1] || !m->delta || !m->rows) {
    lasso_worker_free(shared, m);
    return ST_ENOMEM;
  }
  for (uint32_t r = 0; r < s->nrows; r++) m->rows[r] = r;
  if (s->sched.kind != SCHED_NONE &&
      (lasso_cdw_init(&m->cdw, &s->cd, &s->data, m->r0, m->r1) ||
       !(m->part = calloc(p ? p : 1, sizeof *m->part)))) {
    lasso_worker_free(shared, m);
    return ST_ENOMEM;
  }
  *wstate = m;
  return 0;
}

/* Reads BETA and the gradient table of the last clock's parity. */
static int read_tables(const lasso_shared *s, lasso_worker *m, ps_worker *w, st_clock_t clock) {
  int rc;
  uint32_t gt = grad_table(clock + 1); /* parity of clock - 1 */
  if (clock == 0 && ((rc = ps_prefetch(w, LASSO_BETA_TABLE, m->rows, s->nrows)) < 0 ||
                     (rc = ps_prefetch(w, LASSO_GRAD_EVEN, m->rows, s->nrows)) < 0 ||
                     (rc = ps_prefetch(w, LASSO_GRAD_ODD, m->rows, s->nrows)) < 0))
    return rc;
  for (uint32_t r = 0; r < s->nrows; r++) {
    if ((rc = ps_get(w, LASSO_BETA_TABLE, r, m->bread + (size_t)r * (s->block + 1))) ||
        (rc = ps_get(w, gt, r, m->gread + (size_t)r * s->block)))
      return rc < 0 ? rc : ST_ESTATE;
  }
  return 0;
}

/* beta~ of every coefficient (step 2): a row whose stamp says its owner
 * already stored this clock's value is taken as it is; elsewhere the
 * proximal step, rounded the way the table will hold it (beta' + the float
 * delta), so a worker that computes beta~ and one that reads the stored
 * value get the same floats. Returns the intercept for beta~. */
static double prox_step(const lasso_shared *s, lasso_worker *m, st_clock_t clock) {
  const uint32_t p = s->data.p, B = s->block;
  double tl = m->t * s->opt.lambda, b = s->ymean;
  for (uint32_t r = 0; r < s->nrows; r++) {
    const float *row = m->bread + (size_t)r * (B + 1);
    const float *g = m->gread + (size_t)r * B;
    int fresh = (double)row[B] > (double)clock; /* stamp = owner writes seen = clock + 1 */
    uint32_t j0 = r * B, j1 = j0 + B < p ? j0 + B : p;
    for (uint32_t j = j0; j < j1; j++) {
      float old = row[j - j0], d = 0.0f;
      if (!fresh) {
        float f = (float)lasso_soft((double)old - m->t * (double)g[j - j0], tl);
        d = f - old;
      }
      m->bdelta[j] = d;
      m->beta[j] = (double)(old + d);
      b -= s->mean[j] * m->beta[j];
    }
  }
  return b;
}

/* Writes beta~ and its intercept b to path: 0 or ST_EINVAL. */
static int write_coef(const char *path, const double *beta, uint32_t p, double b) {
  FILE *fp = fopen(path, "w");
  if (!fp) return ST_EINVAL;
  fprintf(fp, "intercept %.17g\n", b);
  for (uint32_t j = 0; j < p; j++)
    if (beta[j] != 0.0) fprintf(fp, "%u %.17g\n", j + 1, beta[j]);
  int bad = ferror(fp);
  return (fclose(fp) != 0 || bad) ? ST_EINVAL : 0;
}

static int lasso_step(void *shared, void *wstate, ps_worker *w, st_clock_t clock) {
  lasso_shared *s = shared;
  lasso_worker *m = wstate;
  const uint32_t p = s->data.p, B = s->block;
  int rc = read_tables(s, m, w, clock);
  if (rc) return rc;
  double b = prox_step(s, m, clock);

  /* 3. residuals and this worker's gradient part */
  double sse = 0.0, rsum = 0.0;
  memset(m->acc, 0, p * sizeof *m->acc);
  lasso_pass(&s->data, m->r0, m->r1, m->beta, b, &sse, &rsum, m->acc);

  /* 4. the change of its part of grad f = -(Xc_g^T r_g) / n, into the
   * table of this clock's parity */
  double inv_n = 1.0 / (double)s->data.n, *sent = m->sent[clock % 2];
  for (uint32_t r = 0; r < s->nrows; r++) {
    uint32_t j0 = r * B, j1 = j0 + B < p ? j0 + B : p;
    int any = 0;
    for (uint32_t j = j0; j < j1; j++) {
      double gj = -(m->acc[j] - s->mean[j] * rsum) * inv_n;
      float d = (float)(gj - sent[j]);
      m->delta[j - j0] = d;
      sent[j] += d;
      any |= d != 0.0f;
    }
    for (uint32_t j = j1; j < j0 + B; j++) m->delta[j - j0] = 0.0f;
    if (any && (rc = ps_inc(w, grad_table(clock), r, m->delta)) < 0) return rc;
  }

  /* 5. the owner stores beta~ of its rows and counts one more write in the
   * stamp; 6. their share of the metrics */
  double l1 = 0.0, nnz = 0.0;
  for (uint32_t r = m->index; r < s->nrows; r += m->nworkers) {
    uint32_t j0 = r * B, j1 = j0 + B < p ? j0 + B : p;
    for (uint32_t j = j0; j < j1; j++) {
      m->delta[j - j0] = m->bdelta[j];
      l1 += fabs(m->beta[j]);
      nnz += m->beta[j] != 0.0;
    }
    for (uint32_t j = j1; j < j0 + B; j++) m->delta[j - j0] = 0.0f;
    m->delta[B] = 1.0f;
    if ((rc = ps_inc(w, LASSO_BETA_TABLE, r, m->delta)) < 0) return rc;
  }
  /* Flops: a dot product and an axpy per stored entry of its samples, and
   * about ten per coefficient for the step and the gradient change. */
  size_t entries = s->data.dense ? (size_t)(m->r1 - m->r0) * p
                                 : s->data.row_start[m->r1] - s->data.row_start[m->r0];
  ps_charge(w, 4.0 * (double)entries + 10.0 * (double)p);

  if (m->index == 0 && s->opt.coef[0] && clock + 1 == s->clocks &&
      (rc = write_coef(s->opt.coef, m->beta, p, b)))
    return rc;

  float row[APP_METRICS_WIDTH] = {(float)sse, (float)l1, (float)nnz, (float)(m->r1 - m->r0)};
  rc = ps_inc(w, APP_METRICS_TABLE, clock, row);
  return rc < 0 ? rc : 0;
}

/* The intercept of beta (b = ybar - xbar . beta) and the worker's copy of
 * beta in double, for write_coef. */
static double cd_coefs(const lasso_shared *s, const lasso_worker *m) {
  for (uint32_t j = 0; j < s->data.p; j++) m->beta[j] = (double)m->cdw.beta[j];
  return s->ymean - m->cdw.cb;
}

/* One clock of a scheduled run: rounds_per_clock tasks (take the changes
 * of the last complete round, send the partial sums of the round's
 * coordinates), then the metrics row of the coefficients this worker knows
 * (the changes of the round it last applied: depth + 1 rounds behind the
 * coordinator) and the clock. */
static int cd_clock(lasso_shared *s, lasso_worker *m, ps_worker *w, st_clock_t clock) {
  for (uint32_t k = 0; k < s->sched.rounds_per_clock; k++) {
    sched_task t;
    int rc = ps_task_next(w, &t);
    if (rc) return rc;
    double flops = lasso_cdw_apply(&m->cdw, &s->cd, t.change_vars, t.change_vals, t.nchanges);
    flops += lasso_cdw_partials(&m->cdw, &s->cd, t.vars, t.nvars, m->part);
    ps_charge(w, flops);
    if ((rc = ps_task_done(w, m->part, t.nvars))) return rc;
  }
  float row[APP_METRICS_WIDTH] = {(float)lasso_cdw_sse(&m->cdw, &s->cd), 0.0f, 0.0f,
                                  (float)(m->r1 - m->r0)};
  if (m->index == 0) { /* every worker knows all of beta: one counts it */
    double l1 = 0.0, nnz = 0.0;
    for (uint32_t j = 0; j < s->data.p; j++) {
      l1 += fabs((double)m->cdw.beta[j]);
      nnz += m->cdw.beta[j] != 0.0f;
    }
    row[1] = (float)l1;
    row[2] = (float)nnz;
    if (s->opt.coef[0] && clock + 1 == s->clocks) {
      int rc = write_coef(s->opt.coef, m->beta, s->data.p, cd_coefs(s, m));
      if (rc) return rc;
    }
  }
  int rc = ps_inc(w, APP_METRICS_TABLE, clock, row);
  return rc < 0 ? rc : 0;
}

/* The worker loop: the harness's clock loop for data-parallel runs; for
 * scheduled ones the same hooks around cd_clock. */
static int lasso_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t *clock,
                      char *msg, size_t msglen) {
  lasso_shared *s = run->shared;
  if (s->sched.kind == SCHED_NONE) return harness_clock_loop(run, w, wstate, clock, msg, msglen);
  const harness_hooks *h = run->hooks;
  for (uint32_t c = run->first; c < run->end; c++) {
    *clock = c;
    if (h && h->before_step) h->before_step(h->ctx, w, c);
    int rc = cd_clock(s, wstate, w, c);
    rc = harness_end_clock(run, w, wstate, c, rc, clock, msg, msglen);
    if (rc < 0) return rc;
    if (rc > 0) return 0; /* the scheduler's later rounds are left undone */
  }
  *clock = run->end;
  return 0;
}

static int lasso_sched(void *shared, const sched_params *p, sched_app *out, char *err,
                       size_t errlen) {
  lasso_shared *s = shared;
  if (s->sched.kind == SCHED_NONE || p->kind != s->sched.kind) {
    snprintf(err, errlen, "lasso: loaded without the schedule");
    return ST_ESTATE;
  }
  *out = (sched_app){.ctx = &s->cd, .nvars = s->data.p, .width = 1,
                     .update = lasso_cd_update, .dep = lasso_cd_dep};
  return 0;
}

/* A worker's own state is what it has added to the two gradient tables so
 * far: u32 p, then 2 p doubles (even, odd). */
static int lasso_worker_save(void *shared, void *wstate, uint8_t **buf, size_t *len) {
  const lasso_shared *s = shared;
  const lasso_worker *m = wstate;
  uint32_t p = s->data.p;
  if (s->sched.kind != SCHED_NONE) return ST_ESTATE; /* the scheduler keeps no checkpoint */
  size_t each = (size_t)p * sizeof(double);
  uint8_t *b = malloc(4 + 2 * each);
  if (!b) return ST_ENOMEM;
  memcpy(b, &p, 4);
  memcpy(b + 4, m->sent[0], each);
  memcpy(b + 4 + each, m->sent[1], each);
  *buf = b;
  *len = 4 + 2 * each;
  return 0;
}

static int lasso_worker_load(void *shared, void *wstate, const uint8_t *buf, size_t len) {
  const lasso_shared *s = shared;
  lasso_worker *m = wstate;
  uint32_t p;
  size_t each = (size_t)s->data.p * sizeof(double);
  if (len != 4 + 2 * each) return ST_EFRAME;
  memcpy(&p, buf, 4);
  if (p != s->data.p) return ST_EFRAME;
  memcpy(m->sent[0], buf + 4, each);
  memcpy(m->sent[1], buf + 4 + each, each);
  return 0;
}

/* The model's terms (app_ops.model_terms): F at the coefficients the
 * servers hold (BETA's rows, stamps aside), this worker's share as step
 * writes it: {its samples' squared residuals, ||beta||_1 and nnz(beta) of
 * the rows it owns, its sample count}. At s = 0 the table holds exactly the
 * beta~ every worker evaluated in the clock, so the model's objective is
 * the workers' one. A scheduled run's coefficients live in the scheduler,
 * not in the PS: no model to read (1). */
static int lasso_model_terms(void *shared, void *wstate, const app_model *md, float *row) {
  const lasso_shared *s = shared;
  const lasso_worker *m = wstate;
  if (s->sched.kind != SCHED_NONE) return 1;
  const uint32_t p = s->data.p, B = s->block;
  double *beta = malloc(((size_t)p + 1) * sizeof *beta);
  double *acc = calloc((size_t)p + 1, sizeof *acc);
  float *r = malloc(((size_t)B + 1) * sizeof *r);
  int rc = beta && acc && r ? 0 : ST_ENOMEM;
  double b = s->ymean, l1 = 0.0, nnz = 0.0;
  for (uint32_t k = 0; k < s->nrows && rc == 0; k++) {
    if ((rc = md->read(md->ctx, LASSO_BETA_TABLE, k, r)) != 0) break;
    uint32_t j0 = k * B, j1 = j0 + B < p ? j0 + B : p;
    int own = k % m->nworkers == m->index;
    for (uint32_t j = j0; j < j1; j++) {
      beta[j] = (double)r[j - j0];
      b -= s->mean[j] * beta[j];
      if (own) {
        l1 += fabs(beta[j]);
        nnz += beta[j] != 0.0;
      }
    }
  }
  if (rc == 0) {
    double sse = 0.0, rsum = 0.0;
    lasso_pass(&s->data, m->r0, m->r1, beta, b, &sse, &rsum, acc);
    row[0] = (float)sse;
    row[1] = (float)l1;
    row[2] = (float)nnz;
    row[3] = (float)(m->r1 - m->r0);
  }
  free(beta);
  free(acc);
  free(r);
  return rc;
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
    .summary = "Lasso by data-parallel proximal gradient (coefficients and gradient in the PS), "
               "or with --schedule by scheduled coordinate descent; "
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
    .model_terms = lasso_model_terms,
    .free = lasso_free,
    .nextra = 1,
    .extra_names = lasso_extra_names,
    .extra = lasso_app_nnz,
    .loop = lasso_loop,
    .sched = lasso_sched,
};
