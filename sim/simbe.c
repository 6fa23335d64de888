/* simbe.c: see simbe.h. */
#include "simbe.h"

#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/cond.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/mutex.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SIMBE_SEND, SIMBE_WAKE, SIMBE_TIMER };

/* A frame in flight: the payload SimGrid carries (by pointer). The receiver
 * frees it. */
typedef struct simbe_msg {
  size_t len;
  uint32_t dst;
  uint8_t bytes[];
} simbe_msg;

/* The NIC actor's data (first member: see simbe_sender). */
typedef struct simbe_nic {
  simbe_sender out;
  simbe_node *n;
} simbe_nic;

struct simbe_op {
  uint8_t kind;
  uint32_t target;  /* destination node or worker */
  simbe_msg *msg;   /* SEND: owned by the op until handed to SimGrid */
  double delay;     /* TIMER */
  uint64_t token;   /* TIMER */
};

/* An armed timer. */
typedef struct simbe_due {
  double at;
  uint64_t seq, token;
  uint32_t node;
} simbe_due;

/* Every node's armed timers in a binary min-heap by (at, seq), and the one
 * actor that fires them: an actor per timer would cost a context and a
 * stack each, and paced sends arm one per node per pacing interval. */
struct simbe_timers {
  simbe_sender out; /* first: the actor's data (it flushes nodes' outboxes) */
  simbe_world *world;
  simbe_due *heap;
  size_t n, cap;
  uint64_t seq;
  /* The actor waits on this for the next due time or a new arming. A
   * semaphore, not a condition: a release is never lost, even one that
   * comes between the actor's look at the heap and its wait (SimGrid may
   * run other actors there), so a new earlier timer is never overslept. */
  sg_sem_t kick;
  int waiting; /* the actor waits or is about to: an arming must kick it */
};

static int simbe_push(simbe_node *n, const simbe_op *op) {
  if (n->head == n->n) n->head = n->n = 0; /* empty: reuse from the start */
  if (n->n == n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 16;
    simbe_op *ops = realloc(n->ops, cap * sizeof *ops);
    if (!ops) return ST_ENOMEM;
    n->ops = ops;
    n->cap = cap;
  }
  n->ops[n->n++] = *op;
  return 0;
}

static int simbe_send(void *ctx, uint32_t dst, const uint8_t *frame, size_t len) {
  simbe_node *n = ctx;
  if (dst >= n->world->nnodes) return ST_ESEND;
  simbe_msg *m = malloc(sizeof *m + len);
  if (!m) return ST_ENOMEM;
  m->len = len;
  m->dst = dst;
  memcpy(m->bytes, frame, len);
  simbe_op op = {.kind = SIMBE_SEND, .target = dst, .msg = m};
  if (simbe_push(n, &op) != 0) {
    free(m);
    return ST_ENOMEM;
  }
  n->world->bytes_sent += len;
  n->world->frames_sent++;
  if (n->world->trace) fprintf(n->world->trace, "%u %u %zu\n", (unsigned)n->id, (unsigned)dst, len);
  n->world->inflight++;
  return 0;
}

static double simbe_now(void *ctx) {
  (void)ctx;
  return simgrid_get_clock();
}

static int simbe_timer_arm(void *ctx, double delay, uint64_t token) {
  simbe_node *n = ctx;
  simbe_op op = {.kind = SIMBE_TIMER, .delay = delay > 0 ? delay : 0, .token = token};
  int rc = simbe_push(n, &op);
  if (rc == 0) n->world->inflight++;
  return rc;
}

static void simbe_block(void *ctx, uint32_t worker) {
  simbe_node *n = ctx;
  simbe_flush(n); /* the request this worker waits for must leave first */
  double t0 = simgrid_get_clock();
  sg_mutex_lock(n->mutex);
  while (!n->woken[worker]) sg_cond_wait(n->cond[worker], n->mutex);
  n->woken[worker] = 0;
  sg_mutex_unlock(n->mutex);
  n->world->blocked += simgrid_get_clock() - t0;
}

