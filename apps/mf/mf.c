/* mf.c: matrix factorization by SGD on the parameter server.
 *
 * Partition: user u belongs to worker u mod nworkers; that worker owns all
 * of u's train and test ratings and u's factor (local memory, never in the
 * PS). Item factors live in table MF_ITEM_TABLE as deltas from a
 * deterministic init (see mf.h).
 *
 * A clock: read (ps_get, so SSP decides freshness) every item row the worker
 * has ratings for into a working copy; run SGD over the next `batch` share
 * of its training ratings (fixed shuffled order, resumed where the last
 * clock stopped), applying each step's item change to the working copy at
 * once (the worker's own updates are visible to it anyway by read-my-writes,
 * so this is plain sequential SGD within the worker) and accumulating it per
 * item; ps_inc each touched item's accumulated delta once; charge the flops;
 * re-read the items of the test ratings (now including this clock's own
 * increments and whatever fresher values arrived) and add {test SSE, test
 * count, train SSE, train count} to metrics row `clock`. The train terms are
 * the errors seen just before each SGD step of the clock.
 *
 * With step=adarevision the item table has the AdaRevision rule: within a
 * clock the working copy of the items stays as read, each rating adds its
 * item gradient to the item's sum (scaled as the deltas are), and the shard
 * turns the sums into steps, revising for what each worker had not seen.
 * Reads of that table show the shard's value without the worker's pending
 * sums (core/cl.h), so the re-read for the metrics does too. step=adagrad
 * is the same without the revision (the ablation). */
#include "mf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "gen.h"
#include "model.h"
#include "ratings.h"
#include "rng.h"

typedef struct mf_shared {
  mf_options opt;
  uint64_t seed;
  mf_ratings data;
  uint8_t *is_test; /* data.n flags from mf_ratings_split */
  float mu;         /* mean training rating */
  /* Ratings grouped by user (indices into data, file order within a user),
   * so a worker visits only its own users: with thousands of simulated
   * workers in one process, scanning all ratings per worker would not do. */
  size_t *user_start; /* nusers + 1 offsets into by_user */
  size_t *by_user;    /* data.n rating indices */
  /* Per item, the factor its pushed delta is scaled by: 1 / (workers with
   * training ratings of it) when averaging. Summing the deltas of hundreds
   * of workers that each took SGD steps on a popular item overshoots and
   * diverges; averaging them is parameter averaging per item. */
  float *item_scale;
  /* --schedule rotation: item i is in block i mod nblocks (nblocks = the
   * workers); round k gives worker g block (g + k) mod nblocks, so no two
   * workers update one item in a round, and a round is a clock. */
  sched_params sched;
  uint32_t nblocks;
} mf_shared;

/* One rating as a worker sees it: local user index, item slot, value. */
typedef struct mf_entry {
  uint32_t user, slot;
  float rating;
} mf_entry;

typedef struct mf_worker {
  uint32_t rank;
  uint32_t nusers;  /* local users: global u = local * nworkers + global_index */
  float *ufac;      /* nusers x rank, owned */
  uint32_t nslots;  /* items this worker has ratings for */
  uint32_t *items;  /* slot -> item id, ascending */
  uint8_t *in_test; /* slot appears in a test rating */
  float *init;      /* nslots x rank, init(item) */
  float *vfac;      /* nslots x rank working copy of the item factors */
  float *delta;     /* nslots x rank accumulated increments of this clock */
  float *moved;     /* reread=1: nslots x rank, this clock's own unscaled
                       change so far (NULL otherwise) */
  uint8_t *touched;
  float *row; /* rank floats: a row read from the PS */
  mf_entry *train, *test;
  size_t ntrain, ntest;
  size_t per_clock, cursor; /* training ratings per clock, next one to visit */
  size_t *blk_start;        /* rotation: train is grouped by block, [nblocks + 1] */
} mf_worker;

static void mf_free(void *shared) {
  mf_shared *s = shared;
  if (!s) return;
  mf_ratings_free(&s->data);
  free(s->is_test);
  free(s->user_start);
  free(s->by_user);
  free(s->item_scale);
  free(s);
}

