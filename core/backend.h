/* backend.h: the whole contract between the core and whatever moves its
 * bytes. The core calls these; a backend (sim/, real/, tests/) implements
 * them. Like SQLite's VFS: one ops table, one context pointer.
 *
 * Delivery contract for send(): every frame reaches dst exactly once and
 * frames from one node to another arrive in the order they were sent (TCP
 * and SimGrid mailboxes both give this). Frames between different pairs may
 * interleave arbitrarily. */
#ifndef BACKEND_H
#define BACKEND_H

#include "st.h"

typedef struct st_backend_ops {
  /* Sends frame[0..len) to node dst. The backend copies the bytes before
   * returning (the core reuses its buffer). Returns 0 or a negative error. */
  int (*send)(void *ctx, uint32_t dst, const uint8_t *frame, size_t len);
  /* Seconds since the run started: simulated or monotonic. */
  double (*now)(void *ctx);
  /* Arms a one-shot timer; after delay seconds the backend calls
   * node_on_timer(node, token). Reserved for paced, prioritized sends. */
  int (*timer)(void *ctx, double delay, uint64_t token);
  /* Blocks the calling worker until wake(worker) is called. Called only from
   * the worker's own context, with the node lock held if there is one (a
   * threaded backend releases it while blocked). */
  void (*block)(void *ctx, uint32_t worker);
  /* Makes worker runnable again; never blocks. */
  void (*wake)(void *ctx, uint32_t worker);
  /* Charges work units of computation to worker: a simulator advances that
   * worker's time; a real runtime does nothing (the work took real time). */
  void (*charge)(void *ctx, uint32_t worker, double work);
  /* Optional (NULL for single-threaded backends): serialize worker calls
   * into the core with the backend's own message handling. */
  void (*lock)(void *ctx);
  void (*unlock)(void *ctx);
} st_backend_ops;

/* A backend instance for one node: ops are shared, ctx is per node.
 * Borrowed by the core; the backend owns both. */
typedef struct st_backend {
  const st_backend_ops *ops;
  void *ctx;
} st_backend;

#endif
