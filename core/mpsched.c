/* mpsched.c: see mpsched.h. */
#include "mpsched.h"

#include <math.h>
#include <string.h>

#define SCHED_PRIO_MAX 1e30

/* Row tables inside TASK and RESULT frames. */
enum { SCHED_T_META = 0, SCHED_T_VARS = 1, SCHED_T_CHANGES = 2 };
#define SCHED_ALL UINT32_MAX /* a VARS row for every worker of the node */
#define SCHED_F_HELLO 0x4u   /* RESULT: "this worker is ready", no round */

/* ---- parameters ---------------------------------------------------------- */

static const char *const sched_names[SCHED_KIND_COUNT] = {
    "none", "sequential", "shotgun", "priority", "dependency", "priority+dependency", "rotation"};

sched_params sched_params_defaults(void) {
  return (sched_params){.kind = SCHED_NONE,
                        .size = SCHED_DEFAULT_SIZE,
                        .rho = SCHED_DEFAULT_RHO,
                        .eta = SCHED_DEFAULT_ETA,
                        .depth = 0,
                        .rounds_per_clock = 1,
                        .rounds = 0,
                        .seed = 1};
}

int sched_kind_parse(const char *s, uint8_t *kind) {
  for (uint8_t k = 1; k < SCHED_KIND_COUNT; k++)
    if (!strcmp(s, sched_names[k])) {
      *kind = k;
      return 0;
    }
  return ST_EPARSE;
}

const char *sched_kind_name(uint8_t kind) { return kind < SCHED_KIND_COUNT ? sched_names[kind] : "?"; }

static int kind_filters(uint8_t k) { return k == SCHED_DEPENDENCY || k == SCHED_PRIODEP; }
static int kind_weighted(uint8_t k) { return k == SCHED_PRIORITY || k == SCHED_PRIODEP; }

/* ---- the sampler ----------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double rand_unit(uint64_t *s) { return (double)(splitmix(s) >> 11) * 0x1.0p-53; }

uint32_t sched_rand(uint64_t *state, uint32_t n) {
  return n ? (uint32_t)(((splitmix(state) >> 32) * (uint64_t)n) >> 32) : 0;
}

int sched_sampler_init(sched_sampler *s, uint32_t n, uint64_t seed) {
  memset(s, 0, sizeof *s);
  s->n = n;
  s->rng = seed ^ 0x5343484544554cull; /* "SCHEDUL" */
  s->tree = st_calloc((size_t)n + 1, sizeof *s->tree);
  s->w = st_calloc(n ? n : 1, sizeof *s->w);
  if (!s->tree || !s->w) {
    sched_sampler_free(s);
    return ST_ENOMEM;
  }
  return 0;
}

void sched_sampler_free(sched_sampler *s) {
  st_free(s->tree);
  st_free(s->w);
  s->tree = NULL;
  s->w = NULL;
}

void sched_sampler_set_all(sched_sampler *s, const double *w) {
  /* Built from scratch in O(n): no drift from earlier point updates, so a
   * round's draws depend only on the weights. */
  memcpy(s->w, w, s->n * sizeof *w);
  for (uint32_t i = 1; i <= s->n; i++) s->tree[i] = s->w[i - 1];
  for (uint32_t i = 1; i <= s->n; i++) {
    uint32_t j = i + (i & -i);
    if (j <= s->n) s->tree[j] += s->tree[i];
  }
}

void sched_sampler_set(sched_sampler *s, uint32_t i, double w) {
  double d = w - s->w[i];
  s->w[i] = w;
  for (uint32_t j = i + 1; j <= s->n; j += j & -j) s->tree[j] += d;
}

