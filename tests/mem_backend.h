/* mem_backend.h: the third backend, for tests. Single-threaded and
 * deterministic: every node's frames wait in per-channel FIFO queues and a
 * seeded generator decides which channel delivers next and how long each
 * frame is held back (in scheduler steps), so a seed is one interleaving and
 * many seeds explore many. Nothing here is real I/O; time is the step count.
 *
 * Timers are part of the schedule: a timer armed at step t with delay d is
 * due at step t + ceil(d) (a delay is in steps, as time is); due timers fire
 * before any frame, earliest due first, ties in arming order; with no frame
 * ready, time jumps to whichever comes first.
 *
 * Workers are driven by the test itself (it calls cl_* and treats ST_WAIT as
 * "blocked until woken"); mem_block() is there for code written against the
 * blocking ps_ API: it delivers frames until the worker is woken. */
#ifndef MEM_BACKEND_H
#define MEM_BACKEND_H

#include <stdint.h>

#include "node.h"

typedef struct mem_world mem_world;

typedef struct mem_opts {
  uint64_t seed;
  uint32_t max_delay;    /* a frame waits 0..max_delay steps before it may be delivered */
  double dup_client_pct; /* chance that a client->server frame is delivered twice */
  /* Faults, as SQLite's test VFS injects them. fail_send_at: the Nth send of
   * the world (1-based; 0 never) returns fail_send_rc and sends nothing.
   * Silence: after silent_after frames sent by node silent_node + 1 (0 means
   * no node), its frames are held forever (a frozen peer). Loss: of the
   * frames node lose_node + 1 sends, numbers lose_first..lose_last (1-based)
   * vanish, and later ones still arrive. */
  uint64_t fail_send_at;
  int fail_send_rc;
  uint32_t silent_node, silent_after;
  uint32_t lose_node, lose_first, lose_last;
  /* Optional: called as each timer fires, before the node handles it. */
  void (*on_timer)(void *arg, uint32_t node, uint64_t token, uint64_t step);
  void *on_timer_arg;
} mem_opts;

/* Creates the world: one st_node per node of cfg, all with tables.
 * NULL on failure. The world owns the nodes. */
mem_world *mem_create(const st_config *cfg, const tbl_set *tables, const mem_opts *opts);
void mem_destroy(mem_world *w);

st_node *mem_node(mem_world *w, uint32_t id);
/* The backend of node id (for ps_worker handles). Borrowed from w. */
const st_backend *mem_backend(mem_world *w, uint32_t id);

/* Frames and timers waiting anywhere. */
uint64_t mem_pending(const mem_world *w);
/* Timers armed and not yet fired. */
uint64_t mem_timers_pending(const mem_world *w);
/* Fires the earliest due timer, or else delivers one eligible frame chosen
 * by the seed (advancing time until something is due). Returns 1 if it did
 * either, 0 if nothing is pending, or a negative error from node_on_frame or
 * node_on_timer (which is also recorded in mem_error). */
int mem_deliver_one(mem_world *w);
/* Delivers until nothing is pending; returns 0 or the first error. */
int mem_drain(mem_world *w);

/* Takes and clears the woken flag of (node, worker). */
int mem_take_wake(mem_world *w, uint32_t node, uint32_t worker);
/* First error seen while delivering (0 if none). */
int mem_error(const mem_world *w);
uint64_t mem_frames_sent(const mem_world *w);
uint64_t mem_bytes_sent(const mem_world *w);
/* Work charged by workers of node id. */
double mem_charged(const mem_world *w, uint32_t id);
/* Uniform random integer in [0, n) from the world's generator. */
uint32_t mem_rand(mem_world *w, uint32_t n);

#endif