static void simbe_wake(void *ctx, uint32_t worker) {
  simbe_node *n = ctx;
  if (worker >= n->nworkers) return;
  n->woken[worker] = 1;
  simbe_op op = {.kind = SIMBE_WAKE, .target = worker};
  if (simbe_push(n, &op) != 0)
    simbe_fail(n->world, ST_ENOMEM, "out of memory queueing a wake-up");
}

static void simbe_charge(void *ctx, uint32_t worker, double work) {
  simbe_node *n = ctx;
  double slow = worker < n->nworkers && n->slow ? n->slow[worker] : 1.0;
  sg_actor_execute(work * slow); /* flops on this host: its speed makes it seconds */
}

static void simbe_lock(void *ctx) { (void)ctx; }

static void simbe_unlock(void *ctx) { simbe_flush(ctx); }

const st_backend_ops simbe_ops = {
    .send = simbe_send,
    .now = simbe_now,
    .timer = simbe_timer_arm,
    .block = simbe_block,
    .wake = simbe_wake,
    .charge = simbe_charge,
    .lock = simbe_lock,
    .unlock = simbe_unlock,
};

void simbe_fail(simbe_world *w, int err, const char *msg) {
  if (w->error == 0) {
    w->error = err < 0 ? err : ST_ESTATE;
    snprintf(w->errmsg, sizeof w->errmsg, "%s", msg);
  }
  sg_actor_kill_all();
}

/* The payload of the message that stops a receiver. */
static simbe_msg simbe_stop_msg;

/* Releases the calling actor's oldest sends that have completed. */
static void simbe_reap(simbe_sender *out) {
  while (out->head < out->n && sg_comm_test(out->q[out->head])) out->head++;
  if (out->head == out->n) out->head = out->n = 0;
}

void simbe_reap_all(simbe_sender *out) {
  while (out->head < out->n) sg_comm_wait(out->q[out->head++]);
  free(out->q);
  memset(out, 0, sizeof *out);
}

static int simbe_track(simbe_sender *out, sg_comm_t c) {
  if (out->n == out->cap) {
    if (out->head > 0) { /* slide the live part down before growing */
      memmove(out->q, out->q + out->head, (out->n - out->head) * sizeof *out->q);
      out->n -= out->head;
      out->head = 0;
    }
    if (out->n == out->cap) {
      size_t cap = out->cap ? out->cap * 2 : 16;
      sg_comm_t *q = realloc(out->q, cap * sizeof *q);
      if (!q) return ST_ENOMEM;
      out->q = q;
      out->cap = cap;
    }
  }
  out->q[out->n++] = c;
  return 0;
}

/* One handled frame or timer fewer; wakes the last worker at quiescence. */
static void simbe_handled(simbe_world *w) {
  if (--w->inflight == 0 && w->workers_left == 0) sg_cond_notify_all(w->quiet);
}

void simbe_worker_wait_start(simbe_world *w) {
  sg_mutex_lock(w->mutex);
  while (w->ready < w->ready_needed) sg_cond_wait(w->ready_cond, w->mutex);
  sg_mutex_unlock(w->mutex);
}

static void simbe_registered(simbe_world *w) {
  if (++w->ready == w->ready_needed) sg_cond_notify_all(w->ready_cond);
}

void simbe_worker_done(simbe_world *w, simbe_sender *out) {
  sg_mutex_lock(w->mutex);
  if (--w->workers_left == 0) {
    for (;;) {
      while (w->inflight > 0) sg_cond_wait(w->quiet, w->mutex);
      if (!w->at_quiet) break;
      sg_mutex_unlock(w->mutex);
      int more = w->at_quiet(w->at_quiet_arg);
      sg_mutex_lock(w->mutex);
      if (!more) break;
    }
    w->finished = 1;
    for (uint32_t i = 0; i < w->nnodes; i++) {
      if (w->switch_mode) {
        w->nodes[i].stop = 1;
        sg_cond_notify_one(w->nodes[i].inq_cond);
        sg_cond_notify_one(w->nodes[i].nic_cond);
      } else { /* detached: a few at the very end, so their list stays short */
        sg_comm_detach(sg_mailbox_put_init(w->mbox[i], &simbe_stop_msg, 1), NULL);
      }
    }
    sg_cond_notify_all(w->all_done);
  }
  while (!w->finished) sg_cond_wait(w->all_done, w->mutex);
  sg_mutex_unlock(w->mutex);
  simbe_reap_all(out);
}

