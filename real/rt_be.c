/* rt_be.c: the ops table of the real runtime. See rt_be.h. */
#include "rt_be.h"

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

struct rt_timer {
  uv_timer_t t;
  rt_be *b;
  double delay;
  uint64_t token;
  rt_timer *next;
  int started;
};

static int be_send(void *ctx, uint32_t dst, const uint8_t *frame, size_t len) {
  rt_be *b = ctx;
  return rt_net_send(b->net, dst, frame, len);
}

double rt_be_now(rt_be *b) { return (double)(uv_hrtime() - b->t0) / 1e9; }

static double be_now(void *ctx) { return rt_be_now(ctx); }

/* Called with the node lock held (from the core). */
static int be_timer(void *ctx, double delay, uint64_t token) {
  rt_be *b = ctx;
  if (b->failed || !b->arm_open)
    return ST_ESTATE;
  rt_timer *t = calloc(1, sizeof *t);
  if (!t)
    return ST_ENOMEM;
  t->b = b;
  t->delay = delay < 0 ? 0 : delay;
  t->token = token;
  t->next = b->pending;
  b->pending = t;
  uv_async_send(&b->arm);
  return 0;
}

static void timer_closed(uv_handle_t *h) { free(h->data); }

static void unlink_active(rt_be *b, rt_timer *t) {
  rt_timer **pp = &b->active;
  while (*pp && *pp != t)
    pp = &(*pp)->next;
  if (*pp)
    *pp = t->next;
}

static void timer_fired(uv_timer_t *h) {
  rt_timer *t = h->data;
  rt_be *b = t->b;
  unlink_active(b, t);
  pthread_mutex_lock(&b->mu);
  int rc = b->failed ? 0 : node_on_timer(b->node, t->token);
  pthread_mutex_unlock(&b->mu);
  uv_close((uv_handle_t *)&t->t, timer_closed);
  if (rc < 0)
    rt_net_fail(b->net, RT_NO_PEER, "the core rejected a timer it had armed");
}

static void arm_cb(uv_async_t *a) {
  rt_be *b = a->data;
  pthread_mutex_lock(&b->mu);
  rt_timer *list = b->pending;
  b->pending = NULL;
  pthread_mutex_unlock(&b->mu);
  while (list) {
    rt_timer *t = list;
    list = t->next;
    uv_timer_init(b->loop, &t->t);
    t->t.data = t;
    t->next = b->active;
    b->active = t;
    uv_timer_start(&t->t, timer_fired, (uint64_t)(t->delay * 1000.0 + 0.5), 0);
  }
}

/* Called with the node lock held; the wait releases it. */
static void be_block(void *ctx, uint32_t worker) {
  rt_be *b = ctx;
  rt_be_worker *w = &b->w[worker];
  double t0 = rt_be_now(b);
  while (!w->woken || b->failed)
    pthread_cond_wait(&w->cond, &b->mu);
  w->woken = 0;
  w->blocked += rt_be_now(b) - t0;
}

static void be_wake(void *ctx, uint32_t worker) {
  rt_be *b = ctx;
  if (worker >= b->nworkers)
    return;
  b->w[worker].woken = 1;
  pthread_cond_signal(&b->w[worker].cond);
}

/* Real computation already took real time. */
static void be_charge(void *ctx, uint32_t worker, double work) {
  (void)ctx, (void)worker, (void)work;
}

static void be_lock(void *ctx) {
  rt_be *b = ctx;
  rt_net_wait_room(b->net); /* back-pressure, before the core is entered */
  pthread_mutex_lock(&b->mu);
}

static void be_unlock(void *ctx) {
  rt_be *b = ctx;
  if (b->on_unlock)
    b->on_unlock(b->on_unlock_ctx);
  pthread_mutex_unlock(&b->mu);
}

void rt_be_on_unlock(rt_be *b, void (*fn)(void *ctx), void *ctx) {
  b->on_unlock = fn;
  b->on_unlock_ctx = ctx;
}

static const st_backend_ops rt_ops = {be_send, be_now, be_timer, be_block,
                                      be_wake, be_charge, be_lock, be_unlock};

int rt_be_init(rt_be *b, uv_loop_t *loop, uint32_t nworkers) {
  b->nworkers = nworkers;
  b->w = calloc(nworkers ? nworkers : 1, sizeof *b->w);
  if (!b->w)
    return ST_ENOMEM;
  pthread_mutex_init(&b->mu, NULL);
  for (uint32_t i = 0; i < nworkers; i++)
    pthread_cond_init(&b->w[i].cond, NULL);
  b->loop = loop;
  b->t0 = uv_hrtime();
  uv_async_init(loop, &b->arm, arm_cb);
  b->arm.data = b;
  b->arm_open = 1;
  b->be.ops = &rt_ops;
  b->be.ctx = b;
  return 0;
}

void rt_be_attach(rt_be *b, rt_net *net, st_node *node) {
  b->net = net;
  b->node = node;
}

const st_backend *rt_be_backend(rt_be *b) { return &b->be; }

void rt_be_fail(rt_be *b) {
  pthread_mutex_lock(&b->mu);
  b->failed = 1;
  pthread_mutex_unlock(&b->mu);
}

void rt_be_close(rt_be *b) {
  pthread_mutex_lock(&b->mu);
  int open = b->arm_open;
  b->arm_open = 0; /* be_timer checks it under the lock */
  rt_timer *list = b->pending;
  b->pending = NULL;
  pthread_mutex_unlock(&b->mu);
  if (open)
    uv_close((uv_handle_t *)&b->arm, NULL);
  while (list) {
    rt_timer *t = list;
    list = t->next;
    free(t);
  }
  while (b->active) {
    rt_timer *t = b->active;
    b->active = t->next;
    uv_close((uv_handle_t *)&t->t, timer_closed);
  }
}

void rt_be_destroy(rt_be *b) {
  for (uint32_t i = 0; i < b->nworkers; i++)
    pthread_cond_destroy(&b->w[i].cond);
  pthread_mutex_destroy(&b->mu);
  free(b->w);
  b->w = NULL;
}

void rt_be_keep_heap(void) {
#ifdef __GLIBC__
  /* Fixing the trim threshold also fixes glibc's mmap threshold (no longer
   * adapted), so blocks up to 32 MiB (frames) come from the heap too. */
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
#endif
}