int64_t sched_sampler_draw(sched_sampler *s) {
  double total = 0.0;
  for (uint32_t j = s->n; j > 0; j -= j & -j) total += s->tree[j];
  if (!(total > 0.0)) return -1;
  double u = rand_unit(&s->rng) * total;
  uint32_t pos = 0, step = 1;
  while (step * 2 <= s->n) step *= 2;
  for (; step; step /= 2)
    if (pos + step <= s->n && s->tree[pos + step] <= u) {
      pos += step;
      u -= s->tree[pos];
    }
  /* pos is the 0-based index drawn; rounding can land on a zero weight at
   * the ends: take the nearest positive one. */
  if (pos >= s->n) pos = s->n - 1;
  uint32_t i = pos;
  while (i < s->n && !(s->w[i] > 0.0)) i++;
  if (i == s->n) {
    i = pos;
    while (i > 0 && !(s->w[i] > 0.0)) i--;
    if (!(s->w[i] > 0.0)) return -1;
  }
  sched_sampler_set(s, i, 0.0);
  return i;
}

/* ---- the coordinator ------------------------------------------------------- */

/* One dispatched round. */
typedef struct sched_slot {
  uint32_t round;
  uint32_t nvars;
  uint32_t *vars; /* [size] broadcast: the set; rotation: [W] block of worker g */
  float *res;     /* [W * size * width] results by worker */
  uint8_t *from;  /* [W] */
  uint32_t got;
} sched_slot;

struct sched_coord {
  st_config cfg;
  sched_params p;
  sched_app app;
  const st_backend *be;
  sched_agent *local;
  uint32_t nworkers, wpn, nnodes;
  uint32_t hellos;
  uint8_t *hello; /* [W] */
  float *val;     /* [nvars] */
  double *prio;   /* [nvars] */
  uint8_t *inflight;
  double *weights; /* [nvars] scratch */
  sched_sampler smp;
  uint32_t nslots;   /* depth + 1 */
  sched_slot *slots; /* ring by round % nslots */
  uint32_t next;     /* next round to dispatch */
  uint32_t done;     /* rounds complete */
  uint32_t *cvars;   /* [size or W] changes of the last complete round */
  float *cvals;
  uint32_t nchanges;
  uint32_t *busy; /* [(depth + 1) * size]: in flight, then this round's picks */
  double *sum;    /* [width] */
  float *zeros;   /* [size or W] */
  wire_buf out;
  sched_stats st;
};

static uint32_t slot_cap(const sched_coord *c) {
  return c->p.kind == SCHED_ROTATION ? c->nworkers : c->p.size;
}

sched_coord *sched_coord_create(const st_config *cfg, const sched_params *p,
                                const sched_app *app, const st_backend *be, sched_agent *local) {
  if (cfg_check(cfg) || !be || !p || !app || p->kind == SCHED_NONE || p->kind >= SCHED_KIND_COUNT ||
      p->size == 0 || !(p->eta > 0) || !(p->rho >= 0) || app->nvars == 0 || app->width == 0 ||
      p->rounds_per_clock == 0)
    return NULL;
  uint32_t W = cfg->nclients * cfg->workers_per_client;
  if (p->kind == SCHED_ROTATION ? app->nvars < W : !app->update) return NULL;
  if (kind_filters(p->kind) && !app->dep) return NULL;
  sched_coord *c = st_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->cfg = *cfg;
  c->p = *p;
  if (c->p.size > app->nvars) c->p.size = app->nvars;
  c->app = *app;
  c->be = be;
  c->local = local;
  c->nworkers = W;
  c->wpn = cfg->workers_per_client;
  c->nnodes = cfg->nclients;
  c->nslots = p->depth + 1;
  uint32_t n = app->nvars, cap = slot_cap(c);
  c->hello = st_calloc(W, 1);
  c->val = st_calloc(n, sizeof *c->val);
  c->prio = st_calloc(n, sizeof *c->prio);
  c->inflight = st_calloc(n, 1);
  c->weights = st_calloc(n, sizeof *c->weights);
  c->slots = st_calloc(c->nslots, sizeof *c->slots);
  c->cvars = st_calloc(cap, sizeof *c->cvars);
  c->cvals = st_calloc(cap, sizeof *c->cvals);
  c->busy = st_calloc((size_t)cap * c->nslots, sizeof *c->busy);
  c->sum = st_calloc(app->width, sizeof *c->sum);
  c->zeros = st_calloc(cap, sizeof *c->zeros);
  int bad = !c->hello || !c->val || !c->prio || !c->inflight || !c->weights || !c->slots ||
            !c->cvars || !c->cvals || !c->busy || !c->sum || !c->zeros || sched_sampler_init(&c->smp, n, p->seed);
  for (uint32_t i = 0; !bad && i < c->nslots; i++) {
    sched_slot *s = &c->slots[i];
    s->vars = st_calloc(cap, sizeof *s->vars);
    s->res = st_calloc((size_t)W * cap * app->width, sizeof *s->res);
    s->from = st_calloc(W, 1);
    bad = !s->vars || !s->res || !s->from;
  }
  if (bad) {
    sched_coord_destroy(c);
    return NULL;
  }
  /* No change seen yet: every variable starts at the top priority, so the
   * first rounds spread over the model before the changes steer them. */
  for (uint32_t j = 0; j < n; j++) c->prio[j] = 1.0 + c->p.eta;
  return c;
}