static int group_by_user(mf_shared *s) {
  const mf_ratings *d = &s->data;
  s->user_start = calloc((size_t)d->nusers + 1, sizeof *s->user_start);
  s->by_user = malloc((d->n + 1) * sizeof *s->by_user);
  if (!s->user_start || !s->by_user) return ST_ENOMEM;
  for (size_t k = 0; k < d->n; k++) s->user_start[d->user[k] + 1]++;
  for (uint32_t u = 0; u < d->nusers; u++) s->user_start[u + 1] += s->user_start[u];
  for (size_t k = 0; k < d->n; k++) s->by_user[s->user_start[d->user[k]]++] = k;
  /* the fill moved every start to the next user's; shift back */
  for (uint32_t u = d->nusers; u > 0; u--) s->user_start[u] = s->user_start[u - 1];
  s->user_start[0] = 0;
  return 0;
}

/* Fills s->item_scale (see mf_shared). Workers are visited one at a time,
 * so "last worker seen" counts each (item, worker) pair once. */
static int item_scales(mf_shared *s, uint32_t nworkers) {
  const mf_ratings *d = &s->data;
  s->item_scale = malloc(((size_t)d->nitems + 1) * sizeof *s->item_scale);
  uint32_t *count = calloc((size_t)d->nitems + 1, sizeof *count);
  uint32_t *last = malloc(((size_t)d->nitems + 1) * sizeof *last);
  int rc = ST_ENOMEM;
  if (!s->item_scale || !count || !last) goto out;
  memset(last, 0xff, ((size_t)d->nitems + 1) * sizeof *last);
  for (uint32_t w = 0; w < nworkers; w++)
    for (uint32_t u = w; u < d->nusers; u += nworkers)
      for (size_t k = s->user_start[u]; k < s->user_start[u + 1]; k++) {
        size_t r = s->by_user[k];
        uint32_t item = d->item[r];
        if (s->is_test[r] || last[item] == w) continue;
        last[item] = w;
        count[item]++;
      }
  for (uint32_t j = 0; j < d->nitems; j++)
    s->item_scale[j] = (s->opt.avg && count[j] > 1) ? 1.0f / (float)count[j] : 1.0f;
  rc = 0;
out:
  free(count);
  free(last);
  return rc;
}

static int mf_load(const app_params *p, void **shared, char *err, size_t errlen) {
  *shared = NULL;
  mf_shared *s = calloc(1, sizeof *s);
  if (!s) return ST_ENOMEM;
  s->seed = p->seed;
  int rc = mf_options_parse(p->options, &s->opt, err, errlen);
  if (rc) goto fail;
  if (p->data) {
    rc = mf_ratings_load(p->data, &s->data, err, errlen);
  } else {
    mf_gen_params g = mf_gen_defaults();
    g.seed = p->seed;
    if (s->opt.gen_users) g.users = s->opt.gen_users;
    if (s->opt.gen_items) g.items = s->opt.gen_items;
    if (s->opt.gen_ratings) g.ratings = s->opt.gen_ratings;
    rc = mf_generate(&g, &s->data, err, errlen);
  }
  if (rc) goto fail;
  rc = ST_ENOMEM;
  s->is_test = malloc(s->data.n);
  if (!s->is_test) goto fail;
  if ((rc = mf_ratings_split(&s->data, p->seed, MF_TEST_FRACTION, s->is_test))) goto fail;
  size_t ntest = 0;
  for (size_t k = 0; k < s->data.n; k++) ntest += s->is_test[k];
  if (ntest == 0) {
    /* Held-out ratings come from users with two or more: without any, the
     * RMSE would be 0/0 in every row. */
    if (err && errlen)
      snprintf(err, errlen, "%s: no user has two ratings or more, so none can be held out to "
                            "measure the RMSE on",
               p->data ? p->data : "the generated ratings");
    rc = ST_EPARSE;
    goto fail;
  }
  double sum = 0.0;
  size_t ntrain = 0;
  for (size_t k = 0; k < s->data.n; k++)
    if (!s->is_test[k]) {
      sum += s->data.rating[k];
      ntrain++;
    }
  s->mu = (float)(sum / (double)ntrain); /* ntrain > 0: every user keeps one */
  if (s->opt.reread && s->opt.step != MF_STEP_SGD) {
    /* An AdaRevision table's reads leave out the worker's own pending
     * updates (the shard decides their step), so there is no own share to
     * put back: rereading would drop this clock's own progress. */
    if (err && errlen) snprintf(err, errlen, "mf: reread=1 takes step=sgd only");
    rc = ST_EINVAL;
    goto fail;
  }
  s->sched = p->sched ? *p->sched : sched_params_defaults();
  if (s->sched.kind != SCHED_NONE) {
    if (s->sched.kind != SCHED_ROTATION || s->sched.rounds_per_clock != 1) {
      if (err && errlen)
        snprintf(err, errlen, "--schedule %s: MF runs the rotation schedule only, one round a "
                              "clock (--rounds-per-clock 1)", sched_kind_name(s->sched.kind));
      rc = ST_EINVAL;
      goto fail;
    }
    if (s->opt.step != MF_STEP_SGD) {
      if (err && errlen)
        snprintf(err, errlen, "--schedule rotation: MF's rotation takes step=sgd only (one worker "
                              "per item a round leaves AdaRevision nothing to revise)");
      rc = ST_EINVAL;
      goto fail;
    }
    s->nblocks = p->nworkers ? p->nworkers : 1;
    s->opt.avg = 0; /* one worker per item a round: nothing to average */
  }
  if ((rc = group_by_user(s))) goto fail;
  if ((rc = item_scales(s, p->nworkers ? p->nworkers : 1))) goto fail;
  *shared = s;
  return 0;
fail:
  if (rc == ST_ENOMEM && err && errlen) snprintf(err, errlen, "mf: out of memory");
  mf_free(s);
  return rc;
}

