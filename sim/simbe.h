/* simbe.h: the SimGrid implementation of the core's backend ops
 * (core/backend.h) for one simulated node, plus the node's receiver actor.
 *
 * A simbe_node owns its outbox, its workers' condition variables and wake
 * flags; it borrows the st_node it serves (the harness creates and destroys
 * both) and the simbe_world shared by all nodes of a run.
 *
 * SimGrid actors are cooperative: an actor only yields at a SimGrid call.
 * The core must never be re-entered half-way through a call, so nothing the
 * core calls here makes a SimGrid call: send() copies the frame into the
 * outbox, wake() sets a flag and queues the notification, timer() queues the
 * timer. unlock() (after every worker call into the core), the receiver
 * (after each frame) and block() (before waiting) flush the outbox. A node's
 * outbox is drained by one actor at a time, in order, so frames between two
 * nodes stay in the order the core sent them; each node's single receiver
 * is the permanent receiver of its mailbox, which keeps the mailbox FIFO
 * while letting transfers proceed concurrently, like a NIC. */
#ifndef SIMBE_H
#define SIMBE_H

#include <simgrid/forward.h>
#include <stdint.h>
#include <stdio.h>

#include "backend.h"
#include "node.h"

typedef struct simbe_node simbe_node;
typedef struct simbe_timers simbe_timers;

/* What all nodes of one run share. Counters are read by the harness.
 *
 * Two network models. Direct: a frame is a SimGrid communication from the
 * sender's host to the receiver's, into the receiver's mailbox (SimGrid
 * models every link; exact but its sharing solver grows with the number of
 * frames in flight across the whole cluster). Switch (switch_mode): a frame
 * leaves the sender's NIC (FIFO, a few frames on the wire at a time) over
 * SimGrid to the sender's own switch port (see plat.h),
 * where a proxy actor queues it at the receiver's output port: FIFO, drained
 * at in_bw bytes/s; the receiver handles it when it has drained. */
typedef struct simbe_world {
  uint32_t nnodes;
  simbe_node *nodes;    /* [nnodes], borrowed from the harness */
  uint8_t switch_mode;
  double in_bw;         /* switch mode: receiver port bytes/s */
  double latency;       /* switch mode: link latency, added at the port so
                           that a NIC's frames pipeline */
  uint32_t window;      /* switch mode: frames a NIC keeps on the wire */
  sg_mailbox_t *mbox;   /* per node: its inbox (direct) or the mailbox its
                           proxy drains (switch); borrowed from SimGrid */
  uint32_t ready_needed, ready; /* mailbox owners registered before workers start */
  uint64_t bytes_sent;  /* sum of frame lengths handed to send() */
  uint64_t frames_sent;
  FILE *trace;          /* optional, borrowed: one "src dst bytes" line per
                           frame handed to send() (stale sim --trace-frames) */
  uint64_t inflight;    /* frames and timers not yet handled */
  double blocked;       /* worker seconds spent in block() */
  uint32_t workers_left;
  int finished;         /* all workers done and nothing in flight */
  sg_mutex_t mutex;     /* with quiet: the last worker waits for inflight == 0 */
  sg_cond_t quiet;
  sg_cond_t all_done;   /* with mutex: workers wait for finished */
  sg_cond_t ready_cond; /* with mutex: workers wait for ready == ready_needed */
  simbe_timers *timers; /* every node's armed timers, served by one actor;
                           owned (simbe_timers_start / simbe_timers_free) */
  /* Optional: called by the last worker each time nothing is in flight
   * once every worker is done (node lock free); returns 1 if it sent more
   * (the run then waits for quiet again), 0 when the run may end. The
   * harness sends the end-of-run reports from here. */
  int (*at_quiet)(void *arg);
  void *at_quiet_arg;
  int error;            /* first error of the run (negative) */
  char errmsg[256];
  /* Optional: called after a server node handled a frame (the run watches
   * its shard clock for the stopping rule and the model's snapshots). */
  void (*server_frame)(void *arg, simbe_node *n);
  void *server_frame_arg;
} simbe_world;

typedef struct simbe_op simbe_op;