void sched_coord_destroy(sched_coord *c) {
  if (!c) return;
  for (uint32_t i = 0; c->slots && i < c->nslots; i++) {
    st_free(c->slots[i].vars);
    st_free(c->slots[i].res);
    st_free(c->slots[i].from);
  }
  st_free(c->slots);
  st_free(c->hello);
  st_free(c->val);
  st_free(c->prio);
  st_free(c->inflight);
  st_free(c->weights);
  st_free(c->cvars);
  st_free(c->cvals);
  st_free(c->busy);
  st_free(c->sum);
  st_free(c->zeros);
  sched_sampler_free(&c->smp);
  wire_buf_free(&c->out);
  st_free(c);
}

/* Whether candidate j may join the picked set: its dependency with every
 * variable picked so far is at most rho. */
static int dep_admits(sched_coord *c, const uint32_t *picked, uint32_t n, uint32_t j,
                      double *work, double *worst) {
  double w = 0.0;
  for (uint32_t i = 0; i < n; i++) {
    double d = c->app.dep(c->app.ctx, picked[i], j, work);
    c->st.dep_calls++;
    if (!(d <= c->p.rho)) return 0;
    if (d > w) w = d;
  }
  if (w > *worst) *worst = w;
  return 1;
}

/* Fills slot s with round k's variables; *work gets the modeled cost. */
static void pick_round(sched_coord *c, sched_slot *s, uint32_t k, double *work) {
  uint32_t n = c->app.nvars, size = c->p.size;
  s->nvars = 0;
  if (c->p.kind == SCHED_ROTATION) {
    for (uint32_t g = 0; g < c->nworkers; g++) s->vars[g] = (uint32_t)(((uint64_t)g + k) % n);
    s->nvars = c->nworkers;
    *work += c->nworkers;
    return;
  }
  if (c->p.kind == SCHED_SEQUENTIAL) {
    uint32_t j = k % n;
    if (!c->inflight[j]) s->vars[s->nvars++] = j;
    *work += 1;
    return;
  }
  int weighted = kind_weighted(c->p.kind), filter = kind_filters(c->p.kind);
  for (uint32_t j = 0; j < n; j++)
    c->weights[j] = c->inflight[j] ? 0.0 : weighted ? c->prio[j] : 1.0;
  sched_sampler_set_all(&c->smp, c->weights);
  *work += 2.0 * n; /* the tree is rebuilt each round */
  uint32_t draws = filter ? size * SCHED_OVERSAMPLE : size;
  double logn = 1.0;
  for (uint32_t m = n; m > 1; m /= 2) logn += 1.0;
  double worst = 0.0;
  /* The filter compares with every variable in flight as well: a pipelined
   * round runs beside them on a residual that lacks their changes. */
  uint32_t nbusy = 0;
  if (filter)
    for (uint32_t r = c->done; r < c->next; r++) {
      const sched_slot *o = &c->slots[r % c->nslots];
      for (uint32_t i = 0; i < o->nvars; i++) c->busy[nbusy++] = o->vars[i];
    }
  for (uint32_t d = 0; d < draws && s->nvars < size; d++) {
    int64_t j = sched_sampler_draw(&c->smp);
    if (j < 0) break;
    *work += 4.0 * logn;
    if (filter && !dep_admits(c, c->busy, nbusy, (uint32_t)j, work, &worst)) {
      c->st.rejected++;
      continue;
    }
    s->vars[s->nvars++] = (uint32_t)j;
    if (filter) c->busy[nbusy++] = (uint32_t)j;
  }
  if (filter && worst > c->st.max_admitted) c->st.max_admitted = worst;
}