static int mf_tables(void *shared, tbl_set *set) {
  mf_shared *s = shared;
  tbl_def def = {.id = MF_ITEM_TABLE, .rows = s->data.nitems, .width = s->opt.rank, .sparse = 0};
  if (s->opt.step != MF_STEP_SGD) {
    def.rule = s->opt.step == MF_STEP_ADAREV ? TBL_RULE_ADAREV : TBL_RULE_ADAGRAD;
    def.alpha = s->opt.eta0;
  }
  return tbl_add(set, &def);
}

static void mf_worker_free(void *shared, void *wstate) {
  (void)shared;
  mf_worker *m = wstate;
  if (!m) return;
  free(m->ufac);
  free(m->items);
  free(m->in_test);
  free(m->init);
  free(m->vfac);
  free(m->delta);
  free(m->moved);
  free(m->touched);
  free(m->row);
  free(m->train);
  free(m->test);
  free(m->blk_start);
  free(m);
}

/* Collects the worker's items in ascending order and the item -> slot map. */
static int collect_items(const mf_shared *s, const ps_worker *w, mf_worker *m, uint32_t *slot_of) {
  const mf_ratings *d = &s->data;
  for (uint32_t i = 0; i < d->nitems; i++) slot_of[i] = 0;
  for (uint32_t u = w->global_index; u < d->nusers; u += w->nworkers)
    for (size_t t = s->user_start[u]; t < s->user_start[u + 1]; t++)
      slot_of[d->item[s->by_user[t]]] = 1;
  m->nslots = 0;
  for (uint32_t i = 0; i < d->nitems; i++) m->nslots += slot_of[i];
  size_t cells = (size_t)m->nslots * m->rank;
  m->items = malloc((m->nslots + 1) * sizeof *m->items);
  m->in_test = calloc(m->nslots + 1, 1);
  m->touched = calloc(m->nslots + 1, 1);
  m->init = malloc((cells + 1) * sizeof *m->init);
  m->vfac = malloc((cells + 1) * sizeof *m->vfac);
  m->delta = calloc(cells + 1, sizeof *m->delta);
  if (s->opt.reread) m->moved = calloc(cells + 1, sizeof *m->moved);
  if (!m->items || !m->in_test || !m->touched || !m->init || !m->vfac || !m->delta ||
      (s->opt.reread && !m->moved))
    return ST_ENOMEM;
  uint32_t n = 0;
  for (uint32_t i = 0; i < d->nitems; i++) {
    if (!slot_of[i]) {
      slot_of[i] = UINT32_MAX;
      continue;
    }
    slot_of[i] = n;
    m->items[n] = i;
    mf_init_factor(s->seed, 'i', i, m->rank, m->init + (size_t)n * m->rank);
    n++;
  }
  return 0;
}