static int simbe_due_before(const simbe_due *a, const simbe_due *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int simbe_heap_push(simbe_timers *t, simbe_due d) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 64;
    simbe_due *h = realloc(t->heap, cap * sizeof *h);
    if (!h) return ST_ENOMEM;
    t->heap = h;
    t->cap = cap;
  }
  size_t i = t->n++;
  while (i > 0 && simbe_due_before(&d, &t->heap[(i - 1) / 2])) {
    t->heap[i] = t->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  t->heap[i] = d;
  return 0;
}

static simbe_due simbe_heap_pop(simbe_timers *t) {
  simbe_due top = t->heap[0], last = t->heap[--t->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= t->n) break;
    if (c + 1 < t->n && simbe_due_before(&t->heap[c + 1], &t->heap[c])) c++;
    if (!simbe_due_before(&t->heap[c], &last)) break;
    t->heap[i] = t->heap[c];
    i = c;
  }
  if (t->n) t->heap[i] = last;
  return top;
}

/* Fires due timers in order; sleeps until the next one or a new arming.
 * Daemonized: it ends with the workers, when no timer is left (an armed
 * timer is in flight, so the run waits for it). */
static void simbe_timer_actor(int argc, char **argv) {
  (void)argc;
  (void)argv;
  simbe_timers *t = sg_actor_self_get_data();
  simbe_world *w = t->world;
  sg_actor_daemonize(sg_actor_self());
  for (;;) {
    while (t->n == 0 || t->heap[0].at > simgrid_get_clock()) {
      t->waiting = 1;
      if (t->n == 0)
        sg_sem_acquire(t->kick);
      else
        sg_sem_acquire_timeout(t->kick, t->heap[0].at - simgrid_get_clock());
      t->waiting = 0;
    }
    simbe_due d = simbe_heap_pop(t);
    simbe_node *n = &w->nodes[d.node];
    int rc = node_on_timer(n->node, d.token);
    if (rc != 0) {
      char msg[160];
      snprintf(msg, sizeof msg, "node %u: timer %llu failed: %s", (unsigned)n->id,
               (unsigned long long)d.token, st_strerror(rc));
      simbe_fail(w, rc, msg);
      return;
    }
    simbe_flush(n);
    simbe_handled(w);
    if (t->out.n - t->out.head >= 64) simbe_reap(&t->out);
  }
}

static void simbe_start_timer(simbe_node *n, const simbe_op *op) {
  simbe_timers *t = n->world->timers;
  simbe_due d = {.at = simgrid_get_clock() + op->delay, .seq = t->seq++, .token = op->token,
                 .node = n->id};
  if (simbe_heap_push(t, d) != 0) {
    simbe_fail(n->world, ST_ENOMEM, "out of memory arming a timer");
    return;
  }
  if (t->waiting) {
    t->waiting = 0; /* one kick per wait: later armings find it awake */
    sg_sem_release(t->kick);
  }
}

int simbe_timers_start(simbe_world *w, sg_host_t host) {
  w->timers = calloc(1, sizeof *w->timers);
  if (!w->timers) return ST_ENOMEM;
  w->timers->world = w;
  w->timers->kick = sg_sem_init(0);
  sg_actor_t a = sg_actor_init("timers", host);
  sg_actor_set_data(a, w->timers);
  sg_actor_start(a, simbe_timer_actor, 0, NULL);
  return 0;
}

void simbe_timers_free(simbe_world *w) {
  simbe_timers *t = w->timers;
  if (!t) return;
  sg_sem_destroy(t->kick);
  free(t->out.q);
  free(t->heap);
  free(t);
  w->timers = NULL;
}