static void put_double(float *v, double x) {
  v[0] = (float)x;
  v[1] = (float)(x - (double)v[0]);
}

/* Sends round s to every node (node 0's own goes to its agent directly). */
static int dispatch(sched_coord *c, sched_slot *s, double work);

/* The TASK frames of a round: meta, the picked set (or each worker's block)
 * and the changes of the last complete round. */
static int build_task(sched_coord *c, const sched_slot *s, uint32_t node, double work,
                      const float *zeros) {
  wire_header h = {.type = WIRE_TASK, .src = 0, .dst = node, .clock = s->round};
  float meta[2];
  put_double(meta, work);
  int rc = wire_begin(&c->out, &h, c->cfg.max_frame);
  if (rc == 0) rc = wire_add_dense(&c->out, SCHED_T_META, 0, meta, 2);
  if (c->p.kind == SCHED_ROTATION) {
    for (uint32_t k = 0; rc == 0 && k < c->wpn; k++)
      rc = wire_add_pairs(&c->out, SCHED_T_VARS, k, &s->vars[node * c->wpn + k], zeros, 1);
  } else if (rc == 0) {
    rc = wire_add_pairs(&c->out, SCHED_T_VARS, SCHED_ALL, s->vars, zeros, s->nvars);
  }
  if (rc == 0 && c->nchanges)
    rc = wire_add_pairs(&c->out, SCHED_T_CHANGES, 0, c->cvars, c->cvals, c->nchanges);
  return rc ? rc : wire_finish(&c->out);
}

static int dispatch(sched_coord *c, sched_slot *s, double work) {
  /* The VARS rows' values carry nothing: zeros. */
  const float *zeros = c->zeros;
  for (uint32_t node = 0; node < c->nnodes; node++) {
    int rc = build_task(c, s, node, work, zeros);
    if (rc) return rc;
    if (node == 0) {
      wire_msg m;
      rc = wire_decode(c->out.data, c->out.len, c->out.len, &m);
      if (rc == 0) rc = sched_agent_on_message(c->local, &m);
    } else {
      rc = c->be->ops->send(c->be->ctx, node, c->out.data, c->out.len);
    }
    if (rc) return rc;
  }
  return 0;
}

/* Picks and sends round c->next. */
static int start_round(sched_coord *c) {
  uint32_t k = c->next;
  sched_slot *s = &c->slots[k % c->nslots];
  s->round = k;
  s->got = 0;
  memset(s->from, 0, c->nworkers);
  double work = 0.0;
  pick_round(c, s, k, &work);
  if (c->p.kind != SCHED_ROTATION)
    for (uint32_t i = 0; i < s->nvars; i++) c->inflight[s->vars[i]] = 1;
  c->st.picked += s->nvars;
  c->next++;
  int rc = dispatch(c, s, work);
  c->nchanges = 0; /* sent with this round */
  return rc;
}

