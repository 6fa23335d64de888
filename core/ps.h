/* ps.h: the worker API that apps are written against, once for every
 * backend. Calls block (through the backend) until the SSP rule lets a read
 * be served. A worker handle is owned by the backend that runs the worker. */
#ifndef PS_H
#define PS_H

#include "node.h"

typedef struct ps_worker {
  cl_client *client;     /* borrowed */
  const st_backend *be;  /* borrowed */
  uint32_t id;           /* worker index within its client */
  uint32_t client_index; /* which client (node) it belongs to */
  uint32_t nworkers;     /* workers in the whole cluster */
  uint32_t global_index; /* client_index * workers_per_client + id */
  sched_agent *agent;    /* borrowed: the node's scheduler agent (node.h) */
} ps_worker;

/* Reads (table, row) into out[width], blocking until fresh enough. */
int ps_get(ps_worker *w, uint32_t table, uint32_t row, float *out);
/* Reads (table, row) as it stands once every worker's updates of clocks
 * <= clock have reached its shard, whatever the staleness bound (blocking
 * until they have). A row that only clock `clock` writes (a metrics row)
 * is then final, the same for every reader. */
int ps_get_complete(ps_worker *w, uint32_t table, uint32_t row, st_clock_t clock, float *out);
/* Adds delta[width] to (table, row). */
int ps_inc(ps_worker *w, uint32_t table, uint32_t row, const float *delta);
/* Ends this worker's clock. */
int ps_clock(ps_worker *w);
/* Requests rows ahead of use; never blocks. */
int ps_prefetch(ps_worker *w, uint32_t table, const uint32_t *rows, uint32_t n);
/* Charges modeled computation (work units) to this worker. */
void ps_charge(ps_worker *w, double work);
/* Current clock of this worker. */
st_clock_t ps_clock_now(const ps_worker *w);
/* The run's staleness bound s (ST_STALENESS_INF: asynchronous), for apps
 * whose step size must allow for reads up to s clocks old. */
uint32_t ps_staleness(const ps_worker *w);

/* Scheduled runs (mpsched.h): blocks until the worker's next task is in and
 * fills *t (arrays borrowed until ps_task_done); charges the scheduler's
 * work it carries. 0, ST_ESTATE (no agent, or a task not yet done), or a
 * send error. */
int ps_task_next(ps_worker *w, sched_task *t);
/* The result of the current task: vals[n] (borrowed), n = its nvars times
 * the app's result width. */
int ps_task_done(ps_worker *w, const float *vals, uint32_t n);

#endif