static int simbe_wq_push(simbe_node *n, struct simbe_msg *m) {
  if (n->wq_head == n->wq_n) n->wq_head = n->wq_n = 0;
  if (n->wq_n == n->wq_cap) {
    if (n->wq_head > 0) {
      memmove(n->wq, n->wq + n->wq_head, (n->wq_n - n->wq_head) * sizeof *n->wq);
      n->wq_n -= n->wq_head;
      n->wq_head = 0;
    }
    if (n->wq_n == n->wq_cap) {
      size_t cap = n->wq_cap ? n->wq_cap * 2 : 16;
      struct simbe_msg **q = realloc(n->wq, cap * sizeof *q);
      if (!q) return ST_ENOMEM;
      n->wq = q;
      n->wq_cap = cap;
    }
  }
  n->wq[n->wq_n++] = m;
  return 0;
}

void simbe_flush(simbe_node *n) {
  if (n->flushing) return; /* the actor already draining will send these too */
  simbe_sender *out = sg_actor_self_get_data();
  n->flushing = 1;
  if (out->n - out->head >= 64) simbe_reap(out);
  while (n->head < n->n) {
    simbe_op op = n->ops[n->head++]; /* copied: the array may move meanwhile */
    switch (op.kind) {
    case SIMBE_SEND: {
      if (n->world->switch_mode) { /* the NIC sends it */
        if (simbe_wq_push(n, op.msg) != 0) {
          free(op.msg);
          simbe_fail(n->world, ST_ENOMEM, "out of memory queueing a frame at a NIC");
          break;
        }
        if (n->nic_waiting) sg_cond_notify_one(n->nic_cond);
        break;
      }
      sg_comm_t c = sg_mailbox_put_async(n->world->mbox[op.target], op.msg, (long)op.msg->len);
      if (simbe_track(out, c) != 0) sg_comm_wait(c); /* cannot remember it: finish it now */
      break;
    }
    case SIMBE_WAKE:
      sg_cond_notify_one(n->cond[op.target]);
      break;
    case SIMBE_TIMER:
      simbe_start_timer(n, &op);
      break;
    }
  }
  n->head = n->n = 0;
  n->flushing = 0;
}

/* Hands one frame to the node's state machines; 0 or the run has failed. */
static int simbe_deliver(simbe_node *n, simbe_msg *m) {
  int rc = node_on_frame(n->node, m->bytes, m->len);
  if (rc != 0) {
    char msg[200];
    wire_header h;
    int hrc = wire_peek_header(m->bytes, m->len, m->len, &h);
    snprintf(msg, sizeof msg,
             "simulation bug: node %u rejected a %zu-byte frame (type %d from node %ld): %s",
             (unsigned)n->id, m->len, hrc == 0 ? h.type : -1, hrc == 0 ? (long)h.src : -1L,
             st_strerror(rc));
    free(m);
    simbe_fail(n->world, rc, msg);
    return rc;
  }
  free(m);
  if (n->world->server_frame && n->node->server)
    n->world->server_frame(n->world->server_frame_arg, n);
  simbe_flush(n);
  simbe_handled(n->world);
  return 0;
}

/* Direct mode: frames come straight from SimGrid. */
static void simbe_receiver(int argc, char **argv) {
  (void)argc;
  (void)argv;
  simbe_node *n = sg_actor_self_get_data();
  sg_mailbox_t mb = n->world->mbox[n->id];
  /* Permanent receiver: transfers start when sent, and are handed over in
   * the order they were posted. A frame posted before this would sit in the
   * other queue and could be overtaken, hence the workers' start barrier. */
  sg_mailbox_set_receiver(sg_mailbox_get_name(mb));
  simbe_registered(n->world);
  for (;;) {
    simbe_msg *m = sg_mailbox_get(mb);
    if (m == &simbe_stop_msg) break;
    if (simbe_deliver(n, m) != 0) return;
  }
  simbe_reap_all(&n->recv_out);
}

/* Switch mode: frames come from the node's output port queue, each when it
 * has drained. Proxies only append, with later times, so the head stays. */