/* The oldest round is complete: new values, priorities, changes to send. */
static void complete_round(sched_coord *c, sched_slot *s) {
  uint32_t width = c->app.width, cap = slot_cap(c);
  c->nchanges = 0;
  if (c->p.kind != SCHED_ROTATION) {
    for (uint32_t i = 0; i < s->nvars; i++) {
      uint32_t j = s->vars[i];
      for (uint32_t q = 0; q < width; q++) c->sum[q] = 0.0;
      for (uint32_t g = 0; g < c->nworkers; g++) {
        const float *r = &s->res[((size_t)g * cap + i) * width];
        for (uint32_t q = 0; q < width; q++) c->sum[q] += (double)r[q];
      }
      float old = c->val[j], nv = c->app.update(c->app.ctx, j, old, c->sum);
      double d = (double)nv - (double)old;
      c->val[j] = nv;
      /* A diverging app's values overflow: its priorities stay finite so
       * the sampler keeps working while the objective shows the rest. */
      double pr = d * d + c->p.eta;
      c->prio[j] = pr < SCHED_PRIO_MAX ? pr : SCHED_PRIO_MAX;
      c->inflight[j] = 0;
      if (nv != old) {
        c->cvars[c->nchanges] = j;
        c->cvals[c->nchanges++] = nv;
      }
    }
  }
  c->done++;
  c->st.rounds_done++;
}

static int hello(sched_coord *c, uint32_t g) {
  if (c->hello[g]) return ST_EPEER;
  c->hello[g] = 1;
  if (++c->hellos < c->nworkers) return 0;
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < c->nslots && c->next < c->p.rounds; i++) rc = start_round(c);
  return rc;
}

int sched_coord_on_message(sched_coord *c, const wire_msg *m) {
  if (m->hdr.type != WIRE_RESULT || m->hdr.src >= c->nnodes) return ST_EPEER;
  wire_iter it;
  wire_row row;
  wire_iter_init(&it, m);
  if (m->nrows != 1 || !wire_next(&it, &row) || row.table != 0 || row.row >= c->wpn)
    return ST_EPEER;
  uint32_t g = m->hdr.src * c->wpn + row.row;
  if (m->hdr.flags & SCHED_F_HELLO) {
    if (row.kind != WIRE_ROW_ID) return ST_EPEER;
    return hello(c, g);
  }
  uint32_t k = m->hdr.clock;
  if (c->hellos < c->nworkers || k < c->done || k >= c->next) return ST_ESTATE;
  sched_slot *s = &c->slots[k % c->nslots];
  if (s->from[g]) return ST_EPEER;
  uint32_t cap = slot_cap(c), width = c->app.width;
  uint32_t want = (c->p.kind == SCHED_ROTATION ? 1 : s->nvars) * width;
  if (want == 0 ? row.kind != WIRE_ROW_ID : (row.kind != WIRE_ROW_DENSE || row.n != want))
    return ST_ERANGE;
  float *dst = &s->res[(size_t)g * cap * width];
  for (uint32_t i = 0; i < want; i++) {
    uint32_t col;
    wire_row_value(&row, i, &col, &dst[i]);
  }
  s->from[g] = 1;
  s->got++;
  int rc = 0;
  while (rc == 0 && c->done < c->next && c->slots[c->done % c->nslots].got == c->nworkers) {
    complete_round(c, &c->slots[c->done % c->nslots]);
    if (c->next < c->p.rounds) rc = start_round(c);
  }
  return rc;
}

const float *sched_coord_values(const sched_coord *c) { return c->val; }
double sched_coord_priority(const sched_coord *c, uint32_t var) {
  return var < c->app.nvars ? c->prio[var] : 0.0;
}
const sched_stats *sched_coord_stats(const sched_coord *c) { return &c->st; }
int sched_coord_finished(const sched_coord *c) { return c->done == c->p.rounds; }

/* ---- the agent ------------------------------------------------------------- */

typedef struct agent_task {
  sched_task t;
  uint32_t *buf; /* vars then change vars */
  float *vals;
} agent_task;

typedef struct agent_queue {
  agent_task *q;
  size_t cap, head, len; /* ring */
  uint8_t said_hello, busy;
  agent_task cur;
} agent_queue;

