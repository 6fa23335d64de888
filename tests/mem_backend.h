/* mem_backend.h: the third backend, for tests. Single-threaded and
 * deterministic: every node's frames wait in per-channel FIFO queues and a
 * seeded generator decides which channel delivers next and how long each
 * frame is held back (in scheduler steps), so a seed is one interleaving and
 * many seeds explore many. Nothing here is real I/O; time is the step count.
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
} mem_opts;

/* Creates the world: one st_node per node of cfg, all with tables.
 * NULL on failure. The world owns the nodes. */
mem_world *mem_create(const st_config *cfg, const tbl_set *tables, const mem_opts *opts);
void mem_destroy(mem_world *w);

st_node *mem_node(mem_world *w, uint32_t id);
/* The backend of node id (for ps_worker handles). Borrowed from w. */
const st_backend *mem_backend(mem_world *w, uint32_t id);

/* Frames waiting anywhere. */
uint64_t mem_pending(const mem_world *w);
/* Delivers one eligible frame chosen by the seed (advancing time until one
 * is eligible). Returns 1 if delivered, 0 if none is pending, or a negative
 * error from node_on_frame (which is also recorded in mem_error). */
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