static int collect_ratings(const mf_shared *s, const ps_worker *w, mf_worker *m,
                           const uint32_t *slot_of) {
  const mf_ratings *d = &s->data;
  size_t ntrain = 0, ntest = 0;
  for (uint32_t u = w->global_index; u < d->nusers; u += w->nworkers)
    for (size_t t = s->user_start[u]; t < s->user_start[u + 1]; t++) {
      if (s->is_test[s->by_user[t]])
        ntest++;
      else
        ntrain++;
    }
  m->train = malloc((ntrain + 1) * sizeof *m->train);
  m->test = malloc((ntest + 1) * sizeof *m->test);
  if (!m->train || !m->test) return ST_ENOMEM;
  for (uint32_t u = w->global_index; u < d->nusers; u += w->nworkers)
    for (size_t t = s->user_start[u]; t < s->user_start[u + 1]; t++) {
      size_t k = s->by_user[t];
      mf_entry e = {.user = u / w->nworkers, .slot = slot_of[d->item[k]], .rating = d->rating[k]};
      if (s->is_test[k]) {
        m->in_test[e.slot] = 1;
        m->test[m->ntest++] = e;
      } else {
        m->train[m->ntrain++] = e;
      }
    }
  /* A fixed shuffled order: files are often sorted by user, which makes
   * SGD drift along one user at a time. */
  mf_rng r;
  mf_rng_seed(&r, s->seed, ((uint64_t)0x4F44 << 32) | w->global_index);
  for (size_t k = m->ntrain; k > 1; k--) {
    size_t j = (size_t)mf_rng_below(&r, k);
    mf_entry t = m->train[k - 1];
    m->train[k - 1] = m->train[j];
    m->train[j] = t;
  }
  double want = (double)s->opt.batch * (double)m->ntrain;
  m->per_clock = (size_t)want;
  if ((double)m->per_clock < want) m->per_clock++;
  if (m->ntrain == 0) m->per_clock = 0;
  return 0;
}

/* Rotation: orders the training ratings by item block, keeping the
 * shuffled order within a block. */
static int group_by_block(const mf_shared *s, mf_worker *m) {
  uint32_t B = s->nblocks;
  m->blk_start = calloc((size_t)B + 1, sizeof *m->blk_start);
  mf_entry *sorted = malloc((m->ntrain + 1) * sizeof *sorted);
  size_t *at = malloc(((size_t)B + 1) * sizeof *at);
  if (!m->blk_start || !sorted || !at) {
    free(sorted);
    free(at);
    return ST_ENOMEM;
  }
  for (size_t t = 0; t < m->ntrain; t++) m->blk_start[m->items[m->train[t].slot] % B + 1]++;
  for (uint32_t b = 0; b < B; b++) m->blk_start[b + 1] += m->blk_start[b];
  memcpy(at, m->blk_start, (size_t)B * sizeof *at);
  for (size_t t = 0; t < m->ntrain; t++) sorted[at[m->items[m->train[t].slot] % B]++] = m->train[t];
  free(m->train);
  m->train = sorted;
  free(at);
  return 0;
}

static int mf_worker_init(void *shared, ps_worker *w, void **wstate) {
  mf_shared *s = shared;
  *wstate = NULL;
  if (w->nworkers == 0 || w->global_index >= w->nworkers) return ST_EINVAL;
  mf_worker *m = calloc(1, sizeof *m);
  uint32_t *slot_of = malloc(((size_t)s->data.nitems + 1) * sizeof *slot_of);
  int rc = ST_ENOMEM;
  if (!m || !slot_of) goto done;
  m->rank = s->opt.rank;
  m->nusers = s->data.nusers > w->global_index
                  ? (s->data.nusers - w->global_index + w->nworkers - 1) / w->nworkers
                  : 0;
  m->ufac = malloc(((size_t)m->nusers * m->rank + 1) * sizeof *m->ufac);
  m->row = malloc(m->rank * sizeof *m->row);
  if (!m->ufac || !m->row) goto done;
  for (uint32_t lu = 0; lu < m->nusers; lu++)
    mf_init_factor(s->seed, 'u', lu * w->nworkers + w->global_index, m->rank,
                   m->ufac + (size_t)lu * m->rank);
  if ((rc = collect_items(s, w, m, slot_of)) || (rc = collect_ratings(s, w, m, slot_of))) goto done;
  if (s->nblocks && (rc = group_by_block(s, m))) goto done;
  *wstate = m;
  m = NULL;
  rc = 0;
done:
  free(slot_of);
  mf_worker_free(shared, m);
  return rc;
}