struct sched_agent {
  st_config cfg;
  uint32_t node, wpn;
  const st_backend *be;
  sched_coord *local;
  agent_queue *w; /* [wpn] */
  wire_buf out;
};

sched_agent *sched_agent_create(const st_config *cfg, uint32_t node, const st_backend *be) {
  if (cfg_check(cfg) || node >= cfg->nclients || !be) return NULL;
  sched_agent *a = st_calloc(1, sizeof *a);
  if (!a) return NULL;
  a->cfg = *cfg;
  a->node = node;
  a->wpn = cfg->workers_per_client;
  a->be = be;
  if (!(a->w = st_calloc(a->wpn, sizeof *a->w))) {
    st_free(a);
    return NULL;
  }
  return a;
}

static void task_free(agent_task *t) {
  st_free(t->buf);
  st_free(t->vals);
  t->buf = NULL;
  t->vals = NULL;
}

void sched_agent_destroy(sched_agent *a) {
  if (!a) return;
  for (uint32_t k = 0; k < a->wpn; k++) {
    agent_queue *q = &a->w[k];
    for (size_t i = 0; i < q->len; i++) task_free(&q->q[(q->head + i) % q->cap]);
    task_free(&q->cur);
    st_free(q->q);
  }
  st_free(a->w);
  wire_buf_free(&a->out);
  st_free(a);
}

void sched_agent_set_local(sched_agent *a, sched_coord *c) { a->local = c; }

/* Sends the frame in a->out to node 0 (or hands it to the local coordinator). */
static int agent_send(sched_agent *a) {
  int rc = wire_finish(&a->out);
  if (rc) return rc;
  if (a->node != 0) return a->be->ops->send(a->be->ctx, 0, a->out.data, a->out.len);
  if (!a->local) return ST_ESTATE;
  wire_msg m;
  rc = wire_decode(a->out.data, a->out.len, a->out.len, &m);
  return rc ? rc : sched_coord_on_message(a->local, &m);
}

int sched_agent_next(sched_agent *a, uint32_t worker, sched_task *t) {
  if (worker >= a->wpn) return ST_EINVAL;
  agent_queue *q = &a->w[worker];
  if (!q->said_hello) {
    q->said_hello = 1;
    wire_header h = {.type = WIRE_RESULT, .flags = SCHED_F_HELLO, .src = a->node, .dst = 0};
    int rc = wire_begin(&a->out, &h, a->cfg.max_frame);
    if (rc == 0) rc = wire_add_id(&a->out, 0, worker);
    if (rc == 0) rc = agent_send(a);
    if (rc) return rc;
  }
  if (q->busy) return ST_ESTATE;
  if (q->len == 0) return ST_WAIT;
  task_free(&q->cur);
  q->cur = q->q[q->head];
  q->head = (q->head + 1) % q->cap;
  q->len--;
  q->busy = 1;
  *t = q->cur.t;
  return 0;
}

int sched_agent_done(sched_agent *a, uint32_t worker, const float *vals, uint32_t n) {
  if (worker >= a->wpn) return ST_EINVAL;
  agent_queue *q = &a->w[worker];
  if (!q->busy) return ST_ESTATE;
  wire_header h = {.type = WIRE_RESULT, .src = a->node, .dst = 0, .clock = q->cur.t.round};
  int rc = wire_begin(&a->out, &h, a->cfg.max_frame);
  if (rc == 0) rc = n ? wire_add_dense(&a->out, 0, worker, vals, n) : wire_add_id(&a->out, 0, worker);
  if (rc) return rc;
  q->busy = 0; /* before sending: node 0's coordinator may hand it the next task at once */
  return agent_send(a);
}