static void simbe_port_receiver(int argc, char **argv) {
  (void)argc;
  (void)argv;
  simbe_node *n = sg_actor_self_get_data();
  for (;;) {
    sg_mutex_lock(n->mutex);
    while (n->inq_head == n->inq_n && !n->stop) sg_cond_wait(n->inq_cond, n->mutex);
    sg_mutex_unlock(n->mutex);
    if (n->inq_head == n->inq_n) break; /* stopped and drained */
    double at = n->inq_at[n->inq_head];
    if (at > simgrid_get_clock()) sg_actor_sleep_until(at);
    simbe_msg *m = n->inq[n->inq_head++];
    if (simbe_deliver(n, m) != 0) return;
  }
  simbe_reap_all(&n->recv_out);
}

static int simbe_inq_push(simbe_node *d, simbe_msg *m, double at) {
  if (d->inq_head == d->inq_n) d->inq_head = d->inq_n = 0;
  if (d->inq_n == d->inq_cap) {
    if (d->inq_head > 0) {
      memmove(d->inq, d->inq + d->inq_head, (d->inq_n - d->inq_head) * sizeof *d->inq);
      memmove(d->inq_at, d->inq_at + d->inq_head, (d->inq_n - d->inq_head) * sizeof *d->inq_at);
      d->inq_n -= d->inq_head;
      d->inq_head = 0;
    }
    if (d->inq_n == d->inq_cap) {
      size_t cap = d->inq_cap ? d->inq_cap * 2 : 16;
      struct simbe_msg **q = realloc(d->inq, cap * sizeof *q);
      if (!q) return ST_ENOMEM;
      d->inq = q;
      double *at2 = realloc(d->inq_at, cap * sizeof *at2);
      if (!at2) return ST_ENOMEM;
      d->inq_at = at2;
      d->inq_cap = cap;
    }
  }
  d->inq[d->inq_n] = m;
  d->inq_at[d->inq_n] = at;
  d->inq_n++;
  return 0;
}

/* Switch mode: the port of one sender. Takes its frames in order and queues
 * each at its receiver's output port, which drains FIFO at in_bw. */
static void simbe_proxy(int argc, char **argv) {
  (void)argc;
  (void)argv;
  simbe_node *src = sg_actor_self_get_data();
  simbe_world *w = src->world;
  sg_mailbox_t mb = w->mbox[src->id];
  sg_mailbox_set_receiver(sg_mailbox_get_name(mb));
  sg_actor_daemonize(sg_actor_self()); /* ends with the workers; owns nothing */
  simbe_registered(w);
  for (;;) {
    simbe_msg *m = sg_mailbox_get(mb);
    src->outstanding--; /* room on the sender's wire */
    if (src->nic_waiting) sg_cond_notify_one(src->nic_cond);
    simbe_node *d = &w->nodes[m->dst];
    /* The bytes left the sender (SimGrid timed that); they reach the port
     * after the link latency, then drain at the port's rate, FIFO. */
    double arrive = simgrid_get_clock() + w->latency;
    double at = (d->port_free > arrive ? d->port_free : arrive) + (double)m->len / w->in_bw;
    d->port_free = at;
    int was_empty = d->inq_head == d->inq_n;
    if (simbe_inq_push(d, m, at) != 0) {
      free(m);
      simbe_fail(w, ST_ENOMEM, "out of memory queueing a frame at a switch port");
      return;
    }
    if (was_empty) sg_cond_notify_one(d->inq_cond);
  }
}

/* Switch mode: sends the node's frames in order, at most window on the
 * wire; the proxy makes room as frames reach the port. */