/* Refreshes the working copy of slot from the PS: init + table row. */
static int read_item(ps_worker *w, mf_worker *m, uint32_t slot) {
  int rc = ps_get(w, MF_ITEM_TABLE, m->items[slot], m->row);
  if (rc) return rc < 0 ? rc : ST_ESTATE;
  size_t off = (size_t)slot * m->rank;
  for (uint32_t c = 0; c < m->rank; c++) m->vfac[off + c] = m->init[off + c] + m->row[c];
  return 0;
}

static int mf_step(void *shared, void *wstate, ps_worker *w, st_clock_t clock) {
  mf_shared *s = shared;
  mf_worker *m = wstate;
  uint32_t k = m->rank;
  int rc;
  if (clock == 0 && m->nslots && (rc = ps_prefetch(w, MF_ITEM_TABLE, m->items, m->nslots)) < 0)
    return rc;
  for (uint32_t j = 0; j < m->nslots; j++)
    if ((rc = read_item(w, m, j))) return rc;

  double train_sse = 0.0;
  uint32_t parts = s->opt.chunks ? s->opt.chunks : 1;
  if (m->moved) memset(m->moved, 0, (size_t)m->nslots * k * sizeof *m->moved);
  for (uint32_t part = 0; part < parts; part++) {
    size_t from = m->per_clock * part / parts, to = m->per_clock * (part + 1) / parts;
    /* reread=1: a later part starts from the cache again, which holds
     * whatever the shards pushed since (early pushes included) and, by
     * read-my-writes, the scaled share of this clock's own change; the
     * unscaled rest is put back, so the worker's own SGD path is the same
     * as without rereading and only other workers' news is added. */
    for (uint32_t j = 0; part > 0 && m->moved && j < m->nslots; j++) {
      if ((rc = read_item(w, m, j))) return rc;
      float keep = 1.0f - s->item_scale[m->items[j]];
      float *v = m->vfac + (size_t)j * k, *mv = m->moved + (size_t)j * k;
      for (uint32_t c = 0; keep != 0.0f && c < k; c++) v[c] += keep * mv[c];
    }
    for (size_t t = from; t < to; t++) {
      const mf_entry *e = &m->train[m->cursor];
      if (++m->cursor == m->ntrain) m->cursor = 0;
      size_t off = (size_t)e->slot * k;
      float *u = m->ufac + (size_t)e->user * k;
      float err = s->opt.step != MF_STEP_SGD
                      ? mf_grad_update(u, m->vfac + off, m->delta + off, k, e->rating, s->mu,
                                       s->opt.lr, s->opt.reg)
                      : mf_sgd_update(u, m->vfac + off, m->delta + off, k, e->rating, s->mu,
                                      s->opt.lr, s->opt.reg);
      train_sse += (double)err * err;
      m->touched[e->slot] = 1;
    }
    for (uint32_t j = 0; j < m->nslots; j++) {
      if (!m->touched[j]) continue;
      float *d = m->delta + (size_t)j * k;
      float scale = s->item_scale[m->items[j]];
      if (m->moved)
        for (uint32_t c = 0; c < k; c++) m->moved[(size_t)j * k + c] += d[c];
      for (uint32_t c = 0; c < k; c++) d[c] *= scale;
      if ((rc = ps_inc(w, MF_ITEM_TABLE, m->items[j], d)) < 0) return rc;
      memset(d, 0, k * sizeof *d);
      m->touched[j] = 0;
    }
    /* Flops: SGD is a dot product plus two axpy-like updates with their
     * gradient terms (~6 per factor element); evaluation is one dot (with
     * the last part). */
    double flops = (double)(to - from) * k * 6.0;
    if (part + 1 == parts) flops += (double)m->ntest * k * 2.0;
    if (parts == 1)
      ps_charge(w, (double)m->per_clock * k * 6.0 + (double)m->ntest * k * 2.0);
    else
      ps_charge(w, flops);
  }

  for (uint32_t j = 0; j < m->nslots; j++)
    if (m->in_test[j] && (rc = read_item(w, m, j))) return rc;
  double test_sse = 0.0;
  for (size_t t = 0; t < m->ntest; t++) {
    const mf_entry *e = &m->test[t];
    float err = e->rating -
                mf_predict(m->ufac + (size_t)e->user * k, m->vfac + (size_t)e->slot * k, k, s->mu);
    test_sse += (double)err * err;
  }
  float row[APP_METRICS_WIDTH] = {(float)test_sse, (float)m->ntest, (float)train_sse,
                                  (float)m->per_clock};
  rc = ps_inc(w, APP_METRICS_TABLE, clock, row);
  return rc < 0 ? rc : 0;
}