static int agent_push(agent_queue *q, const agent_task *t) {
  if (q->len == q->cap) {
    size_t ncap = q->cap ? q->cap * 2 : 4;
    agent_task *nq = st_calloc(ncap, sizeof *nq);
    if (!nq) return ST_ENOMEM;
    for (size_t i = 0; i < q->len; i++) nq[i] = q->q[(q->head + i) % q->cap];
    st_free(q->q);
    q->q = nq;
    q->cap = ncap;
    q->head = 0;
  }
  q->q[(q->head + q->len) % q->cap] = *t;
  q->len++;
  return 0;
}

/* Copies the task for one worker from the frame's rows. */
static int task_copy(agent_task *t, uint32_t round, double work, const wire_row *vars,
                     const wire_row *chg) {
  uint32_t nv = vars->n, nc = chg ? chg->n : 0;
  t->buf = st_malloc(((size_t)nv + nc + 1) * sizeof *t->buf);
  t->vals = st_malloc(((size_t)nc + 1) * sizeof *t->vals);
  if (!t->buf || !t->vals) {
    task_free(t);
    return ST_ENOMEM;
  }
  float v;
  for (uint32_t i = 0; i < nv; i++) wire_row_value(vars, i, &t->buf[i], &v);
  for (uint32_t i = 0; i < nc; i++) wire_row_value(chg, i, &t->buf[nv + i], &t->vals[i]);
  t->t = (sched_task){.round = round, .nvars = nv, .vars = t->buf, .nchanges = nc,
                      .change_vars = t->buf + nv, .change_vals = t->vals, .work = work};
  return 0;
}

int sched_agent_on_message(sched_agent *a, const wire_msg *m) {
  if (m->hdr.type != WIRE_TASK || m->hdr.src != 0) return ST_EPEER;
  /* Check the whole frame first: a refused frame queues nothing. */
  wire_iter it;
  wire_row row, chg = {0}, all = {0};
  int have_meta = 0, have_chg = 0, have_all = 0;
  double work = 0.0;
  uint32_t per = 0;
  wire_iter_init(&it, m);
  while (wire_next(&it, &row)) {
    if (row.table == SCHED_T_META) {
      if (row.kind != WIRE_ROW_DENSE || row.n != 2 || have_meta) return ST_EPEER;
      float hi, lo;
      uint32_t col;
      wire_row_value(&row, 0, &col, &hi);
      wire_row_value(&row, 1, &col, &lo);
      work = (double)hi + (double)lo;
      if (!(work >= 0 && work < 1e300)) return ST_ERANGE;
      have_meta = 1;
    } else if (row.table == SCHED_T_VARS) {
      if (row.kind != WIRE_ROW_SPARSE) return ST_EPEER;
      if (row.row == SCHED_ALL) {
        if (have_all || per) return ST_EPEER;
        all = row;
        have_all = 1;
      } else {
        if (row.row >= a->wpn || have_all) return ST_ERANGE;
        per++;
      }
    } else if (row.table == SCHED_T_CHANGES) {
      if (row.kind != WIRE_ROW_SPARSE || have_chg) return ST_EPEER;
      chg = row;
      have_chg = 1;
    } else {
      return ST_EPEER;
    }
  }
  if (!have_meta || (!have_all && per != a->wpn)) return ST_EPEER;
  int rc = 0;
  if (have_all) {
    for (uint32_t k = 0; rc == 0 && k < a->wpn; k++) {
      agent_task t = {0};
      rc = task_copy(&t, m->hdr.clock, work, &all, have_chg ? &chg : NULL);
      if (rc == 0 && (rc = agent_push(&a->w[k], &t))) task_free(&t);
      if (rc == 0) a->be->ops->wake(a->be->ctx, k);
    }
    return rc;
  }
  wire_iter_init(&it, m);
  while (rc == 0 && wire_next(&it, &row)) {
    if (row.table != SCHED_T_VARS) continue;
    agent_task t = {0};
    rc = task_copy(&t, m->hdr.clock, work, &row, have_chg ? &chg : NULL);
    if (rc == 0 && (rc = agent_push(&a->w[row.row], &t))) task_free(&t);
    if (rc == 0) a->be->ops->wake(a->be->ctx, row.row);
  }
  return rc;
}
