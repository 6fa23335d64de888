#include "mem_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_frame {
  struct mem_frame *next;
  uint32_t src, dst;
  uint64_t ready; /* step at which it may be delivered */
  size_t len;
  uint8_t bytes[];
} mem_frame;

typedef struct mem_chan {
  mem_frame *head, *tail;
  uint64_t last_ready; /* keeps the channel FIFO under random delays */
} mem_chan;

typedef struct mem_timer {
  uint64_t due, seq, token;
  uint32_t node;
} mem_timer;

typedef struct mem_ctx {
  mem_world *w;
  uint32_t id;
  st_backend be;
  uint8_t *woken; /* per worker */
  double charged;
} mem_ctx;

struct mem_world {
  st_config cfg;
  mem_opts opts;
  uint32_t nnodes;
  uint64_t rng, step, pending, frames, bytes;
  int error;
  mem_chan *chans; /* nnodes * nnodes, index src * nnodes + dst */
  mem_timer *timers; /* armed, unordered */
  size_t ntimers, captimers;
  uint64_t timer_seq;
  uint64_t sends;    /* calls of send(), failed ones included */
  uint32_t *sent_by; /* frames accepted from each node */
  mem_ctx *ctx;
  st_node **nodes;
};

static uint64_t mem_next(mem_world *w) {
  uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint32_t mem_rand(mem_world *w, uint32_t n) { return n ? (uint32_t)(mem_next(w) % n) : 0; }

static void mem_enqueue(mem_world *w, uint32_t src, uint32_t dst, const uint8_t *bytes, size_t len) {
  mem_frame *f = malloc(sizeof *f + len);
  if (!f) abort(); /* a test backend may stop the test on OOM */
  f->next = NULL;
  f->src = src;
  f->dst = dst;
  f->len = len;
  memcpy(f->bytes, bytes, len);
  mem_chan *ch = &w->chans[(size_t)src * w->nnodes + dst];
  f->ready = w->step + mem_rand(w, w->opts.max_delay + 1);
  if (f->ready < ch->last_ready) f->ready = ch->last_ready;
  ch->last_ready = f->ready;
  if (ch->tail)
    ch->tail->next = f;
  else
    ch->head = f;
  ch->tail = f;
  w->pending++;
}

static int mem_send(void *vctx, uint32_t dst, const uint8_t *frame, size_t len) {
  mem_ctx *c = vctx;
  mem_world *w = c->w;
  if (dst >= w->nnodes) return ST_EINVAL;
  if (++w->sends == w->opts.fail_send_at) return w->opts.fail_send_rc;
  uint32_t nth = ++w->sent_by[c->id];
  if (w->opts.lose_node == c->id + 1 && nth >= w->opts.lose_first && nth <= w->opts.lose_last)
    return 0; /* accepted, then lost on the way */
  if (w->opts.silent_node == c->id + 1 && nth > w->opts.silent_after) {
    w->frames++; /* it left, and will never arrive */
    w->bytes += len;
    return 0;
  }
  w->frames++;
  w->bytes += len;
  mem_enqueue(w, c->id, dst, frame, len);
  /* A resent client frame (as after a reconnect) must be dropped by the
   * shard, so the test can ask for some. */
  int to_server = len > 9 && frame[5] != WIRE_ROWS;
  if (to_server && w->opts.dup_client_pct > 0 &&
      mem_rand(w, 10000) < (uint32_t)(w->opts.dup_client_pct * 100))
    mem_enqueue(w, c->id, dst, frame, len);
  return 0;
}

static double mem_now(void *vctx) { return (double)((mem_ctx *)vctx)->w->step; }

static int mem_timer_arm(void *vctx, double delay, uint64_t token) {
  mem_ctx *c = vctx;
  mem_world *w = c->w;
  if (!(delay >= 0) || delay > 1e12) return ST_EINVAL;
  if (w->ntimers == w->captimers) {
    size_t cap = w->captimers ? 2 * w->captimers : 16;
    mem_timer *t = realloc(w->timers, cap * sizeof *t);
    if (!t) return ST_ENOMEM;
    w->timers = t;
    w->captimers = cap;
  }
  uint64_t steps = (uint64_t)delay;
  if ((double)steps < delay) steps++;
  w->timers[w->ntimers++] = (mem_timer){.due = w->step + steps, .seq = w->timer_seq++,
                                        .token = token, .node = c->id};
  return 0;
}

/* Index of the timer that fires next (earliest due, then arming order). */
static size_t mem_next_timer(const mem_world *w) {
  size_t best = 0;
  for (size_t i = 1; i < w->ntimers; i++) {
    const mem_timer *a = &w->timers[i], *b = &w->timers[best];
    if (a->due < b->due || (a->due == b->due && a->seq < b->seq)) best = i;
  }
  return best;
}

static int mem_fire(mem_world *w, size_t i) {
  mem_timer t = w->timers[i];
  w->timers[i] = w->timers[--w->ntimers];
  if (w->step < t.due) w->step = t.due;
  if (w->opts.on_timer) w->opts.on_timer(w->opts.on_timer_arg, t.node, t.token, w->step);
  int rc = node_on_timer(w->nodes[t.node], t.token);
  if (rc && !w->error) w->error = rc;
  return rc ? rc : 1;
}

static void mem_wake(void *vctx, uint32_t worker) {
  mem_ctx *c = vctx;
  c->woken[worker] = 1;
}

static void mem_block(void *vctx, uint32_t worker) {
  mem_ctx *c = vctx;
  while (!c->woken[worker]) {
    int rc = mem_deliver_one(c->w);
    if (rc <= 0) {
      fprintf(stderr, "mem_block: node %u worker %u can never be woken (%s)\n", c->id, worker,
              rc ? st_strerror(rc) : "no frames left");
      abort();
    }
  }
  c->woken[worker] = 0;
}

static void mem_charge(void *vctx, uint32_t worker, double work) {
  (void)worker;
  ((mem_ctx *)vctx)->charged += work;
}

static const st_backend_ops mem_ops = {
    .send = mem_send,
    .now = mem_now,
    .timer = mem_timer_arm,
    .block = mem_block,
    .wake = mem_wake,
    .charge = mem_charge,
};

mem_world *mem_create(const st_config *cfg, const tbl_set *tables, const mem_opts *opts) {
  if (cfg_check(cfg)) return NULL;
  mem_world *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->cfg = *cfg;
  w->opts = *opts;
  w->rng = opts->seed;
  w->nnodes = cfg_nodes(cfg);
  w->chans = calloc((size_t)w->nnodes * w->nnodes, sizeof *w->chans);
  w->ctx = calloc(w->nnodes, sizeof *w->ctx);
  w->sent_by = calloc(w->nnodes, sizeof *w->sent_by);
  w->nodes = calloc(w->nnodes, sizeof *w->nodes);
  if (!w->chans || !w->ctx || !w->nodes || !w->sent_by) goto fail;
  for (uint32_t i = 0; i < w->nnodes; i++) {
    mem_ctx *c = &w->ctx[i];
    c->w = w;
    c->id = i;
    c->be = (st_backend){&mem_ops, c};
    if (!(c->woken = calloc(cfg->workers_per_client, 1))) goto fail;
    if (!(w->nodes[i] = node_create(cfg, tables, i, &c->be))) goto fail;
  }
  return w;
fail:
  mem_destroy(w);
  return NULL;
}

void mem_destroy(mem_world *w) {
  if (!w) return;
  for (size_t i = 0; w->chans && i < (size_t)w->nnodes * w->nnodes; i++) {
    for (mem_frame *f = w->chans[i].head, *n; f; f = n) {
      n = f->next;
      free(f);
    }
  }
  for (uint32_t i = 0; w->ctx && i < w->nnodes; i++) free(w->ctx[i].woken);
  for (uint32_t i = 0; w->nodes && i < w->nnodes; i++) node_destroy(w->nodes[i]);
  free(w->chans);
  free(w->timers);
  free(w->sent_by);
  free(w->ctx);
  free(w->nodes);
  free(w);
}

st_node *mem_node(mem_world *w, uint32_t id) { return id < w->nnodes ? w->nodes[id] : NULL; }
const st_backend *mem_backend(mem_world *w, uint32_t id) { return &w->ctx[id].be; }
uint64_t mem_pending(const mem_world *w) { return w->pending + w->ntimers; }
uint64_t mem_timers_pending(const mem_world *w) { return w->ntimers; }
int mem_error(const mem_world *w) { return w->error; }
uint64_t mem_frames_sent(const mem_world *w) { return w->frames; }
uint64_t mem_bytes_sent(const mem_world *w) { return w->bytes; }
double mem_charged(const mem_world *w, uint32_t id) { return w->ctx[id].charged; }

int mem_take_wake(mem_world *w, uint32_t node, uint32_t worker) {
  int v = w->ctx[node].woken[worker];
  w->ctx[node].woken[worker] = 0;
  return v;
}

int mem_deliver_one(mem_world *w) {
  if (w->pending == 0 && w->ntimers == 0) return 0;
  size_t nch = (size_t)w->nnodes * w->nnodes;
  /* A timer already due fires without time moving; with only timers left,
   * time jumps to the next one. */
  if (w->ntimers) {
    size_t t = mem_next_timer(w);
    if (w->timers[t].due <= w->step || w->pending == 0) return mem_fire(w, t);
  }
  w->step++;
  if (w->ntimers) {
    size_t t = mem_next_timer(w);
    if (w->timers[t].due <= w->step) return mem_fire(w, t);
  }
  /* Among channels whose head is ready, pick one at random; if none is
   * ready yet, jump time to the earliest. */
  uint64_t earliest = UINT64_MAX;
  size_t ready = 0;
  for (size_t i = 0; i < nch; i++) {
    mem_frame *f = w->chans[i].head;
    if (!f) continue;
    if (f->ready <= w->step) ready++;
    if (f->ready < earliest) earliest = f->ready;
  }
  if (ready == 0) {
    if (w->ntimers) { /* a timer due before any frame is ready goes first */
      size_t t = mem_next_timer(w);
      if (w->timers[t].due <= earliest) return mem_fire(w, t);
    }
    w->step = earliest;
    for (size_t i = 0; i < nch; i++)
      if (w->chans[i].head && w->chans[i].head->ready <= w->step) ready++;
  }
  size_t pick = mem_rand(w, (uint32_t)ready);
  for (size_t i = 0; i < nch; i++) {
    mem_chan *ch = &w->chans[i];
    mem_frame *f = ch->head;
    if (!f || f->ready > w->step || pick-- > 0) continue;
    ch->head = f->next;
    if (!ch->head) ch->tail = NULL;
    w->pending--;
    int rc = node_on_frame(w->nodes[f->dst], f->bytes, f->len);
    free(f);
    if (rc && !w->error) w->error = rc;
    return rc ? rc : 1;
  }
  return 0; /* unreachable: ready > 0 */
}

int mem_drain(mem_world *w) {
  int rc;
  while ((rc = mem_deliver_one(w)) > 0) {
  }
  return rc;
}