/* Rotation, one round (= clock) on block b: read the block's items this
 * worker rates, one SGD pass over its ratings of them, push the deltas,
 * then the same held-out metrics as mf_step. *train_sse gets the pass's
 * squared errors (the task's result). */
static int mf_rot_step(void *shared, void *wstate, ps_worker *w, uint32_t clock, uint32_t b,
                       float *train_out) {
  mf_shared *s = shared;
  mf_worker *m = wstate;
  uint32_t k = m->rank, B = s->nblocks;
  int rc;
  for (uint32_t j = 0; j < m->nslots; j++)
    if (m->items[j] % B == b && (rc = read_item(w, m, j))) return rc;
  double train_sse = 0.0;
  size_t n = m->blk_start[b + 1] - m->blk_start[b];
  for (size_t t = m->blk_start[b]; t < m->blk_start[b + 1]; t++) {
    const mf_entry *e = &m->train[t];
    size_t off = (size_t)e->slot * k;
    float err = mf_sgd_update(m->ufac + (size_t)e->user * k, m->vfac + off, m->delta + off, k,
                              e->rating, s->mu, s->opt.lr, s->opt.reg);
    train_sse += (double)err * err;
    m->touched[e->slot] = 1;
  }
  for (uint32_t j = 0; j < m->nslots; j++) {
    if (!m->touched[j]) continue;
    float *d = m->delta + (size_t)j * k;
    if ((rc = ps_inc(w, MF_ITEM_TABLE, m->items[j], d)) < 0) return rc;
    memset(d, 0, k * sizeof *d);
    m->touched[j] = 0;
  }
  ps_charge(w, (double)n * k * 6.0 + (double)m->ntest * k * 2.0);
  for (uint32_t j = 0; j < m->nslots; j++)
    if (m->in_test[j] && (rc = read_item(w, m, j))) return rc;
  double test_sse = 0.0;
  for (size_t t = 0; t < m->ntest; t++) {
    const mf_entry *e = &m->test[t];
    float err = e->rating -
                mf_predict(m->ufac + (size_t)e->user * k, m->vfac + (size_t)e->slot * k, k, s->mu);
    test_sse += (double)err * err;
  }
  *train_out = (float)train_sse;
  float row[APP_METRICS_WIDTH] = {(float)test_sse, (float)m->ntest, (float)train_sse, (float)n};
  rc = ps_inc(w, APP_METRICS_TABLE, clock, row);
  return rc < 0 ? rc : 0;
}

/* The worker loop: the harness's clock loop, or under rotation a task per
 * clock, the block it names worked on, its result reported. */
static int mf_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t *clock, char *msg,
                   size_t msglen) {
  mf_shared *s = run->shared;
  if (!s->nblocks) return harness_clock_loop(run, w, wstate, clock, msg, msglen);
  return harness_rotation_loop(run, w, wstate, s->nblocks, mf_rot_step, clock, msg, msglen);
}

