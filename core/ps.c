#include "ps.h"

/* Every call into the client is bracketed by the backend's lock (if any) so a
 * threaded backend can run workers beside its message loop. */
static void ps_lock(ps_worker *w) {
  if (w->be->ops->lock) w->be->ops->lock(w->be->ctx);
}
static void ps_unlock(ps_worker *w) {
  if (w->be->ops->unlock) w->be->ops->unlock(w->be->ctx);
}

int ps_get(ps_worker *w, uint32_t table, uint32_t row, float *out) {
  ps_lock(w);
  int rc;
  while ((rc = cl_get(w->client, w->id, table, row, out)) == ST_WAIT) w->be->ops->block(w->be->ctx, w->id);
  ps_unlock(w);
  return rc;
}

int ps_get_complete(ps_worker *w, uint32_t table, uint32_t row, st_clock_t clock, float *out) {
  if (clock == UINT32_MAX) return ST_ERANGE;
  ps_lock(w);
  int rc;
  while ((rc = cl_get_at(w->client, w->id, table, row, clock + 1, out)) == ST_WAIT)
    w->be->ops->block(w->be->ctx, w->id);
  ps_unlock(w);
  return rc;
}

int ps_inc(ps_worker *w, uint32_t table, uint32_t row, const float *delta) {
  ps_lock(w);
  int rc = cl_inc(w->client, w->id, table, row, delta);
  ps_unlock(w);
  return rc;
}

int ps_clock(ps_worker *w) {
  ps_lock(w);
  int rc = cl_clock(w->client, w->id);
  ps_unlock(w);
  return rc;
}

int ps_prefetch(ps_worker *w, uint32_t table, const uint32_t *rows, uint32_t n) {
  ps_lock(w);
  int rc = cl_prefetch(w->client, w->id, table, rows, n);
  ps_unlock(w);
  return rc;
}

void ps_charge(ps_worker *w, double work) {
  if (work > 0) w->be->ops->charge(w->be->ctx, w->id, work);
}

st_clock_t ps_clock_now(const ps_worker *w) { return cl_worker_clock(w->client, w->id); }

uint32_t ps_staleness(const ps_worker *w) { return cl_staleness(w->client); }

int ps_task_next(ps_worker *w, sched_task *t) {
  if (!w->agent) return ST_ESTATE;
  ps_lock(w);
  int rc;
  while ((rc = sched_agent_next(w->agent, w->id, t)) == ST_WAIT) w->be->ops->block(w->be->ctx, w->id);
  ps_unlock(w);
  if (rc == 0) ps_charge(w, t->work);
  return rc;
}

int ps_task_done(ps_worker *w, const float *vals, uint32_t n) {
  if (!w->agent) return ST_ESTATE;
  ps_lock(w);
  int rc = sched_agent_done(w->agent, w->id, vals, n);
  ps_unlock(w);
  return rc;
}
