/* rt_be.h: the libuv backend of the core's ops table (core/backend.h) for
 * one node. Owns the node lock, one condition variable per worker and the
 * armed timers; borrows the transport and the node.
 *
 * Threads: worker threads enter the core through ps_* which call lock() and
 * unlock(); the loop thread takes the same lock (rt_be_lock_loop) around
 * node_on_frame. block() waits on the worker's condition variable with the
 * node lock, so a blocked worker lets messages in.
 *
 * Back-pressure: send() cannot wait (it runs inside the core with its state
 * mid-update and the node lock held), so it writes what the socket takes at
 * once and queues the rest (rt_net_send). Workers wait
 * instead in lock(), before entering the core, while any peer's queue is
 * over the transport's bound; one core call adds a bounded amount past it.
 * The loop thread never waits: what it sends is replies to requests that
 * the requesters' own bounds limit. */
#ifndef RT_BE_H
#define RT_BE_H

#include <pthread.h>
#include <uv.h>

#include "backend.h"
#include "node.h"
#include "rt_net.h"

typedef struct rt_be_worker {
  pthread_cond_t cond;
  int woken;
  double blocked; /* seconds spent in block() */
} rt_be_worker;

typedef struct rt_timer rt_timer;

typedef struct rt_be {
  pthread_mutex_t mu; /* the node lock: guards the node and everything below */
  uint32_t nworkers;
  rt_be_worker *w;  /* [nworkers], owned */
  rt_net *net;      /* borrowed */
  st_node *node;    /* borrowed, for timers */
  uv_loop_t *loop;  /* borrowed */
  uint64_t t0;      /* uv_hrtime at init */
  uv_async_t arm;   /* wakes the loop to start newly armed timers */
  int arm_open;
  rt_timer *pending; /* armed, not yet started (under mu) */
  rt_timer *active;  /* started (loop thread) */
  int failed;        /* under mu: the run is over; blocked workers stay put */
  /* Called under mu as a worker leaves the core, before mu is released
   * (NULL: nothing): the runtime's chance to observe what the call did
   * before the loop thread can handle a frame. */
  void (*on_unlock)(void *ctx);
  void *on_unlock_ctx;
  st_backend be;
} rt_be;

/* Initialises b on loop (borrowed) for nworkers workers. 0 or ST_ENOMEM. */
int rt_be_init(rt_be *b, uv_loop_t *loop, uint32_t nworkers);
/* Sets the transport and node (both borrowed) once they exist. */
void rt_be_attach(rt_be *b, rt_net *net, st_node *node);
/* Sets the on_unlock callback (fn and ctx borrowed; before workers start). */
void rt_be_on_unlock(rt_be *b, void (*fn)(void *ctx), void *ctx);
/* The ops table and context for node_create; points into b. */
const st_backend *rt_be_backend(rt_be *b);
/* Seconds since rt_be_init. */
double rt_be_now(rt_be *b);
/* Marks the run failed: nothing more is armed; blocked workers are not
 * woken (the process is ending). Takes the node lock. */
void rt_be_fail(rt_be *b);
/* Loop thread: closes b's handles and timers (run the loop afterwards). */
void rt_be_close(rt_be *b);
/* Frees what b owns after the loop finished. */
void rt_be_destroy(rt_be *b);
/* For the process that runs a node (call once, before threads start): keeps
 * freed heap memory for reuse instead of returning it to the kernel. The
 * core frees its per-clock delta rows at every flush; returned pages come
 * back as page faults and zeroing in the next clock (~9% of a worker's time
 * at 4 KiB rows). No-op outside glibc. */
void rt_be_keep_heap(void);

#endif