static int mf_sched(void *shared, const sched_params *p, sched_app *out, char *err, size_t errlen) {
  mf_shared *s = shared;
  if (!s->nblocks || p->kind != SCHED_ROTATION) {
    snprintf(err, errlen, "mf: loaded without the rotation schedule");
    return ST_ESTATE;
  }
  *out = (sched_app){.ctx = s, .nvars = s->nblocks, .width = 1};
  return 0;
}

/* A worker's own state is its users' factors and where its pass over its
 * ratings stands: u64 cursor, u32 users, u32 rank, then the factors. */
static int mf_worker_save(void *shared, void *wstate, uint8_t **buf, size_t *len) {
  (void)shared;
  const mf_worker *m = wstate;
  size_t nf = (size_t)m->nusers * m->rank;
  uint8_t *b = malloc(16 + nf * sizeof(float));
  if (!b) return ST_ENOMEM;
  uint64_t cursor = m->cursor;
  memcpy(b, &cursor, 8);
  memcpy(b + 8, &m->nusers, 4);
  memcpy(b + 12, &m->rank, 4);
  if (nf) memcpy(b + 16, m->ufac, nf * sizeof(float));
  *buf = b;
  *len = 16 + nf * sizeof(float);
  return 0;
}

static int mf_worker_load(void *shared, void *wstate, const uint8_t *buf, size_t len) {
  (void)shared;
  mf_worker *m = wstate;
  size_t nf = (size_t)m->nusers * m->rank;
  uint64_t cursor;
  uint32_t nusers, rank;
  if (len != 16 + nf * sizeof(float)) return ST_EFRAME;
  memcpy(&cursor, buf, 8);
  memcpy(&nusers, buf + 8, 4);
  memcpy(&rank, buf + 12, 4);
  if (nusers != m->nusers || rank != m->rank || (m->ntrain ? cursor >= m->ntrain : cursor != 0))
    return ST_EFRAME;
  m->cursor = (size_t)cursor;
  if (nf) memcpy(m->ufac, buf + 16, nf * sizeof(float));
  return 0;
}

/* The model's terms (app_ops.model_terms): this worker's held-out ratings
 * predicted from its users' current factors and the item factors the
 * servers hold now (init + table row), not the worker's possibly stale
 * reads. Each held-out item is read once. Same layout as step's row:
 * {test SSE, test count, 0, 0}. */
static int mf_model_terms(void *shared, void *wstate, const app_model *md, float *row) {
  mf_shared *s = shared;
  mf_worker *m = wstate;
  uint32_t k = m->rank;
  float *v = malloc(((size_t)m->nslots + 1) * k * sizeof *v);
  if (!v) return ST_ENOMEM;
  int rc = 0;
  for (uint32_t j = 0; j < m->nslots && rc == 0; j++) {
    if (!m->in_test[j]) continue;
    size_t off = (size_t)j * k;
    if ((rc = md->read(md->ctx, MF_ITEM_TABLE, m->items[j], v + off)) != 0) break;
    for (uint32_t c = 0; c < k; c++) v[off + c] += m->init[off + c];
  }
  double sse = 0.0;
  for (size_t t = 0; t < m->ntest && rc == 0; t++) {
    const mf_entry *e = &m->test[t];
    float err = e->rating - mf_predict(m->ufac + (size_t)e->user * k, v + (size_t)e->slot * k, k, s->mu);
    sse += (double)err * err;
  }
  free(v);
  row[0] = (float)sse;
  row[1] = (float)m->ntest;
  return rc;
}

static double mf_objective(void *shared, const float *metrics_row) {
  (void)shared;
  return mf_rmse(metrics_row);
}

const app_ops mf_app = {
    .name = "mf",
    .summary =
        "matrix factorization by SGD; user factors local, item factors in the PS; "
        "RMSE on a held-out 10% of each user's ratings",
    .load = mf_load,
    .tables = mf_tables,
    .worker_init = mf_worker_init,
    .step = mf_step,
    .worker_free = mf_worker_free,
    .worker_save = mf_worker_save,
    .worker_load = mf_worker_load,
    .objective = mf_objective,
    .objective_name = "rmse",
    .model_terms = mf_model_terms,
    .free = mf_free,
    .loop = mf_loop,
    .sched = mf_sched,
};