/* The sends an actor started and has not yet reaped. SimGrid keeps every
 * started send on its actor's activity list until that actor tests or waits
 * for it (a detached send sits on one global list whose removal cost grows
 * with the frames in flight), so each actor reaps its own, oldest first.
 * Every actor that may flush an outbox must have, as its SimGrid actor
 * data, a pointer to a struct whose first member is a simbe_sender. */
typedef struct simbe_sender {
  sg_comm_t *q; /* q[head..n) in start order */
  size_t head, n, cap;
} simbe_sender;

struct simbe_node {
  simbe_sender recv_out; /* first: the receiver actor's data is the node */
  st_node *node; /* borrowed; set by the harness after node_create */
  st_backend be; /* ops + this as ctx, handed to node_create */
  simbe_world *world; /* borrowed */
  uint32_t id;
  sg_host_t host;
  uint32_t nworkers;
  double *slow;       /* per worker: this clock's work multiplier (>= 1) */
  sg_mutex_t mutex;   /* guards the conds' waits */
  sg_cond_t *cond;    /* per worker */
  uint8_t *woken;     /* per worker: wake() happened since the last block() */
  simbe_op *ops;      /* outbox: ops[head..n) */
  size_t head, n, cap;
  int flushing;       /* an actor is draining the outbox */
  /* Switch mode: frames at this node's output port, in delivery order. */
  struct simbe_msg **inq;
  double *inq_at;     /* when each has drained */
  size_t inq_head, inq_n, inq_cap;
  double port_free;   /* when the port is done with what it holds */
  sg_cond_t inq_cond; /* with mutex: the receiver waits for frames */
  /* Switch mode: the NIC. Frames leave in order, at most window at a time,
   * so SimGrid shares the sender's link among a few flows, not thousands. */
  struct simbe_msg **wq; /* frames waiting for the NIC: wq[wq_head..wq_n) */
  size_t wq_head, wq_n, wq_cap;
  uint32_t outstanding;  /* frames on the wire, not yet at the port */
  int nic_waiting;
  sg_cond_t nic_cond;    /* with mutex: the NIC waits for work and room */
  struct simbe_nic *nic; /* the NIC actor's data, owned */
  int stop;           /* switch mode: the receiver should end */
};

/* The ops table (all fields set; lock is a no-op, unlock flushes). */
extern const st_backend_ops simbe_ops;

/* Initialises n for node id on host with nworkers workers. Call inside
 * simgrid (after the platform is loaded). 0 or ST_ENOMEM. */
int simbe_node_init(simbe_node *n, simbe_world *w, uint32_t id, sg_host_t host, uint32_t nworkers);
/* Frees what n owns (not n itself, not its st_node). Frames still queued
 * are freed. */
void simbe_node_free(simbe_node *n);

/* Sends everything queued in n's outbox (SimGrid calls; may yield). */
void simbe_flush(simbe_node *n);

/* Starts n's receiver actor on n's host. It stops when the last worker
 * tells it to, once nothing is in flight. */
void simbe_start_receiver(simbe_node *n);
/* Switch mode: starts the proxy of n's switch port on host port, and n's
 * NIC actor on n's host. 0 or ST_ENOMEM. */
int simbe_start_port(simbe_node *n, sg_host_t port);

/* Starts the one actor that serves every node's timers (on host; it only
 * sleeps). Timers are due at arming time + delay, and fire in that order,
 * ties in arming order. Call once, after the nodes are initialised.
 * 0 or ST_ENOMEM. */
int simbe_timers_start(simbe_world *w, sg_host_t host);
/* Frees the timer queue (after the simulation). */
void simbe_timers_free(simbe_world *w);
/* Records the run's first error and stops every other actor. */
void simbe_fail(simbe_world *w, int err, const char *msg);

/* Called by a worker actor before its first call into the core: waits
 * until every mailbox has its permanent receiver. */
void simbe_worker_wait_start(simbe_world *w);

/* Called by a worker actor when it is done: the last one waits until no
 * frame or timer is in flight (so the tables are final when simgrid_run
 * returns), then stops the receivers; every worker waits for that moment
 * (an exiting actor would cancel its sends) and reaps its sends. */
void simbe_worker_done(simbe_world *w, simbe_sender *out);

/* Waits for and releases every send in out (the calling actor's). */
void simbe_reap_all(simbe_sender *out);

#endif