static void simbe_nic_actor(int argc, char **argv) {
  (void)argc;
  (void)argv;
  simbe_nic *nic = sg_actor_self_get_data();
  simbe_node *n = nic->n;
  simbe_world *w = n->world;
  for (;;) {
    sg_mutex_lock(n->mutex);
    while ((n->wq_head == n->wq_n || n->outstanding >= w->window) && !n->stop) {
      n->nic_waiting = 1;
      sg_cond_wait(n->nic_cond, n->mutex);
      n->nic_waiting = 0;
    }
    sg_mutex_unlock(n->mutex);
    if (n->wq_head == n->wq_n) break; /* stopped: nothing in flight remains */
    struct simbe_msg *m = n->wq[n->wq_head++];
    n->outstanding++;
    /* SimGrid scans an actor's whole activity list to drop one: keep it short */
    if (nic->out.n - nic->out.head >= w->window) simbe_reap(&nic->out);
    sg_comm_t c = sg_mailbox_put_async(w->mbox[n->id], m, (long)m->len);
    if (simbe_track(&nic->out, c) != 0) sg_comm_wait(c);
  }
  simbe_reap_all(&nic->out);
}

int simbe_start_port(simbe_node *n, sg_host_t port) {
  n->nic = calloc(1, sizeof *n->nic);
  if (!n->nic) return ST_ENOMEM;
  n->nic->n = n;
  char name[32];
  snprintf(name, sizeof name, "port%u", (unsigned)n->id);
  sg_actor_t a = sg_actor_init(name, port);
  sg_actor_set_data(a, n);
  sg_actor_start(a, simbe_proxy, 0, NULL);
  snprintf(name, sizeof name, "nic%u", (unsigned)n->id);
  a = sg_actor_init(name, n->host);
  sg_actor_set_data(a, n->nic);
  sg_actor_start(a, simbe_nic_actor, 0, NULL);
  return 0;
}

void simbe_start_receiver(simbe_node *n) {
  char name[32];
  snprintf(name, sizeof name, "recv%u", (unsigned)n->id);
  sg_actor_t a = sg_actor_init(name, n->host);
  sg_actor_set_data(a, n);
  sg_actor_start(a, n->world->switch_mode ? simbe_port_receiver : simbe_receiver, 0, NULL);
}

int simbe_node_init(simbe_node *n, simbe_world *w, uint32_t id, sg_host_t host, uint32_t nworkers) {
  memset(n, 0, sizeof *n);
  n->be.ops = &simbe_ops;
  n->be.ctx = n;
  n->world = w;
  n->id = id;
  n->host = host;
  n->nworkers = nworkers;
  n->cond = calloc(nworkers ? nworkers : 1, sizeof *n->cond);
  n->woken = calloc(nworkers ? nworkers : 1, 1);
  n->slow = malloc((nworkers ? nworkers : 1) * sizeof *n->slow);
  if (!n->cond || !n->woken || !n->slow) {
    free(n->cond);
    free(n->woken);
    free(n->slow);
    n->cond = NULL;
    n->woken = NULL;
    n->slow = NULL;
    return ST_ENOMEM;
  }
  for (uint32_t i = 0; i < nworkers; i++) n->slow[i] = 1.0;
  n->mutex = sg_mutex_init();
  n->inq_cond = sg_cond_init();
  n->nic_cond = sg_cond_init();
  for (uint32_t i = 0; i < nworkers; i++) n->cond[i] = sg_cond_init();
  return 0;
}

void simbe_node_free(simbe_node *n) {
  for (size_t i = n->head; i < n->n; i++)
    if (n->ops[i].kind == SIMBE_SEND) free(n->ops[i].msg);
  free(n->ops);
  if (n->cond)
    for (uint32_t i = 0; i < n->nworkers; i++) sg_cond_destroy(n->cond[i]);
  if (n->mutex) sg_mutex_destroy(n->mutex);
  if (n->inq_cond) sg_cond_destroy(n->inq_cond);
  if (n->nic_cond) sg_cond_destroy(n->nic_cond);
  for (size_t i = n->wq_head; i < n->wq_n; i++) free(n->wq[i]);
  free(n->wq);
  if (n->nic) free(n->nic->out.q);
  free(n->nic);
  for (size_t i = n->inq_head; i < n->inq_n; i++) free(n->inq[i]);
  free(n->inq);
  free(n->inq_at);
  free(n->cond);
  free(n->woken);
  free(n->slow);
  memset(n, 0, sizeof *n);
}
